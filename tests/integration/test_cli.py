#!/usr/bin/env python3
"""End-to-end test of the `vigil` command line against a real vigild on loopback.

Starts $VIGILD with a temporary data directory on a free port, reads the admin
token it writes, and runs $VIGIL commands as a user would: units, systems, two
feed imports that hit one system, findings, versions and diff, --json output,
errors and exit codes, and the language of tables (Vietnamese by default).
"""
import hashlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_harness import Checks, free_port  # noqa: E402

VIGILD = os.environ["VIGILD"]
VIGIL = os.environ["VIGIL"]

C = Checks()


def check(cond, what, info=""):
    return C.check(what, cond, info)


class Run:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return "rc=%s out=%r err=%r" % (self.rc, self.out[-800:], self.err[-800:])


def main():
    tmp = tempfile.mkdtemp(prefix="vigil-cli-")
    data = os.path.join(tmp, "data")
    port = free_port()
    log = open(os.path.join(tmp, "vigild.log"), "wb")
    srv = subprocess.Popen([VIGILD, "--data-dir", data, "--listen", "127.0.0.1:%d" % port],
                           stdout=log, stderr=log)
    cert = os.path.join(data, "tls", "vigild.crt")
    token_file = os.path.join(data, "admin.token")
    try:
        deadline = time.time() + 30
        ready = False
        while time.time() < deadline and srv.poll() is None:
            if os.path.exists(cert) and os.path.exists(token_file):
                try:
                    ctx = ssl.create_default_context(cafile=cert)
                    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                        with ctx.wrap_socket(s, server_hostname="127.0.0.1"):
                            ready = True
                            break
                except (OSError, ssl.SSLError):
                    pass
            time.sleep(0.1)
        if not ready:
            print("vigild did not start", file=sys.stderr)
            log.flush()
            print(open(os.path.join(tmp, "vigild.log")).read(), file=sys.stderr)
            return 1

        base_env = {k: v for k, v in os.environ.items()
                    if not k.startswith("VIGIL_") and k not in
                    ("LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES")}
        base_env["VIGIL_SERVER"] = "https://127.0.0.1:%d" % port
        base_env["VIGIL_CACERT"] = cert
        base_env["VIGIL_TOKEN_FILE"] = token_file

        def vigil(*args, env=None, drop=()):
            e = dict(base_env)
            e.update(env or {})
            for k in drop:
                e.pop(k, None)
            p = subprocess.run([VIGIL] + list(args), env=e, capture_output=True, text=True,
                               timeout=120)
            return Run(p)

        # Units and systems.
        r = vigil("--json", "unit", "add", "Sở Thông tin và Truyền thông", "--code", "STTTT")
        check(r.rc == 0, "unit add", r)
        unit = r.json()
        check(unit["name"] == "Sở Thông tin và Truyền thông" and unit["code"] == "STTTT",
              "unit add returns the unit", r)
        uid = str(unit["id"])

        r = vigil("system", "add", "Cổng thông tin điện tử", "--unit", uid, "--level", "3",
                  "--addr", "203.0.113.0/24", "--addr", "2001:db8::/48", "--owner", "Sở TT&TT",
                  "--json")
        check(r.rc == 0, "system add (hit)", r)
        sys_hit = r.json()
        check(sys_hit["level"] == 3 and "203.0.113.0/24" in sys_hit["addresses"],
              "system add returns the system", r)
        r = vigil("--json", "system", "add", "Thư điện tử", "--unit", uid, "--level", "2",
                  "--addr", "198.51.100.0/24")
        check(r.rc == 0, "system add (miss)", r)
        sys_miss = r.json()

        r = vigil("system", "add", "X", "--unit", uid, "--level", "7", "--addr", "10.0.0.0/8")
        check(r.rc == 2 and "--level" in r.err, "bad level: exit 2 naming --level", r)
        r = vigil("system", "add", "X", "--unit", uid, "--level", "2", "--addr", "10.0.0.0/33")
        check(r.rc == 2 and "--addr" in r.err, "bad CIDR: exit 2 naming --addr", r)
        r = vigil("system", "add", "X", "--level", "2", "--addr", "10.0.0.0/8")
        check(r.rc == 2 and "--unit" in r.err, "missing --unit: exit 2 naming it", r)

        r = vigil("--json", "system", "list", "--unit", uid)
        check(r.rc == 0 and len(r.json()["items"]) == 2, "system list --unit", r)

        # First list: one address inside the first system, one outside.
        l1 = os.path.join(tmp, "ais-2024-01.txt")
        with open(l1, "w") as f:
            f.write("# danh sách IP botnet tháng 1\n203.0.113.5\n192.0.2.77\n")
        r = vigil("--json", "feed", "import", l1, "--feed", "ais-botnet", "--date", "2024-01-15")
        check(r.rc == 0, "feed import 1", r)
        if r.rc == 0:
            res = r.json()
            check(res["n_indicators"] == 2, "import 1 counts indicators", r)
            check(res["findings"]["new"] == 1, "import 1 makes one new finding", r)

        r = vigil("--json", "finding", "list")
        check(r.rc == 0, "finding list", r)
        items = r.json()["items"] if r.rc == 0 else []
        check(len(items) == 1 and items[0]["ip"] == "203.0.113.5"
              and items[0]["system_id"] == sys_hit["id"], "the finding is the listed IP", r)
        fid = str(items[0]["id"]) if items else "1"

        r = vigil("--json", "finding", "list", "--system", str(sys_miss["id"]))
        check(r.rc == 0 and r.json()["items"] == [], "no finding on the other system", r)

        r = vigil("finding", "update", fid, "--status", "in_progress", "--comment", "đang kiểm tra")
        check(r.rc == 0, "finding update", r)
        r = vigil("--json", "finding", "show", fid)
        check(r.rc == 0, "finding show --json", r)
        if r.rc == 0:
            f = r.json()
            check(f["status"] == "in_progress", "status changed", r)
            check(any(h.get("to") == "in_progress" and h.get("comment") == "đang kiểm tra"
                      for h in f.get("history", [])), "history has the change", r)
        r = vigil("finding", "show", fid)
        check(r.rc == 0 and "Lịch sử" in r.out and "đang xử lý" in r.out,
              "finding show in Vietnamese with history", r)
        r = vigil("finding", "update", fid, "--status", "done")
        check(r.rc == 2 and "--status" in r.err, "bad status: exit 2 naming --status", r)

        # Second list: the same IP again plus a new one in the system.
        l2 = os.path.join(tmp, "ais-2024-02.txt")
        with open(l2, "w") as f:
            f.write("203.0.113.5\n203.0.113.9\n")
        r = vigil("--json", "feed", "import", l2, "--feed", "ais-botnet", "--date", "2024-02-15")
        check(r.rc == 0, "feed import 2", r)
        if r.rc == 0:
            fnd = r.json()["findings"]
            check(fnd["new"] == 1 and fnd["persisting"] == 1, "import 2: one new, one persisting", r)

        r = vigil("--json", "feed", "versions", "ais-botnet")
        check(r.rc == 0 and [v["list_date"] for v in r.json()["items"]] in
              (["2024-02-15", "2024-01-15"], ["2024-01-15", "2024-02-15"]), "feed versions", r)
        r = vigil("--json", "feed", "diff", "ais-botnet", "--from", "2024-01-15", "--to", "2024-02-15")
        check(r.rc == 0, "feed diff", r)
        if r.rc == 0:
            d = r.json()
            check(d["counts"] == {"new": 1, "persisting": 1, "removed": 1}, "diff counts", r)
            check(d["new"] == ["203.0.113.9"] and d["removed"] == ["192.0.2.77"], "diff values", r)
        r = vigil("feed", "diff", "ais-botnet")
        check(r.rc == 0 and "+ 203.0.113.9" in r.out and "- 192.0.2.77" in r.out,
              "feed diff for people", r)

        # A rejected import: bad lines named file:line on stderr, exit 2, nothing stored.
        bad = os.path.join(tmp, "bad.txt")
        with open(bad, "w") as f:
            f.write("203.0.113.7\n300.1.1.1\n")
        r = vigil("feed", "import", bad, "--feed", "ais-botnet", "--date", "2024-03-15",
                  "--max-errors", "0")
        check(r.rc == 2 and (bad + ":2:") in r.err and "300.1.1.1" in r.err,
              "rejected import: exit 2, bad.txt:2: on stderr", r)
        r = vigil("--json", "feed", "versions", "ais-botnet")
        check(r.rc == 0 and len(r.json()["items"]) == 2, "rejected import stored nothing", r)
        r = vigil("feed", "import", bad, "--feed", "ais-botnet", "--date", "2024-13-01")
        check(r.rc == 2 and "--date" in r.err, "bad date: exit 2 naming --date", r)

        # Language: Vietnamese by default, English with --lang en or VIGIL_LANG.
        r = vigil("unit", "list")
        check(r.rc == 0 and "Tên" in r.out and "Sở Thông tin" in r.out, "Vietnamese headers", r)
        r = vigil("--lang", "en", "unit", "list")
        check(r.rc == 0 and "Name" in r.out and "Tên" not in r.out, "English headers", r)
        r = vigil("system", "list", env={"VIGIL_LANG": "en"})
        check(r.rc == 0 and "Level" in r.out, "VIGIL_LANG=en", r)
        r = vigil("finding", "list", "--lang", "en")
        check(r.rc == 0 and "Priority" in r.out and "203.0.113.9" in r.out, "--lang after verb", r)

        # Tokens and audit.
        r = vigil("--json", "token", "create", "ci", "--role", "viewer")
        check(r.rc == 0 and len(r.json().get("token", "")) > 10, "token create", r)
        if r.rc == 0:
            tok = r.json()
            r2 = vigil("--json", "unit", "list", env={"VIGIL_TOKEN": tok["token"]},
                       drop=("VIGIL_TOKEN_FILE",))
            check(r2.rc == 0, "VIGIL_TOKEN works", r2)
            r2 = vigil("unit", "add", "Y", env={"VIGIL_TOKEN": tok["token"]},
                       drop=("VIGIL_TOKEN_FILE",))
            check(r2.rc == 3, "viewer cannot add: exit 3", r2)
            r2 = vigil("token", "revoke", str(tok["id"]))
            check(r2.rc == 0, "token revoke", r2)
            r2 = vigil("unit", "list", env={"VIGIL_TOKEN": tok["token"]},
                       drop=("VIGIL_TOKEN_FILE",))
            check(r2.rc == 3, "revoked token: exit 3", r2)
        r = vigil("--json", "token", "list")
        check(r.rc == 0 and len(r.json()["items"]) >= 2, "token list", r)
        r = vigil("--json", "audit", "--limit", "50")
        check(r.rc == 0 and len(r.json()["items"]) > 0, "audit", r)

        # Errors: auth, TLS, not found, conflict.
        r = vigil("unit", "list", drop=("VIGIL_TOKEN_FILE",))
        check(r.rc == 3 and "token" in r.err.lower(), "missing token: exit 3", r)
        r = vigil("unit", "list", env={"VIGIL_TOKEN": "not-a-token"}, drop=("VIGIL_TOKEN_FILE",))
        check(r.rc == 3, "bad token: exit 3", r)
        r = vigil("unit", "list", drop=("VIGIL_CACERT",))
        check(r.rc == 3 and "--cacert" in r.err, "untrusted cert: exit 3 suggesting --cacert", r)
        with open(cert) as f:
            der = ssl.PEM_cert_to_DER_cert(f.read())
        fp = "SHA256:" + hashlib.sha256(der).hexdigest()
        r = vigil("--fingerprint", fp, "--json", "unit", "list", drop=("VIGIL_CACERT",))
        check(r.rc == 0, "pinned fingerprint", r)
        wrong = fp[:-1] + ("0" if fp[-1] != "0" else "1")
        r = vigil("--fingerprint", wrong, "unit", "list", drop=("VIGIL_CACERT",))
        check(r.rc == 3, "wrong fingerprint: exit 3", r)
        r = vigil("unit", "show", "9999")
        check(r.rc == 2, "unknown unit: exit 2", r)
        r = vigil("unit", "remove", uid)
        check(r.rc == 2, "unit with systems cannot be removed: exit 2", r)
        r = vigil("system", "remove", str(sys_miss["id"]))
        check(r.rc == 0, "system remove", r)
        r = vigil("unit", "frobnicate")
        check(r.rc == 2, "unknown verb: exit 2", r)
        r = vigil("--server", "http://127.0.0.1:%d" % port, "unit", "list")
        check(r.rc == 2 and "https://" in r.err, "non-https server: exit 2", r)
        r = vigil("--help")
        check(r.rc == 0 and "vigil" in r.out, "--help", r)
        r = vigil("--version")
        check(r.rc == 0 and r.out.startswith("vigil "), "--version", r)
    finally:
        srv.terminate()
        try:
            srv.wait(timeout=15)
        except subprocess.TimeoutExpired:
            srv.kill()
            srv.wait()
        log.close()
        if C.failed:
            print(open(os.path.join(tmp, "vigild.log")).read()[-3000:], file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)
    return C.summary()


if __name__ == "__main__":
    sys.exit(main())
