// Package unitdirectivesall is the fixture of the golangci-lint plugin's
// directive checks with the whole suite: an sqlcheck ignore that suppresses
// nothing is reported (sqlcheck ran).
package unitdirectivesall

import (
	"gorm.io/gorm"

	"models"
)

func F(db *gorm.DB) {
	var ps []models.Package
	//ormshift:ignore legacycall/read reviewed: nightly export
	db.Find(&ps)
	/* want `ormshift:ignore sqlcheck suppresses nothing` */ //ormshift:ignore sqlcheck constant SQL is fine
	db.Where("id > 2").Find(&ps)
	/* want `ormshift:todo\(sqlinject\): check the sort key` */ // ormshift:todo(sqlinject): check the sort key
	db.Where("id > 3").Find(&ps)                                /* want `ormshift:ignore legacycall/read has no reason` */ //ormshift:ignore legacycall/read
}
