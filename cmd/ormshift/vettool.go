package main

import (
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/unitchecker"

	"github.com/ormshift/ormshift/analyzers/suite"
)

// runVetTool answers the go vet -vettool protocol (unitchecker): go vet runs
// the tool with -V=full (version, for its cache), -flags (the flags it
// accepts, as JSON) and then once per package with a single *.cfg file
// argument. In that case it runs the suite through unitchecker (which exits
// the process) and never returns; otherwise it returns ok=false and the
// cobra CLI runs. It also lets go vet users write -json/-fix style flags
// for ormshift vet and inventory.
var runVetTool func(args []string) (code int, ok bool)

// It is assigned in init: run calls runVetTool, which may call run again.
func init() { runVetTool = vetTool }

func vetTool(args []string) (code int, ok bool) {
	if isVetProtocol(args) {
		unitchecker.Main(vetToolAnalyzers()...) // does not return
	}
	if rewritten := rewriteGoStyleFlags(args); rewritten != nil {
		return run(rewritten), true
	}
	return 0, false
}

// isVetProtocol reports whether args are go vet's invocation of a vet tool.
func isVetProtocol(args []string) bool {
	if len(args) == 0 {
		return false
	}
	for _, a := range args {
		switch {
		case a == "-flags" || a == "--flags":
			return true
		case strings.HasPrefix(a, "-V=") || a == "-V" || strings.HasPrefix(a, "--V="):
			return true
		}
	}
	last := args[len(args)-1]
	if !strings.HasSuffix(last, ".cfg") {
		return false
	}
	for _, a := range args[:len(args)-1] {
		if !strings.HasPrefix(a, "-") {
			return false
		}
	}
	return true
}

// vetToolAnalyzers is the suite with //ormshift:ignore suppression, plus
// the "ormshift" analyzer that reports the directives' own problems
// (ormshift/ignore-reason, ormshift/unused-ignore, ormshift/todo,
// ormshift/bad-directive).
func vetToolAnalyzers() []*analysis.Analyzer {
	return suite.ForUnits(suite.All(), nil)
}
