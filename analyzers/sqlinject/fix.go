package sqlinject

import (
	"bytes"
	"go/ast"
	"go/constant"
	"go/format"
	"go/token"
	"go/types"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/types/typeutil"

	"github.com/ormshift/ormshift/analyzers/legacyapi"
	"github.com/ormshift/ormshift/internal/sqltext"
)

// fixes returns the mechanical fixes for a reported sink:
//   - a single value concatenated or Sprintf'd into a condition or statement
//     becomes a placeholder and an argument ('...' around it are dropped;
//     '%...%' becomes "%"+v+"%");
//   - Order(v) on GORM v2, when v is one value (not built by
//     concatenation or formatting), becomes
//     clause.OrderByColumn{Column: clause.Column{Name: v}}.
//
// A fix is offered only when the rewritten SQL parses.
func (a *analyzer) fixes(ctx *sinkCtx) []analysis.SuggestedFix {
	call := a.calls[ctx.instr.Pos()]
	if call == nil || ctx.p.Index >= len(call.Args) || call.Ellipsis.IsValid() {
		return nil
	}
	arg := call.Args[ctx.p.Index]
	if f := a.placeholderFix(call, arg, ctx); f != nil {
		return []analysis.SuggestedFix{*f}
	}
	if f := a.orderFix(call, arg, ctx); f != nil {
		return []analysis.SuggestedFix{*f}
	}
	return nil
}

// splitValue finds the one non-constant value of a concatenation or a
// one-verb Sprintf: the constant text before and after it, and the value.
func (a *analyzer) splitValue(e ast.Expr) (left, right string, val ast.Expr, ok bool) {
	info := a.pass.TypesInfo
	constStr := func(x ast.Expr) (string, bool) {
		tv := info.Types[x]
		if tv.Value == nil || tv.Value.Kind() != constant.String {
			return "", false
		}
		return constant.StringVal(tv.Value), true
	}
	e = ast.Unparen(e)
	if be, isBin := e.(*ast.BinaryExpr); isBin && be.Op == token.ADD {
		var parts []ast.Expr
		var flatten func(x ast.Expr)
		flatten = func(x ast.Expr) {
			x = ast.Unparen(x)
			if b, ok := x.(*ast.BinaryExpr); ok && b.Op == token.ADD {
				if _, isConst := constStr(b); !isConst {
					flatten(b.X)
					flatten(b.Y)
					return
				}
			}
			parts = append(parts, x)
		}
		flatten(be)
		idx := -1
		for i, p := range parts {
			if _, c := constStr(p); !c {
				if idx >= 0 {
					return "", "", nil, false
				}
				idx = i
			}
		}
		if idx < 0 || !isString(info.TypeOf(parts[idx])) {
			return "", "", nil, false
		}
		for i, p := range parts {
			s, _ := constStr(p)
			if i < idx {
				left += s
			} else if i > idx {
				right += s
			}
		}
		return left, right, parts[idx], true
	}
	ce, isCall := e.(*ast.CallExpr)
	if !isCall || len(ce.Args) != 2 {
		return "", "", nil, false
	}
	fn, _ := typeutil.Callee(info, ce).(*types.Func)
	if fn == nil || fn.Pkg() == nil || fn.Pkg().Path() != "fmt" || fn.Name() != "Sprintf" {
		return "", "", nil, false
	}
	f, c := constStr(ce.Args[0])
	if !c || !isString(info.TypeOf(ce.Args[1])) {
		return "", "", nil, false
	}
	verbAt := -1
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		if i+1 < len(f) && f[i+1] == '%' {
			i++
			continue
		}
		if verbAt >= 0 || i+1 >= len(f) || (f[i+1] != 's' && f[i+1] != 'v') {
			return "", "", nil, false
		}
		verbAt = i
		i++
	}
	if verbAt < 0 {
		return "", "", nil, false
	}
	unesc := func(s string) string { return strings.ReplaceAll(s, "%%", "%") }
	return unesc(f[:verbAt]), unesc(f[verbAt+2:]), ce.Args[1], true
}

func (a *analyzer) placeholderFix(call *ast.CallExpr, arg ast.Expr, ctx *sinkCtx) *analysis.SuggestedFix {
	switch ctx.p.Fragment {
	case legacyapi.FragCondition, legacyapi.FragStatement, legacyapi.FragExpr, legacyapi.FragJoin:
	default:
		return nil
	}
	if ctx.p.ArgsFrom < 0 || ctx.p.ArgsFrom > len(call.Args) {
		return nil
	}
	style := ctx.lib.PlaceholderOf(ctx.p)
	if style == legacyapi.PlaceholderNamed {
		return nil
	}
	if style == legacyapi.PlaceholderQuestion && len(call.Args) > ctx.p.ArgsFrom {
		return nil // the new ? would have to be numbered among the others
	}
	left, right, val, ok := a.splitValue(arg)
	if !ok {
		return nil
	}
	valText := a.text(val)
	switch {
	case strings.HasSuffix(left, "'%") && strings.HasPrefix(right, "%'"):
		left, right = left[:len(left)-2], right[2:]
		valText = `"%" + ` + valText + ` + "%"`
	case strings.HasSuffix(left, "'") && strings.HasPrefix(right, "'"):
		left, right = left[:len(left)-1], right[1:]
	}
	ph := "?"
	kind := sqltext.StyleQuestion
	if style == legacyapi.PlaceholderDollar {
		n := len(call.Args) - ctx.p.ArgsFrom + 1
		if m, err := sqltext.MaxDollar(left + right); err != nil || m >= n {
			return nil
		}
		ph, kind = "$"+strconv.Itoa(n), sqltext.StyleDollar
	}
	sql := left + ph + right
	fk := fragKind(ctx.p.Fragment)
	if _, err := sqltext.ParseFragment(fk, sql, kind); err != nil {
		return nil
	}
	edits := []analysis.TextEdit{{Pos: arg.Pos(), End: arg.End(), NewText: []byte(strconv.Quote(sql))}}
	edits = append(edits, analysis.TextEdit{Pos: call.Rparen, End: call.Rparen, NewText: []byte(", " + valText)})
	if e := a.dropUnusedImport(arg, "fmt"); e != nil {
		edits = append(edits, *e)
	}
	return &analysis.SuggestedFix{Message: "pass the value as a placeholder argument", TextEdits: edits}
}

func fragKind(f legacyapi.Fragment) sqltext.Kind {
	switch f {
	case legacyapi.FragCondition:
		return sqltext.Condition
	case legacyapi.FragJoin:
		return sqltext.Join
	case legacyapi.FragExpr:
		return sqltext.Expr
	}
	return sqltext.Statement
}

func (a *analyzer) orderFix(call *ast.CallExpr, arg ast.Expr, ctx *sinkCtx) *analysis.SuggestedFix {
	if ctx.lib != legacyapi.GORMv2 || ctx.m.Name != "Order" {
		return nil
	}
	switch ast.Unparen(arg).(type) {
	case *ast.Ident, *ast.SelectorExpr, *ast.CallExpr, *ast.IndexExpr:
	default:
		return nil
	}
	if ce, ok := ast.Unparen(arg).(*ast.CallExpr); ok {
		if fn, _ := typeutil.Callee(a.pass.TypesInfo, ce).(*types.Func); fn != nil && fn.Pkg() != nil && fn.Pkg().Path() == "fmt" {
			return nil // formatted text is not one column name
		}
	}
	if !isString(a.pass.TypesInfo.TypeOf(arg)) {
		return nil
	}
	file := a.fileOf(call.Pos())
	if file == nil {
		return nil
	}
	name, importEdit := a.clauseImport(file)
	text := name + ".OrderByColumn{Column: " + name + ".Column{Name: " + a.text(arg) + "}}"
	edits := []analysis.TextEdit{{Pos: arg.Pos(), End: arg.End(), NewText: []byte(text)}}
	if importEdit != nil {
		edits = append(edits, *importEdit)
	}
	return &analysis.SuggestedFix{Message: "order by a quoted column (clause.OrderByColumn)", TextEdits: edits}
}

func (a *analyzer) fileOf(pos token.Pos) *ast.File {
	for _, f := range a.pass.Files {
		if f.FileStart <= pos && pos <= f.FileEnd {
			return f
		}
	}
	return nil
}

// clauseImport returns the name under which gorm.io/gorm/clause is
// imported, and the edit that imports it when it is not.
func (a *analyzer) clauseImport(f *ast.File) (string, *analysis.TextEdit) {
	const path = "gorm.io/gorm/clause"
	for _, is := range f.Imports {
		if p, _ := strconv.Unquote(is.Path.Value); p == path {
			if is.Name != nil {
				return is.Name.Name, nil
			}
			return "clause", nil
		}
	}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.IMPORT {
			continue
		}
		if gd.Lparen.IsValid() && len(gd.Specs) > 0 {
			// Next to gorm.io/gorm when it is imported (the same group),
			// else after the last import.
			after := gd.Specs[len(gd.Specs)-1]
			for _, sp := range gd.Specs {
				if is, ok := sp.(*ast.ImportSpec); ok && is.Path.Value == `"gorm.io/gorm"` {
					after = sp
				}
			}
			return "clause", &analysis.TextEdit{Pos: after.End(), End: after.End(), NewText: []byte("\n\t" + strconv.Quote(path))}
		}
		return "clause", &analysis.TextEdit{Pos: gd.End(), End: gd.End(), NewText: []byte("\nimport " + strconv.Quote(path))}
	}
	return "clause", &analysis.TextEdit{Pos: f.Name.End(), End: f.Name.End(), NewText: []byte("\n\nimport " + strconv.Quote(path))}
}

func (a *analyzer) text(e ast.Expr) string {
	var b bytes.Buffer
	if err := format.Node(&b, a.pass.Fset, e); err != nil {
		return types.ExprString(e)
	}
	return b.String()
}

// dropUnusedImport deletes the import of path when the expression being
// replaced holds the file's only uses of it (a Sprintf turned into a
// placeholder must not leave "fmt" unused).
func (a *analyzer) dropUnusedImport(replaced ast.Expr, path string) *analysis.TextEdit {
	file := a.fileOf(replaced.Pos())
	if file == nil {
		return nil
	}
	var spec *ast.ImportSpec
	for _, is := range file.Imports {
		if p, _ := strconv.Unquote(is.Path.Value); p == path {
			spec = is
		}
	}
	if spec == nil || (spec.Name != nil && (spec.Name.Name == "_" || spec.Name.Name == ".")) {
		return nil
	}
	uses := 0
	ast.Inspect(file, func(n ast.Node) bool {
		id, ok := n.(*ast.Ident)
		if !ok {
			return true
		}
		if pn, ok := a.pass.TypesInfo.Uses[id].(*types.PkgName); ok && pn.Imported().Path() == path {
			if id.Pos() < replaced.Pos() || id.Pos() >= replaced.End() {
				uses++
			}
		}
		return true
	})
	if uses > 0 {
		return nil
	}
	// Delete the spec's line (from the end of the previous line).
	tf := a.pass.Fset.File(spec.Pos())
	start := tf.LineStart(tf.Line(spec.Pos()))
	end := spec.End()
	if l := tf.Line(spec.End()); l < tf.LineCount() {
		end = tf.LineStart(l + 1)
	}
	return &analysis.TextEdit{Pos: start, End: end, NewText: nil}
}
