package dualrun

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the Prometheus metrics of experiments, labelled by experiment
// (and candidate for verdicts):
//
//	ormshift_dualrun_runs_total{experiment,candidate,outcome}   matched|mismatched|ignored
//	ormshift_dualrun_candidate_errors_total{experiment,candidate} error, panic or timeout
//	ormshift_dualrun_skipped_total{experiment}                 run-if failed, capture unavailable, too many in flight
//	ormshift_dualrun_publish_errors_total{experiment}
//	ormshift_dualrun_duration_seconds{experiment,path}         histogram; path control|candidate
type Metrics struct {
	runs          *prometheus.CounterVec
	candErrors    *prometheus.CounterVec
	skips         *prometheus.CounterVec
	publishErrors *prometheus.CounterVec
	duration      *prometheus.HistogramVec
}

// NewMetrics creates the metrics and registers them with reg (use
// prometheus.DefaultRegisterer for the default /metrics handler).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "ormshift", Subsystem: "dualrun", Name: "runs_total",
			Help: "Experiment runs by verdict (matched, mismatched, ignored).",
		}, []string{"experiment", "candidate", "outcome"}),
		candErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "ormshift", Subsystem: "dualrun", Name: "candidate_errors_total",
			Help: "Candidate runs that returned an error, panicked or timed out while the control succeeded.",
		}, []string{"experiment", "candidate"}),
		skips: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "ormshift", Subsystem: "dualrun", Name: "skipped_total",
			Help: "Sampled calls that skipped the experiment (run-if failed, capture unavailable, too many candidates in flight).",
		}, []string{"experiment"}),
		publishErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "ormshift", Subsystem: "dualrun", Name: "publish_errors_total",
			Help: "Results the publisher refused.",
		}, []string{"experiment"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "ormshift", Subsystem: "dualrun", Name: "duration_seconds",
			Help:    "Latency of each path of an experiment.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 18), // 100µs .. ~13s
		}, []string{"experiment", "path"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.runs, m.candErrors, m.skips, m.publishErrors, m.duration} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("dualrun: register metrics: %w", err)
			}
		}
	}
	return m, nil
}

// Observe records one result.
func (m *Metrics) Observe(r *Result) {
	m.duration.WithLabelValues(r.Experiment, "control").Observe(r.Control.DurationNS.Seconds())
	for _, c := range r.Candidates {
		m.runs.WithLabelValues(r.Experiment, c.Name, string(c.Outcome)).Inc()
		if c.Fault {
			m.candErrors.WithLabelValues(r.Experiment, c.Name).Inc()
		}
		m.duration.WithLabelValues(r.Experiment, "candidate").Observe(c.DurationNS.Seconds())
	}
}

func (m *Metrics) skipped(experiment string) { m.skips.WithLabelValues(experiment).Inc() }

func (m *Metrics) publishError(experiment string) {
	m.publishErrors.WithLabelValues(experiment).Inc()
}
