// Package vetdriver runs ormshift's analyzer suite over packages the way
// `go vet` does, and adds what go vet leaves out: rule ids, enable/disable
// by analyzer or rule, //ormshift:ignore suppression (with checks that each
// ignore has a reason and suppresses something), // ormshift:todo markers,
// JSON, SARIF 2.1.0 and applying suggested fixes.
//
// Packages are loaded with golang.org/x/tools/go/packages: the packages
// named by the patterns are type-checked from source and everything else
// (the standard library, GORM, ...) comes from the go command's export data,
// so a warm build cache makes loading cheap. Facts flow between the loaded
// packages in dependency order (golang.org/x/tools/go/analysis/checker).
package vetdriver

import (
	"context"
	"errors"
	"fmt"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"

	"github.com/ormshift/ormshift/analyzers/internal/directive"
	"github.com/ormshift/ormshift/analyzers/internal/rules"
)

// Config says what to analyze and how.
type Config struct {
	Dir        string   // working directory ("" = current)
	Patterns   []string // package patterns ("./...")
	Tests      bool     // include test files
	BuildFlags []string // passed to the go command (-tags=...)
	Env        []string // environment (nil = os.Environ())
	Analyzers  []*analysis.Analyzer
	// Enable, when not empty, keeps only the listed analyzers or rules;
	// Disable removes the listed ones. Entries are analyzer names, rule
	// ids, or "all".
	Enable, Disable []string
	// Cache reuses the report of an identical earlier run (same binary,
	// configuration, sources and dependencies); see cache.go. Callers that
	// need the loaded packages (fixes, inventory) leave it off.
	Cache bool

	// quiet are the IDs of packages Load analyzes for their facts only, set
	// by Load: module packages the patterns import but do not name, and,
	// with tests, p when "p [p.test]" is reported.
	quiet map[string]bool
}

// Position is a resolved source position.
type Position struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
	Offset int    `json:"offset"`
}

func (p Position) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column) }

// Edit replaces bytes [Start, End) of File with New.
type Edit struct {
	File  string   `json:"file"`
	Start Position `json:"start"`
	End   Position `json:"end"`
	New   string   `json:"new"`
}

// Fix is one suggested fix.
type Fix struct {
	Message string `json:"message"`
	Edits   []Edit `json:"edits"`
}

// Finding is one diagnostic after suppression.
type Finding struct {
	Package  string   `json:"package"`
	Analyzer string   `json:"analyzer"`
	Rule     string   `json:"rule"`
	Pos      Position `json:"pos"`
	End      Position `json:"end"`
	Message  string   `json:"message"`
	URL      string   `json:"url,omitempty"`
	Fixes    []Fix    `json:"fixes,omitempty"`
}

// PackageError is a package that could not be (fully) analyzed.
type PackageError struct {
	Package string `json:"package"`
	Pos     string `json:"pos,omitempty"`
	Message string `json:"message"`
}

func (e PackageError) String() string {
	if e.Pos != "" {
		return e.Pos + ": " + e.Message
	}
	return e.Package + ": " + e.Message
}

// Report is the outcome of a run.
type Report struct {
	Findings   []Finding      `json:"findings"`
	Errors     []PackageError `json:"errors,omitempty"`
	Packages   []string       `json:"packages"`
	Suppressed int            `json:"suppressed"`
	// Analyzers are the names of the analyzers that ran.
	Analyzers []string `json:"analyzers"`

	// Loaded are the analyzed packages; Graph the analysis graph (for
	// callers such as inventory that read analyzer results: skip the
	// roots for which Quiet is true, analyzed for their facts only).
	Loaded []*packages.Package `json:"-"`
	quiet  map[string]bool
	// Cached is true when the report was replayed from the cache.
	Cached bool           `json:"-"`
	Graph  *checker.Graph `json:"-"`
	Fset   *token.FileSet `json:"-"`
}

// LoadMode is the go/packages mode the driver uses.
const LoadMode = packages.NeedName | packages.NeedFiles | packages.NeedCompiledGoFiles | packages.NeedImports |
	packages.NeedTypes | packages.NeedTypesSizes | packages.NeedSyntax | packages.NeedTypesInfo | packages.NeedModule | packages.NeedForTest

// Selected applies Enable/Disable to the analyzers: an analyzer runs
// unless disabled as a whole or not enabled by name or by one of its rules.
func Selected(all []*analysis.Analyzer, enable, disable []string) ([]*analysis.Analyzer, error) {
	known := map[string]bool{"all": true, rules.DriverAnalyzer: true}
	for _, a := range all {
		known[a.Name] = true
	}
	for _, s := range append(append([]string(nil), enable...), disable...) {
		name, _, _ := strings.Cut(s, "/")
		if !known[name] {
			return nil, fmt.Errorf("unknown analyzer or rule %q (analyzers: %s)", s, analyzerNames(all))
		}
	}
	var out []*analysis.Analyzer
	for _, a := range all {
		if len(enable) > 0 {
			on := false
			for _, e := range enable {
				name, _, _ := strings.Cut(e, "/")
				on = on || e == "all" || name == a.Name
			}
			if !on {
				continue
			}
		}
		off := false
		for _, d := range disable {
			off = off || d == "all" || d == a.Name
		}
		if !off {
			out = append(out, a)
		}
	}
	return out, nil
}

func analyzerNames(as []*analysis.Analyzer) string {
	var n []string
	for _, a := range as {
		n = append(n, a.Name)
	}
	return strings.Join(n, ", ")
}

// RuleEnabled applies Enable/Disable lists to one rule id.
func RuleEnabled(id string, enable, disable []string) bool {
	if len(enable) > 0 {
		on := false
		for _, e := range enable {
			on = on || rules.Matches(e, id) || (strings.HasPrefix(id, rules.DriverAnalyzer+"/") && !strings.Contains(e, "/"))
		}
		if !on {
			return false
		}
	}
	for _, d := range disable {
		if rules.Matches(d, id) {
			return false
		}
	}
	return true
}

// Load loads the packages of cfg for analysis. Packages with errors are
// returned separately with their errors; the others can be analyzed.
func Load(ctx context.Context, cfg *Config) (ok []*packages.Package, errs []PackageError, fset *token.FileSet, err error) {
	fset = token.NewFileSet()
	pcfg := &packages.Config{
		Context:    ctx,
		Mode:       LoadMode,
		Dir:        cfg.Dir,
		Env:        cfg.Env,
		Tests:      cfg.Tests,
		BuildFlags: cfg.BuildFlags,
		Fset:       fset,
	}
	patterns := cfg.Patterns
	if len(patterns) == 0 {
		patterns = []string{"."}
	}
	pkgs, err := packages.Load(pcfg, patterns...)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("load %s: %w", strings.Join(patterns, " "), err)
	}
	// Facts (helpers that reach a sink, chains built in helpers, table
	// names) come from the packages analyzed from source. When the patterns
	// leave out packages of the main module that the named ones import
	// (ormshift vet ./api, where api calls service), load those too, for
	// their facts only: their findings are not reported. Each round adds
	// the module-local imports of the packages loaded so far.
	requested := map[string]bool{}
	for _, p := range pkgs {
		requested[p.ID] = true
	}
	if len(moduleLocalImports(pkgs)) > 0 {
		// The whole module-local closure, from a cheap go list -deps.
		deps, err := packages.Load(&packages.Config{
			Context: ctx, Dir: cfg.Dir, Env: cfg.Env, Tests: cfg.Tests, BuildFlags: cfg.BuildFlags,
			Mode: packages.NeedName | packages.NeedImports | packages.NeedDeps | packages.NeedModule,
		}, patterns...)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("load %s: %w", strings.Join(patterns, " "), err)
		}
		named := map[string]bool{}
		for _, p := range pkgs {
			named[p.PkgPath] = true
		}
		var more []string
		packages.Visit(deps, nil, func(p *packages.Package) {
			if p.Module != nil && p.Module.Main && !named[p.PkgPath] && p.ForTest == "" && !strings.HasSuffix(p.PkgPath, "_test") && !strings.HasSuffix(p.ID, ".test") {
				named[p.PkgPath] = true
				more = append(more, p.PkgPath)
			}
		})
		sort.Strings(more)
		if len(more) > 0 {
			fset = token.NewFileSet()
			pcfg.Fset = fset
			pkgs, err = packages.Load(pcfg, append(append([]string(nil), patterns...), more...)...)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("load %s: %w", strings.Join(patterns, " "), err)
			}
		}
	}
	// With tests, "p [p.test]" contains p's files: report its findings,
	// not p's. p is still analyzed, quietly, because the other packages
	// import p (not p [p.test]) and need its facts. The generated test main
	// "p.test" is skipped.
	hasTestVariant := map[string]bool{}
	for _, p := range pkgs {
		if p.ForTest != "" && p.PkgPath == p.ForTest {
			hasTestVariant[p.PkgPath] = true
		}
	}
	cfg.quiet = map[string]bool{}
	dupOf := map[*packages.Package]bool{}
	var roots []*packages.Package
	for _, p := range pkgs {
		if strings.HasSuffix(p.ID, ".test") && p.Name == "main" && p.ForTest == "" {
			continue
		}
		dup := p.ForTest == "" && hasTestVariant[p.PkgPath]
		if dup || !requested[p.ID] {
			cfg.quiet[p.ID] = true
		}
		if dup {
			dupOf[p] = true
		}
		roots = append(roots, p)
	}
	bad := map[*packages.Package]bool{}
	for _, p := range roots {
		if len(p.Errors) == 0 && p.Types != nil && p.TypesInfo != nil {
			// IllTyped also says "a dependency has errors"; this package
			// type-checked, so analyze it.
			p.IllTyped = false
			continue
		}
		bad[p] = true
		if dupOf[p] {
			continue // "p [p.test]" reports the same errors
		}
		if len(p.Errors) == 0 {
			errs = append(errs, PackageError{Package: p.ID, Message: "package could not be type-checked"})
		}
		// go list's build output ("# pkg\nfile:line: msg") repeats the type
		// errors; keep it only when there is nothing else.
		others := false
		for _, e := range p.Errors {
			others = others || !(e.Kind == packages.ListError && strings.HasPrefix(e.Msg, "# "))
		}
		seen := map[string]bool{}
		for _, e := range p.Errors {
			if others && e.Kind == packages.ListError && strings.HasPrefix(e.Msg, "# ") {
				continue
			}
			k := e.Pos + e.Msg
			if seen[k] {
				continue
			}
			seen[k] = true
			errs = append(errs, PackageError{Package: p.ID, Pos: relPos(cfg.Dir, e.Pos), Message: e.Msg})
		}
	}
	// Facts flow only between the packages loaded from source: prune the
	// import graph to them, and drop packages that failed.
	isRoot := map[*packages.Package]bool{}
	for _, p := range roots {
		if !bad[p] {
			isRoot[p] = true
		}
	}
	for _, p := range roots {
		if bad[p] {
			continue
		}
		imports := map[string]*packages.Package{}
		for path, ip := range p.Imports {
			if isRoot[ip] {
				imports[path] = ip
			}
		}
		p.Imports = imports
		ok = append(ok, p)
	}
	sort.Slice(ok, func(i, j int) bool { return ok[i].ID < ok[j].ID })
	return ok, errs, fset, nil
}

// Run loads and analyzes the packages of cfg.
func Run(ctx context.Context, cfg *Config) (rep *Report, err error) {
	analyzers, err := Selected(cfg.Analyzers, cfg.Enable, cfg.Disable)
	if err != nil {
		return nil, err
	}
	var key string
	if cfg.Cache {
		var names []string
		for _, a := range analyzers {
			names = append(names, a.Name)
		}
		if key, err = runKey(ctx, cfg, names); err == nil {
			if rep, ok := loadCached(key); ok {
				return rep, nil
			}
		} else {
			key = ""
		}
	}
	pkgs, perrs, fset, err := Load(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if key != "" {
		defer func() {
			if rep != nil && err == nil {
				storeCached(key, rep)
			}
		}()
	}
	rep = &Report{Errors: perrs, Fset: fset, quiet: cfg.quiet}
	for _, a := range analyzers {
		rep.Analyzers = append(rep.Analyzers, a.Name)
	}
	for _, p := range pkgs {
		if !cfg.quiet[p.ID] {
			rep.Packages = append(rep.Packages, p.ID)
			rep.Loaded = append(rep.Loaded, p)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var raw []rawDiag
	if len(pkgs) > 0 && len(analyzers) > 0 {
		wrapped := make([]*analysis.Analyzer, len(analyzers))
		for i, a := range analyzers {
			wrapped[i] = guard(a)
		}
		graph, err := checker.Analyze(wrapped, pkgs, nil)
		if err != nil {
			return nil, fmt.Errorf("analyze: %w", err)
		}
		rep.Graph = graph
		for _, act := range graph.Roots {
			if cfg.quiet[act.Package.ID] {
				continue // analyzed for its facts only
			}
			if act.Err != nil {
				rep.Errors = append(rep.Errors, PackageError{Package: act.Package.ID, Message: fmt.Sprintf("%s: %v", act.Analyzer.Name, act.Err)})
				continue
			}
			for _, d := range act.Diagnostics {
				raw = append(raw, rawDiag{pkg: act.Package, analyzer: act.Analyzer.Name, d: d})
			}
		}
	}
	rep.Findings, rep.Suppressed = suppress(cfg, fset, rep.Loaded, raw)
	sortFindings(rep.Findings)
	sort.Slice(rep.Errors, func(i, j int) bool {
		if rep.Errors[i].Package != rep.Errors[j].Package {
			return rep.Errors[i].Package < rep.Errors[j].Package
		}
		return rep.Errors[i].Pos < rep.Errors[j].Pos
	})
	return rep, nil
}

// Quiet reports whether the package with that ID was analyzed only for
// the facts the reported packages need (a module package the patterns did
// not name, or p when its test variant "p [p.test]" is reported).
func (r *Report) Quiet(id string) bool { return r.quiet[id] }

// guard returns a copy of a whose Run turns a panic into an error, so one
// analyzer failing on strange input does not take the run down.
func guard(a *analysis.Analyzer) *analysis.Analyzer {
	g := *a
	run := a.Run
	g.Run = func(pass *analysis.Pass) (res any, err error) {
		defer func() {
			if r := recover(); r != nil {
				res, err = nil, fmt.Errorf("internal error (panic): %v", r)
			}
		}()
		return run(pass)
	}
	return &g
}

type rawDiag struct {
	pkg      *packages.Package
	analyzer string
	d        analysis.Diagnostic
}

// suppress applies rule selection and //ormshift:ignore directives, and
// adds the driver's own findings (ignore problems, todos).
func suppress(cfg *Config, fset *token.FileSet, pkgs []*packages.Package, raw []rawDiag) ([]Finding, int) {
	type fileDirs struct {
		pkg     *packages.Package
		ignores []*directive.Ignore
	}
	byFile := map[string]*fileDirs{}
	var out []Finding
	enabled := func(id string) bool { return RuleEnabled(id, cfg.Enable, cfg.Disable) }
	analyzerOn := map[string]bool{rules.DriverAnalyzer: true}
	for _, a := range cfg.Analyzers {
		analyzerOn[a.Name] = true
	}
	if sel, err := Selected(cfg.Analyzers, cfg.Enable, cfg.Disable); err == nil {
		analyzerOn = map[string]bool{rules.DriverAnalyzer: true}
		for _, a := range sel {
			analyzerOn[a.Name] = true
		}
	}
	driver := func(p *packages.Package, id string, pos, end token.Pos, msg string, fixes []Fix) {
		if !enabled(id) {
			return
		}
		out = append(out, Finding{Package: p.ID, Analyzer: rules.DriverAnalyzer, Rule: id,
			Pos: position(cfg.Dir, fset, pos), End: position(cfg.Dir, fset, end), Message: msg, Fixes: fixes})
	}
	for _, p := range pkgs {
		for _, f := range p.Syntax {
			tf := fset.File(f.Pos())
			if tf == nil {
				continue
			}
			ignores, todos, problems := directive.Parse(fset, f)
			byFile[tf.Name()] = &fileDirs{pkg: p, ignores: ignores}
			for _, ig := range ignores {
				if ig.Reason == "" {
					driver(p, rules.IgnoreReason, ig.Pos, ig.End, directive.ReasonMessage(ig), nil)
				}
				if unknown := ig.UnknownRules(); len(unknown) > 0 {
					driver(p, rules.BadDirective, ig.Pos, ig.End, directive.UnknownMessage(unknown), nil)
				}
			}
			for _, t := range todos {
				driver(p, rules.Todo, t.Pos, t.End, directive.TodoMessage(t), nil)
			}
			for _, pr := range problems {
				driver(p, rules.BadDirective, pr.Pos, pr.End, pr.Message, nil)
			}
		}
	}
	suppressed := 0
	for _, r := range raw {
		id := rules.ID(r.analyzer, r.d.Category)
		if !enabled(id) {
			continue
		}
		pos := fset.Position(r.d.Pos)
		if fd := byFile[pos.Filename]; fd != nil {
			hit := false
			for _, ig := range fd.ignores {
				if ig.Covers(pos.Filename, pos.Line, id) {
					ig.Used, hit = true, true
				}
			}
			if hit {
				suppressed++
				continue
			}
		}
		end := r.d.End
		if !end.IsValid() {
			end = r.d.Pos
		}
		f := Finding{Package: r.pkg.ID, Analyzer: r.analyzer, Rule: id, Pos: position(cfg.Dir, fset, r.d.Pos),
			End: position(cfg.Dir, fset, end), Message: r.d.Message, URL: r.d.URL}
		for _, sf := range r.d.SuggestedFixes {
			fx := Fix{Message: sf.Message}
			for _, e := range sf.TextEdits {
				ee := e.End
				if !ee.IsValid() {
					ee = e.Pos
				}
				fx.Edits = append(fx.Edits, Edit{File: fset.Position(e.Pos).Filename, Start: position("", fset, e.Pos), End: position("", fset, ee), New: string(e.NewText)})
			}
			f.Fixes = append(f.Fixes, fx)
		}
		out = append(out, f)
	}
	// Ignores that suppressed nothing, for rules that ran.
	files := make([]string, 0, len(byFile))
	for name := range byFile {
		files = append(files, name)
	}
	sort.Strings(files)
	for _, name := range files {
		fd := byFile[name]
		for _, ig := range fd.ignores {
			if ig.Used || !ig.Ran(analyzerOn, enabled) {
				continue
			}
			driver(fd.pkg, rules.UnusedIgnore, ig.Pos, ig.End, directive.UnusedMessage(ig),
				[]Fix{removeComment(fset, name, ig)})
		}
	}
	return out, suppressed
}

// removeComment is the fix that deletes an unused directive: the whole line
// when the comment is alone on it, else the comment and the blanks before.
func removeComment(fset *token.FileSet, name string, ig *directive.Ignore) Fix {
	tf := fset.File(ig.Pos)
	var src []byte
	if !ig.OwnLine {
		src, _ = os.ReadFile(name)
	}
	start, end := directive.RemovalRange(tf, src, ig)
	return Fix{Message: "remove the unused ormshift:ignore", Edits: []Edit{{
		File: name, Start: position("", fset, start), End: position("", fset, end), New: "",
	}}}
}

func position(dir string, fset *token.FileSet, pos token.Pos) Position {
	p := fset.Position(pos)
	name := p.Filename
	if dir != "" || name != "" {
		name = relPath(dir, name)
	}
	return Position{File: name, Line: p.Line, Column: p.Column, Offset: p.Offset}
}

// relPath makes name relative to dir (or the working directory) when it is
// inside it, as go vet prints paths.
func relPath(dir, name string) string {
	if name == "" || !filepath.IsAbs(name) {
		return name
	}
	base := dir
	if base == "" {
		wd, err := os.Getwd()
		if err != nil {
			return name
		}
		base = wd
	} else if abs, err := filepath.Abs(base); err == nil {
		base = abs
	}
	rel, err := filepath.Rel(base, name)
	if err != nil || strings.HasPrefix(rel, "..") {
		return name
	}
	return rel
}

func relPos(dir, pos string) string {
	if pos == "" || pos == "-" {
		return ""
	}
	// file:line:col
	i := strings.Index(pos, ".go:")
	if i < 0 {
		return pos
	}
	return relPath(dir, pos[:i+3]) + pos[i+3:]
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i].Pos, fs[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return fs[i].Rule < fs[j].Rule
	})
}

// ErrNoPackages is returned when the patterns match no package.
var ErrNoPackages = errors.New("no packages to analyze")

// moduleLocalImports returns the import paths, sorted, of packages of a
// main module that the loaded packages import but that were not loaded from
// source themselves.
func moduleLocalImports(pkgs []*packages.Package) []string {
	loaded := map[string]bool{}
	var mods []string
	for _, p := range pkgs {
		loaded[p.PkgPath] = true
		if p.Module != nil && p.Module.Main {
			mods = append(mods, p.Module.Path)
		}
	}
	inModule := func(path string) bool {
		for _, m := range mods {
			if path == m || strings.HasPrefix(path, m+"/") {
				return true
			}
		}
		return false
	}
	seen := map[string]bool{}
	var out []string
	for _, p := range pkgs {
		for path := range p.Imports {
			if !loaded[path] && !seen[path] && inModule(path) {
				seen[path] = true
				out = append(out, path)
			}
		}
	}
	sort.Strings(out)
	return out
}
