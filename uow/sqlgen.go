package uow

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// maxParams is PostgreSQL's limit of bind parameters per statement.
const maxParams = 65535

// rowSource renders the rows of a set-based statement: unnest of one array
// per column (the statement text does not depend on the row count, so it
// is prepared once), or a VALUES list when a column is itself an array
// (unnest would flatten it).
type rowSource struct {
	table string
	cols  []string // column names in the catalog (for types)
	names []string // names of the derived columns
	data  []column // one per column
	n     int      // rows
}

// column holds the values of one column for every row: a typed slice
// ([]string, []time.Time, ... sent as a PostgreSQL array without boxing each
// value) or, for computed values, a []any.
type column struct {
	typed reflect.Value
	anys  []any
	arr   *srcArray
}

func (c column) at(r int) any {
	switch {
	case c.arr != nil:
		return c.arr.Index(r)
	case c.typed.IsValid():
		return c.typed.Index(r).Interface()
	}
	return c.anys[r]
}

func (c column) array() any {
	switch {
	case c.arr != nil:
		return c.arr
	case c.typed.IsValid():
		return c.typed.Interface()
	}
	return c.anys
}

// fieldColumn collects field f of every entity value, for a column of
// table: an array of allocation-free value sources over the values' fields
// when the column type allows it (see valueSource), else a typed copy.
func (em *EntityManager) fieldColumn(table string, f *Field, vals []reflect.Value) (column, error) {
	if typ, _ := em.castOf(table, f.Column); typ != "" {
		if src := valueSource(f, typ); src != nil {
			return column{arr: &srcArray{f: f, vals: vals, src: src}}, nil
		}
	}
	if f.JSON {
		out := make([]any, len(vals))
		for i, v := range vals {
			a, err := fieldArg(f, v.FieldByIndex(f.Index))
			if err != nil {
				return column{}, err
			}
			out[i] = a
		}
		return column{anys: out}, nil
	}
	s := reflect.MakeSlice(reflect.SliceOf(f.Type), len(vals), len(vals))
	for i, v := range vals {
		s.Index(i).Set(v.FieldByIndex(f.Index))
	}
	return column{typed: s}, nil
}

// anyColumns turns rows of values into columns.
func anyColumns(rows [][]any, ncols int) []column {
	out := make([]column, ncols)
	for c := range out {
		out[c].anys = make([]any, len(rows))
		for r, row := range rows {
			out[c].anys[r] = row[c]
		}
	}
	return out
}

func (em *EntityManager) castOf(table, col string) (string, bool) {
	ci := em.orm.colType(table, col)
	if ci == nil {
		return "", false
	}
	return ci.typ, ci.isArray
}

// render returns "unnest(...) AS v(...)" or "(VALUES ...) AS v(...)" chunks.
func (em *EntityManager) render(rs rowSource) ([]string, [][]any, error) {
	useValues := false
	types := make([]string, len(rs.cols))
	for i, c := range rs.cols {
		t, isArr := em.castOf(rs.table, c)
		if t == "" {
			return nil, nil, fmt.Errorf("no type known for column %s of %s", c, rs.table)
		}
		types[i] = t
		if isArr {
			useValues = true
		}
	}
	alias := make([]string, len(rs.names))
	for i, n := range rs.names {
		alias[i] = quoteIdent(n)
	}
	asV := " AS v(" + strings.Join(alias, ", ") + ")"
	if !useValues {
		var b strings.Builder
		b.WriteString("unnest(")
		args := make([]any, len(rs.cols))
		for i := range rs.cols {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "$%d::%s[]", i+1, types[i])
			args[i] = rs.data[i].array()
		}
		b.WriteString(")")
		return []string{b.String() + asV}, [][]any{args}, nil
	}
	per := maxParams / len(rs.cols)
	var outs []string
	var outArgs [][]any
	for start := 0; start < rs.n; start += per {
		end := start + per
		if end > rs.n {
			end = rs.n
		}
		var b strings.Builder
		var args []any
		b.WriteString("(VALUES ")
		for r := start; r < end; r++ {
			if r > start {
				b.WriteString(", ")
			}
			b.WriteString("(")
			for i := range rs.cols {
				if i > 0 {
					b.WriteString(", ")
				}
				args = append(args, rs.data[i].at(r))
				fmt.Fprintf(&b, "$%d::%s", len(args), types[i])
			}
			b.WriteString(")")
		}
		b.WriteString(")")
		outs = append(outs, b.String()+asV)
		outArgs = append(outArgs, args)
	}
	return outs, outArgs, nil
}

func colList(fs []*Field, qual string) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		if qual != "" {
			parts[i] = qual + "." + quoteIdent(f.Column)
		} else {
			parts[i] = quoteIdent(f.Column)
		}
	}
	return strings.Join(parts, ", ")
}

func placeholders(from, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("$%d", from+i)
	}
	return strings.Join(parts, ", ")
}

// insertStmts renders the inserts of one wave: one statement per entity
// type and set of columns left to the database.
func (em *EntityManager) insertStmts(wave []*op) ([]*stmt, error) {
	type group struct {
		meta *Entity
		omit map[int]bool
		ops  []*op
	}
	// Entities whose keys are allocated for a COPY but that come in a
	// small wave of their type (the rest of their type waits for other new
	// rows) get a plain INSERT ... RETURNING instead: a COPY costs a round
	// trip of its own. Their allocated key is overwritten by RETURNING.
	allocated := map[*Entity]int{}
	for _, o := range wave {
		if o.keyAlloc {
			allocated[o.en.meta]++
		}
	}
	for _, o := range wave {
		if o.keyAlloc && allocated[o.en.meta] < copyThreshold {
			o.keyAlloc = false
			o.omit = []int{fieldPos(o.en.meta, o.en.meta.PrimaryKey[0])}
		}
	}
	var groups []*group
	idx := map[groupKey]*group{}
	for _, o := range wave {
		k := groupKey{o.en.meta, colSet(o.omit), o.keyAlloc}
		g := idx[k]
		if g == nil {
			g = &group{meta: o.en.meta, omit: map[int]bool{}}
			for _, i := range o.omit {
				g.omit[i] = true
			}
			idx[k] = g
			groups = append(groups, g)
		}
		g.ops = append(g.ops, o)
	}
	var out, copies []*stmt
	for _, g := range groups {
		var cols, ret []*Field
		for i, f := range g.meta.Fields {
			switch {
			case g.omit[i]:
				ret = append(ret, f)
			case f.ReadOnly:
			default:
				cols = append(cols, f)
			}
		}
		table := quoteTable(g.meta.Table)
		returning := ""
		if len(ret) > 0 {
			returning = " RETURNING " + colList(ret, "")
		}
		mkOnRows := func(ops []*op) func(pgx.Rows) error {
			if len(ret) == 0 {
				return nil
			}
			i := 0
			return func(rows pgx.Rows) error {
				if i >= len(ops) {
					return fmt.Errorf("insert into %s returned more rows than inserted", g.meta.Table)
				}
				w := ops[i].writable()
				i++
				return rows.Scan(scanFields(ret, w)...)
			}
		}
		desc := fmt.Sprintf("insert %d %s row(s) into %s", len(g.ops), g.meta.Name, g.meta.Table)
		if len(ret) == 0 && len(cols) > 0 && (len(g.ops) >= copyThreshold || g.ops[0].keyAlloc) {
			if ti := em.orm.table(g.meta.Table); ti != nil && ti.copyable {
				names := make([]string, len(cols))
				for i, f := range cols {
					names[i] = f.Column
				}
				// COPYs go last in the wave (its groups are independent),
				// so that its other inserts share the batch before them.
				srcs := make([]func(reflect.Value) any, len(cols))
				for i, f := range cols {
					if ci := ti.cols[f.Column]; ci != nil {
						srcs[i] = valueSource(f, ci.typ)
					}
				}
				copies = append(copies, &stmt{desc: "COPY: " + desc, copy: &copyRows{
					table: pgx.Identifier(strings.Split(g.meta.Table, ".")), cols: names, fields: cols, srcs: srcs, ops: g.ops,
				}})
				continue
			}
		}
		if len(cols) == 0 {
			for _, o := range g.ops {
				out = append(out, &stmt{sql: "INSERT INTO " + table + " DEFAULT VALUES" + returning, desc: desc, onRows: mkOnRows([]*op{o})})
			}
			continue
		}
		if len(g.ops) == 1 {
			v := g.ops[0].value()
			row := make([]any, len(cols))
			for c, f := range cols {
				a, err := fieldArg(f, v.FieldByIndex(f.Index))
				if err != nil {
					return nil, fmt.Errorf("%s: %w", g.meta.Name, err)
				}
				row[c] = a
			}
			out = append(out, &stmt{
				sql:    "INSERT INTO " + table + " (" + colList(cols, "") + ") VALUES (" + placeholders(1, len(cols)) + ")" + returning,
				args:   row,
				desc:   desc,
				onRows: mkOnRows(g.ops),
			})
			continue
		}
		names := make([]string, len(cols))
		vals := make([]reflect.Value, len(g.ops))
		for i, o := range g.ops {
			vals[i] = o.value()
		}
		data := make([]column, len(cols))
		for i, f := range cols {
			names[i] = f.Column
			c, err := em.fieldColumn(g.meta.Table, f, vals)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", g.meta.Name, err)
			}
			data[i] = c
		}
		srcs, argss, err := em.render(rowSource{table: g.meta.Table, cols: names, names: names, data: data, n: len(g.ops)})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", g.meta.Name, err)
		}
		per := len(g.ops)
		if len(srcs) > 1 {
			per = maxParams / len(cols)
		}
		for i, src := range srcs {
			lo := i * per
			hi := lo + per
			if hi > len(g.ops) {
				hi = len(g.ops)
			}
			out = append(out, &stmt{
				sql:    "INSERT INTO " + table + " (" + colList(cols, "") + ") SELECT * FROM " + src + returning,
				args:   argss[i],
				desc:   desc,
				onRows: mkOnRows(g.ops[lo:hi]),
			})
		}
	}
	return append(out, copies...), nil
}

func scanFields(fs []*Field, v reflect.Value) []any {
	out := make([]any, len(fs))
	for i, f := range fs {
		fv := v.FieldByIndex(f.Index)
		if f.JSON {
			out[i] = &jsonScanner{dst: fv}
		} else if d := plainDst(fv); d != nil {
			out[i] = d
		} else {
			out[i] = fv.Addr().Interface()
		}
	}
	return out
}

const versionAlias = "__uow_old_version"

// setStmts renders UPDATEs of the given columns for a group of ops of one
// entity type; with check, the expected old versions are compared and a
// mismatch makes the statement fail (and so the transaction).
func (em *EntityManager) setStmts(meta *Entity, ops []*op, set []*Field, check bool, what string) ([]*stmt, error) {
	table := quoteTable(meta.Table)
	pk := meta.PrimaryKey
	// Single row: SET columns first, then the key, then the old version.
	var row []any
	if len(ops) == 1 {
		o := ops[0]
		v := o.value()
		for _, f := range set {
			a, err := fieldArg(f, v.FieldByIndex(f.Index))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", meta.Name, err)
			}
			row = append(row, a)
		}
		for _, f := range pk {
			row = append(row, v.FieldByIndex(f.Index).Interface())
		}
		if check {
			row = append(row, o.oldVer)
		}
	}
	desc := fmt.Sprintf("%s %d %s row(s) in %s", what, len(ops), meta.Name, meta.Table)
	wrap := func(upd string, n int) string {
		if !check {
			return upd
		}
		return "WITH u AS (" + upd + " RETURNING 1) SELECT CASE WHEN count(*) = " + itoa(n) +
			" THEN count(*) ELSE ('" + staleMarker + " ' || count(*))::int8 END FROM u"
	}
	var out []*stmt
	if len(ops) == 1 {
		var b strings.Builder
		b.WriteString("UPDATE " + table + " SET ")
		for i, f := range set {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s = $%d", quoteIdent(f.Column), i+1)
		}
		b.WriteString(" WHERE ")
		for i, f := range pk {
			if i > 0 {
				b.WriteString(" AND ")
			}
			fmt.Fprintf(&b, "%s = $%d", quoteIdent(f.Column), len(set)+i+1)
		}
		if check {
			fmt.Fprintf(&b, " AND %s = $%d", quoteIdent(meta.Version.Column), len(row))
		}
		s := &stmt{sql: wrap(b.String(), 1), args: row, desc: desc}
		if check {
			s.onRows = func(pgx.Rows) error { return nil }
			s.stale = ops
		}
		return append(out, s), nil
	}
	cols := make([]string, 0, len(pk)+len(set)+1)
	names := make([]string, 0, cap(cols))
	for _, f := range pk {
		cols = append(cols, f.Column)
		names = append(names, f.Column)
	}
	for _, f := range set {
		cols = append(cols, f.Column)
		names = append(names, f.Column)
	}
	if check {
		cols = append(cols, meta.Version.Column)
		names = append(names, versionAlias)
	}
	// set columns may repeat key names only if a key were updated, which
	// never happens (keys are not diffed).
	vals := make([]reflect.Value, len(ops))
	for i, o := range ops {
		vals[i] = o.value()
	}
	var data []column
	for _, f := range append(append([]*Field(nil), pk...), set...) {
		c, err := em.fieldColumn(meta.Table, f, vals)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", meta.Name, err)
		}
		data = append(data, c)
	}
	if check {
		old := make([]any, len(ops))
		for i, o := range ops {
			old[i] = o.oldVer
		}
		data = append(data, column{anys: old})
	}
	srcs, argss, err := em.render(rowSource{table: meta.Table, cols: cols, names: names, data: data, n: len(ops)})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", meta.Name, err)
	}
	per := len(ops)
	if len(srcs) > 1 {
		per = maxParams / len(cols)
	}
	t0 := quoteIdent("t0")
	for i, src := range srcs {
		lo := i * per
		hi := lo + per
		if hi > len(ops) {
			hi = len(ops)
		}
		var b strings.Builder
		b.WriteString("UPDATE " + table + " AS " + t0 + " SET ")
		for j, f := range set {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteIdent(f.Column) + " = v." + quoteIdent(f.Column))
		}
		b.WriteString(" FROM " + src + " WHERE ")
		for j, f := range pk {
			if j > 0 {
				b.WriteString(" AND ")
			}
			b.WriteString(t0 + "." + quoteIdent(f.Column) + " = v." + quoteIdent(f.Column))
		}
		if check {
			b.WriteString(" AND " + t0 + "." + quoteIdent(meta.Version.Column) + " = v." + quoteIdent(versionAlias))
		}
		s := &stmt{sql: wrap(b.String(), hi-lo), args: argss[i], desc: desc}
		if check {
			s.onRows = func(pgx.Rows) error { return nil }
			s.stale = ops[lo:hi]
		}
		out = append(out, s)
	}
	return out, nil
}

func (em *EntityManager) updateStmts(p *plan, order map[*Entity]int) ([]*stmt, int, error) {
	type group struct {
		meta    *Entity
		changed []int
		ops     []*op
	}
	var groups []*group
	idx := map[groupKey]*group{}
	setNames := map[*int]string{}
	for _, o := range p.ops {
		if !o.update || o.remove || o.insert {
			continue
		}
		// changed sets are interned (plan.intern): render each one once
		cs, ok := setNames[&o.changed[0]]
		if !ok {
			cs = colSet(o.changed)
			setNames[&o.changed[0]] = cs
		}
		k := groupKey{o.en.meta, cs, false}
		g := idx[k]
		if g == nil {
			g = &group{meta: o.en.meta, changed: o.changed}
			idx[k] = g
			groups = append(groups, g)
		}
		g.ops = append(g.ops, o)
	}
	sort.SliceStable(groups, func(i, j int) bool { return order[groups[i].meta] < order[groups[j].meta] })
	var out []*stmt
	n := 0
	for _, g := range groups {
		set := make([]*Field, len(g.changed))
		for i, c := range g.changed {
			set[i] = g.meta.Fields[c]
		}
		sts, err := em.setStmts(g.meta, g.ops, set, g.meta.Version != nil, "update")
		if err != nil {
			return nil, 0, err
		}
		out = append(out, sts...)
		n += len(g.ops)
	}
	return out, n, nil
}

func (em *EntityManager) fixupStmts(fix []*fixup) ([]*stmt, int, error) {
	type group struct {
		meta *Entity
		cols []int
		ops  []*op
	}
	var groups []*group
	idx := map[string]*group{}
	for _, f := range fix {
		k := f.o.en.meta.Name + "|" + fmt.Sprint(f.cols)
		g := idx[k]
		if g == nil {
			g = &group{meta: f.o.en.meta, cols: f.cols}
			idx[k] = g
			groups = append(groups, g)
		}
		g.ops = append(g.ops, f.o)
	}
	var out []*stmt
	n := 0
	for _, g := range groups {
		set := make([]*Field, len(g.cols))
		for i, c := range g.cols {
			set[i] = g.meta.Fields[c]
		}
		sts, err := em.setStmts(g.meta, g.ops, set, false, "fix up cycle-broken foreign keys of")
		if err != nil {
			return nil, 0, err
		}
		out = append(out, sts...)
		n += len(g.ops)
	}
	return out, n, nil
}

func (em *EntityManager) deleteStmts(p *plan, order map[*Entity]int) ([]*stmt, int, error) {
	byMeta := map[*Entity][]*op{}
	var metas []*Entity
	for _, o := range p.ops {
		if !o.remove {
			continue
		}
		if byMeta[o.en.meta] == nil {
			metas = append(metas, o.en.meta)
		}
		byMeta[o.en.meta] = append(byMeta[o.en.meta], o)
	}
	sort.SliceStable(metas, func(i, j int) bool { return order[metas[i]] > order[metas[j]] })
	var out []*stmt
	n := 0
	for _, meta := range metas {
		ops := byMeta[meta]
		n += len(ops)
		check := meta.Version != nil
		if meta.SoftDelete != nil {
			for _, o := range ops {
				w := o.writable()
				sd := w.FieldByIndex(meta.SoftDelete.Index)
				setTime(sd.Field(0), p.now, 0)
				sd.Field(1).SetBool(true)
			}
			sts, err := em.setStmts(meta, ops, []*Field{meta.SoftDelete}, check, "soft-delete")
			if err != nil {
				return nil, 0, err
			}
			out = append(out, sts...)
			continue
		}
		table := quoteTable(meta.Table)
		desc := fmt.Sprintf("delete %d %s row(s) from %s", len(ops), meta.Name, meta.Table)
		if !check && len(meta.PrimaryKey) == 1 {
			pk := meta.PrimaryKey[0]
			typ, _ := em.castOf(meta.Table, pk.Column)
			keys := make([]any, len(ops))
			for i, o := range ops {
				keys[i] = o.en.val().FieldByIndex(pk.Index).Interface()
			}
			if len(ops) == 1 {
				out = append(out, &stmt{sql: "DELETE FROM " + table + " WHERE " + quoteIdent(pk.Column) + " = $1", args: keys, desc: desc, isDel: true})
			} else {
				out = append(out, &stmt{sql: "DELETE FROM " + table + " WHERE " + quoteIdent(pk.Column) + " = ANY($1::" + typ + "[])", args: []any{keys}, desc: desc, isDel: true})
			}
			continue
		}
		var cols, names []string
		for _, f := range meta.PrimaryKey {
			cols = append(cols, f.Column)
			names = append(names, f.Column)
		}
		if check {
			cols = append(cols, meta.Version.Column)
			names = append(names, versionAlias)
		}
		vals := make([]reflect.Value, len(ops))
		for i, o := range ops {
			vals[i] = o.en.val()
		}
		var data []column
		for _, f := range meta.PrimaryKey {
			c, err := em.fieldColumn(meta.Table, f, vals)
			if err != nil {
				return nil, 0, fmt.Errorf("%s: %w", meta.Name, err)
			}
			data = append(data, c)
		}
		if check {
			old := make([]any, len(ops))
			for i, o := range ops {
				old[i] = o.oldVer
			}
			data = append(data, column{anys: old})
		}
		srcs, argss, err := em.render(rowSource{table: meta.Table, cols: cols, names: names, data: data, n: len(ops)})
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", meta.Name, err)
		}
		per := len(ops)
		if len(srcs) > 1 {
			per = maxParams / len(cols)
		}
		t0 := quoteIdent("t0")
		for i, src := range srcs {
			lo := i * per
			hi := lo + per
			if hi > len(ops) {
				hi = len(ops)
			}
			var b strings.Builder
			b.WriteString("DELETE FROM " + table + " AS " + t0 + " USING " + src + " WHERE ")
			for j, f := range meta.PrimaryKey {
				if j > 0 {
					b.WriteString(" AND ")
				}
				b.WriteString(t0 + "." + quoteIdent(f.Column) + " = v." + quoteIdent(f.Column))
			}
			sqlText := b.String()
			s := &stmt{args: argss[i], desc: desc, isDel: true}
			if check {
				sqlText += " AND " + t0 + "." + quoteIdent(meta.Version.Column) + " = v." + quoteIdent(versionAlias)
				sqlText = "WITH u AS (" + sqlText + " RETURNING 1) SELECT CASE WHEN count(*) = " + itoa(hi-lo) +
					" THEN count(*) ELSE ('" + staleMarker + " ' || count(*))::int8 END FROM u"
				s.onRows = func(pgx.Rows) error { return nil }
				s.stale = ops[lo:hi]
			}
			s.sql = sqlText
			out = append(out, s)
		}
	}
	return out, n, nil
}

// m2mStmts renders join-table deletes and inserts.
func (em *EntityManager) m2mStmts(p *plan) ([]*stmt, error) {
	type group struct {
		rel  *Relation
		add  bool
		rows [][]any
	}
	var groups []*group
	idx := map[string]*group{}
	for _, c := range p.m2m {
		k := fmt.Sprintf("%p|%v", c.rel, c.add)
		g := idx[k]
		if g == nil {
			g = &group{rel: c.rel, add: c.add}
			idx[k] = g
			groups = append(groups, g)
		}
		ov := c.owner.val()
		if po := p.byEntry[c.owner]; po != nil {
			ov = po.value()
		}
		row := tupleOf(ov, c.rel.OwnerKey)
		if c.target.seq == 0 && !c.target.val().IsValid() {
			if len(c.rel.TargetKey) != 1 {
				continue
			}
			row = append(row, c.target.key.value())
		} else {
			tv := c.target.val()
			if po := p.byEntry[c.target]; po != nil {
				tv = po.value()
			}
			row = append(row, tupleOf(tv, c.rel.TargetKey)...)
		}
		g.rows = append(g.rows, row)
	}
	sort.SliceStable(groups, func(i, j int) bool { return !groups[i].add && groups[j].add })
	var out []*stmt
	for _, g := range groups {
		if len(g.rows) == 0 {
			continue
		}
		cols := append(append([]string(nil), g.rel.JoinForeignKey...), g.rel.JoinReferences...)
		srcs, argss, err := em.render(rowSource{table: g.rel.JoinTable, cols: cols, names: cols, data: anyColumns(g.rows, len(cols)), n: len(g.rows)})
		if err != nil {
			return nil, fmt.Errorf("join table %s: %w", g.rel.JoinTable, err)
		}
		quoted := make([]string, len(cols))
		for i, c := range cols {
			quoted[i] = quoteIdent(c)
		}
		jt := quoteTable(g.rel.JoinTable)
		for i, src := range srcs {
			if g.add {
				out = append(out, &stmt{
					sql:  "INSERT INTO " + jt + " (" + strings.Join(quoted, ", ") + ") SELECT * FROM " + src + " ON CONFLICT DO NOTHING",
					args: argss[i], desc: fmt.Sprintf("insert %d row(s) into join table %s", len(g.rows), g.rel.JoinTable),
				})
			} else {
				var conds []string
				for _, q := range quoted {
					conds = append(conds, "j."+q+" = v."+q)
				}
				out = append(out, &stmt{
					sql:  "DELETE FROM " + jt + " AS j USING " + src + " WHERE " + strings.Join(conds, " AND "),
					args: argss[i], desc: fmt.Sprintf("delete %d row(s) from join table %s", len(g.rows), g.rel.JoinTable),
				})
			}
		}
	}
	return out, nil
}

// copyThreshold is the number of new rows of one type from which Flush
// inserts them with COPY (keys pre-allocated from the key's sequence)
// rather than with INSERT ... SELECT FROM unnest(...) RETURNING. COPY costs
// two more round trips (allocating the keys, then the COPY itself) but
// less work per row on both sides; see docs/uow.md for the measurements.
var copyThreshold = 1000

// copyRows is a COPY of new rows of one entity type.
type copyRows struct {
	table  pgx.Identifier
	cols   []string
	fields []*Field
	srcs   []func(reflect.Value) any // per field: a valueSource, or nil (fieldArg)
	ops    []*op
}

func (c *copyRows) source() pgx.CopyFromSource {
	return &copySource{c: c, row: make([]any, len(c.fields))}
}

// copySource feeds COPY from the ops' work values. pgx encodes each row
// before asking for the next one, so the row slice is reused.
type copySource struct {
	c   *copyRows
	i   int
	row []any
}

func (s *copySource) Next() bool {
	s.i++
	return s.i <= len(s.c.ops)
}

func (s *copySource) Values() ([]any, error) {
	v := s.c.ops[s.i-1].value()
	for j, f := range s.c.fields {
		fv := v.FieldByIndex(f.Index)
		if src := s.c.srcs[j]; src != nil {
			s.row[j] = src(fv)
			continue
		}
		a, err := fieldArg(f, fv)
		if err != nil {
			return nil, err
		}
		s.row[j] = a
	}
	return s.row, nil
}

func (s *copySource) Err() error { return nil }

// keyAllocations returns the statements that take generated keys from
// their sequence for the groups of new entities that will be inserted
// with COPY: copyThreshold or more new entities of one type whose only
// column left to the database is a single integer key backed by a
// sequence, in a table COPY can write. The ops are marked keyAlloc (their
// key is no longer left to the database, and they are inserted with COPY);
// each statement assigns the keys to the ops' work values when its result
// comes back.
func (em *EntityManager) keyAllocations(p *plan) []*stmt {
	groups := map[*Entity][]*op{}
	var metas []*Entity
	for _, o := range p.ops {
		meta := o.en.meta
		if !o.insert || len(o.omit) != 1 || len(meta.PrimaryKey) != 1 || meta.Fields[o.omit[0]] != meta.PrimaryKey[0] {
			continue
		}
		if groups[meta] == nil {
			metas = append(metas, meta)
		}
		groups[meta] = append(groups[meta], o)
	}
	var out []*stmt
	for _, meta := range metas {
		ops := groups[meta]
		pk := meta.PrimaryKey[0]
		ti := em.orm.table(meta.Table)
		if len(ops) < copyThreshold || !isIntKind(pk.Type.Kind()) || ti == nil || !ti.copyable {
			continue
		}
		ci := ti.cols[pk.Column]
		if ci == nil || ci.sequence == "" {
			continue
		}
		for _, o := range ops {
			o.keyAlloc = true
			o.omit = nil
		}
		out = append(out, &stmt{
			sql:  "SELECT array(SELECT nextval($1::regclass) FROM generate_series(1, $2))",
			args: []any{ci.sequence, len(ops)},
			desc: fmt.Sprintf("allocate %d %s keys from %s", len(ops), meta.Name, ci.sequence),
			onRows: func(rows pgx.Rows) error {
				var ids []int64
				if err := rows.Scan(&ids); err != nil {
					return err
				}
				if len(ids) != len(ops) {
					return fmt.Errorf("got %d keys, expected %d", len(ids), len(ops))
				}
				idv := reflect.ValueOf(ids)
				for i, o := range ops {
					if err := assignValue(o.writable().FieldByIndex(pk.Index), idv.Index(i)); err != nil {
						return fmt.Errorf("%s.%s: %w", meta.Name, pk.Name, err)
					}
				}
				return nil
			},
		})
	}
	return out
}

// groupKey groups the ops of one statement: an entity type, a set of
// columns (omitted, changed), a flag.
type groupKey struct {
	meta *Entity
	cols string
	flag bool
}

// colSet renders a list of field positions as a map key; it allocates
// nothing for an empty list or a single position below 64.
func colSet(cols []int) string {
	switch {
	case len(cols) == 0:
		return ""
	case len(cols) == 1 && cols[0] < len(smallSets):
		return smallSets[cols[0]]
	}
	b := make([]byte, 0, 4*len(cols))
	for _, c := range cols {
		b = strconv.AppendInt(b, int64(c), 10)
		b = append(b, ',')
	}
	return string(b)
}

var smallSets = func() (out [64]string) {
	for i := range out {
		out[i] = strconv.Itoa(i) + ","
	}
	return out
}()
