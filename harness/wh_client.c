/* wh_client -- a reconnecting lws WebSocket client driven by the reference policy, with an app
 * heartbeat that notices a half-open server; every step is an event with its time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <libwebsockets.h>
#include "ms_ids.h"
#include "ms_wsparse.h"
#include "ms_time.h"
#include "wh_client.h"
#include "wh_wsclient.h"

#define QUEUE_MAX 1024

struct wh_client {
    struct wh_client_opts o;
    char host[256], path[2048];
    int port;
    struct lws_context *ctx;
    struct lws *wsi;
    int open;
    int close_code; /* >0: close on purpose with this code at the next WRITEABLE */
    int stopped;    /* closed on purpose: no reconnect */
    int gave_up;
    long attempt, retries;
    int64_t t0_us, opened_us, last_rx_us;
    struct ms_rng rng;
    lws_sorted_usec_list_t sul_retry, sul_ping, sul_stale, sul_wake;
    struct wh_event *ev;
    size_t n_ev, cap_ev;
    size_t first_ev; /* events before this were evicted (max_events) */
    char **q;
    size_t qn;
    /* the connection: the handshake is ours (lws's client maps close codes 1012-1014 to 1002), so
     * lws carries raw bytes and ms_wsparse reads the frames */
    int phase; /* 0 idle, 1 sending the request, 2 reading the response head, 3 open */
    char key[32];
    char head[8192];
    size_t head_len;
    struct ms_wsparse *parser;
    unsigned char *out; /* encoded frames waiting for WRITEABLE */
    size_t out_len, out_cap;
    int close_sent, kill_after_write;
    int peer_code;
    char peer_reason[128];
    int stale;    /* the current connection is being dropped as half-open */
    int changed;  /* an event happened since the run loop last looked */
    int deadline; /* the run loop's deadline passed */
    int destroying;
    int close_when_open; /* input ended before the connection opened */
    char line[65536];    /* stdin: the line being read */
    size_t line_len;
};

const char *wh_event_name(enum wh_event_kind kind)
{
    static const char *const names[] = {"connecting", "open",  "message", "refused", "closed",
                                        "stale",      "retry", "gave_up", "stopped"};
    return kind <= WH_EV_STOPPED ? names[kind] : "?";
}

static double now_ms(const struct wh_client *c)
{
    return (double)(ms_time_mono_us() - c->t0_us) / 1000.0;
}

static lws_usec_t scaled_us(const struct wh_client *c, double ms)
{
    double v = ms * c->o.scale * 1000.0;
    return v <= 0 ? 0 : (lws_usec_t)v;
}

static void add_event(struct wh_client *c, enum wh_event_kind kind, int status, double delay,
                      const char *text, size_t text_len)
{
    long max = c->o.max_events > 0 ? c->o.max_events : 100000;
    if (c->n_ev == (size_t)max) { /* keep the newest: drop the oldest */
        free(c->ev[0].text);
        memmove(c->ev, c->ev + 1, (c->n_ev - 1) * sizeof(*c->ev));
        c->n_ev--;
        c->first_ev++;
    }
    if (c->n_ev == c->cap_ev) {
        size_t cap = c->cap_ev ? c->cap_ev * 2 : 64;
        struct wh_event *n = realloc(c->ev, cap * sizeof(*n));
        if (!n)
            return;
        c->ev = n;
        c->cap_ev = cap;
    }
    struct wh_event *e = &c->ev[c->n_ev++];
    *e = (struct wh_event){.kind = kind,
                           .t_ms = now_ms(c),
                           .attempt = c->attempt,
                           .retry = c->retries,
                           .status = status,
                           .delay_ms = delay};
    if (text) {
        e->text = malloc(text_len + 1);
        if (e->text) {
            memcpy(e->text, text, text_len);
            e->text[text_len] = '\0';
        }
    }
    c->changed = 1;
    if (c->o.on_event)
        c->o.on_event(c->o.user, e);
    /* An event from a timer runs inside lws_service() before its poll(): make that poll return,
     * so wh_client_run() looks at its condition now. */
    lws_cancel_service(c->ctx);
}

static void connect_now(struct wh_client *c);

static void retry_fire(lws_sorted_usec_list_t *sul)
{
    connect_now(lws_container_of(sul, struct wh_client, sul_retry));
}

/* After a failure or a drop: schedule the next attempt, or give up. */
static void schedule_retry(struct wh_client *c)
{
    if (c->stopped)
        return;
    if (!ms_policy_may_retry(&c->o.policy, c->retries)) {
        c->gave_up = 1;
        add_event(c, WH_EV_GAVE_UP, 0, 0, NULL, 0);
        return;
    }
    c->retries++;
    double d = ms_policy_next_delay(&c->o.policy, c->retries, &c->rng);
    c->attempt++;
    add_event(c, WH_EV_RETRY, 0, d * c->o.scale, NULL, 0);
    c->attempt--; /* the event names the coming attempt; connect_now counts it */
    lws_sul_schedule(c->ctx, 0, &c->sul_retry, retry_fire, scaled_us(c, d));
}

static void ping_fire(lws_sorted_usec_list_t *sul);

static void stale_fire(lws_sorted_usec_list_t *sul)
{
    struct wh_client *c = lws_container_of(sul, struct wh_client, sul_stale);
    if (!c->open || !c->wsi)
        return;
    c->stale = 1;
    add_event(c, WH_EV_STALE, 0, 0, NULL, 0);
    /* The server does not answer: drop the socket without a close handshake. */
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static void ping_fire(lws_sorted_usec_list_t *sul)
{
    struct wh_client *c = lws_container_of(sul, struct wh_client, sul_ping);
    if (!c->open)
        return;
    wh_client_send(c, "{\"type\":\"ping\"}");
    long stale = c->o.stale_ms > 0 ? c->o.stale_ms : 2 * c->o.heartbeat_ms;
    if (!lws_dll2_is_detached(&c->sul_stale.list))
        return; /* a ping is already waiting for its answer */
    lws_sul_schedule(c->ctx, 0, &c->sul_stale, stale_fire, scaled_us(c, (double)stale));
    lws_sul_schedule(c->ctx, 0, &c->sul_ping, ping_fire, scaled_us(c, (double)c->o.heartbeat_ms));
}

static void connect_now(struct wh_client *c)
{
    c->attempt++;
    c->stale = 0;
    c->peer_code = 0;
    c->peer_reason[0] = '\0';
    add_event(c, WH_EV_CONNECTING, 0, 0, NULL, 0);
    struct lws_client_connect_info i;
    memset(&i, 0, sizeof(i));
    i.context = c->ctx;
    i.address = c->host;
    i.port = c->port;
    i.path = c->path;
    i.host = c->host;
    i.origin = c->o.origin;
    i.local_protocol_name = "wh-client";
    i.method = "RAW";
    i.opaque_user_data = c;
    c->phase = 1;
    c->out_len = 0;
    i.pwsi = &c->wsi;
    if (!lws_client_connect_via_info(&i)) {
        c->wsi = NULL;
        add_event(c, WH_EV_REFUSED, 0, 0, "could not start the connection", 30);
        schedule_retry(c);
    }
}

/* The socket of an open connection ended (drop, close frame, stale). */
static void on_closed(struct wh_client *c)
{
    int code = c->peer_code ? c->peer_code : c->close_code ? c->close_code : 1006;
    c->open = 0;
    c->out_len = 0;
    c->close_sent = c->kill_after_write = 0;
    c->wsi = NULL;
    lws_sul_cancel(&c->sul_ping);
    lws_sul_cancel(&c->sul_stale);
    add_event(c, WH_EV_CLOSED, code, 0, c->peer_reason, strlen(c->peer_reason));
    if (c->close_code) { /* ours, on purpose */
        c->close_code = 0;
        c->stopped = 1;
        add_event(c, WH_EV_STOPPED, 0, 0, NULL, 0);
        return;
    }
    /* A connection that stayed open for `reset` ms starts the count again. */
    double open_for = (double)(ms_time_mono_us() - c->opened_us) / 1000.0;
    if (open_for >= c->o.policy.reset_ms * c->o.scale)
        c->retries = 0;
    schedule_retry(c);
}

/* Appends one masked client frame (FIN set) to the output buffer. */
static int put_frame(struct wh_client *c, int opcode, const void *data, size_t len)
{
    size_t need = c->out_len + len + 14;
    if (need > c->out_cap) {
        size_t cap = need * 2;
        unsigned char *n = realloc(c->out, cap);
        if (!n)
            return -1;
        c->out = n;
        c->out_cap = cap;
    }
    c->out_len +=
        wh_ws_encode_frame(c->out + c->out_len, opcode, data, len, (uint32_t)ms_rng_next(&c->rng));
    if (c->wsi)
        lws_callback_on_writable(c->wsi);
    return 0;
}

/* Moves queued text messages into frames (only while open). */
static void flush_queue(struct wh_client *c)
{
    while (c->phase == 3 && !c->close_sent && c->qn) {
        put_frame(c, MS_WS_TEXT, c->q[0], strlen(c->q[0]));
        free(c->q[0]);
        memmove(c->q, c->q + 1, (c->qn - 1) * sizeof(*c->q));
        c->qn--;
    }
}

static void send_close(struct wh_client *c, int code, const char *reason, size_t rlen)
{
    unsigned char b[125];
    size_t n = 0;
    if (code > 0) {
        b[n++] = (unsigned char)(code >> 8);
        b[n++] = (unsigned char)code;
        if (rlen > sizeof(b) - 2)
            rlen = sizeof(b) - 2;
        if (rlen) /* reason may be NULL when empty */
            memcpy(b + n, reason, rlen);
        n += rlen;
    }
    put_frame(c, MS_WS_CLOSE, b, n);
    c->close_sent = 1;
}

static int on_frame(void *user, int opcode, const unsigned char *data, size_t len)
{
    struct wh_client *c = user;
    c->last_rx_us = ms_time_mono_us();
    lws_sul_cancel(&c->sul_stale); /* the server is alive */
    switch (opcode) {
    case MS_WS_TEXT:
    case MS_WS_BINARY:
        add_event(c, WH_EV_MESSAGE, opcode == MS_WS_BINARY, 0, (const char *)data, len);
        break;
    case MS_WS_PING:
        put_frame(c, MS_WS_PONG, data, len);
        break;
    case MS_WS_CLOSE: {
        int code;
        const char *reason;
        size_t rlen;
        if (ms_wsparse_close_info(data, len, &code, &reason, &rlen) == 0) {
            c->peer_code = code < 0 ? 1005 : code;
            size_t n = rlen < sizeof(c->peer_reason) - 1 ? rlen : sizeof(c->peer_reason) - 1;
            memcpy(c->peer_reason, reason, n);
            c->peer_reason[n] = '\0';
        } else {
            c->peer_code = 1002;
        }
        if (!c->close_sent) /* echo it, then the server closes the TCP connection */
            send_close(c, code < 0 ? 0 : code, NULL, 0);
        c->kill_after_write = 1;
        break;
    }
    default:
        break;
    }
    return 0;
}

/* The 101 response head: status and Sec-WebSocket-Accept. Returns 0 if accepted, else the HTTP
 * status (or -1 for a malformed answer). */
static int check_response(struct wh_client *c, const char *head)
{
    int status = 0;
    if (sscanf(head, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    if (status != 101)
        return status;
    char want[29];
    wh_ws_accept_key(c->key, want);
    for (const char *p = strstr(head, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
        if (!strncasecmp(p + 2, "sec-websocket-accept:", 21)) {
            const char *v = p + 23;
            while (*v == ' ')
                v++;
            return strncmp(v, want, strlen(want)) ? -1 : 0;
        }
    }
    return -1;
}

static void send_request(struct wh_client *c)
{
    unsigned char nonce[16];
    for (int i = 0; i < 16; i += 8) {
        uint64_t r = ms_rng_next(&c->rng);
        memcpy(nonce + i, &r, 8);
    }
    lws_b64_encode_string((const char *)nonce, 16, c->key, sizeof(c->key));
    char req[4096];
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: 13\r\n%s%s%s\r\n",
                     c->path, c->host, c->port, c->key, c->o.origin ? "Origin: " : "",
                     c->o.origin ? c->o.origin : "", c->o.origin ? "\r\n" : "");
    c->out_len = 0;
    if (n > 0 && (size_t)n < sizeof(req)) {
        if (c->out_cap < (size_t)n) {
            unsigned char *b = realloc(c->out, (size_t)n * 2);
            if (!b)
                return;
            c->out = b;
            c->out_cap = (size_t)n * 2;
        }
        memcpy(c->out, req, (size_t)n);
        c->out_len = (size_t)n;
    }
    c->phase = 2;
    c->head_len = 0;
}

static int on_rx(struct wh_client *c, struct lws *wsi, const char *in, size_t len)
{
    if (c->phase == 2) {
        size_t room = sizeof(c->head) - 1 - c->head_len, n = len < room ? len : room;
        memcpy(c->head + c->head_len, in, n);
        c->head_len += n;
        c->head[c->head_len] = '\0';
        char *end = strstr(c->head, "\r\n\r\n");
        if (!end) {
            if (c->head_len == sizeof(c->head) - 1)
                return -1;
            return 0;
        }
        size_t head_bytes = (size_t)(end + 4 - c->head);
        int st = check_response(c, c->head);
        if (st) {
            char why[160];
            const char *eol = strstr(c->head, "\r\n");
            snprintf(why, sizeof(why), "%.*s", (int)(eol - c->head), c->head);
            add_event(c, WH_EV_REFUSED, st < 0 ? 0 : st, 0, why, strlen(why));
            c->phase = 0;
            c->wsi = NULL;
            lws_set_opaque_user_data(wsi, NULL);
            schedule_retry(c);
            return -1;
        }
        c->phase = 3;
        c->open = 1;
        c->opened_us = c->last_rx_us = ms_time_mono_us();
        ms_wsparse_free(c->parser);
        c->parser = ms_wsparse_new(64u * 1024 * 1024);
        add_event(c, WH_EV_OPEN, 101, 0, NULL, 0);
        if (c->o.heartbeat_ms > 0)
            lws_sul_schedule(c->ctx, 0, &c->sul_ping, ping_fire,
                             scaled_us(c, (double)c->o.heartbeat_ms));
        flush_queue(c);
        if (c->close_when_open) {
            c->close_when_open = 0;
            wh_client_close(c, 1000);
        }
        /* bytes after the head are already frames (the welcome often comes with the 101) */
        size_t from_in = head_bytes - (c->head_len - n);
        in += from_in;
        len -= from_in;
    }
    if (c->phase == 3 && len && c->parser && ms_wsparse_feed(c->parser, in, len, on_frame, c) < 0)
        return -1; /* a protocol error: drop */
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct wh_client *c = lws_get_opaque_user_data(wsi);
    if (!c || c->destroying)
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
        const char *why = in ? (const char *)in : "connection failed";
        c->wsi = NULL;
        c->phase = 0;
        if (c->stopped)
            return 0;
        add_event(c, WH_EV_REFUSED, 0, 0, why, strlen(why));
        schedule_retry(c);
        return 0;
    }
    case LWS_CALLBACK_RAW_CONNECTED:
        send_request(c);
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_RAW_RX:
        return on_rx(c, wsi, in, len);
    case LWS_CALLBACK_RAW_WRITEABLE:
        if (c->out_len) {
            int n = lws_write(wsi, c->out, c->out_len, LWS_WRITE_RAW);
            if (n < 0)
                return -1;
            memmove(c->out, c->out + n, c->out_len - (size_t)n);
            c->out_len -= (size_t)n;
            if (c->out_len)
                lws_callback_on_writable(wsi);
        }
        return 0;
    case LWS_CALLBACK_RAW_CLOSE:
        c->wsi = NULL;
        if (c->phase == 3) {
            c->phase = 0;
            on_closed(c);
        } else if (c->phase) { /* closed before answering the upgrade */
            c->phase = 0;
            if (!c->stopped) {
                add_event(c, WH_EV_REFUSED, 0, 0, "closed without an answer", 24);
                schedule_retry(c);
            }
        }
        return 0;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* stdin, adopted as a raw file: each complete line is sent; end of input closes on purpose. */
static int input_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                          size_t len)
{
    (void)user, (void)in, (void)len;
    struct wh_client *c = lws_get_opaque_user_data(wsi);
    if (!c || c->destroying)
        return 0;
    if (reason == LWS_CALLBACK_RAW_CLOSE_FILE) { /* end of input: a pipe's hang-up */
        if (c->open || !c->qn)
            wh_client_close(c, 1000);
        else
            c->close_when_open = 1; /* lines typed ahead go out first */
        return 0;
    }
    if (reason != LWS_CALLBACK_RAW_RX_FILE)
        return 0;
    char buf[4096];
    ssize_t n = read(lws_get_socket_fd(wsi), buf, sizeof(buf));
    if (n <= 0) {
        if (c->open || !c->qn)
            wh_client_close(c, 1000);
        else
            c->close_when_open = 1; /* lines typed ahead go out first */
        lws_set_opaque_user_data(wsi, NULL);
        return -1;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == '\n' || c->line_len == sizeof(c->line) - 1) {
            c->line[c->line_len] = '\0';
            if (c->line_len)
                wh_client_send(c, c->line);
            c->line_len = 0;
            if (buf[i] == '\n')
                continue;
        }
        c->line[c->line_len++] = buf[i];
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"wh-client", callback, 0, 65536, 0, NULL, 0},
    {"wh-input", input_callback, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static int parse_url(struct wh_client *c, const char *url, char *err, size_t errlen)
{
    struct wh_url u;
    if (wh_url_parse(url, &u)) {
        snprintf(err, errlen, "%s: expected ws://HOST[:PORT]/PATH", url);
        return -1;
    }
    if (u.tls) {
        snprintf(err, errlen, "%s: TLS (wss://) is not supported; use ws://", url);
        return -1;
    }
    snprintf(c->host, sizeof(c->host), "%s", u.host);
    c->port = u.port;
    snprintf(c->path, sizeof(c->path), "%s", u.path);
    return 0;
}

struct wh_client *wh_client_new(const struct wh_client_opts *o, char *err, size_t errlen)
{
    struct wh_client *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->o = *o;
    if (!(c->o.scale > 0))
        c->o.scale = 1;
    if (!o->url || parse_url(c, o->url, err, errlen)) {
        if (!o->url)
            snprintf(err, errlen, "no URL");
        free(c);
        return NULL;
    }
    ms_rng_seed(&c->rng, o->seed);
    lws_set_log_level(0, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.timeout_secs = 10;
    info.connect_timeout_secs = 10;
    c->ctx = lws_create_context(&info);
    if (!c->ctx) {
        snprintf(err, errlen, "libwebsockets could not create a client context");
        free(c);
        return NULL;
    }
    c->t0_us = ms_time_mono_us();
    if (o->read_stdin) {
        lws_adopt_desc_t ad = {.vh = lws_get_vhost_by_name(c->ctx, "default"),
                               .type = LWS_ADOPT_RAW_FILE_DESC,
                               .vh_prot_name = "wh-input",
                               .opaque = c};
        ad.fd.filefd = 0;
        if (!ad.vh || !lws_adopt_descriptor_vhost_via_info(&ad)) {
            snprintf(err, errlen, "cannot read stdin");
            lws_context_destroy(c->ctx);
            free(c);
            return NULL;
        }
    }
    return c;
}

void wh_client_free(struct wh_client *c)
{
    if (!c)
        return;
    lws_sul_cancel(&c->sul_retry);
    lws_sul_cancel(&c->sul_ping);
    lws_sul_cancel(&c->sul_stale);
    lws_sul_cancel(&c->sul_wake);
    c->destroying = 1;
    lws_context_destroy(c->ctx); /* closes a connection still open, without events */
    for (size_t i = 0; i < c->n_ev; i++)
        free(c->ev[i].text);
    free(c->ev);
    for (size_t i = 0; i < c->qn; i++)
        free(c->q[i]);
    free(c->q);
    free(c->out);
    ms_wsparse_free(c->parser);
    free(c);
}

void wh_client_start(struct wh_client *c)
{
    connect_now(c);
}

void wh_client_send(struct wh_client *c, const char *text)
{
    if (c->qn >= QUEUE_MAX)
        return;
    char **n = realloc(c->q, (c->qn + 1) * sizeof(*n));
    char *m = strdup(text);
    if (!n || !m) {
        free(m);
        if (n)
            c->q = n;
        return;
    }
    c->q = n;
    c->q[c->qn++] = m;
    flush_queue(c);
}

void wh_client_close(struct wh_client *c, int code)
{
    lws_sul_cancel(&c->sul_retry);
    if (c->open && c->wsi) {
        c->close_code = code;
        send_close(c, code, NULL, 0);
    } else if (!c->stopped) {
        c->stopped = 1;
        if (c->wsi) /* an attempt in progress: abandon it */
            lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        add_event(c, WH_EV_STOPPED, 0, 0, NULL, 0);
    }
}

void wh_client_retry_now(struct wh_client *c)
{
    lws_sul_cancel(&c->sul_retry);
    c->stopped = c->gave_up = 0;
    c->retries = 0;
    if (!c->open)
        connect_now(c);
}

static void wake(lws_sorted_usec_list_t *sul)
{
    struct wh_client *c = lws_container_of(sul, struct wh_client, sul_wake);
    c->deadline = 1;
    lws_cancel_service(c->ctx);
}

int wh_client_run(struct wh_client *c, long timeout_ms, int (*done)(void *user), void *user)
{
    c->deadline = 0;
    lws_sul_schedule(c->ctx, 0, &c->sul_wake, wake, (lws_usec_t)timeout_ms * LWS_US_PER_MS);
    int ok = 0;
    for (;;) {
        if (done && done(user)) {
            ok = 1;
            break;
        }
        if (c->deadline)
            break;
        c->changed = 0;
        if (lws_service(c->ctx, 0) < 0)
            break;
    }
    lws_sul_cancel(&c->sul_wake);
    return ok;
}

const struct wh_event *wh_client_events(const struct wh_client *c, size_t *n)
{
    *n = c->n_ev;
    return c->ev;
}

size_t wh_client_count(const struct wh_client *c, enum wh_event_kind kind)
{
    size_t k = 0;
    for (size_t i = 0; i < c->n_ev; i++)
        k += c->ev[i].kind == kind;
    return k;
}

const struct wh_event *wh_client_last(const struct wh_client *c, enum wh_event_kind kind)
{
    for (size_t i = c->n_ev; i-- > 0;)
        if (c->ev[i].kind == kind)
            return &c->ev[i];
    return NULL;
}

int wh_client_is_open(const struct wh_client *c)
{
    return c->open;
}
