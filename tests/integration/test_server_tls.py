#!/usr/bin/env python3
"""vigild's TLS and first start: generated certificate and key, the admin
token file, no plain HTTP, --check-config, clean stop and restart."""
import hashlib
import os
import re
import shutil
import socket
import ssl
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_harness import VIGILD, Vigild, run  # noqa: E402


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def check_config(c, text, want_rc, want_in=None, name="config"):
    tmp = tempfile.mkdtemp(prefix="vigil-cfg-")
    try:
        path = os.path.join(tmp, "vigild.yaml")
        with open(path, "w") as f:
            f.write(text.replace("@DIR@", tmp))
        p = subprocess.run([VIGILD, "-c", path, "--check-config"], capture_output=True,
                           timeout=30, env=dict(os.environ, VIGIL_LANG="en"))
        out = (p.stdout + p.stderr).decode("utf-8", "replace")
        c.check(f"--check-config {name}: exit {want_rc}", p.returncode == want_rc,
                f"rc={p.returncode} {out}")
        if want_in:
            want = want_in.replace("@PATH@", path)
            c.check(f"--check-config {name}: message has {want!r}", want in out, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(c):
    d = Vigild().start()
    try:
        body(c, d)
    finally:
        d.cleanup()


def body(c, d):
    tls = os.path.join(d.data_dir, "tls")
    key, cert = os.path.join(tls, "vigild.key"), os.path.join(tls, "vigild.crt")
    tok = os.path.join(d.data_dir, "admin.token")
    c.check("key file is 0600", mode(key) == 0o600, oct(mode(key)))
    c.check("admin.token is 0600", mode(tok) == 0o600, oct(mode(tok)))
    c.check("tls dir is 0700", mode(tls) == 0o700, oct(mode(tls)))
    with open(tok) as f:
        token = f.read().strip()
    c.check("token is 64 hex chars", re.fullmatch(r"[0-9a-f]{64}", token) is not None)

    # the logged fingerprint is the certificate's SHA-256
    with open(cert) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    fp = ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
    logs = d.logs()
    c.check("fingerprint logged", f"sha256={fp}" in logs, logs)
    c.check("admin token path logged, token not", "admin token written" in logs and
            tok in logs and token not in logs, logs)

    # verified TLS (the context trusts only the generated certificate) by IP
    # and by name; TLS 1.3 is chosen when the client offers it
    for host in ("127.0.0.1", "localhost"):
        ctx = ssl.create_default_context(cafile=cert)
        with socket.create_connection(("127.0.0.1", d.port), timeout=10) as s:
            with ctx.wrap_socket(s, server_hostname=host) as t:
                c.check(f"TLS 1.3 verified as {host}", t.version() == "TLSv1.3", t.version())
    ctx = ssl.create_default_context(cafile=cert)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", d.port), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
            c.check("TLS 1.2 still accepted", t.version() == "TLSv1.2", t.version())

    # plain HTTP to the port gets no HTTP answer
    with socket.create_connection(("127.0.0.1", d.port), timeout=10) as s:
        s.settimeout(10)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        data = b""
        try:
            while len(data) < 4096:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    c.check("plain HTTP is not served", not data.startswith(b"HTTP/") and b"ok" not in data,
            repr(data[:100]))
    # the server still answers TLS afterwards
    st, _, _ = d.request("GET", "/healthz")
    c.check("healthz after the plain attempt", st == 200, f"{st}")

    # SIGTERM stops cleanly; a restart keeps the token and certificate
    rc = d.stop()
    c.check("SIGTERM exit 0", rc == 0, f"{rc}")
    c.check("stop logged", "stopping" in d.logs())
    d2 = Vigild(data_dir=d.data_dir).start()
    try:
        with open(tok) as f:
            c.check("restart keeps the admin token", f.read().strip() == token)
        with open(cert) as f:
            c.check("restart keeps the certificate",
                    ssl.PEM_cert_to_DER_cert(f.read()) == der)
        c.check("restart makes no new token", "admin token written" not in d2.logs(),
                d2.logs())
        st, _, doc = d2.json("GET", "/api/v1/units", token=token)
        c.check("old token works after restart", st == 200, f"{st} {doc}")
    finally:
        d2.stop()

    # --check-config
    check_config(c, "listen: 127.0.0.1:9443\ndata_dir: @DIR@\n", 0, "valid", "good")
    check_config(c, "listen: 127.0.0.1:9443\nlimits:\n  max_body_bytes: lots\n", 2,
                 "@PATH@:3:", "bad value")
    check_config(c, "data_dir: /tmp\n\n\n\nlisten_on: 1.2.3.4:5\n", 2, "@PATH@:5:",
                 "unknown key")
    check_config(c, "tls:\n  cert: @DIR@/none.crt\n  key: @DIR@/none.key\n", 2, "none.crt",
                 "missing TLS files")
    check_config(c, f"tls:\n  cert: {cert}\n  key: {key}\n", 0, None, "configured TLS pair")
    p = subprocess.run([VIGILD, "--no-such-flag"], capture_output=True, timeout=30)
    c.check("unknown flag exits 2", p.returncode == 2, f"{p.returncode}")
    p = subprocess.run([VIGILD, "--version"], capture_output=True, timeout=30)
    c.check("--version", p.returncode == 0 and p.stdout.startswith(b"vigild "), f"{p}")


if __name__ == "__main__":
    run(main)
