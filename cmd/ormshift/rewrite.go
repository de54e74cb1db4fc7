package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ormshift/ormshift/analyzers/legacyapi"
	"github.com/ormshift/ormshift/rewrite"
)

func init() { register(newRewriteCmd) }

func newRewriteCmd() *cobra.Command {
	var (
		write, list, mark, listRules bool
		only                         []string
		flush, report                string
	)
	cmd := &cobra.Command{
		Use:   "rewrite [packages]",
		Short: "Convert legacy ORM call sites to unit-of-work code (diff by default, -w to write)",
		Long: `rewrite converts the legacy GORM call sites of the packages (default ".") that
it can prove equivalent into unit-of-work code (package uow), and leaves the
others untouched with the reason.

By default it prints a unified diff (git apply takes it) and exits 2 when there
are changes, 0 when there is nothing to do. -w writes the files (atomically,
after type-checking every changed package with the new code: if one fails,
nothing is written), -l lists the files it would change. A summary goes to
standard error; --report=json|text prints the per-site report on standard
output instead of the diff.

Exit status: 0 nothing left to change (or written with -w), 2 a dry run found
changes, 1 error (load, type-check of the result, write).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if listRules {
				return printRewriteRules(cmd.OutOrStdout())
			}
			var fm rewrite.FlushMode
			switch flush {
			case "immediate", "":
				fm = rewrite.FlushImmediate
			case "deferred":
				fm = rewrite.FlushDeferred
			default:
				return fmt.Errorf("--flush %q: want immediate or deferred", flush)
			}
			switch report {
			case "", "text", "json":
			default:
				return fmt.Errorf("--report %q: want text or json", report)
			}
			var rules []string
			for _, r := range only {
				for _, x := range strings.Split(r, ",") {
					if x = strings.TrimSpace(x); x != "" {
						if !strings.HasPrefix(x, "rewrite/") {
							x = "rewrite/" + x
						}
						rules = append(rules, x)
					}
				}
			}
			res, err := rewrite.Run(cmd.Context(), rewrite.Options{Patterns: args, Rules: rules, Flush: fm, Mark: mark})
			if err != nil {
				return err
			}
			out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
			if len(res.TypeErrors) > 0 {
				if os.Getenv("ORMSHIFT_REWRITE_DEBUG") != "" {
					_, _ = out.Write(res.Diff())
				}
				fmt.Fprintf(errw, "ormshift: the rewritten code does not type-check; nothing was written:\n")
				for _, e := range res.TypeErrors {
					fmt.Fprintf(errw, "\t%s\n", e)
				}
				return exitCode(1)
			}
			switch {
			case report == "json":
				if err := res.Report.WriteJSON(out); err != nil {
					return err
				}
			case report == "text":
				if err := res.Report.WriteText(out, true); err != nil {
					return err
				}
			case list:
				for _, f := range res.Files {
					fmt.Fprintln(out, f.Rel)
				}
			case !write:
				if _, err := out.Write(res.Diff()); err != nil {
					return err
				}
			}
			if write {
				if err := res.Write(); err != nil {
					return err
				}
			}
			if report == "" {
				sm := res.Report.Summary
				verb := "would change"
				if write {
					verb = "changed"
				}
				fmt.Fprintf(errw, "ormshift rewrite: %d legacy call sites, %d converted (%.1f%%), %d skipped, %d marked; %d of %d not-found checks rewritten; %s %d file(s)\n",
					sm.Sites, sm.Converted, 100*sm.Share, sm.Skipped, sm.Marked, sm.NotFoundConverted, sm.NotFoundChecks, verb, sm.Files)
				if fm == rewrite.FlushDeferred {
					for _, s := range res.Report.Sites {
						if s.FlushChange != "" {
							fmt.Fprintf(errw, "%s:%d:%d: %s: %s\n", s.File, s.Line, s.Column, s.Rule, s.FlushChange)
						}
					}
				}
			}
			if !write && len(res.Files) > 0 {
				return exitCode(2)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&write, "write", "w", false, "write the result to the files instead of printing a diff")
	f.BoolVarP(&list, "list", "l", false, "list the files that would change")
	f.StringSliceVar(&only, "only", nil, "apply only these rules (comma-separated, e.g. find,first or rewrite/find)")
	f.StringSliceVar(&only, "rules", nil, "same as --only")
	f.BoolVar(&listRules, "list-rules", false, "print the conversion table (rule, legacy shape, target) and exit")
	f.StringVar(&flush, "flush", "immediate", "when converted writes reach the database: immediate (where the legacy call wrote) or deferred (request middleware; every changed site is listed)")
	f.BoolVar(&mark, "mark", false, "add `// ormshift:todo(RULE): reason` above each site left as it is")
	f.StringVar(&report, "report", "", "print the per-site report (text or json) on standard output instead of the diff")
	return cmd
}

func printRewriteRules(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tLEGACY\tBECOMES")
	for _, c := range legacyapi.Conversions {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Rule, c.Shape, c.Target)
	}
	return tw.Flush()
}
