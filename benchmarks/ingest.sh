#!/usr/bin/env bash
# Ingest throughput: wrk with the same settings against
#   (a) the collector's POST /v1/pings (release build, SQLite on local disk, durable acknowledgement:
#       a journal append, WAL + synchronous=FULL, group commit; default settings but --rate-limit 0 and --max-connections-per-client 0,
#       since every request comes from one address), a fresh database each run; the fold's lag
#       (usage_journal_unfolded_pings) is sampled during the runs and read 1 s after them;
#   (b) the collector's seed-compatible GET /instance-<id>.log?x-instance-id=<id> with the bucket's
#       Host header, on the same collector;
#   (c) nginx serving a tiny static file with its access log on, for the same GETs;
#   (d) a bare Hummingbird route (benchmarks/bare-route) that reads the ping body and stores nothing;
#   (e) PostgreSQL's own durable single-row upsert (pgbench, a throwaway server with fsync and
#       synchronous_commit on, `INSERT … ON CONFLICT DO UPDATE` of one (instance, day) row per
#       transaction, prepared statements, the same number of clients as connections).
# The wrk scripts cycle through IDS instance IDs (i- and 17 hex digits) and 17 regions. Runs are
# interleaved (a, b, d, c, then again), each target warmed up for WARMUP first; medians of RUNS runs.
# CONNECTIONS may list several values ("32 256"): every run then measures each at each.
#
#   benchmarks/ingest.sh
#   RUNS=3 DURATION=5s CONNECTIONS=32 benchmarks/ingest.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-5}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32 256}
IDS=${IDS:-100000}

build_release usage-collector
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    (cd "$ROOT" && swift build -c release --package-path benchmarks/bare-route --scratch-path .build-bare) >&2
fi
COLLECTOR="$ROOT/.build-release/release/usage-collector"
BARE="$ROOT/.build-bare/release/bare-route"
command -v wrk >/dev/null && command -v nginx >/dev/null || {
    echo "needs wrk and nginx: apt-get install -y wrk nginx" >&2
    exit 1
}

WORK=$(mktemp -d "$OUT/ingest.XXXXXX")
chmod 755 "$WORK"   # nginx's workers (nobody) read the static file under it
RESULTS="$OUT/ingest-results"
rm -rf "$RESULTS" && mkdir -p "$RESULTS"
NGINX_PID="" BARE_PID="" COLLECTOR_PID="" SAMPLER_PID=""
cleanup() {
    stop_pid "$SAMPLER_PID"
    stop_pid "$COLLECTOR_PID"
    stop_pid "$BARE_PID"
    stop_pid "$NGINX_PID"
    [ -z "${PG_STARTED:-}" ] || as_postgres "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m immediate stop > /dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# wrk_run NAME CONNECTIONS URL SCRIPT OFFSET: one measured run (after a warm-up on other IDs) into
# RESULTS/NAME.txt.
wrk_run() {
    local name=$1 connections=$2 url=$3 script=$4 offset=$5
    timeout 60 wrk -t"$THREADS" -c"$connections" -d"$WARMUP" -s "$ROOT/benchmarks/wrk/$script" "$url" -- "$IDS" $((offset + 5000000)) "$THREADS" >/dev/null
    timeout 120 wrk -t"$THREADS" -c"$connections" -d"$DURATION" --latency -s "$ROOT/benchmarks/wrk/$script" "$url" -- "$IDS" "$offset" "$THREADS" > "$RESULTS/$name.txt"
    echo "  $name: $(grep 'Requests/sec' "$RESULTS/$name.txt")" >&2
}

# nginx in its own prefix, in the foreground (as a child of this script), on 127.0.0.1.
NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx/logs" "$WORK/nginx/tmp" "$WORK/nginx/html"
printf '{"recorded":true,"first_today":true}' > "$WORK/nginx/html/ping.json"
chmod -R a+rX "$WORK/nginx"
sed "s/@PORT@/$NGINX_PORT/" "$ROOT/benchmarks/nginx.conf" > "$WORK/nginx/nginx.conf"
nginx -p "$WORK/nginx/" -c nginx.conf -e logs/error.log &
NGINX_PID=$!
wait_http "http://127.0.0.1:$NGINX_PORT/"

# PostgreSQL's durable upsert, for pgbench: Debian's server, its own data folder, loopback only.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$PG_BIN/pgbench" ] || { echo "needs PostgreSQL and pgbench: apt-get install -y postgresql postgresql-contrib" >&2; exit 1; }
as_postgres() { if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }
PG_PORT=$(free_port)
mkdir -p "$WORK/pg" && { [ "$(id -u)" != 0 ] || chown postgres "$WORK/pg"; }
as_postgres "$PG_BIN/initdb" -D "$WORK/pg/data" -U postgres --auth=trust -E UTF8 --no-locale > /dev/null
as_postgres "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/server.log" -w -o \
    "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$WORK/pg -c max_connections=600 -c fsync=on -c synchronous_commit=on -c shared_buffers=256MB" start > /dev/null
PG_STARTED=1
"$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "CREATE TABLE instance_days (instance_id text NOT NULL, day integer NOT NULL, pings integer NOT NULL, PRIMARY KEY (instance_id, day))"
cat > "$WORK/upsert.sql" <<SQL
\set n random(1, $IDS)
INSERT INTO instance_days AS d (instance_id, day, pings) VALUES ('i-' || lpad(to_hex(:n::bigint), 17, '0'), 20795, 1)
ON CONFLICT (instance_id, day) DO UPDATE SET pings = d.pings + 1;
SQL
pgbench_run() {
    local name=$1 clients=$2
    "$PG_BIN/pgbench" -n -h 127.0.0.1 -p "$PG_PORT" -U postgres -M prepared -c "$clients" -j "$THREADS" -T "${WARMUP%s}" -f "$WORK/upsert.sql" postgres > "$RESULTS/$name.warmup" 2>&1 \
        || { echo "pgbench failed:" >&2; tail -n 5 "$RESULTS/$name.warmup" >&2; exit 1; }
    "$PG_BIN/pgbench" -n -h 127.0.0.1 -p "$PG_PORT" -U postgres -M prepared -c "$clients" -j "$THREADS" -T "${DURATION%s}" -f "$WORK/upsert.sql" postgres > "$RESULTS/$name.pgbench" 2>&1
    echo "  $name: $(grep -E '^tps' "$RESULTS/$name.pgbench")" >&2
}

BARE_PORT=$(free_port)
"$BARE" "$BARE_PORT" > "$WORK/bare.log" 2>&1 &
BARE_PID=$!
wait_http "http://127.0.0.1:$BARE_PORT/"

echo "machine: $(machine_line)"
echo "nginx $(nginx -v 2>&1 | sed 's/.*\///'), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo
for ((run = 1; run <= RUNS; run++)); do
    for c in $CONNECTIONS; do
        echo "run $run of $RUNS, $c connections" >&2
        COLLECTOR_PORT=$(free_port)
        mkdir -p "$WORK/db"
        DB="$WORK/db/usage.sqlite"
        "$COLLECTOR" serve --host 127.0.0.1 --port "$COLLECTOR_PORT" --database "$DB" --rate-limit 0 --max-connections-per-client 0 2> "$WORK/collector.log" &
        COLLECTOR_PID=$!
        wait_http "http://127.0.0.1:$COLLECTOR_PORT/healthz"
        # The fold's lag (journal entries not yet folded), sampled every 0.2 s while wrk runs.
        lag_samples="$RESULTS/collector-c$c-$run.lag"
        ( for _ in $(seq 1 1500); do
              [ -e "$WORK/stop-sampling" ] && break
              curl -s "http://127.0.0.1:$COLLECTOR_PORT/metrics" | awk '/^usage_journal_unfolded_pings /{print $2}' >> "$lag_samples"
              sleep 0.2
          done ) &
        SAMPLER_PID=$!
        wrk_run "collector-post-c$c-$run" "$c" "http://127.0.0.1:$COLLECTOR_PORT" ping_post.lua 0
        wrk_run "collector-get-c$c-$run" "$c" "http://127.0.0.1:$COLLECTOR_PORT" ping_get.lua 1000000
        touch "$WORK/stop-sampling"; wait "$SAMPLER_PID" || true; rm -f "$WORK/stop-sampling"
        # The lag one second after the load stopped: the fold has drained the journal.
        sleep 1
        curl -s "http://127.0.0.1:$COLLECTOR_PORT/metrics" | awk '/^usage_journal_unfolded_pings /{print $2}' > "$RESULTS/collector-c$c-$run.lag-after"
        curl -s "http://127.0.0.1:$COLLECTOR_PORT/metrics" | grep -E '^usage_(commit|fold)_(batch_size|duration_seconds)_(sum|count)' > "$RESULTS/collector-c$c-$run.metrics" || true
        stop_pid "$COLLECTOR_PID"
        COLLECTOR_PID=""
        # What is on disk after a graceful stop, per ID range: pings of the measured POST and GET runs.
        python3 - "$DB" "$RESULTS/collector-post-c$c-$run.stored" "$RESULTS/collector-get-c$c-$run.stored" "$IDS" <<'PY'
import sqlite3, sys
db, post_file, get_file, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
c = sqlite3.connect(db)
def stored(lo, hi):
    # IDs are i-0 + 8 hex (scrambled) + 8 hex (the number): the number is the last 8 digits.
    total = 0
    for (iid, pings) in c.execute("SELECT instance_id, pings FROM instance_days"):
        if lo <= int(iid[-8:], 16) < hi:
            total += pings
    return total
open(post_file, "w").write(str(stored(0, count)))
open(get_file, "w").write(str(stored(1000000, 1000000 + count)))
PY
        rm -rf "$WORK/db"
        wrk_run "bare-post-c$c-$run" "$c" "http://127.0.0.1:$BARE_PORT" ping_post.lua 0
        wrk_run "nginx-get-c$c-$run" "$c" "http://127.0.0.1:$NGINX_PORT" ping_get.lua 1000000
        pgbench_run "pgbench-upsert-c$c-$run" "$c"
    done
done
echo "wrk -t$THREADS -c{$(echo $CONNECTIONS | tr ' ' ,)} -d$DURATION --latency, after a $WARMUP warm-up on other IDs; $IDS instance IDs per script; $RUNS runs, interleaved"
echo
for c in $CONNECTIONS; do
    python3 "$ROOT/benchmarks/ingest_table.py" "$RESULTS" "$c"
    echo
done
echo
python3 "$ROOT/benchmarks/ingest_peers_table.py" "$RESULTS" $CONNECTIONS
echo
echo "nginx access log lines written: $(wc -l < "$WORK/nginx/logs/access.log")"
