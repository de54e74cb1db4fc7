package uow

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// QueryBuilder describes a read-only query with joins along relations,
// grouping and aggregates, whose rows are scanned into plain structs by
// Select. Every name in it is checked against the entity metadata; values
// are bound parameters. Build one with From.
//
//	type Row struct {
//		Name     string
//		Versions int64
//	}
//	rows, err := uow.Select[Row](ctx, em, uow.From[Package]().
//		Join("Versions").
//		Columns("name", "count(Versions.id) AS versions").
//		Where(uow.Gte("weekly_downloads", 10)).
//		GroupBy("name").
//		Having(uow.Gt("count(Versions.id)", 1)).
//		OrderBy("versions", uow.Desc).
//		Limit(10))
//
// Expressions are a field ("name", "WeeklyDownloads"), a field of a joined
// relation ("Versions.number", "Versions.Tags.name"), or an aggregate of
// one: count(*), count(x), count(distinct x), sum(x), avg(x), min(x),
// max(x). A selected expression may be named with "AS alias"; ORDER BY may
// use the alias.
type QueryBuilder struct {
	root    reflect.Type
	joins   []joinSpec
	columns []string
	where   []Filter
	groupBy []string
	having  []Filter
	order   []orderItem
	limit   int
	offset  int
	err     error
}

type joinSpec struct {
	path string
	left bool
}

// From starts a QueryBuilder on entity type T.
func From[T any]() *QueryBuilder {
	var zero *T
	return &QueryBuilder{root: reflect.TypeOf(zero).Elem()}
}

// Join adds an inner join along a relation path ("Versions",
// "Versions.Tags"); the joined entity is referred to by its path.
func (q *QueryBuilder) Join(path string) *QueryBuilder {
	q.joins = append(q.joins, joinSpec{path: path})
	return q
}

// LeftJoin is Join as a LEFT JOIN.
func (q *QueryBuilder) LeftJoin(path string) *QueryBuilder {
	q.joins = append(q.joins, joinSpec{path: path, left: true})
	return q
}

// Columns sets the selected expressions (default: the root entity's
// columns).
func (q *QueryBuilder) Columns(exprs ...string) *QueryBuilder {
	q.columns = append(q.columns, exprs...)
	return q
}

// Where adds filters (ANDed).
func (q *QueryBuilder) Where(filters ...Filter) *QueryBuilder {
	q.where = append(q.where, filters...)
	return q
}

// GroupBy adds grouping expressions.
func (q *QueryBuilder) GroupBy(exprs ...string) *QueryBuilder {
	q.groupBy = append(q.groupBy, exprs...)
	return q
}

// Having adds filters on groups; their field names may be aggregates.
func (q *QueryBuilder) Having(filters ...Filter) *QueryBuilder {
	q.having = append(q.having, filters...)
	return q
}

// OrderBy adds an ordering on an expression or a selected alias.
func (q *QueryBuilder) OrderBy(expr string, dir Direction) *QueryBuilder {
	q.order = append(q.order, orderItem{expr, dir})
	return q
}

// Limit caps the number of rows.
func (q *QueryBuilder) Limit(n int) *QueryBuilder { q.limit = n; return q }

// Offset skips rows.
func (q *QueryBuilder) Offset(n int) *QueryBuilder {
	if n < 0 {
		q.err = fmt.Errorf("uow: negative Offset %d", n)
	}
	q.offset = n
	return q
}

var (
	aggRe   = regexp.MustCompile(`^(?i)(count|sum|avg|min|max)\(\s*(distinct\s+)?([A-Za-z_][A-Za-z0-9_.]*|\*)\s*\)$`)
	aliasRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

type builderScope struct {
	root    *Entity
	aliases map[string]*Entity // join path -> entity
	outputs map[string]bool    // selected aliases
}

func (s *builderScope) ref(name string) (string, error) {
	path, field := "", name
	if i := strings.LastIndex(name, "."); i >= 0 {
		path, field = name[:i], name[i+1:]
	}
	e := s.root
	qual := quoteIdent("t")
	if path != "" {
		e = s.aliases[path]
		if e == nil {
			return "", fmt.Errorf("%w: %q is not a joined relation (in %q)", ErrUnknownField, path, name)
		}
		qual = quoteIdent(path)
	}
	f, ok := e.Field(field)
	if !ok {
		return "", fmt.Errorf("%w: %s has no field or column %q", ErrUnknownField, e.Name, field)
	}
	return qual + "." + quoteIdent(f.Column), nil
}

// expr renders a field reference or an aggregate.
func (s *builderScope) expr(x string) (string, error) {
	x = strings.TrimSpace(x)
	if m := aggRe.FindStringSubmatch(x); m != nil {
		fn := strings.ToLower(m[1])
		arg := "*"
		if m[3] != "*" {
			r, err := s.ref(m[3])
			if err != nil {
				return "", err
			}
			arg = r
		} else if fn != "count" || m[2] != "" {
			return "", fmt.Errorf("%w: %s(*) is not an aggregate", ErrUnknownField, fn)
		}
		d := ""
		if m[2] != "" {
			d = "DISTINCT "
		}
		return fn + "(" + d + arg + ")", nil
	}
	return s.ref(x)
}

func (q *QueryBuilder) build(reg *Registry) (string, []any, error) {
	if q.err != nil {
		return "", nil, q.err
	}
	root, err := reg.Lookup(q.root)
	if err != nil {
		return "", nil, err
	}
	s := &builderScope{root: root, aliases: map[string]*Entity{}, outputs: map[string]bool{}}
	var b strings.Builder
	var from strings.Builder
	from.WriteString(" FROM " + quoteTable(root.Table) + " AS " + quoteIdent("t"))
	for _, j := range q.joins {
		if s.aliases[j.path] != nil {
			continue
		}
		parentPath, relName := "", j.path
		if i := strings.LastIndex(j.path, "."); i >= 0 {
			parentPath, relName = j.path[:i], j.path[i+1:]
		}
		parent := root
		pq := quoteIdent("t")
		if parentPath != "" {
			parent = s.aliases[parentPath]
			if parent == nil {
				return "", nil, fmt.Errorf("%w: join %q before %q", ErrUnknownField, parentPath, j.path)
			}
			pq = quoteIdent(parentPath)
		}
		rel, ok := parent.Relation(relName)
		if !ok {
			return "", nil, fmt.Errorf("%w: %s has no relation %q", ErrUnknownField, parent.Name, relName)
		}
		kw := " JOIN "
		if j.left {
			kw = " LEFT JOIN "
		}
		aq := quoteIdent(j.path)
		var conds []string
		switch rel.Kind {
		case HasMany, HasOne:
			for i, fk := range rel.ForeignKey {
				conds = append(conds, aq+"."+quoteIdent(fk.Column)+" = "+pq+"."+quoteIdent(rel.References[i].Column))
			}
		case BelongsTo:
			for i, fk := range rel.ForeignKey {
				conds = append(conds, aq+"."+quoteIdent(rel.References[i].Column)+" = "+pq+"."+quoteIdent(fk.Column))
			}
		case ManyToMany:
			jq := quoteIdent(j.path + "__join")
			var jc []string
			for i, c := range rel.JoinForeignKey {
				jc = append(jc, jq+"."+quoteIdent(c)+" = "+pq+"."+quoteIdent(rel.OwnerKey[i].Column))
			}
			from.WriteString(kw + quoteTable(rel.JoinTable) + " AS " + jq + " ON " + strings.Join(jc, " AND "))
			for i, c := range rel.JoinReferences {
				conds = append(conds, aq+"."+quoteIdent(rel.TargetKey[i].Column)+" = "+jq+"."+quoteIdent(c))
			}
		}
		if rel.Target.SoftDelete != nil {
			conds = append(conds, aq+"."+quoteIdent(rel.Target.SoftDelete.Column)+" IS NULL")
		}
		from.WriteString(kw + quoteTable(rel.Target.Table) + " AS " + aq + " ON " + strings.Join(conds, " AND "))
		s.aliases[j.path] = rel.Target
	}
	c := &sqlCtx{resolve: s.expr}
	b.WriteString("SELECT ")
	if len(q.columns) == 0 {
		b.WriteString(selectList(root, quoteIdent("t")))
	}
	for i, col := range q.columns {
		expr, alias := col, ""
		if k := strings.LastIndex(strings.ToUpper(col), " AS "); k >= 0 {
			expr, alias = strings.TrimSpace(col[:k]), strings.TrimSpace(col[k+4:])
			if !aliasRe.MatchString(alias) {
				return "", nil, fmt.Errorf("%w: bad alias %q", ErrUnknownField, alias)
			}
		}
		sqlExpr, err := s.expr(expr)
		if err != nil {
			return "", nil, err
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(sqlExpr)
		if alias != "" {
			b.WriteString(" AS " + quoteIdent(alias))
			s.outputs[alias] = true
		}
	}
	b.WriteString(from.String())
	var where []string
	for _, f := range q.where {
		if f == nil {
			return "", nil, errors.New("uow: nil filter")
		}
		w, err := f.build(c)
		if err != nil {
			return "", nil, err
		}
		where = append(where, "("+w+")")
	}
	if root.SoftDelete != nil {
		where = append(where, quoteIdent("t")+"."+quoteIdent(root.SoftDelete.Column)+" IS NULL")
	}
	if len(where) > 0 {
		b.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	if len(q.groupBy) > 0 {
		var gs []string
		for _, g := range q.groupBy {
			e, err := s.expr(g)
			if err != nil {
				return "", nil, err
			}
			gs = append(gs, e)
		}
		b.WriteString(" GROUP BY " + strings.Join(gs, ", "))
	}
	if len(q.having) > 0 {
		var hs []string
		for _, f := range q.having {
			if f == nil {
				return "", nil, errors.New("uow: nil filter")
			}
			h, err := f.build(c)
			if err != nil {
				return "", nil, err
			}
			hs = append(hs, "("+h+")")
		}
		b.WriteString(" HAVING " + strings.Join(hs, " AND "))
	}
	if len(q.order) > 0 {
		var os []string
		for _, o := range q.order {
			var e string
			if s.outputs[o.field] {
				e = quoteIdent(o.field)
			} else {
				var err error
				if e, err = s.expr(o.field); err != nil {
					return "", nil, err
				}
			}
			if o.dir == Desc {
				e += " DESC"
			}
			os = append(os, e)
		}
		b.WriteString(" ORDER BY " + strings.Join(os, ", "))
	}
	if q.limit > 0 {
		b.WriteString(" LIMIT " + strconv.Itoa(q.limit))
	}
	if q.offset > 0 {
		b.WriteString(" OFFSET " + strconv.Itoa(q.offset))
	}
	return b.String(), c.args, nil
}

// SQL returns the statement and arguments the builder renders for the
// ORM's metadata (for logging and tests).
func (q *QueryBuilder) SQL(orm *ORM) (string, []any, error) { return q.build(orm.reg) }

// Select runs a QueryBuilder and scans each row into an R by column name
// (as Raw does). The rows are not entities and are not tracked.
func Select[R any](ctx context.Context, em *EntityManager, q *QueryBuilder) ([]R, error) {
	if err := em.usable(); err != nil {
		return nil, err
	}
	if q == nil {
		return nil, errors.New("uow: Select: nil query")
	}
	sqlText, args, err := q.build(em.orm.reg)
	if err != nil {
		return nil, fmt.Errorf("uow: Select: %w", err)
	}
	rows, err := em.executor().Query(ctx, sqlText, args...)
	if err != nil {
		return nil, em.orm.dbError("Select", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByNameLax[R])
	if err != nil {
		return nil, em.orm.dbError("Select", err)
	}
	return out, nil
}
