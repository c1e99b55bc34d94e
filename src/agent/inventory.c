/* Host inventory: collectors, text parsers, snapshot and deltas (inventory.h). */
#include "agent/inventory.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "agent/fim.h"
#include "agent/rpmdb.h"
#include "base/bytes.h"
#include "base/file.h"
#include "base/str.h"
#include "base/vec.h"

/* Iterate over the lines of (text, len): for (LINES(...)) */
struct lines {
    const char *p, *end;
};

static bool next_line(struct lines *it, const char **ret, size_t *ret_len)
{
    const char *nl;

    if (it->p >= it->end)
        return false;
    nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
    *ret = it->p;
    *ret_len = nl ? (size_t)(nl - it->p) : (size_t)(it->end - it->p);
    it->p = nl ? nl + 1 : it->end;
    return true;
}

static json_t *str_or_null(const char *p, size_t len)
{
    return str_valid_utf8(p, len) ? json_stringn(p, len) : json_null();
}

/* Split (p, len) at sep into at most max fields; returns the count. */
static size_t split(const char *p, size_t len, char sep, const char **f, size_t *fl, size_t max)
{
    size_t n = 0;
    const char *end = p + len;

    while (n < max) {
        const char *s = memchr(p, sep, (size_t)(end - p));
        f[n] = p;
        fl[n] = s ? (size_t)(s - p) : (size_t)(end - p);
        n++;
        if (!s)
            break;
        p = s + 1;
    }
    return n;
}

json_t *inv_parse_dpkg(const char *text, size_t len)
{
    struct lines it = {text, text + len};
    json_t *arr = json_array(), *cur = json_object();
    bool installed = false;
    const char *l;
    size_t ll;

    for (;;) {
        bool more = next_line(&it, &l, &ll);
        if (!more || ll == 0) { /* end of a stanza */
            if (installed && json_object_get(cur, "name") && json_array_size(arr) < INV_MAX_ITEMS) {
                json_object_set_new(cur, "source", json_string("dpkg"));
                json_array_append(arr, cur);
            }
            json_decref(cur);
            cur = json_object();
            installed = false;
            if (!more)
                break;
            continue;
        }
        static const struct {
            const char *field, *key;
        } map[] = {{"Package: ", "name"}, {"Version: ", "version"}, {"Architecture: ", "arch"}};
        for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
            size_t fl = strlen(map[i].field);
            if (ll > fl && memcmp(l, map[i].field, fl) == 0)
                json_object_set_new(cur, map[i].key, str_or_null(l + fl, ll - fl));
        }
        /* "Status: install ok installed", "Status: hold ok installed" */
        if (ll >= 8 && memcmp(l, "Status: ", 8) == 0)
            installed = ll >= 8 + 13 && memcmp(l + ll - 13, " ok installed", 13) == 0;
    }
    json_decref(cur);
    return arr;
}

json_t *inv_parse_os_release(const char *text, size_t len)
{
    static const struct {
        const char *var, *key;
    } map[] = {{"ID", "id"},
               {"VERSION_ID", "version_id"},
               {"NAME", "name"},
               {"PRETTY_NAME", "pretty_name"},
               {"VERSION_CODENAME", "codename"}};
    struct lines it = {text, text + len};
    json_t *o = json_object();
    const char *l;
    size_t ll;

    while (next_line(&it, &l, &ll)) {
        const char *eq = memchr(l, '=', ll);
        if (!eq)
            continue;
        size_t kl = (size_t)(eq - l), vl = ll - kl - 1;
        const char *v = eq + 1;
        if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
            v++;
            vl -= 2;
        }
        for (size_t i = 0; i < ARRAY_SIZE(map); i++)
            if (kl == strlen(map[i].var) && memcmp(l, map[i].var, kl) == 0)
                json_object_set_new(o, map[i].key, str_or_null(v, vl));
    }
    return o;
}

/* The next line of a colon-separated database (passwd, group) that has
 * exactly n fields and a name; comments and malformed lines are skipped. */
static bool next_record(struct lines *it, const char **f, size_t *fl, size_t n)
{
    const char *l;
    size_t ll;

    while (next_line(it, &l, &ll))
        if (ll && l[0] != '#' && split(l, ll, ':', f, fl, n) == n && fl[0])
            return true;
    return false;
}

json_t *inv_parse_passwd(const char *text, size_t len)
{
    struct lines it = {text, text + len};
    json_t *arr = json_array();
    const char *f[7];
    size_t fl[7];
    uint64_t uid, gid;

    while (json_array_size(arr) < INV_MAX_ITEMS && next_record(&it, f, fl, 7)) {
        if (str_to_u64(f[2], fl[2], UINT32_MAX, &uid) < 0 ||
            str_to_u64(f[3], fl[3], UINT32_MAX, &gid) < 0)
            continue;
        json_array_append_new(
            arr, json_pack("{s:o, s:I, s:I, s:o, s:o}", "name", str_or_null(f[0], fl[0]), "uid",
                           (json_int_t)uid, "gid", (json_int_t)gid, "home",
                           str_or_null(f[5], fl[5]), "shell", str_or_null(f[6], fl[6])));
    }
    return arr;
}

json_t *inv_parse_group(const char *text, size_t len)
{
    struct lines it = {text, text + len};
    json_t *arr = json_array();
    const char *f[4];
    size_t fl[4];
    uint64_t gid;

    while (json_array_size(arr) < INV_MAX_ITEMS && next_record(&it, f, fl, 4)) {
        if (str_to_u64(f[2], fl[2], UINT32_MAX, &gid) < 0)
            continue;
        json_t *members = json_array();
        const char *m[1024];
        size_t ml[1024], nm = fl[3] ? split(f[3], fl[3], ',', m, ml, 1024) : 0;
        for (size_t i = 0; i < nm; i++)
            if (ml[i])
                json_array_append_new(members, str_or_null(m[i], ml[i]));
        json_array_append_new(arr, json_pack("{s:o, s:I, s:o}", "name", str_or_null(f[0], fl[0]),
                                             "gid", (json_int_t)gid, "members", members));
    }
    return arr;
}

/* "0100007F:0016" (v4) or 32 hex digits (v6) as the kernel prints them. */
static int proc_addr(const char *p, size_t len, bool v6, char *ip, size_t ip_size,
                     unsigned *ret_port)
{
    uint8_t raw[16];
    uint64_t port;
    size_t hl = v6 ? 32 : 8;

    if (len != hl + 5 || p[hl] != ':')
        return -EINVAL;
    for (size_t w = 0; w < hl / 8; w++) { /* each 32-bit word is host order */
        uint8_t b[4];
        if (hex_decode(p + w * 8, 8, b, 4) < 0)
            return -EINVAL;
        /* The kernel prints each 32-bit word of the address as a native
         * integer: its memory bytes are the address bytes. */
        uint32_t x = load_be32(b);
        memcpy(raw + w * 4, &x, 4);
    }
    if (!inet_ntop(v6 ? AF_INET6 : AF_INET, raw, ip, (socklen_t)ip_size))
        return -EINVAL;
    port = 0;
    for (size_t i = hl + 1; i < len; i++) {
        uint8_t b;
        char c = p[i];
        b = (uint8_t)(c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                             : 255);
        if (b == 255)
            return -EINVAL;
        port = port * 16 + b;
    }
    *ret_port = (unsigned)port;
    return 0;
}

void inv_parse_proc_net(const char *text, size_t len, const char *proto, bool v6, json_t *listening,
                        json_t *connections)
{
    struct lines it = {text, text + len};
    const char *l;
    size_t ll;
    bool first = true;

    while (next_line(&it, &l, &ll) &&
           json_array_size(listening) + json_array_size(connections) < INV_MAX_ITEMS) {
        const char *f[12];
        size_t fl[12], n = 0;
        const char *p = l, *end = l + ll;
        if (first) { /* the header line */
            first = false;
            continue;
        }
        while (p < end && n < 12) {
            while (p < end && *p == ' ')
                p++;
            if (p >= end)
                break;
            f[n] = p;
            while (p < end && *p != ' ')
                p++;
            fl[n] = (size_t)(p - f[n]);
            n++;
        }
        /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
        char lip[INET6_ADDRSTRLEN], rip[INET6_ADDRSTRLEN];
        unsigned lport, rport;
        uint64_t st, inode;
        if (n < 10 || proc_addr(f[1], fl[1], v6, lip, sizeof(lip), &lport) < 0 ||
            proc_addr(f[2], fl[2], v6, rip, sizeof(rip), &rport) < 0 || fl[3] != 2 ||
            str_to_u64(f[9], fl[9], UINT64_MAX, &inode) < 0)
            continue;
        uint8_t sb;
        if (hex_decode(f[3], 2, &sb, 1) < 0)
            continue;
        st = sb;
        bool tcp = strcmp(proto, "tcp") == 0;
        /* tcp: LISTEN (0x0A) listens, ESTABLISHED (0x01) is a connection;
         * udp: an unconnected socket (0x07) listens, 0x01 is connected. */
        if ((tcp && st == 0x0A) || (!tcp && st == 0x07)) {
            json_array_append_new(listening,
                                  json_pack("{s:s, s:s, s:i, s:I}", "proto", proto, "addr", lip,
                                            "port", (int)lport, "inode", (json_int_t)inode));
        } else if (st == 0x01) {
            json_array_append_new(
                connections, json_pack("{s:s, s:s, s:i, s:s, s:i, s:I}", "proto", proto,
                                       "local_addr", lip, "local_port", (int)lport, "remote_addr",
                                       rip, "remote_port", (int)rport, "inode", (json_int_t)inode));
        }
    }
}

void inv_parse_crontab(const char *text, size_t len, const char *file, bool system, json_t *arr)
{
    struct lines it = {text, text + len};
    const char *l;
    size_t ll;

    while (next_line(&it, &l, &ll) && json_array_size(arr) < INV_MAX_ITEMS) {
        const char *p = l, *end = l + ll, *f[7];
        size_t fl[7], n = 0, want = system ? 6 : 5;
        str_trim(&p, &ll);
        end = p + ll;
        const char *line = p;
        if (ll == 0 || p[0] == '#')
            continue;
        /* VAR=value lines set the environment */
        const char *eq = memchr(p, '=', ll), *sp = memchr(p, ' ', ll);
        if (eq && (!sp || eq < sp))
            continue;
        size_t nfields = p[0] == '@' ? (system ? 2 : 1) : want;
        while (p < end && n < nfields) {
            while (p < end && (*p == ' ' || *p == '\t'))
                p++;
            f[n] = p;
            while (p < end && *p != ' ' && *p != '\t')
                p++;
            fl[n] = (size_t)(p - f[n]);
            n++;
        }
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (n < nfields || p >= end)
            continue;
        size_t sched_fields = system ? nfields - 1 : nfields;
        size_t sched_len = (size_t)(f[sched_fields - 1] + fl[sched_fields - 1] - f[0]);
        json_t *o = json_pack("{s:s, s:o, s:o, s:o}", "file", file, "line", str_or_null(line, ll),
                              "schedule", str_or_null(f[0], sched_len), "command",
                              str_or_null(p, (size_t)(end - p)));
        if (system)
            json_object_set_new(o, "user", str_or_null(f[nfields - 1], fl[nfields - 1]));
        json_array_append_new(arr, o);
    }
}

/* Collectors over the live system (root-relative paths). */

static char *read_rel(const char *root, const char *rel, size_t *ret_len)
{
    char path[4096];
    char *text = NULL;

    if (snprintf(path, sizeof(path), "%s%s", strcmp(root, "/") ? root : "", rel) >=
        (int)sizeof(path))
        return NULL;
    if (file_read_all(path, INV_MAX_FILE, &text, ret_len) < 0)
        return NULL;
    return text;
}

static json_t *parse_rel(const char *root, const char *rel, json_t *(*fn)(const char *, size_t))
{
    size_t len;
    char *t = read_rel(root, rel, &len);
    json_t *v = t ? fn(t, len) : NULL;

    free(t);
    return v;
}

/* Packages of the rpm database (rpm >= 4.16, SQLite) appended to pkgs. */
static void collect_rpm(const char *root, json_t *pkgs)
{
    char path[4096];
    int n;

    if (snprintf(path, sizeof(path), "%s/var/lib/rpm/rpmdb.sqlite",
                 strcmp(root, "/") ? root : "") >= (int)sizeof(path))
        return;
    /* Most hosts have one package manager: no rpm database is the usual
     * case on Debian, and a damaged one leaves what was read. */
    n = rpmdb_read(path, pkgs, INV_MAX_ITEMS);
    (void)n;
}

/* The prefix length of a netmask (v4 or v6). */
static unsigned prefix_len(const struct sockaddr *m)
{
    const uint8_t *b;
    size_t n;
    unsigned bits = 0;

    if (!m)
        return 0;
    if (m->sa_family == AF_INET) {
        b = (const uint8_t *)&((const struct sockaddr_in *)m)->sin_addr;
        n = 4;
    } else {
        b = (const uint8_t *)&((const struct sockaddr_in6 *)m)->sin6_addr;
        n = 16;
    }
    for (size_t i = 0; i < n; i++)
        bits += (unsigned)__builtin_popcount(b[i]);
    return bits;
}

static json_t *collect_interfaces(void)
{
    struct ifaddrs *ifa = NULL;
    json_t *by_name = json_object(), *arr = json_array();
    const char *name;
    json_t *it;

    if (getifaddrs(&ifa) == 0) {
        for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
            char ip[INET6_ADDRSTRLEN], path[300];
            json_t *o = json_object_get(by_name, i->ifa_name);
            if (!o) {
                char *mac = NULL;
                size_t ml = 0;
                o = json_pack("{s:s, s:[]}", "name", i->ifa_name, "addresses");
                if (snprintf(path, sizeof(path), "/sys/class/net/%s/address", i->ifa_name) <
                        (int)sizeof(path) &&
                    file_read_all(path, 64, &mac, &ml) == 0) {
                    while (ml && (mac[ml - 1] == '\n'))
                        ml--;
                    json_object_set_new(o, "mac", str_or_null(mac, ml));
                }
                free(mac);
                json_object_set_new(o, "up", json_boolean(i->ifa_flags & IFF_UP));
                json_object_set_new(by_name, i->ifa_name, o);
            }
            if (!i->ifa_addr ||
                (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
                continue;
            const void *a = i->ifa_addr->sa_family == AF_INET
                                ? (const void *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr
                                : (const void *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
            if (inet_ntop(i->ifa_addr->sa_family, a, ip, sizeof(ip))) {
                char cidr[INET6_ADDRSTRLEN + 8];
                if (snprintf(cidr, sizeof(cidr), "%s/%u", ip, prefix_len(i->ifa_netmask)) >=
                    (int)sizeof(cidr))
                    continue;
                json_array_append_new(json_object_get(o, "addresses"), json_string(cidr));
            }
        }
        freeifaddrs(ifa);
    }
    json_object_foreach(by_name, name, it) json_array_append(arr, it);
    json_decref(by_name);
    return arr;
}

struct sock_owner {
    uint64_t inode;
    int pid;
};

static int cmp_owner(const void *a, const void *b)
{
    uint64_t x = ((const struct sock_owner *)a)->inode, y = ((const struct sock_owner *)b)->inode;
    return x < y ? -1 : x > y;
}

static bool is_pid(const char *s, uint64_t *ret)
{
    return str_to_u64(s, strlen(s), INT32_MAX, ret) == 0;
}

/* Fill the "listening" and "connections" of inv, with owning processes. */
static void collect_sockets(const char *root, json_t *inv)
{
    static const struct {
        const char *file, *proto;
        bool v6;
    } files[] = {{"/proc/net/tcp", "tcp", false},
                 {"/proc/net/tcp6", "tcp", true},
                 {"/proc/net/udp", "udp", false},
                 {"/proc/net/udp6", "udp", true}};
    json_t *lis = json_array(), *con = json_array(), *s;
    VEC(struct sock_owner) owners = VEC_INIT;
    DIR *d;
    struct dirent *de;
    size_t i;

    for (i = 0; i < ARRAY_SIZE(files); i++) {
        size_t len;
        char *t = read_rel(root, files[i].file, &len);
        if (t)
            inv_parse_proc_net(t, len, files[i].proto, files[i].v6, lis, con);
        free(t);
    }
    /* which process holds each socket inode */
    if ((d = opendir("/proc")) != NULL) {
        while ((de = readdir(d)) != NULL && owners.n < INV_MAX_ITEMS * 4) {
            uint64_t pid;
            char fdp[300];
            DIR *fd_dir;
            struct dirent *fe;
            if (!is_pid(de->d_name, &pid) ||
                snprintf(fdp, sizeof(fdp), "/proc/%s/fd", de->d_name) >= (int)sizeof(fdp) ||
                !(fd_dir = opendir(fdp)))
                continue;
            while ((fe = readdir(fd_dir)) != NULL) {
                char lp[600], target[64];
                ssize_t n;
                uint64_t ino;
                if (snprintf(lp, sizeof(lp), "%s/%s", fdp, fe->d_name) >= (int)sizeof(lp))
                    continue;
                n = readlink(lp, target, sizeof(target) - 1);
                if (n < 10 || memcmp(target, "socket:[", 8) != 0 || target[n - 1] != ']' ||
                    str_to_u64(target + 8, (size_t)n - 9, UINT64_MAX, &ino) < 0)
                    continue;
                VEC_PUSH(&owners, ((struct sock_owner){ino, (int)pid}));
            }
            closedir(fd_dir);
        }
        closedir(d);
    }
    if (owners.n)
        qsort(owners.items, owners.n, sizeof(*owners.items), cmp_owner);
    for (size_t k = 0; k < 2; k++)
        json_array_foreach(k ? con : lis, i, s)
        {
            struct sock_owner key = {(uint64_t)json_integer_value(json_object_get(s, "inode")), 0};
            const struct sock_owner *o =
                owners.n ? bsearch(&key, owners.items, owners.n, sizeof(key), cmp_owner) : NULL;
            if (o && key.inode) {
                char commp[64], *comm = NULL;
                size_t cl = 0;
                json_object_set_new(s, "pid", json_integer(o->pid));
                if (snprintf(commp, sizeof(commp), "/proc/%d/comm", o->pid) < (int)sizeof(commp) &&
                    file_read_all(commp, 64, &comm, &cl) == 0) {
                    while (cl && comm[cl - 1] == '\n')
                        cl--;
                    json_object_set_new(s, "process", str_or_null(comm, cl));
                }
                free(comm);
            }
            json_object_del(s, "inode");
        }
    VEC_FREE(&owners);
    json_object_set_new(inv, "listening", lis);
    json_object_set_new(inv, "connections", con);
}

static json_t *collect_processes(json_t *users)
{
    json_t *arr = json_array();
    DIR *d = opendir("/proc");
    struct dirent *de;

    if (!d)
        return arr;
    while ((de = readdir(d)) != NULL && json_array_size(arr) < INV_MAX_ITEMS) {
        uint64_t pid;
        char p[300], exe[4096], *comm = NULL;
        size_t cl = 0;
        ssize_t n;
        struct stat st;
        if (!is_pid(de->d_name, &pid))
            continue;
        json_t *o = json_pack("{s:I}", "pid", (json_int_t)pid);
        if (snprintf(p, sizeof(p), "/proc/%s/comm", de->d_name) < (int)sizeof(p) &&
            file_read_all(p, 64, &comm, &cl) == 0) {
            while (cl && comm[cl - 1] == '\n')
                cl--;
            json_object_set_new(o, "name", str_or_null(comm, cl));
        }
        free(comm);
        if (snprintf(p, sizeof(p), "/proc/%s", de->d_name) < (int)sizeof(p) && stat(p, &st) == 0) {
            size_t i;
            json_t *u;
            json_object_set_new(o, "uid", json_integer(st.st_uid));
            json_array_foreach(users, i, u) if (json_integer_value(json_object_get(u, "uid")) ==
                                                (json_int_t)st.st_uid)
            {
                json_object_set(o, "user", json_object_get(u, "name"));
                break;
            }
        }
        if (snprintf(p, sizeof(p), "/proc/%s/exe", de->d_name) < (int)sizeof(p) &&
            (n = readlink(p, exe, sizeof(exe) - 1)) > 0) {
            uint8_t h[32];
            char hex[65];
            exe[n] = '\0';
            json_object_set_new(o, "exe", str_or_null(exe, (size_t)n));
            /* hash through /proc/PID/exe: the running image even if replaced */
            if (fim_sha256_file(p, INV_MAX_EXE, h) == 0 ||
                fim_sha256_file(exe, INV_MAX_EXE, h) == 0) {
                hex_encode(h, 32, hex);
                json_object_set_new(o, "sha256", json_string(hex));
            }
        }
        json_array_append_new(arr, o);
    }
    closedir(d);
    return arr;
}

static void units_in(const char *root, const char *dir, json_t *by_name)
{
    char path[4096];
    DIR *d;
    struct dirent *de;

    if (snprintf(path, sizeof(path), "%s%s", strcmp(root, "/") ? root : "", dir) >=
            (int)sizeof(path) ||
        !(d = opendir(path)))
        return;
    while ((de = readdir(d)) != NULL && json_object_size(by_name) < INV_MAX_ITEMS) {
        const char *dot = strrchr(de->d_name, '.');
        char sub[4096];
        if (de->d_name[0] == '.')
            continue;
        /* enablement: <target>.wants/<unit> symlinks */
        size_t nl = strlen(de->d_name);
        if (nl > 6 && strcmp(de->d_name + nl - 6, ".wants") == 0) {
            DIR *w;
            struct dirent *we;
            if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >= (int)sizeof(sub) ||
                !(w = opendir(sub)))
                continue;
            while ((we = readdir(w)) != NULL) {
                json_t *u;
                if (we->d_name[0] == '.')
                    continue;
                if (!(u = json_object_get(by_name, we->d_name))) {
                    u = json_pack("{s:s}", "name", we->d_name);
                    json_object_set_new(by_name, we->d_name, u);
                }
                json_object_set_new(u, "enabled", json_true());
            }
            closedir(w);
            continue;
        }
        if (!dot || (strcmp(dot, ".service") && strcmp(dot, ".timer") && strcmp(dot, ".socket") &&
                     strcmp(dot, ".target") && strcmp(dot, ".path") && strcmp(dot, ".mount")))
            continue;
        json_t *u = json_object_get(by_name, de->d_name);
        if (!u) {
            u = json_pack("{s:s, s:b}", "name", de->d_name, "enabled", 0);
            json_object_set_new(by_name, de->d_name, u);
        }
        if (!json_object_get(u, "path") &&
            snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) < (int)sizeof(sub))
            json_object_set_new(u, "path", json_string(sub));
        if (!json_object_get(u, "enabled"))
            json_object_set_new(u, "enabled", json_false());
    }
    closedir(d);
}

static json_t *collect_units(const char *root)
{
    static const char *const dirs[] = {"/etc/systemd/system", "/lib/systemd/system",
                                       "/usr/lib/systemd/system"};
    json_t *by_name = json_object(), *arr = json_array(), *it;
    const char *name;

    for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
        units_in(root, dirs[i], by_name);
    json_object_foreach(by_name, name, it) json_array_append(arr, it);
    json_decref(by_name);
    return arr;
}

static void cron_dir(const char *root, const char *dir, bool system, json_t *arr)
{
    char path[4096];
    DIR *d;
    struct dirent *de;

    if (snprintf(path, sizeof(path), "%s%s", strcmp(root, "/") ? root : "", dir) >=
            (int)sizeof(path) ||
        !(d = opendir(path)))
        return;
    while ((de = readdir(d)) != NULL) {
        char rel[4096];
        size_t len;
        char *t;
        if (de->d_name[0] == '.' ||
            snprintf(rel, sizeof(rel), "%s/%s", dir, de->d_name) >= (int)sizeof(rel))
            continue;
        if ((t = read_rel(root, rel, &len)) != NULL) {
            size_t before = json_array_size(arr), i;
            json_t *e;
            inv_parse_crontab(t, len, rel, system, arr);
            if (!system) /* a user's crontab is named after the user */
                json_array_foreach(arr, i, e) if (i >= before)
                    json_object_set_new(e, "user", json_string(de->d_name));
        }
        free(t);
    }
    closedir(d);
}

static json_t *collect_cron(const char *root)
{
    json_t *arr = json_array();
    size_t len;
    char *t = read_rel(root, "/etc/crontab", &len);

    if (t)
        inv_parse_crontab(t, len, "/etc/crontab", true, arr);
    free(t);
    cron_dir(root, "/etc/cron.d", true, arr);
    cron_dir(root, "/var/spool/cron/crontabs", false, arr);
    return arr;
}

json_t *inventory_collect(const char *root)
{
    struct utsname u;
    json_t *inv = json_object(), *os = parse_rel(root, "/etc/os-release", inv_parse_os_release);
    json_t *v;

    if (!os)
        os = json_object();
    if (uname(&u) == 0) {
        json_object_set_new(inv, "kernel", json_string(u.release));
        json_object_set_new(os, "arch", json_string(u.machine));
    }
    json_object_set_new(inv, "os", os);
    json_object_set_new(inv, "hostname", json_string(agent_hostname()));
    json_object_set_new(inv, "interfaces", collect_interfaces());
    v = parse_rel(root, "/var/lib/dpkg/status", inv_parse_dpkg);
    json_object_set_new(inv, "packages", v ? v : json_array());
    collect_rpm(root, json_object_get(inv, "packages"));
    collect_sockets(root, inv);
    v = parse_rel(root, "/etc/passwd", inv_parse_passwd);
    json_object_set_new(inv, "users", v ? v : json_array());
    v = parse_rel(root, "/etc/group", inv_parse_group);
    json_object_set_new(inv, "groups", v ? v : json_array());
    json_object_set_new(inv, "processes", collect_processes(json_object_get(inv, "users")));
    json_object_set_new(inv, "units", collect_units(root));
    json_object_set_new(inv, "cron", collect_cron(root));
    return inv;
}

/* Deltas by natural key (the keys of docs/agent-protocol.md "Inventory"). */

struct category {
    const char *name;
    const char *const *key;
};

static const char *const k_name[] = {"name", NULL};
static const char *const k_pkg[] = {"name", "arch", NULL};
static const char *const k_listen[] = {"proto", "addr", "port", NULL};
static const char *const k_conn[] = {"proto",       "local_addr",  "local_port",
                                     "remote_addr", "remote_port", NULL};
static const char *const k_proc[] = {"pid", "exe", NULL};
static const char *const k_cron[] = {"file", "schedule", "command", NULL};

static const struct category categories[] = {
    {"interfaces", k_name},  {"packages", k_pkg}, {"listening", k_listen},
    {"connections", k_conn}, {"users", k_name},   {"groups", k_name},
    {"processes", k_proc},   {"units", k_name},   {"cron", k_cron},
};
static const char *const scalar_members[] = {"os", "kernel", "hostname"};

struct inventory {
    char *root;
    char *last; /* the previous collection as compact JSON (smaller than the
                   tree between runs), NULL before the first */
};

struct inventory *inventory_new(const char *root)
{
    struct inventory *inv = xcalloc(1, sizeof(*inv));
    inv->root = xstrdup(root);
    return inv;
}

void inventory_free(struct inventory *inv)
{
    if (!inv)
        return;
    free(inv->last);
    free(inv->root);
    free(inv);
}

/* The natural key of item as text: its key fields as a JSON array. */
static char *item_key(json_t *item, const char *const *fields)
{
    json_t *k = json_array();
    char *s;

    for (size_t i = 0; fields[i]; i++) {
        json_t *v = json_object_get(item, fields[i]);
        json_array_append(k, v ? v : json_null());
    }
    s = json_dumps(k, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(k);
    return s ? s : xstrdup("");
}

static json_t *index_by_key(json_t *arr, const char *const *fields)
{
    json_t *idx = json_object(), *it;
    size_t i;

    json_array_foreach(arr, i, it)
    {
        char *k = item_key(it, fields);
        json_object_set(idx, k, it);
        free(k);
    }
    return idx;
}

/* Items of one section added or changed (into added) and removed. */
static size_t diff_category(const struct category *c, json_t *old, json_t *now, json_t *added,
                            json_t *removed)
{
    json_t *a = index_by_key(json_object_get(old, c->name), c->key);
    json_t *b = index_by_key(json_object_get(now, c->name), c->key);
    json_t *add = json_array(), *rem = json_array();
    const char *k;
    json_t *v;
    size_t n;

    json_object_foreach(b, k, v)
    {
        json_t *prev = json_object_get(a, k);
        if (!prev || !json_equal(prev, v))
            json_array_append(add, v);
    }
    json_object_foreach(a, k, v)
    {
        if (!json_object_get(b, k))
            json_array_append(rem, v);
    }
    n = json_array_size(add) + json_array_size(rem);
    if (json_array_size(add))
        json_object_set(added, c->name, add);
    if (json_array_size(rem))
        json_object_set(removed, c->name, rem);
    json_decref(add);
    json_decref(rem);
    json_decref(a);
    json_decref(b);
    return n;
}

json_t *inventory_delta(json_t *old, json_t *now)
{
    json_t *added = json_object(), *removed = json_object();
    size_t n = 0;

    for (size_t i = 0; i < ARRAY_SIZE(scalar_members); i++) {
        json_t *x = json_object_get(old, scalar_members[i]);
        json_t *y = json_object_get(now, scalar_members[i]);
        if (y && !(x && json_equal(x, y))) {
            json_object_set(added, scalar_members[i], y);
            n++;
        }
    }
    for (size_t i = 0; i < ARRAY_SIZE(categories); i++)
        n += diff_category(&categories[i], old, now, added, removed);
    if (n == 0) {
        json_decref(added);
        json_decref(removed);
        return NULL;
    }
    return json_pack("{s:o, s:o}", "added", added, "removed", removed);
}

/* Keep now (compact text) as the base of the next delta. */
static void remember(struct inventory *inv, json_t *now)
{
    char *text = json_dumps(now, JSON_COMPACT);

    if (text) {
        free(inv->last);
        inv->last = text;
    }
    json_decref(now);
}

int inventory_run(struct inventory *inv, bool full, agent_emit_fn emit, void *ctx)
{
    json_t *now = inventory_collect(inv->root), *doc, *ev, *old = NULL;
    bool snapshot = full || !inv->last;
    int rc;

    if (!snapshot && !(old = json_loads(inv->last, 0, NULL)))
        snapshot = true;
    doc = snapshot ? json_incref(now) : inventory_delta(old, now);
    json_decref(old);
    if (!doc) {
        remember(inv, now);
        return 0;
    }
    ev = agent_event_new(snapshot ? "inventory.snapshot" : "inventory.delta", 0);
    agent_event_set(ev, "inventory", doc);
    if ((rc = emit(ctx, ev)) < 0) {
        json_decref(now);
        return rc;
    }
    remember(inv, now);
    return 1;
}
