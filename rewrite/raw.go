package rewrite

import (
	"go/ast"
	"go/constant"
	"go/types"
	"reflect"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/ormshift/ormshift/internal/sqltext"
	"github.com/ormshift/ormshift/uow/naming"
)

// raw: Raw(sql, args...).Scan(&dest) becomes uow.Raw[T](ctx, em, sql with
// $n, args...). GORM maps result columns to fields by their snake_case
// names and ignores extra columns; the runtime matches names
// case-insensitively and rejects extra columns, so every output column must
// be a field of T.
func (s *site) raw() error {
	if s.rawCall == nil {
		return skipf("Scan without Raw is not converted")
	}
	if len(s.conds) > 0 || s.modelArg != nil || len(s.orders) > 0 || s.limit != "" || s.offset != "" || len(s.populate) > 0 {
		return skipf("Raw with other chain methods")
	}
	if s.rawCall.Ellipsis.IsValid() {
		return skipf("Raw with a spread argument list")
	}
	sqlArg := s.rawCall.Args[0]
	args := s.rawCall.Args[1:]
	var argSrc []string
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
		argSrc = append(argSrc, s.text(a))
	}
	tv := s.info.Types[sqlArg]
	if tv.Value == nil {
		return skipf("the SQL is built at run time (%s); make it a constant with bound arguments first", s.text(sqlArg))
	}
	sqlText := constant.StringVal(tv.Value)
	sql, err := dollarSQL(sqlText, len(args))
	if err != nil {
		return err
	}
	return s.rawScan(sql, argSrc)
}

// rawScan emits dest, err := uow.Raw[T](ctx, em, sql, args...) for the
// finisher's destination, after proving the result columns map to T's
// fields as GORM maps them.
func (s *site) rawScan(sql string, argSrc []string) error {
	res, err := sqltext.ParseStatement(sql, sqltext.StyleDollar)
	if err != nil {
		return skipf("the SQL does not parse: %v", err)
	}
	stmts := res.Tree.GetStmts()
	if len(stmts) != 1 || stmts[0].GetStmt().GetSelectStmt() == nil {
		return skipf("Raw SQL is not a single SELECT")
	}
	sel := stmts[0].GetStmt().GetSelectStmt()
	if len(sel.GetTargetList()) == 0 {
		return skipf("Raw SELECT has no plain target list (set operation?)")
	}
	v, _, err := s.localDest(s.fin.Args[0])
	if err != nil {
		return err
	}
	t := v.Type()
	single := true
	if sl, ok := t.Underlying().(*types.Slice); ok {
		single = false
		t = sl.Elem()
	}
	st, ok := t.Underlying().(*types.Struct)
	if !ok {
		return skipf("Scan into %s, not a struct or a slice of structs", types.TypeString(v.Type(), nil))
	}
	fields := map[string]bool{}
	for i := 0; i < st.NumFields(); i++ {
		f := st.Field(i)
		tag := reflect.StructTag(st.Tag(i))
		if f.Embedded() || !f.Exported() || tag.Get("db") != "" || tag.Get("gorm") != "" && !s.rawTagsOK {
			return skipf("Scan into %s: field %s has tags or is embedded", types.TypeString(t, nil), f.Name())
		}
		fields[naming.ColumnName(f.Name())] = true
	}
	for _, n := range sel.GetTargetList() {
		rt := n.GetResTarget()
		name := rt.GetName()
		if name == "" {
			if cr := rt.GetVal().GetColumnRef(); cr != nil {
				fs := cr.GetFields()
				last := fs[len(fs)-1]
				if last.GetString_() == nil {
					return skipf("Raw SELECT * : the columns are not known statically")
				}
				name = last.GetString_().GetSval()
			} else {
				return skipf("Raw SELECT has an unnamed expression column")
			}
		}
		if !fields[name] {
			return skipf("Raw column %q has no field in %s (GORM ignores it, the runtime rejects it)", name, types.TypeString(t, nil))
		}
	}
	if single && len(sel.GetFromClause()) > 0 && !aggregateOnly(sel) {
		if c := sel.GetLimitCount().GetAConst(); c == nil || c.GetIval().GetIval() != 1 {
			return skipf("Scan into a single struct from a query that may return several rows")
		}
	}
	f, err := s.findForm()
	if err != nil {
		return err
	}
	tname := types.TypeString(t, s.fs.qualifier)
	call := "uow.Raw[" + tname + "](" + strings.Join(append([]string{s.ctxExpr, s.emExpr, goString(sql)}, argSrc...), ", ") + ")"
	if !single {
		del, err := s.takeDecl(f, v)
		if err != nil {
			return err
		}
		s.res.edits = append(s.res.edits, del)
		return s.emit(f, func(errVar string, es errState, _ string) ([]string, error) {
			if es == errOuter {
				return nil, skipf("assignment form (err = ...) for Raw")
			}
			return []string{v.Name() + ", " + errVar + " := " + call}, nil
		}, false)
	}
	found := s.freshName("found")
	return s.emit(f, func(errVar string, es errState, _ string) ([]string, error) {
		if es == errOuter {
			return nil, skipf("assignment form (err = ...) for Raw")
		}
		return []string{found + ", " + errVar + " := " + call,
			"if " + errVar + " == nil && len(" + found + ") > 0 {",
			"\t" + v.Name() + " = " + found + "[0]",
			"}"}, nil
	}, false)
}

var _ = ast.Inspect

var aggregates = map[string]bool{"count": true, "sum": true, "avg": true, "min": true, "max": true, "bool_and": true, "bool_or": true}

// aggregateOnly: a SELECT without GROUP BY, HAVING or set operation whose
// every column is an aggregate (or coalesce of one) returns exactly one row.
func aggregateOnly(sel *pg_query.SelectStmt) bool {
	if len(sel.GetGroupClause()) > 0 || sel.GetHavingClause() != nil || sel.GetOp() != pg_query.SetOperation_SETOP_NONE {
		return false
	}
	for _, n := range sel.GetTargetList() {
		if !isAggregate(n.GetResTarget().GetVal()) {
			return false
		}
	}
	return true
}

func isAggregate(n *pg_query.Node) bool {
	if fc := n.GetFuncCall(); fc != nil {
		names := fc.GetFuncname()
		name := names[len(names)-1].GetString_().GetSval()
		if aggregates[name] && fc.GetOver() == nil {
			return true
		}
	}
	if ce := n.GetCoalesceExpr(); ce != nil && len(ce.GetArgs()) > 0 {
		return isAggregate(ce.GetArgs()[0])
	}
	return false
}
