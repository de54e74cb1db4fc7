// Package gorm is a stub of github.com/jinzhu/gorm v1.9.16 (GORM v1) for
// analyzer tests, with the library's exact signatures.
package gorm

type DB struct {
	Value        interface{}
	Error        error
	RowsAffected int64
}

func Open(dialect string, args ...interface{}) (db *DB, err error) { panic("stub") }

func (s *DB) Where(query interface{}, args ...interface{}) *DB   { panic("stub") }
func (s *DB) Limit(limit interface{}) *DB                        { panic("stub") }
func (s *DB) Order(value interface{}, reorder ...bool) *DB       { panic("stub") }
func (s *DB) First(out interface{}, where ...interface{}) *DB    { panic("stub") }
func (s *DB) Find(out interface{}, where ...interface{}) *DB     { panic("stub") }
func (s *DB) Scan(dest interface{}) *DB                          { panic("stub") }
func (s *DB) Save(value interface{}) *DB                         { panic("stub") }
func (s *DB) Create(value interface{}) *DB                       { panic("stub") }
func (s *DB) Delete(value interface{}, where ...interface{}) *DB { panic("stub") }
func (s *DB) Raw(sql string, values ...interface{}) *DB          { panic("stub") }
func (s *DB) Exec(sql string, values ...interface{}) *DB         { panic("stub") }
func (s *DB) Model(value interface{}) *DB                        { panic("stub") }
func (s *DB) Table(name string) *DB                              { panic("stub") }
func (s *DB) Transaction(fc func(tx *DB) error) (err error)      { panic("stub") }
func (s *DB) Begin() *DB                                         { panic("stub") }
func (s *DB) Commit() *DB                                        { panic("stub") }
func (s *DB) AutoMigrate(values ...interface{}) *DB              { panic("stub") }
