// Package sqlcheck checks the constant SQL text passed to SQL-interpreting
// parameters (the legacy ORM table and the drivers in analyzers/legacyapi):
// it must parse with the PostgreSQL parser (fragments wrapped so they
// parse), and its placeholders must match the arguments given.
//
// Rule ids (diagnostic categories): sqlcheck/syntax, sqlcheck/placeholders.
package sqlcheck

import (
	"errors"
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/types/typeutil"

	"github.com/ormshift/ormshift/analyzers/legacyapi"
	"github.com/ormshift/ormshift/internal/sqltext"
)

// Rule ids.
const (
	RuleSyntax       = "sqlcheck/syntax"
	RulePlaceholders = "sqlcheck/placeholders"
)

const doc = `check constant SQL passed to GORM, database/sql, sqlx and pgx

Every constant SQL text reaching a SQL-interpreting parameter must parse
with the PostgreSQL parser (pg_query_go): whole statements for Raw, Exec,
Query...; fragments for Where, Having, Joins, Order, Select, Group, Table
(wrapped so they parse). GORM's ? and @name placeholders become $n first.
Placeholders are counted against the arguments: ? for GORM, the highest $n
for pgx and database/sql, @name/:name against named arguments. A slice fills
one ?; a forwarded args... of unknown length is not checked.`

// Analyzer is the sqlcheck pass.
var Analyzer = &analysis.Analyzer{
	Name:     "sqlcheck",
	Doc:      doc,
	URL:      "https://github.com/ormshift/ormshift/blob/main/docs/sqlsafety.md#sqlcheck",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      run,
}

func run(pass *analysis.Pass) (any, error) {
	ins := pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
	consts := newConstVars(pass, ins)
	ins.Preorder([]ast.Node{(*ast.CallExpr)(nil)}, func(n ast.Node) {
		call := n.(*ast.CallExpr)
		fn, _ := typeutil.Callee(pass.TypesInfo, call).(*types.Func)
		if fn == nil {
			return
		}
		lib, m := legacyapi.ResolveSQL(fn)
		if m == nil {
			return
		}
		for _, p := range m.SQL {
			if p.Index >= len(call.Args) {
				continue
			}
			arg := call.Args[p.Index]
			s, lit, ok := consts.value(arg)
			if !ok {
				continue
			}
			checkSQL(pass, call, fn, lib, m, p, arg, lit, s)
		}
	})
	return nil, nil
}

// CalleeName is how messages name a function: (*gorm.DB).Where, pgx.Tx.Query.
func CalleeName(fn *types.Func) string {
	sig := fn.Type().(*types.Signature)
	if sig.Recv() == nil {
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

// KindOf maps a legacyapi fragment to the parser's wrapper.
func KindOf(f legacyapi.Fragment) sqltext.Kind {
	switch f {
	case legacyapi.FragStatement:
		return sqltext.Statement
	case legacyapi.FragCondition:
		return sqltext.Condition
	case legacyapi.FragOrderBy:
		return sqltext.OrderBy
	case legacyapi.FragSelectList:
		return sqltext.SelectList
	case legacyapi.FragGroupBy:
		return sqltext.GroupBy
	case legacyapi.FragJoin:
		return sqltext.Join
	case legacyapi.FragTable:
		return sqltext.Table
	case legacyapi.FragColumn:
		return sqltext.Column
	}
	return sqltext.Expr
}

func quote(s string) string {
	const max = 120
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strconv.Quote(s)
}

func checkSQL(pass *analysis.Pass, call *ast.CallExpr, fn *types.Func, lib *legacyapi.Library, m *legacyapi.Method, p legacyapi.SQLParam, arg ast.Expr, lit *ast.BasicLit, s string) {
	name := CalleeName(fn)
	unknownArgs := call.Ellipsis.IsValid() && p.ArgsFrom >= 0 && len(call.Args) > p.ArgsFrom
	var args []ast.Expr
	if p.ArgsFrom >= 0 && p.ArgsFrom < len(call.Args) {
		args = call.Args[p.ArgsFrom:]
	}
	// Does the library read this text as SQL at all?
	if !lib.IsRawSQLArg(p.Rule, s, len(args)) {
		return
	}
	if p.Rule == legacyapi.RawUnlessAssociation && legacyapi.IsIdentifier(s) {
		return // an association name (Joins("Company"))
	}
	if strings.TrimSpace(s) == "" {
		return
	}
	style := sqltext.StyleDollar
	ph := lib.PlaceholderOf(p)
	var kinds []sqltext.ArgKind
	switch ph {
	case legacyapi.PlaceholderQuestion:
		style = sqltext.StyleQuestion
		for _, a := range args {
			kinds = append(kinds, argKind(pass, a))
		}
	case legacyapi.PlaceholderNamed:
		style = sqltext.StyleColon
	case legacyapi.PlaceholderDollar:
		if hasNamedArgs(pass, args) {
			style = sqltext.StyleAt
		}
	}
	kind := KindOf(p.Fragment)
	if p.Fragment == legacyapi.FragColumn && !legacyapi.IsIdentifier(s) {
		kind = sqltext.SelectList // Pluck("lower(name)")
	}
	res, err := parseWith(kind, s, style, kinds)
	if err != nil && style == sqltext.StyleQuestion {
		// An argument of interface type may hold a clause.Table or an
		// expression (m.CurrentTable(stmt)): try it as a name before
		// calling the text invalid.
		retry := append([]sqltext.ArgKind(nil), kinds...)
		changed := false
		for i, a := range args {
			if t := pass.TypesInfo.TypeOf(a); t != nil && i < len(retry) && retry[i] == sqltext.ArgScalar && types.IsInterface(t) {
				retry[i], changed = sqltext.ArgIdent, true
			}
		}
		if changed {
			if r2, err2 := parseWith(kind, s, style, retry); err2 == nil {
				res, err = r2, nil
			}
		}
	}
	if err != nil {
		var pe *sqltext.Error
		pos := arg.Pos()
		where := ""
		if errors.As(err, &pe) {
			if pe.Line > 0 {
				where = fmt.Sprintf(" (at %d:%d)", pe.Line, pe.Col)
				pos = litPos(lit, pe.Offset, arg.Pos())
			}
			err = errors.New(pe.Msg)
		}
		pass.Report(analysis.Diagnostic{
			Pos: pos, End: arg.End(), Category: RuleSyntax,
			Message: fmt.Sprintf("invalid SQL %s in %s: %v%s: %s", kind, name, err, where, quote(s)),
		})
		return
	}
	if unknownArgs || p.ArgsFrom < 0 {
		return
	}
	rw := res.Rewritten
	report := func(format string, a ...any) {
		pass.Report(analysis.Diagnostic{
			Pos: arg.Pos(), End: call.Rparen, Category: RulePlaceholders,
			Message: fmt.Sprintf(format, a...) + " in " + name + ": " + quote(s),
		})
	}
	switch style {
	case sqltext.StyleQuestion:
		if p.Rule == legacyapi.RawUnlessField && rw.Positional == 0 && len(rw.Names) == 0 {
			// Select("id", "name"): without placeholders the arguments
			// are more columns (chainable_api.go Select), not values.
			return
		}
		if len(rw.Names) > 0 && rw.Positional == 0 {
			checkNames(pass, "@", rw.Names, args, report)
			return
		}
		if rw.Positional != len(args) {
			report("%s but %s", plural(rw.Positional, "placeholder (?)", "placeholders (?)"), plural(len(args), "argument", "arguments"))
		}
	case sqltext.StyleAt:
		checkNames(pass, "@", rw.Names, args, report)
	case sqltext.StyleColon:
		checkNames(pass, ":", rw.Names, args, report)
	case sqltext.StyleDollar:
		n := 0
		for _, a := range args {
			if !isPgxOption(pass.TypesInfo.TypeOf(a)) {
				n++
			}
		}
		if rw.MaxDollar != n {
			report("highest placeholder is $%d but %s", rw.MaxDollar, plural(n, "argument", "arguments"))
		}
	}
}

func parseWith(kind sqltext.Kind, s string, style sqltext.Style, kinds []sqltext.ArgKind) (*sqltext.Result, error) {
	if len(kinds) == 0 {
		return sqltext.ParseFragment(kind, s, style)
	}
	return sqltext.ParseFragmentArgs(kind, s, style, kinds)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// litPos maps a byte offset in the value of a string literal to a source
// position, when the literal's text is its value (a raw string, or an
// interpreted one without escapes).
func litPos(lit *ast.BasicLit, off int, fallback token.Pos) token.Pos {
	if lit == nil || off < 0 {
		return fallback
	}
	if strings.HasPrefix(lit.Value, "`") || !strings.Contains(lit.Value, `\`) {
		if off <= len(lit.Value)-2 {
			return lit.Pos() + 1 + token.Pos(off)
		}
	}
	return fallback
}

func argKind(pass *analysis.Pass, a ast.Expr) sqltext.ArgKind {
	t := pass.TypesInfo.TypeOf(a)
	if t == nil {
		return sqltext.ArgScalar
	}
	if lib, ok := legacyapi.IsHandle(t); ok && lib != nil {
		return sqltext.ArgSubquery
	}
	if n, ok := types.Unalias(t).(*types.Named); ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "gorm.io/gorm/clause" {
		// clause.Table{Name: t}, clause.Column{...}, gorm.Expr(...):
		// GORM writes a quoted name or an expression, not a value.
		return sqltext.ArgIdent
	}
	switch u := t.Underlying().(type) {
	case *types.Slice:
		if b, ok := u.Elem().Underlying().(*types.Basic); ok && b.Kind() == types.Byte {
			return sqltext.ArgScalar
		}
		return sqltext.ArgList
	case *types.Array:
		return sqltext.ArgList
	}
	return sqltext.ArgScalar
}

func isNamed(t types.Type, path, name string) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == path && n.Obj().Name() == name
}

func hasNamedArgs(pass *analysis.Pass, args []ast.Expr) bool {
	for _, a := range args {
		t := pass.TypesInfo.TypeOf(a)
		if isNamed(t, "github.com/jackc/pgx/v5", "NamedArgs") || isNamed(t, "github.com/jackc/pgx/v5", "StrictNamedArgs") {
			return true
		}
	}
	return false
}

// isPgxOption reports whether an argument of a pgx query is an option, not
// a parameter value (conn.go: QueryExecMode, QueryResultFormats...).
func isPgxOption(t types.Type) bool {
	for _, n := range []string{"QueryExecMode", "QueryResultFormats", "QueryResultFormatsByOID", "NamedArgs", "StrictNamedArgs"} {
		if isNamed(t, "github.com/jackc/pgx/v5", n) {
			return true
		}
	}
	return false
}

// checkNames compares the named placeholders of the text with the names
// the arguments provide, when those are known statically: sql.Named calls
// with constant names, map literals with constant keys, struct values
// (field names and db/gorm column tags are too loosely matched to check, so
// structs are skipped).
func checkNames(pass *analysis.Pass, sigil string, names []string, args []ast.Expr, report func(string, ...any)) {
	if len(args) == 0 {
		report("named %s but no arguments", plural(len(names), "parameter "+sigil+names[0], "parameters"))
		return
	}
	have := map[string]bool{}
	for _, a := range args {
		known := false
		a = ast.Unparen(a)
		switch a := a.(type) {
		case *ast.CallExpr:
			if fn, _ := typeutil.Callee(pass.TypesInfo, a).(*types.Func); fn != nil && fn.Pkg() != nil &&
				fn.Pkg().Path() == "database/sql" && fn.Name() == "Named" && len(a.Args) == 2 {
				if tv := pass.TypesInfo.Types[a.Args[0]]; tv.Value != nil && tv.Value.Kind() == constant.String {
					have[constant.StringVal(tv.Value)] = true
					known = true
				}
			}
		case *ast.CompositeLit:
			if _, ok := pass.TypesInfo.TypeOf(a).Underlying().(*types.Map); ok {
				known = true
				for _, e := range a.Elts {
					kv, ok := e.(*ast.KeyValueExpr)
					if !ok {
						known = false
						break
					}
					tv := pass.TypesInfo.Types[kv.Key]
					if tv.Value == nil || tv.Value.Kind() != constant.String {
						known = false
						break
					}
					have[constant.StringVal(tv.Value)] = true
				}
			}
		}
		if !known {
			return
		}
	}
	var missing []string
	for _, n := range names {
		if !have[n] {
			missing = append(missing, sigil+n)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		report("named %s not given", plural(len(missing), "parameter "+strings.Join(missing, ", "), "parameters "+strings.Join(missing, ", ")))
	}
}

// constVars resolves an argument to constant SQL text: a constant
// expression, or a variable assigned a constant exactly once and never
// otherwise (no other assignment, no op-assignment, no address taken).
type constVars struct {
	pass   *analysis.Pass
	assign map[types.Object][]ast.Expr // nil entry: assigned something unknown
	lits   map[types.Object]*ast.BasicLit
}

func newConstVars(pass *analysis.Pass, ins *inspector.Inspector) *constVars {
	c := &constVars{pass: pass, assign: map[types.Object][]ast.Expr{}}
	spoil := func(id *ast.Ident) {
		if obj := pass.TypesInfo.ObjectOf(id); obj != nil {
			c.assign[obj] = append(c.assign[obj], nil)
		}
	}
	ins.Preorder([]ast.Node{(*ast.AssignStmt)(nil), (*ast.ValueSpec)(nil), (*ast.UnaryExpr)(nil), (*ast.RangeStmt)(nil), (*ast.IncDecStmt)(nil)}, func(n ast.Node) {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for i, l := range n.Lhs {
				id, ok := ast.Unparen(l).(*ast.Ident)
				if !ok {
					continue
				}
				obj := pass.TypesInfo.ObjectOf(id)
				if obj == nil {
					continue
				}
				if n.Tok != token.ASSIGN && n.Tok != token.DEFINE || len(n.Lhs) != len(n.Rhs) {
					c.assign[obj] = append(c.assign[obj], nil)
					continue
				}
				c.assign[obj] = append(c.assign[obj], n.Rhs[i])
			}
		case *ast.ValueSpec:
			for i, id := range n.Names {
				obj := pass.TypesInfo.ObjectOf(id)
				if _, isVar := obj.(*types.Var); !isVar {
					continue
				}
				if i < len(n.Values) && len(n.Values) == len(n.Names) {
					c.assign[obj] = append(c.assign[obj], n.Values[i])
				} else if len(n.Values) > 0 {
					c.assign[obj] = append(c.assign[obj], nil)
				}
			}
		case *ast.UnaryExpr:
			if n.Op == token.AND {
				if id, ok := ast.Unparen(n.X).(*ast.Ident); ok {
					spoil(id)
				}
			}
		case *ast.RangeStmt:
			for _, e := range []ast.Expr{n.Key, n.Value} {
				if id, ok := e.(*ast.Ident); ok {
					spoil(id)
				}
			}
		case *ast.IncDecStmt:
			if id, ok := n.X.(*ast.Ident); ok {
				spoil(id)
			}
		}
	})
	return c
}

// value returns the constant string of e and, when the text comes straight
// from one string literal, that literal (for error positions).
func (c *constVars) value(e ast.Expr) (string, *ast.BasicLit, bool) {
	e = ast.Unparen(e)
	tv := c.pass.TypesInfo.Types[e]
	if tv.Value != nil {
		if tv.Value.Kind() != constant.String {
			return "", nil, false
		}
		lit, _ := e.(*ast.BasicLit)
		return constant.StringVal(tv.Value), lit, true
	}
	id, ok := e.(*ast.Ident)
	if !ok {
		return "", nil, false
	}
	obj, ok := c.pass.TypesInfo.ObjectOf(id).(*types.Var)
	if !ok || obj.Pkg() != c.pass.Pkg {
		return "", nil, false
	}
	if b, ok := obj.Type().Underlying().(*types.Basic); !ok || b.Info()&types.IsString == 0 {
		return "", nil, false
	}
	as := c.assign[obj]
	if len(as) != 1 || as[0] == nil {
		return "", nil, false
	}
	rhs := ast.Unparen(as[0])
	tv = c.pass.TypesInfo.Types[rhs]
	if tv.Value == nil || tv.Value.Kind() != constant.String {
		return "", nil, false
	}
	lit, _ := rhs.(*ast.BasicLit)
	return constant.StringVal(tv.Value), lit, true
}
