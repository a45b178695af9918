/* ms_scenario_run -- the loaded scenario at work: upgrade decisions, on-open scripts, replies, the
 * timeline and the expectations. */
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include "ms_emit.h"
#include "ms_map.h"
#include "ms_pyjson.h"
#include "ms_server.h"
#include "ms_template.h"
#include "ms_time.h"

static int64_t scn_now(struct ms_server *srv)
{
    (void)srv;
    return ms_time_mono_ms();
}

/* ---- expectations ---- */

/* ms_expect_cb: a verdict goes to the journal. */
static void expect_journal(void *arg, size_t i, int status, const char *detail)
{
    struct ms_server *srv = arg;
    cJSON *ev = ms_server_event("expect");
    if (!ev)
        return;
    cJSON_AddNumberToObject(ev, "index", (double)i);
    cJSON_AddStringToObject(ev, "name", srv->scn->expects[i].name);
    cJSON_AddStringToObject(ev, "status", status == MS_EXPECT_MET ? "met" : "failed");
    cJSON_AddStringToObject(ev, "detail", detail);
    ms_server_journal(srv, ev);
}

void ms_scenario_on_upgrade(struct ms_server *srv, const char *path, int accepted)
{
    if (srv->scn)
        ms_expect_on_attempt(srv->scn, srv->xs, srv->scale, path, accepted,
                             (double)(scn_now(srv) - srv->scn_t0_ms), expect_journal, srv);
}

static void expect_deadline(lws_sorted_usec_list_t *sul);

/* Fails the client_sends expectations c has not met once their deadline passed; re-arms. */
static void expect_check_conn(struct ms_conn *c, int closing)
{
    struct ms_server *srv = c->srv;
    if (!srv->scn || c->scn_gen != srv->scn_gen)
        return;
    int64_t now = scn_now(srv), next;
    c->expect_pending =
        ms_expect_check_deadlines(srv->scn, srv->xs, srv->scale, c->expect_pending, c->id, c->path,
                                  c->open_ms, now, closing, &next, expect_journal, srv);
    if (next >= 0 && !closing)
        lws_sul_schedule(lws_get_context(c->wsi), 0, &c->sul_expect, expect_deadline,
                         (lws_usec_t)(next - now) * LWS_US_PER_MS);
}

static void expect_deadline(lws_sorted_usec_list_t *sul)
{
    expect_check_conn(lws_container_of(sul, struct ms_conn, sul_expect), 0);
}

char *ms_scenario_expect_report(struct ms_server *srv)
{
    struct ms_scenario *s = srv->scn;
    cJSON *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();
    if (!o || !arr) {
        cJSON_Delete(o);
        cJSON_Delete(arr);
        return NULL;
    }
    if (s)
        cJSON_AddStringToObject(o, "scenario", s->name);
    else
        cJSON_AddNullToObject(o, "scenario");
    cJSON_AddItemToObject(o, "expectations", arr);
    long counts[3] = {0, 0, 0};
    static const char *const kinds[] = {"client_sends", "attempts", "reconnect_policy"};
    static const char *const statuses[] = {"pending", "met", "failed"};
    for (size_t i = 0; s && i < s->n_expects; i++) {
        struct ms_expect_state *x = &srv->xs[i];
        cJSON *e = cJSON_CreateObject();
        if (!e)
            break;
        ms_pyjson_add_int(e, "index", (long long)i);
        cJSON_AddStringToObject(e, "name", s->expects[i].name);
        cJSON_AddStringToObject(e, "kind", kinds[s->expects[i].kind]);
        cJSON_AddStringToObject(e, "status", statuses[x->status]);
        cJSON_AddStringToObject(e, "detail", x->detail[0] ? x->detail : "nothing seen yet");
        cJSON_AddItemToArray(arr, e);
        counts[x->status]++;
    }
    ms_pyjson_add_int(o, "met", counts[1]);
    ms_pyjson_add_int(o, "failed", counts[2]);
    ms_pyjson_add_int(o, "pending", counts[0]);
    char *text = ms_pyjson_print(o);
    cJSON_Delete(o);
    return text;
}

/* ---- upgrade decisions ---- */

struct ms_decision ms_scenario_decide(struct ms_server *srv, const char *path,
                                      unsigned long attempt, const char *origin)
{
    struct ms_decision d = {.action = MS_ACT_ACCEPT, .status = 403, .rule_index = -1};
    if (srv->outage_until_ms && scn_now(srv) < srv->outage_until_ms &&
        ms_path_match(srv->outage_path ? srv->outage_path : "*", path)) {
        d.action = srv->outage_action;
        d.status = srv->outage_status;
        d.outage = 1;
        return d;
    }
    d.rule = ms_scenario_match_origin(srv->scn, path, attempt, origin, &d.rule_index);
    if (d.rule) {
        d.action = d.rule->action;
        d.delay_ms = ms_scale_ms(d.rule->delay_ms, srv->scale);
        d.status = d.rule->action == MS_ACT_REFUSE ? d.rule->status : 403;
    }
    return d;
}

/* ---- sessions ---- */

void ms_scenario_on_open(struct ms_conn *c)
{
    struct ms_server *srv = c->srv;
    struct ms_scenario *s = srv->scn;
    const struct ms_rule *r =
        s && c->scn_gen == srv->scn_gen && c->rule >= 0 && (size_t)c->rule < s->n_rules
            ? &s->rules[c->rule]
            : NULL;
    if (!r || r->welcome)
        ms_endpoint_on_open(c);
    if (!s || c->scn_gen != srv->scn_gen)
        return;
    c->open_ms = scn_now(srv);
    c->expect_pending = ms_expect_sends_for(s, srv->xs, c->path);
    expect_check_conn(c, 0);
    if (r)
        ms_script_start(c, &r->on_open, NULL, NULL);
}

static int reply_matches(const struct ms_reply *r, const char *path, const cJSON *msg,
                         const char *text)
{
    if (r->path && !ms_path_match(r->path, path))
        return 0;
    if (r->times && r->used >= r->times)
        return 0;
    switch (r->match) {
    case MS_MATCH_SUBSET:
        return msg && ms_json_contains(msg, r->subset);
    case MS_MATCH_TYPE: {
        const cJSON *t = cJSON_IsObject(msg) ? cJSON_GetObjectItemCaseSensitive(msg, "type") : NULL;
        return cJSON_IsString(t) && !strcmp(t->valuestring, r->type);
    }
    case MS_MATCH_REGEX:
        return r->have_re && regexec(&r->re, text, 0, NULL, 0) == 0;
    }
    return 0;
}

static struct ms_reply *find_reply(struct ms_replies *rs, const char *path, const cJSON *msg,
                                   const char *text)
{
    for (size_t i = 0; i < rs->n; i++)
        if (reply_matches(&rs->v[i], path, msg, text))
            return &rs->v[i];
    return NULL;
}

int ms_scenario_on_message(struct ms_conn *c, const char *text, size_t len, int binary)
{
    struct ms_server *srv = c->srv;
    struct ms_scenario *s = srv->scn;
    if (!s || c->scn_gen != srv->scn_gen || binary)
        return 0;
    cJSON *msg = ms_pyjson_parse(text, len, NULL, 0);
    if (c->expect_pending)
        c->expect_pending =
            ms_expect_on_message(s, srv->xs, c->expect_pending, msg, text, expect_journal, srv);
    struct ms_reply *r = NULL;
    if (c->rule >= 0 && (size_t)c->rule < s->n_rules)
        r = find_reply(&s->rules[c->rule].replies, c->path, msg, text);
    if (!r)
        r = find_reply(&s->replies, c->path, msg, text);
    int handled = 0;
    if (r) {
        r->used++;
        ms_script_start(c, &r->steps, msg, text);
        handled = !r->also_profile;
    }
    cJSON_Delete(msg);
    return handled;
}

void ms_scenario_on_close(struct ms_conn *c)
{
    lws_sul_cancel(&c->sul_expect);
    if (c->expect_pending)
        expect_check_conn(c, 1);
}

/* ---- the timeline ---- */

static void timeline_fire(lws_sorted_usec_list_t *sul);

static void timeline_schedule(struct ms_server *srv)
{
    int64_t due = ms_timeline_next_due(srv->scn, srv->scale, &srv->tl);
    if (due < 0)
        return;
    int64_t wait = due - scn_now(srv);
    lws_sul_schedule(srv->ctx, 0, &srv->sul_timeline, timeline_fire,
                     (lws_usec_t)(wait > 0 ? wait : 0) * LWS_US_PER_MS);
}

/* Every open session whose path matches (NULL: all), newest first. */
#define FOR_EACH_CONN(srv, c, n, pattern)                                                          \
    for (struct ms_conn *c = (srv)->conns, *n = c ? c->next : NULL; c;                             \
         c = n, n = c ? c->next : NULL)                                                            \
        if (!(pattern) || ms_path_match((pattern), c->path))

static void run_event(struct ms_server *srv, size_t index, const struct ms_tl_event *e)
{
    char now[32];
    ms_server_now_iso(now, sizeof(now));
    struct ms_tmpl_ctx t = {
        .now = now, .seq = ++srv->tl_seq, .iteration = (long long)srv->tl.iteration};
    cJSON *ev = ms_server_event("timeline");
    if (ev) {
        static const char *const names[] = {"emit",    "send",      "outage",   "restart",
                                            "profile", "close_all", "drop_all", "mark"};
        ms_pyjson_add_int(ev, "index", (long long)index);
        cJSON_AddStringToObject(ev, "event", names[e->kind]);
        ms_server_journal(srv, ev);
    }
    switch (e->kind) {
    case MS_TL_EMIT: {
        cJSON *obj = ms_template_value(e->obj, &t);
        char *text = obj ? ms_emit_render(e->emit_kind, obj, now, NULL) : NULL;
        if (text && e->room)
            ms_server_broadcast(srv, e->room, text);
        else if (text)
            ms_server_route(srv, e->emit_kind, obj, text);
        free(text);
        cJSON_Delete(obj);
        break;
    }
    case MS_TL_SEND: {
        cJSON *v = ms_template_value(cJSON_GetObjectItemCaseSensitive(e->obj, "send"), &t);
        char *text = !v ? NULL : cJSON_IsString(v) ? strdup(v->valuestring) : ms_pyjson_print(v);
        if (text && e->buffer_if_empty)
            ms_server_broadcast(srv, e->room, text);
        else if (text)
            ms_server_send_to_room(srv, e->room, text);
        free(text);
        cJSON_Delete(v);
        break;
    }
    case MS_TL_OUTAGE:
        srv->outage_until_ms = scn_now(srv) + ms_scale_ms(e->for_ms, srv->scale);
        srv->outage_action = e->outage_action;
        srv->outage_status = e->status;
        srv->outage_path = e->path;
        if (e->drop_open)
            FOR_EACH_CONN(srv, c, n, e->path) ms_conn_drop(c);
        break;
    case MS_TL_RESTART:
        ms_server_restart(srv, ms_scale_ms(e->for_ms, srv->scale));
        break;
    case MS_TL_PROFILE:
        srv->profile = e->profile;
        break;
    case MS_TL_CLOSE_ALL:
        FOR_EACH_CONN(srv, c, n, e->path) ms_conn_close(c, e->code, e->text);
        break;
    case MS_TL_DROP_ALL:
        FOR_EACH_CONN(srv, c, n, e->path) ms_conn_drop(c);
        break;
    case MS_TL_MARK: {
        char *text = ms_template_string(e->text, &t);
        cJSON *m = ms_server_event("mark");
        if (m && text) {
            cJSON_AddStringToObject(m, "text", text);
            cJSON_AddNullToObject(m, "conn");
            ms_server_journal(srv, m);
        } else {
            cJSON_Delete(m);
        }
        free(text);
        break;
    }
    }
}

static void timeline_fire(lws_sorted_usec_list_t *sul)
{
    struct ms_server *srv = lws_container_of(sul, struct ms_server, sul_timeline);
    struct ms_scenario *s = srv->scn;
    const struct ms_tl_event *e;
    size_t i;
    while (s && (e = ms_timeline_due(s, srv->scale, &srv->tl, scn_now(srv), &i))) {
        run_event(srv, i, e);
        if (srv->scn != s)
            return; /* an event replaced the scenario */
    }
    timeline_schedule(srv);
}

/* ---- install ---- */

static void free_runtime(struct ms_server *srv)
{
    lws_sul_cancel(&srv->sul_timeline);
    if (srv->xs && srv->scn)
        ms_expect_free(srv->xs, srv->scn->n_expects);
    free(srv->xs);
    srv->xs = NULL;
    ms_scenario_free(srv->scn);
    srv->scn = NULL;
}

int ms_scenario_install(struct ms_server *srv, struct ms_scenario *s, double scale, char *err,
                        size_t errlen)
{
    struct ms_expect_state *xs = NULL;
    if (s && s->n_expects && !(xs = calloc(s->n_expects, sizeof(*xs)))) {
        snprintf(err, errlen, "out of memory");
        ms_scenario_free(s);
        return -1;
    }
    if (s && s->coordinator) {
        char now[32];
        ms_server_now_iso(now, sizeof(now));
        ms_coord_reset(srv->coord);
        if (ms_coord_load(srv->coord, s->coordinator, now, err, errlen)) {
            free(xs);
            ms_scenario_free(s);
            return -1;
        }
    }
    const char *old = srv->scn ? srv->scn->name : NULL;
    cJSON *ev = ms_server_event("scenario");
    if (ev) {
        cJSON_AddStringToObject(ev, "name", s ? s->name : old ? old : "");
        cJSON_AddStringToObject(ev, "action", s ? "loaded" : "unloaded");
    }
    for (struct ms_conn *c = srv->conns; c; c = c->next) {
        ms_script_cancel_all(c);
        ms_conn_resume(c);
        lws_sul_cancel(&c->sul_expect);
        c->expect_pending = 0;
    }
    ms_listen_release_held(srv);
    free_runtime(srv);
    srv->scn = s;
    srv->xs = xs;
    srv->scn_gen++;
    srv->scale_override = scale;
    srv->scale = s ? (scale > 0 ? scale : s->time_scale) : 1;
    srv->scn_t0_ms = scn_now(srv);
    ms_timeline_start(&srv->tl, srv->scn_t0_ms);
    srv->tl_seq = 0;
    srv->outage_until_ms = 0;
    srv->profile = s && s->have_profile ? s->profile : srv->opt.profile;
    srv->heartbeat_ms = s && s->heartbeat_ms >= 0 ? (long)ms_scale_ms(s->heartbeat_ms, srv->scale)
                                                  : srv->opt.heartbeat_ms;
    ms_map_clear(srv->attempts);
    if (ev) {
        if (s)
            ms_pyjson_add_float(ev, "time_scale", srv->scale);
        ms_server_journal(srv, ev);
    }
    if (s)
        timeline_schedule(srv);
    return 0;
}

static void reset_reply_counts(struct ms_replies *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        rs->v[i].used = 0;
}

void ms_scenario_restart(struct ms_server *srv)
{
    struct ms_scenario *s = srv->scn;
    if (!s)
        return;
    ms_expect_free(srv->xs, s->n_expects);
    free(srv->xs);
    srv->xs = NULL;
    srv->scn = NULL; /* detached: install takes it back */
    reset_reply_counts(&s->replies);
    for (size_t i = 0; i < s->n_rules; i++)
        reset_reply_counts(&s->rules[i].replies);
    char err[256];
    if (ms_scenario_install(srv, s, srv->scale_override, err, sizeof(err)))
        lwsl_err("wsmock: restarting the scenario failed: %s\n", err);
}

void ms_scenario_release(struct ms_server *srv)
{
    free_runtime(srv);
}
