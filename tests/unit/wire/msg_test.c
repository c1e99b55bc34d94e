/* Unit tests for src/wire/msg.c: payloads written by hand, bounds. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/str.h"
#include "wire/msg.h"

#define S(lit) lit, sizeof(lit) - 1

static struct verr err;

static void expect_json(const struct buf *b, const char *want)
{
    assert_string_equal(buf_str(b), want);
}

static void test_hello(void **state)
{
    (void)state;
    struct msg_hello h = {.agent_id = "7",
                          .version = "0.1.0",
                          .hostname = "web-01",
                          .time_ms = 1700000000123,
                          .rules_version = 4};
    struct buf b = BUF_INIT(0);
    assert_int_equal(msg_hello_encode(&b, &h), 0);
    expect_json(&b, "{\"agent_id\":\"7\",\"version\":\"0.1.0\",\"hostname\":\"web-01\","
                    "\"time_ms\":1700000000123,\"rules_version\":4,\"hashes_version\":0}");
    struct msg_hello d;
    assert_int_equal(msg_hello_decode(b.data, b.len, &d, &err), 0);
    assert_true(d.rules_version == 4 && d.hashes_version == 0);
    /* The bundle versions are optional (an older agent), never negative. */
    assert_int_equal(msg_hello_decode(S("{\"agent_id\":\"a\",\"version\":\"v\",\"hostname\":"
                                        "\"h\",\"time_ms\":1}"),
                                      &d, &err),
                     0);
    assert_true(d.rules_version == 0 && d.hashes_version == 0);
    assert_int_equal(msg_hello_decode(S("{\"agent_id\":\"a\",\"version\":\"v\",\"hostname\":"
                                        "\"h\",\"time_ms\":1,\"hashes_version\":-1}"),
                                      &d, &err),
                     -EPROTO);
    h.hashes_version = -2;
    assert_int_equal(msg_hello_encode(&b, &h), -EINVAL);
    h.hashes_version = 0;
    assert_int_equal(msg_hello_decode(b.data, b.len, &d, &err), 0);
    assert_string_equal(d.agent_id, "7");
    assert_string_equal(d.hostname, "web-01");
    assert_string_equal(d.version, "0.1.0");
    assert_true(d.time_ms == 1700000000123);
    /* Hand-written, with an unknown key (ignored). */
    assert_int_equal(msg_hello_decode(S("{\"time_ms\":-5,\"hostname\":\"h\",\"version\":\"v\","
                                        "\"agent_id\":\"agent-12_a.b\",\"new\":[1]}"),
                                      &d, &err),
                     0);
    assert_string_equal(d.agent_id, "agent-12_a.b");
    assert_true(d.time_ms == -5);
    /* Bad agent ids, missing and mistyped fields. */
    assert_int_equal(msg_hello_decode(S("{\"agent_id\":\"a b\",\"version\":\"v\",\"hostname\":"
                                        "\"h\",\"time_ms\":1}"),
                                      &d, &err),
                     -EPROTO);
    assert_int_equal(msg_hello_decode(S("{\"agent_id\":\"\",\"version\":\"v\",\"hostname\":"
                                        "\"h\",\"time_ms\":1}"),
                                      &d, &err),
                     -EPROTO);
    assert_int_equal(
        msg_hello_decode(S("{\"agent_id\":\"a\",\"version\":\"v\",\"time_ms\":1}"), &d, &err),
        -EPROTO);
    assert_non_null(strstr(err.msg, "hostname"));
    assert_int_equal(msg_hello_decode(S("{\"agent_id\":\"a\",\"version\":\"v\",\"hostname\":"
                                        "\"h\",\"time_ms\":\"1\"}"),
                                      &d, &err),
                     -EPROTO);
    assert_int_equal(msg_hello_decode(S("{\"agent_id\":\"a\",\"version\":\"v\",\"hostname\":"
                                        "\"h\\u0000x\",\"time_ms\":1}"),
                                      &d, &err),
                     -EPROTO);
    char id[80];
    memset(id, 'a', sizeof(id) - 1);
    id[sizeof(id) - 1] = '\0';
    char text[256];
    snprintf(text, sizeof(text),
             "{\"agent_id\":\"%s\",\"version\":\"v\",\"hostname\":\"h\",\"time_ms\":1}", id);
    assert_int_equal(msg_hello_decode(text, strlen(text), &d, &err), -EPROTO);
    /* The encoder refuses what the decoder would. */
    struct msg_hello bad = h;
    memcpy(bad.agent_id, "x/y", 4);
    assert_int_equal(msg_hello_encode(&b, &bad), -EINVAL);
    buf_release(&b);
}

static void test_welcome_ack_heartbeat(void **state)
{
    (void)state;
    struct buf b = BUF_INIT(0);
    struct msg_welcome w = {.time_ms = 5, .acked_seq = 9007199254740993ull, .heartbeat_s = 30};
    assert_int_equal(msg_welcome_encode(&b, &w), 0);
    expect_json(&b, "{\"time_ms\":5,\"acked_seq\":9007199254740993,\"heartbeat_s\":30}");
    struct msg_welcome wd;
    assert_int_equal(msg_welcome_decode(b.data, b.len, &wd, &err), 0);
    assert_true(wd.acked_seq == 9007199254740993ull);
    assert_int_equal(wd.heartbeat_s, 30);
    assert_int_equal(
        msg_welcome_decode(S("{\"time_ms\":5,\"acked_seq\":0,\"heartbeat_s\":0}"), &wd, &err),
        -EPROTO);
    assert_int_equal(
        msg_welcome_decode(S("{\"time_ms\":5,\"acked_seq\":-1,\"heartbeat_s\":1}"), &wd, &err),
        -EPROTO);
    w.heartbeat_s = 3601;
    assert_int_equal(msg_welcome_encode(&b, &w), -EINVAL);

    struct msg_ack a;
    assert_int_equal(msg_ack_decode(S("{\"seq\":42}"), &a, &err), 0);
    assert_true(a.seq == 42);
    assert_int_equal(msg_ack_decode(S("{\"seq\":0}"), &a, &err), -EPROTO);
    assert_int_equal(msg_ack_decode(S("{\"seq\":1.5}"), &a, &err), -EPROTO);
    assert_int_equal(msg_ack_decode(S("{\"seq\":99999999999999999999}"), &a, &err), -EPROTO);
    assert_int_equal(msg_ack_decode(S("{\"seq\":1,\"seq\":2}"), &a, &err), -EPROTO);
    assert_int_equal(msg_ack_decode(S("[1]"), &a, &err), -EPROTO);
    assert_int_equal(msg_ack_decode(S("{\"seq\":1} x"), &a, &err), -EPROTO);
    assert_int_equal(msg_ack_decode(S(""), &a, &err), -EPROTO);
    buf_reset(&b);
    assert_int_equal(msg_ack_encode(&b, &(struct msg_ack){.seq = 3}), 0);
    expect_json(&b, "{\"seq\":3}");

    struct msg_heartbeat hb;
    buf_reset(&b);
    assert_int_equal(msg_heartbeat_encode(&b, &(struct msg_heartbeat){.time_ms = -7}), 0);
    expect_json(&b, "{\"time_ms\":-7}");
    assert_int_equal(msg_heartbeat_decode(b.data, b.len, &hb, &err), 0);
    assert_true(hb.time_ms == -7);
    buf_release(&b);
}

static void test_task(void **state)
{
    (void)state;
    struct buf b = BUF_INIT(0);
    json_t *args = json_pack("{s:s}", "path", "/etc");
    struct msg_task t = {.task_id = 12, .verb = MSG_VERB_SCAN, .args = args};
    assert_int_equal(msg_task_encode(&b, &t), 0);
    expect_json(&b, "{\"task_id\":12,\"verb\":\"scan\",\"args\":{\"path\":\"/etc\"}}");
    json_decref(args);
    struct msg_task d;
    assert_int_equal(msg_task_decode(b.data, b.len, &d, &err), 0);
    assert_int_equal(d.verb, MSG_VERB_SCAN);
    assert_true(d.task_id == 12);
    assert_string_equal(json_string_value(json_object_get(d.args, "path")), "/etc");
    msg_task_release(&d);
    assert_null(d.args);
    /* No args: an empty object. */
    assert_int_equal(msg_task_decode(S("{\"task_id\":1,\"verb\":\"inventory\"}"), &d, &err), 0);
    assert_int_equal(d.verb, MSG_VERB_INVENTORY);
    assert_true(json_is_object(d.args) && json_object_size(d.args) == 0);
    msg_task_release(&d);
    /* Verbs outside the fixed set. */
    assert_int_equal(msg_task_decode(S("{\"task_id\":1,\"verb\":\"exec\",\"args\":{\"cmd\":"
                                       "\"rm -rf /\"}}"),
                                     &d, &err),
                     -EPROTO);
    assert_int_equal(msg_task_decode(S("{\"task_id\":1,\"verb\":3}"), &d, &err), -EPROTO);
    assert_int_equal(msg_task_decode(S("{\"task_id\":1,\"verb\":\"scan\",\"args\":[]}"), &d, &err),
                     -EPROTO);
    t.verb = 4;
    t.args = NULL;
    assert_int_equal(msg_task_encode(&b, &t), -EINVAL);
    assert_string_equal(msg_verb_name(MSG_VERB_COLLECT), "collect");
    assert_int_equal(msg_verb_parse("collect"), MSG_VERB_COLLECT);
    assert_int_equal(msg_verb_parse("Collect"), 0);

    struct msg_task_result r = {.task_id = 12, .status = MSG_TASK_REFUSED};
    buf_reset(&b);
    assert_int_equal(msg_task_result_encode(&b, &r), 0);
    expect_json(&b, "{\"task_id\":12,\"status\":\"refused\",\"result\":null}");
    struct msg_task_result rd;
    assert_int_equal(msg_task_result_decode(S("{\"task_id\":3,\"status\":\"ok\",\"result\":"
                                              "{\"n\":[1,2]}}"),
                                            &rd, &err),
                     0);
    assert_int_equal(rd.status, MSG_TASK_OK);
    assert_int_equal(json_array_size(json_object_get(rd.result, "n")), 2);
    msg_task_result_release(&rd);
    assert_int_equal(msg_task_result_decode(S("{\"task_id\":3,\"status\":\"done\"}"), &rd, &err),
                     -EPROTO);
    buf_release(&b);
}

static void test_error(void **state)
{
    (void)state;
    struct buf b = BUF_INIT(0);
    struct msg_error e = {.code = MSG_ERR_VERSION, .message = "version 2 unsupported"};
    assert_int_equal(msg_error_encode(&b, &e), 0);
    expect_json(&b, "{\"code\":2,\"message\":\"version 2 unsupported\"}");
    struct msg_error d;
    assert_int_equal(msg_error_decode(S("{\"code\":77,\"message\":\"a\\nb\"}"), &d, &err), 0);
    assert_int_equal(d.code, 77);
    assert_string_equal(d.message, "a?b"); /* control characters replaced */
    assert_int_equal(msg_error_decode(S("{\"code\":1000}"), &d, &err), -EPROTO);
    assert_int_equal(msg_error_decode(S("{\"code\":3}"), &d, &err), 0);
    assert_string_equal(d.message, "");
    /* A long message is cut on a character boundary. */
    char text[2048];
    size_t n = 0;
    n += (size_t)snprintf(text, sizeof(text), "{\"code\":1,\"message\":\"");
    for (int i = 0; i < 400; i++) {
        memcpy(text + n, "\xc3\xa9", 2); /* é */
        n += 2;
    }
    memcpy(text + n, "\"}", 3);
    n += 2;
    assert_int_equal(msg_error_decode(text, n, &d, &err), 0);
    assert_int_equal(strlen(d.message), 510);
    assert_true(str_valid_utf8(d.message, strlen(d.message)));
    buf_release(&b);
}

/* {"seq":1,"a":[[...]]} nested depth levels in all (the object is one). */
static char *nest(size_t depth, size_t *ret_len)
{
    char *text = malloc(2 * depth + 32);
    size_t n = 0;
    memcpy(text, "{\"seq\":1,\"a\":", 13);
    n = 13;
    for (size_t i = 1; i < depth; i++)
        text[n++] = '[';
    text[n++] = '0';
    for (size_t i = 1; i < depth; i++)
        text[n++] = ']';
    text[n++] = '}';
    *ret_len = n;
    return text;
}

static void test_depth(void **state)
{
    (void)state;
    struct msg_ack a;
    size_t n;
    /* 10,000 deep: refused before jansson's recursion sees it. */
    char *text = nest(10000, &n);
    assert_int_equal(msg_ack_decode(text, n, &a, &err), -EPROTO);
    assert_non_null(strstr(err.msg, "JSON")); /* "JSON nested deeper than 32", any language */
    assert_non_null(strstr(err.msg, " 32 "));
    free(text);
    /* Exactly PROTO_MAX_DEPTH is allowed, one more is not. */
    text = nest(PROTO_MAX_DEPTH, &n);
    assert_int_equal(msg_ack_decode(text, n, &a, &err), 0);
    free(text);
    text = nest(PROTO_MAX_DEPTH + 1, &n);
    assert_int_equal(msg_ack_decode(text, n, &a, &err), -EPROTO);
    free(text);
    /* 10,000 unclosed brackets in a batch event line. */
    struct buf b = BUF_INIT(0);
    assert_int_equal(buf_puts(&b, "{\"first_seq\":1,\"last_seq\":1,\"n\":1}\n{\"seq\":1,\"a\":"),
                     0);
    for (size_t i = 0; i < 10000; i++)
        assert_int_equal(buf_putc(&b, '{'), 0);
    struct msg_batch_reader r;
    assert_int_equal(msg_batch_reader_open(&r, b.data, b.len, &err), -EPROTO);
    msg_batch_reader_release(&r);
    buf_release(&b);
    /* The writer refuses a too-deep event too (without "seq"). */
    text = nest(PROTO_MAX_DEPTH + 1, &n);
    memcpy(text + 1, "\"sex\"", 5);
    struct msg_batch_writer w;
    msg_batch_writer_init(&w, 0);
    assert_int_equal(msg_batch_writer_add(&w, 1, text, n), -EINVAL);
    free(text);
    text = nest(PROTO_MAX_DEPTH, &n);
    memcpy(text + 1, "\"sex\"", 5);
    assert_int_equal(msg_batch_writer_add(&w, 1, text, n), 0);
    free(text);
    msg_batch_writer_release(&w);
}

static void test_batch_round_trip(void **state)
{
    (void)state;
    struct msg_batch_writer w;
    msg_batch_writer_init(&w, 0);
    assert_int_equal(msg_batch_writer_add(&w, 5, S("{\"msg\":\"a\"}")), 0);
    assert_int_equal(msg_batch_writer_add(&w, 6, S(" { } ")), 0);
    assert_int_equal(msg_batch_writer_add(&w, 7, S("{ \"x\" : [1, {\"y\": 2}] }")), 0);
    /* Not contiguous, has seq, not an object, a raw newline. */
    assert_int_equal(msg_batch_writer_add(&w, 9, S("{}")), -EINVAL);
    assert_int_equal(msg_batch_writer_add(&w, 8, S("{\"seq\":8}")), -EINVAL);
    assert_int_equal(msg_batch_writer_add(&w, 8, S("[1]")), -EINVAL);
    assert_int_equal(msg_batch_writer_add(&w, 8, S("{\"a\":\n1}")), -EINVAL);
    assert_int_equal(msg_batch_writer_add(&w, 8, S("{\"a\":1")), -EINVAL);
    struct buf b = BUF_INIT(0);
    assert_int_equal(msg_batch_writer_finish(&w, &b), 0);
    expect_json(&b, "{\"first_seq\":5,\"last_seq\":7,\"n\":3}\n"
                    "{\"seq\":5,\"msg\":\"a\"}\n"
                    "{\"seq\":6}\n"
                    "{\"seq\":7, \"x\" : [1, {\"y\": 2}] }\n");
    struct msg_batch_reader r;
    assert_int_equal(msg_batch_reader_open(&r, b.data, b.len, &err), 0);
    assert_true(r.first_seq == 5 && r.last_seq == 7 && r.n == 3);
    struct msg_event ev;
    assert_int_equal(msg_batch_reader_next(&r, &ev, &err), 1);
    assert_true(ev.seq == 5);
    assert_string_equal(json_string_value(json_object_get(ev.obj, "msg")), "a");
    assert_int_equal(ev.text_len, strlen("{\"seq\":5,\"msg\":\"a\"}"));
    assert_memory_equal(ev.text, "{\"seq\":5,\"msg\":\"a\"}", ev.text_len);
    assert_int_equal(msg_batch_reader_next(&r, &ev, &err), 1);
    assert_true(ev.seq == 6 && json_object_size(ev.obj) == 1);
    assert_int_equal(msg_batch_reader_next(&r, &ev, &err), 1);
    assert_true(ev.seq == 7);
    assert_int_equal(msg_batch_reader_next(&r, &ev, &err), 0);
    assert_int_equal(msg_batch_reader_next(&r, &ev, &err), 0);
    msg_batch_reader_release(&r);
    /* Without the final newline too. */
    assert_int_equal(msg_batch_reader_open(&r, b.data, b.len - 1, &err), 0);
    msg_batch_reader_release(&r);
    /* Empty writer. */
    msg_batch_writer_reset(&w);
    assert_int_equal(msg_batch_writer_finish(&w, &b), -EINVAL);
    msg_batch_writer_release(&w);
    buf_release(&b);
}

/* Open a hand-written batch and read it all; the first error or 0. */
static int read_batch(const char *text)
{
    struct msg_batch_reader r;
    struct msg_event ev;
    verr_init(&err);
    int k = msg_batch_reader_open(&r, text, strlen(text), &err);
    while (k >= 0 && (k = msg_batch_reader_next(&r, &ev, &err)) == 1)
        ;
    msg_batch_reader_release(&r);
    if (k < 0)
        assert_true(err.msg[0] != '\0');
    return k;
}

static void test_batch_bad(void **state)
{
    (void)state;
    assert_int_equal(
        read_batch("{\"first_seq\":1,\"last_seq\":2,\"n\":2}\n{\"seq\":1}\n{\"seq\":2}"), 0);
    /* Non-contiguous seqs. */
    assert_int_equal(
        read_batch("{\"first_seq\":1,\"last_seq\":2,\"n\":2}\n{\"seq\":1}\n{\"seq\":3}"), -EPROTO);
    assert_int_equal(
        read_batch("{\"first_seq\":1,\"last_seq\":2,\"n\":2}\n{\"seq\":2}\n{\"seq\":1}"), -EPROTO);
    /* n disagrees with the range, with the lines. */
    assert_int_equal(
        read_batch("{\"first_seq\":1,\"last_seq\":3,\"n\":2}\n{\"seq\":1}\n{\"seq\":2}"), -EPROTO);
    assert_int_equal(
        read_batch("{\"first_seq\":1,\"last_seq\":3,\"n\":3}\n{\"seq\":1}\n{\"seq\":2}"), -EPROTO);
    assert_int_equal(
        read_batch("{\"first_seq\":1,\"last_seq\":1,\"n\":1}\n{\"seq\":1}\n{\"seq\":2}"), -EPROTO);
    assert_int_equal(read_batch("{\"first_seq\":2,\"last_seq\":1,\"n\":0}\n"), -EPROTO);
    assert_int_equal(read_batch("{\"first_seq\":1,\"last_seq\":1,\"n\":1}\n\n{\"seq\":1}"),
                     -EPROTO);
    assert_int_equal(read_batch("{\"first_seq\":1,\"last_seq\":1,\"n\":1}"), -EPROTO);
    /* Event without seq, not an object, seq as a string, duplicate key. */
    assert_int_equal(read_batch("{\"first_seq\":1,\"last_seq\":1,\"n\":1}\n{\"a\":1}"), -EPROTO);
    assert_int_equal(read_batch("{\"first_seq\":1,\"last_seq\":1,\"n\":1}\n[1]"), -EPROTO);
    assert_int_equal(read_batch("{\"first_seq\":1,\"last_seq\":1,\"n\":1}\n{\"seq\":\"1\"}"),
                     -EPROTO);
    assert_int_equal(read_batch("{\"first_seq\":1,\"last_seq\":1,\"n\":1}\n{\"seq\":1,\"seq\":1}"),
                     -EPROTO);
    /* Over PROTO_MAX_EVENTS. */
    char hdr[128];
    snprintf(hdr, sizeof(hdr), "{\"first_seq\":1,\"last_seq\":%d,\"n\":%d}\n", PROTO_MAX_EVENTS + 1,
             PROTO_MAX_EVENTS + 1);
    assert_int_equal(read_batch(hdr), -EPROTO);
    assert_non_null(strstr(err.msg, "\"n\""));
}

static void test_batch_writer_full(void **state)
{
    (void)state;
    struct msg_batch_writer w;
    /* 200 bytes: the header room (128) plus whole event lines. */
    msg_batch_writer_init(&w, 200);
    uint64_t seq = 1;
    int r;
    while ((r = msg_batch_writer_add(&w, seq, S("{\"m\":\"0123456\"}"))) == 0)
        seq++;
    assert_int_equal(r, -ENOSPC);
    /* Each line is {"seq":N,"m":"0123456"}\n = 24 bytes: 3 * 24 + 128 <= 200 < 4 * 24 + 128. */
    assert_int_equal(w.n, 3);
    struct buf b = BUF_INIT(0);
    assert_int_equal(msg_batch_writer_finish(&w, &b), 0);
    assert_true(b.len <= 200);
    msg_batch_writer_release(&w);
    /* An event that can never fit. */
    msg_batch_writer_init(&w, 150);
    assert_int_equal(msg_batch_writer_add(&w, 1, S("{\"m\":\"0123456789012345678901234\"}")),
                     -E2BIG);
    msg_batch_writer_release(&w);
    /* Count: PROTO_MAX_EVENTS. */
    msg_batch_writer_init(&w, 0);
    for (seq = 1; seq <= PROTO_MAX_EVENTS; seq++)
        assert_int_equal(msg_batch_writer_add(&w, seq, S("{}")), 0);
    assert_int_equal(msg_batch_writer_add(&w, seq, S("{}")), -ENOSPC);
    buf_reset(&b);
    assert_int_equal(msg_batch_writer_finish(&w, &b), 0);
    struct msg_batch_reader rd;
    struct msg_event ev;
    assert_int_equal(msg_batch_reader_open(&rd, b.data, b.len, &err), 0);
    uint64_t n = 0;
    while ((r = msg_batch_reader_next(&rd, &ev, &err)) == 1)
        assert_true(ev.seq == ++n);
    assert_int_equal(r, 0);
    assert_int_equal(n, PROTO_MAX_EVENTS);
    msg_batch_reader_release(&rd);
    msg_batch_writer_release(&w);
    buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello),     cmocka_unit_test(test_welcome_ack_heartbeat),
        cmocka_unit_test(test_task),      cmocka_unit_test(test_error),
        cmocka_unit_test(test_depth),     cmocka_unit_test(test_batch_round_trip),
        cmocka_unit_test(test_batch_bad), cmocka_unit_test(test_batch_writer_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
