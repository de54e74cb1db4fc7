// Package models holds the fixture models; it does not import gorm.
package models

import "time"

type Package struct {
	ID              uint
	Name            string
	WeeklyDownloads int
	CreatedAt       time.Time
	Versions        []Version
}

type Version struct { // want Version:"table package_versions"
	ID        uint `gorm:"primaryKey"`
	PackageID uint
	Number    string `gorm:"column:num"`
}

func (Version) TableName() string { return "package_versions" }

type Stat struct {
	Day   string `gorm:"primaryKey"`
	Count int
}
