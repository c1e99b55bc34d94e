/* Hits as ECS JSON lines: field names and values checked by parsing the
 * line back; escaping and timestamps by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include "sensor/output.h"

static struct ip_addr ip(const char *s)
{
    struct ip_addr a;
    assert_int_equal(ip_parse(s, strlen(s), &a), ADDR_OK);
    return a;
}

static const char *str(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    assert_non_null(v);
    return v;
}

static void test_ts(void **state)
{
    (void)state;
    char t[25];
    format_ts_ms(1795143600123LL, t);
    assert_string_equal(t, "2026-11-20T03:00:00.123Z");
    format_ts_ms(5, t);
    assert_string_equal(t, "1970-01-01T00:00:00.005Z");
}

static void test_json_str(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(json_put_str(&b, "a\"b\\c\n\x01", 7), 0);
    assert_string_equal(buf_str(&b), "\"a\\\"b\\\\c\\u000a\\u0001\"");
    buf_reset(&b);
    assert_int_equal(json_put_str(&b, "x\xffy\xc3\xa9", 5), 0); /* bad byte, then é */
    assert_string_equal(buf_str(&b), "\"x\xef\xbf\xbdy\xc3\xa9\"");
    buf_release(&b);
    /* the cap: nothing is left half written */
    buf_init(&b, 4);
    assert_int_equal(json_put_str(&b, "abcdef", 6), -E2BIG);
    assert_int_equal(b.len, 0);
    buf_release(&b);
}

static struct iset *one_list(void)
{
    struct iset *s = iset_new();
    struct verr err;
    static const char l[] = "198.51.100.0/24\n";
    assert_int_equal(
        iset_add_list(s, "ais-botnet", "AIS", (const uint8_t *)l, strlen(l), NULL, &err), 0);
    assert_int_equal(iset_build(s), 0);
    return s;
}

static void test_flow_hit(void **state)
{
    (void)state;
    struct iset *s = one_list();
    struct obs o = {.kind = OBS_FLOW,
                    .src = ip("100.64.0.7"),
                    .xsrc = ip("203.0.113.9"),
                    .dst = ip("198.51.100.9"),
                    .sport = 40000,
                    .dport = 443,
                    .proto = 6,
                    .ts_ms = 1795143600123LL,
                    .nat_event = 1};
    struct hit h = {.obs = &o,
                    .list = 0,
                    .field = HF_DST,
                    .addr = o.dst,
                    .ip = &s->ip_entries.items[0],
                    .ts_ms = o.ts_ms,
                    .attributed = true,
                    .sub_addr = o.src};
    struct buf b;
    json_t *j;

    h.sub.user = "alice";
    h.sub.calling_id = "cs-alice";
    memcpy(h.sub.source, "radius", 7);
    buf_init(&b, 0);
    assert_int_equal(output_format_hit(&b, s, &h, NULL, 0), 0);
    assert_int_equal(b.data[b.len - 1], '\n');
    j = json_loadb(b.data, b.len, 0, NULL);
    assert_non_null(j);
    assert_string_equal(str(j, "@timestamp"), "2026-11-20T03:00:00.123Z");
    assert_string_equal(str(j, "event.kind"), "enrichment");
    assert_string_equal(str(j, "event.category"), "network");
    assert_string_equal(str(j, "observer.type"), "sensor");
    assert_string_equal(str(j, "source.ip"), "100.64.0.7");
    assert_string_equal(str(j, "source.nat.ip"), "203.0.113.9");
    assert_string_equal(str(j, "destination.ip"), "198.51.100.9");
    assert_int_equal(json_integer_value(json_object_get(j, "destination.port")), 443);
    assert_string_equal(str(j, "network.transport"), "tcp");
    assert_string_equal(str(j, "threat.indicator.type"), "ipv4-addr");
    assert_string_equal(str(j, "threat.indicator.ip"), "198.51.100.9");
    assert_string_equal(str(j, "vigil.indicator"), "198.51.100.0/24");
    assert_string_equal(str(j, "threat.indicator.provider"), "AIS");
    assert_string_equal(str(j, "threat.feed.name"), "ais-botnet");
    assert_string_equal(str(j, "user.id"), "alice");
    assert_string_equal(str(j, "vigil.subscriber.calling_id"), "cs-alice");
    assert_string_equal(str(j, "vigil.match"), "destination.ip");
    json_t *rel = json_object_get(j, "related.ip");
    assert_int_equal(json_array_size(rel), 3); /* seen, src, xsrc; no duplicates */
    assert_string_equal(json_string_value(json_array_get(rel, 0)), "198.51.100.9");
    assert_null(json_object_get(j, "log.file.path"));
    json_decref(j);
    buf_release(&b);
    iset_free(s);
}

static void test_text_hit(void **state)
{
    (void)state;
    struct iset *s = one_list();
    struct hit h = {
        .field = HF_TEXT, .addr = ip("198.51.100.1"), .ip = &s->ip_entries.items[0], .ts_ms = 1000};
    struct buf b;
    json_t *j;

    buf_init(&b, 0);
    assert_int_equal(output_format_hit(&b, s, &h, "/var/log/fw \"x\".log", 42), 0);
    j = json_loadb(b.data, b.len, 0, NULL);
    assert_non_null(j);
    assert_string_equal(str(j, "log.file.path"), "/var/log/fw \"x\".log");
    assert_int_equal(json_integer_value(json_object_get(j, "log.file.line")), 42);
    assert_string_equal(str(j, "vigil.subscriber.source"), "none");
    assert_null(json_object_get(j, "user.id"));
    assert_null(json_object_get(j, "source.ip"));
    json_decref(j);
    buf_release(&b);
    iset_free(s);
}

static void test_sink_queue(void **state)
{
    (void)state;
    struct output o;
    struct output_counters c;
    struct buf b;
    struct verr err;

    assert_int_equal(output_open(&o, NULL, true, 16, &err), 0);
    output_write(&o, "{\"a\":1}\n{\"b\":2}\n", 16);
    output_write(&o, "{\"c\":3}\n", 8); /* does not fit: dropped, counted */
    output_counters_get(&o, &c);
    assert_int_equal(c.queued, 2);
    assert_int_equal(c.queue_dropped, 1);
    buf_init(&b, 0);
    assert_int_equal(output_take_queue(&o, &b), 16);
    assert_int_equal(output_take_queue(&o, &b), 0);
    buf_release(&b);
    output_close(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ts),         cmocka_unit_test(test_json_str),
        cmocka_unit_test(test_flow_hit),   cmocka_unit_test(test_text_hit),
        cmocka_unit_test(test_sink_queue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
