# Shared helpers for the benchmark scripts (sourced, not run).
# Everything listens on 127.0.0.1; every loop here is bounded.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$ROOT/benchmarks/out"
mkdir -p "$OUT"

# Builds (incrementally) the release binaries the way the project does: one product at a time
# into .build-release. Skipped with BENCH_SKIP_BUILD=1 (run-all.sh builds once for all).
build_release() {
    [ "${BENCH_SKIP_BUILD:-0}" = 1 ] && return 0
    local product
    for product in "$@"; do
        (cd "$ROOT" && swift build -c release --scratch-path .build-release --product "$product") >&2
    done
}

# A free TCP port on 127.0.0.1.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http URL [tries]: polls URL (any HTTP answer counts) every 0.1 s, at most `tries` times.
wait_http() {
    local url=$1 tries=${2:-300} i
    for ((i = 0; i < tries; i++)); do
        if curl -s -o /dev/null --max-time 1 "$url"; then return 0; fi
        sleep 0.1
    done
    echo "no answer from $url after $tries tries" >&2
    return 1
}

# stop_pid PID: SIGTERM, up to 10 s for a graceful exit, then SIGKILL.
stop_pid() {
    local pid=$1 i
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# machine_line: one line describing the machine, for the tables.
machine_line() {
    local model memory
    model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
    memory=$(free -h | awk '/^Mem:/ {print $2}')
    echo "$(nproc) cores (${model:-unknown CPU}), $memory memory, $(uname -sr), $(swift --version 2>/dev/null | head -1 | sed 's/ (.*//'); commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), $(date -u +%Y-%m-%d)"
}

# start_agent_fakes WORK: the agent benchmarks' local fakes (benchmarks/fake_endpoints.py), a
# metadata service, a collector, and a collector that answers after 2 s; sets IMDS_PORT,
# COLLECTOR_PORT, SLOW_PORT and IMDS_PID, COLLECTOR_PID, SLOW_PID (the caller stops them with
# stop_agent_fakes); the request logs go to WORK/imds.log and WORK/collector.log.
start_agent_fakes() {
    IMDS_PORT=$(free_port)
    python3 "$ROOT/benchmarks/fake_endpoints.py" "$IMDS_PORT" --log "$1/imds.log" &
    IMDS_PID=$!
    COLLECTOR_PORT=$(free_port)
    python3 "$ROOT/benchmarks/fake_endpoints.py" "$COLLECTOR_PORT" --log "$1/collector.log" &
    COLLECTOR_PID=$!
    SLOW_PORT=$(free_port)
    python3 "$ROOT/benchmarks/fake_endpoints.py" "$SLOW_PORT" --ping-delay 2 &
    SLOW_PID=$!
    wait_http "http://127.0.0.1:$IMDS_PORT/"
    wait_http "http://127.0.0.1:$COLLECTOR_PORT/"
    wait_http "http://127.0.0.1:$SLOW_PORT/"
}

# stop_agent_fakes: stops what start_agent_fakes started (nothing, if it did not run).
stop_agent_fakes() {
    stop_pid "${IMDS_PID:-}"
    stop_pid "${COLLECTOR_PID:-}"
    stop_pid "${SLOW_PID:-}"
}
