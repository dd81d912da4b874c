#!/usr/bin/env bash
# S3 access-log import throughput: `usage-collector import-s3-logs` (release build, full import into
# a fresh SQLite file each run) beside AWS's documented Athena regex in Python, on the same generated
# log, interleaved in one run; median of RUNS runs, and the ratio (goal: at least 10×).
#
#   benchmarks/s3_import.sh                      # 300,000 lines, 3 runs, plus the .gz variant
#   S3_LINES=50000 RUNS=1 benchmarks/s3_import.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
LINES=${S3_LINES:-300000}
SEED=${SEED:-7}
RUNS=${RUNS:-3}

build_release usage-collector
python3 -m pip install -q --disable-pip-version-check duckdb >&2
BIN="$ROOT/.build-release/release/usage-collector"
LOG="$OUT/s3-$LINES-seed$SEED.log"
if [ ! -s "$LOG" ]; then
    echo "generating $LINES S3 access-log lines into $LOG" >&2
    python3 "$ROOT/benchmarks/generate_s3_logs.py" "$LINES" "$LOG.tmp" --seed "$SEED"
    mv "$LOG.tmp" "$LOG"
fi
if [ ! -s "$LOG.gz" ] || [ "$LOG.gz" -ot "$LOG" ]; then
    gzip -6 -c "$LOG" > "$LOG.gz.tmp" && mv "$LOG.gz.tmp" "$LOG.gz"
fi

WORK=$(mktemp -d "$OUT/s3-import.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
echo "machine: $(machine_line)"
echo
python3 "$ROOT/benchmarks/s3_import_timings.py" --collector "$BIN" --log "$LOG" --gzip "$LOG.gz" --runs "$RUNS" --workdir "$WORK"
