package uow_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ormshift/ormshift/uow"
)

// Loaded entities are found by address through the chunk they were
// allocated in (several chunks here), not a map: Detach, Remove, Refresh,
// Persist again and a rolled-back Transactional must work on them as on
// any other entity.
func TestIdentityMapOfLoadedChunks(t *testing.T) {
	e := setup(t, pkgSchema, &Package{}, &Version{})
	if _, err := e.pool.Exec(e.ctx, `INSERT INTO packages (name, weekly_downloads, created_at, updated_at)
		SELECT 'p' || g, g, now(), now() FROM generate_series(1, 300) g`); err != nil {
		t.Fatal(err)
	}
	em := e.orm.Fork()
	ps, err := uow.Find[Package](e.ctx, em, uow.OrderBy("id", uow.Asc))
	if err != nil || len(ps) != 300 {
		t.Fatalf("Find: %d %v", len(ps), err)
	}
	for _, i := range []int{0, 127, 128, 150, 299} {
		got, err := uow.Get[Package](e.ctx, em, ps[i].ID)
		if err != nil || got != ps[i] || !em.IsManaged(ps[i]) {
			t.Fatalf("Get %d: %p %v, want %p", ps[i].ID, got, err, ps[i])
		}
	}
	ps[5].WeeklyDownloads = -5
	ps[200].WeeklyDownloads = -200
	em.Detach(ps[150])
	ps[150].WeeklyDownloads = -150 // detached: not flushed
	if em.IsManaged(ps[150]) {
		t.Error("detached entity is managed")
	}
	boom := errors.New("boom")
	err = em.Transactional(e.ctx, func(ctx context.Context) error {
		em.Detach(ps[5])
		if err := em.Remove(ps[250]); err != nil {
			return err
		}
		if em.IsManaged(ps[5]) || em.IsManaged(ps[250]) {
			t.Error("detached/removed inside Transactional still managed")
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Transactional: %v", err)
	}
	if !em.IsManaged(ps[5]) || !em.IsManaged(ps[250]) || em.IsManaged(ps[150]) {
		t.Errorf("after rollback: managed %v %v %v, want true true false", em.IsManaged(ps[5]), em.IsManaged(ps[250]), em.IsManaged(ps[150]))
	}
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if st := em.LastFlushStats(); st.Updated != 2 || st.Deleted != 0 || st.Inserted != 0 {
		t.Errorf("flush: %+v, want 2 updates", st)
	}
	if n := e.scalar(t, "SELECT count(*) FROM packages WHERE weekly_downloads < 0"); n != 2 {
		t.Errorf("%d rows updated in the database, want 2", n)
	}
	// A detached loaded entity managed again (its chunk slot was used
	// once already) is found by address and by key.
	if err := em.Refresh(e.ctx, ps[150]); err != nil {
		t.Fatal(err)
	}
	if !em.IsManaged(ps[150]) || ps[150].WeeklyDownloads != 151 {
		t.Errorf("Refresh: managed %v, %+v", em.IsManaged(ps[150]), ps[150])
	}
	again, err := uow.Find[Package](e.ctx, em, uow.OrderBy("id", uow.Asc))
	if err != nil || len(again) != 300 {
		t.Fatalf("Find again: %d %v", len(again), err)
	}
	for i := range again {
		if again[i] != ps[i] {
			t.Fatalf("reload gave another pointer at %d", i)
		}
	}
	if err := em.Remove(ps[150]); err != nil {
		t.Fatal(err)
	}
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if st := em.LastFlushStats(); st.Deleted != 1 || st.Updated != 0 {
		t.Errorf("flush of the removal: %+v", st)
	}
	if em.IsManaged(ps[150]) || e.scalar(t, "SELECT count(*) FROM packages") != 299 {
		t.Error("removed entity still managed or still in the database")
	}
}
