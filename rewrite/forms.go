package rewrite

import (
	"go/ast"
	"go/token"
	"go/types"
	"golang.org/x/tools/go/ast/astutil"
	"strconv"
	"strings"
)

type formKind int

const (
	formDefine formKind = iota + 1 // err := X.Error
	formAssign                     // err = X.Error
	formIf                         // if err := X.Error; cond {
	formRes                        // res := X, then res.Error / res.RowsAffected
	formReturn                     // return ..., X.Error
)

// form is how the statement's result is used.
type form struct {
	kind       formKind
	stmt       ast.Stmt // statement replaced (the IfStmt for formIf)
	errName    string   // the error variable (formDefine, formAssign, formIf)
	resUses    []*ast.SelectorExpr
	usesN      bool
	hoistCheck string     // name whose later uses in the block forbid hoisting
	block      []ast.Stmt // the statement list holding stmt
	blockNode  ast.Node
	index      int // stmt's index in block
}

// findForm classifies the use of the finisher call. errorField is whether
// the legacy result is a *gorm.DB (used through .Error) rather than an
// error value.
func (s *site) findForm() (*form, error) {
	p := s.path
	// p[0] is fin; p[1] its parent.
	if len(p) < 3 {
		return nil, skipf("unexpected syntax around the call")
	}
	parent := p[1]
	f := &form{}
	if sel, ok := parent.(*ast.SelectorExpr); ok && sel.Sel.Name == "Error" {
		switch st := p[2].(type) {
		case *ast.AssignStmt:
			if len(st.Lhs) != 1 || len(st.Rhs) != 1 {
				return nil, skipf("the .Error result is part of a multiple assignment")
			}
			id, ok := st.Lhs[0].(*ast.Ident)
			if !ok || id.Name == "_" {
				return nil, skipf("the .Error result is not assigned to a variable")
			}
			f.errName = id.Name
			if ifs, ok := p[3].(*ast.IfStmt); ok && ifs.Init == st {
				if st.Tok != token.DEFINE {
					return nil, skipf("if statement initialiser that assigns")
				}
				f.kind = formIf
				f.stmt = ifs
				// Hoisting err out of the if must not touch a variable of
				// the enclosing block.
				if sc := s.scopeOf(p[4]); sc != nil && sc.Lookup(id.Name) != nil {
					return nil, skipf("hoisting %s out of the if statement would clash with %s of the enclosing block", id.Name, id.Name)
				}
				f.hoistCheck = id.Name
			} else if st.Tok == token.DEFINE {
				f.kind = formDefine
				f.stmt = st
			} else if st.Tok == token.ASSIGN {
				f.kind = formAssign
				f.stmt = st
			} else {
				return nil, skipf("unsupported assignment %s", st.Tok)
			}
		case *ast.ReturnStmt:
			if st.Results[len(st.Results)-1] != sel {
				return nil, skipf("the .Error result is not the last returned value")
			}
			f.kind = formReturn
			f.stmt = st
		default:
			return nil, skipf("the .Error result is used in an expression (%T)", p[2])
		}
	} else if st, ok := parent.(*ast.AssignStmt); ok && st.Tok == token.DEFINE && len(st.Lhs) == 1 && len(st.Rhs) == 1 {
		id, ok := st.Lhs[0].(*ast.Ident)
		if !ok {
			return nil, skipf("the result is not assigned to a variable")
		}
		v, _ := s.info.Defs[id].(*types.Var)
		if v == nil {
			return nil, skipf("the result variable is not new")
		}
		f.kind = formRes
		f.stmt = st
		var bad string
		ast.Inspect(s.decl.Body, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.SelectorExpr:
				if xid, ok := x.X.(*ast.Ident); ok && s.info.Uses[xid] == v {
					switch x.Sel.Name {
					case "Error":
					case "RowsAffected":
						f.usesN = true
					default:
						bad = x.Sel.Name
					}
					f.resUses = append(f.resUses, x)
					return false
				}
			case *ast.Ident:
				if s.info.Uses[x] == v {
					bad = "the whole result"
				}
			}
			return true
		})
		if bad != "" {
			return nil, skipf("the result %s is used for %s", id.Name, bad)
		}
	} else {
		return nil, skipf("the result of %s is used as %T", s.ch.Op, parent)
	}
	// The statement list holding the statement.
	for i, n := range p {
		if n != f.stmt {
			continue
		}
		if i+1 >= len(p) {
			break
		}
		f.blockNode = p[i+1]
		switch b := p[i+1].(type) {
		case *ast.BlockStmt:
			f.block = b.List
		case *ast.CaseClause:
			f.block = b.Body
		case *ast.CommClause:
			f.block = b.Body
		}
		for j, x := range f.block {
			if x == f.stmt {
				f.index = j
			}
		}
	}
	if f.block == nil {
		return nil, skipf("the statement is not directly in a block")
	}
	if f.hoistCheck != "" && s.usedAfter(f, f.hoistCheck) {
		return nil, skipf("hoisting %s out of the if statement would capture later uses of %s in the block", f.hoistCheck, f.hoistCheck)
	}
	return f, nil
}

// usedAfter reports whether an identifier name in the statements of f's
// block after f's statement refers to a variable declared before them
// (which a new declaration of name in the block would capture).
func (s *site) usedAfter(f *form, name string) bool {
	rest := f.block[f.index+1:]
	if len(rest) == 0 {
		return false
	}
	start, end := rest[0].Pos(), rest[len(rest)-1].End()
	used := false
	for _, st := range rest {
		ast.Inspect(st, func(n ast.Node) bool {
			id, ok := n.(*ast.Ident)
			if !ok || id.Name != name {
				return !used
			}
			if obj := s.info.Uses[id]; obj != nil && (obj.Pos() < start || obj.Pos() >= end) {
				used = true
			}
			return !used
		})
	}
	return used
}

// scopeOf returns the scope of a block, including a function body (whose
// scope go/types records on the function type).
func (s *site) scopeOf(block ast.Node) *types.Scope {
	if sc := s.info.Scopes[block]; sc != nil {
		return sc
	}
	var found *types.Scope
	ast.Inspect(s.decl, func(n ast.Node) bool {
		switch fn := n.(type) {
		case *ast.FuncDecl:
			if fn.Body == block {
				found = s.info.Scopes[fn.Type]
			}
		case *ast.FuncLit:
			if fn.Body == block {
				found = s.info.Scopes[fn.Type]
			}
		}
		return found == nil
	})
	return found
}

// blockName picks the name of a new variable for a replacement in f's
// block: base itself when the block neither declares nor mentions it after
// the statement (errNew), or when a converted site already declared it
// there (errSame); else a name unique in the function (errNew).
func (s *site) blockName(f *form, base string) (string, errState) {
	if !s.usedAfter(f, base) && !s.nameUsedIn(f.stmt, base) {
		if s.fs.hoisted[f.blockNode][base] {
			return base, errSame
		}
		if sc := s.scopeOf(f.blockNode); sc != nil && sc.Lookup(base) == nil {
			s.markDeclared(f, base)
			return base, errNew
		}
	}
	return s.freshName(base), errNew
}

func (s *site) markDeclared(f *form, name string) {
	s.res.hoist = &hoist{f.blockNode, name}
}

// freshName returns base when the function does not mention it, else
// base2, base3, ...
func (s *site) freshName(base string) string {
	name := base
	for i := 2; s.nameUsedIn(s.decl, name) || s.fs.reserved[s.decl][name]; i++ {
		name = base + itoa(i)
	}
	s.reserveName(name)
	if s.fs.declared[s.decl] == nil {
		s.fs.declared[s.decl] = map[string]bool{}
	}
	s.fs.declared[s.decl][name] = true
	return name
}

func itoa(i int) string { return strconv.Itoa(i) }

// builder renders the replacement statements given the name of the error
// variable, whether the first statement declares it (:=) and the name of
// the rows-affected variable ("" when not wanted).
type builder func(errVar string, es errState, nVar string) ([]string, error)

// errState says where the error variable stands at the replacement.
type errState int

const (
	errNew   errState = iota // not declared in this block: := declares it
	errSame                  // declared in this block: := only with a new variable, else =
	errOuter                 // declared outside the block: = only
)

// emit wires the replacement statements into the form the legacy result
// was used in.
func (s *site) emit(f *form, b builder, hasN bool) error {
	if len(s.prelude) > 0 {
		// A scope's statements run first, on their own locals.
		inner := b
		b = func(errVar string, es errState, nVar string) ([]string, error) {
			stmts, err := inner(errVar, es, nVar)
			if err != nil {
				return nil, err
			}
			return append(append([]string(nil), s.prelude...), stmts...), nil
		}
		s.preludeUsed = true
	}
	indent := s.indentOf(f.stmt)
	join := func(stmts []string) string { return strings.Join(stmts, "\n"+indent) }
	switch f.kind {
	case formDefine, formAssign:
		es := errOuter
		if f.kind == formDefine {
			es = errNew
			if s.fs.hoisted[f.blockNode][f.errName] {
				es = errSame
			}
		}
		stmts, err := b(f.errName, es, "")
		if err != nil {
			return err
		}
		s.replace(f.stmt, join(stmts))
	case formIf:
		ifs := f.stmt.(*ast.IfStmt)
		es := errNew
		if s.fs.hoisted[f.blockNode][f.errName] {
			es = errSame
		}
		stmts, err := b(f.errName, es, "")
		if err != nil {
			return err
		}
		s.res.edits = append(s.res.edits, Edit{Start: s.fs.off(ifs.Pos()), End: s.fs.off(ifs.Cond.Pos()), New: join(stmts) + "\n" + indent + "if "})
		s.res.hoist = &hoist{f.blockNode, f.errName}
	case formReturn:
		ret := f.stmt.(*ast.ReturnStmt)
		errVar, es := s.blockName(f, "err")
		stmts, err := b(errVar, es, "")
		if err != nil {
			return err
		}
		var results []string
		for _, r := range ret.Results[:len(ret.Results)-1] {
			results = append(results, s.text(r))
		}
		results = append(results, errVar)
		s.replace(ret, join(stmts)+"\n"+indent+"return "+strings.Join(results, ", "))
	case formRes:
		if f.usesN && !hasN {
			return skipf("RowsAffected has no equivalent for %s", s.ch.Op)
		}
		// The result variable's uses are renamed, so the names must be
		// free where those uses are: unique in the function.
		errVar, es := s.blockName(f, "err")
		if s.resUsedOutsideBlock(f) {
			errVar, es = s.freshName("err"), errNew
		}
		nVar := ""
		if f.usesN {
			nVar = s.freshName("affected")
		}
		stmts, err := b(errVar, es, nVar)
		if err != nil {
			return err
		}
		s.replace(f.stmt, join(stmts))
		for _, u := range f.resUses {
			name := errVar
			if u.Sel.Name == "RowsAffected" {
				name = nVar
			}
			s.fs.renames = append(s.fs.renames, Edit{Start: s.fs.off(u.Pos()), End: s.fs.off(u.End()), New: name})
			s.res.renames = append(s.res.renames, s.fs.renames[len(s.fs.renames)-1])
		}
	}
	return nil
}

func (s *site) replace(n ast.Node, text string) {
	s.res.edits = append(s.res.edits, Edit{Start: s.fs.off(n.Pos()), End: s.fs.off(n.End()), New: text})
}

func (s *site) indentOf(n ast.Node) string {
	off := s.fs.off(n.Pos())
	ls := off
	for ls > 0 && s.fs.src[ls-1] != '\n' {
		ls--
	}
	i := ls
	for i < off && (s.fs.src[i] == '\t' || s.fs.src[i] == ' ') {
		i++
	}
	return string(s.fs.src[ls:i])
}

// takeDecl checks that v is declared by "var v T" in f's block before the
// statement, unused in between, and returns the edit that deletes the
// declaration.
func (s *site) takeDecl(f *form, v *types.Var) (Edit, error) {
	for j := f.index - 1; j >= 0; j-- {
		st := f.block[j]
		if ds, ok := st.(*ast.DeclStmt); ok {
			if gd, ok := ds.Decl.(*ast.GenDecl); ok && gd.Tok == token.VAR && len(gd.Specs) == 1 {
				vs := gd.Specs[0].(*ast.ValueSpec)
				if len(vs.Names) == 1 && len(vs.Values) == 0 && s.info.Defs[vs.Names[0]] == v {
					start := s.fs.off(ds.Pos())
					end := s.fs.off(ds.End())
					// the whole line, with its newline and indentation
					for start > 0 && (s.fs.src[start-1] == '\t' || s.fs.src[start-1] == ' ') {
						start--
					}
					if end < len(s.fs.src) && s.fs.src[end] == '\n' {
						end++
					}
					if len(gd.Doc.Text()) > 0 || hasCommentIn(s.fs.file, ds.Pos(), ds.End()) {
						return Edit{}, skipf("the declaration of %s carries a comment", v.Name())
					}
					return Edit{Start: start, End: end}, nil
				}
			}
		}
		if mentions(s.info, st, v) {
			return Edit{}, skipf("%s is used between its declaration and the call", v.Name())
		}
	}
	return Edit{}, skipf("%s is not declared with var just before the call in the same block", v.Name())
}

func hasCommentIn(f *ast.File, pos, end token.Pos) bool {
	for _, cg := range f.Comments {
		if cg.Pos() >= pos && cg.End() <= end+1 {
			return true
		}
	}
	return false
}

func mentions(info *types.Info, n ast.Node, v *types.Var) bool {
	found := false
	ast.Inspect(n, func(x ast.Node) bool {
		if id, ok := x.(*ast.Ident); ok && (info.Uses[id] == v || info.Defs[id] == v) {
			found = true
		}
		return !found
	})
	return found
}

// pointerize rewrites the uses of v after pos for v becoming a pointer:
// &v is v, v.f stays, any other use is *v.
func (s *site) pointerize(v *types.Var, after token.Pos) {
	var stack []ast.Node
	ast.Inspect(s.decl.Body, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return false
		}
		stack = append(stack, n)
		id, ok := n.(*ast.Ident)
		if !ok || s.info.Uses[id] != v || id.Pos() < after {
			return true
		}
		if id.Pos() >= s.fin.Pos() && id.Pos() < s.fin.End() {
			return true
		}
		parent := stack[len(stack)-2]
		switch p := parent.(type) {
		case *ast.UnaryExpr:
			if p.Op == token.AND {
				s.addRename(Edit{Start: s.fs.off(p.Pos()), End: s.fs.off(p.End()), New: v.Name()})
				return true
			}
		case *ast.SelectorExpr:
			if p.X == id {
				return true
			}
		case *ast.ParenExpr:
			if u, ok := stack[len(stack)-3].(*ast.UnaryExpr); ok && u.Op == token.AND {
				s.addRename(Edit{Start: s.fs.off(u.Pos()), End: s.fs.off(u.End()), New: v.Name()})
				return true
			}
		}
		s.addRename(Edit{Start: s.fs.off(id.Pos()), End: s.fs.off(id.End()), New: "*" + v.Name()})
		return true
	})
}

func (s *site) addRename(e Edit) {
	for _, r := range s.fs.renames {
		if r.Start == e.Start && r.End == e.End {
			return
		}
	}
	s.fs.renames = append(s.fs.renames, e)
	s.res.renames = append(s.res.renames, e)
}

func pathTo(f *ast.File, n ast.Node) ([]ast.Node, bool) {
	return astutil.PathEnclosingInterval(f, n.Pos(), n.End())
}

// resUsedOutsideBlock: some use of the result variable is not directly in
// the statements after it in the same block (e.g. in a closure or a nested
// block that declares err itself).
func (s *site) resUsedOutsideBlock(f *form) bool {
	for _, u := range f.resUses {
		in := false
		for _, st := range f.block[f.index+1:] {
			if u.Pos() >= st.Pos() && u.End() <= st.End() {
				in = true
			}
		}
		if !in {
			return true
		}
		// a nested scope declaring the same name would capture the use
		scope := s.fs.pkg.Types.Scope().Innermost(u.Pos())
		for sc := scope; sc != nil && sc != s.scopeOf(f.blockNode); sc = sc.Parent() {
			if sc.Lookup("err") != nil {
				return true
			}
		}
	}
	return false
}

// usesGuarded reports whether every use of v after the statement comes
// after an "if err != nil { ...; return }" that follows the statement: the
// converted finder's pointer is nil when it fails, where the legacy value
// was a zero struct.
func (s *site) usesGuarded(f *form, v *types.Var) bool {
	var guard ast.Stmt
	switch f.kind {
	case formIf:
		guard = f.stmt
	case formDefine:
		if f.index+1 < len(f.block) {
			guard = f.block[f.index+1]
		}
	case formReturn:
		return true
	}
	ifs, ok := guard.(*ast.IfStmt)
	if !ok || (ifs.Init != nil && f.kind != formIf) || ifs.Else != nil || len(ifs.Body.List) == 0 {
		return false
	}
	bin, ok := ifs.Cond.(*ast.BinaryExpr)
	if !ok || bin.Op != token.NEQ {
		return false
	}
	if id, ok := bin.X.(*ast.Ident); !ok || id.Name != f.errName {
		return false
	}
	if id, ok := bin.Y.(*ast.Ident); !ok || id.Name != "nil" {
		return false
	}
	if _, ok := ifs.Body.List[len(ifs.Body.List)-1].(*ast.ReturnStmt); !ok {
		return false
	}
	ok = true
	ast.Inspect(s.decl.Body, func(n ast.Node) bool {
		if id, isID := n.(*ast.Ident); isID && s.info.Uses[id] == v && id.Pos() >= s.fin.End() && id.Pos() < ifs.End() {
			ok = false
		}
		return ok
	})
	return ok
}

// reserveName keeps freshName from picking name in the site's function.
func (s *site) reserveName(name string) {
	if s.fs.reserved[s.decl] == nil {
		s.fs.reserved[s.decl] = map[string]bool{}
	}
	s.fs.reserved[s.decl][name] = true
}

// claimName is for a package-level name that a scope or helper uses and
// that the conversion writes into the site's function: false when a local
// of a conversion (em, found, a scope factory's local, ...) could capture
// it there; else the name is reserved so that none will.
func (s *site) claimName(name string) bool {
	if conversionLocals[name] || s.fs.declared[s.decl][name] {
		return false
	}
	s.reserveName(name)
	return true
}
