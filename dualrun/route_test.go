package dualrun

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// A package-level *gorm.DB with the Router plugin: the control's writes
// through it are captured and compared like writes through the handle
// the shim passes, and leave exactly the legacy rows; outside experiments
// the handle works as before.
func TestRouterCapturesWritesThroughAGlobalHandle(t *testing.T) {
	env := newWriteEnv(t)
	ctx := context.Background()
	global, err := gorm.Open(postgres.New(postgres.Config{Conn: env.db}), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := global.Use(Router()); err != nil {
		t.Fatal(err)
	}
	exp, ch := newWrite(t, env)
	viaGlobal := func(title string) WriteControl[int64] {
		return func(ctx context.Context, _ *gorm.DB) (int64, error) {
			// A GORM transaction on the global handle, as legacy code
			// writes it: it must become a savepoint of the shim's.
			err := global.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
				if err := insertBook(ctx, tx, title); err != nil {
					return err
				}
				return tx.Model(&Book{}).Where("title = ?", title).Update("price", 2).Error
			})
			return 0, err
		}
	}
	pgxInsert := func(title string, price int) WriteCandidate[int64] {
		return func(ctx context.Context, tx pgx.Tx) (int64, error) {
			_, err := tx.Exec(ctx, "INSERT INTO books (author_id, title, price, created_at) VALUES (1, $1, $2, now())", title, price)
			return 0, err
		}
	}

	// Same writes: matched.
	if _, err := exp.Run(ctx, viaGlobal("routed"), pgxInsert("routed", 2)); err != nil {
		t.Fatal(err)
	}
	if r := waitResult(t, ch); r.Candidates[0].Outcome != Matched {
		t.Errorf("routed control vs same writes: %s %q (note %q)", r.Candidates[0].Outcome, r.Candidates[0].Diff, r.Note)
	}
	if n := env.count(t, "routed"); n != 1 {
		t.Errorf("%d rows of the routed control, want 1 (the candidate's must not persist)", n)
	}

	// Different writes: a mismatch whose diff shows the rows.
	if _, err := exp.Run(ctx, viaGlobal("routed-2"), pgxInsert("routed-2", 3)); err != nil {
		t.Fatal(err)
	}
	if r := waitResult(t, ch); r.Candidates[0].Outcome != Mismatched || !strings.Contains(r.Candidates[0].Diff, "price") {
		t.Errorf("routed control vs other writes: %s %q, want a mismatch on price", r.Candidates[0].Outcome, r.Candidates[0].Diff)
	}

	// The control's failing GORM transaction on the global handle rolls
	// back its own rows only, as without the shim.
	_, err = exp.Run(ctx, func(ctx context.Context, _ *gorm.DB) (int64, error) {
		_ = global.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := insertBook(ctx, tx, "rolled back"); err != nil {
				return err
			}
			return errors.New("undo")
		})
		return 0, insertBook(ctx, global, "kept")
	}, pgxInsert("kept", 1))
	if err != nil {
		t.Fatal(err)
	}
	if r := waitResult(t, ch); r.Candidates[0].Outcome != Matched {
		t.Errorf("rolled-back transaction on the global handle: %s %q", r.Candidates[0].Outcome, r.Candidates[0].Diff)
	}
	if a, b := env.count(t, "rolled back"), env.count(t, "kept"); a != 0 || b != 1 {
		t.Errorf("rows: rolled back %d (want 0), kept %d (want 1)", a, b)
	}

	// Outside an experiment the global handle writes on its own pool.
	if err := insertBook(ctx, global, "outside"); err != nil {
		t.Fatal(err)
	}
	if n := env.count(t, "outside"); n != 1 {
		t.Errorf("write outside an experiment: %d rows", n)
	}
	if sqlDB, err := global.DB(); err != nil || sqlDB != env.db {
		t.Errorf("global.DB() = %v, %v; want the handle's own *sql.DB", sqlDB, err)
	}
	// Installing it twice is refused by GORM, not stacked.
	if err := global.Use(Router()); !errors.Is(err, gorm.ErrRegistered) {
		t.Errorf("second Use: %v, want gorm.ErrRegistered", err)
	}
	env.checkConnections(t)
}
