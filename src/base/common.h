/* Small macros every Vigil file may use. libc only. */
#ifndef VIGIL_BASE_COMMON_H
#define VIGIL_BASE_COMMON_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define WUR        __attribute__((warn_unused_result))
#define PRINTF(a, b) __attribute__((format(printf, a, b)))
#define UNUSED     __attribute__((unused))
#define NORETURN   __attribute__((noreturn))
#define LIKELY(x)   __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Free-on-scope-exit helpers (systemd's _cleanup_free_). */
static inline void freep(void *p)
{
    free(*(void **)p);
}
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)

/* xmalloc family: abort on out-of-memory. Allocation failure of small
 * internal objects is not recoverable in a useful way; sizes that a peer
 * controls are checked against a cap before they reach these. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
