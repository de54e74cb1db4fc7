package legacyapi

import (
	"go/types"
	"testing"

	"golang.org/x/tools/go/packages"
)

// TestTableMatchesGORM checks every GORM v2 row against the real gorm.io/gorm
// package: the method exists on *gorm.DB (or the generics interfaces), and
// every SQL parameter index points at a string or interface{} parameter.
func TestTableMatchesGORM(t *testing.T) {
	pkgs, err := packages.Load(&packages.Config{Mode: packages.NeedTypes | packages.NeedName}, "gorm.io/gorm")
	if err != nil || len(pkgs) != 1 || pkgs[0].Types == nil {
		t.Fatalf("load gorm.io/gorm: %v", err)
	}
	scope := pkgs[0].Types.Scope()
	db := scope.Lookup("DB").Type()
	check := func(where string, obj types.Object, m *Method) {
		t.Helper()
		fn, ok := obj.(*types.Func)
		if !ok {
			t.Errorf("%s.%s: not a method in gorm", where, m.Name)
			return
		}
		lib, row := Resolve(fn)
		if lib != GORMv2 || row == nil {
			t.Errorf("%s.%s: Resolve did not find the row", where, m.Name)
		}
		sig := fn.Type().(*types.Signature)
		for _, p := range m.SQL {
			if p.Index >= sig.Params().Len() {
				t.Errorf("%s.%s: SQL param %d out of range", where, m.Name, p.Index)
				continue
			}
			pt := sig.Params().At(p.Index).Type()
			if sl, ok := pt.(*types.Slice); ok && sig.Variadic() && p.Index == sig.Params().Len()-1 {
				pt = sl.Elem()
			}
			switch u := pt.Underlying().(type) {
			case *types.Basic:
				if u.Kind() != types.String {
					t.Errorf("%s.%s: SQL param %d is %s", where, m.Name, p.Index, pt)
				}
			case *types.Interface:
			default:
				t.Errorf("%s.%s: SQL param %d is %s", where, m.Name, p.Index, pt)
			}
			if p.Cite == "" {
				t.Errorf("%s.%s: SQL param %d has no citation", where, m.Name, p.Index)
			}
		}
	}
	for name, m := range GORMv2.Methods {
		obj, _, _ := types.LookupFieldOrMethod(types.NewPointer(db), true, pkgs[0].Types, name)
		check("DB", obj, m)
	}
	for name, m := range GORMv2.GenericMethods {
		found := false
		for _, tn := range GORMv2.GenericTypes {
			obj := scope.Lookup(tn)
			if obj == nil {
				t.Fatalf("generics type %s not in gorm", tn)
			}
			if o, _, _ := types.LookupFieldOrMethod(obj.Type(), false, pkgs[0].Types, name); o != nil {
				check(tn, o, m)
				found = true
				break
			}
		}
		if !found {
			t.Errorf("generic method %s on none of %v", name, GORMv2.GenericTypes)
		}
	}
	for name := range GORMv2.Funcs {
		if scope.Lookup(name) == nil {
			t.Errorf("func gorm.%s does not exist", name)
		}
	}
}

func TestRawRules(t *testing.T) {
	cases := []struct {
		lib   *Library
		rule  RawRule
		s     string
		nargs int
		raw   bool
	}{
		{GORMv2, RawCondition, "42", 0, false},
		{GORMv2, RawCondition, " 42 ", 0, true},  // strconv.Atoi rejects spaces
		{GORMv1, RawCondition, " 42 ", 0, false}, // ^\s*\d+\s*$ accepts them
		{GORMv2, RawCondition, "name = ?", 1, true},
		{GORMv2, RawCondition, "name", 1, false}, // clause.Eq
		{GORMv2, RawUnlessIdentifier, "name", 0, false},
		{GORMv2, RawUnlessIdentifier, "users.name", 0, false},
		{GORMv2, RawUnlessIdentifier, "name desc", 0, true},
		{GORMv2, RawUnlessIdentifier, "lower(name)", 0, true},
		{GORMv2, RawTable, "users", 0, false},
		{GORMv2, RawTable, "users u", 0, true},
		{GORMv2, RawTable, "`users`", 0, true},
		{GORMv2, RawTable, "users", 1, true},
		{GORMv1, RawTable, "`users`", 0, false},
		{GORMv1, RawUnlessColumnLike, "users.name", 0, false},
		{GORMv1, RawUnlessColumnLike, "name desc", 0, true},
		{GORMv2, RawAlways, "name", 0, true},
	}
	for _, c := range cases {
		if got := c.lib.IsRawSQLArg(c.rule, c.s, c.nargs); got != c.raw {
			t.Errorf("%s %s %q (%d args): raw=%v, want %v", c.lib.Name, c.rule, c.s, c.nargs, got, c.raw)
		}
	}
}
