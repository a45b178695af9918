/* test_ms_dispatch -- the endpoints' answers to client messages (PROTOCOL.md 2.1-2.4), without a
 * server. */
#include <string.h>

#include "ms_dispatch.h"
#include "ms_test.h"

/* Dispatches text on ep (profile deployed, no coordinator) and checks the verb and reply. */
static void enhanced(enum ms_endpoint ep, const char *text, enum ms_dispatch_verb verb,
                     const char *reply)
{
    struct ms_dispatch d;
    CU_ASSERT_EQUAL(
        ms_dispatch_enhanced(ep, "wf-1", MS_PROFILE_DEPLOYED, NULL, text, strlen(text), 0, &d),
        verb);
    CU_ASSERT_EQUAL(d.verb, verb);
    if (reply) {
        CU_ASSERT_STRING_EQUAL(d.reply ? d.reply : "(null)", reply);
    } else {
        CU_ASSERT_PTR_NULL(d.reply);
    }
    CU_ASSERT_PTR_NULL(d.topic);
    ms_dispatch_free(&d);
}

static void legacy(const char *text, enum ms_dispatch_verb verb, const char *reply,
                   const char *topic)
{
    struct ms_dispatch d;
    CU_ASSERT_EQUAL(ms_dispatch_legacy(text, strlen(text), 0, &d), verb);
    CU_ASSERT_STRING_EQUAL(d.reply ? d.reply : "(null)", reply);
    if (topic) {
        CU_ASSERT_STRING_EQUAL(d.topic ? d.topic : "(null)", topic);
    } else {
        CU_ASSERT_PTR_NULL(d.topic);
    }
    ms_dispatch_free(&d);
    CU_ASSERT_PTR_NULL(d.reply);
    CU_ASSERT_EQUAL(d.verb, MS_DISPATCH_SILENT);
}

static void test_dispatch_ping_gets_pong_on_every_enhanced_endpoint(void)
{
    enhanced(MS_EP_WORKFLOW, "{\"type\":\"ping\",\"x\":1}", MS_DISPATCH_REPLY,
             "{\"type\":\"pong\"}");
    enhanced(MS_EP_AGENT, "{\"type\":\"ping\"}", MS_DISPATCH_REPLY, "{\"type\":\"pong\"}");
    enhanced(MS_EP_COORDINATOR, " {\"type\":\"ping\"} ", MS_DISPATCH_REPLY, "{\"type\":\"pong\"}");
}

static void test_dispatch_invalid_json_is_answered_only_on_the_workflow_endpoint(void)
{
    enhanced(MS_EP_WORKFLOW, "{oops", MS_DISPATCH_REPLY,
             "{\"type\":\"error\",\"message\":\"Invalid JSON format\"}");
    enhanced(MS_EP_AGENT, "{oops", MS_DISPATCH_SILENT, NULL);
    enhanced(MS_EP_COORDINATOR, "", MS_DISPATCH_SILENT, NULL);
}

static void test_dispatch_non_object_json_and_binary_drop_the_connection(void)
{
    enhanced(MS_EP_WORKFLOW, "[1,2]", MS_DISPATCH_DROP, NULL);
    enhanced(MS_EP_AGENT, "null", MS_DISPATCH_DROP, NULL);
    struct ms_dispatch d;
    CU_ASSERT_EQUAL(ms_dispatch_enhanced(MS_EP_COORDINATOR, "", MS_PROFILE_DEPLOYED, NULL,
                                         "{\"type\":\"ping\"}", 15, 1, &d),
                    MS_DISPATCH_DROP);
    ms_dispatch_free(&d);
}

static void test_dispatch_control_without_coordinator_is_an_error(void)
{
    enhanced(MS_EP_WORKFLOW, "{\"type\":\"control\",\"action\":\"cancel\"}", MS_DISPATCH_REPLY,
             "{\"type\":\"error\",\"message\":\"Coordinator not available\"}");
    enhanced(MS_EP_AGENT, "{\"type\":\"control\",\"action\":\"cancel\"}", MS_DISPATCH_SILENT, NULL);
}

static void test_dispatch_control_with_coordinator_cancels_and_names_unknown_actions(void)
{
    struct ms_coord *co = ms_coord_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(co);
    cJSON *spec = cJSON_Parse("{\"workflows\":[{\"workflow_id\":\"wf-1\",\"state\":\"running\"}]}");
    char err[128];
    CU_ASSERT_EQUAL_FATAL(ms_coord_load(co, spec, "2026-01-01T00:00:00", err, sizeof(err)), 0);
    struct ms_dispatch d;
    const char *cancel = "{\"type\":\"control\",\"action\":\"cancel\"}";
    ms_dispatch_enhanced(MS_EP_WORKFLOW, "wf-1", MS_PROFILE_COORDINATOR, co, cancel, strlen(cancel),
                         0, &d);
    CU_ASSERT_STRING_EQUAL(d.reply, "{\"type\":\"control_response\",\"action\":\"cancel\","
                                    "\"status\":\"success\",\"message\":\"Workflow wf-1 "
                                    "cancelled\"}");
    ms_dispatch_free(&d);
    ms_dispatch_enhanced(MS_EP_WORKFLOW, "wf-2", MS_PROFILE_COORDINATOR, co, cancel, strlen(cancel),
                         0, &d);
    CU_ASSERT_STRING_EQUAL(d.reply, "{\"type\":\"error\",\"message\":\"Control action failed: "
                                    "Workflow 'wf-2' not found\"}");
    ms_dispatch_free(&d);
    const char *odd = "{\"type\":\"control\",\"action\":[1,\"a\",null]}";
    ms_dispatch_enhanced(MS_EP_WORKFLOW, "wf-1", MS_PROFILE_COORDINATOR, co, odd, strlen(odd), 0,
                         &d);
    CU_ASSERT_STRING_EQUAL(d.reply,
                           "{\"type\":\"error\",\"message\":\"Unknown action: [1, 'a', None]\"}");
    ms_dispatch_free(&d);
    const char *metrics = "{\"type\":\"get_metrics\"}";
    CU_ASSERT_EQUAL(ms_dispatch_enhanced(MS_EP_COORDINATOR, "", MS_PROFILE_COORDINATOR, co, metrics,
                                         strlen(metrics), 0, &d),
                    MS_DISPATCH_REPLY);
    CU_ASSERT_PTR_NOT_NULL(strstr(d.reply, "\"type\":\"coordinator_metrics\""));
    ms_dispatch_free(&d);
    cJSON_Delete(spec);
    ms_coord_free(co);
}

static void test_dispatch_legacy_actions(void)
{
    legacy("{\"action\":\"ping\"}", MS_DISPATCH_REPLY, "{\"type\":\"info\",\"message\":\"pong\"}",
           NULL);
    legacy("{\"action\":\"subscribe\",\"topic\":1.0}", MS_DISPATCH_SUBSCRIBE,
           "{\"type\":\"info\",\"message\":\"Subscribed to topic: 1.0\"}", "1.0");
    legacy("{\"action\":\"unsubscribe\",\"topic\":\"t\"}", MS_DISPATCH_UNSUBSCRIBE,
           "{\"type\":\"info\",\"message\":\"Unsubscribed from topic: t\"}", "t");
    legacy("{\"action\":\"subscribe\",\"topic\":\"\"}", MS_DISPATCH_REPLY,
           "{\"type\":\"error\",\"message\":\"Unknown action: subscribe\"}", NULL);
    legacy("{\"action\":\"subscribe\",\"topic\":[1]}", MS_DISPATCH_REPLY,
           "{\"type\":\"error\",\"message\":\"Error processing message: unhashable type: "
           "'list'\"}",
           NULL);
    legacy("{\"type\":\"ping\"}", MS_DISPATCH_REPLY,
           "{\"type\":\"error\",\"message\":\"Unknown action: None\"}", NULL);
}

static void test_dispatch_legacy_errors_use_python_texts(void)
{
    legacy("", MS_DISPATCH_REPLY,
           "{\"type\":\"error\",\"message\":\"Error processing message: Expecting value: line 1 "
           "column 1 (char 0)\"}",
           NULL);
    legacy("[1]", MS_DISPATCH_REPLY,
           "{\"type\":\"error\",\"message\":\"Error processing message: 'list' object has no "
           "attribute 'get'\"}",
           NULL);
    struct ms_dispatch d;
    CU_ASSERT_EQUAL(ms_dispatch_legacy("x", 1, 1, &d), MS_DISPATCH_REPLY);
    CU_ASSERT_STRING_EQUAL(d.reply,
                           "{\"type\":\"error\",\"message\":\"Error processing message: 'text'\"}");
    ms_dispatch_free(&d);
}

static CU_TestInfo dispatch_tests[] = {
    MS_TEST(test_dispatch_ping_gets_pong_on_every_enhanced_endpoint),
    MS_TEST(test_dispatch_invalid_json_is_answered_only_on_the_workflow_endpoint),
    MS_TEST(test_dispatch_non_object_json_and_binary_drop_the_connection),
    MS_TEST(test_dispatch_control_without_coordinator_is_an_error),
    MS_TEST(test_dispatch_control_with_coordinator_cancels_and_names_unknown_actions),
    MS_TEST(test_dispatch_legacy_actions),
    MS_TEST(test_dispatch_legacy_errors_use_python_texts),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"dispatch", NULL, NULL, NULL, NULL, dispatch_tests},
    CU_SUITE_INFO_NULL,
};
