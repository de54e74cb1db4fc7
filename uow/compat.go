package uow

import (
	"fmt"
	"reflect"
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
}

func (f condFilter) applyQuery(q *query) { q.where = append(q.where, f) }

func (f condFilter) build(c *sqlCtx) (string, error) {
	omit, err := f.omit()
	if err != nil {
		return "", err
	}
	if omit {
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
