package tagged

import "gorm.io/gorm"

func Delete(db *gorm.DB, id uint) error {
	return db.Exec("DELETE FROM packages WHERE id = ?", id).Error
}
