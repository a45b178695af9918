/* fuzz_scenario -- ms_scenario_parse() on any text, then the engine over what loaded. */
#include "fuzz_target.h"
#include "ms_engine.h"
#include "ms_pyjson.h"
#include "ms_scenario.h"
#include "ms_template.h"

static const char message[] = "{\"type\":\"ping\",\"action\":\"cancel\",\"a\":{\"b\":[1,2.5]}}";
static const char *const paths[] = {"/ws/workflow/wf-1", "/ws/agent/screenwriter",
                                    "/ws/coordinator", "/api/v1/ws/connect", "/x"};

/* Walks a script as a session would (bounded: repeats may be forever), filling templates. */
static void walk(const struct ms_steps *steps, const struct ms_tmpl_ctx *t)
{
    struct ms_cursor c;
    ms_cursor_init(&c, steps);
    for (int i = 0; i < 64; i++) {
        const struct ms_step *st = ms_cursor_next(&c);
        if (!st)
            break;
        FUZZ_CHECK(st->kind != MS_STEP_REPEAT && ms_cursor_iteration(&c) >= 1);
        if (st->value) {
            cJSON *v = ms_template_value(st->value, t);
            FUZZ_CHECK(v != NULL);
            char *p = ms_pyjson_print(v);
            FUZZ_CHECK(p != NULL);
            free(p);
            cJSON_Delete(v);
        }
        if (st->text) {
            char *s = ms_template_string(st->text, t);
            FUZZ_CHECK(s != NULL);
            free(s);
        }
    }
}

static void walk_replies(const struct ms_replies *rs, const struct ms_tmpl_ctx *t)
{
    for (size_t i = 0; i < rs->n; i++)
        walk(&rs->v[i].steps, t);
}

/* ms_expect_cb: a verdict always comes with a detail. */
static void verdict(void *arg, size_t i, int status, const char *detail)
{
    const struct ms_scenario *s = arg;
    FUZZ_CHECK(i < s->n_expects && detail != NULL);
    FUZZ_CHECK(status >= MS_EXPECT_PENDING && status <= MS_EXPECT_FAILED);
}

/* Runs what the server does with a loaded scenario, without the server. */
static void exercise(const struct ms_scenario *s)
{
    cJSON *msg = ms_pyjson_parse(message, strlen(message), NULL, 0);
    FUZZ_CHECK(msg != NULL);
    struct ms_tmpl_ctx t = {.now = "2026-11-25T19:49:16.468428",
                            .workflow_id = "wf-1",
                            .client_id = "c1",
                            .path = paths[0],
                            .attempt = 1,
                            .conn = 1,
                            .seq = 1,
                            .iteration = 1,
                            .msg = msg,
                            .msg_text = message};
    for (size_t i = 0; i < s->n_rules; i++) {
        walk(&s->rules[i].on_open, &t);
        walk_replies(&s->rules[i].replies, &t);
    }
    walk_replies(&s->replies, &t);
    double scale = s->time_scale > 0 ? s->time_scale : 1.0;
    for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++)
        for (unsigned long a = 1; a <= 4; a++) {
            int idx;
            const struct ms_rule *r = ms_scenario_match(s, paths[p], a, &idx);
            FUZZ_CHECK(r ? idx >= 0 && (size_t)idx < s->n_rules && r == &s->rules[idx] : idx == -1);
            (void)ms_scenario_match_origin(s, paths[p], a, "http://localhost:5000", &idx);
        }
    struct ms_timeline_run run;
    ms_timeline_start(&run, 0);
    int64_t now = 0;
    for (int i = 0; i < 64; i++) {
        int64_t due = ms_timeline_next_due(s, scale, &run);
        if (due < 0)
            break;
        now = due > now ? due : now;
        size_t index;
        const struct ms_tl_event *e = ms_timeline_due(s, scale, &run, now, &index);
        FUZZ_CHECK(e == NULL || (index < s->n_timeline && e == &s->timeline[index]));
        if (e && e->obj) {
            cJSON *v = ms_template_value(e->obj, &t);
            FUZZ_CHECK(v != NULL);
            cJSON_Delete(v);
        }
    }
    struct ms_expect_state *xs = calloc(s->n_expects ? s->n_expects : 1, sizeof(*xs));
    FUZZ_CHECK(xs != NULL);
    for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
        for (int a = 0; a < 4; a++)
            ms_expect_on_attempt(s, xs, scale, paths[p], a & 1, 100.0 * a * a, verdict, (void *)s);
        uint64_t pending = ms_expect_sends_for(s, xs, paths[p]);
        pending = ms_expect_on_message(s, xs, pending, msg, message, verdict, (void *)s);
        int64_t next;
        (void)ms_expect_check_deadlines(s, xs, scale, pending, 1, paths[p], 0, 1000000, 1, &next,
                                        verdict, (void *)s);
    }
    for (size_t i = 0; i < s->n_expects; i++)
        FUZZ_CHECK(xs[i].status >= MS_EXPECT_PENDING && xs[i].status <= MS_EXPECT_FAILED);
    ms_expect_free(xs, s->n_expects);
    free(xs);
    cJSON_Delete(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ms_diag d = {0};
    struct ms_scenario *s = ms_scenario_parse((const char *)data, size, "fuzz.json", &d);
    if (!s) {
        FUZZ_CHECK(d.n >= 1); /* a refusal says why */
        for (size_t i = 0; i < d.n; i++)
            FUZZ_CHECK(d.lines[i] != NULL && d.lines[i][0] != '\0');
        ms_diag_free(&d);
        return 0;
    }
    FUZZ_CHECK(d.n == 0);
    FUZZ_CHECK(s->root != NULL);
    exercise(s);
    /* The loaded tree printed compactly is the same scenario: it loads again. */
    char *text = ms_pyjson_print(s->root);
    FUZZ_CHECK(text != NULL);
    struct ms_scenario *again = ms_scenario_parse(text, strlen(text), "again.json", &d);
    for (size_t i = 0; i < d.n; i++)
        fprintf(stderr, "reload: %s\n", d.lines[i]);
    FUZZ_CHECK(again != NULL && again->n_rules == s->n_rules && again->n_expects == s->n_expects);
    FUZZ_CHECK(again->n_timeline == s->n_timeline && again->replies.n == s->replies.n);
    ms_scenario_free(again);
    free(text);
    ms_diag_free(&d);
    ms_scenario_free(s);
    return 0;
}
