// Package legacycall defines an analyzer that reports every legacy ORM
// data-access statement: one diagnostic per finisher call (Find, Create,
// Exec, Transaction, AutoMigrate, ...), naming the operation, the model and
// its table, and the clauses of the chain that built the statement, e.g.
//
//	legacy GORM Find on Package (packages): where weekly_downloads >= ?, order weekly_downloads desc, limit 10
//
// The chain is rebuilt through local variables (including conditional
// reassignments), helper functions that take or return *gorm.DB (across
// packages, through ChainFact), Scopes functions, WithContext/Session/Debug,
// Transaction callbacks, and handles held in struct fields or package
// variables. What the methods are comes from package legacyapi, the one
// table of legacy ORM APIs.
//
// The structured chains are the analyzer's Result (for rewrite) and are
// exported as a CallSitesFact on each enclosing function (for inventory).
package legacycall

import (
	"go/types"
	"reflect"

	"golang.org/x/tools/go/analysis"

	"github.com/ormshift/ormshift/analyzers/internal/rules"
	"github.com/ormshift/ormshift/analyzers/legacyapi"
	"github.com/ormshift/ormshift/analyzers/modelinfo"
)

// Rule ids, one per operation kind; a diagnostic's Category is its rule id.
const (
	RuleRead   = "legacycall/read"
	RuleWrite  = "legacycall/write"
	RuleRaw    = "legacycall/raw"
	RuleTx     = "legacycall/tx"
	RuleSchema = "legacycall/schema"
)

// Rules describes each rule id (used for SARIF rule metadata and docs).
var Rules = map[string]string{
	RuleRead:   "A legacy ORM call that reads rows (First, Find, Take, Count, Pluck, Scan, ...). Convert it to a unit-of-work query (uow.Find / uow.FindOne).",
	RuleWrite:  "A legacy ORM call that writes rows (Create, Save, Update(s), Delete, FirstOrCreate, associations). Convert it to entity changes flushed by the unit of work.",
	RuleRaw:    "A legacy ORM call that runs caller-written SQL (Raw, Exec). Move it to the unit of work's raw SQL escape hatch with $n parameters.",
	RuleTx:     "Legacy ORM transaction control (Transaction, Begin, Commit, Rollback, SavePoint). The unit of work flushes in one transaction.",
	RuleSchema: "Legacy ORM schema management (AutoMigrate, Migrator). Adopt the schema with ormshift baseline and a migration tool.",
}

func init() {
	short := map[string]string{
		RuleRead: "legacy ORM read", RuleWrite: "legacy ORM write", RuleRaw: "legacy ORM raw SQL",
		RuleTx: "legacy ORM transaction control", RuleSchema: "legacy ORM schema management",
	}
	for id, help := range Rules {
		rules.Register(rules.Rule{ID: id, Analyzer: "legacycall", Short: short[id], Help: help})
	}
}

// RuleFor returns the rule id of an operation kind.
func RuleFor(kind string) string { return "legacycall/" + kind }

// Analyzer reports legacy ORM data-access statements.
var Analyzer = &analysis.Analyzer{
	Name: "legacycall",
	Doc: `report legacy ORM data-access statements (GORM v2, GORM v1)

One diagnostic per statement (the finisher of a chain), naming the operation,
the model type and its table, and the clauses that built it. Rule ids:
legacycall/read, legacycall/write, legacycall/raw, legacycall/tx,
legacycall/schema.`,
	URL:        "https://github.com/ormshift/ormshift/blob/main/docs/analyzers.md#legacycall",
	Run:        run,
	ResultType: reflect.TypeOf((*Result)(nil)),
	FactTypes:  []analysis.Fact{(*ChainFact)(nil), (*CallSitesFact)(nil), (*modelinfo.TableFact)(nil)},
}

func run(pass *analysis.Pass) (any, error) {
	res, err := Analyze(pass)
	if err != nil {
		return nil, err
	}
	for _, c := range res.Chains {
		pass.Report(analysis.Diagnostic{
			Pos:      c.Finisher.Pos,
			End:      c.End,
			Category: c.Rule,
			Message:  c.Message(),
		})
	}
	return res, nil
}

// Analyze rebuilds every legacy call chain of the pass's package, exporting
// facts when the pass belongs to an analyzer that declares legacycall's
// fact types (Analyzer, or one that lists the same types). It reports
// nothing: callers decide what to do with the chains.
func Analyze(pass *analysis.Pass) (*Result, error) {
	r := newResolver(pass)
	var local map[*types.TypeName]string
	if r.facts {
		local = modelinfo.Export(pass)
	} else {
		local = modelinfo.Local(pass.Files, pass.TypesInfo)
	}
	r.tables = modelinfo.Lookup(pass, local)
	if !importsLegacy(pass) {
		return &Result{}, nil
	}
	return r.run(), nil
}

// importsLegacy reports whether the package imports a legacy library,
// directly or not.
func importsLegacy(pass *analysis.Pass) bool {
	seen := map[string]bool{}
	stack := append([]*types.Package(nil), pass.Pkg.Imports()...)
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[p.Path()] {
			continue
		}
		seen[p.Path()] = true
		if legacyapi.ByPath(p.Path()) != nil {
			return true
		}
		stack = append(stack, p.Imports()...)
	}
	return false
}
