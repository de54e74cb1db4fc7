package uow_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/ormshift/ormshift/uow"
)

type Article struct {
	ID    uint
	Title string
	Tags  []*Tag `gorm:"many2many:article_tags"`
}

type Tag struct {
	ID   uint
	Name string `gorm:"unique"`
}

const articleSchema = `
CREATE TABLE articles (id bigserial PRIMARY KEY, title text NOT NULL);
CREATE TABLE tags (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE);
CREATE TABLE article_tags (article_id bigint NOT NULL REFERENCES articles(id), tag_id bigint NOT NULL REFERENCES tags(id), PRIMARY KEY (article_id, tag_id));`

func TestManyToMany(t *testing.T) {
	e := setup(t, articleSchema, &Article{}, &Tag{})
	em := e.orm.Fork()
	a := &Article{Title: "uow", Tags: []*Tag{{Name: "go"}, {Name: "sql"}}}
	b := &Article{Title: "orm", Tags: []*Tag{a.Tags[0]}}
	if err := em.Persist(a, b); err != nil {
		t.Fatal(err)
	}
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.scalar(t, "SELECT count(*) FROM article_tags"); n != 3 {
		t.Fatalf("join rows = %d, want 3", n)
	}
	em2 := e.orm.Fork()
	e.counter.Reset()
	arts, err := uow.Find[Article](e.ctx, em2, uow.Populate("Tags"), uow.OrderBy("id", uow.Asc))
	if err != nil {
		t.Fatal(err)
	}
	if n := e.counter.Stats().Statements; n != 2 {
		t.Errorf("populate many-to-many: %d statements", n)
	}
	if len(arts) != 2 || len(arts[0].Tags) != 2 || len(arts[1].Tags) != 1 || arts[0].Tags[0] != arts[1].Tags[0] {
		t.Fatalf("populated: %+v", arts)
	}
	e.counter.Reset()
	if err := em2.Flush(e.ctx); err != nil || e.counter.Stats().Statements != 0 {
		t.Fatalf("unchanged collections flushed: %v %q", err, e.counter.SQL())
	}
	// Drop "sql" from the first article, add a new tag.
	arts[0].Tags = []*Tag{arts[0].Tags[0], {Name: "pgx"}}
	if err := em2.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.scalar(t, "SELECT count(*) FROM article_tags at JOIN tags t ON t.id = at.tag_id WHERE at.article_id = $1 AND t.name IN ('go', 'pgx')", arts[0].ID); n != 2 {
		t.Errorf("article 1 tags after change: %d", n)
	}
	if n := e.scalar(t, "SELECT count(*) FROM article_tags"); n != 3 {
		t.Errorf("join rows = %d, want 3", n)
	}
}

type Note struct {
	gorm.Model
	Body string
}

func TestSoftDeleteRefreshDetachUpsert(t *testing.T) {
	e := setup(t, `CREATE TABLE notes (id bigserial PRIMARY KEY, created_at timestamptz, updated_at timestamptz, deleted_at timestamptz, body text)`, &Note{})
	em := e.orm.Fork()
	n1, n2 := &Note{Body: "one"}, &Note{Body: "two"}
	if err := em.Persist(n1, n2); err != nil {
		t.Fatal(err)
	}
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if err := em.Remove(n1); err != nil {
		t.Fatal(err)
	}
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if !n1.DeletedAt.Valid {
		t.Error("DeletedAt not set on the entity")
	}
	if c := e.scalar(t, "SELECT count(*) FROM notes WHERE deleted_at IS NOT NULL"); c != 1 {
		t.Errorf("soft-deleted rows = %d", c)
	}
	em2 := e.orm.Fork()
	if c, err := uow.Count[Note](e.ctx, em2); err != nil || c != 1 {
		t.Errorf("Count hides soft-deleted: %d %v", c, err)
	}
	if ns, err := uow.Find[Note](e.ctx, em2, uow.WithDeleted()); err != nil || len(ns) != 2 {
		t.Errorf("WithDeleted: %d %v", len(ns), err)
	}
	// Refresh discards in-memory changes.
	n2.Body = "dirty"
	if err := em.Refresh(e.ctx, n2); err != nil || n2.Body != "two" {
		t.Errorf("Refresh: %q %v", n2.Body, err)
	}
	if err := em.Flush(e.ctx); err != nil || em.LastFlushStats().Updated != 0 {
		t.Errorf("flush after refresh: %+v %v", em.LastFlushStats(), err)
	}
	// Detach: changes are no longer flushed.
	n2.Body = "detached"
	em.Detach(n2)
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if c := e.scalar(t, "SELECT count(*) FROM notes WHERE body = 'detached'"); c != 0 {
		t.Error("detached entity flushed")
	}
	em.Clear()
	if em.IsManaged(n1) {
		t.Error("Clear kept an entity")
	}
	// Upsert by key: the existing row is updated.
	up := &Note{Body: "upserted"}
	up.ID = n2.ID
	if err := em.Upsert(e.ctx, up); err != nil {
		t.Fatal(err)
	}
	if c := e.scalar(t, "SELECT count(*) FROM notes WHERE body = 'upserted' AND id = $1", n2.ID); c != 1 {
		t.Error("upsert did not update")
	}
	if up.CreatedAt.IsZero() || !em.IsManaged(up) {
		t.Errorf("upserted entity: %+v managed=%v", up, em.IsManaged(up))
	}
	// Upsert with a hostile conflict column is refused.
	if err := em.Upsert(e.ctx, &Note{Body: "x"}, "body); DROP TABLE notes; --"); !errors.Is(err, uow.ErrUnknownField) {
		t.Errorf("hostile conflict column: %v", err)
	}
}

func TestMiddleware(t *testing.T) {
	e := setup(t, pkgSchema, &Package{}, &Version{})
	seedPackages(t, e)
	h := uow.Middleware(e.orm, uow.FlushOnSuccess())(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		em := uow.FromContext(r.Context())
		p, err := uow.FindOneOrFail[Package](r.Context(), em, uow.Eq("name", r.URL.Query().Get("name")))
		if errors.Is(err, uow.ErrNotFound) {
			http.Error(w, "no such package", http.StatusNotFound)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		p.WeeklyDownloads++
		if r.URL.Query().Get("fail") != "" {
			http.Error(w, "refused", http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(q string) (int, string) {
		resp, err := http.Get(srv.URL + "/?" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	if code, body := get("name=tiny"); code != 200 || body != "ok" {
		t.Fatalf("GET: %d %s", code, body)
	}
	if got := e.scalar(t, "SELECT weekly_downloads FROM packages WHERE name = 'tiny'"); got != 2 {
		t.Errorf("not flushed on success: %d", got)
	}
	if code, _ := get("name=tiny&fail=1"); code != 400 {
		t.Fatalf("fail: %d", code)
	}
	if got := e.scalar(t, "SELECT weekly_downloads FROM packages WHERE name = 'tiny'"); got != 2 {
		t.Errorf("flushed after a 400: %d", got)
	}
	if code, _ := get("name=missing"); code != 404 {
		t.Errorf("missing: %d", code)
	}
}

func TestSelectBuilder(t *testing.T) {
	e := setup(t, pkgSchema, &Package{}, &Version{})
	seedPackages(t, e)
	em := e.orm.Fork()
	type Row struct {
		Name     string
		Versions int64
	}
	rows, err := uow.Select[Row](e.ctx, em, uow.From[Package]().
		LeftJoin("Versions").
		Columns("name", "count(Versions.id) AS versions").
		Where(uow.Gte("weekly_downloads", 1)).
		GroupBy("name").
		Having(uow.Gte("count(Versions.id)", 1)).
		OrderBy("versions", uow.Desc).
		Limit(10))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0] != (Row{"left-pad", 2}) || rows[1] != (Row{"lodash", 1}) {
		t.Errorf("rows = %+v", rows)
	}
	type Total struct{ Total int64 }
	tot, err := uow.Select[Total](e.ctx, em, uow.From[Version]().Join("Publisher" /* no such relation */))
	if !errors.Is(err, uow.ErrUnknownField) || tot != nil {
		t.Errorf("join on a missing relation: %v", err)
	}
	for _, bad := range []string{"count(name); DROP TABLE packages", "name AS x; --", "pg_sleep(1)", "Versions.number) FROM x --", "sum(*)"} {
		if _, err := uow.Select[Row](e.ctx, em, uow.From[Package]().Join("Versions").Columns(bad)); !errors.Is(err, uow.ErrUnknownField) {
			t.Errorf("hostile expression %q: %v", bad, err)
		}
	}
	q := uow.From[Package]().Join("Versions").Columns("max(Versions.number) AS latest").Where(uow.Eq("Versions.number", "1.1.0"))
	sqlText, args, err := q.SQL(e.orm)
	if err != nil || !strings.Contains(sqlText, `JOIN "versions" AS "Versions" ON "Versions"."package_id" = "t"."id"`) || len(args) != 1 {
		t.Errorf("SQL = %s %v %v", sqlText, args, err)
	}
}

func TestEditsThroughValueRelationSlices(t *testing.T) {
	e := setup(t, pkgSchema, &Package{}, &Version{})
	seedPackages(t, e)
	em := e.orm.Fork()
	p, err := uow.FindOneOrFail[Package](e.ctx, em, uow.Eq("name", "left-pad"), uow.Populate("Versions"))
	if err != nil {
		t.Fatal(err)
	}
	// GORM style: edit the element of a []Version and flush.
	p.Versions[0].Number = "1.0.1"
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.scalar(t, "SELECT count(*) FROM versions WHERE number = '1.0.1'"); n != 1 {
		t.Fatalf("edit of a value-slice element not flushed")
	}
	// Editing the managed entity afterwards is not reverted by the stale copy.
	v, err := uow.Get[Version](e.ctx, em, p.Versions[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	v.Number = "1.0.2"
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.scalar(t, "SELECT count(*) FROM versions WHERE number = '1.0.2'"); n != 1 {
		t.Errorf("edit through the managed pointer lost")
	}
	if p.Versions[0].Number != "1.0.2" {
		t.Errorf("value copy not synchronised after flush: %q", p.Versions[0].Number)
	}
}

func TestMultiRowSoftDelete(t *testing.T) {
	e := setup(t, `CREATE TABLE notes (id bigserial PRIMARY KEY, created_at timestamptz, updated_at timestamptz, deleted_at timestamptz, body text)`, &Note{})
	em := e.orm.Fork()
	ns := []*Note{{Body: "a"}, {Body: "b"}, {Body: "c"}}
	for _, n := range ns {
		if err := em.Persist(n); err != nil {
			t.Fatal(err)
		}
	}
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if err := em.Remove(ns[0], ns[2]); err != nil {
		t.Fatal(err)
	}
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if c := e.scalar(t, "SELECT count(*) FROM notes WHERE deleted_at IS NOT NULL"); c != 2 {
		t.Errorf("soft-deleted = %d, want 2", c)
	}
	left, err := uow.Find[Note](e.ctx, e.orm.Fork())
	if err != nil || len(left) != 1 || left[0].Body != "b" {
		t.Errorf("visible notes: %v %v", left, err)
	}
}
