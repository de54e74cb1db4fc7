package baseline

import (
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v5"
)

func (r *Replayer) dropComments(match func(Comment) bool) {
	r.s.Comments = slices.DeleteFunc(r.s.Comments, match)
}

func (r *Replayer) dropTable(q QName) {
	keep := r.s.Tables[:0]
	for _, t := range r.s.Tables {
		if t.Schema == q.Schema && t.Name == q.Name {
			continue
		}
		if t.PartitionOf != nil && *t.PartitionOf == q {
			continue // partitions go with their parent
		}
		keep = append(keep, t)
	}
	r.s.Tables = keep
	r.s.Sequences = slices.DeleteFunc(r.s.Sequences, func(s Sequence) bool {
		return s.OwnedBy != nil && s.OwnedBy.Schema == q.Schema && s.OwnedBy.Table == q.Name
	})
	r.s.Policies = slices.DeleteFunc(r.s.Policies, func(p Policy) bool { return p.Schema == q.Schema && p.Table == q.Name })
	r.dropAttached(q)
}

// dropAttached removes what goes with a dropped relation (a table or a
// view): its indexes, triggers and comments, then what depends on it.
func (r *Replayer) dropAttached(q QName) {
	r.s.Indexes = slices.DeleteFunc(r.s.Indexes, func(ix Index) bool { return ix.Schema == q.Schema && ix.Table == q.Name })
	r.s.Triggers = slices.DeleteFunc(r.s.Triggers, func(t Trigger) bool { return t.Schema == q.Schema && t.Table == q.Name })
	n := q.String()
	r.dropComments(func(c Comment) bool {
		return c.Target == n || strings.HasPrefix(c.Target, n+".") || strings.HasSuffix(c.Target, " ON "+n)
	})
	r.dropDependents(q)
}

// dropDependents removes what PostgreSQL drops with a relation (by CASCADE,
// or which would have made the DROP fail): other tables' foreign keys to it
// and the views that read it, recursively.
func (r *Replayer) dropDependents(q QName) {
	for i := range r.s.Tables {
		t := &r.s.Tables[i]
		keep := t.Constraints[:0]
		for _, k := range t.Constraints {
			if k.Kind == "f" {
				if ref, ok := fkTarget(k.Def); ok && ref == q {
					continue
				}
			}
			keep = append(keep, k)
		}
		t.Constraints = keep
	}
	for _, v := range append([]View(nil), r.s.Views...) {
		for _, read := range relationsRead(v.Def) {
			if read == q {
				r.dropView(QName{Schema: v.Schema, Name: v.Name})
				break
			}
		}
	}
}

func (r *Replayer) dropView(q QName) {
	found := false
	keep := r.s.Views[:0]
	for _, v := range r.s.Views {
		if v.Schema == q.Schema && v.Name == q.Name {
			found = true
			continue
		}
		keep = append(keep, v)
	}
	r.s.Views = keep
	if !found {
		return
	}
	r.dropAttached(q)
}

// dropSchemaContents is DROP SCHEMA ... CASCADE.
func (r *Replayer) dropSchemaContents(schema string) {
	for _, t := range append([]Table(nil), r.s.Tables...) {
		if t.Schema == schema {
			r.dropTable(QName{Schema: schema, Name: t.Name})
		}
	}
	for _, v := range append([]View(nil), r.s.Views...) {
		if v.Schema == schema {
			r.dropView(QName{Schema: schema, Name: v.Name})
		}
	}
	seqs := r.s.Sequences[:0]
	for _, q := range r.s.Sequences {
		if q.Schema != schema {
			seqs = append(seqs, q)
		}
	}
	r.s.Sequences = seqs
	idx := r.s.Indexes[:0]
	for _, ix := range r.s.Indexes {
		if ix.Schema != schema {
			idx = append(idx, ix)
		}
	}
	r.s.Indexes = idx
	fns := r.s.Functions[:0]
	for _, f := range r.s.Functions {
		if f.Schema != schema {
			fns = append(fns, f)
		}
	}
	r.s.Functions = fns
	for _, e := range append([]Enum(nil), r.s.Enums...) {
		if e.Schema == schema {
			r.dropType(QName{Schema: schema, Name: e.Name})
		}
	}
	for _, d := range append([]Domain(nil), r.s.Domains...) {
		if d.Schema == schema {
			r.dropType(QName{Schema: schema, Name: d.Name})
		}
	}
	for _, c := range append([]Composite(nil), r.s.Composites...) {
		if c.Schema == schema {
			r.dropType(QName{Schema: schema, Name: c.Name})
		}
	}
	prefix := quoteIdent(schema) + "."
	r.dropComments(func(c Comment) bool {
		return strings.HasPrefix(c.Target, prefix) || strings.Contains(c.Target, " ON "+prefix) || c.Kind == "SCHEMA" && c.Target == quoteIdent(schema)
	})
}

func (r *Replayer) drop(d *pg.DropStmt) {
	for _, o := range d.Objects {
		switch d.RemoveType {
		case pg.ObjectType_OBJECT_TABLE, pg.ObjectType_OBJECT_FOREIGN_TABLE:
			r.dropTable(r.qnames(strs(o.GetList().GetItems())))
		case pg.ObjectType_OBJECT_INDEX:
			r.dropIndex(r.qnames(strs(o.GetList().GetItems())))
		case pg.ObjectType_OBJECT_VIEW, pg.ObjectType_OBJECT_MATVIEW:
			r.dropView(r.qnames(strs(o.GetList().GetItems())))
		case pg.ObjectType_OBJECT_SEQUENCE:
			q := r.qnames(strs(o.GetList().GetItems()))
			keep := r.s.Sequences[:0]
			for _, s := range r.s.Sequences {
				if s.Schema != q.Schema || s.Name != q.Name {
					keep = append(keep, s)
				}
			}
			r.s.Sequences = keep
		case pg.ObjectType_OBJECT_TYPE, pg.ObjectType_OBJECT_DOMAIN:
			q := r.qnames(strs(o.GetTypeName().GetNames()))
			r.dropType(q)
		case pg.ObjectType_OBJECT_FUNCTION, pg.ObjectType_OBJECT_PROCEDURE, pg.ObjectType_OBJECT_ROUTINE:
			owa := o.GetObjectWithArgs()
			q := r.qnames(strs(owa.Objname))
			types := r.argTypesOf(owa)
			keep := r.s.Functions[:0]
			for _, f := range r.s.Functions {
				if f.Schema == q.Schema && f.Name == q.Name && (owa.ArgsUnspecified || normArgTypes(f.ArgTypes) == normArgTypes(types)) {
					continue
				}
				keep = append(keep, f)
			}
			r.s.Functions = keep
		case pg.ObjectType_OBJECT_TRIGGER, pg.ObjectType_OBJECT_POLICY:
			names := strs(o.GetList().GetItems())
			if len(names) < 2 {
				continue
			}
			q := r.qnames(names[:len(names)-1])
			n := names[len(names)-1]
			if d.RemoveType == pg.ObjectType_OBJECT_TRIGGER {
				keep := r.s.Triggers[:0]
				for _, t := range r.s.Triggers {
					if t.Schema != q.Schema || t.Table != q.Name || t.Name != n {
						keep = append(keep, t)
					}
				}
				r.s.Triggers = keep
			} else {
				keep := r.s.Policies[:0]
				for _, p := range r.s.Policies {
					if p.Schema != q.Schema || p.Table != q.Name || p.Name != n {
						keep = append(keep, p)
					}
				}
				r.s.Policies = keep
			}
		case pg.ObjectType_OBJECT_SCHEMA:
			name := constString(o)
			if d.Behavior == pg.DropBehavior_DROP_CASCADE {
				r.dropSchemaContents(name)
			}
			keep := r.s.Namespaces[:0]
			for _, n := range r.s.Namespaces {
				if n.Name != name {
					keep = append(keep, n)
				}
			}
			r.s.Namespaces = keep
		case pg.ObjectType_OBJECT_EXTENSION:
			name := constString(o)
			keep := r.s.Extensions[:0]
			for _, e := range r.s.Extensions {
				if e.Name != name {
					keep = append(keep, e)
				}
			}
			r.s.Extensions = keep
		default:
			r.skip("statement", "DROP "+strings.TrimPrefix(d.RemoveType.String(), "OBJECT_"), "this kind of DROP is not replayed")
			return
		}
	}
}

func (r *Replayer) dropType(q QName) {
	enums := r.s.Enums[:0]
	for _, e := range r.s.Enums {
		if e.Schema != q.Schema || e.Name != q.Name {
			enums = append(enums, e)
		}
	}
	r.s.Enums = enums
	doms := r.s.Domains[:0]
	for _, d := range r.s.Domains {
		if d.Schema != q.Schema || d.Name != q.Name {
			doms = append(doms, d)
		}
	}
	r.s.Domains = doms
	comps := r.s.Composites[:0]
	for _, c := range r.s.Composites {
		if c.Schema != q.Schema || c.Name != q.Name {
			comps = append(comps, c)
		}
	}
	r.s.Composites = comps
}

func (r *Replayer) argTypesOf(owa *pg.ObjectWithArgs) string {
	var ts []string
	for _, a := range owa.Objargs {
		if tn := a.GetTypeName(); tn != nil {
			ts = append(ts, typeSQLNoMods(tn))
		}
	}
	return strings.Join(ts, ", ")
}

func typeSQLNoMods(tn *pg.TypeName) string {
	c := &pg.TypeName{Names: tn.Names, ArrayBounds: tn.ArrayBounds, Setof: tn.Setof, PctType: tn.PctType}
	return typeSQL(c)
}
