// Package models holds pkgpulse's GORM models.
package models

import "time"

// Package is a published library tracked by pkgpulse.
type Package struct {
	ID              uint    `gorm:"primaryKey"`
	Name            string  `gorm:"uniqueIndex;not null"`
	Description     *string // NULL when the author gave none
	WeeklyDownloads int     `gorm:"not null;default:0"`
	CreatedAt       time.Time
	UpdatedAt       time.Time
	Versions        []Version // has many, through Version.PackageID
}

// Version is one release of a Package.
type Version struct {
	ID          uint      `gorm:"primaryKey"`
	Number      string    `gorm:"not null"`
	PublishedAt time.Time `gorm:"not null"`
	PackageID   uint      `gorm:"not null;index"`
	Package     *Package  // belongs to; loaded only by Joins("Package")
}
