// Package e2e runs dual-run experiments on the pkgpulse example: its GORM
// service functions are the controls, unit-of-work code written here the
// candidates. It needs ORMSHIFT_TEST_DSN naming a fresh, empty database
// (the root module's dualrun/e2e_test.go provides one).
package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"example.com/pkgpulse"
	"example.com/pkgpulse/models"
	"example.com/pkgpulse/service"
	"example.com/pkgpulse/store"

	"github.com/ormshift/ormshift/dualrun"
	"github.com/ormshift/ormshift/uow"
)

const appName = "dualrun_e2e"

type env struct {
	now  time.Time
	dsn  string
	sql  *sql.DB
	svc  *service.Service
	gdb  *gorm.DB
	orm  *uow.ORM
	pool *pgxpool.Pool
	exp  []dualrun.Option
	res  chan *dualrun.Result
}

func setup(t *testing.T) *env {
	t.Helper()
	dsn := os.Getenv("ORMSHIFT_TEST_DSN")
	if dsn == "" {
		t.Fatal("ORMSHIFT_TEST_DSN must name a fresh database (run this module through the root module's dualrun tests)")
	}
	ctx := context.Background()
	pcfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	// The candidates' pool counts statements per experiment path.
	dualrun.ConfigureConn(pcfg.ConnConfig)
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := pool.Exec(ctx, "DROP SCHEMA IF EXISTS ormshift_dualrun CASCADE; DROP TABLE IF EXISTS versions, packages CASCADE"); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, pkgpulse.SchemaSQL); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := dualrun.Install(ctx, conn, []string{"packages", "versions"}); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", appName)
	u.RawQuery = q.Encode()
	sqlDB, err := dualrun.OpenDB(u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB.Close() })
	gdb, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	orm, err := uow.Open(pool, &models.Package{}, &models.Version{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	e := &env{now: now, dsn: dsn, sql: sqlDB, svc: service.New(gdb), gdb: gdb, orm: orm, pool: pool, res: make(chan *dualrun.Result, 16)}
	e.exp = []dualrun.Option{
		dualrun.WithPublisher(dualrun.PublisherFunc(func(context.Context, *dualrun.Result) error { return nil })),
		dualrun.OnResult(func(r *dualrun.Result) { e.res <- r }),
	}
	// Seed through the legacy service.
	desc := "pads strings"
	for _, name := range []string{"left-pad", "is-even", "is-odd"} {
		var d *string
		if name == "left-pad" {
			d = &desc
		}
		p, err := e.svc.CreatePackage(ctx, name, d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.IncrementDownloads(ctx, name, len(name)*10); err != nil {
			t.Fatal(err)
		}
		vs := []models.Version{{Number: "1.0.0", PublishedAt: now.Add(-48 * time.Hour), PackageID: p.ID}, {Number: "1.1.0", PublishedAt: now, PackageID: p.ID}}
		if err := gdb.Create(&vs).Error; err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *env) verdict(t *testing.T) *dualrun.Result {
	t.Helper()
	select {
	case r := <-e.res:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no result")
		return nil
	}
}

func deref[T any](ps []*T) []T {
	out := make([]T, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return out
}

// readCase is one pkgpulse read operation: the GORM service call (control)
// and its unit-of-work rewrite (candidate).
type readCase struct {
	name      string
	control   func(ctx context.Context, s *service.Service) (any, error)
	candidate func(ctx context.Context, em *uow.EntityManager) (any, error)
	opts      []dualrun.CompareOption
}

func pkgs(ps []*models.Package, err error) (any, error) { return deref(ps), err }
func vers(vs []*models.Version, err error) (any, error) { return deref(vs), err }

// readCases covers every read operation of pkgpulse's service.
func readCases(now time.Time) []readCase {
	ctlP := func(p *models.Package, err error) (any, error) { return p, err }
	ctlV := func(v *models.Version, err error) (any, error) { return v, err }
	anyOf := func(v any, err error) (any, error) { return v, err }
	return []readCase{
		{"PackageByID", func(ctx context.Context, s *service.Service) (any, error) { return ctlP(s.PackageByID(ctx, 2)) },
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				return anyOf(uow.Get[models.Package](ctx, em, uint(2)))
			}, nil},
		{"PackageByName", func(ctx context.Context, s *service.Service) (any, error) {
			return ctlP(s.PackageByName(ctx, "is-even"))
		},
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				return anyOf(uow.FindOneOrFail[models.Package](ctx, em, uow.Eq("name", "is-even")))
			}, nil},
		{"PackagesByIDs", func(ctx context.Context, s *service.Service) (any, error) {
			return anyOf(s.PackagesByIDs(ctx, []int{1, 3, 99}))
		},
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				return pkgs(uow.Find[models.Package](ctx, em, uow.In("id", []int{1, 3, 99})))
			}, []dualrun.CompareOption{dualrun.IgnoreOrder()}},
		{"PackageExists", func(ctx context.Context, s *service.Service) (any, error) {
			return anyOf(s.PackageExists(ctx, "is-odd"))
		},
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				return anyOf(uow.Exists[models.Package](ctx, em, uow.Eq("name", "is-odd")))
			}, nil},
		{"NewestPackage", func(ctx context.Context, s *service.Service) (any, error) { return ctlP(s.NewestPackage(ctx)) },
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				return anyOf(uow.FindOneOrFail[models.Package](ctx, em, uow.OrderBy("id", uow.Desc)))
			}, nil},
		{"LatestVersion", func(ctx context.Context, s *service.Service) (any, error) { return ctlV(s.LatestVersion(ctx, 1)) },
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				return anyOf(uow.FindOneOrFail[models.Version](ctx, em, uow.Eq("package_id", 1), uow.OrderBy("published_at", uow.Desc)))
			}, nil},
		{"FindByExample", func(ctx context.Context, s *service.Service) (any, error) {
			return anyOf(s.FindByExample(ctx, models.Package{Name: "is-even"}))
		}, func(ctx context.Context, em *uow.EntityManager) (any, error) {
			return pkgs(uow.Find[models.Package](ctx, em, uow.Eq("name", "is-even"), uow.OrderBy("id", uow.Asc)))
		}, nil},
		{"PackagesWithDownloads", func(ctx context.Context, s *service.Service) (any, error) {
			return anyOf(s.PackagesWithDownloads(ctx, 70))
		},
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				return pkgs(uow.Find[models.Package](ctx, em, uow.Eq("weekly_downloads", 70), uow.OrderBy("id", uow.Asc)))
			}, nil},
		{"PackagesExcept", func(ctx context.Context, s *service.Service) (any, error) {
			return anyOf(s.PackagesExcept(ctx, "is-odd"))
		},
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				return pkgs(uow.Find[models.Package](ctx, em, uow.Ne("name", "is-odd"), uow.OrderBy("id", uow.Asc)))
			}, nil},
		{"PackagesNotIn", func(ctx context.Context, s *service.Service) (any, error) {
			return anyOf(s.PackagesNotIn(ctx, []string{"is-odd", "is-even"}))
		}, func(ctx context.Context, em *uow.EntityManager) (any, error) {
			return pkgs(uow.Find[models.Package](ctx, em, uow.NotIn("name", []string{"is-odd", "is-even"}), uow.OrderBy("id", uow.Asc)))
		}, nil},
		{"PackagesNamed", func(ctx context.Context, s *service.Service) (any, error) {
			return anyOf(s.PackagesNamed(ctx, "is-odd", "left-pad"))
		},
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				return pkgs(uow.Find[models.Package](ctx, em, uow.Or(uow.Eq("name", "is-odd"), uow.Eq("name", "left-pad")), uow.OrderBy("id", uow.Asc)))
			}, nil},
		{"PopularOrNamed", func(ctx context.Context, s *service.Service) (any, error) {
			return anyOf(s.PopularOrNamed(ctx, 75, "is-odd"))
		},
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				return pkgs(uow.Find[models.Package](ctx, em, uow.Or(uow.Gte("weekly_downloads", 75), uow.Eq("name", "is-odd")), uow.OrderBy("id", uow.Asc)))
			}, nil},
		{"SearchPackages", func(ctx context.Context, s *service.Service) (any, error) { return anyOf(s.SearchPackages(ctx, "is-")) },
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				return pkgs(uow.Find[models.Package](ctx, em, uow.Like("name", "%is-%"), uow.OrderBy("name", uow.Asc)))
			}, nil},
		{"UndocumentedPackages", func(ctx context.Context, s *service.Service) (any, error) { return anyOf(s.UndocumentedPackages(ctx)) },
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				return pkgs(uow.Find[models.Package](ctx, em, uow.IsNull("description"), uow.OrderBy("id", uow.Asc)))
			}, nil},
		{"ListPackages", func(ctx context.Context, s *service.Service) (any, error) { return anyOf(s.ListPackages(ctx, 2, 1)) },
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				return pkgs(uow.Find[models.Package](ctx, em, uow.OrderBy("name", uow.Asc), uow.Limit(2), uow.Offset(1)))
			}, nil},
		{"PackageSummaries", func(ctx context.Context, s *service.Service) (any, error) { return anyOf(s.PackageSummaries(ctx)) },
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				ps, err := uow.Find[models.Package](ctx, em, uow.OrderBy("weekly_downloads", uow.Desc), uow.OrderBy("id", uow.Asc))
				out := make([]service.PackageSummary, len(ps))
				for i, p := range ps {
					out[i] = service.PackageSummary{ID: p.ID, Name: p.Name, WeeklyDownloads: p.WeeklyDownloads}
				}
				return out, err
			}, nil},
		{"PackageWithVersions", func(ctx context.Context, s *service.Service) (any, error) {
			return ctlP(s.PackageWithVersions(ctx, "left-pad"))
		},
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				return anyOf(uow.FindOneOrFail[models.Package](ctx, em, uow.Eq("name", "left-pad"), uow.Populate("Versions")))
			}, []dualrun.CompareOption{dualrun.IgnoreOrder()}},
		{"PackageWithVersionsSince", func(ctx context.Context, s *service.Service) (any, error) {
			return ctlP(s.PackageWithVersionsSince(ctx, "left-pad", now.Add(-time.Hour)))
		}, func(ctx context.Context, em *uow.EntityManager) (any, error) {
			p, err := uow.FindOneOrFail[models.Package](ctx, em, uow.Eq("name", "left-pad"))
			if err != nil {
				return nil, err
			}
			vs, err := uow.Find[models.Version](ctx, em, uow.Eq("package_id", p.ID), uow.Gte("published_at", now.Add(-time.Hour)))
			p.Versions = deref(vs)
			return p, err
		}, []dualrun.CompareOption{dualrun.IgnoreOrder()}},
		{"PackagesWithVersions", func(ctx context.Context, s *service.Service) (any, error) { return anyOf(s.PackagesWithVersions(ctx)) },
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				ps, err := uow.Find[models.Package](ctx, em, uow.OrderBy("id", uow.Asc), uow.Populate("Versions"))
				for _, p := range ps {
					sort.SliceStable(p.Versions, func(i, j int) bool { return p.Versions[i].PublishedAt.After(p.Versions[j].PublishedAt) })
				}
				return deref(ps), err
			}, nil},
		{"VersionsOf", func(ctx context.Context, s *service.Service) (any, error) {
			return anyOf(s.VersionsOf(ctx, "left-pad"))
		},
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				p, err := uow.FindOneOrFail[models.Package](ctx, em, uow.Eq("name", "left-pad"))
				if err != nil {
					return nil, err
				}
				return vers(uow.Find[models.Version](ctx, em, uow.Eq("package_id", p.ID), uow.OrderBy("id", uow.Asc), uow.Populate("Package")))
			}, nil},
		{"VersionsOfPopular", func(ctx context.Context, s *service.Service) (any, error) { return anyOf(s.VersionsOfPopular(ctx, 75)) },
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				ps, err := uow.Find[models.Package](ctx, em, uow.Gte("weekly_downloads", 75))
				if err != nil {
					return nil, err
				}
				ids := []uint{}
				for _, p := range ps {
					ids = append(ids, p.ID)
				}
				return vers(uow.Find[models.Version](ctx, em, uow.In("package_id", ids), uow.OrderBy("id", uow.Asc)))
			}, nil},
		{"CountPackages", func(ctx context.Context, s *service.Service) (any, error) { return anyOf(s.CountPackages(ctx)) },
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				return anyOf(uow.Count[models.Package](ctx, em))
			}, nil},
		{"CountVersions", func(ctx context.Context, s *service.Service) (any, error) { return anyOf(s.CountVersions(ctx, 1)) },
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				return anyOf(uow.Count[models.Version](ctx, em, uow.Eq("package_id", 1)))
			}, nil},
		{"PackageNames", func(ctx context.Context, s *service.Service) (any, error) { return anyOf(s.PackageNames(ctx)) },
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				ps, err := uow.Find[models.Package](ctx, em, uow.OrderBy("name", uow.Asc))
				names := make([]string, len(ps))
				for i, p := range ps {
					names[i] = p.Name
				}
				return names, err
			}, nil},
		{"VersionNumbers", func(ctx context.Context, s *service.Service) (any, error) { return anyOf(s.VersionNumbers(ctx)) },
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				rows, err := uow.Raw[struct{ Number string }](ctx, em, "SELECT DISTINCT number FROM versions ORDER BY number")
				out := make([]string, len(rows))
				for i, r := range rows {
					out[i] = r.Number
				}
				return out, err
			}, nil},
		{"VersionCounts", func(ctx context.Context, s *service.Service) (any, error) { return anyOf(s.VersionCounts(ctx, 2)) },
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				return anyOf(uow.Raw[service.VersionCount](ctx, em, "SELECT package_id, count(*) AS total FROM versions GROUP BY package_id HAVING count(*) >= $1 ORDER BY package_id", 2))
			}, nil},
		{"Packages(scopes)", func(ctx context.Context, s *service.Service) (any, error) {
			sorted, err := service.SortedBy("downloads")
			if err != nil {
				return nil, err
			}
			return anyOf(s.Packages(ctx, service.Popular(65), sorted))
		}, func(ctx context.Context, em *uow.EntityManager) (any, error) {
			return pkgs(uow.Find[models.Package](ctx, em, uow.Gte("weekly_downloads", 65), uow.OrderBy("weekly_downloads", uow.Desc), uow.OrderBy("id", uow.Asc)))
		}, nil},
		{"PopularPackages", func(ctx context.Context, s *service.Service) (any, error) {
			return anyOf(s.PopularPackages(ctx, 65, 1, 2))
		},
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				return pkgs(uow.Find[models.Package](ctx, em, uow.Gte("weekly_downloads", 65), uow.OrderBy("id", uow.Asc), uow.Limit(2), uow.Offset(0)))
			}, nil},
		{"DownloadStats", func(ctx context.Context, s *service.Service) (any, error) { return anyOf(s.DownloadStats(ctx)) },
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				rows, err := uow.Raw[service.Stats](ctx, em, `SELECT (SELECT count(*) FROM packages) AS packages,
					(SELECT count(*) FROM versions) AS versions, (SELECT coalesce(sum(weekly_downloads), 0) FROM packages) AS downloads`)
				if err != nil || len(rows) != 1 {
					return nil, errorsJoin(err, fmt.Errorf("%d rows", len(rows)))
				}
				return rows[0], nil
			}, nil},
		{"TopPackages", func(ctx context.Context, s *service.Service) (any, error) { return anyOf(s.TopPackages(ctx, 2)) },
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				return anyOf(uow.Raw[service.PackageRank](ctx, em, `SELECT rank() OVER (ORDER BY weekly_downloads DESC) AS rank, name, weekly_downloads
					FROM packages ORDER BY weekly_downloads DESC, name LIMIT $1`, 2))
			}, nil},
	}
}

func TestEveryReadMatches(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	for _, c := range readCases(e.now) {
		t.Run(c.name, func(t *testing.T) {
			exp := dualrun.New[any]("pkgpulse."+c.name, append(e.exp, dualrun.RaiseOnMismatch())...)
			exp.Compare = dualrun.Equal[any](append([]dualrun.CompareOption{
				dualrun.WithColumns(dualrun.RegistryColumns(e.orm.Registry())), dualrun.TimePrecision(time.Microsecond)}, c.opts...)...)
			v, err := exp.Run(ctx, func(ctx context.Context) (any, error) { return c.control(ctx, e.svc) },
				func(ctx context.Context) (any, error) { return c.candidate(ctx, e.orm.Fork()) })
			r := e.verdict(t)
			if err != nil {
				t.Fatalf("%v (candidate error %q)", err, r.Candidates[0].Error)
			}
			if v == nil {
				t.Fatal("control returned nil")
			}
			if r.Control.Stats.Statements == 0 || r.Candidates[0].Stats.Statements == 0 {
				t.Errorf("statements not counted: control %+v, candidate %+v", r.Control.Stats, r.Candidates[0].Stats)
			}
		})
	}
}

// TestMetadataAgrees checks that the runtime's metadata and dualrun's
// default (naming rules only) see pkgpulse's models the same way.
func TestMetadataAgrees(t *testing.T) {
	e := setup(t)
	reg := dualrun.RegistryColumns(e.orm.Registry())
	for _, typ := range []reflect.Type{reflect.TypeOf(models.Package{}), reflect.TypeOf(models.Version{})} {
		a, oka := reg(typ)
		b, okb := dualrun.DefaultColumns(typ)
		if !oka || !okb || fmt.Sprint(*a) != fmt.Sprint(*b) {
			t.Errorf("%s:\n runtime  %+v\n dualrun  %+v", typ, a, b)
		}
	}
}

func TestReadMismatchFound(t *testing.T) {
	e := setup(t)
	exp := dualrun.New[any]("pkgpulse.PopularOrNamed.wrong", e.exp...)
	exp.Compare = dualrun.Equal[any](dualrun.Entities())
	// Wrong filter: Gt instead of Gte.
	_, err := exp.Run(context.Background(), func(ctx context.Context) (any, error) { return e.svc.PackagesWithDownloads(ctx, 70) },
		func(ctx context.Context) (any, error) {
			return pkgs(uow.Find[models.Package](ctx, e.orm.Fork(), uow.Gt("weekly_downloads", 70), uow.OrderBy("id", uow.Asc)))
		})
	if err != nil {
		t.Fatal(err)
	}
	r := e.verdict(t)
	if c := r.Candidates[0]; c.Outcome != dualrun.Mismatched || !strings.Contains(c.Diff, `[id=2]: row only in control: {id:2, name:"is-even"`) ||
		!strings.Contains(c.Diff, `[id=1]: row only in candidate: {id:1, name:"left-pad"`) {
		t.Errorf("%s: %s", c.Outcome, c.Diff)
	}
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// writeCase is one pkgpulse write operation: the GORM service call and its
// unit-of-work rewrite, run on the same connection and transaction.
type writeCase struct {
	name      string
	control   func(ctx context.Context, s *service.Service) (any, error)
	candidate func(ctx context.Context, em *uow.EntityManager) (any, error)
	outcome   dualrun.Outcome
	diff      string
}

func str(s string) *string { return &s }

// writeCases covers every write operation of pkgpulse's service, in an
// order where each finds the rows it needs, then deliberate mismatches.
func writeCases(now time.Time) []writeCase {
	m := dualrun.Matched
	return []writeCase{
		{"CreatePackage", func(ctx context.Context, s *service.Service) (any, error) {
			return s.CreatePackage(ctx, "is-number", nil)
		},
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				p := &models.Package{Name: "is-number"}
				return p, errorsJoin(em.Persist(p), em.Flush(ctx))
			}, m, ""},
		{"CreatePackages", func(ctx context.Context, s *service.Service) (any, error) {
			return s.CreatePackages(ctx, []string{"a1", "a2"})
		}, func(ctx context.Context, em *uow.EntityManager) (any, error) {
			return nil, errorsJoin(em.Persist(&models.Package{Name: "a1"}, &models.Package{Name: "a2"}), em.Flush(ctx))
		}, m, ""},
		{"PublishPackage", func(ctx context.Context, s *service.Service) (any, error) {
			return s.PublishPackage(ctx, "pub", str("published"), []models.Version{{Number: "2.0.0", PublishedAt: now}, {Number: "2.1.0", PublishedAt: now}})
		}, func(ctx context.Context, em *uow.EntityManager) (any, error) {
			p := &models.Package{Name: "pub", Description: str("published")}
			if err := errorsJoin(em.Persist(p), em.Flush(ctx)); err != nil {
				return nil, err
			}
			return nil, errorsJoin(em.Persist(&models.Version{Number: "2.1.0", PublishedAt: now, PackageID: p.ID},
				&models.Version{Number: "2.0.0", PublishedAt: now, PackageID: p.ID}), em.Flush(ctx))
		}, m, ""},
		{"ImportVersions", func(ctx context.Context, s *service.Service) (any, error) {
			return s.ImportVersions(ctx, 2, []models.Version{{Number: "0.1.0", PublishedAt: now}, {Number: "0.2.0", PublishedAt: now}, {Number: "0.3.0", PublishedAt: now}}, 2)
		}, func(ctx context.Context, em *uow.EntityManager) (any, error) {
			var vs []any
			for _, n := range []string{"0.1.0", "0.2.0", "0.3.0"} {
				vs = append(vs, &models.Version{Number: n, PublishedAt: now, PackageID: 2})
			}
			return nil, errorsJoin(em.Persist(vs...), em.Flush(ctx))
		}, m, ""},
		{"RegisterPackage", func(ctx context.Context, s *service.Service) (any, error) { return s.RegisterPackage(ctx, "reg", 5) },
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				return nil, errorsJoin(em.Persist(&models.Package{Name: "reg", WeeklyDownloads: 5}), em.Flush(ctx))
			}, m, ""},
		{"EnsurePackage (exists)", func(ctx context.Context, s *service.Service) (any, error) {
			_, created, err := s.EnsurePackage(ctx, "is-even")
			return created, err
		}, ensure("is-even", nil, 0), m, ""},
		{"EnsurePackage (creates)", func(ctx context.Context, s *service.Service) (any, error) {
			_, created, err := s.EnsurePackage(ctx, "ens-new")
			return created, err
		}, ensure("ens-new", nil, 0), m, ""},
		{"EnsurePackageWithDefaults", func(ctx context.Context, s *service.Service) (any, error) {
			_, created, err := s.EnsurePackageWithDefaults(ctx, "ens-def", "defaults", 7)
			return created, err
		}, ensure("ens-def", str("defaults"), 7), m, ""},
		{"SetDescription", func(ctx context.Context, s *service.Service) (any, error) {
			return s.SetDescription(ctx, "is-odd", str("odd numbers"))
		},
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				p, err := uow.FindOneOrFail[models.Package](ctx, em, uow.Eq("name", "is-odd"))
				if err != nil {
					return nil, err
				}
				p.Description = str("odd numbers")
				return p, em.Flush(ctx)
			}, m, ""},
		{"SetDownloads", func(ctx context.Context, s *service.Service) (any, error) { return s.SetDownloads(ctx, 2, 71) },
			setDownloads(2, 71), m, ""},
		{"UpdateDetails", func(ctx context.Context, s *service.Service) (any, error) { return s.UpdateDetails(ctx, 3, nil, 61) },
			setDownloads(3, 61), m, ""},
		{"ResetStats", func(ctx context.Context, s *service.Service) (any, error) { return s.ResetStats(ctx, 1) },
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				p, err := uow.Get[models.Package](ctx, em, uint(1))
				if err != nil {
					return nil, err
				}
				p.WeeklyDownloads, p.Description = 0, nil
				return nil, em.Flush(ctx)
			}, m, ""},
		{"IncrementDownloads", func(ctx context.Context, s *service.Service) (any, error) {
			return s.IncrementDownloads(ctx, "is-odd", 5)
		},
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				return em.Exec(ctx, "UPDATE packages SET weekly_downloads = weekly_downloads + $1 WHERE name = $2", 5, "is-odd")
			}, m, ""},
		{"DecayDownloads", func(ctx context.Context, s *service.Service) (any, error) { return s.DecayDownloads(ctx, 50) },
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				return em.Exec(ctx, "UPDATE packages SET weekly_downloads = weekly_downloads * $1 / 100", 50)
			}, m, ""},
		{"DeleteVersion", func(ctx context.Context, s *service.Service) (any, error) { return s.DeleteVersion(ctx, 6) },
			removeVersion(6), m, ""},
		{"PruneVersions", func(ctx context.Context, s *service.Service) (any, error) {
			return s.PruneVersions(ctx, 2, now.Add(-time.Hour))
		},
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				vs, err := uow.Find[models.Version](ctx, em, uow.Eq("package_id", 2), uow.Lt("published_at", now.Add(-time.Hour)))
				if err != nil {
					return nil, err
				}
				for _, v := range vs {
					if err := em.Remove(v); err != nil {
						return nil, err
					}
				}
				return nil, em.Flush(ctx)
			}, m, ""},
		{"DeletePackageByID (both fail on the foreign key)", func(ctx context.Context, s *service.Service) (any, error) {
			n, err := s.DeletePackageByID(ctx, 3)
			if err == nil {
				return nil, fmt.Errorf("deleted %d rows of a package with versions", n)
			}
			return n, err
		}, func(ctx context.Context, em *uow.EntityManager) (any, error) {
			p, err := uow.Get[models.Package](ctx, em, uint(3))
			if err != nil {
				return nil, err
			}
			return nil, errorsJoin(em.Remove(p), em.Flush(ctx))
		}, m, ""},
		{"RemovePackage", func(ctx context.Context, s *service.Service) (any, error) { return s.RemovePackage(ctx, "is-odd") },
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				p, err := uow.FindOneOrFail[models.Package](ctx, em, uow.Eq("name", "is-odd"))
				if err != nil {
					return nil, err
				}
				vs, err := uow.Find[models.Version](ctx, em, uow.Eq("package_id", p.ID))
				if err != nil {
					return nil, err
				}
				for _, v := range vs {
					if err := em.Remove(v); err != nil {
						return nil, err
					}
				}
				return nil, errorsJoin(em.Remove(p), em.Flush(ctx))
			}, m, ""},
		{"ReleaseVersions", func(ctx context.Context, s *service.Service) (any, error) {
			r, sk, err := s.ReleaseVersions(ctx, "is-even", []models.Version{{Number: "1.1.0", PublishedAt: now}, {Number: "3.0.0", PublishedAt: now}})
			return [2]int{r, sk}, err
		}, func(ctx context.Context, em *uow.EntityManager) (any, error) {
			p, err := uow.FindOneOrFail[models.Package](ctx, em, uow.Eq("name", "is-even"))
			if err != nil {
				return nil, err
			}
			for _, n := range []string{"1.1.0", "3.0.0"} {
				dup, err := uow.Exists[models.Version](ctx, em, uow.Eq("package_id", p.ID), uow.Eq("number", n))
				if err != nil {
					return nil, err
				}
				if !dup {
					if err := em.Persist(&models.Version{Number: n, PublishedAt: now, PackageID: p.ID}); err != nil {
						return nil, err
					}
				}
			}
			p.UpdatedAt = time.Now()
			return nil, em.Flush(ctx)
		}, m, ""},

		// Deliberate mismatches.
		{"wrong filter", func(ctx context.Context, s *service.Service) (any, error) {
			return s.IncrementDownloads(ctx, "left-pad", 1)
		},
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				return em.Exec(ctx, "UPDATE packages SET weekly_downloads = weekly_downloads + 1 WHERE name = $1", "is-even")
			}, dualrun.Mismatched, "id=2: candidate updated (weekly_downloads"},
		{"missing column update", func(ctx context.Context, s *service.Service) (any, error) {
			return s.UpdateDetails(ctx, 2, str("evens"), 72)
		},
			setDownloads(2, 72), dualrun.Mismatched, `description]: control "evens", candidate nil`},
		{"extra insert", func(ctx context.Context, s *service.Service) (any, error) {
			return s.CreatePackage(ctx, "only-one", nil)
		},
			func(ctx context.Context, em *uow.EntityManager) (any, error) {
				return nil, errorsJoin(em.Persist(&models.Package{Name: "only-one"}, &models.Package{Name: "one-more"}), em.Flush(ctx))
			}, dualrun.Mismatched, `candidate inserted {`},
		{"missing delete", func(ctx context.Context, s *service.Service) (any, error) { return s.DeleteVersion(ctx, 4) },
			func(ctx context.Context, em *uow.EntityManager) (any, error) { return nil, nil }, dualrun.Mismatched, "id=4: control deleted"},
	}
}

func ensure(name string, desc *string, downloads int) func(ctx context.Context, em *uow.EntityManager) (any, error) {
	return func(ctx context.Context, em *uow.EntityManager) (any, error) {
		p, err := uow.FindOne[models.Package](ctx, em, uow.Eq("name", name))
		if err != nil || p != nil {
			return false, err
		}
		return true, errorsJoin(em.Persist(&models.Package{Name: name, Description: desc, WeeklyDownloads: downloads}), em.Flush(ctx))
	}
}

func setDownloads(id uint, n int) func(ctx context.Context, em *uow.EntityManager) (any, error) {
	return func(ctx context.Context, em *uow.EntityManager) (any, error) {
		p, err := uow.Get[models.Package](ctx, em, id)
		if err != nil {
			return nil, err
		}
		p.WeeklyDownloads = n
		return nil, em.Flush(ctx)
	}
}

func removeVersion(id uint) func(ctx context.Context, em *uow.EntityManager) (any, error) {
	return func(ctx context.Context, em *uow.EntityManager) (any, error) {
		v, err := uow.Get[models.Version](ctx, em, id)
		if err != nil {
			return nil, err
		}
		return nil, errorsJoin(em.Remove(v), em.Flush(ctx))
	}
}

func (e *env) write(name string, opts ...dualrun.Option) *dualrun.WriteExperiment[any] {
	return dualrun.NewWrite[any]("pkgpulse."+name, e.sql, e.gdb, append(append([]dualrun.Option{}, e.exp...), opts...)...)
}

func TestEveryWriteMatchesAndMismatchesAreFound(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	for _, c := range writeCases(e.now) {
		t.Run(c.name, func(t *testing.T) {
			exp := e.write(c.name)
			_, err := exp.Run(ctx, func(ctx context.Context, db *gorm.DB) (any, error) { return c.control(ctx, service.New(db)) },
				func(ctx context.Context, tx pgx.Tx) (any, error) { return c.candidate(ctx, e.orm.ForkOn(tx)) })
			r := e.verdict(t)
			cr := r.Candidates[0]
			if err != nil && !strings.Contains(c.name, "both fail") {
				t.Fatalf("control error: %v", err)
			}
			if cr.Outcome != c.outcome || !strings.Contains(cr.Diff, c.diff) {
				t.Errorf("%s, want %s containing %q (candidate error %q, note %q)\n%s", cr.Outcome, c.outcome, c.diff, cr.Error, r.Note, cr.Diff)
			}
			if r.Control.Stats.Statements == 0 {
				t.Errorf("control statements not counted: %+v", r.Control.Stats)
			}
		})
	}
	var names string
	var effects int
	if err := e.pool.QueryRow(ctx, `SELECT string_agg(name, ',' ORDER BY name), (SELECT count(*) FROM ormshift_dualrun.effects) FROM packages`).Scan(&names, &effects); err != nil {
		t.Fatal(err)
	}
	// The controls' packages only: no "one-more" from the extra insert.
	if names != "a1,a2,ens-def,ens-new,is-even,is-number,left-pad,only-one,pub,reg" || effects != 0 {
		t.Errorf("after the runs: packages %s; %d capture rows left", names, effects)
	}
}

func TestCandidateFaultsLeaveNoTrace(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	marker := func(ctx context.Context, em *uow.EntityManager) error {
		return errorsJoin(em.Persist(&models.Package{Name: "candidate-row"}), em.Flush(ctx))
	}
	faults := []struct {
		name string
		then func(ctx context.Context, em *uow.EntityManager) error
		want string
	}{
		{"error", func(context.Context, *uow.EntityManager) error { return fmt.Errorf("rewrite bug") }, "rewrite bug"},
		{"panic", func(context.Context, *uow.EntityManager) error { panic("nil map in rewrite") }, "candidate panicked"},
		{"timeout", func(ctx context.Context, em *uow.EntityManager) error {
			_, err := em.Exec(ctx, "SELECT pg_sleep(30)")
			return err
		}, "timed out"},
		{"context cancel", func(ctx context.Context, em *uow.EntityManager) error {
			ctx, cancel := context.WithCancel(ctx)
			cancel()
			_, err := uow.Find[models.Package](ctx, em)
			return err
		}, "context canceled"},
		{"constraint violation", func(ctx context.Context, em *uow.EntityManager) error {
			return errorsJoin(em.Persist(&models.Package{Name: "left-pad"}), em.Flush(ctx))
		}, "23505"},
		{"connection killed", func(ctx context.Context, em *uow.EntityManager) error {
			_, err := em.Exec(ctx, "SELECT pg_terminate_backend(pg_backend_pid())")
			return err
		}, "candidate failed"},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			base := runtime.NumGoroutine()
			exp := e.write("fault."+f.name, dualrun.Timeout(300*time.Millisecond))
			n, err := exp.Run(ctx, func(ctx context.Context, db *gorm.DB) (any, error) {
				return service.New(db).IncrementDownloads(ctx, "left-pad", 1)
			}, func(ctx context.Context, tx pgx.Tx) (any, error) {
				em := e.orm.ForkOn(tx)
				if err := marker(ctx, em); err != nil {
					return nil, err
				}
				return nil, f.then(ctx, em)
			})
			if err != nil || n != int64(1) {
				t.Fatalf("control result changed: (%v, %v)", n, err)
			}
			r := e.verdict(t)
			cr := r.Candidates[0]
			if cr.Outcome != dualrun.Mismatched || !cr.Fault || !strings.Contains(cr.Diff+cr.Error, f.want) {
				t.Errorf("%s fault=%v diff %q error %q; want a fault containing %q", cr.Outcome, cr.Fault, cr.Diff, cr.Error, f.want)
			}
			var left int
			if err := e.pool.QueryRow(ctx, "SELECT count(*) FROM packages WHERE name = 'candidate-row'").Scan(&left); err != nil || left != 0 {
				t.Errorf("candidate rows left: %d (%v)", left, err)
			}
			e.checkConnections(t)
			deadline := time.Now().Add(5 * time.Second)
			for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if n := runtime.NumGoroutine(); n > base {
				t.Errorf("goroutines: %d, %d before", n, base)
			}
		})
	}
	var downloads int
	if err := e.pool.QueryRow(ctx, "SELECT weekly_downloads FROM packages WHERE name = 'left-pad'").Scan(&downloads); err != nil || downloads != 80+len(faults) {
		t.Errorf("left-pad downloads = %d (%v), want %d: every control committed once", downloads, err, 80+len(faults))
	}
}

// checkConnections fails when a connection of the shim's pool is left in a
// transaction, in use, or PostgreSQL has more of its backends than the pool
// has open.
func (e *env) checkConnections(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var backends, inTx int
		err := e.pool.QueryRow(context.Background(), `SELECT count(*), count(*) FILTER (WHERE state LIKE 'idle in transaction%')
			FROM pg_stat_activity WHERE application_name = $1`, appName).Scan(&backends, &inTx)
		if err != nil {
			t.Fatal(err)
		}
		st := e.sql.Stats()
		if inTx == 0 && st.InUse == 0 && backends <= st.OpenConnections {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("connections leaked: %d backends (%d in a transaction); pool: %d open, %d in use", backends, inTx, st.OpenConnections, st.InUse)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestStoreOperations covers pkgpulse's older data-access package, which
// uses a package-level *gorm.DB. The handle gets the dualrun.Router plugin
// (the one wiring step): under a write experiment, its statements made
// with the control's context go to the shim's transaction, so the legacy
// function runs unchanged.
func TestStoreOperations(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	global, err := gorm.Open(postgres.New(postgres.Config{Conn: e.sql}), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := global.Use(dualrun.Router()); err != nil {
		t.Fatal(err)
	}
	store.DB = global
	cmp := dualrun.Equal[any](dualrun.WithColumns(dualrun.RegistryColumns(e.orm.Registry())), dualrun.TimePrecision(time.Microsecond))
	reads := []struct {
		name      string
		control   dualrun.Func[any]
		candidate dualrun.Func[any]
	}{
		{"store.FindPackage", func(ctx context.Context) (any, error) { return store.FindPackage(ctx, "is-odd") },
			func(ctx context.Context) (any, error) {
				return uow.FindOneOrFail[models.Package](ctx, e.orm.Fork(), uow.Eq("name", "is-odd"))
			}},
		{"store.RecentVersions", func(ctx context.Context) (any, error) { return store.RecentVersions(ctx, 3) },
			func(ctx context.Context) (any, error) {
				return vers(uow.Find[models.Version](ctx, e.orm.Fork(), uow.OrderBy("published_at", uow.Desc), uow.OrderBy("id", uow.Desc), uow.Limit(3)))
			}},
		{"store.SearchRaw", func(ctx context.Context) (any, error) { return store.SearchRaw(ctx, "is-") },
			func(ctx context.Context) (any, error) {
				return uow.Raw[store.SearchHit](ctx, e.orm.Fork(), "SELECT id, name FROM packages WHERE name LIKE $1 ORDER BY name", "%is-%")
			}},
	}
	for _, r := range reads {
		exp := dualrun.New[any](r.name, append(e.exp, dualrun.RaiseOnMismatch())...)
		exp.Compare = cmp
		if _, err := exp.Run(ctx, r.control, r.candidate); err != nil {
			t.Errorf("%s: %v", r.name, err)
		}
		e.verdict(t)
	}
	exp := e.write("store.RenamePackage")
	_, err = exp.Run(ctx, func(ctx context.Context, _ *gorm.DB) (any, error) {
		return store.RenamePackage(ctx, "is-odd", "is-uneven")
	}, func(ctx context.Context, tx pgx.Tx) (any, error) {
		em := e.orm.ForkOn(tx)
		p, err := uow.FindOneOrFail[models.Package](ctx, em, uow.Eq("name", "is-odd"))
		if err != nil {
			return nil, err
		}
		p.Name = "is-uneven"
		return int64(1), em.Flush(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := e.verdict(t); r.Candidates[0].Outcome != dualrun.Matched {
		t.Errorf("store.RenamePackage: %s\n%s", r.Candidates[0].Outcome, r.Candidates[0].Diff)
	}
}
