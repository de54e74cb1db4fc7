package injectfixes

import (
	"context"
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

type User struct{ Name string }

func Fixes(ctx context.Context, db *gorm.DB, conn *pgx.Conn, r *http.Request) {
	var users []User
	name := r.FormValue("name")
	db.Where("name = '" + name + "'").Find(&users)                                        // want `SQL injection`
	db.Where(fmt.Sprintf("name LIKE '%%%s%%' AND deleted_at IS NULL", name)).Find(&users) // want `SQL injection`
	db.Raw("SELECT * FROM users WHERE name = " + name).Scan(&users)                       // want `SQL injection`
	db.Order(r.URL.Query().Get("sort")).Find(&users)                                      // want `SQL injection`
	db.Order(name + " DESC").Find(&users)                                                 // want `SQL injection`
	conn.Query(ctx, "SELECT * FROM users WHERE id = $1 AND name = '"+name+"'", 7)         // want `SQL injection`
	db.Where("name = '"+name+"' AND age > ?", 18).Find(&users)                            // want `SQL injection`
}
