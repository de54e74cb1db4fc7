// Package pkgpulse is a small package-statistics service written the way
// many production Go services are: GORM models, a service layer, net/http
// handlers. It is the legacy application ormshift's tools are tested on.
//
// The tables are defined by schema.sql (embedded as SchemaSQL), not by
// AutoMigrate.
package pkgpulse

import _ "embed"

// SchemaSQL is the contents of schema.sql: CREATE statements for the
// packages and versions tables.
//
//go:embed schema.sql
var SchemaSQL string
