package uow

import (
	"errors"
	"fmt"
)

var (
	// ErrNotFound is returned (wrapped, with the entity and the filter or
	// key) by FindOneOrFail and Get when no row matches.
	ErrNotFound = errors.New("uow: entity not found")

	// ErrStaleVersion is returned (wrapped in a *StaleVersionError naming
	// the entity and key) by Flush when an optimistic-locking version check
	// fails: the row changed or was deleted since it was loaded.
	ErrStaleVersion = errors.New("uow: stale version")

	// ErrNoEntityManager is returned when a query or flush is given a nil
	// EntityManager, typically because FromContext found none.
	ErrNoEntityManager = errors.New("uow: no EntityManager (use ORM.Fork, Middleware or WithEntityManager)")

	// ErrGlobalContext is returned when the root EntityManager of an ORM is
	// used for queries or flushes: its identity map would be shared by every
	// request. Fork one per request or unit of work (MikroORM's rule).
	ErrGlobalContext = errors.New("uow: the ORM's root EntityManager cannot be used for queries or flushes; call orm.Fork() per request")

	// ErrUnknownEntity is returned for a type that was not passed to Open.
	ErrUnknownEntity = errors.New("uow: unknown entity type")

	// ErrUnknownField is returned when a filter, ordering or populate names
	// a field or column that the entity does not have. The name is never
	// sent to the database.
	ErrUnknownField = errors.New("uow: unknown field")
)

// StaleVersionError reports an optimistic-locking failure during Flush.
// errors.Is(err, ErrStaleVersion) holds.
type StaleVersionError struct {
	Entity  string // Go struct name
	Table   string
	Key     any // primary key value (a []any for composite keys)
	Version any // the version the EntityManager expected
	Op      string
}

func (e *StaleVersionError) Error() string {
	return fmt.Sprintf("uow: stale version: %s %s (table %s, key %v) expected version %v: the row was changed or deleted by someone else since it was loaded",
		e.Op, e.Entity, e.Table, e.Key, e.Version)
}

// Unwrap makes errors.Is(err, ErrStaleVersion) true.
func (e *StaleVersionError) Unwrap() error { return ErrStaleVersion }

// MetadataError names the struct and field whose metadata is wrong.
type MetadataError struct {
	Struct string
	Field  string
	Msg    string
}

func (e *MetadataError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("uow: entity %s: %s", e.Struct, e.Msg)
	}
	return fmt.Sprintf("uow: entity %s, field %s: %s", e.Struct, e.Field, e.Msg)
}

// DBError is an error from the database or the connection to it, with
// what the runtime was doing when it happened. errors.As still finds the
// driver's error underneath (a *pgconn.PgError for a constraint violation,
// say), so checks on SQLSTATE codes work as they did with GORM.
//
// By default Error reads "uow: <Op>: <driver message>". An ORM opened with
// WithDriverErrorText reads as the driver's message alone, as GORM and
// database/sql return it; Op stays available through errors.As.
type DBError struct {
	Op  string // e.g. "Flush: insert 1 Package row(s) into packages", "Find Package"
	Err error  // the driver's error

	bare bool
}

func (e *DBError) Error() string {
	if e.bare {
		return e.Err.Error()
	}
	return "uow: " + e.Op + ": " + e.Err.Error()
}

// Unwrap returns the driver's error.
func (e *DBError) Unwrap() error { return e.Err }

// dbError wraps a database error with what the runtime was doing.
func (o *ORM) dbError(op string, err error) error {
	return &DBError{Op: op, Err: err, bare: o.driverErrText}
}

// withRollback adds a failed rollback's error to err. By default both
// texts are shown (errors.Join); with WithDriverErrorText only err's, as
// GORM drops a rollback's error. Both stay reachable through errors.Is/As.
func (o *ORM) withRollback(err, rerr error) error {
	if err == nil {
		return rerr
	}
	if o.driverErrText {
		return &rollbackJoin{errs: []error{err, rerr}}
	}
	return errors.Join(err, rerr)
}

// rollbackJoin reads as its first error and unwraps to both.
type rollbackJoin struct{ errs []error }

func (e *rollbackJoin) Error() string   { return e.errs[0].Error() }
func (e *rollbackJoin) Unwrap() []error { return e.errs }
