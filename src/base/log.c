/* key=value logging (log.h). */
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/log.h"
#include "base/vtime.h"

static enum log_level min_level = LOG_LVL_INFO;
static int log_fd = 2;

void log_set_level(enum log_level l)
{
    min_level = l;
}

void log_set_fd(int fd)
{
    log_fd = fd;
}

int log_parse_level(const char *s, enum log_level *ret)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        if (strcmp(s, names[i]) == 0) {
            *ret = (enum log_level)i;
            return 0;
        }
    }
    return -EINVAL;
}

int log_quote(struct buf *out, const char *v)
{
    bool plain = *v != '\0';
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f) {
            plain = false;
            break;
        }
    }
    if (plain)
        return buf_puts(out, v);
    int r = buf_putc(out, '"');
    for (const unsigned char *p = (const unsigned char *)v; *p && r == 0; p++) {
        switch (*p) {
        case '"':
            r = buf_puts(out, "\\\"");
            break;
        case '\\':
            r = buf_puts(out, "\\\\");
            break;
        case '\n':
            r = buf_puts(out, "\\n");
            break;
        case '\r':
            r = buf_puts(out, "\\r");
            break;
        case '\t':
            r = buf_puts(out, "\\t");
            break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                r = buf_printf(out, "\\x%02x", *p);
            else
                r = buf_putc(out, (char)*p);
        }
    }
    if (r == 0)
        r = buf_putc(out, '"');
    return r;
}

void log_kv(enum log_level l, const char *msg, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    if (l < min_level)
        return;
    struct buf b;
    buf_init(&b, 64 * 1024);
    int64_t ms = vtime_now_ms();
    char ts[21];
    vtime_format_utc(ms / 1000, ts);
    /* "2026-11-21T12:00:00Z" -> insert milliseconds before the Z */
    int r = buf_printf(&b, "ts=%.19s.%03dZ level=%s msg=", ts, (int)(ms % 1000), names[l]);
    if (r == 0)
        r = log_quote(&b, msg);
    va_list ap;
    va_start(ap, msg);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
        const char *v = va_arg(ap, const char *);
        if (r == 0)
            r = buf_printf(&b, " %s=", k);
        if (r == 0)
            r = log_quote(&b, v ? v : "");
    }
    va_end(ap);
    if (r != 0) {
        buf_truncate(&b, MIN(b.len, 60000u));
        r = buf_puts(&b, " truncated=1");
    }
    if (buf_putc(&b, '\n') == 0 || r == 0)
        (void)!write_all(log_fd, b.data, b.len);
    buf_release(&b);
}
