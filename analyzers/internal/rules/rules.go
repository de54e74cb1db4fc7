// Package rules is the registry of diagnostic rule ids shared by ormshift's
// analyzers and drivers. A diagnostic's Category is its rule id
// ("legacycall/read"); analyzers register a description for each of their
// rules so SARIF output and docs can explain them. Rule ids of the driver
// itself ("ormshift/...") are defined here.
package rules

import (
	"sort"
	"strings"
	"sync"
)

// Rule describes one rule id.
type Rule struct {
	ID       string // "legacycall/read"
	Analyzer string // "legacycall"
	Short    string // one line
	Help     string // what to do about it
}

// Driver rule ids: reported by the vet driver for all analyzers.
const (
	IgnoreReason = "ormshift/ignore-reason" // an //ormshift:ignore without a reason
	UnusedIgnore = "ormshift/unused-ignore" // an //ormshift:ignore that suppresses nothing
	Todo         = "ormshift/todo"          // a // ormshift:todo(RULE): reason left by rewrite --mark
	BadDirective = "ormshift/bad-directive" // an //ormshift: comment that cannot be read
)

// DriverAnalyzer is the analyzer name used for the driver's own findings.
const DriverAnalyzer = "ormshift"

var (
	mu  sync.RWMutex
	reg = map[string]Rule{}
)

func init() {
	Register(
		Rule{ID: IgnoreReason, Analyzer: DriverAnalyzer, Short: "ormshift:ignore directive without a reason",
			Help: "Write why the finding is acceptable after the rule: //ormshift:ignore RULE reason."},
		Rule{ID: UnusedIgnore, Analyzer: DriverAnalyzer, Short: "ormshift:ignore directive that suppresses nothing",
			Help: "Remove the directive (-fix does it): the finding it was written for is gone."},
		Rule{ID: Todo, Analyzer: DriverAnalyzer, Short: "call site left for a human by ormshift rewrite --mark",
			Help: "Convert the call site by hand, then delete the ormshift:todo comment."},
		Rule{ID: BadDirective, Analyzer: DriverAnalyzer, Short: "malformed ormshift: directive",
			Help: "Directives are //ormshift:ignore RULE[,RULE] reason and // ormshift:todo(RULE): reason."},
	)
}

// Register adds rules to the registry (later registrations of an id win).
func Register(rs ...Rule) {
	mu.Lock()
	defer mu.Unlock()
	for _, r := range rs {
		reg[r.ID] = r
	}
}

// Lookup returns the rule registered under id.
func Lookup(id string) (Rule, bool) {
	mu.RLock()
	defer mu.RUnlock()
	r, ok := reg[id]
	return r, ok
}

// All returns every registered rule, sorted by id.
func All() []Rule {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]Rule, 0, len(reg))
	for _, r := range reg {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ID returns the rule id of a diagnostic of analyzer with category: the
// category when it is already a rule id ("legacycall/read"), analyzer/category
// for a bare category, the analyzer name when there is none.
func ID(analyzer, category string) string {
	switch {
	case category == "":
		return analyzer
	case strings.Contains(category, "/"):
		return category
	}
	return analyzer + "/" + category
}

// Matches reports whether a selector written by a user (an analyzer name
// "legacycall", a rule id "legacycall/read", or "all") selects rule id.
func Matches(selector, id string) bool {
	if selector == "all" || selector == id {
		return true
	}
	return strings.HasPrefix(id, selector+"/")
}

// Known reports whether a selector written in a directive or a flag names
// something registered: "all", a registered rule id, or the analyzer of one.
func Known(selector string) bool {
	if selector == "all" {
		return true
	}
	mu.RLock()
	defer mu.RUnlock()
	if _, ok := reg[selector]; ok {
		return true
	}
	for _, r := range reg {
		if r.Analyzer == selector {
			return true
		}
	}
	return false
}
