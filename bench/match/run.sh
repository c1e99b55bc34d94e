#!/bin/sh
# vigil match vs grepcidr -f on the same generated files, in the same run,
# and vigil-sensor's text-log path (the same engine) on the same files.
#
#   bench/match/run.sh                      1M lines/100k list, then 5M/500k
#   bench/match/run.sh LINES ENTRIES        one case
#   VIGIL=path/to/vigil VIGIL_SENSOR=path/to/vigil-sensor THREADS="1 2" bench/match/run.sh
#
# Generates bench/data/match-log-LINES.txt and match-list-ENTRIES.txt if
# absent (bench/match/gen.py, seeded). For each case, runs grepcidr and
# `vigil match -j N` for each N in THREADS 3 times each and keeps the best
# wall and the best CPU (user+sys) time, checks that every output (plain
# and -c) is byte-identical to grepcidr's, and prints the times and the
# ratios. Then `vigil-sensor match --format firewall` (JSON hits), 3 times
# too: the set of line numbers in its hits (log.file.line) must equal the
# set `vigil match --json` prints (line_number), else the run fails. The
# load average is printed before and after: figures taken on a busy machine
# are worth less.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
vigil=${VIGIL:-$root/build/src/cli/vigil}
sensor=${VIGIL_SENSOR:-$(dirname "$(dirname "$vigil")")/sensor/vigil-sensor}
grepcidr=${GREPCIDR:-grepcidr}
threads=${THREADS:-1 2}
data=$root/bench/data

[ -x "$vigil" ] || { echo "no vigil binary at $vigil (make build, or set VIGIL)" >&2; exit 2; }
[ -x "$sensor" ] || { echo "no vigil-sensor binary at $sensor (set VIGIL_SENSOR)" >&2; exit 2; }
command -v "$grepcidr" >/dev/null || { echo "grepcidr not installed" >&2; exit 2; }

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

ratio() { awk -v g="$1" -v v="$2" 'BEGIN { printf "%.1f", (v > 0 ? g / v : 0) }'; }

# run_case LINES ENTRIES
run_case() {
    lines=$1
    entries=$2
    out=$root/bench/out/match-$lines-$entries
    mkdir -p "$data" "$out"
    log=$data/match-log-$lines.txt
    list=$data/match-list-$entries.txt
    if [ ! -s "$log" ] || [ ! -s "$list" ]; then
        echo "generating $lines lines and $entries list entries..."
        python3 "$here/gen.py" "$lines" "$entries" "$log.tmp" "$list.tmp"
        mv "$log.tmp" "$log"
        mv "$list.tmp" "$list"
    fi
    cat "$log" "$list" > /dev/null  # warm the page cache for both
    set -- $(best_of grepcidr.out "$grepcidr" -f "$list" "$log")
    g=$1 gcpu=$2
    "$grepcidr" -c -f "$list" "$log" > "$out/grepcidr.count" || true
    matched=$(wc -l < "$out/grepcidr.out")
    echo "case lines=$lines entries=$entries bytes=$(wc -c < "$log") matched_lines=$matched"
    echo "  grepcidr        wall_ms=$g cpu_ms=$gcpu"
    for j in $threads; do
        set -- $(best_of "vigil-j$j.out" "$vigil" match -j "$j" --list "$list" "$log")
        v=$1 vcpu=$2
        if ! cmp -s "$out/grepcidr.out" "$out/vigil-j$j.out"; then
            echo "FAIL: -j $j output differs (see $out/grepcidr.out and $out/vigil-j$j.out)" >&2
            exit 1
        fi
        "$vigil" match -c -j "$j" --list "$list" "$log" > "$out/vigil-j$j.count" || true
        if ! cmp -s "$out/grepcidr.count" "$out/vigil-j$j.count"; then
            echo "FAIL: -j $j counts differ: grepcidr $(cat "$out/grepcidr.count"), vigil $(cat "$out/vigil-j$j.count")" >&2
            exit 1
        fi
        cr=-
        if [ "$gcpu" != - ] && [ "$vcpu" != - ]; then cr=$(ratio "$gcpu" "$vcpu")x; fi
        echo "  vigil match -j $j wall_ms=$v cpu_ms=$vcpu outputs=identical ratio_wall=$(ratio "$g" "$v")x ratio_cpu=$cr"
    done
    # One engine: the sensor's hits name exactly the lines vigil match prints.
    "$vigil" match --json -j 1 --list "$list" "$log" |
        grep -o '"line_number":[0-9]*' | cut -d: -f2 | sort -n -u > "$out/vigil.lines" || true
    set -- $(best_of sensor.json "$sensor" match --list "$list" --format firewall "$log")
    sv=$1 svcpu=$2
    grep -o '"log.file.line":[0-9]*' "$out/sensor.json" | cut -d: -f2 | sort -n -u \
        > "$out/sensor.lines" || true
    if [ "$(wc -l < "$out/vigil.lines")" -ne "$matched" ] ||
        ! cmp -s "$out/vigil.lines" "$out/sensor.lines"; then
        echo "FAIL: vigil-sensor's hits name other lines than vigil match: $(wc -l < "$out/sensor.lines") vs $(wc -l < "$out/vigil.lines") (grepcidr $matched); diff $out/vigil.lines $out/sensor.lines" >&2
        exit 1
    fi
    cr=-
    if [ "$gcpu" != - ] && [ "$svcpu" != - ]; then cr=$(ratio "$gcpu" "$svcpu")x; fi
    echo "  vigil-sensor match --format firewall wall_ms=$sv cpu_ms=$svcpu hits=$(wc -l < "$out/sensor.json") lines=identical ratio_wall=$(ratio "$g" "$sv")x ratio_cpu=$cr"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
if [ $# -ge 2 ]; then
    run_case "$1" "$2"
else
    run_case 1000000 100000
    run_case 5000000 500000
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
