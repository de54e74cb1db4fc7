package dualrun

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// EffectOptions tunes the comparison of row effects.
type EffectOptions struct {
	// TimestampPrecision, when set, truncates timestamp columns to it; when
	// zero (the default) a timestamp column is only compared as set or NULL
	// (the two paths run at different instants).
	TimestampPrecision time.Duration
	// IgnoreColumns are not compared: "column" in every table, or
	// "table.column" / "schema.table.column".
	IgnoreColumns []string
	// MaxDiffs bounds the differences listed (default 10).
	MaxDiffs int
}

// netEffect is the net change one phase made to one row.
type netEffect struct {
	table string
	key   string         // normalised primary key ("id=3", "id=new#1"), or content for keyless tables
	old   map[string]any // nil: the row did not exist before
	new   map[string]any // nil: the row does not exist after
	seq   int64
}

func (n *netEffect) kind() string {
	switch {
	case n.old == nil:
		return "insert"
	case n.new == nil:
		return "delete"
	}
	return "update"
}

// EffectSummary counts the net effects of one phase per kind.
type EffectSummary struct {
	Inserts int `json:"inserts"`
	Updates int `json:"updates"`
	Deletes int `json:"deletes"`
}

func (s EffectSummary) String() string {
	return fmt.Sprintf("%d insert(s), %d update(s), %d delete(s)", s.Inserts, s.Updates, s.Deletes)
}

// normaliser rewrites one phase's effects into comparable net effects.
type normaliser struct {
	meta map[string]*tableMeta
	opts EffectOptions
}

func decodeRow(b []byte) (map[string]any, error) {
	if b == nil {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode captured row: %w", err)
	}
	return m, nil
}

func canon(v any) string {
	b, _ := json.Marshal(v) // maps marshal with sorted keys
	return string(b)
}

func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return canon(v)
}

// net turns a phase's effects into net effects per row, with generated keys
// replaced by ordinals, foreign keys to them rewritten, timestamps
// normalised and ignored columns dropped.
func (n *normaliser) net(effects []Effect) ([]*netEffect, EffectSummary, error) {
	for i := range effects {
		var err error
		if effects[i].Old, err = decodeRow(effects[i].oldRaw); err != nil {
			return nil, EffectSummary{}, fmt.Errorf("%s: %w", effects[i].Table, err)
		}
		if effects[i].New, err = decodeRow(effects[i].newRaw); err != nil {
			return nil, EffectSummary{}, fmt.Errorf("%s: %w", effects[i].Table, err)
		}
	}
	keys := n.generatedKeys(effects)
	for i := range effects {
		e := &effects[i]
		e.Old = n.rewrite(e.Table, e.Old, keys)
		e.New = n.rewrite(e.Table, e.New, keys)
	}
	byKey := map[string]*netEffect{}
	var order []*netEffect
	for i := range effects {
		e := &effects[i]
		m := n.meta[e.Table]
		identity := func(row map[string]any) string {
			if m == nil || len(m.pk) == 0 || row == nil {
				return fmt.Sprintf("#%d", e.Seq)
			}
			parts := make([]string, len(m.pk))
			for j, c := range m.pk {
				parts[j] = c + "=" + scalar(row[c])
			}
			return strings.Join(parts, ",")
		}
		switch e.Op {
		case 'I':
			k := identity(e.New)
			if ne := byKey[e.Table+"\x00"+k]; ne != nil {
				ne.new = e.New
				continue
			}
			ne := &netEffect{table: e.Table, key: k, new: e.New, seq: e.Seq}
			byKey[e.Table+"\x00"+k] = ne
			order = append(order, ne)
		case 'U':
			k, k2 := identity(e.Old), identity(e.New)
			ne := byKey[e.Table+"\x00"+k]
			if ne == nil {
				ne = &netEffect{table: e.Table, key: k, old: e.Old, seq: e.Seq}
				order = append(order, ne)
			}
			delete(byKey, e.Table+"\x00"+k)
			ne.new, ne.key = e.New, k2
			byKey[e.Table+"\x00"+k2] = ne
		case 'D':
			k := identity(e.Old)
			if ne := byKey[e.Table+"\x00"+k]; ne != nil {
				ne.new = nil
				continue
			}
			ne := &netEffect{table: e.Table, key: k, old: e.Old, seq: e.Seq}
			byKey[e.Table+"\x00"+k] = ne
			order = append(order, ne)
		}
	}
	var out []*netEffect
	var sum EffectSummary
	for _, ne := range order {
		switch {
		case ne.old == nil && ne.new == nil:
			continue
		case ne.old != nil && ne.new != nil && canon(ne.old) == canon(ne.new):
			continue // an update that changed nothing that is compared
		}
		if m := n.meta[ne.table]; m == nil || len(m.pk) == 0 {
			// Keyless table: rows are matched by content.
			ne.key = "row " + canon(ne.old) + "->" + canon(ne.new)
		}
		switch ne.kind() {
		case "insert":
			sum.Inserts++
		case "update":
			sum.Updates++
		default:
			sum.Deletes++
		}
		out = append(out, ne)
	}
	return out, sum, nil
}

// generatedKeys maps, per table, each primary key value the phase inserted
// to an ordinal ("new#1", ...). Ordinals follow the rows' content (with
// their own keys left out and references to parents already rewritten), so
// the same rows inserted in a different order get the same ordinals;
// tables are processed parents first.
func (n *normaliser) generatedKeys(effects []Effect) map[string]map[string]string {
	inserted := map[string][]*Effect{}
	for i := range effects {
		e := &effects[i]
		if m := n.meta[e.Table]; e.Op == 'I' && m != nil && len(m.pk) == 1 && e.New != nil {
			inserted[e.Table] = append(inserted[e.Table], e)
		}
	}
	keys := map[string]map[string]string{}
	for _, t := range n.parentsFirst(inserted) {
		m := n.meta[t]
		rows := inserted[t]
		sig := make(map[*Effect]string, len(rows))
		for _, e := range rows {
			r := n.rewrite(t, e.New, keys)
			delete(r, m.pk[0])
			for c := range m.generated {
				delete(r, c)
			}
			sig[e] = canon(r)
		}
		sort.SliceStable(rows, func(i, j int) bool { return sig[rows[i]] < sig[rows[j]] })
		km := map[string]string{}
		for i, e := range rows {
			km[scalar(e.New[m.pk[0]])] = fmt.Sprintf("new#%d", i+1)
		}
		keys[t] = km
	}
	return keys
}

// parentsFirst orders tables so that a table comes after the tables its
// foreign keys reference (cycles broken arbitrarily but deterministically).
func (n *normaliser) parentsFirst(tables map[string][]*Effect) []string {
	names := make([]string, 0, len(tables))
	for t := range tables {
		names = append(names, t)
	}
	sort.Strings(names)
	var out []string
	state := map[string]int{}
	var visit func(string)
	visit = func(t string) {
		if state[t] != 0 {
			return
		}
		state[t] = 1
		if m := n.meta[t]; m != nil {
			refs := make([]string, 0, len(m.fks))
			for _, r := range m.fks {
				refs = append(refs, r)
			}
			sort.Strings(refs)
			for _, r := range refs {
				if _, ok := tables[r]; ok {
					visit(r)
				}
			}
		}
		state[t] = 2
		out = append(out, t)
	}
	for _, t := range names {
		visit(t)
	}
	return out
}

var timeLayouts = []string{"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999"}

// rewrite returns a normalised copy of one row image of table.
func (n *normaliser) rewrite(table string, row map[string]any, keys map[string]map[string]string) map[string]any {
	if row == nil {
		return nil
	}
	m := n.meta[table]
	out := make(map[string]any, len(row))
	for c, v := range row {
		if n.ignored(table, c) {
			continue
		}
		if m != nil {
			if len(m.pk) == 1 && c == m.pk[0] && v != nil {
				if k, ok := keys[table][scalar(v)]; ok {
					v = k
				}
			} else if ref, ok := m.fks[c]; ok && v != nil {
				if k, ok := keys[ref][scalar(v)]; ok {
					v = k
				}
			} else if m.generated[c] && v != nil {
				v = "<generated>"
			}
			if m.timestamps[c] && v != nil {
				v = n.timestamp(v)
			}
		}
		out[c] = v
	}
	return out
}

func (n *normaliser) timestamp(v any) any {
	if n.opts.TimestampPrecision <= 0 {
		return "<set>"
	}
	s, ok := v.(string)
	if !ok {
		return v
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.Truncate(n.opts.TimestampPrecision).UTC().Format(time.RFC3339Nano)
		}
	}
	return v
}

func (n *normaliser) ignored(table, col string) bool {
	for _, c := range n.opts.IgnoreColumns {
		if c == col || c == table+"."+col || strings.HasSuffix(table+"."+col, "."+c) {
			return true
		}
	}
	return false
}

// compareEffects compares the net effects of the control and the candidate.
func compareEffects(ctl, cand []*netEffect, opts EffectOptions) (bool, string) {
	max := opts.MaxDiffs
	if max <= 0 {
		max = 10
	}
	d := &differ{o: buildOpts(nil), max: max}
	index := func(list []*netEffect) map[string][]*netEffect {
		m := map[string][]*netEffect{}
		for _, e := range list {
			k := e.table + " " + e.key
			m[k] = append(m[k], e)
		}
		return m
	}
	ci, di := index(ctl), index(cand)
	keys := map[string]bool{}
	for k := range ci {
		keys[k] = true
	}
	for k := range di {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		a, b := ci[k], di[k]
		for len(a) > 0 && len(b) > 0 {
			x, y := a[0], b[0]
			a, b = a[1:], b[1:]
			where := x.table + " " + shortKey(x.key)
			if x.kind() != y.kind() {
				d.add(where, "control %s, candidate %s", describe(x), describe(y))
				continue
			}
			if x.old != nil {
				d.cmp(where+" before "+x.kind(), valueOf(x.old), valueOf(y.old))
			}
			if x.new != nil {
				d.cmp(where+" after "+x.kind(), valueOf(x.new), valueOf(y.new))
			}
		}
		for _, x := range a {
			d.add(x.table+" "+shortKey(x.key), "control %s; candidate did not", describe(x))
		}
		for _, y := range b {
			d.add(y.table+" "+shortKey(y.key), "candidate %s; control did not", describe(y))
		}
	}
	if d.n == 0 {
		return true, ""
	}
	return false, d.String()
}

func shortKey(k string) string {
	if len(k) > 80 {
		return k[:80] + "…"
	}
	return k
}

func describe(e *netEffect) string {
	row := func(m map[string]any) string {
		s := canon(m)
		if len(s) > 200 {
			s = s[:200] + "…"
		}
		return s
	}
	switch e.kind() {
	case "insert":
		return "inserted " + row(e.new)
	case "delete":
		return "deleted " + row(e.old)
	}
	var changed []string
	for c, v := range e.new {
		if canon(e.old[c]) != canon(v) {
			changed = append(changed, fmt.Sprintf("%s: %s -> %s", c, canon(e.old[c]), canon(v)))
		}
	}
	sort.Strings(changed)
	return "updated (" + strings.Join(changed, ", ") + ")"
}
