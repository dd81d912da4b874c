#!/usr/bin/env bash
# The report rollup triggers' cost per ping in SQLite alone (see trigger_cost.py): the collector's
# triggers, the same with the window statements split so that SQLite opens no ephemeral table, and
# no triggers. Evidence for the ingest profile in BENCHMARKS.md.
#
#   benchmarks/trigger_cost.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
build_release usage-collector
WORK=$(mktemp -d "$OUT/triggers.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# Any command opens (and so migrates) the database: an empty one with the collector's schema.
"$ROOT/.build-release/release/usage-collector" stats --database "$WORK/schema.sqlite" --log-level error > /dev/null
echo "$(python3 -c 'import sqlite3; print("sqlite", sqlite3.sqlite_version)'), median of ${RUNS:-3} runs"
echo
python3 "$ROOT/benchmarks/trigger_cost.py" "$WORK/schema.sqlite" --runs "${RUNS:-3}"
