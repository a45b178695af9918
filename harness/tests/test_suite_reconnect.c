/* test_suite_reconnect -- the harness client through failures: a drop mid-stream (1006), a server
 * restart (1012, port closed, back), a half-open server found by the heartbeat, and no reconnect
 * after closing on purpose. */
#include "ms_test.h"
#include "wh_suite.h"

#define POLICY "initial=1000,factor=2,cap=30000,max=5,jitter=0"

static void test_drop_mid_stream_is_1006_and_the_client_comes_back(void)
{
    struct suite_run r = {0};
    CU_ASSERT_FATAL(suite_mock(&r, "flapping.json", "0.01") == 0); /* dropped 30 ms after open */
    REQUIRE(&r, suite_client(&r, "/ws/coordinator", POLICY, 0.01, 0, 0) == 0);
    REQUIRE(&r, suite_until(&r, WH_EV_OPEN, 3));
    char t[1024];
    suite_trace(&r, t, sizeof(t), 0);
    CU_ASSERT_STRING_EQUAL(t, "connecting open closed:1006 retry connecting open closed:1006 "
                              "retry connecting open");
    suite_end(&r);
}

static void test_server_restart_1012_then_refused_then_back(void)
{
    struct suite_run r = {0};
    /* restart at 100 ms, port closed for 300 ms; the client retries every 40..80 ms meanwhile */
    CU_ASSERT_FATAL(suite_mock(&r, "server-restart.json", "0.1") == 0);
    REQUIRE(&r, suite_client(&r, "/ws/coordinator", "initial=400,factor=1,max=none,jitter=0", 0.1,
                             0, 0) == 0);
    REQUIRE(&r, suite_until(&r, WH_EV_OPEN, 2));
    size_t n;
    const struct wh_event *e = wh_client_events(r.client, &n);
    const struct wh_event *closed = wh_client_last(r.client, WH_EV_CLOSED);
    CU_ASSERT_EQUAL(closed->status, 1012);
    size_t refused = 0;
    for (size_t i = 0; i < n; i++)
        refused += e[i].kind == WH_EV_REFUSED && e[i].status == 0; /* connection refused */
    CU_ASSERT(refused >= 2);
    const struct wh_event *back = wh_client_last(r.client, WH_EV_OPEN);
    CU_ASSERT(back->t_ms - closed->t_ms >= 290); /* the port was closed for 300 ms */
    suite_end(&r);
}

static void test_half_open_server_is_found_by_the_heartbeat_and_left(void)
{
    struct suite_run r = {0};
    /* half-open.json: after the welcome (and 2 ms) the server stops reading and writing */
    CU_ASSERT_FATAL(suite_mock(&r, "half-open.json", "0.01") == 0);
    REQUIRE(&r, suite_client(&r, "/ws/coordinator", POLICY, 0.01, 3000, 6000) == 0);
    REQUIRE(&r, suite_until(&r, WH_EV_OPEN, 2));
    char t[1024];
    suite_trace(&r, t, sizeof(t), 0);
    CU_ASSERT_STRING_EQUAL(t, "connecting open stale closed:1006 retry connecting open");
    const struct wh_event *stale = wh_client_last(r.client, WH_EV_STALE);
    size_t n;
    const struct wh_event *e = wh_client_events(r.client, &n);
    /* heartbeat at 30 ms, no answer for 60 ms: stale about 90 ms after the open */
    CU_ASSERT(stale->t_ms - e[1].t_ms >= 85);
    suite_end(&r);
}

static void test_closing_on_purpose_never_reconnects(void)
{
    struct suite_run r = {0};
    CU_ASSERT_FATAL(suite_mock(&r, "ws-001-fixed.json", "1") == 0);
    REQUIRE(&r, suite_client(&r, "/ws/workflow/w1", POLICY, 0.01, 0, 0) == 0);
    REQUIRE(&r, suite_until(&r, WH_EV_MESSAGE, 1));
    wh_client_close(r.client, 1000);
    REQUIRE(&r, suite_until(&r, WH_EV_STOPPED, 1));
    /* nothing more happens in 20 retry periods (10 ms each at this scale) */
    wh_client_run(r.client, 200, NULL, NULL);
    CU_ASSERT_EQUAL(wh_client_count(r.client, WH_EV_CONNECTING), 1);
    CU_ASSERT_EQUAL(wh_client_count(r.client, WH_EV_RETRY), 0);
    suite_end(&r);
}

static CU_TestInfo reconnect_tests[] = {
    MS_TEST(test_drop_mid_stream_is_1006_and_the_client_comes_back),
    MS_TEST(test_server_restart_1012_then_refused_then_back),
    MS_TEST(test_half_open_server_is_found_by_the_heartbeat_and_left),
    MS_TEST(test_closing_on_purpose_never_reconnects),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"reconnect", NULL, NULL, NULL, NULL, reconnect_tests},
    CU_SUITE_INFO_NULL,
};
