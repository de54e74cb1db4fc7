package legacycall_test

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/tools/go/analysis"

	"github.com/ormshift/ormshift/analyzers/legacyapi"
	"github.com/ormshift/ormshift/analyzers/legacycall"
)

// stubs type-checks the gorm stub packages of testdata once.
var stubs = sync.OnceValues(func() (map[string]*types.Package, error) {
	fset := token.NewFileSet()
	pkgs := map[string]*types.Package{}
	std := importer.Default()
	imp := importerFunc(func(path string) (*types.Package, error) {
		if p, ok := pkgs[path]; ok {
			return p, nil
		}
		return std.Import(path)
	})
	for _, path := range []string{"gorm.io/gorm/clause", "gorm.io/gorm"} {
		dir := filepath.Join("testdata", "src", filepath.FromSlash(path))
		parsed, err := parser.ParseDir(fset, dir, nil, 0)
		if err != nil {
			return nil, err
		}
		for _, p := range parsed {
			var files []*ast.File
			for _, f := range p.Files {
				files = append(files, f)
			}
			conf := types.Config{Importer: imp}
			tp, err := conf.Check(path, fset, files, nil)
			if err != nil {
				return nil, fmt.Errorf("stub %s: %w", path, err)
			}
			pkgs[path] = tp
		}
	}
	return pkgs, nil
})

type importerFunc func(string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

// genChains turns fuzz bytes into a Go file of legacy call chains: roots
// (params, fields, globals, locals, helpers), methods from the legacy API
// table with arguments from a pool (often of the wrong type), conditional
// reassignments, scopes, transactions and nested literals.
func genChains(data []byte) string {
	names := legacyapi.GORMv2.MethodNames()
	args := []string{`"name = ?"`, `1`, `&p`, `&ps`, `ctx`, `x`, `"id desc"`, `scope`, `Helper(db)`,
		`func(tx *gorm.DB) error { return tx.Create(&p).Error }`, `map[string]any{"a": 1}`, `Model{}`, `nil`, `q`, `[]int{1}`}
	roots := []string{"db", "s.db", "DB", "q", "Helper(db)", "Scope()(db)", "gorm.G[Model](db)", "tx", "(db)", "db.Session(nil)"}
	i := 0
	next := func(n int) int {
		if n <= 0 {
			return 0
		}
		if i >= len(data) {
			i++
			return i % n
		}
		v := int(data[i]) % n
		i++
		return v
	}
	var b strings.Builder
	b.WriteString(`package f

import (
	"context"

	"gorm.io/gorm"
)

type Model struct{ ID uint; Name string }

type S struct{ db *gorm.DB }

var DB *gorm.DB

func Helper(db *gorm.DB) *gorm.DB { return db.Where("deleted_at IS NULL") }

func Scope() func(*gorm.DB) *gorm.DB { return func(d *gorm.DB) *gorm.DB { return d.Limit(1) } }

func scope(d *gorm.DB) *gorm.DB { return d.Order("id") }

func (s *S) F(ctx context.Context, db *gorm.DB, x string) {
	var p Model
	var ps []Model
	q := db.Model(&p)
	tx := db.Begin()
	_, _, _, _ = p, ps, q, tx
`)
	stmts := 1 + next(12)
	depth := 0
	for n := 0; n < stmts && n < 40; n++ {
		var chain strings.Builder
		chain.WriteString(roots[next(len(roots))])
		for l := 0; l < next(7); l++ {
			m := names[next(len(names))]
			var as []string
			for a := 0; a < next(4); a++ {
				as = append(as, args[next(len(args))])
			}
			fmt.Fprintf(&chain, ".%s(%s)", m, strings.Join(as, ", "))
		}
		switch next(6) {
		case 0:
			fmt.Fprintf(&b, "\tq = %s\n", chain.String())
		case 1:
			fmt.Fprintf(&b, "\tif x != \"\" {\n\t\tq = q.Where(x)\n\t}\n\t_ = %s\n", chain.String())
		case 2:
			fmt.Fprintf(&b, "\t_ = db.Transaction(func(tx *gorm.DB) error {\n\t\t_ = %s\n\t\treturn nil\n\t})\n", chain.String())
		case 3:
			fmt.Fprintf(&b, "\tfunc() {\n\t\t_ = %s\n", chain.String())
			depth++
		default:
			fmt.Fprintf(&b, "\t_ = %s\n", chain.String())
		}
	}
	for ; depth > 0; depth-- {
		b.WriteString("\t}()\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// analyzeSource type-checks src against the stubs (type errors allowed) and
// runs legacycall on it, returning the diagnostics.
func analyzeSource(t testing.TB, src string) []analysis.Diagnostic {
	pkgs, err := stubs()
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "f.go", src, parser.ParseComments)
	if err != nil {
		return nil // not Go: nothing to analyze
	}
	info := &types.Info{
		Types: map[ast.Expr]types.TypeAndValue{}, Defs: map[*ast.Ident]types.Object{},
		Uses: map[*ast.Ident]types.Object{}, Selections: map[*ast.SelectorExpr]*types.Selection{},
		Instances: map[*ast.Ident]types.Instance{}, Implicits: map[ast.Node]types.Object{},
		Scopes: map[ast.Node]*types.Scope{}, FileVersions: map[*ast.File]string{},
	}
	std := importer.Default()
	conf := types.Config{
		Importer: importerFunc(func(path string) (*types.Package, error) {
			if p, ok := pkgs[path]; ok {
				return p, nil
			}
			return std.Import(path)
		}),
		Error: func(error) {}, // keep going: ill-typed input must not panic either
	}
	pkg, _ := conf.Check("f", fset, []*ast.File{f}, info)
	var diags []analysis.Diagnostic
	pass := &analysis.Pass{
		Analyzer:          legacycall.Analyzer,
		Fset:              fset,
		Files:             []*ast.File{f},
		Pkg:               pkg,
		TypesInfo:         info,
		Report:            func(d analysis.Diagnostic) { diags = append(diags, d) },
		ImportObjectFact:  func(types.Object, analysis.Fact) bool { return false },
		ExportObjectFact:  func(types.Object, analysis.Fact) {},
		ImportPackageFact: func(*types.Package, analysis.Fact) bool { return false },
		ExportPackageFact: func(analysis.Fact) {},
		ResultOf:          map[*analysis.Analyzer]any{},
	}
	if _, err := legacycall.Analyzer.Run(pass); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return diags
}

func FuzzChains(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9})
	f.Add([]byte("legacy GORM chains, conditional reassignment, scopes, transactions"))
	f.Add([]byte{11, 0, 6, 20, 2, 2, 2, 2, 3, 3, 3, 1, 1, 1, 0, 0, 0, 5, 5, 5})
	f.Fuzz(func(t *testing.T, data []byte) {
		src := genChains(data)
		for _, d := range analyzeSource(t, src) {
			if !strings.HasPrefix(d.Message, "legacy GORM") || !strings.HasPrefix(d.Category, "legacycall/") {
				t.Errorf("bad diagnostic %q (%s) for:\n%s", d.Message, d.Category, src)
			}
			if !d.Pos.IsValid() {
				t.Errorf("diagnostic without position: %q", d.Message)
			}
		}
	})
}

// TestGeneratedChainsReport checks that the generator's output is analyzed
// (so the fuzz target exercises the analyzer rather than bailing out).
func TestGeneratedChainsReport(t *testing.T) {
	src := genChains([]byte{5, 0, 4, 30, 0, 5, 0, 0})
	if len(analyzeSource(t, src)) == 0 {
		t.Fatalf("no diagnostics for:\n%s", src)
	}
}
