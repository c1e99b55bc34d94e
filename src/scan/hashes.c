/* Hash IOCs for the scanner: feed documents into an intel/hashset. */
#include "scan/hashes.h"

#include <string.h>

#include <openssl/evp.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/i18n.h"
#include "base/vec.h"
#include "intel/feed.h"
#include "intel/hashset.h"

#define MAX_NAMES (1u << 20) /* distinct detection names */

struct scan_hashes {
    struct hashset *set;
    VEC(char *) names; /* value -> name */
    size_t n_kind[3];  /* MD5, SHA-1, SHA-256 digests held */
    uint8_t version[32];
};

struct scan_hashes *scan_hashes_new(void)
{
    struct scan_hashes *h = xcalloc(1, sizeof(*h));
    h->set = hashset_new();
    return h;
}

void scan_hashes_free(struct scan_hashes *h)
{
    if (!h)
        return;
    hashset_free(h->set);
    for (size_t i = 0; i < h->names.n; i++)
        free(h->names.items[i]);
    VEC_FREE(&h->names);
    free(h);
}

/* The value of name: an existing entry (a linear look at the last few, as
 * feeds list families in runs) or a new one. */
static int name_value(struct scan_hashes *h, const char *name, uint32_t *ret)
{
    size_t lo = h->names.n > 64 ? h->names.n - 64 : 0;
    for (size_t i = h->names.n; i > lo; i--)
        if (strcmp(h->names.items[i - 1], name) == 0) {
            *ret = (uint32_t)(i - 1);
            return 0;
        }
    if (h->names.n >= MAX_NAMES)
        return -E2BIG;
    VEC_PUSH(&h->names, xstrdup(name));
    *ret = (uint32_t)(h->names.n - 1);
    return 0;
}

static void update_version(struct scan_hashes *h, const uint8_t *p, size_t len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int n = 0;
    if (md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1) {
        EVP_DigestUpdate(md, h->version, sizeof(h->version));
        EVP_DigestUpdate(md, p, len);
        EVP_DigestFinal_ex(md, h->version, &n);
    }
    EVP_MD_CTX_free(md);
}

int scan_hashes_load_mem(struct scan_hashes *h, const uint8_t *p, size_t len,
                         const char *name_if_none, struct verr *e)
{
    struct feed f;
    feed_init(&f);
    int r = feed_parse(p, len, NULL, &f, e);
    size_t n_added = 0;
    for (size_t i = 0; r == 0 && i < f.items.n; i++) {
        const struct indicator *ind = &f.items.items[i];
        size_t dlen = ind->type == IND_MD5 ? 16 : ind->type == IND_SHA1 ? 20 : 32;
        if (ind->type != IND_MD5 && ind->type != IND_SHA1 && ind->type != IND_SHA256)
            continue;
        uint32_t v = 0;
        r = name_value(h, ind->malware && *ind->malware ? ind->malware : name_if_none, &v);
        if (r == 0)
            r = hashset_add(h->set, ind->hash, dlen, v);
        if (r == 0)
            h->n_kind[ind->type == IND_MD5 ? 0 : ind->type == IND_SHA1 ? 1 : 2]++;
        if (r < 0)
            verr_set(e, r, N_("line %u: too many hashes"), (unsigned)ind->line);
        n_added++;
    }
    feed_release(&f);
    if (r == 0 && n_added == 0)
        r = verr_set(e, -ENODATA, N_("no file hashes in the list"));
    if (r == 0)
        update_version(h, p, len);
    return r;
}

int scan_hashes_load_file(struct scan_hashes *h, const char *path, struct verr *e)
{
    char *data = NULL;
    size_t len = 0;
    int r = file_read_all(path, SCAN_HASHES_MAX_FILE, &data, &len);
    if (r < 0)
        return verr_set(e, r, "%s: %s", path, strerror(-r));
    const char *base = strrchr(path, '/');
    struct buf name = BUF_INIT(4096);
    if (buf_printf(&name, "hash:%s", base ? base + 1 : path) < 0)
        buf_truncate(&name, 0);
    r = scan_hashes_load_mem(h, (const uint8_t *)data, len, buf_str(&name), e);
    buf_release(&name);
    free(data);
    if (r < 0)
        verr_prefix(e, "%s", path);
    return r;
}

const char *scan_hashes_match(const struct scan_hashes *h, const uint8_t md5[16],
                              const uint8_t sha1[20], const uint8_t sha256[32])
{
    uint32_t v;
    if ((sha256 && hashset_lookup(h->set, sha256, 32, &v)) ||
        (sha1 && hashset_lookup(h->set, sha1, 20, &v)) ||
        (md5 && hashset_lookup(h->set, md5, 16, &v)))
        return v < h->names.n ? h->names.items[v] : "hash";
    return NULL;
}

size_t scan_hashes_count(const struct scan_hashes *h)
{
    return hashset_count(h->set);
}

const uint8_t *scan_hashes_version(const struct scan_hashes *h)
{
    return h->version;
}

unsigned scan_hashes_kinds(const struct scan_hashes *h)
{
    return (h->n_kind[0] ? SCAN_HASH_MD5 : 0) | (h->n_kind[1] ? SCAN_HASH_SHA1 : 0) |
           (h->n_kind[2] ? SCAN_HASH_SHA256 : 0);
}
