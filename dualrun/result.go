package dualrun

import (
	"fmt"
	"time"
)

// Outcome is the verdict on one candidate in one run.
type Outcome string

// Outcomes.
const (
	// Matched: the candidate's result (or effects) equal the control's.
	Matched Outcome = "matched"
	// Mismatched: they differ, or the candidate failed where the control did not.
	Mismatched Outcome = "mismatched"
	// Ignored: an ignore predicate matched; the run does not count.
	Ignored Outcome = "ignored"
)

// Kind says what an experiment compares.
type Kind string

// Kinds.
const (
	KindRead  Kind = "read"  // results of the two paths
	KindWrite Kind = "write" // row effects of the two paths
)

// Observation is what one path did in one run, as published.
type Observation struct {
	Name       string        `json:"name"`
	DurationNS time.Duration `json:"duration_ns"`
	Error      string        `json:"error,omitempty"`
	// Panic holds the recovered panic value of a candidate, as text.
	Panic string `json:"panic,omitempty"`
	// TimedOut: the candidate did not finish within the experiment's timeout.
	TimedOut bool  `json:"timed_out,omitempty"`
	Stats    Stats `json:"stats"`
}

// Failed reports whether the path failed in a way that is not a plain
// returned error: a panic or a timeout.
func (o Observation) Failed() bool { return o.Panic != "" || o.TimedOut }

// CandidateResult is the verdict on one candidate.
type CandidateResult struct {
	Observation
	Outcome Outcome `json:"outcome"`
	// Diff is a readable account of the first differences, for mismatches.
	Diff string `json:"diff,omitempty"`
	// Fault is set when the candidate errored, panicked or timed out while
	// the control did not; such runs are mismatches and also counted as
	// candidate errors.
	Fault bool `json:"fault,omitempty"`
}

// Result is one run of an experiment: what publishers receive and what
// report and gate read back.
type Result struct {
	Experiment string            `json:"experiment"`
	Kind       Kind              `json:"kind"`
	Time       time.Time         `json:"time"`
	Context    map[string]string `json:"context,omitempty"`
	Control    Observation       `json:"control"`
	Candidates []CandidateResult `json:"candidates"`
	// Note carries the shim's own remarks (for example that the candidate
	// broke the shared connection and the control ran on a fresh one).
	Note string `json:"note,omitempty"`
}

// Mismatched reports whether any candidate mismatched.
func (r *Result) Mismatched() bool {
	for _, c := range r.Candidates {
		if c.Outcome == Mismatched {
			return true
		}
	}
	return false
}

// finish computes what is deferred off the caller's path (fingerprints).
func (r *Result) finish() {
	r.Control.Stats.finish()
	for i := range r.Candidates {
		r.Candidates[i].Stats.finish()
	}
}

// MismatchError is returned, in raise-on-mismatch mode (for tests), in place
// of a nil control error when a candidate mismatched.
type MismatchError struct {
	Experiment string
	Candidate  string
	Diff       string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("dualrun: experiment %s: candidate %s mismatched:\n%s", e.Experiment, e.Candidate, e.Diff)
}
