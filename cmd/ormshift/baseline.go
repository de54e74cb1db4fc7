package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/ormshift/ormshift/baseline"
)

func init() { register(newBaselineCmd) }

// Drift exit codes.
const (
	driftEqual   = 0 // equal and nothing skipped
	driftError   = 1 // error
	driftDiffers = 2 // differences found
	driftSkipped = 3 // equal, but something could not be compared
)

func newBaselineCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "baseline",
		Short: "Adopt an existing PostgreSQL schema as the start of a migration history",
		Long: `baseline reads a schema — from a live database (read-only) or by replaying a
folder of migrations without a database — writes it as a baseline migration
for goose, golang-migrate, dbmate, Flyway, Atlas or ormshift, records it as
applied in that tool's history table, and reports drift between any two
sources. It never calls two schemas "in sync" while it skipped something.`,
	}
	cmd.AddCommand(newBaselineCreateCmd(), newBaselineInspectCmd(), newBaselineDriftCmd())
	return cmd
}

func baselineConnect(ctx context.Context, dsn string) (*pgx.Conn, error) {
	if dsn == "" {
		return nil, errors.New("no database: give --dsn (a postgres:// URL or key=value DSN)")
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("--dsn: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s@%s:%d/%s: %w", cfg.User, cfg.Host, cfg.Port, cfg.Database, err)
	}
	return conn, nil
}

func newBaselineCreateCmd() *cobra.Command {
	var (
		dsn, dir, tool, version, name string
		mark, force                   bool
		include, exclude              []string
	)
	cmd := &cobra.Command{
		Use:   "create --dsn URL --dir DIR --tool TOOL",
		Short: "Write the live schema as TOOL's baseline migration (and --mark it applied)",
		Args:  cobra.NoArgs,
	}
	format := formatFlag(cmd)
	f := cmd.Flags()
	f.StringVar(&dsn, "dsn", "", "database to baseline (read in a read-only transaction)")
	f.StringVar(&dir, "dir", "", "migrations folder to write into")
	f.StringVar(&tool, "tool", "", "migration tool: goose, golang-migrate, dbmate, flyway, atlas, ormshift")
	f.StringVar(&version, "version", "", "migration version (default: UTC timestamp; 1 for flyway)")
	f.StringVar(&name, "name", "baseline", "migration name")
	f.BoolVar(&mark, "mark", false, "record the baseline as applied in the tool's history table (one transaction)")
	f.BoolVar(&force, "force", false, "write into a folder that already holds migrations; with --mark, record even if the history table has rows")
	f.StringArrayVar(&include, "include", nil, "adopt only these schemas or schema.table globs (repeatable)")
	f.StringArrayVar(&exclude, "exclude", nil, "leave these schemas or schema.table globs unmanaged (repeatable)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		fm, err := format()
		if err != nil {
			return err
		}
		t, err := baseline.ParseTool(tool)
		if err != nil {
			return fmt.Errorf("--tool: %w", err)
		}
		if dir == "" {
			return errors.New("--dir: give the migrations folder to write into")
		}
		ctx := cmd.Context()
		conn, err := baselineConnect(ctx, dsn)
		if err != nil {
			return err
		}
		defer func() { _ = conn.Close(context.Background()) }()
		res, err := baseline.Create(ctx, conn, baseline.CreateOptions{Tool: t, Dir: dir, Version: version, Name: name,
			Mark: mark, Force: force, Include: include, Exclude: exclude})
		if err != nil {
			return fmt.Errorf("nothing written: %w", err)
		}
		if fm == "json" {
			return writeJSON(cmd.OutOrStdout(), res)
		}
		var b strings.Builder
		for _, p := range res.Files {
			b.WriteString("wrote " + p + "\n")
		}
		fmt.Fprintf(&b, "baseline %s for %s: %s\n", res.Version, res.Tool, baselineCounts(res.Counts))
		if res.Marked {
			b.WriteString("recorded as applied in " + res.History + "\n")
		}
		baselinePrintSkipped(&b, res.Skipped)
		if len(res.Unmanaged) > 0 {
			fmt.Fprintf(&b, "left unmanaged (%d):\n", len(res.Unmanaged))
			for _, u := range res.Unmanaged {
				b.WriteString("  " + u + "\n")
			}
		}
		_, err = io.WriteString(cmd.OutOrStdout(), b.String())
		return err
	}
	return cmd
}

func baselineCounts(c map[string]int) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		if k != "column" && k != "comment" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		n := c[k]
		name := k
		if n != 1 {
			name = baselinePlural(k)
		}
		parts = append(parts, fmt.Sprintf("%d %s", n, name))
	}
	if len(parts) == 0 {
		return "empty schema"
	}
	return strings.Join(parts, ", ")
}

func baselinePlural(k string) string {
	switch {
	case strings.HasSuffix(k, "x") || strings.HasSuffix(k, "s"):
		return k + "es"
	case strings.HasSuffix(k, "y"):
		return k[:len(k)-1] + "ies"
	}
	return k + "s"
}

func baselinePrintSkipped(b *strings.Builder, sk []baseline.Skipped) {
	if len(sk) == 0 {
		return
	}
	fmt.Fprintf(b, "skipped (%d), not in the model:\n", len(sk))
	for _, s := range sk {
		b.WriteString("  " + s.String() + "\n")
	}
}

// schemaSource is where a schema comes from: a live database or a migrations
// folder.
type schemaSource struct {
	spec   string
	devDSN string
	layout string
}

// redactDSN hides a password in a DSN before it is printed.
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
		return dsn
	}
	return regexp.MustCompile(`(?i)(password\s*=\s*)('[^']*'|\S+)`).ReplaceAllString(dsn, "${1}xxxxx")
}

// entities returns the package pattern and type names of an
// "entities:PATTERN[:Type1,Type2]" source.
func (s schemaSource) entities() (pattern string, names []string, ok bool) {
	rest, ok := strings.CutPrefix(s.spec, "entities:")
	if !ok {
		return "", nil, false
	}
	pattern, list, _ := strings.Cut(rest, ":")
	if list != "" {
		names = strings.Split(list, ",")
	}
	return pattern, names, true
}

func (s schemaSource) isDB() bool {
	return strings.Contains(s.spec, "://") || strings.Contains(s.spec, "=")
}

func (s schemaSource) load(ctx context.Context) (*baseline.Schema, string, error) {
	if pattern, names, ok := s.entities(); ok {
		sc, err := baseline.LoadEntities(ctx, ".", pattern, names)
		if err != nil {
			return nil, "", err
		}
		return sc, "entity metadata", nil
	}
	if s.isDB() {
		conn, err := baselineConnect(ctx, s.spec)
		if err != nil {
			return nil, "", err
		}
		defer func() { _ = conn.Close(context.Background()) }()
		sc, err := baseline.Inspect(ctx, conn)
		if err != nil {
			return nil, "", err
		}
		sc.WithoutHistoryTables()
		return sc, "database", nil
	}
	if st, err := os.Stat(s.spec); err != nil || !st.IsDir() {
		return nil, "", fmt.Errorf("%s: neither a database DSN nor a migrations folder", s.spec)
	}
	if s.devDSN != "" {
		conn, err := baselineConnect(ctx, s.devDSN)
		if err != nil {
			return nil, "", fmt.Errorf("--dev-dsn: %w", err)
		}
		defer func() { _ = conn.Close(context.Background()) }()
		sc, err := baseline.ApplyAndInspect(ctx, conn, s.spec, baseline.Layout(s.layout))
		if err != nil {
			return nil, "", err
		}
		return sc, "migrations applied to --dev-dsn", nil
	}
	sc, layout, err := baseline.Replay(s.spec, baseline.Layout(s.layout))
	if err != nil {
		return nil, "", err
	}
	return sc, string(layout) + " migrations, replayed", nil
}

func newBaselineInspectCmd() *cobra.Command {
	var src schemaSource
	cmd := &cobra.Command{
		Use:   "inspect DSN|DIR",
		Short: "Print the schema model of a database or a migrations folder (text, json or sql)",
		Args:  cobra.ExactArgs(1),
	}
	var format string
	cmd.Flags().StringVar(&format, "format", "text", "output: text (summary), json (the model) or sql (baseline DDL)")
	cmd.Flags().StringVar(&src.devDSN, "dev-dsn", "", "apply a migrations folder to this scratch database and inspect it instead of replaying")
	cmd.Flags().StringVar(&src.layout, "layout", "auto", "migrations layout: auto, goose, golang-migrate, dbmate, sql-migrate, tern, flyway, plain")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		src.spec = args[0]
		sc, from, err := src.load(cmd.Context())
		if err != nil {
			return err
		}
		w := cmd.OutOrStdout()
		switch format {
		case "json":
			return writeJSON(w, sc)
		case "sql":
			_, err := io.WriteString(w, baseline.WriteSQL(sc))
			return err
		case "text":
			var b strings.Builder
			b.WriteString(from + ": " + baselineCounts(sc.Counts()) + "\n")
			baselinePrintSkipped(&b, sc.Skipped)
			_, err := io.WriteString(w, b.String())
			return err
		}
		return fmt.Errorf("--format %q: want text, json or sql", format)
	}
	return cmd
}

func newBaselineDriftCmd() *cobra.Command {
	var (
		from, to schemaSource
		devDSN   string
		layout   string
		showSQL  bool
	)
	cmd := &cobra.Command{
		Use:   "drift FROM TO",
		Short: "Compare two schemas (database DSN or migrations folder); print what differs and the SQL from FROM to TO",
		Long: `drift compares two schema sources. Each is a database (a postgres:// URL or a
key=value DSN, inspected read-only), a migrations folder (replayed without a
database, or applied to --dev-dsn and inspected), or — as TO only — the entity
metadata of a Go package of this module: entities:./models (entity types found
by TableName methods, gorm.Model or gorm tags) or entities:./models:User,Order.
Against entities only tables and columns are compared (missing tables and
columns, type families, NULL where the field cannot hold it, primary keys);
tables and columns no entity maps are listed as unmapped.

Exit codes: 0 equal and nothing skipped; 1 error; 2 differences found;
3 equal, but something was skipped on either side (so "in sync" cannot be
claimed).`,
		Args: cobra.ExactArgs(2),
	}
	format := formatFlag(cmd)
	cmd.Flags().StringVar(&devDSN, "dev-dsn", "", "scratch database: migrations folders are applied to it and inspected instead of replayed")
	cmd.Flags().StringVar(&layout, "layout", "auto", "migrations layout: auto, goose, golang-migrate, dbmate, sql-migrate, tern, flyway, plain")
	cmd.Flags().BoolVar(&showSQL, "sql", false, "print only the SQL that takes FROM to TO")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		fm, err := format()
		if err != nil {
			return &exitError{code: driftError, err: err}
		}
		from = schemaSource{spec: args[0], devDSN: devDSN, layout: layout}
		to = schemaSource{spec: args[1], devDSN: devDSN, layout: layout}
		if _, _, ok := from.entities(); ok {
			return &exitError{code: driftError, err: errors.New("entity metadata can only be TO: drift DSN|DIR entities:PKG")}
		}
		ctx := cmd.Context()
		a, af, err := from.load(ctx)
		if err != nil {
			return &exitError{code: driftError, err: fmt.Errorf("FROM: %w", err)}
		}
		b, bf, err := to.load(ctx)
		if err != nil {
			return &exitError{code: driftError, err: fmt.Errorf("TO: %w", err)}
		}
		var d *baseline.Difference
		var unmapped []string
		if _, _, ok := to.entities(); ok {
			ed := baseline.DiffEntities(a, b)
			d, unmapped = &ed.Difference, ed.Unmapped
		} else {
			d = baseline.Diff(a, b)
		}
		code := driftEqual
		switch {
		case !d.Equal():
			code = driftDiffers
		case !d.Complete():
			code = driftSkipped
		}
		w := cmd.OutOrStdout()
		switch {
		case fm == "json":
			out := struct {
				From   string `json:"from"`
				To     string `json:"to"`
				Status string `json:"status"`
				*baseline.Difference
				Unmapped []string `json:"unmapped,omitempty"`
				SQL      string   `json:"sql"`
			}{redactDSN(args[0]), redactDSN(args[1]), map[int]string{0: "in sync", 2: "differs", 3: "equal, but incomplete"}[code], d, unmapped, d.SQL()}
			if err := writeJSON(w, out); err != nil {
				return err
			}
		case showSQL:
			if _, err := io.WriteString(w, d.SQL()); err != nil {
				return err
			}
		default:
			var b strings.Builder
			fmt.Fprintf(&b, "from: %s (%s)\nto:   %s (%s)\n", redactDSN(args[0]), af, redactDSN(args[1]), bf)
			switch code {
			case driftEqual:
				b.WriteString("in sync: no differences, nothing skipped\n")
			case driftSkipped:
				b.WriteString("no differences in what was compared, but NOT in sync: some objects were skipped\n")
			default:
				if len(d.Changes) == 1 {
					b.WriteString("1 difference:\n")
				} else {
					fmt.Fprintf(&b, "%d differences:\n", len(d.Changes))
				}
			}
			b.WriteString(d.Text())
			if len(unmapped) > 0 {
				fmt.Fprintf(&b, "not mapped by any entity (%d): %s\n", len(unmapped), strings.Join(unmapped, ", "))
			}
			if code == driftDiffers {
				b.WriteString("\n-- SQL from FROM to TO:\n" + d.SQL())
			}
			if _, err := io.WriteString(w, b.String()); err != nil {
				return err
			}
		}
		if code != driftEqual {
			return exitCode(code)
		}
		return nil
	}
	return cmd
}
