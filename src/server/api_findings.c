/* /api/v1/findings: list, show and work findings. */
#include "server/api.h"

#include <string.h>

#define FINDING_LIMIT_MAX 10000
#define COMMENT_MAX       4096

static bool valid_status(const char *s)
{
    return strcmp(s, "open") == 0 || strcmp(s, "in_progress") == 0 || strcmp(s, "resolved") == 0 ||
           strcmp(s, "false_positive") == 0;
}

void api_findings_list(struct req *r)
{
    struct finding_filter f = {0};
    uint64_t system_id = 0, unit_id = 0, min_level = 0, limit = 0, offset = 0;
    struct verr err;
    json_t *res = NULL;
    int rc;

    f.status = req_query(r, "status");
    f.kind = req_query(r, "kind");
    f.feed = req_query(r, "feed");
    f.ip = req_query(r, "ip");
    if (f.status && !valid_status(f.status)) {
        reply_problem(r, 400, NULL,
                      "query parameter 'status' must be open, in_progress, resolved or "
                      "false_positive");
        return;
    }
    if (req_query_u64(r, "system_id", INT64_MAX, &system_id) < 0 ||
        req_query_u64(r, "unit_id", INT64_MAX, &unit_id) < 0 ||
        req_query_u64(r, "min_level", 5, &min_level) < 0 ||
        req_query_u64(r, "limit", FINDING_LIMIT_MAX, &limit) < 0 ||
        req_query_u64(r, "offset", INT64_MAX, &offset) < 0)
        return;
    f.system_id = (int64_t)system_id;
    f.unit_id = (int64_t)unit_id;
    f.min_level = (int)min_level;
    f.limit = (size_t)limit;
    f.offset = (size_t)offset;

    verr_init(&err);
    rc = store_finding_list(r->srv->store, &f, &res, &err);
    reply_query_result(r, rc, res, &err);
}

void api_findings_get(struct req *r)
{
    json_t *f = store_finding_get(r->srv->store, r->id);
    if (!f) {
        reply_problem(r, 404, NULL, "no finding with id %lld", (long long)r->id);
        return;
    }
    reply_json(r, 200, f);
}

void api_findings_update(struct req *r)
{
    const char *status, *comment;
    struct verr err;
    json_t *o;
    int rc;

    if (req_status_change(r, COMMENT_MAX, &o, &status, &comment) < 0)
        goto out;
    verr_init(&err);
    rc = store_finding_update(r->srv->store, &r->actor, r->id, status, comment, &err);
    if (rc < 0)
        reply_store_error(r, rc, &err);
    else
        api_findings_get(r);
out:
    json_decref(o);
}
