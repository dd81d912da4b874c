#!/usr/bin/env bash
# The PostgreSQL store's fold: how many journal entries a collector folds into the day rows and
# rollups per second, on a database holding four weeks of history for CLUSTERS clusters.
#
# A throwaway PostgreSQL (Debian's, default settings: fsync and synchronous_commit on) on
# 127.0.0.1; the history goes in through `usage-collector import-csv` (the store's own merge);
# then, for each of DAYS next days, one ping per cluster is put in the journal (a plain SQL insert,
# clusters in random order, as a burst of agents would leave it), and `usage-collector stats`, which
# folds the journal before it reports, is timed against the same command on an empty journal.
#
#   benchmarks/postgres_fold.sh                      # 200,000 clusters, 2 days
#   CLUSTERS=20000 DAYS=1 benchmarks/postgres_fold.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
CLUSTERS=${CLUSTERS:-200000}
DAYS=${DAYS:-2}
HISTORY=28
FIRST=20758   # 2026-10-31

build_release usage-collector
BIN="$ROOT/.build-release/release/usage-collector"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$pg_bin/initdb" ] || { echo "needs PostgreSQL: apt-get install -y postgresql" >&2; exit 1; }
as_postgres() { if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }

WORK=$(mktemp -d "$OUT/postgres-fold.XXXXXX")
chmod 755 "$WORK"
[ "$(id -u)" = 0 ] && chown postgres "$WORK"
PORT=$(free_port)
cleanup() {
    as_postgres "$pg_bin/pg_ctl" -D "$WORK/data" -m fast stop >/dev/null 2>&1 || true
    [ -n "${KEEP_LOG:-}" ] && cp "$WORK/server.log" "$KEEP_LOG"
    rm -rf "$WORK"
}
trap cleanup EXIT
as_postgres "$pg_bin/initdb" -D "$WORK/data" -U postgres --auth=trust -E UTF8 --no-locale >/dev/null
as_postgres "$pg_bin/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$WORK -c log_min_duration_statement=${LOG_MIN_DURATION:--1}" start >/dev/null
URL="postgres://postgres@127.0.0.1:$PORT/postgres"
psql() { "$pg_bin/psql" -X -q -t -A "$URL" "$@"; }

# Four weeks of history: one ping a day per cluster, regions spread over five.
python3 - "$CLUSTERS" "$HISTORY" "$FIRST" > "$WORK/history.csv" <<'EOF'
import sys
from datetime import datetime, timezone
clusters, days, first = map(int, sys.argv[1:4])
regions = ["us-west-2", "eu-west-1", "us-east-1", "ap-southeast-1", "cn-north-1"]
print("time,instance_id,region")
for day in range(first, first + days):
    stamp = datetime.fromtimestamp(day * 86400 + 900, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    for g in range(1, clusters + 1):
        print(f"{stamp},i-{g:017x},{regions[g % 5]}")
EOF
load_start=$(date +%s.%N)
"$BIN" import-csv "$WORK/history.csv" --database "$URL" --log-level error > "$WORK/import.txt"
load_seconds=$(echo "$(date +%s.%N) - $load_start" | bc)
rm -f "$WORK/history.csv"
psql -c "VACUUM ANALYZE" >/dev/null

# stats_seconds: one `usage-collector stats` (process start, migrations check, fold, reports).
stats_seconds() {
    local start
    start=$(date +%s.%N)
    "$BIN" stats --database "$URL" --format csv --log-level error > /dev/null
    echo "$(date +%s.%N) - $start" | bc
}

echo "machine: $(machine_line); PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}'), default settings (fsync, synchronous_commit on)"
echo
echo "history: $CLUSTERS clusters × $HISTORY days ($((CLUSTERS * HISTORY)) day rows) loaded by \`import-csv\` in $(printf '%.1f' "$load_seconds") s ($(printf '%.0f' "$(echo "$CLUSTERS * $HISTORY / $load_seconds" | bc -l)") rows/s, through the same fold)"
echo
echo "| day | journal entries | stats, empty journal, s | stats with the fold, s | fold, s | pings folded per s |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for ((d = 0; d < DAYS; d++)); do
    day=$((FIRST + HISTORY + d))
    empty=$(stats_seconds)
    psql -c "INSERT INTO ping_journal (instance_id, day, region, received_ms)
             SELECT 'i-' || lpad(to_hex(g), 17, '0'), $day,
                    (ARRAY['us-west-2','eu-west-1','us-east-1','ap-southeast-1','cn-north-1'])[1 + g % 5],
                    $day::bigint * 86400000 + 900000 + g
             FROM generate_series(1, $CLUSTERS) g ORDER BY random()" >/dev/null
    folded=$(stats_seconds)
    left=$(psql -c "SELECT count(*) FROM ping_journal")
    [ "$left" = 0 ] || { echo "the journal still holds $left entries after stats" >&2; exit 1; }
    fold=$(echo "$folded - $empty" | bc)
    printf '| %s | %s | %.2f | %.2f | %.2f | %s |\n' "$(date -u -d "@$((day * 86400))" +%F)" "$CLUSTERS" "$empty" "$folded" "$fold" \
        "$(printf '%.0f' "$(echo "$CLUSTERS / $fold" | bc -l)")"
done
rows=$(psql -c "SELECT count(*) FROM instance_days")
echo
echo "Day rows after the runs: $rows (expected $((CLUSTERS * (HISTORY + DAYS))))."
