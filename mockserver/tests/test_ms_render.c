/* test_ms_render -- the backend's messages render byte for byte (PROTOCOL.md 2, 5). */
#include <stdlib.h>
#include <string.h>
#include "ms_pyjson.h"
#include "ms_render.h"
#include "ms_test.h"

#define TS "2026-11-25T19:49:35.579027"

/* Asserts that got (freed here) equals want. */
static void expect(char *got, const char *want)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    if (strcmp(got, want))
        fprintf(stderr, "\n got: %s\nwant: %s\n", got, want);
    CU_ASSERT_STRING_EQUAL(got, want);
    free(got);
}

static cJSON *parse(const char *s)
{
    cJSON *v = ms_pyjson_parse(s, strlen(s), NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    return v;
}

static void test_render_welcome_has_real_key_order(void)
{
    expect(
        ms_render_welcome(TS, "workflow_test-id_00eb8f56", "workflow_test-id"),
        "{\"type\":\"info\",\"message\":\"Connected to ViMax WebSocket server\",\"timestamp\":\"" TS
        "\",\"client_id\":\"workflow_test-id_00eb8f56\",\"room\":\"workflow_test-id\"}");
}

static void test_render_legacy_welcome_has_null_room(void)
{
    expect(
        ms_render_welcome(TS, "c", NULL),
        "{\"type\":\"info\",\"message\":\"Connected to ViMax WebSocket server\",\"timestamp\":\"" TS
        "\",\"client_id\":\"c\",\"room\":null}");
}

static void test_render_heartbeat_and_pong(void)
{
    expect(ms_render_heartbeat(TS), "{\"type\":\"heartbeat\",\"timestamp\":\"" TS "\"}");
    expect(ms_render_pong(), "{\"type\":\"pong\"}");
}

static void test_render_progress_with_all_fields(void)
{
    expect(ms_render_progress("wf-1", TS, "running", 0.1, "outline", "Generating outline", NULL),
           "{\"type\":\"progress\",\"workflow_id\":\"wf-1\",\"timestamp\":\"" TS
           "\",\"state\":\"running\",\"progress\":0.1,\"stage\":\"outline\",\"message\":"
           "\"Generating outline\",\"details\":{}}");
}

static void test_render_progress_missing_values_are_null_and_float(void)
{
    expect(ms_render_progress("wf-1", TS, "completed", 1.0, NULL, NULL, NULL),
           "{\"type\":\"progress\",\"workflow_id\":\"wf-1\",\"timestamp\":\"" TS
           "\",\"state\":\"completed\",\"progress\":1.0,\"stage\":null,\"message\":null,"
           "\"details\":{}}");
}

static void test_render_progress_keeps_details_numbers(void)
{
    cJSON *d = parse("{\"tasks\":[\"a\",\"b\"],\"n\":1,\"f\":1.50}");
    expect(ms_render_progress("w", TS, "running", 0.5, "scenes", "m", d),
           "{\"type\":\"progress\",\"workflow_id\":\"w\",\"timestamp\":\"" TS
           "\",\"state\":\"running\",\"progress\":0.5,\"stage\":\"scenes\",\"message\":\"m\","
           "\"details\":{\"tasks\":[\"a\",\"b\"],\"n\":1,\"f\":1.5}}");
    cJSON_Delete(d);
}

static void test_render_agent_status_broadcast_form(void)
{
    cJSON *m = parse("{\"message_count\":3,\"error_count\":0,\"error_rate\":0.0,"
                     "\"avg_execution_time\":1.23,\"is_healthy\":true}");
    expect(ms_render_agent_status("screenwriter", TS, "busy", m),
           "{\"type\":\"agent_status\",\"agent_name\":\"screenwriter\",\"timestamp\":\"" TS
           "\",\"status\":\"busy\",\"metrics\":{\"message_count\":3,\"error_count\":0,"
           "\"error_rate\":0.0,\"avg_execution_time\":1.23,\"is_healthy\":true}}");
    cJSON_Delete(m);
    expect(ms_render_agent_status("a", TS, "idle", NULL),
           "{\"type\":\"agent_status\",\"agent_name\":\"a\",\"timestamp\":\"" TS
           "\",\"status\":\"idle\",\"metrics\":{}}");
}

static void test_render_coordinator_metrics_reply_has_no_timestamp(void)
{
    cJSON *m = parse("{\"total_messages\":0,\"total_workflows\":0,\"registered_agents\":1,"
                     "\"healthy_agents\":1,\"active_workflows\":0,\"queue_size\":0,"
                     "\"dead_letters\":0}");
    expect(ms_render_coordinator_metrics(NULL, m),
           "{\"type\":\"coordinator_metrics\",\"total_messages\":0,\"total_workflows\":0,"
           "\"registered_agents\":1,\"healthy_agents\":1,\"active_workflows\":0,\"queue_size\":0,"
           "\"dead_letters\":0}");
    cJSON_Delete(m);
}

static void test_render_coordinator_metrics_broadcast_puts_timestamp_second(void)
{
    cJSON *m = parse("{\"total_messages\":12,\"queue_size\":0}");
    expect(ms_render_coordinator_metrics(TS, m),
           "{\"type\":\"coordinator_metrics\",\"timestamp\":\"" TS
           "\",\"total_messages\":12,\"queue_size\":0}");
    cJSON_Delete(m);
}

static void test_render_error_broadcast_shape(void)
{
    cJSON *d = parse("{\"task\":\"outline\"}");
    expect(ms_render_error_broadcast("workflow", "wf-1",
                                     "Task 'outline' timed out after 60 seconds",
                                     "TaskTimeoutError", 1, d, TS),
           "{\"type\":\"error\",\"target_type\":\"workflow\",\"target_id\":\"wf-1\",\"message\":"
           "\"Task 'outline' timed out after 60 seconds\",\"error_type\":\"TaskTimeoutError\","
           "\"retryable\":true,\"details\":{\"task\":\"outline\"},\"timestamp\":\"" TS "\"}");
    cJSON_Delete(d);
}

static void test_render_short_error_and_control_response(void)
{
    expect(ms_render_error_reply("Coordinator not available"),
           "{\"type\":\"error\",\"message\":\"Coordinator not available\"}");
    expect(ms_render_control_response("pause", "not_implemented",
                                      "Pause functionality not yet implemented"),
           "{\"type\":\"control_response\",\"action\":\"pause\",\"status\":\"not_implemented\","
           "\"message\":\"Pause functionality not yet implemented\"}");
}

static void test_render_status_unknown_workflow(void)
{
    cJSON *s = parse("{\"state\":\"pending\",\"message\":\"Workflow not started yet\"}");
    expect(ms_render_status("test-id", s),
           "{\"type\":\"status\",\"workflow_id\":\"test-id\",\"status\":{\"state\":\"pending\","
           "\"message\":\"Workflow not started yet\"}}");
    cJSON_Delete(s);
}

static void test_render_progress_data_keeps_first_position_of_duplicates(void)
{
    cJSON *d = parse("{\"stage\":1,\"type\":\"other\",\"total_stages\":1,\"progress\":0.0}");
    expect(ms_render_progress_data("wf", TS, d),
           "{\"type\":\"other\",\"workflow_id\":\"wf\",\"timestamp\":\"" TS
           "\",\"stage\":1,\"total_stages\":1,\"progress\":0.0}");
    cJSON_Delete(d);
}

static void test_render_info_with_and_without_timestamp(void)
{
    expect(ms_render_info("pong", NULL), "{\"type\":\"info\",\"message\":\"pong\"}");
    expect(ms_render_info("Sending 2 historical messages for topic: t", TS),
           "{\"type\":\"info\",\"message\":\"Sending 2 historical messages for topic: t\","
           "\"timestamp\":\"" TS "\"}");
}

static void test_render_non_ascii_stays_raw_utf8(void)
{
    expect(ms_render_error_reply("进度更新 \"q\"\n"),
           "{\"type\":\"error\",\"message\":\"进度更新 \\\"q\\\"\\n\"}");
}

static CU_TestInfo render_tests[] = {
    MS_TEST(test_render_welcome_has_real_key_order),
    MS_TEST(test_render_legacy_welcome_has_null_room),
    MS_TEST(test_render_heartbeat_and_pong),
    MS_TEST(test_render_progress_with_all_fields),
    MS_TEST(test_render_progress_missing_values_are_null_and_float),
    MS_TEST(test_render_progress_keeps_details_numbers),
    MS_TEST(test_render_agent_status_broadcast_form),
    MS_TEST(test_render_coordinator_metrics_reply_has_no_timestamp),
    MS_TEST(test_render_coordinator_metrics_broadcast_puts_timestamp_second),
    MS_TEST(test_render_error_broadcast_shape),
    MS_TEST(test_render_short_error_and_control_response),
    MS_TEST(test_render_status_unknown_workflow),
    MS_TEST(test_render_progress_data_keeps_first_position_of_duplicates),
    MS_TEST(test_render_info_with_and_without_timestamp),
    MS_TEST(test_render_non_ascii_stays_raw_utf8),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"render", NULL, NULL, NULL, NULL, render_tests},
    CU_SUITE_INFO_NULL,
};
