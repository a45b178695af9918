/* test_ms_har -- unit tests of the HAR import: the committed sample, ordering, every bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ms_err.h"
#include "ms_har.h"
#include "ms_pyjson.h"
#include "ms_record.h"
#include "ms_recording.h"
#include "ms_scenario.h"
#include "ms_test.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = '\0';
    fclose(f);
    return s;
}

static void assert_text(const char *got, const char *want)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_STRING_EQUAL(got, want);
    if (strcmp(got, want))
        fprintf(stderr, "\n  got:  %s\n  want: %s\n", got, want);
}

/* A scratch directory, removed with its files by cleanup(). */
static char scratch[64];

static void make_scratch(void)
{
    snprintf(scratch, sizeof scratch, "/tmp/test_ms_har.XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(scratch));
}

static void cleanup(const char *file)
{
    unlink(file);
    rmdir(scratch);
}

static void test_har_imports_the_sample_exactly(void)
{
    make_scratch();
    char out[128];
    snprintf(out, sizeof out, "%s/sample-websocket.json", scratch);
    char *argv[] = {"import-har", MS_HAR_SAMPLE, "--out", out, NULL};
    CU_ASSERT_EQUAL_FATAL(ms_import_har_main(4, argv), 0);
    char *got = slurp(out);
    char *want = slurp(MS_HAR_GOLDEN);
    CU_ASSERT_PTR_NOT_NULL_FATAL(want);
    assert_text(got, want);
    /* and wsmock loads it */
    struct ms_diag d = {0};
    struct ms_scenario *s = ms_scenario_parse(got, strlen(got), out, &d);
    CU_ASSERT_PTR_NOT_NULL(s);
    for (size_t i = 0; i < d.n; i++)
        fprintf(stderr, "\n  %s", d.lines[i]);
    if (s) {
        CU_ASSERT_EQUAL(s->n_rules, 3);
        CU_ASSERT_EQUAL(s->n_expects, 3);
    }
    ms_scenario_free(s);
    ms_diag_free(&d);
    free(got);
    free(want);
    cleanup(out);
}

/* The connections and expectations an inline HAR gives, as compact JSON. */
static char *import_text(const char *har, char *source, char *started)
{
    struct ms_recording *rec = ms_recording_new();
    char err[512];
    int rc =
        ms_har_import(har, strlen(har), "t.har", rec, source, 64, started, 64, err, sizeof err);
    CU_ASSERT_EQUAL(rc, 0);
    if (rc)
        fprintf(stderr, "\n  %s\n", err);
    cJSON *root = ms_recording_scenario(rec, "t", "d");
    cJSON *both = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(both, "connections", cJSON_GetObjectItem(root, "connections"));
    cJSON_AddItemReferenceToObject(both, "expect", cJSON_GetObjectItem(root, "expect"));
    char *s = ms_pyjson_print(both);
    cJSON_Delete(both);
    cJSON_Delete(root);
    struct ms_recording_stats st;
    ms_recording_stats(rec, &st);
    CU_ASSERT_EQUAL(st.http, 1);
    ms_recording_free(rec);
    return s;
}

static void test_har_orders_entries_by_start_and_counts_attempts_per_path(void)
{
    const char *har =
        "{\"log\":{\"entries\":["
        /* 00:00:02Z, accepted, no timings: opens at its start */
        "{\"startedDateTime\":\"2026-01-01T00:00:02.000Z\",\"_resourceType\":\"websocket\","
        "\"request\":{\"url\":\"ws://h:1/ws/b\"},\"response\":{\"status\":101},"
        "\"_webSocketMessages\":[{\"type\":\"receive\",\"time\":1767225602.5,\"opcode\":2,\"data\":"
        "\"AAEC\"},{\"type\":\"send\",\"time\":1767225602.6,\"opcode\":2,\"data\":\"AQ==\"},"
        "{\"type\":\"send\",\"time\":1767225603.0,\"opcode\":1,\"data\":\"hi\"}]},"
        /* 00:00:01Z (written with an offset), refused with a base64 body */
        "{\"startedDateTime\":\"2026-01-01T01:00:01.000+01:00\",\"request\":{\"url\":"
        "\"ws://h:1/ws/b?x=1\"},\"response\":{\"status\":403,\"headers\":[{\"name\":\"X-Why\","
        "\"value\":\"no\"},{\"name\":\"date\",\"value\":\"x\"}],\"content\":{\"text\":\"ZGVuaWVk\","
        "\"encoding\":\"base64\"}}},"
        /* 00:00:03Z, never answered */
        "{\"startedDateTime\":\"2026-01-01T00:00:03Z\",\"request\":{\"url\":\"wss://h/ws/c\"},"
        "\"response\":{\"status\":0}},"
        /* plain HTTP */
        "{\"startedDateTime\":\"2026-01-01T00:00:00Z\",\"request\":{\"url\":\"http://h/x\"},"
        "\"response\":{\"status\":200}},"
        /* 00:00:04Z, accepted; its timings end after its first message: opens at that message */
        "{\"startedDateTime\":\"2026-01-01T00:00:04.000Z\",\"request\":{\"url\":\"ws://h:1/ws/b\"},"
        "\"response\":{\"status\":101},\"timings\":{\"blocked\":5000,\"dns\":-1},"
        "\"_webSocketMessages\":[{\"type\":\"receive\",\"time\":1767225604.1,\"opcode\":1,"
        "\"data\":\"x\"}]}"
        "]}}";
    char source[64], started[64];
    char *got = import_text(har, source, started);
    assert_text(
        got, "{\"connections\":[{\"path\":\"/ws/b\",\"attempts\":1,\"action\":\"refuse\","
             "\"status\":403,\"headers\":{\"X-Why\":\"no\"},\"body\":\"denied\"},{\"path\":"
             "\"/ws/b\",\"attempts\":2,\"action\":\"accept\",\"welcome\":false,\"on_open\":[{"
             "\"wait_ms\":500},{\"send_binary\":\"AAEC\"}],\"replies\":[{\"regex\":\".*\",\"do\":"
             "[]}]},{\"path\":\"/ws/b\",\"attempts\":3,\"action\":\"accept\",\"welcome\":false,"
             "\"on_open\":[{\"send_text\":\"x\"}],\"replies\":[{\"regex\":\".*\",\"do\":[]}]},{"
             "\"path\":\"/ws/c\",\"attempts\":1,\"action\":\"reset\"}],\"expect\":[{\"name\":"
             "\"conn 2 frame 2\",\"client_sends\":\"hi\",\"path\":\"/ws/b\",\"within_ms\":1500}]}");
    CU_ASSERT_STRING_EQUAL(source, "ws://h:1");
    CU_ASSERT_STRING_EQUAL(started, "2026-01-01T01:00:01.000+01:00");
    free(got);
}

static void expect_error(const char *har, int rc, const char *want)
{
    struct ms_recording *rec = ms_recording_new();
    char err[512], source[64], started[64];
    CU_ASSERT_EQUAL(ms_har_import(har, strlen(har), "x.har", rec, source, sizeof source, started,
                                  sizeof started, err, sizeof err),
                    rc);
    assert_text(err, want);
    ms_recording_free(rec);
}

#define ENTRY_HEAD "{\"log\":{\"entries\":[{\"startedDateTime\":\"2026-01-01T00:00:00Z\","
#define WS_OK "\"request\":{\"url\":\"ws://h/ws/a\"},\"response\":{\"status\":101}"

static void test_har_reports_bad_input_with_file_and_json_path(void)
{
    expect_error("not json", MS_ERR_PARSE, "x.har:1:1: JSON syntax error");
    expect_error("{\n  \"log\": [1,]\n}", MS_ERR_PARSE, "x.har:2:13: JSON syntax error");
    expect_error("{} x", MS_ERR_PARSE,
                 "x.har: JSON syntax error: extra data after the top-level value");
    expect_error("", MS_ERR_PARSE, "x.har:1:1: JSON syntax error");
    expect_error("[]", MS_ERR_INVALID, "x.har: $: expected an object, got an array");
    expect_error("{}", MS_ERR_INVALID, "x.har: $.log: expected an object, got nothing");
    expect_error("{\"log\":{\"entries\":{}}}", MS_ERR_INVALID,
                 "x.har: $.log.entries: expected an array, got an object");
    expect_error("{\"log\":{\"entries\":[{\"request\":{\"url\":\"http://h/\"},\"response\":{"
                 "\"status\":200}}]}}",
                 MS_ERR_INVALID,
                 "x.har: $.log.entries: no WebSocket entry (one with _resourceType \"websocket\", "
                 "status 101, _webSocketMessages or a ws:// URL)");
    expect_error("{\"log\":{\"entries\":[1]}}", MS_ERR_INVALID,
                 "x.har: $.log.entries[0]: expected an object, got a number");
    expect_error("{\"log\":{\"entries\":[{}]}}", MS_ERR_INVALID,
                 "x.har: $.log.entries[0].request: expected an object, got nothing");
    expect_error("{\"log\":{\"entries\":[{\"request\":{\"url\":5},\"response\":{}}]}}",
                 MS_ERR_INVALID,
                 "x.har: $.log.entries[0].request.url: expected a string, got a number");
    expect_error(
        "{\"log\":{\"entries\":[{\"request\":{\"url\":\"ws://h/\"},\"response\":{\"status\":"
        "\"101\"}}]}}",
        MS_ERR_INVALID, "x.har: $.log.entries[0].response.status: expected a number, got a string");
    expect_error("{\"log\":{\"entries\":[{" WS_OK "}]}}", MS_ERR_INVALID,
                 "x.har: $.log.entries[0].startedDateTime: expected a string, got nothing");
    expect_error("{\"log\":{\"entries\":[{\"startedDateTime\":\"yesterday\"," WS_OK "}]}}",
                 MS_ERR_INVALID,
                 "x.har: $.log.entries[0].startedDateTime: expected an ISO 8601 date and time, got "
                 "\"yesterday\"");
    expect_error(ENTRY_HEAD "\"_resourceType\":\"websocket\",\"request\":{\"url\":\"/ws/a\"},"
                            "\"response\":{\"status\":101}}]}}",
                 MS_ERR_INVALID,
                 "x.har: $.log.entries[0].request.url: expected an absolute URL, got \"/ws/a\"");
    expect_error(ENTRY_HEAD WS_OK ",\"_webSocketMessages\":{}}]}}", MS_ERR_INVALID,
                 "x.har: $.log.entries[0]._webSocketMessages: expected an array, got an object");
    expect_error(ENTRY_HEAD WS_OK ",\"_webSocketMessages\":[{\"type\":\"send\",\"time\":1,"
                                  "\"opcode\":1,\"data\":\"\"},{\"type\":\"sent\",\"time\":1,"
                                  "\"opcode\":1,\"data\":\"\"}]}]}}",
                 MS_ERR_INVALID,
                 "x.har: $.log.entries[0]._webSocketMessages[1].type: expected \"send\" or "
                 "\"receive\", got \"sent\"");
    expect_error(ENTRY_HEAD WS_OK ",\"_webSocketMessages\":[{\"type\":\"send\",\"time\":1,"
                                  "\"opcode\":9,\"data\":\"\"}]}]}}",
                 MS_ERR_INVALID,
                 "x.har: $.log.entries[0]._webSocketMessages[0].opcode: expected 1 (text) or 2 "
                 "(binary), got 9");
    expect_error(ENTRY_HEAD WS_OK ",\"_webSocketMessages\":[{\"type\":\"send\",\"time\":\"1\","
                                  "\"opcode\":1,\"data\":\"\"}]}]}}",
                 MS_ERR_INVALID,
                 "x.har: $.log.entries[0]._webSocketMessages[0].time: expected a number, got a "
                 "string");
    expect_error(ENTRY_HEAD WS_OK ",\"_webSocketMessages\":[{\"type\":\"send\",\"time\":-1,"
                                  "\"opcode\":1,\"data\":\"\"}]}]}}",
                 MS_ERR_INVALID,
                 "x.har: $.log.entries[0]._webSocketMessages[0].time: expected epoch seconds, got "
                 "-1");
    expect_error(ENTRY_HEAD WS_OK ",\"_webSocketMessages\":[{\"type\":\"send\",\"time\":1,"
                                  "\"opcode\":1}]}]}}",
                 MS_ERR_INVALID,
                 "x.har: $.log.entries[0]._webSocketMessages[0].data: expected a string, got "
                 "nothing");
    expect_error(ENTRY_HEAD WS_OK ",\"_webSocketMessages\":[{\"type\":\"receive\",\"time\":1,"
                                  "\"opcode\":2,\"data\":\"%%%\"}]}]}}",
                 MS_ERR_INVALID,
                 "x.har: $.log.entries[0]._webSocketMessages[0].data: opcode 2 data is not valid "
                 "base64");
    expect_error(ENTRY_HEAD WS_OK ",\"_webSocketMessages\":[null]}]}}", MS_ERR_INVALID,
                 "x.har: $.log.entries[0]._webSocketMessages[0]: expected an object, got null");
    expect_error(ENTRY_HEAD "\"request\":{\"url\":\"ws://h/\"},\"response\":{\"status\":403,"
                            "\"headers\":{}}}]}}",
                 MS_ERR_INVALID,
                 "x.har: $.log.entries[0].response.headers: expected an array, got an object");
    expect_error(ENTRY_HEAD "\"request\":{\"url\":\"ws://h/\"},\"response\":{\"status\":403,"
                            "\"headers\":[{\"name\":\"a\",\"value\":true}]}}]}}",
                 MS_ERR_INVALID,
                 "x.har: $.log.entries[0].response.headers[0].value: expected a string, got a "
                 "boolean");
    expect_error(ENTRY_HEAD "\"request\":{\"url\":\"ws://h/\"},\"response\":{\"status\":403,"
                            "\"content\":{\"text\":\"@\",\"encoding\":\"base64\"}}}]}}",
                 MS_ERR_INVALID, "x.har: $.log.entries[0].response.content.text: not valid base64");
    expect_error(ENTRY_HEAD "\"request\":{\"url\":\"ws://h/\"},\"response\":{\"status\":999}}]}}",
                 MS_ERR_INVALID,
                 "x.har: $.log.entries[0].response.status: expected an HTTP status, got 999");
}

static void test_har_parses_iso_times_with_and_without_zones(void)
{
    long long us = 0;
    CU_ASSERT_EQUAL(ms_har_parse_time("2026-01-01T00:00:00Z", &us), 0);
    CU_ASSERT_EQUAL(us, 1767225600000000LL);
    CU_ASSERT_EQUAL(ms_har_parse_time("2026-01-01T00:00:00.5Z", &us), 0);
    CU_ASSERT_EQUAL(us, 1767225600500000LL);
    CU_ASSERT_EQUAL(ms_har_parse_time("2026-01-01T00:00:00.1234567", &us), 0);
    CU_ASSERT_EQUAL(us, 1767225600123456LL);
    CU_ASSERT_EQUAL(ms_har_parse_time("2026-01-01T05:30:00+05:30", &us), 0);
    CU_ASSERT_EQUAL(us, 1767225600000000LL);
    CU_ASSERT_EQUAL(ms_har_parse_time("2025-12-31T23:00:00-0100", &us), 0);
    CU_ASSERT_EQUAL(us, 1767225600000000LL);
    CU_ASSERT_EQUAL(ms_har_parse_time("2026-01-01", &us), MS_ERR_PARSE);
    CU_ASSERT_EQUAL(ms_har_parse_time("2026-13-01T00:00:00Z", &us), MS_ERR_PARSE);
    CU_ASSERT_EQUAL(ms_har_parse_time("2026-01-01T00:00:00.Z", &us), MS_ERR_PARSE);
    CU_ASSERT_EQUAL(ms_har_parse_time("2026-01-01T00:00:00Zjunk", &us), MS_ERR_PARSE);
}

static void test_har_command_exit_codes(void)
{
    make_scratch();
    char out[128], bad[128];
    snprintf(out, sizeof out, "%s/o.json", scratch);
    snprintf(bad, sizeof bad, "%s/bad.har", scratch);
    FILE *f = fopen(bad, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("{\"log\":{}}", f);
    fclose(f);
    char *help[] = {"import-har", "--help", NULL};
    CU_ASSERT_EQUAL(ms_import_har_main(2, help), 0);
    char *none[] = {"import-har", NULL};
    CU_ASSERT_EQUAL(ms_import_har_main(1, none), 2);
    char *no_out[] = {"import-har", MS_HAR_SAMPLE, NULL};
    CU_ASSERT_EQUAL(ms_import_har_main(2, no_out), 2);
    char *unknown[] = {"import-har", MS_HAR_SAMPLE, "--out", out, "--bogus", NULL};
    CU_ASSERT_EQUAL(ms_import_har_main(5, unknown), 2);
    char *two[] = {"import-har", MS_HAR_SAMPLE, MS_HAR_SAMPLE, "--out", out, NULL};
    CU_ASSERT_EQUAL(ms_import_har_main(5, two), 2);
    char *missing[] = {"import-har", "/nonexistent/x.har", "--out", out, NULL};
    CU_ASSERT_EQUAL(ms_import_har_main(4, missing), 2);
    char *baddir[] = {"import-har", MS_HAR_SAMPLE, "--out", "/nonexistent/dir/o.json", NULL};
    CU_ASSERT_EQUAL(ms_import_har_main(4, baddir), 2);
    char *badhar[] = {"import-har", bad, "--out", out, NULL};
    CU_ASSERT_EQUAL(ms_import_har_main(4, badhar), 2);
    CU_ASSERT_EQUAL(access(out, F_OK), -1); /* nothing written on bad input */
    char *eq[] = {"import-har", MS_HAR_SAMPLE, NULL, NULL};
    char opt[160];
    snprintf(opt, sizeof opt, "--out=%s", out);
    eq[2] = opt;
    CU_ASSERT_EQUAL(ms_import_har_main(3, eq), 0);
    CU_ASSERT_EQUAL(access(out, F_OK), 0);
    unlink(bad);
    cleanup(out);
}

static CU_TestInfo tests[] = {
    MS_TEST(test_har_imports_the_sample_exactly),
    MS_TEST(test_har_orders_entries_by_start_and_counts_attempts_per_path),
    MS_TEST(test_har_reports_bad_input_with_file_and_json_path),
    MS_TEST(test_har_parses_iso_times_with_and_without_zones),
    MS_TEST(test_har_command_exit_codes),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"ms_har", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};
