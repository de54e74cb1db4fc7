package uow_test

import (
	"fmt"
	"strings"
	"testing"

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
	if _, err := uow.Find[Package](e.ctx, e.orm.Fork(), uow.InUnlessEmpty("id", 3)); err == nil {
		t.Error("InUnlessEmpty with a non-slice: no error")
	}
}
