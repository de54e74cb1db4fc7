// Package gorm is a stub of github.com/jinzhu/gorm@v1.9.16.
package gorm

type DB struct {
	Error error
}

func (s *DB) Where(query interface{}, args ...interface{}) *DB { return s }
func (s *DB) Order(value interface{}, reorder ...bool) *DB     { return s }
func (s *DB) Group(query string) *DB                           { return s }
func (s *DB) Raw(sql string, values ...interface{}) *DB        { return s }
func (s *DB) Exec(sql string, values ...interface{}) *DB       { return s }
func (s *DB) Find(out interface{}, where ...interface{}) *DB   { return s }
