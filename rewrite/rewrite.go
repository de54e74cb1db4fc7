// Package rewrite turns legacy ORM call sites into unit-of-work code.
//
// It reads the chains the legacycall analyzer reconstructs (root handle,
// links with their arguments, finisher, model), converts each call site it
// can prove equivalent with the conversions of legacyapi.Conversions, and
// leaves the others untouched with the reason. Edits are byte ranges of the
// original source, so comments and formatting outside the converted
// statements are kept; files are then gofmt'ed and their imports fixed.
// Before anything is written, every changed package is type-checked with
// the new contents; if one fails, nothing is written.
package rewrite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"

	"github.com/ormshift/ormshift/analyzers/legacyapi"
	"github.com/ormshift/ormshift/analyzers/legacycall"
	"github.com/ormshift/ormshift/analyzers/modelinfo"
)

// UowPath is the import path of the runtime that rewritten code uses.
const UowPath = "github.com/ormshift/ormshift/uow"

// FlushMode says when converted writes reach the database.
type FlushMode int

const (
	// FlushImmediate flushes right after each converted write, where the
	// legacy call wrote (the default: behaviour is kept).
	FlushImmediate FlushMode = iota
	// FlushDeferred leaves flushing to the request middleware (or the
	// enclosing Transactional); every site whose timing changes is listed.
	FlushDeferred
)

// Options configure a run.
type Options struct {
	Dir      string   // directory to run in (the module or below); "" is the current one
	Patterns []string // package patterns ("./...")
	// Rules restricts the conversions to these rule ids ("rewrite/find");
	// empty means all.
	Rules []string
	Flush FlushMode
	// Mark adds "// ormshift:todo(RULE): reason" above each skipped site.
	Mark bool
	Env  []string // environment for the go command (nil: os.Environ())
}

// FileChange is one file's old and new contents.
type FileChange struct {
	Path string // absolute
	Rel  string // slash path relative to the module root
	Old  []byte
	New  []byte
}

// Result is a planned rewrite: the new contents, type-checked, not yet
// written.
type Result struct {
	ModuleRoot string
	Files      []*FileChange
	Report     *Report
	// TypeErrors are the errors of the changed packages type-checked with
	// the new contents. Write refuses to write when there are any.
	TypeErrors []string
}

// ErrTypeCheck is returned by Write when the rewritten code does not
// type-check.
var ErrTypeCheck = errors.New("rewritten code does not type-check; nothing was written")

// Diff returns the unified diff of every changed file, in path order.
func (r *Result) Diff() []byte {
	var buf bytes.Buffer
	for _, f := range r.Files {
		buf.Write(UnifiedDiff(f.Rel, f.Old, f.New))
	}
	return buf.Bytes()
}

// Write replaces each changed file atomically. It writes nothing when the
// new code does not type-check or when a file changed on disk since it was
// read.
func (r *Result) Write() error {
	if len(r.TypeErrors) > 0 {
		return fmt.Errorf("%w:\n%s", ErrTypeCheck, strings.Join(r.TypeErrors, "\n"))
	}
	for _, f := range r.Files {
		cur, err := os.ReadFile(f.Path)
		if err != nil {
			return fmt.Errorf("re-read %s: %w", f.Rel, err)
		}
		if !bytes.Equal(cur, f.Old) {
			return fmt.Errorf("%s changed on disk since it was read; nothing was written", f.Rel)
		}
	}
	for i, f := range r.Files {
		if err := WriteFileAtomic(f.Path, f.New); err != nil {
			return fmt.Errorf("write %s (after %d of %d files were written): %w", f.Rel, i, len(r.Files), err)
		}
	}
	return nil
}

// Run plans the rewrite of the packages matched by opts.Patterns: it loads
// them, reconstructs their legacy call chains, converts what it can and
// type-checks the changed packages with the new contents. It writes
// nothing; call Write.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if len(opts.Patterns) == 0 {
		opts.Patterns = []string{"."}
	}
	for _, r := range opts.Rules {
		if legacyapi.ConversionByRule(r) == nil {
			return nil, fmt.Errorf("unknown rewrite rule %q (known: %s)", r, strings.Join(legacyapi.ConversionRules(), ", "))
		}
	}
	cfg := &packages.Config{
		Context: ctx,
		Mode:    packages.LoadAllSyntax | packages.NeedModule,
		Dir:     opts.Dir,
		Env:     opts.Env,
	}
	pkgs, err := packages.Load(cfg, opts.Patterns...)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", strings.Join(opts.Patterns, " "), err)
	}
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("no packages match %s", strings.Join(opts.Patterns, " "))
	}
	var loadErrs []string
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		for _, e := range p.Errors {
			loadErrs = append(loadErrs, e.Error())
		}
	})
	if len(loadErrs) > 0 {
		return nil, fmt.Errorf("the packages do not load cleanly; fix them first:\n%s", strings.Join(loadErrs, "\n"))
	}
	root := moduleRoot(pkgs)
	if root == "" {
		return nil, fmt.Errorf("%s is not inside a Go module", opts.Dir)
	}
	graph, err := checker.Analyze([]*analysis.Analyzer{legacycall.Analyzer}, pkgs, nil)
	if err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	tables := map[*types.TypeName]string{}
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		if p.TypesInfo != nil {
			for k, v := range modelinfo.Local(p.Syntax, p.TypesInfo) {
				tables[k] = v
			}
		}
	})
	convertAll := func(compat bool) (*rewriter, error) {
		rw := &rewriter{opts: opts, root: root, files: map[string]*fileState{}, compat: compat, tables: tables}
		for _, act := range graph.Roots {
			if act.Err != nil {
				return nil, fmt.Errorf("legacycall on %s: %w", act.Package.PkgPath, act.Err)
			}
			res, _ := act.Result.(*legacycall.Result)
			if res == nil {
				continue
			}
			if err := rw.pkg(act.Package, res); err != nil {
				return nil, err
			}
		}
		if err := rw.finishNotFound(); err != nil {
			return nil, err
		}
		return rw, nil
	}
	// Converted finders return the runtime's not-found error, and the
	// not-found checks are rewritten to match, unless a legacy finder is
	// left or some code refers to the legacy error in a way that cannot be
	// rewritten: then converted finders return the legacy error (callers
	// keep working unchanged) and the checks stay.
	rw, err := convertAll(false)
	if err != nil {
		return nil, err
	}
	if rw.leftNotFound > 0 || legacyNotFoundRefs(rw.pkgs) || !rw.ruleEnabled(ruleNotFound) || !coversModule(ctx, opts, pkgs) || testsMentionNotFound(pkgs) {
		if rw, err = convertAll(true); err != nil {
			return nil, err
		}
	}
	out := &Result{ModuleRoot: root}
	var changedPkgs []*packages.Package
	seenPkg := map[*packages.Package]bool{}
	paths := make([]string, 0, len(rw.files))
	for p := range rw.files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		fs := rw.files[p]
		edits := fs.finalEdits()
		if len(edits) == 0 {
			continue
		}
		edited, err := ApplyEdits(fs.src, edits)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fs.rel, err)
		}
		imp := fs.imports
		imp.DropUnused = true
		newSrc, err := FinishFile(fs.rel, edited, imp)
		if err != nil {
			return nil, err
		}
		if testMutate != nil {
			newSrc = testMutate(fs.rel, newSrc)
		}
		if bytes.Equal(newSrc, fs.src) {
			continue
		}
		out.Files = append(out.Files, &FileChange{Path: p, Rel: fs.rel, Old: fs.src, New: newSrc})
		if !seenPkg[fs.pkg] {
			seenPkg[fs.pkg] = true
			changedPkgs = append(changedPkgs, fs.pkg)
		}
	}
	sortSites(rw.sites)
	if len(out.Files) > 0 {
		if err := checkUowResolves(ctx, opts); err != nil {
			return nil, err
		}
	}
	out.Report = &Report{Module: root, Sites: rw.sites, Summary: summarize(rw.sites, len(out.Files))}
	if len(out.Files) > 0 {
		errs, err := typeCheck(ctx, opts, out.Files, changedPkgs)
		if err != nil {
			return nil, err
		}
		out.TypeErrors = errs
	}
	return out, nil
}

func moduleRoot(pkgs []*packages.Package) string {
	for _, p := range pkgs {
		if p.Module != nil && p.Module.Dir != "" {
			return p.Module.Dir
		}
	}
	return ""
}

// coversModule reports whether the run's packages are all the packages of
// the module: otherwise code outside the run may test for the legacy
// not-found error, and converted finders must keep returning it.
func coversModule(ctx context.Context, opts Options, roots []*packages.Package) bool {
	var modPath string
	for _, p := range roots {
		if p.Module != nil {
			modPath = p.Module.Path
		}
	}
	if modPath == "" {
		return false
	}
	cfg := &packages.Config{Context: ctx, Mode: packages.NeedName, Dir: opts.Dir, Env: opts.Env}
	all, err := packages.Load(cfg, modPath+"/...")
	if err != nil {
		return false
	}
	in := map[string]bool{}
	for _, p := range roots {
		in[p.PkgPath] = true
	}
	for _, p := range all {
		if !in[p.PkgPath] {
			return false
		}
	}
	return true
}

// testsMentionNotFound reports whether a _test.go file of the run's
// packages mentions the legacy not-found error (tests are not rewritten, so
// converted finders must keep returning it).
func testsMentionNotFound(roots []*packages.Package) bool {
	seen := map[string]bool{}
	for _, p := range roots {
		for _, f := range p.GoFiles {
			dir := filepath.Dir(f)
			if seen[dir] {
				continue
			}
			seen[dir] = true
			tests, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
			for _, t := range tests {
				b, err := os.ReadFile(t)
				if err != nil {
					return true
				}
				for _, l := range legacyapi.Libraries {
					if bytes.Contains(b, []byte(l.NotFound)) {
						return true
					}
				}
			}
		}
	}
	return false
}

// checkUowResolves makes sure the module can import the runtime, so that a
// missing requirement is reported as such rather than as type errors.
func checkUowResolves(ctx context.Context, opts Options) error {
	cfg := &packages.Config{Context: ctx, Mode: packages.NeedName | packages.NeedFiles, Dir: opts.Dir, Env: opts.Env}
	pkgs, err := packages.Load(cfg, UowPath)
	if err == nil && len(pkgs) == 1 && len(pkgs[0].Errors) == 0 && len(pkgs[0].GoFiles) > 0 {
		return nil
	}
	detail := ""
	if err != nil {
		detail = err.Error()
	} else if len(pkgs) == 1 && len(pkgs[0].Errors) > 0 {
		detail = pkgs[0].Errors[0].Error()
	}
	return fmt.Errorf("the module cannot import %s (%s): run `go get %s` first", UowPath, detail, UowPath)
}

// typeCheck loads the changed packages again with the new contents as an
// overlay and returns their errors.
func typeCheck(ctx context.Context, opts Options, files []*FileChange, pkgs []*packages.Package) ([]string, error) {
	overlay := map[string][]byte{}
	for _, f := range files {
		overlay[f.Path] = f.New
	}
	var patterns []string
	for _, p := range pkgs {
		patterns = append(patterns, p.PkgPath)
	}
	cfg := &packages.Config{
		Context: ctx,
		Mode:    packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo | packages.NeedImports | packages.NeedDeps,
		Dir:     opts.Dir,
		Env:     opts.Env,
		Overlay: overlay,
	}
	loaded, err := packages.Load(cfg, patterns...)
	if err != nil {
		return nil, fmt.Errorf("type-check the rewritten packages: %w", err)
	}
	var errs []string
	for _, p := range loaded {
		for _, e := range p.Errors {
			errs = append(errs, e.Error())
		}
	}
	return errs, nil
}

// testMutate, set by tests only, alters a file's new contents before the
// type-check (to prove that a type error blocks every write).
var testMutate func(rel string, src []byte) []byte

// rewriter holds the state of one run.
type rewriter struct {
	opts  Options
	root  string
	files map[string]*fileState
	sites []Site
	// leftFinders counts finder sites left unconverted: while any is left,
	// the not-found checks keep the legacy error too.
	leftNotFound int
	pkgs         []*packages.Package
	// compat: converted finders map the runtime's not-found error to the
	// legacy one.
	compat bool
	tables map[*types.TypeName]string // constant TableName() methods
}

// fileState is one source file being edited.
type fileState struct {
	pkg     *packages.Package
	file    *ast.File
	tf      *token.File
	src     []byte
	rel     string
	edits   []Edit
	imports Imports
	calls   map[token.Pos]*ast.CallExpr
	// renames are use rewrites (res.Error -> err, &p -> p); a converted
	// site whose text contains one renders it itself.
	renames []Edit
	// ems: function body start offset -> EntityManager variable name;
	// emDecls the declaration edits, emUsed those a converted site uses.
	ems         map[int]string
	emDecls     map[int]Edit
	emUsed      map[int]bool
	reserved    map[*ast.FuncDecl]map[string]bool // names freshName must not pick
	declared    map[*ast.FuncDecl]map[string]bool // names conversions declared (freshName)
	pointerized map[*types.Var]bool
	hoisted     map[ast.Node]map[string]bool
}

func (rw *rewriter) fileOf(pkg *packages.Package, pos token.Pos) (*fileState, error) {
	tf := pkg.Fset.File(pos)
	if tf == nil {
		return nil, fmt.Errorf("no file for position %v", pos)
	}
	path := tf.Name()
	if fs, ok := rw.files[path]; ok {
		return fs, nil
	}
	var file *ast.File
	for _, f := range pkg.Syntax {
		if pkg.Fset.File(f.Pos()) == tf {
			file = f
		}
	}
	if file == nil {
		return nil, fmt.Errorf("%s: syntax not loaded", path)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(src) != tf.Size() {
		return nil, fmt.Errorf("%s changed while it was analyzed", path)
	}
	rel, err := filepath.Rel(rw.root, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = path
	}
	fs := &fileState{pkg: pkg, file: file, tf: tf, src: src, rel: filepath.ToSlash(rel),
		ems: map[int]string{}, emDecls: map[int]Edit{}, emUsed: map[int]bool{},
		reserved: map[*ast.FuncDecl]map[string]bool{}, declared: map[*ast.FuncDecl]map[string]bool{}, pointerized: map[*types.Var]bool{},
		hoisted: map[ast.Node]map[string]bool{}}
	rw.files[path] = fs
	return fs, nil
}

// finalEdits are the file's edits: the sites', the renames no site
// contains, and the EntityManager declarations in use.
func (fs *fileState) finalEdits() []Edit {
	out := append([]Edit(nil), fs.edits...)
	for _, r := range fs.renames {
		inside := false
		for _, e := range fs.edits {
			if e.Start <= r.Start && r.End <= e.End && e.End > e.Start {
				inside = true
			}
		}
		if !inside {
			out = append(out, r)
		}
	}
	for start, e := range fs.emDecls {
		if fs.emUsed[start] {
			out = append(out, e)
		}
	}
	return out
}

func (fs *fileState) off(p token.Pos) int { return fs.tf.Offset(p) }

// qualifier names packages as the file imports them.
func (fs *fileState) qualifier(p *types.Package) string {
	if p == fs.pkg.Types {
		return ""
	}
	for _, im := range fs.file.Imports {
		path, _ := strconv.Unquote(im.Path.Value)
		if path == p.Path() {
			if im.Name != nil {
				return im.Name.Name
			}
			return p.Name()
		}
	}
	return p.Name()
}

// ruleEnabled reports whether the options allow a rule.
func (rw *rewriter) ruleEnabled(rule string) bool {
	if len(rw.opts.Rules) == 0 {
		return true
	}
	for _, r := range rw.opts.Rules {
		if r == rule {
			return true
		}
	}
	return false
}

// snapshot is the undo point of a file's tentative conversions.
type snapshot struct {
	renames int
	pointer map[*types.Var]bool
	hoisted map[ast.Node]map[string]bool
}

func (fs *fileState) snap() snapshot {
	p := map[*types.Var]bool{}
	for k, v := range fs.pointerized {
		p[k] = v
	}
	h := map[ast.Node]map[string]bool{}
	for k, v := range fs.hoisted {
		h[k] = map[string]bool{}
		for n, b := range v {
			h[k][n] = b
		}
	}
	return snapshot{len(fs.renames), p, h}
}

func (fs *fileState) restore(sn snapshot) {
	fs.renames = fs.renames[:sn.renames]
	fs.pointerized = sn.pointer
	fs.hoisted = sn.hoisted
}

func txLinks(ch *legacycall.Chain) int {
	n := 0
	for _, l := range ch.Links {
		if l.Method == "Transaction" {
			n++
		}
	}
	return n
}

// pkg converts the call sites of one package.
func (rw *rewriter) pkg(pkg *packages.Package, res *legacycall.Result) error {
	rw.pkgs = append(rw.pkgs, pkg)
	var txs []*legacycall.Chain
	inner := map[token.Pos][]*legacycall.Chain{}
	for _, ch := range res.Chains {
		if ch.Op == "Transaction" && txLinks(ch) == 0 {
			txs = append(txs, ch)
			continue
		}
		if txLinks(ch) > 0 {
			var last token.Pos
			for _, l := range ch.Links {
				if l.Method == "Transaction" {
					last = l.Pos
				}
			}
			if txLinks(ch) == 1 {
				inner[last] = append(inner[last], ch)
				continue
			}
			// inside a nested transaction: reported with the outer group
			var outer token.Pos
			for _, l := range ch.Links {
				if l.Method == "Transaction" {
					outer = l.Pos
					break
				}
			}
			inner[outer] = append(inner[outer], ch)
			continue
		}
		if err := rw.one(pkg, ch, nil); err != nil {
			return err
		}
	}
	for _, t := range txs {
		if err := rw.txGroup(pkg, t, inner[t.Finisher.Pos]); err != nil {
			return err
		}
		delete(inner, t.Finisher.Pos)
	}
	// Sites under a Transaction legacycall saw but whose group was not
	// found (should not happen): skipped.
	for _, chs := range inner {
		for _, ch := range chs {
			fs, err := rw.fileOf(pkg, ch.Pos)
			if err != nil {
				return err
			}
			site := rw.newSite(pkg, fs, ch)
			rw.skip(fs, ch, &site, "inside a Transaction callback that was not found")
		}
	}
	return nil
}

func (rw *rewriter) newSite(pkg *packages.Package, fs *fileState, ch *legacycall.Chain) Site {
	posn := pkg.Fset.Position(ch.Pos)
	site := Site{File: fs.rel, Line: posn.Line, Column: posn.Column, Func: ch.Func, Op: ch.Op}
	if conv := legacyapi.ConversionFor(legacyapi.ByName(ch.Library), ch.Op); conv != nil {
		site.Rule = conv.Rule
	} else {
		site.Rule = "rewrite/" + strings.ToLower(ch.Op)
	}
	return site
}

// one converts a site outside any Transaction callback.
func (rw *rewriter) one(pkg *packages.Package, ch *legacycall.Chain, _ *types.Var) error {
	fs, err := rw.fileOf(pkg, ch.Pos)
	if err != nil {
		return err
	}
	site := rw.newSite(pkg, fs, ch)
	cs, err := rw.tryConvert(fs, ch, nil, "")
	if err != nil {
		var sk *Skip
		if errors.As(err, &sk) {
			rw.skip(fs, ch, &site, sk.Reason)
			return nil
		}
		return fmt.Errorf("%s:%d: %w", site.File, site.Line, err)
	}
	rw.commit(fs, cs, &site)
	return nil
}

// tryConvert converts a site tentatively: on a skip, the file is as before.
func (rw *rewriter) tryConvert(fs *fileState, ch *legacycall.Chain, tx *types.Var, txEm string) (*convResult, error) {
	conv := legacyapi.ConversionFor(legacyapi.ByName(ch.Library), ch.Op)
	if conv == nil {
		return nil, skipf("no conversion for %s %s", ch.Short, ch.Op)
	}
	if !rw.ruleEnabled(conv.Rule) {
		return nil, skipf("rule %s not selected", conv.Rule)
	}
	sn := fs.snap()
	cs, err := rw.convert(fs, ch, conv, tx, txEm)
	if err == nil && overlapsAny(cs.edits, fs.edits) {
		err = skipf("overlaps another converted site")
	}
	if err != nil {
		fs.restore(sn)
		return nil, err
	}
	keepComments(fs, cs.edits)
	if cs.pointerized != nil {
		fs.pointerized[cs.pointerized] = true
	}
	if h := cs.hoist; h != nil {
		if fs.hoisted[h.block] == nil {
			fs.hoisted[h.block] = map[string]bool{}
		}
		fs.hoisted[h.block][h.name] = true
	}
	return cs, nil
}

func (rw *rewriter) commit(fs *fileState, cs *convResult, site *Site) {
	fs.edits = append(fs.edits, cs.edits...)
	fs.imports.Add = appendUnique(fs.imports.Add, cs.imports...)
	fs.imports.Drop = appendUnique(fs.imports.Drop, legacyPaths()...)
	if cs.emDecl >= 0 {
		fs.emUsed[cs.emDecl] = true
	}

	site.Status = StatusConverted
	if rw.opts.Flush == FlushDeferred {
		site.FlushChange = cs.deferredChange
	}
	rw.sites = append(rw.sites, *site)
}

// txGroup converts a Transaction and the sites of its callback together,
// or none of them.
func (rw *rewriter) txGroup(pkg *packages.Package, t *legacycall.Chain, inner []*legacycall.Chain) error {
	fs, err := rw.fileOf(pkg, t.Pos)
	if err != nil {
		return err
	}
	sn := fs.snap()
	type done struct {
		ch   *legacycall.Chain
		cs   *convResult
		site Site
	}
	var ok []done
	reason := ""
	tcs, txVar, txEm, err := rw.convertTx(fs, t, nil, "")
	if err != nil {
		var sk *Skip
		if !errors.As(err, &sk) {
			return err
		}
		reason = sk.Reason
	}
	// handles are the callback handles whose every use must be converted.
	handles := []*types.Var{txVar}
	// Sites of a nested Transaction's callback, by the nested call.
	deeper := map[token.Pos][]*legacycall.Chain{}
	if reason == "" {
		for _, ch := range inner {
			if n := txLinks(ch); n == 2 {
				var second token.Pos
				k := 0
				for _, l := range ch.Links {
					if l.Method == "Transaction" {
						k++
						if k == 2 {
							second = l.Pos
						}
					}
				}
				deeper[second] = append(deeper[second], ch)
			} else if n > 2 {
				reason = fmt.Sprintf("Transaction nested twice at line %d", rw.newSite(pkg, fs, ch).Line)
			}
		}
		for _, ch := range inner {
			if reason != "" {
				break
			}
			site := rw.newSite(pkg, fs, ch)
			if txLinks(ch) > 1 {
				continue // converted with its nested Transaction
			}
			if ch.Op == "Transaction" {
				nested, nerr := rw.nestedTx(pkg, fs, ch, deeper[ch.Finisher.Pos], txVar, txEm)
				if nerr != nil {
					var sk *Skip
					if !errors.As(nerr, &sk) {
						return nerr
					}
					reason = fmt.Sprintf("nested Transaction at line %d: %s", site.Line, sk.Reason)
					break
				}
				for _, d := range nested.done {
					ok = append(ok, done{d.ch, d.cs, d.site})
				}
				delete(deeper, ch.Finisher.Pos)
				handles = append(handles, nested.handle)
				continue
			}
			cs, err := rw.tryConvert(fs, ch, txVar, txEm)
			if err != nil {
				var sk *Skip
				if !errors.As(err, &sk) {
					return err
				}
				reason = fmt.Sprintf("%s at line %d in the callback is not converted: %s", ch.Op, site.Line, sk.Reason)
				break
			}
			ok = append(ok, done{ch, cs, site})
		}
	}
	if reason == "" && len(deeper) > 0 {
		reason = "a site inside a nested Transaction callback whose Transaction was not found"
	}
	if reason == "" {
		// Every use of the callback's handle must be in a converted site.
		var all []Edit
		all = append(all, tcs.edits...)
		for _, d := range ok {
			all = append(all, d.cs.edits...)
		}
		for id, obj := range fs.pkg.TypesInfo.Uses {
			isHandle := false
			for _, h := range handles {
				isHandle = isHandle || obj == h
			}
			if !isHandle {
				continue
			}
			off := fs.off(id.Pos())
			covered := false
			for _, e := range all {
				if e.Start <= off && off < e.End {
					covered = true
				}
			}
			if !covered {
				reason = fmt.Sprintf("the callback uses %s outside the converted call sites (line %d)", id.Name, pkg.Fset.Position(id.Pos()).Line)
				break
			}
		}
	}
	tsite := rw.newSite(pkg, fs, t)
	if reason != "" {
		fs.restore(sn)
		rw.skip(fs, t, &tsite, reason)
		for _, ch := range inner {
			site := rw.newSite(pkg, fs, ch)
			rw.skip(fs, ch, &site, "inside a Transaction that is not converted: "+reason)
		}
		return nil
	}
	rw.commit(fs, tcs, &tsite)
	for _, d := range ok {
		site := d.site
		rw.commit(fs, d.cs, &site)
	}
	return nil
}

func legacyPaths() []string {
	var out []string
	for _, l := range legacyapi.Libraries {
		out = append(out, l.Path)
	}
	return out
}

func appendUnique(list []string, add ...string) []string {
	for _, a := range add {
		found := false
		for _, x := range list {
			if x == a {
				found = true
			}
		}
		if !found {
			list = append(list, a)
		}
	}
	return list
}

func overlapsAny(a, b []Edit) bool {
	for _, e := range a {
		if Overlaps(e, b) {
			return true
		}
	}
	return false
}

// skip records a skipped site and, with --mark, adds the todo comment
// above its statement (once: a second run finds it there).
func (rw *rewriter) skip(fs *fileState, ch *legacycall.Chain, site *Site, reason string) {
	switch ch.Op {
	case "First", "Take", "Last":
		rw.leftNotFound++
	}
	site.Status = StatusSkipped
	site.Reason = reason
	if rw.opts.Mark {
		if e, ok := markEdit(fs, ch.Pos, site.Rule, reason); ok {
			if !Overlaps(e, fs.edits) {
				fs.edits = append(fs.edits, e)
				site.Status = StatusMarked
			}
		} else {
			site.Status = StatusMarked // already marked
		}
	}
	rw.sites = append(rw.sites, *site)
}

// TodoPrefix starts the comment --mark adds above a skipped site.
const TodoPrefix = "// ormshift:todo("

// markEdit returns the insertion of "// ormshift:todo(RULE): reason" on
// its own line above the line of pos, with the same indentation; ok is
// false when that line is already there.
func markEdit(fs *fileState, pos token.Pos, rule, reason string) (Edit, bool) {
	off := fs.off(pos)
	lineStart := bytes.LastIndexByte(fs.src[:off], '\n') + 1
	indentEnd := lineStart
	for indentEnd < len(fs.src) && (fs.src[indentEnd] == '\t' || fs.src[indentEnd] == ' ') {
		indentEnd++
	}
	indent := string(fs.src[lineStart:indentEnd])
	comment := TodoPrefix + rule + "): " + oneLine(reason)
	if lineStart > 0 {
		prevStart := bytes.LastIndexByte(fs.src[:lineStart-1], '\n') + 1
		prev := strings.TrimSpace(string(fs.src[prevStart : lineStart-1]))
		if strings.HasPrefix(prev, TodoPrefix+rule+")") {
			return Edit{}, false
		}
	}
	return Edit{Start: lineStart, End: lineStart, New: indent + comment + "\n"}, true
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// keepComments moves the comments inside a replaced range (between the
// lines of a multi-line chain) above the replacement, so none is lost.
func keepComments(fs *fileState, edits []Edit) {
	for i := range edits {
		e := &edits[i]
		if e.End <= e.Start {
			continue
		}
		var lines []string
		for _, cg := range fs.file.Comments {
			for _, c := range cg.List {
				start, end := fs.off(c.Pos()), fs.off(c.End())
				if start >= e.Start && end <= e.End && !strings.Contains(e.New, c.Text) {
					lines = append(lines, c.Text)
				}
			}
		}
		if len(lines) == 0 {
			continue
		}
		ls := e.Start
		for ls > 0 && fs.src[ls-1] != '\n' {
			ls--
		}
		indent := string(fs.src[ls:e.Start])
		if strings.TrimSpace(indent) != "" {
			indent = ""
		}
		e.New = strings.Join(lines, "\n"+indent) + "\n" + indent + e.New
	}
}
