package rewrite

import (
	"go/types"
	"reflect"
	"strings"

	"github.com/ormshift/ormshift/uow/naming"
)

// Model is the static metadata of a legacy model type, read through
// go/types with the same naming rules the runtime applies by reflection
// (package uow/naming).
type Model struct {
	Type    *types.Named
	Name    string            // Go struct name
	Table   string            // table name
	Columns map[string]string // column name -> Go field name
	Fields  map[string]string // Go field name -> column name
	PK      []string          // primary-key columns
	NotNull map[string]bool   // columns tagged not null or primary key
	// Relations are struct or slice-of-struct fields (Versions, Package).
	Relations map[string]types.Type
	// RelSettings are the gorm tag settings of each relation field.
	RelSettings map[string]map[string]string
	// CustomTable is set when the type has a TableName method: the table
	// is then not known statically.
	CustomTable bool
}

// ModelOf returns the metadata of t (a named struct, or a pointer or slice
// of one), or nil when t is not a struct model.
func ModelOf(t types.Type) *Model { return modelOf(t, nil) }

// modelOf is ModelOf with the constant TableName() methods known (from
// modelinfo.Local over the loaded packages).
func modelOf(t types.Type, tables map[*types.TypeName]string) *Model {
	t = deref(t)
	if s, ok := types.Unalias(t).(*types.Slice); ok {
		t = deref(s.Elem())
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok {
		return nil
	}
	st, ok := n.Underlying().(*types.Struct)
	if !ok {
		return nil
	}
	m := &Model{
		Type:      n,
		Name:      n.Obj().Name(),
		Table:     naming.TableName(n.Obj().Name()),
		Columns:   map[string]string{},
		Fields:    map[string]string{},
		Relations: map[string]types.Type{},
		NotNull:   map[string]bool{},

		RelSettings: map[string]map[string]string{},
	}
	if obj, _, _ := types.LookupFieldOrMethod(types.NewPointer(n), true, n.Obj().Pkg(), "TableName"); obj != nil {
		if _, isFunc := obj.(*types.Func); isFunc {
			m.CustomTable = true
			if tbl, ok := tables[n.Origin().Obj()]; ok {
				m.Table, m.CustomTable = tbl, false
			}
		}
	}
	m.addFields(st)
	if len(m.PK) == 0 {
		if _, ok := m.Columns["id"]; ok {
			m.PK = []string{"id"}
		}
	}
	return m
}

func (m *Model) addFields(st *types.Struct) {
	for i := 0; i < st.NumFields(); i++ {
		f := st.Field(i)
		tag := reflect.StructTag(st.Tag(i))
		settings := naming.ParseTagSettings(tag.Get("gorm"))
		if tag.Get("gorm") == "-" || !f.Exported() {
			continue
		}
		if _, ok := settings["-"]; ok {
			continue
		}
		if f.Embedded() {
			if est, ok := deref(f.Type()).Underlying().(*types.Struct); ok {
				m.addFields(est)
				continue
			}
		}
		ft := deref(f.Type())
		if isRelationType(ft) {
			m.Relations[f.Name()] = f.Type()
			m.RelSettings[f.Name()] = settings
			continue
		}
		col := naming.ColumnName(f.Name())
		if c, ok := settings["COLUMN"]; ok && c != "" {
			col = c
		}
		m.Columns[col] = f.Name()
		m.Fields[f.Name()] = col
		if naming.IsPrimaryKeyTag(settings) {
			m.PK = append(m.PK, col)
			m.NotNull[col] = true
		}
		if _, ok := settings["NOT NULL"]; ok {
			m.NotNull[col] = true
		}
	}
}

// isRelationType: a struct (other than time.Time and sql.Null*-like value
// types) or a slice of structs.
func isRelationType(t types.Type) bool {
	if s, ok := types.Unalias(t).(*types.Slice); ok {
		t = deref(s.Elem())
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok {
		return false
	}
	if _, ok := n.Underlying().(*types.Struct); !ok {
		return false
	}
	if n.Obj().Pkg() != nil {
		p := n.Obj().Pkg().Path()
		if p == "time" || p == "database/sql" || strings.HasPrefix(p, "gorm.io/") {
			return false
		}
	}
	// A type with a Scan or Value method is a column value, not a relation.
	for _, name := range []string{"Scan", "Value"} {
		if obj, _, _ := types.LookupFieldOrMethod(types.NewPointer(n), true, n.Obj().Pkg(), name); obj != nil {
			return false
		}
	}
	return true
}

func deref(t types.Type) types.Type {
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		return p.Elem()
	}
	return t
}

// BelongsTo returns the target model and the foreign-key column of m's
// relation rel when it is a belongs-to relation by GORM's default naming
// (a struct or pointer field Rel, and a field Rel+<target's key field> on
// m), with no tag overriding the keys.
func (m *Model) BelongsTo(rel string, tables map[*types.TypeName]string) (*Model, string, bool) {
	t, ok := m.Relations[rel]
	if !ok {
		return nil, "", false
	}
	if _, isSlice := types.Unalias(t).(*types.Slice); isSlice {
		return nil, "", false
	}
	for k := range m.RelSettings[rel] {
		switch k {
		case "FOREIGNKEY", "REFERENCES", "POLYMORPHIC", "POLYMORPHICTYPE", "POLYMORPHICID", "MANY2MANY", "JOINFOREIGNKEY", "JOINREFERENCES":
			return nil, "", false
		}
	}
	target := modelOf(t, tables)
	if target == nil || len(target.PK) != 1 {
		return nil, "", false
	}
	fk, ok := m.Fields[rel+target.Columns[target.PK[0]]]
	if !ok {
		return nil, "", false
	}
	return target, fk, true
}
