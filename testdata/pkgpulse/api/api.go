// Package api is pkgpulse's HTTP interface.
//
// The /packages routes go through package service. The /legacy routes are
// the original handlers, kept for old clients; they query the database
// directly through store.DB and several of them build SQL from request input.
// Those are deliberate: pkgpulse is the fixture ormshift's SQL-injection
// analyzer is tested against, and each unsafe site is marked
// "INTENTIONALLY UNSAFE" next to its safe counterpart.
package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"gorm.io/gorm"

	"example.com/pkgpulse/models"
	"example.com/pkgpulse/service"
	"example.com/pkgpulse/store"
)

// Server serves the pkgpulse HTTP API.
type Server struct {
	svc *service.Service
}

// New returns a Server backed by svc.
func New(svc *service.Service) *Server {
	return &Server{svc: svc}
}

// Routes returns the handler for all of the API's routes.
func (s *Server) Routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /packages", s.ListPackages)
	mux.HandleFunc("POST /packages", s.CreatePackage)
	mux.HandleFunc("GET /packages/{name}", s.GetPackage)
	mux.HandleFunc("POST /packages/{name}/downloads", s.BumpDownloads)
	mux.HandleFunc("DELETE /packages/{name}", s.DeletePackage)
	mux.HandleFunc("GET /search", s.Search)

	mux.HandleFunc("GET /legacy/packages", s.ListPackagesLegacy)
	mux.HandleFunc("GET /legacy/packages/{name}", s.GetPackageLegacy)
	mux.HandleFunc("GET /legacy/search", s.SearchLegacy)
	mux.HandleFunc("GET /legacy/sorted", s.SortedLegacy)
	return mux
}

// packageJSON is the wire form of a package.
type packageJSON struct {
	ID              uint     `json:"id"`
	Name            string   `json:"name"`
	Description     *string  `json:"description"`
	WeeklyDownloads int      `json:"weekly_downloads"`
	Versions        []string `json:"versions,omitempty"`
}

func toJSON(p models.Package) packageJSON {
	out := packageJSON{ID: p.ID, Name: p.Name, Description: p.Description, WeeklyDownloads: p.WeeklyDownloads}
	versions := slices.Clone(p.Versions)
	slices.SortFunc(versions, func(a, b models.Version) int { return int(a.ID) - int(b.ID) })
	for _, v := range versions {
		out.Versions = append(out.Versions, v.Number)
	}
	return out
}

func toJSONList(ps []models.Package) []packageJSON {
	out := make([]packageJSON, 0, len(ps))
	for _, p := range ps {
		out = append(out, toJSON(p))
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// ListPackages serves GET /packages?order=name|downloads|newest&q=text.
// Order goes through the service's sort-key allowlist and q through a bound
// LIKE parameter.
func (s *Server) ListPackages(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if q := r.URL.Query().Get("q"); q != "" {
		ps, err := s.svc.SearchPackages(ctx, q)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, toJSONList(ps))
		return
	}
	key := r.URL.Query().Get("order")
	if key == "" {
		key = "name"
	}
	sortBy, err := service.SortedBy(key) // SAFE: allowlist guard
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ps, err := s.svc.Packages(ctx, sortBy)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, toJSONList(ps))
}

// GetPackage serves GET /packages/{name}: the package with its versions.
func (s *Server) GetPackage(w http.ResponseWriter, r *http.Request) {
	p, err := s.svc.PackageWithVersions(r.Context(), r.PathValue("name"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, toJSON(*p))
}

// CreatePackage serves POST /packages with a JSON body
// {"name": ..., "description": ...}.
func (s *Server) CreatePackage(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name        string  `json:"name"`
		Description *string `json:"description"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Name == "" {
		http.Error(w, "body must be {\"name\": ..., \"description\": ...}", http.StatusBadRequest)
		return
	}
	exists, err := s.svc.PackageExists(r.Context(), body.Name)
	if err != nil {
		writeError(w, err)
		return
	}
	if exists {
		http.Error(w, "package exists", http.StatusConflict)
		return
	}
	p, err := s.svc.CreatePackage(r.Context(), body.Name, body.Description)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, toJSON(*p))
}

// BumpDownloads serves POST /packages/{name}/downloads?by=N.
func (s *Server) BumpDownloads(w http.ResponseWriter, r *http.Request) {
	by := 1
	if v := r.URL.Query().Get("by"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			http.Error(w, "by must be a non-negative integer", http.StatusBadRequest)
			return
		}
		by = n
	}
	n, err := s.svc.IncrementDownloads(r.Context(), r.PathValue("name"), by)
	if err != nil {
		writeError(w, err)
		return
	}
	if n == 0 {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// DeletePackage serves DELETE /packages/{name}, removing its versions too.
func (s *Server) DeletePackage(w http.ResponseWriter, r *http.Request) {
	removed, err := s.svc.RemovePackage(r.Context(), r.PathValue("name"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int64{"versions_removed": removed})
}

// Search serves GET /search?q=text, the safe form of SearchLegacy.
func (s *Server) Search(w http.ResponseWriter, r *http.Request) {
	hits, err := store.SearchRaw(r.Context(), r.URL.Query().Get("q"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, hits)
}

// ListPackagesLegacy serves GET /legacy/packages?order=SQL.
func (s *Server) ListPackagesLegacy(w http.ResponseWriter, r *http.Request) {
	var ps []models.Package
	// INTENTIONALLY UNSAFE (fixture for ormshift sqlinject): the order query
	// parameter is used as raw ORDER BY text. Safe form: ListPackages.
	err := store.DB.WithContext(r.Context()).Order(r.URL.Query().Get("order")).Find(&ps).Error
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, toJSONList(ps))
}

// SearchLegacy serves GET /legacy/search?q=text.
func (s *Server) SearchLegacy(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	var hits []store.SearchHit
	// INTENTIONALLY UNSAFE (fixture for ormshift sqlinject): q is formatted
	// into a LIKE literal inside Raw. Safe form: Search (store.SearchRaw).
	err := store.DB.WithContext(r.Context()).
		Raw(fmt.Sprintf("SELECT id, name FROM packages WHERE name LIKE '%%%s%%' ORDER BY name", q)).
		Scan(&hits).Error
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, hits)
}

// SortedLegacy serves GET /legacy/sorted?sort=SQL.
func (s *Server) SortedLegacy(w http.ResponseWriter, r *http.Request) {
	// INTENTIONALLY UNSAFE (fixture for ormshift sqlinject): request input
	// reaches db.Order through the service.OrderBy closure option. Safe form:
	// ListPackages (service.SortedBy allowlist).
	ps, err := s.svc.Packages(r.Context(), service.OrderBy(r.URL.Query().Get("sort")))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, toJSONList(ps))
}

// GetPackageLegacy serves GET /legacy/packages/{name}.
func (s *Server) GetPackageLegacy(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var p models.Package
	// INTENTIONALLY UNSAFE (fixture for ormshift sqlinject): the inline
	// condition is built by concatenating the path value. Safe form:
	// service.PackageByName ("name = ?", name).
	if err := store.DB.WithContext(r.Context()).First(&p, "name = '"+name+"'").Error; err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, toJSON(p))
}
