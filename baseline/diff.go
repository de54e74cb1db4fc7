package baseline

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Object is one comparable unit of a schema: a table, a column, a
// constraint, an index, a view, ... Key is its normalised definition.
type Object struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	Key  string `json:"key"`

	disp   string   // readable definition for reports ("" = Key)
	col    *Column  // for columns: the column itself
	rank   int      // creation order of the kind
	depth  int      // partition depth, so that partitions follow their parent
	create []string // SQL that creates it
	drop   []string // SQL that drops it
	alter  func(to Object) []string
	parent string // owning table, for columns and constraints
}

// kinds in creation order.
var kindRank = map[string]int{
	"extension": 0, "schema": 1, "enum": 2, "domain": 3, "composite": 4, "function": 5, "sequence": 6,
	"table": 7, "column": 8, "sequence owner": 9, "constraint": 10, "index": 11, "foreign key": 12,
	"view": 13, "materialized view": 14, "trigger": 15, "policy": 16, "comment": 17,
}

// Objects flattens the schema into comparable objects, sorted by kind and
// name.
func (s *Schema) Objects() []Object {
	var out []Object
	add := func(o Object) {
		o.rank = kindRank[o.Kind]
		out = append(out, o)
	}
	for _, e := range s.Extensions {
		add(Object{Kind: "extension", Name: e.Name, Key: "schema " + e.Schema,
			create: []string{fmt.Sprintf("CREATE EXTENSION IF NOT EXISTS %s WITH SCHEMA %s;", quoteIdent(e.Name), quoteIdent(e.Schema))},
			drop:   []string{"DROP EXTENSION " + quoteIdent(e.Name) + ";"}})
	}
	for _, n := range s.Namespaces {
		add(Object{Kind: "schema", Name: quoteIdent(n.Name),
			create: []string{"CREATE SCHEMA IF NOT EXISTS " + quoteIdent(n.Name) + ";"},
			drop:   []string{"DROP SCHEMA " + quoteIdent(n.Name) + ";"}})
	}
	for _, e := range s.Enums {
		name := qualify(e.Schema, e.Name)
		labels := append([]string(nil), e.Labels...)
		sub := &Schema{Enums: []Enum{e}}
		add(Object{Kind: "enum", Name: name, Key: strings.Join(labels, ", "),
			create: sqlLines(WriteSQLSection(sub)), drop: []string{"DROP TYPE " + name + ";"},
			alter: func(to Object) []string {
				// Appending labels is the only safe change.
				if strings.HasPrefix(to.Key, strings.Join(labels, ", ")) {
					var stmts []string
					for _, l := range strings.Split(strings.TrimPrefix(strings.TrimPrefix(to.Key, strings.Join(labels, ", ")), ", "), ", ") {
						if l != "" {
							stmts = append(stmts, fmt.Sprintf("ALTER TYPE %s ADD VALUE %s;", name, quoteLiteral(l)))
						}
					}
					return stmts
				}
				return []string{"-- enum " + name + " changed in a way ALTER TYPE cannot express; recreate it by hand"}
			}})
	}
	for _, d := range s.Domains {
		name := qualify(d.Schema, d.Name)
		key := normalize(nType, d.Type) + " default " + normalize(nExpr, d.Default) + " notnull " + strconv.FormatBool(d.NotNull) + " collate " + d.Collation
		for _, c := range d.Checks {
			key += " constraint " + c.Name + " " + normalize(nConstraint, c.Def)
		}
		add(Object{Kind: "domain", Name: name, Key: key,
			create: sqlLines(WriteSQLSection(&Schema{Domains: []Domain{d}})), drop: []string{"DROP DOMAIN " + name + ";"}})
	}
	for _, c := range s.Composites {
		name := qualify(c.Schema, c.Name)
		var parts []string
		for _, a := range c.Attributes {
			parts = append(parts, quoteIdent(a.Name)+" "+normalize(nType, a.Type)+" "+collKey(a.Collation))
		}
		add(Object{Kind: "composite", Name: name, Key: strings.Join(parts, ", "),
			create: sqlLines(WriteSQLSection(&Schema{Composites: []Composite{c}})), drop: []string{"DROP TYPE " + name + ";"}})
	}
	for _, f := range s.Functions {
		name := qualify(f.Schema, f.Name) + "(" + normArgTypes(f.ArgTypes) + ")"
		add(Object{Kind: "function", Name: name, Key: normalize(nStmt, f.Def),
			create: []string{strings.TrimSuffix(strings.TrimSpace(f.Def), ";") + ";"},
			drop:   []string{"DROP " + f.Kind + " " + name + ";"}})
	}
	for _, q := range s.Sequences {
		name := qualify(q.Schema, q.Name)
		key := fmt.Sprintf("%s start %d increment %d min %d max %d cache %d cycle %t", normalize(nType, q.Type), q.Start, q.Increment, q.Min, q.Max, q.Cache, q.Cycle)
		q := q
		add(Object{Kind: "sequence", Name: name, Key: key,
			create: []string{strings.TrimSpace(sequenceSQL(q))}, drop: []string{"DROP SEQUENCE " + name + ";"},
			alter: func(Object) []string {
				return nil // filled below by the target's own statement
			}})
		if q.OwnedBy != nil {
			own := qualify(q.OwnedBy.Schema, q.OwnedBy.Table) + "." + quoteIdent(q.OwnedBy.Column)
			add(Object{Kind: "sequence owner", Name: name, Key: own,
				create: []string{"ALTER SEQUENCE " + name + " OWNED BY " + own + ";"},
				drop:   []string{"ALTER SEQUENCE " + name + " OWNED BY NONE;"}})
		}
	}
	for _, t := range s.Tables {
		tname := qualify(t.Schema, t.Name)
		key := fmt.Sprintf("partitioned %t by %s unlogged %t options %v rls %t force %t", t.Partitioned, normPartKey(t.PartitionBy), t.Unlogged, t.Options, t.RLS, t.ForceRLS)
		if t.PartitionOf != nil {
			key += " partition of " + normName(*t.PartitionOf) + " " + normBound(t.Bound)
		}
		bare := t
		bare.Constraints = nil
		t := t
		parent := ""
		if t.PartitionOf != nil {
			parent = t.PartitionOf.String() // a partition goes with its parent
		}
		depth := 0
		for p := t.PartitionOf; p != nil && depth < 32; depth++ {
			pt := s.table(p.Schema, p.Name)
			if pt == nil {
				depth++
				break
			}
			p = pt.PartitionOf
		}
		add(Object{Kind: "table", Name: tname, Key: key, parent: parent, depth: depth,
			create: sqlLines(tableSQL(bare) + rlsSQL(t)), drop: []string{"DROP TABLE " + tname + ";"},
			alter: func(to Object) []string {
				return []string{"-- table " + tname + " changed (" + key + " -> " + to.Key + "); partitioning and storage options need a rebuild"}
			}})
		for _, c := range t.Columns {
			cname := tname + "." + quoteIdent(c.Name)
			c := c
			add(Object{Kind: "column", Name: cname, Key: columnKey(c), parent: tname, col: &c, disp: strings.TrimPrefix(columnSQL(c), quoteIdent(c.Name)+" "),
				create: []string{"ALTER TABLE " + tname + " ADD COLUMN " + columnSQL(c) + ";"},
				drop:   []string{"ALTER TABLE " + tname + " DROP COLUMN " + quoteIdent(c.Name) + ";"}})
		}
		for _, k := range t.Constraints {
			kind := "constraint"
			if k.Kind == "f" {
				kind = "foreign key"
			}
			add(Object{Kind: kind, Name: quoteIdent(k.Name) + " on " + tname, Key: normalize(nConstraint, k.Def), parent: tname,
				create: []string{fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s;", tname, quoteIdent(k.Name), k.Def)},
				drop:   []string{fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s;", tname, quoteIdent(k.Name))}})
		}
	}
	for _, ix := range s.Indexes {
		name := qualify(ix.Schema, ix.Name)
		add(Object{Kind: "index", Name: name, Key: normalize(nStmt, ix.Def), disp: ix.Def,
			create: []string{strings.Replace(strings.TrimSuffix(ix.Def, ";"), " ON ONLY ", " ON ", 1) + ";"},
			drop:   []string{"DROP INDEX " + name + ";"}})
	}
	for _, v := range orderViews(s.Views) {
		name := qualify(v.Schema, v.Name)
		kind := "view"
		if v.Materialized {
			kind = "materialized view"
		}
		add(Object{Kind: kind, Name: name, Key: fmt.Sprintf("options %v ", v.Options) + normalize(nQuery, strings.TrimSuffix(strings.TrimSpace(v.Def), ";")),
			create: sqlLines(WriteSQLSection(&Schema{Views: []View{v}})),
			drop:   []string{"DROP " + strings.ToUpper(kind) + " " + name + ";"}})
	}
	for _, t := range s.Triggers {
		name := quoteIdent(t.Name) + " on " + qualify(t.Schema, t.Table)
		st := []string{strings.TrimSuffix(t.Def, ";") + ";"}
		if t.Disabled {
			st = append(st, fmt.Sprintf("ALTER TABLE %s DISABLE TRIGGER %s;", qualify(t.Schema, t.Table), quoteIdent(t.Name)))
		}
		add(Object{Kind: "trigger", Name: name, Key: normalize(nStmt, t.Def) + fmt.Sprintf(" disabled %t", t.Disabled),
			create: st, drop: []string{fmt.Sprintf("DROP TRIGGER %s ON %s;", quoteIdent(t.Name), qualify(t.Schema, t.Table))}})
	}
	for _, p := range s.Policies {
		name := quoteIdent(p.Name) + " on " + qualify(p.Schema, p.Table)
		key := fmt.Sprintf("permissive %t for %s to %v using %s check %s", p.Permissive, p.Command, p.Roles, normalize(nExpr, p.Using), normalize(nExpr, p.WithCheck))
		add(Object{Kind: "policy", Name: name, Key: key,
			create: []string{strings.TrimSpace(policySQL(p))},
			drop:   []string{fmt.Sprintf("DROP POLICY %s ON %s;", quoteIdent(p.Name), qualify(p.Schema, p.Table))}})
	}
	for _, c := range s.Comments {
		c := c
		add(Object{Kind: "comment", Name: "on " + strings.ToLower(c.Kind) + " " + normTarget(c.Target), Key: c.Text,
			create: []string{fmt.Sprintf("COMMENT ON %s %s IS %s;", c.Kind, c.Target, quoteLiteral(c.Text))},
			drop:   []string{fmt.Sprintf("COMMENT ON %s %s IS NULL;", c.Kind, c.Target)}})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].rank != out[j].rank {
			return out[i].rank < out[j].rank
		}
		if out[i].depth != out[j].depth {
			return out[i].depth < out[j].depth
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func normArgTypes(s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	parts := strings.Split(s, ", ")
	for i, p := range parts {
		parts[i] = normalize(nType, p)
	}
	return strings.Join(parts, ", ")
}

func collKey(c string) string { return strings.TrimPrefix(c, "pg_catalog.") }

func columnKey(c Column) string {
	return fmt.Sprintf("%s notnull %t default %s identity %s generated %s collate %s",
		normalize(nType, c.Type), c.NotNull, normalize(nExpr, c.Default), strings.TrimSpace(c.Identity+" "+c.IdentityOptions), normalize(nExpr, c.Generated), collKey(c.Collation))
}

func normName(q QName) string {
	if q.Schema == DefaultSchema {
		return quoteIdent(q.Name)
	}
	return q.String()
}

// normTarget drops default-schema qualification from a comment target and
// normalises function argument lists.
func normTarget(t string) string {
	t = strings.ReplaceAll(t, DefaultSchema+".", "")
	if i := strings.Index(t, "("); i >= 0 && strings.HasSuffix(t, ")") {
		t = t[:i] + "(" + normArgTypes(t[i+1:len(t)-1]) + ")"
	}
	return t
}

func normBound(b string) string {
	n := normalize(nStmt, "CREATE TABLE x PARTITION OF y "+b)
	return strings.TrimPrefix(n, "CREATE TABLE x PARTITION OF y ")
}

func normPartKey(pk string) string {
	if pk == "" {
		return ""
	}
	return normalize(nStmt, "CREATE TABLE x () PARTITION BY "+pk)
}

func rlsSQL(t Table) string {
	var b strings.Builder
	if t.RLS {
		fmt.Fprintf(&b, "ALTER TABLE %s ENABLE ROW LEVEL SECURITY;\n", qualify(t.Schema, t.Name))
	}
	if t.ForceRLS {
		fmt.Fprintf(&b, "ALTER TABLE %s FORCE ROW LEVEL SECURITY;\n", qualify(t.Schema, t.Name))
	}
	return b.String()
}

// WriteSQLSection is WriteSQL without the header, for a part of a schema.
func WriteSQLSection(s *Schema) string {
	out := WriteSQL(s)
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "-- ") || strings.HasPrefix(l, "SET check_function_bodies") || l == "" {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "\n")
}

func sqlLines(s string) []string {
	// Statements in s end with ";\n"; multi-line statements stay whole.
	var out []string
	for _, st := range strings.SplitAfter(strings.TrimSpace(s), ";\n") {
		if st = strings.TrimSpace(st); st != "" {
			out = append(out, st)
		}
	}
	return out
}

// Change is one difference between two schemas.
type Change struct {
	Op   string   `json:"op"` // "add" (only in the second), "drop" (only in the first), "change"
	Kind string   `json:"kind"`
	Name string   `json:"name"`
	From string   `json:"from,omitempty"`
	To   string   `json:"to,omitempty"`
	SQL  []string `json:"sql"`
}

// Difference is the result of comparing two schemas.
type Difference struct {
	Changes []Change `json:"changes"`
	// Skipped lists, per side, what could not be compared.
	SkippedFrom []Skipped `json:"skipped_from,omitempty"`
	SkippedTo   []Skipped `json:"skipped_to,omitempty"`
}

// Equal reports whether the two schemas have no compared difference.
func (d *Difference) Equal() bool { return len(d.Changes) == 0 }

// Complete reports whether nothing was skipped on either side.
func (d *Difference) Complete() bool { return len(d.SkippedFrom)+len(d.SkippedTo) == 0 }

// Diff compares from with to and says what it takes to go from the first to
// the second.
func Diff(from, to *Schema) *Difference {
	a, b := from.Objects(), to.Objects()
	type k struct{ kind, name string }
	am := map[k]Object{}
	for _, o := range a {
		am[k{o.Kind, o.Name}] = o
	}
	bm := map[k]Object{}
	for _, o := range b {
		bm[k{o.Kind, o.Name}] = o
	}
	d := &Difference{SkippedFrom: from.Skipped, SkippedTo: to.Skipped}
	var drops, adds []Object
	type ranked struct {
		rank int
		c    Change
	}
	var later []ranked // changes and additions, in creation order
	droppedTables := map[string]bool{}
	addedTables := map[string]bool{}
	for _, o := range a {
		n, ok := bm[k{o.Kind, o.Name}]
		switch {
		case !ok:
			drops = append(drops, o)
			if o.Kind == "table" {
				droppedTables[o.Name] = true
			}
		case n.Key != o.Key:
			c := Change{Op: "change", Kind: o.Kind, Name: o.Name, From: o.display(), To: n.display()}
			c.SQL = alterSQL(o, n)
			later = append(later, ranked{o.rank, c})
		}
	}
	for _, o := range b {
		if _, ok := am[k{o.Kind, o.Name}]; !ok {
			adds = append(adds, o)
			if o.Kind == "table" {
				addedTables[o.Name] = true
			}
		}
	}
	// Drops in reverse creation order; columns and constraints of dropped
	// tables go with the table, those of added tables come with it.
	sort.SliceStable(drops, func(i, j int) bool {
		if drops[i].rank != drops[j].rank {
			return drops[i].rank > drops[j].rank
		}
		return drops[i].depth > drops[j].depth
	})
	for _, o := range drops {
		c := Change{Op: "drop", Kind: o.Kind, Name: o.Name, From: o.display()}
		if !droppedTables[o.parent] {
			c.SQL = o.drop
		}
		d.Changes = append(d.Changes, c)
	}
	for _, o := range adds {
		c := Change{Op: "add", Kind: o.Kind, Name: o.Name, To: o.display(), SQL: o.create}
		if o.Kind == "column" && addedTables[o.parent] {
			c.SQL = nil
		}
		later = append(later, ranked{o.rank, c})
	}
	// Changes and additions interleaved by kind, so that a column can
	// change to a type added in the same step.
	sort.SliceStable(later, func(i, j int) bool { return later[i].rank < later[j].rank }) // stable: depth order kept
	for _, l := range later {
		d.Changes = append(d.Changes, l.c)
	}
	return d
}

func (o Object) display() string {
	if o.disp != "" {
		return o.disp
	}
	return o.Key
}

func alterSQL(from, to Object) []string {
	switch from.Kind {
	case "column":
		return alterColumn(from, to)
	case "enum", "table":
		return from.alter(to)
	case "sequence":
		// CREATE SEQUENCE ... -> ALTER SEQUENCE ...
		var out []string
		for _, s := range to.create {
			s = strings.Replace(s, "CREATE SEQUENCE", "ALTER SEQUENCE", 1)
			s = strings.Replace(s, " START WITH ", " START WITH ", 1)
			if !strings.Contains(s, " CYCLE") {
				s = strings.TrimSuffix(s, ";") + " NO CYCLE;"
			}
			out = append(out, s)
		}
		return out
	case "function", "view":
		if from.Kind == "function" {
			// CREATE OR REPLACE keeps dependent triggers and views; it
			// fails (and says so) only when the result type changes.
			return to.create
		}
		var out []string
		for _, s := range to.create {
			out = append(out, strings.Replace(s, "CREATE VIEW", "CREATE OR REPLACE VIEW", 1))
		}
		return out
	case "comment":
		return to.create
	}
	return append(append([]string(nil), from.drop...), to.create...)
}

// alterColumn turns a column change into ALTER COLUMN statements.
func alterColumn(from, to Object) []string {
	a, b := from.col, to.col
	pf, pt := splitColumnKey(from.Key), splitColumnKey(to.Key)
	pre := "ALTER TABLE " + to.parent + " ALTER COLUMN " + quoteIdent(b.Name) + " "
	if pf["generated"] != pt["generated"] || pf["identity"] != pt["identity"] {
		return append(append([]string(nil), from.drop...), to.create...)
	}
	var out []string
	if pf["type"] != pt["type"] || pf["collate"] != pt["collate"] {
		s := pre + "TYPE " + b.Type
		if b.Collation != "" {
			s += " COLLATE " + b.Collation
		}
		out = append(out, s+";")
	}
	if pf["default"] != pt["default"] {
		if b.Default == "" {
			out = append(out, pre+"DROP DEFAULT;")
		} else {
			out = append(out, pre+"SET DEFAULT "+b.Default+";")
		}
	}
	if a.NotNull != b.NotNull {
		if b.NotNull {
			out = append(out, pre+"SET NOT NULL;")
		} else {
			out = append(out, pre+"DROP NOT NULL;")
		}
	}
	return out
}

func splitColumnKey(key string) map[string]string {
	m := map[string]string{}
	rest := key
	fields := []string{"notnull", "default", "identity", "generated", "collate"}
	i := strings.Index(rest, " notnull ")
	m["type"] = rest[:i]
	rest = rest[i+1:]
	for n, f := range fields {
		rest = strings.TrimPrefix(rest, f+" ")
		end := len(rest)
		if n+1 < len(fields) {
			end = strings.Index(rest, " "+fields[n+1]+" ")
			if end < 0 {
				end = len(rest)
			}
		}
		m[f] = strings.TrimSpace(rest[:end])
		if end < len(rest) {
			rest = rest[end+1:]
		} else {
			rest = ""
		}
	}
	return m
}

// Text is the readable report.
func (d *Difference) Text() string {
	var b strings.Builder
	for _, c := range d.Changes {
		switch c.Op {
		case "add":
			fmt.Fprintf(&b, "+ %s %s\n", c.Kind, c.Name)
		case "drop":
			fmt.Fprintf(&b, "- %s %s\n", c.Kind, c.Name)
		default:
			fmt.Fprintf(&b, "~ %s %s\n    from: %s\n    to:   %s\n", c.Kind, c.Name, c.From, c.To)
		}
	}
	for _, s := range d.SkippedFrom {
		fmt.Fprintf(&b, "? skipped in first: %s\n", s)
	}
	for _, s := range d.SkippedTo {
		fmt.Fprintf(&b, "? skipped in second: %s\n", s)
	}
	return b.String()
}

// SQL is the script that takes the first schema to the second.
func (d *Difference) SQL() string {
	var b strings.Builder
	for _, c := range d.Changes {
		for _, s := range c.SQL {
			b.WriteString(s)
			b.WriteString("\n")
		}
	}
	return b.String()
}
