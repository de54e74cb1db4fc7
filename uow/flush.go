package uow

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// op is what the flush does with one entity.
type op struct {
	en      *entry
	work    reflect.Value // a copy of the entity value the flush assigns into
	insert  bool
	update  bool
	remove  bool
	soft    bool  // soft delete (an UPDATE of deleted_at)
	omit    []int // insert: field indexes left to the database (RETURNING)
	changed []int // update: field indexes that changed
	deps    []*dep
	oldVer  any // version before the flush (update/delete checks)
	done    bool
	mem     *allocator // the plan's, for work
	// keyAlloc: the generated key is taken from its sequence by a
	// statement of the flush (then the row is inserted with COPY).
	keyAlloc bool
}

// dep is a foreign key of op's entity that takes its value from another
// entity's key.
type dep struct {
	fk     []*Field
	parent *entry
	refs   []*Field
	broken bool // cycle broken: inserted as NULL, fixed by an UPDATE
}

type m2mChange struct {
	rel    *Relation
	owner  *entry
	target *entry
	add    bool
}

type plan struct {
	ops      []*op
	byEntry  map[*entry]*op
	cascaded []*entry
	m2m      []*m2mChange
	collNew  map[*entry]map[*Relation]map[ekey]bool
	now      time.Time
	mem      allocator // working copies
	opSlab   []op
	scratch  *op
	// diff and markUpdate scratch space, interned column sets
	diffBuf   []int
	isChanged []bool
	colSets   map[uint64][]int
}

func (p *plan) empty() bool {
	if len(p.m2m) > 0 {
		return false
	}
	for _, o := range p.ops {
		if o.insert || o.update || o.remove || len(o.deps) > 0 {
			return false
		}
	}
	return true
}

func (p *plan) opFor(en *entry) *op {
	o := p.byEntry[en]
	if o == nil {
		o = p.newOp(en)
		p.byEntry[en] = o
		p.ops = append(p.ops, o)
	}
	return o
}

// newOp allocates an op (in chunks).
func (p *plan) newOp(en *entry) *op {
	if len(p.opSlab) == 0 {
		p.opSlab = make([]op, maxChunk)
	}
	o := &p.opSlab[0]
	p.opSlab = p.opSlab[1:]
	o.en, o.mem = en, &p.mem
	return o
}

func (o *op) value() reflect.Value {
	if o.work.IsValid() {
		return o.work
	}
	return o.en.val()
}

func (o *op) writable() reflect.Value {
	if !o.work.IsValid() {
		o.work = o.mem.new(o.en.meta, 0)
		o.work.Set(o.en.val())
	}
	return o.work
}

// Flush writes every change of the unit of work in one transaction: inserts
// of new entities (and of new entities reachable from managed ones), updates
// of the changed columns of managed entities, deletes, and many-to-many
// join rows, in foreign-key order, batched. On success generated keys,
// timestamps and versions are assigned and snapshots refreshed. On failure
// the transaction is rolled back and the EntityManager and its entities are
// as they were before the call.
func (em *EntityManager) Flush(ctx context.Context) error {
	if err := em.usable(); err != nil {
		return err
	}
	start := time.Now()
	p, err := em.buildPlan()
	if err != nil {
		em.dropCascaded(p)
		return fmt.Errorf("uow: Flush: %w", err)
	}
	if p.empty() {
		em.lastStat = FlushStats{Duration: time.Since(start)}
		em.dropCascaded(p)
		return nil
	}
	stats, err := em.execute(ctx, p)
	stats.Duration = time.Since(start)
	em.lastStat = stats
	if err != nil {
		em.dropCascaded(p)
		return err
	}
	em.apply(p)
	em.syncCopies()
	return nil
}

func (em *EntityManager) dropCascaded(p *plan) {
	if p == nil {
		return
	}
	for _, en := range p.cascaded {
		em.forget(en)
	}
}

// mergeCopy carries edits made to a copy of a managed entity (an element of
// a value relation slice such as []Version, or a struct-valued relation)
// into the managed entity: columns where the copy differs from the
// snapshot were edited by the user. Copies are re-synchronised after every
// successful flush (syncCopies), so an unedited copy never differs.
func mergeCopy(ex *entry, cp reflect.Value) {
	if ex.snap == nil || ex.state != stateManaged {
		return
	}
	for _, f := range ex.meta.Fields {
		if f.PrimaryKey || f.ReadOnly {
			continue
		}
		if ex.snap.changed(f, cp) {
			ex.val().FieldByIndex(f.Index).Set(cp.FieldByIndex(f.Index))
		}
	}
}

// syncCopies refreshes copies of managed entities held in value relations
// of managed entities, after a flush changed keys, versions, timestamps.
func (em *EntityManager) syncCopies() {
	em.each(func(en *entry) {
		for _, rel := range en.meta.Relations {
			if rel.elemPtr {
				continue
			}
			for _, rv := range relatedValues(en.val().FieldByIndex(rel.Index)) {
				if em.byPtr(rel.Target, rv) != nil {
					continue // the element is itself the managed entity
				}
				k, ok := keyOf(rel.Target, rv.Elem())
				if !ok {
					continue
				}
				if ex := em.lookupID(rel.Target, k); ex != nil && ex.state == stateManaged {
					for _, f := range rel.Target.Fields {
						rv.Elem().FieldByIndex(f.Index).Set(ex.val().FieldByIndex(f.Index))
					}
				}
			}
		}
	})
}

// relatedValues lists the entity pointers held by a relation field.
func relatedValues(fv reflect.Value) []reflect.Value {
	var out []reflect.Value
	switch fv.Kind() {
	case reflect.Slice:
		for i := 0; i < fv.Len(); i++ {
			el := fv.Index(i)
			if el.Kind() == reflect.Pointer {
				if !el.IsNil() {
					out = append(out, el)
				}
			} else {
				out = append(out, el.Addr())
			}
		}
	case reflect.Pointer:
		if !fv.IsNil() {
			out = append(out, fv)
		}
	case reflect.Struct:
		if !fv.IsZero() && fv.CanAddr() {
			out = append(out, fv.Addr())
		}
	}
	return out
}

type link struct {
	from *entry
	rel  *Relation
	to   *entry
}

func (em *EntityManager) buildPlan() (*plan, error) {
	size := em.size()
	p := &plan{byEntry: make(map[*entry]*op, size/4), now: em.orm.now()}
	// 1. Discover: cascade persist through relations, in a stable order.
	queue := make([]*entry, 0, size)
	em.each(func(en *entry) {
		if en.state != stateRemoved {
			queue = append(queue, en)
		}
	})
	sort.Slice(queue, func(i, j int) bool { return queue[i].seq < queue[j].seq })
	var links []link
	for i := 0; i < len(queue); i++ {
		en := queue[i]
		for _, rel := range en.meta.Relations {
			for _, rv := range relatedValues(en.val().FieldByIndex(rel.Index)) {
				te := em.byPtr(rel.Target, rv)
				if te == nil {
					if k, ok := keyOf(rel.Target, rv.Elem()); ok {
						if ex := em.lookupID(rel.Target, k); ex != nil {
							te = ex
							if !rel.elemPtr {
								mergeCopy(ex, rv.Elem())
							}
						} else {
							// A detached entity with a key: a reference only.
							te = &entry{meta: rel.Target, ptr: rv, state: stateManaged, key: k}
						}
					} else {
						te = em.add(rel.Target, rv, stateNew)
						p.cascaded = append(p.cascaded, te)
						queue = append(queue, te)
					}
				}
				if te.state == stateRemoved {
					continue
				}
				links = append(links, link{en, rel, te})
			}
		}
	}
	// 2. Inserts, removals.
	for _, en := range queue {
		if en.state == stateNew {
			o := p.opFor(en)
			o.insert = true
		}
	}
	removed := make([]*entry, 0)
	em.each(func(en *entry) {
		if en.state == stateRemoved {
			removed = append(removed, en)
		}
	})
	sort.Slice(removed, func(i, j int) bool { return removed[i].seq < removed[j].seq })
	// Keys are immutable: an UPDATE or DELETE of an entity whose key was
	// edited would hit another row.
	for _, list := range [][]*entry{queue, removed} {
		for _, en := range list {
			if en.snap == nil || en.state == stateNew {
				continue
			}
			for _, f := range en.meta.PrimaryKey {
				if en.snap.changed(f, en.val()) {
					return p, fmt.Errorf("the primary key of a managed %s changed (field %s: %v, was %v); keys cannot be changed: Remove the entity and Persist a new one",
						en.meta.Name, f.Name, en.val().FieldByIndex(f.Index).Interface(), en.snap.value(f))
				}
			}
		}
	}
	for _, en := range removed {
		o := p.opFor(en)
		o.remove = true
		if en.meta.SoftDelete != nil {
			o.soft = true
		}
		if v := en.meta.Version; v != nil {
			o.oldVer = en.val().FieldByIndex(v.Index).Interface()
		}
	}
	// 3. Foreign keys from relations.
	m2mSeen := map[*entry]map[*Relation]map[ekey]*entry{}
	for _, l := range links {
		switch l.rel.Kind {
		case BelongsTo:
			if err := p.link(l.from, l.rel.ForeignKey, l.to, l.rel.References); err != nil {
				return p, err
			}
		case HasOne, HasMany:
			if err := p.link(l.to, l.rel.ForeignKey, l.from, l.rel.References); err != nil {
				return p, err
			}
		case ManyToMany:
			if m2mSeen[l.from] == nil {
				m2mSeen[l.from] = map[*Relation]map[ekey]*entry{}
			}
			if m2mSeen[l.from][l.rel] == nil {
				m2mSeen[l.from][l.rel] = map[ekey]*entry{}
			}
			k := ekey{x: l.to} // a new target: known by its entry
			if l.to.key.valid() {
				k = l.to.key
			}
			m2mSeen[l.from][l.rel][k] = l.to
		}
	}
	// many-to-many: diff loaded collections, add-only for unloaded ones
	for _, en := range queue {
		for _, rel := range en.meta.Relations {
			if rel.Kind != ManyToMany {
				continue
			}
			cur := m2mSeen[en][rel]
			var old map[ekey]bool
			loaded := false
			if en.coll != nil {
				old, loaded = en.coll[rel]
			}
			if !loaded && en.state != stateNew && len(cur) == 0 {
				continue
			}
			for k, te := range cur {
				if old[k] {
					continue
				}
				p.m2m = append(p.m2m, &m2mChange{rel: rel, owner: en, target: te, add: true})
			}
			if loaded {
				for k := range old {
					if _, still := cur[k]; !still {
						te := em.lookupID(rel.Target, k)
						if te == nil {
							te = &entry{meta: rel.Target, key: k}
						}
						p.m2m = append(p.m2m, &m2mChange{rel: rel, owner: en, target: te, add: false})
					}
				}
			}
			if p.collNew == nil {
				p.collNew = map[*entry]map[*Relation]map[ekey]bool{}
			}
			if p.collNew[en] == nil {
				p.collNew[en] = map[*Relation]map[ekey]bool{}
			}
			p.collNew[en][rel] = nil // filled after the flush, when keys are known
		}
	}
	// 4. Inserts: defaults, timestamps, versions, keys left to the database.
	for _, o := range p.ops {
		if !o.insert {
			continue
		}
		w := o.writable()
		for i, f := range o.en.meta.Fields {
			fv := w.FieldByIndex(f.Index)
			if !fv.IsZero() {
				continue
			}
			switch {
			case f.AutoCreateTime || f.AutoUpdateTime:
				setTime(fv, p.now, f.unixTime)
			case f.Version:
				setVersion(fv, nil, p.now)
			case f.PrimaryKey && f.Generated:
				o.omit = append(o.omit, i)
			case f.HasDefault && f.defaultValue.IsValid():
				fv.Set(f.defaultValue)
			case f.HasDefault:
				o.omit = append(o.omit, i)
			}
		}
	}
	// 5. Updates: compare with the snapshot.
	for _, en := range queue {
		if en.state != stateManaged || en.snap == nil {
			continue
		}
		o := p.byEntry[en]
		var v reflect.Value
		if o != nil {
			v = o.value()
		} else {
			v = en.val()
		}
		changed := p.diff(en, v)
		if len(changed) == 0 {
			continue
		}
		p.markUpdate(p.opFor(en), changed)
	}
	return p, nil
}

func fieldPos(meta *Entity, f *Field) int {
	for i, x := range meta.Fields {
		if x == f {
			return i
		}
	}
	return -1
}

// link records that child's foreign key fk takes parent's refs values:
// at once when the parent's key is known, else after the parent's insert.
func (p *plan) link(child *entry, fk []*Field, parent *entry, refs []*Field) error {
	if child.state == stateRemoved || child.seq == 0 {
		return nil
	}
	d := &dep{fk: fk, parent: parent, refs: refs}
	o := p.byEntry[child]
	if p.resolved(d) {
		tmp := o
		if tmp == nil {
			// most links change nothing: try on a scratch op first
			if p.scratch == nil {
				p.scratch = &op{mem: &p.mem}
			}
			tmp = p.scratch
			tmp.en = child
		}
		if err := p.applyDep(tmp, d, false); err != nil {
			return err
		}
		if o == nil && tmp.work.IsValid() {
			p.scratch = nil
			p.byEntry[child] = tmp
			p.ops = append(p.ops, tmp)
		}
		return nil
	}
	o = p.opFor(child)
	o.deps = append(o.deps, d)
	return nil
}

// resolved reports whether parent's referenced values are known now.
func (p *plan) resolved(d *dep) bool {
	po := p.byEntry[d.parent]
	if po == nil || !po.insert || po.done {
		return true
	}
	// a new parent whose referenced columns are set by the user (not left
	// to the database) is known, but must be inserted first: still wait.
	return false
}

// applyDep copies the parent's referenced values into the child's work
// value (only when they differ); with null, it sets the foreign key to NULL
// (a broken cycle).
func (p *plan) applyDep(o *op, d *dep, null bool) error {
	cur := o.value()
	pv := d.parent.val()
	if po := p.byEntry[d.parent]; po != nil {
		pv = po.value()
	}
	for i, f := range d.fk {
		nv := reflect.New(f.Type).Elem()
		if !null {
			if err := assignValue(nv, pv.FieldByIndex(d.refs[i].Index)); err != nil {
				return fmt.Errorf("%s.%s from %s.%s: %w", o.en.meta.Name, f.Name, d.parent.meta.Name, d.refs[i].Name, err)
			}
		}
		if equalSnap(snapValue(f, cur.FieldByIndex(f.Index)), snapValue(f, nv)) {
			continue
		}
		o.writable().FieldByIndex(f.Index).Set(nv)
		cur = o.value()
	}
	return nil
}

// assignValue sets dst from src across pointer, sql.Null* and integer-width
// differences (uint ID into *uint, sql.NullInt64, int64 ...).
func assignValue(dst, src reflect.Value) error {
	if src.Kind() == reflect.Int64 && dst.Kind() != reflect.Pointer {
		// keys from a sequence or RETURNING into integer fields
		n := src.Int()
		switch {
		case dst.CanInt():
			if dst.OverflowInt(n) {
				return fmt.Errorf("%d overflows %s", n, dst.Type())
			}
			dst.SetInt(n)
			return nil
		case dst.CanUint() && n >= 0:
			if dst.OverflowUint(uint64(n)) {
				return fmt.Errorf("%d overflows %s", n, dst.Type())
			}
			dst.SetUint(uint64(n))
			return nil
		}
	}
	for src.Kind() == reflect.Pointer {
		if src.IsNil() {
			dst.Set(reflect.Zero(dst.Type()))
			return nil
		}
		src = src.Elem()
	}
	if valid, isNull := nullValid(src); isNull {
		if !valid {
			dst.Set(reflect.Zero(dst.Type()))
			return nil
		}
		src = src.Field(0)
	}
	switch {
	case dst.Kind() == reflect.Pointer:
		nv := reflect.New(dst.Type().Elem())
		if err := assignValue(nv.Elem(), src); err != nil {
			return err
		}
		dst.Set(nv)
		return nil
	case dst.Kind() == reflect.Struct && dst.Type() != src.Type():
		if _, isNull := nullValid(dst); isNull {
			if err := assignValue(dst.Field(0), src); err != nil {
				return err
			}
			dst.Field(1).SetBool(true)
			return nil
		}
	}
	if src.Type().AssignableTo(dst.Type()) {
		dst.Set(src)
		return nil
	}
	if src.Type().ConvertibleTo(dst.Type()) && (isIntKind(src.Kind()) == isIntKind(dst.Kind())) {
		dst.Set(src.Convert(dst.Type()))
		return nil
	}
	return fmt.Errorf("cannot assign %s to %s", src.Type(), dst.Type())
}

func setTime(fv reflect.Value, now time.Time, unit int) {
	switch {
	case fv.Type() == timeType && fv.CanAddr():
		*fv.Addr().Interface().(*time.Time) = now // no boxing of now
	case fv.Type() == timeType:
		fv.Set(reflect.ValueOf(now))
	case fv.Kind() == reflect.Pointer && fv.Type().Elem() == timeType:
		t := now
		fv.Set(reflect.ValueOf(&t))
	case isIntKind(fv.Kind()):
		var n int64
		switch unit {
		case 2:
			n = now.UnixMilli()
		case 3:
			n = now.UnixNano()
		default:
			n = now.Unix()
		}
		if fv.CanInt() {
			fv.SetInt(n)
		} else {
			fv.SetUint(uint64(n))
		}
	}
}

// setVersion sets the next version: old+1 for integers (1 when new), now
// for times.
func setVersion(fv reflect.Value, old any, now time.Time) {
	if fv.Type() == timeType {
		fv.Set(reflect.ValueOf(now))
		return
	}
	var n int64
	if old != nil {
		ov := reflect.ValueOf(old)
		if ov.CanInt() {
			n = ov.Int()
		} else if ov.CanUint() {
			n = int64(ov.Uint())
		}
	}
	if fv.CanInt() {
		fv.SetInt(n + 1)
	} else {
		fv.SetUint(uint64(n + 1))
	}
}

// --- execution ---

// runner sends the flush's batches inside a transaction or savepoint.
type runner struct {
	send     func(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	copy     func(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error)
	begin    string
	end      string
	rollback func(ctx context.Context) error
	commit   func(ctx context.Context) error // for a generic executor's own tx
	release  func()
	query    Executor // for catalog and diagnostics
}

func (em *EntityManager) newRunner(ctx context.Context) (*runner, error) {
	savepoint := func(tx interface {
		SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
		Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
		CopyFrom(ctx context.Context, tableName pgx.Identifier, columnNames []string, rowSrc pgx.CopyFromSource) (int64, error)
	}, q Executor) *runner {
		return &runner{
			send:  tx.SendBatch,
			copy:  tx.CopyFrom,
			begin: "SAVEPOINT uow_flush",
			end:   "RELEASE SAVEPOINT uow_flush",
			rollback: func(ctx context.Context) error {
				// No arguments: pgx uses the simple protocol, which (unlike
				// preparing a statement) works in an aborted transaction.
				_, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT uow_flush; RELEASE SAVEPOINT uow_flush")
				return err
			},
			query: q,
		}
	}
	conn := func(c *pgx.Conn, release func()) *runner {
		return &runner{
			send:  c.SendBatch,
			copy:  c.CopyFrom,
			begin: "BEGIN",
			end:   "COMMIT",
			rollback: func(ctx context.Context) error {
				if c.PgConn().TxStatus() == 'I' {
					return nil
				}
				_, err := c.Exec(ctx, "ROLLBACK")
				return err
			},
			release: release,
			query:   c,
		}
	}
	ex := em.executor()
	switch e := ex.(type) {
	case pgx.Tx:
		return savepoint(e, e), nil
	case *pgxpool.Pool:
		c, err := e.Acquire(ctx)
		if err != nil {
			return nil, em.orm.dbError("Flush: acquire a connection", err)
		}
		if c.Conn().PgConn().TxStatus() != 'I' {
			c.Release()
			return nil, errors.New("pooled connection is in a transaction")
		}
		return conn(c.Conn(), c.Release), nil
	case *pgx.Conn:
		if e.PgConn().TxStatus() != 'I' {
			return savepoint(e, e), nil
		}
		return conn(e, nil), nil
	}
	tx, err := ex.Begin(ctx)
	if err != nil {
		return nil, em.orm.dbError("Flush: begin", err)
	}
	return &runner{
		send:     tx.SendBatch,
		copy:     tx.CopyFrom,
		rollback: tx.Rollback,
		commit:   tx.Commit,
		query:    tx,
	}, nil
}

// stmt is one queued statement and what to do with its result.
type stmt struct {
	sql    string
	args   []any
	copy   *copyRows // a COPY instead of a statement of the batch
	desc   string
	onRows func(rows pgx.Rows) error // RETURNING / check results
	stale  []*op                     // version-checked ops (for the error)
	isDel  bool
}

type batchBuf struct {
	stmts []*stmt
}

func (b *batchBuf) add(s *stmt) { b.stmts = append(b.stmts, s) }

const staleMarker = "uow-stale-version"

func (em *EntityManager) execute(ctx context.Context, p *plan) (stats FlushStats, err error) {
	// Catalog: column types of every table written.
	var metas []*Entity
	seenMeta := map[*Entity]bool{}
	for _, o := range p.ops {
		if !seenMeta[o.en.meta] {
			seenMeta[o.en.meta] = true
			metas = append(metas, o.en.meta)
		}
	}
	var joins []string
	for _, c := range p.m2m {
		joins = append(joins, c.rel.JoinTable)
	}
	r, err := em.newRunner(ctx)
	if err != nil {
		return stats, flushError(err)
	}
	if r.release != nil {
		defer r.release()
	}
	queried, err := em.orm.ensureCatalog(ctx, r.query, metas, joins)
	if queried {
		stats.RoundTrips++
		stats.Statements++
	}
	if err != nil {
		if r.commit != nil {
			_ = r.rollback(ctx)
		}
		return stats, flushError(err)
	}
	started := false
	failed := true
	defer func() {
		if failed && started {
			rbCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if rerr := r.rollback(rbCtx); rerr != nil {
				err = em.orm.withRollback(err, fmt.Errorf("uow: Flush: rollback: %w", rerr))
			}
			stats.RoundTrips++
			stats.Statements++
		} else if failed && r.commit != nil {
			_ = r.rollback(context.WithoutCancel(ctx))
		}
	}()
	buf := &batchBuf{}
	// sendBatch sends the statements of seg as one pgx batch (one round
	// trip), preceded by BEGIN/SAVEPOINT the first time and followed by
	// COMMIT/RELEASE when final.
	var seg []*stmt
	sendBatch := func(final bool) error {
		stmts := seg
		b := &pgx.Batch{}
		extra := 0
		if !started && r.begin != "" {
			b.Queue(r.begin)
			extra++
		}
		started = true
		for _, s := range stmts {
			b.Queue(s.sql, s.args...)
		}
		if final && r.end != "" {
			b.Queue(r.end)
		}
		if b.Len() == 0 {
			return nil
		}
		stats.RoundTrips++
		stats.Statements += b.Len()
		br := r.send(ctx, b)
		var firstErr error
		for i := 0; i < extra; i++ {
			if _, err := br.Exec(); err != nil && firstErr == nil {
				firstErr = em.orm.dbError("Flush: "+r.begin, err)
			}
		}
		for _, s := range stmts {
			if firstErr != nil {
				break
			}
			if s.onRows != nil {
				rows, err := br.Query()
				var rowErr error // the runtime's own check of a result row
				if err == nil {
					for rows.Next() {
						if rowErr = s.onRows(rows); rowErr != nil {
							break
						}
					}
					rows.Close()
					err = rows.Err()
				}
				switch {
				case err != nil:
					firstErr = em.stmtError(ctx, s, err)
				case rowErr != nil:
					firstErr = fmt.Errorf("uow: Flush: %s: %w", s.desc, rowErr)
				}
			} else if _, err := br.Exec(); err != nil {
				firstErr = em.stmtError(ctx, s, err)
			}
		}
		if final && r.end != "" && firstErr == nil {
			if _, err := br.Exec(); err != nil {
				firstErr = em.orm.dbError("Flush: "+r.end, err)
			}
		}
		if err := br.Close(); err != nil && firstErr == nil {
			firstErr = em.orm.dbError("Flush", err)
		}
		return firstErr
	}
	// sendNow sends the buffered statements: batches, split where a COPY
	// must run on its own.
	sendNow := func(final bool) error {
		stmts := buf.stmts
		buf.stmts = nil
		for {
			k := 0
			for k < len(stmts) && stmts[k].copy == nil {
				k++
			}
			last := k == len(stmts)
			seg = stmts[:k]
			if err := sendBatch(final && last); err != nil {
				return err
			}
			if last {
				return nil
			}
			c := stmts[k]
			stats.RoundTrips++
			stats.Statements++
			n, err := r.copy(ctx, c.copy.table, c.copy.cols, c.copy.source())
			if err == nil && n != int64(len(c.copy.ops)) {
				err = fmt.Errorf("COPY wrote %d rows, expected %d", n, len(c.copy.ops))
			}
			if err != nil {
				return em.stmtError(ctx, c, err)
			}
			stmts = stmts[k+1:]
		}
	}
	// Large inserts of one type go through COPY, which returns nothing:
	// their generated keys are taken from the key's sequence first, in the
	// flush's first batch.
	// Until that batch is sent, the ops count as waiting for values from
	// the database (unsent below).
	for _, s := range em.keyAllocations(p) {
		buf.add(s)
	}

	// Inserts in waves: an entity waits for the new entities its foreign
	// keys reference. A stalled wave is a cycle: it is broken at nullable
	// foreign keys (NULL now, UPDATE later).
	order := typeOrder(p)
	var pending []*op
	for _, o := range p.ops {
		if o.insert {
			pending = append(pending, o)
		}
	}
	sort.SliceStable(pending, func(i, j int) bool {
		return order[pending[i].en.meta] < order[pending[j].en.meta]
	})
	var fixups []*op
	unsent := map[*op]bool{} // inserts whose generated values are not back yet
	for len(pending) > 0 {
		var wave, rest []*op
		for _, o := range pending {
			ready := true
			for _, d := range o.deps {
				if !p.resolved(d) {
					ready = false
					break
				}
			}
			if ready {
				wave = append(wave, o)
			} else {
				rest = append(rest, o)
			}
		}
		if len(wave) == 0 {
			// Cycle: break nullable foreign keys to unresolved parents.
			for _, o := range rest {
				ok := true
				for _, d := range o.deps {
					if !p.resolved(d) && !depNullable(d) {
						ok = false
					}
				}
				if ok {
					for _, d := range o.deps {
						if !p.resolved(d) {
							d.broken = true
						}
					}
					wave = append(wave, o)
					fixups = append(fixups, o)
					break
				}
			}
			if len(wave) == 0 {
				var names []string
				for _, o := range rest {
					names = append(names, o.en.meta.Name)
				}
				return stats, fmt.Errorf("uow: Flush: cannot order the inserts of %s: their foreign keys form a cycle with no nullable column to break it", strings.Join(uniq(names), ", "))
			}
			rest = removeOps(rest, wave)
		}
		// Does this wave need values returned by statements not yet sent?
		needSend := false
		for _, o := range wave {
			for _, d := range o.deps {
				if po := p.byEntry[d.parent]; po != nil && unsent[po] && !d.broken {
					needSend = true
				}
			}
		}
		if needSend {
			if err := sendNow(false); err != nil {
				return stats, err
			}
			unsent = map[*op]bool{}
		}
		for _, o := range wave {
			for _, d := range o.deps {
				if err := p.applyDep(o, d, d.broken); err != nil {
					return stats, fmt.Errorf("uow: Flush: %w", err)
				}
			}
		}
		sts, err := em.insertStmts(wave)
		if err != nil {
			return stats, fmt.Errorf("uow: Flush: %w", err)
		}
		for _, s := range sts {
			buf.add(s)
		}
		for _, o := range wave {
			o.done = true
			if len(o.omit) > 0 || o.keyAlloc {
				unsent[o] = true
			}
			stats.Inserted++
		}
		pending = rest
	}
	// Everything below may use values returned by inserts: send them first
	// when some are pending and needed.
	needKeys := false
	for _, o := range p.ops {
		if o.insert {
			continue
		}
		for _, d := range o.deps {
			if po := p.byEntry[d.parent]; po != nil && unsent[po] {
				needKeys = true
			}
		}
	}
	for _, o := range fixups {
		for _, d := range o.deps {
			if d.broken {
				if po := p.byEntry[d.parent]; po != nil && unsent[po] {
					needKeys = true
				}
			}
		}
	}
	for _, c := range p.m2m {
		if c.add {
			if po := p.byEntry[c.owner]; po != nil && unsent[po] {
				needKeys = true
			}
			if po := p.byEntry[c.target]; po != nil && unsent[po] {
				needKeys = true
			}
		}
	}
	if needKeys {
		if err := sendNow(false); err != nil {
			return stats, err
		}
	}
	// Foreign keys of managed entities, then fix-ups of broken cycles.
	for _, o := range p.ops {
		if o.insert || o.remove {
			continue
		}
		for _, d := range o.deps {
			if err := p.applyDep(o, d, false); err != nil {
				return stats, fmt.Errorf("uow: Flush: %w", err)
			}
		}
		if len(o.deps) > 0 {
			// the relation may have changed a key column: diff again
			em.rediff(p, o)
		}
	}
	var fix []*fixup
	for _, o := range fixups {
		var cols []int
		for _, d := range o.deps {
			if !d.broken {
				continue
			}
			if err := p.applyDep(o, d, false); err != nil {
				return stats, fmt.Errorf("uow: Flush: %w", err)
			}
			for _, f := range d.fk {
				cols = append(cols, fieldPos(o.en.meta, f))
			}
		}
		fix = append(fix, &fixup{o: o, cols: cols})
	}
	sts, n, err := em.fixupStmts(fix)
	if err != nil {
		return stats, fmt.Errorf("uow: Flush: %w", err)
	}
	stats.Updated += n
	for _, s := range sts {
		buf.add(s)
	}
	// Updates, grouped by entity type and changed columns.
	sts, n, err = em.updateStmts(p, order)
	if err != nil {
		return stats, fmt.Errorf("uow: Flush: %w", err)
	}
	stats.Updated += n
	for _, s := range sts {
		buf.add(s)
	}
	// Join rows.
	sts, err = em.m2mStmts(p)
	if err != nil {
		return stats, fmt.Errorf("uow: Flush: %w", err)
	}
	for _, s := range sts {
		buf.add(s)
	}
	// Deletes, children first.
	sts, n, err = em.deleteStmts(p, order)
	if err != nil {
		return stats, fmt.Errorf("uow: Flush: %w", err)
	}
	stats.Deleted += n
	for _, s := range sts {
		buf.add(s)
	}
	if err := ctx.Err(); err != nil {
		return stats, em.orm.dbError("Flush", err)
	}
	if err := sendNow(true); err != nil {
		return stats, err
	}
	if r.commit != nil {
		stats.RoundTrips++
		stats.Statements++
		if err := r.commit(ctx); err != nil {
			return stats, em.orm.dbError("Flush: commit", err)
		}
	}
	failed = false
	return stats, nil
}

type fixup struct {
	o    *op
	cols []int
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func removeOps(all, drop []*op) []*op {
	d := map[*op]bool{}
	for _, o := range drop {
		d[o] = true
	}
	var out []*op
	for _, o := range all {
		if !d[o] {
			out = append(out, o)
		}
	}
	return out
}

func depNullable(d *dep) bool {
	for _, f := range d.fk {
		if !f.Nullable {
			return false
		}
	}
	return true
}

// rediff recomputes the changed columns of a managed entity after foreign
// keys were assigned from its relations.
func (em *EntityManager) rediff(p *plan, o *op) {
	if o.en.snap == nil {
		return
	}
	if changed := p.diff(o.en, o.value()); len(changed) > 0 {
		p.markUpdate(o, changed)
	}
}

// diff returns the positions of the columns of v (en's value or work copy)
// that differ from en's snapshot. The slice is reused by the next call.
func (p *plan) diff(en *entry, v reflect.Value) []int {
	p.diffBuf = p.diffBuf[:0]
	for i, f := range en.meta.Fields {
		if f.PrimaryKey || f.ReadOnly {
			continue
		}
		if en.snap.changed(f, v) {
			p.diffBuf = append(p.diffBuf, i)
		}
	}
	return p.diffBuf
}

// markUpdate makes o an UPDATE of the changed columns (from diff), plus
// the UpdatedAt columns and the version, which it sets in o's work value.
func (p *plan) markUpdate(o *op, changed []int) {
	en := o.en
	o.update = true
	w := o.writable()
	if cap(p.isChanged) < len(en.meta.Fields) {
		p.isChanged = make([]bool, len(en.meta.Fields))
	}
	has := p.isChanged[:len(en.meta.Fields)]
	clear(has)
	for _, i := range changed {
		has[i] = true
	}
	for i, f := range en.meta.Fields {
		if f.AutoUpdateTime && !has[i] {
			setTime(w.FieldByIndex(f.Index), p.now, f.unixTime)
			has[i] = true
		}
	}
	if vf := en.meta.Version; vf != nil {
		o.oldVer = en.snap.value(vf)
		setVersion(w.FieldByIndex(vf.Index), o.oldVer, p.now)
		has[fieldPos(en.meta, vf)] = true
	}
	o.changed = p.intern(has)
}

// intern returns the positions set in has as a sorted slice shared by
// every op with the same set (thousands of updates of the same columns
// need one slice).
func (p *plan) intern(has []bool) []int {
	var mask uint64
	small := len(has) <= 64
	if small {
		for i, h := range has {
			if h {
				mask |= 1 << uint(i)
			}
		}
		if cols, ok := p.colSets[mask]; ok {
			return cols
		}
	}
	var cols []int
	for i, h := range has {
		if h {
			cols = append(cols, i)
		}
	}
	if small {
		if p.colSets == nil {
			p.colSets = map[uint64][]int{}
		}
		p.colSets[mask] = cols
	}
	return cols
}

// typeOrder ranks entity types so that referenced types come first
// (topological order of the belongs-to graph; nullable foreign keys are
// soft edges, dropped first when there is a cycle).
func typeOrder(p *plan) map[*Entity]int {
	var metas []*Entity
	seen := map[*Entity]bool{}
	for _, o := range p.ops {
		if !seen[o.en.meta] {
			seen[o.en.meta] = true
			metas = append(metas, o.en.meta)
		}
	}
	sort.SliceStable(metas, func(i, j int) bool { return metas[i].Name < metas[j].Name })
	type edge struct {
		to   *Entity
		hard bool
	}
	deps := map[*Entity][]edge{} // child -> parents
	addEdge := func(child, parent *Entity, fk []*Field) {
		if child == parent || !seen[child] || !seen[parent] {
			return
		}
		hard := false
		for _, f := range fk {
			if !f.Nullable {
				hard = true
			}
		}
		deps[child] = append(deps[child], edge{parent, hard})
	}
	for _, m := range metas {
		for _, rel := range m.Relations {
			switch rel.Kind {
			case BelongsTo:
				addEdge(m, rel.Target, rel.ForeignKey)
			case HasOne, HasMany:
				addEdge(rel.Target, m, rel.ForeignKey)
			}
		}
	}
	rank := map[*Entity]int{}
	placed := map[*Entity]bool{}
	next := 0
	for len(placed) < len(metas) {
		progress := false
		for _, useSoft := range []bool{true, false} {
			for _, m := range metas {
				if placed[m] {
					continue
				}
				ok := true
				for _, e := range deps[m] {
					if placed[e.to] {
						continue
					}
					if e.hard || useSoft {
						ok = false
						break
					}
				}
				if ok {
					placed[m] = true
					rank[m] = next
					next++
					progress = true
				}
			}
			if progress {
				break
			}
		}
		if !progress {
			for _, m := range metas { // hard cycle: keep a stable order, the waves decide
				if !placed[m] {
					placed[m] = true
					rank[m] = next
					next++
					break
				}
			}
		}
	}
	return rank
}

// stmtError turns a statement failure into the flush's error.
func (em *EntityManager) stmtError(ctx context.Context, s *stmt, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && strings.Contains(pgErr.Message, staleMarker) && len(s.stale) > 0 {
		o := s.stale[0]
		opName := "update"
		if s.isDel {
			opName = "delete"
		}
		key := keyValue(o.en)
		if len(s.stale) > 1 {
			// Which one? Ask after the rollback is not possible here (the
			// transaction is aborted); name the first and how many.
			return &StaleVersionError{Entity: o.en.meta.Name, Table: o.en.meta.Table, Key: staleKeys(s.stale), Version: o.oldVer, Op: opName}
		}
		return &StaleVersionError{Entity: o.en.meta.Name, Table: o.en.meta.Table, Key: key, Version: o.oldVer, Op: opName}
	}
	return em.orm.dbError("Flush: "+s.desc, err)
}

// keyValue is the primary key of an entity as reported in errors: the
// value of a single key column, a []any for a composite key.
func keyValue(en *entry) any {
	if len(en.meta.PrimaryKey) == 1 {
		return en.val().FieldByIndex(en.meta.PrimaryKey[0].Index).Interface()
	}
	return tupleOf(en.val(), en.meta.PrimaryKey)
}

func staleKeys(ops []*op) string {
	var ks []string
	for _, o := range ops {
		ks = append(ks, fmt.Sprint(keyValue(o.en)))
	}
	if len(ks) > 10 {
		ks = append(ks[:10], "...")
	}
	return "one of [" + strings.Join(ks, ", ") + "]"
}

// --- apply ---

func (em *EntityManager) apply(p *plan) {
	journal := em.txDepth > 0
	for _, o := range p.ops {
		en := o.en
		if en.seq == 0 {
			continue // reference-only entity
		}
		if journal {
			em.rememberFields(en.meta, en.ptr)
			em.remember(en)
		}
		if o.work.IsValid() && !o.remove {
			for _, f := range en.meta.Fields {
				en.val().FieldByIndex(f.Index).Set(o.work.FieldByIndex(f.Index))
			}
		}
		switch {
		case o.remove:
			if o.soft {
				setTime(en.val().FieldByIndex(en.meta.SoftDelete.Index).Field(0), p.now, 0)
				en.val().FieldByIndex(en.meta.SoftDelete.Index).Field(1).SetBool(true)
			}
			em.forget(en)
			en.state = stateRemoved
		case o.insert:
			en.state = stateManaged
			en.key, _ = keyOf(en.meta, en.val())
			if en.key.valid() {
				em.setID(en.meta, en.key, en)
			}
			en.snap = takeSnapshotIn(&em.mem, en.meta, en.val())
		case !journal && en.snap != nil:
			// No Transactional may want the old snapshot back: refresh it
			// in place.
			en.snap.retake(en.meta, en.val())
		default:
			en.snap = takeSnapshotIn(&em.mem, en.meta, en.val())
		}
	}
	for en, rels := range p.collNew {
		if journal {
			em.remember(en)
		}
		if en.coll == nil {
			en.coll = map[*Relation]map[ekey]bool{}
		}
		for rel := range rels {
			set := map[ekey]bool{}
			for _, rv := range relatedValues(en.val().FieldByIndex(rel.Index)) {
				if k, ok := keyOf(rel.Target, rv.Elem()); ok {
					set[k] = true
				}
			}
			en.coll[rel] = set
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// flushError gives Flush's context to an error that has none yet: a
// *DBError already names what the flush was doing.
func flushError(err error) error {
	if _, ok := errors.AsType[*DBError](err); ok {
		return err
	}
	return fmt.Errorf("uow: Flush: %w", err)
}
