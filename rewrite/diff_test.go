package rewrite

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnifiedDiffGitApply(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git is needed to check diffs: %v", err)
	}
	var long []string
	for i := 0; i < 40; i++ {
		long = append(long, "line "+string(rune('a'+i%26)))
	}
	base := strings.Join(long, "\n") + "\n"
	mod := strings.Replace(base, "line c\n", "line C\nline C2\n", 1)
	mod = strings.Replace(mod, "line x\n", "", 1)
	mod = mod + "tail\n"
	cases := []struct{ name, old, new string }{
		{"middle", "a\nb\nc\nd\ne\n", "a\nb\nX\nd\ne\n"},
		{"insert-start", "a\nb\n", "z\na\nb\n"},
		{"delete-all", "a\nb\n", ""},
		{"from-empty", "", "a\nb\n"},
		{"no-newline-old", "a\nb", "a\nb\n"},
		{"no-newline-new", "a\nb\n", "a\nc"},
		{"two-hunks", base, mod},
		{"repeated", "x\nx\nx\ny\nx\n", "x\ny\nx\nx\nx\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			git := func(args ...string) (string, error) {
				cmd := exec.Command("git", args...)
				cmd.Dir = dir
				out, err := cmd.CombinedOutput()
				return string(out), err
			}
			if out, err := git("init", "-q"); err != nil {
				t.Fatalf("git init: %v\n%s", err, out)
			}
			p := filepath.Join(dir, "sub", "f.go")
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(c.old), 0o644); err != nil {
				t.Fatal(err)
			}
			d := UnifiedDiff("sub/f.go", []byte(c.old), []byte(c.new))
			if d == nil {
				t.Fatal("no diff for different contents")
			}
			patch := filepath.Join(t.TempDir(), "p.diff")
			if err := os.WriteFile(patch, d, 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := git("apply", "--check", patch); err != nil {
				t.Fatalf("git apply --check: %v\n%s\ndiff:\n%s", err, out, d)
			}
			if out, err := git("apply", patch); err != nil {
				t.Fatalf("git apply: %v\n%s", err, out)
			}
			got, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.new {
				t.Fatalf("after git apply got %q, want %q\ndiff:\n%s", got, c.new, d)
			}
		})
	}
}

func TestUnifiedDiffEqualIsNil(t *testing.T) {
	if d := UnifiedDiff("f.go", []byte("a\n"), []byte("a\n")); d != nil {
		t.Fatalf("diff of equal contents: %q", d)
	}
}

func TestUnifiedDiffHeaders(t *testing.T) {
	d := string(UnifiedDiff("pkg/a.go", []byte("a\nb\n"), []byte("a\nc\n")))
	want := "diff --git a/pkg/a.go b/pkg/a.go\n--- a/pkg/a.go\n+++ b/pkg/a.go\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"
	if d != want {
		t.Fatalf("got\n%s\nwant\n%s", d, want)
	}
}

func TestApplyEditsOverlap(t *testing.T) {
	src := []byte("hello world")
	out, err := ApplyEdits(src, []Edit{{6, 11, "there"}, {0, 0, ">> "}})
	if err != nil || string(out) != ">> hello there" {
		t.Fatalf("got %q, %v", out, err)
	}
	if _, err := ApplyEdits(src, []Edit{{0, 5, "a"}, {3, 7, "b"}}); err == nil {
		t.Fatal("overlapping edits accepted")
	}
}

func TestFinishFileImports(t *testing.T) {
	src := []byte(`package p

import (
	"fmt"

	"gorm.io/gorm"
)

// keep me
func F() { fmt.Println() } // trailing
`)
	out, err := FinishFile("p.go", src, Imports{Add: []string{"context"}, Drop: []string{"gorm.io/gorm", "fmt"}})
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if strings.Contains(s, "gorm") {
		t.Errorf("unused gorm import kept:\n%s", s)
	}
	if !strings.Contains(s, `"context"`) || !strings.Contains(s, `"fmt"`) {
		t.Errorf("imports wrong:\n%s", s)
	}
	if !strings.Contains(s, "// keep me") || !strings.Contains(s, "// trailing") {
		t.Errorf("comments lost:\n%s", s)
	}
}

func TestWriteFileAtomicKeepsMode(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.go")
	if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(p, []byte("new")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	b, _ := os.ReadFile(p)
	if !bytes.Equal(b, []byte("new")) {
		t.Errorf("content %q", b)
	}
	ents, _ := os.ReadDir(filepath.Dir(p))
	if len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
}
