package rewrite

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"
)

// firstOrCreate: db.Where(T{...}).Attrs(T{...}).FirstOrCreate(&row), GORM
// v2 finisher_api.go FirstOrCreate:
//
//  1. Find(&row) with LIMIT 1 ORDER BY the primary key; found: row is
//     that row, RowsAffected 0 (the returned handle is not the query's).
//  2. Not found: the equality conditions of the WHERE clause (a struct
//     condition's non-zero fields), then the non-zero fields of Attrs, are
//     set on row (assignInterfacesToValue), and Create(&row) runs
//     (RowsAffected 1).
//
// It becomes FindOne (same filter, ORDER BY the key) and, when nothing is
// found, the same fields set on the zero row, Persist and Flush. row must
// be a zero "var row T" declared just before, so setting a field to a
// value that is zero at run time (which GORM skips) changes nothing; each
// field is set by at most one source, so a later zero value cannot
// overwrite an earlier one.
func (s *site) firstOrCreate() error {
	if s.rawCall != nil || s.modelArg != nil {
		return skipf("FirstOrCreate with Raw/Model is not converted")
	}
	if len(s.orders) > 0 || s.limit != "" || s.offset != "" || len(s.populate) > 0 {
		return skipf("FirstOrCreate with Order/Limit/Offset/Preload is not converted")
	}
	if len(s.fin.Args) != 1 {
		return skipf("FirstOrCreate with inline conditions is not converted")
	}
	v, _, err := s.localDest(s.fin.Args[0])
	if err != nil {
		return err
	}
	if _, isPtr := v.Type().Underlying().(*types.Pointer); isPtr {
		return skipf("FirstOrCreate into a pointer variable")
	}
	if err := s.setModel(v.Type()); err != nil {
		return err
	}
	if len(s.model.PK) != 1 {
		return skipf("%s has no single primary key to order FirstOrCreate by", s.model.Name)
	}
	if s.fs.pointerized[v] {
		return skipf("FirstOrCreate into a row loaded by a converted finder")
	}
	// The fields set on a row that is not found, in GORM's order.
	type assign struct{ field, expr string }
	var assigns []assign
	set := map[string]bool{}
	addStruct := func(what string, e ast.Expr) error {
		x := ast.Unparen(e)
		if u, ok := x.(*ast.UnaryExpr); ok && u.Op == token.AND {
			x = ast.Unparen(u.X)
		}
		lit, ok := x.(*ast.CompositeLit)
		if !ok {
			return skipf("FirstOrCreate: %s(%s) is not a struct literal of %s (only its fields are set on a created row)", what, s.text(e), s.model.Name)
		}
		m := ModelOf(s.info.TypeOf(lit))
		if m == nil || !types.Identical(m.Type, s.model.Type) {
			return skipf("FirstOrCreate: %s(%s) is not a literal of %s", what, s.text(e), s.model.Name)
		}
		st := s.model.Type.Underlying().(*types.Struct)
		for _, el := range lit.Elts {
			kv, ok := el.(*ast.KeyValueExpr)
			if !ok {
				return skipf("FirstOrCreate: %s literal without field names", what)
			}
			name := kv.Key.(*ast.Ident).Name
			col, ok := s.model.Fields[name]
			if !ok {
				return skipf("FirstOrCreate: %s field %s is not a column", what, name)
			}
			if col == s.model.PK[0] {
				return skipf("FirstOrCreate: %s sets the primary key", what)
			}
			if set[name] {
				return skipf("FirstOrCreate: field %s is set twice (GORM keeps the earlier value when the later one is zero)", name)
			}
			var ft types.Type
			for i := 0; i < st.NumFields(); i++ {
				if st.Field(i).Name() == name {
					ft = st.Field(i).Type()
				}
			}
			vt := s.info.TypeOf(kv.Value)
			if ft == nil || !zeroTestable(ft) || vt == nil || !types.Identical(vt, ft) {
				return skipf("FirstOrCreate: %s field %s is not of a type the conversion handles", what, name)
			}
			if !pureExpr(s.info, kv.Value) {
				return skipf("FirstOrCreate: %s field %s = %s may have side effects (it is evaluated twice)", what, name, s.text(kv.Value))
			}
			set[name] = true
			assigns = append(assigns, assign{name, s.text(kv.Value)})
		}
		return nil
	}
	for _, c := range s.conds {
		if c.Kind != CondWhere {
			return skipf("FirstOrCreate with Or/Not is not converted")
		}
		if tv := s.info.Types[c.Query]; tv.Value != nil {
			continue // SQL text: a filter, nothing to set
		}
		if len(c.Args) > 0 {
			return skipf("FirstOrCreate: struct condition with extra arguments")
		}
		if err := addStruct("Where", c.Query); err != nil {
			return err
		}
	}
	for _, a := range s.attrs {
		if err := addStruct("Attrs", a); err != nil {
			return err
		}
	}
	opts, err := s.filterOpts(s.model.PK[0] + "\x00uow.Asc")
	if err != nil {
		return err
	}
	f, err := s.findForm()
	if err != nil {
		return err
	}
	// The row must be zero when the call runs.
	if _, err := s.takeDecl(f, v); err != nil {
		return err
	}
	call := s.call("uow.FindOne["+s.typeName()+"]", opts)
	found := s.freshName("found")
	dest := v.Name()
	s.res.deferredChange = "a row that is not found is INSERTed at the next flush (end of request or Transactional) instead of here; its key and timestamps are assigned then"
	return s.emit(f, func(errVar string, es errState, nVar string) ([]string, error) {
		var out []string
		if nVar != "" {
			if es == errOuter {
				return nil, skipf("assignment form with RowsAffected")
			}
			out = append(out, "var "+nVar+" int64")
		}
		if es == errOuter {
			out = append(out, "var "+found+" *"+s.typeName(), found+", "+errVar+" = "+call)
		} else {
			out = append(out, found+", "+errVar+" := "+call)
		}
		out = append(out, "if "+errVar+" == nil {",
			"\tif "+found+" != nil {",
			"\t\t"+dest+" = *"+found,
			"\t} else {")
		for _, a := range assigns {
			out = append(out, "\t\t"+dest+"."+a.field+" = "+a.expr)
		}
		out = append(out, "\t\t"+errVar+" = "+s.emExpr+".Persist(&"+dest+")")
		for _, l := range s.flushStmts(errVar) {
			out = append(out, "\t\t"+l)
		}
		if nVar != "" {
			out = append(out, "\t\tif "+errVar+" == nil {", "\t\t\t"+nVar+" = 1", "\t\t}")
		}
		out = append(out, "\t}", "}")
		return out, nil
	}, true)
}

// pureExpr reports whether evaluating e twice is the same as once: a
// constant, a variable, a field of one, or the address of one.
func pureExpr(info *types.Info, e ast.Expr) bool {
	switch x := ast.Unparen(e).(type) {
	case *ast.BasicLit:
		return true
	case *ast.Ident:
		_, isVar := info.Uses[x].(*types.Var)
		_, isConst := info.Uses[x].(*types.Const)
		return isVar || isConst || x.Name == "nil"
	case *ast.SelectorExpr:
		if sel := info.Selections[x]; sel != nil {
			return sel.Kind() == types.FieldVal && !strings.HasPrefix(types.TypeString(sel.Recv(), nil), "*") && pureExpr(info, x.X)
		}
		_, isConst := info.Uses[x.Sel].(*types.Const)
		return isConst
	case *ast.UnaryExpr:
		return x.Op == token.AND && pureExpr(info, x.X)
	}
	return false
}
