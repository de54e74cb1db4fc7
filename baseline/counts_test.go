package baseline

import (
	"os/exec"
	"strings"
	"testing"

	pg "github.com/pganalyze/pg_query_go/v5"

	"github.com/ormshift/ormshift/internal/pgtest"
)

// pgDumpCounts counts, in pg_dump --schema-only output, the objects of each
// kind the model counts. Partition-child indexes and constraints that
// pg_dump writes and then attaches to the parent's are not separate objects
// in the model, so they are subtracted.
func pgDumpCounts(t *testing.T, dump string) map[string]int {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(dump, "\n") {
		if !strings.HasPrefix(l, `\`) {
			lines = append(lines, l)
		}
	}
	tree, err := pg.Parse(strings.Join(lines, "\n"))
	if err != nil {
		t.Fatalf("parse pg_dump output: %v", err)
	}
	c := map[string]int{"schema": 1} // public exists without CREATE SCHEMA
	var attached []string
	indexNames := map[string]bool{}
	for _, st := range tree.Stmts {
		n := st.Stmt
		switch {
		case n.GetCreateStmt() != nil:
			c["table"]++
			for _, e := range n.GetCreateStmt().TableElts {
				if e.GetConstraint() != nil {
					c["constraint"]++
				}
			}
		case n.GetIndexStmt() != nil:
			c["index"]++
			indexNames[n.GetIndexStmt().Idxname] = true
		case n.GetViewStmt() != nil:
			c["view"]++
		case n.GetCreateTableAsStmt() != nil:
			c["materialized view"]++
		case n.GetCreateFunctionStmt() != nil:
			c["function"]++
		case n.GetCreateTrigStmt() != nil:
			c["trigger"]++
		case n.GetCreatePolicyStmt() != nil:
			c["policy"]++
		case n.GetCreateSeqStmt() != nil:
			c["sequence"]++
		case n.GetCreateEnumStmt() != nil:
			c["enum"]++
		case n.GetCompositeTypeStmt() != nil:
			c["composite"]++
		case n.GetCreateDomainStmt() != nil:
			c["domain"]++
		case n.GetCreateSchemaStmt() != nil:
			c["schema"]++
		case n.GetCreateExtensionStmt() != nil:
			c["extension"]++
		case n.GetCommentStmt() != nil:
			if n.GetCommentStmt().Objtype != pg.ObjectType_OBJECT_EXTENSION {
				c["comment"]++
			}
		case n.GetAlterTableStmt() != nil:
			at := n.GetAlterTableStmt()
			for _, cmd := range at.Cmds {
				switch cmd.GetAlterTableCmd().GetSubtype() {
				case pg.AlterTableType_AT_AddConstraint:
					c["constraint"]++
				case pg.AlterTableType_AT_AttachPartition:
					if at.Objtype == pg.ObjectType_OBJECT_INDEX {
						attached = append(attached, cmd.GetAlterTableCmd().Def.GetPartitionCmd().Name.Relname)
					}
				}
			}
		}
	}
	// An attached child index is a plain index or backs a constraint of
	// the partition.
	for _, a := range attached {
		if indexNames[a] {
			c["index"]--
		} else {
			c["constraint"]--
		}
	}
	return c
}

func TestCountsMatchPgDump(t *testing.T) {
	db := pgtest.New(t)
	applySQL(t, db, fixtureSQL(t))
	out, err := exec.Command(pgDumpPath(t), "--schema-only", "--no-owner", "--no-privileges", db.DSN).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	want := pgDumpCounts(t, string(out))
	got := inspect(t, db).Counts()
	delete(got, "column")
	for k := range want {
		if want[k] == 0 {
			delete(want, k)
		}
	}
	if mustJSON(got) != mustJSON(want) {
		t.Errorf("object counts differ from pg_dump:\n ormshift %s\n pg_dump  %s", mustJSON(got), mustJSON(want))
	}
}
