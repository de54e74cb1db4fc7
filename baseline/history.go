package baseline

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Tool is a migration tool whose file layout and history table baseline
// knows.
type Tool string

// The supported tools.
const (
	Goose         Tool = "goose"
	GolangMigrate Tool = "golang-migrate"
	Dbmate        Tool = "dbmate"
	Flyway        Tool = "flyway"
	Atlas         Tool = "atlas"
	Ormshift      Tool = "ormshift"
)

// Tools lists the supported tools.
var Tools = []Tool{Goose, GolangMigrate, Dbmate, Flyway, Atlas, Ormshift}

// ParseTool checks a tool name.
func ParseTool(s string) (Tool, error) {
	for _, t := range Tools {
		if string(t) == s {
			return t, nil
		}
	}
	names := make([]string, len(Tools))
	for i, t := range Tools {
		names[i] = string(t)
	}
	return "", fmt.Errorf("unknown tool %q: want one of %s", s, strings.Join(names, ", "))
}

// File is a migration file to write.
type File struct {
	Name    string
	Content []byte
}

// Migration is a baseline migration for one tool.
type Migration struct {
	Tool        Tool
	Version     string
	Description string
	Files       []File // the migration itself, first; then any sidecar (atlas.sum)
	// Checksum is the value recorded in the history table (Flyway's CRC32,
	// Atlas's h1 hash, ormshift's SHA-256), empty when the tool has none.
	Checksum string
}

// DefaultVersion is the version a tool's own "create" command would give a
// first migration: a UTC timestamp, except Flyway's V1.
func DefaultVersion(t Tool, now time.Time) string {
	if t == Flyway {
		return "1"
	}
	return now.UTC().Format("20060102150405")
}

var versionRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*$`)
var nameRE = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// NewMigration lays out the baseline DDL as the tool's migration file(s).
// dir is read only for Atlas, whose atlas.sum covers every file.
func NewMigration(t Tool, version, name, ddl, dir string) (*Migration, error) {
	if !versionRE.MatchString(version) || (t != Flyway && strings.Contains(version, ".")) {
		return nil, fmt.Errorf("version %q: want digits%s", version, map[bool]string{true: " (dots allowed)", false: ""}[t == Flyway])
	}
	if !nameRE.MatchString(name) {
		return nil, fmt.Errorf("name %q: want letters, digits and underscores", name)
	}
	m := &Migration{Tool: t, Version: version, Description: strings.ReplaceAll(name, "_", " ")}
	body := strings.TrimRight(ddl, "\n") + "\n"
	switch t {
	case Goose:
		c := "-- +goose Up\n-- +goose StatementBegin\n" + body + "-- +goose StatementEnd\n\n-- +goose Down\n-- A baseline has no down migration.\n"
		m.Files = []File{{Name: version + "_" + name + ".sql", Content: []byte(c)}}
	case GolangMigrate:
		m.Files = []File{{Name: version + "_" + name + ".up.sql", Content: []byte(body)}}
	case Dbmate:
		c := "-- migrate:up\n" + body + "\n-- migrate:down\n"
		m.Files = []File{{Name: version + "_" + name + ".sql", Content: []byte(c)}}
	case Flyway:
		f := File{Name: "V" + version + "__" + name + ".sql", Content: []byte(body)}
		m.Files = []File{f}
		m.Checksum = strconv.Itoa(int(FlywayChecksum(f.Content)))
	case Atlas:
		f := File{Name: version + "_" + name + ".sql", Content: []byte(body)}
		sum, hash, err := atlasSum(dir, f)
		if err != nil {
			return nil, err
		}
		m.Files = []File{f, {Name: "atlas.sum", Content: sum}}
		m.Checksum = hash
	case Ormshift:
		f := File{Name: version + "_" + name + ".up.sql", Content: []byte(body)}
		m.Files = []File{f}
		h := sha256.Sum256(f.Content)
		m.Checksum = hex.EncodeToString(h[:])
	default:
		return nil, fmt.Errorf("unknown tool %q", t)
	}
	return m, nil
}

// FlywayChecksum is Flyway's checksum of a SQL migration: the CRC32 of its
// lines without line terminators (and without a leading byte-order mark),
// as a signed 32-bit integer.
func FlywayChecksum(content []byte) int32 {
	h := crc32.NewIEEE()
	sc := bufio.NewScanner(bytes.NewReader(content))
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	first := true
	for sc.Scan() {
		line := sc.Bytes()
		if first {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
			first = false
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		h.Write(line)
	}
	return int32(h.Sum32())
}

// atlasSum computes atlas.sum for the .sql files of dir plus f, the way
// Atlas does: a running SHA-256 over each file's name and bytes in name
// order; it returns the file and f's own hash.
func atlasSum(dir string, f File) ([]byte, string, error) {
	files := map[string][]byte{f.Name: f.Content}
	if dir != "" {
		ents, err := os.ReadDir(dir)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, "", fmt.Errorf("read %s: %w", dir, err)
		}
		for _, e := range ents {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") || e.Name() == f.Name {
				continue
			}
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, "", fmt.Errorf("read %s: %w", e.Name(), err)
			}
			files[e.Name()] = b
		}
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	type nh struct{ n, h string }
	var hs []nh
	var own string
	for _, n := range names {
		h.Write([]byte(n))
		h.Write(files[n])
		s := base64.StdEncoding.EncodeToString(h.Sum(nil))
		hs = append(hs, nh{n, s})
		if n == f.Name {
			own = s
		}
	}
	total := sha256.New()
	var body bytes.Buffer
	for _, x := range hs {
		total.Write([]byte(x.n))
		total.Write([]byte(x.h))
		fmt.Fprintf(&body, "%s h1:%s\n", x.n, x.h)
	}
	out := "h1:" + base64.StdEncoding.EncodeToString(total.Sum(nil)) + "\n" + body.String()
	return []byte(out), own, nil
}

// WriteFiles writes the migration's files into dir, each through a temporary
// file and a rename. It refuses to overwrite an existing migration file
// (atlas.sum is rewritten). On error, files already written are removed.
func (m *Migration) WriteFiles(dir string) (written []string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	for _, f := range m.Files {
		p := filepath.Join(dir, f.Name)
		if f.Name != "atlas.sum" {
			if _, err := os.Stat(p); err == nil {
				return nil, fmt.Errorf("%s already exists; not overwritten", p)
			}
		}
	}
	defer func() {
		if err != nil {
			for _, p := range written {
				if filepath.Base(p) != "atlas.sum" {
					_ = os.Remove(p) // best effort: undo a partial write
				}
			}
			written = nil
		}
	}()
	for _, f := range m.Files {
		p := filepath.Join(dir, f.Name)
		if err := writeAtomic(p, f.Content); err != nil {
			return written, err
		}
		written = append(written, p)
	}
	return written, nil
}

func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	name := tmp.Name()
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(name, 0o644)
	}
	if werr == nil {
		werr = os.Rename(name, path)
	}
	if werr != nil {
		_ = os.Remove(name)
		return fmt.Errorf("write %s: %w", path, werr)
	}
	return nil
}

// historyTable describes a tool's history table.
type historyTable struct {
	schema string // "" = current schema
	name   string
	create []string
	// shape is the column names and information_schema data types.
	shape map[string]string
}

func (h historyTable) qname() string {
	if h.schema == "" {
		return quoteIdent(h.name)
	}
	return qualify(h.schema, h.name)
}

var histories = map[Tool]historyTable{
	Goose: {name: "goose_db_version",
		create: []string{`CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL DEFAULT now(), PRIMARY KEY (id))`},
		shape:  map[string]string{"id": "integer", "version_id": "bigint", "is_applied": "boolean", "tstamp": "timestamp without time zone"}},
	GolangMigrate: {name: "schema_migrations",
		create: []string{`CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)`},
		shape:  map[string]string{"version": "bigint", "dirty": "boolean"}},
	Dbmate: {name: "schema_migrations",
		create: []string{`CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY)`},
		shape:  map[string]string{"version": "character varying"}},
	Flyway: {name: "flyway_schema_history",
		create: []string{`CREATE TABLE flyway_schema_history (
    installed_rank integer NOT NULL,
    version varchar(50),
    description varchar(200) NOT NULL,
    type varchar(20) NOT NULL,
    script varchar(1000) NOT NULL,
    checksum integer,
    installed_by varchar(100) NOT NULL,
    installed_on timestamp NOT NULL DEFAULT now(),
    execution_time integer NOT NULL,
    success boolean NOT NULL,
    CONSTRAINT flyway_schema_history_pk PRIMARY KEY (installed_rank))`,
			`CREATE INDEX flyway_schema_history_s_idx ON flyway_schema_history (success)`},
		shape: map[string]string{"installed_rank": "integer", "version": "character varying", "description": "character varying",
			"type": "character varying", "script": "character varying", "checksum": "integer", "installed_by": "character varying",
			"installed_on": "timestamp without time zone", "execution_time": "integer", "success": "boolean"}},
	Atlas: {schema: "atlas_schema_revisions", name: "atlas_schema_revisions",
		create: []string{`CREATE SCHEMA IF NOT EXISTS atlas_schema_revisions`,
			`CREATE TABLE atlas_schema_revisions.atlas_schema_revisions (version character varying NOT NULL, description character varying NOT NULL, type bigint NOT NULL DEFAULT 2, applied bigint NOT NULL DEFAULT 0, total bigint NOT NULL DEFAULT 0, executed_at timestamptz NOT NULL, execution_time bigint NOT NULL, error text NULL, error_stmt text NULL, hash character varying NOT NULL, partial_hashes jsonb NULL, operator_version character varying NOT NULL, PRIMARY KEY (version))`},
		shape: map[string]string{"version": "character varying", "description": "character varying", "type": "bigint", "applied": "bigint",
			"total": "bigint", "executed_at": "timestamp with time zone", "execution_time": "bigint", "error": "text", "error_stmt": "text",
			"hash": "character varying", "partial_hashes": "jsonb", "operator_version": "character varying"}},
	Ormshift: {name: "ormshift_schema_history",
		create: []string{`CREATE TABLE ormshift_schema_history (
    version text PRIMARY KEY,
    description text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('baseline', 'migration')),
    checksum text NOT NULL,
    applied_by text NOT NULL DEFAULT current_user,
    applied_at timestamptz NOT NULL DEFAULT now())`},
		shape: map[string]string{"version": "text", "description": "text", "kind": "text", "checksum": "text", "applied_by": "text", "applied_at": "timestamp with time zone"}},
}

// HistoryTableError reports a history table that cannot take the baseline.
type HistoryTableError struct {
	Table  string
	Reason string
}

func (e *HistoryTableError) Error() string { return "history table " + e.Table + ": " + e.Reason }

// tableShape returns the columns of a table (nil if it does not exist).
func tableShape(ctx context.Context, tx pgx.Tx, schema, name string) (map[string]string, error) {
	q := `SELECT column_name::text, data_type::text FROM information_schema.columns WHERE table_name = $1 AND table_schema = `
	args := []any{name}
	if schema == "" {
		q += `current_schema()`
	} else {
		q += `$2`
		args = append(args, schema)
	}
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var col, typ string
	m := map[string]string{}
	_, err = pgx.ForEachRow(rows, []any{&col, &typ}, func() error { m[col] = typ; return nil })
	if err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}

func sameShape(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// shapeOwner names the tool whose history table has this shape.
func shapeOwner(name string, shape map[string]string) string {
	for _, t := range Tools {
		h := histories[t]
		if h.name == name && sameShape(h.shape, shape) {
			return string(t)
		}
	}
	return "an unknown tool"
}

// MarkOptions tune Mark.
type MarkOptions struct {
	// Force records the baseline even when the history table has rows, or
	// another tool's history table has rows.
	Force bool
	// AppliedBy is recorded where the tool records a user (Flyway).
	AppliedBy string
}

// Mark records m as applied in its tool's history table, creating the table
// with the tool's own shape when missing, all in tx. It refuses when the
// table has another tool's shape, and (unless opts.Force) when it already
// has rows or another tool's history table has rows.
func (m *Migration) Mark(ctx context.Context, tx pgx.Tx, opts MarkOptions) error {
	h := histories[m.Tool]
	shape, err := tableShape(ctx, tx, h.schema, h.name)
	if err != nil {
		return fmt.Errorf("read history table %s: %w", h.qname(), err)
	}
	if shape != nil && !sameShape(shape, h.shape) {
		return &HistoryTableError{Table: h.qname(), Reason: fmt.Sprintf("exists with the shape of %s's history table, not %s's; nothing recorded", shapeOwner(h.name, shape), m.Tool)}
	}
	if !opts.Force {
		for _, t := range Tools {
			o := histories[t]
			if t == m.Tool || o.name == h.name && o.schema == h.schema {
				continue
			}
			s, err := tableShape(ctx, tx, o.schema, o.name)
			if err != nil {
				return fmt.Errorf("read history table %s: %w", o.qname(), err)
			}
			if s != nil && sameShape(s, o.shape) {
				var n int64
				if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+o.qname()).Scan(&n); err != nil {
					return fmt.Errorf("count %s: %w", o.qname(), err)
				}
				if n > 0 {
					return &HistoryTableError{Table: o.qname(), Reason: fmt.Sprintf("%s's history table has %d rows: this database is already managed by %s (use --force to record the %s baseline anyway)", t, n, t, m.Tool)}
				}
			}
		}
	}
	if shape == nil {
		for _, st := range h.create {
			if _, err := tx.Exec(ctx, st); err != nil {
				return fmt.Errorf("create history table %s: %w", h.qname(), err)
			}
		}
		if m.Tool == Goose {
			// goose records version 0 when it creates its table.
			if _, err := tx.Exec(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true)`); err != nil {
				return fmt.Errorf("record goose version 0: %w", err)
			}
		}
	} else {
		var n int64
		q := "SELECT count(*) FROM " + h.qname()
		if m.Tool == Goose {
			q += " WHERE version_id <> 0"
		}
		if err := tx.QueryRow(ctx, q).Scan(&n); err != nil {
			return fmt.Errorf("count %s: %w", h.qname(), err)
		}
		if n > 0 && !opts.Force {
			return &HistoryTableError{Table: h.qname(), Reason: fmt.Sprintf("already has %d applied migration(s); refusing to record a baseline (use --force)", n)}
		}
	}
	by := opts.AppliedBy
	var stmt string
	var args []any
	switch m.Tool {
	case Goose:
		v, _ := strconv.ParseInt(m.Version, 10, 64)
		stmt, args = `INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)`, []any{v}
	case GolangMigrate:
		v, _ := strconv.ParseInt(m.Version, 10, 64)
		// golang-migrate keeps exactly one row: the current version.
		if _, err := tx.Exec(ctx, `DELETE FROM schema_migrations`); err != nil {
			return fmt.Errorf("record baseline: %w", err)
		}
		stmt, args = `INSERT INTO schema_migrations (version, dirty) VALUES ($1, false)`, []any{v}
	case Dbmate:
		stmt, args = `INSERT INTO schema_migrations (version) VALUES ($1) ON CONFLICT DO NOTHING`, []any{m.Version}
	case Flyway:
		ck, _ := strconv.ParseInt(m.Checksum, 10, 32)
		stmt = `INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
VALUES ((SELECT coalesce(max(installed_rank), 0) + 1 FROM flyway_schema_history), $1, $2, 'SQL', $3, $4, coalesce(nullif($5, ''), current_user), 0, true)`
		args = []any{m.Version, m.Description, m.Files[0].Name, int32(ck), by}
	case Atlas:
		stmt = `INSERT INTO atlas_schema_revisions.atlas_schema_revisions (version, description, type, applied, total, executed_at, execution_time, hash, operator_version)
VALUES ($1, $2, 1, 0, 0, now(), 0, $3, 'ormshift')
ON CONFLICT (version) DO UPDATE SET description = EXCLUDED.description, type = 1, hash = EXCLUDED.hash, executed_at = now()`
		args = []any{m.Version, m.Description, m.Checksum}
	case Ormshift:
		stmt = `INSERT INTO ormshift_schema_history (version, description, kind, checksum) VALUES ($1, $2, 'baseline', $3)
ON CONFLICT (version) DO UPDATE SET description = EXCLUDED.description, kind = 'baseline', checksum = EXCLUDED.checksum, applied_at = now()`
		args = []any{m.Version, m.Description, m.Checksum}
	}
	if _, err := tx.Exec(ctx, stmt, args...); err != nil {
		return fmt.Errorf("record baseline in %s: %w", h.qname(), err)
	}
	return nil
}

// HistoryTableNames lists every tool's history table (qualified), so that
// inspection for a baseline can leave them out.
func HistoryTableNames() []QName {
	var out []QName
	seen := map[QName]bool{}
	for _, t := range Tools {
		h := histories[t]
		q := QName{Schema: h.schema, Name: h.name}
		if !seen[q] {
			seen[q] = true
			out = append(out, q)
		}
	}
	return out
}
