#!/bin/sh
# vigil-agent footprint: RSS when idle and CPU at a steady 500 lines/s, with
# a real vigild on loopback receiving and acknowledging everything.
#   bench/agent/agent_rss.sh BUILD_DIR [SECONDS] [RATE]
# Prints RSS of the collector and of the network process, and CPU time
# (user+sys, from /proc/PID/stat) of both over the loaded window as a share
# of one core. Targets (ARCHITECTURE.md): < 10 MB idle, < 2 % at 500/s.
set -eu
BUILD=${1:?usage: agent_rss.sh BUILD_DIR [SECONDS] [RATE]}
SECS=${2:-30}
RATE=${3:-500}
exec python3 - "$BUILD" "$SECS" "$RATE" <<'PY'
import json, os, shutil, signal, socket, subprocess, sys, tempfile, time

build, secs, rate = os.path.abspath(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
VIGILD = os.path.join(build, "src/server/vigild")
VIGIL = os.path.join(build, "src/cli/vigil")
AGENT = os.path.join(build, "src/agent/vigil-agent")
tck = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid, key="VmRSS:"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1])
    return 0


def pss_kb(pid):
    """Proportional set size: shared library pages split between users."""
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def agent_pids(pid):
    kids = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open("/proc/%s/stat" % p) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        kids.append(int(p))
            except OSError:
                pass
    return [pid] + kids


tmp = tempfile.mkdtemp(prefix="vigil-agent-bench-")
api, ingest = free_port(), free_port()
with open(os.path.join(tmp, "vigild.yaml"), "w") as f:
    f.write("ingest:\n  port: %d\n" % ingest)
srv = subprocess.Popen([VIGILD, "-c", os.path.join(tmp, "vigild.yaml"), "--data-dir",
                        os.path.join(tmp, "srv"), "--listen", "127.0.0.1:%d" % api],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
agent = None
try:
    crt = os.path.join(tmp, "srv", "tls", "vigild.crt")
    tokf = os.path.join(tmp, "srv", "admin.token")
    for _ in range(100):
        if os.path.exists(crt) and os.path.exists(tokf):
            break
        time.sleep(0.1)
    time.sleep(0.5)
    env = dict(os.environ, VIGIL_SERVER="https://127.0.0.1:%d" % api, VIGIL_CACERT=crt,
               VIGIL_TOKEN_FILE=tokf, VIGIL_LANG="en")
    token = json.loads(subprocess.run([VIGIL, "agent", "token", "create", "--json"], env=env,
                                      capture_output=True, text=True, check=True).stdout)["token"]
    fp = subprocess.run(["openssl", "x509", "-in", crt, "-noout", "-fingerprint", "-sha256"],
                        capture_output=True, text=True, check=True).stdout.split("=", 1)[1]
    adir = os.path.join(tmp, "agent")
    subprocess.run([AGENT, "enroll", "--server", "127.0.0.1:%d" % api, "--token", token,
                    "--fingerprint", "SHA256:" + fp.strip(), "--data-dir", adir],
                   check=True, capture_output=True)
    log = os.path.join(tmp, "app.log")
    open(log, "w").close()
    conf = os.path.join(tmp, "agent.yaml")
    with open(conf, "w") as f:
        f.write("data_dir: %s\nlogs:\n  files: [%s]\n" % (adir, log))
    agent = subprocess.Popen([AGENT, "run", "-c", conf], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    time.sleep(8)  # start-up inventory done, connected, idle
    pids = agent_pids(agent.pid)
    idle = [rss_kb(p) for p in pids]
    idle_anon = [rss_kb(p, "RssAnon:") for p in pids]
    idle_pss = [pss_kb(p) for p in pids]
    t0 = [cpu_ticks(p) for p in pids]
    time.sleep(10)
    idle_cpu = sum(cpu_ticks(p) for p in pids) - sum(t0)

    line = "Nov 21 20:30:00 web-01 sshd[1234]: Failed password for invalid user admin from 198.51.100.%d port 52214 ssh2\n"
    c0 = sum(cpu_ticks(p) for p in pids)
    w0 = time.monotonic()
    n = 0
    with open(log, "a", buffering=1) as f:
        while time.monotonic() - w0 < secs:
            f.write(line % (n % 250))
            n += 1
            delay = w0 + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    time.sleep(1)
    wall = time.monotonic() - w0
    busy = sum(cpu_ticks(p) for p in pids) - c0
    loaded = [rss_kb(p) for p in pids]
    print("lines written: %d in %.1f s (%.0f/s)" % (n, secs, n / secs))
    print("idle RSS: collector %.1f MB, network %.1f MB, total %.1f MB" %
          (idle[0] / 1024, sum(idle[1:]) / 1024, sum(idle) / 1024))
    print("idle RSS anonymous (heap, stacks): collector %.1f MB, network %.1f MB" %
          (idle_anon[0] / 1024, sum(idle_anon[1:]) / 1024))
    print("idle PSS (shared pages split): total %.1f MB" % (sum(idle_pss) / 1024))
    print("idle CPU: %.2f %% of one core over 10 s" % (100.0 * idle_cpu / tck / 10))
    print("RSS under load: total %.1f MB" % (sum(loaded) / 1024))
    print("CPU at %.0f lines/s: %.2f s user+sys over %.1f s = %.2f %% of one core" %
          (rate, busy / tck, wall, 100.0 * busy / tck / wall))
finally:
    if agent:
        agent.send_signal(signal.SIGTERM)
        agent.wait(20)
    srv.send_signal(signal.SIGTERM)
    srv.wait(20)
    shutil.rmtree(tmp, ignore_errors=True)
PY
