/* Strict string helpers (str.h). */
#include <string.h>

#include "base/str.h"

int str_to_u64(const char *p, size_t len, uint64_t max, uint64_t *ret)
{
    if (len == 0)
        return -EINVAL;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned char)p[i] - '0';
        if (d > 9)
            return -EINVAL;
        if (v > (UINT64_MAX - d) / 10)
            return -ERANGE;
        v = v * 10 + d;
    }
    if (v > max)
        return -ERANGE;
    *ret = v;
    return 0;
}

int str_to_i64(const char *p, size_t len, int64_t min, int64_t max, int64_t *ret)
{
    bool neg = false;
    if (len > 0 && p[0] == '-') {
        neg = true;
        p++;
        len--;
    }
    uint64_t v;
    int r = str_to_u64(p, len, (uint64_t)INT64_MAX + 1, &v);
    if (r < 0)
        return r;
    int64_t s;
    if (neg)
        s = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    else if (v > (uint64_t)INT64_MAX)
        return -ERANGE;
    else
        s = (int64_t)v;
    if (s < min || s > max)
        return -ERANGE;
    *ret = s;
    return 0;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

void str_trim(const char **p, size_t *len)
{
    const char *s = *p;
    size_t n = *len;
    while (n > 0 && is_space(s[0])) {
        s++;
        n--;
    }
    while (n > 0 && is_space(s[n - 1]))
        n--;
    *p = s;
    *len = n;
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

bool str_ieq(const char *p, size_t len, const char *s)
{
    size_t n = strlen(s);
    if (n != len)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(p[i]) != lower(s[i]))
            return false;
    return true;
}

bool str_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_valid_utf8(const void *vp, size_t len)
{
    const uint8_t *p = vp, *end = p + len;
    while (p < end) {
        uint8_t c = *p;
        if (c < 0x80) {
            p++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if ((size_t)(end - p) <= n)
            return false;
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        p += n + 1;
    }
    return true;
}

void hex_encode(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int hex_decode(const char *p, size_t len, uint8_t *out, size_t n)
{
    if (len != 2 * n)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(p[2 * i]), lo = hexval(p[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -EINVAL;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

bool str_json_depth_ok(const char *p, size_t len, unsigned max, size_t *ret_at)
{
    unsigned d = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char ch = p[i];
        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_str = false;
        } else if (ch == '"') {
            in_str = true;
        } else if (ch == '{' || ch == '[') {
            if (++d > max) {
                if (ret_at)
                    *ret_at = i;
                return false;
            }
        } else if ((ch == '}' || ch == ']') && d > 0) {
            d--;
        }
    }
    return true;
}

int str_to_bytes(const char *p, size_t len, uint64_t max, uint64_t *ret)
{
    static const struct {
        const char *suffix;
        unsigned shift;
    } units[] = {{"KiB", 10}, {"MiB", 20}, {"GiB", 30}};
    unsigned shift = 0;
    uint64_t v;
    int rc;

    for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
        size_t sl = strlen(units[i].suffix);
        if (len > sl && memcmp(p + len - sl, units[i].suffix, sl) == 0) {
            shift = units[i].shift;
            len -= sl;
            break;
        }
    }
    if ((rc = str_to_u64(p, len, max >> shift, &v)) < 0)
        return rc;
    *ret = v << shift;
    return 0;
}
