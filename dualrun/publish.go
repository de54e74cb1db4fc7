package dualrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Publisher receives the result of every experiment run.
type Publisher interface {
	Publish(ctx context.Context, r *Result) error
}

// PublisherFunc adapts a function to Publisher.
type PublisherFunc func(ctx context.Context, r *Result) error

// Publish implements Publisher.
func (f PublisherFunc) Publish(ctx context.Context, r *Result) error { return f(ctx, r) }

// Multi publishes to every publisher in turn; the error joins theirs.
func Multi(ps ...Publisher) Publisher {
	return PublisherFunc(func(ctx context.Context, r *Result) error {
		var errs []error
		for _, p := range ps {
			if err := p.Publish(ctx, r); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	})
}

// Queue is a bounded asynchronous publisher: Publish never blocks; when the
// queue is full the result is dropped and counted. One goroutine drains it
// into the wrapped publisher.
type Queue struct {
	next    Publisher
	ch      chan *Result
	done    chan struct{}
	dropped atomic.Int64
	failed  atomic.Int64
	sent    atomic.Int64
	closeMu sync.RWMutex
	closed  bool
	onError func(error)
}

// NewQueue starts a queue of the given capacity (1024 when size <= 0) in
// front of next. Close it to flush.
func NewQueue(next Publisher, size int) *Queue {
	if size <= 0 {
		size = 1024
	}
	q := &Queue{next: next, ch: make(chan *Result, size), done: make(chan struct{})}
	go q.drain()
	return q
}

// OnError sets a function called (from the queue's goroutine) with every
// error of the wrapped publisher. Set it before the first Publish.
func (q *Queue) OnError(f func(error)) { q.onError = f }

// Publish enqueues r, or drops it when the queue is full or closed.
func (q *Queue) Publish(_ context.Context, r *Result) error {
	q.closeMu.RLock()
	defer q.closeMu.RUnlock()
	if q.closed {
		q.dropped.Add(1)
		return nil
	}
	select {
	case q.ch <- r:
	default:
		q.dropped.Add(1)
	}
	return nil
}

func (q *Queue) drain() {
	defer close(q.done)
	for r := range q.ch {
		r.finish()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := safePublish(ctx, q.next, r)
		cancel()
		if err != nil {
			q.failed.Add(1)
			if q.onError != nil {
				q.onError(err)
			}
			continue
		}
		q.sent.Add(1)
	}
}

func safePublish(ctx context.Context, p Publisher, r *Result) (err error) {
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("publisher panicked: %v", x)
		}
	}()
	return p.Publish(ctx, r)
}

// Dropped is how many results were dropped because the queue was full.
func (q *Queue) Dropped() int64 { return q.dropped.Load() }

// Failed is how many results the wrapped publisher failed to publish.
func (q *Queue) Failed() int64 { return q.failed.Load() }

// Published is how many results the wrapped publisher accepted.
func (q *Queue) Published() int64 { return q.sent.Load() }

// Close stops accepting results, waits until the queued ones are published
// (or ctx ends), and closes the wrapped publisher when it is an io.Closer.
func (q *Queue) Close(ctx context.Context) error {
	q.closeMu.Lock()
	if !q.closed {
		q.closed = true
		close(q.ch)
	}
	q.closeMu.Unlock()
	select {
	case <-q.done:
	case <-ctx.Done():
		return fmt.Errorf("dualrun: queue close: %w", ctx.Err())
	}
	if c, ok := q.next.(interface{ Close() error }); ok {
		return c.Close()
	}
	return nil
}

// JSONLines appends one JSON object per result to a file: the default
// publisher, and what report and gate read.
type JSONLines struct {
	mu   sync.Mutex
	f    *os.File
	path string
}

// OpenJSONLines opens (creating it when missing) the file at path for
// appending.
func OpenJSONLines(path string) (*JSONLines, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("dualrun: open results file: %w", err)
	}
	return &JSONLines{f: f, path: path}, nil
}

// Publish writes r as one line. Each line is written with a single write
// call on an O_APPEND file, so lines of concurrent processes do not
// interleave.
func (j *JSONLines) Publish(_ context.Context, r *Result) error {
	r.finish()
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("dualrun: encode result of %s: %w", r.Experiment, err)
	}
	b = append(b, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return fmt.Errorf("dualrun: %s: publisher closed", j.path)
	}
	if _, err := j.f.Write(b); err != nil {
		return fmt.Errorf("dualrun: write %s: %w", j.path, err)
	}
	return nil
}

// Close closes the file.
func (j *JSONLines) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	if err != nil {
		return fmt.Errorf("dualrun: close %s: %w", j.path, err)
	}
	return nil
}

// Slog logs every result: mismatches at Warn, the rest at Debug.
type Slog struct{ Logger *slog.Logger }

// Publish implements Publisher.
func (s Slog) Publish(ctx context.Context, r *Result) error {
	l := s.Logger
	if l == nil {
		l = slog.Default()
	}
	r.finish()
	for _, c := range r.Candidates {
		level := slog.LevelDebug
		if c.Outcome == Mismatched {
			level = slog.LevelWarn
		}
		attrs := []slog.Attr{
			slog.String("experiment", r.Experiment),
			slog.String("kind", string(r.Kind)),
			slog.String("candidate", c.Name),
			slog.String("outcome", string(c.Outcome)),
			slog.Duration("control_duration", r.Control.DurationNS),
			slog.Duration("candidate_duration", c.DurationNS),
			slog.Int("control_statements", r.Control.Stats.Statements),
			slog.Int("candidate_statements", c.Stats.Statements),
		}
		if c.Diff != "" {
			attrs = append(attrs, slog.String("diff", c.Diff))
		}
		if c.Error != "" {
			attrs = append(attrs, slog.String("candidate_error", c.Error))
		}
		for k, v := range r.Context {
			attrs = append(attrs, slog.String("ctx."+k, v))
		}
		l.LogAttrs(ctx, level, "dualrun "+string(c.Outcome), attrs...)
	}
	return nil
}

// ResultsTable is the default table of the PostgreSQL publisher.
const ResultsTable = "ormshift_dualrun.results"

// Postgres inserts every result as a jsonb row into a table (ResultsTable
// unless Table is set), which `ormshift dualrun install` creates and report
// and gate can read with --dsn.
type Postgres struct {
	Pool  *pgxpool.Pool
	Table string // schema-qualified; default ResultsTable
}

// Publish implements Publisher.
func (p Postgres) Publish(ctx context.Context, r *Result) error {
	r.finish()
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("dualrun: encode result of %s: %w", r.Experiment, err)
	}
	table, err := tableIdent(p.Table)
	if err != nil {
		return err
	}
	_, err = p.Pool.Exec(ctx, "INSERT INTO "+table+" (experiment, recorded_at, result) VALUES ($1, $2, $3)", r.Experiment, r.Time, b)
	if err != nil {
		return fmt.Errorf("dualrun: insert result into %s: %w", table, err)
	}
	return nil
}

func tableIdent(name string) (string, error) {
	if name == "" {
		name = ResultsTable
	}
	var parts []string
	start := 0
	for i := 0; i <= len(name); i++ {
		if i == len(name) || name[i] == '.' {
			parts = append(parts, name[start:i])
			start = i + 1
		}
	}
	if len(parts) > 2 {
		return "", fmt.Errorf("dualrun: table name %q: want table or schema.table", name)
	}
	for _, p := range parts {
		if p == "" {
			return "", fmt.Errorf("dualrun: table name %q: empty part", name)
		}
	}
	return pgx.Identifier(parts).Sanitize(), nil
}

// EnvResultsFile names the file the default publisher appends to.
const EnvResultsFile = "ORMSHIFT_DUALRUN_FILE"

// DefaultResultsFile is the default publisher's file when EnvResultsFile is
// not set.
const DefaultResultsFile = "dualrun-results.jsonl"

var (
	defaultMu  sync.Mutex
	defaultPub Publisher
	defaultSet bool
)

// SetDefaultPublisher replaces the publisher of experiments that have no
// WithPublisher option (nil turns publishing off).
func SetDefaultPublisher(p Publisher) {
	defaultMu.Lock()
	defaultPub, defaultSet = p, true
	defaultMu.Unlock()
}

// DefaultPublisher is the publisher of experiments without WithPublisher: a
// Queue in front of a JSON lines file ($ORMSHIFT_DUALRUN_FILE, else
// dualrun-results.jsonl in the working directory), opened on first use. When
// the file cannot be opened, results are logged through slog instead.
func DefaultPublisher() Publisher {
	defaultMu.Lock()
	defer defaultMu.Unlock()
	if defaultSet {
		return defaultPub
	}
	path := os.Getenv(EnvResultsFile)
	if path == "" {
		path = DefaultResultsFile
	}
	j, err := OpenJSONLines(path)
	if err != nil {
		slog.Warn("dualrun: default results file unavailable; logging results instead", "error", err)
		defaultPub = NewQueue(Slog{}, 0)
	} else {
		defaultPub = NewQueue(j, 0)
	}
	defaultSet = true
	return defaultPub
}
