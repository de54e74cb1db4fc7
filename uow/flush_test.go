package uow_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ormshift/ormshift/uow"
)

type Author struct {
	ID             uint
	Name           string
	FavoriteBookID *uint
	FavoriteBook   *Book `gorm:"foreignKey:FavoriteBookID"`
	Books          []*Book
}

type Book struct {
	ID       uint
	Title    string
	AuthorID uint
	Author   *Author
}

const cycleSchema = `
CREATE TABLE authors (id bigserial PRIMARY KEY, name text NOT NULL, favorite_book_id bigint);
CREATE TABLE books (id bigserial PRIMARY KEY, title text NOT NULL, author_id bigint NOT NULL REFERENCES authors(id));
ALTER TABLE authors ADD FOREIGN KEY (favorite_book_id) REFERENCES books(id);`

func TestCommitOrderWithForeignKeyCycle(t *testing.T) {
	e := setup(t, cycleSchema, &Author{}, &Book{})
	em := e.orm.Fork()
	a := &Author{Name: "Le Guin"}
	b := &Book{Title: "The Dispossessed", Author: a}
	a.FavoriteBook = b
	a.Books = []*Book{b, {Title: "The Lathe of Heaven"}}
	if err := em.Persist(a); err != nil {
		t.Fatal(err)
	}
	e.counter.Reset()
	if err := em.Flush(e.ctx); err != nil {
		t.Fatalf("flush: %v\n%q", err, e.counter.SQL())
	}
	if a.ID == 0 || b.ID == 0 || a.FavoriteBookID == nil || *a.FavoriteBookID != b.ID || b.AuthorID != a.ID || a.Books[1].AuthorID != a.ID {
		t.Fatalf("keys: author %+v book %+v", a, b)
	}
	var fav int64
	if err := e.pool.QueryRow(e.ctx, "SELECT favorite_book_id FROM authors WHERE id = $1", a.ID).Scan(&fav); err != nil || fav != int64(b.ID) {
		t.Fatalf("favorite_book_id in db = %d, %v", fav, err)
	}
	// The cycle is broken with one fix-up UPDATE in the same transaction.
	sqls := e.counter.SQL()
	joined := strings.Join(sqls, "\n")
	if !strings.Contains(joined, `UPDATE "authors" SET "favorite_book_id"`) {
		t.Errorf("no fix-up update:\n%s", joined)
	}
	if st := em.LastFlushStats(); st.Inserted != 3 || st.Updated != 1 {
		t.Errorf("stats = %+v", st)
	}
	// Nothing left to do.
	e.counter.Reset()
	if err := em.Flush(e.ctx); err != nil || e.counter.Stats().Statements != 0 {
		t.Errorf("second flush: %v, %q", err, e.counter.SQL())
	}
	// Populate belongs-to and has-many back.
	em2 := e.orm.Fork()
	books, err := uow.Find[Book](e.ctx, em2, uow.Populate("Author", "Author.Books"), uow.OrderBy("id", uow.Asc))
	if err != nil {
		t.Fatal(err)
	}
	if len(books) != 2 || books[0].Author == nil || books[0].Author != books[1].Author || len(books[0].Author.Books) != 2 || books[0].Author.Books[0] != books[0] {
		t.Fatalf("populate: %+v", books)
	}
}

type Node struct {
	ID   uint
	Name string
	Next *Node `gorm:"foreignKey:NextID"`
	// NOT NULL both ways: impossible to order.
	NextID uint
}

func TestUnbreakableCycleIsAnError(t *testing.T) {
	e := setup(t, `CREATE TABLE nodes (id bigserial PRIMARY KEY, name text, next_id bigint NOT NULL REFERENCES nodes(id) DEFERRABLE INITIALLY IMMEDIATE)`, &Node{})
	em := e.orm.Fork()
	a, b := &Node{Name: "a"}, &Node{Name: "b"}
	a.Next, b.Next = b, a
	if err := em.Persist(a); err != nil {
		t.Fatal(err)
	}
	err := em.Flush(e.ctx)
	if err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("err = %v, want a cycle error", err)
	}
	if a.ID != 0 || b.ID != 0 {
		t.Errorf("keys assigned after a failed flush: %d %d", a.ID, b.ID)
	}
}

// dbState renders every row of the pkgpulse tables.
func dbState(t *testing.T, e *env) string {
	t.Helper()
	rows, err := e.pool.Query(e.ctx, `SELECT 'p' || id || ':' || name || ':' || coalesce(description, '-') || ':' || weekly_downloads || ':' || coalesce(updated_at::text, '-') FROM packages
UNION ALL SELECT 'v' || id || ':' || number || ':' || package_id FROM versions ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return strings.Join(out, "\n")
}

func TestFailureAtEachStatementRollsBackEverything(t *testing.T) {
	t.Run("insert", func(t *testing.T) { failureAtEachStatement(t, false) })
	// The same unit of work with its new versions inserted by COPY (keys
	// allocated from the sequence first): a failure at the COPY or after
	// it leaves nothing either.
	t.Run("copy", func(t *testing.T) {
		defer uow.SetCopyThreshold(2)()
		failureAtEachStatement(t, true)
	})
}

func failureAtEachStatement(t *testing.T, wantCopy bool) {
	e := setup(t, pkgSchema+`
CREATE SEQUENCE stmt_seq;
CREATE TABLE fail_at (k int);
INSERT INTO fail_at VALUES (0);
CREATE FUNCTION fail_kth() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE n bigint := nextval('stmt_seq');
BEGIN
	IF n = (SELECT k FROM fail_at) THEN
		RAISE EXCEPTION 'injected failure at statement %', n;
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER p_fail AFTER INSERT OR UPDATE OR DELETE ON packages FOR EACH STATEMENT EXECUTE FUNCTION fail_kth();
CREATE TRIGGER v_fail AFTER INSERT OR UPDATE OR DELETE ON versions FOR EACH STATEMENT EXECUTE FUNCTION fail_kth();`,
		&Package{}, &Version{})
	seedPackages(t, e)
	before := dbState(t, e)
	succeeded, sawCopy := false, false
	for k := 1; k <= 20 && !succeeded; k++ {
		if _, err := e.pool.Exec(e.ctx, "ALTER SEQUENCE stmt_seq RESTART"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.pool.Exec(e.ctx, "UPDATE fail_at SET k = $1", k); err != nil {
			t.Fatal(err)
		}
		em := e.orm.Fork()
		// A mixed unit of work: graph insert, update, delete.
		p := &Package{Name: "fresh", Versions: []Version{{Number: "1.0"}, {Number: "2.0"}}}
		if err := em.Persist(p); err != nil {
			t.Fatal(err)
		}
		tiny, err := uow.FindOneOrFail[Package](e.ctx, em, uow.Eq("name", "tiny"))
		if err != nil {
			t.Fatal(err)
		}
		oldUpdated := tiny.UpdatedAt
		tiny.WeeklyDownloads = 99
		lp, err := uow.FindOneOrFail[Package](e.ctx, em, uow.Eq("name", "left-pad"), uow.Populate("Versions"))
		if err != nil {
			t.Fatal(err)
		}
		lp.Description = strp("changed")
		old, err := uow.FindOneOrFail[Version](e.ctx, em, uow.Eq("number", "4.17.21"))
		if err != nil {
			t.Fatal(err)
		}
		if err := em.Remove(old); err != nil {
			t.Fatal(err)
		}
		e.counter.Reset()
		err = em.Flush(e.ctx)
		if c, _ := copyStatements(e.counter.SQL()); c > 0 {
			sawCopy = true
		}
		if err == nil {
			succeeded = true
			if k < 4 {
				t.Fatalf("flush succeeded with failure injected at statement %d: too few statements", k)
			}
			break
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("injected failure at statement %d", k)) {
			t.Fatalf("k=%d: unexpected error %v", k, err)
		}
		if got := dbState(t, e); got != before {
			t.Fatalf("k=%d: database changed by a failed flush:\nbefore:\n%s\nafter:\n%s", k, before, got)
		}
		// The EntityManager is as before the flush.
		if p.ID != 0 || p.Versions[0].ID != 0 || p.Versions[0].PackageID != 0 || !p.CreatedAt.IsZero() {
			t.Fatalf("k=%d: new entities half-assigned: %+v", k, p)
		}
		if !tiny.UpdatedAt.Equal(oldUpdated) || tiny.WeeklyDownloads != 99 {
			t.Fatalf("k=%d: updated entity changed: %+v", k, tiny)
		}
		// Retrying the same unit of work without the failure succeeds.
		if _, err := e.pool.Exec(e.ctx, "UPDATE fail_at SET k = 0"); err != nil {
			t.Fatal(err)
		}
		if err := em.Flush(e.ctx); err != nil {
			t.Fatalf("k=%d: retry: %v", k, err)
		}
		if p.ID == 0 || p.Versions[1].PackageID != p.ID {
			t.Fatalf("k=%d: retry did not assign keys", k)
		}
		if got := e.scalar(t, "SELECT count(*) FROM packages WHERE name = 'fresh'") +
			e.scalar(t, "SELECT count(*) FROM packages WHERE name = 'tiny' AND weekly_downloads = 99") +
			e.scalar(t, "SELECT count(*) FROM versions WHERE number = '4.17.21'"); got != 2 {
			t.Fatalf("k=%d: retry result wrong (%d)", k, got)
		}
		// Undo for the next round.
		if _, err := e.pool.Exec(e.ctx, `DELETE FROM versions; DELETE FROM packages; ALTER SEQUENCE packages_id_seq RESTART; ALTER SEQUENCE versions_id_seq RESTART`); err != nil {
			t.Fatal(err)
		}
		seedPackages(t, e)
		before = dbState(t, e)
	}
	if !succeeded {
		t.Fatal("flush never succeeded")
	}
	if sawCopy != wantCopy {
		t.Errorf("COPY used: %v, want %v", sawCopy, wantCopy)
	}
}

type Account struct {
	ID      uint
	Owner   string
	Balance int
	Version int `uow:"version"`
}

const accountSchema = `CREATE TABLE accounts (id bigserial PRIMARY KEY, owner text NOT NULL, balance int NOT NULL, version int NOT NULL);
INSERT INTO accounts (owner, balance, version) VALUES ('ann', 100, 1), ('bob', 50, 1);`

func TestOptimisticLockingStaleVersion(t *testing.T) {
	e := setup(t, accountSchema, &Account{})
	em1, em2 := e.orm.Fork(), e.orm.Fork()
	a1, err := uow.Get[Account](e.ctx, em1, 1)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := uow.Get[Account](e.ctx, em2, 1)
	if err != nil {
		t.Fatal(err)
	}
	a1.Balance += 10
	a2.Balance += 20
	if err := em1.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if a1.Version != 2 {
		t.Errorf("version after update = %d, want 2", a1.Version)
	}
	err = em2.Flush(e.ctx)
	if !errors.Is(err, uow.ErrStaleVersion) {
		t.Fatalf("second flush: %v, want ErrStaleVersion", err)
	}
	var se *uow.StaleVersionError
	if !errors.As(err, &se) || se.Entity != "Account" || fmt.Sprint(se.Key) != "1" || !strings.Contains(err.Error(), "Account") {
		t.Errorf("error does not name entity and key: %v", err)
	}
	if a2.Version != 1 {
		t.Errorf("failed flush changed the version to %d", a2.Version)
	}
	if got := e.scalar(t, "SELECT balance FROM accounts WHERE id = 1"); got != 110 {
		t.Errorf("balance = %d, want 110 (no lost update)", got)
	}
	// Refresh and retry wins.
	if err := em2.Refresh(e.ctx, a2); err != nil {
		t.Fatal(err)
	}
	a2.Balance += 20
	if err := em2.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.scalar(t, "SELECT balance FROM accounts WHERE id = 1"); got != 130 {
		t.Errorf("balance = %d, want 130", got)
	}
	// A stale delete fails too; a batch of several stale-checked rows too.
	em3 := e.orm.Fork()
	accs, err := uow.Find[Account](e.ctx, em3)
	if err != nil || len(accs) != 2 {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(e.ctx, "UPDATE accounts SET version = version + 1 WHERE id = 2"); err != nil {
		t.Fatal(err)
	}
	for _, a := range accs {
		a.Balance++
	}
	if err := em3.Flush(e.ctx); !errors.Is(err, uow.ErrStaleVersion) {
		t.Errorf("batched stale update: %v", err)
	}
	if err := em3.Remove(accs[1]); err != nil {
		t.Fatal(err)
	}
	if err := em3.Flush(e.ctx); !errors.Is(err, uow.ErrStaleVersion) {
		t.Errorf("stale delete: %v", err)
	}
	if got := e.scalar(t, "SELECT count(*) FROM accounts"); got != 2 {
		t.Errorf("stale delete deleted a row")
	}
}

func TestConcurrentIncrementsLoseNoUpdate(t *testing.T) {
	e := setup(t, accountSchema, &Account{})
	const workers, each = 4, 5
	var wg sync.WaitGroup
	var stale sync.Map
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				for attempt := 0; ; attempt++ {
					if attempt > 200 {
						errs <- errors.New("too many retries")
						return
					}
					em := e.orm.Fork()
					a, err := uow.Get[Account](e.ctx, em, 1)
					if err != nil {
						errs <- err
						return
					}
					a.Balance++
					err = em.Flush(e.ctx)
					if errors.Is(err, uow.ErrStaleVersion) {
						stale.Store(w, true)
						continue
					}
					if err != nil {
						errs <- err
						return
					}
					break
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := e.scalar(t, "SELECT balance FROM accounts WHERE id = 1"); got != 100+workers*each {
		t.Errorf("balance = %d, want %d", got, 100+workers*each)
	}
	if got := e.scalar(t, "SELECT version FROM accounts WHERE id = 1"); got != 1+workers*each {
		t.Errorf("version = %d, want %d", got, 1+workers*each)
	}
}

func TestTransactionalNestedSavepoints(t *testing.T) {
	e := setup(t, pkgSchema, &Package{}, &Version{})
	em := e.orm.Fork()
	outer := &Package{Name: "outer"}
	inner := &Package{Name: "inner"}
	innerErr := errors.New("inner failed")
	err := em.Transactional(e.ctx, func(ctx context.Context) error {
		if uow.FromContext(ctx) != em {
			t.Error("context does not carry the EntityManager")
		}
		if err := em.Persist(outer); err != nil {
			return err
		}
		if err := em.Flush(ctx); err != nil {
			return err
		}
		err := em.Transactional(ctx, func(ctx context.Context) error {
			if err := em.Persist(inner); err != nil {
				return err
			}
			if err := em.Flush(ctx); err != nil {
				return err
			}
			if inner.ID == 0 {
				t.Error("inner flush assigned no key")
			}
			return innerErr
		})
		if !errors.Is(err, innerErr) {
			t.Errorf("inner Transactional returned %v", err)
		}
		// The inner Transactional is undone in memory too: the entity
		// persisted inside it is not managed and has no key.
		if inner.ID != 0 || em.IsManaged(inner) {
			t.Errorf("inner entity after rollback: id %d managed %v", inner.ID, em.IsManaged(inner))
		}
		if !em.IsManaged(outer) || outer.ID == 0 {
			t.Errorf("outer entity after the inner rollback: id %d managed %v", outer.ID, em.IsManaged(outer))
		}
		outer.WeeklyDownloads = 5 // flushed by the outer Transactional at commit
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.scalar(t, "SELECT count(*) FROM packages WHERE name = 'outer' AND weekly_downloads = 5"); got != 1 {
		t.Error("outer package not committed with its last change")
	}
	if got := e.scalar(t, "SELECT count(*) FROM packages WHERE name = 'inner'"); got != 0 {
		t.Error("inner package committed despite rollback")
	}
	// A failing outer Transactional leaves nothing and restores the entity.
	p := &Package{Name: "doomed"}
	err = em.Transactional(e.ctx, func(ctx context.Context) error {
		if err := em.Persist(p); err != nil {
			return err
		}
		if err := em.Flush(ctx); err != nil {
			return err
		}
		panic("boom")
	})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("panic not turned into an error: %v", err)
	}
	if p.ID != 0 || e.scalar(t, "SELECT count(*) FROM packages WHERE name = 'doomed'") != 0 {
		t.Errorf("rolled back entity: id %d", p.ID)
	}
}

func TestForkOnExistingTransactionUsesSavepoint(t *testing.T) {
	e := setup(t, pkgSchema, &Package{}, &Version{})
	seedPackages(t, e)
	tx, err := e.pool.Begin(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(e.ctx) }()
	em := e.orm.ForkOn(tx)
	p := &Package{Name: "in-tx", Versions: []Version{{Number: "1"}}}
	if err := em.Persist(p); err != nil {
		t.Fatal(err)
	}
	e.counter.Reset()
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(e.counter.SQL(), "\n")
	if !strings.Contains(joined, "SAVEPOINT uow_flush") || strings.Contains(joined, "BEGIN") || strings.Contains(joined, "COMMIT") {
		t.Errorf("flush in a transaction did not use a savepoint:\n%s", joined)
	}
	// A failing flush rolls back to the savepoint; the transaction lives on.
	dup := &Package{Name: "in-tx"}
	if err := em.Persist(dup); err != nil {
		t.Fatal(err)
	}
	if err := em.Flush(e.ctx); err == nil {
		t.Fatal("duplicate name flushed")
	} else {
		t.Logf("duplicate: %v", err)
	}
	em.Detach(dup)
	var n int64
	if err := tx.QueryRow(e.ctx, "SELECT count(*) FROM packages WHERE name = 'in-tx'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("transaction unusable after a failed flush: %d %v", n, err)
	}
	if err := tx.Rollback(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.scalar(t, "SELECT count(*) FROM packages WHERE name = 'in-tx'"); got != 0 {
		t.Error("rolled-back transaction left rows")
	}
	// OpenOn a connection works the same.
	conn, err := e.pool.Acquire(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	orm2, err := uow.OpenOn(conn.Conn(), &Package{}, &Version{})
	if err != nil {
		t.Fatal(err)
	}
	em2 := orm2.Fork()
	if err := em2.Persist(&Package{Name: "on-conn", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := em2.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.scalar(t, "SELECT count(*) FROM packages WHERE name = 'on-conn'"); got != 1 {
		t.Error("flush on a *pgx.Conn not committed")
	}
}
