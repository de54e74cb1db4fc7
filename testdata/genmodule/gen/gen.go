// Package gen generates a synthetic legacy GORM module (see genmodule).
package gen

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"text/template"
)

const goMod = `module example.com/gen

go 1.26.0

require gorm.io/gorm v1.31.2

require (
	github.com/jinzhu/inflection v1.0.0 // indirect
	github.com/jinzhu/now v1.1.5 // indirect
	golang.org/x/text v0.42.0 // indirect
)
`

const goSum = `github.com/jinzhu/inflection v1.0.0 h1:K317FqzuhWc8YvSVlFMCCUb36O/S9MCKRDI7QkRKD/E=
github.com/jinzhu/inflection v1.0.0/go.mod h1:h+uFLlag+Qp1Va5pdKtLDYj+kHp5pxUVkryuEj+Srlc=
github.com/jinzhu/now v1.1.5 h1:/o9tlHleP7gOFmsnYNz3RGnqzefHA47wQpKrrdTIwXQ=
github.com/jinzhu/now v1.1.5/go.mod h1:d3SSVoowX0Lcu0IBviAWJpolVfI5UJVZZ7cO71lE/z8=
golang.org/x/text v0.42.0 h1:JbOZXgfeCPU9gacVtYliJqOhD+zhrEqK4LfdpmlUZqI=
golang.org/x/text v0.42.0/go.mod h1:ojzP1Z+2QtioaF8DTtO8K5q7JWVVYwZKenzujK0Zd0E=
gorm.io/gorm v1.31.2 h1:3o8FXNo9v9S858gil+3LlZA1LkCOzgb4g5BL64FgaCo=
gorm.io/gorm v1.31.2/go.mod h1:XyQVbO2k6YkOis7C2437jSit3SsDK72s7n7rsSHd+Gs=
`

var modelTmpl = template.Must(template.New("model").Parse(`package models

import (
	"strings"
	"time"
)

// {{.Name}} is generated model number {{.I}}.
type {{.Name}} struct {
	ID          uint      ` + "`gorm:\"primaryKey\"`" + `
	Name        string    ` + "`gorm:\"uniqueIndex\"`" + `
	Description *string
	Score       int
	OwnerID     uint
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Items       []{{.Name}}Item ` + "`gorm:\"foreignKey:ParentID\"`" + `
}

// {{.Name}}Item belongs to a {{.Name}}.
type {{.Name}}Item struct {
	ID       uint
	ParentID uint
	Label    string ` + "`gorm:\"column:item_label\"`" + `
	Qty      int
}
{{if .Custom}}
// TableName overrides the default table.
func ({{.Name}}Item) TableName() string { return "{{.Table}}_items" }
{{end}}
// Normalize trims and lowercases the name.
func (m *{{.Name}}) Normalize() {
	m.Name = strings.ToLower(strings.TrimSpace(m.Name))
}
`))

var serviceTmpl = template.Must(template.New("service").Parse(`package {{.Pkg}}

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"example.com/gen/models"
)

// {{.Svc}} serves {{.Model}} records.
type {{.Svc}} struct {
	db  *gorm.DB
	now func() time.Time
}

// New{{.Svc}} returns a service on db.
func New{{.Svc}}(db *gorm.DB) *{{.Svc}} { return &{{.Svc}}{db: db, now: time.Now} }

func (s *{{.Svc}}) base(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Model(&models.{{.Model}}{})
}

// Top returns the best-scored records.
func (s *{{.Svc}}) Top(ctx context.Context, min, limit int) ([]models.{{.Model}}, error) {
	var out []models.{{.Model}}
	err := s.base(ctx).Where("score >= ?", min).Order("score desc").Limit(limit).Find(&out).Error
	return out, err
}

// ByName finds one record.
func (s *{{.Svc}}) ByName(ctx context.Context, name string) (*models.{{.Model}}, error) {
	var m models.{{.Model}}
	if err := s.db.WithContext(ctx).Preload("Items").Where("name = ?", name).First(&m).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, fmt.Errorf("{{.Model}} %q: not found", name)
		}
		return nil, err
	}
	return &m, nil
}

// Search filters by optional fields.
func (s *{{.Svc}}) Search(ctx context.Context, q string, owner uint, page int) ([]models.{{.Model}}, error) {
	tx := s.base(ctx)
	if q != "" {
		tx = tx.Where("name LIKE ?", "%"+strings.ToLower(q)+"%")
	}
	if owner != 0 {
		tx = tx.Where("owner_id = ?", owner)
	}
	var out []models.{{.Model}}
	err := tx.Scopes(Paginate{{.I}}(page, 20)).Order("id").Find(&out).Error
	return out, err
}

// Paginate{{.I}} is a scope.
func Paginate{{.I}}(page, size int) func(*gorm.DB) *gorm.DB {
	return func(db *gorm.DB) *gorm.DB {
		if page < 1 {
			page = 1
		}
		return db.Offset((page - 1) * size).Limit(size)
	}
}

// Create inserts a record with its items in a transaction.
func (s *{{.Svc}}) Create(ctx context.Context, m *models.{{.Model}}, items []models.{{.Model}}Item) error {
	m.Normalize()
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(m).Error; err != nil {
			return fmt.Errorf("create {{.Model}}: %w", err)
		}
		for i := range items {
			items[i].ParentID = m.ID
		}
		if len(items) == 0 {
			return nil
		}
		return tx.CreateInBatches(items, 100).Error
	})
}

// Bump adds to the score.
func (s *{{.Svc}}) Bump(ctx context.Context, id uint, by int) error {
	return s.db.WithContext(ctx).Model(&models.{{.Model}}{}).Where("id = ?", id).
		Update("score", gorm.Expr("score + ?", by)).Error
}

// Rename updates the name and the timestamp.
func (s *{{.Svc}}) Rename(ctx context.Context, id uint, name string) error {
	return s.db.WithContext(ctx).Model(&models.{{.Model}}{ID: id}).
		Updates(map[string]any{"name": name, "updated_at": s.now()}).Error
}

// Stats counts rows with raw SQL.
func (s *{{.Svc}}) Stats(ctx context.Context) (int64, error) {
	var n struct{ Total int64 }
	err := s.db.WithContext(ctx).Raw("SELECT count(*) AS total FROM {{.Table}} WHERE score > ?", 0).Scan(&n).Error
	return n.Total, err
}

// Purge deletes old items.
func (s *{{.Svc}}) Purge(ctx context.Context, before time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("created_at < ?", before).Delete(&models.{{.Model}}Item{})
	return res.RowsAffected, res.Error
}

// summarize is plain Go with no data access.
func summarize{{.I}}(ms []models.{{.Model}}) string {
	var b strings.Builder
	total := 0
	for i, m := range ms {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(m.Name)
		total += m.Score
	}
	return fmt.Sprintf("%s (total %d)", b.String(), total)
}

var _ = summarize{{.I}}
`))

// Write generates a module with files Go files (at least 2) in dir and
// returns the number of Go files written.
func Write(dir string, files int) (int, error) {
	if files < 2 {
		files = 2
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return 0, fmt.Errorf("%s is not empty", dir)
	}
	nModels := files / 25
	if nModels < 1 {
		nModels = 1
	}
	nServices := files - nModels
	const perPkg = 20
	write := func(rel string, data []byte) error {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("mkdir: %w", err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", rel, err)
		}
		return nil
	}
	if err := write("go.mod", []byte(goMod)); err != nil {
		return 0, err
	}
	if err := write("go.sum", []byte(goSum)); err != nil {
		return 0, err
	}
	render := func(t *template.Template, data any) ([]byte, error) {
		var b bytes.Buffer
		if err := t.Execute(&b, data); err != nil {
			return nil, fmt.Errorf("render %s: %w", t.Name(), err)
		}
		src, err := format.Source(b.Bytes())
		if err != nil {
			return nil, fmt.Errorf("format %s: %w", t.Name(), err)
		}
		return src, nil
	}
	n := 0
	modelName := func(i int) string { return fmt.Sprintf("Entity%03d", i) }
	for i := 0; i < nModels; i++ {
		src, err := render(modelTmpl, map[string]any{"Name": modelName(i), "I": i, "Custom": i%3 == 0,
			"Table": fmt.Sprintf("entity%03ds", i)})
		if err != nil {
			return n, err
		}
		if err := write(fmt.Sprintf("models/model%03d.go", i), src); err != nil {
			return n, err
		}
		n++
	}
	for i := 0; i < nServices; i++ {
		pkg := fmt.Sprintf("svc%02d", i/perPkg)
		m := i % nModels
		src, err := render(serviceTmpl, map[string]any{
			"Pkg": pkg, "Svc": fmt.Sprintf("Service%04d", i), "Model": modelName(m), "I": i,
			"Table": fmt.Sprintf("entity%03ds", m),
		})
		if err != nil {
			return n, err
		}
		if err := write(fmt.Sprintf("%s/service%04d.go", pkg, i), src); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
