package uow_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ormshift/ormshift/uow"
)

// TestCompatOptionsMatchGORM runs the same queries through GORM and through
// the compat options and filters, on the same database, for the values
// where GORM's run-time rules matter (0, negative, empty, zero).
func TestCompatOptionsMatchGORM(t *testing.T) {
	e := setup(t, pkgSchema, Package{}, Version{})
	seedPackages(t, e)
	sqlDB := stdlib.OpenDBFromPool(e.pool)
	t.Cleanup(func() { _ = sqlDB.Close() })
	gdb, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	names := func(ps []Package) string {
		var s []string
		for _, p := range ps {
			s = append(s, p.Name)
		}
		return "[" + strings.Join(s, " ") + "]"
	}
	unames := func(ps []*Package, err error) string {
		if err != nil {
			return "error: " + err.Error()
		}
		var s []string
		for _, p := range ps {
			s = append(s, p.Name)
		}
		return "[" + strings.Join(s, " ") + "]"
	}
	check := func(what, legacy, converted string) {
		t.Helper()
		if legacy != converted {
			t.Errorf("%s: GORM %s, uow %s", what, legacy, converted)
		} else {
			t.Logf("%s: %s", what, legacy)
		}
	}
	for _, limit := range []int{-1, 0, 1, 2, 10} {
		for _, offset := range []int{-3, 0, 1, 5} {
			var ps []Package
			if err := gdb.Order("name").Limit(limit).Offset(offset).Find(&ps).Error; err != nil {
				t.Fatal(err)
			}
			em := e.orm.Fork()
			got := unames(uow.Find[Package](e.ctx, em, uow.OrderBy("name", uow.Asc), uow.LimitExactly(limit), uow.OffsetIfPositive(offset)))
			check(fmt.Sprintf("Limit(%d).Offset(%d)", limit, offset), names(ps), got)
		}
	}
	for _, ids := range [][]uint{nil, {}, {2}, {1, 3, 99}} {
		var ps []Package
		if err := gdb.Order("id").Find(&ps, ids).Error; err != nil {
			t.Fatal(err)
		}
		em := e.orm.Fork()
		got := unames(uow.Find[Package](e.ctx, em, uow.InUnlessEmpty("id", ids), uow.OrderBy("id", uow.Asc)))
		check(fmt.Sprintf("Find(&ps, %v)", ids), names(ps), got)
	}
	for _, name := range []string{"", "lodash", "missing"} {
		for _, downloads := range []int{0, 100} {
			var ps []Package
			if err := gdb.Where(Package{Name: name, WeeklyDownloads: downloads}).Order("id").Find(&ps).Error; err != nil {
				t.Fatal(err)
			}
			em := e.orm.Fork()
			got := unames(uow.Find[Package](e.ctx, em, uow.EqUnlessZero("name", name), uow.EqUnlessZero("weekly_downloads", downloads), uow.OrderBy("id", uow.Asc)))
			check(fmt.Sprintf("Where(Package{Name: %q, WeeklyDownloads: %d})", name, downloads), names(ps), got)
		}
	}
	var nilDesc *string
	for _, d := range []*string{nilDesc, strp("pads"), strp("")} {
		var ps []Package
		if err := gdb.Where(&Package{Description: d}).Order("id").Find(&ps).Error; err != nil {
			t.Fatal(err)
		}
		em := e.orm.Fork()
		got := unames(uow.Find[Package](e.ctx, em, uow.EqUnlessZero("description", d), uow.OrderBy("id", uow.Asc)))
		check(fmt.Sprintf("Where(&Package{Description: %v})", d), names(ps), got)
	}
	// Where(A).Or(&Package{Name: name}): GORM drops the Or when name is "".
	for _, name := range []string{"", "tiny", "missing"} {
		var ps []Package
		if err := gdb.Where("weekly_downloads >= ?", 1000).Or(&Package{Name: name}).Order("id").Find(&ps).Error; err != nil {
			t.Fatal(err)
		}
		em := e.orm.Fork()
		got := unames(uow.Find[Package](e.ctx, em, uow.Or(uow.Gte("weekly_downloads", 1000), uow.EqUnlessZeroElseNone("name", name)), uow.OrderBy("id", uow.Asc)))
		check(fmt.Sprintf("Where(downloads >= 1000).Or(&Package{Name: %q})", name), names(ps), got)
	}
	if _, err := uow.Find[Package](e.ctx, e.orm.Fork(), uow.InUnlessEmpty("id", 3)); err == nil {
		t.Error("InUnlessEmpty with a non-slice: no error")
	}
}

// TestExecUpdatesMatchesGORM runs GORM's Model(&Package{ID: id}).Updates(
// Package{...}) on one database and the converted ExecUpdates on another
// seeded the same way, for zero and non-zero field values and a missing
// row, and compares rows affected and the resulting rows.
func TestExecUpdatesMatchesGORM(t *testing.T) {
	legacy := setup(t, pkgSchema, Package{}, Version{})
	seedPackages(t, legacy)
	conv := setup(t, pkgSchema, Package{}, Version{})
	seedPackages(t, conv)
	sqlDB := stdlib.OpenDBFromPool(legacy.pool)
	t.Cleanup(func() { _ = sqlDB.Close() })
	gdb, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	rows := func(e *env) string {
		var out []string
		rs, err := e.pool.Query(e.ctx, `SELECT id, name, coalesce(description, '<nil>'), weekly_downloads, updated_at IS NOT NULL FROM packages ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		for rs.Next() {
			var id, n int64
			var name, d string
			var set bool
			if err := rs.Scan(&id, &name, &d, &n, &set); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%d %s %s %d %t", id, name, d, n, set))
		}
		if err := rs.Err(); err != nil {
			t.Fatal(err)
		}
		return strings.Join(out, "; ")
	}
	if _, err := legacy.pool.Exec(legacy.ctx, `UPDATE packages SET updated_at = NULL WHERE id = 3`); err != nil {
		t.Fatal(err)
	}
	if _, err := conv.pool.Exec(conv.ctx, `UPDATE packages SET updated_at = NULL WHERE id = 3`); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id uint
		d  *string
		n  int
	}{{1, strp("new"), 0}, {2, nil, 7}, {3, nil, 0}, {1, strp(""), 3}, {99, strp("x"), 1}} {
		res := gdb.Model(&Package{ID: c.id}).Updates(Package{Description: c.d, WeeklyDownloads: c.n})
		if res.Error != nil {
			t.Fatal(res.Error)
		}
		n, err := uow.ExecUpdates(conv.ctx, conv.orm.Fork(), "packages", `"id" = $1`, []any{c.id},
			uow.SetUnlessZero("description", c.d), uow.SetUnlessZero("weekly_downloads", c.n), uow.Set("updated_at", time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		what := fmt.Sprintf("Updates(id %d, description %v, downloads %d)", c.id, c.d, c.n)
		if n != res.RowsAffected {
			t.Errorf("%s: GORM updated %d rows, ExecUpdates %d", what, res.RowsAffected, n)
		}
		if a, b := rows(legacy), rows(conv); a != b {
			t.Errorf("%s: rows differ:\nGORM: %s\nuow:  %s", what, a, b)
		}
	}
	// No assignment kept: nothing runs.
	n, err := uow.ExecUpdates(conv.ctx, conv.orm.Fork(), "packages", `"id" = $1`, []any{1}, uow.SetUnlessZero("weekly_downloads", 0))
	if err != nil || n != 0 {
		t.Errorf("ExecUpdates without assignments: %d, %v", n, err)
	}
	if _, err := uow.ExecUpdates(conv.ctx, conv.orm.Fork(), "packages", " ", nil, uow.Set("name", "x")); err == nil {
		t.Error("ExecUpdates without WHERE: no error")
	}
}

// TestPreloadHasManyMatchesGORM compares GORM's Preload with conditions
// and with an ordering scope to PreloadHasMany on the same database.
func TestPreloadHasManyMatchesGORM(t *testing.T) {
	e := setup(t, pkgSchema, Package{}, Version{})
	seedPackages(t, e)
	sqlDB := stdlib.OpenDBFromPool(e.pool)
	t.Cleanup(func() { _ = sqlDB.Close() })
	gdb, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	show := func(ps []Package) string {
		var out []string
		for _, p := range ps {
			vs := "nil"
			if p.Versions != nil {
				var nums []string
				for _, v := range p.Versions {
					nums = append(nums, fmt.Sprintf("%d:%s:%d", v.ID, v.Number, v.PackageID))
				}
				vs = "[" + strings.Join(nums, " ") + "]"
			}
			out = append(out, p.Name+vs)
		}
		return strings.Join(out, "; ")
	}
	// First with a condition on the preloaded rows.
	for _, name := range []string{"left-pad", "tiny"} {
		var gp Package
		if err := gdb.Preload("Versions", "number <> ?", "1.1.0").Where("name = ?", name).First(&gp).Error; err != nil {
			t.Fatal(err)
		}
		em := e.orm.Fork()
		found, err := uow.FindOneOrFail[Package](e.ctx, em, uow.Eq("name", name), uow.OrderBy("id", uow.Asc))
		if err != nil {
			t.Fatal(err)
		}
		up := *found
		if err := uow.PreloadHasMany[Version](e.ctx, em, &up, "Versions", uow.Ne("number", "1.1.0")); err != nil {
			t.Fatal(err)
		}
		if a, b := show([]Package{gp}), show([]Package{up}); a != b {
			t.Errorf("First %s: GORM %s, uow %s", name, a, b)
		}
		if found.Versions != nil {
			t.Errorf("PreloadHasMany changed the managed entity: %v", found.Versions)
		}
	}
	// Find with an ordering scope.
	var gps []Package
	if err := gdb.Preload("Versions", func(db *gorm.DB) *gorm.DB { return db.Order("versions.id DESC") }).Order("id").Find(&gps).Error; err != nil {
		t.Fatal(err)
	}
	em := e.orm.Fork()
	rows, err := uow.Find[Package](e.ctx, em, uow.OrderBy("id", uow.Asc))
	if err != nil {
		t.Fatal(err)
	}
	ups := make([]Package, 0, len(rows))
	for _, r := range rows {
		ups = append(ups, *r)
	}
	if err := uow.PreloadHasMany[Version](e.ctx, em, &ups, "Versions", uow.OrderBy("id", uow.Desc)); err != nil {
		t.Fatal(err)
	}
	if a, b := show(gps), show(ups); a != b {
		t.Errorf("Find: GORM %s, uow %s", a, b)
	} else {
		t.Logf("Find: %s", a)
	}
	// No parents: no query, nothing set.
	var none []Package
	if err := uow.PreloadHasMany[Version](e.ctx, em, &none, "Versions"); err != nil || none != nil {
		t.Errorf("no parents: %v, %v", none, err)
	}
	if err := uow.PreloadHasMany[Package](e.ctx, em, &ups, "Versions"); err == nil {
		t.Error("PreloadHasMany with the wrong child type: no error")
	}
}
