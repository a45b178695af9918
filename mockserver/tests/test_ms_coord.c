/* test_ms_coord -- the coordinator model: normalised shapes, derived metrics, refusals, cancel. */
#include <stdlib.h>
#include <string.h>
#include "ms_coord.h"
#include "ms_err.h"
#include "ms_pyjson.h"
#include "ms_test.h"

#define NOW "2026-11-25T19:00:00"

static int load(struct ms_coord *c, const char *json, char *err, size_t errlen)
{
    cJSON *spec = ms_pyjson_parse(json, strlen(json), NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(spec);
    int rc = ms_coord_load(c, spec, NOW, err, errlen);
    cJSON_Delete(spec);
    return rc;
}

static void expect_json(const cJSON *v, const char *want)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    char *got = ms_pyjson_print(v);
    if (strcmp(got, want))
        fprintf(stderr, "\n got: %s\nwant: %s\n", got, want);
    CU_ASSERT_STRING_EQUAL(got, want);
    free(got);
}

static void test_coord_empty_model_has_zero_metrics(void)
{
    struct ms_coord *c = ms_coord_new();
    cJSON *m = ms_coord_metrics(c);
    expect_json(m,
                "{\"total_messages\":0,\"total_workflows\":0,\"registered_agents\":0,"
                "\"healthy_agents\":0,\"active_workflows\":0,\"queue_size\":0,\"dead_letters\":0}");
    cJSON_Delete(m);
    CU_ASSERT_PTR_NULL(ms_coord_agent(c, "screenwriter"));
    CU_ASSERT_PTR_NULL(ms_coord_workflow(c, "wf"));
    ms_coord_free(c);
}

static void test_coord_fills_agent_defaults_in_real_key_order(void)
{
    struct ms_coord *c = ms_coord_new();
    char err[256];
    CU_ASSERT_EQUAL_FATAL(load(c,
                               "{\"agents\":[{\"metrics\":{\"avg_execution_time\":1.23},"
                               "\"name\":\"screenwriter\"}]}",
                               err, sizeof(err)),
                          0);
    expect_json(ms_coord_agent(c, "screenwriter"),
                "{\"name\":\"screenwriter\",\"status\":\"idle\",\"registered_at\":\"" NOW
                "\",\"metrics\":{\"message_count\":0,\"error_count\":0,\"error_rate\":0.0,"
                "\"avg_execution_time\":1.23,\"total_execution_time\":0.0,\"last_heartbeat\":\"" NOW
                "\",\"is_healthy\":true}}");
    ms_coord_free(c);
}

static void test_coord_fills_workflow_defaults_and_derives_metrics(void)
{
    struct ms_coord *c = ms_coord_new();
    char err[256];
    CU_ASSERT_EQUAL_FATAL(
        load(
            c,
            "{\"workflows\":[{\"workflow_id\":\"wf-known\",\"state\":\"running\",\"progress\":0.5},"
            "{\"workflow_id\":\"done\",\"state\":\"completed\"}],\"agents\":[{\"name\":\"a\"},"
            "{\"name\":\"b\",\"metrics\":{\"is_healthy\":false}}],\"total_messages\":12}",
            err, sizeof(err)),
        0);
    expect_json(ms_coord_workflow(c, "wf-known"),
                "{\"workflow_id\":\"wf-known\",\"state\":\"running\",\"progress\":0.5,"
                "\"started_at\":null,\"completed_at\":null,\"duration\":null,\"task_states\":{},"
                "\"completed_tasks\":0,\"failed_tasks\":0,\"errors\":{}}");
    cJSON *m = ms_coord_metrics(c);
    expect_json(m,
                "{\"total_messages\":12,\"total_workflows\":2,\"registered_agents\":2,"
                "\"healthy_agents\":1,\"active_workflows\":1,\"queue_size\":0,\"dead_letters\":0}");
    cJSON_Delete(m);
    ms_coord_free(c);
}

static void test_coord_cancel_sets_state_and_reports_unknown(void)
{
    struct ms_coord *c = ms_coord_new();
    char err[256];
    CU_ASSERT_EQUAL_FATAL(load(c, "{\"workflows\":[{\"workflow_id\":\"w\",\"state\":\"running\"}]}",
                               err, sizeof(err)),
                          0);
    CU_ASSERT_EQUAL(ms_coord_cancel(c, "w"), 0);
    CU_ASSERT_STRING_EQUAL(
        cJSON_GetObjectItemCaseSensitive(ms_coord_workflow(c, "w"), "state")->valuestring,
        "cancelled");
    CU_ASSERT_EQUAL(ms_coord_cancel(c, "nope"), MS_ERR_NOT_FOUND);
    ms_coord_free(c);
}

/* A bad spec is refused with the JSON path, and the model it had stays. */
static void expect_refused(const char *spec, const char *want)
{
    struct ms_coord *c = ms_coord_new();
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(load(c, "{\"agents\":[{\"name\":\"keep\"}]}", err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(load(c, spec, err, sizeof(err)), MS_ERR_INVALID);
    if (strcmp(err, want))
        fprintf(stderr, "\n got: %s\nwant: %s\n", err, want);
    CU_ASSERT_STRING_EQUAL(err, want);
    CU_ASSERT_PTR_NOT_NULL(ms_coord_agent(c, "keep"));
    ms_coord_free(c);
}

static void test_coord_refuses_bad_specs_with_json_paths(void)
{
    expect_refused("[]", "$: expected an object");
    expect_refused("{\"agent\":[]}", "agent: unknown key");
    expect_refused("{\"agents\":{}}", "agents: expected an array");
    expect_refused("{\"agents\":[{\"name\":\"\"}]}", "agents[0].name: expected a non-empty string");
    expect_refused("{\"agents\":[{\"name\":\"a\"},{\"name\":\"b\",\"status\":\"asleep\"}]}",
                   "agents[1].status: expected one of idle, busy, error, offline");
    expect_refused("{\"agents\":[{\"name\":\"a\",\"metrics\":{\"message_count\":1.5}}]}",
                   "agents[0].metrics.message_count: expected an integer");
    expect_refused("{\"agents\":[{\"name\":\"a\",\"metrics\":{\"msgs\":1}}]}",
                   "agents[0].metrics.msgs: unknown key");
    expect_refused("{\"workflows\":[{\"workflow_id\":\"w\",\"state\":\"started\"}]}",
                   "workflows[0].state: expected one of pending, running, completed, failed, "
                   "cancelled");
    expect_refused("{\"workflows\":[{\"workflow_id\":\"w\"},{\"workflow_id\":\"w\"}]}",
                   "workflows[0].workflow_id: appears twice");
    expect_refused("{\"queue_size\":-1}", "queue_size: expected a non-negative integer");
}

static CU_TestInfo coord_tests[] = {
    MS_TEST(test_coord_empty_model_has_zero_metrics),
    MS_TEST(test_coord_fills_agent_defaults_in_real_key_order),
    MS_TEST(test_coord_fills_workflow_defaults_and_derives_metrics),
    MS_TEST(test_coord_cancel_sets_state_and_reports_unknown),
    MS_TEST(test_coord_refuses_bad_specs_with_json_paths),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"coord", NULL, NULL, NULL, NULL, coord_tests},
    CU_SUITE_INFO_NULL,
};
