package sqltext

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestQuestionToDollar(t *testing.T) {
	cases := []struct {
		in, out string
		n       int
	}{
		{"SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = $1 AND b = $2", 2},
		{"a = '?' AND b = ?", "a = '?' AND b = $1", 1},
		{"a = 'it''s ?' AND b = ?", "a = 'it''s ?' AND b = $1", 1},
		{`a = E'\'?' AND b = ?`, `a = E'\'?' AND b = $1`, 1},
		{`"we?rd" = ?`, `"we?rd" = $1`, 1},
		{"a = ? -- what?\n AND b = ?", "a = $1 -- what?\n AND b = $2", 2},
		{"a = ? /* x /* ? */ ? */ AND b = ?", "a = $1 /* x /* ? */ ? */ AND b = $2", 2},
		{"a = $$ ? $$ AND b = ?", "a = $$ ? $$ AND b = $1", 1},
		{"a = $tag$ ? $x$ ? $tag$ AND b = ?", "a = $tag$ ? $x$ ? $tag$ AND b = $1", 1},
		{"data ?? 'k' AND data ?| array['a'] AND data ?& array['b'] AND id = ?", "data ? 'k' AND data ?| array['a'] AND data ?& array['b'] AND id = $1", 1},
		{"a = $1 AND b = ?", "a = $1 AND b = $2", 1},
		{"x::int = ?", "x::int = $1", 1},
		{"", "", 0},
	}
	for _, c := range cases {
		out, n, err := QuestionToDollar(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if out != c.out || n != c.n {
			t.Errorf("QuestionToDollar(%q) = %q, %d; want %q, %d", c.in, out, n, c.out, c.n)
		}
	}
}

func TestNamedToDollar(t *testing.T) {
	out, names, err := NamedToDollar("name = @name OR nick = @name AND age > @age AND email = 'a@b' AND tags @> '{x}'")
	if err != nil {
		t.Fatal(err)
	}
	want := "name = $1 OR nick = $1 AND age > $2 AND email = 'a@b' AND tags @> '{x}'"
	if out != want || strings.Join(names, ",") != "name,age" {
		t.Errorf("got %q %v, want %q [name age]", out, names, want)
	}
	// Positional and named together: names are numbered after the ?s.
	r, err := Rewrite("a = ? AND b = @b", StyleQuestion)
	if err != nil {
		t.Fatal(err)
	}
	if r.SQL != "a = $1 AND b = $2" || r.Positional != 1 || len(r.Names) != 1 {
		t.Errorf("mixed: %+v", r)
	}
}

func TestColonStyle(t *testing.T) {
	r, err := Rewrite("INSERT INTO t (a, b) VALUES (:a, :b::int) -- :c", StyleColon)
	if err != nil {
		t.Fatal(err)
	}
	if r.SQL != "INSERT INTO t (a, b) VALUES ($1, $2::int) -- :c" || strings.Join(r.Names, ",") != "a,b" {
		t.Errorf("got %q %v", r.SQL, r.Names)
	}
}

func TestUnterminated(t *testing.T) {
	for _, in := range []string{"a = 'x", `a = "x`, "a /* b", "a = $q$ x", `a = E'\'`} {
		if _, _, err := QuestionToDollar(in); !errors.Is(err, ErrUnterminated) {
			t.Errorf("%q: err = %v, want ErrUnterminated", in, err)
		}
	}
}

func TestMaxDollar(t *testing.T) {
	cases := map[string]int{
		"SELECT $1, $2":               2,
		"SELECT $10 + $2":             10,
		"SELECT '$5', $1":             1,
		"SELECT $$ $9 $$, $3":         3,
		"SELECT a$1 FROM t":           0,
		"SELECT 1 -- $4\n":            0,
		"SELECT $tag$x$tag$, $2::int": 2,
	}
	for in, want := range cases {
		got, err := MaxDollar(in)
		if err != nil || got != want {
			t.Errorf("MaxDollar(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}

func TestParseFragment(t *testing.T) {
	ok := []struct {
		kind Kind
		text string
	}{
		{Condition, "name = ? AND age > ?"},
		{Condition, "name LIKE ? OR email IN (?)"},
		{Condition, "data ?? 'k'"},
		{OrderBy, "created_at DESC, id"},
		{SelectList, "id, lower(name) AS n"},
		{GroupBy, "status, date_trunc('day', created_at)"},
		{Join, "LEFT JOIN orders o ON o.user_id = t.id AND o.total > ?"},
		{Table, "users u"},
		{Expr, "price * ? + 1"},
		{Column, "name"},
		{Statement, "SELECT * FROM users WHERE id = ?; UPDATE users SET a = 1"},
		{Condition, "name = @name"},
	}
	for _, c := range ok {
		if _, err := ParseFragment(c.kind, c.text, StyleQuestion); err != nil {
			t.Errorf("%s %q: %v", c.kind, c.text, err)
		}
	}
	bad := []struct {
		kind      Kind
		text      string
		line, col int
	}{
		{Condition, "name = ? AND AND age > ?", 1, 14},
		{OrderBy, "created_at DESCC", 1, 12},
		{Condition, "a = ?\n  AND b = = ?", 2, 11},
		{Statement, "SELEC * FROM t", 1, 1},
		{Condition, "1=1; DROP TABLE users", 0, 0},
		{Condition, "1=1 UNION SELECT password FROM users", 0, 0},
		{Condition, "'é' = ? AND AND", 1, 14},
	}
	for _, c := range bad {
		_, err := ParseFragment(c.kind, c.text, StyleQuestion)
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("%s %q: err = %v, want *Error", c.kind, c.text, err)
			continue
		}
		if pe.Line != c.line || pe.Col != c.col {
			t.Errorf("%s %q: at %d:%d (%v), want %d:%d", c.kind, c.text, pe.Line, pe.Col, pe, c.line, c.col)
		}
	}
}

func TestFingerprint(t *testing.T) {
	a, err := Fingerprint("SELECT * FROM users WHERE id = ?")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Fingerprint("SELECT * FROM users WHERE id = $1")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Fingerprint("SELECT * FROM users WHERE id = 42")
	if err != nil {
		t.Fatal(err)
	}
	d, err := Fingerprint("SELECT * FROM orders WHERE id = 42")
	if err != nil {
		t.Fatal(err)
	}
	if a != b || a != c || a == d {
		t.Errorf("fingerprints: %s %s %s %s", a, b, c, d)
	}
	if _, err := Fingerprint("SELEC 1"); err == nil {
		t.Error("fingerprint of invalid SQL: no error")
	}
}

var fuzzSeeds = []string{
	"SELECT * FROM t WHERE a = ? AND b = '?'",
	"a = $$ ? $$ AND b = ? -- ?\n",
	"x ?? 'k' AND y ?| array['a'] AND z = @name",
	`E'\\' ? '' ?`,
	"/* /* */ ? */ ?",
	"$1 $a$ $a $a$ ?",
	"'é' = ? AND \"ü?\" = ?",
	"@", "?", "$", "'", "\"", "/*", "--", "$$", "@@x", ":a::b",
	"\xff\xfe?",
}

// checkRewrite checks the properties every rewrite must have.
func checkRewrite(t *testing.T, in string) {
	for _, style := range []Style{StyleQuestion, StyleColon, StyleDollar} {
		r, err := Rewrite(in, style)
		if err != nil {
			if !errors.Is(err, ErrUnterminated) {
				t.Fatalf("Rewrite(%q): unexpected error kind %v", in, err)
			}
			continue
		}
		// Every output byte maps into the input, monotonically.
		prev := 0
		for i := 0; i <= len(r.SQL); i++ {
			o := r.OrigOffset(i)
			if o < prev || o > len(in) {
				t.Fatalf("Rewrite(%q) = %q: offset %d maps to %d (prev %d)", in, r.SQL, i, o, prev)
			}
			prev = o
		}
		// Rewriting again finds no new placeholders of the style, except
		// the literal ? a ?? became (which is again a placeholder).
		if style == StyleDollar && r.SQL != in {
			t.Fatalf("StyleDollar changed %q to %q", in, r.SQL)
		}
		if style == StyleQuestion && !strings.Contains(in, "??") && !strings.Contains(in, "@@") {
			r2, err := Rewrite(r.SQL, style)
			if err != nil {
				t.Fatalf("Rewrite(Rewrite(%q)=%q): %v", in, r.SQL, err)
			}
			if r2.Positional != 0 || len(r2.Names) != 0 || r2.SQL != r.SQL {
				t.Fatalf("not idempotent: %q -> %q -> %q", in, r.SQL, r2.SQL)
			}
			if n, _ := MaxDollar(r.SQL); n != r.MaxDollar+r.Positional+len(r.Names) {
				t.Fatalf("%q -> %q: MaxDollar %d, want %d", in, r.SQL, n, r.MaxDollar+r.Positional+len(r.Names))
			}
		}
	}
}

func TestRewriteSeeds(t *testing.T) {
	for _, s := range fuzzSeeds {
		checkRewrite(t, s)
	}
}

func FuzzRewrite(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(checkRewrite)
}

func checkFragment(t *testing.T, kind int, text string) {
	k := Kind(1 + (kind%9+9)%9)
	_, err := ParseFragment(k, text, StyleQuestion)
	if err == nil {
		return
	}
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("ParseFragment(%s, %q): error %T is not *Error", k, text, err)
	}
	if pe.Offset > len(text) || (pe.Offset >= 0 && (pe.Line < 1 || pe.Col < 1)) {
		t.Fatalf("ParseFragment(%s, %q): bad position %+v", k, text, pe)
	}
	_ = utf8.ValidString(text)
}

func TestFragmentSeeds(t *testing.T) {
	for i, s := range fuzzSeeds {
		checkFragment(t, i, s)
	}
}

func FuzzParseFragment(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(i, s)
	}
	f.Add(2, "a = ? AND AND")
	f.Fuzz(checkFragment)
}

func TestRewriteArgKinds(t *testing.T) {
	r, err := RewriteArgs("id IN ? AND b IN (?) AND amount > (?) AND x = ?", StyleQuestion, []ArgKind{ArgList, ArgList, ArgSubquery})
	if err != nil {
		t.Fatal(err)
	}
	want := "id IN ($1) AND b IN ($2) AND amount > (SELECT 1) AND x = $4"
	if r.SQL != want || r.Positional != 4 {
		t.Errorf("got %q (%d), want %q", r.SQL, r.Positional, want)
	}
	if _, err := ParseFragment(Condition, "id IN ?", StyleQuestion); err == nil {
		t.Error("id IN $1 parsed; the list kind is what makes it valid")
	}
	r, err = RewriteArgs("ALTER TABLE ? ADD ? ?", StyleQuestion, []ArgKind{ArgIdent, ArgIdent, ArgIdent})
	if err != nil || r.SQL != `ALTER TABLE "p1" ADD "p2" "p3"` {
		t.Errorf("idents: %+v %v", r, err)
	}
	if _, err := ParseFragmentArgs(Statement, "DROP TABLE IF EXISTS ?", StyleQuestion, []ArgKind{ArgIdent}); err != nil {
		t.Errorf("DROP TABLE ? with an identifier: %v", err)
	}
	r, err = Rewrite("tags ? 'a' AND name = @name", StyleAt)
	if err != nil || r.SQL != "tags ? 'a' AND name = $1" || len(r.Names) != 1 {
		t.Errorf("StyleAt: %+v %v", r, err)
	}
}
