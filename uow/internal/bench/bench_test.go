// Package bench compares the uow runtime with GORM (a loop of per-row calls,
// and GORM's batch forms) and with hand-written pgx (the floor) on insert,
// update of one field, delete, and load with a has-many relation, for
// N = 1, 100 and 10000 entities. Run it with scripts/bench-uow.sh.
package bench

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ormshift/ormshift/internal/pgtest"
	"github.com/ormshift/ormshift/uow"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type Package struct {
	ID              uint
	Name            string `gorm:"uniqueIndex;not null"`
	Description     *string
	WeeklyDownloads int `gorm:"default:0"`
	CreatedAt       time.Time
	UpdatedAt       time.Time
	Versions        []Version
}

type Version struct {
	ID          uint
	Number      string `gorm:"not null"`
	PublishedAt time.Time
	PackageID   uint
}

const schema = `
CREATE TABLE packages (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, description text,
	weekly_downloads bigint NOT NULL DEFAULT 0, created_at timestamptz, updated_at timestamptz);
CREATE TABLE versions (id bigserial PRIMARY KEY, number text NOT NULL, published_at timestamptz,
	package_id bigint NOT NULL REFERENCES packages(id));
CREATE INDEX ON versions (package_id);`

var sizes = []int{1, 100, 10000}

type fixture struct {
	ctx     context.Context
	db      *pgtest.DB
	pool    *pgxpool.Pool
	counter *uow.StatementCounter
	orm     *uow.ORM
	gdb     *gorm.DB
}

var seq atomic.Int64

func newFixture(b *testing.B) *fixture {
	b.Helper()
	ctx := context.Background()
	db, err := pgtest.Create(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		db.Pool.Close()
		_ = pgtest.Drop(context.Background(), db.Name)
	})
	if _, err := db.Pool.Exec(ctx, schema); err != nil {
		b.Fatal(err)
	}
	cfg, err := pgxpool.ParseConfig(db.DSN)
	if err != nil {
		b.Fatal(err)
	}
	counter := uow.NewStatementCounterNoCapture()
	cfg.ConnConfig.Tracer = counter
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	orm, err := uow.Open(pool, &Package{}, &Version{})
	if err != nil {
		b.Fatal(err)
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	b.Cleanup(func() { _ = sqlDB.Close() })
	gdb, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		b.Fatal(err)
	}
	return &fixture{ctx: ctx, db: db, pool: pool, counter: counter, orm: orm, gdb: gdb}
}

func newPackages(n int) []*Package {
	base := seq.Add(int64(n))
	out := make([]*Package, n)
	d := "a package"
	for i := range out {
		out[i] = &Package{Name: "pkg-" + strconv.FormatInt(base+int64(i), 10), Description: &d, WeeklyDownloads: i}
	}
	return out
}

// seed inserts n packages with pgx COPY (not timed) and returns their ids.
func (f *fixture) seed(b *testing.B, n, versionsEach int) []int64 {
	b.Helper()
	base := seq.Add(int64(n))
	now := time.Now()
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = []any{"seed-" + strconv.FormatInt(base+int64(i), 10), "d", int64(i), now, now}
	}
	if _, err := f.pool.CopyFrom(f.ctx, pgx.Identifier{"packages"}, []string{"name", "description", "weekly_downloads", "created_at", "updated_at"}, pgx.CopyFromRows(rows)); err != nil {
		b.Fatal(err)
	}
	r, err := f.pool.Query(f.ctx, "SELECT id FROM packages WHERE name LIKE 'seed-%' AND id NOT IN (SELECT package_id FROM versions) ORDER BY id DESC LIMIT $1", n)
	if err != nil {
		b.Fatal(err)
	}
	ids, err := pgx.CollectRows(r, pgx.RowTo[int64])
	if err != nil {
		b.Fatal(err)
	}
	if versionsEach > 0 {
		var vrows [][]any
		for _, id := range ids {
			for j := 0; j < versionsEach; j++ {
				vrows = append(vrows, []any{fmt.Sprintf("%d.0.0", j), now, id})
			}
		}
		if _, err := f.pool.CopyFrom(f.ctx, pgx.Identifier{"versions"}, []string{"number", "published_at", "package_id"}, pgx.CopyFromRows(vrows)); err != nil {
			b.Fatal(err)
		}
	}
	return ids
}

// run times body b.N times; setup runs before each with the timer stopped.
func run[S any](b *testing.B, f *fixture, setup func() S, body func(S)) {
	b.ReportAllocs()
	var trips int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := setup()
		start := f.counter.Stats()
		b.StartTimer()
		body(s)
		b.StopTimer()
		trips += f.counter.Stats().RoundTrips - start.RoundTrips
		b.StartTimer()
	}
	b.ReportMetric(float64(trips)/float64(b.N), "roundtrips/op")
}

func BenchmarkInsert(b *testing.B) {
	for _, n := range sizes {
		b.Run("N="+strconv.Itoa(n), func(b *testing.B) {
			f := newFixture(b)
			b.Run("uow", func(b *testing.B) {
				run(b, f, func() []*Package { return newPackages(n) }, func(ps []*Package) {
					em := f.orm.Fork()
					for _, p := range ps {
						if err := em.Persist(p); err != nil {
							b.Fatal(err)
						}
					}
					if err := em.Flush(f.ctx); err != nil {
						b.Fatal(err)
					}
				})
			})
			b.Run("gorm-loop", func(b *testing.B) {
				run(b, f, func() []*Package { return newPackages(n) }, func(ps []*Package) {
					for _, p := range ps {
						if err := f.gdb.WithContext(f.ctx).Create(p).Error; err != nil {
							b.Fatal(err)
						}
					}
				})
			})
			b.Run("gorm-batch", func(b *testing.B) {
				run(b, f, func() []*Package { return newPackages(n) }, func(ps []*Package) {
					if err := f.gdb.WithContext(f.ctx).CreateInBatches(ps, 1000).Error; err != nil {
						b.Fatal(err)
					}
				})
			})
			b.Run("pgx-copy", func(b *testing.B) {
				// Keys pre-allocated from the sequence, then COPY, in one
				// transaction: what uow does for large single-type inserts.
				run(b, f, func() []*Package { return newPackages(n) }, func(ps []*Package) {
					now := time.Now()
					tx, err := f.pool.Begin(f.ctx)
					if err != nil {
						b.Fatal(err)
					}
					defer func() { _ = tx.Rollback(f.ctx) }()
					var ids []int64
					if err := tx.QueryRow(f.ctx, "SELECT array(SELECT nextval('packages_id_seq') FROM generate_series(1, $1))", len(ps)).Scan(&ids); err != nil {
						b.Fatal(err)
					}
					rows := make([][]any, len(ps))
					for i, p := range ps {
						rows[i] = []any{ids[i], p.Name, p.Description, int64(p.WeeklyDownloads), now, now}
					}
					if _, err := tx.CopyFrom(f.ctx, pgx.Identifier{"packages"}, []string{"id", "name", "description", "weekly_downloads", "created_at", "updated_at"}, pgx.CopyFromRows(rows)); err != nil {
						b.Fatal(err)
					}
					if err := tx.Commit(f.ctx); err != nil {
						b.Fatal(err)
					}
					for i, p := range ps {
						p.ID, p.CreatedAt, p.UpdatedAt = uint(ids[i]), now, now
					}
				})
			})
			b.Run("pgx", func(b *testing.B) {
				run(b, f, func() []*Package { return newPackages(n) }, func(ps []*Package) {
					now := time.Now()
					names := make([]string, len(ps))
					descs := make([]*string, len(ps))
					dl := make([]int64, len(ps))
					for i, p := range ps {
						names[i], descs[i], dl[i] = p.Name, p.Description, int64(p.WeeklyDownloads)
					}
					rows, err := f.pool.Query(f.ctx, `INSERT INTO packages (name, description, weekly_downloads, created_at, updated_at)
SELECT n, d, w, $4, $4 FROM unnest($1::text[], $2::text[], $3::bigint[]) AS v(n, d, w) RETURNING id`, names, descs, dl, now)
					if err != nil {
						b.Fatal(err)
					}
					i := 0
					for rows.Next() {
						var id int64
						if err := rows.Scan(&id); err != nil {
							b.Fatal(err)
						}
						ps[i].ID, ps[i].CreatedAt, ps[i].UpdatedAt = uint(id), now, now
						i++
					}
					if rows.Err() != nil {
						b.Fatal(rows.Err())
					}
				})
			})
		})
	}
}

func BenchmarkUpdateOneField(b *testing.B) {
	for _, n := range sizes {
		b.Run("N="+strconv.Itoa(n), func(b *testing.B) {
			f := newFixture(b)
			ids := f.seed(b, n, 0)
			loadUOW := func() (*uow.EntityManager, []*Package) {
				em := f.orm.Fork()
				ps, err := uow.Find[Package](f.ctx, em, uow.In("id", ids))
				if err != nil || len(ps) != n {
					b.Fatalf("load: %d %v", len(ps), err)
				}
				return em, ps
			}
			loadGORM := func() []*Package {
				var ps []*Package
				if err := f.gdb.WithContext(f.ctx).Where("id IN ?", ids).Find(&ps).Error; err != nil || len(ps) != n {
					b.Fatalf("load: %d %v", len(ps), err)
				}
				return ps
			}
			type st struct {
				em *uow.EntityManager
				ps []*Package
			}
			b.Run("uow", func(b *testing.B) {
				run(b, f, func() st { em, ps := loadUOW(); return st{em, ps} }, func(s st) {
					for _, p := range s.ps {
						p.WeeklyDownloads++
					}
					if err := s.em.Flush(f.ctx); err != nil {
						b.Fatal(err)
					}
				})
			})
			b.Run("gorm-loop", func(b *testing.B) {
				run(b, f, loadGORM, func(ps []*Package) {
					for _, p := range ps {
						p.WeeklyDownloads++
						if err := f.gdb.WithContext(f.ctx).Save(p).Error; err != nil {
							b.Fatal(err)
						}
					}
				})
			})
			b.Run("gorm-batch", func(b *testing.B) {
				// Save of a slice: one INSERT ... ON CONFLICT DO UPDATE of every column.
				run(b, f, loadGORM, func(ps []*Package) {
					for _, p := range ps {
						p.WeeklyDownloads++
					}
					if err := f.gdb.WithContext(f.ctx).Save(ps).Error; err != nil {
						b.Fatal(err)
					}
				})
			})
			b.Run("pgx", func(b *testing.B) {
				run(b, f, loadGORM, func(ps []*Package) {
					now := time.Now()
					pid := make([]int64, len(ps))
					dl := make([]int64, len(ps))
					for i, p := range ps {
						p.WeeklyDownloads++
						pid[i], dl[i] = int64(p.ID), int64(p.WeeklyDownloads)
					}
					if _, err := f.pool.Exec(f.ctx, `UPDATE packages AS t SET weekly_downloads = v.w, updated_at = $3
FROM unnest($1::bigint[], $2::bigint[]) AS v(id, w) WHERE t.id = v.id`, pid, dl, now); err != nil {
						b.Fatal(err)
					}
				})
			})
		})
	}
}

func BenchmarkDelete(b *testing.B) {
	for _, n := range sizes {
		b.Run("N="+strconv.Itoa(n), func(b *testing.B) {
			f := newFixture(b)
			type st struct {
				em *uow.EntityManager
				ps []*Package
			}
			setupUOW := func() st {
				ids := f.seed(b, n, 0)
				em := f.orm.Fork()
				ps, err := uow.Find[Package](f.ctx, em, uow.In("id", ids))
				if err != nil || len(ps) != n {
					b.Fatalf("load: %d %v", len(ps), err)
				}
				return st{em, ps}
			}
			setupGORM := func() []*Package {
				ids := f.seed(b, n, 0)
				var ps []*Package
				if err := f.gdb.WithContext(f.ctx).Where("id IN ?", ids).Find(&ps).Error; err != nil || len(ps) != n {
					b.Fatalf("load: %d %v", len(ps), err)
				}
				return ps
			}
			b.Run("uow", func(b *testing.B) {
				run(b, f, setupUOW, func(s st) {
					for _, p := range s.ps {
						if err := s.em.Remove(p); err != nil {
							b.Fatal(err)
						}
					}
					if err := s.em.Flush(f.ctx); err != nil {
						b.Fatal(err)
					}
				})
			})
			b.Run("gorm-loop", func(b *testing.B) {
				run(b, f, setupGORM, func(ps []*Package) {
					for _, p := range ps {
						if err := f.gdb.WithContext(f.ctx).Delete(p).Error; err != nil {
							b.Fatal(err)
						}
					}
				})
			})
			b.Run("gorm-batch", func(b *testing.B) {
				run(b, f, setupGORM, func(ps []*Package) {
					if err := f.gdb.WithContext(f.ctx).Delete(ps).Error; err != nil {
						b.Fatal(err)
					}
				})
			})
			b.Run("pgx", func(b *testing.B) {
				run(b, f, setupGORM, func(ps []*Package) {
					ids := make([]int64, len(ps))
					for i, p := range ps {
						ids[i] = int64(p.ID)
					}
					if _, err := f.pool.Exec(f.ctx, "DELETE FROM packages WHERE id = ANY($1::bigint[])", ids); err != nil {
						b.Fatal(err)
					}
				})
			})
		})
	}
}

func BenchmarkLoadHasMany(b *testing.B) {
	for _, n := range sizes {
		b.Run("N="+strconv.Itoa(n), func(b *testing.B) {
			f := newFixture(b)
			ids := f.seed(b, n, 2)
			noop := func() struct{} { return struct{}{} }
			b.Run("uow", func(b *testing.B) {
				run(b, f, noop, func(struct{}) {
					em := f.orm.Fork()
					ps, err := uow.Find[Package](f.ctx, em, uow.In("id", ids), uow.Populate("Versions"))
					if err != nil || len(ps) != n || len(ps[0].Versions) != 2 {
						b.Fatalf("load: %d %v", len(ps), err)
					}
				})
			})
			b.Run("gorm-loop", func(b *testing.B) {
				// The N+1 way: load packages, then each one's versions.
				run(b, f, noop, func(struct{}) {
					var ps []*Package
					if err := f.gdb.WithContext(f.ctx).Where("id IN ?", ids).Find(&ps).Error; err != nil || len(ps) != n {
						b.Fatalf("load: %d %v", len(ps), err)
					}
					for _, p := range ps {
						if err := f.gdb.WithContext(f.ctx).Where("package_id = ?", p.ID).Find(&p.Versions).Error; err != nil {
							b.Fatal(err)
						}
					}
				})
			})
			b.Run("gorm-batch", func(b *testing.B) {
				run(b, f, noop, func(struct{}) {
					var ps []*Package
					if err := f.gdb.WithContext(f.ctx).Preload("Versions").Where("id IN ?", ids).Find(&ps).Error; err != nil || len(ps) != n || len(ps[0].Versions) != 2 {
						b.Fatalf("load: %d %v", len(ps), err)
					}
				})
			})
			b.Run("pgx", func(b *testing.B) {
				run(b, f, noop, func(struct{}) {
					rows, err := f.pool.Query(f.ctx, "SELECT id, name, description, weekly_downloads, created_at, updated_at FROM packages WHERE id = ANY($1)", ids)
					if err != nil {
						b.Fatal(err)
					}
					byID := make(map[uint]*Package, n)
					var ps []*Package
					for rows.Next() {
						p := &Package{}
						var wd int64
						if err := rows.Scan(&p.ID, &p.Name, &p.Description, &wd, &p.CreatedAt, &p.UpdatedAt); err != nil {
							b.Fatal(err)
						}
						p.WeeklyDownloads = int(wd)
						byID[p.ID] = p
						ps = append(ps, p)
					}
					if rows.Err() != nil {
						b.Fatal(rows.Err())
					}
					rows, err = f.pool.Query(f.ctx, "SELECT id, number, published_at, package_id FROM versions WHERE package_id = ANY($1)", ids)
					if err != nil {
						b.Fatal(err)
					}
					for rows.Next() {
						var v Version
						if err := rows.Scan(&v.ID, &v.Number, &v.PublishedAt, &v.PackageID); err != nil {
							b.Fatal(err)
						}
						p := byID[v.PackageID]
						p.Versions = append(p.Versions, v)
					}
					if rows.Err() != nil || len(ps) != n {
						b.Fatal(rows.Err())
					}
				})
			})
		})
	}
}
