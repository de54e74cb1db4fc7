package dualrun

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// Slow candidates in concurrent mode cannot pile up: beyond MaxInFlight the
// experiment is skipped and the caller only runs the control.
func TestConcurrentBoundsCandidatesInFlight(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var skips []string
	ch, opts := collect()
	exp := New[int]("bounded", append(opts, Concurrent(), MaxInFlight(3), Timeout(10*time.Second),
		OnSkip(func(reason string, err error) { mu.Lock(); skips = append(skips, reason+": "+err.Error()); mu.Unlock() }))...)
	for i := 0; i < 10; i++ {
		v, err := exp.Run(context.Background(), func(context.Context) (int, error) { return 1, nil },
			func(context.Context) (int, error) { <-release; return 1, nil })
		if v != 1 || err != nil {
			t.Fatalf("caller got (%v, %v)", v, err)
		}
	}
	mu.Lock()
	if len(skips) != 7 || !strings.Contains(skips[0], "too many candidates in flight") {
		t.Errorf("skips = %d %q, want 7 for 10 calls with 3 in flight", len(skips), skips)
	}
	mu.Unlock()
	close(release)
	for i := 0; i < 3; i++ {
		if r := waitResult(t, ch); r.Candidates[0].Outcome != Matched {
			t.Errorf("run %d: %s", i, r.Candidates[0].Outcome)
		}
	}
	// Once they are done, calls run the experiment again.
	deadline := time.Now().Add(5 * time.Second)
	for exp.inFlight.Load() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	_, _ = exp.Run(context.Background(), func(context.Context) (int, error) { return 1, nil }, func(context.Context) (int, error) { return 1, nil })
	waitResult(t, ch)
}

// A candidate cut short because the caller's request ended is not the
// candidate's mismatch.
func TestCallerCancellationIsNotACandidateMismatch(t *testing.T) {
	ch, opts := collect()
	exp := New[int]("cancelled", opts...)
	ctx, cancel := context.WithCancel(context.Background())
	v, err := exp.Run(ctx, func(context.Context) (int, error) { return 1, nil }, func(ctx context.Context) (int, error) {
		cancel() // the client goes away while the candidate runs
		<-ctx.Done()
		return 0, ctx.Err()
	})
	if v != 1 || err != nil {
		t.Fatalf("caller got (%v, %v)", v, err)
	}
	r := waitResult(t, ch)
	if c := r.Candidates[0]; c.Outcome != Ignored || c.Fault || !strings.Contains(c.Diff, "caller's context ended") {
		t.Errorf("outcome %s fault %v diff %q, want ignored", c.Outcome, c.Fault, c.Diff)
	}
}

func TestFingerprintCacheIsBounded(t *testing.T) {
	for i := 0; i < 3*maxFingerprintCache; i++ {
		// Inlined literals: every text differs, every shape is the same.
		Fingerprint(fmt.Sprintf("SELECT * FROM packages WHERE id IN (%d, %d)", i, i+1))
	}
	fingerprintCache.Lock()
	n := len(fingerprintCache.m)
	fingerprintCache.Unlock()
	if n > maxFingerprintCache {
		t.Errorf("fingerprint cache holds %d texts, bound %d", n, maxFingerprintCache)
	}
	if a, b := Fingerprint("SELECT * FROM packages WHERE id IN (1, 2)"), Fingerprint("SELECT * FROM packages WHERE id IN (7, 8)"); a != b {
		t.Errorf("same shape, different fingerprints: %s %s", a, b)
	}
	long := "SELEC " + strings.Repeat("x", 10000)
	if fp := Fingerprint(long); !strings.HasPrefix(fp, "text:") || len(fp) > 40 {
		t.Errorf("unparsable statement fingerprint %q: want a short text: hash", fp[:min(len(fp), 60)])
	}
	rec := &recorder{}
	for i := 0; i < 1000; i++ {
		rec.add("INSERT INTO t VALUES "+strings.Repeat("(1),", 2000)+"(1)", 1, 1)
	}
	st := rec.stats()
	if st.Statements != 1000 || len(st.sqls) == 0 || rec.sqlBytes > maxRecordedSQLBytes {
		t.Errorf("recorder: %d statements, %d texts kept, %d bytes (bound %d)", st.Statements, len(st.sqls), rec.sqlBytes, maxRecordedSQLBytes)
	}
	st.finish()
	for _, q := range st.Queries {
		if len(q) > maxQueryExample+len("…") {
			t.Errorf("example query of %d bytes kept", len(q))
		}
	}
}
