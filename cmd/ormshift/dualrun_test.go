package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ormshift/ormshift/dualrun"
	"github.com/ormshift/ormshift/internal/pgtest"
)

// TestMain stops pgtest's throwaway cluster, if it started one.
func TestMain(m *testing.M) { pgtest.Main(m) }

// ormshiftInProcess runs the CLI in this process and returns its output and
// exit code.
func ormshiftInProcess(t *testing.T, args ...string) (string, int) {
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

func TestDualrunInstallUninstall(t *testing.T) {
	db := pgtest.New(t)
	if _, err := db.Pool.Exec(context.Background(), "CREATE TABLE packages (id serial PRIMARY KEY, name text); CREATE TABLE versions (id serial PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	out, code := ormshiftInProcess(t, "dualrun", "install", "--dsn", db.DSN, "--tables", "packages,versions")
	if code != 0 || !strings.Contains(out, "capture installed in schema ormshift_dualrun on 2 table(s): public.packages, public.versions") {
		t.Fatalf("install: code %d\n%s", code, out)
	}
	// Idempotent.
	if out, code := ormshiftInProcess(t, "dualrun", "install", "--dsn", db.DSN, "--tables", "packages"); code != 0 {
		t.Fatalf("second install: code %d\n%s", code, out)
	}
	var triggers int
	if err := db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM pg_trigger WHERE tgname = $1", dualrun.TriggerName).Scan(&triggers); err != nil || triggers != 2 {
		t.Fatalf("triggers = %d (%v), want 2", triggers, err)
	}
	if out, code := ormshiftInProcess(t, "dualrun", "install", "--dsn", db.DSN, "--tables", "packages,nope"); code != 1 || !strings.Contains(out, `table "nope" does not exist`) {
		t.Errorf("install of a missing table: code %d\n%s", code, out)
	}
	if out, code := ormshiftInProcess(t, "dualrun", "install", "--dsn", db.DSN); code != 2 || !strings.Contains(out, "--tables is required") {
		t.Errorf("install without tables: code %d\n%s", code, out)
	}
	out, code = ormshiftInProcess(t, "dualrun", "uninstall", "--dsn", db.DSN)
	if code != 0 || !strings.Contains(out, "capture removed from 2 table(s): public.packages, public.versions") {
		t.Fatalf("uninstall: code %d\n%s", code, out)
	}
	if err := db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM pg_trigger WHERE tgname = $1", dualrun.TriggerName).Scan(&triggers); err != nil || triggers != 0 {
		t.Fatalf("triggers after uninstall = %d (%v)", triggers, err)
	}
	out, code = ormshiftInProcess(t, "dualrun", "uninstall", "--dsn", db.DSN, "--drop-results")
	if code != 0 || !strings.Contains(out, "schema ormshift_dualrun dropped") {
		t.Fatalf("uninstall --drop-results: code %d\n%s", code, out)
	}
	var left int
	if err := db.Pool.QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM pg_namespace WHERE nspname = 'ormshift_dualrun') +
		(SELECT count(*) FROM pg_proc WHERE proname IN ('capture', 'guard') AND pronamespace::regnamespace::text = 'ormshift_dualrun') +
		(SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'ormshift_dualrun%')`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("objects left after uninstall --drop-results: %d (%v)", left, err)
	}
}

// writeResults runs real experiments into a results file.
func writeResults(t *testing.T, path string, good, bad, badMismatches int) {
	t.Helper()
	j, err := dualrun.OpenJSONLines(path)
	if err != nil {
		t.Fatal(err)
	}
	q := dualrun.NewQueue(j, 10000)
	ctx := context.Background()
	g := dualrun.New[int]("packages.by_name", dualrun.WithPublisher(q))
	b := dualrun.New[[]string]("packages.list", dualrun.WithPublisher(q))
	for i := 0; i < good; i++ {
		_, _ = g.Run(ctx, func(context.Context) (int, error) { return i, nil }, func(context.Context) (int, error) { return i, nil })
	}
	for i := 0; i < bad; i++ {
		_, _ = b.Run(ctx, func(context.Context) ([]string, error) { return []string{"left-pad", "is-even"}, nil },
			func(context.Context) ([]string, error) {
				if i < badMismatches {
					return []string{"left-pad"}, nil
				}
				return []string{"left-pad", "is-even"}, nil
			})
	}
	if err := q.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestDualrunReportAndGate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.jsonl")
	writeResults(t, path, 1000, 500, 2)

	out, code := ormshiftInProcess(t, "dualrun", "report", "-f", path)
	for _, want := range []string{
		"packages.by_name (read)",
		"samples 1000: 1000 matched, 0 mismatched (0 candidate errors), 0 ignored",
		"mismatch rate upper bound (95%) 0.3% by rule of three (3/n)",
		"packages.list (read)",
		"samples 500: 498 matched, 2 mismatched",
		"Clopper-Pearson",
		"mismatch 1 at",
		"control has 2 element(s), candidate 1",
		"p50 ms",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if code != 0 {
		t.Errorf("report exit code %d", code)
	}

	out, code = ormshiftInProcess(t, "dualrun", "report", "-f", path, "--format", "json")
	var sums []dualrun.Summary
	if err := json.Unmarshal([]byte(out), &sums); err != nil || len(sums) != 2 || sums[1].Mismatched != 2 || code != 0 {
		t.Fatalf("report json: %v %+v\n%s", err, sums, out)
	}

	out, code = ormshiftInProcess(t, "dualrun", "gate", "-f", path, "--min-samples", "500", "--max-mismatch-rate", "0.01")
	if code != 1 || !hasLine(out, "PASS", "packages.by_name", "rule of three") || !hasLine(out, "FAIL", "packages.list", "Clopper-Pearson") || !strings.Contains(out, "gate failed") {
		t.Errorf("gate (one failing): code %d\n%s", code, out)
	}
	// Only the good experiment's results: passes.
	good := filepath.Join(t.TempDir(), "good.jsonl")
	writeResults(t, good, 1000, 0, 0)
	out, code = ormshiftInProcess(t, "dualrun", "gate", "-f", good, "--min-samples", "500", "--max-mismatch-rate", "0.005")
	if code != 0 || !strings.Contains(out, "gate passed: 1 experiment(s) qualify") || !strings.Contains(out, "0.3%") {
		t.Errorf("gate (passing): code %d\n%s", code, out)
	}
	// Too few samples for the rate asked: 3/1000 > 0.001.
	if out, code := ormshiftInProcess(t, "dualrun", "gate", "-f", good, "--min-samples", "500", "--max-mismatch-rate", "0.001"); code != 1 {
		t.Errorf("gate (bound too high): code %d\n%s", code, out)
	}
	if out, code := ormshiftInProcess(t, "dualrun", "gate", "-f", good, "--min-samples", "500"); code != 2 || !strings.Contains(out, "--max-mismatch-rate") {
		t.Errorf("gate without rate: code %d\n%s", code, out)
	}
	if out, code := ormshiftInProcess(t, "dualrun", "gate", "-f", filepath.Join(t.TempDir(), "missing.jsonl"), "--min-samples", "1", "--max-mismatch-rate", "0.1"); code != 2 || !strings.Contains(out, "missing.jsonl") {
		t.Errorf("gate on a missing file: code %d\n%s", code, out)
	}
}

func TestDualrunReportFromTable(t *testing.T) {
	db := pgtest.New(t)
	if _, err := db.Pool.Exec(context.Background(), "CREATE TABLE t (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if out, code := ormshiftInProcess(t, "dualrun", "install", "--dsn", db.DSN, "--tables", "t"); code != 0 {
		t.Fatal(out)
	}
	exp := dualrun.New[int]("from.table", dualrun.WithPublisher(dualrun.Postgres{Pool: db.Pool}))
	for i := 0; i < 5; i++ {
		_, _ = exp.Run(context.Background(), func(context.Context) (int, error) { return 1, nil }, func(context.Context) (int, error) { return 1, nil })
	}
	out, code := ormshiftInProcess(t, "dualrun", "report", "--dsn", db.DSN)
	if code != 0 || !strings.Contains(out, "from.table (read)") || !strings.Contains(out, "samples 5: 5 matched") {
		t.Errorf("report --dsn: code %d\n%s", code, out)
	}
}

// hasLine reports whether a line of out starts with first and contains the
// rest.
func hasLine(out, first string, rest ...string) bool {
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, first) {
			continue
		}
		ok := true
		for _, r := range rest {
			ok = ok && strings.Contains(l, r)
		}
		if ok {
			return true
		}
	}
	return false
}
