/* Fuzz target: the `vigil` client's HTTP response parser (src/wire/http_response.c).
 * The input is fed whole and again in two pieces split at a point taken from
 * the input; both runs must agree, and a complete body never passes its cap. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/http_response.h"

#define FUZZ_MAX_BODY 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run(const uint8_t *data, size_t size, size_t split, struct http_parser *p)
{
    http_parser_init(p, FUZZ_MAX_BODY);
    int r = http_parser_feed(p, data, split);
    if (r == 0)
        r = http_parser_feed(p, data + split, size - split);
    if (r == 0)
        r = http_parser_eof(p);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct http_parser a, b;
    size_t split = size ? (size_t)data[0] * 131 % (size + 1) : 0;
    int ra = run(data, size, size, &a);
    int rb = run(data, size, split, &b);
    if (ra != rb)
        abort();
    if (ra == 1) {
        if (a.status < 100 || a.status > 599 || a.body.len > FUZZ_MAX_BODY)
            abort();
        if (a.body.len != b.body.len ||
            (a.body.len && memcmp(a.body.data, b.body.data, a.body.len)))
            abort();
    } else if (ra != -EPROTO && ra != -E2BIG) {
        abort();
    }
    http_parser_release(&a);
    http_parser_release(&b);
    return 0;
}
