package uow

import (
	"context"
	"fmt"
	"strings"
)

// tableInfo is what the flush needs to know from the catalog about a table:
// each column's SQL type (to cast unnest arrays) and nullability.
type tableInfo struct {
	cols     map[string]*colInfo
	copyable bool // a plain or partitioned table: COPY can insert into it
}

type colInfo struct {
	typ      string // format_type output, e.g. "character varying(255)"
	isArray  bool
	notNull  bool
	sequence string // the sequence owned by the column (serial, identity BY DEFAULT), "" if none
}

// ResetCatalog forgets the column types read from the database, so the
// next Flush reads them again (after a migration changed a table).
func (o *ORM) ResetCatalog() {
	o.catMu.Lock()
	o.catalog = map[string]*tableInfo{}
	o.catMu.Unlock()
}

// ensureCatalog reads, once per ORM, the column types of the given
// entities' tables (and join tables) in one query, and checks that every
// mapped column exists.
func (o *ORM) ensureCatalog(ctx context.Context, exec Executor, metas []*Entity, joinTables []string) (queried bool, err error) {
	o.catMu.Lock()
	defer o.catMu.Unlock()
	var missing []string
	seen := map[string]bool{}
	for _, m := range metas {
		if o.catalog[m.Table] == nil && !seen[m.Table] {
			seen[m.Table] = true
			missing = append(missing, m.Table)
		}
	}
	for _, jt := range joinTables {
		if o.catalog[jt] == nil && !seen[jt] {
			seen[jt] = true
			missing = append(missing, jt)
		}
	}
	if len(missing) > 0 {
		queried = true
		quoted := make([]string, len(missing))
		for i, t := range missing {
			quoted[i] = quoteTable(t)
		}
		// A sequence is reported only where inserting an explicit value is
		// allowed (not GENERATED ALWAYS): the flush may pre-allocate keys
		// from it for a COPY.
		rows, err := exec.Query(ctx, `SELECT t.i, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, ty.typcategory = 'A',
	c.relkind IN ('r', 'p'),
	CASE WHEN a.attidentity <> 'a' AND a.attgenerated = '' THEN coalesce(pg_catalog.pg_get_serial_sequence(t.name, a.attname), '') ELSE '' END
FROM unnest($1::text[]) WITH ORDINALITY AS t(name, i)
JOIN pg_catalog.pg_class c ON c.oid = to_regclass(t.name)
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid`, quoted)
		if err != nil {
			return queried, o.dbError("Flush: read column types", err)
		}
		found := map[string]*tableInfo{}
		for rows.Next() {
			var (
				i                       int64
				col, typ, seq           string
				notNull, isAr, copyable bool
			)
			if err := rows.Scan(&i, &col, &typ, &notNull, &isAr, &copyable, &seq); err != nil {
				rows.Close()
				return queried, o.dbError("Flush: read column types", err)
			}
			t := missing[i-1]
			ti := found[t]
			if ti == nil {
				ti = &tableInfo{cols: map[string]*colInfo{}, copyable: copyable}
				found[t] = ti
			}
			ti.cols[col] = &colInfo{typ: typ, isArray: isAr, notNull: notNull, sequence: seq}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return queried, o.dbError("Flush: read column types", err)
		}
		for _, t := range missing {
			if found[t] == nil {
				return queried, fmt.Errorf("table %s does not exist (or is not visible on the search_path)", t)
			}
		}
		for _, m := range metas {
			if ti := found[m.Table]; ti != nil {
				var bad []string
				for _, f := range m.Fields {
					if ti.cols[f.Column] == nil {
						bad = append(bad, fmt.Sprintf("field %s (column %s)", f.Name, f.Column))
					}
				}
				if len(bad) > 0 {
					return queried, &MetadataError{Struct: m.Name, Msg: "table " + m.Table + " has no column for " + strings.Join(bad, ", ")}
				}
			}
		}
		for t, ti := range found {
			o.catalog[t] = ti
		}
	}
	return queried, nil
}

func (o *ORM) table(name string) *tableInfo {
	o.catMu.Lock()
	defer o.catMu.Unlock()
	return o.catalog[name]
}

func (o *ORM) colType(table, col string) *colInfo {
	o.catMu.Lock()
	defer o.catMu.Unlock()
	if ti := o.catalog[table]; ti != nil {
		return ti.cols[col]
	}
	return nil
}
