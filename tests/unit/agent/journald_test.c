/* The journald collector against the host's journal: a message with a
 * unique marker is sent with sd_journal_send and must come out of the
 * collector once; the saved cursor makes a second collector start after it.
 * Where there is no readable journal (containers, no journald) the test
 * says so and skips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include "agent/journald.h"
#include "base/file.h"

#define WAIT_MS 5000

struct seen {
    const char *marker; /* the message looked for */
    unsigned n_marker;  /* how often it was emitted */
    const char *other;  /* a message that must not be emitted */
    unsigned n_other;
    char cursor[512]; /* journald.cursor of the marker's event */
};

static const char *sub(json_t *ev, const char *obj, const char *key)
{
    return json_string_value(json_object_get(json_object_get(ev, obj), key));
}

static int collect(void *ctx, json_t *ev)
{
    struct seen *s = ctx;
    const char *msg = json_string_value(json_object_get(ev, "message"));

    if (msg && !strcmp(msg, s->marker)) {
        s->n_marker++;
        assert_string_equal(sub(ev, "event", "dataset"), "journald");
        assert_string_equal(sub(ev, "log", "level"), "notice");
        assert_string_equal(sub(ev, "process", "name"), "vigil-journald-test");
        assert_non_null(sub(ev, "journald", "cursor"));
        assert_true(snprintf(s->cursor, sizeof(s->cursor), "%s", sub(ev, "journald", "cursor")) <
                    (int)sizeof(s->cursor));
    }
    if (msg && s->other && !strcmp(msg, s->other))
        s->n_other++;
    json_decref(ev);
    return 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Whether a plain sd_journal reader sees marker within WAIT_MS (journald
 * writes asynchronously, and may not be readable by us at all). */
static bool journal_shows(const char *marker)
{
    char match[128];
    sd_journal *j;
    bool found = false;

    if (sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY) < 0)
        return false;
    assert_true(snprintf(match, sizeof(match), "MESSAGE=%s", marker) < (int)sizeof(match));
    assert_true(sd_journal_add_match(j, match, 0) >= 0);
    for (long waited = 0; !found && waited < WAIT_MS; waited += 50) {
        found = sd_journal_next(j) > 0;
        if (!found) {
            sleep_ms(50);
            (void)sd_journal_seek_head(j);
        }
    }
    sd_journal_close(j);
    return found;
}

/* Poll jd until s->marker was emitted or WAIT_MS passed. */
static void poll_for(struct journald *jd, struct seen *s)
{
    for (long waited = 0; !s->n_marker && waited < WAIT_MS; waited += 50) {
        assert_true(journald_poll(jd, 1000, collect, s) >= 0);
        if (!s->n_marker)
            sleep_ms(50);
    }
    assert_true(journald_poll(jd, 1000, collect, s) >= 0); /* and nothing twice */
}

static bool send_marker(const char *marker)
{
    return sd_journal_send("MESSAGE=%s", marker, "PRIORITY=5",
                           "SYSLOG_IDENTIFIER=vigil-journald-test", NULL) >= 0;
}

static void test_marker_and_cursor(void **state)
{
    char dir[] = "/tmp/vigil-journald-XXXXXX", cursor_path[128], m1[64], m2[64];
    struct seen s1 = {.marker = m1}, s2 = {.marker = m2, .other = m1};
    struct journald *jd;
    char *saved = NULL;
    size_t saved_len;
    sd_journal *probe;
    int err = 0;

    (void)state;
    if (sd_journal_open(&probe, SD_JOURNAL_LOCAL_ONLY) < 0) {
        print_message("journald: no journal can be opened here; skipped\n");
        skip();
    }
    sd_journal_close(probe);
    if (access("/run/systemd/journal/socket", W_OK) != 0) {
        print_message("journald: no journald socket to send to; skipped\n");
        skip();
    }
    assert_true(snprintf(m1, sizeof(m1), "vigil-journald-test %ld %ld a", (long)getpid(),
                         (long)time(NULL)) < (int)sizeof(m1));
    assert_true(snprintf(m2, sizeof(m2), "vigil-journald-test %ld %ld b", (long)getpid(),
                         (long)time(NULL)) < (int)sizeof(m2));
    assert_non_null(mkdtemp(dir));
    assert_true(snprintf(cursor_path, sizeof(cursor_path), "%s/cursor", dir) <
                (int)sizeof(cursor_path));

    /* first run: no cursor, so it starts at the end, before m1 */
    jd = journald_open(cursor_path, &err);
    assert_non_null(jd);
    if (!send_marker(m1) || !journal_shows(m1)) {
        journald_free(jd);
        assert_int_equal(rmdir(dir), 0);
        print_message("journald: sd_journal_send does not reach a readable journal; skipped\n");
        skip();
    }
    poll_for(jd, &s1);
    assert_int_equal(s1.n_marker, 1);
    assert_int_equal(journald_save(jd), 0);
    journald_free(jd);
    assert_int_equal(file_read_all(cursor_path, 4096, &saved, &saved_len), 0);
    assert_true(saved_len > 0);
    free(saved);

    /* second run from the saved cursor: m2 (sent while no collector ran)
     * comes out, m1 does not come out again */
    assert_true(send_marker(m2));
    assert_true(journal_shows(m2));
    jd = journald_open(cursor_path, &err);
    assert_non_null(jd);
    poll_for(jd, &s2);
    assert_int_equal(s2.n_marker, 1);
    assert_int_equal(s2.n_other, 0);
    journald_free(jd);

    assert_int_equal(unlink(cursor_path), 0);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marker_and_cursor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
