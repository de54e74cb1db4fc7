#!/usr/bin/env bash
# All benchmarks with their comparison tables (make bench). Slow: expect
# 10-20 minutes on 2 cores. Each script can also be run alone.
set -euo pipefail
cd "$(dirname "$0")/.."
run() { printf '\n## %s\n\n' "$1"; shift; "$@"; }
run "ormshift vet vs go vet (issue 3)"              bash scripts/bench-vet.sh
run "sqlinject accuracy vs gosec (issue 4)"         bash scripts/accuracy.sh
run "uow vs GORM vs hand-written pgx (issue 5)"     bash scripts/bench-uow.sh
run "baseline inspect vs pg_dump (issue 6)"         bash scripts/bench-baseline.sh
run "rewrite coverage and speed (issue 7)"          go test ./rewrite -run '^$' -bench . -benchtime 1x
run "dualrun load test (issue 8)"                   env ORMSHIFT_BENCH_DURATION="${ORMSHIFT_BENCH_DURATION:-10s}" sh scripts/bench-dualrun.sh
