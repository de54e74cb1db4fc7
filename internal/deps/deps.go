//go:build tools

// Package deps pins the dependencies the pieces of ormshift share, so go mod
// tidy keeps them while the packages that use them are written.

package deps

import (
	_ "github.com/golangci/plugin-module-register/register"
	_ "github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/pganalyze/pg_query_go/v5"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/spf13/cobra"
	_ "golang.org/x/tools/go/analysis/multichecker"
	_ "golang.org/x/tools/go/analysis/unitchecker"
	_ "golang.org/x/tools/go/packages"
	_ "golang.org/x/tools/go/ssa/ssautil"
	_ "gorm.io/driver/postgres"
	_ "gorm.io/gorm"
)
