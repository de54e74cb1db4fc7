// Package service is pkgpulse's business layer. It reads and writes packages
// and their versions through GORM; handlers in package api call it.
package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"example.com/pkgpulse/models"
)

// ErrDuplicateVersion is returned when a package already has a version with
// the same number.
var ErrDuplicateVersion = errors.New("version already published")

// ErrUnknownSort is returned by SortedBy for a sort key it does not know.
var ErrUnknownSort = errors.New("unknown sort key")

// Service gives access to the package catalogue.
type Service struct {
	db *gorm.DB
}

// New returns a Service on db.
func New(db *gorm.DB) *Service {
	return &Service{db: db}
}

// PackageSummary is the short form of a package used in listings.
type PackageSummary struct {
	ID              uint
	Name            string
	WeeklyDownloads int
}

// VersionCount is the number of versions a package has.
type VersionCount struct {
	PackageID uint
	Total     int64
}

// Stats are catalogue-wide totals.
type Stats struct {
	Packages  int64
	Versions  int64
	Downloads int64
}

// PackageRank is a package's place in the download ranking.
type PackageRank struct {
	Rank            int
	Name            string
	WeeklyDownloads int
}

// ---------------------------------------------------------------------------
// Lookups

// PackageByID returns the package with the given id.
func (s *Service) PackageByID(ctx context.Context, id uint) (*models.Package, error) {
	var p models.Package
	if err := s.db.WithContext(ctx).First(&p, id).Error; err != nil {
		return nil, err
	}
	return &p, nil
}

// PackageByName returns the package with the given name.
func (s *Service) PackageByName(ctx context.Context, name string) (*models.Package, error) {
	var p models.Package
	if err := s.db.WithContext(ctx).First(&p, "name = ?", name).Error; err != nil {
		return nil, err
	}
	return &p, nil
}

// PackagesByIDs returns the packages with the given ids, in no particular
// order; ids that do not exist are left out.
func (s *Service) PackagesByIDs(ctx context.Context, ids []int) ([]models.Package, error) {
	var ps []models.Package
	err := s.db.WithContext(ctx).Find(&ps, ids).Error
	return ps, err
}

// PackageExists reports whether a package of that name is registered.
func (s *Service) PackageExists(ctx context.Context, name string) (bool, error) {
	var p models.Package
	err := s.db.WithContext(ctx).Take(&p, "name = ?", name).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, nil
}

// NewestPackage returns the most recently registered package (highest id).
func (s *Service) NewestPackage(ctx context.Context) (*models.Package, error) {
	var p models.Package
	if err := s.db.WithContext(ctx).Last(&p).Error; err != nil {
		return nil, err
	}
	return &p, nil
}

// LatestVersion returns the most recently published version of a package.
func (s *Service) LatestVersion(ctx context.Context, packageID uint) (*models.Version, error) {
	var v models.Version
	err := s.db.WithContext(ctx).
		Where("package_id = ?", packageID).
		Order("published_at DESC").
		First(&v).Error
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// ---------------------------------------------------------------------------
// Filtered listings

// FindByExample returns the packages whose non-zero fields equal those of
// example (GORM struct conditions ignore zero values).
func (s *Service) FindByExample(ctx context.Context, example models.Package) ([]models.Package, error) {
	var ps []models.Package
	err := s.db.WithContext(ctx).Where(&example).Order("id").Find(&ps).Error
	return ps, err
}

// PackagesWithDownloads returns the packages with exactly n weekly downloads.
func (s *Service) PackagesWithDownloads(ctx context.Context, n int) ([]models.Package, error) {
	var ps []models.Package
	err := s.db.WithContext(ctx).
		Where(map[string]interface{}{"weekly_downloads": n}).
		Order("id").
		Find(&ps).Error
	return ps, err
}

// PackagesExcept returns every package but the named one.
func (s *Service) PackagesExcept(ctx context.Context, name string) ([]models.Package, error) {
	var ps []models.Package
	err := s.db.WithContext(ctx).Not("name = ?", name).Order("id").Find(&ps).Error
	return ps, err
}

// PackagesNotIn returns the packages whose name is not in names.
func (s *Service) PackagesNotIn(ctx context.Context, names []string) ([]models.Package, error) {
	var ps []models.Package
	err := s.db.WithContext(ctx).
		Not(map[string]interface{}{"name": names}).
		Order("id").
		Find(&ps).Error
	return ps, err
}

// PackagesNamed returns the packages called a or b.
func (s *Service) PackagesNamed(ctx context.Context, a, b string) ([]models.Package, error) {
	var ps []models.Package
	err := s.db.WithContext(ctx).
		Where("name = ?", a).
		Or("name = ?", b).
		Order("id").
		Find(&ps).Error
	return ps, err
}

// PopularOrNamed returns the packages with at least min weekly downloads,
// plus the named one whatever its downloads.
func (s *Service) PopularOrNamed(ctx context.Context, min int, name string) ([]models.Package, error) {
	var ps []models.Package
	err := s.db.WithContext(ctx).
		Where("weekly_downloads >= ?", min).
		Or(&models.Package{Name: name}).
		Order("id").
		Find(&ps).Error
	return ps, err
}

// SearchPackages returns the packages whose name contains q, by name.
func (s *Service) SearchPackages(ctx context.Context, q string) ([]models.Package, error) {
	var ps []models.Package
	// Safe: the pattern is a bound parameter.
	err := s.db.WithContext(ctx).Where("name LIKE ?", "%"+q+"%").Order("name").Find(&ps).Error
	return ps, err
}

// UndocumentedPackages returns the packages without a description.
func (s *Service) UndocumentedPackages(ctx context.Context) ([]models.Package, error) {
	var ps []models.Package
	err := s.db.WithContext(ctx).Where("description IS NULL").Order("id").Find(&ps).Error
	return ps, err
}

// ListPackages returns one page of packages ordered by name.
func (s *Service) ListPackages(ctx context.Context, limit, offset int) ([]models.Package, error) {
	var ps []models.Package
	err := s.db.WithContext(ctx).Order("name").Limit(limit).Offset(offset).Find(&ps).Error
	return ps, err
}

// PackageSummaries returns id, name and downloads of every package, most
// downloaded first.
func (s *Service) PackageSummaries(ctx context.Context) ([]PackageSummary, error) {
	var rows []PackageSummary
	err := s.db.WithContext(ctx).
		Model(&models.Package{}).
		Select("id", "name", "weekly_downloads").
		Order("weekly_downloads DESC, id").
		Find(&rows).Error
	return rows, err
}

// ---------------------------------------------------------------------------
// Associations

// PackageWithVersions returns the named package with all its versions.
func (s *Service) PackageWithVersions(ctx context.Context, name string) (*models.Package, error) {
	var p models.Package
	if err := s.db.WithContext(ctx).Preload("Versions").First(&p, "name = ?", name).Error; err != nil {
		return nil, err
	}
	return &p, nil
}

// PackageWithVersionsSince returns the named package with the versions
// published at or after since.
func (s *Service) PackageWithVersionsSince(ctx context.Context, name string, since time.Time) (*models.Package, error) {
	var p models.Package
	err := s.db.WithContext(ctx).
		Preload("Versions", "published_at >= ?", since).
		Where("name = ?", name).
		First(&p).Error
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// PackagesWithVersions returns every package with its versions, newest
// version first.
func (s *Service) PackagesWithVersions(ctx context.Context) ([]models.Package, error) {
	var ps []models.Package
	err := s.db.WithContext(ctx).
		Preload("Versions", func(db *gorm.DB) *gorm.DB {
			return db.Order("versions.published_at DESC")
		}).
		Order("id").
		Find(&ps).Error
	return ps, err
}

// VersionsOf returns the versions of the named package, each with its
// package loaded through a join.
func (s *Service) VersionsOf(ctx context.Context, name string) ([]models.Version, error) {
	var vs []models.Version
	err := s.db.WithContext(ctx).
		Joins("Package").
		Where(`"Package"."name" = ?`, name).
		Order("versions.id").
		Find(&vs).Error
	return vs, err
}

// VersionsOfPopular returns the versions of packages with at least min
// weekly downloads.
func (s *Service) VersionsOfPopular(ctx context.Context, min int) ([]models.Version, error) {
	var vs []models.Version
	err := s.db.WithContext(ctx).
		Joins("JOIN packages ON packages.id = versions.package_id AND packages.weekly_downloads >= ?", min).
		Order("versions.id").
		Find(&vs).Error
	return vs, err
}

// ---------------------------------------------------------------------------
// Aggregates

// CountPackages returns the number of packages.
func (s *Service) CountPackages(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&models.Package{}).Count(&n).Error
	return n, err
}

// CountVersions returns the number of versions of a package.
func (s *Service) CountVersions(ctx context.Context, packageID uint) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&models.Version{}).Where("package_id = ?", packageID).Count(&n).Error
	return n, err
}

// PackageNames returns all package names in alphabetical order.
func (s *Service) PackageNames(ctx context.Context) ([]string, error) {
	var names []string
	err := s.db.WithContext(ctx).Model(&models.Package{}).Order("name").Pluck("name", &names).Error
	return names, err
}

// VersionNumbers returns the distinct version numbers in use, sorted.
func (s *Service) VersionNumbers(ctx context.Context) ([]string, error) {
	var numbers []string
	err := s.db.WithContext(ctx).
		Model(&models.Version{}).
		Distinct("number").
		Order("number").
		Pluck("number", &numbers).Error
	return numbers, err
}

// VersionCounts returns, for each package with at least min versions, how
// many it has.
func (s *Service) VersionCounts(ctx context.Context, min int) ([]VersionCount, error) {
	var rows []VersionCount
	err := s.db.WithContext(ctx).
		Model(&models.Version{}).
		Select("package_id, count(*) AS total").
		Group("package_id").
		Having("count(*) >= ?", min).
		Order("package_id").
		Scan(&rows).Error
	return rows, err
}

// ---------------------------------------------------------------------------
// Scopes

// Paginate is a scope that selects page (1-based) of the given size.
func Paginate(page, size int) func(*gorm.DB) *gorm.DB {
	return func(db *gorm.DB) *gorm.DB {
		if page < 1 {
			page = 1
		}
		if size < 1 || size > 100 {
			size = 20
		}
		return db.Offset((page - 1) * size).Limit(size)
	}
}

// Popular is a scope that keeps packages with at least min weekly downloads.
func Popular(min int) func(*gorm.DB) *gorm.DB {
	return func(db *gorm.DB) *gorm.DB {
		return db.Where("weekly_downloads >= ?", min)
	}
}

// OrderBy is a scope that orders by the given ORDER BY text.
func OrderBy(s string) func(*gorm.DB) *gorm.DB {
	return func(db *gorm.DB) *gorm.DB {
		// INTENTIONALLY UNSAFE (fixture for ormshift sqlinject): s is pasted
		// into ORDER BY as raw SQL; api.Server.SortedLegacy passes request input.
		return db.Order(s)
	}
}

// sortColumns is the allowlist of sort keys and the ORDER BY each stands for.
var sortColumns = map[string]string{
	"name":      "name",
	"downloads": "weekly_downloads DESC, id",
	"newest":    "id DESC",
}

// SortedBy is the safe counterpart of OrderBy: key must be one of the
// allowlisted sort keys.
func SortedBy(key string) (func(*gorm.DB) *gorm.DB, error) {
	order, ok := sortColumns[key]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownSort, key)
	}
	return func(db *gorm.DB) *gorm.DB {
		return db.Order(order)
	}, nil
}

// Packages returns the packages selected by the given scopes.
func (s *Service) Packages(ctx context.Context, scopes ...func(*gorm.DB) *gorm.DB) ([]models.Package, error) {
	var ps []models.Package
	err := s.db.WithContext(ctx).Scopes(scopes...).Find(&ps).Error
	return ps, err
}

// PopularPackages returns one page of the packages with at least min weekly
// downloads, by id.
func (s *Service) PopularPackages(ctx context.Context, min, page, size int) ([]models.Package, error) {
	var ps []models.Package
	err := s.db.WithContext(ctx).Scopes(Popular(min), Paginate(page, size)).Order("id").Find(&ps).Error
	return ps, err
}

// ---------------------------------------------------------------------------
// Creating

// CreatePackage registers a new package.
func (s *Service) CreatePackage(ctx context.Context, name string, description *string) (*models.Package, error) {
	p := models.Package{Name: name, Description: description}
	if err := s.db.WithContext(ctx).Create(&p).Error; err != nil {
		return nil, fmt.Errorf("create package %q: %w", name, err)
	}
	return &p, nil
}

// CreatePackages registers several packages in one statement.
func (s *Service) CreatePackages(ctx context.Context, names []string) ([]models.Package, error) {
	ps := make([]models.Package, len(names))
	for i, name := range names {
		ps[i] = models.Package{Name: name}
	}
	if err := s.db.WithContext(ctx).Create(&ps).Error; err != nil {
		return nil, fmt.Errorf("create packages: %w", err)
	}
	return ps, nil
}

// PublishPackage registers a package together with its first versions.
func (s *Service) PublishPackage(ctx context.Context, name string, description *string, versions []models.Version) (*models.Package, error) {
	p := models.Package{Name: name, Description: description, Versions: versions}
	if err := s.db.WithContext(ctx).Create(&p).Error; err != nil {
		return nil, fmt.Errorf("publish package %q: %w", name, err)
	}
	return &p, nil
}

// ImportVersions inserts versions for a package, batchSize rows per
// statement, and returns how many were inserted.
func (s *Service) ImportVersions(ctx context.Context, packageID uint, versions []models.Version, batchSize int) (int64, error) {
	for i := range versions {
		versions[i].PackageID = packageID
	}
	res := s.db.WithContext(ctx).CreateInBatches(&versions, batchSize)
	if res.Error != nil {
		return 0, fmt.Errorf("import versions: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// RegisterPackage saves a new package built in memory (Save of an object
// without a primary key inserts it).
func (s *Service) RegisterPackage(ctx context.Context, name string, downloads int) (*models.Package, error) {
	p := models.Package{Name: name, WeeklyDownloads: downloads}
	if err := s.db.WithContext(ctx).Save(&p).Error; err != nil {
		return nil, err
	}
	return &p, nil
}

// EnsurePackage returns the named package, creating it when missing; created
// reports whether it was created.
func (s *Service) EnsurePackage(ctx context.Context, name string) (p *models.Package, created bool, err error) {
	var pkg models.Package
	res := s.db.WithContext(ctx).Where(models.Package{Name: name}).FirstOrCreate(&pkg)
	if res.Error != nil {
		return nil, false, res.Error
	}
	return &pkg, res.RowsAffected == 1, nil
}

// EnsurePackageWithDefaults is EnsurePackage where a created package gets
// the given description and downloads (an existing one is left as is).
func (s *Service) EnsurePackageWithDefaults(ctx context.Context, name, description string, downloads int) (*models.Package, bool, error) {
	var p models.Package
	res := s.db.WithContext(ctx).
		Where(models.Package{Name: name}).
		Attrs(models.Package{Description: &description, WeeklyDownloads: downloads}).
		FirstOrCreate(&p)
	if res.Error != nil {
		return nil, false, res.Error
	}
	return &p, res.RowsAffected == 1, nil
}

// ---------------------------------------------------------------------------
// Updating

// SetDescription loads the named package, changes its description and saves
// it back.
func (s *Service) SetDescription(ctx context.Context, name string, description *string) (*models.Package, error) {
	var p models.Package
	if err := s.db.WithContext(ctx).Where("name = ?", name).First(&p).Error; err != nil {
		return nil, err
	}
	p.Description = description
	if err := s.db.WithContext(ctx).Save(&p).Error; err != nil {
		return nil, err
	}
	return &p, nil
}

// SetDownloads sets a package's weekly downloads and returns the number of
// rows changed.
func (s *Service) SetDownloads(ctx context.Context, id uint, n int) (int64, error) {
	res := s.db.WithContext(ctx).Model(&models.Package{}).Where("id = ?", id).Update("weekly_downloads", n)
	return res.RowsAffected, res.Error
}

// UpdateDetails changes description and downloads of a package. As with any
// GORM struct update, zero values (nil description, 0 downloads) are not
// written.
func (s *Service) UpdateDetails(ctx context.Context, id uint, description *string, downloads int) (int64, error) {
	res := s.db.WithContext(ctx).
		Model(&models.Package{ID: id}).
		Updates(models.Package{Description: description, WeeklyDownloads: downloads})
	return res.RowsAffected, res.Error
}

// ResetStats clears a package's downloads and description.
func (s *Service) ResetStats(ctx context.Context, id uint) (int64, error) {
	res := s.db.WithContext(ctx).
		Model(&models.Package{ID: id}).
		Updates(map[string]interface{}{"weekly_downloads": 0, "description": nil})
	return res.RowsAffected, res.Error
}

// IncrementDownloads adds by to a package's weekly downloads without
// touching updated_at.
func (s *Service) IncrementDownloads(ctx context.Context, name string, by int) (int64, error) {
	res := s.db.WithContext(ctx).
		Model(&models.Package{}).
		Where("name = ?", name).
		UpdateColumn("weekly_downloads", gorm.Expr("weekly_downloads + ?", by))
	return res.RowsAffected, res.Error
}

// DecayDownloads scales every package's downloads to percent of their value.
func (s *Service) DecayDownloads(ctx context.Context, percent int) (int64, error) {
	res := s.db.WithContext(ctx).Exec("UPDATE packages SET weekly_downloads = weekly_downloads * ? / 100", percent)
	return res.RowsAffected, res.Error
}

// ---------------------------------------------------------------------------
// Deleting

// DeleteVersion deletes one version by id.
func (s *Service) DeleteVersion(ctx context.Context, id uint) (int64, error) {
	res := s.db.WithContext(ctx).Delete(&models.Version{}, id)
	return res.RowsAffected, res.Error
}

// PruneVersions deletes a package's versions published before the cut-off.
func (s *Service) PruneVersions(ctx context.Context, packageID uint, before time.Time) (int64, error) {
	res := s.db.WithContext(ctx).
		Where("package_id = ? AND published_at < ?", packageID, before).
		Delete(&models.Version{})
	return res.RowsAffected, res.Error
}

// DeletePackageByID deletes a package row by id. It fails while the package
// still has versions (the foreign key has no cascade).
func (s *Service) DeletePackageByID(ctx context.Context, id uint) (int64, error) {
	res := s.db.WithContext(ctx).Delete(&models.Package{}, id)
	return res.RowsAffected, res.Error
}

// RemovePackage deletes the named package and all its versions in one
// transaction and returns how many versions went with it.
func (s *Service) RemovePackage(ctx context.Context, name string) (int64, error) {
	var removed int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var p models.Package
		if err := tx.Where("name = ?", name).First(&p).Error; err != nil {
			return err
		}
		res := tx.Where("package_id = ?", p.ID).Delete(&models.Version{})
		if res.Error != nil {
			return res.Error
		}
		removed = res.RowsAffected
		return tx.Delete(&p).Error
	})
	return removed, err
}

// ---------------------------------------------------------------------------
// Transactions

// ReleaseVersions publishes versions of the named package in one
// transaction. Each version is inserted in a nested transaction (a
// savepoint): a number the package already has is rolled back and counted as
// skipped, the others are kept.
func (s *Service) ReleaseVersions(ctx context.Context, name string, versions []models.Version) (released, skipped int, err error) {
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var p models.Package
		if err := tx.Where("name = ?", name).First(&p).Error; err != nil {
			return err
		}
		for _, v := range versions {
			v.PackageID = p.ID
			err := tx.Transaction(func(tx2 *gorm.DB) error {
				if err := tx2.Create(&v).Error; err != nil {
					return err
				}
				var n int64
				if err := tx2.Model(&models.Version{}).
					Where("package_id = ? AND number = ?", p.ID, v.Number).
					Count(&n).Error; err != nil {
					return err
				}
				if n > 1 {
					return ErrDuplicateVersion
				}
				return nil
			})
			switch {
			case errors.Is(err, ErrDuplicateVersion):
				skipped++
			case err != nil:
				return err
			default:
				released++
			}
		}
		return tx.Model(&p).Update("updated_at", time.Now()).Error
	})
	if err != nil {
		return 0, 0, err
	}
	return released, skipped, nil
}

// ---------------------------------------------------------------------------
// Raw SQL

// DownloadStats returns catalogue-wide totals.
func (s *Service) DownloadStats(ctx context.Context) (Stats, error) {
	var st Stats
	err := s.db.WithContext(ctx).Raw(`
		SELECT (SELECT count(*) FROM packages) AS packages,
		       (SELECT count(*) FROM versions) AS versions,
		       (SELECT coalesce(sum(weekly_downloads), 0) FROM packages) AS downloads`).
		Scan(&st).Error
	return st, err
}

// TopPackages returns the n most downloaded packages with their rank.
func (s *Service) TopPackages(ctx context.Context, n int) ([]PackageRank, error) {
	var rows []PackageRank
	err := s.db.WithContext(ctx).Raw(`
		SELECT rank() OVER (ORDER BY weekly_downloads DESC) AS rank, name, weekly_downloads
		FROM packages
		ORDER BY weekly_downloads DESC, name
		LIMIT ?`, n).
		Scan(&rows).Error
	return rows, err
}
