/* test_ms_time -- unit tests of the clocks and timestamp formats. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ms_time.h"
#include "ms_test.h"

/* 2026-11-25T19:48:01.402158 UTC (the /health sample), in microseconds since the epoch. */
#define SAMPLE_US INT64_C(1795636081402158)
#define SAMPLE_SEC_US INT64_C(1795636081000000)

/* Runs with TZ set to tz (a POSIX TZ string, no tzdata needed), then restores the previous TZ. */
static int iso_in_zone(const char *tz, int64_t us, char *buf, size_t len)
{
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;
    setenv("TZ", tz, 1);
    tzset();
    int n = ms_time_iso(us, 0, buf, len);
    if (saved)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    tzset();
    free(saved);
    return n;
}

static void test_time_iso_utc_prints_six_digit_microseconds(void)
{
    char buf[32];
    CU_ASSERT_EQUAL(ms_time_iso(SAMPLE_US, 1, buf, sizeof(buf)), 26);
    CU_ASSERT_STRING_EQUAL(buf, "2026-11-25T19:48:01.402158");
    CU_ASSERT_EQUAL(ms_time_iso(SAMPLE_SEC_US + 500, 1, buf, sizeof(buf)), 26);
    CU_ASSERT_STRING_EQUAL(buf, "2026-11-25T19:48:01.000500");
}

static void test_time_iso_omits_fraction_when_microseconds_are_zero(void)
{
    char buf[32];
    CU_ASSERT_EQUAL(ms_time_iso(SAMPLE_SEC_US, 1, buf, sizeof(buf)), 19);
    CU_ASSERT_STRING_EQUAL(buf, "2026-11-25T19:48:01");
    CU_ASSERT_EQUAL(ms_time_iso(0, 1, buf, sizeof(buf)), 19);
    CU_ASSERT_STRING_EQUAL(buf, "1970-01-01T00:00:00");
}

static void test_time_iso_rounds_negative_times_down(void)
{
    char buf[32];
    CU_ASSERT_EQUAL(ms_time_iso(-1, 1, buf, sizeof(buf)), 26);
    CU_ASSERT_STRING_EQUAL(buf, "1969-12-31T23:59:59.999999");
    CU_ASSERT_EQUAL(ms_time_iso(-1000000, 1, buf, sizeof(buf)), 19);
    CU_ASSERT_STRING_EQUAL(buf, "1969-12-31T23:59:59");
}

static void test_time_iso_covers_pythons_year_range_only(void)
{
    char buf[32];
    CU_ASSERT_EQUAL(ms_time_iso(INT64_C(-62135596800000000), 1, buf, sizeof(buf)), 19);
    CU_ASSERT_STRING_EQUAL(buf, "0001-01-01T00:00:00");
    CU_ASSERT_EQUAL(ms_time_iso(INT64_C(253402300799999999), 1, buf, 27), 26);
    CU_ASSERT_STRING_EQUAL(buf, "9999-12-31T23:59:59.999999");
    CU_ASSERT_EQUAL(ms_time_iso(INT64_C(253402300800000000), 1, buf, sizeof(buf)), -1);
    CU_ASSERT_EQUAL(ms_time_iso(INT64_C(-62135596800000001), 1, buf, sizeof(buf)), -1);
}

static void test_time_iso_fails_when_buffer_is_too_small(void)
{
    char buf[32];
    CU_ASSERT_EQUAL(ms_time_iso(SAMPLE_US, 1, buf, 26), -1);
    CU_ASSERT_EQUAL(ms_time_iso(SAMPLE_US, 1, buf, 27), 26);
    CU_ASSERT_EQUAL(ms_time_iso(SAMPLE_SEC_US, 1, buf, 19), -1);
    CU_ASSERT_EQUAL(ms_time_iso(SAMPLE_SEC_US, 1, buf, 20), 19);
    CU_ASSERT_EQUAL(ms_time_iso(SAMPLE_SEC_US, 1, NULL, 0), -1);
}

static void test_time_iso_local_follows_tz(void)
{
    char buf[32];
    CU_ASSERT_EQUAL(iso_in_zone("UTC0", SAMPLE_US, buf, sizeof(buf)), 26);
    CU_ASSERT_STRING_EQUAL(buf, "2026-11-25T19:48:01.402158");
    /* POSIX TZ signs are inverted: XST-5:30 is UTC+05:30, crossing midnight here. */
    CU_ASSERT_EQUAL(iso_in_zone("XST-5:30", SAMPLE_US, buf, sizeof(buf)), 26);
    CU_ASSERT_STRING_EQUAL(buf, "2026-11-26T01:18:01.402158");
    CU_ASSERT_EQUAL(iso_in_zone("YST8", SAMPLE_SEC_US, buf, sizeof(buf)), 19);
    CU_ASSERT_STRING_EQUAL(buf, "2026-11-25T11:48:01");
}

static void test_time_iso_utc_ignores_tz(void)
{
    char buf[32];
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;
    setenv("TZ", "XST-5:30", 1);
    tzset();
    int n = ms_time_iso(SAMPLE_US, 1, buf, sizeof(buf));
    if (saved)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    tzset();
    free(saved);
    CU_ASSERT_EQUAL(n, 26);
    CU_ASSERT_STRING_EQUAL(buf, "2026-11-25T19:48:01.402158");
}

static void test_time_http_date_is_rfc1123_gmt(void)
{
    char buf[64];
    CU_ASSERT_EQUAL(ms_time_http_date(SAMPLE_US, buf, sizeof(buf)), 29);
    CU_ASSERT_STRING_EQUAL(buf, "Wed, 25 Nov 2026 19:48:01 GMT");
    CU_ASSERT_EQUAL(ms_time_http_date(0, buf, sizeof(buf)), 29);
    CU_ASSERT_STRING_EQUAL(buf, "Thu, 01 Jan 1970 00:00:00 GMT");
}

static void test_time_http_date_names_every_day_and_month_in_english(void)
{
    static const char *const days[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char buf[64];
    for (int d = 0; d < 7; d++) {
        ms_time_http_date(INT64_C(86400000000) * d, buf, sizeof(buf));
        CU_ASSERT_NSTRING_EQUAL(buf, days[d], 3);
    }
    /* The 15th of every month of 1970. */
    static const int yday15[] = {14, 45, 73, 104, 134, 165, 195, 226, 257, 287, 318, 348};
    for (int m = 0; m < 12; m++) {
        ms_time_http_date(INT64_C(86400000000) * yday15[m], buf, sizeof(buf));
        CU_ASSERT_NSTRING_EQUAL(buf + 5, "15 ", 3);
        CU_ASSERT_NSTRING_EQUAL(buf + 8, months[m], 3);
    }
}

static void test_time_http_date_truncates_microseconds_and_checks_length(void)
{
    char buf[64];
    CU_ASSERT_EQUAL(ms_time_http_date(SAMPLE_SEC_US + 999999, buf, sizeof(buf)), 29);
    CU_ASSERT_STRING_EQUAL(buf, "Wed, 25 Nov 2026 19:48:01 GMT");
    CU_ASSERT_EQUAL(ms_time_http_date(SAMPLE_US, buf, 29), -1);
    CU_ASSERT_EQUAL(ms_time_http_date(SAMPLE_US, buf, 30), 29);
}

static void test_time_now_follows_the_wall_clock_and_the_offset(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t wall = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    int64_t now = ms_time_now_us();
    CU_ASSERT(now >= wall && now - wall < 2000000);

    int64_t day = INT64_C(86400000000);
    ms_time_set_offset_us(day);
    int64_t shifted = ms_time_now_us();
    ms_time_set_offset_us(-day);
    int64_t back = ms_time_now_us();
    ms_time_set_offset_us(0);
    int64_t plain = ms_time_now_us();
    CU_ASSERT(shifted - wall >= day && shifted - wall < day + 2000000);
    CU_ASSERT(back - wall >= -day && back - wall < -day + 2000000);
    CU_ASSERT(plain >= wall && plain - wall < 2000000);
}

static void test_time_monotonic_clocks_agree_and_do_not_go_back(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t ref_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    int64_t us = ms_time_mono_us();
    int64_t ms = ms_time_mono_ms();
    int64_t us2 = ms_time_mono_us();
    CU_ASSERT(us >= ref_us && us - ref_us < 2000000);
    CU_ASSERT(us2 >= us);
    CU_ASSERT(ms >= us / 1000 && ms <= us2 / 1000);
    /* The offset moves the wall clock only. */
    ms_time_set_offset_us(INT64_C(86400000000));
    int64_t ms2 = ms_time_mono_ms();
    ms_time_set_offset_us(0);
    CU_ASSERT(ms2 >= ms && ms2 - ms < 2000);
}

static CU_TestInfo time_tests[] = {
    MS_TEST(test_time_iso_utc_prints_six_digit_microseconds),
    MS_TEST(test_time_iso_omits_fraction_when_microseconds_are_zero),
    MS_TEST(test_time_iso_rounds_negative_times_down),
    MS_TEST(test_time_iso_covers_pythons_year_range_only),
    MS_TEST(test_time_iso_fails_when_buffer_is_too_small),
    MS_TEST(test_time_iso_local_follows_tz),
    MS_TEST(test_time_iso_utc_ignores_tz),
    MS_TEST(test_time_http_date_is_rfc1123_gmt),
    MS_TEST(test_time_http_date_names_every_day_and_month_in_english),
    MS_TEST(test_time_http_date_truncates_microseconds_and_checks_length),
    MS_TEST(test_time_now_follows_the_wall_clock_and_the_offset),
    MS_TEST(test_time_monotonic_clocks_agree_and_do_not_go_back),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"ms_time", NULL, NULL, NULL, NULL, time_tests},
    CU_SUITE_INFO_NULL,
};
