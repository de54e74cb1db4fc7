package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ormshift/ormshift/analyzers/suite"
	"github.com/ormshift/ormshift/analyzers/vetdriver"
)

func init() { register(newVetCmd) }

// vetFlags are the flags vet and inventory share.
type vetFlags struct {
	tests           bool
	tags            string
	enable, disable []string
	jsonOut, sarif  bool
	fix, listRules  bool
	noCache         bool
}

func (f *vetFlags) config(patterns []string) *vetdriver.Config {
	cfg := &vetdriver.Config{Patterns: patterns, Tests: f.tests, Analyzers: suite.All(), Enable: f.enable, Disable: f.disable}
	if f.tags != "" {
		cfg.BuildFlags = []string{"-tags=" + f.tags}
	}
	return cfg
}

func newVetCmd() *cobra.Command {
	var f vetFlags
	cmd := &cobra.Command{
		Use:   "vet [packages]",
		Short: "Report legacy ORM calls and unsafe SQL, like go vet",
		Long: `vet runs ormshift's analyzers (` + analyzerList() + `) on the packages
(default ".") and prints one line per finding, file:line:col: message (rule).

Suppress a finding with a comment on the line before it (or at the end of its
line):   //ormshift:ignore RULE reason
RULE is an analyzer name, a rule id or "all". An ignore without a reason, and
one that suppresses nothing, are reported too (ormshift/ignore-reason,
ormshift/unused-ignore). "// ormshift:todo(RULE): reason" comments written by
ormshift rewrite --mark are reported as ormshift/todo.

Exit status: 0 nothing reported, 1 findings or packages with errors, 2 the
command could not run (bad flags, go list failed).

The same binary works as go vet -vettool=$(which ormshift) ./...`,
		Example: `  ormshift vet ./...
  ormshift vet --json ./... > vet.json
  ormshift vet --sarif ./... > ormshift.sarif
  ormshift vet --disable legacycall/tx --enable legacycall ./service/...
  ormshift vet --fix ./...`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.listRules {
				return printRules(cmd)
			}
			if f.jsonOut && f.sarif {
				return &exitError{code: 2, err: errors.New("--json and --sarif are exclusive")}
			}
			cfg := f.config(args)
			cfg.Cache = !f.fix && !f.noCache
			rep, err := vetdriver.Run(cmd.Context(), cfg)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			if len(rep.Packages) == 0 && len(rep.Errors) == 0 {
				return &exitError{code: 2, err: fmt.Errorf("no packages matched %s", strings.Join(cfg.Patterns, " "))}
			}
			out := cmd.OutOrStdout()
			remaining := len(rep.Findings)
			if f.fix {
				res, ferr := vetdriver.ApplyFixes(rep)
				if res != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "ormshift: applied %d fix(es) in %d file(s)\n", res.Applied, len(res.Files))
					var left []vetdriver.Finding
					for i, fd := range rep.Findings {
						if !res.Fixed[i] {
							left = append(left, fd)
						}
					}
					rep.Findings = left
					if len(res.Files) > 0 {
						// Positions and messages changed with the files:
						// analyze again and report what is really left.
						again, aerr := vetdriver.Run(cmd.Context(), cfg)
						if aerr != nil {
							fmt.Fprintln(cmd.ErrOrStderr(), "ormshift: analyzing the fixed files again:", aerr)
						} else {
							rep = again
						}
					}
					remaining = len(rep.Findings)
				}
				if ferr != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), "ormshift:", ferr)
				}
			}
			switch {
			case f.jsonOut:
				err = vetdriver.WriteJSON(out, rep)
			case f.sarif:
				err = vetdriver.WriteSARIF(out, rep, suite.All(), currentVersion().Version)
			default:
				err = vetdriver.WriteText(out, rep)
			}
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			if !f.jsonOut {
				_ = vetdriver.WriteErrors(cmd.ErrOrStderr(), rep)
			}
			if remaining > 0 || len(rep.Errors) > 0 {
				return exitCode(1)
			}
			return nil
		},
	}
	addVetFlags(cmd, &f)
	cmd.Flags().BoolVar(&f.jsonOut, "json", false, "print findings as JSON in the shape of go vet -json")
	cmd.Flags().BoolVar(&f.sarif, "sarif", false, "print findings as SARIF 2.1.0 (GitHub code scanning)")
	cmd.Flags().BoolVar(&f.fix, "fix", false, "apply suggested fixes, then report what is left")
	cmd.Flags().BoolVar(&f.listRules, "rules", false, "list the rule ids and exit")
	cmd.Flags().BoolVar(&f.noCache, "no-cache", false, "analyze even when an identical earlier run's results are cached (ORMSHIFT_CACHE=off disables the cache)")
	return cmd
}

func addVetFlags(cmd *cobra.Command, f *vetFlags) {
	cmd.Flags().BoolVar(&f.tests, "tests", false, "also analyze test files")
	cmd.Flags().StringVar(&f.tags, "tags", "", "comma-separated build tags (as go build -tags)")
	cmd.Flags().StringSliceVar(&f.enable, "enable", nil, "run only these analyzers or rules (comma-separated; names or rule ids)")
	cmd.Flags().StringSliceVar(&f.disable, "disable", nil, "do not run these analyzers or report these rules")
}

func analyzerList() string {
	var n []string
	for _, a := range suite.All() {
		n = append(n, a.Name)
	}
	return strings.Join(n, ", ")
}

func printRules(cmd *cobra.Command) error {
	w := cmd.OutOrStdout()
	for _, r := range suite.Rules() {
		fmt.Fprintf(w, "%-28s %s\n", r.ID, r.Short)
	}
	return nil
}

// goStyleFlags are long flags that go vet users write with one dash
// (-json, -fix); rewriteGoStyleFlags turns them into --json, --fix.
var goStyleFlags = map[string]bool{
	"json": true, "sarif": true, "fix": true, "tests": true, "tags": true,
	"enable": true, "disable": true, "markdown": true, "rules": true,
}

// rewriteGoStyleFlags rewrites -flag and -flag=value to the double-dash form
// for the vet and inventory commands; it returns nil when there is nothing
// to rewrite.
func rewriteGoStyleFlags(args []string) []string {
	cmdIdx := -1
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "vet" || a == "inventory" {
			cmdIdx = i
			break
		}
		if a == "-C" || a == "--chdir" {
			i++ // its value
			continue
		}
		if !strings.HasPrefix(a, "-") {
			return nil
		}
	}
	if cmdIdx < 0 {
		return nil
	}
	changed := false
	out := append([]string(nil), args...)
	for i := cmdIdx + 1; i < len(out); i++ {
		a := out[i]
		if a == "--" {
			break
		}
		if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && len(a) > 2 {
			name, _, _ := strings.Cut(a[1:], "=")
			if goStyleFlags[name] {
				out[i] = "-" + a
				changed = true
			}
		}
	}
	if !changed {
		return nil
	}
	return out
}
