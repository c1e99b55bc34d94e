/* Incremental HTTP/1.1 response parser (see http_response.h). */
#include "wire/http_response.h"

#include <string.h>

#include "base/i18n.h"
#include "base/str.h"

void http_parser_init(struct http_parser *p, size_t max_body)
{
    memset(p, 0, sizeof(*p));
    buf_init(&p->body, max_body ? max_body : 1);
    buf_init(&p->line, HTTP_MAX_LINE);
    p->state = HTTP_ST_STATUS;
}

void http_parser_release(struct http_parser *p)
{
    free(p->content_type);
    p->content_type = NULL;
    buf_release(&p->body);
    buf_release(&p->line);
}

static int fail(struct http_parser *p, int code, const char *why)
{
    p->state = HTTP_ST_ERROR;
    p->error = code;
    p->why = why;
    return code;
}

static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* "HTTP/1.1 200 OK" (the reason phrase may be empty or absent). */
static int parse_status(struct http_parser *p, const char *s, size_t n)
{
    if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || (s[7] != '0' && s[7] != '1') || s[8] != ' ')
        return fail(p, -EPROTO, N_("bad HTTP status line"));
    uint64_t code;
    if (str_to_u64(s + 9, 3, 999, &code) < 0 || code < 100 || code > 599)
        return fail(p, -EPROTO, N_("bad HTTP status code"));
    if (n > 12 && s[12] != ' ')
        return fail(p, -EPROTO, N_("bad HTTP status line"));
    for (size_t i = 12; i < n; i++)
        if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
            return fail(p, -EPROTO, N_("bad HTTP status line"));
    p->status = (int)code;
    p->state = HTTP_ST_HEADER;
    p->n_headers = 0;
    p->chunked = false;
    p->have_length = false;
    free(p->content_type);
    p->content_type = NULL;
    return 0;
}

static int parse_header(struct http_parser *p, const char *s, size_t n)
{
    if (n > 0 && (s[0] == ' ' || s[0] == '\t'))
        return fail(p, -EPROTO, N_("folded HTTP header line"));
    const char *colon = memchr(s, ':', n);
    if (!colon || colon == s)
        return fail(p, -EPROTO, N_("bad HTTP header line"));
    size_t name_len = (size_t)(colon - s);
    for (size_t i = 0; i < name_len; i++)
        if (!is_tchar((unsigned char)s[i]))
            return fail(p, -EPROTO, N_("bad HTTP header name"));
    const char *v = colon + 1;
    size_t vlen = n - name_len - 1;
    str_trim(&v, &vlen);
    for (size_t i = 0; i < vlen; i++) {
        unsigned char c = (unsigned char)v[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return fail(p, -EPROTO, N_("bad HTTP header value"));
    }
    if (++p->n_headers > HTTP_MAX_HEADERS)
        return fail(p, -E2BIG, N_("too many HTTP headers"));
    if (p->state == HTTP_ST_TRAILER)
        return 0; /* trailers carry nothing we use */

    if (str_ieq(s, name_len, "content-length")) {
        uint64_t len;
        if (str_to_u64(v, vlen, UINT64_MAX / 2, &len) < 0)
            return fail(p, -EPROTO, N_("bad Content-Length"));
        if (p->have_length && len != p->length)
            return fail(p, -EPROTO, N_("conflicting Content-Length headers"));
        p->have_length = true;
        p->length = len;
    } else if (str_ieq(s, name_len, "transfer-encoding")) {
        /* We send no TE header, so the only coding we accept is chunked. */
        if (!str_ieq(v, vlen, "chunked"))
            return fail(p, -EPROTO, N_("unsupported Transfer-Encoding"));
        p->chunked = true;
    } else if (str_ieq(s, name_len, "content-type")) {
        free(p->content_type);
        p->content_type = xstrndup(v, vlen);
    }
    return 0;
}

/* The empty line after the headers: decide how the body is delimited. */
static int end_of_headers(struct http_parser *p)
{
    if (p->status >= 100 && p->status < 200) {
        if (p->status == 101)
            return fail(p, -EPROTO, N_("unexpected protocol switch"));
        p->state = HTTP_ST_STATUS; /* interim response: the real one follows */
        return 0;
    }
    if (p->status == 204 || p->status == 304) {
        p->state = HTTP_ST_DONE;
        return 1;
    }
    if (p->chunked) {
        p->state = HTTP_ST_CHUNK_SIZE;
        return 0;
    }
    if (p->have_length) {
        if (p->length > p->body.cap)
            return fail(p, -E2BIG, N_("HTTP response body too large"));
        p->remaining = p->length;
        if (p->remaining == 0) {
            p->state = HTTP_ST_DONE;
            return 1;
        }
        p->state = HTTP_ST_BODY_LENGTH;
        return 0;
    }
    p->state = HTTP_ST_BODY_EOF;
    return 0;
}

/* "1a3f" or "1a3f;ext=1". */
static int parse_chunk_size(struct http_parser *p, const char *s, size_t n)
{
    const char *semi = memchr(s, ';', n);
    size_t digits = semi ? (size_t)(semi - s) : n;
    while (digits > 0 && (s[digits - 1] == ' ' || s[digits - 1] == '\t'))
        digits--;
    if (digits == 0 || digits > 16)
        return fail(p, -EPROTO, N_("bad chunk size"));
    uint64_t size = 0;
    for (size_t i = 0; i < digits; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return fail(p, -EPROTO, N_("bad chunk size"));
        size = size << 4 | d;
    }
    if (size == 0) {
        p->state = HTTP_ST_TRAILER;
        return 0;
    }
    if (size > p->body.cap - p->body.len)
        return fail(p, -E2BIG, N_("HTTP response body too large"));
    p->remaining = size;
    p->state = HTTP_ST_CHUNK_DATA;
    return 0;
}

/* One complete line (without its line end). Returns 1 when done, 0 or < 0. */
static int on_line(struct http_parser *p, const char *s, size_t n)
{
    switch (p->state) {
    case HTTP_ST_STATUS:
        if (n == 0 && p->head_bytes <= 2)
            return 0; /* tolerate a stray empty line before the status line */
        return parse_status(p, s, n);
    case HTTP_ST_HEADER:
        return n == 0 ? end_of_headers(p) : parse_header(p, s, n);
    case HTTP_ST_CHUNK_SIZE:
        return parse_chunk_size(p, s, n);
    case HTTP_ST_CHUNK_END:
        if (n != 0)
            return fail(p, -EPROTO, N_("missing line end after chunk"));
        p->state = HTTP_ST_CHUNK_SIZE;
        return 0;
    case HTTP_ST_TRAILER:
        if (n == 0) {
            p->state = HTTP_ST_DONE;
            return 1;
        }
        return parse_header(p, s, n);
    default:
        return fail(p, -EPROTO, N_("bad HTTP response"));
    }
}

static bool in_line_state(enum http_state s)
{
    return s == HTTP_ST_STATUS || s == HTTP_ST_HEADER || s == HTTP_ST_CHUNK_SIZE ||
           s == HTTP_ST_CHUNK_END || s == HTTP_ST_TRAILER;
}

static bool counts_as_head(enum http_state s)
{
    return s == HTTP_ST_STATUS || s == HTTP_ST_HEADER || s == HTTP_ST_TRAILER;
}

int http_parser_feed(struct http_parser *p, const uint8_t *data, size_t len)
{
    if (p->state == HTTP_ST_ERROR)
        return p->error;
    if (p->state == HTTP_ST_DONE)
        return 1;

    while (len > 0) {
        if (in_line_state(p->state)) {
            const uint8_t *nl = memchr(data, '\n', len);
            size_t take = nl ? (size_t)(nl - data) + 1 : len;
            if (counts_as_head(p->state)) {
                p->head_bytes += take;
                if (p->head_bytes > HTTP_MAX_HEAD)
                    return fail(p, -E2BIG, N_("HTTP response headers too large"));
            }
            if (buf_append(&p->line, data, take) < 0)
                return fail(p, -E2BIG, N_("HTTP response line too long"));
            data += take;
            len -= take;
            if (!nl)
                break;
            size_t n = p->line.len - 1; /* drop '\n' */
            if (n > 0 && p->line.data[n - 1] == '\r')
                n--;
            if (memchr(p->line.data, '\0', n) || memchr(p->line.data, '\r', n))
                return fail(p, -EPROTO, N_("bad HTTP response line"));
            int r = on_line(p, p->line.data, n);
            buf_reset(&p->line);
            if (r != 0)
                return r;
            continue;
        }

        size_t take = len;
        if (p->state == HTTP_ST_BODY_LENGTH || p->state == HTTP_ST_CHUNK_DATA)
            take = (size_t)MIN((uint64_t)len, p->remaining);
        if (buf_append(&p->body, data, take) < 0)
            return fail(p, -E2BIG, N_("HTTP response body too large"));
        data += take;
        len -= take;
        if (p->state == HTTP_ST_BODY_EOF)
            continue;
        p->remaining -= take;
        if (p->remaining == 0) {
            if (p->state == HTTP_ST_BODY_LENGTH) {
                p->state = HTTP_ST_DONE;
                return 1;
            }
            p->state = HTTP_ST_CHUNK_END;
        }
    }
    return 0;
}

int http_parser_eof(struct http_parser *p)
{
    if (p->state == HTTP_ST_ERROR)
        return p->error;
    if (p->state == HTTP_ST_DONE)
        return 1;
    if (p->state == HTTP_ST_BODY_EOF) {
        p->state = HTTP_ST_DONE;
        return 1;
    }
    return fail(p, -EPROTO, N_("connection closed before the response was complete"));
}
