#!/usr/bin/env python3
"""vigil-sensor end to end, real programs on loopback.

(a) `vigil-sensor match` on a generated firewall log names exactly the lines
    `vigil match` prints (line numbers compared);
(b) the walk-through: a list, NetFlow v9 packets over UDP to a running
    `vigil-sensor run`, RADIUS detail files -> the report's counts equal the
    counts computed here independently (ipaddress module, sessions by hand);
(c) SIGHUP reloads with a changed list while flows arrive lose no record;
(d) hits posted to a real vigild come back from GET /api/v1/sightings, and
    the list is pulled from vigild's /feeds/{name}/indicators;
(e) the walk-through from stored files: hand-made nfdump CSV rows on stdin,
    `vigil-sensor match --format nfdump-csv --radius R -`, then `report`:
    counts and subscribers written by hand;
(f) SIGUSR1 counters after known NetFlow traffic (templates, a sequence gap,
    an unknown template) and known bad lines (malformed, truncated);
(g) a followed file rotated by rename (the old one still appended to) and
    by copytruncate: every line hit once, line numbers from 1 in each file.
"""
import ipaddress
import json
import os
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import server_harness as h  # noqa: E402

SENSOR = os.environ.get("VIGIL_SENSOR", "vigil-sensor")
VIGIL = os.environ.get("VIGIL", "vigil")
T0 = 1795132800  # 2026-11-20T00:00:00Z
TMP = tempfile.mkdtemp(prefix="vigil-sensor-it-")
rnd = random.Random(20261120)


def path(name):
    return os.path.join(TMP, name)


def write(name, text):
    """Replace the file atomically (a reload never sees it half written)."""
    with open(path(name) + ".tmp", "w") as f:
        f.write(text)
    os.replace(path(name) + ".tmp", path(name))
    return path(name)


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- (a) ----

def rand_v4():
    return ".".join(str(rnd.randrange(1, 255)) for _ in range(4))


def test_match_lines(c):
    listed = ["198.51.100.0/24", "203.0.113.7", "192.0.2.128/25", "2001:db8:1::/48"]
    write("a-list.txt", "\n".join(listed) + "\n")
    lines = []
    for i in range(3000):
        r = rnd.random()
        src = rand_v4()
        dst = rand_v4()
        if r < 0.05:
            dst = f"198.51.100.{rnd.randrange(256)}"
        elif r < 0.08:
            src = "203.0.113.7"
        elif r < 0.10:
            dst = f"192.0.2.{rnd.randrange(256)}"
        if r > 0.97:
            lines.append(f"Nov 20 10:{i % 60:02d}:00 fw kernel: n={i} IN=eth0 OUT=eth1 "
                         f"SRC=2001:db8:1::{i:x} DST=2001:db8:9::1 LEN=80 PROTO=TCP SPT=1 DPT=2")
        else:
            lines.append(f"Nov 20 10:{i % 60:02d}:00 fw kernel: n={i} IN=eth0 OUT=eth1 "
                         f"SRC={src} DST={dst} LEN=60 PROTO=TCP SPT={1024 + i} DPT=443")
    write("a-fw.log", "\n".join(lines) + "\n")
    out = subprocess.run([VIGIL, "match", "-f", path("a-list.txt"), path("a-fw.log")],
                         capture_output=True, timeout=60)
    printed = out.stdout.decode().splitlines()
    index = {l: n for n, l in enumerate(lines, 1)}
    want = sorted(index[l] for l in printed)
    c.check("vigil match selected some lines", len(want) > 50, str(len(want)))
    for fmt in ("firewall", "text"):
        s = subprocess.run([SENSOR, "match", "--list", path("a-list.txt"), "--format", fmt,
                            path("a-fw.log")], capture_output=True, timeout=60)
        hits = [json.loads(x) for x in s.stdout.decode().splitlines()]
        got = sorted(hit["log.file.line"] for hit in hits)
        c.check(f"sensor match --format {fmt} exit 0", s.returncode == 0, s.stderr.decode())
        c.check(f"sensor match --format {fmt} names the lines vigil match prints", got == want,
                f"{len(got)} vs {len(want)}")
        c.check(f"{fmt} hits carry ECS fields",
                all(x["event.kind"] == "enrichment" and "threat.indicator.ip" in x for x in hits))


# ---- NetFlow v9 ----

FIELDS = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (2, 4), (1, 4), (152, 8), (153, 8),
          (225, 4), (227, 2)]
REC = struct.Struct("!4s4sHHBIIQQ4sH")


class Exporter:
    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.port = port
        self.seq = 0
        self.sent = 0

    def packet(self, flows, template_id=256, with_template=True):
        tmpl = struct.pack("!HH", template_id, len(FIELDS)) + b"".join(
            struct.pack("!HH", t, n) for t, n in FIELDS)
        tfs = struct.pack("!HH", 0, 4 + len(tmpl)) + tmpl if with_template else b""
        data = b"".join(REC.pack(socket.inet_aton(f["src"]), socket.inet_aton(f["dst"]),
                                 f["sport"], f["dport"], 6, 3, 180, f["t"] * 1000,
                                 f["t"] * 1000 + 500, socket.inet_aton(f["xsrc"]), f["sport"])
                         for f in flows)
        pad = (4 - (4 + len(data)) % 4) % 4
        dfs = struct.pack("!HH", template_id, 4 + len(data) + pad) + data + b"\0" * pad
        hdr = struct.pack("!HHIIII", 9, len(flows) + with_template, 1000, flows[0]["t"],
                          self.seq, 1)
        self.seq += 1
        return hdr + tfs + dfs

    def send(self, flows, per_packet=20):
        for i in range(0, len(flows), per_packet):
            self.sock.sendto(self.packet(flows[i:i + per_packet]), ("127.0.0.1", self.port))
            self.sent += len(flows[i:i + per_packet])
            if (i // per_packet) % 50 == 49:
                time.sleep(0.01)


class Sensor:
    def __init__(self, name, config):
        self.cfg = write(name + ".yaml", config)
        self.log = path(name + ".log")
        self.proc = None

    def start(self):
        self.logf = open(self.log, "wb")
        self.proc = subprocess.Popen([SENSOR, "run", "-c", self.cfg], stdout=self.logf,
                                     stderr=subprocess.STDOUT)
        self.wait_log("vigil-sensor running", 20)
        return self

    def text(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, what, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if what in self.text():
                return True
            if self.proc.poll() is not None:
                raise RuntimeError("vigil-sensor exited:\n" + self.text())
            time.sleep(0.05)
        raise RuntimeError(f"no '{what}' in the log:\n" + self.text())

    def counters(self):
        """SIGUSR1, then the last counters line as a dict (per-input lines,
        msg="input counters", come just before it)."""
        before = self.text().count('msg=counters')
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.text().count('msg=counters') == before:
            time.sleep(0.05)
        line = [x for x in self.text().splitlines() if 'msg=counters' in x][-1]
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}

    def wait_records(self, n, timeout=30):
        deadline = time.monotonic() + timeout
        got = {}
        while time.monotonic() < deadline:
            got = self.counters()
            if got.get("records", 0) >= n:
                break
            time.sleep(0.2)
        return got

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()


def radius_record(status, user, ip, session, t, session_time=None):
    lines = [time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime(t)),
             "\tPacket-Type = Accounting-Request",
             f"\tAcct-Status-Type = {status}",
             f'\tUser-Name = "{user}"',
             f'\tCalling-Station-Id = "cs-{user}"',
             f'\tAcct-Session-Id = "{session}"',
             "\tNAS-IP-Address = 192.0.2.1",
             f"\tFramed-IP-Address = {ip}"]
    if session_time is not None:
        lines.append(f"\tAcct-Session-Time = {session_time}")
    lines += [f"\tEvent-Timestamp = {t}", f"\tTimestamp = {t}", ""]
    return "\n".join(lines) + "\n"


# ---- (b) the walk-through ----

def test_walkthrough(c):
    # A month's botnet list: public (post-NAT) addresses and C&C servers.
    listed_nat = [f"203.0.113.{i}" for i in range(1, 30)]
    listed_cc = ["198.51.100.0/26"]
    write("botnet.txt", "# month list\n" + "\n".join(listed_nat + listed_cc) + "\n")
    nets = [ipaddress.ip_network(x) for x in listed_nat + listed_cc]

    # RADIUS: 40 inside addresses; user a<i> holds 100.64.0.<i> 00:00-12:00,
    # user b<i> 12:00-24:00 (reassignment); addresses >= 35 have no session.
    sessions = []
    text = ""
    for i in range(1, 35):
        ip = f"100.64.0.{i}"
        for k, (user, start, stop) in enumerate(((f"a{i}", T0, T0 + 43200),
                                                  (f"b{i}", T0 + 43200, T0 + 86400))):
            sessions.append((ip, user, start, stop))
            text += radius_record("Start", user, ip, f"s{i}-{k}", start)
            text += radius_record("Stop", user, ip, f"s{i}-{k}", stop, stop - start)
    write("radius.detail", text)

    def owner(ip, t):
        for sip, user, start, stop in sessions:
            if sip == ip and start <= t < stop:
                return user
        return None

    flows = []
    for n in range(4000):
        i = rnd.randrange(1, 41)
        t = T0 + rnd.randrange(60, 86340)
        if abs(t - (T0 + 43200)) < 60:
            t += 120
        xsrc = f"203.0.113.{rnd.randrange(1, 60)}"
        dst = f"198.51.100.{rnd.randrange(0, 128)}" if rnd.random() < 0.2 else rand_v4()
        flows.append({"src": f"100.64.0.{i}", "dst": dst, "xsrc": xsrc,
                      "sport": 1024 + n % 60000, "dport": 443, "t": t})

    seen, subs = set(), set()
    n_hits = 0
    for f in flows:
        for a in (f["dst"], f["xsrc"]):
            if any(ipaddress.ip_address(a) in net for net in nets):
                seen.add(a)
                n_hits += 1
                u = owner(f["src"], f["t"])
                if u:
                    subs.add(u)

    port = free_udp_port()
    s = Sensor("walk", f"""
lists:
  - name: ais-botnet
    file: {path('botnet.txt')}
inputs:
  netflow:
    address: 127.0.0.1
    port: {port}
    threads: 1
attribution:
  radius: {path('radius.detail')}
output:
  path: {path('hits.json')}
summary:
  path: {path('summary.json')}
""")
    chk = subprocess.run([SENSOR, "--check-config", "-c", s.cfg], capture_output=True,
                         timeout=30)
    c.check("--check-config accepts the walk-through config", chk.returncode == 0,
            chk.stderr.decode())
    s.start()
    try:
        ex = Exporter(port)
        ex.send(flows)
        got = s.wait_records(len(flows))
        c.check("every flow reached the engine", got.get("records") == len(flows), str(got))
        c.check("no flow malformed", got.get("nf_malformed") == 0, str(got))
    finally:
        s.stop()
    rep = subprocess.run([SENSOR, "report", "--hits", path("hits.json"), "--json",
                          "--from", "2026-11-20T00:00:00Z", "--to", "2026-11-21T00:00:00Z"],
                         capture_output=True, timeout=60)
    c.check("report exit 0", rep.returncode == 0, rep.stderr.decode())
    r = json.loads(rep.stdout)
    lists = {x["name"]: x for x in r["lists"]}
    ais = lists.get("ais-botnet", {})
    c.check("report: hits", ais.get("hits") == n_hits, f"{ais.get('hits')} vs {n_hits}")
    c.check("report: listed addresses", ais.get("addresses") == len(seen),
            f"{ais.get('addresses')} vs {len(seen)}")
    c.check("report: subscribers", ais.get("subscribers") == len(subs),
            f"{ais.get('subscribers')} vs {len(subs)}")
    text = subprocess.run([SENSOR, "report", "--hits", path("hits.json")], capture_output=True,
                          timeout=60).stdout.decode()
    c.check("text report names the counts",
            f"{len(seen)} " in text and f"{len(subs)} " in text, text[:300])
    with open(path("summary.json")) as f:
        summ = [json.loads(x) for x in f]
    c.check("summary has per-subscriber entries",
            sum(1 for x in summ if x.get("vigil.summary") == "subscriber") == len(subs))


# ---- (c) reload under load ----

def test_reload(c):
    write("r-list.txt", "198.51.100.1\n")
    port = free_udp_port()
    s = Sensor("reload", f"""
lists:
  - name: moving
    file: {path('r-list.txt')}
inputs:
  netflow: {{address: 127.0.0.1, port: {port}, threads: 1}}
output:
  path: {path('r-hits.json')}
""")
    s.start()
    total = 0
    try:
        ex = Exporter(port)
        for round_ in range(6):
            flows = [{"src": "100.64.1.1", "dst": f"198.51.100.{1 + round_ % 2}",
                      "xsrc": "203.0.113.200", "sport": 2000 + k, "dport": 80,
                      "t": T0 + k} for k in range(1500)]
            ex.send(flows[:750])
            write("r-list.txt", f"198.51.100.{1 + (round_ + 1) % 2}\n")
            s.proc.send_signal(signal.SIGHUP)
            ex.send(flows[750:])
            total += len(flows)
        got = s.wait_records(total)
        c.check("no record lost across reloads", got.get("records") == total,
                f"{got.get('records')} vs {total}, drops {got.get('kernel_drops')}")
        c.check("reloads happened", got.get("reloads", 0) >= 1, str(got))
        c.check("no reload failed", got.get("reload_failures") == 0, str(got))
        # after the last reload the list holds .1 again (round 5 -> (5+1)%2 = 0 -> .1)
        before = got.get("hits", 0)
        ex.send([{"src": "100.64.1.1", "dst": "198.51.100.1", "xsrc": "203.0.113.200",
                  "sport": 9, "dport": 80, "t": T0}])
        after = s.wait_records(total + 1)
        c.check("the reloaded list is in force", after.get("hits") == before + 1, str(after))
    finally:
        s.stop()


# ---- (d) vigild ----

def test_vigild(c):
    v = h.Vigild().start()
    try:
        body = b"198.51.100.0/24\n203.0.113.7\n"
        st, _, data = v.request("POST", "/api/v1/feeds/c2-list/versions?date=2026-11-01", body,
                                token=v.admin_token)
        c.check("feed imported", st == 201, data[:300])
        st, hd, data = v.request("GET", "/api/v1/feeds/c2-list/indicators?version=latest",
                                 token=v.admin_token)
        c.check("indicators as text", st == 200 and data.decode().split() ==
                ["198.51.100.0/24", "203.0.113.7"], data[:200])
        etag = hd.get("etag")
        st, _, _ = v.request("GET", "/api/v1/feeds/c2-list/indicators?version=latest",
                             token=v.admin_token, headers={"If-None-Match": etag or ""})
        c.check("same version: 304", st == 304, str(st))
        st, _, _ = v.request("POST", "/api/v1/sightings", b"not json\n", token=v.admin_token)
        c.check("a bad hit is refused", st == 422, str(st))

        tok = write("vigild.token", v.admin_token + "\n")
        write("d-fw.log", "".join(
            f"Nov 20 10:00:{i:02d} fw kernel: IN=eth0 SRC=10.9.0.{i} DST=198.51.100.{i} "
            f"LEN=60 PROTO=TCP SPT=1000 DPT=443\n" for i in range(1, 13)) +
            "Nov 20 10:01:00 fw kernel: IN=eth0 SRC=10.9.0.1 DST=8.8.8.8 LEN=1 PROTO=UDP\n")
        s = Sensor("vd", f"""
lists:
  - name: c2
    vigild_feed: c2-list
vigild:
  url: https://127.0.0.1:{v.port}
  token_file: {tok}
  cacert: {os.path.join(v.data_dir, 'tls', 'vigild.crt')}
  post_hits: true
  post_seconds: 1
inputs:
  files:
    - path: {path('d-fw.log')}
      format: firewall
output:
  path: {path('d-hits.json')}
""")
        s.start()
        s.proc.wait(timeout=60)
        s.stop()
        with open(path("d-hits.json")) as f:
            hits = [json.loads(x) for x in f]
        c.check("sensor wrote 12 hits from the pulled list", len(hits) == 12, str(len(hits)))
        st, _, data = v.request("GET", "/api/v1/sightings?feed=c2&limit=100",
                                token=v.admin_token)
        js = json.loads(data) if st == 200 else {}
        c.check("posted hits appear via GET", js.get("total") == 12, data[:300])
        got = sorted(x["indicator"] for x in js.get("items", []))
        c.check("sightings name the addresses", got == sorted(x["threat.indicator.ip"]
                                                               for x in hits), str(got))
    finally:
        v.stop()
        v.cleanup()


# ---- (e) the walk-through from stored files ----

NFDUMP_HEADER = "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out"


def nfdump_row(local, src, dst, sport, dport):
    """One `nfdump -o csv` row; local is the time as nfdump prints it (UTC+7 here)."""
    return f"{local},{local},0.000,{src},{dst},{sport},{dport},TCP,.A....,0,0,3,180,0,0,1,2"


def test_files_walkthrough(c):
    write("e-botnet.txt", "198.51.100.0/24\n203.0.113.7\n")
    # alice then bob hold 100.64.0.1 (reassigned at 12:00Z), carol holds
    # 100.64.0.2 all day, nobody holds 100.64.0.3.
    day = T0
    write("e-radius.detail",
          radius_record("Start", "alice", "100.64.0.1", "e1", day)
          + radius_record("Start", "carol", "100.64.0.2", "e3", day)
          + radius_record("Stop", "alice", "100.64.0.1", "e1", day + 43200, 43200)
          + radius_record("Start", "bob", "100.64.0.1", "e2", day + 43200)
          + radius_record("Stop", "bob", "100.64.0.1", "e2", day + 86400, 43200)
          + radius_record("Stop", "carol", "100.64.0.2", "e3", day + 86400, 86400))
    rows = [NFDUMP_HEADER,
            nfdump_row("2026-11-20 08:00:00", "100.64.0.1", "198.51.100.9", 40001, 443),  # 2 alice
            nfdump_row("2026-11-20 20:00:00", "100.64.0.1", "198.51.100.9", 40002, 443),  # 3 bob
            nfdump_row("2026-11-20 10:00:00", "100.64.0.2", "203.0.113.7", 40003, 80),  # 4 carol
            nfdump_row("2026-11-20 11:00:00", "100.64.0.3", "198.51.100.20", 40004, 80),  # 5 none
            nfdump_row("2026-11-20 12:00:00", "100.64.0.2", "8.8.8.8", 40005, 53),  # 6 no hit
            nfdump_row("2026-11-20 18:59:59", "100.64.0.1", "198.51.100.9", 40006, 443),  # 7 alice
            nfdump_row("2026-11-20 19:00:00", "100.64.0.1", "203.0.113.7", 40007, 443),  # 8 bob
            "not,a,flow",  # 9 malformed
            "Summary", "flows,bytes,packets,avg_bps,avg_pps,avg_bpp", "7,1260,21,0,0,60"]
    csv = "\n".join(rows) + "\n"
    m = subprocess.run([SENSOR, "match", "--list", "ais-botnet=" + path("e-botnet.txt"),
                        "--format", "nfdump-csv", "--radius", path("e-radius.detail"), "-"],
                       input=csv.encode(), capture_output=True, timeout=60)
    c.check("match from stdin: exit 0", m.returncode == 0, m.stderr.decode())
    with open(path("e-hits.json"), "wb") as f:
        f.write(m.stdout)
    hits = [json.loads(x) for x in m.stdout.decode().splitlines()]
    who = {h_["log.file.line"]: h_.get("user.id") for h_ in hits}
    c.check("match from stdin: the subscriber of each row",
            who == {2: "alice", 3: "bob", 4: "carol", 5: None, 7: "alice", 8: "bob"}, str(who))
    c.check("match from stdin: log.file.path is -",
            all(h_["log.file.path"] == "-" for h_ in hits))
    rep = subprocess.run([SENSOR, "report", "--hits", path("e-hits.json"), "--json"],
                         capture_output=True, timeout=60)
    c.check("report on match's hits: exit 0", rep.returncode == 0, rep.stderr.decode())
    r = json.loads(rep.stdout or b"{}")
    ais = {x["name"]: x for x in r.get("lists", [])}.get("ais-botnet", {})
    c.check("report: 6 hits, 3 listed addresses, 3 subscribers",
            (ais.get("hits"), ais.get("addresses"), ais.get("subscribers")) == (6, 3, 3), str(ais))
    env = dict(os.environ, VIGIL_LANG="en", LANG="C")
    txt = subprocess.run([SENSOR, "report", "--hits", path("e-hits.json")], capture_output=True,
                         timeout=60, env=env).stdout.decode()
    c.check("text report names alice, bob and carol",
            all(u in txt for u in ("alice", "bob", "carol")), txt[:400])
    # Read as UTC instead, row 7 (18:59:59Z) falls in bob's session.
    m = subprocess.run([SENSOR, "match", "--list", path("e-botnet.txt"), "--format",
                        "nfdump-csv", "--radius", path("e-radius.detail"), "--utc-offset",
                        "+00:00", "-"], input=csv.encode(), capture_output=True, timeout=60)
    who = {json.loads(x)["log.file.line"]: json.loads(x).get("user.id")
           for x in m.stdout.decode().splitlines()}
    c.check("--utc-offset +00:00 moves the rows",
            who == {2: "alice", 3: "bob", 4: "carol", 5: None, 7: "bob", 8: "bob"}, str(who))


# ---- (f) counters and (g) rotation ----

def wait_until(sensor, cond, timeout=20):
    deadline = time.monotonic() + timeout
    got = {}
    while time.monotonic() < deadline:
        got = sensor.counters()
        if cond(got):
            return got
        time.sleep(0.2)
    return got


def test_counters_rotation(c):
    write("g-list.txt", "198.51.100.0/24\n")
    long_line = "x" * 70000
    write("g-bad.csv", "\n".join([
        NFDUMP_HEADER,
        nfdump_row("2026-11-20 08:00:00", "100.64.0.1", "198.51.100.200", 1, 2),
        "not,a,flow", long_line]) + "\n")
    rot = path("g-rot.log")
    with open(rot, "w") as f:
        for k in range(1, 4):  # a1..a3: 198.51.100.11..13
            f.write(f"a{k} 198.51.100.{10 + k} padding-to-make-the-first-file-long\n")
    port = free_udp_port()
    s = Sensor("g", f"""
lists:
  - {{name: g, file: {path('g-list.txt')}}}
inputs:
  netflow: {{address: 127.0.0.1, port: {port}, threads: 1}}
  files:
    - {{path: {rot}, format: text, follow: true}}
    - {{path: {path('g-bad.csv')}, format: nfdump-csv}}
output:
  path: {path('g-hits.json')}
""")
    s.start()
    try:
        got = wait_until(s, lambda g: g.get("hits", 0) >= 4)
        c.check("followed file and csv read", got.get("hits") == 4, str(got))
        # rotation by rename; the writer appends one more line to the old file
        os.rename(rot, rot + ".1")
        with open(rot + ".1", "a") as f:
            f.write("a4 198.51.100.14\n")
        with open(rot, "w") as f:
            f.write("b1 198.51.100.21 padding-to-make-this-file-longer-than-what-follows\n"
                    "b2 198.51.100.22 padding-to-make-this-file-longer-than-what-follows\n")
        got = wait_until(s, lambda g: g.get("hits", 0) >= 7)
        c.check("rename: old file finished, new one read", got.get("hits") == 7, str(got))
        # copytruncate: copy, truncate in place, the writer goes on
        with open(rot) as f, open(rot + ".2", "w") as g:
            g.write(f.read())
        with open(rot, "r+") as f:
            f.truncate(0)
        time.sleep(0.5)
        with open(rot, "a") as f:
            f.write("c1 198.51.100.31\n")
        got = wait_until(s, lambda g: g.get("hits", 0) >= 8)
        c.check("copytruncate: read again from the start", got.get("hits") == 8, str(got))

        ex = Exporter(port)
        flows = [{"src": "100.64.2.1", "dst": "198.51.100.40", "xsrc": "203.0.113.250",
                  "sport": 3000 + k, "dport": 80, "t": T0 + k} for k in range(40)]
        ex.send(flows[:20])
        ex.seq += 5  # five export packets lost
        ex.send(flows[20:])
        ex.sock.sendto(ex.packet(flows[:3], template_id=300, with_template=False),
                       ("127.0.0.1", port))
        # Hits are counted after decoding: wait for them too, or the dump
        # can catch the decoder's counters ahead of the engine's.
        got = wait_until(s, lambda g: g.get("nf_unknown_template", 0) >= 1 and
                         g.get("nf_records", 0) >= 40 and g.get("hits", 0) >= 48)
        want = {"nf_packets": 3, "nf_records": 40, "nf_seq_gaps": 1, "nf_seq_lost": 5,
                "nf_unknown_template": 1, "nf_templates_added": 1, "nf_templates_active": 1,
                "nf_malformed": 0, "input_malformed": 1, "input_truncated": 1}
        c.check("SIGUSR1 counters after known traffic",
                all(got.get(k) == v for k, v in want.items()),
                str({k: got.get(k) for k in want}))
        c.check("SIGUSR1 counters name the rest",
                all(k in got for k in ("kernel_drops", "nf_templates_refreshed", "reloads",
                                       "nf_truncated_dgrams", "nf_templates_evicted")), str(got))
        c.check("hits and template refreshes counted",
                got.get("hits") == 48 and got.get("nf_templates_refreshed") == 1, str(got))
        per = [x for x in s.text().splitlines() if 'msg="input counters"' in x and 'g-bad.csv' in x]
        c.check("per-input counters line", bool(per) and "input_malformed=1" in per[-1]
                and "input_truncated=1" in per[-1], per[-1] if per else s.text()[-500:])
    finally:
        s.stop()
    with open(path("g-hits.json")) as f:
        hits = [json.loads(x) for x in f]
    lines = sorted((h_["threat.indicator.ip"], h_["log.file.line"]) for h_ in hits
                   if h_.get("log.file.path") == rot)
    want = sorted([(f"198.51.100.{10 + k}", k) for k in range(1, 5)]
                  + [("198.51.100.21", 1), ("198.51.100.22", 2), ("198.51.100.31", 1)])
    c.check("rotation: every line once, numbered in its own file", lines == want, str(lines))
    c.check("rotation logged twice", s.text().count('msg="input rotated"') == 2, s.text()[-800:])


def main(c):
    for t in (test_match_lines, test_walkthrough, test_reload, test_vigild,
              test_files_walkthrough, test_counters_rotation):
        try:
            t(c)
        except Exception as e:
            import traceback
            traceback.print_exc()
            c.check(t.__name__ + " ran to the end", False, repr(e))


if __name__ == "__main__":
    h.run(main)
