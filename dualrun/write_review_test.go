package dualrun

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// count returns the number of books with the given title.
func (e *writeEnv) count(t *testing.T, title string) int {
	t.Helper()
	var n int
	if err := e.pg.Pool.QueryRow(context.Background(), "SELECT count(*) FROM books WHERE title = $1", title).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func insertBook(ctx context.Context, db *gorm.DB, title string) error {
	return db.WithContext(ctx).Create(&Book{AuthorID: 1, Title: title, Price: 1}).Error
}

// Legacy GORM code autocommits statement by statement: a statement that
// fails does not undo the statements before it, nor abort the ones after.
// Under the shim (by default) the control behaves the same.
func TestWriteControlKeepsAutocommitSemantics(t *testing.T) {
	env := newWriteEnv(t)
	failsAfterAnInsert := func(ctx context.Context, db *gorm.DB) (int64, error) {
		if err := insertBook(ctx, db, "kept"); err != nil {
			return 0, err
		}
		// A raw statement: no GORM default transaction around it.
		return 0, db.WithContext(ctx).Exec("INSERT INTO authors (name) VALUES ('ann')").Error // unique violation
	}
	swallowsAnError := func(ctx context.Context, db *gorm.DB) (int64, error) {
		if err := insertBook(ctx, db, "first"); err != nil {
			return 0, err
		}
		_ = db.WithContext(ctx).Create(&Author{Name: "ann"}).Error // duplicate: ignored, as legacy code does
		var n int64
		if err := db.WithContext(ctx).Model(&Book{}).Where("title = ?", "first").Count(&n).Error; err != nil {
			return 0, err
		}
		return n, insertBook(ctx, db, "second")
	}
	noop := func(context.Context, pgx.Tx) (int64, error) { return 0, nil }

	exp, ch := newWrite(t, env)
	_, err := exp.Run(context.Background(), failsAfterAnInsert, noop)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		t.Fatalf("caller got %v, want the control's unique violation", err)
	}
	waitResult(t, ch)
	if n := env.count(t, "kept"); n != 1 {
		t.Errorf("the insert before the failing statement: %d rows, want 1 (committed, as with autocommit)", n)
	}

	n, err := exp.Run(context.Background(), swallowsAnError, noop)
	if err != nil || n != 1 {
		t.Fatalf("caller got (%d, %v), want (1, nil): a swallowed error must not abort the control's later statements", n, err)
	}
	if r := waitResult(t, ch); r.Note != "" {
		t.Errorf("note %q", r.Note)
	}
	if env.count(t, "first") != 1 || env.count(t, "second") != 1 {
		t.Errorf("rows after a swallowed error: first %d, second %d, want 1 and 1", env.count(t, "first"), env.count(t, "second"))
	}

	// ControlSingleTransaction trades this for a round trip per statement;
	// the shim says when the control's transaction was aborted.
	single, ch := newWrite(t, env, ControlSingleTransaction())
	if _, err := single.Run(context.Background(), failsAfterAnInsert, noop); err == nil {
		t.Fatal("single transaction: control error lost")
	}
	r := waitResult(t, ch)
	if !strings.Contains(r.Note, "single transaction") {
		t.Errorf("single transaction: note %q does not report the aborted control transaction", r.Note)
	}
	if n := env.count(t, "kept"); n != 1 {
		t.Errorf("single transaction: %d rows titled kept, want 1 (the second run's insert rolled back)", n)
	}
	env.checkConnections(t)
}

func TestWriteControlGormTransactions(t *testing.T) {
	env := newWriteEnv(t)
	exp, ch := newWrite(t, env)
	noop := func(context.Context, pgx.Tx) (int64, error) { return 0, nil }
	control := func(ctx context.Context, db *gorm.DB) (int64, error) {
		// A nested transaction that fails rolls back alone.
		err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := insertBook(ctx, tx, "outer"); err != nil {
				return err
			}
			_ = tx.Transaction(func(tx2 *gorm.DB) error {
				if err := insertBook(ctx, tx2, "inner"); err != nil {
					return err
				}
				return errors.New("undo inner")
			})
			return nil
		})
		if err != nil {
			return 0, err
		}
		// Manual Begin/Commit works, Commit on the top level is refused as
		// on a plain *sql.DB, and a transaction left open is not committed.
		tx := db.WithContext(ctx).Begin()
		if err := insertBook(ctx, tx, "manual"); err != nil {
			return 0, err
		}
		if err := tx.Commit().Error; err != nil {
			return 0, err
		}
		if err := db.WithContext(ctx).Commit().Error; !errors.Is(err, gorm.ErrInvalidTransaction) {
			return 0, errors.New("top-level commit: " + errString(err))
		}
		open := db.WithContext(ctx).Begin()
		return 0, insertBook(ctx, open, "never committed")
	}
	if _, err := exp.Run(context.Background(), control, noop); err != nil {
		t.Fatal(err)
	}
	waitResult(t, ch)
	for title, want := range map[string]int{"outer": 1, "inner": 0, "manual": 1, "never committed": 0} {
		if n := env.count(t, title); n != want {
			t.Errorf("%q: %d rows, want %d", title, n, want)
		}
	}
	env.checkConnections(t)
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// A candidate that ends the shared transaction itself (raw COMMIT, a
// transaction begun on tx.Conn(), releasing the shim's savepoint) must not
// make its rows permanent.
func TestWriteCandidateCannotCommit(t *testing.T) {
	env := newWriteEnv(t)
	insert := func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO books (author_id, title, created_at) VALUES (2, 'candidate-row', now())")
		return err
	}
	cases := map[string]func(ctx context.Context, tx pgx.Tx) error{
		"raw COMMIT": func(ctx context.Context, tx pgx.Tx) error {
			_, err := tx.Conn().Exec(ctx, "COMMIT")
			return err
		},
		"COMMIT in a multi-statement string": func(ctx context.Context, tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "UPDATE books SET price = 99 WHERE title = 'candidate-row'; COMMIT")
			return err
		},
		"Begin and Commit on tx.Conn()": func(ctx context.Context, tx pgx.Tx) error {
			inner, err := tx.Conn().Begin(ctx)
			if err != nil {
				return err
			}
			return inner.Commit(ctx)
		},
		"releases the shim's savepoint": func(ctx context.Context, tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "RELEASE SAVEPOINT "+candidateSavepoint)
			return err
		},
		"ROLLBACK": func(ctx context.Context, tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "ROLLBACK")
			return err
		},
	}
	for name, then := range cases {
		t.Run(name, func(t *testing.T) {
			exp, ch := newWrite(t, env, Timeout(2*time.Second))
			id, err := exp.Run(context.Background(), gormAddBook("ann", "control-row", 1), func(ctx context.Context, tx pgx.Tx) (int64, error) {
				if err := insert(ctx, tx); err != nil {
					return 0, err
				}
				return 0, then(ctx, tx)
			})
			if err != nil || id == 0 {
				t.Fatalf("control result changed: (%d, %v)", id, err)
			}
			r := waitResult(t, ch)
			if r.Candidates[0].Outcome != Mismatched {
				t.Errorf("outcome %s, want mismatched (diff %q note %q)", r.Candidates[0].Outcome, r.Candidates[0].Diff, r.Note)
			}
			if n := env.count(t, "candidate-row"); n != 0 {
				t.Errorf("%d candidate rows left in the database", n)
			}
			if n := env.count(t, "control-row"); n != 1 {
				t.Errorf("%d control rows, want 1", n)
			}
			if _, err := env.pg.Pool.Exec(context.Background(), "DELETE FROM books WHERE title = 'control-row'"); err != nil {
				t.Fatal(err)
			}
			env.checkConnections(t)
		})
	}
}

// Writes to a table without the capture trigger are invisible to the
// comparison: they must not make different writes look equal.
func TestWriteUncapturedTableIsNotAMatch(t *testing.T) {
	env := newWriteEnv(t)
	if _, err := env.pg.Pool.Exec(context.Background(), "CREATE TABLE audit (id bigserial PRIMARY KEY, what text)"); err != nil {
		t.Fatal(err)
	}
	exp, ch := newWrite(t, env)
	_, err := exp.Run(context.Background(), func(ctx context.Context, db *gorm.DB) (int64, error) {
		return 0, db.WithContext(ctx).Exec("INSERT INTO audit (what) VALUES ('control')").Error
	}, func(ctx context.Context, tx pgx.Tx) (int64, error) {
		_, err := tx.Exec(ctx, "INSERT INTO audit (what) VALUES ('something else'), ('and more')")
		return 0, err
	})
	if err != nil {
		t.Fatal(err)
	}
	r := waitResult(t, ch)
	if c := r.Candidates[0]; c.Outcome != Mismatched || !strings.Contains(c.Diff, "audit written without the capture trigger") {
		t.Errorf("outcome %s diff %q, want a mismatch naming the uncaptured table", c.Outcome, c.Diff)
	}

	// A nested transaction rolled back (rows written, not captured, in a
	// captured table) is not flagged.
	_, err = exp.Run(context.Background(), func(ctx context.Context, db *gorm.DB) (int64, error) {
		_ = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := insertBook(ctx, tx, "rolled back"); err != nil {
				return err
			}
			return errors.New("undo")
		})
		return 0, nil
	}, func(context.Context, pgx.Tx) (int64, error) { return 0, nil })
	if err != nil {
		t.Fatal(err)
	}
	if r := waitResult(t, ch); r.Candidates[0].Outcome != Matched {
		t.Errorf("rolled-back nested transaction: %s %q", r.Candidates[0].Outcome, r.Candidates[0].Diff)
	}

	// The control writing through another handle than the one the shim
	// passes it (a package-level *gorm.DB) is not compared.
	_, err = exp.Run(context.Background(), func(ctx context.Context, _ *gorm.DB) (int64, error) {
		return 0, insertBook(ctx, env.gdb, "through the global handle")
	}, func(ctx context.Context, tx pgx.Tx) (int64, error) {
		_, err := tx.Exec(ctx, "INSERT INTO books (author_id, title, price) VALUES (1, 'through the global handle', 1)")
		return 0, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := waitResult(t, ch); r.Candidates[0].Outcome != Ignored || !strings.Contains(r.Candidates[0].Diff, "another connection") {
		t.Errorf("global handle: %s %q, want ignored", r.Candidates[0].Outcome, r.Candidates[0].Diff)
	}
	env.checkConnections(t)
}

func TestInstallUninstallLeaveNothingBehind(t *testing.T) {
	env := newWriteEnv(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, env.pg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	objects := func() string {
		var s string
		err := conn.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM pg_namespace WHERE nspname = 'ormshift_dualrun') || ' schema, ' ||
			(SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'ormshift_dualrun') || ' functions, ' ||
			(SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'ormshift_dualrun%') || ' triggers, ' ||
			coalesce((SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
				WHERE n.nspname = 'ormshift_dualrun' AND c.relkind = 'r'), '-')`).Scan(&s)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if got, want := objects(), "1 schema, 2 functions, 3 triggers, effects,guard,results"; got != want {
		t.Fatalf("installed: %s, want %s", got, want)
	}
	// Idempotent.
	if _, err := Install(ctx, conn, []string{"authors", "books"}); err != nil {
		t.Fatal(err)
	}
	if got, want := objects(), "1 schema, 2 functions, 3 triggers, effects,guard,results"; got != want {
		t.Fatalf("installed twice: %s, want %s", got, want)
	}
	// Unknown tables and non-tables are refused, naming them, and nothing
	// changes.
	if _, err := conn.Exec(ctx, "CREATE VIEW cheap_books AS SELECT * FROM books WHERE price < 10; CREATE TABLE plain (id int)"); err != nil {
		t.Fatal(err)
	}
	for tables, want := range map[string]string{"plain,nope": `table "nope" does not exist`, "cheap_books": "public.cheap_books is not a table"} {
		if _, err := Install(ctx, conn, strings.Split(tables, ",")); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("install %s: %v, want %q", tables, err, want)
		}
	}
	if got, want := objects(), "1 schema, 2 functions, 3 triggers, effects,guard,results"; got != want {
		t.Fatalf("after refused installs: %s, want %s", got, want)
	}
	// A table lock held elsewhere makes install give up instead of queueing
	// the table's writers behind it.
	locker, err := env.pg.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := locker.Exec(ctx, "LOCK TABLE plain IN SHARE MODE"); err != nil {
		t.Fatal(err)
	}
	_, err = Install(ctx, conn, []string{"plain"}, InstallOptions{LockTimeout: 100 * time.Millisecond})
	_ = locker.Rollback(ctx)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "55P03" {
		t.Errorf("install on a locked table: %v, want a lock timeout (55P03)", err)
	}

	if _, err := Uninstall(ctx, conn, false); err != nil {
		t.Fatal(err)
	}
	if got, want := objects(), "1 schema, 0 functions, 0 triggers, results"; got != want {
		t.Errorf("uninstalled (results kept): %s, want %s", got, want)
	}
	// Someone else's object in the schema is not dropped silently.
	if _, err := conn.Exec(ctx, "CREATE TABLE ormshift_dualrun.mine (id int)"); err != nil {
		t.Fatal(err)
	}
	if _, err := Uninstall(ctx, conn, true); err == nil || !strings.Contains(err.Error(), "ormshift_dualrun") {
		t.Errorf("uninstall with a foreign object in the schema: %v, want an error", err)
	}
	if _, err := conn.Exec(ctx, "DROP TABLE ormshift_dualrun.mine"); err != nil {
		t.Fatal(err)
	}
	if _, err := Uninstall(ctx, conn, true); err != nil {
		t.Fatal(err)
	}
	if got, want := objects(), "0 schema, 0 functions, 0 triggers, -"; got != want {
		t.Errorf("uninstalled with results: %s, want %s", got, want)
	}
}
