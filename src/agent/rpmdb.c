/* The rpm SQLite database and its header blobs (see rpmdb.h). */
#include "agent/rpmdb.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/bytes.h"
#include "base/str.h"

#define ENTRY_LEN 16u

/* The NUL-terminated string at off in data (dl bytes), or NULL. */
static const char *data_string(const uint8_t *data, uint32_t dl, uint32_t off)
{
    const uint8_t *nul;
    size_t room;

    if (off >= dl)
        return NULL;
    room = MIN((size_t)(dl - off), (size_t)RPM_MAX_STRING + 1);
    nul = memchr(data + off, '\0', room);
    if (!nul || !str_valid_utf8(data + off, (size_t)(nul - (data + off))))
        return NULL;
    return (const char *)(data + off);
}

int rpm_header_parse(const uint8_t *p, size_t len, struct rpm_header *ret)
{
    struct rpm_header h = {0};
    const uint8_t *data;
    uint32_t il, dl;

    if (len < 8)
        return -EBADMSG;
    il = load_be32(p);
    dl = load_be32(p + 4);
    if (il == 0 || il > RPM_MAX_INDEX || dl > RPM_MAX_BLOB)
        return -EBADMSG;
    /* il <= 65535 and dl <= 64 MiB: no overflow in size_t */
    if ((size_t)8 + (size_t)il * ENTRY_LEN + dl > len)
        return -EBADMSG;
    data = p + 8 + (size_t)il * ENTRY_LEN;

    for (uint32_t i = 0; i < il; i++) {
        const uint8_t *e = p + 8 + (size_t)i * ENTRY_LEN;
        uint32_t tag = load_be32(e), type = load_be32(e + 4), off = load_be32(e + 8), count = load_be32(e + 12);
        const char **dst = NULL;

        switch (tag) {
        case RPMTAG_NAME:
            dst = &h.name;
            break;
        case RPMTAG_VERSION:
            dst = &h.version;
            break;
        case RPMTAG_RELEASE:
            dst = &h.release;
            break;
        case RPMTAG_ARCH:
            dst = &h.arch;
            break;
        case RPMTAG_EPOCH:
            if (h.has_epoch || type != RPM_TYPE_INT32 || count != 1 || off % 4 != 0 || off > dl ||
                dl - off < 4)
                return -EBADMSG;
            h.has_epoch = true;
            h.epoch = load_be32(data + off);
            continue;
        default:
            continue;
        }
        if (*dst || type != RPM_TYPE_STRING || count != 1)
            return -EBADMSG;
        if (!(*dst = data_string(data, dl, off)))
            return -EBADMSG;
    }
    if (!h.name || !h.version || !h.release || !*h.name)
        return -ENOENT;
    *ret = h;
    return 0;
}

json_t *rpm_header_json(const struct rpm_header *h)
{
    json_t *o = json_object();
    char epoch[16] = "";

    if (h->has_epoch)
        (void)snprintf(epoch, sizeof(epoch), "%" PRIu32 ":", h->epoch);
    json_object_set_new(o, "name", json_string(h->name));
    json_object_set_new(o, "version", json_sprintf("%s%s-%s", epoch, h->version, h->release));
    if (h->arch)
        json_object_set_new(o, "arch", json_string(h->arch));
    json_object_set_new(o, "source", json_string("rpm"));
    return o;
}

/* "file:<path, percent-encoded>?immutable=1" into out; false if too long. */
static bool immutable_uri(const char *path, char *out, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    const char *tail = "?immutable=1";

    if (size < 6)
        return false;
    memcpy(out, "file:", 5);
    n = 5;
    for (const unsigned char *s = (const unsigned char *)path; *s; s++) {
        bool plain = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                     (*s >= '0' && *s <= '9') || strchr("/-_.~", *s);
        if (size - n < 4)
            return false;
        if (plain) {
            out[n++] = (char)*s;
        } else {
            out[n++] = '%';
            out[n++] = hex[*s >> 4];
            out[n++] = hex[*s & 15];
        }
    }
    if (size - n <= strlen(tail))
        return false;
    memcpy(out + n, tail, strlen(tail) + 1);
    return true;
}

int rpmdb_read(const char *path, json_t *arr, size_t max)
{
    char uri[3 * 4096 + 32];
    struct stat st;
    sqlite3 *db = NULL;
    sqlite3_stmt *st_blob = NULL;
    int n = 0, r;

    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return -ENOENT;
    if (!immutable_uri(path, uri, sizeof(uri)))
        return -ENAMETOOLONG;
    if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT blob FROM Packages ORDER BY hnum", -1, &st_blob, NULL) !=
            SQLITE_OK) {
        sqlite3_close(db);
        return -EIO;
    }
    while ((r = sqlite3_step(st_blob)) == SQLITE_ROW && json_array_size(arr) < max) {
        const uint8_t *b = sqlite3_column_blob(st_blob, 0);
        int blen = sqlite3_column_bytes(st_blob, 0);
        struct rpm_header h;

        if (!b || blen <= 0 || (size_t)blen > RPM_MAX_BLOB ||
            rpm_header_parse(b, (size_t)blen, &h) < 0)
            continue;
        json_array_append_new(arr, rpm_header_json(&h));
        n++;
    }
    sqlite3_finalize(st_blob);
    sqlite3_close(db);
    return r == SQLITE_ROW || r == SQLITE_DONE ? n : -EIO;
}
