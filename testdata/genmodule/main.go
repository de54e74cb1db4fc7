// Command genmodule writes a synthetic legacy GORM module for benchmarks:
// a models package and service packages with realistic data-access code
// (chains through fields, helpers, scopes, transactions, raw SQL) mixed with
// plain Go. The module requires the real gorm.io/gorm v1.31.2, which must be
// in the module cache (it is a dependency of ormshift).
//
//	go run ./testdata/genmodule -o /tmp/gen -files 500
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/ormshift/ormshift/testdata/genmodule/gen"
)

func main() {
	out := flag.String("o", "", "output directory (created; must be empty or absent)")
	files := flag.Int("files", 500, "number of Go files to write")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "genmodule: -o is required")
		os.Exit(2)
	}
	n, err := gen.Write(*out, *files)
	if err != nil {
		fmt.Fprintln(os.Stderr, "genmodule:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d Go files to %s\n", n, *out)
}
