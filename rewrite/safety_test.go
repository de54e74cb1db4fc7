package rewrite

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTypeErrorBlocksEveryWrite: when one rewritten file does not
// type-check, Write refuses and no file on disk changes.
func TestTypeErrorBlocksEveryWrite(t *testing.T) {
	dir, _ := fixtureModule(t, "convert")
	before := snapshotFiles(t, dir)
	testMutate = func(rel string, src []byte) []byte {
		if rel == "count/count.go" {
			return append(src, []byte("\nvar _ int = \"not an int\"\n")...)
		}
		return src
	}
	defer func() { testMutate = nil }()
	res := runFixtureAllowTypeErrors(t, dir)
	if len(res.TypeErrors) == 0 {
		t.Fatal("the injected type error was not found")
	}
	if !strings.Contains(strings.Join(res.TypeErrors, "\n"), "count.go") {
		t.Errorf("type errors do not name count.go: %v", res.TypeErrors)
	}
	if len(res.Files) < 2 {
		t.Fatalf("want several changed files, got %d", len(res.Files))
	}
	err := res.Write()
	if !errors.Is(err, ErrTypeCheck) {
		t.Fatalf("Write: got %v, want ErrTypeCheck", err)
	}
	after := snapshotFiles(t, dir)
	for p, b := range before {
		if !bytes.Equal(after[p], b) {
			t.Errorf("%s was written although the result does not type-check", p)
		}
	}
}

// TestWriteRefusesChangedFile: a file edited on disk after the plan is not
// overwritten, and nothing else is written either.
func TestWriteRefusesChangedFile(t *testing.T) {
	t.Parallel()
	dir, _ := fixtureModule(t, "convert")
	res := runFixture(t, dir, Options{})
	if len(res.Files) < 2 {
		t.Fatalf("want several changed files, got %d", len(res.Files))
	}
	last := res.Files[len(res.Files)-1]
	if err := os.WriteFile(last.Path, append(last.Old, []byte("\n// edited meanwhile\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := res.Write(); err == nil {
		t.Fatal("Write overwrote a file changed on disk")
	}
	for _, f := range res.Files[:len(res.Files)-1] {
		cur, _ := os.ReadFile(f.Path)
		if !bytes.Equal(cur, f.Old) {
			t.Errorf("%s was written", f.Rel)
		}
	}
}

func runFixtureAllowTypeErrors(t *testing.T, dir string) *Result {
	t.Helper()
	res, err := Run(t.Context(), Options{Dir: dir, Patterns: []string{"./..."}, Env: goEnv()})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func snapshotFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !strings.HasSuffix(p, ".go") {
			return err
		}
		b, err := os.ReadFile(p)
		out[p] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMarkAndDeferred: --mark adds one todo comment per skipped site (once:
// a second run adds nothing), and --flush=deferred lists the writes whose
// timing changes and leaves their flush out.
func TestMarkAndDeferred(t *testing.T) {
	t.Parallel()
	dir, _ := fixtureModule(t, "keep")
	res := runFixture(t, dir, Options{Mark: true})
	marked := 0
	for _, s := range res.Report.Sites {
		if s.Status == StatusMarked {
			marked++
		}
	}
	if marked == 0 || marked != res.Report.Summary.Marked {
		t.Fatalf("marked %d sites, summary says %d", marked, res.Report.Summary.Marked)
	}
	var comments int
	for _, f := range res.Files {
		comments += bytes.Count(f.New, []byte(TodoPrefix)) - bytes.Count(f.Old, []byte(TodoPrefix))
	}
	if comments != marked {
		t.Errorf("%d todo comments added for %d marked sites", comments, marked)
	}
	if err := res.Write(); err != nil {
		t.Fatal(err)
	}
	again := runFixture(t, dir, Options{Mark: true})
	if len(again.Files) != 0 {
		t.Errorf("second --mark run changes files:\n%s", again.Diff())
	}

	dir2, _ := fixtureModule(t, "convert")
	def := runFixture(t, dir2, Options{Flush: FlushDeferred})
	var listed []string
	for _, s := range def.Report.Sites {
		if s.FlushChange != "" {
			listed = append(listed, s.File)
		}
	}
	if len(listed) == 0 {
		t.Fatal("--flush=deferred lists no site")
	}
	for _, f := range def.Files {
		if f.Rel == "create/create.go" && bytes.Contains(f.New, []byte(".Flush(")) {
			t.Errorf("create.go still flushes with --flush=deferred:\n%s", f.New)
		}
	}
}

// TestMissingRuntimeRequirement: a module that does not require ormshift
// gets a clear error naming the fix, and nothing is planned.
func TestMissingRuntimeRequirement(t *testing.T) {
	t.Parallel()
	dir, _ := fixtureModule(t, "convert")
	gomod := "module example.com/fx\n\ngo 1.25.0\n\nrequire (\n\tgorm.io/gorm v1.31.2\n\tgithub.com/jinzhu/inflection v1.0.0 // indirect\n\tgithub.com/jinzhu/now v1.1.5 // indirect\n\tgolang.org/x/text v0.42.0 // indirect\n)\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Run(t.Context(), Options{Dir: dir, Patterns: []string{"./count/..."}, Env: goEnv()})
	if err == nil || !strings.Contains(err.Error(), "go get github.com/ormshift/ormshift/uow") {
		t.Fatalf("got %v, want an error telling to go get the runtime", err)
	}
}
