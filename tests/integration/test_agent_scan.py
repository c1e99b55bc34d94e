#!/usr/bin/env python3
"""Malware scanning through a real vigil-agent and vigild (issue 5).

vigild gets a YARA bundle and a hash bundle; an enrolled agent runs scan
tasks on a generated tree and reports through its event stream: findings
of kind malware appear (EICAR, a rule hit and a hash hit; clean files do
not), the scan is recorded with counts computed here with os.walk, the
task is closed by the scan's last event, coverage shows the full scan.
The analyst workflow runs for real: verified -> remove (the agent
quarantines the file: it is gone from the tree) -> restore (the agent
puts it back, bytes and mode equal). A quick scan skips the unchanged
clean files. A botnet finding on the agent's address queues a priority
scan by itself. The bundles travel once: a later task does not carry
them again, and a restarted agent reports the versions it holds.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_harness import Agent, Vigild, enroll_agent, free_port, run  # noqa: E402

VIGIL = os.environ.get("VIGIL", "vigil")
AGENT = os.environ.get("VIGIL_AGENT", "vigil-agent")

RULES = """
rule Vigil_Test_Backdoor {
    strings: $a = "connect_back(" ascii
    condition: $a
}
rule Vigil_Test_EICAR {
    strings: $e = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE" ascii
    condition: $e
}
"""


def eicar():
    # The public EICAR test string, assembled here (never committed whole).
    return "X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


HASHED = b"a sample listed by its SHA-256 only\n"


def make_tree(root):
    """The tree, and what must be found in it: {path: detection kind}."""
    os.makedirs(os.path.join(root, "www", "uploads"))
    os.makedirs(os.path.join(root, "home", "user"))
    bad = {}
    p = os.path.join(root, "www", "uploads", "eicar.com")
    with open(p, "w") as f:
        f.write(eicar())
    bad[p] = "Vigil_Test_EICAR"
    p = os.path.join(root, "home", "user", "run.sh")
    with open(p, "w") as f:
        f.write("#!/bin/sh\nconnect_back(203.0.113.9)\n")
    os.chmod(p, 0o750)
    bad[p] = "Vigil_Test_Backdoor"
    p = os.path.join(root, "home", "user", "sample.bin")
    with open(p, "wb") as f:
        f.write(HASHED)
    bad[p] = "hash"
    for i in range(40):
        with open(os.path.join(root, "www", "page%02d.html" % i), "w") as f:
            f.write("<html>page %d connect_bac k</html>\n" % i)
    return bad


def wait_for(fn, timeout=60, step=0.3):
    deadline = time.monotonic() + timeout
    v = None
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return v


def main(c):
    tmp = tempfile.mkdtemp(prefix="vigil-agent-scan-")
    conf = os.path.join(tmp, "vigild.yaml")
    with open(conf, "w") as f:
        f.write("ingest:\n  port: %d\n" % free_port())
    srv = Vigild(data_dir=os.path.join(tmp, "srv"), extra_args=["-c", conf]).start()
    agent = None
    tok = srv.admin_token

    def api(method, path, body=None):
        return srv.json(method, path, body, token=tok)

    try:
        adir = os.path.join(tmp, "agent")
        env, agent_id, p = enroll_agent(srv, adir)
        c.check("enrolled", p.returncode == 0, p.stdout + p.stderr)

        def cli(*args):
            p = subprocess.run([VIGIL] + list(args), env=env, capture_output=True, text=True,
                               timeout=120)
            return p.returncode, p.stdout, p.stderr

        # Bundles: YARA rules through the CLI, a hash list through the API.
        rdir = os.path.join(tmp, "rules")
        os.makedirs(os.path.join(rdir, "sub"))
        with open(os.path.join(rdir, "sub", "test.yar"), "w") as f:
            f.write(RULES)
        rc, out, err = cli("rules", "import", "--kind", "rules", rdir, "--json")
        c.check("rules bundle imported", rc == 0, out + err)
        st, _, doc = api("POST", "/api/v1/scan-bundles",
                         {"kind": "hashes", "name": "hashes.txt",
                          "text": hashlib.sha256(HASHED).hexdigest() + "\n"})
        c.check("hash bundle imported", st == 201, "%s %s" % (st, doc))

        tree = os.path.join(tmp, "tree")
        bad = make_tree(tree)
        n_files = sum(len(fs) for _, _, fs in os.walk(tree))
        aconf = os.path.join(tmp, "agent.yaml")
        with open(aconf, "w") as f:
            f.write("data_dir: %s\nserver:\n  reconnect_max_seconds: 2\nheartbeat_seconds: 2\n"
                    "inventory:\n  interval_seconds: 86400\n"
                    "scan:\n  roots: [%s]\n  full_every_seconds: 0\n  quick_every_seconds: 0\n"
                    "  progress_seconds: 1\n" % (adir, tree))
        p = subprocess.run([AGENT, "--check-config", "-c", aconf], capture_output=True,
                           text=True, timeout=30)
        c.check("agent --check-config", p.returncode == 0, p.stdout + p.stderr)
        agent = Agent(tmp, aconf)
        agent.start()

        def connected():
            st, _, doc = api("GET", "/api/v1/agents")
            return st == 200 and any(a["id"] == agent_id and a.get("last_seen")
                                     for a in doc["items"])
        c.check("agent connected", wait_for(connected, 30))

        def task_done(tid):
            def f():
                st, _, doc = api("GET", "/api/v1/agents/%d/tasks" % agent_id)
                for t in doc.get("items", []):
                    if t["id"] == tid and t["status"] in ("done", "failed"):
                        return t
                return None
            return f

        def queue_scan(args):
            st, _, doc = api("POST", "/api/v1/agents/%d/tasks" % agent_id,
                             {"verb": "scan", "args": args})
            c.check("scan task queued %s" % args.get("mode"), st in (200, 201, 202),
                    "%s %s" % (st, doc))
            return doc.get("id") or doc.get("task_id")

        # 1. A full scan.
        tid = queue_scan({"mode": "full"})
        t = wait_for(task_done(tid), 90)
        c.check("full scan task done", t is not None and t["status"] == "done", str(t))

        st, _, doc = api("GET", "/api/v1/malware?agent_id=%d" % agent_id)
        items = doc.get("items", []) if st == 200 else []
        got = {i["path"]: i for i in items}
        c.check("exactly the three bad files found", set(got) == set(bad),
                "got %s" % sorted(got))
        for path, det in bad.items():
            i = got.get(path, {})
            if det == "hash":
                c.check("hash hit %s" % os.path.basename(path), i.get("hash_match") is not None,
                        str(i))
            else:
                c.check("rule hit %s" % os.path.basename(path), det in (i.get("rules") or []),
                        str(i))
            c.check("status detected %s" % os.path.basename(path),
                    i.get("status") == "detected", str(i))
        eicar_path = os.path.join(tree, "www", "uploads", "eicar.com")
        c.check("sha256 reported",
                got.get(eicar_path, {}).get("sha256") ==
                hashlib.sha256(eicar().encode()).hexdigest())

        st, _, doc = api("GET", "/api/v1/scans?agent_id=%d" % agent_id)
        scans = doc.get("items", []) if st == 200 else []
        full = [s for s in scans if s.get("task_id") == tid]
        c.check("scan recorded", len(full) == 1, str(scans))
        if full:
            s = full[0]
            c.check("scan ok", s.get("status") == "ok", str(s))
            c.check("files counted = os.walk's %d" % n_files, s.get("files") == n_files, str(s))
            c.check("detected = 3", s.get("detected") == 3, str(s))
            c.check("versions recorded", s.get("rules_version") == 1 and
                    s.get("hashes_version") == 1, str(s))
            # The table's Found column is what was detected, not files walked.
            rc, out, err = cli("scans", "list", "--agent", str(agent_id))
            row = [ln.split() for ln in out.splitlines() if ln.split()[:1] == [str(s["id"])]]
            c.check("scans list: files and found columns",
                    rc == 0 and len(row) == 1 and row[0][-4:-1] == [str(n_files), "3", "0"],
                    out + err)
        st, _, doc = api("GET", "/api/v1/events?dataset=vigil.scan&limit=1000")
        acts = [e["event"]["event"].get("action") for e in doc.get("items", [])]
        c.check("progress events sent", "scan-started" in acts and "scan-finished" in acts,
                str(acts))
        st, _, doc = api("GET", "/api/v1/scan-coverage?days=7")
        cov = [i for i in doc.get("items", []) if i.get("agent_id") == agent_id]
        c.check("coverage: last full scan, not overdue",
                len(cov) == 1 and cov[0].get("last_full_scan") and not cov[0].get("overdue"),
                str(doc))

        # 2. Workflow: verify, remove (quarantine on the host), restore.
        fid = got.get(eicar_path, {}).get("id")
        st, _, doc = api("POST", "/api/v1/malware/%s/remove" % fid)
        c.check("remove refused before verification", st in (409, 422, 400), "%s %s" % (st, doc))
        st, _, doc = api("PATCH", "/api/v1/malware/%s" % fid,
                         {"status": "verified", "comment": "EICAR test file"})
        c.check("verified", st == 200, "%s %s" % (st, doc))
        st, _, doc = api("POST", "/api/v1/malware/%s/remove" % fid)
        c.check("remove queued", st in (200, 201, 202), "%s %s" % (st, doc))

        def status_is(want):
            def f():
                st, _, d = api("GET", "/api/v1/malware/%s" % fid)
                return d if st == 200 and d.get("status") == want else None
            return f
        d = wait_for(status_is("removed"), 60)
        c.check("finding removed by the agent", d is not None, str(d))
        c.check("file gone from the tree", not os.path.exists(eicar_path))
        c.check("quarantine id recorded", d is not None and d.get("quarantine_id"), str(d))
        st, _, doc = api("POST", "/api/v1/malware/%s/restore" % fid)
        c.check("restore queued", st in (200, 201, 202), "%s %s" % (st, doc))
        d = wait_for(status_is("restored"), 60)
        c.check("finding restored by the agent", d is not None, str(d))
        ok = os.path.exists(eicar_path)
        c.check("file back with its bytes",
                ok and open(eicar_path).read() == eicar())
        def remediation_tasks_done():
            st, _, doc = api("GET", "/api/v1/agents/%d/tasks" % agent_id)
            mine = [t for t in doc.get("items", [])
                    if (t.get("args") or {}).get("finding_id") == fid]
            return mine if len(mine) == 2 and all(t["status"] == "done" for t in mine) else None
        c.check("remove and restore tasks closed", wait_for(remediation_tasks_done, 30))
        hist = [h.get("to") for h in (d or {}).get("history", [])]
        c.check("history detected>verified>removed>restored",
                hist[-3:] == ["verified", "removed", "restored"], str(hist))

        # 3. A quick scan skips the unchanged clean files.
        tid = queue_scan({"mode": "quick"})
        t = wait_for(task_done(tid), 90)
        if not c.check("quick scan done", t is not None and t["status"] == "done", str(t)):
            print(api("GET", "/api/v1/agents/%d/tasks" % agent_id)[2])
            print(agent.text()[-3000:])
        st, _, doc = api("GET", "/api/v1/scans?agent_id=%d" % agent_id)
        q = [s for s in doc.get("items", []) if s.get("task_id") == tid]
        c.check("quick scan cached the %d clean files" % (n_files - 3),
                len(q) == 1 and q[0].get("cached") == n_files - 3, str(q))

        # 4. Paths mode, and bad args refused by vigild.
        st, _, doc = api("POST", "/api/v1/agents/%d/tasks" % agent_id,
                         {"verb": "scan", "args": {"mode": "paths", "paths": ["relative/x"]}})
        c.check("relative path refused", st == 422 or st == 400, "%s %s" % (st, doc))
        st, _, doc = api("POST", "/api/v1/agents/%d/tasks" % agent_id,
                         {"verb": "scan", "args": {"mode": "everything"}})
        c.check("unknown mode refused", st == 422 or st == 400, "%s %s" % (st, doc))

        # 4b. Memory: a process holding the marker is found by its pid (reading
        # another process's memory needs root; otherwise the scan must still
        # finish cleanly, counting the processes it could not read).
        holder = subprocess.Popen([sys.executable, "-c",
                                   "import time\nm = ('connect_' + 'back(') * 64\n"
                                   "time.sleep(120)"])
        try:
            time.sleep(0.5)
            tid = queue_scan({"mode": "memory"})
            t = wait_for(task_done(tid), 120)
            c.check("memory scan done", t is not None and t["status"] == "done", str(t))
            st, _, doc = api("GET", "/api/v1/events?dataset=vigil.malware&limit=1000")
            pids = [e["event"].get("process", {}).get("pid") for e in doc.get("items", [])]
            if os.geteuid() == 0:
                c.check("memory scan found the holder process", holder.pid in pids, str(pids))
        finally:
            holder.kill()
            holder.wait(10)

        # 5. The bundles went once; a restarted agent reports what it holds.
        log = agent.text()
        c.check("bundles received once each",
                log.count("scan bundle received") == 2, log[-2000:])
        agent.stop()
        agent.start()
        c.check("agent reconnected", wait_for(connected, 30))
        tid = queue_scan({"mode": "paths", "paths": [os.path.join(tree, "home")]})
        t = wait_for(task_done(tid), 90)
        c.check("paths scan after restart done", t is not None and t["status"] == "done", str(t))
        c.check("no bundle resent after restart",
                agent.text().count("scan bundle received") == 2)

        # 6. A botnet finding on the agent's address queues a priority scan.
        rc, out, err = cli("--json", "unit", "add", "Sở Thông tin và Truyền thông")
        uid = str(json.loads(out)["id"]) if rc == 0 else "0"
        rc, out, err = cli("--json", "system", "add", "Máy chủ nội bộ", "--unit", uid,
                           "--level", "3", "--addr", "127.0.0.0/8")
        c.check("system add", rc == 0, err)
        lst = os.path.join(tmp, "botnet.txt")
        with open(lst, "w") as f:
            f.write("127.0.0.1\n")
        rc, out, err = cli("feed", "import", lst, "--feed", "ais-botnet", "--date",
                           "2026-11-20")
        c.check("botnet list imported", rc == 0, err)

        def priority_task():
            st, _, doc = api("GET", "/api/v1/agents/%d/tasks" % agent_id)
            for t in doc.get("items", []):
                a = t.get("args") or {}
                if a.get("priority") and a.get("reason") == "botnet":
                    return t
            return None
        pt = wait_for(priority_task, 30)
        c.check("priority scan queued by the botnet finding", pt is not None)
        if pt:
            t = wait_for(task_done(pt["id"]), 120)
            c.check("priority scan ran", t is not None and t["status"] == "done", str(t))

        # Nothing crashed.
        c.check("agent still running", agent.proc.poll() is None)
        c.check("no sanitizer report", "runtime error" not in agent.text() and
                "AddressSanitizer" not in agent.text())
    finally:
        if agent:
            agent.stop()
        srv.stop()


if __name__ == "__main__":
    run(main)
