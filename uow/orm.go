// Package uow is a unit-of-work runtime on PostgreSQL and pgx, in the
// manner of MikroORM: an ORM holds the entity metadata and a connection
// pool; each request forks an EntityManager with its own identity map;
// entities loaded through it are change-tracked against a snapshot; Flush
// writes every change in one transaction, in foreign-key order, batched in a
// small constant number of round trips.
//
//	orm, err := uow.Open(pool, &Package{}, &Version{})
//	em := orm.Fork()
//	p, err := uow.FindOneOrFail[Package](ctx, em, uow.Eq("name", "left-pad"))
//	p.WeeklyDownloads++
//	err = em.Flush(ctx) // UPDATE "packages" SET "weekly_downloads" = ..., "updated_at" = ...
//
// Entity metadata follows GORM's defaults (see package naming), so legacy
// GORM models are entities unchanged. An EntityManager is not safe for
// concurrent use: fork one per request or goroutine.
package uow

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Executor is what an ORM or EntityManager runs on: *pgxpool.Pool, *pgx.Conn
// and pgx.Tx all satisfy it.
type Executor interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	Begin(ctx context.Context) (pgx.Tx, error)
	CopyFrom(ctx context.Context, tableName pgx.Identifier, columnNames []string, rowSrc pgx.CopyFromSource) (int64, error)
}

var (
	_ Executor = (*pgxpool.Pool)(nil)
	_ Executor = (*pgx.Conn)(nil)
	_ Executor = (pgx.Tx)(nil)
)

// ORM holds the entity metadata and the executor. It is safe for concurrent
// use; the EntityManagers it forks are not.
type ORM struct {
	exec Executor
	reg  *Registry
	root *EntityManager
	now  func() time.Time

	driverErrText bool // DBError.Error is the driver's message alone

	catMu   sync.Mutex
	catalog map[string]*tableInfo // table -> catalog facts, loaded on first flush
}

// Option configures an ORM.
type Option func(*ORM)

// WithNowFunc sets the clock used for CreatedAt/UpdatedAt (default:
// time.Now truncated to microseconds, PostgreSQL's precision).
func WithNowFunc(now func() time.Time) Option { return func(o *ORM) { o.now = now } }

// WithDriverErrorText makes database errors read as the driver's message
// alone ("ERROR: duplicate key value violates unique constraint ...
// (SQLSTATE 23505)"), as GORM and database/sql return them, instead of
// "uow: Flush: insert 1 Package row(s) into packages: ERROR: ...". Use it
// while cutting over from GORM when logs, alerts, API responses or tests
// match on error text; the runtime's context stays available through
// errors.As(err, **DBError), and errors.As still finds the driver's error.
func WithDriverErrorText() Option { return func(o *ORM) { o.driverErrText = true } }

// Open builds the metadata of the given entity types (struct values or
// pointers, e.g. &Package{}) and returns an ORM on pool. Errors name the
// struct and field at fault. Entities reachable through relations are
// registered too.
func Open(pool *pgxpool.Pool, entities ...any) (*ORM, error) {
	if pool == nil {
		return nil, fmt.Errorf("uow.Open: nil pool")
	}
	return OpenOn(pool, entities...)
}

// OpenOn is Open on any Executor: an existing *pgx.Conn, or a pgx.Tx (the
// dual-run shim runs candidate code inside the caller's transaction; a
// Flush there uses a savepoint instead of BEGIN/COMMIT).
func OpenOn(exec Executor, entities ...any) (*ORM, error) {
	return OpenWith(exec, entities)
}

// OpenWith is OpenOn with options.
func OpenWith(exec Executor, entities []any, opts ...Option) (*ORM, error) {
	if exec == nil {
		return nil, fmt.Errorf("uow.Open: nil executor")
	}
	if len(entities) == 0 {
		return nil, fmt.Errorf("uow.Open: no entity types given")
	}
	reg, err := Parse(entities...)
	if err != nil {
		return nil, err
	}
	o := &ORM{exec: exec, reg: reg, catalog: map[string]*tableInfo{}}
	o.now = func() time.Time { return time.Now().Truncate(time.Microsecond) }
	for _, opt := range opts {
		opt(o)
	}
	o.root = newEM(o, exec)
	o.root.root = true
	return o, nil
}

// Registry returns the entity metadata.
func (o *ORM) Registry() *Registry { return o.reg }

// Metadata returns the metadata of one entity type (a value, pointer or
// reflect.Type).
func (o *ORM) Metadata(entity any) (*Entity, error) { return o.reg.Lookup(entity) }

// Executor returns what the ORM runs on.
func (o *ORM) Executor() Executor { return o.exec }

// EntityManager returns the root EntityManager. It can Fork but refuses
// queries and flushes (ErrGlobalContext): a shared identity map would leak
// entities between requests.
func (o *ORM) EntityManager() *EntityManager { return o.root }

// Fork returns a new request-scoped EntityManager with an empty identity
// map, running on the ORM's executor.
func (o *ORM) Fork() *EntityManager { return newEM(o, o.exec) }

// ForkOn returns a new EntityManager that runs on exec instead of the ORM's
// executor, e.g. the pgx.Tx of a legacy code path. Its Flush uses a
// savepoint when exec is in a transaction.
func (o *ORM) ForkOn(exec Executor) *EntityManager {
	if exec == nil {
		exec = o.exec
	}
	return newEM(o, exec)
}

type emKey struct{}

// WithEntityManager returns a context carrying em.
func WithEntityManager(ctx context.Context, em *EntityManager) context.Context {
	return context.WithValue(ctx, emKey{}, em)
}

// FromContext returns the EntityManager carried by ctx, or nil. Queries and
// flushes given a nil EntityManager fail with ErrNoEntityManager.
func FromContext(ctx context.Context) *EntityManager {
	em, _ := ctx.Value(emKey{}).(*EntityManager)
	return em
}

// EntityManagerFrom returns the EntityManager carried by ctx, or
// ErrNoEntityManager.
func EntityManagerFrom(ctx context.Context) (*EntityManager, error) {
	if em := FromContext(ctx); em != nil {
		return em, nil
	}
	return nil, ErrNoEntityManager
}

// MiddlewareOption configures Middleware.
type MiddlewareOption func(*mwConfig)

type mwConfig struct {
	flush   bool
	onError func(w http.ResponseWriter, r *http.Request, err error)
}

// FlushOnSuccess makes Middleware flush the request's EntityManager after
// the handler returns with a status below 400 (the status the handler
// wrote, 200 if it wrote none). A failed flush is passed to the OnError
// handler (by default: logged, and a 500 sent if nothing was written yet).
// To make a flush failure reach the client reliably, flush in the handler
// before writing the response; the middleware flush of an already flushed
// EntityManager costs nothing.
func FlushOnSuccess() MiddlewareOption { return func(c *mwConfig) { c.flush = true } }

// OnFlushError sets what Middleware does when the end-of-request flush
// fails.
func OnFlushError(fn func(w http.ResponseWriter, r *http.Request, err error)) MiddlewareOption {
	return func(c *mwConfig) { c.onError = fn }
}

// Middleware forks an EntityManager per request and puts it in the
// request's context (FromContext); see FlushOnSuccess.
func Middleware(orm *ORM, opts ...MiddlewareOption) func(http.Handler) http.Handler {
	cfg := &mwConfig{}
	for _, o := range opts {
		o(cfg)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			em := orm.Fork()
			ctx := WithEntityManager(r.Context(), em)
			sw := &statusWriter{ResponseWriter: w}
			next.ServeHTTP(sw, r.WithContext(ctx))
			if !cfg.flush || sw.status >= 400 {
				return
			}
			if err := em.Flush(ctx); err != nil {
				if cfg.onError != nil {
					cfg.onError(w, r, err)
					return
				}
				slog.ErrorContext(ctx, "uow: end-of-request flush failed", "method", r.Method, "path", r.URL.Path, "err", err)
				if sw.status == 0 {
					http.Error(w, "internal server error", http.StatusInternalServerError)
				}
			}
		})
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
