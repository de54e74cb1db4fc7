package uow_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ormshift/ormshift/uow"
)

func copyStatements(sqls []string) (copies, allocs int) {
	for _, s := range sqls {
		if strings.HasPrefix(s, "COPY ") {
			copies++
		}
		if strings.Contains(s, "nextval(") {
			allocs++
		}
	}
	return copies, allocs
}

// A large graph insert goes through COPY with keys pre-allocated from the
// sequences: every key and foreign key is right, in a constant number of
// round trips, and the entities are managed afterwards.
func TestLargeInsertUsesCopy(t *testing.T) {
	defer uow.SetCopyThreshold(10)()
	e := setup(t, pkgSchema, &Package{}, &Version{})
	seedPackages(t, e)
	em := e.orm.Fork()
	var ps []*Package
	for i := 0; i < 25; i++ {
		p := &Package{Name: fmt.Sprintf("bulk-%02d", i), Description: strp("d"), WeeklyDownloads: i}
		for j := 0; j < 3; j++ {
			p.Versions = append(p.Versions, Version{Number: fmt.Sprintf("%d.%d", i, j), PublishedAt: time.Now()})
		}
		ps = append(ps, p)
		if err := em.Persist(p); err != nil {
			t.Fatal(err)
		}
	}
	// A small group of another kind in the same flush stays an INSERT.
	tiny, err := uow.FindOneOrFail[Package](e.ctx, em, uow.Eq("name", "tiny"))
	if err != nil {
		t.Fatal(err)
	}
	tiny.Versions = []Version{{Number: "9.9"}}
	e.counter.Reset()
	if err := em.Flush(e.ctx); err != nil {
		t.Fatalf("flush: %v\n%q", err, e.counter.SQL())
	}
	sqls := e.counter.SQL()
	if c, a := copyStatements(sqls); c != 2 || a != 2 {
		t.Errorf("COPY statements %d, key allocations %d, want 2 and 2:\n%s", c, a, strings.Join(sqls, "\n"))
	}
	// catalog (first flush of the ORM), BEGIN + key allocations, COPY,
	// COPY, the small INSERT + COMMIT.
	if rt := e.counter.Stats().RoundTrips; rt > 5 || em.LastFlushStats().RoundTrips != int(rt) {
		t.Errorf("round trips: tracer %d, flush stats %d (want <= 5): %q", rt, em.LastFlushStats().RoundTrips, sqls)
	}
	if st := em.LastFlushStats(); st.Inserted != 25+75+1 {
		t.Errorf("stats = %+v", st)
	}
	seen := map[uint]bool{}
	for _, p := range ps {
		if p.ID == 0 || seen[p.ID] || p.CreatedAt.IsZero() {
			t.Fatalf("package %s: id %d created %v", p.Name, p.ID, p.CreatedAt)
		}
		seen[p.ID] = true
		if got := e.scalar(t, "SELECT id FROM packages WHERE name = $1 AND weekly_downloads = $2", p.Name, p.WeeklyDownloads); got != int64(p.ID) {
			t.Fatalf("package %s: entity id %d, row id %d", p.Name, p.ID, got)
		}
		for _, v := range p.Versions {
			if v.ID == 0 || v.PackageID != p.ID {
				t.Fatalf("version %+v of package %d", v, p.ID)
			}
			if got := e.scalar(t, "SELECT count(*) FROM versions WHERE id = $1 AND number = $2 AND package_id = $3", v.ID, v.Number, p.ID); got != 1 {
				t.Fatalf("version %+v not in the database", v)
			}
		}
	}
	if tiny.Versions[0].ID == 0 || e.scalar(t, "SELECT count(*) FROM versions WHERE package_id = $1", tiny.ID) != 1 {
		t.Error("small insert in the same flush")
	}
	// Managed: identity map and snapshots.
	if got, err := uow.Get[Package](e.ctx, em, ps[3].ID); err != nil || got != ps[3] {
		t.Errorf("identity map: %p vs %p (%v)", got, ps[3], err)
	}
	e.counter.Reset()
	if err := em.Flush(e.ctx); err != nil || e.counter.Stats().Statements != 0 {
		t.Errorf("second flush: %v %q", err, e.counter.SQL())
	}
	// The sequences stay ahead of the keys: a plain insert still works.
	if _, err := e.pool.Exec(e.ctx, "INSERT INTO packages (name) VALUES ('after')"); err != nil {
		t.Fatal(err)
	}
}

// The default threshold: 1000 new rows of one type go through COPY.
func TestCopyAtDefaultThreshold(t *testing.T) {
	e := setup(t, pkgSchema, &Package{}, &Version{})
	em := e.orm.Fork()
	ps := make([]*Package, 1000)
	for i := range ps {
		ps[i] = &Package{Name: fmt.Sprintf("p%04d", i)}
	}
	for _, p := range ps {
		if err := em.Persist(p); err != nil {
			t.Fatal(err)
		}
	}
	e.counter.Reset()
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if c, a := copyStatements(e.counter.SQL()); c != 1 || a != 1 {
		t.Errorf("COPY %d, allocations %d", c, a)
	}
	if got := e.scalar(t, "SELECT count(*) FROM packages p WHERE p.id = ANY($1) AND p.name LIKE 'p%'", ids(ps)); got != 1000 {
		t.Errorf("rows with the entities' keys: %d", got)
	}
	if ps[999].ID == 0 || ps[0].ID == ps[999].ID {
		t.Error("keys not assigned")
	}
}

func ids(ps []*Package) []int64 {
	out := make([]int64, len(ps))
	for i, p := range ps {
		out[i] = int64(p.ID)
	}
	return out
}

// A COPY that fails (a duplicate in the group) rolls back everything and
// assigns nothing, not even the pre-allocated keys.
func TestCopyFailureAssignsNothing(t *testing.T) {
	defer uow.SetCopyThreshold(5)()
	e := setup(t, pkgSchema, &Package{}, &Version{})
	seedPackages(t, e)
	before := dbState(t, e)
	em := e.orm.Fork()
	var ps []*Package
	for i := 0; i < 8; i++ {
		p := &Package{Name: fmt.Sprintf("c%d", i), Versions: []Version{{Number: "1"}}}
		ps = append(ps, p)
	}
	ps[6].Name = "c2" // unique violation inside the COPY
	for _, p := range ps {
		if err := em.Persist(p); err != nil {
			t.Fatal(err)
		}
	}
	err := em.Flush(e.ctx)
	if err == nil || !strings.Contains(err.Error(), "COPY") || !strings.Contains(err.Error(), "Package") {
		t.Fatalf("err = %v, want a COPY error naming Package", err)
	}
	if got := dbState(t, e); got != before {
		t.Fatalf("database changed:\n%s", got)
	}
	for _, p := range ps {
		if p.ID != 0 || !p.CreatedAt.IsZero() || p.Versions[0].ID != 0 || p.Versions[0].PackageID != 0 {
			t.Fatalf("assigned after a failed COPY: %+v", p)
		}
	}
	ps[6].Name = "c6"
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if e.scalar(t, "SELECT count(*) FROM packages WHERE name LIKE 'c%'") != 8 || e.scalar(t, "SELECT count(*) FROM versions") != 3+8 {
		t.Error("retry did not insert everything")
	}
}

// Every column type goes through COPY as through INSERT.
func TestCopyColumnTypes(t *testing.T) {
	defer uow.SetCopyThreshold(2)()
	e := setup(t, gadgetSchema, &Gadget2{})
	em := e.orm.Fork()
	now := time.Now().Truncate(time.Microsecond)
	var gs []*Gadget2
	for i := 0; i < 4; i++ {
		g := &Gadget2{Price: float64(i) + 0.25, Active: i%2 == 0, Data: []byte{byte(i), 0}, Attrs: map[string]any{"i": float64(i)},
			Meta: GadgetMeta{Origin: "lab", Parts: []int{i}}, Tags: []string{"t", fmt.Sprint(i)}, Scores: []int64{int64(i)}, Color: Color2{uint8(i), 2, 3}}
		if i == 1 {
			g.SeenAt = &now
			g.Label.String, g.Label.Valid = "one", true
		}
		gs = append(gs, g)
		if err := em.Persist(g); err != nil {
			t.Fatal(err)
		}
	}
	e.counter.Reset()
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if c, _ := copyStatements(e.counter.SQL()); c != 1 {
		t.Fatalf("no COPY: %q", e.counter.SQL())
	}
	em2 := e.orm.Fork()
	got, err := uow.Find[Gadget2](e.ctx, em2, uow.OrderBy("id", uow.Asc))
	if err != nil || len(got) != 4 {
		t.Fatal(len(got), err)
	}
	for i, g := range got {
		w := gs[i]
		if g.ID != w.ID || g.Label != w.Label || g.Price != w.Price || g.Active != w.Active || string(g.Data) != string(w.Data) ||
			!reflect.DeepEqual(g.Attrs, w.Attrs) || !reflect.DeepEqual(g.Meta, w.Meta) || !reflect.DeepEqual(g.Tags, w.Tags) ||
			!reflect.DeepEqual(g.Scores, w.Scores) || g.Color != w.Color || (g.SeenAt == nil) != (w.SeenAt == nil) ||
			(g.SeenAt != nil && !g.SeenAt.Equal(*w.SeenAt)) || g.CreatedAt != w.CreatedAt || g.Rev != 1 {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

type Ticket struct {
	ID    int64
	Title string
}

// GENERATED ALWAYS identity keys cannot be given explicitly: no COPY, the
// multi-row INSERT ... RETURNING is used and works.
func TestNoCopyForGeneratedAlwaysKeys(t *testing.T) {
	defer uow.SetCopyThreshold(2)()
	e := setup(t, `CREATE TABLE tickets (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, title text NOT NULL)`, &Ticket{})
	em := e.orm.Fork()
	ts := []*Ticket{{Title: "a"}, {Title: "b"}, {Title: "c"}}
	for _, x := range ts {
		if err := em.Persist(x); err != nil {
			t.Fatal(err)
		}
	}
	e.counter.Reset()
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if c, a := copyStatements(e.counter.SQL()); c != 0 || a != 0 {
		t.Errorf("COPY used for GENERATED ALWAYS: %q", e.counter.SQL())
	}
	if ts[2].ID == 0 || e.scalar(t, "SELECT id FROM tickets WHERE title = 'c'") != ts[2].ID {
		t.Errorf("keys: %+v", ts)
	}
}

type Level int16

type Code string

type Sample struct {
	ID      uint64
	I8      int8
	I16     int16
	I32     int32
	U       uint
	U8      uint8
	U16     uint16
	U32     uint32
	F32     float32
	F64     float64
	Amount  float64 // numeric: bound as is
	Name    string
	Note    *string
	Kind    Code
	Level   Level
	At      time.Time
	Naive   time.Time
	Day     time.Time
	Maybe   *time.Time
	Counted int
}

// The allocation-free value sources of COPY cover every plain kind, named
// types, pointers (NULL and not), and timestamp/timestamptz/date columns.
func TestCopyPlainKinds(t *testing.T) {
	defer uow.SetCopyThreshold(2)()
	e := setup(t, `CREATE TABLE samples (id bigserial PRIMARY KEY, i8 smallint, i16 smallint, i32 integer, u bigint, u8 smallint,
	u16 integer, u32 bigint, f32 real, f64 double precision, amount numeric(12,3), name varchar(40), note text, kind character varying,
	level smallint, at timestamptz, naive timestamp, day date, maybe timestamp with time zone, counted integer)`, &Sample{})
	em := e.orm.Fork()
	at := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.FixedZone("X", 3*3600))
	var in []*Sample
	for i := 0; i < 3; i++ {
		s := &Sample{I8: -8, I16: -16, I32: -32, U: 1 << 40, U8: 255, U16: 65535, U32: 1 << 31, F32: 1.5, F64: -2.25, Amount: 10.125,
			Name: fmt.Sprintf("n%d", i), Kind: "k", Level: Level(i), At: at, Naive: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
			Day: time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), Counted: -i}
		if i == 1 {
			s.Note = strp("note")
			s.Maybe = &at
		}
		in = append(in, s)
		if err := em.Persist(s); err != nil {
			t.Fatal(err)
		}
	}
	e.counter.Reset()
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if c, _ := copyStatements(e.counter.SQL()); c != 1 {
		t.Fatalf("no COPY: %q", e.counter.SQL())
	}
	got, err := uow.Find[Sample](e.ctx, e.orm.Fork(), uow.OrderBy("id", uow.Asc))
	if err != nil || len(got) != 3 {
		t.Fatal(len(got), err)
	}
	for i, g := range got {
		w := in[i]
		same := g.ID == w.ID && g.I8 == w.I8 && g.I16 == w.I16 && g.I32 == w.I32 && g.U == w.U && g.U8 == w.U8 && g.U16 == w.U16 &&
			g.U32 == w.U32 && g.F32 == w.F32 && g.F64 == w.F64 && g.Amount == w.Amount && g.Name == w.Name && g.Kind == w.Kind &&
			g.Level == w.Level && g.At.Equal(w.At) && g.Naive.Equal(w.Naive) && g.Day.Equal(w.Day) && g.Counted == w.Counted &&
			(g.Note == nil) == (w.Note == nil) && (g.Maybe == nil) == (w.Maybe == nil)
		if same && w.Note != nil {
			same = *g.Note == *w.Note && g.Maybe.Equal(*w.Maybe)
		}
		if !same {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
	// A uint64 beyond bigint is an error naming the insert, not a wrap-around.
	bad := []*Sample{{U: 1 << 63, Name: "big"}, {Name: "ok"}}
	em2 := e.orm.Fork()
	for _, s := range bad {
		if err := em2.Persist(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := em2.Flush(e.ctx); err == nil || !strings.Contains(err.Error(), "Sample") {
		t.Errorf("overflow: %v", err)
	}
	if bad[1].ID != 0 || e.scalar(t, "SELECT count(*) FROM samples") != 3 {
		t.Error("a failed COPY wrote or assigned something")
	}
}

// Inside the caller's transaction (ForkOn), a failed COPY rolls back to the
// flush's savepoint and the transaction stays usable; a good one commits
// with it.
func TestCopyInCallersTransaction(t *testing.T) {
	defer uow.SetCopyThreshold(3)()
	e := setup(t, pkgSchema, &Package{}, &Version{})
	tx, err := e.pool.Begin(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(e.ctx) }()
	em := e.orm.ForkOn(tx)
	bad := []*Package{{Name: "a"}, {Name: "b"}, {Name: "a"}}
	for _, p := range bad {
		if err := em.Persist(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := em.Flush(e.ctx); err == nil || !strings.Contains(err.Error(), "COPY") {
		t.Fatalf("err = %v, want a COPY failure", err)
	}
	var n int64
	if err := tx.QueryRow(e.ctx, "SELECT count(*) FROM packages").Scan(&n); err != nil || n != 0 {
		t.Fatalf("transaction after a failed COPY: %d %v", n, err)
	}
	bad[2].Name = "c"
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(e.ctx); err != nil {
		t.Fatal(err)
	}
	if e.scalar(t, "SELECT count(*) FROM packages") != 3 || bad[2].ID == 0 {
		t.Error("COPY in the caller's transaction not committed")
	}
}
