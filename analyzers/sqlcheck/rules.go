package sqlcheck

import "github.com/ormshift/ormshift/analyzers/internal/rules"

func init() {
	rules.Register(
		rules.Rule{ID: RuleSyntax, Analyzer: "sqlcheck", Short: "constant SQL text that PostgreSQL cannot parse",
			Help: "Fix the SQL at the position given; fragments are parsed as they would be placed (WHERE, ORDER BY, SELECT list, ...)."},
		rules.Rule{ID: RulePlaceholders, Analyzer: "sqlcheck", Short: "placeholders do not match the arguments",
			Help: "Give one argument per ? (a slice fills one IN ?), $1..$n for pgx and database/sql, and every @name/:name."},
	)
}
