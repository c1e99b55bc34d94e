"""Start a real vigild on loopback for the server integration tests.

Python 3 standard library only. Every wait is bounded; the daemon is
stopped (SIGTERM, then SIGKILL) and its temporary data removed at the end.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

VIGILD = os.environ.get("VIGILD", "vigild")


AGENT = os.environ.get("VIGIL_AGENT", "vigil-agent")
VIGIL = os.environ.get("VIGIL", "vigil")


class Agent:
    """A vigil-agent process run with a config file; its output goes to
    <tmp>/agent.log (appended across restarts)."""

    def __init__(self, tmp, conf):
        self.conf = conf
        self.logpath = os.path.join(tmp, "agent.log")
        self.proc = None
        self.log = None

    def start(self):
        self.log = open(self.logpath, "ab")
        self.proc = subprocess.Popen([AGENT, "run", "-c", self.conf], stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def _reap(self, sig, timeout):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
        if self.log:
            self.log.close()
            self.log = None

    def kill(self):
        self._reap(signal.SIGKILL, 10)

    def stop(self):
        self._reap(signal.SIGTERM, 20)

    def text(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()


def enroll_agent(srv, adir):
    """Make a one-time token with the CLI and enroll an agent whose data
    directory is adir (pinning vigild's certificate). Returns (env for the
    CLI, the agent's id, the enroll process) -- the caller checks the
    process's returncode."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    env.update(VIGIL_SERVER="https://127.0.0.1:%d" % srv.port,
               VIGIL_CACERT=os.path.join(srv.data_dir, "tls", "vigild.crt"),
               VIGIL_TOKEN_FILE=os.path.join(srv.data_dir, "admin.token"), VIGIL_LANG="en")
    p = subprocess.run([VIGIL, "agent", "token", "create", "--json"], env=env,
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        return env, None, p
    token = json.loads(p.stdout)["token"]
    fp = subprocess.run(["openssl", "x509", "-in", os.path.join(srv.data_dir, "tls",
                                                                 "vigild.crt"),
                         "-noout", "-fingerprint", "-sha256"], capture_output=True,
                        text=True, timeout=30).stdout.strip().split("=", 1)[1]
    p = subprocess.run([AGENT, "enroll", "--server", "127.0.0.1:%d" % srv.port, "--token",
                        token, "--fingerprint", "SHA256:" + fp, "--data-dir", adir],
                       capture_output=True, text=True, timeout=60)
    agent_id = None
    if p.returncode == 0:
        with open(os.path.join(adir, "agent.json")) as f:
            agent_id = int(str(json.load(f)["agent_id"]).replace("agent-", ""))
    return env, agent_id, p


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Checks:
    """Counts named checks; prints failures as they happen."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, cond, info=""):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {name} {info}", flush=True)
        return cond

    def summary(self):
        print(f"{self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0


class Vigild:
    def __init__(self, data_dir=None, extra_args=(), env=None):
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="vigil-it-")
        self.port = free_port()
        self.extra_args = list(extra_args)
        if "-c" not in self.extra_args:
            # The agents' listener on a free port too, never the default 8444 that
            # a `make run` on the same machine holds.
            conf = os.path.join(tempfile.mkdtemp(prefix="vigil-it-conf-"), "vigild.yaml")
            with open(conf, "w") as f:
                f.write("ingest:\n  port: %d\n" % free_port())
            self.extra_args += ["-c", conf]
        self.env = dict(os.environ)
        self.env["VIGIL_LANG"] = "vi"
        if env:
            self.env.update(env)
        self.proc = None
        self.log_path = os.path.join(tempfile.gettempdir(),
                                     f"vigild-{os.getpid()}-{self.port}.log")
        self.ctx = None
        self.admin_token = None

    def start(self, timeout=30):
        self.log = open(self.log_path, "wb")
        args = [VIGILD, "--data-dir", self.data_dir, "--listen",
                f"127.0.0.1:{self.port}"] + self.extra_args
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=self.env)
        cert = os.path.join(self.data_dir, "tls", "vigild.crt")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"vigild exited with {self.proc.returncode}:\n{self.logs()}")
            if os.path.exists(cert):
                try:
                    self.ctx = ssl.create_default_context(cafile=cert)
                    st, _, _ = self.request("GET", "/healthz", timeout=2)
                    if st == 200:
                        break
                except (OSError, ssl.SSLError, http.client.HTTPException):
                    pass
            time.sleep(0.1)
        else:
            raise RuntimeError("vigild did not answer /healthz in time:\n" + self.logs())
        tok = os.path.join(self.data_dir, "admin.token")
        if os.path.exists(tok):
            with open(tok) as f:
                self.admin_token = f.read().strip()
        return self

    def logs(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def request(self, method, path, body=None, token=None, headers=None, timeout=30):
        """Returns (status, headers dict with lower-case names, body bytes)."""
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx,
                                           timeout=timeout)
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            conn.close()

    def json(self, method, path, body=None, token=None, headers=None):
        st, h, data = self.request(method, path, body, token, headers)
        try:
            doc = json.loads(data) if data else None
        except ValueError:
            doc = {"_raw": data.decode("utf-8", "replace")}
        return st, h, doc

    def stop(self, timeout=15):
        """SIGTERM and wait; returns the exit code (SIGKILL after timeout)."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
        self.log.close()
        rc = self.proc.returncode
        self.proc = None
        return rc

    def cleanup(self):
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        try:
            os.unlink(self.log_path)
        except OSError:
            pass


def run(main):
    """Run main(checks) and exit with its summary; errors count as failures."""
    c = Checks()
    try:
        main(c)
    except Exception as e:  # a crash of the test is a failure, reported
        import traceback
        traceback.print_exc()
        c.check("test ran to the end", False, repr(e))
    sys.exit(c.summary())
