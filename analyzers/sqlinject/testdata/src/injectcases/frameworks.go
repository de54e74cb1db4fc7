package injectcases

import (
	"fmt"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"injecthelpers"
)

type API struct{ db *gorm.DB }

// Advisory shape: Sprintf of sort_by into Order.
func (a *API) GinSort(c *gin.Context) {
	var users []User
	sortBy := c.Query("sort_by")
	order := c.DefaultQuery("order", "asc")
	a.db.Order(fmt.Sprintf("%s %s", sortBy, order)).Find(&users) // want `SQL injection: c.Query\("sort_by"\) \(via fmt.Sprintf\) reaches \(\*gorm.DB\).Order`
}

func (a *API) GinParam(c *gin.Context) {
	var users []User
	a.db.Where("id = " + c.Param("id")).Find(&users) // want `SQL injection: c.Param\("id"\) \(via \+\) reaches \(\*gorm.DB\).Where`
}

func (a *API) GinBind(c *gin.Context) {
	var req struct{ Group string }
	if err := c.ShouldBindJSON(&req); err != nil {
		return
	}
	var users []User
	a.db.Group(req.Group).Find(&users) // want `SQL injection: c.ShouldBindJSON\(&req\) reaches \(\*gorm.DB\).Group`
}

func (a *API) Echo(c echo.Context) error {
	var users []User
	return a.db.Select(c.QueryParam("fields")).Find(&users).Error // want `SQL injection: c.QueryParam\("fields"\) reaches \(\*gorm.DB\).Select`
}

func (a *API) Fiber(c *fiber.Ctx) error {
	var users []User
	return a.db.Joins(c.Query("join")).Find(&users).Error // want `SQL injection: c.Query\("join"\) reaches \(\*gorm.DB\).Joins`
}

// Advisory shape: a WHERE ... LIKE '%s' fragment joined with strings.Join into Raw.
func (a *API) LikeJoin(c *gin.Context) {
	var users []User
	var conds []string
	for _, f := range []string{"name", "email"} {
		conds = append(conds, fmt.Sprintf("%s LIKE '%%%s%%'", f, c.Query("q")))
	}
	a.db.Raw("SELECT * FROM users WHERE " + strings.Join(conds, " OR ")).Scan(&users) // want `SQL injection: c.Query\("q"\) \(via fmt.Sprintf, strings.Join, \+\) reaches \(\*gorm.DB\).Raw`
}

// Its guarded fix: placeholders.
func (a *API) LikeJoinSafe(c *gin.Context) {
	var users []User
	var conds []string
	var args []interface{}
	for _, f := range []string{"name", "email"} {
		conds = append(conds, f+" LIKE ?")
		args = append(args, "%"+c.Query("q")+"%")
	}
	a.db.Raw("SELECT * FROM users WHERE "+strings.Join(conds, " OR "), args...).Scan(&users) // ok
}

// Advisory shape: a closure option returning g.Order(orderStr).
func (a *API) ClosureOption(c *gin.Context) {
	var users []User
	orderStr := c.Query("order")
	scope := func(g *gorm.DB) *gorm.DB {
		return g.Order(orderStr) // want `SQL injection: c.Query\("order"\) reaches \(\*gorm.DB\).Order`
	}
	a.db.Scopes(scope).Find(&users)
}

func (a *API) ClosureOptionGuarded(c *gin.Context) {
	var users []User
	orderStr, ok := allowedSort[c.Query("order")]
	if !ok {
		orderStr = "id"
	}
	a.db.Scopes(func(g *gorm.DB) *gorm.DB { return g.Order(orderStr) }).Find(&users) // ok
}

// Cross-package: helpers with facts.
func (a *API) Helpers(c *gin.Context) {
	var users []User
	injecthelpers.SortBy(a.db, c.Query("sort")).Find(&users)                      // want `SQL injection: c.Query\("sort"\) reaches \(\*gorm.DB\).Order through parameter col of SortBy \(\(\*gorm.DB\).Order at helpers.go:\d+\)`
	injecthelpers.Search(a.db, c.Query("q")).Find(&users)                         // want `SQL injection: c.Query\("q"\) \(via fmt.Sprintf\) reaches \(\*gorm.DB\).Where through parameter q of Search`
	injecthelpers.Safe(a.db, c.Query("q")).Find(&users)                           // ok
	injecthelpers.SortBy(a.db, "name").Find(&users)                               // ok
	injecthelpers.Apply(a.db, injecthelpers.WithOrder(c.Query("o"))).Find(&users) // want `SQL injection: c.Query\("o"\) reaches \(\*gorm.DB\).Order through parameter orderStr of WithOrder`
	a.db.Raw(injecthelpers.Prefix(c.Query("o"))).Scan(&users)                     // want `SQL injection: c.Query\("o"\) \(via Prefix\) reaches \(\*gorm.DB\).Raw`
	a.db.Order(injecthelpers.Const()).Find(&users)                                // ok
}

// Same-package helper: the call is reported, not the helper's sink.
func orderBy(db *gorm.DB, col string) *gorm.DB { // want orderBy:`sinks\(col->\(\*gorm.DB\).Order\)`
	return db.Order(col)
}

func sortClause(dir string) string { return "name " + dir } // want sortClause:`returns\(safe \[0\]\)`

func (a *API) LocalHelper(c *gin.Context) {
	var users []User
	orderBy(a.db, c.Query("sort")).Find(&users)         // want `SQL injection: c.Query\("sort"\) reaches \(\*gorm.DB\).Order through parameter col of orderBy`
	orderBy(a.db, "name").Find(&users)                  // ok
	a.db.Order(sortClause(c.Query("dir"))).Find(&users) // want `SQL injection: c.Query\("dir"\) \(via \+, sortClause\) reaches \(\*gorm.DB\).Order`
	a.db.Order(sortClause("DESC")).Find(&users)         // ok
}

// Mass assignment.
func (a *API) MassUpdates(c *gin.Context) {
	var m map[string]interface{}
	if err := c.ShouldBindJSON(&m); err != nil {
		return
	}
	a.db.Model(&User{}).Where("id = ?", c.Param("id")).Updates(m) // want `mass assignment: the keys of a map from c.ShouldBindJSON\(&m\) pick the columns of \(\*gorm.DB\).Updates`
}

func (a *API) MassFilter(c *gin.Context) {
	var users []User
	filter := map[string]interface{}{}
	for k, v := range c.Request.URL.Query() {
		filter[k] = v[0]
	}
	a.db.Where(filter).Find(&users) // want `mass assignment: the keys of a map from c.Request.URL.Query\(\) pick the columns of \(\*gorm.DB\).Where`
}

func (a *API) MassSafe(c *gin.Context) {
	var users []User
	filter := map[string]interface{}{"name": c.Query("name"), "status": c.Query("status")}
	a.db.Where(filter).Find(&users)                                              // ok: constant keys, request values
	a.db.Model(&User{}).Updates(map[string]interface{}{"name": c.Query("name")}) // ok
}

var sortable = map[string]bool{"name": true} // want sortable:`returns\(safe \[\]\)`

// Guards on captured variables: inside the closure, and before it.
func withSort(col string) func(*gorm.DB) *gorm.DB {
	return func(g *gorm.DB) *gorm.DB {
		if !sortable[col] {
			col = "id"
		}
		return g.Order(col) // ok: guarded inside the closure
	}
}

func (a *API) CapturedGuards(c *gin.Context) {
	var users []User
	a.db.Scopes(withSort(c.Query("sort"))).Find(&users) // ok
	s := c.Query("sort")
	if _, ok := allowedSort[s]; !ok {
		return
	}
	a.db.Scopes(func(g *gorm.DB) *gorm.DB { return g.Order(s) }).Find(&users) // ok: guarded before the closure is made
	t := c.Query("sort")
	if _, ok := allowedSort[t]; !ok {
		t = "id"
	}
	t = t + c.Query("dir")
	a.db.Scopes(func(g *gorm.DB) *gorm.DB { return g.Order(t) }).Find(&users) // want `SQL injection: c.Query\("dir"\) \(via \+\) reaches \(\*gorm.DB\).Order`
}
