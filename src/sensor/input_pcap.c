/* pcap files and live capture through libpcap (input.h). */
#include <pcap/pcap.h>
#include <poll.h>
#include <string.h>

#include "base/i18n.h"
#include "sensor/input.h"

#define LIVE_SNAPLEN    65535
#define LIVE_TIMEOUT_MS 200

struct pcap_run {
    int linktype;
    uint64_t index;
    input_emit_fn emit;
    void *ctx;
    struct obs_counters *c;
};

static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    struct pcap_run *r = (struct pcap_run *)user;
    int64_t ts = (int64_t)h->ts.tv_sec * 1000 + (int64_t)h->ts.tv_usec / 1000;
    pcap_packet(r->linktype, bytes, h->caplen, h->len, ts, ++r->index, r->emit, r->ctx, r->c);
}

int pcap_input_file(const char *path, input_emit_fn emit, void *ctx, struct obs_counters *c,
                    struct verr *e)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    errbuf[0] = '\0';
    pcap_t *pc = pcap_open_offline(path, errbuf);
    if (!pc)
        return verr_set(e, -EINVAL, _("%s: cannot read capture: %s"), path, errbuf);
    struct pcap_run r = {pcap_datalink(pc), 0, emit, ctx, c};
    int rc = pcap_loop(pc, -1, on_frame, (u_char *)&r);
    int ret = 0;
    if (rc == PCAP_ERROR) {
        /* a file cut short mid-frame: what was read stands, the rest is counted */
        c->truncated++;
        ret = verr_set(e, -EIO, _("%s: capture damaged after frame %llu: %s"), path,
                       (unsigned long long)r.index, pcap_geterr(pc));
    }
    pcap_close(pc);
    return ret;
}

static int live_fail(pcap_t *pc, struct verr *e, int code, const char *ifname, const char *what)
{
    int ret = verr_set(e, code, _("capture on %s: %s: %s"), ifname, what, pcap_geterr(pc));
    pcap_close(pc);
    return ret;
}

int pcap_input_live(const char *ifname, const char *bpf_filter, volatile sig_atomic_t *stop,
                    input_emit_fn emit, void *ctx, struct obs_counters *c, struct verr *e)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    errbuf[0] = '\0';
    pcap_t *pc = pcap_create(ifname, errbuf);
    if (!pc)
        return verr_set(e, -ENODEV, _("capture on %s: %s"), ifname, errbuf);
    if (pcap_set_snaplen(pc, LIVE_SNAPLEN) != 0 || pcap_set_promisc(pc, 1) != 0 ||
        pcap_set_timeout(pc, LIVE_TIMEOUT_MS) != 0)
        return live_fail(pc, e, -EINVAL, ifname, _("cannot set up"));
    int rc = pcap_activate(pc);
    if (rc < 0) {
        int ret =
            verr_set(e, rc == PCAP_ERROR_PERM_DENIED ? -EPERM : -ENODEV, _("capture on %s: %s"),
                     ifname, rc == PCAP_ERROR ? pcap_geterr(pc) : pcap_statustostr(rc));
        pcap_close(pc);
        return ret;
    }
    if (bpf_filter && bpf_filter[0]) {
        struct bpf_program prog;
        if (pcap_compile(pc, &prog, bpf_filter, 1, PCAP_NETMASK_UNKNOWN) != 0)
            return live_fail(pc, e, -EINVAL, ifname, bpf_filter);
        rc = pcap_setfilter(pc, &prog);
        pcap_freecode(&prog);
        if (rc != 0)
            return live_fail(pc, e, -EINVAL, ifname, bpf_filter);
    }
    int fd = pcap_get_selectable_fd(pc);
    if (fd < 0 || pcap_setnonblock(pc, 1, errbuf) != 0)
        return live_fail(pc, e, -EINVAL, ifname, _("cannot set up"));
    struct pcap_run r = {pcap_datalink(pc), 0, emit, ctx, c};
    while (!*stop) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, LIVE_TIMEOUT_MS) < 0 && errno != EINTR)
            return live_fail(pc, e, -errno, ifname, _("read failed"));
        rc = pcap_dispatch(pc, -1, on_frame, (u_char *)&r);
        if (rc == PCAP_ERROR)
            return live_fail(pc, e, -EIO, ifname, _("read failed"));
    }
    pcap_close(pc);
    return 0;
}
