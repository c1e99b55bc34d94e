#!/usr/bin/env python3
"""End-to-end feed import benchmark through the real vigild.

Starts vigild on loopback with a fresh data directory, registers the
10,000 ranges of systems.txt through the API, then times
`vigil feed import botnet.csv` (HTTPS upload, parse, store, match, commit)
and reads vigild's peak RSS (VmHWM). Finally it pages through the findings
and compares the (system, ip) pairs with expected.txt, which gen.py computed
on its own with Python's ipaddress module.

  bench/import/e2e.py BUILD_DIR DATA_DIR
"""
import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "integration"))
from server_harness import Vigild  # noqa: E402


def vm_hwm_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def main():
    build, data = sys.argv[1], sys.argv[2]
    os.environ.setdefault("VIGILD", os.path.join(build, "src/server/vigild"))
    vigil = os.path.join(build, "src/cli/vigil")
    import server_harness
    server_harness.VIGILD = os.environ["VIGILD"]
    srv = Vigild().start()
    try:
        tok = srv.admin_token
        conn = http.client.HTTPSConnection("127.0.0.1", srv.port, context=srv.ctx, timeout=60)
        hdr = {"Authorization": "Bearer " + tok, "Content-Type": "application/json"}

        def call(method, path, body=None):
            conn.request(method, path, body=json.dumps(body) if body is not None else None,
                         headers=hdr)
            r = conn.getresponse()
            d = r.read()
            if r.status >= 300:
                raise RuntimeError("%s %s: %d %s" % (method, path, r.status, d[:300]))
            return json.loads(d) if d else None

        unit = call("POST", "/api/v1/units", {"name": "bench"})["id"]
        t0 = time.monotonic()
        n = 0
        with open(os.path.join(data, "systems.txt")) as f:
            for line in f:
                name, level, cidr = line.split()
                call("POST", "/api/v1/systems", {"name": name, "unit_id": unit,
                                                 "level": int(level), "addresses": [cidr]})
                n += 1
        print("registered %d systems through the API in %.1f s" % (n, time.monotonic() - t0))
        rss_before = vm_hwm_kb(srv.proc.pid)

        env = dict(os.environ, VIGIL_SERVER="https://127.0.0.1:%d" % srv.port,
                   VIGIL_TOKEN=tok, VIGIL_CACERT=os.path.join(srv.data_dir, "tls", "vigild.crt"))
        t0 = time.monotonic()
        out = subprocess.run([vigil, "--json", "feed", "import",
                              os.path.join(data, "botnet.csv"), "--feed", "bench-botnet",
                              "--date", "2026-11-01"], env=env, capture_output=True, text=True)
        wall = time.monotonic() - t0
        if out.returncode != 0:
            print(out.stderr)
            sys.exit(1)
        res = json.loads(out.stdout)
        hwm = vm_hwm_kb(srv.proc.pid)
        print("vigil feed import: %.2f s wall, %d indicators, %d new findings" %
              (wall, res["n_indicators"], res["findings"]["new"]))
        print("vigild peak RSS: %.0f MB (%.0f MB before the import)" %
              (hwm / 1024, rss_before / 1024))

        got = set()
        off = 0
        while True:
            page = call("GET", "/api/v1/findings?limit=10000&offset=%d" % off)
            for it in page["items"]:
                got.add((it["system_name"], it["ip"]))
            off += len(page["items"])
            if off >= page["total"] or not page["items"]:
                break
        want = set()
        with open(os.path.join(data, "expected.txt")) as f:
            for line in f:
                name, ip = line.split()
                want.add((name, ip))
        same = got == want
        print("findings: %d stored, %d expected, %s" %
              (len(got), len(want), "identical" if same else "DIFFERENT"))
        sys.exit(0 if same and wall < 3.0 and hwm < 200 * 1024 else 1)
    finally:
        srv.cleanup()


main()
