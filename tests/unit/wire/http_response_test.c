/* Unit tests for src/wire/http_response.c: hand-written responses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "wire/http_response.h"

/* Feed s in pieces of step bytes (0: all at once); return the last result. */
static int feed_steps(struct http_parser *p, const char *s, size_t step)
{
    size_t len = strlen(s);
    if (step == 0)
        step = len ? len : 1;
    int r = 0;
    for (size_t off = 0; off < len; off += step) {
        size_t n = len - off < step ? len - off : step;
        r = http_parser_feed(p, (const uint8_t *)s + off, n);
        if (r != 0)
            return r;
    }
    return r;
}

static void test_content_length(void **state)
{
    (void)state;
    const char *resp = "HTTP/1.1 200 OK\r\n"
                       "Content-Type: application/json\r\n"
                       "Content-Length: 11\r\n"
                       "\r\n"
                       "{\"a\":\"xyz\"}";
    /* Every split point must give the same result. */
    for (size_t step = 0; step <= 7; step++) {
        struct http_parser p;
        http_parser_init(&p, 1024);
        assert_int_equal(feed_steps(&p, resp, step), 1);
        assert_int_equal(p.status, 200);
        assert_string_equal(p.content_type, "application/json");
        assert_int_equal(p.body.len, 11);
        assert_memory_equal(p.body.data, "{\"a\":\"xyz\"}", 11);
        http_parser_release(&p);
    }
}

static void test_trailing_bytes_ignored(void **state)
{
    (void)state;
    struct http_parser p;
    http_parser_init(&p, 1024);
    assert_int_equal(
        feed_steps(&p, "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nokGARBAGE", 0), 1);
    assert_int_equal(p.status, 201);
    assert_int_equal(p.body.len, 2);
    assert_memory_equal(p.body.data, "ok", 2);
    http_parser_release(&p);
}

static void test_chunked(void **state)
{
    (void)state;
    const char *resp = "HTTP/1.1 200 OK\r\n"
                       "Transfer-Encoding: chunked\r\n"
                       "\r\n"
                       "5\r\nhello\r\n"
                       "1;ext=yes\r\n,\r\n"
                       "A\r\n world 123\r\n"
                       "0\r\n"
                       "X-Trailer: 1\r\n"
                       "\r\n";
    for (size_t step = 0; step <= 5; step++) {
        struct http_parser p;
        http_parser_init(&p, 1024);
        assert_int_equal(feed_steps(&p, resp, step), 1);
        assert_int_equal(p.body.len, 16);
        assert_memory_equal(p.body.data, "hello, world 123", 16);
        http_parser_release(&p);
    }
}

static void test_chunked_bad(void **state)
{
    (void)state;
    const char *bad[] = {
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct http_parser p;
        http_parser_init(&p, 1024);
        assert_int_equal(feed_steps(&p, bad[i], 0), -EPROTO);
        assert_non_null(p.why);
        /* Errors are sticky. */
        assert_int_equal(http_parser_feed(&p, (const uint8_t *)"x", 1), -EPROTO);
        http_parser_release(&p);
    }
}

static void test_body_until_close(void **state)
{
    (void)state;
    struct http_parser p;
    http_parser_init(&p, 1024);
    assert_int_equal(feed_steps(&p, "HTTP/1.0 200 OK\r\n\r\nsome body", 0), 0);
    assert_int_equal(http_parser_eof(&p), 1);
    assert_int_equal(p.body.len, 9);
    assert_memory_equal(p.body.data, "some body", 9);
    http_parser_release(&p);
}

static void test_truncated(void **state)
{
    (void)state;
    const char *cut[] = {
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        "HTTP/1.1 200 OK\r\nContent-Le",
        "",
    };
    for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
        struct http_parser p;
        http_parser_init(&p, 1024);
        assert_int_equal(feed_steps(&p, cut[i], 0), 0);
        assert_int_equal(http_parser_eof(&p), -EPROTO);
        http_parser_release(&p);
    }
}

static void test_oversized(void **state)
{
    (void)state;
    struct http_parser p;
    /* Announced length over the cap: rejected before any body arrives. */
    http_parser_init(&p, 100);
    assert_int_equal(feed_steps(&p, "HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n", 0), -E2BIG);
    http_parser_release(&p);

    /* Exactly at the cap is fine. */
    http_parser_init(&p, 4);
    assert_int_equal(feed_steps(&p, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd", 0), 1);
    http_parser_release(&p);

    /* Chunks adding up past the cap. */
    http_parser_init(&p, 8);
    assert_int_equal(
        feed_steps(&p, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n4\r\n",
                   0),
        -E2BIG);
    http_parser_release(&p);

    /* A body delimited by close, growing past the cap. */
    http_parser_init(&p, 8);
    assert_int_equal(feed_steps(&p, "HTTP/1.1 200 OK\r\n\r\n123456789", 0), -E2BIG);
    http_parser_release(&p);

    /* An endless header line. */
    http_parser_init(&p, 8);
    assert_int_equal(feed_steps(&p, "HTTP/1.1 200 OK\r\nX: ", 0), 0);
    char junk[4096];
    memset(junk, 'a', sizeof(junk));
    int r = 0;
    for (int i = 0; i < 100 && r == 0; i++)
        r = http_parser_feed(&p, (const uint8_t *)junk, sizeof(junk));
    assert_int_equal(r, -E2BIG);
    http_parser_release(&p);

    /* Too many headers. */
    http_parser_init(&p, 8);
    r = feed_steps(&p, "HTTP/1.1 200 OK\r\n", 0);
    for (int i = 0; i < HTTP_MAX_HEADERS + 1 && r == 0; i++)
        r = feed_steps(&p, "X-A: b\r\n", 0);
    assert_int_equal(r, -E2BIG);
    http_parser_release(&p);
}

static void test_bad_heads(void **state)
{
    (void)state;
    const char *bad[] = {
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 600 Nope\r\n\r\n",
        "HTTP/1.1 200OK\r\n\r\n",
        "SSH-2.0-OpenSSH\r\n",
        "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\n folded: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
        "HTTP/1.1 101 Switching\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct http_parser p;
        http_parser_init(&p, 1024);
        assert_int_equal(feed_steps(&p, bad[i], 0), -EPROTO);
        http_parser_release(&p);
    }
}

static void test_no_body_statuses(void **state)
{
    (void)state;
    struct http_parser p;
    http_parser_init(&p, 1024);
    assert_int_equal(feed_steps(&p, "HTTP/1.1 204 No Content\r\nX: y\r\n\r\n", 0), 1);
    assert_int_equal(p.status, 204);
    assert_int_equal(p.body.len, 0);
    assert_null(p.content_type);
    http_parser_release(&p);

    /* An interim 100 Continue is skipped; the final response counts. */
    http_parser_init(&p, 1024);
    assert_int_equal(feed_steps(&p,
                                "HTTP/1.1 100 Continue\r\n\r\n"
                                "HTTP/1.1 422 Unprocessable Entity\r\n"
                                "content-type: application/problem+json\r\n"
                                "content-length: 2\r\n\r\n{}",
                                0),
                     1);
    assert_int_equal(p.status, 422);
    assert_string_equal(p.content_type, "application/problem+json");
    http_parser_release(&p);
}

static void test_bare_lf(void **state)
{
    (void)state;
    struct http_parser p;
    http_parser_init(&p, 1024);
    assert_int_equal(feed_steps(&p, "HTTP/1.1 404 Not Found\nContent-Length: 3\n\nabc", 0), 1);
    assert_int_equal(p.status, 404);
    assert_memory_equal(p.body.data, "abc", 3);
    http_parser_release(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_length),   cmocka_unit_test(test_trailing_bytes_ignored),
        cmocka_unit_test(test_chunked),          cmocka_unit_test(test_chunked_bad),
        cmocka_unit_test(test_body_until_close), cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_oversized),        cmocka_unit_test(test_bad_heads),
        cmocka_unit_test(test_no_body_statuses), cmocka_unit_test(test_bare_lf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
