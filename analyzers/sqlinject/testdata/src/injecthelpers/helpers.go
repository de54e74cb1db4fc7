// Package injecthelpers is a second package whose functions carry facts.
package injecthelpers

import (
	"fmt"

	"gorm.io/gorm"
)

// SortBy passes its argument to Order: callers are checked.
func SortBy(db *gorm.DB, col string) *gorm.DB { // want SortBy:`sinks\(col->\(\*gorm.DB\).Order\)`
	return db.Order(col)
}

// Search puts its argument in a LIKE fragment.
func Search(db *gorm.DB, q string) *gorm.DB { // want Search:`sinks\(q->\(\*gorm.DB\).Where\)`
	return db.Where(fmt.Sprintf("name LIKE '%%%s%%'", q))
}

// Safe uses a placeholder: no fact.
func Safe(db *gorm.DB, q string) *gorm.DB {
	return db.Where("name = ?", q)
}

// Prefix returns text built from its parameter.
func Prefix(s string) string { return "ORDER BY " + s } // want Prefix:`returns\(safe \[0\]\)`

// Const returns a constant.
func Const() string { return "created_at DESC" } // want Const:`returns\(safe \[\]\)`

// Option is a closure option over the chain.
type Option func(*gorm.DB) *gorm.DB

// WithOrder returns an option that orders by its argument.
func WithOrder(orderStr string) Option { // want WithOrder:`sinks\(orderStr->\(\*gorm.DB\).Order\)`
	return func(g *gorm.DB) *gorm.DB { return g.Order(orderStr) }
}

// Apply applies options.
func Apply(db *gorm.DB, opts ...Option) *gorm.DB {
	for _, o := range opts {
		db = o(db)
	}
	return db
}
