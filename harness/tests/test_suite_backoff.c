/* test_suite_backoff -- the reference policy as the harness client lives it, against wsmock: the
 * whole attempt sequence up to giving up (in well under a second at scale 0.01), the cap, seeded
 * jitter, and the reset after a stable connection. */
#include "ms_test.h"
#include "wh_suite.h"

/* The client's RETRY delays (ms) and the measured gaps between CONNECTING events. */
static size_t delays_and_gaps(struct suite_run *r, double *delays, double *gaps, size_t max)
{
    size_t n, nd = 0, nc = 0;
    const struct wh_event *e = wh_client_events(r->client, &n);
    double last = -1;
    for (size_t i = 0; i < n; i++) {
        if (e[i].kind == WH_EV_RETRY && nd < max)
            delays[nd++] = e[i].delay_ms;
        if (e[i].kind == WH_EV_CONNECTING) {
            if (last >= 0 && nc < max)
                gaps[nc++] = e[i].t_ms - last;
            last = e[i].t_ms;
        }
    }
    return nd;
}

static void test_full_sequence_to_giving_up_in_under_a_second(void)
{
    struct suite_run r = {0};
    CU_ASSERT_FATAL(suite_mock(&r, "ws-001-unregistered-router.json", "1") == 0);
    REQUIRE(&r, suite_client(&r, "/ws/coordinator",
                             "initial=1000,factor=2,cap=30000,max=5,jitter=0", 0.01, 0, 0) == 0);
    REQUIRE(&r, suite_until(&r, WH_EV_GAVE_UP, 1));
    double d[16], g[16];
    REQUIRE(&r, delays_and_gaps(&r, d, g, 16) == 5);
    double want[] = {10, 20, 40, 80, 160};
    for (int i = 0; i < 5; i++) {
        CU_ASSERT_DOUBLE_EQUAL(d[i], want[i], 1e-9);
        CU_ASSERT(g[i] >= want[i] && g[i] < want[i] + 50);
    }
    CU_ASSERT_EQUAL(wh_client_count(r.client, WH_EV_CONNECTING), 6);
    CU_ASSERT(wh_client_last(r.client, WH_EV_GAVE_UP)->t_ms < 1000);
    suite_end(&r);
}

static void test_delays_stop_growing_at_the_cap(void)
{
    struct suite_run r = {0};
    CU_ASSERT_FATAL(suite_mock(&r, "ws-001-unregistered-router.json", "1") == 0);
    REQUIRE(&r, suite_client(&r, "/ws/coordinator",
                             "initial=1000,factor=10,cap=5000,max=4,jitter=0", 0.01, 0, 0) == 0);
    REQUIRE(&r, suite_until(&r, WH_EV_GAVE_UP, 1));
    double d[16], g[16];
    REQUIRE(&r, delays_and_gaps(&r, d, g, 16) == 4);
    CU_ASSERT_DOUBLE_EQUAL(d[0], 10, 1e-9);
    for (int i = 1; i < 4; i++)
        CU_ASSERT_DOUBLE_EQUAL(d[i], 50, 1e-9);
    suite_end(&r);
}

static void test_jitter_is_within_the_range_and_repeatable_with_the_seed(void)
{
    double first[8], again[8], g[8];
    for (int run = 0; run < 2; run++) {
        struct suite_run r = {0};
        CU_ASSERT_FATAL(suite_mock(&r, "ws-001-unregistered-router.json", "1") == 0);
        REQUIRE(&r,
                suite_client(&r, "/ws/coordinator",
                             "initial=1000,factor=2,cap=30000,max=4,jitter=0.5", 0.01, 0, 0) == 0);
        REQUIRE(&r, suite_until(&r, WH_EV_GAVE_UP, 1));
        REQUIRE(&r, delays_and_gaps(&r, run ? again : first, g, 8) == 4);
        suite_end(&r);
    }
    int jittered = 0;
    for (int i = 0; i < 4; i++) {
        double nominal = 10.0 * (1 << i);
        CU_ASSERT(first[i] >= nominal && first[i] < nominal * 1.5);
        CU_ASSERT_DOUBLE_EQUAL(first[i], again[i], 1e-9); /* same seed, same delays */
        jittered += first[i] > nominal;
    }
    CU_ASSERT(jittered >= 3);
}

/* Attempts 1-2 refused, 3 accepted and dropped after open_ms, 4-5 refused, 6 accepted. */
static const char reset_head[] =
    "{\"name\":\"reset\",\"description\":\"refused, open a while, refused, open\","
    "\"connections\":[{\"path\":\"/ws/coordinator\",\"attempts\":\"1-2\",\"action\":"
    "\"refuse\"},{\"path\":\"/ws/coordinator\",\"attempts\":3,\"on_open\":[{\"wait_ms\":";
static const char reset_tail[] = "},{\"drop\":true}]},{\"path\":\"/ws/coordinator\",\"attempts\":"
                                 "\"4-5\",\"action\":\"refuse\"}]}";

/* Runs the reset scenario with the connection open for open_ms (scenario ms, scale 0.01) and
 * returns the retry number the client used after the drop. */
static long retry_after_drop(int open_ms)
{
    struct suite_run r = {0};
    char text[1024];
    snprintf(text, sizeof(text), "%s%d%s", reset_head, open_ms, reset_tail);
    long retry = -1;
    if (suite_mock_text(&r, text, "0.01") ||
        suite_client(&r, "/ws/coordinator",
                     "initial=1000,factor=2,cap=30000,max=5,jitter=0,reset=5000", 0.01, 0, 0) ||
        !suite_until(&r, WH_EV_OPEN, 2)) {
        CU_FAIL("the client did not get its second connection");
        suite_end(&r);
        return retry;
    }
    size_t n;
    const struct wh_event *e = wh_client_events(r.client, &n);
    for (size_t i = 0; i < n; i++)
        if (e[i].kind == WH_EV_CLOSED && i + 1 < n && e[i + 1].kind == WH_EV_RETRY)
            retry = e[i + 1].retry;
    CU_ASSERT_EQUAL(wh_client_last(r.client, WH_EV_OPEN)->attempt, 6);
    suite_end(&r);
    return retry;
}

static void test_a_stable_connection_resets_the_count(void)
{
    /* open 100 ms >= reset 50 ms: the next delay is the initial one again */
    CU_ASSERT_EQUAL(retry_after_drop(10000), 1);
}

static void test_a_short_lived_connection_does_not_reset_the_count(void)
{
    /* open 20 ms < reset 50 ms: the count goes on from the two refusals */
    CU_ASSERT_EQUAL(retry_after_drop(2000), 3);
}

static CU_TestInfo backoff_tests[] = {
    MS_TEST(test_full_sequence_to_giving_up_in_under_a_second),
    MS_TEST(test_delays_stop_growing_at_the_cap),
    MS_TEST(test_jitter_is_within_the_range_and_repeatable_with_the_seed),
    MS_TEST(test_a_stable_connection_resets_the_count),
    MS_TEST(test_a_short_lived_connection_does_not_reset_the_count),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"backoff", NULL, NULL, NULL, NULL, backoff_tests},
    CU_SUITE_INFO_NULL,
};
