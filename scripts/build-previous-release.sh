#!/usr/bin/env bash
# Builds the previous release's usage-collector (the last commit that landed before this release,
# PREVIOUS below) for the rolling-upgrade test (Tests/UsageCollectorTests/RollingUpgradeTests.swift),
# into .build-previous/ (git-ignored), and prints the binary's path. Idempotent: a binary already
# built for that commit is reused.
#
#   scripts/build-previous-release.sh           prints the path, or fails saying why
set -euo pipefail
cd "$(dirname "$0")/.."
PREVIOUS=c6ee201
out=.build-previous
binary="$out/scratch/debug/usage-collector"
if [ -x "$binary" ] && [ "$(cat "$out/revision" 2>/dev/null)" = "$PREVIOUS" ]; then
    echo "$PWD/$binary"
    exit 0
fi
if ! git cat-file -e "$PREVIOUS^{commit}" 2>/dev/null; then
    echo "build-previous-release: commit $PREVIOUS is not in this clone (a shallow clone?): fetch the history first" >&2
    exit 1
fi
rm -rf "$out/src"
mkdir -p "$out"
git archive --format=tar "$PREVIOUS" | (mkdir -p "$out/src" && tar -x -C "$out/src")
(cd "$out/src" && swift build --product usage-collector --scratch-path "$PWD/../scratch") >&2
echo "$PREVIOUS" > "$out/revision"
echo "$PWD/$binary"
