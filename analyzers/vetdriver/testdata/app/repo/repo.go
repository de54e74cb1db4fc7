// Package repo exercises suppression: ignores with and without a reason,
// an ignore that suppresses nothing, and a todo left by rewrite --mark.
package repo

import (
	"gorm.io/gorm"

	"example.com/app/models"
)

type Repo struct{ db *gorm.DB }

func (r *Repo) Top() ([]models.Package, error) {
	var ps []models.Package
	err := r.db.Order("weekly_downloads desc").Limit(10).Find(&ps).Error
	return ps, err
}

func (r *Repo) All() []models.Package {
	var ps []models.Package
	//ormshift:ignore legacycall/read reviewed: admin-only export, runs nightly
	r.db.
		Order("id").
		Find(&ps)
	r.db.Where("name <> ''").Find(&ps) //ormshift:ignore legacycall
	return ps
}

func (r *Repo) Audit(action string) error {
	//ormshift:ignore legacycall/write the audit table stays on GORM
	n := len(action)
	_ = n
	// ormshift:todo(legacycall/write): audit rows need the request id first
	return r.db.Create(&models.AuditEntry{Action: action}).Error
}
