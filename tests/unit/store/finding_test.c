/* finding.c: matching listed addresses to systems, the lifecycle across
 * versions with priorities worked out by hand, registration after import,
 * filters, and a seeded comparison with a brute-force matcher. */
#include "helpers.h"

/* The brief's example: A 10.0.0.0/24 level 3, B 10.0.0.128/25 level 5. */
static void test_match_by_hand(void **state)
{
    struct tctx *t = *state;
    int64_t u = add_unit(t, "U", 0);
    int64_t a = add_system(t, u, "A", 3, "10.0.0.0/24");
    int64_t b = add_system(t, u, "B", 5, "10.0.0.128/25");
    const char *ips[] = {"10.0.0.5", "10.0.0.200", "192.0.2.1", NULL};
    json_t *res = import_ips(t, "ais-botnet", "2024-01-15", ips);
    assert_int_equal(jint(res, "findings", "new"), 3);
    assert_int_equal(jint(res, "findings", "persisting"), 0);
    json_decref(res);

    json_t *l = findings_all(t, NULL);
    assert_int_equal(jint(l, "total", NULL), 3);
    json_t *items = json_object_get(l, "items");
    /* Highest priority first: B (level 5) = 50, then A's = 30 by id. */
    json_t *f0 = json_array_get(items, 0);
    assert_int_equal(jint(f0, "system_id", NULL), b);
    assert_string_equal(jstr(f0, "indicator"), "10.0.0.200");
    assert_int_equal(jint(f0, "priority", NULL), 50);
    assert_non_null(find_in(l, a, "10.0.0.5"));
    assert_non_null(find_in(l, a, "10.0.0.200"));
    assert_null(find_in(l, b, "10.0.0.5"));
    json_t *fa = find_in(l, a, "10.0.0.5");
    assert_int_equal(jint(fa, "priority", NULL), 30);
    assert_int_equal(jint(fa, "streak", NULL), 1);
    assert_string_equal(jstr(fa, "status"), "open");
    assert_string_equal(jstr(fa, "kind"), "botnet");
    assert_string_equal(jstr(fa, "ip"), "10.0.0.5");
    assert_string_equal(jstr(fa, "feed"), "ais-botnet");
    assert_string_equal(jstr(fa, "system_name"), "A");
    assert_int_equal(jint(fa, "unit_id", NULL), u);
    assert_int_equal(jint(fa, "level", NULL), 3);
    assert_string_equal(jstr(fa, "first_listed"), "2024-01-15");
    assert_string_equal(jstr(fa, "last_listed"), "2024-01-15");
    json_t *d = json_object_get(fa, "details");
    assert_string_equal(jstr(d, "malware"), "mirai");
    assert_int_equal(jint(d, "port", NULL), 23);
    assert_true(json_is_null(json_object_get(d, "first_seen")));
    assert_true(json_is_null(json_object_get(d, "asn")));
    json_decref(l);

    json_t *sys = store_system_get(t->s, a);
    assert_int_equal(jint(sys, "open_findings", NULL), 2);
    json_decref(sys);
}

static void test_match_listed_prefixes(void **state)
{
    struct tctx *t = *state;
    int64_t u = add_unit(t, "U", 0);
    int64_t a = add_system(t, u, "A", 3, "10.0.0.0/24");
    int64_t b = add_system(t, u, "B", 5, "10.0.0.128/25");
    const char *c_addrs[] = {"10.0.7.7", "2001:db8::/64", NULL};
    int64_t c = add_system_n(t, u, "C", 1, c_addrs, NULL);
    /* 10.0.0.0/16 covers A, B and C's host; 10.0.0.128/26 sits inside A and
     * B; 10.0.1.0/24 touches nobody; 2001:db8::/32 contains C's /64. */
    const char *ips[] = {"10.0.0.0/16", "10.0.0.128/26", "10.0.1.0/24", "2001:db8::/32", NULL};
    json_t *res = import_ips(t, "drop", "2024-01-15", ips);
    assert_int_equal(jint(res, "findings", "new"), 6);
    json_decref(res);
    json_t *l = findings_all(t, NULL);
    assert_int_equal(jint(l, "total", NULL), 6);
    assert_non_null(find_in(l, a, "10.0.0.0/16"));
    assert_non_null(find_in(l, b, "10.0.0.0/16"));
    assert_non_null(find_in(l, c, "10.0.0.0/16"));
    assert_non_null(find_in(l, a, "10.0.0.128/26"));
    assert_non_null(find_in(l, b, "10.0.0.128/26"));
    assert_non_null(find_in(l, c, "2001:db8::/32"));
    json_decref(l);
}

static void update_ok(struct tctx *t, int64_t id, const char *status, const char *comment)
{
    struct verr err = {0};
    int r = store_finding_update(t->s, &t->alice, id, status, comment, &err);
    if (r < 0)
        fprintf(stderr, "update: %s\n", err.msg);
    assert_int_equal(r, 0);
}

static int64_t fid(struct tctx *t, int64_t sys, const char *ind)
{
    json_t *l = findings_all(t, NULL);
    json_t *f = find_in(l, sys, ind);
    assert_non_null(f);
    int64_t id = jint(f, "id", NULL);
    json_decref(l);
    return id;
}

static void expect(struct tctx *t, int64_t sys, const char *ind, const char *status, int streak,
                   int priority, const char *last_listed)
{
    json_t *l = findings_all(t, NULL);
    json_t *f = find_in(l, sys, ind);
    assert_non_null(f);
    assert_string_equal(jstr(f, "status"), status);
    assert_int_equal(jint(f, "streak", NULL), streak);
    assert_int_equal(jint(f, "priority", NULL), priority);
    assert_string_equal(jstr(f, "last_listed"), last_listed);
    json_decref(l);
}

static void counts(json_t *res, int n_new, int persisting, int reopened, int resolved)
{
    assert_int_equal(jint(res, "findings", "new"), n_new);
    assert_int_equal(jint(res, "findings", "persisting"), persisting);
    assert_int_equal(jint(res, "findings", "reopened"), reopened);
    assert_int_equal(jint(res, "findings", "resolved"), resolved);
    json_decref(res);
}

static void test_lifecycle(void **state)
{
    struct tctx *t = *state;
    int64_t u = add_unit(t, "U", 0);
    int64_t a = add_system(t, u, "A", 3, "10.0.0.0/24");
    int64_t b = add_system(t, u, "B", 5, "10.0.1.0/24");

    const char *v1[] = {"10.0.0.1", "10.0.0.2", "10.0.1.1", NULL};
    counts(import_ips(t, "bn", "2024-01-15", v1), 3, 0, 0, 0);
    expect(t, a, "10.0.0.1", "open", 1, 30, "2024-01-15");
    expect(t, b, "10.0.1.1", "open", 1, 50, "2024-01-15");

    struct verr err = {0};
    int64_t fp = fid(t, a, "10.0.0.2");
    int64_t fb = fid(t, b, "10.0.1.1");
    /* A false positive needs a comment. */
    assert_int_equal(store_finding_update(t->s, &t->alice, fp, "false_positive", NULL, &err),
                     -EINVAL);
    assert_true(strncmp(err.msg, "comment:", 8) == 0);
    update_ok(t, fp, "false_positive", "NAT gateway of the ISP");
    update_ok(t, fb, "in_progress", "scanning");

    /* v2: .1 again (streak 2 -> 31), .2 again (stays a false positive),
     * 10.0.1.1 gone (in progress -> resolved by the system). */
    const char *v2[] = {"10.0.0.1", "10.0.0.2", NULL};
    counts(import_ips(t, "bn", "2024-02-15", v2), 0, 1, 0, 1);
    expect(t, a, "10.0.0.1", "open", 2, 31, "2024-02-15");
    expect(t, a, "10.0.0.2", "false_positive", 1, 30, "2024-02-15");
    expect(t, b, "10.0.1.1", "resolved", 1, 50, "2024-01-15");

    /* v3: .1 third time (33? no: streak 3 -> 32), 10.0.1.1 back after a gap
     * (reopened, streak restarts at 1 -> 50), .3 new (30), .2 absent (a
     * false positive does not resolve). */
    const char *v3[] = {"10.0.0.1", "10.0.1.1", "10.0.0.3", NULL};
    counts(import_ips(t, "bn", "2024-03-15", v3), 1, 1, 1, 0);
    expect(t, a, "10.0.0.1", "open", 3, 32, "2024-03-15");
    expect(t, b, "10.0.1.1", "open", 1, 50, "2024-03-15");
    expect(t, a, "10.0.0.3", "open", 1, 30, "2024-03-15");
    expect(t, a, "10.0.0.2", "false_positive", 1, 30, "2024-02-15");

    /* The history tells the story of 10.0.1.1. */
    json_t *g = store_finding_get(t->s, fb);
    json_t *h = json_object_get(g, "history");
    assert_int_equal(json_array_size(h), 4);
    const char *want[][4] = {{"system", "", "open", ""},
                             {"alice", "open", "in_progress", "scanning"},
                             {"system", "in_progress", "resolved", "not listed in bn 2024-02-15"},
                             {"system", "resolved", "open", "listed again in bn 2024-03-15"}};
    for (size_t i = 0; i < 4; i++) {
        json_t *e = json_array_get(h, i);
        assert_string_equal(jstr(e, "actor"), want[i][0]);
        if (want[i][1][0])
            assert_string_equal(jstr(e, "from"), want[i][1]);
        else
            assert_true(json_is_null(json_object_get(e, "from")));
        assert_string_equal(jstr(e, "to"), want[i][2]);
        if (want[i][3][0])
            assert_string_equal(jstr(e, "comment"), want[i][3]);
    }
    json_decref(g);

    /* Analysts' moves: in_progress -> open is not one of them. */
    int64_t f3 = fid(t, a, "10.0.0.3");
    update_ok(t, f3, "in_progress", NULL);
    assert_int_equal(store_finding_update(t->s, &t->alice, f3, "open", NULL, &err), -EINVAL);
    assert_true(strncmp(err.msg, "status:", 7) == 0);
    assert_int_equal(store_finding_update(t->s, &t->alice, f3, "closed", NULL, &err), -EINVAL);
    assert_int_equal(store_finding_update(t->s, &t->alice, 9999, "resolved", NULL, &err), -ENOENT);
    update_ok(t, f3, "resolved", "cleaned");
    update_ok(t, f3, "open", "came back");
    update_ok(t, fp, "open", "not NAT after all");
    expect(t, a, "10.0.0.2", "open", 1, 30, "2024-02-15");
}

static void test_priority_cap(void **state)
{
    struct tctx *t = *state;
    int64_t u = add_unit(t, "U", 0);
    int64_t s5 = add_system(t, u, "S", 5, "198.51.100.0/24");
    const char *ips[] = {"198.51.100.7", NULL};
    /* Listed twelve months running: streak 12, priority 50 + min(11, 9) = 59. */
    for (int m = 1; m <= 12; m++) {
        char date[16];
        snprintf(date, sizeof(date), "2023-%02d-01", m);
        json_decref(import_ips(t, "bn", date, ips));
    }
    expect(t, s5, "198.51.100.7", "open", 12, 59, "2023-12-01");
}

static void test_register_after_import(void **state)
{
    struct tctx *t = *state;
    int64_t u = add_unit(t, "U", 0);
    const char *ips[] = {"10.0.0.5", "10.0.5.0/24", "2001:db8::1", "172.16.0.1", NULL};
    json_decref(import_ips(t, "bn", "2024-01-15", ips));
    /* An older version of another feed and a threat feed do not count. */
    const char *t_ips[] = {"10.0.0.6", NULL};
    struct feed f;
    feed_of(&f, t_ips);
    struct import_spec spec = {
        .feed = "intel", .kind = "threat", .list_date = "2024-01-01", .parsed = &f};
    json_t *res = NULL;
    struct verr err = {0};
    assert_int_equal(store_feed_import(t->s, &t->alice, &spec, &res, &err), 0);
    json_decref(res);
    feed_release(&f);

    const char *c_addrs[] = {"10.0.0.0/16", "2001:db8::/64", NULL};
    int64_t found = -1;
    int64_t c = add_system_n(t, u, "C", 2, c_addrs, &found);
    assert_int_equal(found, 3);
    int64_t found_d = -1, found_e = -1;
    const char *d_addrs[] = {"10.0.5.128/25", NULL};
    int64_t d = add_system_n(t, u, "D", 4, d_addrs, &found_d);
    const char *e_addrs[] = {"10.0.5.7", "10.0.5.8", NULL};
    int64_t e = add_system_n(t, u, "E", 1, e_addrs, &found_e);
    assert_int_equal(found_d, 1);
    assert_int_equal(found_e, 1); /* one finding per listed value */
    json_t *l = findings_all(t, NULL);
    assert_int_equal(jint(l, "total", NULL), 5);
    assert_non_null(find_in(l, c, "10.0.0.5"));
    assert_non_null(find_in(l, c, "10.0.5.0/24"));
    assert_non_null(find_in(l, c, "2001:db8::1"));
    json_t *fd = find_in(l, d, "10.0.5.0/24");
    assert_non_null(fd);
    assert_int_equal(jint(fd, "priority", NULL), 40);
    assert_string_equal(jstr(fd, "first_listed"), "2024-01-15");
    assert_non_null(find_in(l, e, "10.0.5.0/24"));
    json_decref(l);

    /* The next version treats them like any other finding. */
    const char *v2[] = {"10.0.0.5", NULL};
    counts(import_ips(t, "bn", "2024-02-15", v2), 0, 1, 0, 4);
    expect(t, c, "10.0.0.5", "open", 2, 21, "2024-02-15");
}

static void test_filters(void **state)
{
    struct tctx *t = *state;
    int64_t root = add_unit(t, "Root", 0);
    int64_t mid = add_unit(t, "Mid", root);
    int64_t leaf = add_unit(t, "Leaf", mid);
    int64_t other = add_unit(t, "Other", 0);
    int64_t s1 = add_system(t, leaf, "S1", 2, "10.1.0.0/24");
    int64_t s2 = add_system(t, mid, "S2", 4, "10.2.0.0/24");
    int64_t s3 = add_system(t, other, "S3", 5, "10.3.0.0/24");
    const char *ips[] = {"10.1.0.1", "10.1.0.2", "10.2.0.1", "10.3.0.1", NULL};
    json_decref(import_ips(t, "bn", "2024-01-15", ips));

    struct finding_filter f = {.unit_id = root};
    json_t *l = findings_all(t, &f);
    assert_int_equal(jint(l, "total", NULL), 3);
    json_decref(l);
    f = (struct finding_filter){.unit_id = mid, .min_level = 3};
    l = findings_all(t, &f);
    assert_int_equal(jint(l, "total", NULL), 1);
    assert_non_null(find_in(l, s2, "10.2.0.1"));
    json_decref(l);
    f = (struct finding_filter){.ip = "10.1.0.0/30"};
    l = findings_all(t, &f);
    assert_int_equal(jint(l, "total", NULL), 2);
    json_decref(l);
    f = (struct finding_filter){.ip = "10.3.0.1", .feed = "bn", .kind = "botnet"};
    l = findings_all(t, &f);
    assert_int_equal(jint(l, "total", NULL), 1);
    assert_non_null(find_in(l, s3, "10.3.0.1"));
    json_decref(l);
    f = (struct finding_filter){.system_id = s1, .status = "open"};
    l = findings_all(t, &f);
    assert_int_equal(jint(l, "total", NULL), 2);
    json_decref(l);
    f = (struct finding_filter){.feed = "other"};
    l = findings_all(t, &f);
    assert_int_equal(jint(l, "total", NULL), 0);
    json_decref(l);

    /* Paging keeps the total. */
    f = (struct finding_filter){.limit = 1, .offset = 1};
    json_t *res = NULL;
    struct verr err = {0};
    assert_int_equal(store_finding_list(t->s, &f, &res, &err), 0);
    assert_int_equal(jint(res, "total", NULL), 4);
    assert_int_equal(json_array_size(json_object_get(res, "items")), 1);
    /* Second by priority: S2 (level 4) = 40. */
    assert_int_equal(jint(json_array_get(json_object_get(res, "items"), 0), "priority", NULL), 40);
    json_decref(res);

    f = (struct finding_filter){.status = "done"};
    assert_int_equal(store_finding_list(t->s, &f, &res, &err), -EINVAL);
    assert_true(strncmp(err.msg, "status:", 7) == 0);
    f = (struct finding_filter){.ip = "10.1.0.1/8"};
    assert_int_equal(store_finding_list(t->s, &f, &res, &err), -EINVAL);
    assert_true(strncmp(err.msg, "ip:", 3) == 0);
    f = (struct finding_filter){.min_level = 6};
    assert_int_equal(store_finding_list(t->s, &f, &res, &err), -EINVAL);
    f = (struct finding_filter){.limit = 10001};
    assert_int_equal(store_finding_list(t->s, &f, &res, &err), -EINVAL);
}

/* --- Seeded random comparison with a brute-force matcher written here. */

static uint64_t rng_state;
static uint32_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}

struct rpfx {
    uint32_t first, last; /* IPv4 only here: the set arithmetic is plain */
    char text[24];
};

static struct rpfx rand_prefix(int min_len, int max_len)
{
    struct rpfx p;
    int len = min_len + (int)(rnd() % (unsigned)(max_len - min_len + 1));
    uint32_t a = 0x0a000000u | (rnd() & 0x000fffffu); /* 10.0.0.0/12 */
    uint32_t mask = len == 0 ? 0 : 0xffffffffu << (32 - len);
    p.first = a & mask;
    p.last = p.first | ~mask;
    if (len == 32)
        snprintf(p.text, sizeof(p.text), "%u.%u.%u.%u", p.first >> 24, (p.first >> 16) & 255,
                 (p.first >> 8) & 255, p.first & 255);
    else
        snprintf(p.text, sizeof(p.text), "%u.%u.%u.%u/%d", p.first >> 24, (p.first >> 16) & 255,
                 (p.first >> 8) & 255, p.first & 255, len);
    return p;
}

#define R_SYSTEMS 150
#define R_LISTED  3000

static void test_random_against_brute_force(void **state)
{
    struct tctx *t = *state;
    rng_state = 20240115;
    int64_t u = add_unit(t, "U", 0);

    static struct rpfx sys_pfx[R_SYSTEMS][3];
    static int n_pfx[R_SYSTEMS];
    static int64_t sys_id[R_SYSTEMS];
    for (int i = 0; i < R_SYSTEMS; i++) {
        n_pfx[i] = 1 + (int)(rnd() % 3);
        const char *addrs[4] = {NULL};
        for (int k = 0; k < n_pfx[i]; k++) {
            bool dup;
            do { /* distinct within a system */
                sys_pfx[i][k] = rand_prefix(16, 32);
                dup = false;
                for (int j = 0; j < k; j++)
                    dup |= strcmp(sys_pfx[i][j].text, sys_pfx[i][k].text) == 0;
            } while (dup);
            addrs[k] = sys_pfx[i][k].text;
        }
        /* Half register before the import, half after. */
        if (i % 2 == 0) {
            char name[16];
            snprintf(name, sizeof(name), "s%d", i);
            sys_id[i] = add_system_n(t, u, name, 1 + i % 5, addrs, NULL);
        }
    }

    static struct rpfx listed[R_LISTED];
    const char *texts[R_LISTED + 1];
    int n_listed = 0;
    for (int i = 0; i < R_LISTED; i++) {
        struct rpfx p = rnd() % 10 == 0 ? rand_prefix(14, 31) : rand_prefix(32, 32);
        bool dup = false;
        for (int j = 0; j < n_listed && !dup; j++)
            dup = strcmp(listed[j].text, p.text) == 0;
        if (dup)
            continue;
        listed[n_listed] = p;
        texts[n_listed] = listed[n_listed].text;
        n_listed++;
    }
    texts[n_listed] = NULL;
    json_decref(import_ips(t, "bn", "2024-01-15", texts));

    for (int i = 1; i < R_SYSTEMS; i += 2) {
        const char *addrs[4] = {NULL};
        for (int k = 0; k < n_pfx[i]; k++)
            addrs[k] = sys_pfx[i][k].text;
        char name[16];
        snprintf(name, sizeof(name), "s%d", i);
        sys_id[i] = add_system_n(t, u, name, 1 + i % 5, addrs, NULL);
    }

    /* Brute force: a finding for every (system, listed) whose ranges overlap. */
    json_t *l = findings_all(t, NULL);
    int64_t expected = 0;
    for (int i = 0; i < R_SYSTEMS; i++) {
        for (int j = 0; j < n_listed; j++) {
            bool hit = false;
            for (int k = 0; k < n_pfx[i]; k++)
                hit |=
                    sys_pfx[i][k].first <= listed[j].last && listed[j].first <= sys_pfx[i][k].last;
            if (hit) {
                expected++;
                json_t *f = find_in(l, sys_id[i], listed[j].text);
                if (!f)
                    fprintf(stderr, "missing: system %d %s\n", i, listed[j].text);
                assert_non_null(f);
                assert_int_equal(jint(f, "priority", NULL), 10 * (1 + i % 5));
            }
        }
    }
    fprintf(stderr, "random: %lld expected findings\n", (long long)expected);
    assert_true(expected > 50); /* the case is not vacuous */
    assert_int_equal(jint(l, "total", NULL), expected);
    json_decref(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_match_by_hand, tctx_setup, tctx_teardown),
        cmocka_unit_test_setup_teardown(test_match_listed_prefixes, tctx_setup, tctx_teardown),
        cmocka_unit_test_setup_teardown(test_lifecycle, tctx_setup, tctx_teardown),
        cmocka_unit_test_setup_teardown(test_priority_cap, tctx_setup, tctx_teardown),
        cmocka_unit_test_setup_teardown(test_register_after_import, tctx_setup, tctx_teardown),
        cmocka_unit_test_setup_teardown(test_filters, tctx_setup, tctx_teardown),
        cmocka_unit_test_setup_teardown(test_random_against_brute_force, tctx_setup, tctx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
