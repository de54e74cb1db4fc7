package rewrite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ormshift/ormshift/internal/pgtest"
	"github.com/ormshift/ormshift/uow"
)

// Squad.Lead looks like a belongs-to (LeadID on the squad), but Member
// has a SquadID: GORM guesses has-one first for a field of another type,
// so Lead is a has-one through members.squad_id, and Joins("Lead") is
// LEFT JOIN members "Lead" ON "squads"."id" = "Lead"."squad_id".
type Squad struct {
	ID     uint
	Name   string `gorm:"not null"`
	LeadID uint   `gorm:"not null"`
	Lead   *Member
}

func (Squad) TableName() string { return "squads" }

type Member struct {
	ID      uint
	Name    string `gorm:"not null"`
	SquadID uint
}

func (Member) TableName() string { return "members" }

const r2Models = `package models

type Squad struct {
	ID     uint
	Name   string ` + "`gorm:\"not null\"`" + `
	LeadID uint   ` + "`gorm:\"not null\"`" + `
	Lead   *Member
}

type Member struct {
	ID     uint
	Name   string ` + "`gorm:\"not null\"`" + `
	SquadID uint
}

type Repo struct {
	ID   uint
	Name string ` + "`gorm:\"not null\"`" + `
	URL  *string
}

type Release struct {
	ID     uint
	Tag    string ` + "`gorm:\"not null\"`" + `
	RepoID uint   ` + "`gorm:\"not null\"`" + `
	Repo   *Repo
}
`

const r2Code = `package squads

import (
	"context"

	"gorm.io/gorm"

	"example.com/fx/models"
)

type S struct{ db *gorm.DB }

func (s *S) Squads(ctx context.Context) ([]models.Squad, error) {
	var ts []models.Squad
	err := s.db.WithContext(ctx).Joins("Lead").Order("squads.id").Find(&ts).Error
	return ts, err
}

// ReleaseView is a projection of Release that also has the relation.
type ReleaseView struct {
	ID     uint
	Tag    string
	RepoID uint
	Repo   *models.Repo
}

func (s *S) Views(ctx context.Context, name string) ([]ReleaseView, error) {
	var vs []ReleaseView
	err := s.db.WithContext(ctx).Model(&models.Release{}).Joins("Repo").Where(` + "`\"Repo\".\"name\" = ?`" + `, name).Find(&vs).Error
	return vs, err
}

// RepoRow is a row of a raw select over the join.
type RepoRow struct {
	Tag      string
	RepoName string
}

func (s *S) RepoRows(ctx context.Context) ([]RepoRow, error) {
	var rows []RepoRow
	err := s.db.WithContext(ctx).Model(&models.Release{}).Joins("Repo").Select(` + "`releases.tag, \"Repo\".\"name\" AS repo_name`" + `).Scan(&rows).Error
	return rows, err
}
`

// r2Site finds the site of function fn in the fixture's report.
func r2Site(t *testing.T, res *Result, fn string) Site {
	t.Helper()
	for _, s := range res.Report.Sites {
		if strings.HasSuffix(s.Func, fn) {
			t.Logf("site %s:%d %s %s: %s %s", s.File, s.Line, s.Func, s.Op, s.Status, s.Reason)
			return s
		}
	}
	t.Fatalf("no site in %s", fn)
	return Site{}
}

// r2Fixture converts a module of the models and code above.
func r2Fixture(t *testing.T) *Result {
	t.Helper()
	root := repoRoot(t)
	dir := t.TempDir()
	write := func(rel, data string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/fx\n\ngo 1.25.0\n\nrequire (\n\tgithub.com/ormshift/ormshift v0.0.0\n\tgorm.io/gorm v1.31.2\n)\n\nreplace github.com/ormshift/ormshift => "+root+"\n")
	var sum []byte
	for _, p := range []string{filepath.Join(root, "go.sum"), filepath.Join(root, "testdata", "pkgpulse", "go.sum")} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sum = append(sum, b...)
	}
	write("go.sum", string(sum))
	write("models/models.go", r2Models)
	write("squads/squads.go", r2Code)
	return runFixture(t, dir, Options{})
}

// TestJoinsHasOneGuessedAsBelongsTo: Model.BelongsTo takes Lead for
// a belongs-to because the squad has a LeadID, but GORM (and uow's
// metadata, which mirrors it) resolve Lead as a has-one through
// members.squad_id. The converter still converts Joins("Lead") into
// Populate("Lead"), and the converted query returns each squad once where
// GORM's LEFT JOIN returns a squad once per member.
func TestJoinsHasOneGuessedAsBelongsTo(t *testing.T) {
	// 1. The converter converts the site.
	res := r2Fixture(t)
	converted := r2Site(t, res, "Squads").Status == StatusConverted

	// 2. What GORM and the converted query return on the same rows.
	db := pgtest.New(t)
	ctx := context.Background()
	if _, err := db.Pool.Exec(ctx, `
CREATE TABLE members (id bigserial PRIMARY KEY, name text NOT NULL, squad_id bigint);
CREATE TABLE squads (id bigserial PRIMARY KEY, name text NOT NULL, lead_id bigint NOT NULL);
INSERT INTO members (name, squad_id) VALUES ('ann', 1), ('bob', 1), ('cy', 2);
INSERT INTO squads (name, lead_id) VALUES ('red', 1), ('blue', 3);`); err != nil {
		t.Fatal(err)
	}
	sqlDB := stdlib.OpenDBFromPool(db.Pool)
	t.Cleanup(func() { _ = sqlDB.Close() })
	gdb, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	var want []Squad
	if err := gdb.Joins("Lead").Order("squads.id").Find(&want).Error; err != nil {
		t.Fatal(err)
	}
	orm, err := uow.Open(db.Pool, &Squad{}, &Member{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := uow.Find[Squad](ctx, orm.Fork(), uow.OrderBy("id", uow.Asc), uow.Populate("Lead"))
	if err != nil {
		t.Fatal(err)
	}
	show := func(tm Squad) string {
		if tm.Lead == nil {
			return tm.Name + " -> <nil>"
		}
		return fmt.Sprintf("%s -> %s", tm.Name, tm.Lead.Name)
	}
	var ws, gs []string
	for _, w := range want {
		ws = append(ws, show(w))
	}
	for _, g := range got {
		gs = append(gs, show(*g))
	}
	if converted && !slices.Equal(ws, gs) {
		t.Errorf("Joins(\"Lead\") was converted, but results differ:\n GORM:      %q\n converted: %q", ws, gs)
	}
}

type r2Repo struct {
	ID   uint
	Name string `gorm:"not null"`
	URL  *string
}

func (r2Repo) TableName() string { return "repos" }

type r2Release struct {
	ID     uint
	Tag    string `gorm:"not null"`
	RepoID uint   `gorm:"not null"`
	Repo   *r2Repo
}

func (r2Release) TableName() string { return "releases" }

type r2ReleaseView struct {
	ID     uint
	Tag    string
	RepoID uint
	Repo   *r2Repo
}

// TestJoinsProjectionDropsRelation: Model(&Release{}).Joins("Repo")
// .Find(&views) into a projection struct that has the relation field.
// GORM fills views[i].Repo from the joined columns (scan.go matches
// "Repo__name" against the destination's relations); the projection
// conversion copies only columns and leaves the field nil ("not a column
// of the table: GORM leaves it zero" no longer holds with a relation
// join), though it still converts the site.
func TestJoinsProjectionDropsRelation(t *testing.T) {
	res := r2Fixture(t)
	site := r2Site(t, res, "Views")
	converted := site.Status == StatusConverted
	var newSrc string
	for _, f := range res.Files {
		if f.Rel == "squads/squads.go" {
			newSrc = string(f.New)
		}
	}
	i := strings.Index(newSrc, "func (s *S) Views(")
	copiesRepo := i >= 0 && strings.Contains(newSrc[i:], "Repo: ")
	if converted {
		t.Logf("converted:\n%s", newSrc[i:])
	}

	db := pgtest.New(t)
	ctx := context.Background()
	if _, err := db.Pool.Exec(ctx, `
CREATE TABLE repos (id bigserial PRIMARY KEY, name text NOT NULL, url text);
CREATE TABLE releases (id bigserial PRIMARY KEY, tag text NOT NULL, repo_id bigint NOT NULL);
INSERT INTO repos (name) VALUES ('gorm');
INSERT INTO releases (tag, repo_id) VALUES ('v1', 1);`); err != nil {
		t.Fatal(err)
	}
	sqlDB := stdlib.OpenDBFromPool(db.Pool)
	t.Cleanup(func() { _ = sqlDB.Close() })
	gdb, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	var vs []r2ReleaseView
	if err := gdb.Model(&r2Release{}).Joins("Repo").Where(`"Repo"."name" = ?`, "gorm").Find(&vs).Error; err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 {
		t.Fatalf("GORM: %d views", len(vs))
	}
	gormFills := vs[0].Repo != nil && vs[0].Repo.Name == "gorm"
	t.Logf("GORM fills the view's Repo: %v", gormFills)
	if converted && gormFills && !copiesRepo {
		t.Errorf("Views was converted, but the converted code leaves ReleaseView.Repo nil where GORM's join fills it")
	}
}

// TestJoinsScanDropsJoin: Scan (and Distinct+Pluck) are "select
// queries" that bypass the Op check on relJoins in convert, and selectSQL
// never writes s.joins or s.relJoins: Model(&Release{}).Joins("Repo")
// .Select(`releases.tag, "Repo"."name" AS repo_name`).Scan(&rows) is
// converted into a statement without the join, which PostgreSQL rejects.
func TestJoinsScanDropsJoin(t *testing.T) {
	res := r2Fixture(t)
	site := r2Site(t, res, "RepoRows")
	var newSrc string
	for _, f := range res.Files {
		if f.Rel == "squads/squads.go" {
			newSrc = string(f.New)
		}
	}
	db := pgtest.New(t)
	ctx := context.Background()
	if _, err := db.Pool.Exec(ctx, `
CREATE TABLE repos (id bigserial PRIMARY KEY, name text NOT NULL, url text);
CREATE TABLE releases (id bigserial PRIMARY KEY, tag text NOT NULL, repo_id bigint NOT NULL);
INSERT INTO repos (name) VALUES ('gorm');
INSERT INTO releases (tag, repo_id) VALUES ('v1', 1);`); err != nil {
		t.Fatal(err)
	}
	sqlDB := stdlib.OpenDBFromPool(db.Pool)
	t.Cleanup(func() { _ = sqlDB.Close() })
	gdb, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	type repoRow struct {
		Tag      string
		RepoName string
	}
	var rows []repoRow
	if err := gdb.Model(&r2Release{}).Joins("Repo").Select(`releases.tag, "Repo"."name" AS repo_name`).Scan(&rows).Error; err != nil {
		t.Fatalf("GORM: %v", err)
	}
	if len(rows) != 1 || rows[0].RepoName != "gorm" {
		t.Fatalf("GORM rows: %+v", rows)
	}
	if site.Status != StatusConverted {
		return
	}
	i := strings.Index(newSrc, "func (s *S) RepoRows(")
	body := newSrc[i:]
	t.Logf("converted:\n%s", body)
	m := regexp.MustCompile("(?s)(\"SELECT [^\"]*\"|`SELECT [^`]*`)").FindString(body)
	if m == "" {
		t.Fatalf("no SELECT literal in the converted code")
	}
	sqlText := strings.Trim(m, "`")
	if strings.HasPrefix(m, `"`) {
		if sqlText, err = strconv.Unquote(m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Pool.Exec(ctx, sqlText); err != nil {
		t.Errorf("the converted statement fails where GORM's succeeds: %q: %v", sqlText, err)
	}
}
