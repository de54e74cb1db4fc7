package baseline

import (
	"strconv"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v5"
	"google.golang.org/protobuf/reflect/protoreflect"
)

func (r *Replayer) createTable(cs *pg.CreateStmt) {
	q := r.qn(cs.Relation)
	if r.s.table(q.Schema, q.Name) != nil {
		if !cs.IfNotExists {
			r.skip("table", q.String(), "created twice; the second definition is ignored")
		}
		return
	}
	t := Table{Schema: q.Schema, Name: q.Name, Unlogged: cs.Relation.Relpersistence == "u", Options: r.relOptions(cs.Options)}
	full := ""
	if cs.Partspec != nil || cs.Partbound != nil {
		full = deparse(&pg.Node{Node: &pg.Node_CreateStmt{CreateStmt: cs}})
	}
	if cs.Partspec != nil {
		t.Partitioned = true
		if i := strings.LastIndex(full, " PARTITION BY "); i >= 0 {
			pk := full[i+len(" PARTITION BY "):]
			if j := strings.Index(pk, " WITH ("); j >= 0 {
				pk = pk[:j]
			}
			t.PartitionBy = pk
		}
	}
	if cs.Partbound != nil && len(cs.InhRelations) == 1 {
		p := r.qn(cs.InhRelations[0].GetRangeVar())
		t.PartitionOf = &p
		t.Bound = boundText(full)
	} else if len(cs.InhRelations) > 0 {
		r.skip("table", q.String(), "INHERITS is not modelled; the table is replayed without it")
	}
	if cs.OfTypename != nil {
		r.skip("table", q.String(), "typed tables (OF type) are not modelled")
	}
	r.s.Tables = append(r.s.Tables, t)
	r.use(q.Schema, q.Name)
	tp := r.s.table(q.Schema, q.Name)
	for _, e := range cs.TableElts {
		switch {
		case e.GetColumnDef() != nil:
			r.addColumn(tp, e.GetColumnDef())
		case e.GetConstraint() != nil:
			r.addConstraint(tp, e.GetConstraint(), "")
		case e.GetTableLikeClause() != nil:
			r.skip("table", q.String(), "LIKE clauses are not replayed")
		}
	}
	for _, c := range cs.Constraints {
		r.addConstraint(tp, c.GetConstraint(), "")
	}
}

// boundText extracts "FOR VALUES ..." or "DEFAULT" from a deparsed CREATE
// TABLE ... PARTITION OF.
func boundText(full string) string {
	i := strings.Index(full, " FOR VALUES ")
	if i < 0 {
		if strings.Contains(full, " DEFAULT") {
			return "DEFAULT"
		}
		return ""
	}
	b := full[i+1:]
	if j := strings.Index(b, " PARTITION BY "); j >= 0 {
		b = b[:j]
	}
	// Table options follow the bound; a hash bound has its own WITH (...).
	start := 0
	if strings.HasPrefix(b, "FOR VALUES WITH (") {
		start = len("FOR VALUES WITH (")
	}
	if j := strings.Index(b[start:], " WITH ("); j >= 0 {
		b = b[:start+j]
	}
	return b
}

var serials = map[string][2]string{
	"serial": {"integer", "2147483647"}, "serial4": {"integer", "2147483647"},
	"bigserial": {"bigint", "9223372036854775807"}, "serial8": {"bigint", "9223372036854775807"},
	"smallserial": {"smallint", "32767"}, "serial2": {"smallint", "32767"},
}

func (r *Replayer) addColumn(t *Table, cd *pg.ColumnDef) {
	if t.column(cd.Colname) != nil {
		return
	}
	col := Column{Name: cd.Colname, Collation: collationSQL(cd.CollClause)}
	names := strs(cd.TypeName.Names)
	if s, ok := serials[names[len(names)-1]]; ok && len(names) == 1 {
		col.Type = s[0]
		seq := chooseName(t.Name, cd.Colname, "seq", r.relTaken(t.Schema))
		r.use(t.Schema, seq)
		max, _ := strconv.ParseInt(s[1], 10, 64)
		r.s.Sequences = append(r.s.Sequences, Sequence{Schema: t.Schema, Name: seq, Type: s[0], Start: 1, Increment: 1, Min: 1, Max: max, Cache: 1,
			OwnedBy: &ColumnRef{Schema: t.Schema, Table: t.Name, Column: cd.Colname}})
		col.Default = "nextval(" + quoteLiteral(qualify(t.Schema, seq)) + "::regclass)"
		col.NotNull = true
	} else {
		col.Type = typeSQL(r.resolveType(cd.TypeName))
	}
	if cd.RawDefault != nil {
		col.Default = exprSQL(cd.RawDefault)
	}
	col.NotNull = col.NotNull || cd.IsNotNull
	var last *pg.Constraint
	for _, cn := range cd.Constraints {
		c := cn.GetConstraint()
		if c == nil {
			continue
		}
		switch c.Contype {
		case pg.ConstrType_CONSTR_NOTNULL:
			col.NotNull = true
		case pg.ConstrType_CONSTR_NULL:
			col.NotNull = false
		case pg.ConstrType_CONSTR_DEFAULT:
			col.Default = exprSQL(c.RawExpr)
		case pg.ConstrType_CONSTR_IDENTITY:
			col.Identity = map[string]string{"a": "ALWAYS", "d": "BY DEFAULT"}[c.GeneratedWhen]
			col.NotNull = true
			col.IdentityOptions = r.identityOptionsOf(col.Type, c.Options)
		case pg.ConstrType_CONSTR_GENERATED:
			col.Generated = exprSQL(c.RawExpr)
		case pg.ConstrType_CONSTR_ATTR_DEFERRABLE, pg.ConstrType_CONSTR_ATTR_NOT_DEFERRABLE, pg.ConstrType_CONSTR_ATTR_DEFERRED, pg.ConstrType_CONSTR_ATTR_IMMEDIATE:
			if last != nil {
				switch c.Contype {
				case pg.ConstrType_CONSTR_ATTR_DEFERRABLE:
					last.Deferrable = true
				case pg.ConstrType_CONSTR_ATTR_NOT_DEFERRABLE:
					last.Deferrable = false
				case pg.ConstrType_CONSTR_ATTR_DEFERRED:
					last.Initdeferred = true
				case pg.ConstrType_CONSTR_ATTR_IMMEDIATE:
					last.Initdeferred = false
				}
			}
		default:
			last = c
		}
	}
	if col.Identity != "" && col.Default != "" {
		col.Default = ""
	}
	t.Columns = append(t.Columns, col)
	// Column constraints become table constraints, once their attributes
	// (DEFERRABLE ...) are known.
	for _, cn := range cd.Constraints {
		c := cn.GetConstraint()
		if c == nil {
			continue
		}
		switch c.Contype {
		case pg.ConstrType_CONSTR_CHECK, pg.ConstrType_CONSTR_PRIMARY, pg.ConstrType_CONSTR_UNIQUE, pg.ConstrType_CONSTR_FOREIGN:
			r.addConstraint(t, c, cd.Colname)
		}
	}
}

// relTaken reports whether a relation-level name (table, sequence, index,
// view, or a constraint's index) is in use in the schema. r.seen, which only
// grows, answers most "no"s at once.
func (r *Replayer) relTaken(schema string) func(string) bool {
	return func(name string) bool {
		if !r.seen[QName{schema, name}] {
			return false
		}
		for _, t := range r.s.Tables {
			if t.Schema != schema {
				continue
			}
			if t.Name == name {
				return true
			}
			for _, c := range t.Constraints {
				if c.Name == name && (c.Kind == "p" || c.Kind == "u" || c.Kind == "x") {
					return true
				}
			}
		}
		for _, q := range r.s.Sequences {
			if q.Schema == schema && q.Name == name {
				return true
			}
		}
		for _, ix := range r.s.Indexes {
			if ix.Schema == schema && ix.Name == name {
				return true
			}
		}
		for _, v := range r.s.Views {
			if v.Schema == schema && v.Name == name {
				return true
			}
		}
		return false
	}
}

func (r *Replayer) use(schema, name string) { r.seen[QName{schema, name}] = true }

// makeObjectName is PostgreSQL's makeObjectName: name1_name2_label,
// truncated to 63 bytes by shortening the longer of name1 and name2.
func makeObjectName(name1, name2, label string) string {
	const max = 63
	overhead := 0
	if label != "" {
		overhead += len(label) + 1
	}
	if name2 != "" {
		overhead++
	}
	avail := max - overhead
	n1, n2 := len(name1), len(name2)
	for n1+n2 > avail {
		if n1 > n2 {
			n1--
		} else {
			n2--
		}
	}
	s := name1[:n1]
	if name2 != "" {
		s += "_" + name2[:n2]
	}
	if label != "" {
		s += "_" + label
	}
	return s
}

// chooseName is ChooseRelationName/ChooseConstraintName: the first free
// name among name1_name2_label, name1_name2_label1, ...
func chooseName(name1, name2, label string, taken func(string) bool) string {
	s := makeObjectName(name1, name2, label)
	for i := 1; taken(s); i++ {
		s = makeObjectName(name1, name2, label+strconv.Itoa(i))
	}
	return s
}

func nodeNames(ns []*pg.Node) []string {
	var out []string
	for _, n := range ns {
		switch {
		case n.GetString_() != nil:
			out = append(out, n.GetString_().Sval)
		case n.GetIndexElem() != nil:
			out = append(out, indexColname(n.GetIndexElem()))
		case n.GetList() != nil && len(n.GetList().Items) > 0:
			if ie := n.GetList().Items[0].GetIndexElem(); ie != nil {
				out = append(out, indexColname(ie))
			}
		}
	}
	return out
}

// indexColname is the name PostgreSQL gives an index column when choosing
// the index's name (FigureIndexColname).
func indexColname(ie *pg.IndexElem) string {
	switch {
	case ie.Indexcolname != "":
		return ie.Indexcolname
	case ie.Name != "":
		return ie.Name
	}
	if n := figureColname(ie.Expr); n != "" {
		return n
	}
	return "expr"
}

func figureColname(n *pg.Node) string {
	switch {
	case n == nil:
		return ""
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
	case n.GetAIndirection() != nil:
		return figureColname(n.GetAIndirection().Arg)
	case n.GetTypeCast() != nil:
		if s := figureColname(n.GetTypeCast().Arg); s != "" {
			return s
		}
		names := strs(n.GetTypeCast().TypeName.Names)
		if len(names) > 0 {
			return names[len(names)-1]
		}
	case n.GetCaseExpr() != nil:
		return "case"
	case n.GetCoalesceExpr() != nil:
		return "coalesce"
	}
	return ""
}

// columnsIn lists the distinct column names an expression references.
func columnsIn(n *pg.Node) []string {
	seen := map[string]bool{}
	var out []string
	var walk func(m protoreflect.Message)
	walk = func(m protoreflect.Message) {
		if cr, ok := m.Interface().(*pg.ColumnRef); ok {
			f := strs(cr.Fields)
			if len(f) > 0 && !seen[f[len(f)-1]] {
				seen[f[len(f)-1]] = true
				out = append(out, f[len(f)-1])
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
	if n != nil {
		walk(n.ProtoReflect())
	}
	return out
}

func (r *Replayer) addConstraint(t *Table, c *pg.Constraint, col string) {
	if c == nil {
		return
	}
	var kind string
	switch c.Contype {
	case pg.ConstrType_CONSTR_PRIMARY:
		kind = "p"
	case pg.ConstrType_CONSTR_UNIQUE:
		kind = "u"
	case pg.ConstrType_CONSTR_CHECK:
		kind = "c"
	case pg.ConstrType_CONSTR_EXCLUSION:
		kind = "x"
	case pg.ConstrType_CONSTR_FOREIGN:
		kind = "f"
	case pg.ConstrType_CONSTR_NOTNULL:
		return
	default:
		r.skip("constraint", qualify(t.Schema, t.Name), "constraint type "+c.Contype.String()+" is not modelled")
		return
	}
	c.Location = 0
	if c.Indexname != "" && (kind == "p" || kind == "u") {
		// ADD CONSTRAINT ... USING INDEX: the index becomes the
		// constraint's (and takes its name).
		for i, ix := range r.s.Indexes {
			if ix.Schema != t.Schema || ix.Name != c.Indexname {
				continue
			}
			if tree, err := pg.Parse(ix.Def); err == nil && len(tree.Stmts) == 1 {
				is := tree.Stmts[0].Stmt.GetIndexStmt()
				for _, p := range is.GetIndexParams() {
					c.Keys = append(c.Keys, pg.MakeStrNode(p.GetIndexElem().GetName()))
				}
				for _, p := range is.GetIndexIncludingParams() {
					c.Including = append(c.Including, pg.MakeStrNode(p.GetIndexElem().GetName()))
				}
			}
			r.s.Indexes = append(r.s.Indexes[:i], r.s.Indexes[i+1:]...)
			c.Indexname = ""
			break
		}
	}
	if col != "" {
		switch kind {
		case "p", "u":
			if len(c.Keys) == 0 {
				c.Keys = []*pg.Node{pg.MakeStrNode(col)}
			}
		case "f":
			if len(c.FkAttrs) == 0 {
				c.FkAttrs = []*pg.Node{pg.MakeStrNode(col)}
			}
		}
	}
	if kind == "p" {
		for _, k := range strs(c.Keys) {
			if cl := t.column(k); cl != nil {
				cl.NotNull = true
			}
		}
	}
	if kind == "f" {
		ref := r.qn(c.Pktable)
		c.Pktable.Schemaname = ref.Schema
		if len(c.PkAttrs) == 0 {
			if rt := r.s.table(ref.Schema, ref.Name); rt != nil {
				for _, k := range rt.Constraints {
					if k.Kind == "p" {
						if i, j := strings.Index(k.Def, "("), strings.LastIndex(k.Def, ")"); i >= 0 && j > i {
							for _, p := range strings.Split(k.Def[i+1:j], ", ") {
								c.PkAttrs = append(c.PkAttrs, pg.MakeStrNode(strings.Trim(p, `"`)))
							}
						}
					}
				}
			}
		}
		if c.FkMatchtype == "s" {
			c.FkMatchtype = ""
		}
	}
	name := c.Conname
	if name == "" {
		rel := r.relTaken(t.Schema)
		taken := func(n string) bool {
			for _, k := range t.Constraints {
				if k.Name == n {
					return true
				}
			}
			return rel(n)
		}
		switch kind {
		case "p":
			name = chooseName(t.Name, "", "pkey", taken)
		case "u":
			name = chooseName(t.Name, strings.Join(strs(c.Keys), "_"), "key", taken)
		case "x":
			name = chooseName(t.Name, strings.Join(nodeNames(c.Exclusions), "_"), "excl", taken)
		case "f":
			name = chooseName(t.Name, strings.Join(strs(c.FkAttrs), "_"), "fkey", taken)
		case "c":
			cols := columnsIn(c.RawExpr)
			n2 := ""
			if len(cols) == 1 {
				n2 = cols[0]
			} else if col != "" && len(cols) == 0 {
				n2 = ""
			}
			name = chooseName(t.Name, n2, "check", taken)
		}
	}
	if kind == "p" || kind == "u" || kind == "x" {
		r.use(t.Schema, name)
	}
	c.Conname = ""
	at := &pg.AlterTableStmt{Relation: pg.MakeSimpleRangeVar("x", 0), Objtype: pg.ObjectType_OBJECT_TABLE,
		Cmds: []*pg.Node{{Node: &pg.Node_AlterTableCmd{AlterTableCmd: &pg.AlterTableCmd{Subtype: pg.AlterTableType_AT_AddConstraint,
			Def: &pg.Node{Node: &pg.Node_Constraint{Constraint: c}}}}}}}
	def := strings.TrimPrefix(deparse(&pg.Node{Node: &pg.Node_AlterTableStmt{AlterTableStmt: at}}), "ALTER TABLE x ADD ")
	for i, k := range t.Constraints {
		if k.Name == name {
			t.Constraints[i] = Constraint{Name: name, Kind: kind, Def: def}
			return
		}
	}
	t.Constraints = append(t.Constraints, Constraint{Name: name, Kind: kind, Def: def})
}

func (r *Replayer) alterTable(at *pg.AlterTableStmt) {
	q := r.qn(at.Relation)
	switch at.Objtype {
	case pg.ObjectType_OBJECT_TABLE, pg.ObjectType_OBJECT_FOREIGN_TABLE:
	case pg.ObjectType_OBJECT_TYPE:
		r.alterComposite(q, at)
		return
	case pg.ObjectType_OBJECT_INDEX, pg.ObjectType_OBJECT_SEQUENCE, pg.ObjectType_OBJECT_VIEW, pg.ObjectType_OBJECT_MATVIEW:
		for _, cn := range at.Cmds {
			c := cn.GetAlterTableCmd()
			switch c.GetSubtype() {
			case pg.AlterTableType_AT_ChangeOwner, pg.AlterTableType_AT_SetStatistics, pg.AlterTableType_AT_SetTableSpace:
			case pg.AlterTableType_AT_AttachPartition:
				// ALTER INDEX parent ATTACH PARTITION child: partition
				// indexes (and the constraints they back) are not
				// modelled separately.
				child := r.qn(c.Def.GetPartitionCmd().Name)
				r.dropIndex(child)
				for i := range r.s.Tables {
					t := &r.s.Tables[i]
					if t.Schema != child.Schema || t.PartitionOf == nil {
						continue
					}
					for j, k := range t.Constraints {
						if k.Name == child.Name {
							t.Constraints = append(t.Constraints[:j], t.Constraints[j+1:]...)
							break
						}
					}
				}
			default:
				r.skip(strings.ToLower(strings.TrimPrefix(at.Objtype.String(), "OBJECT_")), q.String(), "ALTER "+c.GetSubtype().String()+" is not replayed")
			}
		}
		return
	}
	t := r.s.table(q.Schema, q.Name)
	if t == nil {
		if !at.MissingOk {
			r.skip("table", q.String(), "ALTER TABLE of a table the migrations never created")
		}
		return
	}
	for _, cn := range at.Cmds {
		c := cn.GetAlterTableCmd()
		if c == nil {
			continue
		}
		switch c.Subtype {
		case pg.AlterTableType_AT_AddColumn:
			r.addColumn(t, c.Def.GetColumnDef())
		case pg.AlterTableType_AT_DropColumn:
			for i, col := range t.Columns {
				if col.Name == c.Name {
					t.Columns = append(t.Columns[:i], t.Columns[i+1:]...)
					break
				}
			}
			r.dropDependentsOfColumn(t, c.Name)
		case pg.AlterTableType_AT_AlterColumnType:
			if col := t.column(c.Name); col != nil {
				cd := c.Def.GetColumnDef()
				col.Type = typeSQL(r.resolveType(cd.TypeName))
				// A new type brings its default collation unless COLLATE
				// says otherwise, as in PostgreSQL.
				col.Collation = collationSQL(cd.CollClause)
			}
		case pg.AlterTableType_AT_ColumnDefault:
			if col := t.column(c.Name); col != nil {
				col.Default = exprSQL(c.Def)
			}
		case pg.AlterTableType_AT_SetNotNull, pg.AlterTableType_AT_DropNotNull:
			if col := t.column(c.Name); col != nil {
				col.NotNull = c.Subtype == pg.AlterTableType_AT_SetNotNull
			}
		case pg.AlterTableType_AT_AddConstraint:
			r.addConstraint(t, c.Def.GetConstraint(), "")
		case pg.AlterTableType_AT_DropConstraint:
			for i, k := range t.Constraints {
				if k.Name == c.Name {
					t.Constraints = append(t.Constraints[:i], t.Constraints[i+1:]...)
					break
				}
			}
		case pg.AlterTableType_AT_AlterConstraint:
			if k := c.Def.GetConstraint(); k != nil {
				for i := range t.Constraints {
					if t.Constraints[i].Name == k.Conname {
						t.Constraints[i].Def = reDeparseConstraint(t.Constraints[i].Def, func(n *pg.Node) {
							for _, cmd := range n.GetAlterTableStmt().GetCmds() {
								if con := cmd.GetAlterTableCmd().GetDef().GetConstraint(); con != nil {
									con.Deferrable, con.Initdeferred = k.Deferrable, k.Initdeferred
								}
							}
						})
					}
				}
			}
		case pg.AlterTableType_AT_ValidateConstraint:
			for i, k := range t.Constraints {
				if k.Name == c.Name {
					t.Constraints[i].Def = strings.TrimSuffix(k.Def, " NOT VALID")
				}
			}
		case pg.AlterTableType_AT_EnableRowSecurity:
			t.RLS = true
		case pg.AlterTableType_AT_DisableRowSecurity:
			t.RLS = false
		case pg.AlterTableType_AT_ForceRowSecurity:
			t.ForceRLS = true
		case pg.AlterTableType_AT_NoForceRowSecurity:
			t.ForceRLS = false
		case pg.AlterTableType_AT_AddIdentity:
			if col := t.column(c.Name); col != nil {
				if k := c.Def.GetConstraint(); k != nil {
					col.Identity = map[string]string{"a": "ALWAYS", "d": "BY DEFAULT"}[k.GeneratedWhen]
					col.NotNull = true
					col.IdentityOptions = r.identityOptionsOf(col.Type, k.Options)
				}
			}
		case pg.AlterTableType_AT_DropIdentity:
			if col := t.column(c.Name); col != nil {
				col.Identity, col.IdentityOptions = "", ""
			}
		case pg.AlterTableType_AT_DropExpression:
			if col := t.column(c.Name); col != nil {
				col.Generated = ""
			}
		case pg.AlterTableType_AT_SetRelOptions:
			t.Options = mergeOptions(t.Options, r.relOptions(c.Def.GetList().GetItems()), false)
		case pg.AlterTableType_AT_ResetRelOptions:
			t.Options = mergeOptions(t.Options, r.relOptions(c.Def.GetList().GetItems()), true)
		case pg.AlterTableType_AT_SetLogged, pg.AlterTableType_AT_SetUnLogged:
			t.Unlogged = c.Subtype == pg.AlterTableType_AT_SetUnLogged
		case pg.AlterTableType_AT_AttachPartition:
			pc := c.Def.GetPartitionCmd()
			child := r.qn(pc.Name)
			if ct := r.s.table(child.Schema, child.Name); ct != nil {
				parent := q
				ct.PartitionOf = &parent
				cs := &pg.CreateStmt{Relation: pg.MakeSimpleRangeVar("x", 0), InhRelations: []*pg.Node{pg.MakeSimpleRangeVarNode("p", 0)}, Partbound: pc.Bound}
				ct.Bound = boundText(deparse(&pg.Node{Node: &pg.Node_CreateStmt{CreateStmt: cs}}))
				ct.Columns = nil
				// Constraints now come from the parent.
				var local []Constraint
				for _, k := range ct.Constraints {
					if !parentHasConstraintLike(t, k) {
						local = append(local, k)
					}
				}
				ct.Constraints = local
			}
		case pg.AlterTableType_AT_DetachPartition:
			child := r.qn(c.Def.GetPartitionCmd().Name)
			if ct := r.s.table(child.Schema, child.Name); ct != nil {
				ct.PartitionOf, ct.Bound = nil, ""
				ct.Columns = append([]Column(nil), t.Columns...)
			}
		case pg.AlterTableType_AT_EnableTrig, pg.AlterTableType_AT_DisableTrig:
			for i := range r.s.Triggers {
				tr := &r.s.Triggers[i]
				if tr.Schema == t.Schema && tr.Table == t.Name && tr.Name == c.Name {
					tr.Disabled = c.Subtype == pg.AlterTableType_AT_DisableTrig
				}
			}
		case pg.AlterTableType_AT_ChangeOwner, pg.AlterTableType_AT_SetStatistics, pg.AlterTableType_AT_SetStorage,
			pg.AlterTableType_AT_ClusterOn, pg.AlterTableType_AT_DropCluster, pg.AlterTableType_AT_ReplicaIdentity,
			pg.AlterTableType_AT_SetTableSpace, pg.AlterTableType_AT_SetIdentity, pg.AlterTableType_AT_SetCompression:
			// Physical or ownership properties: not modelled.
		default:
			r.skip("table", q.String(), "ALTER TABLE "+strings.TrimPrefix(c.Subtype.String(), "AT_")+" is not replayed")
		}
	}
}

func parentHasConstraintLike(parent *Table, k Constraint) bool {
	for _, p := range parent.Constraints {
		if p.Kind == k.Kind && normalize(nConstraint, p.Def) == normalize(nConstraint, k.Def) {
			return true
		}
	}
	return false
}

func mergeOptions(have, set []string, reset bool) []string {
	m := map[string]string{}
	for _, o := range have {
		k, v, _ := strings.Cut(o, "=")
		m[k] = v
	}
	for _, o := range set {
		k, v, _ := strings.Cut(o, "=")
		if reset {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return out
}

func (r *Replayer) alterComposite(q QName, at *pg.AlterTableStmt) {
	for i := range r.s.Composites {
		c := &r.s.Composites[i]
		if c.Schema != q.Schema || c.Name != q.Name {
			continue
		}
		for _, cn := range at.Cmds {
			cmd := cn.GetAlterTableCmd()
			switch cmd.GetSubtype() {
			case pg.AlterTableType_AT_AddColumn:
				cd := cmd.Def.GetColumnDef()
				c.Attributes = append(c.Attributes, Column{Name: cd.Colname, Type: typeSQL(r.resolveType(cd.TypeName)), Collation: collationSQL(cd.CollClause)})
			case pg.AlterTableType_AT_DropColumn:
				for j, a := range c.Attributes {
					if a.Name == cmd.Name {
						c.Attributes = append(c.Attributes[:j], c.Attributes[j+1:]...)
						break
					}
				}
			case pg.AlterTableType_AT_AlterColumnType:
				for j := range c.Attributes {
					if c.Attributes[j].Name == cmd.Name {
						c.Attributes[j].Type = typeSQL(r.resolveType(cmd.Def.GetColumnDef().TypeName))
					}
				}
			default:
				r.skip("type", q.String(), "ALTER TYPE "+cmd.GetSubtype().String()+" is not replayed")
			}
		}
		return
	}
	r.skip("type", q.String(), "ALTER TYPE of a type the migrations never created")
}

// dropDependentsOfColumn drops the constraints and indexes PostgreSQL drops
// with the column (those that use it).
func (r *Replayer) dropDependentsOfColumn(t *Table, col string) {
	uses := func(def string) bool {
		for _, f := range strings.FieldsFunc(def, func(r rune) bool {
			word := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '"'
			return !word
		}) {
			if strings.Trim(f, `"`) == col {
				return true
			}
		}
		return false
	}
	var keep []Constraint
	for _, k := range t.Constraints {
		d := k.Def
		if k.Kind == "f" {
			if i := strings.Index(d, " REFERENCES "); i >= 0 {
				d = d[:i]
			}
		}
		if !uses(d) {
			keep = append(keep, k)
		}
	}
	t.Constraints = keep
	var idx []Index
	for _, ix := range r.s.Indexes {
		if ix.Schema == t.Schema && ix.Table == t.Name {
			if i := strings.Index(ix.Def, "("); i >= 0 && uses(ix.Def[i:]) {
				continue
			}
		}
		idx = append(idx, ix)
	}
	r.s.Indexes = idx
}

func (r *Replayer) createIndex(is *pg.IndexStmt) {
	q := r.qn(is.Relation)
	name := is.Idxname
	if name == "" {
		var cols []string
		cols = append(cols, nodeNames(is.IndexParams)...)
		cols = append(cols, nodeNames(is.IndexIncludingParams)...)
		label := "idx"
		if is.Primary {
			label, cols = "pkey", nil
		} else if len(is.ExcludeOpNames) > 0 {
			label = "excl"
		}
		name = chooseName(q.Name, strings.Join(cols, "_"), label, r.relTaken(q.Schema))
	}
	for _, ix := range r.s.Indexes {
		if ix.Schema == q.Schema && ix.Name == name {
			if !is.IfNotExists {
				r.skip("index", qualify(q.Schema, name), "created twice; the second definition is ignored")
			}
			return
		}
	}
	r.use(q.Schema, name)
	is.Idxname = name
	is.Relation.Schemaname = q.Schema
	is.Concurrent, is.IfNotExists = false, false
	if is.AccessMethod == "" {
		is.AccessMethod = "btree"
	}
	def := deparse(&pg.Node{Node: &pg.Node_IndexStmt{IndexStmt: is}})
	r.s.Indexes = append(r.s.Indexes, Index{Schema: q.Schema, Name: name, Table: q.Name, Def: def})
}

func (r *Replayer) dropIndex(q QName) {
	for i, ix := range r.s.Indexes {
		if ix.Schema == q.Schema && ix.Name == q.Name {
			r.s.Indexes = append(r.s.Indexes[:i], r.s.Indexes[i+1:]...)
			r.dropComments(func(c Comment) bool { return c.Kind == "INDEX" && c.Target == q.String() })
			return
		}
	}
}
