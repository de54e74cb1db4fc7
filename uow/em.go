package uow

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

type entryState int

const (
	stateNew entryState = iota + 1
	stateManaged
	stateRemoved
)

// entry is the EntityManager's bookkeeping for one entity.
type entry struct {
	meta  *Entity
	ptr   reflect.Value // *T
	val   reflect.Value // T (addressable)
	state entryState
	snap  *snapshot                  // columns at load / last flush; nil when new
	coll  map[*Relation]map[any]bool // many-to-many: target keys at load / last flush (only for loaded collections)
	key   any                        // identity key (comparable), nil when new with a generated key
	seq   int
}

type idKey struct {
	e *Entity
	k any
}

// EntityManager is a unit of work: an identity map of the entities it
// loaded or was given, their snapshots, and what Flush must write. Fork one
// per request; it is not safe for concurrent use.
type EntityManager struct {
	orm   *ORM
	exec  Executor
	root  bool
	byPtr map[any]*entry
	ids   map[idKey]*entry
	seq   int

	tx       pgx.Tx // set inside Transactional
	txDepth  int
	undo     []func() // journal of in-memory changes made by flushes inside Transactional
	lastStat FlushStats
}

func newEM(o *ORM, exec Executor) *EntityManager {
	return &EntityManager{orm: o, exec: exec, byPtr: map[any]*entry{}, ids: map[idKey]*entry{}}
}

// ORM returns the ORM the EntityManager was forked from.
func (em *EntityManager) ORM() *ORM { return em.orm }

// Fork returns a new, empty EntityManager on the same executor.
func (em *EntityManager) Fork() *EntityManager { return newEM(em.orm, em.exec) }

func (em *EntityManager) usable() error {
	if em == nil {
		return ErrNoEntityManager
	}
	if em.root {
		return ErrGlobalContext
	}
	return nil
}

// executor is what statements run on now: the Transactional tx, else the
// EntityManager's executor.
func (em *EntityManager) executor() Executor {
	if em.tx != nil {
		return em.tx
	}
	return em.exec
}

func (em *EntityManager) entityOf(v any) (*Entity, reflect.Value, error) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return nil, reflect.Value{}, fmt.Errorf("uow: entities are passed as non-nil pointers to structs, got %T", v)
	}
	meta, err := em.orm.reg.Lookup(rv.Type())
	if err != nil {
		return nil, reflect.Value{}, err
	}
	return meta, rv, nil
}

// Persist marks new entities for insertion at the next Flush (entities
// already managed are left as they are). New entities reachable from them
// through relations are inserted too (cascade persist).
func (em *EntityManager) Persist(entities ...any) error {
	if err := em.usable(); err != nil {
		return err
	}
	for _, v := range entities {
		meta, rv, err := em.entityOf(v)
		if err != nil {
			return fmt.Errorf("uow: Persist: %w", err)
		}
		if en := em.byPtr[rv.Interface()]; en != nil {
			if en.state == stateRemoved {
				if en.snap == nil {
					en.state = stateNew
				} else {
					en.state = stateManaged
				}
			}
			continue
		}
		if k, ok := keyOf(meta, rv.Elem()); ok {
			if other := em.ids[idKey{meta, k}]; other != nil {
				return fmt.Errorf("uow: Persist: another %s with key %v is already managed by this EntityManager", meta.Name, k)
			}
		}
		em.add(meta, rv, stateNew)
	}
	return nil
}

func (em *EntityManager) add(meta *Entity, rv reflect.Value, st entryState) *entry {
	em.seq++
	en := &entry{meta: meta, ptr: rv, val: rv.Elem(), state: st, seq: em.seq}
	em.byPtr[rv.Interface()] = en
	if st == stateManaged {
		en.key, _ = keyOf(meta, en.val)
		em.ids[idKey{meta, en.key}] = en
		en.snap = takeSnapshot(meta, en.val)
	}
	return en
}

// Remove marks entities for deletion at the next Flush. A new entity that
// was never flushed is simply forgotten. Entities of a type with a
// gorm.DeletedAt field are soft-deleted (deleted_at set), like GORM.
func (em *EntityManager) Remove(entities ...any) error {
	if err := em.usable(); err != nil {
		return err
	}
	for _, v := range entities {
		meta, rv, err := em.entityOf(v)
		if err != nil {
			return fmt.Errorf("uow: Remove: %w", err)
		}
		en := em.byPtr[rv.Interface()]
		if en == nil {
			k, ok := keyOf(meta, rv.Elem())
			if !ok {
				return fmt.Errorf("uow: Remove: %s has no key and is not managed by this EntityManager", meta.Name)
			}
			if other := em.ids[idKey{meta, k}]; other != nil {
				en = other
			} else {
				// A detached entity with a key: manage it as loaded, then remove.
				en = em.add(meta, rv, stateManaged)
			}
		}
		if en.state == stateNew {
			em.forget(en)
			continue
		}
		en.state = stateRemoved
	}
	return nil
}

func (em *EntityManager) forget(en *entry) {
	delete(em.byPtr, en.ptr.Interface())
	if en.key != nil {
		if em.ids[idKey{en.meta, en.key}] == en {
			delete(em.ids, idKey{en.meta, en.key})
		}
	}
}

// Detach stops tracking entities: later changes to them are not flushed.
func (em *EntityManager) Detach(entities ...any) {
	if em == nil {
		return
	}
	for _, v := range entities {
		rv := reflect.ValueOf(v)
		if !rv.IsValid() || rv.Kind() != reflect.Pointer || rv.IsNil() {
			continue
		}
		if en := em.byPtr[rv.Interface()]; en != nil {
			em.forget(en)
		}
	}
}

// Clear detaches every entity: the identity map starts empty again.
func (em *EntityManager) Clear() {
	if em == nil {
		return
	}
	em.byPtr = map[any]*entry{}
	em.ids = map[idKey]*entry{}
}

// IsManaged reports whether entity is tracked by this EntityManager.
func (em *EntityManager) IsManaged(entity any) bool {
	if em == nil {
		return false
	}
	rv := reflect.ValueOf(entity)
	if !rv.IsValid() || rv.Kind() != reflect.Pointer || rv.IsNil() {
		return false
	}
	en := em.byPtr[rv.Interface()]
	return en != nil && en.state != stateRemoved
}

// Refresh reloads a managed entity's columns from the database, discarding
// its unflushed changes. ErrNotFound when the row is gone.
func (em *EntityManager) Refresh(ctx context.Context, entity any) error {
	if err := em.usable(); err != nil {
		return err
	}
	meta, rv, err := em.entityOf(entity)
	if err != nil {
		return fmt.Errorf("uow: Refresh: %w", err)
	}
	k, ok := keyOf(meta, rv.Elem())
	if !ok {
		return fmt.Errorf("uow: Refresh: %s has no key", meta.Name)
	}
	q := &query{meta: meta}
	q.where = append(q.where, keyFilter(meta, rv.Elem()))
	q.limit = 1
	sqlText, args, err := q.selectSQL(nil)
	if err != nil {
		return err
	}
	rows, err := em.executor().Query(ctx, sqlText, args...)
	if err != nil {
		return fmt.Errorf("uow: Refresh %s %v: %w", meta.Name, k, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return fmt.Errorf("uow: Refresh %s %v: %w", meta.Name, k, err)
		}
		return fmt.Errorf("uow: Refresh %s %v: %w", meta.Name, k, ErrNotFound)
	}
	fresh := reflect.New(meta.Type)
	if err := rows.Scan(scanTargets(meta, fresh.Elem())...); err != nil {
		return fmt.Errorf("uow: Refresh %s %v: %w", meta.Name, k, err)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("uow: Refresh %s %v: %w", meta.Name, k, err)
	}
	for _, f := range meta.Fields {
		rv.Elem().FieldByIndex(f.Index).Set(fresh.Elem().FieldByIndex(f.Index))
	}
	if en := em.byPtr[rv.Interface()]; en == nil {
		if other := em.ids[idKey{meta, k}]; other != nil {
			em.forget(other)
		}
		em.add(meta, rv, stateManaged)
	} else {
		en.state = stateManaged
		en.snap = takeSnapshot(meta, en.val)
	}
	return nil
}

// LastFlushStats returns the statistics of the last Flush.
func (em *EntityManager) LastFlushStats() FlushStats {
	if em == nil {
		return FlushStats{}
	}
	return em.lastStat
}

// FlushStats describes one Flush.
type FlushStats struct {
	Inserted   int           // rows inserted
	Updated    int           // rows updated (fix-ups of broken cycles included)
	Deleted    int           // rows deleted (or soft-deleted)
	Statements int           // SQL statements sent, transaction control included
	RoundTrips int           // network round trips (one per batch or query)
	Duration   time.Duration // wall time
}

// Exec runs a raw SQL statement with $n parameters on the EntityManager's
// connection (inside Transactional, in its transaction) and returns the
// number of rows affected. The identity map is not updated: call Refresh or
// Clear if the statement changed managed rows.
func (em *EntityManager) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	if err := em.usable(); err != nil {
		return 0, err
	}
	tag, err := em.executor().Exec(ctx, sql, args...)
	if err != nil {
		return 0, fmt.Errorf("uow: Exec: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Transactional runs fn in a database transaction and flushes the
// EntityManager before committing. Inside fn, queries, Exec and Flush run
// in that transaction. Nested calls use savepoints. If fn returns an error
// or panics, or the final flush fails, the transaction (or savepoint) is
// rolled back and the in-memory effects of flushes made inside it are
// undone (assigned keys, versions, timestamps, snapshots), so the entities
// are dirty again as before. fn's error is returned as is.
func (em *EntityManager) Transactional(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if err := em.usable(); err != nil {
		return err
	}
	var tx pgx.Tx
	if em.tx != nil {
		tx, err = em.tx.Begin(ctx) // savepoint
	} else {
		tx, err = em.exec.Begin(ctx)
	}
	if err != nil {
		return fmt.Errorf("uow: Transactional: begin: %w", err)
	}
	outer, outerUndo := em.tx, em.undo
	em.tx = tx
	em.txDepth++
	em.undo = nil
	committed := false
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("uow: Transactional: panic in fn: %v", r)
		}
		if !committed {
			rbCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			if rerr := tx.Rollback(rbCtx); rerr != nil && !errors.Is(rerr, pgx.ErrTxClosed) {
				err = errors.Join(err, fmt.Errorf("uow: Transactional: rollback: %w", rerr))
			}
			cancel()
			for i := len(em.undo) - 1; i >= 0; i-- {
				em.undo[i]()
			}
			em.undo = outerUndo
		} else if em.txDepth > 1 {
			// keep the journal: the outer transaction may still roll back
			em.undo = append(outerUndo, em.undo...)
		} else {
			em.undo = outerUndo
		}
		em.tx = outer
		em.txDepth--
	}()
	if err = fn(WithEntityManager(ctx, em)); err != nil {
		return err
	}
	if err = em.Flush(ctx); err != nil {
		return err
	}
	if err = tx.Commit(ctx); err != nil {
		return fmt.Errorf("uow: Transactional: commit: %w", err)
	}
	committed = true
	return nil
}

// keyOf returns the identity key of an entity value, false when a key
// column is zero (a new entity whose key the database will generate).
func keyOf(meta *Entity, v reflect.Value) (any, bool) {
	if len(meta.PrimaryKey) == 1 {
		fv := v.FieldByIndex(meta.PrimaryKey[0].Index)
		if fv.IsZero() {
			return nil, false
		}
		return normKey(fv), true
	}
	var b strings.Builder
	for i, f := range meta.PrimaryKey {
		fv := v.FieldByIndex(f.Index)
		if fv.IsZero() && f.Generated {
			return nil, false
		}
		if i > 0 {
			b.WriteByte(0)
		}
		fmt.Fprintf(&b, "%v", normKey(fv))
	}
	return b.String(), true
}

// normKey makes a key value comparable and independent of the exact
// integer type, so Get(ctx, em, 5) finds the Package whose ID is uint(5).
func normKey(v reflect.Value) any {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u := v.Uint()
		if u <= 1<<63-1 {
			return int64(u)
		}
		return u
	case reflect.String:
		return v.String()
	}
	if v.Type().Comparable() {
		return v.Interface()
	}
	return fmt.Sprintf("%v", v.Interface())
}
