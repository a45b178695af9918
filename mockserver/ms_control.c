/* ms_control -- the /__mock/ control API: emit, journal (long-poll), reset, coordinator model. */
#include <stdlib.h>
#include <string.h>
#include "ms_pyjson.h"
#include "ms_render.h"
#include "ms_server.h"
#include "ms_time.h"

#define WAIT_MAX_MS 60000

static int respond_error(struct ms_conn *c, int status, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    char *s = NULL;
    if (o && cJSON_AddStringToObject(o, "error", msg))
        s = ms_pyjson_print(o);
    cJSON_Delete(o);
    return s ? ms_http_respond_owned(c, status, "application/json", s, strlen(s)) : -1;
}

static int respond_obj(struct ms_conn *c, cJSON *o)
{
    char *s = o ? ms_pyjson_print(o) : NULL;
    cJSON_Delete(o);
    return s ? ms_http_respond_owned(c, 200, "application/json", s, strlen(s)) : -1;
}

static int is_loopback(struct lws *wsi)
{
    char peer[64] = "";
    lws_get_peer_simple(wsi, peer, sizeof(peer));
    return !strncmp(peer, "127.", 4) || !strcmp(peer, "::1") || !strncmp(peer, "::ffff:127.", 11);
}

/* ---- emit ---- */

/* Field rules for one kind: name, type ('s' string, 'z' string or null, 'n' number, 'i' int,
 * 'b' bool, 'o' object), required. */
struct field {
    const char *name;
    char type;
    int required;
};

static const struct field progress_fields[] = {
    {"kind", 's', 1},  {"workflow_id", 's', 1}, {"state", 's', 1},   {"progress", 'n', 0},
    {"stage", 'z', 0}, {"message", 'z', 0},     {"details", 'o', 0}, {NULL, 0, 0}};
static const struct field agent_fields[] = {{"kind", 's', 1},
                                            {"agent_name", 's', 1},
                                            {"status", 's', 1},
                                            {"metrics", 'o', 0},
                                            {NULL, 0, 0}};
static const struct field metrics_fields[] = {{"kind", 's', 1},
                                              {"total_messages", 'i', 0},
                                              {"total_workflows", 'i', 0},
                                              {"registered_agents", 'i', 0},
                                              {"healthy_agents", 'i', 0},
                                              {"active_workflows", 'i', 0},
                                              {"queue_size", 'i', 0},
                                              {"dead_letters", 'i', 0},
                                              {NULL, 0, 0}};
static const struct field error_fields[] = {
    {"kind", 's', 1},       {"target_type", 's', 1}, {"target_id", 's', 1}, {"message", 's', 1},
    {"error_type", 's', 0}, {"retryable", 'b', 0},   {"details", 'o', 0},   {NULL, 0, 0}};
static const struct field raw_fields[] = {{"room", 's', 1},
                                          {"message", 'o', 0},
                                          {"text", 's', 0},
                                          {"buffer_if_empty", 'b', 0},
                                          {NULL, 0, 0}};

/* Checks body against the rules; writes the first problem into err. Returns 0 if valid. */
static int check_fields(const cJSON *body, const struct field *rules, char *err, size_t len)
{
    for (const cJSON *m = body->child; m; m = m->next) {
        const struct field *f = rules;
        while (f->name && strcmp(f->name, m->string))
            f++;
        if (!f->name) {
            snprintf(err, len, "unknown field '%s'", m->string);
            return -1;
        }
        int ok = 0;
        switch (f->type) {
        case 's':
            ok = cJSON_IsString(m);
            break;
        case 'z':
            ok = cJSON_IsString(m) || cJSON_IsNull(m);
            break;
        case 'n':
            ok = ms_pyjson_is_number(m);
            break;
        case 'i':
            ok = ms_pyjson_is_int(m);
            break;
        case 'b':
            ok = cJSON_IsBool(m);
            break;
        case 'o':
            ok = cJSON_IsObject(m);
            break;
        }
        if (!ok) {
            static const char *names[] = {
                ['s'] = "a string",   ['z'] = "a string or null", ['n'] = "a number",
                ['i'] = "an integer", ['b'] = "true or false",    ['o'] = "an object"};
            snprintf(err, len, "field '%s' must be %s", m->string, names[(unsigned char)f->type]);
            return -1;
        }
    }
    for (const struct field *f = rules; f->name; f++) {
        if (f->required && !cJSON_GetObjectItemCaseSensitive(body, f->name)) {
            snprintf(err, len, "missing field '%s'", f->name);
            return -1;
        }
    }
    return 0;
}

static const char *str_or_null(const cJSON *body, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static size_t emit_progress(struct ms_server *srv, const cJSON *b, const char *ts, char **text)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(b, "progress");
    const char *wf = str_or_null(b, "workflow_id");
    *text = ms_render_progress(wf, ts, str_or_null(b, "state"), p ? ms_pyjson_number(p) : 0.0,
                               str_or_null(b, "stage"), str_or_null(b, "message"),
                               cJSON_GetObjectItemCaseSensitive(b, "details"));
    const char *room = ms_state_workflow_room(srv->state, wf);
    /* broadcast_progress returns early when no client ever mapped the workflow: dropped */
    return *text && room ? ms_server_broadcast(srv, room, *text) : 0;
}

/* broadcast_agent_status: every room mapped to the agent; an unmapped agent drops the message. */
static size_t broadcast_to_agent(struct ms_server *srv, const char *agent, const char *text)
{
    const char *const *rooms = ms_state_agent_rooms(srv->state, agent);
    size_t n = 0;
    for (size_t i = 0; rooms && rooms[i]; i++)
        n += ms_server_broadcast(srv, rooms[i], text);
    return n;
}

static size_t emit_agent_status(struct ms_server *srv, const cJSON *b, const char *ts, char **text)
{
    const char *name = str_or_null(b, "agent_name");
    *text = ms_render_agent_status(name, ts, str_or_null(b, "status"),
                                   cJSON_GetObjectItemCaseSensitive(b, "metrics"));
    return *text ? broadcast_to_agent(srv, name, *text) : 0;
}

static size_t emit_metrics(struct ms_server *srv, const cJSON *b, const char *ts, char **text)
{
    cJSON *m = cJSON_CreateObject();
    for (const struct field *f = metrics_fields + 1; m && f->name; f++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(b, f->name);
        cJSON *item = v ? ms_pyjson_dup(v) : ms_pyjson_int(0);
        if (!item) {
            cJSON_Delete(m);
            m = NULL;
            break;
        }
        cJSON_AddItemToObject(m, f->name, item);
    }
    *text = m ? ms_render_coordinator_metrics(ts, m) : NULL;
    cJSON_Delete(m);
    return *text ? ms_server_broadcast(srv, "coordinator_metrics", *text) : 0;
}

static size_t emit_error(struct ms_server *srv, const cJSON *b, const char *ts, char **text,
                         char *err, size_t errlen)
{
    const char *tt = str_or_null(b, "target_type"), *id = str_or_null(b, "target_id");
    if (strcmp(tt, "coordinator") && strcmp(tt, "workflow") && strcmp(tt, "agent")) {
        snprintf(err, errlen, "field 'target_type' must be workflow, agent or coordinator");
        *text = NULL;
        return 0;
    }
    const char *et = str_or_null(b, "error_type");
    *text =
        ms_render_error_broadcast(tt, id, str_or_null(b, "message"), et ? et : "Error",
                                  cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "retryable")),
                                  cJSON_GetObjectItemCaseSensitive(b, "details"), ts);
    if (!*text)
        return 0;
    /* Like progress and agent_status: workflow and agent targets go through the broadcaster's maps
     * (nothing mapped: dropped); the coordinator room is addressed directly (empty: buffered). */
    if (!strcmp(tt, "coordinator"))
        return ms_server_broadcast(srv, "coordinator_metrics", *text);
    if (!strcmp(tt, "workflow")) {
        const char *room = ms_state_workflow_room(srv->state, id);
        return room ? ms_server_broadcast(srv, room, *text) : 0;
    }
    return broadcast_to_agent(srv, id, *text);
}

static int emit(struct ms_conn *c, const cJSON *b)
{
    struct ms_server *srv = c->srv;
    char err[256] = "", ts[32], *text = NULL;
    size_t delivered = 0;
    ms_server_now_iso(ts, sizeof(ts));
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(b, "kind");
    if (!kind) {
        if (check_fields(b, raw_fields, err, sizeof(err)))
            return respond_error(c, 400, err);
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(b, "message");
        const char *raw = str_or_null(b, "text");
        if (!!msg == !!raw)
            return respond_error(c, 400,
                                 "a raw emit needs exactly one of 'message' (an object) "
                                 "or 'text' (a string)");
        text = msg ? ms_pyjson_print(msg) : strdup(raw);
        if (!text)
            return -1;
        /* buffer_if_empty: the broadcaster's _broadcast_to_room, which buffers for an empty room
         * (the only way to stage a workflow replay, PROTOCOL.md 3.3); else broadcast_to_room. */
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "buffer_if_empty")))
            delivered = ms_server_broadcast(srv, str_or_null(b, "room"), text);
        else
            delivered = ms_server_send_to_room(srv, str_or_null(b, "room"), text);
    } else if (!cJSON_IsString(kind)) {
        return respond_error(c, 400, "field 'kind' must be a string");
    } else {
        const char *k = kind->valuestring;
        const struct field *rules = !strcmp(k, "progress")              ? progress_fields
                                    : !strcmp(k, "agent_status")        ? agent_fields
                                    : !strcmp(k, "coordinator_metrics") ? metrics_fields
                                    : !strcmp(k, "error")               ? error_fields
                                                                        : NULL;
        if (!rules) {
            snprintf(err, sizeof(err),
                     "unknown kind '%.100s' (expected progress, agent_status, coordinator_metrics "
                     "or error; or a raw {\"room\":..,\"message\":{..}})",
                     k);
            return respond_error(c, 400, err);
        }
        if (check_fields(b, rules, err, sizeof(err)))
            return respond_error(c, 400, err);
        if (rules == progress_fields)
            delivered = emit_progress(srv, b, ts, &text);
        else if (rules == agent_fields)
            delivered = emit_agent_status(srv, b, ts, &text);
        else if (rules == metrics_fields)
            delivered = emit_metrics(srv, b, ts, &text);
        else
            delivered = emit_error(srv, b, ts, &text, err, sizeof(err));
        if (err[0])
            return respond_error(c, 400, err);
        if (!text)
            return -1;
    }
    free(text);
    cJSON *o = cJSON_CreateObject();
    if (o)
        ms_pyjson_add_int(o, "delivered", (long long)delivered);
    return respond_obj(c, o);
}

/* ---- journal ---- */

static int respond_journal(struct ms_conn *c)
{
    char *s = ms_journal_query(c->srv->journal, &c->http.wait_filter);
    return s ? ms_http_respond_owned(c, 200, "application/json", s, strlen(s)) : -1;
}

void ms_control_cancel_wait(struct ms_conn *c)
{
    struct ms_conn **pp = &c->srv->waiters;
    while (*pp && *pp != c)
        pp = &(*pp)->http.next_waiter;
    if (*pp)
        *pp = c->http.next_waiter;
    c->http.waiting = 0;
    lws_sul_cancel(&c->http.sul_wait);
}

static void wait_expired(lws_sorted_usec_list_t *sul)
{
    struct ms_conn *c = lws_container_of(sul, struct ms_conn, http.sul_wait);
    ms_control_cancel_wait(c);
    if (respond_journal(c) < 0)
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void ms_control_wake_waiters(struct ms_server *srv)
{
    struct ms_conn *c = srv->waiters;
    while (c) {
        struct ms_conn *next = c->http.next_waiter;
        if (ms_journal_has(srv->journal, &c->http.wait_filter)) {
            ms_control_cancel_wait(c);
            if (respond_journal(c) < 0)
                lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        }
        c = next;
    }
}

/* Reads a non-negative integer query argument; 0 if absent, -1 if malformed. */
static int arg_num(struct lws *wsi, const char *name, unsigned long long *out)
{
    char buf[64];
    *out = 0;
    const char *v = ms_http_arg(wsi, name, buf, sizeof(buf));
    if (!v)
        return 0;
    char *end;
    if (!v[0] || v[0] < '0' || v[0] > '9')
        return -1;
    *out = strtoull(v, &end, 10);
    return *end ? -1 : 0;
}

static int journal(struct ms_conn *c)
{
    struct ms_http *h = &c->http;
    unsigned long long since, wait;
    if (arg_num(c->wsi, "since", &since))
        return respond_error(c, 400, "query parameter 'since' must be a non-negative integer");
    if (arg_num(c->wsi, "wait_ms", &wait) || wait > WAIT_MAX_MS)
        return respond_error(c, 400,
                             "query parameter 'wait_ms' must be an integer from 0 to 60000");
    h->wait_filter.since = since;
    h->wait_filter.type = ms_http_arg(c->wsi, "type", h->wait_type, sizeof(h->wait_type));
    h->wait_filter.path = ms_http_arg(c->wsi, "path", h->wait_path, sizeof(h->wait_path));
    if (h->wait_filter.type && !*h->wait_filter.type)
        h->wait_filter.type = NULL;
    if (h->wait_filter.path && !*h->wait_filter.path)
        h->wait_filter.path = NULL;
    if (!wait || ms_journal_has(c->srv->journal, &h->wait_filter))
        return respond_journal(c);
    /* lws would drop an HTTP connection that answers nothing for timeout_secs: allow the wait */
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, (int)(wait / 1000) + 10);
    h->waiting = 1;
    h->next_waiter = c->srv->waiters;
    c->srv->waiters = c;
    lws_sul_schedule(lws_get_context(c->wsi), 0, &h->sul_wait, wait_expired,
                     (lws_usec_t)wait * LWS_US_PER_MS);
    return 0;
}

/* ---- dispatch ---- */

/* Parses the body as a JSON object or answers 400; returns NULL then (*rc holds the result). */
static cJSON *body_object(struct ms_conn *c, int *rc)
{
    char err[300], msg[400];
    if (c->http.body_too_big) {
        *rc = respond_error(c, 413, "request body too large (limit 16 MiB)");
        return NULL;
    }
    cJSON *b =
        ms_pyjson_parse(c->http.body ? c->http.body : "", c->http.body_len, err, sizeof(err));
    if (!b) {
        snprintf(msg, sizeof(msg), "body is not valid JSON: %s", err);
        *rc = respond_error(c, 400, msg);
        return NULL;
    }
    if (!cJSON_IsObject(b)) {
        snprintf(msg, sizeof(msg), "body must be a JSON object, not %s", ms_pyjson_type_name(b));
        *rc = respond_error(c, 400, msg);
        cJSON_Delete(b);
        return NULL;
    }
    return b;
}

int ms_control_handle(struct ms_conn *c)
{
    const char *p = c->http.path + 8, *want;
    int m = c->http.method, rc = 0;
    if (!is_loopback(c->wsi))
        return respond_error(c, 403, "the control API answers loopback clients only");
    if (!strcmp(p, "journal"))
        want = "GET";
    else if (!strcmp(p, "emit") || !strcmp(p, "reset") || !strcmp(p, "coordinator"))
        want = "POST";
    else
        return respond_error(c, 404,
                             "unknown control endpoint (expected /__mock/emit, "
                             "/__mock/journal, /__mock/reset, /__mock/coordinator)");
    if ((m == MS_HTTP_GET) != !strcmp(want, "GET") || (m != MS_HTTP_GET && m != MS_HTTP_POST)) {
        char msg[64];
        snprintf(msg, sizeof(msg), "method not allowed: use %s", want);
        return respond_error(c, 405, msg);
    }
    if (!strcmp(p, "journal"))
        return journal(c);
    if (!strcmp(p, "reset")) {
        ms_server_reset(c->srv);
        cJSON *o = cJSON_CreateObject();
        if (o)
            cJSON_AddTrueToObject(o, "reset");
        return respond_obj(c, o);
    }
    cJSON *b = body_object(c, &rc);
    if (!b)
        return rc;
    if (!strcmp(p, "emit")) {
        rc = emit(c, b);
    } else {
        char err[256], now[32];
        ms_server_now_iso(now, sizeof(now));
        if (ms_coord_load(c->srv->coord, b, now, err, sizeof(err)))
            rc = respond_error(c, 400, err);
        else
            rc = respond_obj(c, ms_coord_metrics(c->srv->coord));
    }
    cJSON_Delete(b);
    return rc;
}
