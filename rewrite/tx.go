package rewrite

import (
	"errors"
	"go/ast"
	"go/token"
	"go/types"
	"go/version"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/ormshift/ormshift/analyzers/legacyapi"
	"github.com/ormshift/ormshift/analyzers/legacycall"
)

// convertTx converts db.WithContext(ctx).Transaction(func(tx *gorm.DB)
// error {...}) into em.Transactional(ctx, func(ctx context.Context) error
// {...}): only the call's head changes; the callback's sites are converted
// by txGroup. It returns the callback's handle parameter and the
// EntityManager expression the callback's sites use.
func (rw *rewriter) convertTx(fs *fileState, ch *legacycall.Chain, outer *types.Var, outerEm string) (*convResult, *types.Var, string, error) {
	conv := legacyapi.ConversionFor(legacyapi.ByName(ch.Library), ch.Op)
	if conv == nil || !rw.ruleEnabled(conv.Rule) {
		return nil, nil, "", skipf("rule rewrite/transaction not selected")
	}
	// outer is set for a Transaction nested in a converted callback: its
	// chain starts at the outer callback's handle.
	s := &site{rw: rw, fs: fs, ch: ch, conv: conv, info: fs.pkg.TypesInfo, lib: legacyapi.ByName(ch.Library), tx: outer, txEm: outerEm}
	s.res.emDecl = -1
	if s.lib != legacyapi.GORMv2 {
		return nil, nil, "", skipf("only GORM v2 call sites are converted")
	}
	s.fin = fs.callAt(ch.Finisher.Pos)
	if s.fin == nil {
		return nil, nil, "", skipf("the Transaction call was not found in the syntax")
	}
	path, _ := pathTo(fs.file, s.fin)
	s.path = path
	for _, n := range path {
		if d, ok := n.(*ast.FuncDecl); ok {
			s.decl = d
		}
	}
	if s.decl == nil {
		return nil, nil, "", skipf("the call is not inside a function")
	}
	if err := s.walkChain(); err != nil {
		return nil, nil, "", err
	}
	if err := s.parseLinks(); err != nil {
		return nil, nil, "", err
	}
	if err := s.noConds("Transaction"); err != nil {
		return nil, nil, "", err
	}
	if err := s.context(); err != nil {
		return nil, nil, "", err
	}
	if len(s.fin.Args) != 1 {
		return nil, nil, "", skipf("Transaction with options (sql.TxOptions) is not converted")
	}
	lit, ok := ast.Unparen(s.fin.Args[0]).(*ast.FuncLit)
	if !ok {
		return nil, nil, "", skipf("the Transaction callback is not a function literal")
	}
	params := lit.Type.Params.List
	if len(params) != 1 || len(params[0].Names) != 1 {
		return nil, nil, "", skipf("the Transaction callback does not name its handle")
	}
	txVar, _ := s.info.Defs[params[0].Names[0]].(*types.Var)
	if txVar == nil {
		return nil, nil, "", skipf("the Transaction callback's handle is not a variable")
	}
	if s.nameUsedIn(lit.Body, "ctx") && s.ctxExpr != "ctx" {
		return nil, nil, "", skipf("the callback uses a name ctx of its own")
	}
	head := s.emExpr + ".Transactional(" + s.ctxExpr + ", func(ctx context.Context) error "
	s.res.edits = append(s.res.edits, Edit{Start: fs.off(s.fin.Pos()), End: fs.off(lit.Body.Lbrace), New: head})
	s.res.imports = []string{UowPath, "context"}
	txEm := ""
	if !strings.Contains(s.emExpr, "(") {
		txEm = s.emExpr
	}
	return &s.res, txVar, txEm, nil
}

// txDone is a converted site of a Transaction group.
type txDone struct {
	ch   *legacycall.Chain
	cs   *convResult
	site Site
}

// nestedResult is a converted nested Transaction with the sites of its
// callback.
type nestedResult struct {
	done   []txDone
	handle *types.Var
}

// nestedOps are the operations converted inside a nested Transaction's
// callback. GORM leaves its structs as they are when the savepoint rolls
// back; the runtime undoes what its flushes did to managed entities (keys,
// snapshots) and forgets the entities persisted or loaded inside. So no
// Save or FirstOrCreate of rows that outlive the callback, and a created
// row must be declared inside the callback or be the range variable of a
// loop around it that is not used after the nested call.
var nestedOps = map[string]bool{"Create": true, "CreateInBatches": true, "Count": true, "Find": true, "First": true, "Take": true, "Last": true, "Pluck": true, "Scan": true, "Exec": true, "Update": true, "Updates": true, "UpdateColumn": true, "UpdateColumns": true, "Delete": true}

// nestedTx converts tx.Transaction(func(tx2 *gorm.DB) error {...}) inside a
// converted callback into em.Transactional (a savepoint), with every site
// of its callback, or returns the reason it cannot.
func (rw *rewriter) nestedTx(pkg *packages.Package, fs *fileState, ch *legacycall.Chain, sites []*legacycall.Chain, outer *types.Var, outerEm string) (*nestedResult, error) {
	if pkg.Module == nil || pkg.Module.GoVersion == "" || version.Compare("go"+pkg.Module.GoVersion, "go1.22") < 0 {
		return nil, skipf("the module's go version is before 1.22 (a loop variable is shared between iterations)")
	}
	ncs, nVar, nEm, err := rw.convertTx(fs, ch, outer, outerEm)
	if err != nil {
		return nil, err
	}
	call := fs.callAt(ch.Finisher.Pos)
	lit := ast.Unparen(call.Args[0]).(*ast.FuncLit)
	res := &nestedResult{handle: nVar, done: []txDone{{ch, ncs, rw.newSite(pkg, fs, ch)}}}
	path, _ := pathTo(fs.file, call)
	info := fs.pkg.TypesInfo
	for _, d := range sites {
		site := rw.newSite(pkg, fs, d)
		if !nestedOps[d.Op] {
			return nil, skipf("%s at line %d inside it is not converted in a savepoint", d.Op, site.Line)
		}
		cs, err := rw.tryConvert(fs, d, nVar, nEm)
		if err != nil {
			var sk *Skip
			if errors.As(err, &sk) {
				return nil, skipf("%s at line %d inside it is not converted: %s", d.Op, site.Line, sk.Reason)
			}
			return nil, err
		}
		if d.Op == "Create" || d.Op == "CreateInBatches" {
			fin := fs.callAt(d.Finisher.Pos)
			arg := ast.Unparen(fin.Args[0])
			if u, ok := arg.(*ast.UnaryExpr); ok {
				arg = ast.Unparen(u.X)
			}
			id, _ := arg.(*ast.Ident)
			var v *types.Var
			if id != nil {
				v, _ = info.Uses[id].(*types.Var)
			}
			if v == nil {
				return nil, skipf("the value created at line %d is not a variable", site.Line)
			}
			if v.Pos() < lit.Pos() || v.Pos() >= lit.End() {
				var loop *ast.RangeStmt
				for _, n := range path {
					if r, ok := n.(*ast.RangeStmt); ok && r.Tok == token.DEFINE && (isIdentOf(info, r.Key, v) || isIdentOf(info, r.Value, v)) {
						loop = r
					}
				}
				if loop == nil {
					return nil, skipf("%s, created at line %d, outlives the savepoint: its rollback resets the key the runtime assigned (GORM keeps it)", v.Name(), site.Line)
				}
				used := false
				ast.Inspect(loop.Body, func(n ast.Node) bool {
					if x, ok := n.(*ast.Ident); ok && x.Pos() >= call.End() && info.Uses[x] == v {
						used = true
					}
					return !used
				})
				if used {
					return nil, skipf("%s, created at line %d, is used after the savepoint: its rollback resets the key the runtime assigned (GORM keeps it)", v.Name(), site.Line)
				}
			}
		}
		res.done = append(res.done, txDone{d, cs, site})
	}
	return res, nil
}

func isIdentOf(info *types.Info, e ast.Expr, v *types.Var) bool {
	id, ok := e.(*ast.Ident)
	return ok && info.Defs[id] == v
}
