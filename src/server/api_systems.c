/* /api/v1/systems: information systems (hệ thống thông tin). */
#include "server/api.h"
#include "server/ingest.h"

#include <stdio.h>

#define SYSTEM_MAX_ADDRS 65536

void api_systems_list(struct req *r)
{
    uint64_t unit = 0;

    if (req_query_u64(r, "unit_id", INT64_MAX, &unit) < 0)
        return;
    reply_json(r, 200, api_items(store_system_list(r->srv->store, (int64_t)unit)));
}

void api_systems_get(struct req *r)
{
    json_t *s = store_system_get(r->srv->store, r->id);
    if (!s) {
        reply_problem(r, 404, NULL, "no system with id %lld", (long long)r->id);
        return;
    }
    reply_json(r, 200, s);
}

void api_systems_create(struct req *r)
{
    static const char *const fields[] = {"name",     "unit_id",  "level",     "owner",
                                         "operator", "contacts", "addresses", NULL};
    struct system_spec spec = {0};
    const char **addrs = NULL;
    int64_t unit_id = 0, level = 0, id = 0;
    json_t *o, *a, *sys;
    struct verr err;
    char loc[64];
    int rc;

    if (req_json_object(r, &o) < 0)
        return;
    if (req_fields_known(r, o, fields) < 0 || req_field_str(r, o, "name", 256, &spec.name) < 0 ||
        req_field_int(r, o, "unit_id", 1, INT64_MAX, &unit_id) < 0 ||
        req_field_int(r, o, "level", INT32_MIN, INT32_MAX, &level) < 0 ||
        req_field_str(r, o, "owner", 256, &spec.owner) < 0 ||
        req_field_str(r, o, "operator", 256, &spec.operator_name) < 0 ||
        req_field_str(r, o, "contacts", 1024, &spec.contacts) < 0)
        goto out;
    if (!spec.name) {
        (void)req_missing(r, "name");
        goto out;
    }
    if (!unit_id) {
        (void)req_missing(r, "unit_id");
        goto out;
    }
    if (!json_object_get(o, "level")) {
        (void)req_missing(r, "level");
        goto out;
    }
    a = json_object_get(o, "addresses");
    if (a && !json_is_null(a)) {
        size_t i;
        json_t *v;
        if (!json_is_array(a) || json_array_size(a) > SYSTEM_MAX_ADDRS) {
            reply_problem(r, 422, NULL, "field '%s' must be a list of at most %d addresses",
                          "addresses", SYSTEM_MAX_ADDRS);
            goto out;
        }
        addrs = xcalloc(json_array_size(a) + 1, sizeof(*addrs));
        json_array_foreach(a, i, v)
        {
            if (!json_is_string(v) || json_string_length(v) > 64) {
                reply_problem(r, 422, NULL, "addresses[%zu]: expected an address or CIDR", i);
                goto out;
            }
            addrs[i] = json_string_value(v);
        }
        spec.addrs = addrs;
        spec.n_addrs = json_array_size(a);
    }
    spec.unit_id = unit_id;
    spec.level = (int)level;

    verr_init(&err);
    rc = store_system_add(r->srv->store, &r->actor, &spec, &id, &err);
    if (rc == -ENOENT) /* the unit named in the body */
        rc = -EINVAL;
    if (rc < 0) {
        reply_store_error(r, rc, &err);
        goto out;
    }
    ingest_kick_all(r->srv->ingest); /* its botnet findings queue priority scans */
    sys = store_system_get(r->srv->store, id);
    if (!sys) {
        reply_problem(r, 404, NULL, "no system with id %lld", (long long)id);
        goto out;
    }
    /* A new system's findings are all open and all were made just now. */
    json_t *n_open = json_object_get(sys, "open_findings");
    json_object_set_new(sys, "findings_created",
                        json_integer(json_is_integer(n_open) ? json_integer_value(n_open) : 0));
    if (snprintf(loc, sizeof(loc), "/api/v1/systems/%lld", (long long)id) > 0)
        evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Location", loc);
    reply_json(r, 201, sys);
out:
    free(addrs);
    json_decref(o);
}

void api_systems_delete(struct req *r)
{
    struct verr err;
    int rc;

    verr_init(&err);
    rc = store_system_remove(r->srv->store, &r->actor, r->id, &err);
    if (rc < 0)
        reply_store_error(r, rc, &err);
    else
        reply_empty(r, 204);
}
