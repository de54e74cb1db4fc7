package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ormshift/ormshift/internal/pgtest"
)

func baselineRun(t *testing.T, args ...string) (string, int) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	if err == nil {
		return out.String(), 0
	}
	var ex *exitError
	if errors.As(err, &ex) {
		if ex.err != nil {
			out.WriteString(ex.err.Error())
		}
		return out.String(), ex.code
	}
	return out.String() + err.Error(), 1
}

func baselineFixture(t *testing.T) *pgtest.DB {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "baseline", "fixture.sql"))
	if err != nil {
		t.Fatal(err)
	}
	db := pgtest.New(t)
	if _, err := db.Pool.Exec(context.Background(), string(b)); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestBaselineCreateAndDrift(t *testing.T) {
	db := baselineFixture(t)
	dir := filepath.Join(t.TempDir(), "migrations")
	out, code := baselineRun(t, "baseline", "create", "--dsn", db.DSN, "--dir", dir, "--tool", "goose", "--version", "1", "--mark")
	if code != 0 || !strings.Contains(out, "wrote "+filepath.Join(dir, "1_baseline.sql")) || !strings.Contains(out, "recorded as applied in goose_db_version") ||
		!strings.Contains(out, "7 tables") {
		t.Fatalf("create: code %d\n%s", code, out)
	}
	// The live database and the new migrations folder are in sync.
	out, code = baselineRun(t, "baseline", "drift", db.DSN, dir)
	if code != 0 || !strings.Contains(out, "in sync: no differences, nothing skipped") {
		t.Fatalf("drift: code %d\n%s", code, out)
	}
	// Also when the folder is applied to a scratch database.
	dev := pgtest.New(t)
	out, code = baselineRun(t, "baseline", "drift", "--dev-dsn", dev.DSN, dir, db.DSN)
	if code != 0 {
		t.Fatalf("drift --dev-dsn: code %d\n%s", code, out)
	}
	// A change in the database is drift: exit 2, with the SQL to repair it.
	if _, err := db.Pool.Exec(context.Background(), "ALTER TABLE users ADD COLUMN nickname text; DROP INDEX billing.invoices_tags_gin"); err != nil {
		t.Fatal(err)
	}
	out, code = baselineRun(t, "baseline", "drift", dir, db.DSN)
	if code != 2 || !strings.Contains(out, "+ column public.users.nickname") || !strings.Contains(out, "ALTER TABLE public.users ADD COLUMN nickname text;") ||
		!strings.Contains(out, "DROP INDEX billing.invoices_tags_gin;") {
		t.Fatalf("drift after change: code %d\n%s", code, out)
	}
	out, code = baselineRun(t, "baseline", "drift", "--format", "json", dir, db.DSN)
	var js struct {
		Status  string `json:"status"`
		Changes []struct{ Op, Kind, Name string }
		SQL     string `json:"sql"`
	}
	if err := json.Unmarshal([]byte(out), &js); err != nil || code != 2 || js.Status != "differs" || len(js.Changes) != 2 {
		t.Fatalf("drift --format json: code %d err %v\n%s", code, err, out)
	}
	// The SQL takes the folder's schema to the database's.
	out, code = baselineRun(t, "baseline", "drift", "--sql", dir, db.DSN)
	if code != 2 {
		t.Fatalf("drift --sql: code %d", code)
	}
	out2, _ := baselineRun(t, "baseline", "inspect", "--format", "sql", dir)
	fixed := pgtest.New(t)
	if _, err := fixed.Pool.Exec(context.Background(), out2+out); err != nil {
		t.Fatalf("apply baseline + drift SQL: %v\n%s", err, out)
	}
	if out, code := baselineRun(t, "baseline", "drift", fixed.DSN, db.DSN); code != 0 {
		t.Fatalf("after applying the drift SQL: code %d\n%s", code, out)
	}
}

func TestBaselineDriftSkippedAndErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "1_a.sql"), []byte("CREATE TABLE a (id int);\nDO $$ BEGIN NULL; END $$;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	db := pgtest.New(t)
	if _, err := db.Pool.Exec(context.Background(), "CREATE TABLE a (id int)"); err != nil {
		t.Fatal(err)
	}
	out, code := baselineRun(t, "baseline", "drift", db.DSN, dir)
	if code != 3 || !strings.Contains(out, "NOT in sync") || !strings.Contains(out, "1_a.sql:2: statement DO block") {
		t.Fatalf("skipped: code %d\n%s", code, out)
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "1_bad.sql"), []byte("CREATE TABLE a (id int);\nCREATE TABEL b (id int);\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = baselineRun(t, "baseline", "drift", db.DSN, bad)
	if code != 1 || !strings.Contains(out, "1_bad.sql:2: syntax error at or near \"TABEL\"") {
		t.Fatalf("parse error: code %d\n%s", code, out)
	}
	out, code = baselineRun(t, "baseline", "drift", "postgres://postgres@127.0.0.1:1/nope?connect_timeout=2", dir)
	if code != 1 || !strings.Contains(out, "connect to postgres@127.0.0.1:1/nope") {
		t.Fatalf("bad DSN: code %d\n%s", code, out)
	}
	target := filepath.Join(t.TempDir(), "m")
	out, code = baselineRun(t, "baseline", "create", "--dsn", "postgres://postgres@127.0.0.1:1/nope?connect_timeout=2", "--dir", target, "--tool", "flyway")
	if code != 1 || !strings.Contains(out, "connect to") {
		t.Fatalf("create with bad DSN: code %d\n%s", code, out)
	}
	if _, err := os.Stat(target); err == nil {
		t.Error("files written despite the bad DSN")
	}
	out, code = baselineRun(t, "baseline", "create", "--dsn", db.DSN, "--dir", target, "--tool", "liquibase")
	if code != 1 || !strings.Contains(out, `unknown tool "liquibase"`) {
		t.Fatalf("bad tool: code %d\n%s", code, out)
	}
}

func TestBaselineCreateRefusesOtherToolsTable(t *testing.T) {
	db := pgtest.New(t)
	if _, err := db.Pool.Exec(context.Background(), "CREATE TABLE t (id int); CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "m")
	out, code := baselineRun(t, "baseline", "create", "--dsn", db.DSN, "--dir", dir, "--tool", "golang-migrate", "--mark")
	if code != 1 || !strings.Contains(out, "nothing written: history table schema_migrations: exists with the shape of dbmate's history table, not golang-migrate's") {
		t.Fatalf("code %d\n%s", code, out)
	}
	if _, err := os.Stat(dir); err == nil {
		if ents, _ := os.ReadDir(dir); len(ents) > 0 {
			t.Errorf("files written: %v", ents)
		}
	}
}

func TestRedactDSN(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://app:s3cret@db:5432/shop": "postgres://app:xxxxx@db:5432/shop",
		"postgres://app@db/shop":             "postgres://app@db/shop",
		"host=db user=app password=s3cret":   "host=db user=app password=xxxxx",
		"host=db password='a b' dbname=shop": "host=db password=xxxxx dbname=shop",
	} {
		if got := redactDSN(in); got != want {
			t.Errorf("redactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBaselineDriftEntities(t *testing.T) {
	db := pgtest.New(t)
	if _, err := db.Pool.Exec(context.Background(), `CREATE TABLE packages (id bigserial PRIMARY KEY, name varchar(100) NOT NULL UNIQUE,
  weekly_downloads bigint NOT NULL DEFAULT 0, description text, created_at timestamptz NOT NULL DEFAULT now(), legacy text);
CREATE TABLE versions (id bigserial PRIMARY KEY, package_id bigint NOT NULL REFERENCES packages(id), number text)`); err != nil {
		t.Fatal(err)
	}
	app, err := filepath.Abs(filepath.Join("..", "..", "testdata", "baseline", "entities-app"))
	if err != nil {
		t.Fatal(err)
	}
	// -C changes this process's directory: put it back for the other tests.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chdir(wd) })
	out, code := baselineRun(t, "-C", app, "baseline", "drift", db.DSN, "entities:./models")
	if err := os.Chdir(wd); err != nil {
		t.Fatal(err)
	}
	if code != 2 || !strings.Contains(out, "~ column nullability public.versions.number") ||
		!strings.Contains(out, "ALTER TABLE public.versions ALTER COLUMN number SET NOT NULL;") ||
		!strings.Contains(out, "not mapped by any entity (1): column public.packages.legacy") {
		t.Fatalf("code %d\n%s", code, out)
	}
	out, code = baselineRun(t, "-C", app, "baseline", "drift", "entities:./models", db.DSN)
	if err := os.Chdir(wd); err != nil {
		t.Fatal(err)
	}
	if code != 1 || !strings.Contains(out, "can only be TO") {
		t.Fatalf("entities as FROM: code %d\n%s", code, out)
	}
}
