/* ms_http -- the backend's HTTP endpoints (PROTOCOL.md 1.2) and the response writer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "ms_pyjson.h"
#include "ms_server.h"
#include "ms_template.h"
#include "ms_time.h"

#define BODY_MAX (16u * 1024 * 1024) /* request bodies: the control API takes scenarios */
#define CHUNK 16384
#define ARG_MAX_LEN 8192 /* more than lws keeps of a request head (4096) */

static int method_of(struct lws *wsi)
{
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI))
        return MS_HTTP_GET;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI))
        return MS_HTTP_POST;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI))
        return MS_HTTP_HEAD;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI))
        return MS_HTTP_DELETE;
    return MS_HTTP_OTHER;
}

static const char *method_name(int m)
{
    switch (m) {
    case MS_HTTP_GET:
        return "GET";
    case MS_HTTP_POST:
        return "POST";
    case MS_HTTP_HEAD:
        return "HEAD";
    case MS_HTTP_DELETE:
        return "DELETE";
    }
    return "OTHER";
}

static int is_control_path(const char *p)
{
    return !strncmp(p, "/__mock/", 8) || !strcmp(p, "/__mock");
}

/* The request's Content-Length: 0 and *out (0 when there is none), or -1 when it is not a plain
 * decimal number (negative, signed, too big for 64 bits, not a number). */
static int content_length(struct lws *wsi, unsigned long long *out)
{
    char cl[32];
    *out = 0;
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
    if (n <= 0)
        return 0;
    if (n >= (int)sizeof(cl) ||
        lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH) < 0)
        return -1;
    if (cl[0] < '0' || cl[0] > '9')
        return -1;
    errno = 0;
    char *end;
    *out = strtoull(cl, &end, 10);
    return errno || *end ? -1 : 0;
}

int ms_http_begin(struct ms_conn *c, struct lws *wsi, const char *path)
{
    ms_http_release(c);
    /* HTTP state exists only on connections that make requests: WebSocket sessions (the same
     * per-session block) never carry it */
    if (!c->http && !(c->http = malloc(sizeof(*c->http))))
        return -1;
    memset(c->http, 0, sizeof(*c->http));
    c->http->conn = c;
    c->wsi = wsi;
    c->srv = lws_context_user(lws_get_context(wsi));
    c->http->method = method_of(wsi);
    snprintf(c->http->path, sizeof(c->http->path), "%s", path);
    if (c->http->method == MS_HTTP_POST) {
        unsigned long long cl;
        if (content_length(wsi, &cl)) {
            /* lws would wait for a body it cannot size; answer now and end the connection, as
             * uvicorn (h11) does for an invalid Content-Length */
            /* lws may still read a body by its own reading of the header: it changes nothing */
            c->http->close_after = c->http->handled = c->http->discard_body = 1;
            int rc = is_control_path(path) && c->srv->opt.control
                         ? ms_http_respond_error(c, 400, "invalid Content-Length header")
                         : ms_http_respond(c, 400, "text/plain; charset=utf-8",
                                           "Invalid HTTP request received.", 30);
            return rc < 0 ? -1 : 0;
        }
        if (cl > 0) {
            /* a control request that will be refused (404, 403, 401) keeps none of its body */
            if (is_control_path(path))
                c->http->discard_body = !c->srv->opt.control || !ms_control_admits(c);
            return 0; /* the body follows: LWS_CALLBACK_HTTP_BODY, then BODY_COMPLETION */
        }
    }
    return ms_http_handle(c);
}

int ms_http_body(struct ms_conn *c, const void *in, size_t len)
{
    if (c->http->discard_body || !len) /* lws reports Content-Length: 0 as (NULL, 0) */
        return 0;
    if (c->http->body_too_big || c->http->body_len + len > BODY_MAX) {
        c->http->body_too_big = 1;
        return 0;
    }
    if (c->http->body_len + len + 1 > c->http->body_cap) {
        /* grow geometrically: a realloc per 4 KiB chunk copies a 16 MiB body thousands of times
         * with allocators that cannot grow in place (ASan's) */
        size_t cap = c->http->body_cap ? c->http->body_cap : 4096;
        while (cap < c->http->body_len + len + 1)
            cap *= 2;
        char *n = realloc(c->http->body, cap);
        if (!n)
            return -1;
        c->http->body = n;
        c->http->body_cap = cap;
    }
    memcpy(c->http->body + c->http->body_len, in, len);
    c->http->body_len += len;
    c->http->body[c->http->body_len] = '\0';
    return 0;
}

void ms_http_release(struct ms_conn *c)
{
    if (!c->http)
        return;
    if (c->http->waiting)
        ms_control_cancel_wait(c);
    free(c->http->body);
    free(c->http->resp);
    c->http->body = c->http->resp = NULL;
    c->http->body_len = c->http->body_cap = c->http->resp_len = c->http->resp_off = 0;
    c->http->responding = 0;
}

void ms_http_free(struct ms_conn *c)
{
    ms_http_release(c);
    free(c->http);
    c->http = NULL;
}

int ms_http_respond_owned(struct ms_conn *c, int status, const char *content_type, char *body,
                          size_t len)
{
    if (!body)
        return -1;
    free(c->http->resp);
    c->http->status = status;
    c->http->content_type = content_type;
    c->http->resp = body;
    c->http->resp_len = len;
    c->http->resp_off = 0;
    c->http->headers_sent = 0;
    c->http->responding = 1;
    if (strncmp(c->http->path, "/__mock/", 8)) {
        cJSON *ev = ms_server_event("http");
        if (ev) {
            cJSON_AddStringToObject(ev, "method", method_name(c->http->method));
            cJSON_AddStringToObject(ev, "path", c->http->path);
            cJSON_AddNumberToObject(ev, "status", status);
            ms_server_journal(c->srv, ev);
        }
    }
    lws_callback_on_writable(c->wsi);
    return 0;
}

int ms_http_respond(struct ms_conn *c, int status, const char *content_type, const char *body,
                    size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, body, len);
    copy[len] = '\0';
    return ms_http_respond_owned(c, status, content_type, copy, len);
}

/* Responds with a JSON tree (consumed). */
static int respond_json(struct ms_conn *c, int status, cJSON *obj)
{
    char *s = obj ? ms_pyjson_print(obj) : NULL;
    cJSON_Delete(obj);
    if (!s)
        return -1;
    return ms_http_respond_owned(c, status, "application/json", s, strlen(s));
}

int ms_http_respond_error(struct ms_conn *c, int status, const char *error)
{
    cJSON *o = cJSON_CreateObject();
    if (o && !cJSON_AddStringToObject(o, "error", error)) {
        cJSON_Delete(o);
        o = NULL;
    }
    return respond_json(c, status, o);
}

int ms_http_respond_detail(struct ms_conn *c, int status, const char *detail)
{
    cJSON *o = cJSON_CreateObject();
    if (o && !cJSON_AddStringToObject(o, "detail", detail)) {
        cJSON_Delete(o);
        o = NULL;
    }
    return respond_json(c, status, o);
}

int ms_http_writeable(struct ms_conn *c)
{
    if (!c->http->responding)
        return 0;
    struct lws *wsi = c->wsi;
    if (!c->http->headers_sent) {
        unsigned char buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start,
                                           *end = buf + sizeof(buf) - 1;
        char date[64];
        ms_time_http_date(ms_time_now_us() - 0, date, sizeof(date));
        if (lws_add_http_common_headers(wsi, (unsigned)c->http->status, c->http->content_type,
                                        c->http->resp_len, &p, end) ||
            lws_add_http_header_by_name(wsi, (const unsigned char *)"date:",
                                        (const unsigned char *)date, (int)strlen(date), &p, end) ||
            lws_add_http_header_by_name(wsi, (const unsigned char *)"server:",
                                        (const unsigned char *)"uvicorn", 7, &p, end))
            return -1;
        const char *auth = c->http->www_authenticate;
        if (auth &&
            lws_add_http_header_by_name(wsi, (const unsigned char *)"www-authenticate:",
                                        (const unsigned char *)auth, (int)strlen(auth), &p, end))
            return -1;
        if (c->http->close_after &&
            lws_add_http_header_by_name(wsi, (const unsigned char *)"connection:",
                                        (const unsigned char *)"close", 5, &p, end))
            return -1;
        if (lws_finalize_write_http_header(wsi, start, &p, end))
            return -1;
        c->http->headers_sent = 1;
        if (c->http->resp_len) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    } else {
        unsigned char buf[LWS_PRE + CHUNK];
        size_t left = c->http->resp_len - c->http->resp_off, n = left < CHUNK ? left : CHUNK;
        memcpy(buf + LWS_PRE, c->http->resp + c->http->resp_off, n);
        int final = n == left;
        if (lws_write(wsi, buf + LWS_PRE, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) !=
            (int)n)
            return -1;
        c->http->resp_off += n;
        if (!final) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    }
    c->http->responding = 0;
    if (c->http->close_after || lws_http_transaction_completed(wsi))
        return -1;
    return 0;
}

/* Finds query argument name; copies its "name=value" fragment into frag and returns the value's
 * length, or -1 if absent. Unlike lws_get_urlarg_by_name(), which stops at the first argument
 * longer than its buffer, a long argument before it does not hide it. */
static int find_arg(struct lws *wsi, const char *name, char *frag, int fraglen)
{
    size_t nl = strlen(name);
    for (int i = 0;; i++) {
        if (lws_hdr_copy_fragment(wsi, frag, fraglen, WSI_TOKEN_HTTP_URI_ARGS, i) < 0) {
            if (lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i) > 0)
                continue; /* longer than frag: not one we can use */
            return -1;
        }
        if (!strncmp(frag, name, nl) && frag[nl] == '=')
            return (int)strlen(frag + nl + 1);
    }
}

const char *ms_http_arg(struct lws *wsi, const char *name, char *buf, int len)
{
    char frag[ARG_MAX_LEN];
    int n = find_arg(wsi, name, frag, sizeof(frag));
    if (n < 0 || n >= len)
        return NULL;
    memcpy(buf, frag + strlen(name) + 1, (size_t)n + 1);
    return buf;
}

int ms_http_arg_len(struct lws *wsi, const char *name)
{
    char frag[ARG_MAX_LEN];
    return find_arg(wsi, name, frag, sizeof(frag));
}

int ms_http_refuse_upgrade(struct lws *wsi, int status)
{
    /* uvicorn's reply to a close-before-accept, byte for byte (PROTOCOL.md 7); lws's own
     * lws_return_http_status() would answer HTTP/1.0, which python websockets rejects. */
    char date[64];
    unsigned char buf[LWS_PRE + 512];
    ms_time_http_date(ms_time_now_us(), date, sizeof(date));
    int n =
        snprintf((char *)buf + LWS_PRE, sizeof(buf) - LWS_PRE,
                 "HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Length: 0\r\nContent-Type: text/plain\r\n"
                 "Connection: close\r\n\r\n",
                 status, status == 403 ? "Forbidden" : "Error", date);
    if (lws_write(wsi, buf + LWS_PRE, (size_t)n, LWS_WRITE_HTTP_HEADERS) != n)
        return -1;
    return 1;
}

static const char *reason_phrase(int status)
{
    static const struct {
        int status;
        const char *text;
    } t[] = {{400, "Bad Request"},
             {401, "Unauthorized"},
             {403, "Forbidden"},
             {404, "Not Found"},
             {405, "Method Not Allowed"},
             {408, "Request Timeout"},
             {409, "Conflict"},
             {410, "Gone"},
             {426, "Upgrade Required"},
             {429, "Too Many Requests"},
             {500, "Internal Server Error"},
             {501, "Not Implemented"},
             {502, "Bad Gateway"},
             {503, "Service Unavailable"},
             {504, "Gateway Timeout"},
             {200, "OK"},
             {301, "Moved Permanently"},
             {302, "Found"},
             {307, "Temporary Redirect"},
             {308, "Permanent Redirect"}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (t[i].status == status)
            return t[i].text;
    return "Error";
}

int ms_http_refuse_custom(struct lws *wsi, const struct ms_rule *r, const char *path,
                          unsigned long attempt)
{
    char date[64], now[32];
    ms_time_http_date(ms_time_now_us(), date, sizeof(date));
    ms_time_iso(ms_time_now_us(), 1, now, sizeof(now));
    struct ms_tmpl_ctx t = {.now = now, .path = path, .attempt = attempt};
    char *body = ms_template_string(r->body ? r->body : "", &t);
    if (!body)
        return -1;
    size_t blen = strlen(body), cap = LWS_PRE + 1024 + blen, len = 0;
    for (const cJSON *h = r->headers ? r->headers->child : NULL; h; h = h->next)
        cap += strlen(h->string) + strlen(h->valuestring) * 2 + 64;
    unsigned char *buf = malloc(cap);
    if (!buf) {
        free(body);
        return -1;
    }
    char *p = (char *)buf + LWS_PRE;
    size_t room = cap - LWS_PRE;
    len += (size_t)snprintf(p + len, room - len, "HTTP/1.1 %d %s\r\nDate: %s\r\n", r->status,
                            reason_phrase(r->status), date);
    int have_type = 0;
    for (const cJSON *h = r->headers ? r->headers->child : NULL; h; h = h->next) {
        char *v = ms_template_string(h->valuestring, &t);
        if (!strcasecmp(h->string, "content-type"))
            have_type = 1;
        len += (size_t)snprintf(p + len, room - len, "%s: %s\r\n", h->string, v ? v : "");
        free(v);
    }
    len +=
        (size_t)snprintf(p + len, room - len, "Content-Length: %zu\r\n%sConnection: close\r\n\r\n",
                         blen, have_type ? "" : "Content-Type: text/plain\r\n");
    if (len + blen <= room) {
        memcpy(p + len, body, blen);
        len += blen;
    }
    int n = lws_write(wsi, (unsigned char *)p, len, LWS_WRITE_HTTP_HEADERS);
    free(buf);
    free(body);
    return n == (int)len ? 1 : -1;
}

/* ---- the endpoints ---- */

static int health(struct ms_conn *c)
{
    char ts[32];
    ms_time_iso(ms_time_now_us(), 0, ts, sizeof(ts)); /* datetime.now(): local time */
    cJSON *o = cJSON_CreateObject();
    if (o && !(cJSON_AddStringToObject(o, "status", "healthy") &&
               cJSON_AddStringToObject(o, "version", "3.0.0") &&
               cJSON_AddStringToObject(o, "timestamp", ts) &&
               cJSON_AddStringToObject(o, "database", "connected"))) {
        cJSON_Delete(o);
        o = NULL;
    }
    return respond_json(c, 200, o);
}

static int root(struct ms_conn *c)
{
    cJSON *o = cJSON_CreateObject();
    if (o && !(cJSON_AddStringToObject(o, "message", "ViMax Video Generation API") &&
               cJSON_AddStringToObject(o, "version", "3.0.0") &&
               cJSON_AddStringToObject(o, "docs", "/docs") &&
               cJSON_AddStringToObject(o, "health", "/health") &&
               cJSON_AddStringToObject(o, "websocket", "ws://localhost:3001/api/v1/ws/connect") &&
               cJSON_AddStringToObject(o, "websocket_stats", "/api/v1/ws/stats") &&
               cJSON_AddStringToObject(o, "chat_websocket",
                                       "ws://localhost:3001/api/v1/chat/ws/{thread_id}"))) {
        cJSON_Delete(o);
        o = NULL;
    }
    return respond_json(c, 200, o);
}

static int ws_stats(struct ms_conn *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *w = ms_state_websocket_stats(c->srv->state);
    cJSON *b = ms_state_broadcaster_stats(c->srv->state);
    if (!o || !w || !b) {
        cJSON_Delete(o);
        cJSON_Delete(w);
        cJSON_Delete(b);
        return -1;
    }
    cJSON_AddItemToObject(o, "websocket", w);
    cJSON_AddItemToObject(o, "broadcaster", b);
    return respond_json(c, 200, o);
}

static int client_info(struct ms_conn *c, const char *id)
{
    cJSON *o = ms_state_client_info(c->srv->state, id);
    if (!o)
        return ms_http_respond_detail(c, 404, "Client not found");
    return respond_json(c, 200, o);
}

/* An operation object of the OpenAPI document. */
static cJSON *operation(const char *tag, const char *summary, const char *op_id, const char *param)
{
    cJSON *op = cJSON_CreateObject();
    if (!op)
        return NULL;
    if (tag) {
        cJSON *tags = cJSON_AddArrayToObject(op, "tags");
        cJSON_AddItemToArray(tags, cJSON_CreateString(tag));
    }
    cJSON_AddStringToObject(op, "summary", summary);
    cJSON_AddStringToObject(op, "operationId", op_id);
    if (param) {
        cJSON *ps = cJSON_AddArrayToObject(op, "parameters");
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "name", param);
        cJSON_AddStringToObject(p, "in", "path");
        cJSON_AddTrueToObject(p, "required");
        cJSON *schema = cJSON_AddObjectToObject(p, "schema");
        cJSON_AddStringToObject(schema, "type", "string");
        char title[64];
        snprintf(title, sizeof(title), "%s", param);
        title[0] = (char)(title[0] >= 'a' && title[0] <= 'z' ? title[0] - 32 : title[0]);
        for (char *u = title; *u; u++)
            if (*u == '_') {
                *u = ' ';
                if (u[1] >= 'a' && u[1] <= 'z')
                    u[1] = (char)(u[1] - 32);
            }
        cJSON_AddStringToObject(schema, "title", title);
        cJSON_AddItemToArray(ps, p);
    }
    cJSON *resp = cJSON_AddObjectToObject(op, "responses");
    cJSON *ok = cJSON_AddObjectToObject(resp, "200");
    cJSON_AddStringToObject(ok, "description", "Successful Response");
    cJSON *content = cJSON_AddObjectToObject(ok, "content");
    cJSON *json = cJSON_AddObjectToObject(content, "application/json");
    cJSON_AddObjectToObject(json, "schema");
    if (param) {
        cJSON *bad = cJSON_AddObjectToObject(resp, "422");
        cJSON_AddStringToObject(bad, "description", "Validation Error");
        cJSON *bc =
            cJSON_AddObjectToObject(cJSON_AddObjectToObject(bad, "content"), "application/json");
        cJSON_AddStringToObject(cJSON_AddObjectToObject(bc, "schema"), "$ref",
                                "#/components/schemas/HTTPValidationError");
    }
    return op;
}

static void add_path(cJSON *paths, const char *path, const char *method, cJSON *op)
{
    cJSON *item = cJSON_AddObjectToObject(paths, path);
    if (item && op)
        cJSON_AddItemToObject(item, method, op);
    else
        cJSON_Delete(op);
}

/* The WebSocket-related part of the backend's OpenAPI document (WebSocket routes never appear). */
static int openapi(struct ms_conn *c)
{
    int enhanced = c->srv->profile != MS_PROFILE_PREFIX;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return -1;
    cJSON_AddStringToObject(o, "openapi", "3.1.0");
    cJSON *info = cJSON_AddObjectToObject(o, "info");
    cJSON_AddStringToObject(info, "title", "ViMax Video Generation API");
    cJSON_AddStringToObject(info, "version", "3.0.0");
    cJSON *paths = cJSON_AddObjectToObject(o, "paths");
    add_path(paths, "/", "get", operation(NULL, "Root", "root__get", NULL));
    add_path(paths, "/health", "get",
             operation(NULL, "Health Check", "health_check_health_get", NULL));
    add_path(paths, "/api/v1/ws/stats", "get",
             operation("websocket", "Get Websocket Stats",
                       "get_websocket_stats_api_v1_ws_stats_get", NULL));
    add_path(paths, "/api/v1/ws/broadcast", "post",
             operation("websocket", "Broadcast Message",
                       "broadcast_message_api_v1_ws_broadcast_post", NULL));
    add_path(paths, "/api/v1/ws/publish/{topic}", "post",
             operation("websocket", "Publish To Topic",
                       "publish_to_topic_api_v1_ws_publish__topic__post", "topic"));
    if (enhanced) {
        add_path(paths, "/ws/stats", "get",
                 operation("websocket", "Get Websocket Stats", "get_websocket_stats_ws_stats_get",
                           NULL));
        add_path(paths, "/ws/client/{client_id}", "get",
                 operation("websocket", "Get Client Info",
                           "get_client_info_ws_client__client_id__get", "client_id"));
    }
    cJSON *schemas = cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "components"), "schemas");
    cJSON *hve = cJSON_AddObjectToObject(schemas, "HTTPValidationError");
    cJSON_AddStringToObject(hve, "title", "HTTPValidationError");
    cJSON_AddStringToObject(hve, "type", "object");
    return respond_json(c, 200, o);
}

/* Which methods a known path allows; NULL if the path is not a route (404). */
static const char *allowed_methods(struct ms_server *srv, const char *p)
{
    int enhanced = srv->profile != MS_PROFILE_PREFIX;
    if (!strcmp(p, "/") || !strcmp(p, "/health") || !strcmp(p, "/openapi.json") ||
        !strcmp(p, "/api/v1/ws/stats"))
        return "GET";
    if (enhanced && (!strcmp(p, "/ws/stats") ||
                     (!strncmp(p, "/ws/client/", 11) && p[11] && !strchr(p + 11, '/'))))
        return "GET";
    if (!strcmp(p, "/api/v1/ws/broadcast"))
        return "POST";
    if (!strncmp(p, "/api/v1/ws/publish/", 19) && p[19] && !strchr(p + 19, '/'))
        return "POST";
    return NULL;
}

int ms_http_handle(struct ms_conn *c)
{
    /* Once per request: lws also reports a body (empty: Content-Length 0, or one it reads after a
     * malformed request we answered at once) for a request that was handled already. */
    if (c->http->handled)
        return 0;
    c->http->handled = 1;
    struct ms_server *srv = c->srv;
    const char *p = c->http->path;
    int m = c->http->method;
    if (!strncmp(p, "/__mock/", 8) || !strcmp(p, "/__mock")) {
        if (srv->opt.control)
            return ms_control_handle(c) < 0 ? -1 : 0;
        return ms_http_respond_detail(c, 404, "Not Found") < 0 ? -1 : 0;
    }
    const char *allowed = allowed_methods(srv, p);
    int rc;
    if (!allowed) {
        if (srv->opt.static_dir && m == MS_HTTP_GET && !ms_route_is_enhanced_path(p) &&
            strncmp(p, "/api/", 5)) {
            rc = ms_static_serve(c, p);
            if (rc != 1)
                return rc;
        }
        rc = ms_http_respond_detail(c, 404, "Not Found");
    } else if (strcmp(allowed, method_name(m))) {
        rc = ms_http_respond_detail(c, 405, "Method Not Allowed");
    } else if (!strcmp(p, "/") && srv->opt.static_dir) {
        rc = ms_static_serve(c, p);
        if (rc == 1)
            rc = root(c);
        else
            return rc;
    } else if (!strcmp(p, "/")) {
        rc = root(c);
    } else if (!strcmp(p, "/health")) {
        rc = health(c);
    } else if (!strcmp(p, "/openapi.json")) {
        rc = openapi(c);
    } else if (!strcmp(p, "/api/v1/ws/stats")) {
        cJSON *w = ms_state_websocket_stats(srv->state);
        rc = w ? respond_json(c, 200, w) : -1;
    } else if (!strcmp(p, "/ws/stats")) {
        rc = ws_stats(c);
    } else if (!strncmp(p, "/ws/client/", 11)) {
        rc = client_info(c, p + 11);
    } else if (!strcmp(p, "/api/v1/ws/broadcast")) {
        rc = ms_legacy_http_broadcast(c);
    } else {
        rc = ms_legacy_http_publish(c, p + 19);
    }
    return rc < 0 ? -1 : 0;
}
