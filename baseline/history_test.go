package baseline

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ormshift/ormshift/internal/pgtest"
)

// The history tables as each tool creates them (from the tools' own
// PostgreSQL dialects), to check that --mark builds the same shape.
var toolDDL = map[Tool]string{
	Goose:         `CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL default now(), PRIMARY KEY(id))`,
	GolangMigrate: `CREATE TABLE IF NOT EXISTS schema_migrations (version bigint not null primary key, dirty boolean not null)`,
	Dbmate:        `create table if not exists schema_migrations (version varchar(128) primary key)`,
	Flyway: `CREATE TABLE "flyway_schema_history" ("installed_rank" INT NOT NULL, "version" VARCHAR(50), "description" VARCHAR(200) NOT NULL,
 "type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL, "checksum" INTEGER, "installed_by" VARCHAR(100) NOT NULL,
 "installed_on" TIMESTAMP NOT NULL DEFAULT now(), "execution_time" INTEGER NOT NULL, "success" BOOLEAN NOT NULL);
 ALTER TABLE "flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");`,
	Atlas: `CREATE SCHEMA "atlas_schema_revisions"; CREATE TABLE "atlas_schema_revisions"."atlas_schema_revisions" ("version" character varying NOT NULL, "description" character varying NOT NULL, "type" bigint NOT NULL DEFAULT 2, "applied" bigint NOT NULL DEFAULT 0, "total" bigint NOT NULL DEFAULT 0, "executed_at" timestamptz NOT NULL, "execution_time" bigint NOT NULL, "error" text NULL, "error_stmt" text NULL, "hash" character varying NOT NULL, "partial_hashes" jsonb NULL, "operator_version" character varying NOT NULL, PRIMARY KEY ("version"))`,
}

func columnsOf(t *testing.T, db *pgtest.DB, schema, table string) string {
	t.Helper()
	rows, err := db.Pool.Query(context.Background(), `SELECT column_name || ' ' || data_type || coalesce('(' || character_maximum_length || ')', '') || ' ' || is_nullable
FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY column_name`, schema, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return strings.Join(out, "\n")
}

func create(t *testing.T, db *pgtest.DB, opts CreateOptions) (*CreateResult, error) {
	t.Helper()
	conn, err := db.Pool.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	return Create(context.Background(), conn.Conn(), opts)
}

func TestMarkEachTool(t *testing.T) {
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, tool := range Tools {
		t.Run(string(tool), func(t *testing.T) {
			db := pgtest.New(t)
			applySQL(t, db, fixtureSQL(t))
			dir := t.TempDir()
			res, err := create(t, db, CreateOptions{Tool: tool, Dir: dir, Mark: true, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			h := histories[tool]
			schema := h.schema
			if schema == "" {
				schema = "public"
			}
			// One more database: first the tool's own history table, then
			// the baseline applied next to it.
			ref := pgtest.New(t)
			if ddl, ok := toolDDL[tool]; ok {
				applySQL(t, ref, ddl)
				if got, want := columnsOf(t, db, schema, h.name), columnsOf(t, ref, schema, h.name); got != want {
					t.Errorf("history table shape:\n got %s\nwant %s", got, want)
				}
			}
			ctx := context.Background()
			version := "20240506070809"
			if tool == Flyway {
				version = "1"
			}
			if res.Version != version {
				t.Errorf("version %s", res.Version)
			}
			mig, err := os.ReadFile(res.Files[0])
			if err != nil {
				t.Fatal(err)
			}
			switch tool {
			case Goose:
				var rows string
				if err := db.Pool.QueryRow(ctx, `SELECT string_agg(version_id || ':' || is_applied, ',' ORDER BY id) FROM goose_db_version`).Scan(&rows); err != nil {
					t.Fatal(err)
				}
				if rows != "0:true,"+version+":true" {
					t.Errorf("goose rows %q", rows)
				}
				if !strings.HasPrefix(string(mig), "-- +goose Up\n") || filepath.Base(res.Files[0]) != version+"_baseline.sql" {
					t.Errorf("goose file %s", res.Files[0])
				}
			case GolangMigrate:
				var v int64
				var dirty bool
				if err := db.Pool.QueryRow(ctx, `SELECT version, dirty FROM schema_migrations`).Scan(&v, &dirty); err != nil {
					t.Fatal(err)
				}
				if strconv.FormatInt(v, 10) != version || dirty {
					t.Errorf("golang-migrate row %d %t", v, dirty)
				}
				if filepath.Base(res.Files[0]) != version+"_baseline.up.sql" {
					t.Errorf("file %s", res.Files[0])
				}
			case Dbmate:
				var v string
				if err := db.Pool.QueryRow(ctx, `SELECT version FROM schema_migrations`).Scan(&v); err != nil {
					t.Fatal(err)
				}
				if v != version || !strings.HasPrefix(string(mig), "-- migrate:up\n") {
					t.Errorf("dbmate version %q", v)
				}
			case Flyway:
				var v, desc, typ, script string
				var ck int32
				var ok bool
				if err := db.Pool.QueryRow(ctx, `SELECT version, description, type, script, checksum, success FROM flyway_schema_history WHERE installed_rank = 1`).Scan(&v, &desc, &typ, &script, &ck, &ok); err != nil {
					t.Fatal(err)
				}
				if v != "1" || desc != "baseline" || typ != "SQL" || script != "V1__baseline.sql" || ck != FlywayChecksum(mig) || !ok {
					t.Errorf("flyway row %q %q %q %q %d %t", v, desc, typ, script, ck, ok)
				}
			case Atlas:
				var v, hash string
				var typ int64
				if err := db.Pool.QueryRow(ctx, `SELECT version, type, hash FROM atlas_schema_revisions.atlas_schema_revisions`).Scan(&v, &typ, &hash); err != nil {
					t.Fatal(err)
				}
				sum, err := os.ReadFile(filepath.Join(dir, "atlas.sum"))
				if err != nil {
					t.Fatal(err)
				}
				checkAtlasSum(t, sum)
				if v != version || typ != 1 || !strings.Contains(string(sum), res.Files[0][len(dir)+1:]+" h1:"+hash+"\n") {
					t.Errorf("atlas row %q %d %q; sum %s", v, typ, hash, sum)
				}
			case Ormshift:
				var v, kind, ck string
				if err := db.Pool.QueryRow(ctx, `SELECT version, kind, checksum FROM ormshift_schema_history`).Scan(&v, &kind, &ck); err != nil {
					t.Fatal(err)
				}
				h := sha256.Sum256(mig)
				if v != version || kind != "baseline" || ck != strings.ToLower(strings.TrimSpace(hexString(h[:]))) {
					t.Errorf("ormshift row %q %q %q", v, kind, ck)
				}
			}
			// The baseline applies to an empty database and builds the same schema.
			applySQL(t, ref, WriteSQL(mustReplayFile(t, res.Files[0], tool)))
			live, rebuilt := inspect(t, db), inspect(t, ref)
			live.WithoutHistoryTables()
			rebuilt.WithoutHistoryTables()
			if d := Diff(live, rebuilt); !d.Equal() {
				t.Errorf("baseline file does not rebuild the schema:\n%s", d.Text())
			}

			// A second baseline is refused and writes nothing.
			dir2 := t.TempDir()
			_, err = create(t, db, CreateOptions{Tool: tool, Dir: dir2, Mark: true, Now: now.Add(time.Hour), Version: "7"})
			var he *HistoryTableError
			if !errors.As(err, &he) {
				t.Fatalf("second baseline: want HistoryTableError, got %v", err)
			}
			if ents, _ := os.ReadDir(dir2); len(ents) != 0 {
				t.Errorf("files written despite the error: %v", ents)
			}
			// --force records it.
			if _, err := create(t, db, CreateOptions{Tool: tool, Dir: dir2, Mark: true, Force: true, Version: "7"}); err != nil {
				t.Errorf("--force: %v", err)
			}
			// A folder that already holds migrations is refused.
			if _, err := create(t, db, CreateOptions{Tool: tool, Dir: dir, Version: "8"}); err == nil || !strings.Contains(err.Error(), "already holds") {
				t.Errorf("non-empty folder: %v", err)
			}
		})
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, len(b)*2)
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// checkAtlasSum verifies atlas.sum the way Atlas reads it: the first line
// is the hash of every following name and hash.
func checkAtlasSum(t *testing.T, b []byte) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Scan()
	sum := strings.TrimPrefix(sc.Text(), "h1:")
	h := sha256.New()
	for sc.Scan() {
		n, hh, ok := strings.Cut(sc.Text(), " h1:")
		if !ok {
			t.Fatalf("atlas.sum line %q", sc.Text())
		}
		h.Write([]byte(n))
		h.Write([]byte(hh))
	}
	if got := base64.StdEncoding.EncodeToString(h.Sum(nil)); got != sum {
		t.Errorf("atlas.sum total %s, want %s", sum, got)
	}
}

func mustReplayFile(t *testing.T, path string, tool Tool) *Schema {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, filepath.Base(path)), b, 0o644); err != nil {
		t.Fatal(err)
	}
	s, _, err := Replay(dir, LayoutAuto)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Skipped) > 0 {
		t.Errorf("%s baseline replay skipped: %v", tool, s.Skipped)
	}
	return s
}

func TestMarkRefusesAnotherToolsTable(t *testing.T) {
	db := pgtest.New(t)
	applySQL(t, db, "CREATE TABLE t (id int); "+toolDDL[Dbmate]+"; INSERT INTO schema_migrations VALUES ('20200101000000')")
	dir := t.TempDir()
	_, err := create(t, db, CreateOptions{Tool: GolangMigrate, Dir: dir, Mark: true})
	var he *HistoryTableError
	if !errors.As(err, &he) || !strings.Contains(he.Reason, "shape of dbmate") {
		t.Fatalf("want a shape error naming dbmate, got %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("files written: %v", ents)
	}
	// Even --force does not write into another tool's table.
	if _, err := create(t, db, CreateOptions{Tool: GolangMigrate, Dir: dir, Mark: true, Force: true}); err == nil {
		t.Error("--force wrote into dbmate's table")
	}
	// goose into a database that dbmate manages: refused unless --force.
	_, err = create(t, db, CreateOptions{Tool: Goose, Dir: dir, Mark: true})
	if !errors.As(err, &he) || !strings.Contains(he.Reason, "managed by dbmate") {
		t.Fatalf("want managed-by-dbmate error, got %v", err)
	}
	var n int
	if err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM information_schema.tables WHERE table_name = 'goose_db_version'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Error("goose_db_version created despite the refusal (transaction not rolled back)")
	}
}

// Newer goose (v3.16+) creates its table with an identity key and NOT NULL
// tstamp: same columns and types, so a baseline is recorded into it.
func TestMarkNewerGooseTable(t *testing.T) {
	db := pgtest.New(t)
	applySQL(t, db, `CREATE TABLE goose_db_version (id integer PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NOT NULL DEFAULT now());
INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true); CREATE TABLE t (id int)`)
	if _, err := create(t, db, CreateOptions{Tool: Goose, Dir: t.TempDir(), Mark: true, Version: "5"}); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := db.Pool.QueryRow(context.Background(), `SELECT string_agg(version_id::text, ',' ORDER BY id) FROM goose_db_version`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "0,5" {
		t.Errorf("rows %q", got)
	}
}

func TestCreatePartialAdoption(t *testing.T) {
	db := pgtest.New(t)
	applySQL(t, db, fixtureSQL(t))
	dir := t.TempDir()
	res, err := create(t, db, CreateOptions{Tool: Ormshift, Dir: dir, Exclude: []string{"billing", "public.events*", "public.users"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(res.Files[0])
	sql := string(b)
	for _, gone := range []string{"billing.invoices", "public.events", "CREATE SCHEMA IF NOT EXISTS billing"} {
		if strings.Contains(sql, gone) {
			t.Errorf("excluded %s is in the baseline", gone)
		}
	}
	if !strings.Contains(sql, "CREATE TABLE public.documents") || strings.Contains(sql, "CREATE TABLE public.users") {
		t.Error("documents missing or users present")
	}
	// The rest applies on an empty database.
	empty := pgtest.New(t)
	applySQL(t, empty, "CREATE EXTENSION citext; CREATE EXTENSION btree_gist; CREATE SCHEMA ext; CREATE EXTENSION pg_trgm WITH SCHEMA ext;\n"+sql)
	joined := strings.Join(res.Unmanaged, "\n")
	for _, w := range []string{"table billing.invoices", "table public.events_2024", "schema billing", "materialized view billing.revenue",
		"table public.users", "view public.active_users (reads unmanaged public.users)", "view public.top_users (reads unmanaged public.active_users)"} {
		if !strings.Contains(joined, w) {
			t.Errorf("unmanaged list lacks %s:\n%s", w, joined)
		}
	}
	if _, err := create(t, db, CreateOptions{Tool: Ormshift, Dir: t.TempDir(), Include: []string{"[bad"}}); err == nil {
		t.Error("bad pattern accepted")
	}
}

func TestFlywayChecksumIgnoresLineEndings(t *testing.T) {
	a := FlywayChecksum([]byte("CREATE TABLE a (id int);\nSELECT 1;\n"))
	b := FlywayChecksum([]byte("\xef\xbb\xbfCREATE TABLE a (id int);\r\nSELECT 1;"))
	c := FlywayChecksum([]byte("CREATE TABLE a (id int);\nSELECT 2;\n"))
	if a != b || a == c {
		t.Errorf("checksums %d %d %d", a, b, c)
	}
}
