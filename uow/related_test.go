package uow_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ormshift/ormshift/uow"
)

// TestRelatedBelongsToMatchesGORMJoins compares Related + Populate with
// GORM's relation join (Joins("Package") with a condition on the joined
// table) on the same rows: same versions, same order, same packages.
func TestRelatedBelongsToMatchesGORMJoins(t *testing.T) {
	e := setup(t, pkgSchema, Package{}, Version{})
	seedPackages(t, e)
	sqlDB := stdlib.OpenDBFromPool(e.pool)
	t.Cleanup(func() { _ = sqlDB.Close() })
	gdb, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	show := func(v Version) string {
		if v.Package == nil {
			return fmt.Sprintf("%d %s <nil>", v.ID, v.Number)
		}
		p := v.Package
		return fmt.Sprintf("%d %s -> %d %s %v %d", v.ID, v.Number, p.ID, p.Name, p.Description != nil, p.WeeklyDownloads)
	}
	for _, name := range []string{"left-pad", "lodash", "tiny", "absent"} {
		var want []Version
		if err := gdb.Joins("Package").Where(`"Package"."name" = ?`, name).Order("versions.id").Find(&want).Error; err != nil {
			t.Fatal(err)
		}
		got, err := uow.Find[Version](e.ctx, e.orm.Fork(), uow.Related("Package", uow.Eq("name", name)), uow.Populate("Package"), uow.OrderBy("id", uow.Asc))
		if err != nil {
			t.Fatal(err)
		}
		var ws, gs []string
		for _, v := range want {
			ws = append(ws, show(v))
		}
		for _, v := range got {
			gs = append(gs, show(*v))
		}
		if !slices.Equal(ws, gs) {
			t.Errorf("package %q:\n GORM Joins: %q\n Related:    %q", name, ws, gs)
		}
	}
}

func TestRelatedKinds(t *testing.T) {
	e := setup(t, pkgSchema, Package{}, Version{})
	seedPackages(t, e)
	ctx := e.ctx
	names := func(ps []*Package, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return out
	}
	em := e.orm.Fork()
	byID := uow.OrderBy("id", uow.Asc)
	// has-many: packages with a 1.x version; without one; with any.
	if got := names(uow.Find[Package](ctx, em, uow.Related("Versions", uow.Like("number", "1.%")), byID)); !slices.Equal(got, []string{"left-pad"}) {
		t.Errorf("has-many Related: %q", got)
	}
	if got := names(uow.Find[Package](ctx, em, uow.Not(uow.Related("Versions")), byID)); !slices.Equal(got, []string{"tiny"}) {
		t.Errorf("Not(Related): %q", got)
	}
	if n, err := uow.Count[Package](ctx, em, uow.Related("Versions")); err != nil || n != 2 {
		t.Errorf("Count with Related = %d, %v; want 2 (a package with two versions counts once)", n, err)
	}
	// Combined with the entity's own filters and parameters on both sides.
	if got := names(uow.Find[Package](ctx, em, uow.Gt("weekly_downloads", 10), uow.Or(uow.Related("Versions", uow.Eq("number", "4.17.21")), uow.Eq("name", "tiny")), byID)); !slices.Equal(got, []string{"lodash"}) {
		t.Errorf("Related inside Or with outer filters: %q", got)
	}
	// Nested: versions whose package has a version 4.17.21.
	vs, err := uow.Find[Version](ctx, em, uow.Related("Package", uow.Related("Versions", uow.Eq("number", "4.17.21"))))
	if err != nil || len(vs) != 1 || vs[0].Number != "4.17.21" {
		t.Errorf("nested Related: %v, %v", vs, err)
	}
	// Unknown relation and relation field are refused before any SQL.
	if _, err := uow.Find[Package](ctx, em, uow.Related("Owner")); !errors.Is(err, uow.ErrUnknownField) {
		t.Errorf("unknown relation: %v", err)
	}
	if _, err := uow.Find[Package](ctx, em, uow.Related("Versions", uow.Eq("nope", 1))); !errors.Is(err, uow.ErrUnknownField) {
		t.Errorf("unknown field of the related entity: %v", err)
	}
}

type Shelf struct {
	ID    uint
	Label string
	Items []ShelfItem
}

type ShelfItem struct {
	gorm.Model
	Title   string
	ShelfID uint
}

func TestRelatedManyToManyAndSoftDelete(t *testing.T) {
	e := setup(t, articleSchema+`
CREATE TABLE shelves (id bigserial PRIMARY KEY, label text NOT NULL);
CREATE TABLE shelf_items (id bigserial PRIMARY KEY, created_at timestamptz, updated_at timestamptz, deleted_at timestamptz, title text NOT NULL, shelf_id bigint NOT NULL REFERENCES shelves(id));`,
		&Article{}, &Tag{}, &Shelf{}, &ShelfItem{})
	ctx := e.ctx
	em := e.orm.Fork()
	goTag, sqlTag := &Tag{Name: "go"}, &Tag{Name: "sql"}
	if err := em.Persist(
		&Article{Title: "a", Tags: []*Tag{goTag}},
		&Article{Title: "b", Tags: []*Tag{goTag, sqlTag}},
		&Article{Title: "c"},
	); err != nil {
		t.Fatal(err)
	}
	gone := ShelfItem{Title: "gone"}
	if err := em.Persist(&Shelf{Label: "kept", Items: []ShelfItem{{Title: "here"}}}, &Shelf{Label: "emptied", Items: []ShelfItem{gone}}); err != nil {
		t.Fatal(err)
	}
	if err := em.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(ctx, `UPDATE shelf_items SET deleted_at = now() WHERE title = 'gone'`); err != nil {
		t.Fatal(err)
	}
	em = e.orm.Fork()
	arts, err := uow.Find[Article](ctx, em, uow.Related("Tags", uow.Eq("name", "sql")))
	if err != nil || len(arts) != 1 || arts[0].Title != "b" {
		t.Errorf("many-to-many Related: %+v, %v", arts, err)
	}
	if n, err := uow.Count[Article](ctx, em, uow.Related("Tags")); err != nil || n != 2 {
		t.Errorf("articles with a tag = %d, %v; want 2", n, err)
	}
	shelves, err := uow.Find[Shelf](ctx, em, uow.Related("Items"))
	if err != nil || len(shelves) != 1 || shelves[0].Label != "kept" {
		t.Errorf("a soft-deleted book counts: %+v, %v", shelves, err)
	}
}
