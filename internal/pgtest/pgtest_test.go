package pgtest_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ormshift/ormshift/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestFreshDatabaseIsEmptyAndUsable(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	var n int
	if err := db.Pool.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("fresh database has %d tables", n)
	}
	var cur string
	if err := db.Pool.QueryRow(ctx, "SELECT current_database()").Scan(&cur); err != nil {
		t.Fatal(err)
	}
	if cur != db.Name {
		t.Fatalf("pool is on %q, want %q", cur, db.Name)
	}
}

func TestParallelTestsGetDifferentDatabases(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	t.Run("group", func(t *testing.T) {
		for i := 0; i < 4; i++ {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				db := pgtest.New(t)
				// A table of the same name in every database: they must not collide.
				if _, err := db.Pool.Exec(context.Background(), "CREATE TABLE t (id int PRIMARY KEY)"); err != nil {
					t.Fatal(err)
				}
				mu.Lock()
				defer mu.Unlock()
				if seen[db.Name] {
					t.Errorf("database %s handed out twice", db.Name)
				}
				seen[db.Name] = true
			})
		}
	})
	if len(seen) != 4 {
		t.Fatalf("got %d distinct databases, want 4", len(seen))
	}
	ctx := context.Background()
	for name := range seen {
		ok, err := pgtest.Exists(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			t.Errorf("database %s still exists after its test ended", name)
		}
	}
}

func TestDroppedConnectionLeavesNoDatabase(t *testing.T) {
	var name string
	t.Run("inner", func(t *testing.T) {
		db := pgtest.New(t)
		name = db.Name
		ctx := context.Background()
		// A second session, left open and idle in a transaction: DROP must
		// still succeed (WITH FORCE).
		conn, err := db.Pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "BEGIN; CREATE TABLE x (id int)"); err != nil {
			t.Fatal(err)
		}
		// Kill our own backend: the pool now holds a dropped connection.
		if _, err := db.Pool.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"); err != nil {
			t.Fatal(err)
		}
		conn.Release()
	})
	ok, err := pgtest.Exists(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		t.Fatalf("database %s left behind", name)
	}
}

// The child half of the tests below: it runs in a subprocess of this test
// binary, makes a database, prints its name, and then fails or dies.
func TestHelperChild(t *testing.T) {
	mode := os.Getenv("PGTEST_CHILD")
	if mode == "" {
		t.Skip("only runs as a child process of the tests below")
	}
	db := pgtest.New(t)
	admin, _ := pgtest.AdminDSN()
	fmt.Printf("ADMIN=%s\n", admin)
	fmt.Printf("DBNAME=%s\n", db.Name)
	os.Stdout.Sync()
	switch mode {
	case "fail":
		t.Fatal("failing on purpose")
	case "die":
		time.Sleep(time.Minute) // the parent kills us
	}
}

var lastAdmin string

func runChild(t *testing.T, mode string, extraEnv ...string) (string, *exec.Cmd, *bufio.Scanner) {
	t.Helper()
	// The child uses this process's server (which may be a throwaway
	// cluster), so the parent can look at the databases it leaves.
	admin, err := pgtest.AdminDSN()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperChild$", "-test.v")
	cmd.Env = append(append(os.Environ(), "PGTEST_CHILD="+mode, pgtest.EnvDSN+"="+admin), extraEnv...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "ADMIN="); ok {
			lastAdmin = a
		}
		if name, ok := strings.CutPrefix(sc.Text(), "DBNAME="); ok {
			return name, cmd, sc
		}
	}
	_ = cmd.Wait()
	t.Fatalf("child (%s) printed no database name", mode)
	return "", nil, nil
}

func TestFailingTestLeavesNoDatabase(t *testing.T) {
	name, cmd, sc := runChild(t, "fail")
	for sc.Scan() {
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("child test was meant to fail but passed")
	}
	ok, err := pgtest.Exists(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		t.Fatalf("failing test left database %s behind", name)
	}
}

func TestKilledBinaryIsSwept(t *testing.T) {
	name, cmd, _ := runChild(t, "die")
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	ctx := context.Background()
	if ok, err := pgtest.Exists(ctx, name); err != nil || !ok {
		t.Fatalf("expected the killed child's database %s to still exist before the sweep (ok=%v err=%v)", name, ok, err)
	}
	admin, err := pgtest.AdminDSN()
	if err != nil {
		t.Fatal(err)
	}
	if err := pgtest.Sweep(admin); err != nil {
		t.Fatal(err)
	}
	if ok, err := pgtest.Exists(ctx, name); err != nil || ok {
		t.Fatalf("sweep left database %s of a dead process (ok=%v err=%v)", name, ok, err)
	}
}

// TestThrowawayCluster runs a child with ORMSHIFT_TEST_CLUSTER=1: it must
// start its own cluster (as on a machine with no server running), give out a
// database on it, and stop it when the child exits.
func TestThrowawayCluster(t *testing.T) {
	if _, err := pgtest.FindBinDir(); err != nil {
		t.Fatalf("this test needs PostgreSQL's server binaries (initdb, pg_ctl): %v", err)
	}
	name, cmd, sc := runChild(t, "pass", pgtest.EnvCluster+"=1", pgtest.EnvDSN+"=")
	for sc.Scan() {
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child on a throwaway cluster failed: %v", err)
	}
	if !strings.HasPrefix(name, "ormshift_t_") {
		t.Fatalf("unexpected database name %q", name)
	}
	u, err := url.Parse(lastAdmin)
	if err != nil || u.Port() == "" || u.Port() == "5432" {
		t.Fatalf("child did not use a throwaway cluster: admin DSN %q", lastAdmin)
	}
	// The child's cluster must be gone: nothing listens on its port any more.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", u.Host, time.Second)
		if err != nil {
			return
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("throwaway cluster on %s still running after the child exited", u.Host)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
