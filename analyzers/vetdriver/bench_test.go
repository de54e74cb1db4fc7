package vetdriver_test

import (
	"context"
	"os"
	"testing"

	"github.com/ormshift/ormshift/analyzers/suite"
	"github.com/ormshift/ormshift/analyzers/vetdriver"
	"github.com/ormshift/ormshift/testdata/genmodule/gen"
)

// BenchmarkRunGenerated analyzes a generated 500-file GORM module (see
// scripts/bench-vet.sh for the comparison with go vet).
func BenchmarkRunGenerated(b *testing.B) {
	dir := b.TempDir()
	if _, err := gen.Write(dir, 500); err != nil {
		b.Fatal(err)
	}
	cfg := &vetdriver.Config{Dir: dir, Patterns: []string{"./..."}, Analyzers: suite.All(),
		Env: append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off")}
	b.ResetTimer()
	for b.Loop() {
		rep, err := vetdriver.Run(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Findings) == 0 || len(rep.Errors) > 0 {
			b.Fatalf("%d findings, errors %v", len(rep.Findings), rep.Errors)
		}
	}
}
