package rewrite

import (
	"go/ast"
	"go/constant"
	"go/types"
	"reflect"
	"strings"
)

// selectSQL renders the SELECT statement GORM v2 builds for a
// Model(&T{}).Select/Distinct/Where/Group/Having/Order chain
// (callbacks/query.go BuildQuerySQL, clause.Select/From/Where/GroupBy/
// OrderBy): a Select text and Order texts are written as they are, a
// Select of column names and a Group column are quoted, a Having condition
// is written as it is with its arguments bound after the WHERE ones.
// pluckCol is the column a Pluck selects when no Select names it.
func (s *site) selectSQL(pluckCol string) (string, []string, error) {
	if s.modelArg == nil {
		return "", nil, skipf("%s without Model(&T{})", s.ch.Op)
	}
	if err := s.setModel(s.info.TypeOf(s.modelArg)); err != nil {
		return "", nil, err
	}
	if err := s.zeroModelArg(); err != nil {
		return "", nil, err
	}
	if err := s.noSoftDelete(); err != nil {
		return "", nil, err
	}
	if s.limit != "" || s.offset != "" || len(s.populate) > 0 {
		// GORM binds LIMIT and OFFSET as parameters; not rebuilt here.
		return "", nil, skipf("%s with Limit/Offset/Preload is not converted", s.ch.Op)
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	if s.distinct {
		b.WriteString("DISTINCT ")
	}
	switch {
	case s.selectRaw != "":
		b.WriteString(s.selectRaw)
	case len(s.selects) > 0:
		var cols []string
		for _, c := range s.selects {
			if _, ok := s.model.Columns[c]; !ok {
				return "", nil, skipf("Select(%q): not a column of %s", c, s.model.Name)
			}
			cols = append(cols, quoteIdent(c))
		}
		b.WriteString(strings.Join(cols, ","))
	case pluckCol != "":
		b.WriteString(quoteIdent(pluckCol))
	default:
		return "", nil, skipf("%s without Select: the columns are the destination's, not known here", s.ch.Op)
	}
	b.WriteString(" FROM " + quoteIdent(s.model.Table))
	var args []string
	if len(s.conds) > 0 {
		where, wargs, err := s.whereSQL()
		if err != nil {
			return "", nil, err
		}
		b.WriteString(" WHERE " + where)
		args = append(args, wargs...)
	}
	if s.group != "" {
		if _, ok := s.model.Columns[s.group]; !ok {
			return "", nil, skipf("Group(%q): not a column of %s", s.group, s.model.Name)
		}
		b.WriteString(" GROUP BY " + quoteIdent(s.group))
	}
	if s.having != nil {
		if s.group == "" {
			return "", nil, skipf("Having without Group is not converted")
		}
		tv := s.info.Types[s.having.Query]
		if tv.Value == nil || tv.Value.Kind() != constant.String {
			return "", nil, skipf("Having(%s) is not a constant string", s.text(s.having.Query))
		}
		text := constant.StringVal(tv.Value)
		if strings.Count(text, "?") != len(s.having.Args) || strings.Contains(text, "@") {
			return "", nil, skipf("Having(%q) has %d placeholders for %d arguments", text, strings.Count(text, "?"), len(s.having.Args))
		}
		for _, a := range s.having.Args {
			if err := s.plainArg(a); err != nil {
				return "", nil, err
			}
			args = append(args, s.text(a))
		}
		b.WriteString(" HAVING " + text)
	}
	if len(s.orderText) > 0 {
		b.WriteString(" ORDER BY " + strings.Join(s.orderText, ","))
	}
	sql, err := statementSQL(b.String(), len(args))
	if err != nil {
		return "", nil, err
	}
	return sql, args, nil
}

// plainArg accepts an argument GORM binds as one parameter: not a slice
// (expanded into a list), map or struct (named parameters), nor nil.
func (s *site) plainArg(a ast.Expr) error {
	t := s.info.TypeOf(a)
	if t == nil {
		return skipf("argument of unknown type")
	}
	switch u := t.Underlying().(type) {
	case *types.Slice:
		if !isByteSlice(u) {
			return skipf("argument %s is a slice, which GORM expands into a list", s.text(a))
		}
	case *types.Map, *types.Struct:
		if !isNamed(t, "time", "Time") {
			return skipf("argument %s may be named parameters", s.text(a))
		}
	case *types.Basic:
		if u.Kind() == types.UntypedNil {
			return skipf("nil argument")
		}
	case *types.Pointer, *types.Interface:
		return skipf("argument %s may be nil (GORM binds NULL)", s.text(a))
	}
	return nil
}

// selectScan: Model(&T{}).Select(...).Where(...).Group(...).Having(...).
// Order(...).Scan(&rows) runs GORM's SELECT through uow.Raw.
func (s *site) selectScan() error {
	sql, args, err := s.selectSQL("")
	if err != nil {
		return err
	}
	return s.rawScan(sql, args)
}

// distinctPluck: Model(&T{}).Distinct("col").Order(...).Pluck("col", &vals)
// runs GORM's SELECT DISTINCT through uow.Raw into a one-field struct and
// copies the field.
func (s *site) distinctPluck() error {
	if s.selectRaw != "" {
		return skipf("Distinct(%q): only a column name is converted", s.selectRaw)
	}
	tv := s.info.Types[s.fin.Args[0]]
	if tv.Value == nil || tv.Value.Kind() != constant.String {
		return skipf("Pluck of a non-constant column")
	}
	col := constant.StringVal(tv.Value)
	if len(s.selects) > 1 || len(s.selects) == 1 && s.selects[0] != col {
		return skipf("Distinct(%v) and Pluck(%q) name different columns", s.selects, col)
	}
	sql, args, err := s.selectSQL(col)
	if err != nil {
		return err
	}
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
	if _, isBasic := ft.Underlying().(*types.Basic); !isBasic && !isNamed(ft, "time", "Time") {
		return skipf("Pluck of %s values", types.TypeString(ft, nil))
	}
	if !s.model.NotNull[col] {
		// A NULL fails both, with different errors.
		return skipf("Pluck(%q): the column may be NULL", col)
	}
	f, err := s.findForm()
	if err != nil {
		return err
	}
	et := types.TypeString(ft, s.fs.qualifier)
	call := "uow.Raw[struct{ " + field + " " + et + " }](" + strings.Join(append([]string{s.ctxExpr, s.emExpr, goString(sql)}, args...), ", ") + ")"
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

// rawJoin is a Joins("JOIN ... ON ...", args...) link.
type rawJoin struct {
	text string
	args []ast.Expr
}

// joinFind: db.Joins("JOIN ... ON ...", args...).Where(...).Order(...).
// Find(&rows) runs GORM's statement through uow.Raw: with a join, GORM
// selects every column of the model qualified by its table, in field order
// (callbacks/query.go BuildQuerySQL), writes the join text as it is with
// its arguments bound, then the WHERE and ORDER BY. The rows are plain
// values, not managed, as GORM's are. Every column must be NOT NULL (or a
// pointer field): GORM reads NULL as a zero value, the runtime's scan
// refuses it.
func (s *site) joinFind(elem types.Type) error {
	if _, isPtr := elem.Underlying().(*types.Pointer); isPtr {
		return skipf("Find with Joins into a slice of pointers")
	}
	if err := s.setModel(elem); err != nil {
		return err
	}
	if s.modelArg != nil {
		if err := s.zeroModelArg(); err != nil {
			return err
		}
	}
	if err := s.noSoftDelete(); err != nil {
		return err
	}
	if len(s.fin.Args) > 1 {
		return skipf("Find with Joins and inline conditions is not converted")
	}
	if s.limit != "" || s.offset != "" || len(s.populate) > 0 {
		return skipf("Find with Joins and Limit/Offset/Preload is not converted")
	}
	st := s.model.Type.Underlying().(*types.Struct)
	var cols []string
	for i := 0; i < st.NumFields(); i++ {
		fld := st.Field(i)
		if fld.Embedded() {
			return skipf("Find with Joins: %s embeds %s", s.model.Name, fld.Name())
		}
		col, ok := s.model.Fields[fld.Name()]
		if !ok {
			continue
		}
		if reflect.StructTag(st.Tag(i)).Get("db") != "" || !strings.EqualFold(strings.ReplaceAll(col, "_", ""), fld.Name()) {
			return skipf("Find with Joins: column %q of field %s is not the one the runtime's scan matches by name", col, fld.Name())
		}
		if _, isPtr := fld.Type().Underlying().(*types.Pointer); !isPtr && !s.model.NotNull[col] {
			return skipf("Find with Joins: column %q may be NULL, which GORM reads as %s's zero value and the runtime's scan refuses", col, fld.Name())
		}
		cols = append(cols, quoteIdent(s.model.Table)+"."+quoteIdent(col))
	}
	var b strings.Builder
	b.WriteString("SELECT " + strings.Join(cols, ",") + " FROM " + quoteIdent(s.model.Table))
	var args []string
	for _, j := range s.joins {
		b.WriteString(" " + j.text)
		for _, a := range j.args {
			if err := s.plainArg(a); err != nil {
				return err
			}
			args = append(args, s.text(a))
		}
	}
	if len(s.conds) > 0 {
		where, wargs, err := s.whereSQL()
		if err != nil {
			return err
		}
		b.WriteString(" WHERE " + where)
		args = append(args, wargs...)
	}
	if len(s.orderText) > 0 {
		b.WriteString(" ORDER BY " + strings.Join(s.orderText, ","))
	}
	sql, err := statementSQL(b.String(), len(args))
	if err != nil {
		return err
	}
	s.rawTagsOK = true
	return s.rawScan(sql, args)
}
