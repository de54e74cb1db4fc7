// Package uow is a stub of ormshift's runtime with the signatures of its
// raw SQL escape hatch (uow/em.go Exec, uow/raw.go Raw).
package uow

import "context"

type EntityManager struct{}

func (em *EntityManager) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	return 0, nil
}

func Raw[T any](ctx context.Context, em *EntityManager, sql string, args ...any) ([]T, error) {
	return nil, nil
}

func FromContext(ctx context.Context) *EntityManager { return nil }
