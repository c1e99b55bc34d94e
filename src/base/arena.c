/* Bump allocator (arena.h). */
#include <string.h>

#include "base/arena.h"

struct arena_chunk {
    struct arena_chunk *next;
    size_t size; /* usable bytes after the header */
    size_t used;
    max_align_t data[];
};

#define ARENA_ALIGN 16
#define ARENA_DEFAULT_CHUNK (64 * 1024)

void arena_init(struct arena *a, size_t cap)
{
    a->head = NULL;
    a->total = 0;
    a->cap = cap;
    a->chunk_size = ARENA_DEFAULT_CHUNK;
}

void arena_release(struct arena *a)
{
    struct arena_chunk *c = a->head;
    while (c) {
        struct arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->total = 0;
}

void *arena_alloc(struct arena *a, size_t n)
{
    if (n > SIZE_MAX / 4)
        return NULL;
    size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need == 0)
        need = ARENA_ALIGN;
    struct arena_chunk *c = a->head;
    if (!c || c->size - c->used < need) {
        size_t size = a->chunk_size;
        if (need > size / 4)
            size = need; /* big objects get a chunk of their own */
        if (a->cap && (size > a->cap || a->total > a->cap - size))
            return NULL;
        struct arena_chunk *nc = xmalloc(sizeof(*nc) + size);
        nc->size = size;
        nc->used = 0;
        if (c && size == need && c->size - c->used >= ARENA_ALIGN) {
            /* keep the current chunk at the head: it still has room */
            nc->next = c->next;
            c->next = nc;
        } else {
            nc->next = c;
            a->head = nc;
        }
        a->total += size;
        if (a->chunk_size < 1024 * 1024)
            a->chunk_size *= 2;
        c = nc;
    }
    void *p = (char *)c->data + c->used;
    c->used += need;
    return p;
}

void *arena_zalloc(struct arena *a, size_t n)
{
    void *p = arena_alloc(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

char *arena_strndup(struct arena *a, const char *p, size_t n)
{
    char *s = arena_alloc(a, n + 1);
    if (!s)
        return NULL;
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}
