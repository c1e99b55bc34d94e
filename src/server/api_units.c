/* /api/v1/units: the tree of units (đơn vị). */
#include "server/api.h"

#include <stdio.h>

static void reply_unit(struct req *r, int status, int64_t id)
{
    json_t *u = store_unit_get(r->srv->store, id);
    char loc[64];

    if (!u) {
        reply_problem(r, 404, NULL, "no unit with id %lld", (long long)id);
        return;
    }
    if (status == 201 && snprintf(loc, sizeof(loc), "/api/v1/units/%lld", (long long)id) > 0)
        evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Location", loc);
    reply_json(r, status, u);
}

void api_units_list(struct req *r)
{
    reply_json(r, 200, api_items(store_unit_list(r->srv->store)));
}

void api_units_get(struct req *r)
{
    reply_unit(r, 200, r->id);
}

void api_units_create(struct req *r)
{
    static const char *const fields[] = {"name", "code", "parent_id", NULL};
    const char *name = NULL, *code = NULL;
    int64_t parent = 0, id = 0;
    struct verr err;
    json_t *o;
    int rc;

    if (req_json_object(r, &o) < 0)
        return;
    if (req_fields_known(r, o, fields) < 0 || req_field_str(r, o, "name", 256, &name) < 0 ||
        req_field_str(r, o, "code", 64, &code) < 0 ||
        req_field_int(r, o, "parent_id", 0, INT64_MAX, &parent) < 0)
        goto out;
    if (!name) {
        (void)req_missing(r, "name");
        goto out;
    }
    verr_init(&err);
    rc = store_unit_add(r->srv->store, &r->actor, name, code, parent, &id, &err);
    if (rc == -ENOENT) /* the parent named in the body */
        rc = -EINVAL;
    if (rc < 0)
        reply_store_error(r, rc, &err);
    else
        reply_unit(r, 201, id);
out:
    json_decref(o);
}

void api_units_delete(struct req *r)
{
    struct verr err;
    int rc;

    verr_init(&err);
    rc = store_unit_remove(r->srv->store, &r->actor, r->id, &err);
    if (rc < 0)
        reply_store_error(r, rc, &err);
    else
        reply_empty(r, 204);
}
