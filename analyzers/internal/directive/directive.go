// Package directive reads ormshift's comment directives:
//
//	//ormshift:ignore RULE[,RULE...] reason
//	// ormshift:todo(RULE): reason
//
// An ignore written at the end of a line applies to that line; written on a
// line of its own it applies to the statement that starts on the next line
// (all its lines; for if/for/switch only the header). RULE is an analyzer
// name ("legacycall"), a rule id ("legacycall/read") or "all".
package directive

import (
	"go/ast"
	"go/token"
	"regexp"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/ormshift/ormshift/analyzers/internal/rules"
)

// Ignore is one //ormshift:ignore directive.
type Ignore struct {
	Pos, End token.Pos // the comment
	Rules    []string
	Reason   string
	// From and To are the lines it applies to (inclusive) in File.
	File     string
	From, To int
	// OwnLine is true when the comment is alone on its line.
	OwnLine bool
	// Used is set by the driver when the directive suppressed a finding.
	Used bool
}

// Todo is one // ormshift:todo(RULE): reason comment.
type Todo struct {
	Pos, End token.Pos
	Rule     string
	Reason   string
}

// Problem is a malformed directive.
type Problem struct {
	Pos, End token.Pos
	Message  string
}

var todoRe = regexp.MustCompile(`^ormshift:todo\(([^)]*)\):?\s*(.*)$`)

// Parse returns the directives of one file.
func Parse(fset *token.FileSet, f *ast.File) (ignores []*Ignore, todos []*Todo, problems []Problem) {
	tf := fset.File(f.Pos())
	if tf == nil {
		return nil, nil, nil
	}
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			text := c.Text
			if !strings.HasPrefix(text, "//") {
				continue
			}
			body := strings.TrimPrefix(text, "//")
			trimmed := strings.TrimSpace(body)
			switch {
			case strings.HasPrefix(body, "ormshift:ignore"):
				rest := strings.TrimPrefix(body, "ormshift:ignore")
				if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
					continue // ormshift:ignored..., not ours
				}
				fields := strings.Fields(rest)
				if len(fields) == 0 {
					problems = append(problems, Problem{Pos: c.Pos(), End: c.End(), Message: "ormshift:ignore needs a rule: //ormshift:ignore RULE reason"})
					continue
				}
				ig := &Ignore{Pos: c.Pos(), End: c.End(), File: tf.Name()}
				for _, r := range strings.Split(fields[0], ",") {
					if r = strings.TrimSpace(r); r != "" {
						ig.Rules = append(ig.Rules, r)
					}
				}
				ig.Reason = strings.TrimSpace(strings.Join(fields[1:], " "))
				line := tf.Line(c.Pos())
				ig.OwnLine = ownLine(f, tf, c)
				ig.From, ig.To = line, line
				if ig.OwnLine {
					ig.From, ig.To = line+1, stmtEnd(f, tf, line+1)
				}
				ignores = append(ignores, ig)
			case strings.HasPrefix(trimmed, "ormshift:todo"):
				m := todoRe.FindStringSubmatch(trimmed)
				if m == nil || strings.TrimSpace(m[1]) == "" {
					problems = append(problems, Problem{Pos: c.Pos(), End: c.End(), Message: "malformed ormshift:todo: want // ormshift:todo(RULE): reason"})
					continue
				}
				todos = append(todos, &Todo{Pos: c.Pos(), End: c.End(), Rule: strings.TrimSpace(m[1]), Reason: strings.TrimSpace(m[2])})
			}
		}
	}
	return ignores, todos, problems
}

// Covers reports whether the directive applies to a finding with rule id at
// line of file.
func (ig *Ignore) Covers(file string, line int, id string) bool {
	if file != ig.File || line < ig.From || line > ig.To {
		return false
	}
	return ig.Selects(id)
}

// Selects reports whether one of the directive's rules selects id.
func (ig *Ignore) Selects(id string) bool {
	for _, r := range ig.Rules {
		if rules.Matches(r, id) {
			return true
		}
	}
	return false
}

// ownLine reports whether no code precedes the comment on its line.
func ownLine(f *ast.File, tf *token.File, c *ast.Comment) bool {
	line := tf.Line(c.Pos())
	start := tf.LineStart(line)
	own := true
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil || !own {
			return false
		}
		switch n.(type) {
		case *ast.File:
			return true
		case *ast.CommentGroup, *ast.Comment:
			return false
		}
		if n.End() < start || n.Pos() >= c.Pos() {
			return false
		}
		if (tf.Line(n.End()) == line && n.End() <= c.Pos()) || (tf.Line(n.Pos()) == line && n.Pos() < c.Pos()) {
			own = false
			return false
		}
		return true
	})
	return own
}

// stmtEnd returns the last line of the statement or declaration starting on
// line (only the header of if/for/switch/select), or line itself.
func stmtEnd(f *ast.File, tf *token.File, line int) int {
	end := line
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil {
			return false
		}
		if tf.Line(n.End()) < line {
			return false
		}
		if tf.Line(n.Pos()) > line {
			return false
		}
		if tf.Line(n.Pos()) == line {
			var last token.Pos
			switch x := n.(type) {
			case *ast.IfStmt:
				last = x.Body.Lbrace
			case *ast.ForStmt:
				last = x.Body.Lbrace
			case *ast.RangeStmt:
				last = x.Body.Lbrace
			case *ast.SwitchStmt:
				last = x.Body.Lbrace
			case *ast.TypeSwitchStmt:
				last = x.Body.Lbrace
			case *ast.SelectStmt:
				last = x.Body.Lbrace
			case *ast.BlockStmt, *ast.FuncDecl, *ast.CaseClause, *ast.CommClause, *ast.FuncLit, *ast.GenDecl:
				return true
			case ast.Stmt, *ast.ValueSpec, ast.Expr:
				last = x.End()
			default:
				return true
			}
			if l := tf.Line(last); l > end {
				end = l
			}
			return false
		}
		return true
	})
	return end
}

// Filter returns a copy of a whose diagnostics covered by an
// //ormshift:ignore directive are dropped. Drivers that cannot see all
// analyzers' findings at once (go vet -vettool, golangci-lint) use it; the
// ormshift vet driver suppresses itself and also reports unused ignores.
func Filter(a *analysis.Analyzer) *analysis.Analyzer {
	g := *a
	run := a.Run
	g.Run = func(pass *analysis.Pass) (any, error) {
		var ignores []*Ignore
		for _, f := range pass.Files {
			igs, _, _ := Parse(pass.Fset, f)
			ignores = append(ignores, igs...)
		}
		if len(ignores) > 0 {
			report := pass.Report
			pass.Report = func(d analysis.Diagnostic) {
				p := pass.Fset.Position(d.Pos)
				id := rules.ID(a.Name, d.Category)
				for _, ig := range ignores {
					if ig.Covers(p.Filename, p.Line, id) {
						return
					}
				}
				report(d)
			}
		}
		return run(pass)
	}
	return &g
}
