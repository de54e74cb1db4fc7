package dualrun

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// DefaultTimeout bounds a candidate when no Timeout option is given: the
// caller never waits longer than this for a candidate in sequential mode.
const DefaultTimeout = 5 * time.Second

// Func is one path of an experiment: the legacy code (control) or the new
// code (candidate).
type Func[T any] func(ctx context.Context) (T, error)

// Candidate is a named candidate path.
type Candidate[T any] struct {
	Name string
	Run  Func[T]
}

// Observed is what a path returned, as seen by comparison and ignore
// predicates.
type Observed[T any] struct {
	Name     string
	Value    T
	Err      error
	Panic    any  // recovered panic value (candidates only)
	TimedOut bool // the candidate exceeded the timeout
	Duration time.Duration

	callerGone bool // the caller's context ended while the candidate ran
}

// Comparer decides whether the control's and the candidate's values are
// equal; when they are not it returns a readable diff of the first
// differences. Equal builds one.
type Comparer[T any] func(control, candidate T) (equal bool, diff string)

// Experiment runs a control and candidates side by side and publishes how
// they compare. The caller always gets the control's value and error,
// whatever the candidates do (error, panic, timeout, slowness, context
// cancellation). The zero value is not usable: build one with New.
//
// The exported fields may be set after New and before the first Run; an
// Experiment is safe for concurrent use once running.
type Experiment[T any] struct {
	name string
	cfg  config

	// Compare decides equality of values; nil means Equal[T]() (deep
	// comparison of Go values).
	Compare Comparer[T]
	// Clean maps a value before it is compared (drop volatile fields,
	// sort, project to what matters). It runs off the caller's path in
	// concurrent mode.
	Clean func(T) T
	// CompareErrors decides whether two errors are equivalent when both
	// paths fail; nil means SameError.
	CompareErrors func(control, candidate error) bool
	// Ignore lists predicates that turn a mismatch into an ignored run
	// (known, accepted differences). A predicate that panics does not
	// ignore.
	Ignore []func(control, candidate Observed[T]) bool

	defaultCmp Comparer[T]
	inFlight   atomic.Int64 // candidate goroutines still running (concurrent mode)
}

// config holds the options that do not depend on the result type.
type config struct {
	publisher  Publisher
	percent    float64
	runIf      func(context.Context) (bool, error)
	timeout    time.Duration
	concurrent bool
	random     bool
	context    map[string]string
	raise      bool
	metrics    *Metrics
	noCopy     bool
	singleTx   bool
	maxFlight  int
	onResult   func(*Result)
	onSkip     func(reason string, err error)
}

// Option configures an experiment.
type Option func(*config)

// Percent runs the experiment on that percentage of calls (0 to 100; the
// default is 100). Calls not sampled run the control only.
func Percent(p float64) Option {
	return func(c *config) {
		switch {
		case p < 0:
			p = 0
		case p > 100:
			p = 100
		}
		c.percent = p
	}
}

// RunIf decides per call whether the experiment runs. When it returns an
// error or panics, the experiment is skipped for that call (the control
// runs as usual).
func RunIf(f func(ctx context.Context) (bool, error)) Option {
	return func(c *config) { c.runIf = f }
}

// Timeout bounds each candidate (DefaultTimeout when not set). A candidate
// that does not return in time is recorded as timed out; its context is
// cancelled and, in sequential mode, the caller stops waiting for it.
func Timeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// Concurrent runs candidates in their own goroutines while the control runs
// in the caller's; the caller gets the control's result as soon as the
// control is done, and comparison and publishing happen in the background.
// Candidates then run on a context that keeps the caller's values but not its
// cancellation. Only for read experiments on separate connections.
func Concurrent() Option { return func(c *config) { c.concurrent = true } }

// DefaultMaxInFlight bounds the candidates of one concurrent experiment
// still running at a time, when MaxInFlight is not given.
const DefaultMaxInFlight = 64

// MaxInFlight bounds how many candidates of a concurrent experiment may
// still be running (including ones abandoned after their timeout that have
// not returned). A call beyond it skips the experiment (OnSkip is told, the
// skipped metric counts it) so that slow candidates cannot pile up
// goroutines and database connections under load.
func MaxInFlight(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxFlight = n
		}
	}
}

// RandomOrder runs control and candidates in random order (sequential mode),
// so that caching effects do not always favour the same path.
func RandomOrder() Option { return func(c *config) { c.random = true } }

// Context adds metadata published with every result of the experiment.
// Per-call metadata comes from WithMetadata on the call's context.
func Context(kv map[string]string) Option {
	return func(c *config) {
		if c.context == nil {
			c.context = map[string]string{}
		}
		for k, v := range kv {
			c.context[k] = v
		}
	}
}

// RaiseOnMismatch makes Run return a *MismatchError instead of a nil control
// error when a candidate mismatches (tests only: it changes what the caller
// sees). Runs wait for candidates even in concurrent mode.
func RaiseOnMismatch() Option { return func(c *config) { c.raise = true } }

// WithPublisher sends results to p instead of the default publisher. Wrap a
// synchronous publisher in NewQueue to keep it off the caller's path.
func WithPublisher(p Publisher) Option { return func(c *config) { c.publisher = p } }

// WithMetrics records every result in m.
func WithMetrics(m *Metrics) Option { return func(c *config) { c.metrics = m } }

// NoCopy tells a concurrent experiment that the caller never mutates the
// control's value after Run returns, so it need not be copied before the
// background comparison.
func NoCopy() Option { return func(c *config) { c.noCopy = true } }

// OnResult calls f with every result (in the background in concurrent mode),
// before it is published. Tests use it to see verdicts synchronously.
func OnResult(f func(*Result)) Option { return func(c *config) { c.onResult = f } }

// OnSkip calls f when a call skips the experiment because its run-if
// predicate failed.
func OnSkip(f func(reason string, err error)) Option { return func(c *config) { c.onSkip = f } }

// New returns a read experiment comparing values of type T.
func New[T any](name string, opts ...Option) *Experiment[T] {
	e := &Experiment[T]{name: name, cfg: newConfig(opts), defaultCmp: Equal[T]()}
	if e.name == "" {
		e.name = "unnamed"
	}
	return e
}

func newConfig(opts []Option) config {
	c := config{percent: 100, timeout: DefaultTimeout, maxFlight: DefaultMaxInFlight}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// Name returns the experiment's name.
func (e *Experiment[T]) Name() string { return e.name }

type metadataKey struct{}

// WithMetadata returns ctx carrying a key/value published with results of
// experiments run under it (request id, tenant, route).
func WithMetadata(ctx context.Context, key, value string) context.Context {
	old, _ := ctx.Value(metadataKey{}).(map[string]string)
	m := make(map[string]string, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[key] = value
	return context.WithValue(ctx, metadataKey{}, m)
}

// sampled decides whether this call runs the experiment.
func (c *config) sampled(ctx context.Context, name string) bool {
	if c.percent <= 0 || (c.percent < 100 && rand.Float64()*100 >= c.percent) {
		return false
	}
	if c.runIf == nil {
		return true
	}
	ok, err := safeRunIf(ctx, c.runIf)
	if err != nil {
		c.skip(name, "run-if failed", err)
		return false
	}
	return ok
}

// skip records a call that skipped the experiment.
func (c *config) skip(name, reason string, err error) {
	if c.metrics != nil {
		c.metrics.skipped(name)
	}
	if c.onSkip != nil {
		c.onSkip(reason, err)
	}
}

func safeRunIf(ctx context.Context, f func(context.Context) (bool, error)) (ok bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			ok, err = false, fmt.Errorf("run-if panicked: %v", p)
		}
	}()
	return f(ctx)
}

func (c *config) resultContext(ctx context.Context) map[string]string {
	per, _ := ctx.Value(metadataKey{}).(map[string]string)
	if len(c.context) == 0 && len(per) == 0 {
		return nil
	}
	m := make(map[string]string, len(c.context)+len(per))
	for k, v := range c.context {
		m[k] = v
	}
	for k, v := range per {
		m[k] = v
	}
	return m
}

// Run runs control and candidate and returns the control's value and error.
func (e *Experiment[T]) Run(ctx context.Context, control, candidate Func[T]) (T, error) {
	return e.RunMany(ctx, control, Candidate[T]{Name: "candidate", Run: candidate})
}

// RunMany runs control and every candidate and returns the control's value
// and error.
func (e *Experiment[T]) RunMany(ctx context.Context, control Func[T], candidates ...Candidate[T]) (T, error) {
	if len(candidates) == 0 || !e.cfg.sampled(ctx, e.name) {
		return control(ctx)
	}
	for i := range candidates {
		if candidates[i].Name == "" {
			candidates[i].Name = fmt.Sprintf("candidate%d", i+1)
		}
	}
	if e.cfg.concurrent && !e.cfg.raise {
		n := int64(len(candidates))
		if e.inFlight.Add(n) > int64(e.cfg.maxFlight) {
			e.inFlight.Add(-n)
			e.cfg.skip(e.name, "too many candidates in flight", fmt.Errorf("%d candidates of %s still running (MaxInFlight %d)", e.inFlight.Load(), e.name, e.cfg.maxFlight))
			return control(ctx)
		}
		return e.runConcurrent(ctx, control, candidates)
	}
	return e.runSequential(ctx, control, candidates)
}

func (e *Experiment[T]) runSequential(ctx context.Context, control Func[T], candidates []Candidate[T]) (T, error) {
	order := make([]int, len(candidates)+1) // -1 is the control
	for i := range order {
		order[i] = i - 1
	}
	if e.cfg.random {
		rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	var (
		ctl   Observed[T]
		stats Stats
		cands = make([]Observed[T], len(candidates))
		cst   = make([]Stats, len(candidates))
	)
	for _, i := range order {
		if i < 0 {
			ctl, stats = runControl(ctx, control)
			continue
		}
		cands[i], cst[i] = runCandidate(ctx, candidates[i], e.cfg.timeout, false)
		cands[i].callerGone = ctx.Err() != nil
	}
	res := e.judge(ctx, ctl, stats, cands, cst)
	e.cfg.deliver(ctx, res)
	if e.cfg.raise && ctl.Err == nil {
		for _, c := range res.Candidates {
			if c.Outcome == Mismatched {
				return ctl.Value, &MismatchError{Experiment: e.name, Candidate: c.Name, Diff: c.Diff}
			}
		}
	}
	return ctl.Value, ctl.Err
}

func (e *Experiment[T]) runConcurrent(ctx context.Context, control Func[T], candidates []Candidate[T]) (T, error) {
	bg := context.WithoutCancel(ctx)
	st := &concurrentRun[T]{e: e, bg: bg, cands: make([]Observed[T], len(candidates)), cst: make([]Stats, len(candidates))}
	st.pending.Store(int32(len(candidates) + 1))
	for i := range candidates {
		st.start(i, candidates[i])
	}
	ctl, stats := runControl(ctx, control)
	st.ctl, st.stats = ctl, stats
	if !e.cfg.noCopy {
		st.ctl.Value = deepCopy(ctl.Value)
	}
	if st.pending.Add(-1) == 0 {
		// Every candidate is done already: compare off the caller's path.
		go st.finish()
	}
	return ctl.Value, ctl.Err
}

// concurrentRun is one run in concurrent mode. Whoever completes last (a
// candidate's goroutine, its timeout timer, or a goroutine the control
// starts) compares and publishes; each candidate costs one goroutine.
type concurrentRun[T any] struct {
	e       *Experiment[T]
	bg      context.Context
	ctl     Observed[T]
	stats   Stats
	cands   []Observed[T]
	cst     []Stats
	pending atomic.Int32
}

func (st *concurrentRun[T]) start(i int, c Candidate[T]) {
	timeout := st.e.cfg.timeout
	cctx, cancel := context.WithTimeout(st.bg, timeout)
	cctx, rec := withRecorder(cctx)
	var once sync.Once
	t0 := time.Now()
	complete := func(o Observed[T]) {
		once.Do(func() {
			st.cands[i], st.cst[i] = o, rec.stats()
			if st.pending.Add(-1) == 0 {
				st.finish()
			}
		})
	}
	// Abandon a candidate that ignores its cancelled context.
	timer := time.AfterFunc(timeout+graceAfterCancel(timeout), func() {
		cancel()
		complete(Observed[T]{Name: c.Name, TimedOut: true, Duration: time.Since(t0),
			Err: fmt.Errorf("candidate abandoned after its context ended: %w", context.DeadlineExceeded)})
	})
	go func() {
		defer st.e.inFlight.Add(-1)
		defer cancel()
		o := Observed[T]{Name: c.Name}
		func() {
			defer func() {
				if p := recover(); p != nil {
					o.Panic = fmt.Sprintf("%v\n%s", p, trimStack(debug.Stack()))
				}
			}()
			o.Value, o.Err = c.Run(cctx)
		}()
		o.Duration = time.Since(t0)
		timer.Stop()
		if errors.Is(cctx.Err(), context.DeadlineExceeded) && (o.Err != nil || o.Duration >= timeout) {
			o.TimedOut = true
		}
		complete(o)
	}()
}

func (st *concurrentRun[T]) finish() {
	res := st.e.judge(st.bg, st.ctl, st.stats, st.cands, st.cst)
	st.e.cfg.deliver(st.bg, res)
}

func runControl[T any](ctx context.Context, control Func[T]) (Observed[T], Stats) {
	return runControlOn(ctx, 0, control)
}

// runControlOn runs the control, noting statements it runs on another
// backend than home (when not 0).
func runControlOn[T any](ctx context.Context, home uint32, control Func[T]) (Observed[T], Stats) {
	cctx, rec := withRecorder(ctx)
	rec.home = home
	t0 := time.Now()
	v, err := control(cctx)
	return Observed[T]{Name: "control", Value: v, Err: err, Duration: time.Since(t0)}, rec.stats()
}

// graceAfterCancel is how long a candidate whose context was cancelled may
// take to return before it is abandoned.
func graceAfterCancel(timeout time.Duration) time.Duration {
	g := timeout / 10
	if g > 100*time.Millisecond {
		g = 100 * time.Millisecond
	}
	return g
}

type candidateOut[T any] struct {
	v     T
	err   error
	panic any
	dur   time.Duration
}

// runCandidate runs one candidate isolated from the caller: panics are
// recovered, and the caller stops waiting after the timeout (plus a short
// grace for the candidate to honour its cancelled context). detached
// candidates ignore the caller's cancellation.
func runCandidate[T any](ctx context.Context, c Candidate[T], timeout time.Duration, detached bool) (Observed[T], Stats) {
	parent := ctx
	if detached {
		parent = context.WithoutCancel(ctx)
	}
	cctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	cctx, rec := withRecorder(cctx)
	ch := make(chan candidateOut[T], 1)
	t0 := time.Now()
	go func() {
		var out candidateOut[T]
		defer func() {
			if p := recover(); p != nil {
				out.panic = fmt.Sprintf("%v\n%s", p, trimStack(debug.Stack()))
			}
			out.dur = time.Since(t0)
			ch <- out
		}()
		out.v, out.err = c.Run(cctx)
	}()
	obs := Observed[T]{Name: c.Name}
	var out candidateOut[T]
	select {
	case out = <-ch:
	case <-cctx.Done():
		grace := time.NewTimer(graceAfterCancel(timeout))
		select {
		case out = <-ch:
			grace.Stop()
		case <-grace.C:
			obs.TimedOut = errors.Is(cctx.Err(), context.DeadlineExceeded)
			obs.Err = fmt.Errorf("candidate abandoned after its context ended: %w", context.Cause(cctx))
			obs.Duration = time.Since(t0)
			return obs, rec.stats()
		}
	}
	obs.Value, obs.Err, obs.Panic, obs.Duration = out.v, out.err, out.panic, out.dur
	if errors.Is(cctx.Err(), context.DeadlineExceeded) && (out.err != nil || out.dur >= timeout) {
		obs.TimedOut = true
	}
	return obs, rec.stats()
}

// trimStack keeps the frames of a panic stack that follow the panic call.
func trimStack(s []byte) string {
	lines := strings.Split(string(s), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "panic(") {
			lines = lines[i:]
			break
		}
	}
	if len(lines) > 20 {
		lines = lines[:20]
	}
	return strings.Join(lines, "\n")
}

// judge compares every candidate with the control and builds the result.
func (e *Experiment[T]) judge(ctx context.Context, ctl Observed[T], stats Stats, cands []Observed[T], cst []Stats) *Result {
	res := &Result{
		Experiment: e.name,
		Kind:       KindRead,
		Time:       time.Now().UTC(),
		Context:    e.cfg.resultContext(ctx),
		Control:    observation(ctl.Name, ctl.Duration, ctl.Err, nil, false, stats),
	}
	for i, c := range cands {
		cr := CandidateResult{Observation: observation(c.Name, c.Duration, c.Err, c.Panic, c.TimedOut, cst[i])}
		cr.Outcome, cr.Diff, cr.Fault = e.verdict(ctl, c)
		res.Candidates = append(res.Candidates, cr)
	}
	return res
}

func observation(name string, d time.Duration, err error, p any, timedOut bool, st Stats) Observation {
	o := Observation{Name: name, DurationNS: d, TimedOut: timedOut, Stats: st}
	if err != nil {
		o.Error = err.Error()
	}
	if p != nil {
		o.Panic = fmt.Sprint(p)
	}
	return o
}

func (e *Experiment[T]) verdict(ctl, c Observed[T]) (out Outcome, diff string, fault bool) {
	out, diff, fault = e.compare(ctl, c)
	if out == Mismatched && e.ignored(ctl, c) {
		out = Ignored
	}
	return out, diff, fault
}

func (e *Experiment[T]) compare(ctl, c Observed[T]) (out Outcome, diff string, fault bool) {
	switch {
	case c.Panic != nil:
		return Mismatched, fmt.Sprintf("candidate panicked: %v", firstLine(fmt.Sprint(c.Panic))), true
	case c.callerGone && (c.Err != nil || c.TimedOut) && ctl.Err == nil:
		// Not the candidate's fault: the request was over.
		return Ignored, fmt.Sprintf("the caller's context ended while the candidate ran: %v", c.Err), false
	case c.TimedOut:
		return Mismatched, fmt.Sprintf("candidate timed out: %v", c.Err), true
	case ctl.Err != nil && c.Err != nil:
		same := sameErrors(e.CompareErrors, ctl.Err, c.Err)
		if same {
			return Matched, "", false
		}
		return Mismatched, fmt.Sprintf("errors differ:\n  control:   %v\n  candidate: %v", ctl.Err, c.Err), false
	case c.Err != nil:
		return Mismatched, fmt.Sprintf("candidate failed, control did not:\n  candidate: %v", c.Err), true
	case ctl.Err != nil:
		return Mismatched, fmt.Sprintf("control failed, candidate did not:\n  control: %v", ctl.Err), false
	}
	equal, d, err := e.compareValues(ctl.Value, c.Value)
	if err != nil {
		return Mismatched, err.Error(), false
	}
	if equal {
		return Matched, "", false
	}
	return Mismatched, d, false
}

func (e *Experiment[T]) compareValues(a, b T) (equal bool, diff string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("comparison panicked: %v", p)
		}
	}()
	if e.Clean != nil {
		a, b = e.Clean(a), e.Clean(b)
	}
	cmp := e.Compare
	if cmp == nil {
		cmp = e.defaultCmp
	}
	equal, diff = cmp(a, b)
	return equal, diff, nil
}

func (e *Experiment[T]) ignored(ctl, c Observed[T]) bool {
	for _, f := range e.Ignore {
		if safeBool(func() bool { return f(ctl, c) }) {
			return true
		}
	}
	return false
}

func safeBool(f func() bool) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return f()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// deliver records the result in metrics and hands it to the publisher.
// Nothing here may block the caller for long or reach it as an error.
func (c *config) deliver(ctx context.Context, res *Result) {
	defer func() { _ = recover() }()
	if c.metrics != nil {
		c.metrics.Observe(res)
	}
	p := c.publisher
	if p == nil {
		p = DefaultPublisher()
	}
	// Fingerprints are computed here unless a Queue does it off this
	// path, and before OnResult sees the result (it must not change
	// under OnResult's feet).
	if _, async := p.(*Queue); !async || c.onResult != nil {
		res.finish()
	}
	if c.onResult != nil {
		c.onResult(res)
	}
	if p == nil {
		return
	}
	if err := p.Publish(ctx, res); err != nil && c.metrics != nil {
		c.metrics.publishError(res.Experiment)
	}
}

// SameError is the default error comparison: two errors are the same when
// their messages are, or when both carry a PostgreSQL error with the same
// SQLSTATE and constraint (the two paths wrap driver errors differently).
func SameError(control, candidate error) bool {
	if control.Error() == candidate.Error() {
		return true
	}
	var a, b *pgconn.PgError
	if errors.As(control, &a) && errors.As(candidate, &b) {
		return a.Code == b.Code && a.ConstraintName == b.ConstraintName
	}
	return false
}

func sameErrors(f func(a, b error) bool, a, b error) bool {
	if f == nil {
		f = SameError
	}
	return safeBool(func() bool { return f(a, b) })
}
