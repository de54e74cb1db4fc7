package sqlinject

import "github.com/ormshift/ormshift/analyzers/internal/rules"

func init() {
	rules.Register(
		rules.Rule{ID: RuleHigh, Analyzer: "sqlinject", Short: "request input reaches a raw-SQL parameter",
			Help: "Pass the value as a placeholder argument (?, $n), or map it through an allowlist (map lookup, switch over constants); for ORDER BY use clause.OrderByColumn."},
		rules.Rule{ID: RuleMedium, Analyzer: "sqlinject", Short: "non-constant text reaches a raw-SQL parameter",
			Help: "Build SQL text from constants only and pass values as placeholder arguments; if the value is trusted, say why with //ormshift:ignore sqlinject/medium reason."},
		rules.Rule{ID: RuleMassAssignment, Analyzer: "sqlinject", Short: "request input picks the columns of a GORM map condition or update",
			Help: "Copy the allowed request fields into a map with constant keys (or a struct) before Where/Updates/Create."},
	)
}
