/* Time helpers (vtime.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/vtime.h"

#define VN_OFFSET (7 * 3600) /* Asia/Ho_Chi_Minh: UTC+7, no DST since 1975 */

int64_t vtime_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

int64_t vtime_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t vtime_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Howard Hinnant's days_from_civil / civil_from_days algorithms. */
int64_t vtime_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static void split(int64_t t, int64_t *y, unsigned *mo, unsigned *d, unsigned *h, unsigned *mi,
                  unsigned *s)
{
    int64_t days = floor_div(t, 86400);
    int64_t rem = t - days * 86400;
    civil_from_days(days, y, mo, d);
    *h = (unsigned)(rem / 3600);
    *mi = (unsigned)(rem / 60 % 60);
    *s = (unsigned)(rem % 60);
}

/* Write v as exactly `width` decimal digits (v < 10^width). */
static char *put_digits(char *p, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

/* "YYYY-MM-DD", years clamped to 0..9999; returns the end. */
static char *put_date(char *p, int64_t y, unsigned mo, unsigned d)
{
    if (y < 0)
        y = 0;
    if (y > 9999)
        y = 9999;
    p = put_digits(p, (unsigned)y, 4);
    *p++ = '-';
    p = put_digits(p, mo, 2);
    *p++ = '-';
    return put_digits(p, d, 2);
}

static char *put_clock(char *p, unsigned h, unsigned mi, unsigned s)
{
    p = put_digits(p, h, 2);
    *p++ = ':';
    p = put_digits(p, mi, 2);
    *p++ = ':';
    return put_digits(p, s, 2);
}

void vtime_format_utc(int64_t t, char out[static 21])
{
    int64_t y;
    unsigned mo, d, h, mi, s;
    split(t, &y, &mo, &d, &h, &mi, &s);
    char *p = put_date(out, y, mo, d);
    *p++ = 'T';
    p = put_clock(p, h, mi, s);
    *p++ = 'Z';
    *p = '\0';
}

void vtime_format_local(int64_t t, char out[static 26])
{
    int64_t y;
    unsigned mo, d, h, mi, s;
    split(t + VN_OFFSET, &y, &mo, &d, &h, &mi, &s);
    char *p = put_date(out, y, mo, d);
    *p++ = ' ';
    p = put_clock(p, h, mi, s);
    memcpy(p, " +07", 5);
}

void vtime_format_date(int64_t days, char out[static 11])
{
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    *put_date(out, y, m, d) = '\0';
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* Read exactly n digits at *p (bounded by end). */
static bool digits(const char **p, const char *end, size_t n, unsigned *ret)
{
    if ((size_t)(end - *p) < n)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)(*p)[i] - '0';
        if (c > 9)
            return false;
        v = v * 10 + c;
    }
    *p += n;
    *ret = v;
    return true;
}

static bool take(const char **p, const char *end, char c)
{
    if (*p < end && **p == c) {
        (*p)++;
        return true;
    }
    return false;
}

static bool valid_date(unsigned y, unsigned m, unsigned d)
{
    return y >= 1970 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

int vtime_parse_date(const char *p, size_t len, int64_t *ret_days)
{
    const char *end = p + len;
    unsigned y, m, d;
    if (!digits(&p, end, 4, &y) || !take(&p, end, '-') || !digits(&p, end, 2, &m) ||
        !take(&p, end, '-') || !digits(&p, end, 2, &d) || p != end || !valid_date(y, m, d))
        return -EINVAL;
    *ret_days = vtime_days_from_civil(y, m, d);
    return 0;
}

/* vtime_parse() and vtime_parse_ms(): the result in milliseconds. */
static int parse_ms(const char *p, size_t len, int64_t default_offset, int64_t *ret_ms)
{
    const char *end = p + len;
    unsigned y, mo, d, h = 0, mi = 0, s = 0, ms = 0;
    int64_t offset = default_offset; /* no zone given */
    const char *q = p;
    if (digits(&q, end, 4, &y) && take(&q, end, '-')) {
        if (!digits(&q, end, 2, &mo) || !take(&q, end, '-') || !digits(&q, end, 2, &d))
            return -EINVAL;
    } else {
        /* dd/mm/yyyy, Vietnamese order */
        q = p;
        if (!digits(&q, end, 2, &d) || !take(&q, end, '/') || !digits(&q, end, 2, &mo) ||
            !take(&q, end, '/') || !digits(&q, end, 4, &y))
            return -EINVAL;
    }
    if (!valid_date(y, mo, d))
        return -EINVAL;
    if (q < end) {
        if (!take(&q, end, 'T') && !take(&q, end, ' ') && !take(&q, end, 't'))
            return -EINVAL;
        if (!digits(&q, end, 2, &h) || !take(&q, end, ':') || !digits(&q, end, 2, &mi))
            return -EINVAL;
        if (take(&q, end, ':')) {
            if (!digits(&q, end, 2, &s))
                return -EINVAL;
            if (take(&q, end, '.') || take(&q, end, ',')) {
                const char *f = q;
                unsigned scale = 100;
                while (q < end && *q >= '0' && *q <= '9' && q - f < 9) {
                    ms += (unsigned)(*q - '0') * scale;
                    scale /= 10;
                    q++;
                }
                if (q == f)
                    return -EINVAL;
            }
        }
        if (h > 23 || mi > 59 || s > 60)
            return -EINVAL;
        if (s == 60)
            s = 59;
        if (q < end) {
            if (take(&q, end, 'Z') || take(&q, end, 'z')) {
                offset = 0;
            } else {
                while (q < end && *q == ' ')
                    q++;
                if (q + 3 <= end && memcmp(q, "UTC", 3) == 0) {
                    q += 3;
                    offset = 0;
                }
                if (q < end) {
                    int sign = 0;
                    if (take(&q, end, '+'))
                        sign = 1;
                    else if (take(&q, end, '-'))
                        sign = -1;
                    else
                        return -EINVAL;
                    unsigned oh, om = 0;
                    if (!digits(&q, end, 2, &oh))
                        return -EINVAL;
                    take(&q, end, ':');
                    if (q < end && !digits(&q, end, 2, &om))
                        return -EINVAL;
                    if (oh > 14 || om > 59)
                        return -EINVAL;
                    offset = sign * (int64_t)(oh * 3600 + om * 60);
                }
            }
            if (q != end)
                return -EINVAL;
        }
    }
    int64_t t = vtime_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset;
    *ret_ms = t * 1000 + ms;
    return 0;
}

int vtime_parse(const char *p, size_t len, int64_t *ret)
{
    int64_t ms;
    int r = parse_ms(p, len, VN_OFFSET, &ms); /* no zone given: Vietnam time */
    if (r < 0)
        return r;
    *ret = floor_div(ms, 1000);
    return 0;
}

int vtime_parse_ms(const char *p, size_t len, int32_t default_offset_s, int64_t *ret_ms)
{
    return parse_ms(p, len, default_offset_s, ret_ms);
}
