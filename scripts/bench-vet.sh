#!/usr/bin/env bash
# bench-vet.sh: wall time and peak memory of `ormshift vet ./...` against
# `go vet ./...` on testdata/pkgpulse and on a generated GORM module of
# FILES (default 500) files, with a warm build cache. Prints a Markdown table.
#
#   scripts/bench-vet.sh            # 500 files, 3 runs each (median)
#   FILES=2000 RUNS=5 scripts/bench-vet.sh
#
# Columns:
#   go vet (cached)   go vet ./... as users run it: with a warm cache go vet
#                     replays its cached results and analyzes nothing.
#   go vet (re-run)   go vet ./... forced to analyze again (a fresh
#                     -printf.funcs value changes the vet config, so the vet
#                     result cache misses; the build cache stays warm).
#   ormshift vet (cached)    ormshift vet ./... with an identical earlier run
#                            cached (ormshift's result cache, like go vet's).
#   ormshift vet --no-cache  ormshift vet ./... analyzing everything.
#   go vet -vettool          go vet -vettool=ormshift ./... (unitchecker mode,
#                            go vet's own cache).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
files=${FILES:-500}
runs=${RUNS:-3}
timebin=/usr/bin/time
if [ ! -x "$timebin" ]; then
	echo "bench-vet.sh: $timebin is missing (apt-get install time)" >&2
	exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin="$work/ormshift"
(cd "$root" && go build -o "$bin" ./cmd/ormshift)
(cd "$root" && go run ./testdata/genmodule -o "$work/gen" -files "$files" >/dev/null)
export GOFLAGS=-mod=mod GOPROXY=off

# measure DIR CMD... -> "seconds maxrss_kb" (median of $runs runs by time)
measure() {
	local dir=$1
	shift
	(cd "$dir" && "$@" >/dev/null 2>&1 || true) # warm up
	local results=()
	for _ in $(seq "$runs"); do
		local out
		out=$(cd "$dir" && { $timebin -f "%e %M" "$@" >/dev/null 2>"$work/err" || true; tail -1 "$work/err"; })
		results+=("$out")
	done
	printf '%s\n' "${results[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p"
}

row() {
	local name=$1 dir=$2
	local n
	n=$(cd "$dir" && find . -name '*.go' | wc -l)
	read -r hit_t hit_m < <(measure "$dir" go vet ./...)
	read -r miss_t miss_m < <(measure "$dir" bash -c 'go vet -printf.funcs=bench$RANDOM$RANDOM ./...')
	read -r os_t os_m < <(measure "$dir" "$bin" vet ./...)
	read -r nc_t nc_m < <(measure "$dir" "$bin" vet --no-cache ./...)
	read -r vt_t vt_m < <(measure "$dir" go vet -vettool="$bin" ./...)
	r1=$(awk -v a="$os_t" -v b="$hit_t" 'BEGIN { printf "%.2f", a / b }')
	r2=$(awk -v a="$nc_t" -v b="$miss_t" 'BEGIN { printf "%.2f", a / b }')
	printf '| %s (%d files) | %ss / %d MB | %ss / %d MB | %ss / %d MB | %ss / %d MB | %ss / %d MB | %s× | %s× |\n' \
		"$name" "$n" "$hit_t" $((hit_m / 1024)) "$miss_t" $((miss_m / 1024)) "$os_t" $((os_m / 1024)) \
		"$nc_t" $((nc_m / 1024)) "$vt_t" $((vt_m / 1024)) "$r1" "$r2"
}

export ORMSHIFT_CACHE="$work/cache"
echo "| module | go vet (cached) | go vet (re-run) | ormshift vet (cached) | ormshift vet --no-cache | go vet -vettool=ormshift | cached: ormshift / go vet | full: ormshift / go vet |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
row pkgpulse "$root/testdata/pkgpulse"
row generated "$work/gen"
echo
echo "$(nproc) CPUs, $(go version | cut -d' ' -f3), median of $runs runs, wall time / peak RSS of the largest process."
