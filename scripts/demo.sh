#!/usr/bin/env bash
# The main job on the bundled example (testdata/pkgpulse, a legacy GORM
# service): vet, inventory, baseline, rewrite and dual-run. Run it with
# `make demo`, which builds bin/ormshift and hands this script a fresh
# database in ORMSHIFT_DSN (internal/pgtest/withdb). Nothing outside a temp
# directory and that scratch database is changed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/bin/ormshift"
app="$root/testdata/pkgpulse"
: "${ORMSHIFT_DSN:?run through make demo (or set ORMSHIFT_DSN to a scratch database)}"
[ -x "$bin" ] || { echo "demo: $bin missing: run make build" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GOFLAGS=-mod=mod

step() { printf '\n==> %s\n' "$*"; }
# expect CODE CMD...: run CMD, fail the demo unless it exits with CODE.
expect() {
  local want=$1; shift
  set +e; "$@"; local got=$?; set -e
  if [ "$got" != "$want" ]; then
    echo "demo: '$*' exited $got, expected $want" >&2
    exit 1
  fi
}

step "ormshift version"
"$bin" version

step "1. vet: every legacy GORM call and every unsafe SQL site (exit 1: findings)"
expect 1 "$bin" -C "$app" vet ./... > "$work/vet.txt"
grep sqlinject "$work/vet.txt" || true
echo "..."
sed -n 's/.*(\([a-z/-]*\))$/\1/p' "$work/vet.txt" | sort | uniq -c

step "2. inventory: how much legacy is left"
"$bin" -C "$app" inventory ./...

step "3. the legacy app runs its scenario on a fresh database (creates the schema)"
(cd "$app" && go run ./cmd/scenario -dsn "$ORMSHIFT_DSN") > "$work/legacy.txt"
head -12 "$work/legacy.txt"
echo "... ($(wc -l < "$work/legacy.txt") lines)"

step "4. baseline: adopt the live schema as migration 1 of a goose history"
"$bin" baseline create --dsn "$ORMSHIFT_DSN" --dir "$work/migrations" --tool goose --version 1 --mark
sed -n '1,25p' "$work"/migrations/*.sql
echo "..."
step "   drift: live database vs the migrations folder (exit 0: in sync)"
expect 0 "$bin" baseline drift "$ORMSHIFT_DSN" "$work/migrations"

step "5. rewrite: convert the call sites that can be proven equivalent (on a copy)"
cp -r "$app" "$work/app"
# ormshift's own checksums, so that the module graph it brings verifies
# without the checksum database.
cat "$root/go.sum" >> "$work/app/go.sum"
(cd "$work/app" && go mod edit -require=github.com/ormshift/ormshift@v0.0.0 -replace=github.com/ormshift/ormshift="$root")
expect 2 "$bin" -C "$work/app" rewrite ./... > "$work/rewrite.diff"
sed -n '1,40p' "$work/rewrite.diff"
echo "... ($(grep -c '^diff --git' "$work/rewrite.diff") files in the diff)"
expect 2 "$bin" -C "$work/app" rewrite --report=text ./... > "$work/report.txt"
grep skipped "$work/report.txt" | head -8
echo "..."
tail -1 "$work/report.txt"
"$bin" -C "$work/app" rewrite -w ./...
(cd "$work/app" && go build ./...) && echo "the rewritten app builds"
step "   inventory after the rewrite"
"$bin" -C "$work/app" inventory ./... | tail -6
step "   drift: live database vs the entity models (uow metadata of the app's models)"
set +e
"$bin" -C "$work/app" baseline drift "$ORMSHIFT_DSN" entities:./models
echo "(drift exit $?)"
set -e

step "6. dual-run: GORM control vs uow candidates on one database, then report and gate"
(cd "$root/testdata/dualrun-e2e" && go run ./cmd/dualrun-demo -dsn "$ORMSHIFT_DSN" -out "$work/results.jsonl" -n 200)
"$bin" dualrun report -f "$work/results.jsonl" | sed -n '1,40p'
echo "..."
set +e
"$bin" dualrun gate -f "$work/results.jsonl" --min-samples 100 --max-mismatch-rate 0.05
echo "(gate exit $?: the demo's SearchPackages candidate carries a deliberate bug)"
set -e
"$bin" dualrun uninstall --dsn "$ORMSHIFT_DSN"

step "demo finished"
