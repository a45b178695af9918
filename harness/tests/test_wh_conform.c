/* test_wh_conform -- `wsharness conform` against wsmock (port 0): all pass on the deployed profile,
 * the right checks fail on pre-fix and on a backend that deviates, JUnit XML, exit codes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ms_test.h"
#include "wh_commands.h"
#include "wh_conform.h"
#include "wh_spawn.h"
#include "wh_testkit.h"
#include "wh_wsclient.h"

static struct wh_proc mock;
static int mock_up;

static void teardown(void)
{
    if (mock_up)
        wh_proc_stop(&mock, 5000);
    mock_up = 0;
}

/* Starts a wsmock with the given extra arguments (NULL-terminated); returns "http://127.0.0.1:P".
 */
static const char *start_mock(const char *const *args)
{
    static char url[64];
    char err[256];
    int rc = wh_spawn_wsmock(&mock, WSMOCK_BIN, args, 10000, err, sizeof(err));
    if (rc)
        fprintf(stderr, "\n  cannot start wsmock: %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    mock_up = 1;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", mock.port);
    return url;
}

static void run(const char *url, struct wh_conform_report *rep)
{
    struct wh_conform_opts o = {.url = url, .timeout_ms = 2000};
    char err[256];
    CU_ASSERT_EQUAL_FATAL(wh_conform_run(&o, rep, err, sizeof(err)), 0);
}

static void print_failures(const struct wh_conform_report *rep)
{
    for (size_t i = 0; i < rep->n; i++)
        if (rep->checks[i].result == WH_CF_FAIL)
            fprintf(stderr, "\n  FAIL %s: %s", rep->checks[i].name, rep->checks[i].detail);
}

/* The result of the check called name, which must exist. */
static enum wh_conform_result result_of(const struct wh_conform_report *rep, const char *name)
{
    const struct wh_conform_check *k = wh_conform_find(rep, name);
    if (!k)
        fprintf(stderr, "\n  no check called %s\n", name);
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    return k->result;
}

/* Exactly the checks in want[] (NULL-terminated) failed. */
static void expect_failed_exactly(const struct wh_conform_report *rep, const char *const *want)
{
    int n = 0;
    for (; want[n]; n++) {
        if (result_of(rep, want[n]) != WH_CF_FAIL)
            fprintf(stderr, "\n  %s did not fail", want[n]);
        CU_ASSERT_EQUAL(result_of(rep, want[n]), WH_CF_FAIL);
    }
    if (rep->failed != n)
        print_failures(rep);
    CU_ASSERT_EQUAL(rep->failed, n);
}

static void test_conform_passes_against_the_deployed_wsmock(void)
{
    struct wh_conform_report rep;
    run(start_mock(NULL), &rep);
    if (rep.failed || rep.skipped)
        print_failures(&rep);
    CU_ASSERT_EQUAL(rep.failed, 0);
    CU_ASSERT_EQUAL(rep.skipped, 0);
    CU_ASSERT_EQUAL((size_t)rep.passed, rep.n);
    CU_ASSERT(rep.n >= 70);
    /* a sample from each group */
    const char *names[] = {"http.health",
                           "http.ws_stats",
                           "http.openapi.ws_paths",
                           "http.404[/ws/coordinator]",
                           "ws.workflow.welcome",
                           "ws.workflow.client_id",
                           "ws.workflow.invalid_json",
                           "ws.agent.invalid_json_silent",
                           "ws.coordinator.room",
                           "ws.legacy.client_id",
                           "ws.legacy.type_ping_unknown_action",
                           "ws.workflow.non_object_drops",
                           "ws.403[/ws/coordinator/]",
                           NULL};
    for (int i = 0; names[i]; i++)
        CU_ASSERT_EQUAL(result_of(&rep, names[i]), WH_CF_PASS);
    wh_conform_report_free(&rep);
}

static void test_conform_fails_the_enhanced_router_checks_on_prefix(void)
{
    const char *args[] = {"--profile", "pre-fix", NULL};
    struct wh_conform_report rep;
    run(start_mock(args), &rep);
    const char *failed[] = {"http.ws_stats",         "http.openapi.ws_paths",
                            "http.client_unknown",   "ws.workflow.upgrade",
                            "ws.agent.upgrade",      "ws.coordinator.upgrade",
                            "ws.legacy.client_info", NULL};
    expect_failed_exactly(&rep, failed);
    CU_ASSERT_EQUAL(result_of(&rep, "ws.workflow.welcome"), WH_CF_SKIP);
    CU_ASSERT_EQUAL(result_of(&rep, "ws.coordinator.binary_drops"), WH_CF_SKIP);
    CU_ASSERT_EQUAL(result_of(&rep, "ws.legacy.upgrade"), WH_CF_PASS);
    CU_ASSERT_EQUAL(result_of(&rep, "ws.legacy.ping"), WH_CF_PASS);
    CU_ASSERT_EQUAL(result_of(&rep, "http.health"), WH_CF_PASS);
    CU_ASSERT_EQUAL(result_of(&rep, "http.legacy_stats"), WH_CF_PASS);
    CU_ASSERT_EQUAL(result_of(&rep, "ws.403[/ws/coordinator/]"), WH_CF_PASS);
    const struct wh_conform_check *k = wh_conform_find(&rep, "ws.coordinator.upgrade");
    CU_ASSERT_PTR_NOT_NULL(strstr(k->detail, "HTTP 403 Forbidden"));
    wh_conform_report_free(&rep);
}

static void test_conform_reports_the_same_checks_whatever_fails(void)
{
    struct wh_conform_report ok, bad;
    run(start_mock(NULL), &ok);
    teardown();
    const char *args[] = {"--profile", "pre-fix", NULL};
    run(start_mock(args), &bad);
    CU_ASSERT_EQUAL_FATAL(ok.n, bad.n);
    for (size_t i = 0; i < ok.n; i++)
        CU_ASSERT_STRING_EQUAL(ok.checks[i].name, bad.checks[i].name);
    wh_conform_report_free(&ok);
    wh_conform_report_free(&bad);
}

/* A backend that deviates in small ways, each of which one check must catch. */
static const char deviant[] =
    "{\"name\":\"t-deviant\",\"description\":\"small deviations\",\"connections\":["
    /* a welcome with the keys in another order */
    "{\"path\":\"/ws/workflow/*\",\"welcome\":false,\"on_open\":[{\"send\":{\"message\":"
    "\"Connected to ViMax WebSocket server\",\"type\":\"info\",\"timestamp\":\"{{now}}\","
    "\"client_id\":\"{{client_id}}\",\"room\":\"workflow_{{workflow_id}}\"}}]},"
    /* a 403 with a body */
    "{\"path\":\"/ws/unknown\",\"action\":\"refuse\",\"status\":403,\"body\":\"nope\"}],"
    "\"replies\":["
    /* a pong with an extra key */
    "{\"type\":\"ping\",\"path\":\"/ws/coordinator\",\"do\":[{\"send\":{\"type\":\"pong\","
    "\"ts\":1}}]},"
    /* an answer where the agent endpoint is silent */
    "{\"regex\":\"^not json$\",\"path\":\"/ws/agent/*\",\"do\":[{\"emit\":\"error_reply\","
    "\"message\":\"Invalid JSON format\"}]}]}";

static void test_conform_catches_a_deviating_backend(void)
{
    const char *url = start_mock(NULL);
    struct wh_http_result r;
    const char *h[] = {"Content-Type: application/json", NULL};
    wh_http_request("127.0.0.1", mock.port, "POST", "/__mock/scenario", h, deviant, strlen(deviant),
                    3000, &r);
    if (r.resp.status != 200)
        fprintf(stderr, "\n  scenario refused: %s\n", r.resp.body ? (char *)r.resp.body : "");
    CU_ASSERT_EQUAL_FATAL(r.resp.status, 200);
    wh_http_result_free(&r);

    struct wh_conform_report rep;
    run(url, &rep);
    /* the coordinator's silences are shown by the pong that follows them: they fail too */
    const char *failed[] = {"ws.workflow.welcome",
                            "ws.workflow.client_id_given",
                            "ws.coordinator.ping",
                            "ws.coordinator.invalid_json_silent",
                            "ws.coordinator.get_metrics_silent",
                            "ws.agent.invalid_json_silent",
                            "ws.403[/ws/unknown]",
                            NULL};
    expect_failed_exactly(&rep, failed);
    CU_ASSERT_PTR_NOT_NULL(strstr(wh_conform_find(&rep, "ws.workflow.welcome")->detail,
                                  "keys are [message,type,timestamp,client_id,room]"));
    CU_ASSERT_PTR_NOT_NULL(strstr(wh_conform_find(&rep, "ws.coordinator.ping")->detail,
                                  "got {\"type\":\"pong\",\"ts\":1}"));
    CU_ASSERT_EQUAL(result_of(&rep, "ws.workflow.ping"), WH_CF_SKIP);
    CU_ASSERT_EQUAL(result_of(&rep, "ws.agent.ping"), WH_CF_PASS);
    wh_conform_report_free(&rep);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_conform_command_lines_summary_junit_and_exit_codes(void)
{
    const char *args[] = {"--profile", "pre-fix", NULL};
    char *url = strdup(start_mock(args));
    char xml_path[] = "/tmp/test_wh_conform_XXXXXX";
    int fd = mkstemp(xml_path);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    char *argv[] = {"conform", url, "--junit", xml_path, NULL};
    static char out[131072];
    CU_ASSERT_EQUAL(wh_test_run_main(wh_conform_main, argv, 4, out, sizeof(out)), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "PASS http.health\n"));
    CU_ASSERT_PTR_NOT_NULL(
        strstr(out, "FAIL http.ws_stats: status 404, expected 200: {\"detail\":\"Not Found\"}\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "SKIP ws.workflow.welcome: the upgrade failed\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\nconform: 29 passed, 7 failed, 36 skipped (72 checks, "));

    FILE *f = fopen(xml_path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    static char xml[131072];
    size_t n = fread(xml, 1, sizeof(xml) - 1, f);
    xml[n] = '\0';
    fclose(f);
    unlink(xml_path);
    CU_ASSERT(!strncmp(xml,
                       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"72\" "
                       "failures=\"7\" errors=\"0\" skipped=\"36\"",
                       96));
    CU_ASSERT_PTR_NOT_NULL(strstr(xml, "<testsuite name=\"conform\" tests=\"72\" failures=\"7\""));
    CU_ASSERT_EQUAL(count(xml, "<testcase "), 72);
    CU_ASSERT_EQUAL(count(xml, "<failure "), 7);
    CU_ASSERT_EQUAL(count(xml, "<skipped "), 36);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(xml, "<testcase name=\"http.ws_stats\" classname=\"conform.http\" time=\"0.0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(xml, "<failure message=\"status 404, expected 200: "
                                       "{&quot;detail&quot;:&quot;Not Found&quot;}\""));
    CU_ASSERT_PTR_NOT_NULL(
        strstr(xml, "<testcase name=\"ws.403[/nope]\" classname=\"conform.ws\""));
    CU_ASSERT_EQUAL(count(xml, "</testsuite>\n</testsuites>\n"), 1);
    free(url);
}

static void test_conform_command_exits_0_when_all_pass(void)
{
    char *url = strdup(start_mock(NULL));
    char *argv[] = {"conform", url, NULL};
    static char out[131072];
    CU_ASSERT_EQUAL(wh_test_run_main(wh_conform_main, argv, 2, out, sizeof(out)), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\nconform: 72 passed, 0 failed, 0 skipped"));
    CU_ASSERT_PTR_NULL(strstr(out, "FAIL "));
    free(url);
}

static void test_conform_usage_errors_exit_2(void)
{
    static char out[8192];
    char *a1[] = {"conform", NULL};
    CU_ASSERT_EQUAL(wh_test_run_main(wh_conform_main, a1, 1, out, sizeof(out)), 2);
    char *a2[] = {"conform", "wss://h:1", NULL};
    CU_ASSERT_EQUAL(wh_test_run_main(wh_conform_main, a2, 2, out, sizeof(out)), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "TLS is not supported"));
    char *a3[] = {"conform", "http://h:1", "--junit", NULL};
    CU_ASSERT_EQUAL(wh_test_run_main(wh_conform_main, a3, 3, out, sizeof(out)), 2);
    char *a4[] = {"conform", "--help", NULL};
    CU_ASSERT_EQUAL(wh_test_run_main(wh_conform_main, a4, 2, out, sizeof(out)), 0);
    CU_ASSERT(!strncmp(out, "usage: wsharness conform URL", 28));
}

static void test_conform_against_nothing_fails_every_check(void)
{
    /* A port nobody listens on: every check fails quickly with the reason, none passes. */
    const char *url = start_mock(NULL);
    char dead[64];
    snprintf(dead, sizeof(dead), "%s", url);
    teardown();
    struct wh_conform_report rep;
    run(dead, &rep);
    CU_ASSERT_EQUAL(rep.passed, 0);
    CU_ASSERT(rep.failed > 10);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(wh_conform_find(&rep, "http.health")->detail, "Connection refused"));
    wh_conform_report_free(&rep);
}

static CU_TestInfo conform_tests[] = {
    MS_TEST(test_conform_passes_against_the_deployed_wsmock),
    MS_TEST(test_conform_fails_the_enhanced_router_checks_on_prefix),
    MS_TEST(test_conform_reports_the_same_checks_whatever_fails),
    MS_TEST(test_conform_catches_a_deviating_backend),
    MS_TEST(test_conform_against_nothing_fails_every_check),
    CU_TEST_INFO_NULL,
};

static CU_TestInfo command_tests[] = {
    MS_TEST(test_conform_command_lines_summary_junit_and_exit_codes),
    MS_TEST(test_conform_command_exits_0_when_all_pass),
    MS_TEST(test_conform_usage_errors_exit_2),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"conform", NULL, NULL, NULL, teardown, conform_tests},
    {"conform_command", NULL, NULL, NULL, teardown, command_tests},
    CU_SUITE_INFO_NULL,
};
