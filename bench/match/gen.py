#!/usr/bin/env python3
"""Generate a firewall-style log and an IP list for `vigil match` vs grepcidr.

  gen.py LINES ENTRIES LOGFILE LISTFILE [SEED]

The list: ENTRIES lines, about 70% IPv4 hosts, 15% IPv4 CIDRs (/20../30),
10% IPv6 hosts, 5% IPv6 CIDRs (/32../64). The log: LINES lines of iptables
LOG (IPv4 and IPv6) and FortiGate-style key=value records; about 5% carry
an address inside the list, the rest random public-looking addresses.
"""
import ipaddress
import random
import sys


def main():
    n_lines, n_entries = int(sys.argv[1]), int(sys.argv[2])
    log_path, list_path = sys.argv[3], sys.argv[4]
    r = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 1)
    rand4 = lambda: f"{r.randrange(1, 224)}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(256)}"

    def rand6():
        return str(ipaddress.IPv6Address((0x2000 + r.randrange(0x1000)) << 112 | r.getrandbits(112)))

    entries, hits4, hits6 = [], [], []
    for _ in range(n_entries):
        k = r.random()
        if k < 0.70:
            a = rand4()
            entries.append(a)
            hits4.append(lambda a=a: a)
        elif k < 0.85:
            net = ipaddress.IPv4Network(f"{rand4()}/{r.randrange(20, 31)}", strict=False)
            entries.append(str(net))
            base, size = int(net.network_address), net.num_addresses
            hits4.append(lambda b=base, s=size: str(ipaddress.IPv4Address(b + r.randrange(s))))
        elif k < 0.95:
            a = rand6()
            entries.append(a)
            hits6.append(lambda a=a: a)
        else:
            net = ipaddress.IPv6Network(f"{rand6()}/{r.randrange(32, 65)}", strict=False)
            entries.append(str(net))
            base, size = int(net.network_address), net.num_addresses
            hits6.append(lambda b=base, s=size: str(ipaddress.IPv6Address(b + r.randrange(s))))
    with open(list_path, "w") as f:
        f.write("# generated botnet list\n")
        f.write("\n".join(entries))
        f.write("\n")

    months = ["Jan", "Feb", "Mar"]
    out = []
    with open(log_path, "w") as f:
        for i in range(n_lines):
            hit = r.random() < 0.05
            v6 = r.random() < 0.15
            if hit:
                src = r.choice(hits6)() if (v6 and hits6) else r.choice(hits4)()
                if ":" in src:
                    v6 = True
            else:
                src = rand6() if v6 else rand4()
            dst = (f"2001:db8:{r.randrange(65536):x}::{r.randrange(65536):x}" if v6
                   else f"10.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}")
            if r.random() < 0.5:
                src, dst = dst, src
            ts = f"{r.choice(months)} {r.randrange(1, 29):2d} {r.randrange(24):02d}:{r.randrange(60):02d}:{r.randrange(60):02d}"
            kind = r.random()
            if kind < 0.6:
                mac = ":".join(f"{r.randrange(256):02x}" for _ in range(14))
                if v6:
                    line = (f"{ts} fw01 kernel: [{r.randrange(10**6)}.{r.randrange(10**6):06d}] FW-DROP "
                            f"IN=eth0 OUT= MAC={mac} SRC={src} DST={dst} LEN={r.randrange(40, 1500)} "
                            f"TC=0 HOPLIMIT={r.randrange(30, 255)} FLOWLBL={r.randrange(1 << 20)} "
                            f"PROTO=TCP SPT={r.randrange(1024, 65536)} DPT={r.choice([22, 80, 443, 3389])} "
                            f"WINDOW={r.randrange(65536)} RES=0x00 SYN URGP=0")
                else:
                    line = (f"{ts} fw01 kernel: [{r.randrange(10**6)}.{r.randrange(10**6):06d}] FW-DROP "
                            f"IN=eth0 OUT= MAC={mac} SRC={src} DST={dst} LEN={r.randrange(40, 1500)} "
                            f"TOS=0x00 PREC=0x00 TTL={r.randrange(30, 255)} ID={r.randrange(65536)} DF "
                            f"PROTO=TCP SPT={r.randrange(1024, 65536)} DPT={r.choice([22, 80, 443, 3389])} "
                            f"WINDOW={r.randrange(65536)} RES=0x00 SYN URGP=0")
            else:
                line = (f"date=2024-01-{r.randrange(1, 29):02d} time={r.randrange(24):02d}:{r.randrange(60):02d}:"
                        f"{r.randrange(60):02d} devname=\"FG100E\" logid=\"0000000013\" type=\"traffic\" "
                        f"subtype=\"forward\" level=\"notice\" srcip={src} srcport={r.randrange(1024, 65536)} "
                        f"srcintf=\"port1\" dstip={dst} dstport={r.choice([53, 80, 443, 8080])} "
                        f"proto=6 action=\"{r.choice(['deny', 'accept', 'close'])}\" "
                        f"sentbyte={r.randrange(10**6)} rcvdbyte={r.randrange(10**6)}")
            out.append(line)
            if len(out) >= 10000:
                f.write("\n".join(out))
                f.write("\n")
                out.clear()
        if out:
            f.write("\n".join(out))
            f.write("\n")


if __name__ == "__main__":
    main()
