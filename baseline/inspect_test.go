package baseline

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ormshift/ormshift/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func fixtureSQL(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "baseline", "fixture.sql"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func applySQL(t testing.TB, db *pgtest.DB, sql string) {
	t.Helper()
	if _, err := db.Pool.Exec(context.Background(), sql); err != nil {
		t.Fatalf("apply SQL: %v", err)
	}
}

func inspect(t testing.TB, db *pgtest.DB) *Schema {
	t.Helper()
	s, err := Inspect(context.Background(), db.Pool)
	if err != nil {
		t.Fatalf("inspect: %v", err)
	}
	return s
}

func mustJSON(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// TestInspectFixture checks that inspection sees every object kind of the
// fixture, with PostgreSQL's own rendering of each definition.
func TestInspectFixture(t *testing.T) {
	db := pgtest.New(t)
	applySQL(t, db, fixtureSQL(t))
	s := inspect(t, db)
	want := map[string]int{
		"extension": 3, "schema": 3, "enum": 1, "domain": 2, "composite": 1, "sequence": 2,
		"table": 7, "index": 6, "function": 5, "trigger": 1, "policy": 2, "view": 2, "materialized view": 1,
	}
	got := s.Counts()
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: got %d, want %d (all counts %v)", k, got[k], n, got)
		}
	}
	if len(s.Skipped) != 0 {
		t.Errorf("skipped: %v", s.Skipped)
	}
	u := s.table("public", "users")
	if u == nil {
		t.Fatalf("no users table: %s", mustJSON(s.Tables))
	}
	checks := map[string]string{
		"id":         `{"name":"id","type":"bigint","not_null":true,"identity":"BY DEFAULT","identity_options":"START WITH 1000 INCREMENT BY 10"}`,
		"name":       `{"name":"name","type":"character varying(100)","not_null":true,"default":"'anonymous'::character varying","collation":"pg_catalog.\"C\""}`,
		"feeling":    `{"name":"feeling","type":"public.mood","default":"'ok'::public.mood"}`,
		"name_upper": `{"name":"name_upper","type":"text","generated":"upper((name)::text)"}`,
		"email":      `{"name":"email","type":"public.citext","not_null":true}`,
	}
	for col, w := range checks {
		c := u.column(col)
		if c == nil {
			t.Errorf("no column %s", col)
			continue
		}
		b, _ := json.Marshal(c)
		if string(b) != w {
			t.Errorf("column %s:\n got %s\nwant %s", col, b, w)
		}
	}
	inv := s.table("billing", "invoices")
	var fk string
	for _, c := range inv.Constraints {
		if c.Kind == "f" {
			fk = c.Def
		}
	}
	if fk != "FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED" {
		t.Errorf("foreign key: %q", fk)
	}
	var serial *Sequence
	for i := range s.Sequences {
		if s.Sequences[i].Name == "invoices_id_seq" {
			serial = &s.Sequences[i]
		}
	}
	if serial == nil || serial.OwnedBy == nil || *serial.OwnedBy != (ColumnRef{"billing", "invoices", "id"}) {
		t.Errorf("serial sequence ownership: %s", mustJSON(serial))
	}
	ev := s.table("public", "events_2024")
	if ev.PartitionOf == nil || ev.PartitionOf.Name != "events" || !strings.HasPrefix(ev.Bound, "FOR VALUES FROM") || len(ev.Columns) != 0 || len(ev.Constraints) != 0 {
		t.Errorf("partition: %s", mustJSON(ev))
	}
}

// TestRoundTrip: apply the fixture, inspect, write DDL, apply that to an
// empty database, inspect again: the two models and the two DDL texts must
// be identical.
func TestRoundTrip(t *testing.T) {
	src := pgtest.New(t)
	applySQL(t, src, fixtureSQL(t))
	s1 := inspect(t, src)
	ddl1 := WriteSQL(s1)

	dst := pgtest.New(t)
	applySQL(t, dst, ddl1)
	s2 := inspect(t, dst)
	ddl2 := WriteSQL(s2)
	if d := Diff(s1, s2); !d.Equal() {
		t.Errorf("models differ after round trip:\n%s", d.Text())
	}
	if ddl1 != ddl2 {
		t.Errorf("DDL differs after round trip:\n--- first\n%s\n--- second\n%s", ddl1, ddl2)
	}
	if mustJSON(s1) != mustJSON(s2) {
		t.Errorf("model JSON differs after round trip")
	}
	if WriteSQL(s1) != ddl1 {
		t.Errorf("WriteSQL is not deterministic")
	}
}

// TestRoundTripDetectsChange makes sure the round-trip comparison can fail.
func TestRoundTripDetectsChange(t *testing.T) {
	a := pgtest.New(t)
	applySQL(t, a, fixtureSQL(t))
	s1 := inspect(t, a)
	applySQL(t, a, `ALTER TABLE users ALTER COLUMN score SET DEFAULT 5; DROP INDEX billing.invoices_tags_gin; CREATE VIEW extra AS SELECT 1 AS one`)
	s2 := inspect(t, a)
	d := Diff(s1, s2)
	if d.Equal() {
		t.Fatal("changes not detected")
	}
	text := d.Text()
	for _, w := range []string{"public.users.score", "billing.invoices_tags_gin", "public.extra"} {
		if !strings.Contains(text, w) {
			t.Errorf("diff does not mention %s:\n%s", w, text)
		}
	}
}

// TestInspectListsWhatItDoesNotModel: every kind of object outside the
// model is listed as skipped, so a comparison can never be "in sync".
func TestInspectListsWhatItDoesNotModel(t *testing.T) {
	db := pgtest.New(t)
	applySQL(t, db, `
CREATE TABLE t (id int, v int);
CREATE RULE t_no_delete AS ON DELETE TO t DO INSTEAD NOTHING;
CREATE AGGREGATE my_sum(int) (sfunc = int4pl, stype = int);
CREATE FUNCTION t_eq(a t, b t) RETURNS boolean LANGUAGE sql AS $$ SELECT a.id = b.id $$;
CREATE OPERATOR === (leftarg = t, rightarg = t, function = t_eq);
CREATE TYPE floatrange AS RANGE (subtype = float8);
CREATE TABLE parent (id int);
CREATE TABLE child (extra text) INHERITS (parent);
CREATE TYPE pair AS (a int, b int);
CREATE TABLE typed OF pair;
CREATE COLLATION my_coll (provider = icu, locale = 'de-u-co-phonebk');
CREATE TEXT SEARCH CONFIGURATION my_ts (COPY = english);
CREATE STATISTICS t_stats ON id, v FROM t;
CREATE PUBLICATION my_pub FOR TABLE t;
GRANT SELECT ON t TO PUBLIC;`)
	s := inspect(t, db)
	kinds := map[string]bool{}
	for _, k := range s.Skipped {
		kinds[k.Kind] = true
	}
	for _, want := range []string{"rule", "aggregate", "operator", "type", "table", "typed table", "collation",
		"text search configuration", "statistics", "publication", "privileges"} {
		if !kinds[want] {
			t.Errorf("%s not listed as skipped; skipped: %v", want, s.Skipped)
		}
	}
	d := Diff(s, s)
	if !d.Equal() || d.Complete() {
		t.Error("a schema with skipped objects compared with itself must be equal but not complete")
	}
}
