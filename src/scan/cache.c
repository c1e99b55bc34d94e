/* The clean-result cache: a vector of keys plus an open-addressing index. */
#include "scan/cache.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/i18n.h"

#define MAGIC     "VGSCACH1"
#define MAGIC_LEN 8
#define ENTRY_LEN 40
#define HDR_LEN   (MAGIC_LEN + 32 + 8)

struct scan_cache {
    uint8_t version[32];
    struct scan_cache_key *keys;
    size_t n, alloc;
    uint32_t *slots; /* index + 1, 0 empty */
    size_t n_slots;  /* power of two, > 2n */
};

void scan_cache_key_from_stat(const struct stat *st, struct scan_cache_key *ret)
{
    ret->dev = (uint64_t)st->st_dev;
    ret->ino = (uint64_t)st->st_ino;
    ret->size = (uint64_t)st->st_size;
    ret->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    ret->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

struct scan_cache *scan_cache_new(const uint8_t version[32])
{
    struct scan_cache *c = xcalloc(1, sizeof(*c));
    memcpy(c->version, version, 32);
    return c;
}

void scan_cache_free(struct scan_cache *c)
{
    if (!c)
        return;
    free(c->keys);
    free(c->slots);
    free(c);
}

static uint64_t key_hash(const struct scan_cache_key *k)
{
    uint64_t h = k->ino * 0x9e3779b97f4a7c15ull ^ k->dev * 0xc2b2ae3d27d4eb4full;
    h ^= (uint64_t)k->mtime_ns * 0x165667b19e3779f9ull;
    h ^= h >> 29;
    return h * 0xbf58476d1ce4e5b9ull;
}

static bool key_eq(const struct scan_cache_key *a, const struct scan_cache_key *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

/* The slot holding k, or the empty slot where it would go. */
static size_t find_slot(const struct scan_cache *c, const struct scan_cache_key *k)
{
    size_t mask = c->n_slots - 1;
    size_t i = (size_t)key_hash(k) & mask;
    while (c->slots[i] && !key_eq(&c->keys[c->slots[i] - 1], k))
        i = (i + 1) & mask;
    return i;
}

static void reindex(struct scan_cache *c, size_t n_slots)
{
    free(c->slots);
    c->n_slots = n_slots;
    c->slots = xcalloc(n_slots, sizeof(*c->slots));
    size_t kept = 0;
    for (size_t j = 0; j < c->n; j++) {
        size_t i = find_slot(c, &c->keys[j]);
        if (c->slots[i])
            continue; /* a duplicate */
        c->keys[kept] = c->keys[j];
        c->slots[i] = (uint32_t)(kept + 1);
        kept++;
    }
    c->n = kept;
}

bool scan_cache_has(const struct scan_cache *c, const struct scan_cache_key *k)
{
    return c->n_slots && c->slots[find_slot(c, k)] != 0;
}

void scan_cache_add(struct scan_cache *c, const struct scan_cache_key *k)
{
    if (c->n >= SCAN_CACHE_MAX_ENTRIES) {
        size_t half = c->n / 2;
        memmove(c->keys, c->keys + half, (c->n - half) * sizeof(*c->keys));
        c->n -= half;
        reindex(c, c->n_slots);
    }
    if (2 * (c->n + 1) >= c->n_slots)
        reindex(c, c->n_slots ? 2 * c->n_slots : 1024);
    size_t i = find_slot(c, k);
    if (c->slots[i])
        return;
    if (c->n == c->alloc) {
        c->alloc = c->alloc ? 2 * c->alloc : 1024;
        c->keys = xreallocarray(c->keys, c->alloc, sizeof(*c->keys));
    }
    c->keys[c->n++] = *k;
    c->slots[i] = (uint32_t)c->n;
}

size_t scan_cache_count(const struct scan_cache *c)
{
    return c->n;
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void sha256(const uint8_t *p, size_t len, uint8_t out[32])
{
    unsigned int n = 0;
    if (EVP_Digest(p, len, out, &n, EVP_sha256(), NULL) != 1)
        memset(out, 0, 32);
}

int scan_cache_parse(struct scan_cache *c, const uint8_t *p, size_t len)
{
    if (len < HDR_LEN + 32 || memcmp(p, MAGIC, MAGIC_LEN) != 0)
        return -EBADMSG;
    uint64_t count = get64(p + MAGIC_LEN + 32);
    if (count > SCAN_CACHE_MAX_ENTRIES)
        return -E2BIG;
    if (len != HDR_LEN + count * ENTRY_LEN + 32)
        return -EBADMSG;
    uint8_t sum[32];
    sha256(p, len - 32, sum);
    if (memcmp(sum, p + len - 32, 32) != 0)
        return -EBADMSG;
    if (memcmp(p + MAGIC_LEN, c->version, 32) != 0)
        return -ESTALE;
    for (size_t i = 0; i < count; i++) {
        const uint8_t *e = p + HDR_LEN + i * ENTRY_LEN;
        struct scan_cache_key k = {get64(e), get64(e + 8), get64(e + 16), (int64_t)get64(e + 24),
                                   (int64_t)get64(e + 32)};
        scan_cache_add(c, &k);
    }
    return 0;
}

int scan_cache_load(struct scan_cache *c, const char *dir, struct verr *e)
{
    struct buf path = BUF_INIT(0);
    if (buf_printf(&path, "%s/%s", dir, SCAN_CACHE_FILE) < 0) {
        buf_release(&path);
        return verr_set(e, -ENAMETOOLONG, N_("%s: path too long"), dir);
    }
    char *data = NULL;
    size_t len = 0;
    int r = file_read_all(buf_str(&path), HDR_LEN + SCAN_CACHE_MAX_ENTRIES * ENTRY_LEN + 32, &data,
                          &len);
    if (r == -ENOENT)
        r = 0;
    else if (r < 0)
        verr_set(e, r, "%s: %s", buf_str(&path), strerror(-r));
    else
        r = scan_cache_parse(c, (const uint8_t *)data, len);
    free(data);
    buf_release(&path);
    return r;
}

void scan_cache_serialize(const struct scan_cache *c, uint8_t **ret, size_t *ret_len)
{
    size_t len = HDR_LEN + c->n * ENTRY_LEN + 32;
    uint8_t *p = xmalloc(len);
    memcpy(p, MAGIC, MAGIC_LEN);
    memcpy(p + MAGIC_LEN, c->version, 32);
    put64(p + MAGIC_LEN + 32, c->n);
    for (size_t i = 0; i < c->n; i++) {
        uint8_t *e = p + HDR_LEN + i * ENTRY_LEN;
        const struct scan_cache_key *k = &c->keys[i];
        put64(e, k->dev);
        put64(e + 8, k->ino);
        put64(e + 16, k->size);
        put64(e + 24, (uint64_t)k->mtime_ns);
        put64(e + 32, (uint64_t)k->ctime_ns);
    }
    sha256(p, len - 32, p + len - 32);
    *ret = p;
    *ret_len = len;
}

int scan_cache_save(const struct scan_cache *c, const char *dir, struct verr *e)
{
    int r = mkdir_p(dir, 0700);
    if (r < 0)
        return verr_set(e, r, "%s: %s", dir, strerror(-r));
    struct buf path = BUF_INIT(0);
    if (buf_printf(&path, "%s/%s", dir, SCAN_CACHE_FILE) < 0) {
        buf_release(&path);
        return verr_set(e, -ENAMETOOLONG, N_("%s: path too long"), dir);
    }
    uint8_t *p;
    size_t len;
    scan_cache_serialize(c, &p, &len);
    r = file_write_atomic(buf_str(&path), p, len, 0600);
    if (r < 0)
        verr_set(e, r, "%s: %s", buf_str(&path), strerror(-r));
    free(p);
    buf_release(&path);
    return r;
}

void scan_cache_version_of(const struct scan_rules *rules, const struct scan_hashes *hashes,
                           uint8_t out[static 32])
{
    static const uint8_t zero[32];
    uint8_t in[64];
    unsigned int n = 0;

    memcpy(in, rules ? scan_rules_version(rules) : zero, 32);
    memcpy(in + 32, hashes ? scan_hashes_version(hashes) : zero, 32);
    if (EVP_Digest(in, sizeof(in), out, &n, EVP_sha256(), NULL) != 1)
        memset(out, 0, 32);
}
