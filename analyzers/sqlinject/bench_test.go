package sqlinject_test

import (
	"context"
	"os"
	"testing"

	"golang.org/x/tools/go/analysis"

	"github.com/ormshift/ormshift/analyzers/sqlcheck"
	"github.com/ormshift/ormshift/analyzers/sqlinject"
	"github.com/ormshift/ormshift/analyzers/vetdriver"
	"github.com/ormshift/ormshift/testdata/genmodule/gen"
)

// BenchmarkSQLAnalyzersGenerated runs sqlinject and sqlcheck on the
// generated 500-file GORM module (loading included). scripts/bench-vet.sh
// compares the whole suite with go vet.
func BenchmarkSQLAnalyzersGenerated(b *testing.B) {
	dir := b.TempDir()
	if _, err := gen.Write(dir, 500); err != nil {
		b.Fatal(err)
	}
	cfg := &vetdriver.Config{Dir: dir, Patterns: []string{"./..."},
		Analyzers: []*analysis.Analyzer{sqlinject.Analyzer, sqlcheck.Analyzer},
		Env:       append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off")}
	b.ResetTimer()
	for b.Loop() {
		rep, err := vetdriver.Run(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Errors) > 0 {
			b.Fatalf("errors %v", rep.Errors)
		}
	}
}
