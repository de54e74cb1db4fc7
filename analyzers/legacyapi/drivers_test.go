package legacyapi

import (
	"go/types"
	"testing"

	"golang.org/x/tools/go/packages"
)

// TestDriverRowsMatchLibraries checks the database/sql, pgx and pgxpool rows
// against the real packages: every row's method exists on every handle
// type, ResolveSQL finds it, and the SQL parameter is a string. (sqlx is not
// a dependency of this module; its rows are checked by the sqlinject and
// sqlcheck fixtures, whose stub copies sqlx's signatures.)
func TestDriverRowsMatchLibraries(t *testing.T) {
	pkgs, err := packages.Load(&packages.Config{Mode: packages.NeedTypes | packages.NeedName},
		"database/sql", "github.com/jackc/pgx/v5", "github.com/jackc/pgx/v5/pgxpool")
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]*types.Package{}
	for _, p := range pkgs {
		if p.Types == nil {
			t.Fatalf("load %s failed", p.PkgPath)
		}
		byPath[p.PkgPath] = p.Types
	}
	for _, lib := range []*Library{DatabaseSQL, Pgx, PgxPool} {
		pkg := byPath[lib.Path]
		for _, hn := range append([]string{lib.HandleType}, lib.HandleTypes...) {
			obj := pkg.Scope().Lookup(hn)
			if obj == nil {
				t.Fatalf("%s.%s does not exist", lib.Path, hn)
			}
			recv := obj.Type()
			if _, isIface := recv.Underlying().(*types.Interface); !isIface {
				recv = types.NewPointer(recv)
			}
			found := 0
			for name, m := range lib.Methods {
				o, _, _ := types.LookupFieldOrMethod(recv, true, pkg, name)
				fn, ok := o.(*types.Func)
				if !ok {
					continue // e.g. Queue exists on Batch only
				}
				found++
				l, row := ResolveSQL(fn)
				if l != lib || row != m {
					t.Errorf("%s.%s.%s: ResolveSQL = %v, %v", lib.Path, hn, name, l, row)
				}
				sig := fn.Type().(*types.Signature)
				for _, p := range m.SQL {
					if b, ok := sig.Params().At(p.Index).Type().(*types.Basic); !ok || b.Kind() != types.String {
						t.Errorf("%s.%s.%s: SQL param %d is %s", lib.Path, hn, name, p.Index, sig.Params().At(p.Index).Type())
					}
				}
			}
			if found == 0 {
				t.Errorf("%s.%s: no row matches a method", lib.Path, hn)
			}
		}
	}
	// Drivers are not legacy ORMs.
	o, _, _ := types.LookupFieldOrMethod(types.NewPointer(byPath["database/sql"].Scope().Lookup("DB").Type()), true, byPath["database/sql"], "Query")
	if l, m := Resolve(o.(*types.Func)); l != nil || m != nil {
		t.Errorf("Resolve((*sql.DB).Query) = %v, %v; want nothing (not an ORM)", l, m)
	}
	// Stmt methods take no SQL.
	o, _, _ = types.LookupFieldOrMethod(types.NewPointer(byPath["database/sql"].Scope().Lookup("Stmt").Type()), true, byPath["database/sql"], "Query")
	if _, m := ResolveSQL(o.(*types.Func)); m != nil {
		t.Errorf("ResolveSQL((*sql.Stmt).Query) = %v, want nil", m)
	}
}
