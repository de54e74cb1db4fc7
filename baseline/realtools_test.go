package baseline

// The baselines that Create writes and marks, run through the real migration
// tools as Go libraries (goose's Provider, golang-migrate with its pgx/v5
// driver and file source) against real PostgreSQL. dbmate is not a Go
// library on the module proxy, Flyway and Atlas are not Go libraries at all:
// their history tables are checked against their own DDL in history_test.go.

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-migrate/migrate/v4"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/file"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for the tools
	"github.com/pressly/goose/v3"

	"github.com/ormshift/ormshift/internal/pgtest"
)

const (
	realBaseVersion   = "20240506070809"
	realSecondVersion = "20240506080000"
	// The later migration: a new column on a baselined table and a new table.
	realSecondSQL = "ALTER TABLE public.users ADD COLUMN nickname text;\nCREATE TABLE public.audit_log (id bigint PRIMARY KEY, note text NOT NULL);\n"
)

var realNow = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func openSQL(t *testing.T, db *pgtest.DB) *sql.DB {
	t.Helper()
	s, err := sql.Open("pgx", db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() }) // closing twice (migrate closes it too) is harmless
	return s
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkSecondApplied checks that the later migration's column and table exist.
func checkSecondApplied(t *testing.T, db *pgtest.DB) {
	t.Helper()
	var n int
	if err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM information_schema.columns
WHERE (table_schema, table_name, column_name) IN (('public', 'users', 'nickname'), ('public', 'audit_log', 'note'))`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("second migration not applied: %d of users.nickname, audit_log.note exist", n)
	}
}

// checkSameSchema compares, without history tables, a database the tool
// migrated from the live schema with one it built from the files alone.
func checkSameSchema(t *testing.T, live, rebuilt *pgtest.DB) {
	t.Helper()
	a, b := inspect(t, live), inspect(t, rebuilt)
	a.WithoutHistoryTables()
	b.WithoutHistoryTables()
	if d := Diff(a, b); !d.Equal() {
		t.Errorf("the tool's build from the files differs from the marked database:\n%s", d.Text())
	}
}

func newGoose(t *testing.T, db *pgtest.DB, dir string) *goose.Provider {
	t.Helper()
	p, err := goose.NewProvider(goose.DialectPostgres, openSQL(t, db), os.DirFS(dir))
	if err != nil {
		t.Fatalf("goose provider: %v", err)
	}
	return p
}

func gooseStatus(t *testing.T, p *goose.Provider) string {
	t.Helper()
	st, err := p.Status(context.Background())
	if err != nil {
		t.Fatalf("goose status: %v", err)
	}
	var out []string
	for _, s := range st {
		out = append(out, strconv.FormatInt(s.Source.Version, 10)+" "+string(s.State))
	}
	return strings.Join(out, ", ")
}

func TestRealGooseUpAfterMarkedBaseline(t *testing.T) {
	for _, toolFirst := range []bool{false, true} {
		name := "table created by baseline"
		if toolFirst {
			name = "table created by goose"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := pgtest.New(t)
			applySQL(t, db, fixtureSQL(t))
			dir := t.TempDir()
			if toolFirst {
				// goose itself creates goose_db_version (its current shape,
				// identity key) with version 0 before the baseline is marked.
				p, err := goose.NewProvider(goose.DialectPostgres, openSQL(t, db), nil,
					goose.WithGoMigrations(goose.NewGoMigration(1, nil, nil)), goose.WithDisableGlobalRegistry(true))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := p.GetDBVersion(ctx); err != nil {
					t.Fatalf("goose init: %v", err)
				}
				var ident string
				if err := db.Pool.QueryRow(ctx, `SELECT is_identity FROM information_schema.columns WHERE table_name = 'goose_db_version' AND column_name = 'id'`).Scan(&ident); err != nil || ident != "YES" {
					t.Fatalf("goose did not create its identity-key table: %q, %v", ident, err)
				}
			}
			res, err := create(t, db, CreateOptions{Tool: Goose, Dir: dir, Mark: true, Now: realNow})
			if err != nil {
				t.Fatal(err)
			}
			if res.Version != realBaseVersion || !res.Marked {
				t.Fatalf("baseline %s marked=%t", res.Version, res.Marked)
			}

			// goose sees the baseline as applied and has nothing to do.
			p := newGoose(t, db, dir)
			if got := gooseStatus(t, p); got != realBaseVersion+" applied" {
				t.Errorf("goose status after baseline: %s", got)
			}
			if v, err := p.GetDBVersion(ctx); err != nil || strconv.FormatInt(v, 10) != realBaseVersion {
				t.Errorf("goose version after baseline: %d, %v", v, err)
			}
			if pending, err := p.HasPending(ctx); err != nil || pending {
				t.Errorf("goose pending after baseline: %t, %v", pending, err)
			}

			// A later migration: goose applies it, and only it.
			writeFile(t, filepath.Join(dir, realSecondVersion+"_add_nickname.sql"),
				"-- +goose Up\n"+realSecondSQL+"\n-- +goose Down\nDROP TABLE public.audit_log;\nALTER TABLE public.users DROP COLUMN nickname;\n")
			p = newGoose(t, db, dir)
			results, err := p.Up(ctx)
			if err != nil {
				t.Fatalf("goose up: %v", err)
			}
			if len(results) != 1 || strconv.FormatInt(results[0].Source.Version, 10) != realSecondVersion {
				t.Fatalf("goose up applied %v, want only %s", results, realSecondVersion)
			}
			checkSecondApplied(t, db)
			if v, err := p.GetDBVersion(ctx); err != nil || strconv.FormatInt(v, 10) != realSecondVersion {
				t.Errorf("goose version after up: %d, %v", v, err)
			}
			if got, want := gooseStatus(t, p), realBaseVersion+" applied, "+realSecondVersion+" applied"; got != want {
				t.Errorf("goose status after up: %s, want %s", got, want)
			}
			// Up again is a no-op.
			if results, err := p.Up(ctx); err != nil || len(results) != 0 {
				t.Errorf("second goose up: %v, %v", results, err)
			}
			var rows string
			if err := db.Pool.QueryRow(ctx, `SELECT string_agg(version_id::text, ',' ORDER BY id) FROM goose_db_version WHERE is_applied`).Scan(&rows); err != nil {
				t.Fatal(err)
			}
			if want := "0," + realBaseVersion + "," + realSecondVersion; rows != want {
				t.Errorf("goose_db_version %s, want %s", rows, want)
			}

			// goose builds the same schema from the files on an empty
			// database: it parses the baseline file as written.
			fresh := pgtest.New(t)
			if results, err := newGoose(t, fresh, dir).Up(ctx); err != nil || len(results) != 2 {
				t.Fatalf("goose up on an empty database: %v, %v", results, err)
			}
			checkSameSchema(t, db, fresh)
		})
	}
}

// Without --mark goose runs the baseline over the schema it describes and
// fails: the test above would catch a baseline that is not recorded.
func TestRealGooseUnmarkedBaselineFails(t *testing.T) {
	db := pgtest.New(t)
	applySQL(t, db, fixtureSQL(t))
	dir := t.TempDir()
	if _, err := create(t, db, CreateOptions{Tool: Goose, Dir: dir, Now: realNow}); err != nil {
		t.Fatal(err)
	}
	_, err := newGoose(t, db, dir).Up(context.Background())
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("goose up over an unmarked baseline: want an \"already exists\" error, got %v", err)
	}
}

func newMigrate(t *testing.T, db *pgtest.DB, dir string) *migrate.Migrate {
	t.Helper()
	drv, err := migratepgx.WithInstance(openSQL(t, db), &migratepgx.Config{})
	if err != nil {
		t.Fatalf("migrate pgx5 driver: %v", err)
	}
	m, err := migrate.NewWithDatabaseInstance("file://"+dir, "pgx5", drv)
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func checkMigrateVersion(t *testing.T, m *migrate.Migrate, want string) {
	t.Helper()
	v, dirty, err := m.Version()
	if err != nil || strconv.FormatUint(uint64(v), 10) != want || dirty {
		t.Errorf("migrate version %d dirty=%t err=%v, want %s clean", v, dirty, err, want)
	}
}

func TestRealGolangMigrateUpAfterMarkedBaseline(t *testing.T) {
	for _, toolFirst := range []bool{false, true} {
		name := "table created by baseline"
		if toolFirst {
			name = "table created by migrate"
		}
		t.Run(name, func(t *testing.T) {
			db := pgtest.New(t)
			applySQL(t, db, fixtureSQL(t))
			dir := t.TempDir()
			if toolFirst {
				// The driver creates its (empty) schema_migrations on open.
				drv, err := migratepgx.WithInstance(openSQL(t, db), &migratepgx.Config{})
				if err != nil {
					t.Fatal(err)
				}
				if err := drv.Close(); err != nil {
					t.Fatal(err)
				}
				var n int
				if err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != 0 {
					t.Fatalf("migrate did not create an empty schema_migrations: %d, %v", n, err)
				}
			}
			res, err := create(t, db, CreateOptions{Tool: GolangMigrate, Dir: dir, Mark: true, Now: realNow})
			if err != nil {
				t.Fatal(err)
			}
			if res.Version != realBaseVersion || !res.Marked {
				t.Fatalf("baseline %s marked=%t", res.Version, res.Marked)
			}

			// The file source reads the baseline file under its version.
			src, err := (&file.File{}).Open("file://" + dir)
			if err != nil {
				t.Fatal(err)
			}
			first, err := src.First()
			_ = src.Close()
			if err != nil || strconv.FormatUint(uint64(first), 10) != realBaseVersion {
				t.Errorf("migrate file source: first version %d, %v", first, err)
			}
			// migrate sees the baseline as its current, clean version and
			// has nothing to do.
			m := newMigrate(t, db, dir)
			checkMigrateVersion(t, m, realBaseVersion)
			if err := m.Up(); !errors.Is(err, migrate.ErrNoChange) {
				t.Errorf("migrate up after baseline: want ErrNoChange, got %v", err)
			}

			// A later migration: migrate applies it, and only it.
			writeFile(t, filepath.Join(dir, realSecondVersion+"_add_nickname.up.sql"), realSecondSQL)
			writeFile(t, filepath.Join(dir, realSecondVersion+"_add_nickname.down.sql"), "DROP TABLE public.audit_log;\nALTER TABLE public.users DROP COLUMN nickname;\n")
			m = newMigrate(t, db, dir)
			if err := m.Up(); err != nil {
				t.Fatalf("migrate up: %v", err)
			}
			checkSecondApplied(t, db)
			checkMigrateVersion(t, m, realSecondVersion)
			// Up again is a no-op.
			if err := m.Up(); !errors.Is(err, migrate.ErrNoChange) {
				t.Errorf("second migrate up: want ErrNoChange, got %v", err)
			}
			checkMigrateVersion(t, m, realSecondVersion)

			// migrate builds the same schema from the files on an empty
			// database.
			fresh := pgtest.New(t)
			mf := newMigrate(t, fresh, dir)
			if err := mf.Up(); err != nil {
				t.Fatalf("migrate up on an empty database: %v", err)
			}
			checkMigrateVersion(t, mf, realSecondVersion)
			checkSameSchema(t, db, fresh)
		})
	}
}

// Without --mark migrate runs the baseline over the schema it describes,
// fails and leaves the database dirty at the baseline version.
func TestRealGolangMigrateUnmarkedBaselineFails(t *testing.T) {
	db := pgtest.New(t)
	applySQL(t, db, fixtureSQL(t))
	dir := t.TempDir()
	if _, err := create(t, db, CreateOptions{Tool: GolangMigrate, Dir: dir, Now: realNow}); err != nil {
		t.Fatal(err)
	}
	m := newMigrate(t, db, dir)
	err := m.Up()
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("migrate up over an unmarked baseline: want an \"already exists\" error, got %v", err)
	}
	if v, dirty, err := m.Version(); err != nil || strconv.FormatUint(uint64(v), 10) != realBaseVersion || !dirty {
		t.Errorf("after the failed up: version %d dirty=%t err=%v, want %s dirty", v, dirty, err, realBaseVersion)
	}
}
