/* ms_ws -- the lws protocol callback: upgrade decisions, session life cycle, HTTP dispatch. */
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>
#include "ms_err.h"
#include "ms_ids.h"
#include "ms_map.h"
#include "ms_server.h"
#include "ms_time.h"
#include "ms_utf8.h"

static struct ms_server *server_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

/* Copies a header token into buf ("" if absent). */
static void header(struct lws *wsi, enum lws_token_indexes t, char *buf, int len)
{
    buf[0] = '\0';
    if (lws_hdr_total_length(wsi, t) > 0 && lws_hdr_copy(wsi, buf, len, t) < 0)
        buf[0] = '\0';
}

/* LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: accept (0) or refuse (the response is written here). An
 * upgrade that passed the handshake gate (ms_listen.c) arrives already decided and journaled. */
static int confirm_upgrade(struct lws *wsi, const char *what)
{
    struct ms_server *srv = server_of(wsi);
    struct ms_upgrade_note *note = lws_get_opaque_user_data(wsi);
    lws_set_opaque_user_data(wsi, NULL);
    char path[1024], query[1024], origin[512], remote[64];
    header(wsi, WSI_TOKEN_GET_URI, path, sizeof(path));
    struct ms_decision d;
    unsigned long attempt;
    uint64_t id;
    if (note && note->predecided) {
        d = note->d;
        attempt = note->attempt;
        id = note->id;
    } else {
        header(wsi, WSI_TOKEN_HTTP_URI_ARGS, query, sizeof(query));
        header(wsi, WSI_TOKEN_ORIGIN, origin, sizeof(origin));
        lws_get_peer_simple(wsi, remote, sizeof(remote));
        id = ++srv->next_conn_id;
        d = ms_upgrade_decide(srv, id, path, query, origin, remote,
                              !strcmp(what, "websocket") && path[0], &attempt);
    }
    free(note); /* also a previous upgrade's note on this keep-alive connection */
    switch (d.action) {
    case MS_ACT_REFUSE:
        if (d.shutdown)
            return -1;
        if (d.rule && !d.rule->preset_uvicorn)
            return ms_http_refuse_custom(wsi, d.rule, path, attempt);
        return ms_http_refuse_upgrade(wsi, d.status);
    case MS_ACT_RESET:
        return ms_upgrade_reset_fd(lws_get_socket_fd(wsi));
    case MS_ACT_HANG: /* only through the gate; a scenario swapped meanwhile: end it */
        return -1;
    case MS_ACT_ACCEPT:
        break;
    }
    note = malloc(sizeof(*note));
    if (!note)
        return -1;
    *note = (struct ms_upgrade_note){
        .id = id, .gen = srv->scn_gen, .rule = d.rule_index, .attempt = attempt};
    lws_set_opaque_user_data(wsi, note);
    return 0;
}

/* The client_id a session registers: the query's client_id, or one generated as PROTOCOL.md 3.1
 * says. */
static char *client_id_for(struct ms_conn *c)
{
    char q[512];
    const char *v = ms_http_arg(c->wsi, "client_id", q, sizeof(q));
    if (v && *v)
        return strdup(v);
    char hex[9], uuid[37];
    char *id = NULL;
    switch (c->route.ep) {
    case MS_EP_WORKFLOW:
        ms_ids_hex8(&c->srv->rng, hex);
        if (asprintf(&id, "workflow_%s_%s", c->route.param, hex) < 0)
            id = NULL;
        break;
    case MS_EP_AGENT:
        ms_ids_hex8(&c->srv->rng, hex);
        if (asprintf(&id, "agent_%s_%s", c->route.param, hex) < 0)
            id = NULL;
        break;
    case MS_EP_COORDINATOR:
        ms_ids_hex8(&c->srv->rng, hex);
        if (asprintf(&id, "coordinator_%s", hex) < 0)
            id = NULL;
        break;
    default:
        ms_ids_uuid4(&c->srv->rng, uuid);
        id = strdup(uuid);
        break;
    }
    return id;
}

/* LWS_CALLBACK_ESTABLISHED: register the client (ws_manager.connect), journal, then the endpoint.
 */
static int established(struct ms_conn *c, struct lws *wsi)
{
    struct ms_server *srv = server_of(wsi);
    c->srv = srv;
    c->wsi = wsi;
    struct ms_upgrade_note *note = lws_get_opaque_user_data(wsi);
    lws_set_opaque_user_data(wsi, NULL);
    c->id = note ? note->id : ++srv->next_conn_id;
    c->scn_gen = note ? note->gen : 0;
    c->rule = note && note->gen == srv->scn_gen ? note->rule : -1;
    c->attempt = note ? note->attempt : 0;
    free(note);
    char path[1024];
    header(wsi, WSI_TOKEN_GET_URI, path, sizeof(path));
    if (!(c->path = strdup(path)))
        return -1;
    ms_route_match(c->path, &c->route);
    c->ws = 1;
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->conn_count++;
    c->client_id = client_id_for(c);
    char room[MS_ROUTE_PARAM_MAX + 32], now[32];
    int has_room = ms_route_room(&c->route, room, sizeof(room)) == 1;
    ms_server_now_iso(now, sizeof(now));
    void *displaced = NULL;
    struct ms_client *cl = c->client_id
                               ? ms_state_connect(srv->state, c->client_id, c, c->route.ep,
                                                  c->route.param[0] ? c->route.param : NULL,
                                                  has_room ? room : NULL, now, &displaced)
                               : NULL;
    cJSON *ev = ms_server_event("open");
    if (ev) {
        cJSON_AddNumberToObject(ev, "conn", (double)c->id);
        cJSON_AddStringToObject(ev, "path", c->path);
        cJSON_AddStringToObject(ev, "client_id", c->client_id ? c->client_id : "");
        if (has_room)
            cJSON_AddStringToObject(ev, "room", room);
        else
            cJSON_AddNullToObject(ev, "room");
        if (displaced)
            cJSON_AddNumberToObject(ev, "displaced", (double)((struct ms_conn *)displaced)->id);
        else
            cJSON_AddNullToObject(ev, "displaced");
        ms_server_journal(srv, ev);
    }
    if (!cl) {
        lwsl_err("wsmock: out of memory registering a client\n");
        return -1;
    }
    ms_conn_start_heartbeat(c);
    ms_scenario_on_open(c);
    return 0;
}

static void journal_frame_in(struct ms_conn *c, const unsigned char *data, size_t len, int binary)
{
    cJSON *ev = ms_server_event("frame_in");
    if (!ev)
        return;
    cJSON_AddNumberToObject(ev, "conn", (double)c->id);
    cJSON_AddStringToObject(ev, "path", c->path);
    cJSON_AddStringToObject(ev, "opcode", binary ? "binary" : "text");
    cJSON_AddNumberToObject(ev, "size", (double)len);
    if (binary || !ms_utf8_valid(data, len) || memchr(data, 0, len)) {
        cJSON_AddNullToObject(ev, "data");
    } else {
        size_t n = len < 65536 ? len : 65536;
        char *s = malloc(n + 1);
        if (s) {
            memcpy(s, data, n);
            s[n] = '\0';
            cJSON_AddStringToObject(ev, "data", s);
            free(s);
        }
        if (n < len)
            cJSON_AddTrueToObject(ev, "truncated");
    }
    ms_server_journal(c->srv, ev);
}

/* LWS_CALLBACK_RECEIVE: reassemble fragments, enforce --max-message and UTF-8, dispatch. */
static int receive(struct ms_conn *c, struct lws *wsi, const void *in, size_t len)
{
    if (c->close_code || c->drop)
        return 0; /* ending: ignore what the client still sends */
    if (lws_is_first_fragment(wsi)) {
        c->rx_len = 0;
        c->rx_binary = lws_frame_is_binary(wsi);
    }
    if (c->rx_len + len > c->srv->opt.max_message) {
        c->closed_by_server = 1;
        c->close_code = 1009;
        snprintf(c->close_reason, sizeof(c->close_reason), "message too big");
        lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                         (unsigned char *)"message too big", 15);
        return -1;
    }
    if (c->rx_len + len + 1 > c->rx_cap) {
        size_t cap = c->rx_cap ? c->rx_cap : 4096;
        while (cap < c->rx_len + len + 1)
            cap *= 2;
        unsigned char *n = realloc(c->rx, cap);
        if (!n)
            return -1;
        c->rx = n;
        c->rx_cap = cap;
    }
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
        return 0;
    c->rx[c->rx_len] = '\0';
    journal_frame_in(c, c->rx, c->rx_len, c->rx_binary);
    if (!c->rx_binary && !ms_utf8_valid(c->rx, c->rx_len)) {
        c->closed_by_server = 1;
        c->close_code = 1007;
        snprintf(c->close_reason, sizeof(c->close_reason), "invalid UTF-8");
        lws_close_reason(wsi, LWS_CLOSE_STATUS_INVALID_PAYLOAD, (unsigned char *)"invalid UTF-8",
                         13);
        return -1;
    }
    if (ms_scenario_on_message(c, (const char *)c->rx, c->rx_len, c->rx_binary))
        ; /* a scenario reply answered it */
    else if (c->route.ep == MS_EP_LEGACY)
        ms_legacy_on_message(c, (const char *)c->rx, c->rx_len, c->rx_binary);
    else
        ms_endpoint_on_message(c, (const char *)c->rx, c->rx_len, c->rx_binary);
    c->rx_len = 0;
    if (c->rx_cap > 65536) { /* do not keep a huge buffer for the rest of the session */
        free(c->rx);
        c->rx = NULL;
        c->rx_cap = 0;
    }
    return 0;
}

/* LWS_CALLBACK_CLOSED: journal how it ended, then the endpoint's cleanup (ws_manager.disconnect).
 */
static void closed(struct ms_conn *c)
{
    struct ms_server *srv = c->srv;
    int code, clean;
    const char *by, *reason = "";
    if (c->peer_closed) {
        code = c->peer_close_code ? c->peer_close_code : 1005;
        reason = c->peer_close_reason;
        by = "client", clean = 1;
    } else if (c->closed_by_server && c->close_code && c->close_sent) {
        code = c->close_code;
        reason = c->close_reason;
        by = "server", clean = 1;
    } else if (lws_get_close_length(c->wsi) >= 2) {
        /* libwebsockets failed the connection itself (1002 for a continuation without a start,
         * reserved bits, ...) and sent this close frame: ours, not a client's drop */
        const unsigned char *p = lws_get_close_payload(c->wsi);
        size_t rl = (size_t)lws_get_close_length(c->wsi) - 2;
        if (rl > sizeof(c->close_reason) - 1)
            rl = sizeof(c->close_reason) - 1;
        memcpy(c->close_reason, p + 2, rl);
        c->close_reason[rl] = '\0';
        code = p[0] << 8 | p[1];
        reason = c->close_reason;
        by = "server", clean = 1;
    } else {
        code = 1006;
        by = c->closed_by_server ? "server" : "client", clean = 0;
    }
    ms_scenario_on_close(c);
    cJSON *ev = ms_server_event("close");
    if (ev) {
        cJSON_AddNumberToObject(ev, "conn", (double)c->id);
        cJSON_AddStringToObject(ev, "path", c->path);
        cJSON_AddNumberToObject(ev, "code", code);
        cJSON_AddStringToObject(ev, "reason", reason);
        cJSON_AddStringToObject(ev, "by", by);
        cJSON_AddBoolToObject(ev, "clean", clean);
        ms_server_journal(srv, ev);
    }
    /* Faithful to the backend: cleanup unregisters the id even if a newer socket took it over. */
    if (c->client_id)
        ms_state_disconnect(srv->state, c->client_id);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->conn_count--;
    ms_conn_release(c);
    c->ws = 0;
}

/* LWS_CALLBACK_ADD_HEADERS (the 101 response): uvicorn's date and server headers. */
static int add_uvicorn_headers(struct lws *wsi, void *in)
{
    struct lws_process_html_args *args = in;
    char date[64];
    ms_time_http_date(ms_time_now_us(), date, sizeof(date));
    unsigned char **p = (unsigned char **)&args->p, *end = (unsigned char *)args->p + args->max_len;
    if (lws_add_http_header_by_name(wsi, (const unsigned char *)"date:",
                                    (const unsigned char *)date, (int)strlen(date), p, end) ||
        lws_add_http_header_by_name(
            wsi, (const unsigned char *)"server:", (const unsigned char *)"uvicorn", 7, p, end))
        return 1;
    return 0;
}

int ms_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                   size_t len)
{
    struct ms_conn *c = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return confirm_upgrade(wsi, in ? (const char *)in : "");
    case LWS_CALLBACK_ESTABLISHED:
        return established(c, wsi);
    case LWS_CALLBACK_RECEIVE:
        return receive(c, wsi, in, len);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        c->peer_closed = 1;
        if (len >= 2) {
            const unsigned char *p = in;
            c->peer_close_code = (p[0] << 8) | p[1];
            size_t rl = len - 2 < sizeof(c->peer_close_reason) - 1
                            ? len - 2
                            : sizeof(c->peer_close_reason) - 1;
            memcpy(c->peer_close_reason, p + 2, rl);
            c->peer_close_reason[rl] = '\0';
        }
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return c && c->ws ? ms_conn_writeable(c) : 0;
    case LWS_CALLBACK_CLOSED:
        if (c && c->ws) /* also called for refused upgrades, which never became sessions */
            closed(c);
        return 0;

    case LWS_CALLBACK_WSI_DESTROY:
        free(lws_get_opaque_user_data(wsi)); /* an accepted upgrade that never opened */
        lws_set_opaque_user_data(wsi, NULL);
        if (c)
            ms_http_free(c);
        return 0;
    case LWS_CALLBACK_ADD_HEADERS:
        return add_uvicorn_headers(wsi, in);
    case LWS_CALLBACK_HTTP:
        return ms_http_begin(c, wsi, in ? (const char *)in : "");
    case LWS_CALLBACK_HTTP_BODY:
        return ms_http_body(c, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return ms_http_handle(c);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return ms_http_writeable(c);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (c)
            ms_http_free(c);
        break;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}
