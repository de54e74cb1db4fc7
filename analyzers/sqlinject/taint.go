package sqlinject

import (
	"go/build"
	"go/constant"
	"go/token"
	"go/types"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/tools/go/ssa"
)

// Level is the taint lattice: Safe (constant, numeric, or guarded) <
// Medium (non-constant of unknown origin) < High (request input).
type Level int

const (
	Safe Level = iota
	Medium
	High
)

func (l Level) String() string {
	switch l {
	case High:
		return "high"
	case Medium:
		return "medium"
	}
	return "safe"
}

// taint is what is known of a value: its level, where the worst part came
// from, the short path it took, and the parameters of enclosing functions
// it depends on (resolved at the call sites of those functions).
type taint struct {
	level  Level
	src    string   // the source, as written ("r.URL.Query().Get(\"order\")")
	via    []string // steps, e.g. "fmt.Sprintf", "+"
	params map[*ssa.Parameter]paramDep
}

type paramDep struct {
	via []string
}

func (t taint) withVia(step string) taint {
	if t.level == Safe && len(t.params) == 0 {
		return t
	}
	if n := len(t.via); n > 0 && t.via[n-1] == step {
		return t
	}
	if len(t.via) >= 4 {
		return t
	}
	t.via = append(append([]string(nil), t.via...), step)
	if len(t.params) > 0 {
		ps := make(map[*ssa.Parameter]paramDep, len(t.params))
		for p, d := range t.params {
			if n := len(d.via); n == 0 || d.via[n-1] != step {
				d.via = append(append([]string(nil), d.via...), step)
			}
			ps[p] = d
		}
		t.params = ps
	}
	return t
}

func join(a, b taint) taint {
	r := a
	if b.level > a.level {
		r.level, r.src, r.via = b.level, b.src, b.via
	}
	if len(b.params) > 0 {
		ps := make(map[*ssa.Parameter]paramDep, len(a.params)+len(b.params))
		for p, d := range a.params {
			ps[p] = d
		}
		for p, d := range b.params {
			if _, ok := ps[p]; !ok {
				ps[p] = d
			}
		}
		r.params = ps
	}
	return r
}

func high(src string) taint   { return taint{level: High, src: src} }
func medium(src string) taint { return taint{level: Medium, src: src} }

// key memoises evaluations per value and block of use (guards depend on
// where the value is used).
type key struct {
	v    ssa.Value
	b    *ssa.BasicBlock
	kind int
}

const (
	kValue = iota
	kElems
	kLoad
	kContents
	kKeys
	kBuilder
)

// evaluator computes taints within one package.
type evaluator struct {
	a        *analyzer
	memo     map[key]taint
	inflight map[key]bool
	depth    int
}

func (e *evaluator) eval(v ssa.Value, b *ssa.BasicBlock) taint {
	return e.memoized(kValue, v, b, e.eval1)
}

// memoized runs f once per (kind, value, block); a cycle (a loop through
// phis and appends) contributes nothing, so the other edges decide.
func (e *evaluator) memoized(kind int, v ssa.Value, b *ssa.BasicBlock, f func(ssa.Value, *ssa.BasicBlock) taint) taint {
	k := key{v, b, kind}
	if t, ok := e.memo[k]; ok {
		return t
	}
	if e.inflight[k] {
		return taint{}
	}
	if e.depth > 80 {
		return medium("a value too complex to follow")
	}
	e.inflight[k] = true
	e.depth++
	t := f(v, b)
	e.depth--
	delete(e.inflight, k)
	e.memo[k] = t
	return t
}

func isNumeric(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&(types.IsNumeric|types.IsBoolean) != 0
}

// carriesText reports whether a value of type t can hold SQL text.
func carriesText(t types.Type) bool {
	if t == nil || isNumeric(t) {
		return false
	}
	if n, ok := types.Unalias(t).(*types.Named); ok && n.Obj().Pkg() != nil {
		switch n.Obj().Pkg().Path() {
		case "context", "time", "sync", "database/sql", "gorm.io/gorm", "github.com/jinzhu/gorm",
			"github.com/jackc/pgx/v5", "github.com/jackc/pgx/v5/pgxpool", "github.com/jmoiron/sqlx":
			return false
		}
		if n.Obj().Name() == "error" && n.Obj().Pkg() == nil {
			return false
		}
	}
	if p, ok := t.(*types.Pointer); ok {
		return carriesText(p.Elem())
	}
	switch u := t.Underlying().(type) {
	case *types.Signature, *types.Chan:
		return false
	case *types.Interface:
		if types.Identical(t, types.Universe.Lookup("error").Type()) {
			return false
		}
		_ = u
	}
	return true
}

func namedIs(t types.Type, path, name string) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == path && n.Obj().Name() == name
}

// requestType reports whether values of type t are request input as a
// whole (any text read from them comes from the client).
func requestType(t types.Type) bool {
	return namedIs(t, "net/http", "Request") || namedIs(t, "net/url", "Values") ||
		namedIs(t, "net/url", "URL") || namedIs(t, "net/http", "Header") ||
		namedIs(t, "mime/multipart", "Form") || namedIs(t, "net/http", "Cookie")
}

func (e *evaluator) eval1(v ssa.Value, b *ssa.BasicBlock) taint {
	if !carriesText(v.Type()) {
		return taint{}
	}
	if e.a.guarded(v, b) {
		return taint{}
	}
	if requestType(v.Type()) {
		if _, isConst := v.(*ssa.Const); !isConst {
			return high(e.a.describe(v))
		}
	}
	switch v := v.(type) {
	case *ssa.Const:
		return taint{}
	case *ssa.Function:
		return taint{}
	case *ssa.Parameter:
		if v.Parent() != nil && v.Parent().Parent() != nil && v.Parent().Object() == nil {
			return e.anonParam(v)
		}
		return taint{params: map[*ssa.Parameter]paramDep{v: {}}}
	case *ssa.FreeVar:
		return e.freeVar(v, func(bind ssa.Value, at *ssa.BasicBlock) taint { return e.eval(bind, at) })
	case *ssa.Global:
		return e.global(v)
	case *ssa.UnOp:
		if v.Op == token.MUL {
			switch v.X.(type) {
			case *ssa.Alloc, *ssa.FreeVar:
				// A captured (heap) variable: follow the stores that
				// reach this load, so guards before it count.
				return e.valueAt(v.X, v.Block(), indexOf(v), v)
			}
			return e.load(v.X, b)
		}
		return e.eval(v.X, b)
	case *ssa.BinOp:
		if v.Op == token.ADD {
			return join(e.eval(v.X, b), e.eval(v.Y, b)).withVia("+")
		}
		return taint{}
	case *ssa.Phi:
		var t taint
		for i, edge := range v.Edges {
			pred := v.Block().Preds[i]
			if e.a.edgeGuards(pred, v.Block(), edge) {
				continue
			}
			t = join(t, e.eval(edge, pred))
		}
		return t
	case *ssa.MakeInterface:
		return e.eval(v.X, b)
	case *ssa.ChangeInterface:
		return e.eval(v.X, b)
	case *ssa.ChangeType:
		return e.eval(v.X, b)
	case *ssa.Convert:
		return e.eval(v.X, b)
	case *ssa.SliceToArrayPointer:
		return e.eval(v.X, b)
	case *ssa.TypeAssert:
		return e.eval(v.X, b)
	case *ssa.Extract:
		switch tu := v.Tuple.(type) {
		case *ssa.Lookup:
			return e.lookup(tu, b)
		case *ssa.Next:
			return e.eval(tu.Iter.(*ssa.Range).X, b)
		case *ssa.TypeAssert:
			return e.eval(tu.X, b)
		case *ssa.Call:
			return e.call(tu, b, v.Index)
		}
		return e.eval(v.Tuple, b)
	case *ssa.Lookup:
		return e.lookup(v, b)
	case *ssa.Index:
		return e.elems(v.X, b)
	case *ssa.Field:
		return e.eval(v.X, b)
	case *ssa.Slice:
		if isString(v.X.Type()) {
			return e.eval(v.X, b)
		}
		return e.elems(v.X, b)
	case *ssa.Call:
		return e.call(v, b, 0)
	case *ssa.Alloc, *ssa.MakeSlice, *ssa.MakeMap:
		return e.contents(v.(ssa.Value), b)
	case *ssa.FieldAddr, *ssa.IndexAddr:
		return e.load(v, b)
	case *ssa.MakeClosure:
		return taint{}
	}
	return medium(e.a.describe(v))
}

func isString(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&types.IsString != 0
}

// anonParam: the parameter of a closure is what its direct calls pass.
func (e *evaluator) anonParam(p *ssa.Parameter) taint {
	fn := p.Parent()
	idx := -1
	for i, q := range fn.Params {
		if q == p {
			idx = i
		}
	}
	var t taint
	found := false
	for _, instr := range allInstrs(fn.Parent()) {
		call, ok := instr.(ssa.CallInstruction)
		if !ok {
			continue
		}
		c := call.Common()
		callee := c.Value
		if mc, ok := callee.(*ssa.MakeClosure); ok {
			callee = mc.Fn
		}
		if callee != fn || c.IsInvoke() || idx >= len(c.Args) {
			continue
		}
		found = true
		t = join(t, e.eval(c.Args[idx], instr.Block()))
	}
	if !found {
		return medium("parameter " + p.Name() + " of a function literal")
	}
	return t
}

// freeVar resolves a captured variable to the value bound by the
// enclosing function's MakeClosure.
func (e *evaluator) freeVar(fv *ssa.FreeVar, f func(ssa.Value, *ssa.BasicBlock) taint) taint {
	fn := fv.Parent()
	idx := -1
	for i, x := range fn.FreeVars {
		if x == fv {
			idx = i
		}
	}
	var t taint
	found := false
	if fn.Parent() != nil {
		for _, instr := range allInstrs(fn.Parent()) {
			mc, ok := instr.(*ssa.MakeClosure)
			if !ok || mc.Fn != fn || idx < 0 || idx >= len(mc.Bindings) {
				continue
			}
			found = true
			t = join(t, f(mc.Bindings[idx], mc.Block()))
		}
	}
	if !found {
		return medium("captured variable " + fv.Name())
	}
	return t
}

func allInstrs(fn *ssa.Function) []ssa.Instruction {
	if fn == nil {
		return nil
	}
	var out []ssa.Instruction
	for _, b := range fn.Blocks {
		out = append(out, b.Instrs...)
	}
	return out
}

// global: os.Args is request input; a package variable of this package is
// what is stored into it; others are unknown.
func (e *evaluator) global(g *ssa.Global) taint {
	if g.Pkg != nil && g.Pkg.Pkg.Path() == "os" && g.Name() == "Args" {
		return high("os.Args")
	}
	if g.Pkg == nil || g.Pkg.Pkg != e.a.pass.Pkg {
		var rf ReturnFact
		if obj, ok := g.Object().(*types.Var); ok && e.a.pass.ImportObjectFact(obj, &rf) {
			return taint{level: Level(rf.Level), src: rf.Source}
		}
		return medium("package variable " + g.Name())
	}
	return e.contents(g, nil)
}

// load is the taint of *addr.
func (e *evaluator) load(addr ssa.Value, b *ssa.BasicBlock) taint {
	return e.memoized(kLoad, addr, b, e.load1)
}

func (e *evaluator) load1(addr ssa.Value, b *ssa.BasicBlock) taint {
	switch a := addr.(type) {
	case *ssa.FieldAddr:
		base := e.eval(a.X, b)
		if base.level == High && requestType(a.X.Type()) {
			if se := e.a.sels[a.Pos()]; se != nil {
				base.src = shorten(types.ExprString(se))
			}
		}
		return join(base, e.storesTo(a))
	case *ssa.IndexAddr:
		return e.elems(a.X, b)
	case *ssa.Global:
		return e.global(a)
	case *ssa.FreeVar:
		return e.freeVar(a, func(bind ssa.Value, at *ssa.BasicBlock) taint { return e.load(bind, at) })
	case *ssa.Parameter:
		return e.eval(a, b)
	}
	return e.contents(addr, b)
}

// storesTo joins the values stored to the same field of the same base.
func (e *evaluator) storesTo(fa *ssa.FieldAddr) taint {
	var t taint
	for _, r := range refs(fa.X) {
		other, ok := r.(*ssa.FieldAddr)
		if !ok || other.Field != fa.Field {
			continue
		}
		for _, rr := range refs(other) {
			if st, ok := rr.(*ssa.Store); ok && st.Addr == other {
				t = join(t, e.eval(st.Val, st.Block()))
			}
		}
	}
	return t
}

// contents is the taint of what a memory location (Alloc, Global,
// MakeSlice, MakeMap) holds: every value stored into it or its elements
// or fields, map keys and values, what a decoder or unknown call fills in
// through its address, and stores made inside closures that capture it.
func (e *evaluator) contents(loc ssa.Value, b *ssa.BasicBlock) taint {
	return e.memoized(kContents, loc, b, e.contents1)
}

func (e *evaluator) contents1(loc ssa.Value, b *ssa.BasicBlock) taint {
	var t taint
	seen := map[ssa.Value]bool{}
	var walk func(v ssa.Value)
	walk = func(v ssa.Value) {
		if seen[v] || v.Referrers() == nil {
			return
		}
		seen[v] = true
		for _, r := range refs(v) {
			switch r := r.(type) {
			case *ssa.Store:
				if r.Addr == v {
					t = join(t, e.eval(r.Val, r.Block()))
				}
			case *ssa.MapUpdate:
				if r.Map == v {
					t = join(t, join(e.eval(r.Key, r.Block()), e.eval(r.Value, r.Block())))
				}
			case *ssa.FieldAddr:
				walk(r)
			case *ssa.IndexAddr:
				walk(r)
			case *ssa.Slice:
				walk(r)
			case *ssa.MakeInterface:
				walk(r)
			case *ssa.ChangeType:
				walk(r)
			case *ssa.MakeClosure:
				for i, bind := range r.Bindings {
					if bind == v {
						fn := r.Fn.(*ssa.Function)
						if i < len(fn.FreeVars) {
							walk(fn.FreeVars[i])
						}
					}
				}
			case *ssa.Call:
				if c := e.filledBy(r, v); c.level > Safe {
					t = join(t, c)
				}
			}
		}
	}
	walk(loc)
	return t
}

// filledBy: a call that receives the address of a location may write to
// it. Request decoders make it request input; a string builder's writes
// are followed by builderContents; other calls of this module's functions
// with facts are trusted; anything else is unknown.
func (e *evaluator) filledBy(call *ssa.Call, addr ssa.Value) taint {
	c := call.Common()
	fn := c.StaticCallee()
	name := ""
	if c.IsInvoke() {
		name = c.Method.Name()
	} else if fn != nil {
		name = fn.Name()
	}
	if isDecoder(c, fn) {
		// json.Unmarshal(data, &x): as tainted as the data; Decode: as
		// the decoder's reader; framework binders: request input.
		if fn != nil && (fnPath(fn) == "encoding/json" || fnPath(fn) == "encoding/xml") {
			var t taint
			for _, a := range c.Args {
				if a != addr {
					t = join(t, e.eval(a, call.Block()))
				}
			}
			if t.level > Safe {
				t.src = e.a.callText(call)
			}
			return t
		}
		return high(e.a.callText(call))
	}
	if fn != nil {
		switch fnPath(fn) {
		case "strings", "bytes", "fmt", "sort", "slices", "strconv", "errors", "sync", "context", "time":
			return taint{}
		}
	}
	if fn != nil && fn.Pkg != nil && fn.Pkg.Pkg == e.a.pass.Pkg {
		return taint{} // our own code: its stores are followed where it is analysed
	}
	if name == "Scan" || name == "ScanRows" || name == "Find" || name == "First" || name == "Take" || name == "Pluck" || name == "Get" || name == "Select" {
		return medium("a value read from the database by " + name)
	}
	if _, ok := addr.Type().(*types.Pointer); !ok {
		return taint{}
	}
	return taint{}
}

func isDecoder(c *ssa.CallCommon, fn *ssa.Function) bool {
	if c.IsInvoke() {
		return namedIs(c.Value.Type(), "github.com/labstack/echo/v4", "Context") && strings.HasPrefix(c.Method.Name(), "Bind")
	}
	if fn == nil {
		return false
	}
	path := fnPath(fn)
	recv := ""
	if fn.Signature.Recv() != nil {
		recv = typeName(fn.Signature.Recv().Type())
	}
	switch {
	case path == "encoding/json" && (fn.Name() == "Unmarshal" || recv == "Decoder" && fn.Name() == "Decode"):
		return true
	case path == "encoding/xml" && (fn.Name() == "Unmarshal" || recv == "Decoder" && fn.Name() == "Decode"):
		return true
	case path == "github.com/gin-gonic/gin" && recv == "Context" && (strings.HasPrefix(fn.Name(), "Bind") || strings.HasPrefix(fn.Name(), "ShouldBind") || strings.HasPrefix(fn.Name(), "MustBind")):
		return true
	case path == "github.com/gofiber/fiber/v2" && recv == "Ctx" && strings.HasSuffix(fn.Name(), "Parser"):
		return true
	}
	return false
}

func typeName(t types.Type) string {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	switch t := types.Unalias(t).(type) {
	case *types.Named:
		return t.Obj().Name()
	}
	return ""
}

// lookup: m[k] is as tainted as the map's values; a lookup in a string
// yields a byte.
func (e *evaluator) lookup(l *ssa.Lookup, b *ssa.BasicBlock) taint {
	if isString(l.X.Type()) {
		return taint{}
	}
	return e.mapValues(l.X, b)
}

func (e *evaluator) mapValues(m ssa.Value, b *ssa.BasicBlock) taint {
	switch m := m.(type) {
	case *ssa.MakeMap:
		var t taint
		for _, r := range refs(m) {
			if u, ok := r.(*ssa.MapUpdate); ok && u.Map == m {
				t = join(t, e.eval(u.Value, u.Block()))
			}
		}
		return t
	case *ssa.UnOp:
		if g, ok := m.X.(*ssa.Global); ok && m.Op == token.MUL && g.Pkg != nil && g.Pkg.Pkg == e.a.pass.Pkg {
			// A package-level allowlist map: the values stored into it.
			var t taint
			for _, st := range e.a.storesToGlobal(g) {
				t = join(t, e.mapValues(st.Val, st.Block()))
			}
			return t
		}
	}
	return e.eval(m, b)
}

// elems is the taint of the elements of a slice, array or map.
func (e *evaluator) elems(s ssa.Value, b *ssa.BasicBlock) taint {
	return e.memoized(kElems, s, b, e.elems1)
}

func (e *evaluator) elems1(s ssa.Value, b *ssa.BasicBlock) taint {
	switch s := s.(type) {
	case *ssa.Const:
		return taint{}
	case *ssa.Slice:
		return e.elems(s.X, b)
	case *ssa.Alloc, *ssa.MakeSlice, *ssa.MakeMap, *ssa.Global:
		return e.contents(s, b)
	case *ssa.Phi:
		var t taint
		for i, edge := range s.Edges {
			t = join(t, e.elems(edge, s.Block().Preds[i]))
		}
		return t
	case *ssa.UnOp:
		if s.Op == token.MUL {
			return e.load(s.X, b)
		}
	case *ssa.Call:
		if bi, ok := s.Call.Value.(*ssa.Builtin); ok && bi.Name() == "append" {
			var t taint
			for _, a := range s.Call.Args {
				if isString(a.Type()) {
					t = join(t, e.eval(a, b))
				} else {
					t = join(t, e.elems(a, b))
				}
			}
			return t
		}
	}
	return e.eval(s, b)
}

// varargs returns the values packed into a variadic slice argument, when
// the slice is a literal built in the caller.
func varargs(s ssa.Value) ([]ssa.Value, bool) {
	if c, ok := s.(*ssa.Const); ok && c.IsNil() {
		return nil, true
	}
	sl, ok := s.(*ssa.Slice)
	if !ok {
		return nil, false
	}
	alloc, ok := sl.X.(*ssa.Alloc)
	if !ok {
		return nil, false
	}
	arr, ok := alloc.Type().(*types.Pointer).Elem().Underlying().(*types.Array)
	if !ok {
		return nil, false
	}
	out := make([]ssa.Value, arr.Len())
	for _, r := range refs(alloc) {
		ia, ok := r.(*ssa.IndexAddr)
		if !ok {
			continue
		}
		idx, ok := ia.Index.(*ssa.Const)
		if !ok {
			return nil, false
		}
		i, _ := constant.Int64Val(idx.Value)
		for _, rr := range refs(ia) {
			if st, ok := rr.(*ssa.Store); ok && st.Addr == ia && int(i) < len(out) {
				v := st.Val
				if mi, ok := v.(*ssa.MakeInterface); ok {
					v = mi.X
				}
				out[i] = v
			}
		}
	}
	for _, v := range out {
		if v == nil {
			return nil, false
		}
	}
	return out, true
}

// sprintf is the taint of fmt.Sprintf-like formatting: numeric verbs are
// safe, the others carry their argument's taint.
func (e *evaluator) sprintf(format ssa.Value, args ssa.Value, b *ssa.BasicBlock, step string) taint {
	t := e.eval(format, b)
	vals, ok := varargs(args)
	if !ok {
		return join(t, e.elems(args, b)).withVia(step)
	}
	fc, isConst := format.(*ssa.Const)
	verbs := []byte(nil)
	if isConst && fc.Value != nil && fc.Value.Kind() == constant.String {
		verbs = fmtVerbs(constant.StringVal(fc.Value))
	}
	for i, v := range vals {
		if verbs != nil && i < len(verbs) && strings.IndexByte("dboxXcUeEfFgGtp", verbs[i]) >= 0 {
			continue
		}
		t = join(t, e.eval(v, b))
	}
	return t.withVia(step)
}

// fmtVerbs lists the verbs of a format string in argument order (a
// simplification: explicit argument indexes and * widths disable it).
func fmtVerbs(f string) []byte {
	var out []byte
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		i++
		for i < len(f) && strings.IndexByte("+-# 0123456789.", f[i]) >= 0 {
			i++
		}
		if i >= len(f) {
			break
		}
		if f[i] == '%' {
			continue
		}
		if f[i] == '[' || f[i] == '*' {
			return nil
		}
		out = append(out, f[i])
	}
	return out
}

// builderContents is the taint of a strings.Builder or bytes.Buffer: what
// was written into it.
func (e *evaluator) builderContents(recv ssa.Value, b *ssa.BasicBlock) taint {
	return e.memoized(kBuilder, recv, b, e.builderContents1)
}

func (e *evaluator) builderContents1(recv ssa.Value, b *ssa.BasicBlock) taint {
	root := recv
	for {
		if u, ok := root.(*ssa.UnOp); ok && u.Op == token.MUL {
			root = u.X
			continue
		}
		break
	}
	if fv, ok := root.(*ssa.FreeVar); ok {
		return e.freeVar(fv, func(bind ssa.Value, at *ssa.BasicBlock) taint { return e.builderContents(bind, at) })
	}
	if _, ok := root.(*ssa.Parameter); ok {
		return e.eval(root, b)
	}
	var t taint
	seen := map[ssa.Value]bool{}
	var walk func(v ssa.Value)
	walk = func(v ssa.Value) {
		if seen[v] || v.Referrers() == nil {
			return
		}
		seen[v] = true
		for _, r := range refs(v) {
			switch r := r.(type) {
			case *ssa.Call:
				c := r.Common()
				fn := c.StaticCallee()
				if fn == nil {
					continue
				}
				switch fn.Name() {
				case "WriteString", "WriteByte", "WriteRune", "Write":
					if len(c.Args) == 2 && c.Args[0] == v {
						t = join(t, e.eval(c.Args[1], r.Block()))
					}
				case "Fprintf":
					if len(c.Args) == 3 && stripIface(c.Args[0]) == v {
						t = join(t, e.sprintf(c.Args[1], c.Args[2], r.Block(), "fmt.Fprintf"))
					}
				case "Fprint", "Fprintln":
					if len(c.Args) == 2 && stripIface(c.Args[0]) == v {
						t = join(t, e.elems(c.Args[1], r.Block()))
					}
				}
			case *ssa.MakeInterface:
				walk(r)
			case *ssa.MakeClosure:
				for i, bind := range r.Bindings {
					if bind == v {
						fn := r.Fn.(*ssa.Function)
						walk(fn.FreeVars[i])
					}
				}
			}
		}
	}
	walk(root)
	return t.withVia(typeName(root.Type()))
}

func stripIface(v ssa.Value) ssa.Value {
	if mi, ok := v.(*ssa.MakeInterface); ok {
		return mi.X
	}
	return v
}

// call is the taint of the result (index idx of a tuple) of a call.
func (e *evaluator) call(call *ssa.Call, b *ssa.BasicBlock, idx int) taint {
	c := call.Common()
	if bi, ok := c.Value.(*ssa.Builtin); ok {
		if bi.Name() == "append" {
			return e.elems(call, b)
		}
		return taint{}
	}
	if c.IsInvoke() {
		if src, ok := sourceMethod(c.Value.Type(), c.Method.Name()); ok && src {
			return high(e.a.callText(call))
		}
		if isDecoder(c, nil) {
			return taint{}
		}
		if c.Method.Name() == "String" || c.Method.Name() == "Error" {
			return e.eval(c.Value, b)
		}
		return medium("the result of " + e.a.callText(call))
	}
	fn := c.StaticCallee()
	if fn == nil {
		return medium("the result of " + e.a.callText(call))
	}
	path := fnPath(fn)
	recv := ""
	if fn.Signature.Recv() != nil {
		recv = typeName(fn.Signature.Recv().Type())
	}
	if src, ok := sourceFunc(path, recv, fn.Name()); ok {
		if src {
			return high(e.a.callText(call))
		}
		return taint{}
	}
	switch path {
	case "fmt":
		switch fn.Name() {
		case "Sprintf", "Errorf":
			if len(c.Args) == 2 {
				return e.sprintf(c.Args[0], c.Args[1], b, "fmt."+fn.Name())
			}
		case "Sprint", "Sprintln":
			if len(c.Args) == 1 {
				vals, ok := varargs(c.Args[0])
				if !ok {
					return e.elems(c.Args[0], b).withVia("fmt." + fn.Name())
				}
				var t taint
				for _, v := range vals {
					t = join(t, e.eval(v, b))
				}
				return t.withVia("fmt." + fn.Name())
			}
		}
	case "strings":
		if fn.Name() == "Join" && len(c.Args) == 2 {
			return join(e.elems(c.Args[0], b), e.eval(c.Args[1], b)).withVia("strings.Join")
		}
		if (recv == "Builder" || recv == "Reader") && fn.Name() == "String" {
			return e.builderContents(c.Args[0], b)
		}
	case "bytes":
		if recv == "Buffer" && (fn.Name() == "String" || fn.Name() == "Bytes") {
			return e.builderContents(c.Args[0], b)
		}
	case "strconv":
		switch fn.Name() {
		case "Itoa", "FormatInt", "FormatUint", "FormatFloat", "FormatBool", "AppendInt":
			return taint{}
		}
	case "github.com/lib/pq":
		if fn.Name() == "QuoteIdentifier" || fn.Name() == "QuoteLiteral" {
			return taint{} // a sanitizer
		}
	case "github.com/jackc/pgx/v5":
		if recv == "Identifier" && fn.Name() == "Sanitize" {
			return taint{}
		}
	}
	// Functions of this package: their summary.
	if fn.Pkg != nil && fn.Pkg.Pkg == e.a.pass.Pkg && len(fn.Blocks) > 0 {
		return e.a.substitute(e.a.returnsOf(fn), c.Args, b, e, fn)
	}
	// Functions with an exported fact.
	if obj, ok := fn.Object().(*types.Func); ok {
		var rf ReturnFact
		if e.a.pass.ImportObjectFact(obj, &rf) {
			return e.a.substituteFact(&rf, c.Args, b, e, call)
		}
	}
	// Input that is not the request's: environment, files, stdin.
	if inputFuncs[path+"."+recv+"."+fn.Name()] {
		return medium("the result of " + e.a.callText(call))
	}
	// The standard library transforms its arguments.
	if e.a.isStdlibFunc(fn, path) {
		var t taint
		for _, a := range c.Args {
			t = join(t, e.eval(a, b))
		}
		if t.level == High {
			for _, arg := range c.Args {
				if requestType(arg.Type()) {
					t.src = e.a.callText(call)
					break
				}
			}
		}
		return t
	}
	return medium("the result of " + e.a.callText(call))
}

// isStdlibFunc: is fn from the standard library? Decided by where its
// source is (under GOROOT), else by the import path's first element.
func (a *analyzer) isStdlibFunc(fn *ssa.Function, path string) bool {
	if obj := fn.Object(); obj != nil && obj.Pos().IsValid() {
		if f := a.pass.Fset.File(obj.Pos()); f != nil && filepath.IsAbs(f.Name()) || strings.HasPrefix(f.Name(), "$GOROOT") {
			return inGOROOT(a.pass.Fset, obj.Pos())
		}
	}
	return isStdlib(path)
}

var goroot = func() string {
	r := build.Default.GOROOT
	if r == "" {
		return ""
	}
	return filepath.Join(r, "src") + string(filepath.Separator)
}()

func inGOROOT(fset *token.FileSet, pos token.Pos) bool {
	f := fset.File(pos)
	if f == nil {
		return false
	}
	name := f.Name()
	// Export data written by the go command names standard library
	// files $GOROOT/src/...
	return strings.HasPrefix(name, "$GOROOT") || (goroot != "" && strings.HasPrefix(name, goroot))
}

func isStdlib(path string) bool {
	if path == "" {
		return false
	}
	first := path
	if i := strings.IndexByte(path, '/'); i >= 0 {
		first = path[:i]
	}
	return !strings.Contains(first, ".")
}

// sourceMethod: interface methods that return request input.
func sourceMethod(recv types.Type, name string) (bool, bool) {
	if namedIs(recv, "github.com/labstack/echo/v4", "Context") {
		switch name {
		case "Param", "QueryParam", "QueryParams", "QueryString", "FormValue", "FormParams", "ParamValues", "Cookie", "Cookies":
			return true, true
		}
	}
	return false, false
}

// sourceFunc: functions and methods that return request input (true), or
// known-safe results (false, true).
func sourceFunc(path, recv, name string) (bool, bool) {
	switch path {
	case "github.com/gin-gonic/gin":
		if recv == "Context" {
			switch name {
			case "Query", "DefaultQuery", "GetQuery", "QueryArray", "GetQueryArray", "QueryMap", "GetQueryMap",
				"Param", "PostForm", "DefaultPostForm", "GetPostForm", "PostFormArray", "GetPostFormArray",
				"PostFormMap", "GetPostFormMap", "GetHeader", "Cookie", "GetRawData", "FullPath":
				return true, true
			}
		}
	case "github.com/gofiber/fiber/v2":
		if recv == "Ctx" {
			switch name {
			case "Query", "Params", "FormValue", "Get", "Body", "BodyRaw", "Cookies", "OriginalURL", "Queries", "AllParams", "GetReqHeaders":
				return true, true
			}
		}
	case "github.com/gorilla/mux":
		if name == "Vars" {
			return true, true
		}
	case "net/http":
		if recv == "Request" {
			switch name {
			case "FormValue", "PostFormValue", "PathValue", "Referer", "UserAgent", "Cookie", "Cookies", "FormFile":
				return true, true
			case "Context":
				return false, true
			}
		}
	}
	return false, false
}

// substitute turns a callee's return summary into the caller's taint.
func (a *analyzer) substitute(s *summary, args []ssa.Value, b *ssa.BasicBlock, e *evaluator, fn *ssa.Function) taint {
	t := taint{level: s.ret.level, src: s.ret.src, via: s.ret.via}
	for p, d := range s.ret.params {
		i := paramIndex(p)
		if p.Parent() != fn || i < 0 || i >= len(args) {
			continue
		}
		at := e.eval(args[i], b)
		at.via = append(append([]string(nil), at.via...), d.via...)
		at = at.withVia(fn.Name())
		t = join(t, at)
	}
	return t
}

func (a *analyzer) substituteFact(rf *ReturnFact, args []ssa.Value, b *ssa.BasicBlock, e *evaluator, call *ssa.Call) taint {
	t := taint{level: Level(rf.Level), src: rf.Source}
	if t.level > Safe && t.src == "" {
		t.src = "the result of " + a.callText(call)
	}
	for _, i := range rf.Params {
		if i < len(args) {
			t = join(t, e.eval(args[i], b).withVia(call.Common().StaticCallee().Name()))
		}
	}
	return t
}

func paramIndex(p *ssa.Parameter) int {
	for i, q := range p.Parent().Params {
		if q == p {
			return i
		}
	}
	return -1
}

func sortedParams(ps map[*ssa.Parameter]paramDep) []*ssa.Parameter {
	out := make([]*ssa.Parameter, 0, len(ps))
	for p := range ps {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Parent() != out[j].Parent() {
			return out[i].Parent().String() < out[j].Parent().String()
		}
		return paramIndex(out[i]) < paramIndex(out[j])
	})
	return out
}

// refs is v's referrers, or none (globals and functions have no list).
func refs(v ssa.Value) []ssa.Instruction {
	if r := v.Referrers(); r != nil {
		return *r
	}
	return nil
}

// inputFuncs read input that is not request input (medium).
var inputFuncs = map[string]bool{
	"os..Getenv": true, "os..LookupEnv": true, "os..ReadFile": true, "io..ReadAll": true,
	"bufio.Reader.ReadString": true, "bufio.Scanner.Text": true, "bufio.Reader.ReadLine": true,
	"flag..Arg": true, "flag..Args": true,
}

func indexOf(instr ssa.Instruction) int {
	for i, x := range instr.Block().Instrs {
		if x == instr {
			return i
		}
	}
	return len(instr.Block().Instrs)
}

// valueAt is the taint of *addr just before instruction end of blk: the
// values of the stores (or earlier loads) that reach that point, each
// dropped when the path from it crossed a guard of it. A call that gets
// the address may write anything: then the flow-insensitive contents are
// used. At the entry of a closure, a captured variable has the value it
// had where the closure was made.
func (e *evaluator) valueAt(addr ssa.Value, blk *ssa.BasicBlock, end int, self ssa.Instruction) taint {
	var t taint
	visited := map[*ssa.BasicBlock]bool{}
	steps := 0
	var scan func(blk *ssa.BasicBlock, end int, succ *ssa.BasicBlock)
	found := func(v ssa.Value, at, succ *ssa.BasicBlock) {
		if succ != nil && (e.a.guardEdge(at, succ, v) || e.a.guarded(v, succ)) {
			return
		}
		t = join(t, e.eval(v, at))
	}
	scan = func(blk *ssa.BasicBlock, end int, succ *ssa.BasicBlock) {
		steps++
		if steps > 200 {
			t = join(t, e.load(addr, nil))
			return
		}
		for i := end - 1; i >= 0; i-- {
			switch x := blk.Instrs[i].(type) {
			case *ssa.Store:
				if x.Addr == addr {
					found(x.Val, blk, succ)
					return
				}
			case *ssa.UnOp:
				if x.Op == token.MUL && x.X == addr && x != self {
					found(x, blk, succ)
					return
				}
			case *ssa.Alloc:
				if x == addr {
					return // the zero value
				}
			case ssa.CallInstruction:
				for _, arg := range x.Common().Args {
					if stripIface(arg) == addr {
						t = join(t, e.load(addr, nil))
						return
					}
				}
			}
		}
		if visited[blk] {
			return
		}
		visited[blk] = true
		if len(blk.Preds) == 0 {
			if fv, ok := addr.(*ssa.FreeVar); ok {
				t = join(t, e.freeVar(fv, func(bind ssa.Value, at *ssa.BasicBlock) taint {
					for _, instr := range at.Instrs {
						if mc, ok := instr.(*ssa.MakeClosure); ok && mc.Fn == fv.Parent() {
							return e.valueAt(bind, at, indexOf(mc), nil)
						}
					}
					return e.load(bind, at)
				}))
				return
			}
			t = join(t, e.load(addr, nil))
			return
		}
		for _, p := range blk.Preds {
			scan(p, len(p.Instrs), blk)
		}
	}
	scan(blk, end, nil)
	return t
}
