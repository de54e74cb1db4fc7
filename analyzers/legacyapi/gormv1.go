package legacyapi

// Citations: the rules below were read off github.com/jinzhu/gorm@v1.9.16 in
// the module cache.
const (
	citeV1Condition = "jinzhu/gorm scope.go:528 buildCondition: a string is SQL unless isNumberRegexp ^\\s*\\d+\\s*$ matches (primary key)"
	citeV1Order     = "jinzhu/gorm scope.go:779 orderSQL: quoteIfPossible quotes only ^[a-zA-Z\\d]+(\\.[a-zA-Z\\d]+)*$, anything else is raw"
	citeV1Group     = "jinzhu/gorm scope.go:805 groupSQL: \" GROUP BY \" + group, always raw"
	citeV1Select    = "jinzhu/gorm scope.go selectSQL: the select query is inserted as written"
	citeV1Joins     = "jinzhu/gorm search.go joins: the query is inserted as written"
	citeV1Table     = "jinzhu/gorm scope.go:331 QuotedTableName: raw when the name contains a space"
	citeV1Pluck     = "jinzhu/gorm scope.go:986 pluck: Search.Select(column), inserted as written"
	citeV1Raw       = "jinzhu/gorm main.go:494 Raw / main.go:499 Exec: SQL as written"
	citeV1Preload   = "jinzhu/gorm main.go:769 Preload: conditions go to buildCondition"
)

// GORMv1 is github.com/jinzhu/gorm.
var GORMv1 = &Library{
	Name:        "GORM v1",
	Short:       "GORM v1",
	Path:        "github.com/jinzhu/gorm",
	HandleType:  "DB",
	Placeholder: PlaceholderQuestion,
	IntegerPK:   v1NumberRegexp.MatchString,
	NotFound:    "ErrRecordNotFound",
	Methods: table(
		chain("Model", "model"),
		chain("Table", "table", SQLParam{Index: 0, Rule: RawTable, ArgsFrom: -1, Fragment: FragTable, Cite: citeV1Table}),
		chain("Select", "select", SQLParam{Index: 0, Rule: RawAlways, ArgsFrom: 1, Fragment: FragSelectList, Cite: citeV1Select}),
		chain("Omit", "omit"),
		chain("Where", "where", cond(0, citeV1Condition)),
		chain("Not", "not", cond(0, citeV1Condition)),
		chain("Or", "or", cond(0, citeV1Condition)),
		chain("Joins", "join", SQLParam{Index: 0, Rule: RawAlways, ArgsFrom: 1, Fragment: FragJoin, Cite: citeV1Joins}),
		chain("Group", "group", SQLParam{Index: 0, Rule: RawAlways, ArgsFrom: -1, Fragment: FragGroupBy, Cite: citeV1Group}),
		chain("Having", "having", cond(0, citeV1Condition)),
		chain("Order", "order", SQLParam{Index: 0, Rule: RawUnlessColumnLike, ArgsFrom: -1, Fragment: FragOrderBy, Cite: citeV1Order}),
		chain("Limit", "limit"),
		chain("Offset", "offset"),
		chain("Scopes", "scopes"),
		chain("Preload", "preload", SQLParam{Index: 1, Rule: RawCondition, ArgsFrom: 2, Fragment: FragCondition, Cite: citeV1Preload}),
		chain("Attrs", "attrs"),
		chain("Assign", "assign"),
		chain("Unscoped", "unscoped"),
		chain("Raw", "raw", SQLParam{Index: 0, Rule: RawAlways, ArgsFrom: 1, Fragment: FragStatement, Cite: citeV1Raw}),
		chain("Set", "set"),
		chain("InstantSet", "set"),
		&Method{Name: "New", Op: "New", Role: RoleSession, Returns: ReturnsDB, ModelParam: -1},
		&Method{Name: "Debug", Op: "Debug", Role: RoleSession, Returns: ReturnsDB, ModelParam: -1},
		&Method{Name: "LogMode", Op: "LogMode", Role: RoleSession, Returns: ReturnsDB, ModelParam: -1},
		finisher("Create", RoleCreator, ReturnsDB, 0),
		finisher("Save", RoleSaver, ReturnsDB, 0),
		finisher("First", RoleFinder, ReturnsDB, 0, cond(1, citeV1Condition)),
		finisher("Take", RoleFinder, ReturnsDB, 0, cond(1, citeV1Condition)),
		finisher("Last", RoleFinder, ReturnsDB, 0, cond(1, citeV1Condition)),
		finisher("Find", RoleFinder, ReturnsDB, 0, cond(1, citeV1Condition)),
		finisher("FirstOrInit", RoleFinder, ReturnsDB, 0, cond(1, citeV1Condition)),
		finisher("FirstOrCreate", RoleUpsert, ReturnsDB, 0, cond(1, citeV1Condition)),
		finisher("Preloads", RoleFinder, ReturnsDB, 0),
		finisher("Related", RoleFinder, ReturnsDB, 0),
		finisher("Update", RoleUpdater, ReturnsDB, -1),
		finisher("Updates", RoleUpdater, ReturnsDB, -1),
		finisher("UpdateColumn", RoleUpdater, ReturnsDB, -1),
		finisher("UpdateColumns", RoleUpdater, ReturnsDB, -1),
		finisher("Delete", RoleDeleter, ReturnsDB, 0, cond(1, citeV1Condition)),
		finisher("Count", RoleFinder, ReturnsDB, -1),
		finisher("Row", RoleFinder, ReturnsRows, -1),
		finisher("Rows", RoleFinder, ReturnsRows, -1),
		finisher("Scan", RoleFinder, ReturnsDB, 0),
		finisher("ScanRows", RoleFinder, ReturnsError, 1),
		finisher("Pluck", RoleFinder, ReturnsDB, 1, SQLParam{Index: 0, Rule: RawAlways, ArgsFrom: -1, Fragment: FragColumn, Cite: citeV1Pluck}),
		finisher("Exec", RoleRaw, ReturnsDB, -1, SQLParam{Index: 0, Rule: RawAlways, ArgsFrom: 1, Fragment: FragStatement, Cite: citeV1Raw}),
		other("Transaction", RoleTransaction, ReturnsError),
		other("Begin", RoleTransaction, ReturnsDB),
		other("BeginTx", RoleTransaction, ReturnsDB),
		other("Commit", RoleTransaction, ReturnsDB),
		other("Rollback", RoleTransaction, ReturnsDB),
		other("RollbackUnlessCommitted", RoleTransaction, ReturnsDB),
		other("Association", RoleAssociation, ReturnsOther),
		other("CreateTable", RoleMigration, ReturnsDB),
		other("DropTable", RoleMigration, ReturnsDB),
		other("DropTableIfExists", RoleMigration, ReturnsDB),
		other("AutoMigrate", RoleMigration, ReturnsDB),
		other("ModifyColumn", RoleMigration, ReturnsDB),
		other("DropColumn", RoleMigration, ReturnsDB),
		other("AddIndex", RoleMigration, ReturnsDB),
		other("AddUniqueIndex", RoleMigration, ReturnsDB),
		other("RemoveIndex", RoleMigration, ReturnsDB),
		other("AddForeignKey", RoleMigration, ReturnsDB),
		other("RemoveForeignKey", RoleMigration, ReturnsDB),
		other("HasTable", RoleMigration, ReturnsOther),
		other("RecordNotFound", RoleOther, ReturnsOther),
		other("NewRecord", RoleOther, ReturnsOther),
		other("GetErrors", RoleOther, ReturnsOther),
		other("AddError", RoleOther, ReturnsError),
		other("Close", RoleOther, ReturnsError),
		other("DB", RoleOther, ReturnsOther),
	),
	Funcs: table(
		&Method{Name: "Expr", Op: "Expr", Role: RoleChain, Returns: ReturnsOther, ModelParam: -1,
			SQL: []SQLParam{{Index: 0, Rule: RawAlways, ArgsFrom: 1, Fragment: FragExpr, Cite: "jinzhu/gorm main.go Expr: SqlExpr{expr: expression}"}}},
		&Method{Name: "Open", Op: "Open", Role: RoleOther, Returns: ReturnsOther, ModelParam: -1},
	),
}
