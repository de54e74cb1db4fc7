package rewrite

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/tools/go/types/typeutil"

	"github.com/ormshift/ormshift/internal/sqltext"
	"github.com/ormshift/ormshift/uow/naming"
)

// noQueryParts rejects query links an operation does not take.
func (s *site) noQueryParts(what string) error {
	if len(s.orders) > 0 || s.limit != "" || s.offset != "" || len(s.populate) > 0 {
		return skipf("%s with Order/Limit/Offset/Preload is not converted", what)
	}
	if s.rawCall != nil {
		return skipf("%s after Raw is not converted", what)
	}
	return nil
}

func (s *site) noConds(what string) error {
	if len(s.conds) > 0 || s.modelArg != nil {
		return skipf("%s with Where/Model is not converted", what)
	}
	return s.noQueryParts(what)
}

// find: db...Find(&rows, conds...).
func (s *site) find() error {
	if s.rawCall != nil {
		return skipf("Raw(...).Find is not converted")
	}
	v, _, err := s.localDest(s.fin.Args[0])
	if err != nil {
		return err
	}
	sl, ok := v.Type().Underlying().(*types.Slice)
	if !ok {
		return skipf("Find into %s, not a slice", types.TypeString(v.Type(), nil))
	}
	ptrElems := false
	if _, ok := types.Unalias(sl.Elem()).(*types.Pointer); ok {
		ptrElems = true
	}
	if s.modelArg != nil && !ptrElems {
		if mm := ModelOf(s.info.TypeOf(s.modelArg)); mm != nil && !types.Identical(mm.Type, types.Unalias(sl.Elem())) {
			return s.projection(v, sl.Elem())
		}
	}
	if len(s.selects) > 0 {
		return skipf("Select into the model itself (the other fields stay zero) is not converted")
	}
	if len(s.joins) > 0 {
		return s.joinFind(sl.Elem())
	}
	if err := s.setModel(sl.Elem()); err != nil {
		return err
	}
	s.inlineConds(1)
	opts, err := s.filterOpts()
	if err != nil {
		return err
	}
	f, err := s.findForm()
	if err != nil {
		return err
	}
	call := s.call("uow.Find["+s.typeName()+"]", opts)
	dest := v.Name()
	var preloads []string
	if len(s.preloads) > 0 {
		if ptrElems {
			return skipf("Preload with conditions into a slice of pointers")
		}
		if preloads, err = s.preloadCalls("&" + dest); err != nil {
			return err
		}
	}
	if ptrElems {
		del, err := s.takeDecl(f, v)
		if err != nil {
			return err
		}
		s.res.edits = append(s.res.edits, del)
		return s.emit(f, func(errVar string, es errState, _ string) ([]string, error) {
			if es == errOuter {
				return nil, skipf("assignment form with a []*T destination")
			}
			return []string{dest + ", " + errVar + " := " + call}, nil
		}, false)
	}
	found := s.freshName("found")
	row := s.freshName("row")
	return s.emit(f, func(errVar string, es errState, _ string) ([]string, error) {
		first := found + ", " + errVar + " := " + call
		var pre []string
		if es == errOuter {
			pre = []string{"var " + found + " []*" + s.typeName()}
			first = found + ", " + errVar + " = " + call
		}
		out := append(pre, first,
			"if "+errVar+" == nil {",
			"\t"+dest+" = make("+types.TypeString(v.Type(), s.fs.qualifier)+", 0, len("+found+"))",
			"\tfor _, "+row+" := range "+found+" {",
			"\t\t"+dest+" = append("+dest+", *"+row+")",
			"\t}")
		for i, p := range preloads {
			if i == 0 {
				out = append(out, "\t"+errVar+" = "+p)
			} else {
				out = append(out, "\tif "+errVar+" == nil {", "\t\t"+errVar+" = "+p, "\t}")
			}
		}
		return append(out, "}"), nil
	}, false)
}

// first: First/Take/Last(&row, conds...) into a local struct, which becomes
// the managed pointer.
func (s *site) first() error {
	if s.rawCall != nil {
		return skipf("Raw(...).%s is not converted", s.ch.Op)
	}
	v, _, err := s.localDest(s.fin.Args[0])
	if err != nil {
		return err
	}
	if err := s.setModel(v.Type()); err != nil {
		return err
	}
	if _, isPtr := v.Type().Underlying().(*types.Pointer); isPtr {
		return skipf("%s into a pointer variable", s.ch.Op)
	}
	if len(s.preloads) > 0 {
		return s.firstPreload(v)
	}
	f, err := s.findForm()
	if err != nil {
		return err
	}
	del, err := s.takeDecl(f, v)
	if err != nil {
		return err
	}
	var call string
	pk := ""
	if len(s.model.PK) == 1 {
		pk = s.model.PK[0]
	}
	if len(s.conds) == 0 && len(s.relJoins) == 0 && s.varChain == nil && s.modelArg == nil && len(s.orders) == 0 && s.limit == "" && s.offset == "" && len(s.fin.Args) == 2 && pk != "" && s.ch.Op != "Last" && isIntegerExpr(s.info, s.fin.Args[1]) {
		// First(&p, id): Get, which also serves it from the identity map.
		var opts []string
		for _, p := range s.populate {
			if _, ok := s.model.Relations[p]; !ok {
				return skipf("Preload(%q) is not a relation of %s", p, s.model.Name)
			}
			opts = append(opts, "uow.Populate("+strconv.Quote(p)+")")
		}
		call = s.call("uow.Get["+s.typeName()+"]", append([]string{s.text(s.fin.Args[1])}, opts...))
	} else {
		s.inlineConds(1)
		var extra []string
		switch s.ch.Op {
		case "First":
			if pk == "" {
				return skipf("%s has no single primary key to order First by", s.model.Name)
			}
			extra = []string{pk + "\x00uow.Asc"}
		case "Last":
			if pk == "" {
				return skipf("%s has no single primary key to order Last by", s.model.Name)
			}
			extra = []string{pk + "\x00uow.Desc"}
		}
		if s.limit != "" || s.offset != "" {
			return skipf("%s with Limit/Offset", s.ch.Op)
		}
		opts, err := s.filterOpts(extra...)
		if err != nil {
			return err
		}
		call = s.call("uow.FindOneOrFail["+s.typeName()+"]", opts)
	}
	s.res.edits = append(s.res.edits, del)
	name := v.Name()
	if !s.usedOutsideFinisher(v) {
		name = "_"
	} else if !s.usesGuarded(f, v) {
		return skipf("%s is used where the lookup may have failed (the converted finder returns nil there, the legacy one a zero %s)", v.Name(), s.model.Name)
	}
	if err := s.emit(f, func(errVar string, es errState, _ string) ([]string, error) {
		if es == errOuter {
			return nil, skipf("assignment form (err = ...) for %s", s.ch.Op)
		}
		var out []string
		if name == "_" && es != errNew {
			out = []string{"_, " + errVar + " = " + call}
		} else {
			out = []string{name + ", " + errVar + " := " + call}
		}
		return append(out, s.notFoundCompat(errVar)...), nil
	}, false); err != nil {
		return err
	}
	s.pointerize(v, s.fin.Pos())
	s.res.pointerized = v
	return nil
}

func (s *site) usedOutsideFinisher(v *types.Var) bool {
	used := false
	ast.Inspect(s.decl.Body, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && s.info.Uses[id] == v && (id.Pos() < s.fin.Pos() || id.Pos() >= s.fin.End()) {
			used = true
		}
		return !used
	})
	return used
}

func isIntegerExpr(info *types.Info, e ast.Expr) bool {
	t := info.TypeOf(e)
	if t == nil {
		return false
	}
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&types.IsInteger != 0
}

// count: Model(&T{}).Where(...).Count(&n).
func (s *site) count() error {
	if s.rawCall != nil || s.modelArg == nil {
		return skipf("Count without Model(&T{})")
	}
	if err := s.setModel(s.info.TypeOf(s.modelArg)); err != nil {
		return err
	}
	if err := s.zeroModelArg(); err != nil {
		return err
	}
	v, _, err := s.localDest(s.fin.Args[0])
	if err != nil {
		return err
	}
	if b, ok := v.Type().(*types.Basic); !ok || b.Kind() != types.Int64 {
		return skipf("Count into %s, not int64", types.TypeString(v.Type(), nil))
	}
	if len(s.orders) > 0 || s.limit != "" || s.offset != "" || len(s.populate) > 0 {
		return skipf("Count with Order/Limit/Offset/Preload")
	}
	opts, err := s.filterOpts()
	if err != nil {
		return err
	}
	f, err := s.findForm()
	if err != nil {
		return err
	}
	del, err := s.takeDecl(f, v)
	if err != nil {
		return err
	}
	s.res.edits = append(s.res.edits, del)
	call := s.call("uow.Count["+s.typeName()+"]", opts)
	return s.emit(f, func(errVar string, es errState, _ string) ([]string, error) {
		if es == errOuter {
			return nil, skipf("assignment form (err = ...) for Count")
		}
		return []string{v.Name() + ", " + errVar + " := " + call}, nil
	}, false)
}

// zeroModelArg requires Model(&T{}) with no fields set: GORM adds the
// primary key of a non-zero model as a condition.
func (s *site) zeroModelArg() error {
	u, ok := ast.Unparen(s.modelArg).(*ast.UnaryExpr)
	if ok && u.Op == token.AND {
		if cl, ok := ast.Unparen(u.X).(*ast.CompositeLit); ok && len(cl.Elts) == 0 {
			return nil
		}
	}
	return skipf("Model(%s) is not an empty literal: GORM adds its primary key as a condition when set", s.text(s.modelArg))
}

// pluck: Model(&T{}).Order(...).Pluck("col", &values) becomes a Find and a
// loop over the field.
func (s *site) pluck() error {
	if s.rawCall != nil || s.modelArg == nil {
		return skipf("Pluck without Model(&T{})")
	}
	if err := s.setModel(s.info.TypeOf(s.modelArg)); err != nil {
		return err
	}
	if err := s.zeroModelArg(); err != nil {
		return err
	}
	tv := s.info.Types[s.fin.Args[0]]
	if tv.Value == nil || tv.Value.Kind() != constant.String {
		return skipf("Pluck of a non-constant column")
	}
	col := constant.StringVal(tv.Value)
	field, ok := s.model.Columns[col]
	if !ok {
		return skipf("Pluck(%q): not a column of %s", col, s.model.Name)
	}
	v, _, err := s.localDest(s.fin.Args[1])
	if err != nil {
		return err
	}
	sl, ok := v.Type().Underlying().(*types.Slice)
	st := s.model.Type.Underlying().(*types.Struct)
	var ft types.Type
	for i := 0; i < st.NumFields(); i++ {
		if st.Field(i).Name() == field {
			ft = st.Field(i).Type()
		}
	}
	if !ok || ft == nil || !types.Identical(sl.Elem(), ft) {
		return skipf("Pluck into %s, not a slice of the field's type", types.TypeString(v.Type(), nil))
	}
	opts, err := s.filterOpts()
	if err != nil {
		return err
	}
	f, err := s.findForm()
	if err != nil {
		return err
	}
	call := s.call("uow.Find["+s.typeName()+"]", opts)
	found := s.freshName("found")
	row := s.freshName("row")
	dest := v.Name()
	return s.emit(f, func(errVar string, es errState, _ string) ([]string, error) {
		if es == errOuter {
			return nil, skipf("assignment form (err = ...) for Pluck")
		}
		return []string{found + ", " + errVar + " := " + call,
			"if " + errVar + " == nil {",
			"\t" + dest + " = make(" + types.TypeString(v.Type(), s.fs.qualifier) + ", 0, len(" + found + "))",
			"\tfor _, " + row + " := range " + found + " {",
			"\t\t" + dest + " = append(" + dest + ", " + row + "." + field + ")",
			"\t}",
			"}"}, nil
	}, false)
}

// flushStmts returns the statements that flush after a write, or none with
// --flush=deferred.
func (s *site) flushStmts(errVar string) []string {
	if s.rw.opts.Flush == FlushDeferred && s.tx == nil {
		return nil
	}
	return []string{"if " + errVar + " == nil {", "\t" + errVar + " = " + s.emExpr + ".Flush(" + s.ctxExpr + ")", "}"}
}

// create: Create(&row) / Create(&rows) / Create(ptr) / Create(rows) /
// CreateInBatches(...): every value is persisted (relations cascade), then
// flushed.
func (s *site) create() error {
	if err := s.noConds(s.ch.Op); err != nil {
		return err
	}
	arg := ast.Unparen(s.fin.Args[0])
	t := s.info.TypeOf(arg)
	if t == nil {
		return skipf("value of unknown type")
	}
	// target is the Go expression of the value(s); isSlice says whether
	// it is a slice expression whose elements are persisted by address.
	var target string
	isSlice := false
	if u, ok := arg.(*ast.UnaryExpr); ok && u.Op == token.AND {
		v, _, err := s.localDest(arg)
		if err != nil {
			return err
		}
		if s.fs.pointerized[v] {
			return skipf("%s of a row loaded by a converted finder", s.ch.Op)
		}
		target = v.Name()
		t = v.Type()
		if _, ok := t.Underlying().(*types.Slice); ok {
			isSlice = true
		} else {
			target = "&" + v.Name()
		}
	} else {
		id, ok := arg.(*ast.Ident)
		if !ok {
			return skipf("%s(%s): the value is not a variable", s.ch.Op, s.text(arg))
		}
		switch u := t.Underlying().(type) {
		case *types.Pointer:
			if _, ok := u.Elem().Underlying().(*types.Struct); !ok {
				return skipf("%s of %s", s.ch.Op, types.TypeString(t, nil))
			}
			target = id.Name
		case *types.Slice:
			isSlice = true
			target = id.Name
		default:
			return skipf("%s of a %s value: GORM cannot write back keys into it", s.ch.Op, types.TypeString(t, nil))
		}
	}
	elem := t
	if sl, ok := t.Underlying().(*types.Slice); ok {
		elem = sl.Elem()
	} else if p, ok := t.Underlying().(*types.Pointer); ok {
		elem = p.Elem()
	}
	if _, isPtr := elem.Underlying().(*types.Pointer); isPtr {
		return skipf("%s of pointers", s.ch.Op)
	}
	if err := s.setModel(elem); err != nil {
		return err
	}
	if s.ch.Op == "CreateInBatches" && !isSlice {
		return skipf("CreateInBatches of a single value")
	}
	f, err := s.findForm()
	if err != nil {
		return err
	}
	idx := s.freshName("i")
	s.res.deferredChange = "the INSERT runs at the next flush (end of request or Transactional) instead of here; keys and timestamps are assigned then, and queries before it do not see the row"
	return s.emit(f, func(errVar string, es errState, nVar string) ([]string, error) {
		var out []string
		if isSlice {
			if es == errNew {
				out = append(out, "var "+errVar+" error")
			}
			out = append(out, "for "+idx+" := range "+target+" {",
				"\tif "+errVar+" = "+s.emExpr+".Persist(&"+target+"["+idx+"]); "+errVar+" != nil {",
				"\t\tbreak",
				"\t}",
				"}")
		} else {
			op := " = "
			if es == errNew {
				op = " := "
			}
			out = append(out, errVar+op+s.emExpr+".Persist("+target+")")
		}
		out = append(out, s.flushStmts(errVar)...)
		if nVar != "" {
			n := "1"
			if isSlice {
				n = "len(" + target + ")"
			}
			out = append(out, nVar+" := int64(0)", "if "+errVar+" == nil {", "\t"+nVar+" = int64("+n+")", "}")
		}
		return out, nil
	}, true)
}

// save: Save(&row) of a row a converted finder loaded in this function
// (managed: its changes are tracked) or of a new local struct literal.
func (s *site) save() error {
	if err := s.noConds("Save"); err != nil {
		return err
	}
	arg := ast.Unparen(s.fin.Args[0])
	var persist string
	if id, ok := arg.(*ast.Ident); ok {
		// After a converted First, &p became p (a managed pointer).
		if v, ok := s.info.Uses[id].(*types.Var); ok && s.fs.pointerized[v] {
			if err := s.setModel(v.Type()); err != nil {
				return err
			}
			persist = ""
		} else {
			return skipf("Save(%s): not a row loaded by a converted finder", id.Name)
		}
	} else {
		v, _, err := s.localDest(arg)
		if err != nil {
			return err
		}
		if s.fs.pointerized[v] {
			if err := s.setModel(v.Type()); err != nil {
				return err
			}
		} else {
			if err := s.setModel(v.Type()); err != nil {
				return err
			}
			if !s.newLiteralWithoutKey(v) {
				return skipf("Save(&%s): %s is neither loaded by a converted finder nor a new literal without a primary key", v.Name(), v.Name())
			}
			persist = "&" + v.Name()
		}
	}
	f, err := s.findForm()
	if err != nil {
		return err
	}
	s.res.deferredChange = "the UPDATE/INSERT runs at the next flush instead of here; queries before it do not see the change"
	return s.emit(f, func(errVar string, es errState, _ string) ([]string, error) {
		op := " = "
		if es == errNew {
			op = " := "
		}
		if persist == "" {
			if s.rw.opts.Flush == FlushDeferred && s.tx == nil {
				return nil, skipf("Save of a managed row has nothing left to do with --flush=deferred")
			}
			return []string{errVar + op + s.emExpr + ".Flush(" + s.ctxExpr + ")"}, nil
		}
		return append([]string{errVar + op + s.emExpr + ".Persist(" + persist + ")"}, s.flushStmts(errVar)...), nil
	}, false)
}

// newLiteralWithoutKey: v := T{...} (a composite literal not setting the
// primary key), with no assignment to v's key afterwards.
func (s *site) newLiteralWithoutKey(v *types.Var) bool {
	ok := false
	ast.Inspect(s.decl.Body, func(n ast.Node) bool {
		as, isAssign := n.(*ast.AssignStmt)
		if !isAssign || as.Tok != token.DEFINE || len(as.Lhs) != 1 || len(as.Rhs) != 1 {
			return true
		}
		id, _ := as.Lhs[0].(*ast.Ident)
		if id == nil || s.info.Defs[id] != v {
			return true
		}
		cl, isLit := ast.Unparen(as.Rhs[0]).(*ast.CompositeLit)
		if !isLit {
			return true
		}
		ok = true
		for _, e := range cl.Elts {
			kv, isKV := e.(*ast.KeyValueExpr)
			if !isKV {
				ok = false
				continue
			}
			if k, _ := kv.Key.(*ast.Ident); k != nil {
				if col, isCol := s.model.Fields[k.Name]; isCol {
					for _, pk := range s.model.PK {
						if pk == col {
							ok = false
						}
					}
				}
			}
		}
		return false
	})
	return ok
}

// delete: Delete(&T{}, id) or Where(...).Delete(&T{}) becomes a DELETE
// through em.Exec; Delete(row) of a managed row becomes Remove.
func (s *site) delete() error {
	if err := s.noQueryParts("Delete"); err != nil {
		return err
	}
	arg := ast.Unparen(s.fin.Args[0])
	if u, ok := arg.(*ast.UnaryExpr); ok && u.Op == token.AND {
		if id, ok := ast.Unparen(u.X).(*ast.Ident); ok {
			if v, _ := s.info.Uses[id].(*types.Var); v != nil && s.fs.pointerized[v] {
				arg = id
			}
		}
	}
	if id, ok := arg.(*ast.Ident); ok {
		v, _ := s.info.Uses[id].(*types.Var)
		if v == nil || !s.fs.pointerized[v] || len(s.conds) > 0 || len(s.fin.Args) > 1 || s.modelArg != nil {
			return skipf("Delete(%s): not a row loaded by a converted finder", id.Name)
		}
		if err := s.setModel(v.Type()); err != nil {
			return err
		}
		if err := s.noSoftDelete(); err != nil {
			return err
		}
		f, err := s.findForm()
		if err != nil {
			return err
		}
		s.res.deferredChange = "the DELETE runs at the next flush instead of here; queries before it still see the row"
		return s.emit(f, func(errVar string, es errState, _ string) ([]string, error) {
			op := " = "
			if es == errNew {
				op = " := "
			}
			return append([]string{errVar + op + s.emExpr + ".Remove(" + id.Name + ")"}, s.flushStmts(errVar)...), nil
		}, false)
	}
	u, ok := arg.(*ast.UnaryExpr)
	cl, ok2 := (*ast.CompositeLit)(nil), false
	if ok && u.Op == token.AND {
		cl, ok2 = ast.Unparen(u.X).(*ast.CompositeLit)
	}
	if !ok2 || len(cl.Elts) != 0 {
		return skipf("Delete(%s): only an empty model literal or a row loaded by a converted finder", s.text(arg))
	}
	if err := s.setModel(s.info.TypeOf(cl)); err != nil {
		return err
	}
	if err := s.noSoftDelete(); err != nil {
		return err
	}
	s.inlineConds(1)
	if len(s.conds) == 0 {
		return skipf("Delete without conditions (GORM refuses it)")
	}
	where, args, err := s.whereSQL()
	if err != nil {
		return err
	}
	f, err := s.findForm()
	if err != nil {
		return err
	}
	sql, err := statementSQL("DELETE FROM "+quoteIdent(s.model.Table)+" WHERE "+where, len(args))
	if err != nil {
		return err
	}
	return s.execEmit(f, sql, args)
}

func (s *site) noSoftDelete() error {
	st := s.model.Type.Underlying().(*types.Struct)
	for i := 0; i < st.NumFields(); i++ {
		if isNamed(st.Field(i).Type(), "gorm.io/gorm", "DeletedAt") {
			return skipf("%s is soft-deleted (gorm.DeletedAt)", s.model.Name)
		}
	}
	return nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// whereSQL renders the conditions as GORM writes them (with ?), after the
// translator has proven them (so only conditions it understands pass), and
// returns the Go arguments in placeholder order.
func (s *site) whereSQL() (string, []string, error) {
	env := &condEnv{info: s.info, src: func(n ast.Node) string { return s.text(n) }, model: s.model, lib: s.lib}
	if _, err := env.TranslateConds(s.conds); err != nil {
		return "", nil, err
	}
	exprs, err := env.whereClause(s.conds)
	if err != nil {
		return "", nil, err
	}
	r := &renderer{}
	r.where(exprs)
	if r.err != nil {
		return "", nil, r.err
	}
	var args []string
	for _, v := range r.vars {
		if v.typ != nil {
			if sl, ok := v.typ.Underlying().(*types.Slice); ok && !isByteSlice(sl) {
				return "", nil, skipf("slice argument %s in a set-based statement", v.src)
			}
		}
		args = append(args, v.src)
	}
	return r.b.String(), args, nil
}

// statementSQL rewrites a whole GORM statement's ? to $n, proving the
// count.
func statementSQL(text string, nargs int) (string, error) {
	rw, err := sqltext.Rewrite(text, sqltext.StyleQuestion)
	if err != nil {
		return "", skipf("statement: %v", err)
	}
	if rw.Positional != nargs || strings.Count(text, "?") != nargs || len(rw.Names) > 0 || rw.MaxDollar > 0 {
		return "", skipf("statement has %d placeholders for %d arguments", strings.Count(text, "?"), nargs)
	}
	return rw.SQL, nil
}

// execEmit emits n, err := em.Exec(ctx, sql, args...).
func (s *site) execEmit(f *form, sql string, args []string) error {
	return s.execCallEmit(f, s.emExpr+".Exec("+strings.Join(append([]string{s.ctxExpr, goString(sql)}, args...), ", ")+")")
}

// execCallEmit emits n, err := call for a call returning (int64, error).
func (s *site) execCallEmit(f *form, call string) error {
	s.res.deferredChange = "the statement runs now, before the writes of the request still pending under --flush=deferred (it may not see them)"
	return s.emit(f, func(errVar string, es errState, nVar string) ([]string, error) {
		n := "_"
		if nVar != "" {
			n = nVar
		}
		if n == "_" {
			if es == errNew {
				return []string{"_, " + errVar + " := " + call}, nil
			}
			return []string{"_, " + errVar + " = " + call}, nil
		}
		if es == errOuter {
			return nil, skipf("assignment form with RowsAffected")
		}
		return []string{n + ", " + errVar + " := " + call}, nil
	}, true)
}

// exec: Exec(sql, args...).
func (s *site) exec() error {
	if err := s.noConds("Exec"); err != nil {
		return err
	}
	sqlArg := s.fin.Args[0]
	args := s.fin.Args[1:]
	if s.fin.Ellipsis.IsValid() {
		return skipf("Exec with a spread argument list")
	}
	for _, a := range args {
		t := s.info.TypeOf(a)
		if t == nil {
			return skipf("argument of unknown type")
		}
		if sl, ok := t.Underlying().(*types.Slice); ok && !isByteSlice(sl) {
			return skipf("argument %s is a slice, which GORM expands into a list", s.text(a))
		}
		switch t.Underlying().(type) {
		case *types.Map, *types.Struct:
			if !isNamed(t, "time", "Time") {
				return skipf("argument %s may be named parameters", s.text(a))
			}
		}
	}
	var argSrc []string
	for _, a := range args {
		argSrc = append(argSrc, s.text(a))
	}
	f, err := s.findForm()
	if err != nil {
		return err
	}
	tv := s.info.Types[sqlArg]
	if tv.Value == nil {
		if len(args) > 0 {
			return skipf("Exec of non-constant SQL with arguments")
		}
		// No arguments: GORM sends the text as it is.
		call := s.emExpr + ".Exec(" + s.ctxExpr + ", " + s.text(sqlArg) + ")"
		s.res.deferredChange = "the statement runs now, before the writes of the request still pending under --flush=deferred (it may not see them)"
		return s.emit(f, func(errVar string, es errState, nVar string) ([]string, error) {
			lhs := "_"
			if nVar != "" {
				lhs = nVar
			}
			op := " = "
			if es == errNew || (lhs != "_" && es == errSame) {
				op = " := "
			}
			return []string{lhs + ", " + errVar + op + call}, nil
		}, true)
	}
	sql := constant.StringVal(tv.Value)
	conv, err := dollarSQL(sql, len(args))
	if err != nil {
		return err
	}
	return s.execEmit(f, conv, argSrc)
}

// dollarSQL rewrites GORM's ? placeholders to $n, proving every ? byte is a
// placeholder (GORM replaces them all, even inside literals).
func dollarSQL(sql string, nargs int) (string, error) {
	if strings.Contains(sql, "@") && nargs > 0 {
		return "", skipf("SQL with @ and arguments (GORM may read named parameters)")
	}
	rw, err := sqltext.Rewrite(sql, sqltext.StyleQuestion)
	if err != nil {
		return "", skipf("SQL: %v", err)
	}
	if rw.Positional != nargs || strings.Count(sql, "?") != nargs || len(rw.Names) > 0 || rw.MaxDollar > 0 {
		return "", skipf("SQL has %d placeholders for %d arguments", strings.Count(sql, "?"), nargs)
	}
	if nargs == 0 {
		return sql, nil
	}
	return rw.SQL, nil
}

// update: Model(&T{}).Where(...).Update("col", v) / UpdateColumn /
// Updates(map) as a set-based UPDATE through em.Exec.
func (s *site) update() error {
	if err := s.noQueryParts(s.ch.Op); err != nil {
		return err
	}
	if s.modelArg == nil {
		return skipf("%s without Model", s.ch.Op)
	}
	if err := s.setModel(s.info.TypeOf(s.modelArg)); err != nil {
		return err
	}
	// Model(&T{ID: id}): GORM adds WHERE "id" = id when id is not zero
	// and refuses the statement (ErrMissingWhereClause) when it is
	// (callbacks/update.go ConvertToAssignments, checkMissingWhereConditions).
	key, err := s.modelKey()
	if err != nil {
		return err
	}
	if err := s.noSoftDelete(); err != nil {
		return err
	}
	if key != nil && len(s.conds) > 0 {
		return skipf("Model(%s) with Where conditions: the key condition is added only when the key is not zero", s.text(s.modelArg))
	}
	if key == nil && len(s.conds) == 0 {
		return skipf("%s without conditions (GORM refuses it)", s.ch.Op)
	}
	type set struct {
		col  string
		expr string   // SQL
		args []string // Go
	}
	var sets []set
	addValue := func(col string, val ast.Expr) error {
		if _, ok := s.model.Columns[col]; !ok {
			return skipf("%s: %q is not a column of %s", s.ch.Op, col, s.model.Name)
		}
		if call, ok := ast.Unparen(val).(*ast.CallExpr); ok {
			if fn, ok := typeutil.Callee(s.info, call).(*types.Func); ok && fn.Pkg() != nil && fn.Pkg().Path() == "gorm.io/gorm" && fn.Name() == "Expr" {
				tv := s.info.Types[call.Args[0]]
				if tv.Value == nil {
					return skipf("gorm.Expr of non-constant SQL")
				}
				var args []string
				for _, a := range call.Args[1:] {
					args = append(args, s.text(a))
				}
				sets = append(sets, set{col, constant.StringVal(tv.Value), args})
				return nil
			}
		}
		if id, ok := ast.Unparen(val).(*ast.Ident); ok && id.Name == "nil" {
			sets = append(sets, set{col, "NULL", nil})
			return nil
		}
		t := s.info.TypeOf(val)
		if t != nil {
			switch t.Underlying().(type) {
			case *types.Slice, *types.Map, *types.Struct, *types.Interface:
				if !isNamed(t, "time", "Time") {
					return skipf("%s value %s of type %s", s.ch.Op, s.text(val), types.TypeString(t, nil))
				}
			}
		}
		sets = append(sets, set{col, "?", []string{s.text(val)}})
		return nil
	}
	switch s.ch.Op {
	case "Update", "UpdateColumn":
		tv := s.info.Types[s.fin.Args[0]]
		if tv.Value == nil || tv.Value.Kind() != constant.String {
			return skipf("%s of a non-constant column", s.ch.Op)
		}
		if err := addValue(constant.StringVal(tv.Value), s.fin.Args[1]); err != nil {
			return err
		}
	case "Updates", "UpdateColumns":
		cl, ok := ast.Unparen(s.fin.Args[0]).(*ast.CompositeLit)
		if !ok {
			return skipf("%s of a non-literal value", s.ch.Op)
		}
		if _, isMap := s.info.TypeOf(cl).Underlying().(*types.Map); !isMap {
			return s.structUpdates(cl, key)
		}
		type kv struct {
			k string
			v ast.Expr
		}
		var kvs []kv
		for _, e := range cl.Elts {
			p := e.(*ast.KeyValueExpr)
			tv := s.info.Types[p.Key]
			if tv.Value == nil || tv.Value.Kind() != constant.String {
				return skipf("%s map key is not a constant", s.ch.Op)
			}
			kvs = append(kvs, kv{constant.StringVal(tv.Value), p.Value})
		}
		sort.Slice(kvs, func(i, j int) bool { return kvs[i].k < kvs[j].k })
		for _, x := range kvs {
			if err := addValue(x.k, x.v); err != nil {
				return err
			}
		}
	}
	// Update and Updates also set updated_at (GORM's autoUpdateTime),
	// unless the caller sets it.
	if (s.ch.Op == "Update" || s.ch.Op == "Updates") && s.model.Columns["updated_at"] == "UpdatedAt" {
		if !s.fieldIsTime("UpdatedAt") {
			return skipf("%s.UpdatedAt is not a time.Time (GORM stores a Unix time in it)", s.model.Name)
		}
		given := false
		for _, x := range sets {
			if x.col == "updated_at" {
				given = true
			}
		}
		if !given {
			// GORM's default clock is time.Now().
			sets = append(sets, set{"updated_at", "?", []string{"time.Now()"}})
			s.res.imports = append(s.res.imports, "time")
		}
	}
	var where string
	var wargs []string
	if key != nil {
		where, wargs = quoteIdent(key.col)+" = ?", []string{key.expr}
	} else if where, wargs, err = s.whereSQL(); err != nil {
		return err
	}
	var parts []string
	var args []string
	for _, x := range sets {
		parts = append(parts, quoteIdent(x.col)+"="+x.expr)
		args = append(args, x.args...)
	}
	all := append(args, wargs...)
	sql, err := statementSQL("UPDATE "+quoteIdent(s.model.Table)+" SET "+strings.Join(parts, ",")+" WHERE "+where, len(all))
	if err != nil {
		return err
	}
	f, err := s.findForm()
	if err != nil {
		return err
	}
	call := s.emExpr + ".Exec(" + strings.Join(append([]string{s.ctxExpr, goString(sql)}, all...), ", ") + ")"
	if key != nil && key.guard != "" {
		return s.guardedExecEmit(f, key.guard, call)
	}
	return s.execCallEmit(f, call)
}

// modelKey is the primary key set in Model(&T{ID: id}): nil for an empty
// literal, an error for any other shape. The key must be a constant or a
// local variable or parameter of an integer type (it is read twice: for
// the zero test and as the argument).
type modelKeyArg struct {
	col   string // key column
	expr  string // Go expression of the value
	guard string // Go test that the key is zero ("" when it is a non-zero constant)
}

func (s *site) modelKey() (*modelKeyArg, error) {
	if s.zeroModelArg() == nil {
		return nil, nil
	}
	notEmpty := skipf("Model(%s) is not an empty literal or a literal setting only the primary key to a variable: GORM adds its primary key as a condition when set", s.text(s.modelArg))
	u, ok := ast.Unparen(s.modelArg).(*ast.UnaryExpr)
	if !ok || u.Op != token.AND || len(s.model.PK) != 1 {
		return nil, notEmpty
	}
	if id, ok := ast.Unparen(u.X).(*ast.Ident); ok {
		// Model(&row): WHERE key = row.Key (zero: refused); GORM also
		// writes the assigned values back into row, so row must not be
		// used after the statement.
		v, isVar := s.info.Uses[id].(*types.Var)
		if !isVar || v.IsField() || v.Parent() == nil || v.Parent() == s.fs.pkg.Types.Scope() {
			return nil, notEmpty
		}
		if m := ModelOf(v.Type()); m == nil || !types.Identical(m.Type, s.model.Type) {
			return nil, notEmpty
		}
		if _, isPtr := v.Type().Underlying().(*types.Pointer); isPtr {
			return nil, notEmpty
		}
		used := false
		ast.Inspect(s.decl.Body, func(n ast.Node) bool {
			if x, ok := n.(*ast.Ident); ok && x.Pos() >= s.fin.End() && s.info.Uses[x] == v {
				used = true
			}
			return !used
		})
		if used {
			return nil, skipf("Model(&%s): GORM writes the updated values back into %s, which is used after the statement", id.Name, id.Name)
		}
		pkField := s.model.Columns[s.model.PK[0]]
		st := s.model.Type.Underlying().(*types.Struct)
		for i := 0; i < st.NumFields(); i++ {
			if st.Field(i).Name() == pkField {
				if b, ok := st.Field(i).Type().Underlying().(*types.Basic); !ok || b.Info()&types.IsInteger == 0 {
					return nil, skipf("Model(&%s): the key is not an integer", id.Name)
				}
			}
		}
		k := &modelKeyArg{col: s.model.PK[0], expr: id.Name + "." + pkField}
		k.guard = k.expr + " == 0"
		return k, nil
	}
	cl, ok := ast.Unparen(u.X).(*ast.CompositeLit)
	if !ok || len(cl.Elts) != 1 {
		return nil, notEmpty
	}
	kv, ok := cl.Elts[0].(*ast.KeyValueExpr)
	if !ok {
		return nil, notEmpty
	}
	kid, ok := kv.Key.(*ast.Ident)
	if !ok || s.model.Fields[kid.Name] != s.model.PK[0] {
		return nil, notEmpty
	}
	t := s.info.TypeOf(kv.Value)
	if b, ok := t.Underlying().(*types.Basic); !ok || b.Info()&types.IsInteger == 0 {
		return nil, skipf("Model(%s): the key is not an integer", s.text(s.modelArg))
	}
	k := &modelKeyArg{col: s.model.PK[0], expr: s.text(kv.Value)}
	if tv := s.info.Types[kv.Value]; tv.Value != nil {
		if isZeroConst(tv.Value) {
			return nil, skipf("Model(%s): the key is zero (GORM refuses the statement)", s.text(s.modelArg))
		}
		return k, nil
	}
	id, ok := ast.Unparen(kv.Value).(*ast.Ident)
	if v, isVar := s.info.Uses[id].(*types.Var); !ok || !isVar || v.IsField() || v.Parent() == nil || v.Parent() == s.fs.pkg.Types.Scope() {
		return nil, skipf("Model(%s): the key is not a constant, local variable or parameter", s.text(s.modelArg))
	}
	k.guard = k.expr + " == 0"
	return k, nil
}

// guardedExecEmit is execEmit behind GORM's missing-WHERE check: when guard
// holds (the key is zero), the error is gorm.ErrMissingWhereClause and no
// statement runs.
func (s *site) guardedExecEmit(f *form, guard, call string) error {
	gormName := s.gormName()
	s.res.deferredChange = "the statement runs now, before the writes of the request still pending under --flush=deferred (it may not see them)"
	return s.emit(f, func(errVar string, es errState, nVar string) ([]string, error) {
		var out []string
		lhs := "_"
		if nVar != "" {
			if es == errOuter {
				return nil, skipf("assignment form with RowsAffected")
			}
			lhs = nVar
			out = append(out, "var "+nVar+" int64")
		}
		if es == errNew {
			out = append(out, "var "+errVar+" error")
		}
		return append(out,
			"if "+guard+" {",
			"	"+errVar+" = "+gormName+".ErrMissingWhereClause",
			"} else {",
			"	"+lhs+", "+errVar+" = "+call,
			"}"), nil
	}, true)
}

// gormName is the name the file imports GORM under (the import is added
// when missing).
func (s *site) gormName() string {
	for _, im := range s.fs.file.Imports {
		if p, _ := strconv.Unquote(im.Path.Value); p == s.lib.Path {
			if im.Name != nil {
				return im.Name.Name
			}
			return "gorm"
		}
	}
	s.res.imports = append(s.res.imports, s.lib.Path)
	return "gorm"
}

// goString quotes s as a raw string literal when that reads better.
func goString(s string) string {
	if strings.Contains(s, `"`) && !strings.ContainsAny(s, "`\r") {
		return "`" + s + "`"
	}
	return strconv.Quote(s)
}

// notFoundCompat maps the runtime's not-found error to the legacy one while
// callers may still test for it (see rewriter.compat).
func (s *site) notFoundCompat(errVar string) []string {
	if !s.rw.compat {
		return nil
	}
	gormName := "gorm"
	found := false
	for _, im := range s.fs.file.Imports {
		if p, _ := strconv.Unquote(im.Path.Value); p == s.lib.Path {
			found = true
			if im.Name != nil {
				gormName = im.Name.Name
			}
		}
	}
	if !found {
		s.res.imports = append(s.res.imports, s.lib.Path)
	}
	s.res.imports = append(s.res.imports, "errors")
	return []string{"if errors.Is(" + errVar + ", uow.ErrNotFound) {",
		"	" + errVar + " = " + gormName + "." + s.lib.NotFound,
		"}"}
}

func (s *site) fieldIsTime(name string) bool {
	st := s.model.Type.Underlying().(*types.Struct)
	for i := 0; i < st.NumFields(); i++ {
		if st.Field(i).Name() == name {
			return isNamed(st.Field(i).Type(), "time", "Time")
		}
	}
	return false
}

// projection: Model(&T{}).Select(cols...).Find(&rows) with rows a slice of
// another struct P: GORM scans the selected columns (all columns without
// Select) into P's fields of the same column name. It becomes a Find of T
// and a copy of those fields; P's other fields stay zero, as with GORM.
func (s *site) projection(v *types.Var, elem types.Type) error {
	if len(s.relJoins) > 0 {
		// GORM fills a projection's relation field from the joined
		// columns; the copy below takes table columns only.
		return skipf("Joins(%q) into a projection (%s) is not converted", s.relJoins[0], types.TypeString(elem, s.fs.qualifier))
	}
	if err := s.setModel(s.info.TypeOf(s.modelArg)); err != nil {
		return err
	}
	if err := s.zeroModelArg(); err != nil {
		return err
	}
	pst, ok := elem.Underlying().(*types.Struct)
	if !ok {
		return skipf("Find into %s, not a struct slice", types.TypeString(v.Type(), nil))
	}
	selected := map[string]bool{}
	for _, c := range s.selects {
		if _, ok := s.model.Columns[c]; !ok {
			return skipf("Select(%q): not a column of %s", c, s.model.Name)
		}
		selected[c] = true
	}
	mst := s.model.Type.Underlying().(*types.Struct)
	fieldType := func(name string) types.Type {
		for i := 0; i < mst.NumFields(); i++ {
			if mst.Field(i).Name() == name {
				return mst.Field(i).Type()
			}
		}
		return nil
	}
	var assigns []string
	for i := 0; i < pst.NumFields(); i++ {
		f := pst.Field(i)
		if f.Embedded() || !f.Exported() || reflect.StructTag(pst.Tag(i)).Get("gorm") != "" {
			return skipf("Find into %s: field %s is embedded, unexported or tagged", types.TypeString(elem, nil), f.Name())
		}
		col := naming.ColumnName(f.Name())
		if len(selected) > 0 && !selected[col] {
			continue
		}
		mf, ok := s.model.Columns[col]
		if !ok {
			if len(selected) > 0 {
				return skipf("column %q has no field in %s", col, s.model.Name)
			}
			continue // not a column of the table: GORM leaves it zero
		}
		if ft := fieldType(mf); ft == nil || !types.Identical(ft, f.Type()) {
			return skipf("field %s of %s and %s.%s have different types", f.Name(), types.TypeString(elem, nil), s.model.Name, mf)
		}
		assigns = append(assigns, f.Name()+": "+"%s."+mf)
	}
	for c := range selected {
		found := false
		for i := 0; i < pst.NumFields(); i++ {
			if naming.ColumnName(pst.Field(i).Name()) == c {
				found = true
			}
		}
		if !found {
			return skipf("selected column %q has no field in %s", c, types.TypeString(elem, nil))
		}
	}
	opts, err := s.filterOpts()
	if err != nil {
		return err
	}
	f, err := s.findForm()
	if err != nil {
		return err
	}
	call := s.call("uow.Find["+s.typeName()+"]", opts)
	found := s.freshName("found")
	row := s.freshName("row")
	dest := v.Name()
	ptype := types.TypeString(elem, s.fs.qualifier)
	var fields []string
	for _, a := range assigns {
		fields = append(fields, fmt.Sprintf(a, row))
	}
	return s.emit(f, func(errVar string, es errState, _ string) ([]string, error) {
		if es == errOuter {
			return nil, skipf("assignment form (err = ...) for a projection")
		}
		return []string{found + ", " + errVar + " := " + call,
			"if " + errVar + " == nil {",
			"\t" + dest + " = make(" + types.TypeString(v.Type(), s.fs.qualifier) + ", 0, len(" + found + "))",
			"\tfor _, " + row + " := range " + found + " {",
			"\t\t" + dest + " = append(" + dest + ", " + ptype + "{" + strings.Join(fields, ", ") + "})",
			"\t}",
			"}"}, nil
	}, false)
}

// structUpdates: Model(&T{ID: id}).Updates(T{...}) or
// Model(&T{}).Where(...).Updates(T{...}). GORM (callbacks/update.go
// ConvertToAssignments) sets, in field order, each column field of the
// struct that is not zero at run time, and updated_at to the clock
// whatever the struct says; it becomes uow.ExecUpdates with
// uow.SetUnlessZero for a value known at run time only, uow.Set for a
// non-zero constant and for updated_at. The model must have an UpdatedAt
// time.Time, so the SET list is never empty (GORM runs nothing then, not
// even its missing-WHERE check).
func (s *site) structUpdates(cl *ast.CompositeLit, key *modelKeyArg) error {
	if s.ch.Op != "Updates" {
		return skipf("%s with a struct: GORM skips zero fields at run time", s.ch.Op)
	}
	if m := ModelOf(s.info.TypeOf(cl)); m == nil || !types.Identical(m.Type, s.model.Type) {
		return skipf("Updates with a struct of another type than the model")
	}
	if s.model.Columns["updated_at"] != "UpdatedAt" || !s.fieldIsTime("UpdatedAt") {
		return skipf("Updates with a struct of a model without an UpdatedAt time.Time (GORM runs nothing when every field is zero)")
	}
	given := map[string]ast.Expr{}
	for _, e := range cl.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		if !ok {
			return skipf("Updates with a struct literal without field names")
		}
		given[kv.Key.(*ast.Ident).Name] = kv.Value
	}
	st := s.model.Type.Underlying().(*types.Struct)
	var sets []string
	for i := 0; i < st.NumFields(); i++ {
		fld := st.Field(i)
		col, isCol := s.model.Fields[fld.Name()]
		val, set := given[fld.Name()]
		if !isCol {
			if set {
				return skipf("Updates with a struct that sets %s, not a column", fld.Name())
			}
			continue
		}
		if g := reflect.StructTag(st.Tag(i)).Get("gorm"); strings.Contains(g, "<-") || strings.Contains(g, "->") || g == "-" || strings.HasPrefix(g, "-:") || strings.Contains(g, "autoUpdateTime") || strings.Contains(g, "autoCreateTime") {
			return skipf("Updates with a struct: field %s has permission or time tags (gorm:%q)", fld.Name(), g)
		}
		if col == "updated_at" {
			sets = append(sets, "uow.Set(\"updated_at\", time.Now())")
			s.res.imports = append(s.res.imports, "time")
			continue
		}
		if !set {
			continue
		}
		for _, pk := range s.model.PK {
			if pk == col {
				return skipf("Updates with a struct that sets the primary key")
			}
		}
		if tv := s.info.Types[val]; tv.Value != nil {
			if isZeroConst(tv.Value) {
				continue
			}
			sets = append(sets, "uow.Set("+strconv.Quote(col)+", "+s.text(val)+")")
			continue
		}
		if id, ok := ast.Unparen(val).(*ast.Ident); ok && id.Name == "nil" {
			continue // a nil pointer is zero
		}
		vt := s.info.TypeOf(val)
		if !zeroTestable(fld.Type()) || vt == nil || !types.Identical(vt, fld.Type()) {
			return skipf("Updates with a struct: field %s = %s is not of a type the conversion handles", fld.Name(), s.text(val))
		}
		sets = append(sets, "uow.SetUnlessZero("+strconv.Quote(col)+", "+s.text(val)+")")
	}
	var where string
	var wargs []string
	if key != nil {
		where, wargs = quoteIdent(key.col)+" = ?", []string{key.expr}
	} else {
		var err error
		if where, wargs, err = s.whereSQL(); err != nil {
			return err
		}
	}
	wsql, err := statementSQL(where, len(wargs))
	if err != nil {
		return err
	}
	f, err := s.findForm()
	if err != nil {
		return err
	}
	argList := "nil"
	if len(wargs) > 0 {
		argList = "[]any{" + strings.Join(wargs, ", ") + "}"
	}
	call := "uow.ExecUpdates(" + strings.Join(append([]string{s.ctxExpr, s.emExpr, strconv.Quote(s.model.Table), goString(wsql), argList}, sets...), ", ") + ")"
	if key != nil && key.guard != "" {
		return s.guardedExecEmit(f, key.guard, call)
	}
	return s.execCallEmit(f, call)
}

// firstPreload: First/Take/Last(&row) with Preload(rel, conds...): the
// finder's row is copied into row (which stays a plain value, as GORM's
// is), then each preload fills its relation (uow.PreloadHasMany). row must
// be a zero "var row T" declared just before (GORM adds a set primary key
// of row as a condition).
func (s *site) firstPreload(v *types.Var) error {
	if len(s.populate) > 0 {
		return skipf("Preload with and without conditions in one chain is not converted")
	}
	if s.limit != "" || s.offset != "" {
		return skipf("%s with Limit/Offset", s.ch.Op)
	}
	if s.fs.pointerized[v] {
		return skipf("%s into a row loaded by a converted finder", s.ch.Op)
	}
	if len(s.model.PK) != 1 {
		return skipf("%s has no single primary key to order %s by", s.model.Name, s.ch.Op)
	}
	s.inlineConds(1)
	var extra []string
	switch s.ch.Op {
	case "First":
		extra = []string{s.model.PK[0] + "\x00uow.Asc"}
	case "Last":
		extra = []string{s.model.PK[0] + "\x00uow.Desc"}
	}
	opts, err := s.filterOpts(extra...)
	if err != nil {
		return err
	}
	f, err := s.findForm()
	if err != nil {
		return err
	}
	if _, err := s.takeDecl(f, v); err != nil {
		return err
	}
	preloads, err := s.preloadCalls("&" + v.Name())
	if err != nil {
		return err
	}
	call := s.call("uow.FindOneOrFail["+s.typeName()+"]", opts)
	found := s.freshName("found")
	return s.emit(f, func(errVar string, es errState, _ string) ([]string, error) {
		if es == errOuter {
			return nil, skipf("assignment form (err = ...) for %s", s.ch.Op)
		}
		out := []string{found + ", " + errVar + " := " + call}
		out = append(out, s.notFoundCompat(errVar)...)
		out = append(out, "if "+errVar+" == nil {", "\t"+v.Name()+" = *"+found)
		for i, p := range preloads {
			if i == 0 {
				out = append(out, "\t"+errVar+" = "+p)
			} else {
				out = append(out, "\tif "+errVar+" == nil {", "\t\t"+errVar+" = "+p, "\t}")
			}
		}
		return append(out, "}"), nil
	}, false)
}
