package rewrite

import (
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/txtar"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ormshift/ormshift/internal/pgtest"
)

// gsPackage has the fields of the golden fixtures' models.Package.
type gsPackage struct {
	ID              uint   `gorm:"primaryKey"`
	Name            string `gorm:"uniqueIndex;not null"`
	Description     *string
	WeeklyDownloads int `gorm:"not null;default:0"`
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

func (gsPackage) TableName() string { return "packages" }

// dryRunDB is GORM on PostgreSQL's dialect in DryRun mode: statements are
// built, not sent. The dialect still connects once (to read the server
// version), so it gets a harness database.
func dryRunDB(t *testing.T) *gorm.DB {
	t.Helper()
	db, err := gorm.Open(postgres.New(postgres.Config{DSN: pgtest.New(t).DSN}),
		&gorm.Config{DryRun: true, DisableAutomaticPing: true, Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// goldenFuncText returns the source of func name in the .golden section of
// a convert fixture.
func goldenFuncText(t *testing.T, archive, name string) string {
	t.Helper()
	a, err := txtar.ParseFile(filepath.Join(repoRoot(t), "rewrite", "testdata", "golden", "convert", archive))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range a.Files {
		if !strings.HasSuffix(f.Name, ".golden") {
			continue
		}
		src := string(f.Data)
		i := strings.Index(src, ") "+name+"(")
		if i < 0 {
			continue
		}
		end := strings.Index(src[i:], "\n}\n")
		return src[i : i+end]
	}
	t.Fatalf("%s: no func %s in a .golden section", archive, name)
	return ""
}

var dollarRe = regexp.MustCompile(`\$[0-9]+`)

// placeholders replaces every $n by ?: a NULL the conversion writes as a
// literal is bound as a parameter by GORM.
func placeholders(sql string) string { return dollarRe.ReplaceAllString(sql, "?") }

var execSQLRe = regexp.MustCompile("\\.Exec\\(ctx, `([^`]*)`")

// TestKeyedUpdateMatchesGORM: the statement a converted
// Model(&T{ID: id}).Update*/Updates(map) runs is the one GORM builds, and
// GORM refuses the zero key with the error the guard returns.
func TestKeyedUpdateMatchesGORM(t *testing.T) {
	db := dryRunDB(t)
	cases := []struct {
		fn  string
		run func(tx *gorm.DB, id uint) *gorm.DB
	}{
		{"ResetByID", func(tx *gorm.DB, id uint) *gorm.DB {
			return tx.Model(&gsPackage{ID: id}).Updates(map[string]interface{}{"weekly_downloads": 0, "description": nil})
		}},
		{"RenameByID", func(tx *gorm.DB, id uint) *gorm.DB { return tx.Model(&gsPackage{ID: id}).Update("name", "x") }},
		{"RenameFirst", func(tx *gorm.DB, id uint) *gorm.DB { return tx.Model(&gsPackage{ID: id}).UpdateColumn("name", "x") }},
	}
	for _, c := range cases {
		m := execSQLRe.FindStringSubmatch(goldenFuncText(t, "update.txtar", c.fn))
		if m == nil {
			t.Fatalf("%s: no em.Exec in the golden", c.fn)
		}
		res := c.run(db.Session(&gorm.Session{}), 7)
		if res.Error != nil {
			t.Fatalf("%s: GORM: %v", c.fn, res.Error)
		}
		if got := res.Statement.SQL.String(); placeholders(got) != placeholders(strings.ReplaceAll(m[1], "=NULL", "=$0")) {
			t.Errorf("%s: converted SQL\n  %s\nGORM's\n  %s", c.fn, m[1], got)
		}
		if c.fn == "RenameFirst" {
			continue // a constant key: no guard
		}
		if !strings.Contains(goldenFuncText(t, "update.txtar", c.fn), "if id == 0 {\n\t\terr = gorm.ErrMissingWhereClause") {
			t.Errorf("%s: no zero-key guard in the golden", c.fn)
		}
		if res := c.run(db.Session(&gorm.Session{}), 0); !errors.Is(res.Error, gorm.ErrMissingWhereClause) {
			t.Errorf("%s with a zero key: GORM returns %v, the guard gorm.ErrMissingWhereClause", c.fn, res.Error)
		}
	}
}

type gsVersion struct {
	ID          uint      `gorm:"primaryKey"`
	Number      string    `gorm:"not null"`
	PublishedAt time.Time `gorm:"not null"`
	PackageID   uint      `gorm:"not null;index"`
}

func (gsVersion) TableName() string { return "versions" }

var rawSQLRe = regexp.MustCompile("uow\\.Raw\\[.*?\\]\\(ctx, em, `([^`]*)`")

// TestSelectQueryMatchesGORM: the SELECT a converted Model chain with
// Select/Distinct/Group/Having/Order runs through uow.Raw is the one GORM
// builds for it. GORM's DryRun refuses Scan; Find builds the same
// statement (both go through callbacks/query.go BuildQuerySQL).
func TestSelectQueryMatchesGORM(t *testing.T) {
	db := dryRunDB(t)
	type vc struct {
		PackageID uint
		Total     int64
	}
	cases := []struct {
		fn  string
		run func(tx *gorm.DB) *gorm.DB
	}{
		{"VersionCounts", func(tx *gorm.DB) *gorm.DB {
			var rows []vc
			return tx.Model(&gsVersion{}).Select("package_id, count(*) AS total").Group("package_id").Having("count(*) >= ?", 2).Order("package_id").Find(&rows)
		}},
		{"RecentCounts", func(tx *gorm.DB) *gorm.DB {
			var rows []vc
			return tx.Model(&gsVersion{}).Select("package_id, count(*) AS total").Where("number <> ?", "1.0").Group("package_id").Having("count(*) >= ?", 2).Order("total DESC, package_id").Find(&rows)
		}},
		{"VersionNumbers", func(tx *gorm.DB) *gorm.DB {
			var ns []string
			return tx.Model(&gsVersion{}).Distinct("number").Order("number").Pluck("number", &ns)
		}},
		{"PackageIDs", func(tx *gorm.DB) *gorm.DB {
			var ids []uint
			return tx.Model(&gsVersion{}).Distinct().Where("number = ?", "1.0").Order("package_id DESC").Pluck("package_id", &ids)
		}},
	}
	for _, c := range []struct {
		fn  string
		run func(tx *gorm.DB) *gorm.DB
	}{
		{"VersionsOfPopular", func(tx *gorm.DB) *gorm.DB {
			var vs []gsVersion
			return tx.Joins("JOIN packages ON packages.id = versions.package_id AND packages.weekly_downloads >= ?", 10).Order("versions.id").Find(&vs)
		}},
		{"VersionsNumbered", func(tx *gorm.DB) *gorm.DB {
			var vs []gsVersion
			return tx.Joins("JOIN packages ON packages.id = versions.package_id").Where("number = ?", "1.0").Order("versions.id DESC").Find(&vs)
		}},
	} {
		c.fn = "joins.txtar:" + c.fn
		cases = append(cases, c)
	}
	for _, c := range cases {
		archive, fn := "select_query.txtar", c.fn
		if a, f, ok := strings.Cut(c.fn, ":"); ok {
			archive, fn = a, f
		}
		m := rawSQLRe.FindStringSubmatch(goldenFuncText(t, archive, fn))
		if m == nil {
			t.Fatalf("%s: no uow.Raw in the golden", c.fn)
		}
		res := c.run(db.Session(&gorm.Session{}))
		if res.Error != nil {
			t.Fatalf("%s: GORM: %v", c.fn, res.Error)
		}
		if got := res.Statement.SQL.String(); got != m[1] {
			t.Errorf("%s: converted SQL\n  %s\nGORM's\n  %s", c.fn, m[1], got)
		}
	}
}
