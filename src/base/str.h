/* Strict string helpers over (pointer, length). */
#ifndef VIGIL_BASE_STR_H
#define VIGIL_BASE_STR_H

#include "base/common.h"

/* Parse all of (p, len) as an unsigned decimal in [0, max]. No sign, no
 * spaces, no leading '+'. Returns 0 or -EINVAL / -ERANGE. */
int str_to_u64(const char *p, size_t len, uint64_t max, uint64_t *ret) WUR;
int str_to_i64(const char *p, size_t len, int64_t min, int64_t max, int64_t *ret) WUR;

/* Parse a byte size "1048576", "64KiB", "256MiB" or "1GiB" (binary units)
 * into bytes, at most max. Returns 0 or -EINVAL / -ERANGE. */
int str_to_bytes(const char *p, size_t len, uint64_t max, uint64_t *ret) WUR;

/* Trim ASCII whitespace from both ends, in place on the (p, len) view. */
void str_trim(const char **p, size_t *len);

/* Case-insensitive ASCII compare of (p, len) with the C string s. */
bool str_ieq(const char *p, size_t len, const char *s);
bool str_has_prefix(const char *s, const char *prefix);

/* True if (p, len) is valid UTF-8 (no overlongs, no surrogates). */
bool str_valid_utf8(const void *p, size_t len);

/* True if JSON text (p, len) nests [ and { (outside strings) no deeper
 * than max; a cheap guard before a recursive parser sees it. On false,
 * *ret_at (if not NULL) is the offset of the bracket past the limit. */
bool str_json_depth_ok(const char *p, size_t len, unsigned max, size_t *ret_at);

/* Lower-case hex encode n bytes into out (2n+1 bytes). */
void hex_encode(const uint8_t *p, size_t n, char *out);
/* Decode exactly 2n hex digits into n bytes. Returns 0 or -EINVAL. */
int hex_decode(const char *p, size_t len, uint8_t *out, size_t n) WUR;

#endif
