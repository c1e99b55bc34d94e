/* Allocation that aborts on out-of-memory (see common.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/common.h"

static NORETURN void oom(size_t n)
{
    char msg[96];
    int k = snprintf(msg, sizeof(msg), "level=error msg=\"out of memory\" bytes=%zu\n", n);
    if (k > 0)
        (void)!write(2, msg, (size_t)k < sizeof(msg) ? (size_t)k : sizeof(msg) - 1);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

void *xreallocarray(void *p, size_t n, size_t size)
{
    void *q = reallocarray(p, n ? n : 1, size ? size : 1);
    if (!q)
        oom(n * size);
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
