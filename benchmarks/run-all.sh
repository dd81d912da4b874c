#!/usr/bin/env bash
# Runs every benchmark and rewrites its table in BENCHMARKS.md (between the <!-- BEGIN name --> and
# <!-- END name --> markers); the prose around the tables is kept.
#
#   benchmarks/run-all.sh                    # every section (see NAMES below)
#   benchmarks/run-all.sh ingest agent       # only these
# Each benchmark's own settings (RUNS, DURATION, INSTANCES, S3_LINES, ...) pass through the environment.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
NAMES=("$@")
[ ${#NAMES[@]} -gt 0 ] || NAMES=(reports s3_import profile_s3_import ingest profile_ingest ingest_malloc postgres_fold agent agent_link)

# Build once, incrementally, the way the project does; the scripts then skip their own builds.
build_release usage-collector usage-agent
(cd "$ROOT" && swift build -c release --package-path benchmarks/bare-route --scratch-path .build-bare) >&2
if [ "${STATIC:-1}" = 1 ]; then
    (cd "$ROOT" && swift build -c release --scratch-path .build-static --product usage-agent --static-swift-stdlib) >&2
fi
export BENCH_SKIP_BUILD=1

{
    echo "- cores: $(nproc) ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))"
    echo "- memory: $(free -h | awk '/^Mem:/ {print $2}') (\`free -h\`)"
    echo "- system: $(uname -sr); $(swift --version 2>/dev/null | head -1)"
    echo "- run on $(date -u +%Y-%m-%d) by \`benchmarks/run-all.sh\`, at commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$( [ -n "$(git -C "$ROOT" status --porcelain -- Sources Package.swift 2>/dev/null)" ] && echo ' (with uncommitted changes under Sources/ or Package.swift)')"
} > "$OUT/machine.md"
python3 "$ROOT/benchmarks/update_benchmarks_md.py" "$ROOT/BENCHMARKS.md" machine "$OUT/machine.md"

for name in "${NAMES[@]}"; do
    script="$ROOT/benchmarks/$name.sh"
    [ -x "$script" ] || { echo "no benchmark named $name" >&2; exit 64; }
    echo "== $name" >&2
    "$script" > "$OUT/$name.md.tmp"
    mv "$OUT/$name.md.tmp" "$OUT/$name.md"
    python3 "$ROOT/benchmarks/update_benchmarks_md.py" "$ROOT/BENCHMARKS.md" "$name" "$OUT/$name.md"
    cat "$OUT/$name.md"
done
