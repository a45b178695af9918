/* ms_conn -- one WebSocket session's bounded send queue, timed sends, heartbeat and ending. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "ms_err.h"
#include "ms_render.h"
#include "ms_server.h"
#include "ms_utf8.h"

/* The journal keeps at most this much of a frame's text. */
#define JOURNAL_DATA_MAX 65536

static struct ms_frame *frame_new(const char *data, size_t len, int binary)
{
    struct ms_frame *f = malloc(sizeof(*f) + LWS_PRE + len);
    if (!f)
        return NULL;
    f->next = NULL;
    f->len = len;
    f->binary = binary;
    f->delay_ms = 0;
    memcpy(f->buf + LWS_PRE, data, len);
    return f;
}

static void free_list(struct ms_frame *f)
{
    while (f) {
        struct ms_frame *n = f->next;
        free(f);
        f = n;
    }
}

static int ending(const struct ms_conn *c)
{
    return c->close_code > 0 || c->drop;
}

/* Appends to the send queue; a slow client past --queue-limit is closed with 1008, because an
 * unbounded queue would let one stalled browser tab grow the mock without limit. */
static int enqueue(struct ms_conn *c, struct ms_frame *f)
{
    if (c->q_count >= c->srv->opt.queue_limit) {
        free(f);
        free_list(c->q_head);
        c->q_head = c->q_tail = NULL;
        c->q_count = 0;
        lwsl_warn("wsmock: conn %llu: send queue full, closing with 1008\n",
                  (unsigned long long)c->id);
        ms_conn_close(c, 1008, "send queue full");
        return MS_ERR_FULL;
    }
    if (c->q_tail)
        c->q_tail->next = f;
    else
        c->q_head = f;
    c->q_tail = f;
    c->q_count++;
    lws_callback_on_writable(c->wsi);
    return MS_OK;
}

static void drip_fire(lws_sorted_usec_list_t *sul);

static void drip_schedule(struct ms_conn *c)
{
    lws_sul_schedule(lws_get_context(c->wsi), 0, &c->sul_drip, drip_fire,
                     c->drip_head->delay_ms * LWS_US_PER_MS);
}

/* Moves the head of the drip queue to the send queue, then waits for the next one's delay. */
static void drip_fire(lws_sorted_usec_list_t *sul)
{
    struct ms_conn *c = lws_container_of(sul, struct ms_conn, sul_drip);
    while (c->drip_head) {
        struct ms_frame *f = c->drip_head;
        c->drip_head = f->next;
        if (!c->drip_head)
            c->drip_tail = NULL;
        f->next = NULL;
        if (enqueue(c, f))
            return;
        if (c->drip_head && c->drip_head->delay_ms > 0) {
            drip_schedule(c);
            return;
        }
    }
}

int ms_conn_send(struct ms_conn *c, const char *data, size_t len, int op)
{
    if (ending(c))
        return MS_ERR_INVALID;
    struct ms_frame *f = frame_new(data, len, op);
    if (!f)
        return MS_ERR_OOM;
    if (c->drip_head) { /* keep the order behind a replay in progress */
        c->drip_tail->next = f;
        c->drip_tail = f;
        return MS_OK;
    }
    return enqueue(c, f);
}

int ms_conn_send_drip(struct ms_conn *c, const char *data, size_t len, int64_t delay_ms)
{
    if (ending(c))
        return MS_ERR_INVALID;
    struct ms_frame *f = frame_new(data, len, 0);
    if (!f)
        return MS_ERR_OOM;
    f->delay_ms = delay_ms;
    int idle = !c->drip_head;
    if (c->drip_tail)
        c->drip_tail->next = f;
    else
        c->drip_head = f;
    c->drip_tail = f;
    if (idle)
        drip_schedule(c);
    return MS_OK;
}

void ms_conn_close(struct ms_conn *c, int code, const char *reason)
{
    if (ending(c))
        return;
    ms_conn_resume(c); /* a stalled session still closes when told to */
    c->close_code = code;
    c->closed_by_server = 1;
    snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason ? reason : "");
    free_list(c->drip_head);
    c->drip_head = c->drip_tail = NULL;
    lws_callback_on_writable(c->wsi);
}

void ms_conn_drop(struct ms_conn *c)
{
    if (c->drop)
        return;
    ms_conn_resume(c);
    c->drop = 1;
    c->closed_by_server = 1;
    lws_callback_on_writable(c->wsi);
}

void ms_conn_stall(struct ms_conn *c)
{
    if (c->stalled)
        return;
    c->stalled = 1;
    lws_rx_flow_control(c->wsi, 0);
    lws_sul_cancel(&c->sul_heartbeat);
}

void ms_conn_resume(struct ms_conn *c)
{
    if (!c->stalled)
        return;
    c->stalled = 0;
    lws_rx_flow_control(c->wsi, 1);
    ms_conn_start_heartbeat(c);
    lws_callback_on_writable(c->wsi);
}

static void heartbeat_fire(lws_sorted_usec_list_t *sul)
{
    struct ms_conn *c = lws_container_of(sul, struct ms_conn, sul_heartbeat);
    char ts[32];
    ms_server_now_iso(ts, sizeof(ts));
    char *text = ms_render_heartbeat(ts);
    /* Sent by client_id like the real heartbeat task: a duplicate id receives both sockets' beats.
     */
    if (text)
        ms_server_send_to_client(c->srv, c->client_id, text);
    free(text);
    ms_conn_start_heartbeat(c);
}

void ms_conn_start_heartbeat(struct ms_conn *c)
{
    if (c->srv->heartbeat_ms <= 0)
        return;
    lws_sul_schedule(lws_get_context(c->wsi), 0, &c->sul_heartbeat, heartbeat_fire,
                     (lws_usec_t)c->srv->heartbeat_ms * LWS_US_PER_MS);
}

static void journal_frame_out(struct ms_conn *c, const struct ms_frame *f)
{
    cJSON *ev = ms_server_event("frame_out");
    if (!ev)
        return;
    cJSON_AddNumberToObject(ev, "conn", (double)c->id);
    cJSON_AddStringToObject(ev, "path", c->path);
    static const char *const ops[] = {"text",         "binary",       "text",
                                      "continuation", "continuation", "ping"};
    cJSON_AddStringToObject(ev, "opcode", ops[f->binary]);
    cJSON_AddNumberToObject(ev, "size", (double)f->len);
    if (f->binary == MS_OP_TEXT_FIRST || f->binary == MS_OP_CONT)
        cJSON_AddFalseToObject(ev, "fin");
    if (f->binary == MS_OP_BINARY || !ms_utf8_valid(f->buf + LWS_PRE, f->len)) {
        cJSON_AddNullToObject(ev, "data");
    } else {
        size_t n = f->len < JOURNAL_DATA_MAX ? f->len : JOURNAL_DATA_MAX;
        char *s = malloc(n + 1);
        if (s) {
            memcpy(s, f->buf + LWS_PRE, n);
            s[n] = '\0';
            cJSON_AddStringToObject(ev, "data", s);
            free(s);
        }
        if (n < f->len)
            cJSON_AddTrueToObject(ev, "truncated");
    }
    ms_server_journal(c->srv, ev);
}

int ms_conn_writeable(struct ms_conn *c)
{
    if (c->stalled && !c->drop)
        return 0; /* a half-open peer: what is queued waits for the resume */
    if (c->drop && !c->q_head) {
        /* What was queued before the drop has gone out; now no close frame: shut the socket so
         * lws's own close handshake cannot reach the peer. */
        shutdown(lws_get_socket_fd(c->wsi), SHUT_RDWR);
        return -1;
    }
    struct ms_frame *f = c->q_head;
    if (f) {
        c->q_head = f->next;
        if (!c->q_head)
            c->q_tail = NULL;
        c->q_count--;
        static const int wp[] = {
            LWS_WRITE_TEXT,
            LWS_WRITE_BINARY,
            LWS_WRITE_TEXT | LWS_WRITE_NO_FIN,
            LWS_WRITE_CONTINUATION | LWS_WRITE_NO_FIN,
            LWS_WRITE_CONTINUATION,
            LWS_WRITE_PING,
        };
        int n = lws_write(c->wsi, f->buf + LWS_PRE, f->len, (enum lws_write_protocol)wp[f->binary]);
        if (n < (int)f->len) {
            free(f);
            return -1;
        }
        journal_frame_out(c, f);
        free(f);
        if (c->q_head || c->close_code || c->drop)
            lws_callback_on_writable(c->wsi);
        return 0;
    }
    if (c->close_code) {
        lws_close_reason(c->wsi, (enum lws_close_status)c->close_code,
                         (unsigned char *)c->close_reason, strlen(c->close_reason));
        return -1;
    }
    return 0;
}

void ms_conn_release(struct ms_conn *c)
{
    ms_script_cancel_all(c);
    lws_sul_cancel(&c->sul_drip);
    lws_sul_cancel(&c->sul_heartbeat);
    free_list(c->q_head);
    free_list(c->drip_head);
    c->q_head = c->q_tail = c->drip_head = c->drip_tail = NULL;
    c->q_count = 0;
    free(c->rx);
    c->rx = NULL;
    c->rx_len = c->rx_cap = 0;
    free(c->client_id);
    c->client_id = NULL;
}
