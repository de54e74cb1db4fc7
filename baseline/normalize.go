package baseline

import (
	"sort"
	"strconv"
	"strings"
	"sync"

	pg "github.com/pganalyze/pg_query_go/v5"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// DefaultSchema is the schema unqualified names resolve to (the first entry
// of PostgreSQL's default search_path after "$user").
const DefaultSchema = "public"

// Comparison keys. Two definitions are equal when their keys are equal. A
// key is PostgreSQL's parse tree of the definition, canonicalised and
// deparsed by pg_query: whitespace, parentheses and keyword spelling go
// away; type aliases are resolved (int, int4, integer); casts of constants
// are dropped ('x'::character varying is 'x'); qualification with the
// default schema is dropped; column references keep only the column name;
// function options are sorted and defaults dropped. The normalised form is
// only for comparing: SQL is always written from the original definition.

var normCache sync.Map

type normKind int

const (
	nExpr normKind = iota
	nType
	nStmt
	nQuery
	nConstraint
)

func normalize(kind normKind, s string) string {
	if s == "" {
		return ""
	}
	key := string(rune('0'+kind)) + s
	if v, ok := normCache.Load(key); ok {
		return v.(string)
	}
	out := normalizeUncached(kind, s)
	normCache.Store(key, out)
	return out
}

func normalizeUncached(kind normKind, s string) string {
	var src, prefix string
	switch kind {
	case nExpr:
		src, prefix = "SELECT "+s, "SELECT "
	case nType:
		src, prefix = "SELECT NULL::"+s, "SELECT NULL::"
	case nConstraint:
		src, prefix = "ALTER TABLE x ADD CONSTRAINT x "+s, "ALTER TABLE x ADD CONSTRAINT x "
	default:
		src = s
	}
	tree, err := pg.Parse(src)
	if err != nil {
		return "unparsed: " + strings.Join(strings.Fields(s), " ")
	}
	if kind == nType {
		tc := tree.Stmts[0].Stmt.GetSelectStmt().GetTargetList()[0].GetResTarget().GetVal().GetTypeCast()
		if tc == nil {
			return "unparsed: " + strings.Join(strings.Fields(s), " ")
		}
		canonMsg(tc.TypeName.ProtoReflect(), false)
	} else {
		for _, st := range tree.Stmts {
			canonMsg(st.Stmt.ProtoReflect(), false)
		}
	}
	out, err := pg.Deparse(tree)
	if err != nil {
		return "unparsed: " + strings.Join(strings.Fields(s), " ")
	}
	out = strings.TrimSuffix(strings.TrimSpace(out), ";")
	return strings.TrimPrefix(out, prefix)
}

// catalogTypes are the names the grammar maps to pg_catalog types when
// written as keywords; written as plain names they parse unqualified.
var catalogTypes = map[string]bool{
	"int2": true, "int4": true, "int8": true, "float4": true, "float8": true, "bool": true,
	"varchar": true, "bpchar": true, "numeric": true, "timestamp": true, "timestamptz": true,
	"time": true, "timetz": true, "interval": true, "bit": true, "varbit": true,
}

func strs(nodes []*pg.Node) []string {
	out := make([]string, 0, len(nodes))
	for _, n := range nodes {
		if s := n.GetString_(); s != nil {
			out = append(out, s.Sval)
		} else {
			return nil
		}
	}
	return out
}

func dropDefaultSchema(names []*pg.Node) []*pg.Node {
	if len(names) >= 2 {
		if s := names[0].GetString_(); s != nil && (s.Sval == DefaultSchema || s.Sval == "pg_catalog" && len(names) == 2 && !catalogTypes[strs(names[1:])[0]]) {
			return names[1:]
		}
	}
	return names
}

var funcDefaults = map[string]string{
	"volatility": "volatile", "strict": "false", "security": "false", "leakproof": "false",
	"parallel": "unsafe", "cost": "100", "window": "false",
}

func constString(n *pg.Node) string {
	if n == nil {
		return ""
	}
	if c := n.GetAConst(); c != nil {
		switch {
		case c.GetSval() != nil:
			return c.GetSval().Sval
		case c.GetIval() != nil:
			return strconv.Itoa(int(c.GetIval().Ival))
		case c.GetFval() != nil:
			return c.GetFval().Fval
		case c.GetBoolval() != nil:
			return strconv.FormatBool(c.GetBoolval().Boolval)
		}
		return ""
	}
	switch {
	case n.GetString_() != nil:
		return n.GetString_().Sval
	case n.GetInteger() != nil:
		return strconv.Itoa(int(n.GetInteger().Ival))
	case n.GetBoolean() != nil:
		return strconv.FormatBool(n.GetBoolean().Boolval)
	case n.GetFloat() != nil:
		return n.GetFloat().Fval
	}
	return ""
}

func implicitName(n *pg.Node) string {
	switch {
	case n.GetColumnRef() != nil:
		f := strs(n.GetColumnRef().Fields)
		if len(f) > 0 {
			return f[len(f)-1]
		}
	case n.GetFuncCall() != nil:
		f := strs(n.GetFuncCall().Funcname)
		if len(f) > 0 {
			return f[len(f)-1]
		}
	case n.GetTypeCast() != nil:
		return implicitName(n.GetTypeCast().Arg)
	}
	return ""
}

func canonMsg(m protoreflect.Message, inType bool) {
	if !m.IsValid() {
		return
	}
	switch x := m.Interface().(type) {
	case *pg.Node:
		for {
			tc := x.GetTypeCast()
			if tc == nil || tc.Arg == nil || (tc.Arg.GetAConst() == nil && tc.Arg.GetTypeCast() == nil) {
				break
			}
			x.Node = tc.Arg.Node
		}
	case *pg.TypeName:
		inType = true
	}
	switch x := m.Interface().(type) {
	case *pg.A_Const:
		if inType {
			break
		}
		switch v := x.Val.(type) {
		case *pg.A_Const_Ival:
			x.Val = &pg.A_Const_Sval{Sval: &pg.String{Sval: strconv.Itoa(int(v.Ival.Ival))}}
		case *pg.A_Const_Fval:
			x.Val = &pg.A_Const_Sval{Sval: &pg.String{Sval: v.Fval.Fval}}
		}
		x.Location = 0
	case *pg.RangeVar:
		if x.Schemaname == DefaultSchema {
			x.Schemaname = ""
		}
		x.Inh = true
	case *pg.TypeName:
		x.Names = dropDefaultSchema(x.Names)
		if n := strs(x.Names); len(n) == 1 && catalogTypes[n[0]] {
			x.Names = append([]*pg.Node{pg.MakeStrNode("pg_catalog")}, x.Names...)
		}
	case *pg.FuncCall:
		x.Funcname = dropDefaultSchema(x.Funcname)
		if n := strs(x.Funcname); len(n) == 1 && n[0] == "nextval" && len(x.Args) == 1 {
			arg := x.Args[0]
			for arg.GetTypeCast() != nil {
				arg = arg.GetTypeCast().Arg
			}
			if c := arg.GetAConst(); c != nil && c.GetSval() != nil {
				name := c.GetSval().Sval
				if strings.HasPrefix(name, DefaultSchema+".") {
					name = strings.TrimPrefix(name, DefaultSchema+".")
				}
				x.Args = []*pg.Node{pg.MakeAConstStrNode(name, 0)}
			}
		}
	case *pg.ColumnRef:
		if len(x.Fields) > 1 && x.Fields[len(x.Fields)-1].GetAStar() == nil {
			x.Fields = x.Fields[len(x.Fields)-1:]
		}
	case *pg.CollateClause:
		x.Collname = dropDefaultSchema(x.Collname)
		if len(x.Collname) == 2 && strs(x.Collname)[0] == "pg_catalog" {
			x.Collname = x.Collname[1:]
		}
	case *pg.SelectStmt:
		for _, t := range x.TargetList {
			if r := t.GetResTarget(); r != nil && r.Val != nil && r.Name != "" && r.Name == implicitName(r.Val) {
				r.Name = ""
			}
		}
	case *pg.CreateFunctionStmt:
		x.Replace = false
		if x.ReturnType == nil && !x.IsProcedure {
			// OUT parameters without RETURNS: PostgreSQL records the
			// implied result type (the one OUT type, or record).
			var outs []*pg.FunctionParameter
			for _, p := range x.Parameters {
				if fp := p.GetFunctionParameter(); fp != nil && (fp.Mode == pg.FunctionParameterMode_FUNC_PARAM_OUT || fp.Mode == pg.FunctionParameterMode_FUNC_PARAM_INOUT) {
					outs = append(outs, fp)
				}
			}
			switch {
			case len(outs) == 1:
				x.ReturnType = outs[0].ArgType
			case len(outs) > 1:
				x.ReturnType = &pg.TypeName{Names: []*pg.Node{pg.MakeStrNode("record")}}
			}
		}
		x.Funcname = dropDefaultSchema(x.Funcname)
		var opts []*pg.Node
		for _, o := range x.Options {
			d := o.GetDefElem()
			if d == nil {
				opts = append(opts, o)
				continue
			}
			if def, ok := funcDefaults[d.Defname]; ok && strings.EqualFold(constString(d.Arg), def) {
				continue
			}
			if d.Defname == "rows" && constString(d.Arg) == "1000" {
				continue
			}
			d.Location = 0
			opts = append(opts, o)
		}
		sort.SliceStable(opts, func(i, j int) bool {
			return opts[i].GetDefElem().GetDefname() < opts[j].GetDefElem().GetDefname()
		})
		x.Options = opts
	case *pg.FunctionParameter:
		if x.Mode == pg.FunctionParameterMode_FUNC_PARAM_DEFAULT {
			x.Mode = pg.FunctionParameterMode_FUNC_PARAM_IN
		}
	case *pg.CreateTrigStmt:
		x.Funcname = dropDefaultSchema(x.Funcname)
		x.Replace = false
	case *pg.IndexStmt:
		if x.AccessMethod == "" {
			x.AccessMethod = "btree"
		}
		x.Concurrent = false
		x.IfNotExists = false
	case *pg.ObjectWithArgs:
		x.Objname = dropDefaultSchema(x.Objname)
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				canonMsg(l.Get(i).Message(), inType)
			}
		case fd.IsMap():
		case fd.Message() != nil:
			canonMsg(v.Message(), inType)
		}
		return true
	})
}
