package uow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unsafe"

	"github.com/jackc/pgx/v5"
)

// QueryOption is anything Find and friends accept: filters (Eq, And, ...),
// OrderBy, Limit, Offset, Populate, ForUpdate, WithDeleted.
type QueryOption interface {
	applyQuery(q *query)
}

// Filter is a typed condition on an entity's fields. Field names are Go
// field names or column names, checked against the metadata: an unknown
// name is an error, never SQL. Values are always bound parameters.
type Filter interface {
	QueryOption
	build(c *sqlCtx) (string, error)
}

// Direction is an ORDER BY direction.
type Direction int

// Directions.
const (
	Asc Direction = iota
	Desc
)

type orderItem struct {
	field string
	dir   Direction
}

type query struct {
	meta        *Entity
	where       []Filter
	order       []orderItem
	limit       int // 0: none
	offset      int
	populate    []string
	forUpdate   bool
	withDeleted bool
	err         error
}

type optFunc func(q *query)

func (f optFunc) applyQuery(q *query) { f(q) }

// OrderBy orders results by a field (Go name or column), Asc or Desc.
func OrderBy(field string, dir Direction) QueryOption {
	return optFunc(func(q *query) { q.order = append(q.order, orderItem{field, dir}) })
}

// Limit caps the number of results (n <= 0: no limit).
func Limit(n int) QueryOption { return optFunc(func(q *query) { q.limit = n }) }

// Offset skips the first n results.
func Offset(n int) QueryOption {
	return optFunc(func(q *query) {
		if n < 0 {
			q.err = fmt.Errorf("uow: negative Offset %d", n)
			return
		}
		q.offset = n
	})
}

// Populate loads relations of the results, one query per relation level
// (select-in loading, no N+1). Paths are relation field names, dotted for
// nested relations: Populate("Versions", "Versions.Tags").
func Populate(paths ...string) QueryOption {
	return optFunc(func(q *query) { q.populate = append(q.populate, paths...) })
}

// ForUpdate locks the selected rows (SELECT ... FOR UPDATE); use it inside
// Transactional.
func ForUpdate() QueryOption { return optFunc(func(q *query) { q.forUpdate = true }) }

// WithDeleted includes soft-deleted rows (entities with a gorm.DeletedAt
// field), like GORM's Unscoped for reads.
func WithDeleted() QueryOption { return optFunc(func(q *query) { q.withDeleted = true }) }

// --- filters ---

type cmpFilter struct {
	field string
	op    string
	value any
}

func (f cmpFilter) applyQuery(q *query) { q.where = append(q.where, f) }

func (f cmpFilter) build(c *sqlCtx) (string, error) {
	col, err := c.column(f.field)
	if err != nil {
		return "", err
	}
	switch f.op {
	case "IS NULL", "IS NOT NULL":
		return col + " " + f.op, nil
	case "=", "<>":
		if isNilValue(f.value) {
			if f.op == "=" {
				return col + " IS NULL", nil
			}
			return col + " IS NOT NULL", nil
		}
	case "IN", "NOT IN":
		rv := reflect.ValueOf(f.value)
		if !rv.IsValid() || (rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array) {
			return "", fmt.Errorf("uow: In(%q): want a slice of values, got %T", f.field, f.value)
		}
		if rv.Len() == 0 {
			if f.op == "IN" {
				return "FALSE", nil
			}
			return "TRUE", nil
		}
		if f.op == "IN" {
			return col + " = ANY(" + c.arg(f.value) + ")", nil
		}
		return "NOT (" + col + " = ANY(" + c.arg(f.value) + "))", nil
	}
	return col + " " + f.op + " " + c.arg(f.value), nil
}

func isNilValue(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// Eq is field = value (IS NULL when value is nil).
func Eq(field string, value any) Filter { return cmpFilter{field, "=", value} }

// Ne is field <> value (IS NOT NULL when value is nil).
func Ne(field string, value any) Filter { return cmpFilter{field, "<>", value} }

// Gt is field > value.
func Gt(field string, value any) Filter { return cmpFilter{field, ">", value} }

// Gte is field >= value.
func Gte(field string, value any) Filter { return cmpFilter{field, ">=", value} }

// Lt is field < value.
func Lt(field string, value any) Filter { return cmpFilter{field, "<", value} }

// Lte is field <= value.
func Lte(field string, value any) Filter { return cmpFilter{field, "<=", value} }

// In is field = ANY(values); values is a slice. An empty slice matches
// nothing.
func In(field string, values any) Filter { return cmpFilter{field, "IN", values} }

// NotIn is the negation of In; an empty slice matches everything.
func NotIn(field string, values any) Filter { return cmpFilter{field, "NOT IN", values} }

// Like is field LIKE pattern (pattern is a bound value: % and _ are
// wildcards, nothing else is interpreted).
func Like(field string, pattern string) Filter { return cmpFilter{field, "LIKE", pattern} }

// ILike is the case-insensitive Like.
func ILike(field string, pattern string) Filter { return cmpFilter{field, "ILIKE", pattern} }

// IsNull is field IS NULL.
func IsNull(field string) Filter { return cmpFilter{field: field, op: "IS NULL"} }

// IsNotNull is field IS NOT NULL.
func IsNotNull(field string) Filter { return cmpFilter{field: field, op: "IS NOT NULL"} }

type betweenFilter struct {
	field  string
	lo, hi any
}

func (f betweenFilter) applyQuery(q *query) { q.where = append(q.where, f) }
func (f betweenFilter) build(c *sqlCtx) (string, error) {
	col, err := c.column(f.field)
	if err != nil {
		return "", err
	}
	return col + " BETWEEN " + c.arg(f.lo) + " AND " + c.arg(f.hi), nil
}

// Between is field BETWEEN lo AND hi (inclusive).
func Between(field string, lo, hi any) Filter { return betweenFilter{field, lo, hi} }

type boolFilter struct {
	op   string // AND, OR, NOT
	subs []Filter
}

func (f boolFilter) applyQuery(q *query) { q.where = append(q.where, f) }
func (f boolFilter) build(c *sqlCtx) (string, error) {
	if f.op == "NOT" {
		if len(f.subs) != 1 || f.subs[0] == nil {
			return "", errors.New("uow: Not needs one filter")
		}
		s, err := f.subs[0].build(c)
		if err != nil {
			return "", err
		}
		return "NOT (" + s + ")", nil
	}
	if len(f.subs) == 0 {
		if f.op == "AND" {
			return "TRUE", nil
		}
		return "FALSE", nil
	}
	parts := make([]string, 0, len(f.subs))
	for _, s := range f.subs {
		if s == nil {
			return "", fmt.Errorf("uow: nil filter in %s", f.op)
		}
		p, err := s.build(c)
		if err != nil {
			return "", err
		}
		parts = append(parts, "("+p+")")
	}
	return strings.Join(parts, " "+f.op+" "), nil
}

// And is the conjunction of filters (Find's filters are already ANDed).
func And(filters ...Filter) Filter { return boolFilter{"AND", filters} }

// Or is the disjunction of filters; Or() with none matches nothing.
func Or(filters ...Filter) Filter { return boolFilter{"OR", filters} }

// Not negates a filter.
func Not(filter Filter) Filter { return boolFilter{"NOT", []Filter{filter}} }

// --- SQL building ---

// sqlCtx accumulates bound arguments and resolves field names.
type sqlCtx struct {
	args    []any
	resolve func(name string) (string, error)
	// meta and qual are the entity the filters are about and how its
	// columns are qualified ("" for the statement's own table); Related
	// needs them to correlate its subquery. nil meta: Related is refused.
	meta    *Entity
	qual    string
	aliases int // subquery aliases handed out so far
}

func (c *sqlCtx) arg(v any) string {
	c.args = append(c.args, v)
	return "$" + strconv.Itoa(len(c.args))
}

func (c *sqlCtx) column(name string) (string, error) { return c.resolve(name) }

func entityResolver(meta *Entity, qualifier string) func(string) (string, error) {
	return func(name string) (string, error) {
		f, ok := meta.Field(name)
		if !ok {
			return "", fmt.Errorf("%w: %s has no field or column %q", ErrUnknownField, meta.Name, name)
		}
		if qualifier != "" {
			return qualifier + "." + quoteIdent(f.Column), nil
		}
		return quoteIdent(f.Column), nil
	}
}

// quoteIdent quotes one identifier.
func quoteIdent(s string) string { return pgx.Identifier{s}.Sanitize() }

// quoteTable quotes a table name, schema-qualified when it has a dot (as a
// GORM TableName() may return "schema.table").
func quoteTable(s string) string { return pgx.Identifier(strings.Split(s, ".")).Sanitize() }

func (q *query) whereSQL(c *sqlCtx) (string, error) {
	var parts []string
	for _, f := range q.where {
		if f == nil {
			return "", errors.New("uow: nil filter")
		}
		s, err := f.build(c)
		if err != nil {
			return "", err
		}
		parts = append(parts, "("+s+")")
	}
	if q.meta.SoftDelete != nil && !q.withDeleted {
		col, _ := c.resolve(q.meta.SoftDelete.Column)
		parts = append(parts, col+" IS NULL")
	}
	if len(parts) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(parts, " AND "), nil
}

func selectList(meta *Entity, qualifier string) string {
	var b strings.Builder
	for i, f := range meta.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		if qualifier != "" {
			b.WriteString(qualifier + ".")
		}
		b.WriteString(quoteIdent(f.Column))
	}
	return b.String()
}

func (q *query) selectSQL(c *sqlCtx) (string, []any, error) {
	if q.err != nil {
		return "", nil, q.err
	}
	if c == nil {
		c = &sqlCtx{}
	}
	c.resolve, c.meta = entityResolver(q.meta, ""), q.meta
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(selectList(q.meta, ""))
	b.WriteString(" FROM ")
	b.WriteString(quoteTable(q.meta.Table))
	w, err := q.whereSQL(c)
	if err != nil {
		return "", nil, err
	}
	b.WriteString(w)
	if len(q.order) > 0 {
		b.WriteString(" ORDER BY ")
		for i, o := range q.order {
			col, err := c.column(o.field)
			if err != nil {
				return "", nil, err
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(col)
			if o.dir == Desc {
				b.WriteString(" DESC")
			}
		}
	}
	if q.limit > 0 {
		b.WriteString(" LIMIT " + strconv.Itoa(q.limit))
	}
	if q.offset > 0 {
		b.WriteString(" OFFSET " + strconv.Itoa(q.offset))
	}
	if q.forUpdate {
		b.WriteString(" FOR UPDATE")
	}
	return b.String(), c.args, nil
}

func buildQuery[T any](em *EntityManager, opts []QueryOption) (*query, error) {
	if err := em.usable(); err != nil {
		return nil, err
	}
	var zero T
	meta, err := em.orm.reg.Lookup(reflect.TypeOf(&zero))
	if err != nil {
		return nil, err
	}
	q := &query{meta: meta}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("uow: nil query option")
		}
		o.applyQuery(q)
	}
	if q.err != nil {
		return nil, q.err
	}
	return q, nil
}

// Find returns the entities of type T matching the options. Rows already in
// the identity map come back as the same pointers (unchanged: unflushed
// edits are kept); new ones are managed from now on.
func Find[T any](ctx context.Context, em *EntityManager, opts ...QueryOption) ([]*T, error) {
	q, err := buildQuery[T](em, opts)
	if err != nil {
		return nil, err
	}
	ents, err := em.find(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]*T, len(ents))
	for i, en := range ents {
		out[i] = en.ptr.Interface().(*T)
	}
	return out, nil
}

// FindOne returns the first matching entity, or nil and no error when none
// matches.
func FindOne[T any](ctx context.Context, em *EntityManager, opts ...QueryOption) (*T, error) {
	q, err := buildQuery[T](em, opts)
	if err != nil {
		return nil, err
	}
	q.limit = 1
	ents, err := em.find(ctx, q)
	if err != nil || len(ents) == 0 {
		return nil, err
	}
	return ents[0].ptr.Interface().(*T), nil
}

// FindOneOrFail is FindOne with an error wrapping ErrNotFound when nothing
// matches.
func FindOneOrFail[T any](ctx context.Context, em *EntityManager, opts ...QueryOption) (*T, error) {
	v, err := FindOne[T](ctx, em, opts...)
	if err != nil {
		return nil, err
	}
	if v == nil {
		meta, _ := em.orm.reg.Lookup(reflect.TypeOf(v))
		name := "entity"
		if meta != nil {
			name = meta.Name
		}
		return nil, fmt.Errorf("%w: no %s matches the filters", ErrNotFound, name)
	}
	return v, nil
}

// Get returns the entity of type T with primary key id (a []any for a
// composite key, in key order), from the identity map when it is there
// (no query), else from the database. It fails with ErrNotFound when there
// is no such row. Options may add Populate.
func Get[T any](ctx context.Context, em *EntityManager, id any, opts ...QueryOption) (*T, error) {
	q, err := buildQuery[T](em, opts)
	if err != nil {
		return nil, err
	}
	meta := q.meta
	probe := reflect.New(meta.Type).Elem()
	ids := []any{id}
	if len(meta.PrimaryKey) > 1 {
		var ok bool
		ids, ok = id.([]any)
		if !ok || len(ids) != len(meta.PrimaryKey) {
			return nil, fmt.Errorf("uow: Get %s: the key has %d columns; pass them as []any", meta.Name, len(meta.PrimaryKey))
		}
	}
	for i, f := range meta.PrimaryKey {
		v := reflect.ValueOf(ids[i])
		if !v.IsValid() {
			return nil, fmt.Errorf("uow: Get %s: nil key", meta.Name)
		}
		dst := probe.FieldByIndex(f.Index)
		if !v.Type().ConvertibleTo(dst.Type()) || (isIntKind(dst.Kind()) != isIntKind(v.Kind())) && v.Type() != dst.Type() {
			return nil, fmt.Errorf("uow: Get %s: key %v (%T) does not fit field %s (%s)", meta.Name, ids[i], ids[i], f.Name, f.Type)
		}
		dst.Set(v.Convert(dst.Type()))
	}
	k, ok := keyOf(meta, probe)
	if !ok {
		return nil, fmt.Errorf("%w: %s with a zero key", ErrNotFound, meta.Name)
	}
	if en := em.lookupID(meta, k); en != nil && en.state != stateRemoved && len(q.populate) == 0 {
		return en.ptr.Interface().(*T), nil
	}
	q.where = append(q.where, keyFilter(meta, probe))
	q.limit = 1
	ents, err := em.find(ctx, q)
	if err != nil {
		return nil, err
	}
	if len(ents) == 0 {
		return nil, fmt.Errorf("%w: %s with key %v", ErrNotFound, meta.Name, id)
	}
	return ents[0].ptr.Interface().(*T), nil
}

// Count returns the number of rows of T matching the filters (ordering,
// limit and populate options are ignored).
func Count[T any](ctx context.Context, em *EntityManager, opts ...QueryOption) (int64, error) {
	q, err := buildQuery[T](em, opts)
	if err != nil {
		return 0, err
	}
	c := &sqlCtx{resolve: entityResolver(q.meta, ""), meta: q.meta}
	w, err := q.whereSQL(c)
	if err != nil {
		return 0, err
	}
	var n int64
	if err := em.executor().QueryRow(ctx, "SELECT count(*) FROM "+quoteTable(q.meta.Table)+w, c.args...).Scan(&n); err != nil {
		return 0, em.orm.dbError("Count "+q.meta.Name, err)
	}
	return n, nil
}

// Exists reports whether a row of T matches the filters.
func Exists[T any](ctx context.Context, em *EntityManager, opts ...QueryOption) (bool, error) {
	q, err := buildQuery[T](em, opts)
	if err != nil {
		return false, err
	}
	c := &sqlCtx{resolve: entityResolver(q.meta, ""), meta: q.meta}
	w, err := q.whereSQL(c)
	if err != nil {
		return false, err
	}
	var ok bool
	if err := em.executor().QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+quoteTable(q.meta.Table)+w+")", c.args...).Scan(&ok); err != nil {
		return false, em.orm.dbError("Exists "+q.meta.Name, err)
	}
	return ok, nil
}

// keyFilter matches an entity value's primary key.
func keyFilter(meta *Entity, v reflect.Value) Filter {
	var fs []Filter
	for _, f := range meta.PrimaryKey {
		fs = append(fs, Eq(f.Column, v.FieldByIndex(f.Index).Interface()))
	}
	if len(fs) == 1 {
		return fs[0]
	}
	return And(fs...)
}

func (em *EntityManager) find(ctx context.Context, q *query) ([]*entry, error) {
	sqlText, args, err := q.selectSQL(nil)
	if err != nil {
		return nil, err
	}
	ents, err := em.load(ctx, q.meta, sqlText, args, 0)
	if err != nil {
		return nil, em.orm.dbError("Find "+q.meta.Name, err)
	}
	if len(q.populate) > 0 && len(ents) > 0 {
		if err := em.populate(ctx, q.meta, ents, q.populate); err != nil {
			return nil, err
		}
	}
	return ents, nil
}

// load runs a SELECT of meta's columns (preceded by extra leading columns,
// scanned and returned per row through extraOut) and merges the rows into
// the identity map.
func (em *EntityManager) load(ctx context.Context, meta *Entity, sqlText string, args []any, extra int) ([]*entry, error) {
	ents, _, err := em.loadExtra(ctx, meta, sqlText, args, extra)
	return ents, err
}

func (em *EntityManager) loadExtra(ctx context.Context, meta *Entity, sqlText string, args []any, extra int) ([]*entry, [][]any, error) {
	rows, err := em.executor().Query(ctx, sqlText, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	// Loaded entities, by address (8 bytes each rather than a 24-byte
	// reflect.Value), in blocks: the result grows without being copied.
	var fresh [][]unsafe.Pointer
	n := 0
	var extras [][]any
	targets := make([]any, extra+len(meta.Fields)) // reused for every row
	var span *slabSpan
	for rows.Next() {
		v, sp := em.mem.newLoaded(meta, n)
		if sp != span && sp != nil {
			// A new chunk: its entry slots find its entities by address.
			em.idx(meta).addSpan(sp)
			span = sp
		}
		fillScanTargets(targets[extra:], meta, v)
		var ex []any
		if extra > 0 {
			ex = make([]any, extra)
			for i := range ex {
				targets[i] = &ex[i]
			}
		}
		if err := rows.Scan(targets...); err != nil {
			return nil, nil, err
		}
		if extra > 0 {
			extras = append(extras, ex)
		}
		if len(fresh) == 0 || len(fresh[len(fresh)-1]) == cap(fresh[len(fresh)-1]) {
			fresh = append(fresh, make([]unsafe.Pointer, 0, min(max(n, 64), 4096)))
		}
		fresh[len(fresh)-1] = append(fresh[len(fresh)-1], unsafe.Pointer(v.UnsafeAddr()))
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	// Merge once every row is read: nothing is managed from a failed query.
	em.reserve(meta, n)
	ents := make([]*entry, 0, n)
	for _, block := range fresh {
		for _, p := range block {
			ents = append(ents, em.merge(meta, reflect.NewAt(meta.Type, p)))
		}
	}
	return ents, extras, nil
}

// merge puts a freshly loaded entity into the identity map, or returns the
// entity already there for that key.
func (em *EntityManager) merge(meta *Entity, fresh reflect.Value) *entry {
	k, ok := keyOf(meta, fresh.Elem())
	if ok {
		if en := em.lookupID(meta, k); en != nil {
			return en
		}
	}
	return em.addKeyed(meta, fresh, stateManaged, k)
}

// scanTargets returns the scan destinations for meta's columns in v.
func scanTargets(meta *Entity, v reflect.Value) []any {
	out := make([]any, len(meta.Fields))
	fillScanTargets(out, meta, v)
	return out
}

func fillScanTargets(out []any, meta *Entity, v reflect.Value) {
	if v.CanAddr() {
		// Plain fields straight from their offset (embedded structs are
		// embedded by value, so every field is at a fixed offset from the
		// entity's address, and unsafe.Add stays inside the entity).
		base := unsafe.Pointer(v.UnsafeAddr())
		for i, f := range meta.Fields {
			if f.dst != dstReflect {
				out[i] = dstAt(f.dst, unsafe.Add(base, f.offset))
				continue
			}
			fv := v.FieldByIndex(f.Index)
			if f.JSON {
				out[i] = &jsonScanner{dst: fv}
			} else {
				out[i] = fv.Addr().Interface()
			}
		}
		return
	}
	for i, f := range meta.Fields {
		fv := v.FieldByIndex(f.Index)
		if f.JSON {
			out[i] = &jsonScanner{dst: fv}
		} else if d := plainDst(fv); d != nil {
			out[i] = d
		} else {
			out[i] = fv.Addr().Interface()
		}
	}
}

// jsonScanner decodes a json/jsonb/text column into a field.
type jsonScanner struct{ dst reflect.Value }

func (j *jsonScanner) Scan(src any) error {
	var data []byte
	switch s := src.(type) {
	case nil:
		j.dst.Set(reflect.Zero(j.dst.Type()))
		return nil
	case string:
		data = []byte(s)
	case []byte:
		data = s
	default:
		b, err := json.Marshal(s) // pgx may hand over decoded JSON
		if err != nil {
			return err
		}
		data = b
	}
	p := reflect.New(j.dst.Type())
	if err := json.Unmarshal(data, p.Interface()); err != nil {
		return fmt.Errorf("decode JSON column: %w", err)
	}
	j.dst.Set(p.Elem())
	return nil
}
