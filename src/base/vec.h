/*
 * Type-safe growable arrays by macro (a la git's ALLOC_GROW).
 *
 *   VEC(struct foo) v = VEC_INIT;
 *   VEC_PUSH(&v, item);          // aborts on out-of-memory
 *   for (size_t i = 0; i < v.n; i++) use(v.items[i]);
 *   VEC_FREE(&v);
 *
 * Callers bound growth that a peer controls themselves (count limits).
 */
#ifndef VIGIL_BASE_VEC_H
#define VIGIL_BASE_VEC_H

#include "base/common.h"

#define VEC(T)                                                                                    \
    struct {                                                                                      \
        T *items;                                                                                 \
        size_t n;                                                                                 \
        size_t alloc;                                                                             \
    }

#define VEC_INIT { NULL, 0, 0 }

void vec_grow_(void **items, size_t *alloc, size_t need, size_t elem_size);

#define VEC_RESERVE(v, extra)                                                                     \
    do {                                                                                          \
        if ((v)->n + (extra) > (v)->alloc)                                                        \
            vec_grow_((void **)&(v)->items, &(v)->alloc, (v)->n + (extra),                       \
                      sizeof(*(v)->items));                                                       \
    } while (0)

#define VEC_PUSH(v, x)                                                                            \
    do {                                                                                          \
        VEC_RESERVE(v, 1);                                                                        \
        (v)->items[(v)->n++] = (x);                                                               \
    } while (0)

#define VEC_FREE(v)                                                                               \
    do {                                                                                          \
        free((v)->items);                                                                         \
        (v)->items = NULL;                                                                        \
        (v)->n = (v)->alloc = 0;                                                                  \
    } while (0)

#endif
