/* wh_doctor -- the doctor subcommand: checks of a backend and its proxy, then one diagnosis. */
#include "wh_doctor.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ms_time.h"
#include "wh_commands.h"
#include "wh_wsclient.h"

#define DEFAULT_TIMEOUT_MS 3000
#define DEFAULT_HOLD_MS 1000
#define DEFAULT_ORIGIN "http://localhost:5000"

/* The WebSocket paths checked: the three enhanced endpoints and the legacy one (PROTOCOL.md 1.1).
 * The frontend proxies only /ws (PROTOCOL.md 9.21), so only those are tried through it. */
static const struct {
    const char *path;
    int legacy;
} ws_paths[] = {
    {"/ws/coordinator", 0},
    {"/ws/workflow/doctor", 0},
    {"/ws/agent/doctor", 0},
    {"/api/v1/ws/connect", 1},
};
#define N_PATHS 4
#define N_ENHANCED 3
#define LEGACY 3

/* What one upgrade attempt showed. */
struct upg {
    int tried;
    int err;     /* wh_net_err of the upgrade (0: open) */
    int status;  /* the HTTP status of the answer (0: none) */
    int welcome; /* 1 the welcome came first, 0 nothing came, -1 another frame came first */
    int pong;    /* 1 the app-level ping was answered */
    int alive;   /* after the hold: 1 answered a ping again, 0 did not, -1 closed, -2 not held */
    int close_code;
};

/* What one HTTP request showed. */
struct http_fact {
    int err;
    int status;
    int shape_ok; /* the JSON has the expected shape */
    int tls_port; /* the answer says the port wants TLS (nginx: "The plain HTTP request was sent
                     to HTTPS port") */
};

/* One doctor run: the options, the report being written and every fact found. */
struct ctx {
    struct wh_doctor_report *rep;
    long timeout;
    long hold;
    char origin[300];
    struct wh_url be, fe;
    int has_fe;
    char be_hp[300], fe_hp[300];

    int tcp_err;
    char tcp_detail[256];
    struct http_fact health, ws_stats, legacy_stats, openapi;
    int openapi_ws_stats; /* /openapi.json declares /ws/stats */
    struct upg direct[N_PATHS], with_origin[N_PATHS], proxy[N_ENHANCED];
    struct wh_ws *live[N_PATHS]; /* the direct connections, held open for the alive check */
    int64_t live_since_ms;

    int fe_tcp_err;
    struct http_fact fe_ws_stats, fe_legacy_stats;
};

/* ---- steps -------------------------------------------------------------------------------- */

static void one_line(char *dst, size_t len, const char *src, size_t srclen)
{
    size_t o = 0, i = 0;
    for (; i < srclen && o + 1 < len; i++) {
        unsigned char ch = (unsigned char)src[i];
        dst[o++] = (ch == '\r' || ch == '\n' || ch == '\t') ? ' ' : (char)ch;
    }
    if (i < srclen && o >= 3) /* cut: say so */
        memcpy(dst + o - 3, "...", 3);
    dst[o] = '\0';
}

static struct wh_doctor_step *add_step(struct ctx *c, const char *where, const char *check,
                                       const char *target)
{
    struct wh_doctor_report *r = c->rep;
    if (r->n_steps == WH_DOCTOR_MAX_STEPS)
        r->n_steps--; /* never happens with the fixed list of checks; keep the last slot */
    struct wh_doctor_step *s = &r->steps[r->n_steps++];
    memset(s, 0, sizeof(*s));
    snprintf(s->where, sizeof(s->where), "%s", where);
    snprintf(s->check, sizeof(s->check), "%s", check);
    snprintf(s->target, sizeof(s->target), "%s", target);
    s->ms = -1;
    return s;
}

static void set_result(struct wh_doctor_step *s, enum wh_doctor_verdict v, double ms,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void set_result(struct wh_doctor_step *s, enum wh_doctor_verdict v, double ms,
                       const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    one_line(s->result, sizeof(s->result), buf, n < 0 ? 0 : strlen(buf));
    s->verdict = v;
    s->ms = ms;
}

static double now_ms(void)
{
    return (double)ms_time_mono_us() / 1000.0;
}

/* ---- HTTP checks ---------------------------------------------------------------------------- */

static int shape_health(const cJSON *j)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "status");
    return cJSON_IsString(s) && !strcmp(s->valuestring, "healthy");
}

static int shape_ws_stats(const cJSON *j)
{
    return cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "websocket")) &&
           cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "broadcaster"));
}

static int shape_legacy_stats(const cJSON *j)
{
    return cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, "total_connections"));
}

/* GETs path from u, records the fact and a step; returns the parsed JSON body (caller deletes) or
 * NULL. */
static cJSON *check_http(struct ctx *c, const struct wh_url *u, const char *where, const char *path,
                         int (*shape)(const cJSON *), struct http_fact *f)
{
    char target[96];
    snprintf(target, sizeof(target), "GET %s", path);
    struct wh_doctor_step *s = add_step(c, where, "http", target);
    struct wh_http_result r;
    wh_http_request(u->host, u->port, "GET", path, NULL, NULL, 0, c->timeout, &r);
    f->err = r.err;
    f->status = r.resp.status;
    cJSON *j = NULL;
    if (r.err) {
        set_result(s, WH_DOC_FAIL, r.total_ms, "%s", r.detail);
    } else {
        j = cJSON_ParseWithLength((const char *)r.resp.body, r.resp.body_len);
        f->shape_ok = r.resp.status == 200 && cJSON_IsObject(j) && (!shape || shape(j));
        f->tls_port = r.resp.status == 400 &&
                      strstr((const char *)r.resp.body, "plain HTTP request was sent to HTTPS");
        const char *ct = wh_http_header(&r.resp, "Content-Type");
        char body[120];
        one_line(body, sizeof(body), (const char *)r.resp.body, r.resp.body_len);
        set_result(s, f->shape_ok ? WH_DOC_OK : WH_DOC_FAIL, r.total_ms, "%d %s%s%s", f->status,
                   j    ? ""
                   : ct ? ct
                        : "",
                   j ? "" : ": ", body);
    }
    wh_http_result_free(&r);
    return j;
}

static void check_openapi(struct ctx *c)
{
    cJSON *j = check_http(c, &c->be, "backend", "/openapi.json", NULL, &c->openapi);
    struct wh_doctor_step *s = &c->rep->steps[c->rep->n_steps - 1];
    snprintf(s->check, sizeof(s->check), "openapi");
    if (!c->openapi.shape_ok) {
        cJSON_Delete(j);
        return;
    }
    char list[200] = "";
    size_t n = 0;
    const cJSON *paths = cJSON_GetObjectItemCaseSensitive(j, "paths");
    const cJSON *p;
    cJSON_ArrayForEach(p, paths)
    {
        if (!p->string || !strstr(p->string, "/ws"))
            continue;
        if (!strcmp(p->string, "/ws/stats"))
            c->openapi_ws_stats = 1;
        n += (size_t)snprintf(list + n, n < sizeof(list) ? sizeof(list) - n : 0, "%s%s",
                              n ? " " : "", p->string);
    }
    set_result(s, WH_DOC_INFO, s->ms, "200, declares%s%s%s",
               n ? " " : " no WebSocket-related paths", list,
               c->openapi_ws_stats ? "" : " (no /ws/stats: the enhanced router is absent)");
    cJSON_Delete(j);
}

/* ---- WebSocket checks ------------------------------------------------------------------------ */

static int is_welcome(const char *text)
{
    cJSON *j = cJSON_Parse(text);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "type");
    int ok = cJSON_IsString(t) && !strcmp(t->valuestring, "info") &&
             cJSON_GetObjectItemCaseSensitive(j, "client_id");
    cJSON_Delete(j);
    return ok;
}

static const char *ping_of(int i)
{
    return ws_paths[i].legacy ? "{\"action\":\"ping\"}" : "{\"type\":\"ping\"}";
}

static const char *pong_of(int i)
{
    return ws_paths[i].legacy ? "{\"type\":\"info\",\"message\":\"pong\"}" : "{\"type\":\"pong\"}";
}

/* Upgrades ws_paths[i] on u (with origin, or none) and records the step. Returns the open
 * connection (the caller frees it) or NULL. */
static struct wh_ws *upgrade(struct ctx *c, const struct wh_url *u, const char *where, int i,
                             const char *origin, struct upg *g)
{
    const char *path = ws_paths[i].path;
    char target[96];
    snprintf(target, sizeof(target), "%s%s", path, origin ? " +Origin" : "");
    struct wh_doctor_step *s = add_step(c, where, "upgrade", target);
    struct wh_ws_opts o = {.origin = origin, .timeout_ms = c->timeout};
    double t0 = now_ms();
    struct wh_ws *ws = wh_ws_connect(u->host, u->port, path, &o);
    g->tried = 1;
    g->alive = -2;
    g->close_code = -1;
    if (!ws) {
        g->err = WH_NET_ERR_OOM;
        set_result(s, WH_DOC_FAIL, now_ms() - t0, "out of memory");
        return NULL;
    }
    g->err = ws->err;
    g->status = ws->resp.status;
    if (!ws->err) {
        set_result(s, WH_DOC_OK, now_ms() - t0, "101 %s", ws->resp.reason);
        return ws;
    }
    if (ws->err == WH_NET_ERR_UPGRADE && ws->resp.status && ws->resp.status != 101) {
        char body[100];
        one_line(body, sizeof(body), (const char *)ws->resp.body, ws->resp.body_len);
        set_result(s, WH_DOC_FAIL, now_ms() - t0, "%d %s, no 101%s%s", ws->resp.status,
                   ws->resp.reason, ws->resp.body_len ? ": " : "", body);
    } else {
        set_result(s, WH_DOC_FAIL, now_ms() - t0, "%s", ws->detail);
    }
    wh_ws_free(ws);
    return NULL;
}

/* One connection waiting for the answer to its app-level ping. */
struct waiter {
    struct wh_ws *ws;
    int i; /* index in ws_paths */
    struct upg *g;
    double t_sent, t_first, t_pong; /* times since the ping went out (-1: not yet) */
    char first[200];                /* the first text frame, one line */
    int rc;                         /* 1 waiting, 0 the pong came, or a wh_net_err */
};

/* Takes what w's connection has received so far, without waiting. */
static void drain(struct waiter *w)
{
    while (w->rc == 1) {
        struct wh_ws_msg m;
        int rc = wh_ws_recv(w->ws, 0, &m);
        if (rc == WH_NET_ERR_TIMEOUT)
            return;
        if (rc || m.opcode == 0x8) {
            w->g->close_code = w->ws->close_code;
            w->rc = rc ? rc : WH_NET_ERR_CLOSED;
            return;
        }
        if (m.opcode != 0x1)
            continue;
        if (w->t_first < 0) {
            w->t_first = now_ms() - w->t_sent;
            one_line(w->first, sizeof(w->first), (const char *)m.data, m.len);
            w->g->welcome = is_welcome((const char *)m.data) ? 1 : -1;
        }
        if (!strcmp((const char *)m.data, pong_of(w->i))) {
            w->t_pong = now_ms() - w->t_sent;
            w->rc = 0;
        }
    }
}

/* Sends the ping on each connection, then serves them all at once (poll) until each has its pong
 * or has failed, or the deadline passes (rc WH_NET_ERR_TIMEOUT); so each answer gets its real time
 * and a silent backend costs one deadline in all. */
static void ping_all(struct ctx *c, struct waiter *w, int n)
{
    for (int k = 0; k < n; k++) {
        w[k].t_first = w[k].t_pong = -1;
        w[k].first[0] = '\0';
        w[k].t_sent = now_ms();
        w[k].rc = wh_ws_send_text(w[k].ws, ping_of(w[k].i), c->timeout);
        if (!w[k].rc)
            w[k].rc = 1;
    }
    int64_t deadline = ms_time_mono_ms() + c->timeout;
    for (;;) {
        struct pollfd fds[N_PATHS];
        nfds_t nf = 0;
        for (int k = 0; k < n; k++) {
            drain(&w[k]);
            if (w[k].rc == 1)
                fds[nf++] = (struct pollfd){.fd = wh_ws_fd(w[k].ws), .events = POLLIN};
        }
        int64_t left = deadline - ms_time_mono_ms();
        if (!nf || left <= 0)
            break;
        if (poll(fds, nf, (int)left) < 0 && errno != EINTR)
            break;
    }
    for (int k = 0; k < n; k++)
        if (w[k].rc == 1)
            w[k].rc = WH_NET_ERR_TIMEOUT;
}

/* Upgrades every path in [0, n) on u, then checks the welcome and an app-level ping on each
 * connection that opened. keep (may be NULL) gets the connections that answered; the others are
 * closed. */
static void check_ws_paths(struct ctx *c, const struct wh_url *u, const char *where, int n,
                           const char *origin, struct upg *gs, struct wh_ws **keep)
{
    struct waiter w[N_PATHS];
    int nw = 0;
    for (int i = 0; i < n; i++) {
        struct wh_ws *ws = upgrade(c, u, where, i, origin, &gs[i]);
        if (ws)
            w[nw++] = (struct waiter){.ws = ws, .i = i, .g = &gs[i]};
    }
    ping_all(c, w, nw);
    for (int k = 0; k < nw; k++) {
        struct upg *g = w[k].g;
        const char *path = ws_paths[w[k].i].path;
        struct wh_doctor_step *sw = add_step(c, where, "welcome", path);
        struct wh_doctor_step *sp = add_step(c, where, "ping", path);
        double waited = now_ms() - w[k].t_sent;
        g->pong = !w[k].rc;
        const char *why = w[k].rc == WH_NET_ERR_TIMEOUT ? "nothing" : "the connection ended";
        if (w[k].rc == WH_NET_ERR_CLOSED && g->close_code >= 0)
            why = "a close frame";
        if (g->welcome == 1)
            set_result(sw, WH_DOC_OK, w[k].t_first, "%s", w[k].first);
        else if (g->welcome == -1)
            set_result(sw, WH_DOC_FAIL, w[k].t_first, "the first frame is not the welcome: %s",
                       w[k].first);
        else
            set_result(sw, WH_DOC_FAIL, waited, "%s within %ld ms (no welcome)", why, c->timeout);
        if (g->pong)
            set_result(sp, WH_DOC_OK, w[k].t_pong, "%s -> %s", ping_of(w[k].i), pong_of(w[k].i));
        else
            set_result(sp, WH_DOC_FAIL, waited, "%s: %s within %ld ms (no pong)", ping_of(w[k].i),
                       why, c->timeout);
        if (keep && g->pong)
            keep[w[k].i] = w[k].ws;
        else
            wh_ws_free(w[k].ws);
    }
}

/* Upgrades every path with an Origin header; only the answer to the upgrade matters here. */
static void check_ws_origin(struct ctx *c)
{
    for (int i = 0; i < N_PATHS; i++)
        wh_ws_free(upgrade(c, &c->be, "backend", i, c->origin, &c->with_origin[i]));
}

/* The connections that answered are held open for c->hold ms (counted from their opening), then
 * pinged again: a backend that answers at first and then stops (half-open, stalled after a while)
 * or closes connections on its own shows here. */
static void check_alive(struct ctx *c)
{
    struct waiter w[N_PATHS];
    int nw = 0;
    for (int i = 0; i < N_PATHS; i++)
        if (c->live[i])
            w[nw++] = (struct waiter){.ws = c->live[i], .i = i, .g = &c->direct[i]};
    if (!nw)
        return;
    /* Wait out the hold on one connection, which also notices it ending; the others' frames wait
     * in their sockets. */
    for (;;) {
        int64_t left = c->live_since_ms + c->hold - ms_time_mono_ms();
        if (left <= 0)
            break;
        struct wh_ws_msg m;
        int rc = wh_ws_recv(w[0].ws, (long)left, &m);
        if (rc || m.opcode == 0x8)
            break;
    }
    ping_all(c, w, nw);
    for (int k = 0; k < nw; k++) {
        struct upg *g = w[k].g;
        int i = w[k].i;
        struct wh_doctor_step *s = add_step(c, "backend", "alive", ws_paths[i].path);
        double waited = now_ms() - w[k].t_sent;
        g->alive = !w[k].rc ? 1 : w[k].rc == WH_NET_ERR_TIMEOUT ? 0 : -1;
        if (g->alive == 1)
            set_result(s, WH_DOC_OK, w[k].t_pong, "after %ld ms open: %s -> %s", c->hold,
                       ping_of(i), pong_of(i));
        else if (g->alive == 0)
            set_result(s, WH_DOC_FAIL, waited,
                       "after %ld ms open: no pong within %ld ms (the connection went silent)",
                       c->hold, c->timeout);
        else if (g->close_code >= 0)
            set_result(s, WH_DOC_FAIL, waited,
                       "the server closed the connection (code %d) within %ld ms", g->close_code,
                       c->hold);
        else
            set_result(s, WH_DOC_FAIL, waited,
                       "the connection ended without a close frame (1006) within %ld ms", c->hold);
        wh_ws_send_close(w[k].ws, 1000, NULL, 100);
        wh_ws_free(w[k].ws);
        c->live[i] = NULL;
    }
}

/* ---- the diagnosis -------------------------------------------------------------------------- */

static void diagnose(struct ctx *c, const char *id, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void diagnose(struct ctx *c, const char *id, const char *fix, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->rep->cause, sizeof(c->rep->cause), fmt, ap);
    va_end(ap);
    snprintf(c->rep->fix, sizeof(c->rep->fix), "%s", fix);
    c->rep->id = id;
    c->rep->exit_code = strcmp(id, "healthy") ? 1 : 0;
}

static int opened(const struct upg *g)
{
    return g->tried && !g->err;
}

static int refused(const struct upg *g)
{
    return g->tried && g->err == WH_NET_ERR_UPGRADE && g->status && g->status != 101;
}

/* How an upgrade failed, in a few words ("403", "no answer", "reset", ...). */
static void how_failed(const struct upg *g, char *buf, size_t len)
{
    if (refused(g))
        snprintf(buf, len, "%d", g->status);
    else if (g->err == WH_NET_ERR_TIMEOUT)
        snprintf(buf, len, "no answer");
    else if (g->err == WH_NET_ERR_IO || g->err == WH_NET_ERR_CLOSED)
        snprintf(buf, len, "the connection dropped");
    else
        snprintf(buf, len, "%s", wh_net_strerror(g->err));
}

static const struct wh_doctor_step *first_failed(const struct ctx *c)
{
    for (size_t i = 0; i < c->rep->n_steps; i++)
        if (c->rep->steps[i].verdict == WH_DOC_FAIL)
            return &c->rep->steps[i];
    return NULL;
}

/* Picks the diagnosis from the facts, most specific cause first. */
static void decide(struct ctx *c)
{
    int open_n = 0, refused_n = 0, all_403 = 1;
    for (int i = 0; i < N_ENHANCED; i++) {
        open_n += opened(&c->direct[i]);
        refused_n += refused(&c->direct[i]);
        all_403 &= c->direct[i].status == 403;
    }
    char how[64];
    how_failed(&c->direct[0], how, sizeof(how));
    const char *be = c->be_hp;

    if (open_n == 0 && refused_n == N_ENHANCED) {
        int legacy_ok = opened(&c->direct[LEGACY]) || c->legacy_stats.shape_ok;
        if (!c->ws_stats.shape_ok && !c->openapi_ws_stats && all_403 && legacy_ok) {
            diagnose(
                c, "ws-001",
                "in api_server.py import api_routes_websocket_enhanced.router as "
                "websocket_enhanced_router and add app.include_router(websocket_enhanced_router) "
                "after the legacy router, then restart the backend (PROTOCOL.md 7)",
                "WS-001: the enhanced WebSocket router (api_routes_websocket_enhanced) is not "
                "registered: HTTP works and only the legacy endpoint /api/v1/ws/connect "
                "exists, while every /ws/* upgrade gets 403 and GET /ws/stats gets %d",
                c->ws_stats.status);
            return;
        }
        if (!c->ws_stats.shape_ok && !c->openapi_ws_stats && !legacy_ok) {
            diagnose(c, "no-ws-router",
                     "include both WebSocket routers in api_server.py: "
                     "app.include_router(websocket_router) (legacy, /api/v1/ws) and "
                     "app.include_router(websocket_enhanced_router) (/ws), then restart",
                     "no WebSocket router is registered: HTTP works, but every upgrade (/ws/* and "
                     "/api/v1/ws/connect) is refused with %s and neither /ws/stats nor "
                     "/api/v1/ws/stats exists",
                     how);
            return;
        }
        diagnose(c, "upgrade-refused",
                 "find what answers the upgrade before the route (an auth or origin middleware, a "
                 "proxy or a gateway on this port) and let WebSocket upgrades to /ws/* through",
                 "every /ws/* upgrade is refused with %s although the enhanced router is there "
                 "(GET /ws/stats %d%s): something in front of the WebSocket routes refuses them",
                 how, c->ws_stats.status,
                 c->openapi_ws_stats ? ", /openapi.json declares /ws/stats" : "");
        return;
    }
    if (open_n == 0) {
        diagnose(c, "upgrade-unanswered",
                 "if this URL is a proxy, pass WebSocket upgrades through it (vite: ws: true; "
                 "nginx: proxy_http_version 1.1 and the Upgrade/Connection headers); otherwise "
                 "look for what blocks the backend's WebSocket handling",
                 "%s answers HTTP but no /ws/* upgrade gets an answer (%s on /ws/coordinator "
                 "within %ld ms)",
                 be, how, c->timeout);
        return;
    }
    for (int i = 0; i < N_ENHANCED; i++) {
        if (opened(&c->direct[i]) && refused(&c->with_origin[i])) {
            diagnose(c, "origin-check",
                     "allow the frontend's origin in that check (or remove it); CORSMiddleware's "
                     "allow_origins does not apply to WebSockets, and the backend as designed "
                     "accepts any Origin (PROTOCOL.md 8.6)",
                     "upgrades that carry an Origin header (%s) are refused with %d while the same "
                     "upgrades without one are accepted: an origin check (a middleware, a proxy or "
                     "the route itself) rejects the browser",
                     c->origin, c->with_origin[i].status);
            return;
        }
    }
    for (int i = 0; i < N_PATHS; i++) {
        const struct upg *g = &c->direct[i];
        if (opened(g) && g->welcome == 0 && !g->pong) {
            diagnose(c, "stalled",
                     "the endpoint or the backend's event loop is blocked: look for a blocking "
                     "call or a deadlock in the WebSocket handler (e.g. the agent-status lock of "
                     "PROTOCOL.md 2.2) and restart the backend",
                     "the backend accepts WebSocket upgrades but then sends nothing: no welcome "
                     "and no pong on %s within %ld ms (a stalled backend)",
                     ws_paths[i].path, c->timeout);
            return;
        }
    }
    for (int i = 0; i < N_PATHS; i++) {
        const struct upg *g = &c->direct[i];
        if (!opened(g)) {
            how_failed(g, how, sizeof(how));
            char works[200] = "";
            size_t n = 0;
            for (int k = 0; k < N_PATHS; k++)
                if (opened(&c->direct[k]))
                    n += (size_t)snprintf(works + n, n < sizeof(works) ? sizeof(works) - n : 0,
                                          "%s%s", n ? ", " : "", ws_paths[k].path);
            diagnose(c, "partial",
                     "register the missing WebSocket route (or find what refuses that path) and "
                     "compare it with the routes that work",
                     "the upgrade on %s fails (%s) while %s work%s: that route is missing or "
                     "refused",
                     ws_paths[i].path, how, works, strchr(works, ',') ? "" : "s");
            return;
        }
    }
    for (int i = 0; i < N_PATHS; i++) {
        const struct upg *g = &c->direct[i];
        if (g->alive == 0) {
            diagnose(c, "half-open",
                     "find what stops the endpoint (a blocking call, a stuck task) and restart the "
                     "backend; clients must notice this with a heartbeat timeout and reconnect",
                     "the backend answers at first (welcome, pong) but an open connection on %s "
                     "stops answering: no pong to a ping after %ld ms open (half-open, stalled "
                     "after accept)",
                     ws_paths[i].path, c->hold);
            return;
        }
        if (g->alive == -1) {
            char code[32] = "1006, no close frame";
            if (g->close_code >= 0)
                snprintf(code, sizeof(code), "%d", g->close_code);
            diagnose(c, "drops",
                     "find why the backend ends connections (a crash in the handler, a timeout "
                     "in a proxy or load balancer) and fix it; clients must reconnect with "
                     "backoff meanwhile",
                     "the backend closes open connections on its own: %s ended within %ld ms "
                     "(%s); the real backend never closes a connection in normal operation",
                     ws_paths[i].path, c->hold, code);
            return;
        }
    }
    if (c->has_fe) {
        if (c->fe_tcp_err) {
            diagnose(c, "frontend-not-running",
                     "start the frontend's dev server (npm run dev / vite preview) or fix "
                     "--frontend",
                     "nothing answers on the frontend %s (%s) while the backend is fine", c->fe_hp,
                     wh_net_strerror(c->fe_tcp_err));
            return;
        }
        if (!c->fe_ws_stats.shape_ok || !c->fe_legacy_stats.shape_ok) {
            const struct http_fact *f =
                !c->fe_ws_stats.shape_ok ? &c->fe_ws_stats : &c->fe_legacy_stats;
            diagnose(c, "proxy-http",
                     "proxy /ws (with ws: true) and /api to the backend in vite.config.ts "
                     "(server.proxy and preview.proxy)",
                     "the frontend %s does not pass HTTP to the backend: GET %s through it "
                     "answers %d, not the backend's JSON",
                     c->fe_hp, f == &c->fe_ws_stats ? "/ws/stats" : "/api/v1/ws/stats", f->status);
            return;
        }
        for (int i = 0; i < N_ENHANCED; i++) {
            if (opened(&c->direct[i]) && !opened(&c->proxy[i])) {
                how_failed(&c->proxy[i], how, sizeof(how));
                diagnose(c, "proxy-no-upgrade",
                         "add ws: true to the /ws proxy in vite.config.ts "
                         "(\"/ws\": { target: BACKEND, ws: true, changeOrigin: true }; nginx: "
                         "proxy_http_version 1.1 and Upgrade/Connection headers)",
                         "the frontend's proxy %s answers HTTP but does not pass WebSocket "
                         "upgrades: %s through it gets %s while the backend accepts it directly",
                         c->fe_hp, ws_paths[i].path, how);
                return;
            }
        }
    }
    const struct wh_doctor_step *s = first_failed(c);
    if (s) {
        diagnose(c, "problem", "see the failed steps above",
                 "%s %s %s: %s (no known cause matches)", s->where, s->check, s->target, s->result);
        return;
    }
    diagnose(c, "healthy", "nothing to fix",
             "healthy: HTTP, the enhanced and legacy routes, every WebSocket upgrade (with and "
             "without Origin), the welcome and ping/pong work%s",
             c->has_fe ? ", directly and through the frontend" : "");
}

/* ---- the run -------------------------------------------------------------------------------- */

/* wss:// or https://: no TLS here, but say whether the port speaks TLS at all. */
static void check_tls_url(struct ctx *c)
{
    struct wh_doctor_step *s = add_step(c, "backend", "tls", c->be_hp);
    struct wh_http_result r;
    wh_http_request(c->be.host, c->be.port, "GET", "/health", NULL, NULL, 0, c->timeout, &r);
    if (r.err == WH_NET_ERR_REFUSED) {
        set_result(s, WH_DOC_FAIL, r.total_ms, "%s", r.detail);
        diagnose(c, "not-running",
                 "start the backend (uvicorn api_server:app --port 3001) or point doctor at the "
                 "port it listens on",
                 "nothing listens on %s (connection refused): the backend is not running",
                 c->be_hp);
    } else if (r.err == WH_NET_ERR_RESOLVE) {
        set_result(s, WH_DOC_FAIL, r.total_ms, "%s", r.detail);
        diagnose(c, "unreachable",
                 "check the host and port, and any firewall between here and the backend",
                 "%s cannot be reached: %s", c->be_hp, r.detail);
    } else if (!r.err &&
               !strstr((const char *)r.resp.body, "plain HTTP request was sent to HTTPS")) {
        set_result(s, WH_DOC_FAIL, r.total_ms,
                   "plain HTTP answered (GET /health: %d): this port does not speak TLS",
                   r.resp.status);
        char fix[480];
        snprintf(fix, sizeof(fix), "use ws://%.200s (http://%.200s) instead of %s://", c->be_hp,
                 c->be_hp, c->be.scheme);
        diagnose(c, "use-ws", fix,
                 "%s://%s is a TLS URL, but the server on this port speaks plain HTTP/WS "
                 "(a browser's wss:// handshake fails there)",
                 c->be.scheme, c->be_hp);
    } else {
        if (r.err == WH_NET_ERR_TLS)
            set_result(s, WH_DOC_INFO, r.total_ms, "%s", r.detail);
        else if (r.err)
            set_result(s, WH_DOC_INFO, r.total_ms,
                       "no plain-HTTP answer (%s): it likely speaks TLS", r.detail);
        else
            set_result(s, WH_DOC_INFO, r.total_ms,
                       "400 The plain HTTP request was sent to HTTPS port: it speaks TLS");
        diagnose(c, "tls-unsupported",
                 "run doctor against the backend's plain port behind the TLS terminator (e.g. "
                 "http://127.0.0.1:3001)",
                 "cannot check %s://%s: the server speaks TLS and wsharness has no TLS support",
                 c->be.scheme, c->be_hp);
    }
    wh_http_result_free(&r);
}

static void run_backend(struct ctx *c)
{
    struct wh_doctor_step *s = add_step(c, "backend", "tcp", c->be_hp);
    double ms = 0;
    c->tcp_err =
        wh_net_probe(c->be.host, c->be.port, c->timeout, &ms, c->tcp_detail, sizeof(c->tcp_detail));
    if (c->tcp_err) {
        set_result(s, WH_DOC_FAIL, ms, "%s", c->tcp_detail);
        if (c->tcp_err == WH_NET_ERR_REFUSED)
            diagnose(c, "not-running",
                     "start the backend (uvicorn api_server:app --port 3001) or point doctor at "
                     "the port it listens on",
                     "nothing listens on %s (connection refused): the backend is not running",
                     c->be_hp);
        else
            diagnose(c, "unreachable",
                     "check the host and port, and any firewall between here and the backend",
                     "%s cannot be reached: %s", c->be_hp, c->tcp_detail);
        return;
    }
    set_result(s, WH_DOC_OK, ms, "connected");

    cJSON_Delete(check_http(c, &c->be, "backend", "/health", shape_health, &c->health));
    if (c->health.err == WH_NET_ERR_TLS || c->health.tls_port) {
        char fix[480];
        snprintf(fix, sizeof(fix),
                 "use wss://%.150s (https://%.150s); wsharness has no TLS, so check the backend "
                 "behind the TLS terminator",
                 c->be_hp, c->be_hp);
        diagnose(c, "use-wss", fix,
                 "%s://%s is a plain URL, but the server on this port answers with TLS: it "
                 "expects wss:// (https://)",
                 c->be.scheme, c->be_hp);
        return;
    }
    if (c->health.err == WH_NET_ERR_TIMEOUT) {
        diagnose(c, "http-stalled",
                 "the event loop is blocked: look for a blocking call or a deadlock (e.g. the "
                 "agent-status lock of PROTOCOL.md 2.2), then restart the backend",
                 "%s accepts TCP connections but does not answer HTTP (GET /health: no answer "
                 "within %ld ms): the backend is stalled",
                 c->be_hp, c->timeout);
        return;
    }
    cJSON_Delete(check_http(c, &c->be, "backend", "/ws/stats", shape_ws_stats, &c->ws_stats));
    cJSON_Delete(
        check_http(c, &c->be, "backend", "/api/v1/ws/stats", shape_legacy_stats, &c->legacy_stats));
    check_openapi(c);

    c->live_since_ms = ms_time_mono_ms();
    check_ws_paths(c, &c->be, "backend", N_PATHS, NULL, c->direct, c->live);
    check_ws_origin(c);
}

static void run_frontend(struct ctx *c)
{
    struct wh_doctor_step *s = add_step(c, "frontend", "tcp", c->fe_hp);
    double ms = 0;
    char detail[256];
    c->fe_tcp_err = wh_net_probe(c->fe.host, c->fe.port, c->timeout, &ms, detail, sizeof(detail));
    if (c->fe_tcp_err) {
        set_result(s, WH_DOC_FAIL, ms, "%s", detail);
        return;
    }
    set_result(s, WH_DOC_OK, ms, "connected");
    cJSON_Delete(check_http(c, &c->fe, "frontend", "/ws/stats", shape_ws_stats, &c->fe_ws_stats));
    cJSON_Delete(check_http(c, &c->fe, "frontend", "/api/v1/ws/stats", shape_legacy_stats,
                            &c->fe_legacy_stats));
    /* A browser on the frontend's page sends its origin; the legacy path is not proxied. */
    check_ws_paths(c, &c->fe, "frontend", N_ENHANCED, c->origin, c->proxy, NULL);
}

int wh_doctor_run(const struct wh_doctor_opts *o, struct wh_doctor_report *rep, char *err,
                  size_t errlen)
{
    struct ctx *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (!o->url || wh_url_parse(o->url, &c->be)) {
        snprintf(err, errlen, "not an http://, ws://, https:// or wss:// URL: %s",
                 o->url ? o->url : "(none)");
        free(c);
        return -1;
    }
    if (o->frontend && (wh_url_parse(o->frontend, &c->fe) || c->fe.tls)) {
        snprintf(err, errlen, "--frontend: not an http:// or ws:// URL: %s", o->frontend);
        free(c);
        return -1;
    }
    memset(rep, 0, sizeof(*rep));
    c->rep = rep;
    c->has_fe = o->frontend != NULL;
    c->timeout = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
    c->hold = DEFAULT_HOLD_MS;
    if (c->timeout < c->hold)
        c->hold = c->timeout; /* a short run (tests, --timeout-ms) holds connections less */
    wh_url_hostport(c->be.host, c->be.port, c->be_hp, sizeof(c->be_hp));
    if (c->has_fe)
        wh_url_hostport(c->fe.host, c->fe.port, c->fe_hp, sizeof(c->fe_hp));
    if (o->origin)
        snprintf(c->origin, sizeof(c->origin), "%s", o->origin);
    else if (c->has_fe)
        snprintf(c->origin, sizeof(c->origin), "http://%.280s", c->fe_hp);
    else
        snprintf(c->origin, sizeof(c->origin), "%s", DEFAULT_ORIGIN);

    if (c->be.tls) {
        check_tls_url(c);
    } else {
        run_backend(c);
        if (!rep->id && c->has_fe)
            run_frontend(c);
        if (!rep->id)
            check_alive(c);
        if (!rep->id)
            decide(c);
    }
    for (int i = 0; i < N_PATHS; i++)
        wh_ws_free(c->live[i]);
    free(c);
    return 0;
}

/* ---- output --------------------------------------------------------------------------------- */

static const char *verdict_name(enum wh_doctor_verdict v)
{
    switch (v) {
    case WH_DOC_OK:
        return "ok";
    case WH_DOC_FAIL:
        return "FAIL";
    case WH_DOC_INFO:
        return "info";
    }
    return "?";
}

void wh_doctor_line(const struct wh_doctor_report *rep, char *buf, size_t len)
{
    snprintf(buf, len, "diagnosis (%s): %s. Fix: %s", rep->id ? rep->id : "none", rep->cause,
             rep->fix);
}

void wh_doctor_print_text(const struct wh_doctor_report *rep, const struct wh_doctor_opts *o,
                          FILE *f)
{
    fprintf(f, "wsharness doctor %s%s%s\n\n", o->url, o->frontend ? " --frontend " : "",
            o->frontend ? o->frontend : "");
    for (size_t i = 0; i < rep->n_steps; i++) {
        const struct wh_doctor_step *s = &rep->steps[i];
        char ms[24] = "";
        if (s->ms >= 0)
            snprintf(ms, sizeof(ms), "%.1f ms", s->ms);
        /* The result is cut to keep one step on one line; --json has it whole. */
        fprintf(f, "  %-4s  %-8s  %-7s  %-28s  %9s  %.100s%s\n", verdict_name(s->verdict), s->where,
                s->check, s->target, ms, s->result, strlen(s->result) > 100 ? "..." : "");
    }
    char line[1400];
    wh_doctor_line(rep, line, sizeof(line));
    fprintf(f, "\n%s\n", line);
}

void wh_doctor_print_json(const struct wh_doctor_report *rep, const struct wh_doctor_opts *o,
                          FILE *f)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "backend", o->url);
    if (o->frontend)
        cJSON_AddStringToObject(root, "frontend", o->frontend);
    else
        cJSON_AddNullToObject(root, "frontend");
    cJSON *steps = cJSON_AddArrayToObject(root, "steps");
    for (size_t i = 0; i < rep->n_steps; i++) {
        const struct wh_doctor_step *s = &rep->steps[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "where", s->where);
        cJSON_AddStringToObject(j, "check", s->check);
        cJSON_AddStringToObject(j, "target", s->target);
        cJSON_AddStringToObject(j, "verdict", verdict_name(s->verdict));
        cJSON_AddStringToObject(j, "result", s->result);
        if (s->ms >= 0)
            cJSON_AddNumberToObject(j, "ms", (double)(long)(s->ms * 10 + 0.5) / 10);
        else
            cJSON_AddNullToObject(j, "ms");
        cJSON_AddItemToArray(steps, j);
    }
    cJSON *d = cJSON_AddObjectToObject(root, "diagnosis");
    cJSON_AddStringToObject(d, "id", rep->id ? rep->id : "none");
    cJSON_AddStringToObject(d, "cause", rep->cause);
    cJSON_AddStringToObject(d, "fix", rep->fix);
    char line[1400];
    wh_doctor_line(rep, line, sizeof(line));
    cJSON_AddStringToObject(d, "line", line);
    cJSON_AddNumberToObject(root, "exit", rep->exit_code);
    char *text = cJSON_Print(root);
    if (text)
        fprintf(f, "%s\n", text);
    free(text);
    cJSON_Delete(root);
}

/* ---- the command ---------------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: wsharness doctor URL [--frontend URL] [--origin ORIGIN] [--timeout-ms N] "
            "[--json]\n\n"
            "Checks a backend step by step: TCP, GET /health, /ws/stats, /api/v1/ws/stats,\n"
            "/openapi.json, an upgrade on /ws/coordinator, /ws/workflow/doctor, /ws/agent/doctor\n"
            "and /api/v1/ws/connect, the welcome, ping/pong, the same upgrades with an Origin\n"
            "header, and (with --frontend) HTTP and the upgrades through the frontend's proxy;\n"
            "the connections are held open for up to 1 s and pinged again. Prints each step\n"
            "with its result and time, then one line naming the cause and the fix.\n\n"
            "  URL               the backend, http://HOST:PORT (ws://, https://, wss:// too;\n"
            "                    the path is ignored)\n"
            "  --frontend URL    the frontend's dev server or proxy in front of the backend\n"
            "  --origin ORIGIN   Origin of the with-Origin checks (default: the frontend's\n"
            "                    origin, else " DEFAULT_ORIGIN ")\n"
            "  --timeout-ms N    deadline of each step (default %d; the hold is min(N, %d))\n"
            "  --json            print the steps and the diagnosis as JSON\n"
            "  --help            this text\n\n"
            "Exit status: 0 healthy, 1 a problem found, 2 usage.\n",
            DEFAULT_TIMEOUT_MS, DEFAULT_HOLD_MS);
}

int wh_doctor_main(int argc, char **argv)
{
    struct wh_doctor_opts o = {0};
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--frontend") && i + 1 < argc) {
            o.frontend = argv[++i];
        } else if (!strcmp(a, "--origin") && i + 1 < argc) {
            o.origin = argv[++i];
        } else if (!strcmp(a, "--timeout-ms") && i + 1 < argc) {
            char *end;
            o.timeout_ms = strtol(argv[++i], &end, 10);
            if (*end || o.timeout_ms < 1 || o.timeout_ms > 600000) {
                fprintf(stderr, "wsharness doctor: --timeout-ms wants 1..600000 ms, not '%s'\n\n",
                        argv[i]);
                usage(stderr);
                return 2;
            }
        } else if (a[0] == '-' || o.url) {
            fprintf(stderr, "wsharness doctor: unexpected argument '%s'\n\n", a);
            usage(stderr);
            return 2;
        } else {
            o.url = a;
        }
    }
    if (!o.url) {
        fprintf(stderr, "wsharness doctor: the backend URL is missing\n\n");
        usage(stderr);
        return 2;
    }
    struct wh_doctor_report *rep = malloc(sizeof(*rep));
    char err[512];
    if (!rep) {
        fprintf(stderr, "wsharness doctor: out of memory\n");
        return 1;
    }
    if (wh_doctor_run(&o, rep, err, sizeof(err))) {
        fprintf(stderr, "wsharness doctor: %s\n\n", err);
        usage(stderr);
        free(rep);
        return 2;
    }
    if (json)
        wh_doctor_print_json(rep, &o, stdout);
    else
        wh_doctor_print_text(rep, &o, stdout);
    fflush(stdout);
    int rc = rep->exit_code;
    free(rep);
    return rc;
}
