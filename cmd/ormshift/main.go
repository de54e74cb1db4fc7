// Command ormshift moves a Go codebase off GORM onto unit-of-work code on
// PostgreSQL, one call site at a time. See the README for the workflow.
package main

import (
	"errors"
	"fmt"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the CLI with args and returns the process exit code.
func run(args []string) int {
	if code, ok := runVetTool(args); ok {
		return code
	}
	root := newRootCmd()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ex *exitError
	if errors.As(err, &ex) {
		if ex.err != nil {
			fmt.Fprintln(os.Stderr, "ormshift:", ex.err)
		}
		return ex.code
	}
	fmt.Fprintln(os.Stderr, "ormshift:", err)
	return 1
}

// exitError makes a command exit with a given code. err, when set, is
// printed first; a nil err exits quietly (the command printed its results).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	return fmt.Sprintf("exit status %d", e.code)
}

func (e *exitError) Unwrap() error { return e.err }

// exitCode returns an error that makes ormshift exit with code, silently.
func exitCode(code int) error { return &exitError{code: code} }
