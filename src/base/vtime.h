/* Time: Unix seconds (int64) and RFC 3339 text. */
#ifndef VIGIL_BASE_VTIME_H
#define VIGIL_BASE_VTIME_H

#include "base/common.h"

/* Wall clock, seconds / milliseconds since the epoch. */
int64_t vtime_now(void);
int64_t vtime_now_ms(void);
/* Monotonic nanoseconds, for durations. */
uint64_t vtime_mono_ns(void);

/* Format t as "2026-11-21T12:30:00Z" (UTC). out must hold 21 bytes. */
void vtime_format_utc(int64_t t, char out[static 21]);
/* Format t in Asia/Ho_Chi_Minh (UTC+7, no DST) "2026-11-21 19:30:00 +07". out >= 26 bytes. */
void vtime_format_local(int64_t t, char out[static 26]);

/* Parse a date or time: "2024-01-15", "2024-01-15T10:00:00Z",
 * "2024-01-15 10:00:00", "2024-01-15T10:00:00+07:00", "15/01/2024"
 * (Vietnamese day-first), "15/01/2024 10:00". Times without a zone are
 * taken as Asia/Ho_Chi_Minh (UTC+7). Fields are range-checked (no 31 Feb).
 * Returns 0 or -EINVAL. */
int vtime_parse(const char *p, size_t len, int64_t *ret) WUR;
/* As vtime_parse(), keeping milliseconds (fraction digits past the third
 * are dropped), in Unix milliseconds; a time without a zone is taken as
 * default_offset_s seconds east of UTC. Returns 0 or -EINVAL. */
int vtime_parse_ms(const char *p, size_t len, int32_t default_offset_s, int64_t *ret_ms) WUR;
/* Parse exactly "YYYY-MM-DD" into days since the epoch. */
int vtime_parse_date(const char *p, size_t len, int64_t *ret_days) WUR;
/* Format days since the epoch as YYYY-MM-DD. out >= 11 bytes. */
void vtime_format_date(int64_t days, char out[static 11]);

/* Days since 1970-01-01 for a civil date (proleptic Gregorian). */
int64_t vtime_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
