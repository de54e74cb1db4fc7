// Package repo holds data-access helpers and non-HTTP code paths.
package repo

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// SortedBy orders by a caller-given column.
func SortedBy(db *gorm.DB, col string) *gorm.DB {
	return db.Order(col)
}

// Option configures a query.
type Option func(*gorm.DB) *gorm.DB

// WithOrder orders by caller-given text.
func WithOrder(orderStr string) Option {
	return func(g *gorm.DB) *gorm.DB { return g.Order(orderStr) }
}

var sortable = map[string]bool{"name": true, "price": true}

// WithSort orders by an allowlisted column.
func WithSort(col string) Option {
	return func(g *gorm.DB) *gorm.DB {
		if !sortable[col] {
			col = "id"
		}
		return g.Order(col)
	}
}

// Apply applies options.
func Apply(db *gorm.DB, opts ...Option) *gorm.DB {
	for _, o := range opts {
		db = o(db)
	}
	return db
}

// Search formats text into a LIKE pattern.
func Search(db *gorm.DB, q string) *gorm.DB {
	return db.Where("name LIKE '%" + q + "%'")
}

// SearchSafe uses a placeholder.
func SearchSafe(db *gorm.DB, q string) *gorm.DB {
	return db.Where("name LIKE ?", "%"+q+"%")
}

// Report runs a report query over a table named by the environment.
func Report(ctx context.Context, conn *pgx.Conn) error {
	table := os.Getenv("REPORT_TABLE")
	_, err := conn.Exec(ctx, "REFRESH MATERIALIZED VIEW "+table) // want-unsafe
	return err
}

// Refresh refreshes a fixed view.
func Refresh(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, "REFRESH MATERIALIZED VIEW item_stats") // want-safe
	return err
}

// Purge deletes the rows of ids.
func Purge(ctx context.Context, conn *pgx.Conn, ids []int64) error {
	_, err := conn.Exec(ctx, "DELETE FROM items WHERE id = ANY($1)", ids) // want-safe
	return err
}

// PurgeFormatted deletes with ids formatted into the text (numbers only).
func PurgeFormatted(ctx context.Context, conn *pgx.Conn, ids []int64) error {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(id)
	}
	_, err := conn.Exec(ctx, "DELETE FROM items WHERE id IN ("+strings.Join(parts, ",")+")") // want-safe
	return err
}

// BatchInsert queues inserts.
func BatchInsert(names []string) *pgx.Batch {
	b := &pgx.Batch{}
	for _, n := range names {
		b.Queue("INSERT INTO items (name) VALUES ($1)", n) // want-safe
	}
	return b
}

// BatchInsertFormatted formats names into the SQL.
func BatchInsertFormatted(names []string) *pgx.Batch {
	b := &pgx.Batch{}
	for _, n := range names {
		b.Queue("INSERT INTO items (name) VALUES ('" + n + "')") // want-unsafe
	}
	return b
}

// Columns lists constant columns joined.
func Columns(db *gorm.DB) *gorm.DB {
	cols := []string{"id", "name", "price"}
	return db.Select(strings.Join(cols, ", ")) // want-safe
}

// CountWhere counts rows matching a caller-given condition text.
func CountWhere(db *gorm.DB, cond string) (int64, error) {
	var n int64
	err := db.Table("items").Where(cond).Count(&n).Error
	return n, err
}

// Nightly runs CountWhere with a constant condition.
func Nightly(db *gorm.DB) (int64, error) {
	return CountWhere(db, "price = 0") // want-safe
}

// FromArgs runs CountWhere with a command-line condition.
func FromArgs(db *gorm.DB) (int64, error) {
	return CountWhere(db, os.Args[1]) // want-unsafe
}

// Quoted builds a condition with a hand-rolled quote function (unknown
// sanitizer: still text from a parameter).
func Quoted(db *gorm.DB, name string) *gorm.DB {
	return db.Where("name = " + quote(name))
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Migrate runs DDL from a constant list.
func Migrate(db *gorm.DB) error {
	stmts := []string{
		"CREATE TABLE IF NOT EXISTS items (id bigserial PRIMARY KEY, name text, price int)",
		"CREATE INDEX IF NOT EXISTS items_name ON items (name)",
	}
	for _, s := range stmts {
		if err := db.Exec(s).Error; err != nil { // want-safe
			return err
		}
	}
	return nil
}

// Partition creates a partition named after a year.
func Partition(db *gorm.DB, year int) error {
	return db.Exec(fmt.Sprintf("CREATE TABLE items_%d PARTITION OF items FOR VALUES FROM (%d) TO (%d)", year, year, year+1)).Error // want-safe
}

// ByEnvColumn orders by an environment-chosen column.
func ByEnvColumn(db *gorm.DB) *gorm.DB {
	return db.Order(os.Getenv("DEFAULT_SORT")) // want-unsafe
}

// ViaQuoted is the caller of Quoted with request-independent input.
func ViaQuoted(db *gorm.DB) *gorm.DB {
	return Quoted(db, "widget") // want-safe
}
