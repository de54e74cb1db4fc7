package uow

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"reflect"
	"time"
)

// snapshot is an entity's column values at load or last flush: a copy of
// the struct (one allocation, enough for plain columns) plus deep copies of
// the columns an in-place edit could change behind the copy's back
// (pointers, slices, maps, JSON).
type snapshot struct {
	v    reflect.Value // addressable copy of the entity struct
	deep []any         // the deep fields' copies, by Field.deepPos
}

// takeSnapshot records the state of every column of v.
func takeSnapshot(meta *Entity, v reflect.Value) *snapshot {
	return takeSnapshotIn(nil, meta, v)
}

// takeSnapshotIn is takeSnapshot allocating from a (nil: one allocation
// per object).
func takeSnapshotIn(a *allocator, meta *Entity, v reflect.Value) *snapshot {
	var s *snapshot
	if a != nil {
		s = a.snapshot()
		s.v = a.new(meta, 0)
	} else {
		s = &snapshot{v: reflect.New(meta.Type).Elem()}
	}
	s.v.Set(v)
	if meta.hasDeep {
		if a != nil {
			s.deep = a.anySlice(meta.nDeep)
		} else {
			s.deep = make([]any, meta.nDeep)
		}
		for _, f := range meta.Fields {
			if f.deep {
				s.deep[f.deepPos] = snapValue(f, v.FieldByIndex(f.Index))
			}
		}
	}
	return s
}

// retake records v again in s (same entity type).
func (s *snapshot) retake(meta *Entity, v reflect.Value) {
	s.v.Set(v)
	if meta.hasDeep {
		for _, f := range meta.Fields {
			if f.deep {
				s.deep[f.deepPos] = snapValue(f, v.FieldByIndex(f.Index))
			}
		}
	}
}

// value returns the snapshot value of a column.
func (s *snapshot) value(f *Field) any { return s.v.FieldByIndex(f.Index).Interface() }

// changed reports whether field f of the entity value cur
// differs from the snapshot.
func (s *snapshot) changed(f *Field, cur reflect.Value) bool {
	b := cur.FieldByIndex(f.Index)
	if f.deep {
		return !equalSnap(s.deep[f.deepPos], snapValue(f, b))
	}
	a := s.v.FieldByIndex(f.Index)
	switch a.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() != b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return a.Uint() != b.Uint()
	case reflect.Float32, reflect.Float64:
		return a.Float() != b.Float()
	case reflect.Bool:
		return a.Bool() != b.Bool()
	case reflect.String:
		return a.String() != b.String()
	}
	if a.Type() == timeType {
		if a.CanAddr() && b.CanAddr() { // through pointers: no boxing of 24 bytes
			return !a.Addr().Interface().(*time.Time).Equal(*b.Addr().Interface().(*time.Time))
		}
		return !a.Interface().(time.Time).Equal(b.Interface().(time.Time))
	}
	if a.Type().Comparable() && a.Equal(b) {
		return false
	}
	// Different representations may hold the same value: sql.NullTime or
	// gorm.DeletedAt of one instant in two locations. Compare what is
	// written to the database.
	return !equalSnap(snapValue(f, a), snapValue(f, b))
}

// needsDeepSnapshot reports whether a column of type t can change in place
// (through a pointer, slice or map) without the field itself changing.
func needsDeepSnapshot(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return true
	case reflect.Struct, reflect.Array:
		return !t.Comparable()
	}
	return false
}

type snapErr struct{ err string }

// snapValue turns a field value into a self-contained value that later
// edits of the entity cannot alias (slices and pointers are copied).
func snapValue(f *Field, fv reflect.Value) any {
	if f.JSON {
		b, err := json.Marshal(fv.Interface())
		if err != nil {
			return snapErr{err.Error()}
		}
		return string(b)
	}
	if fv.Kind() == reflect.Pointer {
		if fv.IsNil() {
			return nil
		}
		return snapValue(f, fv.Elem())
	}
	if fv.Type() == timeType {
		return fv.Interface()
	}
	if fv.Type().Implements(valuerType) {
		dv, err := fv.Interface().(driver.Valuer).Value()
		if err != nil {
			return snapErr{err.Error()}
		}
		if b, ok := dv.([]byte); ok {
			return append([]byte(nil), b...)
		}
		return dv
	}
	switch fv.Kind() {
	case reflect.Slice:
		if fv.IsNil() {
			return nil
		}
		if fv.Type().Elem().Kind() == reflect.Uint8 {
			return append([]byte(nil), fv.Bytes()...)
		}
		return deepCopy(fv).Interface()
	case reflect.Map:
		if fv.IsNil() {
			return nil
		}
		return deepCopy(fv).Interface()
	}
	return fv.Interface()
}

func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			out.Index(i).Set(deepCopy(v.Index(i)))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		it := v.MapRange()
		for it.Next() {
			out.SetMapIndex(it.Key(), deepCopy(it.Value()))
		}
		return out
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type().Elem())
		out.Elem().Set(deepCopy(v.Elem()))
		return out
	}
	return v
}

// equalSnap compares two snapshot values.
func equalSnap(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	if ba, ok := a.([]byte); ok {
		bb, ok := b.([]byte)
		return ok && bytes.Equal(ba, bb) && (ba == nil) == (bb == nil)
	}
	if _, ok := a.(snapErr); ok {
		return false
	}
	return reflect.DeepEqual(a, b)
}

// fieldArg is the value bound for a field in a statement: JSON fields are
// sent as their JSON text, the rest as is (pgx encodes pointers, Valuers,
// slices).
func fieldArg(f *Field, fv reflect.Value) (any, error) {
	if f.JSON {
		if fv.Kind() == reflect.Pointer || fv.Kind() == reflect.Map || fv.Kind() == reflect.Slice {
			if fv.IsNil() {
				return nil, nil
			}
		}
		b, err := json.Marshal(fv.Interface())
		if err != nil {
			return nil, fmt.Errorf("field %s: encode JSON: %w", f.Name, err)
		}
		return string(b), nil
	}
	return fv.Interface(), nil
}
