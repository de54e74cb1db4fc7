package uow_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ormshift/ormshift/internal/pgtest"
	"github.com/ormshift/ormshift/uow"
)

// Example shows a unit of work end to end and the statements it sends
// (captured by the StatementCounter tracer).
func Example() {
	ctx := context.Background()
	db, err := pgtest.Create(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = pgtest.Drop(ctx, db.Name) }()
	defer db.Pool.Close()
	if _, err := db.Pool.Exec(ctx, pkgSchema); err != nil {
		fmt.Println(err)
		return
	}

	cfg, _ := pgxpool.ParseConfig(db.DSN)
	counter := uow.NewStatementCounter()
	cfg.ConnConfig.Tracer = counter
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Close()

	orm, err := uow.Open(pool, &Package{}, &Version{})
	if err != nil {
		fmt.Println(err)
		return
	}
	em := orm.Fork()

	// A graph insert: the package and its versions, keys and FKs assigned.
	p := &Package{Name: "left-pad", Versions: []Version{{Number: "1.0.0"}, {Number: "1.1.0"}}}
	if err := em.Persist(p); err != nil {
		fmt.Println(err)
		return
	}
	if err := em.Flush(ctx); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("ids:", p.ID, p.Versions[0].ID, p.Versions[1].ID, "fk:", p.Versions[1].PackageID)
	st := em.LastFlushStats()
	fmt.Println("inserted:", st.Inserted, "round trips:", st.RoundTrips, "(one of them reads column types, once per ORM)")

	// Change tracking: only the changed column (and updated_at) is written.
	em = orm.Fork()
	found, err := uow.FindOneOrFail[Package](ctx, em, uow.Eq("name", "left-pad"), uow.Populate("Versions"))
	if err != nil {
		fmt.Println(err)
		return
	}
	found.WeeklyDownloads = 10
	counter.Reset()
	if err := em.Flush(ctx); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.Join(counter.SQL(), "\n"))
	fmt.Println("versions loaded:", len(found.Versions))

	// Output:
	// ids: 1 1 2 fk: 1
	// inserted: 3 round trips: 3 (one of them reads column types, once per ORM)
	// BEGIN
	// UPDATE "packages" SET "weekly_downloads" = $1, "updated_at" = $2 WHERE "id" = $3
	// COMMIT
	// versions loaded: 2
}
