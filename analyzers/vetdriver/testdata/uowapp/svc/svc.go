// Package svc is half migrated.
package svc

import (
	"context"

	"gorm.io/gorm"

	"github.com/ormshift/ormshift/uow"
)

type Package struct {
	ID   uint
	Name string
}

// Converted: two reads, a persist and a flush.
func Converted(ctx context.Context) error {
	em := uow.FromContext(ctx)
	if _, err := uow.Find[Package](ctx, em); err != nil {
		return err
	}
	p, err := uow.FindOneOrFail[Package](ctx, em)
	if err != nil {
		return err
	}
	if err := em.Persist(p); err != nil {
		return err
	}
	return em.Flush(ctx)
}

// Legacy: one read and two writes left.
func Legacy(db *gorm.DB) error {
	var ps []Package
	db.Find(&ps)
	db.Create(&Package{Name: "x"})
	return db.Delete(&Package{}, 1).Error
}
