package directive

import (
	"go/parser"
	"go/token"
	"testing"
)

const src = `package p

func f(x int) int {
	//ormshift:ignore legacycall/read,sqlinject reviewed by the DBA
	y := g(
		x,
	)
	z := g(x) //ormshift:ignore legacycall
	//ormshift:ignore all header only
	if x > 0 {
		y++
	}
	// ormshift:todo(legacycall/write): needs the request id
	//ormshift:ignored is not a directive
	// ormshift:todo(): empty rule
	//ormshift:ignore
	return y + z
}

func g(x int) int { return x }
`

func TestParse(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	ignores, todos, problems := Parse(fset, f)
	if len(ignores) != 3 {
		t.Fatalf("%d ignores, want 3", len(ignores))
	}
	a, b, c := ignores[0], ignores[1], ignores[2]
	if !a.OwnLine || a.From != 5 || a.To != 7 || a.Reason != "reviewed by the DBA" || len(a.Rules) != 2 {
		t.Errorf("own-line ignore: %+v", a)
	}
	if !a.Covers("p.go", 6, "sqlinject/taint") || a.Covers("p.go", 8, "legacycall/read") || a.Covers("p.go", 6, "legacycall/write") {
		t.Error("own-line ignore covers the wrong lines or rules")
	}
	if b.OwnLine || b.From != 8 || b.To != 8 || b.Reason != "" || !b.Covers("p.go", 8, "legacycall/tx") {
		t.Errorf("trailing ignore: %+v", b)
	}
	if c.From != 10 || c.To != 10 || !c.Covers("p.go", 10, "anything/at-all") || c.Covers("p.go", 11, "x") {
		t.Errorf("if-header ignore: %+v", c)
	}
	if len(todos) != 1 || todos[0].Rule != "legacycall/write" || todos[0].Reason != "needs the request id" {
		t.Errorf("todos = %+v", todos)
	}
	if len(problems) != 2 {
		t.Errorf("problems = %+v, want the empty todo and the bare ignore", problems)
	}
}

func TestParseSpacedAndUnknown(t *testing.T) {
	const src = `package p

func f() {
	// ormshift:ignore legacycall reviewed
	f()
	//  ormshift:ignoreall is not a directive
	//ormshift:ignore ormshift/todo,nosuch,all three rules
	f()
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	ignores, _, problems := Parse(fset, f)
	if len(ignores) != 2 || len(problems) != 0 {
		t.Fatalf("ignores %+v problems %+v, want 2 ignores", ignores, problems)
	}
	if a := ignores[0]; !a.OwnLine || a.From != 5 || a.Reason != "reviewed" || !a.Covers("p.go", 5, "legacycall/read") {
		t.Errorf("spaced ignore: %+v", a)
	}
	// Only the driver's rules are registered in this package's test.
	if u := ignores[1].UnknownRules(); len(u) != 1 || u[0] != "nosuch" {
		t.Errorf("UnknownRules = %v, want [nosuch]", u)
	}
	if u := ignores[0].UnknownRules(); len(u) != 1 {
		t.Errorf("legacycall is not registered here, UnknownRules = %v", u)
	}
}
