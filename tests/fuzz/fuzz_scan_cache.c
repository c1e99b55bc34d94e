/* Scan cache file reader: no crash; what loads serialises back byte for byte. */
#include <string.h>

#include "scan/cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Take the version from the input so the body is reached. */
    uint8_t version[32] = {0};
    if (size >= 40)
        memcpy(version, data + 8, 32);
    struct scan_cache *c = scan_cache_new(version);
    int r = scan_cache_parse(c, data, size);
    if (r == 0) {
        uint8_t *p;
        size_t len;
        scan_cache_serialize(c, &p, &len);
        /* duplicates are dropped, so the output is at most the input */
        if (len > size || (len == size && memcmp(p, data, len) != 0))
            __builtin_trap();
        free(p);
    } else if (scan_cache_count(c) != 0) {
        __builtin_trap();
    }
    scan_cache_free(c);
    return 0;
}
