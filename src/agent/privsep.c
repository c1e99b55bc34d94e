/* Privilege separation: the socketpair codec, dropping privileges and the
 * network process's seccomp filter (see privsep.h). */
#include "agent/privsep.h"

#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pwd.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/file.h"

struct psmsg_hdr {
    uint16_t type;
    uint16_t version;
    uint32_t len;
};

_Static_assert(sizeof(struct psmsg_hdr) == PSMSG_HDR_LEN, "psmsg header is 8 bytes");

static bool type_known(unsigned t)
{
    return t >= PSMSG_SEND && t <= PSMSG_FRAME;
}

/* The header for a message, after checking type and length. */
static int make_hdr(enum psmsg_type type, size_t len, struct psmsg_hdr *ret)
{
    if (!type_known(type))
        return -EINVAL;
    if (len > PSMSG_MAX_LEN)
        return -E2BIG;
    ret->type = (uint16_t)type;
    ret->version = PSMSG_VERSION;
    ret->len = (uint32_t)len;
    return 0;
}

int psmsg_encode(struct buf *out, enum psmsg_type type, const void *p, size_t len)
{
    struct psmsg_hdr h;
    int rc;

    if ((rc = make_hdr(type, len, &h)) < 0 || (rc = buf_reserve(out, sizeof(h) + len)) < 0 ||
        (rc = buf_append(out, &h, sizeof(h))) < 0)
        return rc;
    return len ? buf_append(out, p, len) : 0;
}

int psmsg_hdr_parse(const uint8_t hdr[PSMSG_HDR_LEN], enum psmsg_type *ret_type, uint32_t *ret_len)
{
    struct psmsg_hdr h;

    memcpy(&h, hdr, sizeof(h));
    if (!type_known(h.type) || h.version != PSMSG_VERSION)
        return -EPROTO;
    if (h.len > PSMSG_MAX_LEN)
        return -EMSGSIZE;
    *ret_type = (enum psmsg_type)h.type;
    *ret_len = h.len;
    return 0;
}

int psmsg_send(int fd, enum psmsg_type type, const void *p, size_t len)
{
    struct psmsg_hdr h;
    int rc;

    if ((rc = make_hdr(type, len, &h)) < 0 || (rc = write_all(fd, &h, sizeof(h))) < 0)
        return rc;
    return len ? write_all(fd, p, len) : 0;
}

static int read_full(int fd, void *p, size_t len)
{
    size_t got = 0;

    while (got < len) {
        ssize_t n = read(fd, (char *)p + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EPIPE;
        got += (size_t)n;
    }
    return 0;
}

int psmsg_recv(int fd, enum psmsg_type *ret_type, struct buf *payload)
{
    uint8_t hdr[PSMSG_HDR_LEN];
    enum psmsg_type type;
    uint32_t len;
    int rc;

    if ((rc = read_full(fd, hdr, sizeof(hdr))) < 0)
        return rc;
    if ((rc = psmsg_hdr_parse(hdr, &type, &len)) < 0)
        return rc;
    buf_reset(payload);
    if ((rc = buf_reserve(payload, len)) < 0)
        return rc;
    if ((rc = read_full(fd, payload->data, len)) < 0)
        return rc;
    payload->len = len;
    payload->data[len] = '\0';
    *ret_type = type;
    return 0;
}

int privsep_drop(const char *user)
{
    if (user && *user) {
        struct passwd *pw = getpwnam(user);
        if (!pw)
            return -ESRCH;
        if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid) {
            if (setgroups(0, NULL) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
                setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
                return -errno;
            if (setuid(0) == 0) /* must not be able to regain root */
                return -EPERM;
        }
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -errno;
    return 0;
}

#if defined(__x86_64__)
#define SECCOMP_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_ARCH AUDIT_ARCH_AARCH64
#endif

#define ALLOW(nr)                                                                                  \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

int privsep_seccomp(void)
{
#ifdef SECCOMP_ARCH
    /* What the network process needs once it runs: I/O on its sockets,
     * poll, time, randomness (OpenSSL), memory, signals' return, exit. */
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        ALLOW(__NR_read),
        ALLOW(__NR_write),
        ALLOW(__NR_readv),
        ALLOW(__NR_writev),
        ALLOW(__NR_close),
        ALLOW(__NR_ppoll),
#ifdef __NR_poll
        ALLOW(__NR_poll),
#endif
        ALLOW(__NR_socket),
        ALLOW(__NR_connect),
        ALLOW(__NR_getsockopt),
        ALLOW(__NR_setsockopt),
        ALLOW(__NR_getsockname),
        ALLOW(__NR_getpeername),
        ALLOW(__NR_sendto),
        ALLOW(__NR_recvfrom),
        ALLOW(__NR_sendmsg),
        ALLOW(__NR_recvmsg),
        ALLOW(__NR_shutdown),
        ALLOW(__NR_fcntl),
        ALLOW(__NR_fstat),
#ifdef __NR_newfstatat
        ALLOW(__NR_newfstatat),
#endif
        ALLOW(__NR_clock_gettime),
        ALLOW(__NR_clock_nanosleep),
        ALLOW(__NR_nanosleep),
        ALLOW(__NR_gettimeofday),
        ALLOW(__NR_getrandom),
        ALLOW(__NR_brk),
        ALLOW(__NR_mmap),
        ALLOW(__NR_munmap),
        ALLOW(__NR_mremap),
        ALLOW(__NR_madvise),
        ALLOW(__NR_mprotect),
        ALLOW(__NR_futex),
        ALLOW(__NR_getpid),
        ALLOW(__NR_gettid),
        ALLOW(__NR_rt_sigreturn),
        ALLOW(__NR_rt_sigprocmask),
        ALLOW(__NR_restart_syscall),
        ALLOW(__NR_exit),
        ALLOW(__NR_exit_group),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    };
    struct sock_fprog prog = {(unsigned short)ARRAY_SIZE(filter), filter};

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -errno;
    if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
        return -errno;
    return 0;
#else
    return -ENOSYS;
#endif
}
