// Package injectuow: converted code must not bring the injection back
// through the runtime's raw SQL escape hatch.
package injectuow

import (
	"net/http"

	"github.com/ormshift/ormshift/uow"
)

type Row struct{ Name string }

func Handler(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	em := uow.FromContext(ctx)
	name := r.URL.Query().Get("name")
	em.Exec(ctx, "DELETE FROM users WHERE name = '"+name+"'")               // want `SQL injection: r.URL.Query\(\).Get\("name"\) \(via \+\) reaches \(\*uow.EntityManager\).Exec`
	uow.Raw[Row](ctx, em, "SELECT name FROM users WHERE name = '"+name+"'") // want `SQL injection: .* reaches uow.Raw`
	em.Exec(ctx, "DELETE FROM users WHERE name = $1", name)
	uow.Raw[Row](ctx, em, "SELECT name FROM users WHERE name = $1", name)
}
