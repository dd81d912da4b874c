#!/usr/bin/env bash
# Where the collector's ingest time goes: `perf record` (the cpu-clock software event, which works
# where hardware counters do not) on the release collector while wrk sends POST /v1/pings (or the
# seed-compatible GET with PROFILE_SCRIPT=ping_get.lua) with the ingest benchmark's settings.
# Prints the top symbols (self time, demangled) and the time per library, and keeps
# benchmarks/out/profile-ingest.txt. With PROFILER=callgrind it runs the collector under
# valgrind --tool=callgrind on a short, light run instead (instruction counts, slow).
#
#   benchmarks/profile_ingest.sh
#   PROFILER=callgrind DURATION=10s CONNECTIONS=4 benchmarks/profile_ingest.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
IDS=${IDS:-100000}
PROFILER=${PROFILER:-perf}
SCRIPT=${PROFILE_SCRIPT:-ping_post.lua}
TOP=${TOP:-40}

build_release usage-collector
COLLECTOR="$ROOT/.build-release/release/usage-collector"
WORK=$(mktemp -d "$OUT/profile.XXXXXX")
PID=""
cleanup() {
    stop_pid "$PID"
    rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(free_port)
if [ "$PROFILER" = callgrind ]; then
    valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.out" \
        "$COLLECTOR" serve --host 127.0.0.1 --port "$PORT" --database "$WORK/usage.sqlite" --rate-limit 0 2> "$WORK/valgrind.log" &
    PID=$!
    wait_http "http://127.0.0.1:$PORT/healthz" 600
else
    "$COLLECTOR" serve --host 127.0.0.1 --port "$PORT" --database "$WORK/usage.sqlite" --rate-limit 0 2> "$WORK/collector.log" &
    PID=$!
    wait_http "http://127.0.0.1:$PORT/healthz"
    timeout 60 wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -s "$ROOT/benchmarks/wrk/$SCRIPT" "http://127.0.0.1:$PORT" -- "$IDS" 5000000 "$THREADS" >/dev/null
    perf record -e cpu-clock -F 999 -g -p "$PID" -o "$WORK/perf.data" 2> "$WORK/perf.log" &
    PERF_PID=$!
    sleep 0.5
fi
timeout 300 wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$ROOT/benchmarks/wrk/$SCRIPT" "http://127.0.0.1:$PORT" -- "$IDS" 0 "$THREADS" > "$WORK/wrk.txt"
grep -E "Requests/sec|99%" "$WORK/wrk.txt" >&2

{
    echo "\`perf record -e cpu-clock -g\` on the release collector under \`wrk -t$THREADS -c$CONNECTIONS -d$DURATION\` with \`$SCRIPT\` ($(grep -E 'Requests/sec' "$WORK/wrk.txt" | tr -s ' ')), then \`perf report\`:"
    echo
    echo '```'
    if [ "$PROFILER" = callgrind ]; then
        stop_pid "$PID"
        PID=""
        (callgrind_annotate --inclusive=no "$WORK/callgrind.out" 2>/dev/null || true) | head -n $((TOP + 25)) | swift demangle --simplified
    else
        kill -INT "$PERF_PID" 2>/dev/null || true
        wait "$PERF_PID" 2>/dev/null || true
        echo "samples: $(perf report -i "$WORK/perf.data" --stdio --no-children --sort dso 2>/dev/null | grep -m1 -E '^# Samples' | sed 's/# //') in ${DURATION} at 999 Hz (CPU time of the collector's threads)"
        echo
        echo "self time per library:"
        (perf report -i "$WORK/perf.data" --stdio --no-children --sort dso 2>/dev/null || true) | grep -E '^ +[0-9]' | head -12
        echo
        echo "self time, top symbols:"
        (perf report -i "$WORK/perf.data" --stdio --no-children --sort dso,sym -g none 2>/dev/null || true) \
            | grep -E '^ +[0-9]' | head -n "$TOP" | swift demangle --simplified | cut -c1-160
        echo
        echo "including callees, selected frames:"
        (perf report -i "$WORK/perf.data" --stdio --children --sort sym -g none 2>/dev/null || true) | grep -E '^ +[0-9]' \
            | swift demangle --simplified \
            | grep -E 'exc_page_fault|__madvise|do_syscall_64|fdatasync|sqlite3VdbeExec|SQLiteUsageStore.record|GroupCommitter|IngestController|PingPayload.decode|JSONDecoder|SelectableEventLoop.run\(\)|_dispatch_worker_thread' \
            | head -20 | cut -c1-160
    fi
    echo '```'
} | tee "$OUT/profile-ingest.txt"
