//go:build never

package tagged

// This file is kept out of the build by the never tag: it does not
// type-check, and must not break the run.
func excluded() { return undefinedEverywhere() }
