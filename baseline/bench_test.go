package baseline

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ormshift/ormshift/internal/pgtest"
)

// genSchema is n tables, each with a serial key, a foreign key to the
// previous table, a check, a default, a unique and two more indexes (one
// partial), and a comment.
func genSchema(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "CREATE TABLE t%d (\n  id bigserial PRIMARY KEY,\n  name text NOT NULL,\n  email varchar(200) UNIQUE,\n", i)
		if i > 0 {
			fmt.Fprintf(&b, "  parent_id bigint REFERENCES t%d(id) ON DELETE SET NULL,\n", i-1)
		}
		fmt.Fprintf(&b, "  score integer NOT NULL DEFAULT 0 CHECK (score >= 0),\n  created_at timestamptz NOT NULL DEFAULT now()\n);\n")
		fmt.Fprintf(&b, "CREATE INDEX t%d_name_idx ON t%d (lower(name));\n", i, i)
		fmt.Fprintf(&b, "CREATE INDEX t%d_recent_idx ON t%d (created_at) WHERE score > 0;\n", i, i)
		fmt.Fprintf(&b, "COMMENT ON TABLE t%d IS 'generated table %d';\n", i, i)
	}
	return b.String()
}

func benchDB(b *testing.B, n int) *pgtest.DB {
	b.Helper()
	db := pgtest.New(b)
	if _, err := db.Pool.Exec(context.Background(), genSchema(n)); err != nil {
		b.Fatal(err)
	}
	return db
}

var benchSizes = []int{10, 100, 1000}

// BenchmarkInspectVsPgDump times, in each iteration, one Inspect and one
// pg_dump --schema-only (a subprocess writing to /dev/null, what a user
// would run) of the same generated database, alternating so that both see
// the same machine load. Reported: ms per Inspect, ms per pg_dump.
func BenchmarkInspectVsPgDump(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("tables=%d", n), func(b *testing.B) {
			db := benchDB(b, n)
			bin := pgDumpPath(b)
			ctx := context.Background()
			var inspect, dump time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				s, err := Inspect(ctx, db.Pool)
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				cmd := exec.Command(bin, "--schema-only", "--no-owner", "--no-privileges", "-f", os.DevNull, db.DSN)
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("pg_dump: %v\n%s", err, out)
				}
				inspect += t1.Sub(t0)
				dump += time.Since(t1)
				if len(s.Tables) != n {
					b.Fatalf("%d tables", len(s.Tables))
				}
			}
			b.ReportMetric(float64(inspect.Microseconds())/1000/float64(b.N), "ms/inspect")
			b.ReportMetric(float64(dump.Microseconds())/1000/float64(b.N), "ms/pg_dump")
		})
	}
}

// BenchmarkInspectAndWrite is Inspect plus WriteSQL: the full cost of
// producing a baseline file, comparable to pg_dump's output.
func BenchmarkInspectAndWrite(b *testing.B) {
	db := benchDB(b, 1000)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := Inspect(ctx, db.Pool)
		if err != nil {
			b.Fatal(err)
		}
		_ = WriteSQL(s)
	}
}

// BenchmarkReplay20k replays a migrations folder of about 20 000 lines: the
// generated schema split into goose files, plus ALTERs.
func BenchmarkReplay20k(b *testing.B) {
	dir := b.TempDir()
	lines := 0
	file := 0
	for lines < 20000 {
		var body strings.Builder
		body.WriteString("-- +goose Up\n")
		for i := 0; i < 10; i++ {
			n := file*10 + i
			fmt.Fprintf(&body, "CREATE TABLE t%d (\n  id bigserial PRIMARY KEY,\n  name text NOT NULL,\n", n)
			if n > 0 {
				fmt.Fprintf(&body, "  parent_id bigint REFERENCES t%d(id),\n", n-1)
			}
			fmt.Fprintf(&body, "  score integer NOT NULL DEFAULT 0 CHECK (score >= 0)\n);\n")
			fmt.Fprintf(&body, "CREATE INDEX ON t%d (lower(name));\n", n)
			fmt.Fprintf(&body, "ALTER TABLE t%d ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();\n", n)
			fmt.Fprintf(&body, "ALTER TABLE t%d ALTER COLUMN name TYPE varchar(200);\n", n)
			fmt.Fprintf(&body, "COMMENT ON COLUMN t%d.name IS 'the name';\n", n)
		}
		body.WriteString("-- +goose Down\nSELECT 1;\n")
		text := body.String()
		lines += strings.Count(text, "\n")
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%05d_m.sql", file+1)), []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
		file++
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, _, err := Replay(dir, LayoutAuto)
		if err != nil {
			b.Fatal(err)
		}
		if len(s.Tables) != file*10 || len(s.Skipped) != 0 {
			b.Fatalf("%d tables, skipped %v", len(s.Tables), s.Skipped)
		}
	}
	b.ReportMetric(float64(lines), "lines") // after the loop: ResetTimer drops metrics
}
