package uow

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// Value sources for COPY: pointer-sized views of an entity field that pgx
// encodes through its pgtype valuer interfaces. Boxing one in an interface
// does not allocate, and pgx needs no wrapper of its own, where binding the
// field's value (fv.Interface()) costs an allocation for the box and often
// another for pgx's wrapper. They mirror the scan destinations of scan.go.

type (
	intSrc[T int | int8 | int16 | int32 | int64 | uint8 | uint16 | uint32] struct{ p *T }
	uintSrc[T uint | uint64]                                               struct{ p *T }
	floatSrc[T float32 | float64]                                          struct{ p *T }
	strSrc                                                                 struct{ p *string }
	strPtrSrc                                                              struct{ p **string }
	timeSrc                                                                struct{ p *time.Time }
	timePtrSrc                                                             struct{ p **time.Time }
)

func (s intSrc[T]) Int64Value() (pgtype.Int8, error) {
	return pgtype.Int8{Int64: int64(*s.p), Valid: true}, nil
}

func (s uintSrc[T]) Int64Value() (pgtype.Int8, error) {
	if uint64(*s.p) > math.MaxInt64 {
		return pgtype.Int8{}, fmt.Errorf("%d is greater than the maximum value of a bigint", *s.p)
	}
	return pgtype.Int8{Int64: int64(*s.p), Valid: true}, nil
}

func (s floatSrc[T]) Float64Value() (pgtype.Float8, error) {
	return pgtype.Float8{Float64: float64(*s.p), Valid: true}, nil
}

func (s strSrc) TextValue() (pgtype.Text, error) { return pgtype.Text{String: *s.p, Valid: true}, nil }

func (s strPtrSrc) TextValue() (pgtype.Text, error) {
	if *s.p == nil {
		return pgtype.Text{}, nil
	}
	return pgtype.Text{String: **s.p, Valid: true}, nil
}

func (s timeSrc) TimestamptzValue() (pgtype.Timestamptz, error) {
	return pgtype.Timestamptz{Time: *s.p, Valid: true}, nil
}

func (s timeSrc) TimestampValue() (pgtype.Timestamp, error) {
	return pgtype.Timestamp{Time: *s.p, Valid: true}, nil
}

func (s timeSrc) DateValue() (pgtype.Date, error) { return pgtype.Date{Time: *s.p, Valid: true}, nil }

func (s timePtrSrc) TimestamptzValue() (pgtype.Timestamptz, error) {
	if *s.p == nil {
		return pgtype.Timestamptz{}, nil
	}
	return pgtype.Timestamptz{Time: **s.p, Valid: true}, nil
}

func (s timePtrSrc) TimestampValue() (pgtype.Timestamp, error) {
	if *s.p == nil {
		return pgtype.Timestamp{}, nil
	}
	return pgtype.Timestamp{Time: **s.p, Valid: true}, nil
}

func (s timePtrSrc) DateValue() (pgtype.Date, error) {
	if *s.p == nil {
		return pgtype.Date{}, nil
	}
	return pgtype.Date{Time: **s.p, Valid: true}, nil
}

// valueSource returns how to bind field f for a column of SQL type colType
// (format_type's spelling) without allocating, or nil when the field is
// bound as fieldArg does: JSON, Valuer types, and type pairs the sources
// above do not cover (a string into a uuid column, ...).
func valueSource(f *Field, colType string) func(fv reflect.Value) any {
	t := f.Type
	if f.JSON || t.Implements(valuerType) || reflect.PointerTo(t).Implements(valuerType) {
		return nil
	}
	var (
		isTime = strings.HasPrefix(colType, "timestamp") || colType == "date"
		isInt  = colType == "bigint" || colType == "integer" || colType == "smallint" || strings.HasPrefix(colType, "numeric")
		isText = colType == "text" || strings.HasPrefix(colType, "character")
		isFlt  = colType == "double precision" || colType == "real"
	)
	if t.Kind() == reflect.Pointer {
		e := t.Elem()
		if e.Implements(valuerType) || reflect.PointerTo(e).Implements(valuerType) {
			return nil
		}
		switch {
		case e == timeType && isTime:
			return func(fv reflect.Value) any { return timePtrSrc{(**time.Time)(fv.Addr().UnsafePointer())} }
		case e.Kind() == reflect.String && isText:
			return func(fv reflect.Value) any { return strPtrSrc{(**string)(fv.Addr().UnsafePointer())} }
		}
		return nil
	}
	if t == timeType {
		if isTime {
			return func(fv reflect.Value) any { return timeSrc{(*time.Time)(fv.Addr().UnsafePointer())} }
		}
		return nil
	}
	switch t.Kind() {
	case reflect.String:
		if isText {
			return func(fv reflect.Value) any { return strSrc{(*string)(fv.Addr().UnsafePointer())} }
		}
	case reflect.Int:
		if isInt {
			return func(fv reflect.Value) any { return intSrc[int]{(*int)(fv.Addr().UnsafePointer())} }
		}
	case reflect.Int64:
		if isInt {
			return func(fv reflect.Value) any { return intSrc[int64]{(*int64)(fv.Addr().UnsafePointer())} }
		}
	case reflect.Int32:
		if isInt {
			return func(fv reflect.Value) any { return intSrc[int32]{(*int32)(fv.Addr().UnsafePointer())} }
		}
	case reflect.Int16:
		if isInt {
			return func(fv reflect.Value) any { return intSrc[int16]{(*int16)(fv.Addr().UnsafePointer())} }
		}
	case reflect.Int8:
		if isInt {
			return func(fv reflect.Value) any { return intSrc[int8]{(*int8)(fv.Addr().UnsafePointer())} }
		}
	case reflect.Uint32:
		if isInt {
			return func(fv reflect.Value) any { return intSrc[uint32]{(*uint32)(fv.Addr().UnsafePointer())} }
		}
	case reflect.Uint16:
		if isInt {
			return func(fv reflect.Value) any { return intSrc[uint16]{(*uint16)(fv.Addr().UnsafePointer())} }
		}
	case reflect.Uint8:
		if isInt {
			return func(fv reflect.Value) any { return intSrc[uint8]{(*uint8)(fv.Addr().UnsafePointer())} }
		}
	case reflect.Uint:
		if isInt {
			return func(fv reflect.Value) any { return uintSrc[uint]{(*uint)(fv.Addr().UnsafePointer())} }
		}
	case reflect.Uint64:
		if isInt {
			return func(fv reflect.Value) any { return uintSrc[uint64]{(*uint64)(fv.Addr().UnsafePointer())} }
		}
	case reflect.Float64:
		if isFlt {
			return func(fv reflect.Value) any { return floatSrc[float64]{(*float64)(fv.Addr().UnsafePointer())} }
		}
	case reflect.Float32:
		if isFlt {
			return func(fv reflect.Value) any { return floatSrc[float32]{(*float32)(fv.Addr().UnsafePointer())} }
		}
	}
	return nil
}

// srcArray is a PostgreSQL array parameter (pgtype.ArrayGetter) whose
// elements are the value sources of field f of vals: pgx encodes it
// without boxing an element, where a []time.Time or []uint costs it one or
// two allocations per element. The elements are read when pgx encodes the
// batch, which the flush sends right after building it, before anything
// can change the values.
type srcArray struct {
	f    *Field
	vals []reflect.Value
	src  func(reflect.Value) any
}

var _ pgtype.ArrayGetter = (*srcArray)(nil)

func (a *srcArray) Dimensions() []pgtype.ArrayDimension {
	return []pgtype.ArrayDimension{{Length: int32(len(a.vals)), LowerBound: 1}}
}

func (a *srcArray) Index(i int) any { return a.src(a.vals[i].FieldByIndex(a.f.Index)) }

// IndexType is a value of the element type, for pgx's plan: the source of
// a zero value of the field.
func (a *srcArray) IndexType() any { return a.src(reflect.New(a.f.Type).Elem()) }
