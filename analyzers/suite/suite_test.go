package suite_test

import (
	"path/filepath"
	"testing"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/ormshift/ormshift/analyzers/internal/rules"
	"github.com/ormshift/ormshift/analyzers/legacycall"
	"github.com/ormshift/ormshift/analyzers/suite"
)

func fixtures(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "legacycall", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// reporter returns the "ormshift" analyzer of as.
func reporter(t *testing.T, as []*analysis.Analyzer) *analysis.Analyzer {
	t.Helper()
	for _, a := range as {
		if a.Name == rules.DriverAnalyzer {
			return a
		}
	}
	t.Fatalf("no %q analyzer among %d", rules.DriverAnalyzer, len(as))
	return nil
}

// TestForUnitsDirectives: in unit mode (go vet -vettool, golangci-lint)
// the directive checks are reported per package: a missing reason, an
// ignore that suppresses nothing (only for analyzers that ran), an unknown
// rule, a todo and a malformed ignore.
func TestForUnitsDirectives(t *testing.T) {
	as := suite.ForUnits([]*analysis.Analyzer{legacycall.Analyzer}, nil)
	if len(as) != 2 || as[0].Name != "legacycall" {
		t.Fatalf("ForUnits = %v, want legacycall and ormshift", as)
	}
	analysistest.Run(t, fixtures(t), reporter(t, as), "unitdirectives")
}

// TestForUnitsSuppresses: the tracked legacycall drops the findings the
// fixture's ignores cover, and reports the others.
func TestForUnitsSuppresses(t *testing.T) {
	as := suite.ForUnits([]*analysis.Analyzer{legacycall.Analyzer}, nil)
	analysistest.Run(t, fixtures(t), as[0], "unitsuppress")
}

// TestForUnitsRuleSelection: disabled rules are neither reported by the
// tracked analyzers nor by the directive reporter; with every driver rule
// disabled there is no reporter at all.
func TestForUnitsRuleSelection(t *testing.T) {
	noTodo := func(id string) bool { return id != rules.Todo && id != rules.IgnoreReason }
	as := suite.ForUnits([]*analysis.Analyzer{legacycall.Analyzer}, noTodo)
	analysistest.Run(t, fixtures(t), reporter(t, as), "unitselect")
	none := func(id string) bool {
		return id != rules.Todo && id != rules.IgnoreReason && id != rules.UnusedIgnore && id != rules.BadDirective
	}
	if as := suite.ForUnits(suite.All(), none); len(as) != len(suite.All()) {
		t.Errorf("with every driver rule disabled ForUnits returned %d analyzers, want %d", len(as), len(suite.All()))
	}
}
