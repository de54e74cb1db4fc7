package uow

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Raw runs a raw SQL query with $n parameters and scans every row into a
// T, a plain struct, by column name (pgx.RowToStructByNameLax: a field
// matches a column by its `db:"..."` tag or, case-insensitively, its name
// with or without underscores; columns without a field are an error, fields
// without a column stay zero). Results are not entities: nothing is
// tracked. Use it for reports and for what the typed API cannot say; pass
// every value as a parameter, never by string concatenation.
func Raw[T any](ctx context.Context, em *EntityManager, sql string, args ...any) ([]T, error) {
	if err := em.usable(); err != nil {
		return nil, err
	}
	rows, err := em.executor().Query(ctx, sql, args...)
	if err != nil {
		return nil, em.orm.dbError("Raw", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByNameLax[T])
	if err != nil {
		return nil, em.orm.dbError("Raw", err)
	}
	return out, nil
}
