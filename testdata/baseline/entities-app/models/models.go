// Package models is a small application's entities, for ormshift
// baseline's entity-drift tests.
package models

import "time"

// Package is a published package.
type Package struct {
	ID              int64  `gorm:"primaryKey"`
	Name            string `gorm:"size:100;not null;unique"`
	WeeklyDownloads int
	Description     *string
	Versions        []Version `gorm:"foreignKey:PackageID"`
	CreatedAt       time.Time
}

// TableName is the table of Package.
func (Package) TableName() string { return "packages" }

// Version is one release of a package.
type Version struct {
	ID        int64
	PackageID int64
	Number    string `gorm:"not null"`
}

// TableName is the table of Version.
func (Version) TableName() string { return "versions" }

// notAnEntity has neither a TableName method nor gorm tags.
type Helper struct{ N int }
