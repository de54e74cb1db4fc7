#!/usr/bin/env bash
# Compare `ormshift baseline` schema inspection with pg_dump --schema-only on
# generated schemas of 10, 100 and 1000 tables (each with a bigserial key, a
# foreign key, a unique, a check, two more indexes and a comment), and time
# replaying a ~20 000-line migrations folder. Inspect and pg_dump alternate in
# the same loop, so both see the same machine load.
#
# Usage: scripts/bench-baseline.sh [benchtime]   (default 10x)
# Needs PostgreSQL as for the tests (ORMSHIFT_TEST_DSN or 127.0.0.1:5432)
# and pg_dump on PATH or in /usr/lib/postgresql/15/bin.
set -euo pipefail
cd "$(dirname "$0")/.."
benchtime="${1:-10x}"
out="$(go test -run '^$' -bench 'BenchmarkInspectVsPgDump|BenchmarkReplay20k' -benchtime "$benchtime" -timeout 30m ./baseline)"
echo "$out" | grep '^Benchmark' >&2
echo "$out" | awk '
/^BenchmarkInspectVsPgDump\/tables=/ {
	split($1, a, "="); n = a[2]; sub(/-[0-9]+$/, "", n)
	for (i = 3; i < NF; i++) {
		if ($(i+1) == "ms/inspect") ins[n] = $i
		if ($(i+1) == "ms/pg_dump") dump[n] = $i
	}
}
/^BenchmarkReplay20k/ { replay = $3 / 1e6; for (i = 4; i < NF; i++) if ($(i+1) == "lines") lines = $i }
END {
	printf "| tables | inspect (ms) | pg_dump --schema-only (ms) | pg_dump / inspect |\n|---:|---:|---:|---:|\n"
	split("10 100 1000", order, " ")
	for (i = 1; i <= 3; i++) {
		n = order[i]
		if (!(n in ins)) continue
		printf "| %s | %.1f | %.1f | %.2fx |\n", n, ins[n], dump[n], dump[n] / ins[n]
	}
	if (replay) printf "\nreplay of a %d-line migrations folder: %.0f ms\n", lines, replay
}'
