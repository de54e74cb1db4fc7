package baseline

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v5"
	"google.golang.org/protobuf/reflect/protoreflect"
)

func (r *Replayer) rename(rs *pg.RenameStmt) {
	switch rs.RenameType {
	case pg.ObjectType_OBJECT_TABLE, pg.ObjectType_OBJECT_VIEW, pg.ObjectType_OBJECT_MATVIEW, pg.ObjectType_OBJECT_SEQUENCE, pg.ObjectType_OBJECT_INDEX:
		q := r.qn(rs.Relation)
		nq := QName{Schema: q.Schema, Name: rs.Newname}
		r.use(nq.Schema, nq.Name)
		if t := r.s.table(q.Schema, q.Name); t != nil && rs.RenameType != pg.ObjectType_OBJECT_INDEX {
			t.Name = rs.Newname
			r.renameRelationRefs(q, nq)
			return
		}
		for i := range r.s.Views {
			if v := &r.s.Views[i]; v.Schema == q.Schema && v.Name == q.Name {
				v.Name = rs.Newname
				r.renameRelationRefs(q, nq)
				return
			}
		}
		for i := range r.s.Sequences {
			if s := &r.s.Sequences[i]; s.Schema == q.Schema && s.Name == q.Name {
				s.Name = rs.Newname
				r.renameRelationRefs(q, nq)
				return
			}
		}
		for i := range r.s.Indexes {
			if ix := &r.s.Indexes[i]; ix.Schema == q.Schema && ix.Name == q.Name {
				ix.Name = rs.Newname
				ix.Def = rewriteIndexName(ix.Def, rs.Newname)
				r.renameCommentTarget("INDEX", q.String(), nq.String())
				return
			}
		}
		// Renaming an index that backs a constraint renames the constraint.
		for i := range r.s.Tables {
			t := &r.s.Tables[i]
			if t.Schema != q.Schema {
				continue
			}
			for j := range t.Constraints {
				if t.Constraints[j].Name == q.Name {
					t.Constraints[j].Name = rs.Newname
					return
				}
			}
		}
		r.skip("relation", q.String(), "renamed, but the migrations never created it")
	case pg.ObjectType_OBJECT_COLUMN:
		q := r.qn(rs.Relation)
		t := r.s.table(q.Schema, q.Name)
		if t == nil || t.column(rs.Subname) == nil {
			r.skip("column", q.String()+"."+rs.Subname, "renamed, but the migrations never created it")
			return
		}
		t.column(rs.Subname).Name = rs.Newname
		for i := range t.Constraints {
			t.Constraints[i].Def = renameColumnInDef(nConstraint, t.Constraints[i].Def, rs.Subname, rs.Newname)
		}
		for i := range r.s.Indexes {
			if ix := &r.s.Indexes[i]; ix.Schema == q.Schema && ix.Table == q.Name {
				ix.Def = renameColumnInDef(nStmt, ix.Def, rs.Subname, rs.Newname)
			}
		}
		for _, s := range r.s.Sequences {
			if s.OwnedBy != nil && s.OwnedBy.Schema == q.Schema && s.OwnedBy.Table == q.Name && s.OwnedBy.Column == rs.Subname {
				s.OwnedBy.Column = rs.Newname
			}
		}
		r.renameCommentTarget("COLUMN", q.String()+"."+quoteIdent(rs.Subname), q.String()+"."+quoteIdent(rs.Newname))
	case pg.ObjectType_OBJECT_ATTRIBUTE:
		q := r.qn(rs.Relation)
		for i := range r.s.Composites {
			c := &r.s.Composites[i]
			if c.Schema == q.Schema && c.Name == q.Name {
				for j := range c.Attributes {
					if c.Attributes[j].Name == rs.Subname {
						c.Attributes[j].Name = rs.Newname
						return
					}
				}
			}
		}
		r.skip("type", q.String(), "RENAME ATTRIBUTE of an attribute the migrations never created")
	case pg.ObjectType_OBJECT_TABCONSTRAINT:
		q := r.qn(rs.Relation)
		if t := r.s.table(q.Schema, q.Name); t != nil {
			for i := range t.Constraints {
				if t.Constraints[i].Name == rs.Subname {
					t.Constraints[i].Name = rs.Newname
					r.use(q.Schema, rs.Newname)
					return
				}
			}
		}
		r.skip("constraint", rs.Subname, "renamed, but the migrations never created it")
	case pg.ObjectType_OBJECT_TYPE, pg.ObjectType_OBJECT_DOMAIN:
		q := r.qnames(strs(rs.Object.GetList().GetItems()))
		if len(q.Name) == 0 {
			q = r.qnames(strs(rs.Object.GetTypeName().GetNames()))
		}
		for i := range r.s.Enums {
			if e := &r.s.Enums[i]; e.Schema == q.Schema && e.Name == q.Name {
				e.Name = rs.Newname
			}
		}
		for i := range r.s.Domains {
			if d := &r.s.Domains[i]; d.Schema == q.Schema && d.Name == q.Name {
				d.Name = rs.Newname
			}
		}
		for i := range r.s.Composites {
			if c := &r.s.Composites[i]; c.Schema == q.Schema && c.Name == q.Name {
				c.Name = rs.Newname
			}
		}
	case pg.ObjectType_OBJECT_SCHEMA:
		for i := range r.s.Namespaces {
			if r.s.Namespaces[i].Name == rs.Subname {
				r.s.Namespaces[i].Name = rs.Newname
			}
		}
		r.skip("schema", rs.Subname, "schema renames are applied to the schema only, not to the objects in it")
	case pg.ObjectType_OBJECT_TRIGGER, pg.ObjectType_OBJECT_POLICY:
		q := r.qn(rs.Relation)
		for i := range r.s.Triggers {
			if t := &r.s.Triggers[i]; rs.RenameType == pg.ObjectType_OBJECT_TRIGGER && t.Schema == q.Schema && t.Table == q.Name && t.Name == rs.Subname {
				t.Name = rs.Newname
				t.Def = reDeparse(t.Def, func(n *pg.Node) { n.GetCreateTrigStmt().Trigname = rs.Newname })
			}
		}
		for i := range r.s.Policies {
			if p := &r.s.Policies[i]; rs.RenameType == pg.ObjectType_OBJECT_POLICY && p.Schema == q.Schema && p.Table == q.Name && p.Name == rs.Subname {
				p.Name = rs.Newname
			}
		}
	case pg.ObjectType_OBJECT_FUNCTION, pg.ObjectType_OBJECT_PROCEDURE:
		owa := rs.Object.GetObjectWithArgs()
		q := r.qnames(strs(owa.Objname))
		for i := range r.s.Functions {
			if f := &r.s.Functions[i]; f.Schema == q.Schema && f.Name == q.Name {
				f.Name = rs.Newname
				f.Def = reDeparse(f.Def, func(n *pg.Node) {
					fs := n.GetCreateFunctionStmt()
					fs.Funcname = []*pg.Node{pg.MakeStrNode(q.Schema), pg.MakeStrNode(rs.Newname)}
				})
			}
		}
	default:
		r.skip("statement", "RENAME "+strings.TrimPrefix(rs.RenameType.String(), "OBJECT_"), "this kind of rename is not replayed")
	}
}

func (r *Replayer) renameCommentTarget(kind, from, to string) {
	for i := range r.s.Comments {
		if c := &r.s.Comments[i]; c.Kind == kind && c.Target == from {
			c.Target = to
		}
	}
}

// renameRelationRefs rewrites every stored definition that names the
// relation, and the objects that point at it.
func (r *Replayer) renameRelationRefs(from, to QName) {
	fix := func(def string) string {
		return reDeparse(def, func(n *pg.Node) { renameRangeVars(n.ProtoReflect(), from, to) })
	}
	for i := range r.s.Tables {
		t := &r.s.Tables[i]
		if t.PartitionOf != nil && *t.PartitionOf == from {
			t.PartitionOf.Name = to.Name
		}
		for j := range t.Constraints {
			if t.Constraints[j].Kind == "f" {
				t.Constraints[j].Def = reDeparseConstraint(t.Constraints[j].Def, func(n *pg.Node) { renameRangeVars(n.ProtoReflect(), from, to) })
			}
		}
	}
	for i := range r.s.Indexes {
		if ix := &r.s.Indexes[i]; ix.Schema == from.Schema && ix.Table == from.Name {
			ix.Table = to.Name
			ix.Def = fix(ix.Def)
		}
	}
	for i := range r.s.Triggers {
		if t := &r.s.Triggers[i]; t.Schema == from.Schema && t.Table == from.Name {
			t.Table = to.Name
			t.Def = fix(t.Def)
		}
	}
	for i := range r.s.Policies {
		if p := &r.s.Policies[i]; p.Schema == from.Schema && p.Table == from.Name {
			p.Table = to.Name
		}
	}
	for i := range r.s.Views {
		v := &r.s.Views[i]
		v.Def = fix(v.Def)
		for j := range v.DependsOn {
			if v.DependsOn[j] == from {
				v.DependsOn[j] = to
			}
		}
	}
	for i := range r.s.Sequences {
		if o := r.s.Sequences[i].OwnedBy; o != nil && o.Schema == from.Schema && o.Table == from.Name {
			o.Table = to.Name
		}
	}
	for i := range r.s.Tables {
		for j := range r.s.Tables[i].Columns {
			c := &r.s.Tables[i].Columns[j]
			if strings.Contains(c.Default, "nextval(") {
				c.Default = strings.Replace(c.Default, quoteLiteral(from.String()), quoteLiteral(to.String()), 1)
			}
		}
	}
	f, t := from.String(), to.String()
	for i := range r.s.Comments {
		c := &r.s.Comments[i]
		switch {
		case c.Target == f:
			c.Target = t
		case strings.HasPrefix(c.Target, f+"."):
			c.Target = t + strings.TrimPrefix(c.Target, f)
		case strings.HasSuffix(c.Target, " ON "+f):
			c.Target = strings.TrimSuffix(c.Target, f) + t
		}
	}
}

func renameRangeVars(m protoreflect.Message, from, to QName) {
	if rv, ok := m.Interface().(*pg.RangeVar); ok {
		s := rv.Schemaname
		if s == "" {
			s = DefaultSchema
		}
		if s == from.Schema && rv.Relname == from.Name {
			rv.Relname = to.Name
		}
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			for i := 0; i < v.List().Len(); i++ {
				renameRangeVars(v.List().Get(i).Message(), from, to)
			}
		case fd.Message() != nil && !fd.IsMap():
			renameRangeVars(v.Message(), from, to)
		}
		return true
	})
}

func renameColumns(m protoreflect.Message, from, to string) {
	switch x := m.Interface().(type) {
	case *pg.ColumnRef:
		if f := x.Fields; len(f) > 0 && f[len(f)-1].GetString_() != nil && f[len(f)-1].GetString_().Sval == from {
			f[len(f)-1] = pg.MakeStrNode(to)
		}
	case *pg.IndexElem:
		if x.Name == from {
			x.Name = to
		}
	case *pg.Constraint:
		for _, l := range [][]*pg.Node{x.Keys, x.FkAttrs, x.Including} {
			for i, k := range l {
				if k.GetString_() != nil && k.GetString_().Sval == from {
					l[i] = pg.MakeStrNode(to)
				}
			}
		}
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			for i := 0; i < v.List().Len(); i++ {
				renameColumns(v.List().Get(i).Message(), from, to)
			}
		case fd.Message() != nil && !fd.IsMap():
			renameColumns(v.Message(), from, to)
		}
		return true
	})
}

func renameColumnInDef(kind normKind, def, from, to string) string {
	f := func(n *pg.Node) { renameColumns(n.ProtoReflect(), from, to) }
	if kind == nConstraint {
		return reDeparseConstraint(def, f)
	}
	return reDeparse(def, f)
}

// reDeparse parses a statement, lets f edit it, and prints it again; on any
// failure the text is returned unchanged.
func reDeparse(def string, f func(*pg.Node)) string {
	tree, err := pg.Parse(def)
	if err != nil || len(tree.Stmts) != 1 {
		return def
	}
	f(tree.Stmts[0].Stmt)
	out := deparse(tree.Stmts[0].Stmt)
	if out == "" {
		return def
	}
	return out
}

func reDeparseConstraint(def string, f func(*pg.Node)) string {
	const pre = "ALTER TABLE x ADD "
	out := reDeparse(pre+def, f)
	return strings.TrimPrefix(out, pre)
}

func rewriteIndexName(def, name string) string {
	return reDeparse(def, func(n *pg.Node) { n.GetIndexStmt().Idxname = name })
}

// setSchema is ALTER ... SET SCHEMA.
func (r *Replayer) setSchema(st *pg.AlterObjectSchemaStmt) {
	to := st.Newschema
	switch st.ObjectType {
	case pg.ObjectType_OBJECT_TABLE, pg.ObjectType_OBJECT_VIEW, pg.ObjectType_OBJECT_MATVIEW, pg.ObjectType_OBJECT_SEQUENCE:
		from := r.qn(st.Relation)
		nq := QName{Schema: to, Name: from.Name}
		if t := r.s.table(from.Schema, from.Name); t != nil {
			t.Schema = to
			r.moveRelation(from, nq)
			// Indexes and owned sequences move with the table.
			for i := range r.s.Indexes {
				if ix := &r.s.Indexes[i]; ix.Schema == from.Schema && ix.Table == nq.Name {
					old := QName{Schema: ix.Schema, Name: ix.Name}
					ix.Schema = to
					ix.Def = reDeparse(ix.Def, func(n *pg.Node) { n.GetIndexStmt().Relation.Schemaname = to })
					r.renameCommentTarget("INDEX", old.String(), QName{Schema: to, Name: ix.Name}.String())
				}
			}
			for i := range r.s.Sequences {
				sq := &r.s.Sequences[i]
				if sq.OwnedBy != nil && sq.OwnedBy.Schema == to && sq.OwnedBy.Table == nq.Name && sq.Schema == from.Schema {
					oldSeq := QName{Schema: sq.Schema, Name: sq.Name}
					sq.Schema = to
					r.moveRelation(oldSeq, QName{Schema: to, Name: sq.Name})
				}
			}
			return
		}
		for i := range r.s.Views {
			if v := &r.s.Views[i]; v.Schema == from.Schema && v.Name == from.Name {
				v.Schema = to
				r.moveRelation(from, nq)
				return
			}
		}
		for i := range r.s.Sequences {
			if sq := &r.s.Sequences[i]; sq.Schema == from.Schema && sq.Name == from.Name {
				sq.Schema = to
				r.moveRelation(from, nq)
				return
			}
		}
		r.skip("relation", from.String(), "SET SCHEMA of a relation the migrations never created")
	case pg.ObjectType_OBJECT_TYPE, pg.ObjectType_OBJECT_DOMAIN:
		names := strs(st.Object.GetList().GetItems())
		if len(names) == 0 {
			names = strs(st.Object.GetTypeName().GetNames())
		}
		from := r.qnames(names)
		moved := false
		for i := range r.s.Enums {
			if e := &r.s.Enums[i]; e.Schema == from.Schema && e.Name == from.Name {
				e.Schema, moved = to, true
			}
		}
		for i := range r.s.Domains {
			if d := &r.s.Domains[i]; d.Schema == from.Schema && d.Name == from.Name {
				d.Schema, moved = to, true
			}
		}
		for i := range r.s.Composites {
			if c := &r.s.Composites[i]; c.Schema == from.Schema && c.Name == from.Name {
				c.Schema, moved = to, true
			}
		}
		if !moved {
			r.skip("type", from.String(), "SET SCHEMA of a type the migrations never created")
			return
		}
		oldT, newT := from.String(), QName{Schema: to, Name: from.Name}.String()
		fix := func(typ string) string {
			if typ == oldT || typ == from.Name {
				return newT
			}
			if strings.HasPrefix(typ, oldT+"[") {
				return newT + strings.TrimPrefix(typ, oldT)
			}
			return typ
		}
		for i := range r.s.Tables {
			for j := range r.s.Tables[i].Columns {
				c := &r.s.Tables[i].Columns[j]
				c.Type = fix(c.Type)
			}
		}
		for i := range r.s.Composites {
			for j := range r.s.Composites[i].Attributes {
				a := &r.s.Composites[i].Attributes[j]
				a.Type = fix(a.Type)
			}
		}
		r.renameCommentTarget("TYPE", oldT, newT)
		r.renameCommentTarget("DOMAIN", oldT, newT)
	case pg.ObjectType_OBJECT_FUNCTION, pg.ObjectType_OBJECT_PROCEDURE:
		owa := st.Object.GetObjectWithArgs()
		from := r.qnames(strs(owa.Objname))
		types := r.argTypesOf(owa)
		for i := range r.s.Functions {
			f := &r.s.Functions[i]
			if f.Schema == from.Schema && f.Name == from.Name && (owa.ArgsUnspecified || normArgTypes(f.ArgTypes) == normArgTypes(types)) {
				oldSig := qualify(f.Schema, f.Name) + "(" + f.ArgTypes + ")"
				f.Schema = to
				f.Def = reDeparse(f.Def, func(n *pg.Node) {
					n.GetCreateFunctionStmt().Funcname = []*pg.Node{pg.MakeStrNode(to), pg.MakeStrNode(f.Name)}
				})
				r.renameCommentTarget(f.Kind, oldSig, qualify(f.Schema, f.Name)+"("+f.ArgTypes+")")
				return
			}
		}
		r.skip("function", from.String(), "SET SCHEMA of a function the migrations never created")
	default:
		r.skip("statement", "ALTER "+strings.TrimPrefix(st.ObjectType.String(), "OBJECT_")+" SET SCHEMA", "this kind of SET SCHEMA is not replayed")
	}
}

// moveRelation rewrites references to a relation that changed schema (or
// name): definitions, owning pointers, nextval defaults, comments.
func (r *Replayer) moveRelation(from, to QName) {
	r.use(to.Schema, to.Name)
	fix := func(def string) string {
		return reDeparse(def, func(n *pg.Node) { moveRangeVars(n.ProtoReflect(), from, to) })
	}
	for i := range r.s.Tables {
		t := &r.s.Tables[i]
		if t.PartitionOf != nil && *t.PartitionOf == from {
			*t.PartitionOf = to
		}
		for j := range t.Constraints {
			if t.Constraints[j].Kind == "f" {
				t.Constraints[j].Def = reDeparseConstraint(t.Constraints[j].Def, func(n *pg.Node) { moveRangeVars(n.ProtoReflect(), from, to) })
			}
		}
		for j := range t.Columns {
			c := &t.Columns[j]
			c.Default = strings.Replace(c.Default, quoteLiteral(from.String()), quoteLiteral(to.String()), 1)
		}
	}
	for i := range r.s.Triggers {
		if tr := &r.s.Triggers[i]; tr.Schema == from.Schema && tr.Table == from.Name {
			tr.Schema, tr.Table = to.Schema, to.Name
			tr.Def = fix(tr.Def)
		}
	}
	for i := range r.s.Policies {
		if p := &r.s.Policies[i]; p.Schema == from.Schema && p.Table == from.Name {
			p.Schema, p.Table = to.Schema, to.Name
		}
	}
	for i := range r.s.Views {
		v := &r.s.Views[i]
		v.Def = fix(v.Def)
		for j := range v.DependsOn {
			if v.DependsOn[j] == from {
				v.DependsOn[j] = to
			}
		}
	}
	for i := range r.s.Sequences {
		if o := r.s.Sequences[i].OwnedBy; o != nil && o.Schema == from.Schema && o.Table == from.Name {
			o.Schema, o.Table = to.Schema, to.Name
		}
	}
	f, t := from.String(), to.String()
	for i := range r.s.Comments {
		c := &r.s.Comments[i]
		switch {
		case c.Target == f:
			c.Target = t
		case strings.HasPrefix(c.Target, f+"."):
			c.Target = t + strings.TrimPrefix(c.Target, f)
		case strings.HasSuffix(c.Target, " ON "+f):
			c.Target = strings.TrimSuffix(c.Target, f) + t
		}
	}
}

func moveRangeVars(m protoreflect.Message, from, to QName) {
	if rv, ok := m.Interface().(*pg.RangeVar); ok {
		s := rv.Schemaname
		if s == "" {
			s = DefaultSchema
		}
		if s == from.Schema && rv.Relname == from.Name {
			rv.Schemaname, rv.Relname = to.Schema, to.Name
		}
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			for i := 0; i < v.List().Len(); i++ {
				moveRangeVars(v.List().Get(i).Message(), from, to)
			}
		case fd.Message() != nil && !fd.IsMap():
			moveRangeVars(v.Message(), from, to)
		}
		return true
	})
}
