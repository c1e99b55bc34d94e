/* Files: bounded reads and crash-safe writes. */
#ifndef VIGIL_BASE_FILE_H
#define VIGIL_BASE_FILE_H

#include <sys/types.h>
#include "base/common.h"

/* Read a whole file, at most max bytes. Returns 0 with a malloc'd buffer
 * (NUL-terminated, *ret_len without the NUL), -EFBIG if larger than max, or
 * -errno. path "-" reads stdin. */
int file_read_all(const char *path, size_t max, char **ret, size_t *ret_len) WUR;
/* Same for an open fd (not closed). */
int fd_read_all(int fd, size_t max, char **ret, size_t *ret_len) WUR;

/* Write (p, len) to path atomically: temp file in the same directory, fsync,
 * rename, fsync of the directory. mode is applied to the new file. */
int file_write_atomic(const char *path, const void *p, size_t len, mode_t mode) WUR;

/* Create a directory and its parents with mode (existing is fine). */
int mkdir_p(const char *path, mode_t mode) WUR;

/* "dir/name" (just name when dir is ""), malloc'd; aborts on out-of-memory. */
char *path_join(const char *dir, const char *name);

/* Write all of (p, len) to fd, retrying on EINTR and short writes. */
int write_all(int fd, const void *p, size_t len) WUR;

#endif
