package legacycall_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/ormshift/ormshift/analyzers/legacycall"
)

func TestAnalyzer(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), legacycall.Analyzer, "models", "a", "b", "v1")
}
