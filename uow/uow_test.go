package uow_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ormshift/ormshift/internal/pgtest"
	"github.com/ormshift/ormshift/uow"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Models as in testdata/pkgpulse/models (a separate module, so copied).
type Package struct {
	ID              uint    `gorm:"primaryKey"`
	Name            string  `gorm:"uniqueIndex;not null"`
	Description     *string // NULL when the author gave none
	WeeklyDownloads int     `gorm:"not null;default:0"`
	CreatedAt       time.Time
	UpdatedAt       time.Time
	Versions        []Version // has many, through Version.PackageID
}

type Version struct {
	ID          uint      `gorm:"primaryKey"`
	Number      string    `gorm:"not null"`
	PublishedAt time.Time `gorm:"not null"`
	PackageID   uint      `gorm:"not null;index"`
	Package     *Package  // belongs to
}

const pkgSchema = `
CREATE TABLE packages (
	id bigserial PRIMARY KEY,
	name text NOT NULL UNIQUE,
	description text,
	weekly_downloads bigint NOT NULL DEFAULT 0,
	created_at timestamptz,
	updated_at timestamptz
);
CREATE TABLE versions (
	id bigserial PRIMARY KEY,
	number text NOT NULL,
	published_at timestamptz,
	package_id bigint NOT NULL REFERENCES packages(id)
);`

type env struct {
	ctx     context.Context
	pool    *pgxpool.Pool
	counter *uow.StatementCounter
	orm     *uow.ORM
}

// setup creates a database with schema and a pool traced by a
// StatementCounter, and opens an ORM on it for the entities.
func setup(t *testing.T, schema string, entities ...any) *env {
	t.Helper()
	ctx := context.Background()
	db := pgtest.New(t)
	if _, err := db.Pool.Exec(ctx, schema); err != nil {
		t.Fatalf("schema: %v", err)
	}
	cfg, err := pgxpool.ParseConfig(db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	counter := uow.NewStatementCounter()
	cfg.ConnConfig.Tracer = counter
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	orm, err := uow.Open(pool, entities...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return &env{ctx: ctx, pool: pool, counter: counter, orm: orm}
}

func (e *env) scalar(t *testing.T, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := e.pool.QueryRow(e.ctx, sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func strp(s string) *string { return &s }

func seedPackages(t *testing.T, e *env) {
	t.Helper()
	_, err := e.pool.Exec(e.ctx, `
INSERT INTO packages (name, description, weekly_downloads, created_at, updated_at) VALUES
 ('left-pad', 'pads', 100, now(), now()), ('lodash', NULL, 5000, now(), now()), ('tiny', 'small', 1, now(), now());
INSERT INTO versions (number, published_at, package_id) VALUES
 ('1.0.0', now(), 1), ('1.1.0', now(), 1), ('4.17.21', now(), 2);`)
	if err != nil {
		t.Fatal(err)
	}
}

func TestIdentityMap(t *testing.T) {
	e := setup(t, pkgSchema, &Package{}, &Version{})
	seedPackages(t, e)
	em := e.orm.Fork()
	a, err := uow.FindOneOrFail[Package](e.ctx, em, uow.Eq("name", "left-pad"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := uow.Get[Package](e.ctx, em, 1)
	if err != nil {
		t.Fatal(err)
	}
	all, err := uow.Find[Package](e.ctx, em, uow.OrderBy("id", uow.Asc))
	if err != nil {
		t.Fatal(err)
	}
	if a != b || all[0] != a {
		t.Fatalf("the same row gave different pointers: %p %p %p", a, b, all[0])
	}
	// Get of a managed entity costs no statement.
	e.counter.Reset()
	if c, err := uow.Get[Package](e.ctx, em, uint(1)); err != nil || c != a {
		t.Fatalf("Get again: %p %v", c, err)
	}
	if n := e.counter.Stats().Statements; n != 0 {
		t.Errorf("Get of a managed entity ran %d statements", n)
	}
	// Another fork has its own identity map.
	other, err := uow.Get[Package](e.ctx, e.orm.Fork(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if other == a {
		t.Error("two forks share an entity pointer")
	}
	// Unflushed edits survive a reload through a query.
	a.WeeklyDownloads = 42
	again, err := uow.FindOne[Package](e.ctx, em, uow.Eq("Name", "left-pad"))
	if err != nil || again != a || again.WeeklyDownloads != 42 {
		t.Fatalf("reload lost the in-memory edit: %v %+v", err, again)
	}
	if _, err := uow.Get[Package](e.ctx, em, 999); !errors.Is(err, uow.ErrNotFound) {
		t.Errorf("Get missing: %v, want ErrNotFound", err)
	}
	if _, err := uow.FindOneOrFail[Package](e.ctx, em, uow.Eq("name", "nope")); !errors.Is(err, uow.ErrNotFound) {
		t.Errorf("FindOneOrFail missing: %v, want ErrNotFound", err)
	}
	if p, err := uow.FindOne[Package](e.ctx, em, uow.Eq("name", "nope")); p != nil || err != nil {
		t.Errorf("FindOne missing: %v %v, want nil, nil", p, err)
	}
}

func TestChangeTrackingUpdatesOnlyChangedColumns(t *testing.T) {
	e := setup(t, pkgSchema, &Package{}, &Version{})
	seedPackages(t, e)
	em := e.orm.Fork()
	p, err := uow.FindOneOrFail[Package](e.ctx, em, uow.Eq("name", "left-pad"))
	if err != nil {
		t.Fatal(err)
	}
	// Unchanged: a flush costs nothing.
	e.counter.Reset()
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.counter.Stats().Statements; n != 0 {
		t.Fatalf("flush of unchanged entities ran %d statements: %v", n, e.counter.SQL())
	}
	oldUpdated := p.UpdatedAt
	p.WeeklyDownloads = 101
	e.counter.Reset()
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	var update string
	for _, s := range e.counter.SQL() {
		if strings.HasPrefix(s, "UPDATE") {
			if update != "" {
				t.Fatalf("two UPDATEs: %q and %q", update, s)
			}
			update = s
		}
	}
	want := `UPDATE "packages" SET "weekly_downloads" = $1, "updated_at" = $2 WHERE "id" = $3`
	if update != want {
		t.Fatalf("UPDATE = %q\nwant    %q\nall: %q", update, want, e.counter.SQL())
	}
	// The first flush of an ORM reads the column types once (one round trip).
	if st := em.LastFlushStats(); st.Updated != 1 || int64(st.RoundTrips) != e.counter.Stats().RoundTrips || st.RoundTrips > 2 {
		t.Errorf("stats = %+v, tracer %+v", st, e.counter.Stats())
	}
	if !p.UpdatedAt.After(oldUpdated) {
		t.Errorf("UpdatedAt not advanced: %v -> %v", oldUpdated, p.UpdatedAt)
	}
	if got := e.scalar(t, "SELECT weekly_downloads FROM packages WHERE id = 1"); got != 101 {
		t.Errorf("weekly_downloads = %d, want 101", got)
	}
	// Flushed: nothing more to do.
	e.counter.Reset()
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.counter.Stats().Statements; n != 0 {
		t.Errorf("second flush ran %d statements", n)
	}
	// Setting a pointer field to nil is a change to NULL; one round trip.
	p.Description = nil
	e.counter.Reset()
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if st := em.LastFlushStats(); st.Updated != 1 || st.RoundTrips != 1 || e.counter.Stats().RoundTrips != 1 {
		t.Errorf("stats = %+v, tracer %+v, want 1 update in 1 round trip", st, e.counter.Stats())
	}
	if got := e.scalar(t, "SELECT count(*) FROM packages WHERE id = 1 AND description IS NULL"); got != 1 {
		t.Error("description not set to NULL")
	}
}

func TestGraphInsertAndMixedFlushRoundTrips(t *testing.T) {
	e := setup(t, pkgSchema, &Package{}, &Version{})
	seedPackages(t, e)
	em := e.orm.Fork()
	now := time.Now()
	p := &Package{Name: "new-pkg", Description: strp("d"), Versions: []Version{
		{Number: "0.1.0", PublishedAt: now}, {Number: "0.2.0", PublishedAt: now},
	}}
	if err := em.Persist(p); err != nil {
		t.Fatal(err)
	}
	// Mixed: also update one and delete another.
	tiny, err := uow.FindOneOrFail[Package](e.ctx, em, uow.Eq("name", "tiny"))
	if err != nil {
		t.Fatal(err)
	}
	lodash, err := uow.FindOneOrFail[Package](e.ctx, em, uow.Eq("name", "lodash"), uow.Populate("Versions"))
	if err != nil {
		t.Fatal(err)
	}
	tiny.WeeklyDownloads = 7
	v := &lodash.Versions[0]
	_ = v
	vs, err := uow.Find[Version](e.ctx, em, uow.Eq("package_id", lodash.ID))
	if err != nil || len(vs) != 1 {
		t.Fatalf("versions of lodash: %v %v", vs, err)
	}
	if err := em.Remove(vs[0]); err != nil {
		t.Fatal(err)
	}
	e.counter.Reset()
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	st := em.LastFlushStats()
	if st.Inserted != 3 || st.Updated != 1 || st.Deleted != 1 {
		t.Errorf("stats = %+v", st)
	}
	if rt := e.counter.Stats().RoundTrips; rt > 3 || st.RoundTrips != int(rt) {
		t.Errorf("mixed flush took %d round trips (stats say %d), want <= 3: %q", rt, st.RoundTrips, e.counter.SQL())
	}
	if p.ID == 0 || p.Versions[0].ID == 0 || p.Versions[1].ID == 0 {
		t.Fatalf("keys not assigned: %+v", p)
	}
	if p.Versions[0].PackageID != p.ID || p.Versions[1].PackageID != p.ID {
		t.Errorf("foreign keys not set: %+v", p.Versions)
	}
	if p.CreatedAt.IsZero() || p.UpdatedAt.IsZero() {
		t.Error("timestamps not set")
	}
	if got := e.scalar(t, "SELECT count(*) FROM versions WHERE package_id = $1", p.ID); got != 2 {
		t.Errorf("versions of new package in db = %d", got)
	}
	if got := e.scalar(t, "SELECT count(*) FROM versions WHERE package_id = $1", lodash.ID); got != 0 {
		t.Errorf("removed version still there")
	}
	// The new entities are managed now: a change is an UPDATE.
	p.Versions[1].Number = "0.2.1"
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.scalar(t, "SELECT count(*) FROM versions WHERE number = '0.2.1'"); got != 1 {
		t.Error("update of a cascaded entity not flushed")
	}
	// Same graph insert of many packages is still O(1) round trips.
	em2 := e.orm.Fork()
	for i := 0; i < 50; i++ {
		pk := &Package{Name: fmt.Sprintf("bulk-%d", i)}
		for j := 0; j < 3; j++ {
			pk.Versions = append(pk.Versions, Version{Number: fmt.Sprintf("%d.0", j), PublishedAt: now})
		}
		if err := em2.Persist(pk); err != nil {
			t.Fatal(err)
		}
	}
	e.counter.Reset()
	if err := em2.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if rt := e.counter.Stats().RoundTrips; rt > 3 {
		t.Errorf("bulk graph insert took %d round trips", rt)
	}
	if got := e.scalar(t, "SELECT count(*) FROM versions v JOIN packages p ON p.id = v.package_id WHERE p.name LIKE 'bulk-%'"); got != 150 {
		t.Errorf("bulk versions = %d, want 150", got)
	}
}

func TestPopulateWithoutNPlusOne(t *testing.T) {
	e := setup(t, pkgSchema, &Package{}, &Version{})
	ctx := e.ctx
	_, err := e.pool.Exec(ctx, `INSERT INTO packages (name) SELECT 'p' || i FROM generate_series(1, 30) i;
INSERT INTO versions (number, package_id) SELECT 'v' || j, i FROM generate_series(1, 30) i, generate_series(1, 4) j`)
	if err != nil {
		t.Fatal(err)
	}
	em := e.orm.Fork()
	e.counter.Reset()
	ps, err := uow.Find[Package](ctx, em, uow.Populate("Versions"), uow.OrderBy("id", uow.Asc))
	if err != nil {
		t.Fatal(err)
	}
	if n := e.counter.Stats().Statements; n != 2 {
		t.Errorf("Find with Populate ran %d statements, want 2 (one per level): %q", n, e.counter.SQL())
	}
	if len(ps) != 30 {
		t.Fatalf("got %d packages", len(ps))
	}
	for _, p := range ps {
		if len(p.Versions) != 4 {
			t.Fatalf("package %s has %d versions", p.Name, len(p.Versions))
		}
		for _, v := range p.Versions {
			if v.PackageID != p.ID {
				t.Fatalf("version %d of package %d in package %d", v.ID, v.PackageID, p.ID)
			}
		}
	}
	// Loaded relations are not changes.
	e.counter.Reset()
	if err := em.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.counter.Stats().Statements; n != 0 {
		t.Errorf("flush after populate ran %d statements: %q", n, e.counter.SQL())
	}
}

func TestHostileFieldNamesAndValues(t *testing.T) {
	e := setup(t, pkgSchema, &Package{}, &Version{})
	seedPackages(t, e)
	em := e.orm.Fork()
	hostile := []string{`name; DROP TABLE packages`, `name" = '' OR 1=1 --`, `"name"`, `1=1`, ``, `packages.name`, `Versions`}
	for _, h := range hostile {
		for _, opt := range []uow.QueryOption{uow.Eq(h, "x"), uow.OrderBy(h, uow.Asc), uow.Or(uow.IsNull(h)), uow.Not(uow.In(h, []int{1}))} {
			_, err := uow.Find[Package](e.ctx, em, opt)
			if !errors.Is(err, uow.ErrUnknownField) {
				t.Errorf("field %q: err = %v, want ErrUnknownField", h, err)
			}
		}
		if _, err := uow.Count[Package](e.ctx, em, uow.Gt(h, 1)); !errors.Is(err, uow.ErrUnknownField) {
			t.Errorf("Count field %q: err = %v", h, err)
		}
	}
	if _, err := uow.Find[Package](e.ctx, em, uow.Populate("Versions; DROP TABLE x")); !errors.Is(err, uow.ErrUnknownField) {
		t.Errorf("hostile populate: %v", err)
	}
	// Hostile values are just values.
	for _, v := range []string{`'; DROP TABLE packages; --`, `left-pad' OR '1'='1`, `%`, `\`} {
		ps, err := uow.Find[Package](e.ctx, em, uow.Eq("name", v))
		if err != nil || len(ps) != 0 {
			t.Errorf("value %q: %d rows, %v", v, len(ps), err)
		}
	}
	if n, err := uow.Count[Package](e.ctx, em, uow.Like("name", "left%")); err != nil || n != 1 {
		t.Errorf("Like: %d %v", n, err)
	}
	if got := e.scalar(t, "SELECT count(*) FROM packages"); got != 3 {
		t.Errorf("packages = %d after hostile input", got)
	}
}

func TestFilters(t *testing.T) {
	e := setup(t, pkgSchema, &Package{}, &Version{})
	seedPackages(t, e)
	em := e.orm.Fork()
	names := func(opts ...uow.QueryOption) string {
		t.Helper()
		ps, err := uow.Find[Package](e.ctx, em, append(opts, uow.OrderBy("name", uow.Asc))...)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return strings.Join(out, ",")
	}
	cases := []struct {
		opts []uow.QueryOption
		want string
	}{
		{[]uow.QueryOption{uow.Gte("weekly_downloads", 100)}, "left-pad,lodash"},
		{[]uow.QueryOption{uow.Gt("WeeklyDownloads", 100)}, "lodash"},
		{[]uow.QueryOption{uow.Lt("weekly_downloads", 100)}, "tiny"},
		{[]uow.QueryOption{uow.Lte("weekly_downloads", 100)}, "left-pad,tiny"},
		{[]uow.QueryOption{uow.Ne("name", "tiny")}, "left-pad,lodash"},
		{[]uow.QueryOption{uow.In("name", []string{"tiny", "lodash", "x"})}, "lodash,tiny"},
		{[]uow.QueryOption{uow.In("name", []string{})}, ""},
		{[]uow.QueryOption{uow.NotIn("name", []string{"tiny"})}, "left-pad,lodash"},
		{[]uow.QueryOption{uow.Between("weekly_downloads", 1, 100)}, "left-pad,tiny"},
		{[]uow.QueryOption{uow.ILike("name", "LEFT%")}, "left-pad"},
		{[]uow.QueryOption{uow.IsNull("description")}, "lodash"},
		{[]uow.QueryOption{uow.IsNotNull("Description")}, "left-pad,tiny"},
		{[]uow.QueryOption{uow.Eq("description", nil)}, "lodash"},
		{[]uow.QueryOption{uow.Or(uow.Eq("name", "tiny"), uow.Gt("weekly_downloads", 1000))}, "lodash,tiny"},
		{[]uow.QueryOption{uow.Not(uow.Or(uow.Eq("name", "tiny"), uow.Eq("name", "lodash")))}, "left-pad"},
		{[]uow.QueryOption{uow.And(uow.Gt("weekly_downloads", 0), uow.Lt("weekly_downloads", 1000))}, "left-pad,tiny"},
		{[]uow.QueryOption{uow.Limit(1), uow.Offset(1)}, "lodash"},
	}
	for i, c := range cases {
		if got := names(c.opts...); got != c.want {
			t.Errorf("case %d: got %q, want %q", i, got, c.want)
		}
	}
	ps, err := uow.Find[Package](e.ctx, em, uow.OrderBy("weekly_downloads", uow.Desc), uow.Limit(2))
	if err != nil || len(ps) != 2 || ps[0].Name != "lodash" || ps[1].Name != "left-pad" {
		t.Errorf("order desc: %v", err)
	}
	n, err := uow.Count[Package](e.ctx, em, uow.Gte("weekly_downloads", 100))
	if err != nil || n != 2 {
		t.Errorf("Count = %d, %v", n, err)
	}
	ok, err := uow.Exists[Package](e.ctx, em, uow.Eq("name", "tiny"))
	if err != nil || !ok {
		t.Errorf("Exists = %v, %v", ok, err)
	}
	ok, err = uow.Exists[Package](e.ctx, em, uow.Eq("name", "nope"))
	if err != nil || ok {
		t.Errorf("Exists(nope) = %v, %v", ok, err)
	}
}

func TestRootEntityManagerRefused(t *testing.T) {
	e := setup(t, pkgSchema, &Package{}, &Version{})
	root := e.orm.EntityManager()
	if _, err := uow.Find[Package](e.ctx, root); !errors.Is(err, uow.ErrGlobalContext) {
		t.Errorf("Find on root: %v", err)
	}
	if err := root.Persist(&Package{Name: "x"}); !errors.Is(err, uow.ErrGlobalContext) {
		t.Errorf("Persist on root: %v", err)
	}
	if err := root.Flush(e.ctx); !errors.Is(err, uow.ErrGlobalContext) {
		t.Errorf("Flush on root: %v", err)
	}
	if _, err := uow.Find[Package](e.ctx, uow.FromContext(e.ctx)); !errors.Is(err, uow.ErrNoEntityManager) {
		t.Errorf("Find on nil: %v", err)
	}
	if _, err := uow.EntityManagerFrom(e.ctx); !errors.Is(err, uow.ErrNoEntityManager) {
		t.Errorf("EntityManagerFrom: %v", err)
	}
	em := e.orm.Fork()
	ctx := uow.WithEntityManager(e.ctx, em)
	if uow.FromContext(ctx) != em {
		t.Error("FromContext lost the EntityManager")
	}
	type NotEntity struct{ ID int }
	if _, err := uow.Find[NotEntity](ctx, em); !errors.Is(err, uow.ErrUnknownEntity) {
		t.Errorf("unknown entity: %v", err)
	}
}

func TestRawAndExec(t *testing.T) {
	e := setup(t, pkgSchema, &Package{}, &Version{})
	seedPackages(t, e)
	em := e.orm.Fork()
	type row struct {
		Name     string
		Versions int64
	}
	rows, err := uow.Raw[row](e.ctx, em, `SELECT p.name, count(v.id) AS versions FROM packages p LEFT JOIN versions v ON v.package_id = p.id WHERE p.weekly_downloads >= $1 GROUP BY p.name ORDER BY p.name`, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0] != (row{"left-pad", 2}) || rows[1] != (row{"lodash", 1}) {
		t.Errorf("Raw = %+v", rows)
	}
	n, err := em.Exec(e.ctx, "UPDATE packages SET weekly_downloads = weekly_downloads + 1 WHERE weekly_downloads < $1", 1000)
	if err != nil || n != 2 {
		t.Errorf("Exec = %d, %v", n, err)
	}
}
