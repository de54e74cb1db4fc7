package sqlinject_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/go/analysis"

	"github.com/ormshift/ormshift/analyzers/sqlinject"
	"github.com/ormshift/ormshift/analyzers/vetdriver"
)

type siteKey struct {
	file string // path relative to the corpus
	line int
}

type score struct{ tp, fp, fn int }

func (s score) precision() float64 {
	if s.tp+s.fp == 0 {
		return 0
	}
	return float64(s.tp) / float64(s.tp+s.fp)
}

func (s score) recall() float64 {
	if s.tp+s.fn == 0 {
		return 0
	}
	return float64(s.tp) / float64(s.tp+s.fn)
}

// scoreLines scores reported lines against the labels: a report on an
// unsafe site is a true positive, on a safe site or an unlabelled line a
// false positive; an unsafe site without a report is a false negative.
func scoreLines(labels map[siteKey]bool, reported map[siteKey]bool) (score, []string) {
	var s score
	var notes []string
	for k := range reported {
		unsafe, labelled := labels[k]
		switch {
		case labelled && unsafe:
			s.tp++
		case labelled:
			s.fp++
			notes = append(notes, fmt.Sprintf("FP %s:%d (labelled safe)", k.file, k.line))
		default:
			s.fp++
			notes = append(notes, fmt.Sprintf("FP %s:%d (unlabelled line)", k.file, k.line))
		}
	}
	for k, unsafe := range labels {
		if unsafe && !reported[k] {
			s.fn++
			notes = append(notes, fmt.Sprintf("FN %s:%d", k.file, k.line))
		}
	}
	return s, notes
}

func corpusLabels(t *testing.T, dir string) map[siteKey]bool {
	labels := map[siteKey]bool{}
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !strings.HasSuffix(path, ".go") || strings.Contains(path, "stubs") {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			switch {
			case strings.Contains(sc.Text(), "// want-unsafe"):
				labels[siteKey{rel, n}] = true
			case strings.Contains(sc.Text(), "// want-safe"):
				labels[siteKey{rel, n}] = false
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return labels
}

// gosecPath finds gosec on PATH or in GOPATH/bin.
func gosecPath() string {
	if p, err := exec.LookPath("gosec"); err == nil {
		return p
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", "gosec")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// TestAccuracy runs sqlinject (all severities) on the labelled corpus in
// testdata/sqlcorpus and prints precision and recall, with gosec's
// G201/G202 on the same corpus beside them when gosec is installed
// (go install github.com/securego/gosec/v2/cmd/gosec@latest). It fails
// when ormshift's precision or recall drops below 0.9.
func TestAccuracy(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "sqlcorpus"))
	if err != nil {
		t.Fatal(err)
	}
	labels := corpusLabels(t, dir)
	nUnsafe := 0
	for _, u := range labels {
		if u {
			nUnsafe++
		}
	}
	if len(labels) < 60 {
		t.Fatalf("corpus has %d labelled sites, want at least 60", len(labels))
	}
	rep, err := vetdriver.Run(context.Background(), &vetdriver.Config{
		Dir: dir, Patterns: []string{"./..."}, Analyzers: []*analysis.Analyzer{sqlinject.Analyzer},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rep.Errors {
		t.Fatalf("corpus package error: %s", e)
	}
	ours := map[siteKey]bool{}
	for _, f := range rep.Findings {
		rel, _ := filepath.Rel(dir, f.Pos.File)
		if !filepath.IsAbs(f.Pos.File) {
			rel = f.Pos.File
		}
		ours[siteKey{rel, f.Pos.Line}] = true
	}
	s, notes := scoreLines(labels, ours)
	var table bytes.Buffer
	fmt.Fprintf(&table, "corpus: %d sites (%d unsafe, %d safe)\n", len(labels), nUnsafe, len(labels)-nUnsafe)
	fmt.Fprintf(&table, "%-24s %4s %4s %4s %9s %7s\n", "tool", "TP", "FP", "FN", "precision", "recall")
	fmt.Fprintf(&table, "%-24s %4d %4d %4d %9.2f %7.2f\n", "ormshift sqlinject", s.tp, s.fp, s.fn, s.precision(), s.recall())
	if g := gosecPath(); g != "" {
		cmd := exec.Command(g, "-quiet", "-fmt=json", "-include=G201,G202", "./...")
		cmd.Dir = dir
		out, _ := cmd.Output() // exit status 1 when it finds issues
		var res struct {
			Issues []struct {
				File string `json:"file"`
				Line string `json:"line"`
			} `json:"Issues"`
		}
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatalf("gosec output: %v\n%s", err, out)
		}
		theirs := map[siteKey]bool{}
		for _, is := range res.Issues {
			rel, _ := filepath.Rel(dir, is.File)
			var line int
			fmt.Sscan(strings.SplitN(is.Line, "-", 2)[0], &line)
			theirs[siteKey{rel, line}] = true
		}
		gs, _ := scoreLines(labels, theirs)
		fmt.Fprintf(&table, "%-24s %4d %4d %4d %9.2f %7.2f\n", "gosec G201/G202", gs.tp, gs.fp, gs.fn, gs.precision(), gs.recall())
	} else {
		fmt.Fprintf(&table, "gosec: not installed (go install github.com/securego/gosec/v2/cmd/gosec@latest)\n")
	}
	t.Logf("accuracy\n%s", table.String())
	for _, n := range notes {
		t.Logf("  %s", n)
	}
	if s.precision() < 0.9 || s.recall() < 0.9 {
		t.Errorf("ormshift precision %.2f / recall %.2f below 0.90", s.precision(), s.recall())
	}
}
