// Package filtered is the fixture of the golangci-lint plugin test: writes
// are disabled by the plugin settings, and an //ormshift:ignore hides a read.
package filtered

import (
	"gorm.io/gorm"

	"models"
)

func F(db *gorm.DB) { // want F:"callsites Find,Find,Create"
	var ps []models.Package
	db.Find(&ps) // want `legacy GORM Find on Package \(packages\)`
	//ormshift:ignore legacycall/read reviewed: nightly export
	db.Order("id").Find(&ps)
	db.Create(&ps)
}
