// Package v1 uses GORM v1 (github.com/jinzhu/gorm).
package v1

import (
	"github.com/jinzhu/gorm"

	"models"
)

func List(db *gorm.DB) ([]models.Package, error) { // want List:"callsites Find,Exec"
	var ps []models.Package
	err := db.Where("name <> ?", "").Order("name").Limit(5).Find(&ps).Error // want `legacy GORM v1 Find on Package \(packages\): where name <> \?, order name, limit 5`
	db.Exec("VACUUM")                                                       // want `legacy GORM v1 Exec: exec VACUUM`
	return ps, err
}
