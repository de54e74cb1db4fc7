// A fixture module that takes ormshift's module path so its uow package
// stands in for the runtime (same import path, same signatures) in
// inventory tests.
module github.com/ormshift/ormshift

go 1.26.0

require gorm.io/gorm v1.31.2

require (
	github.com/jinzhu/inflection v1.0.0 // indirect
	github.com/jinzhu/now v1.1.5 // indirect
	golang.org/x/text v0.42.0 // indirect
)
