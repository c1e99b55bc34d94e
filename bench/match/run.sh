#!/bin/sh
# vigil match vs grepcidr -f on the same generated files, in the same run.
#
#   bench/match/run.sh [LINES ENTRIES]      default 1000000 100000
#   VIGIL=path/to/vigil bench/match/run.sh 5000000 500000
#
# Generates bench/data/match-log-LINES.txt and match-list-ENTRIES.txt if
# absent (bench/match/gen.py, seeded), runs each tool 3 times and keeps the
# best wall time, checks that the outputs (plain and -c) are byte-identical,
# and prints the times and the ratio.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
lines=${1:-1000000}
entries=${2:-100000}
vigil=${VIGIL:-$root/build/src/cli/vigil}
grepcidr=${GREPCIDR:-grepcidr}
data=$root/bench/data
out=$root/bench/out/match-$lines-$entries
mkdir -p "$data" "$out"
log=$data/match-log-$lines.txt
list=$data/match-list-$entries.txt

[ -x "$vigil" ] || { echo "no vigil binary at $vigil (make build, or set VIGIL)" >&2; exit 2; }
command -v "$grepcidr" >/dev/null || { echo "grepcidr not installed" >&2; exit 2; }
if [ ! -s "$log" ] || [ ! -s "$list" ]; then
    echo "generating $lines lines and $entries list entries..."
    python3 "$here/gen.py" "$lines" "$entries" "$log.tmp" "$list.tmp"
    mv "$log.tmp" "$log"
    mv "$list.tmp" "$list"
fi

# best_of NAME CMD...: run 3 times, output to $out/NAME; print the best wall
# milliseconds and, when /usr/bin/time is there, the best CPU (user+sys) ms.
best_of() {
    name=$1
    shift
    best=
    bestcpu=-
    for _ in 1 2 3; do
        t0=$(date +%s%N)
        if [ -x /usr/bin/time ]; then
            /usr/bin/time -f "%U %S" -o "$out/$name.time" "$@" > "$out/$name" || [ $? -eq 1 ]
        else
            "$@" > "$out/$name" || [ $? -eq 1 ]
        fi
        t1=$(date +%s%N)
        ms=$(( (t1 - t0) / 1000000 ))
        if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
        if [ -f "$out/$name.time" ]; then
            cpu=$(awk '{ printf "%d", ($1 + $2) * 1000 }' "$out/$name.time")
            if [ "$bestcpu" = - ] || [ "$cpu" -lt "$bestcpu" ]; then bestcpu=$cpu; fi
        fi
    done
    echo "$best $bestcpu"
}

cat "$log" "$list" > /dev/null  # warm the page cache for both
set -- $(best_of grepcidr.out "$grepcidr" -f "$list" "$log")
g=$1 gcpu=$2
set -- $(best_of vigil.out "$vigil" match --list "$list" "$log")
v=$1 vcpu=$2
if ! cmp -s "$out/grepcidr.out" "$out/vigil.out"; then
    echo "FAIL: outputs differ (see $out/grepcidr.out and $out/vigil.out)" >&2
    exit 1
fi
"$grepcidr" -c -f "$list" "$log" > "$out/grepcidr.count" || true
"$vigil" match -c --list "$list" "$log" > "$out/vigil.count" || true
if ! cmp -s "$out/grepcidr.count" "$out/vigil.count"; then
    echo "FAIL: counts differ: grepcidr $(cat "$out/grepcidr.count"), vigil $(cat "$out/vigil.count")" >&2
    exit 1
fi
matched=$(wc -l < "$out/vigil.out")
ratio=$(awk -v g="$g" -v v="$v" 'BEGIN { printf "%.1f", (v > 0 ? g / v : 0) }')
echo "lines=$lines entries=$entries matched_lines=$matched outputs=identical"
echo "wall best of 3: grepcidr_ms=$g vigil_ms=$v ratio=${ratio}x"
if [ "$gcpu" != - ] && [ "$vcpu" != - ]; then
    cratio=$(awk -v g="$gcpu" -v v="$vcpu" 'BEGIN { printf "%.1f", (v > 0 ? g / v : 0) }')
    echo "cpu (user+sys) best of 3: grepcidr_ms=$gcpu vigil_ms=$vcpu ratio=${cratio}x"
fi
