package dualrun

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ormshift/ormshift/internal/pgtest"
)

// TestPkgpulseEndToEnd runs the end-to-end module testdata/dualrun-e2e (its
// own Go module: pkgpulse's GORM service as control, uow code as
// candidates) against a fresh database, and fails when it fails.
func TestPkgpulseEndToEnd(t *testing.T) {
	db := pgtest.New(t)
	dir, err := filepath.Abs(filepath.Join("..", "testdata", "dualrun-e2e"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "test", "-count=1", "-v", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), pgtest.EnvDSN+"="+db.DSN, "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test in %s: %v\n%s", dir, err, out)
	}
	t.Logf("%s", out)
}
