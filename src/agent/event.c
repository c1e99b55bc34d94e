/* ECS event helpers for the agent's collectors. */
#include "agent/event.h"

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "base/vtime.h"

const char *agent_hostname(void)
{
    static char name[sizeof(((struct utsname *)0)->nodename)];
    struct utsname u;

    if (!name[0]) {
        if (uname(&u) == 0)
            memcpy(name, u.nodename, sizeof(name));
        name[sizeof(name) - 1] = '\0';
        if (!name[0])
            memcpy(name, "localhost", sizeof("localhost"));
    }
    return name;
}

void agent_event_set(json_t *ev, const char *dotted, json_t *v)
{
    json_t *obj = ev;
    const char *p = dotted, *dot;
    char part[64];

    while ((dot = strchr(p, '.')) != NULL) {
        size_t n = MIN((size_t)(dot - p), sizeof(part) - 1);
        json_t *child;
        memcpy(part, p, n);
        part[n] = '\0';
        child = json_object_get(obj, part);
        if (!json_is_object(child)) {
            child = json_object();
            json_object_set_new(obj, part, child);
        }
        obj = child;
        p = dot + 1;
    }
    json_object_set_new(obj, p, v);
}

json_t *agent_event_new(const char *dataset, int64_t t_ms)
{
    json_t *ev = json_object();
    char ts[32];
    int64_t ms = t_ms > 0 ? t_ms : vtime_now_ms();
    char day[21];

    vtime_format_utc(ms / 1000, day);
    /* "2026-11-21T12:30:00Z" -> "2026-11-21T12:30:00.123Z" */
    if (snprintf(ts, sizeof(ts), "%.19s.%03dZ", day, (int)(ms % 1000)) < 0)
        ts[0] = '\0';
    json_object_set_new(ev, "@timestamp", json_string(ts));
    agent_event_set(ev, "event.dataset", json_string(dataset));
    agent_event_set(ev, "host.name", json_string(agent_hostname()));
    return ev;
}

int agent_event_text(json_t *ev, struct buf *out)
{
    char *s = json_dumps(ev, JSON_COMPACT | JSON_ENSURE_ASCII);
    int rc;

    if (!s)
        return -ENOMEM;
    buf_reset(out);
    rc = buf_puts(out, s);
    free(s);
    return rc;
}
