// Package uow is a signature stub of github.com/ormshift/ormshift/uow.
package uow

import "context"

type EntityManager struct{}

type QueryOption interface{}

func FromContext(ctx context.Context) *EntityManager { return nil }

func Find[T any](ctx context.Context, em *EntityManager, opts ...QueryOption) ([]*T, error) {
	return nil, nil
}

func FindOneOrFail[T any](ctx context.Context, em *EntityManager, opts ...QueryOption) (*T, error) {
	return nil, nil
}

func (em *EntityManager) Persist(entities ...any) error   { return nil }
func (em *EntityManager) Flush(ctx context.Context) error { return nil }
func (em *EntityManager) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	return 0, nil
}
