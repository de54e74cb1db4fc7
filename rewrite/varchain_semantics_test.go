package rewrite

import (
	"errors"
	"strings"
	"testing"

	"gorm.io/gorm"
)

const reviewVarChain = reviewHeader + `
type Filter struct {
	Min  int
	Name string
}

func (s *S) IfInit(ctx context.Context, q string) ([]models.Package, error) {
	var out []models.Package
	if tx := s.db.WithContext(ctx); q != "" {
		tx = tx.Where("name = ?", q)
		return out, tx.Find(&out).Error
	}
	return out, nil
}

func (s *S) FieldMoves(ctx context.Context, f Filter) ([]models.Package, error) {
	tx := s.db.WithContext(ctx).Where("weekly_downloads >= ?", f.Min)
	if f.Min < 10 {
		f.Min = 10
		tx = tx.Where("id > ?", 0)
	}
	var out []models.Package
	err := tx.Find(&out).Error
	return out, err
}

func (s *S) PtrField(ctx context.Context, f *Filter) ([]models.Package, error) {
	tx := s.db.WithContext(ctx).Where("name = ?", f.Name)
	normalize(f)
	if f.Min > 0 {
		tx = tx.Where("weekly_downloads >= ?", f.Min)
	}
	var out []models.Package
	err := tx.Find(&out).Error
	return out, err
}

func normalize(f *Filter) { f.Name = "x" }

func (s *S) LoopSite(ctx context.Context, names []string) ([]models.Package, error) {
	tx := s.db.WithContext(ctx).Model(&models.Package{})
	var all []models.Package
	for _, n := range names {
		var p models.Package
		if err := tx.Where("name = ?", n).First(&p).Error; err != nil {
			return nil, err
		}
		all = append(all, p)
	}
	return all, nil
}

func (s *S) GotoSite(ctx context.Context, names []string) ([]models.Package, error) {
	tx := s.db.WithContext(ctx).Model(&models.Package{})
	var out []models.Package
	i := 0
again:
	i++
	if err := tx.Where("name <> ?", names[i-1]).Find(&out).Error; err != nil {
		return nil, err
	}
	if i < len(names) {
		goto again
	}
	return out, nil
}
`

// TestVarChainIfInitDecl: tx declared in an if header cannot become
// var txOpts []uow.QueryOption there (a var declaration is not a simple
// statement): the rewritten file did not parse.
func TestVarChainIfInitDecl(t *testing.T) {
	t.Parallel()
	res := reviewModule(t, map[string]string{"rv/rv.go": reviewVarChain})
	if len(res.TypeErrors) > 0 {
		t.Fatalf("the rewritten module does not type-check: %v", res.TypeErrors)
	}
	got := reviewFunc(res, "rv/rv.go", "IfInit")
	if strings.Contains(got, "if var ") {
		t.Errorf("var declaration in an if header:\n%s", got)
	}
}

// TestVarChainFieldAssignedBetween: GORM binds f.Min when the declaration
// runs; f.Min = 10 afterwards does not change the query. Moving the
// declaration's Where to the call reads the new value.
func TestVarChainFieldAssignedBetween(t *testing.T) {
	t.Parallel()
	db := dryRunDB(t)
	type filter struct{ Min int }
	f := filter{Min: 3}
	tx := db.Where("weekly_downloads >= ?", f.Min)
	f.Min = 10
	var out []gsPackage
	stmt := tx.Find(&out).Statement
	if len(stmt.Vars) != 1 || stmt.Vars[0] != 3 {
		t.Fatalf("GORM's vars are not what this test assumes: %v", stmt.Vars)
	}
	res := reviewModule(t, map[string]string{"rv/rv.go": reviewVarChain})
	line := lineOf(reviewVarChain, "err := tx.Find(&out).Error\n\treturn out, err\n}\n\nfunc (s *S) PtrField")
	if st := reviewStatus(res, "rv/rv.go", line); st == "converted" {
		got := reviewFunc(res, "rv/rv.go", "FieldMoves")
		if strings.Contains(got, `uow.Gte("weekly_downloads", f.Min))...)`) {
			t.Errorf("the declaration's condition reads f.Min after f.Min = 10 (GORM read it before):\n%s", got)
		}
	}
}

// TestVarChainPointerFieldAliased: f.Name read through a pointer moves to
// the call, past normalize(f) which changes it; GORM bound the old value.
func TestVarChainPointerFieldAliased(t *testing.T) {
	t.Parallel()
	res := reviewModule(t, map[string]string{"rv/rv.go": reviewVarChain})
	line := lineOf(reviewVarChain, "err := tx.Find(&out).Error\n\treturn out, err\n}\n\nfunc normalize")
	if st := reviewStatus(res, "rv/rv.go", line); st == "converted" {
		got := reviewFunc(res, "rv/rv.go", "PtrField")
		if strings.Contains(got, `uow.Eq("name", f.Name))...)`) {
			t.Errorf("the declaration's condition reads f.Name after normalize(f) changed it (GORM read it before):\n%s", got)
		}
	}
}

// TestVarChainSiteInLoop: tx := db.Model(&T{}) is a handle GORM does not
// copy again (getInstance on clone 0), so tx.Where(n).First(&p) in a loop
// adds each n to the same statement: the second lookup is name = a AND
// name = b and finds nothing. The conversion looks each name up afresh.
func TestVarChainSiteInLoop(t *testing.T) {
	t.Parallel()
	db, _ := openGORM(t)
	for _, n := range []string{"a", "b"} {
		if err := db.Create(&gsPackage{Name: n}).Error; err != nil {
			t.Fatal(err)
		}
	}
	tx := db.Model(&gsPackage{})
	var errs []error
	for _, n := range []string{"a", "b"} {
		var p gsPackage
		errs = append(errs, tx.Where("name = ?", n).First(&p).Error)
	}
	if errs[0] != nil || !errors.Is(errs[1], gorm.ErrRecordNotFound) {
		t.Fatalf("GORM's results are not what this test assumes: %v", errs)
	}
	res := reviewModule(t, map[string]string{"rv/rv.go": reviewVarChain})
	for _, c := range []struct{ fn, site string }{
		{"LoopSite", "if err := tx.Where(\"name = ?\", n).First(&p)"},
		{"GotoSite", "if err := tx.Where(\"name <> ?\", names[i-1]).Find(&out)"},
	} {
		if st := reviewStatus(res, "rv/rv.go", lineOf(reviewVarChain, c.site)); st == "converted" {
			t.Errorf("%s: the site runs more than once on one handle (GORM accumulates its conditions), converted:\n%s", c.fn, reviewFunc(res, "rv/rv.go", c.fn))
		}
	}
}

// TestVarChainImplicitAddressAndHelperFields: a pointer method called on a
// value the declaration reads (f.Clamp() takes &f) and a helper reading
// its receiver's fields can change what the moved declaration binds; both
// sites are left as they are.
func TestVarChainImplicitAddressAndHelperFields(t *testing.T) {
	t.Parallel()
	src := reviewHeader + `
type Filter struct{ Min int }

func (f *Filter) Clamp() { f.Min = max(f.Min, 10) }

func Clamped(ctx context.Context, s *S, f Filter, q string) ([]models.Package, error) {
	tx := s.db.WithContext(ctx).Where("weekly_downloads >= ?", f.Min)
	f.Clamp()
	if q != "" {
		tx = tx.Where("name = ?", q)
	}
	var out []models.Package
	err := tx.Find(&out).Error
	return out, err
}

type T struct {
	db     *gorm.DB
	tenant int
}

func (t *T) base(ctx context.Context) *gorm.DB {
	return t.db.WithContext(ctx).Where("id > ?", t.tenant)
}

func (t *T) Switch(n int) { t.tenant = n }

func Tenant(ctx context.Context, t *T, q string) ([]models.Package, error) {
	tx := t.base(ctx)
	t.Switch(5)
	if q != "" {
		tx = tx.Where("name = ?", q)
	}
	var out []models.Package
	err := tx.Find(&out).Error
	return out, err
}
`
	res := reviewModule(t, map[string]string{"rv/rv.go": src})
	for _, fn := range []string{"Clamped", "Tenant"} {
		line := 0
		for i, l := range strings.Split(src, "\n") {
			if strings.Contains(l, "tx.Find(&out)") && line == 0 && (fn == "Clamped" || i > lineOf(src, "func Tenant(")-1) {
				line = i + 1
			}
		}
		if st := reviewStatus(res, "rv/rv.go", line); st == "converted" {
			t.Errorf("%s (line %d) was converted; the declaration's value can change before the call:\n%s", fn, line, reviewFunc(res, "rv/rv.go", fn))
		}
	}
}
