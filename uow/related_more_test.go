package uow_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ormshift/ormshift/uow"
)

func relmoreGORM(t *testing.T, e *env) *gorm.DB {
	t.Helper()
	sqlDB := stdlib.OpenDBFromPool(e.pool)
	t.Cleanup(func() { _ = sqlDB.Close() })
	gdb, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	return gdb
}

// TestTransactionalRollbackText: a statement inside Transactional
// kills the connection. GORM's Transaction returns the statement's error
// as it is (it ignores the rollback's); under WithDriverErrorText the
// runtime should too, but it joins "uow: Transactional: rollback: ..." to
// it.
func TestTransactionalRollbackText(t *testing.T) {
	e := setup(t, pkgSchema, Package{}, Version{})
	ctx := e.ctx
	gdb := relmoreGORM(t, e)
	const kill = "SELECT pg_terminate_backend(pg_backend_pid())"
	gerr := gdb.Transaction(func(tx *gorm.DB) error { return tx.Exec(kill).Error })
	if gerr == nil {
		t.Fatal("GORM: no error")
	}
	bare, err := uow.OpenWith(e.pool, []any{Package{}, Version{}}, uow.WithDriverErrorText())
	if err != nil {
		t.Fatal(err)
	}
	em := bare.Fork()
	err = em.Transactional(ctx, func(ctx context.Context) error {
		_, err := uow.FromContext(ctx).Exec(ctx, kill)
		return err
	})
	if err == nil {
		t.Fatal("uow: no error")
	}
	if _, ok := errors.AsType[*pgconn.PgError](err); !ok {
		t.Errorf("uow error %q: no *pgconn.PgError", err)
	}
	if err.Error() != gerr.Error() {
		t.Errorf("WithDriverErrorText:\n uow:  %q\n gorm: %q", err, gerr)
	}
}

// TestFlushInTransactionRollbackText: the flush that Transactional
// runs before COMMIT fails on a killed connection (a trigger). GORM's
// Transaction + Create return the insert's error alone; under
// WithDriverErrorText the runtime appends the failed savepoint rollback
// (flush.go: errors.Join(err, "uow: Flush: rollback: ...")) and then the
// failed transaction rollback (em.go).
func TestFlushInTransactionRollbackText(t *testing.T) {
	e := setup(t, pkgSchema+`
CREATE FUNCTION r2_kill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.name = 'kill' THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER r2_kill BEFORE INSERT ON packages FOR EACH ROW EXECUTE FUNCTION r2_kill();`, Package{}, Version{})
	ctx := e.ctx
	gdb := relmoreGORM(t, e)
	gerr := gdb.Transaction(func(tx *gorm.DB) error { return tx.Create(&Package{Name: "kill"}).Error })
	if gerr == nil {
		t.Fatal("GORM: no error")
	}
	bare, err := uow.OpenWith(e.pool, []any{Package{}, Version{}}, uow.WithDriverErrorText())
	if err != nil {
		t.Fatal(err)
	}
	warm := bare.Fork()
	if err := warm.Persist(&Package{Name: "warm"}); err != nil {
		t.Fatal(err)
	}
	if err := warm.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	em := bare.Fork()
	err = em.Transactional(ctx, func(ctx context.Context) error {
		return uow.FromContext(ctx).Persist(&Package{Name: "kill"})
	})
	if err == nil {
		t.Fatal("uow: no error")
	}
	if _, ok := errors.AsType[*pgconn.PgError](err); !ok {
		t.Fatalf("uow error %q: no *pgconn.PgError", err)
	}
	if err.Error() != gerr.Error() {
		t.Errorf("WithDriverErrorText:\n uow:  %q\n gorm: %q", err, gerr)
	}
}

// TestFlushCanceledIsDBError: a flush that cannot get a connection
// (canceled context) fails in newRunner, whose error is wrapped with
// fmt.Errorf ("uow: Flush: acquire a connection: context canceled"), not
// DBError: the text differs from GORM's under WithDriverErrorText and
// errors.As(*DBError) does not find it, unlike the same failure in Find.
func TestFlushCanceledIsDBError(t *testing.T) {
	e := setup(t, pkgSchema, Package{}, Version{})
	gdb := relmoreGORM(t, e)
	cctx, cancel := context.WithCancel(e.ctx)
	cancel()
	gerr := gdb.WithContext(cctx).Create(&Package{Name: "x"}).Error
	if gerr == nil {
		t.Fatal("GORM: no error")
	}
	bare, err := uow.OpenWith(e.pool, []any{Package{}, Version{}}, uow.WithDriverErrorText())
	if err != nil {
		t.Fatal(err)
	}
	em := bare.Fork()
	if err := em.Persist(&Package{Name: "x"}); err != nil {
		t.Fatal(err)
	}
	err = em.Flush(cctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Flush with a canceled context: %v", err)
	}
	if _, ok := errors.AsType[*uow.DBError](err); !ok {
		t.Errorf("Flush with a canceled context: %q is not a *uow.DBError", err)
	}
	if strings.HasPrefix(err.Error(), "uow:") {
		t.Errorf("WithDriverErrorText:\n uow:  %q\n gorm: %q", err, gerr)
	}
}

type R2Brand struct {
	gorm.Model
	Title string
}

type R2Shop struct {
	ID      uint
	Name    string
	BrandID uint `gorm:"not null"`
	Brand   R2Brand
}

type R2Kiosk struct {
	ID      uint
	Name    string
	BrandID uint `gorm:"not null"`
	Brand   *R2Brand
}

type R2Cat struct {
	ID       uint
	Name     string
	ParentID *uint
	Parent   *R2Cat
}

// TestJoinsMissingRowMatchesPopulate: what the Joins conversion
// relies on: for a NOT NULL key whose row is soft-deleted or missing,
// GORM's relation join and Populate leave the same relation value (zero
// struct, nil pointer), and Related agrees with a condition on the
// joined row, also on a self-referential relation.
func TestJoinsMissingRowMatchesPopulate(t *testing.T) {
	e := setup(t, `
CREATE TABLE r2_brands (id bigserial PRIMARY KEY, created_at timestamptz, updated_at timestamptz, deleted_at timestamptz, title text);
CREATE TABLE r2_shops (id bigserial PRIMARY KEY, name text, brand_id bigint NOT NULL);
CREATE TABLE r2_kiosks (id bigserial PRIMARY KEY, name text, brand_id bigint NOT NULL);
CREATE TABLE r2_cats (id bigserial PRIMARY KEY, name text, parent_id bigint);
INSERT INTO r2_brands (title, deleted_at) VALUES ('live', NULL), ('gone', now());
INSERT INTO r2_shops (name, brand_id) VALUES ('a', 1), ('b', 2), ('c', 99);
INSERT INTO r2_kiosks (name, brand_id) VALUES ('a', 1), ('b', 2), ('c', 99);
INSERT INTO r2_cats (name, parent_id) VALUES ('root', NULL), ('kid', 1), ('grandkid', 2), ('orphan', 99);`,
		R2Brand{}, R2Shop{}, R2Kiosk{}, R2Cat{})
	gdb := relmoreGORM(t, e)
	ctx := e.ctx
	var gs []R2Shop
	if err := gdb.Joins("Brand").Order("r2_shops.id").Find(&gs).Error; err != nil {
		t.Fatal(err)
	}
	us, err := uow.Find[R2Shop](ctx, e.orm.Fork(), uow.OrderBy("id", uow.Asc), uow.Populate("Brand"))
	if err != nil {
		t.Fatal(err)
	}
	var a, b []string
	for _, s := range gs {
		a = append(a, fmt.Sprintf("%s:%d:%s", s.Name, s.Brand.ID, s.Brand.Title))
	}
	for _, s := range us {
		b = append(b, fmt.Sprintf("%s:%d:%s", s.Name, s.Brand.ID, s.Brand.Title))
	}
	if !slices.Equal(a, b) {
		t.Errorf("struct relation:\n GORM Joins: %q\n Populate:   %q", a, b)
	}
	var gk []R2Kiosk
	if err := gdb.Joins("Brand").Order("r2_kiosks.id").Find(&gk).Error; err != nil {
		t.Fatal(err)
	}
	uk, err := uow.Find[R2Kiosk](ctx, e.orm.Fork(), uow.OrderBy("id", uow.Asc), uow.Populate("Brand"))
	if err != nil {
		t.Fatal(err)
	}
	a, b = nil, nil
	for _, k := range gk {
		a = append(a, fmt.Sprintf("%s:%v", k.Name, k.Brand != nil))
	}
	for _, k := range uk {
		b = append(b, fmt.Sprintf("%s:%v", k.Name, k.Brand != nil))
	}
	if !slices.Equal(a, b) {
		t.Errorf("pointer relation:\n GORM Joins: %q\n Populate:   %q", a, b)
	}
	// Self-referential: categories whose parent is named kid or root.
	var gc []R2Cat
	if err := gdb.Joins("Parent").Where(`"Parent"."name" IN ?`, []string{"kid", "root"}).Order("r2_cats.id").Find(&gc).Error; err != nil {
		t.Fatal(err)
	}
	uc, err := uow.Find[R2Cat](ctx, e.orm.Fork(), uow.Related("Parent", uow.In("name", []string{"kid", "root"})), uow.OrderBy("id", uow.Asc), uow.Populate("Parent"))
	if err != nil {
		t.Fatal(err)
	}
	a, b = nil, nil
	for _, c := range gc {
		a = append(a, c.Name+"<"+c.Parent.Name)
	}
	for _, c := range uc {
		b = append(b, c.Name+"<"+c.Parent.Name)
	}
	if !slices.Equal(a, b) {
		t.Errorf("self-referential:\n GORM Joins: %q\n Related:    %q", a, b)
	}
}

// TestRelatedArgsNumbering: Related nested and mixed with Or, Not,
// In, Between and outer filters keeps its placeholders in step with the
// arguments (checked against the same condition written by hand).
func TestRelatedArgsNumbering(t *testing.T) {
	e := setup(t, pkgSchema, Package{}, Version{})
	seedPackages(t, e)
	ctx := e.ctx
	em := e.orm.Fork()
	got, err := uow.Find[Version](ctx, em,
		uow.Ne("number", "9.9.9"),
		uow.Or(
			uow.Related("Package", uow.In("name", []string{"lodash", "zzz"}), uow.Between("weekly_downloads", 1000, 10000)),
			uow.And(uow.Eq("number", "1.1.0"), uow.Not(uow.Related("Package", uow.Related("Versions", uow.Eq("number", "4.17.21"))))),
		),
		uow.Not(uow.Related("Package", uow.Eq("name", "tiny"))),
		uow.OrderBy("id", uow.Asc))
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ ID int64 }
	want, err := uow.Raw[row](ctx, em, `SELECT v.id FROM versions v JOIN packages p ON p.id = v.package_id
WHERE v.number <> $1 AND ((p.name = ANY($2) AND p.weekly_downloads BETWEEN $3 AND $4)
  OR (v.number = $5 AND NOT EXISTS (SELECT 1 FROM versions v2 WHERE v2.package_id = p.id AND v2.number = $6)))
  AND p.name <> $7 ORDER BY v.id`, "9.9.9", []string{"lodash", "zzz"}, 1000, 10000, "1.1.0", "4.17.21", "tiny")
	if err != nil {
		t.Fatal(err)
	}
	var g, w []int64
	for _, v := range got {
		g = append(g, int64(v.ID))
	}
	for _, r := range want {
		w = append(w, r.ID)
	}
	if !slices.Equal(g, w) || len(w) == 0 {
		t.Errorf("Related mix: got %v, want %v", g, w)
	}
}

type R2Owner struct {
	ID   uint
	Name string
	Pets []R2Pet `gorm:"foreignKey:OwnerID"`
}

func (R2Owner) TableName() string { return "app.owners" }

type R2Pet struct {
	ID      uint
	Name    string
	OwnerID uint
	Owner   *R2Owner
}

func (R2Pet) TableName() string { return "app.pets" }

// TestRelatedSchemaQualified: Related correlates with a
// schema-qualified outer table ("app"."pets"."owner_id").
func TestRelatedSchemaQualified(t *testing.T) {
	e := setup(t, `
CREATE SCHEMA app;
CREATE TABLE app.owners (id bigserial PRIMARY KEY, name text);
CREATE TABLE app.pets (id bigserial PRIMARY KEY, name text, owner_id bigint);
INSERT INTO app.owners (name) VALUES ('ann'), ('bob');
INSERT INTO app.pets (name, owner_id) VALUES ('rex', 1), ('tom', 2), ('kit', 2);`, R2Owner{}, R2Pet{})
	em := e.orm.Fork()
	pets, err := uow.Find[R2Pet](e.ctx, em, uow.Related("Owner", uow.Eq("name", "bob")), uow.OrderBy("id", uow.Asc))
	if err != nil || len(pets) != 2 || pets[0].Name != "tom" {
		t.Errorf("belongs-to over app schema: %v, %v", pets, err)
	}
	owners, err := uow.Find[R2Owner](e.ctx, em, uow.Related("Pets", uow.Eq("name", "rex")))
	if err != nil || len(owners) != 1 || owners[0].Name != "ann" {
		t.Errorf("has-many over app schema: %v, %v", owners, err)
	}
	n, err := uow.Count[R2Owner](e.ctx, em, uow.Related("Pets", uow.Related("Owner", uow.Eq("name", "bob"))))
	if err != nil || n != 1 {
		t.Errorf("nested count over app schema: %d, %v", n, err)
	}
}
