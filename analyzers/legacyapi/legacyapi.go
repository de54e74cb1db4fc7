// Package legacyapi is the one table of what the legacy ORMs are: for each
// library, its methods, the role of each (builder, finder, creator, ...),
// what it returns, and which parameters the library interprets as raw SQL,
// under the library's own rules. The analyzers (legacycall, sqlinject,
// sqlcheck), inventory and rewrite all read it; supporting another legacy
// library means adding rows here, not code elsewhere.
//
// Every raw-SQL rule cites the source it was checked against, in the module
// cache: gorm.io/gorm@v1.31.2 and github.com/jinzhu/gorm@v1.9.16.
package legacyapi

import (
	"go/types"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Role says what a method does to the database.
type Role int

const (
	RoleChain       Role = iota + 1 // builds the statement (Where, Order, Limit, ...)
	RoleSession                     // returns a handle with other settings (WithContext, Session, Debug)
	RoleFinder                      // executes a SELECT (First, Find, Count, Pluck, Scan, ...)
	RoleCreator                     // executes an INSERT (Create, CreateInBatches)
	RoleSaver                       // INSERT or UPDATE by primary key (Save)
	RoleUpdater                     // executes an UPDATE (Update, Updates, UpdateColumn(s))
	RoleDeleter                     // executes a DELETE
	RoleUpsert                      // SELECT then maybe INSERT/UPDATE (FirstOrCreate)
	RoleRaw                         // runs caller-written SQL (Raw + finisher, Exec)
	RoleTransaction                 // transaction control (Transaction, Begin, Commit, ...)
	RoleAssociation                 // association API (Association(...).Append, ...)
	RoleMigration                   // schema changes (AutoMigrate, Migrator)
	RoleOther                       // everything else (Error handling, Set/Get, ...)
)

var roleNames = map[Role]string{
	RoleChain: "chain", RoleSession: "session", RoleFinder: "finder", RoleCreator: "creator",
	RoleSaver: "saver", RoleUpdater: "updater", RoleDeleter: "deleter", RoleUpsert: "upsert",
	RoleRaw: "raw", RoleTransaction: "transaction", RoleAssociation: "association",
	RoleMigration: "migration", RoleOther: "other",
}

func (r Role) String() string {
	if s, ok := roleNames[r]; ok {
		return s
	}
	return "role(" + strconv.Itoa(int(r)) + ")"
}

// Kind is the operation kind inventory counts by: read, write, raw, tx, schema.
func (r Role) Kind() string {
	switch r {
	case RoleFinder:
		return "read"
	case RoleCreator, RoleSaver, RoleUpdater, RoleDeleter, RoleUpsert, RoleAssociation:
		return "write"
	case RoleRaw:
		return "raw"
	case RoleTransaction:
		return "tx"
	case RoleMigration:
		return "schema"
	}
	return "other"
}

// Executes reports whether a call of a method with this role runs a
// statement: it is the finisher of a chain, the call that legacycall reports.
func (r Role) Executes() bool {
	switch r {
	case RoleFinder, RoleCreator, RoleSaver, RoleUpdater, RoleDeleter, RoleUpsert,
		RoleRaw, RoleTransaction, RoleAssociation, RoleMigration:
		return true
	}
	return false
}

// Returns says what a method gives back.
type Returns int

const (
	ReturnsDB     Returns = iota + 1 // the chain handle (*gorm.DB, ChainInterface[T], ...)
	ReturnsError                     // error only
	ReturnsResult                    // a result and/or error (generics API: (T, error), (int, error))
	ReturnsRows                      // *sql.Row / *sql.Rows
	ReturnsOther                     // something else (Association, Migrator, bool, ...)
)

// RawRule says when the library inserts an argument into the SQL text
// without escaping it.
type RawRule int

const (
	// RawAlways: a string argument is always SQL text (Order, Raw, Exec, ...).
	RawAlways RawRule = iota + 1
	// RawCondition: the query argument of Where/Not/Or/Having and of
	// inline conditions goes through BuildCondition: a string is SQL text,
	// except a string that parses as an integer (a primary key, see
	// RawIntegerPK) and a lone identifier with exactly one argument
	// (clause.Eq, quoted). Struct and map conditions are not raw, but map
	// keys are column names the caller picks.
	RawCondition
	// RawUnlessIdentifier: raw unless the argument is a single identifier
	// (GORM v2 Group and Pluck: utils.IsInvalidDBNameChar splits to one
	// field). A non-constant argument counts as raw.
	RawUnlessIdentifier
	// RawTable: GORM v2 Table is raw when the name contains a space or a
	// backtick, or when args are given; GORM v1 when it contains a space.
	RawTable
	// RawUnlessField: Select/Distinct strings are raw unless they name a
	// field of the model's schema (callbacks/query.go LookUpField).
	RawUnlessField
	// RawUnlessAssociation: Joins is raw SQL unless it names a relation of
	// the model (callbacks/query.go: relationships lookup, else clause.Expr).
	RawUnlessAssociation
	// RawUnlessColumnLike: GORM v1 Order: quoted when it matches
	// ^[a-zA-Z\d]+(\.[a-zA-Z\d]+)*$ (scope.go quoteIfPossible), raw otherwise.
	RawUnlessColumnLike
)

var rawRuleNames = map[RawRule]string{
	RawAlways: "always", RawCondition: "condition", RawUnlessIdentifier: "unless-identifier",
	RawTable: "table", RawUnlessField: "unless-field", RawUnlessAssociation: "unless-association",
	RawUnlessColumnLike: "unless-column",
}

func (r RawRule) String() string {
	if s, ok := rawRuleNames[r]; ok {
		return s
	}
	return "rawrule(" + strconv.Itoa(int(r)) + ")"
}

// Placeholder is the placeholder style of a library's SQL text.
type Placeholder int

const (
	PlaceholderQuestion Placeholder = iota + 1 // GORM: ? (and @name with named args)
	PlaceholderDollar                          // pgx, database/sql on PostgreSQL: $1..$n
	PlaceholderNamed                           // sqlx Named*: :name
)

// SQLParam is one parameter of a method that may be interpreted as SQL.
type SQLParam struct {
	Index int     // parameter index (0-based, receiver not counted)
	Rule  RawRule // when the argument is raw SQL
	// ArgsFrom is the index of the first argument that fills the
	// placeholders of this SQL (-1 when the method takes no arguments for
	// it). Args are variadic from there.
	ArgsFrom int
	// Fragment says how the SQL must be wrapped to parse on its own.
	Fragment Fragment
	// Cite points at the library source the rule was checked against.
	Cite string
	// Placeholder overrides the library's placeholder style for this
	// parameter (sqlx's Named* take :name); zero means the library's.
	Placeholder Placeholder
}

// Fragment is what piece of a statement an SQL parameter holds.
type Fragment int

const (
	FragStatement  Fragment = iota + 1 // a whole statement (Raw, Exec, Query)
	FragCondition                      // a boolean expression (WHERE, HAVING)
	FragOrderBy                        // an ORDER BY list
	FragSelectList                     // a SELECT list
	FragGroupBy                        // a GROUP BY list
	FragJoin                           // a JOIN clause (or an association name)
	FragTable                          // a FROM item
	FragExpr                           // a scalar expression (gorm.Expr)
	FragColumn                         // a column name
)

var fragmentNames = map[Fragment]string{
	FragStatement: "statement", FragCondition: "condition", FragOrderBy: "order by",
	FragSelectList: "select list", FragGroupBy: "group by", FragJoin: "join",
	FragTable: "table", FragExpr: "expression", FragColumn: "column",
}

func (f Fragment) String() string {
	if s, ok := fragmentNames[f]; ok {
		return s
	}
	return "fragment(" + strconv.Itoa(int(f)) + ")"
}

// Method is one row of the table.
type Method struct {
	Name    string
	Role    Role
	Returns Returns
	// Op is the word used in messages ("Find", "Delete"); usually Name.
	Op string
	// SQL lists the parameters interpreted as SQL text.
	SQL []SQLParam
	// ModelParam is the index of the parameter that names the model (the
	// destination of a finder, the value of Create), or -1.
	ModelParam int
	// Clause is the clause a chain method contributes ("where", "order",
	// "limit", ...), used to describe chains.
	Clause string
	// Receivers restricts the row to some receiver types of the library
	// (generics API interfaces); empty means the library's main handle.
	Receivers []string
}

// Library is one legacy ORM.
type Library struct {
	Name       string // "GORM v2"
	Short      string // "GORM", used in messages
	Path       string // import path
	HandleType string // named type of the chain handle ("DB")
	// HandleTypes are further handle types whose methods share the rows
	// (database/sql's Tx and Conn); used by ResolveSQL for the drivers.
	HandleTypes []string
	// Driver marks a plain SQL driver API (database/sql, sqlx, pgx): not a
	// legacy ORM, listed in Drivers rather than Libraries.
	Driver      bool
	Placeholder Placeholder
	Methods     map[string]*Method
	// GenericTypes are the generics API's interface types (GORM v2's
	// gorm.G[T]) whose methods are looked up in GenericMethods.
	GenericTypes   []string
	GenericMethods map[string]*Method
	// Funcs are package-level functions (gorm.Expr, gorm.G, gorm.Open).
	Funcs map[string]*Method
	// ExprTypes are composite-literal types whose SQL field is raw
	// (clause.Expr{SQL: ...}), keyed by "path.Type" to the field name.
	ExprTypes map[string]string
	// SafeTypes are argument types the library quotes itself
	// (clause.OrderByColumn, clause.Column, ...), as "path.Type".
	SafeTypes []string
	// IntegerPK says when an inline condition string is a primary key.
	IntegerPK func(s string) bool
	// NotFound is the name of the not-found error variable.
	NotFound string
}

// Lookup finds the row for a method of the library's main handle.
func (l *Library) Lookup(name string) *Method { return l.Methods[name] }

// LookupGeneric finds the row for a method of a generics API interface.
func (l *Library) LookupGeneric(typeName, name string) *Method {
	for _, t := range l.GenericTypes {
		if t == typeName {
			return l.GenericMethods[name]
		}
	}
	return nil
}

// MethodNames returns the library's main-handle method names, sorted.
func (l *Library) MethodNames() []string {
	names := make([]string, 0, len(l.Methods))
	for n := range l.Methods {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// IsRawSQLArg applies a rule to a constant argument value: whether the
// library would insert that text as SQL. A non-constant argument must be
// treated as raw by callers (its value is unknown); this function is for
// the constant case and for documentation.
func (l *Library) IsRawSQLArg(rule RawRule, s string, nargs int) bool {
	switch rule {
	case RawAlways, RawUnlessField, RawUnlessAssociation:
		return true
	case RawCondition:
		if l.IntegerPK != nil && l.IntegerPK(s) {
			return false
		}
		if l == GORMv2 && nargs == 1 && isIdentifier(s) {
			return false // statement.go BuildCondition: clause.Eq{Column: s}
		}
		return s != "" || nargs > 0
	case RawUnlessIdentifier:
		return !isSingleDBName(s)
	case RawTable:
		if l == GORMv2 {
			return strings.ContainsAny(s, " `") || nargs > 0
		}
		return strings.Contains(s, " ")
	case RawUnlessColumnLike:
		return !v1ColumnRegexp.MatchString(s)
	}
	return false
}

// isSingleDBName mirrors GORM v2's
// len(strings.FieldsFunc(name, utils.IsInvalidDBNameChar)) == 1 (utils.go):
// valid DB name chars are letters, digits and . * _ $ @.
func isSingleDBName(s string) bool {
	fields := strings.FieldsFunc(s, func(c rune) bool {
		return !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '.' || c == '*' || c == '_' || c == '$' || c == '@')
	})
	return len(fields) == 1
}

var identRegexp = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$`)

func isIdentifier(s string) bool { return identRegexp.MatchString(s) }

// IsIdentifier reports whether s is a plain (optionally table-qualified)
// SQL identifier.
func IsIdentifier(s string) bool { return isIdentifier(s) }

// v1ColumnRegexp is GORM v1's columnRegexp (scope.go:463).
var v1ColumnRegexp = regexp.MustCompile(`^[a-zA-Z\d]+(\.[a-zA-Z\d]+)*$`)

// v1NumberRegexp is GORM v1's isNumberRegexp (scope.go:464).
var v1NumberRegexp = regexp.MustCompile(`^\s*\d+\s*$`)

// Libraries lists every legacy library known, in lookup order.
var Libraries = []*Library{GORMv2, GORMv1}

// ByPath returns the library whose import path is path, or nil.
func ByPath(path string) *Library {
	for _, l := range Libraries {
		if l.Path == path {
			return l
		}
	}
	return nil
}

// Resolve finds the library and row for a method object, when the method
// belongs to a legacy library's handle or generics interface. It returns
// nil, nil otherwise.
func Resolve(fn *types.Func) (*Library, *Method) {
	if fn == nil || fn.Pkg() == nil {
		return nil, nil
	}
	lib := ByPath(fn.Pkg().Path())
	if lib == nil {
		return nil, nil
	}
	sig, ok := fn.Type().(*types.Signature)
	if !ok {
		return nil, nil
	}
	recv := sig.Recv()
	if recv == nil {
		return lib, lib.Funcs[fn.Name()]
	}
	t := recv.Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	var name string
	switch t := t.(type) {
	case *types.Named:
		name = t.Obj().Name()
	case *types.Alias:
		name = t.Obj().Name()
	case *types.Interface:
		// Method of an embedded interface seen through its origin: fall
		// back to the generic table.
		if m := lib.GenericMethods[fn.Name()]; m != nil {
			return lib, m
		}
		return nil, nil
	}
	if name == lib.HandleType {
		return lib, lib.Methods[fn.Name()]
	}
	if m := lib.LookupGeneric(name, fn.Name()); m != nil {
		return lib, m
	}
	return nil, nil
}

// IsHandle reports whether t is a legacy library's chain handle (*gorm.DB)
// or one of its generics interfaces, and returns the library.
func IsHandle(t types.Type) (*Library, bool) {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() == nil {
		return nil, false
	}
	lib := ByPath(n.Obj().Pkg().Path())
	if lib == nil {
		return nil, false
	}
	if n.Obj().Name() == lib.HandleType {
		return lib, true
	}
	for _, g := range lib.GenericTypes {
		if n.Obj().Name() == g {
			return lib, true
		}
	}
	return nil, false
}
