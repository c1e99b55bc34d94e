/* vigild HTTP layer: evhttp over TLS, auth, routing, replies, request log. */
#include "server/http.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <stdarg.h>
#include <sys/queue.h>
#include <stdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "base/buf.h"
#include "base/i18n.h"
#include "base/log.h"
#include "base/str.h"
#include "base/vtime.h"
#include "server/api.h"

#define API_PREFIX     "/api/v1/"
#define API_PREFIX_LEN (sizeof(API_PREFIX) - 1)
#define DETAIL_MAX     1024
#define LOG_PATH_MAX   256

static const struct route routes[] = {
    {EVHTTP_REQ_GET, "units", ROLE_VIEWER, api_units_list},
    {EVHTTP_REQ_POST, "units", ROLE_ANALYST, api_units_create},
    {EVHTTP_REQ_GET, "units/{id}", ROLE_VIEWER, api_units_get},
    {EVHTTP_REQ_DELETE, "units/{id}", ROLE_ANALYST, api_units_delete},
    {EVHTTP_REQ_GET, "systems", ROLE_VIEWER, api_systems_list},
    {EVHTTP_REQ_POST, "systems", ROLE_ANALYST, api_systems_create},
    {EVHTTP_REQ_GET, "systems/{id}", ROLE_VIEWER, api_systems_get},
    {EVHTTP_REQ_DELETE, "systems/{id}", ROLE_ANALYST, api_systems_delete},
    {EVHTTP_REQ_GET, "feeds", ROLE_VIEWER, api_feeds_list},
    {EVHTTP_REQ_POST, "feeds/{name}/versions", ROLE_ANALYST, api_feeds_import},
    {EVHTTP_REQ_GET, "feeds/{name}/versions", ROLE_VIEWER, api_feeds_versions},
    {EVHTTP_REQ_GET, "feeds/{name}/diff", ROLE_VIEWER, api_feeds_diff},
    {EVHTTP_REQ_GET, "findings", ROLE_VIEWER, api_findings_list},
    {EVHTTP_REQ_GET, "findings/{id}", ROLE_VIEWER, api_findings_get},
    {EVHTTP_REQ_PATCH, "findings/{id}", ROLE_ANALYST, api_findings_update},
    {EVHTTP_REQ_GET, "tokens", ROLE_ADMIN, api_tokens_list},
    {EVHTTP_REQ_POST, "tokens", ROLE_ADMIN, api_tokens_create},
    {EVHTTP_REQ_DELETE, "tokens/{id}", ROLE_ADMIN, api_tokens_delete},
    {EVHTTP_REQ_GET, "audit", ROLE_ADMIN, api_audit_list},
    {EVHTTP_REQ_GET, "feeds/{name}/indicators", ROLE_VIEWER, api_feeds_indicators},
    {EVHTTP_REQ_POST, "sightings", ROLE_ANALYST, api_sightings_post},
    {EVHTTP_REQ_GET, "sightings", ROLE_VIEWER, api_sightings_list},
    {EVHTTP_REQ_GET, "events", ROLE_VIEWER, api_events_search},
    {EVHTTP_REQ_GET, "hosts/{id}/inventory", ROLE_VIEWER, api_hosts_inventory},
    {EVHTTP_REQ_GET, "coverage", ROLE_VIEWER, api_coverage},
    {EVHTTP_REQ_POST, "agents/{id}/tasks", ROLE_ANALYST, api_agent_tasks_create},
    {EVHTTP_REQ_GET, "agents/{id}/tasks", ROLE_VIEWER, api_agent_tasks_list},
    {EVHTTP_REQ_POST, "agent-tokens", ROLE_ADMIN, api_agent_tokens_create},
    {EVHTTP_REQ_GET, "agent-tokens", ROLE_ADMIN, api_agent_tokens_list},
    {EVHTTP_REQ_GET, "agents", ROLE_VIEWER, api_agents_list},
    {EVHTTP_REQ_GET, "agents/{id}", ROLE_VIEWER, api_agents_get},
    {EVHTTP_REQ_POST, "agents/{id}/revoke", ROLE_ADMIN, api_agents_revoke},
    {EVHTTP_REQ_POST, "scan-bundles", ROLE_ADMIN, api_scan_bundles_add},
    {EVHTTP_REQ_GET, "scan-bundles", ROLE_VIEWER, api_scan_bundles_list},
    {EVHTTP_REQ_GET, "scans", ROLE_VIEWER, api_scans_list},
    {EVHTTP_REQ_GET, "malware", ROLE_VIEWER, api_malware_list},
    {EVHTTP_REQ_GET, "malware/{id}", ROLE_VIEWER, api_malware_get},
    {EVHTTP_REQ_PATCH, "malware/{id}", ROLE_ANALYST, api_malware_update},
    {EVHTTP_REQ_POST, "malware/{id}/remove", ROLE_ANALYST, api_malware_remove},
    {EVHTTP_REQ_POST, "malware/{id}/restore", ROLE_ANALYST, api_malware_restore},
    {EVHTTP_REQ_GET, "scan-coverage", ROLE_VIEWER, api_scan_coverage},
};

enum role role_parse(const char *s)
{
    if (!s)
        return ROLE_NONE;
    if (strcmp(s, "admin") == 0)
        return ROLE_ADMIN;
    if (strcmp(s, "analyst") == 0)
        return ROLE_ANALYST;
    if (strcmp(s, "viewer") == 0)
        return ROLE_VIEWER;
    return ROLE_NONE;
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

/* Match path segments against a pattern; captures into m. */
static bool match(const char *pat, const char *path, struct route_match *m)
{
    for (;;) {
        const char *pe = strchr(pat, '/');
        const char *se = strchr(path, '/');
        size_t pl = pe ? (size_t)(pe - pat) : strlen(pat);
        size_t sl = se ? (size_t)(se - path) : strlen(path);

        if (pl == 4 && memcmp(pat, "{id}", 4) == 0) {
            if (str_to_i64(path, sl, 1, INT64_MAX, &m->id) < 0)
                return false;
        } else if (pl == 6 && memcmp(pat, "{name}", 6) == 0) {
            if (sl == 0 || sl > HTTP_NAME_MAX)
                return false;
            for (size_t i = 0; i < sl; i++)
                if (!name_char(path[i]))
                    return false;
            memcpy(m->name, path, sl);
            m->name[sl] = '\0';
        } else if (pl != sl || memcmp(pat, path, pl) != 0) {
            return false;
        }
        pat += pl;
        path += sl;
        if (*pat == '\0')
            return *path == '\0';
        if (*path != '/')
            return false;
        pat++;
        path++;
    }
}

enum route_status route_find(const char *path, enum evhttp_cmd_type method, struct route_match *ret)
{
    struct route_match m;
    bool any = false;

    memset(ret, 0, sizeof(*ret));
    if (!path || strncmp(path, API_PREFIX, API_PREFIX_LEN) != 0)
        return ROUTE_NO_PATH;
    path += API_PREFIX_LEN;
    for (size_t i = 0; i < ARRAY_SIZE(routes); i++) {
        memset(&m, 0, sizeof(m));
        if (!match(routes[i].pattern, path, &m))
            continue;
        any = true;
        ret->allow |= (unsigned)routes[i].method;
        if (routes[i].method == method && !ret->route) {
            ret->route = &routes[i];
            ret->id = m.id;
            memcpy(ret->name, m.name, sizeof(m.name));
        }
    }
    if (ret->route)
        return ROUTE_FOUND;
    return any ? ROUTE_NO_METHOD : ROUTE_NO_PATH;
}

bool json_depth_ok(const char *p, size_t len, unsigned max_depth)
{
    unsigned depth = 0;
    bool in_str = false;

    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth)
                return false;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return true;
}

const char *http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Content Too Large";
    case 422:
        return "Unprocessable Content";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

json_t *problem_new(int status, const char *detail, json_t *extra)
{
    json_t *p = json_pack("{s:s, s:s, s:i, s:s}", "type", "about:blank", "title",
                          http_reason(status), "status", status, "detail", detail ? detail : "");
    if (!p)
        abort();
    if (extra) {
        json_object_update_missing(p, extra);
        json_decref(extra);
    }
    return p;
}

/* --- Replies. */

static const char *method_name(enum evhttp_cmd_type m)
{
    switch (m) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_OPTIONS:
        return "OPTIONS";
    case EVHTTP_REQ_TRACE:
        return "TRACE";
    case EVHTTP_REQ_CONNECT:
        return "CONNECT";
    case EVHTTP_REQ_PATCH:
        return "PATCH";
    }
    return "?";
}

/* One log line and the counters; called before the reply is handed over. */
static void finish(struct req *r, int status, size_t bytes)
{
    char st[16], by[24], ms[32], path[LOG_PATH_MAX + 1];
    uint64_t dt = vtime_mono_ns() - r->t0_ns;
    size_t pl = r->path ? strlen(r->path) : 0;

    r->status = status;
    r->bytes = bytes;
    metrics_count_request(&r->srv->metrics, status);
    if (pl > LOG_PATH_MAX)
        pl = LOG_PATH_MAX;
    if (pl)
        memcpy(path, r->path, pl);
    path[pl] = '\0';
    snprintf(st, sizeof(st), "%d", status);
    snprintf(by, sizeof(by), "%zu", bytes);
    snprintf(ms, sizeof(ms), "%llu.%03llu", (unsigned long long)(dt / 1000000),
             (unsigned long long)(dt / 1000 % 1000));
    log_kv(status >= 500 ? LOG_LVL_ERROR : LOG_LVL_INFO, "request", "method",
           method_name(r->method), "path", path, "status", st, "bytes", by, "duration_ms", ms,
           "actor", r->actor.name[0] ? r->actor.name : "-", NULL);
}

static void free_body(const void *data, size_t len UNUSED, void *arg UNUSED)
{
    free((void *)data);
}

/* Send body (malloc'd, stolen; may be NULL) with the given type. */
static void send_reply(struct req *r, int status, const char *ctype, char *body, size_t len)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);

    if (r->status) { /* answered already: a handler bug, never a second reply */
        free(body);
        return;
    }
    if (ctype)
        evhttp_add_header(h, "Content-Type", ctype);
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    if (body && len) {
        struct evbuffer *out = evhttp_request_get_output_buffer(r->ev);
        if (evbuffer_add_reference(out, body, len, free_body, NULL) < 0) {
            free(body);
            len = 0;
        }
    } else {
        free(body);
        len = 0;
    }
    finish(r, status, len);
    evhttp_send_reply(r->ev, status, http_reason(status), NULL);
}

static void reply_value(struct req *r, int status, const char *ctype, json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    if (!s) {
        send_reply(r, 500, NULL, NULL, 0);
        return;
    }
    send_reply(r, status, ctype, s, strlen(s));
}

void reply_json(struct req *r, int status, json_t *v)
{
    reply_value(r, status, "application/json; charset=utf-8", v);
}

void reply_empty(struct req *r, int status)
{
    send_reply(r, status, NULL, NULL, 0);
}

void reply_body(struct req *r, int status, const char *ctype, char *body, size_t len)
{
    send_reply(r, status, ctype, body, len);
}

static void reply_problem_detail(struct req *r, int status, json_t *extra, const char *detail)
{
    reply_value(r, status, "application/problem+json; charset=utf-8",
                problem_new(status, detail, extra));
}

void reply_problem(struct req *r, int status, json_t *extra, const char *fmt, ...)
{
    char detail[DETAIL_MAX];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(detail, sizeof(detail), _(fmt), ap);
    va_end(ap);
    if (n < 0)
        detail[0] = '\0';
    reply_problem_detail(r, status, extra, detail);
}

void reply_store_error(struct req *r, int rc, const struct verr *err)
{
    const char *msg = err && err->msg[0] ? err->msg : NULL;

    switch (rc) {
    case -EINVAL:
        reply_problem_detail(r, 422, NULL, msg ? msg : _("invalid value"));
        return;
    case -ENOENT:
        reply_problem_detail(r, 404, NULL, msg ? msg : _("no such object"));
        return;
    case -EEXIST:
    case -EBUSY:
        reply_problem_detail(r, 409, NULL, msg ? msg : _("conflict with the stored data"));
        return;
    default:
        log_kv(LOG_LVL_ERROR, "store error", "path", r->path, "error", msg ? msg : strerror(-rc),
               NULL);
        reply_problem(r, 500, NULL, "internal error; the server log has the details");
        return;
    }
}

void reply_query_result(struct req *r, int rc, json_t *res, const struct verr *err)
{
    if (rc == -EINVAL)
        reply_problem(r, 400, NULL, "%s", err->msg);
    else if (rc < 0)
        reply_store_error(r, rc, err);
    else
        reply_json(r, 200, res);
}

/* --- Request input. */

int req_fields_known(struct req *r, json_t *o, const char *const *allowed)
{
    const char *key;
    json_t *v;

    json_object_foreach(o, key, v)
    {
        bool ok = false;
        for (size_t i = 0; allowed[i]; i++)
            if (strcmp(key, allowed[i]) == 0)
                ok = true;
        if (!ok) {
            reply_problem(r, 422, NULL, "unknown field '%.64s'", key);
            return -EINVAL;
        }
    }
    return 0;
}

int req_missing(struct req *r, const char *key)
{
    reply_problem(r, 422, NULL, "field '%s' is required", key);
    return -EINVAL;
}

int req_status_change(struct req *r, size_t comment_max, json_t **ret_o, const char **ret_status,
                      const char **ret_comment)
{
    static const char *const fields[] = {"status", "comment", NULL};
    int rc;

    *ret_o = NULL;
    *ret_status = *ret_comment = NULL;
    if ((rc = req_json_object(r, ret_o)) < 0)
        return rc;
    if ((rc = req_fields_known(r, *ret_o, fields)) < 0 ||
        (rc = req_field_str(r, *ret_o, "status", 32, ret_status)) < 0 ||
        (rc = req_field_str(r, *ret_o, "comment", comment_max, ret_comment)) < 0)
        return rc;
    return *ret_status ? 0 : req_missing(r, "status");
}

int req_json_object(struct req *r, json_t **ret)
{
    json_error_t je;
    json_t *v;
    size_t cap = r->srv->cfg->max_json_bytes;

    if (r->body_len > cap) {
        reply_problem(r, 413, NULL, "request body larger than %zu bytes", cap);
        return -E2BIG;
    }
    if (r->body_len == 0) {
        reply_problem(r, 400, NULL, "a JSON object is required as the request body");
        return -EINVAL;
    }
    if (!json_depth_ok((const char *)r->body, r->body_len, HTTP_JSON_MAX_DEPTH)) {
        reply_problem(r, 400, NULL, "JSON nested deeper than %d levels", HTTP_JSON_MAX_DEPTH);
        return -EINVAL;
    }
    v = json_loadb((const char *)r->body, r->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!v) {
        reply_problem(r, 400, NULL, "bad JSON at line %d, column %d: %s", je.line, je.column,
                      je.text);
        return -EINVAL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        reply_problem(r, 400, NULL, "a JSON object is required as the request body");
        return -EINVAL;
    }
    *ret = v;
    return 0;
}

const char *req_query(struct req *r, const char *key)
{
    return evhttp_find_header(&r->query, key);
}

int req_query_u64(struct req *r, const char *key, uint64_t max, uint64_t *ret)
{
    const char *v = req_query(r, key);
    uint64_t n;

    if (!v)
        return 0;
    if (str_to_u64(v, strlen(v), max, &n) < 0) {
        reply_problem(r, 400, NULL, "query parameter '%s' must be a whole number from 0 to %llu",
                      key, (unsigned long long)max);
        return -EINVAL;
    }
    *ret = n;
    return 1;
}

int req_field_str(struct req *r, json_t *o, const char *key, size_t max, const char **ret)
{
    json_t *v = json_object_get(o, key);

    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        reply_problem(r, 422, NULL, "field '%s' must be a string", key);
        return -EINVAL;
    }
    if (json_string_length(v) > max || memchr(json_string_value(v), '\0', json_string_length(v))) {
        reply_problem(r, 422, NULL, "field '%s' must be text of at most %zu bytes", key, max);
        return -EINVAL;
    }
    *ret = json_string_value(v);
    return 1;
}

int req_field_int(struct req *r, json_t *o, const char *key, int64_t min, int64_t max, int64_t *ret)
{
    json_t *v = json_object_get(o, key);

    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        reply_problem(r, 422, NULL, "field '%s' must be a whole number from %lld to %lld", key,
                      (long long)min, (long long)max);
        return -EINVAL;
    }
    *ret = (int64_t)json_integer_value(v);
    return 1;
}

/* --- Dispatch. */

/* The bearer token of the request: 1 found (copied to out), 0 none or malformed. */
static int bearer(struct evhttp_request *ev, char out[static HTTP_TOKEN_MAX + 1])
{
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(ev), "Authorization");
    size_t len;

    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return 0;
    h += 7;
    while (*h == ' ')
        h++;
    len = strlen(h);
    while (len > 0 && h[len - 1] == ' ')
        len--;
    if (len == 0 || len > HTTP_TOKEN_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (h[i] <= ' ' || h[i] > '~')
            return 0;
    memcpy(out, h, len);
    out[len] = '\0';
    return 1;
}

static void reply_unauthorized(struct req *r, bool had_token)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);

    r->srv->metrics.auth_failures++;
    evhttp_add_header(h, "WWW-Authenticate",
                      had_token ? "Bearer error=\"invalid_token\"" : "Bearer");
    if (had_token)
        reply_problem(r, 401, NULL, "the API token is unknown or revoked");
    else
        reply_problem(r, 401, NULL, "an API token is required (Authorization: Bearer TOKEN)");
}

static void add_allow(struct req *r, unsigned allow)
{
    static const enum evhttp_cmd_type order[] = {EVHTTP_REQ_GET, EVHTTP_REQ_POST, EVHTTP_REQ_PATCH,
                                                 EVHTTP_REQ_DELETE};
    char list[64] = "";
    size_t n = 0;

    for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
        if (!(allow & (unsigned)order[i]))
            continue;
        int k = snprintf(list + n, sizeof(list) - n, "%s%s", n ? ", " : "", method_name(order[i]));
        if (k < 0 || (size_t)k >= sizeof(list) - n)
            break;
        n += (size_t)k;
    }
    evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Allow", list);
}

static void handle_api(struct req *r)
{
    char token[HTTP_TOKEN_MAX + 1];
    struct route_match m;
    enum route_status st;

    if (strcmp(r->path, API_PREFIX "enroll") == 0) {
        api_enroll(r); /* no bearer token: the enrollment token is in the body */
        return;
    }
    if (!bearer(r->ev, token)) {
        bool present =
            evhttp_find_header(evhttp_request_get_input_headers(r->ev), "Authorization") != NULL;
        reply_unauthorized(r, present);
        return;
    }
    int rc = store_token_check(r->srv->store, token, &r->actor);
    OPENSSL_cleanse(token, sizeof(token));
    if (rc < 0) {
        memset(&r->actor, 0, sizeof(r->actor));
        reply_unauthorized(r, true);
        return;
    }
    r->actor.name[sizeof(r->actor.name) - 1] = '\0';
    r->actor.role[sizeof(r->actor.role) - 1] = '\0';
    r->role = role_parse(r->actor.role);
    if (r->role == ROLE_NONE) {
        reply_problem(r, 403, NULL, "the token's role '%s' is not known", r->actor.role);
        return;
    }

    st = route_find(r->path, r->method, &m);
    if (st == ROUTE_NO_PATH) {
        reply_problem(r, 404, NULL, "no such resource: %s", r->path);
        return;
    }
    if (st == ROUTE_NO_METHOD) {
        add_allow(r, m.allow);
        reply_problem(r, 405, NULL, "method %s is not allowed here", method_name(r->method));
        return;
    }
    if (r->role < m.route->role) {
        reply_problem(r, 403, NULL, "the role '%s' may not do this", r->actor.role);
        return;
    }
    r->id = m.id;
    memcpy(r->name, m.name, sizeof(r->name));

    if (r->method == EVHTTP_REQ_POST || r->method == EVHTTP_REQ_PATCH) {
        struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
        size_t len = evbuffer_get_length(in);
        if (len > r->srv->cfg->max_body_bytes) {
            reply_problem(r, 413, NULL, "request body larger than %zu bytes",
                          r->srv->cfg->max_body_bytes);
            return;
        }
        /* One linearising copy at most; the parsers read it in place. */
        r->body = len ? evbuffer_pullup(in, -1) : (const uint8_t *)"";
        r->body_len = len;
        if (!r->body) {
            reply_problem(r, 500, NULL, "internal error; the server log has the details");
            return;
        }
    }
    m.route->fn(r);
    if (!r->status) {
        log_kv(LOG_LVL_ERROR, "handler did not answer", "path", r->path, NULL);
        reply_problem(r, 500, NULL, "internal error; the server log has the details");
    }
}

static void handle_healthz(struct req *r)
{
    if (r->method != EVHTTP_REQ_GET && r->method != EVHTTP_REQ_HEAD) {
        add_allow(r, EVHTTP_REQ_GET);
        reply_problem(r, 405, NULL, "method %s is not allowed here", method_name(r->method));
        return;
    }
    if (store_schema_version(r->srv->store) <= 0) {
        reply_problem(r, 503, NULL, "the store does not answer");
        return;
    }
    reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

static void handle_metrics(struct req *r)
{
    struct buf b = BUF_INIT(1 << 20);
    json_t *stats;
    char *text;
    size_t len;

    if (r->method != EVHTTP_REQ_GET) {
        add_allow(r, EVHTTP_REQ_GET);
        reply_problem(r, 405, NULL, "method %s is not allowed here", method_name(r->method));
        return;
    }
    stats = store_stats(r->srv->store);
    /* Count this request before rendering so the scrape includes itself. */
    int rc = metrics_render(&r->srv->metrics, stats, &b);
    json_decref(stats);
    if (rc < 0) {
        buf_release(&b);
        reply_problem(r, 500, NULL, "internal error; the server log has the details");
        return;
    }
    text = buf_detach(&b, &len);
    send_reply(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}

static void on_request(struct evhttp_request *ev, void *arg)
{
    struct server *srv = arg;
    struct evhttp_connection *con = evhttp_request_get_connection(ev);
    struct bufferevent *bev = con ? evhttp_connection_get_bufferevent(con) : NULL;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
    const char *lang_h, *q;
    struct req r;

    /* Only TLS connections are served (a plain one exists only if making
     * the TLS session failed). */
    if (!bev || !bufferevent_openssl_get_ssl(bev)) {
        evhttp_send_error(ev, 400, NULL);
        return;
    }

    memset(&r, 0, sizeof(r));
    r.srv = srv;
    r.ev = ev;
    r.t0_ns = vtime_mono_ns();
    r.method = evhttp_request_get_command(ev);
    TAILQ_INIT(&r.query);
    r.path = uri ? evhttp_uri_get_path(uri) : NULL;
    if (!r.path || !*r.path)
        r.path = "/";

    lang_h = evhttp_find_header(evhttp_request_get_input_headers(ev), "Accept-Language");
    i18n_set(lang_h ? i18n_parse(lang_h) : srv->lang);

    q = uri ? evhttp_uri_get_query(uri) : NULL;
    if (q && evhttp_parse_query_str(q, &r.query) < 0) {
        reply_problem(&r, 400, NULL, "the query string is malformed");
    } else if (strcmp(r.path, "/healthz") == 0) {
        handle_healthz(&r);
    } else if (strcmp(r.path, "/metrics") == 0) {
        handle_metrics(&r);
    } else if (strncmp(r.path, API_PREFIX, API_PREFIX_LEN) == 0 || strcmp(r.path, "/api/v1") == 0) {
        handle_api(&r);
    } else {
        reply_problem(&r, 404, NULL, "no such resource: %s", r.path);
    }
    evhttp_clear_headers(&r.query);
    i18n_set(srv->lang);
}

/* --- Connections: TLS sessions and the connection limit. */

static int conn_index = -1;

static void pause_accepting(struct server *srv, bool pause)
{
    struct evconnlistener *l = srv->bound ? evhttp_bound_socket_get_listener(srv->bound) : NULL;
    if (!l || pause == srv->paused)
        return;
    if (pause) {
        evconnlistener_disable(l);
        log_kv(LOG_LVL_WARN, "connection limit reached; not accepting", NULL);
    } else {
        evconnlistener_enable(l);
    }
    srv->paused = pause;
}

/* Called by OpenSSL when a connection's SSL object is freed. */
static void conn_gone(void *parent UNUSED, void *ptr, CRYPTO_EX_DATA *ad UNUSED, int idx UNUSED,
                      long argl UNUSED, void *argp UNUSED)
{
    struct server *srv = ptr;
    if (!srv)
        return;
    if (srv->n_conns > 0)
        srv->n_conns--;
    if (srv->http && srv->n_conns < srv->cfg->max_connections)
        pause_accepting(srv, false);
}

static struct bufferevent *make_bev(struct event_base *base, void *arg)
{
    struct server *srv = arg;
    SSL *ssl = SSL_new(srv->ssl);
    struct bufferevent *bev;

    if (!ssl)
        return NULL; /* evhttp falls back to plain; on_request refuses it */
    SSL_set_ex_data(ssl, conn_index, srv);
    srv->n_conns++;
    if (srv->n_conns >= srv->cfg->max_connections)
        pause_accepting(srv, true);
    bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                         BEV_OPT_CLOSE_ON_FREE);
    return bev;
}

int http_start(struct server *srv, const char *host, uint16_t port, struct verr *err)
{
    const struct config *cfg = srv->cfg;

    if (conn_index < 0) {
        conn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_gone);
        if (conn_index < 0)
            return verr_set(err, -ENOMEM, "cannot set up TLS sessions");
    }
    srv->http = evhttp_new(srv->base);
    if (!srv->http)
        return verr_set(err, -ENOMEM, "cannot set up the HTTP server");
    evhttp_set_bevcb(srv->http, make_bev, srv);
    evhttp_set_gencb(srv->http, on_request, srv);
    evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                                              EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE);
    evhttp_set_max_headers_size(srv->http, (ev_ssize_t)cfg->max_header_bytes);
    evhttp_set_max_body_size(srv->http, (ev_ssize_t)cfg->max_body_bytes);
    evhttp_set_timeout(srv->http, (int)cfg->timeout_seconds);
    evhttp_set_default_content_type(srv->http, "application/json; charset=utf-8");
    srv->bound = evhttp_bind_socket_with_handle(srv->http, host, port);
    if (!srv->bound) {
        int e = errno ? errno : EADDRINUSE;
        evhttp_free(srv->http);
        srv->http = NULL;
        return verr_set(err, -e, "cannot listen on %s port %u: %s", host, (unsigned)port,
                        strerror(e));
    }
    /* Accepted sockets inherit TCP_NODELAY from the listener on Linux. Without it a
     * response written as several TLS records waits for the client's delayed ACK
     * (40 ms a request on keep-alive connections). */
    int one = 1;
    (void)setsockopt(evhttp_bound_socket_get_fd(srv->bound), IPPROTO_TCP, TCP_NODELAY, &one,
                     sizeof(one));
    return 0;
}

void http_stop(struct server *srv)
{
    struct evhttp *h = srv->http;
    if (!h)
        return;
    srv->http = NULL; /* conn_gone must not re-enable the listener */
    srv->bound = NULL;
    evhttp_free(h);
}
