package baseline

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	pg "github.com/pganalyze/pg_query_go/v5"

	"github.com/ormshift/ormshift/uow"
	"github.com/ormshift/ormshift/uow/naming"
)

// FromEntities builds the schema the entity metadata describes: one table
// per entity (and per many-to-many join table), its columns with the types
// GORM's PostgreSQL dialect would give them (or the `gorm:"type:..."` tag),
// NOT NULL where the tag says so, and the primary key. A column whose type
// cannot be derived from its Go type is listed in Skipped.
//
// It describes only tables and columns: compare it with DiffEntities, which
// looks at nothing else.
func FromEntities(reg *uow.Registry) *Schema {
	s := &Schema{Namespaces: []Namespace{{Name: DefaultSchema}}}
	seen := map[QName]bool{}
	for _, e := range reg.Entities() {
		q := splitTable(e.Table)
		if seen[q] {
			continue
		}
		seen[q] = true
		t := Table{Schema: q.Schema, Name: q.Name}
		for _, f := range e.Fields {
			settings := naming.ParseTagSettings(e.Type.FieldByIndex(f.Index).Tag.Get("gorm"))
			typ := entityColumnType(f, settings)
			if typ == "" {
				s.Skipped = append(s.Skipped, Skipped{Kind: "column type", Name: q.String() + "." + quoteIdent(f.Column),
					Reason: fmt.Sprintf("Go type %s does not say which column type it needs; add a gorm:\"type:...\" tag", f.Type)})
			}
			// NOT NULL as GORM's migrator decides it: the tag or the primary
			// key. A plain Go type over a nullable column is not drift: GORM
			// and the runtime both read NULL there as the zero value.
			_, explicitNotNull := settings["NOT NULL"]
			t.Columns = append(t.Columns, Column{Name: f.Column, Type: typ, NotNull: explicitNotNull || f.PrimaryKey})
		}
		if len(e.PrimaryKey) > 0 {
			var cols []string
			for _, f := range e.PrimaryKey {
				cols = append(cols, quoteIdent(f.Column))
			}
			t.Constraints = append(t.Constraints, Constraint{Name: q.Name + "_pkey", Kind: "p", Def: "PRIMARY KEY (" + strings.Join(cols, ", ") + ")"})
		}
		s.Tables = append(s.Tables, t)
	}
	// Foreign keys of belongs-to and has-one/has-many relations, on the
	// table that holds the key.
	fkSeen := map[string]bool{}
	for _, e := range reg.Entities() {
		for _, r := range e.Relations {
			var holder, target *uow.Entity
			switch r.Kind {
			case uow.BelongsTo:
				holder, target = r.Owner, r.Target
			case uow.HasOne, uow.HasMany:
				holder, target = r.Target, r.Owner
			default:
				continue
			}
			if holder == nil || target == nil || len(r.ForeignKey) == 0 || len(r.ForeignKey) != len(r.References) {
				continue
			}
			hq, tq := splitTable(holder.Table), splitTable(target.Table)
			var fk, ref []string
			for i := range r.ForeignKey {
				fk = append(fk, quoteIdent(r.ForeignKey[i].Column))
				ref = append(ref, quoteIdent(r.References[i].Column))
			}
			def := "FOREIGN KEY (" + strings.Join(fk, ", ") + ") REFERENCES " + tq.String() + "(" + strings.Join(ref, ", ") + ")"
			key := hq.String() + " " + def
			if fkSeen[key] {
				continue
			}
			fkSeen[key] = true
			for i := range s.Tables {
				if t := &s.Tables[i]; t.Schema == hq.Schema && t.Name == hq.Name {
					// GORM's name: fk_<table of the struct declaring the relation>_<field>.
					name := "fk_" + splitTable(e.Table).Name + "_" + naming.ColumnName(r.Name)
					t.Constraints = append(t.Constraints, Constraint{Name: name, Kind: "f", Def: def})
				}
			}
		}
	}
	for _, e := range reg.Entities() {
		for _, r := range e.Relations {
			if r.Kind != uow.ManyToMany || r.JoinTable == "" {
				continue
			}
			q := splitTable(r.JoinTable)
			if seen[q] {
				continue
			}
			seen[q] = true
			t := Table{Schema: q.Schema, Name: q.Name}
			var pk []string
			add := func(names []string, keys []*uow.Field, owner *uow.Entity) {
				for i, n := range names {
					typ := ""
					if i < len(keys) {
						settings := naming.ParseTagSettings(owner.Type.FieldByIndex(keys[i].Index).Tag.Get("gorm"))
						typ = strings.NewReplacer("bigserial", "bigint", "smallserial", "smallint", "serial", "integer").Replace(entityColumnType(keys[i], settings))
					}
					t.Columns = append(t.Columns, Column{Name: n, Type: typ, NotNull: true})
					pk = append(pk, quoteIdent(n))
				}
			}
			add(r.JoinForeignKey, r.OwnerKey, r.Owner)
			add(r.JoinReferences, r.TargetKey, r.Target)
			t.Constraints = append(t.Constraints, Constraint{Name: q.Name + "_pkey", Kind: "p", Def: "PRIMARY KEY (" + strings.Join(pk, ", ") + ")"})
			s.Tables = append(s.Tables, t)
		}
	}
	s.Sort()
	return s
}

func splitTable(t string) QName {
	if s, n, ok := strings.Cut(t, "."); ok {
		return QName{Schema: s, Name: n}
	}
	return QName{Schema: DefaultSchema, Name: t}
}

var (
	timeT       = reflect.TypeOf(time.Time{})
	nullString  = reflect.TypeOf(sql.NullString{})
	nullInt64   = reflect.TypeOf(sql.NullInt64{})
	nullInt32   = reflect.TypeOf(sql.NullInt32{})
	nullInt16   = reflect.TypeOf(sql.NullInt16{})
	nullFloat64 = reflect.TypeOf(sql.NullFloat64{})
	nullBool    = reflect.TypeOf(sql.NullBool{})
	nullTime    = reflect.TypeOf(sql.NullTime{})
	rawJSON     = reflect.TypeOf(json.RawMessage{})
)

// entityColumnType is the column type GORM's PostgreSQL dialect gives a
// field (gorm.io/driver/postgres DataTypeOf), or "" when the Go type does
// not determine one.
func entityColumnType(f *uow.Field, settings map[string]string) string {
	if t := settings["TYPE"]; t != "" {
		return t
	}
	size, _ := strconv.Atoi(settings["SIZE"])
	precision, _ := strconv.Atoi(settings["PRECISION"])
	scale, _ := strconv.Atoi(settings["SCALE"])
	_, autoInc := settings["AUTOINCREMENT"]
	t := f.Type
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	intType := func(bits int) string {
		if size > 0 {
			bits = size
		}
		typ := "bigint"
		switch {
		case bits <= 16:
			typ = "smallint"
		case bits <= 32:
			typ = "integer"
		}
		if autoInc || f.PrimaryKey && f.Generated {
			return map[string]string{"smallint": "smallserial", "integer": "serial", "bigint": "bigserial"}[typ]
		}
		return typ
	}
	switch t {
	case timeT, nullTime:
		if precision > 0 {
			return fmt.Sprintf("timestamptz(%d)", precision)
		}
		return "timestamptz"
	case nullString:
		return stringType(size)
	case nullInt64:
		return intType(64)
	case nullInt32:
		return intType(32)
	case nullInt16:
		return intType(16)
	case nullFloat64:
		return "decimal"
	case nullBool:
		return "boolean"
	case rawJSON:
		return "jsonb"
	}
	if f.JSON {
		return "jsonb"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint64, reflect.Uintptr:
		return intType(64)
	case reflect.Int32, reflect.Uint32:
		return intType(32)
	case reflect.Int16, reflect.Uint16, reflect.Int8, reflect.Uint8:
		return intType(16)
	case reflect.Float32, reflect.Float64:
		if precision > 0 {
			if scale > 0 {
				return fmt.Sprintf("numeric(%d,%d)", precision, scale)
			}
			return fmt.Sprintf("numeric(%d)", precision)
		}
		return "decimal"
	case reflect.String:
		return stringType(size)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "bytea"
		}
	}
	return ""
}

func stringType(size int) string {
	if size > 0 && size <= 10485760 {
		return fmt.Sprintf("varchar(%d)", size)
	}
	return "text"
}

// typeFamily groups column types that hold the same kind of Go value.
func typeFamily(typ string, enums map[string]bool) string {
	n := strings.ToLower(strings.TrimSpace(typ))
	if i := strings.IndexByte(n, '('); i >= 0 {
		n = n[:i]
	}
	n = strings.TrimSuffix(strings.TrimPrefix(n, "pg_catalog."), " ")
	switch n {
	case "smallint", "integer", "bigint", "int", "int2", "int4", "int8", "serial", "bigserial", "smallserial", "serial4", "serial8", "serial2":
		return "integer"
	case "numeric", "decimal", "real", "double precision", "float4", "float8", "money":
		return "number"
	case "text", "character varying", "varchar", "character", "char", "bpchar", "citext", "public.citext", "uuid", "name", "inet", "cidr", "macaddr":
		return "text"
	case "boolean", "bool":
		return "boolean"
	case "timestamp with time zone", "timestamp without time zone", "timestamptz", "timestamp", "date":
		return "time"
	case "bytea":
		return "bytes"
	case "json", "jsonb":
		return "json"
	}
	if strings.HasPrefix(n, "timestamp") {
		return "time"
	}
	if enums[n] || enums[strings.TrimPrefix(n, DefaultSchema+".")] {
		return "text"
	}
	return n
}

// compatibleFamily: can a field of the entity's column type read and write
// a column of the database's type?
func compatibleFamily(entity, db string) bool {
	if entity == db {
		return true
	}
	switch entity {
	case "json":
		return db == "text" || db == "bytes"
	case "bytes":
		return db == "json" || db == "text"
	case "text":
		return db == "json"
	}
	return false
}

// DiffEntities compares the tables and columns the entities describe
// (FromEntities) with a database schema: a missing table or column, a column
// whose type the field cannot hold, a column that can be NULL where the
// model says NOT NULL (tag or primary key), a different primary key. Tables and columns of the
// database that no entity maps are not differences (a migration off GORM
// maps tables one at a time); they are listed in Unmapped.
func DiffEntities(db, entities *Schema) *EntityDifference {
	d := &EntityDifference{Difference: Difference{SkippedFrom: db.Skipped, SkippedTo: entities.Skipped}}
	enums := map[string]bool{}
	for _, e := range db.Enums {
		enums[e.Name] = true
		enums[qualify(e.Schema, e.Name)] = true
	}
	for _, dm := range db.Domains {
		enums[qualify(dm.Schema, dm.Name)] = false
	}
	mapped := map[QName]bool{}
	for _, et := range entities.Tables {
		mapped[QName{et.Schema, et.Name}] = true
		tname := qualify(et.Schema, et.Name)
		dt := db.table(et.Schema, et.Name)
		if dt == nil {
			bare := et
			bare.Constraints = nil
			sql := sqlLines(tableSQL(bare))
			for _, k := range et.Constraints {
				sql = append(sql, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s;", tname, quoteIdent(k.Name), k.Def))
			}
			d.Changes = append(d.Changes, Change{Op: "add", Kind: "table", Name: tname, SQL: sql})
			continue
		}
		for _, ec := range et.Columns {
			cname := tname + "." + quoteIdent(ec.Name)
			dc := dt.column(ec.Name)
			if dc == nil {
				if ec.Type == "" {
					continue // already skipped
				}
				c := ec
				c.NotNull = false
				sql := []string{"ALTER TABLE " + tname + " ADD COLUMN " + columnSQL(c) + ";"}
				if ec.NotNull {
					// A filled table needs the column filled first.
					sql = append(sql, "-- fill "+cname+" before making it NOT NULL:",
						"ALTER TABLE "+tname+" ALTER COLUMN "+quoteIdent(ec.Name)+" SET NOT NULL;")
				}
				d.Changes = append(d.Changes, Change{Op: "add", Kind: "column", Name: cname, To: ec.Type, SQL: sql})
				continue
			}
			if ec.Type != "" {
				ef, df := typeFamily(ec.Type, enums), typeFamily(dc.Type, enums)
				if !compatibleFamily(ef, df) {
					d.Changes = append(d.Changes, Change{Op: "change", Kind: "column type", Name: cname,
						From: dc.Type, To: ec.Type + " (" + ef + ")",
						SQL: []string{fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::%s;", tname, quoteIdent(ec.Name), ec.Type, quoteIdent(ec.Name), ec.Type)}})
				}
			}
			if ec.NotNull && !dc.NotNull && dc.Identity == "" {
				d.Changes = append(d.Changes, Change{Op: "change", Kind: "column nullability", Name: cname,
					From: "NULL allowed", To: "NOT NULL (the field cannot hold NULL)",
					SQL: []string{fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s SET NOT NULL;", tname, quoteIdent(ec.Name))}})
			}
		}
		for _, dc := range dt.Columns {
			found := false
			for _, ec := range et.Columns {
				if ec.Name == dc.Name {
					found = true
					break
				}
			}
			if !found {
				d.Unmapped = append(d.Unmapped, "column "+tname+"."+quoteIdent(dc.Name))
			}
		}
		for _, k := range et.Constraints {
			if k.Kind != "f" {
				continue
			}
			want, ok := parseFK(k.Def)
			if !ok {
				continue
			}
			found := false
			for _, dk := range dt.Constraints {
				if dk.Kind != "f" {
					continue
				}
				if got, ok := parseFK(dk.Def); ok && got == want {
					found = true
					break
				}
			}
			if !found {
				d.Changes = append(d.Changes, Change{Op: "add", Kind: "foreign key", Name: quoteIdent(k.Name) + " on " + tname, To: k.Def,
					SQL: []string{fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s;", tname, quoteIdent(k.Name), k.Def)}})
			}
		}
		ek, dk := pkColumns(et), pkColumns(*dt)
		if ek != dk {
			c := Change{Op: "change", Kind: "primary key", Name: tname, From: dk, To: ek}
			for _, k := range dt.Constraints {
				if k.Kind == "p" {
					c.SQL = append(c.SQL, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s;", tname, quoteIdent(k.Name)))
				}
			}
			if ek != "" {
				c.SQL = append(c.SQL, fmt.Sprintf("ALTER TABLE %s ADD PRIMARY KEY (%s);", tname, ek))
			}
			d.Changes = append(d.Changes, c)
		}
	}
	for _, t := range db.Tables {
		if !mapped[QName{t.Schema, t.Name}] && t.PartitionOf == nil {
			d.Unmapped = append(d.Unmapped, "table "+qualify(t.Schema, t.Name))
		}
	}
	sort.Strings(d.Unmapped)
	return d
}

// EntityDifference is DiffEntities' result.
type EntityDifference struct {
	Difference
	// Unmapped lists database tables and columns no entity maps.
	Unmapped []string `json:"unmapped,omitempty"`
}

// fkShape is what identifies a foreign key for entity comparison.
type fkShape struct {
	cols, table, refs string
}

func parseFK(def string) (fkShape, bool) {
	tree, err := pg.Parse("ALTER TABLE x ADD " + def)
	if err != nil || len(tree.Stmts) != 1 {
		return fkShape{}, false
	}
	for _, c := range tree.Stmts[0].Stmt.GetAlterTableStmt().GetCmds() {
		k := c.GetAlterTableCmd().GetDef().GetConstraint()
		if k == nil || k.Pktable == nil {
			continue
		}
		schema := k.Pktable.Schemaname
		if schema == "" {
			schema = DefaultSchema
		}
		return fkShape{cols: strings.Join(strs(k.FkAttrs), ","), table: schema + "." + k.Pktable.Relname, refs: strings.Join(strs(k.PkAttrs), ",")}, true
	}
	return fkShape{}, false
}

func pkColumns(t Table) string {
	for _, k := range t.Constraints {
		if k.Kind == "p" {
			i, j := strings.Index(k.Def, "("), strings.LastIndex(k.Def, ")")
			if i >= 0 && j > i {
				parts := strings.Split(k.Def[i+1:j], ",")
				for n, p := range parts {
					parts[n] = strings.TrimSpace(p)
				}
				return strings.Join(parts, ", ")
			}
		}
	}
	return ""
}
