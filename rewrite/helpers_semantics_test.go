package rewrite

import (
	"strings"
	"testing"

	"gorm.io/gorm"
)

const reviewHelpers = reviewHeader + `
func (s *S) half(ctx context.Context, least float64) *gorm.DB {
	return s.db.WithContext(ctx).Where("weekly_downloads >= ?", least/2)
}

func Halves(ctx context.Context, s *S) ([]models.Package, error) {
	var ps []models.Package
	err := s.half(ctx, 3).Find(&ps).Error
	return ps, err
}

func named(db *gorm.DB, name string) *gorm.DB { return db.Where("name = ?", name) }

func Twice(ctx context.Context, s *S, a, b string) ([]models.Package, error) {
	var ps []models.Package
	err := named(named(s.db.WithContext(ctx), a), b).Find(&ps).Error
	return ps, err
}

type Inner struct {
	db  *gorm.DB
	min int
}

func (in *Inner) popular(ctx context.Context) *gorm.DB {
	return in.db.WithContext(ctx).Where("weekly_downloads >= ?", in.min)
}

type Outer struct {
	*Inner
	min int
}

func Promoted(ctx context.Context, o *Outer) ([]models.Package, error) {
	var ps []models.Package
	err := o.popular(ctx).Find(&ps).Error
	return ps, err
}

func (s *S) forRow(ctx context.Context, p models.Package) *gorm.DB {
	return s.db.WithContext(ctx).Model(&p)
}

func Rename(ctx context.Context, s *S, row models.Package, name string) error {
	return s.forRow(ctx, row).Update("name", name).Error
}
`

// TestHelperUntypedConstArg: s.half(ctx, 3) binds least as float64(3),
// so GORM compares with 1.5 (the same case as TestScopeUntypedArg for
// scope factories); the argument's text put in place of least/2 is the
// integer division 3/2, which binds 1.
func TestHelperUntypedConstArg(t *testing.T) {
	t.Parallel()
	db := dryRunDB(t)
	half := func(db *gorm.DB, least float64) *gorm.DB { return db.Where("weekly_downloads >= ?", least/2) }
	var ps []gsPackage
	stmt := half(db, 3).Find(&ps).Statement
	if len(stmt.Vars) != 1 || stmt.Vars[0] != 1.5 {
		t.Fatalf("GORM's vars are not what this test assumes: %v", stmt.Vars)
	}
	res := reviewModule(t, map[string]string{"rv/rv.go": reviewHelpers})
	line := lineOf(reviewHelpers, "s.half(ctx, 3)")
	if st := reviewStatus(res, "rv/rv.go", line); st != "converted" {
		t.Fatalf("no longer converted (a regression, or update this test): %s", st)
	}
	got := reviewFunc(res, "rv/rv.go", "Halves")
	if strings.Contains(got, `"weekly_downloads", 3/2)`) || !strings.Contains(got, "float64(3)") {
		t.Errorf("GORM binds %v; the conversion computes with an untyped constant:\n%s", stmt.Vars[0], got)
	}
}

// TestHelperNestedSameHelper: named(named(h, a), b) applies
// name = a AND name = b; one substitution per parameter object writes b
// for both.
func TestHelperNestedSameHelper(t *testing.T) {
	t.Parallel()
	db := dryRunDB(t)
	named := func(db *gorm.DB, name string) *gorm.DB { return db.Where("name = ?", name) }
	var ps []gsPackage
	stmt := named(named(db, "a"), "b").Find(&ps).Statement
	if len(stmt.Vars) != 2 || stmt.Vars[0] != "a" || stmt.Vars[1] != "b" {
		t.Fatalf("GORM's vars are not what this test assumes: %v", stmt.Vars)
	}
	res := reviewModule(t, map[string]string{"rv/rv.go": reviewHelpers})
	line := lineOf(reviewHelpers, "named(named(")
	if st := reviewStatus(res, "rv/rv.go", line); st != "converted" {
		t.Logf("skipped: %s", st)
		return
	}
	got := reviewFunc(res, "rv/rv.go", "Twice")
	if !strings.Contains(got, `uow.Eq("name", a)`) || !strings.Contains(got, `uow.Eq("name", b)`) {
		t.Errorf("GORM binds name = a AND name = b; the conversion:\n%s", got)
	}
}

// TestHelperPromotedReceiverShadowedField: o.popular(ctx) calls
// (*Inner).popular with in = o.Inner, so GORM binds o.Inner.min; writing
// the call's receiver text o for in gives o.min, Outer's own field.
func TestHelperPromotedReceiverShadowedField(t *testing.T) {
	t.Parallel()
	res := reviewModule(t, map[string]string{"rv/rv.go": reviewHelpers})
	line := lineOf(reviewHelpers, "o.popular(ctx)")
	if st := reviewStatus(res, "rv/rv.go", line); st != "converted" {
		t.Fatalf("no longer converted (a regression, or update this test): %s", st)
	}
	got := reviewFunc(res, "rv/rv.go", "Promoted")
	if !strings.Contains(got, `uow.Gte("weekly_downloads", o.Inner.min)`) {
		t.Errorf("GORM binds o.Inner.min; the conversion binds Outer's own o.min:\n%s", got)
	}
}

// TestHelperModelAddrOfParam: Model(&p) in a helper, p its parameter:
// the key guard and condition are written with the helper's name p,
// which the call site does not have (the rewritten file does not
// type-check, or p is another variable there).
func TestHelperModelAddrOfParam(t *testing.T) {
	t.Parallel()
	res := reviewModule(t, map[string]string{"rv/rv.go": reviewHelpers})
	line := lineOf(reviewHelpers, "s.forRow(ctx, row)")
	if st := reviewStatus(res, "rv/rv.go", line); st != "converted" {
		t.Logf("skipped: %s", st)
		return
	}
	got := reviewFunc(res, "rv/rv.go", "Rename")
	if strings.Contains(got, "p.ID") {
		t.Errorf("the conversion uses the helper's parameter p at the call site:\n%s", got)
	}
	if len(res.TypeErrors) > 0 {
		t.Errorf("the rewritten module does not type-check: %v", res.TypeErrors)
	}
}

const reviewHelperNames = reviewHeader + `
const n = 5

func (s *S) atLeastN(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Where("weekly_downloads >= ?", n)
}

func Clamp(n int) func(*gorm.DB) *gorm.DB {
	return func(db *gorm.DB) *gorm.DB {
		if n > 10 {
			n = 10
		}
		return db.Limit(n)
	}
}

func Capture(ctx context.Context, s *S, size int) ([]models.Package, error) {
	var ps []models.Package
	err := s.atLeastN(ctx).Scopes(Clamp(size)).Find(&ps).Error
	return ps, err
}

var em = 3

func (s *S) atLeastEm(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Where("weekly_downloads >= ?", em)
}

func EmCapture(ctx context.Context, s *S) ([]models.Package, error) {
	var ps []models.Package
	err := s.atLeastEm(ctx).Find(&ps).Error
	return ps, err
}
`

// TestHelperFactoryLocalCapturesHelperName: Clamp's parameter n becomes
// a fresh local of the site's function; the helper's n is the package's
// constant (5), which that local must not capture (scopeLocal avoids the
// names of the scopes' bodies, not those of the helper's links).
func TestHelperFactoryLocalCapturesHelperName(t *testing.T) {
	t.Parallel()
	res := reviewModule(t, map[string]string{"rv/rv.go": reviewHelperNames})
	line := lineOf(reviewHelperNames, "s.atLeastN(ctx).Scopes(")
	if st := reviewStatus(res, "rv/rv.go", line); st != "converted" {
		t.Fatalf("no longer converted (a regression, or update this test): %s", st)
	}
	got := reviewFunc(res, "rv/rv.go", "Capture")
	if strings.Contains(got, "n := size") || !strings.Contains(got, `uow.Gte("weekly_downloads", n)`) {
		t.Errorf("GORM binds the constant n (5); the conversion binds the local n holding size:\n%s", got)
	}
}

// TestHelperEmCaptured: the conversion declares em := uow.FromContext(ctx)
// at the top of the site's function; the helper's em is the package's
// variable, which that local must not capture (the name check looks at
// the site's function only).
func TestHelperEmCaptured(t *testing.T) {
	t.Parallel()
	res := reviewModule(t, map[string]string{"rv/rv.go": reviewHelperNames})
	line := lineOf(reviewHelperNames, "s.atLeastEm(ctx).Find(")
	if st := reviewStatus(res, "rv/rv.go", line); st != "converted" {
		t.Logf("skipped: %s", st)
		return
	}
	got := reviewFunc(res, "rv/rv.go", "EmCapture")
	if strings.Contains(got, "em := uow.FromContext(ctx)") && strings.Contains(got, `uow.Gte("weekly_downloads", em)`) {
		t.Errorf("GORM binds the package's em (3); the conversion binds the EntityManager:\n%s", got)
	}
	if len(res.TypeErrors) > 0 {
		t.Errorf("the rewritten module does not type-check: %v", res.TypeErrors)
	}
}

const reviewHelperRecv = reviewHeader + `
type T struct {
	db  *gorm.DB
	min int
}

func (t *T) least(ctx context.Context) *gorm.DB {
	return t.db.WithContext(ctx).Where("weekly_downloads >= ?", (*t).min)
}

func ByValue(ctx context.Context, db *gorm.DB) ([]models.Package, error) {
	var ps []models.Package
	v := T{db: db, min: 4}
	err := v.least(ctx).Find(&ps).Error
	return ps, err
}

func two() (context.Context, int) { return context.Background(), 1 }

func (s *S) named(ctx context.Context, n int) *gorm.DB {
	return s.db.WithContext(ctx).Where("weekly_downloads = ?", n)
}

func Spread(s *S) ([]models.Package, error) {
	var ps []models.Package
	err := s.named(two()).Find(&ps).Error
	return ps, err
}
`

// TestHelperAddressedReceiver: v.least(ctx) passes &v; the helper's
// (*t).min written with v for t is (*v).min, which does not compile.
func TestHelperAddressedReceiver(t *testing.T) {
	t.Parallel()
	res := reviewModule(t, map[string]string{"rv/rv.go": reviewHelperRecv})
	line := lineOf(reviewHelperRecv, "v.least(ctx)")
	if st := reviewStatus(res, "rv/rv.go", line); st != "converted" {
		t.Fatalf("no longer converted (a regression, or update this test): %s", st)
	}
	if len(res.TypeErrors) > 0 {
		t.Errorf("the rewritten module does not type-check: %v\n%s", res.TypeErrors, reviewFunc(res, "rv/rv.go", "ByValue"))
	}
}

// TestHelperMultiValueArgument: s.named(two()) has one argument for two
// parameters; the site must be skipped with a reason, not an internal
// error.
func TestHelperMultiValueArgument(t *testing.T) {
	t.Parallel()
	res := reviewModule(t, map[string]string{"rv/rv.go": reviewHelperRecv})
	line := lineOf(reviewHelperRecv, "s.named(two())")
	if st := reviewStatus(res, "rv/rv.go", line); strings.Contains(st, "internal error") {
		t.Errorf("skip reason: %s", st)
	}
}

const reviewCrossSite = reviewHeader + `
const n = 5

func atLeastN(db *gorm.DB) *gorm.DB { return db.Where("weekly_downloads >= ?", n) }

func (s *S) atLeastNH(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Where("weekly_downloads >= ?", n)
}

func Clamp(n int) func(*gorm.DB) *gorm.DB {
	return func(db *gorm.DB) *gorm.DB {
		if n > 10 {
			n = 10
		}
		return db.Limit(n)
	}
}

func ViaHelper(ctx context.Context, s *S, size int) ([]models.Package, error) {
	var ps, qs []models.Package
	err1 := s.db.WithContext(ctx).Scopes(Clamp(size)).Find(&ps).Error
	err := s.atLeastNH(ctx).Find(&qs).Error
	_ = err1
	return append(ps, qs...), err
}

func ViaScope(ctx context.Context, s *S, size int) ([]models.Package, error) {
	var ps, qs []models.Package
	err1 := s.db.WithContext(ctx).Scopes(Clamp(size)).Find(&ps).Error
	err := s.db.WithContext(ctx).Scopes(atLeastN).Find(&qs).Error
	_ = err1
	return append(ps, qs...), err
}
`

// crossSiteCaptured reports whether the first site's local n (holding
// Clamp's argument) is in scope of the second site's condition on the
// package's constant n.
func crossSiteCaptured(got string) bool {
	i, j := strings.Index(got, "n := size"), strings.Index(got, `uow.Gte("weekly_downloads", n)`)
	return i >= 0 && j > i
}

// TestHelperCrossSiteCapture: an earlier site of the same block declares
// the fresh local n for Clamp's parameter; the helper's n at the next
// site is the package's constant (5), which that local must not capture.
func TestHelperCrossSiteCapture(t *testing.T) {
	t.Parallel()
	res := reviewModule(t, map[string]string{"rv/rv.go": reviewCrossSite})
	if got := reviewFunc(res, "rv/rv.go", "ViaHelper"); crossSiteCaptured(got) {
		t.Errorf("GORM binds the constant n (5); the conversion binds the earlier site's local n:\n%s", got)
	}
}

// TestHelperScopeCrossSiteCapture: the same with a scope function in
// place of the helper (scopes.go visibleAtSite checks names against the
// original type information only, not against the locals earlier
// conversions of the function declared).
func TestHelperScopeCrossSiteCapture(t *testing.T) {
	t.Parallel()
	res := reviewModule(t, map[string]string{"rv/rv.go": reviewCrossSite})
	if got := reviewFunc(res, "rv/rv.go", "ViaScope"); crossSiteCaptured(got) {
		t.Errorf("GORM binds the constant n (5); the conversion binds the earlier site's local n:\n%s", got)
	}
}
