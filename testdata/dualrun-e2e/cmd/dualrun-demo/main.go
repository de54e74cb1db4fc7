// Command dualrun-demo runs dual-run experiments on the pkgpulse example
// (GORM service as control, unit-of-work code as candidate) against a
// database and appends the results to a JSON lines file, for `ormshift
// dualrun report` and `gate`. Two candidates carry a deliberate bug so that
// the report has mismatches to show.
//
//	go run ./cmd/dualrun-demo -dsn postgres://postgres@127.0.0.1:5432/demo -out results.jsonl
//
// It creates pkgpulse's tables (dropping existing ones) and installs the
// capture triggers: use a scratch database.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"example.com/pkgpulse"
	"example.com/pkgpulse/models"
	"example.com/pkgpulse/service"

	"github.com/ormshift/ormshift/dualrun"
	"github.com/ormshift/ormshift/uow"
)

func main() {
	dsn := flag.String("dsn", "", "scratch database (its pkgpulse tables are recreated)")
	out := flag.String("out", "dualrun-results.jsonl", "results file to append to")
	n := flag.Int("n", 200, "calls per experiment")
	flag.Parse()
	if err := run(context.Background(), *dsn, *out, *n); err != nil {
		fmt.Fprintln(os.Stderr, "dualrun-demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dsn, out string, n int) error {
	if dsn == "" {
		return fmt.Errorf("-dsn is required")
	}
	pcfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return err
	}
	dualrun.ConfigureConn(pcfg.ConnConfig)
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, "DROP TABLE IF EXISTS versions, packages CASCADE"); err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, pkgpulse.SchemaSQL); err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	if _, err := dualrun.Install(ctx, conn, []string{"packages", "versions"}); err != nil {
		return err
	}
	conn.Close(ctx)
	sqlDB, err := dualrun.OpenDB(dsn)
	if err != nil {
		return err
	}
	defer sqlDB.Close()
	gdb, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return err
	}
	orm, err := uow.Open(pool, &models.Package{}, &models.Version{})
	if err != nil {
		return err
	}
	svc := service.New(gdb)
	for i := 0; i < 20; i++ {
		name := fmt.Sprintf("pkg-%02d", i)
		if i%5 == 0 {
			name = fmt.Sprintf("Pkg-%02d", i) // capitalised: LIKE and ILIKE differ
		}
		if _, err := svc.CreatePackage(ctx, name, nil); err != nil {
			return err
		}
	}

	jl, err := dualrun.OpenJSONLines(out)
	if err != nil {
		return err
	}
	q := dualrun.NewQueue(jl, 4096)
	opts := []dualrun.Option{dualrun.WithPublisher(q), dualrun.Timeout(2 * time.Second)}

	byName := dualrun.New[any]("pkgpulse.PackageByName", opts...)
	byName.Compare = dualrun.Equal[any](dualrun.Entities(), dualrun.TimePrecision(time.Microsecond))
	search := dualrun.New[any]("pkgpulse.SearchPackages", opts...)
	search.Compare = byName.Compare
	inc := dualrun.NewWrite[int64]("pkgpulse.IncrementDownloads", sqlDB, gdb, opts...)
	setDesc := dualrun.NewWrite[int64]("pkgpulse.SetDescription", sqlDB, gdb, opts...)

	for i := 0; i < n; i++ {
		name := fmt.Sprintf("pkg-%02d", 1+i%19)
		if (1+i%19)%5 == 0 {
			name = fmt.Sprintf("Pkg-%02d", 1+i%19)
		}
		if _, err := byName.Run(ctx, func(ctx context.Context) (any, error) { return svc.PackageByName(ctx, name) },
			func(ctx context.Context) (any, error) {
				return uow.FindOneOrFail[models.Package](ctx, orm.Fork(), uow.Eq("name", name))
			}); err != nil {
			return err
		}
		term := fmt.Sprintf("kg-%d", i%3)
		if i%40 == 0 {
			term = "pkg-1" // the buggy candidate's ILIKE also finds Pkg-10, Pkg-15
		}
		if _, err := search.Run(ctx, func(ctx context.Context) (any, error) { return svc.SearchPackages(ctx, term) },
			func(ctx context.Context) (any, error) {
				ps, err := uow.Find[models.Package](ctx, orm.Fork(), uow.ILike("name", "%"+term+"%"), uow.OrderBy("name", uow.Asc))
				return deref(ps), err
			}); err != nil {
			return err
		}
		if _, err := inc.Run(ctx, func(ctx context.Context, db *gorm.DB) (int64, error) {
			return service.New(db).IncrementDownloads(ctx, name, 1)
		}, func(ctx context.Context, tx pgx.Tx) (int64, error) {
			return orm.ForkOn(tx).Exec(ctx, "UPDATE packages SET weekly_downloads = weekly_downloads + 1 WHERE name = $1", name)
		}); err != nil {
			return err
		}
		desc := fmt.Sprintf("release %d", i)
		if i%50 == 7 {
			desc = ""
		}
		if _, err := setDesc.Run(ctx, func(ctx context.Context, db *gorm.DB) (int64, error) {
			_, err := service.New(db).SetDescription(ctx, name, &desc)
			return 0, err
		}, func(ctx context.Context, tx pgx.Tx) (int64, error) {
			em := orm.ForkOn(tx)
			p, err := uow.FindOneOrFail[models.Package](ctx, em, uow.Eq("name", name))
			if err != nil {
				return 0, err
			}
			if desc != "" { // the bug: an empty description is not written
				p.Description = &desc
			}
			return 0, em.Flush(ctx)
		}); err != nil {
			return err
		}
	}
	if err := q.Close(ctx); err != nil {
		return err
	}
	fmt.Printf("%d results appended to %s (%d dropped)\n", q.Published(), out, q.Dropped())
	return nil
}

func deref[T any](ps []*T) []T {
	out := make([]T, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return out
}
