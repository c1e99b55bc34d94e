#!/bin/sh
# Feed import benchmark: generate the data (once), then time parse + import +
# matching of a 500,000-line botnet CSV against 10,000 registered ranges.
#   bench/import/run.sh [BUILD_DIR]   (default: build)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
data=${BENCH_DATA:-/tmp/vigil-bench-import}
if [ ! -f "$data/expected.txt" ]; then
    python3 "$here/gen.py" "$data"
fi
work=$(mktemp -d /tmp/vigil-bench-store.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$build/bench/import_bench" "$data" "$work/data"
