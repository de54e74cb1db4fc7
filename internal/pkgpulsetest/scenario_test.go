package pkgpulsetest

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ormshift/ormshift/internal/pgtest"
)

var update = flag.Bool("update", false, "rewrite testdata/pkgpulse/scenario.golden from the scenario's output")

func TestMain(m *testing.M) { pgtest.Main(m) }

// moduleDir is the pkgpulse module's directory.
func moduleDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "pkgpulse"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("pkgpulse module not found: %v", err)
	}
	return dir
}

func goldenPath(t *testing.T) string { return filepath.Join(moduleDir(t), "scenario.golden") }

// goTool returns the path of the go command (or gofmt) of the toolchain
// running the tests.
func goTool(t *testing.T, name string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build testdata/pkgpulse: %v", err)
	}
	if name == "go" {
		return goBin
	}
	out, err := exec.Command(goBin, "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "bin", name)
}

// goCmd runs a go subcommand inside the pkgpulse module (its own module,
// outside any workspace) and returns combined output.
func goCmd(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool(t, "go"), args...)
	cmd.Dir = moduleDir(t)
	cmd.Env = append(os.Environ(), "GOWORK=off")
	return cmd.CombinedOutput()
}

// buildScenario compiles testdata/pkgpulse/cmd/scenario into a temporary
// directory.
func buildScenario(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "scenario")
	if out, err := goCmd(t, "build", "-o", bin, "./cmd/scenario"); err != nil {
		t.Fatalf("go build ./cmd/scenario in testdata/pkgpulse: %v\n%s", err, out)
	}
	return bin
}

// execScenario runs the scenario binary against dsn, given with -dsn or,
// when viaEnv, as PKGPULSE_DSN.
func execScenario(bin, dsn string, viaEnv bool) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = os.Environ()
	if viaEnv {
		cmd.Env = append(cmd.Env, "PKGPULSE_DSN="+dsn)
	} else {
		cmd.Args = append(cmd.Args, "-dsn", dsn)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// runScenario runs the scenario and fails t unless it exits 0.
func runScenario(t *testing.T, bin, dsn string, viaEnv bool) string {
	t.Helper()
	stdout, stderr, err := execScenario(bin, dsn, viaEnv)
	if err != nil {
		t.Fatalf("scenario on %s: %v\nstderr:\n%s\nstdout (last lines):\n%s", dsn, err, stderr, tail(stdout, 30))
	}
	return stdout
}

// TestScenarioGolden runs the scenario twice on the same fresh database (the
// second run exercises the drop-and-recreate path) and requires identical
// transcripts, equal to testdata/pkgpulse/scenario.golden.
func TestScenarioGolden(t *testing.T) {
	db := pgtest.New(t)
	bin := buildScenario(t)

	first := runScenario(t, bin, db.DSN, false)
	second := runScenario(t, bin, db.DSN, true) // DSN from PKGPULSE_DSN this time
	if first != second {
		t.Fatalf("scenario transcript is not deterministic (run 1 vs run 2):\n%s", lineDiff(first, second))
	}
	if !strings.HasSuffix(first, "# end\n") {
		t.Fatalf("scenario transcript does not end with \"# end\":\n%s", tail(first, 10))
	}

	golden := goldenPath(t)
	if *update {
		if err := writeFileAtomic(golden, []byte(first)); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d lines)", golden, strings.Count(first, "\n"))
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden file (create it with: go test ./internal/pkgpulsetest -update): %v", err)
	}
	if string(want) != first {
		t.Errorf("scenario transcript differs from %s (- golden, + got); rerun with -update if the change is intended:\n%s",
			golden, lineDiff(string(want), first))
	}
}

// TestScenarioFailsLoudly checks that the scenario exits non-zero, and says
// why, when a call does not behave as expected: here a view depends on the
// packages table, so dropping the old schema fails.
func TestScenarioFailsLoudly(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	for _, stmt := range []string{
		"CREATE TABLE packages (id bigint PRIMARY KEY, name text)",
		"CREATE VIEW package_names AS SELECT name FROM packages",
	} {
		if _, err := db.Pool.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	bin := buildScenario(t)
	stdout, stderr, err := execScenario(bin, db.DSN, false)
	exitErr, ok := err.(*exec.ExitError)
	if !ok || exitErr.ExitCode() != 2 {
		t.Fatalf("scenario with a blocked schema reset: err = %v, want exit status 2\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	if !strings.Contains(stdout, "store.ResetSchema(schema.sql) => UNEXPECTED error") {
		t.Errorf("transcript does not mark the failed call:\n%s", stdout)
	}
	if !strings.Contains(stderr, "cannot drop table packages because other objects depend on it") {
		t.Errorf("stderr does not give the cause:\n%s", stderr)
	}
	// The failed reset was one transaction: the old table and view survive.
	var n int
	if err := db.Pool.QueryRow(ctx, "SELECT count(*) FROM package_names").Scan(&n); err != nil {
		t.Errorf("the view is gone after the failed reset: %v", err)
	}

	// No DSN at all is a usage error.
	_, stderr, err = execScenario(bin, "", true)
	if exitErr, ok := err.(*exec.ExitError); !ok || exitErr.ExitCode() != 2 || !strings.Contains(stderr, "usage:") {
		t.Errorf("scenario without a DSN: err = %v, stderr = %q; want exit status 2 and a usage line", err, stderr)
	}
}

// TestScenarioCoversEveryExportedFunction parses the service, store and api
// packages and requires every exported function and method to be named in
// the golden transcript: the scenario is the oracle for rewrites and dual
// runs, so a function it never calls would go unchecked.
func TestScenarioCoversEveryExportedFunction(t *testing.T) {
	transcript, err := os.ReadFile(goldenPath(t))
	if err != nil {
		t.Fatalf("read golden file: %v", err)
	}
	labels := exportedLabels(t, "service", "store", "api")
	if len(labels) < 40 {
		t.Fatalf("found only %d exported functions in service, store and api; the parser is not seeing the fixture: %v", len(labels), labels)
	}
	var missing []string
	for _, l := range labels {
		re := regexp.MustCompile(`(^|[^\w.])` + regexp.QuoteMeta(l) + `($|[^\w])`)
		if !re.Match(transcript) {
			missing = append(missing, l)
		}
	}
	if len(missing) > 0 {
		t.Errorf("the scenario never calls %d exported function(s); add calls to testdata/pkgpulse/cmd/scenario and rerun with -update:\n  %s",
			len(missing), strings.Join(missing, "\n  "))
	}
	t.Logf("%d exported functions covered", len(labels))
}

// exportedLabels returns "pkg.Func" and "pkg.Type.Method" for every exported
// function and method (on an exported type) in the given package
// directories of the pkgpulse module.
func exportedLabels(t *testing.T, pkgs ...string) []string {
	t.Helper()
	var labels []string
	fset := token.NewFileSet()
	for _, pkg := range pkgs {
		dir := filepath.Join(moduleDir(t), pkg)
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s (%v)", dir, err)
		}
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatalf("parse %s: %v", file, err)
			}
			for _, decl := range f.Decls {
				fn, ok := decl.(*ast.FuncDecl)
				if !ok || !fn.Name.IsExported() {
					continue
				}
				if fn.Recv == nil {
					labels = append(labels, f.Name.Name+"."+fn.Name.Name)
					continue
				}
				recv := receiverName(fn.Recv.List[0].Type)
				if ast.IsExported(recv) {
					labels = append(labels, f.Name.Name+"."+recv+"."+fn.Name.Name)
				}
			}
		}
	}
	sort.Strings(labels)
	return labels
}

func receiverName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return receiverName(e.X)
	case *ast.Ident:
		return e.Name
	case *ast.IndexExpr:
		return receiverName(e.X)
	case *ast.IndexListExpr:
		return receiverName(e.X)
	}
	return ""
}

// TestFixtureVetAndGofmt keeps the fixture module compilable and clean:
// go vet ./... and gofmt -l inside testdata/pkgpulse.
func TestFixtureVetAndGofmt(t *testing.T) {
	if out, err := goCmd(t, "vet", "./..."); err != nil {
		t.Errorf("go vet ./... in testdata/pkgpulse: %v\n%s", err, out)
	}
	cmd := exec.Command(goTool(t, "gofmt"), "-l", ".")
	cmd.Dir = moduleDir(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gofmt -l in testdata/pkgpulse: %v\n%s", err, out)
	}
	if len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("files in testdata/pkgpulse need gofmt:\n%s", out)
	}
}

// writeFileAtomic writes data to a temporary file next to path and renames
// it into place.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".scenario.golden.*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
