#!/usr/bin/env bash
# Report timings on a synthetic year: the collector's reports over HTTP (release build) beside the
# plain SQL an analyst would write over the raw per-day rows of the same SQLite file, with a check
# that both give the same numbers.
#
#   benchmarks/reports.sh                    # 100,000 instances over 365 days
#   INSTANCES=10000 DAYS=90 benchmarks/reports.sh
set -euo pipefail
cd "$(dirname "$0")/.."
INSTANCES=${INSTANCES:-100000}
DAYS=${DAYS:-365}
RUNS=${RUNS:-7}
OUT=benchmarks/out
mkdir -p "$OUT"

swift build -c release --scratch-path .build-release --product usage-collector >&2
BIN=.build-release/release/usage-collector
DB="$OUT/reports-$INSTANCES-$DAYS.sqlite"
if [ ! -f "$DB" ]; then
    echo "generating $INSTANCES instances over $DAYS days into $DB" >&2
    /usr/bin/time -f "generate: %e s, %M KiB peak" "$BIN" generate --instances "$INSTANCES" --days "$DAYS" --seed 42 --end 2026-11-28 --database "$DB" --log-level error >&2
fi
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" serve --host 127.0.0.1 --port "$PORT" --database "$DB" --log-level error &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
python3 benchmarks/report_timings.py --url "http://127.0.0.1:$PORT" --database "$DB" --runs "$RUNS"
