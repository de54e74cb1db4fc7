package sqlcheckcases

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	jgorm "github.com/jinzhu/gorm"
	"github.com/jmoiron/sqlx"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

type User struct {
	ID   uint
	Name string
}

func gormCases(db *gorm.DB, name string, ids []int, args []interface{}) {
	var users []User
	db.Where("name = ? AND age > ?", name, 18).Find(&users)                                 // ok
	db.Where("name = ? AND AND age > ?", name, 18).Find(&users)                             // want `invalid SQL condition in \(\*gorm.DB\).Where: syntax error at or near "AND" \(at 1:14\): "name = \? AND AND age > \?"`
	db.Where("name = ? AND age > ?", name).Find(&users)                                     // want `2 placeholders \(\?\) but 1 argument in \(\*gorm.DB\).Where`
	db.Where("id IN ?", ids).Find(&users)                                                   // ok: a slice fills one ?
	db.Where("id IN (?)", ids).Find(&users)                                                 // ok
	db.Where("name = ? AND age > ?", args...).Find(&users)                                  // ok: forwarded args of unknown length
	db.Where("name", name).Find(&users)                                                     // ok: a lone column is clause.Eq
	db.Where("42").Find(&users)                                                             // ok: primary key
	db.Where("name = @name", sql.Named("name", name)).Find(&users)                          // ok
	db.Where("name = @name OR nick = @nick", sql.Named("name", name)).Find(&users)          // want `named 1 parameter @nick not given`
	db.Where("data ?? 'k' AND id = ?", 1).Find(&users)                                      // ok: ?? is the jsonb operator
	db.Order("created_at DESC, id").Find(&users)                                            // ok
	db.Order("created_at DESCC").Find(&users)                                               // want `invalid SQL order by list in \(\*gorm.DB\).Order: syntax error at or near "DESCC" \(at 1:12\)`
	db.Group("name").Find(&users)                                                           // ok: identifier
	db.Group("date_trunc('day', created_at").Find(&users)                                   // want `invalid SQL group by list`
	db.Select("id, lower(name) AS n").Find(&users)                                          // ok
	db.Select("id", "name").Find(&users)                                                    // ok: more columns, not values
	db.Select("id,, name").Find(&users)                                                     // want `invalid SQL select list`
	db.Joins("Company").Find(&users)                                                        // ok: association
	db.Joins("LEFT JOIN orders o ON o.user_id = users.id AND o.total > ?", 10).Find(&users) // ok
	db.Joins("LEFT JOIN orders o ON").Find(&users)                                          // want `invalid SQL join clause`
	db.Table("users u").Find(&users)                                                        // ok
	db.Table("(?) AS u", db.Model(&User{})).Find(&users)                                    // ok: subquery
	db.Where("amount > (?)", db.Table("orders")).Find(&users)                               // ok: subquery
	db.Raw("SELECT * FROM users WHERE id = ?", 1).Scan(&users)                              // ok
	db.Raw("SELECT * FROM users WHERE id = ? AND name = ?", 1).Scan(&users)                 // want `2 placeholders \(\?\) but 1 argument in \(\*gorm.DB\).Raw`
	db.Raw("SELECT * FROM users WHERE id = '?'", 1).Scan(&users)                            // want `0 placeholders \(\?\) but 1 argument`
	db.Exec("UPDATE users SET name = ? WHERE id = ?", name, 1)                              // ok
	db.Exec("UPDATE users SET name = ? WHER id = ?", name, 1)                               // want `invalid SQL statement in \(\*gorm.DB\).Exec: syntax error at or near "WHER"`
	db.Where("1=1; DROP TABLE users").Find(&users)                                          // want `invalid SQL condition.*must not end the statement`
	db.Model(&User{}).Where("id = ?", 1).Update("name", gorm.Expr("upper(name) || ?", "x")) // ok
	db.Model(&User{}).Update("name", gorm.Expr("upper(name ||", "x"))                       // want `invalid SQL expression in gorm.Expr`
	db.First(&users, "name = ?", name)                                                      // ok: inline condition
	db.First(&users, "name = ? AND", name)                                                  // want `invalid SQL condition in \(\*gorm.DB\).First`

	db.Exec("DROP TABLE IF EXISTS ?", clause.Table{Name: name})                                                                 // ok: an identifier argument
	db.Exec("ALTER TABLE ? RENAME COLUMN ? TO ?", clause.Table{Name: name}, clause.Column{Name: "a"}, clause.Column{Name: "b"}) // ok
	var table interface{} = clause.Table{Name: name}
	db.Exec("DROP TABLE IF EXISTS ?", table)             // ok: an interface may hold a name
	db.Exec("DROP TABLE IF EXISTS ? CASCADE AND", table) // want `invalid SQL statement`
	q := "SELECT id FROM users WHERE name = ?"
	db.Raw(q).Scan(&users) // want `1 placeholder \(\?\) but 0 arguments`
	q2 := "SELECT id FROM users"
	q2 += " WHERE name = ?"
	db.Raw(q2).Scan(&users) // ok: not a single constant
	const multi = `SELECT id
FROM users
WHERE name = = ?`
	db.Raw(multi, name).Scan(&users) // want `syntax error at or near "=" \(at 3:14\)`
}

func gormV1(db *jgorm.DB, name string) {
	var users []User
	db.Where("name = ?", name).Find(&users)        // ok
	db.Where("name = ? OR", name).Find(&users)     // want `invalid SQL condition in \(\*gorm.DB\).Where`
	db.Order("name desc").Find(&users)             // ok
	db.Raw("SELECT 1 WHERE ? = ?", 1).Find(&users) // want `2 placeholders`
}

func sqlCases(ctx context.Context, db *sql.DB, tx *sql.Tx, name string) {
	db.Query("SELECT id FROM users WHERE name = $1", name)                // ok
	db.Query("SELECT id FROM users WHERE name = $1 AND age > $2", name)   // want `highest placeholder is \$2 but 1 argument in \(\*sql.DB\).Query`
	db.QueryRowContext(ctx, "SELECT id FROM users WHERE name = $1", name) // ok
	tx.ExecContext(ctx, "DELETE FROM users WHERE", name)                  // want `invalid SQL statement in \(\*sql.Tx\).ExecContext`
	db.Prepare("SELECT id FROM users WHERE name = $1")                    // ok: arguments come later
	db.Exec("UPDATE users SET tags = tags || $1 WHERE data ? 'k'", name)  // ok: ? is an operator here
}

func sqlxCases(db *sqlx.DB, name string) {
	var users []User
	db.Select(&users, "SELECT * FROM users WHERE name = $1", name)                                                // ok
	db.Get(&users, "SELECT * FROM users WHERE name = $1 AND $2", name)                                            // want `highest placeholder is \$2 but 1 argument in \(\*sqlx.DB\).Get`
	db.NamedExec("INSERT INTO users (name) VALUES (:name)", map[string]interface{}{"name": name})                 // ok
	db.NamedExec("INSERT INTO users (name, age) VALUES (:name, :age::int)", map[string]interface{}{"name": name}) // want `named 1 parameter :age not given`
	db.NamedExec("INSERT INTO users (name) VALUES (:name)", User{Name: name})                                     // ok: struct fields are not checked
	db.Queryx("SELEC 1")                                                                                          // want `invalid SQL statement in \(\*sqlx.DB\).Queryx`
	sqlx.Select(db, &users, "SELECT * FROM users WHERE id = $1", 1)                                               // ok
	db.Query("SELECT * FROM users WHERE id = $1")                                                                 // want `highest placeholder is \$1 but 0 arguments in \(\*sql.DB\).Query`
}

func pgxCases(ctx context.Context, conn *pgx.Conn, pool *pgxpool.Pool, tx pgx.Tx, name string) {
	conn.Query(ctx, "SELECT id FROM users WHERE name = $1", name)                                        // ok
	conn.Query(ctx, "SELECT id FROM users WHERE name = $1", pgx.QueryExecModeSimpleProtocol, name)       // ok: options are not arguments
	pool.QueryRow(ctx, "SELECT id FROM users WHERE name = $1 AND id = $2", name)                         // want `highest placeholder is \$2 but 1 argument in \(\*pgxpool.Pool\).QueryRow`
	tx.Exec(ctx, "UPDATE users SET name = $1 WHERE id = $2", name, 1)                                    // ok
	tx.Exec(ctx, "UPDATE users SET name = $1 WHERE id = $2 AND", name, 1)                                // want `invalid SQL statement in \(pgx.Tx\).Exec`
	conn.Query(ctx, "SELECT id FROM users WHERE name = @name", pgx.NamedArgs{"name": name})              // ok
	conn.Query(ctx, "SELECT id FROM users WHERE name = @name AND id = @id", pgx.NamedArgs{"name": name}) // want `named 1 parameter @id not given`
	b := &pgx.Batch{}
	b.Queue("INSERT INTO users (name) VALUES ($1)", name)     // ok
	b.Queue("INSERT INTO users (name) VALUES ($1, $2)", name) // want `highest placeholder is \$2 but 1 argument in \(\*pgx.Batch\).Queue`
}
