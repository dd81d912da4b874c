#!/usr/bin/env bash
# Report timings on a synthetic year: the collector's reports over HTTP (release build) beside the
# plain SQL an analyst would write over the raw per-day rows of the same SQLite file, with a check
# that both give the same numbers.
#
#   benchmarks/reports.sh                    # 100,000 instances over 365 days
#   INSTANCES=10000 DAYS=90 benchmarks/reports.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
INSTANCES=${INSTANCES:-100000}
DAYS=${DAYS:-365}
RUNS=${RUNS:-7}

build_release usage-collector
BIN=.build-release/release/usage-collector
DB="$OUT/reports-$INSTANCES-$DAYS.sqlite"
# Generated once and kept (benchmarks/out is git-ignored); the .done mark tells a finished one.
if [ ! -f "$DB.done" ]; then
    rm -f "$DB" "$DB-wal" "$DB-shm"
    echo "generating $INSTANCES instances over $DAYS days into $DB" >&2
    /usr/bin/time -f "generate: %e s, %M KiB peak" "$BIN" generate --instances "$INSTANCES" --days "$DAYS" --seed 42 --end 2026-11-28 --database "$DB" --log-level error >&2
    touch "$DB.done"
fi
PORT=$(free_port)
"$BIN" serve --host 127.0.0.1 --port "$PORT" --database "$DB" --log-level error &
PID=$!
trap 'stop_pid $PID' EXIT
wait_http "http://127.0.0.1:$PORT/healthz"
echo "machine: $(machine_line)"
echo
python3 benchmarks/report_timings.py --url "http://127.0.0.1:$PORT" --database "$DB" --runs "$RUNS"
