/* Bounded reads and crash-safe writes (file.h). */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"

int write_all(int fd, const void *vp, size_t len)
{
    const char *p = vp;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int fd_read_all(int fd, size_t max, char **ret, size_t *ret_len)
{
    struct stat st;
    size_t alloc = 64 * 1024;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0) {
        if ((uint64_t)st.st_size > max)
            return -EFBIG;
        alloc = (size_t)st.st_size + 1;
    }
    char *p = xmalloc(alloc);
    size_t len = 0;
    for (;;) {
        if (len + 1 >= alloc) {
            if (alloc > max + 1) {
                free(p);
                return -EFBIG;
            }
            alloc = alloc * 2 > max + 2 ? max + 2 : alloc * 2;
            p = xrealloc(p, alloc);
        }
        ssize_t n = read(fd, p + len, alloc - len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = -errno;
            free(p);
            return e;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > max) {
            free(p);
            return -EFBIG;
        }
    }
    p[len] = '\0';
    *ret = p;
    *ret_len = len;
    return 0;
}

int file_read_all(const char *path, size_t max, char **ret, size_t *ret_len)
{
    if (strcmp(path, "-") == 0)
        return fd_read_all(0, max, ret, ret_len);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        return -EISDIR;
    }
    int r = fd_read_all(fd, max, ret, ret_len);
    close(fd);
    return r;
}

static int fsync_dir_of(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash) {
        dir[0] = '.';
        dir[1] = '\0';
    } else {
        size_t n = (size_t)(slash - path);
        if (n == 0)
            n = 1;
        if (n >= sizeof(dir))
            return -ENAMETOOLONG;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int r = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return r;
}

int file_write_atomic(const char *path, const void *p, size_t len, mode_t mode)
{
    char tmp[PATH_MAX];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return -ENAMETOOLONG;
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int r = 0;
    if (fchmod(fd, mode) < 0)
        r = -errno;
    if (r == 0)
        r = write_all(fd, p, len);
    if (r == 0 && fsync(fd) < 0)
        r = -errno;
    if (close(fd) < 0 && r == 0)
        r = -errno;
    if (r == 0 && rename(tmp, path) < 0)
        r = -errno;
    if (r != 0) {
        unlink(tmp);
        return r;
    }
    return fsync_dir_of(path);
}

int mkdir_p(const char *path, mode_t mode)
{
    char p[PATH_MAX];
    size_t n = strlen(path);
    if (n == 0)
        return -EINVAL;
    if (n >= sizeof(p))
        return -ENAMETOOLONG;
    memcpy(p, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] == '/' || p[i] == '\0') {
            char c = p[i];
            p[i] = '\0';
            if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
            p[i] = c;
        }
    }
    struct stat st;
    if (stat(path, &st) < 0)
        return -errno;
    return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

char *path_join(const char *dir, const char *name)
{
    size_t dl = strlen(dir), nl = strlen(name), sep = dl > 0;
    char *p = xmalloc(dl + sep + nl + 1);
    memcpy(p, dir, dl);
    if (sep)
        p[dl] = '/';
    memcpy(p + dl + sep, name, nl + 1);
    return p;
}
