package rewrite

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ormshift/ormshift/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// wireUOW is the one hand-written step of the migration the end-to-end test
// performs: the scenario program's entry point gets an EntityManager in its
// context (an HTTP server would install uow.Middleware instead). It hands
// each uow.FromContext a fresh EntityManager, so every service call is its
// own unit of work, as every legacy GORM call was.
//
//go:embed testdata/wire_uow.go.txt
var wireUOW string

// repoRoot is the root of the ormshift module.
func repoRoot(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// goEnv runs the go command offline: the module cache has every dependency.
func goEnv() []string {
	return append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
}

func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
}

// requireOrmshift makes a copied module use this checkout of ormshift.
func requireOrmshift(t testing.TB, dir string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, "go.mod"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if _, err := fmt.Fprintf(f, "\nrequire github.com/ormshift/ormshift v0.0.0\n\nreplace github.com/ormshift/ormshift => %s\n", repoRoot(t)); err != nil {
		t.Fatal(err)
	}
	// ormshift's own go.sum lines, so that the module graph it brings in
	// verifies offline (GOPROXY=off, no checksum database).
	sum, err := os.ReadFile(filepath.Join(repoRoot(t), "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	sf, err := os.OpenFile(filepath.Join(dir, "go.sum"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sf.Close() }()
	if _, err := sf.Write(append([]byte("\n"), sum...)); err != nil {
		t.Fatal(err)
	}
}

func goCmd(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = goEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

func TestEndToEndPkgpulse(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the pkgpulse scenario twice")
	}
	ctx := context.Background()
	root := repoRoot(t)
	src := filepath.Join(root, "testdata", "pkgpulse")
	work := t.TempDir()
	oldDir, newDir := filepath.Join(work, "legacy"), filepath.Join(work, "rewritten")
	copyDir(t, src, oldDir)
	copyDir(t, src, newDir)
	requireOrmshift(t, newDir)

	res, err := Run(ctx, Options{Dir: newDir, Patterns: []string{"./..."}, Env: goEnv()})
	if err != nil {
		t.Fatalf("rewrite: %v", err)
	}
	if len(res.TypeErrors) > 0 {
		t.Fatalf("rewritten pkgpulse does not type-check:\n%s", strings.Join(res.TypeErrors, "\n"))
	}
	if err := res.Write(); err != nil {
		t.Fatal(err)
	}
	sm := res.Report.Summary
	t.Logf("pkgpulse: %d sites, %d converted (%.1f%%), %d skipped", sm.Sites, sm.Converted, 100*sm.Share, sm.Skipped)
	if sm.Converted == 0 || len(res.Files) == 0 {
		t.Fatal("nothing was converted")
	}
	for _, s := range res.Report.Sites {
		if s.Status != StatusConverted && s.Reason == "" {
			t.Errorf("%s:%d: skipped without a reason", s.File, s.Line)
		}
	}
	// A second run changes nothing.
	again, err := Run(ctx, Options{Dir: newDir, Patterns: []string{"./..."}, Env: goEnv()})
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Files) != 0 {
		t.Fatalf("second run changes files:\n%s", again.Diff())
	}

	// Wire the runtime into the scenario's entry point.
	if err := os.WriteFile(filepath.Join(newDir, "cmd", "scenario", "wire_uow.go"), []byte(wireUOW), 0o644); err != nil {
		t.Fatal(err)
	}
	mainPath := filepath.Join(newDir, "cmd", "scenario", "main.go")
	mainSrc, err := os.ReadFile(mainPath)
	if err != nil {
		t.Fatal(err)
	}
	const call = "\terr := run(ctx, *dsn, os.Stdout)"
	if !bytes.Contains(mainSrc, []byte(call)) {
		t.Fatalf("scenario main.go no longer contains %q: update the wiring step", call)
	}
	mainSrc = bytes.Replace(mainSrc, []byte(call), []byte("\twctx, werr := wireUOW(ctx, *dsn)\n\tif werr != nil {\n\t\tfmt.Fprintln(os.Stderr, \"scenario:\", werr)\n\t\tos.Exit(2)\n\t}\n\terr := run(wctx, *dsn, os.Stdout)"), 1)
	if err := os.WriteFile(mainPath, mainSrc, 0o644); err != nil {
		t.Fatal(err)
	}

	goCmd(t, newDir, "build", "./...")
	oldBin, newBin := filepath.Join(work, "scenario-legacy"), filepath.Join(work, "scenario-rewritten")
	goCmd(t, oldDir, "build", "-o", oldBin, "./cmd/scenario")
	goCmd(t, newDir, "build", "-o", newBin, "./cmd/scenario")

	oldDB, newDB := pgtest.New(t), pgtest.New(t)
	runScenario := func(bin, dsn string) string {
		cmd := exec.Command(bin, "-dsn", dsn)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v\n%s\n%s", filepath.Base(bin), err, errb.String(), out.String())
		}
		return out.String()
	}
	oldOut := runScenario(oldBin, oldDB.DSN)
	newOut := runScenario(newBin, newDB.DSN)
	if !strings.Contains(oldOut, "# end") {
		t.Fatalf("legacy transcript incomplete:\n%s", oldOut)
	}
	if newOut != oldOut {
		t.Errorf("transcripts differ:\n%s", lineDiff(oldOut, newOut))
	}
	for _, table := range []string{"packages", "versions"} {
		a, b := tableRows(t, oldDB.Pool, table), tableRows(t, newDB.Pool, table)
		if len(a) == 0 {
			t.Errorf("table %s is empty after the legacy scenario", table)
		}
		if strings.Join(a, "\n") != strings.Join(b, "\n") {
			t.Errorf("table %s differs:\nlegacy:\n%s\nrewritten:\n%s", table, strings.Join(a, "\n"), strings.Join(b, "\n"))
		}
	}
}

// tableRows returns a table's rows as JSON, by id, with the clock-set
// timestamps replaced by whether they are set.
func tableRows(t testing.TB, pool *pgxpool.Pool, table string) []string {
	t.Helper()
	q := fmt.Sprintf(`SELECT (to_jsonb(t) - 'created_at' - 'updated_at'
		|| jsonb_build_object('created_at_set', to_jsonb(t)->'created_at' <> 'null'::jsonb,
		                      'updated_at_set', to_jsonb(t)->'updated_at' <> 'null'::jsonb))::text
		FROM %s t ORDER BY id`, table)
	rows, err := pool.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("read %s: %v", table, err)
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
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func lineDiff(a, b string) string {
	return string(UnifiedDiff("transcript", []byte(a), []byte(b)))
}
