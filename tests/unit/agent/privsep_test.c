/* The socketpair message codec: round trip and bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/privsep.h"

static void hdr(uint8_t out[8], uint16_t type, uint16_t version, uint32_t len)
{
    memcpy(out, &type, 2);
    memcpy(out + 2, &version, 2);
    memcpy(out + 4, &len, 4);
}

static void test_header_bounds(void **state)
{
    uint8_t h[8];
    enum psmsg_type type;
    uint32_t len;

    (void)state;
    hdr(h, PSMSG_FRAME, PSMSG_VERSION, 100);
    assert_int_equal(psmsg_hdr_parse(h, &type, &len), 0);
    assert_int_equal(type, PSMSG_FRAME);
    assert_int_equal(len, 100);
    hdr(h, PSMSG_SEND, PSMSG_VERSION, PROTO_HDR_LEN + PROTO_MAX_WIRE);
    assert_int_equal(psmsg_hdr_parse(h, &type, &len), 0);
    hdr(h, PSMSG_SEND, PSMSG_VERSION, PROTO_HDR_LEN + PROTO_MAX_WIRE + 1);
    assert_int_equal(psmsg_hdr_parse(h, &type, &len), -EMSGSIZE);
    hdr(h, PSMSG_SEND, PSMSG_VERSION, 0xffffffffu);
    assert_int_equal(psmsg_hdr_parse(h, &type, &len), -EMSGSIZE);
    hdr(h, 0, PSMSG_VERSION, 1);
    assert_int_equal(psmsg_hdr_parse(h, &type, &len), -EPROTO);
    hdr(h, 6, PSMSG_VERSION, 1);
    assert_int_equal(psmsg_hdr_parse(h, &type, &len), -EPROTO);
    hdr(h, PSMSG_UP, 2, 1);
    assert_int_equal(psmsg_hdr_parse(h, &type, &len), -EPROTO);
}

static void test_encode(void **state)
{
    struct buf b = BUF_INIT(0);
    enum psmsg_type type;
    uint32_t len;

    (void)state;
    assert_int_equal(psmsg_encode(&b, PSMSG_DOWN, "bye", 3), 0);
    assert_int_equal(b.len, 11);
    assert_int_equal(psmsg_hdr_parse((const uint8_t *)b.data, &type, &len), 0);
    assert_int_equal(type, PSMSG_DOWN);
    assert_int_equal(len, 3);
    assert_memory_equal(b.data + 8, "bye", 3);
    assert_int_equal(psmsg_encode(&b, (enum psmsg_type)9, "x", 1), -EINVAL);
    assert_int_equal(psmsg_encode(&b, PSMSG_SEND, "x", (size_t)PSMSG_MAX_LEN + 1), -E2BIG);
    buf_release(&b);
}

static void test_socketpair_round_trip(void **state)
{
    int sv[2];
    struct buf in = BUF_INIT(PSMSG_MAX_LEN);
    enum psmsg_type type;
    uint8_t bad[8];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(psmsg_send(sv[0], PSMSG_FRAME, "hello frame", 11), 0);
    assert_int_equal(psmsg_send(sv[0], PSMSG_RESET, NULL, 0), 0);
    assert_int_equal(psmsg_recv(sv[1], &type, &in), 0);
    assert_int_equal(type, PSMSG_FRAME);
    assert_int_equal(in.len, 11);
    assert_string_equal(in.data, "hello frame");
    assert_int_equal(psmsg_recv(sv[1], &type, &in), 0);
    assert_int_equal(type, PSMSG_RESET);
    assert_int_equal(in.len, 0);
    /* a hostile length is refused before anything is allocated or read */
    hdr(bad, PSMSG_FRAME, PSMSG_VERSION, 0x7fffffffu);
    assert_int_equal(write(sv[0], bad, 8), 8);
    assert_int_equal(psmsg_recv(sv[1], &type, &in), -EMSGSIZE);
    close(sv[0]);
    assert_int_equal(psmsg_recv(sv[1], &type, &in), -EPIPE);
    close(sv[1]);
    buf_release(&in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_bounds),
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_socketpair_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
