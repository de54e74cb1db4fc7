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
	condChain = "every link of the chain is written at the call site (no helper, scope or conditional reassignment) and is one of WithContext, Model, Where, Not, Or, Order, Limit, Offset, Preload (association name only)"
	condWhere = "each condition is a constant string whose SQL (rebuilt exactly as GORM joins Where/Or/Not) parses with PostgreSQL's parser into comparisons, LIKE/ILIKE, IN, BETWEEN, IS [NOT] NULL, AND/OR/NOT over the model's own columns and bound arguments; or a map[string]interface{} literal with constant keys; or a struct literal of the model whose field values are non-zero constants; or primary keys (a number or a slice of numbers)"
	condNil   = "no bound argument can be nil at run time (GORM binds NULL, which compares as unknown), and no NOT IN runs over a slice that may be empty (GORM writes IS NOT NULL for it)"
	condOrder = "Order arguments are constant lists of the model's columns with ASC/DESC"
	// condRuntime: values GORM interprets at run time (uow/compat.go
	// reproduces the rule; tested against GORM in uow's TestCompatOptionsMatchGORM).
	condRuntime = "Limit/Offset appear at most once each; struct conditions with non-constant fields (basic, time.Time or pointer fields), variables of the model type and slices of keys (whose conditions GORM drops when zero or empty) appear only in Where/inline conditions of a chain without Or"
	condCtx     = "a context.Context is in scope (a parameter, r.Context() of an *http.Request parameter, or the WithContext argument); the EntityManager comes from it"
	condDest    = "the destination is the address of a local variable declared just before the statement and not used in between, of the model type (or a slice of it)"
	condErr     = "the result is used only through .Error (and .RowsAffected where stated)"
)

// Conversions is the rewrite table.
var Conversions = []*Conversion{
	{Rule: "rewrite/find", Library: GORMv2, Methods: []string{"Find"},
		Shape: "db.Where(...).Order(...).Limit(n).Offset(m).Find(&rows, conds...); db.Model(&T{}).Select(cols...).Find(&projections)", Target: "rows, err := uow.Find[T](ctx, em, filter, uow.OrderBy(...), uow.Limit(n), uow.Offset(m)) (a projection copies the selected fields; a Limit/Offset known at run time only becomes uow.LimitExactly/uow.OffsetIfPositive, a struct condition field or example variable uow.EqUnlessZero, a slice of keys uow.InUnlessEmpty: GORM's run-time rules)",
		Conditions: []string{condChain, condWhere, condNil, condOrder, condCtx, condDest, condErr, condRuntime}},
	{Rule: "rewrite/first", Library: GORMv2, Methods: []string{"First", "Take", "Last"},
		Shape: "db.Where(...).First(&row, conds...)", Target: "row, err := uow.FindOneOrFail[T](ctx, em, filter, uow.OrderBy(pk)) (First orders by the primary key, Last by the primary key descending, Take by nothing)",
		Conditions: []string{condChain, condWhere, condNil, condOrder, condCtx, condDest, condErr, "the not-found error is checked with errors.Is (rewritten to uow.ErrNotFound)"}},
	{Rule: "rewrite/count", Library: GORMv2, Methods: []string{"Count"},
		Shape: "db.Model(&T{}).Where(...).Count(&n)", Target: "n, err := uow.Count[T](ctx, em, filter)",
		Conditions: []string{condChain, condWhere, condNil, condCtx, "the destination is a local int64"}},
	{Rule: "rewrite/pluck", Library: GORMv2, Methods: []string{"Pluck"},
		Shape: "db.Model(&T{}).Order(...).Pluck(\"col\", &values)", Target: "rows, err := uow.Find[T](ctx, em, filter, uow.OrderBy(...)), then the field of each row",
		Conditions: []string{condChain, condWhere, condNil, condOrder, condCtx, "the column is a constant column of the model"}},
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
		Shape: "db.Model(&T{}).Where(...).Update(\"col\", v) / UpdateColumn / Updates(map) / UpdateColumns(map)", Target: "em.Exec(ctx, `UPDATE \"t\" SET ... WHERE ...`, args...) with GORM's exact SET and WHERE (Update/Updates also set updated_at = time.Now(), as GORM does)",
		Conditions: []string{condChain, condWhere, condCtx, "Model is an empty literal (&T{}): GORM adds the key of a non-empty one", "there are conditions (GORM refuses a global update)", "the columns are constants of the model; values are plain values, nil or gorm.Expr with constant SQL; Updates with a struct is not converted (GORM skips its zero fields at run time)", "the model has no soft-delete field", condErr + " and .RowsAffected"}},
	{Rule: "rewrite/delete", Library: GORMv2, Methods: []string{"Delete"},
		Shape: "db.Delete(&T{}, id) / db.Where(...).Delete(&T{})", Target: "em.Exec(ctx, \"DELETE FROM t WHERE ...\", args...)",
		Conditions: []string{condChain, condWhere, condCtx, "the model has no soft-delete (gorm.DeletedAt) field", "the value is a zero model literal (&T{}) so GORM adds no primary-key condition of its own", condErr + " and .RowsAffected"}},
	{Rule: "rewrite/first-or-create", Library: GORMv2, Methods: []string{"FirstOrCreate"},
		Shape: "db.Where(...).FirstOrCreate(&row)", Target: "not converted in this version: every site is reported as skipped (its attributes come from the conditions at run time)",
		Conditions: []string{"none yet"}},
	{Rule: "rewrite/transaction", Library: GORMv2, Methods: []string{"Transaction"},
		Shape: "db.Transaction(func(tx *gorm.DB) error { ... })", Target: "em.Transactional(ctx, func(ctx context.Context) error { ... })",
		Conditions: []string{"the callback is a function literal", "every use of tx inside it is a converted call site", "no nested Transaction (a rolled-back savepoint would leave its entities pending for the outer flush)", condCtx}},
	{Rule: "rewrite/raw", Library: GORMv2, Methods: []string{"Scan"},
		Shape: "db.Raw(sql, args...).Scan(&rows)", Target: "rows, err := uow.Raw[T](ctx, em, sql with $n, args...)",
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
