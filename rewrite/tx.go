package rewrite

import (
	"go/ast"
	"go/types"
	"strings"

	"github.com/ormshift/ormshift/analyzers/legacyapi"
	"github.com/ormshift/ormshift/analyzers/legacycall"
)

// convertTx converts db.WithContext(ctx).Transaction(func(tx *gorm.DB)
// error {...}) into em.Transactional(ctx, func(ctx context.Context) error
// {...}): only the call's head changes; the callback's sites are converted
// by txGroup. It returns the callback's handle parameter and the
// EntityManager expression the callback's sites use.
func (rw *rewriter) convertTx(fs *fileState, ch *legacycall.Chain) (*convResult, *types.Var, string, error) {
	conv := legacyapi.ConversionFor(legacyapi.ByName(ch.Library), ch.Op)
	if conv == nil || !rw.ruleEnabled(conv.Rule) {
		return nil, nil, "", skipf("rule rewrite/transaction not selected")
	}
	s := &site{rw: rw, fs: fs, ch: ch, conv: conv, info: fs.pkg.TypesInfo, lib: legacyapi.ByName(ch.Library)}
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
