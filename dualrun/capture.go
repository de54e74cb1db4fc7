package dualrun

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Schema is the schema `dualrun install` creates: the capture function, the
// effects table the triggers write to, and the results table of the
// Postgres publisher.
const Schema = "ormshift_dualrun"

// TriggerName is the name of the capture trigger on every captured table.
const TriggerName = "ormshift_dualrun_capture"

// PhaseSetting is the session setting that marks the phase (the candidate's
// or the control's) whose row effects the triggers capture. Outside an
// experiment it is unset and the triggers do nothing.
const PhaseSetting = "ormshift.dualrun_phase"

const installSQL = `
CREATE SCHEMA IF NOT EXISTS ormshift_dualrun;
CREATE TABLE IF NOT EXISTS ormshift_dualrun.effects (
	id           bigserial PRIMARY KEY,
	txid         bigint NOT NULL DEFAULT txid_current(),
	phase        text NOT NULL,
	table_schema text NOT NULL,
	table_name   text NOT NULL,
	op           "char" NOT NULL,
	old_row      jsonb,
	new_row      jsonb
);
CREATE INDEX IF NOT EXISTS effects_phase ON ormshift_dualrun.effects (phase);
CREATE TABLE IF NOT EXISTS ormshift_dualrun.results (
	id          bigserial PRIMARY KEY,
	experiment  text NOT NULL,
	recorded_at timestamptz NOT NULL,
	result      jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS results_experiment ON ormshift_dualrun.results (experiment, recorded_at);
CREATE OR REPLACE FUNCTION ormshift_dualrun.capture() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	phase text := current_setting('ormshift.dualrun_phase', true);
BEGIN
	IF phase IS NULL OR phase = '' THEN
		RETURN NULL;
	END IF;
	INSERT INTO ormshift_dualrun.effects (phase, table_schema, table_name, op, old_row, new_row)
	VALUES (phase, TG_TABLE_SCHEMA, TG_TABLE_NAME, left(TG_OP, 1),
		CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,
		CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
	RETURN NULL;
END
$$;
CREATE TABLE IF NOT EXISTS ormshift_dualrun.guard (armed_at timestamptz NOT NULL DEFAULT now());
CREATE OR REPLACE FUNCTION ormshift_dualrun.guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF current_setting('ormshift.dualrun_guard', true) = 'armed' THEN
		RAISE EXCEPTION 'ormshift dualrun: a write candidate tried to commit the shared transaction (or ran SET CONSTRAINTS ALL IMMEDIATE); its changes are rolled back';
	END IF;
	RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS ormshift_dualrun_guard ON ormshift_dualrun.guard;
CREATE CONSTRAINT TRIGGER ormshift_dualrun_guard AFTER INSERT ON ormshift_dualrun.guard
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ormshift_dualrun.guard();
`

// DefaultLockTimeout bounds how long install and uninstall wait for the
// lock that creating or dropping a trigger takes on a table (while they
// wait, PostgreSQL queues the table's writers behind them).
const DefaultLockTimeout = 5 * time.Second

// InstallOptions tunes Install and Uninstall.
type InstallOptions struct {
	// LockTimeout bounds each wait for a table lock (DefaultLockTimeout
	// when zero); on a busy table, retry later rather than stall writers.
	LockTimeout time.Duration
}

func (o InstallOptions) lockTimeout() string {
	d := o.LockTimeout
	if d <= 0 {
		d = DefaultLockTimeout
	}
	return fmt.Sprintf("SET LOCAL lock_timeout = '%dms'", d.Milliseconds())
}

// Install sets up row-effect capture on the given tables ("name" or
// "schema.name"), in one transaction: the ormshift_dualrun schema, its
// tables, capture function and commit guard, and an AFTER
// INSERT/UPDATE/DELETE FOR EACH ROW trigger on every table. It is
// idempotent. It returns the tables, qualified. A table that does not exist
// (or is not a table) is an error naming it, and nothing is installed.
func Install(ctx context.Context, conn *pgx.Conn, tables []string, opts ...InstallOptions) ([]string, error) {
	if len(tables) == 0 {
		return nil, errors.New("dualrun install: no tables given")
	}
	var o InstallOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("dualrun install: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, o.lockTimeout()); err != nil {
		return nil, fmt.Errorf("dualrun install: %w", err)
	}
	if _, err := tx.Exec(ctx, installSQL); err != nil {
		return nil, fmt.Errorf("dualrun install: create schema %s: %w", Schema, err)
	}
	var done []string
	for _, t := range tables {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		var qualified *string
		var kind string
		err := tx.QueryRow(ctx, `SELECT format('%I.%I', n.nspname, c.relname), c.relkind::text
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE c.oid = to_regclass($1)`, t).Scan(&qualified, &kind)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && qualified == nil) {
			return nil, fmt.Errorf("dualrun install: table %q does not exist", t)
		}
		if err != nil {
			return nil, fmt.Errorf("dualrun install: look up table %q: %w", t, err)
		}
		if kind != "r" && kind != "p" {
			return nil, fmt.Errorf("dualrun install: %s is not a table (relkind %s)", *qualified, kind)
		}
		if strings.HasPrefix(*qualified, Schema+".") {
			return nil, fmt.Errorf("dualrun install: %s is dualrun's own table", *qualified)
		}
		if _, err := tx.Exec(ctx, "DROP TRIGGER IF EXISTS "+TriggerName+" ON "+*qualified); err != nil {
			return nil, fmt.Errorf("dualrun install: %s: %w", *qualified, err)
		}
		if _, err := tx.Exec(ctx, "CREATE TRIGGER "+TriggerName+" AFTER INSERT OR UPDATE OR DELETE ON "+*qualified+
			" FOR EACH ROW EXECUTE FUNCTION ormshift_dualrun.capture()"); err != nil {
			return nil, fmt.Errorf("dualrun install: create trigger on %s: %w", *qualified, err)
		}
		done = append(done, *qualified)
	}
	if len(done) == 0 {
		return nil, errors.New("dualrun install: no tables given")
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("dualrun install: commit: %w", err)
	}
	return done, nil
}

// CapturedTables lists the tables that carry the capture trigger.
func CapturedTables(ctx context.Context, q interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT format('%I.%I', n.nspname, c.relname)
		FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE t.tgname = $1 ORDER BY 1`, TriggerName)
	if err != nil {
		return nil, fmt.Errorf("list captured tables: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list captured tables: %w", err)
	}
	return out, nil
}

// Uninstall removes every capture trigger, the capture and guard functions
// and the effects and guard tables, in one transaction. The results table
// (and so the schema) is kept unless dropResults is set; then the schema is
// dropped too, but never with CASCADE: an object someone else put in it is
// an error, not a silent loss. It returns the tables it detached.
func Uninstall(ctx context.Context, conn *pgx.Conn, dropResults bool, opts ...InstallOptions) ([]string, error) {
	var o InstallOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("dualrun uninstall: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, o.lockTimeout()); err != nil {
		return nil, fmt.Errorf("dualrun uninstall: %w", err)
	}
	tables, err := CapturedTables(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("dualrun uninstall: %w", err)
	}
	for _, t := range tables {
		//ormshift:ignore sqlinject t is quoted by format('%I.%I') in CapturedTables
		if _, err := tx.Exec(ctx, "DROP TRIGGER IF EXISTS "+TriggerName+" ON "+t); err != nil {
			return nil, fmt.Errorf("dualrun uninstall: drop trigger on %s: %w", t, err)
		}
	}
	stmt := `DROP FUNCTION IF EXISTS ormshift_dualrun.capture();
		DROP TABLE IF EXISTS ormshift_dualrun.effects;
		DROP TABLE IF EXISTS ormshift_dualrun.guard;
		DROP FUNCTION IF EXISTS ormshift_dualrun.guard()`
	if dropResults {
		stmt += `; DROP TABLE IF EXISTS ormshift_dualrun.results; DROP SCHEMA IF EXISTS ormshift_dualrun`
	}
	if _, err := tx.Exec(ctx, stmt); err != nil {
		return nil, fmt.Errorf("dualrun uninstall: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("dualrun uninstall: commit: %w", err)
	}
	return tables, nil
}

// Effect is one captured row change.
type Effect struct {
	Seq    int64          `json:"-"`
	Table  string         `json:"table"` // schema.table
	Op     byte           `json:"-"`     // 'I', 'U' or 'D'
	Old    map[string]any `json:"old,omitempty"`
	New    map[string]any `json:"new,omitempty"`
	oldRaw []byte
	newRaw []byte
}

// readEffectsSQL takes the captured rows of one phase out of the effects
// table (so the control's, which commit, do not accumulate).
const readEffectsSQL = `DELETE FROM ormshift_dualrun.effects WHERE phase = $1
	RETURNING id, format('%I.%I', table_schema, table_name), op::text, old_row::text, new_row::text`

func scanEffects(rows pgx.Rows) ([]Effect, error) {
	defer rows.Close()
	var out []Effect
	for rows.Next() {
		var e Effect
		var op string
		var oldRow, newRow *string
		if err := rows.Scan(&e.Seq, &e.Table, &op, &oldRow, &newRow); err != nil {
			return nil, fmt.Errorf("read captured effects: %w", err)
		}
		if op != "" {
			e.Op = op[0]
		}
		if oldRow != nil {
			e.oldRaw = []byte(*oldRow)
		}
		if newRow != nil {
			e.newRaw = []byte(*newRow)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read captured effects: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out, nil
}

// tableMeta is what normalisation needs to know about a table.
type tableMeta struct {
	pk         []string
	generated  map[string]bool   // serial/identity columns
	timestamps map[string]bool   // timestamp / timestamptz columns
	fks        map[string]string // column -> referenced table (single-column references to its key)
}

const catalogSQL = `
SELECT format('%I.%I', n.nspname, c.relname),
	coalesce((SELECT array_agg(a.attname::text ORDER BY k.ord)
		FROM pg_index i, unnest(i.indkey) WITH ORDINALITY k(attnum, ord), pg_attribute a
		WHERE i.indrelid = c.oid AND i.indisprimary AND a.attrelid = c.oid AND a.attnum = k.attnum), '{}'),
	coalesce((SELECT array_agg(a.attname::text) FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		AND (a.attidentity <> '' OR pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%')), '{}'),
	coalesce((SELECT array_agg(a.attname::text) FROM pg_attribute a
		WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		AND a.atttypid IN ('timestamp'::regtype, 'timestamptz'::regtype)), '{}'),
	coalesce((SELECT array_agg(a.attname::text || '=' || format('%I.%I', fn.nspname, fc.relname))
		FROM pg_constraint f JOIN pg_class fc ON fc.oid = f.confrelid JOIN pg_namespace fn ON fn.oid = fc.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = f.conkey[1]
		WHERE f.conrelid = c.oid AND f.contype = 'f' AND array_length(f.conkey, 1) = 1), '{}')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE format('%I.%I', n.nspname, c.relname) = ANY($1)`

func loadCatalog(ctx context.Context, q interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}, tables []string) (map[string]*tableMeta, error) {
	rows, err := q.Query(ctx, catalogSQL, tables)
	if err != nil {
		return nil, fmt.Errorf("read catalog of %s: %w", strings.Join(tables, ", "), err)
	}
	defer rows.Close()
	out := map[string]*tableMeta{}
	for rows.Next() {
		var name string
		var pk, gen, ts, fks []string
		if err := rows.Scan(&name, &pk, &gen, &ts, &fks); err != nil {
			return nil, fmt.Errorf("read catalog: %w", err)
		}
		m := &tableMeta{pk: pk, generated: set(gen), timestamps: set(ts), fks: map[string]string{}}
		for _, f := range fks {
			col, ref, _ := strings.Cut(f, "=")
			m.fks[col] = ref
		}
		out[name] = m
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	return out, nil
}

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}
