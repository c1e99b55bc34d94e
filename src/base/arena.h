/*
 * struct arena: bump allocator for per-request and per-batch work (nginx
 * pools). Everything allocated from an arena is freed at once by
 * arena_release(). Allocations are 16-byte aligned. An arena may carry a cap
 * on its total size; past it allocation returns NULL.
 */
#ifndef VIGIL_BASE_ARENA_H
#define VIGIL_BASE_ARENA_H

#include "base/common.h"

struct arena_chunk;

struct arena {
    struct arena_chunk *head;
    size_t total;      /* bytes in all chunks */
    size_t cap;        /* 0: unlimited */
    size_t chunk_size; /* default chunk size */
};

void arena_init(struct arena *a, size_t cap);
void arena_release(struct arena *a);
/* Returns n bytes, or NULL if the cap would be passed. */
void *arena_alloc(struct arena *a, size_t n) WUR;
void *arena_zalloc(struct arena *a, size_t n) WUR;
/* Copy (p, n) into the arena and NUL-terminate it. NULL past the cap. */
char *arena_strndup(struct arena *a, const char *p, size_t n) WUR;
char *arena_strdup(struct arena *a, const char *s) WUR;

#endif
