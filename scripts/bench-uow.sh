#!/usr/bin/env bash
# Runs the uow benchmarks (uow vs GORM loop vs GORM batch vs hand-written
# pgx, for N = 1, 100, 10000) and prints a Markdown comparison table.
# Every benchmark runs 3 times and the table keeps the fastest of the 3 (the
# machine is shared): N = 1 with 200 iterations, N = 100 with 30, N = 10000
# with 10, except GORM's per-row loop at N = 10000 (seconds per iteration:
# 3 iterations, once). The raw `go test` output is kept in
# ${OUT:-/tmp/bench-uow.txt}.
#
# Usage: scripts/bench-uow.sh            (all)
#        BENCH=Insert scripts/bench-uow.sh (one operation)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/bench-uow.txt}
bench=${BENCH:-.}
: >"$out"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
run() { # $1 size, $2 implementations (regexp), $3 benchtime, $4 count
	go test ./uow/internal/bench -run '^$' -bench "${bench}/N=$1\$/$2\$" -benchtime "$3" -count "$4" -timeout 30m | tee -a "$out" >&2
}
run 1 '.*' 200x 3
run 100 '.*' 30x 3
run 10000 '(uow|pgx|pgx-copy|gorm-batch)' 10x 3
run 10000 'gorm-loop' 3x 1
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
go run ./uow/internal/benchtable <"$out"
