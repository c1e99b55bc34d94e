/*
 * What vigil-sensor uses: POST /api/v1/sightings (hits as JSON lines),
 * GET /api/v1/sightings, and GET /api/v1/feeds/{name}/indicators (a feed
 * version's values as text, one a line, with the version id as ETag).
 */
#include "server/api.h"

#include <stdio.h>
#include <string.h>

#include "base/addr.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/str.h"
#include "base/vtime.h"
#include "store/sighting.h"

#define SIGHTINGS_BODY_MAX ((size_t)16 << 20)
#define SIGHTING_LINE_MAX  16384
#define INDICATORS_MAX     ((size_t)1 << 30)

/* A string member (dotted ECS key at the top level) or NULL. */
static const char *member(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static bool ip_ok(const char *s)
{
    struct ip_addr a;
    return !s || ip_parse(s, strlen(s), &a) == ADDR_OK;
}

/* Fill v from one line's object; false (and the request answered) if bad. */
static bool parse_hit(struct req *r, json_t *o, size_t line, struct sighting *v)
{
    const char *ts = member(o, "@timestamp");
    const char *bad = NULL;

    v->feed = member(o, "threat.feed.name");
    v->indicator_type = member(o, "threat.indicator.type");
    v->indicator = member(o, "threat.indicator.ip");
    if (!v->indicator)
        v->indicator = member(o, "threat.indicator.url.domain");
    v->source_ip = member(o, "source.ip");
    v->destination_ip = member(o, "destination.ip");
    v->user_id = member(o, "user.id");
    if (!ts || vtime_parse(ts, strlen(ts), &v->at) < 0)
        bad = "@timestamp";
    else if (!v->feed)
        bad = "threat.feed.name";
    else if (!v->indicator_type)
        bad = "threat.indicator.type";
    else if (!v->indicator)
        bad = "threat.indicator.ip";
    else if (!ip_ok(v->source_ip))
        bad = "source.ip";
    else if (!ip_ok(v->destination_ip))
        bad = "destination.ip";
    else if (strcmp(v->indicator_type, "domain-name") != 0 && !ip_ok(v->indicator))
        bad = "threat.indicator.ip";
    if (bad) {
        reply_problem(r, 422, json_pack("{s:I, s:s}", "line", (json_int_t)line, "field", bad),
                      "line %zu: field %s is missing or not valid", line, bad);
        return false;
    }
    return true;
}

void api_sightings_post(struct req *r)
{
    const char *p = (const char *)r->body, *end = p + r->body_len;
    VEC(struct sighting) items = VEC_INIT;
    VEC(json_t *) objs = VEC_INIT;
    VEC(char *) texts = VEC_INIT;
    size_t line = 0;
    int64_t first = 0;
    struct verr err;
    bool ok = true;

    if (r->body_len > SIGHTINGS_BODY_MAX) {
        reply_problem(r, 413, NULL, "the body is larger than %zu bytes", SIGHTINGS_BODY_MAX);
        return;
    }
    while (ok && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        const char *q = p;
        json_error_t je;
        json_t *o;
        struct sighting v = {0};

        line++;
        p = nl ? nl + 1 : end;
        str_trim(&q, &n);
        if (n == 0)
            continue;
        if (items.n >= SIGHTING_BATCH_MAX) {
            reply_problem(r, 413, NULL, "a batch holds at most %d hits", SIGHTING_BATCH_MAX);
            ok = false;
        } else if (n > SIGHTING_LINE_MAX || !json_depth_ok(q, n, HTTP_JSON_MAX_DEPTH) ||
                   !(o = json_loadb(q, n, JSON_REJECT_DUPLICATES, &je)) || !json_is_object(o)) {
            reply_problem(r, 422, json_pack("{s:I}", "line", (json_int_t)line),
                          "line %zu is not a JSON object of at most %d bytes", line,
                          SIGHTING_LINE_MAX);
            ok = false;
        } else {
            VEC_PUSH(&objs, o);
            ok = parse_hit(r, o, line, &v);
            if (ok) {
                v.hit = json_dumps(o, JSON_COMPACT);
                VEC_PUSH(&texts, (char *)v.hit);
                VEC_PUSH(&items, v);
            }
        }
    }
    if (ok && items.n == 0) {
        reply_problem(r, 422, NULL, "the body holds no hits");
        ok = false;
    }
    if (ok) {
        verr_init(&err);
        int rc = store_sighting_add(r->srv->store, &r->actor, items.items, items.n, &first, &err);
        if (rc < 0) {
            reply_store_error(r, rc, &err);
        } else {
            char n_text[24];
            snprintf(n_text, sizeof(n_text), "%zu", items.n);
            log_kv(LOG_LVL_INFO, "sightings stored", "n", n_text, "actor", r->actor.name, NULL);
            reply_json(r, 201,
                       json_pack("{s:I, s:I}", "accepted", (json_int_t)items.n, "first_id",
                                 (json_int_t)first));
        }
    }
    for (size_t i = 0; i < objs.n; i++)
        json_decref(objs.items[i]);
    for (size_t i = 0; i < texts.n; i++)
        free(texts.items[i]);
    VEC_FREE(&objs);
    VEC_FREE(&texts);
    VEC_FREE(&items);
}

static bool query_time(struct req *r, const char *key, int64_t *ret)
{
    const char *v = req_query(r, key);
    if (v && vtime_parse(v, strlen(v), ret) < 0) {
        reply_problem(r, 400, NULL, "query parameter '%s' must be a date or time, got '%.40s'", key,
                      v);
        return false;
    }
    return true;
}

void api_sightings_list(struct req *r)
{
    struct sighting_filter f = {0};
    uint64_t limit = 0, offset = 0;
    struct verr err;
    json_t *res = NULL;
    int rc;

    f.feed = req_query(r, "feed");
    f.indicator = req_query(r, "indicator");
    f.user_id = req_query(r, "user");
    if (!query_time(r, "from", &f.from) || !query_time(r, "to", &f.to))
        return;
    if (req_query_u64(r, "limit", 10000, &limit) < 0 ||
        req_query_u64(r, "offset", INT64_MAX, &offset) < 0)
        return;
    f.limit = (size_t)limit;
    f.offset = (size_t)offset;
    verr_init(&err);
    rc = store_sighting_list(r->srv->store, &f, &res, &err);
    if (rc < 0) {
        reply_store_error(r, rc, &err);
        return;
    }
    reply_json(r, 200, res);
}

void api_feeds_indicators(struct req *r)
{
    const char *version = req_query(r, "version");
    const char *inm = evhttp_find_header(evhttp_request_get_input_headers(r->ev), "If-None-Match");
    uint64_t want = 0;
    int64_t ver = 0;
    struct buf b;
    struct verr err;
    char etag[32];
    int rc;

    if (version && strcmp(version, "latest") != 0 &&
        (str_to_u64(version, strlen(version), INT64_MAX, &want) < 0 || want == 0)) {
        reply_problem(r, 400, NULL, "query parameter 'version' must be latest or a version id");
        return;
    }
    buf_init(&b, INDICATORS_MAX);
    verr_init(&err);
    rc = store_feed_indicator_values(r->srv->store, r->name, (int64_t)want, req_query(r, "type"),
                                     &ver, &b, &err);
    if (rc == -EINVAL) {
        reply_problem(r, 400, NULL, "%s", err.msg);
    } else if (rc < 0) {
        reply_store_error(r, rc, &err);
    } else {
        snprintf(etag, sizeof(etag), "\"%lld\"", (long long)ver);
        evhttp_add_header(evhttp_request_get_output_headers(r->ev), "ETag", etag);
        if (inm && strcmp(inm, etag) == 0) {
            reply_empty(r, 304);
        } else {
            size_t len;
            char *body = buf_detach(&b, &len);
            reply_body(r, 200, "text/plain; charset=utf-8", body, len);
        }
    }
    buf_release(&b);
}
