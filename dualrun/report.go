package dualrun

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
)

// ReadJSONLines reads results from a JSON lines stream (as JSONLines
// writes), calling fn for each. Errors name the source and line.
func ReadJSONLines(r io.Reader, source string, fn func(*Result) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64*1024*1024)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(b) == 0 {
			continue
		}
		var res Result
		if err := json.Unmarshal(b, &res); err != nil {
			return fmt.Errorf("%s:%d: not a dualrun result: %w", source, line, err)
		}
		if res.Experiment == "" {
			return fmt.Errorf("%s:%d: not a dualrun result: no experiment name", source, line)
		}
		if err := fn(&res); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: read after line %d: %w", source, line, err)
	}
	return nil
}

// ReadFile reads the results of a JSON lines file.
func ReadFile(path string, fn func(*Result) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open results: %w", err)
	}
	defer f.Close()
	return ReadJSONLines(f, path, fn)
}

// ReadTable reads the results the Postgres publisher stored in table
// (ResultsTable when empty), in a read-only transaction.
func ReadTable(ctx context.Context, conn *pgx.Conn, table string, fn func(*Result) error) error {
	ident, err := tableIdent(table)
	if err != nil {
		return err
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("begin read-only transaction: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	rows, err := tx.Query(ctx, "SELECT id, result FROM "+ident+" ORDER BY id")
	if err != nil {
		return fmt.Errorf("read %s: %w", ident, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var b []byte
		if err := rows.Scan(&id, &b); err != nil {
			return fmt.Errorf("read %s: %w", ident, err)
		}
		var res Result
		if err := json.Unmarshal(b, &res); err != nil {
			return fmt.Errorf("%s row id %d: not a dualrun result: %w", ident, id, err)
		}
		if err := fn(&res); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", ident, err)
	}
	return nil
}

// Latency is a latency summary of one path, in milliseconds.
type Latency struct {
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
}

// PathStats summarises one path across the runs of an experiment.
type PathStats struct {
	Latency Latency `json:"latency"`
	// Mean statements and round trips per run.
	Statements float64 `json:"statements"`
	RoundTrips float64 `json:"round_trips"`
	// Fingerprints: statement shapes seen, with their counts over all runs.
	Fingerprints map[string]int `json:"fingerprints,omitempty"`
}

// Example is one mismatch, as shown by report.
type Example struct {
	Time    time.Time         `json:"time"`
	Diff    string            `json:"diff"`
	Context map[string]string `json:"context,omitempty"`
}

// Summary is the report of one experiment (and candidate).
type Summary struct {
	Experiment string `json:"experiment"`
	Candidate  string `json:"candidate"`
	Kind       Kind   `json:"kind"`
	// Samples are the runs that count: matched plus mismatched.
	Samples         int       `json:"samples"`
	Matched         int       `json:"matched"`
	Mismatched      int       `json:"mismatched"`
	Ignored         int       `json:"ignored"`
	CandidateErrors int       `json:"candidate_errors"`
	MatchRate       float64   `json:"match_rate"`
	MismatchRate    float64   `json:"mismatch_rate"`
	Bound           Bound     `json:"mismatch_rate_upper_bound"`
	Control         PathStats `json:"control"`
	CandidatePath   PathStats `json:"candidate_path"`
	Examples        []Example `json:"mismatch_examples,omitempty"`
}

// Bound is a one-sided 95% upper confidence bound on a mismatch rate.
type Bound struct {
	Value  float64 `json:"value"`
	Method string  `json:"method"`
}

// UpperBound95 returns the one-sided 95% upper bound on the rate of an
// event seen k times in n trials: the rule of three (3/n) when k is 0, the
// exact Clopper–Pearson bound otherwise; 1 when n is 0.
func UpperBound95(k, n int) Bound {
	switch {
	case n <= 0:
		return Bound{Value: 1, Method: "no samples"}
	case k == 0:
		return Bound{Value: math.Min(1, 3/float64(n)), Method: "rule of three (3/n)"}
	case k >= n:
		return Bound{Value: 1, Method: "Clopper-Pearson"}
	}
	// The p for which P(X <= k | n, p) = 0.05, by bisection (the CDF
	// falls as p grows).
	lo, hi := float64(k)/float64(n), 1.0
	for i := 0; i < 100; i++ {
		mid := (lo + hi) / 2
		if binomCDF(k, n, mid) > 0.05 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return Bound{Value: hi, Method: "Clopper-Pearson (exact binomial)"}
}

func binomCDF(k, n int, p float64) float64 {
	lp, lq := math.Log(p), math.Log1p(-p)
	ln, _ := math.Lgamma(float64(n + 1))
	var sum float64
	for i := 0; i <= k; i++ {
		li, _ := math.Lgamma(float64(i + 1))
		lr, _ := math.Lgamma(float64(n - i + 1))
		sum += math.Exp(ln - li - lr + float64(i)*lp + float64(n-i)*lq)
	}
	return math.Min(1, sum)
}

// MaxExamples is how many mismatch examples a summary keeps.
const MaxExamples = 3

// Aggregator builds summaries from results.
type Aggregator struct {
	byKey map[[2]string]*agg
	order [][2]string
}

type agg struct {
	s          Summary
	ctl, cand  []time.Duration
	ctlStmts   int
	ctlTrips   int
	candStmts  int
	candTrips  int
	runs       int
	ctlPrints  map[string]int
	candPrints map[string]int
}

// NewAggregator returns an empty aggregator.
func NewAggregator() *Aggregator { return &Aggregator{byKey: map[[2]string]*agg{}} }

// Add counts one result.
func (a *Aggregator) Add(r *Result) error {
	for _, c := range r.Candidates {
		key := [2]string{r.Experiment, c.Name}
		g := a.byKey[key]
		if g == nil {
			g = &agg{s: Summary{Experiment: r.Experiment, Candidate: c.Name, Kind: r.Kind},
				ctlPrints: map[string]int{}, candPrints: map[string]int{}}
			a.byKey[key] = g
			a.order = append(a.order, key)
		}
		switch c.Outcome {
		case Matched:
			g.s.Matched++
		case Mismatched:
			g.s.Mismatched++
			if len(g.s.Examples) < MaxExamples {
				g.s.Examples = append(g.s.Examples, Example{Time: r.Time, Diff: c.Diff, Context: r.Context})
			}
		case Ignored:
			g.s.Ignored++
		default:
			return fmt.Errorf("experiment %s: unknown outcome %q", r.Experiment, c.Outcome)
		}
		if c.Fault {
			g.s.CandidateErrors++
		}
		g.runs++
		g.ctl = append(g.ctl, r.Control.DurationNS)
		g.cand = append(g.cand, c.DurationNS)
		g.ctlStmts += r.Control.Stats.Statements
		g.ctlTrips += r.Control.Stats.RoundTrips
		g.candStmts += c.Stats.Statements
		g.candTrips += c.Stats.RoundTrips
		for fp, n := range r.Control.Stats.Fingerprints {
			g.ctlPrints[fp] += n
		}
		for fp, n := range c.Stats.Fingerprints {
			g.candPrints[fp] += n
		}
	}
	return nil
}

// Summaries returns one summary per experiment and candidate, sorted by
// experiment name.
func (a *Aggregator) Summaries() []Summary {
	out := make([]Summary, 0, len(a.order))
	for _, key := range a.order {
		g := a.byKey[key]
		s := g.s
		s.Samples = s.Matched + s.Mismatched
		if s.Samples > 0 {
			s.MatchRate = float64(s.Matched) / float64(s.Samples)
			s.MismatchRate = float64(s.Mismatched) / float64(s.Samples)
		}
		s.Bound = UpperBound95(s.Mismatched, s.Samples)
		s.Control = pathStats(g.ctl, g.ctlStmts, g.ctlTrips, g.runs, g.ctlPrints)
		s.CandidatePath = pathStats(g.cand, g.candStmts, g.candTrips, g.runs, g.candPrints)
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Experiment != out[j].Experiment {
			return out[i].Experiment < out[j].Experiment
		}
		return out[i].Candidate < out[j].Candidate
	})
	return out
}

func pathStats(ds []time.Duration, stmts, trips, runs int, prints map[string]int) PathStats {
	ps := PathStats{Fingerprints: prints}
	if len(prints) == 0 {
		ps.Fingerprints = nil
	}
	if runs > 0 {
		ps.Statements = float64(stmts) / float64(runs)
		ps.RoundTrips = float64(trips) / float64(runs)
	}
	sorted := append([]time.Duration(nil), ds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	ps.Latency = Latency{P50: percentile(sorted, 50), P95: percentile(sorted, 95), P99: percentile(sorted, 99)}
	return ps
}

// percentile of sorted durations (nearest rank), in milliseconds.
func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return float64(sorted[rank]) / float64(time.Millisecond)
}

// GateRule is what an experiment must show to qualify for cutover.
type GateRule struct {
	MinSamples int
	// MaxMismatchRate bounds the 95% upper bound of the mismatch rate; 0
	// requires that no mismatch was seen at all.
	MaxMismatchRate float64
}

// Verdict is the gate's decision on one experiment.
type Verdict struct {
	Summary
	Pass   bool   `json:"pass"`
	Reason string `json:"reason"`
}

// Gate decides, for every summary, whether it qualifies.
func Gate(sums []Summary, rule GateRule) (verdicts []Verdict, pass bool) {
	pass = len(sums) > 0
	for _, s := range sums {
		v := Verdict{Summary: s, Pass: true}
		switch {
		case s.Samples < rule.MinSamples:
			v.Pass = false
			v.Reason = fmt.Sprintf("%d samples, fewer than the %d required", s.Samples, rule.MinSamples)
		case rule.MaxMismatchRate == 0 && s.Mismatched > 0:
			v.Pass = false
			v.Reason = fmt.Sprintf("%d mismatch(es); none allowed", s.Mismatched)
		case rule.MaxMismatchRate > 0 && s.Bound.Value > rule.MaxMismatchRate:
			v.Pass = false
			v.Reason = fmt.Sprintf("mismatch rate upper bound %.4g%% > %.4g%% allowed", 100*s.Bound.Value, 100*rule.MaxMismatchRate)
		default:
			v.Reason = fmt.Sprintf("%d samples, upper bound %.4g%% within %.4g%%", s.Samples, 100*s.Bound.Value, 100*rule.MaxMismatchRate)
		}
		if !v.Pass {
			pass = false
		}
		verdicts = append(verdicts, v)
	}
	return verdicts, pass
}
