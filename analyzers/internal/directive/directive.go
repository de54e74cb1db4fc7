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
	"fmt"
	"go/ast"
	"go/token"
	"reflect"
	"regexp"
	"strings"
	"sync"

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
			// "// ormshift:ignore" (with a blank, as gofmt users write
			// ordinary comments) is accepted like "//ormshift:ignore".
			case strings.HasPrefix(trimmed, "ormshift:ignore"):
				rest := strings.TrimPrefix(trimmed, "ormshift:ignore")
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
// Track does the same and also records which ignores were used.
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

// Messages of the driver rules, shared by every driver so that ormshift
// vet, go vet -vettool and golangci-lint say the same thing.

// ReasonMessage is the ormshift/ignore-reason message.
func ReasonMessage(ig *Ignore) string {
	return fmt.Sprintf("ormshift:ignore %s has no reason: write why after the rule", strings.Join(ig.Rules, ","))
}

// UnusedMessage is the ormshift/unused-ignore message.
func UnusedMessage(ig *Ignore) string {
	return fmt.Sprintf("ormshift:ignore %s suppresses nothing: remove it", strings.Join(ig.Rules, ","))
}

// TodoMessage is the ormshift/todo message.
func TodoMessage(t *Todo) string {
	msg := fmt.Sprintf("ormshift:todo(%s)", t.Rule)
	if t.Reason != "" {
		msg += ": " + t.Reason
	}
	return msg
}

// UnknownRules returns the rules of the directive that name no registered
// analyzer or rule (a typo would otherwise silently suppress nothing).
func (ig *Ignore) UnknownRules() []string {
	var out []string
	for _, r := range ig.Rules {
		if !rules.Known(r) {
			out = append(out, r)
		}
	}
	return out
}

// UnknownMessage is the ormshift/bad-directive message for unknown rules.
func UnknownMessage(unknown []string) string {
	return fmt.Sprintf("ormshift:ignore names unknown rule %s (ormshift vet --rules lists them)", strings.Join(unknown, ", "))
}

// Ran reports whether one of the directive's rules belongs to an analyzer
// that ran (ran[name]) and is enabled: only then can it be called unused.
func (ig *Ignore) Ran(ran map[string]bool, enabled func(string) bool) bool {
	for _, r := range ig.Rules {
		name, _, _ := strings.Cut(r, "/")
		if r == "all" || (ran[name] && (enabled == nil || enabled(r))) {
			return true
		}
	}
	return false
}

// RemovalRange is what deleting the directive removes: its whole line when
// the comment is alone on it, else the comment and the blanks before it
// (src is the file's content; nil leaves the blanks).
func RemovalRange(tf *token.File, src []byte, ig *Ignore) (start, end token.Pos) {
	start, end = ig.Pos, ig.End
	if ig.OwnLine {
		line := tf.Line(ig.Pos)
		start = tf.LineStart(line)
		if line < tf.LineCount() {
			end = tf.LineStart(line + 1)
		}
		return start, end
	}
	if off := tf.Offset(start); off <= len(src) {
		for off > 0 && (src[off-1] == ' ' || src[off-1] == '\t') {
			off--
		}
		start = tf.Pos(off)
	}
	return start, end
}

// Usage is the result of a Track'ed analyzer: the positions of the
// ignores that suppressed at least one of its diagnostics.
type Usage struct {
	Analyzer string
	Used     map[token.Pos]bool
}

// Track returns a copy of a that drops the diagnostics covered by an
// //ormshift:ignore directive and those whose rule is not enabled
// (enabled nil = all), and whose result is a *Usage saying which ignores
// were used. The wrapped analyzer's own result is not passed on, so only
// Reporter may Require a tracked analyzer.
func Track(a *analysis.Analyzer, enabled func(id string) bool) *analysis.Analyzer {
	g := *a
	run := a.Run
	g.ResultType = reflect.TypeOf((*Usage)(nil))
	g.Run = func(pass *analysis.Pass) (any, error) {
		var ignores []*Ignore
		for _, f := range pass.Files {
			igs, _, _ := Parse(pass.Fset, f)
			ignores = append(ignores, igs...)
		}
		u := &Usage{Analyzer: a.Name, Used: map[token.Pos]bool{}}
		var mu sync.Mutex
		report := pass.Report
		pass.Report = func(d analysis.Diagnostic) {
			id := rules.ID(a.Name, d.Category)
			p := pass.Fset.Position(d.Pos)
			hit := false
			for _, ig := range ignores {
				if ig.Covers(p.Filename, p.Line, id) {
					mu.Lock()
					u.Used[ig.Pos] = true
					mu.Unlock()
					hit = true
				}
			}
			if hit || (enabled != nil && !enabled(id)) {
				return
			}
			report(d)
		}
		if _, err := run(pass); err != nil {
			return nil, err
		}
		return u, nil
	}
	return &g
}

// Reporter returns the analyzer "ormshift" for drivers that analyze one
// package at a time (go vet -vettool, golangci-lint): it requires the
// tracked analyzers (see Track) and reports, per package, the driver rules
// ormshift vet reports: ormshift/ignore-reason, ormshift/unused-ignore
// (for ignores of the tracked analyzers that suppressed nothing),
// ormshift/todo and ormshift/bad-directive, each when enabled (nil = all).
func Reporter(tracked []*analysis.Analyzer, enabled func(id string) bool) *analysis.Analyzer {
	on := func(id string) bool { return enabled == nil || enabled(id) }
	ran := map[string]bool{}
	for _, t := range tracked {
		ran[t.Name] = true
	}
	return &analysis.Analyzer{
		Name: rules.DriverAnalyzer,
		Doc: `ormshift's directive checks

Reports //ormshift:ignore directives without a reason, that suppress nothing
or that name unknown rules, and // ormshift:todo markers left by ormshift
rewrite --mark.`,
		URL:      "https://github.com/ormshift/ormshift/blob/main/docs/analyzers.md#suppression-and-markers",
		Requires: tracked,
		Run: func(pass *analysis.Pass) (any, error) {
			used := map[token.Pos]bool{}
			for _, t := range tracked {
				if u, ok := pass.ResultOf[t].(*Usage); ok {
					for p := range u.Used {
						used[p] = true
					}
				}
			}
			report := func(id string, pos, end token.Pos, msg string, fixes ...analysis.SuggestedFix) {
				if on(id) {
					pass.Report(analysis.Diagnostic{Pos: pos, End: end, Category: id, Message: msg, SuggestedFixes: fixes})
				}
			}
			for _, f := range pass.Files {
				ignores, todos, problems := Parse(pass.Fset, f)
				for _, ig := range ignores {
					if ig.Reason == "" {
						report(rules.IgnoreReason, ig.Pos, ig.End, ReasonMessage(ig))
					}
					if unknown := ig.UnknownRules(); len(unknown) > 0 {
						report(rules.BadDirective, ig.Pos, ig.End, UnknownMessage(unknown))
					}
					if used[ig.Pos] || !ig.Ran(ran, enabled) {
						continue
					}
					tf := pass.Fset.File(ig.Pos)
					var src []byte
					if pass.ReadFile != nil {
						src, _ = pass.ReadFile(tf.Name())
					}
					start, end := RemovalRange(tf, src, ig)
					report(rules.UnusedIgnore, ig.Pos, ig.End, UnusedMessage(ig), analysis.SuggestedFix{
						Message:   "remove the unused ormshift:ignore",
						TextEdits: []analysis.TextEdit{{Pos: start, End: end}},
					})
				}
				for _, t := range todos {
					report(rules.Todo, t.Pos, t.End, TodoMessage(t))
				}
				for _, pr := range problems {
					report(rules.BadDirective, pr.Pos, pr.End, pr.Message)
				}
			}
			return nil, nil
		},
	}
}
