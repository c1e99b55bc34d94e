#!/usr/bin/env python3
"""Scan benchmark: `vigil scan` beside `yara -r -p 1` and `clamscan` on the same
generated tree with the same rules / hashes. Prints a Markdown table.

usage: bench.py VIGIL_BINARY [WORK_DIR] [--files N] [--runs N]
Rule sets: signature-base (../shared/data/yara/signature-base) and the test set
(tests/data/scan/rules). The hash list is the SHA-256 of 200 tree files plus
20,000 random digests; clamscan gets the same list as a .hsb database.
"""
import hashlib
import os
import random
import resource
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
SIGBASE = os.path.join(os.path.dirname(SRC), "shared", "data", "yara", "signature-base")
SMALL = os.path.join(SRC, "tests", "data", "scan", "rules", "test_rules.yar")
EXTERNALS = ["filename", "filepath", "extension", "filetype", "owner"]


def gen_tree(root, n_files, rng):
    if os.path.isdir(root):
        return
    # Mostly clean, like a real host: 1% of the files carry a planted marker.
    words = [b"invoice", b"the quick brown fox", b"config_value = 42", b"lorem ipsum",
             b"static int main(void)", b"SELECT * FROM t", b"<html><body>", b"#!/bin/sh"]
    for i in range(n_files):
        d = os.path.join(root, f"d{i % 40:02d}", f"s{i % 7}")
        os.makedirs(d, exist_ok=True)
        size = int(rng.lognormvariate(9.5, 1.4)) % (4 << 20)
        kind = rng.random()
        if kind < 0.3:   # text-like
            body = bytearray()
            while len(body) < size:
                body += rng.choice(words) + b" " + bytes(rng.choices(range(97, 123), k=40)) + b"\n"
        elif kind < 0.5:  # PE-like header then random
            body = bytearray(b"MZ" + bytes(58) + b"\x80\x00\x00\x00" + rng.randbytes(max(size, 256)))
        else:
            body = bytearray(rng.randbytes(size))
        body = body[:max(size, 1)]
        if rng.random() < 0.01:
            body[len(body) // 2:len(body) // 2] = b"VIGIL-TEST-MALWARE-MARKER"
        with open(os.path.join(d, f"f{i}.bin"), "wb") as f:
            f.write(body)


def hash_lists(root, work, rng):
    files = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(root) for f in fs)
    chosen = rng.sample(files, min(200, len(files)))
    plain, hsb = [], []
    for p in chosen:
        data = open(p, "rb").read()
        h = hashlib.sha256(data).hexdigest()
        plain.append(h)
        hsb.append(f"{h}:{len(data)}:Vigil.Bench.{len(hsb)}")
    for i in range(20000):
        h = rng.randbytes(32).hex()
        plain.append(h)
        hsb.append(f"{h}:{rng.randrange(100, 1 << 20)}:Vigil.Random.{i}")
    with open(os.path.join(work, "hashes.txt"), "w") as f:
        f.write("\n".join(plain) + "\n")
    with open(os.path.join(work, "bench.hsb"), "w") as f:
        f.write("\n".join(hsb) + "\n")
    return len(chosen)


def timed(args):
    """Wall seconds, CPU seconds (user+sys of the child), stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=dict(os.environ, VIGIL_LANG="en"))
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, p.stdout


def best(args, runs):
    res = [timed(args) for _ in range(runs)]
    return min(r[0] for r in res), min(r[1] for r in res), res[0][2]


def main():
    argv = sys.argv[1:]
    vigil = argv[0]
    work = argv[1] if len(argv) > 1 and not argv[1].startswith("--") else "/tmp/vigil-bench-scan"
    n_files = int(argv[argv.index("--files") + 1]) if "--files" in argv else 3000
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 3
    os.makedirs(work, exist_ok=True)
    rng = random.Random(7)
    tree = os.path.join(work, "tree")
    gen_tree(tree, n_files, rng)
    n_listed = hash_lists(tree, work, rng)
    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(tree) for f in fs)
    mb = total / 1e6
    sig_files = sorted(os.path.join(SIGBASE, f) for f in os.listdir(SIGBASE) if f.endswith((".yar", ".yara")))
    defs = sum((["-d", f"{x}="] for x in EXTERNALS), [])
    print(f"tree: {n_files} files, {mb:.1f} MB; hash list: {n_listed} tree files + 20,000 random SHA-256; best of {runs}\n")
    print("| rules | scanner | wall s | CPU s | files/s | MB/s (wall) | matches |")
    print("|---|---|---|---|---|---|---|")

    def row(rules, name, args, count):
        wall, cpu, out = best(args, runs)
        print(f"| {rules} | {name} | {wall:.2f} | {cpu:.2f} | {n_files / wall:,.0f} | {mb / wall:.1f} | {count(out)} |")
        return wall

    def vigil_count(out):
        return sum(1 for l in out.splitlines() if b'"detection"' in l)

    def yara_count(out):
        return len({l.split(b" ", 1)[1] for l in out.splitlines() if b" " in l})

    for label, rules in (("small", [SMALL]), ("signature-base", [SIGBASE])):
        rule_args = sum((["--rules", r] for r in rules), [])
        yfiles = [SMALL] if label == "small" else sig_files
        row(label, "vigil --threads 1", [vigil, "scan", tree, "--threads", "1", "--json", *rule_args], vigil_count)
        row(label, "yara -r -p 1", ["yara", "-r", "-p", "1", *defs, *yfiles, tree], yara_count)
        row(label, "vigil --threads 2", [vigil, "scan", tree, "--threads", "2", "--json", *rule_args], vigil_count)
        row(label, "yara -r -p 2", ["yara", "-r", "-p", "2", *defs, *yfiles, tree], yara_count)
        cache = os.path.join(work, f"cache-{label}")
        cache_args = [vigil, "scan", tree, "--threads", "1", "--json", "--cache", cache, *rule_args]
        firsts = []
        for _ in range(runs):  # each first run starts from an empty cache
            shutil.rmtree(cache, ignore_errors=True)
            firsts.append(timed(cache_args))
        w1, c1 = min(f[0] for f in firsts), min(f[1] for f in firsts)
        print(f"| {label} | vigil --threads 1 --cache (1st run) | {w1:.2f} | {c1:.2f} | {n_files / w1:,.0f} | {mb / w1:.1f} | {vigil_count(firsts[0][2])} |")
        second = row(label, "vigil --threads 1 --cache (2nd run)", cache_args, vigil_count)
        print(f"| {label} | cache speed-up (wall) | {w1 / second:.0f}x | | | | |")

    hashes = os.path.join(work, "hashes.txt")
    row("hashes", "vigil --threads 1 --hashes", [vigil, "scan", tree, "--threads", "1", "--json", "--hashes", hashes], vigil_count)
    if shutil.which("clamscan"):
        row("hashes", "clamscan -d bench.hsb", ["clamscan", "-r", "--infected", "--no-summary", "-d", os.path.join(work, "bench.hsb"), tree],
            lambda out: sum(1 for l in out.splitlines() if l.endswith(b"FOUND")))
    row("hashes", "vigil --threads 2 --hashes", [vigil, "scan", tree, "--threads", "2", "--json", "--hashes", hashes], vigil_count)


if __name__ == "__main__":
    main()
