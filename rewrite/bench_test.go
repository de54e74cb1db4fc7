package rewrite

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BenchmarkRewriteGenmodule plans the rewrite of the 500-file synthetic
// module (testdata/genmodule): load, legacycall, conversion and the
// type-check of every changed package. ns/op is the time per run; report
// it per 1000 files as ns/op * 2.
func BenchmarkRewriteGenmodule(b *testing.B) {
	root := repoRoot(b)
	dir := filepath.Join(b.TempDir(), "gen")
	cmd := exec.Command("go", "run", "./testdata/genmodule", "-o", dir, "-files", "500")
	cmd.Dir = root
	cmd.Env = goEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("genmodule: %v\n%s", err, out)
	}
	requireOrmshift(b, dir)
	b.ResetTimer()
	var res *Result
	for i := 0; i < b.N; i++ {
		var err error
		res, err = Run(context.Background(), Options{Dir: dir, Patterns: []string{"./..."}, Env: goEnv()})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if len(res.TypeErrors) > 0 {
		b.Fatalf("type errors: %v", res.TypeErrors)
	}
	sm := res.Report.Summary
	b.ReportMetric(float64(sm.Sites), "sites")
	b.ReportMetric(100*sm.Share, "%converted")
	_ = os.Stdout
}
