/*
 * An incremental parser for one HTTP/1.1 response (status line, headers,
 * body). It does no I/O: feed it the bytes as they arrive, tell it when the
 * peer closed. Bodies are delimited by Content-Length, chunked transfer
 * coding, or the end of the connection. Everything the peer controls is
 * bounded: line length, header bytes and count, chunk size, body size.
 *
 *   struct http_parser p;
 *   http_parser_init(&p, 64 << 20);
 *   while ((r = http_parser_feed(&p, data, n)) == 0) ... read more ...
 *   at EOF: r = http_parser_eof(&p);
 *   r == 1: p.status, p.content_type, p.body are the response.
 *   http_parser_release(&p);
 */
#ifndef VIGIL_WIRE_HTTP_RESPONSE_H
#define VIGIL_WIRE_HTTP_RESPONSE_H

#include "base/buf.h"
#include "base/common.h"

#define HTTP_MAX_LINE    (16 * 1024) /* one status, header, chunk-size or trailer line */
#define HTTP_MAX_HEAD    (64 * 1024) /* all header (and trailer) lines of a response */
#define HTTP_MAX_HEADERS 100

enum http_state {
    HTTP_ST_STATUS,
    HTTP_ST_HEADER,
    HTTP_ST_BODY_LENGTH,
    HTTP_ST_BODY_EOF,
    HTTP_ST_CHUNK_SIZE,
    HTTP_ST_CHUNK_DATA,
    HTTP_ST_CHUNK_END,
    HTTP_ST_TRAILER,
    HTTP_ST_DONE,
    HTTP_ST_ERROR,
};

struct http_parser {
    /* The response, valid once a feed/eof call returned 1. */
    int status;         /* 100..599 */
    char *content_type; /* malloc'd value of Content-Type, NULL if absent */
    struct buf body;    /* capped at the max_body given to init */

    /* English reason for the last error (translate with _()); NULL if none. */
    const char *why;

    /* Internal state. */
    enum http_state state;
    struct buf line;
    size_t head_bytes;
    unsigned n_headers;
    bool chunked;
    bool have_length;
    uint64_t length;    /* Content-Length value */
    uint64_t remaining; /* bytes left in the body or the current chunk */
    int error;
};

/* Prepare a parser whose body may hold at most max_body bytes. */
void http_parser_init(struct http_parser *p, size_t max_body);
/* Free what the parser holds (content_type, body). */
void http_parser_release(struct http_parser *p);

/* Feed the next len bytes. Returns 1 when the response is complete (bytes
 * after its end are ignored), 0 when more input is needed, -EPROTO for a
 * malformed response or -E2BIG when a limit is passed (p->why says which).
 * After an error or completion, further calls return the same result. */
int http_parser_feed(struct http_parser *p, const uint8_t *data, size_t len) WUR;

/* The peer closed the connection. Returns 1 if the response is complete
 * (including a body delimited by the close), otherwise -EPROTO (truncated). */
int http_parser_eof(struct http_parser *p) WUR;

#endif
