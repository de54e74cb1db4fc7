package dualrun

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
)

// BookkeepingTimeout bounds each of the shim's own statements in a write
// experiment (savepoints, capture reads, the statement savepoints of the
// control). A bookkeeping statement that does not finish in time is
// cancelled; the experiment then treats the connection as broken.
const BookkeepingTimeout = 5 * time.Second

// ControlSingleTransaction makes a write experiment run the control's
// statements in the shim's one transaction as they come, without a
// savepoint per statement. It saves a round trip per control statement, but
// changes what legacy code that relies on autocommit sees: after a
// statement fails, PostgreSQL aborts the transaction, so the control's
// later statements fail too and its earlier ones are rolled back (without
// the shim they would have been committed one by one). Use it only for
// controls that run in a transaction of their own (db.Transaction) or that
// return at their first database error. The shim detects an aborted
// control transaction and says so in the result's Note.
//
// The default (without this option) wraps every top-level control
// statement in a savepoint, so that a failing statement undoes only itself
// and the statements before it are committed, as with autocommit.
func ControlSingleTransaction() Option { return func(c *config) { c.singleTx = true } }

const stmtSavepoint = "ormshift_dualrun_stmt"

// controlPool is the gorm.ConnPool the control of a write experiment runs
// on: the shim's transaction, with
//   - a savepoint around every top-level statement (unless singleTx), so a
//     failing statement does not abort the statements before and after it,
//     as with autocommit;
//   - GORM transactions (db.Begin, db.Transaction, the default transaction
//     of create/update/delete) as savepoints, so they commit into the
//     shim's transaction and roll back as they would on their own;
//   - Commit and Rollback at the top level refused with
//     gorm.ErrInvalidTransaction, as on a plain *sql.DB.
type controlPool struct {
	tx       *sql.Tx
	conn     *sql.Conn
	db       *sql.DB
	bk       context.Context
	singleTx bool

	mu      sync.Mutex
	pending bool // a statement savepoint is open
	seq     int
	open    []*controlTx // GORM transactions not yet committed or rolled back
	err     error        // first bookkeeping failure; wrapping stops after it
}

var (
	_ gorm.ConnPool         = (*controlPool)(nil)
	_ gorm.ConnPoolBeginner = (*controlPool)(nil)
	_ gorm.GetDBConnector   = (*controlPool)(nil)
)

// raw runs f on the pgx connection of the shim's transaction.
func (p *controlPool) raw(f func(pc *pgx.Conn) error) error {
	return rawConn(p.conn, f)
}

func rawConn(conn *sql.Conn, f func(pc *pgx.Conn) error) error {
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("dualrun: write experiments need a database/sql pool on pgx (dualrun.OpenDB), not %T", dc)
		}
		return f(sc.Conn())
	})
}

// bookkeep runs one of the shim's statements, bounded by BookkeepingTimeout
// and not counted against the control.
func (p *controlPool) bookkeep(sql string) error {
	ctx, cancel := context.WithTimeout(p.bk, BookkeepingTimeout)
	defer cancel()
	return p.raw(func(pc *pgx.Conn) error {
		_, err := pc.Exec(ctx, sql)
		return err
	})
}

// settle closes the pending statement savepoint: released when the
// statement succeeded, rolled back (undoing only that statement) when it
// left the transaction aborted. next is sent in the same round trip.
func (p *controlPool) settle(next string) string {
	if !p.pending {
		return next
	}
	p.pending = false
	var status byte
	_ = p.raw(func(pc *pgx.Conn) error { status = pc.PgConn().TxStatus(); return nil })
	s := "RELEASE SAVEPOINT " + stmtSavepoint
	if status == 'E' {
		s = "ROLLBACK TO SAVEPOINT " + stmtSavepoint + "; " + s
	}
	if next != "" {
		s += "; " + next
	}
	return s
}

// before prepares a top-level statement.
func (p *controlPool) before() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.singleTx || p.err != nil || len(p.open) > 0 {
		return
	}
	if err := p.bookkeep(p.settle("SAVEPOINT " + stmtSavepoint)); err != nil {
		p.err = fmt.Errorf("statement savepoint: %w", err)
		return
	}
	p.pending = true
}

// finish settles the last statement savepoint and rolls back GORM
// transactions the control left open (without the shim they would never
// have been committed).
func (p *controlPool) finish() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.open) > 0 && p.err == nil {
		name := p.open[0].name
		p.open = nil
		p.pending = false
		if err := p.bookkeep("ROLLBACK TO SAVEPOINT " + name + "; RELEASE SAVEPOINT " + name); err != nil {
			p.err = fmt.Errorf("roll back a transaction the control left open: %w", err)
		}
	}
	if p.pending && p.err == nil {
		if err := p.bookkeep(p.settle("")); err != nil {
			p.err = fmt.Errorf("statement savepoint: %w", err)
		}
	}
	return p.err
}

func (p *controlPool) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return p.tx.PrepareContext(ctx, query)
}

func (p *controlPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	p.before()
	return p.tx.ExecContext(ctx, query, args...)
}

func (p *controlPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	p.before()
	return p.tx.QueryContext(ctx, query, args...)
}

func (p *controlPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	p.before()
	return p.tx.QueryRowContext(ctx, query, args...)
}

// GetDBConn implements gorm.GetDBConnector (db.DB() on the control's
// handle), as *sql.Tx does: statements sent on it bypass the shim.
func (p *controlPool) GetDBConn() (*sql.DB, error) { return p.db, nil }

// BeginTx starts a GORM transaction as a savepoint of the shim's
// transaction. Isolation level and read-only options cannot change inside
// a transaction and are ignored.
func (p *controlPool) BeginTx(_ context.Context, _ *sql.TxOptions) (gorm.ConnPool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return nil, fmt.Errorf("dualrun: begin: %w", p.err)
	}
	p.seq++
	t := &controlTx{p: p, name: fmt.Sprintf("ormshift_dualrun_tx%d", p.seq)}
	begin := "SAVEPOINT " + t.name
	if len(p.open) == 0 {
		begin = p.settle(begin)
	}
	// Not counted against the control: the shim's translation of BEGIN.
	if err := p.bookkeep(begin); err != nil {
		return nil, err
	}
	p.open = append(p.open, t)
	return t, nil
}

// controlTx is a GORM transaction of the control: a savepoint.
type controlTx struct {
	p    *controlPool
	name string
	done bool
}

var (
	_ gorm.ConnPool    = (*controlTx)(nil)
	_ gorm.TxCommitter = (*controlTx)(nil)
)

func (t *controlTx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return t.p.tx.PrepareContext(ctx, query)
}

func (t *controlTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.p.tx.ExecContext(ctx, query, args...)
}

func (t *controlTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.p.tx.QueryContext(ctx, query, args...)
}

func (t *controlTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.p.tx.QueryRowContext(ctx, query, args...)
}

func (t *controlTx) end(stmt string) error {
	t.p.mu.Lock()
	defer t.p.mu.Unlock()
	if t.done {
		return sql.ErrTxDone
	}
	t.done = true
	for i, o := range t.p.open {
		if o == t {
			t.p.open = t.p.open[:i] // savepoints after it end with it
			break
		}
	}
	return t.p.bookkeep(stmt)
}

// Commit releases the savepoint (the changes stay in the shim's
// transaction, which commits after the control).
func (t *controlTx) Commit() error { return t.end("RELEASE SAVEPOINT " + t.name) }

// Rollback undoes the savepoint.
func (t *controlTx) Rollback() error {
	return t.end("ROLLBACK TO SAVEPOINT " + t.name + "; RELEASE SAVEPOINT " + t.name)
}

// txStatus reads the transaction status of the shim's connection.
func txStatus(conn *sql.Conn) byte {
	var st byte
	if err := rawConn(conn, func(pc *pgx.Conn) error { st = pc.PgConn().TxStatus(); return nil }); err != nil {
		return 0
	}
	return st
}

var errNotPgx = errors.New("dualrun: write experiments need a *sql.DB on pgx's database/sql driver (use dualrun.OpenDB)")
