// Package usesbroken imports a package with type errors; it is still analyzed.
package usesbroken

import (
	"gorm.io/gorm"

	"example.com/app/broken"
	"example.com/app/models"
)

func Load(db *gorm.DB) (models.Package, error) {
	var p models.Package
	err := broken.Handle(db).First(&p, 42).Error
	return p, err
}
