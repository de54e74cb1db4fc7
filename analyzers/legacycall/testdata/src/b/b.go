// Package b uses package a's helpers: their chains come through facts.
package b

import (
	"a"
	"models"
)

func Page(n int) ([]models.Package, error) { // want Page:"callsites First,Find"
	var p models.Package
	a.Active(a.DB).First(&p, "name = ?", "x") // want `legacy GORM First on Package \(packages\): where deleted_at IS NULL, where name = \?`
	var ps []models.Package
	err := a.Popular().Scopes(a.Paginate(n, 10)).Find(&ps).Error // want `legacy GORM Find on Package \(packages\): where weekly_downloads > \?, offset \(page - 1\) \* size, limit size`
	return ps, err
}
