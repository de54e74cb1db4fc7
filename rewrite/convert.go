package rewrite

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"slices"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v5"
	"golang.org/x/tools/go/ast/astutil"

	"github.com/ormshift/ormshift/analyzers/legacyapi"
	"github.com/ormshift/ormshift/analyzers/legacycall"
	"github.com/ormshift/ormshift/internal/sqltext"
	"github.com/ormshift/ormshift/uow/naming"
)

// convResult is what a converted site adds to its file.
type convResult struct {
	edits          []Edit
	renames        []Edit // use rewrites of a destination that became a pointer
	imports        []string
	deferredChange string
	pointerized    *types.Var
	emDecl         int // body offset of the em declaration used, or -1
	hoist          *hoist
}

// hoist records an error variable moved out of an if statement into a
// block.
type hoist struct {
	block ast.Node
	name  string
}

// linkCall is one link of a chain as written at the call site.
type linkCall struct {
	name string
	call *ast.CallExpr
	m    *legacyapi.Method
}

// site is a call site being converted.
type site struct {
	rw         *rewriter
	fs         *fileState
	ch         *legacycall.Chain
	conv       *legacyapi.Conversion
	info       *types.Info
	lib        *legacyapi.Library
	fin        *ast.CallExpr
	chainLinks []linkCall // links in GORM's order: those of the receiver, outermost last, then those of its scopes
	// Scopes expanded in place: a scope parameter's uses are replaced by
	// subst's text; prelude are statements (a scope's own, on locals
	// holding its arguments) that run before the converted statement.
	subst       map[types.Object]string
	prelude     []string
	preludeUsed bool
	// nOwn is how many of chainLinks are the receiver's own (the rest
	// come from scopes); ownConds and ownOrders how many conditions and
	// orders those gave. What the finisher adds before GORM runs the
	// scopes (inline conditions, First/Last's key order) goes there.
	nOwn, ownConds, ownOrders int
	// varChain is set when the chain starts at a local variable built
	// across statements (varchain.go).
	varChain    *varChain
	varCallOpts string // the options argument of the call when varChain is set
	root        ast.Expr
	path        []ast.Node // enclosing nodes of fin, innermost first
	decl        *ast.FuncDecl
	// tx is set for a site inside a Transaction callback that is being
	// converted with it: the callback's handle parameter.
	tx   *types.Var
	txEm string

	// query parts
	rawCall  *ast.CallExpr
	selects  []string
	conds    []Cond
	orders   []string
	limit    string
	offset   string
	limitFn  string // Limit, or LimitExactly for a value known at run time only
	offsetFn string // Offset, or OffsetIfPositive
	populate []string
	attrs    []ast.Expr // Attrs arguments (FirstOrCreate)
	// SELECT-statement parts GORM writes as they are (Scan, Distinct Pluck)
	selectRaw string        // Select("a, count(*) AS n"): the text
	distinct  bool          // Distinct(...)
	group     string        // Group("col")
	having    *Cond         // Having("count(*) > ?", n)
	orderText []string      // the Order texts as written
	joins     []rawJoin     // Joins("JOIN ... ON ...", args...)
	relJoins  []string      // Joins("Package"): a relation joined and loaded
	rawTagsOK bool          // rawScan: the columns are proven to map to the fields
	preloads  []preloadCond // Preload(rel, conds...) with conditions
	ctxExpr   string
	model     *Model
	modelArg  ast.Expr
	emExpr    string
	res       convResult
}

// fileIndex maps a method name's position to its call.
func (fs *fileState) callAt(pos token.Pos) *ast.CallExpr {
	if fs.calls == nil {
		fs.calls = map[token.Pos]*ast.CallExpr{}
		ast.Inspect(fs.file, func(n ast.Node) bool {
			if c, ok := n.(*ast.CallExpr); ok {
				if sel, ok := ast.Unparen(c.Fun).(*ast.SelectorExpr); ok {
					fs.calls[sel.Sel.Pos()] = c
				}
			}
			return true
		})
	}
	return fs.calls[pos]
}

// text returns the source of n with the pending renames inside it
// applied, and the scope substitutions (a scope parameter's uses become
// the argument or the local that holds it). n may be in another file of
// the package (the body of a scope function).
func (s *site) text(n ast.Node) string {
	fs := s.fs
	if n.Pos() < fs.file.Pos() || n.End() > fs.file.End() {
		other, err := s.rw.fileOf(fs.pkg, n.Pos())
		if err != nil {
			panic(fmt.Sprintf("source of a node outside the site's file: %v", err))
		}
		fs = other
	}
	start, end := fs.off(n.Pos()), fs.off(n.End())
	var inner []Edit
	for _, r := range fs.renames {
		if r.Start >= start && r.End <= end {
			inner = append(inner, Edit{r.Start - start, r.End - start, r.New})
		}
	}
	if len(s.subst) > 0 {
		ast.Inspect(n, func(x ast.Node) bool {
			if id, ok := x.(*ast.Ident); ok {
				if r, ok := s.subst[s.info.Uses[id]]; ok {
					inner = append(inner, Edit{fs.off(id.Pos()) - start, fs.off(id.End()) - start, r})
				}
			}
			return true
		})
	}
	src := fs.src[start:end]
	if len(inner) == 0 {
		return string(src)
	}
	out, err := ApplyEdits(src, inner)
	if err != nil {
		panic(fmt.Sprintf("source of %s: %v", fs.rel, err))
	}
	return string(out)
}

// convert turns one chain into edits, or returns a *Skip.
func (rw *rewriter) convert(fs *fileState, ch *legacycall.Chain, conv *legacyapi.Conversion, tx *types.Var, txEm string) (res *convResult, err error) {
	defer func() {
		// A bug in a conversion must not take the run down: the site is
		// skipped and says so.
		if r := recover(); r != nil {
			res, err = nil, skipf("internal error while converting (please report): %v", r)
		}
	}()
	s := &site{rw: rw, fs: fs, ch: ch, conv: conv, info: fs.pkg.TypesInfo, lib: legacyapi.ByName(ch.Library), tx: tx, txEm: txEm}
	s.res.emDecl = -1
	if s.lib != legacyapi.GORMv2 {
		return nil, skipf("only GORM v2 call sites are converted")
	}
	s.fin = fs.callAt(ch.Finisher.Pos)
	if s.fin == nil {
		return nil, skipf("the finisher call was not found in the syntax")
	}
	s.path, _ = astutil.PathEnclosingInterval(fs.file, s.fin.Pos(), s.fin.End())
	for _, n := range s.path {
		if d, ok := n.(*ast.FuncDecl); ok {
			s.decl = d
		}
	}
	if s.decl == nil || s.decl.Body == nil {
		return nil, skipf("the call is not inside a function")
	}
	if err := s.walkChain(); err != nil {
		return nil, err
	}
	if err := s.parseLinks(); err != nil {
		return nil, err
	}
	selectQuery := ch.Op == "Scan" && s.rawCall == nil || ch.Op == "Pluck" && s.distinct
	if selectQuery && (len(s.joins) > 0 || len(s.relJoins) > 0) {
		// selectSQL writes no JOIN: the statement would lose it.
		return nil, skipf("Joins is not converted for %s", ch.Op)
	}
	if !selectQuery {
		switch {
		case s.selectRaw != "":
			return nil, skipf("Select(%q): only constant column names are converted", s.selectRaw)
		case s.distinct:
			return nil, skipf("Distinct is not converted for %s", ch.Op)
		case s.group != "" || s.having != nil:
			return nil, skipf("Group/Having are not converted for %s", ch.Op)
		case len(s.preloads) > 0 && ch.Op != "Find" && ch.Op != "First" && ch.Op != "Take" && ch.Op != "Last":
			return nil, skipf("Preload with conditions is not converted for %s", ch.Op)
		case len(s.joins) > 0 && ch.Op != "Find":
			return nil, skipf("Joins is not converted for %s", ch.Op)
		case len(s.relJoins) > 0 && ch.Op != "Find" && ch.Op != "First" && ch.Op != "Take" && ch.Op != "Last":
			return nil, skipf("Joins(%q) of a relation is not converted for %s", s.relJoins[0], ch.Op)
		case len(s.relJoins) > 0 && len(s.joins) > 0:
			return nil, skipf("Joins of a relation together with a raw JOIN is not converted")
		case len(s.selects) > 0 && ch.Op != "Find":
			return nil, skipf("Select is not converted for %s", ch.Op)
		}
	}
	if err := s.context(); err != nil {
		return nil, err
	}
	switch ch.Op {
	case "Find":
		err = s.find()
	case "First", "Take", "Last":
		err = s.first()
	case "Count":
		err = s.count()
	case "Pluck":
		if s.distinct {
			err = s.distinctPluck()
		} else {
			err = s.pluck()
		}
	case "Create", "CreateInBatches":
		err = s.create()
	case "Save":
		err = s.save()
	case "Delete":
		err = s.delete()
	case "Update", "Updates", "UpdateColumn", "UpdateColumns":
		err = s.update()
	case "Exec":
		err = s.exec()
	case "Scan":
		if s.rawCall == nil {
			err = s.selectScan()
		} else {
			err = s.raw()
		}
	case "FirstOrCreate":
		err = s.firstOrCreate()
	default:
		err = skipf("%s has no conversion in this version", ch.Op)
	}
	if err != nil {
		return nil, err
	}
	if s.varChain != nil && !s.varChain.emitted {
		return nil, skipf("the chain built across statements has no place in the %s conversion", ch.Op)
	}
	if len(s.prelude) > 0 && !s.preludeUsed {
		return nil, skipf("the statements of a scope have no place in the %s conversion", ch.Op)
	}
	s.res.imports = append(s.res.imports, UowPath)
	if s.tx != nil {
		// Transactional flushes before it commits: inside it, timing is
		// kept whatever the flush mode.
		s.res.deferredChange = ""
	}
	return &s.res, nil
}

// gormLinks reads the chain of GORM method calls that x is, innermost
// first, and returns them with the expression they start from (the
// handle, or the first call that is not a GORM method).
func (s *site) gormLinks(x ast.Expr) ([]linkCall, ast.Expr) {
	x = ast.Unparen(x)
	var links []linkCall
	for {
		c, ok := x.(*ast.CallExpr)
		if !ok {
			break
		}
		sel, ok := ast.Unparen(c.Fun).(*ast.SelectorExpr)
		if !ok {
			break
		}
		fn, _ := s.info.Uses[sel.Sel].(*types.Func)
		_, m := legacyapi.Resolve(fn)
		if m == nil {
			break
		}
		links = append([]linkCall{{name: sel.Sel.Name, call: c, m: m}}, links...)
		x = ast.Unparen(sel.X)
	}
	return links, x
}

// walkChain collects the links written in the finisher's receiver and
// checks they are all the chain legacycall saw.
func (s *site) walkChain() error {
	sel, ok := ast.Unparen(s.fin.Fun).(*ast.SelectorExpr)
	if !ok {
		return skipf("finisher is not a method call")
	}
	links, x := s.gormLinks(sel.X)
	nSite := len(links)
	var condLinks []linkCall
	if id, ok := x.(*ast.Ident); ok && s.tx == nil {
		// The chain starts at a local variable built across statements.
		if v, ok := s.info.Uses[id].(*types.Var); ok && s.isLocal(v) {
			base, root, cl, err := s.expandVar(v, id)
			if err != nil {
				return err
			}
			links, x, condLinks = append(base, links...), root, cl
		}
	}
	if c, ok := x.(*ast.CallExpr); ok && s.tx == nil {
		// The chain starts at a helper that returns a handle.
		hl, root, err := s.expandHelper(c)
		if err != nil {
			return err
		}
		links, x = append(hl, links...), root
	}
	s.root = x
	// Scopes are expanded: in the order written to compare with what
	// legacycall saw, the chain's own links first for GORM's order.
	// prefix counts the written links that come before the site's own
	// (the declaration's and helpers' when the chain starts elsewhere).
	var own, scoped, written []linkCall
	prefix, nPrefix := 0, len(links)-nSite
	for i, l := range links {
		if i == nPrefix {
			prefix = len(written)
		}
		if l.name != "Scopes" {
			own = append(own, l)
			written = append(written, l)
			continue
		}
		ls, err := s.expandScopes(l.call)
		if err != nil {
			return err
		}
		scoped = append(scoped, ls...)
		written = append(written, ls...)
	}
	links = written
	s.chainLinks = append(own, scoped...)
	s.nOwn = len(own)
	if s.varChain != nil {
		// legacycall lists the reassignments' links between the
		// declaration's and the site's, marked conditional.
		if nSite == 0 {
			prefix = len(written)
		}
		links = slices.Concat(links[:prefix], condLinks, links[prefix:])
		for _, l := range links {
			if l.name == "Or" || l.name == "Not" {
				return skipf("the chain is built across statements and has %s (only ANDed conditions are converted then)", l.name)
			}
		}
	}
	want := s.ch.Links
	if s.tx != nil {
		// Inside a Transaction callback: the chain continues the outer
		// one through the callback's handle.
		last := -1
		for i, l := range want {
			if l.Method == "Transaction" {
				last = i
			}
		}
		want = want[last+1:]
		id, ok := x.(*ast.Ident)
		if !ok || s.info.Uses[id] != s.tx {
			return skipf("inside a Transaction callback, the chain does not start at the callback's handle")
		}
	}
	for _, l := range want {
		if l.Conditional && s.varChain == nil {
			return skipf("the chain is built conditionally (%s on some paths only)", l.Method)
		}
	}
	// Links legacycall found through a helper (not a scope expanded here)
	// make the two lists differ.
	same := len(want) == len(links)
	for i := 0; same && i < len(links); i++ {
		same = links[i].name == want[i].Method
	}
	if !same {
		for _, l := range want {
			if l.Via != "" {
				return skipf("the chain goes through %s (helpers are not converted)", l.Via)
			}
		}
		return skipf("the chain is built across statements (through a variable or helper)")
	}
	if s.tx == nil {
		switch s.ch.Root.Kind {
		case legacycall.RootField, legacycall.RootGlobal, legacycall.RootParam:
		default:
			return skipf("the handle is a %s (%s), not a field, global or parameter", s.ch.Root.Kind, s.ch.Root.Name)
		}
	}
	return nil
}

// parseLinks turns the links into query parts.
func (s *site) parseLinks() error {
	for i, l := range s.chainLinks {
		if i == s.nOwn {
			s.ownConds, s.ownOrders = len(s.conds), len(s.orders)
		}
		args := l.call.Args
		switch l.name {
		case "WithContext":
			s.ctxExpr = s.text(args[0])
		case "Model":
			s.modelArg = args[0]
		case "Where", "Or", "Not":
			if len(args) == 0 {
				return skipf("%s without arguments", l.name)
			}
			if l.call.Ellipsis.IsValid() {
				return skipf("%s with a spread argument list", l.name)
			}
			k := map[string]CondKind{"Where": CondWhere, "Or": CondOr, "Not": CondNot}[l.name]
			s.conds = append(s.conds, Cond{Kind: k, Query: args[0], Args: args[1:]})
		case "Order":
			if err := s.order(args[0]); err != nil {
				return err
			}
		case "Limit", "Offset":
			// GORM merges repeated Limit/Offset clauses (clause.Limit's
			// MergeClause keeps an earlier value over a later 0): only one
			// of each is converted.
			if (l.name == "Limit" && s.limit != "") || (l.name == "Offset" && s.offset != "") {
				return skipf("%s appears twice in the chain (GORM merges them)", l.name)
			}
			fn := l.name
			tv := s.info.Types[args[0]]
			if tv.Value == nil {
				// Not a constant: the compat option with GORM's rules
				// (clause.Limit.Build: LIMIT n for n >= 0, none for n < 0;
				// OFFSET n for n > 0 only).
				fn = map[string]string{"Limit": "LimitExactly", "Offset": "OffsetIfPositive"}[l.name]
			} else if n, ok := constant.Int64Val(tv.Value); !ok || (l.name == "Limit" && n <= 0) || n < 0 {
				return skipf("%s(%s): only positive constants are converted", l.name, s.text(args[0]))
			}
			if l.name == "Limit" {
				s.limit, s.limitFn = s.text(args[0]), fn
			} else {
				s.offset, s.offsetFn = s.text(args[0]), fn
			}
		case "Raw":
			s.rawCall = l.call
		case "Joins":
			tv := s.info.Types[args[0]]
			if tv.Value == nil || tv.Value.Kind() != constant.String || l.call.Ellipsis.IsValid() {
				return skipf("Joins(%s) is not a constant string", s.text(args[0]))
			}
			text := constant.StringVal(tv.Value)
			if legacyapi.IsIdentifier(text) && !strings.Contains(text, ".") {
				if len(args) != 1 {
					return skipf("Joins(%q, ...) with conditions on the joined relation is not converted", text)
				}
				s.relJoins = append(s.relJoins, text)
				continue
			}
			up := strings.ToUpper(strings.TrimSpace(text))
			if !strings.HasPrefix(up, "JOIN ") && !strings.HasPrefix(up, "INNER JOIN ") && !strings.HasPrefix(up, "LEFT JOIN ") {
				return skipf("Joins(%q): only raw JOIN clauses are converted (a relation join also loads the relation)", text)
			}
			if strings.Contains(text, "@") || strings.Count(text, "?") != len(args)-1 {
				return skipf("Joins(%q): named parameters or %d placeholders for %d arguments", text, strings.Count(text, "?"), len(args)-1)
			}
			s.joins = append(s.joins, rawJoin{text: text, args: args[1:]})
		case "Group":
			tv := s.info.Types[args[0]]
			if s.group != "" || tv.Value == nil || tv.Value.Kind() != constant.String || !legacyapi.IsIdentifier(constant.StringVal(tv.Value)) || strings.Contains(constant.StringVal(tv.Value), ".") {
				return skipf("Group(%s): only one constant column name is converted", s.text(args[0]))
			}
			s.group = constant.StringVal(tv.Value)
		case "Having":
			if s.having != nil || l.call.Ellipsis.IsValid() {
				return skipf("Having twice or with a spread argument list")
			}
			s.having = &Cond{Kind: CondWhere, Query: args[0], Args: args[1:]}
		case "Attrs":
			if s.ch.Op != "FirstOrCreate" {
				return skipf("Attrs is only converted with FirstOrCreate")
			}
			if len(args) != 1 || l.call.Ellipsis.IsValid() {
				return skipf("Attrs with %d arguments is not converted", len(args))
			}
			s.attrs = append(s.attrs, args[0])
		case "Select", "Distinct":
			// Only constant column names, one per argument (GORM quotes a
			// string that names a field; anything else is raw SQL).
			if l.call.Ellipsis.IsValid() {
				return skipf("%s with a spread argument list", l.name)
			}
			if l.name == "Distinct" {
				s.distinct = true
			}
			if len(s.selects) > 0 || s.selectRaw != "" {
				return skipf("Select appears twice in the chain")
			}
			if len(args) == 1 {
				// One constant string that is not a column name: GORM
				// writes it as the SELECT list (converted for Scan only).
				tv := s.info.Types[args[0]]
				if tv.Value != nil && tv.Value.Kind() == constant.String && !legacyapi.IsIdentifier(constant.StringVal(tv.Value)) {
					s.selectRaw = constant.StringVal(tv.Value)
					continue
				}
			}
			for _, a := range args {
				tv := s.info.Types[a]
				if tv.Value == nil || tv.Value.Kind() != constant.String || !legacyapi.IsIdentifier(constant.StringVal(tv.Value)) || strings.Contains(constant.StringVal(tv.Value), ".") {
					return skipf("Select(%s): only constant column names are converted", s.text(a))
				}
				s.selects = append(s.selects, constant.StringVal(tv.Value))
			}
		case "Preload":
			tv := s.info.Types[args[0]]
			if tv.Value == nil || tv.Value.Kind() != constant.String {
				return skipf("Preload of a non-constant association")
			}
			if len(args) > 1 {
				if l.call.Ellipsis.IsValid() {
					return skipf("Preload with a spread argument list")
				}
				s.preloads = append(s.preloads, preloadCond{rel: constant.StringVal(tv.Value), args: args[1:]})
				continue
			}
			s.populate = append(s.populate, constant.StringVal(tv.Value))
		default:
			return skipf("%s is not converted", l.name)
		}
	}
	return nil
}

// order converts a constant ORDER BY list of the model's columns.
func (s *site) order(arg ast.Expr) error {
	tv := s.info.Types[arg]
	if tv.Value == nil || tv.Value.Kind() != constant.String {
		return skipf("Order(%s) is not a constant string", s.text(arg))
	}
	text := constant.StringVal(tv.Value)
	s.orderText = append(s.orderText, text)
	items, err := parseOrder(text)
	if err != nil {
		return err
	}
	s.orders = append(s.orders, items...)
	return nil
}

// parseOrder parses a constant ORDER BY text into "column\x00uow.Asc|Desc"
// items; only (qualified) columns with ASC/DESC pass.
func parseOrder(text string) ([]string, error) {
	var orders []string
	res, err := sqltext.ParseFragment(sqltext.OrderBy, text, sqltext.StyleQuestion)
	if err != nil {
		return nil, skipf("Order(%q) does not parse: %v", text, err)
	}
	sel := res.Tree.GetStmts()[0].GetStmt().GetSelectStmt()
	for _, n := range sel.GetSortClause() {
		sb := n.GetSortBy()
		if sb == nil || sb.GetSortbyNulls() != pg_query.SortByNulls_SORTBY_NULLS_DEFAULT || len(sb.GetUseOp()) > 0 {
			return nil, skipf("Order(%q): only columns with ASC/DESC are converted", text)
		}
		cr := sb.GetNode().GetColumnRef()
		if cr == nil {
			return nil, skipf("Order(%q): %s is not a column", text, nodeKind(sb.GetNode()))
		}
		var parts []string
		for _, f := range cr.GetFields() {
			parts = append(parts, f.GetString_().GetSval())
		}
		dir := "uow.Asc"
		if sb.GetSortbyDir() == pg_query.SortByDir_SORTBY_DESC {
			dir = "uow.Desc"
		}
		orders = append(orders, strings.Join(parts, ".")+"\x00"+dir)
	}
	return orders, nil
}

// context finds the context and the EntityManager expressions.
func (s *site) context() error {
	if s.tx != nil {
		s.ctxExpr = "ctx"
		s.emExpr = "uow.FromContext(ctx)"
		if s.txEm != "" {
			s.emExpr = s.txEm
		}
		return nil
	}
	if s.ctxExpr == "" {
		// A context.Context parameter, else r.Context() of an
		// *http.Request parameter.
		for _, fl := range s.decl.Type.Params.List {
			t := s.info.TypeOf(fl.Type)
			for _, name := range fl.Names {
				if isNamed(t, "context", "Context") && s.ctxExpr == "" {
					s.ctxExpr = name.Name
				}
			}
		}
		if s.ctxExpr == "" {
			for _, fl := range s.decl.Type.Params.List {
				t := s.info.TypeOf(fl.Type)
				for _, name := range fl.Names {
					if p, ok := t.(*types.Pointer); ok && isNamed(p.Elem(), "net/http", "Request") && s.ctxExpr == "" {
						s.ctxExpr = name.Name + ".Context()"
					}
				}
			}
		}
		if s.ctxExpr == "" {
			return skipf("no context.Context in scope (no WithContext, no context or *http.Request parameter): the EntityManager comes from the context")
		}
	}
	s.emExpr = "uow.FromContext(" + s.ctxExpr + ")"
	// em := uow.FromContext(ctx) at the top of the function when ctx is a
	// parameter of it and the name em is free.
	if s.isParam(s.ctxExpr) {
		start := s.fs.off(s.decl.Body.Lbrace) + 1
		if name, ok := s.fs.ems[start]; ok {
			s.emExpr = name
			s.res.emDecl = start
			return nil
		}
		if !s.nameUsedIn(s.decl, "em") {
			s.fs.ems[start] = "em"
			s.fs.emDecls[start] = Edit{Start: start, End: start, New: "\nem := uow.FromContext(" + s.ctxExpr + ")"}
			s.emExpr = "em"
			s.res.emDecl = start
		}
	}
	return nil
}

func (s *site) isParam(name string) bool {
	for _, fl := range s.decl.Type.Params.List {
		for _, n := range fl.Names {
			if n.Name == name {
				return true
			}
		}
	}
	return false
}

// nameUsedIn reports whether name is declared or used anywhere in n.
func (s *site) nameUsedIn(n ast.Node, name string) bool {
	used := false
	ast.Inspect(n, func(x ast.Node) bool {
		if id, ok := x.(*ast.Ident); ok && id.Name == name {
			used = true
		}
		return !used
	})
	return used
}

func isNamed(t types.Type, pkg, name string) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == pkg && n.Obj().Name() == name
}

// setModel fixes the model from a type and checks Model(...) agrees.
func (s *site) setModel(t types.Type) error {
	m := modelOf(t, s.rw.tables)
	if m == nil {
		return skipf("%s is not a model struct", types.TypeString(t, types.RelativeTo(s.fs.pkg.Types)))
	}
	if m.CustomTable {
		return skipf("%s has a TableName method; its table is not known statically", m.Name)
	}
	if h := gormHook(m.Type, s.ch.Op); h != "" {
		return skipf("%s has the GORM hook method %s, which the unit of work does not call", m.Name, h)
	}
	if s.modelArg != nil {
		mm := ModelOf(s.info.TypeOf(s.modelArg))
		if mm == nil || !types.Identical(mm.Type, m.Type) {
			return skipf("Model(%s) and the destination are different types", s.text(s.modelArg))
		}
	}
	s.model = m
	return nil
}

func (s *site) typeName() string {
	return types.TypeString(s.model.Type, s.fs.qualifier)
}

// filterOpts renders the conditions, orders, limit, offset and populate as
// uow options.
func (s *site) filterOpts(extraOrder ...string) ([]string, error) {
	env := &condEnv{info: s.info, src: func(n ast.Node) string { return s.text(n) }, model: s.model, lib: s.lib}
	populate := s.populate
	if len(s.relJoins) > 0 {
		env.joined = map[string]*Model{}
		for _, rel := range s.relJoins {
			target, _, ok := s.model.BelongsTo(rel, s.rw.tables)
			if !ok {
				return nil, skipf("Joins(%q): only belongs-to relations with GORM's default keys are converted", rel)
			}
			if target.CustomTable {
				return nil, skipf("Joins(%q): %s has a TableName method; its table is not known statically", rel, target.Name)
			}
			if f := gormHasOneKey(s.model, target); f != "" {
				return nil, skipf("Joins(%q): %s.%s makes it a has-one in GORM (tried before belongs-to): the join repeats a row per match", rel, target.Name, f)
			}
			if h := gormHook(target.Type, "Find"); h != "" {
				return nil, skipf("Joins(%q): %s has the GORM hook method %s", rel, target.Name, h)
			}
			env.joined[rel] = target
			if !slices.Contains(populate, rel) {
				populate = append(populate[:len(populate):len(populate)], rel)
			}
		}
	}
	f, err := env.TranslateConds(s.conds)
	if err != nil {
		return nil, err
	}
	if len(s.relJoins) > 0 {
		if f, err = liftRelated(f, false); err != nil {
			return nil, err
		}
		for _, rel := range s.relJoins {
			// GORM's relation join is a LEFT JOIN: a row whose foreign key
			// is NULL comes back with the relation unset. Populate does the
			// same, but only a NOT NULL key or a condition on the joined
			// row that every result must meet makes that provably so.
			_, fk, _ := s.model.BelongsTo(rel, s.rw.tables)
			if !s.model.NotNull[fk] && !requiresRelated(f, rel) {
				return nil, skipf("Joins(%q): the foreign key %s may be NULL and no condition requires the joined row", rel, fk)
			}
		}
	}
	var opts []string
	if f != nil {
		if f.Op == "And" {
			for _, sub := range f.Subs {
				opts = append(opts, sub.Go("uow"))
			}
		} else {
			opts = append(opts, f.Go("uow"))
		}
	}
	// The finisher's own order (First/Last by key) comes before the
	// scopes' orders, as GORM adds it before it runs them.
	at := len(s.orders)
	if s.scoped() {
		at = s.ownOrders
	}
	orders := slices.Concat(s.orders[:at], extraOrder, s.orders[at:])
	for _, o := range orders {
		col, dir, _ := strings.Cut(o, "\x00")
		if i := strings.IndexByte(col, '.'); i >= 0 {
			if col[:i] != s.model.Table {
				return nil, skipf("Order on %s, not a column of %s", col, s.model.Table)
			}
			col = col[i+1:]
		}
		if _, ok := s.model.Columns[col]; !ok {
			return nil, skipf("Order on %q, not a column of %s", col, s.model.Name)
		}
		opts = append(opts, "uow.OrderBy("+strconv.Quote(col)+", "+dir+")")
	}
	if s.limit != "" {
		opts = append(opts, "uow."+s.limitFn+"("+s.limit+")")
	}
	if s.offset != "" {
		opts = append(opts, "uow."+s.offsetFn+"("+s.offset+")")
	}
	for _, p := range populate {
		if _, ok := s.model.Relations[p]; !ok {
			return nil, skipf("Preload(%q) is not a relation of %s", p, s.model.Name)
		}
		opts = append(opts, "uow.Populate("+strconv.Quote(p)+")")
	}
	if s.varChain != nil {
		arg, err := s.emitVarChain(env, opts)
		if err != nil {
			return nil, err
		}
		s.varCallOpts = arg
	}
	return opts, nil
}

func (s *site) call(fn string, opts []string) string {
	if s.varChain != nil && s.varChain.emitted {
		// The options built across statements, then the site's.
		return fn + "(" + s.ctxExpr + ", " + s.emExpr + ", " + s.varCallOpts + ")"
	}
	args := append([]string{s.ctxExpr, s.emExpr}, opts...)
	return fn + "(" + strings.Join(args, ", ") + ")"
}

// isLocal reports whether v is a local variable of the site's function
// (not a parameter, result or receiver).
func (s *site) isLocal(v *types.Var) bool {
	if v.IsField() || v.Parent() == nil || v.Parent() == s.fs.pkg.Types.Scope() {
		return false
	}
	if s.decl.Body == nil || v.Pos() < s.decl.Body.Pos() || v.Pos() > s.decl.Body.End() {
		return false
	}
	return true
}

// inlineConds adds the finisher's inline conditions (First(&p, conds...)).
func (s *site) inlineConds(from int) {
	if len(s.fin.Args) > from {
		// GORM adds them before it runs the scopes: after the chain's own
		// conditions, before the scopes'.
		at := len(s.conds)
		if s.scoped() {
			at = s.ownConds
		}
		s.conds = slices.Insert(s.conds, at, Cond{Kind: CondWhere, Query: s.fin.Args[from], Args: s.fin.Args[from+1:]})
	}
}

// localDest returns the local variable whose address is arg (&v).
func (s *site) localDest(arg ast.Expr) (*types.Var, *ast.Ident, error) {
	u, ok := ast.Unparen(arg).(*ast.UnaryExpr)
	if !ok || u.Op != token.AND {
		return nil, nil, skipf("the destination %s is not the address of a variable", s.text(arg))
	}
	id, ok := ast.Unparen(u.X).(*ast.Ident)
	if !ok {
		return nil, nil, skipf("the destination %s is not the address of a variable", s.text(arg))
	}
	v, ok := s.info.Uses[id].(*types.Var)
	if !ok || v.Parent() == nil || v.Parent() == s.fs.pkg.Types.Scope() || v.IsField() {
		return nil, nil, skipf("the destination %s is not a local variable", id.Name)
	}
	return v, id, nil
}

// hooksByOp lists the GORM model hooks (callbacks/*.go) that run for an
// operation.
var hooksByOp = map[string][]string{
	"Find": {"AfterFind"}, "First": {"AfterFind"}, "Take": {"AfterFind"}, "Last": {"AfterFind"}, "Pluck": {"AfterFind"},
	"Create": {"BeforeSave", "BeforeCreate", "AfterCreate", "AfterSave"}, "CreateInBatches": {"BeforeSave", "BeforeCreate", "AfterCreate", "AfterSave"},
	"Save":   {"BeforeSave", "BeforeCreate", "BeforeUpdate", "AfterCreate", "AfterUpdate", "AfterSave"},
	"Update": {"BeforeSave", "BeforeUpdate", "AfterUpdate", "AfterSave"}, "Updates": {"BeforeSave", "BeforeUpdate", "AfterUpdate", "AfterSave"},
	"Delete":        {"BeforeDelete", "AfterDelete"},
	"Scan":          {"AfterFind"},
	"FirstOrCreate": {"AfterFind", "BeforeSave", "BeforeCreate", "AfterCreate", "AfterSave"},
}

// gormHook returns the name of a GORM hook method of the model that runs
// for op, or "".
func gormHook(t *types.Named, op string) string {
	for _, name := range hooksByOp[op] {
		if obj, _, _ := types.LookupFieldOrMethod(types.NewPointer(t), true, t.Obj().Pkg(), name); obj != nil {
			if _, ok := obj.(*types.Func); ok {
				return name
			}
		}
	}
	return ""
}

// gormHasOneKey returns the field of target that GORM takes for the key of
// a has-one from m when it resolves m's field of type target, or "". For a
// field whose type is not m's own, GORM looks for a has-one first (m's
// name + its key field, or + ID/Id, or that column on target) and only
// then for a belongs-to key on m.
func gormHasOneKey(m, target *Model) string {
	if types.Identical(m.Type, target.Type) || len(m.PK) == 0 {
		return ""
	}
	var names []string
	for _, pk := range m.PK {
		names = append(names, m.Name+m.Columns[pk])
	}
	if len(m.PK) == 1 {
		names = append(names, m.Name+"ID", m.Name+"Id")
	}
	for _, n := range names {
		if _, ok := target.Fields[n]; ok {
			return n
		}
	}
	if len(m.PK) == 1 {
		if f, ok := target.Columns[naming.ColumnName(m.Name+"ID")]; ok {
			return f
		}
	}
	return ""
}

// scoped reports whether links of the chain come from scopes.
func (s *site) scoped() bool { return s.nOwn < len(s.chainLinks) }
