package sqlinject

import (
	"go/constant"
	"go/token"
	"regexp"
	"strings"

	"golang.org/x/tools/go/ssa"
)

// Guards. A value is guarded at a block when every path from its
// definition to the block crosses an edge that holds only for allowlisted
// values: an equality with a constant (if/switch), a map lookup's ok, a
// lookup of a map[string]bool, an anchored regexp match, slices.Contains, a
// successful strconv parse, a GORM schema field lookup, or a call of a
// function of this package that returns true only under such a guard of
// its parameter.

// guardEdge reports whether taking the edge from to holds only when v
// passed a guard.
func (a *analyzer) guardEdge(from, to *ssa.BasicBlock, v ssa.Value) bool {
	if len(from.Instrs) == 0 {
		return false
	}
	ifi, ok := from.Instrs[len(from.Instrs)-1].(*ssa.If)
	if !ok || len(from.Succs) != 2 || from.Succs[0] == from.Succs[1] {
		return false
	}
	onTrue, onFalse := a.guardCond(ifi.Cond, v, 0)
	return (onTrue && from.Succs[0] == to) || (onFalse && from.Succs[1] == to)
}

// guardCond reports whether cond being true (resp. false) implies v is
// allowlisted.
func (a *analyzer) guardCond(cond, v ssa.Value, depth int) (onTrue, onFalse bool) {
	if depth > 4 {
		return false, false
	}
	switch c := cond.(type) {
	case *ssa.UnOp:
		if c.Op == token.NOT {
			t, f := a.guardCond(c.X, v, depth+1)
			return f, t
		}
	case *ssa.BinOp:
		switch c.Op {
		case token.EQL, token.NEQ:
			eq := c.Op == token.EQL
			if (sameValue(c.X, v) && isConst(c.Y)) || (sameValue(c.Y, v) && isConst(c.X)) {
				return eq, !eq
			}
			// err == nil after a strconv parse of v; f != nil after
			// LookUpField(v).
			other, nilSide := c.X, c.Y
			if isNil(c.X) {
				other, nilSide = c.Y, c.X
			}
			if isNil(nilSide) {
				if ex, ok := other.(*ssa.Extract); ok && ex.Index == 1 {
					if call, ok := ex.Tuple.(*ssa.Call); ok && isParse(call, v) {
						return eq, !eq // err == nil
					}
				}
				if call, ok := other.(*ssa.Call); ok && isFieldLookup(call, v) {
					return !eq, eq // f != nil
				}
			}
		}
	case *ssa.Extract:
		if l, ok := c.Tuple.(*ssa.Lookup); ok && c.Index == 1 && l.CommaOk && sameValue(l.Index, v) {
			return true, false
		}
	case *ssa.Lookup:
		if !c.CommaOk && sameValue(c.Index, v) {
			return true, false // allowed[v] with map[string]bool
		}
	case *ssa.Call:
		if a.isValidatorCall(c, v, depth) {
			return true, false
		}
	case *ssa.Phi:
		// a && b / a || b: SSA makes a phi of constants and conditions;
		// true holds if every edge that can be true implies the guard.
		allTrue := true
		for _, e := range c.Edges {
			if k, ok := e.(*ssa.Const); ok {
				if k.Value != nil && k.Value.Kind() == constant.Bool && constant.BoolVal(k.Value) {
					allTrue = false
				}
				continue
			}
			if t, _ := a.guardCond(e, v, depth+1); !t {
				allTrue = false
			}
		}
		return allTrue, false
	}
	return false, false
}

func sameValue(x, v ssa.Value) bool {
	for {
		if x == v {
			return true
		}
		switch y := x.(type) {
		case *ssa.ChangeType:
			x = y.X
		case *ssa.Convert:
			x = y.X
		case *ssa.MakeInterface:
			x = y.X
		default:
			return false
		}
	}
}

func isConst(v ssa.Value) bool {
	c, ok := v.(*ssa.Const)
	return ok && !c.IsNil()
}

func isNil(v ssa.Value) bool {
	c, ok := v.(*ssa.Const)
	return ok && c.IsNil()
}

func isParse(call *ssa.Call, v ssa.Value) bool {
	fn := call.Common().StaticCallee()
	if fn == nil || fnPath(fn) != "strconv" || !strings.HasPrefix(fnName(fn), "Parse") && fnName(fn) != "Atoi" {
		return false
	}
	return len(call.Common().Args) > 0 && sameValue(call.Common().Args[0], v)
}

func isFieldLookup(call *ssa.Call, v ssa.Value) bool {
	fn := call.Common().StaticCallee()
	if fn == nil || fnPath(fn) != "gorm.io/gorm/schema" || !strings.HasPrefix(fnName(fn), "LookUpField") {
		return false
	}
	args := call.Common().Args
	return len(args) > 1 && sameValue(args[len(args)-1], v)
}

var anchored = regexp.MustCompile(`^\^.*\$$`)

// isValidatorCall: regexp matches with an anchored constant pattern,
// slices.Contains, and this package's functions that validate a parameter.
func (a *analyzer) isValidatorCall(call *ssa.Call, v ssa.Value, depth int) bool {
	c := call.Common()
	fn := c.StaticCallee()
	if fn == nil {
		return false
	}
	path := fnPath(fn)
	switch {
	case path == "regexp" && fnName(fn) == "MatchString" && len(c.Args) == 2:
		if sameValue(c.Args[1], v) {
			if fn.Signature.Recv() != nil {
				return a.anchoredRegexp(c.Args[0])
			}
			if k, ok := c.Args[0].(*ssa.Const); ok && k.Value.Kind() == constant.String {
				return anchored.MatchString(constant.StringVal(k.Value))
			}
		}
	case path == "slices" && fnName(fn) == "Contains" && len(c.Args) == 2:
		return sameValue(c.Args[1], v)
	case fn.Pkg != nil && fn.Pkg.Pkg == a.pass.Pkg && len(fn.Blocks) > 0:
		for i, arg := range c.Args {
			if sameValue(arg, v) && a.validates(fn, i, depth) {
				return true
			}
		}
	}
	return false
}

// anchoredRegexp: the receiver is regexp.MustCompile/Compile of an anchored
// constant, possibly through a package variable.
func (a *analyzer) anchoredRegexp(re ssa.Value) bool {
	if u, ok := re.(*ssa.UnOp); ok && u.Op == token.MUL {
		if g, ok := u.X.(*ssa.Global); ok {
			stores := a.storesToGlobal(g)
			if len(stores) != 1 {
				return false
			}
			return a.anchoredRegexp(stores[0].Val)
		}
	}
	if ex, ok := re.(*ssa.Extract); ok {
		re = ex.Tuple
	}
	call, ok := re.(*ssa.Call)
	if !ok {
		return false
	}
	fn := call.Common().StaticCallee()
	if fn == nil || fnPath(fn) != "regexp" || len(call.Common().Args) != 1 {
		return false
	}
	k, ok := call.Common().Args[0].(*ssa.Const)
	return ok && k.Value.Kind() == constant.String && anchored.MatchString(constant.StringVal(k.Value))
}

// validates reports whether fn returns true only when its parameter i
// passed a guard.
func (a *analyzer) validates(fn *ssa.Function, i, depth int) bool {
	k := validKey{fn, i}
	if r, ok := a.validators[k]; ok {
		return r
	}
	a.validators[k] = false // recursion
	if i >= len(fn.Params) || fn.Signature.Results().Len() != 1 {
		return false
	}
	p := fn.Params[i]
	ok := false
	for _, b := range fn.Blocks {
		if len(b.Instrs) == 0 {
			continue
		}
		ret, isRet := b.Instrs[len(b.Instrs)-1].(*ssa.Return)
		if !isRet || len(ret.Results) != 1 {
			continue
		}
		r := ret.Results[0]
		if c, isK := r.(*ssa.Const); isK {
			if c.Value != nil && c.Value.Kind() == constant.Bool && constant.BoolVal(c.Value) {
				if !a.guardedIn(p, b) {
					return false
				}
				ok = true
			}
			continue
		}
		if t, _ := a.guardCond(r, p, depth+1); !t {
			return false
		}
		ok = true
	}
	a.validators[k] = ok
	return ok
}

type validKey struct {
	fn *ssa.Function
	i  int
}

// guarded reports whether v is guarded wherever block b is reached.
func (a *analyzer) guarded(v ssa.Value, b *ssa.BasicBlock) bool {
	if b == nil {
		return false
	}
	return a.guardedIn(v, b)
}

func (a *analyzer) guardedIn(v ssa.Value, b *ssa.BasicBlock) bool {
	fn := b.Parent()
	gk := guardKey{v, fn}
	set, ok := a.guardSets[gk]
	if !ok {
		set = a.computeGuarded(v, fn)
		a.guardSets[gk] = set
	}
	return set[b.Index]
}

type guardKey struct {
	v  ssa.Value
	fn *ssa.Function
}

// computeGuarded solves, as a greatest fixpoint, which blocks of fn are
// reached only through guard edges of v after v is defined.
func (a *analyzer) computeGuarded(v ssa.Value, fn *ssa.Function) []bool {
	n := len(fn.Blocks)
	g := make([]bool, n)
	// Only values used in conditions can be guarded: skip the work
	// otherwise.
	if v.Referrers() == nil || len(*v.Referrers()) < 2 {
		return g
	}
	var def *ssa.BasicBlock
	if instr, ok := v.(ssa.Instruction); ok {
		def = instr.Block()
	}
	for i := range g {
		g[i] = true
	}
	if n > 0 {
		g[0] = false
	}
	if def != nil && def.Parent() == fn {
		g[def.Index] = false
	}
	anyEdge := false
	edge := map[[2]int]bool{}
	for _, b := range fn.Blocks {
		for _, s := range b.Succs {
			if a.guardEdge(b, s, v) {
				edge[[2]int{b.Index, s.Index}] = true
				anyEdge = true
			}
		}
	}
	if !anyEdge {
		return make([]bool, n)
	}
	for changed := true; changed; {
		changed = false
		for _, b := range fn.Blocks {
			if !g[b.Index] {
				continue
			}
			if len(b.Preds) == 0 {
				g[b.Index] = false
				changed = true
				continue
			}
			for _, p := range b.Preds {
				if !edge[[2]int{p.Index, b.Index}] && !g[p.Index] {
					g[b.Index] = false
					changed = true
					break
				}
			}
		}
	}
	return g
}

// edgeGuards: the phi edge from pred to blk carries v only when guarded.
func (a *analyzer) edgeGuards(pred, blk *ssa.BasicBlock, v ssa.Value) bool {
	return a.guardEdge(pred, blk, v) || a.guarded(v, pred)
}

// fnPath is the import path of a function's package (also for functions
// of imported packages and generic instances, whose Pkg may be nil).
func fnPath(fn *ssa.Function) string {
	if obj := fn.Object(); obj != nil && obj.Pkg() != nil {
		return obj.Pkg().Path()
	}
	if fn.Pkg != nil {
		return fn.Pkg.Pkg.Path()
	}
	if o := fn.Origin(); o != nil && o != fn {
		return fnPath(o)
	}
	return ""
}

// fnName is a function's name without type arguments.
func fnName(fn *ssa.Function) string {
	if obj := fn.Object(); obj != nil {
		return obj.Name()
	}
	return fn.Name()
}
