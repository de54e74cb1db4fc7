// Package web holds HTTP handlers with SQL sinks, labelled for the corpus.
package web

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"example.com/sqlcorpus/repo"
)

type Item struct {
	ID    uint
	Name  string
	Price int
}

type Server struct {
	DB  *gorm.DB
	SQL *sql.DB
}

var sortKeys = map[string]string{"name": "name", "price": "price DESC", "newest": "created_at DESC"}

var ident = regexp.MustCompile(`^[a-z_]{1,32}$`)

func (s *Server) OrderRaw(w http.ResponseWriter, r *http.Request) {
	var items []Item
	s.DB.Order(r.URL.Query().Get("order")).Find(&items) // want-unsafe
}

func (s *Server) OrderMapped(w http.ResponseWriter, r *http.Request) {
	var items []Item
	col, ok := sortKeys[r.URL.Query().Get("order")]
	if !ok {
		col = "id"
	}
	s.DB.Order(col).Find(&items) // want-safe
}

func (s *Server) OrderColumn(w http.ResponseWriter, r *http.Request) {
	var items []Item
	s.DB.Order(clause.OrderByColumn{Column: clause.Column{Name: r.URL.Query().Get("order")}}).Find(&items) // want-safe
}

func (s *Server) OrderSprintf(w http.ResponseWriter, r *http.Request) {
	var items []Item
	s.DB.Order(fmt.Sprintf("%s %s", r.URL.Query().Get("sort_by"), r.URL.Query().Get("dir"))).Find(&items) // want-unsafe
}

func (s *Server) OrderDirGuarded(w http.ResponseWriter, r *http.Request) {
	var items []Item
	dir := r.URL.Query().Get("dir")
	if dir != "asc" && dir != "desc" {
		dir = "asc"
	}
	s.DB.Order("name " + dir).Find(&items) // want-safe
}

func (s *Server) OrderRegexp(w http.ResponseWriter, r *http.Request) {
	var items []Item
	col := r.URL.Query().Get("col")
	if !ident.MatchString(col) {
		http.Error(w, "bad column", http.StatusBadRequest)
		return
	}
	s.DB.Order(col).Find(&items) // want-safe
}

func (s *Server) WhereConcat(w http.ResponseWriter, r *http.Request) {
	var items []Item
	s.DB.Where("name = '" + r.FormValue("name") + "'").Find(&items) // want-unsafe
}

func (s *Server) WherePlaceholder(w http.ResponseWriter, r *http.Request) {
	var items []Item
	s.DB.Where("name = ?", r.FormValue("name")).Find(&items) // want-safe
}

func (s *Server) WhereSprintfLike(w http.ResponseWriter, r *http.Request) {
	var items []Item
	s.DB.Where(fmt.Sprintf("name LIKE '%%%s%%'", r.FormValue("q"))).Find(&items) // want-unsafe
}

func (s *Server) WhereLikePlaceholder(w http.ResponseWriter, r *http.Request) {
	var items []Item
	s.DB.Where("name LIKE ?", "%"+r.FormValue("q")+"%").Find(&items) // want-safe
}

func (s *Server) WhereNumeric(w http.ResponseWriter, r *http.Request) {
	var items []Item
	n, err := strconv.Atoi(r.FormValue("min"))
	if err != nil {
		return
	}
	s.DB.Where(fmt.Sprintf("price > %d", n)).Find(&items) // want-safe
}

func (s *Server) WhereItoa(w http.ResponseWriter, r *http.Request) {
	var items []Item
	n, _ := strconv.Atoi(r.FormValue("min"))
	s.DB.Where("price > " + strconv.Itoa(n)).Find(&items) // want-safe
}

func (s *Server) WhereParsedString(w http.ResponseWriter, r *http.Request) {
	var items []Item
	min := r.FormValue("min")
	if _, err := strconv.Atoi(min); err != nil {
		return
	}
	s.DB.Where("price > " + min).Find(&items) // want-safe
}

func (s *Server) InlineCondition(w http.ResponseWriter, r *http.Request) {
	var it Item
	s.DB.First(&it, "name = '"+r.PathValue("name")+"'") // want-unsafe
}

func (s *Server) InlinePlaceholder(w http.ResponseWriter, r *http.Request) {
	var it Item
	s.DB.First(&it, "name = ?", r.PathValue("name")) // want-safe
}

func (s *Server) HeaderTable(w http.ResponseWriter, r *http.Request) {
	var items []Item
	s.DB.Table("items_" + r.Header.Get("X-Tenant")).Find(&items) // want-unsafe
}

func (s *Server) RawSprintf(w http.ResponseWriter, r *http.Request) {
	var items []Item
	s.DB.Raw(fmt.Sprintf("SELECT * FROM items WHERE name = '%s'", r.FormValue("name"))).Scan(&items) // want-unsafe
}

func (s *Server) RawConstSprintf(w http.ResponseWriter, r *http.Request) {
	var items []Item
	table := "items"
	s.DB.Raw(fmt.Sprintf("SELECT * FROM %s WHERE name = ?", table), r.FormValue("name")).Scan(&items) // want-safe
}

func (s *Server) RawJoinLike(w http.ResponseWriter, r *http.Request) {
	var items []Item
	var conds []string
	for _, word := range strings.Fields(r.FormValue("q")) {
		conds = append(conds, fmt.Sprintf("name LIKE '%%%s%%'", word))
	}
	s.DB.Raw("SELECT * FROM items WHERE " + strings.Join(conds, " OR ")).Scan(&items) // want-unsafe
}

func (s *Server) RawJoinPlaceholders(w http.ResponseWriter, r *http.Request) {
	var items []Item
	var conds []string
	var args []interface{}
	for _, word := range strings.Fields(r.FormValue("q")) {
		conds = append(conds, "name LIKE ?")
		args = append(args, "%"+word+"%")
	}
	s.DB.Raw("SELECT * FROM items WHERE "+strings.Join(conds, " OR "), args...).Scan(&items) // want-safe
}

func (s *Server) BuilderUnsafe(w http.ResponseWriter, r *http.Request) {
	var items []Item
	var b strings.Builder
	b.WriteString("SELECT * FROM items WHERE category = '")
	b.WriteString(r.FormValue("cat"))
	b.WriteString("'")
	s.DB.Raw(b.String()).Scan(&items) // want-unsafe
}

func (s *Server) BuilderSafe(w http.ResponseWriter, r *http.Request) {
	var items []Item
	var b strings.Builder
	b.WriteString("SELECT * FROM items WHERE category = ?")
	if r.FormValue("cheap") != "" {
		b.WriteString(" AND price < 10")
	}
	s.DB.Raw(b.String(), r.FormValue("cat")).Scan(&items) // want-safe
}

type searchReq struct {
	Sort  string `json:"sort"`
	Limit int    `json:"limit"`
}

func (s *Server) JSONBody(w http.ResponseWriter, r *http.Request) {
	var req searchReq
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		return
	}
	var items []Item
	s.DB.Order(req.Sort).Find(&items) // want-unsafe
}

func (s *Server) JSONBodyLimit(w http.ResponseWriter, r *http.Request) {
	var req searchReq
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		return
	}
	var items []Item
	s.DB.Raw(fmt.Sprintf("SELECT * FROM items LIMIT %d", req.Limit)).Scan(&items) // want-safe
}

func (s *Server) StdlibQuery(w http.ResponseWriter, r *http.Request) {
	rows, _ := s.SQL.Query("SELECT * FROM items WHERE name = '" + r.FormValue("name") + "'") // want-unsafe
	_ = rows
}

func (s *Server) StdlibPlaceholder(w http.ResponseWriter, r *http.Request) {
	rows, _ := s.SQL.Query("SELECT * FROM items WHERE name = $1", r.FormValue("name")) // want-safe
	_ = rows
}

func (s *Server) StdlibExecSprintf(w http.ResponseWriter, r *http.Request) {
	s.SQL.Exec(fmt.Sprintf("DELETE FROM items WHERE id = %s", r.FormValue("id"))) // want-unsafe
}

func (s *Server) StdlibExecNumeric(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.FormValue("id"), 10, 64)
	s.SQL.Exec(fmt.Sprintf("DELETE FROM items WHERE id = %d", id)) // want-safe
}

func (s *Server) ViaRepoHelper(w http.ResponseWriter, r *http.Request) {
	var items []Item
	repo.SortedBy(s.DB, r.URL.Query().Get("sort")).Find(&items) // want-unsafe
}

func (s *Server) ViaRepoHelperConst(w http.ResponseWriter, r *http.Request) {
	var items []Item
	repo.SortedBy(s.DB, "name").Find(&items) // want-safe
}

func (s *Server) ViaRepoOption(w http.ResponseWriter, r *http.Request) {
	var items []Item
	repo.Apply(s.DB, repo.WithOrder(r.URL.Query().Get("sort"))).Find(&items) // want-unsafe
}

func (s *Server) ViaRepoSafeOption(w http.ResponseWriter, r *http.Request) {
	var items []Item
	repo.Apply(s.DB, repo.WithSort(r.URL.Query().Get("sort"))).Find(&items) // want-safe
}

func (s *Server) ViaRepoSearch(w http.ResponseWriter, r *http.Request) {
	var items []Item
	repo.Search(s.DB, r.FormValue("q")).Find(&items) // want-unsafe
}

func (s *Server) ViaRepoSearchSafe(w http.ResponseWriter, r *http.Request) {
	var items []Item
	repo.SearchSafe(s.DB, r.FormValue("q")).Find(&items) // want-safe
}

func (s *Server) MassUpdate(w http.ResponseWriter, r *http.Request) {
	var fields map[string]interface{}
	if err := json.NewDecoder(r.Body).Decode(&fields); err != nil {
		return
	}
	s.DB.Model(&Item{}).Where("id = ?", r.PathValue("id")).Updates(fields) // want-unsafe
}

func (s *Server) MassUpdateAllowlisted(w http.ResponseWriter, r *http.Request) {
	var in struct{ Name string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return
	}
	s.DB.Model(&Item{}).Where("id = ?", r.PathValue("id")).Updates(map[string]interface{}{"name": in.Name}) // want-safe
}

func (s *Server) FilterFromQuery(w http.ResponseWriter, r *http.Request) {
	var items []Item
	filter := map[string]interface{}{}
	for k, v := range r.URL.Query() {
		filter[k] = v[0]
	}
	s.DB.Where(filter).Find(&items) // want-unsafe
}

func (s *Server) FilterConstKeys(w http.ResponseWriter, r *http.Request) {
	var items []Item
	s.DB.Where(map[string]interface{}{"name": r.FormValue("name")}).Find(&items) // want-safe
}

func (s *Server) GroupParam(w http.ResponseWriter, r *http.Request) {
	var items []Item
	s.DB.Group(r.URL.Query().Get("by")).Find(&items) // want-unsafe
}

func (s *Server) SelectFields(w http.ResponseWriter, r *http.Request) {
	var items []Item
	s.DB.Select(r.URL.Query().Get("fields")).Find(&items) // want-unsafe
}

func (s *Server) SelectSwitch(w http.ResponseWriter, r *http.Request) {
	var items []Item
	fields := r.URL.Query().Get("fields")
	switch fields {
	case "id,name", "id,price":
	default:
		fields = "id"
	}
	s.DB.Select(fields).Find(&items) // want-safe
}

func (s *Server) ExprUpdate(w http.ResponseWriter, r *http.Request) {
	s.DB.Model(&Item{}).Where("id = ?", 1).Update("price", gorm.Expr("price + "+r.FormValue("delta"))) // want-unsafe
}

func (s *Server) ExprUpdateSafe(w http.ResponseWriter, r *http.Request) {
	s.DB.Model(&Item{}).Where("id = ?", 1).Update("price", gorm.Expr("price + ?", r.FormValue("delta"))) // want-safe
}

func (s *Server) JoinsParam(w http.ResponseWriter, r *http.Request) {
	var items []Item
	s.DB.Joins("LEFT JOIN tags t ON t.item_id = items.id AND t.name = '" + r.FormValue("tag") + "'").Find(&items) // want-unsafe
}

func (s *Server) JoinsPlaceholder(w http.ResponseWriter, r *http.Request) {
	var items []Item
	s.DB.Joins("LEFT JOIN tags t ON t.item_id = items.id AND t.name = ?", r.FormValue("tag")).Find(&items) // want-safe
}

func (s *Server) CookieValue(w http.ResponseWriter, r *http.Request) {
	var items []Item
	c, err := r.Cookie("region")
	if err != nil {
		return
	}
	s.DB.Where("region = '" + c.Value + "'").Find(&items) // want-unsafe
}

// Gin handlers.

func (s *Server) GinSort(c *gin.Context) {
	var items []Item
	s.DB.Order(c.Query("sort") + " " + c.DefaultQuery("dir", "asc")).Find(&items) // want-unsafe
}

func (s *Server) GinParamWhere(c *gin.Context) {
	var items []Item
	s.DB.Where("id = " + c.Param("id")).Find(&items) // want-unsafe
}

func (s *Server) GinParamSafe(c *gin.Context) {
	var items []Item
	s.DB.Where("id = ?", c.Param("id")).Find(&items) // want-safe
}

func (s *Server) GinBindGroup(c *gin.Context) {
	var req struct{ GroupBy string }
	if err := c.ShouldBindJSON(&req); err != nil {
		return
	}
	var items []Item
	s.DB.Group(req.GroupBy).Find(&items) // want-unsafe
}

func (s *Server) GinClosureScope(c *gin.Context) {
	var items []Item
	orderStr := c.Query("order")
	s.DB.Scopes(func(g *gorm.DB) *gorm.DB { return g.Order(orderStr) }).Find(&items) // want-unsafe
}

func (s *Server) GinClosureScopeGuarded(c *gin.Context) {
	var items []Item
	orderStr, ok := sortKeys[c.Query("order")]
	if !ok {
		orderStr = "id"
	}
	s.DB.Scopes(func(g *gorm.DB) *gorm.DB { return g.Order(orderStr) }).Find(&items) // want-safe
}

func (s *Server) GinMassCreate(c *gin.Context) {
	var m map[string]interface{}
	if err := c.ShouldBindJSON(&m); err != nil {
		return
	}
	s.DB.Model(&Item{}).Create(m) // want-unsafe
}
