#!/usr/bin/env bash
# The midnight burst: every cluster's CronJob fires at 00:00 UTC and sends its one ping within
# its jitter window (300 s by default). This compresses that window: wrk sends pings with new
# instance IDs (each once) from C connections at a time for DURATION, stepping C up, against
#   sqlite:   one release collector on a fresh SQLite file;
#   postgres: two release collectors on a throwaway PostgreSQL (Debian's server, fsync on, started
#             here on 127.0.0.1 and removed at the end), each taking half the connections.
# Per step: acknowledged pings per second (the collectors' usage_pings_recorded_total), p99, 429
# overloaded, 5xx, wrk's socket errors; at the end, pings stored against pings acknowledged. The
# largest N a setup holds is the acknowledged rate without a 5xx, times the window.
#
#   scripts/midnight-burst.sh                     # both setups, C = 256 1024 3072, 10 s each
#   SETUPS=sqlite STEPS="512 2048" DURATION=20s scripts/midnight-burst.sh
# Needs wrk (apt-get install wrk), sqlite3, and for postgres Debian's postgresql. Loopback only;
# every loop is bounded and everything started here is stopped on exit. Prints Markdown.
set -euo pipefail
source "$(dirname "$0")/../benchmarks/lib.sh"
SETUPS=${SETUPS:-sqlite postgres}
STEPS=${STEPS:-256 1024 3072}
DURATION=${DURATION:-10s}
WINDOW=${WINDOW:-300}
IDS_PER_STEP=${IDS_PER_STEP:-400000}
build_release usage-collector
COLLECTOR="$ROOT/.build-release/release/usage-collector"
command -v wrk >/dev/null || { echo "needs wrk: apt-get install -y wrk" >&2; exit 1; }
# Many connections: this shell and its children may hold more descriptors than the default.
ulimit -n 65536 2>/dev/null || true
for connections in $STEPS; do
    [ "$(ulimit -n)" -gt $((connections + 64)) ] || { echo "ulimit -n is $(ulimit -n): too few descriptors for $connections connections" >&2; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/midnight-burst.XXXXXX")
chmod 755 "$WORK"   # PostgreSQL's own user works in $WORK/pg
PIDS=() PG_BIN="" PG_STARTED=""
as_postgres() { if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }
cleanup() {
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    [ -n "$PG_STARTED" ] && as_postgres "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# metric PORT NAME [LABEL]: the sum of a counter on one collector's /metrics.
metric() {
    curl -sf --max-time 15 "http://127.0.0.1:$1/metrics" | python3 -c '
import sys
name, label = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "")
total = 0.0
for line in sys.stdin:
    if line.startswith(name) and (line[len(name)] in " {") and label in line:
        total += float(line.split()[-1])
print(int(total))' "$2" "${3:-}"
}
# over PORTS NAME [LABEL]: the sum over the collectors; fails when a collector does not answer.
over() {
    local total=0 port value
    for port in $1; do
        value=$(metric "$port" "$2" "${3:-}") && [ -n "$value" ] || { echo "no /metrics from the collector on port $port" >&2; return 1; }
        total=$((total + value))
    done
    echo $total
}

start_collector() {  # PORT DATABASE
    "$COLLECTOR" serve --host 127.0.0.1 --port "$1" --database "$2" --rate-limit 0 --max-connections-per-client 0 --log-level error --max-connections 4096 >> "$WORK/collector-$1.log" 2>&1 &
    PIDS+=($!)
    wait_http "http://127.0.0.1:$1/readyz"
}

echo "machine: $(machine_line)"
echo
echo "wrk -t2 --timeout 10s --latency, pings with new IDs only, $DURATION per step; collectors at default settings but --rate-limit 0 --max-connections-per-client 0 and --max-connections 4096 (queue bound 1024 pings per collector); window for N: $WINDOW s"
offset=0
for setup in $SETUPS; do
    case $setup in
    sqlite)
        PORTS="$(free_port)"
        start_collector "$PORTS" "$WORK/usage.sqlite"
        STORED_SQL() { "$COLLECTOR" stats --database "$WORK/usage.sqlite" --format json --log-level error | python3 -c 'import json, sys; print(sum(d["pings"] for d in json.load(sys.stdin)["days"]))'; }
        ;;
    postgres)
        PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
        [ -x "$PG_BIN/initdb" ] || { echo "postgres: skipped, no PostgreSQL server installed (apt-get install postgresql)" >&2; continue; }
        mkdir -p "$WORK/pg"; [ "$(id -u)" = 0 ] && chown postgres "$WORK/pg"
        pg_port=$(free_port)
        as_postgres "$PG_BIN/initdb" -D "$WORK/pg/data" -U postgres --auth=trust -E UTF8 --no-locale > "$WORK/pg/initdb.log"
        as_postgres "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/server.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -c port=$pg_port -c unix_socket_directories=$WORK/pg -c max_connections=200" start > /dev/null
        PG_STARTED=1
        url="postgres://postgres@127.0.0.1:$pg_port/postgres"
        PORTS="$(free_port) $(free_port)"
        for port in $PORTS; do start_collector "$port" "$url"; done
        STORED_SQL() { "$COLLECTOR" stats --database "$url" --format json --log-level error | python3 -c 'import json, sys; print(sum(d["pings"] for d in json.load(sys.stdin)["days"]))'; }
        ;;
    *) echo "unknown setup $setup" >&2; exit 64 ;;
    esac
    count=$(echo $PORTS | wc -w)
    echo
    echo "**$setup** ($count collector$([ "$count" -gt 1 ] && echo s))"
    echo
    echo "| connections | acknowledged/s | p99 ms | 429 overloaded | 503 storage unavailable | non-2xx (wrk) | wrk socket errors | N clusters in a $WINDOW s window at this rate |"
    echo "| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |"
    for connections in $STEPS; do
        acknowledged_before=$(over "$PORTS" usage_pings_recorded_total)
        overloaded_before=$(over "$PORTS" usage_pings_rejected_total 'reason="overloaded"')
        unavailable_before=$(over "$PORTS" usage_pings_rejected_total 'reason="storage_unavailable"')
        wrk_pids=()
        for port in $PORTS; do
            timeout 120 wrk -t2 -c$((connections / count)) -d"$DURATION" --timeout 10s --latency -s "$ROOT/benchmarks/wrk/ping_post.lua" \
                "http://127.0.0.1:$port" -- "$IDS_PER_STEP" "$offset" 2 > "$WORK/wrk-$setup-$connections-$port.txt" &
            wrk_pids+=($!)
            offset=$((offset + IDS_PER_STEP))
        done
        for pid in "${wrk_pids[@]}"; do wait "$pid"; done
        elapsed=${DURATION%s}
        acknowledged=$(( $(over "$PORTS" usage_pings_recorded_total) - acknowledged_before ))
        overloaded=$(( $(over "$PORTS" usage_pings_rejected_total 'reason="overloaded"') - overloaded_before ))
        unavailable=$(( $(over "$PORTS" usage_pings_rejected_total 'reason="storage_unavailable"') - unavailable_before ))
        p99=$(cat "$WORK"/wrk-$setup-$connections-*.txt | awk '/ 99%/ {print $2}' | python3 -c '
import sys
def ms(text):
    for unit, factor in (("ms", 1), ("us", 0.001), ("s", 1000)):
        if text.endswith(unit): return float(text[:-len(unit)]) * factor
    return float("nan")
print(f"{max(ms(line.strip()) for line in sys.stdin):.1f}")')
        errors=$(cat "$WORK"/wrk-$setup-$connections-*.txt | { grep -h "Socket errors" || true; } | sed 's/ *Socket errors: //' | paste -sd ';' -)
        non2xx=$(cat "$WORK"/wrk-$setup-$connections-*.txt | awk '/Non-2xx/ {n += $NF} END {print n + 0}')
        rate=$(python3 -c "print(round($acknowledged / $elapsed))")
        echo "| $connections | $rate | $p99 | $overloaded | $unavailable | $non2xx | ${errors:-none} | $(python3 -c "print(f'{$rate * $WINDOW:,}')") |"
    done
    acknowledged_total=$(over "$PORTS" usage_pings_recorded_total)
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done   # a graceful stop folds the journal
    PIDS=()
    stored=$(STORED_SQL)
    echo
    echo "Acknowledged $acknowledged_total, stored $stored (acknowledged and not stored: at least $((acknowledged_total > stored ? acknowledged_total - stored : 0)); a ping refused or timed out may still be stored, so this is a lower bound)."
    if [ "$setup" = postgres ]; then as_postgres "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m fast stop >/dev/null; PG_STARTED=""; fi
done
