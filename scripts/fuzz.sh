#!/usr/bin/env bash
# Builds and runs the libFuzzer targets in Fuzz/Targets against the sources of UsageTrackingCore.
#
#   scripts/fuzz.sh TARGET|all [SECONDS]     run one target, or each in turn, for SECONDS (default 60)
#   scripts/fuzz.sh --list                   name the targets
#   scripts/fuzz.sh --build TARGET|all       build only
#
# Each target is compiled with `swiftc -sanitize=fuzzer,address` into .build/fuzz/<target>. Its
# corpus grows in .build/fuzz/corpus/<target>, seeded from Fuzz/seeds/<target>; a crash or a broken
# invariant leaves the input in .build/fuzz/artifacts/<target>/ and makes the script exit 1.
# On a shared machine, run it under `nice -n 19`. Needs Linux and a Swift toolchain with libFuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."

targets_dir=Fuzz/Targets
out=.build/fuzz

all_targets() {
    for file in "$targets_dir"/*.swift; do basename "$file" .swift; done
}

usage() {
    sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 64
}

build() {
    local target=$1 binary=$out/$1
    local sources
    mapfile -t sources < <(find Sources/UsageTrackingCore -name '*.swift' | sort)
    sources+=(Fuzz/Support/*.swift "$targets_dir/$target.swift")
    # Rebuild only when a source is newer than the binary.
    if [ -x "$binary" ] && [ -z "$(find "${sources[@]}" -newer "$binary" -print -quit)" ]; then
        return 0
    fi
    mkdir -p "$out"
    echo "fuzz: building $target" >&2
    swiftc -sanitize=fuzzer,address -parse-as-library -O -g -swift-version 6 -use-ld=lld \
        -module-name "Fuzz_${target//-/_}" "${sources[@]}" -o "$binary"
}

run() {
    local target=$1 seconds=$2
    local corpus=$out/corpus/$target artifacts=$out/artifacts/$target/ seeds=Fuzz/seeds/$target
    mkdir -p "$corpus" "$artifacts"
    local options=(
        -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048
        -artifact_prefix="$artifacts"
    )
    [ -f "Fuzz/dictionaries/$target.dict" ] && options+=(-dict="Fuzz/dictionaries/$target.dict")
    local dirs=("$corpus")
    [ -d "$seeds" ] && dirs+=("$seeds")
    local started=$out/.started-$target
    touch "$started"
    echo "fuzz: running $target for ${seconds}s" >&2
    # The Swift runtime's own backtracer is off: libFuzzer reports the crash and keeps the input.
    if SWIFT_BACKTRACE=enable=no "$out/$target" "${options[@]}" "${dirs[@]}"; then
        return 0
    fi
    echo "fuzz: $target FAILED; the input is in $artifacts:" >&2
    find "$artifacts" -type f -newer "$started" | while read -r crash; do
        echo "  $crash" >&2
        od -c "$crash" | head -20 >&2
    done
    return 1
}

[ $# -ge 1 ] || usage
case $1 in
    --list) all_targets; exit 0 ;;
    --build)
        [ $# -eq 2 ] || usage
        if [ "$2" = all ]; then mapfile -t chosen < <(all_targets); else chosen=("$2"); fi
        for target in "${chosen[@]}"; do build "$target"; done
        exit 0 ;;
    -*) usage ;;
esac

seconds=${2:-60}
if [ "$1" = all ]; then
    mapfile -t chosen < <(all_targets)
else
    [ -f "$targets_dir/$1.swift" ] || { echo "fuzz: no target $1; targets: $(all_targets | tr '\n' ' ')" >&2; exit 64; }
    chosen=("$1")
fi

failed=()
for target in "${chosen[@]}"; do
    build "$target"
    run "$target" "$seconds" || failed+=("$target")
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: crashes or broken invariants in: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz: no crash in ${chosen[*]}" >&2
