#!/usr/bin/env python3
"""Agent ingest benchmark: N simulated agents (enrolled through the API) each send
a fixed number of events in batches over mutual TLS 1.3 to a real vigild; measures
events/s committed (first batch sent -> last ACK received) and vigild's CPU time,
then checks that the store holds exactly what was sent.

  bench/agent/ingest_bench.py BUILD_DIR [--agents 50] [--events 20000] [--batch 1000]
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--agents", type=int, default=50)
    ap.add_argument("--events", type=int, default=20000, help="events per agent")
    ap.add_argument("--batch", type=int, default=1000)
    a = ap.parse_args()
    server_harness.VIGILD = os.environ.get("VIGILD",
                                           os.path.join(a.build, "src", "server", "vigild"))
    d = tempfile.mkdtemp(prefix="vigil-ingest-bench-")
    srv, port = start_vigild(d, "log:\n  level: warn\n")
    try:
        agents = [Agent(d, srv, f"a{i}") for i in range(a.agents)]
        work = [batches(i, a.events, a.batch) for i in range(a.agents)]
        socks = []
        for ag in agents:
            s = ag.context().wrap_socket(
                socket.create_connection(("127.0.0.1", port), timeout=120),
                server_hostname="localhost")
            s.sendall(frame(HELLO, {"agent_id": str(ag.id), "version": "bench", "hostname": "b",
                                    "time_ms": 0}))
            assert read_frame(s)[0] == WELCOME
            socks.append(s)
        errors = []

        def run(s, items):
            try:
                # Two batches in flight: send the next before waiting for an ACK.
                pending = []
                for last, data in items:
                    s.sendall(data)
                    pending.append(last)
                    if len(pending) == 2:
                        t, ack = read_frame(s)
                        assert t == ACK and ack["seq"] == pending.pop(0), ack
                for last in pending:
                    t, ack = read_frame(s)
                    assert t == ACK and ack["seq"] == last, ack
            except Exception as e:  # reported after the run
                errors.append(repr(e))

        threads = [threading.Thread(target=run, args=(s, w)) for s, w in zip(socks, work)]
        cpu0, t0 = cpu_seconds(srv.proc.pid), time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall, cpu = time.monotonic() - t0, cpu_seconds(srv.proc.pid) - cpu0
        for s in socks:
            s.close()
        sent = a.agents * a.events
        st, _, doc = srv.json("GET", "/api/v1/events?limit=1", token=srv.admin_token)
        stored = doc["total"]
        print(f"agents={a.agents} events={sent} batch={a.batch} wall_s={wall:.2f} "
              f"events_per_s={sent / wall:.0f} vigild_cpu_s={cpu:.2f} "
              f"events_per_cpu_s={sent / cpu:.0f} stored={stored} lost={sent - stored} "
              f"errors={len(errors)}")
        if errors:
            print("\n".join(errors[:5]), file=sys.stderr)
        return 0 if stored == sent and not errors else 1
    finally:
        srv.cleanup()
        subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    sys.exit(main())
