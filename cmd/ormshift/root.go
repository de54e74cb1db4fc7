package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// commands holds the constructors of the subcommands; each command's file
// registers itself in an init function, so adding a command touches only its
// own file.
var commands []func() *cobra.Command

func register(f func() *cobra.Command) { commands = append(commands, f) }

func newRootCmd() *cobra.Command {
	var dir string
	root := &cobra.Command{
		Use:   "ormshift",
		Short: "Move a Go codebase off GORM onto unit-of-work code on PostgreSQL, safely",
		Long: `ormshift finds legacy ORM calls and unsafe SQL (vet), measures how much is
left (inventory), converts call sites to unit-of-work code (rewrite), checks the
old and new data paths against each other in staging (dualrun), and adopts an
existing schema as the start of a new migration history (baseline).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if dir != "" {
				if err := os.Chdir(dir); err != nil {
					return fmt.Errorf("-C %s: %w", dir, err)
				}
			}
			return nil
		},
	}
	root.PersistentFlags().StringVarP(&dir, "chdir", "C", "", "change to `dir` before doing anything (as go -C)")
	cobra.EnableTraverseRunHooks = true
	root.AddCommand(newVersionCmd())
	for _, f := range commands {
		root.AddCommand(f())
	}
	return root
}

// formatFlag adds --format text|json to cmd and returns a getter that
// validates it.
func formatFlag(cmd *cobra.Command) func() (string, error) {
	f := cmd.Flags().String("format", "text", "output format: text or json")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return func() (string, error) {
		switch *f {
		case "text", "json":
			return *f, nil
		}
		return "", fmt.Errorf("--format %q: want text or json", *f)
	}
}

// writeJSON prints v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	return nil
}
