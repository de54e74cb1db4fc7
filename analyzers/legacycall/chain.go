package legacycall

import (
	"fmt"
	"go/token"
	"strings"
)

// RootKind says where a chain's handle comes from.
type RootKind string

const (
	RootField   RootKind = "field"   // a struct field: s.db
	RootGlobal  RootKind = "global"  // a package-level variable: DB, store.DB
	RootParam   RootKind = "param"   // a parameter of the enclosing function
	RootLocal   RootKind = "local"   // a local variable whose value is unknown
	RootCall    RootKind = "call"    // the result of a call ormshift cannot see into (gorm.Open, a func value)
	RootUnknown RootKind = "unknown" // anything else
)

// Root is the start of a chain.
type Root struct {
	Kind RootKind
	// Name is "Service.db" for a field, "DB" or "store.DB" for a global,
	// the parameter name for a param, source text otherwise.
	Name string
	// Index is the parameter index for RootParam (-1 for a receiver).
	Index int
}

// Arg is one argument of a chain link.
type Arg struct {
	Src     string // source text (types.ExprString)
	Const   string // the constant value, unquoted, when IsConst
	IsConst bool
	Type    string // the argument's type
}

// Text is the constant value when known, else the source text, on one
// line (runs of white space become one space).
func (a Arg) Text() string {
	if a.IsConst {
		return oneLine(a.Const)
	}
	return a.Src
}

func oneLine(s string) string {
	if !strings.ContainsAny(s, "\n\t\r") && !strings.Contains(s, "  ") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// Link is one method call of a chain.
type Link struct {
	Method string // "Where"
	Clause string // the clause it contributes ("where"), "" for none
	Role   string // legacyapi.Role name ("chain", "session", "finder", ...)
	Args   []Arg
	Pos    token.Pos // position of the method name (valid in the analyzing process only)
	Posn   string    // file:line:col of the method name
	// Via names the helper or scope function the link came from, "" when
	// it is written at the call site.
	Via string
	// Conditional is true when the link is applied on some paths only (a
	// reassignment inside an if, switch or loop).
	Conditional bool
}

// Chain is one legacy data-access statement: a finisher call and the
// chain of calls that built its handle.
type Chain struct {
	Library string // "GORM v2"
	Short   string // "GORM", as used in messages
	Root    Root
	// Links are the calls before the finisher, in application order,
	// including those reached through variables, helpers and scopes.
	Links    []Link
	Finisher Link
	Op       string // the finisher's operation word ("Find")
	Role     string // the finisher's role ("finder")
	Kind     string // read, write, raw, tx, schema
	Rule     string // legacycall/<kind>
	// Model is the Go type name of the model ("Package"), "" when unknown;
	// ModelPkg its package path.
	Model    string
	ModelPkg string
	// Table is the table the statement touches ("" when unknown).
	Table string
	// Conditions are the WHERE-like conditions (where, not, or, having and
	// inline conditions), rendered.
	Conditions []string
	// Clauses are the rendered clauses of the message, in order.
	Clauses []string
	// Raw is the SQL text of a Raw or Exec call when constant.
	Raw string
	// Func is the enclosing function ("(*Service).Top", "pkgFunc").
	Func string
	Pos  token.Pos // finisher call start
	End  token.Pos // finisher call end
	Posn string
}

// Message is the diagnostic text:
// legacy GORM Find on Package (packages): where a = ?, limit 10.
// Transaction control and raw SQL without a model say no "on ...": they
// are not about one model (the SQL names its tables).
func (c *Chain) Message() string {
	var b strings.Builder
	fmt.Fprintf(&b, "legacy %s %s", c.Short, c.Op)
	if c.Model == "" && c.Table == "" && (c.Kind == "tx" || c.Kind == "raw") {
		if len(c.Clauses) > 0 {
			b.WriteString(": ")
			b.WriteString(strings.Join(c.Clauses, ", "))
		}
		return b.String()
	}
	b.WriteString(" on ")
	switch {
	case c.Model != "" && c.Table != "":
		fmt.Fprintf(&b, "%s (%s)", c.Model, c.Table)
	case c.Model != "":
		b.WriteString(c.Model)
	case c.Table != "":
		fmt.Fprintf(&b, "unknown model (%s)", c.Table)
	default:
		b.WriteString("unknown model")
	}
	if len(c.Clauses) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(c.Clauses, ", "))
	}
	return b.String()
}

// HasLink reports whether the chain calls method name before its finisher.
func (c *Chain) HasLink(name string) bool {
	for _, l := range c.Links {
		if l.Method == name {
			return true
		}
	}
	return false
}

// ChainFact is exported for a function that returns a legacy handle (a
// helper such as `func active(db *gorm.DB) *gorm.DB`) or a scope function
// factory (`func Paginate(n int) func(*gorm.DB) *gorm.DB`): the partial chain
// it builds, so callers in other packages extend it.
type ChainFact struct {
	Library string
	Root    Root
	Links   []Link
	// Scope is true when the function returns a scope function: the links
	// apply to the scope's parameter.
	Scope bool
	// Model is the model the handle carries (Model(...) or gorm.G[T]),
	// with its package path and table.
	Model, ModelPkg, Table string
}

// AFact marks ChainFact as an analysis fact.
func (*ChainFact) AFact() {}

func (f *ChainFact) String() string {
	var ms []string
	for _, l := range f.Links {
		ms = append(ms, l.Method)
	}
	s := fmt.Sprintf("chain %s(%s) %s", f.Root.Kind, f.Root.Name, strings.Join(ms, "."))
	if f.Scope {
		s = "scope " + s
	}
	return s
}

// CallSitesFact is exported for each function that contains legacy call
// sites (those inside function literals count for the enclosing function).
type CallSitesFact struct {
	Sites []Chain
}

// AFact marks CallSitesFact as an analysis fact.
func (*CallSitesFact) AFact() {}

func (f *CallSitesFact) String() string {
	var ops []string
	for _, s := range f.Sites {
		ops = append(ops, s.Op)
	}
	return "callsites " + strings.Join(ops, ",")
}

// Result is what the analyzer returns for its package: every call site,
// in source order.
type Result struct {
	Chains []*Chain
}
