/* test_ms_recording -- unit tests of the recording and the scenario it writes (exact JSON). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ms_err.h"
#include "ms_pyjson.h"
#include "ms_recording.h"
#include "ms_scenario.h"
#include "ms_test.h"

#define T0 5000000LL /* an open time, in microseconds */

static void assert_text(const char *got, const char *want)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_STRING_EQUAL(got, want);
    if (strcmp(got, want))
        fprintf(stderr, "\n  got:\n%s\n  want:\n%s\n", got, want);
}

/* The scenario's "connections" and "expect" as compact JSON. */
static char *rules_and_expect(const struct ms_recording *rec)
{
    cJSON *root = ms_recording_scenario(rec, "t", "d");
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    cJSON *both = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(both, "connections", cJSON_GetObjectItem(root, "connections"));
    cJSON_AddItemReferenceToObject(both, "expect", cJSON_GetObjectItem(root, "expect"));
    char *s = ms_pyjson_print(both);
    cJSON_Delete(both);
    cJSON_Delete(root);
    return s;
}

/* Checks that the rendered scenario loads in wsmock's own loader without a problem. */
static void assert_loads(const struct ms_recording *rec)
{
    char *text = ms_recording_render(rec, "loads", "A recording.");
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    struct ms_diag d = {0};
    struct ms_scenario *s = ms_scenario_parse(text, strlen(text), "<recorded>", &d);
    CU_ASSERT_PTR_NOT_NULL(s);
    for (size_t i = 0; i < d.n; i++)
        fprintf(stderr, "\n  %s", d.lines[i]);
    ms_scenario_free(s);
    ms_diag_free(&d);
    free(text);
}

static const char *const refusal_403[] = {"Date",
                                          "Wed, 25 Nov 2026 19:48:01 GMT",
                                          "Content-Length",
                                          "0",
                                          "Content-Type",
                                          "text/plain",
                                          "Connection",
                                          "close",
                                          NULL};

/* Accepted with frames, waits and a close; refused twice; a second attempt that is dropped. */
static struct ms_recording *full_recording(void)
{
    struct ms_recording *rec = ms_recording_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
    CU_ASSERT_EQUAL(ms_recording_upgrade(rec, "/ws/coordinator"), 1);
    CU_ASSERT_EQUAL(ms_recording_accept(rec, 1, T0), 0);
    const char *info = "{\"type\":\"info\",\"message\":\"hi\"}";
    CU_ASSERT_EQUAL(ms_recording_server_message(rec, 1, T0, 0, info, strlen(info)), 0);
    CU_ASSERT_EQUAL(ms_recording_client_message(rec, 1, T0 + 12300, 0, "{\"type\":\"ping\"}", 15),
                    0);
    CU_ASSERT_EQUAL(ms_recording_server_message(rec, 1, T0 + 13000, 0, "{\"type\":\"pong\"}", 15),
                    0);
    CU_ASSERT_EQUAL(ms_recording_server_message(rec, 1, T0 + 13400, 1, "\x00\x01\x02\xff", 4), 0);
    CU_ASSERT_EQUAL(ms_recording_client_message(rec, 1, T0 + 20000, 1, "\x01", 1), 0);
    CU_ASSERT_EQUAL(ms_recording_client_message(rec, 1, T0 + 1000000, 0, "not json", 8), 0);
    CU_ASSERT_EQUAL(ms_recording_server_close(rec, 1, T0 + 1500000, 1001, "going away", 10), 0);

    CU_ASSERT_EQUAL(ms_recording_upgrade(rec, "/ws/nope"), 2);
    CU_ASSERT_EQUAL(ms_recording_refuse(rec, 2, 403, refusal_403, "", 0), 0);

    CU_ASSERT_EQUAL(ms_recording_upgrade(rec, "/ws/coordinator"), 3);
    CU_ASSERT_EQUAL(ms_recording_accept(rec, 3, 9000000), 0);
    CU_ASSERT_EQUAL(
        ms_recording_client_message(rec, 3, 9100000, 0, "{\"type\":\"get_metrics\",\"n\":1.0}", 30),
        0);
    CU_ASSERT_EQUAL(
        ms_recording_server_message(rec, 3, 11000000, 0, "{\"type\":\"heartbeat\"}", 20), 0);
    CU_ASSERT_EQUAL(ms_recording_server_drop(rec, 3, 11250000), 0);

    CU_ASSERT_EQUAL(ms_recording_upgrade(rec, "/ws/workflow/wf-1"), 4);
    const char *const h503[] = {"Retry-After", "5", "X-A", "1", "x-a", "2", NULL};
    CU_ASSERT_EQUAL(ms_recording_refuse(rec, 4, 503, h503, "down", 4), 0);
    return rec;
}

static void test_recording_writes_the_exact_scenario(void)
{
    struct ms_recording *rec = full_recording();
    char *got = ms_recording_render(rec, "full",
                                    "Recorded from http://127.0.0.1:3001 on 2026-11-26T00:00:00Z");
    const char *want =
        "{\n"
        "  \"name\": \"full\",\n"
        "  \"description\": \"Recorded from http://127.0.0.1:3001 on 2026-11-26T00:00:00Z\",\n"
        "  \"keywords\": [\n"
        "    \"recorded\"\n"
        "  ],\n"
        "  \"profile\": \"deployed\",\n"
        "  \"heartbeat_ms\": 0,\n"
        "  \"connections\": [\n"
        "    {\n"
        "      \"path\": \"/ws/coordinator\",\n"
        "      \"attempts\": 1,\n"
        "      \"action\": \"accept\",\n"
        "      \"welcome\": false,\n"
        "      \"on_open\": [\n"
        "        {\n"
        "          \"send_text\": \"{\\\"type\\\":\\\"info\\\",\\\"message\\\":\\\"hi\\\"}\"\n"
        "        },\n"
        "        {\n"
        "          \"wait_ms\": 13\n"
        "        },\n"
        "        {\n"
        "          \"send_text\": \"{\\\"type\\\":\\\"pong\\\"}\"\n"
        "        },\n"
        "        {\n"
        "          \"send_binary\": \"AAEC/w==\"\n"
        "        },\n"
        "        {\n"
        "          \"wait_ms\": 1487\n"
        "        },\n"
        "        {\n"
        "          \"close\": 1001,\n"
        "          \"reason\": \"going away\"\n"
        "        }\n"
        "      ],\n"
        "      \"replies\": [\n"
        "        {\n"
        "          \"regex\": \".*\",\n"
        "          \"do\": []\n"
        "        }\n"
        "      ]\n"
        "    },\n"
        "    {\n"
        "      \"path\": \"/ws/coordinator\",\n"
        "      \"attempts\": 2,\n"
        "      \"action\": \"accept\",\n"
        "      \"welcome\": false,\n"
        "      \"on_open\": [\n"
        "        {\n"
        "          \"wait_ms\": 2000\n"
        "        },\n"
        "        {\n"
        "          \"send_text\": \"{\\\"type\\\":\\\"heartbeat\\\"}\"\n"
        "        },\n"
        "        {\n"
        "          \"wait_ms\": 250\n"
        "        },\n"
        "        {\n"
        "          \"drop\": true\n"
        "        }\n"
        "      ],\n"
        "      \"replies\": [\n"
        "        {\n"
        "          \"regex\": \".*\",\n"
        "          \"do\": []\n"
        "        }\n"
        "      ]\n"
        "    },\n"
        "    {\n"
        "      \"path\": \"/ws/nope\",\n"
        "      \"attempts\": 1,\n"
        "      \"action\": \"refuse\",\n"
        "      \"status\": 403,\n"
        "      \"headers\": {\n"
        "        \"Content-Type\": \"text/plain\"\n"
        "      },\n"
        "      \"body\": \"\"\n"
        "    },\n"
        "    {\n"
        "      \"path\": \"/ws/workflow/wf-1\",\n"
        "      \"attempts\": 1,\n"
        "      \"action\": \"refuse\",\n"
        "      \"status\": 503,\n"
        "      \"headers\": {\n"
        "        \"Retry-After\": \"5\",\n"
        "        \"X-A\": \"1, 2\"\n"
        "      },\n"
        "      \"body\": \"down\"\n"
        "    }\n"
        "  ],\n"
        "  \"expect\": [\n"
        "    {\n"
        "      \"name\": \"conn 1 frame 1\",\n"
        "      \"client_sends\": {\n"
        "        \"type\": \"ping\"\n"
        "      },\n"
        "      \"path\": \"/ws/coordinator\",\n"
        "      \"within_ms\": 262\n"
        "    },\n"
        "    {\n"
        "      \"name\": \"conn 1 frame 3\",\n"
        "      \"client_sends\": \"not json\",\n"
        "      \"path\": \"/ws/coordinator\",\n"
        "      \"within_ms\": 1500\n"
        "    },\n"
        "    {\n"
        "      \"name\": \"conn 3 frame 1\",\n"
        "      \"client_sends\": {\n"
        "        \"type\": \"get_metrics\",\n"
        "        \"n\": 1.0\n"
        "      },\n"
        "      \"path\": \"/ws/coordinator\",\n"
        "      \"within_ms\": 350\n"
        "    }\n"
        "  ]\n"
        "}\n";
    assert_text(got, want);
    free(got);
    assert_loads(rec);
    struct ms_recording_stats st;
    ms_recording_stats(rec, &st);
    CU_ASSERT_EQUAL(st.upgrades, 4);
    CU_ASSERT_EQUAL(st.accepted, 2);
    CU_ASSERT_EQUAL(st.refused, 2);
    CU_ASSERT_EQUAL(st.reset, 0);
    CU_ASSERT_EQUAL(st.unanswered, 0);
    CU_ASSERT_EQUAL(st.server_frames, 5);
    CU_ASSERT_EQUAL(st.client_frames, 3);
    CU_ASSERT_EQUAL(st.client_skipped, 1);
    CU_ASSERT_EQUAL(st.adjusted, 0);
    ms_recording_free(rec);
}

static void test_recording_client_closing_first_ends_the_script_without_a_close(void)
{
    struct ms_recording *rec = ms_recording_new();
    ms_recording_upgrade(rec, "/ws/agent/a1");
    ms_recording_accept(rec, 1, T0);
    ms_recording_server_message(rec, 1, T0 + 400, 0, "w", 1);
    CU_ASSERT_EQUAL(ms_recording_client_close(rec, 1, T0 + 5000), 0);
    /* what the server does after the client's close is its answer, not part of the script */
    CU_ASSERT_EQUAL(ms_recording_server_message(rec, 1, T0 + 5100, 0, "late", 4), 0);
    CU_ASSERT_EQUAL(ms_recording_server_close(rec, 1, T0 + 5200, 1000, "", 0), 0);
    CU_ASSERT_EQUAL(ms_recording_server_drop(rec, 1, T0 + 5300), 0);
    char *got = rules_and_expect(rec);
    assert_text(got, "{\"connections\":[{\"path\":\"/ws/agent/a1\",\"attempts\":1,\"action\":"
                     "\"accept\",\"welcome\":false,\"on_open\":[{\"send_text\":\"w\"}],\"replies\":"
                     "[{\"regex\":\".*\",\"do\":[]}]}],\"expect\":[]}");
    free(got);
    ms_recording_free(rec);
}

static void test_recording_server_close_first_ignores_later_server_events(void)
{
    struct ms_recording *rec = ms_recording_new();
    ms_recording_upgrade(rec, "/ws/x");
    ms_recording_accept(rec, 1, T0);
    ms_recording_server_close(rec, 1, T0 + 2600, 4000, "custom", 6);
    ms_recording_server_message(rec, 1, T0 + 2700, 0, "late", 4);
    ms_recording_server_drop(rec, 1, T0 + 2800);
    ms_recording_client_close(rec, 1, T0 + 2900);
    /* a client message still in flight when the server closed is still an expectation */
    ms_recording_client_message(rec, 1, T0 + 2650, 0, "{}", 2);
    char *got = rules_and_expect(rec);
    assert_text(
        got, "{\"connections\":[{\"path\":\"/ws/x\",\"attempts\":1,\"action\":\"accept\","
             "\"welcome\":false,\"on_open\":[{\"wait_ms\":3},{\"close\":4000,\"reason\":"
             "\"custom\"}],\"replies\":[{\"regex\":\".*\",\"do\":[]}]}],\"expect\":[{\"name"
             "\":\"conn 1 frame 1\",\"client_sends\":{},\"path\":\"/ws/x\",\"within_ms\":253}]}");
    free(got);
    ms_recording_free(rec);
}

static void test_recording_writes_text_it_cannot_template_as_bytes(void)
{
    struct ms_recording *rec = ms_recording_new();
    ms_recording_upgrade(rec, "/ws/x");
    ms_recording_accept(rec, 1, T0);
    ms_recording_server_message(rec, 1, T0, 0, "{{now}}", 7);      /* would be templated */
    ms_recording_server_message(rec, 1, T0, 0, "\xc3\x28", 2);     /* not UTF-8 */
    ms_recording_server_message(rec, 1, T0, 0, "a\0b\xc3\xa9", 5); /* NUL and e-acute */
    ms_recording_server_message(rec, 1, T0, 0, "", 0);
    char *got = rules_and_expect(rec);
    assert_text(got, "{\"connections\":[{\"path\":\"/ws/x\",\"attempts\":1,\"action\":\"accept\","
                     "\"welcome\":false,\"on_open\":[{\"send_bytes\":\"e3tub3d9fQ==\",\"opcode\":"
                     "\"text\"},{\"send_bytes\":\"wyg=\",\"opcode\":\"text\"},{\"send_text\":"
                     "\"a\\u0000b\xc3\xa9\"},{\"send_text\":\"\"}],\"replies\":[{\"regex\":\".*\","
                     "\"do\":[]}]}],\"expect\":[]}");
    free(got);
    assert_loads(rec);
    ms_recording_free(rec);
}

static void test_recording_adjusts_what_a_scenario_cannot_send(void)
{
    struct ms_recording *rec = ms_recording_new();
    ms_recording_upgrade(rec, "/ws/a");
    ms_recording_accept(rec, 1, T0);
    ms_recording_server_ping(rec, 1, T0 + 1000, "hb", 2);
    ms_recording_server_ping(rec, 1, T0 + 2000, "\xff", 1);  /* not UTF-8: left out */
    ms_recording_server_close(rec, 1, T0 + 3000, -1, "", 0); /* no code: 1000 */
    ms_recording_upgrade(rec, "/ws/a");
    ms_recording_accept(rec, 2, T0);
    ms_recording_server_close(rec, 2, T0, 1005, "\xff", 1); /* unsendable code, bad reason */
    char *got = rules_and_expect(rec);
    assert_text(got,
                "{\"connections\":[{\"path\":\"/ws/a\",\"attempts\":1,\"action\":\"accept\","
                "\"welcome\":false,\"on_open\":[{\"wait_ms\":1},{\"ws_ping\":\"hb\"},"
                "{\"wait_ms\":2},{\"close\":1000,\"reason\":\"\"}],\"replies\":"
                "[{\"regex\":\".*\",\"do\":[]}]},{\"path\":\"/ws/a\",\"attempts\":2,\"action\":"
                "\"accept\",\"welcome\":false,\"on_open\":[{\"close\":1000,\"reason\":\"\"}],"
                "\"replies\":[{\"regex\":\".*\",\"do\":[]}]}],\"expect\":[]}");
    free(got);
    struct ms_recording_stats st;
    ms_recording_stats(rec, &st);
    CU_ASSERT_EQUAL(st.adjusted, 3);
    CU_ASSERT_EQUAL(st.server_frames, 4);
    assert_loads(rec);
    ms_recording_free(rec);
}

static void test_recording_writes_reset_and_unanswered_attempts(void)
{
    struct ms_recording *rec = ms_recording_new();
    ms_recording_upgrade(rec, "/ws/r");
    ms_recording_upgrade(rec, "/ws/h");
    CU_ASSERT_EQUAL(ms_recording_reset(rec, 1), 0);
    char *got = rules_and_expect(rec);
    assert_text(got, "{\"connections\":[{\"path\":\"/ws/r\",\"attempts\":1,\"action\":\"reset\"},"
                     "{\"path\":\"/ws/h\",\"attempts\":1,\"action\":\"hang\"}],\"expect\":[]}");
    free(got);
    struct ms_recording_stats st;
    ms_recording_stats(rec, &st);
    CU_ASSERT_EQUAL(st.reset, 1);
    CU_ASSERT_EQUAL(st.unanswered, 1);
    assert_loads(rec);
    ms_recording_free(rec);
}

static void test_recording_expectation_slack_is_half_the_time_but_at_least_250_ms(void)
{
    struct ms_recording *rec = ms_recording_new();
    ms_recording_upgrade(rec, "/ws/x");
    ms_recording_accept(rec, 1, T0);
    ms_recording_client_message(rec, 1, T0 + 499000, 0, "[1]", 3);    /* 499 + 250 */
    ms_recording_client_message(rec, 1, T0 + 501000, 0, "1", 1);      /* 501 + 250 */
    ms_recording_client_message(rec, 1, T0 + 3000400, 0, "\"s\"", 3); /* 3000 + 1500 */
    ms_recording_client_message(rec, 1, T0 + 100, 0, "\xff", 1);      /* not UTF-8: skipped */
    ms_recording_client_message(rec, 1, T0 + 200, 0, "{\"a\":[1,{\"b\":null}]}", 20);
    char *got = rules_and_expect(rec);
    const char *x = strstr(got, "\"expect\":");
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    assert_text(x, "\"expect\":[{\"name\":\"conn 1 frame 1\",\"client_sends\":\"[1]\",\"path\":"
                   "\"/ws/x\",\"within_ms\":749},{\"name\":\"conn 1 frame 2\",\"client_sends\":"
                   "\"1\",\"path\":\"/ws/x\",\"within_ms\":751},{\"name\":\"conn 1 frame 3\","
                   "\"client_sends\":\"\\\"s\\\"\",\"path\":\"/ws/x\",\"within_ms\":4500},{\"name"
                   "\":\"conn 1 frame 5\",\"client_sends\":{\"a\":[1,{\"b\":null}]},\"path\":"
                   "\"/ws/x\",\"within_ms\":250}]}");
    free(got);
    assert_loads(rec);
    ms_recording_free(rec);
}

static void test_recording_refuses_events_in_the_wrong_state(void)
{
    struct ms_recording *rec = ms_recording_new();
    CU_ASSERT_EQUAL(ms_recording_accept(rec, 1, 0), MS_ERR_NOT_FOUND);
    CU_ASSERT_EQUAL(ms_recording_accept(rec, 0, 0), MS_ERR_NOT_FOUND);
    ms_recording_upgrade(rec, "/ws/x");
    CU_ASSERT_EQUAL(ms_recording_server_message(rec, 1, 0, 0, "x", 1), MS_ERR_INVALID);
    CU_ASSERT_EQUAL(ms_recording_client_close(rec, 1, 0), MS_ERR_INVALID);
    CU_ASSERT_EQUAL(ms_recording_refuse(rec, 1, 403, NULL, NULL, 0), 0);
    CU_ASSERT_EQUAL(ms_recording_accept(rec, 1, 0), MS_ERR_INVALID);
    CU_ASSERT_EQUAL(ms_recording_reset(rec, 1), MS_ERR_INVALID);
    CU_ASSERT_EQUAL(ms_recording_server_drop(rec, 1, 0), MS_ERR_INVALID);
    CU_ASSERT_EQUAL(ms_recording_server_drop(rec, 2, 0), MS_ERR_NOT_FOUND);
    ms_recording_http(rec);
    ms_recording_http(rec);
    struct ms_recording_stats st;
    ms_recording_stats(rec, &st);
    CU_ASSERT_EQUAL(st.http, 2);
    CU_ASSERT_EQUAL(st.refused, 1);
    ms_recording_free(rec);
    ms_recording_free(NULL);
}

static void test_recording_refusal_body_that_is_not_utf8_gets_replacement_characters(void)
{
    struct ms_recording *rec = ms_recording_new();
    ms_recording_upgrade(rec, "/ws/x");
    const char *const h[] = {"X-Bin", "a\xff", NULL};
    ms_recording_refuse(rec, 1, 400, h, "ok\xffok\0", 6);
    char *got = rules_and_expect(rec);
    assert_text(got, "{\"connections\":[{\"path\":\"/ws/x\",\"attempts\":1,\"action\":\"refuse\","
                     "\"status\":400,\"headers\":{\"X-Bin\":\"a\xef\xbf\xbd\"},\"body\":\"ok"
                     "\xef\xbf\xbdok\\u0000\"}],\"expect\":[]}");
    free(got);
    ms_recording_free(rec);
}

static void test_recording_breaks_placeholders_and_drops_headers_a_refusal_cannot_send(void)
{
    struct ms_recording *rec = ms_recording_new();
    ms_recording_upgrade(rec, "/ws/x");
    const char *const h[] = {"X-T", "{{now}}", "Bad Name", "v", "", "empty name", NULL};
    CU_ASSERT_EQUAL(ms_recording_refuse(rec, 1, 503, h, "a{{{b", 5), 0);
    char *got = rules_and_expect(rec);
    assert_text(got, "{\"connections\":[{\"path\":\"/ws/x\",\"attempts\":1,\"action\":\"refuse\","
                     "\"status\":503,\"headers\":{\"X-T\":\"{ {now}}\"},\"body\":\"a{ { {b\"}],"
                     "\"expect\":[]}");
    free(got);
    struct ms_recording_stats st;
    ms_recording_stats(rec, &st);
    CU_ASSERT_EQUAL(st.adjusted, 4); /* the value, the body, two headers left out */
    assert_loads(rec);
    ms_recording_free(rec);
}

static void test_recording_keeps_waits_and_reasons_within_the_format(void)
{
    struct ms_recording *rec = ms_recording_new();
    ms_recording_upgrade(rec, "/ws/x");
    ms_recording_accept(rec, 1, T0);
    ms_recording_server_message(rec, 1, T0 - 5000000, 0, "early", 5);      /* before the open */
    ms_recording_server_message(rec, 1, T0 + 90000000000LL, 0, "late", 4); /* 25 h later */
    ms_recording_client_message(rec, 1, T0 + 900000000000LL, 0, "x", 1);
    char reason[123];
    memset(reason, 0, sizeof reason); /* 123 NUL bytes: 246 once written */
    ms_recording_server_close(rec, 1, INT64_MAX, 4000, reason, sizeof reason);
    char *got = rules_and_expect(rec);
    assert_text(got, "{\"connections\":[{\"path\":\"/ws/x\",\"attempts\":1,\"action\":\"accept\","
                     "\"welcome\":false,\"on_open\":[{\"send_text\":\"early\"},{\"wait_ms\":"
                     "86400000},{\"send_text\":\"late\"},{\"wait_ms\":86400000},{\"close\":4000,"
                     "\"reason\":\"\"}],\"replies\":[{\"regex\":\".*\",\"do\":[]}]}],\"expect\":"
                     "[{\"name\":\"conn 1 frame 1\",\"client_sends\":\"x\",\"path\":\"/ws/x\","
                     "\"within_ms\":864000000}]}");
    free(got);
    struct ms_recording_stats st;
    ms_recording_stats(rec, &st);
    CU_ASSERT_EQUAL(st.adjusted, 2); /* events: "late" (its wait), the close (wait, reason) */
    assert_loads(rec);
    ms_recording_free(rec);
}

static void test_recording_refuses_paths_a_scenario_cannot_name(void)
{
    struct ms_recording *rec = ms_recording_new();
    CU_ASSERT_EQUAL(ms_recording_upgrade(rec, "ws"), MS_ERR_INVALID);
    CU_ASSERT_EQUAL(ms_recording_upgrade(rec, "/ws/a*b"), MS_ERR_INVALID);
    CU_ASSERT_EQUAL(ms_recording_upgrade(rec, "/ws/*"), MS_ERR_INVALID);
    CU_ASSERT_EQUAL(ms_recording_upgrade(rec, "/ws/a"), 1);
    struct ms_recording_stats st;
    ms_recording_stats(rec, &st);
    CU_ASSERT_EQUAL(st.upgrades, 1);
    ms_recording_free(rec);
}

static void test_recording_pretty_printer_matches_python_indent_2(void)
{
    cJSON *v = ms_pyjson_parse(
        "{\"a\":[],\"b\":{},\"c\":[1,2.50,{\"d\":\"\\u00e9\\n\"}],\"e\":null}", 54, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    char *s = ms_rec_json_pretty(v);
    assert_text(s,
                "{\n  \"a\": [],\n  \"b\": {},\n  \"c\": [\n    1,\n    2.5,\n    {\n      \"d\": "
                "\"\xc3\xa9\\n\"\n    }\n  ],\n  \"e\": null\n}");
    free(s);
    cJSON_Delete(v);
    cJSON *str = cJSON_CreateString("x");
    s = ms_rec_json_pretty(str);
    assert_text(s, "\"x\"");
    free(s);
    cJSON_Delete(str);
}

static void test_recording_scenario_name_comes_from_the_file_name(void)
{
    char buf[64];
    ms_rec_scenario_name("/tmp/x/my-session.json", buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "my-session");
    ms_rec_scenario_name("rec ord@1.v2", buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "rec-ord-1.v2");
    ms_rec_scenario_name("dir/.json", buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "recorded");
    ms_rec_scenario_name("abcdefghij", buf, 5);
    CU_ASSERT_STRING_EQUAL(buf, "abcd");
}

static void test_recording_base64_round_trips_and_rejects_bad_text(void)
{
    const char *cases[][2] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"\x00\x01\x02\xff", "AAEC/w=="}};
    size_t lens[] = {0, 1, 2, 3, 4};
    for (size_t i = 0; i < 5; i++) {
        char *e = ms_rec_base64_encode(cases[i][0], lens[i]);
        CU_ASSERT_STRING_EQUAL(e, cases[i][1]);
        unsigned char *d = NULL;
        size_t n = 99;
        CU_ASSERT_EQUAL(ms_rec_base64_decode(e, &d, &n), 0);
        CU_ASSERT_EQUAL(n, lens[i]);
        CU_ASSERT(n == 0 || !memcmp(d, cases[i][0], n));
        free(d);
        free(e);
    }
    unsigned char *d = NULL;
    size_t n;
    CU_ASSERT_EQUAL(ms_rec_base64_decode("Zm8", &d, &n), 0); /* padding optional */
    CU_ASSERT_EQUAL(n, 2);
    free(d);
    CU_ASSERT_EQUAL(ms_rec_base64_decode("Zm9v!", &d, &n), MS_ERR_PARSE);
    CU_ASSERT_EQUAL(ms_rec_base64_decode("Z", &d, &n), MS_ERR_PARSE);
    CU_ASSERT_EQUAL(ms_rec_base64_decode("Zm8==", &d, &n), MS_ERR_PARSE);
    CU_ASSERT_EQUAL(ms_rec_base64_decode("Zm9=", &d, &n), MS_ERR_PARSE); /* non-zero spare bits */
    CU_ASSERT_EQUAL(ms_rec_base64_decode("Zm 9v", &d, &n), MS_ERR_PARSE);
}

static void test_recording_utf8_validation(void)
{
    CU_ASSERT_TRUE(ms_rec_utf8_valid("", 0));
    CU_ASSERT_TRUE(ms_rec_utf8_valid("abc\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 12));
    CU_ASSERT_FALSE(ms_rec_utf8_valid("\xc3", 1));             /* cut short */
    CU_ASSERT_FALSE(ms_rec_utf8_valid("\xc0\xaf", 2));         /* overlong */
    CU_ASSERT_FALSE(ms_rec_utf8_valid("\xe0\x80\xaf", 3));     /* overlong */
    CU_ASSERT_FALSE(ms_rec_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    CU_ASSERT_FALSE(ms_rec_utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
    CU_ASSERT_FALSE(ms_rec_utf8_valid("\x80", 1));
    CU_ASSERT_TRUE(ms_rec_utf8_valid("a\0b", 3));
}

static CU_TestInfo tests[] = {
    MS_TEST(test_recording_writes_the_exact_scenario),
    MS_TEST(test_recording_client_closing_first_ends_the_script_without_a_close),
    MS_TEST(test_recording_server_close_first_ignores_later_server_events),
    MS_TEST(test_recording_writes_text_it_cannot_template_as_bytes),
    MS_TEST(test_recording_adjusts_what_a_scenario_cannot_send),
    MS_TEST(test_recording_writes_reset_and_unanswered_attempts),
    MS_TEST(test_recording_expectation_slack_is_half_the_time_but_at_least_250_ms),
    MS_TEST(test_recording_refuses_events_in_the_wrong_state),
    MS_TEST(test_recording_refusal_body_that_is_not_utf8_gets_replacement_characters),
    MS_TEST(test_recording_breaks_placeholders_and_drops_headers_a_refusal_cannot_send),
    MS_TEST(test_recording_keeps_waits_and_reasons_within_the_format),
    MS_TEST(test_recording_refuses_paths_a_scenario_cannot_name),
    MS_TEST(test_recording_pretty_printer_matches_python_indent_2),
    MS_TEST(test_recording_scenario_name_comes_from_the_file_name),
    MS_TEST(test_recording_base64_round_trips_and_rejects_bad_text),
    MS_TEST(test_recording_utf8_validation),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"ms_recording", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};
