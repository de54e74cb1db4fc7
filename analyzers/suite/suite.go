// Package suite lists ormshift's analyzers: the set that ormshift vet,
// go vet -vettool=ormshift and the golangci-lint plugin run.
package suite

import (
	"golang.org/x/tools/go/analysis"

	"github.com/ormshift/ormshift/analyzers/internal/directive"
	"github.com/ormshift/ormshift/analyzers/internal/rules"
	"github.com/ormshift/ormshift/analyzers/legacycall"
	"github.com/ormshift/ormshift/analyzers/sqlcheck"
	"github.com/ormshift/ormshift/analyzers/sqlinject"
)

// All returns every analyzer of the suite, in a fixed order. Each has a
// stable name (legacycall, sqlinject, sqlcheck) and reports diagnostics
// whose Category is a rule id ("legacycall/read").
func All() []*analysis.Analyzer {
	return []*analysis.Analyzer{
		legacycall.Analyzer,
		sqlinject.Analyzer,
		sqlcheck.Analyzer,
	}
}

// ByName returns the analyzer of the suite with that name, or nil.
func ByName(name string) *analysis.Analyzer {
	for _, a := range All() {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// WithIgnores returns the suite with //ormshift:ignore suppression built
// into each analyzer (results unchanged). ForUnits is what go vet -vettool
// and golangci-lint run: it also reports the directives' problems.
func WithIgnores() []*analysis.Analyzer {
	var out []*analysis.Analyzer
	for _, a := range All() {
		out = append(out, directive.Filter(a))
	}
	return out
}

// ForUnits returns the analyzers for drivers that analyze one package at a
// time and cannot suppress findings themselves (go vet -vettool,
// golangci-lint): each selected analyzer with //ormshift:ignore
// suppression and rule selection built in (enabled nil = every rule), plus
// the "ormshift" analyzer that reports the directives themselves
// (ormshift/ignore-reason, ormshift/unused-ignore, ormshift/todo,
// ormshift/bad-directive), as ormshift vet does. The returned analyzers'
// results are not the suite's results: programs that need legacycall's
// chains require legacycall.Analyzer itself.
func ForUnits(selected []*analysis.Analyzer, enabled func(id string) bool) []*analysis.Analyzer {
	var out []*analysis.Analyzer
	for _, a := range selected {
		out = append(out, directive.Track(a, enabled))
	}
	driverOn := enabled == nil
	for _, r := range rules.All() {
		driverOn = driverOn || (r.Analyzer == rules.DriverAnalyzer && enabled(r.ID))
	}
	if driverOn {
		out = append(out, directive.Reporter(append([]*analysis.Analyzer(nil), out...), enabled))
	}
	return out
}

// Rule describes a rule id for listings.
type Rule struct{ ID, Analyzer, Short, Help string }

// Rules lists the rule ids of the suite and of the driver, sorted.
func Rules() []Rule {
	on := map[string]bool{rules.DriverAnalyzer: true}
	for _, a := range All() {
		on[a.Name] = true
	}
	var out []Rule
	for _, r := range rules.All() {
		if on[r.Analyzer] {
			out = append(out, Rule{ID: r.ID, Analyzer: r.Analyzer, Short: r.Short, Help: r.Help})
		}
	}
	return out
}
