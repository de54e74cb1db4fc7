package uow

import (
	"context"
	"fmt"
	"strings"
)

// tableInfo is what the flush needs to know from the catalog about a table:
// each column's SQL type (to cast unnest arrays) and nullability.
type tableInfo struct {
	cols map[string]*colInfo
}

type colInfo struct {
	typ     string // format_type output, e.g. "character varying(255)"
	isArray bool
	notNull bool
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
		rows, err := exec.Query(ctx, `SELECT t.i, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, ty.typcategory = 'A'
FROM unnest($1::text[]) WITH ORDINALITY AS t(name, i)
JOIN pg_catalog.pg_attribute a ON a.attrelid = to_regclass(t.name) AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid`, quoted)
		if err != nil {
			return queried, fmt.Errorf("read column types: %w", err)
		}
		found := map[string]*tableInfo{}
		for rows.Next() {
			var (
				i             int64
				col, typ      string
				notNull, isAr bool
			)
			if err := rows.Scan(&i, &col, &typ, &notNull, &isAr); err != nil {
				rows.Close()
				return queried, fmt.Errorf("read column types: %w", err)
			}
			t := missing[i-1]
			ti := found[t]
			if ti == nil {
				ti = &tableInfo{cols: map[string]*colInfo{}}
				found[t] = ti
			}
			ti.cols[col] = &colInfo{typ: typ, isArray: isAr, notNull: notNull}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return queried, fmt.Errorf("read column types: %w", err)
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

func (o *ORM) colType(table, col string) *colInfo {
	o.catMu.Lock()
	defer o.catMu.Unlock()
	if ti := o.catalog[table]; ti != nil {
		return ti.cols[col]
	}
	return nil
}
