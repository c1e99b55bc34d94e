/* vigild's API as the sensor uses it (upstream.h). */
#include "sensor/upstream.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "base/file.h"
#include "wire/http_client.h"

#define TOKEN_FILE_MAX 4096
#define TIMEOUT_MS     30000
#define VALUES_MAX     ((size_t)1 << 30)

struct upstream {
    struct http_client client;
    char token[256];
    char *cacert;
};

int upstream_open(const struct sensor_config *c, struct upstream **ret, struct verr *err)
{
    struct upstream *u = xcalloc(1, sizeof(*u));
    char *tok = NULL;
    size_t len = 0;
    int rc;

    if ((rc = http_url_parse(c->vigild.url, &u->client.url, err)) < 0)
        goto fail;
    if (c->vigild.fingerprint) {
        if (http_fingerprint_parse(c->vigild.fingerprint, u->client.fingerprint) < 0) {
            rc = verr_set(err, -EINVAL, "vigild.fingerprint: expected SHA256:<64 hex digits>");
            goto fail;
        }
        u->client.have_fingerprint = true;
    }
    if (c->vigild.cacert)
        u->cacert = xstrdup(c->vigild.cacert);
    u->client.cacert = u->cacert;
    u->client.connect_timeout_ms = 10000;
    if ((rc = file_read_all(c->vigild.token_file, TOKEN_FILE_MAX, &tok, &len)) < 0) {
        rc =
            verr_set(err, rc, "%s: cannot read the token: %s", c->vigild.token_file, strerror(-rc));
        goto fail;
    }
    while (len && (tok[len - 1] == '\n' || tok[len - 1] == '\r' || tok[len - 1] == ' '))
        len--;
    if (len == 0 || len >= sizeof(u->token)) {
        free(tok);
        rc = verr_set(err, -EINVAL, "%s: no token in the file", c->vigild.token_file);
        goto fail;
    }
    memcpy(u->token, tok, len);
    u->token[len] = '\0';
    free(tok);
    *ret = u;
    return 0;
fail:
    upstream_close(u);
    return rc;
}

void upstream_close(struct upstream *u)
{
    if (!u)
        return;
    free(u->cacert);
    explicit_bzero(u->token, sizeof(u->token));
    free(u);
}

/* One request; 0 with the parser filled when the status is want. */
static int call(struct upstream *u, const char *method, const char *target, const char *ctype,
                const void *body, size_t body_len, int want, struct http_parser *p,
                struct verr *err)
{
    struct http_request req = {
        .method = method,
        .target = target,
        .accept_language = "en",
        .token = u->token,
        .content_type = ctype,
        .body = body,
        .body_len = body_len,
        .body_fd = -1,
        .timeout_ms = TIMEOUT_MS,
    };
    int rc = http_do(&u->client, &req, p, err);

    if (rc < 0)
        return rc;
    if (p->status != want) {
        int n = (int)MIN(p->body.len, (size_t)200);
        return verr_set(err, -EPROTO, "%s %s: HTTP %d: %.*s", method, target, p->status, n,
                        buf_str(&p->body));
    }
    return 0;
}

int upstream_pull(struct upstream *u, const char *feed, int64_t *version, struct buf *body,
                  struct verr *err)
{
    struct http_parser p;
    char target[256];
    json_t *doc, *items;
    json_int_t latest = 0;
    int rc;

    snprintf(target, sizeof(target), "/api/v1/feeds/%s/versions", feed);
    rc = call(u, "GET", target, NULL, NULL, 0, 200, &p, err);
    if (rc == 0) {
        doc = json_loadb(buf_str(&p.body), p.body.len, 0, NULL);
        items = json_object_get(doc, "items");
        latest = json_integer_value(json_object_get(json_array_get(items, 0), "id"));
        json_decref(doc);
        if (latest <= 0)
            rc = verr_set(err, -ENOENT, "feed %s: no version in vigild", feed);
    }
    http_parser_release(&p);
    if (rc < 0 || latest == *version)
        return rc;
    snprintf(target, sizeof(target), "/api/v1/feeds/%s/indicators?version=%lld", feed,
             (long long)latest);
    rc = call(u, "GET", target, NULL, NULL, 0, 200, &p, err);
    if (rc == 0) {
        buf_reset(body);
        if (buf_append(body, buf_str(&p.body), p.body.len) < 0)
            rc = verr_set(err, -E2BIG, "feed %s: too large", feed);
    }
    http_parser_release(&p);
    if (rc < 0)
        return rc;
    *version = latest;
    return 1;
}

int upstream_post(struct upstream *u, const char *p, size_t n, struct verr *err)
{
    struct http_parser r;
    int rc = call(u, "POST", "/api/v1/sightings", "application/x-ndjson", p, n, 201, &r, err);
    http_parser_release(&r);
    return rc;
}
