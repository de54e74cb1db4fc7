package dualrun

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
)

func valueOf(m map[string]any) reflect.Value { return reflect.ValueOf(m) }

// OpenDB opens a database/sql pool on pgx for the write experiments (and
// for GORM: gorm.Open(postgres.New(postgres.Config{Conn: db}))). Its
// connections carry the statement Tracer, and a cancelled context cancels
// the running query with a cancel request instead of closing the
// connection, so that a candidate that times out does not take the
// control's transaction down with it.
func OpenDB(dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("dualrun: parse DSN: %w", err)
	}
	ConfigureConn(cfg)
	return stdlib.OpenDB(*cfg), nil
}

// ConfigureConn installs the Tracer (wrapping any tracer already set) and
// the cancel-request context handling on a pgx connection config (for
// pgxpool: on pgxpool.Config.ConnConfig).
func ConfigureConn(cfg *pgx.ConnConfig) {
	if _, ok := cfg.Tracer.(*Tracer); !ok {
		cfg.Tracer = &Tracer{Next: cfg.Tracer}
	}
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, CancelRequestDelay: 0, DeadlineDelay: 2 * time.Second}
	}
}

// WriteControl is the legacy path of a write experiment: GORM code given a
// *gorm.DB bound to the shim's transaction (and the context to use).
type WriteControl[T any] func(ctx context.Context, db *gorm.DB) (T, error)

// WriteCandidate is the new path of a write experiment: code given a pgx.Tx
// on the same connection and transaction (uow: orm.ForkOn(tx)). Its Commit
// keeps the changes in the shim's savepoint (the shim rolls them back after
// capturing them); Begin opens a nested savepoint.
type WriteCandidate[T any] func(ctx context.Context, tx pgx.Tx) (T, error)

// WriteExperiment compares the row effects of a legacy write path (GORM)
// and a new one (pgx / uow) on the same database. Per sampled call, on one
// connection and in one transaction: the candidate runs inside a savepoint,
// deferred constraints are checked, its row effects are captured and the
// savepoint is rolled back; then the control runs, its effects are captured,
// and the transaction commits with the control's changes only. The caller
// gets the control's value and error. Capture needs `ormshift dualrun
// install` on the tables written.
//
// When the candidate breaks the connection (its backend killed, a context
// deadline that closed the socket, a timeout after which the shim terminates
// its backend), the transaction is gone with the candidate's changes, and
// the control runs on a fresh connection, as it would without the shim.
type WriteExperiment[T any] struct {
	name string
	cfg  config
	db   *sql.DB
	gdb  *gorm.DB

	// Compare, when set, also compares the returned values (by default a
	// write experiment compares errors and row effects only: returned
	// values often hold generated keys).
	Compare Comparer[T]
	// CompareErrors decides whether two errors are equivalent when both
	// paths fail; nil means SameError.
	CompareErrors func(control, candidate error) bool
	// Effects tunes the comparison of row effects.
	Effects EffectOptions

	catMu     sync.Mutex
	catalog   map[string]*tableMeta
	captured  []string
	ready     atomic.Int64 // unix time until which the capture is known installed
	driverErr error        // db is not on pgx: every call runs the control only
}

// NewWrite returns a write experiment on db (opened with OpenDB) for GORM
// code on gdb (a *gorm.DB on the same db; its configuration, callbacks and
// plugins are used for the control's session). Concurrent() is ignored: the
// two paths share a connection and run one after the other.
func NewWrite[T any](name string, db *sql.DB, gdb *gorm.DB, opts ...Option) *WriteExperiment[T] {
	w := &WriteExperiment[T]{name: name, cfg: newConfig(opts), db: db, gdb: gdb, catalog: map[string]*tableMeta{}}
	if w.name == "" {
		w.name = "unnamed"
	}
	if db == nil || gdb == nil {
		w.driverErr = errors.New("dualrun: NewWrite needs a *sql.DB and a *gorm.DB")
	} else if _, ok := db.Driver().(*stdlib.Driver); !ok {
		w.driverErr = fmt.Errorf("%w, not %T", errNotPgx, db.Driver())
	}
	return w
}

// Name returns the experiment's name.
func (w *WriteExperiment[T]) Name() string { return w.name }

const candidateSavepoint = "ormshift_dualrun_candidate"

// Run runs the experiment (when sampled) and returns the control's value and
// error.
func (w *WriteExperiment[T]) Run(ctx context.Context, control WriteControl[T], candidate WriteCandidate[T]) (T, error) {
	plain := func() (T, error) { return control(ctx, w.gdb.WithContext(ctx)) }
	if w.driverErr != nil {
		w.skip("write experiment unusable", w.driverErr)
		return plain()
	}
	if !w.cfg.sampled(ctx, w.name) || !w.installed(ctx) {
		return plain()
	}
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return plain()
	}
	// The transaction does not end with the caller's context: the control's
	// statements are cancelled one by one, as without the shim, and what
	// they did before is committed.
	bk := withoutRecording(context.WithoutCancel(ctx))
	sqlTx, err := conn.BeginTx(bk, nil)
	if err != nil {
		_ = conn.Close()
		return plain()
	}
	run := rand.Uint64()

	// Candidate phase.
	cand := w.runCandidate(ctx, bk, conn, fmt.Sprintf("cand-%x", run), candidate)
	res := &Result{Experiment: w.name, Kind: KindWrite, Context: w.cfg.resultContext(ctx)}
	if cand.broken {
		// The shared transaction is gone: the control runs on its own, as
		// without the shim, once the candidate's connection is released.
		go func() {
			<-cand.released
			_ = sqlTx.Rollback()
			_ = conn.Close()
		}()
		res.Note = "candidate broke the shared connection (" + cand.brokenWhy + "); the control ran on a fresh connection and effects were not compared"
		ctl, stats := runControl(ctx, func(ctx context.Context) (T, error) { return control(ctx, w.gdb.WithContext(ctx)) })
		return w.outcome(w.finishResult(res, ctl, stats, cand, nil, nil), ctl)
	}

	// Control phase, on the same connection and transaction.
	ctlPhase := fmt.Sprintf("ctl-%x", run)
	var pid uint32
	if err := bookkeep(bk, conn, func(ctx context.Context, pc *pgx.Conn) error {
		pid = pc.PgConn().PID()
		_, err := pc.Exec(ctx, "SELECT set_config($1, $2, true)", PhaseSetting, ctlPhase)
		return err
	}); err != nil {
		_ = sqlTx.Rollback()
		_ = conn.Close()
		res.Note = "could not mark the control phase: " + err.Error()
		ctl, stats := runControl(ctx, func(ctx context.Context) (T, error) { return control(ctx, w.gdb.WithContext(ctx)) })
		return w.outcome(w.finishResult(res, ctl, stats, cand, nil, nil), ctl)
	}
	finished := false
	defer func() {
		if !finished { // the control panicked: undo and let the panic go on
			_ = sqlTx.Rollback()
			_ = conn.Close()
		}
	}()
	pool := &controlPool{tx: sqlTx, conn: conn, db: w.db, bk: bk, singleTx: w.cfg.singleTx}
	ctl, stats := runControlOn(ctx, pid, func(ctx context.Context) (T, error) {
		ctx = withControlPool(ctx, pool) // for handles with the Router plugin
		g := w.gdb.Session(&gorm.Session{NewDB: true, Context: ctx})
		g.Statement.ConnPool = pool
		return control(ctx, g)
	})
	var notes []string
	if err := pool.finish(); err != nil {
		notes = append(notes, "control bookkeeping failed: "+err.Error())
	}
	if st := txStatus(conn); st == 'E' {
		// Only in single-transaction mode (or after a failed statement
		// savepoint): the control's transaction is aborted.
		notes = append(notes, "the control hit a database error inside the shim's single transaction: its earlier statements were rolled back (without the shim they would have been committed)")
	}
	var ctlEffects []Effect
	readErr := bookkeep(bk, conn, func(ctx context.Context, pc *pgx.Conn) error {
		var err error
		ctlEffects, err = readPhase(ctx, pc, ctlPhase)
		return err
	})
	commitErr := sqlTx.Commit()
	finished = true
	_ = conn.Close()
	if commitErr != nil && ctl.Err == nil {
		ctl.Err = fmt.Errorf("commit: %w", commitErr)
	}
	if readErr != nil {
		notes = append(notes, "control effects not captured: "+readErr.Error())
	}
	res.Note = strings.Join(notes, "; ")
	if readErr != nil {
		return w.outcome(w.finishResult(res, ctl, stats, cand, nil, nil), ctl)
	}
	return w.outcome(w.finishResult(res, ctl, stats, cand, ctlEffects, cand.effects), ctl)
}

// bkExec runs one of the shim's own statements on pc, bounded by
// BookkeepingTimeout.
func bkExec(bk context.Context, pc *pgx.Conn, sql string, args ...any) error {
	ctx, cancel := context.WithTimeout(bk, BookkeepingTimeout)
	defer cancel()
	_, err := pc.Exec(ctx, sql, args...)
	return err
}

// bookkeep runs f, one of the shim's own steps, on the pgx connection of
// conn, bounded by BookkeepingTimeout.
func bookkeep(bk context.Context, conn *sql.Conn, f func(ctx context.Context, pc *pgx.Conn) error) error {
	ctx, cancel := context.WithTimeout(bk, BookkeepingTimeout)
	defer cancel()
	return rawConn(conn, func(pc *pgx.Conn) error { return f(ctx, pc) })
}

func (w *WriteExperiment[T]) skip(reason string, err error) { w.cfg.skip(w.name, reason, err) }

// installed reports whether the capture schema (effects table and commit
// guard) exists (checked at most every 30 seconds). Without it the
// experiment is skipped: reading effects would abort the control's
// transaction, and without the guard a candidate could commit.
func (w *WriteExperiment[T]) installed(ctx context.Context) bool {
	if time.Now().Unix() < w.ready.Load() {
		return true
	}
	var ok bool
	cctx, cancel := context.WithTimeout(withoutRecording(ctx), BookkeepingTimeout)
	defer cancel()
	err := w.db.QueryRowContext(cctx, `SELECT to_regclass('ormshift_dualrun.effects') IS NOT NULL
		AND to_regclass('ormshift_dualrun.guard') IS NOT NULL`).Scan(&ok)
	if err != nil || !ok {
		if err == nil {
			err = errors.New("capture not installed, or installed by an older version (run ormshift dualrun install)")
		}
		w.skip("capture unavailable", err)
		return false
	}
	w.ready.Store(time.Now().Add(30 * time.Second).Unix())
	return true
}

type candidatePhase[T any] struct {
	obs        Observed[T]
	stats      Stats
	effects    []Effect
	broken     bool
	brokenWhy  string
	released   chan struct{} // closed once the candidate no longer uses the connection
	constraint string        // deferred constraint violation, if any
	captureErr string        // the candidate's effects could not be read
	callerGone bool          // the caller's context ended while the candidate ran
}

// readPhase takes the effects of a phase out of the capture table, inside a
// savepoint so that a failure does not abort the transaction.
func readPhase(ctx context.Context, pc *pgx.Conn, phase string) ([]Effect, error) {
	if _, err := pc.Exec(ctx, "SAVEPOINT ormshift_dualrun_read"); err != nil {
		return nil, fmt.Errorf("savepoint: %w", err)
	}
	rows, err := pc.Query(ctx, readEffectsSQL, phase)
	var effects []Effect
	if err == nil {
		effects, err = scanEffects(rows)
	}
	if err != nil {
		if _, rerr := pc.Exec(ctx, "ROLLBACK TO SAVEPOINT ormshift_dualrun_read"); rerr != nil {
			return nil, errors.Join(err, rerr)
		}
		return nil, err
	}
	if _, err := pc.Exec(ctx, "RELEASE SAVEPOINT ormshift_dualrun_read"); err != nil {
		return nil, fmt.Errorf("release savepoint: %w", err)
	}
	return effects, nil
}

// GuardSetting is the session setting that arms the commit guard while a
// write candidate runs: a deferred constraint trigger (installed by
// `ormshift dualrun install`) makes any COMMIT of the shared transaction
// fail while it is armed, so a candidate that commits (through raw SQL or
// tx.Conn()) cannot make its changes permanent.
const GuardSetting = "ormshift.dualrun_guard"

// runCandidate runs the candidate in a savepoint on conn, captures its
// effects and rolls it back. The connection is either left in the
// transaction at the state before the candidate, or reported broken.
func (w *WriteExperiment[T]) runCandidate(ctx, bk context.Context, conn *sql.Conn, phase string, candidate WriteCandidate[T]) *candidatePhase[T] {
	cp := &candidatePhase[T]{released: make(chan struct{}), obs: Observed[T]{Name: "candidate"}}
	type outcome struct {
		v     T
		err   error
		panic any
		dur   time.Duration
	}
	var pid atomic.Uint32
	// g is written by the candidate's goroutine only; cp takes its fields
	// once the goroutine has released the connection.
	g := &candidatePhase[T]{obs: Observed[T]{Name: "candidate"}}
	cctx, cancel := context.WithTimeout(ctx, w.cfg.timeout)
	cctx, rec := withRecorder(cctx)
	t0 := time.Now()
	go func() {
		defer close(cp.released)
		rawErr := rawConn(conn, func(pc *pgx.Conn) error {
			pid.Store(pc.PgConn().PID())
			b := &pgx.Batch{}
			b.Queue("SAVEPOINT " + candidateSavepoint)
			b.Queue("SELECT set_config($1, $2, true), set_config($3, 'armed', true)", PhaseSetting, phase, GuardSetting)
			b.Queue("INSERT INTO " + Schema + ".guard DEFAULT VALUES")
			sctx, scancel := context.WithTimeout(bk, BookkeepingTimeout)
			err := pc.SendBatch(sctx, b).Close()
			scancel()
			if err != nil {
				g.broken, g.brokenWhy = true, "savepoint: "+err.Error()
				return nil
			}
			var out outcome
			func() {
				defer func() {
					if p := recover(); p != nil {
						out.panic = fmt.Sprintf("%v\n%s", p, trimStack(debug.Stack()))
					}
				}()
				out.v, out.err = candidate(cctx, &shimTx{conn: pc, top: true})
			}()
			out.dur = time.Since(t0)
			g.obs.Value, g.obs.Err, g.obs.Panic, g.obs.Duration = out.v, out.err, out.panic, out.dur
			if errors.Is(cctx.Err(), context.DeadlineExceeded) {
				g.obs.TimedOut = true
			}
			if pc.IsClosed() {
				g.broken, g.brokenWhy = true, "connection closed"
				return nil
			}
			if out.err == nil && out.panic == nil && pc.PgConn().TxStatus() == 'T' {
				// Deferred constraints are checked now, as at commit (with
				// the guard disarmed: this is not a commit).
				if err := bkExec(bk, pc, "SELECT set_config($1, '', true)", GuardSetting); err != nil {
					g.captureErr = "disarm guard: " + err.Error()
				} else if err := bkExec(bk, pc, "SET CONSTRAINTS ALL IMMEDIATE"); err != nil {
					g.constraint = err.Error()
				} else {
					rctx, rcancel := context.WithTimeout(bk, BookkeepingTimeout)
					eff, err := readPhase(rctx, pc, phase)
					rcancel()
					if err == nil {
						g.effects = eff
					} else {
						g.captureErr = err.Error()
					}
				}
			}
			if err := bkExec(bk, pc, "ROLLBACK TO SAVEPOINT "+candidateSavepoint); err != nil {
				g.broken, g.brokenWhy = true, "rollback to savepoint: "+err.Error()
				return nil
			}
			if err := bkExec(bk, pc, "RELEASE SAVEPOINT "+candidateSavepoint); err != nil {
				g.broken, g.brokenWhy = true, "release savepoint: "+err.Error()
				return nil
			}
			if st := pc.PgConn().TxStatus(); st != 'T' {
				g.broken, g.brokenWhy = true, fmt.Sprintf("transaction status %q after rollback", st)
			}
			return nil
		})
		if rawErr != nil && !g.broken {
			g.broken, g.brokenWhy = true, rawErr.Error()
		}
	}()
	abandon := func(why string) {
		// The candidate holds the connection past its timeout: end its
		// backend so that its transaction (and locks) go, waiting until it
		// is gone so the control does not queue behind its locks, and stop
		// waiting for the candidate.
		if p := pid.Load(); p != 0 {
			kctx, kcancel := context.WithTimeout(bk, BookkeepingTimeout)
			if _, err := w.db.ExecContext(kctx, "SELECT pg_terminate_backend($1, $2)", int(p), BookkeepingTimeout.Milliseconds()); err != nil {
				_, _ = w.db.ExecContext(kctx, "SELECT pg_terminate_backend($1)", int(p)) // PostgreSQL < 14
			}
			kcancel()
		}
		cp.broken, cp.brokenWhy = true, why
		cp.obs.TimedOut = true
		cp.obs.Err = fmt.Errorf("candidate abandoned: %s", why)
		cp.obs.Duration = time.Since(t0)
	}
	take := func() {
		cancel()
		cp.obs, cp.effects, cp.broken, cp.brokenWhy, cp.constraint, cp.captureErr = g.obs, g.effects, g.broken, g.brokenWhy, g.constraint, g.captureErr
	}
	select {
	case <-cp.released:
		take()
	case <-cctx.Done():
		// The candidate's context ended (its timeout, or the caller's
		// context): give it the time to return and the shim the time to
		// roll it back.
		grace := time.NewTimer(graceAfterCancel(w.cfg.timeout) + time.Second)
		select {
		case <-cp.released:
			grace.Stop()
			take()
		case <-grace.C:
			cancel()
			abandon("did not return after its context ended")
			cp.stats = rec.stats()
			cp.callerGone = ctx.Err() != nil
			return cp
		}
	}
	cp.stats = rec.stats()
	cp.callerGone = ctx.Err() != nil
	return cp
}

func (w *WriteExperiment[T]) finishResult(res *Result, ctl Observed[T], stats Stats, cp *candidatePhase[T], ctlEff, candEff []Effect) *Result {
	res.Time = time.Now().UTC()
	res.Control = observation("control", ctl.Duration, ctl.Err, nil, false, stats)
	c := cp.obs
	cr := CandidateResult{Observation: observation("candidate", c.Duration, c.Err, c.Panic, c.TimedOut, cp.stats)}
	switch {
	case c.Panic != nil:
		cr.Outcome, cr.Fault, cr.Diff = Mismatched, true, "candidate panicked: "+firstLine(fmt.Sprint(c.Panic))
	case cp.callerGone && (c.Err != nil || c.TimedOut) && ctl.Err == nil:
		cr.Outcome, cr.Diff = Ignored, fmt.Sprintf("the caller's context ended while the candidate ran: %v", c.Err)
	case c.TimedOut:
		cr.Outcome, cr.Fault, cr.Diff = Mismatched, true, fmt.Sprintf("candidate timed out: %v", c.Err)
	case ctl.Err != nil && c.Err != nil:
		if sameErrors(w.CompareErrors, ctl.Err, c.Err) {
			cr.Outcome = Matched
		} else {
			cr.Outcome, cr.Diff = Mismatched, fmt.Sprintf("errors differ:\n  control:   %v\n  candidate: %v", ctl.Err, c.Err)
		}
	case c.Err != nil:
		cr.Outcome, cr.Fault, cr.Diff = Mismatched, true, fmt.Sprintf("candidate failed, control did not:\n  candidate: %v", c.Err)
	case cp.constraint != "":
		cr.Outcome, cr.Fault, cr.Diff = Mismatched, true, "candidate's changes violate a deferred constraint: "+cp.constraint
		cr.Error = cp.constraint
	case cp.captureErr != "":
		cr.Outcome, cr.Diff = Ignored, "candidate effects not captured: "+cp.captureErr
	case ctl.Err != nil:
		cr.Outcome, cr.Diff = Mismatched, fmt.Sprintf("control failed, candidate did not:\n  control: %v", ctl.Err)
	case cp.broken:
		cr.Outcome, cr.Fault, cr.Diff = Mismatched, true, "candidate broke the shared connection: "+cp.brokenWhy
	case ctlEff == nil && candEff == nil && res.Note != "":
		cr.Outcome, cr.Diff = Ignored, res.Note
	case stats.Elsewhere > 0:
		cr.Outcome, cr.Diff = Ignored, fmt.Sprintf("the control ran %d statement(s) on another connection than the shim's "+
			"(a package-level *gorm.DB instead of the one the shim passes it?): their effects were neither captured nor compared", stats.Elsewhere)
	case w.incomplete(stats, ctlEff, cp.stats, candEff) != "":
		// Rows were written where the capture did not see them: comparing
		// what it saw could call different writes equal.
		cr.Outcome, cr.Diff = Mismatched, w.incomplete(stats, ctlEff, cp.stats, candEff)
	default:
		cr.Outcome, cr.Diff = w.compareWrite(ctl, c, ctlEff, candEff)
	}
	res.Candidates = []CandidateResult{cr}
	w.cfg.deliver(context.Background(), res)
	return res
}

// outcome returns what the caller gets: the control's value and error, or
// in raise-on-mismatch mode a *MismatchError for a mismatch.
func (w *WriteExperiment[T]) outcome(res *Result, ctl Observed[T]) (T, error) {
	if w.cfg.raise && ctl.Err == nil && res.Candidates[0].Outcome == Mismatched {
		return ctl.Value, &MismatchError{Experiment: w.name, Candidate: "candidate", Diff: res.Candidates[0].Diff}
	}
	return ctl.Value, ctl.Err
}

// incomplete explains why the captured effects of a path are not all it
// wrote, or returns "". Rows written beyond those captured (by the command
// tags) may come from statements rolled back by a savepoint; only writes to
// tables without the capture trigger count.
func (w *WriteExperiment[T]) incomplete(cs Stats, ce []Effect, ds Stats, de []Effect) string {
	if cs.RowsWritten <= len(ce) && ds.RowsWritten <= len(de) {
		return ""
	}
	var sqls []string
	if cs.RowsWritten > len(ce) {
		sqls = append(sqls, cs.sqls...)
	}
	if ds.RowsWritten > len(de) {
		sqls = append(sqls, ds.sqls...)
	}
	targets := writeTargets(sqls)
	if len(targets) == 0 {
		return ""
	}
	captured, err := w.capturedTables()
	if err != nil {
		return ""
	}
	if miss := uncaptured(targets, captured); len(miss) > 0 {
		return fmt.Sprintf("row effects not fully captured: %s written without the capture trigger (ormshift dualrun install --tables ...)", strings.Join(miss, ", "))
	}
	return ""
}

// capturedTables lists the tables with the capture trigger (cached as long
// as the installation check).
func (w *WriteExperiment[T]) capturedTables() ([]string, error) {
	w.catMu.Lock()
	defer w.catMu.Unlock()
	if w.captured != nil && time.Now().Unix() < w.ready.Load() {
		return w.captured, nil
	}
	ctx, cancel := context.WithTimeout(withoutRecording(context.Background()), BookkeepingTimeout)
	defer cancel()
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var out []string
	err = rawConn(conn, func(pc *pgx.Conn) error {
		var err error
		out, err = CapturedTables(ctx, pc)
		return err
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []string{}
	}
	w.captured = out
	return out, nil
}

func (w *WriteExperiment[T]) compareWrite(ctl, cand Observed[T], ctlEff, candEff []Effect) (Outcome, string) {
	var diffs []string
	if w.Compare != nil {
		eq, d, err := safeCompare(w.Compare, ctl.Value, cand.Value)
		if err != nil {
			return Mismatched, err.Error()
		}
		if !eq {
			diffs = append(diffs, "returned values differ: "+d)
		}
	}
	meta, err := w.tables(append(append([]Effect(nil), ctlEff...), candEff...))
	if err != nil {
		return Mismatched, "row effects not compared: " + err.Error()
	}
	n := &normaliser{meta: meta, opts: w.Effects}
	cn, csum, err := n.net(ctlEff)
	if err != nil {
		return Mismatched, "control effects: " + err.Error()
	}
	dn, dsum, err := n.net(candEff)
	if err != nil {
		return Mismatched, "candidate effects: " + err.Error()
	}
	if eq, d := compareEffects(cn, dn, w.Effects); !eq {
		diffs = append(diffs, fmt.Sprintf("row effects differ (control: %s; candidate: %s): %s", csum, dsum, d))
	}
	if len(diffs) == 0 {
		return Matched, ""
	}
	return Mismatched, strings.Join(diffs, "\n")
}

func safeCompare[T any](cmp Comparer[T], a, b T) (eq bool, diff string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("comparison panicked: %v", p)
		}
	}()
	eq, diff = cmp(a, b)
	return eq, diff, nil
}

// tables returns the catalog facts of the tables in effects, reading the
// ones not seen yet.
func (w *WriteExperiment[T]) tables(effects []Effect) (map[string]*tableMeta, error) {
	w.catMu.Lock()
	defer w.catMu.Unlock()
	var missing []string
	seen := map[string]bool{}
	for _, e := range effects {
		if _, ok := w.catalog[e.Table]; !ok && !seen[e.Table] {
			seen[e.Table] = true
			missing = append(missing, e.Table)
		}
	}
	if len(missing) > 0 {
		ctx, cancel := context.WithTimeout(withoutRecording(context.Background()), 10*time.Second)
		defer cancel()
		conn, err := w.db.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("read catalog: %w", err)
		}
		defer conn.Close()
		var meta map[string]*tableMeta
		err = conn.Raw(func(dc any) error {
			var err error
			meta, err = loadCatalog(ctx, dc.(*stdlib.Conn).Conn(), missing)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, t := range missing {
			w.catalog[t] = meta[t] // nil when unknown: compared without keys
		}
	}
	out := make(map[string]*tableMeta, len(w.catalog))
	for k, v := range w.catalog {
		out[k] = v
	}
	return out, nil
}

// shimTx is the pgx.Tx a write candidate gets: the shim's savepoint on the
// shared connection. Commit keeps the changes for capture; Rollback undoes
// them; Begin nests a savepoint.
type shimTx struct {
	conn   *pgx.Conn
	top    bool
	name   string
	depth  int
	closed bool
}

var _ pgx.Tx = (*shimTx)(nil)

func (t *shimTx) Begin(ctx context.Context) (pgx.Tx, error) {
	if t.closed {
		return nil, pgx.ErrTxClosed
	}
	name := fmt.Sprintf("ormshift_dualrun_sp%d", t.depth+1)
	if _, err := t.conn.Exec(ctx, "SAVEPOINT "+name); err != nil {
		return nil, err
	}
	return &shimTx{conn: t.conn, name: name, depth: t.depth + 1}, nil
}

func (t *shimTx) Commit(ctx context.Context) error {
	if t.closed {
		return pgx.ErrTxClosed
	}
	t.closed = true
	if t.top {
		return nil
	}
	_, err := t.conn.Exec(ctx, "RELEASE SAVEPOINT "+t.name)
	return err
}

func (t *shimTx) Rollback(ctx context.Context) error {
	if t.closed {
		return pgx.ErrTxClosed
	}
	t.closed = true
	name := t.name
	if t.top {
		name = candidateSavepoint
	}
	_, err := t.conn.Exec(ctx, "ROLLBACK TO SAVEPOINT "+name)
	return err
}

func (t *shimTx) CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	return t.conn.CopyFrom(ctx, table, cols, src)
}

func (t *shimTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return t.conn.SendBatch(ctx, b)
}

func (t *shimTx) LargeObjects() pgx.LargeObjects { return pgx.LargeObjects{} }

func (t *shimTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	return t.conn.Prepare(ctx, name, sql)
}

func (t *shimTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return t.conn.Exec(ctx, sql, args...)
}

func (t *shimTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return t.conn.Query(ctx, sql, args...)
}

func (t *shimTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return t.conn.QueryRow(ctx, sql, args...)
}

func (t *shimTx) Conn() *pgx.Conn { return t.conn }
