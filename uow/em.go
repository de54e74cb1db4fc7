package uow

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"
	"unsafe"

	"github.com/jackc/pgx/v5"
)

type entryState uint8

const (
	stateNew entryState = iota + 1
	stateManaged
	stateRemoved
)

// entry is the EntityManager's bookkeeping for one entity, kept small (one
// per managed entity): the entity is held as a *T only, its T being
// derived from that (val).
type entry struct {
	meta  *Entity
	ptr   reflect.Value               // *T; the zero Value for a placeholder of a key
	snap  *snapshot                   // columns at load / last flush; nil when new
	coll  map[*Relation]map[ekey]bool // many-to-many: target keys at load / last flush (only for loaded collections)
	key   ekey                        // identity key, zero when new with a generated key
	seq   int
	state entryState // next to inSlot: both fit in one word
	// inSlot: this entry is a slot of a slabSpan and maps its entity's
	// address in the identity map (see metaIndex).
	inSlot bool
}

// metaIndex is the identity map of one entity type: entities by address,
// and managed ones by key, integer keys (the common case) in a map of
// their own. One level per type keeps every key 8 bytes wide, which Go's
// maps hash fastest; two entities may share an address only if they are of
// different types (a struct-valued relation as the first field of another
// entity).
//
// By address, entities loaded from rows (allocated in chunks, see
// slabSpan) are found through the entry slots parallel to their chunk,
// which saves a map insert per loaded entity; other entities (the user's)
// are in ptrs. An address has at most one entry: in its slot (inSlot set)
// or in ptrs.
type metaIndex struct {
	ptrs   map[unsafe.Pointer]*entry
	spans  []*slabSpan // chunks of loaded entities, by base address
	nSlots int         // entries with inSlot set
	ints   map[int64]*entry
	other  map[ekey]*entry
	room   int // capacity ints was made with (reserve)
}

// idx returns the index of meta, created on first use.
func (em *EntityManager) idx(meta *Entity) *metaIndex {
	x := em.index[meta]
	if x == nil {
		x = &metaIndex{ptrs: map[unsafe.Pointer]*entry{}, ints: map[int64]*entry{}, other: map[ekey]*entry{}}
		em.index[meta] = x
	}
	return x
}

// addSpan registers a chunk of loaded entities (idempotent).
func (x *metaIndex) addSpan(s *slabSpan) {
	i, found := slices.BinarySearchFunc(x.spans, s, func(a, b *slabSpan) int {
		return cmp.Compare(uintptr(a.base), uintptr(b.base))
	})
	if !found {
		x.spans = slices.Insert(x.spans, i, s)
	}
}

// spanOf returns the chunk of loaded entities p points into, or nil.
func (x *metaIndex) spanOf(p unsafe.Pointer) *slabSpan {
	spans := x.spans
	// The last span whose base is at or below p.
	i := sort.Search(len(spans), func(i int) bool { return uintptr(spans[i].base) > uintptr(p) }) - 1
	if i >= 0 && spans[i].contains(p) {
		return spans[i]
	}
	return nil
}

// getPtr returns the entry of the entity at p, or nil.
func (x *metaIndex) getPtr(p unsafe.Pointer) *entry {
	if s := x.spanOf(p); s != nil {
		if en := s.slot(p); en.inSlot {
			return en
		}
	}
	return x.ptrs[p]
}

// setPtr maps p to en: in p's slot when en is that slot, else in ptrs.
func (x *metaIndex) setPtr(p unsafe.Pointer, en *entry) {
	if s := x.spanOf(p); s != nil {
		slot := s.slot(p)
		if slot == en {
			if !slot.inSlot {
				slot.inSlot = true
				x.nSlots++
			}
			delete(x.ptrs, p)
			return
		}
		x.clearSlot(slot)
	}
	x.ptrs[p] = en
}

// delPtr unmaps p.
func (x *metaIndex) delPtr(p unsafe.Pointer) {
	if s := x.spanOf(p); s != nil {
		x.clearSlot(s.slot(p))
	}
	delete(x.ptrs, p)
}

func (x *metaIndex) clearSlot(slot *entry) {
	if slot.inSlot {
		slot.inSlot = false
		x.nSlots--
	}
}

// newEntry returns the entry to use for a new entity at p: its slot when p
// is a loaded entity whose slot was never used, else a fresh one from a.
// (A slot is used once only: an entry forgotten inside Transactional may
// be restored by a rollback, so it is never recycled for another.)
func (x *metaIndex) newEntry(a *allocator, p unsafe.Pointer) *entry {
	if s := x.spanOf(p); s != nil {
		if slot := s.slot(p); slot.meta == nil {
			return slot
		}
	}
	return a.entry()
}

func (x *metaIndex) get(k ekey) *entry {
	if k.isInt() {
		return x.ints[k.n]
	}
	return x.other[k]
}

func (x *metaIndex) set(k ekey, en *entry) {
	if k.isInt() {
		x.ints[k.n] = en
		return
	}
	x.other[k] = en
}

func (x *metaIndex) del(k ekey) {
	if k.isInt() {
		delete(x.ints, k.n)
		return
	}
	delete(x.other, k)
}

func (em *EntityManager) lookupID(meta *Entity, k ekey) *entry {
	if x := em.index[meta]; x != nil {
		return x.get(k)
	}
	return nil
}

func (em *EntityManager) setID(meta *Entity, k ekey, en *entry) { em.idx(meta).set(k, en) }

func (em *EntityManager) delID(meta *Entity, k ekey) { em.idx(meta).del(k) }

// byPtr returns the entry of the entity of type meta at rv (a pointer).
func (em *EntityManager) byPtr(meta *Entity, rv reflect.Value) *entry {
	if x := em.index[meta]; x != nil {
		return x.getPtr(rv.UnsafePointer())
	}
	return nil
}

func (en *entry) addr() unsafe.Pointer {
	if !en.ptr.IsValid() {
		return nil
	}
	return en.ptr.UnsafePointer()
}

// val is the entity as an addressable T; the zero Value for a placeholder.
func (en *entry) val() reflect.Value {
	if !en.ptr.IsValid() {
		return reflect.Value{}
	}
	return en.ptr.Elem()
}

// size is the number of entities in the identity map.
func (em *EntityManager) size() int {
	n := 0
	for _, x := range em.index {
		n += len(x.ptrs) + x.nSlots
	}
	return n
}

// each calls fn for every entity in the identity map, in no order.
func (em *EntityManager) each(fn func(en *entry)) {
	for _, x := range em.index {
		for _, s := range x.spans {
			for i := range s.entries {
				if en := &s.entries[i]; en.inSlot {
					fn(en)
				}
			}
		}
		for _, en := range x.ptrs {
			fn(en)
		}
	}
}

// lookupPtr finds the entry of the entity at rv (a pointer), whatever its
// type; nil when it is not an entity or not managed.
func (em *EntityManager) lookupPtr(rv reflect.Value) *entry {
	meta := em.orm.reg.byType[rv.Type().Elem()]
	if meta == nil {
		return nil
	}
	return em.byPtr(meta, rv)
}

// EntityManager is a unit of work: an identity map of the entities it
// loaded or was given, their snapshots, and what Flush must write. Fork one
// per request; it is not safe for concurrent use.
type EntityManager struct {
	orm   *ORM
	exec  Executor
	root  bool
	index map[*Entity]*metaIndex
	seq   int

	mem  allocator // entities loaded and snapshots, in chunks
	room int       // capacity the identity maps were made with (reserve)

	tx       pgx.Tx // set inside Transactional
	txDepth  int
	undo     []func() // journal of in-memory changes made by flushes inside Transactional
	lastStat FlushStats
}

func newEM(o *ORM, exec Executor) *EntityManager {
	return &EntityManager{orm: o, exec: exec, index: map[*Entity]*metaIndex{}}
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
		if en := em.byPtr(meta, rv); en != nil {
			if en.state == stateRemoved {
				em.remember(en)
				if en.snap == nil {
					en.state = stateNew
				} else {
					en.state = stateManaged
				}
			}
			continue
		}
		if k, ok := keyOf(meta, rv.Elem()); ok {
			if other := em.lookupID(meta, k); other != nil {
				return fmt.Errorf("uow: Persist: another %s with key %v is already managed by this EntityManager", meta.Name, k)
			}
		}
		em.add(meta, rv, stateNew)
	}
	return nil
}

func (em *EntityManager) add(meta *Entity, rv reflect.Value, st entryState) *entry {
	var k ekey
	if st == stateManaged {
		k, _ = keyOf(meta, rv.Elem())
	}
	return em.addKeyed(meta, rv, st, k)
}

// addKeyed is add with the key of a managed entity already computed.
func (em *EntityManager) addKeyed(meta *Entity, rv reflect.Value, st entryState, k ekey) *entry {
	em.seq++
	x := em.idx(meta)
	p := rv.UnsafePointer()
	en := x.newEntry(&em.mem, p)
	// en is zero (entries are never recycled): set only what is not.
	en.meta, en.ptr, en.state, en.seq = meta, rv, st, em.seq
	em.remember(en) // not mapped yet: a rollback of Transactional unmaps it
	x.setPtr(p, en)
	if st == stateManaged {
		en.key = k
		x.set(en.key, en)
		en.snap = takeSnapshotIn(&em.mem, meta, en.val())
	}
	return en
}

// reserve makes room in meta's key map for n more entities at once,
// rather than letting it grow step by step during a large load (loaded
// entities are found by address through their chunk: no map to grow).
func (em *EntityManager) reserve(meta *Entity, n int) {
	x := em.idx(meta)
	need := len(x.ints) + n
	if n < 256 || need <= x.room {
		return
	}
	ints := make(map[int64]*entry, need)
	for k, v := range x.ints {
		ints[k] = v
	}
	x.ints, x.room = ints, need
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
		en := em.byPtr(meta, rv)
		if en == nil {
			k, ok := keyOf(meta, rv.Elem())
			if !ok {
				return fmt.Errorf("uow: Remove: %s has no key and is not managed by this EntityManager", meta.Name)
			}
			if other := em.lookupID(meta, k); other != nil {
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
		em.remember(en)
		en.state = stateRemoved
	}
	return nil
}

func (em *EntityManager) forget(en *entry) {
	em.remember(en)
	em.idx(en.meta).delPtr(en.addr())
	if en.key.valid() {
		if em.lookupID(en.meta, en.key) == en {
			em.delID(en.meta, en.key)
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
		if en := em.lookupPtr(rv); en != nil {
			em.forget(en)
		}
	}
}

// Clear detaches every entity: the identity map starts empty again.
func (em *EntityManager) Clear() {
	if em == nil {
		return
	}
	if em.txDepth > 0 {
		index := em.index
		em.undo = append(em.undo, func() { em.index = index })
	}
	em.index = map[*Entity]*metaIndex{}
	em.mem = allocator{} // let the chunks of forgotten entities go
}

// remember journals en's bookkeeping (state, snapshot, key, collections,
// whether it is in the identity map) so that a rollback of the enclosing
// Transactional restores it. Outside Transactional it does nothing.
func (em *EntityManager) remember(en *entry) {
	if em.txDepth == 0 {
		return
	}
	ptr := en.addr()
	state, snap, key := en.state, en.snap, en.key
	var coll map[*Relation]map[ekey]bool
	if en.coll != nil {
		coll = make(map[*Relation]map[ekey]bool, len(en.coll))
		for r, set := range en.coll {
			coll[r] = set // sets are replaced, never edited in place
		}
	}
	inPtr := em.idx(en.meta).getPtr(ptr) == en
	inIDs := key.valid() && em.lookupID(en.meta, key) == en
	em.undo = append(em.undo, func() {
		x := em.idx(en.meta)
		if x.getPtr(ptr) == en {
			x.delPtr(ptr)
		}
		if en.key.valid() && em.lookupID(en.meta, en.key) == en {
			em.delID(en.meta, en.key)
		}
		en.state, en.snap, en.key, en.coll = state, snap, key, coll
		if inPtr {
			x.setPtr(ptr, en)
		}
		if inIDs {
			em.setID(en.meta, key, en)
		}
	})
}

// rememberFields journals the column values of the entity at rv so that a
// rollback of the enclosing Transactional restores them.
func (em *EntityManager) rememberFields(meta *Entity, rv reflect.Value) {
	if em.txDepth == 0 {
		return
	}
	v := rv.Elem()
	old := reflect.New(meta.Type).Elem()
	old.Set(v)
	em.undo = append(em.undo, func() {
		for _, f := range meta.Fields {
			v.FieldByIndex(f.Index).Set(old.FieldByIndex(f.Index))
		}
	})
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
	en := em.lookupPtr(rv)
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
		return em.orm.dbError(fmt.Sprintf("Refresh %s %v", meta.Name, k), err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return em.orm.dbError(fmt.Sprintf("Refresh %s %v", meta.Name, k), err)
		}
		return fmt.Errorf("uow: Refresh %s %v: %w", meta.Name, k, ErrNotFound)
	}
	fresh := reflect.New(meta.Type)
	if err := rows.Scan(scanTargets(meta, fresh.Elem())...); err != nil {
		return em.orm.dbError(fmt.Sprintf("Refresh %s %v", meta.Name, k), err)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return em.orm.dbError(fmt.Sprintf("Refresh %s %v", meta.Name, k), err)
	}
	em.rememberFields(meta, rv)
	for _, f := range meta.Fields {
		rv.Elem().FieldByIndex(f.Index).Set(fresh.Elem().FieldByIndex(f.Index))
	}
	en := em.byPtr(meta, rv)
	if other := em.lookupID(meta, k); other != nil && other != en {
		em.forget(other) // this object is the managed one for the row from now on
	}
	if en == nil {
		em.add(meta, rv, stateManaged)
		return nil
	}
	em.remember(en)
	if en.key.valid() && en.key != k && em.lookupID(meta, en.key) == en {
		em.delID(meta, en.key)
	}
	en.state = stateManaged
	en.key = k
	em.setID(meta, k, en)
	en.snap = takeSnapshotIn(&em.mem, meta, en.val())
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
		return 0, em.orm.dbError("Exec", err)
	}
	return tag.RowsAffected(), nil
}

// Transactional runs fn in a database transaction and flushes the
// EntityManager before committing. Inside fn, queries, Exec and Flush run
// in that transaction. Nested calls use savepoints. If fn returns an error
// or panics, or the final flush fails, the transaction (or savepoint) is
// rolled back and the EntityManager is as it was before Transactional
// began: entities persisted, loaded or cascaded inside are no longer
// managed, entities removed or detached inside (or by Clear) are managed
// again, and what flushes, Refresh and Upsert did inside is undone
// (assigned keys, versions, timestamps, snapshots), so entities dirty
// before are dirty again. Edits made to entity fields by fn itself are not
// undone. fn's error is returned as is.
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
		return em.orm.dbError("Transactional: begin", err)
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
				err = em.orm.withRollback(err, fmt.Errorf("uow: Transactional: rollback: %w", rerr))
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
		return em.orm.dbError("Transactional: commit", err)
	}
	committed = true
	return nil
}

// ekey is an identity key, comparable and built without allocating for
// integer and string keys: n holds an integer key (of any integer type, so
// Get(ctx, em, 5) finds the Package whose ID is uint(5)), s a string key or
// a rendered composite key, x any other comparable key (a UUID array). The
// zero ekey is "no key".
type ekey struct {
	n int64
	s string
	x any
	u bool // n holds a uint64 above MaxInt64, bit for bit
}

func (k ekey) valid() bool { return k != ekey{} }

func (k ekey) isInt() bool { return k.s == "" && k.x == nil && !k.u }

// value is the key as a value to bind in a statement (single-column keys).
func (k ekey) value() any {
	switch {
	case k.x != nil:
		return k.x
	case k.s != "":
		return k.s
	case k.u:
		return uint64(k.n)
	}
	return k.n
}

func (k ekey) String() string { return fmt.Sprint(k.value()) }

// keyOf returns the identity key of an entity value, false when a key
// column is zero (a new entity whose key the database will generate).
func keyOf(meta *Entity, v reflect.Value) (ekey, bool) {
	if len(meta.PrimaryKey) == 1 {
		if k, ok := plainIntKey(meta.PrimaryKey[0], v); ok {
			return k, k.valid()
		}
		fv := v.FieldByIndex(meta.PrimaryKey[0].Index)
		if fv.IsZero() {
			return ekey{}, false
		}
		k := normKey(fv)
		return k, k.valid()
	}
	var b strings.Builder
	for i, f := range meta.PrimaryKey {
		fv := v.FieldByIndex(f.Index)
		if fv.IsZero() && f.Generated {
			return ekey{}, false
		}
		if i > 0 {
			b.WriteByte(0)
		}
		fmt.Fprintf(&b, "%v", normKey(fv).value())
	}
	return ekey{s: b.String()}, true
}

// normKey makes a key value comparable and independent of the exact
// integer type.
func normKey(v reflect.Value) ekey {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ekey{}
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return ekey{n: v.Int()}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u := v.Uint()
		return ekey{n: int64(u), u: u > 1<<63-1}
	case reflect.String:
		return ekey{s: v.String()}
	}
	if v.Type().Comparable() {
		return ekey{x: v.Interface()}
	}
	return ekey{s: fmt.Sprintf("%v", v.Interface())}
}

// plainIntKey is normKey of field f of the entity value v when f is a
// plain integer field (Field.dst) and v addressable, read at the field's
// offset without reflection (keys are read for every row loaded); ok is
// false otherwise.
func plainIntKey(f *Field, v reflect.Value) (k ekey, ok bool) {
	if f.dst < dstInt || f.dst > dstUint8 || !v.CanAddr() {
		return ekey{}, false
	}
	p := unsafe.Add(unsafe.Pointer(v.UnsafeAddr()), f.offset)
	var u uint64
	switch f.dst {
	case dstInt:
		return ekey{n: int64(*(*int)(p))}, true
	case dstInt64:
		return ekey{n: *(*int64)(p)}, true
	case dstInt32:
		return ekey{n: int64(*(*int32)(p))}, true
	case dstInt16:
		return ekey{n: int64(*(*int16)(p))}, true
	case dstInt8:
		return ekey{n: int64(*(*int8)(p))}, true
	case dstUint:
		u = uint64(*(*uint)(p))
	case dstUint64:
		u = *(*uint64)(p)
	case dstUint32:
		u = uint64(*(*uint32)(p))
	case dstUint16:
		u = uint64(*(*uint16)(p))
	case dstUint8:
		u = uint64(*(*uint8)(p))
	}
	return ekey{n: int64(u), u: u > 1<<63-1}, true
}
