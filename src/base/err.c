/* struct verr (err.h). */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/i18n.h"

int verr_vset(struct verr *e, int code, const char *fmt, va_list ap)
{
    if (!e)
        return code;
    e->code = code;
    int n = vsnprintf(e->msg, sizeof(e->msg), i18n_tr(fmt), ap);
    if (n < 0)
        e->msg[0] = '\0';
    return code;
}

int verr_set(struct verr *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verr_vset(e, code, fmt, ap);
    va_end(ap);
    return code;
}

int verr_prefix(struct verr *e, const char *fmt, ...)
{
    if (!e)
        return 0;
    char prefix[VERR_MSG_MAX];
    char old[VERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof(prefix), i18n_tr(fmt), ap);
    va_end(ap);
    if (n < 0)
        return e->code;
    memcpy(old, e->msg, sizeof(old));
    /* Build "<prefix>: <old>" by pieces, truncating at the buffer's end. */
    size_t pn = strnlen(prefix, sizeof(e->msg) - 1);
    memcpy(e->msg, prefix, pn);
    size_t at = pn;
    if (old[0] && at + 2 < sizeof(e->msg)) {
        e->msg[at++] = ':';
        e->msg[at++] = ' ';
        size_t on = MIN(strlen(old), sizeof(e->msg) - 1 - at);
        memcpy(e->msg + at, old, on);
        at += on;
    }
    e->msg[at] = '\0';
    return e->code;
}
