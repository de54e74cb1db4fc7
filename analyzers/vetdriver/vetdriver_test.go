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
	"time"

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
		"tagged/tagged.go:6: legacycall/raw: legacy GORM Exec: exec DELETE FROM packages WHERE id = ?",
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

// TestFixSeveralInOneFile: two Sprintf fixes that together remove the last
// uses of fmt drop its import, two Order fixes share one clause import, and
// the result builds and has no sqlinject findings left.
func TestFixSeveralInOneFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(appDir(t))); err != nil {
		t.Fatal(err)
	}
	const src = `package fixme

import (
	"fmt"
	"net/http"

	"gorm.io/gorm"

	"example.com/app/models"
)

func Handle(db *gorm.DB, r *http.Request) {
	var ps []models.Package
	name := r.FormValue("name")
	db.Where(fmt.Sprintf("name = '%s'", name)).Find(&ps)
	db.Raw(fmt.Sprintf("SELECT * FROM packages WHERE name LIKE '%%%s%%'", name)).Scan(&ps)
	db.Order(r.FormValue("sort")).Find(&ps)
	db.Order(r.FormValue("by")).Find(&ps)
}
`
	if err := os.MkdirAll(filepath.Join(dir, "fixme"), 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "fixme", "fixme.go")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	only := func(c *vetdriver.Config) { c.Patterns = []string{"./fixme"}; c.Enable = []string{"sqlinject"} }
	rep := runApp(t, dir, only)
	if len(rep.Findings) != 4 {
		t.Fatalf("%d findings, want 4:\n%s", len(rep.Findings), strings.Join(lines(rep), "\n"))
	}
	res, err := vetdriver.ApplyFixes(rep)
	if err != nil {
		t.Fatalf("ApplyFixes: %v", err)
	}
	if res.Applied != 4 || res.Skipped != 0 {
		t.Errorf("applied %d, skipped %d; want 4, 0", res.Applied, res.Skipped)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		`db.Where("name = ?", name)`,
		`db.Raw("SELECT * FROM packages WHERE name LIKE ?", "%"+name+"%")`,
		"\t\"gorm.io/gorm\"\n\t\"gorm.io/gorm/clause\"\n",
		`db.Order(clause.OrderByColumn{Column: clause.Column{Name: r.FormValue("by")}})`,
	} {
		if !strings.Contains(string(got), w) {
			t.Errorf("fixed file lacks %q:\n%s", w, got)
		}
	}
	if strings.Contains(string(got), `"fmt"`) || strings.Count(string(got), `"gorm.io/gorm/clause"`) != 1 {
		t.Errorf("imports not cleaned up:\n%s", got)
	}
	after := runApp(t, dir, only)
	if len(after.Errors) != 0 || len(after.Findings) != 0 {
		t.Errorf("after the fixes: errors %v, findings:\n%s", after.Errors, strings.Join(lines(after), "\n"))
	}
}

func TestPruneImports(t *testing.T) {
	before := []byte("package p\n\nimport (\n\t\"fmt\"\n\tstr \"strings\"\n\t\"os\"\n)\n\nvar a = fmt.Sprint(1)\nvar b = str.ToUpper(\"x\")\nvar c = os.Args\n")
	after := []byte("package p\n\nimport (\n\t\"fmt\"\n\tstr \"strings\"\n\t\"os\"\n)\n\nvar a = \"1\"\nvar b = \"X\"\nvar c = os.Args\n")
	got := string(vetdriver.PruneImportsForTest(before, after))
	if strings.Contains(got, `"fmt"`) || strings.Contains(got, `"strings"`) || !strings.Contains(got, `"os"`) {
		t.Errorf("pruneImports:\n%s", got)
	}
	// A package still used, or used under a local that shadows it, stays.
	shadow := []byte("package p\n\nimport \"fmt\"\n\nfunc f(fmt struct{ X int }) int { return fmt.X }\n")
	if got := vetdriver.PruneImportsForTest(shadow, shadow); string(got) != string(shadow) {
		t.Errorf("pruned a file that did not change:\n%s", got)
	}
}

// TestFactsFromUnnamedPackages: ormshift vet ./api still sees the
// injection through service.OrderBy (service is loaded for its facts but
// not reported), and with --tests the packages' test variants do not cut
// the facts of the packages they import or duplicate findings.
func TestFactsFromUnnamedPackages(t *testing.T) {
	pkgpulse, err := filepath.Abs(filepath.Join("..", "..", "testdata", "pkgpulse"))
	if err != nil {
		t.Fatal(err)
	}
	const cross = "api/api.go:240: sqlinject/high: SQL injection: r.URL.Query().Get(\"sort\") reaches (*gorm.DB).Order through parameter s of OrderBy"
	has := func(rep *vetdriver.Report, prefix string) bool {
		for _, l := range lines(rep) {
			if strings.HasPrefix(l, prefix) {
				return true
			}
		}
		return false
	}
	rep := runApp(t, pkgpulse, func(c *vetdriver.Config) { c.Patterns = []string{"./api"} })
	if !has(rep, cross) {
		t.Errorf("./api: no cross-package finding; got:\n%s", strings.Join(lines(rep), "\n"))
	}
	if !slices.Equal(rep.Packages, []string{"example.com/pkgpulse/api"}) {
		t.Errorf("reported packages %v, want only api", rep.Packages)
	}
	for _, f := range rep.Findings {
		if !strings.HasPrefix(filepath.ToSlash(f.Pos.File), "api/") {
			t.Errorf("finding outside the named package: %s", f.Pos)
		}
	}
	// A copy whose service package has a test file: "service [service.test]"
	// is reported, and api, which imports plain service, keeps its facts.
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(pkgpulse)); err != nil {
		t.Fatal(err)
	}
	test := "package service\n\nimport \"testing\"\n\nfunc TestNothing(t *testing.T) { _ = New(nil) }\n"
	if err := os.WriteFile(filepath.Join(dir, "service", "service_test.go"), []byte(test), 0o644); err != nil {
		t.Fatal(err)
	}
	all := runApp(t, dir, nil)
	tests := runApp(t, dir, func(c *vetdriver.Config) { c.Tests = true })
	if !slices.Contains(tests.Packages, "example.com/pkgpulse/service [example.com/pkgpulse/service.test]") || slices.Contains(tests.Packages, "example.com/pkgpulse/service") {
		t.Errorf("--tests packages: %v", tests.Packages)
	}
	if !has(tests, cross) {
		t.Error("--tests: no cross-package finding")
	}
	if !slices.Equal(lines(all), lines(tests)) {
		t.Errorf("--tests changed the findings (the test file has none):\n%s\nvs\n%s", strings.Join(lines(all), "\n"), strings.Join(lines(tests), "\n"))
	}
}

// TestCacheKey: the cached report is not replayed when a package the
// analyzed one imports changes (here the table name a fact carries), when
// the selection of analyzers or rules changes, or when the cache is off;
// entries unused for days are trimmed.
func TestCacheKey(t *testing.T) {
	cacheDir := t.TempDir()
	t.Setenv("ORMSHIFT_CACHE", cacheDir)
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(appDir(t))); err != nil {
		t.Fatal(err)
	}
	repo := func(c *vetdriver.Config) { onlyLegacycall(c); c.Patterns = []string{"./repo"}; c.Cache = true }
	first := runApp(t, dir, repo)
	if first.Cached || !slices.ContainsFunc(lines(first), func(l string) bool { return strings.Contains(l, "Create on AuditEntry (audit_log)") }) {
		t.Fatalf("first run: cached %v\n%s", first.Cached, strings.Join(lines(first), "\n"))
	}
	if again := runApp(t, dir, repo); !again.Cached {
		t.Fatal("an identical run was not replayed from the cache")
	}
	// The dependency models changes its TableName; keep size and mtime.
	f := filepath.Join(dir, "models", "models.go")
	fi, err := os.Stat(f)
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	src = bytes.Replace(src, []byte(`"audit_log"`), []byte(`"audit_rec"`), 1)
	if err := os.WriteFile(f, src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(f, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	dep := runApp(t, dir, repo)
	if dep.Cached || !slices.ContainsFunc(lines(dep), func(l string) bool { return strings.Contains(l, "Create on AuditEntry (audit_rec)") }) {
		t.Errorf("after a dependency changed: cached %v\n%s", dep.Cached, strings.Join(lines(dep), "\n"))
	}
	// Other flags: another key.
	if r := runApp(t, dir, func(c *vetdriver.Config) { repo(c); c.Disable = []string{"legacycall/write"} }); r.Cached {
		t.Error("--disable legacycall/write replayed the report of a run without it")
	}
	if r := runApp(t, dir, func(c *vetdriver.Config) { repo(c); c.BuildFlags = []string{"-tags=extra"} }); r.Cached {
		t.Error("-tags replayed the report of a run without it")
	}
	// Off.
	t.Setenv("ORMSHIFT_CACHE", "off")
	if r := runApp(t, dir, repo); r.Cached {
		t.Error("ORMSHIFT_CACHE=off replayed a report")
	}
	// Trimming: an entry unused for a week goes when the next report is
	// stored (the daily trim marker is removed to force a trim).
	t.Setenv("ORMSHIFT_CACHE", cacheDir)
	old := filepath.Join(cacheDir, "00", "00old.json")
	if err := os.MkdirAll(filepath.Dir(old), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(old, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	week := time.Now().Add(-7 * 24 * time.Hour)
	if err := os.Chtimes(old, week, week); err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(filepath.Join(cacheDir, "trim.txt"))
	runApp(t, dir, func(c *vetdriver.Config) { repo(c); c.Disable = []string{"legacycall/tx"} })
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("a week-old entry survived the trim: %v", err)
	}
}
