// Package broken does not type-check.
package broken

import "gorm.io/gorm"

func Count(db *gorm.DB) int64 {
	var n int64
	db.Table("packages").Count(&n)
	return n + nope
}

func Handle(db *gorm.DB) *gorm.DB { return db }
