#!/usr/bin/env python3
"""vigil-agent loses nothing and doubles nothing (issue 4, "must show").

A real vigild and a real vigil-agent on loopback. The agent tails files
that receive lines at a steady rate while:
  1. vigild is SIGKILLed and restarted three times, then is down for
     VIGIL_OUTAGE_S seconds (default 60) and comes back;
  2. the agent itself is SIGKILLed and restarted three times, once with
     the log rotated by rename while it is down;
  3. the log is rotated by rename and by copytruncate while it runs.
Afterwards the store (GET /api/v1/events) holds exactly the lines written
to each file, each once. Then tasks go down the same connection: an
"inventory" task is done (the inventory is stored), "collect" (forensics,
not in this agent) is answered "unsupported".
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_harness import Agent, Vigild, enroll_agent, free_port, run  # noqa: E402

AGENT = os.environ.get("VIGIL_AGENT", "vigil-agent")
OUTAGE_S = float(os.environ.get("VIGIL_OUTAGE_S", "60"))
RATE = 25.0  # lines per second


class Writer(threading.Thread):
    """Appends numbered lines to path at RATE/s; runs hooks at given lines."""

    def __init__(self, path, tag, hooks=None):
        super().__init__(daemon=True)
        self.path, self.tag = path, tag
        self.hooks = dict(hooks or {})
        self.n = 0
        self.stop_flag = threading.Event()

    def run(self):
        t0 = time.monotonic()
        while not self.stop_flag.is_set():
            if self.n in self.hooks:
                self.hooks.pop(self.n)()
            with open(self.path, "a") as f:
                f.write("%s line %06d payload-%s\n" % (self.tag, self.n, "x" * (self.n % 17)))
            self.n += 1
            delay = t0 + self.n / RATE - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def finish(self):
        self.stop_flag.set()
        self.join(10)
        return self.n

    def expected(self):
        return {"%s line %06d payload-%s" % (self.tag, i, "x" * (i % 17)) for i in range(self.n)}


def kill_server(srv):
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait(10)
    srv.log.close()
    srv.proc = None


def messages_for(srv, path):
    """Every stored log message whose log.file.path is path."""
    out, offset = [], 0
    while True:
        st, _, doc = srv.json("GET", "/api/v1/events?dataset=log&limit=10000&offset=%d" % offset,
                              token=srv.admin_token)
        if st != 200:
            raise RuntimeError("events query: %s %s" % (st, doc))
        items = doc.get("items", [])
        for it in items:
            ev = it.get("event", {})
            if ev.get("log", {}).get("file", {}).get("path") == path:
                out.append(ev.get("message"))
        offset += len(items)
        if not items or offset >= doc.get("total", 0):
            return out


def wait_exact(c, srv, name, path, writer, timeout):
    want = writer.expected()
    deadline = time.monotonic() + timeout
    got = []
    while time.monotonic() < deadline:
        got = messages_for(srv, path)
        if len(got) >= len(want) and set(got) >= want:
            break
        time.sleep(1)
    c.check("%s: all %d lines stored" % (name, len(want)), set(got) == want,
            "missing %d, unexpected %d" % (len(want - set(got)), len(set(got) - want)))
    c.check("%s: none twice" % name, len(got) == len(set(got)),
            "%d stored for %d distinct" % (len(got), len(set(got))))


def main(c):
    tmp = tempfile.mkdtemp(prefix="vigil-agent-rel-")
    ingest = free_port()
    conf = os.path.join(tmp, "vigild.yaml")
    with open(conf, "w") as f:
        f.write("ingest:\n  port: %d\n" % ingest)
    srv = Vigild(data_dir=os.path.join(tmp, "srv"), extra_args=["-c", conf]).start()
    agent = None
    writers = []
    try:
        adir = os.path.join(tmp, "agent")
        _, _, p = enroll_agent(srv, adir)
        c.check("enrolled", p.returncode == 0, p.stdout + p.stderr)
        c.check("key is 0600", os.stat(os.path.join(adir, "key.pem")).st_mode & 0o777 == 0o600)

        logs = {k: os.path.join(tmp, k + ".log") for k in ("outage", "agentkill", "rotate")}
        aconf = os.path.join(tmp, "agent.yaml")
        with open(aconf, "w") as f:
            f.write("data_dir: %s\nserver:\n  reconnect_max_seconds: 3\n"
                    "logs:\n  files: [%s]\n  poll_ms: 100\n"
                    "inventory:\n  interval_seconds: 86400\nheartbeat_seconds: 5\n"
                    "batch_events: 100\n" % (adir, ", ".join(logs.values())))
        p = subprocess.run([AGENT, "--check-config", "-c", aconf], capture_output=True,
                           text=True, timeout=30)
        c.check("agent --check-config", p.returncode == 0, p.stdout + p.stderr)
        agent = Agent(tmp, aconf)
        agent.start()

        # 1. vigild killed three times, then down for OUTAGE_S.
        w = Writer(logs["outage"], "outage")
        writers.append(w)
        w.start()
        for _ in range(3):
            time.sleep(2.5)
            kill_server(srv)
            time.sleep(1.0)
            srv.start()
        time.sleep(2)
        kill_server(srv)
        time.sleep(OUTAGE_S)
        srv.start()
        time.sleep(3)
        w.finish()
        c.check("outage: agent still running", agent.proc.poll() is None)
        wait_exact(c, srv, "vigild killed 3x and down %.0fs" % OUTAGE_S, logs["outage"], w, 60)

        # 2. the agent killed three times; once the log is renamed meanwhile.
        w = Writer(logs["agentkill"], "agentkill")
        writers.append(w)
        w.start()
        for i in range(3):
            time.sleep(2.0)
            agent.kill()
            time.sleep(0.7)
            if i == 1:
                os.rename(logs["agentkill"], logs["agentkill"] + ".1")
                time.sleep(0.7)
            agent.start()
        time.sleep(3)
        w.finish()
        wait_exact(c, srv, "agent killed 3x", logs["agentkill"], w, 60)

        # 3. rotation by rename, then by copytruncate, while running.
        rot = logs["rotate"]

        def rename():
            os.rename(rot, rot + ".1")

        def copytruncate():
            time.sleep(1.0)  # copytruncate loses what the reader has not read yet
            shutil.copyfile(rot, rot + ".2")
            with open(rot, "r+") as f:
                f.truncate(0)

        w = Writer(rot, "rotate", {int(RATE * 2): rename, int(RATE * 5): copytruncate})
        writers.append(w)
        w.start()
        time.sleep(9)
        w.finish()
        wait_exact(c, srv, "rotation by rename and copytruncate", rot, w, 60)
        c.check("agent survived", agent.proc.poll() is None)

        # Tasks down the same connection: inventory is done, scan refused.
        with open(os.path.join(adir, "agent.json")) as f:
            aid = json.load(f)["agent_id"]
        st, _, _ = srv.json("POST", "/api/v1/agents/%s/tasks" % aid, {"verb": "inventory"},
                            token=srv.admin_token)
        c.check("inventory task queued", st == 201, str(st))
        st, _, _ = srv.json("POST", "/api/v1/agents/%s/tasks" % aid, {"verb": "collect"},
                            token=srv.admin_token)
        deadline = time.monotonic() + 30
        statuses, results = {}, {}
        while time.monotonic() < deadline:
            st, _, doc = srv.json("GET", "/api/v1/agents/%s/tasks" % aid, token=srv.admin_token)
            items = (doc or {}).get("items", [])
            statuses = {t.get("verb"): t.get("status") for t in items}
            results = {t.get("verb"): json.dumps(t.get("result")) for t in items}
            if statuses.get("inventory") not in (None, "queued", "sent") and \
                    statuses.get("collect") not in (None, "queued", "sent"):
                break
            time.sleep(0.5)
        c.check("inventory task done", statuses.get("inventory") == "done", str(statuses))
        c.check("collect task answered unsupported",
                statuses.get("collect") == "failed" and "unsupported" in results.get("collect", ""),
                str(statuses) + " " + str(results.get("collect")))
        st, _, doc = srv.json("GET", "/api/v1/hosts/%s/inventory?section=users" % aid,
                              token=srv.admin_token)
        names = [u.get("name") for u in (doc or {}).get("items", [])]
        c.check("inventory stored (users has root)", "root" in names, str(doc)[:300])
    finally:
        for w in writers:
            w.stop_flag.set()
        if agent:
            agent.stop()
        if c.failed:
            for name in ("agent.log",):
                try:
                    with open(os.path.join(tmp, name), "rb") as f:
                        sys.stdout.write(f.read().decode("utf-8", "replace")[-6000:])
                except OSError:
                    pass
            sys.stdout.write(srv.logs()[-4000:])
        srv.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run(main)
