package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

var updateVetGolden = flag.Bool("update-vet", false, "rewrite testdata/pkgpulse-vet.golden from ormshift vet's output")

// buildOrmshift builds the command into a temporary directory.
func buildOrmshift(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ormshift")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type result struct {
	stdout, stderr string
	code           int
}

func runIn(t *testing.T, dir string, env []string, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "ORMSHIFT_CACHE="+t.TempDir()), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return result{out.String(), errb.String(), code}
}

func absDir(t *testing.T, parts ...string) string {
	t.Helper()
	d, err := filepath.Abs(filepath.Join(parts...))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestVetPkgpulseGolden runs ormshift vet on the legacy GORM application in
// testdata/pkgpulse (real gorm.io/gorm) and compares every finding with the
// golden file. Rewrite it after an intended change with
// go test ./cmd/ormshift -run TestVetPkgpulseGolden -update-vet.
func TestVetPkgpulseGolden(t *testing.T) {
	bin := buildOrmshift(t)
	dir := absDir(t, "..", "..", "testdata", "pkgpulse")
	r := runIn(t, dir, []string{"GOFLAGS=-mod=mod", "GOPROXY=off"}, bin, "vet", "./...")
	if r.code != 1 {
		t.Fatalf("exit code %d, want 1 (findings)\nstderr:\n%s", r.code, r.stderr)
	}
	if r.stderr != "" {
		t.Errorf("stderr (package errors?):\n%s", r.stderr)
	}
	golden := filepath.Join("testdata", "pkgpulse-vet.golden")
	if *updateVetGolden {
		if err := os.WriteFile(golden, []byte(r.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update-vet to create it)", err)
	}
	if r.stdout != string(want) {
		got, exp := strings.Split(r.stdout, "\n"), strings.Split(string(want), "\n")
		for _, l := range exp {
			if !slices.Contains(got, l) {
				t.Errorf("missing: %s", l)
			}
		}
		for _, l := range got {
			if !slices.Contains(exp, l) {
				t.Errorf("unexpected: %s", l)
			}
		}
		t.Errorf("output differs from %s (rerun with -update-vet after an intended change)", golden)
	}
}

// TestVetExitCodesAndFormats checks exit codes and the go vet style flags.
func TestVetExitCodesAndFormats(t *testing.T) {
	bin := buildOrmshift(t)
	app := absDir(t, "..", "..", "analyzers", "vetdriver", "testdata", "app")
	env := []string{"CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOPROXY=off"}

	// A clean package: exit 0, no output.
	r := runIn(t, app, env, bin, "vet", "./models")
	if r.code != 0 || r.stdout != "" {
		t.Errorf("clean package: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// Findings: exit 1; the broken package's error on stderr.
	r = runIn(t, app, env, bin, "vet", "-json", "./...")
	if r.code != 1 || !strings.HasPrefix(strings.TrimSpace(r.stdout), "{") || !strings.Contains(r.stdout, `"legacycall/write"`) {
		t.Errorf("-json: code %d, stdout:\n%s", r.code, r.stdout)
	}
	r = runIn(t, app, env, bin, "vet", "--sarif", "./repo")
	if r.code != 1 || !strings.Contains(r.stdout, `"version": "2.1.0"`) {
		t.Errorf("--sarif: code %d, stdout:\n%s", r.code, r.stdout)
	}
	r = runIn(t, app, env, bin, "vet", "./broken", "./repo")
	if r.code != 1 || !strings.Contains(r.stderr, "broken/broken.go:9:13: undefined: nope") || !strings.Contains(r.stdout, "repo/repo.go:15:55: legacy GORM Find") {
		t.Errorf("broken+repo: code %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	// Usage errors: exit 2.
	r = runIn(t, app, env, bin, "vet", "--enable", "nosuch", "./...")
	if r.code != 2 || !strings.Contains(r.stderr, `unknown analyzer or rule "nosuch"`) {
		t.Errorf("--enable nosuch: code %d, stderr %q", r.code, r.stderr)
	}
	r = runIn(t, app, env, bin, "vet", "--disable", "legacycall", "--disable", "ormshift", "./repo")
	if r.code != 0 {
		t.Errorf("everything disabled: code %d, stdout %q", r.code, r.stdout)
	}
}

// TestVetTool runs ormshift through go vet -vettool (the unitchecker
// protocol) on the fixture module.
func TestVetTool(t *testing.T) {
	bin := buildOrmshift(t)
	app := absDir(t, "..", "..", "analyzers", "vetdriver", "testdata", "app")
	r := runIn(t, app, []string{"CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOPROXY=off"}, "go", "vet", "-vettool="+bin, "./repo", "./tagged", "./cgo", "./models")
	if r.code == 0 {
		t.Fatalf("go vet exited 0; stderr:\n%s", r.stderr)
	}
	var got []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.Contains(l, "legacy GORM") || strings.Contains(l, "ormshift:") {
			got = append(got, l)
		}
	}
	sort.Strings(got)
	// The directive checks are reported in vettool mode too (by the
	// "ormshift" analyzer), as ormshift vet reports them.
	want := []string{
		"cgo/cgo.go:6:12: legacy GORM AutoMigrate on unknown model",
		"repo/repo.go:15:55: legacy GORM Find on Package (packages): order weekly_downloads desc, limit 10",
		"repo/repo.go:25:37: ormshift:ignore legacycall has no reason: write why after the rule",
		"repo/repo.go:30:2: ormshift:ignore legacycall/write suppresses nothing: remove it",
		"repo/repo.go:33:2: ormshift:todo(legacycall/write): audit rows need the request id first",
		"repo/repo.go:34:14: legacy GORM Create on AuditEntry (audit_log)",
		"tagged/tagged.go:6:12: legacy GORM Exec: exec DELETE FROM packages WHERE id = ?",
	}
	if !slices.Equal(got, want) {
		t.Errorf("go vet -vettool findings:\n%s\nwant (the //ormshift:ignore'd ones filtered):\n%s\nfull stderr:\n%s",
			strings.Join(got, "\n"), strings.Join(want, "\n"), r.stderr)
	}
	if !isVetProtocol([]string{"-V=full"}) || !isVetProtocol([]string{"-flags"}) ||
		!isVetProtocol([]string{"-json", "/tmp/x/vet.cfg"}) || isVetProtocol([]string{"vet", "./..."}) {
		t.Error("isVetProtocol misclassifies arguments")
	}
}

func TestRewriteGoStyleFlags(t *testing.T) {
	for _, c := range []struct{ in, want []string }{
		{[]string{"vet", "-json", "-fix", "./..."}, []string{"vet", "--json", "--fix", "./..."}},
		{[]string{"-C", "dir", "inventory", "-markdown", "-tags=a,b"}, []string{"-C", "dir", "inventory", "--markdown", "--tags=a,b"}},
		{[]string{"vet", "--json", "./..."}, nil},
		{[]string{"version", "-json"}, nil},
		{[]string{"vet", "--", "-json"}, nil},
	} {
		if got := rewriteGoStyleFlags(c.in); !slices.Equal(got, c.want) {
			t.Errorf("rewriteGoStyleFlags(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
