package baseline

import (
	"fmt"
	"sort"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v5"
)

// WriteSQL prints the schema as DDL that recreates it on an empty database:
// extensions, schemas, types, functions, sequences, tables, partitions,
// sequence ownership, constraints, indexes, foreign keys, views (in
// dependency order), triggers, row-level security, policies and comments.
// The same schema always prints the same bytes.
func WriteSQL(s *Schema) string {
	c := *s
	c.Sort()
	s = &c
	var b strings.Builder
	b.WriteString("-- Schema baseline written by ormshift. Do not edit: it records the schema as it was adopted.\n")
	b.WriteString("SET check_function_bodies = false;\n")
	section := func(title string) { fmt.Fprintf(&b, "\n-- %s\n", title) }

	var nss []Namespace
	for _, n := range s.Namespaces {
		if n.Name != "public" {
			nss = append(nss, n)
		}
	}
	if len(nss) > 0 {
		section("Schemas")
		for _, n := range nss {
			fmt.Fprintf(&b, "CREATE SCHEMA IF NOT EXISTS %s;\n", quoteIdent(n.Name))
		}
	}
	if len(s.Extensions) > 0 {
		section("Extensions")
		for _, e := range s.Extensions {
			fmt.Fprintf(&b, "CREATE EXTENSION IF NOT EXISTS %s WITH SCHEMA %s;\n", quoteIdent(e.Name), quoteIdent(e.Schema))
		}
	}
	if len(s.Enums)+len(s.Domains)+len(s.Composites) > 0 {
		section("Types")
		for _, e := range s.Enums {
			labels := make([]string, len(e.Labels))
			for i, l := range e.Labels {
				labels[i] = quoteLiteral(l)
			}
			fmt.Fprintf(&b, "CREATE TYPE %s AS ENUM (%s);\n", qualify(e.Schema, e.Name), strings.Join(labels, ", "))
		}
		for _, d := range s.Domains {
			if !callsUserFunction(s, d) {
				b.WriteString(domainSQL(d))
			}
		}
		for _, t := range s.Composites {
			attrs := make([]string, len(t.Attributes))
			for i, a := range t.Attributes {
				attrs[i] = quoteIdent(a.Name) + " " + a.Type
				if a.Collation != "" {
					attrs[i] += " COLLATE " + a.Collation
				}
			}
			fmt.Fprintf(&b, "CREATE TYPE %s AS (%s);\n", qualify(t.Schema, t.Name), strings.Join(attrs, ", "))
		}
	}
	early, late := splitFunctions(s)
	if len(early) > 0 {
		section("Functions and procedures")
		for _, f := range early {
			b.WriteString(strings.TrimSuffix(strings.TrimSpace(f.Def), ";"))
			b.WriteString(";\n")
		}
	}
	for _, d := range s.Domains {
		// Domains whose check or default calls a function of the schema.
		if callsUserFunction(s, d) {
			b.WriteString(domainSQL(d))
		}
	}
	if len(s.Sequences) > 0 {
		section("Sequences")
		for _, q := range s.Sequences {
			b.WriteString(sequenceSQL(q))
		}
	}
	if len(s.Tables) > 0 {
		section("Tables")
		for _, t := range orderTables(s.Tables) {
			b.WriteString(tableSQL(t))
		}
	}
	owned := false
	for _, q := range s.Sequences {
		if q.OwnedBy != nil {
			if !owned {
				section("Sequence ownership")
				owned = true
			}
			fmt.Fprintf(&b, "ALTER SEQUENCE %s OWNED BY %s.%s;\n", qualify(q.Schema, q.Name), qualify(q.OwnedBy.Schema, q.OwnedBy.Table), quoteIdent(q.OwnedBy.Column))
		}
	}
	writeCons := func(title string, want func(kind string) bool) {
		first := true
		for _, t := range s.Tables {
			for _, k := range t.Constraints {
				if !want(k.Kind) {
					continue
				}
				if first {
					section(title)
					first = false
				}
				fmt.Fprintf(&b, "ALTER TABLE %s ADD CONSTRAINT %s %s;\n", qualify(t.Schema, t.Name), quoteIdent(k.Name), k.Def)
			}
		}
	}
	if len(late) > 0 {
		section("Functions and procedures over table row types")
		for _, f := range late {
			b.WriteString(strings.TrimSuffix(strings.TrimSpace(f.Def), ";"))
			b.WriteString(";\n")
		}
	}
	writeCons("Constraints", func(k string) bool { return k != "f" })
	if len(s.Indexes) > 0 {
		section("Indexes")
		for _, ix := range s.Indexes {
			if isMatview(s, ix.Schema, ix.Table) {
				continue
			}
			// pg_get_indexdef says ON ONLY for a partitioned table's index;
			// without ONLY the index is built on every partition too.
			b.WriteString(strings.Replace(strings.TrimSuffix(ix.Def, ";"), " ON ONLY ", " ON ", 1) + ";\n")
		}
	}
	writeCons("Foreign keys", func(k string) bool { return k == "f" })
	if len(s.Views) > 0 {
		section("Views")
		for _, v := range orderViews(s.Views) {
			kind := "VIEW"
			if v.Materialized {
				kind = "MATERIALIZED VIEW"
			}
			with := ""
			if len(v.Options) > 0 {
				with = " WITH (" + strings.Join(v.Options, ", ") + ")"
			}
			fmt.Fprintf(&b, "CREATE %s %s%s AS\n%s;\n", kind, qualify(v.Schema, v.Name), with, strings.TrimSuffix(strings.TrimSpace(v.Def), ";"))
		}
		for _, ix := range s.Indexes {
			if isMatview(s, ix.Schema, ix.Table) {
				b.WriteString(strings.TrimSuffix(ix.Def, ";") + ";\n")
			}
		}
	}
	if len(s.Triggers) > 0 {
		section("Triggers")
		for _, t := range s.Triggers {
			b.WriteString(strings.TrimSuffix(t.Def, ";") + ";\n")
			if t.Disabled {
				fmt.Fprintf(&b, "ALTER TABLE %s DISABLE TRIGGER %s;\n", qualify(t.Schema, t.Table), quoteIdent(t.Name))
			}
		}
	}
	rls := false
	for _, t := range s.Tables {
		if t.RLS || t.ForceRLS {
			if !rls {
				section("Row-level security")
				rls = true
			}
			if t.RLS {
				fmt.Fprintf(&b, "ALTER TABLE %s ENABLE ROW LEVEL SECURITY;\n", qualify(t.Schema, t.Name))
			}
			if t.ForceRLS {
				fmt.Fprintf(&b, "ALTER TABLE %s FORCE ROW LEVEL SECURITY;\n", qualify(t.Schema, t.Name))
			}
		}
	}
	if len(s.Policies) > 0 {
		if !rls {
			section("Row-level security")
		}
		for _, p := range s.Policies {
			b.WriteString(policySQL(p))
		}
	}
	if len(s.Comments) > 0 {
		section("Comments")
		for _, c := range s.Comments {
			fmt.Fprintf(&b, "COMMENT ON %s %s IS %s;\n", c.Kind, c.Target, quoteLiteral(c.Text))
		}
	}
	return b.String()
}

func domainSQL(d Domain) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE DOMAIN %s AS %s", qualify(d.Schema, d.Name), d.Type)
	if d.Collation != "" {
		fmt.Fprintf(&b, " COLLATE %s", d.Collation)
	}
	if d.Default != "" {
		fmt.Fprintf(&b, " DEFAULT %s", d.Default)
	}
	if d.NotNull {
		b.WriteString(" NOT NULL")
	}
	for _, k := range d.Checks {
		fmt.Fprintf(&b, " CONSTRAINT %s %s", quoteIdent(k.Name), k.Def)
	}
	b.WriteString(";\n")
	return b.String()
}

// callsUserFunction: does the domain's default or a check call one of the
// schema's functions (so it must be created after them)?
func callsUserFunction(s *Schema, d Domain) bool {
	text := d.Default
	for _, k := range d.Checks {
		text += " " + k.Def
	}
	for _, f := range s.Functions {
		if strings.Contains(text, quoteIdent(f.Name)+"(") {
			return true
		}
	}
	return false
}

func isMatview(s *Schema, schema, name string) bool {
	for _, v := range s.Views {
		if v.Schema == schema && v.Name == name {
			return v.Materialized
		}
	}
	return false
}

func sequenceSQL(q Sequence) string {
	s := fmt.Sprintf("CREATE SEQUENCE %s AS %s START WITH %d INCREMENT BY %d MINVALUE %d MAXVALUE %d CACHE %d",
		qualify(q.Schema, q.Name), q.Type, q.Start, q.Increment, q.Min, q.Max, q.Cache)
	if q.Cycle {
		s += " CYCLE"
	}
	return s + ";\n"
}

func columnSQL(c Column) string {
	s := quoteIdent(c.Name) + " " + c.Type
	if c.Collation != "" {
		s += " COLLATE " + c.Collation
	}
	switch {
	case c.Identity != "":
		s += " GENERATED " + c.Identity + " AS IDENTITY"
		if c.IdentityOptions != "" {
			s += " (" + c.IdentityOptions + ")"
		}
	case c.Generated != "":
		s += " GENERATED ALWAYS AS (" + c.Generated + ") STORED"
	case c.Default != "":
		s += " DEFAULT " + c.Default
	}
	if c.NotNull {
		s += " NOT NULL"
	}
	return s
}

func tableSQL(t Table) string {
	var b strings.Builder
	b.WriteString("CREATE ")
	if t.Unlogged {
		b.WriteString("UNLOGGED ")
	}
	b.WriteString("TABLE " + qualify(t.Schema, t.Name))
	if t.PartitionOf != nil {
		b.WriteString(" PARTITION OF " + t.PartitionOf.String())
		if len(t.Columns) > 0 {
			// Local column properties of a partition (its own defaults).
			var parts []string
			for _, c := range t.Columns {
				p := quoteIdent(c.Name) + " WITH OPTIONS"
				if c.Default != "" {
					p += " DEFAULT " + c.Default
				}
				if c.NotNull {
					p += " NOT NULL"
				}
				parts = append(parts, p)
			}
			b.WriteString(" (\n    " + strings.Join(parts, ",\n    ") + "\n)")
		}
		b.WriteString(" " + t.Bound)
	} else {
		b.WriteString(" (")
		for i, c := range t.Columns {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n    " + columnSQL(c))
		}
		b.WriteString("\n)")
	}
	if t.PartitionBy != "" {
		b.WriteString(" PARTITION BY " + t.PartitionBy)
	}
	if len(t.Options) > 0 {
		b.WriteString(" WITH (" + strings.Join(t.Options, ", ") + ")")
	}
	b.WriteString(";\n")
	return b.String()
}

// orderTables puts every partition after its parent.
func orderTables(ts []Table) []Table {
	out := make([]Table, 0, len(ts))
	done := map[QName]bool{}
	var visit func(t Table)
	byName := map[QName]Table{}
	for _, t := range ts {
		byName[QName{t.Schema, t.Name}] = t
	}
	visit = func(t Table) {
		q := QName{t.Schema, t.Name}
		if done[q] {
			return
		}
		done[q] = true
		if t.PartitionOf != nil {
			if p, ok := byName[*t.PartitionOf]; ok {
				visit(p)
			}
		}
		out = append(out, t)
	}
	for _, t := range ts {
		visit(t)
	}
	return out
}

// orderViews sorts views so that each comes after the views it reads; ties
// keep name order.
func orderViews(vs []View) []View {
	byName := map[QName]View{}
	for _, v := range vs {
		byName[QName{v.Schema, v.Name}] = v
	}
	names := make([]QName, 0, len(vs))
	for q := range byName {
		names = append(names, q)
	}
	sort.Slice(names, func(i, j int) bool { return qless(names[i].Schema, names[i].Name, names[j].Schema, names[j].Name) })
	out := make([]View, 0, len(vs))
	state := map[QName]int{}
	var visit func(q QName)
	visit = func(q QName) {
		if state[q] != 0 {
			return // done, or a cycle (impossible in PostgreSQL)
		}
		state[q] = 1
		v := byName[q]
		for _, d := range v.DependsOn {
			if _, ok := byName[d]; ok {
				visit(d)
			}
		}
		state[q] = 2
		out = append(out, v)
	}
	for _, q := range names {
		visit(q)
	}
	return out
}

func policySQL(p Policy) string {
	s := fmt.Sprintf("CREATE POLICY %s ON %s", quoteIdent(p.Name), qualify(p.Schema, p.Table))
	if !p.Permissive {
		s += " AS RESTRICTIVE"
	}
	if p.Command != "" && p.Command != "ALL" {
		s += " FOR " + p.Command
	}
	if len(p.Roles) > 1 || len(p.Roles) == 1 && p.Roles[0] != "public" {
		s += " TO " + strings.Join(p.Roles, ", ")
	}
	if p.Using != "" {
		s += " USING (" + p.Using + ")"
	}
	if p.WithCheck != "" {
		s += " WITH CHECK (" + p.WithCheck + ")"
	}
	return s + ";\n"
}

// splitFunctions separates functions whose signature names a table's row
// type, or whose SQL-standard body (BEGIN ATOMIC, RETURN) is parsed at
// creation, from the rest: the first come after the tables, the others
// before them (so that column defaults may call them).
func splitFunctions(s *Schema) (early, late []Function) {
	tables := map[QName]bool{}
	for _, t := range s.Tables {
		tables[QName{t.Schema, t.Name}] = true
	}
	for _, v := range s.Views {
		tables[QName{v.Schema, v.Name}] = true
	}
	for _, f := range s.Functions {
		if functionNeedsTables(f.Def, tables) {
			late = append(late, f)
		} else {
			early = append(early, f)
		}
	}
	return early, late
}

func functionNeedsTables(def string, tables map[QName]bool) bool {
	tree, err := pg.Parse(def)
	if err != nil || len(tree.Stmts) != 1 {
		return true // unknown: after the tables is the safer place
	}
	fs := tree.Stmts[0].Stmt.GetCreateFunctionStmt()
	if fs == nil {
		return true
	}
	if fs.SqlBody != nil {
		return true
	}
	names := func(tn *pg.TypeName) bool {
		n := strs(tn.GetNames())
		switch len(n) {
		case 1:
			return tables[QName{DefaultSchema, n[0]}]
		case 2:
			return tables[QName{n[0], n[1]}]
		}
		return false
	}
	if names(fs.ReturnType) {
		return true
	}
	for _, p := range fs.Parameters {
		if names(p.GetFunctionParameter().GetArgType()) {
			return true
		}
	}
	return false
}
