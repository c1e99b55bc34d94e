/* Hits as ECS JSON lines, and the sink they go to (output.h). */
#include "sensor/output.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "base/str.h"
#include "base/vtime.h"

int json_put_str(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t start = b->len, i = 0;
    int rc = buf_putc(b, '"');

    while (rc == 0 && i < n) {
        unsigned char c = p[i];
        size_t j = i;
        while (j < n && p[j] >= 0x20 && p[j] < 0x7f && p[j] != '"' && p[j] != '\\')
            j++;
        if (j > i) {
            rc = buf_append(b, p + i, j - i);
            i = j;
        } else if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            rc = buf_append(b, e, 2);
            i++;
        } else if (c < 0x80) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            rc = buf_append(b, e, 6);
            i++;
        } else {
            size_t k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
            if (k && c <= 0xf4 && i + k <= n && str_valid_utf8(p + i, k)) {
                rc = buf_append(b, p + i, k);
                i += k;
            } else {
                rc = buf_append(b, "\xef\xbf\xbd", 3);
                i++;
            }
        }
    }
    if (rc == 0)
        rc = buf_putc(b, '"');
    if (rc < 0)
        buf_truncate(b, start);
    return rc;
}

void format_ts_ms(int64_t ms, char out[static 25])
{
    char s[21];
    int64_t sec = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int frac = (int)(ms - sec * 1000);

    vtime_format_utc(sec, s);
    /* "YYYY-MM-DDTHH:MM:SS" + ".mmmZ" */
    memcpy(out, s, 19);
    out[19] = '.';
    out[20] = (char)('0' + frac / 100);
    out[21] = (char)('0' + frac / 10 % 10);
    out[22] = (char)('0' + frac % 10);
    out[23] = 'Z';
    out[24] = '\0';
}

/* A JSON writer over a buf that remembers the first failure. */
struct jw {
    struct buf *b;
    int rc;
    bool first;
};

/* Keys are written without printf: one hit writes a dozen of them. */
static void jw_key(struct jw *w, const char *key)
{
    size_t n = strlen(key);
    char t[64];

    if (w->rc == 0 && n + 4 <= sizeof(t)) {
        size_t k = 0;
        if (!w->first)
            t[k++] = ',';
        t[k++] = '"';
        memcpy(t + k, key, n);
        k += n;
        t[k++] = '"';
        t[k++] = ':';
        w->rc = buf_append(w->b, t, k);
    } else if (w->rc == 0) {
        w->rc = buf_printf(w->b, "%s\"%s\":", w->first ? "" : ",", key);
    }
    w->first = false;
}

static void jw_str(struct jw *w, const char *key, const char *v, size_t n)
{
    jw_key(w, key);
    if (w->rc == 0)
        w->rc = json_put_str(w->b, v, n);
}

static void jw_cstr(struct jw *w, const char *key, const char *v)
{
    jw_str(w, key, v, strlen(v));
}

static void jw_uint(struct jw *w, const char *key, uint64_t v)
{
    char t[20];
    size_t k = sizeof(t);

    jw_key(w, key);
    do {
        t[--k] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (w->rc == 0)
        w->rc = buf_append(w->b, t + k, sizeof(t) - k);
}

static void jw_ip(struct jw *w, const char *key, const struct ip_addr *a)
{
    char t[IP_ADDR_STRLEN];
    jw_str(w, key, t, ip_format(a, t));
}

static void jw_time(struct jw *w, const char *key, int64_t ms)
{
    char t[25];
    format_ts_ms(ms, t);
    jw_cstr(w, key, t);
}

static bool have(const struct ip_addr *a)
{
    return a->family == ADDR_V4 || a->family == ADDR_V6;
}

static const char *transport(uint8_t proto)
{
    switch (proto) {
    case 1:
        return "icmp";
    case 6:
        return "tcp";
    case 17:
        return "udp";
    case 47:
        return "gre";
    case 50:
        return "esp";
    case 58:
        return "ipv6-icmp";
    case 132:
        return "sctp";
    }
    return NULL;
}

/* related.ip: every distinct address of the record, the address seen first. */
static void jw_related(struct jw *w, const struct hit *h)
{
    const struct ip_addr *all[6];
    size_t n = 0;

    if (have(&h->addr))
        all[n++] = &h->addr;
    if (h->obs) {
        const struct ip_addr *f[4] = {&h->obs->src, &h->obs->dst, &h->obs->xsrc, &h->obs->xdst};
        for (size_t i = 0; i < 4; i++) {
            bool dup = !have(f[i]);
            for (size_t j = 0; j < n && !dup; j++)
                dup = ip_cmp(all[j], f[i]) == 0;
            if (!dup)
                all[n++] = f[i];
        }
    }
    if (h->attributed) {
        bool dup = false;
        for (size_t j = 0; j < n && !dup; j++)
            dup = ip_cmp(all[j], &h->sub_addr) == 0;
        if (!dup)
            all[n++] = &h->sub_addr;
    }
    if (n == 0)
        return;
    jw_key(w, "related.ip");
    for (size_t i = 0; i < n && w->rc == 0; i++) {
        char t[IP_ADDR_STRLEN + 3];
        size_t len = ip_format(all[i], t + 2);
        t[0] = i ? ',' : '[';
        t[1] = '"';
        t[len + 2] = '"';
        w->rc = buf_append(w->b, t, len + 3);
    }
    if (w->rc == 0)
        w->rc = buf_putc(w->b, ']');
}

static void jw_flow(struct jw *w, const struct obs *o)
{
    const char *t = transport(o->proto);

    if (have(&o->src))
        jw_ip(w, "source.ip", &o->src);
    if (o->sport)
        jw_uint(w, "source.port", o->sport);
    if (have(&o->dst))
        jw_ip(w, "destination.ip", &o->dst);
    if (o->dport)
        jw_uint(w, "destination.port", o->dport);
    if (have(&o->xsrc))
        jw_ip(w, "source.nat.ip", &o->xsrc);
    if (o->xsport)
        jw_uint(w, "source.nat.port", o->xsport);
    if (have(&o->xdst))
        jw_ip(w, "destination.nat.ip", &o->xdst);
    if (o->xdport)
        jw_uint(w, "destination.nat.port", o->xdport);
    if (t)
        jw_cstr(w, "network.transport", t);
    else if (o->proto)
        jw_uint(w, "network.iana_number", o->proto);
    if (o->kind == OBS_DNS)
        jw_cstr(w, "network.protocol", "dns");
    else if (o->kind == OBS_TLS)
        jw_cstr(w, "network.protocol", "tls");
    if (o->packets)
        jw_uint(w, "network.packets", o->packets);
    if (o->bytes)
        jw_uint(w, "network.bytes", o->bytes);
    if (o->end_ms > 0)
        jw_time(w, "event.end", o->end_ms);
    if (o->qname && o->qname_len)
        jw_str(w, o->kind == OBS_TLS ? "tls.client.server_name" : "dns.question.name", o->qname,
               o->qname_len);
    if (o->rule && o->rule_len)
        jw_str(w, "rule.name", o->rule, o->rule_len);
}

int output_format_hit(struct buf *b, const struct iset *s, const struct hit *h, const char *path,
                      uint64_t line)
{
    struct jw w = {.b = b, .first = true};
    size_t start = b->len;
    const struct ilist *l = &s->lists.items[h->list];
    char val[IND_VALUE_MAX];

    w.rc = buf_putc(b, '{');
    jw_time(&w, "@timestamp", h->ts_ms > 0 ? h->ts_ms : vtime_now_ms());
    jw_cstr(&w, "event.kind", "enrichment");
    jw_cstr(&w, "event.category", "network");
    jw_cstr(&w, "observer.type", "sensor");
    if (h->obs)
        jw_flow(&w, h->obs);
    if (h->ip) {
        struct indicator ind = {.type = IND_IP, .ip = h->ip->prefix};
        jw_cstr(&w, "threat.indicator.type", h->addr.family == ADDR_V6 ? "ipv6-addr" : "ipv4-addr");
        jw_ip(&w, "threat.indicator.ip", &h->addr);
        jw_str(&w, "vigil.indicator", val, indicator_value(&ind, val));
    } else if (h->dom) {
        jw_cstr(&w, "threat.indicator.type", "domain-name");
        jw_cstr(&w, "threat.indicator.url.domain", h->dom->name);
        jw_cstr(&w, "vigil.indicator", h->dom->name);
    }
    jw_cstr(&w, "threat.indicator.provider", l->provider);
    jw_cstr(&w, "threat.feed.name", l->name);
    if (l->version[0])
        jw_cstr(&w, "vigil.feed.version", l->version);
    jw_cstr(&w, "vigil.match", hit_field_name(h->field, h->obs));
    if (h->attributed) {
        jw_cstr(&w, "user.id", h->sub.user);
        jw_cstr(&w, "user.name", h->sub.user);
        jw_cstr(&w, "vigil.subscriber.source", h->sub.source);
        jw_ip(&w, "vigil.subscriber.ip", &h->sub_addr);
        if (h->sub.calling_id)
            jw_cstr(&w, "vigil.subscriber.calling_id", h->sub.calling_id);
        if (h->sub.session_id)
            jw_cstr(&w, "vigil.subscriber.session_id", h->sub.session_id);
    } else {
        jw_cstr(&w, "vigil.subscriber.source", "none");
    }
    jw_related(&w, h);
    if (path) {
        jw_cstr(&w, "log.file.path", path);
        jw_uint(&w, "log.file.line", line);
    }
    if (w.rc == 0)
        w.rc = buf_puts(b, "}\n");
    if (w.rc < 0)
        buf_truncate(b, start);
    return w.rc;
}

int output_open(struct output *o, const char *path, bool post, size_t queue_cap, struct verr *err)
{
    memset(o, 0, sizeof(*o));
    o->fd = -1;
    if (path && strcmp(path, "-") == 0) {
        o->fd = 1;
    } else if (path) {
        o->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (o->fd < 0)
            return verr_set(err, -errno, "%s: cannot open for writing: %s", path, strerror(errno));
        o->own = true;
    }
    o->post = post;
    buf_init(&o->queue, queue_cap ? queue_cap : (size_t)64 << 20);
    pthread_mutex_init(&o->lock, NULL);
    return 0;
}

void output_close(struct output *o)
{
    if (o->own && o->fd >= 0)
        close(o->fd);
    o->fd = -1;
    buf_release(&o->queue);
    pthread_mutex_destroy(&o->lock);
}

static uint64_t count_lines(const char *p, size_t n)
{
    uint64_t k = 0;
    for (const char *q = p; (q = memchr(q, '\n', (size_t)(p + n - q))) != NULL; q++)
        k++;
    return k;
}

void output_write(struct output *o, const char *p, size_t n)
{
    uint64_t k;

    if (n == 0)
        return;
    k = count_lines(p, n);
    pthread_mutex_lock(&o->lock);
    if (o->fd >= 0) {
        if (write_all(o->fd, p, n) < 0)
            o->c.write_errors += k;
        else
            o->c.lines += k;
    }
    if (o->post) {
        if (buf_append(&o->queue, p, n) < 0)
            o->c.queue_dropped += k;
        else
            o->c.queued += k;
    }
    pthread_mutex_unlock(&o->lock);
}

size_t output_take_queue(struct output *o, struct buf *b)
{
    size_t n;

    buf_reset(b);
    pthread_mutex_lock(&o->lock);
    n = o->queue.len;
    if (n && buf_append(b, o->queue.data, n) == 0)
        buf_reset(&o->queue);
    else
        n = 0;
    pthread_mutex_unlock(&o->lock);
    return n;
}

void output_counters_get(struct output *o, struct output_counters *ret)
{
    pthread_mutex_lock(&o->lock);
    *ret = o->c;
    pthread_mutex_unlock(&o->lock);
}
