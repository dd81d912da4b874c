#!/usr/bin/env bash
# Where the collector's ingest time goes: `perf record` (the cpu-clock software event, which works
# where hardware counters do not) on the release collector while wrk sends POST /v1/pings (or the
# seed-compatible GET with PROFILE_SCRIPT=ping_get.lua) with the ingest benchmark's settings.
# Prints the top symbols (self time, demangled) and the time per library, and keeps
# benchmarks/out/profile-ingest.txt. With PROFILER=callgrind it runs the collector under
# valgrind --tool=callgrind on a short, light run instead (instruction counts, slow).
# Then (STRACE=1, the default; needs strace) a second, fresh collector under `strace -f -c` for the
# system calls per ping, and one `strace -k` stack of the madvise calls; last, an fdatasync probe.
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
        "$COLLECTOR" serve --host 127.0.0.1 --port "$PORT" --database "$WORK/usage.sqlite" --rate-limit 0 --max-connections-per-client 0 2> "$WORK/valgrind.log" &
    PID=$!
    wait_http "http://127.0.0.1:$PORT/healthz" 600
else
    "$COLLECTOR" serve --host 127.0.0.1 --port "$PORT" --database "$WORK/usage.sqlite" --rate-limit 0 --max-connections-per-client 0 2> "$WORK/collector.log" &
    PID=$!
    wait_http "http://127.0.0.1:$PORT/healthz"
    timeout 60 wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -s "$ROOT/benchmarks/wrk/$SCRIPT" "http://127.0.0.1:$PORT" -- "$IDS" 5000000 "$THREADS" >/dev/null
    perf record -e cpu-clock -F 999 -g -p "$PID" -o "$WORK/perf.data" 2> "$WORK/perf.log" &
    PERF_PID=$!
    sleep 0.5
fi
timeout 300 wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$ROOT/benchmarks/wrk/$SCRIPT" "http://127.0.0.1:$PORT" -- "$IDS" 0 "$THREADS" > "$WORK/wrk.txt"
grep -E "Requests/sec|99%" "$WORK/wrk.txt" >&2
if [ "$PROFILER" = callgrind ]; then
    stop_pid "$PID"
    PID=""
else
    # Stopped here, in this shell: the report below runs in a pipeline's subshell, which cannot wait.
    kill -INT "$PERF_PID" 2>/dev/null || true
    wait "$PERF_PID" 2>/dev/null || true
fi

# The report goes to a file, written by this shell itself (no pipeline subshell: the collector
# started below for strace must be this shell's child, and must not hold a pipe open).
{
    set +e +o pipefail   # head closes pipes early: that is no failure here
    echo "\`perf record -e cpu-clock -g\` on the release collector under \`wrk -t$THREADS -c$CONNECTIONS -d$DURATION\` with \`$SCRIPT\` ($(grep -E 'Requests/sec' "$WORK/wrk.txt" | tr -s ' ')), then \`perf report\`:"
    echo
    echo '```'
    if [ "$PROFILER" = callgrind ]; then
        (callgrind_annotate --inclusive=no "$WORK/callgrind.out" 2>/dev/null || true) | head -n $((TOP + 25)) | swift demangle --simplified
    else
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
    echo
    python3 - "$WORK" <<'PY'
import os, statistics, sys, time
# fdatasync latency of this disk as a commit sees it: an append to a file, then fdatasync (what
# SQLite does with its WAL), for one page and for about what a 15-ping transaction writes.
for size in (4096, 512 * 1024):
    path = os.path.join(sys.argv[1], "fsync-probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    times = []
    for _ in range(50):
        os.write(fd, b"x" * size)
        start = time.perf_counter()
        os.fdatasync(fd)
        times.append((time.perf_counter() - start) * 1000)
    os.close(fd)
    os.remove(path)
    times.sort()
    print(f"fdatasync after appending {size // 1024} KiB, 50 times: median {statistics.median(times):.2f} ms, "
          f"p90 {times[44]:.2f} ms.  ")
PY

    if [ "${STRACE:-1}" = 1 ] && command -v strace >/dev/null; then
        stop_pid "$PID"
        PID=""
        PORT=$(free_port)
        rm -f "$WORK/usage.sqlite"*
        "$COLLECTOR" serve --host 127.0.0.1 --port "$PORT" --database "$WORK/strace.sqlite" --rate-limit 0 --max-connections-per-client 0 > /dev/null 2> "$WORK/collector.log" < /dev/null &
        PID=$!
        wait_http "http://127.0.0.1:$PORT/healthz"
        timeout 60 strace -f -c -w -e trace=fdatasync,pwrite64,madvise,write,read -p "$PID" -o "$WORK/strace.txt" &
        STRACE_PID=$!
        sleep 0.5
        timeout 60 wrk -t"$THREADS" -c"$CONNECTIONS" -d5s -s "$ROOT/benchmarks/wrk/$SCRIPT" "http://127.0.0.1:$PORT" -- "$IDS" 2000000 "$THREADS" > /dev/null
        kill -INT "$STRACE_PID" 2>/dev/null; wait "$STRACE_PID" 2>/dev/null
        pings=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^usage_commit_batch_size_sum/ {print $2}')
        commits=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^usage_commit_batch_size_count/ {print $2}')
        echo
        echo "\`strace -f -c\` on a fresh collector under the same load for 5 s: ${pings%.*} pings in ${commits%.*} transactions; system calls per ping:"
        echo
        echo "| call | calls | per ping | µs per call (under strace) |"
        echo "| --- | ---: | ---: | ---: |"
        awk -v p="${pings%.*}" '$NF ~ /^(fdatasync|pwrite64|madvise|write|read)$/ {printf "| %s | %d | %.1f | %d |\n", $NF, $4, $4 / p, $3}' "$WORK/strace.txt"
        timeout 30 strace -f -k -e trace=madvise -p "$PID" -o "$WORK/madvise.txt" &
        STRACE_PID=$!
        sleep 0.5
        timeout 30 wrk -t1 -c4 -d1s -s "$ROOT/benchmarks/wrk/$SCRIPT" "http://127.0.0.1:$PORT" -- "$IDS" 3000000 1 > /dev/null
        kill -INT "$STRACE_PID" 2>/dev/null; wait "$STRACE_PID" 2>/dev/null
        echo
        echo "Where the madvise calls come from (\`strace -k\`, the first one's stack, innermost first):"
        echo
        echo '```'
        awk '/madvise\(/ {n++} n == 1' "$WORK/madvise.txt" | grep -E 'madvise|^ > ' | head -20 | swift demangle --simplified | sed -E 's/^ > [^(]*\/([^/(]+)\(/ > \1(/' | cut -c1-130
        echo '```'
    fi
    set -e -o pipefail
} > "$OUT/profile-ingest.txt"
cat "$OUT/profile-ingest.txt"
