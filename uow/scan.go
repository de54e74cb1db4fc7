package uow

import (
	"reflect"
	"time"
	"unsafe"

	"github.com/jackc/pgx/v5/pgtype"
)

// Scan destinations for fields of plain Go types (int, string, time.Time,
// ...), which cannot hold NULL: like GORM, a NULL reads as the zero value
// instead of failing the query. Each is one pointer wide, so boxing it in
// an interface does not allocate; the pointer is the field's address, so
// named types (type Status int) work too.

type (
	intDst    struct{ p *int }
	int64Dst  struct{ p *int64 }
	int32Dst  struct{ p *int32 }
	int16Dst  struct{ p *int16 }
	int8Dst   struct{ p *int8 }
	uintDst   struct{ p *uint }
	uint64Dst struct{ p *uint64 }
	uint32Dst struct{ p *uint32 }
	uint16Dst struct{ p *uint16 }
	uint8Dst  struct{ p *uint8 }
	f64Dst    struct{ p *float64 }
	f32Dst    struct{ p *float32 }
	boolDst   struct{ p *bool }
	strDst    struct{ p *string }
	timeDst   struct{ p *time.Time }
)

func (d intDst) ScanInt64(v pgtype.Int8) error    { *d.p = int(v.Int64); return nil }
func (d int64Dst) ScanInt64(v pgtype.Int8) error  { *d.p = v.Int64; return nil }
func (d int32Dst) ScanInt64(v pgtype.Int8) error  { *d.p = int32(v.Int64); return nil }
func (d int16Dst) ScanInt64(v pgtype.Int8) error  { *d.p = int16(v.Int64); return nil }
func (d int8Dst) ScanInt64(v pgtype.Int8) error   { *d.p = int8(v.Int64); return nil }
func (d uintDst) ScanInt64(v pgtype.Int8) error   { *d.p = uint(v.Int64); return nil }
func (d uint64Dst) ScanInt64(v pgtype.Int8) error { *d.p = uint64(v.Int64); return nil }
func (d uint32Dst) ScanInt64(v pgtype.Int8) error { *d.p = uint32(v.Int64); return nil }
func (d uint16Dst) ScanInt64(v pgtype.Int8) error { *d.p = uint16(v.Int64); return nil }
func (d uint8Dst) ScanInt64(v pgtype.Int8) error  { *d.p = uint8(v.Int64); return nil }
func (d f64Dst) ScanFloat64(v pgtype.Float8) error {
	*d.p = v.Float64
	return nil
}
func (d f32Dst) ScanFloat64(v pgtype.Float8) error {
	*d.p = float32(v.Float64)
	return nil
}
func (d boolDst) ScanBool(v pgtype.Bool) error { *d.p = v.Bool; return nil }
func (d strDst) ScanText(v pgtype.Text) error  { *d.p = v.String; return nil }
func (d timeDst) ScanTimestamptz(v pgtype.Timestamptz) error {
	if !v.Valid || v.InfinityModifier != pgtype.Finite {
		*d.p = time.Time{}
		return nil
	}
	*d.p = v.Time
	return nil
}
func (d timeDst) ScanTimestamp(v pgtype.Timestamp) error {
	if !v.Valid || v.InfinityModifier != pgtype.Finite {
		*d.p = time.Time{}
		return nil
	}
	*d.p = v.Time
	return nil
}
func (d timeDst) ScanDate(v pgtype.Date) error {
	if !v.Valid || v.InfinityModifier != pgtype.Finite {
		*d.p = time.Time{}
		return nil
	}
	*d.p = v.Time
	return nil
}

// plainDst returns a NULL-tolerant scan destination for a field of a plain
// kind, or nil when the field is scanned directly. fv must be addressable.
//
// The field's address is converted to a pointer to its underlying kind
// (*Status to *int for `type Status int`): the types have the same memory
// layout, the pointer comes from reflect.Value.UnsafePointer (so no uintptr
// is ever held), and it stays a typed pointer into the entity, which keeps
// the entity alive. reflect could do the same only through Convert and
// Interface per field and row.
func plainDst(fv reflect.Value) any {
	t := fv.Type()
	if t == timeType {
		return timeDst{(*time.Time)(fv.Addr().UnsafePointer())}
	}
	if t.PkgPath() != "" && (reflect.PointerTo(t).Implements(scannerType) || t.Implements(scannerType)) {
		return nil // a named type with its own Scan
	}
	p := fv.Addr().UnsafePointer()
	switch t.Kind() {
	case reflect.Int:
		return intDst{(*int)(p)}
	case reflect.Int64:
		return int64Dst{(*int64)(p)}
	case reflect.Int32:
		return int32Dst{(*int32)(p)}
	case reflect.Int16:
		return int16Dst{(*int16)(p)}
	case reflect.Int8:
		return int8Dst{(*int8)(p)}
	case reflect.Uint:
		return uintDst{(*uint)(p)}
	case reflect.Uint64:
		return uint64Dst{(*uint64)(p)}
	case reflect.Uint32:
		return uint32Dst{(*uint32)(p)}
	case reflect.Uint16:
		return uint16Dst{(*uint16)(p)}
	case reflect.Uint8:
		return uint8Dst{(*uint8)(p)}
	case reflect.Float64:
		return f64Dst{(*float64)(p)}
	case reflect.Float32:
		return f32Dst{(*float32)(p)}
	case reflect.Bool:
		return boolDst{(*bool)(p)}
	case reflect.String:
		return strDst{(*string)(p)}
	}
	return nil
}

// dstKind says which scan destination plainDst would build for a field,
// computed once per field (see Entity.scanKinds) so that loading a row
// needs no reflection for plain fields.
type dstKind uint8

const (
	dstReflect dstKind = iota // JSON, pointers, Scanners...: built per row through reflect
	dstInt
	dstInt64
	dstInt32
	dstInt16
	dstInt8
	dstUint
	dstUint64
	dstUint32
	dstUint16
	dstUint8
	dstF64
	dstF32
	dstBool
	dstStr
	dstTime
)

// plainKind is plainDst's decision for a field type, without a value.
func plainKind(t reflect.Type) dstKind {
	if t == timeType {
		return dstTime
	}
	if t.PkgPath() != "" && (reflect.PointerTo(t).Implements(scannerType) || t.Implements(scannerType)) {
		return dstReflect
	}
	switch t.Kind() {
	case reflect.Int:
		return dstInt
	case reflect.Int64:
		return dstInt64
	case reflect.Int32:
		return dstInt32
	case reflect.Int16:
		return dstInt16
	case reflect.Int8:
		return dstInt8
	case reflect.Uint:
		return dstUint
	case reflect.Uint64:
		return dstUint64
	case reflect.Uint32:
		return dstUint32
	case reflect.Uint16:
		return dstUint16
	case reflect.Uint8:
		return dstUint8
	case reflect.Float64:
		return dstF64
	case reflect.Float32:
		return dstF32
	case reflect.Bool:
		return dstBool
	case reflect.String:
		return dstStr
	}
	return dstReflect
}

// dstAt builds the scan destination of kind k for the field at p (its
// address: the entity's address plus the field's offset, see
// Field.offset).
func dstAt(k dstKind, p unsafe.Pointer) any {
	switch k {
	case dstInt:
		return intDst{(*int)(p)}
	case dstInt64:
		return int64Dst{(*int64)(p)}
	case dstInt32:
		return int32Dst{(*int32)(p)}
	case dstInt16:
		return int16Dst{(*int16)(p)}
	case dstInt8:
		return int8Dst{(*int8)(p)}
	case dstUint:
		return uintDst{(*uint)(p)}
	case dstUint64:
		return uint64Dst{(*uint64)(p)}
	case dstUint32:
		return uint32Dst{(*uint32)(p)}
	case dstUint16:
		return uint16Dst{(*uint16)(p)}
	case dstUint8:
		return uint8Dst{(*uint8)(p)}
	case dstF64:
		return f64Dst{(*float64)(p)}
	case dstF32:
		return f32Dst{(*float32)(p)}
	case dstBool:
		return boolDst{(*bool)(p)}
	case dstStr:
		return strDst{(*string)(p)}
	case dstTime:
		return timeDst{(*time.Time)(p)}
	}
	return nil
}
