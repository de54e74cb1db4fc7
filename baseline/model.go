// Package baseline reads a PostgreSQL schema into one model — from a live
// database (Inspect), or by replaying a folder of migration files without a
// database (Replay) — writes that model back as deterministic,
// dependency-ordered DDL (WriteSQL), compares two models (Diff), and records a
// baseline migration as applied in a migration tool's history table (Mark).
//
// The model never hides what it does not understand: every object that is
// neither modelled nor deliberately out of scope is listed in Schema.Skipped,
// and a comparison with skipped objects is never reported as "in sync".
package baseline

import (
	"fmt"
	"sort"
	"strings"
)

// Schema is the model of one database's schema. All names are unquoted;
// definitions (Def fields) are SQL text as PostgreSQL prints it for inspected
// schemas, or as pg_query deparses it for replayed ones. Comparison goes
// through Objects, which normalises that text.
type Schema struct {
	Extensions []Extension `json:"extensions,omitempty"`
	Namespaces []Namespace `json:"schemas,omitempty"`
	Enums      []Enum      `json:"enums,omitempty"`
	Domains    []Domain    `json:"domains,omitempty"`
	Composites []Composite `json:"composites,omitempty"`
	Sequences  []Sequence  `json:"sequences,omitempty"`
	Tables     []Table     `json:"tables,omitempty"`
	Indexes    []Index     `json:"indexes,omitempty"`
	Views      []View      `json:"views,omitempty"`
	Functions  []Function  `json:"functions,omitempty"`
	Triggers   []Trigger   `json:"triggers,omitempty"`
	Policies   []Policy    `json:"policies,omitempty"`
	Comments   []Comment   `json:"comments,omitempty"`

	// Skipped lists what the source holds but the model does not represent.
	Skipped []Skipped `json:"skipped,omitempty"`
	// Unmanaged lists objects left out by --include/--exclude.
	Unmanaged []string `json:"unmanaged,omitempty"`
}

// Extension is CREATE EXTENSION name WITH SCHEMA schema.
type Extension struct {
	Name   string `json:"name"`
	Schema string `json:"schema"`
}

// Namespace is a schema (CREATE SCHEMA).
type Namespace struct {
	Name string `json:"name"`
}

// Enum is CREATE TYPE ... AS ENUM.
type Enum struct {
	Schema string   `json:"schema"`
	Name   string   `json:"name"`
	Labels []string `json:"labels"`
}

// Domain is CREATE DOMAIN.
type Domain struct {
	Schema    string       `json:"schema"`
	Name      string       `json:"name"`
	Type      string       `json:"type"`
	Default   string       `json:"default,omitempty"`
	NotNull   bool         `json:"not_null,omitempty"`
	Collation string       `json:"collation,omitempty"`
	Checks    []Constraint `json:"checks,omitempty"`
}

// Composite is CREATE TYPE ... AS (...).
type Composite struct {
	Schema     string   `json:"schema"`
	Name       string   `json:"name"`
	Attributes []Column `json:"attributes"`
}

// Sequence is a free-standing or column-owned (serial) sequence. Identity
// columns' sequences are part of the column, not listed here.
type Sequence struct {
	Schema    string `json:"schema"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	Start     int64  `json:"start"`
	Increment int64  `json:"increment"`
	Min       int64  `json:"min"`
	Max       int64  `json:"max"`
	Cache     int64  `json:"cache"`
	Cycle     bool   `json:"cycle,omitempty"`
	// OwnedBy is "schema.table.column" (unquoted parts joined by dots is
	// ambiguous, so it is kept as three fields).
	OwnedBy *ColumnRef `json:"owned_by,omitempty"`
}

// ColumnRef names one column of one table.
type ColumnRef struct {
	Schema string `json:"schema"`
	Table  string `json:"table"`
	Column string `json:"column"`
}

// Table is an ordinary or partitioned table, or a partition.
type Table struct {
	Schema      string       `json:"schema"`
	Name        string       `json:"name"`
	Partitioned bool         `json:"partitioned,omitempty"`
	PartitionBy string       `json:"partition_by,omitempty"` // e.g. RANGE (created_at)
	PartitionOf *QName       `json:"partition_of,omitempty"`
	Bound       string       `json:"bound,omitempty"` // FOR VALUES ...
	Unlogged    bool         `json:"unlogged,omitempty"`
	Options     []string     `json:"options,omitempty"` // reloptions, e.g. fillfactor=70
	RLS         bool         `json:"rls,omitempty"`
	ForceRLS    bool         `json:"force_rls,omitempty"`
	Columns     []Column     `json:"columns,omitempty"`
	Constraints []Constraint `json:"constraints,omitempty"`
}

// QName is a schema-qualified name.
type QName struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
}

func (q QName) String() string { return qualify(q.Schema, q.Name) }

// Column is a table column or a composite type's attribute.
type Column struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	NotNull  bool   `json:"not_null,omitempty"`
	Default  string `json:"default,omitempty"`
	Identity string `json:"identity,omitempty"` // "ALWAYS" or "BY DEFAULT"
	// IdentityOptions are the identity sequence's options that differ from
	// the defaults, e.g. "START WITH 1000 INCREMENT BY 10".
	IdentityOptions string `json:"identity_options,omitempty"`
	Generated       string `json:"generated,omitempty"` // stored generation expression
	Collation       string `json:"collation,omitempty"` // qualified, quoted: pg_catalog."C"
}

// Constraint is a table or domain constraint. Kind is p (primary key), u
// (unique), c (check), x (exclusion) or f (foreign key); Def is what
// pg_get_constraintdef prints.
type Constraint struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	Def  string `json:"def"`
}

// Index is an index that does not back a constraint; Def is the full CREATE
// INDEX statement without a trailing semicolon.
type Index struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
	Table  string `json:"table"`
	Def    string `json:"def"`
}

// View is a view or materialized view; Def is its query.
type View struct {
	Schema       string   `json:"schema"`
	Name         string   `json:"name"`
	Materialized bool     `json:"materialized,omitempty"`
	Options      []string `json:"options,omitempty"`
	Def          string   `json:"def"`
	DependsOn    []QName  `json:"depends_on,omitempty"` // other views it reads
}

// Function is a function or procedure; Def is the full CREATE statement.
type Function struct {
	Schema   string `json:"schema"`
	Name     string `json:"name"`
	Args     string `json:"args"`      // identity arguments, e.g. "a integer, b text"
	ArgTypes string `json:"arg_types"` // argument types only, e.g. "integer, text"
	Kind     string `json:"kind"`      // FUNCTION or PROCEDURE
	Def      string `json:"def"`
}

// Trigger is CREATE TRIGGER; Def is the full statement.
type Trigger struct {
	Schema   string `json:"schema"`
	Table    string `json:"table"`
	Name     string `json:"name"`
	Def      string `json:"def"`
	Disabled bool   `json:"disabled,omitempty"`
}

// Policy is a row-level security policy.
type Policy struct {
	Schema     string   `json:"schema"`
	Table      string   `json:"table"`
	Name       string   `json:"name"`
	Permissive bool     `json:"permissive"`
	Command    string   `json:"command"` // ALL, SELECT, INSERT, UPDATE, DELETE
	Roles      []string `json:"roles"`
	Using      string   `json:"using,omitempty"`
	WithCheck  string   `json:"with_check,omitempty"`
}

// Comment is COMMENT ON Kind Target IS Text. Target is the SQL object
// reference as written after the kind (quoted, qualified), e.g.
// `public.users`, `public.users.email`, `users_pkey ON public.users`,
// `public.f(integer)`.
type Comment struct {
	Kind   string `json:"kind"`
	Target string `json:"target"`
	Text   string `json:"text"`
}

// Skipped is an object the model does not represent.
type Skipped struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
	Pos    string `json:"pos,omitempty"` // file:line for replay
}

func (s Skipped) String() string {
	out := s.Kind + " " + s.Name + ": " + s.Reason
	if s.Pos != "" {
		out = s.Pos + ": " + out
	}
	return out
}

// Sort puts every list in a canonical order so that equal schemas are equal
// values and print the same bytes.
func (s *Schema) Sort() {
	sort.Slice(s.Extensions, func(i, j int) bool { return s.Extensions[i].Name < s.Extensions[j].Name })
	sort.Slice(s.Namespaces, func(i, j int) bool { return s.Namespaces[i].Name < s.Namespaces[j].Name })
	sort.Slice(s.Enums, func(i, j int) bool {
		return qless(s.Enums[i].Schema, s.Enums[i].Name, s.Enums[j].Schema, s.Enums[j].Name)
	})
	sort.Slice(s.Domains, func(i, j int) bool {
		return qless(s.Domains[i].Schema, s.Domains[i].Name, s.Domains[j].Schema, s.Domains[j].Name)
	})
	for i := range s.Domains {
		sortConstraints(s.Domains[i].Checks)
	}
	sort.Slice(s.Composites, func(i, j int) bool {
		return qless(s.Composites[i].Schema, s.Composites[i].Name, s.Composites[j].Schema, s.Composites[j].Name)
	})
	sort.Slice(s.Sequences, func(i, j int) bool {
		return qless(s.Sequences[i].Schema, s.Sequences[i].Name, s.Sequences[j].Schema, s.Sequences[j].Name)
	})
	sort.Slice(s.Tables, func(i, j int) bool {
		return qless(s.Tables[i].Schema, s.Tables[i].Name, s.Tables[j].Schema, s.Tables[j].Name)
	})
	for i := range s.Tables {
		sortConstraints(s.Tables[i].Constraints)
		sort.Strings(s.Tables[i].Options)
	}
	sort.Slice(s.Indexes, func(i, j int) bool {
		return qless(s.Indexes[i].Schema, s.Indexes[i].Name, s.Indexes[j].Schema, s.Indexes[j].Name)
	})
	sort.Slice(s.Views, func(i, j int) bool {
		return qless(s.Views[i].Schema, s.Views[i].Name, s.Views[j].Schema, s.Views[j].Name)
	})
	for i := range s.Views {
		sort.Strings(s.Views[i].Options)
		d := s.Views[i].DependsOn
		sort.Slice(d, func(a, b int) bool { return qless(d[a].Schema, d[a].Name, d[b].Schema, d[b].Name) })
	}
	sort.Slice(s.Functions, func(i, j int) bool {
		a, b := s.Functions[i], s.Functions[j]
		if a.Schema != b.Schema {
			return a.Schema < b.Schema
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Args < b.Args
	})
	sort.Slice(s.Triggers, func(i, j int) bool {
		a, b := s.Triggers[i], s.Triggers[j]
		return a.Schema+"\x00"+a.Table+"\x00"+a.Name < b.Schema+"\x00"+b.Table+"\x00"+b.Name
	})
	sort.Slice(s.Policies, func(i, j int) bool {
		a, b := s.Policies[i], s.Policies[j]
		return a.Schema+"\x00"+a.Table+"\x00"+a.Name < b.Schema+"\x00"+b.Table+"\x00"+b.Name
	})
	for i := range s.Policies {
		sort.Strings(s.Policies[i].Roles)
	}
	sort.Slice(s.Comments, func(i, j int) bool {
		a, b := s.Comments[i], s.Comments[j]
		return a.Kind+"\x00"+a.Target < b.Kind+"\x00"+b.Target
	})
	sort.Slice(s.Skipped, func(i, j int) bool {
		a, b := s.Skipped[i], s.Skipped[j]
		return a.Pos+"\x00"+a.Kind+"\x00"+a.Name < b.Pos+"\x00"+b.Kind+"\x00"+b.Name
	})
	sort.Strings(s.Unmanaged)
}

func sortConstraints(cs []Constraint) {
	sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
}

func qless(s1, n1, s2, n2 string) bool {
	if s1 != s2 {
		return s1 < s2
	}
	return n1 < n2
}

// Counts returns the number of objects of each kind, keyed by kind.
func (s *Schema) Counts() map[string]int {
	m := map[string]int{
		"extension": len(s.Extensions), "schema": len(s.Namespaces), "enum": len(s.Enums),
		"domain": len(s.Domains), "composite": len(s.Composites), "sequence": len(s.Sequences),
		"index": len(s.Indexes), "function": len(s.Functions), "trigger": len(s.Triggers),
		"policy": len(s.Policies), "comment": len(s.Comments),
	}
	for _, t := range s.Tables {
		m["table"]++
		m["column"] += len(t.Columns)
		m["constraint"] += len(t.Constraints)
	}
	for _, v := range s.Views {
		if v.Materialized {
			m["materialized view"]++
		} else {
			m["view"]++
		}
	}
	for k, v := range m {
		if v == 0 {
			delete(m, k)
		}
	}
	return m
}

// identityOptions prints the options of an identity column's sequence that
// differ from the defaults for its type.
func identityOptions(q Sequence) string {
	d := Sequence{Type: q.Type, Increment: 1, Cache: 1}
	if q.Increment != 0 {
		d.Increment = q.Increment
	}
	seqDefaults(&d, false, false, false)
	var parts []string
	if q.Start != d.Start {
		parts = append(parts, fmt.Sprintf("START WITH %d", q.Start))
	}
	if q.Increment != 1 {
		parts = append(parts, fmt.Sprintf("INCREMENT BY %d", q.Increment))
	}
	if q.Min != d.Min {
		parts = append(parts, fmt.Sprintf("MINVALUE %d", q.Min))
	}
	if q.Max != d.Max {
		parts = append(parts, fmt.Sprintf("MAXVALUE %d", q.Max))
	}
	if q.Cache != 1 {
		parts = append(parts, fmt.Sprintf("CACHE %d", q.Cache))
	}
	if q.Cycle {
		parts = append(parts, "CYCLE")
	}
	return strings.Join(parts, " ")
}

func (s *Schema) table(schema, name string) *Table {
	for i := range s.Tables {
		if s.Tables[i].Schema == schema && s.Tables[i].Name == name {
			return &s.Tables[i]
		}
	}
	return nil
}

func (t *Table) column(name string) *Column {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

// quoteIdent quotes an identifier when PostgreSQL would need it to.
func quoteIdent(s string) string {
	if s == "" {
		return `""`
	}
	plain := true
	for i, r := range s {
		lower := r >= 'a' && r <= 'z' || r == '_'
		digit := i > 0 && (r >= '0' && r <= '9' || r == '$')
		if !lower && !digit {
			plain = false
			break
		}
	}
	if plain && !reserved[s] {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func qualify(schema, name string) string {
	if schema == "" {
		return quoteIdent(name)
	}
	return quoteIdent(schema) + "." + quoteIdent(name)
}

func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// reserved holds the keywords that cannot be used as bare column or table
// names (PostgreSQL's reserved and type/function-name keywords).
var reserved = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`all analyse analyze and any array as asc asymmetric authorization binary both case cast
		check collate collation column concurrently constraint create cross current_catalog current_date current_role
		current_schema current_time current_timestamp current_user default deferrable desc distinct do else end except
		false fetch for foreign freeze from full grant group having ilike in initially inner intersect into is isnull join
		lateral leading left like limit localtime localtimestamp natural not notnull null offset on only or order outer
		overlaps placing primary references returning right select session_user similar some symmetric system_user table tablesample then to
		trailing true union unique user using variadic verbose when where window with
		between bigint bit boolean char character coalesce dec decimal exists extract float greatest grouping inout int
		integer interval least national nchar none normalize nullif numeric out overlay position precision real row
		setof smallint substring time timestamp treat trim values varchar xmlattributes xmlconcat xmlelement xmlexists
		xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable`) {
		m[w] = true
	}
	return m
}()
