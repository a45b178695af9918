/* test_ms_route -- unit tests of WebSocket path matching, endpoint names and room names. */
#include <string.h>

#include "ms_route.h"
#include "ms_test.h"

/* Matches path and checks the endpoint and parameter. */
static void check(const char *path, enum ms_endpoint ep, const char *param)
{
    struct ms_route r;
    memset(&r, 'x', sizeof(r));
    CU_ASSERT_EQUAL(ms_route_match(path, &r), ep);
    CU_ASSERT_EQUAL(r.ep, ep);
    CU_ASSERT_STRING_EQUAL(r.param, param);
}

static void test_route_matches_the_four_endpoints(void)
{
    check("/ws/workflow/wf-42", MS_EP_WORKFLOW, "wf-42");
    check("/ws/agent/screenwriter", MS_EP_AGENT, "screenwriter");
    check("/ws/coordinator", MS_EP_COORDINATOR, "");
    check("/api/v1/ws/connect", MS_EP_LEGACY, "");
}

static void test_route_rejects_missing_or_empty_parameter(void)
{
    check("/ws/workflow", MS_EP_NONE, "");
    check("/ws/workflow/", MS_EP_NONE, "");
    check("/ws/agent", MS_EP_NONE, "");
    check("/ws/agent/", MS_EP_NONE, "");
}

static void test_route_parameter_cannot_contain_a_slash(void)
{
    check("/ws/agent/a/b", MS_EP_NONE, "");
    check("/ws/workflow/wf-1/", MS_EP_NONE, "");
    check("/ws/workflow//x", MS_EP_NONE, "");
}

static void test_route_exact_paths_only(void)
{
    check("/ws/coordinator/", MS_EP_NONE, "");
    check("/ws/coordinatorx", MS_EP_NONE, "");
    check("/ws/coordinator/x", MS_EP_NONE, "");
    check("/api/v1/ws/connect/", MS_EP_NONE, "");
    check("/api/v1/ws/connectx", MS_EP_NONE, "");
    check("/api/v1/ws", MS_EP_NONE, "");
    check("/ws/workflows/x", MS_EP_NONE, "");
    check("ws/workflow/x", MS_EP_NONE, "");
    check("//ws/workflow/x", MS_EP_NONE, "");
    check("/WS/coordinator", MS_EP_NONE, "");
    check("/ws", MS_EP_NONE, "");
    check("/", MS_EP_NONE, "");
    check("", MS_EP_NONE, "");
    check(NULL, MS_EP_NONE, "");
}

static void test_route_parameter_is_taken_verbatim_with_spaces_and_unicode(void)
{
    check("/ws/workflow/my workflow", MS_EP_WORKFLOW, "my workflow");
    check("/ws/agent/\xc3\xa9"
          "crivain \xe2\x9c\x93",
          MS_EP_AGENT,
          "\xc3\xa9"
          "crivain \xe2\x9c\x93");
    check("/ws/workflow/%2F", MS_EP_WORKFLOW, "%2F");
    check("/ws/workflow/..", MS_EP_WORKFLOW, "..");
    check("/ws/workflow/ ", MS_EP_WORKFLOW, " ");
}

static void test_route_parameter_length_is_bounded(void)
{
    char path[600], want[MS_ROUTE_PARAM_MAX];
    strcpy(path, "/ws/workflow/");
    memset(want, 'w', MS_ROUTE_PARAM_MAX - 1);
    want[MS_ROUTE_PARAM_MAX - 1] = '\0';
    strcat(path, want);
    check(path, MS_EP_WORKFLOW, want); /* 255 bytes: the longest accepted */
    strcat(path, "w");
    check(path, MS_EP_NONE, ""); /* 256 bytes */
    strcpy(path, "/ws/agent/");
    memset(path + 10, 'a', 500);
    path[510] = '\0';
    check(path, MS_EP_NONE, "");
}

static void test_route_enhanced_path_space(void)
{
    CU_ASSERT_TRUE(ms_route_is_enhanced_path("/ws"));
    CU_ASSERT_TRUE(ms_route_is_enhanced_path("/ws/"));
    CU_ASSERT_TRUE(ms_route_is_enhanced_path("/ws/coordinator"));
    CU_ASSERT_TRUE(ms_route_is_enhanced_path("/ws/stats"));
    CU_ASSERT_TRUE(ms_route_is_enhanced_path("/ws/anything/else"));
    CU_ASSERT_FALSE(ms_route_is_enhanced_path("/wsx"));
    CU_ASSERT_FALSE(ms_route_is_enhanced_path("/ws-stats"));
    CU_ASSERT_FALSE(ms_route_is_enhanced_path("/api/v1/ws/connect"));
    CU_ASSERT_FALSE(ms_route_is_enhanced_path("/"));
    CU_ASSERT_FALSE(ms_route_is_enhanced_path(""));
    CU_ASSERT_FALSE(ms_route_is_enhanced_path(NULL));
}

static void test_route_endpoint_names(void)
{
    CU_ASSERT_STRING_EQUAL(ms_route_endpoint_name(MS_EP_WORKFLOW), "workflow");
    CU_ASSERT_STRING_EQUAL(ms_route_endpoint_name(MS_EP_AGENT), "agent");
    CU_ASSERT_STRING_EQUAL(ms_route_endpoint_name(MS_EP_COORDINATOR), "coordinator");
    CU_ASSERT_STRING_EQUAL(ms_route_endpoint_name(MS_EP_LEGACY), "legacy");
    CU_ASSERT_STRING_EQUAL(ms_route_endpoint_name(MS_EP_NONE), "none");
    CU_ASSERT_STRING_EQUAL(ms_route_endpoint_name((enum ms_endpoint)42), "none");
}

static void test_route_room_names_per_endpoint(void)
{
    struct ms_route r;
    char buf[300];
    ms_route_match("/ws/workflow/wf-42", &r);
    CU_ASSERT_EQUAL(ms_route_room(&r, buf, sizeof(buf)), 1);
    CU_ASSERT_STRING_EQUAL(buf, "workflow_wf-42");
    ms_route_match("/ws/agent/screenwriter", &r);
    CU_ASSERT_EQUAL(ms_route_room(&r, buf, sizeof(buf)), 1);
    CU_ASSERT_STRING_EQUAL(buf, "agent_screenwriter");
    ms_route_match("/ws/coordinator", &r);
    CU_ASSERT_EQUAL(ms_route_room(&r, buf, sizeof(buf)), 1);
    CU_ASSERT_STRING_EQUAL(buf, "coordinator_metrics");
    ms_route_match("/api/v1/ws/connect", &r);
    strcpy(buf, "junk");
    CU_ASSERT_EQUAL(ms_route_room(&r, buf, sizeof(buf)), 0);
    CU_ASSERT_STRING_EQUAL(buf, "");
    ms_route_match("/nope", &r);
    strcpy(buf, "junk");
    CU_ASSERT_EQUAL(ms_route_room(&r, buf, sizeof(buf)), 0);
    CU_ASSERT_STRING_EQUAL(buf, "");
}

static void test_route_room_fails_when_buffer_is_too_small(void)
{
    struct ms_route r;
    char buf[32];
    ms_route_match("/ws/workflow/pending", &r); /* "workflow_pending": 16 bytes */
    CU_ASSERT_EQUAL(ms_route_room(&r, buf, 16), -1);
    CU_ASSERT_EQUAL(ms_route_room(&r, buf, 17), 1);
    CU_ASSERT_STRING_EQUAL(buf, "workflow_pending");
    ms_route_match("/ws/coordinator", &r); /* 19 bytes */
    CU_ASSERT_EQUAL(ms_route_room(&r, buf, 19), -1);
    CU_ASSERT_EQUAL(ms_route_room(&r, buf, 20), 1);
    ms_route_match("/api/v1/ws/connect", &r);
    CU_ASSERT_EQUAL(ms_route_room(&r, buf, 0), -1);
    CU_ASSERT_EQUAL(ms_route_room(&r, buf, 1), 0);
}

static void test_route_room_of_longest_parameter_fits_in_a_small_buffer(void)
{
    char path[300];
    struct ms_route r;
    strcpy(path, "/ws/agent/");
    memset(path + 10, 'n', MS_ROUTE_PARAM_MAX - 1);
    path[10 + MS_ROUTE_PARAM_MAX - 1] = '\0';
    CU_ASSERT_EQUAL_FATAL(ms_route_match(path, &r), MS_EP_AGENT);
    char buf[MS_ROUTE_PARAM_MAX + 16];
    CU_ASSERT_EQUAL(ms_route_room(&r, buf, sizeof(buf)), 1);
    CU_ASSERT_EQUAL(strlen(buf), 6 + MS_ROUTE_PARAM_MAX - 1);
    CU_ASSERT_NSTRING_EQUAL(buf, "agent_nnn", 9);
}

static CU_TestInfo route_tests[] = {
    MS_TEST(test_route_matches_the_four_endpoints),
    MS_TEST(test_route_rejects_missing_or_empty_parameter),
    MS_TEST(test_route_parameter_cannot_contain_a_slash),
    MS_TEST(test_route_exact_paths_only),
    MS_TEST(test_route_parameter_is_taken_verbatim_with_spaces_and_unicode),
    MS_TEST(test_route_parameter_length_is_bounded),
    MS_TEST(test_route_enhanced_path_space),
    MS_TEST(test_route_endpoint_names),
    MS_TEST(test_route_room_names_per_endpoint),
    MS_TEST(test_route_room_fails_when_buffer_is_too_small),
    MS_TEST(test_route_room_of_longest_parameter_fits_in_a_small_buffer),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"ms_route", NULL, NULL, NULL, NULL, route_tests},
    CU_SUITE_INFO_NULL,
};
