/* ms_time -- wall and monotonic clocks, Python isoformat() timestamps and RFC 1123 HTTP dates. */
#include "ms_time.h"

#include <stdio.h>
#include <time.h>

/* The control API's clock change; the only mutable global of the core library. */
static int64_t clock_offset_us;

static const char *const day_names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static int64_t clock_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Splits epoch_us into whole seconds and microseconds, rounding towards minus infinity. */
static time_t split_us(int64_t epoch_us, int *usec)
{
    int64_t sec = epoch_us / 1000000;
    int64_t rem = epoch_us % 1000000;
    if (rem < 0) {
        rem += 1000000;
        sec--;
    }
    *usec = (int)rem;
    return (time_t)sec;
}

/* snprintf's result as the header's "length or -1". */
static int fitted(int n, size_t len)
{
    return n < 0 || (size_t)n >= len ? -1 : n;
}

int64_t ms_time_now_us(void)
{
    return clock_us(CLOCK_REALTIME) + clock_offset_us;
}

void ms_time_set_offset_us(int64_t offset_us)
{
    clock_offset_us = offset_us;
}

int64_t ms_time_mono_ms(void)
{
    return clock_us(CLOCK_MONOTONIC) / 1000;
}

int64_t ms_time_mono_us(void)
{
    return clock_us(CLOCK_MONOTONIC);
}

int ms_time_iso(int64_t epoch_us, int utc, char *buf, size_t len)
{
    int usec;
    time_t t = split_us(epoch_us, &usec);
    struct tm tm;
    if (!(utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)))
        return -1;
    /* Python's datetime only knows years 1..9999. */
    if (tm.tm_year + 1900 < 1 || tm.tm_year + 1900 > 9999)
        return -1;
    int n;
    if (usec)
        n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06d", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
    else
        n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return fitted(n, len);
}

int ms_time_http_date(int64_t epoch_us, char *buf, size_t len)
{
    int usec;
    time_t t = split_us(epoch_us, &usec);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
        return -1;
    /* Fixed English names: strftime's %a/%b would follow LC_TIME. */
    int n =
        snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d GMT", day_names[tm.tm_wday], tm.tm_mday,
                 month_names[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return fitted(n, len);
}
