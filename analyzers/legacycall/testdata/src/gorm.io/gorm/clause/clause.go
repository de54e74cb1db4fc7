// Package clause is a stub of gorm.io/gorm/clause v1.31.2.
package clause

type Builder interface {
	WriteString(string) (int, error)
}

type Expression interface {
	Build(builder Builder)
}

type Assigner interface {
	Assignments() []Assignment
}

type Assignment struct {
	Column Column
	Value  interface{}
}

type Column struct {
	Table string
	Name  string
	Alias string
	Raw   bool
}

type Table struct {
	Name  string
	Alias string
	Raw   bool
}

type Expr struct {
	SQL                string
	Vars               []interface{}
	WithoutParentheses bool
}

func (expr Expr) Build(builder Builder) {}

type OrderByColumn struct {
	Column  Column
	Desc    bool
	Reorder bool
}

type OrderBy struct {
	Columns    []OrderByColumn
	Expression Expression
}

func (orderBy OrderBy) Build(builder Builder) {}

type Eq struct {
	Column interface{}
	Value  interface{}
}

func (eq Eq) Build(builder Builder) {}

type JoinType string

type JoinTarget struct {
	Type        JoinType
	Association string
	Subquery    Expression
	Table       string
}

type Locking struct {
	Strength string
	Table    Table
	Options  string
}

func (locking Locking) Build(builder Builder) {}
