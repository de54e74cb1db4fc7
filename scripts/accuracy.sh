#!/bin/sh
# Precision and recall of ormshift's sqlinject on the labelled corpus in
# testdata/sqlcorpus, with gosec (G201/G202) beside it when installed:
#   go install github.com/securego/gosec/v2/cmd/gosec@latest
set -e
cd "$(dirname "$0")/.."
go test ./analyzers/sqlinject -run '^TestAccuracy$' -count=1 -v | sed -n '/accuracy$/,/^--- /p' | sed 's/^ *//' | grep -v '^--- '
