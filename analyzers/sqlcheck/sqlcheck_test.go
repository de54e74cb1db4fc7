package sqlcheck_test

import (
	"path/filepath"
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/ormshift/ormshift/analyzers/sqlcheck"
)

// The fixtures share the library stubs of sqlinject's testdata (one set of
// stubs with the real libraries' signatures for both SQL analyzers).
func TestSQLCheck(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", "sqlinject", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	analysistest.Run(t, dir, sqlcheck.Analyzer, "sqlcheckcases")
}
