package baseline

import (
	"strconv"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v5"
	"google.golang.org/protobuf/reflect/protoreflect"
)

func (r *Replayer) commentStmt(cs *pg.CommentStmt) {
	var kind, target string
	items := func() []string { return strs(cs.Object.GetList().GetItems()) }
	switch cs.Objtype {
	case pg.ObjectType_OBJECT_TABLE:
		kind, target = "TABLE", r.qnames(items()).String()
	case pg.ObjectType_OBJECT_VIEW:
		kind, target = "VIEW", r.qnames(items()).String()
	case pg.ObjectType_OBJECT_MATVIEW:
		kind, target = "MATERIALIZED VIEW", r.qnames(items()).String()
	case pg.ObjectType_OBJECT_INDEX:
		kind, target = "INDEX", r.qnames(items()).String()
	case pg.ObjectType_OBJECT_SEQUENCE:
		kind, target = "SEQUENCE", r.qnames(items()).String()
	case pg.ObjectType_OBJECT_COLUMN:
		n := items()
		kind, target = "COLUMN", r.qnames(n[:len(n)-1]).String()+"."+quoteIdent(n[len(n)-1])
	case pg.ObjectType_OBJECT_SCHEMA:
		kind, target = "SCHEMA", quoteIdent(constString(cs.Object))
	case pg.ObjectType_OBJECT_EXTENSION:
		return // the extension's own comment is not recorded
	case pg.ObjectType_OBJECT_TYPE, pg.ObjectType_OBJECT_DOMAIN:
		kind = "TYPE"
		if cs.Objtype == pg.ObjectType_OBJECT_DOMAIN {
			kind = "DOMAIN"
		}
		target = r.qnames(strs(cs.Object.GetTypeName().GetNames())).String()
	case pg.ObjectType_OBJECT_FUNCTION, pg.ObjectType_OBJECT_PROCEDURE:
		kind = "FUNCTION"
		if cs.Objtype == pg.ObjectType_OBJECT_PROCEDURE {
			kind = "PROCEDURE"
		}
		owa := cs.Object.GetObjectWithArgs()
		q := r.qnames(strs(owa.Objname))
		types := r.argTypesOf(owa)
		if owa.ArgsUnspecified {
			for _, f := range r.s.Functions {
				if f.Schema == q.Schema && f.Name == q.Name {
					types = f.ArgTypes
				}
			}
		}
		target = q.String() + "(" + types + ")"
	case pg.ObjectType_OBJECT_TABCONSTRAINT, pg.ObjectType_OBJECT_TRIGGER, pg.ObjectType_OBJECT_POLICY:
		n := items()
		kind = map[pg.ObjectType]string{pg.ObjectType_OBJECT_TABCONSTRAINT: "CONSTRAINT", pg.ObjectType_OBJECT_TRIGGER: "TRIGGER", pg.ObjectType_OBJECT_POLICY: "POLICY"}[cs.Objtype]
		target = quoteIdent(n[len(n)-1]) + " ON " + r.qnames(n[:len(n)-1]).String()
	default:
		r.skip("comment", strings.TrimPrefix(cs.Objtype.String(), "OBJECT_"), "comments on this kind of object are not replayed")
		return
	}
	r.dropComments(func(c Comment) bool { return c.Kind == kind && c.Target == target })
	if cs.Comment != "" {
		r.s.Comments = append(r.s.Comments, Comment{Kind: kind, Target: target, Text: cs.Comment})
	}
}

func seqOptions(q *Sequence, opts []*pg.Node, r *Replayer) {
	setStart, setMin, setMax := false, false, false
	for _, o := range opts {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		num := func() int64 { n, _ := strconv.ParseInt(constString(d.Arg), 10, 64); return n }
		switch d.Defname {
		case "as":
			q.Type = typeSQL(d.Arg.GetTypeName())
		case "start":
			q.Start, setStart = num(), true
		case "restart":
		case "increment":
			q.Increment = num()
		case "minvalue":
			if d.Arg != nil {
				q.Min, setMin = num(), true
			}
		case "maxvalue":
			if d.Arg != nil {
				q.Max, setMax = num(), true
			}
		case "cache":
			q.Cache = num()
		case "cycle":
			q.Cycle = constString(d.Arg) != "false" && constString(d.Arg) != "0"
		case "owned_by":
			names := strs(d.Arg.GetList().GetItems())
			if len(names) == 1 && names[0] == "none" {
				q.OwnedBy = nil
			} else if len(names) >= 2 {
				t := r.qnames(names[:len(names)-1])
				q.OwnedBy = &ColumnRef{Schema: t.Schema, Table: t.Name, Column: names[len(names)-1]}
			}
		}
	}
	seqDefaults(q, setMin, setMax, setStart)
}

// seqDefaults fills the minimum, maximum and start PostgreSQL derives for a
// sequence of q.Type and q.Increment when they are not given.
func seqDefaults(q *Sequence, setMin, setMax, setStart bool) {
	typeMax := map[string]int64{"smallint": 32767, "integer": 2147483647, "bigint": 9223372036854775807}[q.Type]
	if !setMin {
		if q.Increment > 0 {
			q.Min = 1
		} else {
			q.Min = -typeMax - 1
		}
	}
	if !setMax {
		if q.Increment > 0 {
			q.Max = typeMax
		} else {
			q.Max = -1
		}
	}
	if !setStart && q.Start == 0 {
		if q.Increment > 0 {
			q.Start = q.Min
		} else {
			q.Start = q.Max
		}
	}
}

func (r *Replayer) identityOptionsOf(typ string, opts []*pg.Node) string {
	q := Sequence{Type: typ, Increment: 1, Cache: 1}
	seqOptions(&q, opts, r)
	return identityOptions(q)
}

func (r *Replayer) createSeq(cs *pg.CreateSeqStmt) {
	q := r.qn(cs.Sequence)
	for _, s := range r.s.Sequences {
		if s.Schema == q.Schema && s.Name == q.Name {
			return
		}
	}
	r.use(q.Schema, q.Name)
	s := Sequence{Schema: q.Schema, Name: q.Name, Type: "bigint", Increment: 1, Cache: 1}
	seqOptions(&s, cs.Options, r)
	r.s.Sequences = append(r.s.Sequences, s)
}

func (r *Replayer) alterSeq(as *pg.AlterSeqStmt) {
	q := r.qn(as.Sequence)
	for i := range r.s.Sequences {
		if s := &r.s.Sequences[i]; s.Schema == q.Schema && s.Name == q.Name {
			// Re-derive defaults only for what the statement sets.
			saved := *s
			seqOptions(s, as.Options, r)
			set := map[string]bool{}
			for _, o := range as.Options {
				set[o.GetDefElem().GetDefname()] = true
			}
			if !set["minvalue"] {
				s.Min = saved.Min
			}
			if !set["maxvalue"] && !set["as"] {
				s.Max = saved.Max
			}
			if !set["start"] {
				s.Start = saved.Start
			}
			return
		}
	}
	if !as.MissingOk {
		r.skip("sequence", q.String(), "ALTER SEQUENCE of a sequence the migrations never created")
	}
}

func (r *Replayer) alterEnum(ae *pg.AlterEnumStmt) {
	q := r.qnames(strs(ae.TypeName))
	for i := range r.s.Enums {
		e := &r.s.Enums[i]
		if e.Schema != q.Schema || e.Name != q.Name {
			continue
		}
		if ae.OldVal != "" {
			for j, l := range e.Labels {
				if l == ae.OldVal {
					e.Labels[j] = ae.NewVal
				}
			}
			return
		}
		for _, l := range e.Labels {
			if l == ae.NewVal {
				return
			}
		}
		pos := len(e.Labels)
		if ae.NewValNeighbor != "" {
			for j, l := range e.Labels {
				if l == ae.NewValNeighbor {
					pos = j
					if ae.NewValIsAfter {
						pos = j + 1
					}
				}
			}
		}
		e.Labels = append(e.Labels[:pos], append([]string{ae.NewVal}, e.Labels[pos:]...)...)
		return
	}
	r.skip("type", q.String(), "ALTER TYPE of an enum the migrations never created")
}

func (r *Replayer) createDomain(cd *pg.CreateDomainStmt) {
	q := r.qnames(strs(cd.Domainname))
	d := Domain{Schema: q.Schema, Name: q.Name, Type: typeSQL(r.resolveType(cd.TypeName)), Collation: collationSQL(cd.CollClause)}
	for _, cn := range cd.Constraints {
		c := cn.GetConstraint()
		switch c.GetContype() {
		case pg.ConstrType_CONSTR_NOTNULL:
			d.NotNull = true
		case pg.ConstrType_CONSTR_DEFAULT:
			d.Default = exprSQL(c.RawExpr)
		case pg.ConstrType_CONSTR_CHECK:
			name := c.Conname
			if name == "" {
				name = chooseName(q.Name, "", "check", func(n string) bool {
					for _, k := range d.Checks {
						if k.Name == n {
							return true
						}
					}
					return false
				})
			}
			d.Checks = append(d.Checks, Constraint{Name: name, Kind: "c", Def: "CHECK (" + exprSQL(c.RawExpr) + ")"})
		}
	}
	r.s.Domains = append(r.s.Domains, d)
}

func (r *Replayer) viewDeps(query *pg.Node, self QName) []QName {
	var out []QName
	seen := map[QName]bool{}
	var walk func(m protoreflect.Message)
	walk = func(m protoreflect.Message) {
		if rv, ok := m.Interface().(*pg.RangeVar); ok {
			q := r.qn(rv)
			for _, v := range r.s.Views {
				if v.Schema == q.Schema && v.Name == q.Name && q != self && !seen[q] {
					seen[q] = true
					out = append(out, q)
				}
			}
		}
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.IsList() && fd.Message() != nil:
				for i := 0; i < v.List().Len(); i++ {
					walk(v.List().Get(i).Message())
				}
			case fd.Message() != nil && !fd.IsMap():
				walk(v.Message())
			}
			return true
		})
	}
	walk(query.ProtoReflect())
	return out
}

func (r *Replayer) putView(v View) {
	r.use(v.Schema, v.Name)
	for i := range r.s.Views {
		if r.s.Views[i].Schema == v.Schema && r.s.Views[i].Name == v.Name {
			r.s.Views[i] = v
			return
		}
	}
	r.s.Views = append(r.s.Views, v)
}

func (r *Replayer) createView(vs *pg.ViewStmt) {
	q := r.qn(vs.View)
	if len(vs.Aliases) > 0 {
		r.skip("view", q.String(), "column aliases in CREATE VIEW are compared as written")
	}
	v := View{Schema: q.Schema, Name: q.Name, Def: deparse(vs.Query), Options: r.relOptions(vs.Options), DependsOn: r.viewDeps(vs.Query, q)}
	if vs.WithCheckOption != pg.ViewCheckOption_NO_CHECK_OPTION {
		v.Options = append(v.Options, "check_option="+map[pg.ViewCheckOption]string{pg.ViewCheckOption_LOCAL_CHECK_OPTION: "local", pg.ViewCheckOption_CASCADED_CHECK_OPTION: "cascaded"}[vs.WithCheckOption])
	}
	r.putView(v)
}

func (r *Replayer) createTableAs(cs *pg.CreateTableAsStmt) {
	q := r.qn(cs.Into.Rel)
	if cs.Objtype != pg.ObjectType_OBJECT_MATVIEW {
		r.skip("table", q.String(), "CREATE TABLE AS: its columns come from running the query; not replayed")
		return
	}
	r.putView(View{Schema: q.Schema, Name: q.Name, Materialized: true, Def: deparse(cs.Query), Options: r.relOptions(cs.Into.Options), DependsOn: r.viewDeps(cs.Query, q)})
}

func (r *Replayer) createFunction(fs *pg.CreateFunctionStmt) {
	q := r.qnames(strs(fs.Funcname))
	var types []string
	for _, p := range fs.Parameters {
		fp := p.GetFunctionParameter()
		switch fp.GetMode() {
		case pg.FunctionParameterMode_FUNC_PARAM_OUT, pg.FunctionParameterMode_FUNC_PARAM_TABLE:
			if !fs.IsProcedure || fp.GetMode() == pg.FunctionParameterMode_FUNC_PARAM_TABLE {
				continue
			}
		}
		types = append(types, typeSQLNoMods(fp.ArgType))
	}
	kind := "FUNCTION"
	if fs.IsProcedure {
		kind = "PROCEDURE"
	}
	fs.Funcname = []*pg.Node{pg.MakeStrNode(q.Schema), pg.MakeStrNode(q.Name)}
	fs.Replace = true
	f := Function{Schema: q.Schema, Name: q.Name, ArgTypes: strings.Join(types, ", "), Kind: kind, Def: deparse(&pg.Node{Node: &pg.Node_CreateFunctionStmt{CreateFunctionStmt: fs}})}
	for i := range r.s.Functions {
		g := &r.s.Functions[i]
		if g.Schema == f.Schema && g.Name == f.Name && normArgTypes(g.ArgTypes) == normArgTypes(f.ArgTypes) {
			*g = f
			return
		}
	}
	r.s.Functions = append(r.s.Functions, f)
}

func (r *Replayer) createTrigger(ts *pg.CreateTrigStmt) {
	q := r.qn(ts.Relation)
	ts.Relation.Schemaname = q.Schema
	ts.Replace = false
	t := Trigger{Schema: q.Schema, Table: q.Name, Name: ts.Trigname, Def: deparse(&pg.Node{Node: &pg.Node_CreateTrigStmt{CreateTrigStmt: ts}})}
	for i := range r.s.Triggers {
		g := &r.s.Triggers[i]
		if g.Schema == t.Schema && g.Table == t.Table && g.Name == t.Name {
			*g = t
			return
		}
	}
	r.s.Triggers = append(r.s.Triggers, t)
}

func roleNames(roles []*pg.Node) []string {
	var out []string
	for _, n := range roles {
		rs := n.GetRoleSpec()
		if rs == nil {
			continue
		}
		switch rs.Roletype {
		case pg.RoleSpecType_ROLESPEC_PUBLIC:
			out = append(out, "public")
		case pg.RoleSpecType_ROLESPEC_CSTRING:
			out = append(out, quoteIdent(rs.Rolename))
		default:
			out = append(out, strings.ToLower(strings.TrimPrefix(rs.Roletype.String(), "ROLESPEC_")))
		}
	}
	if len(out) == 0 {
		out = []string{"public"}
	}
	return out
}

func (r *Replayer) createPolicy(ps *pg.CreatePolicyStmt) {
	q := r.qn(ps.Table)
	p := Policy{Schema: q.Schema, Table: q.Name, Name: ps.PolicyName, Permissive: ps.Permissive,
		Command: strings.ToUpper(ps.CmdName), Roles: roleNames(ps.Roles), Using: exprSQL(ps.Qual), WithCheck: exprSQL(ps.WithCheck)}
	if p.Command == "" {
		p.Command = "ALL"
	}
	r.s.Policies = append(r.s.Policies, p)
}

func (r *Replayer) alterPolicy(ps *pg.AlterPolicyStmt) {
	q := r.qn(ps.Table)
	for i := range r.s.Policies {
		p := &r.s.Policies[i]
		if p.Schema == q.Schema && p.Table == q.Name && p.Name == ps.PolicyName {
			if len(ps.Roles) > 0 {
				p.Roles = roleNames(ps.Roles)
			}
			if ps.Qual != nil {
				p.Using = exprSQL(ps.Qual)
			}
			if ps.WithCheck != nil {
				p.WithCheck = exprSQL(ps.WithCheck)
			}
			return
		}
	}
	r.skip("policy", ps.PolicyName, "ALTER POLICY of a policy the migrations never created")
}

func (r *Replayer) alterDomain(ad *pg.AlterDomainStmt) {
	q := r.qnames(strs(ad.TypeName))
	var d *Domain
	for i := range r.s.Domains {
		if r.s.Domains[i].Schema == q.Schema && r.s.Domains[i].Name == q.Name {
			d = &r.s.Domains[i]
		}
	}
	if d == nil {
		if !ad.MissingOk {
			r.skip("domain", q.String(), "ALTER DOMAIN of a domain the migrations never created")
		}
		return
	}
	switch ad.Subtype {
	case "T":
		d.Default = exprSQL(ad.Def)
	case "N":
		d.NotNull = false
	case "O":
		d.NotNull = true
	case "C":
		c := ad.Def.GetConstraint()
		if c == nil || c.Contype != pg.ConstrType_CONSTR_CHECK {
			r.skip("domain", q.String(), "ALTER DOMAIN ADD of a non-CHECK constraint is not replayed")
			return
		}
		name := c.Conname
		if name == "" {
			name = chooseName(q.Name, "", "check", func(n string) bool {
				for _, k := range d.Checks {
					if k.Name == n {
						return true
					}
				}
				return false
			})
		}
		def := "CHECK (" + exprSQL(c.RawExpr) + ")"
		if c.SkipValidation {
			def += " NOT VALID"
		}
		d.Checks = append(d.Checks, Constraint{Name: name, Kind: "c", Def: def})
	case "X":
		for i, k := range d.Checks {
			if k.Name == ad.Name {
				d.Checks = append(d.Checks[:i], d.Checks[i+1:]...)
				break
			}
		}
	case "V":
		for i := range d.Checks {
			if d.Checks[i].Name == ad.Name {
				d.Checks[i].Def = strings.TrimSuffix(d.Checks[i].Def, " NOT VALID")
			}
		}
	default:
		r.skip("domain", q.String(), "ALTER DOMAIN "+ad.Subtype+" is not replayed")
	}
}

// alterFunction is ALTER FUNCTION ... <options>: the options are merged into
// the stored definition.
func (r *Replayer) alterFunction(af *pg.AlterFunctionStmt) {
	q := r.qnames(strs(af.Func.Objname))
	types := r.argTypesOf(af.Func)
	for i := range r.s.Functions {
		f := &r.s.Functions[i]
		sameArgs := af.Func.ArgsUnspecified || normArgTypes(f.ArgTypes) == normArgTypes(types)
		if f.Schema != q.Schema || f.Name != q.Name || !sameArgs {
			continue
		}
		f.Def = reDeparse(f.Def, func(n *pg.Node) {
			fs := n.GetCreateFunctionStmt()
			for _, a := range af.Actions {
				d := a.GetDefElem()
				if d == nil {
					continue
				}
				if d.Defname == "set" {
					vs := d.Arg.GetVariableSetStmt()
					var keep []*pg.Node
					for _, o := range fs.Options {
						od := o.GetDefElem()
						if od.GetDefname() == "set" && vs != nil && (vs.Kind == pg.VariableSetKind_VAR_RESET_ALL || od.Arg.GetVariableSetStmt().GetName() == vs.Name) {
							continue
						}
						keep = append(keep, o)
					}
					fs.Options = keep
					if vs != nil && vs.Kind != pg.VariableSetKind_VAR_RESET && vs.Kind != pg.VariableSetKind_VAR_RESET_ALL {
						fs.Options = append(fs.Options, a)
					}
					continue
				}
				replaced := false
				for j, o := range fs.Options {
					if o.GetDefElem().GetDefname() == d.Defname {
						fs.Options[j] = a
						replaced = true
					}
				}
				if !replaced {
					fs.Options = append(fs.Options, a)
				}
			}
		})
		return
	}
	r.skip("function", q.String(), "ALTER FUNCTION of a function the migrations never created")
}
