package cgo

// #include <stdlib.h>
import "C"

func native() { undefinedInCgo() }
