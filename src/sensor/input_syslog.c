/* Syslog framing (RFC 3164, RFC 5424, RFC 3339 stamped files) and its times. */
#include <string.h>

#include "base/vtime.h"
#include "sensor/input_impl.h"

unsigned syslog_month(const char *p)
{
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (unsigned m = 0; m < 12; m++)
        if (memcmp(p, names + 3 * m, 3) == 0)
            return m + 1;
    return 0;
}

static bool two_digits(const char *p, unsigned *ret)
{
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
        return false;
    *ret = (unsigned)(p[0] - '0') * 10 + (unsigned)(p[1] - '0');
    return true;
}

static bool valid_day(int64_t y, unsigned m, unsigned d)
{
    static const unsigned dm[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d >= 1 && d <= dm[m - 1] && !(m == 2 && d == 29 && !leap);
}

int syslog_time_3164(const struct input *in, const char *p, size_t len, int64_t *ret_ms)
{
    if (len != 15 || p[3] != ' ' || p[6] != ' ' || p[9] != ':' || p[12] != ':')
        return -EINVAL;
    unsigned mon = syslog_month(p), day, h, mi, s;
    char dd[2] = {p[4] == ' ' ? '0' : p[4], p[5]};
    if (mon == 0 || !two_digits(dd, &day) || !two_digits(p + 7, &h) || !two_digits(p + 10, &mi) ||
        !two_digits(p + 13, &s) || h > 23 || mi > 59 || s > 60)
        return -EINVAL;
    if (s == 60)
        s = 59;
    int64_t ref = input_ref_ms(in);
    char date[11];
    vtime_format_date((ref / 1000 + in->tz_offset_s) / 86400, date);
    int64_t year =
        (date[0] - '0') * 1000 + (date[1] - '0') * 100 + (date[2] - '0') * 10 + (date[3] - '0');
    /* the stamp is in the reference's year unless that puts it more than a
     * week in the future: then it was last year (a log read in January) */
    for (int tries = 0; tries < 2; tries++, year--) {
        if (!valid_day(year, mon, day))
            continue;
        int64_t t = vtime_days_from_civil(year, mon, day) * 86400 + h * 3600 + mi * 60 + s -
                    in->tz_offset_s;
        if (t * 1000 <= ref + 7 * 86400 * 1000LL || tries == 1) {
            *ret_ms = t * 1000;
            return 0;
        }
    }
    return -EINVAL;
}

bool input_token(const char *line, size_t len, size_t *i, struct span *ret)
{
    while (*i < len && line[*i] == ' ')
        (*i)++;
    size_t b = *i;
    while (*i < len && line[*i] != ' ')
        (*i)++;
    if (*i == b)
        return false;
    ret->p = line + b;
    ret->len = *i - b;
    return true;
}

/* Skip RFC 5424 STRUCTURED-DATA ("-" or "[id k="v" ...]..."). */
static bool skip_sd(const char *line, size_t len, size_t *i)
{
    if (*i < len && line[*i] == '-') {
        (*i)++;
        return true;
    }
    if (*i >= len || line[*i] != '[')
        return false;
    while (*i < len && line[*i] == '[') {
        bool quoted = false;
        for ((*i)++;; (*i)++) {
            if (*i >= len)
                return false;
            char ch = line[*i];
            if (quoted && ch == '\\' && *i + 1 < len) {
                (*i)++;
            } else if (ch == '"') {
                quoted = !quoted;
            } else if (ch == ']' && !quoted) {
                (*i)++;
                break;
            }
        }
    }
    return true;
}

static bool frame_5424(const struct input *in, const char *line, size_t len, size_t i,
                       int64_t *ret_ts_ms, struct span *ret_msg)
{
    struct span ts, host, app, procid, msgid;
    if (!input_token(line, len, &i, &ts) || !input_token(line, len, &i, &host) ||
        !input_token(line, len, &i, &app) || !input_token(line, len, &i, &procid) ||
        !input_token(line, len, &i, &msgid))
        return false;
    int64_t t = 0;
    if (!(ts.len == 1 && ts.p[0] == '-') && vtime_parse_ms(ts.p, ts.len, in->tz_offset_s, &t) < 0)
        return false;
    if (i < len)
        i++;
    if (!skip_sd(line, len, &i))
        return false;
    if (i < len && line[i] == ' ')
        i++;
    if (len - i >= 3 && memcmp(line + i, "\xef\xbb\xbf", 3) == 0)
        i += 3; /* BOM */
    *ret_ts_ms = t;
    ret_msg->p = line + i;
    ret_msg->len = len - i;
    return true;
}

bool syslog_frame(const struct input *in, const char *line, size_t len, int64_t *ret_ts_ms,
                  struct span *ret_msg)
{
    size_t i = 0;
    if (len > 0 && line[0] == '<') {
        size_t j = 1;
        unsigned pri = 0;
        while (j < len && j < 5 && line[j] >= '0' && line[j] <= '9')
            pri = pri * 10 + (unsigned)(line[j++] - '0');
        if (j == 1 || j >= len || line[j] != '>' || pri > 191)
            return false;
        i = j + 1;
        if (len - i >= 2 && line[i] == '1' && line[i + 1] == ' ')
            return frame_5424(in, line, len, i + 2, ret_ts_ms, ret_msg);
    }
    int64_t t;
    struct span stamp, host;
    if (len - i >= 16 && line[i + 15] == ' ' && syslog_time_3164(in, line + i, 15, &t) == 0) {
        i += 15;
    } else if (len - i >= 5 && line[i] >= '0' && line[i] <= '9' && line[i + 4] == '-' &&
               input_token(line, len, &i, &stamp) &&
               vtime_parse_ms(stamp.p, stamp.len, in->tz_offset_s, &t) == 0) {
        /* RFC 3339 stamped (rsyslog's high-precision file format) */
    } else if (i > 0) { /* "<PRI>" then the message (FortiGate and others) */
        *ret_ts_ms = 0;
        ret_msg->p = line + i;
        ret_msg->len = len - i;
        return true;
    } else {
        return false;
    }
    if (!input_token(line, len, &i, &host))
        return false;
    while (i < len && line[i] == ' ')
        i++;
    *ret_ts_ms = t;
    ret_msg->p = line + i;
    ret_msg->len = len - i;
    return true;
}
