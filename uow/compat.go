package uow

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Options and filters with GORM v2's run-time semantics, for code converted
// from GORM (ormshift rewrite) whose arguments are only known at run time.
// Hand-written code should use Limit, Offset, In and Eq.

// LimitExactly is GORM's Limit(n): n >= 0 returns at most n rows (0: none,
// the query still runs), n < 0 means no limit. Limit(0) means no limit.
func LimitExactly(n int) QueryOption {
	return optFunc(func(q *query) {
		switch {
		case n > 0:
			q.limit = n
		case n == 0:
			q.limit = 0
			q.where = append(q.where, Or())
		default:
			q.limit = 0
		}
	})
}

// OffsetIfPositive is GORM's Offset(n): n > 0 skips the first n rows, n <= 0
// skips none (Offset rejects a negative n).
func OffsetIfPositive(n int) QueryOption {
	return optFunc(func(q *query) {
		if n > 0 {
			q.offset = n
		} else {
			q.offset = 0
		}
	})
}

// condFilter is a filter that GORM leaves out of the query at run time.
type condFilter struct {
	f    Filter
	omit func() (bool, error)
	// omitSQL is the condition written when the filter is omitted:
	// TRUE ("" ) where it is ANDed, FALSE where it is an OR operand.
	omitSQL string
}

func (f condFilter) applyQuery(q *query) { q.where = append(q.where, f) }

func (f condFilter) build(c *sqlCtx) (string, error) {
	omit, err := f.omit()
	if err != nil {
		return "", err
	}
	if omit {
		if f.omitSQL != "" {
			return f.omitSQL, nil
		}
		return "TRUE", nil
	}
	return f.f.build(c)
}

// InUnlessEmpty is In(field, values) when values has elements and matches
// every row when it is empty or nil: GORM's Find(&rows, ids) and
// Where(ids) with a slice of keys drop the condition when the slice is
// empty. Use it only where the filter is ANDed with the others.
func InUnlessEmpty(field string, values any) Filter {
	return condFilter{f: In(field, values), omit: func() (bool, error) {
		rv := reflect.ValueOf(values)
		if !rv.IsValid() {
			return true, nil
		}
		if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
			return false, fmt.Errorf("uow: InUnlessEmpty(%q): want a slice of values, got %T", field, values)
		}
		return rv.Len() == 0, nil
	}}
}

// EqUnlessZero is Eq(field, value) when value is not its type's zero value
// (reflect's IsZero, the test GORM applies) and matches every row when it
// is: a GORM struct condition (Where(T{Name: name})) leaves zero-valued
// fields out of the query. Use it only where the filter is ANDed with the
// others.
func EqUnlessZero(field string, value any) Filter {
	return condFilter{f: Eq(field, value), omit: func() (bool, error) {
		rv := reflect.ValueOf(value)
		return !rv.IsValid() || rv.IsZero(), nil
	}}
}

// Assignment is one column = value of ExecUpdates.
type Assignment struct {
	column   string
	value    any
	skipZero bool
}

// Set assigns value to column.
func Set(column string, value any) Assignment { return Assignment{column: column, value: value} }

// SetUnlessZero assigns value to column unless value is its type's zero
// value (reflect's IsZero): GORM's Updates with a struct leaves its
// zero-valued fields out of the SET list.
func SetUnlessZero(column string, value any) Assignment {
	return Assignment{column: column, value: value, skipZero: true}
}

// ExecUpdates runs GORM's Updates(struct) statement: UPDATE table SET the
// assignments that are kept, in order, WHERE where. where and whereArgs
// use the parameters $1..$n; the assignments' values are bound after them.
// When no assignment is kept, nothing runs and the result is 0, nil, as
// with GORM. It returns the number of rows updated.
func ExecUpdates(ctx context.Context, em *EntityManager, table, where string, whereArgs []any, sets ...Assignment) (int64, error) {
	if strings.TrimSpace(where) == "" {
		return 0, errors.New("uow: ExecUpdates: empty WHERE (a global update is refused)")
	}
	var b strings.Builder
	args := append([]any(nil), whereArgs...)
	for _, a := range sets {
		if a.column == "" {
			return 0, errors.New("uow: ExecUpdates: assignment without a column")
		}
		if a.skipZero {
			if rv := reflect.ValueOf(a.value); !rv.IsValid() || rv.IsZero() {
				continue
			}
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		args = append(args, a.value)
		b.WriteString(pgx.Identifier{a.column}.Sanitize() + "=$" + strconv.Itoa(len(args)))
	}
	if b.Len() == 0 {
		return 0, nil
	}
	sql := "UPDATE " + pgx.Identifier(strings.Split(table, ".")).Sanitize() + " SET " + b.String() + " WHERE " + where
	// em.Exec's error already names the statement.
	return em.Exec(ctx, sql, args...)
}

// PreloadHasMany is GORM's Preload(relation, conds...) of a has-many
// relation for dest, a *P or a *[]P of plain struct values (not managed
// entities): one Find[C] of the children whose foreign key is one of the
// parents' non-zero keys, with opts added (the Preload's conditions and
// order); then each parent's relation field is set to a new empty slice
// and the children are appended to their parents as copies, in the order
// found (callbacks/preload.go). No parent with a key: no query, and the
// fields are left as they are, as with GORM.
func PreloadHasMany[C any](ctx context.Context, em *EntityManager, dest any, relation string, opts ...QueryOption) error {
	if err := em.usable(); err != nil {
		return err
	}
	rv := reflect.ValueOf(dest)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("uow: PreloadHasMany(%q): want a pointer to a struct or a slice of structs, got %T", relation, dest)
	}
	rv = rv.Elem()
	var parents []reflect.Value
	switch {
	case rv.Kind() == reflect.Struct:
		parents = []reflect.Value{rv}
	case rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Struct:
		for i := 0; i < rv.Len(); i++ {
			parents = append(parents, rv.Index(i))
		}
	default:
		return fmt.Errorf("uow: PreloadHasMany(%q): want a pointer to a struct or a slice of structs, got %T", relation, dest)
	}
	meta, err := em.orm.reg.Lookup(rv.Type())
	if err != nil {
		return fmt.Errorf("uow: PreloadHasMany: %w", err)
	}
	rel, ok := meta.Relation(relation)
	var zero C
	if !ok || rel.Kind != HasMany || rel.elemPtr || len(rel.ForeignKey) != 1 || rel.Target.Type != reflect.TypeOf(zero) {
		return fmt.Errorf("uow: PreloadHasMany: %s.%s is not a has-many relation to %T with a single foreign key held by value", meta.Name, relation, zero)
	}
	ref, fk := rel.References[0], rel.ForeignKey[0]
	keyOf := func(v reflect.Value) (string, bool) {
		v = reflect.Indirect(v)
		if !v.IsValid() || v.IsZero() {
			return "", false
		}
		return fmt.Sprint(v.Interface()), true
	}
	byKey := map[string][]int{}
	keys := reflect.MakeSlice(reflect.SliceOf(ref.Type), 0, len(parents))
	for i, p := range parents {
		kv := p.FieldByIndex(ref.Index)
		k, ok := keyOf(kv)
		if !ok {
			continue
		}
		if _, seen := byKey[k]; !seen {
			keys = reflect.Append(keys, kv)
		}
		byKey[k] = append(byKey[k], i)
	}
	if keys.Len() == 0 {
		return nil
	}
	children, err := Find[C](ctx, em, append([]QueryOption{In(fk.Column, keys.Interface())}, opts...)...)
	if err != nil {
		return err
	}
	for _, p := range parents {
		p.FieldByIndex(rel.Index).Set(reflect.MakeSlice(rel.Type, 0, 10))
	}
	for _, c := range children {
		cv := reflect.ValueOf(c).Elem()
		k, _ := keyOf(cv.FieldByIndex(fk.Index))
		idx, ok := byKey[k]
		if !ok {
			return fmt.Errorf("uow: PreloadHasMany: %s row with %s = %s has no parent", rel.Target.Name, fk.Column, k)
		}
		for _, i := range idx {
			f := parents[i].FieldByIndex(rel.Index)
			f.Set(reflect.Append(f, cv))
		}
	}
	return nil
}

// EqUnlessZeroElseNone is Eq(field, value) when value is not its type's
// zero value and matches no row when it is: the last operand of a GORM
// Or(T{Field: v}) that GORM drops when v is zero. A OR (no row) is A, in
// SQL's three-valued logic too. Use it only as the last operand of an Or
// whose other operand is the rest of the chain's conditions.
func EqUnlessZeroElseNone(field string, value any) Filter {
	return condFilter{f: Eq(field, value), omit: func() (bool, error) {
		rv := reflect.ValueOf(value)
		return !rv.IsValid() || rv.IsZero(), nil
	}, omitSQL: "FALSE"}
}
