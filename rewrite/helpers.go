package rewrite

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/types/typeutil"
)

// Helpers. A chain often starts at a helper of the package that returns a
// handle with the common links already applied:
//
//	func (s *Service) base(ctx context.Context) *gorm.DB {
//		return s.db.WithContext(ctx).Model(&models.Entity{})
//	}
//	... s.base(ctx).Where("score >= ?", min).Find(&out)
//
// GORM applies the helper's links first, when the helper is called, then
// the site's: the helper's links are put before the site's, its receiver
// and parameters replaced by the call's receiver and arguments. Only a
// helper whose body is one return of a GORM chain rooted at a field of its
// receiver, a package-level variable or a parameter is expanded; the
// receiver and the arguments must be plain values (names, constants,
// fields, arithmetic), evaluated once by GORM and possibly more than once
// in the conversion.

// expandHelper returns the links of the helper call c and the handle its
// chain starts from.
func (s *site) expandHelper(c *ast.CallExpr) ([]linkCall, ast.Expr, error) {
	fn, _ := typeutil.Callee(s.info, c).(*types.Func)
	if fn == nil {
		return nil, nil, skipf("the chain starts at %s, not a handle", s.text(c.Fun))
	}
	name := fn.Name()
	if fn.Pkg() != s.fs.pkg.Types {
		return nil, nil, skipf("the chain goes through %s of another package (helpers are converted when they are in the package)", name)
	}
	sig := fn.Signature()
	if sig.TypeParams() != nil || sig.RecvTypeParams() != nil || sig.Variadic() || c.Ellipsis.IsValid() {
		return nil, nil, skipf("the chain goes through %s: generic or variadic helpers are not converted", name)
	}
	if sig.Params().Len() != len(c.Args) {
		return nil, nil, skipf("the chain goes through %s called with a multi-value argument", name)
	}
	decl := s.funcDecl(fn)
	if decl == nil || decl.Body == nil {
		return nil, nil, skipf("the chain goes through %s: its declaration was not found", name)
	}
	if len(decl.Body.List) != 1 {
		return nil, nil, skipf("the chain goes through %s, which has statements before its return (only a helper returning one chain is converted)", name)
	}
	ret, ok := decl.Body.List[0].(*ast.ReturnStmt)
	if !ok || len(ret.Results) != 1 {
		return nil, nil, skipf("the chain goes through %s, which does not return one chain", name)
	}
	links, root := s.gormLinks(ret.Results[0])
	for _, l := range links {
		if l.name == "Scopes" {
			return nil, nil, skipf("the chain goes through %s, which applies scopes", name)
		}
	}
	// The root: recv.field, a package-level variable, or a parameter.
	var recv *types.Var
	if sig.Recv() != nil {
		if decl.Recv == nil || len(decl.Recv.List) != 1 || len(decl.Recv.List[0].Names) != 1 {
			return nil, nil, skipf("the chain goes through %s, whose receiver has no name", name)
		}
		recv, _ = s.info.Defs[decl.Recv.List[0].Names[0]].(*types.Var)
	}
	isParam := map[types.Object]bool{}
	for i := 0; i < sig.Params().Len(); i++ {
		isParam[sig.Params().At(i)] = true
	}
	var handle *types.Var // a parameter the helper's chain starts from
	var prefix []linkCall // the links of the chain passed for it
	switch r := root.(type) {
	case *ast.Ident:
		v, ok := s.info.Uses[r].(*types.Var)
		if !ok || !(isParam[v] || v.Parent() == v.Pkg().Scope()) {
			return nil, nil, skipf("the chain goes through %s, whose chain starts at %s", name, r.Name)
		}
		if isParam[v] {
			// helper(s.db.WithContext(ctx)): the argument's chain comes
			// first, then the helper's links.
			handle = v
			for i := 0; i < sig.Params().Len(); i++ {
				if sig.Params().At(i) != v {
					continue
				}
				al, aroot := s.gormLinks(c.Args[i])
				if ac, isCall := aroot.(*ast.CallExpr); isCall {
					hl, hroot, err := s.expandHelper(ac)
					if err != nil {
						return nil, nil, err
					}
					al, aroot = append(hl, al...), hroot
				}
				prefix, root = al, aroot
			}
		}
	case *ast.SelectorExpr:
		id, ok := ast.Unparen(r.X).(*ast.Ident)
		if !ok || recv == nil || s.info.Uses[id] != recv {
			return nil, nil, skipf("the chain goes through %s, whose chain starts at %s", name, s.text(r))
		}
	default:
		return nil, nil, skipf("the chain goes through %s, whose chain starts at %s", name, s.text(root))
	}
	// Names in the helper's chain must mean at the site what they mean in
	// the helper; the receiver and the parameters are replaced.
	for _, l := range links {
		for _, a := range l.call.Args {
			if handle != nil && usesObject(s.info, a, handle) {
				return nil, nil, skipf("the chain goes through %s, whose links use its handle (a subquery)", name)
			}
			if err := s.visibleAtSite(a, ownNames(fn, recv), "the chain goes through "+fn.Name()); err != nil {
				return nil, nil, err
			}
			if addrOfLocal(s.info, a, isParam, recv) {
				// Model(&p): GORM reads (and writes back into) the
				// helper's copy; the conversion would name p at the site.
				return nil, nil, skipf("the chain goes through %s, whose %s takes the address of its parameter or receiver", name, l.name)
			}
		}
	}
	if s.subst == nil {
		s.subst = map[types.Object]string{}
	}
	// One substitution per object: the same helper applied twice in one
	// chain (named(named(h, a), b)) would get the last call's arguments
	// in both places.
	twice := recv != nil && s.subst[recv] != ""
	for i := 0; i < sig.Params().Len(); i++ {
		if _, ok := s.subst[sig.Params().At(i)]; ok {
			twice = true
		}
	}
	if twice {
		return nil, nil, skipf("the chain goes through %s twice", name)
	}
	if recv != nil && s.varChain != nil {
		// The helper's chain moves from the variable's declaration to the
		// call: fields it reads through its receiver could change in
		// between by a call the checks do not follow.
		for _, l := range links {
			for _, a := range l.call.Args {
				if usesObject(s.info, a, recv) {
					return nil, nil, skipf("the chain built across statements goes through %s, which reads its receiver's fields", name)
				}
			}
		}
	}
	if recv != nil {
		sel, ok := ast.Unparen(c.Fun).(*ast.SelectorExpr)
		if !ok || !scopePure(s.info, sel.X, nil) {
			return nil, nil, skipf("the chain goes through %s on %s, not a plain value", name, s.text(c.Fun))
		}
		if _, isPtr := types.Unalias(recv.Type()).(*types.Pointer); !isPtr {
			// A value receiver is a copy taken at the call: later changes
			// to the caller's value would be seen by the conversion.
			return nil, nil, skipf("the chain goes through %s, which has a value receiver", name)
		}
		rt, addressed, err := s.embeddedPath(sel)
		if err != nil {
			return nil, nil, skipf("the chain goes through %s: %v", name, err)
		}
		if addressed && usedBare(s.info, links, recv) {
			// v.least(ctx) passes &v: (*t).min must become (*(&v)).min.
			rt = "(&" + rt + ")"
		}
		s.subst[recv] = rt
	}
	for i := 0; i < sig.Params().Len(); i++ {
		p, arg := sig.Params().At(i), c.Args[i]
		if p == handle {
			continue
		}
		if !scopePure(s.info, arg, nil) {
			return nil, nil, skipf("%s(%s): an argument that is not a plain value (a call, a receive, ...) is not converted", name, s.text(arg))
		}
		if at := s.info.TypeOf(arg); at == nil || !types.Identical(at, p.Type()) {
			return nil, nil, skipf("%s(%s): the argument's type is not the parameter's", name, s.text(arg))
		}
		if tv := s.info.Types[arg]; tv.Value != nil {
			// A constant (3 for a float64 parameter) has the parameter's
			// type in the helper: least/2 is 1.5 there, 3/2 is 1.
			conv, err := s.typeText(p.Type())
			if err != nil {
				return nil, nil, skipf("%s(%s): parameter %s: %v", name, s.text(arg), p.Name(), err)
			}
			s.subst[p] = conv + "(" + s.text(arg) + ")"
			continue
		}
		s.subst[p] = s.wrapText(arg)
	}
	return append(prefix, links...), root, nil
}

// usesObject reports whether e mentions obj.
func usesObject(info *types.Info, e ast.Node, obj types.Object) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && info.Uses[id] == obj {
			found = true
		}
		return !found
	})
	return found
}

// wrapText is the source of e, parenthesised unless it is a name, a
// literal or a selector.
func (s *site) wrapText(e ast.Expr) string {
	switch ast.Unparen(e).(type) {
	case *ast.Ident, *ast.BasicLit, *ast.SelectorExpr:
		return s.text(e)
	}
	return "(" + s.text(e) + ")"
}

// funcDecl finds the declaration of a function or method of the package.
func (s *site) funcDecl(fn *types.Func) *ast.FuncDecl {
	for _, f := range s.fs.pkg.Syntax {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && s.info.Defs[fd.Name] == fn {
				return fd
			}
		}
	}
	return nil
}

// conversionLocals are the names the conversions declare in the site's
// function whatever they find there.
var conversionLocals = map[string]bool{"em": true, "err": true, "found": true, "row": true, "ctx": true, "uow": true}

// addrOfLocal reports whether e takes the address of one of the helper's
// parameters or its receiver (&p).
func addrOfLocal(info *types.Info, e ast.Node, isParam map[types.Object]bool, recv *types.Var) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if u, ok := n.(*ast.UnaryExpr); ok && u.Op == token.AND {
			if id, isID := ast.Unparen(u.X).(*ast.Ident); isID {
				if obj := info.Uses[id]; obj != nil && (isParam[obj] || (recv != nil && obj == recv)) {
					found = true
				}
			}
		}
		return !found
	})
	return found
}

// embeddedPath is the text of the receiver a method call sel passes: the
// call's operand, and when the method is promoted, the embedded fields it
// goes through (o.popular(ctx) passes o.Inner, and o.min is not
// o.Inner.min).
// addressed reports that the value the path reaches is not a pointer (the
// call takes its address).
func (s *site) embeddedPath(sel *ast.SelectorExpr) (text string, addressed bool, err error) {
	text = s.wrapText(sel.X)
	selection := s.info.Selections[sel]
	if selection == nil || selection.Kind() != types.MethodVal {
		return "", false, fmt.Errorf("%s is not a method selection", s.text(sel))
	}
	idx := selection.Index()
	t := selection.Recv()
	for _, i := range idx[:len(idx)-1] {
		if p, ok := t.Underlying().(*types.Pointer); ok {
			t = p.Elem()
		}
		st, ok := t.Underlying().(*types.Struct)
		if !ok || i >= st.NumFields() {
			return "", false, fmt.Errorf("the embedded receiver of %s was not found", s.text(sel))
		}
		f := st.Field(i)
		if !f.Exported() && f.Pkg() != s.fs.pkg.Types {
			return "", false, fmt.Errorf("the embedded field %s is not accessible", f.Name())
		}
		text += "." + f.Name()
		t = f.Type()
	}
	_, isPtr := t.Underlying().(*types.Pointer)
	return text, !isPtr, nil
}

// usedBare reports whether a link uses recv other than to select a field
// or method of it (*t, t as a value).
func usedBare(info *types.Info, links []linkCall, recv *types.Var) bool {
	bare := false
	for _, l := range links {
		ast.Inspect(l.call, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, isID := sel.X.(*ast.Ident); isID && info.Uses[id] == recv {
					return false
				}
			}
			if id, ok := n.(*ast.Ident); ok && info.Uses[id] == recv {
				bare = true
			}
			return !bare
		})
	}
	return bare
}
