/* test_ms_scenario -- the scenario loader (scenarios/FORMAT.md): matchers, a full valid scenario
 * parsed into data, and the exact diagnostics for bad ones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ms_pyjson.h"
#include "ms_scenario.h"
#include "ms_test.h"

/* Scenario texts are written with ' for " (none of them contains an apostrophe). */
static char *dq(const char *s)
{
    char *out = strdup(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    for (char *p = out; *p; p++)
        if (*p == '\'')
            *p = '"';
    return out;
}

static cJSON *parse_json(const char *s)
{
    char *text = dq(s);
    cJSON *v = ms_pyjson_parse(text, strlen(text), NULL, 0);
    free(text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    return v;
}

/* Parses a scenario that must load without a single diagnostic. */
static struct ms_scenario *load_ok(const char *s)
{
    char *text = dq(s);
    struct ms_diag d = {0};
    struct ms_scenario *sc = ms_scenario_parse(text, strlen(text), "t.json", &d);
    free(text);
    for (size_t i = 0; i < d.n; i++)
        fprintf(stderr, "\n  unexpected: %s", d.lines[i]);
    CU_ASSERT_EQUAL(d.n, 0);
    ms_diag_free(&d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    return sc;
}

/* Parses text (as written: no quote conversion) as "t.json"; it must be refused with exactly the
 * lines in want (NULL-terminated), in that order. */
static void load_bad_text(const char *text, const char *const *want)
{
    struct ms_diag d = {0};
    struct ms_scenario *sc = ms_scenario_parse(text, strlen(text), "t.json", &d);
    CU_ASSERT_PTR_NULL(sc);
    ms_scenario_free(sc);
    size_t n = 0;
    while (want[n])
        n++;
    int same = d.n == n;
    for (size_t i = 0; same && i < n; i++)
        same = !strcmp(d.lines[i], want[i]);
    if (!same) {
        fprintf(stderr, "\n  input: %s\n  got %zu line(s):\n", text, d.n);
        for (size_t i = 0; i < d.n; i++)
            fprintf(stderr, "    %s\n", d.lines[i]);
        fprintf(stderr, "  want %zu line(s):\n", n);
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, "    %s\n", want[i]);
    }
    CU_ASSERT_EQUAL(d.n, n);
    for (size_t i = 0; i < n && i < d.n; i++)
        CU_ASSERT_STRING_EQUAL(d.lines[i], want[i]);
    ms_diag_free(&d);
}

/* The same for a text written with ' for ". */
static void load_bad(const char *s, const char *const *want)
{
    char *text = dq(s);
    load_bad_text(text, want);
    free(text);
}

#define BAD(s, ...) load_bad(s, (const char *const[]){__VA_ARGS__, NULL})
#define HEAD "'name':'t','description':'d'"

/* ---- matchers ---- */

static void test_path_match_exact(void)
{
    CU_ASSERT_TRUE(ms_path_match("/ws/coordinator", "/ws/coordinator"));
    CU_ASSERT_FALSE(ms_path_match("/ws/coordinator", "/ws/coordinator/x"));
    CU_ASSERT_FALSE(ms_path_match("/ws/coordinator", "/ws/coord"));
    CU_ASSERT_FALSE(ms_path_match("/ws/coordinator", "/WS/coordinator"));
}

static void test_path_match_prefix(void)
{
    CU_ASSERT_TRUE(ms_path_match("/ws/*", "/ws/"));
    CU_ASSERT_TRUE(ms_path_match("/ws/*", "/ws/agent/screenwriter"));
    CU_ASSERT_TRUE(ms_path_match("/ws/workflow/*", "/ws/workflow/wf-1"));
    CU_ASSERT_FALSE(ms_path_match("/ws/*", "/ws"));
    CU_ASSERT_FALSE(ms_path_match("/ws/workflow/*", "/ws/agent/a"));
    CU_ASSERT_FALSE(ms_path_match("/ws/*", "/api/ws/x"));
}

static void test_path_match_star_matches_everything(void)
{
    CU_ASSERT_TRUE(ms_path_match("*", "/ws/coordinator"));
    CU_ASSERT_TRUE(ms_path_match("*", "/"));
    CU_ASSERT_TRUE(ms_path_match("*", ""));
}

static void test_attempts_match_all(void)
{
    struct ms_attempts a = {.kind = MS_ATT_ALL};
    CU_ASSERT_TRUE(ms_attempts_match(&a, 1));
    CU_ASSERT_TRUE(ms_attempts_match(&a, 2));
    CU_ASSERT_TRUE(ms_attempts_match(&a, 1000000));
}

static void test_attempts_match_range(void)
{
    struct ms_attempts a = {.kind = MS_ATT_RANGE, .from = 2, .to = 4};
    CU_ASSERT_FALSE(ms_attempts_match(&a, 1));
    CU_ASSERT_TRUE(ms_attempts_match(&a, 2));
    CU_ASSERT_TRUE(ms_attempts_match(&a, 3));
    CU_ASSERT_TRUE(ms_attempts_match(&a, 4));
    CU_ASSERT_FALSE(ms_attempts_match(&a, 5));
    struct ms_attempts one = {.kind = MS_ATT_RANGE, .from = 3, .to = 3};
    CU_ASSERT_FALSE(ms_attempts_match(&one, 2));
    CU_ASSERT_TRUE(ms_attempts_match(&one, 3));
    CU_ASSERT_FALSE(ms_attempts_match(&one, 4));
}

static void test_attempts_match_open_range(void)
{
    struct ms_attempts a = {.kind = MS_ATT_RANGE, .from = 4, .to = -1};
    CU_ASSERT_FALSE(ms_attempts_match(&a, 1));
    CU_ASSERT_FALSE(ms_attempts_match(&a, 3));
    CU_ASSERT_TRUE(ms_attempts_match(&a, 4));
    CU_ASSERT_TRUE(ms_attempts_match(&a, 5));
    CU_ASSERT_TRUE(ms_attempts_match(&a, 1000000));
}

static void test_attempts_match_every(void)
{
    struct ms_attempts a = {.kind = MS_ATT_EVERY, .every = 3};
    CU_ASSERT_FALSE(ms_attempts_match(&a, 1));
    CU_ASSERT_FALSE(ms_attempts_match(&a, 2));
    CU_ASSERT_TRUE(ms_attempts_match(&a, 3));
    CU_ASSERT_FALSE(ms_attempts_match(&a, 4));
    CU_ASSERT_TRUE(ms_attempts_match(&a, 6));
    CU_ASSERT_FALSE(ms_attempts_match(&a, 7));
    CU_ASSERT_TRUE(ms_attempts_match(&a, 99));
    struct ms_attempts each = {.kind = MS_ATT_EVERY, .every = 1};
    CU_ASSERT_TRUE(ms_attempts_match(&each, 1));
    CU_ASSERT_TRUE(ms_attempts_match(&each, 7));
}

static int contains(const char *msg, const char *subset)
{
    cJSON *m = parse_json(msg), *s = parse_json(subset);
    int r = ms_json_contains(m, s);
    cJSON_Delete(m);
    cJSON_Delete(s);
    return r;
}

static void test_json_contains_nested_subset(void)
{
    CU_ASSERT_TRUE(contains("{'type':'control','action':'cancel','workflow_id':'w'}",
                            "{'type':'control','action':'cancel'}"));
    CU_ASSERT_TRUE(contains("{'a':{'b':{'c':1,'d':2},'e':3},'f':4}", "{'a':{'b':{'c':1}}}"));
    CU_ASSERT_TRUE(contains("{'a':1}", "{}"));
    CU_ASSERT_FALSE(contains("{'a':{'b':{'c':1}}}", "{'a':{'b':{'c':2}}}"));
    CU_ASSERT_FALSE(contains("{'type':'ping'}", "{'type':'pong'}"));
}

static void test_json_contains_numbers_by_value(void)
{
    CU_ASSERT_TRUE(contains("{'n':1}", "{'n':1.0}"));
    CU_ASSERT_TRUE(contains("{'n':1.0}", "{'n':1}"));
    CU_ASSERT_TRUE(contains("{'n':100}", "{'n':1e2}"));
    CU_ASSERT_FALSE(contains("{'n':1}", "{'n':1.5}"));
    CU_ASSERT_FALSE(contains("{'n':'1'}", "{'n':1}"));
    CU_ASSERT_FALSE(contains("{'n':1}", "{'n':'1'}"));
    CU_ASSERT_FALSE(contains("{'n':true}", "{'n':1}"));
}

static void test_json_contains_arrays_must_be_equal(void)
{
    CU_ASSERT_TRUE(contains("{'l':[1,'a',{'b':2}]}", "{'l':[1,'a',{'b':2}]}"));
    CU_ASSERT_FALSE(contains("{'l':[1,2,3]}", "{'l':[1,2]}"));
    CU_ASSERT_FALSE(contains("{'l':[1,2]}", "{'l':[1,2,3]}"));
    CU_ASSERT_FALSE(contains("{'l':[2,1]}", "{'l':[1,2]}"));
    CU_ASSERT_FALSE(contains("{'l':[{'b':2,'c':3}]}", "{'l':[{'b':2}]}"));
    /* elements compare as Python's ==: numbers by value, objects regardless of key order */
    CU_ASSERT_TRUE(contains("{'l':[1]}", "{'l':[1.0]}"));
    CU_ASSERT_TRUE(contains("{'l':[[2.0],{'a':1,'b':2}]}", "{'l':[[2],{'b':2.0,'a':1}]}"));
    CU_ASSERT_FALSE(contains("{'l':[1]}", "{'l':[true]}"));
}

static void test_json_contains_missing_key_or_wrong_type(void)
{
    CU_ASSERT_FALSE(contains("{'type':'ping'}", "{'type':'ping','id':1}"));
    CU_ASSERT_FALSE(contains("{'a':1}", "{'a':{'b':1}}"));
    CU_ASSERT_FALSE(contains("[1]", "{'a':1}"));
    CU_ASSERT_FALSE(contains("'text'", "{}"));
    CU_ASSERT_FALSE(contains("{'a':null}", "{'a':false}"));
    CU_ASSERT_TRUE(contains("{'a':null}", "{'a':null}"));
    cJSON *s = parse_json("{'a':1}");
    CU_ASSERT_FALSE(ms_json_contains(NULL, s)); /* not JSON at all */
    cJSON_Delete(s);
}

static void test_json_contains_non_objects_compare_equal(void)
{
    CU_ASSERT_TRUE(contains("'abc'", "'abc'"));
    CU_ASSERT_FALSE(contains("'abc'", "'ab'"));
    CU_ASSERT_TRUE(contains("2", "2.0"));
    CU_ASSERT_TRUE(contains("true", "true"));
    CU_ASSERT_FALSE(contains("true", "false"));
}

static void test_scale_ms_rounds_to_nearest(void)
{
    CU_ASSERT_EQUAL(ms_scale_ms(30000, 0.01), 300);
    CU_ASSERT_EQUAL(ms_scale_ms(1000, 1.0), 1000);
    CU_ASSERT_EQUAL(ms_scale_ms(1000, 2.5), 2500);
    CU_ASSERT_EQUAL(ms_scale_ms(1, 0.4), 0);
    CU_ASSERT_EQUAL(ms_scale_ms(1, 0.5), 1); /* halves round up */
    CU_ASSERT_EQUAL(ms_scale_ms(3, 0.5), 2);
    CU_ASSERT_EQUAL(ms_scale_ms(1234, 0.1), 123);
    CU_ASSERT_EQUAL(ms_scale_ms(1236, 0.1), 124);
    CU_ASSERT_EQUAL(ms_scale_ms(0, 0.5), 0);
}

static void test_scale_ms_never_negative(void)
{
    CU_ASSERT_EQUAL(ms_scale_ms(-5, 1.0), 0);
    CU_ASSERT_EQUAL(ms_scale_ms(5, -1.0), 0);
}

static void test_scenario_match_first_rule_wins(void)
{
    struct ms_scenario *s = load_ok("{" HEAD ",'connections':["
                                    "{'path':'/ws/coordinator','attempts':'1-2','action':'refuse'},"
                                    "{'path':'/ws/*','attempts':'every 2','action':'reset'},"
                                    "{'path':'*','attempts':'5-','action':'accept'},"
                                    "{'path':'/ws/coordinator','action':'reset'}]}");
    int idx = 99;
    const struct ms_rule *r = ms_scenario_match(s, "/ws/coordinator", 1, &idx);
    CU_ASSERT_PTR_EQUAL(r, &s->rules[0]);
    CU_ASSERT_EQUAL(idx, 0);
    r = ms_scenario_match(s, "/ws/coordinator", 2, &idx); /* 0 and 1 match: 0 first */
    CU_ASSERT_PTR_EQUAL(r, &s->rules[0]);
    CU_ASSERT_EQUAL(idx, 0);
    r = ms_scenario_match(s, "/ws/coordinator", 4, &idx);
    CU_ASSERT_PTR_EQUAL(r, &s->rules[1]);
    CU_ASSERT_EQUAL(idx, 1);
    r = ms_scenario_match(s, "/ws/coordinator", 3, &idx); /* only the catch-all last rule */
    CU_ASSERT_PTR_EQUAL(r, &s->rules[3]);
    CU_ASSERT_EQUAL(idx, 3);
    r = ms_scenario_match(s, "/ws/coordinator", 5, &idx); /* 2 before 3 */
    CU_ASSERT_PTR_EQUAL(r, &s->rules[2]);
    CU_ASSERT_EQUAL(idx, 2);
    r = ms_scenario_match(s, "/ws/agent/a", 2, &idx);
    CU_ASSERT_PTR_EQUAL(r, &s->rules[1]);
    CU_ASSERT_EQUAL(idx, 1);
    r = ms_scenario_match(s, "/health", 6, NULL); /* index may be NULL */
    CU_ASSERT_PTR_EQUAL(r, &s->rules[2]);
    ms_scenario_free(s);
}

static void test_scenario_match_none(void)
{
    struct ms_scenario *s =
        load_ok("{" HEAD ",'connections':[{'path':'/ws/coordinator','attempts':3}]}");
    int idx = 99;
    CU_ASSERT_PTR_NULL(ms_scenario_match(s, "/ws/coordinator", 2, &idx));
    CU_ASSERT_EQUAL(idx, -1);
    idx = 99;
    CU_ASSERT_PTR_NULL(ms_scenario_match(s, "/ws/agent/x", 3, &idx));
    CU_ASSERT_EQUAL(idx, -1);
    CU_ASSERT_PTR_NOT_NULL(ms_scenario_match(s, "/ws/coordinator", 3, &idx));
    CU_ASSERT_EQUAL(idx, 0);
    idx = 99;
    CU_ASSERT_PTR_NULL(ms_scenario_match(NULL, "/ws/coordinator", 3, &idx));
    CU_ASSERT_EQUAL(idx, -1);
    ms_scenario_free(s);
}

/* ---- a valid scenario, parsed ---- */

static const char full[] =
    "{'name':'full-1.x_y','description':'every verb','keywords':['a','b'],"
    "'profile':'coordinator','time_scale':0.5,'heartbeat_ms':2000,"
    "'coordinator':{'agents':[{'name':'a','status':'idle'}],'workflows':[]},"
    "'connections':["
    /* 0 */ "{'path':'/ws/coordinator','attempts':'1-3','action':'refuse'},"
    /* 1 */
    "{'path':'/ws/agent/*','attempts':2,'action':'refuse','status':503,"
    "'headers':{'Retry-After':'5'},'body':'down {{attempt}}'},"
    /* 2 */ "{'path':'/ws/workflow/*','attempts':'every 2','action':'reset','label':'even'},"
    /* 3 */
    "{'path':'*','attempts':'4-','welcome':false,'on_open':["
    /* 0 */ "{'send':{'type':'info','message':'hi {{client_id}}','n':1.0}},"
    /* 1 */ "{'send_text':'not json {{attempt}}'},"
    /* 2 */ "{'emit':'progress','state':'running','progress':0.5,'stage':'scenes'},"
    /* 3 */ "{'wait_ms':1000},"
    /* 4 */ "{'close':1011,'reason':'internal error'},"
    /* 5 */ "{'drop':true},"
    /* 6 */ "{'stall':true},"
    /* 7 */ "{'stall':true,'for_ms':5000},"
    /* 8 */ "{'send_binary':'AAECAw=='},"
    /* 9 */ "{'send_bytes':'wyg=','opcode':'text'},"
    /* 10 */ "{'send_invalid_utf8':true},"
    /* 11 */ "{'send_fragmented':{'type':'pong'},'fragments':3},"
    /* 12 */ "{'ws_ping':'are you there'},"
    /* 13 */ "{'repeat':3,'steps':[{'mark':'pass {{iteration}}'}]},"
    /* 14 */ "{'repeat':'forever','steps':[{'wait_ms':100},{'emit':'heartbeat'}]},"
    /* 15 */ "{'mark':'phase 2'},"
    /* 16 */ "{'emit':'info','message':'m','room':'workflow_wf-1'}"
    "],'replies':[{'type':'ping','do':[{'send':{'type':'pong','n':'{{msg.n}}'}}]}]},"
    /* 4 */ "{'path':'/ws/x','attempts':'7','label':'seven'}"
    "],"
    "'replies':["
    "{'match':{'type':'control','action':'cancel'},'times':2,'do':[{'send_text':'you said "
    "{{msg}}'}]},"
    "{'regex':'^hello','path':'/ws/agent/*','also_profile':true,'do':[{'mark':'hello "
    "{{msg.x}}'}]}"
    "],"
    "'timeline':["
    /* 0 */ "{'at_ms':500,'emit':'progress','workflow_id':'wf-1','state':'running',"
    "'progress':0.25},"
    /* 1 */
    "{'at_ms':500,'room':'coordinator_metrics','send':{'type':'x','t':'{{now}}'},"
    "'buffer_if_empty':true},"
    /* 2 */
    "{'at_ms':1000,'outage':true,'for_ms':3000,'action':'refuse','status':502,'path':'/ws/*',"
    "'drop_open':true},"
    /* 3 */ "{'at_ms':1500,'outage':true,'for_ms':100,'action':'reset'},"
    /* 4 */ "{'at_ms':2000,'restart':true,'down_ms':1500},"
    /* 5 */ "{'at_ms':4000,'profile':'pre-fix'},"
    /* 6 */ "{'at_ms':100,'close_all':1001,'reason':'going away','path':'/ws/*'},"
    /* 7 */ "{'at_ms':100,'drop_all':true},"
    /* 8 */ "{'at_ms':0,'mark':'start {{seq}}'}"
    "],'timeline_loop_ms':100000,"
    "'expect':["
    "{'name':'pings','client_sends':{'type':'ping'},'path':'/ws/coordinator','within_ms':35000},"
    "{'attempts':{'min':2,'max':6}},"
    "{'name':'backs off','reconnect_policy':'initial=500,factor=3,cap=9000,max=none,jitter=0.1',"
    "'path':'/ws/*'},"
    "{'client_sends':'hello','within_ms':10},"
    "{'attempts':{'min':1}}"
    "]}";

static void test_parse_full_header(void)
{
    struct ms_scenario *s = load_ok(full);
    CU_ASSERT_STRING_EQUAL(s->name, "full-1.x_y");
    CU_ASSERT_STRING_EQUAL(s->description, "every verb");
    CU_ASSERT_EQUAL(s->have_profile, 1);
    CU_ASSERT_EQUAL(s->profile, MS_PROFILE_COORDINATOR);
    CU_ASSERT_DOUBLE_EQUAL(s->time_scale, 0.5, 1e-12);
    CU_ASSERT_EQUAL(s->heartbeat_ms, 2000);
    CU_ASSERT_TRUE(cJSON_IsObject(s->coordinator));
    CU_ASSERT_PTR_NOT_NULL(cJSON_GetObjectItem(s->coordinator, "agents"));
    CU_ASSERT_EQUAL(s->n_rules, 5);
    CU_ASSERT_EQUAL(s->replies.n, 2);
    CU_ASSERT_EQUAL(s->n_timeline, 9);
    CU_ASSERT_EQUAL(s->timeline_loop_ms, 100000);
    CU_ASSERT_EQUAL(s->n_expects, 5);
    CU_ASSERT_EQUAL(s->needs_gate, 0);
    ms_scenario_free(s);
}

static void test_parse_minimal_defaults(void)
{
    struct ms_scenario *s = load_ok("{" HEAD "}");
    CU_ASSERT_STRING_EQUAL(s->name, "t");
    CU_ASSERT_EQUAL(s->have_profile, 0);
    CU_ASSERT_DOUBLE_EQUAL(s->time_scale, 1.0, 1e-12);
    CU_ASSERT_EQUAL(s->heartbeat_ms, -1);
    CU_ASSERT_PTR_NULL(s->coordinator);
    CU_ASSERT_EQUAL(s->n_rules, 0);
    CU_ASSERT_EQUAL(s->replies.n, 0);
    CU_ASSERT_EQUAL(s->n_timeline, 0);
    CU_ASSERT_EQUAL(s->timeline_loop_ms, 0);
    CU_ASSERT_EQUAL(s->n_expects, 0);
    CU_ASSERT_EQUAL(s->needs_gate, 0);
    ms_scenario_free(s);
}

static void test_parse_full_rules(void)
{
    struct ms_scenario *s = load_ok(full);
    const struct ms_rule *r = s->rules;
    /* A bare refuse rule is the real uvicorn 403. */
    CU_ASSERT_STRING_EQUAL(r[0].path, "/ws/coordinator");
    CU_ASSERT_EQUAL(r[0].attempts.kind, MS_ATT_RANGE);
    CU_ASSERT_EQUAL(r[0].attempts.from, 1);
    CU_ASSERT_EQUAL(r[0].attempts.to, 3);
    CU_ASSERT_EQUAL(r[0].action, MS_ACT_REFUSE);
    CU_ASSERT_EQUAL(r[0].preset_uvicorn, 1);
    CU_ASSERT_EQUAL(r[0].status, 403);
    CU_ASSERT_PTR_NULL(r[0].headers);
    CU_ASSERT_PTR_NULL(r[0].body);
    CU_ASSERT_PTR_NULL(r[0].label);
    /* A refuse with its own response. */
    CU_ASSERT_EQUAL(r[1].attempts.kind, MS_ATT_RANGE);
    CU_ASSERT_EQUAL(r[1].attempts.from, 2);
    CU_ASSERT_EQUAL(r[1].attempts.to, 2);
    CU_ASSERT_EQUAL(r[1].action, MS_ACT_REFUSE);
    CU_ASSERT_EQUAL(r[1].preset_uvicorn, 0);
    CU_ASSERT_EQUAL(r[1].status, 503);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(r[1].headers, "Retry-After")->valuestring, "5");
    CU_ASSERT_STRING_EQUAL(r[1].body, "down {{attempt}}");
    /* reset, every 2nd, with a label */
    CU_ASSERT_EQUAL(r[2].attempts.kind, MS_ATT_EVERY);
    CU_ASSERT_EQUAL(r[2].attempts.every, 2);
    CU_ASSERT_EQUAL(r[2].action, MS_ACT_RESET);
    CU_ASSERT_STRING_EQUAL(r[2].label, "even");
    CU_ASSERT_EQUAL(r[2].preset_uvicorn, 0);
    /* accept (the default), open range, no welcome, a script and a reply */
    CU_ASSERT_STRING_EQUAL(r[3].path, "*");
    CU_ASSERT_EQUAL(r[3].attempts.kind, MS_ATT_RANGE);
    CU_ASSERT_EQUAL(r[3].attempts.from, 4);
    CU_ASSERT_EQUAL(r[3].attempts.to, -1);
    CU_ASSERT_EQUAL(r[3].action, MS_ACT_ACCEPT);
    CU_ASSERT_EQUAL(r[3].welcome, 0);
    CU_ASSERT_EQUAL(r[3].on_open.n, 17);
    CU_ASSERT_EQUAL(r[3].replies.n, 1);
    CU_ASSERT_EQUAL(r[3].replies.v[0].match, MS_MATCH_TYPE);
    CU_ASSERT_STRING_EQUAL(r[3].replies.v[0].type, "ping");
    CU_ASSERT_EQUAL(r[3].replies.v[0].steps.n, 1);
    /* attempts as a string of one number; welcome defaults to true; no attempts: every one */
    CU_ASSERT_EQUAL(r[4].attempts.kind, MS_ATT_RANGE);
    CU_ASSERT_EQUAL(r[4].attempts.from, 7);
    CU_ASSERT_EQUAL(r[4].attempts.to, 7);
    CU_ASSERT_EQUAL(r[4].welcome, 1);
    CU_ASSERT_EQUAL(r[4].on_open.n, 0);
    CU_ASSERT_STRING_EQUAL(r[4].label, "seven");
    ms_scenario_free(s);
}

static void test_parse_rule_without_attempts_matches_all(void)
{
    struct ms_scenario *s = load_ok("{" HEAD ",'connections':[{'path':'/ws/*'}]}");
    CU_ASSERT_EQUAL(s->rules[0].attempts.kind, MS_ATT_ALL);
    CU_ASSERT_EQUAL(s->rules[0].action, MS_ACT_ACCEPT);
    CU_ASSERT_EQUAL(s->rules[0].welcome, 1);
    ms_scenario_free(s);
}

static void test_parse_refuse_with_explicit_preset(void)
{
    struct ms_scenario *s = load_ok(
        "{" HEAD ",'connections':[{'path':'/ws/*','action':'refuse','preset':'uvicorn-403'},"
        "{'path':'/a','action':'refuse','body':'x'}]}");
    CU_ASSERT_EQUAL(s->rules[0].preset_uvicorn, 1);
    CU_ASSERT_EQUAL(s->rules[1].preset_uvicorn, 0);
    CU_ASSERT_EQUAL(s->rules[1].status, 403);
    ms_scenario_free(s);
}

/* A rule that hangs or delays makes every connection pass the handshake gate. */
static void test_parse_hang_needs_gate(void)
{
    struct ms_scenario *s =
        load_ok("{" HEAD ",'connections':[{'path':'/ws/agent/*','attempts':1,'action':'hang'}]}");
    CU_ASSERT_EQUAL(s->rules[0].action, MS_ACT_HANG);
    CU_ASSERT_EQUAL(s->needs_gate, 1);
    ms_scenario_free(s);
}

static void test_parse_delay_needs_gate(void)
{
    struct ms_scenario *s = load_ok(
        "{" HEAD ",'connections':[{'path':'/ws/coordinator','action':'accept','delay_ms':2500}]}");
    CU_ASSERT_EQUAL(s->rules[0].delay_ms, 2500);
    CU_ASSERT_EQUAL(s->rules[0].action, MS_ACT_ACCEPT);
    CU_ASSERT_EQUAL(s->needs_gate, 1);
    ms_scenario_free(s);
    s = load_ok("{" HEAD ",'connections':[{'path':'/ws/*','action':'refuse','delay_ms':0}]}");
    CU_ASSERT_EQUAL(s->rules[0].delay_ms, 0);
    CU_ASSERT_EQUAL(s->needs_gate, 0);
    ms_scenario_free(s);
}

static void test_bad_coordinator_model(void)
{
    BAD("{" HEAD ",'coordinator':{'agents':[{'name':'a','status':'sleeping'}]}}",
        "t.json: $.coordinator: agents[0].status: expected one of idle, busy, error, offline");
    BAD("{" HEAD ",'coordinator':[]}",
        "t.json: $.coordinator: must be an object (a coordinator model), not an array");
}

static void test_parse_full_steps(void)
{
    struct ms_scenario *s = load_ok(full);
    const struct ms_step *st = s->rules[3].on_open.v;

    CU_ASSERT_EQUAL(st[0].kind, MS_STEP_SEND);
    char *v = ms_pyjson_print(st[0].value);
    CU_ASSERT_STRING_EQUAL(v, "{\"type\":\"info\",\"message\":\"hi {{client_id}}\",\"n\":1.0}");
    free(v);

    CU_ASSERT_EQUAL(st[1].kind, MS_STEP_SEND_TEXT);
    CU_ASSERT_STRING_EQUAL(st[1].text, "not json {{attempt}}");

    CU_ASSERT_EQUAL(st[2].kind, MS_STEP_EMIT);
    CU_ASSERT_STRING_EQUAL(st[2].emit_kind, "progress");
    CU_ASSERT_PTR_NULL(st[2].room);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(st[2].value, "stage")->valuestring, "scenes");

    CU_ASSERT_EQUAL(st[3].kind, MS_STEP_WAIT);
    CU_ASSERT_EQUAL(st[3].ms, 1000);

    CU_ASSERT_EQUAL(st[4].kind, MS_STEP_CLOSE);
    CU_ASSERT_EQUAL(st[4].code, 1011);
    CU_ASSERT_STRING_EQUAL(st[4].text, "internal error");

    CU_ASSERT_EQUAL(st[5].kind, MS_STEP_DROP);

    CU_ASSERT_EQUAL(st[6].kind, MS_STEP_STALL);
    CU_ASSERT_EQUAL(st[6].ms, -1);
    CU_ASSERT_EQUAL(st[7].kind, MS_STEP_STALL);
    CU_ASSERT_EQUAL(st[7].ms, 5000);

    CU_ASSERT_EQUAL(st[8].kind, MS_STEP_SEND_BYTES);
    CU_ASSERT_EQUAL(st[8].binary, 1);
    CU_ASSERT_EQUAL_FATAL(st[8].nbytes, 4);
    CU_ASSERT_EQUAL(memcmp(st[8].bytes, "\x00\x01\x02\x03", 4), 0);

    CU_ASSERT_EQUAL(st[9].kind, MS_STEP_SEND_BYTES);
    CU_ASSERT_EQUAL(st[9].binary, 0);
    CU_ASSERT_EQUAL_FATAL(st[9].nbytes, 2);
    CU_ASSERT_EQUAL(memcmp(st[9].bytes, "\xc3\x28", 2), 0);

    CU_ASSERT_EQUAL(st[10].kind, MS_STEP_SEND_BYTES);
    CU_ASSERT_EQUAL(st[10].binary, 0);
    CU_ASSERT_EQUAL_FATAL(st[10].nbytes, 13);
    CU_ASSERT_EQUAL(memcmp(st[10].bytes, "{\"type\":\"\xc3\x28\"}", 13), 0);

    CU_ASSERT_EQUAL(st[11].kind, MS_STEP_SEND_FRAGMENTED);
    CU_ASSERT_EQUAL(st[11].count, 3);
    v = ms_pyjson_print(st[11].value);
    CU_ASSERT_STRING_EQUAL(v, "{\"type\":\"pong\"}");
    free(v);

    CU_ASSERT_EQUAL(st[12].kind, MS_STEP_WS_PING);
    CU_ASSERT_STRING_EQUAL(st[12].text, "are you there");

    CU_ASSERT_EQUAL(st[13].kind, MS_STEP_REPEAT);
    CU_ASSERT_EQUAL(st[13].count, 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st[13].body);
    CU_ASSERT_EQUAL_FATAL(st[13].body->n, 1);
    CU_ASSERT_EQUAL(st[13].body->v[0].kind, MS_STEP_MARK);
    CU_ASSERT_STRING_EQUAL(st[13].body->v[0].text, "pass {{iteration}}");

    CU_ASSERT_EQUAL(st[14].kind, MS_STEP_REPEAT);
    CU_ASSERT_EQUAL(st[14].count, -1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st[14].body);
    CU_ASSERT_EQUAL_FATAL(st[14].body->n, 2);
    CU_ASSERT_EQUAL(st[14].body->v[0].kind, MS_STEP_WAIT);
    CU_ASSERT_EQUAL(st[14].body->v[0].ms, 100);
    CU_ASSERT_EQUAL(st[14].body->v[1].kind, MS_STEP_EMIT);
    CU_ASSERT_STRING_EQUAL(st[14].body->v[1].emit_kind, "heartbeat");

    CU_ASSERT_EQUAL(st[15].kind, MS_STEP_MARK);
    CU_ASSERT_STRING_EQUAL(st[15].text, "phase 2");

    CU_ASSERT_EQUAL(st[16].kind, MS_STEP_EMIT);
    CU_ASSERT_STRING_EQUAL(st[16].emit_kind, "info");
    CU_ASSERT_STRING_EQUAL(st[16].room, "workflow_wf-1");
    ms_scenario_free(s);
}

/* Standard and URL alphabets, padding optional. */
static void test_parse_base64_alphabets(void)
{
    struct ms_scenario *s =
        load_ok("{" HEAD ",'connections':[{'path':'/ws/*','on_open':[{'send_binary':'MDEy'},"
                "{'send_binary':'+/8='},{'send_bytes':'-_8','opcode':'binary'},"
                "{'send_binary':''}]}]}");
    const struct ms_step *st = s->rules[0].on_open.v;
    CU_ASSERT_EQUAL_FATAL(st[0].nbytes, 3);
    CU_ASSERT_EQUAL(memcmp(st[0].bytes, "012", 3), 0);
    CU_ASSERT_EQUAL_FATAL(st[1].nbytes, 2);
    CU_ASSERT_EQUAL(memcmp(st[1].bytes, "\xfb\xff", 2), 0);
    CU_ASSERT_EQUAL_FATAL(st[2].nbytes, 2);
    CU_ASSERT_EQUAL(memcmp(st[2].bytes, "\xfb\xff", 2), 0);
    CU_ASSERT_EQUAL(st[2].binary, 1);
    CU_ASSERT_EQUAL(st[3].nbytes, 0);
    ms_scenario_free(s);
}

static void test_parse_full_replies(void)
{
    struct ms_scenario *s = load_ok(full);
    const struct ms_reply *r = s->replies.v;
    CU_ASSERT_EQUAL(r[0].match, MS_MATCH_SUBSET);
    char *v = ms_pyjson_print(r[0].subset);
    CU_ASSERT_STRING_EQUAL(v, "{\"type\":\"control\",\"action\":\"cancel\"}");
    free(v);
    CU_ASSERT_EQUAL(r[0].times, 2);
    CU_ASSERT_PTR_NULL(r[0].path);
    CU_ASSERT_EQUAL(r[0].also_profile, 0);
    CU_ASSERT_EQUAL(r[0].steps.n, 1);
    CU_ASSERT_EQUAL(r[0].steps.v[0].kind, MS_STEP_SEND_TEXT);
    CU_ASSERT_STRING_EQUAL(r[0].steps.v[0].text, "you said {{msg}}");

    CU_ASSERT_EQUAL(r[1].match, MS_MATCH_REGEX);
    CU_ASSERT_EQUAL(r[1].have_re, 1);
    CU_ASSERT_EQUAL(regexec(&r[1].re, "hello there", 0, NULL, 0), 0);
    CU_ASSERT_NOT_EQUAL(regexec(&r[1].re, "say hello", 0, NULL, 0), 0);
    CU_ASSERT_STRING_EQUAL(r[1].path, "/ws/agent/*");
    CU_ASSERT_EQUAL(r[1].times, 0);
    CU_ASSERT_EQUAL(r[1].also_profile, 1);
    CU_ASSERT_EQUAL(r[1].steps.v[0].kind, MS_STEP_MARK);
    CU_ASSERT_EQUAL(r[1].used, 0);
    ms_scenario_free(s);
}

static void test_parse_full_timeline(void)
{
    struct ms_scenario *s = load_ok(full);
    const struct ms_tl_event *e = s->timeline;

    CU_ASSERT_EQUAL(e[0].kind, MS_TL_EMIT);
    CU_ASSERT_EQUAL(e[0].at_ms, 500);
    CU_ASSERT_STRING_EQUAL(e[0].emit_kind, "progress");
    CU_ASSERT_PTR_NULL(e[0].room);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(e[0].obj, "workflow_id")->valuestring, "wf-1");

    CU_ASSERT_EQUAL(e[1].kind, MS_TL_SEND);
    CU_ASSERT_EQUAL(e[1].at_ms, 500);
    CU_ASSERT_STRING_EQUAL(e[1].room, "coordinator_metrics");
    CU_ASSERT_EQUAL(e[1].buffer_if_empty, 1);
    char *v = ms_pyjson_print(cJSON_GetObjectItem(e[1].obj, "send"));
    CU_ASSERT_STRING_EQUAL(v, "{\"type\":\"x\",\"t\":\"{{now}}\"}");
    free(v);

    CU_ASSERT_EQUAL(e[2].kind, MS_TL_OUTAGE);
    CU_ASSERT_EQUAL(e[2].at_ms, 1000);
    CU_ASSERT_EQUAL(e[2].for_ms, 3000);
    CU_ASSERT_EQUAL(e[2].outage_action, MS_ACT_REFUSE);
    CU_ASSERT_EQUAL(e[2].status, 502);
    CU_ASSERT_STRING_EQUAL(e[2].path, "/ws/*");
    CU_ASSERT_EQUAL(e[2].drop_open, 1);

    CU_ASSERT_EQUAL(e[3].kind, MS_TL_OUTAGE);
    CU_ASSERT_EQUAL(e[3].for_ms, 100);
    CU_ASSERT_EQUAL(e[3].outage_action, MS_ACT_RESET);
    CU_ASSERT_EQUAL(e[3].status, 503);
    CU_ASSERT_PTR_NULL(e[3].path);
    CU_ASSERT_EQUAL(e[3].drop_open, 0);

    CU_ASSERT_EQUAL(e[4].kind, MS_TL_RESTART);
    CU_ASSERT_EQUAL(e[4].at_ms, 2000);
    CU_ASSERT_EQUAL(e[4].for_ms, 1500);

    CU_ASSERT_EQUAL(e[5].kind, MS_TL_PROFILE);
    CU_ASSERT_EQUAL(e[5].profile, MS_PROFILE_PREFIX);

    CU_ASSERT_EQUAL(e[6].kind, MS_TL_CLOSE_ALL);
    CU_ASSERT_EQUAL(e[6].at_ms, 100);
    CU_ASSERT_EQUAL(e[6].code, 1001);
    CU_ASSERT_STRING_EQUAL(e[6].text, "going away");
    CU_ASSERT_STRING_EQUAL(e[6].path, "/ws/*");

    CU_ASSERT_EQUAL(e[7].kind, MS_TL_DROP_ALL);
    CU_ASSERT_PTR_NULL(e[7].path);

    CU_ASSERT_EQUAL(e[8].kind, MS_TL_MARK);
    CU_ASSERT_EQUAL(e[8].at_ms, 0);
    CU_ASSERT_STRING_EQUAL(e[8].text, "start {{seq}}");
    ms_scenario_free(s);
}

static void test_parse_full_expectations(void)
{
    struct ms_scenario *s = load_ok(full);
    const struct ms_expect *x = s->expects;

    CU_ASSERT_EQUAL(x[0].kind, MS_EXPECT_SENDS);
    CU_ASSERT_STRING_EQUAL(x[0].name, "pings");
    CU_ASSERT_STRING_EQUAL(x[0].path, "/ws/coordinator");
    CU_ASSERT_EQUAL(x[0].within_ms, 35000);
    CU_ASSERT_TRUE(cJSON_IsObject(x[0].sends));
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(x[0].sends, "type")->valuestring, "ping");

    CU_ASSERT_EQUAL(x[1].kind, MS_EXPECT_ATTEMPTS);
    CU_ASSERT_STRING_EQUAL(x[1].name, "expect[1]");
    CU_ASSERT_STRING_EQUAL(x[1].path, "*");
    CU_ASSERT_EQUAL(x[1].min, 2);
    CU_ASSERT_EQUAL(x[1].max, 6);

    CU_ASSERT_EQUAL(x[2].kind, MS_EXPECT_POLICY);
    CU_ASSERT_STRING_EQUAL(x[2].name, "backs off");
    CU_ASSERT_STRING_EQUAL(x[2].path, "/ws/*");
    CU_ASSERT_DOUBLE_EQUAL(x[2].policy.initial_ms, 500, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(x[2].policy.factor, 3, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(x[2].policy.cap_ms, 9000, 1e-9);
    CU_ASSERT_EQUAL(x[2].policy.max, -1);
    CU_ASSERT_DOUBLE_EQUAL(x[2].policy.jitter, 0.1, 1e-9);

    CU_ASSERT_EQUAL(x[3].kind, MS_EXPECT_SENDS);
    CU_ASSERT_STRING_EQUAL(x[3].name, "expect[3]");
    CU_ASSERT_TRUE(cJSON_IsString(x[3].sends));
    CU_ASSERT_STRING_EQUAL(x[3].sends->valuestring, "hello");
    CU_ASSERT_EQUAL(x[3].within_ms, 10);

    CU_ASSERT_EQUAL(x[4].kind, MS_EXPECT_ATTEMPTS);
    CU_ASSERT_EQUAL(x[4].min, 1);
    CU_ASSERT_EQUAL(x[4].max, -1);
    ms_scenario_free(s);
}

/* ---- bad scenarios: the exact diagnostics ---- */

static void test_bad_json_syntax_has_line_and_column(void)
{
    const char *const want[] = {
        "t.json:2:5: JSON syntax error: Expecting property name enclosed in double quotes", NULL};
    load_bad_text("{\n    nope: 1}", want);
    const char *const want2[] = {"t.json:1:1: JSON syntax error: Expecting value", NULL};
    load_bad_text("", want2);
    const char *const want3[] = {"t.json:3:1: JSON syntax error: Extra data", NULL};
    load_bad_text("{\"name\":\"t\",\"description\":\"d\"}\n\n}", want3);
}

static void test_bad_not_an_object(void)
{
    BAD("['x']", "t.json: $: a scenario must be a JSON object, not an array");
}

static void test_bad_unknown_top_level_key(void)
{
    BAD("{" HEAD ",'bogus':1}",
        "t.json: $: unknown key \"bogus\" (expected name, description, keywords, profile, "
        "time_scale, heartbeat_ms, coordinator, connections, replies, timeline, "
        "timeline_loop_ms, expect)");
}

static void test_bad_missing_name(void)
{
    BAD("{'description':'d'}", "t.json: $: missing key \"name\"");
    BAD("{'name':'t'}", "t.json: $: missing key \"description\"");
    BAD("{'name':'a b','description':'d'}",
        "t.json: $.name: \"a b\" is not a name (1-100 letters, digits, '-', '_', '.')");
    BAD("{'name':7,'description':'d'}", "t.json: $.name: must be a string, not a number");
}

static void test_bad_header_values(void)
{
    BAD("{" HEAD ",'profile':'staging','time_scale':0,'heartbeat_ms':-1,'keywords':'x'}",
        "t.json: $.keywords: must be an array of strings",
        "t.json: $.profile: unknown profile \"staging\" (expected deployed, coordinator, pre-fix)",
        "t.json: $.time_scale: must be a number above 0 and at most 1000",
        "t.json: $.heartbeat_ms: -1 is out of range (0 to 86400000)");
}

static void test_bad_impossible_range(void)
{
    BAD("{" HEAD ",'connections':[{'path':'/ws/*','attempts':'5-3'}]}",
        "t.json: $.connections[0].attempts: impossible range \"5-3\" (the end is before the "
        "start)");
}

static void test_bad_attempt_sets(void)
{
    BAD("{" HEAD ",'connections':[{'path':'/ws/*','attempts':'0'},"
        "{'path':'/ws/*','attempts':'1-2-3'},{'path':'/ws/*','attempts':'every 0'},"
        "{'path':'/ws/*','attempts':'every two'},{'path':'/ws/*','attempts':0},"
        "{'path':'/ws/*','attempts':true},{'path':'/ws/*','attempts':' 3'}]}",
        "t.json: $.connections[0].attempts: bad attempt set \"0\" (expected \"3\", \"1-3\", "
        "\"4-\" or \"every 2\"; attempts start at 1)",
        "t.json: $.connections[1].attempts: bad attempt set \"1-2-3\" (expected \"3\", \"1-3\", "
        "\"4-\" or \"every 2\"; attempts start at 1)",
        "t.json: $.connections[2].attempts: bad attempt set \"every 0\" (\"every N\" needs N >= 1)",
        "t.json: $.connections[3].attempts: bad attempt set \"every two\" (\"every N\" needs N >= "
        "1)",
        "t.json: $.connections[4].attempts: attempt numbers start at 1, not 0",
        "t.json: $.connections[5].attempts: must be an attempt number or a string like \"1-3\", "
        "\"4-\", \"every 2\", not a boolean",
        "t.json: $.connections[6].attempts: bad attempt set \" 3\" (expected \"3\", \"1-3\", "
        "\"4-\" or \"every 2\"; attempts start at 1)");
}

static void test_bad_path_pattern(void)
{
    BAD("{" HEAD ",'connections':[{'path':'ws/x'},{'path':'/ws/*/x'},{'attempts':1}]}",
        "t.json: $.connections[0].path: bad path pattern \"ws/x\" (expected \"/exact/path\", "
        "\"/prefix/*\" or \"*\")",
        "t.json: $.connections[1].path: bad path pattern \"/ws/*/x\" (expected \"/exact/path\", "
        "\"/prefix/*\" or \"*\")",
        "t.json: $.connections[2]: missing key \"path\"");
}

static void test_bad_unknown_action(void)
{
    BAD("{" HEAD ",'connections':[{'path':'/ws/*','action':'explode'}]}",
        "t.json: $.connections[0].action: unknown action \"explode\" (expected accept, refuse, "
        "reset, hang)");
}

static void test_bad_unknown_step_verb(void)
{
    BAD("{" HEAD ",'connections':[{'path':'/ws/*','on_open':[{'sned':{}}]}]}",
        "t.json: $.connections[0].on_open[0]: unknown step (expected one of send, send_text, "
        "emit, wait_ms, close, drop, stall, send_binary, send_bytes, send_invalid_utf8, "
        "send_fragmented, ws_ping, repeat, mark)");
}

static void test_bad_two_verbs_in_one_step(void)
{
    BAD("{" HEAD ",'connections':[{'path':'/ws/*','on_open':[{'mark':'x','send':{}}]}]}",
        "t.json: $.connections[0].on_open[0]: more than one step verb: \"send\" and \"mark\"");
}

static void test_bad_step_modifiers(void)
{
    BAD("{" HEAD ",'connections':[{'path':'/ws/*','on_open':["
        "{'wait_ms':10,'for_ms':5},{'drop':false},{'send_fragmented':'x','fragments':1},"
        "{'send_binary':'AA=A'},{'send_bytes':'AA'},{'repeat':0,'steps':[]}]}]}",
        "t.json: $.connections[0].on_open[0]: unknown key \"for_ms\" (expected wait_ms)",
        "t.json: $.connections[0].on_open[1].drop: must be true",
        "t.json: $.connections[0].on_open[2].fragments: 1 is out of range (2 to 64)",
        "t.json: $.connections[0].on_open[3].send_binary: is not valid base64",
        "t.json: $.connections[0].on_open[4]: missing key \"opcode\"",
        "t.json: $.connections[0].on_open[5].repeat: must be a count from 1 to 1000000 or "
        "\"forever\"");
}

static void test_bad_unknown_placeholder(void)
{
    BAD("{" HEAD ",'connections':[{'path':'/ws/*','on_open':[{'send_text':'{{nope}} {{now}}'},"
        "{'send':{'a':['{{attempt}}','{{bogus}}']}}]}]}",
        "t.json: $.connections[0].on_open[0].send_text: unknown placeholder {{nope}}",
        "t.json: $.connections[0].on_open[1].send.a[1]: unknown placeholder {{bogus}}");
}

static void test_bad_unclosed_placeholder(void)
{
    BAD("{" HEAD ",'connections':[{'path':'/ws/*','on_open':[{'mark':'a {{now'}]}]}",
        "t.json: $.connections[0].on_open[0].mark: unclosed placeholder \"{{now\"");
}

static void test_bad_msg_placeholder_outside_reply(void)
{
    BAD("{" HEAD ",'connections':[{'path':'/ws/*','on_open':[{'send_text':'{{msg.type}}'}]}],"
        "'timeline':[{'at_ms':0,'mark':'{{msg.a}}'}]}",
        "t.json: $.connections[0].on_open[0].send_text: placeholder {{msg.type}} is only "
        "available in replies",
        "t.json: $.timeline[0].mark: placeholder {{msg.a}} is only available in replies");
}

/* A bare {{msg}} outside a reply gets the same explanation as {{msg.x}}; inside a reply, names
 * that only look like msg ones are unknown. */
static void test_bad_bare_msg_placeholder_outside_reply(void)
{
    BAD("{" HEAD ",'connections':[{'path':'/ws/*','on_open':[{'send_text':'{{msg}}'}]}],"
        "'replies':[{'type':'a','do':[{'send_text':'{{msg.}} {{msgx}}'}]}]}",
        "t.json: $.connections[0].on_open[0].send_text: placeholder {{msg}} is only available in "
        "replies",
        "t.json: $.replies[0].do[0].send_text: unknown placeholder {{msg.}}",
        "t.json: $.replies[0].do[0].send_text: unknown placeholder {{msgx}}");
}

static void test_bad_timeline_only_has_now_seq_iteration(void)
{
    BAD("{" HEAD ",'timeline':[{'at_ms':0,'mark':'{{now}} {{seq}} {{iteration}} {{attempt}}'}]}",
        "t.json: $.timeline[0].mark: unknown placeholder {{attempt}}");
}

static void test_bad_forever_without_wait(void)
{
    BAD("{" HEAD ",'connections':[{'path':'/ws/*','on_open':["
        "{'repeat':'forever','steps':[{'mark':'x'},{'wait_ms':0}]}]}]}",
        "t.json: $.connections[0].on_open[0].steps: a \"forever\" block must wait (wait_ms > 0 "
        "or stall), or it would never let the server run");
}

static void test_forever_with_nested_wait_is_fine(void)
{
    struct ms_scenario *s = load_ok(
        "{" HEAD ",'connections':[{'path':'/ws/*','on_open':[{'repeat':'forever','steps':["
        "{'repeat':2,'steps':[{'wait_ms':5}]}]},{'repeat':'forever','steps':[{'stall':true}]}]}]}");
    CU_ASSERT_EQUAL(s->rules[0].on_open.v[0].count, -1);
    CU_ASSERT_EQUAL(s->rules[0].on_open.v[0].body->v[0].count, 2);
    ms_scenario_free(s);
}

static void test_bad_close_code(void)
{
    BAD("{" HEAD ",'connections':[{'path':'/ws/*','on_open':[{'close':1006},{'close':999},"
        "{'close':1015,'reason':'x'}]}]}",
        "t.json: $.connections[0].on_open[0].close: 1006 cannot be sent in a close frame (RFC "
        "6455 7.4.1)",
        "t.json: $.connections[0].on_open[1].close: 999 is out of range (1000 to 4999)",
        "t.json: $.connections[0].on_open[2].close: 1015 cannot be sent in a close frame (RFC "
        "6455 7.4.1)");
}

static void test_bad_refuse_only_key_on_accept_rule(void)
{
    BAD("{" HEAD ",'connections':[{'path':'/ws/*','status':503,'body':'x'},"
        "{'path':'/ws/*','action':'refuse','welcome':true}]}",
        "t.json: $.connections[0]: \"status\" only applies to \"action\": \"refuse\"",
        "t.json: $.connections[0]: \"body\" only applies to \"action\": \"refuse\"",
        "t.json: $.connections[1]: \"welcome\" only applies to \"action\": \"accept\"");
}

static void test_bad_refuse_preset_with_status(void)
{
    BAD("{" HEAD ",'connections':[{'path':'/ws/*','action':'refuse','preset':'uvicorn-403',"
        "'status':403},{'path':'/a','action':'refuse','preset':'nginx'}]}",
        "t.json: $.connections[0]: \"preset\" gives the whole response; it cannot be combined "
        "with \"status\", \"headers\" or \"body\"",
        "t.json: $.connections[1].preset: unknown preset \"nginx\" (expected uvicorn-403)");
}

static void test_bad_delay_out_of_range(void)
{
    BAD("{" HEAD ",'connections':[{'path':'/ws/*','delay_ms':-1},{'path':'/a','delay_ms':1.5}]}",
        "t.json: $.connections[0].delay_ms: -1 is out of range (0 to 86400000)",
        "t.json: $.connections[1].delay_ms: must be an integer, not a number");
}

static void test_bad_regex(void)
{
    char *text = dq("{" HEAD ",'replies':[{'regex':'(','do':[]}]}");
    struct ms_diag d = {0};
    CU_ASSERT_PTR_NULL(ms_scenario_parse(text, strlen(text), "t.json", &d));
    free(text);
    CU_ASSERT_EQUAL_FATAL(d.n, 1);
    /* The tail is regerror()'s text, which depends on the C library. */
    const char *prefix = "t.json: $.replies[0].regex: bad regular expression \"(\": ";
    CU_ASSERT_EQUAL(strncmp(d.lines[0], prefix, strlen(prefix)), 0);
    CU_ASSERT_TRUE(strlen(d.lines[0]) > strlen(prefix));
    ms_diag_free(&d);
}

static void test_bad_reply_kinds_and_do(void)
{
    BAD("{" HEAD ",'replies':[{'type':'ping','regex':'x','do':[]},{'match':{'a':1}},"
        "{'do':[]},{'match':'ping','do':[]}]}",
        "t.json: $.replies[0]: a reply needs exactly one of \"match\", \"type\", \"regex\"",
        "t.json: $.replies[1]: missing key \"do\"",
        "t.json: $.replies[2]: a reply needs exactly one of \"match\", \"type\", \"regex\"",
        "t.json: $.replies[3].match: must be an object, not a string");
}

static void test_bad_expectation_with_two_kinds(void)
{
    BAD("{" HEAD ",'expect':[{'client_sends':{'type':'ping'},'within_ms':100,"
        "'attempts':{'min':1}},{'name':'none'}]}",
        "t.json: $.expect[0]: an expectation needs exactly one of \"client_sends\", "
        "\"attempts\", \"reconnect_policy\"",
        "t.json: $.expect[1]: an expectation needs exactly one of \"client_sends\", "
        "\"attempts\", \"reconnect_policy\"");
}

static void test_bad_expectation_values(void)
{
    BAD("{" HEAD ",'expect':[{'attempts':{'min':5,'max':3}},{'attempts':{}},"
        "{'reconnect_policy':'cap=500'},{'client_sends':{'type':'ping'}},"
        "{'attempts':{'min':1},'within_ms':5}]}",
        "t.json: $.expect[0].attempts: impossible range: min 5 is above max 3",
        "t.json: $.expect[1].attempts: needs \"min\", \"max\" or both",
        "t.json: $.expect[2].reconnect_policy: policy cap (500) is below initial (1000)",
        "t.json: $.expect[3]: missing key \"within_ms\"",
        "t.json: $.expect[4]: \"within_ms\" only applies to \"client_sends\"");
}

static void test_bad_timeline_at_or_after_loop(void)
{
    BAD("{" HEAD ",'timeline':[{'at_ms':999,'mark':'a'},{'at_ms':1000,'mark':'b'},"
        "{'at_ms':5000,'drop_all':true}],'timeline_loop_ms':1000}",
        "t.json: $.timeline[1]: at_ms 1000 is not before timeline_loop_ms 1000",
        "t.json: $.timeline[2]: at_ms 5000 is not before timeline_loop_ms 1000");
}

static void test_bad_timeline_events(void)
{
    BAD("{" HEAD ",'timeline':[{'mark':'a'},{'at_ms':0,'explode':true},"
        "{'at_ms':0,'restart':true,'drop_all':true},{'at_ms':0,'outage':true,'for_ms':5,"
        "'action':'hang'},{'at_ms':0,'emit':'pong'}]}",
        "t.json: $.timeline[0]: missing key \"at_ms\"",
        "t.json: $.timeline[1]: unknown event (expected one of emit, send, outage, restart, "
        "profile, close_all, drop_all, mark)",
        "t.json: $.timeline[2]: more than one event verb: \"restart\" and \"drop_all\"",
        "t.json: $.timeline[3].action: unknown action \"hang\" (expected refuse, reset)",
        "t.json: $.timeline[4]: kind \"pong\" has no room of its own: add \"room\"");
}

/* Every problem in a file is listed, in file order. */
static void test_bad_every_problem_is_listed(void)
{
    BAD("{" HEAD ",'colour':'red',"
        "'connections':[{'path':'/ws/*','attempts':'5-3','action':'explode'},"
        "{'path':'/ws/x','on_open':[{'close':1006},{'send_text':'{{nope}}'},{'wait':1}]}],"
        "'replies':[{'regex':'x'}],"
        "'timeline':[{'at_ms':2000,'mark':'late'}],'timeline_loop_ms':1000,"
        "'expect':[{'reconnect_policy':'factor=0.5'}]}",
        "t.json: $: unknown key \"colour\" (expected name, description, keywords, profile, "
        "time_scale, heartbeat_ms, coordinator, connections, replies, timeline, "
        "timeline_loop_ms, expect)",
        "t.json: $.connections[0].attempts: impossible range \"5-3\" (the end is before the "
        "start)",
        "t.json: $.connections[0].action: unknown action \"explode\" (expected accept, refuse, "
        "reset, hang)",
        "t.json: $.connections[1].on_open[0].close: 1006 cannot be sent in a close frame (RFC "
        "6455 7.4.1)",
        "t.json: $.connections[1].on_open[1].send_text: unknown placeholder {{nope}}",
        "t.json: $.connections[1].on_open[2]: unknown step (expected one of send, send_text, "
        "emit, wait_ms, close, drop, stall, send_binary, send_bytes, send_invalid_utf8, "
        "send_fragmented, ws_ping, repeat, mark)",
        "t.json: $.replies[0]: missing key \"do\"",
        "t.json: $.timeline[0]: at_ms 2000 is not before timeline_loop_ms 1000",
        "t.json: $.expect[0].reconnect_policy: bad value in policy item \"factor=0.5\" "
        "(initial, cap > 0; factor >= 1; max a whole number >= 1 or none; jitter 0..1; reset >= "
        "0)");
}

static void test_diag_origin_defaults(void)
{
    struct ms_diag d = {0};
    ms_diag_add(&d, "$.x", "n=%d", 5);
    ms_diag_add(&d, NULL, "plain");
    d.origin = "f.json";
    ms_diag_add(&d, "$", "%s", "here");
    ms_diag_add_raw(&d, "raw line");
    CU_ASSERT_EQUAL_FATAL(d.n, 4);
    CU_ASSERT_STRING_EQUAL(d.lines[0], "<scenario>: $.x: n=5");
    CU_ASSERT_STRING_EQUAL(d.lines[1], "<scenario>: plain");
    CU_ASSERT_STRING_EQUAL(d.lines[2], "f.json: $: here");
    CU_ASSERT_STRING_EQUAL(d.lines[3], "raw line");
    ms_diag_free(&d);
    CU_ASSERT_EQUAL(d.n, 0);
    CU_ASSERT_PTR_NULL(d.lines);
}

static void test_load_file_missing(void)
{
    struct ms_diag d = {0};
    CU_ASSERT_PTR_NULL(ms_scenario_load_file("/nonexistent-dir/none.json", &d));
    CU_ASSERT_EQUAL_FATAL(d.n, 1);
    CU_ASSERT_STRING_EQUAL(d.lines[0],
                           "/nonexistent-dir/none.json: cannot open: No such file or directory");
    ms_diag_free(&d);
}

static CU_TestInfo scenario_tests[] = {
    MS_TEST(test_path_match_exact),
    MS_TEST(test_path_match_prefix),
    MS_TEST(test_path_match_star_matches_everything),
    MS_TEST(test_attempts_match_all),
    MS_TEST(test_attempts_match_range),
    MS_TEST(test_attempts_match_open_range),
    MS_TEST(test_attempts_match_every),
    MS_TEST(test_json_contains_nested_subset),
    MS_TEST(test_json_contains_numbers_by_value),
    MS_TEST(test_json_contains_arrays_must_be_equal),
    MS_TEST(test_json_contains_missing_key_or_wrong_type),
    MS_TEST(test_json_contains_non_objects_compare_equal),
    MS_TEST(test_scale_ms_rounds_to_nearest),
    MS_TEST(test_scale_ms_never_negative),
    MS_TEST(test_scenario_match_first_rule_wins),
    MS_TEST(test_scenario_match_none),
    MS_TEST(test_parse_full_header),
    MS_TEST(test_parse_minimal_defaults),
    MS_TEST(test_parse_full_rules),
    MS_TEST(test_parse_rule_without_attempts_matches_all),
    MS_TEST(test_parse_refuse_with_explicit_preset),
    MS_TEST(test_parse_hang_needs_gate),
    MS_TEST(test_parse_delay_needs_gate),
    MS_TEST(test_bad_coordinator_model),
    MS_TEST(test_parse_full_steps),
    MS_TEST(test_parse_base64_alphabets),
    MS_TEST(test_parse_full_replies),
    MS_TEST(test_parse_full_timeline),
    MS_TEST(test_parse_full_expectations),
    MS_TEST(test_bad_json_syntax_has_line_and_column),
    MS_TEST(test_bad_not_an_object),
    MS_TEST(test_bad_unknown_top_level_key),
    MS_TEST(test_bad_missing_name),
    MS_TEST(test_bad_header_values),
    MS_TEST(test_bad_impossible_range),
    MS_TEST(test_bad_attempt_sets),
    MS_TEST(test_bad_path_pattern),
    MS_TEST(test_bad_unknown_action),
    MS_TEST(test_bad_unknown_step_verb),
    MS_TEST(test_bad_two_verbs_in_one_step),
    MS_TEST(test_bad_step_modifiers),
    MS_TEST(test_bad_unknown_placeholder),
    MS_TEST(test_bad_unclosed_placeholder),
    MS_TEST(test_bad_msg_placeholder_outside_reply),
    MS_TEST(test_bad_bare_msg_placeholder_outside_reply),
    MS_TEST(test_bad_timeline_only_has_now_seq_iteration),
    MS_TEST(test_bad_forever_without_wait),
    MS_TEST(test_forever_with_nested_wait_is_fine),
    MS_TEST(test_bad_close_code),
    MS_TEST(test_bad_refuse_only_key_on_accept_rule),
    MS_TEST(test_bad_refuse_preset_with_status),
    MS_TEST(test_bad_delay_out_of_range),
    MS_TEST(test_bad_regex),
    MS_TEST(test_bad_reply_kinds_and_do),
    MS_TEST(test_bad_expectation_with_two_kinds),
    MS_TEST(test_bad_expectation_values),
    MS_TEST(test_bad_timeline_at_or_after_loop),
    MS_TEST(test_bad_timeline_events),
    MS_TEST(test_bad_every_problem_is_listed),
    MS_TEST(test_diag_origin_defaults),
    MS_TEST(test_load_file_missing),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"scenario", NULL, NULL, NULL, NULL, scenario_tests},
    CU_SUITE_INFO_NULL,
};
