/* Fuzz the parts of vigild that read what a client or a config file sends:
 * routing of the request path, the JSON depth bound plus jansson, and the
 * YAML configuration walker. The first byte picks the target. */
#include <stdint.h>
#include <string.h>

#include "base/i18n.h"
#include "server/config.h"
#include "server/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20))
        return 0;
    uint8_t which = data[0] % 3;
    const char *p = (const char *)data + 1;
    size_t n = size - 1;

    i18n_set(LANG_EN);
    if (which == 0) {
        char *path = xstrndup(p, n);
        struct route_match m;
        static const enum evhttp_cmd_type methods[] = {EVHTTP_REQ_GET, EVHTTP_REQ_POST,
                                                       EVHTTP_REQ_PATCH, EVHTTP_REQ_DELETE};
        enum route_status st = route_find(path, methods[n % 4], &m);
        if (st == ROUTE_FOUND && (!m.route || m.allow == 0 || strlen(m.name) > HTTP_NAME_MAX))
            __builtin_trap();
        free(path);
    } else if (which == 1) {
        if (json_depth_ok(p, n, HTTP_JSON_MAX_DEPTH)) {
            json_error_t je;
            json_t *v = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
            json_decref(v);
        }
    } else {
        struct config c;
        struct verr err;
        config_init(&c);
        verr_init(&err);
        if (config_load_text(&c, "fuzz.yaml", p, n, &err) < 0 && err.msg[0] == '\0')
            __builtin_trap(); /* every failure says why */
        config_release(&c);
    }
    return 0;
}
