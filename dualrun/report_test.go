package dualrun

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestUpperBound(t *testing.T) {
	if b := UpperBound95(0, 300); b.Value != 0.01 || !strings.Contains(b.Method, "rule of three") {
		t.Errorf("0/300: %+v", b)
	}
	// Exact Clopper–Pearson one-sided 95% bounds (the p at which
	// P(X <= k | n, p) = 0.05; qbeta(0.95, k+1, n-k)), computed
	// independently by summing the binomial terms exactly.
	for _, c := range []struct {
		k, n int
		want float64
	}{{1, 100, 0.046560}, {5, 1000, 0.010484}, {2, 500, 0.012538}, {50, 10000, 0.006324}, {1, 3, 0.864650}, {10, 10, 1}} {
		if b := UpperBound95(c.k, c.n); math.Abs(b.Value-c.want) > 1e-6 {
			t.Errorf("%d/%d: %v, want %v", c.k, c.n, b.Value, c.want)
		}
	}
	for _, n := range []int{3, 30, 1000, 123456} {
		if b := UpperBound95(0, n); b.Value != math.Min(1, 3/float64(n)) {
			t.Errorf("0/%d: %v, want 3/n", n, b.Value)
		}
	}
	if b := UpperBound95(0, 0); b.Value != 1 {
		t.Errorf("0/0: %+v", b)
	}
}

func TestPublishReadAggregateGate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.jsonl")
	j, err := OpenJSONLines(path)
	if err != nil {
		t.Fatal(err)
	}
	q := NewQueue(j, 0)
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	good := New[int]("good", WithPublisher(q), WithMetrics(m))
	bad := New[int]("bad", WithPublisher(q), WithMetrics(m))
	one := func(context.Context) (int, error) { return 1, nil }
	for i := 0; i < 400; i++ {
		_, _ = good.Run(context.Background(), one, one)
		_, _ = bad.Run(context.Background(), one, func(context.Context) (int, error) {
			if i%100 == 0 {
				return 2, nil
			}
			return 1, nil
		})
	}
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if q.Dropped() != 0 || q.Published() != 800 {
		t.Fatalf("queue: published %d dropped %d", q.Published(), q.Dropped())
	}
	if got := counterValue(t, reg, "ormshift_dualrun_runs_total", "bad", "mismatched"); got != 4 {
		t.Errorf("mismatched counter = %v, want 4", got)
	}
	agg := NewAggregator()
	if err := ReadFile(path, agg.Add); err != nil {
		t.Fatal(err)
	}
	sums := agg.Summaries()
	if len(sums) != 2 || sums[0].Experiment != "bad" || sums[0].Samples != 400 || sums[0].Mismatched != 4 ||
		len(sums[0].Examples) != 3 || !strings.Contains(sums[0].Examples[0].Diff, "control 1, candidate 2") {
		t.Fatalf("summaries = %+v", sums)
	}
	verdicts, pass := Gate(sums, GateRule{MinSamples: 300, MaxMismatchRate: 0.01})
	if pass || verdicts[0].Pass || !verdicts[1].Pass {
		t.Errorf("gate: pass=%v verdicts=%+v", pass, verdicts)
	}
	if _, pass := Gate(sums[1:], GateRule{MinSamples: 500, MaxMismatchRate: 0.01}); pass {
		t.Error("gate passed with too few samples")
	}
	if _, pass := Gate(nil, GateRule{}); pass {
		t.Error("gate passed with no experiments")
	}
}

func TestQueueDropsInsteadOfBlocking(t *testing.T) {
	block := make(chan struct{})
	q := NewQueue(PublisherFunc(func(context.Context, *Result) error { <-block; return nil }), 2)
	start := time.Now()
	for i := 0; i < 10; i++ {
		if err := q.Publish(context.Background(), &Result{Experiment: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("Publish blocked on a stuck publisher")
	}
	// One in flight, two queued, the rest dropped.
	if d := q.Dropped(); d < 7 || d > 8 {
		t.Errorf("dropped %d, want 7 or 8", d)
	}
	close(block)
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if q.Published()+q.Dropped() != 10 {
		t.Errorf("published %d + dropped %d != 10", q.Published(), q.Dropped())
	}
}

func TestReadJSONLinesNamesBadLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	if err := os.WriteFile(path, []byte(`{"experiment":"a","candidates":[]}`+"\nnot json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := ReadFile(path, func(*Result) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "r.jsonl:2:") {
		t.Fatalf("err = %v, want one naming line 2", err)
	}
}

// counterValue finds a counter sample whose labels include every value in
// labels.
func counterValue(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	metric:
		for _, m := range f.GetMetric() {
			have := map[string]bool{}
			for _, l := range m.GetLabel() {
				have[l.GetValue()] = true
			}
			for _, l := range labels {
				if !have[l] {
					continue metric
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no %s sample with labels %v", name, labels)
	return 0
}
