package legacycall

import (
	"go/ast"
	"go/constant"
	"go/printer"
	"go/token"
	"go/types"
	"reflect"
	"sort"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/ast/astutil"
	"golang.org/x/tools/go/types/typeutil"

	"github.com/ormshift/ormshift/analyzers/legacyapi"
	"github.com/ormshift/ormshift/analyzers/modelinfo"
)

// maxDepth bounds the resolution of a chain through variables and helpers.
const maxDepth = 48

// maxSrc bounds the source text kept for one argument.
const maxSrc = 120

type assign struct {
	pos, end   token.Pos // the assignment statement
	rhs        ast.Expr
	blockStart token.Pos // innermost enclosing block or case clause
	blockEnd   token.Pos
}

type litParam struct {
	lit   *ast.FuncLit
	index int
}

// funcInfo is what the resolver knows about one top-level function.
type funcInfo struct {
	decl      *ast.FuncDecl
	obj       *types.Func
	params    map[*types.Var]int // parameters of decl (receiver: -1)
	litParams map[*types.Var]litParam
	assigns   map[*types.Var][]assign
}

// part is a partially resolved chain.
type part struct {
	lib      *legacyapi.Library
	root     Root
	links    []Link
	model    string // model type name, from Model(...) or gorm.G[T]
	modelPkg string
	table    string // table of that model
}

type resolver struct {
	pass       *analysis.Pass
	facts      bool
	tables     modelinfo.TableNameFunc
	decls      map[*types.Func]*ast.FuncDecl
	infos      map[*ast.FuncDecl]*funcInfo
	summaries  map[*types.Func]*ChainFact
	inProgress map[*types.Func]bool
	litCall    map[*ast.FuncLit]*ast.CallExpr // a func literal passed to a legacy call (Transaction callback)
}

func newResolver(pass *analysis.Pass) *resolver {
	r := &resolver{
		pass:       pass,
		decls:      map[*types.Func]*ast.FuncDecl{},
		infos:      map[*ast.FuncDecl]*funcInfo{},
		summaries:  map[*types.Func]*ChainFact{},
		inProgress: map[*types.Func]bool{},
		litCall:    map[*ast.FuncLit]*ast.CallExpr{},
	}
	r.facts = declares(pass.Analyzer, (*ChainFact)(nil)) && declares(pass.Analyzer, (*CallSitesFact)(nil)) &&
		declares(pass.Analyzer, (*modelinfo.TableFact)(nil))
	for _, f := range pass.Files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				if obj, ok := pass.TypesInfo.Defs[fd.Name].(*types.Func); ok {
					r.decls[obj] = fd
				}
			}
		}
	}
	return r
}

func declares(a *analysis.Analyzer, f analysis.Fact) bool {
	if a == nil {
		return false
	}
	t := reflect.TypeOf(f)
	for _, ft := range a.FactTypes {
		if reflect.TypeOf(ft) == t {
			return true
		}
	}
	return false
}

// run finds every finisher call and builds its chain.
func (r *resolver) run() *Result {
	res := &Result{}
	for _, f := range r.pass.Files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			fi := r.info(fd)
			var sites []*Chain
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				if c := r.finisher(fi, call); c != nil {
					sites = append(sites, c)
				}
				return true
			})
			res.Chains = append(res.Chains, sites...)
			if r.facts && fi.obj != nil {
				if len(sites) > 0 {
					fact := &CallSitesFact{}
					for _, c := range sites {
						fact.Sites = append(fact.Sites, *c)
					}
					r.pass.ExportObjectFact(fi.obj, fact)
				}
				if s := r.summary(fi.obj, 0); s != nil {
					r.pass.ExportObjectFact(fi.obj, s)
				}
			}
		}
	}
	sort.SliceStable(res.Chains, func(i, j int) bool { return res.Chains[i].Pos < res.Chains[j].Pos })
	return res
}

// info builds (once) the variables, parameters and assignments of fd.
func (r *resolver) info(fd *ast.FuncDecl) *funcInfo {
	if fi, ok := r.infos[fd]; ok {
		return fi
	}
	info := r.pass.TypesInfo
	fi := &funcInfo{decl: fd, params: map[*types.Var]int{}, litParams: map[*types.Var]litParam{}, assigns: map[*types.Var][]assign{}}
	fi.obj, _ = info.Defs[fd.Name].(*types.Func)
	r.infos[fd] = fi
	if fd.Recv != nil {
		for _, fld := range fd.Recv.List {
			for _, n := range fld.Names {
				if v, ok := info.Defs[n].(*types.Var); ok {
					fi.params[v] = -1
				}
			}
		}
	}
	addParams(info, fd.Type, func(v *types.Var, i int) { fi.params[v] = i })
	if fd.Body == nil {
		return fi
	}
	var stack []ast.Node
	block := func() (token.Pos, token.Pos) {
		for i := len(stack) - 1; i >= 0; i-- {
			switch b := stack[i].(type) {
			case *ast.BlockStmt, *ast.CaseClause, *ast.CommClause:
				return b.Pos(), b.End()
			}
		}
		return fd.Body.Pos(), fd.Body.End()
	}
	record := func(lhs ast.Expr, rhs ast.Expr, stmt ast.Node) {
		id, ok := astutil.Unparen(lhs).(*ast.Ident)
		if !ok || rhs == nil {
			return
		}
		obj := info.Defs[id]
		if obj == nil {
			obj = info.Uses[id]
		}
		v, ok := obj.(*types.Var)
		if !ok {
			return
		}
		bs, be := block()
		fi.assigns[v] = append(fi.assigns[v], assign{pos: stmt.Pos(), end: stmt.End(), rhs: rhs, blockStart: bs, blockEnd: be})
	}
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		switch x := n.(type) {
		case *ast.AssignStmt:
			if len(x.Lhs) == len(x.Rhs) {
				for i := range x.Lhs {
					record(x.Lhs[i], x.Rhs[i], x)
				}
			} else if len(x.Rhs) == 1 && len(x.Lhs) > 0 {
				// tx, err := f() : the handle is usually the first result.
				record(x.Lhs[0], x.Rhs[0], x)
			}
		case *ast.ValueSpec:
			if len(x.Names) == len(x.Values) {
				for i := range x.Names {
					record(x.Names[i], x.Values[i], x)
				}
			}
		case *ast.FuncLit:
			lit := x
			addParams(info, lit.Type, func(v *types.Var, i int) { fi.litParams[v] = litParam{lit: lit, index: i} })
		case *ast.CallExpr:
			if fn, ok := typeutil.Callee(info, x).(*types.Func); ok {
				if _, m := legacyapi.Resolve(fn); m != nil && takesCallback(m.Name) {
					for _, a := range x.Args {
						if lit, ok := astutil.Unparen(a).(*ast.FuncLit); ok {
							r.litCall[lit] = x
						}
					}
				}
			}
		}
		stack = append(stack, n)
		return true
	})
	return fi
}

func addParams(info *types.Info, ft *ast.FuncType, add func(*types.Var, int)) {
	if ft == nil || ft.Params == nil {
		return
	}
	i := 0
	for _, fld := range ft.Params.List {
		if len(fld.Names) == 0 {
			i++
			continue
		}
		for _, n := range fld.Names {
			if v, ok := info.Defs[n].(*types.Var); ok {
				add(v, i)
			}
			i++
		}
	}
}

// finisher returns the chain of call when it executes a statement.
func (r *resolver) finisher(fi *funcInfo, call *ast.CallExpr) *Chain {
	fn, ok := typeutil.Callee(r.pass.TypesInfo, call).(*types.Func)
	if !ok {
		return nil
	}
	lib, m := legacyapi.Resolve(fn)
	if m == nil || !m.Role.Executes() {
		return nil
	}
	sig, ok := fn.Type().(*types.Signature)
	if !ok || sig.Recv() == nil {
		return nil
	}
	sel, ok := astutil.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return nil
	}
	p := r.resolve(fi, sel.X, 0)
	c := &Chain{
		Library:  lib.Name,
		Short:    lib.Short,
		Root:     p.root,
		Links:    p.links,
		Finisher: r.link(call, sel, m),
		Op:       m.Op,
		Role:     m.Role.String(),
		Pos:      call.Pos(),
		End:      call.End(),
		Model:    p.model,
		ModelPkg: p.modelPkg,
		Table:    p.table,
		Func:     funcName(fi.obj),
	}
	c.Posn = c.Finisher.Posn
	r.describe(c, call, m, lib)
	return c
}

func funcName(fn *types.Func) string {
	if fn == nil {
		return ""
	}
	sig := fn.Type().(*types.Signature)
	if recv := sig.Recv(); recv != nil {
		t := recv.Type()
		ptr := ""
		if p, ok := t.(*types.Pointer); ok {
			t, ptr = p.Elem(), "*"
		}
		if n, ok := types.Unalias(t).(*types.Named); ok {
			return "(" + ptr + n.Obj().Name() + ")." + fn.Name()
		}
	}
	return fn.Name()
}

// describe fills in model, table, kind, rule and clauses.
func (r *resolver) describe(c *Chain, call *ast.CallExpr, m *legacyapi.Method, lib *legacyapi.Library) {
	info := r.pass.TypesInfo
	// The model: Model(...) or gorm.G[T] first (GORM's Statement.Model),
	// then the finisher's destination or value.
	if c.Model == "" && m.ModelParam >= 0 && m.ModelParam < len(call.Args) {
		if mi := modelinfo.Of(info.TypeOf(call.Args[m.ModelParam]), r.tables); mi != nil {
			c.Model, c.ModelPkg, c.Table = mi.Name, mi.PkgPath, mi.Table
		}
	}
	var pk string
	if c.Model == "" && m.Role == legacyapi.RoleMigration {
		var names, tables []string
		for _, a := range call.Args {
			if mi := modelinfo.Of(info.TypeOf(a), r.tables); mi != nil {
				names = append(names, mi.Name)
				tables = append(tables, mi.Table)
			}
		}
		c.Model, c.Table = strings.Join(names, ", "), strings.Join(tables, ", ")
	}
	if c.Model != "" {
		pk = "primary key"
		if n := modelNamed(info, call, m); n != nil {
			if mi := modelinfo.Of(n, r.tables); mi != nil && len(mi.PrimaryKey()) == 1 {
				pk = mi.PrimaryKey()[0]
			}
		}
	}
	raw := m.Role == legacyapi.RoleRaw
	for _, l := range c.Links {
		switch {
		case l.Method == "Table" && len(l.Args) > 0 && l.Args[0].IsConst:
			c.Table = l.Args[0].Const
		case l.Method == "Raw":
			raw = true
			if len(l.Args) > 0 {
				c.Raw = l.Args[0].Src
				if l.Args[0].IsConst {
					c.Raw = l.Args[0].Const
				}
			}
		}
		if s := renderLink(l); s != "" {
			c.Clauses = append(c.Clauses, s)
			if isCondition(l.Clause) {
				c.Conditions = append(c.Conditions, s)
			}
		}
	}
	// The finisher's own arguments.
	args := c.Finisher.Args
	for _, p := range m.SQL {
		if p.Index >= len(args) {
			continue
		}
		a := args[p.Index]
		switch p.Fragment {
		case legacyapi.FragCondition:
			s := "where " + a.Text()
			if t := info.TypeOf(call.Args[p.Index]); t != nil && isInteger(t) || a.IsConst && lib.IntegerPK != nil && lib.IntegerPK(a.Const) {
				if pk == "" {
					pk = "primary key"
				}
				s = "where " + pk + " = " + a.Text()
			}
			c.Clauses = append(c.Clauses, s)
			c.Conditions = append(c.Conditions, s)
		case legacyapi.FragStatement:
			c.Raw = a.Src
			if a.IsConst {
				c.Raw = a.Const
			}
			c.Clauses = append(c.Clauses, "exec "+a.Text())
		case legacyapi.FragColumn:
			c.Clauses = append(c.Clauses, "pluck "+a.Text())
		}
	}
	switch m.Name {
	case "Update", "UpdateColumn":
		if a := nonContextArgs(info, call, args); len(a) > 0 {
			c.Clauses = append(c.Clauses, "set "+a[0].Text())
		}
	case "Updates", "UpdateColumns":
		if a := nonContextArgs(info, call, args); len(a) > 0 {
			c.Clauses = append(c.Clauses, "set "+a[0].Src)
		}
	case "Association":
		if len(args) > 0 {
			c.Clauses = append(c.Clauses, "association "+args[0].Text())
		}
	}
	c.Kind = m.Role.Kind()
	if raw {
		c.Kind = "raw"
		if m.Role != legacyapi.RoleRaw && !c.HasLink("Table") {
			// Raw(...).Scan(&x): x is the result type, the SQL names the
			// tables.
			c.Table = ""
		}
	}
	c.Rule = RuleFor(c.Kind)
}

func modelNamed(info *types.Info, call *ast.CallExpr, m *legacyapi.Method) types.Type {
	if m.ModelParam >= 0 && m.ModelParam < len(call.Args) {
		return info.TypeOf(call.Args[m.ModelParam])
	}
	return nil
}

func nonContextArgs(info *types.Info, call *ast.CallExpr, args []Arg) []Arg {
	var out []Arg
	for i, a := range args {
		if i < len(call.Args) {
			if t := info.TypeOf(call.Args[i]); t != nil && isContext(t) {
				continue
			}
		}
		out = append(out, a)
	}
	return out
}

func isContext(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "context" && n.Obj().Name() == "Context"
}

func isInteger(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&types.IsInteger != 0
}

func isCondition(clause string) bool {
	switch clause {
	case "where", "not", "or", "having":
		return true
	}
	return false
}

// renderLink renders one link for the message; "" for links that add no
// clause (Model, Table, WithContext, Session, Begin, ...).
func renderLink(l Link) string {
	switch l.Role {
	case "chain":
	default:
		return ""
	}
	switch l.Clause {
	case "", "model", "table", "set":
		return ""
	}
	if len(l.Args) == 0 {
		return l.Clause
	}
	switch l.Clause {
	case "where", "not", "or", "having", "raw":
		// The first argument is the SQL (or struct/map condition); the
		// rest fill its placeholders.
		return l.Clause + " " + l.Args[0].Text()
	case "preload", "join", "inner join":
		return l.Clause + " " + l.Args[0].Text()
	}
	var parts []string
	for _, a := range l.Args {
		if a.Type == "context.Context" {
			continue // generics API: ctx is not part of the statement
		}
		parts = append(parts, a.Text())
	}
	return l.Clause + " " + strings.Join(parts, ", ")
}

// link makes the Link of a call to a legacy method.
func (r *resolver) link(call *ast.CallExpr, sel *ast.SelectorExpr, m *legacyapi.Method) Link {
	l := Link{Method: m.Name, Clause: m.Clause, Role: m.Role.String(), Pos: sel.Sel.Pos()}
	l.Posn = r.posn(sel.Sel.Pos())
	for _, a := range call.Args {
		l.Args = append(l.Args, r.arg(a))
	}
	return l
}

func (r *resolver) posn(pos token.Pos) string {
	p := r.pass.Fset.Position(pos)
	if !p.IsValid() {
		return ""
	}
	return p.String()
}

func (r *resolver) arg(e ast.Expr) Arg {
	a := Arg{Src: r.source(e)}
	if tv, ok := r.pass.TypesInfo.Types[e]; ok {
		if tv.Type != nil {
			a.Type = types.TypeString(tv.Type, types.RelativeTo(r.pass.Pkg))
		}
		if tv.Value != nil {
			a.IsConst = true
			if tv.Value.Kind() == constant.String {
				a.Const = constant.StringVal(tv.Value)
			} else {
				a.Const = tv.Value.ExactString()
			}
		}
	}
	return a
}

// source is the source text of e on one line, bounded.
func (r *resolver) source(e ast.Expr) string {
	var b strings.Builder
	if err := printer.Fprint(&b, r.pass.Fset, e); err != nil {
		return exprString(e)
	}
	s := strings.Join(strings.Fields(b.String()), " ")
	s = strings.ReplaceAll(strings.ReplaceAll(s, "{ ", "{"), ", }", "}")
	if len(s) > maxSrc {
		s = s[:maxSrc] + "…"
	}
	return s
}

func exprString(e ast.Expr) string {
	s := types.ExprString(e)
	if len(s) > maxSrc {
		s = s[:maxSrc] + "…"
	}
	return s
}

// resolve walks a handle-valued expression back to its root.
func (r *resolver) resolve(fi *funcInfo, e ast.Expr, depth int) part {
	e = astutil.Unparen(e)
	if depth > maxDepth {
		return part{root: Root{Kind: RootUnknown, Name: exprString(e)}}
	}
	info := r.pass.TypesInfo
	switch x := e.(type) {
	case *ast.CallExpr:
		fn, _ := typeutil.Callee(info, x).(*types.Func)
		if fn == nil {
			return part{root: Root{Kind: RootCall, Name: exprString(x.Fun)}}
		}
		if lib, m := legacyapi.Resolve(fn); m != nil {
			sig, _ := fn.Type().(*types.Signature)
			if sig == nil || sig.Recv() == nil {
				if m.Name == "G" && len(x.Args) > 0 {
					p := r.resolve(fi, x.Args[0], depth+1)
					p.lib = lib
					if t := typeArg(info, x); t != nil {
						if mi := modelinfo.Of(t, r.tables); mi != nil {
							p.model, p.modelPkg, p.table = mi.Name, mi.PkgPath, mi.Table
						}
					}
					return p
				}
				return part{lib: lib, root: Root{Kind: RootCall, Name: exprString(x.Fun)}}
			}
			sel, ok := astutil.Unparen(x.Fun).(*ast.SelectorExpr)
			if !ok {
				return part{lib: lib, root: Root{Kind: RootCall, Name: exprString(x.Fun)}}
			}
			p := r.resolve(fi, sel.X, depth+1)
			p.lib = lib
			if m.Name == "Scopes" {
				p.links = append(p.links, r.scopes(fi, x, sel, m, depth)...)
				return p
			}
			l := r.link(x, sel, m)
			p.links = append(p.links, l)
			if m.Name == "Model" && len(x.Args) > 0 {
				if mi := modelinfo.Of(info.TypeOf(x.Args[0]), r.tables); mi != nil {
					p.model, p.modelPkg, p.table = mi.Name, mi.PkgPath, mi.Table
				}
			}
			return p
		}
		// A helper that returns a handle.
		if s := r.summary(fn, depth+1); s != nil && !s.Scope {
			return r.apply(fi, s, x, fn, depth)
		}
		return part{root: Root{Kind: RootCall, Name: exprString(x.Fun)}}
	case *ast.Ident:
		v, ok := info.Uses[x].(*types.Var)
		if !ok {
			return part{root: Root{Kind: RootUnknown, Name: x.Name}}
		}
		if v.Pkg() != nil && v.Parent() == v.Pkg().Scope() {
			return part{root: Root{Kind: RootGlobal, Name: x.Name}}
		}
		if i, ok := fi.params[v]; ok {
			return part{root: Root{Kind: RootParam, Name: x.Name, Index: i}}
		}
		if lp, ok := fi.litParams[v]; ok {
			if call := r.litCall[lp.lit]; call != nil && lp.index == 0 {
				// The callback of Transaction/Connection/FindInBatches:
				// its handle continues the receiver's chain.
				if sel, ok := astutil.Unparen(call.Fun).(*ast.SelectorExpr); ok {
					if fn, ok := typeutil.Callee(info, call).(*types.Func); ok {
						if _, m := legacyapi.Resolve(fn); m != nil {
							p := r.resolve(fi, sel.X, depth+1)
							l := r.link(call, sel, m)
							l.Args = nil
							p.links = append(p.links, l)
							return p
						}
					}
				}
			}
			return part{root: Root{Kind: RootParam, Name: x.Name, Index: lp.index}}
		}
		var def *assign
		for i := range fi.assigns[v] {
			a := &fi.assigns[v][i]
			if a.end <= x.Pos() && (def == nil || a.pos > def.pos) {
				def = a
			}
		}
		if def == nil {
			return part{root: Root{Kind: RootLocal, Name: x.Name}}
		}
		p := r.resolve(fi, def.rhs, depth+1)
		if !(def.blockStart <= x.Pos() && x.Pos() < def.blockEnd) {
			for i := range p.links {
				if def.rhs.Pos() <= p.links[i].Pos && p.links[i].Pos < def.rhs.End() {
					p.links[i].Conditional = true
				}
			}
		}
		return p
	case *ast.SelectorExpr:
		if s, ok := info.Selections[x]; ok && s.Kind() == types.FieldVal {
			return part{root: Root{Kind: RootField, Name: typeName(s.Recv()) + "." + x.Sel.Name}}
		}
		if v, ok := info.Uses[x.Sel].(*types.Var); ok && v.Pkg() != nil && v.Parent() == v.Pkg().Scope() {
			return part{root: Root{Kind: RootGlobal, Name: exprString(x)}}
		}
	}
	return part{root: Root{Kind: RootUnknown, Name: exprString(e)}}
}

// apply extends a call of a helper with the helper's summary.
func (r *resolver) apply(fi *funcInfo, s *ChainFact, call *ast.CallExpr, fn *types.Func, depth int) part {
	var p part
	if s.Root.Kind == RootParam {
		var arg ast.Expr
		if s.Root.Index == -1 {
			if sel, ok := astutil.Unparen(call.Fun).(*ast.SelectorExpr); ok {
				arg = sel.X
			}
		} else if s.Root.Index < len(call.Args) {
			arg = call.Args[s.Root.Index]
		}
		if arg != nil {
			p = r.resolve(fi, arg, depth+1)
		} else {
			p.root = s.Root
		}
	} else {
		p.root = s.Root
	}
	p.lib = legacyapi.ByPath(libPath(s.Library))
	for _, l := range s.Links {
		if l.Via == "" {
			l.Via = funcName(fn)
		}
		l.Pos = token.NoPos
		p.links = append(p.links, l)
		if l.Method == "Model" {
			p.model, p.modelPkg, p.table = "", "", ""
		}
	}
	if s.Model != "" {
		p.model, p.modelPkg, p.table = s.Model, s.ModelPkg, s.Table
	}
	return p
}

func libPath(name string) string {
	for _, l := range legacyapi.Libraries {
		if l.Name == name {
			return l.Path
		}
	}
	return ""
}

func typeName(t types.Type) string {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if n, ok := types.Unalias(t).(*types.Named); ok {
		return n.Obj().Name()
	}
	return types.TypeString(t, func(*types.Package) string { return "" })
}

func typeArg(info *types.Info, call *ast.CallExpr) types.Type {
	var id *ast.Ident
	switch f := astutil.Unparen(call.Fun).(type) {
	case *ast.IndexExpr:
		id = identOf(f.X)
	case *ast.IndexListExpr:
		id = identOf(f.X)
	default:
		id = identOf(f)
	}
	if id == nil {
		return nil
	}
	if inst, ok := info.Instances[id]; ok && inst.TypeArgs.Len() > 0 {
		return inst.TypeArgs.At(0)
	}
	return nil
}

func identOf(e ast.Expr) *ast.Ident {
	switch x := e.(type) {
	case *ast.Ident:
		return x
	case *ast.SelectorExpr:
		return x.Sel
	}
	return nil
}

// scopes expands the arguments of a Scopes call into links.
func (r *resolver) scopes(fi *funcInfo, call *ast.CallExpr, sel *ast.SelectorExpr, m *legacyapi.Method, depth int) []Link {
	info := r.pass.TypesInfo
	var links []Link
	unresolved := func(a ast.Expr) {
		l := r.link(call, sel, m)
		l.Args = []Arg{r.arg(a)}
		links = append(links, l)
	}
	if call.Ellipsis.IsValid() {
		unresolved(call.Args[len(call.Args)-1])
		return links
	}
	for _, a := range call.Args {
		a = astutil.Unparen(a)
		switch x := a.(type) {
		case *ast.FuncLit:
			if ls, ok := r.scopeLit(fi, x, depth); ok {
				for _, l := range ls {
					l.Via = "Scopes(func literal)"
					links = append(links, l)
				}
				continue
			}
		case *ast.Ident, *ast.SelectorExpr:
			if fn, ok := info.Uses[identOf(x)].(*types.Func); ok {
				if s := r.summary(fn, depth+1); s != nil && !s.Scope && s.Root.Kind == RootParam && s.Root.Index == 0 {
					for _, l := range s.Links {
						if l.Via == "" {
							l.Via = funcName(fn)
						}
						links = append(links, l)
					}
					continue
				}
			}
		case *ast.CallExpr:
			if fn, ok := typeutil.Callee(info, x).(*types.Func); ok {
				if s := r.summary(fn, depth+1); s != nil && s.Scope {
					for _, l := range s.Links {
						if l.Via == "" {
							l.Via = funcName(fn)
						}
						links = append(links, l)
					}
					continue
				}
			}
		}
		unresolved(a)
	}
	return links
}

// scopeLit resolves the chain a scope function literal returns, relative to
// its parameter.
func (r *resolver) scopeLit(fi *funcInfo, lit *ast.FuncLit, depth int) ([]Link, bool) {
	ret := lastReturn(lit.Body)
	if ret == nil || len(ret.Results) != 1 {
		return nil, false
	}
	p := r.resolve(fi, ret.Results[0], depth+1)
	if p.root.Kind != RootParam {
		return nil, false
	}
	return p.links, true
}

// lastReturn is the last return statement of body outside nested function
// literals.
func lastReturn(body *ast.BlockStmt) *ast.ReturnStmt {
	if body == nil {
		return nil
	}
	var last *ast.ReturnStmt
	ast.Inspect(body, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			last = x
		}
		return true
	})
	return last
}

// summary returns the partial chain a function builds and returns: from a
// fact for another package's function, from its body for this package's.
func (r *resolver) summary(fn *types.Func, depth int) *ChainFact {
	fn = fn.Origin()
	if fn.Pkg() != r.pass.Pkg {
		if !r.facts || fn.Pkg() == nil {
			return nil
		}
		var f ChainFact
		if r.pass.ImportObjectFact(fn, &f) {
			return &f
		}
		return nil
	}
	if s, ok := r.summaries[fn]; ok {
		return s
	}
	if r.inProgress[fn] || depth > maxDepth {
		return nil
	}
	fd := r.decls[fn]
	if fd == nil || fd.Body == nil {
		return nil
	}
	sig, ok := fn.Type().(*types.Signature)
	if !ok {
		return nil
	}
	handle, scope := -1, -1
	for i := 0; i < sig.Results().Len(); i++ {
		t := sig.Results().At(i).Type()
		if _, ok := legacyapi.IsHandle(t); ok && handle < 0 {
			handle = i
		} else if isScopeFunc(t) && scope < 0 {
			scope = i
		}
	}
	if handle < 0 && scope < 0 {
		r.summaries[fn] = nil
		return nil
	}
	r.inProgress[fn] = true
	defer delete(r.inProgress, fn)
	fi := r.info(fd)
	var s *ChainFact
	ret := lastReturn(fd.Body)
	if ret != nil {
		if handle >= 0 && handle < len(ret.Results) {
			p := r.resolve(fi, ret.Results[handle], depth+1)
			if p.root.Kind != RootUnknown && (len(p.links) > 0 || p.root.Kind == RootField || p.root.Kind == RootGlobal || p.model != "") {
				s = &ChainFact{Root: p.root, Links: p.links, Model: p.model, ModelPkg: p.modelPkg, Table: p.table}
				if p.lib != nil {
					s.Library = p.lib.Name
				}
			}
		} else if scope >= 0 && scope < len(ret.Results) {
			if lit, ok := astutil.Unparen(ret.Results[scope]).(*ast.FuncLit); ok {
				if links, ok := r.scopeLit(fi, lit, depth); ok {
					s = &ChainFact{Root: Root{Kind: RootParam, Index: 0}, Links: links, Scope: true}
				}
			}
		}
	}
	if s != nil {
		for i := range s.Links {
			s.Links[i].Pos = token.NoPos // positions do not cross packages; Posn does
		}
		if s.Library == "" {
			s.Library = legacyapi.GORMv2.Name
			if handle >= 0 {
				if lib, ok := legacyapi.IsHandle(sig.Results().At(handle).Type()); ok {
					s.Library = lib.Name
				}
			}
		}
	}
	r.summaries[fn] = s
	return s
}

// isScopeFunc reports whether t is func(*gorm.DB) *gorm.DB.
func isScopeFunc(t types.Type) bool {
	sig, ok := t.Underlying().(*types.Signature)
	if !ok || sig.Params().Len() != 1 || sig.Results().Len() != 1 {
		return false
	}
	_, a := legacyapi.IsHandle(sig.Params().At(0).Type())
	_, b := legacyapi.IsHandle(sig.Results().At(0).Type())
	return a && b
}

// takesCallback reports whether a legacy method's function argument gets
// the receiver's handle (with the chain so far) as its first parameter.
func takesCallback(method string) bool {
	switch method {
	case "Transaction", "Connection", "FindInBatches":
		return true
	}
	return false
}
