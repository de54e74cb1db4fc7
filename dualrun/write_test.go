package dualrun

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ormshift/ormshift/internal/pgtest"
)

type Author struct {
	ID        int64
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

type Book struct {
	ID        int64
	AuthorID  int64
	Title     string
	Price     float64
	CreatedAt time.Time
}

const writeSchema = `
CREATE TABLE authors (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, created_at timestamptz, updated_at timestamptz);
CREATE TABLE books (
	id bigserial PRIMARY KEY,
	author_id bigint NOT NULL REFERENCES authors (id) DEFERRABLE INITIALLY DEFERRED,
	title text NOT NULL,
	price double precision NOT NULL DEFAULT 0,
	created_at timestamptz
);
INSERT INTO authors (name, created_at) VALUES ('ann', now()), ('bob', now());
INSERT INTO books (author_id, title, price, created_at) VALUES (1, 'A1', 10, now()), (1, 'A2', 12, now()), (2, 'B1', 9, now());
`

type writeEnv struct {
	pg  *pgtest.DB
	db  *sql.DB
	gdb *gorm.DB
}

const testApp = "dualrun_write_test"

func newWriteEnv(t *testing.T) *writeEnv {
	t.Helper()
	pg := pgtest.New(t)
	ctx := context.Background()
	if _, err := pg.Pool.Exec(ctx, writeSchema); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, pg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := Install(ctx, conn, []string{"authors", "public.books"}); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(pg.DSN)
	q := u.Query()
	q.Set("application_name", testApp)
	u.RawQuery = q.Encode()
	db, err := OpenDB(u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	gdb, err := gorm.Open(postgres.New(postgres.Config{Conn: db}), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	return &writeEnv{pg: pg, db: db, gdb: gdb}
}

// state is the content of both tables, keys included.
func (e *writeEnv) state(t *testing.T) string {
	t.Helper()
	var s string
	err := e.pg.Pool.QueryRow(context.Background(), `SELECT
		(SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM authors) || ' | ' ||
		(SELECT coalesce(string_agg(id || ':' || author_id || ':' || title || ':' || price, ',' ORDER BY id), '') FROM books) || ' | effects=' ||
		(SELECT count(*) FROM ormshift_dualrun.effects)`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkConnections fails when a connection of the experiment's pool is
// left in a transaction, or PostgreSQL has more of its backends than the
// pool has open.
func (e *writeEnv) checkConnections(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var backends, inTx int
		err := e.pg.Pool.QueryRow(context.Background(), `SELECT count(*), count(*) FILTER (WHERE state LIKE 'idle in transaction%')
			FROM pg_stat_activity WHERE application_name = $1`, testApp).Scan(&backends, &inTx)
		if err != nil {
			t.Fatal(err)
		}
		st := e.db.Stats()
		if inTx == 0 && st.InUse == 0 && backends <= st.OpenConnections {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("connections leaked: %d backends (%d in a transaction), pool: %d open, %d in use", backends, inTx, st.OpenConnections, st.InUse)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// gormAddBook is the legacy path: a book for an author found by name.
func gormAddBook(author, title string, price float64) WriteControl[int64] {
	return func(ctx context.Context, db *gorm.DB) (int64, error) {
		var a Author
		if err := db.WithContext(ctx).Where("name = ?", author).First(&a).Error; err != nil {
			return 0, err
		}
		b := Book{AuthorID: a.ID, Title: title, Price: price}
		if err := db.WithContext(ctx).Create(&b).Error; err != nil {
			return 0, err
		}
		return b.ID, nil
	}
}

// pgxAddBook is the new path.
func pgxAddBook(author, title string, price float64) WriteCandidate[int64] {
	return func(ctx context.Context, tx pgx.Tx) (int64, error) {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO books (author_id, title, price, created_at)
			SELECT id, $2, $3, now() FROM authors WHERE name = $1 RETURNING id`, author, title, price).Scan(&id)
		return id, err
	}
}

func newWrite(t *testing.T, env *writeEnv, opts ...Option) (*WriteExperiment[int64], chan *Result) {
	ch, base := collect()
	return NewWrite[int64]("books.add", env.db, env.gdb, append(base, opts...)...), ch
}

func TestWriteMatchesAndLeavesOnlyTheControlsRows(t *testing.T) {
	env := newWriteEnv(t)
	exp, ch := newWrite(t, env)
	id, err := exp.Run(context.Background(), gormAddBook("ann", "A3", 15), pgxAddBook("ann", "A3", 15))
	if err != nil {
		t.Fatal(err)
	}
	r := waitResult(t, ch)
	c := r.Candidates[0]
	if c.Outcome != Matched {
		t.Fatalf("outcome %s: %s (note %q)", c.Outcome, c.Diff, r.Note)
	}
	// The candidate consumed a sequence value: the control's key is 5, and
	// the candidate's row is gone.
	if id != 5 {
		t.Errorf("control returned id %d, want 5 (the candidate's rolled-back insert took 4)", id)
	}
	want := "1:ann,2:bob | 1:1:A1:10,2:1:A2:12,3:2:B1:9,5:1:A3:15 | effects=0"
	if got := env.state(t); got != want {
		t.Errorf("state:\n got %s\nwant %s", got, want)
	}
	if r.Control.Stats.Statements != 2 || r.Candidates[0].Stats.Statements != 1 || r.Control.Stats.RoundTrips != 2 {
		t.Errorf("statements: control %+v, candidate %+v", r.Control.Stats, r.Candidates[0].Stats)
	}
	r.finish()
	if len(r.Control.Stats.Fingerprints) != 2 {
		t.Errorf("control fingerprints = %v", r.Control.Stats.Fingerprints)
	}
	env.checkConnections(t)
}

func TestWriteGeneratedKeysAndForeignKeysNormalised(t *testing.T) {
	env := newWriteEnv(t)
	ch, base := collect()
	exp := NewWrite[string]("authors.create", env.db, env.gdb, base...)
	control := func(ctx context.Context, db *gorm.DB) (string, error) {
		a := Author{Name: "cid"}
		if err := db.WithContext(ctx).Create(&a).Error; err != nil {
			return "", err
		}
		books := []Book{{AuthorID: a.ID, Title: "C1", Price: 1}, {AuthorID: a.ID, Title: "C2", Price: 2}}
		return a.Name, db.WithContext(ctx).Create(&books).Error
	}
	// Books first in the other order, with a deferred foreign key check:
	// the author comes after its books.
	candidate := func(ctx context.Context, tx pgx.Tx) (string, error) {
		var next int64
		if err := tx.QueryRow(ctx, "SELECT nextval('authors_id_seq')").Scan(&next); err != nil {
			return "", err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO books (author_id, title, price, created_at) VALUES ($1, 'C2', 2, now()), ($1, 'C1', 1, now())", next); err != nil {
			return "", err
		}
		_, err := tx.Exec(ctx, "INSERT INTO authors (id, name, created_at, updated_at) VALUES ($1, 'cid', now(), now())", next)
		return "cid", err
	}
	if _, err := exp.Run(context.Background(), control, candidate); err != nil {
		t.Fatal(err)
	}
	if r := waitResult(t, ch); r.Candidates[0].Outcome != Matched {
		t.Fatalf("outcome %s: %s", r.Candidates[0].Outcome, r.Candidates[0].Diff)
	}
	// A candidate pointing a book at an existing author differs.
	if _, err := env.pg.Pool.Exec(context.Background(), "DELETE FROM books WHERE title LIKE 'C%'; DELETE FROM authors WHERE name = 'cid'"); err != nil {
		t.Fatal(err)
	}
	wrongParent := func(ctx context.Context, tx pgx.Tx) (string, error) {
		var id int64
		if err := tx.QueryRow(ctx, "INSERT INTO authors (name, created_at, updated_at) VALUES ('cid', now(), now()) RETURNING id").Scan(&id); err != nil {
			return "", err
		}
		_, err := tx.Exec(ctx, "INSERT INTO books (author_id, title, price, created_at) VALUES (1, 'C1', 1, now()), ($1, 'C2', 2, now())", id)
		return "cid", err
	}
	if _, err := exp.Run(context.Background(), control, wrongParent); err != nil {
		t.Fatal(err)
	}
	r := waitResult(t, ch)
	d := r.Candidates[0].Diff
	if r.Candidates[0].Outcome != Mismatched || !strings.Contains(d, `author_id]: control "new#1", candidate 1`) {
		t.Fatalf("outcome %s, diff:\n%s", r.Candidates[0].Outcome, d)
	}
	t.Logf("diff:\n%s", d)
}

func TestWriteDeliberateMismatches(t *testing.T) {
	type tc struct {
		name      string
		control   WriteControl[int64]
		candidate WriteCandidate[int64]
		want      []string
	}
	updatePrice := func(ctx context.Context, db *gorm.DB) (int64, error) {
		res := db.WithContext(ctx).Model(&Book{}).Where("title = ?", "A1").Updates(map[string]any{"price": 11, "title": "A1b"})
		return res.RowsAffected, res.Error
	}
	deleteBook := func(ctx context.Context, db *gorm.DB) (int64, error) {
		res := db.WithContext(ctx).Where("title = ?", "B1").Delete(&Book{})
		return res.RowsAffected, res.Error
	}
	cases := []tc{
		{"wrong filter", updatePrice, func(ctx context.Context, tx pgx.Tx) (int64, error) {
			tag, err := tx.Exec(ctx, "UPDATE books SET price = 11, title = 'A1b' WHERE title = 'A2'")
			return tag.RowsAffected(), err
		}, []string{`id=1`, `control updated`, `candidate did not`, `id=2`}},
		{"missing column update", updatePrice, func(ctx context.Context, tx pgx.Tx) (int64, error) {
			tag, err := tx.Exec(ctx, "UPDATE books SET title = 'A1b' WHERE title = 'A1'")
			return tag.RowsAffected(), err
		}, []string{`id=1 after update[price]: control 11, candidate 10`}},
		{"extra insert", gormAddBook("bob", "B2", 3), func(ctx context.Context, tx pgx.Tx) (int64, error) {
			id, err := pgxAddBook("bob", "B2", 3)(ctx, tx)
			if err == nil {
				_, err = pgxAddBook("bob", "B2-copy", 3)(ctx, tx)
			}
			return id, err
		}, []string{`candidate inserted`, `"B2-copy"`, `control did not`}},
		{"missing delete", deleteBook, func(ctx context.Context, tx pgx.Tx) (int64, error) {
			return 1, nil
		}, []string{`id=3: control deleted`, `"B1"`, `candidate did not`}},
	}
	env := newWriteEnv(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			exp, ch := newWrite(t, env)
			before := env.state(t)
			// Expected state: the control alone, in a transaction rolled back.
			if _, err := exp.Run(context.Background(), c.control, c.candidate); err != nil {
				t.Fatal(err)
			}
			r := waitResult(t, ch)
			cr := r.Candidates[0]
			if cr.Outcome != Mismatched {
				t.Fatalf("outcome %s, want mismatched (diff %q, note %q)", cr.Outcome, cr.Diff, r.Note)
			}
			for _, w := range c.want {
				if !strings.Contains(cr.Diff, w) {
					t.Errorf("diff does not contain %q:\n%s", w, cr.Diff)
				}
			}
			if strings.Contains(env.state(t), "B2-copy") || env.state(t) == before && c.name != "missing delete" && c.name != "wrong filter" && c.name != "missing column update" {
				t.Errorf("state after run: %s", env.state(t))
			}
			// Undo the control's change for the next case.
			if _, err := env.pg.Pool.Exec(context.Background(), `DELETE FROM books; ALTER TABLE authors DISABLE TRIGGER USER; ALTER TABLE authors ENABLE TRIGGER USER;
				INSERT INTO books (id, author_id, title, price, created_at) VALUES (1, 1, 'A1', 10, now()), (2, 1, 'A2', 12, now()), (3, 2, 'B1', 9, now())`); err != nil {
				t.Fatal(err)
			}
		})
	}
	env.checkConnections(t)
}

func TestWriteCandidateFaults(t *testing.T) {
	env := newWriteEnv(t)
	insertThen := func(then func(ctx context.Context, tx pgx.Tx) error) WriteCandidate[int64] {
		return func(ctx context.Context, tx pgx.Tx) (int64, error) {
			if _, err := tx.Exec(ctx, "INSERT INTO books (author_id, title, created_at) VALUES (2, 'candidate-row', now())"); err != nil {
				return 0, err
			}
			return 0, then(ctx, tx)
		}
	}
	cases := []struct {
		name      string
		candidate WriteCandidate[int64]
		want      string
		timedOut  bool
	}{
		{"error", insertThen(func(context.Context, pgx.Tx) error { return errors.New("candidate bug") }), "candidate bug", false},
		{"panic", insertThen(func(context.Context, pgx.Tx) error { panic("candidate exploded") }), "candidate panicked: candidate exploded", false},
		{"timeout in a query", insertThen(func(ctx context.Context, tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "SELECT pg_sleep(30)")
			return err
		}), "timed out", true},
		{"timeout ignoring its context", insertThen(func(ctx context.Context, tx pgx.Tx) error {
			time.Sleep(3 * time.Second)
			return nil
		}), "abandoned", true},
		{"cancels its context", insertThen(func(ctx context.Context, tx pgx.Tx) error {
			ctx, cancel := context.WithCancel(ctx)
			cancel()
			_, err := tx.Exec(ctx, "SELECT 1")
			return err
		}), "context canceled", false},
		{"unique violation", insertThen(func(ctx context.Context, tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO authors (name) VALUES ('ann')")
			return err
		}), "authors_name_key", false},
		{"deferred foreign key violation", insertThen(func(ctx context.Context, tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO books (author_id, title) VALUES (999, 'orphan')")
			return err
		}), "deferred constraint", false},
		{"connection killed", insertThen(func(ctx context.Context, tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "SELECT pg_terminate_backend(pg_backend_pid())")
			return err
		}), "candidate failed", false},
		{"commits and leaves rows open", insertThen(func(ctx context.Context, tx pgx.Tx) error {
			return tx.Commit(ctx)
		}), `title]: control "control-row", candidate "candidate-row"`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := runtime.NumGoroutine()
			exp, ch := newWrite(t, env, Timeout(300*time.Millisecond))
			id, err := exp.Run(context.Background(), gormAddBook("ann", "control-row", 1), c.candidate)
			if err != nil || id == 0 {
				t.Fatalf("control result changed: (%v, %v)", id, err)
			}
			r := waitResult(t, ch)
			cr := r.Candidates[0]
			if cr.Outcome != Mismatched || !strings.Contains(cr.Diff+cr.Error, c.want) || cr.TimedOut != c.timedOut {
				t.Errorf("verdict %s timedOut=%v diff %q error %q note %q; want mismatch containing %q", cr.Outcome, cr.TimedOut, cr.Diff, cr.Error, r.Note, c.want)
			}
			var cand, ctl int
			if err := env.pg.Pool.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE title IN ('candidate-row', 'orphan')),
				count(*) FILTER (WHERE title = 'control-row' AND id = $1) FROM books`, id).Scan(&cand, &ctl); err != nil {
				t.Fatal(err)
			}
			if cand != 0 || ctl != 1 {
				t.Errorf("after the run: %d candidate rows (want 0), %d control rows with id %d (want 1)", cand, ctl, id)
			}
			if _, err := env.pg.Pool.Exec(context.Background(), "DELETE FROM books WHERE title = 'control-row'"); err != nil {
				t.Fatal(err)
			}
			env.checkConnections(t)
			waitGoroutines(t, base)
		})
	}
	if s := env.state(t); !strings.HasSuffix(s, "effects=0") {
		t.Errorf("capture rows left behind: %s", s)
	}
}

func TestWriteWithoutCaptureRunsTheControlOnly(t *testing.T) {
	env := newWriteEnv(t)
	conn, err := pgx.Connect(context.Background(), env.pg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	tables, err := Uninstall(context.Background(), conn, false)
	if err != nil || fmt.Sprint(tables) != "[public.authors public.books]" {
		t.Fatalf("uninstall: %v %v", tables, err)
	}
	if left, err := CapturedTables(context.Background(), conn); err != nil || len(left) != 0 {
		t.Fatalf("triggers left: %v %v", left, err)
	}
	var skipped error
	exp := NewWrite[int64]("books.add", env.db, env.gdb, OnSkip(func(_ string, err error) { skipped = err }),
		WithPublisher(PublisherFunc(func(context.Context, *Result) error { t.Error("published without capture"); return nil })))
	ran := false
	id, err := exp.Run(context.Background(), gormAddBook("bob", "B9", 1), func(ctx context.Context, tx pgx.Tx) (int64, error) { ran = true; return 0, nil })
	if err != nil || id == 0 || ran || skipped == nil || !strings.Contains(skipped.Error(), "dualrun install") {
		t.Fatalf("id=%d err=%v candidate ran=%v skipped=%v", id, err, ran, skipped)
	}
	if _, err := Install(context.Background(), conn, []string{"nope"}); err == nil || !strings.Contains(err.Error(), `table "nope" does not exist`) {
		t.Errorf("install of a missing table: %v", err)
	}
}
