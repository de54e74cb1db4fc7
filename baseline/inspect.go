package baseline

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// TxBeginner is what Inspect needs of a connection: *pgx.Conn and
// *pgxpool.Pool both satisfy it.
type TxBeginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// userSchema is the SQL condition that keeps a namespace (alias n) in scope:
// not a system schema, not owned by an extension.
const userSchema = `n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
 AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_namespace'::regclass AND e.objid = n.oid AND e.deptype = 'e')`

// notExt is the condition that the object (class regclass, oid expression)
// is not a member of an extension.
func notExt(class, oid string) string {
	return fmt.Sprintf("NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '%s'::regclass AND e.objid = %s AND e.deptype = 'e')", class, oid)
}

// Inspect reads the schema of the database behind db, in one read-only,
// repeatable-read transaction with an empty search_path (so every name
// PostgreSQL prints is schema-qualified, as pg_dump does).
func Inspect(ctx context.Context, db TxBeginner) (*Schema, error) {
	tx, err := db.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return nil, fmt.Errorf("inspect: begin read-only transaction: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only; rollback is the only end
	if _, err := tx.Exec(ctx, "SET LOCAL search_path = ''"); err != nil {
		return nil, fmt.Errorf("inspect: set search_path: %w", err)
	}
	in := &inspector{tx: tx, s: &Schema{}, rels: map[uint32]*relInfo{}, identity: map[ColumnRef]string{}}
	steps := []struct {
		name string
		f    func(context.Context) error
	}{
		{"extensions", in.extensions},
		{"schemas", in.namespaces},
		{"types", in.types},
		{"relations", in.relations},
		{"columns", in.columns},
		{"constraints", in.constraints},
		{"indexes", in.indexes},
		{"sequences", in.sequences},
		{"views", in.viewDeps},
		{"functions", in.functions},
		{"triggers", in.triggers},
		{"policies", in.policies},
		{"unsupported objects", in.unsupported},
	}
	for _, st := range steps {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("inspect: %w", err)
		}
		if err := st.f(ctx); err != nil {
			return nil, fmt.Errorf("inspect %s: %w", st.name, err)
		}
	}
	in.finish()
	in.s.Sort()
	return in.s, nil
}

type relInfo struct {
	schema, name string
	kind         byte // r p v m c
	table        *int // index into s.Tables
	view         *int
	composite    *int
}

type inspector struct {
	tx       pgx.Tx
	s        *Schema
	rels     map[uint32]*relInfo
	identity map[ColumnRef]string // identity column -> its sequence options
}

func (in *inspector) comment(kind, target string, text *string) {
	if text != nil {
		in.s.Comments = append(in.s.Comments, Comment{Kind: kind, Target: target, Text: *text})
	}
}

func (in *inspector) extensions(ctx context.Context) error {
	rows, err := in.tx.Query(ctx, `SELECT e.extname, n.nspname
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql'`)
	if err != nil {
		return err
	}
	var name, schema string
	_, err = pgx.ForEachRow(rows, []any{&name, &schema}, func() error {
		// The extension's comment comes with the extension: not recorded.
		in.s.Extensions = append(in.s.Extensions, Extension{Name: name, Schema: schema})
		return nil
	})
	return err
}

func (in *inspector) namespaces(ctx context.Context) error {
	rows, err := in.tx.Query(ctx, `SELECT n.nspname, (SELECT d.description FROM pg_description d WHERE d.objoid = n.oid AND d.classoid = 'pg_namespace'::regclass AND d.objsubid = 0) FROM pg_namespace n WHERE `+userSchema)
	if err != nil {
		return err
	}
	var name string
	var c *string
	_, err = pgx.ForEachRow(rows, []any{&name, &c}, func() error {
		in.s.Namespaces = append(in.s.Namespaces, Namespace{Name: name})
		if name != "public" || c == nil || *c != "standard public schema" {
			in.comment("SCHEMA", quoteIdent(name), c)
		}
		return nil
	})
	return err
}

func (in *inspector) types(ctx context.Context) error {
	rows, err := in.tx.Query(ctx, `SELECT t.oid, n.nspname, t.typname, t.typtype,
  CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
  t.typnotnull, t.typdefault,
  CASE WHEN t.typcollation <> 0 AND t.typcollation <> (SELECT b.typcollation FROM pg_type b WHERE b.oid = t.typbasetype)
       THEN (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = t.typcollation) END,
  CASE WHEN t.typtype = 'e' THEN ARRAY(SELECT enumlabel::text FROM pg_enum WHERE enumtypid = t.oid ORDER BY enumsortorder) END,
  t.typrelid, (SELECT d.description FROM pg_description d WHERE d.objoid = t.oid AND d.classoid = 'pg_type'::regclass AND d.objsubid = 0), format_type(t.oid, NULL)
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE `+userSchema+` AND `+notExt("pg_type", "t.oid")+`
  AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
  AND NOT (t.typcategory = 'A' AND t.typelem <> 0 AND EXISTS (SELECT 1 FROM pg_type el WHERE el.oid = t.typelem AND el.typarray = t.oid))`)
	if err != nil {
		return err
	}
	var (
		oid, relid          uint32
		schema, name, typ   string
		base, def, coll, cm *string
		notNull             bool
		labels              []string
		formatted           string
	)
	_, err = pgx.ForEachRow(rows, []any{&oid, &schema, &name, &typ, &base, &notNull, &def, &coll, &labels, &relid, &cm, &formatted}, func() error {
		switch typ {
		case "e":
			in.s.Enums = append(in.s.Enums, Enum{Schema: schema, Name: name, Labels: labels})
		case "d":
			d := Domain{Schema: schema, Name: name, Type: deref(base), NotNull: notNull, Default: deref(def), Collation: deref(coll)}
			in.s.Domains = append(in.s.Domains, d)
			in.comment("DOMAIN", formatted, cm)
			return nil
		case "c":
			in.s.Composites = append(in.s.Composites, Composite{Schema: schema, Name: name})
			i := len(in.s.Composites) - 1
			in.rels[relid] = &relInfo{schema: schema, name: name, kind: 'c', composite: &i}
		case "r", "m":
			if typ == "r" {
				in.s.Skipped = append(in.s.Skipped, Skipped{Kind: "type", Name: formatted, Reason: "range types are not modelled"})
			}
			return nil
		default:
			in.s.Skipped = append(in.s.Skipped, Skipped{Kind: "type", Name: formatted, Reason: "base types (CREATE TYPE with I/O functions) are not modelled"})
			return nil
		}
		in.comment("TYPE", formatted, cm)
		return nil
	})
	if err != nil {
		return err
	}
	// Domain constraints.
	rows, err = in.tx.Query(ctx, `SELECT n.nspname, t.typname, con.conname, pg_get_constraintdef(con.oid)
FROM pg_constraint con JOIN pg_type t ON t.oid = con.contypid JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE con.contypid <> 0 AND `+userSchema+` AND `+notExt("pg_type", "t.oid"))
	if err != nil {
		return err
	}
	var cname, cdef string
	_, err = pgx.ForEachRow(rows, []any{&schema, &name, &cname, &cdef}, func() error {
		for i := range in.s.Domains {
			if d := &in.s.Domains[i]; d.Schema == schema && d.Name == name {
				d.Checks = append(d.Checks, Constraint{Name: cname, Kind: "c", Def: cdef})
			}
		}
		return nil
	})
	return err
}

func (in *inspector) relations(ctx context.Context) error {
	rows, err := in.tx.Query(ctx, `SELECT c.oid, n.nspname, c.relname, c.relkind::text, c.relpersistence = 'u',
  c.relrowsecurity, c.relforcerowsecurity, c.relispartition,
  CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
  CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,
  (SELECT pn.nspname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid ORDER BY i.inhseqno LIMIT 1),
  (SELECT p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE i.inhrelid = c.oid ORDER BY i.inhseqno LIMIT 1),
  coalesce(c.reloptions, '{}'), (SELECT d.description FROM pg_description d WHERE d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0),
  CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND `+userSchema+` AND `+notExt("pg_class", "c.oid"))
	if err != nil {
		return err
	}
	var (
		oid                                         uint32
		schema, name, kind                          string
		unlogged, rls, force, ispart                bool
		partkey, bound, parentSchema, parentName, c *string
		opts                                        []string
		viewdef                                     *string
	)
	_, err = pgx.ForEachRow(rows, []any{&oid, &schema, &name, &kind, &unlogged, &rls, &force, &ispart, &partkey, &bound, &parentSchema, &parentName, &opts, &c, &viewdef}, func() error {
		q := qualify(schema, name)
		switch kind {
		case "r", "p":
			t := Table{Schema: schema, Name: name, Partitioned: kind == "p", PartitionBy: deref(partkey), Unlogged: unlogged,
				RLS: rls, ForceRLS: force, Options: append([]string(nil), opts...)}
			if ispart {
				t.PartitionOf = &QName{Schema: deref(parentSchema), Name: deref(parentName)}
				t.Bound = deref(bound)
			} else if parentName != nil {
				in.s.Skipped = append(in.s.Skipped, Skipped{Kind: "table", Name: q,
					Reason: "inherits from " + qualify(*parentSchema, *parentName) + "; table inheritance (INHERITS) is not modelled, the table is written without it"})
			}
			in.s.Tables = append(in.s.Tables, t)
			i := len(in.s.Tables) - 1
			in.rels[oid] = &relInfo{schema: schema, name: name, kind: kind[0], table: &i}
			in.comment("TABLE", q, c)
		case "v", "m":
			v := View{Schema: schema, Name: name, Materialized: kind == "m", Def: strings.TrimSpace(deref(viewdef)), Options: append([]string(nil), opts...)}
			in.s.Views = append(in.s.Views, v)
			i := len(in.s.Views) - 1
			in.rels[oid] = &relInfo{schema: schema, name: name, kind: kind[0], view: &i}
			if kind == "m" {
				in.comment("MATERIALIZED VIEW", q, c)
			} else {
				in.comment("VIEW", q, c)
			}
		case "f":
			in.s.Skipped = append(in.s.Skipped, Skipped{Kind: "foreign table", Name: q, Reason: "foreign tables are not modelled"})
		}
		return nil
	})
	return err
}

func (in *inspector) columns(ctx context.Context) error {
	rows, err := in.tx.Query(ctx, `SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
  pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text,
  CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
       THEN (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END,
  a.attislocal, ds.description
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_description ds ON ds.objoid = a.attrelid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'c') AND `+userSchema+`
ORDER BY a.attrelid, a.attnum`)
	if err != nil {
		return err
	}
	var (
		relid                 uint32
		name, typ, ident, gen string
		notNull, local        bool
		def, coll, cm         *string
	)
	_, err = pgx.ForEachRow(rows, []any{&relid, &name, &typ, &notNull, &def, &ident, &gen, &coll, &local, &cm}, func() error {
		r := in.rels[relid]
		if r == nil {
			return nil
		}
		col := Column{Name: name, Type: typ, NotNull: notNull, Collation: deref(coll)}
		switch ident {
		case "a":
			col.Identity = "ALWAYS"
		case "d":
			col.Identity = "BY DEFAULT"
		}
		if gen == "s" {
			col.Generated = deref(def)
		} else {
			col.Default = deref(def)
		}
		target := qualify(r.schema, r.name) + "." + quoteIdent(name)
		switch {
		case r.table != nil:
			t := &in.s.Tables[*r.table]
			if t.PartitionOf != nil && !local {
				// Inherited from the parent; a partition's own NOT NULL or
				// default would be local.
				break
			}
			t.Columns = append(t.Columns, col)
		case r.composite != nil:
			col.NotNull, col.Default = false, ""
			in.s.Composites[*r.composite].Attributes = append(in.s.Composites[*r.composite].Attributes, col)
		}
		in.comment("COLUMN", target, cm)
		return nil
	})
	return err
}

func (in *inspector) constraints(ctx context.Context) error {
	rows, err := in.tx.Query(ctx, `SELECT con.conrelid, con.conname, con.contype::text, pg_get_constraintdef(con.oid), con.conislocal,
  (SELECT d.description FROM pg_description d WHERE d.objoid = con.oid AND d.classoid = 'pg_constraint'::regclass AND d.objsubid = 0)
FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace
WHERE con.conrelid <> 0 AND con.contype IN ('p', 'u', 'c', 'x', 'f') AND con.conislocal AND `+userSchema)
	if err != nil {
		return err
	}
	var (
		relid           uint32
		name, kind, def string
		local           bool
		cm              *string
	)
	_, err = pgx.ForEachRow(rows, []any{&relid, &name, &kind, &def, &local, &cm}, func() error {
		r := in.rels[relid]
		if r == nil || r.table == nil || !local {
			return nil
		}
		t := &in.s.Tables[*r.table]
		t.Constraints = append(t.Constraints, Constraint{Name: name, Kind: kind, Def: def})
		in.comment("CONSTRAINT", quoteIdent(name)+" ON "+qualify(r.schema, r.name), cm)
		return nil
	})
	return err
}

func (in *inspector) indexes(ctx context.Context) error {
	// Filters first, so that pg_get_indexdef runs only for the indexes
	// kept: not backing a constraint, not a partition's copy of its
	// parent's index, on a relation of a user schema.
	rows, err := in.tx.Query(ctx, `SELECT i.indrelid, ic.relname, pg_get_indexdef(i.indexrelid), (SELECT d.description FROM pg_description d WHERE d.objoid = i.indexrelid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0), false, false
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
WHERE `+userSchema+`
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x'))
  AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)`)
	if err != nil {
		return err
	}
	var (
		relid            uint32
		name, def        string
		cm               *string
		backs, partChild bool
	)
	_, err = pgx.ForEachRow(rows, []any{&relid, &name, &def, &cm, &backs, &partChild}, func() error {
		r := in.rels[relid]
		if r == nil || backs || partChild || (r.table == nil && r.view == nil) {
			return nil
		}
		in.s.Indexes = append(in.s.Indexes, Index{Schema: r.schema, Name: name, Table: r.name, Def: def})
		in.comment("INDEX", qualify(r.schema, name), cm)
		return nil
	})
	return err
}

func (in *inspector) sequences(ctx context.Context) error {
	rows, err := in.tx.Query(ctx, `SELECT n.nspname, c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
  dep.deptype::text, dn.nspname, dc.relname, da.attname, (SELECT d.description FROM pg_description d WHERE d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0)
FROM pg_sequence s
JOIN pg_class c ON c.oid = s.seqrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_depend dep ON dep.classid = 'pg_class'::regclass AND dep.objid = c.oid AND dep.refclassid = 'pg_class'::regclass AND dep.deptype IN ('a', 'i')
LEFT JOIN pg_class dc ON dc.oid = dep.refobjid
LEFT JOIN pg_namespace dn ON dn.oid = dc.relnamespace
LEFT JOIN pg_attribute da ON da.attrelid = dep.refobjid AND da.attnum = dep.refobjsubid
WHERE `+userSchema+` AND `+notExt("pg_class", "c.oid"))
	if err != nil {
		return err
	}
	var (
		schema, name, typ                  string
		start, inc, min, max, cache        int64
		cycle                              bool
		deptype, oSchema, oTable, oCol, cm *string
	)
	_, err = pgx.ForEachRow(rows, []any{&schema, &name, &typ, &start, &inc, &min, &max, &cache, &cycle, &deptype, &oSchema, &oTable, &oCol, &cm}, func() error {
		sq := Sequence{Schema: schema, Name: name, Type: typ, Start: start, Increment: inc, Min: min, Max: max, Cache: cache, Cycle: cycle}
		if deptype != nil && *deptype == "i" {
			// An identity column's sequence is part of the column.
			if oCol != nil {
				in.identity[ColumnRef{Schema: *oSchema, Table: *oTable, Column: *oCol}] = identityOptions(sq)
			}
			return nil
		}
		if deptype != nil && oCol != nil {
			sq.OwnedBy = &ColumnRef{Schema: *oSchema, Table: *oTable, Column: *oCol}
		}
		in.s.Sequences = append(in.s.Sequences, sq)
		in.comment("SEQUENCE", qualify(schema, name), cm)
		return nil
	})
	return err
}

func (in *inspector) viewDeps(ctx context.Context) error {
	rows, err := in.tx.Query(ctx, `SELECT DISTINCT r.ev_class, d.refobjid FROM pg_rewrite r
JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_class'::regclass
WHERE d.refobjid <> r.ev_class`)
	if err != nil {
		return err
	}
	var view, dep uint32
	_, err = pgx.ForEachRow(rows, []any{&view, &dep}, func() error {
		v, d := in.rels[view], in.rels[dep]
		if v == nil || v.view == nil || d == nil || d.view == nil {
			return nil
		}
		vv := &in.s.Views[*v.view]
		q := QName{Schema: d.schema, Name: d.name}
		for _, x := range vv.DependsOn {
			if x == q {
				return nil
			}
		}
		vv.DependsOn = append(vv.DependsOn, q)
		return nil
	})
	return err
}

func (in *inspector) functions(ctx context.Context) error {
	rows, err := in.tx.Query(ctx, `SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), oidvectortypes(p.proargtypes), p.prokind::text,
  CASE WHEN p.prokind IN ('f', 'p', 'w') THEN pg_get_functiondef(p.oid) END, (SELECT d.description FROM pg_description d WHERE d.objoid = p.oid AND d.classoid = 'pg_proc'::regclass AND d.objsubid = 0)
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE `+userSchema+` AND `+notExt("pg_proc", "p.oid"))
	if err != nil {
		return err
	}
	var (
		schema, name, args, types, kind string
		def, cm                         *string
	)
	_, err = pgx.ForEachRow(rows, []any{&schema, &name, &args, &types, &kind, &def, &cm}, func() error {
		sig := qualify(schema, name) + "(" + types + ")"
		switch kind {
		case "f", "w", "p":
			k := "FUNCTION"
			if kind == "p" {
				k = "PROCEDURE"
			}
			in.s.Functions = append(in.s.Functions, Function{Schema: schema, Name: name, Args: args, ArgTypes: types, Kind: k, Def: strings.TrimSpace(deref(def))})
			in.comment(k, sig, cm)
		default:
			in.s.Skipped = append(in.s.Skipped, Skipped{Kind: "aggregate", Name: sig, Reason: "aggregates are not modelled"})
		}
		return nil
	})
	return err
}

func (in *inspector) triggers(ctx context.Context) error {
	rows, err := in.tx.Query(ctx, `SELECT t.tgrelid, t.tgname, pg_get_triggerdef(t.oid), t.tgenabled = 'D', (SELECT d.description FROM pg_description d WHERE d.objoid = t.oid AND d.classoid = 'pg_trigger'::regclass AND d.objsubid = 0)
FROM pg_trigger t WHERE NOT t.tgisinternal AND t.tgparentid = 0`)
	if err != nil {
		return err
	}
	var (
		relid     uint32
		name, def string
		disabled  bool
		cm        *string
	)
	_, err = pgx.ForEachRow(rows, []any{&relid, &name, &def, &disabled, &cm}, func() error {
		r := in.rels[relid]
		if r == nil {
			return nil
		}
		in.s.Triggers = append(in.s.Triggers, Trigger{Schema: r.schema, Table: r.name, Name: name, Def: def, Disabled: disabled})
		in.comment("TRIGGER", quoteIdent(name)+" ON "+qualify(r.schema, r.name), cm)
		return nil
	})
	return err
}

func (in *inspector) policies(ctx context.Context) error {
	rows, err := in.tx.Query(ctx, `SELECT pol.polrelid, pol.polname, pol.polpermissive, pol.polcmd::text,
  CASE WHEN pol.polroles = '{0}' THEN ARRAY['public'] ELSE ARRAY(SELECT quote_ident(r.rolname) FROM pg_roles r WHERE r.oid = ANY (pol.polroles) ORDER BY r.rolname) END,
  pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid), (SELECT d.description FROM pg_description d WHERE d.objoid = pol.oid AND d.classoid = 'pg_policy'::regclass AND d.objsubid = 0)
FROM pg_policy pol`)
	if err != nil {
		return err
	}
	var (
		relid            uint32
		name, cmd        string
		permissive       bool
		roles            []string
		using, check, cm *string
	)
	_, err = pgx.ForEachRow(rows, []any{&relid, &name, &permissive, &cmd, &roles, &using, &check, &cm}, func() error {
		r := in.rels[relid]
		if r == nil {
			return nil
		}
		p := Policy{Schema: r.schema, Table: r.name, Name: name, Permissive: permissive, Command: policyCmd[cmd],
			Roles: append([]string(nil), roles...), Using: deref(using), WithCheck: deref(check)}
		in.s.Policies = append(in.s.Policies, p)
		in.comment("POLICY", quoteIdent(name)+" ON "+qualify(r.schema, r.name), cm)
		return nil
	})
	return err
}

var policyCmd = map[string]string{"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE", "*": "ALL"}

// unsupported lists, by kind, objects in user schemas the model does not
// represent, so that a comparison can never call them "in sync".
func (in *inspector) unsupported(ctx context.Context) error {
	q := `
SELECT 'rule', quote_ident(n.nspname) || '.' || quote_ident(c.relname) || ' ' || quote_ident(r.rulename), 'rules other than views are not modelled'
  FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE r.rulename <> '_RETURN' AND ` + userSchema + ` AND ` + notExt("pg_rewrite", "r.oid") + `
UNION ALL
SELECT 'operator', o.oid::regoperator::text, 'operators are not modelled'
  FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace WHERE ` + userSchema + ` AND ` + notExt("pg_operator", "o.oid") + `
UNION ALL
SELECT 'collation', quote_ident(n.nspname) || '.' || quote_ident(co.collname), 'collations are not modelled'
  FROM pg_collation co JOIN pg_namespace n ON n.oid = co.collnamespace WHERE ` + userSchema + ` AND ` + notExt("pg_collation", "co.oid") + `
UNION ALL
SELECT 'text search configuration', quote_ident(n.nspname) || '.' || quote_ident(t.cfgname), 'text search configurations are not modelled'
  FROM pg_ts_config t JOIN pg_namespace n ON n.oid = t.cfgnamespace WHERE ` + userSchema + ` AND ` + notExt("pg_ts_config", "t.oid") + `
UNION ALL
SELECT 'text search dictionary', quote_ident(n.nspname) || '.' || quote_ident(t.dictname), 'text search dictionaries are not modelled'
  FROM pg_ts_dict t JOIN pg_namespace n ON n.oid = t.dictnamespace WHERE ` + userSchema + ` AND ` + notExt("pg_ts_dict", "t.oid") + `
UNION ALL
SELECT 'statistics', quote_ident(n.nspname) || '.' || quote_ident(s.stxname), 'extended statistics are not modelled'
  FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid = s.stxnamespace WHERE ` + userSchema + `
UNION ALL
SELECT 'event trigger', quote_ident(evtname), 'event triggers are not modelled' FROM pg_event_trigger WHERE ` + notExt("pg_event_trigger", "oid") + `
UNION ALL
SELECT 'cast', format('(%s AS %s)', format_type(c.castsource, NULL), format_type(c.casttarget, NULL)), 'casts are not modelled'
  FROM pg_cast c WHERE c.oid >= 16384 AND ` + notExt("pg_cast", "c.oid") + `
UNION ALL
SELECT 'foreign server', quote_ident(srvname), 'foreign servers are not modelled' FROM pg_foreign_server WHERE ` + notExt("pg_foreign_server", "oid") + `
UNION ALL
SELECT 'typed table', quote_ident(n.nspname) || '.' || quote_ident(c.relname), 'typed tables (CREATE TABLE ... OF type) are not modelled; written as ordinary tables'
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.reloftype <> 0 AND ` + userSchema + `
UNION ALL
SELECT 'publication', quote_ident(pubname), 'publications are not modelled' FROM pg_publication
UNION ALL
SELECT 'privileges', count(*)::text || ' relations with GRANTs', 'privileges and owners are not modelled (as pg_dump --no-privileges --no-owner)'
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relacl IS NOT NULL AND c.relkind IN ('r','p','v','m','S') AND ` + userSchema + `
  HAVING count(*) > 0`
	rows, err := in.tx.Query(ctx, q)
	if err != nil {
		return err
	}
	var kind, name, reason string
	_, err = pgx.ForEachRow(rows, []any{&kind, &name, &reason}, func() error {
		in.s.Skipped = append(in.s.Skipped, Skipped{Kind: kind, Name: name, Reason: reason})
		return nil
	})
	return err
}

// finish attaches identity sequences' options to their columns.
func (in *inspector) finish() {
	for i := range in.s.Tables {
		t := &in.s.Tables[i]
		for j := range t.Columns {
			c := &t.Columns[j]
			if c.Identity != "" {
				c.IdentityOptions = in.identity[ColumnRef{Schema: t.Schema, Table: t.Name, Column: c.Name}]
			}
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
