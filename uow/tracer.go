package uow

import (
	"context"
	"sync"

	"github.com/jackc/pgx/v5"
)

// StatementCounter is a pgx tracer that counts statements and round trips
// and, optionally, records the SQL text. Install it on a pool before
// creating it:
//
//	cfg, _ := pgxpool.ParseConfig(dsn)
//	counter := uow.NewStatementCounter()
//	cfg.ConnConfig.Tracer = counter
//
// A Query/QueryRow/Exec is one statement and one round trip; a batch is one
// round trip carrying one statement per queued query; a CopyFrom is one
// statement and one round trip (pgx streams the rows). The extra round trip
// pgx spends preparing a statement it has not seen on that connection is
// not visible to tracers and not counted. It is safe for concurrent use.
type StatementCounter struct {
	mu         sync.Mutex
	capture    bool
	statements int64
	roundTrips int64
	sql        []string
}

var (
	_ pgx.QueryTracer    = (*StatementCounter)(nil)
	_ pgx.BatchTracer    = (*StatementCounter)(nil)
	_ pgx.CopyFromTracer = (*StatementCounter)(nil)
)

// NewStatementCounter returns a counter that also records the SQL text of
// every statement (see SQL).
func NewStatementCounter() *StatementCounter { return &StatementCounter{capture: true} }

// NewStatementCounterNoCapture returns a counter that only counts (for
// benchmarks).
func NewStatementCounterNoCapture() *StatementCounter { return &StatementCounter{} }

// TraceStats is a snapshot of a StatementCounter.
type TraceStats struct {
	Statements int64
	RoundTrips int64
}

// Stats returns the counts so far.
func (c *StatementCounter) Stats() TraceStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return TraceStats{Statements: c.statements, RoundTrips: c.roundTrips}
}

// SQL returns the statements recorded so far, in order.
func (c *StatementCounter) SQL() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.sql...)
}

// Reset sets the counts to zero and forgets the recorded SQL.
func (c *StatementCounter) Reset() {
	c.mu.Lock()
	c.statements, c.roundTrips, c.sql = 0, 0, nil
	c.mu.Unlock()
}

func (c *StatementCounter) add(stmts, trips int64, sql ...string) {
	c.mu.Lock()
	c.statements += stmts
	c.roundTrips += trips
	if c.capture {
		c.sql = append(c.sql, sql...)
	}
	c.mu.Unlock()
}

// TraceQueryStart implements pgx.QueryTracer.
func (c *StatementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	c.add(1, 1, data.SQL)
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (c *StatementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TraceBatchStart implements pgx.BatchTracer.
func (c *StatementCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	var sqls []string
	if c.capture && data.Batch != nil {
		for _, q := range data.Batch.QueuedQueries {
			sqls = append(sqls, q.SQL)
		}
	}
	n := int64(0)
	if data.Batch != nil {
		n = int64(len(data.Batch.QueuedQueries))
	}
	c.add(n, 1, sqls...)
	return ctx
}

// TraceBatchQuery implements pgx.BatchTracer.
func (c *StatementCounter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

// TraceBatchEnd implements pgx.BatchTracer.
func (c *StatementCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// TraceCopyFromStart implements pgx.CopyFromTracer.
func (c *StatementCounter) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceCopyFromStartData) context.Context {
	c.add(1, 1, "COPY "+data.TableName.Sanitize())
	return ctx
}

// TraceCopyFromEnd implements pgx.CopyFromTracer.
func (c *StatementCounter) TraceCopyFromEnd(context.Context, *pgx.Conn, pgx.TraceCopyFromEndData) {}
