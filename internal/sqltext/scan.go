// Package sqltext is the one place SQL text is handled: placeholder
// rewriting (GORM's ?, @name, sqlx's :name to PostgreSQL's $n), parsing of
// whole statements and of fragments (a WHERE condition, an ORDER BY list,
// ...) with the real PostgreSQL parser (pg_query_go), error positions mapped
// back into the caller's text, and fingerprints.
package sqltext

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Style is the placeholder style of a piece of SQL text.
type Style int

const (
	// StyleDollar is PostgreSQL's own $1..$n (pgx, database/sql with a
	// PostgreSQL driver): the text is parsed as written.
	StyleDollar Style = iota
	// StyleQuestion is GORM's: ? is a positional placeholder, @name a
	// named one. ?? stands for a literal ? operator, ?| and ?& are the
	// jsonb operators.
	StyleQuestion
	// StyleColon is sqlx's named queries: :name (:: is a cast).
	StyleColon
	// StyleAt is pgx's NamedArgs: @name only (? stays an operator).
	StyleAt
)

// ArgKind says how a positional argument is rendered by GORM, so the text
// parses the way the database will see it.
type ArgKind int

const (
	ArgScalar   ArgKind = iota // one value: $n
	ArgList                    // a slice: GORM writes (v1,v2,...); ? becomes ($n) unless already in parentheses
	ArgSubquery                // a *gorm.DB: GORM writes its SELECT; ? becomes (SELECT 1)
	ArgIdent                   // a clause.Table/Column/Expr: GORM writes a quoted name; ? becomes "pN"
)

// Rewritten is SQL text with its placeholders turned into $n.
type Rewritten struct {
	SQL string
	// Positional is the number of positional placeholders (? rewritten).
	Positional int
	// Names lists the named parameters in order of first appearance; the
	// name Names[i] became $(Positional+i+1).
	Names []string
	// MaxDollar is the highest $n already present in the input.
	MaxDollar int
	// offsets maps each byte of SQL (and one past its end) to the byte of
	// the input it came from.
	offsets []int
}

// OrigOffset maps a byte offset in r.SQL back to the input text.
func (r *Rewritten) OrigOffset(off int) int {
	if off < 0 {
		return 0
	}
	if off >= len(r.offsets) {
		return r.offsets[len(r.offsets)-1]
	}
	return r.offsets[off]
}

// ErrUnterminated reports an unterminated literal, identifier or comment.
var ErrUnterminated = errors.New("unterminated")

// Rewrite turns the placeholders of style into $n, skipping string
// literals (standard, E”, dollar-quoted), quoted identifiers and comments
// (-- and nested /* */). Existing $n are left alone and counted; new
// numbers start after the highest one.
func Rewrite(sql string, style Style) (*Rewritten, error) {
	return RewriteArgs(sql, style, nil)
}

// RewriteArgs is Rewrite with the kinds of the positional arguments
// (kinds[i] for the i-th ?): lists and subqueries are rendered as GORM
// renders them. Missing kinds are scalars.
func RewriteArgs(sql string, style Style, kinds []ArgKind) (*Rewritten, error) {
	// First pass: the highest existing $n, so new numbers do not collide.
	maxd, err := scanMaxDollar(sql)
	if err != nil {
		return nil, err
	}
	r := &Rewritten{MaxDollar: maxd}
	var out strings.Builder
	out.Grow(len(sql) + 8)
	offsets := make([]int, 0, len(sql)+8)
	emit := func(s string, from int) {
		out.WriteString(s)
		for range len(s) {
			offsets = append(offsets, from)
		}
	}
	names := map[string]int{}
	next := maxd
	var named []string // names in order; numbered after positional ones
	type namedRef struct {
		outPos int
		name   string
		from   int
	}
	var pending []namedRef // named placeholders are numbered at the end
	i := 0
	for i < len(sql) {
		c := sql[i]
		if end, ok, err := skipOpaque(sql, i); err != nil {
			return nil, err
		} else if ok {
			for j := i; j < end; j++ {
				out.WriteByte(sql[j])
				offsets = append(offsets, j)
			}
			i = end
			continue
		}
		switch {
		case style == StyleQuestion && c == '?':
			if i+1 < len(sql) && sql[i+1] == '?' {
				emit("?", i) // ?? is a literal ? (jsonb "exists")
				i += 2
				continue
			}
			if i+1 < len(sql) && (sql[i+1] == '|' || sql[i+1] == '&') {
				emit(sql[i:i+2], i) // jsonb ?| and ?&
				i += 2
				continue
			}
			next++
			r.Positional++
			if out.Len() > 0 && (isIdentByte(out.String()[out.Len()-1]) || out.String()[out.Len()-1] == '$') {
				emit(" ", i) // "x?" must not become the identifier "x$1"
			}
			kind := ArgScalar
			if r.Positional-1 < len(kinds) {
				kind = kinds[r.Positional-1]
			}
			inParens := strings.HasSuffix(strings.TrimRight(out.String(), " \t\n"), "(")
			switch {
			case kind == ArgList && !inParens:
				emit("($"+strconv.Itoa(next)+")", i)
			case kind == ArgSubquery && inParens:
				emit("SELECT 1", i)
			case kind == ArgSubquery:
				emit("(SELECT 1)", i)
			case kind == ArgIdent:
				emit(`"p`+strconv.Itoa(next)+`"`, i)
			default:
				emit("$"+strconv.Itoa(next), i)
				if i+1 < len(sql) && isIdentByte(sql[i+1]) {
					emit(" ", i) // "?0" must not become "$10"
				}
			}
			i++
			continue
		case ((style == StyleQuestion || style == StyleAt) && c == '@') || (style == StyleColon && c == ':'):
			if i+1 < len(sql) && sql[i+1] == c {
				if c == ':' {
					emit("::", i) // cast
				} else {
					emit("@@", i) // text search operator
				}
				i += 2
				continue
			}
			prevIdent := i > 0 && (isIdentByte(sql[i-1]) || sql[i-1] == c)
			if !prevIdent && i+1 < len(sql) && isIdentStart(sql[i+1]) {
				j := i + 1
				for j < len(sql) && isIdentByte(sql[j]) {
					j++
				}
				name := sql[i+1 : j]
				if _, ok := names[name]; !ok {
					names[name] = len(named)
					named = append(named, name)
				}
				if out.Len() > 0 && (isIdentByte(out.String()[out.Len()-1]) || out.String()[out.Len()-1] == '$') {
					emit(" ", i)
				}
				pending = append(pending, namedRef{outPos: out.Len(), name: name, from: i})
				// Reserve with a marker replaced below.
				emit("\x00", i)
				i = j
				continue
			}
		}
		out.WriteByte(c)
		offsets = append(offsets, i)
		i++
	}
	offsets = append(offsets, len(sql))
	s := out.String()
	if len(pending) > 0 {
		// Number named parameters after the positional ones.
		var b strings.Builder
		var offs []int
		last := 0
		for _, p := range pending {
			b.WriteString(s[last:p.outPos])
			offs = append(offs, offsets[last:p.outPos]...)
			tok := "$" + strconv.Itoa(next+names[p.name]+1)
			b.WriteString(tok)
			for range len(tok) {
				offs = append(offs, p.from)
			}
			last = p.outPos + 1
		}
		b.WriteString(s[last:])
		offs = append(offs, offsets[last:]...)
		s, offsets = b.String(), offs
	}
	r.SQL, r.Names, r.offsets = s, named, offsets
	return r, nil
}

// QuestionToDollar rewrites GORM's ? placeholders (and @name named
// parameters) to $n and returns the text and the number of ? rewritten.
func QuestionToDollar(sql string) (string, int, error) {
	r, err := Rewrite(sql, StyleQuestion)
	if err != nil {
		return "", 0, err
	}
	return r.SQL, r.Positional, nil
}

// NamedToDollar rewrites @name parameters (GORM's named form) to $n and
// returns the names in order of first appearance ($1 is names[0]).
func NamedToDollar(sql string) (string, []string, error) {
	r, err := Rewrite(sql, StyleQuestion)
	if err != nil {
		return "", nil, err
	}
	return r.SQL, r.Names, nil
}

// MaxDollar returns the highest $n placeholder in sql (0 when there is
// none), skipping literals, quoted identifiers and comments.
func MaxDollar(sql string) (int, error) { return scanMaxDollar(sql) }

func scanMaxDollar(sql string) (int, error) {
	maxd := 0
	i := 0
	for i < len(sql) {
		end, ok, err := skipOpaque(sql, i)
		if err != nil {
			return 0, err
		}
		if ok {
			i = end
			continue
		}
		if sql[i] == '$' && (i == 0 || !isIdentByte(sql[i-1])) {
			j := i + 1
			for j < len(sql) && sql[j] >= '0' && sql[j] <= '9' {
				j++
			}
			if j > i+1 {
				if n, err := strconv.Atoi(sql[i+1 : j]); err == nil && n > maxd {
					maxd = n
				}
				i = j
				continue
			}
		}
		if isIdentByte(sql[i]) {
			// Skip a whole word so "a$1" is not a parameter.
			for i < len(sql) && (isIdentByte(sql[i]) || sql[i] == '$') {
				i++
			}
			continue
		}
		i++
	}
	return maxd, nil
}

// skipOpaque reports whether a literal, quoted identifier or comment starts
// at i and returns the offset just after it.
func skipOpaque(s string, i int) (int, bool, error) {
	c := s[i]
	switch {
	case c == '\'':
		escapes := i > 0 && (s[i-1] == 'E' || s[i-1] == 'e') && (i < 2 || !isIdentByte(s[i-2]))
		end, err := skipQuoted(s, i, '\'', escapes)
		return end, true, err
	case c == '"':
		end, err := skipQuoted(s, i, '"', false)
		return end, true, err
	case c == '-' && i+1 < len(s) && s[i+1] == '-':
		j := strings.IndexByte(s[i:], '\n')
		if j < 0 {
			return len(s), true, nil
		}
		return i + j + 1, true, nil
	case c == '/' && i+1 < len(s) && s[i+1] == '*':
		depth := 0
		j := i
		for j < len(s) {
			if j+1 < len(s) && s[j] == '/' && s[j+1] == '*' {
				depth++
				j += 2
				continue
			}
			if j+1 < len(s) && s[j] == '*' && s[j+1] == '/' {
				depth--
				j += 2
				if depth == 0 {
					return j, true, nil
				}
				continue
			}
			j++
		}
		return 0, false, fmt.Errorf("%w comment starting at offset %d", ErrUnterminated, i)
	case c == '$' && (i == 0 || !isIdentByte(s[i-1])):
		// Dollar quote: $tag$ ... $tag$ where tag is empty or an
		// identifier not starting with a digit.
		j := i + 1
		if j < len(s) && isIdentStart(s[j]) {
			for j < len(s) && isIdentByte(s[j]) {
				j++
			}
		}
		if j < len(s) && s[j] == '$' {
			tag := s[i : j+1]
			k := strings.Index(s[j+1:], tag)
			if k < 0 {
				return 0, false, fmt.Errorf("%w dollar-quoted string starting at offset %d", ErrUnterminated, i)
			}
			return j + 1 + k + len(tag), true, nil
		}
	}
	return 0, false, nil
}

func skipQuoted(s string, i int, q byte, escapes bool) (int, error) {
	j := i + 1
	for j < len(s) {
		switch s[j] {
		case '\\':
			if escapes {
				j += 2
				continue
			}
		case q:
			if j+1 < len(s) && s[j+1] == q {
				j += 2
				continue
			}
			return j + 1, nil
		}
		j++
	}
	what := "string literal"
	if q == '"' {
		what = "quoted identifier"
	}
	return 0, fmt.Errorf("%w %s starting at offset %d", ErrUnterminated, what, i)
}

func isIdentStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c >= 0x80
}

func isIdentByte(c byte) bool { return isIdentStart(c) || '0' <= c && c <= '9' }
