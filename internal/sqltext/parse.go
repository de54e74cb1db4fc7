package sqltext

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	pg_query "github.com/pganalyze/pg_query_go/v5"
	pgparser "github.com/pganalyze/pg_query_go/v5/parser"
)

// Kind is what piece of a statement a text is.
type Kind int

const (
	Statement  Kind = iota + 1 // one or more whole statements
	Condition                  // a boolean expression: SELECT 1 WHERE <c>
	OrderBy                    // an ORDER BY list: SELECT 1 ORDER BY <o>
	SelectList                 // a SELECT list: SELECT <s>
	GroupBy                    // a GROUP BY list: SELECT 1 GROUP BY <g>
	Join                       // a JOIN clause: SELECT 1 FROM t <j>
	Table                      // a FROM item: SELECT 1 FROM <t>
	Expr                       // a scalar expression: SELECT <e>
	Column                     // a column reference: SELECT <c>
)

var kindNames = map[Kind]string{
	Statement: "statement", Condition: "condition", OrderBy: "order by list",
	SelectList: "select list", GroupBy: "group by list", Join: "join clause",
	Table: "table", Expr: "expression", Column: "column",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// wrap returns the prefix and suffix that make a fragment of kind a
// statement. The suffix guards against a fragment that ends the statement
// early (";"), which would otherwise parse as two statements.
func wrap(k Kind) (string, string) {
	switch k {
	case Condition:
		return "SELECT 1 WHERE ", "\n"
	case OrderBy:
		return "SELECT 1 ORDER BY ", "\n"
	case SelectList, Expr, Column:
		return "SELECT ", "\n"
	case GroupBy:
		return "SELECT 1 GROUP BY ", "\n"
	case Join:
		return "SELECT 1 FROM t ", "\n"
	case Table:
		return "SELECT 1 FROM ", "\n"
	}
	return "", ""
}

// Error is a parse error positioned in the caller's text.
type Error struct {
	Kind    Kind
	Text    string // the caller's text
	Msg     string // the parser's message
	Offset  int    // byte offset in Text (-1 when the parser gave none)
	Line    int    // 1-based line in Text (0 when unknown)
	Col     int    // 1-based column in bytes (0 when unknown)
	wrapped error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s at %d:%d", e.Msg, e.Line, e.Col)
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.wrapped }

// Result is a parsed text.
type Result struct {
	Tree      *pg_query.ParseResult
	Rewritten *Rewritten // the text after placeholder rewriting (before wrapping)
	Wrapped   string     // what the parser saw
}

// ParseStatement parses whole statements written in a placeholder style.
func ParseStatement(sql string, style Style) (*Result, error) {
	return ParseFragment(Statement, sql, style)
}

// ParseFragment parses text as a fragment of kind (Statement for whole
// statements), wrapping it so it parses on its own. Placeholders of style
// become $n first. A parse error is an *Error whose position is in text.
func ParseFragment(kind Kind, text string, style Style) (*Result, error) {
	return ParseFragmentArgs(kind, text, style, nil)
}

// ParseFragmentArgs is ParseFragment with the kinds of GORM's positional
// arguments (see RewriteArgs): a slice fills IN ?, a subquery fills (?).
func ParseFragmentArgs(kind Kind, text string, style Style, kinds []ArgKind) (*Result, error) {
	rw, err := RewriteArgs(text, style, kinds)
	if err != nil {
		return nil, &Error{Kind: kind, Text: text, Msg: err.Error(), Offset: -1, wrapped: err}
	}
	pre, suf := wrap(kind)
	full := pre + rw.SQL + suf
	tree, err := pg_query.Parse(full)
	if err != nil {
		return nil, positioned(kind, text, rw, full, len(pre), err)
	}
	res := &Result{Tree: tree, Rewritten: rw, Wrapped: full}
	if kind != Statement {
		if n := len(tree.GetStmts()); n != 1 {
			return nil, &Error{Kind: kind, Text: text, Msg: fmt.Sprintf("a %s must not end the statement (%d statements)", kind, n), Offset: -1}
		}
		if err := checkShape(kind, tree); err != nil {
			return nil, &Error{Kind: kind, Text: text, Msg: err.Error(), Offset: -1}
		}
	} else if len(tree.GetStmts()) == 0 {
		return nil, &Error{Kind: kind, Text: text, Msg: "empty statement", Offset: -1}
	}
	return res, nil
}

// checkShape rejects fragments that parse only because they escaped the
// wrapper (e.g. a condition "1 UNION SELECT ..." still parses as a single
// SELECT, which is a valid but different statement shape).
func checkShape(kind Kind, tree *pg_query.ParseResult) error {
	sel := tree.GetStmts()[0].GetStmt().GetSelectStmt()
	if sel == nil {
		return errors.New("not a " + kind.String())
	}
	if sel.GetOp() != pg_query.SetOperation_SETOP_NONE {
		return errors.New("the " + kind.String() + " contains a set operation (UNION/INTERSECT/EXCEPT)")
	}
	return nil
}

func positioned(kind Kind, text string, rw *Rewritten, full string, prefix int, err error) error {
	e := &Error{Kind: kind, Text: text, Msg: err.Error(), Offset: -1, wrapped: err}
	var pe *pgparser.Error
	if !errors.As(err, &pe) {
		return e
	}
	e.Msg = pe.Message
	if pe.Cursorpos <= 0 {
		return e
	}
	// Cursorpos is a 1-based character position in full.
	b := runeToByte(full, pe.Cursorpos-1) - prefix
	if b < 0 {
		b = 0
	}
	e.Offset = rw.OrigOffset(b)
	if e.Offset > len(text) {
		e.Offset = len(text)
	}
	e.Line = 1 + strings.Count(text[:e.Offset], "\n")
	lineStart := strings.LastIndexByte(text[:e.Offset], '\n') + 1
	e.Col = e.Offset - lineStart + 1
	return e
}

func runeToByte(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	_ = utf8.RuneError
	return len(s)
}

// Fingerprint returns pg_query's fingerprint of sql after rewriting GORM
// placeholders, so statements that differ only in constants and
// placeholder style group together.
func Fingerprint(sql string) (string, error) {
	rw, err := Rewrite(sql, StyleQuestion)
	if err != nil {
		return "", fmt.Errorf("fingerprint: %w", err)
	}
	fp, err := pg_query.Fingerprint(rw.SQL)
	if err != nil {
		return "", fmt.Errorf("fingerprint %q: %w", sql, err)
	}
	return fp, nil
}
