package uow_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ormshift/ormshift/internal/pgtest"
	"github.com/ormshift/ormshift/uow"
)

// setupWith is setup with a hook on the pool configuration.
func setupWith(t *testing.T, schema string, configure func(*pgxpool.Config), entities ...any) *env {
	t.Helper()
	ctx := context.Background()
	db := pgtest.New(t)
	if _, err := db.Pool.Exec(ctx, schema); err != nil {
		t.Fatalf("schema: %v", err)
	}
	cfg, err := pgxpool.ParseConfig(db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	counter := uow.NewStatementCounter()
	cfg.ConnConfig.Tracer = counter
	configure(cfg)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	orm, err := uow.Open(pool, entities...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return &env{ctx: ctx, pool: pool, counter: counter, orm: orm}
}

// A flush whose context is cancelled while the database works on it rolls
// back, leaves the entities as they were, and leaves the pool usable.
func TestFlushContextCancelledMidFlush(t *testing.T) {
	e := setup(t, pkgSchema+`
CREATE TABLE slow (on_ bool);
INSERT INTO slow VALUES (true);
CREATE FUNCTION slow_down() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF (SELECT on_ FROM slow) THEN PERFORM pg_sleep(5); END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER v_slow AFTER INSERT ON versions FOR EACH STATEMENT EXECUTE FUNCTION slow_down();`,
		&Package{}, &Version{})
	seedPackages(t, e)
	before := dbState(t, e)
	em := e.orm.Fork()
	tiny, err := uow.FindOneOrFail[Package](e.ctx, em, uow.Eq("name", "tiny"))
	if err != nil {
		t.Fatal(err)
	}
	oldUpdated := tiny.UpdatedAt
	tiny.WeeklyDownloads = 7
	p := &Package{Name: "fresh", Versions: []Version{{Number: "1"}, {Number: "2"}}}
	if err := em.Persist(p); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(e.ctx, 300*time.Millisecond)
	defer cancel()
	err = em.Flush(ctx)
	if err == nil {
		t.Fatal("flush succeeded despite a cancelled context")
	}
	if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "cancel") {
		t.Errorf("err = %v, want a cancellation", err)
	}
	if got := dbState(t, e); got != before {
		t.Fatalf("database changed by a cancelled flush:\n%s\nvs\n%s", got, before)
	}
	if p.ID != 0 || !p.CreatedAt.IsZero() || p.Versions[0].ID != 0 || p.Versions[0].PackageID != 0 {
		t.Fatalf("new entities half-assigned: %+v", p)
	}
	if !tiny.UpdatedAt.Equal(oldUpdated) {
		t.Fatalf("UpdatedAt assigned by a failed flush")
	}
	// The pool is usable and the same unit of work succeeds afterwards.
	if _, err := e.pool.Exec(e.ctx, "UPDATE slow SET on_ = false"); err != nil {
		t.Fatal(err)
	}
	if err := em.Flush(e.ctx); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if p.ID == 0 || p.Versions[1].PackageID != p.ID || e.scalar(t, "SELECT weekly_downloads FROM packages WHERE name = 'tiny'") != 7 {
		t.Fatalf("retry did not write: %+v", p)
	}
	if e.scalar(t, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'") != 0 {
		t.Error("a connection was left idle in a transaction")
	}
}

// With every connection of the pool taken, Flush fails when its context
// ends, without side effects, and succeeds once a connection is free.
func TestFlushWithExhaustedPool(t *testing.T) {
	e := setupWith(t, pkgSchema, func(c *pgxpool.Config) { c.MaxConns = 1 }, &Package{}, &Version{})
	em := e.orm.Fork()
	p := &Package{Name: "waiting", Versions: []Version{{Number: "1"}}}
	if err := em.Persist(p); err != nil {
		t.Fatal(err)
	}
	held, err := e.pool.Acquire(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(e.ctx, 200*time.Millisecond)
	defer cancel()
	err = em.Flush(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
	if p.ID != 0 || !p.CreatedAt.IsZero() || !em.IsManaged(p) {
		t.Fatalf("entity after a failed flush: %+v managed=%v", p, em.IsManaged(p))
	}
	// The cascaded version is still discovered at the next flush.
	held.Release()
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if p.ID == 0 || p.Versions[0].PackageID != p.ID || e.scalar(t, "SELECT count(*) FROM versions") != 1 {
		t.Fatalf("flush after release: %+v", p)
	}
}

func TestRemoveThenPersist(t *testing.T) {
	e := setup(t, pkgSchema, &Package{}, &Version{})
	seedPackages(t, e)
	em := e.orm.Fork()
	tiny, err := uow.FindOneOrFail[Package](e.ctx, em, uow.Eq("name", "tiny"))
	if err != nil {
		t.Fatal(err)
	}
	// Remove then Persist before a flush: the removal is cancelled.
	if err := em.Remove(tiny); err != nil {
		t.Fatal(err)
	}
	if em.IsManaged(tiny) {
		t.Error("removed entity still reported managed")
	}
	if err := em.Persist(tiny); err != nil {
		t.Fatal(err)
	}
	e.counter.Reset()
	if err := em.Flush(e.ctx); err != nil || e.counter.Stats().Statements != 0 {
		t.Fatalf("Remove+Persist flushed something: %v %q", err, e.counter.SQL())
	}
	if !em.IsManaged(tiny) || e.scalar(t, "SELECT count(*) FROM packages WHERE name = 'tiny'") != 1 {
		t.Fatal("entity lost")
	}
	// Remove, Persist with a change: one UPDATE, no DELETE.
	if err := em.Remove(tiny); err != nil {
		t.Fatal(err)
	}
	tiny.WeeklyDownloads = 3
	if err := em.Persist(tiny); err != nil {
		t.Fatal(err)
	}
	e.counter.Reset()
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if st := em.LastFlushStats(); st.Updated != 1 || st.Deleted != 0 || st.Inserted != 0 {
		t.Errorf("stats = %+v, %q", st, e.counter.SQL())
	}
	// Remove, flush (deleted), then Persist again: inserted again with its key.
	id := tiny.ID
	if err := em.Remove(tiny); err != nil {
		t.Fatal(err)
	}
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if e.scalar(t, "SELECT count(*) FROM packages WHERE name = 'tiny'") != 0 {
		t.Fatal("not deleted")
	}
	if err := em.Persist(tiny); err != nil {
		t.Fatal(err)
	}
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if tiny.ID != id || e.scalar(t, "SELECT count(*) FROM packages WHERE id = $1 AND weekly_downloads = 3", id) != 1 {
		t.Errorf("re-persisted entity: id %d (was %d)", tiny.ID, id)
	}
	got, err := uow.Get[Package](e.ctx, em, id)
	if err != nil || got != tiny {
		t.Errorf("identity map after re-persist: %p vs %p, %v", got, tiny, err)
	}
	// A new entity persisted, removed, persisted: one insert.
	n := &Package{Name: "again"}
	for _, step := range []func(...any) error{em.Persist, em.Remove, em.Persist} {
		if err := step(n); err != nil {
			t.Fatal(err)
		}
	}
	if err := em.Flush(e.ctx); err != nil || em.LastFlushStats().Inserted != 1 || n.ID == 0 {
		t.Fatalf("persist/remove/persist: %v %+v", err, em.LastFlushStats())
	}
}

func TestIdentityMapAfterRefreshAndClear(t *testing.T) {
	e := setup(t, pkgSchema, &Package{}, &Version{})
	seedPackages(t, e)
	em := e.orm.Fork()
	lp, err := uow.FindOneOrFail[Package](e.ctx, em, uow.Eq("name", "left-pad"))
	if err != nil {
		t.Fatal(err)
	}
	lp.WeeklyDownloads = 1
	if _, err := e.pool.Exec(e.ctx, "UPDATE packages SET description = 'new' WHERE id = $1", lp.ID); err != nil {
		t.Fatal(err)
	}
	if err := em.Refresh(e.ctx, lp); err != nil {
		t.Fatal(err)
	}
	if lp.WeeklyDownloads != 100 || lp.Description == nil || *lp.Description != "new" {
		t.Fatalf("refreshed: %+v", lp)
	}
	for _, find := range []func() (*Package, error){
		func() (*Package, error) { return uow.Get[Package](e.ctx, em, lp.ID) },
		func() (*Package, error) { return uow.FindOneOrFail[Package](e.ctx, em, uow.Eq("name", "left-pad")) },
	} {
		if got, err := find(); err != nil || got != lp {
			t.Errorf("after Refresh, the identity map returns %p, want %p (%v)", got, lp, err)
		}
	}
	// Refresh of a removed entity brings it back (its removal is discarded).
	if err := em.Remove(lp); err != nil {
		t.Fatal(err)
	}
	if err := em.Refresh(e.ctx, lp); err != nil {
		t.Fatal(err)
	}
	if !em.IsManaged(lp) {
		t.Error("refreshed entity not managed")
	}
	if err := em.Flush(e.ctx); err != nil || e.scalar(t, "SELECT count(*) FROM packages WHERE name = 'left-pad'") != 1 {
		t.Fatalf("removal survived Refresh: %v", err)
	}
	// Refresh of a new entity whose key the user set: managed under that key.
	probe := &Package{ID: 2}
	if err := em.Persist(probe); err != nil {
		t.Fatal(err)
	}
	if err := em.Refresh(e.ctx, probe); err != nil {
		t.Fatal(err)
	}
	if probe.Name != "lodash" {
		t.Fatalf("refreshed new entity: %+v", probe)
	}
	if got, err := uow.Get[Package](e.ctx, em, 2); err != nil || got != probe {
		t.Errorf("Get after Refresh of a new entity: %p vs %p (%v)", got, probe, err)
	}
	if got, err := uow.FindOneOrFail[Package](e.ctx, em, uow.Eq("name", "lodash")); err != nil || got != probe {
		t.Errorf("Find after Refresh of a new entity: %p vs %p (%v)", got, probe, err)
	}
	e.counter.Reset()
	if err := em.Flush(e.ctx); err != nil || e.counter.Stats().Statements != 0 {
		t.Errorf("refreshed new entity flushed: %v %q", err, e.counter.SQL())
	}
	// Clear: new pointers afterwards, old edits not flushed.
	lp.WeeklyDownloads = 12345
	em.Clear()
	if em.IsManaged(lp) {
		t.Error("managed after Clear")
	}
	again, err := uow.Get[Package](e.ctx, em, lp.ID)
	if err != nil || again == lp || again.WeeklyDownloads != 100 {
		t.Errorf("after Clear: %p (old %p) %+v %v", again, lp, again, err)
	}
	if err := em.Flush(e.ctx); err != nil || e.scalar(t, "SELECT count(*) FROM packages WHERE weekly_downloads = 12345") != 0 {
		t.Errorf("cleared edit flushed: %v", err)
	}
	// Detach then load again: a new pointer, and the detached one can be
	// merged back only explicitly.
	em.Detach(again)
	third, err := uow.Get[Package](e.ctx, em, lp.ID)
	if err != nil || third == again {
		t.Errorf("after Detach: %p vs %p (%v)", third, again, err)
	}
}

type Event struct {
	ID       uint
	Name     string
	At       time.Time
	Until    *time.Time
	Reminder sql.NullTime
	Local    time.Time // a "timestamp without time zone" column
}

// Snapshots compare instants, not representations: the same instant in
// another location, or as read back through a session in another time
// zone, is not a change.
func TestTimeZonesInSnapshots(t *testing.T) {
	schema := `CREATE TABLE events (id bigserial PRIMARY KEY, name text, at timestamptz, until timestamptz, reminder timestamptz, local timestamp)`
	e := setupWith(t, schema, func(c *pgxpool.Config) { c.ConnConfig.RuntimeParams["timezone"] = "Asia/Tokyo" }, &Event{})
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skipf("no time zone database: %v", err) // the Go toolchain ships one; never expected
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	at := time.Date(2024, 3, 31, 1, 30, 0, 0, paris) // the night the clocks change
	until := at.Add(time.Hour)
	local := time.Date(2024, 3, 31, 1, 30, 0, 0, time.UTC)
	em := e.orm.Fork()
	ev := &Event{Name: "launch", At: at, Until: &until, Reminder: sql.NullTime{Time: at, Valid: true}, Local: local}
	if err := em.Persist(ev); err != nil {
		t.Fatal(err)
	}
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	// The same instants in other locations: nothing to write.
	ev.At = at.In(tokyo)
	u2 := until.UTC()
	ev.Until = &u2
	ev.Reminder = sql.NullTime{Time: at.In(time.UTC), Valid: true}
	e.counter.Reset()
	if err := em.Flush(e.ctx); err != nil || e.counter.Stats().Statements != 0 {
		t.Errorf("same instants in other zones flushed: %v %q", err, e.counter.SQL())
	}
	// Read back in a new EntityManager (session time zone Asia/Tokyo).
	em2 := e.orm.Fork()
	got, err := uow.Get[Event](e.ctx, em2, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.At.Equal(at) || got.Until == nil || !got.Until.Equal(until) || !got.Reminder.Time.Equal(at) || !got.Local.Equal(local) {
		t.Fatalf("read back: %+v", got)
	}
	got.At = at.In(paris)
	got.Reminder = sql.NullTime{Time: at.In(paris), Valid: true}
	e.counter.Reset()
	if err := em2.Flush(e.ctx); err != nil || e.counter.Stats().Statements != 0 {
		t.Errorf("reloaded entity with re-zoned times flushed: %v %q", err, e.counter.SQL())
	}
	// A real change is written.
	got.At = at.Add(time.Minute)
	if err := em2.Flush(e.ctx); err != nil || em2.LastFlushStats().Updated != 1 {
		t.Fatalf("a changed instant was not written: %v %+v", err, em2.LastFlushStats())
	}
	var n int64
	if err := e.pool.QueryRow(e.ctx, "SELECT count(*) FROM events WHERE at = $1", at.Add(time.Minute)).Scan(&n); err != nil || n != 1 {
		t.Errorf("stored instant wrong: %d %v", n, err)
	}
}

// After a Transactional rolls back, the EntityManager is as before it
// began: entities persisted, loaded or cascaded inside are no longer
// managed; entities removed or detached inside are managed again; keys,
// versions and timestamps assigned by flushes inside are undone.
func TestTransactionalRollbackRestoresEntityManager(t *testing.T) {
	e := setup(t, pkgSchema, &Package{}, &Version{})
	seedPackages(t, e)
	em := e.orm.Fork()
	tiny, err := uow.FindOneOrFail[Package](e.ctx, em, uow.Eq("name", "tiny"))
	if err != nil {
		t.Fatal(err)
	}
	lodash, err := uow.FindOneOrFail[Version](e.ctx, em, uow.Eq("number", "4.17.21"))
	if err != nil {
		t.Fatal(err)
	}
	pending := &Package{Name: "pending"} // persisted before, flushed inside
	if err := em.Persist(pending); err != nil {
		t.Fatal(err)
	}
	tinyUpdated := tiny.UpdatedAt
	var inside, loaded *Package
	var child *Version
	boom := errors.New("boom")
	err = em.Transactional(e.ctx, func(ctx context.Context) error {
		inside = &Package{Name: "inside"}
		child = &Version{Number: "1"}
		inside.Versions = []Version{*child}
		if err := em.Persist(inside); err != nil {
			return err
		}
		tiny.WeeklyDownloads = 42
		if err := em.Remove(lodash); err != nil {
			return err
		}
		if err := em.Flush(ctx); err != nil {
			return err
		}
		if inside.ID == 0 || pending.ID == 0 || inside.Versions[0].ID == 0 {
			t.Error("flush inside assigned no keys")
		}
		var err error
		loaded, err = uow.FindOneOrFail[Package](ctx, em, uow.Eq("name", "left-pad"))
		if err != nil {
			return err
		}
		em.Detach(tiny)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if inside.ID != 0 || em.IsManaged(inside) {
		t.Errorf("entity persisted inside: id %d managed %v", inside.ID, em.IsManaged(inside))
	}
	if loaded == nil || em.IsManaged(loaded) {
		t.Error("entity loaded inside is still managed")
	}
	if pending.ID != 0 || !pending.CreatedAt.IsZero() || !em.IsManaged(pending) {
		t.Errorf("entity persisted before: id %d managed %v", pending.ID, em.IsManaged(pending))
	}
	if !em.IsManaged(lodash) || !em.IsManaged(tiny) {
		t.Errorf("removed/detached inside: version %v tiny %v", em.IsManaged(lodash), em.IsManaged(tiny))
	}
	if !tiny.UpdatedAt.Equal(tinyUpdated) || tiny.WeeklyDownloads != 42 {
		t.Errorf("tiny: %+v", tiny)
	}
	if got, err := uow.Get[Package](e.ctx, em, tiny.ID); err != nil || got != tiny {
		t.Errorf("identity map lost tiny: %p %v", got, err)
	}
	// The next flush writes exactly what was pending before Transactional:
	// the insert of pending and tiny's change (still dirty), nothing else.
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if st := em.LastFlushStats(); st.Inserted != 1 || st.Updated != 1 || st.Deleted != 0 {
		t.Errorf("flush after rollback: %+v", st)
	}
	if e.scalar(t, "SELECT count(*) FROM packages") != 4 || e.scalar(t, "SELECT count(*) FROM versions") != 3 || !em.IsManaged(lodash) ||
		e.scalar(t, "SELECT weekly_downloads FROM packages WHERE name = 'tiny'") != 42 {
		t.Error("database after rollback and flush")
	}
	// Clear inside a rolled-back Transactional is undone too.
	err = em.Transactional(e.ctx, func(ctx context.Context) error {
		em.Clear()
		return boom
	})
	if !errors.Is(err, boom) || !em.IsManaged(tiny) || !em.IsManaged(pending) {
		t.Errorf("Clear inside a rolled-back Transactional: %v %v %v", err, em.IsManaged(tiny), em.IsManaged(pending))
	}
}

// Changing the primary key of a managed entity would make its UPDATE hit
// another row: Flush refuses it and writes nothing.
func TestChangedPrimaryKeyIsRefused(t *testing.T) {
	e := setup(t, pkgSchema, &Package{}, &Version{})
	seedPackages(t, e)
	before := dbState(t, e)
	em := e.orm.Fork()
	tiny, err := uow.FindOneOrFail[Package](e.ctx, em, uow.Eq("name", "tiny"))
	if err != nil {
		t.Fatal(err)
	}
	oldID := tiny.ID
	tiny.ID = 1 // left-pad's key
	tiny.WeeklyDownloads = 77
	err = em.Flush(e.ctx)
	if err == nil || !strings.Contains(err.Error(), "primary key") || !strings.Contains(err.Error(), "Package") {
		t.Fatalf("err = %v, want a primary key change error naming Package", err)
	}
	if got := dbState(t, e); got != before {
		t.Fatalf("database changed:\n%s", got)
	}
	tiny.ID = oldID
	if err := em.Remove(tiny); err != nil {
		t.Fatal(err)
	}
	tiny.ID = 1
	if err := em.Flush(e.ctx); err == nil || !strings.Contains(err.Error(), "primary key") {
		t.Fatalf("delete with a changed key: %v", err)
	}
	if got := dbState(t, e); got != before {
		t.Fatalf("database changed:\n%s", got)
	}
	tiny.ID = oldID
	if err := em.Flush(e.ctx); err != nil || e.scalar(t, "SELECT count(*) FROM packages") != 2 || e.scalar(t, "SELECT count(*) FROM packages WHERE name = 'left-pad'") != 1 {
		t.Fatalf("flush with the key restored: %v", err)
	}
}

// A deferred constraint fails at COMMIT, the last statement of the flush's
// batch: nothing is written and nothing is assigned.
func TestCommitFailureAssignsNothing(t *testing.T) {
	e := setup(t, `
CREATE TABLE packages (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, description text,
	weekly_downloads bigint NOT NULL DEFAULT 0, created_at timestamptz, updated_at timestamptz);
CREATE TABLE versions (id bigserial PRIMARY KEY, number text NOT NULL, published_at timestamptz,
	package_id bigint NOT NULL REFERENCES packages(id) DEFERRABLE INITIALLY DEFERRED);`, &Package{}, &Version{})
	em := e.orm.Fork()
	v := &Version{Number: "1", PackageID: 999} // no such package: fails at COMMIT
	p := &Package{Name: "ok"}
	if err := em.Persist(p, v); err != nil {
		t.Fatal(err)
	}
	err := em.Flush(e.ctx)
	if err == nil || !strings.Contains(err.Error(), "COMMIT") {
		t.Fatalf("err = %v, want a COMMIT failure", err)
	}
	if p.ID != 0 || v.ID != 0 || !p.CreatedAt.IsZero() || e.scalar(t, "SELECT count(*) FROM packages") != 0 {
		t.Fatalf("after a failed COMMIT: %+v %+v", p, v)
	}
	em.Detach(v)
	if err := em.Flush(e.ctx); err != nil || p.ID == 0 {
		t.Fatalf("retry: %v", err)
	}
}
