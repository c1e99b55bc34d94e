/*
 * vigild's HTTP layer: evhttp over TLS, authentication, routing, request
 * bodies and replies (JSON, RFC 9457 problem+json), one log line a request.
 *
 * Handlers (api_*.c) get a struct req already authenticated and routed, and
 * answer it exactly once with one of the reply_*() functions.
 */
#ifndef VIGIL_SERVER_HTTP_H
#define VIGIL_SERVER_HTTP_H

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "base/common.h"
#include "base/err.h"
#include "server/server.h"
#include "store/store.h"

/* Deepest nesting accepted in a JSON request body. */
#define HTTP_JSON_MAX_DEPTH 32
/* Longest bearer token accepted before the store is asked. */
#define HTTP_TOKEN_MAX 256
#define HTTP_NAME_MAX  64

enum role { ROLE_NONE = 0, ROLE_VIEWER, ROLE_ANALYST, ROLE_ADMIN };
/* "viewer", "analyst", "admin" -> role; ROLE_NONE for anything else. */
enum role role_parse(const char *s);

struct req {
    struct server *srv;
    struct evhttp_request *ev;
    enum evhttp_cmd_type method;
    const char *path; /* without the query */
    struct evkeyvalq query;
    int64_t id;                   /* the {id} path segment, 0 if none */
    char name[HTTP_NAME_MAX + 1]; /* the {name} path segment, "" if none */
    struct actor actor;           /* the token's identity */
    enum role role;
    const uint8_t *body; /* the request body, contiguous (POST, PATCH) */
    size_t body_len;
    int status; /* answered with, 0 until then */
    size_t bytes;
    uint64_t t0_ns;
};

typedef void (*route_fn)(struct req *r);

struct route {
    enum evhttp_cmd_type method;
    const char *pattern; /* after /api/v1/, segments; "{id}" and "{name}" capture */
    enum role role;      /* the least role allowed */
    route_fn fn;
};

enum route_status { ROUTE_FOUND, ROUTE_NO_PATH, ROUTE_NO_METHOD };

struct route_match {
    const struct route *route;
    int64_t id;
    char name[HTTP_NAME_MAX + 1];
    unsigned allow; /* methods the path allows (evhttp_cmd_type bits) */
};

/* Find the route for path (starting "/api/v1/") and method. */
enum route_status route_find(const char *path, enum evhttp_cmd_type method,
                             struct route_match *ret);

/* True if (p, len) nests arrays/objects at most max_depth deep (strings and
 * escapes are skipped). A cheap bound before the JSON parser runs. */
bool json_depth_ok(const char *p, size_t len, unsigned max_depth);

/* Build an RFC 9457 problem object: type, title, status, detail; the fields
 * of extra (may be NULL, stolen) are added. */
json_t *problem_new(int status, const char *detail, json_t *extra);
/* The standard reason phrase of an HTTP status. */
const char *http_reason(int status);

/* Set up evhttp on srv->base with TLS (srv->ssl), limits from srv->cfg, and
 * bind host:port. Returns 0 or a negative code with err set. */
int http_start(struct server *srv, const char *host, uint16_t port, struct verr *err) WUR;
/* Stop accepting and free evhttp (open connections are closed). */
void http_stop(struct server *srv);

/* --- Replies: each request is answered exactly once. */
/* 2xx JSON body; v is stolen. */
void reply_json(struct req *r, int status, json_t *v);
/* A reply without a body (204). */
void reply_empty(struct req *r, int status);
/* A reply with body (malloc'd, stolen) of content type ctype. */
void reply_body(struct req *r, int status, const char *ctype, char *body, size_t len);
/* problem+json with detail formatted from msgid fmt in the request's
 * language; extra (may be NULL) is stolen. */
void reply_problem(struct req *r, int status, json_t *extra, const char *fmt, ...) PRINTF(4, 5);
/* Map a store error (-EINVAL 422, -ENOENT 404, -EEXIST/-EBUSY 409, else 500). */
void reply_store_error(struct req *r, int rc, const struct verr *err);
/* The answer to a store read shaped by the query string: -EINVAL names a bad
 * query parameter (400 with err's message), other errors as
 * reply_store_error(), else 200 with res (owned by the reply). */
void reply_query_result(struct req *r, int rc, json_t *res, const struct verr *err);

/* --- Request input. On failure these answer the request (400/413/422) and
 * return a negative code; the handler just returns. */
/* The body as a JSON object, bounded by limits.max_json_bytes and depth. */
int req_json_object(struct req *r, json_t **ret) WUR;
/* Query parameter (decoded) or NULL. */
const char *req_query(struct req *r, const char *key);
/* Unsigned query parameter <= max; 0 absent (ret untouched), 1 set. */
int req_query_u64(struct req *r, const char *key, uint64_t max, uint64_t *ret) WUR;
/* Optional string member of a JSON object, at most max bytes; 0 absent
 * (ret untouched), 1 set. null counts as absent. */
int req_field_str(struct req *r, json_t *o, const char *key, size_t max, const char **ret) WUR;
/* Optional integer member in [min, max]; 0 absent, 1 set. */
int req_field_int(struct req *r, json_t *o, const char *key, int64_t min, int64_t max,
                  int64_t *ret) WUR;
/* Reply 422 naming the first member of o not in allowed (NULL-terminated)
 * and return -EINVAL; 0 when all are known. */
int req_fields_known(struct req *r, json_t *o, const char *const *allowed) WUR;
/* Reply 422 "field X is required" and return -EINVAL. */
int req_missing(struct req *r, const char *key);
/* A status change body {"status" (required), "comment" (optional, at most
 * comment_max bytes)}: the strings point into *ret_o (json_decref it after
 * use, also on failure). */
int req_status_change(struct req *r, size_t comment_max, json_t **ret_o, const char **ret_status,
                      const char **ret_comment) WUR;

#endif
