/* test_ms_engine -- the scenario engine against a test clock: script cursors, the timeline's
 * schedule (scale, loops) and expectations (attempts, reconnect policy, client_sends deadlines). */
#include <stdlib.h>
#include <string.h>
#include "ms_engine.h"
#include "ms_pyjson.h"
#include "ms_test.h"

static struct ms_scenario *load(const char *text)
{
    struct ms_diag d = {0};
    struct ms_scenario *s = ms_scenario_parse(text, strlen(text), "t.json", &d);
    for (size_t i = 0; i < d.n; i++)
        fprintf(stderr, "%s\n", d.lines[i]);
    ms_diag_free(&d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    return s;
}

/* What the cursor yields, as "kind:value" words: send_text texts, wait ms, marks. */
static void walk(struct ms_cursor *c, char *out, size_t len, int limit)
{
    out[0] = '\0';
    const struct ms_step *st;
    for (int i = 0; i < limit && (st = ms_cursor_next(c)); i++) {
        char w[64];
        if (st->kind == MS_STEP_WAIT)
            snprintf(w, sizeof(w), "w%lld", st->ms);
        else
            snprintf(w, sizeof(w), "%s@%lld", st->text ? st->text : "?", ms_cursor_iteration(c));
        snprintf(out + strlen(out), len - strlen(out), "%s%s", out[0] ? " " : "", w);
    }
}

static void test_cursor_runs_steps_in_order_and_ends(void)
{
    struct ms_scenario *s = load("{\"name\":\"c\",\"description\":\"d\",\"connections\":[{\"path\":"
                                 "\"*\",\"on_open\":[{\"send_text\":\"a\"},{\"wait_ms\":5},"
                                 "{\"send_text\":\"b\"}]}]}");
    struct ms_cursor c;
    char out[256];
    ms_cursor_init(&c, &s->rules[0].on_open);
    walk(&c, out, sizeof(out), 100);
    CU_ASSERT_STRING_EQUAL(out, "a@1 w5 b@1");
    CU_ASSERT_PTR_NULL(ms_cursor_next(&c));
    ms_scenario_free(s);
}

static void test_cursor_repeats_nested_blocks_with_iterations(void)
{
    struct ms_scenario *s = load(
        "{\"name\":\"c\",\"description\":\"d\",\"connections\":[{\"path\":\"*\",\"on_open\":["
        "{\"repeat\":2,\"steps\":[{\"send_text\":\"x\"},{\"repeat\":2,\"steps\":[{\"send_text\":"
        "\"y\"}]}]},{\"send_text\":\"end\"}]}]}");
    struct ms_cursor c;
    char out[256];
    ms_cursor_init(&c, &s->rules[0].on_open);
    walk(&c, out, sizeof(out), 100);
    CU_ASSERT_STRING_EQUAL(out, "x@1 y@1 y@2 x@2 y@1 y@2 end@1");
    ms_scenario_free(s);
}

static void test_cursor_forever_block_never_ends(void)
{
    struct ms_scenario *s =
        load("{\"name\":\"c\",\"description\":\"d\",\"connections\":[{\"path\":"
             "\"*\",\"on_open\":[{\"repeat\":\"forever\",\"steps\":[{\"wait_ms\":"
             "10},{\"send_text\":\"t\"}]},{\"send_text\":\"never\"}]}]}");
    struct ms_cursor c;
    char out[512];
    ms_cursor_init(&c, &s->rules[0].on_open);
    walk(&c, out, sizeof(out), 6);
    CU_ASSERT_STRING_EQUAL(out, "w10 t@1 w10 t@2 w10 t@3");
    for (int i = 0; i < 10000; i++)
        CU_ASSERT_PTR_NOT_NULL_FATAL(ms_cursor_next(&c));
    CU_ASSERT_EQUAL(ms_cursor_iteration(&c), 5003);
    ms_scenario_free(s);
}

static void test_cursor_of_empty_or_null_steps_yields_nothing(void)
{
    struct ms_cursor c;
    struct ms_steps none = {0};
    ms_cursor_init(&c, &none);
    CU_ASSERT_PTR_NULL(ms_cursor_next(&c));
    ms_cursor_init(&c, NULL);
    CU_ASSERT_PTR_NULL(ms_cursor_next(&c));
}

static const char *timeline_text =
    "{\"name\":\"t\",\"description\":\"d\",\"timeline\":[{\"at_ms\":0,\"mark\":\"a\"},"
    "{\"at_ms\":100,\"mark\":\"b\"},{\"at_ms\":100,\"mark\":\"c\"},{\"at_ms\":250,\"mark\":"
    "\"d\"}]";

/* Every event due at `now` as a string of marks, advancing r. */
static void due_marks(const struct ms_scenario *s, double scale, struct ms_timeline_run *r,
                      int64_t now, char *out, size_t len)
{
    out[0] = '\0';
    const struct ms_tl_event *e;
    size_t i;
    while ((e = ms_timeline_due(s, scale, r, now, &i)))
        snprintf(out + strlen(out), len - strlen(out), "%s%zu", e->text, i);
}

static void test_timeline_events_come_due_at_their_time_in_file_order(void)
{
    char text[512], out[64];
    snprintf(text, sizeof(text), "%s}", timeline_text);
    struct ms_scenario *s = load(text);
    struct ms_timeline_run r;
    ms_timeline_start(&r, 1000);
    CU_ASSERT_EQUAL(ms_timeline_next_due(s, 1, &r), 1000);
    due_marks(s, 1, &r, 1000, out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "a0");
    CU_ASSERT_EQUAL(ms_timeline_next_due(s, 1, &r), 1100);
    due_marks(s, 1, &r, 1099, out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "");
    due_marks(s, 1, &r, 1100, out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "b1c2");
    due_marks(s, 1, &r, 5000, out, sizeof(out)); /* a late wake runs what is overdue */
    CU_ASSERT_STRING_EQUAL(out, "d3");
    CU_ASSERT_EQUAL(ms_timeline_next_due(s, 1, &r), -1);
    ms_scenario_free(s);
}

static void test_timeline_scale_shrinks_every_time(void)
{
    char text[512], out[64];
    snprintf(text, sizeof(text), "%s}", timeline_text);
    struct ms_scenario *s = load(text);
    struct ms_timeline_run r;
    ms_timeline_start(&r, 0);
    due_marks(s, 0.1, &r, 0, out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "a0");
    CU_ASSERT_EQUAL(ms_timeline_next_due(s, 0.1, &r), 10);
    due_marks(s, 0.1, &r, 24, out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "b1c2");
    CU_ASSERT_EQUAL(ms_timeline_next_due(s, 0.1, &r), 25);
    ms_scenario_free(s);
}

static void test_timeline_loops_with_iterations(void)
{
    char text[512], out[64];
    snprintf(text, sizeof(text), "%s,\"timeline_loop_ms\":400}", timeline_text);
    struct ms_scenario *s = load(text);
    struct ms_timeline_run r;
    ms_timeline_start(&r, 0);
    due_marks(s, 1, &r, 250, out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "a0b1c2d3");
    CU_ASSERT_EQUAL(r.iteration, 1);
    CU_ASSERT_EQUAL(ms_timeline_next_due(s, 1, &r), 400);
    due_marks(s, 1, &r, 400, out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "a0");
    CU_ASSERT_EQUAL(r.iteration, 2);
    CU_ASSERT_EQUAL(ms_timeline_next_due(s, 1, &r), 500);
    /* asleep until 1250: the rest of pass 2, all of pass 3 (800) and pass 4's first event */
    due_marks(s, 1, &r, 1250, out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "b1c2d3a0b1c2d3a0");
    CU_ASSERT_EQUAL(ms_timeline_next_due(s, 1, &r), 1300);
    CU_ASSERT_EQUAL(r.iteration, 4);
    ms_scenario_free(s);
}

/* ms_expect_cb collecting "index:status" words. */
static char verdicts[512];
static void collect(void *arg, size_t i, int status, const char *detail)
{
    (void)arg, (void)detail;
    snprintf(verdicts + strlen(verdicts), sizeof(verdicts) - strlen(verdicts), "%s%zu:%s",
             verdicts[0] ? " " : "", i, status == MS_EXPECT_MET ? "met" : "failed");
}

static void test_expect_attempts_met_at_min_failed_above_max(void)
{
    struct ms_scenario *s = load("{\"name\":\"e\",\"description\":\"d\",\"expect\":[{\"attempts\":"
                                 "{\"min\":2,\"max\":3},\"path\":\"/ws/*\"}]}");
    struct ms_expect_state xs[1] = {0};
    verdicts[0] = '\0';
    ms_expect_on_attempt(s, xs, 1, "/ws/a", 0, 0, collect, NULL);
    CU_ASSERT_EQUAL(xs[0].status, MS_EXPECT_PENDING);
    ms_expect_on_attempt(s, xs, 1, "/api/v1/ws/connect", 0, 1, collect, NULL); /* other path */
    ms_expect_on_attempt(s, xs, 1, "/ws/a", 0, 2, collect, NULL);
    CU_ASSERT_EQUAL(xs[0].status, MS_EXPECT_MET);
    ms_expect_on_attempt(s, xs, 1, "/ws/b", 1, 3, collect, NULL);
    ms_expect_on_attempt(s, xs, 1, "/ws/a", 1, 4, collect, NULL);
    CU_ASSERT_EQUAL(xs[0].status, MS_EXPECT_FAILED);
    CU_ASSERT_STRING_EQUAL(xs[0].detail, "4 attempts on /ws/*, more than the maximum 3");
    CU_ASSERT_EQUAL(xs[0].count, 4);
    ms_expect_on_attempt(s, xs, 1, "/ws/a", 1, 5, collect, NULL); /* a failure is final */
    CU_ASSERT_STRING_EQUAL(verdicts, "0:met 0:failed");
    ms_expect_free(xs, 1);
    ms_scenario_free(s);
}

static void test_expect_policy_flags_the_original_constant_1000_ms(void)
{
    struct ms_scenario *s = load(
        "{\"name\":\"e\",\"description\":\"d\",\"expect\":[{\"reconnect_policy\":\"initial=1000,"
        "factor=2,cap=30000,max=5,jitter=0\"}]}");
    struct ms_expect_state xs[1] = {0};
    verdicts[0] = '\0';
    for (int i = 0; i < 4; i++)
        ms_expect_on_attempt(s, xs, 1, "/ws/coordinator", 0, 1000.0 * i, collect, NULL);
    CU_ASSERT_EQUAL(xs[0].status, MS_EXPECT_FAILED);
    CU_ASSERT_STRING_EQUAL(xs[0].detail,
                           "constant delay: every gap is about 1000 ms (expected growth x2)");
    CU_ASSERT_STRING_EQUAL(verdicts, "0:met 0:failed"); /* one good gap, then the second */
    ms_expect_free(xs, 1);
    ms_scenario_free(s);
}

static void test_expect_policy_met_by_exponential_attempts_at_scale(void)
{
    struct ms_scenario *s = load(
        "{\"name\":\"e\",\"description\":\"d\",\"expect\":[{\"reconnect_policy\":\"initial=1000,"
        "factor=2,cap=4000,max=5,jitter=0\"}]}");
    struct ms_expect_state xs[1] = {0};
    double t[] = {0, 10, 30, 70, 110, 150}; /* scale 0.01: 10, 20, 40, 40 (cap), 40 ms */
    for (size_t i = 0; i < 6; i++)
        ms_expect_on_attempt(s, xs, 0.01, "/ws/x", 0, t[i], NULL, NULL);
    CU_ASSERT_EQUAL(xs[0].status, MS_EXPECT_MET);
    CU_ASSERT_STRING_EQUAL(xs[0].detail, "follows the policy (5 gaps)");
    ms_expect_on_attempt(s, xs, 0.01, "/ws/x", 0, 190, NULL, NULL); /* a 6th retry: too many */
    CU_ASSERT_EQUAL(xs[0].status, MS_EXPECT_FAILED);
    ms_expect_free(xs, 1);
    ms_scenario_free(s);
}

static const char *sends_text =
    "{\"name\":\"e\",\"description\":\"d\",\"expect\":[{\"client_sends\":{\"type\":\"ping\"},"
    "\"path\":\"/ws/coordinator\",\"within_ms\":1000},{\"client_sends\":\"hello\",\"within_ms\":"
    "500},{\"attempts\":{\"min\":1}}]}";

static void test_expect_sends_met_by_a_matching_message(void)
{
    struct ms_scenario *s = load(sends_text);
    struct ms_expect_state xs[3] = {0};
    verdicts[0] = '\0';
    uint64_t p = ms_expect_sends_for(s, xs, "/ws/coordinator");
    CU_ASSERT_EQUAL(p, 3); /* both sends expectations, not the attempts one */
    CU_ASSERT_EQUAL(ms_expect_sends_for(s, xs, "/ws/agent/a"), 2);
    cJSON *m = ms_pyjson_parse("{\"type\":\"ping\",\"x\":1}", 21, NULL, 0);
    p = ms_expect_on_message(s, xs, p, m, "{\"type\":\"ping\",\"x\":1}", collect, NULL);
    CU_ASSERT_EQUAL(p, 2);
    p = ms_expect_on_message(s, xs, p, NULL, "hello!", collect, NULL); /* exact text only */
    CU_ASSERT_EQUAL(p, 2);
    p = ms_expect_on_message(s, xs, p, NULL, "hello", collect, NULL);
    CU_ASSERT_EQUAL(p, 0);
    CU_ASSERT_STRING_EQUAL(verdicts, "0:met 1:met");
    CU_ASSERT_STRING_EQUAL(xs[0].detail, "1 connection sent it in time");
    cJSON_Delete(m);
    ms_scenario_free(s);
}

static void test_expect_sends_fail_at_the_scaled_deadline_on_the_test_clock(void)
{
    struct ms_scenario *s = load(sends_text);
    struct ms_expect_state xs[3] = {0};
    verdicts[0] = '\0';
    int64_t next;
    uint64_t p = ms_expect_sends_for(s, xs, "/ws/coordinator");
    /* opened at t=100 with scale 0.1: deadlines at 200 (ping) and 150 ("hello") */
    p = ms_expect_check_deadlines(s, xs, 0.1, p, 7, "/ws/coordinator", 100, 120, 0, &next, collect,
                                  NULL);
    CU_ASSERT_EQUAL(p, 3);
    CU_ASSERT_EQUAL(next, 150);
    p = ms_expect_check_deadlines(s, xs, 0.1, p, 7, "/ws/coordinator", 100, 150, 0, &next, collect,
                                  NULL);
    CU_ASSERT_EQUAL(p, 1);
    CU_ASSERT_EQUAL(next, 200);
    CU_ASSERT_STRING_EQUAL(xs[1].detail,
                           "conn 7 on /ws/coordinator sent no matching message within 50 ms");
    /* closing before the ping deadline: dropped, not judged */
    p = ms_expect_check_deadlines(s, xs, 0.1, p, 7, "/ws/coordinator", 100, 199, 1, &next, collect,
                                  NULL);
    CU_ASSERT_EQUAL(p, 0);
    CU_ASSERT_EQUAL(next, -1);
    CU_ASSERT_EQUAL(xs[0].status, MS_EXPECT_PENDING);
    CU_ASSERT_STRING_EQUAL(verdicts, "1:failed");
    /* a failed expectation is no longer asked of new sessions */
    CU_ASSERT_EQUAL(ms_expect_sends_for(s, xs, "/ws/coordinator"), 1);
    ms_scenario_free(s);
}

static CU_TestInfo engine_tests[] = {
    MS_TEST(test_cursor_runs_steps_in_order_and_ends),
    MS_TEST(test_cursor_repeats_nested_blocks_with_iterations),
    MS_TEST(test_cursor_forever_block_never_ends),
    MS_TEST(test_cursor_of_empty_or_null_steps_yields_nothing),
    MS_TEST(test_timeline_events_come_due_at_their_time_in_file_order),
    MS_TEST(test_timeline_scale_shrinks_every_time),
    MS_TEST(test_timeline_loops_with_iterations),
    MS_TEST(test_expect_attempts_met_at_min_failed_above_max),
    MS_TEST(test_expect_policy_flags_the_original_constant_1000_ms),
    MS_TEST(test_expect_policy_met_by_exponential_attempts_at_scale),
    MS_TEST(test_expect_sends_met_by_a_matching_message),
    MS_TEST(test_expect_sends_fail_at_the_scaled_deadline_on_the_test_clock),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"ms_engine", NULL, NULL, NULL, NULL, engine_tests},
    CU_SUITE_INFO_NULL,
};
