#!/usr/bin/env python3
"""README's first command: scripts/run-sample.sh (what `make run` runs) on the
built programs, in a temporary data directory on free ports.

It must start vigild with the sample data, enroll the sample agent, whose first
full scan finds exactly the two planted samples; stop vigild and the agent on
SIGTERM; start again on the same data without enrolling a second agent; and
stop the agent when vigild dies.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_harness import free_port, run  # noqa: E402

VIGILD = os.environ.get("VIGILD", "vigild")
VIGIL = os.environ.get("VIGIL", "vigil")
SRC = os.environ.get("VIGIL_SRC", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
# build/src/server/vigild -> build
BUILD = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(VIGILD))))

WANT = {("eicar.com", "Vigil_Sample_EICAR"),
        ("anh-dai-dien.php", "Vigil_Sample_PHP_Eval_Request")}


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is not running; it waits for its parent (gone with the script)
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(fn, timeout, step=0.3):
    deadline = time.monotonic() + timeout
    v = fn()
    while not v and time.monotonic() < deadline:
        time.sleep(step)
        v = fn()
    return v


class Sample:
    def __init__(self, data, port, ingest):
        self.data, self.port, self.ingest = data, port, ingest
        self.proc = None
        self.out = data + "-out.txt"

    def start(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
        env.update(VIGIL_RUN_DATA=self.data, VIGIL_RUN_PORT=str(self.port),
                   VIGIL_RUN_INGEST_PORT=str(self.ingest))
        self.log = open(self.out, "wb")
        self.proc = subprocess.Popen(["sh", os.path.join(SRC, "scripts", "run-sample.sh"), BUILD],
                                     cwd=SRC, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def text(self):
        with open(self.out, errors="replace") as f:
            return f.read()

    def ready(self, timeout=180):
        return wait_for(lambda: "Ctrl-C" in self.text() or self.proc.poll() is not None,
                        timeout) and self.proc.poll() is None

    def pids(self):
        t = self.text()
        v = re.search(r"vigild pid (\d+)", t)
        a = re.search(r"sample agent: pid (\d+)", t)
        return [int(m.group(1)) for m in (v, a) if m]

    def stop(self):
        """SIGTERM to the script only, as Ctrl-C reaches it; its trap stops the rest."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                pass
        self.log.close()

    def kill_all(self):
        if self.proc:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            for pid in self.pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def main(c):
    tmp = tempfile.mkdtemp(prefix="vigil-run-sample-")
    data = os.path.join(tmp, "run-data")
    s = Sample(data, free_port(), free_port())
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    env.update(VIGIL_SERVER="https://127.0.0.1:%d" % s.port,
               VIGIL_TOKEN_FILE=os.path.join(data, "admin.token"),
               VIGIL_CACERT=os.path.join(data, "tls", "vigild.crt"), VIGIL_LANG="en")

    def cli(*args):
        p = subprocess.run([VIGIL, "--json"] + list(args), env=env, capture_output=True,
                           text=True, timeout=60)
        try:
            return json.loads(p.stdout) if p.returncode == 0 else None
        except ValueError:
            return None

    def malware():
        doc = cli("malware", "list")
        return doc.get("items", []) if doc else []

    try:
        s.start()
        c.check("started and printed the CLI lines", s.ready(), s.text()[-3000:])
        c.check("vigild and agent pids printed", len(s.pids()) == 2, s.text()[-1500:])
        items = wait_for(lambda: len(malware()) >= 2 and malware(), 90)
        got = {(os.path.basename(i.get("path", "")), i.get("detection", "").split()[-1])
               for i in items or []}
        c.check("the first scan found the two samples and nothing else",
                got == WANT and len(items) == 2, str(items))
        c.check("on the sample host", all(i.get("hostname") == "may-chu-mau" for i in items or []),
                str(items))
        scans = (cli("scans", "list") or {}).get("items", [])
        c.check("one full scan, ok, 4 files, 2 detected",
                len(scans) == 1 and scans[0].get("mode") == "full" and
                scans[0].get("status") == "ok" and scans[0].get("files") == 4 and
                scans[0].get("detected") == 2, str(scans))
        findings = (cli("finding", "list") or {}).get("items", [])
        c.check("botnet findings from the sample lists", len(findings) > 0, str(findings)[:500])
        rules = (cli("rules", "list") or {}).get("items", [])
        c.check("sample rules bundle", any(r.get("kind") == "rules" for r in rules), str(rules))

        pids = s.pids()
        s.stop()
        c.check("script ended on SIGTERM", s.proc.poll() is not None)
        c.check("vigild and the agent stopped with it",
                wait_for(lambda: not any(alive(p) for p in pids), 30),
                str([p for p in pids if alive(p)]))

        # Again, on the same data: same agent, no second enrollment, nothing lost.
        s.start()
        c.check("started again", s.ready(), s.text()[-3000:])
        agents = (cli("agent", "list") or {}).get("items", [])
        c.check("still one agent", len(agents) == 1, str(agents))
        def connections():
            with open(os.path.join(data, "agent.log"), errors="replace") as f:
                return f.read().count("msg=connected")
        c.check("the agent connects again", wait_for(lambda: connections() >= 2, 60),
                "connections logged: %d" % connections())
        c.check("findings kept", len(malware()) == 2, str(malware()))
        # vigild dying ends the script and stops the agent too
        pids = s.pids()
        if pids:
            os.kill(pids[0], signal.SIGKILL)
        c.check("script ended with vigild", wait_for(lambda: s.proc.poll() is not None, 30),
                s.text()[-1500:])
        c.check("the agent stopped with it",
                wait_for(lambda: not any(alive(p) for p in pids), 30),
                str([p for p in pids if alive(p)]))
        s.stop()
    finally:
        s.kill_all()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run(main)
