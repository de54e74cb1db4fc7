package rewrite

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strconv"
	"strings"
)

// Scopes. GORM keeps the functions given to Scopes and applies them when
// the statement executes, after every other link of the chain (and the
// finisher's inline conditions): gorm@v1.31.2 chainable_api.go Scopes,
// callbacks.go Execute. A scope whose chain can be read statically is
// expanded in place, its links appended after the chain's own, which is
// the order GORM applies them in; the condition translator then rebuilds
// the statement exactly as GORM would.
//
// Three forms are expanded, the scope declared in the site's package:
//   - a function literal: func(db *gorm.DB) *gorm.DB { return db.Where(...) };
//   - a function: Scopes(Active), func Active(db *gorm.DB) *gorm.DB { return db... };
//   - a call of a scope factory: Scopes(Paginate(page, size)), whose body is
//     return func(db *gorm.DB) *gorm.DB { <statements>; return db... }.
//     The factory's parameters become the call's arguments; when its
//     statements assign them (Paginate clamps page and size), they run
//     first on fresh locals initialised from the arguments.
//
// Everything else (scopes chosen at run time, from other packages, with
// statements that do more than compute on the parameters) is left as it is.
// What the finisher adds before Execute runs the scopes is placed before
// the scopes' links (inline conditions, First/Last's key order: see
// site.nOwn); what it reads before then (Select/Distinct for Pluck/Count,
// Attrs/Assign, FirstOrCreate's copy of the WHERE) is skipped.

// expandScopes returns the links a Scopes call applies, in order.
func (s *site) expandScopes(call *ast.CallExpr) ([]linkCall, error) {
	if call.Ellipsis.IsValid() {
		return nil, skipf("Scopes(%s...): scopes chosen at run time are not converted", s.text(call.Args[len(call.Args)-1]))
	}
	var out []linkCall
	for _, a := range call.Args {
		ls, err := s.expandScope(ast.Unparen(a))
		if err != nil {
			return nil, err
		}
		out = append(out, ls...)
	}
	// What a finisher does before Execute runs the scopes. Its inline
	// conditions and First/Last's key order are put before the scopes'
	// (inlineConds, filterOpts); these it reads before, so a scope's are
	// ignored by GORM:
	if s.ch.Op == "FirstOrCreate" {
		// FirstOrCreate also copies the WHERE the scopes built into the
		// row it creates.
		return nil, skipf("Scopes with FirstOrCreate are not converted")
	}
	for _, l := range out {
		switch {
		case (l.name == "Distinct" || l.name == "Select") && (s.ch.Op == "Pluck" || s.ch.Op == "Count"):
			// Pluck and Count build their SELECT from the receiver's
			// Selects/Distinct before the scopes run.
			return nil, skipf("%s in a scope with %s (GORM builds the SELECT before the scopes run)", l.name, s.ch.Op)
		case l.name == "Attrs" || l.name == "Assign":
			return nil, skipf("%s in a scope (GORM's FirstOrCreate reads it before the scopes run)", l.name)
		}
	}
	return out, nil
}

// inlineCondOps are the finishers whose arguments after the first are
// inline conditions.
var inlineCondOps = map[string]bool{"Find": true, "First": true, "Take": true, "Last": true, "Delete": true, "FirstOrCreate": true, "FirstOrInit": true}

func (s *site) expandScope(a ast.Expr) ([]linkCall, error) {
	switch x := a.(type) {
	case *ast.FuncLit:
		// The literal's body sees the site's variables: its text is valid
		// at the site as written.
		body, db, err := s.scopeFunc(x.Type, x.Body)
		if err != nil {
			return nil, err
		}
		if len(body.List) != 1 {
			return nil, skipf("a Scopes function literal with statements before its return is not converted")
		}
		return s.scopeChain(body.List[0], db, nil)
	case *ast.Ident, *ast.SelectorExpr:
		fn, decl, err := s.scopeDecl(a)
		if err != nil {
			return nil, err
		}
		body, db, err := s.scopeFunc(decl.Type, decl.Body)
		if err != nil {
			return nil, err
		}
		if len(body.List) != 1 {
			return nil, skipf("scope %s has statements before its return", fn.Name())
		}
		return s.scopeChain(body.List[0], db, fn)
	case *ast.CallExpr:
		return s.expandFactory(x)
	}
	return nil, skipf("Scopes(%s): only function literals, functions and calls of scope factories of this package are converted", s.text(a))
}

// scopeDecl finds the declaration of the package-level function a names.
func (s *site) scopeDecl(a ast.Expr) (*types.Func, *ast.FuncDecl, error) {
	var id *ast.Ident
	switch x := a.(type) {
	case *ast.Ident:
		id = x
	case *ast.SelectorExpr:
		id = x.Sel
	}
	fn, _ := s.info.Uses[id].(*types.Func)
	if fn == nil || fn.Pkg() != s.fs.pkg.Types {
		return nil, nil, skipf("Scopes(%s): the scope is not a function of this package", s.text(a))
	}
	if sig := fn.Signature(); sig.Recv() != nil || sig.TypeParams() != nil {
		return nil, nil, skipf("Scopes(%s): a method or generic scope is not converted", s.text(a))
	}
	for _, f := range s.fs.pkg.Syntax {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && s.info.Defs[fd.Name] == fn {
				if fd.Body == nil {
					return nil, nil, skipf("scope %s has no body", fn.Name())
				}
				return fn, fd, nil
			}
		}
	}
	return nil, nil, skipf("scope %s: declaration not found", fn.Name())
}

// scopeFunc checks a scope function's signature, func(*gorm.DB) *gorm.DB,
// and returns its body and its handle parameter.
func (s *site) scopeFunc(ft *ast.FuncType, body *ast.BlockStmt) (*ast.BlockStmt, types.Object, error) {
	if ft.Params == nil || len(ft.Params.List) != 1 || len(ft.Params.List[0].Names) != 1 || ft.Results == nil || len(ft.Results.List) != 1 {
		return nil, nil, skipf("a scope is a func(*gorm.DB) *gorm.DB with a named parameter")
	}
	db := s.info.Defs[ft.Params.List[0].Names[0]]
	if db == nil || !isGormDB(db.Type()) || !isGormDB(s.info.TypeOf(ft.Results.List[0].Type)) {
		return nil, nil, skipf("a scope is a func(*gorm.DB) *gorm.DB with a named parameter")
	}
	return body, db, nil
}

func isGormDB(t types.Type) bool {
	p, ok := types.Unalias(t).(*types.Pointer)
	if !ok {
		return false
	}
	n, ok := types.Unalias(p.Elem()).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "gorm.io/gorm" && n.Obj().Name() == "DB"
}

// scopeChain reads the return statement of a scope: a chain of GORM calls
// on the handle parameter db. fn is the scope function (nil for a
// literal): names in the links must then mean at the site what they mean
// in fn.
func (s *site) scopeChain(st ast.Stmt, db types.Object, fn *types.Func) ([]linkCall, error) {
	ret, ok := st.(*ast.ReturnStmt)
	if !ok || len(ret.Results) != 1 {
		return nil, skipf("a scope's last statement is not a return of its chain")
	}
	links, x := s.gormLinks(ret.Results[0])
	for _, l := range links {
		if l.name == "Scopes" {
			return nil, skipf("a scope that applies scopes itself is not converted")
		}
	}
	if c, ok := x.(*ast.CallExpr); ok {
		return nil, skipf("scope calls %s, not a GORM method", s.text(c.Fun))
	}
	if id, ok := x.(*ast.Ident); !ok || s.info.Uses[id] != db {
		return nil, skipf("a scope's chain does not start at its handle parameter")
	}
	for _, l := range links {
		for _, a := range l.call.Args {
			uses := false
			ast.Inspect(a, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok && s.info.Uses[id] == db {
					uses = true
				}
				return !uses
			})
			if uses {
				return nil, skipf("a scope's %s uses its handle parameter %s, which the call site does not have", l.name, db.Name())
			}
		}
	}
	if fn != nil {
		for _, l := range links {
			for _, a := range l.call.Args {
				if err := s.visibleAtSite(a, ownNames(fn, nil), "scope "+fn.Name()); err != nil {
					return nil, err
				}
			}
		}
	}
	return links, nil
}

// visibleAtSite checks that every name in e, written in a scope or helper
// and copied to the call site, denotes there what it denotes where it is
// written. Names in own (the parameters and receiver, replaced by the
// call's values) are not looked up; fields and methods are selected from
// values. Any other name must be package-level or predeclared and not
// shadowed at the site, an import must be the same package under the same
// name in the site's file, and no local a conversion declares in the
// site's function (em, found, a scope factory's n) may capture it. what
// names the source in messages ("scope Paginate").
func (s *site) visibleAtSite(e ast.Node, own map[types.Object]bool, what string) error {
	var err error
	sc := s.fs.pkg.Types.Scope().Innermost(s.fin.Pos())
	sameImport := func(id *ast.Ident, pn *types.PkgName) {
		if sc == nil {
			return
		}
		_, at := sc.LookupParent(id.Name, s.fin.Pos())
		if apn, ok := at.(*types.PkgName); !ok || apn.Imported() != pn.Imported() {
			err = skipf("%s: %s is not that import at the call site", what, id.Name)
		}
	}
	ast.Inspect(e, func(n ast.Node) bool {
		if err != nil {
			return false
		}
		if sel, isSel := n.(*ast.SelectorExpr); isSel {
			// pkg.Name: only the package name is looked up at the site.
			if x, isID := sel.X.(*ast.Ident); isID {
				if pn, isPkg := s.info.Uses[x].(*types.PkgName); isPkg {
					sameImport(x, pn)
					return false
				}
			}
		}
		id, ok := n.(*ast.Ident)
		if !ok {
			return true
		}
		obj := s.info.Uses[id]
		if obj == nil || own[obj] {
			return true // a field name in a composite literal, or replaced
		}
		if v, isVar := obj.(*types.Var); isVar && v.IsField() {
			return true
		}
		if f, isFunc := obj.(*types.Func); isFunc && f.Signature().Recv() != nil {
			return true // a method, selected from a value
		}
		if pn, isPkg := obj.(*types.PkgName); isPkg {
			sameImport(id, pn)
			return err == nil
		}
		if obj.Parent() != types.Universe && (obj.Pkg() == nil || obj.Parent() != obj.Pkg().Scope()) {
			err = skipf("%s: %s is local to it", what, id.Name)
			return false
		}
		if sc != nil {
			if _, found := sc.LookupParent(id.Name, s.fin.Pos()); found != obj {
				err = skipf("%s: %s means something else at the call site", what, id.Name)
				return false
			}
		}
		if obj.Parent() != types.Universe && !s.claimName(id.Name) {
			err = skipf("%s: %s would be captured by a local of the conversion", what, id.Name)
		}
		return err == nil
	})
	return err
}

// ownNames are a function's parameters and receiver (nil for none).
func ownNames(fn *types.Func, recv *types.Var) map[types.Object]bool {
	own := map[types.Object]bool{}
	params := fn.Signature().Params()
	for i := 0; i < params.Len(); i++ {
		own[params.At(i)] = true
	}
	if recv != nil {
		own[recv] = true
	}
	return own
}

// expandFactory expands Scopes(F(args...)) where F returns a scope
// literal.
func (s *site) expandFactory(call *ast.CallExpr) ([]linkCall, error) {
	fn, decl, err := s.scopeDecl(ast.Unparen(call.Fun))
	if err != nil {
		return nil, err
	}
	if call.Ellipsis.IsValid() {
		return nil, skipf("Scopes(%s(...)) with a spread argument list", fn.Name())
	}
	if len(decl.Body.List) != 1 {
		return nil, skipf("scope factory %s has statements before returning its scope", fn.Name())
	}
	ret, ok := decl.Body.List[0].(*ast.ReturnStmt)
	if !ok || len(ret.Results) != 1 {
		return nil, skipf("scope factory %s does not return a function literal", fn.Name())
	}
	lit, ok := ast.Unparen(ret.Results[0]).(*ast.FuncLit)
	if !ok {
		return nil, skipf("scope factory %s does not return a function literal", fn.Name())
	}
	body, db, err := s.scopeFunc(lit.Type, lit.Body)
	if err != nil {
		return nil, err
	}
	params := fn.Signature().Params()
	if params.Len() != len(call.Args) || fn.Signature().Variadic() {
		return nil, skipf("scope factory %s: variadic parameters are not converted", fn.Name())
	}
	for _, a := range call.Args {
		if !scopePure(s.info, a, nil) {
			return nil, skipf("Scopes(%s(%s)): an argument that is not a plain value (a call, a receive, ...) is not converted", fn.Name(), s.text(a))
		}
	}
	// The statements before the return may only compute on the
	// parameters: if/else and assignments to parameters, over the
	// parameters, constants and min/max.
	isParam := map[types.Object]bool{}
	for i := 0; i < params.Len(); i++ {
		isParam[params.At(i)] = true
	}
	stmts := body.List[:len(body.List)-1]
	assigned := map[types.Object]bool{}
	for _, st := range stmts {
		if err := s.scopeStmt(st, isParam, assigned, fn); err != nil {
			return nil, err
		}
		if err := s.visibleAtSite(st, ownNames(fn, nil), "scope "+fn.Name()); err != nil {
			return nil, err
		}
	}
	links, err := s.scopeChain(body.List[len(body.List)-1], db, fn)
	if err != nil {
		return nil, err
	}
	if s.subst == nil {
		s.subst = map[types.Object]string{}
	}
	if params.Len() > 0 {
		if _, twice := s.subst[params.At(0)]; twice {
			// Its links are written out after every scope is expanded,
			// with one substitution per parameter.
			return nil, skipf("scope factory %s is applied twice in one chain", fn.Name())
		}
	}
	var locals []string
	for i := 0; i < params.Len(); i++ {
		p, arg := params.At(i), call.Args[i]
		argText := s.text(arg)
		// A constant argument (3 for a float64 parameter) or one of
		// another type gets the parameter's type, as the call gives it.
		tv := s.info.Types[arg]
		converted := tv.Value != nil || tv.IsNil() || tv.Type == nil || !types.Identical(tv.Type, p.Type())
		if converted {
			conv, err := s.typeText(p.Type())
			if err != nil {
				return nil, skipf("scope factory %s: parameter %s: %v", fn.Name(), p.Name(), err)
			}
			argText = conv + "(" + argText + ")"
		}
		if !assigned[p] {
			_, simple := ast.Unparen(arg).(*ast.Ident)
			if !converted && !simple {
				argText = "(" + argText + ")"
			}
			s.subst[p] = argText
			continue
		}
		name := s.scopeLocal(p.Name())
		locals = append(locals, name+" := "+argText)
		s.subst[p] = name
	}
	s.prelude = append(s.prelude, locals...)
	for _, st := range stmts {
		s.prelude = append(s.prelude, s.reindent(st))
	}
	return links, nil
}

// scopeStmt checks one statement of a scope factory's literal.
func (s *site) scopeStmt(st ast.Stmt, isParam, assigned map[types.Object]bool, fn *types.Func) error {
	bad := skipf("scope factory %s: only if/else and assignments to its parameters may come before the return", fn.Name())
	switch x := st.(type) {
	case *ast.AssignStmt:
		if x.Tok == token.DEFINE || len(x.Lhs) != len(x.Rhs) {
			return bad
		}
		for i, l := range x.Lhs {
			id, ok := l.(*ast.Ident)
			if !ok || !isParam[s.info.Uses[id]] || !scopePure(s.info, x.Rhs[i], isParam) {
				return bad
			}
			assigned[s.info.Uses[id]] = true
		}
		return nil
	case *ast.IfStmt:
		if x.Init != nil || !scopePure(s.info, x.Cond, isParam) {
			return bad
		}
		for _, b := range x.Body.List {
			if err := s.scopeStmt(b, isParam, assigned, fn); err != nil {
				return err
			}
		}
		if x.Else != nil {
			return s.scopeStmt(x.Else, isParam, assigned, fn)
		}
		return nil
	case *ast.BlockStmt:
		for _, b := range x.List {
			if err := s.scopeStmt(b, isParam, assigned, fn); err != nil {
				return err
			}
		}
		return nil
	}
	return bad
}

// scopePure: names, constants, field selections, and unary, binary and
// min/max/conversion expressions over them; with only, the names must be
// those objects or constants.
func scopePure(info *types.Info, e ast.Expr, only map[types.Object]bool) bool {
	ok := true
	ast.Inspect(e, func(n ast.Node) bool {
		switch x := n.(type) {
		case nil:
		case *ast.Ident:
			obj := info.Uses[x]
			switch o := obj.(type) {
			case *types.Const, *types.Nil, *types.TypeName, *types.Builtin:
			case *types.Var:
				if only != nil && !only[o] {
					ok = false
				}
			default:
				if obj != nil {
					ok = false
				}
			}
		case *ast.BasicLit, *ast.ParenExpr, *ast.BinaryExpr:
		case *ast.SelectorExpr:
			if only != nil {
				ok = false
			}
		case *ast.UnaryExpr:
			if x.Op == token.ARROW || x.Op == token.AND {
				ok = false
			}
		case *ast.CallExpr:
			tv := info.Types[x.Fun]
			if tv.IsType() && len(x.Args) == 1 {
				break // a conversion
			}
			if id, isID := ast.Unparen(x.Fun).(*ast.Ident); isID {
				if b, isB := info.Uses[id].(*types.Builtin); isB && (b.Name() == "min" || b.Name() == "max") {
					break
				}
			}
			ok = false
		default:
			ok = false
		}
		return ok
	})
	return ok
}

// reindent renders a statement of a scope (with the substitutions) for the
// site: its continuation lines lose the scope's indentation and get the
// site's. emit indents the first line.
func (s *site) reindent(st ast.Stmt) string {
	text := s.text(st)
	lines := strings.Split(text, "\n")
	if len(lines) == 1 {
		return text
	}
	fs, err := s.rw.fileOf(s.fs.pkg, st.Pos())
	if err != nil {
		return text
	}
	off := fs.off(st.Pos())
	ls := off
	for ls > 0 && fs.src[ls-1] != '\n' {
		ls--
	}
	scopeIndent := string(fs.src[ls:off])
	siteIndent := s.indentOf(s.fin)
	for i := 1; i < len(lines); i++ {
		lines[i] = siteIndent + strings.TrimPrefix(lines[i], scopeIndent)
	}
	return strings.Join(lines, "\n")
}

// typeText writes t for a conversion at the site: parenthesised when it
// starts with an operator (*T, func, chan), and only when every package it
// names is imported by the site's file.
func (s *site) typeText(t types.Type) (string, error) {
	var missing string
	text := types.TypeString(t, func(p *types.Package) string {
		if p == s.fs.pkg.Types {
			return ""
		}
		for _, im := range s.fs.file.Imports {
			if path, _ := strconv.Unquote(im.Path.Value); path == p.Path() {
				return s.fs.qualifier(p)
			}
		}
		missing = p.Path()
		return p.Name()
	})
	if missing != "" {
		return "", fmt.Errorf("its type needs %s, which the call site's file does not import", missing)
	}
	if strings.HasPrefix(text, "*") || strings.HasPrefix(text, "func") || strings.HasPrefix(text, "chan") || strings.HasPrefix(text, "<-") {
		text = "(" + text + ")"
	}
	return text, nil
}

// scopeLocal picks the name of a local holding a factory's argument: a
// fresh name of the site's function that is not one a scope of the chain
// refers to at package level (the local would capture it), nor one the
// conversion or the file's imports use (em, err, uow, models, ...).
func (s *site) scopeLocal(base string) string {
	avoid := map[string]bool{"em": true, "err": true, "uow": true, "ctx": true, "found": true, "row": true}
	for _, im := range s.fs.file.Imports {
		if pn := s.info.PkgNameOf(im); pn != nil {
			avoid[pn.Name()] = true
		}
	}
	collect := func(n ast.Node) {
		if n == nil {
			return
		}
		ast.Inspect(n, func(x ast.Node) bool {
			if id, ok := x.(*ast.Ident); ok {
				if obj := s.info.Uses[id]; obj != nil && (obj.Parent() == types.Universe || (obj.Pkg() != nil && obj.Parent() == obj.Pkg().Scope())) {
					avoid[id.Name] = true
				}
				if _, ok := s.info.Uses[id].(*types.PkgName); ok {
					avoid[id.Name] = true
				}
			}
			return true
		})
	}
	if sel, ok := ast.Unparen(s.fin.Fun).(*ast.SelectorExpr); ok {
		links, _ := s.gormLinks(sel.X)
		for _, l := range links {
			if l.name != "Scopes" {
				continue
			}
			for _, a := range l.call.Args {
				switch x := ast.Unparen(a).(type) {
				case *ast.FuncLit:
					collect(x.Body)
				case *ast.Ident, *ast.SelectorExpr:
					if _, d, err := s.scopeDecl(x); err == nil {
						collect(d.Body)
					}
				case *ast.CallExpr:
					if _, d, err := s.scopeDecl(ast.Unparen(x.Fun)); err == nil {
						collect(d.Body)
					}
				}
			}
		}
	}
	for {
		if name := s.freshName(base); !avoid[name] {
			return name
		}
	}
}
