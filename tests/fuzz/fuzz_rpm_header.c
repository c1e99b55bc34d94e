/* Fuzz target: the RPM header blob parser (src/agent/rpmdb.c). Whatever it
 * accepts must point inside the input, be NUL-terminated there within
 * RPM_MAX_STRING, and turn into a package object with the same name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/rpmdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_string(const char *s, const uint8_t *data, size_t size)
{
    const uint8_t *p = (const uint8_t *)s;

    if (p < data || p >= data + size)
        abort();
    if (!memchr(p, '\0', MIN((size_t)(data + size - p), (size_t)RPM_MAX_STRING + 1)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rpm_header h;
    json_t *o;

    if (rpm_header_parse(data, size, &h) != 0)
        return 0;
    check_string(h.name, data, size);
    check_string(h.version, data, size);
    check_string(h.release, data, size);
    if (h.arch)
        check_string(h.arch, data, size);
    o = rpm_header_json(&h);
    if (!json_is_string(json_object_get(o, "version")) ||
        strcmp(json_string_value(json_object_get(o, "name")), h.name) != 0)
        abort();
    json_decref(o);
    return 0;
}
