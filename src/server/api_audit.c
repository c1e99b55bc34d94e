/* /api/v1/audit: the audit log, newest first (admin). */
#include "server/api.h"

#define AUDIT_LIMIT_DEFAULT 100
#define AUDIT_LIMIT_MAX     10000

void api_audit_list(struct req *r)
{
    uint64_t limit = AUDIT_LIMIT_DEFAULT, offset = 0;

    if (req_query_u64(r, "limit", AUDIT_LIMIT_MAX, &limit) < 0 ||
        req_query_u64(r, "offset", INT64_MAX, &offset) < 0)
        return;
    if (limit == 0)
        limit = AUDIT_LIMIT_DEFAULT;
    reply_json(r, 200, api_items(store_audit_list(r->srv->store, (size_t)limit, (size_t)offset)));
}
