/*
 * Error conventions. Library functions return 0 (or a count) on success and a
 * negative errno-style code on failure. Where the caller needs to know where
 * and why, they also take a struct verr and fill it with a one-line message
 * naming what and where ("line 42, field ip: bad CIDR '10.0.0.0/33'"). The
 * message is formatted in the current language (base/i18n.h).
 */
#ifndef VIGIL_BASE_ERR_H
#define VIGIL_BASE_ERR_H

#include <stdarg.h>
#include "base/common.h"

#define VERR_MSG_MAX 512

struct verr {
    int code;                /* negative errno, 0 when unset */
    char msg[VERR_MSG_MAX];  /* NUL-terminated, possibly truncated */
};

static inline void verr_init(struct verr *e)
{
    e->code = 0;
    e->msg[0] = '\0';
}

/* Fill e (which may be NULL) and return code (a negative errno), so that
 * `return verr_set(e, -EINVAL, "...", ...);` reads naturally. The format is
 * translated first (fmt is a msgid). */
int verr_set(struct verr *e, int code, const char *fmt, ...) PRINTF(3, 4);
int verr_vset(struct verr *e, int code, const char *fmt, va_list ap);
/* Prepend context: "<prefix>: <old message>". Returns e->code. */
int verr_prefix(struct verr *e, const char *fmt, ...) PRINTF(2, 3);

#endif
