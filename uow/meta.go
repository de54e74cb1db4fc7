package uow

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/ormshift/ormshift/uow/naming"
)

// RelationKind is the kind of a relation between two entities.
type RelationKind int

// Relation kinds, GORM's vocabulary.
const (
	BelongsTo  RelationKind = iota + 1 // this entity holds the foreign key (Version.Package)
	HasOne                             // the other entity holds the foreign key, one row
	HasMany                            // the other entity holds the foreign key, many rows (Package.Versions)
	ManyToMany                         // a join table holds both keys
)

func (k RelationKind) String() string {
	switch k {
	case BelongsTo:
		return "belongs-to"
	case HasOne:
		return "has-one"
	case HasMany:
		return "has-many"
	case ManyToMany:
		return "many-to-many"
	}
	return "unknown"
}

// Entity is the metadata of one entity type: its table, columns, keys and
// relations. It is read-only once Open returned.
type Entity struct {
	Name       string       // Go struct name ("Package")
	Type       reflect.Type // the struct type
	Table      string       // table name ("packages")
	Fields     []*Field     // columns, in struct order (embedded structs flattened)
	PrimaryKey []*Field     // primary key columns
	Version    *Field       // optimistic-locking version column (`uow:"version"`), or nil
	SoftDelete *Field       // a gorm.DeletedAt column, or nil: rows are soft-deleted and filtered out
	Relations  []*Relation

	byName   map[string]*Field // Go field name and column name -> field
	relByKey map[string]*Relation
	hasDeep  bool
	nDeep    int   // number of deep fields (snapshot.deep's length)
	pkPos    []int // positions of PrimaryKey in Fields
}

// Field is one column of an entity.
type Field struct {
	Name           string       // Go field name ("WeeklyDownloads")
	Column         string       // column name ("weekly_downloads")
	Index          []int        // reflect field index path from the entity struct
	Type           reflect.Type // Go type of the field
	PrimaryKey     bool
	Generated      bool   // the database generates the value (serial/identity key, or a default expression on a key)
	NotNull        bool   // `gorm:"not null"` or a non-nullable Go type
	Nullable       bool   // the Go type can hold NULL (pointer, sql.Null*, slice, map, Valuer struct with Valid)
	Unique         bool   // `gorm:"unique"` or `uniqueIndex`
	Default        string // `gorm:"default:..."` text, "" when none
	HasDefault     bool
	AutoCreateTime bool // set on insert when zero (CreatedAt)
	AutoUpdateTime bool // set on insert when zero and on every update (UpdatedAt)
	Version        bool
	JSON           bool // stored as json/jsonb (`gorm:"type:jsonb"`, `serializer:json`, or a map)
	ReadOnly       bool // `gorm:"->"`: never written

	defaultValue reflect.Value // parsed literal default, invalid when the default is an SQL expression
	unixTime     int           // for integer timestamps: 1 seconds, 2 milli, 3 nano
	settings     map[string]string
	deep         bool    // snapshot needs a deep copy (see needsDeepSnapshot)
	deepPos      int     // index in snapshot.deep, when deep
	offset       uintptr // from the entity's address (embedded structs are by value)
	dst          dstKind // scan destination kind (dstReflect: per row through reflect)
}

// Relation is a relation field of an entity.
type Relation struct {
	Name   string // Go field name ("Versions")
	Kind   RelationKind
	Index  []int        // reflect field index path
	Type   reflect.Type // field type ([]Version, *Package, ...)
	Owner  *Entity
	Target *Entity
	// ForeignKey are the columns holding the key: on Owner for belongs-to,
	// on Target for has-one/has-many. References are the referenced columns
	// (Target's for belongs-to, Owner's for has-*), same length.
	ForeignKey []*Field
	References []*Field
	// Many-to-many: the join table and its columns pointing at Owner
	// (JoinForeignKey, matching OwnerKey) and at Target (JoinReferences,
	// matching TargetKey).
	JoinTable      string
	JoinForeignKey []string
	JoinReferences []string
	OwnerKey       []*Field
	TargetKey      []*Field

	elemPtr  bool // slice of pointers ([]*Version) or pointer field (*Package)
	settings map[string]string
}

// Field looks a column up by Go field name or column name.
func (e *Entity) Field(name string) (*Field, bool) {
	f, ok := e.byName[name]
	return f, ok
}

// Relation looks a relation up by its Go field name (case-insensitive).
func (e *Entity) Relation(name string) (*Relation, bool) {
	r, ok := e.relByKey[strings.ToLower(name)]
	return r, ok
}

// Registry is the metadata of a set of entity types.
type Registry struct {
	byType map[reflect.Type]*Entity
	list   []*Entity
}

// Entities lists the registered entities in registration order (related
// entities found through relations follow the ones passed in).
func (r *Registry) Entities() []*Entity { return r.list }

// Lookup returns the metadata of an entity type; v may be a struct value, a
// pointer to one, a reflect.Type, or a slice of either.
func (r *Registry) Lookup(v any) (*Entity, error) {
	t, ok := v.(reflect.Type)
	if !ok {
		t = reflect.TypeOf(v)
	}
	if t == nil {
		return nil, fmt.Errorf("%w: nil", ErrUnknownEntity)
	}
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	e := r.byType[t]
	if e == nil {
		return nil, fmt.Errorf("%w: %s (pass it to uow.Open)", ErrUnknownEntity, t)
	}
	return e, nil
}

// Parse builds the metadata of the given entity types without a database:
// each argument is a struct value or pointer (&Package{}), or a
// reflect.Type. Entities reachable through relations are parsed too.
// Errors name the struct and field.
func Parse(entities ...any) (*Registry, error) {
	r := &Registry{byType: map[reflect.Type]*Entity{}}
	var queue []reflect.Type
	for _, v := range entities {
		t, ok := v.(reflect.Type)
		if !ok {
			t = reflect.TypeOf(v)
		}
		if t == nil {
			return nil, fmt.Errorf("uow: Parse: nil entity")
		}
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return nil, fmt.Errorf("uow: Parse: %s is not a struct", t)
		}
		queue = append(queue, t)
	}
	// Phase 1: columns of every entity, following relation fields.
	for len(queue) > 0 {
		t := queue[0]
		queue = queue[1:]
		if r.byType[t] != nil {
			continue
		}
		e, related, err := parseFields(t)
		if err != nil {
			return nil, err
		}
		r.byType[t] = e
		r.list = append(r.list, e)
		queue = append(queue, related...)
	}
	// Phase 2: relations, now that every entity's columns are known.
	for _, e := range r.list {
		if err := r.resolveRelations(e); err != nil {
			return nil, err
		}
	}
	return r, nil
}

var (
	timeType    = reflect.TypeOf(time.Time{})
	scannerType = reflect.TypeOf((*sql.Scanner)(nil)).Elem()
	valuerType  = reflect.TypeOf((*driver.Valuer)(nil)).Elem()
	rawMsgType  = reflect.TypeOf(json.RawMessage{})
	tablerType  = reflect.TypeOf((*interface{ TableName() string })(nil)).Elem()
)

// isValueType reports whether t is stored in one column as a whole (rather
// than being an embedded struct or a relation).
func isValueType(t reflect.Type) bool {
	if t == timeType || t == rawMsgType {
		return true
	}
	if t.Implements(valuerType) || reflect.PointerTo(t).Implements(scannerType) {
		return true
	}
	switch t.Kind() {
	case reflect.Pointer:
		return isValueType(t.Elem())
	case reflect.Struct:
		return false
	case reflect.Slice:
		e := t.Elem()
		if e.Kind() == reflect.Uint8 {
			return true
		}
		for e.Kind() == reflect.Pointer {
			e = e.Elem()
		}
		return e.Kind() != reflect.Struct || isValueType(e)
	}
	return true
}

type rawField struct {
	sf       reflect.StructField
	index    []int
	settings map[string]string
	uow      naming.UowTag
	depth    int
}

func parseFields(t reflect.Type) (*Entity, []reflect.Type, error) {
	e := &Entity{Name: t.Name(), Type: t, byName: map[string]*Field{}, relByKey: map[string]*Relation{}}
	if e.Name == "" {
		return nil, nil, fmt.Errorf("uow: anonymous struct types cannot be entities (%s)", t)
	}
	if reflect.PointerTo(t).Implements(tablerType) {
		tn, err := callTableName(t)
		if err != nil {
			return nil, nil, &MetadataError{Struct: e.Name, Msg: err.Error()}
		}
		e.Table = tn
	} else {
		e.Table = naming.TableName(e.Name)
	}
	var raws []rawField
	if err := collectFields(e.Name, t, nil, "", 0, &raws); err != nil {
		return nil, nil, err
	}
	var related []reflect.Type
	depthOf := map[string]int{}
	for _, rf := range raws {
		ft := rf.sf.Type
		if isRelationType(ft, rf.settings) {
			target := ft
			for target.Kind() == reflect.Pointer || target.Kind() == reflect.Slice {
				target = target.Elem()
			}
			if target.Name() == "" {
				return nil, nil, &MetadataError{Struct: e.Name, Field: rf.sf.Name, Msg: "relation to an anonymous struct type"}
			}
			rel := &Relation{Name: rf.sf.Name, Index: rf.index, Type: ft, Owner: e}
			rel.elemPtr = ft.Kind() == reflect.Pointer || (ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Pointer)
			rel.settings = rf.settings
			e.Relations = append(e.Relations, rel)
			e.relByKey[strings.ToLower(rel.Name)] = rel
			related = append(related, target)
			continue
		}
		f, err := newField(e, rf)
		if err != nil {
			return nil, nil, err
		}
		if prev, ok := e.byName[f.Column]; ok {
			pd := depthOf[f.Column]
			if pd == rf.depth {
				return nil, nil, &MetadataError{Struct: e.Name, Field: f.Name, Msg: fmt.Sprintf("column %q is also the column of field %s", f.Column, prev.Name)}
			}
			if pd < rf.depth {
				continue // the shallower field wins, as in Go's own selector rules
			}
			e.removeField(prev)
		}
		depthOf[f.Column] = rf.depth
		e.Fields = append(e.Fields, f)
		e.byName[f.Column] = f
		e.byName[f.Name] = f
	}
	// Primary key: tagged fields, else the field whose column is "id".
	for _, f := range e.Fields {
		if f.PrimaryKey {
			e.PrimaryKey = append(e.PrimaryKey, f)
		}
	}
	if len(e.PrimaryKey) == 0 {
		if f, ok := e.byName["id"]; ok {
			f.PrimaryKey = true
			e.PrimaryKey = []*Field{f}
		}
	}
	if len(e.PrimaryKey) == 0 {
		return nil, nil, &MetadataError{Struct: e.Name, Msg: "no primary key: add a field ID or tag one with `gorm:\"primaryKey\"`"}
	}
	if len(e.PrimaryKey) == 1 {
		pk := e.PrimaryKey[0]
		s := pk.settings
		if isIntKind(pk.Type.Kind()) {
			if v, ok := s["AUTOINCREMENT"]; !ok || !strings.EqualFold(v, "false") {
				pk.Generated = true
			}
		} else if pk.HasDefault && !pk.defaultValue.IsValid() {
			pk.Generated = true
		}
	}
	for _, pk := range e.PrimaryKey {
		e.pkPos = append(e.pkPos, fieldPos(e, pk))
	}
	for _, f := range e.Fields {
		st := t
		for _, i := range f.Index {
			sf := st.Field(i)
			f.offset += sf.Offset
			st = sf.Type
		}
		if !f.JSON {
			f.dst = plainKind(f.Type)
		}
	}
	for _, f := range e.Fields {
		f.deep = f.JSON || needsDeepSnapshot(f.Type)
		if f.deep {
			e.hasDeep = true
			f.deepPos = e.nDeep
			e.nDeep++
		}
		if f.Version {
			if e.Version != nil {
				return nil, nil, &MetadataError{Struct: e.Name, Field: f.Name, Msg: "second version field (first is " + e.Version.Name + ")"}
			}
			if !isIntKind(f.Type.Kind()) && f.Type != timeType {
				return nil, nil, &MetadataError{Struct: e.Name, Field: f.Name, Msg: "a version field must be an integer or time.Time, not " + f.Type.String()}
			}
			if f.PrimaryKey {
				return nil, nil, &MetadataError{Struct: e.Name, Field: f.Name, Msg: "the version field cannot be part of the primary key"}
			}
			e.Version = f
		}
		if f.Type.Name() == "DeletedAt" && f.Type.PkgPath() == "gorm.io/gorm" {
			e.SoftDelete = f
		}
	}
	return e, related, nil
}

func (e *Entity) removeField(f *Field) {
	for i, x := range e.Fields {
		if x == f {
			e.Fields = append(e.Fields[:i], e.Fields[i+1:]...)
			break
		}
	}
	for k, x := range e.byName {
		if x == f {
			delete(e.byName, k)
		}
	}
}

func callTableName(t reflect.Type) (name string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("TableName() panicked on a zero value: %v", r)
		}
	}()
	v := reflect.New(t).Interface().(interface{ TableName() string })
	name = v.TableName()
	if name == "" {
		return "", fmt.Errorf("TableName() returned an empty string")
	}
	return name, nil
}

func collectFields(structName string, t reflect.Type, index []int, prefix string, depth int, out *[]rawField) error {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		idx := append(append([]int(nil), index...), i)
		gtag, hasGorm := sf.Tag.Lookup("gorm")
		settings := naming.ParseTagSettings(gtag)
		ut := naming.ParseUowTag(sf.Tag.Get("uow"))
		if len(ut.Unknown) > 0 {
			return &MetadataError{Struct: structName, Field: sf.Name, Msg: fmt.Sprintf("unknown uow tag setting(s) %s", strings.Join(ut.Unknown, ", "))}
		}
		if ut.Ignore {
			continue
		}
		if hasGorm {
			if v, ok := settings["-"]; ok && (v == "-" || strings.EqualFold(v, "all")) {
				continue
			}
		}
		ft := sf.Type
		_, embeddedTag := settings["EMBEDDED"]
		if (sf.Anonymous || embeddedTag) && !isValueType(ft) {
			st := ft
			if st.Kind() == reflect.Pointer {
				return &MetadataError{Struct: structName, Field: sf.Name, Msg: "embedded pointer structs are not supported; embed the struct by value"}
			}
			if st.Kind() == reflect.Struct {
				if !sf.IsExported() && !sf.Anonymous {
					continue
				}
				if err := collectFields(structName, st, idx, prefix+settings["EMBEDDEDPREFIX"], depth+1, out); err != nil {
					return err
				}
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if prefix != "" {
			if _, ok := settings["COLUMN"]; !ok {
				settings["COLUMN"] = prefix + naming.ColumnName(sf.Name)
			}
		}
		*out = append(*out, rawField{sf: sf, index: idx, settings: settings, uow: ut, depth: depth})
	}
	return nil
}

func isRelationType(t reflect.Type, settings map[string]string) bool {
	if _, ok := settings["SERIALIZER"]; ok {
		return false
	}
	if typ := strings.ToLower(settings["TYPE"]); strings.HasPrefix(typ, "json") {
		return false
	}
	if _, ok := settings["MANY2MANY"]; ok {
		return true
	}
	return !isValueType(t)
}

func isIntKind(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

func isNullableType(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return true
	case reflect.Struct:
		if vf, ok := t.FieldByName("Valid"); ok && vf.Type.Kind() == reflect.Bool {
			return true
		}
	}
	return false
}

func newField(e *Entity, rf rawField) (*Field, error) {
	s := rf.settings
	f := &Field{Name: rf.sf.Name, Index: rf.index, Type: rf.sf.Type}
	f.Column = naming.ColumnName(f.Name)
	if c, ok := s["COLUMN"]; ok && c != "" {
		f.Column = c
	}
	f.PrimaryKey = naming.IsPrimaryKeyTag(s)
	_, notNull := s["NOT NULL"]
	_, notNull2 := s["NOTNULL"]
	f.Nullable = isNullableType(f.Type)
	f.NotNull = notNull || notNull2 || f.PrimaryKey
	_, u1 := s["UNIQUE"]
	_, u2 := s["UNIQUEINDEX"]
	f.Unique = u1 || u2
	if v, ok := s["<-"]; ok && strings.EqualFold(v, "false") {
		f.ReadOnly = true
	}
	if v, ok := s["->"]; ok && (v == "->" || strings.EqualFold(v, "true")) {
		if _, w := s["<-"]; !w {
			f.ReadOnly = true
		}
	}
	if _, ok := s["SERIALIZER"]; ok {
		f.JSON = true
	}
	if typ := strings.ToLower(s["TYPE"]); strings.HasPrefix(typ, "json") {
		f.JSON = true
	}
	if f.Type.Kind() == reflect.Map {
		f.JSON = true
	}
	if d, ok := s["DEFAULT"]; ok {
		f.HasDefault = true
		f.Default = d
		f.defaultValue = parseDefault(f.Type, d)
	}
	f.Version = rf.uow.Version
	base := f.Type
	if base.Kind() == reflect.Pointer {
		base = base.Elem()
	}
	timeLike := base == timeType || isIntKind(base.Kind())
	if v, ok := s["AUTOCREATETIME"]; ok || (f.Name == "CreatedAt" && timeLike) {
		if !strings.EqualFold(v, "false") && timeLike {
			f.AutoCreateTime = true
			f.unixTime = unixUnit(v)
		}
	}
	if v, ok := s["AUTOUPDATETIME"]; ok || (f.Name == "UpdatedAt" && timeLike) {
		if !strings.EqualFold(v, "false") && timeLike {
			f.AutoUpdateTime = true
			f.unixTime = unixUnit(v)
		}
	}
	if f.Column == "" {
		return nil, &MetadataError{Struct: e.Name, Field: f.Name, Msg: "empty column name"}
	}
	f.settings = s
	return f, nil
}

func unixUnit(v string) int {
	switch strings.ToLower(v) {
	case "milli":
		return 2
	case "nano":
		return 3
	}
	return 1
}

// parseDefault turns a literal default into a value of the field's type, as
// GORM does for DefaultValueInterface; an SQL expression (now(),
// gen_random_uuid()) gives an invalid Value.
func parseDefault(t reflect.Type, d string) reflect.Value {
	base := t
	if base.Kind() == reflect.Pointer {
		return reflect.Value{} // GORM never fills pointers from a default
	}
	d = strings.TrimSpace(d)
	if strings.EqualFold(d, "null") {
		return reflect.Value{}
	}
	v := reflect.New(base).Elem()
	switch base.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(d, 0, 64)
		if err != nil || v.OverflowInt(n) {
			return reflect.Value{}
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(d, 0, 64)
		if err != nil || v.OverflowUint(n) {
			return reflect.Value{}
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		n, err := strconv.ParseFloat(d, 64)
		if err != nil {
			return reflect.Value{}
		}
		v.SetFloat(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(d)
		if err != nil {
			return reflect.Value{}
		}
		v.SetBool(b)
	case reflect.String:
		if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
			v.SetString(strings.ReplaceAll(d[1:len(d)-1], "''", "'"))
		} else if isPlainWord(d) {
			v.SetString(d)
		} else {
			return reflect.Value{}
		}
	default:
		return reflect.Value{}
	}
	return v
}

func isPlainWord(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		ok := r == '_' || r == '-' || r == ' ' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !ok {
			return false
		}
	}
	return !strings.Contains(s, "(")
}

// lookUpField finds a field by Go name or column name.
func (e *Entity) lookUpField(name string) *Field {
	return e.byName[name]
}

func (r *Registry) resolveRelations(e *Entity) error {
	for _, rel := range e.Relations {
		s := rel.settings
		target := rel.Type
		for target.Kind() == reflect.Pointer || target.Kind() == reflect.Slice {
			target = target.Elem()
		}
		rel.Target = r.byType[target]
		if rel.Target == nil {
			return &MetadataError{Struct: e.Name, Field: rel.Name, Msg: "relation target " + target.String() + " is not an entity"}
		}
		if _, ok := s["POLYMORPHIC"]; ok {
			return &MetadataError{Struct: e.Name, Field: rel.Name, Msg: "polymorphic relations are not supported; tag the field `gorm:\"-\"` and load it explicitly"}
		}
		fks := naming.TagColumns(s["FOREIGNKEY"])
		refs := naming.TagColumns(s["REFERENCES"])
		isSlice := rel.Type.Kind() == reflect.Slice
		if jt, ok := s["MANY2MANY"]; ok {
			if !isSlice {
				return &MetadataError{Struct: e.Name, Field: rel.Name, Msg: "many2many needs a slice field"}
			}
			if err := resolveMany2Many(e, rel, jt, fks, refs, s); err != nil {
				return err
			}
			continue
		}
		var err error
		if isSlice {
			err = guessRel(e, rel, HasMany, fks, refs)
		} else {
			_, belongsTag := s["BELONGSTO"]
			if rel.Target == e || belongsTag {
				err = guessRel(e, rel, BelongsTo, fks, refs)
				if err != nil && !belongsTag {
					err = guessRel(e, rel, HasOne, fks, refs)
				}
			} else {
				err = guessRel(e, rel, HasOne, fks, refs)
				if err != nil {
					err = guessRel(e, rel, BelongsTo, fks, refs)
				}
			}
		}
		if err != nil {
			return &MetadataError{Struct: e.Name, Field: rel.Name, Msg: "cannot find the foreign key of this relation (" + err.Error() + "); add `gorm:\"foreignKey:...\"`, or `gorm:\"-\"` if it is not a relation"}
		}
	}
	return nil
}

// guessRel resolves a relation as GORM's guessRelation does for one guess
// level (belongs-to or has-one/has-many).
func guessRel(e *Entity, rel *Relation, kind RelationKind, fks, refs []string) error {
	primary, foreign := e, rel.Target // has: the target holds the key
	if kind == BelongsTo {
		primary, foreign = rel.Target, e
	}
	var pfs, ffs []*Field
	if len(fks) > 0 {
		for _, name := range fks {
			f := foreign.lookUpField(name)
			if f == nil {
				return fmt.Errorf("%s has no field %s", foreign.Name, name)
			}
			ffs = append(ffs, f)
		}
		if len(refs) > 0 {
			for _, name := range refs {
				f := primary.lookUpField(name)
				if f == nil {
					return fmt.Errorf("%s has no field %s", primary.Name, name)
				}
				pfs = append(pfs, f)
			}
		} else {
			pfs = primary.PrimaryKey
		}
	} else {
		cands := primary.PrimaryKey
		if len(refs) > 0 {
			cands = nil
			for _, name := range refs {
				f := primary.lookUpField(name)
				if f == nil {
					return fmt.Errorf("%s has no field %s", primary.Name, name)
				}
				cands = append(cands, f)
			}
		}
		for _, pf := range cands {
			var names []string
			if kind == BelongsTo {
				names = naming.BelongsToForeignKeyCandidates(rel.Name, pf.Name)
			} else {
				names = naming.HasForeignKeyCandidates(primary.Name, pf.Name)
			}
			if len(cands) > 1 {
				names = names[:1]
			} else {
				names = append(names, naming.ColumnName(strings.TrimSuffix(names[0], pf.Name)+"ID"))
			}
			for _, n := range names {
				if f := foreign.lookUpField(n); f != nil {
					ffs = append(ffs, f)
					pfs = append(pfs, pf)
					break
				}
			}
		}
	}
	if len(ffs) == 0 {
		return fmt.Errorf("no %s foreign key found on %s", kind, foreign.Name)
	}
	if len(ffs) != len(pfs) {
		return fmt.Errorf("foreign key has %d columns but the references have %d", len(ffs), len(pfs))
	}
	if kind == HasOne && rel.Type.Kind() == reflect.Slice {
		kind = HasMany
	}
	rel.Kind = kind
	rel.ForeignKey = ffs
	rel.References = pfs
	return nil
}

func resolveMany2Many(e *Entity, rel *Relation, joinTable string, fks, refs []string, s map[string]string) error {
	rel.Kind = ManyToMany
	rel.JoinTable = naming.JoinTableName(joinTable)
	own := e.PrimaryKey
	if len(fks) > 0 {
		own = nil
		for _, n := range fks {
			f := e.lookUpField(n)
			if f == nil {
				return &MetadataError{Struct: e.Name, Field: rel.Name, Msg: "foreignKey names unknown field " + n}
			}
			own = append(own, f)
		}
	}
	tgt := rel.Target.PrimaryKey
	if len(refs) > 0 {
		tgt = nil
		for _, n := range refs {
			f := rel.Target.lookUpField(n)
			if f == nil {
				return &MetadataError{Struct: e.Name, Field: rel.Name, Msg: "references names unknown field " + n + " of " + rel.Target.Name}
			}
			tgt = append(tgt, f)
		}
	}
	jfks := naming.TagColumns(s["JOINFOREIGNKEY"])
	jrefs := naming.TagColumns(s["JOINREFERENCES"])
	ownNames := map[string]bool{}
	for i, f := range own {
		n := e.Name + f.Name
		if i < len(jfks) {
			n = jfks[i]
		}
		ownNames[n] = true
		rel.JoinForeignKey = append(rel.JoinForeignKey, naming.ColumnName(n))
	}
	for i, f := range tgt {
		n := rel.Target.Name + f.Name
		if i < len(jrefs) {
			n = jrefs[i]
		} else if ownNames[n] {
			n = singular(rel.Name) + f.Name
		}
		rel.JoinReferences = append(rel.JoinReferences, naming.ColumnName(n))
	}
	rel.OwnerKey = own
	rel.TargetKey = tgt
	return nil
}

func singular(s string) string {
	// GORM uses inflection.Singular here; naming.TableName pluralises with
	// the same library, so go through it to stay consistent.
	return naming.Singular(s)
}
