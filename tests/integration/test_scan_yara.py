#!/usr/bin/env python3
"""`vigil scan` against Debian's yara CLI on a generated tree: the set of
(file, rule) matches must be equal. Also: EICAR, the test rules and a hash
list are detected, exit codes, and quarantine then restore through the CLI."""
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_harness import Checks  # noqa: E402

VIGIL = os.environ.get("VIGIL", "vigil")
SRC = os.environ.get("VIGIL_SRC", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DATA = os.path.join(SRC, "tests", "data", "scan")
RULES = os.path.join(DATA, "rules", "test_rules.yar")
TIMEOUT = 300
C = Checks()
check = C.check


def run(args, env=None):
    e = dict(os.environ, VIGIL_LANG="en")
    if env:
        e.update(env)
    return subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT, env=e)


def eicar():
    # The public EICAR test string, assembled here (never committed whole).
    return "X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def make_tree(root, rng):
    pieces = [b"VIGIL-TEST-MALWARE-MARKER", b"evil_function_one", b"EVIL_FUNCTION_ONE",
              b"connect_back(10.0.0.1)", b"connect_back(999.1)", b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE",
              b"VIGIL-TEST-MALWARE", b"harmless words "]
    n = 0
    for d in range(12):
        sub = os.path.join(root, f"d{d}", f"e{d % 3}")
        os.makedirs(sub, exist_ok=True)
        for i in range(40):
            body = bytearray(rng.randbytes(rng.randrange(0, 6000)))
            for _ in range(rng.randrange(0, 3)):
                p = rng.choice(pieces)
                at = rng.randrange(0, len(body) + 1)
                body[at:at] = p
            if rng.random() < 0.05:
                body = bytearray(b"\x7fELF\x02\x01\x01" + bytes(9) + b"VIGIL" + body)
            with open(os.path.join(sub, f"f{i}.bin"), "wb") as f:
                f.write(body)
            n += 1
    with open(os.path.join(root, "eicar.com"), "w") as f:
        f.write(eicar())
    with open(os.path.join(root, "ioc.bin"), "w") as f:
        f.write("vigil hash ioc sample\n")
    with open(os.path.join(root, "empty"), "w"):
        pass
    return n + 3


def vigil_matches(out):
    got = set()
    for line in out.splitlines():
        o = json.loads(line)
        if o["type"] == "detection":
            for r in o["rules"]:
                got.add((os.path.normpath(o["path"]), r))
    return got


def main():
    if not shutil.which("yara"):
        print("yara CLI missing (apt-get install yara)")
        return 1
    tmp = tempfile.mkdtemp(prefix="vigil-scan-it-")
    try:
        tree = os.path.join(tmp, "tree")
        make_tree(tree, random.Random(20240501))

        v = run([VIGIL, "scan", tree, "--rules", RULES, "--json", "--threads", "2"])
        check("vigil exit 1 on detection", v.returncode == 1, v.stderr)
        y = run(["yara", "-r", RULES, tree])
        check("yara ran", y.returncode == 0, y.stderr)
        want = set()
        for line in y.stdout.splitlines():
            rule, path = line.split(" ", 1)
            want.add((os.path.normpath(path), rule))
        got = vigil_matches(v.stdout)
        check("same (file, rule) set as yara -r", got == want,
              f"only vigil: {sorted(got - want)[:5]} only yara: {sorted(want - got)[:5]}")
        check("matches are many", len(want) > 20, str(len(want)))
        check("EICAR found", (os.path.join(tree, "eicar.com"), "Vigil_Test_EICAR") in got)
        summary = json.loads(v.stdout.splitlines()[-1])
        check("summary last", summary["type"] == "summary" and summary["files"] == 483, str(summary))

        # hash IOCs: plain list and MalwareBazaar CSV
        h = run([VIGIL, "scan", tree, "--hashes", os.path.join(DATA, "hashes.txt"), "--json"])
        hits = [json.loads(l) for l in h.stdout.splitlines() if '"detection"' in l]
        check("hash list detects exactly the IOC file",
              [os.path.basename(o["path"]) for o in hits] == ["ioc.bin"], h.stdout)
        check("hash hit has sha256", hits and hits[0].get("sha256") ==
              hashlib.sha256(b"vigil hash ioc sample\n").hexdigest())
        h = run([VIGIL, "scan", tree, "--hashes", os.path.join(DATA, "hashes_bazaar.csv"), "--json"])
        check("bazaar family named", '"hash_match":"VigilTestFamily"' in h.stdout, h.stdout)

        # exit codes: clean 0, usage 2, bad rules 2
        clean = os.path.join(tmp, "clean")
        os.makedirs(clean)
        with open(os.path.join(clean, "a.txt"), "w") as f:
            f.write("nothing here\n")
        check("clean exit 0", run([VIGIL, "scan", clean, "--rules", RULES]).returncode == 0)
        check("no rules exit 2", run([VIGIL, "scan", clean]).returncode == 2)
        check("missing path exit 2", run([VIGIL, "scan", os.path.join(tmp, "nope"), "--rules", RULES]).returncode == 2)
        bad = os.path.join(tmp, "bad.yar")
        with open(bad, "w") as f:
            f.write("rule x { condition: $a }\n")
        r = run([VIGIL, "scan", clean, "--rules", bad])
        check("bad rules exit 2 naming the line", r.returncode == 2 and "bad.yar:1" in r.stderr, r.stderr)

        # cache: the second run reads nothing it found clean
        cache = os.path.join(tmp, "cache")
        run([VIGIL, "scan", tree, "--rules", RULES, "--cache", cache, "--json"])
        r = run([VIGIL, "scan", tree, "--rules", RULES, "--cache", cache, "--json"])
        s2 = json.loads(r.stdout.splitlines()[-1])
        check("cache skips clean files", s2["cached"] > 0 and s2["files"] == s2["detected"], str(s2))
        check("cache keeps detections", vigil_matches(r.stdout) == got)

        # quarantine then restore through the CLI
        store = os.path.join(tmp, "store")
        target = os.path.join(tree, "eicar.com")
        os.chmod(target, 0o640)
        os.utime(target, ns=(1500000000000000000, 1600000000123456789))
        st0 = os.stat(target)
        env = {"VIGIL_QUARANTINE_DIR": store}
        r = run([VIGIL, "scan", target, "--rules", RULES, "--quarantine", "--json"], env)
        q = [json.loads(l) for l in r.stdout.splitlines() if '"quarantined"' in l]
        check("quarantined", len(q) == 1 and not os.path.exists(target), r.stdout + r.stderr)
        check("store is 0700", os.stat(store).st_mode & 0o777 == 0o700)
        if q:
            lst = run([VIGIL, "quarantine", "list", "--json"], env)
            check("listed", q[0]["id"] in lst.stdout, lst.stdout)
            r = run([VIGIL, "quarantine", "restore", q[0]["id"]], env)
            check("restored", r.returncode == 0, r.stderr)
            st1 = os.stat(target)
            check("restore exact", (st1.st_mode, st1.st_uid, st1.st_mtime_ns, st1.st_size) ==
                  (st0.st_mode, st0.st_uid, st0.st_mtime_ns, st0.st_size))
            with open(target) as f:
                check("restore bytes", f.read() == eicar())

        # The sample rules `make run` hands to vigild compile and find what
        # they describe, as yara does.
        sdir = os.path.join(tmp, "sample")
        os.makedirs(sdir)
        with open(os.path.join(sdir, "shell.php"), "w") as f:
            f.write("<?php @eval($_POST['c']); ?>\n")
        with open(os.path.join(sdir, "page.php"), "w") as f:
            f.write("<?php echo 'eval is mentioned here'; ?>\n")
        srules = os.path.join(SRC, "sample", "rules", "vigil-sample.yar")
        v = run([VIGIL, "scan", sdir, "--rules", srules, "--json"])
        y = run(["yara", "-r", srules, sdir])
        got = vigil_matches(v.stdout)
        check("sample rules: the web shell only",
              got == {(os.path.join(sdir, "shell.php"), "Vigil_Sample_PHP_Eval_Request")},
              v.stdout + v.stderr)
        check("sample rules: as yara", y.stdout.split() ==
              ["Vigil_Sample_PHP_Eval_Request", os.path.join(sdir, "shell.php")], y.stdout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return C.summary()


if __name__ == "__main__":
    sys.exit(main())
