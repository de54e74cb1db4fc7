package baseline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// CreateOptions configure Create.
type CreateOptions struct {
	Tool    Tool
	Dir     string // migrations folder
	Version string // default: DefaultVersion(Tool, now)
	Name    string // default: "baseline"
	// Mark records the baseline as applied in the tool's history table, in
	// the same transaction that decides whether the files are kept.
	Mark bool
	// Force records the baseline even when the history table has rows, and
	// writes it even when the folder already holds migrations.
	Force bool
	// Include and Exclude select schemas and tables (see Schema.Filter).
	Include, Exclude []string
	Now              time.Time
}

// CreateResult is what Create did.
type CreateResult struct {
	Tool      Tool           `json:"tool"`
	Version   string         `json:"version"`
	Files     []string       `json:"files"`
	Marked    bool           `json:"marked"`
	History   string         `json:"history_table,omitempty"`
	Counts    map[string]int `json:"counts"`
	Skipped   []Skipped      `json:"skipped,omitempty"`
	Unmanaged []string       `json:"unmanaged,omitempty"`
}

// Create inspects the database behind conn, writes its schema as the tool's
// baseline migration into opts.Dir and, with opts.Mark, records it as
// applied. Either everything happens or nothing: the files are written
// inside the history transaction and removed again if it does not commit.
func Create(ctx context.Context, conn *pgx.Conn, opts CreateOptions) (*CreateResult, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.Version == "" {
		opts.Version = DefaultVersion(opts.Tool, opts.Now)
	}
	if opts.Name == "" {
		opts.Name = "baseline"
	}
	if opts.Dir == "" {
		return nil, fmt.Errorf("no migrations folder given")
	}
	if !opts.Force {
		// A baseline starts a history: older files left next to it would be
		// applied after it by the tool, over a schema that already has them.
		if ents, err := os.ReadDir(opts.Dir); err == nil {
			var existing []string
			for _, e := range ents {
				if !e.IsDir() && strings.HasSuffix(e.Name(), ".sql") {
					existing = append(existing, e.Name())
				}
			}
			if len(existing) > 0 {
				return nil, fmt.Errorf("%s already holds %d migration file(s) (%s...): a baseline starts a new history; use an empty folder, or --force", opts.Dir, len(existing), existing[0])
			}
		}
	}
	s, err := Inspect(ctx, conn)
	if err != nil {
		return nil, err
	}
	s.WithoutHistoryTables()
	if err := s.Filter(opts.Include, opts.Exclude); err != nil {
		return nil, err
	}
	m, err := NewMigration(opts.Tool, opts.Version, opts.Name, WriteSQL(s), opts.Dir)
	if err != nil {
		return nil, err
	}
	res := &CreateResult{Tool: opts.Tool, Version: opts.Version, Counts: s.Counts(), Skipped: s.Skipped, Unmanaged: s.Unmanaged}
	if !opts.Mark {
		files, err := m.WriteFiles(opts.Dir)
		if err != nil {
			return nil, err
		}
		res.Files = files
		return res, nil
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin history transaction: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	if err := m.Mark(ctx, tx, MarkOptions{Force: opts.Force}); err != nil {
		return nil, err
	}
	files, err := m.WriteFiles(opts.Dir)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		for _, f := range files {
			if filepath.Base(f) != "atlas.sum" {
				_ = os.Remove(f) // best effort: the files must not outlive the failed transaction
			}
		}
		return nil, fmt.Errorf("commit history transaction (files removed again): %w", err)
	}
	h := histories[opts.Tool]
	res.Files, res.Marked, res.History = files, true, h.qname()
	return res, nil
}

// savepointBeginner lets Inspect run inside an open transaction (as a
// savepoint), so that ApplyAndInspect can roll everything back afterwards.
type savepointBeginner struct{ tx pgx.Tx }

func (s savepointBeginner) BeginTx(ctx context.Context, _ pgx.TxOptions) (pgx.Tx, error) {
	return s.tx.Begin(ctx)
}

// ApplyAndInspect applies the "up" part of every migration in dir to the
// database behind conn, in one transaction, inspects the result and rolls
// the transaction back: the scratch database is left as it was. It must be
// empty (no tables, views, types or functions of its own).
func ApplyAndInspect(ctx context.Context, conn *pgx.Conn, dir string, layout Layout) (*Schema, error) {
	files, _, err := ReadMigrations(dir, layout)
	if err != nil {
		return nil, err
	}
	before, err := Inspect(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("dev database: %w", err)
	}
	if n := len(before.Tables) + len(before.Views) + len(before.Functions) + len(before.Enums) + len(before.Domains); n > 0 {
		return nil, fmt.Errorf("dev database is not empty (%d objects): give an empty scratch database", n)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("dev database: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // always rolled back: the dev database stays empty
	for _, f := range files {
		if _, err := tx.Exec(ctx, f.Up); err != nil {
			return nil, fmt.Errorf("apply %s to dev database: %w", f.Path, err)
		}
	}
	s, err := Inspect(ctx, savepointBeginner{tx})
	if err != nil {
		return nil, err
	}
	s.WithoutHistoryTables()
	return s, nil
}
