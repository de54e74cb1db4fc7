// Package clause is a stub of gorm.io/gorm/clause@v1.31.2 with its exact signatures.
package clause

type Expression interface{}

type Table struct {
	Name  string
	Alias string
	Raw   bool
}

type Column struct {
	Table string
	Name  string
	Alias string
	Raw   bool
}

type Expr struct {
	SQL                string
	Vars               []interface{}
	WithoutParentheses bool
}

type NamedExpr struct {
	SQL  string
	Vars []interface{}
}

type OrderByColumn struct {
	Column  Column
	Desc    bool
	Reorder bool
}

type Eq struct {
	Column interface{}
	Value  interface{}
}
