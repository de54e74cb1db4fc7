package vetdriver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ormshift/ormshift/analyzers/suite"
	"github.com/ormshift/ormshift/analyzers/vetdriver"
)

// appDir is the fixture module: real GORM, suppression comments, a package
// with type errors, a package that imports it, a build-tag-excluded file
// that does not type-check and a cgo file (excluded with CGO_ENABLED=0).
func appDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", "app"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func runApp(t *testing.T, dir string, mutate func(*vetdriver.Config)) *vetdriver.Report {
	t.Helper()
	cfg := &vetdriver.Config{
		Dir:       dir,
		Patterns:  []string{"./..."},
		Analyzers: suite.All(),
		Env:       append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOPROXY=off"),
	}
	if mutate != nil {
		mutate(cfg)
	}
	rep, err := vetdriver.Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

func lines(rep *vetdriver.Report) []string {
	var out []string
	for _, f := range rep.Findings {
		out = append(out, fmt.Sprintf("%s:%d: %s: %s", filepath.ToSlash(f.Pos.File), f.Pos.Line, f.Rule, f.Message))
	}
	return out
}

// onlyLegacycall keeps the findings of legacycall and the driver, so these
// tests do not depend on what the SQL analyzers say about the fixture.
func onlyLegacycall(c *vetdriver.Config) {
	c.Enable = []string{"legacycall"}
}

func TestFindingsAndSuppression(t *testing.T) {
	rep := runApp(t, appDir(t), onlyLegacycall)
	want := []string{
		"cgo/cgo.go:6: legacycall/schema: legacy GORM AutoMigrate on unknown model",
		"repo/repo.go:15: legacycall/read: legacy GORM Find on Package (packages): order weekly_downloads desc, limit 10",
		"repo/repo.go:25: ormshift/ignore-reason: ormshift:ignore legacycall has no reason: write why after the rule",
		"repo/repo.go:30: ormshift/unused-ignore: ormshift:ignore legacycall/write suppresses nothing: remove it",
		"repo/repo.go:33: ormshift/todo: ormshift:todo(legacycall/write): audit rows need the request id first",
		"repo/repo.go:34: legacycall/write: legacy GORM Create on AuditEntry (audit_log)",
		"tagged/tagged.go:6: legacycall/raw: legacy GORM Exec on unknown model: exec DELETE FROM packages WHERE id = ?",
		"usesbroken/usesbroken.go:13: legacycall/read: legacy GORM First on Package (packages): where id = 42",
	}
	if got := lines(rep); !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Two findings are suppressed: the multi-line Find after the ignore
	// with a reason, and the Find with the reasonless trailing ignore.
	if rep.Suppressed != 2 {
		t.Errorf("suppressed = %d, want 2", rep.Suppressed)
	}
	// The package with type errors is reported with its error, and only it.
	if len(rep.Errors) != 1 || rep.Errors[0].Package != "example.com/app/broken" ||
		!strings.Contains(rep.Errors[0].Message, "undefined: nope") || rep.Errors[0].Pos != "broken/broken.go:9:13" {
		t.Errorf("errors = %+v, want one for broken/broken.go:9:13 undefined: nope", rep.Errors)
	}
	if slices.Contains(rep.Packages, "example.com/app/broken") || !slices.Contains(rep.Packages, "example.com/app/usesbroken") {
		t.Errorf("analyzed packages = %v: want usesbroken analyzed and broken not", rep.Packages)
	}
}

func TestEnableDisable(t *testing.T) {
	dir := appDir(t)
	rep := runApp(t, dir, func(c *vetdriver.Config) { c.Enable = []string{"legacycall/read"} })
	for _, f := range rep.Findings {
		if f.Rule != "legacycall/read" {
			t.Errorf("--enable legacycall/read reported %s", f.Rule)
		}
	}
	if len(rep.Findings) != 2 {
		t.Errorf("--enable legacycall/read: %d findings, want 2:\n%s", len(rep.Findings), strings.Join(lines(rep), "\n"))
	}
	rep = runApp(t, dir, func(c *vetdriver.Config) {
		c.Enable = []string{"legacycall"}
		c.Disable = []string{"legacycall/write", "ormshift/todo"}
	})
	for _, f := range rep.Findings {
		if f.Rule == "legacycall/write" || f.Rule == "ormshift/todo" {
			t.Errorf("disabled rule reported: %s", f.Rule)
		}
		// The write ignore is not "unused" when its rule is disabled.
		if f.Rule == "ormshift/unused-ignore" {
			t.Errorf("ignore of a disabled rule reported as unused: %s", f.Message)
		}
	}
	if _, err := vetdriver.Selected(suite.All(), []string{"nosuch"}, nil); err == nil {
		t.Error("Selected accepted an unknown analyzer")
	}
}

func TestJSONShape(t *testing.T) {
	rep := runApp(t, appDir(t), onlyLegacycall)
	var buf bytes.Buffer
	if err := vetdriver.WriteJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	var tree map[string]map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &tree); err != nil {
		t.Fatalf("JSON is not package -> analyzer -> ...: %v\n%s", err, buf.String())
	}
	var diags []struct {
		Category string `json:"category"`
		Posn     string `json:"posn"`
		Message  string `json:"message"`
	}
	if err := json.Unmarshal(tree["example.com/app/repo"]["legacycall"], &diags); err != nil {
		t.Fatalf("repo/legacycall: %v", err)
	}
	if len(diags) != 2 || diags[0].Category != "legacycall/read" || !strings.HasPrefix(diags[0].Posn, "repo/repo.go:15:") {
		t.Errorf("repo legacycall diagnostics = %+v", diags)
	}
	var errEntry struct{ Error string }
	if err := json.Unmarshal(tree["example.com/app/broken"]["errors"], &errEntry); err != nil || !strings.Contains(errEntry.Error, "undefined: nope") {
		t.Errorf("broken errors entry = %q (%v)", errEntry.Error, err)
	}
	var fixed []struct {
		SuggestedFixes []struct {
			Edits []struct {
				Filename   string
				Start, End int
			}
		} `json:"suggested_fixes"`
	}
	if err := json.Unmarshal(tree["example.com/app/repo"]["ormshift"], &fixed); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range fixed {
		n += len(d.SuggestedFixes)
	}
	if n != 1 {
		t.Errorf("driver findings carry %d suggested fixes, want 1 (the unused ignore)", n)
	}
}

func TestFixRemovesUnusedIgnore(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(appDir(t))); err != nil {
		t.Fatal(err)
	}
	rep := runApp(t, dir, onlyLegacycall)
	res, err := vetdriver.ApplyFixes(rep)
	if err != nil {
		t.Fatalf("ApplyFixes: %v", err)
	}
	if res.Applied != 1 || len(res.Files) != 1 {
		t.Fatalf("applied %d fixes in %v, want 1 in repo.go", res.Applied, res.Files)
	}
	src, err := os.ReadFile(filepath.Join(dir, "repo", "repo.go"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(src, []byte("ignore legacycall/write")) {
		t.Errorf("the unused ignore is still there:\n%s", src)
	}
	if !bytes.Contains(src, []byte("n := len(action)")) {
		t.Errorf("the fix removed more than the comment:\n%s", src)
	}
	rep = runApp(t, dir, onlyLegacycall)
	for _, f := range rep.Findings {
		if f.Rule == "ormshift/unused-ignore" {
			t.Errorf("after -fix: %s", f.Message)
		}
	}
	if got, want := len(rep.Findings), 7; got != want {
		t.Errorf("after -fix: %d findings, want %d:\n%s", got, want, strings.Join(lines(rep), "\n"))
	}
}

func TestInventory(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("testdata", "uowapp"))
	if err != nil {
		t.Fatal(err)
	}
	rep := runApp(t, dir, nil)
	inv, err := vetdriver.BuildInventory(rep)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Packages) != 1 {
		t.Fatalf("packages = %d, want 1 (svc)", len(inv.Packages))
	}
	p := inv.Packages[0]
	check := func(kind string, legacy, converted int) {
		t.Helper()
		c := p.Kinds[kind]
		if c == nil || c.Legacy != legacy || c.Converted != converted {
			t.Errorf("%s: %+v, want legacy %d converted %d", kind, c, legacy, converted)
		}
	}
	check("read", 1, 2)
	check("write", 2, 2)
	if inv.Total.Migrated == nil || fmt.Sprintf("%.1f", *inv.Total.Migrated) != "57.1" {
		t.Errorf("total migrated = %v, want 57.1 (4 of 7)", inv.Total.Migrated)
	}
	var md bytes.Buffer
	if err := vetdriver.WriteInventoryMarkdown(&md, inv); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| `github.com/ormshift/ormshift/svc` | write | 2 | 2 | 0 | 50.0% |") {
		t.Errorf("markdown:\n%s", md.String())
	}
	var txt bytes.Buffer
	if err := vetdriver.WriteInventoryText(&txt, inv); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(txt.String(), "TOTAL") || !strings.Contains(txt.String(), "57.1%") {
		t.Errorf("text:\n%s", txt.String())
	}
}

func TestCache(t *testing.T) {
	t.Setenv("ORMSHIFT_CACHE", t.TempDir())
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(appDir(t))); err != nil {
		t.Fatal(err)
	}
	cached := func(c *vetdriver.Config) { onlyLegacycall(c); c.Cache = true }
	first := runApp(t, dir, cached)
	second := runApp(t, dir, cached)
	if first.Cached || !second.Cached {
		t.Fatalf("cached: first %v, second %v; want false, true", first.Cached, second.Cached)
	}
	if !slices.Equal(lines(first), lines(second)) || !slices.Equal(first.Errors, second.Errors) {
		t.Errorf("the cached report differs:\n%v\n%v", lines(first), lines(second))
	}
	// Any change to a source file analyzes again.
	f := filepath.Join(dir, "tagged", "tagged.go")
	src, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	src = append(src, []byte("\nfunc Again(db *gorm.DB) { db.Exec(\"VACUUM\") }\n")...)
	if err := os.WriteFile(f, src, 0o644); err != nil {
		t.Fatal(err)
	}
	third := runApp(t, dir, cached)
	if third.Cached || len(third.Findings) != len(first.Findings)+1 {
		t.Errorf("after an edit: cached %v, %d findings (was %d)", third.Cached, len(third.Findings), len(first.Findings))
	}
}
