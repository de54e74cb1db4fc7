// Package store is pkgpulse's original data-access code, from before the
// service layer existed: a package-level *gorm.DB and helper functions that
// use it. Newer code goes through package service; the legacy handlers in
// package api still call these.
package store

import (
	"context"
	"fmt"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"example.com/pkgpulse/models"
)

// DB is the application's database handle, set by Connect.
var DB *gorm.DB

// Connect opens the PostgreSQL database at dsn and stores the handle in DB.
func Connect(dsn string) error {
	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{
		Logger: logger.Default.LogMode(logger.Silent),
	})
	if err != nil {
		return fmt.Errorf("connect to database: %w", err)
	}
	DB = db
	return nil
}

// ResetSchema drops pkgpulse's tables and recreates them from ddl (the
// contents of schema.sql), in one transaction.
func ResetSchema(ctx context.Context, ddl string) error {
	return DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("DROP TABLE IF EXISTS versions, packages").Error; err != nil {
			return fmt.Errorf("drop tables: %w", err)
		}
		if err := tx.Exec(ddl).Error; err != nil {
			return fmt.Errorf("create tables: %w", err)
		}
		return nil
	})
}

// FindPackage returns the named package.
func FindPackage(ctx context.Context, name string) (*models.Package, error) {
	var p models.Package
	if err := DB.WithContext(ctx).Where("name = ?", name).First(&p).Error; err != nil {
		return nil, err
	}
	return &p, nil
}

// RecentVersions returns the limit most recently published versions.
func RecentVersions(ctx context.Context, limit int) ([]models.Version, error) {
	var vs []models.Version
	err := DB.WithContext(ctx).Order("published_at DESC, id DESC").Limit(limit).Find(&vs).Error
	return vs, err
}

// RenamePackage renames a package and returns the number of rows changed.
func RenamePackage(ctx context.Context, from, to string) (int64, error) {
	res := DB.WithContext(ctx).Model(&models.Package{}).Where("name = ?", from).Update("name", to)
	return res.RowsAffected, res.Error
}

// SearchHit is one row of a name search.
type SearchHit struct {
	ID   uint   `json:"id"`
	Name string `json:"name"`
}

// SearchRaw returns the packages whose name contains q, by name. It is the
// safe form of the legacy search: the pattern is a bound parameter.
func SearchRaw(ctx context.Context, q string) ([]SearchHit, error) {
	var hits []SearchHit
	err := DB.WithContext(ctx).
		Raw("SELECT id, name FROM packages WHERE name LIKE ? ORDER BY name", "%"+q+"%").
		Scan(&hits).Error
	return hits, err
}
