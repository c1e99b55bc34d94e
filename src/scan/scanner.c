/* One thread's file scanner: read once, hash, match rules. */
#include "scan/scanner.h"

#include <ctype.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <yara.h>

#include "base/i18n.h"

#define KEEP_BUFFER   ((size_t)64 << 20) /* larger buffers are freed after each file */
#define HASH_CHUNK    ((size_t)64 << 10)
#define DEFAULT_TMOUT 60

struct scanner {
    YR_SCANNER *yr;
    const struct scan_hashes *hashes;
    unsigned kinds; /* SCAN_HASH_* computed for every file */
    EVP_MD *md[3];  /* MD5, SHA-1, SHA-256 */
    EVP_MD_CTX *ctx[3];
    uint8_t *buf;
    size_t buf_alloc;
    uint64_t bytes_read;
    struct scan_result *cur;
    uid_t owner_uid;
    char owner[64];
    bool owner_known;
};

static int yr_cb(YR_SCAN_CONTEXT *ctx, int message, void *data, void *ud)
{
    (void)ctx;
    struct scanner *s = ud;
    if (message == CALLBACK_MSG_RULE_MATCHING) {
        const YR_RULE *rule = data;
        struct scan_result *r = s->cur;
        if (r->n_rules < SCAN_MAX_HITS)
            r->rules[r->n_rules++] = rule->identifier;
        r->n_rules_total++;
    }
    return CALLBACK_CONTINUE;
}

struct scanner *scanner_new(const struct scan_rules *rules, const struct scan_hashes *hashes,
                            int timeout_s, struct verr *e)
{
    struct scanner *s = xcalloc(1, sizeof(*s));
    static const char *const names[3] = {"MD5", "SHA1", "SHA256"};
    for (int i = 0; i < 3; i++) {
        s->md[i] = EVP_MD_fetch(NULL, names[i], NULL);
        s->ctx[i] = EVP_MD_CTX_new();
        if (!s->md[i] || !s->ctx[i]) {
            verr_set(e, -ENOMEM, N_("cannot set up the %s digest"), names[i]);
            scanner_free(s);
            return NULL;
        }
    }
    s->hashes = hashes;
    s->kinds = hashes ? scan_hashes_kinds(hashes) : 0;
    if (rules) {
        if (yr_scanner_create(scan_rules_yara(rules), &s->yr) != ERROR_SUCCESS) {
            verr_set(e, -ENOMEM, N_("out of memory"));
            scanner_free(s);
            return NULL;
        }
        yr_scanner_set_callback(s->yr, yr_cb, s);
        yr_scanner_set_timeout(s->yr, timeout_s > 0 ? timeout_s : DEFAULT_TMOUT);
    }
    return s;
}

void scanner_free(struct scanner *s)
{
    if (!s)
        return;
    if (s->yr)
        yr_scanner_destroy(s->yr);
    for (int i = 0; i < 3; i++) {
        EVP_MD_CTX_free(s->ctx[i]);
        EVP_MD_free(s->md[i]);
    }
    free(s->buf);
    free(s);
}

uint64_t scanner_bytes_read(const struct scanner *s)
{
    return s->bytes_read;
}

const char *scan_filetype(const uint8_t *p, size_t len)
{
    if (len >= 2 && p[0] == 'M' && p[1] == 'Z')
        return "EXE";
    if (len >= 4 && memcmp(p,
                           "\x7f"
                           "ELF",
                           4) == 0)
        return "ELF";
    if (len >= 5 && memcmp(p, "%PDF-", 5) == 0)
        return "PDF";
    if (len >= 5 && memcmp(p, "{\\rtf", 5) == 0)
        return "RTF";
    if (len >= 4 && memcmp(p, "PK\x03\x04", 4) == 0)
        return "ZIP";
    if (len >= 4 && memcmp(p, "\xca\xfe\xba\xbe", 4) == 0)
        return "Java";
    return "";
}

/* Compute the digests named by kinds over (p, len) in one pass of chunks. */
static int digest(struct scanner *s, unsigned kinds, const uint8_t *p, size_t len,
                  struct scan_result *r)
{
    uint8_t *out[3] = {r->md5, r->sha1, r->sha256};
    for (int i = 0; i < 3; i++)
        if ((kinds & (1u << i)) && EVP_DigestInit_ex(s->ctx[i], s->md[i], NULL) != 1)
            return -ENOMEM;
    for (size_t off = 0; off < len; off += HASH_CHUNK) {
        size_t n = MIN(HASH_CHUNK, len - off);
        for (int i = 0; i < 3; i++)
            if (kinds & (1u << i))
                EVP_DigestUpdate(s->ctx[i], p + off, n);
    }
    for (int i = 0; i < 3; i++) {
        unsigned int n = 0;
        if ((kinds & (1u << i)) && EVP_DigestFinal_ex(s->ctx[i], out[i], &n) != 1)
            return -ENOMEM;
    }
    return 0;
}

static const char *owner_name(struct scanner *s, uid_t uid)
{
    if (s->owner_known && s->owner_uid == uid)
        return s->owner;
    struct passwd pw, *res = NULL;
    char tmp[4096];
    if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res &&
        strlen(res->pw_name) < sizeof(s->owner))
        memcpy(s->owner, res->pw_name, strlen(res->pw_name) + 1);
    else if (snprintf(s->owner, sizeof(s->owner), "%u", (unsigned)uid) < 0)
        s->owner[0] = '\0';
    s->owner_uid = uid;
    s->owner_known = true;
    return s->owner;
}

static void set_externals(struct scanner *s, const uint8_t *p, size_t len, const char *path,
                          uid_t uid)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char ext[32] = "";
    const char *dot = strrchr(base, '.');
    if (dot && dot != base && strlen(dot) < sizeof(ext)) {
        for (size_t i = 0; dot[i]; i++)
            ext[i] = (char)tolower((unsigned char)dot[i]);
        ext[strlen(dot)] = '\0';
    }
    yr_scanner_define_string_variable(s->yr, "filename", base);
    yr_scanner_define_string_variable(s->yr, "filepath", path);
    yr_scanner_define_string_variable(s->yr, "extension", ext);
    yr_scanner_define_string_variable(s->yr, "filetype", scan_filetype(p, len));
    yr_scanner_define_string_variable(s->yr, "owner", owner_name(s, uid));
}

int scanner_scan_mem(struct scanner *s, const uint8_t *p, size_t len, const char *path, uid_t uid,
                     struct scan_result *ret)
{
    struct scan_result *r = ret;
    r->path = path;
    r->size = len;
    r->have_hashes = false;
    r->n_rules = r->n_rules_total = 0;
    r->hash_match = NULL;
    r->timeout = false;
    r->changed = false;
    if (s->kinds) {
        if (digest(s, s->kinds, p, len, r) < 0)
            return -ENOMEM;
        r->hash_match = scan_hashes_match(s->hashes, (s->kinds & SCAN_HASH_MD5) ? r->md5 : NULL,
                                          (s->kinds & SCAN_HASH_SHA1) ? r->sha1 : NULL,
                                          (s->kinds & SCAN_HASH_SHA256) ? r->sha256 : NULL);
    }
    if (s->yr) {
        set_externals(s, p, len, path, uid);
        s->cur = r;
        int yr = yr_scanner_scan_mem(s->yr, p, len);
        s->cur = NULL;
        if (yr == ERROR_SCAN_TIMEOUT)
            r->timeout = true;
        else if (yr == ERROR_INSUFFICIENT_MEMORY)
            return -ENOMEM;
        else if (yr != ERROR_SUCCESS)
            return -EPROTO;
    }
    if (scan_result_detected(r) ||
        s->kinds == (SCAN_HASH_MD5 | SCAN_HASH_SHA1 | SCAN_HASH_SHA256)) {
        unsigned missing = ~s->kinds & (SCAN_HASH_MD5 | SCAN_HASH_SHA1 | SCAN_HASH_SHA256);
        if (missing && digest(s, missing, p, len, r) < 0)
            return -ENOMEM;
        r->have_hashes = true;
    }
    return 0;
}

int scanner_scan_fd(struct scanner *s, int fd, const char *path, const struct stat *st,
                    struct scan_result *ret)
{
    uint64_t size = st->st_size > 0 ? (uint64_t)st->st_size : 0;
    if (size > SCAN_MAX_FILE_SIZE)
        return -EFBIG;
    /* One byte more than the size, to see that a file grew. */
    size_t want = (size_t)size + 1;
    if (want > s->buf_alloc) {
        free(s->buf);
        s->buf_alloc = MAX(want, (size_t)HASH_CHUNK);
        s->buf = malloc(s->buf_alloc);
        if (!s->buf) {
            s->buf_alloc = 0;
            return -ENOMEM;
        }
    }
    size_t got = 0;
    while (got < want) {
        ssize_t n = read(fd, s->buf + got, want - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -EIO;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    s->bytes_read += got;
    bool changed = got != size;
    size_t len = got > size ? (size_t)size : got;
    int r = scanner_scan_mem(s, s->buf, len, path, st->st_uid, ret);
    ret->changed = changed;
    if (s->buf_alloc > KEEP_BUFFER) {
        free(s->buf);
        s->buf = NULL;
        s->buf_alloc = 0;
    }
    return r;
}
