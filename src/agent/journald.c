/* The systemd journal as a log source (see journald.h). */
#include "agent/journald.h"

#include <string.h>
#include <systemd/sd-journal.h>

#include "base/file.h"
#include "base/str.h"

#define CURSOR_MAX 4096

struct journald {
    sd_journal *j;
    char *cursor_path;
    char *last; /* cursor of the last entry emitted */
    bool dirty; /* last changed since the save */
};

static void seek_after(struct journald *jd, const char *cursor)
{
    if (sd_journal_seek_cursor(jd->j, cursor) < 0 || sd_journal_next(jd->j) <= 0) {
        sd_journal_seek_tail(jd->j);
        (void)sd_journal_previous(jd->j);
        return;
    }
    if (sd_journal_test_cursor(jd->j, cursor) <= 0)
        (void)sd_journal_previous(jd->j); /* landed past it: read this one next */
}

struct journald *journald_open(const char *cursor_path, int *ret_err)
{
    struct journald *jd = xcalloc(1, sizeof(*jd));
    char *text = NULL;
    size_t len = 0;
    int r = sd_journal_open(&jd->j, SD_JOURNAL_LOCAL_ONLY);

    if (r < 0) {
        *ret_err = -r;
        free(jd);
        return NULL;
    }
    jd->cursor_path = xstrdup(cursor_path);
    if (file_read_all(cursor_path, CURSOR_MAX, &text, &len) == 0 && len > 0) {
        while (len && (text[len - 1] == '\n'))
            text[--len] = '\0';
        jd->last = text;
        seek_after(jd, text);
    } else {
        free(text);
        /* No cursor yet: start at the end (the history before the agent
         * was installed is not replayed). */
        sd_journal_seek_tail(jd->j);
        (void)sd_journal_previous(jd->j);
    }
    return jd;
}

void journald_free(struct journald *j)
{
    if (!j)
        return;
    sd_journal_close(j->j);
    free(j->cursor_path);
    free(j->last);
    free(j);
}

/* The value of FIELD=value in the current entry, or NULL. */
static json_t *field(sd_journal *j, const char *name, size_t max)
{
    const void *d;
    size_t len, nl = strlen(name);

    if (sd_journal_get_data(j, name, &d, &len) < 0 || len <= nl)
        return NULL;
    const char *v = (const char *)d + nl + 1;
    len = MIN(len - nl - 1, max);
    if (!str_valid_utf8(v, len))
        return json_string("(binary)");
    return json_stringn(v, len);
}

int journald_poll(struct journald *jd, unsigned max, agent_emit_fn emit, void *ctx)
{
    static const char *const levels[] = {"emerg",   "alert",  "crit", "err",
                                         "warning", "notice", "info", "debug"};
    int n = 0, rc;

    while ((unsigned)n < max && sd_journal_next(jd->j) > 0) {
        uint64_t usec = 0;
        char *cursor = NULL;
        json_t *ev, *v;

        (void)sd_journal_get_realtime_usec(jd->j, &usec);
        if (sd_journal_get_cursor(jd->j, &cursor) < 0)
            continue;
        ev = agent_event_new("journald", (int64_t)(usec / 1000));
        if ((v = field(jd->j, "MESSAGE", JOURNALD_MAX_MESSAGE)))
            agent_event_set(ev, "message", v);
        if ((v = field(jd->j, "_SYSTEMD_UNIT", 256)))
            agent_event_set(ev, "journald.unit", v);
        if ((v = field(jd->j, "SYSLOG_IDENTIFIER", 256)))
            agent_event_set(ev, "process.name", v);
        if ((v = field(jd->j, "_PID", 16)))
            agent_event_set(ev, "process.pid", v);
        if ((v = field(jd->j, "PRIORITY", 2))) {
            const char *p = json_string_value(v);
            if (p && p[0] >= '0' && p[0] <= '7' && !p[1])
                agent_event_set(ev, "log.level", json_string(levels[p[0] - '0']));
            json_decref(v);
        }
        agent_event_set(ev, "journald.cursor", json_string(cursor));
        if ((rc = emit(ctx, ev)) < 0) {
            free(cursor);
            (void)sd_journal_previous(jd->j);
            return rc;
        }
        free(jd->last);
        jd->last = cursor;
        jd->dirty = true;
        n++;
    }
    return n;
}

void journald_advance(struct journald *jd, const char *cursor)
{
    free(jd->last);
    jd->last = xstrdup(cursor);
    jd->dirty = true;
    seek_after(jd, cursor);
}

int journald_save(struct journald *jd)
{
    if (!jd->dirty || !jd->last)
        return 0;
    jd->dirty = false;
    return file_write_atomic(jd->cursor_path, jd->last, strlen(jd->last), 0600);
}
