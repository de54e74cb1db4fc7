package gorm

import (
	"context"
	"database/sql"

	"gorm.io/gorm/clause"
)

func (db *DB) AddError(err error) error                                  { panic("stub") }
func (db *DB) Assign(attrs ...interface{}) (tx *DB)                      { panic("stub") }
func (db *DB) Association(column string) *Association                    { panic("stub") }
func (db *DB) Attrs(attrs ...interface{}) (tx *DB)                       { panic("stub") }
func (db *DB) AutoMigrate(dst ...interface{}) error                      { panic("stub") }
func (db *DB) Begin(opts ...*sql.TxOptions) *DB                          { panic("stub") }
func (db *DB) Callback() *callbacks                                      { panic("stub") }
func (db *DB) Clauses(conds ...clause.Expression) (tx *DB)               { panic("stub") }
func (db *DB) Commit() *DB                                               { panic("stub") }
func (db *DB) Connection(fc func(tx *DB) error) (err error)              { panic("stub") }
func (db *DB) Count(count *int64) (tx *DB)                               { panic("stub") }
func (db *DB) Create(value interface{}) (tx *DB)                         { panic("stub") }
func (db *DB) CreateInBatches(value interface{}, batchSize int) (tx *DB) { panic("stub") }
func (db *DB) DB() (*sql.DB, error)                                      { panic("stub") }
func (db *DB) Debug() (tx *DB)                                           { panic("stub") }
func (db *DB) Delete(value interface{}, conds ...interface{}) (tx *DB)   { panic("stub") }
func (db *DB) Distinct(args ...interface{}) (tx *DB)                     { panic("stub") }
func (db *DB) Exec(sql string, values ...interface{}) (tx *DB)           { panic("stub") }
func (db *DB) Find(dest interface{}, conds ...interface{}) (tx *DB)      { panic("stub") }
func (db *DB) FindInBatches(dest interface{}, batchSize int, fc func(tx *DB, batch int) error) *DB {
	panic("stub")
}
func (db *DB) First(dest interface{}, conds ...interface{}) (tx *DB)         { panic("stub") }
func (db *DB) FirstOrCreate(dest interface{}, conds ...interface{}) (tx *DB) { panic("stub") }
func (db *DB) FirstOrInit(dest interface{}, conds ...interface{}) (tx *DB)   { panic("stub") }
func (db *DB) Get(key string) (interface{}, bool)                            { panic("stub") }
func (db *DB) Group(name string) (tx *DB)                                    { panic("stub") }
func (db *DB) Having(query interface{}, args ...interface{}) (tx *DB)        { panic("stub") }
func (db *DB) InnerJoins(query string, args ...interface{}) (tx *DB)         { panic("stub") }
func (db *DB) InstanceGet(key string) (interface{}, bool)                    { panic("stub") }
func (db *DB) InstanceSet(key string, value interface{}) *DB                 { panic("stub") }
func (db *DB) Joins(query string, args ...interface{}) (tx *DB)              { panic("stub") }
func (db *DB) Last(dest interface{}, conds ...interface{}) (tx *DB)          { panic("stub") }
func (db *DB) Limit(limit int) (tx *DB)                                      { panic("stub") }
func (db *DB) MapColumns(m map[string]string) (tx *DB)                       { panic("stub") }
func (db *DB) Migrator() Migrator                                            { panic("stub") }
func (db *DB) Model(value interface{}) (tx *DB)                              { panic("stub") }
func (db *DB) Not(query interface{}, args ...interface{}) (tx *DB)           { panic("stub") }
func (db *DB) Offset(offset int) (tx *DB)                                    { panic("stub") }
func (db *DB) Omit(columns ...string) (tx *DB)                               { panic("stub") }
func (db *DB) Or(query interface{}, args ...interface{}) (tx *DB)            { panic("stub") }
func (db *DB) Order(value interface{}) (tx *DB)                              { panic("stub") }
func (db *DB) Pluck(column string, dest interface{}) (tx *DB)                { panic("stub") }
func (db *DB) Preload(query string, args ...interface{}) (tx *DB)            { panic("stub") }
func (db *DB) Raw(sql string, values ...interface{}) (tx *DB)                { panic("stub") }
func (db *DB) Rollback() *DB                                                 { panic("stub") }
func (db *DB) RollbackTo(name string) *DB                                    { panic("stub") }
func (db *DB) Row() *sql.Row                                                 { panic("stub") }
func (db *DB) Rows() (*sql.Rows, error)                                      { panic("stub") }
func (db *DB) Save(value interface{}) (tx *DB)                               { panic("stub") }
func (db *DB) SavePoint(name string) *DB                                     { panic("stub") }
func (db *DB) Scan(dest interface{}) (tx *DB)                                { panic("stub") }
func (db *DB) ScanRows(rows *sql.Rows, dest interface{}) error               { panic("stub") }
func (db *DB) Scopes(funcs ...func(*DB) *DB) (tx *DB)                        { panic("stub") }
func (db *DB) Select(query interface{}, args ...interface{}) (tx *DB)        { panic("stub") }
func (db *DB) Session(config *Session) *DB                                   { panic("stub") }
func (db *DB) Set(key string, value interface{}) *DB                         { panic("stub") }
func (db *DB) SetupJoinTable(model interface{}, field string, joinTable interface{}) error {
	panic("stub")
}
func (db *DB) Table(name string, args ...interface{}) (tx *DB)                       { panic("stub") }
func (db *DB) Take(dest interface{}, conds ...interface{}) (tx *DB)                  { panic("stub") }
func (db *DB) ToSQL(queryFn func(tx *DB) *DB) string                                 { panic("stub") }
func (db *DB) Transaction(fc func(tx *DB) error, opts ...*sql.TxOptions) (err error) { panic("stub") }
func (db *DB) Unscoped() (tx *DB)                                                    { panic("stub") }
func (db *DB) Update(column string, value interface{}) (tx *DB)                      { panic("stub") }
func (db *DB) UpdateColumn(column string, value interface{}) (tx *DB)                { panic("stub") }
func (db *DB) UpdateColumns(values interface{}) (tx *DB)                             { panic("stub") }
func (db *DB) Updates(values interface{}) (tx *DB)                                   { panic("stub") }
func (db *DB) Use(plugin Plugin) error                                               { panic("stub") }
func (db *DB) Where(query interface{}, args ...interface{}) (tx *DB)                 { panic("stub") }
func (db *DB) WithContext(ctx context.Context) *DB                                   { panic("stub") }
