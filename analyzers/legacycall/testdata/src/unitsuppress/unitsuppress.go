// Package unitsuppress is the fixture of suite.ForUnits' suppression.
package unitsuppress

import (
	"gorm.io/gorm"

	"models"
)

func F(db *gorm.DB) { // want F:"callsites Find,Find,Find,Create"
	var ps []models.Package
	//ormshift:ignore legacycall/read reviewed: nightly export
	db.Find(&ps)
	db.Order("id").Find(&ps) //ormshift:ignore legacycall the report job owns this query
	// ormshift:ignore legacycall/write a write rule does not cover a read
	db.Order("name").Find(&ps) // want `legacy GORM Find on Package \(packages\): order name`
	db.Create(&ps)             // want `legacy GORM Create on Package \(packages\)`
}
