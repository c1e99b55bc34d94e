/* Address parser: no crash, parse(format(x)) == x, agreement with inet_pton. */
#include <arpa/inet.h>
#include <string.h>

#include "base/addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    struct ip_addr a, b;
    struct ip_prefix pf, pf2;
    char out[IP_PREFIX_STRLEN];

    enum addr_err e = ip_parse(p, size, &a);
    if (e == ADDR_OK) {
        size_t n = ip_format(&a, out);
        if (n >= IP_ADDR_STRLEN || strlen(out) != n)
            __builtin_trap();
        if (ip_parse(out, n, &b) != ADDR_OK || ip_cmp(&a, &b) != 0)
            __builtin_trap();
    }
    (void)addr_strerror(e);
    /* The C library is an independent judge of what is an address. */
    if (size < 64 && !memchr(p, '\0', size)) {
        char s[64];
        unsigned char raw[16];
        memcpy(s, p, size);
        s[size] = '\0';
        int fam = memchr(p, ':', size) ? AF_INET6 : AF_INET;
        if ((inet_pton(fam, s, raw) == 1) != (e == ADDR_OK))
            __builtin_trap();
    }
    for (int strict = 0; strict < 2; strict++) {
        if (prefix_parse(p, size, strict, &pf) != ADDR_OK)
            continue;
        size_t n = prefix_format(&pf, out);
        if (n >= IP_PREFIX_STRLEN || prefix_parse(out, n, true, &pf2) != ADDR_OK ||
            pf2.len != pf.len || ip_cmp(&pf.addr, &pf2.addr) != 0)
            __builtin_trap();
        struct ip_addr first, last;
        prefix_range(&pf, &first, &last);
        if (!prefix_contains(&pf, &first) || !prefix_contains(&pf, &last) ||
            ip_cmp(&first, &last) > 0 || ip_cmp(&first, &pf.addr) != 0)
            __builtin_trap();
    }
    return 0;
}
