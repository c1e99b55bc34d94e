/* /api/v1/tokens: API tokens (admin). */
#include "server/api.h"

#include <openssl/crypto.h>
#include <stdio.h>

#include "base/log.h"

void api_tokens_list(struct req *r)
{
    reply_json(r, 200, api_items(store_token_list(r->srv->store)));
}

void api_tokens_create(struct req *r)
{
    static const char *const fields[] = {"name", "role", NULL};
    const char *name = NULL, *role = NULL;
    char secret[65];
    int64_t id = 0;
    struct verr err;
    json_t *o;
    int rc;

    if (req_json_object(r, &o) < 0)
        return;
    if (req_fields_known(r, o, fields) < 0 || req_field_str(r, o, "name", 63, &name) < 0 ||
        req_field_str(r, o, "role", 15, &role) < 0)
        goto out;
    if (!name) {
        (void)req_missing(r, "name");
        goto out;
    }
    if (!role) {
        (void)req_missing(r, "role");
        goto out;
    }
    verr_init(&err);
    rc = store_token_create(r->srv->store, &r->actor, name, role, secret, &id, &err);
    if (rc < 0) {
        reply_store_error(r, rc, &err);
        goto out;
    }
    {
        char ids[24];
        snprintf(ids, sizeof(ids), "%lld", (long long)id);
        log_kv(LOG_LVL_INFO, "token created", "id", ids, "name", name, "role", role, "actor",
               r->actor.name, NULL);
    }
    char loc[64];
    if (snprintf(loc, sizeof(loc), "/api/v1/tokens/%lld", (long long)id) > 0)
        evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Location", loc);
    reply_json(r, 201,
               json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)id, "name", name, "role", role,
                         "token", secret));
    OPENSSL_cleanse(secret, sizeof(secret));
out:
    json_decref(o);
}

void api_tokens_delete(struct req *r)
{
    struct verr err;
    int rc;

    verr_init(&err);
    rc = store_token_revoke(r->srv->store, &r->actor, r->id, &err);
    if (rc < 0)
        reply_store_error(r, rc, &err);
    else
        reply_empty(r, 204);
}
