package baseline

import (
	"fmt"
	"path"
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v5"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Filter keeps the objects selected by include (all when empty) and not
// selected by exclude, for partial adoption. A pattern is a schema glob
// ("billing", "tenant_*") or a schema.object glob ("public.users",
// "public.audit_*"); it uses path.Match syntax. Indexes, triggers, policies,
// owned sequences and comments follow their table. What is left out is listed
// in Unmanaged.
func (s *Schema) Filter(include, exclude []string) error {
	for _, p := range append(append([]string(nil), include...), exclude...) {
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("pattern %q: %w", p, err)
		}
	}
	if len(include) == 0 && len(exclude) == 0 {
		return nil
	}
	keep := func(schema, name string) bool {
		in := len(include) == 0 || matchAny(include, schema, name)
		return in && !matchAny(exclude, schema, name)
	}
	removed := map[QName]bool{}
	var un []string
	drop := func(kind, schema, name string) {
		removed[QName{schema, name}] = true
		un = append(un, kind+" "+qualify(schema, name))
	}
	// Each slices.DeleteFunc predicate below records what it leaves out.
	s.Tables = slices.DeleteFunc(s.Tables, func(t Table) bool {
		parentGone := t.PartitionOf != nil && !keep(t.PartitionOf.Schema, t.PartitionOf.Name)
		if keep(t.Schema, t.Name) && !parentGone {
			return false
		}
		drop("table", t.Schema, t.Name)
		return true
	})
	// A kept table's foreign key to a table left out cannot be created on
	// an empty database: it is left out too, and said so.
	for i := range s.Tables {
		t := &s.Tables[i]
		keepCons := t.Constraints[:0]
		for _, k := range t.Constraints {
			if k.Kind == "f" {
				if ref, ok := fkTarget(k.Def); ok && removed[ref] {
					un = append(un, "foreign key "+quoteIdent(k.Name)+" on "+qualify(t.Schema, t.Name)+" (references unmanaged "+ref.String()+")")
					continue
				}
			}
			keepCons = append(keepCons, k)
		}
		t.Constraints = keepCons
	}
	// Views: left out when selected so, or when they read a relation left
	// out (repeated for views on views).
	for changed := true; changed; {
		changed = false
		views := s.Views[:0]
		for _, v := range s.Views {
			gone := !keep(v.Schema, v.Name)
			var why QName
			for _, q := range relationsRead(v.Def) {
				if removed[q] {
					gone, why = true, q
					break
				}
			}
			if !gone {
				views = append(views, v)
				continue
			}
			kind := "view"
			if v.Materialized {
				kind = "materialized view"
			}
			removed[QName{v.Schema, v.Name}] = true
			entry := kind + " " + qualify(v.Schema, v.Name)
			if why.Name != "" && keep(v.Schema, v.Name) {
				entry += " (reads unmanaged " + why.String() + ")"
			}
			un = append(un, entry)
			changed = true
		}
		s.Views = views
	}
	s.Sequences = slices.DeleteFunc(s.Sequences, func(q Sequence) bool {
		owner := q.OwnedBy != nil && removed[QName{q.OwnedBy.Schema, q.OwnedBy.Table}]
		if keep(q.Schema, q.Name) && !owner {
			return false
		}
		drop("sequence", q.Schema, q.Name)
		return true
	})
	s.Indexes = slices.DeleteFunc(s.Indexes, func(ix Index) bool {
		if removed[QName{ix.Schema, ix.Table}] || !keep(ix.Schema, ix.Name) && !keep(ix.Schema, ix.Table) {
			removed[QName{ix.Schema, ix.Name}] = true
			return true
		}
		return false
	})
	s.Triggers = slices.DeleteFunc(s.Triggers, func(t Trigger) bool { return removed[QName{t.Schema, t.Table}] })
	s.Policies = slices.DeleteFunc(s.Policies, func(p Policy) bool { return removed[QName{p.Schema, p.Table}] })
	// Types and functions: by schema (and name).
	typeGone := func(kind, schema, name string) bool {
		if keep(schema, name) || schemaKept(keep, schema) {
			return false
		}
		drop(kind, schema, name)
		return true
	}
	s.Enums = slices.DeleteFunc(s.Enums, func(e Enum) bool { return typeGone("type", e.Schema, e.Name) })
	s.Domains = slices.DeleteFunc(s.Domains, func(d Domain) bool { return typeGone("domain", d.Schema, d.Name) })
	s.Composites = slices.DeleteFunc(s.Composites, func(c Composite) bool { return typeGone("type", c.Schema, c.Name) })
	fns := s.Functions[:0]
	droppedFns := map[string]bool{} // comment targets of dropped functions and schemas
	for _, f := range s.Functions {
		// A SQL-standard body (BEGIN ATOMIC) is parsed at creation: it
		// cannot read a table left out. Other bodies are strings.
		var reads QName
		for _, q := range relationsRead(f.Def) {
			if removed[q] {
				reads = q
				break
			}
		}
		if (keep(f.Schema, f.Name) || schemaKept(keep, f.Schema)) && reads.Name == "" {
			fns = append(fns, f)
			continue
		}
		sig := qualify(f.Schema, f.Name) + "(" + f.ArgTypes + ")"
		droppedFns[sig] = true
		entry := strings.ToLower(f.Kind) + " " + sig
		if reads.Name != "" {
			entry += " (reads unmanaged " + reads.String() + ")"
		}
		un = append(un, entry)
	}
	s.Functions = fns
	s.Namespaces = slices.DeleteFunc(s.Namespaces, func(n Namespace) bool {
		if schemaKept(keep, n.Name) || n.Name == DefaultSchema {
			return false
		}
		un = append(un, "schema "+quoteIdent(n.Name))
		droppedFns[quoteIdent(n.Name)] = true // its comment goes too
		return true
	})
	s.Comments = slices.DeleteFunc(s.Comments, func(c Comment) bool {
		ownerDropped := droppedFns[c.Target] && (c.Kind == "SCHEMA" || c.Kind == "FUNCTION" || c.Kind == "PROCEDURE")
		return commentOnRemoved(c, removed) || ownerDropped
	})
	s.Unmanaged = append(s.Unmanaged, un...)
	s.Sort()
	return nil
}

// schemaKept: some object of the schema may be kept (the schema itself is
// selected, or a pattern names objects in it).
func schemaKept(keep func(schema, name string) bool, schema string) bool {
	return keep(schema, "*")
}

func matchAny(pats []string, schema, name string) bool {
	for _, p := range pats {
		ps, pn, qualified := strings.Cut(p, ".")
		if ok, _ := path.Match(ps, schema); !ok {
			continue
		}
		if !qualified {
			return true
		}
		if name == "*" {
			// Asking whether the schema has selected objects.
			return true
		}
		if ok, _ := path.Match(pn, name); ok {
			return true
		}
	}
	return false
}

// relationsRead lists the tables and views a query reads.
func relationsRead(query string) []QName {
	tree, err := pg.Parse(query)
	if err != nil {
		return nil
	}
	var out []QName
	var walk func(m protoreflect.Message)
	walk = func(m protoreflect.Message) {
		if rv, ok := m.Interface().(*pg.RangeVar); ok {
			schema := rv.Schemaname
			if schema == "" {
				schema = DefaultSchema
			}
			out = append(out, QName{Schema: schema, Name: rv.Relname})
		}
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.IsList() && fd.Message() != nil:
				for i := 0; i < v.List().Len(); i++ {
					walk(v.List().Get(i).Message())
				}
			case fd.Message() != nil && !fd.IsMap():
				walk(v.Message())
			}
			return true
		})
	}
	for _, st := range tree.Stmts {
		walk(st.Stmt.ProtoReflect())
	}
	return out
}

// fkTarget is the table a foreign key definition references.
func fkTarget(def string) (QName, bool) {
	tree, err := pg.Parse("ALTER TABLE x ADD " + def)
	if err != nil || len(tree.Stmts) != 1 {
		return QName{}, false
	}
	for _, c := range tree.Stmts[0].Stmt.GetAlterTableStmt().GetCmds() {
		if k := c.GetAlterTableCmd().GetDef().GetConstraint(); k != nil && k.Pktable != nil {
			schema := k.Pktable.Schemaname
			if schema == "" {
				schema = DefaultSchema
			}
			return QName{Schema: schema, Name: k.Pktable.Relname}, true
		}
	}
	return QName{}, false
}

func commentOnRemoved(c Comment, removed map[QName]bool) bool {
	for q := range removed {
		n := qualify(q.Schema, q.Name)
		if c.Target == n || strings.HasPrefix(c.Target, n+".") || strings.HasSuffix(c.Target, " ON "+n) {
			return true
		}
	}
	return false
}

// WithoutHistoryTables removes migration tools' history tables (and the
// sequences they own) from the model: they are bookkeeping, not schema.
func (s *Schema) WithoutHistoryTables() {
	hist := map[QName]bool{}
	for _, q := range HistoryTableNames() {
		if q.Schema == "" {
			q.Schema = DefaultSchema
		}
		hist[q] = true
	}
	var drop []string
	for _, t := range s.Tables {
		if hist[QName{t.Schema, t.Name}] {
			drop = append(drop, t.Schema+"."+t.Name)
		}
	}
	if len(drop) == 0 && !s.hasSchema("atlas_schema_revisions") {
		return
	}
	removed := map[QName]bool{}
	s.Tables = slices.DeleteFunc(s.Tables, func(t Table) bool {
		q := QName{t.Schema, t.Name}
		removed[q] = hist[q]
		return hist[q]
	})
	s.Sequences = slices.DeleteFunc(s.Sequences, func(q Sequence) bool {
		return q.OwnedBy != nil && removed[QName{q.OwnedBy.Schema, q.OwnedBy.Table}]
	})
	s.Indexes = slices.DeleteFunc(s.Indexes, func(ix Index) bool { return removed[QName{ix.Schema, ix.Table}] })
	s.Namespaces = slices.DeleteFunc(s.Namespaces, func(n Namespace) bool { return n.Name == "atlas_schema_revisions" })
}

func (s *Schema) hasSchema(name string) bool {
	for _, n := range s.Namespaces {
		if n.Name == name {
			return true
		}
	}
	return false
}
