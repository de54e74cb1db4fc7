package uow

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// populate loads the relations named by paths for ents (all of type meta),
// one query per relation and level.
func (em *EntityManager) populate(ctx context.Context, meta *Entity, ents []*entry, paths []string) error {
	// Group paths by first segment so "Versions" and "Versions.Tags" share
	// the Versions query.
	groups := map[string][]string{}
	var order []string
	for _, p := range paths {
		p = strings.TrimSpace(p)
		if p == "" {
			return fmt.Errorf("uow: Populate: empty relation path")
		}
		head, rest, _ := strings.Cut(p, ".")
		if _, ok := groups[head]; !ok {
			order = append(order, head)
			groups[head] = nil
		}
		if rest != "" {
			groups[head] = append(groups[head], rest)
		}
	}
	for _, head := range order {
		rel, ok := meta.Relation(head)
		if !ok {
			return fmt.Errorf("uow: Populate: %w: %s has no relation %q", ErrUnknownField, meta.Name, head)
		}
		children, err := em.loadRelation(ctx, rel, ents)
		if err != nil {
			if dbe, ok := errors.AsType[*DBError](err); ok {
				return em.orm.dbError("Populate "+meta.Name+"."+rel.Name, dbe.Err)
			}
			return fmt.Errorf("uow: Populate %s.%s: %w", meta.Name, rel.Name, err)
		}
		if len(groups[head]) > 0 && len(children) > 0 {
			if err := em.populate(ctx, rel.Target, children, groups[head]); err != nil {
				return err
			}
		}
	}
	return nil
}

// keyTuple is the normalised value of some columns of an entity, usable as
// a map key; ok is false when one of them is NULL or zero.
func keyTuple(v reflect.Value, fs []*Field) (ekey, bool) {
	if len(fs) == 1 {
		if k, ok := plainIntKey(fs[0], v); ok {
			return k, k.valid()
		}
		fv := v.FieldByIndex(fs[0].Index)
		if fv.IsZero() {
			return ekey{}, false
		}
		if valid, ok := nullValid(fv); ok {
			if !valid {
				return ekey{}, false
			}
			fv = fv.Field(0)
		}
		k := normKey(fv)
		return k, k.valid()
	}
	var b strings.Builder
	for i, f := range fs {
		fv := v.FieldByIndex(f.Index)
		if fv.IsZero() {
			return ekey{}, false
		}
		if i > 0 {
			b.WriteByte(0)
		}
		fmt.Fprintf(&b, "%v", normKey(fv).value())
	}
	return ekey{s: b.String()}, true
}

// nullValid reports the Valid flag of sql.Null*-like structs.
func nullValid(v reflect.Value) (valid, isNull bool) {
	if v.Kind() != reflect.Struct || v.NumField() != 2 {
		return false, false
	}
	f := v.Type().Field(1)
	if f.Name != "Valid" || f.Type.Kind() != reflect.Bool {
		return false, false
	}
	return v.Field(1).Bool(), true
}

// inFilter matches rows whose columns fs (of the queried entity) take one
// of the given value tuples.
func inFilter(fs []*Field, tuples [][]any) Filter {
	if len(fs) == 1 {
		vals := make([]any, len(tuples))
		for i, t := range tuples {
			vals[i] = t[0]
		}
		return In(fs[0].Column, vals)
	}
	var ors []Filter
	for _, t := range tuples {
		var ands []Filter
		for i, f := range fs {
			ands = append(ands, Eq(f.Column, t[i]))
		}
		ors = append(ors, And(ands...))
	}
	return Or(ors...)
}

func (em *EntityManager) loadRelation(ctx context.Context, rel *Relation, owners []*entry) ([]*entry, error) {
	switch rel.Kind {
	case HasMany, HasOne:
		return em.loadHas(ctx, rel, owners)
	case BelongsTo:
		return em.loadBelongs(ctx, rel, owners)
	case ManyToMany:
		return em.loadM2M(ctx, rel, owners)
	}
	return nil, fmt.Errorf("unsupported relation kind %v", rel.Kind)
}

func tupleOf(v reflect.Value, fs []*Field) []any {
	out := make([]any, len(fs))
	for i, f := range fs {
		out[i] = v.FieldByIndex(f.Index).Interface()
	}
	return out
}

// selectWhere loads the entities of meta matching f, ordered by the
// columns first (if any), then by primary key.
func (em *EntityManager) selectWhere(ctx context.Context, meta *Entity, f Filter, first ...*Field) ([]*entry, error) {
	q := &query{meta: meta, where: []Filter{f}}
	for _, c := range first {
		q.order = append(q.order, orderItem{field: c.Column})
	}
	for _, pk := range meta.PrimaryKey {
		q.order = append(q.order, orderItem{field: pk.Column})
	}
	sqlText, args, err := q.selectSQL(nil)
	if err != nil {
		return nil, err
	}
	ents, err := em.load(ctx, meta, sqlText, args, 0)
	if err != nil {
		return nil, em.orm.dbError("load "+meta.Name, err)
	}
	return ents, nil
}

// keySet collects the distinct keys (columns keyFs) of the owners of a
// relation, as the values of an IN filter on the related columns: a
// []int64 for integer keys (sent as one bigint[], no boxing), values or
// tuples otherwise.
type keySet struct {
	keyFs  []*Field
	seen   ekeySet
	ints   []int64
	anys   []any
	tuples [][]any
	n      int
}

func newKeySet(keyFs []*Field, capacity int) *keySet {
	return &keySet{keyFs: keyFs, seen: ekeySet{ints: make(map[int64]int32, capacity)}}
}

// add adds the key of v, unless it is NULL/zero or already there.
func (s *keySet) add(v reflect.Value) {
	k, ok := keyTuple(v, s.keyFs)
	if !ok || !s.seen.add(k) {
		return
	}
	s.n++
	switch {
	case len(s.keyFs) > 1:
		t := make([]any, len(s.keyFs))
		for i, f := range s.keyFs {
			fv := v.FieldByIndex(f.Index)
			for fv.Kind() == reflect.Pointer {
				fv = fv.Elem()
			}
			if _, isNull := nullValid(fv); isNull {
				fv = fv.Field(0)
			}
			t[i] = fv.Interface()
		}
		s.tuples = append(s.tuples, t)
	case k.isInt() && s.anys == nil:
		s.ints = append(s.ints, k.n)
	default:
		if s.anys == nil { // a key that is not an integer: all become values
			for _, n := range s.ints {
				s.anys = append(s.anys, n)
			}
			s.ints = nil
		}
		s.anys = append(s.anys, k.value())
	}
}

// filter matches rows whose columns fs take one of the keys.
func (s *keySet) filter(fs []*Field) Filter {
	switch {
	case len(fs) > 1:
		return inFilter(fs, s.tuples)
	case s.anys != nil:
		return In(fs[0].Column, s.anys)
	}
	return In(fs[0].Column, s.ints)
}

func (em *EntityManager) loadHas(ctx context.Context, rel *Relation, owners []*entry) ([]*entry, error) {
	keys := newKeySet(rel.References, len(owners))
	for _, o := range owners {
		keys.add(o.val())
	}
	var children []*entry
	// Each owner's children, as runs[i-1] for i its key's payload in
	// keys.seen (the set of owner keys doubles as the index of runs).
	runs := make([][]*entry, 0, keys.n)
	addRun := func(k ekey, run []*entry) {
		if i := keys.seen.get(k); i > 0 {
			// Not contiguous after all: join (run is a full slice
			// expression, so this copies rather than overwrites).
			runs[i-1] = append(runs[i-1], run...)
			return
		}
		runs = append(runs, run)
		keys.seen.set(k, int32(len(runs)))
	}
	if keys.n > 0 {
		var err error
		// Ordered by owner, then key: each owner's children are a run of
		// the result, shared as a sub-slice rather than copied.
		children, err = em.selectWhere(ctx, rel.Target, keys.filter(rel.ForeignKey), rel.ForeignKey...)
		if err != nil {
			return nil, err
		}
		start := 0
		var cur ekey
		curOK := false
		for i := 0; i <= len(children); i++ {
			var k ekey
			ok := false
			if i < len(children) {
				k, ok = keyTuple(children[i].val(), rel.ForeignKey)
			}
			if i == len(children) || ok != curOK || k != cur {
				if curOK && i > start {
					addRun(cur, children[start:i:i])
				}
				start, cur, curOK = i, k, ok
			}
		}
	}
	for _, o := range owners {
		k, _ := keyTuple(o.val(), rel.References)
		var list []*entry
		if i := keys.seen.get(k); i > 0 {
			list = runs[i-1]
		}
		setRelation(rel, o.val().FieldByIndex(rel.Index), list)
	}
	return children, nil
}

func (em *EntityManager) loadBelongs(ctx context.Context, rel *Relation, owners []*entry) ([]*entry, error) {
	keys := newKeySet(rel.ForeignKey, len(owners))
	for _, o := range owners {
		keys.add(o.val())
	}
	var targets []*entry
	var byKey map[ekey]*entry
	if keys.n > 0 {
		var err error
		targets, err = em.selectWhere(ctx, rel.Target, keys.filter(rel.References))
		if err != nil {
			return nil, err
		}
		byKey = make(map[ekey]*entry, len(targets))
		for _, t := range targets {
			if k, ok := keyTuple(t.val(), rel.References); ok {
				byKey[k] = t
			}
		}
	}
	for _, o := range owners {
		k, ok := keyTuple(o.val(), rel.ForeignKey)
		var list []*entry
		if ok && byKey[k] != nil {
			list = []*entry{byKey[k]}
		}
		setRelation(rel, o.val().FieldByIndex(rel.Index), list)
	}
	return targets, nil
}

func (em *EntityManager) loadM2M(ctx context.Context, rel *Relation, owners []*entry) ([]*entry, error) {
	seen := map[ekey]bool{}
	var tuples [][]any
	for _, o := range owners {
		k, ok := keyTuple(o.val(), rel.OwnerKey)
		if !ok || seen[k] {
			continue
		}
		seen[k] = true
		tuples = append(tuples, tupleOf(o.val(), rel.OwnerKey))
	}
	if len(tuples) == 0 {
		return nil, nil
	}
	// SELECT j.owner cols, t.* FROM target t JOIN join j ON t.key = j.ref WHERE j.owner IN (...)
	c := &sqlCtx{}
	jt := quoteIdent("j")
	c.resolve = func(name string) (string, error) {
		for _, col := range rel.JoinForeignKey {
			if col == name {
				return jt + "." + quoteIdent(col), nil
			}
		}
		return "", fmt.Errorf("%w: %s", ErrUnknownField, name)
	}
	var ownerCols []*Field
	for i, col := range rel.JoinForeignKey {
		ownerCols = append(ownerCols, &Field{Name: col, Column: col, Index: rel.OwnerKey[i].Index})
	}
	cond, err := inFilter(ownerCols, tuples).build(c)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	for _, col := range rel.JoinForeignKey {
		b.WriteString(jt + "." + quoteIdent(col) + ", ")
	}
	tq := quoteIdent("t")
	b.WriteString(selectList(rel.Target, tq))
	b.WriteString(" FROM " + quoteTable(rel.Target.Table) + " AS " + tq + " JOIN " + quoteTable(rel.JoinTable) + " AS " + jt + " ON ")
	for i, col := range rel.JoinReferences {
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(tq + "." + quoteIdent(rel.TargetKey[i].Column) + " = " + jt + "." + quoteIdent(col))
	}
	b.WriteString(" WHERE " + cond + " ORDER BY ")
	for i, pk := range rel.Target.PrimaryKey {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(tq + "." + quoteIdent(pk.Column))
	}
	ents, extras, err := em.loadExtra(ctx, rel.Target, b.String(), c.args, len(rel.JoinForeignKey))
	if err != nil {
		return nil, em.orm.dbError("load "+rel.Target.Name, err)
	}
	byOwner := map[ekey][]*entry{}
	for i, t := range ents {
		var k ekey
		if len(extras[i]) == 1 {
			k = normKey(reflect.ValueOf(extras[i][0]))
		} else {
			var sb strings.Builder
			for j, x := range extras[i] {
				if j > 0 {
					sb.WriteByte(0)
				}
				fmt.Fprintf(&sb, "%v", normKey(reflect.ValueOf(x)).value())
			}
			k = ekey{s: sb.String()}
		}
		byOwner[k] = append(byOwner[k], t)
	}
	var uniq []*entry
	seenT := map[*entry]bool{}
	for _, t := range ents {
		if !seenT[t] {
			seenT[t] = true
			uniq = append(uniq, t)
		}
	}
	for _, o := range owners {
		k, _ := keyTuple(o.val(), rel.OwnerKey)
		list := byOwner[k]
		setRelation(rel, o.val().FieldByIndex(rel.Index), list)
		em.remember(o)
		if o.coll == nil {
			o.coll = map[*Relation]map[ekey]bool{}
		}
		set := map[ekey]bool{}
		for _, t := range list {
			set[t.key] = true
		}
		o.coll[rel] = set
	}
	return uniq, nil
}

// setRelation stores loaded entities in a relation field: a slice of
// pointers or values, a pointer, or a struct value. Value slices and struct
// fields hold copies of the managed entities; use pointers ([]*Version,
// *Package) to edit related entities through the relation.
func setRelation(rel *Relation, fv reflect.Value, list []*entry) {
	t := fv.Type()
	switch t.Kind() {
	case reflect.Slice:
		s := reflect.MakeSlice(t, len(list), len(list))
		for i, en := range list {
			if t.Elem().Kind() == reflect.Pointer {
				s.Index(i).Set(en.ptr)
			} else {
				s.Index(i).Set(en.val())
			}
		}
		fv.Set(s)
	case reflect.Pointer:
		if len(list) == 0 {
			fv.Set(reflect.Zero(t))
		} else {
			fv.Set(list[0].ptr)
		}
	case reflect.Struct:
		if len(list) == 0 {
			fv.Set(reflect.Zero(t))
		} else {
			fv.Set(list[0].val())
		}
	}
}

// ekeySet is a set of keys, each with an int32 payload (0 when added;
// loadHas keeps there where the key's children are); integer keys, the
// common case, are held in a map with a cheap key to hash.
type ekeySet struct {
	ints  map[int64]int32
	other map[ekey]int32
}

// add adds k (payload 0) and reports whether it was not there yet.
func (s *ekeySet) add(k ekey) bool {
	if k.isInt() {
		if s.ints == nil {
			s.ints = map[int64]int32{}
		}
		if _, ok := s.ints[k.n]; ok {
			return false
		}
		s.ints[k.n] = 0
		return true
	}
	if s.other == nil {
		s.other = map[ekey]int32{}
	}
	if _, ok := s.other[k]; ok {
		return false
	}
	s.other[k] = 0
	return true
}

// get returns k's payload, 0 when k is not in the set.
func (s *ekeySet) get(k ekey) int32 {
	if k.isInt() {
		return s.ints[k.n]
	}
	return s.other[k]
}

// set adds k with payload v, or changes its payload.
func (s *ekeySet) set(k ekey, v int32) {
	if k.isInt() {
		if s.ints == nil {
			s.ints = map[int64]int32{}
		}
		s.ints[k.n] = v
		return
	}
	if s.other == nil {
		s.other = map[ekey]int32{}
	}
	s.other[k] = v
}
