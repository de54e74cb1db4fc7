package dualrun

import (
	"context"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"sync"

	"github.com/ormshift/ormshift/internal/sqltext"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// Stats is the statement capture of one path of one run: how many SQL
// statements it sent, in how many round trips to the server, and which
// statements (grouped by pg_query fingerprint).
type Stats struct {
	Statements int `json:"statements"`
	RoundTrips int `json:"round_trips"`
	// RowsWritten is the sum of the rows the path's INSERT, UPDATE, DELETE,
	// MERGE and COPY statements reported (from their command tags; needs
	// the Tracer). Write experiments check it against the captured effects.
	RowsWritten int `json:"rows_written,omitempty"`
	// Elsewhere counts the path's statements that ran on another
	// connection than the one the shim gave it (write experiments).
	Elsewhere int `json:"elsewhere,omitempty"`
	// Fingerprints maps a pg_query fingerprint to the number of statements
	// of that shape. Filled when the result is published (fingerprinting is
	// kept off the caller's path).
	Fingerprints map[string]int `json:"fingerprints,omitempty"`
	// Queries holds one example text per fingerprint (the first seen).
	Queries map[string]string `json:"queries,omitempty"`

	sqls []string // raw statements, fingerprinted later
}

// recorder collects the statements of one path. The pgx Tracer and the GORM
// plugin find it in the context the path runs with.
type recorder struct {
	mu         sync.Mutex
	statements int
	roundTrips int
	written    int
	home       uint32 // backend PID the path should use (0: any)
	elsewhere  int
	sqls       []string
	sqlBytes   int
}

// maxRecordedSQL and maxRecordedSQLBytes bound the statements kept per
// path for fingerprinting (a result waits in the publisher's queue with
// them); counts go on past them.
const (
	maxRecordedSQL      = 256
	maxRecordedSQLBytes = 256 << 10
)

func (r *recorder) add(sql string, statements, roundTrips int) {
	r.mu.Lock()
	r.statements += statements
	r.roundTrips += roundTrips
	r.keep(sql)
	r.mu.Unlock()
}

// keep records sql for fingerprinting, within the bounds. r.mu is held.
func (r *recorder) keep(sql string) {
	if sql != "" && len(r.sqls) < maxRecordedSQL && r.sqlBytes+len(sql) <= maxRecordedSQLBytes {
		r.sqls = append(r.sqls, sql)
		r.sqlBytes += len(sql)
	}
}

// on notes the connection a statement of the path runs on.
func (r *recorder) on(conn *pgx.Conn) {
	if conn == nil {
		return
	}
	r.mu.Lock()
	if r.home != 0 && conn.PgConn().PID() != r.home {
		r.elsewhere++
	}
	r.mu.Unlock()
}

// wrote counts the rows a successful data-modifying statement reported.
func (r *recorder) wrote(tag pgconn.CommandTag) {
	if n := rowsWritten(tag); n > 0 {
		r.mu.Lock()
		r.written += n
		r.mu.Unlock()
	}
}

func rowsWritten(tag pgconn.CommandTag) int {
	s := tag.String()
	if tag.Insert() || tag.Update() || tag.Delete() || strings.HasPrefix(s, "MERGE ") || strings.HasPrefix(s, "COPY ") {
		return int(tag.RowsAffected())
	}
	return 0
}

func (r *recorder) stats() Stats {
	if r == nil {
		return Stats{}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return Stats{Statements: r.statements, RoundTrips: r.roundTrips, RowsWritten: r.written, Elsewhere: r.elsewhere, sqls: append([]string(nil), r.sqls...)}
}

type recorderKey struct{}

// withRecorder returns ctx carrying a fresh recorder for one path.
func withRecorder(ctx context.Context) (context.Context, *recorder) {
	r := &recorder{}
	return context.WithValue(ctx, recorderKey{}, r), r
}

func recorderFrom(ctx context.Context) *recorder {
	if ctx == nil {
		return nil
	}
	r, _ := ctx.Value(recorderKey{}).(*recorder)
	return r
}

// skipKey marks contexts of the shim's own bookkeeping statements (savepoints,
// capture reads) so they are not counted against either path.
type skipKey struct{}

func withoutRecording(ctx context.Context) context.Context {
	return context.WithValue(ctx, skipKey{}, true)
}

func recording(ctx context.Context) *recorder {
	if ctx == nil || ctx.Value(skipKey{}) != nil {
		return nil
	}
	return recorderFrom(ctx)
}

// RecordStatement counts one statement sent in its own round trip against
// the path running with ctx. Tracers of other drivers or runtimes call it;
// it does nothing outside an experiment.
func RecordStatement(ctx context.Context, sql string) {
	if r := recording(ctx); r != nil {
		r.add(sql, 1, 1)
	}
}

// RecordBatch counts a batch of statements sent in one round trip.
func RecordBatch(ctx context.Context, sqls []string) {
	r := recording(ctx)
	if r == nil {
		return
	}
	r.mu.Lock()
	r.statements += len(sqls)
	r.roundTrips++
	for _, s := range sqls {
		r.keep(s)
	}
	r.mu.Unlock()
}

// Tracer is a pgx tracer that attributes every statement to the experiment
// path whose context it runs under. Install it on the pgx.ConnConfig (or
// pgxpool.Config.ConnConfig) of the connections both paths use; OpenDB does
// so for database/sql. Statements run outside an experiment cost one context
// lookup. Wrap an existing tracer with Next.
type Tracer struct {
	// Next, when set, receives every call after Tracer has counted it.
	Next pgx.QueryTracer
}

var (
	_ pgx.QueryTracer    = (*Tracer)(nil)
	_ pgx.BatchTracer    = (*Tracer)(nil)
	_ pgx.CopyFromTracer = (*Tracer)(nil)
)

type batchKey struct{}

// TraceQueryStart implements pgx.QueryTracer.
func (t *Tracer) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if r := recording(ctx); r != nil {
		r.add(data.SQL, 1, 1)
		r.on(conn)
	}
	if t.Next != nil {
		return t.Next.TraceQueryStart(ctx, conn, data)
	}
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (t *Tracer) TraceQueryEnd(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryEndData) {
	if r := recording(ctx); r != nil && data.Err == nil {
		r.wrote(data.CommandTag)
	}
	if t.Next != nil {
		t.Next.TraceQueryEnd(ctx, conn, data)
	}
}

// TraceBatchStart implements pgx.BatchTracer: a batch is one round trip.
func (t *Tracer) TraceBatchStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	if r := recording(ctx); r != nil {
		r.mu.Lock()
		r.roundTrips++
		r.mu.Unlock()
		r.on(conn)
	}
	if bt, ok := t.Next.(pgx.BatchTracer); ok {
		return bt.TraceBatchStart(ctx, conn, data)
	}
	return ctx
}

// TraceBatchQuery implements pgx.BatchTracer.
func (t *Tracer) TraceBatchQuery(ctx context.Context, conn *pgx.Conn, data pgx.TraceBatchQueryData) {
	if r := recording(ctx); r != nil {
		r.add(data.SQL, 1, 0)
		if data.Err == nil {
			r.wrote(data.CommandTag)
		}
	}
	if bt, ok := t.Next.(pgx.BatchTracer); ok {
		bt.TraceBatchQuery(ctx, conn, data)
	}
}

// TraceBatchEnd implements pgx.BatchTracer.
func (t *Tracer) TraceBatchEnd(ctx context.Context, conn *pgx.Conn, data pgx.TraceBatchEndData) {
	if bt, ok := t.Next.(pgx.BatchTracer); ok {
		bt.TraceBatchEnd(ctx, conn, data)
	}
}

// TraceCopyFromStart implements pgx.CopyFromTracer.
func (t *Tracer) TraceCopyFromStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceCopyFromStartData) context.Context {
	if r := recording(ctx); r != nil {
		r.add("COPY "+data.TableName.Sanitize()+" FROM STDIN", 1, 1)
		r.on(conn)
	}
	if ct, ok := t.Next.(pgx.CopyFromTracer); ok {
		return ct.TraceCopyFromStart(ctx, conn, data)
	}
	return ctx
}

// TraceCopyFromEnd implements pgx.CopyFromTracer.
func (t *Tracer) TraceCopyFromEnd(ctx context.Context, conn *pgx.Conn, data pgx.TraceCopyFromEndData) {
	if r := recording(ctx); r != nil && data.Err == nil {
		r.wrote(data.CommandTag)
	}
	if ct, ok := t.Next.(pgx.CopyFromTracer); ok {
		ct.TraceCopyFromEnd(ctx, conn, data)
	}
}

// GormPlugin counts the statements GORM runs, for GORM on a driver without
// the pgx Tracer (GORM on pgx through OpenDB is already counted by Tracer:
// do not use both). Register it with db.Use(dualrun.GormPlugin{}).
type GormPlugin struct{}

// Name implements gorm.Plugin.
func (GormPlugin) Name() string { return "ormshift:dualrun" }

// Initialize implements gorm.Plugin: it adds an after-callback to every
// processor that runs SQL.
func (GormPlugin) Initialize(db *gorm.DB) error {
	after := func(tx *gorm.DB) {
		if tx.Statement == nil || tx.Statement.SQL.Len() == 0 {
			return
		}
		RecordStatement(tx.Statement.Context, tx.Statement.SQL.String())
	}
	cb := db.Callback()
	for name, err := range map[string]error{
		"create": cb.Create().After("gorm:create").Register("ormshift:dualrun_create", after),
		"query":  cb.Query().After("gorm:query").Register("ormshift:dualrun_query", after),
		"update": cb.Update().After("gorm:update").Register("ormshift:dualrun_update", after),
		"delete": cb.Delete().After("gorm:delete").Register("ormshift:dualrun_delete", after),
		"row":    cb.Row().After("gorm:row").Register("ormshift:dualrun_row", after),
		"raw":    cb.Raw().After("gorm:raw").Register("ormshift:dualrun_raw", after),
	} {
		if err != nil {
			return fmt.Errorf("dualrun: register GORM %s callback: %w", name, err)
		}
	}
	return nil
}

// fingerprintCache memoises fingerprints by statement text. Texts with
// inlined literals (IN lists of every length, interpolated values) are
// endless, so the cache is bounded: when full it starts over.
var fingerprintCache = struct {
	sync.Mutex
	m map[string]string
}{m: map[string]string{}}

// maxFingerprintCache bounds the cached statement texts.
const maxFingerprintCache = 4096

// maxQueryExample bounds the example text kept per fingerprint in results.
const maxQueryExample = 1024

// Fingerprint returns the pg_query fingerprint of a statement, or, when the
// statement does not parse, "text:" and a hash of its normalised text.
func Fingerprint(sql string) string {
	fingerprintCache.Lock()
	fp, ok := fingerprintCache.m[sql]
	fingerprintCache.Unlock()
	if ok {
		return fp
	}
	fp, err := sqltext.Fingerprint(sql)
	if err != nil {
		h := fnv.New64a()
		h.Write([]byte(strings.Join(strings.Fields(sql), " ")))
		fp = fmt.Sprintf("text:%016x", h.Sum64())
	}
	fingerprintCache.Lock()
	if len(fingerprintCache.m) >= maxFingerprintCache {
		clear(fingerprintCache.m)
	}
	fingerprintCache.m[sql] = fp
	fingerprintCache.Unlock()
	return fp
}

// finish fills Fingerprints and Queries from the recorded statements.
func (s *Stats) finish() {
	if len(s.sqls) == 0 {
		return
	}
	s.Fingerprints = map[string]int{}
	s.Queries = map[string]string{}
	for _, q := range s.sqls {
		fp := Fingerprint(q)
		s.Fingerprints[fp]++
		if _, ok := s.Queries[fp]; !ok {
			if len(q) > maxQueryExample {
				q = q[:maxQueryExample] + "…"
			}
			s.Queries[fp] = q
		}
	}
	s.sqls = nil
}

// sortedFingerprints lists fingerprints by descending count.
func sortedFingerprints(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if m[out[i]] != m[out[j]] {
			return m[out[i]] > m[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}
