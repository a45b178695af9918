/* test_suite_connect -- the harness client against wsmock scenarios: a clean connect, WS-001's
 * 403s, refused then accepted, and every close code a server may send. */
#include "ms_test.h"
#include "wh_suite.h"

#define FAST_POLICY "initial=1000,factor=2,cap=30000,max=5,jitter=0"

static void test_clean_connect_gets_the_welcome_and_closes_without_reconnecting(void)
{
    struct suite_run r = {0};
    CU_ASSERT_FATAL(suite_mock(&r, "ws-001-fixed.json", "1") == 0);
    REQUIRE(&r, suite_client(&r, "/ws/coordinator", FAST_POLICY, 0.01, 0, 0) == 0);
    REQUIRE(&r, suite_until(&r, WH_EV_MESSAGE, 1));
    const struct wh_event *m = wh_client_last(r.client, WH_EV_MESSAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(m->text, "\"message\":\"Connected to ViMax WebSocket server\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(m->text, "\"room\":\"coordinator_metrics\""));
    wh_client_send(r.client, "{\"type\":\"ping\"}");
    CU_ASSERT(suite_until(&r, WH_EV_MESSAGE, 2));
    CU_ASSERT_STRING_EQUAL(wh_client_last(r.client, WH_EV_MESSAGE)->text, "{\"type\":\"pong\"}");
    wh_client_close(r.client, 1000);
    CU_ASSERT(suite_until(&r, WH_EV_STOPPED, 1));
    char t[512];
    suite_trace(&r, t, sizeof(t), 0);
    CU_ASSERT_STRING_EQUAL(t, "connecting open closed:1000 stopped");
    suite_end(&r);
}

static void test_ws001_every_attempt_refused_with_403_until_the_client_gives_up(void)
{
    struct suite_run r = {0};
    CU_ASSERT_FATAL(suite_mock(&r, "ws-001-unregistered-router.json", "1") == 0);
    REQUIRE(&r,
            suite_client(&r, "/ws/coordinator", "initial=1000,max=2,jitter=0", 0.01, 0, 0) == 0);
    REQUIRE(&r, suite_until(&r, WH_EV_GAVE_UP, 1));
    char t[512];
    suite_trace(&r, t, sizeof(t), 1);
    CU_ASSERT_STRING_EQUAL(t, "connecting refused:403 retry connecting refused:403 retry "
                              "connecting refused:403 gave_up");
    suite_end(&r);
}

static void test_refused_three_times_then_accepted_on_the_fourth(void)
{
    struct suite_run r = {0};
    CU_ASSERT_FATAL(suite_mock(&r, "refuse-then-accept.json", "1") == 0);
    REQUIRE(&r, suite_client(&r, "/ws/agent/a", FAST_POLICY, 0.01, 0, 0) == 0);
    REQUIRE(&r, suite_until(&r, WH_EV_OPEN, 1));
    CU_ASSERT_EQUAL(wh_client_last(r.client, WH_EV_OPEN)->attempt, 4);
    CU_ASSERT_EQUAL(wh_client_count(r.client, WH_EV_REFUSED), 3);
    CU_ASSERT_EQUAL(wh_client_last(r.client, WH_EV_REFUSED)->status, 403);
    suite_end(&r);
}

static void test_each_close_code_reaches_the_client_and_it_reconnects(void)
{
    struct suite_run r = {0};
    CU_ASSERT_FATAL(suite_mock(&r, "close-codes.json", "0.01") == 0);
    REQUIRE(&r, suite_client(&r, "/ws/coordinator", FAST_POLICY, 0.01, 0, 0) == 0);
    REQUIRE(&r, suite_until(&r, WH_EV_CLOSED, 7));
    size_t n;
    const struct wh_event *e = wh_client_events(r.client, &n);
    char codes[256] = "";
    for (size_t i = 0; i < n; i++)
        if (e[i].kind == WH_EV_CLOSED)
            snprintf(codes + strlen(codes), sizeof(codes) - strlen(codes), "%s%d:%s",
                     codes[0] ? " " : "", e[i].status, e[i].text);
    CU_ASSERT_STRING_EQUAL(codes, "1000:normal closure 1001:going away 1008:policy violation "
                                  "1011:internal error 1012:service restart 1013:try again later "
                                  "4000:application specific");
    /* every connection had opened: each reconnect starts over at retry 1 */
    for (size_t i = 0; i < n; i++)
        if (e[i].kind == WH_EV_RETRY)
            CU_ASSERT_EQUAL(e[i].retry, 1);
    suite_end(&r);
}

static CU_TestInfo connect_tests[] = {
    MS_TEST(test_clean_connect_gets_the_welcome_and_closes_without_reconnecting),
    MS_TEST(test_ws001_every_attempt_refused_with_403_until_the_client_gives_up),
    MS_TEST(test_refused_three_times_then_accepted_on_the_fourth),
    MS_TEST(test_each_close_code_reaches_the_client_and_it_reconnects),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"connect", NULL, NULL, NULL, NULL, connect_tests},
    CU_SUITE_INFO_NULL,
};
