package rewrite

import (
	"go/ast"
	"go/constant"
	"go/types"
	"reflect"
	"strconv"
	"strings"

	"github.com/ormshift/ormshift/analyzers/legacyapi"
)

// preloadCond is a Preload(rel, conds...) link with conditions.
type preloadCond struct {
	rel  string
	args []ast.Expr
}

// preloadCalls renders the Preload links with conditions as calls of
// uow.PreloadHasMany on dest (a Go expression of a *P or *[]P). GORM
// (callbacks/preload.go) loads a has-many relation with WHERE fk IN (the
// parents' keys) AND the inline conditions, with the order a scope function
// sets; PreloadHasMany does the same query through Find and appends copies
// to new empty slices. Only has-many relations of a model type held by
// value, with SQL conditions the translator proves or a scope function
// whose body is `return db.Order("...")` / `db.Where("...", args...)`.
func (s *site) preloadCalls(dest string) ([]string, error) {
	var calls []string
	for _, pc := range s.preloads {
		rt, ok := s.model.Relations[pc.rel]
		if !ok {
			return nil, skipf("Preload(%q) is not a relation of %s", pc.rel, s.model.Name)
		}
		sl, ok := rt.Underlying().(*types.Slice)
		if !ok {
			return nil, skipf("Preload(%q) with conditions: only has-many relations (slices) are converted", pc.rel)
		}
		if _, isPtr := sl.Elem().Underlying().(*types.Pointer); isPtr {
			return nil, skipf("Preload(%q) with conditions: a slice of pointers is not converted", pc.rel)
		}
		st := s.model.Type.Underlying().(*types.Struct)
		for i := 0; i < st.NumFields(); i++ {
			if st.Field(i).Name() == pc.rel {
				if g := reflect.StructTag(st.Tag(i)).Get("gorm"); g != "" {
					return nil, skipf("Preload(%q) with conditions: the relation has gorm tags (%q)", pc.rel, g)
				}
			}
		}
		child := modelOf(sl.Elem(), s.rw.tables)
		if child == nil || child.CustomTable {
			return nil, skipf("Preload(%q): %s is not a model with a known table", pc.rel, types.TypeString(sl.Elem(), nil))
		}
		if h := gormHook(child.Type, "Find"); h != "" {
			return nil, skipf("Preload(%q): %s has the GORM hook %s", pc.rel, child.Name, h)
		}
		// GORM's has-many foreign key: <Owner><PrimaryKeyField> on the child.
		if len(s.model.PK) != 1 {
			return nil, skipf("Preload(%q): %s has no single primary key", pc.rel, s.model.Name)
		}
		if _, ok := child.Fields[s.model.Name+s.model.Columns[s.model.PK[0]]]; !ok {
			return nil, skipf("Preload(%q): %s has no field %s%s (the has-many foreign key)", pc.rel, child.Name, s.model.Name, s.model.Columns[s.model.PK[0]])
		}
		var conds []Cond
		var orders []string
		if fl, ok := ast.Unparen(pc.args[0]).(*ast.FuncLit); ok && len(pc.args) == 1 {
			var err error
			if conds, orders, err = s.scopeBody(fl); err != nil {
				return nil, skipf("Preload(%q, func...): %v", pc.rel, err)
			}
		} else {
			if tv := s.info.Types[pc.args[0]]; tv.Value == nil || tv.Value.Kind() != constant.String {
				return nil, skipf("Preload(%q, %s): only a constant SQL condition or an Order/Where scope literal is converted", pc.rel, s.text(pc.args[0]))
			}
			conds = []Cond{{Kind: CondWhere, Query: pc.args[0], Args: pc.args[1:]}}
		}
		env := &condEnv{info: s.info, src: func(n ast.Node) string { return s.text(n) }, model: child, lib: s.lib}
		f, err := env.TranslateConds(conds)
		if err != nil {
			return nil, err
		}
		var opts []string
		if f != nil {
			if f.Op == "And" {
				for _, sub := range f.Subs {
					opts = append(opts, sub.Go("uow"))
				}
			} else {
				opts = append(opts, f.Go("uow"))
			}
		}
		for _, o := range orders {
			col, dir, _ := strings.Cut(o, "\x00")
			if i := strings.IndexByte(col, '.'); i >= 0 {
				if col[:i] != child.Table {
					return nil, skipf("Preload(%q): Order on %s, not a column of %s", pc.rel, col, child.Table)
				}
				col = col[i+1:]
			}
			if _, ok := child.Columns[col]; !ok {
				return nil, skipf("Preload(%q): Order on %q, not a column of %s", pc.rel, col, child.Name)
			}
			opts = append(opts, "uow.OrderBy("+strconv.Quote(col)+", "+dir+")")
		}
		args := append([]string{s.ctxExpr, s.emExpr, dest, strconv.Quote(pc.rel)}, opts...)
		calls = append(calls, "uow.PreloadHasMany["+types.TypeString(child.Type, s.fs.qualifier)+"]("+strings.Join(args, ", ")+")")
	}
	return calls, nil
}

// scopeBody reads a scope literal func(db *gorm.DB) *gorm.DB whose body is
// one return of a chain of Where (constant SQL) and Order (constant) on db.
func (s *site) scopeBody(fl *ast.FuncLit) ([]Cond, []string, error) {
	if len(fl.Type.Params.List) != 1 || len(fl.Type.Params.List[0].Names) != 1 || len(fl.Body.List) != 1 {
		return nil, nil, skipf("the scope is not a single return statement")
	}
	param, _ := s.info.Defs[fl.Type.Params.List[0].Names[0]].(*types.Var)
	ret, ok := fl.Body.List[0].(*ast.ReturnStmt)
	if !ok || len(ret.Results) != 1 || param == nil {
		return nil, nil, skipf("the scope is not a single return statement")
	}
	var conds []Cond
	var orders []string
	x := ast.Unparen(ret.Results[0])
	var links []*ast.CallExpr
	for {
		c, ok := x.(*ast.CallExpr)
		if !ok {
			break
		}
		sel, ok := ast.Unparen(c.Fun).(*ast.SelectorExpr)
		if !ok {
			return nil, nil, skipf("the scope calls %s", s.text(c.Fun))
		}
		links = append([]*ast.CallExpr{c}, links...)
		x = ast.Unparen(sel.X)
	}
	if id, ok := x.(*ast.Ident); !ok || s.info.Uses[id] != param {
		return nil, nil, skipf("the scope's chain does not start at its parameter")
	}
	for _, c := range links {
		sel := ast.Unparen(c.Fun).(*ast.SelectorExpr)
		fn, _ := s.info.Uses[sel.Sel].(*types.Func)
		if _, m := legacyapi.Resolve(fn); m == nil {
			return nil, nil, skipf("the scope calls %s", sel.Sel.Name)
		}
		if c.Ellipsis.IsValid() || len(c.Args) == 0 {
			return nil, nil, skipf("the scope's %s has no or spread arguments", sel.Sel.Name)
		}
		for _, a := range c.Args {
			if mentions(s.info, a, param) {
				return nil, nil, skipf("the scope's %s uses its parameter", sel.Sel.Name)
			}
		}
		tv := s.info.Types[c.Args[0]]
		switch sel.Sel.Name {
		case "Order":
			if tv.Value == nil || tv.Value.Kind() != constant.String || len(c.Args) != 1 {
				return nil, nil, skipf("the scope's Order is not a constant string")
			}
			items, err := parseOrder(constant.StringVal(tv.Value))
			if err != nil {
				return nil, nil, err
			}
			orders = append(orders, items...)
		case "Where":
			if tv.Value == nil || tv.Value.Kind() != constant.String {
				return nil, nil, skipf("the scope's Where is not a constant string")
			}
			conds = append(conds, Cond{Kind: CondWhere, Query: c.Args[0], Args: c.Args[1:]})
		default:
			return nil, nil, skipf("the scope calls %s", sel.Sel.Name)
		}
	}
	return conds, orders, nil
}
