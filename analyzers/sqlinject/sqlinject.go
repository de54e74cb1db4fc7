// Package sqlinject finds SQL injection: non-constant text reaching a
// parameter that a SQL library interprets as raw SQL (the rows of
// analyzers/legacyapi: GORM v2 and v1 with GORM's own rules, database/sql,
// sqlx, pgx), decided by data flow on SSA. A value is safe when it is built
// only from constants, is numeric, or passed an allowlist guard on every
// path; it is high severity when it comes from request input. Functions
// whose parameters reach a sink export a fact, so callers in other
// packages are checked at the call.
//
// Rule ids: sqlinject/high, sqlinject/medium, sqlinject/mass-assignment.
package sqlinject

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"sort"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/ssa"

	"github.com/ormshift/ormshift/analyzers/legacyapi"
)

// Rule ids.
const (
	RuleHigh           = "sqlinject/high"
	RuleMedium         = "sqlinject/medium"
	RuleMassAssignment = "sqlinject/mass-assignment"
)

const doc = `find SQL injection by data flow to raw-SQL parameters

sqlinject follows values on SSA to every parameter that GORM (v2, v1),
database/sql, sqlx or pgx inserts as raw SQL. Constants, numbers and values
that passed an allowlist guard (map lookup, switch or if over constants,
anchored regexp, strconv parse, GORM schema field lookup) are safe. Request
input (net/http, gin, echo, fiber, os.Args) is reported as sqlinject/high,
other non-constant text as sqlinject/medium. Maps whose keys come from the
request passed as conditions or to Updates/Create are
sqlinject/mass-assignment. Helpers and closures are followed across
functions and packages with facts.`

// Analyzer is the sqlinject pass.
var Analyzer = &analysis.Analyzer{
	Name:      "sqlinject",
	Doc:       doc,
	URL:       "https://github.com/ormshift/ormshift/blob/main/docs/sqlsafety.md#sqlinject",
	Requires:  []*analysis.Analyzer{},
	Run:       run,
	FactTypes: []analysis.Fact{new(SinkFact), new(ReturnFact)},
}

// SinkParam says that a parameter of a function reaches a sink.
type SinkParam struct {
	Index int    // SSA parameter index (the receiver of a method is 0)
	Name  string // the parameter's name
	Sink  string // "(*gorm.DB).Order"
	Desc  string // "inserts its argument as raw SQL"
	Site  string // "store.go:12"
	Via   string // steps inside the function, e.g. "fmt.Sprintf"
	Mass  bool   // a map whose keys pick columns (mass assignment)
}

// SinkFact is exported for a function whose parameters reach SQL sinks.
type SinkFact struct{ Params []SinkParam }

func (*SinkFact) AFact() {}

func (f *SinkFact) String() string {
	var s []string
	for _, p := range f.Params {
		s = append(s, fmt.Sprintf("%s->%s", p.Name, p.Sink))
	}
	return "sinks(" + strings.Join(s, ", ") + ")"
}

// ReturnFact is exported for a function whose (first) result is not
// constant: its level when it comes from a source, and the parameters it is
// built from.
type ReturnFact struct {
	Level  int
	Source string
	Params []int
}

func (*ReturnFact) AFact() {}

func (f *ReturnFact) String() string {
	return fmt.Sprintf("returns(%s %v)", Level(f.Level), f.Params)
}

type summary struct {
	ret       taint
	computing bool
	done      bool
	sinks     map[int]SinkParam
}

type analyzer struct {
	pass       *analysis.Pass
	calls      map[token.Pos]*ast.CallExpr
	sels       map[token.Pos]*ast.SelectorExpr
	summaries  map[*ssa.Function]*summary
	validators map[validKey]bool
	guardSets  map[guardKey][]bool
	ev         *evaluator
	reported   map[string]bool
	globals    map[*ssa.Global][]*ssa.Store
	funcs      []*ssa.Function
	ssapkg     *ssa.Package
	changed    bool
}

func run(pass *analysis.Pass) (_ any, err error) {
	defer func() {
		// An analyzer must not take the vet run down: a bug here becomes
		// an error naming the package.
		if r := recover(); r != nil {
			err = fmt.Errorf("sqlinject: internal error analysing %s: %v", pass.Pkg.Path(), r)
		}
	}()
	if len(pass.Files) > 0 && inGOROOT(pass.Fset, pass.Files[0].Pos()) {
		// The standard library is modelled (sources, formatting,
		// propagation): analysing it would only slow vet down.
		return nil, nil
	}
	ssapkg, srcFuncs := buildSSA(pass)
	a := &analyzer{
		pass:       pass,
		calls:      map[token.Pos]*ast.CallExpr{},
		sels:       map[token.Pos]*ast.SelectorExpr{},
		summaries:  map[*ssa.Function]*summary{},
		validators: map[validKey]bool{},
		guardSets:  map[guardKey][]bool{},
		reported:   map[string]bool{},
	}
	a.ev = &evaluator{a: a, memo: map[key]taint{}, inflight: map[key]bool{}}
	for _, f := range pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				a.calls[n.Lparen] = n
			case *ast.SelectorExpr:
				a.sels[n.Sel.Pos()] = n
			}
			return true
		})
	}
	a.ssapkg = ssapkg
	a.funcs = srcFuncs
	seen := map[*ssa.Function]bool{}
	for _, fn := range srcFuncs {
		seen[fn] = true
	}
	for i := 0; i < len(a.funcs); i++ { // closures of closures
		for _, an := range a.funcs[i].AnonFuncs {
			if !seen[an] {
				seen[an] = true
				a.funcs = append(a.funcs, an)
			}
		}
	}
	var sites []ssa.Instruction
	for _, fn := range a.funcs {
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				switch instr.(type) {
				case ssa.CallInstruction, *ssa.Store:
					sites = append(sites, instr)
				}
			}
		}
	}
	for iter := 0; iter < 8; iter++ {
		a.changed = false
		for _, s := range sites {
			a.site(s)
		}
		if !a.changed {
			break
		}
	}
	a.exportFacts()
	return nil, nil
}

func (a *analyzer) summaryOf(fn *ssa.Function) *summary {
	s := a.summaries[fn]
	if s == nil {
		s = &summary{sinks: map[int]SinkParam{}}
		a.summaries[fn] = s
	}
	return s
}

// returnsOf is the taint of fn's first result in terms of its parameters.
func (a *analyzer) returnsOf(fn *ssa.Function) *summary {
	s := a.summaryOf(fn)
	if s.done || s.computing {
		return s
	}
	s.computing = true
	var t taint
	if fn.Signature.Results().Len() > 0 && carriesText(fn.Signature.Results().At(0).Type()) {
		for _, b := range fn.Blocks {
			if len(b.Instrs) == 0 {
				continue
			}
			if ret, ok := b.Instrs[len(b.Instrs)-1].(*ssa.Return); ok && len(ret.Results) > 0 {
				t = join(t, a.ev.eval(ret.Results[0], b))
			}
		}
	}
	s.ret, s.computing, s.done = t, false, true
	return s
}

func (a *analyzer) storesToGlobal(g *ssa.Global) []*ssa.Store {
	if a.globals == nil {
		a.globals = map[*ssa.Global][]*ssa.Store{}
		for _, fn := range a.funcs {
			for _, b := range fn.Blocks {
				for _, instr := range b.Instrs {
					if st, ok := instr.(*ssa.Store); ok {
						if gg, ok := st.Addr.(*ssa.Global); ok {
							a.globals[gg] = append(a.globals[gg], st)
						}
					}
				}
			}
		}
		// Package initialisers are not in SrcFuncs' blocks when they
		// only hold var initialisation: scan init too.
		if init := a.ssapkg.Func("init"); init != nil {
			for _, b := range init.Blocks {
				for _, instr := range b.Instrs {
					if st, ok := instr.(*ssa.Store); ok {
						if gg, ok := st.Addr.(*ssa.Global); ok {
							a.globals[gg] = append(a.globals[gg], st)
						}
					}
				}
			}
		}
	}
	return a.globals[g]
}

// sinkDesc says what a library does with a parameter, for messages.
func sinkDesc(lib *legacyapi.Library, p legacyapi.SQLParam) string {
	if lib.Driver {
		return "sends it to the database as SQL text"
	}
	switch p.Rule {
	case legacyapi.RawCondition:
		return "treats a string condition as raw SQL"
	case legacyapi.RawUnlessIdentifier:
		return "inserts it as raw SQL unless it is a single column name"
	case legacyapi.RawTable:
		return "inserts a table expression as raw SQL"
	case legacyapi.RawUnlessField:
		return "inserts it as raw SQL unless it names a model field"
	case legacyapi.RawUnlessAssociation:
		return "inserts it as raw SQL unless it names an association"
	case legacyapi.RawUnlessColumnLike:
		return "inserts it as raw SQL unless it looks like a column name"
	}
	return "inserts its argument as raw SQL"
}

// calleeName is how messages name a function: (*gorm.DB).Where.
func calleeName(fn *types.Func) string {
	sig := fn.Type().(*types.Signature)
	if sig.Recv() == nil {
		if fn.Pkg() == nil {
			return fn.Name()
		}
		return fn.Pkg().Name() + "." + fn.Name()
	}
	t := sig.Recv().Type()
	ptr := false
	if p, ok := t.(*types.Pointer); ok {
		t, ptr = p.Elem(), true
	}
	name := types.TypeString(t, func(p *types.Package) string { return p.Name() })
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i]
	}
	if ptr {
		return "(*" + name + ")." + fn.Name()
	}
	return "(" + name + ")." + fn.Name()
}

// massMethods are GORM methods that take a map whose keys are column names.
var massMethods = map[string]bool{
	"Updates": true, "UpdateColumns": true, "Create": true, "Assign": true, "Attrs": true,
	"Where": true, "Not": true, "Or": true, "Having": true, "First": true, "Find": true,
	"Take": true, "Last": true, "FirstOrCreate": true, "FirstOrInit": true, "Delete": true,
}

// site checks one instruction: a sink call, a call of a function whose
// parameters reach sinks, or a store into clause.Expr{SQL: ...}.
func (a *analyzer) site(instr ssa.Instruction) {
	switch instr := instr.(type) {
	case *ssa.Store:
		fa, ok := instr.Addr.(*ssa.FieldAddr)
		if !ok {
			return
		}
		st, ok := fa.X.Type().Underlying().(*types.Pointer)
		if !ok {
			return
		}
		named, ok := types.Unalias(st.Elem()).(*types.Named)
		if !ok || named.Obj().Pkg() == nil {
			return
		}
		key := named.Obj().Pkg().Path() + "." + named.Obj().Name()
		for _, lib := range legacyapi.Libraries {
			if field, ok := lib.ExprTypes[key]; ok {
				strct := named.Underlying().(*types.Struct)
				if fa.Field < strct.NumFields() && strct.Field(fa.Field).Name() == field {
					p := legacyapi.SQLParam{Rule: legacyapi.RawAlways, Fragment: legacyapi.FragExpr}
					a.checkValue(instr.Val, instr.Block(), instr.Pos(), nil, named.Obj().Pkg().Name()+"."+named.Obj().Name()+"{"+field+": ...}", sinkDesc(lib, p), false)
				}
			}
		}
	case ssa.CallInstruction:
		c := instr.Common()
		var obj *types.Func
		offset := 0
		var callee *ssa.Function
		if c.IsInvoke() {
			obj = c.Method
		} else if callee = c.StaticCallee(); callee != nil {
			if callee.Origin() != nil {
				callee = callee.Origin()
			}
			obj, _ = callee.Object().(*types.Func)
			if callee.Signature.Recv() != nil {
				offset = 1
			}
		}
		if obj == nil {
			if callee != nil && callee.Parent() != nil {
				a.helperCall(instr, callee, nil)
			}
			return
		}
		lib, m := legacyapi.ResolveSQL(obj)
		if m != nil {
			a.sinkCall(instr, obj, lib, m, offset)
			return
		}
		if callee != nil && callee.Pkg != nil && callee.Pkg.Pkg == a.pass.Pkg {
			a.helperCall(instr, callee, nil)
			return
		}
		var sf SinkFact
		if a.pass.ImportObjectFact(obj, &sf) {
			a.helperCall(instr, callee, sf.Params)
		}
	}
}

func (a *analyzer) sinkCall(instr ssa.CallInstruction, obj *types.Func, lib *legacyapi.Library, m *legacyapi.Method, offset int) {
	c := instr.Common()
	sig := obj.Type().(*types.Signature)
	name := calleeName(obj)
	for _, p := range m.SQL {
		i := p.Index + offset
		if i >= len(c.Args) {
			continue
		}
		arg := c.Args[i]
		if sig.Variadic() && p.Index == sig.Params().Len()-1 {
			vals, ok := varargs(arg)
			if !ok || len(vals) == 0 {
				continue
			}
			arg = vals[0]
		}
		a.checkArg(instr, arg, name, sinkDesc(lib, p), lib, m, p)
	}
	if !lib.Driver && massMethods[m.Name] {
		for i := offset; i < len(c.Args); i++ {
			arg := c.Args[i]
			if sig.Variadic() && i-offset == sig.Params().Len()-1 {
				if vals, ok := varargs(arg); ok && len(vals) > 0 {
					arg = vals[0]
				}
			}
			a.checkMass(instr, stripIface(arg), name)
		}
	}
}

// checkArg checks the argument of a SQL parameter.
func (a *analyzer) checkArg(instr ssa.CallInstruction, arg ssa.Value, sink, desc string, lib *legacyapi.Library, m *legacyapi.Method, p legacyapi.SQLParam) {
	x := stripIface(arg)
	t := x.Type()
	switch {
	case isString(t) || isBytes(t):
		a.checkValue(x, instr.Block(), instr.Pos(), &sinkCtx{instr: instr, lib: lib, m: m, p: p}, sink, desc, false)
	case isInterface(t):
		a.checkValue(x, instr.Block(), instr.Pos(), nil, sink, desc, true)
	}
}

func isBytes(t types.Type) bool {
	s, ok := t.Underlying().(*types.Slice)
	if !ok {
		return false
	}
	b, ok := s.Elem().Underlying().(*types.Basic)
	return ok && b.Kind() == types.Byte
}

func isInterface(t types.Type) bool {
	_, ok := t.Underlying().(*types.Interface)
	return ok
}

type sinkCtx struct {
	instr ssa.CallInstruction
	lib   *legacyapi.Library
	m     *legacyapi.Method
	p     legacyapi.SQLParam
}

// checkValue evaluates a value reaching a sink, reports it, and records
// the parameters it depends on as sink parameters of their functions.
func (a *analyzer) checkValue(v ssa.Value, b *ssa.BasicBlock, pos token.Pos, ctx *sinkCtx, sink, desc string, highOnly bool) {
	t := a.ev.eval(v, b)
	if t.level == High || (t.level == Medium && !highOnly) {
		a.report(pos, t, sink, desc, "", ctx)
	}
	site := a.position(pos)
	for _, p := range sortedParams(t.params) {
		a.addSinkParam(p, SinkParam{Name: p.Name(), Sink: sink, Desc: desc, Site: site, Via: strings.Join(t.params[p].via, ", ")})
	}
}

func (a *analyzer) addSinkParam(p *ssa.Parameter, sp SinkParam) {
	fn := p.Parent()
	if fn == nil {
		return
	}
	sp.Index = paramIndex(p)
	s := a.summaryOf(fn)
	if _, ok := s.sinks[sp.Index]; ok {
		return
	}
	s.sinks[sp.Index] = sp
	a.changed = true
}

// checkMass reports a map whose keys come from the request used as a
// GORM condition or update.
func (a *analyzer) checkMass(instr ssa.CallInstruction, m ssa.Value, sink string) {
	if _, ok := m.Type().Underlying().(*types.Map); !ok {
		return
	}
	t := a.ev.mapKeys(m, instr.Block())
	if t.level == High {
		a.reportMass(instr.Pos(), t, sink, "")
	}
	for _, p := range sortedParams(t.params) {
		a.addSinkParam(p, SinkParam{Name: p.Name(), Sink: sink, Desc: "lets the caller pick the columns", Site: a.position(instr.Pos()), Mass: true})
	}
}

// mapKeys is the taint of the keys of a map.
func (e *evaluator) mapKeys(m ssa.Value, b *ssa.BasicBlock) taint {
	return e.memoized(kKeys, m, b, e.mapKeys1)
}

func (e *evaluator) mapKeys1(m ssa.Value, b *ssa.BasicBlock) taint {
	switch m := m.(type) {
	case *ssa.MakeMap:
		var t taint
		for _, r := range refs(m) {
			if u, ok := r.(*ssa.MapUpdate); ok && u.Map == m {
				t = join(t, e.eval(u.Key, u.Block()))
			}
		}
		return t
	case *ssa.Phi:
		var t taint
		for i, edge := range m.Edges {
			t = join(t, e.mapKeys(edge, m.Block().Preds[i]))
		}
		return t
	case *ssa.UnOp:
		if m.Op == token.MUL {
			// A map variable: what was stored in it, what decoders fill.
			var t taint
			for _, r := range refs(m.X) {
				switch r := r.(type) {
				case *ssa.Store:
					if r.Addr == m.X {
						t = join(t, e.mapKeys(r.Val, r.Block()))
					}
				case *ssa.Call:
					t = join(t, e.filledBy(r, m.X))
				case *ssa.MakeInterface:
					for _, rr := range refs(r) {
						if call, ok := rr.(*ssa.Call); ok {
							t = join(t, e.filledBy(call, r))
						}
					}
				}
			}
			if _, ok := m.X.(*ssa.Alloc); !ok {
				t = join(t, e.eval(m, b))
			}
			return t
		}
	case *ssa.Parameter:
		return e.eval(m, b)
	}
	return e.eval(m, b)
}

// helperCall checks a call of a function whose parameters reach sinks.
func (a *analyzer) helperCall(instr ssa.CallInstruction, callee *ssa.Function, imported []SinkParam) {
	c := instr.Common()
	var sps []SinkParam
	if imported != nil {
		sps = imported
	} else if s := a.summaries[callee]; s != nil {
		for _, sp := range s.sinks {
			sps = append(sps, sp)
		}
		sort.Slice(sps, func(i, j int) bool { return sps[i].Index < sps[j].Index })
	}
	for _, sp := range sps {
		if sp.Index >= len(c.Args) {
			continue
		}
		arg := c.Args[sp.Index]
		fname := callee.Name()
		if callee.Parent() != nil {
			fname = "a function literal"
		}
		through := fmt.Sprintf(" through parameter %s of %s (%s at %s)", sp.Name, fname, sp.Sink, sp.Site)
		var t taint
		if sp.Mass {
			t = a.ev.mapKeys(stripIface(arg), instr.Block())
			if t.level == High {
				a.reportMass(instr.Pos(), t, sp.Sink, through)
			}
		} else {
			t = a.ev.eval(arg, instr.Block())
			if t.level >= Medium && !(t.level == Medium && isInterface(arg.Type())) {
				if sp.Via != "" {
					t = t.withVia(sp.Via)
				}
				a.report(instr.Pos(), t, sp.Sink, sp.Desc, through, nil)
			}
		}
		for _, p := range sortedParams(t.params) {
			sp2 := sp
			sp2.Name = p.Name()
			a.addSinkParam(p, sp2)
		}
	}
}

func (a *analyzer) position(pos token.Pos) string {
	p := a.pass.Fset.Position(pos)
	if !p.IsValid() {
		return "?"
	}
	name := p.Filename
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	return fmt.Sprintf("%s:%d", name, p.Line)
}

func (a *analyzer) report(pos token.Pos, t taint, sink, desc, through string, ctx *sinkCtx) {
	cat := RuleMedium
	head := "possible SQL injection: "
	if t.level == High {
		cat, head = RuleHigh, "SQL injection: "
	}
	via := ""
	if len(t.via) > 0 {
		via = " (via " + strings.Join(t.via, ", ") + ")"
	}
	msg := fmt.Sprintf("%s%s%s reaches %s%s, which %s", head, t.src, via, sink, through, desc)
	k := fmt.Sprint(pos, cat)
	if a.reported[k] {
		return
	}
	a.reported[k] = true
	start, end := a.span(pos)
	d := analysis.Diagnostic{Pos: start, End: end, Category: cat, Message: msg}
	if ctx != nil {
		d.SuggestedFixes = a.fixes(ctx)
	}
	a.pass.Report(d)
}

func (a *analyzer) reportMass(pos token.Pos, t taint, sink, through string) {
	k := fmt.Sprint(pos, RuleMassAssignment)
	if a.reported[k] {
		return
	}
	a.reported[k] = true
	start, end := a.span(pos)
	a.pass.Report(analysis.Diagnostic{Pos: start, End: end, Category: RuleMassAssignment,
		Message: fmt.Sprintf("mass assignment: the keys of a map from %s pick the columns of %s%s; map request fields to columns explicitly", t.src, sink, through)})
}

// span is the source range of the call whose Lparen is at pos.
func (a *analyzer) span(pos token.Pos) (token.Pos, token.Pos) {
	if ce := a.calls[pos]; ce != nil {
		if sel, ok := ce.Fun.(*ast.SelectorExpr); ok {
			return sel.Sel.Pos(), ce.End()
		}
		return ce.Pos(), ce.End()
	}
	return pos, token.NoPos
}

// callText is the source text of a call.
func (a *analyzer) callText(call ssa.CallInstruction) string {
	if ce := a.calls[call.Pos()]; ce != nil {
		return shorten(types.ExprString(ce))
	}
	c := call.Common()
	if c.IsInvoke() {
		return c.Method.Name() + "(...)"
	}
	if fn := c.StaticCallee(); fn != nil {
		return fn.Name() + "(...)"
	}
	return "a call"
}

func shorten(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// describe names a value for messages.
func (a *analyzer) describe(v ssa.Value) string {
	switch v := v.(type) {
	case *ssa.Call:
		return a.callText(v)
	case *ssa.UnOp:
		if v.Op == token.MUL {
			if fa, ok := v.X.(*ssa.FieldAddr); ok {
				if se := a.sels[fa.Pos()]; se != nil {
					return shorten(types.ExprString(se))
				}
			}
		}
	case *ssa.FieldAddr:
		if se := a.sels[v.Pos()]; se != nil {
			return shorten(types.ExprString(se))
		}
	case *ssa.Field:
		if se := a.sels[v.Pos()]; se != nil {
			return shorten(types.ExprString(se))
		}
	case *ssa.Parameter:
		if requestType(v.Type()) {
			return v.Name()
		}
		return "parameter " + v.Name()
	case *ssa.Global:
		return v.Pkg.Pkg.Name() + "." + v.Name()
	}
	return "a non-constant value"
}

func (a *analyzer) exportFacts() {
	// Package-level text variables: what is stored into them (an embedded
	// file, or constants, is safe).
	for _, m := range a.ssapkg.Members {
		g, ok := m.(*ssa.Global)
		if !ok {
			continue
		}
		obj, ok := g.Object().(*types.Var)
		if !ok || !textVar(obj.Type()) {
			continue
		}
		t := a.ev.contents(g, nil)
		a.pass.ExportObjectFact(obj, &ReturnFact{Level: int(t.level), Source: t.src})
	}
	for _, fn := range a.funcs {
		obj, ok := fn.Object().(*types.Func)
		if !ok || fn.Parent() != nil || obj.Pkg() != a.pass.Pkg {
			continue
		}
		if s := a.summaries[fn]; s != nil && len(s.sinks) > 0 {
			f := &SinkFact{}
			for _, sp := range s.sinks {
				f.Params = append(f.Params, sp)
			}
			sort.Slice(f.Params, func(i, j int) bool { return f.Params[i].Index < f.Params[j].Index })
			a.pass.ExportObjectFact(obj, f)
		}
		if fn.Signature.Results().Len() == 0 || !carriesText(fn.Signature.Results().At(0).Type()) {
			continue
		}
		// Exported even when safe: a function without the fact is
		// unknown to callers in other packages.
		s := a.returnsOf(fn)
		rf := &ReturnFact{Level: int(s.ret.level), Source: s.ret.src}
		for _, p := range sortedParams(s.ret.params) {
			if p.Parent() == fn {
				rf.Params = append(rf.Params, paramIndex(p))
			}
		}
		a.pass.ExportObjectFact(obj, rf)
	}
}

// buildSSA builds the package's SSA form (as buildssa does, without
// requiring it, so the standard library is not converted on every vet run).
func buildSSA(pass *analysis.Pass) (*ssa.Package, []*ssa.Function) {
	prog := ssa.NewProgram(pass.Fset, ssa.BuilderMode(0))
	for _, p := range pass.Pkg.Imports() {
		prog.CreatePackage(p, nil, nil, true)
	}
	ssapkg := prog.CreatePackage(pass.Pkg, pass.Files, pass.TypesInfo, false)
	ssapkg.Build()
	var funcs []*ssa.Function
	var add func(f *ssa.Function)
	add = func(f *ssa.Function) {
		funcs = append(funcs, f)
		for _, an := range f.AnonFuncs {
			add(an)
		}
	}
	for _, file := range pass.Files {
		for _, decl := range file.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok {
				continue
			}
			fn, ok := pass.TypesInfo.Defs[fd.Name].(*types.Func)
			if !ok {
				continue
			}
			if f := prog.FuncValue(fn); f != nil {
				add(f)
			}
		}
	}
	// Package-level variable initialisers may hold closures too.
	if init := ssapkg.Func("init"); init != nil {
		for _, an := range init.AnonFuncs {
			add(an)
		}
	}
	return ssapkg, funcs
}

// textVar: package variables whose taint is exported (text, and
// collections of text).
func textVar(t types.Type) bool {
	switch u := t.Underlying().(type) {
	case *types.Basic:
		return u.Info()&types.IsString != 0
	case *types.Slice:
		return isString(u.Elem()) || isBytes(t)
	case *types.Array:
		return isString(u.Elem())
	case *types.Map:
		return isString(u.Key()) || isString(u.Elem())
	}
	return false
}
