/* Scan jobs: tasks with bundles run on the worker and report as events;
 * bad task args and bundle names are refused; a job survives a stop in
 * the middle; a finished one leaves the saved state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/scanjob.h"
#include "agent/session.h"
#include "base/file.h"

#define MAX_EV 4096

struct seen {
    json_t *ev[MAX_EV];
    int n;
};

static int record(void *ctx, json_t *ev)
{
    struct seen *s = ctx;
    assert_true(s->n < MAX_EV);
    s->ev[s->n++] = ev;
    return 0;
}

static void seen_free(struct seen *s)
{
    for (int i = 0; i < s->n; i++)
        json_decref(s->ev[i]);
    s->n = 0;
}

static const char *field(json_t *ev, const char *a, const char *b)
{
    return json_string_value(json_object_get(json_object_get(ev, a), b));
}

static int count_action(const struct seen *s, const char *action)
{
    int n = 0;
    for (int i = 0; i < s->n; i++)
        if (field(s->ev[i], "event", "action") &&
            strcmp(field(s->ev[i], "event", "action"), action) == 0)
            n++;
    return n;
}

/* Poll until a scan-finished event arrived (bounded). */
static json_t *wait_finished(struct scanjobs *sj, struct seen *s)
{
    for (int i = 0; i < 600; i++) {
        struct pollfd p = {scanjobs_fd(sj), POLLIN, 0};
        (void)poll(&p, 1, 50);
        assert_int_equal(scanjobs_poll(sj, 1000, record, s), 0);
        for (int k = 0; k < s->n; k++) {
            const char *a = field(s->ev[k], "event", "action");
            if (a && strcmp(a, "scan-finished") == 0)
                return s->ev[k];
        }
    }
    fail_msg("no scan-finished event within 30 s");
    return NULL;
}

static void put(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_int_equal(file_write_atomic(path, text, strlen(text), 0644), 0);
}

static json_t *task_args(const char *json)
{
    json_error_t je;
    json_t *a = json_loads(json, 0, &je);
    assert_non_null(a);
    return a;
}

static enum msg_task_status submit(struct scanjobs *sj, uint64_t id, json_t *args, json_t **res)
{
    struct msg_task t = {.task_id = id, .verb = MSG_VERB_SCAN, .args = args};
    *res = NULL;
    enum msg_task_status st = scanjobs_task(sj, &t, res);
    json_decref(args);
    return st;
}

static struct scanjobs *open_jobs(const struct scanjob_opts *o)
{
    struct scanjobs *sj = NULL;
    struct verr err;
    verr_init(&err);
    assert_int_equal(scanjobs_open(o, &sj, &err), 0);
    return sj;
}

static const char *bundle_json =
    "{\"mode\":\"full\",\"bundle\":{\"rules\":{\"version\":3,\"files\":[{\"name\":\"a/t.yar\","
    "\"text\":\"rule T_Bad { strings: $a = \\\"bad-marker\\\" condition: $a }\"}]},"
    "\"hashes\":{\"version\":2,\"files\":[{\"name\":\"h.txt\",\"text\":"
    /* SHA-256 of "hash-me\n", computed with sha256sum */
    "\"02f771b203f7c9608653d3bf69c28dc4f10758cad3b961e7ca73e4b10240997a\\n\"}]}}}";

static void test_full_scan_with_bundle(void **state)
{
    (void)state;
    char data[64] = "/tmp/vigil-sj-XXXXXX", tree[64] = "/tmp/vigil-sjt-XXXXXX";
    assert_non_null(mkdtemp(data));
    assert_non_null(mkdtemp(tree));
    put(tree, "clean1.txt", "nothing here\n");
    put(tree, "clean2.txt", "nor here\n");
    put(tree, "evil.txt", "xx bad-marker xx\n");
    put(tree, "listed.bin", "hash-me\n");
    const char *roots[] = {tree};
    struct scanjob_opts o = {.data_dir = data, .roots = roots, .n_roots = 1, .progress_s = 1};
    struct scanjobs *sj = open_jobs(&o);
    int64_t rv, hv;
    scanjobs_versions(sj, &rv, &hv);
    assert_int_equal(rv, 0);
    assert_int_equal(hv, 0);

    json_t *res;
    assert_int_equal(submit(sj, 7, task_args(bundle_json), &res), SESSION_TASK_DEFERRED);
    assert_null(res);
    scanjobs_versions(sj, &rv, &hv);
    assert_int_equal(rv, 3);
    assert_int_equal(hv, 2);
    /* The same task again (vigild resent it) is not queued twice. */
    assert_int_equal(submit(sj, 7, task_args("{\"mode\":\"full\"}"), &res), SESSION_TASK_DEFERRED);

    struct seen s = {0};
    json_t *fin = wait_finished(sj, &s);
    json_t *scan = json_object_get(json_object_get(fin, "vigil"), "scan");
    assert_string_equal(json_string_value(json_object_get(scan, "status")), "ok");
    assert_int_equal(json_integer_value(json_object_get(scan, "files")), 4);
    assert_int_equal(json_integer_value(json_object_get(scan, "detected")), 2);
    assert_int_equal(json_integer_value(json_object_get(scan, "task_id")), 7);
    assert_int_equal(json_integer_value(json_object_get(scan, "rules_version")), 3);
    assert_int_equal(count_action(&s, "scan-started"), 1);
    assert_int_equal(count_action(&s, "malware-detected"), 2);
    int n_rule = 0, n_hash = 0;
    for (int i = 0; i < s.n; i++)
        if (strcmp(field(s.ev[i], "event", "action"), "malware-detected") == 0) {
            char evil[128], listed[128];
            json_t *mw = json_object_get(json_object_get(s.ev[i], "vigil"), "malware");
            snprintf(evil, sizeof(evil), "%s/evil.txt", tree);
            snprintf(listed, sizeof(listed), "%s/listed.bin", tree);
            assert_string_equal(field(s.ev[i], "event", "dataset"), "vigil.malware");
            if (strcmp(field(s.ev[i], "file", "path"), evil) == 0) {
                assert_string_equal(
                    json_string_value(json_array_get(json_object_get(mw, "rules"), 0)), "T_Bad");
                n_rule++;
            } else {
                assert_string_equal(field(s.ev[i], "file", "path"), listed);
                assert_non_null(json_object_get(mw, "hash_match"));
                n_hash++;
            }
        }
    assert_int_equal(n_rule, 1);
    assert_int_equal(n_hash, 1);
    /* Once drained and saved, the job is gone from the state file. */
    assert_int_equal(scanjobs_poll(sj, 1000, record, &s), 0);
    assert_int_equal(scanjobs_save(sj), 0);
    char path[256], *text = NULL;
    size_t len;
    snprintf(path, sizeof(path), "%s/scan/jobs.json", data);
    assert_int_equal(file_read_all(path, 1 << 20, &text, &len), 0);
    assert_non_null(strstr(text, "\"jobs\":[]"));
    assert_non_null(strstr(text, "\"rules_version\":3"));
    free(text);
    seen_free(&s);

    /* A quick scan now skips the two clean files. */
    assert_int_equal(submit(sj, 8, task_args("{\"mode\":\"quick\"}"), &res), SESSION_TASK_DEFERRED);
    fin = wait_finished(sj, &s);
    scan = json_object_get(json_object_get(fin, "vigil"), "scan");
    assert_int_equal(json_integer_value(json_object_get(scan, "cached")), 2);
    assert_int_equal(json_integer_value(json_object_get(scan, "detected")), 2);
    seen_free(&s);
    assert_int_equal(scanjobs_save(sj), 0); /* as after the spool's sync */
    scanjobs_free(sj);

    /* A restarted agent holds the versions, and does not run a finished
     * task that vigild sends again (its events already closed it). */
    sj = open_jobs(&o);
    scanjobs_versions(sj, &rv, &hv);
    assert_int_equal(rv, 3);
    assert_int_equal(hv, 2);
    assert_int_equal(submit(sj, 7, task_args("{\"mode\":\"full\"}"), &res), SESSION_TASK_DEFERRED);
    assert_int_equal(submit(sj, 8, task_args("{\"mode\":\"quick\"}"), &res), SESSION_TASK_DEFERRED);
    for (int i = 0; i < 10; i++) {
        struct pollfd p = {scanjobs_fd(sj), POLLIN, 0};
        (void)poll(&p, 1, 30);
        assert_int_equal(scanjobs_poll(sj, 1000, record, &s), 0);
    }
    assert_int_equal(s.n, 0);
    scanjobs_free(sj);
}

static void test_refused(void **state)
{
    (void)state;
    char data[64] = "/tmp/vigil-sj-XXXXXX";
    assert_non_null(mkdtemp(data));
    struct scanjob_opts o = {.data_dir = data};
    struct scanjobs *sj = open_jobs(&o);
    static const char *const bad[] = {
        "{\"mode\":\"everything\"}",
        "{\"paths\":[\"/x\"]}",
        "{\"mode\":\"paths\"}",
        "{\"mode\":\"paths\",\"paths\":[\"relative\"]}",
        "{\"mode\":\"paths\",\"paths\":[]}",
        "{\"mode\":\"full\",\"paths\":[\"/x\"]}",
        "{\"action\":\"restore\",\"quarantine_id\":\"xyz\"}",
        "{\"action\":\"delete\"}",
        "{\"mode\":\"full\",\"bundle\":{\"rules\":{\"version\":1,\"files\":[{\"name\":\"../x.yar\","
        "\"text\":\"\"}]}}}",
        "{\"mode\":\"full\",\"bundle\":{\"rules\":{\"version\":1,\"files\":[{\"name\":\"/etc/x\","
        "\"text\":\"\"}]}}}",
        "{\"mode\":\"full\",\"bundle\":{\"rules\":{\"version\":1,\"files\":[{\"name\":\"a//b\","
        "\"text\":\"\"}]}}}",
        "{\"mode\":\"full\",\"bundle\":{\"rules\":{\"version\":0,\"files\":[{\"name\":\"a\","
        "\"text\":\"\"}]}}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *res;
        assert_int_equal(submit(sj, 100 + i, task_args(bad[i]), &res), MSG_TASK_REFUSED);
        assert_non_null(json_string_value(json_object_get(res, "reason")));
        json_decref(res);
    }
    /* Nothing was written outside the data directory, nothing is queued. */
    char path[256], *text = NULL;
    size_t len;
    snprintf(path, sizeof(path), "%s/scan/jobs.json", data);
    assert_int_not_equal(file_read_all(path, 1 << 20, &text, &len), 0);
    int64_t rv, hv;
    scanjobs_versions(sj, &rv, &hv);
    assert_int_equal(rv, 0);
    scanjobs_free(sj);
}

/* Without bundles a scan finishes "failed" saying why. */
static void test_no_bundle(void **state)
{
    (void)state;
    char data[64] = "/tmp/vigil-sj-XXXXXX";
    assert_non_null(mkdtemp(data));
    struct scanjob_opts o = {.data_dir = data};
    struct scanjobs *sj = open_jobs(&o);
    json_t *res;
    assert_int_equal(submit(sj, 1, task_args("{\"mode\":\"memory\"}"), &res),
                     SESSION_TASK_DEFERRED);
    struct seen s = {0};
    json_t *fin = wait_finished(sj, &s);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(fin, "vigil"), "scan"), "status")),
                        "failed");
    assert_non_null(strstr(field(fin, "error", "message"), "vigild has sent none"));
    seen_free(&s);
    scanjobs_free(sj);
}

/* A job queued and stopped before it finished runs at the next start. */
static void test_resume(void **state)
{
    (void)state;
    char data[64] = "/tmp/vigil-sj-XXXXXX", tree[64] = "/tmp/vigil-sjt-XXXXXX";
    assert_non_null(mkdtemp(data));
    assert_non_null(mkdtemp(tree));
    put(tree, "f.txt", "bad-marker\n");
    const char *roots[] = {tree};
    struct scanjob_opts o = {.data_dir = data, .roots = roots, .n_roots = 1};
    struct scanjobs *sj = open_jobs(&o);
    json_t *res;
    assert_int_equal(submit(sj, 5, task_args(bundle_json), &res), SESSION_TASK_DEFERRED);
    /* Stop without draining: whether or not the scan ran, its finished
     * event never reached the spool, so the job is still saved. */
    scanjobs_free(sj);
    sj = open_jobs(&o);
    struct seen s = {0};
    json_t *fin = wait_finished(sj, &s);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(fin, "vigil"), "scan"), "task_id")),
                     5);
    seen_free(&s);
    scanjobs_free(sj);
}

/* Scheduled scans: due every full_every_s once a bundle is held, the
 * first one a while after the start, never two waiting at once. */
static void test_schedule(void **state)
{
    (void)state;
    char data[64] = "/tmp/vigil-sj-XXXXXX", tree[64] = "/tmp/vigil-sjt-XXXXXX";
    assert_non_null(mkdtemp(data));
    assert_non_null(mkdtemp(tree));
    put(tree, "f.txt", "bad-marker\n");
    const char *roots[] = {tree};
    struct scanjob_opts o = {.data_dir = data, .roots = roots, .n_roots = 1, .full_every_s = 100};
    struct scanjobs *sj = open_jobs(&o);
    struct seen s = {0};
    /* No bundle yet: nothing is scheduled however late it is. */
    assert_int_equal(scanjobs_poll(sj, 5000, record, &s), 0);
    assert_int_equal(s.n, 0);
    json_t *res;
    assert_int_equal(submit(sj, 9, task_args(bundle_json), &res), SESSION_TASK_DEFERRED);
    json_t *fin = wait_finished(sj, &s);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(fin, "vigil"), "scan"), "task_id")),
                     9);
    seen_free(&s);
    /* First poll with a bundle at t=1000: the first scheduled scan is due
     * 100 s later (min(every, 600)). */
    assert_int_equal(scanjobs_poll(sj, 1000, record, &s), 0);
    assert_int_equal(scanjobs_poll(sj, 1099, record, &s), 0);
    assert_int_equal(count_action(&s, "scan-started"), 0);
    fin = NULL;
    for (int i = 0; i < 600 && !fin; i++) {
        struct pollfd p = {scanjobs_fd(sj), POLLIN, 0};
        (void)poll(&p, 1, 50);
        assert_int_equal(scanjobs_poll(sj, 1100, record, &s), 0);
        for (int k = 0; k < s.n; k++)
            if (strcmp(field(s.ev[k], "event", "action"), "scan-finished") == 0)
                fin = s.ev[k];
    }
    assert_non_null(fin);
    json_t *scan = json_object_get(json_object_get(fin, "vigil"), "scan");
    assert_string_equal(json_string_value(json_object_get(scan, "trigger")), "schedule");
    assert_string_equal(json_string_value(json_object_get(scan, "mode")), "full");
    assert_int_equal(json_integer_value(json_object_get(scan, "task_id")), 0);
    assert_int_equal(count_action(&s, "scan-started"), 1);
    seen_free(&s);
    scanjobs_free(sj);
}

/* A remediation task quarantines the detected file (the event names the
 * item and the finding); items older than quarantine_days are purged. */
static void test_quarantine_and_purge(void **state)
{
    (void)state;
    char data[64] = "/tmp/vigil-sj-XXXXXX", tree[64] = "/tmp/vigil-sjt-XXXXXX";
    char evil[128], args[1024], meta[256];
    assert_non_null(mkdtemp(data));
    assert_non_null(mkdtemp(tree));
    put(tree, "evil.txt", "xx bad-marker xx\n");
    snprintf(evil, sizeof(evil), "%s/evil.txt", tree);
    const char *roots[] = {tree};
    struct scanjob_opts o = {.data_dir = data, .roots = roots, .n_roots = 1, .quarantine_days = 1};
    struct scanjobs *sj = open_jobs(&o);
    json_t *a = task_args(bundle_json), *res;
    json_object_set_new(a, "mode", json_string("paths"));
    json_object_set_new(a, "paths", json_pack("[s]", evil));
    json_object_set_new(a, "quarantine", json_true());
    json_object_set_new(a, "finding_id", json_integer(3));
    char *text = json_dumps(a, JSON_COMPACT);
    snprintf(args, sizeof(args), "%s", text);
    free(text);
    json_decref(a);
    assert_int_equal(submit(sj, 11, task_args(args), &res), SESSION_TASK_DEFERRED);
    struct seen s = {0};
    wait_finished(sj, &s);
    const char *qid = NULL;
    for (int i = 0; i < s.n; i++)
        if (strcmp(field(s.ev[i], "event", "action"), "malware-quarantined") == 0) {
            json_t *v = json_object_get(s.ev[i], "vigil");
            qid = json_string_value(json_object_get(json_object_get(v, "quarantine"), "id"));
            assert_int_equal(
                json_integer_value(json_object_get(json_object_get(v, "malware"), "finding_id")),
                3);
            assert_string_equal(field(s.ev[i], "file", "path"), evil);
        }
    assert_non_null(qid);
    assert_int_equal(access(evil, F_OK), -1); /* moved out of the tree */
    snprintf(meta, sizeof(meta), "%s/quarantine/%s.json", data, qid);
    assert_int_equal(access(meta, F_OK), 0);
    /* Not old yet: a purge keeps it. Then two days old: purged. */
    assert_int_equal(scanjobs_poll(sj, 100000, record, &s), 0);
    assert_int_equal(access(meta, F_OK), 0);
    char *doc = NULL;
    size_t len;
    assert_int_equal(file_read_all(meta, 1 << 20, &doc, &len), 0);
    json_t *m = json_loadb(doc, len, 0, NULL);
    free(doc);
    json_object_set_new(m, "time", json_integer((json_int_t)time(NULL) - 2 * 86400));
    doc = json_dumps(m, JSON_COMPACT);
    json_decref(m);
    assert_int_equal(file_write_atomic(meta, doc, strlen(doc), 0600), 0);
    free(doc);
    assert_int_equal(scanjobs_poll(sj, 100000 + 86400, record, &s), 0);
    assert_int_equal(access(meta, F_OK), -1);
    seen_free(&s);
    scanjobs_free(sj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_scan_with_bundle),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_no_bundle),
        cmocka_unit_test(test_resume),
        cmocka_unit_test(test_schedule),
        cmocka_unit_test(test_quarantine_and_purge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
