package dualrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// CompareOption configures Equal.
type CompareOption func(*cmpOpts)

type cmpOpts struct {
	ignoreOrder bool
	floatTol    float64
	timePrec    time.Duration
	ignore      map[string]bool
	maxDiffs    int
	entities    bool
	noRelations bool
	columns     ColumnsFunc
}

// IgnoreOrder compares slices and arrays as multisets: the same elements in
// any order are equal.
func IgnoreOrder() CompareOption { return func(o *cmpOpts) { o.ignoreOrder = true } }

// FloatTolerance makes floats equal when they differ by at most eps.
func FloatTolerance(eps float64) CompareOption {
	return func(o *cmpOpts) { o.floatTol = math.Abs(eps) }
}

// TimePrecision truncates times to d before comparing them (PostgreSQL keeps
// microseconds, Go nanoseconds; a path that round-trips a time through the
// database differs from one that does not). Times are always compared as
// instants, whatever their location.
func TimePrecision(d time.Duration) CompareOption { return func(o *cmpOpts) { o.timePrec = d } }

// IgnoreFields skips fields by name wherever they occur: a Go field name
// ("UpdatedAt"), a column name in entity mode ("updated_at"), or a qualified
// "Type.Field" / "table.column".
func IgnoreFields(names ...string) CompareOption {
	return func(o *cmpOpts) {
		if o.ignore == nil {
			o.ignore = map[string]bool{}
		}
		for _, n := range names {
			o.ignore[n] = true
		}
	}
}

// MaxDiffs sets how many differences a diff lists (default 10); the rest are
// counted.
func MaxDiffs(n int) CompareOption {
	return func(o *cmpOpts) {
		if n > 0 {
			o.maxDiffs = n
		}
	}
}

// Entities compares entity structs as rows: maps from column name to value,
// using the entity metadata rules (GORM-compatible tags and naming). Two
// values of different Go types (a GORM model and a runtime entity, a
// []Package and a []*Package) are equal when their rows are. Relation
// fields both types have are compared as rows too (see NoRelations).
func Entities() CompareOption { return func(o *cmpOpts) { o.entities = true } }

// NoRelations leaves relation fields (Package.Versions, Version.Package) out
// of entity comparison; by default a relation both types have is compared,
// row by row, so a missing or extra preloaded row is a difference.
func NoRelations() CompareOption { return func(o *cmpOpts) { o.noRelations = true } }

// WithColumns sets the function that maps an entity type to its columns in
// entity mode (default: DefaultColumns).
func WithColumns(f ColumnsFunc) CompareOption {
	return func(o *cmpOpts) {
		o.entities = true
		o.columns = f
	}
}

func buildOpts(opts []CompareOption) *cmpOpts {
	o := &cmpOpts{maxDiffs: 10}
	for _, f := range opts {
		if f != nil {
			f(o)
		}
	}
	if o.entities && o.columns == nil {
		o.columns = DefaultColumns
	}
	return o
}

// Equal returns a Comparer doing a deep comparison of Go values: pointers are
// followed (a *T and a T holding equal values are equal), structs are
// compared field by field (exported fields), maps key by key, and numbers by
// value whatever their Go type. The diff lists the first differences with
// their paths.
func Equal[T any](opts ...CompareOption) Comparer[T] {
	o := buildOpts(opts)
	return func(a, b T) (bool, string) {
		return Diff(a, b, o)
	}
}

// Diff compares two values of any type with the options of Equal.
func Diff(a, b any, opts ...any) (bool, string) {
	var o *cmpOpts
	var list []CompareOption
	for _, x := range opts {
		switch v := x.(type) {
		case *cmpOpts:
			o = v
		case CompareOption:
			list = append(list, v)
		}
	}
	if o == nil {
		o = buildOpts(list)
	}
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	// Equal values (the common case) are confirmed without building paths;
	// only a difference pays for a second, descriptive pass.
	q := &differ{o: o, quiet: true}
	q.cmp("", va, vb)
	if q.n == 0 {
		return true, ""
	}
	d := &differ{o: o, max: o.maxDiffs}
	d.cmp("", va, vb)
	if d.n == 0 { // cannot happen: both passes compare the same way
		return false, "values differ"
	}
	return false, d.String()
}

type differ struct {
	o     *cmpOpts
	max   int // 0: only count
	diffs []string
	n     int
	quiet bool // no paths, stop at the first difference
}

// done reports whether a quiet comparison already found a difference.
func (d *differ) done() bool { return d.quiet && d.n > 0 }

func (d *differ) field(path, name string) string {
	if d.quiet {
		return ""
	}
	return path + "." + name
}

func (d *differ) index(path string, i int) string {
	if d.quiet {
		return ""
	}
	return path + "[" + strconv.Itoa(i) + "]"
}

func (d *differ) key(path, k string) string {
	if d.quiet {
		return ""
	}
	return path + "[" + k + "]"
}

func (d *differ) add(path, format string, args ...any) {
	d.n++
	if !d.quiet && len(d.diffs) < d.max {
		if path == "" {
			path = "(value)"
		}
		d.diffs = append(d.diffs, path+": "+fmt.Sprintf(format, args...))
	}
}

func (d *differ) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d difference(s)", d.n)
	if d.n > len(d.diffs) {
		fmt.Fprintf(&b, ", first %d", len(d.diffs))
	}
	b.WriteString(":\n")
	for _, s := range d.diffs {
		b.WriteString("  ")
		b.WriteString(s)
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n")
}

// equalQuiet reports whether a and b are equal without recording diffs.
func (d *differ) equalQuiet(a, b reflect.Value) bool {
	q := &differ{o: d.o, quiet: true}
	q.cmp("", a, b)
	return q.n == 0
}

var (
	timeType  = reflect.TypeOf(time.Time{})
	bytesType = reflect.TypeOf([]byte(nil))
)

// deref follows pointers and interfaces; nil reports a nil pointer or
// interface on the way.
func deref(v reflect.Value) (reflect.Value, bool) {
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		if v.IsNil() {
			return v, true
		}
		v = v.Elem()
	}
	return v, !v.IsValid()
}

func (d *differ) cmp(path string, a, b reflect.Value) {
	a, anil := deref(a)
	b, bnil := deref(b)
	switch {
	case anil && bnil:
		return
	case anil:
		d.add(path, "control nil, candidate %s", show(b))
		return
	case bnil:
		d.add(path, "control %s, candidate nil", show(a))
		return
	}
	if a.Type() == timeType || b.Type() == timeType {
		d.cmpTime(path, a, b)
		return
	}
	if d.o.entities {
		if ra, ok := d.row(a); ok {
			if rb, ok := d.row(b); ok {
				d.cmpRows(path, ra, rb)
				return
			}
		}
	}
	if isNumber(a.Kind()) && isNumber(b.Kind()) {
		d.cmpNumber(path, a, b)
		return
	}
	if a.Kind() != b.Kind() {
		d.add(path, "control %s (%s), candidate %s (%s)", show(a), a.Type(), show(b), b.Type())
		return
	}
	switch a.Kind() {
	case reflect.Struct:
		d.cmpStruct(path, a, b)
	case reflect.Map:
		d.cmpMap(path, a, b)
	case reflect.Slice, reflect.Array:
		if a.Type() == bytesType && b.Type() == bytesType {
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				d.add(path, "control %s, candidate %s", show(a), show(b))
			}
			return
		}
		if ra, ok := d.keyedRows(a); ok {
			if rb, ok := d.keyedRows(b); ok {
				d.cmpKeyed(path, ra, rb, d.o.ignoreOrder)
				return
			}
		}
		if d.o.ignoreOrder {
			d.cmpBag(path, a, b)
		} else {
			d.cmpList(path, a, b)
		}
	case reflect.String:
		if a.String() != b.String() {
			d.add(path, "control %s, candidate %s", show(a), show(b))
		}
	case reflect.Bool:
		if a.Bool() != b.Bool() {
			d.add(path, "control %v, candidate %v", a.Bool(), b.Bool())
		}
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		// Not data: not compared.
	default:
		if a.CanInterface() && b.CanInterface() && !reflect.DeepEqual(a.Interface(), b.Interface()) {
			d.add(path, "control %s, candidate %s", show(a), show(b))
		}
	}
}

func isNumber(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

func isFloat(k reflect.Kind) bool { return k == reflect.Float32 || k == reflect.Float64 }

func (d *differ) cmpNumber(path string, a, b reflect.Value) {
	if isFloat(a.Kind()) || isFloat(b.Kind()) {
		x, y := toFloat(a), toFloat(b)
		if x == y || (math.IsNaN(x) && math.IsNaN(y)) || math.Abs(x-y) <= d.o.floatTol {
			return
		}
		d.add(path, "control %v, candidate %v", x, y)
		return
	}
	var same bool
	switch {
	case a.CanInt() && b.CanInt():
		same = a.Int() == b.Int()
	case a.CanUint() && b.CanUint():
		same = a.Uint() == b.Uint()
	case a.CanInt():
		same = a.Int() >= 0 && uint64(a.Int()) == b.Uint()
	default:
		same = b.Int() >= 0 && uint64(b.Int()) == a.Uint()
	}
	if !same {
		d.add(path, "control %v, candidate %v", a.Interface(), b.Interface())
	}
}

func toFloat(v reflect.Value) float64 {
	switch {
	case isFloat(v.Kind()):
		return v.Float()
	case v.CanInt():
		return float64(v.Int())
	default:
		return float64(v.Uint())
	}
}

func (d *differ) cmpTime(path string, a, b reflect.Value) {
	ta, oka := a.Interface().(time.Time)
	tb, okb := b.Interface().(time.Time)
	if !oka || !okb {
		d.add(path, "control %s, candidate %s", show(a), show(b))
		return
	}
	if d.o.timePrec > 0 {
		ta, tb = ta.Truncate(d.o.timePrec), tb.Truncate(d.o.timePrec)
	}
	if !ta.Equal(tb) {
		d.add(path, "control %s, candidate %s", ta.Format(time.RFC3339Nano), tb.Format(time.RFC3339Nano))
	}
}

func (d *differ) skip(typeName, field string) bool {
	if len(d.o.ignore) == 0 {
		return false
	}
	return d.o.ignore[field] || (typeName != "" && d.o.ignore[typeName+"."+field])
}

func (d *differ) cmpStruct(path string, a, b reflect.Value) {
	ta, tb := a.Type(), b.Type()
	names := []string{}
	seen := map[string]bool{}
	for _, t := range []reflect.Type{ta, tb} {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || seen[f.Name] {
				continue
			}
			seen[f.Name] = true
			names = append(names, f.Name)
		}
	}
	if len(names) == 0 {
		// Opaque value (no exported fields): compare what it prints.
		if a.CanInterface() && b.CanInterface() && fmt.Sprint(a.Interface()) != fmt.Sprint(b.Interface()) {
			d.add(path, "control %s, candidate %s", show(a), show(b))
		}
		return
	}
	for _, n := range names {
		if d.skip(ta.Name(), n) || d.skip(tb.Name(), n) {
			continue
		}
		if d.done() {
			return
		}
		fa, fb := a.FieldByName(n), b.FieldByName(n)
		p := d.field(path, n)
		switch {
		case !fa.IsValid():
			d.add(p, "missing in control, candidate %s", show(fb))
		case !fb.IsValid():
			d.add(p, "control %s, missing in candidate", show(fa))
		default:
			d.cmp(p, fa, fb)
		}
	}
}

func (d *differ) cmpMap(path string, a, b reflect.Value) {
	keys := map[string]reflect.Value{}
	for _, m := range []reflect.Value{a, b} {
		for _, k := range m.MapKeys() {
			keys[fmt.Sprint(k.Interface())] = k
		}
	}
	ks := make([]string, 0, len(keys))
	for k := range keys {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, s := range ks {
		if d.skip("", s) {
			continue
		}
		if d.done() {
			return
		}
		k := keys[s]
		va, vb := mapIndex(a, k), mapIndex(b, k)
		p := d.key(path, s)
		switch {
		case !va.IsValid():
			d.add(p, "missing in control, candidate %s", show(vb))
		case !vb.IsValid():
			d.add(p, "control %s, missing in candidate", show(va))
		default:
			d.cmp(p, va, vb)
		}
	}
}

func mapIndex(m, k reflect.Value) reflect.Value {
	if !k.Type().AssignableTo(m.Type().Key()) {
		if !k.Type().ConvertibleTo(m.Type().Key()) {
			return reflect.Value{}
		}
		k = k.Convert(m.Type().Key())
	}
	return m.MapIndex(k)
}

func (d *differ) cmpList(path string, a, b reflect.Value) {
	n := min(a.Len(), b.Len())
	if a.Len() != b.Len() {
		d.add(path, "control has %d element(s), candidate %d", a.Len(), b.Len())
	}
	if d.done() {
		return
	}
	for i := 0; i < n && !d.done(); i++ {
		d.cmp(d.index(path, i), a.Index(i), b.Index(i))
	}
	if d.quiet {
		return
	}
	for i := n; i < a.Len(); i++ {
		d.add(d.index(path, i), "control %s, missing in candidate", show(a.Index(i)))
	}
	for i := n; i < b.Len(); i++ {
		d.add(d.index(path, i), "missing in control, candidate %s", show(b.Index(i)))
	}
}

// cmpBag matches every control element with an equal, not yet matched
// candidate element.
func (d *differ) cmpBag(path string, a, b reflect.Value) {
	used := make([]bool, b.Len())
	var missing []int
	for i := 0; i < a.Len(); i++ {
		found := false
		for j := 0; j < b.Len(); j++ {
			if !used[j] && d.equalQuiet(a.Index(i), b.Index(j)) {
				used[j], found = true, true
				break
			}
		}
		if !found {
			missing = append(missing, i)
		}
	}
	if a.Len() != b.Len() {
		d.add(path, "control has %d element(s), candidate %d (order ignored)", a.Len(), b.Len())
	}
	for _, i := range missing {
		d.add(d.index(path, i), "control %s, no equal element in candidate", show(a.Index(i)))
	}
	for j, u := range used {
		if !u {
			d.add(d.index(path, j), "candidate %s, no equal element in control", show(b.Index(j)))
		}
	}
}

// show renders a value briefly for a diff line.
func show(v reflect.Value) string {
	v, isNil := deref(v)
	if isNil {
		return "nil"
	}
	if !v.CanInterface() {
		return "<" + v.Type().String() + ">"
	}
	x := v.Interface()
	var s string
	switch t := x.(type) {
	case time.Time:
		s = t.Format(time.RFC3339Nano)
	case string:
		s = fmt.Sprintf("%q", t)
	case json.Number:
		s = t.String()
	case []byte:
		s = fmt.Sprintf("%x", t)
	default:
		s = fmt.Sprintf("%+v", x)
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// deepCopy copies v so that later mutations of v's pointed-to data by the
// caller do not show in the copy (used for concurrent experiments, where
// the control's value is compared after it was returned). Unexported fields
// are copied shallowly.
func deepCopy[T any](v T) T {
	rv := reflect.ValueOf(&v).Elem()
	out := reflect.New(rv.Type()).Elem()
	copyValue(out, rv, 0)
	return out.Interface().(T)
}

func copyValue(dst, src reflect.Value, depth int) {
	if depth > 64 {
		dst.Set(src)
		return
	}
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		p := reflect.New(src.Elem().Type())
		copyValue(p.Elem(), src.Elem(), depth+1)
		dst.Set(p)
	case reflect.Interface:
		if src.IsNil() {
			return
		}
		e := reflect.New(src.Elem().Type()).Elem()
		copyValue(e, src.Elem(), depth+1)
		dst.Set(e)
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := 0; i < src.Len(); i++ {
			copyValue(s.Index(i), src.Index(i), depth+1)
		}
		dst.Set(s)
	case reflect.Map:
		if src.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		it := src.MapRange()
		for it.Next() {
			e := reflect.New(src.Type().Elem()).Elem()
			copyValue(e, it.Value(), depth+1)
			m.SetMapIndex(it.Key(), e)
		}
		dst.Set(m)
	case reflect.Struct:
		dst.Set(src) // copies unexported fields shallowly
		for i := 0; i < src.NumField(); i++ {
			if dst.Field(i).CanSet() {
				copyValue(dst.Field(i), src.Field(i), depth+1)
			}
		}
	case reflect.Array:
		for i := 0; i < src.Len(); i++ {
			copyValue(dst.Index(i), src.Index(i), depth+1)
		}
	default:
		if dst.CanSet() {
			dst.Set(src)
		}
	}
}

// Map adapts a candidate returning U into one returning T (for example a
// []*Package from the runtime into the []Package the control returns).
func Map[T, U any](f Func[U], conv func(U) T) Func[T] {
	return func(ctx context.Context) (T, error) {
		u, err := f(ctx)
		if err != nil {
			var zero T
			return zero, err
		}
		return conv(u), nil
	}
}
