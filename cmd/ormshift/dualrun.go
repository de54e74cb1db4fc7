package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/ormshift/ormshift/dualrun"
)

func init() { register(newDualrunCmd) }

func newDualrunCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dualrun",
		Short: "Set up row-effect capture, and report on or gate dual-run experiments",
		Long: `dualrun works with the dualrun library, which runs the legacy (control) and
new (candidate) data paths side by side and publishes how they compare.

  install    create the capture schema and triggers on the tables written by write experiments
  uninstall  remove them
  report     per experiment: samples, match rate, mismatch examples, latency, statements
  gate       exit 0 only when every experiment has enough samples and a low enough mismatch rate`,
	}
	cmd.AddCommand(newDualrunInstallCmd(), newDualrunUninstallCmd(), newDualrunReportCmd(), newDualrunGateCmd())
	return cmd
}

func dsnFlag(cmd *cobra.Command, dsn *string) {
	cmd.Flags().StringVar(dsn, "dsn", os.Getenv("DATABASE_URL"), "PostgreSQL connection string (default $DATABASE_URL)")
}

func connect(ctx context.Context, dsn string) (*pgx.Conn, error) {
	if dsn == "" {
		return nil, &exitError{code: 2, err: fmt.Errorf("--dsn is required (or set DATABASE_URL)")}
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	return conn, nil
}

func lockTimeoutFlag(cmd *cobra.Command, o *dualrun.InstallOptions) {
	cmd.Flags().DurationVar(&o.LockTimeout, "lock-timeout", dualrun.DefaultLockTimeout,
		"give up when a table's lock is not granted within this time (writers queue behind a waiting trigger change)")
}

func newDualrunInstallCmd() *cobra.Command {
	var dsn string
	var tables []string
	var opts dualrun.InstallOptions
	cmd := &cobra.Command{
		Use:   "install --dsn DSN --tables t1,t2",
		Short: "Install row-effect capture triggers on tables (idempotent, one transaction)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(tables) == 0 {
				return &exitError{code: 2, err: fmt.Errorf("--tables is required")}
			}
			ctx := cmd.Context()
			conn, err := connect(ctx, dsn)
			if err != nil {
				return err
			}
			defer conn.Close(context.Background())
			done, err := dualrun.Install(ctx, conn, tables, opts)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "capture installed in schema %s on %d table(s): %s\n", dualrun.Schema, len(done), strings.Join(done, ", "))
			return nil
		},
	}
	dsnFlag(cmd, &dsn)
	cmd.Flags().StringSliceVar(&tables, "tables", nil, "tables to capture (`name` or schema.name, comma-separated or repeated)")
	lockTimeoutFlag(cmd, &opts)
	return cmd
}

func newDualrunUninstallCmd() *cobra.Command {
	var dsn string
	var dropResults bool
	var opts dualrun.InstallOptions
	cmd := &cobra.Command{
		Use:   "uninstall --dsn DSN",
		Short: "Remove every capture trigger, the capture and guard functions and tables (one transaction)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			conn, err := connect(ctx, dsn)
			if err != nil {
				return err
			}
			defer conn.Close(context.Background())
			done, err := dualrun.Uninstall(ctx, conn, dropResults, opts)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "capture removed from %d table(s)", len(done))
			if len(done) > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), ": %s", strings.Join(done, ", "))
			}
			fmt.Fprintln(cmd.OutOrStdout())
			if dropResults {
				fmt.Fprintf(cmd.OutOrStdout(), "schema %s dropped, with the results table\n", dualrun.Schema)
			}
			return nil
		},
	}
	dsnFlag(cmd, &dsn)
	cmd.Flags().BoolVar(&dropResults, "drop-results", false, "also drop the results table and the "+dualrun.Schema+" schema (refused if it holds anything else)")
	lockTimeoutFlag(cmd, &opts)
	return cmd
}

// source is where report and gate read results from.
type source struct {
	files []string
	dsn   string
	table string
}

func (s *source) flags(cmd *cobra.Command) {
	cmd.Flags().StringSliceVarP(&s.files, "file", "f", nil, "JSON lines results file(s) (default "+dualrun.DefaultResultsFile+", or $"+dualrun.EnvResultsFile+")")
	cmd.Flags().StringVar(&s.dsn, "dsn", "", "read the results table of the PostgreSQL publisher instead of files")
	cmd.Flags().StringVar(&s.table, "table", dualrun.ResultsTable, "results table, with --dsn")
}

func (s *source) summaries(ctx context.Context) ([]dualrun.Summary, error) {
	agg := dualrun.NewAggregator()
	if s.dsn != "" {
		conn, err := connect(ctx, s.dsn)
		if err != nil {
			return nil, err
		}
		defer conn.Close(context.Background())
		if err := dualrun.ReadTable(ctx, conn, s.table, agg.Add); err != nil {
			return nil, err
		}
		return agg.Summaries(), nil
	}
	files := s.files
	if len(files) == 0 {
		f := os.Getenv(dualrun.EnvResultsFile)
		if f == "" {
			f = dualrun.DefaultResultsFile
		}
		files = []string{f}
	}
	for _, f := range files {
		if err := dualrun.ReadFile(f, agg.Add); err != nil {
			return nil, err
		}
	}
	return agg.Summaries(), nil
}

func newDualrunReportCmd() *cobra.Command {
	var src source
	cmd := &cobra.Command{
		Use:   "report [-f results.jsonl | --dsn DSN]",
		Short: "Summarise experiment results: samples, match rate, mismatch examples, latency, statements",
		Args:  cobra.NoArgs,
	}
	format := formatFlag(cmd)
	src.flags(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		f, err := format()
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		sums, err := src.summaries(cmd.Context())
		if err != nil {
			return err
		}
		if f == "json" {
			if sums == nil {
				sums = []dualrun.Summary{}
			}
			return writeJSON(cmd.OutOrStdout(), sums)
		}
		writeReport(cmd.OutOrStdout(), sums)
		return nil
	}
	return cmd
}

func writeReport(w io.Writer, sums []dualrun.Summary) {
	if len(sums) == 0 {
		fmt.Fprintln(w, "no experiment results")
		return
	}
	for i, s := range sums {
		if i > 0 {
			fmt.Fprintln(w)
		}
		name := s.Experiment
		if s.Candidate != "candidate" {
			name += " / " + s.Candidate
		}
		fmt.Fprintf(w, "%s (%s)\n", name, s.Kind)
		fmt.Fprintf(w, "  samples %d: %d matched, %d mismatched (%d candidate errors), %d ignored\n",
			s.Samples, s.Matched, s.Mismatched, s.CandidateErrors, s.Ignored)
		fmt.Fprintf(w, "  match rate %.2f%%; mismatch rate upper bound (95%%) %.4g%% by %s\n",
			100*s.MatchRate, 100*s.Bound.Value, s.Bound.Method)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "  path\tp50 ms\tp95 ms\tp99 ms\tstatements\tround trips\t")
		for _, p := range []struct {
			name string
			ps   dualrun.PathStats
		}{{"control", s.Control}, {"candidate", s.CandidatePath}} {
			fmt.Fprintf(tw, "  %s\t%.3f\t%.3f\t%.3f\t%.2f\t%.2f\t\n", p.name, p.ps.Latency.P50, p.ps.Latency.P95, p.ps.Latency.P99, p.ps.Statements, p.ps.RoundTrips)
		}
		tw.Flush()
		for j, ex := range s.Examples {
			fmt.Fprintf(w, "  mismatch %d at %s", j+1, ex.Time.Format(time.RFC3339))
			if len(ex.Context) > 0 {
				fmt.Fprintf(w, " %v", ex.Context)
			}
			fmt.Fprintln(w, ":")
			for _, line := range strings.Split(ex.Diff, "\n") {
				fmt.Fprintf(w, "    %s\n", line)
			}
		}
	}
}

func newDualrunGateCmd() *cobra.Command {
	var src source
	var rule dualrun.GateRule
	cmd := &cobra.Command{
		Use:   "gate --min-samples N --max-mismatch-rate R [-f results.jsonl | --dsn DSN]",
		Short: "Exit 0 only when every experiment qualifies for cutover",
		Long: `gate checks every experiment (and candidate) found in the results: it qualifies
when it has at least --min-samples matched-or-mismatched runs and the one-sided
95% upper bound on its mismatch rate is at most --max-mismatch-rate (the rule
of three, 3/n, when no mismatch was seen; the exact Clopper-Pearson bound
otherwise). --max-mismatch-rate 0 requires that no mismatch was seen.

Exit codes: 0 every experiment qualifies; 1 at least one does not, or there
are no results; 2 bad flags or unreadable results.`,
		Args: cobra.NoArgs,
	}
	format := formatFlag(cmd)
	src.flags(cmd)
	cmd.Flags().IntVar(&rule.MinSamples, "min-samples", 0, "samples each experiment needs (required)")
	cmd.Flags().Float64Var(&rule.MaxMismatchRate, "max-mismatch-rate", -1, "largest acceptable upper bound on the mismatch rate, a fraction (0.001 = 0.1%) (required)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		f, err := format()
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		if rule.MinSamples <= 0 {
			return &exitError{code: 2, err: fmt.Errorf("--min-samples must be a positive number")}
		}
		if rule.MaxMismatchRate < 0 || rule.MaxMismatchRate >= 1 {
			return &exitError{code: 2, err: fmt.Errorf("--max-mismatch-rate must be a fraction in [0, 1), e.g. 0.001")}
		}
		sums, err := src.summaries(cmd.Context())
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		verdicts, pass := dualrun.Gate(sums, rule)
		out := cmd.OutOrStdout()
		if f == "json" {
			if verdicts == nil {
				verdicts = []dualrun.Verdict{}
			}
			if err := writeJSON(out, struct {
				Pass        bool              `json:"pass"`
				Experiments []dualrun.Verdict `json:"experiments"`
			}{pass, verdicts}); err != nil {
				return err
			}
		} else {
			if len(verdicts) == 0 {
				fmt.Fprintln(out, "FAIL: no experiment results")
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "RESULT\tEXPERIMENT\tSAMPLES\tMISMATCHES\tUPPER BOUND (95%)\tMETHOD\tREASON")
			for _, v := range verdicts {
				res := "PASS"
				if !v.Pass {
					res = "FAIL"
				}
				name := v.Experiment
				if v.Candidate != "candidate" {
					name += "/" + v.Candidate
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.4g%%\t%s\t%s\n", res, name, v.Samples, v.Mismatched, 100*v.Bound.Value, v.Bound.Method, v.Reason)
			}
			tw.Flush()
			if pass {
				fmt.Fprintf(out, "gate passed: %d experiment(s) qualify\n", len(verdicts))
			} else {
				fmt.Fprintln(out, "gate failed")
			}
		}
		if !pass {
			return exitCode(1)
		}
		return nil
	}
	return cmd
}
