package dualrun

import (
	"sort"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/ormshift/ormshift/internal/sqltext"
)

// writeTargets lists the tables that statements insert into, update,
// delete from or merge into (top level and in WITH clauses), as written:
// "schema.table" or "table".
func writeTargets(sqls []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(rv *pg_query.RangeVar) {
		if rv == nil || rv.Relname == "" {
			return
		}
		name := rv.Relname
		if rv.Schemaname != "" {
			name = rv.Schemaname + "." + name
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	var visit func(n *pg_query.Node)
	withClause := func(w *pg_query.WithClause) {
		if w == nil {
			return
		}
		for _, c := range w.Ctes {
			if cte := c.GetCommonTableExpr(); cte != nil {
				visit(cte.Ctequery)
			}
		}
	}
	visit = func(n *pg_query.Node) {
		if n == nil {
			return
		}
		switch {
		case n.GetInsertStmt() != nil:
			s := n.GetInsertStmt()
			add(s.Relation)
			withClause(s.WithClause)
		case n.GetUpdateStmt() != nil:
			s := n.GetUpdateStmt()
			add(s.Relation)
			withClause(s.WithClause)
		case n.GetDeleteStmt() != nil:
			s := n.GetDeleteStmt()
			add(s.Relation)
			withClause(s.WithClause)
		case n.GetMergeStmt() != nil:
			s := n.GetMergeStmt()
			add(s.Relation)
			withClause(s.WithClause)
		case n.GetSelectStmt() != nil:
			withClause(n.GetSelectStmt().WithClause)
		case n.GetCopyStmt() != nil:
			if s := n.GetCopyStmt(); s.IsFrom {
				add(s.Relation)
			}
		}
	}
	for _, q := range sqls {
		if strings.HasPrefix(q, "COPY ") && strings.HasSuffix(q, " FROM STDIN") {
			// Recorded by the tracer for CopyFrom: the table is quoted.
			q = strings.TrimSuffix(q, " FROM STDIN") + " FROM STDIN"
		}
		res, err := sqltext.ParseStatement(q, sqltext.StyleDollar)
		if err != nil {
			continue
		}
		for _, s := range res.Tree.Stmts {
			visit(s.Stmt)
		}
	}
	sort.Strings(out)
	return out
}

// uncaptured returns the targets that are not among the captured tables
// (qualified "schema.table"; an unqualified target matches any schema).
func uncaptured(targets, captured []string) []string {
	have := map[string]bool{}
	for _, c := range captured {
		have[c] = true
		if _, t, ok := strings.Cut(c, "."); ok {
			have["*."+t] = true
		}
	}
	var out []string
	for _, t := range targets {
		if strings.Contains(t, ".") {
			if !have[t] {
				out = append(out, t)
			}
		} else if !have["*."+t] {
			out = append(out, t)
		}
	}
	return out
}
