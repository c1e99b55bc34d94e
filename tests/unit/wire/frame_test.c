/* Unit tests for src/wire/frame.c: headers written by hand, zstd bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <zstd.h>

#include "wire/proto.h"

static const uint8_t hello_hdr[PROTO_HDR_LEN] = {
    0x56, 0x47,        0x4C, 0x31, /* "VGL1" */
    1,    FRAME_HELLO, 0,    0,    0, 0, 0, 3, 0, 0, 0, 3,
};

static void test_encode_plain(void **state)
{
    (void)state;
    struct buf out = BUF_INIT(0);
    assert_int_equal(frame_encode(&out, FRAME_HELLO, "abc", 3, false), 0);
    assert_int_equal(out.len, PROTO_HDR_LEN + 3);
    assert_memory_equal(out.data, hello_hdr, PROTO_HDR_LEN);
    assert_memory_equal(out.data + PROTO_HDR_LEN, "abc", 3);
    /* Small payloads are not compressed even when asked. */
    buf_reset(&out);
    assert_int_equal(frame_encode(&out, FRAME_HELLO, "abc", 3, true), 0);
    assert_memory_equal(out.data, hello_hdr, PROTO_HDR_LEN);
    buf_release(&out);
}

/* Encode, parse the header, extract the payload; return the header. */
static struct frame_hdr round_trip(const void *p, size_t len, bool compress, struct buf *payload)
{
    struct buf out = BUF_INIT(0);
    struct frame_hdr h;
    struct verr err;
    verr_init(&err);
    assert_int_equal(frame_encode(&out, FRAME_BATCH, p, len, compress), 0);
    assert_int_equal(frame_hdr_parse((const uint8_t *)out.data, &h, &err), 0);
    assert_int_equal(out.len, PROTO_HDR_LEN + h.length);
    assert_int_equal(frame_payload(&h, (const uint8_t *)out.data + PROTO_HDR_LEN, payload, &err),
                     0);
    assert_int_equal(payload->len, len);
    assert_memory_equal(payload->data, p, len);
    buf_release(&out);
    return h;
}

static void test_round_trip_zstd(void **state)
{
    (void)state;
    size_t len = 100000;
    char *text = malloc(len);
    for (size_t i = 0; i < len; i++)
        text[i] = "{\"seq\":1,\"msg\":\"hello\"}\n"[i % 25];
    struct buf payload = BUF_INIT(PROTO_MAX_RAW);
    struct frame_hdr h = round_trip(text, len, true, &payload);
    assert_int_equal(h.flags, FRAME_F_ZSTD);
    assert_int_equal(h.type, FRAME_BATCH);
    assert_int_equal(h.raw_length, len);
    assert_true(h.length < len / 10);
    h = round_trip(text, len, false, &payload);
    assert_int_equal(h.flags, 0);
    assert_int_equal(h.length, len);
    /* Empty payload. */
    h = round_trip("", 0, true, &payload);
    assert_int_equal(h.length, 0);
    buf_release(&payload);
    free(text);
}

/* Parse hello_hdr with byte i set to v. */
static int parse_patched(size_t i, uint8_t v)
{
    uint8_t h[PROTO_HDR_LEN];
    memcpy(h, hello_hdr, sizeof(h));
    h[i] = v;
    struct frame_hdr fh;
    struct verr err;
    verr_init(&err);
    int r = frame_hdr_parse(h, &fh, &err);
    if (r < 0)
        assert_true(err.msg[0] != '\0');
    return r;
}

static void test_bad_headers(void **state)
{
    (void)state;
    assert_int_equal(parse_patched(0, 0x57), -EPROTO); /* magic */
    assert_int_equal(parse_patched(3, 0x32), -EPROTO); /* "VGL2" */
    assert_int_equal(parse_patched(4, 2), -EPROTONOSUPPORT);
    assert_int_equal(parse_patched(4, 0), -EPROTONOSUPPORT);
    assert_int_equal(parse_patched(5, 0), -EPROTO); /* type */
    assert_int_equal(parse_patched(5, 9), -EPROTO);
    assert_int_equal(parse_patched(5, FRAME_ERROR), 0);
    assert_int_equal(parse_patched(6, 2), -EPROTO);    /* unknown flag */
    assert_int_equal(parse_patched(6, 0x80), -EPROTO); /* unknown flag */
    assert_int_equal(parse_patched(7, 1), -EPROTO);    /* reserved */
    /* Uncompressed: raw_length must equal length (3). */
    assert_int_equal(parse_patched(15, 4), -EPROTO);
    /* length 0x01000003 (16 MiB + 3) > PROTO_MAX_WIRE. */
    assert_int_equal(parse_patched(8, 1), -EMSGSIZE);
    /* raw_length 0x04000003 > PROTO_MAX_RAW (compressed so length may differ). */
    uint8_t h[PROTO_HDR_LEN];
    memcpy(h, hello_hdr, sizeof(h));
    h[6] = FRAME_F_ZSTD;
    h[12] = 0x04;
    struct frame_hdr fh;
    assert_int_equal(frame_hdr_parse(h, &fh, NULL), -EMSGSIZE);
    /* Exactly at the limits is fine. */
    h[12] = 0x04;
    h[13] = h[14] = h[15] = 0;
    h[8] = 0x01;
    h[9] = h[10] = h[11] = 0;
    assert_int_equal(frame_hdr_parse(h, &fh, NULL), 0);
    assert_int_equal(fh.length, 16u << 20);
    assert_int_equal(fh.raw_length, 64u << 20);
}

static void test_encode_bounds(void **state)
{
    (void)state;
    struct buf out = BUF_INIT(0);
    static const char one = 'x';
    /* Rejected before the payload is read. */
    assert_int_equal(frame_encode(&out, FRAME_BATCH, &one, (size_t)PROTO_MAX_RAW + 1, true),
                     -E2BIG);
    size_t len = (size_t)PROTO_MAX_WIRE + 1;
    char *zeros = calloc(1, len);
    assert_int_equal(frame_encode(&out, FRAME_BATCH, zeros, len, false), -E2BIG);
    assert_int_equal(out.len, 0);
    /* Compressed it fits on the wire. */
    assert_int_equal(frame_encode(&out, FRAME_BATCH, zeros, len, true), 0);
    assert_true(out.len < 1 << 20);
    free(zeros);
    /* out's own cap. */
    struct buf small = BUF_INIT(10);
    assert_int_equal(frame_encode(&small, FRAME_ACK, "abc", 3, false), -E2BIG);
    buf_release(&small);
    buf_release(&out);
}

/* Build a compressed frame header around a zstd payload of clen bytes. */
static struct frame_hdr zhdr(size_t clen, uint32_t raw)
{
    return (struct frame_hdr){.version = PROTO_VERSION,
                              .type = FRAME_BATCH,
                              .flags = FRAME_F_ZSTD,
                              .length = (uint32_t)clen,
                              .raw_length = raw};
}

static void test_wrong_raw_length(void **state)
{
    (void)state;
    char text[4096];
    memset(text, 'a', sizeof(text));
    struct buf out = BUF_INIT(0), payload = BUF_INIT(PROTO_MAX_RAW);
    assert_int_equal(frame_encode(&out, FRAME_BATCH, text, sizeof(text), true), 0);
    const uint8_t *z = (const uint8_t *)out.data + PROTO_HDR_LEN;
    size_t zlen = out.len - PROTO_HDR_LEN;
    struct verr err;
    verr_init(&err);
    struct frame_hdr h = zhdr(zlen, sizeof(text) - 1);
    assert_int_equal(frame_payload(&h, z, &payload, &err), -EPROTO);
    h = zhdr(zlen, sizeof(text) + 1);
    assert_int_equal(frame_payload(&h, z, &payload, &err), -EPROTO);
    h = zhdr(zlen, sizeof(text));
    assert_int_equal(frame_payload(&h, z, &payload, &err), 0);
    assert_int_equal(payload.len, sizeof(text));
    /* A truncated zstd frame and a frame with trailing bytes. */
    h = zhdr(zlen - 1, sizeof(text));
    assert_int_equal(frame_payload(&h, z, &payload, &err), -EPROTO);
    assert_int_equal(buf_append(&out, z, zlen), 0); /* two frames back to back */
    z = (const uint8_t *)out.data + PROTO_HDR_LEN;
    h = zhdr(2 * zlen, 2 * sizeof(text));
    assert_int_equal(frame_payload(&h, z, &payload, &err), -EPROTO);
    /* Not zstd at all. */
    h = zhdr(4, 4);
    assert_int_equal(frame_payload(&h, (const uint8_t *)"abcd", &payload, &err), -EPROTO);
    /* The receiver's buffer cap is honoured. */
    struct buf tiny = BUF_INIT(100);
    h = zhdr(zlen, sizeof(text));
    assert_int_equal(frame_payload(&h, (const uint8_t *)out.data + PROTO_HDR_LEN, &tiny, &err),
                     -EMSGSIZE);
    buf_release(&tiny);
    buf_release(&out);
    buf_release(&payload);
}

/* 1 GiB of zeros as one zstd frame; with_size: the frame declares it. */
static size_t make_bomb(uint8_t *dst, size_t cap, bool with_size)
{
    ZSTD_CCtx *c = ZSTD_createCCtx();
    assert_non_null(c);
    assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 1)));
    if (with_size)
        assert_false(ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(c, 1ull << 30)));
    size_t chunk = 1 << 20;
    char *zeros = calloc(1, chunk);
    ZSTD_outBuffer o = {dst, cap, 0};
    for (int i = 0; i < 1024; i++) {
        ZSTD_inBuffer in = {zeros, chunk, 0};
        ZSTD_EndDirective end = i == 1023 ? ZSTD_e_end : ZSTD_e_continue;
        size_t left;
        do {
            left = ZSTD_compressStream2(c, &o, &in, end);
            assert_false(ZSTD_isError(left));
        } while (in.pos < in.size || (end == ZSTD_e_end && left != 0));
    }
    free(zeros);
    ZSTD_freeCCtx(c);
    return o.pos;
}

static void test_zstd_bomb(void **state)
{
    (void)state;
    size_t cap = 1 << 20;
    uint8_t *z = malloc(cap);
    struct buf payload = BUF_INIT(PROTO_MAX_RAW);
    struct verr err;
    verr_init(&err);
    for (int with_size = 0; with_size <= 1; with_size++) {
        size_t zlen = make_bomb(z, cap, with_size);
        assert_true(zlen < PROTO_MAX_WIRE);
        /* Declared small. */
        struct frame_hdr h = zhdr(zlen, 1000);
        assert_int_equal(frame_payload(&h, z, &payload, &err), -EPROTO);
        assert_true(payload.alloc < (2u << 20));
        /* Declared at the limit: still not 1 GiB. */
        h = zhdr(zlen, PROTO_MAX_RAW);
        assert_int_equal(frame_payload(&h, z, &payload, &err), -EPROTO);
        assert_int_equal(payload.len, 0);
        /* Declared over the limit: refused by the header parser. */
        uint8_t hb[PROTO_HDR_LEN] = {0x56, 0x47, 0x4C, 0x31, 1, FRAME_BATCH, FRAME_F_ZSTD, 0};
        hb[8] = (uint8_t)(zlen >> 24);
        hb[9] = (uint8_t)(zlen >> 16);
        hb[10] = (uint8_t)(zlen >> 8);
        hb[11] = (uint8_t)zlen;
        hb[12] = 0x40; /* 1 GiB */
        struct frame_hdr fh;
        assert_int_equal(frame_hdr_parse(hb, &fh, &err), -EMSGSIZE);
        h = zhdr(zlen, 1u << 30);
        assert_int_equal(frame_payload(&h, z, &payload, &err), -EMSGSIZE);
    }
    buf_release(&payload);
    free(z);
}

static void test_type_names(void **state)
{
    (void)state;
    assert_string_equal(frame_type_name(FRAME_HELLO), "hello");
    assert_string_equal(frame_type_name(FRAME_TASK_RESULT), "task_result");
    assert_string_equal(frame_type_name(FRAME_ERROR), "error");
    assert_string_equal(frame_type_name(0), "unknown");
    assert_string_equal(frame_type_name(9), "unknown");
    assert_string_equal(frame_type_name(-1), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_plain),     cmocka_unit_test(test_round_trip_zstd),
        cmocka_unit_test(test_bad_headers),      cmocka_unit_test(test_encode_bounds),
        cmocka_unit_test(test_wrong_raw_length), cmocka_unit_test(test_zstd_bomb),
        cmocka_unit_test(test_type_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
