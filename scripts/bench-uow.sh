#!/usr/bin/env bash
# Runs the uow benchmarks (uow vs GORM loop vs GORM batch vs hand-written
# pgx, for N = 1, 100, 10000) and prints a Markdown comparison table.
# Small N get more iterations and 3 repetitions (the table keeps the fastest
# of the 3: the machine is shared); N=10000 runs each benchmark 3 times once
# (the GORM per-row loop takes seconds per iteration there). The raw `go test`
# output is kept in ${OUT:-/tmp/bench-uow.txt}.
#
# Usage: scripts/bench-uow.sh            (all)
#        BENCH=Insert scripts/bench-uow.sh (one operation)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/bench-uow.txt}
bench=${BENCH:-.}
: >"$out"
run() { # $1 size regexp, $2 benchtime, $3 count
	go test ./uow/internal/bench -run '^$' -bench "${bench}/N=$1\$" -benchtime "$2" -count "$3" -timeout 30m | tee -a "$out" >&2
}
run 1 200x 3
run 100 30x 3
run 10000 3x 1
go run ./uow/internal/benchtable <"$out"
