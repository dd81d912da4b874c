#!/usr/bin/env bash
# Makes the database fixture of the previous release, for the test that opens it with this one
# (Tests/UsageCollectorTests/PreviousReleaseTests.swift): builds usage-collector at REVISION (by
# default the last commit before the ping journal, migration 005), and with it
#   1. imports Tests/UsageCollectorTests/Fixtures/known-pings.csv (merge path),
#   2. serves on 127.0.0.1 and takes live pings over HTTP (the previous write path: rows and
#      rollups in the acknowledged transaction), some on the instances already imported,
#   3. prints every report with `stats --format json`, as that release computed them.
# Writes Fixtures/previous-release/usage.sql (the database as `sqlite3 .dump` prints it: text,
# reviewable, no binary in git; the test restores it into a file) and reports.txt.
#
#   scripts/make-previous-release-fixture.sh [REVISION]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REVISION=${1:-751e61d}
OUT="$ROOT/Tests/UsageCollectorTests/Fixtures/previous-release"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/previous-release.XXXXXX")
COLLECTOR_PID=""
cleanup() {
    [ -n "$COLLECTOR_PID" ] && kill "$COLLECTOR_PID" 2>/dev/null && wait "$COLLECTOR_PID" 2>/dev/null || true
    git -C "$ROOT" worktree remove --force "$WORK/src" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

git -C "$ROOT" worktree add --detach "$WORK/src" "$REVISION" >/dev/null
# The repository's own build folder: the dependencies are built already, only our modules are not.
(cd "$WORK/src" && swift build --scratch-path "$ROOT/.build" --product usage-collector) >&2
BIN="$ROOT/.build/debug/usage-collector"
DB="$WORK/usage.sqlite"

"$BIN" import-csv --database "$DB" --log-level warning "$ROOT/Tests/UsageCollectorTests/Fixtures/known-pings.csv" >&2

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" serve --host 127.0.0.1 --port "$PORT" --database "$DB" --rate-limit 0 --log-level warning &
COLLECTOR_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
post() { curl -sf -X POST "http://127.0.0.1:$PORT/v1/pings" -H 'Content-Type: application/json' -d "$1" >/dev/null; }
for n in $(seq 1 12); do
    post "{\"instance_id\":\"i-$(printf '%08x' "$n")\",\"region\":\"us-west-2\"}"
    post "{\"instance_id\":\"i-$(printf '%08x' "$n")\",\"region\":\"us-west-2\"}"
done
for n in $(seq 1 5); do post "{\"instance_id\":\"i-0abc$(printf '%013x' "$n")\",\"region\":\"eu-west-1\"}"; done
curl -sf "http://127.0.0.1:$PORT/instance-i-0feedbee.log?x-instance-id=i-0feedbee" >/dev/null
kill -TERM "$COLLECTOR_PID"; wait "$COLLECTOR_PID" || true; COLLECTOR_PID=""

{
    for window in 1 7 28; do "$BIN" stats --database "$DB" --format json --window "$window" --log-level warning; done
    for report in new churned regions retention; do "$BIN" stats --database "$DB" --format json --report "$report" --log-level warning; done
} > "$WORK/reports.txt"
mkdir -p "$OUT"
sqlite3 "$DB" .dump > "$OUT/usage.sql"
cp "$WORK/reports.txt" "$OUT/reports.txt"
echo "wrote $OUT/usage.sql ($(stat -c %s "$OUT/usage.sql") bytes) and reports.txt, by usage-collector at $REVISION" >&2
