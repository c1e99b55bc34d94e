#!/usr/bin/env python3
"""Agent enrollment against a real vigild (issue 4).

An admin makes one-time tokens with the CLI; an "agent" (python's ssl plus
a key and CSR made by `openssl req`) enrolls over HTTPS and gets a
certificate that chains to vigild's agent CA. A reused, expired or unknown
token, and a bad CSR, are refused; every refusal is counted in /metrics
and logged without the token; a revoked agent is listed as revoked; the
audit log has the enrollment and the revocation.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_harness import Vigild, free_port, run  # noqa: E402

VIGIL = os.environ.get("VIGIL", "vigil")


def openssl_csr(tmp, name, keyspec):
    key = os.path.join(tmp, name + ".key")
    csr = os.path.join(tmp, name + ".csr")
    subprocess.run(["openssl", "req", "-new", "-newkey", keyspec, "-nodes", "-keyout", key,
                    "-out", csr, "-subj", "/CN=evil-admin"] + (
                        ["-pkeyopt", "ec_paramgen_curve:P-256"] if keyspec == "ec" else []),
                   check=True, capture_output=True, timeout=60)
    with open(csr) as f:
        return key, f.read()


def metric(srv, reason):
    st, _, body = srv.request("GET", "/metrics")
    m = re.search(r'^vigil_enroll_failures_total\{reason="%s"\} (\d+)$' % reason,
                  body.decode(), re.M)
    return int(m.group(1)) if m else -1


def main(c):
    tmp = tempfile.mkdtemp(prefix="vigil-enroll-")
    conf = os.path.join(tmp, "vigild.yaml")
    with open(conf, "w") as f:
        f.write("ingest:\n  port: %d\n  hostnames: [vigil.example.vn]\n" % free_port())
    srv = Vigild(extra_args=["-c", conf]).start()
    try:
        cert = os.path.join(srv.data_dir, "tls", "vigild.crt")
        env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
        env.update(VIGIL_SERVER="https://127.0.0.1:%d" % srv.port, VIGIL_CACERT=cert,
                   VIGIL_TOKEN_FILE=os.path.join(srv.data_dir, "admin.token"), VIGIL_LANG="en")

        def cli(*args):
            p = subprocess.run([VIGIL] + list(args), env=env, capture_output=True, text=True,
                               timeout=60)
            return p.returncode, p.stdout, p.stderr

        cadir = os.path.join(srv.data_dir, "ca")
        c.check("ca dir 0700", os.stat(cadir).st_mode & 0o777 == 0o700)
        c.check("ca key 0600", os.stat(os.path.join(cadir, "ca.key")).st_mode & 0o777 == 0o600)

        rc, out, err = cli("agent", "token", "create", "--note", "web farm", "--json")
        c.check("token create", rc == 0, err)
        tok = json.loads(out)
        token = tok["token"]
        c.check("token is 64 hex", re.fullmatch(r"[0-9a-f]{64}", token) is not None)

        key, csr = openssl_csr(tmp, "a1", "ec")
        body = {"token": token, "csr": csr, "hostname": "web-01"}
        st, _, doc = srv.json("POST", "/api/v1/enroll", body)
        c.check("enroll 201", st == 201, str(doc))
        agent_id = doc.get("agent_id")
        c.check("ingest_port from config", isinstance(doc.get("ingest_port"), int))
        crt = os.path.join(tmp, "a1.crt")
        ca = os.path.join(tmp, "ca.crt")
        with open(crt, "w") as f:
            f.write(doc.get("certificate", ""))
        with open(ca, "w") as f:
            f.write(doc.get("ca", ""))
        v = subprocess.run(["openssl", "verify", "-CAfile", ca, "-purpose", "sslclient", crt],
                           capture_output=True, text=True, timeout=30)
        c.check("certificate chains to the CA", v.returncode == 0, v.stdout + v.stderr)
        subj = subprocess.run(["openssl", "x509", "-in", crt, "-noout", "-subject"],
                              capture_output=True, text=True, timeout=30).stdout
        c.check("CN agent-<id>", ("agent-%s" % agent_id) in subj, subj)
        # The certificate works with the agent's key for a client TLS context.
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        try:
            ctx.load_cert_chain(crt, key)
            c.check("cert matches the agent's key", True)
        except ssl.SSLError as e:
            c.check("cert matches the agent's key", False, str(e))

        # Reuse of the token.
        before = metric(srv, "token_used")
        key2, csr2 = openssl_csr(tmp, "a2", "ec")
        st, _, doc = srv.json("POST", "/api/v1/enroll",
                              {"token": token, "csr": csr2, "hostname": "web-02"})
        c.check("reused token refused", st in (401, 403), str(st))
        c.check("problem+json", isinstance(doc, dict) and "detail" in doc, str(doc))
        c.check("reuse counted", metric(srv, "token_used") == before + 1)

        # Unknown token.
        before = metric(srv, "token_unknown")
        st, _, _ = srv.json("POST", "/api/v1/enroll",
                            {"token": "b" * 64, "csr": csr2, "hostname": "web-02"})
        c.check("unknown token refused", st == 401, str(st))
        c.check("unknown counted", metric(srv, "token_unknown") == before + 1)

        # A bad CSR does not consume the token; a good one then works.
        rc, out, err = cli("agent", "token", "create", "--json")
        t2 = json.loads(out)["token"]
        before = metric(srv, "csr")
        _, weak = openssl_csr(tmp, "weak", "rsa:1024")
        st, _, doc = srv.json("POST", "/api/v1/enroll",
                              {"token": t2, "csr": weak, "hostname": "weak"})
        c.check("1024-bit RSA refused", st == 422, "%s %s" % (st, doc))
        c.check("csr failure counted", metric(srv, "csr") == before + 1)
        st, _, doc = srv.json("POST", "/api/v1/enroll",
                              {"token": t2, "csr": csr2, "hostname": "web-02"})
        c.check("token still usable after a bad CSR", st == 201, str(doc))

        # Expired token (ttl 1 s).
        rc, out, err = cli("agent", "token", "create", "--ttl", "1", "--json")
        t3 = json.loads(out)["token"]
        time.sleep(2.2)
        before = metric(srv, "token_expired")
        st, _, _ = srv.json("POST", "/api/v1/enroll",
                            {"token": t3, "csr": csr2, "hostname": "late"})
        c.check("expired token refused", st in (401, 403), str(st))
        c.check("expiry counted", metric(srv, "token_expired") == before + 1)

        # Malformed body and oversize body.
        before = metric(srv, "bad_request")
        st, _, _ = srv.request("POST", "/api/v1/enroll", "{not json")
        c.check("malformed body refused", st == 400, str(st))
        st, _, _ = srv.request("POST", "/api/v1/enroll", "x" * (70 * 1024))
        c.check("oversize body refused", st == 413, str(st))
        c.check("bad requests counted", metric(srv, "bad_request") == before + 2)

        # Token listing: no secrets, statuses.
        rc, out, err = cli("agent", "token", "list", "--json")
        c.check("token list", rc == 0, err)
        c.check("no secret in token list", token not in out and t2 not in out)
        statuses = [i["status"] for i in json.loads(out)["items"]]
        c.check("token statuses", statuses == ["used", "used", "expired"], str(statuses))
        rc, out, err = cli("agent", "token", "list")
        c.check("token table", rc == 0 and "web farm" in out, out + err)

        # Revoke, list, show.
        rc, out, err = cli("agent", "revoke", str(agent_id))
        c.check("revoke", rc == 0, err)
        rc, out, err = cli("agent", "list", "--json")
        items = {i["id"]: i for i in json.loads(out)["items"]}
        c.check("revoked agent listed as revoked",
                items.get(agent_id, {}).get("status") == "revoked", out)
        c.check("other agent active", any(i["status"] == "active" for i in items.values()))
        rc, out, err = cli("agent", "show", str(agent_id))
        c.check("show (table)", rc == 0 and "web-01" in out and "revoked" in out, out + err)
        env["VIGIL_LANG"] = "vi"
        rc, out, err = cli("agent", "list")
        c.check("list in Vietnamese", rc == 0 and "đã thu hồi" in out, out + err)
        env["VIGIL_LANG"] = "en"
        rc, out, err = cli("agent", "show", "9999")
        c.check("show unknown agent fails", rc != 0)

        # Admin only: a viewer token cannot make enrollment tokens.
        rc, out, err = cli("token", "create", "v", "--role", "viewer", "--json")
        vt = json.loads(out)["token"]
        st, _, _ = srv.json("POST", "/api/v1/agent-tokens", {}, token=vt)
        c.check("viewer cannot create tokens", st == 403, str(st))
        st, _, _ = srv.json("POST", "/api/v1/agents/%d/revoke" % agent_id, None, token=vt)
        c.check("viewer cannot revoke", st == 403, str(st))

        # Audit rows.
        rc, out, err = cli("audit", "--json")
        actions = [i.get("action") for i in json.loads(out)["items"]]
        for a in ("enroll_token.create", "agent.enroll", "agent.revoke"):
            c.check("audit " + a, a in actions, str(actions))

        # The log names refusals and never carries a token.
        logs = srv.logs()
        c.check("refusals logged", logs.count("enrollment refused") >= 6)
        c.check("no token in the log", all(t not in logs for t in (token, t2, t3)))

        # The ingest certificate exists after a restart and the CA is the same.
        with open(os.path.join(cadir, "ca.crt")) as f:
            ca_text = f.read()
        srv.stop()
        srv.start()
        with open(os.path.join(cadir, "ca.crt")) as f:
            c.check("CA kept across restarts", f.read() == ca_text)
    finally:
        srv.cleanup()
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run(main)
