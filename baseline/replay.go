package baseline

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v5"
	pgparser "github.com/pganalyze/pg_query_go/v5/parser"
)

// ParseError is a migration file that does not parse.
type ParseError struct {
	File    string
	Line    int
	Message string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Message) }

// Replay rebuilds the schema a migrations folder produces, without a
// database: it parses each file's "up" part with PostgreSQL's parser and
// applies the DDL to the model in order. Statements it cannot replay (DO
// blocks, dynamic SQL, unsupported object kinds) are listed in Skipped with
// file:line. A file that does not parse is an error.
func Replay(dir string, layout Layout) (*Schema, Layout, error) {
	files, layout, err := ReadMigrations(dir, layout)
	if err != nil {
		return nil, "", err
	}
	r := newReplayer()
	for _, f := range files {
		if err := r.File(f.Path, f.Up); err != nil {
			return nil, layout, err
		}
	}
	return r.Schema(), layout, nil
}

// Replayer applies SQL text to a schema model.
type Replayer struct {
	s      *Schema
	seen   map[QName]bool // relation-level names ever used, per schema
	search string         // default schema for unqualified names
	file   string
	line   int
}

func newReplayer() *Replayer {
	return &Replayer{s: &Schema{Namespaces: []Namespace{{Name: DefaultSchema}}}, search: DefaultSchema, seen: map[QName]bool{}}
}

// NewReplayer starts from an empty database (which has the public schema).
func NewReplayer() *Replayer { return newReplayer() }

// Schema returns the model built so far, sorted.
func (r *Replayer) Schema() *Schema {
	r.s.Sort()
	return r.s
}

// File applies one file's SQL; name is used in positions and errors.
func (r *Replayer) File(name, sql string) error {
	tree, err := pg.Parse(sql)
	if err != nil {
		var pe *pgparser.Error
		line := 1
		msg := err.Error()
		if errors.As(err, &pe) && pe.Cursorpos > 0 {
			line = lineAt(sql, pe.Cursorpos-1)
		}
		return &ParseError{File: name, Line: line, Message: msg}
	}
	r.file = name
	for _, st := range tree.Stmts {
		r.line = lineAt(sql, int(st.StmtLocation)+leadingSpace(sql[st.StmtLocation:]))
		r.stmt(st.Stmt)
	}
	return nil
}

func leadingSpace(s string) int {
	i := 0
	for i < len(s) {
		switch {
		case s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r':
			i++
		case strings.HasPrefix(s[i:], "--"):
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				return len(s)
			}
			i += j + 1
		default:
			return i
		}
	}
	return i
}

func lineAt(s string, off int) int {
	if off > len(s) {
		off = len(s)
	}
	return strings.Count(s[:off], "\n") + 1
}

func (r *Replayer) pos() string { return fmt.Sprintf("%s:%d", r.file, r.line) }

func (r *Replayer) skip(kind, name, reason string) {
	r.s.Skipped = append(r.s.Skipped, Skipped{Kind: kind, Name: name, Reason: reason, Pos: r.pos()})
}

func (r *Replayer) qn(rv *pg.RangeVar) QName {
	s := rv.Schemaname
	if s == "" {
		s = r.search
	}
	return QName{Schema: s, Name: rv.Relname}
}

func (r *Replayer) qnames(names []string) QName {
	switch len(names) {
	case 0:
		return QName{}
	case 1:
		return QName{Schema: r.search, Name: names[0]}
	default:
		return QName{Schema: names[len(names)-2], Name: names[len(names)-1]}
	}
}

// deparse prints one statement.
func deparse(stmt *pg.Node) string {
	out, err := pg.Deparse(&pg.ParseResult{Stmts: []*pg.RawStmt{{Stmt: stmt}}})
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(strings.TrimSpace(out), ";")
}

func exprSQL(n *pg.Node) string {
	if n == nil {
		return ""
	}
	sel := &pg.SelectStmt{TargetList: []*pg.Node{{Node: &pg.Node_ResTarget{ResTarget: &pg.ResTarget{Val: n}}}}}
	return strings.TrimPrefix(deparse(&pg.Node{Node: &pg.Node_SelectStmt{SelectStmt: sel}}), "SELECT ")
}

// typeSQL prints a type name the way format_type does for the common
// built-in types, and as deparsed otherwise.
func typeSQL(t *pg.TypeName) string {
	if t == nil {
		return ""
	}
	names := strs(t.Names)
	base := ""
	if len(names) == 2 && names[0] == "pg_catalog" || len(names) == 1 && catalogTypes[names[0]] {
		base = names[len(names)-1]
	}
	mods := func() string {
		var ms []string
		for _, m := range t.Typmods {
			if c := m.GetAConst(); c != nil {
				if c.GetIval() != nil {
					ms = append(ms, strconv.Itoa(int(c.GetIval().Ival)))
					continue
				}
			}
			ms = append(ms, exprSQL(m))
		}
		if len(ms) == 0 {
			return ""
		}
		return "(" + strings.Join(ms, ",") + ")"
	}
	arr := strings.Repeat("[]", len(t.ArrayBounds))
	name := map[string]string{
		"int2": "smallint", "int4": "integer", "int8": "bigint", "float4": "real", "float8": "double precision",
		"bool": "boolean", "varchar": "character varying", "bpchar": "character", "numeric": "numeric",
		"timestamp": "timestamp", "timestamptz": "timestamp", "time": "time", "timetz": "time", "interval": "interval",
		"bit": "bit", "varbit": "bit varying",
	}[base]
	if name != "" {
		s := name + mods()
		switch base {
		case "timestamp", "time":
			s += " without time zone"
		case "timestamptz", "timetz":
			s += " with time zone"
		}
		return s + arr
	}
	tc := &pg.TypeCast{Arg: pg.MakeAConstStrNode("", 0), TypeName: t}
	out := exprSQL(&pg.Node{Node: &pg.Node_TypeCast{TypeCast: tc}})
	return strings.TrimPrefix(out, "''::")
}

// resolveType qualifies an unqualified user-defined type name with the
// schema the search path finds it in.
func (r *Replayer) resolveType(tn *pg.TypeName) *pg.TypeName {
	if tn == nil {
		return nil
	}
	n := strs(tn.Names)
	if len(n) != 1 || catalogTypes[n[0]] {
		return tn
	}
	for _, schema := range []string{r.search, DefaultSchema} {
		if r.hasType(schema, n[0]) {
			tn.Names = []*pg.Node{pg.MakeStrNode(schema), pg.MakeStrNode(n[0])}
			return tn
		}
	}
	return tn
}

func (r *Replayer) hasType(schema, name string) bool {
	for _, e := range r.s.Enums {
		if e.Schema == schema && e.Name == name {
			return true
		}
	}
	for _, d := range r.s.Domains {
		if d.Schema == schema && d.Name == name {
			return true
		}
	}
	for _, c := range r.s.Composites {
		if c.Schema == schema && c.Name == name {
			return true
		}
	}
	for _, t := range r.s.Tables {
		if t.Schema == schema && t.Name == name {
			return true
		}
	}
	for _, e := range r.s.Extensions {
		// Extension types often carry the extension's name (citext,
		// hstore, ltree, vector).
		if e.Schema == schema && name == e.Name {
			return true
		}
	}
	return false
}

func collationSQL(c *pg.CollateClause) string {
	if c == nil {
		return ""
	}
	n := strs(c.Collname)
	if len(n) == 1 {
		return "pg_catalog." + quoteIdentAlways(n[0])
	}
	parts := make([]string, len(n))
	for i, p := range n {
		parts[i] = quoteIdent(p)
	}
	if len(n) == 2 && n[0] == "pg_catalog" {
		parts[1] = quoteIdentAlways(n[1])
	}
	return strings.Join(parts, ".")
}

// quoteIdentAlways quotes like pg_dump does collation names.
func quoteIdentAlways(s string) string {
	if s == "default" || s == "C" || s == "POSIX" || strings.ToLower(s) != s {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return quoteIdent(s)
}

func (r *Replayer) stmt(n *pg.Node) {
	switch x := n.Node.(type) {
	case *pg.Node_CreateStmt:
		r.createTable(x.CreateStmt)
	case *pg.Node_AlterTableStmt:
		r.alterTable(x.AlterTableStmt)
	case *pg.Node_IndexStmt:
		r.createIndex(x.IndexStmt)
	case *pg.Node_DropStmt:
		r.drop(x.DropStmt)
	case *pg.Node_RenameStmt:
		r.rename(x.RenameStmt)
	case *pg.Node_CommentStmt:
		r.commentStmt(x.CommentStmt)
	case *pg.Node_CreateSeqStmt:
		r.createSeq(x.CreateSeqStmt)
	case *pg.Node_AlterSeqStmt:
		r.alterSeq(x.AlterSeqStmt)
	case *pg.Node_CreateEnumStmt:
		q := r.qnames(strs(x.CreateEnumStmt.TypeName))
		e := Enum{Schema: q.Schema, Name: q.Name}
		for _, v := range x.CreateEnumStmt.Vals {
			e.Labels = append(e.Labels, constString(v))
		}
		r.s.Enums = append(r.s.Enums, e)
	case *pg.Node_AlterEnumStmt:
		r.alterEnum(x.AlterEnumStmt)
	case *pg.Node_CreateDomainStmt:
		r.createDomain(x.CreateDomainStmt)
	case *pg.Node_AlterDomainStmt:
		r.alterDomain(x.AlterDomainStmt)
	case *pg.Node_AlterObjectSchemaStmt:
		r.setSchema(x.AlterObjectSchemaStmt)
	case *pg.Node_AlterFunctionStmt:
		r.alterFunction(x.AlterFunctionStmt)
	case *pg.Node_AlterExtensionStmt:
		// ALTER EXTENSION ... UPDATE: extension versions are not modelled.
	case *pg.Node_CompositeTypeStmt:
		q := r.qn(x.CompositeTypeStmt.Typevar)
		c := Composite{Schema: q.Schema, Name: q.Name}
		for _, e := range x.CompositeTypeStmt.Coldeflist {
			if cd := e.GetColumnDef(); cd != nil {
				c.Attributes = append(c.Attributes, Column{Name: cd.Colname, Type: typeSQL(r.resolveType(cd.TypeName)), Collation: collationSQL(cd.CollClause)})
			}
		}
		r.s.Composites = append(r.s.Composites, c)
	case *pg.Node_ViewStmt:
		r.createView(x.ViewStmt)
	case *pg.Node_CreateTableAsStmt:
		r.createTableAs(x.CreateTableAsStmt)
	case *pg.Node_CreateFunctionStmt:
		r.createFunction(x.CreateFunctionStmt)
	case *pg.Node_CreateTrigStmt:
		r.createTrigger(x.CreateTrigStmt)
	case *pg.Node_CreatePolicyStmt:
		r.createPolicy(x.CreatePolicyStmt)
	case *pg.Node_AlterPolicyStmt:
		r.alterPolicy(x.AlterPolicyStmt)
	case *pg.Node_CreateExtensionStmt:
		schema := r.search
		for _, o := range x.CreateExtensionStmt.Options {
			if d := o.GetDefElem(); d != nil && d.Defname == "schema" {
				schema = constString(d.Arg)
			}
		}
		for _, e := range r.s.Extensions {
			if e.Name == x.CreateExtensionStmt.Extname {
				return
			}
		}
		r.s.Extensions = append(r.s.Extensions, Extension{Name: x.CreateExtensionStmt.Extname, Schema: schema})
	case *pg.Node_CreateSchemaStmt:
		if !r.s.hasSchema(x.CreateSchemaStmt.Schemaname) {
			r.s.Namespaces = append(r.s.Namespaces, Namespace{Name: x.CreateSchemaStmt.Schemaname})
		}
		saved := r.search
		r.search = x.CreateSchemaStmt.Schemaname
		for _, e := range x.CreateSchemaStmt.SchemaElts {
			r.stmt(e)
		}
		r.search = saved
	case *pg.Node_VariableSetStmt:
		v := x.VariableSetStmt
		if v.Name == "search_path" && len(v.Args) > 0 {
			if s := constString(v.Args[0]); s != "" && s != "$user" {
				r.search = s
			} else if len(v.Args) > 1 {
				r.search = constString(v.Args[1])
			}
		}
	case *pg.Node_SelectStmt:
		r.selectStmt(x.SelectStmt)
	case *pg.Node_DoStmt:
		r.skip("statement", "DO block", "DO blocks run procedural code; their effect on the schema is not replayed")
	case *pg.Node_ExecuteStmt, *pg.Node_CallStmt:
		r.skip("statement", strings.TrimPrefix(fmt.Sprintf("%T", x), "*pg_query.Node_"), "dynamic SQL is not replayed")
	case *pg.Node_TransactionStmt, *pg.Node_GrantStmt, *pg.Node_GrantRoleStmt, *pg.Node_AlterOwnerStmt,
		*pg.Node_AlterDefaultPrivilegesStmt, *pg.Node_InsertStmt, *pg.Node_UpdateStmt, *pg.Node_DeleteStmt,
		*pg.Node_VacuumStmt, *pg.Node_LockStmt, *pg.Node_TruncateStmt, *pg.Node_CopyStmt, *pg.Node_RefreshMatViewStmt,
		*pg.Node_ClusterStmt, *pg.Node_NotifyStmt, *pg.Node_CheckPointStmt, *pg.Node_DiscardStmt, *pg.Node_VariableShowStmt,
		*pg.Node_CreateRoleStmt, *pg.Node_AlterRoleStmt, *pg.Node_DropRoleStmt, *pg.Node_ExplainStmt:
		// Data, privileges, ownership, transactions, roles: not schema.
	default:
		kind := strings.TrimPrefix(fmt.Sprintf("%T", x), "*pg_query.Node_")
		r.skip("statement", kind, "this kind of statement is not replayed")
	}
}

// selectStmt honours pg_dump's set_config('search_path', ...) and flags
// other function calls, which may change the schema.
func (r *Replayer) selectStmt(s *pg.SelectStmt) {
	if len(s.FromClause) > 0 || len(s.TargetList) == 0 {
		return
	}
	for _, t := range s.TargetList {
		fc := t.GetResTarget().GetVal().GetFuncCall()
		if fc == nil {
			continue
		}
		n := strs(fc.Funcname)
		fn := n[len(n)-1]
		switch fn {
		case "set_config":
			if len(fc.Args) >= 2 && fc.Args[0].GetAConst().GetSval().GetSval() == "search_path" {
				v := fc.Args[1].GetAConst().GetSval().GetSval()
				first := strings.TrimSpace(strings.Split(v, ",")[0])
				if first == "" {
					r.search = DefaultSchema
				} else {
					r.search = strings.Trim(first, `"`)
				}
			}
		case "setval", "pg_catalog.setval", "nextval", "currval", "now", "pg_advisory_lock", "pg_advisory_unlock":
		default:
			r.skip("statement", "SELECT "+fn+"(...)", "a function call may change the schema; not replayed")
		}
	}
}

func (r *Replayer) relOptions(opts []*pg.Node) []string {
	var out []string
	for _, o := range opts {
		if d := o.GetDefElem(); d != nil {
			s := d.Defname
			if d.Defnamespace != "" {
				s = d.Defnamespace + "." + s
			}
			if d.Arg != nil {
				s += "=" + constString(d.Arg)
			}
			out = append(out, s)
		}
	}
	return out
}
