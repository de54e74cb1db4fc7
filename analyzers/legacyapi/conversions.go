package legacyapi

import "sort"

// Conversion is one row of the rewrite table: which legacy call shape
// becomes which unit-of-work construct, and under which conditions the two
// are proven to do the same thing. ormshift rewrite converts a call site only
// when every condition holds; otherwise it leaves the site as it is and
// reports the condition that failed. The rows are keyed by the legacy API
// table's rows (Library, Method).
type Conversion struct {
	Rule    string   // stable rule id: rewrite/find, rewrite/create, ...
	Library *Library // the legacy library
	Methods []string // the finisher (or other) methods of the row
	Shape   string   // the legacy shape, as written
	Target  string   // the unit-of-work construct it becomes
	// Conditions are what must hold for the conversion to be exact.
	Conditions []string
}

// Conditions shared by the finder rows.
var (
	condChain = "every link of the chain is written at the call site, or in a local variable's declaration (plain values that do not change before the call) with reassignments that add Where only and no Or/Not anywhere (an options slice built the same way, for Find/First/Take/Last/Count), or in a helper of the same package that returns one GORM chain from a receiver field, package variable or parameter (its links first, receiver and arguments plain values), or in a scope of the same package given to Scopes as a function literal, a function or a call of a scope factory whose arguments are plain values and whose scope only computes on its parameters before returning its chain (applied after the chain's own links, as GORM does), and is one of WithContext, Model, Where, Not, Or, Order, Limit, Offset, Preload (an association name; with conditions, see condPreload)"
	condWhere = "each condition is a constant string whose SQL (rebuilt exactly as GORM joins Where/Or/Not) parses with PostgreSQL's parser into comparisons, LIKE/ILIKE, IN, BETWEEN, IS [NOT] NULL, AND/OR/NOT over the model's own columns and bound arguments; or a map[string]interface{} literal with constant keys; or a struct literal of the model whose field values are non-zero constants; or primary keys (a number or a slice of numbers)"
	condNil   = "no bound argument can be nil at run time (GORM binds NULL, which compares as unknown), and no NOT IN runs over a slice that may be empty (GORM writes IS NOT NULL for it)"
	condOrder = "Order arguments are constant lists of the model's columns with ASC/DESC"
	// condRuntime: values GORM interprets at run time (uow/compat.go
	// reproduces the rule; tested against GORM in uow's TestCompatOptionsMatchGORM).
	condRuntime = "Limit/Offset appear at most once each; struct conditions with non-constant fields (basic, time.Time or pointer fields), variables of the model type and slices of keys (whose conditions GORM drops when zero or empty) appear only in Where/inline conditions of a chain without Or"
	// condPreload: Preload(rel, conds...) -> uow.PreloadHasMany (uow/compat.go, checked against GORM by TestPreloadHasManyMatchesGORM).
	condPreload = "Preload with conditions: a has-many relation held by value ([]T, no gorm tags, foreign key <Owner><PK>), a constant SQL condition the translator proves or a scope literal whose body is return db.Where(const, args...)/Order(const); the destination stays a plain value (First: a zero var declared just before)"
	// condOrTail: Where(...).Or(&T{F: v}) -> uow.Or(rest, uow.EqUnlessZeroElseNone(f, v)).
	condOrTail = "a struct condition with one field known at run time only is accepted as the LAST Or of a chain with other conditions (GORM drops it when zero: (rest) OR (no row) is rest)"
	condCtx    = "a context.Context is in scope (a parameter, r.Context() of an *http.Request parameter, or the WithContext argument); the EntityManager comes from it"
	condDest   = "the destination is the address of a local variable declared just before the statement and not used in between, of the model type (or a slice of it)"
	condErr    = "the result is used only through .Error (and .RowsAffected where stated)"
)

// Conversions is the rewrite table.
var Conversions = []*Conversion{
	{Rule: "rewrite/find", Library: GORMv2, Methods: []string{"Find"},
		Shape: "db.Where(...).Order(...).Limit(n).Offset(m).Find(&rows, conds...); db.Model(&T{}).Select(cols...).Find(&projections); db.Preload(\"Rel\", conds...).Find(&rows); db.Joins(\"JOIN ... ON ...\", args...).Where(...).Order(...).Find(&rows); db.Joins(\"Rel\").Where(`\"Rel\".\"col\" = ?`, v).Find(&rows)", Target: "rows, err := uow.Find[T](ctx, em, filter, uow.OrderBy(...), uow.Limit(n), uow.Offset(m)) (a projection copies the selected fields; a Limit/Offset known at run time only becomes uow.LimitExactly/uow.OffsetIfPositive, a struct condition field or example variable uow.EqUnlessZero, a slice of keys uow.InUnlessEmpty: GORM's run-time rules); Preload with conditions: uow.PreloadHasMany on the copied rows; a raw Joins: uow.Raw[T] with GORM's exact SELECT (model columns qualified by the table, the join text, WHERE, ORDER BY); Joins of a belongs-to relation: uow.Populate(\"Rel\"), and each condition on the joined row a uow.Related(\"Rel\", filter)",
		Conditions: []string{condChain, condWhere, condNil, condOrder, condCtx, condDest, condErr, condRuntime, condOrTail, condPreload, "Joins: a constant raw JOIN clause, no Limit/Offset/Preload, every model column NOT NULL or a pointer field (GORM reads NULL as zero, the runtime's scan refuses it) and matched by name", "Joins(\"Rel\"): a belongs-to relation with GORM's default keys, for Find/First/Take/Last; its foreign key NOT NULL or a condition on the joined row ANDed at the top; conditions on the joined row (\"Rel\".col) not under NOT and not IS NULL (a missing row is NULL in GORM's LEFT JOIN); no unqualified column that both tables have (ambiguous in GORM's SQL)"}},
	{Rule: "rewrite/first", Library: GORMv2, Methods: []string{"First", "Take", "Last"},
		Shape: "db.Where(...).First(&row, conds...); db.Preload(\"Rel\", conds...).First(&row)", Target: "row, err := uow.FindOneOrFail[T](ctx, em, filter, uow.OrderBy(pk)) (First orders by the primary key, Last by the primary key descending, Take by nothing); with Preload conditions the found row is copied into row and uow.PreloadHasMany fills the relation",
		Conditions: []string{condChain, condWhere, condNil, condOrder, condCtx, condDest, condErr, condPreload, "the not-found error is checked with errors.Is (rewritten to uow.ErrNotFound)"}},
	{Rule: "rewrite/count", Library: GORMv2, Methods: []string{"Count"},
		Shape: "db.Model(&T{}).Where(...).Count(&n)", Target: "n, err := uow.Count[T](ctx, em, filter)",
		Conditions: []string{condChain, condWhere, condNil, condCtx, "the destination is a local int64"}},
	{Rule: "rewrite/pluck", Library: GORMv2, Methods: []string{"Pluck"},
		Shape: "db.Model(&T{}).Order(...).Pluck(\"col\", &values); db.Model(&T{}).Distinct(\"col\").Order(...).Pluck(\"col\", &values)", Target: "rows, err := uow.Find[T](ctx, em, filter, uow.OrderBy(...)), then the field of each row; with Distinct: uow.Raw[struct{ F T }] with GORM's exact SELECT DISTINCT, then the field of each row",
		Conditions: []string{condChain, condWhere, condNil, condOrder, condCtx, "the column is a constant column of the model", "Distinct names the plucked column (or nothing); the column is NOT NULL (a NULL fails both, with different errors); no Limit/Offset"}},
	{Rule: "rewrite/create", Library: GORMv2, Methods: []string{"Create"},
		Shape: "db.Create(&row) / db.Create(&rows) / db.Create(ptr) / db.Create(rows)", Target: "em.Persist(&row) (each element of a slice); em.Flush(ctx) (relations are cascaded by Persist)",
		Conditions: []string{"the chain is the handle with WithContext only", condCtx, "the value is the address of a local model struct or slice, a pointer to a model struct or a slice of model structs (GORM writes keys back into it)", condErr}},
	{Rule: "rewrite/create-in-batches", Library: GORMv2, Methods: []string{"CreateInBatches"},
		Shape: "db.CreateInBatches(&rows, n)", Target: "em.Persist(&rows[i]) for each row; em.Flush(ctx) (the flush batches statements itself); RowsAffected becomes len(rows) when the flush succeeds",
		Conditions: []string{"as rewrite/create, with a slice"}},
	{Rule: "rewrite/save", Library: GORMv2, Methods: []string{"Save"},
		Shape: "db.Save(&row)", Target: "em.Flush(ctx) for a row loaded by a converted finder (its changes are tracked); em.Persist(&row) + em.Flush(ctx) for a new row",
		Conditions: []string{"the chain is the handle with WithContext only", condCtx, "the value is a row loaded by a converted finder in the same function, or a local composite literal that sets no primary key", condErr}},
	{Rule: "rewrite/update", Library: GORMv2, Methods: []string{"Update", "Updates", "UpdateColumn", "UpdateColumns"},
		Shape: "db.Model(&T{}).Where(...).Update(\"col\", v) / UpdateColumn / Updates(map) / UpdateColumns(map) / Updates(T{...}); db.Model(&T{ID: id}).Update*(...); db.Model(&row).Update*(...)", Target: "em.Exec(ctx, `UPDATE \"t\" SET ... WHERE ...`, args...) with GORM's exact SET and WHERE (Update/Updates also set updated_at = time.Now(), as GORM does); Model(&T{ID: id}): WHERE \"id\" = id behind `if id == 0 { err = gorm.ErrMissingWhereClause }`; Updates(T{...}): uow.ExecUpdates with uow.SetUnlessZero per field known at run time only (GORM skips zero fields), uow.Set for constants and updated_at",
		Conditions: []string{condChain, condWhere, condCtx, "Model is an empty literal (&T{}) with conditions, or a literal setting only the single primary key to a constant or a local variable/parameter of an integer type, or &row of a local variable of the model not used after the statement (GORM writes the values back into it), with no other conditions (GORM adds WHERE key = v, and refuses the statement when v is zero)", "there are conditions (GORM refuses a global update)", "the columns are constants of the model; values are plain values, nil or gorm.Expr with constant SQL", "Updates with a struct: a literal of the model with keyed column fields of basic, time.Time or pointer types, not setting the primary key, no permission or time tags, and the model has an UpdatedAt time.Time (so the SET list is never empty); not UpdateColumns", "the model has no soft-delete field", condErr + " and .RowsAffected"}},
	{Rule: "rewrite/delete", Library: GORMv2, Methods: []string{"Delete"},
		Shape: "db.Delete(&T{}, id) / db.Where(...).Delete(&T{})", Target: "em.Exec(ctx, \"DELETE FROM t WHERE ...\", args...)",
		Conditions: []string{condChain, condWhere, condCtx, "the model has no soft-delete (gorm.DeletedAt) field", "the value is a zero model literal (&T{}) so GORM adds no primary-key condition of its own", condErr + " and .RowsAffected"}},
	{Rule: "rewrite/first-or-create", Library: GORMv2, Methods: []string{"FirstOrCreate"},
		Shape: "db.Where(T{...}).Attrs(T{...}).FirstOrCreate(&row)", Target: "found, err := uow.FindOne[T](ctx, em, filter, uow.OrderBy(pk)); found: row = *found; else the Where struct's and Attrs' fields are set on row, em.Persist(&row), em.Flush(ctx); RowsAffected is 1 when created, 0 when found (GORM's)",
		Conditions: []string{condCtx, "the chain is WithContext, Where (struct literals of the model, or constant SQL strings that set nothing) and Attrs (struct literals of the model); no Or/Not/Order/Limit/Offset/Preload/Assign/inline conditions", "row is a zero var of the model declared just before (GORM would add its key as a condition; setting a field to a value that is zero at run time then changes nothing, as GORM's skip)", "each field is set by at most one source and is not the primary key; values are variables, constants, fields or addresses of them (evaluated for the filter and the assignment)", condErr + " and .RowsAffected"}},
	{Rule: "rewrite/transaction", Library: GORMv2, Methods: []string{"Transaction"},
		Shape: "db.Transaction(func(tx *gorm.DB) error { ... })", Target: "em.Transactional(ctx, func(ctx context.Context) error { ... })",
		Conditions: []string{"the callback is a function literal", "every use of tx inside it is a converted call site", "a nested tx.Transaction(func(tx2) ...) becomes a nested em.Transactional (a savepoint) when the module's go version is 1.22 or later, every site of its callback converts and is a Create, CreateInBatches, finder, Count, Pluck, Scan, Exec, Update* or Delete (no Save/FirstOrCreate), and every value created in it is declared in it or is the range variable of a loop around it not used after the call (a rolled-back savepoint resets the keys the runtime assigned; GORM keeps them); no deeper nesting", condCtx}},
	{Rule: "rewrite/raw", Library: GORMv2, Methods: []string{"Scan"},
		Shape: "db.Raw(sql, args...).Scan(&rows); db.Model(&T{}).Select(\"...\").Where(...).Group(\"col\").Having(sql, args...).Order(...).Scan(&rows)", Target: "rows, err := uow.Raw[T](ctx, em, sql with $n, args...) (for a Model chain: GORM's exact SELECT, Select and Order texts as written, Group quoted, Having bound after the WHERE arguments)",
		Conditions: []string{"the SQL is a constant string whose ? placeholders are all positional (no @name, no ? inside literals) and a single SELECT", "every output column is named and is a field of T (GORM ignores extra columns, the runtime rejects them); T has no db or gorm tags", "a single-struct destination gets at most one row (LIMIT 1, no FROM, or aggregates only)", condCtx, condDest, condErr}},
	{Rule: "rewrite/exec", Library: GORMv2, Methods: []string{"Exec"},
		Shape: "db.Exec(sql, args...)", Target: "n, err := em.Exec(ctx, sql with $n, args...)",
		Conditions: []string{"the SQL is a constant string whose ? placeholders are all positional, and no argument is a slice (GORM expands slices)", condCtx, condErr + " and .RowsAffected"}},
	{Rule: "rewrite/not-found", Library: GORMv2, Methods: []string{"ErrRecordNotFound"},
		Shape: "errors.Is(err, gorm.ErrRecordNotFound)", Target: "errors.Is(err, uow.ErrNotFound); while a legacy First/Take/Last is left, or code refers to gorm.ErrRecordNotFound otherwise, the checks stay and converted finders return gorm.ErrRecordNotFound instead",
		Conditions: []string{"no legacy First/Take/Last is left, every reference to gorm.ErrRecordNotFound is such an errors.Is check, the run covers the whole module and no _test.go file mentions it; otherwise the compatible form is used"}},
}

// ConversionFor returns the conversion row of a library's method, or nil.
func ConversionFor(lib *Library, method string) *Conversion {
	for _, c := range Conversions {
		if c.Library != lib {
			continue
		}
		for _, m := range c.Methods {
			if m == method {
				return c
			}
		}
	}
	return nil
}

// ConversionByRule returns the conversion with that rule id, or nil.
func ConversionByRule(rule string) *Conversion {
	for _, c := range Conversions {
		if c.Rule == rule {
			return c
		}
	}
	return nil
}

// ConversionRules lists the rule ids, sorted.
func ConversionRules() []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range Conversions {
		if !seen[c.Rule] {
			seen[c.Rule] = true
			out = append(out, c.Rule)
		}
	}
	sort.Strings(out)
	return out
}

// ByName returns the library with that Name ("GORM v2"), or nil.
func ByName(name string) *Library {
	for _, l := range Libraries {
		if l.Name == name {
			return l
		}
	}
	return nil
}
