package injectcases

import (
	"context"
	"database/sql"
	"net/http"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	jgorm "github.com/jinzhu/gorm"
	"github.com/jmoiron/sqlx"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

func Drivers(ctx context.Context, r *http.Request, db *sql.DB, tx *sql.Tx, x *sqlx.DB, conn *pgx.Conn, pool *pgxpool.Pool, ptx pgx.Tx) {
	name := r.FormValue("name")
	db.Query("SELECT * FROM users WHERE name = '" + name + "'")      // want `SQL injection: r.FormValue\("name"\) \(via \+\) reaches \(\*sql.DB\).Query, which sends it to the database as SQL text`
	db.Query("SELECT * FROM users WHERE name = $1", name)            // ok
	tx.ExecContext(ctx, "DELETE FROM users WHERE name = '"+name+"'") // want `reaches \(\*sql.Tx\).ExecContext`
	db.Prepare("SELECT * FROM " + name)                              // want `reaches \(\*sql.DB\).Prepare`
	var users []User
	x.Select(&users, "SELECT * FROM users ORDER BY "+name)                        // want `reaches \(\*sqlx.DB\).Select`
	x.Get(&users, "SELECT * FROM users WHERE name = $1", name)                    // ok
	x.NamedExec("UPDATE users SET "+name+" = :v", map[string]interface{}{"v": 1}) // want `reaches \(\*sqlx.DB\).NamedExec`
	x.Query("SELECT * FROM users WHERE name = '" + name + "'")                    // want `reaches \(\*sql.DB\).Query`
	sqlx.Select(x, &users, "SELECT * FROM "+name)                                 // want `reaches sqlx.Select`
	conn.Query(ctx, "SELECT * FROM users WHERE name = '"+name+"'")                // want `reaches \(\*pgx.Conn\).Query`
	pool.Exec(ctx, "DELETE FROM "+name)                                           // want `reaches \(\*pgxpool.Pool\).Exec`
	ptx.QueryRow(ctx, "SELECT * FROM "+name)                                      // want `reaches \(pgx.Tx\).QueryRow`
	b := &pgx.Batch{}
	b.Queue("INSERT INTO t VALUES ('" + name + "')")             // want `reaches \(\*pgx.Batch\).Queue`
	b.Queue("INSERT INTO t VALUES ($1)", name)                   // ok
	conn.Query(ctx, "SELECT * FROM users WHERE name = $1", name) // ok
}

func GormExtras(r *http.Request, db *gorm.DB, v1 *jgorm.DB) {
	var users []User
	q := r.FormValue("q")
	db.Model(&User{}).Update("name", gorm.Expr("upper("+q+")")) // want `reaches gorm.Expr`
	db.Where(clause.Expr{SQL: "name = " + q}).Find(&users)      // want `reaches clause.Expr\{SQL: ...\}`
	db.First(&users, "name = '"+q+"'")                          // want `reaches \(\*gorm.DB\).First`
	db.First(&users, "name = ?", q)                             // ok
	db.Pluck(q, &users)                                         // want `reaches \(\*gorm.DB\).Pluck`
	v1.Order(q).Find(&users)                                    // want `reaches \(\*gorm.DB\).Order, which inserts it as raw SQL unless it looks like a column name`
	v1.Where("name = ?", q).Find(&users)                        // ok
	v1.Raw("SELECT * FROM users WHERE name = '" + q + "'")      // want `reaches \(\*gorm.DB\).Raw`
}
