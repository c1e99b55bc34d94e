#!/usr/bin/env python3
"""Generate the feed-import benchmark's data (standard library only).

Writes into OUTDIR:
  botnet.csv    N listed addresses (default 500,000): ip,first_seen,malware,port,asn,isp;
                mostly IPv4, about 3% IPv6; a known share of them (--inside, default 5%)
                lies inside the registered ranges, the rest outside.
  systems.txt   10,000 registered ranges, one a line: "name level cidr". Most are
                disjoint /24s (IPv4) and /64s (IPv6); 2% are /20s that contain some of
                the /24s, so one address can hit two systems.
  expected.txt  every (system name, listed ip) pair that must become a finding,
                computed here with the ipaddress module, sorted.
"""
import argparse
import ipaddress
import os
import random

MALWARE = ["mirai", "gafgyt", "emotet", "qakbot", "trickbot", "mozi", "xorddos", "conficker"]
ISPS = [(7552, "Viettel Group"), (45899, "VNPT Corp"), (18403, "FPT Telecom"),
        (131429, "MOBIFONE"), (7643, "VNPT-VN")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--n", type=int, default=500_000)
    ap.add_argument("--systems", type=int, default=10_000)
    ap.add_argument("--inside", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    os.makedirs(a.outdir, exist_ok=True)

    # Registered ranges: /24s in 10.0.0.0/8 and /64s in 2001:db8::/32 (disjoint, distinct),
    # plus /20 supersets of some /24s.
    n_v6 = a.systems // 50
    n_super = a.systems // 50
    n_v4 = a.systems - n_v6 - n_super
    v4_nets = set()
    while len(v4_nets) < n_v4:
        v4_nets.add(rnd.randrange(0, 1 << 16))  # 10.x.y.0/24
    v4_nets = sorted(v4_nets)
    v6_nets = sorted({rnd.randrange(0, 1 << 32) for _ in range(n_v6 * 2)})[:n_v6]
    supers = sorted({n >> 4 for n in rnd.sample(v4_nets, n_super * 3)})[:n_super]

    systems = []  # (name, level, network)
    for i, n in enumerate(v4_nets):
        systems.append((f"s{i}", 1 + i % 5, ipaddress.ip_network(f"10.{n >> 8}.{n & 255}.0/24")))
    for i, n in enumerate(v6_nets):
        hi = (0x20010db8 << 96) | (n << 64)
        systems.append((f"v{i}", 1 + i % 5, ipaddress.ip_network((hi, 64))))
    for i, n in enumerate(supers):
        base = (10 << 24) | (n << 12)
        systems.append((f"u{i}", 1 + i % 5, ipaddress.ip_network((base, 20))))

    # Listed addresses: --inside of them in registered ranges, the rest in
    # addresses no range covers (IPv4 outside 10/8, IPv6 outside 2001:db8::/32).
    listed = set()
    order = []
    n_in = int(a.n * a.inside)
    regs = [s[2] for s in systems]
    while len(order) < a.n:
        if len(order) < n_in:
            net = regs[rnd.randrange(len(regs))]
            ip = net[rnd.randrange(net.num_addresses)]
        elif rnd.random() < 0.03:
            ip = ipaddress.IPv6Address((0x2a00 << 112) | rnd.getrandbits(112))
        else:
            ip = ipaddress.IPv4Address(rnd.randrange(0x0b000000, 0xdf000000))
        if ip in listed:
            continue
        listed.add(ip)
        order.append(ip)
    rnd.shuffle(order)

    with open(os.path.join(a.outdir, "botnet.csv"), "w") as f:
        f.write("ip,first_seen,malware,port,asn,isp\n")
        for ip in order:
            asn, isp = ISPS[rnd.randrange(len(ISPS))]
            day = 1 + rnd.randrange(28)
            f.write(f"{ip},2024-01-{day:02d} 10:00:00,{MALWARE[rnd.randrange(len(MALWARE))]},"
                    f"{rnd.choice((23, 80, 443, 2323, 7547, 8080))},{asn},{isp}\n")

    with open(os.path.join(a.outdir, "systems.txt"), "w") as f:
        for name, level, net in systems:
            f.write(f"{name} {level} {net.compressed}\n")

    # Expected findings, independently: exact dictionary lookups per prefix length.
    by_len = {}
    for name, _, net in systems:
        by_len.setdefault((net.version, net.prefixlen), {}).setdefault(
            int(net.network_address), []).append(name)
    pairs = []
    for ip in order:
        bits = 32 if ip.version == 4 else 128
        for (ver, plen), table in by_len.items():
            if ver != ip.version:
                continue
            key = int(ip) >> (bits - plen) << (bits - plen)
            for name in table.get(key, ()):
                pairs.append(f"{name} {ip.compressed}")
    pairs.sort()
    with open(os.path.join(a.outdir, "expected.txt"), "w") as f:
        f.write("\n".join(pairs) + "\n")
    print(f"{len(order)} listed, {len(systems)} systems, {len(pairs)} expected findings")


if __name__ == "__main__":
    main()
