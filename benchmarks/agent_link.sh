#!/usr/bin/env bash
# Link-time levers on the agent's peak RSS, measured (none of them is in the shipped build): the
# static agent relinked from the same object files four ways, beside bash + curl, with the same
# fakes and timings as agent.sh.
#   - as shipped: PIE, linked by gold (what `swift build --static-swift-stdlib` does);
#   - non-PIE: no load-time relocations (the 1.7 MB .rela.dyn is not read, .data.rel.ro not dirtied);
#   - PIE + order file: lld with --symbol-ordering-file listing every function one run executes,
#     so the code a run touches sits together and the kernel's fault-around maps less around it;
#   - non-PIE + order file: both.
# The order file comes from one run under valgrind (callgrind --dump-instr, every instruction
# executed, async continuations included), each address mapped to its function with nm.
#
#   benchmarks/agent_link.sh
#   RUNS=3 benchmarks/agent_link.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-5}

for tool in valgrind /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "needs $tool: apt-get install -y valgrind time" >&2; exit 1; }
done
WORK=$(mktemp -d "$OUT/agent_link.XXXXXX")
trap 'stop_agent_fakes; rm -rf "$WORK"' EXIT

# The shipped build's link command, from SwiftPM's build manifest (a verbose build would rebuild
# everything): relink NAME FLAG... runs it again with FLAGs added, into $WORK/NAME.
# (Built here also under run-all.sh with STATIC=0, which skips the static build.)
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ] || [ ! -f "$ROOT/.build-static/release.yaml" ]; then
    (cd "$ROOT" && swift build -c release --scratch-path .build-static --product usage-agent --static-swift-stdlib) >&2
fi
TRIPLE="$(uname -m)-unknown-linux-gnu"
relink() {
    local name=$1
    shift
    python3 - "$ROOT/.build-static/release.yaml" "$TRIPLE" "$WORK/$name" "$@" > "$WORK/link-$name.args" <<'PY'
import json, sys
manifest, triple, output, extra = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
lines = open(manifest).read().splitlines()
start = lines.index(f'  "C.usage-agent-{triple}-release.exe":')
args = json.loads(next(l for l in lines[start:] if l.startswith("    args: ")).split("args: ", 1)[1])
args = [a for a in args if a != "-v"]
args[args.index("-o") + 1] = output
print("\n".join(args + extra))
PY
    mapfile -t command < "$WORK/link-$name.args"
    "${command[@]}" 2>&1 | grep -v 'mktemp' >&2 || true
    [ -x "$WORK/$name" ] || { echo "relinking $name failed" >&2; exit 1; }
}
NOPIE=(-Xclang-linker -no-pie)
ORDERED=(-use-ld=lld -Xlinker "--symbol-ordering-file=$WORK/order.txt" -Xlinker --no-warn-symbol-ordering)

start_agent_fakes "$WORK"
AGENT_ARGS=(--jitter 0 --protocol s3 --collector "http://127.0.0.1:$COLLECTOR_PORT" --imds-endpoint "http://127.0.0.1:$IMDS_PORT" --strict)

# Every function one run executes, from a non-PIE build (fixed addresses).
relink traced "${NOPIE[@]}" -use-ld=lld
strip --strip-debug "$WORK/traced"  # valgrind cannot read this binary's DWARF; the symbol table is enough
env -u USAGE_COLLECTOR_URL NO_PROXY=127.0.0.1 valgrind --tool=callgrind --dump-instr=yes --compress-pos=no --compress-strings=no \
    --callgrind-out-file="$WORK/callgrind.out" "$WORK/traced" "${AGENT_ARGS[@]}" > /dev/null 2>&1
nm -n "$WORK/traced" | awk '$2 ~ /^[tTwW]$/ {print $1, $3}' > "$WORK/functions.txt"
python3 - "$WORK/callgrind.out" "$WORK/functions.txt" > "$WORK/order.txt" <<'EOF'
import bisect, sys
starts, names = [], []
for line in open(sys.argv[2]):
    address, name = line.split(None, 1)
    starts.append(int(address, 16)); names.append(name.strip())
executed = set()
for line in open(sys.argv[1]):
    if line.startswith("0x"):
        index = bisect.bisect_right(starts, int(line.split(None, 1)[0], 16)) - 1
        if index >= 0:
            executed.add(names[index])
print("\n".join(sorted(executed)))
EOF

relink shipped
relink nopie "${NOPIE[@]}"
relink ordered "${ORDERED[@]}"
relink nopie-ordered "${NOPIE[@]}" "${ORDERED[@]}"
strip "$WORK/shipped" "$WORK/nopie" "$WORK/ordered" "$WORK/nopie-ordered"

echo "machine: $(machine_line); $(curl --version | head -1 | cut -d' ' -f1-2), bash ${BASH_VERSION%%(*}"
echo
echo "order file: $(wc -l < "$WORK/order.txt") functions executed in one run (callgrind), $(python3 -c "print(round($(wc -c < "$WORK/callgrind.out") / 1e6, 1))") MB of trace"
echo
python3 "$ROOT/benchmarks/agent_timings.py" \
    --agent "as shipped (PIE, gold)=$WORK/shipped" \
    --agent "non-PIE=$WORK/nopie" \
    --agent "PIE, lld, order file=$WORK/ordered" \
    --agent "non-PIE, lld, order file=$WORK/nopie-ordered" \
    --runs "$RUNS" --imds "http://127.0.0.1:$IMDS_PORT" --collector "http://127.0.0.1:$COLLECTOR_PORT" --hits "$WORK/collector.log" \
    --slow-collector "http://127.0.0.1:$SLOW_PORT" --imds-log "$WORK/imds.log"
