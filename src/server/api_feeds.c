/* /api/v1/feeds: feeds, imports of a new version, versions and diffs. */
#include "server/api.h"
#include "server/ingest.h"

#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/str.h"
#include "base/vtime.h"
#include "intel/feed.h"

#define IMPORT_ERRORS_SHOWN 100
#define SOURCE_NAME_MAX     255
#define DIFF_LIMIT_DEFAULT  1000
#define DIFF_LIMIT_MAX      1000000

void api_feeds_list(struct req *r)
{
    reply_json(r, 200, api_items(store_feed_list(r->srv->store)));
}

/* The first n errors of a parse as [{line, field, reason}]. */
static json_t *errors_json(const struct feed *f, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < f->errors.n && i < n; i++) {
        const struct feed_error *e = &f->errors.items[i];
        json_array_append_new(a, json_pack("{s:i, s:s, s:s}", "line", (json_int_t)e->line, "field",
                                           e->field, "reason", e->reason));
    }
    return a;
}

static bool query_date(struct req *r, const char *key, const char **ret)
{
    const char *v = req_query(r, key);
    int64_t days;

    if (v && vtime_parse_date(v, strlen(v), &days) < 0) {
        reply_problem(r, 400, NULL, "query parameter '%s' must be a date YYYY-MM-DD, got '%.32s'",
                      key, v);
        return false;
    }
    *ret = v;
    return true;
}

static void reject(struct req *r, const struct feed *f, const struct verr *err)
{
    json_t *extra =
        json_pack("{s:o, s:I, s:I}", "errors", errors_json(f, IMPORT_ERRORS_SHOWN), "n_lines",
                  (json_int_t)f->n_lines, "n_errors", (json_int_t)f->n_errors);
    const struct feed_error *e = f->errors.n ? &f->errors.items[0] : NULL;

    r->srv->metrics.imports[IMPORT_REJECTED]++;
    log_kv(LOG_LVL_WARN, "feed rejected", "feed", r->name, "actor", r->actor.name, NULL);
    if (e && e->field[0])
        reply_problem(r, 422, extra, "the feed was rejected: %s; first bad line %u, field %s: %s",
                      err->msg, (unsigned)e->line, e->field, e->reason);
    else if (e)
        reply_problem(r, 422, extra, "the feed was rejected: %s; first bad line %u: %s", err->msg,
                      (unsigned)e->line, e->reason);
    else
        reply_problem(r, 422, extra, "the feed was rejected: %s", err->msg);
}

void api_feeds_import(struct req *r)
{
    struct feed_opts opts = r->srv->cfg->import;
    const char *date = NULL, *kind = req_query(r, "kind"), *fmt = req_query(r, "format");
    const char *source = req_query(r, "source");
    uint64_t n;
    struct feed f;
    struct verr err;
    json_t *res = NULL;
    int rc;

    if (!query_date(r, "date", &date))
        return;
    if (!date) {
        reply_problem(r, 400, NULL, "query parameter 'date' is required (YYYY-MM-DD)");
        return;
    }
    if (!kind)
        kind = "botnet";
    if (strcmp(kind, "botnet") != 0 && strcmp(kind, "threat") != 0) {
        reply_problem(r, 400, NULL, "query parameter 'kind' must be botnet or threat");
        return;
    }
    if (fmt && feed_format_parse(fmt, &opts.format) < 0) {
        reply_problem(r, 400, NULL,
                      "query parameter 'format' must be auto, text, csv, drop, feodo, stix, "
                      "hashes or domains");
        return;
    }
    if (source && (strlen(source) > SOURCE_NAME_MAX || !str_valid_utf8(source, strlen(source)))) {
        reply_problem(r, 400, NULL, "query parameter 'source' must be text of at most %d bytes",
                      SOURCE_NAME_MAX);
        return;
    }
    if ((rc = req_query_u64(r, "max_errors", 100000000, &n)) < 0)
        return;
    if (rc)
        opts.max_errors = n;
    if ((rc = req_query_u64(r, "max_error_pct", 100, &n)) < 0)
        return;
    if (rc)
        opts.max_error_pct = (unsigned)n;

    feed_init(&f);
    verr_init(&err);
    rc = feed_parse(r->body, r->body_len, &opts, &f, &err);
    if (rc < 0) {
        reject(r, &f, &err);
        feed_release(&f);
        return;
    }

    struct import_spec spec = {
        .feed = r->name,
        .kind = kind,
        .list_date = date,
        .source_name = source ? source : "upload",
        .parsed = &f,
    };
    verr_init(&err);
    rc = store_feed_import(r->srv->store, &r->actor, &spec, &res, &err);
    if (rc < 0) {
        r->srv->metrics.imports[rc == -EEXIST   ? IMPORT_CONFLICT
                                : rc == -EINVAL ? IMPORT_REJECTED
                                                : IMPORT_ERROR]++;
        reply_store_error(r, rc, &err);
        feed_release(&f);
        return;
    }
    r->srv->metrics.imports[IMPORT_OK]++;
    ingest_kick_all(r->srv->ingest); /* new botnet findings queue priority scans */
    if (!json_is_object(res)) {
        json_decref(res);
        res = json_object();
    }
    json_object_set_new(res, "format", json_string(feed_format_name(f.format)));
    json_object_set_new(res, "n_lines", json_integer((json_int_t)f.n_lines));
    json_object_set_new(res, "n_errors", json_integer((json_int_t)f.n_errors));
    json_object_set_new(res, "errors", errors_json(&f, IMPORT_ERRORS_SHOWN));
    {
        char ni[24];
        snprintf(ni, sizeof(ni), "%zu", f.items.n);
        log_kv(LOG_LVL_INFO, "feed imported", "feed", r->name, "date", date, "indicators", ni,
               "actor", r->actor.name, NULL);
    }
    feed_release(&f);
    reply_json(r, 201, res);
}

void api_feeds_versions(struct req *r)
{
    json_t *v = store_feed_versions(r->srv->store, r->name);

    if (!v) {
        reply_problem(r, 404, NULL, "no feed named '%s'", r->name);
        return;
    }
    if (json_is_array(v))
        v = json_pack("{s:s, s:o}", "feed", r->name, "items", v);
    reply_json(r, 200, v);
}

void api_feeds_diff(struct req *r)
{
    const char *from = NULL, *to = NULL;
    uint64_t limit = DIFF_LIMIT_DEFAULT;
    json_t *d = NULL;
    struct verr err;
    int rc;

    if (!query_date(r, "from", &from) || !query_date(r, "to", &to))
        return;
    if (req_query_u64(r, "limit", DIFF_LIMIT_MAX, &limit) < 0)
        return;
    verr_init(&err);
    rc = store_feed_diff(r->srv->store, r->name, from, to, (size_t)limit, &d, &err);
    if (rc < 0) {
        reply_store_error(r, rc, &err);
        return;
    }
    reply_json(r, 200, d);
}
