package baseline

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ormshift/ormshift/internal/pgtest"
)

var layoutDirs = map[Layout]string{
	LayoutGoose: "goose", LayoutGolangMigrate: "golang-migrate", LayoutDbmate: "dbmate", LayoutSQLMigrate: "sql-migrate",
	LayoutTern: "tern", LayoutFlyway: "flyway", LayoutPlain: "plain",
}

func migrationsDir(name string) string {
	return filepath.Join("..", "testdata", "baseline", "migrations", name)
}

// TestStepsEqualFixture applies the replay fixture's steps to a real
// database: they must build exactly the fixture schema (so that the replay
// tests below compare against the right thing).
func TestStepsEqualFixture(t *testing.T) {
	ref := pgtest.New(t)
	applySQL(t, ref, fixtureSQL(t))
	steps := pgtest.New(t)
	files, _, err := ReadMigrations(migrationsDir("plain"), LayoutAuto)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		applySQL(t, steps, f.Up)
	}
	a, b := inspect(t, ref), inspect(t, steps)
	if d := Diff(a, b); !d.Equal() || !d.Complete() {
		t.Fatalf("steps do not build the fixture:\n%s", d.Text())
	}
}

// TestReplayLayouts: the same migrations in every supported layout replay,
// without a database, to the model inspection reads from the fixture.
func TestReplayLayouts(t *testing.T) {
	db := pgtest.New(t)
	applySQL(t, db, fixtureSQL(t))
	live := inspect(t, db)
	for layout, dir := range layoutDirs {
		t.Run(dir, func(t *testing.T) {
			s, got, err := Replay(migrationsDir(dir), LayoutAuto)
			if err != nil {
				t.Fatal(err)
			}
			if got != layout {
				t.Errorf("detected layout %s, want %s", got, layout)
			}
			d := Diff(live, s)
			if !d.Equal() || !d.Complete() {
				t.Errorf("replay differs from inspection:\n%s", d.Text())
			}
			if c1, c2 := live.Counts(), s.Counts(); mustJSON(c1) != mustJSON(c2) {
				t.Errorf("counts differ: live %v replay %v", c1, c2)
			}
		})
	}
}

// TestReplayedDDLApplies: the DDL written from a replayed model builds the
// same schema on a real database.
func TestReplayedDDLApplies(t *testing.T) {
	s, _, err := Replay(migrationsDir("goose"), LayoutAuto)
	if err != nil {
		t.Fatal(err)
	}
	db := pgtest.New(t)
	applySQL(t, db, WriteSQL(s))
	if d := Diff(s, inspect(t, db)); !d.Equal() {
		t.Errorf("replayed DDL builds a different schema:\n%s", d.Text())
	}
}

// TestReplayPgDump replays pg_dump --schema-only output (with the \restrict
// line newer pg_dump writes) and must match inspection.
func TestReplayPgDump(t *testing.T) {
	db := pgtest.New(t)
	applySQL(t, db, fixtureSQL(t))
	out, err := exec.Command(pgDumpPath(t), "--schema-only", "--no-owner", "--no-privileges", db.DSN).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	dir := t.TempDir()
	dump := "\\restrict abcdef\n" + string(out) + "\n\\unrestrict abcdef\n"
	if err := os.WriteFile(filepath.Join(dir, "1_dump.sql"), []byte(dump), 0o644); err != nil {
		t.Fatal(err)
	}
	s, _, err := Replay(dir, LayoutAuto)
	if err != nil {
		t.Fatal(err)
	}
	if d := Diff(inspect(t, db), s); !d.Equal() || !d.Complete() {
		t.Errorf("pg_dump replay differs:\n%s", d.Text())
	}
}

func pgDumpPath(t testing.TB) string {
	for _, p := range []string{"/usr/lib/postgresql/15/bin/pg_dump"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, err := exec.LookPath("pg_dump")
	if err != nil {
		t.Fatalf("pg_dump not found: %v", err)
	}
	return p
}

func writeDir(t *testing.T, files map[string]string) string {
	dir := t.TempDir()
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestReplayReportsWhatItCannotReplay(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"1_a.sql": "CREATE TABLE a (id int);\n\nDO $$ BEGIN EXECUTE 'CREATE TABLE b (id int)'; END $$;\n",
		"2_b.sql": "-- comment\nCREATE TABLE c (id int);\nCREATE RULE r AS ON INSERT TO c DO INSTEAD NOTHING;\n",
	})
	s, _, err := Replay(dir, LayoutAuto)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Tables) != 2 {
		t.Errorf("tables: %v", s.Tables)
	}
	var got []string
	for _, k := range s.Skipped {
		got = append(got, filepath.Base(k.Pos)+" "+k.Name)
	}
	want := []string{"1_a.sql:3 DO block", "2_b.sql:3 RuleStmt"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("skipped = %q, want %q", got, want)
	}
	d := Diff(s, s)
	if !d.Equal() || d.Complete() {
		t.Errorf("a model with skipped objects must never be complete")
	}
}

func TestReplayParseError(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"1_ok.sql":  "CREATE TABLE a (id int);\n",
		"2_bad.sql": "CREATE TABLE b (id int);\n\nCREATE TABLE c (id int,,);\n",
	})
	_, _, err := Replay(dir, LayoutAuto)
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("want ParseError, got %v", err)
	}
	if filepath.Base(pe.File) != "2_bad.sql" || pe.Line != 3 || !strings.Contains(pe.Message, "syntax error") {
		t.Errorf("got %s:%d %s", pe.File, pe.Line, pe.Message)
	}
}

func TestReplayDownIgnoredAndOrder(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"10_b.up.sql":   "ALTER TABLE a ADD COLUMN b int;\n",
		"9_a.up.sql":    "CREATE TABLE a (id int);\n",
		"9_a.down.sql":  "DROP TABLE a;\n",
		"10_b.down.sql": "ALTER TABLE a DROP COLUMN b;\n",
	})
	s, layout, err := Replay(dir, LayoutAuto)
	if err != nil {
		t.Fatal(err)
	}
	if layout != LayoutGolangMigrate {
		t.Errorf("layout %s", layout)
	}
	tb := s.table("public", "a")
	if tb == nil || len(tb.Columns) != 2 || tb.Columns[1].Name != "b" {
		t.Fatalf("got %s", mustJSON(s.Tables))
	}
}

var _ = context.Background

func TestReplayGooseFileWithoutAnnotation(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"00001_a.sql": "-- +goose Up\nCREATE TABLE a (id int);\n",
		"00002_b.sql": "CREATE TABLE b (id int);\n",
	})
	_, _, err := Replay(dir, LayoutAuto)
	var pe *ParseError
	if !errors.As(err, &pe) || filepath.Base(pe.File) != "00002_b.sql" || !strings.Contains(pe.Message, "-- +goose Up") {
		t.Fatalf("want an error naming 00002_b.sql, got %v", err)
	}
}
