package modelinfo_test

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"slices"
	"testing"

	"github.com/ormshift/ormshift/analyzers/modelinfo"
)

const src = `package m

import (
	"database/sql"
	"time"
)

type Base struct {
	ID        uint ` + "`gorm:\"primaryKey\"`" + `
	CreatedAt time.Time
}

type Owner struct{ ID uint }

type HTTPLog struct {
	Base
	Path     string  ` + "`gorm:\"column:url_path\"`" + `
	UserID   uint
	Note     sql.NullString
	Ignored  string ` + "`gorm:\"-\"`" + `
	Owner    Owner
	Children []HTTPLog
	Audit    Audit   ` + "`gorm:\"embedded;embeddedPrefix:audit_\"`" + `
	private  int
}

type Audit struct{ By string }

type Custom struct{ Code string }

func (Custom) TableName() string { return "custom_codes" }

type Dynamic struct{ ID int }

func (d Dynamic) TableName() string { return "dyn_" + d.suffix() }

func (Dynamic) suffix() string { return "x" }
`

func check(t *testing.T) (*types.Package, []*ast.File, *types.Info) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "m.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Defs: map[*ast.Ident]types.Object{}, Uses: map[*ast.Ident]types.Object{}}
	pkg, err := (&types.Config{Importer: importer.Default()}).Check("m", fset, []*ast.File{f}, info)
	if err != nil {
		t.Fatal(err)
	}
	return pkg, []*ast.File{f}, info
}

func TestOf(t *testing.T) {
	pkg, files, info := check(t)
	local := modelinfo.Local(files, info)
	tables := func(n *types.Named) (string, bool) { s, ok := local[n.Obj()]; return s, ok }
	lookup := func(name string) types.Type { return pkg.Scope().Lookup(name).Type() }

	m := modelinfo.Of(types.NewPointer(types.NewSlice(lookup("HTTPLog"))), tables)
	if m == nil || m.Name != "HTTPLog" || m.Table != "http_logs" || m.TableFromMethod {
		t.Fatalf("HTTPLog: %+v", m)
	}
	var cols []string
	for _, c := range m.Columns {
		cols = append(cols, c.Name)
	}
	want := []string{"id", "created_at", "url_path", "user_id", "note", "audit_by"}
	if !slices.Equal(cols, want) {
		t.Errorf("columns = %v, want %v", cols, want)
	}
	if pk := m.PrimaryKey(); !slices.Equal(pk, []string{"id"}) {
		t.Errorf("primary key = %v", pk)
	}
	if c := m.Column("Path"); c != "url_path" {
		t.Errorf("Column(Path) = %q", c)
	}
	c := modelinfo.Of(lookup("Custom"), tables)
	if c.Table != "custom_codes" || !c.TableFromMethod {
		t.Errorf("Custom: %+v", c)
	}
	// A TableName that is not a constant does not count.
	if d := modelinfo.Of(lookup("Dynamic"), tables); d.Table != "dynamics" || d.TableFromMethod {
		t.Errorf("Dynamic: %+v", d)
	}
	if modelinfo.Of(types.Typ[types.String], tables) != nil {
		t.Error("a string is not a model")
	}
}
