// Command scenario drives every pkgpulse service function and HTTP handler
// against a fresh schema, with fixed inputs in a fixed order, and prints a
// deterministic transcript of what each call returned, followed by the full
// contents of both tables.
//
// It is the oracle for ormshift: a rewritten pkgpulse must print the same
// transcript.
//
//	scenario -dsn postgres://postgres@127.0.0.1:5432/pkgpulse
//
// The DSN may also be given as PKGPULSE_DSN. The scenario DROPS the packages
// and versions tables of that database. Exit status: 0 when every call
// behaved as expected, 1 when one did not (the transcript says which, on a
// line containing "UNEXPECTED"), 2 for usage or connection errors.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"example.com/pkgpulse"
	"example.com/pkgpulse/api"
	"example.com/pkgpulse/models"
	"example.com/pkgpulse/service"
	"example.com/pkgpulse/store"
)

func main() {
	dsn := flag.String("dsn", os.Getenv("PKGPULSE_DSN"), "PostgreSQL connection string (default $PKGPULSE_DSN); its pkgpulse tables are dropped and recreated")
	timeout := flag.Duration("timeout", 2*time.Minute, "give up after this long")
	flag.Parse()
	if *dsn == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: scenario -dsn DSN   (or set PKGPULSE_DSN)")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	err := run(ctx, *dsn, os.Stdout)
	cancel()
	if store.DB != nil {
		if sqlDB, e := store.DB.DB(); e == nil {
			_ = sqlDB.Close()
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scenario:", err)
		if errors.Is(err, errSetup) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// errSetup marks failures to connect or to create the schema.
var errSetup = errors.New("setup failed")

// base is the fixed instant all version timestamps are derived from.
var base = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// month returns base plus n months.
func month(n int) time.Time { return base.AddDate(0, n, 0) }

func str(s string) *string { return &s }

// scenario carries the state of one run.
type scenario struct {
	ctx    context.Context
	w      io.Writer
	svc    *service.Service
	mux    *http.ServeMux
	failed []string // calls that did not behave as expected
}

// run executes the whole scenario, writing the transcript to w. It returns
// an error when any call behaved unexpectedly (after running all of them).
func run(ctx context.Context, dsn string, w io.Writer) error {
	s := &scenario{ctx: ctx, w: w}
	s.printf("# pkgpulse scenario\n")

	s.section("setup")
	if err := store.Connect(dsn); err != nil {
		return fmt.Errorf("%w: %w", errSetup, err)
	}
	s.printf("store.Connect(-dsn) => ok\n")
	s.check("store.ResetSchema(schema.sql)", "ok", store.ResetSchema(ctx, pkgpulse.SchemaSQL), nil)
	s.svc = service.New(store.DB)
	s.printf("service.New(store.DB) => ok\n")
	srv := api.New(s.svc)
	s.printf("api.New(svc) => ok\n")
	s.mux = srv.Routes()
	s.printf("api.Server.Routes() => ok\n")
	if len(s.failed) > 0 {
		return fmt.Errorf("%w: %s", errSetup, s.failed[0])
	}

	s.creating()
	s.updating()
	s.lookups()
	s.listings()
	s.associations()
	s.aggregates()
	s.scopes()
	s.rawSQL()
	s.legacyStore()
	s.handlers()
	s.deleting()
	s.dump()

	if len(s.failed) > 0 {
		return fmt.Errorf("%d call(s) behaved unexpectedly, first: %s", len(s.failed), s.failed[0])
	}
	s.printf("# end\n")
	return nil
}

func (s *scenario) creating() {
	ctx, svc := s.ctx, s.svc
	s.section("creating")

	p, err := svc.CreatePackage(ctx, "gorm", str("The fantastic ORM library for Go"))
	s.check(`service.Service.CreatePackage("gorm", "The fantastic ORM library for Go")`, fmtPkgP(p), err, nil)

	p, err = svc.CreatePackage(ctx, "gorm", nil)
	s.check(`service.Service.CreatePackage("gorm", nil)`, fmtPkgP(p), err, sqlstate("23505"))

	ps, err := svc.CreatePackages(ctx, []string{"pgx", "sqlx", "ent"})
	s.checkList(`service.Service.CreatePackages(["pgx" "sqlx" "ent"])`, fmtPkgs(ps), err, nil)

	p, err = svc.PublishPackage(ctx, "bun", str("SQL-first ORM"), []models.Version{
		{Number: "v1.0.0", PublishedAt: month(1)},
		{Number: "v1.1.0", PublishedAt: month(3)},
	})
	s.check(`service.Service.PublishPackage("bun", "SQL-first ORM", [v1.0.0 v1.1.0])`, fmtPkgP(p), err, nil)

	n, err := svc.ImportVersions(ctx, 1, []models.Version{
		{Number: "v1.0.0", PublishedAt: month(0)},
		{Number: "v1.20.0", PublishedAt: month(2)},
		{Number: "v1.25.0", PublishedAt: month(4)},
		{Number: "v1.31.1", PublishedAt: month(5)},
		{Number: "v1.31.2", PublishedAt: month(6)},
	}, 2)
	s.check(`service.Service.ImportVersions(1, [v1.0.0 v1.20.0 v1.25.0 v1.31.1 v1.31.2], batch 2)`, rows(n), err, nil)

	n, err = svc.ImportVersions(ctx, 3, []models.Version{
		{Number: "v5.0.0", PublishedAt: month(1)},
		{Number: "v5.12.0", PublishedAt: month(7)},
	}, 10)
	s.check(`service.Service.ImportVersions(3, [v5.0.0 v5.12.0], batch 10)`, rows(n), err, nil)

	n, err = svc.ImportVersions(ctx, 999, []models.Version{{Number: "v0.1.0", PublishedAt: month(0)}}, 10)
	s.check(`service.Service.ImportVersions(999, [v0.1.0], batch 10)`, rows(n), err, sqlstate("23503"))

	p, err = svc.RegisterPackage(ctx, "sqlc", 4200)
	s.check(`service.Service.RegisterPackage("sqlc", 4200)`, fmtPkgP(p), err, nil)

	p, created, err := svc.EnsurePackage(ctx, "gorm")
	s.check(`service.Service.EnsurePackage("gorm")`, fmt.Sprintf("created=%t %s", created, fmtPkgP(p)), err, nil)

	p, created, err = svc.EnsurePackage(ctx, "squirrel")
	s.check(`service.Service.EnsurePackage("squirrel")`, fmt.Sprintf("created=%t %s", created, fmtPkgP(p)), err, nil)

	p, created, err = svc.EnsurePackageWithDefaults(ctx, "goqu", "Expressive SQL builder", 300)
	s.check(`service.Service.EnsurePackageWithDefaults("goqu", "Expressive SQL builder", 300)`, fmt.Sprintf("created=%t %s", created, fmtPkgP(p)), err, nil)

	p, created, err = svc.EnsurePackageWithDefaults(ctx, "gorm", "ignored", 1)
	s.check(`service.Service.EnsurePackageWithDefaults("gorm", "ignored", 1)`, fmt.Sprintf("created=%t %s", created, fmtPkgP(p)), err, nil)

	released, skipped, err := svc.ReleaseVersions(ctx, "bun", []models.Version{
		{Number: "v1.1.0", PublishedAt: month(4)},
		{Number: "v1.2.0", PublishedAt: month(5)},
	})
	s.check(`service.Service.ReleaseVersions("bun", [v1.1.0 v1.2.0])`, fmt.Sprintf("released=%d skipped=%d", released, skipped), err, nil)

	released, skipped, err = svc.ReleaseVersions(ctx, "nope", []models.Version{{Number: "v0.0.1", PublishedAt: month(0)}})
	s.check(`service.Service.ReleaseVersions("nope", [v0.0.1])`, fmt.Sprintf("released=%d skipped=%d", released, skipped), err, is(gorm.ErrRecordNotFound))
}

func (s *scenario) updating() {
	ctx, svc := s.ctx, s.svc
	s.section("updating")

	n, err := svc.SetDownloads(ctx, 1, 150000)
	s.check(`service.Service.SetDownloads(1, 150000)`, rows(n), err, nil)
	n, err = svc.SetDownloads(ctx, 999, 1)
	s.check(`service.Service.SetDownloads(999, 1)`, rows(n), err, nil)

	n, err = svc.IncrementDownloads(ctx, "pgx", 90000)
	s.check(`service.Service.IncrementDownloads("pgx", 90000)`, rows(n), err, nil)
	n, err = svc.IncrementDownloads(ctx, "pgx", 2500)
	s.check(`service.Service.IncrementDownloads("pgx", 2500)`, rows(n), err, nil)
	n, err = svc.IncrementDownloads(ctx, "nope", 1)
	s.check(`service.Service.IncrementDownloads("nope", 1)`, rows(n), err, nil)

	// Zero values in a struct update are skipped: downloads stay as they are.
	n, err = svc.UpdateDetails(ctx, 4, str("General purpose extensions to database/sql"), 0)
	s.check(`service.Service.UpdateDetails(4, "General purpose extensions to database/sql", 0)`, rows(n), err, nil)
	n, err = svc.UpdateDetails(ctx, 5, nil, 25000)
	s.check(`service.Service.UpdateDetails(5, nil, 25000)`, rows(n), err, nil)
	n, err = svc.UpdateDetails(ctx, 6, nil, 30000)
	s.check(`service.Service.UpdateDetails(6, nil, 30000)`, rows(n), err, nil)

	p, err := svc.SetDescription(ctx, "pgx", str("PostgreSQL driver and toolkit"))
	s.check(`service.Service.SetDescription("pgx", "PostgreSQL driver and toolkit")`, fmtPkgP(p), err, nil)
	p, err = svc.SetDescription(ctx, "nope", str("x"))
	s.check(`service.Service.SetDescription("nope", "x")`, fmtPkgP(p), err, is(gorm.ErrRecordNotFound))

	n, err = svc.UpdateDetails(ctx, 8, str("Fluent SQL generation"), 1200)
	s.check(`service.Service.UpdateDetails(8, "Fluent SQL generation", 1200)`, rows(n), err, nil)
	n, err = svc.ResetStats(ctx, 8)
	s.check(`service.Service.ResetStats(8)`, rows(n), err, nil)
}

func (s *scenario) lookups() {
	ctx, svc := s.ctx, s.svc
	s.section("lookups")

	p, err := svc.PackageByID(ctx, 1)
	s.check(`service.Service.PackageByID(1)`, fmtPkgP(p), err, nil)
	p, err = svc.PackageByID(ctx, 999)
	s.check(`service.Service.PackageByID(999)`, fmtPkgP(p), err, is(gorm.ErrRecordNotFound))

	p, err = svc.PackageByName(ctx, "pgx")
	s.check(`service.Service.PackageByName("pgx")`, fmtPkgP(p), err, nil)
	p, err = svc.PackageByName(ctx, "nope")
	s.check(`service.Service.PackageByName("nope")`, fmtPkgP(p), err, is(gorm.ErrRecordNotFound))

	ps, err := svc.PackagesByIDs(ctx, []int{5, 1, 999, 3})
	s.checkList(`service.Service.PackagesByIDs([5 1 999 3]) (sorted by id)`, fmtPkgs(sortedByID(ps)), err, nil)

	ok, err := svc.PackageExists(ctx, "sqlx")
	s.check(`service.Service.PackageExists("sqlx")`, fmt.Sprint(ok), err, nil)
	ok, err = svc.PackageExists(ctx, "nope")
	s.check(`service.Service.PackageExists("nope")`, fmt.Sprint(ok), err, nil)

	p, err = svc.NewestPackage(ctx)
	s.check(`service.Service.NewestPackage()`, fmtPkgP(p), err, nil)

	v, err := svc.LatestVersion(ctx, 1)
	s.check(`service.Service.LatestVersion(1)`, fmtVerP(v), err, nil)
	v, err = svc.LatestVersion(ctx, 4)
	s.check(`service.Service.LatestVersion(4)`, fmtVerP(v), err, is(gorm.ErrRecordNotFound))
}

func (s *scenario) listings() {
	ctx, svc := s.ctx, s.svc
	s.section("filtered listings")

	ps, err := svc.FindByExample(ctx, models.Package{Name: "sqlx"})
	s.checkList(`service.Service.FindByExample({Name: "sqlx"})`, fmtPkgs(ps), err, nil)
	// A zero-valued field is no condition at all: every package matches.
	ps, err = svc.FindByExample(ctx, models.Package{WeeklyDownloads: 0})
	s.checkList(`service.Service.FindByExample({WeeklyDownloads: 0})`, fmtPkgs(ps), err, nil)

	ps, err = svc.PackagesWithDownloads(ctx, 0)
	s.checkList(`service.Service.PackagesWithDownloads(0)`, fmtPkgs(ps), err, nil)

	ps, err = svc.PackagesExcept(ctx, "gorm")
	s.checkList(`service.Service.PackagesExcept("gorm")`, fmtPkgs(ps), err, nil)

	ps, err = svc.PackagesNotIn(ctx, []string{"gorm", "pgx", "nope"})
	s.checkList(`service.Service.PackagesNotIn(["gorm" "pgx" "nope"])`, fmtPkgs(ps), err, nil)

	ps, err = svc.PackagesNamed(ctx, "sqlx", "ent")
	s.checkList(`service.Service.PackagesNamed("sqlx", "ent")`, fmtPkgs(ps), err, nil)

	ps, err = svc.PopularOrNamed(ctx, 50000, "goqu")
	s.checkList(`service.Service.PopularOrNamed(50000, "goqu")`, fmtPkgs(ps), err, nil)

	ps, err = svc.SearchPackages(ctx, "sq")
	s.checkList(`service.Service.SearchPackages("sq")`, fmtPkgs(ps), err, nil)
	ps, err = svc.SearchPackages(ctx, "o'brien")
	s.checkList(`service.Service.SearchPackages("o'brien")`, fmtPkgs(ps), err, nil)

	ps, err = svc.UndocumentedPackages(ctx)
	s.checkList(`service.Service.UndocumentedPackages()`, fmtPkgs(ps), err, nil)

	ps, err = svc.ListPackages(ctx, 3, 0)
	s.checkList(`service.Service.ListPackages(limit 3, offset 0)`, fmtPkgs(ps), err, nil)
	ps, err = svc.ListPackages(ctx, 3, 6)
	s.checkList(`service.Service.ListPackages(limit 3, offset 6)`, fmtPkgs(ps), err, nil)

	sums, err := svc.PackageSummaries(ctx)
	items := make([]string, len(sums))
	for i, r := range sums {
		items[i] = fmt.Sprintf("#%d %s downloads=%d", r.ID, r.Name, r.WeeklyDownloads)
	}
	s.checkList(`service.Service.PackageSummaries()`, items, err, nil)
}

func (s *scenario) associations() {
	ctx, svc := s.ctx, s.svc
	s.section("associations")

	p, err := svc.PackageWithVersions(ctx, "gorm")
	s.check(`service.Service.PackageWithVersions("gorm") (versions sorted by id)`, fmtPkgP(sortVersions(p)), err, nil)
	p, err = svc.PackageWithVersions(ctx, "nope")
	s.check(`service.Service.PackageWithVersions("nope")`, fmtPkgP(p), err, is(gorm.ErrRecordNotFound))

	p, err = svc.PackageWithVersionsSince(ctx, "gorm", month(4))
	s.check(`service.Service.PackageWithVersionsSince("gorm", 2024-05-01) (versions sorted by id)`, fmtPkgP(sortVersions(p)), err, nil)

	ps, err := svc.PackagesWithVersions(ctx)
	s.checkList(`service.Service.PackagesWithVersions()`, fmtPkgs(ps), err, nil)

	vs, err := svc.VersionsOf(ctx, "bun")
	s.checkList(`service.Service.VersionsOf("bun")`, fmtVers(vs), err, nil)

	vs, err = svc.VersionsOfPopular(ctx, 100000)
	s.checkList(`service.Service.VersionsOfPopular(100000)`, fmtVers(vs), err, nil)
}

func (s *scenario) aggregates() {
	ctx, svc := s.ctx, s.svc
	s.section("aggregates")

	n, err := svc.CountPackages(ctx)
	s.check(`service.Service.CountPackages()`, fmt.Sprint(n), err, nil)
	n, err = svc.CountVersions(ctx, 1)
	s.check(`service.Service.CountVersions(1)`, fmt.Sprint(n), err, nil)
	n, err = svc.CountVersions(ctx, 4)
	s.check(`service.Service.CountVersions(4)`, fmt.Sprint(n), err, nil)

	names, err := svc.PackageNames(ctx)
	s.check(`service.Service.PackageNames()`, fmt.Sprintf("%q", names), err, nil)

	numbers, err := svc.VersionNumbers(ctx)
	s.check(`service.Service.VersionNumbers()`, fmt.Sprintf("%q", numbers), err, nil)

	counts, err := svc.VersionCounts(ctx, 2)
	items := make([]string, len(counts))
	for i, c := range counts {
		items[i] = fmt.Sprintf("package=%d total=%d", c.PackageID, c.Total)
	}
	s.checkList(`service.Service.VersionCounts(min 2)`, items, err, nil)
}

func (s *scenario) scopes() {
	ctx, svc := s.ctx, s.svc
	s.section("scopes")

	byDownloads, err := service.SortedBy("downloads")
	s.check(`service.SortedBy("downloads")`, "ok", err, nil)
	_, err = service.SortedBy("name; DROP TABLE packages")
	s.check(`service.SortedBy("name; DROP TABLE packages")`, "ok", err, is(service.ErrUnknownSort))

	ps, err := svc.Packages(ctx, service.Popular(1000), byDownloads, service.Paginate(1, 3))
	s.checkList(`service.Service.Packages(service.Popular(1000), service.SortedBy("downloads"), service.Paginate(1, 3))`, fmtPkgs(ps), err, nil)

	ps, err = svc.Packages(ctx, service.OrderBy("name DESC"), service.Paginate(2, 3))
	s.checkList(`service.Service.Packages(service.OrderBy("name DESC"), service.Paginate(2, 3))`, fmtPkgs(ps), err, nil)

	ps, err = svc.PopularPackages(ctx, 1000, 2, 2)
	s.checkList(`service.Service.PopularPackages(min 1000, page 2, size 2)`, fmtPkgs(ps), err, nil)

	// Out-of-range size: Paginate clamps it to 20 (LIMIT 0 would be no rows).
	ps, err = svc.PopularPackages(ctx, 0, 1, 0)
	s.checkList(`service.Service.PopularPackages(min 0, page 1, size 0)`, fmtPkgs(ps), err, nil)
}

func (s *scenario) rawSQL() {
	ctx, svc := s.ctx, s.svc
	s.section("raw SQL")

	st, err := svc.DownloadStats(ctx)
	s.check(`service.Service.DownloadStats()`, fmt.Sprintf("packages=%d versions=%d downloads=%d", st.Packages, st.Versions, st.Downloads), err, nil)

	top, err := svc.TopPackages(ctx, 3)
	items := make([]string, len(top))
	for i, r := range top {
		items[i] = fmt.Sprintf("rank=%d %s downloads=%d", r.Rank, r.Name, r.WeeklyDownloads)
	}
	s.checkList(`service.Service.TopPackages(3)`, items, err, nil)
}

func (s *scenario) legacyStore() {
	ctx := s.ctx
	s.section("legacy store (package-global DB)")

	p, err := store.FindPackage(ctx, "gorm")
	s.check(`store.FindPackage("gorm")`, fmtPkgP(p), err, nil)
	p, err = store.FindPackage(ctx, "nope")
	s.check(`store.FindPackage("nope")`, fmtPkgP(p), err, is(gorm.ErrRecordNotFound))

	vs, err := store.RecentVersions(ctx, 3)
	s.checkList(`store.RecentVersions(3)`, fmtVers(vs), err, nil)

	hits, err := store.SearchRaw(ctx, "go")
	items := make([]string, len(hits))
	for i, h := range hits {
		items[i] = fmt.Sprintf("#%d %s", h.ID, h.Name)
	}
	s.checkList(`store.SearchRaw("go")`, items, err, nil)

	n, err := store.RenamePackage(ctx, "squirrel", "squirrel-sql")
	s.check(`store.RenamePackage("squirrel", "squirrel-sql")`, rows(n), err, nil)
	n, err = store.RenamePackage(ctx, "ent", "gorm")
	s.check(`store.RenamePackage("ent", "gorm")`, rows(n), err, sqlstate("23505"))
}

func (s *scenario) handlers() {
	s.section("HTTP handlers")

	s.request(http.MethodGet, "/packages", "", http.StatusOK)
	s.request(http.MethodGet, "/packages?order=downloads", "", http.StatusOK)
	s.request(http.MethodGet, "/packages?order=weekly_downloads", "", http.StatusBadRequest)
	s.request(http.MethodGet, "/packages?q=sq", "", http.StatusOK)
	s.request(http.MethodGet, "/packages/bun", "", http.StatusOK)
	s.request(http.MethodGet, "/packages/nope", "", http.StatusNotFound)
	s.request(http.MethodPost, "/packages", `{"name": "pop", "description": "Tame the database"}`, http.StatusCreated)
	s.request(http.MethodPost, "/packages", `{"name": "pop"}`, http.StatusConflict)
	s.request(http.MethodPost, "/packages", `{"description": "no name"}`, http.StatusBadRequest)
	s.request(http.MethodPost, "/packages/pop/downloads?by=5", "", http.StatusNoContent)
	s.request(http.MethodPost, "/packages/pop/downloads", "", http.StatusNoContent)
	s.request(http.MethodPost, "/packages/pop/downloads?by=-3", "", http.StatusBadRequest)
	s.request(http.MethodPost, "/packages/nope/downloads", "", http.StatusNotFound)
	s.request(http.MethodGet, "/packages/pop", "", http.StatusOK)
	s.request(http.MethodDelete, "/packages/pop", "", http.StatusOK)
	s.request(http.MethodDelete, "/packages/pop", "", http.StatusNotFound)
	s.request(http.MethodGet, "/search?q=go", "", http.StatusOK)

	// The legacy handlers build SQL from their input; here they get benign
	// input only.
	s.request(http.MethodGet, "/legacy/packages?order=name+desc", "", http.StatusOK)
	s.request(http.MethodGet, "/legacy/packages/gorm", "", http.StatusOK)
	s.request(http.MethodGet, "/legacy/packages/nope", "", http.StatusNotFound)
	s.request(http.MethodGet, "/legacy/search?q=sql", "", http.StatusOK)
	s.request(http.MethodGet, "/legacy/sorted?sort=weekly_downloads+desc%2C+id", "", http.StatusOK)
}

func (s *scenario) deleting() {
	ctx, svc := s.ctx, s.svc
	s.section("deleting")

	n, err := svc.DecayDownloads(ctx, 50)
	s.check(`service.Service.DecayDownloads(50)`, rows(n), err, nil)

	n, err = svc.DeleteVersion(ctx, 2)
	s.check(`service.Service.DeleteVersion(2)`, rows(n), err, nil)
	n, err = svc.DeleteVersion(ctx, 999)
	s.check(`service.Service.DeleteVersion(999)`, rows(n), err, nil)

	n, err = svc.PruneVersions(ctx, 1, month(3))
	s.check(`service.Service.PruneVersions(1, before 2024-04-01)`, rows(n), err, nil)

	n, err = svc.DeletePackageByID(ctx, 3)
	s.check(`service.Service.DeletePackageByID(3)`, rows(n), err, sqlstate("23503"))
	n, err = svc.DeletePackageByID(ctx, 5)
	s.check(`service.Service.DeletePackageByID(5)`, rows(n), err, nil)

	n, err = svc.RemovePackage(ctx, "pgx")
	s.check(`service.Service.RemovePackage("pgx")`, fmt.Sprintf("versions removed=%d", n), err, nil)
	n, err = svc.RemovePackage(ctx, "nope")
	s.check(`service.Service.RemovePackage("nope")`, fmt.Sprintf("versions removed=%d", n), err, is(gorm.ErrRecordNotFound))
}

// dump prints both tables through database/sql, independently of GORM's
// mapping. Timestamps the database or GORM chose are printed only as
// null/set and as whether updated_at moved past created_at.
func (s *scenario) dump() {
	s.section("final table contents")
	sqlDB, err := store.DB.DB()
	if err != nil {
		s.fail("dump", err)
		return
	}
	rs, err := sqlDB.QueryContext(s.ctx, `
		SELECT id, name, description, weekly_downloads,
		       CASE WHEN created_at IS NULL THEN 'null' ELSE 'set' END,
		       CASE WHEN updated_at IS NULL THEN 'null'
		            WHEN created_at IS NULL THEN 'set'
		            WHEN updated_at = created_at THEN 'same'
		            WHEN updated_at > created_at THEN 'later'
		            ELSE 'earlier' END
		FROM packages ORDER BY id`)
	if err != nil {
		s.fail("dump packages", err)
		return
	}
	s.printf("packages:\n")
	for rs.Next() {
		var (
			id, downloads    int64
			name             string
			desc             *string
			created, updated string
		)
		if err := rs.Scan(&id, &name, &desc, &downloads, &created, &updated); err != nil {
			s.fail("dump packages", err)
			_ = rs.Close()
			return
		}
		s.printf("  %d|%s|%s|%d|created=%s|updated=%s\n", id, name, fmtDesc(desc), downloads, created, updated)
	}
	if err := errors.Join(rs.Err(), rs.Close()); err != nil {
		s.fail("dump packages", err)
	}

	rs, err = sqlDB.QueryContext(s.ctx, `SELECT id, package_id, number, published_at FROM versions ORDER BY id`)
	if err != nil {
		s.fail("dump versions", err)
		return
	}
	s.printf("versions:\n")
	for rs.Next() {
		var (
			id, pkgID int64
			number    string
			published time.Time
		)
		if err := rs.Scan(&id, &pkgID, &number, &published); err != nil {
			s.fail("dump versions", err)
			_ = rs.Close()
			return
		}
		s.printf("  %d|%d|%s|%s\n", id, pkgID, number, published.UTC().Format(time.RFC3339))
	}
	if err := errors.Join(rs.Err(), rs.Close()); err != nil {
		s.fail("dump versions", err)
	}
}

// request sends one request through the API's router and prints the
// handler that served it, the status and the body.
func (s *scenario) request(method, target, body string, wantStatus int) {
	req := httptest.NewRequest(method, target, strings.NewReader(body)).WithContext(s.ctx)
	handler, pattern := s.mux.Handler(req)
	rec := httptest.NewRecorder()
	s.mux.ServeHTTP(rec, req)
	line := fmt.Sprintf("%s: %s %s [%s]", handlerName(handler), method, target, pattern)
	if body != "" {
		line += " body=" + body
	}
	line += fmt.Sprintf(" => %d %s", rec.Code, strings.TrimSpace(rec.Body.String()))
	if rec.Code != wantStatus {
		line += fmt.Sprintf(" UNEXPECTED (want status %d)", wantStatus)
		s.failed = append(s.failed, line)
	}
	s.printf("%s\n", line)
}

// handlerName turns a method-value handler into "api.Server.Method".
func handlerName(h http.Handler) string {
	f, ok := h.(http.HandlerFunc)
	if !ok {
		return fmt.Sprintf("%T", h)
	}
	fn := runtime.FuncForPC(reflect.ValueOf(f).Pointer())
	if fn == nil {
		return "unknown handler"
	}
	name := strings.TrimPrefix(fn.Name(), "example.com/pkgpulse/")
	name = strings.TrimSuffix(name, "-fm")
	return strings.ReplaceAll(name, "(*Server)", "Server")
}

// ---------------------------------------------------------------------------
// Expectations

// expectation says which error a call is expected to return; nil means none.
type expectation func(error) bool

func is(target error) expectation {
	return func(err error) bool { return errors.Is(err, target) }
}

// sqlstate expects a PostgreSQL error with the given SQLSTATE code.
func sqlstate(code string) expectation {
	return func(err error) bool {
		var pgErr interface{ SQLState() string }
		return errors.As(err, &pgErr) && pgErr.SQLState() == code
	}
}

// check prints "call => result" (or "call => error: ...") and records calls
// whose error does not match want.
func (s *scenario) check(call, result string, err error, want expectation) {
	switch {
	case err == nil && want == nil:
		s.printf("%s => %s\n", call, result)
	case err != nil && want != nil && want(err):
		s.printf("%s => error: %v\n", call, err)
	case err != nil:
		s.fail(call, err)
	default:
		s.failed = append(s.failed, call+": expected an error, got none")
		s.printf("%s => %s UNEXPECTED: expected an error, got none\n", call, result)
	}
}

// checkList is check for a list result, printed one item per line.
func (s *scenario) checkList(call string, items []string, err error, want expectation) {
	if err != nil || want != nil {
		s.check(call, fmt.Sprintf("%d rows", len(items)), err, want)
		return
	}
	s.printf("%s => %d rows\n", call, len(items))
	for _, it := range items {
		s.printf("  %s\n", it)
	}
}

func (s *scenario) fail(call string, err error) {
	s.failed = append(s.failed, fmt.Sprintf("%s: %v", call, err))
	s.printf("%s => UNEXPECTED error: %v\n", call, err)
}

func (s *scenario) section(name string) { s.printf("\n## %s\n", name) }

func (s *scenario) printf(format string, args ...any) { fmt.Fprintf(s.w, format, args...) }

// ---------------------------------------------------------------------------
// Formatting

func rows(n int64) string { return fmt.Sprintf("rows=%d", n) }

func fmtDesc(d *string) string {
	if d == nil {
		return "NULL"
	}
	return fmt.Sprintf("%q", *d)
}

// fmtTimes says whether GORM filled the timestamps and whether updated_at
// moved past created_at, never the times themselves.
func fmtTimes(created, updated time.Time) string {
	c, u := "zero", "zero"
	if !created.IsZero() {
		c = "set"
	}
	switch {
	case updated.IsZero():
	case created.IsZero():
		u = "set"
	case updated.Equal(created):
		u = "same"
	case updated.After(created):
		u = "later"
	default:
		u = "earlier"
	}
	return fmt.Sprintf("created=%s updated=%s", c, u)
}

func fmtPkg(p models.Package) string {
	out := fmt.Sprintf("#%d %s desc=%s downloads=%d %s", p.ID, p.Name, fmtDesc(p.Description), p.WeeklyDownloads, fmtTimes(p.CreatedAt, p.UpdatedAt))
	if p.Versions != nil {
		out += " versions=[" + strings.Join(fmtVers(p.Versions), ", ") + "]"
	}
	return out
}

func fmtPkgP(p *models.Package) string {
	if p == nil {
		return "<nil>"
	}
	return fmtPkg(*p)
}

func fmtPkgs(ps []models.Package) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = fmtPkg(p)
	}
	return out
}

func fmtVer(v models.Version) string {
	out := fmt.Sprintf("#%d pkg=%d %s published=%s", v.ID, v.PackageID, v.Number, v.PublishedAt.UTC().Format(time.RFC3339))
	if v.Package != nil {
		out += " package=" + v.Package.Name
	}
	return out
}

func fmtVerP(v *models.Version) string {
	if v == nil {
		return "<nil>"
	}
	return fmtVer(*v)
}

func fmtVers(vs []models.Version) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = fmtVer(v)
	}
	return out
}

// sortedByID orders the result of a query that has no ORDER BY.
func sortedByID(ps []models.Package) []models.Package {
	ps = slices.Clone(ps)
	slices.SortFunc(ps, func(a, b models.Package) int { return int(a.ID) - int(b.ID) })
	return ps
}

// sortVersions orders preloaded versions (preloading has no ORDER BY).
func sortVersions(p *models.Package) *models.Package {
	if p != nil {
		slices.SortFunc(p.Versions, func(a, b models.Version) int { return int(a.ID) - int(b.ID) })
	}
	return p
}
