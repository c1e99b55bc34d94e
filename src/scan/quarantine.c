/* Quarantine: an encrypted, root-only store with exact restore. */
#include "scan/quarantine.h"

#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/i18n.h"
#include "base/str.h"
#include "base/vec.h"
#include "base/vtime.h"

#define MAGIC     "VGQ1"
#define MAGIC_LEN 4
#define NONCE_LEN 12
#define TAG_LEN   16
#define KEY_LEN   32
#define CHUNK     ((size_t)64 << 10)
#define KEY_FILE  "host.key"

struct quar_store {
    char *dir;
    int dirfd;
    uint8_t key[KEY_LEN];
};

/* ---- metadata ---- */

void quar_meta_release(struct quar_meta *m)
{
    free(m->path);
    free(m->detection);
    free(m->scan_id);
    m->path = m->detection = m->scan_id = NULL;
}

static bool is_hex(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static int get_text(json_t *o, const char *key, char **ret, struct verr *e)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v) || json_string_length(v) > QUAR_TEXT_MAX ||
        strlen(json_string_value(v)) != json_string_length(v))
        return verr_set(e, -EINVAL, N_("quarantine record: bad or missing '%s'"), key);
    *ret = xstrdup(json_string_value(v));
    return 0;
}

static int get_hex(json_t *o, const char *key, char *out, size_t n, struct verr *e)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v) || !is_hex(json_string_value(v), n))
        return verr_set(e, -EINVAL, N_("quarantine record: bad or missing '%s'"), key);
    memcpy(out, json_string_value(v), n + 1);
    return 0;
}

static int get_int(json_t *o, const char *key, int64_t min, int64_t max, int64_t *ret,
                   struct verr *e)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return verr_set(e, -EINVAL, N_("quarantine record: bad or missing '%s'"), key);
    *ret = json_integer_value(v);
    return 0;
}

int quar_meta_parse(const uint8_t *p, size_t len, struct quar_meta *ret, struct verr *e)
{
    if (len > QUAR_META_MAX)
        return verr_set(e, -EINVAL, N_("quarantine record larger than %u bytes"),
                        (unsigned)QUAR_META_MAX);
    json_error_t je;
    json_t *o = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES, &je);
    if (!o || !json_is_object(o)) {
        json_decref(o);
        return verr_set(e, -EINVAL, N_("quarantine record: not a JSON object"));
    }
    struct quar_meta m = {0};
    int64_t uid = 0, gid = 0, mode = 0, size = 0;
    int r = get_hex(o, "id", m.id, QUAR_ID_LEN, e);
    if (r == 0)
        r = get_text(o, "path", &m.path, e);
    if (r == 0 && m.path[0] != '/')
        r = verr_set(e, -EINVAL, N_("quarantine record: bad or missing '%s'"), "path");
    if (r == 0)
        r = get_text(o, "detection", &m.detection, e);
    if (r == 0)
        r = get_text(o, "scan_id", &m.scan_id, e);
    if (r == 0)
        r = get_int(o, "uid", 0, UINT32_MAX, &uid, e);
    if (r == 0)
        r = get_int(o, "gid", 0, UINT32_MAX, &gid, e);
    if (r == 0)
        r = get_int(o, "mode", 0, 07777, &mode, e);
    if (r == 0)
        r = get_int(o, "size", 0, INT64_MAX, &size, e);
    if (r == 0)
        r = get_int(o, "atime_ns", INT64_MIN, INT64_MAX, &m.atime_ns, e);
    if (r == 0)
        r = get_int(o, "mtime_ns", INT64_MIN, INT64_MAX, &m.mtime_ns, e);
    if (r == 0)
        r = get_int(o, "time", 0, INT64_MAX, &m.time, e);
    if (r == 0)
        r = get_hex(o, "md5", m.md5, 32, e);
    if (r == 0)
        r = get_hex(o, "sha1", m.sha1, 40, e);
    if (r == 0)
        r = get_hex(o, "sha256", m.sha256, 64, e);
    json_decref(o);
    if (r < 0) {
        quar_meta_release(&m);
        return r;
    }
    m.uid = (uint32_t)uid;
    m.gid = (uint32_t)gid;
    m.mode = (uint32_t)mode;
    m.size = (uint64_t)size;
    *ret = m;
    return 0;
}

char *quar_meta_encode(const struct quar_meta *m)
{
    json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:I}",
                          "id", m->id, "path", m->path, "uid", (json_int_t)m->uid, "gid",
                          (json_int_t)m->gid, "mode", (json_int_t)m->mode, "size",
                          (json_int_t)m->size, "atime_ns", (json_int_t)m->atime_ns, "mtime_ns",
                          (json_int_t)m->mtime_ns, "md5", m->md5, "sha1", m->sha1, "sha256",
                          m->sha256, "detection", m->detection ? m->detection : "", "scan_id",
                          m->scan_id ? m->scan_id : "", "time", (json_int_t)m->time);
    if (!o)
        return NULL;
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

/* ---- policy ---- */

static const char *const critical_dirs[] = {"/bin",   "/sbin",  "/usr",    "/lib",
                                            "/lib32", "/lib64", "/libx32", "/etc",
                                            "/boot",  "/proc",  "/sys",    "/dev"};

static bool under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (n == 1 && dir[0] == '/')
        return path[0] == '/';
    return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* realpath of the directory holding path, joined with its last name. */
static int resolve(const char *path, char out[static PATH_MAX])
{
    char copy[PATH_MAX], copy2[PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= PATH_MAX)
        return -ENAMETOOLONG;
    memcpy(copy, path, n + 1);
    memcpy(copy2, path, n + 1);
    char dirres[PATH_MAX];
    if (!realpath(dirname(copy), dirres))
        return -errno;
    const char *base = basename(copy2);
    int w = snprintf(out, PATH_MAX, "%s/%s", strcmp(dirres, "/") == 0 ? "" : dirres, base);
    return w < 0 || w >= PATH_MAX ? -ENAMETOOLONG : 0;
}

int quar_check_path(const char *path, const struct quar_policy *p, struct verr *e)
{
    char real[PATH_MAX];
    int r = resolve(path, real);
    if (r < 0)
        return verr_set(e, r, "%s: %s", path, strerror(-r));
    if (p->force)
        return 0;
    for (size_t i = 0; i < ARRAY_SIZE(critical_dirs); i++)
        if (under(real, critical_dirs[i]))
            return verr_set(e, -EPERM,
                            N_("%s: in the system directory %s: not quarantined without --force"),
                            path, critical_dirs[i]);
    for (size_t i = 0; i < p->n_roots; i++) {
        char root[PATH_MAX];
        if (realpath(p->roots[i], root) && under(real, root))
            return 0;
    }
    return verr_set(e, -EPERM, N_("%s: outside the scanned roots: not quarantined without --force"),
                    path);
}

/* ---- the store ---- */

static int load_key(struct quar_store *q, struct verr *e)
{
    int fd = openat(q->dirfd, KEY_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        uint8_t key[KEY_LEN];
        if (RAND_bytes(key, KEY_LEN) != 1)
            return verr_set(e, -EIO, N_("cannot make a random key"));
        fd = openat(q->dirfd, KEY_FILE, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0) {
            int r = write_all(fd, key, KEY_LEN);
            if (r == 0 && fsync(fd) != 0)
                r = -errno;
            close(fd);
            if (r < 0)
                return verr_set(e, r, "%s/%s: %s", q->dir, KEY_FILE, strerror(-r));
            fsync(q->dirfd);
        }
        fd = openat(q->dirfd, KEY_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0)
        return verr_set(e, -errno, "%s/%s: %s", q->dir, KEY_FILE, strerror(errno));
    struct stat st;
    ssize_t n = -1;
    if (fstat(fd, &st) == 0 && !(st.st_mode & 077) && st.st_size == KEY_LEN)
        n = read(fd, q->key, KEY_LEN);
    close(fd);
    if (n != KEY_LEN)
        return verr_set(e, -EPERM, N_("%s/%s: not a 32-byte key file of mode 0600"), q->dir,
                        KEY_FILE);
    return 0;
}

int quar_open(const char *dir, struct quar_store **ret, struct verr *e)
{
    int r = mkdir_p(dir, 0700);
    if (r < 0)
        return verr_set(e, r, "%s: %s", dir, strerror(-r));
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return verr_set(e, -errno, "%s: %s", dir, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || (st.st_mode & 077) || st.st_uid != geteuid()) {
        close(fd);
        return verr_set(e, -EPERM, N_("%s: the quarantine directory must be ours with mode 0700"),
                        dir);
    }
    struct quar_store *q = xcalloc(1, sizeof(*q));
    q->dir = xstrdup(dir);
    q->dirfd = fd;
    r = load_key(q, e);
    if (r < 0) {
        quar_close(q);
        return r;
    }
    *ret = q;
    return 0;
}

void quar_close(struct quar_store *q)
{
    if (!q)
        return;
    if (q->dirfd >= 0)
        close(q->dirfd);
    OPENSSL_cleanse(q->key, KEY_LEN);
    free(q->dir);
    free(q);
}

static int item_name(const char *id, const char *suffix, char out[static 64])
{
    int n = snprintf(out, 64, "%s%s", id, suffix);
    return n > 0 && n < 64 ? 0 : -ENAMETOOLONG;
}

/* ---- encryption ---- */

struct digests {
    EVP_MD_CTX *md[3];
};

static int digests_init(struct digests *d)
{
    const EVP_MD *kinds[3] = {EVP_md5(), EVP_sha1(), EVP_sha256()};
    for (int i = 0; i < 3; i++) {
        d->md[i] = EVP_MD_CTX_new();
        if (!d->md[i] || EVP_DigestInit_ex(d->md[i], kinds[i], NULL) != 1)
            return -ENOMEM;
    }
    return 0;
}

static void digests_update(struct digests *d, const uint8_t *p, size_t n)
{
    for (int i = 0; i < 3; i++)
        EVP_DigestUpdate(d->md[i], p, n);
}

/* Finish into hex md5/sha1/sha256 and free. */
static void digests_final(struct digests *d, char md5[33], char sha1[41], char sha256[65])
{
    char *out[3] = {md5, sha1, sha256};
    for (int i = 0; i < 3; i++) {
        uint8_t raw[32];
        unsigned int n = 0;
        if (d->md[i] && EVP_DigestFinal_ex(d->md[i], raw, &n) == 1)
            hex_encode(raw, n, out[i]);
        else
            out[i][0] = '\0';
        EVP_MD_CTX_free(d->md[i]);
        d->md[i] = NULL;
    }
}

static void digests_free(struct digests *d)
{
    for (int i = 0; i < 3; i++)
        EVP_MD_CTX_free(d->md[i]);
}

static int read_full(int fd, uint8_t *p, size_t n, size_t *ret)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, p + got, n - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -errno;
        if (k == 0)
            break;
        got += (size_t)k;
    }
    *ret = got;
    return 0;
}

/*
 * Encrypt (enc) or decrypt in to out with AES-256-GCM: plaintext digests
 * go to d. Encrypting writes the header and tag; decrypting reads them and
 * fails with -EBADMSG unless the tag verifies. *ret_len is the plaintext
 * length.
 */
static int crypt_stream(const struct quar_store *q, const char *id, bool enc, int in, int out,
                        struct digests *d, uint64_t *ret_len)
{
    uint8_t nonce[NONCE_LEN], hdr[MAGIC_LEN];
    size_t got = 0;
    int r = 0;
    if (enc) {
        if (RAND_bytes(nonce, NONCE_LEN) != 1)
            return -EIO;
        memcpy(hdr, MAGIC, MAGIC_LEN);
        if ((r = write_all(out, hdr, MAGIC_LEN)) < 0 || (r = write_all(out, nonce, NONCE_LEN)) < 0)
            return r;
    } else {
        if ((r = read_full(in, hdr, MAGIC_LEN, &got)) < 0)
            return r;
        if (got != MAGIC_LEN || memcmp(hdr, MAGIC, MAGIC_LEN) != 0)
            return -EBADMSG;
        if ((r = read_full(in, nonce, NONCE_LEN, &got)) < 0)
            return r;
        if (got != NONCE_LEN)
            return -EBADMSG;
    }
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    uint8_t *ib = xmalloc(CHUNK + TAG_LEN), *ob = xmalloc(CHUNK + TAG_LEN);
    int n = 0;
    if (!c || EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, q->key, nonce, enc ? 1 : 0) != 1 ||
        EVP_CipherUpdate(c, NULL, &n, (const uint8_t *)MAGIC, MAGIC_LEN) != 1 ||
        EVP_CipherUpdate(c, NULL, &n, (const uint8_t *)id, (int)strlen(id)) != 1)
        r = -EIO;
    uint64_t total = 0;
    /* Decrypting, the last TAG_LEN bytes of the input are the tag: keep
     * them back in ib until the end. */
    size_t held = 0;
    while (r == 0) {
        r = read_full(in, ib + held, CHUNK, &got);
        if (r < 0)
            break;
        size_t avail = held + got, use = avail;
        if (!enc)
            use = avail > TAG_LEN ? avail - TAG_LEN : 0;
        if (use > 0) {
            if (enc)
                digests_update(d, ib, use);
            if (EVP_CipherUpdate(c, ob, &n, ib, (int)use) != 1) {
                r = -EIO;
                break;
            }
            if (!enc)
                digests_update(d, ob, (size_t)n);
            total += use;
            if ((r = write_all(out, ob, (size_t)n)) < 0)
                break;
        }
        held = avail - use;
        memmove(ib, ib + use, held);
        if (got < CHUNK)
            break;
    }
    if (r == 0 && enc) {
        uint8_t tag[TAG_LEN];
        if (EVP_CipherFinal_ex(c, ob, &n) != 1 ||
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1)
            r = -EIO;
        else
            r = write_all(out, tag, TAG_LEN);
    } else if (r == 0) {
        if (held != TAG_LEN || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, ib) != 1 ||
            EVP_CipherFinal_ex(c, ob, &n) != 1)
            r = -EBADMSG;
    }
    EVP_CIPHER_CTX_free(c);
    free(ib);
    free(ob);
    if (r == 0)
        *ret_len = total;
    return r;
}

/* ---- add ---- */

static void new_id(char out[static QUAR_ID_LEN + 1])
{
    uint8_t raw[QUAR_ID_LEN / 2];
    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        uint64_t t = vtime_mono_ns() ^ (uint64_t)getpid() << 32;
        memset(raw, 0, sizeof(raw));
        memcpy(raw, &t, sizeof(t));
    }
    hex_encode(raw, sizeof(raw), out);
}

static int write_meta(struct quar_store *q, const struct quar_meta *m, struct verr *e)
{
    char *doc = quar_meta_encode(m);
    if (!doc)
        return verr_set(e, -ENOMEM, N_("out of memory"));
    struct buf path = BUF_INIT(0);
    int r = buf_printf(&path, "%s/%s.json", q->dir, m->id);
    if (r == 0)
        r = file_write_atomic(buf_str(&path), doc, strlen(doc), 0600);
    if (r < 0)
        verr_set(e, r, "%s: %s", buf_str(&path), strerror(-r));
    buf_release(&path);
    free(doc);
    return r;
}

/* Encrypt the open file src into <id>.vq; fill the metadata from it. */
static int store_blob(struct quar_store *q, int src, struct quar_meta *m, struct verr *e)
{
    char part[64], fin[64];
    if (item_name(m->id, ".vq.part", part) < 0 || item_name(m->id, ".vq", fin) < 0)
        return -ENAMETOOLONG;
    int out = openat(q->dirfd, part, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0)
        return verr_set(e, -errno, "%s/%s: %s", q->dir, part, strerror(errno));
    struct digests d = {0};
    uint64_t len = 0;
    int r = digests_init(&d);
    if (r == 0)
        r = crypt_stream(q, m->id, true, src, out, &d, &len);
    if (r == 0 && fsync(out) != 0)
        r = -errno;
    close(out);
    digests_final(&d, m->md5, m->sha1, m->sha256);
    digests_free(&d);
    if (r == 0 && len != m->size)
        r = -EAGAIN; /* the file changed while copied */
    if (r == 0 && renameat(q->dirfd, part, q->dirfd, fin) != 0)
        r = -errno;
    if (r < 0) {
        unlinkat(q->dirfd, part, 0);
        return verr_set(e, r, N_("%s: cannot store the file: %s"), m->path, strerror(-r));
    }
    fsync(q->dirfd);
    return 0;
}

int quar_add(struct quar_store *q, const char *path, const char *detection, const char *scan_id,
             const struct quar_policy *p, struct quar_meta *ret_meta, struct verr *e)
{
    int r = quar_check_path(path, p, e);
    if (r < 0)
        return r;
    char real[PATH_MAX];
    r = resolve(path, real);
    if (r < 0)
        return verr_set(e, r, "%s: %s", path, strerror(-r));
    struct stat st;
    if (lstat(real, &st) != 0)
        return verr_set(e, -errno, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return verr_set(e, -EINVAL, N_("%s: not a regular file"), path);

    struct quar_meta m = {.path = real,
                          .detection = (char *)(detection ? detection : ""),
                          .scan_id = (char *)(scan_id ? scan_id : ""),
                          .time = vtime_now()};
    new_id(m.id);
    char tmp[64];
    if (item_name(m.id, ".plain", tmp) < 0)
        return -ENAMETOOLONG;
    /* Same filesystem: the file leaves its place atomically. */
    bool moved = renameat(AT_FDCWD, real, q->dirfd, tmp) == 0;
    int src = moved ? openat(q->dirfd, tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
                    : open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (src < 0 || fstat(src, &st) != 0 || !S_ISREG(st.st_mode)) {
        r = verr_set(e, -errno ? -errno : -EINVAL, "%s: %s", path, strerror(errno));
        goto undo;
    }
    m.uid = st.st_uid;
    m.gid = st.st_gid;
    m.mode = st.st_mode & 07777;
    m.size = (uint64_t)st.st_size;
    m.atime_ns = (int64_t)st.st_atim.tv_sec * 1000000000 + st.st_atim.tv_nsec;
    m.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    r = store_blob(q, src, &m, e);
    if (r == 0)
        r = write_meta(q, &m, e);
    if (r < 0) {
        char fin[64];
        if (item_name(m.id, ".vq", fin) == 0)
            unlinkat(q->dirfd, fin, 0);
        goto undo;
    }
    if (moved) {
        unlinkat(q->dirfd, tmp, 0);
    } else {
        /* Unlink the original only if it is still the file we copied. */
        struct stat now;
        if (lstat(real, &now) == 0 && now.st_dev == st.st_dev && now.st_ino == st.st_ino)
            unlink(real);
    }
    fsync(q->dirfd);
    close(src);
    if (ret_meta) {
        *ret_meta = m;
        ret_meta->path = xstrdup(m.path);
        ret_meta->detection = xstrdup(m.detection);
        ret_meta->scan_id = xstrdup(m.scan_id);
    }
    return 0;
undo:
    if (src >= 0)
        close(src);
    if (moved && renameat(q->dirfd, tmp, AT_FDCWD, real) != 0)
        verr_prefix(e, N_("the file is left in the quarantine directory as %s"), tmp);
    return r;
}

/* ---- restore ---- */

static int load_meta(struct quar_store *q, const char *id, struct quar_meta *m, struct verr *e)
{
    if (!is_hex(id, QUAR_ID_LEN))
        return verr_set(e, -ENOENT, N_("no quarantined item '%s'"), id);
    char name[64];
    if (item_name(id, ".json", name) < 0)
        return -ENAMETOOLONG;
    int fd = openat(q->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return verr_set(e, errno == ENOENT ? -ENOENT : -errno, N_("no quarantined item '%s'"), id);
    char *doc = NULL;
    size_t len = 0;
    int r = fd_read_all(fd, QUAR_META_MAX, &doc, &len);
    close(fd);
    if (r < 0)
        return verr_set(e, r, "%s/%s: %s", q->dir, name, strerror(-r));
    r = quar_meta_parse((const uint8_t *)doc, len, m, e);
    free(doc);
    if (r == 0 && strcmp(m->id, id) != 0) {
        quar_meta_release(m);
        r = verr_set(e, -EINVAL, N_("quarantine record: bad or missing '%s'"), "id");
    }
    return r;
}

static int remove_item(struct quar_store *q, const char *id)
{
    char a[64], b[64];
    if (item_name(id, ".vq", a) < 0 || item_name(id, ".json", b) < 0)
        return -ENAMETOOLONG;
    int r = 0;
    if (unlinkat(q->dirfd, a, 0) != 0 && errno != ENOENT)
        r = -errno;
    if (unlinkat(q->dirfd, b, 0) != 0 && errno != ENOENT)
        r = -errno;
    fsync(q->dirfd);
    return r;
}

/* Decrypt the item into the new file out, check it and give it the
 * original owner, mode and times. */
static int restore_into(struct quar_store *q, const struct quar_meta *m, int out, struct verr *e)
{
    char name[64];
    if (item_name(m->id, ".vq", name) < 0)
        return -ENAMETOOLONG;
    int in = openat(q->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0)
        return verr_set(e, -errno, "%s/%s: %s", q->dir, name, strerror(errno));
    struct digests d = {0};
    uint64_t len = 0;
    char md5[33], sha1[41], sha256[65];
    int r = digests_init(&d);
    if (r == 0)
        r = crypt_stream(q, m->id, false, in, out, &d, &len);
    close(in);
    digests_final(&d, md5, sha1, sha256);
    digests_free(&d);
    if (r == 0 && (len != m->size || strcmp(sha256, m->sha256) != 0))
        r = -EBADMSG;
    if (r == -EBADMSG)
        return verr_set(e, r, N_("item %s fails its integrity check"), m->id);
    if (r < 0)
        return verr_set(e, r, N_("item %s: %s"), m->id, strerror(-r));
    struct timespec ts[2] = {{m->atime_ns / 1000000000, m->atime_ns % 1000000000},
                             {m->mtime_ns / 1000000000, m->mtime_ns % 1000000000}};
    if (fchown(out, m->uid, m->gid) != 0 || fchmod(out, m->mode) != 0 || futimens(out, ts) != 0 ||
        fsync(out) != 0)
        return verr_set(e, -errno, "%s: %s", m->path, strerror(errno));
    return 0;
}

int quar_restore(struct quar_store *q, const char *id, struct verr *e)
{
    struct quar_meta m;
    int r = load_meta(q, id, &m, e);
    if (r < 0)
        return r;
    char dir[PATH_MAX], base[PATH_MAX];
    size_t n = strlen(m.path);
    const char *slash = strrchr(m.path, '/');
    if (n >= PATH_MAX || !slash || slash[1] == '\0') {
        quar_meta_release(&m);
        return verr_set(e, -EINVAL, N_("quarantine record: bad or missing '%s'"), "path");
    }
    size_t dl = slash == m.path ? 1 : (size_t)(slash - m.path);
    memcpy(dir, m.path, dl);
    dir[dl] = '\0';
    memcpy(base, slash + 1, n - (size_t)(slash + 1 - m.path) + 1);

    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) {
        r = verr_set(e, -errno, "%s: %s", dir, strerror(errno));
        quar_meta_release(&m);
        return r;
    }
    struct stat st;
    char tmp[96];
    int out = -1;
    if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        r = S_ISLNK(st.st_mode)
                ? verr_set(e, -ELOOP, N_("%s: the destination is now a symlink: not restored"),
                           m.path)
                : verr_set(e, -EEXIST, N_("%s: the destination exists: not restored"), m.path);
        goto out;
    }
    if (snprintf(tmp, sizeof(tmp), ".vigil-restore-%s", m.id) >= (int)sizeof(tmp)) {
        r = -ENAMETOOLONG;
        goto out;
    }
    out = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0) {
        r = verr_set(e, -errno, "%s/%s: %s", dir, tmp, strerror(errno));
        goto out;
    }
    r = restore_into(q, &m, out, e);
    close(out);
    if (r == 0 && renameat2(dfd, tmp, dfd, base, RENAME_NOREPLACE) != 0) {
        int err = errno;
        /* Filesystems without RENAME_NOREPLACE: link() never replaces either. */
        if ((err == EINVAL || err == ENOSYS) && linkat(dfd, tmp, dfd, base, 0) == 0)
            err = 0;
        if (err == EEXIST)
            r = verr_set(e, -EEXIST, N_("%s: the destination exists: not restored"), m.path);
        else if (err)
            r = verr_set(e, -err, "%s: %s", m.path, strerror(err));
    }
    unlinkat(dfd, tmp, 0);
    if (r == 0) {
        fsync(dfd);
        r = remove_item(q, m.id);
        if (r < 0)
            verr_set(e, r, N_("restored, but the item could not be removed from the store: %s"),
                     strerror(-r));
    }
out:
    close(dfd);
    quar_meta_release(&m);
    return r;
}

/* ---- list and purge ---- */

typedef VEC(struct quar_meta) meta_vec;

static int cmp_meta(const void *a, const void *b)
{
    const struct quar_meta *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return strcmp(x->id, y->id);
}

static int load_all(struct quar_store *q, meta_vec *v, size_t *ret_bad, struct verr *e)
{
    int fd = dup(q->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return verr_set(e, -errno, "%s: %s", q->dir, strerror(errno));
    }
    rewinddir(d);
    size_t bad = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n != QUAR_ID_LEN + 5 || strcmp(de->d_name + QUAR_ID_LEN, ".json") != 0)
            continue;
        char id[QUAR_ID_LEN + 1];
        memcpy(id, de->d_name, QUAR_ID_LEN);
        id[QUAR_ID_LEN] = '\0';
        struct quar_meta m;
        struct verr ignored;
        verr_init(&ignored);
        if (load_meta(q, id, &m, &ignored) == 0)
            VEC_PUSH(v, m);
        else
            bad++;
    }
    closedir(d);
    if (v->n)
        qsort(v->items, v->n, sizeof(v->items[0]), cmp_meta);
    if (ret_bad)
        *ret_bad = bad;
    return 0;
}

static void free_all(meta_vec *v)
{
    for (size_t i = 0; i < v->n; i++)
        quar_meta_release(&v->items[i]);
    VEC_FREE(v);
}

int quar_list(struct quar_store *q, void (*fn)(const struct quar_meta *m, void *ud), void *ud,
              size_t *ret_bad, struct verr *e)
{
    meta_vec v = VEC_INIT;
    int r = load_all(q, &v, ret_bad, e);
    for (size_t i = 0; r == 0 && i < v.n; i++)
        fn(&v.items[i], ud);
    free_all(&v);
    return r;
}

int quar_purge(struct quar_store *q, int64_t older_than_s, size_t *ret_n, struct verr *e)
{
    meta_vec v = VEC_INIT;
    int r = load_all(q, &v, NULL, e);
    int64_t cutoff = vtime_now() - older_than_s;
    size_t n = 0;
    for (size_t i = 0; r == 0 && i < v.n; i++) {
        if (v.items[i].time >= cutoff)
            continue;
        r = remove_item(q, v.items[i].id);
        if (r < 0)
            verr_set(e, r, N_("item %s: %s"), v.items[i].id, strerror(-r));
        else
            n++;
    }
    free_all(&v);
    *ret_n = n;
    return r;
}
