/* ms_control -- the /__mock/ control API: emit, journal (long-poll), reset, coordinator model. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "ms_emit.h"
#include "ms_pyjson.h"
#include "ms_render.h"
#include "ms_server.h"
#include "ms_time.h"
#include "ms_utf8.h"

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

/* ---- --control-token ---- */

/* 1 if given (glen bytes) equals token, in a time that depends on the lengths only: no early exit
 * at the first differing byte, so response timing does not reveal a matching prefix. */
static int token_equal(const char *given, size_t glen, const char *token)
{
    size_t tlen = strlen(token);
    volatile unsigned char diff = (unsigned char)(glen != tlen);
    for (size_t i = 0; i < tlen; i++)
        diff |= (unsigned char)((unsigned char)token[i] ^ (i < glen ? (unsigned char)given[i] : 0));
    return diff == 0;
}

/* The token a request carries: "Authorization: Bearer T" (scheme in any case) or
 * "X-Mock-Token: T", copied into buf; NULL if it sends neither (or one too long to be right). */
static const char *request_token(struct lws *wsi, char *buf, int len)
{
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    if (n > 0 && n < len && lws_hdr_copy(wsi, buf, len, WSI_TOKEN_HTTP_AUTHORIZATION) >= 0 &&
        !strncasecmp(buf, "bearer ", 7)) {
        const char *t = buf + 7;
        while (*t == ' ')
            t++;
        return t;
    }
    n = lws_hdr_custom_length(wsi, "x-mock-token:", 13);
    if (n > 0 && n < len && lws_hdr_custom_copy(wsi, buf, len, "x-mock-token:", 13) >= 0)
        return buf;
    return NULL;
}

static int token_ok(struct ms_conn *c)
{
    const char *want = c->srv->opt.control_token;
    if (!want)
        return 1;
    char buf[MS_TOKEN_MAX + 64];
    const char *got = request_token(c->wsi, buf, sizeof(buf));
    return got && token_equal(got, strlen(got), want);
}

int ms_control_admits(struct ms_conn *c)
{
    return is_loopback(c->wsi) && token_ok(c);
}

/* ---- emit ---- */

static const char *const raw_keys[] = {"room", "message", "text", "buffer_if_empty", NULL};

static int emit(struct ms_conn *c, const cJSON *b)
{
    struct ms_server *srv = c->srv;
    char err[256] = "", ts[32], *text = NULL;
    size_t delivered = 0;
    ms_server_now_iso(ts, sizeof(ts));
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(b, "kind");
    int routed = 0;
    if (!kind) {
        for (const cJSON *m = b->child; m; m = m->next) {
            const char *const *k = raw_keys;
            while (*k && strcmp(*k, m->string))
                k++;
            if (!*k) {
                snprintf(err, sizeof(err), "unknown field '%s'", m->string);
                return respond_error(c, 400, err);
            }
        }
        const char *room = ms_emit_str(b, "room");
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(b, "message");
        const cJSON *raw = cJSON_GetObjectItemCaseSensitive(b, "text");
        const cJSON *bie = cJSON_GetObjectItemCaseSensitive(b, "buffer_if_empty");
        if (!room)
            return respond_error(c, 400,
                                 cJSON_GetObjectItemCaseSensitive(b, "room")
                                     ? "field 'room' must be a string"
                                     : "missing field 'room'");
        if (msg && !cJSON_IsObject(msg))
            return respond_error(c, 400, "field 'message' must be an object");
        if (raw && !cJSON_IsString(raw))
            return respond_error(c, 400, "field 'text' must be a string");
        if (bie && !cJSON_IsBool(bie))
            return respond_error(c, 400, "field 'buffer_if_empty' must be true or false");
        if (!!msg == !!raw)
            return respond_error(c, 400,
                                 "a raw emit needs exactly one of 'message' (an object) "
                                 "or 'text' (a string)");
        text = msg ? ms_pyjson_print(msg) : strdup(raw->valuestring);
        if (!text)
            return -1;
        /* buffer_if_empty: the broadcaster's _broadcast_to_room, which buffers for an empty room
         * (the only way to stage a workflow replay, PROTOCOL.md 3.3); else broadcast_to_room. */
        if (cJSON_IsTrue(bie))
            delivered = ms_server_broadcast(srv, room, text);
        else
            delivered = ms_server_send_to_room(srv, room, text);
    } else if (!cJSON_IsString(kind)) {
        return respond_error(c, 400, "field 'kind' must be a string");
    } else if (!ms_emit_known(kind->valuestring, &routed) || !routed) {
        snprintf(err, sizeof(err),
                 "unknown kind '%.100s' (expected progress, agent_status, coordinator_metrics "
                 "or error; or a raw {\"room\":..,\"message\":{..}})",
                 kind->valuestring);
        return respond_error(c, 400, err);
    } else {
        if (ms_emit_check(kind->valuestring, b, (const char *const[]){"kind", NULL}, 0, err,
                          sizeof(err)))
            return respond_error(c, 400, err);
        text = ms_emit_render(kind->valuestring, b, ts, NULL);
        if (!text)
            return -1;
        delivered = ms_server_route(srv, kind->valuestring, b, text);
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
    char *s = ms_journal_query(c->srv->journal, &c->http->wait_filter);
    return s ? ms_http_respond_owned(c, 200, "application/json", s, strlen(s)) : -1;
}

void ms_control_cancel_wait(struct ms_conn *c)
{
    struct ms_conn **pp = &c->srv->waiters;
    while (*pp && *pp != c)
        pp = &(*pp)->http->next_waiter;
    if (*pp)
        *pp = c->http->next_waiter;
    c->http->waiting = 0;
    lws_sul_cancel(&c->http->sul_wait);
}

static void wait_expired(lws_sorted_usec_list_t *sul)
{
    struct ms_conn *c = lws_container_of(sul, struct ms_http, sul_wait)->conn;
    ms_control_cancel_wait(c);
    if (respond_journal(c) < 0)
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void ms_control_wake_waiters(struct ms_server *srv)
{
    struct ms_conn *c = srv->waiters;
    while (c) {
        struct ms_conn *next = c->http->next_waiter;
        if (ms_journal_has(srv->journal, &c->http->wait_filter)) {
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
    errno = 0;
    *out = strtoull(v, &end, 10);
    return *end || errno ? -1 : 0;
}

static int journal(struct ms_conn *c)
{
    struct ms_http *h = c->http;
    unsigned long long since, wait;
    if (ms_http_arg_len(c->wsi, "type") >= (int)sizeof(h->wait_type))
        return respond_error(c, 400, "query parameter 'type' is too long");
    if (ms_http_arg_len(c->wsi, "path") >= (int)sizeof(h->wait_path))
        return respond_error(c, 400, "query parameter 'path' is too long");
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
    if (c->http->body_too_big) {
        *rc = respond_error(c, 413, "request body too large (limit 16 MiB)");
        return NULL;
    }
    if (!ms_utf8_valid((const unsigned char *)c->http->body, c->http->body_len)) {
        *rc = respond_error(c, 400, "body is not valid UTF-8");
        return NULL;
    }
    cJSON *b =
        ms_pyjson_parse(c->http->body ? c->http->body : "", c->http->body_len, err, sizeof(err));
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

/* ---- scenario ---- */

static int respond_scenario_errors(struct ms_conn *c, struct ms_diag *d)
{
    cJSON *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();
    if (!o || !arr) {
        cJSON_Delete(o);
        cJSON_Delete(arr);
        return -1;
    }
    cJSON_AddStringToObject(o, "detail", "invalid scenario");
    for (size_t i = 0; i < d->n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(d->lines[i]));
    cJSON_AddItemToObject(o, "errors", arr);
    char *text = ms_pyjson_print(o);
    cJSON_Delete(o);
    return text ? ms_http_respond_owned(c, 400, "application/json", text, strlen(text)) : -1;
}

/* 1 if name is a plain file name (no path, no dot-dot): the scenario directory stays closed. */
static int plain_name(const char *n)
{
    if (!*n || strlen(n) > 100 || n[0] == '.')
        return 0;
    for (; *n; n++)
        if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') || (*n >= '0' && *n <= '9') ||
              *n == '-' || *n == '_' || *n == '.'))
            return 0;
    return 1;
}

static int scenario_post(struct ms_conn *c)
{
    struct ms_server *srv = c->srv;
    char arg[64], err[300];
    double scale = srv->opt.time_scale;
    const char *ts = ms_http_arg(c->wsi, "time_scale", arg, sizeof(arg));
    if (ts) {
        char *end;
        double d = strtod(ts, &end);
        if (!*ts || *end || !(d > 0) || d > 1000)
            return respond_error(c, 400, "time_scale must be a number above 0, at most 1000");
        scale = d;
    }
    if (c->http->body_too_big)
        return respond_error(c, 413, "request body too large (limit 16 MiB)");
    if (!ms_utf8_valid((const unsigned char *)c->http->body, c->http->body_len))
        return respond_error(c, 400, "body is not valid UTF-8");
    struct ms_diag d = {0};
    struct ms_scenario *s = NULL;
    const char *body = c->http->body ? c->http->body : "";
    cJSON *probe = ms_pyjson_parse(body, c->http->body_len, NULL, 0);
    const cJSON *name = cJSON_IsObject(probe) && cJSON_GetArraySize(probe) == 1
                            ? cJSON_GetObjectItemCaseSensitive(probe, "name")
                            : NULL;
    if (name) {
        if (!cJSON_IsString(name) || !plain_name(name->valuestring)) {
            cJSON_Delete(probe);
            return respond_error(c, 400,
                                 "'name' must be a scenario file name in the scenario directory "
                                 "(letters, digits, '-', '_', '.')");
        }
        char path[4200];
        size_t n = strlen(name->valuestring);
        snprintf(path, sizeof(path), "%s/%s%s", srv->opt.scenario_dir, name->valuestring,
                 n > 5 && !strcmp(name->valuestring + n - 5, ".json") ? "" : ".json");
        FILE *f = fopen(path, "rb");
        if (!f) {
            snprintf(err, sizeof(err), "no scenario named '%.100s' in the scenario directory",
                     name->valuestring);
            cJSON_Delete(probe);
            return respond_error(c, 404, err);
        }
        fclose(f);
        s = ms_scenario_load_file(path, &d);
    } else {
        s = ms_scenario_parse(body, c->http->body_len, "<body>", &d);
    }
    cJSON_Delete(probe);
    if (!s) {
        int rc = respond_scenario_errors(c, &d);
        ms_diag_free(&d);
        return rc;
    }
    ms_diag_free(&d);
    if (ms_scenario_install(srv, s, scale, err, sizeof(err)))
        return respond_error(c, 400, err);
    cJSON *o = cJSON_CreateObject();
    if (o) {
        cJSON_AddStringToObject(o, "loaded", srv->scn->name);
        ms_pyjson_add_float(o, "time_scale", srv->scale);
    }
    return respond_obj(c, o);
}

static int scenario_get(struct ms_conn *c)
{
    struct ms_server *srv = c->srv;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return -1;
    if (srv->scn) {
        cJSON_AddStringToObject(o, "name", srv->scn->name);
        cJSON_AddStringToObject(o, "description", srv->scn->description);
        ms_pyjson_add_float(o, "time_scale", srv->scale);
        cJSON_AddStringToObject(o, "profile", ms_profile_name(srv->profile));
        ms_pyjson_add_int(o, "running_ms", ms_time_mono_ms() - srv->scn_t0_ms);
        cJSON *copy = ms_pyjson_dup(srv->scn->root);
        if (copy)
            cJSON_AddItemToObject(o, "scenario", copy);
    } else {
        cJSON_AddNullToObject(o, "name");
        cJSON_AddStringToObject(o, "profile", ms_profile_name(srv->profile));
    }
    return respond_obj(c, o);
}

static int scenario(struct ms_conn *c)
{
    char err[256];
    switch (c->http->method) {
    case MS_HTTP_GET:
        return scenario_get(c);
    case MS_HTTP_POST:
        return scenario_post(c);
    case MS_HTTP_DELETE: {
        const char *was = c->srv->scn ? c->srv->scn->name : NULL;
        cJSON *o = cJSON_CreateObject();
        if (o && was)
            cJSON_AddStringToObject(o, "unloaded", was);
        else if (o)
            cJSON_AddNullToObject(o, "unloaded");
        ms_scenario_install(c->srv, NULL, 0, err, sizeof(err));
        return respond_obj(c, o);
    }
    default:
        return respond_error(c, 405, "method not allowed: use GET, POST or DELETE");
    }
}

static int expect_report(struct ms_conn *c)
{
    char *text = ms_scenario_expect_report(c->srv);
    return text ? ms_http_respond_owned(c, 200, "application/json", text, strlen(text)) : -1;
}

int ms_control_handle(struct ms_conn *c)
{
    const char *p = c->http->path + 8, *want;
    int m = c->http->method, rc = 0;
    if (!is_loopback(c->wsi))
        return respond_error(c, 403, "the control API answers loopback clients only");
    if (!token_ok(c)) {
        c->http->www_authenticate = "Bearer";
        return respond_error(c, 401,
                             "the control API needs the --control-token: send "
                             "'Authorization: Bearer TOKEN' or 'X-Mock-Token: TOKEN'");
    }
    if (!strcmp(p, "scenario"))
        return scenario(c);
    if (!strcmp(p, "journal") || !strcmp(p, "expect"))
        want = "GET";
    else if (!strcmp(p, "emit") || !strcmp(p, "reset") || !strcmp(p, "coordinator"))
        want = "POST";
    else
        return respond_error(c, 404,
                             "unknown control endpoint (expected /__mock/emit, "
                             "/__mock/journal, /__mock/reset, /__mock/coordinator, "
                             "/__mock/scenario, /__mock/expect)");
    if ((m == MS_HTTP_GET) != !strcmp(want, "GET") || (m != MS_HTTP_GET && m != MS_HTTP_POST)) {
        char msg[64];
        snprintf(msg, sizeof(msg), "method not allowed: use %s", want);
        return respond_error(c, 405, msg);
    }
    if (!strcmp(p, "journal"))
        return journal(c);
    if (!strcmp(p, "expect"))
        return expect_report(c);
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
