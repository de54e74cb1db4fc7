package dualrun

import (
	"database/sql/driver"
	"reflect"
	"strings"
	"sync"

	"github.com/ormshift/ormshift/uow"
	"github.com/ormshift/ormshift/uow/naming"
)

// Column is one column of an entity row: its name and the field index path
// that holds it in the struct.
type Column struct {
	Name  string
	Index []int
}

// EntityColumns is what entity comparison needs to know about a type.
type EntityColumns struct {
	Table      string
	Columns    []Column
	PrimaryKey []string // column names; rows of a list are aligned by them
	Relations  []Column // relation fields, named by Go field name
}

// ColumnsFunc maps a struct type to its entity columns; ok is false for
// types that are not entities (they are then compared field by field).
type ColumnsFunc func(t reflect.Type) (cols *EntityColumns, ok bool)

var columnsCache sync.Map // reflect.Type -> *EntityColumns (nil: not an entity)

// DefaultColumns reads entity metadata with the shared naming rules
// (package uow/naming: GORM-compatible tags and naming), so a legacy GORM
// model and a runtime entity map to the same columns: exported fields that
// hold a value (not relations), embedded structs flattened (with
// embeddedPrefix), `gorm:"column:..."` honoured, `gorm:"-"` and `uow:"-"`
// skipped. A struct is an entity when it has a primary key (an ID field or
// a primaryKey tag) and is not a value type (time.Time, a Valuer).
func DefaultColumns(t reflect.Type) (*EntityColumns, bool) {
	if v, ok := columnsCache.Load(t); ok {
		ec := v.(*EntityColumns)
		return ec, ec != nil
	}
	var ec *EntityColumns
	if t.Kind() == reflect.Struct && !isValueStruct(t) {
		var cols, rels []Column
		var tagged, byName []string
		collectColumns(t, nil, "", 0, &cols, &rels, &tagged, &byName)
		pk := tagged
		if len(pk) == 0 {
			pk = byName
		}
		if len(pk) > 0 && len(cols) > 0 {
			ec = &EntityColumns{Table: naming.TableName(t.Name()), Columns: cols, PrimaryKey: pk, Relations: rels}
			if tn, ok := reflect.New(t).Interface().(interface{ TableName() string }); ok {
				func() {
					defer func() { _ = recover() }()
					ec.Table = tn.TableName()
				}()
			}
		}
	}
	columnsCache.Store(t, ec)
	return ec, ec != nil
}

var valuerType = reflect.TypeOf((*driver.Valuer)(nil)).Elem()

func isValueStruct(t reflect.Type) bool {
	return t == timeType || t.Implements(valuerType) || reflect.PointerTo(t).Implements(valuerType)
}

func collectColumns(t reflect.Type, index []int, prefix string, depth int, out, rels *[]Column, tagged, byName *[]string) {
	if depth > 8 {
		return
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := naming.ParseTagSettings(f.Tag.Get("gorm"))
		if _, ok := tag["-"]; ok || naming.ParseUowTag(f.Tag.Get("uow")).Ignore {
			continue
		}
		idx := append(append([]int(nil), index...), i)
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		_, embedded := tag["EMBEDDED"]
		if ft.Kind() == reflect.Struct && !isValueStruct(ft) && (f.Anonymous || embedded) {
			collectColumns(ft, idx, prefix+tag["EMBEDDEDPREFIX"], depth+1, out, rels, tagged, byName)
			continue
		}
		if isRelation(ft) {
			*rels = append(*rels, Column{Name: f.Name, Index: idx})
			continue
		}
		name := tag["COLUMN"]
		if name == "" {
			name = naming.ColumnName(f.Name)
		}
		if naming.IsPrimaryKeyTag(tag) {
			*tagged = append(*tagged, prefix+name)
		} else if f.Name == "ID" && depth == 0 {
			*byName = append(*byName, prefix+name)
		}
		*out = append(*out, Column{Name: prefix + name, Index: idx})
	}
}

// isRelation reports whether a field of (dereferenced) type t holds related
// entities rather than a column value.
func isRelation(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Struct:
		return !isValueStruct(t)
	case reflect.Slice, reflect.Array:
		e := t.Elem()
		for e.Kind() == reflect.Pointer {
			e = e.Elem()
		}
		return e.Kind() == reflect.Struct && !isValueStruct(e)
	}
	return false
}

// row is an entity value seen as a row.
type row struct {
	table string
	cols  map[string]reflect.Value
	order []string
	rels  map[string]reflect.Value // relation fields, by Go name
	key   string                   // "id=3", when the primary key is known
}

func (d *differ) row(v reflect.Value) (*row, bool) {
	if v.Kind() == reflect.Map && v.Type().Key().Kind() == reflect.String {
		// A column map (as from the capture of row effects) is a row already.
		r := &row{cols: map[string]reflect.Value{}}
		for _, k := range v.MapKeys() {
			r.cols[k.String()] = v.MapIndex(k)
			r.order = append(r.order, k.String())
		}
		return r, true
	}
	if v.Kind() != reflect.Struct {
		return nil, false
	}
	ec, ok := d.o.columns(v.Type())
	if !ok || ec == nil {
		return nil, false
	}
	r := &row{table: ec.Table, cols: make(map[string]reflect.Value, len(ec.Columns))}
	for _, c := range ec.Columns {
		f, err := v.FieldByIndexErr(c.Index)
		if err != nil { // through a nil embedded pointer: NULL
			f = reflect.Value{}
		}
		r.cols[c.Name] = f
		r.order = append(r.order, c.Name)
	}
	if pk := ec.PrimaryKey; len(pk) > 0 {
		parts := make([]string, len(pk))
		for i, c := range pk {
			parts[i] = c + "=" + show(r.cols[c])
		}
		r.key = strings.Join(parts, ",")
	}
	if !d.o.noRelations {
		for _, c := range ec.Relations {
			if f, err := v.FieldByIndexErr(c.Index); err == nil {
				if r.rels == nil {
					r.rels = map[string]reflect.Value{}
				}
				r.rels[c.Name] = f
			}
		}
	}
	return r, true
}

func (d *differ) cmpRows(path string, a, b *row) {
	seen := map[string]bool{}
	for _, list := range [][]string{a.order, b.order} {
		for _, c := range list {
			if seen[c] {
				continue
			}
			seen[c] = true
			if d.skip("", c) || d.skip(a.table, c) || d.skip(b.table, c) {
				continue
			}
			if d.done() {
				return
			}
			va, oka := a.cols[c]
			vb, okb := b.cols[c]
			p := d.field(path, c)
			switch {
			case !oka:
				d.add(p, "missing in control, candidate %s", show(vb))
			case !okb:
				d.add(p, "control %s, missing in candidate", show(va))
			default:
				d.cmp(p, va, vb)
			}
		}
	}
	// Relations present on both sides are compared (as rows, recursively);
	// a relation only one Go type has is not.
	for name, va := range a.rels {
		vb, ok := b.rels[name]
		if !ok || d.skip("", name) || d.skip(a.table, name) {
			continue
		}
		d.cmp(d.field(path, name), va, vb)
	}
}

// keyedRows returns the rows of a list of entities by primary key, when
// every element is an entity with a known, unique key.
func (d *differ) keyedRows(list reflect.Value) ([]*row, bool) {
	if !d.o.entities {
		return nil, false
	}
	out := make([]*row, list.Len())
	seen := make(map[string]bool, list.Len())
	for i := range out {
		v, isNil := deref(list.Index(i))
		if isNil {
			return nil, false
		}
		r, ok := d.row(v)
		if !ok || r.key == "" || seen[r.key] {
			return nil, false
		}
		seen[r.key] = true
		out[i] = r
	}
	return out, true
}

// cmpKeyed compares two lists of entity rows by primary key: rows only one
// side has are listed as such, rows both have are compared column by
// column, and (unless order is ignored) a different order of the same keys
// is reported once.
func (d *differ) cmpKeyed(path string, a, b []*row, ignoreOrder bool) {
	bm := make(map[string]*row, len(b))
	for _, r := range b {
		bm[r.key] = r
	}
	am := make(map[string]*row, len(a))
	for _, r := range a {
		am[r.key] = r
	}
	if a, b := len(a), len(b); a != b {
		d.add(path, "control has %d row(s), candidate %d", a, b)
	}
	var common []string
	for _, r := range a {
		if _, ok := bm[r.key]; ok {
			common = append(common, r.key)
		} else {
			d.add(d.key(path, r.key), "row only in control: %s", showRow(r))
		}
	}
	var bcommon []string
	for _, r := range b {
		if _, ok := am[r.key]; ok {
			bcommon = append(bcommon, r.key)
		} else {
			d.add(d.key(path, r.key), "row only in candidate: %s", showRow(r))
		}
	}
	if !ignoreOrder && strings.Join(common, ";") != strings.Join(bcommon, ";") {
		d.add(path, "rows in a different order: control %s, candidate %s", strings.Join(common, " "), strings.Join(bcommon, " "))
	}
	for _, k := range common {
		if d.done() {
			return
		}
		d.cmpRows(d.key(path, k), am[k], bm[k])
	}
}

func showRow(r *row) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, c := range r.order {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c)
		b.WriteByte(':')
		b.WriteString(show(r.cols[c]))
	}
	b.WriteByte('}')
	s := b.String()
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// RegistryColumns maps entity types through the runtime's own metadata (the
// registry of uow.Open / uow.Parse: orm.Registry()), so comparison uses
// exactly the columns, keys and relations the runtime reads and writes.
// Types the registry does not know fall back to DefaultColumns.
//
//	exp.Compare = dualrun.Equal[any](dualrun.WithColumns(dualrun.RegistryColumns(orm.Registry())))
func RegistryColumns(reg *uow.Registry) ColumnsFunc {
	var cache sync.Map // reflect.Type -> *EntityColumns
	return func(t reflect.Type) (*EntityColumns, bool) {
		if v, ok := cache.Load(t); ok {
			ec := v.(*EntityColumns)
			return ec, ec != nil
		}
		e, err := reg.Lookup(t)
		if err != nil {
			return DefaultColumns(t)
		}
		var ec *EntityColumns
		if len(e.PrimaryKey) > 0 {
			ec = &EntityColumns{Table: e.Table}
			for _, f := range e.Fields {
				ec.Columns = append(ec.Columns, Column{Name: f.Column, Index: f.Index})
			}
			for _, f := range e.PrimaryKey {
				ec.PrimaryKey = append(ec.PrimaryKey, f.Column)
			}
			for _, r := range e.Relations {
				ec.Relations = append(ec.Relations, Column{Name: r.Name, Index: r.Index})
			}
		}
		cache.Store(t, ec)
		return ec, ec != nil
	}
}
