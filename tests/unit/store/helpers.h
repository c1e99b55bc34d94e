/* Shared helpers of the store's unit tests: a temporary data directory, a
 * store in it, hand-built feeds and short-hand registrations. */
#ifndef VIGIL_TESTS_STORE_HELPERS_H
#define VIGIL_TESTS_STORE_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <ftw.h>
#include <unistd.h>

#include "base/addr.h"
#include "base/i18n.h"
#include "intel/feed.h"
#include "store/store.h"

struct tctx {
    char dir[64];
    struct store *s;
    struct actor alice; /* an analyst token's identity */
};

static inline int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb;
    (void)flag;
    (void)f;
    return remove(p);
}

static inline void tmp_rmrf(const char *dir)
{
    nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static inline int tctx_setup(void **state)
{
    i18n_set(LANG_EN);
    struct tctx *t = calloc(1, sizeof(*t));
    snprintf(t->dir, sizeof(t->dir), "/tmp/vigil-store-XXXXXX");
    if (!mkdtemp(t->dir))
        return -1;
    struct verr err = {0};
    if (store_open(t->dir, &t->s, &err) < 0) {
        fprintf(stderr, "store_open: %s\n", err.msg);
        return -1;
    }
    t->alice.token_id = 7;
    snprintf(t->alice.name, sizeof(t->alice.name), "alice");
    snprintf(t->alice.role, sizeof(t->alice.role), "analyst");
    *state = t;
    return 0;
}

static inline int tctx_teardown(void **state)
{
    struct tctx *t = *state;
    store_close(t->s);
    tmp_rmrf(t->dir);
    free(t);
    return 0;
}

static inline int64_t add_unit(struct tctx *t, const char *name, int64_t parent)
{
    struct verr err = {0};
    int64_t id = 0;
    int r = store_unit_add(t->s, &t->alice, name, NULL, parent, &id, &err);
    if (r < 0)
        fprintf(stderr, "unit_add: %s\n", err.msg);
    assert_int_equal(r, 0);
    return id;
}

/* addrs: a NULL-terminated list. *ret_found (may be NULL) gets findings_created. */
static inline int64_t add_system_n(struct tctx *t, int64_t unit, const char *name, int level,
                                   const char *const *addrs, int64_t *ret_found)
{
    size_t n = 0;
    while (addrs[n])
        n++;
    struct system_spec spec = {
        .name = name, .unit_id = unit, .level = level, .addrs = addrs, .n_addrs = n};
    struct verr err = {0};
    int64_t id = 0, found = 0;
    int r = store_system_add_ex(t->s, &t->alice, &spec, &id, &found, &err);
    if (r < 0)
        fprintf(stderr, "system_add: %s\n", err.msg);
    assert_int_equal(r, 0);
    if (ret_found)
        *ret_found = found;
    return id;
}

static inline int64_t add_system(struct tctx *t, int64_t unit, const char *name, int level,
                                 const char *addr)
{
    const char *addrs[] = {addr, NULL};
    return add_system_n(t, unit, name, level, addrs, NULL);
}

/* Append one IP indicator given as text (strict) to f. */
static inline void feed_add_ip(struct feed *f, const char *text, const char *malware, int port)
{
    struct indicator ind;
    memset(&ind, 0, sizeof(ind));
    ind.type = IND_IP;
    assert_int_equal(prefix_parse(text, strlen(text), true, &ind.ip), ADDR_OK);
    ind.malware = malware;
    ind.port = (uint16_t)port;
    ind.line = (uint32_t)f->items.n + 1;
    VEC_PUSH(&f->items, ind);
    f->n_lines++;
    f->n_data++;
}

/* A feed from a NULL-terminated list of addresses. */
static inline void feed_of(struct feed *f, const char *const *ips)
{
    feed_init(f);
    f->format = FEED_TEXT;
    for (size_t i = 0; ips[i]; i++)
        feed_add_ip(f, ips[i], "mirai", 23);
}

static inline int import_feed(struct tctx *t, const char *feed, const char *date,
                              const struct feed *f, json_t **ret, struct verr *err)
{
    struct import_spec spec = {
        .feed = feed, .kind = "botnet", .list_date = date, .source_name = "list.csv", .parsed = f};
    return store_feed_import(t->s, &t->alice, &spec, ret, err);
}

/* Import a list of addresses; returns the result object (caller decrefs). */
static inline json_t *import_ips(struct tctx *t, const char *feed, const char *date,
                                 const char *const *ips)
{
    struct feed f;
    feed_of(&f, ips);
    json_t *res = NULL;
    struct verr err = {0};
    int r = import_feed(t, feed, date, &f, &res, &err);
    if (r < 0)
        fprintf(stderr, "import: %s\n", err.msg);
    assert_int_equal(r, 0);
    feed_release(&f);
    return res;
}

static inline int64_t jint(json_t *o, const char *path_a, const char *path_b)
{
    json_t *v = json_object_get(o, path_a);
    if (path_b)
        v = json_object_get(v, path_b);
    assert_non_null(v);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static inline const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    assert_non_null(v);
    assert_true(json_is_string(v));
    return json_string_value(v);
}

static inline int64_t stat_of(struct tctx *t, const char *key)
{
    json_t *st = store_stats(t->s);
    int64_t v = jint(st, key, NULL);
    json_decref(st);
    return v;
}

/* All findings as {total, items}, every page of them. */
static inline json_t *findings_all(struct tctx *t, const struct finding_filter *ff)
{
    struct finding_filter f0 = {0};
    struct finding_filter f = ff ? *ff : f0;
    f.limit = 10000;
    json_t *all = NULL;
    for (f.offset = 0;; f.offset += f.limit) {
        json_t *res = NULL;
        struct verr err = {0};
        int r = store_finding_list(t->s, &f, &res, &err);
        if (r < 0)
            fprintf(stderr, "finding_list: %s\n", err.msg);
        assert_int_equal(r, 0);
        if (!all) {
            all = res;
        } else {
            json_array_extend(json_object_get(all, "items"), json_object_get(res, "items"));
            json_decref(res);
        }
        if (json_array_size(json_object_get(all, "items")) >=
                (size_t)json_integer_value(json_object_get(all, "total")) ||
            json_array_size(json_object_get(all, "items")) < f.offset + f.limit)
            break;
    }
    return all;
}

/* The finding of (system, indicator), or NULL. Borrowed from list. */
static inline json_t *find_in(json_t *list, int64_t system_id, const char *indicator)
{
    json_t *items = json_object_get(list, "items");
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        if (json_integer_value(json_object_get(it, "system_id")) == system_id &&
            strcmp(json_string_value(json_object_get(it, "indicator")), indicator) == 0)
            return it;
    }
    return NULL;
}

#endif
