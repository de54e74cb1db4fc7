package dualrun

import (
	"context"
	"database/sql"
	"fmt"

	"gorm.io/gorm"
)

// Legacy code often writes through a package-level *gorm.DB rather than a
// handle it is given. Under a write experiment such statements would run
// on another connection than the shim's: outside its transaction, not
// captured, committed at once (the run is then marked ignored). Routing
// fixes that: a *gorm.DB with the Router plugin sends the statements made
// with the context of a write experiment's control (db.WithContext(ctx),
// with the ctx the control was given or one derived from it) to the
// control's connection and transaction, exactly as if the control had used
// the handle the shim passes it; every other statement goes to the
// handle's own pool, unchanged.
//
//	store.DB, _ = gorm.Open(postgres.New(...), &gorm.Config{})
//	_ = store.DB.Use(dualrun.Router())
//
// Statements made without that context (context.Background(), a context
// from elsewhere) are not routed: the shim still detects them when they
// carry the request's context, and marks the run ignored.

// Router returns the GORM plugin that routes a handle's statements made
// under a write experiment's control to the control's connection.
func Router() gorm.Plugin { return routerPlugin{} }

type routerPlugin struct{}

func (routerPlugin) Name() string { return "ormshift-dualrun-router" }

func (routerPlugin) Initialize(db *gorm.DB) error {
	if db.ConnPool == nil {
		return fmt.Errorf("dualrun.Router: the *gorm.DB has no connection pool")
	}
	if _, done := db.ConnPool.(*router); done {
		return nil
	}
	r := &router{base: db.ConnPool}
	db.ConnPool = r
	if db.Statement != nil {
		db.Statement.ConnPool = r
	}
	return nil
}

// controlKey marks the context of a write experiment's control with its
// connection pool.
type controlKey struct{}

func withControlPool(ctx context.Context, p *controlPool) context.Context {
	return context.WithValue(ctx, controlKey{}, p)
}

// router is the gorm.ConnPool installed by Router.
type router struct {
	base gorm.ConnPool
}

var (
	_ gorm.ConnPool         = (*router)(nil)
	_ gorm.ConnPoolBeginner = (*router)(nil)
	_ gorm.GetDBConnector   = (*router)(nil)
)

// pool is where a statement made with ctx goes.
func (r *router) pool(ctx context.Context) gorm.ConnPool {
	if ctx != nil {
		if p, ok := ctx.Value(controlKey{}).(*controlPool); ok {
			return p
		}
	}
	return r.base
}

func (r *router) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return r.pool(ctx).PrepareContext(ctx, query)
}

func (r *router) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return r.pool(ctx).ExecContext(ctx, query, args...)
}

func (r *router) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return r.pool(ctx).QueryContext(ctx, query, args...)
}

func (r *router) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return r.pool(ctx).QueryRowContext(ctx, query, args...)
}

// BeginTx starts a GORM transaction: a savepoint in the control's
// transaction under an experiment, else one on the handle's own pool.
func (r *router) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	switch b := r.pool(ctx).(type) {
	case gorm.TxBeginner:
		tx, err := b.BeginTx(ctx, opts)
		if err != nil {
			return nil, err
		}
		return tx, nil
	case gorm.ConnPoolBeginner:
		return b.BeginTx(ctx, opts)
	}
	return nil, gorm.ErrInvalidTransaction
}

// GetDBConn is the handle's own *sql.DB (db.DB()).
func (r *router) GetDBConn() (*sql.DB, error) {
	switch b := r.base.(type) {
	case *sql.DB:
		return b, nil
	case gorm.GetDBConnector:
		return b.GetDBConn()
	}
	return nil, gorm.ErrInvalidDB
}
