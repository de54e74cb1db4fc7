// Package pgtest gives every test that needs PostgreSQL a fresh database of
// its own on a real server, and drops it when the test ends.
//
// The server is chosen once per test binary, in this order:
//
//  1. ORMSHIFT_TEST_DSN, when set (any libpq DSN or URL of a role that may
//     CREATE DATABASE);
//  2. a server on 127.0.0.1:5432 (user postgres, then the current user);
//  3. a throwaway cluster started with the machine's initdb and pg_ctl (found
//     on PATH or under /usr/lib/postgresql/*/bin) in a temporary directory on
//     a free port. It is stopped when the test binary exits (Main), and a
//     watchdog process stops it even if the binary is killed.
//
// When none can be had the test fails with a message that says how to get
// one. It never skips: a test that needs PostgreSQL and cannot get it is a
// failure, in CI above all.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// EnvDSN is the environment variable that names the server to use.
const EnvDSN = "ORMSHIFT_TEST_DSN"

// EnvCluster, set to 1, makes the harness start its own throwaway cluster
// even when a server is reachable (to test that path, or to keep tests off a
// shared server).
const EnvCluster = "ORMSHIFT_TEST_CLUSTER"

// dbPrefix starts the name of every database the harness creates; the
// creating process id follows, so stale databases of dead processes can be
// swept.
const dbPrefix = "ormshift_t_"

// DB is one fresh database.
type DB struct {
	Name string        // database name
	DSN  string        // connection string for it (URL form)
	Pool *pgxpool.Pool // a pool on it, closed at cleanup
}

var (
	serverOnce sync.Once
	serverDSN  string // admin DSN (URL form) of the chosen server
	serverErr  error
	cluster    *throwaway
	counter    struct {
		sync.Mutex
		n int
	}
)

// New creates a fresh, empty database for t and drops it when t ends, whether
// t passes or fails. It fails t when no PostgreSQL server can be had.
func New(t testing.TB) *DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db, err := Create(ctx)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		db.Pool.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := Drop(ctx, db.Name); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return db
}

// Create makes a fresh database outside of a test (benchmarks helpers, the
// demo). The caller must Drop it.
func Create(ctx context.Context) (*DB, error) {
	admin, err := AdminDSN()
	if err != nil {
		return nil, err
	}
	name := newName()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return nil, fmt.Errorf("connect to test server: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("create database %s: %w", name, err)
	}
	dsn, err := withDatabase(admin, name)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		_ = Drop(ctx, name)
		return nil, fmt.Errorf("open pool on %s: %w", name, err)
	}
	return &DB{Name: name, DSN: dsn, Pool: pool}, nil
}

// Drop removes a database made by Create, closing any session still on it.
func Drop(ctx context.Context, name string) error {
	admin, err := AdminDSN()
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to drop %s: %w", name, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// Exists reports whether a database of that name is on the test server.
func Exists(ctx context.Context, name string) (bool, error) {
	admin, err := AdminDSN()
	if err != nil {
		return false, err
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	var ok bool
	err = conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("look up database %s: %w", name, err)
	}
	return ok, nil
}

// Main runs the tests of a package and stops the throwaway cluster, if the
// harness started one. Use it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops the throwaway cluster if one was started. It is safe to call
// more than once.
func Stop() {
	if cluster != nil {
		cluster.stop()
	}
}

// AdminDSN returns the DSN of the chosen server, choosing it on first use.
func AdminDSN() (string, error) {
	serverOnce.Do(func() {
		serverDSN, serverErr = chooseServer()
		if serverErr == nil {
			sweepStale(serverDSN)
		}
	})
	return serverDSN, serverErr
}

func newName() string {
	counter.Lock()
	counter.n++
	n := counter.n
	counter.Unlock()
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s%d_%d_%s", dbPrefix, os.Getpid(), n, hex.EncodeToString(b[:]))
}

func chooseServer() (string, error) {
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		u, err := toURL(dsn)
		if err != nil {
			return "", fmt.Errorf("%s: %w", EnvDSN, err)
		}
		if err := ping(u); err != nil {
			return "", fmt.Errorf("%s is set but the server does not answer: %w", EnvDSN, err)
		}
		return u, nil
	}
	var tried []string
	if os.Getenv(EnvCluster) == "1" {
		tried = append(tried, EnvCluster+"=1: the local server was not tried")
		c, err := startThrowaway()
		if err != nil {
			return "", fmt.Errorf("%s=1 but the throwaway cluster could not start: %w", EnvCluster, err)
		}
		cluster = c
		return c.dsn, nil
	}
	for _, u := range localCandidates() {
		err := ping(u)
		if err == nil {
			return u, nil
		}
		tried = append(tried, fmt.Sprintf("%s: %v", redact(u), err))
	}
	c, err := startThrowaway()
	if err == nil {
		cluster = c
		return c.dsn, nil
	}
	tried = append(tried, "throwaway cluster: "+err.Error())
	return "", fmt.Errorf("no PostgreSQL server could be had for the tests.\n"+
		"Tried:\n  - %s\n"+
		"Fix one of:\n"+
		"  - set %s to a server where the role may CREATE DATABASE, e.g. postgres://postgres@127.0.0.1:5432/postgres\n"+
		"  - start a server on 127.0.0.1:5432 with trust auth for user postgres\n"+
		"  - install PostgreSQL's server binaries (Debian: apt-get install postgresql) so the harness can start its own cluster",
		strings.Join(tried, "\n  - "), EnvDSN)
}

func localCandidates() []string {
	users := []string{"postgres"}
	if u, err := user.Current(); err == nil && u.Username != "postgres" {
		users = append(users, u.Username)
	}
	var out []string
	for _, name := range users {
		out = append(out, fmt.Sprintf("postgres://%s@127.0.0.1:5432/postgres?sslmode=disable&connect_timeout=3", url.PathEscape(name)))
	}
	return out
}

func ping(dsn string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var can bool
	if err := conn.QueryRow(ctx, "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&can); err != nil {
		return fmt.Errorf("check role: %w", err)
	}
	if !can {
		return errors.New("the role may not CREATE DATABASE")
	}
	return nil
}

// toURL turns a libpq keyword/value DSN into URL form, so the database name
// can be replaced reliably.
func toURL(dsn string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if _, err := url.Parse(dsn); err != nil {
			return "", fmt.Errorf("parse DSN: %w", err)
		}
		return dsn, nil
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return "", fmt.Errorf("parse DSN: %w", err)
	}
	u := url.URL{Scheme: "postgres", Path: "/" + cfg.Database}
	if cfg.Password != "" {
		u.User = url.UserPassword(cfg.User, cfg.Password)
	} else {
		u.User = url.User(cfg.User)
	}
	q := url.Values{}
	if strings.HasPrefix(cfg.Host, "/") {
		q.Set("host", cfg.Host)
		u.Host = ":" + strconv.Itoa(int(cfg.Port))
	} else {
		u.Host = net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	}
	if cfg.TLSConfig == nil {
		q.Set("sslmode", "disable")
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func withDatabase(dsn, name string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("parse DSN: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable DSN)"
	}
	return u.Redacted()
}

var staleName = regexp.MustCompile(`^` + dbPrefix + `(\d+)_`)

// sweepStale drops databases left behind by test binaries that died before
// their cleanup ran (killed by a timeout, say). A database is stale when the
// process id in its name is no longer alive on this machine.
func sweepStale(admin string) {
	_ = Sweep(admin)
}

// Sweep drops the databases of dead test processes on the server at admin.
func Sweep(admin string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE datname LIKE $1", dbPrefix+"%")
	if err != nil {
		return fmt.Errorf("list databases: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("list databases: %w", err)
	}
	for _, n := range names {
		m := staleName.FindStringSubmatch(n)
		if m == nil {
			continue
		}
		pid, _ := strconv.Atoi(m[1])
		if pid == os.Getpid() || processAlive(pid) {
			continue
		}
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize()+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop stale database %s: %w", n, err)
		}
	}
	return nil
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// throwaway is a cluster the harness started.
type throwaway struct {
	dir    string
	pgctl  string
	cred   *syscall.Credential
	dsn    string
	once   sync.Once
	waiter *os.Process
}

// FindBinDir returns the folder holding initdb and pg_ctl: PATH first, then
// the newest /usr/lib/postgresql/*/bin, then /usr/local/pgsql/bin.
func FindBinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	dirs = append(dirs, "/usr/local/pgsql/bin", "/opt/homebrew/bin", "/usr/local/bin")
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", errors.New("initdb and pg_ctl not found on PATH nor under /usr/lib/postgresql/*/bin")
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

func startThrowaway() (*throwaway, error) {
	bin, err := FindBinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "ormshift-pg-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	c := &throwaway{dir: dir, pgctl: filepath.Join(bin, "pg_ctl")}
	// initdb refuses to run as root: run the cluster as the postgres user
	// (or nobody) when we are root.
	if os.Geteuid() == 0 {
		cred, err := unprivileged()
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		c.cred = cred
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("chown %s: %w", dir, err)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := c.run(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", port, dir)
	if out, err := c.run(c.pgctl, "start", "-w", "-t", "60", "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts); err != nil {
		logText, _ := os.ReadFile(filepath.Join(dir, "log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pg_ctl start: %w\n%s\n%s", err, out, logText)
	}
	c.dsn = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	c.watch(data)
	return c, nil
}

// watch starts a detached shell that stops the cluster once this process is
// gone, so a killed test binary does not leave a server running.
func (c *throwaway) watch(data string) {
	script := fmt.Sprintf(`while [ -d /proc/%d ]; do sleep 1; done; %q stop -D %q -m immediate >/dev/null 2>&1; rm -rf %q`,
		os.Getpid(), c.pgctl, data, c.dir)
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if c.cred != nil {
		// pg_ctl refuses root too; rm of the directory works as its owner.
		cmd.SysProcAttr.Credential = c.cred
	}
	if err := cmd.Start(); err == nil {
		c.waiter = cmd.Process
		_ = cmd.Process.Release()
	}
}

func (c *throwaway) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = c.dir
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd.CombinedOutput()
}

func (c *throwaway) stop() {
	c.once.Do(func() {
		_, _ = c.run(c.pgctl, "stop", "-D", filepath.Join(c.dir, "data"), "-m", "fast", "-w")
		_ = os.RemoveAll(c.dir)
	})
}

func unprivileged() (*syscall.Credential, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root and no postgres or nobody user to run initdb as")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
