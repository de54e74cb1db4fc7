package rewrite

import (
	"go/ast"
	"go/types"

	"golang.org/x/tools/go/ast/astutil"
	"golang.org/x/tools/go/packages"
	"golang.org/x/tools/go/types/typeutil"

	"github.com/ormshift/ormshift/analyzers/legacyapi"
)

const ruleNotFound = "rewrite/not-found"

// finishNotFound rewrites errors.Is(err, gorm.ErrRecordNotFound) to test
// the runtime's not-found error. While finders are left unconverted in the
// run's packages, the legacy test is kept alongside:
// errors.Is(err, gorm.ErrRecordNotFound) || errors.Is(err, uow.ErrNotFound).
func (rw *rewriter) finishNotFound() error {
	if !rw.ruleEnabled(ruleNotFound) {
		return nil
	}
	for _, pkg := range rw.pkgs {
		for _, f := range pkg.Syntax {
			var calls []*ast.CallExpr
			ast.Inspect(f, func(n ast.Node) bool {
				c, ok := n.(*ast.CallExpr)
				if !ok || len(c.Args) != 2 {
					return true
				}
				fn, _ := typeutil.Callee(pkg.TypesInfo, c).(*types.Func)
				if fn == nil || fn.Pkg() == nil || fn.Pkg().Path() != "errors" || fn.Name() != "Is" {
					return true
				}
				if isLegacyNotFound(pkg.TypesInfo, c.Args[1]) {
					calls = append(calls, c)
				}
				return true
			})
			if len(calls) == 0 {
				continue
			}
			fs, err := rw.fileOf(pkg, f.Pos())
			if err != nil {
				return err
			}
			for _, c := range calls {
				posn := pkg.Fset.Position(c.Pos())
				site := Site{File: fs.rel, Line: posn.Line, Column: posn.Column, Op: "ErrRecordNotFound", Rule: ruleNotFound}
				if rw.compat {
					site.Status = StatusSkipped
					site.Reason = "kept: converted finders return the legacy not-found error while legacy finders or other references to it remain"
					rw.sites = append(rw.sites, site)
					continue
				}
				path, _ := astutil.PathEnclosingInterval(f, c.Pos(), c.End())
				if rw.alreadyPaired(pkg.TypesInfo, path) {
					if rw.leftNotFound > 0 {
						continue // already in its final form for now
					}
					// Drop the legacy half: replace the whole pair.
					bin := path[1].(*ast.BinaryExpr)
					other := bin.Y
					if ast.Node(other) == ast.Node(c) {
						other = bin.X
					}
					e := Edit{Start: fs.off(bin.Pos()), End: fs.off(bin.End()), New: string(fs.src[fs.off(other.Pos()):fs.off(other.End())])}
					if Overlaps(e, fs.edits) {
						continue
					}
					fs.edits = append(fs.edits, e)
					fs.imports.Drop = appendUnique(fs.imports.Drop, legacyPaths()...)
					site.Status = StatusConverted
					rw.sites = append(rw.sites, site)
					continue
				}
				errSrc := string(fs.src[fs.off(c.Args[0].Pos()):fs.off(c.Args[0].End())])
				fun := string(fs.src[fs.off(c.Fun.Pos()):fs.off(c.Fun.End())])
				newCheck := fun + "(" + errSrc + ", uow.ErrNotFound)"
				text := newCheck
				if rw.leftNotFound > 0 {
					text = string(fs.src[fs.off(c.Pos()):fs.off(c.End())]) + " || " + newCheck
					if len(path) > 1 {
						switch path[1].(type) {
						case *ast.UnaryExpr, *ast.BinaryExpr, *ast.SelectorExpr:
							text = "(" + text + ")"
						}
					}
				}
				e := Edit{Start: fs.off(c.Pos()), End: fs.off(c.End()), New: text}
				if Overlaps(e, fs.edits) {
					continue
				}
				fs.edits = append(fs.edits, e)
				fs.imports.Add = appendUnique(fs.imports.Add, UowPath)
				fs.imports.Drop = appendUnique(fs.imports.Drop, legacyPaths()...)
				site.Status = StatusConverted
				rw.sites = append(rw.sites, site)
			}
		}
	}
	return nil
}

func isLegacyNotFound(info *types.Info, e ast.Expr) bool {
	sel, ok := ast.Unparen(e).(*ast.SelectorExpr)
	if !ok {
		return false
	}
	v, ok := info.Uses[sel.Sel].(*types.Var)
	if !ok || v.Pkg() == nil {
		return false
	}
	lib := legacyapi.ByPath(v.Pkg().Path())
	return lib != nil && lib.NotFound == v.Name()
}

// alreadyPaired: the check is the legacy half of "legacy || uow".
func (rw *rewriter) alreadyPaired(info *types.Info, path []ast.Node) bool {
	if len(path) < 2 {
		return false
	}
	bin, ok := path[1].(*ast.BinaryExpr)
	if !ok || bin.Op.String() != "||" {
		return false
	}
	for _, side := range []ast.Expr{bin.X, bin.Y} {
		if c, ok := ast.Unparen(side).(*ast.CallExpr); ok && len(c.Args) == 2 {
			if sel, ok := ast.Unparen(c.Args[1]).(*ast.SelectorExpr); ok && sel.Sel.Name == "ErrNotFound" {
				if v, ok := info.Uses[sel.Sel].(*types.Var); ok && v.Pkg() != nil && v.Pkg().Path() == UowPath {
					return true
				}
			}
		}
	}
	return false
}

// legacyNotFoundRefs reports whether some code refers to the legacy
// not-found error other than as errors.Is(x, gorm.ErrRecordNotFound).
func legacyNotFoundRefs(pkgs []*packages.Package) bool {
	for _, pkg := range pkgs {
		for _, f := range pkg.Syntax {
			inIs := map[ast.Node]bool{}
			ast.Inspect(f, func(n ast.Node) bool {
				c, ok := n.(*ast.CallExpr)
				if !ok || len(c.Args) != 2 {
					return true
				}
				fn, _ := typeutil.Callee(pkg.TypesInfo, c).(*types.Func)
				if fn != nil && fn.Pkg() != nil && fn.Pkg().Path() == "errors" && fn.Name() == "Is" {
					if sel, ok := ast.Unparen(c.Args[1]).(*ast.SelectorExpr); ok {
						inIs[sel.Sel] = true
					}
				}
				return true
			})
			found := false
			ast.Inspect(f, func(n ast.Node) bool {
				id, ok := n.(*ast.Ident)
				if !ok || inIs[id] {
					return !found
				}
				if v, ok := pkg.TypesInfo.Uses[id].(*types.Var); ok && v.Pkg() != nil {
					if lib := legacyapi.ByPath(v.Pkg().Path()); lib != nil && lib.NotFound == v.Name() {
						found = true
					}
				}
				return !found
			})
			if found {
				return true
			}
		}
	}
	return false
}
