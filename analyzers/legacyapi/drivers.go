package legacyapi

import "go/types"

// Drivers are the non-ORM SQL APIs: database/sql, sqlx and pgx v5. They are
// not legacy ORMs (legacycall does not report them, Resolve does not find
// them), but their SQL parameters are sinks for sqlinject and sqlcheck, so
// they are rows of the same table. ResolveSQL finds rows in both lists.
//
// Signatures were read off the standard library (database/sql),
// github.com/jackc/pgx/v5@v5.12.0 (conn.go, tx.go, batch.go,
// pgxpool/pool.go, pgxpool/conn.go, pgxpool/tx.go) and
// github.com/jmoiron/sqlx@v1.4.0 (sqlx.go, sqlx_context.go, named.go).
// A prepared statement's SQL is checked where it is prepared (Prepare*);
// (*sql.Stmt).Query and friends take only arguments.

const (
	citeDatabaseSQL = "database/sql: the query string is sent to the driver as written"
	citePgx         = "pgx v5 conn.go: sql is sent as written ($n placeholders; NamedArgs rewrite @name)"
	citePgxBatch    = "pgx v5 batch.go:91 (*Batch).Queue(query string, arguments ...any)"
	citeSqlx        = "sqlx sqlx.go: query is passed to database/sql as written"
	citeSqlxNamed   = "sqlx named.go: :name parameters are bound from arg (struct or map)"
)

func stmtAt(i, args int, cite string) SQLParam {
	return SQLParam{Index: i, Rule: RawAlways, ArgsFrom: args, Fragment: FragStatement, Cite: cite}
}

func namedAt(i, arg int) SQLParam {
	return SQLParam{Index: i, Rule: RawAlways, ArgsFrom: arg, Fragment: FragStatement, Cite: citeSqlxNamed, Placeholder: PlaceholderNamed}
}

func rawCall(name string, ret Returns, sql SQLParam) *Method {
	return &Method{Name: name, Op: name, Role: RoleRaw, Returns: ret, ModelParam: -1, SQL: []SQLParam{sql}}
}

// DatabaseSQL is database/sql: (*DB), (*Tx) and (*Conn).
var DatabaseSQL = &Library{
	Name:        "database/sql",
	Short:       "database/sql",
	Path:        "database/sql",
	HandleType:  "DB",
	HandleTypes: []string{"Tx", "Conn"},
	Placeholder: PlaceholderDollar,
	Driver:      true,
	Methods: table(
		rawCall("Query", ReturnsRows, stmtAt(0, 1, citeDatabaseSQL)),
		rawCall("QueryContext", ReturnsRows, stmtAt(1, 2, citeDatabaseSQL)),
		rawCall("QueryRow", ReturnsRows, stmtAt(0, 1, citeDatabaseSQL)),
		rawCall("QueryRowContext", ReturnsRows, stmtAt(1, 2, citeDatabaseSQL)),
		rawCall("Exec", ReturnsResult, stmtAt(0, 1, citeDatabaseSQL)),
		rawCall("ExecContext", ReturnsResult, stmtAt(1, 2, citeDatabaseSQL)),
		rawCall("Prepare", ReturnsOther, stmtAt(0, -1, citeDatabaseSQL)),
		rawCall("PrepareContext", ReturnsOther, stmtAt(1, -1, citeDatabaseSQL)),
	),
}

// Sqlx is github.com/jmoiron/sqlx: (*DB) and (*Tx) (which embed database/sql's
// handles: their Query/Exec resolve to DatabaseSQL rows), package functions
// taking a Queryer/Execer.
var Sqlx = &Library{
	Name:        "sqlx",
	Short:       "sqlx",
	Path:        "github.com/jmoiron/sqlx",
	HandleType:  "DB",
	HandleTypes: []string{"Tx", "Conn"},
	Placeholder: PlaceholderDollar,
	Driver:      true,
	Methods: table(
		rawCall("Select", ReturnsError, stmtAt(1, 2, citeSqlx)),
		rawCall("SelectContext", ReturnsError, stmtAt(2, 3, citeSqlx)),
		rawCall("Get", ReturnsError, stmtAt(1, 2, citeSqlx)),
		rawCall("GetContext", ReturnsError, stmtAt(2, 3, citeSqlx)),
		rawCall("Queryx", ReturnsRows, stmtAt(0, 1, citeSqlx)),
		rawCall("QueryxContext", ReturnsRows, stmtAt(1, 2, citeSqlx)),
		rawCall("QueryRowx", ReturnsRows, stmtAt(0, 1, citeSqlx)),
		rawCall("QueryRowxContext", ReturnsRows, stmtAt(1, 2, citeSqlx)),
		rawCall("MustExec", ReturnsResult, stmtAt(0, 1, citeSqlx)),
		rawCall("MustExecContext", ReturnsResult, stmtAt(1, 2, citeSqlx)),
		rawCall("Preparex", ReturnsOther, stmtAt(0, -1, citeSqlx)),
		rawCall("PreparexContext", ReturnsOther, stmtAt(1, -1, citeSqlx)),
		rawCall("NamedExec", ReturnsResult, namedAt(0, 1)),
		rawCall("NamedExecContext", ReturnsResult, namedAt(1, 2)),
		rawCall("NamedQuery", ReturnsRows, namedAt(0, 1)),
		rawCall("NamedQueryContext", ReturnsRows, namedAt(1, 2)),
		rawCall("PrepareNamed", ReturnsOther, namedAt(0, -1)),
		rawCall("PrepareNamedContext", ReturnsOther, namedAt(1, -1)),
	),
	Funcs: table(
		rawCall("Select", ReturnsError, stmtAt(2, 3, citeSqlx)),
		rawCall("SelectContext", ReturnsError, stmtAt(3, 4, citeSqlx)),
		rawCall("Get", ReturnsError, stmtAt(2, 3, citeSqlx)),
		rawCall("GetContext", ReturnsError, stmtAt(3, 4, citeSqlx)),
		rawCall("MustExec", ReturnsResult, stmtAt(1, 2, citeSqlx)),
		rawCall("NamedExec", ReturnsResult, namedAt(1, 2)),
		rawCall("NamedQuery", ReturnsRows, namedAt(1, 2)),
	),
}

// Pgx is github.com/jackc/pgx/v5: (*Conn), the Tx interface and (*Batch).Queue.
var Pgx = &Library{
	Name:        "pgx v5",
	Short:       "pgx",
	Path:        "github.com/jackc/pgx/v5",
	HandleType:  "Conn",
	HandleTypes: []string{"Tx", "Batch"},
	Placeholder: PlaceholderDollar,
	Driver:      true,
	Methods:     pgxMethods(),
}

// PgxPool is github.com/jackc/pgx/v5/pgxpool: (*Pool), (*Conn), (*Tx).
var PgxPool = &Library{
	Name:        "pgxpool v5",
	Short:       "pgxpool",
	Path:        "github.com/jackc/pgx/v5/pgxpool",
	HandleType:  "Pool",
	HandleTypes: []string{"Conn", "Tx"},
	Placeholder: PlaceholderDollar,
	Driver:      true,
	Methods:     pgxMethods(),
}

func pgxMethods() map[string]*Method {
	return table(
		rawCall("Query", ReturnsRows, stmtAt(1, 2, citePgx)),
		rawCall("QueryRow", ReturnsRows, stmtAt(1, 2, citePgx)),
		rawCall("Exec", ReturnsResult, stmtAt(1, 2, citePgx)),
		rawCall("Prepare", ReturnsOther, stmtAt(2, -1, citePgx)),
		rawCall("Queue", ReturnsOther, stmtAt(0, 1, citePgxBatch)),
	)
}

// UOW is ormshift's own unit-of-work runtime: converted code must not
// bring the injection back through its raw SQL escape hatch,
// (*EntityManager).Exec(ctx, sql, args...) and Raw[T](ctx, em, sql,
// args...) (uow/em.go, uow/raw.go: sql goes to pgx as written, $n
// placeholders).
var UOW = &Library{
	Name:        "ormshift uow",
	Short:       "uow",
	Path:        "github.com/ormshift/ormshift/uow",
	HandleType:  "EntityManager",
	Placeholder: PlaceholderDollar,
	Driver:      true,
	Methods: table(
		rawCall("Exec", ReturnsResult, stmtAt(1, 2, citeUOW)),
	),
	Funcs: table(
		rawCall("Raw", ReturnsRows, stmtAt(2, 3, citeUOW)),
	),
}

const citeUOW = "ormshift uow em.go Exec / raw.go Raw: sql is passed to pgx as written"

// Drivers lists the non-ORM SQL libraries.
var Drivers = []*Library{DatabaseSQL, Sqlx, Pgx, PgxPool, UOW}

// ResolveSQL is Resolve over the legacy ORMs and the drivers: the library
// and row of a function or method that may take SQL text.
func ResolveSQL(fn *types.Func) (*Library, *Method) {
	if lib, m := Resolve(fn); m != nil {
		return lib, m
	}
	if fn == nil || fn.Pkg() == nil {
		return nil, nil
	}
	var lib *Library
	for _, l := range Drivers {
		if l.Path == fn.Pkg().Path() {
			lib = l
		}
	}
	if lib == nil {
		return nil, nil
	}
	sig, ok := fn.Type().(*types.Signature)
	if !ok {
		return nil, nil
	}
	if sig.Recv() == nil {
		if m := lib.Funcs[fn.Name()]; m != nil {
			return lib, m
		}
		return nil, nil
	}
	if !lib.isHandleName(recvName(sig.Recv().Type())) {
		return nil, nil
	}
	if m := lib.Methods[fn.Name()]; m != nil {
		return lib, m
	}
	return nil, nil
}

func (l *Library) isHandleName(name string) bool {
	if name == "" {
		return false
	}
	if name == l.HandleType {
		return true
	}
	for _, h := range l.HandleTypes {
		if h == name {
			return true
		}
	}
	return false
}

func recvName(t types.Type) string {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	switch t := t.(type) {
	case *types.Named:
		return t.Obj().Name()
	case *types.Alias:
		return t.Obj().Name()
	}
	return ""
}

// PlaceholderOf is the placeholder style of an SQL parameter: its own, or
// the library's.
func (l *Library) PlaceholderOf(p SQLParam) Placeholder {
	if p.Placeholder != 0 {
		return p.Placeholder
	}
	return l.Placeholder
}
