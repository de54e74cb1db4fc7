package sqlinject_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/ormshift/ormshift/analyzers/sqlinject"
)

func TestSQLInject(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), sqlinject.Analyzer, "injectcases", "injecthelpers", "injectuow")
}

func TestSuggestedFixes(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, analysistest.TestData(), sqlinject.Analyzer, "injectfixes")
}
