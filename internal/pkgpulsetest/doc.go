// Package pkgpulsetest holds the root module's tests of the bundled legacy
// GORM application in testdata/pkgpulse (its own Go module, which root
// `go test ./...` does not build): the scenario transcript matches the
// checked-in golden file and is deterministic, the scenario calls every
// exported service, store and api function, and the fixture stays vet- and
// gofmt-clean.
//
// Rewrite the golden file after an intended change with
//
//	go test ./internal/pkgpulsetest -update
package pkgpulsetest
