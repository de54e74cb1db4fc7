package legacyapi

import "strconv"

// Citations: the rules below were read off gorm.io/gorm@v1.31.2 in the
// module cache. Paths are relative to that module.
const (
	citeBuildCondition = "gorm statement.go:292 (*Statement).BuildCondition: a string is clause.Expr{SQL: s} unless strconv.Atoi(s) succeeds (primary key) or it is a lone column with one arg (clause.Eq)"
	citeOrder          = "gorm chainable_api.go:313 Order: a string becomes clause.Column{Name: v, Raw: true}"
	citeGroup          = "gorm chainable_api.go:283 Group: Raw: len(strings.FieldsFunc(name, utils.IsInvalidDBNameChar)) != 1"
	citePluck          = "gorm finisher_api.go:571 Pluck: Raw: len(strings.FieldsFunc(column, utils.IsInvalidDBNameChar)) != 1"
	citeTable          = "gorm chainable_api.go:64 Table: clause.Expr{SQL: name} when it contains \" \" or \"`\" or has args"
	citeSelect         = "gorm chainable_api.go:112 Select: a string with args is clause.Expr; without, a field name is quoted (callbacks/query.go:65 LookUpField), anything else Raw"
	citeDistinct       = "gorm chainable_api.go:94 Distinct: args go to Select"
	citeJoins          = "gorm chainable_api.go:248 Joins/InnerJoins: a relation name joins the association, anything else is clause.Expr{SQL: query} (callbacks/query.go)"
	citeHaving         = "gorm chainable_api.go:297 Having: BuildCondition"
	citeRaw            = "gorm chainable_api.go:461 Raw: clause.Expr{SQL: sql} (NamedExpr when it contains @)"
	citeExec           = "gorm finisher_api.go:784 Exec: clause.Expr{SQL: sql} (NamedExpr when it contains @)"
	citeInline         = "gorm finisher_api.go:130-186,443 First/Take/Last/Find/Delete: conds[0] goes to BuildCondition"
	citeFirstOrX       = "gorm finisher_api.go:319,358 FirstOrInit/FirstOrCreate: conds go to BuildCondition via Where"
	citePreload        = "gorm chainable_api.go:395 Preload: args are conditions of the preload query (BuildCondition)"
	citeExpr           = "gorm gorm.go:478 Expr: clause.Expr{SQL: expr}"
	citeGenericsJoin   = "gorm generics.go:53 Joins takes clause.JoinTarget (not SQL text)"
)

// v2IntegerPK is GORM v2's test for an inline condition that is a primary
// key: strconv.Atoi succeeds (statement.go:295).
func v2IntegerPK(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

func cond(i int, cite string) SQLParam {
	return SQLParam{Index: i, Rule: RawCondition, ArgsFrom: i + 1, Fragment: FragCondition, Cite: cite}
}

func chain(name, clause string, sql ...SQLParam) *Method {
	return &Method{Name: name, Op: name, Role: RoleChain, Returns: ReturnsDB, ModelParam: -1, Clause: clause, SQL: sql}
}

func finisher(name string, role Role, ret Returns, model int, sql ...SQLParam) *Method {
	return &Method{Name: name, Op: name, Role: role, Returns: ret, ModelParam: model, SQL: sql}
}

func other(name string, role Role, ret Returns) *Method {
	return &Method{Name: name, Op: name, Role: role, Returns: ret, ModelParam: -1}
}

func table(methods ...*Method) map[string]*Method {
	m := make(map[string]*Method, len(methods))
	for _, x := range methods {
		m[x.Name] = x
	}
	return m
}

// GORMv2 is gorm.io/gorm.
var GORMv2 = &Library{
	Name:        "GORM v2",
	Short:       "GORM",
	Path:        "gorm.io/gorm",
	HandleType:  "DB",
	Placeholder: PlaceholderQuestion,
	IntegerPK:   v2IntegerPK,
	NotFound:    "ErrRecordNotFound",
	Methods: table(
		// Builders (chainable_api.go).
		chain("Model", "model"),
		chain("Clauses", "clauses"),
		chain("Table", "table", SQLParam{Index: 0, Rule: RawTable, ArgsFrom: 1, Fragment: FragTable, Cite: citeTable}),
		chain("Distinct", "distinct", SQLParam{Index: 0, Rule: RawUnlessField, ArgsFrom: 1, Fragment: FragSelectList, Cite: citeDistinct}),
		chain("Select", "select", SQLParam{Index: 0, Rule: RawUnlessField, ArgsFrom: 1, Fragment: FragSelectList, Cite: citeSelect}),
		chain("Omit", "omit"),
		chain("MapColumns", "map columns"),
		chain("Where", "where", cond(0, citeBuildCondition)),
		chain("Not", "not", cond(0, citeBuildCondition)),
		chain("Or", "or", cond(0, citeBuildCondition)),
		chain("Joins", "join", SQLParam{Index: 0, Rule: RawUnlessAssociation, ArgsFrom: 1, Fragment: FragJoin, Cite: citeJoins}),
		chain("InnerJoins", "inner join", SQLParam{Index: 0, Rule: RawUnlessAssociation, ArgsFrom: 1, Fragment: FragJoin, Cite: citeJoins}),
		chain("Group", "group", SQLParam{Index: 0, Rule: RawUnlessIdentifier, ArgsFrom: -1, Fragment: FragGroupBy, Cite: citeGroup}),
		chain("Having", "having", cond(0, citeHaving)),
		chain("Order", "order", SQLParam{Index: 0, Rule: RawAlways, ArgsFrom: -1, Fragment: FragOrderBy, Cite: citeOrder}),
		chain("Limit", "limit"),
		chain("Offset", "offset"),
		chain("Scopes", "scopes"),
		chain("Preload", "preload", SQLParam{Index: 1, Rule: RawCondition, ArgsFrom: 2, Fragment: FragCondition, Cite: citePreload}),
		chain("Attrs", "attrs"),
		chain("Assign", "assign"),
		chain("Unscoped", "unscoped"),
		chain("Raw", "raw", SQLParam{Index: 0, Rule: RawAlways, ArgsFrom: 1, Fragment: FragStatement, Cite: citeRaw}),
		chain("Set", "set"),
		chain("InstanceSet", "set"),
		// Handles with other settings (gorm.go).
		&Method{Name: "WithContext", Op: "WithContext", Role: RoleSession, Returns: ReturnsDB, ModelParam: -1},
		&Method{Name: "Session", Op: "Session", Role: RoleSession, Returns: ReturnsDB, ModelParam: -1},
		&Method{Name: "Debug", Op: "Debug", Role: RoleSession, Returns: ReturnsDB, ModelParam: -1},
		// Finishers (finisher_api.go).
		finisher("Create", RoleCreator, ReturnsDB, 0),
		finisher("CreateInBatches", RoleCreator, ReturnsDB, 0),
		finisher("Save", RoleSaver, ReturnsDB, 0),
		finisher("First", RoleFinder, ReturnsDB, 0, cond(1, citeInline)),
		finisher("Take", RoleFinder, ReturnsDB, 0, cond(1, citeInline)),
		finisher("Last", RoleFinder, ReturnsDB, 0, cond(1, citeInline)),
		finisher("Find", RoleFinder, ReturnsDB, 0, cond(1, citeInline)),
		finisher("FindInBatches", RoleFinder, ReturnsDB, 0),
		finisher("FirstOrInit", RoleFinder, ReturnsDB, 0, cond(1, citeFirstOrX)),
		finisher("FirstOrCreate", RoleUpsert, ReturnsDB, 0, cond(1, citeFirstOrX)),
		finisher("Update", RoleUpdater, ReturnsDB, -1),
		finisher("Updates", RoleUpdater, ReturnsDB, -1),
		finisher("UpdateColumn", RoleUpdater, ReturnsDB, -1),
		finisher("UpdateColumns", RoleUpdater, ReturnsDB, -1),
		finisher("Delete", RoleDeleter, ReturnsDB, 0, cond(1, citeInline)),
		finisher("Count", RoleFinder, ReturnsDB, -1),
		finisher("Row", RoleFinder, ReturnsRows, -1),
		finisher("Rows", RoleFinder, ReturnsRows, -1),
		finisher("Scan", RoleFinder, ReturnsDB, 0),
		finisher("Pluck", RoleFinder, ReturnsDB, 1, SQLParam{Index: 0, Rule: RawUnlessIdentifier, ArgsFrom: -1, Fragment: FragColumn, Cite: citePluck}),
		finisher("ScanRows", RoleFinder, ReturnsError, 1),
		finisher("Exec", RoleRaw, ReturnsDB, -1, SQLParam{Index: 0, Rule: RawAlways, ArgsFrom: 1, Fragment: FragStatement, Cite: citeExec}),
		other("Connection", RoleTransaction, ReturnsError),
		other("Transaction", RoleTransaction, ReturnsError),
		other("Begin", RoleTransaction, ReturnsDB),
		other("Commit", RoleTransaction, ReturnsDB),
		other("Rollback", RoleTransaction, ReturnsDB),
		other("SavePoint", RoleTransaction, ReturnsDB),
		other("RollbackTo", RoleTransaction, ReturnsDB),
		other("Association", RoleAssociation, ReturnsOther),
		other("Migrator", RoleMigration, ReturnsOther),
		other("AutoMigrate", RoleMigration, ReturnsError),
		other("SetupJoinTable", RoleMigration, ReturnsError),
		other("ToSQL", RoleOther, ReturnsOther),
		other("AddError", RoleOther, ReturnsError),
		other("Get", RoleOther, ReturnsOther),
		other("InstanceGet", RoleOther, ReturnsOther),
		other("Callback", RoleOther, ReturnsOther),
		other("Use", RoleOther, ReturnsError),
		other("DB", RoleOther, ReturnsOther),
	),
	// The generics API (generics.go): gorm.G[T](db) returns Interface[T].
	GenericTypes: []string{"Interface", "CreateInterface", "ChainInterface", "ExecInterface", "SetUpdateOnlyInterface", "SetCreateOrUpdateInterface"},
	GenericMethods: table(
		chain("Raw", "raw", SQLParam{Index: 0, Rule: RawAlways, ArgsFrom: 1, Fragment: FragStatement, Cite: "gorm generics.go:39 Raw"}),
		finisher("Exec", RoleRaw, ReturnsError, -1, SQLParam{Index: 1, Rule: RawAlways, ArgsFrom: 2, Fragment: FragStatement, Cite: "gorm generics.go:40 Exec"}),
		chain("Scopes", "scopes"),
		chain("Where", "where", cond(0, citeBuildCondition)),
		chain("Not", "not", cond(0, citeBuildCondition)),
		chain("Or", "or", cond(0, citeBuildCondition)),
		chain("Limit", "limit"),
		chain("Offset", "offset"),
		&Method{Name: "Joins", Op: "Joins", Role: RoleChain, Returns: ReturnsDB, ModelParam: -1, Clause: "join"}, // citeGenericsJoin
		chain("Preload", "preload"),
		chain("Select", "select", SQLParam{Index: 0, Rule: RawUnlessField, ArgsFrom: 1, Fragment: FragSelectList, Cite: "gorm generics.go:55 Select"}),
		chain("Omit", "omit"),
		chain("MapColumns", "map columns"),
		chain("Distinct", "distinct", SQLParam{Index: 0, Rule: RawUnlessField, ArgsFrom: 1, Fragment: FragSelectList, Cite: "gorm generics.go:58 Distinct"}),
		chain("Group", "group", SQLParam{Index: 0, Rule: RawUnlessIdentifier, ArgsFrom: -1, Fragment: FragGroupBy, Cite: "gorm generics.go:59 Group"}),
		chain("Having", "having", cond(0, "gorm generics.go:60 Having")),
		chain("Order", "order", SQLParam{Index: 0, Rule: RawAlways, ArgsFrom: -1, Fragment: FragOrderBy, Cite: "gorm generics.go:61 Order"}),
		chain("Table", "table", SQLParam{Index: 0, Rule: RawTable, ArgsFrom: 1, Fragment: FragTable, Cite: "gorm generics.go:69 Table"}),
		chain("Set", "set"),
		finisher("Delete", RoleDeleter, ReturnsResult, -1),
		finisher("Update", RoleUpdater, ReturnsResult, -1),
		finisher("Updates", RoleUpdater, ReturnsResult, -1),
		finisher("Count", RoleFinder, ReturnsResult, -1),
		finisher("Create", RoleCreator, ReturnsError, -1),
		finisher("CreateInBatches", RoleCreator, ReturnsError, -1),
		finisher("Scan", RoleFinder, ReturnsError, -1),
		finisher("First", RoleFinder, ReturnsResult, -1),
		finisher("Last", RoleFinder, ReturnsResult, -1),
		finisher("Take", RoleFinder, ReturnsResult, -1),
		finisher("Find", RoleFinder, ReturnsResult, -1),
		finisher("FindInBatches", RoleFinder, ReturnsError, -1),
		finisher("Row", RoleFinder, ReturnsRows, -1),
		finisher("Rows", RoleFinder, ReturnsRows, -1),
	),
	Funcs: table(
		&Method{Name: "Expr", Op: "Expr", Role: RoleChain, Returns: ReturnsOther, ModelParam: -1,
			SQL: []SQLParam{{Index: 0, Rule: RawAlways, ArgsFrom: 1, Fragment: FragExpr, Cite: citeExpr}}},
		&Method{Name: "G", Op: "G", Role: RoleSession, Returns: ReturnsDB, ModelParam: -1},
		&Method{Name: "Open", Op: "Open", Role: RoleOther, Returns: ReturnsOther, ModelParam: -1},
	),
	ExprTypes: map[string]string{
		"gorm.io/gorm/clause.Expr":      "SQL",
		"gorm.io/gorm/clause.NamedExpr": "SQL",
	},
	SafeTypes: []string{
		"gorm.io/gorm/clause.OrderByColumn",
		"gorm.io/gorm/clause.OrderBy",
		"gorm.io/gorm/clause.Column",
		"gorm.io/gorm/clause.Eq",
		"gorm.io/gorm/clause.Neq",
		"gorm.io/gorm/clause.IN",
		"gorm.io/gorm/clause.Gt",
		"gorm.io/gorm/clause.Gte",
		"gorm.io/gorm/clause.Lt",
		"gorm.io/gorm/clause.Lte",
		"gorm.io/gorm/clause.Like",
	},
}
