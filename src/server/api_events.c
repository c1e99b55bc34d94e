/* /api/v1/events, hosts/{id}/inventory, coverage, agents/{id}/tasks. */
#include <string.h>

#include "base/str.h"
#include "base/vtime.h"
#include "server/api.h"
#include "server/ingest.h"
#include "store/agent.h"
#include "store/event.h"

static bool query_time_ms(struct req *r, const char *key, int64_t *ret)
{
    const char *v = req_query(r, key);
    int64_t t;
    if (v && vtime_parse(v, strlen(v), &t) < 0) {
        reply_problem(r, 400, NULL, "query parameter '%s' must be a date or time, got '%.40s'", key,
                      v);
        return false;
    }
    if (v)
        *ret = t * 1000;
    return true;
}

/* Where in q SQLite's message points: the text after 'near "' found in q
 * (0-based), or -1. */
static long fts_error_pos(const char *q, const char *msg)
{
    const char *near = strstr(msg, "near \""), *end, *at;
    char tok[128];
    size_t n;

    if (!near)
        return -1;
    near += 6;
    end = strrchr(near, '"');
    n = end && end > near ? (size_t)(end - near) : 0;
    if (n == 0 || n >= sizeof(tok))
        return -1;
    memcpy(tok, near, n);
    tok[n] = '\0';
    at = strstr(q, tok);
    return at ? (long)(at - q) : -1;
}

void api_events_search(struct req *r)
{
    struct event_filter f = {0};
    uint64_t limit = 0, offset = 0, agent = 0;
    struct verr err;
    json_t *res = NULL;
    int rc;

    f.q = req_query(r, "q");
    f.dataset = req_query(r, "dataset");
    if (req_query_u64(r, "agent_id", INT64_MAX, &agent) < 0 ||
        req_query_u64(r, "limit", 10000, &limit) < 0 ||
        req_query_u64(r, "offset", INT64_MAX, &offset) < 0 ||
        !query_time_ms(r, "from", &f.from_ms) || !query_time_ms(r, "to", &f.to_ms))
        return;
    f.agent_id = (int64_t)agent;
    f.limit = (size_t)limit;
    f.offset = (size_t)offset;
    verr_init(&err);
    rc = store_event_search(r->srv->store, &f, &res, &err);
    if (rc == -EINVAL) {
        long pos = fts_error_pos(f.q ? f.q : "", err.msg);
        reply_problem(r, 400, pos >= 0 ? json_pack("{s:i}", "position", (int)pos) : NULL, "%s",
                      err.msg);
    } else if (rc < 0) {
        reply_store_error(r, rc, &err);
    } else {
        reply_json(r, 200, res);
    }
}

void api_hosts_inventory(struct req *r)
{
    struct verr err;
    json_t *res = NULL;
    int rc;

    verr_init(&err);
    rc = store_inventory_get(r->srv->store, r->id, req_query(r, "section"), &res, &err);
    reply_query_result(r, rc, res, &err);
}

void api_coverage(struct req *r)
{
    json_t *agents = store_agent_list(r->srv->store), *res = NULL;
    struct verr err;
    int rc;

    verr_init(&err);
    rc = store_coverage(r->srv->store, json_object_get(agents, "items"), vtime_now(), &res, &err);
    json_decref(agents);
    if (rc < 0)
        reply_store_error(r, rc, &err);
    else
        reply_json(r, 200, res);
}

void api_agent_tasks_create(struct req *r)
{
    static const char *const allowed[] = {"verb", "args", NULL};
    json_t *body = NULL, *agent, *args;
    const char *verb = NULL;
    struct verr err;
    int64_t id = 0;
    int rc;

    if (req_json_object(r, &body) < 0)
        return;
    if (req_fields_known(r, body, allowed) < 0 || req_field_str(r, body, "verb", 16, &verb) < 0)
        goto out;
    if (!verb) {
        (void)req_missing(r, "verb");
        goto out;
    }
    if (!task_verb_valid(verb)) {
        reply_problem(r, 422, NULL, "verb must be inventory, scan or collect");
        goto out;
    }
    args = json_object_get(body, "args");
    if (args && !json_is_object(args)) {
        reply_problem(r, 422, NULL, "args must be an object");
        goto out;
    }
    agent = store_agent_get(r->srv->store, r->id);
    if (!agent) {
        reply_problem(r, 404, NULL, N_("agent %lld does not exist"), (long long)r->id);
        goto out;
    }
    json_decref(agent);
    verr_init(&err);
    rc = store_task_add(r->srv->store, &r->actor, r->id, verb, args, &id, &err);
    if (rc < 0) {
        reply_store_error(r, rc, &err);
        goto out;
    }
    ingest_kick(r->srv->ingest, r->id);
    reply_json(r, 201,
               json_pack("{s:I, s:I, s:s, s:s}", "id", (json_int_t)id, "agent_id",
                         (json_int_t)r->id, "verb", verb, "status", "queued"));
out:
    json_decref(body);
}

void api_agent_tasks_list(struct req *r)
{
    reply_json(r, 200, api_items(store_task_list(r->srv->store, r->id)));
}
