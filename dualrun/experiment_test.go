package dualrun

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ormshift/ormshift/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// collect returns options that publish nowhere and hand results to a channel.
func collect() (chan *Result, []Option) {
	ch := make(chan *Result, 64)
	return ch, []Option{
		WithPublisher(PublisherFunc(func(context.Context, *Result) error { return nil })),
		OnResult(func(r *Result) { ch <- r }),
	}
}

func waitResult(t *testing.T, ch chan *Result) *Result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no result published within 10s")
		return nil
	}
}

// waitGoroutines waits until the number of goroutines is back to at most
// base (they wind down asynchronously), failing after a few seconds.
func waitGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= base {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("goroutines leaked: %d now, %d before\n%s", n, base, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var errControl = errors.New("control failed")

func TestControlResultWhateverTheCandidateDoes(t *testing.T) {
	type fault struct {
		name      string
		candidate Func[int]
		outcome   Outcome
		fault     bool
		timedOut  bool
		diff      string
	}
	faults := []fault{
		{"matches", func(context.Context) (int, error) { return 42, nil }, Matched, false, false, ""},
		{"wrong value", func(context.Context) (int, error) { return 41, nil }, Mismatched, false, false, "control 42, candidate 41"},
		{"error", func(context.Context) (int, error) { return 0, errors.New("boom") }, Mismatched, true, false, "candidate failed, control did not"},
		{"panic", func(context.Context) (int, error) { panic("candidate exploded") }, Mismatched, true, false, "candidate panicked: candidate exploded"},
		{"timeout honouring ctx", func(ctx context.Context) (int, error) {
			<-ctx.Done()
			return 0, ctx.Err()
		}, Mismatched, true, true, "timed out"},
		{"slow ignoring ctx", func(ctx context.Context) (int, error) {
			time.Sleep(400 * time.Millisecond)
			return 42, nil
		}, Mismatched, true, true, "timed out"},
		{"cancels its own context", func(ctx context.Context) (int, error) {
			ctx, cancel := context.WithCancel(ctx)
			cancel()
			return 0, ctx.Err()
		}, Mismatched, true, false, "context canceled"},
	}
	for _, mode := range []string{"sequential", "concurrent"} {
		for _, f := range faults {
			t.Run(mode+"/"+f.name, func(t *testing.T) {
				base := runtime.NumGoroutine()
				ch, opts := collect()
				opts = append(opts, Timeout(50*time.Millisecond))
				if mode == "concurrent" {
					opts = append(opts, Concurrent())
				}
				exp := New[int]("answer", opts...)
				v, err := exp.Run(context.Background(), func(context.Context) (int, error) { return 42, nil }, f.candidate)
				if v != 42 || err != nil {
					t.Fatalf("caller got (%v, %v), want the control's (42, nil)", v, err)
				}
				r := waitResult(t, ch)
				c := r.Candidates[0]
				if c.Outcome != f.outcome || c.Fault != f.fault || c.TimedOut != f.timedOut {
					t.Errorf("verdict = %s fault=%v timedOut=%v, want %s fault=%v timedOut=%v (diff %q, error %q)",
						c.Outcome, c.Fault, c.TimedOut, f.outcome, f.fault, f.timedOut, c.Diff, c.Error)
				}
				if !strings.Contains(c.Diff, f.diff) {
					t.Errorf("diff %q does not contain %q", c.Diff, f.diff)
				}
				waitGoroutines(t, base)
			})
		}
	}
}

func TestControlErrorAndPanicReachTheCaller(t *testing.T) {
	ch, opts := collect()
	exp := New[int]("err", opts...)
	v, err := exp.Run(context.Background(),
		func(context.Context) (int, error) { return 7, errControl },
		func(context.Context) (int, error) { return 0, errors.New("other") })
	if v != 7 || !errors.Is(err, errControl) {
		t.Fatalf("got (%v, %v), want (7, control failed)", v, err)
	}
	if r := waitResult(t, ch); r.Candidates[0].Outcome != Mismatched || !strings.Contains(r.Candidates[0].Diff, "errors differ") {
		t.Errorf("different errors: got %s %q", r.Candidates[0].Outcome, r.Candidates[0].Diff)
	}
	// Same error text on both sides matches.
	_, _ = exp.Run(context.Background(),
		func(context.Context) (int, error) { return 0, errControl },
		func(context.Context) (int, error) { return 0, errors.New("control failed") })
	if r := waitResult(t, ch); r.Candidates[0].Outcome != Matched {
		t.Errorf("equal errors: got %s", r.Candidates[0].Outcome)
	}
	// A panicking control panics in the caller, as it would without the shim.
	defer func() {
		if p := recover(); p != "legacy bug" {
			t.Errorf("recovered %v, want the control's panic", p)
		}
	}()
	_, _ = exp.Run(context.Background(),
		func(context.Context) (int, error) { panic("legacy bug") },
		func(context.Context) (int, error) { return 1, nil })
	t.Error("control panic did not reach the caller")
}

func TestConcurrentReturnsBeforeTheCandidate(t *testing.T) {
	ch, opts := collect()
	exp := New[string]("conc", append(opts, Concurrent(), Timeout(5*time.Second))...)
	release := make(chan struct{})
	started := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	v, err := exp.Run(ctx, func(context.Context) (string, error) {
		<-started // the candidate is running
		return "ok", nil
	}, func(ctx context.Context) (string, error) {
		close(started)
		select {
		case <-release:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		return "ok", nil
	})
	if v != "ok" || err != nil {
		t.Fatalf("got (%v, %v)", v, err)
	}
	// The caller's context ends (the request is over): the detached
	// candidate goes on and is still compared.
	cancel()
	select {
	case r := <-ch:
		t.Fatalf("result published before the candidate finished: %+v", r)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if r := waitResult(t, ch); r.Candidates[0].Outcome != Matched {
		t.Errorf("got %s %q %q", r.Candidates[0].Outcome, r.Candidates[0].Diff, r.Candidates[0].Error)
	}
}

func TestConcurrentComparesASnapshotOfTheControlValue(t *testing.T) {
	ch, opts := collect()
	exp := New[[]int]("snap", append(opts, Concurrent())...)
	release := make(chan struct{})
	v, _ := exp.Run(context.Background(),
		func(context.Context) ([]int, error) { return []int{1, 2, 3}, nil },
		func(context.Context) ([]int, error) { <-release; return []int{1, 2, 3}, nil })
	v[0] = 99 // the caller mutates its result while the candidate runs
	close(release)
	if r := waitResult(t, ch); r.Candidates[0].Outcome != Matched {
		t.Errorf("caller's mutation leaked into the comparison: %s %q", r.Candidates[0].Outcome, r.Candidates[0].Diff)
	}
}

func TestSampling(t *testing.T) {
	var ran atomic.Int64
	cand := func(context.Context) (int, error) { ran.Add(1); return 1, nil }
	ctl := func(context.Context) (int, error) { return 1, nil }
	none := WithPublisher(PublisherFunc(func(context.Context, *Result) error { return nil }))

	for _, tc := range []struct {
		pct    float64
		lo, hi int64
	}{{0, 0, 0}, {100, 2000, 2000}, {25, 350, 650}} {
		ran.Store(0)
		exp := New[int]("sample", none, Percent(tc.pct))
		for i := 0; i < 2000; i++ {
			if v, err := exp.Run(context.Background(), ctl, cand); v != 1 || err != nil {
				t.Fatal(v, err)
			}
		}
		if n := ran.Load(); n < tc.lo || n > tc.hi {
			t.Errorf("Percent(%v): candidate ran %d/2000 times, want %d..%d", tc.pct, n, tc.lo, tc.hi)
		}
	}
}

func TestRunIf(t *testing.T) {
	var ran atomic.Int64
	var skips []string
	cand := func(context.Context) (int, error) { ran.Add(1); return 1, nil }
	ctl := func(context.Context) (int, error) { return 1, nil }
	none := WithPublisher(PublisherFunc(func(context.Context, *Result) error { return nil }))
	onSkip := OnSkip(func(reason string, err error) { skips = append(skips, reason+": "+err.Error()) })
	type key struct{}
	only := func(ctx context.Context) (bool, error) { return ctx.Value(key{}) != nil, nil }

	exp := New[int]("runif", none, RunIf(only), onSkip)
	_, _ = exp.Run(context.Background(), ctl, cand)
	_, _ = exp.Run(context.WithValue(context.Background(), key{}, 1), ctl, cand)
	if ran.Load() != 1 {
		t.Errorf("run-if: candidate ran %d times, want 1", ran.Load())
	}
	failing := New[int]("runif-err", none, onSkip, RunIf(func(context.Context) (bool, error) { return true, errors.New("flag service down") }))
	panicking := New[int]("runif-panic", none, onSkip, RunIf(func(context.Context) (bool, error) { panic("bad flag") }))
	for _, e := range []*Experiment[int]{failing, panicking} {
		if v, err := e.Run(context.Background(), ctl, cand); v != 1 || err != nil {
			t.Errorf("%s: caller got (%v, %v)", e.Name(), v, err)
		}
	}
	if ran.Load() != 1 {
		t.Errorf("a failing run-if must skip the experiment; candidate ran %d times", ran.Load())
	}
	if len(skips) != 2 || !strings.Contains(skips[0], "flag service down") || !strings.Contains(skips[1], "bad flag") {
		t.Errorf("skips = %q", skips)
	}
}

func TestRandomOrder(t *testing.T) {
	none := WithPublisher(PublisherFunc(func(context.Context, *Result) error { return nil }))
	count := func(opts ...Option) (controlFirst, candidateFirst int) {
		exp := New[int]("order", append(opts, none)...)
		for i := 0; i < 200; i++ {
			var mu sync.Mutex
			var order []string
			mark := func(s string) Func[int] {
				return func(context.Context) (int, error) {
					mu.Lock()
					order = append(order, s)
					mu.Unlock()
					return 0, nil
				}
			}
			_, _ = exp.Run(context.Background(), mark("control"), mark("candidate"))
			if order[0] == "control" {
				controlFirst++
			} else {
				candidateFirst++
			}
		}
		return
	}
	if cf, df := count(); cf != 200 || df != 0 {
		t.Errorf("default order: control first %d, candidate first %d; want always control first", cf, df)
	}
	if cf, df := count(RandomOrder()); cf < 50 || df < 50 {
		t.Errorf("random order: control first %d, candidate first %d of 200", cf, df)
	}
}

func TestCleanIgnoreAndCompare(t *testing.T) {
	type user struct {
		Name  string
		Token string
	}
	ch, opts := collect()
	exp := New[user]("users", opts...)
	ctl := func(context.Context) (user, error) { return user{"ann", "t1"}, nil }
	cand := func(context.Context) (user, error) { return user{"ann", "t2"}, nil }

	_, _ = exp.Run(context.Background(), ctl, cand)
	if r := waitResult(t, ch); r.Candidates[0].Outcome != Mismatched || !strings.Contains(r.Candidates[0].Diff, `.Token: control "t1", candidate "t2"`) {
		t.Errorf("without clean: %s %q", r.Candidates[0].Outcome, r.Candidates[0].Diff)
	}

	exp.Clean = func(u user) user { u.Token = ""; return u }
	_, _ = exp.Run(context.Background(), ctl, cand)
	if r := waitResult(t, ch); r.Candidates[0].Outcome != Matched {
		t.Errorf("with clean: %s %q", r.Candidates[0].Outcome, r.Candidates[0].Diff)
	}

	exp.Clean = nil
	exp.Ignore = []func(a, b Observed[user]) bool{
		func(a, b Observed[user]) bool { panic("broken predicate") },
		func(a, b Observed[user]) bool { return a.Value.Token != b.Value.Token },
	}
	_, _ = exp.Run(context.Background(), ctl, cand)
	if r := waitResult(t, ch); r.Candidates[0].Outcome != Ignored {
		t.Errorf("with ignore: %s", r.Candidates[0].Outcome)
	}

	exp.Ignore = nil
	exp.Compare = func(a, b user) (bool, string) { panic("broken comparer") }
	v, err := exp.Run(context.Background(), ctl, cand)
	if v.Token != "t1" || err != nil {
		t.Fatalf("caller got (%v, %v)", v, err)
	}
	if r := waitResult(t, ch); r.Candidates[0].Outcome != Mismatched || !strings.Contains(r.Candidates[0].Diff, "comparison panicked: broken comparer") {
		t.Errorf("panicking comparer: %s %q", r.Candidates[0].Outcome, r.Candidates[0].Diff)
	}
}

func TestRaiseOnMismatchAndMetadata(t *testing.T) {
	ch, opts := collect()
	exp := New[int]("raise", append(opts, RaiseOnMismatch(), Concurrent(), Context(map[string]string{"env": "test"}))...)
	ctx := WithMetadata(context.Background(), "request", "r-1")
	v, err := exp.Run(ctx, func(context.Context) (int, error) { return 1, nil }, func(context.Context) (int, error) { return 2, nil })
	var me *MismatchError
	if v != 1 || !errors.As(err, &me) || me.Experiment != "raise" || !strings.Contains(me.Diff, "control 1, candidate 2") {
		t.Fatalf("got (%v, %v), want (1, *MismatchError)", v, err)
	}
	r := waitResult(t, ch)
	if r.Context["env"] != "test" || r.Context["request"] != "r-1" {
		t.Errorf("context = %v", r.Context)
	}
	if v, err := exp.Run(ctx, func(context.Context) (int, error) { return 1, nil }, func(context.Context) (int, error) { return 1, nil }); v != 1 || err != nil {
		t.Errorf("matching run in raise mode: (%v, %v)", v, err)
	}
	waitResult(t, ch)
}

func TestRunManyCandidates(t *testing.T) {
	ch, opts := collect()
	exp := New[int]("many", opts...)
	v, err := exp.RunMany(context.Background(), func(context.Context) (int, error) { return 3, nil },
		Candidate[int]{Name: "good", Run: func(context.Context) (int, error) { return 3, nil }},
		Candidate[int]{Run: func(context.Context) (int, error) { return 4, nil }})
	if v != 3 || err != nil {
		t.Fatal(v, err)
	}
	r := waitResult(t, ch)
	if len(r.Candidates) != 2 || r.Candidates[0].Name != "good" || r.Candidates[0].Outcome != Matched ||
		r.Candidates[1].Name != "candidate2" || r.Candidates[1].Outcome != Mismatched {
		t.Errorf("candidates = %+v", r.Candidates)
	}
}
