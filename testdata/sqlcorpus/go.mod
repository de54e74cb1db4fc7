module example.com/sqlcorpus

go 1.26.0

require (
	github.com/gin-gonic/gin v0.0.0
	github.com/jackc/pgx/v5 v5.12.0
	gorm.io/gorm v1.31.2
)

require (
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	github.com/jinzhu/inflection v1.0.0 // indirect
	github.com/jinzhu/now v1.1.5 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/text v0.42.0 // indirect
)

// gin is not a dependency of ormshift: a local stub with gin's exact
// signatures for the methods the corpus uses.
replace github.com/gin-gonic/gin => ./stubs/gin
