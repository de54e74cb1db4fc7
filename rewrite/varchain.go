package rewrite

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/ast/astutil"
)

// Chains built across statements. Code that filters on optional inputs
// builds its GORM handle in a local variable:
//
//	tx := s.db.WithContext(ctx).Model(&models.Item{})
//	if q != "" {
//		tx = tx.Where("name LIKE ?", "%"+q+"%")
//	}
//	if owner != 0 {
//		tx = tx.Where("owner_id = ?", owner)
//	}
//	err := tx.Order("id").Find(&out).Error
//
// becomes a slice of query options built the same way:
//
//	var txOpts []uow.QueryOption
//	if q != "" {
//		txOpts = append(txOpts, uow.Like("name", "%"+q+"%"))
//	}
//	...
//	found, err := uow.Find[models.Item](ctx, em, append(txOpts[:len(txOpts):len(txOpts)], uow.OrderBy("id", uow.Asc))...)
//
// Proven equal only under these conditions, else the site is skipped:
//   - the variable is declared by v := <chain> in the function, and every
//     other use of it is either v = v.Where(...)... (anywhere after the
//     declaration, not in a function literal) or the one converted site;
//   - the reassignments add Where only, and nothing in the whole chain is
//     an Or or a Not: the conditions are then ANDed, in any order;
//   - the declaration's chain is moved to the site, so the names its
//     arguments read (and the helper's arguments) must not be assigned
//     between the declaration and the site, and must be plain values;
//   - the finisher is Find, First, Take, Last or Count.
// Each reassignment's conditions are appended where the reassignment was,
// so their arguments are evaluated when GORM evaluated them.

type varWhere struct {
	stmt  *ast.AssignStmt
	links []linkCall
}

type varChain struct {
	v       *types.Var
	decl    *ast.AssignStmt
	wheres  []varWhere
	opts    string // the options slice
	emitted bool   // filterOpts wrote the slice's statements
}

// expandVar reads the chain held in the local variable v (use is the
// site's root): the declaration's links and root, and the reassignments'
// links in order.
func (s *site) expandVar(v *types.Var, use *ast.Ident) ([]linkCall, ast.Expr, []linkCall, error) {
	name := v.Name()
	switch s.ch.Op {
	case "Find", "First", "Take", "Last", "Count":
	default:
		return nil, nil, nil, skipf("the chain is built across statements in %s (only converted for Find, First, Take, Last and Count)", name)
	}
	vc := &varChain{v: v}
	var uses []*ast.Ident
	var inLit []ast.Node
	ast.Inspect(s.decl.Body, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.FuncLit:
			inLit = append(inLit, x)
		case *ast.AssignStmt:
			if x.Tok == token.DEFINE && len(x.Lhs) == 1 && len(x.Rhs) == 1 {
				if id, ok := x.Lhs[0].(*ast.Ident); ok && s.info.Defs[id] == v {
					vc.decl = x
				}
			}
		case *ast.Ident:
			if s.info.Uses[x] == v {
				uses = append(uses, x)
			}
		}
		return true
	})
	if vc.decl == nil {
		return nil, nil, nil, skipf("the chain is built across statements (%s is not declared as %s := <chain>)", name, name)
	}
	if !inStmtList(s.fs.file, vc.decl) {
		// if v := ...; cond {: var opts []uow.QueryOption cannot stand there.
		return nil, nil, nil, skipf("the chain is built across statements (%s is declared in an if, for or switch header)", name)
	}
	for _, l := range inLit {
		if l.Pos() <= use.Pos() && use.End() <= l.End() || vc.decl.Pos() >= l.Pos() && vc.decl.End() <= l.End() {
			return nil, nil, nil, skipf("the chain is built across statements inside a function literal")
		}
	}
	// Every use: the site's root, or v = v.Where(...) after the declaration.
	var condLinks []linkCall
	seen := map[*ast.AssignStmt]bool{}
	for _, u := range uses {
		if u == use {
			continue
		}
		as := s.assignOf(u)
		if as == nil || as.Tok != token.ASSIGN || len(as.Lhs) != 1 || len(as.Rhs) != 1 || as.Pos() < vc.decl.End() || as.End() > s.fin.Pos() {
			return nil, nil, nil, skipf("the chain is built across statements and %s is used otherwise than by %s = %s.Where(...) before the call", name, name, name)
		}
		for _, l := range inLit {
			if l.Pos() <= as.Pos() && as.End() <= l.End() {
				return nil, nil, nil, skipf("the chain is built across statements inside a function literal")
			}
		}
		if seen[as] {
			continue
		}
		seen[as] = true
		lhs, ok := as.Lhs[0].(*ast.Ident)
		if !ok || s.info.Uses[lhs] != v {
			return nil, nil, nil, skipf("the chain is built across statements and %s is used otherwise than by %s = %s.Where(...)", name, name, name)
		}
		links, root := s.gormLinks(as.Rhs[0])
		if rid, ok := root.(*ast.Ident); !ok || s.info.Uses[rid] != v || len(links) == 0 {
			return nil, nil, nil, skipf("the chain is built across statements: %s is assigned another handle", name)
		}
		for _, l := range links {
			if l.name != "Where" {
				return nil, nil, nil, skipf("the chain is built across statements with %s.%s (only Where is converted there)", name, l.name)
			}
			if len(l.call.Args) == 0 || l.call.Ellipsis.IsValid() {
				return nil, nil, nil, skipf("%s.Where without arguments or with a spread list", name)
			}
		}
		vc.wheres = append(vc.wheres, varWhere{stmt: as, links: links})
		condLinks = append(condLinks, links...)
	}
	// The declaration's chain moves to the site.
	base, root := s.gormLinks(vc.decl.Rhs[0])
	moved := []ast.Node{vc.decl.Rhs[0]}
	for _, l := range base {
		for _, a := range l.call.Args {
			if l.name == "Model" && isEmptyLitAddr(a) {
				continue // Model(&T{}): only its type counts
			}
			if !scopePure(s.info, a, nil) || s.readsThroughPointer(a) {
				return nil, nil, nil, skipf("%s := ...: the argument %s moves to the call and is not a plain value", name, s.text(a))
			}
		}
	}
	if err := s.runsOnce(vc.decl, name); err != nil {
		return nil, nil, nil, err
	}
	if err := s.notAssignedBetween(moved, vc.decl.End(), s.fin.Pos(), name); err != nil {
		return nil, nil, nil, err
	}
	vc.opts = s.freshName(name + "Opts")
	s.varChain = vc
	return base, root, condLinks, nil
}

// assignOf returns the assignment whose left or right side holds id.
func (s *site) assignOf(id *ast.Ident) *ast.AssignStmt {
	path, _ := astutil.PathEnclosingInterval(s.fs.file, id.Pos(), id.End())
	for _, n := range path {
		switch x := n.(type) {
		case *ast.AssignStmt:
			return x
		case ast.Stmt:
			if _, isExpr := n.(*ast.ExprStmt); !isExpr {
				return nil
			}
		}
	}
	return nil
}

// notAssignedBetween checks that no variable read by nodes is assigned (or
// has its address taken, or is incremented) between from and to in the
// site's function.
func (s *site) notAssignedBetween(nodes []ast.Node, from, to token.Pos, name string) error {
	read := map[types.Object]bool{}
	for _, n := range nodes {
		ast.Inspect(n, func(x ast.Node) bool {
			if id, ok := x.(*ast.Ident); ok {
				if v, ok := s.info.Uses[id].(*types.Var); ok && !v.IsField() {
					read[v] = true
				}
			}
			return true
		})
	}
	var err error
	written := func(e ast.Expr) {
		// f.x = ..., a[i] = ..., *p = ... change what f, a, p hold.
		e = ast.Unparen(e)
		for {
			switch x := e.(type) {
			case *ast.SelectorExpr:
				e = ast.Unparen(x.X)
				continue
			case *ast.IndexExpr:
				e = ast.Unparen(x.X)
				continue
			case *ast.StarExpr:
				e = ast.Unparen(x.X)
				continue
			}
			break
		}
		if id, ok := e.(*ast.Ident); ok && read[s.info.Uses[id]] && err == nil {
			err = skipf("%s := ...: %s changes before the call, where the declaration's chain moves", name, id.Name)
		}
	}
	ast.Inspect(s.decl.Body, func(x ast.Node) bool {
		if x == nil || err != nil {
			return false
		}
		if x.End() < from || x.Pos() > to {
			return x.Pos() <= to && x.End() >= from
		}
		switch st := x.(type) {
		case *ast.AssignStmt:
			if st.Pos() >= from {
				for _, l := range st.Lhs {
					written(l)
				}
			}
		case *ast.IncDecStmt:
			written(st.X)
		case *ast.UnaryExpr:
			if st.Op == token.AND {
				written(st.X)
			}
		case *ast.RangeStmt:
			written(st.Key)
			if st.Value != nil {
				written(st.Value)
			}
		case *ast.SelectorExpr:
			// f.Normalize() with a pointer receiver on an addressable f
			// takes &f implicitly.
			if sel := s.info.Selections[st]; sel != nil && sel.Kind() == types.MethodVal {
				if sig, ok := sel.Obj().Type().(*types.Signature); ok && sig.Recv() != nil {
					if _, ptr := types.Unalias(sig.Recv().Type()).(*types.Pointer); ptr {
						if _, isPtr := types.Unalias(s.info.TypeOf(st.X)).(*types.Pointer); !isPtr {
							written(st.X)
						}
					}
				}
			}
		}
		return true
	})
	return err
}

// emitVarChain writes the options slice's statements: the declaration
// becomes var opts []uow.QueryOption, each reassignment an append of its
// translated conditions. It returns the expression the call passes.
func (s *site) emitVarChain(env *condEnv, siteOpts []string) (string, error) {
	vc := s.varChain
	if vc.emitted {
		return "", skipf("internal: the options of %s written twice", vc.v.Name())
	}
	for _, w := range vc.wheres {
		var conds []Cond
		for _, l := range w.links {
			conds = append(conds, Cond{Kind: CondWhere, Query: l.call.Args[0], Args: l.call.Args[1:]})
		}
		f, err := env.TranslateConds(conds)
		if err != nil {
			return "", err
		}
		if f == nil {
			return "", skipf("%s = %s.Where(...) has no condition", vc.v.Name(), vc.v.Name())
		}
		var parts []string
		if f.Op == "And" {
			for _, sub := range f.Subs {
				parts = append(parts, sub.Go("uow"))
			}
		} else {
			parts = append(parts, f.Go("uow"))
		}
		s.replace(w.stmt, vc.opts+" = append("+vc.opts+", "+strings.Join(parts, ", ")+")")
	}
	s.replace(vc.decl, "var "+vc.opts+" []uow.QueryOption")
	vc.emitted = true
	if len(siteOpts) == 0 {
		return vc.opts + "...", nil
	}
	return "append(" + vc.opts + "[:len(" + vc.opts + "):len(" + vc.opts + ")], " + strings.Join(siteOpts, ", ") + ")...", nil
}

// isEmptyLitAddr: &T{}.
func isEmptyLitAddr(e ast.Expr) bool {
	u, ok := ast.Unparen(e).(*ast.UnaryExpr)
	if !ok || u.Op != token.AND {
		return false
	}
	cl, ok := ast.Unparen(u.X).(*ast.CompositeLit)
	return ok && len(cl.Elts) == 0
}

// inStmtList reports whether st stands in a statement list (a block or a
// case), where a var declaration may replace it.
func inStmtList(file *ast.File, st ast.Stmt) bool {
	path, _ := astutil.PathEnclosingInterval(file, st.Pos(), st.End())
	if len(path) < 2 || path[0] != st {
		return false
	}
	switch path[1].(type) {
	case *ast.BlockStmt, *ast.CaseClause, *ast.CommClause:
		return true
	}
	return false
}

// readsThroughPointer reports whether e reads a field through a pointer
// (p.f with p a pointer): a call between the declaration and the site may
// change it without naming p.
func (s *site) readsThroughPointer(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if x := s.info.Selections[sel]; x != nil && x.Kind() == types.FieldVal && x.Indirect() {
				found = true
			}
		}
		return !found
	})
	return found
}

// runsOnce checks that the site runs at most once for each run of the
// declaration: GORM adds the site's links to the handle itself once it is
// no longer a fresh session (tx := db.Model(...), tx = tx.Where(...)), so
// a site repeated by a loop or a goto on one handle accumulates them.
func (s *site) runsOnce(decl *ast.AssignStmt, name string) error {
	for _, n := range s.path {
		switch n.(type) {
		case *ast.ForStmt, *ast.RangeStmt:
			if !(n.Pos() <= decl.Pos() && decl.End() <= n.End()) {
				return skipf("the chain is built across statements and the call on %s repeats in a loop (GORM keeps adding to the handle)", name)
			}
		}
	}
	var jump bool
	ast.Inspect(s.decl.Body, func(n ast.Node) bool {
		if b, ok := n.(*ast.BranchStmt); ok && b.Tok == token.GOTO {
			jump = true
		}
		return !jump
	})
	if jump {
		return skipf("the chain is built across statements in a function with goto")
	}
	return nil
}
