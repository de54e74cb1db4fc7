package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// rewriteModule writes a small legacy module (one model, one service with
// a convertible and a non-convertible call site) that uses this checkout of
// ormshift, and makes the go command work offline for it.
func rewriteModule(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(filepath.Dir(file)))
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/cli\n\ngo 1.25.0\n\nrequire (\n\tgithub.com/ormshift/ormshift v0.0.0\n\tgorm.io/gorm v1.31.2\n)\n\nreplace github.com/ormshift/ormshift => " + root + "\n",
		"models/models.go": `package models

type Package struct {
	ID   uint   ` + "`gorm:\"primaryKey\"`" + `
	Name string ` + "`gorm:\"not null\"`" + `
}
`,
		"svc/svc.go": `package svc

import (
	"context"

	"gorm.io/gorm"

	"example.com/cli/models"
)

type S struct{ db *gorm.DB }

func (s *S) Named(ctx context.Context, name string) ([]models.Package, error) {
	var ps []models.Package
	err := s.db.WithContext(ctx).Where("name = ?", name).Order("id").Find(&ps).Error
	return ps, err
}

func (s *S) Sorted(ctx context.Context, order string) ([]models.Package, error) {
	var ps []models.Package
	err := s.db.WithContext(ctx).Order(order).Find(&ps).Error
	return ps, err
}
`,
	}
	var sum []byte
	for _, p := range []string{filepath.Join(root, "go.sum"), filepath.Join(root, "testdata", "pkgpulse", "go.sum")} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sum = append(sum, b...)
	}
	files["go.sum"] = string(sum)
	for rel, data := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("GOFLAGS", "-mod=mod")
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOWORK", "off")
	return dir
}

func rewriteCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	root := newRootCmd()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err := root.Execute()
	code = 0
	if err != nil {
		var ex *exitError
		if errors.As(err, &ex) {
			code = ex.code
		} else {
			code = 1
			errb.WriteString(err.Error())
		}
	}
	return out.String(), errb.String(), code
}

func TestRewriteCLI(t *testing.T) {
	dir := rewriteModule(t)
	wd, _ := os.Getwd()
	t.Cleanup(func() { _ = os.Chdir(wd) })
	orig, err := os.ReadFile(filepath.Join(dir, "svc", "svc.go"))
	if err != nil {
		t.Fatal(err)
	}

	// Dry run: a diff git apply takes, exit 2, nothing written.
	out, errOut, code := rewriteCLI(t, "-C", dir, "rewrite", "./...")
	if code != 2 {
		t.Fatalf("dry run exit %d, want 2\n%s", code, errOut)
	}
	if !strings.HasPrefix(out, "diff --git a/svc/svc.go b/svc/svc.go\n") || !strings.Contains(out, "+\tfound, err := uow.Find[models.Package](ctx, em, uow.Eq(\"name\", name), uow.OrderBy(\"id\", uow.Asc))") {
		t.Fatalf("unexpected diff:\n%s", out)
	}
	if !strings.Contains(errOut, "2 legacy call sites, 1 converted") {
		t.Errorf("summary: %s", errOut)
	}
	if cur, _ := os.ReadFile(filepath.Join(dir, "svc", "svc.go")); !bytes.Equal(cur, orig) {
		t.Fatal("dry run wrote the file")
	}
	if _, err := exec.LookPath("git"); err == nil {
		patch := filepath.Join(t.TempDir(), "p.diff")
		if err := os.WriteFile(patch, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("git", "apply", "--check", patch)
		cmd.Dir = dir
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("git apply --check: %v\n%s", err, b)
		}
	}

	// -l lists the file.
	out, _, code = rewriteCLI(t, "-C", dir, "rewrite", "-l", "./...")
	if code != 2 || strings.TrimSpace(out) != "svc/svc.go" {
		t.Errorf("-l: exit %d, output %q", code, out)
	}

	// --report=json: per-site list and counts.
	out, _, _ = rewriteCLI(t, "-C", dir, "rewrite", "--report=json", "./...")
	var rep struct {
		Sites []struct {
			File, Rule, Status, Reason string
			Line                       int
		}
		Summary struct {
			Sites, Converted, Skipped int
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report JSON: %v\n%s", err, out)
	}
	if rep.Summary.Sites != 2 || rep.Summary.Converted != 1 || rep.Summary.Skipped != 1 || len(rep.Sites) != 2 {
		t.Errorf("report counts: %+v", rep.Summary)
	}
	for _, s := range rep.Sites {
		if s.Status == "skipped" && !strings.Contains(s.Reason, "Order(order) is not a constant") {
			t.Errorf("skip reason: %q", s.Reason)
		}
	}

	// --only with a rule that matches nothing here: no change, exit 0.
	if _, errOut, code := rewriteCLI(t, "-C", dir, "rewrite", "--only", "exec", "./..."); code != 0 {
		t.Errorf("--only exec: exit %d\n%s", code, errOut)
	}
	if _, _, code := rewriteCLI(t, "-C", dir, "rewrite", "--only", "nosuchrule", "./..."); code != 1 {
		t.Errorf("unknown rule: exit %d, want 1", code)
	}

	// -w writes, then there is nothing left to do.
	if _, errOut, code := rewriteCLI(t, "-C", dir, "rewrite", "-w", "./..."); code != 0 {
		t.Fatalf("-w exit %d\n%s", code, errOut)
	}
	cur, _ := os.ReadFile(filepath.Join(dir, "svc", "svc.go"))
	if !bytes.Contains(cur, []byte("uow.Find[models.Package]")) || !bytes.Contains(cur, []byte("s.db.WithContext(ctx).Order(order)")) {
		t.Fatalf("written file:\n%s", cur)
	}
	if out, errOut, code := rewriteCLI(t, "-C", dir, "rewrite", "./..."); code != 0 || out != "" {
		t.Errorf("second run: exit %d, output %q\n%s", code, out, errOut)
	}

	// --mark adds the todo comment once.
	if _, errOut, code := rewriteCLI(t, "-C", dir, "rewrite", "--mark", "-w", "./..."); code != 0 {
		t.Fatalf("--mark -w exit %d\n%s", code, errOut)
	}
	cur, _ = os.ReadFile(filepath.Join(dir, "svc", "svc.go"))
	if n := strings.Count(string(cur), "// ormshift:todo(rewrite/find): Order(order) is not a constant string"); n != 1 {
		t.Errorf("%d todo comments:\n%s", n, cur)
	}
	if _, _, code := rewriteCLI(t, "-C", dir, "rewrite", "--mark", "./..."); code != 0 {
		t.Errorf("second --mark run: exit %d", code)
	}
}
