// Package modelinfo gives the entity metadata of a Go struct seen through
// go/types: its table and its columns, by the same rules GORM and the uow
// runtime use (package uow/naming). A model's TableName() method wins over
// the naming rules when its body returns a constant string; analyzers find
// such methods in their own package from the syntax and learn about other
// packages' models through TableFact, an object fact.
//
// An analyzer that wants table names across packages lists
// (*TableFact)(nil) in its FactTypes and calls Export in its Run.
package modelinfo

import (
	"go/ast"
	"go/constant"
	"go/types"
	"reflect"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/ormshift/ormshift/uow/naming"
)

// TableFact records that a named type has a TableName() string method
// whose body returns this constant.
type TableFact struct{ Table string }

// AFact marks TableFact as an analysis fact.
func (*TableFact) AFact() {}

func (f *TableFact) String() string { return "table " + f.Table }

// Model is the metadata of one struct model.
type Model struct {
	Name    string // Go type name ("Package")
	PkgPath string // package path of the type
	Table   string // table name
	// TableFromMethod says the table came from a TableName() method.
	TableFromMethod bool
	Columns         []Column
}

// Column is one mapped field.
type Column struct {
	Field      string // Go field path ("ID", "Model.ID" for embedded)
	Name       string // column name
	PrimaryKey bool
}

// PrimaryKey returns the primary key column names.
func (m *Model) PrimaryKey() []string {
	var pk []string
	for _, c := range m.Columns {
		if c.PrimaryKey {
			pk = append(pk, c.Name)
		}
	}
	return pk
}

// Column returns the column of the Go field name, or "".
func (m *Model) Column(field string) string {
	for _, c := range m.Columns {
		if c.Field == field || strings.HasSuffix(c.Field, "."+field) {
			return c.Name
		}
	}
	return ""
}

// TableNameFunc returns the constant a named type's TableName() method
// returns, when known.
type TableNameFunc func(*types.Named) (string, bool)

// Export finds, in the package being analyzed, the TableName() methods
// whose body returns a constant string and exports a TableFact for each
// receiver type. It returns them keyed by type name object.
func Export(pass *analysis.Pass) map[*types.TypeName]string {
	found := Local(pass.Files, pass.TypesInfo)
	for obj, table := range found {
		pass.ExportObjectFact(obj, &TableFact{Table: table})
	}
	return found
}

// Local scans files for `func (T) TableName() string { return C }` and
// returns the constant per receiver type, without exporting facts.
func Local(files []*ast.File, info *types.Info) map[*types.TypeName]string {
	found := map[*types.TypeName]string{}
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || fd.Name.Name != "TableName" || fd.Body == nil {
				continue
			}
			fn, ok := info.Defs[fd.Name].(*types.Func)
			if !ok {
				continue
			}
			sig := fn.Type().(*types.Signature)
			if sig.Params().Len() != 0 || sig.Results().Len() != 1 {
				continue
			}
			if b, ok := sig.Results().At(0).Type().Underlying().(*types.Basic); !ok || b.Kind() != types.String {
				continue
			}
			if len(fd.Body.List) != 1 {
				continue
			}
			ret, ok := fd.Body.List[0].(*ast.ReturnStmt)
			if !ok || len(ret.Results) != 1 {
				continue
			}
			tv, ok := info.Types[ret.Results[0]]
			if !ok || tv.Value == nil || tv.Value.Kind() != constant.String {
				continue
			}
			rt := sig.Recv().Type()
			if p, ok := rt.(*types.Pointer); ok {
				rt = p.Elem()
			}
			if n, ok := types.Unalias(rt).(*types.Named); ok {
				found[n.Obj()] = constant.StringVal(tv.Value)
			}
		}
	}
	return found
}

// Lookup returns a TableNameFunc for a pass: local TableName methods first
// (pass it Export's result), then facts from other packages.
func Lookup(pass *analysis.Pass, local map[*types.TypeName]string) TableNameFunc {
	return func(n *types.Named) (string, bool) {
		obj := n.Origin().Obj()
		if t, ok := local[obj]; ok {
			return t, true
		}
		if obj.Pkg() != pass.Pkg && pass.ImportObjectFact != nil {
			var f TableFact
			if pass.ImportObjectFact(obj, &f) {
				return f.Table, true
			}
		}
		return "", false
	}
}

// ModelType strips pointers, slices, arrays and maps' absence from t to the
// struct type a GORM destination or value names: *[]*Package -> Package.
// It returns nil when t does not name a struct.
func ModelType(t types.Type) *types.Named {
	for i := 0; i < 8; i++ {
		switch u := types.Unalias(t).(type) {
		case *types.Pointer:
			t = u.Elem()
			continue
		case *types.Slice:
			t = u.Elem()
			continue
		case *types.Array:
			t = u.Elem()
			continue
		case *types.Named:
			if _, ok := u.Underlying().(*types.Struct); ok {
				return u
			}
			return nil
		}
		return nil
	}
	return nil
}

// Of returns the model metadata of t (after ModelType), or nil when t is not
// a named struct type. tableName may be nil.
func Of(t types.Type, tableName TableNameFunc) *Model {
	n := ModelType(t)
	if n == nil {
		return nil
	}
	m := &Model{Name: n.Obj().Name()}
	if n.Obj().Pkg() != nil {
		m.PkgPath = n.Obj().Pkg().Path()
	}
	if tableName != nil {
		if tn, ok := tableName(n); ok {
			m.Table, m.TableFromMethod = tn, true
		}
	}
	if m.Table == "" {
		m.Table = naming.TableName(m.Name)
	}
	st := n.Underlying().(*types.Struct)
	m.Columns = columns(st, "", "", 0)
	hasPK := false
	for _, c := range m.Columns {
		hasPK = hasPK || c.PrimaryKey
	}
	if !hasPK {
		for i := range m.Columns {
			if m.Columns[i].Name == "id" {
				m.Columns[i].PrimaryKey = true
			}
		}
	}
	return m
}

func columns(st *types.Struct, path, prefix string, depth int) []Column {
	if depth > 4 {
		return nil
	}
	var cols []Column
	for i := 0; i < st.NumFields(); i++ {
		f := st.Field(i)
		if !f.Exported() {
			continue
		}
		tag := reflect.StructTag(st.Tag(i)).Get("gorm")
		settings := naming.ParseTagSettings(tag)
		if tag == "-" || settings["-"] != "" {
			continue
		}
		fieldPath := f.Name()
		if path != "" {
			fieldPath = path + "." + f.Name()
		}
		_, embedded := settings["EMBEDDED"]
		if f.Anonymous() || embedded {
			if sub, ok := structOf(f.Type()); ok {
				cols = append(cols, columns(sub, fieldPath, prefix+settings["EMBEDDEDPREFIX"], depth+1)...)
				continue
			}
		}
		if isRelation(f.Type()) {
			continue
		}
		name := settings["COLUMN"]
		if name == "" {
			name = naming.ColumnName(f.Name())
		}
		_, pk := settings["PRIMARYKEY"]
		if !pk {
			_, pk = settings["PRIMARY_KEY"]
		}
		cols = append(cols, Column{Field: fieldPath, Name: prefix + name, PrimaryKey: pk})
	}
	return cols
}

func structOf(t types.Type) (*types.Struct, bool) {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	st, ok := t.Underlying().(*types.Struct)
	return st, ok
}

// isRelation reports whether a field type is another model (a struct that is
// not a value type such as time.Time or sql.NullString), or a slice of them.
func isRelation(t types.Type) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if s, ok := t.Underlying().(*types.Slice); ok {
		e := s.Elem()
		if p, ok := e.(*types.Pointer); ok {
			e = p.Elem()
		}
		_, isStruct := e.Underlying().(*types.Struct)
		return isStruct && !isValueType(e)
	}
	if _, ok := t.Underlying().(*types.Struct); ok {
		return !isValueType(t)
	}
	return false
}

// isValueType reports whether a struct type is stored in one column: it
// implements sql.Scanner (Scan method) or driver.Valuer (Value method), or
// is time.Time.
func isValueType(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	if !ok {
		return false
	}
	if n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "time" && n.Obj().Name() == "Time" {
		return true
	}
	ms := types.NewMethodSet(types.NewPointer(n))
	for i := 0; i < ms.Len(); i++ {
		switch ms.At(i).Obj().Name() {
		case "Scan", "Value":
			return true
		}
	}
	return false
}
