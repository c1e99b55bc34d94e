#!/usr/bin/env python3
"""Agent ingest benchmark: N simulated agents (enrolled through the API) each send
a fixed number of events in batches over mutual TLS 1.3 to a real vigild; measures
events/s committed (first batch sent -> last ACK received), vigild's CPU time and
the load generator's own CPU time, then checks that the store holds exactly what
was sent and that the full-text index covers every event.

  bench/agent/ingest_bench.py BUILD_DIR [--agents 50] [--events 20000] [--batch 1000]
                              [--procs 2] [--inflight 2]

The agents are spread over --procs sender processes (each one thread a
connection), so that Python's global interpreter lock does not cap the rate.
Every batch frame is encoded before the clock starts.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
import server_harness  # noqa: E402
from test_ingest import ACK, BATCH, HELLO, WELCOME, Agent, frame, read_frame, start_vigild  # noqa: E402,E501


def batches(agent, n_events, size):
    out = []
    for first in range(1, n_events + 1, size):
        last = min(first + size - 1, n_events)
        lines = [json.dumps({"first_seq": first, "last_seq": last, "n": last - first + 1})]
        for seq in range(first, last + 1):
            lines.append(
                '{"seq":%d,"@timestamp":"2026-11-21T10:00:00.%03dZ","event":{"dataset":'
                '"system.auth"},"host":{"name":"host-%d"},"message":"Accepted publickey for '
                'user%d from 10.%d.%d.%d port %d ssh2"}'
                % (seq, seq % 1000, agent, seq % 97, agent, seq % 250, seq % 200, 40000 + seq % 20000))
        out.append((last, frame(BATCH, ("\n".join(lines) + "\n").encode())))
    return out


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu(pid):
    """{tid: CPU seconds} of every thread of pid (the main thread's tid is pid)."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            out[int(tid)] = cpu_seconds(f"{pid}/task/{tid}")
        except OSError:
            pass
    return out


def send_all(s, items, inflight, errors):
    """Send items on s with up to inflight batches unacknowledged."""
    try:
        pending = []
        for last, data in items:
            s.sendall(data)
            pending.append(last)
            if len(pending) == inflight:
                t, ack = read_frame(s)
                assert t == ACK and ack["seq"] == pending.pop(0), ack
        for last in pending:
            t, ack = read_frame(s)
            assert t == ACK and ack["seq"] == last, ack
    except Exception as e:  # reported after the run
        errors.append(repr(e))


def sender(port, agents, a, ready_w, go_r, done_w):
    """A sender process: connect its agents, say ready, wait for go, send,
    then report {errors, cpu_s} (its CPU time from go to the last ACK)."""
    work = [batches(i, a.events, a.batch) for i, _ in agents]
    socks = []
    for _, ag in agents:
        s = ag.context().wrap_socket(
            socket.create_connection(("127.0.0.1", port), timeout=300),
            server_hostname="localhost")
        s.sendall(frame(HELLO, {"agent_id": str(ag.id), "version": "bench", "hostname": "b",
                                "time_ms": 0}))
        assert read_frame(s)[0] == WELCOME
        socks.append(s)
    os.write(ready_w, b"r")
    os.read(go_r, 1)
    t0 = os.times()
    errors = []
    threads = [threading.Thread(target=send_all, args=(s, w, a.inflight, errors))
               for s, w in zip(socks, work)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t1 = os.times()
    for s in socks:
        s.close()
    cpu = (t1.user - t0.user) + (t1.system - t0.system)
    os.write(done_w, (json.dumps({"errors": errors[:5], "n_errors": len(errors),
                                  "cpu_s": cpu}) + "\n").encode())


def count(srv, q=None):
    path = "/api/v1/events?limit=1" + (f"&q={q}" if q else "")
    st, _, doc = srv.json("GET", path, token=srv.admin_token)
    assert st == 200, (st, doc)
    return doc["total"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--agents", type=int, default=50)
    ap.add_argument("--events", type=int, default=20000, help="events per agent")
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--procs", type=int, default=2, help="sender processes")
    ap.add_argument("--inflight", type=int, default=2, help="unacknowledged batches per agent")
    a = ap.parse_args()
    server_harness.VIGILD = os.environ.get("VIGILD",
                                           os.path.join(a.build, "src", "server", "vigild"))
    d = tempfile.mkdtemp(prefix="vigil-ingest-bench-")
    srv, port = start_vigild(d, "log:\n  level: warn\n")
    pids = []
    try:
        agents = [(i, Agent(d, srv, f"a{i}")) for i in range(a.agents)]
        procs = max(1, min(a.procs, a.agents))
        ready_r, ready_w = os.pipe()
        go_r, go_w = os.pipe()
        done_r, done_w = os.pipe()
        for p in range(procs):
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    sender(port, agents[p::procs], a, ready_w, go_r, done_w)
                except BaseException as e:  # the parent sees a missing report
                    print(f"sender {p}: {e!r}", file=sys.stderr)
                    code = 1
                os._exit(code)
            pids.append(pid)
        for _ in range(procs):
            if not os.read(ready_r, 1):
                raise RuntimeError("a sender process failed to connect")
        cpu0, t0 = cpu_seconds(srv.proc.pid), time.monotonic()
        thr0 = thread_cpu(srv.proc.pid)
        os.write(go_w, b"g" * procs)
        reports = []
        with os.fdopen(done_r) as f:
            os.close(done_w)
            for _ in range(procs):
                line = f.readline()
                if not line:
                    break
                reports.append(json.loads(line))
        wall, cpu = time.monotonic() - t0, cpu_seconds(srv.proc.pid) - cpu0
        thr1 = thread_cpu(srv.proc.pid)
        loop_cpu = thr1.get(srv.proc.pid, 0) - thr0.get(srv.proc.pid, 0)
        for pid in pids:
            os.waitpid(pid, 0)
        pids = []
        errors = [e for r in reports for e in r["errors"]]
        n_errors = sum(r["n_errors"] for r in reports) + (procs - len(reports))
        gen_cpu = sum(r["cpu_s"] for r in reports)
        sent = a.agents * a.events
        stored = count(srv)
        # Every event's message has "publickey": the index must hold them all.
        indexed = count(srv, "publickey")
        print(f"agents={a.agents} events={sent} batch={a.batch} procs={procs} wall_s={wall:.2f} "
              f"events_per_s={sent / wall:.0f} vigild_cpu_s={cpu:.2f} "
              f"events_per_cpu_s={sent / max(cpu, 1e-3):.0f} loop_cpu_s={loop_cpu:.2f} "
              f"other_threads_cpu_s={cpu - loop_cpu:.2f} gen_cpu_s={gen_cpu:.2f} stored={stored} "
              f"indexed={indexed} lost={sent - stored} errors={n_errors}")
        if errors:
            print("\n".join(errors[:5]), file=sys.stderr)
        return 0 if stored == sent and indexed == sent and not n_errors else 1
    finally:
        for pid in pids:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        srv.cleanup()
        subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    sys.exit(main())
