#!/bin/sh
# NetFlow/IPFIX collector benchmark (see bench/README.md, "NetFlow/IPFIX collector").
# Usage: bench/netflow/run.sh BUILD_DIR [PACKETS]
# Runs each figure twice: decoder from memory (one core), loopback replay to
# the collector (1 and 2 threads), and the same replay to nfdump's nfcapd
# when it is installed (apt-get install nfdump), CPU time read from /proc.
set -eu
build=$1
n=${2:-400000}
bench=$build/bench/nf_bench
for run in 1 2; do
    for v in v9 ipfix; do
        "$bench" decode $v $((n * 5))
        "$bench" replay $v "$n" 1
        "$bench" replay $v "$n" 2
    done
done
command -v nfcapd >/dev/null 2>&1 || { echo "nfcapd not installed: skipping the peer"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
port=$((20000 + $$ % 20000))
for run in 1 2; do
    for v in v9 ipfix; do
        rm -rf "${work:?}"/*
        nfcapd -b 127.0.0.1 -p $port -w "$work" -B 33554432 -t 3600 >"$work.log" 2>&1 &
        pid=$!
        sleep 1
        t0=$(date +%s.%N)
        "$bench" send $v "$n" $port
        sleep 2
        ticks=$(awk '{print $14 + $15}' /proc/$pid/stat)
        kill $pid
        wait $pid || true
        t1=$(date +%s.%N)
        flows=$(nfdump -R "$work" -q -o csv 2>/dev/null | grep -c '^[0-9]' || true)
        hz=$(getconf CLK_TCK)
        awk -v f="$flows" -v t="$ticks" -v hz="$hz" -v v=$v -v n="$n" -v w0="$t0" -v w1="$t1" \
            'BEGIN { c = t / hz; printf "nfcapd %s: sent %d packets (%d flows); stored %d flows; cpu %.2f s; %.2f M flows/s per core\n", v, n, n * 28, f, c, (c > 0 ? f / c / 1e6 : 0) }'
    done
done
