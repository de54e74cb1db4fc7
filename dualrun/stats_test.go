package dualrun

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", without dualrun's Tracer
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ormshift/ormshift/internal/pgtest"
)

func TestGormPluginCountsStatements(t *testing.T) {
	pg := pgtest.New(t)
	db, err := sql.Open("pgx", pg.DSN) // no Tracer: only the plugin counts
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	gdb, err := gorm.Open(postgres.New(postgres.Config{Conn: db}), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := gdb.Use(GormPlugin{}); err != nil {
		t.Fatal(err)
	}
	if err := gdb.Exec("CREATE TABLE authors (id bigserial PRIMARY KEY, name text NOT NULL, created_at timestamptz, updated_at timestamptz)").Error; err != nil {
		t.Fatal(err)
	}
	ch, opts := collect()
	exp := New[int64]("gorm.count", opts...)
	n, err := exp.Run(context.Background(), func(ctx context.Context) (int64, error) {
		if err := gdb.WithContext(ctx).Create(&Author{Name: "ann"}).Error; err != nil {
			return 0, err
		}
		var n int64
		err := gdb.WithContext(ctx).Model(&Author{}).Where("name = ?", "ann").Count(&n).Error
		return n, err
	}, func(ctx context.Context) (int64, error) { return 1, nil })
	if err != nil || n != 1 {
		t.Fatal(n, err)
	}
	r := waitResult(t, ch)
	r.finish()
	if r.Control.Stats.Statements != 2 || len(r.Control.Stats.Fingerprints) != 2 {
		t.Errorf("control stats = %+v, want 2 statements of 2 shapes", r.Control.Stats)
	}
	for fp, q := range r.Control.Stats.Queries {
		if strings.HasPrefix(fp, "text:") {
			t.Errorf("statement %q did not parse for its fingerprint", q)
		}
	}
}

func TestFingerprintGroupsStatementShapes(t *testing.T) {
	a := Fingerprint("SELECT * FROM packages WHERE id = $1")
	b := Fingerprint("select *   from packages where id = $1")
	c := Fingerprint("SELECT * FROM versions WHERE id = $1")
	if a != b || a == c || strings.HasPrefix(a, "text:") {
		t.Errorf("fingerprints: %q %q %q", a, b, c)
	}
	if bad := Fingerprint("SELEC nonsense"); !strings.HasPrefix(bad, "text:") {
		t.Errorf("unparsable statement: %q", bad)
	}
}

func TestSlogPublisher(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	exp := New[int]("slogged", WithPublisher(Slog{Logger: l}), Context(map[string]string{"env": "staging"}))
	_, _ = exp.Run(context.Background(), func(context.Context) (int, error) { return 1, nil }, func(context.Context) (int, error) { return 2, nil })
	_, _ = exp.Run(context.Background(), func(context.Context) (int, error) { return 1, nil }, func(context.Context) (int, error) { return 0, errors.New("boom") })
	out := buf.String()
	for _, want := range []string{"level=WARN msg=\"dualrun mismatched\"", "experiment=slogged", "ctx.env=staging", "control 1, candidate 2", "candidate_error=boom"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
