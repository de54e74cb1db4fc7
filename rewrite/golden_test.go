package rewrite

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/ormshift/ormshift/analyzers/legacyapi"
)

var update = flag.Bool("update", false, "rewrite the .golden sections of testdata/golden/convert/*.txtar")

// fixtureModule writes a module holding the fixture models and every file
// of the txtar archives in testdata/golden/<kind>, and returns its
// directory and the archives by name.
func fixtureModule(t *testing.T, kind string) (string, map[string]*txtar.Archive) {
	t.Helper()
	root := repoRoot(t)
	dir := t.TempDir()
	gomod := "module example.com/fx\n\ngo 1.25.0\n\nrequire (\n\tgithub.com/ormshift/ormshift v0.0.0\n\tgorm.io/gorm v1.31.2\n)\n\nreplace github.com/ormshift/ormshift => " + root + "\n"
	write := func(rel string, data []byte) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", []byte(gomod))
	var sum []byte
	for _, p := range []string{filepath.Join(root, "go.sum"), filepath.Join(root, "testdata", "pkgpulse", "go.sum")} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sum = append(sum, b...)
	}
	write("go.sum", sum)
	models, err := os.ReadFile(filepath.Join(root, "rewrite", "testdata", "golden", "models.go.txt"))
	if err != nil {
		t.Fatal(err)
	}
	write("models/models.go", models)
	archives := map[string]*txtar.Archive{}
	paths, err := filepath.Glob(filepath.Join(root, "rewrite", "testdata", "golden", kind, "*.txtar"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in testdata/golden/%s: %v", kind, err)
	}
	for _, p := range paths {
		a, err := txtar.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		archives[p] = a
		for _, f := range a.Files {
			if !strings.HasSuffix(f.Name, ".golden") {
				write(f.Name, f.Data)
			}
		}
	}
	return dir, archives
}

func runFixture(t *testing.T, dir string, opts Options) *Result {
	t.Helper()
	opts.Dir, opts.Patterns, opts.Env = dir, []string{"./..."}, goEnv()
	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("rewrite: %v", err)
	}
	if len(res.TypeErrors) > 0 {
		t.Fatalf("rewritten fixtures do not type-check:\n%s\n%s", strings.Join(res.TypeErrors, "\n"), res.Diff())
	}
	return res
}

// TestGoldenConvert: every file of testdata/golden/convert becomes its
// .golden section; then a second run changes nothing (idempotency).
func TestGoldenConvert(t *testing.T) {
	t.Parallel()
	dir, archives := fixtureModule(t, "convert")
	res := runFixture(t, dir, Options{})
	changed := map[string][]byte{}
	for _, f := range res.Files {
		changed[f.Rel] = f.New
	}
	for path, a := range archives {
		var files []txtar.File
		for _, f := range a.Files {
			if strings.HasSuffix(f.Name, ".golden") {
				continue
			}
			got, ok := changed[f.Name]
			if !ok {
				t.Errorf("%s: %s was not changed", filepath.Base(path), f.Name)
				got = f.Data
			}
			files = append(files, f, txtar.File{Name: f.Name + ".golden", Data: got})
			if *update {
				continue
			}
			var want []byte
			for _, g := range a.Files {
				if g.Name == f.Name+".golden" {
					want = g.Data
				}
			}
			if want == nil {
				t.Errorf("%s: no %s.golden section (run with -update)", filepath.Base(path), f.Name)
			} else if string(want) != string(got) {
				t.Errorf("%s: %s differs from its golden:\n%s", filepath.Base(path), f.Name, UnifiedDiff(f.Name, want, got))
			}
		}
		if *update {
			a.Files = files
			if err := os.WriteFile(path, txtar.Format(a), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, s := range res.Report.Sites {
		if s.Status != StatusConverted {
			t.Errorf("%s:%d: %s %s not converted: %s", s.File, s.Line, s.Rule, s.Op, s.Reason)
		}
	}
	if err := res.Write(); err != nil {
		t.Fatal(err)
	}
	again := runFixture(t, dir, Options{})
	if len(again.Files) != 0 {
		t.Errorf("second run is not a no-op:\n%s", again.Diff())
	}
}

// TestGoldenKeep: the shapes of testdata/golden/keep are left as they are,
// each with the reason its archive names.
func TestGoldenKeep(t *testing.T) {
	t.Parallel()
	dir, archives := fixtureModule(t, "keep")
	res := runFixture(t, dir, Options{})
	changed := map[string]bool{}
	for _, f := range res.Files {
		changed[f.Rel] = true
	}
	for path, a := range archives {
		caseDir := ""
		for _, f := range a.Files {
			caseDir = filepath.Dir(f.Name)
			if changed[f.Name] {
				t.Errorf("%s: %s was changed", filepath.Base(path), f.Name)
			}
		}
		for _, line := range strings.Split(string(a.Comment), "\n") {
			want, ok := strings.CutPrefix(line, "want-skip: ")
			if !ok {
				continue
			}
			found := false
			for _, s := range res.Report.Sites {
				if strings.HasPrefix(s.File, caseDir+"/") && s.Status == StatusSkipped && strings.Contains(s.Reason, want) {
					found = true
				}
			}
			if !found {
				var got []string
				for _, s := range res.Report.Sites {
					if strings.HasPrefix(s.File, caseDir+"/") {
						got = append(got, s.Reason)
					}
				}
				t.Errorf("%s: no skipped site with reason %q; got %q", filepath.Base(path), want, got)
			}
		}
	}
}

// TestEveryRuleHasFixtures: each conversion of the table has a golden
// fixture of converted shapes and one of shapes left unchanged.
func TestEveryRuleHasFixtures(t *testing.T) {
	have := map[string]map[string]bool{"convert": {}, "keep": {}}
	for kind := range have {
		paths, err := filepath.Glob(filepath.Join(repoRoot(t), "rewrite", "testdata", "golden", kind, "*.txtar"))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			a, err := txtar.ParseFile(p)
			if err != nil {
				t.Fatal(err)
			}
			// "Rule rewrite/x: ..." or "Rules rewrite/x and rewrite/y ...".
			first, _, _ := strings.Cut(string(a.Comment), "\n")
			fields := strings.Fields(first)
			if len(fields) < 2 || (fields[0] != "Rule" && fields[0] != "Rules") {
				t.Errorf("%s: the comment does not start with \"Rule <name>\"", filepath.Base(p))
				continue
			}
			for _, f := range fields[1:] {
				if r := strings.TrimSuffix(f, ":"); strings.HasPrefix(r, "rewrite/") {
					have[kind][r] = true
				}
			}
		}
	}
	for _, c := range legacyapi.Conversions {
		for kind, rules := range have {
			if !rules[c.Rule] {
				t.Errorf("rule %s has no fixture in testdata/golden/%s", c.Rule, kind)
			}
		}
	}
}
