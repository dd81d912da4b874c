#!/usr/bin/env bash
# The agent's footprint: one run of usage-agent (release build, a stripped copy) beside a bash + curl
# script taking the original component's steps (IMDSv2 token PUT, instance-id and region GETs, one
# GET of instance-<id>.log to the collector), both against the same local Python fakes of the
# metadata service and the collector; wall time and peak RSS from /usr/bin/time -v, median of RUNS
# runs each, alternating; and the stripped binary's size. Two builds of the agent: the project's
# release build (Swift runtime in shared libraries under /opt/swift), and, with STATIC=1 (the
# default), the build the Dockerfile ships (--static-swift-stdlib, its own scratch path .build-static).
# Last, where each agent's resident memory is (binary, Swift runtime, system libraries, anonymous).
#   Goals: peak RSS no higher than bash + curl; binary under 30 MB.
#
#   benchmarks/agent.sh
#   RUNS=3 STATIC=0 benchmarks/agent.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-9}
STATIC=${STATIC:-1}

[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install -y time" >&2; exit 1; }
build_release usage-agent
if [ "$STATIC" = 1 ] && [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    (cd "$ROOT" && swift build -c release --scratch-path .build-static --product usage-agent --static-swift-stdlib) >&2
fi
WORK=$(mktemp -d "$OUT/agent.XXXXXX")
trap 'stop_agent_fakes; rm -rf "$WORK"' EXIT

cp "$ROOT/.build-release/release/usage-agent" "$WORK/usage-agent"
strip "$WORK/usage-agent"
AGENTS=(--agent "usage-agent, release build=$WORK/usage-agent")
if [ "$STATIC" = 1 ]; then
    cp "$ROOT/.build-static/release/usage-agent" "$WORK/usage-agent-static"
    strip "$WORK/usage-agent-static"
    AGENTS+=(--agent "usage-agent, --static-swift-stdlib (as shipped)=$WORK/usage-agent-static")
fi

start_agent_fakes "$WORK"

echo "machine: $(machine_line); $(curl --version | head -1 | cut -d' ' -f1-2), bash ${BASH_VERSION%%(*}"
echo
python3 "$ROOT/benchmarks/agent_timings.py" "${AGENTS[@]}" --runs "$RUNS" \
    --imds "http://127.0.0.1:$IMDS_PORT" --collector "http://127.0.0.1:$COLLECTOR_PORT" --hits "$WORK/collector.log" \
    --slow-collector "http://127.0.0.1:$SLOW_PORT" --imds-log "$WORK/imds.log"
