// Package unitselect is the fixture of suite.ForUnits with the todo and
// ignore-reason rules disabled.
package unitselect

import (
	"gorm.io/gorm"

	"models"
)

func F(db *gorm.DB) {
	var ps []models.Package
	db.Order("id").Find(&ps) //ormshift:ignore legacycall
	// ormshift:todo(legacycall/read): convert by hand
	/* want `ormshift:ignore legacycall/tx suppresses nothing` */ //ormshift:ignore legacycall/tx no transaction here
	db.Find(&ps)
}
