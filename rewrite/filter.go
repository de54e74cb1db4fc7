package rewrite

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/types"
	"reflect"
	"sort"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/ormshift/ormshift/analyzers/legacyapi"
	"github.com/ormshift/ormshift/internal/sqltext"
)

// A condition of a legacy chain: the query and args of one Where, Or or Not
// call, or the inline conditions of a finisher (First(&p, "name = ?", n)).
type Cond struct {
	Kind  CondKind
	Query ast.Expr
	Args  []ast.Expr
}

// CondKind is how a condition joins the statement's WHERE clause.
type CondKind int

const (
	CondWhere CondKind = iota + 1 // Where and inline conditions
	CondOr
	CondNot
)

// Filter is a typed filter of the runtime: an operator on a column with Go
// argument expressions, or a connective over sub-filters.
type Filter struct {
	Op   string // Eq Ne Gt Gte Lt Lte Like ILike In Between IsNull And Or Not
	Col  string
	Args []string // Go source of the arguments
	Subs []*Filter
	// Slice is set on In when its one argument is a Go slice (which may be
	// empty at run time).
	Slice bool
}

// Go renders the filter as Go source using the runtime package name pkg
// ("uow").
func (f *Filter) Go(pkg string) string {
	var b strings.Builder
	f.render(&b, pkg)
	return b.String()
}

func (f *Filter) render(b *strings.Builder, pkg string) {
	b.WriteString(pkg + "." + f.Op + "(")
	switch f.Op {
	case "Related":
		b.WriteString(strconv.Quote(f.Col))
		for _, s := range f.Subs {
			b.WriteString(", ")
			s.render(b, pkg)
		}
	case "And", "Or", "Not":
		for i, s := range f.Subs {
			if i > 0 {
				b.WriteString(", ")
			}
			s.render(b, pkg)
		}
	default:
		b.WriteString(strconv.Quote(f.Col))
		for _, a := range f.Args {
			b.WriteString(", ")
			b.WriteString(a)
		}
	}
	b.WriteString(")")
}

// Skip is a reason a site is left as it is.
type Skip struct{ Reason string }

func (s *Skip) Error() string { return s.Reason }

func skipf(format string, args ...any) *Skip { return &Skip{Reason: fmt.Sprintf(format, args...)} }

// condEnv gives the translator what it needs to see Go values.
type condEnv struct {
	info  *types.Info
	src   func(ast.Node) string // source text of a node
	model *Model
	lib   *legacyapi.Library
	// joined are the relations joined by Joins("Rel") (name -> target):
	// conditions may name their columns as "Rel".col.
	joined map[string]*Model
}

// gorm clause simulation ----------------------------------------------------

type gvar struct {
	src   string
	typ   types.Type
	val   constant.Value // when constant
	isNil bool           // the untyped nil literal
}

type gclause interface{ isClause() }

type (
	gExpr struct {
		sql  string
		vars []gvar
	}
	gEq struct {
		col string // rendered, quoted
		v   gvar
	}
	gIn struct {
		col string
		v   gvar // a slice
	}
	gAnd struct{ exprs []gclause }
	gOr  struct{ exprs []gclause }
	gNot struct{ exprs []gclause }
	// gDrop is a condition GORM leaves out of the query at run time (a
	// zero-valued field of a struct condition, an empty slice of keys).
	// ANDed with the other conditions it is a compat filter of the
	// runtime that matches every row in that case; anywhere else
	// (Or, Not, a set-based statement) the site is skipped with reason.
	gDrop struct {
		f      *Filter
		reason string
	}
)

func (gExpr) isClause() {}
func (gEq) isClause()   {}
func (gIn) isClause()   {}
func (gAnd) isClause()  {}
func (gOr) isClause()   {}
func (gNot) isClause()  {}
func (gDrop) isClause() {}

func quoteCol(table, col string) string {
	if table == "" {
		return `"` + col + `"`
	}
	return `"` + table + `"."` + col + `"`
}

func (env *condEnv) gvarOf(e ast.Expr) gvar {
	v := gvar{src: env.src(e)}
	if id, ok := ast.Unparen(e).(*ast.Ident); ok && id.Name == "nil" {
		if _, isNil := env.info.Uses[id].(*types.Nil); isNil {
			v.isNil = true
			return v
		}
	}
	if tv, ok := env.info.Types[e]; ok {
		v.typ = tv.Type
		v.val = tv.Value
	}
	return v
}

// buildCondition mirrors GORM v2's (*Statement).BuildCondition for the
// shapes whose result is known statically.
func (env *condEnv) buildCondition(c Cond) ([]gclause, error) {
	q := ast.Unparen(c.Query)
	tv := env.info.Types[q]
	if tv.Value != nil && tv.Value.Kind() == constant.String {
		s := constant.StringVal(tv.Value)
		if env.lib != nil && env.lib.IntegerPK != nil && env.lib.IntegerPK(s) {
			return nil, skipf("condition %q is a primary key written as a string", s)
		}
		if s == "" && len(c.Args) == 0 {
			return nil, nil
		}
		var vars []gvar
		for _, a := range c.Args {
			vars = append(vars, env.gvarOf(a))
		}
		if len(c.Args) == 0 || strings.Contains(s, "?") {
			return []gclause{gExpr{sql: s, vars: vars}}, nil
		}
		if strings.Contains(s, "@") {
			return nil, skipf("named parameters (@name) are not converted")
		}
		if strings.Contains(strings.TrimSpace(s), " ") {
			return []gclause{gExpr{sql: s, vars: vars}}, nil
		}
		if len(c.Args) == 1 {
			return []gclause{gEq{col: quoteColumnName(s), v: vars[0]}}, nil
		}
		return nil, skipf("condition %q with %d arguments", s, len(c.Args))
	}
	if tv.Type != nil {
		if b, ok := tv.Type.Underlying().(*types.Basic); ok && b.Info()&types.IsString != 0 {
			return nil, skipf("the condition is not a constant string")
		}
	}
	if len(c.Args) > 0 {
		return nil, skipf("condition with extra arguments (%d)", len(c.Args))
	}
	table := ""
	if env.model != nil {
		table = env.model.Table
	}
	switch lit := q.(type) {
	case *ast.CompositeLit:
		if mt, ok := types.Unalias(env.info.TypeOf(lit)).Underlying().(*types.Map); ok {
			return env.mapCondition(lit, mt, table)
		}
		return env.structCondition(lit, table)
	case *ast.UnaryExpr:
		if cl, ok := ast.Unparen(lit.X).(*ast.CompositeLit); ok && lit.Op.String() == "&" {
			return env.structCondition(cl, table)
		}
	}
	// A variable of the model type (Where(&example)): every column field
	// that is not zero at run time.
	if cs, ok, err := env.exampleCondition(q); ok {
		return cs, err
	}
	// Primary keys: a number, or a slice of numbers or strings.
	t := env.info.TypeOf(q)
	if t == nil {
		return nil, skipf("condition of unknown type")
	}
	pk := env.pkColumn()
	if pk == "" {
		return nil, skipf("model %s has no single primary key", env.modelName())
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		if u.Info()&types.IsInteger != 0 {
			return []gclause{gEq{col: quoteCol(table, pk), v: env.gvarOf(q)}}, nil
		}
	case *types.Slice:
		// statement.go BuildCondition: an empty slice of keys yields no
		// condition at all (every row), a non-empty one IN; which one is
		// only known at run time.
		reason := fmt.Sprintf("a slice of primary keys (%s): GORM drops the condition when it is empty and returns every row", env.src(q))
		if e, ok := u.Elem().Underlying().(*types.Basic); ok && e.Info()&(types.IsInteger|types.IsString) != 0 && !isByteSlice(u) && !isValuer(t) && !isValuer(u.Elem()) {
			return []gclause{gDrop{f: &Filter{Op: "InUnlessEmpty", Col: pk, Args: []string{env.src(q)}}, reason: reason}}, nil
		}
		return nil, skipf("%s", reason)
	}
	return nil, skipf("condition of type %s is not converted", types.TypeString(t, nil))
}

func quoteColumnName(s string) string {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return quoteCol(s[:i], s[i+1:])
	}
	return quoteCol("", s)
}

func (env *condEnv) modelName() string {
	if env.model == nil {
		return "(unknown)"
	}
	return env.model.Name
}

func (env *condEnv) pkColumn() string {
	if env.model == nil || len(env.model.PK) != 1 {
		return ""
	}
	return env.model.PK[0]
}

func (env *condEnv) mapCondition(lit *ast.CompositeLit, mt *types.Map, table string) ([]gclause, error) {
	if k, ok := mt.Key().Underlying().(*types.Basic); !ok || k.Kind() != types.String {
		return nil, skipf("map condition with non-string keys")
	}
	if i, ok := mt.Elem().Underlying().(*types.Interface); !ok || !i.Empty() {
		return nil, skipf("map condition of type %s (only map[string]interface{} is converted)", types.TypeString(mt, nil))
	}
	type kv struct {
		key string
		val ast.Expr
	}
	var kvs []kv
	for _, e := range lit.Elts {
		p, ok := e.(*ast.KeyValueExpr)
		if !ok {
			return nil, skipf("map condition element is not key: value")
		}
		ktv := env.info.Types[p.Key]
		if ktv.Value == nil || ktv.Value.Kind() != constant.String {
			return nil, skipf("map condition key is not a constant string")
		}
		kvs = append(kvs, kv{constant.StringVal(ktv.Value), p.Value})
	}
	sort.Slice(kvs, func(i, j int) bool { return kvs[i].key < kvs[j].key })
	var out []gclause
	for _, x := range kvs {
		col := quoteCol(table, x.key)
		if strings.Contains(x.key, ".") {
			col = quoteColumnName(x.key)
		}
		v := env.gvarOf(x.val)
		if !v.isNil && v.typ != nil {
			switch u := v.typ.Underlying().(type) {
			case *types.Slice, *types.Array:
				if isValuer(v.typ) {
					return nil, skipf("map value %s implements driver.Valuer", v.src)
				}
				if _, isArr := u.(*types.Array); isArr {
					return nil, skipf("map value %s is an array", v.src)
				}
				out = append(out, gIn{col: col, v: v})
				continue
			case *types.Pointer, *types.Interface:
				return nil, skipf("map value %s may be nil at run time (GORM then writes IS NULL)", v.src)
			}
		}
		out = append(out, gEq{col: col, v: v})
	}
	return out, nil
}

func (env *condEnv) structCondition(lit *ast.CompositeLit, table string) ([]gclause, error) {
	t := env.info.TypeOf(lit)
	m := ModelOf(t)
	if m == nil || env.model == nil || !types.Identical(m.Type, env.model.Type) {
		return nil, skipf("struct condition of type %s, not the model", types.TypeString(t, nil))
	}
	// GORM keeps the non-zero fields only, in schema order; a field whose
	// value is not a constant may be zero at run time and vanish from the
	// query, which no static filter can reproduce.
	type fv struct {
		idx  int
		col  string
		v    gvar
		drop *gDrop
	}
	st := m.Type.Underlying().(*types.Struct)
	var fvs []fv
	for _, e := range lit.Elts {
		p, ok := e.(*ast.KeyValueExpr)
		if !ok {
			return nil, skipf("struct condition without field names")
		}
		name := p.Key.(*ast.Ident).Name
		col, ok := m.Fields[name]
		if !ok {
			return nil, skipf("struct condition field %s is not a column", name)
		}
		v := env.gvarOf(p.Value)
		if v.isNil {
			continue // a nil pointer is a zero value
		}
		idx := 0
		for i := 0; i < st.NumFields(); i++ {
			if st.Field(i).Name() == name {
				idx = i
			}
		}
		if v.val == nil {
			reason := fmt.Sprintf("struct condition field %s = %s is not a constant: GORM drops zero-valued fields at run time", name, v.src)
			if !zeroTestable(st.Field(idx).Type()) || v.typ == nil || !types.Identical(v.typ, st.Field(idx).Type()) {
				return nil, skipf("%s, and its type is not one the conversion handles", reason)
			}
			fvs = append(fvs, fv{idx: idx, col: col, v: v, drop: &gDrop{f: &Filter{Op: "EqUnlessZero", Col: col, Args: []string{v.src}}, reason: reason}})
			continue
		}
		if isZeroConst(v.val) {
			continue
		}
		fvs = append(fvs, fv{idx: idx, col: col, v: v})
	}
	sort.Slice(fvs, func(i, j int) bool { return fvs[i].idx < fvs[j].idx })
	var out []gclause
	for _, x := range fvs {
		if x.drop != nil {
			out = append(out, *x.drop)
			continue
		}
		out = append(out, gEq{col: quoteCol(table, x.col), v: x.v})
	}
	return out, nil
}

// exampleCondition handles a struct condition held in a variable of the
// model type (Where(example), Where(&example)): GORM keeps each readable
// column field that is not zero at run time (statement.go BuildCondition),
// which is one EqUnlessZero per column field, ANDed. ok is false when q is
// not such a variable.
func (env *condEnv) exampleCondition(q ast.Expr) (cs []gclause, ok bool, err error) {
	x := q
	if u, isU := x.(*ast.UnaryExpr); isU && u.Op.String() == "&" {
		x = ast.Unparen(u.X)
	}
	id, isID := x.(*ast.Ident)
	if !isID || env.model == nil {
		return nil, false, nil
	}
	v, isVar := env.info.Uses[id].(*types.Var)
	if !isVar || !types.Identical(v.Type(), env.model.Type) {
		return nil, false, nil
	}
	reason := fmt.Sprintf("struct condition %s: GORM drops its zero-valued fields at run time", env.src(q))
	var out []gclause
	var walk func(st *types.Struct) error
	walk = func(st *types.Struct) error {
		for i := 0; i < st.NumFields(); i++ {
			f := st.Field(i)
			tag := reflect.StructTag(st.Tag(i)).Get("gorm")
			if tag == "-" || !f.Exported() {
				continue
			}
			up := strings.ToUpper(tag)
			if strings.Contains(tag, "<-") || strings.Contains(tag, "->") || strings.Contains(up, "EMBEDDED") || strings.Contains(up, "SERIALIZER") || strings.HasPrefix(tag, "-:") {
				return skipf("%s: field %s has a gorm permission, embedded or serializer tag", reason, f.Name())
			}
			if f.Embedded() {
				if _, isPtr := types.Unalias(f.Type()).(*types.Pointer); isPtr {
					return skipf("%s: embedded pointer field %s", reason, f.Name())
				}
				if est, isSt := f.Type().Underlying().(*types.Struct); isSt {
					if err := walk(est); err != nil {
						return err
					}
					continue
				}
			}
			col, isCol := env.model.Fields[f.Name()]
			if !isCol {
				if _, isRel := env.model.Relations[f.Name()]; isRel {
					continue // no column: GORM adds no condition
				}
				return skipf("%s: field %s is neither a column nor a relation", reason, f.Name())
			}
			if !zeroTestable(f.Type()) {
				return skipf("%s: field %s of type %s is not converted", reason, f.Name(), types.TypeString(f.Type(), nil))
			}
			out = append(out, gDrop{f: &Filter{Op: "EqUnlessZero", Col: col, Args: []string{id.Name + "." + f.Name()}}, reason: reason})
		}
		return nil
	}
	if err := walk(env.model.Type.Underlying().(*types.Struct)); err != nil {
		return nil, true, err
	}
	return out, true, nil
}

// zeroTestable reports whether a field of type t is one whose GORM zero
// test (reflect.Value.IsZero) and binding the runtime reproduces exactly:
// a basic type, time.Time, or a pointer to one of them.
func zeroTestable(t types.Type) bool {
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		t = p.Elem()
	}
	if isNamed(t, "time", "Time") {
		return true
	}
	if isValuer(t) {
		return false
	}
	_, ok := t.Underlying().(*types.Basic)
	return ok
}

func isZeroConst(v constant.Value) bool {
	switch v.Kind() {
	case constant.String:
		return constant.StringVal(v) == ""
	case constant.Bool:
		return !constant.BoolVal(v)
	case constant.Int, constant.Float, constant.Complex:
		return constant.Sign(v) == 0
	}
	return false
}

func isValuer(t types.Type) bool {
	for _, tt := range []types.Type{t, types.NewPointer(t)} {
		ms := types.NewMethodSet(tt)
		for i := 0; i < ms.Len(); i++ {
			if ms.At(i).Obj().Name() == "Value" {
				return true
			}
		}
	}
	return false
}

// whereClause combines the conditions of a chain the way GORM's Where, Or
// and Not add and merge clause.Where.
func (env *condEnv) whereClause(conds []Cond) ([]gclause, error) {
	var exprs []gclause
	hasOr := false
	for _, c := range conds {
		hasOr = hasOr || c.Kind == CondOr
	}
	for _, c := range conds {
		cs, err := env.buildCondition(c)
		if err != nil {
			return nil, err
		}
		if len(cs) == 0 {
			continue
		}
		for _, x := range cs {
			if d, ok := x.(gDrop); ok && (c.Kind != CondWhere || hasOr) {
				// In Or/Not, or next to an Or, a condition that vanishes
				// changes the rest of the WHERE (GORM's Or placement).
				return nil, skipf("%s (only converted in a chain of Where conditions without Or)", d.reason)
			}
		}
		switch c.Kind {
		case CondWhere:
			exprs = append(exprs, cs...)
		case CondOr:
			exprs = append(exprs, gOr{[]gclause{gand(cs...)}})
		case CondNot:
			if len(cs) == 1 {
				if a, ok := cs[0].(gAnd); ok {
					cs = a.exprs
				}
			}
			exprs = append(exprs, gNot{cs})
		}
	}
	return exprs, nil
}

// gand is clause.And.
func gand(exprs ...gclause) gclause {
	if len(exprs) == 1 {
		if _, ok := exprs[0].(gOr); !ok {
			return exprs[0]
		}
	}
	return gAnd{exprs}
}

// renderer writes clauses as GORM does, collecting the variables.
type renderer struct {
	b    strings.Builder
	vars []gvar
	err  error
}

func (r *renderer) addVar(v gvar, afterParen bool) {
	if v.isNil {
		r.b.WriteString("NULL")
		return
	}
	if v.typ != nil {
		if s, ok := v.typ.Underlying().(*types.Slice); ok && !isByteSlice(s) && !isValuer(v.typ) {
			// GORM expands a slice into a list: "(a,b)" after AddVar, "a,b"
			// right after a "(".
			r.vars = append(r.vars, v)
			if afterParen {
				r.b.WriteString("?")
			} else {
				r.b.WriteString("(?)")
			}
			return
		}
	}
	r.vars = append(r.vars, v)
	r.b.WriteString("?")
}

func isByteSlice(s *types.Slice) bool {
	b, ok := s.Elem().Underlying().(*types.Basic)
	return ok && b.Kind() == types.Byte
}

func upperHasAndOr(sql string) bool {
	u := strings.ToUpper(sql)
	return strings.Contains(u, " AND ") || strings.Contains(u, " OR ")
}

func (r *renderer) where(exprs []gclause) {
	if len(exprs) == 1 {
		if a, ok := exprs[0].(gAnd); ok {
			exprs = a.exprs
		}
	}
	exprs = append([]gclause(nil), exprs...)
	for idx, e := range exprs {
		if o, ok := e.(gOr); !ok || len(o.exprs) > 1 {
			if idx != 0 {
				exprs[0], exprs[idx] = exprs[idx], exprs[0]
			}
			break
		}
	}
	r.list(exprs, " AND ")
}

func (r *renderer) list(exprs []gclause, join string) {
	wrap := false
	for idx, e := range exprs {
		if idx > 0 {
			if o, ok := e.(gOr); ok && len(o.exprs) == 1 {
				r.b.WriteString(" OR ")
			} else {
				r.b.WriteString(join)
			}
		}
		if len(exprs) > 1 {
			switch v := e.(type) {
			case gOr:
				if len(v.exprs) == 1 {
					if x, ok := v.exprs[0].(gExpr); ok {
						wrap = upperHasAndOr(x.sql)
					}
				}
			case gAnd:
				if len(v.exprs) == 1 {
					if x, ok := v.exprs[0].(gExpr); ok {
						wrap = upperHasAndOr(x.sql)
					}
				}
			case gExpr:
				wrap = upperHasAndOr(v.sql)
			}
		}
		if wrap {
			r.b.WriteByte('(')
			r.build(e)
			r.b.WriteByte(')')
			wrap = false
		} else {
			r.build(e)
		}
	}
}

func (r *renderer) build(e gclause) {
	switch v := e.(type) {
	case gExpr:
		idx := 0
		afterParen := false
		for i := 0; i < len(v.sql); i++ {
			c := v.sql[i]
			if c == '?' && idx < len(v.vars) {
				r.addVar(v.vars[idx], afterParen)
				idx++
				continue
			}
			afterParen = c == '('
			r.b.WriteByte(c)
		}
		if idx < len(v.vars) {
			r.err = skipf("%d arguments for %d placeholders", len(v.vars), idx)
		}
	case gEq:
		r.b.WriteString(v.col)
		if v.v.isNil {
			r.b.WriteString(" IS NULL")
			return
		}
		if v.v.typ != nil {
			if _, ok := v.v.typ.Underlying().(*types.Slice); ok {
				r.err = skipf("equality with slice %s", v.v.src)
				return
			}
			switch v.v.typ.Underlying().(type) {
			case *types.Pointer, *types.Interface:
				r.err = skipf("%s may be nil at run time (GORM then writes IS NULL)", v.v.src)
				return
			}
		}
		r.b.WriteString(" = ")
		r.addVar(v.v, false)
	case gIn:
		r.b.WriteString(v.col + " IN ")
		r.addVar(v.v, false)
	case gAnd:
		if len(v.exprs) > 1 {
			r.b.WriteByte('(')
			r.list(v.exprs, " AND ")
			r.b.WriteByte(')')
		} else {
			r.list(v.exprs, " AND ")
		}
	case gOr:
		if len(v.exprs) > 1 {
			r.b.WriteByte('(')
			r.list(v.exprs, " OR ")
			r.b.WriteByte(')')
		} else {
			r.list(v.exprs, " OR ")
		}
	case gDrop:
		r.err = skipf("%s (a set-based statement is not converted then)", v.reason)
	case gNot:
		// NOT over each condition: GORM's NegationBuild of Eq and IN
		// (<>, NOT IN) equals NOT of the condition, except NOT IN of an
		// empty list (IS NOT NULL), which translate checks.
		if len(v.exprs) > 1 {
			r.b.WriteByte('(')
		}
		for i, c := range v.exprs {
			if i > 0 {
				r.b.WriteString(" AND ")
			}
			r.b.WriteString("NOT ")
			wrap := true
			if x, ok := c.(gExpr); ok {
				wrap = upperHasAndOr(x.sql)
			}
			if _, ok := c.(gNot); ok {
				wrap = true
			}
			if wrap {
				r.b.WriteByte('(')
			}
			r.build(c)
			if wrap {
				r.b.WriteByte(')')
			}
		}
		if len(v.exprs) > 1 {
			r.b.WriteByte(')')
		}
	}
}

// TranslateConds turns the conditions of a chain into one runtime filter
// (nil when there are none), or says why it cannot. The SQL GORM would
// write is rebuilt from the conditions, parsed with PostgreSQL's parser and
// translated node by node, so precedence is the database's, not a guess.
func (env *condEnv) TranslateConds(conds []Cond) (*Filter, error) {
	if f, ok, err := env.orDropTail(conds); ok || err != nil {
		return f, err
	}
	exprs, err := env.whereClause(conds)
	if err != nil {
		return nil, err
	}
	// Conditions that may vanish at run time are ANDed at the top level
	// (whereClause allows them nowhere else): they become compat filters
	// next to the translated rest.
	var drops []*Filter
	kept := exprs[:0:0]
	for _, e := range exprs {
		if d, ok := e.(gDrop); ok {
			drops = append(drops, d.f)
			continue
		}
		kept = append(kept, e)
	}
	if len(drops) > 0 {
		f, err := env.translateWhere(kept)
		if err != nil {
			return nil, err
		}
		var subs []*Filter
		if f != nil {
			if f.Op == "And" {
				subs = append(subs, f.Subs...)
			} else {
				subs = append(subs, f)
			}
		}
		subs = append(subs, drops...)
		if len(subs) == 1 {
			return subs[0], nil
		}
		return &Filter{Op: "And", Subs: subs}, nil
	}
	return env.translateWhere(exprs)
}

// translateWhere renders the clauses as GORM would and translates the SQL.
func (env *condEnv) translateWhere(exprs []gclause) (*Filter, error) {
	if len(exprs) == 0 {
		return nil, nil
	}
	r := &renderer{}
	r.where(exprs)
	if r.err != nil {
		return nil, r.err
	}
	text := r.b.String()
	if n := strings.Count(text, "?"); n != len(r.vars) {
		return nil, skipf("condition has a ? that is not a placeholder (in a literal or an operator)")
	}
	res, err := sqltext.ParseFragment(sqltext.Condition, text, sqltext.StyleQuestion)
	if err != nil {
		return nil, skipf("condition does not parse: %v", err)
	}
	rw := res.Rewritten
	if rw.Positional != len(r.vars) || len(rw.Names) > 0 || rw.MaxDollar > 0 {
		return nil, skipf("condition placeholders do not match its arguments")
	}
	stmts := res.Tree.GetStmts()
	sel := stmts[0].GetStmt().GetSelectStmt()
	if sel == nil || sel.GetWhereClause() == nil {
		return nil, skipf("condition did not parse as a WHERE clause")
	}
	tr := &translator{env: env, vars: r.vars}
	return tr.node(sel.GetWhereClause())
}

type translator struct {
	env  *condEnv
	vars []gvar
}

func (t *translator) node(n *pg_query.Node) (*Filter, error) {
	switch {
	case n.GetBoolExpr() != nil:
		be := n.GetBoolExpr()
		var subs []*Filter
		for _, a := range be.GetArgs() {
			f, err := t.node(a)
			if err != nil {
				return nil, err
			}
			subs = append(subs, f)
		}
		switch be.GetBoolop() {
		case pg_query.BoolExprType_AND_EXPR:
			return flatten("And", subs), nil
		case pg_query.BoolExprType_OR_EXPR:
			return flatten("Or", subs), nil
		case pg_query.BoolExprType_NOT_EXPR:
			if len(subs) == 1 && subs[0].Op == "In" && t.inMayBeEmpty(subs[0]) {
				// GORM writes IS NOT NULL for NOT IN over an empty list;
				// on a NOT NULL column that is TRUE, as uow.NotIn of none.
				if t.env.model != nil && t.env.model.NotNull[subs[0].Col] {
					return &Filter{Op: "NotIn", Col: subs[0].Col, Args: subs[0].Args}, nil
				}
				return nil, skipf("NOT IN over a list that may be empty: GORM writes IS NOT NULL for it")
			}
			return &Filter{Op: "Not", Subs: subs}, nil
		}
	case n.GetNullTest() != nil:
		nt := n.GetNullTest()
		col, err := t.column(nt.GetArg())
		if err != nil {
			return nil, err
		}
		if nt.GetNulltesttype() == pg_query.NullTestType_IS_NOT_NULL {
			return &Filter{Op: "IsNotNull", Col: col}, nil
		}
		return &Filter{Op: "IsNull", Col: col}, nil
	case n.GetAExpr() != nil:
		return t.aexpr(n.GetAExpr())
	}
	return nil, skipf("SQL construct %s is not converted", nodeKind(n))
}

func (t *translator) inMayBeEmpty(f *Filter) bool {
	return f.Slice
}

func flatten(op string, subs []*Filter) *Filter {
	var out []*Filter
	for _, s := range subs {
		if s.Op == op {
			out = append(out, s.Subs...)
		} else {
			out = append(out, s)
		}
	}
	return &Filter{Op: op, Subs: out}
}

var cmpOps = map[string]string{"=": "Eq", "<>": "Ne", "!=": "Ne", "<": "Lt", "<=": "Lte", ">": "Gt", ">=": "Gte"}
var flipOps = map[string]string{"Eq": "Eq", "Ne": "Ne", "Lt": "Gt", "Lte": "Gte", "Gt": "Lt", "Gte": "Lte"}

func opName(e *pg_query.A_Expr) string {
	var parts []string
	for _, n := range e.GetName() {
		parts = append(parts, n.GetString_().GetSval())
	}
	return strings.Join(parts, ".")
}

func (t *translator) aexpr(e *pg_query.A_Expr) (*Filter, error) {
	name := opName(e)
	switch e.GetKind() {
	case pg_query.A_Expr_Kind_AEXPR_OP:
		op, ok := cmpOps[name]
		if !ok {
			return nil, skipf("operator %s is not converted", name)
		}
		if e.GetLexpr().GetColumnRef() != nil || e.GetRexpr().GetColumnRef() == nil {
			col, err := t.column(e.GetLexpr())
			if err != nil {
				return nil, err
			}
			v, err := t.value(e.GetRexpr())
			if err != nil {
				return nil, err
			}
			return &Filter{Op: op, Col: col, Args: []string{v}}, nil
		}
		col, err := t.column(e.GetRexpr())
		if err != nil {
			return nil, err
		}
		v, err := t.value(e.GetLexpr())
		if err != nil {
			return nil, err
		}
		return &Filter{Op: flipOps[op], Col: col, Args: []string{v}}, nil
	case pg_query.A_Expr_Kind_AEXPR_LIKE, pg_query.A_Expr_Kind_AEXPR_ILIKE:
		col, err := t.column(e.GetLexpr())
		if err != nil {
			return nil, err
		}
		v, err := t.value(e.GetRexpr())
		if err != nil {
			return nil, err
		}
		op := "Like"
		if e.GetKind() == pg_query.A_Expr_Kind_AEXPR_ILIKE {
			op = "ILike"
		}
		if p := e.GetRexpr().GetParamRef(); p != nil {
			i := int(p.GetNumber()) - 1
			if b, ok := t.vars[i].typ.(*types.Basic); !ok || b.Info()&types.IsString == 0 {
				return nil, skipf("LIKE pattern %s is not a string", t.vars[i].src)
			}
		}
		f := &Filter{Op: op, Col: col, Args: []string{v}}
		switch name {
		case "~~", "~~*":
			return f, nil
		case "!~~", "!~~*":
			return &Filter{Op: "Not", Subs: []*Filter{f}}, nil
		}
		return nil, skipf("LIKE operator %s is not converted", name)
	case pg_query.A_Expr_Kind_AEXPR_IN:
		col, err := t.column(e.GetLexpr())
		if err != nil {
			return nil, err
		}
		items := e.GetRexpr().GetList().GetItems()
		var f *Filter
		if len(items) == 1 && items[0].GetParamRef() != nil {
			v, err := t.param(items[0].GetParamRef(), true)
			if err != nil {
				return nil, err
			}
			f = &Filter{Op: "In", Col: col, Args: []string{v}, Slice: t.isSliceParam(items[0].GetParamRef())}
		} else {
			var vals []string
			for _, it := range items {
				v, err := t.value(it)
				if err != nil {
					return nil, err
				}
				vals = append(vals, v)
			}
			f = &Filter{Op: "In", Col: col, Args: []string{"[]any{" + strings.Join(vals, ", ") + "}"}}
		}
		switch name {
		case "=":
			return f, nil
		case "<>":
			if t.inMayBeEmpty(f) {
				if t.env.model != nil && t.env.model.NotNull[f.Col] {
					return &Filter{Op: "NotIn", Col: f.Col, Args: f.Args}, nil
				}
				return nil, skipf("NOT IN over a slice that may be empty")
			}
			return &Filter{Op: "Not", Subs: []*Filter{f}}, nil
		}
		return nil, skipf("IN operator %s is not converted", name)
	case pg_query.A_Expr_Kind_AEXPR_BETWEEN, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN:
		col, err := t.column(e.GetLexpr())
		if err != nil {
			return nil, err
		}
		items := e.GetRexpr().GetList().GetItems()
		if len(items) != 2 {
			return nil, skipf("BETWEEN with %d bounds", len(items))
		}
		lo, err := t.value(items[0])
		if err != nil {
			return nil, err
		}
		hi, err := t.value(items[1])
		if err != nil {
			return nil, err
		}
		f := &Filter{Op: "Between", Col: col, Args: []string{lo, hi}}
		if e.GetKind() == pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN {
			return &Filter{Op: "Not", Subs: []*Filter{f}}, nil
		}
		return f, nil
	}
	return nil, skipf("SQL expression kind %s is not converted", strings.TrimPrefix(e.GetKind().String(), "AEXPR_"))
}

// column resolves a column reference against the model.
func (t *translator) column(n *pg_query.Node) (string, error) {
	cr := n.GetColumnRef()
	if cr == nil {
		return "", skipf("%s where a column was expected", nodeKind(n))
	}
	var parts []string
	for _, f := range cr.GetFields() {
		s := f.GetString_()
		if s == nil {
			return "", skipf("column reference with *")
		}
		parts = append(parts, s.GetSval())
	}
	m := t.env.model
	if m == nil {
		return "", skipf("the model of the statement is not known")
	}
	var col string
	switch len(parts) {
	case 1:
		col = parts[0]
		for rel, target := range t.env.joined {
			if _, ok := target.Columns[col]; ok {
				return "", skipf("column %q is in both %s and the joined %s: ambiguous in GORM's join", col, m.Table, rel)
			}
		}
	case 2:
		if target, ok := t.env.joined[parts[0]]; ok {
			if _, ok := target.Columns[parts[1]]; !ok {
				return "", skipf("column %q is not a field of the joined %s", parts[1], target.Name)
			}
			return parts[0] + relSep + parts[1], nil
		}
		if m.CustomTable || parts[0] != m.Table {
			return "", skipf("column %s.%s is not a column of the model's table %s", parts[0], parts[1], m.Table)
		}
		col = parts[1]
	default:
		return "", skipf("column reference %s", strings.Join(parts, "."))
	}
	if _, ok := m.Columns[col]; !ok {
		return "", skipf("column %q is not a field of %s", col, m.Name)
	}
	return col, nil
}

// value renders a parameter or constant as Go source.
func (t *translator) value(n *pg_query.Node) (string, error) {
	if p := n.GetParamRef(); p != nil {
		return t.param(p, false)
	}
	if c := n.GetAConst(); c != nil {
		if c.GetIsnull() {
			return "", skipf("comparison with NULL (never true in SQL)")
		}
		switch {
		case c.GetIval() != nil:
			return strconv.FormatInt(int64(c.GetIval().GetIval()), 10), nil
		case c.GetSval() != nil:
			return strconv.Quote(c.GetSval().GetSval()), nil
		case c.GetBoolval() != nil:
			return strconv.FormatBool(c.GetBoolval().GetBoolval()), nil
		case c.GetFval() != nil:
			return "", skipf("numeric literal %s (its SQL type is numeric)", c.GetFval().GetFval())
		}
	}
	return "", skipf("%s where a value was expected", nodeKind(n))
}

func (t *translator) param(p *pg_query.ParamRef, list bool) (string, error) {
	i := int(p.GetNumber()) - 1
	if i < 0 || i >= len(t.vars) {
		return "", skipf("placeholder $%d has no argument", p.GetNumber())
	}
	v := t.vars[i]
	if v.typ == nil {
		return "", skipf("argument %s of unknown type", v.src)
	}
	if n, ok := types.Unalias(deref(v.typ)).(*types.Named); ok && n.Obj().Pkg() != nil && strings.HasPrefix(n.Obj().Pkg().Path(), "gorm.io/gorm") {
		// A *gorm.DB is a subquery, a clause.Expr or gorm.Expr SQL text:
		// GORM renders them into the statement, they are not values.
		return "", skipf("argument %s is a GORM %s (a subquery or SQL expression), not a value", v.src, n.Obj().Name())
	}
	isSlice := false
	if s, ok := v.typ.Underlying().(*types.Slice); ok && !isByteSlice(s) && !isValuer(v.typ) {
		isSlice = true
	}
	if list != isSlice {
		if isSlice {
			return "", skipf("slice %s used where GORM expands it into a list", v.src)
		}
		// A scalar alone in an IN list: x IN (v) is x = v.
		return v.src, nil
	}
	switch v.typ.Underlying().(type) {
	case *types.Pointer, *types.Interface, *types.Map, *types.Chan, *types.Signature:
		return "", skipf("argument %s may be nil (GORM binds NULL, which compares as unknown)", v.src)
	}
	return v.src, nil
}

func (t *translator) isSliceParam(p *pg_query.ParamRef) bool {
	i := int(p.GetNumber()) - 1
	if i < 0 || i >= len(t.vars) || t.vars[i].typ == nil {
		return false
	}
	s, ok := t.vars[i].typ.Underlying().(*types.Slice)
	return ok && !isByteSlice(s) && !isValuer(t.vars[i].typ)
}

func nodeKind(n *pg_query.Node) string {
	if n == nil || n.GetNode() == nil {
		return "nothing"
	}
	s := fmt.Sprintf("%T", n.GetNode())
	s = strings.TrimPrefix(s, "*pg_query.Node_")
	return s
}

// orDropTail handles a chain whose last condition is an Or of a struct
// condition with one field known at run time only (Where(...).Or(&T{Name:
// name})): GORM renders "<rest> OR <field> = v", and drops the Or when v is
// zero, leaving "<rest>". Or is the loosest operator, so the first is
// (<rest>) OR <field> = v, and the second is (<rest>) OR (no row):
// uow.Or(rest, uow.EqUnlessZeroElseNone(field, v)). ok is false when the
// chain is not of that shape (the general path then decides).
func (env *condEnv) orDropTail(conds []Cond) (*Filter, bool, error) {
	n := len(conds)
	if n < 2 || conds[n-1].Kind != CondOr {
		return nil, false, nil
	}
	cs, err := env.buildCondition(conds[n-1])
	if err != nil || len(cs) != 1 {
		return nil, false, nil
	}
	d, ok := cs[0].(gDrop)
	if !ok || d.f.Op != "EqUnlessZero" {
		return nil, false, nil
	}
	prefix, err := env.whereClause(conds[:n-1])
	if err != nil {
		return nil, true, err
	}
	if len(prefix) == 0 {
		return nil, false, nil // GORM's first-Or placement: not this shape
	}
	for _, e := range prefix {
		if _, ok := e.(gDrop); ok {
			return nil, true, skipf("%s, and the chain ends with an Or that may vanish too", e.(gDrop).reason)
		}
	}
	rest, err := env.translateWhere(prefix)
	if err != nil {
		return nil, true, err
	}
	if rest == nil {
		return nil, false, nil
	}
	return &Filter{Op: "Or", Subs: []*Filter{rest, {Op: "EqUnlessZeroElseNone", Col: d.f.Col, Args: d.f.Args}}}, true, nil
}

// relSep separates a joined relation's name from its column in the Col of
// a filter the translator made ("Package" + relSep + "name"); liftRelated
// turns those into Related filters.
const relSep = "\x00"

// liftRelated wraps each condition on a joined relation's column in a
// Related filter. On a belongs-to relation (one row at most) a comparison
// on the joined row is true exactly when the related row exists and
// matches, so the two agree wherever a false and a NULL lead to the same
// result: everywhere but under NOT, and except for IS NULL (true for a
// missing row in GORM's LEFT JOIN, false in Related).
func liftRelated(f *Filter, underNot bool) (*Filter, error) {
	if f == nil {
		return nil, nil
	}
	switch f.Op {
	case "And", "Or", "Not":
		out := &Filter{Op: f.Op, Slice: f.Slice}
		for _, s := range f.Subs {
			ls, err := liftRelated(s, underNot || f.Op == "Not")
			if err != nil {
				return nil, err
			}
			out.Subs = append(out.Subs, ls)
		}
		return out, nil
	}
	rel, col, ok := strings.Cut(f.Col, relSep)
	if !ok {
		return f, nil
	}
	switch {
	case underNot:
		return nil, skipf("a negated condition on the joined %s: NULL and false differ there", rel)
	case f.Op == "IsNull":
		return nil, skipf("IS NULL on the joined %s: true for a row without one in GORM's LEFT JOIN", rel)
	}
	leaf := *f
	leaf.Col = col
	return &Filter{Op: "Related", Col: rel, Subs: []*Filter{&leaf}}, nil
}

// requiresRelated reports whether every row f matches must have a rel row:
// f is, or ANDs at its top, a Related filter on rel.
func requiresRelated(f *Filter, rel string) bool {
	if f == nil {
		return false
	}
	if f.Op == "Related" {
		return f.Col == rel
	}
	if f.Op == "And" {
		for _, s := range f.Subs {
			if requiresRelated(s, rel) {
				return true
			}
		}
	}
	return false
}
