#!/bin/sh
# Bounded loopback load test of the dual-run shim: 32 concurrent callers per
# configuration (read and write experiments: off, 100% sequential, 100%
# concurrent), for ORMSHIFT_BENCH_DURATION each (default 30s, capped at
# 30s), against the PostgreSQL the test harness finds (ORMSHIFT_TEST_DSN, a
# server on 127.0.0.1:5432, or a throwaway cluster). Prints a table; also
# prints the shim's own per-call overhead with no I/O (BenchmarkOverhead).
#
#   scripts/bench-dualrun.sh                 # 30s per configuration
#   ORMSHIFT_BENCH_DURATION=10s scripts/bench-dualrun.sh
set -eu
cd "$(dirname "$0")/.."
go test ./dualrun -run '^$' -bench '^BenchmarkLoad$' -benchtime 1x -timeout 15m
go test ./dualrun -run '^$' -bench '^BenchmarkOverhead$' -benchtime 200000x -benchmem
