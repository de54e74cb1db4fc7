package uow_test

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"github.com/ormshift/ormshift/uow"
)

// A richer set of GORM-style models for the metadata comparison.
type User struct {
	gorm.Model
	Email      string `gorm:"uniqueIndex;not null"`
	AvatarURL  string
	HTTPStatus int
	Profile    Profile    // has-one
	Posts      []Post     // has-many
	Languages  []Language `gorm:"many2many:user_languages"`
	Friends    []*User    `gorm:"many2many:user_friends"`
	Address    Address    `gorm:"embedded;embeddedPrefix:addr_"`
	Ignored    string     `gorm:"-"`
	Skipped    string     `uow:"-"`
	CompanyID  *uint
	Company    *Company // belongs-to
}

type Address struct {
	Street string
	City   string
}

type Profile struct {
	ID     uint
	UserID uint
	Bio    string `gorm:"column:biography"`
}

type Post struct {
	ID       uint `gorm:"primaryKey"`
	Title    string
	AuthorID uint
	Author   User `gorm:"foreignKey:AuthorID"`
	UserID   uint
}

type Language struct {
	Code string `gorm:"primaryKey"`
	Name string
}

type Company struct {
	ID   int
	Name string
}

func (Company) TableName() string { return "org_companies" }

func gormRelType(r *schema.Relationship) string {
	switch r.Type {
	case schema.HasOne:
		return "has-one"
	case schema.HasMany:
		return "has-many"
	case schema.BelongsTo:
		return "belongs-to"
	case schema.Many2Many:
		return "many-to-many"
	}
	return string(r.Type)
}

// describeGORM and describeUOW render the facts both must agree on.
func describeGORM(t *testing.T, model any) string {
	t.Helper()
	s, err := schema.Parse(model, &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		t.Fatalf("gorm schema.Parse: %v", err)
	}
	var lines []string
	lines = append(lines, "table "+s.Table)
	for _, f := range s.Fields {
		if f.DBName == "" {
			continue
		}
		lines = append(lines, "column "+f.Name+" "+f.DBName)
	}
	var pks []string
	for _, f := range s.PrimaryFields {
		pks = append(pks, f.DBName)
	}
	lines = append(lines, "pk "+strings.Join(pks, ","))
	for name, r := range s.Relationships.Relations {
		if strings.HasPrefix(name, "_") {
			continue // GORM's back-references from other schemas (_User_Posts)
		}
		var fks, refs []string
		if r.Type == schema.Many2Many {
			for _, ref := range r.References {
				if ref.OwnPrimaryKey {
					fks = append(fks, ref.ForeignKey.DBName)
				} else {
					refs = append(refs, ref.ForeignKey.DBName)
				}
			}
			lines = append(lines, "rel "+name+" "+gormRelType(r)+" "+r.FieldSchema.Name+" join "+r.JoinTable.Table+" "+strings.Join(fks, ",")+" "+strings.Join(refs, ","))
			continue
		}
		for _, ref := range r.References {
			fks = append(fks, ref.ForeignKey.DBName)
			refs = append(refs, ref.PrimaryKey.DBName)
		}
		lines = append(lines, "rel "+name+" "+gormRelType(r)+" "+r.FieldSchema.Name+" fk "+strings.Join(fks, ",")+" refs "+strings.Join(refs, ","))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func describeUOW(t *testing.T, reg *uow.Registry, model any) string {
	t.Helper()
	e, err := reg.Lookup(model)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	lines = append(lines, "table "+e.Table)
	for _, f := range e.Fields {
		lines = append(lines, "column "+f.Name+" "+f.Column)
	}
	var pks []string
	for _, f := range e.PrimaryKey {
		pks = append(pks, f.Column)
	}
	lines = append(lines, "pk "+strings.Join(pks, ","))
	for _, r := range e.Relations {
		if r.Kind == uow.ManyToMany {
			lines = append(lines, "rel "+r.Name+" "+r.Kind.String()+" "+r.Target.Name+" join "+r.JoinTable+" "+strings.Join(r.JoinForeignKey, ",")+" "+strings.Join(r.JoinReferences, ","))
			continue
		}
		var fks, refs []string
		for i := range r.ForeignKey {
			fks = append(fks, r.ForeignKey[i].Column)
			refs = append(refs, r.References[i].Column)
		}
		lines = append(lines, "rel "+r.Name+" "+r.Kind.String()+" "+r.Target.Name+" fk "+strings.Join(fks, ",")+" refs "+strings.Join(refs, ","))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func TestMetadataMatchesGORM(t *testing.T) {
	models := []any{&Package{}, &Version{}, &User{}, &Profile{}, &Post{}, &Language{}, &Company{}, &Author{}, &Book{}}
	reg, err := uow.Parse(models...)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range models {
		want := describeGORM(t, m)
		got := describeUOW(t, reg, m)
		// gorm:"-" and uow:"-" fields: GORM lists the uow-ignored one.
		want = strings.ReplaceAll(want, "column Skipped skipped\n", "")
		if got != want {
			t.Errorf("%T:\nuow:\n%s\n\ngorm:\n%s", m, got, want)
		}
	}
	p, _ := reg.Lookup(&Package{})
	if f, _ := p.Field("weekly_downloads"); !f.HasDefault || f.Default != "0" {
		t.Errorf("default not read: %+v", f)
	}
	if f, _ := p.Field("CreatedAt"); !f.AutoCreateTime {
		t.Error("CreatedAt not auto-create")
	}
	if f, _ := p.Field("ID"); !f.Generated || !f.PrimaryKey {
		t.Error("ID not a generated key")
	}
	u, _ := reg.Lookup(&User{})
	if u.SoftDelete == nil || u.SoftDelete.Column != "deleted_at" {
		t.Error("gorm.Model's DeletedAt not recognised as soft delete")
	}
	if f, _ := u.Field("Email"); !f.Unique || !f.NotNull {
		t.Errorf("Email flags: %+v", f)
	}
	if f, _ := u.Field("CompanyID"); !f.Nullable {
		t.Error("*uint not nullable")
	}
}

func TestMetadataErrorsNameStructAndField(t *testing.T) {
	type NoKey struct{ Name string }
	type BadVersion struct {
		ID      uint
		Version string `uow:"version"`
	}
	type Typo struct {
		ID   uint
		Name string `uow:"verison"`
	}
	type Orphan struct{ ID uint }
	type BadRel struct {
		ID      uint
		Orphans []Orphan // Orphan has no BadRelID
	}
	type DupCol struct {
		ID uint
		A  string `gorm:"column:x"`
		B  string `gorm:"column:x"`
	}
	cases := []struct {
		model any
		want  []string
	}{
		{&NoKey{}, []string{"NoKey", "no primary key"}},
		{&BadVersion{}, []string{"BadVersion", "field Version", "integer or time.Time"}},
		{&Typo{}, []string{"Typo", "field Name", "VERISON"}},
		{&BadRel{}, []string{"BadRel", "field Orphans", "foreign key"}},
		{&DupCol{}, []string{"DupCol", "field B", `"x"`}},
	}
	for _, c := range cases {
		_, err := uow.Parse(c.model)
		var me *uow.MetadataError
		if err == nil || !errors.As(err, &me) {
			t.Errorf("%T: err = %v, want a MetadataError", c.model, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%T: error %q does not mention %q", c.model, err, w)
			}
		}
	}
}

// Types: pointers and sql.Null* as nullable, []byte, jsonb, arrays, custom
// Scanner/Valuer types, int timestamps.
type GadgetMeta struct {
	Origin string `json:"origin"`
	Parts  []int  `json:"parts"`
}

// Color2 is stored as text through Scanner/Valuer.
type Color2 struct{ R, G, B uint8 }

func (c Color2) Value() (driver.Value, error) {
	return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B), nil
}

func (c *Color2) Scan(src any) error {
	s, ok := src.(string)
	if !ok {
		return fmt.Errorf("color: want text, got %T", src)
	}
	_, err := fmt.Sscanf(s, "#%02x%02x%02x", &c.R, &c.G, &c.B)
	return err
}

const gadgetSchema = `CREATE TABLE gadgets (
	id bigserial PRIMARY KEY, label text, price numeric(10,2) NOT NULL, active boolean NOT NULL,
	data bytea, attrs jsonb, meta text, tags text[], scores bigint[], color text NOT NULL,
	seen_at timestamptz, created_at bigint NOT NULL, rev int NOT NULL)`

func TestColumnTypesRoundTrip(t *testing.T) {
	e := setup(t, gadgetSchema, &Gadget2{})
	em := e.orm.Fork()
	now := time.Now().Truncate(time.Microsecond)
	g := &Gadget2{Label: sql.NullString{String: "x", Valid: true}, Price: 9.5, Active: true, Data: []byte{0, 1, 2},
		Attrs: map[string]any{"k": "v"}, Meta: GadgetMeta{Origin: "lab", Parts: []int{1, 2}},
		Tags: []string{"a", "b"}, Scores: []int64{3}, Color: Color2{1, 2, 3}, SeenAt: &now}
	g2 := &Gadget2{Price: 1, Color: Color2{9, 9, 9}, Tags: []string{}}
	if err := em.Persist(g, g2); err != nil {
		t.Fatal(err)
	}
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if g.CreatedAt == 0 || g.Rev != 1 {
		t.Errorf("auto fields: created %d rev %d", g.CreatedAt, g.Rev)
	}
	em2 := e.orm.Fork()
	got, err := uow.Get[Gadget2](e.ctx, em2, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Label, g.Label) || got.Price != 9.5 || !got.Active || string(got.Data) != "\x00\x01\x02" ||
		got.Attrs["k"] != "v" || !reflect.DeepEqual(got.Meta, g.Meta) || !reflect.DeepEqual(got.Tags, g.Tags) ||
		!reflect.DeepEqual(got.Scores, g.Scores) || got.Color != g.Color || got.SeenAt == nil || !got.SeenAt.Equal(now) || got.CreatedAt != g.CreatedAt {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, g)
	}
	// In-place edits of slices, maps and JSON are detected.
	got.Tags[0] = "z"
	got.Attrs["k"] = "w"
	got.Meta.Parts = append(got.Meta.Parts, 3)
	e.counter.Reset()
	if err := em2.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	upd := strings.Join(e.counter.SQL(), "\n")
	for _, col := range []string{`"tags"`, `"attrs"`, `"meta"`, `"rev"`} {
		if !strings.Contains(upd, col+" = ") {
			t.Errorf("update misses %s:\n%s", col, upd)
		}
	}
	if strings.Contains(upd, `"price" = `) {
		t.Errorf("update touches unchanged price:\n%s", upd)
	}
	// Batch update of array columns uses a VALUES list.
	all, err := uow.Find[Gadget2](e.ctx, em2)
	if err != nil || len(all) != 2 {
		t.Fatal(err)
	}
	for _, x := range all {
		x.Tags = append(x.Tags, "more")
	}
	if err := em2.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.scalar(t, "SELECT count(*) FROM gadgets WHERE 'more' = ANY(tags)"); n != 2 {
		t.Errorf("array batch update: %d rows", n)
	}
	// A NULL in a plain column reads as the zero value, like GORM.
	if _, err := e.pool.Exec(e.ctx, "ALTER TABLE gadgets ALTER COLUMN active DROP NOT NULL; UPDATE gadgets SET active = NULL"); err != nil {
		t.Fatal(err)
	}
	em3 := e.orm.Fork()
	back, err := uow.Get[Gadget2](e.ctx, em3, g.ID)
	if err != nil || back.Active {
		t.Errorf("NULL bool: %+v %v", back, err)
	}
}

// Gadget2 is Gadget with a Color that round-trips through text.
type Gadget2 struct {
	ID        int64
	Label     sql.NullString
	Price     float64
	Active    bool
	Data      []byte
	Attrs     map[string]any `gorm:"type:jsonb"`
	Meta      GadgetMeta     `gorm:"serializer:json"`
	Tags      []string
	Scores    []int64
	Color     Color2
	SeenAt    *time.Time
	CreatedAt int64
	Rev       int `uow:"version"`
}

func (Gadget2) TableName() string { return "gadgets" }

// Widget has no array column, so multi-row statements use unnest of typed
// arrays for every type below.
type Widget struct {
	ID        int64
	Code      string `gorm:"primaryKey"`
	Label     sql.NullString
	Price     float64
	Active    bool
	Data      []byte
	Attrs     map[string]any `gorm:"type:jsonb"`
	Color     Color2
	SeenAt    *time.Time
	Count     uint16
	CreatedAt int64
	Rev       int `uow:"version"`
}

func TestMultiRowStatementsForAllTypes(t *testing.T) {
	e := setup(t, `CREATE TABLE widgets (id bigint NOT NULL, code varchar(20) NOT NULL, label text, price numeric(10,2) NOT NULL,
	active boolean NOT NULL, data bytea, attrs jsonb, color text NOT NULL, seen_at timestamptz, count smallint NOT NULL,
	created_at bigint NOT NULL, rev int NOT NULL, PRIMARY KEY (id, code))`, &Widget{})
	em := e.orm.Fork()
	now := time.Now().Truncate(time.Microsecond)
	var ws []*Widget
	for i := 0; i < 3; i++ {
		w := &Widget{ID: int64(i + 1), Code: fmt.Sprintf("w%d", i), Price: 1.5, Data: []byte{byte(i)}, Attrs: map[string]any{"i": float64(i)}, Color: Color2{uint8(i), 0, 0}, Count: uint16(i)}
		if i == 1 {
			w.Label = sql.NullString{String: "one", Valid: true}
			w.SeenAt = &now
		}
		ws = append(ws, w)
		if err := em.Persist(w); err != nil {
			t.Fatal(err)
		}
	}
	e.counter.Reset()
	if err := em.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(e.counter.SQL(), "\n"), "unnest(") {
		t.Errorf("multi-row insert without unnest: %q", e.counter.SQL())
	}
	em2 := e.orm.Fork()
	got, err := uow.Find[Widget](e.ctx, em2, uow.OrderBy("id", uow.Asc))
	if err != nil || len(got) != 3 {
		t.Fatalf("%d %v", len(got), err)
	}
	for i, g := range got {
		w := ws[i]
		if g.Code != w.Code || g.Label != w.Label || g.Price != w.Price || string(g.Data) != string(w.Data) || g.Attrs["i"] != w.Attrs["i"] ||
			g.Color != w.Color || (g.SeenAt == nil) != (w.SeenAt == nil) || g.Count != w.Count || g.CreatedAt == 0 || g.Rev != 1 {
			t.Errorf("row %d: got %+v want %+v", i, g, w)
		}
	}
	for _, g := range got {
		g.Color = Color2{9, 9, 9}
		g.Attrs["new"] = true
		g.Count++
	}
	if err := em2.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.scalar(t, "SELECT count(*) FROM widgets WHERE color = '#090909' AND attrs ? 'new' AND rev = 2"); n != 3 {
		t.Errorf("multi-row update: %d rows", n)
	}
	if err := em2.Remove(got[0], got[2]); err != nil {
		t.Fatal(err)
	}
	if err := em2.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.scalar(t, "SELECT count(*) FROM widgets"); n != 1 {
		t.Errorf("multi-row versioned delete of a composite key: %d rows left", n)
	}
}
