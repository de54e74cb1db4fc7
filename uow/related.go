package uow

import (
	"fmt"
	"strconv"
	"strings"
)

// Related matches the entities that have a row of the named relation
// matching all of filters (with no filters: that have a related row at
// all). Filters name the related entity's fields. It is a correlated
// EXISTS subquery, so it never multiplies rows the way a join does, and
// it works for every relation kind:
//
//	// versions of the package called "gorm"
//	uow.Find[Version](ctx, em, uow.Related("Package", uow.Eq("name", "gorm")))
//	// packages with a version published since t
//	uow.Find[Package](ctx, em, uow.Related("Versions", uow.Gte("published_at", t)))
//
// Soft-deleted related rows do not count. Related nests: a filter inside
// may itself be a Related of the related entity. Not(Related(...)) matches
// the entities with no such row.
func Related(relation string, filters ...Filter) Filter {
	return relatedFilter{relation: relation, filters: filters}
}

type relatedFilter struct {
	relation string
	filters  []Filter
}

func (f relatedFilter) applyQuery(q *query) { q.where = append(q.where, f) }

func (f relatedFilter) build(c *sqlCtx) (string, error) {
	if c.meta == nil {
		return "", fmt.Errorf("uow: Related(%q) is only supported in entity queries (Find, FindOne, Count, Exists, ...); use QueryBuilder.Join here", f.relation)
	}
	owner := c.meta
	rel, ok := owner.Relation(f.relation)
	if !ok {
		return "", fmt.Errorf("uow: Related: %w: %s has no relation %q", ErrUnknownField, owner.Name, f.relation)
	}
	outer := c.qual
	if outer == "" {
		outer = quoteTable(owner.Table)
	}
	c.aliases++
	alias := quoteIdent("rel" + strconv.Itoa(c.aliases))
	target := rel.Target
	var from string
	var conds []string
	switch rel.Kind {
	case BelongsTo:
		from = quoteTable(target.Table) + " AS " + alias
		for i, fk := range rel.ForeignKey {
			conds = append(conds, alias+"."+quoteIdent(rel.References[i].Column)+" = "+outer+"."+quoteIdent(fk.Column))
		}
	case HasOne, HasMany:
		from = quoteTable(target.Table) + " AS " + alias
		for i, fk := range rel.ForeignKey {
			conds = append(conds, alias+"."+quoteIdent(fk.Column)+" = "+outer+"."+quoteIdent(rel.References[i].Column))
		}
	case ManyToMany:
		c.aliases++
		jt := quoteIdent("rel" + strconv.Itoa(c.aliases))
		var on []string
		for i, col := range rel.JoinReferences {
			on = append(on, alias+"."+quoteIdent(rel.TargetKey[i].Column)+" = "+jt+"."+quoteIdent(col))
		}
		from = quoteTable(rel.JoinTable) + " AS " + jt + " JOIN " + quoteTable(target.Table) + " AS " + alias + " ON " + strings.Join(on, " AND ")
		for i, col := range rel.JoinForeignKey {
			conds = append(conds, jt+"."+quoteIdent(col)+" = "+outer+"."+quoteIdent(rel.OwnerKey[i].Column))
		}
	default:
		return "", fmt.Errorf("uow: Related(%q): unsupported relation kind %v", f.relation, rel.Kind)
	}
	if target.SoftDelete != nil {
		conds = append(conds, alias+"."+quoteIdent(target.SoftDelete.Column)+" IS NULL")
	}
	inner := &sqlCtx{args: c.args, resolve: entityResolver(target, alias), meta: target, qual: alias, aliases: c.aliases}
	for _, sub := range f.filters {
		if sub == nil {
			return "", fmt.Errorf("uow: Related(%q): nil filter", f.relation)
		}
		s, err := sub.build(inner)
		if err != nil {
			return "", err
		}
		conds = append(conds, "("+s+")")
	}
	c.args, c.aliases = inner.args, inner.aliases
	return "EXISTS (SELECT 1 FROM " + from + " WHERE " + strings.Join(conds, " AND ") + ")", nil
}
