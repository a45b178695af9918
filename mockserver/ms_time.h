/* ms_time -- clocks and the timestamp formats of the backend (Python isoformat, HTTP dates). */
#ifndef MS_TIME_H
#define MS_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Wall clock, microseconds since the Unix epoch, plus the offset set with ms_time_set_offset_us().
 */
int64_t ms_time_now_us(void);
/* Shifts what ms_time_now_us() returns (the control API's clock change); process-wide. */
void ms_time_set_offset_us(int64_t offset_us);
/* Monotonic clock in milliseconds (CLOCK_MONOTONIC); for the journal and timers. */
int64_t ms_time_mono_ms(void);
/* Monotonic clock in microseconds. */
int64_t ms_time_mono_us(void);

/*
 * Formats epoch_us like Python's datetime.isoformat() of a naive datetime:
 * "YYYY-MM-DDTHH:MM:SS.ffffff", the ".ffffff" part omitted when the microseconds are zero. utc != 0
 * gives datetime.utcnow() (UTC), utc == 0 gives datetime.now() (the local time zone, as /health
 * uses). Returns the length written, or -1 if len is too small (27 bytes always suffice for
 * years 1..9999).
 */
int ms_time_iso(int64_t epoch_us, int utc, char *buf, size_t len);

/* RFC 1123 date for HTTP headers, e.g. "Wed, 25 Nov 2026 19:48:01 GMT". Returns length or -1. */
int ms_time_http_date(int64_t epoch_us, char *buf, size_t len);

#endif
