#!/usr/bin/env python3
"""`vigil match` against grepcidr 2.0 on generated data: identical output.

Seeded random lists (IPv4 only, IPv6 only, both) and inputs full of the
cases where field rules matter: letters, digits, dots and colons next to
addresses, 1.2.3.4.5, addresses at line start and end, IPv6 with an IPv4
tail, '::' alone, CRLF, long lines around grepcidr's buffer sizes, NUL
bytes, a last line without a newline. Each run compares stdout and exit
status of `$VIGIL match --list L FILE...` with `grepcidr -f L FILE...`,
plain, -c, -v and -c -v, from files and from a pipe; and on inputs of
several MiB (more than one block of the engine) with -j 1, -j 2 and -j 4.
"""
import ipaddress
import os
import random
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_harness import Checks  # noqa: E402

VIGIL = os.environ.get("VIGIL", "vigil")
GREPCIDR = shutil.which("grepcidr") or "/usr/bin/grepcidr"
SEED = int(os.environ.get("MATCH_SEED", "20240115"))
C = Checks()
check = C.check


def v4(r):
    return ".".join(str(r.randrange(256)) for _ in range(4))


def v6(r):
    groups = [f"{r.randrange(65536):x}" for _ in range(8)]
    if r.random() < 0.5:
        return str(ipaddress.IPv6Address(":".join(groups)))  # compressed forms
    return ":".join(groups)


def make_list(r, fams, n):
    """List lines, and the pool of addresses inside it (to hit)."""
    lines, hits = ["# generated list", ""], []
    for _ in range(n):
        fam = r.choice(fams)
        if fam == 4:
            addr = v4(r)
            k = r.random()
            if k < 0.5:
                lines.append(addr)
                hits.append(addr)
            elif k < 0.9:
                plen = r.randrange(8, 32)
                net = ipaddress.IPv4Network(f"{addr}/{plen}", strict=False)
                lines.append(str(net))
                hits.append(str(net.network_address + r.randrange(net.num_addresses)))
            else:
                lo = ipaddress.IPv4Address(addr)
                hi = lo + r.randrange(1, 300)
                if int(hi) > int(lo):
                    lines.append(f"{lo}-{hi}")
                    hits.append(str(lo + r.randrange(int(hi) - int(lo) + 1)))
        else:
            addr = v6(r)
            if r.random() < 0.5:
                lines.append(addr)
                hits.append(addr)
            else:
                plen = r.randrange(16, 128)
                net = ipaddress.IPv6Network(f"{addr}/{plen}", strict=False)
                lines.append(str(net))
                a = net.network_address + r.randrange(min(net.num_addresses, 1 << 60))
                hits.append(str(a))
    # IPv4-mapped entries, matched only as IPv6 text
    if 6 in fams:
        m = v4(r)
        lines.append(f"::ffff:{m}")
        hits.append(f"::ffff:{m}")
    return "\n".join(lines) + "\n", hits


SEPS = [" ", " ", " ", "=", ",", ";", "[", "]", "(", ")", "\"", "'", "\t", "/", "-", "_", "@", "<", ">", "|", "%"]
GLUE = ["a", "x", "Z", "0", "9", ".", ":", "::", "f", "g", "1.", ".1", ":1", "1:"]


def token(r, hits):
    k = r.random()
    if k < 0.25 and hits:
        return r.choice(hits)
    if k < 0.45:
        return v4(r)
    if k < 0.6:
        return v6(r)
    if k < 0.65:
        return "::"
    if k < 0.7:
        return f"::ffff:{v4(r)}"
    if k < 0.75:
        return f"{v4(r)}.{r.randrange(300)}"  # 1.2.3.4.5
    if k < 0.8:
        return f"{r.randrange(1000)}.{r.randrange(1000)}.{r.randrange(1000)}.{r.randrange(1000)}"
    if k < 0.85:
        return f"{r.choice(hits) if hits else v4(r)}:{r.randrange(65536)}"
    if k < 0.9:
        return "0" + v4(r)
    words = ["SRC", "DST", "kernel:", "IN=eth0", "MAC=00:1b:21:3a:4f:5c:08:00", "10:11:12",
             "deadbeef", "fe80", "cafe:", "proto=TCP", "len=60", "Jan", "host-1.example.com"]
    return r.choice(words)


def make_line(r, hits):
    parts = []
    for _ in range(r.randrange(0, 8)):
        t = token(r, hits)
        if r.random() < 0.25:
            t = r.choice(GLUE) + t
        if r.random() < 0.25:
            t = t + r.choice(GLUE)
        parts.append(t)
        parts.append(r.choice(SEPS))
    line = "".join(parts)
    if parts and r.random() < 0.3:
        line = line.rstrip(" ")
    return line.encode()


def pad_to(r, hits, total, tail):
    """A line of exactly `total` bytes (without the newline) ending in tail."""
    body = b"x" * max(0, total - len(tail) - 1) + b" " + tail
    return body[-total:] if len(body) > total else body


def make_input(r, hits, n_lines):
    out = []
    for i in range(n_lines):
        k = r.random()
        if k < 0.02:
            # around grepcidr's buffer sizes: 512, 1024, 2048 (minus 1..8)
            size = r.choice([512, 1024, 2048]) - r.randrange(1, 9)
            tail = (r.choice(hits) if hits and r.random() < 0.7 else r.choice(["::1", "1::", v4(r)])).encode()
            out.append(pad_to(r, hits, size, tail) + b"\n")
        elif k < 0.023:
            line = make_line(r, hits)
            pos = r.randrange(len(line) + 1)
            out.append(line[:pos] + b"\0" + line[pos:] + b"\n")
        elif k < 0.05:
            out.append(make_line(r, hits) + b"\r\n")
        elif k < 0.06:
            out.append(b"\n")
        else:
            out.append(make_line(r, hits) + b"\n")
    data = b"".join(out)
    k = r.random()
    if k < 0.3:
        data = data.rstrip(b"\n")  # last line without newline
    elif k < 0.4:
        # unterminated last line that exactly fills grepcidr's buffer
        tail = (r.choice(hits) if hits else "1.2.3.4").encode()
        data += pad_to(r, hits, 511, tail)
    return data


def big_data(path):
    with open(path, "rb") as f:
        return f.read()


def run(cmd, stdin_data=None):
    p = subprocess.run(cmd, input=stdin_data, capture_output=True, timeout=60)
    return p.returncode, p.stdout


def compare(name, list_path, files, flags, stdin_data=None, vigil_flags=()):
    g = run([GREPCIDR] + flags + ["-f", list_path] + files, stdin_data)
    v = run([VIGIL, "match", "--list", list_path] + list(vigil_flags) + flags + files, stdin_data)
    ok = g == v
    detail = ""
    if not ok:
        gl, vl = g[1].split(b"\n"), v[1].split(b"\n")
        diff = next((i for i in range(max(len(gl), len(vl)))
                     if i >= len(gl) or i >= len(vl) or gl[i] != vl[i]), None)
        detail = (f"flags={flags} exit grepcidr={g[0]} vigil={v[0]} lines {len(gl)}/{len(vl)} "
                  f"first diff at {diff}: grepcidr={gl[diff] if diff is not None and diff < len(gl) else None!r} "
                  f"vigil={vl[diff] if diff is not None and diff < len(vl) else None!r}"[:600])
    check(name, ok, detail)


def main():
    if not os.path.exists(GREPCIDR):
        print("grepcidr not installed; 0 passed, 0 failed (skipped)")
        return 77
    r = random.Random(SEED)
    tmp = tempfile.mkdtemp(prefix="vigil-match-")
    try:
        for round_no, fams in enumerate([[4], [6], [4, 6], [4, 6], [4, 4, 6]]):
            ltext, hits = make_list(r, fams, r.choice([5, 50, 500]))
            lpath = os.path.join(tmp, f"list{round_no}")
            with open(lpath, "w") as f:
                f.write(ltext)
            files = []
            for k in range(3):
                path = os.path.join(tmp, f"in{round_no}_{k}")
                with open(path, "wb") as f:
                    f.write(make_input(r, hits, r.choice([300, 3000])))
                files.append(path)
            for flags in ([], ["-c"], ["-v"], ["-c", "-v"]):
                compare(f"round{round_no} one file {flags}", lpath, files[:1], flags)
                compare(f"round{round_no} three files {flags}", lpath, files, flags)
            with open(files[1], "rb") as f:
                data = f.read()
            compare(f"round{round_no} stdin", lpath, [], [], data)
            compare(f"round{round_no} stdin -v", lpath, [], ["-v"], data)
            # Several MiB: blocks on threads. NUL bytes are kept in one
            # round only (each one doubles grepcidr's buffer, and after 22
            # it stops reading), so the other rounds read to the end.
            parts = []
            for path in files:
                with open(path, "rb") as f:
                    parts.append(f.read())
            chunk = b"".join(parts)
            if round_no != 3:
                chunk = chunk.replace(b"\0", b" ")
            big = os.path.join(tmp, f"big{round_no}")
            with open(big, "wb") as f:
                for k in range(max(1, (5 << 20) // max(1, len(chunk)))):
                    f.write(chunk if chunk.endswith(b"\n") else chunk + b"\n")
            for j in ("1", "2", "4"):
                for flags in ([], ["-c"], ["-v"]):
                    compare(f"round{round_no} big -j {j} {flags}", lpath, [big], flags,
                            vigil_flags=["-j", j])
            compare(f"round{round_no} big stdin -j 2", lpath, [], [], big_data(big), ["-j", "2"])
        # hand-picked corner cases, one file each
        lpath = os.path.join(tmp, "list_fixed")
        with open(lpath, "w") as f:
            f.write("1.2.3.4\n10.0.0.0/8\n::1\n2001:db8::/32\n")
        corners = [
            b"1.2.3.4", b"1.2.3.4\n", b"x1.2.3.4\n1.2.3.4x\n1.2.3.4.5\n.1.2.3.4.\n",
            b"::\n::1\n:::1\n1::1::1\n", b"2001:db8::1.2.3.4\n::ffff:1.2.3.4\n",
            b"\0\n1.2.3.4\0tail\nnext\n", b"a\0b\nc\0d\n1.2.3.4\n", b"1.2.3.4\0",
            b"\r\n1.2.3.4\r\n", b"x" * 507 + b" ::1\n", b"x" * 506 + b" ::1\n",
            b"a\n" + b"x" * 503 + b" 1.2.3.4", b"y" * 100000 + b" 10.9.9.9\n",
            b"", b"\n\n\n",
        ]
        for i, data in enumerate(corners):
            path = os.path.join(tmp, f"corner{i}")
            with open(path, "wb") as f:
                f.write(data)
            for flags in ([], ["-v"], ["-c"]):
                compare(f"corner{i} {flags}", lpath, [path], flags)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return C.summary()


if __name__ == "__main__":
    sys.exit(main())
