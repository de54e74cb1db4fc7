package dualrun

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ormshift/ormshift/internal/pgtest"
)

type loadItem struct {
	ID      int64
	Name    string
	Counter int64
}

// BenchmarkLoad is the bounded loopback load test: 32 concurrent callers
// (ORMSHIFT_BENCH_CALLERS) for ORMSHIFT_BENCH_DURATION (default 30s, at most
// 30s) per configuration (ORMSHIFT_BENCH_ONLY=read|write to run half),
// on a read experiment and a write experiment, with the experiment off, on
// at 100% sequential and on at 100% concurrent. It prints throughput and
// the p50/p99 latency the callers saw. It runs once whatever b.N is; run it
// with scripts/bench-dualrun.sh (go test -run '^$' -bench Load -benchtime 1x).
func BenchmarkLoad(b *testing.B) {
	dur := 30 * time.Second
	if s := os.Getenv("ORMSHIFT_BENCH_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			b.Fatalf("ORMSHIFT_BENCH_DURATION: %v", err)
		}
		dur = min(d, 30*time.Second)
	}
	callers := 32
	if s := os.Getenv("ORMSHIFT_BENCH_CALLERS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 64 {
			b.Fatalf("ORMSHIFT_BENCH_CALLERS=%q: want 1..64", s)
		}
		callers = n
	}
	only := os.Getenv("ORMSHIFT_BENCH_ONLY") // "read" or "write": run those configurations only
	ctx := context.Background()
	pg := pgtest.New(b)
	if _, err := pg.Pool.Exec(ctx, `CREATE TABLE load_items (id bigserial PRIMARY KEY, name text NOT NULL, counter bigint NOT NULL DEFAULT 0);
		INSERT INTO load_items (name) SELECT 'item-' || g FROM generate_series(1, 1000) g`); err != nil {
		b.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, pg.DSN)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := Install(ctx, conn, []string{"load_items"}); err != nil {
		b.Fatal(err)
	}
	conn.Close(ctx)
	db, err := OpenDB(pg.DSN)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(2 * callers)
	db.SetMaxIdleConns(2 * callers)
	gdb, err := gorm.Open(postgres.New(postgres.Config{Conn: db}), &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true})
	if err != nil {
		b.Fatal(err)
	}
	pcfg, err := pgxpool.ParseConfig(pg.DSN)
	if err != nil {
		b.Fatal(err)
	}
	ConfigureConn(pcfg.ConnConfig)
	pcfg.MaxConns = int32(2 * callers)
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	jl, err := OpenJSONLines(filepath.Join(b.TempDir(), "results.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	q := NewQueue(jl, 4096)
	defer q.Close(ctx)

	readControl := func(id int64) Func[loadItem] {
		return func(ctx context.Context) (loadItem, error) {
			var it loadItem
			err := gdb.WithContext(ctx).First(&it, id).Error
			return it, err
		}
	}
	readCandidate := func(id int64) Func[loadItem] {
		return func(ctx context.Context) (loadItem, error) {
			var it loadItem
			err := pool.QueryRow(ctx, "SELECT id, name, counter FROM load_items WHERE id = $1", id).Scan(&it.ID, &it.Name, &it.Counter)
			return it, err
		}
	}
	writeControl := func(id int64) WriteControl[int64] {
		return func(ctx context.Context, db *gorm.DB) (int64, error) {
			res := db.WithContext(ctx).Model(&loadItem{}).Where("id = ?", id).UpdateColumn("counter", gorm.Expr("counter + 1"))
			return res.RowsAffected, res.Error
		}
	}
	writeCandidate := func(id int64) WriteCandidate[int64] {
		return func(ctx context.Context, tx pgx.Tx) (int64, error) {
			tag, err := tx.Exec(ctx, "UPDATE load_items SET counter = counter + 1 WHERE id = $1", id)
			return tag.RowsAffected(), err
		}
	}

	type config struct {
		name string
		call func(ctx context.Context, id int64) error
	}
	readOn := func(opts ...Option) func(ctx context.Context, id int64) error {
		exp := New[loadItem]("load.read", append([]Option{WithPublisher(q), Timeout(time.Second)}, opts...)...)
		return func(ctx context.Context, id int64) error {
			_, err := exp.Run(ctx, readControl(id), readCandidate(id))
			return err
		}
	}
	writeOn := func(opts ...Option) func(ctx context.Context, id int64) error {
		exp := NewWrite[int64]("load.write", db, gdb, append([]Option{WithPublisher(q), Timeout(time.Second)}, opts...)...)
		return func(ctx context.Context, id int64) error {
			_, err := exp.Run(ctx, writeControl(id), writeCandidate(id))
			return err
		}
	}
	configs := []config{
		{"read, experiment off", func(ctx context.Context, id int64) error { _, err := readControl(id)(ctx); return err }},
		{"read, 100% sequential", readOn()},
		{"read, 100% concurrent", readOn(Concurrent())},
		{"write, experiment off", func(ctx context.Context, id int64) error { _, err := writeControl(id)(ctx, gdb); return err }},
		{"write, 100% sequential", writeOn()},
		{"write, 100% concurrent*", writeOn(Concurrent())},
	}
	fmt.Printf("\ndualrun load test: %d callers, %s per configuration, loopback PostgreSQL, GOMAXPROCS=%d\n", callers, dur, runtimeProcs())
	fmt.Printf("%-26s %12s %10s %10s %8s\n", "configuration", "calls/s", "p50 ms", "p99 ms", "errors")
	for _, c := range configs {
		if only != "" && !strings.HasPrefix(c.name, only) {
			continue
		}
		lat, errs, calls := drive(ctx, callers, dur, c.call)
		fmt.Printf("%-26s %12.0f %10.3f %10.3f %8d\n", c.name, float64(calls)/dur.Seconds(), pct(lat, 50), pct(lat, 99), errs)
	}
	fmt.Printf("* write experiments always run the two paths one after the other on one connection: Concurrent() does not apply.\n")
	fmt.Printf("results published: %d, dropped by the queue: %d\n", q.Published(), q.Dropped())
}

func drive(ctx context.Context, callers int, dur time.Duration, call func(context.Context, int64) error) ([]time.Duration, int, int) {
	var mu sync.Mutex
	var all []time.Duration
	errs := 0
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 1<<14)
			e := 0
			for time.Now().Before(deadline) {
				id := rand.Int64N(1000) + 1
				t0 := time.Now()
				if err := call(ctx, id); err != nil {
					e++
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			all = append(all, local...)
			errs += e
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	return all, errs, len(all)
}

func pct(sorted []time.Duration, p float64) float64 { return percentile(sorted, p) }

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
