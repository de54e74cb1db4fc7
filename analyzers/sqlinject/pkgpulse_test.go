package sqlinject_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/go/analysis"

	"github.com/ormshift/ormshift/analyzers/sqlcheck"
	"github.com/ormshift/ormshift/analyzers/sqlinject"
	"github.com/ormshift/ormshift/analyzers/vetdriver"
)

type marker struct {
	file string // base name
	line int
}

// TestPkgpulseMarkedSites runs sqlinject and sqlcheck on the legacy GORM
// app in testdata/pkgpulse (real GORM, real net/http) and checks that they
// report exactly the sites marked "INTENTIONALLY UNSAFE": every marker is
// covered by a finding on the statement after it (or, for a sink inside a
// helper, by a finding at the call that names the marked line), and no
// finding is elsewhere.
func TestPkgpulseMarkedSites(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "pkgpulse"))
	if err != nil {
		t.Fatal(err)
	}
	var markers []marker
	err = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			if strings.HasPrefix(strings.TrimSpace(sc.Text()), "// INTENTIONALLY UNSAFE") {
				markers = append(markers, marker{filepath.Base(path), n})
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(markers) == 0 {
		t.Fatal("no INTENTIONALLY UNSAFE markers in testdata/pkgpulse")
	}
	rep, err := vetdriver.Run(context.Background(), &vetdriver.Config{
		Dir: dir, Patterns: []string{"./..."},
		Analyzers: []*analysis.Analyzer{sqlinject.Analyzer, sqlcheck.Analyzer},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rep.Errors {
		t.Errorf("package error: %s", e)
	}
	in := func(m marker, file string, line int) bool {
		return m.file == filepath.Base(file) && line > m.line && line <= m.line+6
	}
	site := regexp.MustCompile(`at (\w+\.go):(\d+)\)`)
	covered := map[marker]bool{}
	for _, f := range rep.Findings {
		ok := false
		for _, m := range markers {
			if in(m, f.Pos.File, f.Pos.Line) {
				covered[m], ok = true, true
			}
			if s := site.FindStringSubmatch(f.Message); s != nil {
				l, _ := strconv.Atoi(s[2])
				if in(m, s[1], l) {
					covered[m] = true
				}
			}
		}
		if !ok {
			t.Errorf("finding at an unmarked site: %s: %s (%s)", f.Pos, f.Message, f.Rule)
		}
		if f.Rule != sqlinject.RuleHigh {
			t.Errorf("%s: %s is %s, want %s (the sources are request input)", f.Pos, f.Message, f.Rule, sqlinject.RuleHigh)
		}
	}
	for _, m := range markers {
		if !covered[m] {
			t.Errorf("marked site %s:%d not reported", m.file, m.line)
		}
	}
	t.Logf("%d markers, %d findings", len(markers), len(rep.Findings))
}
