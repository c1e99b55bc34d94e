"""vigild killed with SIGKILL in the middle of an import keeps the previous
version intact and starts again cleanly (issue: foundation, 'Must show').

We register a system, import a first small list, then upload a large second
version and SIGKILL vigild at several points of its processing. After each
restart the store must hold either exactly the old state or exactly the
complete new version, never a part, and SQLite's integrity check must pass.
"""
import os
import random
import sqlite3
import sys
import threading
import time

from server_harness import Checks, Vigild

res = Checks()
srv = Vigild().start()


def api(method, path, body=None):
    st, _, doc = srv.json(method, path, body, token=srv.admin_token)
    return st, doc


def check(cond, what):
    res.check(what, cond)


def sigkill():
    srv.proc.kill()
    srv.proc.wait(timeout=30)
    srv.log.close()
    srv.proc = None


try:
    st, unit = api("POST", "/api/v1/units", {"name": "Đơn vị thử"})
    check(st == 201, "unit created (%s)" % st)
    st, system = api("POST", "/api/v1/systems", {
        "name": "Hệ thống A", "unit_id": unit["id"], "level": 3,
        "addresses": ["10.1.0.0/16"]})
    check(st == 201, "system created (%s)" % st)

    v1 = "10.1.2.3\n10.1.2.4\n192.0.2.1\n"
    st, r1 = api("POST", "/api/v1/feeds/kbot/versions?date=2026-01-01", v1.encode())
    check(st == 201, "first version imported (%s)" % st)

    # A big second version: 400k addresses, 1,000 of them inside the system.
    rnd = random.Random(7)
    lines = ["10.1.%d.%d" % (i // 250, i % 250 + 1) for i in range(1000)]
    seen = set(lines)
    while len(lines) < 400000:
        ip = "%d.%d.%d.%d" % (rnd.randint(11, 222), rnd.randint(0, 255), rnd.randint(0, 255),
                              rnd.randint(1, 254))
        if ip not in seen:
            seen.add(ip)
            lines.append(ip)
    v2 = ("\n".join(lines) + "\n").encode()

    def state():
        st, vers = api("GET", "/api/v1/feeds/kbot/versions")
        st2, fl = api("GET", "/api/v1/findings?limit=10000")
        return [(v["list_date"], v["n_indicators"]) for v in vers["items"]], fl["total"]

    before = state()
    check(before == ([("2026-01-01", 3)], 2), "state before: %r" % (before,))

    delays = [0.05, 0.3, 0.8, 1.5, 3.0]
    committed = False
    for d in delays:
        if committed:
            break

        def upload():
            try:
                srv.request("POST", "/api/v1/feeds/kbot/versions?date=2026-02-01", v2,
                            token=srv.admin_token, timeout=120)
            except Exception:
                pass  # the server dies under us: expected

        t = threading.Thread(target=upload)
        t.start()
        time.sleep(d)
        sigkill()
        t.join(60)
        srv.start()
        vers, total = state()
        if len(vers) == 1:
            check((vers, total) == before, "after kill at %.2fs: old state %r" % (d, (vers, total)))
        else:
            # The import committed before the kill: it must be whole.
            check(vers == [("2026-02-01", 400000), ("2026-01-01", 3)] or
                      vers == [("2026-01-01", 3), ("2026-02-01", 400000)],
                      "after kill at %.2fs: complete new version %r" % (d, vers))
            check(total == 1000, "findings after committed import: %d" % total)
            committed = True
        db = sqlite3.connect(os.path.join(srv.data_dir, "vigil.db"))
        ok = db.execute("PRAGMA integrity_check").fetchone()[0]
        db.close()
        check(ok == "ok", "integrity_check after kill at %.2fs: %s" % (d, ok))

    if not committed:
        # Finally let it finish; then the state must be the complete new version.
        st, r2 = api("POST", "/api/v1/feeds/kbot/versions?date=2026-02-01", v2)
        check(st == 201, "second version imported after restarts (%s)" % st)
        vers, total = state()
        check(sorted(vers) == [("2026-01-01", 3), ("2026-02-01", 400000)],
                  "versions after import %r" % vers)
        # 10.1.2.3 and 10.1.2.4 persist; 998 more are new: 1000 findings in all.
        check(total == 1000, "findings after import: %d" % total)
finally:
    srv.cleanup()
sys.exit(res.summary())
