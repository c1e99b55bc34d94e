#!/usr/bin/env python3
"""vigild's HTTP API end to end (docs/api.md): auth, roles, units, systems,
feed imports and their findings, the finding lifecycle, audit, languages.

Expected findings are worked out by hand from the lists written below.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_harness import Vigild, run  # noqa: E402

# Version 1 of the botnet list (CSV). System A (level 4) holds
# 198.51.100.0/24 and 2001:db8:1::/48, system B (level 2) 192.0.2.0/24.
# Hits: .7, .99 and 2001:db8:1::5 in A; 203.0.113.5 is in no system.
LIST_V1 = """ip,first_seen,malware,port
198.51.100.7,2024-01-10,Mirai,23
198.51.100.99,2024-01-11,Emotet,443
203.0.113.5,2024-01-12,Qbot,80
2001:db8:1::5,2024-01-12,Mirai,23
"""
# Version 2 (plain text): .7 listed again (persisting, streak 2),
# 192.0.2.10 new in B, .99 and 2001:db8:1::5 gone (resolved).
LIST_V2 = """# AIS botnet list 2024-02
198.51.100.7
192.0.2.10
203.0.113.5
"""
# Rejected: two of three data lines are bad (over the 1% threshold).
LIST_BAD = """# broken list
198.51.100.7
300.1.1.1
10.0.0.0/33
"""


def main(c):
    d = Vigild().start()
    try:
        body(c, d)
    finally:
        d.cleanup()


def body(c, d):
    admin = d.admin_token
    c.check("admin token file written", admin and len(admin) == 64, repr(admin))

    # --- healthz and metrics need no token
    st, h, doc = d.json("GET", "/healthz")
    c.check("healthz 200", st == 200 and doc == {"status": "ok"}, f"{st} {doc}")
    st, h, raw = d.request("GET", "/metrics")
    text = raw.decode()
    c.check("metrics 200 text/plain", st == 200 and h.get("content-type", "").startswith(
        "text/plain"), f"{st} {h}")
    for name in ("vigil_units 0", "vigil_systems 0", "vigil_feed_versions 0",
                 "vigil_indicators 0", 'vigil_findings{status="open"} 0',
                 "process_start_time_seconds ", 'vigil_http_requests_total{code="200"} '):
        c.check(f"metrics has {name}", name in text)

    # --- 401: no token, wrong token (GET and POST); nothing changes
    bogus = "0" * 64
    for tok in (None, bogus, "not a token at all"):
        for method, path, b in (("GET", "/api/v1/units", None),
                                ("POST", "/api/v1/units", {"name": "Không được tạo"}),
                                ("GET", "/api/v1/audit", None),
                                ("GET", "/api/v1/nonexistent", None)):
            st, h, doc = d.json(method, path, b, token=tok)
            c.check(f"401 {method} {path} token={tok!r:.10}",
                    st == 401 and h.get("www-authenticate", "").startswith("Bearer")
                    and h.get("content-type", "").startswith("application/problem+json")
                    and doc.get("status") == 401, f"{st} {h} {doc}")
    st, _, doc = d.json("GET", "/api/v1/units", token=admin)
    c.check("rejected POSTs changed nothing", st == 200 and doc["items"] == [], f"{doc}")
    st, _, raw = d.request("GET", "/metrics")
    c.check("auth failures counted", "vigil_http_auth_failures_total 12" in raw.decode())

    # --- tokens and roles
    tokens = {}
    for name, role in (("analyst-1", "analyst"), ("viewer-1", "viewer"), ("temp", "analyst")):
        st, _, doc = d.json("POST", "/api/v1/tokens", {"name": name, "role": role}, token=admin)
        c.check(f"token {name} created", st == 201 and len(doc.get("token", "")) == 64 and
                doc.get("role") == role, f"{st} {doc}")
        tokens[name] = doc
    analyst = tokens["analyst-1"]["token"]
    viewer = tokens["viewer-1"]["token"]
    temp = tokens["temp"]
    st, _, doc = d.json("GET", "/api/v1/tokens", token=admin)
    c.check("token list hides secrets", st == 200 and len(doc["items"]) == 4 and
            all("token" not in t for t in doc["items"]), f"{doc}")
    st, _, doc = d.json("POST", "/api/v1/tokens", {"name": "x", "role": "root"}, token=admin)
    c.check("bad role 422", st == 422, f"{st} {doc}")

    # revoked token: works, then revoked, then 401 for GET and POST
    st, _, _ = d.json("GET", "/api/v1/units", token=temp["token"])
    c.check("temp token works", st == 200)
    st, _, _ = d.request("DELETE", f"/api/v1/tokens/{temp['id']}", token=admin)
    c.check("revoke 204", st == 204, f"{st}")
    st, _, _ = d.json("GET", "/api/v1/units", token=temp["token"])
    c.check("revoked GET 401", st == 401, f"{st}")
    st, _, _ = d.json("POST", "/api/v1/units", {"name": "X"}, token=temp["token"])
    c.check("revoked POST 401", st == 401, f"{st}")
    st, _, doc = d.json("GET", "/api/v1/units", token=admin)
    c.check("revoked POST changed nothing", doc["items"] == [], f"{doc}")

    st, _, doc = d.json("POST", "/api/v1/units", {"name": "Viewer unit"}, token=viewer)
    c.check("viewer cannot POST (403)", st == 403 and doc.get("status") == 403, f"{st} {doc}")
    st, _, doc = d.json("GET", "/api/v1/units", token=viewer)
    c.check("viewer can GET", st == 200 and doc["items"] == [], f"{st} {doc}")
    for path in ("/api/v1/tokens", "/api/v1/audit"):
        st, _, _ = d.json("GET", path, token=analyst)
        c.check(f"analyst cannot GET {path}", st == 403, f"{st}")
    st, _, _ = d.json("POST", "/api/v1/tokens", {"name": "y", "role": "admin"}, token=analyst)
    c.check("analyst cannot make tokens", st == 403, f"{st}")

    # --- units
    st, h, root = d.json("POST", "/api/v1/units", {"name": "Bộ Thông tin", "code": "BTT"},
                         token=analyst)
    c.check("unit created", st == 201 and root.get("name") == "Bộ Thông tin" and
            root.get("parent_id") is None and h.get("location") == f"/api/v1/units/{root.get('id')}",
            f"{st} {root} {h}")
    st, _, child = d.json("POST", "/api/v1/units",
                          {"name": "Sở TTTT Hà Nội", "parent_id": root["id"]}, token=analyst)
    c.check("sub-unit created", st == 201 and child.get("parent_id") == root["id"], f"{child}")
    st, _, doc = d.json("GET", "/api/v1/units", token=viewer)
    c.check("two units listed", st == 200 and len(doc["items"]) == 2, f"{doc}")
    st, _, doc = d.json("GET", f"/api/v1/units/{child['id']}", token=viewer)
    c.check("unit by id", st == 200 and doc["name"] == "Sở TTTT Hà Nội", f"{doc}")
    st, _, doc = d.json("GET", "/api/v1/units/9999", token=viewer)
    c.check("unknown unit 404", st == 404, f"{st} {doc}")
    st, _, doc = d.json("POST", "/api/v1/units", {"code": "X"}, token=analyst)
    c.check("unit without name 422", st == 422 and "name" in doc.get("detail", ""), f"{doc}")
    st, _, doc = d.json("POST", "/api/v1/units", "{not json", token=analyst)
    c.check("bad JSON 400", st == 400, f"{st} {doc}")
    st, _, doc = d.json("POST", "/api/v1/units", {"name": "x", "colour": "red"}, token=analyst)
    c.check("unknown field 422", st == 422 and "colour" in doc.get("detail", ""), f"{doc}")
    st, _, doc = d.json("POST", "/api/v1/units", "[" * 100 + "]" * 100, token=analyst)
    c.check("deep JSON 400", st == 400, f"{st} {doc}")
    st, _, doc = d.json("POST", "/api/v1/units", {"name": "x" * 10, "code": "y" * (2 << 20)},
                        token=analyst)
    c.check("JSON over 1 MiB 413", st == 413, f"{st} {doc}")
    st, h, doc = d.json("PATCH", "/api/v1/units", {"name": "x"}, token=analyst)
    c.check("wrong method 405 + Allow", st == 405 and "GET" in h.get("allow", "") and
            "POST" in h.get("allow", ""), f"{st} {h}")
    st, _, doc = d.json("GET", "/api/v1/nothing-here", token=viewer)
    c.check("unknown path 404", st == 404, f"{st}")

    # --- systems
    sys_a = {"name": "Cổng thông tin", "unit_id": child["id"], "level": 4,
             "owner": "Sở TTTT", "operator": "Trung tâm CNTT", "contacts": "soc@example.vn",
             "addresses": ["198.51.100.0/24", "2001:db8:1::/48"]}
    st, _, a = d.json("POST", "/api/v1/systems", sys_a, token=analyst)
    c.check("system A created", st == 201 and a.get("level") == 4 and
            a.get("findings_created") == 0 and a.get("unit_id") == child["id"], f"{st} {a}")
    st, _, b = d.json("POST", "/api/v1/systems",
                      {"name": "Thư điện tử", "unit_id": root["id"], "level": 2,
                       "addresses": ["192.0.2.0/24"]}, token=analyst)
    c.check("system B created", st == 201, f"{st} {b}")
    st, _, doc = d.json("POST", "/api/v1/systems",
                        {"name": "Bad", "unit_id": root["id"], "level": 7,
                         "addresses": ["10.0.0.0/8"]}, token=analyst)
    c.check("level 7 is 422", st == 422, f"{st} {doc}")
    st, _, doc = d.json("POST", "/api/v1/systems",
                        {"name": "Bad", "unit_id": root["id"], "level": 3,
                         "addresses": ["10.0.0.0/33"]}, token=analyst)
    c.check("bad CIDR is 422", st == 422, f"{st} {doc}")
    st, _, doc = d.json("POST", "/api/v1/systems",
                        {"name": "Orphan", "unit_id": 9999, "level": 3, "addresses": []},
                        token=analyst)
    c.check("unknown unit_id is 422", st == 422, f"{st} {doc}")
    st, _, doc = d.json("GET", "/api/v1/systems", token=viewer)
    c.check("two systems", st == 200 and len(doc["items"]) == 2, f"{doc}")
    st, _, doc = d.json("GET", f"/api/v1/systems?unit_id={child['id']}", token=viewer)
    c.check("systems by unit", st == 200 and [s["id"] for s in doc["items"]] == [a["id"]],
            f"{doc}")
    st, _, doc = d.json("GET", f"/api/v1/systems/{a['id']}", token=viewer)
    c.check("system by id", st == 200 and sorted(doc.get("addresses", [])) ==
            ["198.51.100.0/24", "2001:db8:1::/48"], f"{doc}")
    st, _, doc = d.json("GET", "/api/v1/systems?unit_id=abc", token=viewer)
    c.check("bad query parameter 400", st == 400, f"{st}")
    st, _, doc = d.json("DELETE", f"/api/v1/units/{child['id']}", token=analyst)
    c.check("unit with a system: 409", st == 409, f"{st} {doc}")
    st, _, doc = d.json("DELETE", f"/api/v1/units/{root['id']}", token=analyst)
    c.check("unit with sub-units: 409", st == 409, f"{st} {doc}")

    # --- import version 1
    path1 = "/api/v1/feeds/ais-botnet/versions?date=2024-01-15&source=ais-2024-01.csv"
    st, _, imp = d.json("POST", path1, LIST_V1, token=analyst,
                        headers={"Content-Type": "text/csv"})
    c.check("import v1 201", st == 201, f"{st} {imp}")
    c.check("import v1 counts", imp.get("n_indicators") == 4 and imp.get("n_errors") == 0 and
            imp.get("format") == "csv" and imp.get("list_date") == "2024-01-15", f"{imp}")
    c.check("import v1 findings", imp.get("findings") ==
            {"new": 3, "persisting": 0, "reopened": 0, "resolved": 0}, f"{imp.get('findings')}")
    st, _, fl = d.json("GET", "/api/v1/findings?status=open", token=viewer)
    ips = sorted(f["ip"] for f in fl.get("items", []))
    c.check("v1 open findings by hand", st == 200 and fl.get("total") == 3 and
            ips == ["198.51.100.7", "198.51.100.99", "2001:db8:1::5"], f"{fl}")
    c.check("v1 priority 10*4+0", all(f["priority"] == 40 and f["system_id"] == a["id"]
                                      for f in fl.get("items", [])), f"{fl}")
    f7 = next((f for f in fl.get("items", []) if f["ip"] == "198.51.100.7"), {})
    c.check("v1 finding details from the list", f7.get("details", {}).get("malware") == "Mirai"
            and f7.get("details", {}).get("port") == 23, f"{f7}")

    # same date again -> 409, nothing new
    st, _, doc = d.json("POST", path1, LIST_V1, token=analyst)
    c.check("same date 409", st == 409 and doc.get("status") == 409, f"{st} {doc}")
    st, _, vers = d.json("GET", "/api/v1/feeds/ais-botnet/versions", token=viewer)
    c.check("still one version", st == 200 and len(vers.get("items", [])) == 1, f"{vers}")

    # malformed feed -> 422 naming the lines; versions and findings unchanged
    st, _, doc = d.json("POST", "/api/v1/feeds/ais-botnet/versions?date=2024-02-01&format=text",
                        LIST_BAD, token=analyst)
    lines = sorted(e.get("line") for e in doc.get("errors", []))
    c.check("malformed feed 422", st == 422, f"{st} {doc}")
    c.check("422 errors name lines 3 and 4", lines == [3, 4], f"{doc.get('errors')}")
    c.check("422 detail names first bad line", "3" in doc.get("detail", "") and
            "dòng" in doc.get("detail", ""), f"{doc.get('detail')}")
    st, _, vers = d.json("GET", "/api/v1/feeds/ais-botnet/versions", token=viewer)
    c.check("rejected import stored nothing", len(vers.get("items", [])) == 1, f"{vers}")
    st, _, fl2 = d.json("GET", "/api/v1/findings", token=viewer)
    c.check("rejected import changed no finding", fl2.get("total") == 3, f"{fl2}")
    st, _, doc = d.json("POST", "/api/v1/feeds/ais-botnet/versions", LIST_V2, token=analyst)
    c.check("import without date 400", st == 400, f"{st} {doc}")
    st, _, doc = d.json("POST", "/api/v1/feeds/ais-botnet/versions?date=2024-02-30", LIST_V2,
                        token=analyst)
    c.check("import with 30 Feb 400", st == 400, f"{st} {doc}")
    st, _, doc = d.json("POST", "/api/v1/feeds/ais-botnet/versions?date=2024-03-01", LIST_V2,
                        token=viewer)
    c.check("viewer cannot import", st == 403, f"{st}")

    # --- version 2: persisting, new, resolved
    st, _, imp2 = d.json("POST", "/api/v1/feeds/ais-botnet/versions?date=2024-02-15", LIST_V2,
                         token=analyst)
    c.check("import v2 201", st == 201 and imp2.get("format") == "text", f"{st} {imp2}")
    c.check("import v2 findings", imp2.get("findings") ==
            {"new": 1, "persisting": 1, "reopened": 0, "resolved": 2}, f"{imp2.get('findings')}")
    st, _, fl = d.json("GET", "/api/v1/findings?status=open", token=viewer)
    got = [(f["ip"], f["priority"], f["streak"]) for f in fl.get("items", [])]
    c.check("v2 open findings by hand (priority order)",
            got == [("198.51.100.7", 41, 2), ("192.0.2.10", 20, 1)], f"{got}")
    st, _, fl = d.json("GET", "/api/v1/findings?status=resolved", token=viewer)
    c.check("v2 resolved", sorted(f["ip"] for f in fl.get("items", [])) ==
            ["198.51.100.99", "2001:db8:1::5"], f"{fl}")
    st, _, diff = d.json("GET", "/api/v1/feeds/ais-botnet/diff", token=viewer)
    c.check("diff counts", st == 200 and diff.get("counts") ==
            {"new": 1, "persisting": 2, "removed": 2}, f"{diff}")
    st, _, feeds = d.json("GET", "/api/v1/feeds", token=viewer)
    c.check("feed listed", st == 200 and [f["name"] for f in feeds.get("items", [])] ==
            ["ais-botnet"], f"{feeds}")

    # a new system inside listed space is matched at once
    st, _, sc = d.json("POST", "/api/v1/systems",
                       {"name": "Máy chủ dự phòng", "unit_id": root["id"], "level": 5,
                        "addresses": ["203.0.113.0/28"]}, token=analyst)
    c.check("new system matched at once", st == 201 and sc.get("findings_created") == 1,
            f"{st} {sc}")

    # --- finding lifecycle with comments and history
    st, _, fl = d.json("GET", "/api/v1/findings?status=open&ip=198.51.100.7", token=viewer)
    fid = fl["items"][0]["id"] if fl.get("items") else 0
    st, _, doc = d.json("PATCH", f"/api/v1/findings/{fid}", {"status": "in_progress"},
                        token=viewer)
    c.check("viewer cannot PATCH", st == 403, f"{st}")
    st, _, doc = d.json("PATCH", f"/api/v1/findings/{fid}",
                        {"status": "in_progress", "comment": "đang quét máy chủ"}, token=analyst)
    c.check("PATCH in_progress", st == 200 and doc.get("status") == "in_progress", f"{st} {doc}")
    st, _, doc = d.json("PATCH", f"/api/v1/findings/{fid}",
                        {"status": "resolved", "comment": "đã gỡ mã độc"}, token=analyst)
    c.check("PATCH resolved", st == 200 and doc.get("status") == "resolved", f"{st} {doc}")
    st, _, doc = d.json("PATCH", f"/api/v1/findings/{fid}", {"status": "in_progress"},
                        token=analyst)
    c.check("resolved -> in_progress refused 422", st == 422, f"{st} {doc}")
    st, _, doc = d.json("PATCH", f"/api/v1/findings/{fid}", {"status": "done"}, token=analyst)
    c.check("unknown status 422", st == 422, f"{st} {doc}")
    st, _, doc = d.json("PATCH", "/api/v1/findings/99999", {"status": "resolved"}, token=analyst)
    c.check("PATCH unknown finding 404", st == 404, f"{st} {doc}")
    st, _, doc = d.json("GET", f"/api/v1/findings/{fid}", token=viewer)
    hist = [(x.get("actor"), x.get("from"), x.get("to"), x.get("comment"))
            for x in doc.get("history", [])]
    c.check("history records who, moves and comments",
            ("analyst-1", "open", "in_progress", "đang quét máy chủ") in hist and
            ("analyst-1", "in_progress", "resolved", "đã gỡ mã độc") in hist, f"{hist}")

    # --- deletes
    st, _, _ = d.request("DELETE", f"/api/v1/systems/{b['id']}", token=analyst)
    c.check("system deleted 204", st == 204, f"{st}")
    st, _, _ = d.json("GET", f"/api/v1/systems/{b['id']}", token=viewer)
    c.check("deleted system 404", st == 404, f"{st}")

    # --- audit: every change, with the token's name
    st, _, au = d.json("GET", "/api/v1/audit?limit=1000", token=admin)
    items = au.get("items", [])
    seen = {(x.get("actor"), x.get("action"), x.get("object_id")) for x in items}
    want = [
        ("admin", "token.create", tokens["analyst-1"]["id"]),
        ("admin", "token.create", tokens["viewer-1"]["id"]),
        ("admin", "token.revoke", temp["id"]),
        ("analyst-1", "unit.add", root["id"]),
        ("analyst-1", "unit.add", child["id"]),
        ("analyst-1", "system.add", a["id"]),
        ("analyst-1", "system.add", b["id"]),
        ("analyst-1", "system.add", sc.get("id")),
        ("analyst-1", "system.remove", b["id"]),
        ("analyst-1", "finding.update", fid),
        ("analyst-1", "feed.import", imp.get("version_id")),
        ("analyst-1", "feed.import", imp2.get("version_id")),
    ]
    for w in want:
        c.check(f"audit has {w}", w in seen, f"{sorted(seen, key=str)}")
    n_updates = sum(1 for x in items if x.get("action") == "finding.update"
                    and x.get("actor") == "analyst-1")
    c.check("audit has both finding updates", n_updates == 2, f"{n_updates}")
    c.check("no audit entry from a rejected request",
            not any(x.get("actor") in ("viewer-1", "temp") for x in items), f"{items}")

    # --- language of problem details
    st, _, vi = d.json("GET", "/api/v1/units/424242", token=viewer)
    st2, _, en = d.json("GET", "/api/v1/units/424242", token=viewer,
                        headers={"Accept-Language": "en-US,en;q=0.9"})
    c.check("default detail is Vietnamese", st == 404 and "không có đơn vị" in vi["detail"],
            f"{vi}")
    c.check("Accept-Language en gives English", st2 == 404 and
            en["detail"] == "no unit with id 424242", f"{en}")
    st, _, vi = d.json("GET", "/api/v1/units", headers={"Accept-Language": "vi-VN"})
    c.check("401 detail in Vietnamese", st == 401 and "mã truy cập" in vi["detail"], f"{vi}")

    # --- metrics after the work
    st, _, raw = d.request("GET", "/metrics")
    text = raw.decode()
    for name in ("vigil_units 2", "vigil_systems 2", "vigil_feed_versions 2",
                 'vigil_feed_imports_total{result="ok"} 2',
                 'vigil_feed_imports_total{result="conflict"} 1',
                 'vigil_feed_imports_total{result="rejected"} 1',
                 'vigil_http_requests_total{code="403"}', 'vigil_findings{status="resolved"} 3'):
        c.check(f"metrics after work: {name}", name in text, "")

    # --- the log never holds a token
    rc = d.stop()
    c.check("SIGTERM exits 0", rc == 0, f"{rc}")
    logs = d.logs()
    for secret in (admin, analyst, viewer, temp["token"]):
        c.check("no token in the log", secret not in logs)
    c.check("requests logged with actor", "actor=analyst-1" in logs and "status=201" in logs)


if __name__ == "__main__":
    run(main)
