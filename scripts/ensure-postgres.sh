#!/usr/bin/env bash
# Makes sure the tests can have PostgreSQL: a server named by ORMSHIFT_TEST_DSN,
# a server on 127.0.0.1:5432, or the server binaries (initdb, pg_ctl) the test
# harness needs to start its own throwaway cluster. On a Debian machine with
# none of these it installs the postgresql package (root only). Fails with a
# clear message otherwise.
set -euo pipefail

say() { printf 'ensure-postgres: %s\n' "$*" >&2; }

if [ -n "${ORMSHIFT_TEST_DSN:-}" ]; then
  say "using ORMSHIFT_TEST_DSN"
  exit 0
fi

if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  say "a server answers on 127.0.0.1:5432"
  exit 0
fi

have_bins() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then return 0; fi
  for d in /usr/lib/postgresql/*/bin /usr/local/pgsql/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && return 0
  done
  return 1
}

if have_bins; then
  say "no server on 127.0.0.1:5432; the test harness will start a throwaway cluster"
  exit 0
fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  say "no PostgreSQL found; installing Debian's postgresql package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d keeps the package from starting a system cluster: the harness
  # starts its own.
  apt-get install -y -qq postgresql >/dev/null
  if have_bins; then
    say "installed; the test harness will start a throwaway cluster"
    exit 0
  fi
fi

say "no PostgreSQL: set ORMSHIFT_TEST_DSN, start a server on 127.0.0.1:5432, or install the server binaries (Debian: apt-get install postgresql)"
exit 1
