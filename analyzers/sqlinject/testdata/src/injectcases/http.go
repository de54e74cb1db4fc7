package injectcases

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

type User struct {
	ID   uint
	Name string
}

type Handler struct{ db *gorm.DB }

// --- sources ---

func (h *Handler) OrderFromQuery(w http.ResponseWriter, r *http.Request) {
	var users []User
	h.db.Order(r.URL.Query().Get("order")).Find(&users) // want `SQL injection: r.URL.Query\(\).Get\("order"\) reaches \(\*gorm.DB\).Order, which inserts its argument as raw SQL`
}

func (h *Handler) FormValue(w http.ResponseWriter, r *http.Request) {
	var users []User
	h.db.Where("name = '" + r.FormValue("name") + "'").Find(&users) // want `SQL injection: r.FormValue\("name"\) \(via \+\) reaches \(\*gorm.DB\).Where, which treats a string condition as raw SQL`
}

func (h *Handler) Header(w http.ResponseWriter, r *http.Request) {
	var users []User
	h.db.Raw("SELECT * FROM users WHERE tenant = " + r.Header.Get("X-Tenant")).Scan(&users) // want `SQL injection: r.Header.Get\("X-Tenant"\) \(via \+\) reaches \(\*gorm.DB\).Raw`
}

func (h *Handler) PathValue(w http.ResponseWriter, r *http.Request) {
	var users []User
	h.db.Table(r.PathValue("table")).Find(&users) // want `SQL injection: r.PathValue\("table"\) reaches \(\*gorm.DB\).Table`
}

func (h *Handler) RawQuery(w http.ResponseWriter, r *http.Request) {
	var users []User
	h.db.Where(r.URL.RawQuery).Find(&users) // want `SQL injection: r.URL.RawQuery reaches \(\*gorm.DB\).Where`
}

type filter struct {
	Sort string `json:"sort"`
	Page int    `json:"page"`
}

func (h *Handler) JSONBody(w http.ResponseWriter, r *http.Request) {
	var f filter
	if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
		return
	}
	var users []User
	h.db.Order(f.Sort).Find(&users)                                            // want `SQL injection: .*Decode\(&f\) reaches \(\*gorm.DB\).Order`
	h.db.Offset(f.Page).Order("id").Find(&users)                               // ok: numeric
	h.db.Raw(fmt.Sprintf("SELECT * FROM users LIMIT %d", f.Page)).Scan(&users) // ok: %d
}

func OSArgs(db *gorm.DB) {
	var users []User
	db.Order(os.Args[1]).Find(&users) // want `SQL injection: os.Args reaches \(\*gorm.DB\).Order`
}

// --- medium: merely non-constant ---

func Medium(db *gorm.DB, users *[]User) {
	col := os.Getenv("SORT_COLUMN")
	db.Order(col).Find(users) // want `possible SQL injection: the result of os.Getenv\("SORT_COLUMN"\) reaches \(\*gorm.DB\).Order`
}

// --- safe constructions ---

func Constants(db *gorm.DB, desc bool, n int) {
	var users []User
	order := "name"
	if desc {
		order += " DESC"
	}
	db.Order(order).Find(&users) // ok
	cols := []string{"id", "name"}
	db.Select(strings.Join(cols, ", ")).Find(&users) // ok
	var conds []string
	for i := 0; i < 3; i++ {
		conds = append(conds, "deleted_at IS NULL")
	}
	db.Where(strings.Join(conds, " AND ")).Find(&users) // ok: appends of constants in a loop
	var b strings.Builder
	b.WriteString("SELECT * FROM users")
	if desc {
		b.WriteString(" ORDER BY name DESC")
	}
	fmt.Fprintf(&b, " LIMIT %d", n)
	db.Raw(b.String()).Scan(&users)                                                              // ok
	db.Raw(fmt.Sprintf("SELECT * FROM users LIMIT %d", n)).Scan(&users)                          // ok
	db.Raw("SELECT * FROM users LIMIT " + strconv.Itoa(n)).Scan(&users)                          // ok
	db.Order(clause.OrderByColumn{Column: clause.Column{Name: "name"}, Desc: desc}).Find(&users) // ok
	db.Where(map[string]interface{}{"name": "x"}).Find(&users)                                   // ok: struct/map conditions
	db.Where(&User{Name: "x"}).Find(&users)                                                      // ok
}

func Builder(db *gorm.DB, r *http.Request) {
	var users []User
	var b strings.Builder
	b.WriteString("SELECT * FROM users WHERE name = '")
	b.WriteString(r.FormValue("q"))
	b.WriteString("'")
	db.Raw(b.String()).Scan(&users) // want `SQL injection: r.FormValue\("q"\) \(via Builder\) reaches \(\*gorm.DB\).Raw`
}

// --- guards ---

var allowedSort = map[string]string{"name": "name", "newest": "created_at DESC"} // want allowedSort:`returns\(safe \[\]\)`

var allowedCols = map[string]bool{"name": true, "created_at": true} // want allowedCols:`returns\(safe \[\]\)`

var colRe = regexp.MustCompile(`^[a-z_]+$`)

func GuardMapValue(db *gorm.DB, r *http.Request) {
	var users []User
	col, ok := allowedSort[r.URL.Query().Get("sort")]
	if !ok {
		col = "id"
	}
	db.Order(col).Find(&users) // ok: the map's values are constants
}

func GuardMapOk(db *gorm.DB, r *http.Request) {
	var users []User
	s := r.URL.Query().Get("sort")
	if _, ok := allowedSort[s]; !ok {
		return
	}
	db.Order(s).Find(&users) // ok: gated by the lookup
}

func GuardMapBool(db *gorm.DB, r *http.Request) {
	var users []User
	s := r.URL.Query().Get("sort")
	if !allowedCols[s] {
		s = "id"
	}
	db.Order(s).Find(&users) // ok
}

func GuardSwitch(db *gorm.DB, r *http.Request) {
	var users []User
	s := r.URL.Query().Get("sort")
	switch s {
	case "name", "created_at":
	default:
		http.Error(nil, "bad sort", 400)
		return
	}
	db.Order(s).Find(&users) // ok
}

func GuardIf(db *gorm.DB, r *http.Request) {
	var users []User
	dir := r.URL.Query().Get("dir")
	if dir != "asc" && dir != "desc" {
		dir = "asc"
	}
	db.Order("name " + dir).Find(&users) // ok
}

func GuardOnlyOnePath(db *gorm.DB, r *http.Request, strict bool) {
	var users []User
	s := r.URL.Query().Get("sort")
	if strict {
		if _, ok := allowedSort[s]; !ok {
			return
		}
	}
	db.Order(s).Find(&users) // want `SQL injection: r.URL.Query\(\).Get\("sort"\) reaches \(\*gorm.DB\).Order`
}

func GuardRegexp(db *gorm.DB, r *http.Request) {
	var users []User
	s := r.URL.Query().Get("sort")
	if !colRe.MatchString(s) {
		return
	}
	db.Order(s).Find(&users) // ok
}

func GuardStrconv(db *gorm.DB, r *http.Request) {
	var users []User
	s := r.URL.Query().Get("limit")
	if _, err := strconv.Atoi(s); err != nil {
		return
	}
	db.Raw("SELECT * FROM users LIMIT " + s).Scan(&users) // ok
}

func GuardSlices(db *gorm.DB, r *http.Request) {
	var users []User
	s := r.URL.Query().Get("sort")
	if !slices.Contains([]string{"name", "id"}, s) {
		return
	}
	db.Order(s).Find(&users) // ok
}

func validColumn(c string) bool {
	switch c {
	case "name", "created_at":
		return true
	}
	return false
}

func GuardValidator(db *gorm.DB, r *http.Request) {
	var users []User
	s := r.URL.Query().Get("sort")
	if !validColumn(s) {
		return
	}
	db.Order(s).Find(&users) // ok
}

func GuardSchema(db *gorm.DB, r *http.Request) {
	var users []User
	s := r.URL.Query().Get("sort")
	if f := db.Statement.Schema.LookUpField(s); f == nil {
		return
	}
	db.Order(s).Find(&users) // ok
}

func WeakRegexp(db *gorm.DB, r *http.Request) {
	var users []User
	s := r.URL.Query().Get("sort")
	if ok, _ := regexp.MatchString(`[a-z]+`, s); !ok {
		return
	}
	db.Order(s).Find(&users) // want `SQL injection`
}
