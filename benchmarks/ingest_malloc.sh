#!/usr/bin/env bash
# One deploy-time knob, no code change: the collector's POST /v1/pings throughput with glibc's
# default malloc, and with malloc told not to hand freed memory back to the kernel at once
# (GLIBC_TUNABLES trim_threshold, mmap_threshold, top_pad). Before migration 004 the profile showed
# SQLite's per-row trigger programs freeing a page cache per statement, which glibc returned with
# madvise and the next statement faulted back in; this checks that such churn stays gone. Alternating runs, fresh database each, wrk as in ingest.sh.
#
#   benchmarks/ingest_malloc.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
IDS=${IDS:-100000}
TUNED="glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=268435456:glibc.malloc.top_pad=16777216"

build_release usage-collector
COLLECTOR="$ROOT/.build-release/release/usage-collector"
WORK=$(mktemp -d "$OUT/malloc.XXXXXX")
PID=""
cleanup() {
    stop_pid "$PID"
    rm -rf "$WORK"
}
trap cleanup EXIT

declare -A RESULTS=([default]="" [tuned]="")
for ((run = 1; run <= RUNS; run++)); do
    for mode in default tuned; do
        PORT=$(free_port)
        rm -rf "$WORK/db" && mkdir -p "$WORK/db"
        if [ "$mode" = tuned ]; then
            GLIBC_TUNABLES=$TUNED "$COLLECTOR" serve --host 127.0.0.1 --port "$PORT" --database "$WORK/db/usage.sqlite" --rate-limit 0 --max-connections-per-client 0 2> "$WORK/collector.log" &
        else
            "$COLLECTOR" serve --host 127.0.0.1 --port "$PORT" --database "$WORK/db/usage.sqlite" --rate-limit 0 --max-connections-per-client 0 2> "$WORK/collector.log" &
        fi
        PID=$!
        wait_http "http://127.0.0.1:$PORT/healthz"
        timeout 60 wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -s "$ROOT/benchmarks/wrk/ping_post.lua" "http://127.0.0.1:$PORT" -- "$IDS" 5000000 "$THREADS" > /dev/null
        rps=$(timeout 120 wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$ROOT/benchmarks/wrk/ping_post.lua" "http://127.0.0.1:$PORT" -- "$IDS" 0 "$THREADS" | awk '/Requests\/sec/ {print $2}')
        stop_pid "$PID"
        PID=""
        RESULTS[$mode]+="$rps "
        echo "run $run, $mode malloc: $rps req/s" >&2
    done
done
python3 - "${RESULTS[default]}" "${RESULTS[tuned]}" "$TUNED" "$CONNECTIONS" "$DURATION" "$RUNS" <<'PY'
import statistics, sys
default, tuned = [list(map(float, s.split())) for s in sys.argv[1:3]]
print(f"`POST /v1/pings`, `wrk -t2 -c{sys.argv[4]} -d{sys.argv[5]}`, {sys.argv[6]} alternating runs, a fresh database each; tuned: `GLIBC_TUNABLES={sys.argv[3]}`\n")
print("| collector's malloc | req/s, median | req/s of each run |")
print("| --- | ---: | --- |")
for name, values in (("glibc defaults", default), ("tuned (no trimming)", tuned)):
    print(f"| {name} | {statistics.median(values):,.0f} | {', '.join(f'{v:.0f}' for v in values)} |")
print(f"\nTuned ÷ default: {statistics.median(tuned) / statistics.median(default):.2f}×.")
PY
