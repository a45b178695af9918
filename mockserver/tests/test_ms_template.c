/* test_ms_template -- {{placeholder}} substitution in strings and JSON values (FORMAT.md,
 * Templating). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ms_pyjson.h"
#include "ms_template.h"
#include "ms_test.h"

#define NOW "2026-11-26T09:14:03.120456"
#define MSG_TEXT                                                                                   \
    "{\"type\":\"ping\",\"n\":5,\"a\":{\"b\":\"deep\",\"f\":1.0,\"o\":{\"x\":[1,2.50]}}}"

static cJSON *parse(const char *s)
{
    cJSON *v = ms_pyjson_parse(s, strlen(s), NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    return v;
}

/* A reply context: every field set, msg parsed from MSG_TEXT (caller deletes ctx.msg). */
static struct ms_tmpl_ctx ctx(void)
{
    return (struct ms_tmpl_ctx){
        .now = NOW,
        .workflow_id = "wf-1",
        .agent_name = "screenwriter",
        .client_id = "workflow_wf-1_00eb8f56",
        .path = "/ws/workflow/wf-1",
        .attempt = 3,
        .conn = 17,
        .seq = 42,
        .iteration = 9,
        .msg = parse(MSG_TEXT),
        .msg_text = MSG_TEXT,
    };
}

static void free_ctx(struct ms_tmpl_ctx *t)
{
    cJSON_Delete((cJSON *)t->msg);
}

/* Templates s and compares with want. */
static void expect_string(const char *s, const struct ms_tmpl_ctx *t, const char *want)
{
    char *got = ms_template_string(s, t);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    if (strcmp(got, want))
        fprintf(stderr, "\n  input: %s\n  got:   %s\n  want:  %s\n", s, got, want);
    CU_ASSERT_STRING_EQUAL(got, want);
    free(got);
}

/* Templates the JSON value json and compares its compact print with want. */
static void expect_value(const char *json, const struct ms_tmpl_ctx *t, const char *want)
{
    cJSON *in = parse(json);
    cJSON *out = ms_template_value(in, t);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    char *got = ms_pyjson_print(out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    if (strcmp(got, want))
        fprintf(stderr, "\n  input: %s\n  got:   %s\n  want:  %s\n", json, got, want);
    CU_ASSERT_STRING_EQUAL(got, want);
    free(got);
    cJSON_Delete(out);
    cJSON_Delete(in);
}

/* ---- strings ---- */

static void test_string_text_placeholders(void)
{
    struct ms_tmpl_ctx t = ctx();
    expect_string("{{now}}", &t, NOW);
    expect_string("id={{workflow_id}}", &t, "id=wf-1");
    expect_string("{{agent_name}}!", &t, "screenwriter!");
    expect_string("hi {{client_id}}", &t, "hi workflow_wf-1_00eb8f56");
    expect_string("on {{path}}", &t, "on /ws/workflow/wf-1");
    free_ctx(&t);
}

static void test_string_number_placeholders(void)
{
    struct ms_tmpl_ctx t = ctx();
    expect_string("attempt {{attempt}}", &t, "attempt 3");
    expect_string("conn {{conn}}", &t, "conn 17");
    expect_string("seq {{seq}}", &t, "seq 42");
    expect_string("pass {{iteration}}", &t, "pass 9");
    free_ctx(&t);
}

static void test_string_msg_is_the_client_text(void)
{
    struct ms_tmpl_ctx t = ctx();
    expect_string("you said {{msg}}", &t, "you said " MSG_TEXT);
    t.msg_text = "not json";
    expect_string("<{{msg}}>", &t, "<not json>");
    free_ctx(&t);
}

static void test_string_msg_fields(void)
{
    struct ms_tmpl_ctx t = ctx();
    expect_string("[{{msg.type}}]", &t, "[ping]");           /* string: as is */
    expect_string("[{{msg.a.b}}]", &t, "[deep]");            /* nested string */
    expect_string("[{{msg.n}}]", &t, "[5]");                 /* int */
    expect_string("[{{msg.a.f}}]", &t, "[1.0]");             /* float keeps its Python text */
    expect_string("[{{msg.a.o}}]", &t, "[{\"x\":[1,2.5]}]"); /* object: compact JSON */
    expect_string("[{{msg.a.o.x}}]", &t, "[[1,2.5]]");       /* array: compact JSON */
    expect_string("[{{msg.missing}}]", &t, "[]");            /* missing: empty */
    expect_string("[{{msg.a.b.c}}]", &t, "[]");              /* through a string: missing */
    expect_string("[{{msg.type.x}}]", &t, "[]");
    free_ctx(&t);
}

static void test_string_msg_fields_of_non_json_message_are_empty(void)
{
    struct ms_tmpl_ctx t = ctx();
    free_ctx(&t);
    t.msg = NULL;
    t.msg_text = "hello";
    expect_string("[{{msg.type}}|{{msg}}]", &t, "[|hello]");
}

static void test_string_null_values_render_empty(void)
{
    struct ms_tmpl_ctx t = {0};
    expect_string("[{{now}}|{{workflow_id}}|{{agent_name}}|{{client_id}}|{{path}}|{{msg}}]", &t,
                  "[|||||]");
    expect_string("{{attempt}}/{{conn}}/{{seq}}/{{iteration}}", &t, "0/0/0/0");
}

static void test_string_unknown_placeholder_is_copied(void)
{
    struct ms_tmpl_ctx t = ctx();
    expect_string("a {{nope}} b", &t, "a {{nope}} b");
    expect_string("{{ now }}", &t, "{{ now }}"); /* no trimming */
    expect_string("{{NOW}}", &t, "{{NOW}}");
    expect_string("{{}}", &t, "{{}}");
    expect_string("{{nope}}{{attempt}}", &t, "{{nope}}3");
    free_ctx(&t);
}

static void test_string_unclosed_placeholder_is_copied(void)
{
    struct ms_tmpl_ctx t = ctx();
    expect_string("a {{now", &t, "a {{now");
    expect_string("{{attempt}} then {{", &t, "3 then {{");
    expect_string("}} {{seq}", &t, "}} {{seq}");
    free_ctx(&t);
}

static void test_string_several_placeholders(void)
{
    struct ms_tmpl_ctx t = ctx();
    expect_string("{{attempt}}/{{conn}}/{{seq}}", &t, "3/17/42");
    expect_string("Workflow {{workflow_id}} by {{agent_name}} at {{now}}: {{msg.type}}{{msg.n}}",
                  &t, "Workflow wf-1 by screenwriter at " NOW ": ping5");
    free_ctx(&t);
}

static void test_string_without_placeholders_and_empty(void)
{
    struct ms_tmpl_ctx t = ctx();
    expect_string("", &t, "");
    expect_string("plain text { } }", &t, "plain text { } }");
    free_ctx(&t);
}

static void test_string_long_value_grows_buffer(void)
{
    char big[300];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    struct ms_tmpl_ctx t = {.client_id = big};
    char want[700];
    snprintf(want, sizeof(want), "<%s|%s>", big, big);
    expect_string("<{{client_id}}|{{client_id}}>", &t, want);
}

/* ---- JSON values ---- */

static void test_value_exact_number_placeholder_becomes_number(void)
{
    struct ms_tmpl_ctx t = ctx();
    expect_value("\"{{attempt}}\"", &t, "3");
    expect_value("\"{{conn}}\"", &t, "17");
    expect_value("\"{{seq}}\"", &t, "42");
    expect_value("\"{{iteration}}\"", &t, "9");
    expect_value("\"{{msg.n}}\"", &t, "5");
    expect_value("\"{{msg.a.f}}\"", &t, "1.0");
    free_ctx(&t);
}

static void test_value_number_placeholder_with_text_stays_string(void)
{
    struct ms_tmpl_ctx t = ctx();
    expect_value("\"#{{attempt}}\"", &t, "\"#3\"");
    expect_value("\"{{attempt}} \"", &t, "\"3 \"");
    expect_value("\"{{attempt}}{{conn}}\"", &t, "\"317\"");
    free_ctx(&t);
}

static void test_value_text_placeholders_stay_strings(void)
{
    struct ms_tmpl_ctx t = ctx();
    expect_value("\"{{now}}\"", &t, "\"" NOW "\"");
    expect_value("\"{{msg.type}}\"", &t, "\"ping\"");
    expect_value("\"{{msg.missing}}\"", &t, "\"\"");
    expect_value("\"{{nope}}\"", &t, "\"{{nope}}\"");
    free_ctx(&t);
}

static void test_value_msg_object_becomes_copy(void)
{
    struct ms_tmpl_ctx t = ctx();
    expect_value("\"{{msg.a.o}}\"", &t, "{\"x\":[1,2.5]}");
    expect_value("\"{{msg.a.o.x}}\"", &t, "[1,2.5]");
    expect_value("{\"echo\":\"{{msg.a}}\"}", &t,
                 "{\"echo\":{\"b\":\"deep\",\"f\":1.0,\"o\":{\"x\":[1,2.5]}}}");
    free_ctx(&t);
}

static void test_value_msg_copy_is_independent(void)
{
    struct ms_tmpl_ctx t = ctx();
    cJSON *in = parse("\"{{msg.a.o}}\"");
    cJSON *out = ms_template_value(in, &t);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    CU_ASSERT_TRUE(cJSON_IsObject(out));
    CU_ASSERT_PTR_NOT_EQUAL(out, cJSON_GetObjectItem(cJSON_GetObjectItem(t.msg, "a"), "o"));
    cJSON_Delete(out);
    cJSON_Delete(in);
    /* The message is intact after the copy is freed. */
    char *msg = ms_pyjson_print(t.msg);
    CU_ASSERT_STRING_EQUAL(
        msg, "{\"type\":\"ping\",\"n\":5,\"a\":{\"b\":\"deep\",\"f\":1.0,\"o\":{\"x\":"
             "[1,2.5]}}}");
    free(msg);
    free_ctx(&t);
}

static void test_value_nested_objects_and_arrays(void)
{
    struct ms_tmpl_ctx t = ctx();
    expect_value("{\"type\":\"info\",\"message\":\"hi {{client_id}}\",\"n\":\"{{seq}}\","
                 "\"list\":[\"{{attempt}}\",\"x{{iteration}}\",{\"deep\":[\"{{msg.type}}\"]}],"
                 "\"o\":{}}",
                 &t,
                 "{\"type\":\"info\",\"message\":\"hi workflow_wf-1_00eb8f56\",\"n\":42,"
                 "\"list\":[3,\"x9\",{\"deep\":[\"ping\"]}],\"o\":{}}");
    free_ctx(&t);
}

static void test_value_non_strings_keep_python_text(void)
{
    struct ms_tmpl_ctx t = ctx();
    expect_value("1.0", &t, "1.0");
    expect_value("1e5", &t, "100000.0");
    expect_value("12345678901234567890", &t, "12345678901234567890");
    expect_value("[1,1.0,-0.5,true,false,null]", &t, "[1,1.0,-0.5,true,false,null]");
    expect_value("{\"z\":1,\"a\":2.0}", &t, "{\"z\":1,\"a\":2.0}"); /* written key order */
    free_ctx(&t);
}

static CU_TestInfo template_tests[] = {
    MS_TEST(test_string_text_placeholders),
    MS_TEST(test_string_number_placeholders),
    MS_TEST(test_string_msg_is_the_client_text),
    MS_TEST(test_string_msg_fields),
    MS_TEST(test_string_msg_fields_of_non_json_message_are_empty),
    MS_TEST(test_string_null_values_render_empty),
    MS_TEST(test_string_unknown_placeholder_is_copied),
    MS_TEST(test_string_unclosed_placeholder_is_copied),
    MS_TEST(test_string_several_placeholders),
    MS_TEST(test_string_without_placeholders_and_empty),
    MS_TEST(test_string_long_value_grows_buffer),
    MS_TEST(test_value_exact_number_placeholder_becomes_number),
    MS_TEST(test_value_number_placeholder_with_text_stays_string),
    MS_TEST(test_value_text_placeholders_stay_strings),
    MS_TEST(test_value_msg_object_becomes_copy),
    MS_TEST(test_value_msg_copy_is_independent),
    MS_TEST(test_value_nested_objects_and_arrays),
    MS_TEST(test_value_non_strings_keep_python_text),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"template", NULL, NULL, NULL, NULL, template_tests},
    CU_SUITE_INFO_NULL,
};
