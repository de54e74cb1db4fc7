package a

import (
	"database/sql"

	"gorm.io/gorm"

	"models"
)

// Clauses exercises the remaining rows of the legacy API table.
func Clauses(db *gorm.DB, name string) error { // want Clauses:"callsites Find,Pluck,Scan,Take,Last,FirstOrInit,Row,Rows,ScanRows,UpdateColumn,UpdateColumns,SavePoint,RollbackTo,Connection,SetupJoinTable,Count"
	var ps []models.Package
	var p models.Package
	db.Select("id", "name").Distinct().Joins("Versions").Where("name = ?", name).Not("id = ?", 0).Or("id = ?", 1).Omit("created_at").Unscoped().Offset(5).Find(&ps) // want `legacy GORM Find on Package \(packages\): select id, name, distinct, join Versions, where name = \?, not id = \?, or id = \?, omit created_at, unscoped, offset 5`
	var names []string
	db.Model(&models.Package{}).Group("name").Having("count(*) > ?", 1).Pluck("name", &names) // want `legacy GORM Pluck on Package \(packages\): group name, having count\(\*\) > \?, pluck name`
	db.Table("packages").Select("name").Scan(&names)                                          // want `legacy GORM Scan on unknown model \(packages\): select name`
	db.Take(&p, "name = ?", name)                                                             // want `legacy GORM Take on Package \(packages\): where name = \?`
	db.Last(&p)                                                                               // want `legacy GORM Last on Package \(packages\)`
	db.Attrs(models.Package{WeeklyDownloads: 1}).FirstOrInit(&p, models.Package{Name: name})  // want `legacy GORM FirstOrInit on Package \(packages\): attrs models.Package\{WeeklyDownloads: 1\}, where models.Package\{Name: name\}`
	_ = db.Model(&p).Row()                                                                    // want `legacy GORM Row on Package \(packages\)`
	rows, err := db.Model(&p).Rows()                                                          // want `legacy GORM Rows on Package \(packages\)`
	if err != nil {
		return err
	}
	var r *sql.Rows = rows
	_ = db.ScanRows(r, &p)                                                  // want `legacy GORM ScanRows on Package \(packages\)`
	db.Model(&p).UpdateColumn("weekly_downloads", 0)                        // want `legacy GORM UpdateColumn on Package \(packages\): set weekly_downloads`
	db.Model(&p).UpdateColumns(models.Package{WeeklyDownloads: 2})          // want `legacy GORM UpdateColumns on Package \(packages\): set models.Package\{WeeklyDownloads: 2\}`
	db.SavePoint("sp1")                                                     // want `legacy GORM SavePoint`
	db.RollbackTo("sp1")                                                    // want `legacy GORM RollbackTo`
	_ = db.Connection(func(tx *gorm.DB) error { return nil })               // want `legacy GORM Connection`
	_ = db.SetupJoinTable(&models.Package{}, "Versions", &models.Version{}) // want `legacy GORM SetupJoinTable on Package, Version \(packages, package_versions\)`
	var n int64
	return db.Preload("Versions", "number <> ?", "").Model(&p).Count(&n).Error // want `legacy GORM Count on Package \(packages\): preload Versions`
}
