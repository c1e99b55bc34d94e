#!/usr/bin/env python3
"""vigild's agent listener: enrollment through the API, then a python TLS
client speaking the frame protocol (wire/proto.h): HELLO/WELCOME, batches
stored exactly once, ACK only after commit (kill -9), refusals counted in
/metrics, malformed frames closing only their own connection."""
import json
import os
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_harness import Vigild, free_port, run  # noqa: E402

MAGIC = 0x56474C31
HELLO, WELCOME, BATCH, ACK, HEARTBEAT, TASK, TASK_RESULT, ERROR = range(1, 9)


def frame(ftype, payload, version=1, length=None):
    if isinstance(payload, (dict, list)):
        payload = json.dumps(payload).encode()
    n = len(payload) if length is None else length
    return struct.pack(">IBBBBII", MAGIC, version, ftype, 0, 0, n, len(payload)) + payload


def read_exact(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise ConnectionError("closed")
        out += chunk
    return out


def read_frame(s):
    h = read_exact(s, 16)
    magic, ver, ftype, flags, _, length, raw = struct.unpack(">IBBBBII", h)
    assert magic == MAGIC and flags == 0
    return ftype, json.loads(read_exact(s, length)) if length else None


def batch(first, last, word="alpha"):
    lines = [json.dumps({"first_seq": first, "last_seq": last, "n": last - first + 1})]
    for seq in range(first, last + 1):
        lines.append(json.dumps({"seq": seq, "@timestamp": "2026-11-21T10:00:00Z",
                                 "event": {"dataset": "test.lines"}, "host": {"name": "h1"},
                                 "message": f"{word} line {seq}"}))
    return "\n".join(lines).encode() + b"\n"


def sh(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, timeout=60, **kw)


class Agent:
    """An enrolled identity: key, certificate, CA."""

    def __init__(self, d, srv, name):
        self.key = os.path.join(d, name + ".key")
        self.crt = os.path.join(d, name + ".crt")
        self.ca = os.path.join(d, "ca.crt")
        csr = os.path.join(d, name + ".csr")
        sh("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-nodes", "-keyout", self.key, "-subj", "/CN=" + name, "-out", csr)
        st, _, tok = srv.json("POST", "/api/v1/agent-tokens", {"ttl_seconds": 600},
                              token=srv.admin_token)
        assert st == 201, (st, tok)
        with open(csr) as f:
            st, _, doc = srv.json("POST", "/api/v1/enroll",
                                  {"token": tok["token"], "csr": f.read(), "hostname": name})
        assert st in (200, 201), (st, doc)
        self.id = doc["agent_id"]
        with open(self.crt, "w") as f:
            f.write(doc["certificate"])
        with open(self.ca, "w") as f:
            f.write(doc["ca"])

    def context(self, max_version=None, cert=True):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(self.ca)
        if cert:
            ctx.load_cert_chain(self.crt, self.key)
        if max_version:
            ctx.maximum_version = max_version
        return ctx


def connect(port, ctx, timeout=10):
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return ctx.wrap_socket(raw, server_hostname="localhost")


def hello(s, agent):
    s.sendall(frame(HELLO, {"agent_id": str(agent.id), "version": "test", "hostname": "h1",
                            "time_ms": int(time.time() * 1000)}))
    return read_frame(s)


def refused(port, ctx):
    """True when the server ends the connection without a WELCOME."""
    try:
        s = connect(port, ctx)
    except (ssl.SSLError, OSError):
        return True
    try:
        s.sendall(frame(HELLO, {"agent_id": "1", "version": "t", "hostname": "h", "time_ms": 1}))
        t, _ = read_frame(s)
        return t != WELCOME
    except (ssl.SSLError, OSError, ConnectionError):
        return True
    finally:
        s.close()


def metric(srv, name):
    st, _, body = srv.request("GET", "/metrics", token=srv.admin_token)
    for line in body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


def events_total(srv, agent_id):
    st, _, doc = srv.json("GET", f"/api/v1/events?agent_id={agent_id}&limit=1",
                          token=srv.admin_token)
    return doc["total"] if st == 200 else -1


def start_vigild(d, extra_yaml=""):
    """A vigild with its agent listener on a free port: (Vigild, port)."""
    port = free_port()
    cfg = os.path.join(d, "vigild.yaml")
    with open(cfg, "w") as f:
        f.write(f"ingest:\n  port: {port}\n{extra_yaml}")
    return Vigild(extra_args=["-c", cfg]).start(), port


def main(c):
    d = tempfile.mkdtemp(prefix="vigil-ingest-")
    srv, iport = start_vigild(d)
    try:
        a = Agent(d, srv, "a1")
        b = Agent(d, srv, "a2")
        ctx = a.context()

        s = connect(iport, ctx)
        t, w = hello(s, a)
        c.check("HELLO answered with WELCOME acked_seq 0", t == WELCOME and w["acked_seq"] == 0,
                (t, w))
        s.sendall(frame(BATCH, batch(1, 100)))
        t, ack = read_frame(s)
        c.check("batch acknowledged with its last seq", t == ACK and ack["seq"] == 100, (t, ack))
        s.sendall(frame(BATCH, batch(1, 100)))
        t, ack = read_frame(s)
        c.check("a re-sent batch is acknowledged again", t == ACK and ack["seq"] == 100)
        c.check("a re-sent batch is stored once", events_total(srv, a.id) == 100,
                events_total(srv, a.id))
        st, _, doc = srv.json("GET", "/api/v1/events?q=line%20AND%2042", token=srv.admin_token)
        c.check("events searchable by word", st == 200 and doc["total"] == 1, (st, doc))
        st, _, doc = srv.json("GET", "/api/v1/events?q=%22unbalanced", token=srv.admin_token)
        c.check("an FTS syntax error is a 400 problem", st == 400, (st, doc))

        # A task queued through the API reaches the connected agent.
        st, _, doc = srv.json("POST", f"/api/v1/agents/{a.id}/tasks",
                              {"verb": "inventory", "args": {}}, token=srv.admin_token)
        c.check("task queued", st == 201, (st, doc))
        t, task = read_frame(s)
        c.check("TASK sent down the connection", t == TASK and task["verb"] == "inventory",
                (t, task))
        s.sendall(frame(TASK_RESULT, {"task_id": task["task_id"], "status": "ok",
                                      "result": {"n": 1}}))
        s.sendall(frame(HEARTBEAT, {"time_ms": int(time.time() * 1000)}))
        time.sleep(0.5)
        st, _, doc = srv.json("GET", f"/api/v1/agents/{a.id}/tasks", token=srv.admin_token)
        c.check("TASK_RESULT stored", st == 200 and doc["items"][0]["status"] == "done", doc)

        # Malformed frames close that connection only.
        cases = {
            "bad length": frame(BATCH, b"{}", length=(64 << 20)),
            "bad version": frame(HELLO, b"{}", version=9),
            "nested JSON": frame(BATCH, ("{\"first_seq\":101,\"last_seq\":101,\"n\":1}\n" +
                                         "[" * 10000 + "]" * 10000 + "\n").encode()),
        }
        before = metric(srv, 'vigil_ingest_refused_total{reason="protocol"}')
        for name, data in cases.items():
            bad = connect(iport, ctx)
            hello(bad, a)
            bad.sendall(data)
            try:
                t, _ = read_frame(bad)
                closed = t == ERROR
                bad.recv(1)
            except (ConnectionError, OSError, ssl.SSLError):
                closed = True
            bad.close()
            c.check(f"{name}: that connection is closed", closed)
        after = metric(srv, 'vigil_ingest_refused_total{reason="protocol"}')
        c.check("malformed frames counted", after - before == len(cases), (before, after))
        s.sendall(frame(BATCH, batch(101, 110)))
        t, ack = read_frame(s)
        c.check("the other connection keeps working", t == ACK and ack["seq"] == 110, (t, ack))
        s.close()

        # Refusals.
        other = os.path.join(d, "other")
        sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-nodes", "-keyout", other + ".key", "-out", other + ".crt", "-subj", "/CN=agent-1",
           "-days", "1")
        octx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        octx.load_verify_locations(a.ca)
        octx.load_cert_chain(other + ".crt", other + ".key")
        c.check("no client certificate refused", refused(iport, a.context(cert=False)))
        c.check("a certificate from another CA refused", refused(iport, octx))
        st, _, _ = srv.json("POST", f"/api/v1/agents/{b.id}/revoke", {}, token=srv.admin_token)
        c.check("agent revoked", st in (200, 204), st)
        c.check("a revoked agent refused", refused(iport, b.context()))
        c.check("a TLS 1.2-only client refused",
                refused(iport, a.context(max_version=ssl.TLSVersion.TLSv1_2)))
        time.sleep(0.3)
        for reason in ("no_cert", "bad_cert", "revoked", "tls_version"):
            n = metric(srv, f'vigil_ingest_refused_total{{reason="{reason}"}}')
            c.check(f"refusal {reason} counted", n >= 1, n)
        logs = srv.logs()
        c.check("refusals logged with reason and peer",
                "reason=revoked" in logs and "peer=127.0.0.1" in logs)

        # ACK only after commit: kill -9 right after sending.
        s = connect(iport, ctx)
        hello(s, a)
        s.sendall(frame(BATCH, batch(111, 1110, "bravo")))
        srv.proc.kill()
        srv.proc.wait(timeout=10)
        s.close()
        srv.log.close()
        srv.proc = None
        srv.start()
        s = connect(iport, ctx)
        t, w = hello(s, a)
        stored = events_total(srv, a.id)
        c.check("after kill -9 WELCOME acked_seq says what was stored",
                t == WELCOME and w["acked_seq"] in (110, 1110) and stored == w["acked_seq"],
                (w, stored))
        s.sendall(frame(BATCH, batch(111, 1110, "bravo")))
        t, ack = read_frame(s)
        c.check("re-sent after the crash: all stored once",
                t == ACK and ack["seq"] == 1110 and events_total(srv, a.id) == 1110,
                events_total(srv, a.id))
        s.close()
    finally:
        srv.cleanup()
        subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    run(main)
