#!/usr/bin/env bash
# Where `usage-collector import-s3-logs` spends its time: `perf record` (cpu-clock, DWARF call graphs,
# so that time inside SQLite is charged to the Swift function that ran the statement) on one import
# of the S3 benchmark's log into a fresh SQLite file; prints the share of the phases.
#
#   benchmarks/profile_s3_import.sh
#   S3_LINES=50000 benchmarks/profile_s3_import.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
LINES=${S3_LINES:-300000}
SEED=${SEED:-7}
build_release usage-collector
LOG="$OUT/s3-$LINES-seed$SEED.log"
if [ ! -s "$LOG" ]; then
    python3 "$ROOT/benchmarks/generate_s3_logs.py" "$LINES" "$LOG.tmp" --seed "$SEED"
    mv "$LOG.tmp" "$LOG"
fi
WORK=$(mktemp -d "$OUT/profile-s3.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
perf record -e cpu-clock -F 97 --call-graph dwarf,16384 -o "$WORK/perf.data" \
    "$ROOT/.build-release/release/usage-collector" import-s3-logs "$LOG" --database "$WORK/import.sqlite" --log-level error \
    > "$WORK/summary.txt" 2> "$WORK/perf.log"
perf report -i "$WORK/perf.data" --stdio --children --sort sym -g none 2>/dev/null | grep -E '^ +[0-9]' \
    | swift demangle --simplified > "$WORK/children.txt" || true
perf report -i "$WORK/perf.data" --stdio --no-children --sort sym -g none 2>/dev/null | grep -E '^ +[0-9]' \
    | swift demangle --simplified > "$WORK/self.txt" || true
share() { grep -m1 -F "$1" "$WORK/children.txt" | awk '{print $1}'; }
echo "\`perf record -e cpu-clock --call-graph dwarf\` on one \`import-s3-logs\` of $(basename "$LOG") ($(grep -E '^(records read|\(instance, day\) rows)' "$WORK/summary.txt" | tr -s ' ' | tr '\n' ';' | sed 's/;$//; s/;/; /g')); share of the process's CPU samples, callees included:"
echo
echo "| phase | share |"
echo "| --- | ---: |"
echo "| reading the log, a block at a time (\`LogFile.read\`) | $(share 'LogFile.read(') |"
echo "| cutting the blocks into lines and parsing them, in a child task (\`S3LogBlockParser.parse\`) | $(share 'S3LogBlockParser.parse(') |"
echo "| of which the parser itself (\`S3AccessLogParser.parse\`) | $(share 'S3AccessLogParser.parse(') |"
echo "| grouping each batch per instance, in key order (\`InstanceChanges\`) | $(share 'InstanceChanges.init(merging:') |"
echo "| the fold: reading what each instance holds, applying its change, writing its rows and the rollup changes (\`RowTransaction.fold\`) | $(share 'RowTransaction.fold(_:)') |"
echo "| of which the core's arithmetic, rows and rollup changes (\`InstanceFold.apply\`) | $(share 'InstanceFold.apply(days:to:)') |"
echo "| of which writing the rows (\`SQLiteTransaction.write\`) | $(share 'static SQLiteTransaction.write(_:_:)') |"
echo "| of which adding the batch's rollup changes to the rollup rows (\`SQLiteTransaction.add\`) | $(share 'static SQLiteTransaction.add(_:_:)') |"
echo
echo "Top self time:"
echo
echo '```'
head -15 "$WORK/self.txt" | cut -c1-150
echo '```'
