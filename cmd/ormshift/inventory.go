package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/ormshift/ormshift/analyzers/suite"
	"github.com/ormshift/ormshift/analyzers/vetdriver"
)

func init() { register(newInventoryCmd) }

func newInventoryCmd() *cobra.Command {
	var f vetFlags
	var jsonOut, markdown bool
	cmd := &cobra.Command{
		Use:   "inventory [packages]",
		Short: "Count legacy, converted and unsafe data-access sites per package",
		Long: `inventory measures the migration: per package and operation kind (read,
write, raw, tx, schema) the legacy ORM call sites left, the call sites already
converted to the unit-of-work runtime, the unsafe SQL sites (sqlinject), and
the percentage migrated, converted / (converted + legacy).

Exit status: 0 (also when legacy sites remain), 1 when some packages could
not be analyzed, 2 when the command could not run.`,
		Example: `  ormshift inventory ./...
  ormshift inventory --markdown ./... > inventory.md
  ormshift inventory --json ./...`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if jsonOut && markdown {
				return &exitError{code: 2, err: errors.New("--json and --markdown are exclusive")}
			}
			cfg := f.config(args)
			cfg.Analyzers = suite.All()
			rep, err := vetdriver.Run(cmd.Context(), cfg)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			inv, err := vetdriver.BuildInventory(rep)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			out := cmd.OutOrStdout()
			switch {
			case jsonOut:
				err = vetdriver.WriteInventoryJSON(out, inv)
			case markdown:
				err = vetdriver.WriteInventoryMarkdown(out, inv)
			default:
				err = vetdriver.WriteInventoryText(out, inv)
			}
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			if !jsonOut && !markdown {
				_ = vetdriver.WriteErrors(cmd.ErrOrStderr(), rep)
			}
			if len(rep.Errors) > 0 {
				return exitCode(1)
			}
			return nil
		},
	}
	addVetFlags(cmd, &f)
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the inventory as JSON")
	cmd.Flags().BoolVar(&markdown, "markdown", false, "print the inventory as Markdown (for a pull-request comment)")
	return cmd
}
