/* wh_conform -- the conformance checks: HTTP shapes, each WebSocket endpoint, errors; JUnit. */
#include "wh_conform.h"
#include "wh_xml.h"

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ms_ids.h"
#include "ms_time.h"
#include "wh_commands.h"
#include "wh_wsclient.h"

#define DEFAULT_TIMEOUT_MS 3000
#define UTC_TOLERANCE_S 300 /* a real backend's clock may be off a little */
#define WELCOME_MESSAGE "Connected to ViMax WebSocket server"
#define NOT_FOUND "{\"detail\":\"Not Found\"}"

/* One conform run. */
struct cf {
    const struct wh_conform_opts *o;
    struct wh_conform_report *rep;
    struct wh_url url;
    long timeout;
    char tag[9]; /* random hex: ids and topics of this run do not meet another run's */
    double t0;
};

/* The WebSocket endpoints (PROTOCOL.md 1.1). */
enum ep_kind { EP_WORKFLOW, EP_AGENT, EP_COORDINATOR, EP_LEGACY, EP_COUNT };
static const char *const ep_names[EP_COUNT] = {"workflow", "agent", "coordinator", "legacy"};

/* ---- recording ------------------------------------------------------------------------------ */

static double now_ms(void)
{
    return (double)ms_time_mono_us() / 1000.0;
}

static void rec(struct cf *c, const char *name, enum wh_conform_result r, double t_start,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void rec(struct cf *c, const char *name, enum wh_conform_result r, double t_start,
                const char *fmt, ...)
{
    struct wh_conform_report *rep = c->rep;
    if (rep->n == rep->cap) {
        size_t ncap = rep->cap ? rep->cap * 2 : 64;
        struct wh_conform_check *nc = realloc(rep->checks, ncap * sizeof(*nc));
        if (!nc)
            return;
        rep->checks = nc;
        rep->cap = ncap;
    }
    struct wh_conform_check *k = &rep->checks[rep->n++];
    memset(k, 0, sizeof(*k));
    snprintf(k->name, sizeof(k->name), "%s", name);
    k->result = r;
    k->ms = now_ms() - t_start;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(k->detail, sizeof(k->detail), fmt, ap);
    va_end(ap);
    for (char *p = k->detail; *p; p++)
        if (*p == '\r' || *p == '\n')
            *p = ' ';
    if (r == WH_CF_PASS)
        rep->passed++;
    else if (r == WH_CF_FAIL)
        rep->failed++;
    else
        rep->skipped++;
    if (c->o->progress) {
        static const char *const word[] = {"PASS", "FAIL", "SKIP"};
        fprintf(c->o->progress, "%s %s%s%s\n", word[r], k->name, *k->detail ? ": " : "", k->detail);
        fflush(c->o->progress);
    }
}

/* Records name as passed when why is empty, failed otherwise. */
static void verdict(struct cf *c, const char *name, double t_start, const char *why)
{
    if (*why)
        rec(c, name, WH_CF_FAIL, t_start, "%s", why);
    else
        rec(c, name, WH_CF_PASS, t_start, "%s", "");
}

/* Writes a sentence into why (the caller's buffer of WHY bytes); returns 0 for use in checks. */
#define WHY 512
static int fail(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char *why, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, WHY, fmt, ap);
    va_end(ap);
    return 0;
}

/* ---- small checks on values ----------------------------------------------------------------- */

static int matches(const char *re, const char *s)
{
    regex_t r;
    if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB))
        return 0;
    int ok = !regexec(&r, s, 0, NULL, 0);
    regfree(&r);
    return ok;
}

static int is_naive_iso(const char *s)
{
    return matches("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{6})?$", s);
}

static int is_rfc1123(const char *s)
{
    return matches("^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} [A-Z][a-z]{2} [0-9]{4} "
                   "[0-9]{2}:[0-9]{2}:[0-9]{2} GMT$",
                   s);
}

/* Seconds between a naive-UTC timestamp and now (a large number if it does not parse). */
static double utc_skew_s(const char *s)
{
    struct tm tm = {0};
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end)
        return 1e9;
    double t = (double)timegm(&tm) + (*end == '.' ? atof(end) : 0);
    double now = (double)ms_time_now_us() / 1e6;
    return t > now ? t - now : now - t;
}

static int is_hex8(const char *s)
{
    for (int i = 0; i < 8; i++)
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return 0;
    return s[8] == '\0';
}

static int is_uuid4(const char *s)
{
    return matches("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", s);
}

/* 1 when the object's keys are exactly keys[] (NULL-terminated), in that order. */
static int keys_are(const cJSON *o, const char *const *keys, char *why)
{
    if (!cJSON_IsObject(o))
        return fail(why, "not a JSON object");
    const cJSON *k = o->child;
    size_t i = 0;
    char got[300] = "";
    size_t n = 0;
    for (const cJSON *x = o->child; x; x = x->next)
        n += (size_t)snprintf(got + n, n < sizeof(got) ? sizeof(got) - n : 0, "%s%s", n ? "," : "",
                              x->string);
    for (; keys[i] && k; i++, k = k->next)
        if (strcmp(keys[i], k->string))
            break;
    if (keys[i] || k)
        return fail(why, "keys are [%s], not in the protocol's order/set (first difference at %s)",
                    got, keys[i] ? keys[i] : k->string);
    return 1;
}

/* 1 when raw is compact JSON as Python's json.dumps(separators=(",", ":")) writes it (for
 * values without floats: cJSON writes them the same way). */
static int is_compact(const char *raw, const cJSON *j)
{
    char *back = cJSON_PrintUnformatted(j);
    int ok = back && !strcmp(back, raw);
    free(back);
    return ok;
}

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The string value of key, or "" when it is missing or not a string. */
static const char *text_of(const cJSON *o, const char *key)
{
    const char *s = str_of(o, key);
    return s ? s : "";
}

/* ---- HTTP ----------------------------------------------------------------------------------- */

static int get(struct cf *c, const char *method, const char *path, struct wh_http_result *r)
{
    const char *h[] = {"Content-Type: application/json", NULL};
    int has_body = strcmp(method, "GET") != 0;
    return wh_http_request(c->url.host, c->url.port, method, path, has_body ? h : NULL,
                           has_body ? "{}" : NULL, has_body ? 2 : 0, c->timeout, r);
}

/* Checks status and content type and, when want_body is given, the exact body. */
static int json_answer(const struct wh_http_result *r, int status, const char *want_body, char *why)
{
    if (r->err)
        return fail(why, "%s", r->detail);
    if (r->resp.status != status)
        return fail(why, "status %d, expected %d: %.200s", r->resp.status, status,
                    (const char *)r->resp.body);
    const char *ct = wh_http_header(&r->resp, "Content-Type");
    if (!ct || strcmp(ct, "application/json"))
        return fail(why, "content-type %s, expected application/json", ct ? ct : "(none)");
    if (want_body && strcmp((const char *)r->resp.body, want_body))
        return fail(why, "body %.200s, expected %s", (const char *)r->resp.body, want_body);
    return 1;
}

static void check_health(struct cf *c)
{
    double t = now_ms();
    char why[WHY] = "";
    struct wh_http_result r;
    get(c, "GET", "/health", &r);
    static const char *const keys[] = {"status", "version", "timestamp", "database", NULL};
    cJSON *j = NULL;
    if (json_answer(&r, 200, NULL, why)) {
        const char *body = (const char *)r.resp.body;
        j = cJSON_Parse(body);
        if (keys_are(j, keys, why)) {
            const char *ts = str_of(j, "timestamp");
            if (!is_compact(body, j))
                fail(why, "not compact JSON: %.200s", body);
            else if (strcmp(text_of(j, "status"), "healthy"))
                fail(why, "status is not \"healthy\": %.200s", body);
            else if (!str_of(j, "version") || !str_of(j, "database"))
                fail(why, "version and database must be strings: %.200s", body);
            else if (!ts || !is_naive_iso(ts))
                fail(why, "timestamp %s is not a naive isoformat() time", ts ? ts : "(none)");
        }
    }
    verdict(c, "http.health", t, why);

    t = now_ms();
    why[0] = '\0';
    if (!r.err) {
        const char *srv = wh_http_header(&r.resp, "server");
        const char *date = wh_http_header(&r.resp, "date");
        const char *cl = wh_http_header(&r.resp, "content-length");
        if (!srv || strcmp(srv, "uvicorn"))
            fail(why, "server header %s, expected uvicorn", srv ? srv : "(none)");
        else if (!date || !is_rfc1123(date))
            fail(why, "date header %s is not an RFC 1123 date", date ? date : "(none)");
        else if (!cl || strtoul(cl, NULL, 10) != r.resp.body_len)
            fail(why, "content-length %s does not match the %zu body bytes", cl ? cl : "(none)",
                 r.resp.body_len);
    } else {
        fail(why, "%s", r.detail);
    }
    verdict(c, "http.headers", t, why);
    cJSON_Delete(j);
    wh_http_result_free(&r);
}

static const char *const ws_keys[] = {
    "total_connections", "total_rooms", "total_subscriptions",    "rooms",
    "room_client_count", "topics",      "topic_subscriber_count", NULL};

static void check_stats(struct cf *c)
{
    static const char *const top[] = {"websocket", "broadcaster", NULL};
    static const char *const bc_keys[] = {"workflow_subscriptions",
                                          "agent_subscriptions",
                                          "total_agent_rooms",
                                          "buffered_rooms",
                                          "total_buffered_messages",
                                          "workflows",
                                          "agents",
                                          NULL};
    double t = now_ms();
    char why[WHY] = "";
    struct wh_http_result r;
    get(c, "GET", "/ws/stats", &r);
    if (json_answer(&r, 200, NULL, why)) {
        cJSON *j = cJSON_Parse((const char *)r.resp.body);
        if (keys_are(j, top, why) &&
            keys_are(cJSON_GetObjectItemCaseSensitive(j, "websocket"), ws_keys, why))
            keys_are(cJSON_GetObjectItemCaseSensitive(j, "broadcaster"), bc_keys, why);
        cJSON_Delete(j);
    }
    verdict(c, "http.ws_stats", t, why);
    wh_http_result_free(&r);

    t = now_ms();
    why[0] = '\0';
    get(c, "GET", "/api/v1/ws/stats", &r);
    if (json_answer(&r, 200, NULL, why)) {
        cJSON *j = cJSON_Parse((const char *)r.resp.body);
        keys_are(j, ws_keys, why);
        cJSON_Delete(j);
    }
    verdict(c, "http.legacy_stats", t, why);
    wh_http_result_free(&r);
}

static void check_openapi(struct cf *c)
{
    static const char *const declared[] = {"/api/v1/ws/stats", "/api/v1/ws/broadcast",
                                           "/api/v1/ws/publish/{topic}", "/ws/stats",
                                           "/ws/client/{client_id}"};
    static const char *const never[] = {"/ws/coordinator", "/ws/workflow/{workflow_id}",
                                        "/ws/agent/{agent_name}", "/api/v1/ws/connect"};
    double t = now_ms();
    char why[WHY] = "";
    struct wh_http_result r;
    get(c, "GET", "/openapi.json", &r);
    cJSON *j = NULL;
    if (json_answer(&r, 200, NULL, why)) {
        j = cJSON_Parse((const char *)r.resp.body);
        const cJSON *info = cJSON_GetObjectItemCaseSensitive(j, "info");
        const char *ver = text_of(j, "openapi");
        if (strncmp(ver, "3.", 2))
            fail(why, "openapi version \"%s\", expected 3.x", ver);
        else if (strcmp(text_of(info, "title"), "ViMax Video Generation API"))
            fail(why, "info.title \"%s\", expected ViMax Video Generation API",
                 text_of(info, "title"));
        else if (strcmp(text_of(info, "version"), "3.0.0"))
            fail(why, "info.version \"%s\", expected 3.0.0", text_of(info, "version"));
    }
    verdict(c, "http.openapi", t, why);

    t = now_ms();
    why[0] = '\0';
    if (j) {
        const cJSON *paths = cJSON_GetObjectItemCaseSensitive(j, "paths");
        char missing[300] = "";
        size_t n = 0;
        for (size_t i = 0; i < sizeof(declared) / sizeof(declared[0]); i++)
            if (!cJSON_GetObjectItemCaseSensitive(paths, declared[i]))
                n += (size_t)snprintf(missing + n, n < sizeof(missing) ? sizeof(missing) - n : 0,
                                      "%s%s", n ? " " : "", declared[i]);
        if (n)
            fail(why, "paths lack %s", missing);
        for (size_t i = 0; !n && !*why && i < sizeof(never) / sizeof(never[0]); i++)
            if (cJSON_GetObjectItemCaseSensitive(paths, never[i]))
                fail(why, "declares the WebSocket route %s (WebSocket routes never appear)",
                     never[i]);
    } else {
        fail(why, "no /openapi.json to read");
    }
    verdict(c, "http.openapi.ws_paths", t, why);
    cJSON_Delete(j);
    wh_http_result_free(&r);
}

static void check_http_misc(struct cf *c)
{
    char why[WHY] = "";
    double t = now_ms();
    struct wh_http_result r;
    get(c, "GET", "/", &r);
    if (json_answer(&r, 200, NULL, why)) {
        cJSON *j = cJSON_Parse((const char *)r.resp.body);
        const char *ws = str_of(j, "websocket"), *st = str_of(j, "websocket_stats");
        if (!ws || !strstr(ws, "/api/v1/ws/connect") || strncmp(ws, "ws://", 5))
            fail(why, "\"websocket\" is %s, expected the legacy ws://.../api/v1/ws/connect",
                 ws ? ws : "(none)");
        else if (!st || strcmp(st, "/api/v1/ws/stats"))
            fail(why, "\"websocket_stats\" is %s, expected /api/v1/ws/stats", st ? st : "(none)");
        cJSON_Delete(j);
    }
    verdict(c, "http.root", t, why);
    wh_http_result_free(&r);

    char path[96];
    snprintf(path, sizeof(path), "/ws/client/conform-nobody-%s", c->tag);
    t = now_ms();
    why[0] = '\0';
    get(c, "GET", path, &r);
    json_answer(&r, 404, "{\"detail\":\"Client not found\"}", why);
    verdict(c, "http.client_unknown", t, why);
    wh_http_result_free(&r);

    static const char *const plain[] = {"/ws/coordinator", "/ws/workflow/pending",
                                        "/ws/agent/screenwriter", "/api/v1/ws/connect", "/nope"};
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        char name[96];
        snprintf(name, sizeof(name), "http.404[%s]", plain[i]);
        t = now_ms();
        why[0] = '\0';
        get(c, "GET", plain[i], &r);
        json_answer(&r, 404, NOT_FOUND, why);
        verdict(c, name, t, why);
        wh_http_result_free(&r);
    }

    t = now_ms();
    why[0] = '\0';
    get(c, "POST", "/health", &r);
    json_answer(&r, 405, "{\"detail\":\"Method Not Allowed\"}", why);
    verdict(c, "http.405[POST /health]", t, why);
    wh_http_result_free(&r);
}

/* ---- WebSocket ------------------------------------------------------------------------------- */

static struct wh_ws *ws_open(struct cf *c, const char *path)
{
    struct wh_ws_opts o = {.timeout_ms = c->timeout};
    return wh_ws_connect(c->url.host, c->url.port, path, &o);
}

/* The next text frame (heartbeats skipped), borrowed until the next receive; NULL with why. */
static const char *next_text(struct cf *c, struct wh_ws *ws, char *why)
{
    for (;;) {
        struct wh_ws_msg m;
        int rc = wh_ws_recv(ws, c->timeout, &m);
        if (rc == WH_NET_ERR_TIMEOUT) {
            fail(why, "no frame within %ld ms", c->timeout);
            return NULL;
        }
        if (rc) {
            fail(why, "the connection ended (%s) instead of a frame", wh_net_strerror(rc));
            return NULL;
        }
        if (m.opcode == 0x8) {
            fail(why, "a close frame (code %d) came instead", ws->close_code);
            return NULL;
        }
        if (m.opcode != 0x1) {
            fail(why, "a frame of opcode %d came instead of text", m.opcode);
            return NULL;
        }
        if (!strncmp((const char *)m.data, "{\"type\":\"heartbeat\"", 19))
            continue;
        return (const char *)m.data;
    }
}

/* Sends text and checks that the next text frame is exactly want. */
static int exchange(struct cf *c, struct wh_ws *ws, const char *send, const char *want, char *why)
{
    if (wh_ws_send_text(ws, send, c->timeout))
        return fail(why, "could not send %s", send);
    const char *got = next_text(c, ws, why);
    if (!got)
        return 0;
    if (strcmp(got, want))
        return fail(why, "sent %s, got %.200s, expected %s", send, got, want);
    return 1;
}

/* Sends text that the endpoint must ignore, then a ping: the next frame must be the pong. */
static int ignored(struct cf *c, struct wh_ws *ws, const char *send, int legacy, char *why)
{
    if (wh_ws_send_text(ws, send, c->timeout))
        return fail(why, "could not send %s", send);
    int ok =
        exchange(c, ws, legacy ? "{\"action\":\"ping\"}" : "{\"type\":\"ping\"}",
                 legacy ? "{\"type\":\"info\",\"message\":\"pong\"}" : "{\"type\":\"pong\"}", why);
    if (!ok) {
        char inner[WHY];
        snprintf(inner, sizeof(inner), "%s", why);
        fail(why, "after %s (which must get no answer): %s", send, inner);
    }
    return ok;
}

static void ep_param(struct cf *c, int kind, char *param, size_t len)
{
    snprintf(param, len, "conform-%s-%s", ep_names[kind], c->tag);
}

static void ep_path(int kind, const char *param, char *path, size_t len)
{
    if (kind == EP_WORKFLOW || kind == EP_AGENT)
        snprintf(path, len, "/ws/%s/%s", ep_names[kind], param);
    else
        snprintf(path, len, "%s",
                 kind == EP_COORDINATOR ? "/ws/coordinator" : "/api/v1/ws/connect");
}

/* The room the welcome names: JSON text ("null" for the legacy endpoint). */
static void ep_room(int kind, const char *param, char *room, size_t len)
{
    if (kind == EP_WORKFLOW)
        snprintf(room, len, "workflow_%s", param);
    else if (kind == EP_AGENT)
        snprintf(room, len, "agent_%s", param);
    else if (kind == EP_COORDINATOR)
        snprintf(room, len, "coordinator_metrics");
    else
        room[0] = '\0';
}

static int generated_id_ok(int kind, const char *param, const char *id)
{
    char prefix[160];
    if (kind == EP_LEGACY)
        return is_uuid4(id);
    if (kind == EP_COORDINATOR)
        snprintf(prefix, sizeof(prefix), "coordinator_");
    else
        snprintf(prefix, sizeof(prefix), "%s_%s_", ep_names[kind], param);
    size_t pl = strlen(prefix);
    return !strncmp(id, prefix, pl) && is_hex8(id + pl);
}

/* Checks the 101's headers (PROTOCOL.md 8.1: no extension offered, so exactly these). */
static int handshake_headers_ok(const struct wh_ws *ws, char *why)
{
    static const char *const want[] = {"upgrade", "connection", "sec-websocket-accept", "date",
                                       "server"};
    const struct wh_http_response *r = &ws->resp;
    if (strncmp(r->head, "HTTP/1.1 101 ", 13))
        return fail(why, "status line %.40s", r->head);
    for (size_t i = 0; i < r->n_headers; i++) {
        int known = 0;
        for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++)
            known |= !strcasecmp(r->headers[i].name, want[k]);
        if (!known)
            return fail(why, "unexpected header %s: %s", r->headers[i].name, r->headers[i].value);
    }
    const char *srv = wh_http_header(r, "server");
    if (!srv || strcmp(srv, "uvicorn"))
        return fail(why, "server header %s, expected uvicorn", srv ? srv : "(none)");
    const char *date = wh_http_header(r, "date");
    if (!date || !is_rfc1123(date))
        return fail(why, "date header %s", date ? date : "(none)");
    return 1;
}

/* Checks the welcome frame; fills client_id (and room_seen: its JSON text). */
static int welcome_ok(const char *raw, char *client_id, size_t idlen, char *room_seen,
                      size_t roomlen, char *why)
{
    static const char *const keys[] = {"type", "message", "timestamp", "client_id", "room", NULL};
    cJSON *j = cJSON_Parse(raw);
    int ok = 0;
    const char *ts = str_of(j, "timestamp");
    const char *id = str_of(j, "client_id");
    const cJSON *room = cJSON_GetObjectItemCaseSensitive(j, "room");
    if (!keys_are(j, keys, why))
        ;
    else if (!is_compact(raw, j))
        fail(why, "not compact JSON: %.200s", raw);
    else if (strcmp(text_of(j, "type"), "info") || strcmp(text_of(j, "message"), WELCOME_MESSAGE))
        fail(why, "not the welcome: %.200s", raw);
    else if (!ts || !is_naive_iso(ts))
        fail(why, "timestamp %s is not naive-UTC isoformat (no Z, no offset)", ts ? ts : "(none)");
    else if (utc_skew_s(ts) > UTC_TOLERANCE_S)
        fail(why, "timestamp %s is more than %d s from now in UTC", ts, UTC_TOLERANCE_S);
    else if (!id)
        fail(why, "client_id is not a string: %.200s", raw);
    else
        ok = 1;
    if (ok) {
        snprintf(client_id, idlen, "%s", id);
        char *rt = cJSON_PrintUnformatted(room);
        snprintf(room_seen, roomlen, "%s", rt ? rt : "");
        free(rt);
    }
    cJSON_Delete(j);
    return ok;
}

/* GET /ws/client/{id} while it is connected (PROTOCOL.md 1.2). */
static int client_info_ok(struct cf *c, int kind, const char *param, const char *id,
                          const char *room, char *why)
{
    static const char *const top[] = {"client_id",     "connected", "rooms",
                                      "subscriptions", "metadata",  NULL};
    static const char *const meta[EP_COUNT][4] = {{"type", "workflow_id", "connected_at", NULL},
                                                  {"type", "agent_name", "connected_at", NULL},
                                                  {"type", "connected_at", NULL},
                                                  {"connected_at", NULL}};
    char path[300];
    snprintf(path, sizeof(path), "/ws/client/%s", id); /* generated ids need no escaping */
    struct wh_http_result r;
    get(c, "GET", path, &r);
    int ok = 0;
    if (json_answer(&r, 200, NULL, why)) {
        cJSON *j = cJSON_Parse((const char *)r.resp.body);
        const cJSON *md = cJSON_GetObjectItemCaseSensitive(j, "metadata");
        const cJSON *rooms = cJSON_GetObjectItemCaseSensitive(j, "rooms");
        char want_rooms[200];
        snprintf(want_rooms, sizeof(want_rooms), *room ? "[\"%s\"]" : "[]", room);
        char *rooms_txt = cJSON_PrintUnformatted(rooms);
        if (!keys_are(j, top, why) || !keys_are(md, meta[kind], why))
            ;
        else if (strcmp(text_of(j, "client_id"), id))
            fail(why, "client_id %s, expected %s", text_of(j, "client_id"), id);
        else if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "connected")))
            fail(why, "connected is not true");
        else if (!rooms_txt || strcmp(rooms_txt, want_rooms))
            fail(why, "rooms %s, expected %s", rooms_txt ? rooms_txt : "?", want_rooms);
        else if (kind <= EP_COORDINATOR && strcmp(text_of(md, "type"), ep_names[kind]))
            fail(why, "metadata.type %s, expected %s", text_of(md, "type"), ep_names[kind]);
        else if (kind <= EP_AGENT && strcmp(text_of(md, meta[kind][1]), param))
            fail(why, "metadata.%s is not %s", meta[kind][1], param);
        else if (!str_of(md, "connected_at") || !is_naive_iso(str_of(md, "connected_at")))
            fail(why, "metadata.connected_at is not a naive isoformat() time");
        else
            ok = 1;
        free(rooms_txt);
        cJSON_Delete(j);
    }
    wh_http_result_free(&r);
    return ok;
}

/* Waits for the echo of our close frame (other frames are passed over). */
static int close_echo_ok(struct cf *c, struct wh_ws *ws, char *why)
{
    if (wh_ws_send_close(ws, 1000, "bye", c->timeout))
        return fail(why, "could not send the close frame");
    int64_t deadline = ms_time_mono_ms() + c->timeout;
    for (;;) {
        struct wh_ws_msg m;
        int64_t left = deadline - ms_time_mono_ms();
        int rc =
            wh_ws_recv(ws, left > 0 ? (long)left : 0, &m); /* past the deadline: what has arrived */
        if (rc == WH_NET_ERR_TIMEOUT)
            return fail(why, "no close frame came back within %ld ms", c->timeout);
        if (rc)
            return fail(why, "the connection ended without echoing the close (%s)",
                        wh_net_strerror(rc));
        if (m.opcode == 0x8)
            return ws->close_code == 1000 ? 1 : fail(why, "close echoed with %d", ws->close_code);
    }
}

/* A protocol-level ping is answered with a pong carrying the same payload (PROTOCOL.md 8.5). */
static int protocol_ping_ok(struct cf *c, struct wh_ws *ws, char *why)
{
    if (wh_ws_send(ws, 0x9, "conform", 7, c->timeout))
        return fail(why, "could not send the ping");
    int64_t deadline = ms_time_mono_ms() + c->timeout;
    for (;;) {
        struct wh_ws_msg m;
        int64_t left = deadline - ms_time_mono_ms();
        int rc =
            wh_ws_recv(ws, left > 0 ? (long)left : 0, &m); /* past the deadline: what has arrived */
        if (rc)
            return fail(why, "no pong frame within %ld ms (%s)", c->timeout, wh_net_strerror(rc));
        if (m.opcode == 0xA)
            return m.len == 7 && !memcmp(m.data, "conform", 7)
                       ? 1
                       : fail(why, "the pong carries %zu other bytes", m.len);
    }
}

/* A message that ends the connection without a close frame (uvicorn 0.40: the browser's 1006). */
static int drops_ok(struct cf *c, struct wh_ws *ws, int opcode, const char *payload, char *why)
{
    if (wh_ws_send(ws, opcode, payload, strlen(payload), c->timeout))
        return fail(why, "could not send");
    int64_t deadline = ms_time_mono_ms() + c->timeout;
    for (;;) {
        struct wh_ws_msg m;
        int64_t left = deadline - ms_time_mono_ms();
        int rc =
            wh_ws_recv(ws, left > 0 ? (long)left : 0, &m); /* past the deadline: what has arrived */
        if (rc == WH_NET_ERR_CLOSED || rc == WH_NET_ERR_IO)
            return 1;
        if (rc == WH_NET_ERR_TIMEOUT)
            return fail(why, "the connection stayed open for %ld ms", c->timeout);
        if (rc)
            return fail(why, "%s", wh_net_strerror(rc));
        if (m.opcode == 0x8)
            return fail(why,
                        "a close frame (code %d) came; uvicorn 0.40 ends the connection "
                        "without one (1006)",
                        ws->close_code);
        if (m.opcode == 0x1 && strncmp((const char *)m.data, "{\"type\":\"heartbeat\"", 19))
            return fail(why, "an answer came: %.200s", (const char *)m.data);
    }
}

/* The checks of an endpoint after its upgrade, in the order they run: a failed upgrade (or a
 * missing welcome) skips the rest, so every run reports the same set of names. */
static const char *const reply_names[EP_COUNT][5] = {
    {"invalid_json", "control", "ignored_type", NULL},
    {"invalid_json_silent", "control_silent", NULL},
    {"invalid_json_silent", "get_metrics_silent", NULL},
    {"type_ping_unknown_action", "invalid_json", "subscribe", "unsubscribe", NULL},
};

static size_t ep_check_names(int kind, const char **out)
{
    static const char *const before[] = {
        "handshake_headers", "welcome", "client_id", "room", "ping", "protocol_ping"};
    size_t n = 0;
    for (size_t i = 0; i < sizeof(before) / sizeof(before[0]); i++)
        out[n++] = before[i];
    for (size_t i = 0; reply_names[kind][i]; i++)
        out[n++] = reply_names[kind][i];
    out[n++] = "client_info";
    out[n++] = "close_echo";
    out[n++] = "client_id_given"; /* from here on each check opens its own connection */
    if (kind == EP_WORKFLOW)
        out[n++] = "non_object_drops";
    if (kind == EP_COORDINATOR)
        out[n++] = "binary_drops";
    return n;
}

/* Skips the endpoint's checks from `from` on; those with their own connection too if `all`. */
static void skip_rest(struct cf *c, int kind, const char *prefix, const char *from, int all,
                      const char *why)
{
    const char *names[24];
    size_t n = ep_check_names(kind, names);
    int on = 0;
    for (size_t i = 0; i < n; i++) {
        on |= !strcmp(names[i], from);
        if (!strcmp(names[i], "client_id_given") && !all)
            break;
        if (!on)
            continue;
        char name[96];
        snprintf(name, sizeof(name), "%s.%s", prefix, names[i]);
        rec(c, name, WH_CF_SKIP, now_ms(), "%s", why);
    }
}

/* The endpoint-specific replies and silences of PROTOCOL.md 2.1-2.4 and 8.7, on an open
 * connection (after the welcome). */
static void check_replies(struct cf *c, int kind, struct wh_ws *ws, const char *prefix)
{
    char name[96], why[WHY];
    double t;
#define CHECK(suffix, expr)                                                                        \
    do {                                                                                           \
        t = now_ms();                                                                              \
        why[0] = '\0';                                                                             \
        (void)(expr);                                                                              \
        snprintf(name, sizeof(name), "%s.%s", prefix, suffix);                                     \
        verdict(c, name, t, why);                                                                  \
    } while (0)
    switch (kind) {
    case EP_WORKFLOW:
        CHECK(reply_names[kind][0],
              exchange(c, ws, "not json",
                       "{\"type\":\"error\",\"message\":\"Invalid JSON format\"}", why));
        CHECK(reply_names[kind][1],
              exchange(c, ws, "{\"type\":\"control\",\"action\":\"cancel\"}",
                       "{\"type\":\"error\",\"message\":\"Coordinator not available\"}", why));
        CHECK(reply_names[kind][2], ignored(c, ws, "{\"type\":\"get_metrics\"}", 0, why));
        break;
    case EP_AGENT:
        CHECK(reply_names[kind][0], ignored(c, ws, "not json", 0, why));
        CHECK(reply_names[kind][1],
              ignored(c, ws, "{\"type\":\"control\",\"action\":\"cancel\"}", 0, why));
        break;
    case EP_COORDINATOR:
        CHECK(reply_names[kind][0], ignored(c, ws, "not json", 0, why));
        CHECK(reply_names[kind][1], ignored(c, ws, "{\"type\":\"get_metrics\"}", 0, why));
        break;
    case EP_LEGACY: {
        CHECK(reply_names[kind][0],
              exchange(c, ws, "{\"type\":\"ping\"}",
                       "{\"type\":\"error\",\"message\":\"Unknown action: None\"}", why));
        CHECK(reply_names[kind][1],
              exchange(c, ws, "not json",
                       "{\"type\":\"error\",\"message\":\"Error processing message: Expecting "
                       "value: line 1 column 1 (char 0)\"}",
                       why));
        char sub[160], want[200];
        snprintf(sub, sizeof(sub), "{\"action\":\"subscribe\",\"topic\":\"conform-%s\"}", c->tag);
        snprintf(want, sizeof(want),
                 "{\"type\":\"info\",\"message\":\"Subscribed to topic: conform-%s\"}", c->tag);
        CHECK(reply_names[kind][2], exchange(c, ws, sub, want, why));
        snprintf(sub, sizeof(sub), "{\"action\":\"unsubscribe\",\"topic\":\"conform-%s\"}", c->tag);
        snprintf(want, sizeof(want),
                 "{\"type\":\"info\",\"message\":\"Unsubscribed from topic: conform-%s\"}", c->tag);
        CHECK(reply_names[kind][3], exchange(c, ws, sub, want, why));
        break;
    }
    }
#undef CHECK
}

/* The checks on one connection to the endpoint. Returns 0 when the upgrade failed (then every
 * other check of the endpoint is skipped), 1 otherwise. */
static int check_endpoint_conn(struct cf *c, int kind)
{
    char prefix[32], param[64], path[160], room[160], name[96], why[WHY] = "";
    snprintf(prefix, sizeof(prefix), "ws.%s", ep_names[kind]);
    ep_param(c, kind, param, sizeof(param));
    ep_path(kind, param, path, sizeof(path));
    ep_room(kind, param, room, sizeof(room));
    int legacy = kind == EP_LEGACY;

    double t = now_ms();
    struct wh_ws *ws = ws_open(c, path);
    snprintf(name, sizeof(name), "%s.upgrade", prefix);
    if (!ws || ws->err) {
        rec(c, name, WH_CF_FAIL, t, "%s: %s", path, ws ? ws->detail : "out of memory");
        skip_rest(c, kind, prefix, "handshake_headers", 1, "the upgrade failed");
        wh_ws_free(ws);
        return 0;
    }
    rec(c, name, WH_CF_PASS, t, "%s", "");

    t = now_ms();
    handshake_headers_ok(ws, why);
    snprintf(name, sizeof(name), "%s.handshake_headers", prefix);
    verdict(c, name, t, why);

    t = now_ms();
    why[0] = '\0';
    char id[200] = "", room_seen[200] = "";
    const char *raw = next_text(c, ws, why);
    int have_welcome = raw && welcome_ok(raw, id, sizeof(id), room_seen, sizeof(room_seen), why);
    snprintf(name, sizeof(name), "%s.welcome", prefix);
    verdict(c, name, t, why);
    if (!have_welcome) {
        skip_rest(c, kind, prefix, "client_id", 0, "no welcome");
        wh_ws_free(ws);
        return 1;
    }

    t = now_ms();
    why[0] = '\0';
    if (!generated_id_ok(kind, param, id))
        fail(why, "generated client_id %s is not %s", id,
             kind == EP_LEGACY        ? "a uuid4"
             : kind == EP_COORDINATOR ? "coordinator_<8 hex>"
                                      : "<kind>_<id>_<8 hex>");
    snprintf(name, sizeof(name), "%s.client_id", prefix);
    verdict(c, name, t, why);

    t = now_ms();
    why[0] = '\0';
    char want_room[200];
    snprintf(want_room, sizeof(want_room), *room ? "\"%s\"" : "null", room);
    if (strcmp(room_seen, want_room))
        fail(why, "room %s, expected %s", room_seen, want_room);
    snprintf(name, sizeof(name), "%s.room", prefix);
    verdict(c, name, t, why);

    t = now_ms();
    why[0] = '\0';
    exchange(c, ws, legacy ? "{\"action\":\"ping\"}" : "{\"type\":\"ping\"}",
             legacy ? "{\"type\":\"info\",\"message\":\"pong\"}" : "{\"type\":\"pong\"}", why);
    snprintf(name, sizeof(name), "%s.ping", prefix);
    verdict(c, name, t, why);

    t = now_ms();
    why[0] = '\0';
    protocol_ping_ok(c, ws, why);
    snprintf(name, sizeof(name), "%s.protocol_ping", prefix);
    verdict(c, name, t, why);

    check_replies(c, kind, ws, prefix);

    t = now_ms();
    why[0] = '\0';
    client_info_ok(c, kind, param, id, room, why);
    snprintf(name, sizeof(name), "%s.client_info", prefix);
    verdict(c, name, t, why);

    t = now_ms();
    why[0] = '\0';
    close_echo_ok(c, ws, why);
    snprintf(name, sizeof(name), "%s.close_echo", prefix);
    verdict(c, name, t, why);
    wh_ws_free(ws);
    return 1;
}

/* The endpoint's checks that open their own connections. */
static void check_endpoint_own(struct cf *c, int kind)
{
    char prefix[32], param[64], path[160], name[96], why[WHY] = "";
    char id[200] = "", room_seen[200] = "";
    const char *raw;
    snprintf(prefix, sizeof(prefix), "ws.%s", ep_names[kind]);
    ep_param(c, kind, param, sizeof(param));
    ep_path(kind, param, path, sizeof(path));

    /* A client_id given in the query is used verbatim. */
    double t = now_ms();
    char given[96], qpath[300];
    snprintf(given, sizeof(given), "conform-given-%s-%s", ep_names[kind], c->tag);
    snprintf(qpath, sizeof(qpath), "%s?client_id=%s", path, given);
    struct wh_ws *ws = ws_open(c, qpath);
    if (!ws || ws->err) {
        fail(why, "upgrade: %s", ws ? ws->detail : "out of memory");
    } else if ((raw = next_text(c, ws, why)) &&
               welcome_ok(raw, id, sizeof(id), room_seen, sizeof(room_seen), why) &&
               strcmp(id, given)) {
        fail(why, "client_id %s, expected the given %s", id, given);
    }
    snprintf(name, sizeof(name), "%s.client_id_given", prefix);
    verdict(c, name, t, why);
    wh_ws_free(ws);

    /* Non-object JSON or a binary frame ends an enhanced endpoint's connection (PROTOCOL.md 8.3).
     */
    if (kind == EP_WORKFLOW || kind == EP_COORDINATOR) {
        t = now_ms();
        why[0] = '\0';
        ws = ws_open(c, path);
        if (!ws || ws->err)
            fail(why, "upgrade: %s", ws ? ws->detail : "out of memory");
        else if (next_text(c, ws, why))
            drops_ok(c, ws, kind == EP_WORKFLOW ? 0x1 : 0x2, "[1,2]", why);
        snprintf(name, sizeof(name), "%s.%s", prefix,
                 kind == EP_WORKFLOW ? "non_object_drops" : "binary_drops");
        verdict(c, name, t, why);
        wh_ws_free(ws);
    }
}

static void check_endpoint(struct cf *c, int kind)
{
    if (check_endpoint_conn(c, kind))
        check_endpoint_own(c, kind);
}

/* Unmatched WebSocket paths get uvicorn's exact 403 (PROTOCOL.md 7, 8.4). */
static void check_403(struct cf *c)
{
    static const char *const paths[] = {"/ws/workflow/", "/ws/agent/a/b", "/ws/coordinator/",
                                        "/ws/unknown", "/nope"};
    static const char tail[] =
        "\r\nContent-Length: 0\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n";
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        char name[96], why[WHY] = "";
        snprintf(name, sizeof(name), "ws.403[%s]", paths[i]);
        double t = now_ms();
        struct wh_ws *ws = ws_open(c, paths[i]);
        if (!ws) {
            fail(why, "out of memory");
        } else if (!ws->err) {
            fail(why, "accepted (101), expected 403");
        } else if (!ws->resp.status) {
            fail(why, "%s", ws->detail);
        } else if (ws->resp.status != 403) {
            fail(why, "status %d, expected 403", ws->resp.status);
        } else {
            const char *h = ws->resp.head;
            static const char start[] = "HTTP/1.1 403 Forbidden\r\nDate: ";
            const char *date = h + strlen(start);
            const char *eol = strncmp(h, start, strlen(start)) ? NULL : strstr(date, "\r\n");
            char d[64] = "";
            if (eol && (size_t)(eol - date) < sizeof(d))
                memcpy(d, date, (size_t)(eol - date));
            if (!eol || !is_rfc1123(d) || strcmp(eol, tail) || ws->resp.body_len)
                fail(why,
                     "not uvicorn's exact 403 (status line, Date, Content-Length: 0, "
                     "Content-Type: text/plain, Connection: close, empty body): %.300s",
                     h);
        }
        verdict(c, name, t, why);
        wh_ws_free(ws);
    }
}

/* ---- the run, the report, JUnit ---------------------------------------------------------------
 */

int wh_conform_run(const struct wh_conform_opts *o, struct wh_conform_report *rep, char *err,
                   size_t errlen)
{
    memset(rep, 0, sizeof(*rep));
    struct cf c = {.o = o, .rep = rep};
    if (!o->url || wh_url_parse(o->url, &c.url)) {
        snprintf(err, errlen, "not an http:// or ws:// URL: %s", o->url ? o->url : "(none)");
        return -1;
    }
    if (c.url.tls) {
        snprintf(err, errlen, "%s: TLS is not supported; use the backend's plain http:// port",
                 o->url);
        return -1;
    }
    c.timeout = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
    struct ms_rng rng;
    ms_rng_seed_random(&rng);
    ms_ids_hex8(&rng, c.tag);
    c.t0 = now_ms();

    check_health(&c);
    check_stats(&c);
    check_openapi(&c);
    check_http_misc(&c);
    for (int k = 0; k < EP_COUNT; k++)
        check_endpoint(&c, k);
    check_403(&c);
    rep->total_ms = now_ms() - c.t0;
    return 0;
}

void wh_conform_report_free(struct wh_conform_report *rep)
{
    free(rep->checks);
    memset(rep, 0, sizeof(*rep));
}

const struct wh_conform_check *wh_conform_find(const struct wh_conform_report *rep,
                                               const char *name)
{
    for (size_t i = 0; i < rep->n; i++)
        if (!strcmp(rep->checks[i].name, name))
            return &rep->checks[i];
    return NULL;
}

/* Writes s with XML's five entities escaped and characters XML 1.0 cannot hold dropped. */
int wh_conform_write_junit(const struct wh_conform_report *rep, const char *path, char *err,
                           size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    char stamp[32] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    char host[128] = "localhost";
    gethostname(host, sizeof(host) - 1);
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f,
            "<testsuites tests=\"%zu\" failures=\"%d\" errors=\"0\" skipped=\"%d\" "
            "time=\"%.3f\">\n",
            rep->n, rep->failed, rep->skipped, rep->total_ms / 1000.0);
    fprintf(f,
            "  <testsuite name=\"conform\" tests=\"%zu\" failures=\"%d\" errors=\"0\" "
            "skipped=\"%d\" time=\"%.3f\" timestamp=\"%s\" hostname=\"",
            rep->n, rep->failed, rep->skipped, rep->total_ms / 1000.0, stamp);
    wh_xml_text(f, host);
    fprintf(f, "\">\n");
    for (size_t i = 0; i < rep->n; i++) {
        const struct wh_conform_check *k = &rep->checks[i];
        /* classname: the name up to its last dot, before any [argument]: "ws.workflow.welcome"
         * is in conform.ws.workflow, "http.404[/nope]" in conform.http. */
        char group[64];
        int gl = (int)strcspn(k->name, "[");
        const char *dot = memrchr(k->name, '.', (size_t)gl);
        if (dot)
            gl = (int)(dot - k->name);
        snprintf(group, sizeof(group), "conform.%.*s", gl, k->name);
        fprintf(f, "    <testcase name=\"");
        wh_xml_text(f, k->name);
        fprintf(f, "\" classname=\"");
        wh_xml_text(f, group);
        fprintf(f, "\" time=\"%.3f\"", k->ms / 1000.0);
        if (k->result == WH_CF_PASS) {
            fprintf(f, "/>\n");
            continue;
        }
        fprintf(f, ">\n      <%s message=\"", k->result == WH_CF_FAIL ? "failure" : "skipped");
        wh_xml_text(f, k->detail);
        if (k->result == WH_CF_FAIL) {
            fprintf(f, "\" type=\"conform\">");
            wh_xml_text(f, k->detail);
            fprintf(f, "</failure>\n");
        } else {
            fprintf(f, "\"/>\n");
        }
        fprintf(f, "    </testcase>\n");
    }
    fprintf(f, "  </testsuite>\n</testsuites>\n");
    if (fclose(f)) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- the command ------------------------------------------------------------------------------
 */

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: wsharness conform URL [--junit FILE] [--timeout-ms N]\n\n"
        "The protocol conformance suite (shared/PROTOCOL.md) against any backend: the HTTP\n"
        "endpoints' shapes (/health, /ws/stats, /api/v1/ws/stats, /openapi.json, /), 404 on a\n"
        "plain GET of a WebSocket path, 405, each WebSocket endpoint (the 101, the welcome and\n"
        "its key order, the client-id format, the room, ping/pong, protocol ping, the error\n"
        "replies and silences, /ws/client/{id}, the close echo, a given client_id, the\n"
        "connection drop on non-object JSON or binary) and uvicorn's exact 403 on unknown\n"
        "WebSocket paths. One line per check (PASS/FAIL/SKIP name: detail), then a summary.\n"
        "The backend should have no other clients meanwhile.\n\n"
        "  URL              the backend, http://HOST:PORT (or ws://; no TLS)\n"
        "  --junit FILE     also write JUnit XML (testsuite \"conform\", one testcase per check)\n"
        "  --timeout-ms N   deadline of each exchange (default %d)\n"
        "  --help           this text\n\n"
        "Exit status: 0 every check passed, 1 a check failed, 2 usage.\n",
        DEFAULT_TIMEOUT_MS);
}

int wh_conform_main(int argc, char **argv)
{
    struct wh_conform_opts o = {.progress = stdout};
    const char *junit = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--junit") && i + 1 < argc) {
            junit = argv[++i];
        } else if (!strcmp(a, "--timeout-ms") && i + 1 < argc) {
            char *end;
            o.timeout_ms = strtol(argv[++i], &end, 10);
            if (*end || o.timeout_ms < 1 || o.timeout_ms > 600000) {
                fprintf(stderr, "wsharness conform: --timeout-ms wants 1..600000 ms, not '%s'\n\n",
                        argv[i]);
                usage(stderr);
                return 2;
            }
        } else if (a[0] == '-' || o.url) {
            fprintf(stderr, "wsharness conform: unexpected argument '%s'\n\n", a);
            usage(stderr);
            return 2;
        } else {
            o.url = a;
        }
    }
    if (!o.url) {
        fprintf(stderr, "wsharness conform: the backend URL is missing\n\n");
        usage(stderr);
        return 2;
    }
    struct wh_conform_report rep;
    char err[512];
    if (wh_conform_run(&o, &rep, err, sizeof(err))) {
        fprintf(stderr, "wsharness conform: %s\n\n", err);
        usage(stderr);
        return 2;
    }
    printf("\nconform: %d passed, %d failed, %d skipped (%zu checks, %.0f ms)\n", rep.passed,
           rep.failed, rep.skipped, rep.n, rep.total_ms);
    int rc = rep.failed || rep.skipped ? 1 : 0;
    if (junit && wh_conform_write_junit(&rep, junit, err, sizeof(err))) {
        fprintf(stderr, "wsharness conform: %s\n", err);
        rc = 1;
    }
    wh_conform_report_free(&rep);
    return rc;
}
