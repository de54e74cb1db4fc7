// Package gorm is a stub of gorm.io/gorm v1.31.2 for analyzer tests: every
// method the legacy API table lists, with GORM's exact signatures.
package gorm

import (
	"context"
	"database/sql"
	"errors"

	"gorm.io/gorm/clause"
)

var ErrRecordNotFound = errors.New("record not found")

type Config struct{}

type Option interface{}

type Dialector interface{}

type Plugin interface{ Name() string }

type Session struct {
	DryRun      bool
	NewDB       bool
	SkipHooks   bool
	Context     context.Context
	QueryFields bool
}

type Statement struct {
	*DB
	Table string
	Model interface{}
	Dest  interface{}
}

type DB struct {
	*Config
	Error        error
	RowsAffected int64
	Statement    *Statement
}

type Association struct {
	DB    *DB
	Error error
}

func (association *Association) Find(out interface{}, conds ...interface{}) error { panic("stub") }
func (association *Association) Append(values ...interface{}) error               { panic("stub") }
func (association *Association) Replace(values ...interface{}) error              { panic("stub") }
func (association *Association) Delete(values ...interface{}) error               { panic("stub") }
func (association *Association) Clear() error                                     { panic("stub") }
func (association *Association) Count() (count int64)                             { panic("stub") }

type Migrator interface {
	AutoMigrate(dst ...interface{}) error
	CreateTable(dst ...interface{}) error
	DropTable(dst ...interface{}) error
	HasTable(dst interface{}) bool
}

type callbacks struct{}

type DeletedAt sql.NullTime

type Model struct {
	ID        uint `gorm:"primarykey"`
	DeletedAt DeletedAt
}

func Open(dialector Dialector, opts ...Option) (db *DB, err error) { panic("stub") }

func Expr(expr string, args ...interface{}) clause.Expr { panic("stub") }

func (n *DeletedAt) Scan(value interface{}) error { panic("stub") }
