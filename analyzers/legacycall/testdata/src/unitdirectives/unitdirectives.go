// Package unitdirectives is the fixture of suite.ForUnits: the directive
// checks that go vet -vettool and golangci-lint report through the
// "ormshift" analyzer (want comments are block comments: a // comment
// after a directive would be part of its reason).
package unitdirectives

import (
	"gorm.io/gorm"

	"models"
)

func F(db *gorm.DB) {
	var ps []models.Package
	//ormshift:ignore legacycall/read reviewed: nightly export
	db.Find(&ps)
	db.Order("id").Find(&ps) /* want `ormshift:ignore legacycall has no reason` */ //ormshift:ignore legacycall
	/* want `ormshift:ignore legacycall/write suppresses nothing: remove it` */ //ormshift:ignore legacycall/write nothing is written here
	db.Order("name").Find(&ps)
	/* want "ormshift:todo\\(legacycall/read\\): convert by hand" */ // ormshift:todo(legacycall/read): convert by hand
	// ormshift:ignore legacycall/read the spaced form is accepted
	db.Where("id > 0").Find(&ps)
	/* want `ormshift:ignore names unknown rule sqlinjcet` */ //ormshift:ignore sqlinjcet,legacycall/read typo in one rule
	db.Where("id > 1").Find(&ps)
	//ormshift:ignore sqlcheck sqlcheck does not run in this test: not unused
	db.Where("id > 2").Find(&ps)
	/* want `ormshift:ignore needs a rule` */ //ormshift:ignore
	_ = ps
}
