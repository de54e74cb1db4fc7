package baseline

import (
	"context"
	"database/sql/driver"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ormshift/ormshift/internal/pgtest"
	"github.com/ormshift/ormshift/uow"
)

type entPackage struct {
	ID              int64  `gorm:"primaryKey"`
	Name            string `gorm:"size:100;not null;unique"`
	WeeklyDownloads int
	Description     *string
	Versions        []entVersion `gorm:"foreignKey:PackageID"`
	Tags            []entTag     `gorm:"many2many:package_tags"`
	CreatedAt       time.Time    `gorm:"not null"`
}

func (entPackage) TableName() string { return "packages" }

type entVersion struct {
	ID        int64
	PackageID int64
	Number    string
}

func (entVersion) TableName() string { return "versions" }

type entTag struct {
	ID   int64
	Name string
}

func (entTag) TableName() string { return "tags" }

const entitiesDDL = `
CREATE TABLE packages (id bigserial PRIMARY KEY, name varchar(100) NOT NULL UNIQUE, weekly_downloads bigint NOT NULL DEFAULT 0,
  description text, created_at timestamptz NOT NULL DEFAULT now(), legacy_rank integer);
CREATE TABLE versions (id bigserial PRIMARY KEY, package_id bigint NOT NULL REFERENCES packages(id), number text NOT NULL);
CREATE TABLE tags (id bigserial PRIMARY KEY, name text NOT NULL);
CREATE TABLE package_tags (ent_package_id bigint NOT NULL, ent_tag_id bigint NOT NULL, PRIMARY KEY (ent_package_id, ent_tag_id));
CREATE TABLE audit_log (id bigserial PRIMARY KEY, message text);`

func TestDiffEntities(t *testing.T) {
	reg, err := uow.Parse(&entPackage{})
	if err != nil {
		t.Fatal(err)
	}
	ents := FromEntities(reg)
	if got := len(ents.Tables); got != 4 {
		t.Fatalf("entity tables: %d\n%s", got, mustJSON(ents.Tables))
	}
	db := pgtest.New(t)
	applySQL(t, db, entitiesDDL)
	d := DiffEntities(inspect(t, db), ents)
	if !d.Equal() || !d.Complete() {
		t.Fatalf("want no differences:\n%s", d.Text())
	}
	if strings.Join(d.Unmapped, "|") != "column public.packages.legacy_rank|table public.audit_log" {
		t.Errorf("unmapped: %q", d.Unmapped)
	}

	applySQL(t, db, `ALTER TABLE versions DROP COLUMN number; ALTER TABLE packages ALTER COLUMN weekly_downloads TYPE text;
ALTER TABLE packages ALTER COLUMN created_at DROP NOT NULL; DROP TABLE package_tags;
ALTER TABLE versions DROP CONSTRAINT versions_package_id_fkey`)
	d = DiffEntities(inspect(t, db), ents)
	var got []string
	for _, c := range d.Changes {
		got = append(got, c.Op+" "+c.Kind+" "+c.Name)
	}
	want := []string{
		"add table public.package_tags",
		"change column type public.packages.weekly_downloads",
		"change column nullability public.packages.created_at",
		"add column public.versions.number",
		"add foreign key fk_packages_versions on public.versions",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The SQL repairs the database.
	applySQL(t, db, "UPDATE packages SET created_at = now() WHERE created_at IS NULL;\n"+d.SQL())
	if d := DiffEntities(inspect(t, db), ents); !d.Equal() {
		t.Errorf("after applying the SQL:\n%s", d.Text())
	}
}

type money struct{ Units, Nanos int64 }

func (m money) Value() (driver.Value, error) { return fmt.Sprintf("%d.%09d", m.Units, m.Nanos), nil }
func (m *money) Scan(any) error              { return nil }

type entOdd struct {
	ID    int64
	Price money
}

func TestFromEntitiesSkipsUnknownTypes(t *testing.T) {
	reg, err := uow.Parse(&entOdd{})
	if err != nil {
		t.Fatal(err)
	}
	s := FromEntities(reg)
	if len(s.Skipped) == 0 {
		t.Errorf("a struct-typed column must be skipped: %s", mustJSON(s))
	}
}

// copyEntitiesApp copies the test application module to a directory of the
// test's own, pointing its replace directive at this repository.
func copyEntitiesApp(t *testing.T) string {
	t.Helper()
	src := filepath.Join("..", "testdata", "baseline", "entities-app")
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	for _, f := range []string{"go.mod", "go.sum", "models/models.go"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "go.mod" {
			b = []byte(strings.Replace(string(b), "=> ../../..", "=> "+root, 1))
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func TestLoadEntitiesFromModule(t *testing.T) {
	dir := copyEntitiesApp(t)
	s, err := LoadEntities(context.Background(), dir, "./models", nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tb := range s.Tables {
		names = append(names, tb.Name)
	}
	if strings.Join(names, ",") != "packages,versions" {
		t.Fatalf("tables %v", names)
	}
	db := pgtest.New(t)
	applySQL(t, db, `CREATE TABLE packages (id bigserial PRIMARY KEY, name varchar(100) NOT NULL UNIQUE, weekly_downloads bigint NOT NULL DEFAULT 0,
  description text, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE versions (id bigserial PRIMARY KEY, package_id bigint NOT NULL REFERENCES packages(id))`)
	d := DiffEntities(inspect(t, db), s)
	if len(d.Changes) != 1 || d.Changes[0].Name != "public.versions.number" {
		t.Errorf("changes: %s", d.Text())
	}
	if _, err := LoadEntities(context.Background(), dir, "./models", []string{"Nope"}); err == nil || !strings.Contains(err.Error(), "no type Nope") {
		t.Errorf("unknown type: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 3 {
		t.Errorf("helper program left behind: %v", ents)
	}
}

func TestLoadEntitiesModuleWithoutOrmshift(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/plain\n\ngo 1.26.8\n",
		"m/m.go": "package m\n\ntype User struct{ ID int64 }\n\nfunc (User) TableName() string { return \"users\" }\n",
	}
	for n, c := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, n)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err := LoadEntities(context.Background(), dir, "./m", nil)
	if err == nil || !strings.Contains(err.Error(), "does not require github.com/ormshift/ormshift") {
		t.Fatalf("want a clear error, got %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("helper program left behind: %v", ents)
	}
}
