package a

import (
	"context"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"models"
)

// DB is a package-level handle.
var DB *gorm.DB

type Service struct {
	db *gorm.DB
}

func (s *Service) Top(ctx context.Context) ([]models.Package, error) { // want Top:"callsites Find"
	var ps []models.Package
	err := s.db.WithContext(ctx).Where("weekly_downloads >= ?", 1000).Order("weekly_downloads desc").Limit(10).Find(&ps).Error // want `legacy GORM Find on Package \(packages\): where weekly_downloads >= \?, order weekly_downloads desc, limit 10`
	return ps, err
}

// Search builds its query in a local variable, conditionally.
func (s *Service) Search(name string, min int) ([]models.Package, error) { // want Search:"callsites Find"
	q := s.db.Model(&models.Package{})
	if name != "" {
		q = q.Where("name LIKE ?", name+"%")
	}
	q = q.Where("weekly_downloads >= ?", min)
	var ps []models.Package
	return ps, q.Find(&ps).Error // want `legacy GORM Find on Package \(packages\): where name LIKE \?, where weekly_downloads >= \?`
}

// Active is a helper that extends its parameter.
func Active(db *gorm.DB) *gorm.DB { // want Active:"chain param\\(db\\) Where"
	return db.Where("deleted_at IS NULL")
}

// Popular is a helper rooted at the global handle.
func Popular() *gorm.DB { // want Popular:"chain global\\(DB\\) Model.Where"
	return DB.Model(&models.Package{}).Where("weekly_downloads > ?", 100)
}

// Paginate is a scope factory.
func Paginate(page, size int) func(db *gorm.DB) *gorm.DB { // want Paginate:"scope chain param\\(\\) Offset.Limit"
	return func(db *gorm.DB) *gorm.DB {
		return db.Offset((page - 1) * size).Limit(size)
	}
}

func (s *Service) Helpers(ctx context.Context) (int64, error) { // want Helpers:"callsites Count,Find,Find"
	var n int64
	if err := Active(s.db).Model(&models.Package{}).Count(&n).Error; err != nil { // want `legacy GORM Count on Package \(packages\): where deleted_at IS NULL`
		return 0, err
	}
	var ps []models.Package
	if err := Popular().Scopes(Active, Paginate(2, 20)).Find(&ps).Error; err != nil { // want `legacy GORM Find on Package \(packages\): where weekly_downloads > \?, where deleted_at IS NULL, offset \(page - 1\) \* size, limit size`
		return 0, err
	}
	err := DB.Scopes(func(db *gorm.DB) *gorm.DB { return db.Order("name") }).Find(&ps).Error // want `legacy GORM Find on Package \(packages\): order name`
	return n, err
}

func (s *Service) Writes(p *models.Package, v *models.Version) error { // want Writes:"callsites Create,Save,Updates,Update,Delete,Delete,Association,FirstOrCreate"
	s.db.Create(p)                                                       // want `legacy GORM Create on Package \(packages\)`
	s.db.Save(v)                                                         // want `legacy GORM Save on Version \(package_versions\)`
	s.db.Model(p).Updates(map[string]any{"name": "x"})                   // want `legacy GORM Updates on Package \(packages\): set map\[string\]any\{"name": "x"\}`
	s.db.Model(&models.Package{}).Where("id = ?", 1).Update("name", "y") // want `legacy GORM Update on Package \(packages\): where id = \?, set name`
	s.db.Delete(&models.Version{}, 7)                                    // want `legacy GORM Delete on Version \(package_versions\): where id = 7`
	s.db.Where("package_id = ?", p.ID).Delete(&models.Version{})         // want `legacy GORM Delete on Version \(package_versions\): where package_id = \?`
	s.db.Model(p).Association("Versions").Append(v)                      // want `legacy GORM Association on Package \(packages\): association Versions`
	return s.db.Where(models.Package{Name: "x"}).FirstOrCreate(p).Error  // want `legacy GORM FirstOrCreate on Package \(packages\): where models.Package\{Name: "x"\}`
}

func (s *Service) Raws() (map[string]any, error) { // want Raws:"callsites Scan,Exec,Count"
	m := map[string]any{}
	if err := s.db.Raw("SELECT count(*) AS n FROM packages WHERE name = ?", "x").Scan(&m).Error; err != nil { // want `legacy GORM Scan: raw SELECT count\(\*\) AS n FROM packages WHERE name = \?`
		return nil, err
	}
	s.db.Exec("UPDATE packages SET weekly_downloads = 0") // want `legacy GORM Exec: exec UPDATE packages SET weekly_downloads = 0`
	var n int64
	s.db.Table("stats").Count(&n) // want `legacy GORM Count on unknown model \(stats\)`
	return m, nil
}

func (s *Service) Tx(ctx context.Context, p *models.Package) error { // want Tx:"callsites Transaction,Create,Begin,Create,Rollback,Commit"
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error { // want `legacy GORM Transaction`
		return tx.Clauses(clause.Locking{Strength: "UPDATE"}).Create(p).Error // want `legacy GORM Create on Package \(packages\): clauses clause.Locking\{Strength: "UPDATE"\}`
	})
	if err != nil {
		return err
	}
	tx := s.db.Begin()                                                        // want `legacy GORM Begin`
	if err := tx.Create(&models.Version{PackageID: p.ID}).Error; err != nil { // want `legacy GORM Create on Version \(package_versions\)`
		tx.Rollback() // want `legacy GORM Rollback`
		return err
	}
	return tx.Commit().Error // want `legacy GORM Commit`
}

func Migrate(db *gorm.DB) error { // want Migrate:"callsites AutoMigrate,Migrator"
	if err := db.AutoMigrate(&models.Package{}, &models.Version{}); err != nil { // want `legacy GORM AutoMigrate on Package, Version \(packages, package_versions\)`
		return err
	}
	_ = db.Migrator() // want `legacy GORM Migrator on unknown model`
	return nil
}

func Generic(ctx context.Context, db *gorm.DB) (models.Package, error) { // want Generic:"callsites First,Exec"
	p, err := gorm.G[models.Package](db).Where("name = ?", "gorm").Order("id").First(ctx) // want `legacy GORM First on Package \(packages\): where name = \?, order id`
	if err != nil {
		return p, err
	}
	err = gorm.G[models.Stat](db).Exec(ctx, "DELETE FROM stats") // want `legacy GORM Exec on Stat \(stats\): exec DELETE FROM stats`
	return p, err
}

func Batches(db *gorm.DB) error { // want Batches:"callsites FindInBatches,Save"
	var ps []models.Package
	return db.Where("weekly_downloads = 0").FindInBatches(&ps, 100, func(tx *gorm.DB, batch int) error { // want `legacy GORM FindInBatches on Package \(packages\): where weekly_downloads = 0`
		return tx.Save(&ps).Error // want `legacy GORM Save on Package \(packages\): where weekly_downloads = 0`
	}).Error
}

// NotLegacy does nothing with GORM.
func NotLegacy() int { return len("x") }
