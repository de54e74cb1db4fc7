package uow_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ormshift/ormshift/uow"
)

// TestDBErrorText checks database errors in both spellings: with the
// runtime's context by default, and with WithDriverErrorText exactly as
// GORM returns the same failure on the same database. Either way the
// driver's *pgconn.PgError and the runtime's *DBError are reachable.
func TestDBErrorText(t *testing.T) {
	e := setup(t, pkgSchema, Package{}, Version{})
	seedPackages(t, e)
	ctx := e.ctx
	sqlDB := stdlib.OpenDBFromPool(e.pool)
	t.Cleanup(func() { _ = sqlDB.Close() })
	gdb, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	plain := e.orm
	bare, err := uow.OpenWith(e.pool, []any{Package{}, Version{}}, uow.WithDriverErrorText())
	if err != nil {
		t.Fatal(err)
	}

	type failure struct {
		name string
		gorm func() error
		uow  func(o *uow.ORM) error
		op   string // DBError.Op of the default spelling
		code string // SQLSTATE
	}
	cases := []failure{
		{
			name: "unique violation on insert",
			gorm: func() error { return gdb.Create(&Package{Name: "lodash"}).Error },
			uow: func(o *uow.ORM) error {
				em := o.Fork()
				if err := em.Persist(&Package{Name: "lodash"}); err != nil {
					return err
				}
				return em.Flush(ctx)
			},
			op: "Flush: insert 1 Package row(s) into packages", code: "23505",
		},
		{
			name: "foreign key violation on delete",
			gorm: func() error { return gdb.Delete(&Package{}, 1).Error },
			uow: func(o *uow.ORM) error {
				em := o.Fork()
				p, err := uow.Get[Package](ctx, em, uint(1))
				if err != nil {
					return err
				}
				if err := em.Remove(p); err != nil {
					return err
				}
				return em.Flush(ctx)
			},
			op: "Flush: delete", code: "23503",
		},
		{
			name: "raw query on a missing table",
			gorm: func() error {
				var n []int
				return gdb.Raw("SELECT n FROM no_such_table").Scan(&n).Error
			},
			uow: func(o *uow.ORM) error {
				_, err := uow.Raw[struct{ N int }](ctx, o.Fork(), "SELECT n FROM no_such_table")
				return err
			},
			op: "Raw", code: "42P01",
		},
		{
			name: "exec with a bad cast",
			gorm: func() error { return gdb.Exec("UPDATE packages SET weekly_downloads = 'many'").Error },
			uow: func(o *uow.ORM) error {
				_, err := o.Fork().Exec(ctx, "UPDATE packages SET weekly_downloads = 'many'")
				return err
			},
			op: "Exec", code: "22P02",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gerr := c.gorm()
			if gerr == nil {
				t.Fatal("GORM: no error")
			}
			for _, o := range []*uow.ORM{plain, bare} {
				err := c.uow(o)
				if err == nil {
					t.Fatal("uow: no error")
				}
				pgErr, ok := errors.AsType[*pgconn.PgError](err)
				if !ok || pgErr.Code != c.code {
					t.Errorf("uow error %q: want a *pgconn.PgError with SQLSTATE %s", err, c.code)
				}
				dbe, ok := errors.AsType[*uow.DBError](err)
				if !ok {
					t.Fatalf("uow error %q is not a *uow.DBError", err)
				}
				if !strings.HasPrefix(dbe.Op, c.op) {
					t.Errorf("DBError.Op = %q, want it to start with %q", dbe.Op, c.op)
				}
				if o == bare {
					if err.Error() != gerr.Error() {
						t.Errorf("WithDriverErrorText:\n uow:  %s\n gorm: %s", err, gerr)
					}
				} else if want := "uow: " + dbe.Op + ": " + gerr.Error(); err.Error() != want {
					t.Errorf("default text:\n got  %s\n want %s", err, want)
				}
			}
		})
	}
	// A canceled context is still reported through DBError, with the
	// context's error reachable.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = uow.Find[Package](cctx, bare.Fork())
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Find with a canceled context: %v, want context.Canceled", err)
	}
}
