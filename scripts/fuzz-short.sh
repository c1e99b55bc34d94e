#!/bin/sh
# Run every libFuzzer target for a short time on a copy of its seed corpus.
# Usage: scripts/fuzz-short.sh BUILD_DIR SECONDS
set -eu
build=$1
secs=${2:-10}
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
for exe in "$build"/tests/fuzz/fuzz_*; do
    [ -f "$exe" ] && [ -x "$exe" ] || continue
    name=${exe##*/fuzz_}
    mkdir -p "$work/$name"
    cp "$src/tests/fuzz/corpus/$name"/* "$work/$name/" 2>/dev/null || true
    echo "fuzz: $name for ${secs}s"
    if ! "$exe" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 \
            -print_final_stats=0 "$work/$name" >"$work/$name.log" 2>&1; then
        tail -n 40 "$work/$name.log"
        echo "fuzz: $name FAILED" >&2
        exit 1
    fi
    n=$((n + 1))
done
if [ "$n" -eq 0 ]; then
    echo "fuzz: no libFuzzer targets in $build (configure with CC=clang -Dfuzz=true)" >&2
    exit 1
fi
echo "fuzz: $n targets passed"
