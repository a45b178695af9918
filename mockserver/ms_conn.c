/* ms_conn -- one WebSocket session's bounded send queue, timed sends, stalls and ending. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "ms_err.h"
#include "ms_render.h"
#include "ms_server.h"
#include "ms_utf8.h"

/* The journal keeps at most this much of a frame's text. */
#define JOURNAL_DATA_MAX 65536
/* How long an ending session may take to get its last frames and close frame out. */
#define CLOSE_GIVE_UP_S 5
/* A write carries queued frames up to this many bytes (one frame may be bigger alone). */
#define BATCH_MAX 65536

struct ms_payload *ms_payload_new(const void *data, size_t len)
{
    struct ms_payload *p = malloc(sizeof(*p) + len + 1);
    if (!p)
        return NULL;
    p->refs = 1;
    p->utf8 = -1;
    p->journal_data = NULL;
    p->len = len;
    memcpy(p->data, data, len);
    p->data[len] = '\0';
    return p;
}

void ms_payload_unref(struct ms_payload *p)
{
    if (!p || --p->refs)
        return;
    free(p->journal_data);
    free(p);
}

static struct ms_frame *frame_new(struct ms_payload *p, int op)
{
    struct ms_frame *f = malloc(sizeof(*f));
    if (!f)
        return NULL;
    f->next = NULL;
    f->p = p;
    p->refs++;
    f->binary = op;
    f->delay_ms = 0;
    return f;
}

static void frame_free(struct ms_frame *f)
{
    ms_payload_unref(f->p);
    free(f);
}

static void free_list(struct ms_frame *f)
{
    while (f) {
        struct ms_frame *n = f->next;
        frame_free(f);
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
        frame_free(f);
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
    struct ms_payload *p = ms_payload_new(data, len);
    if (!p)
        return MS_ERR_OOM;
    int rc = ms_conn_send_payload(c, p, op);
    ms_payload_unref(p);
    return rc;
}

int ms_conn_send_payload(struct ms_conn *c, struct ms_payload *p, int op)
{
    if (ending(c))
        return MS_ERR_INVALID;
    struct ms_frame *f = frame_new(p, op);
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
    struct ms_payload *p = ms_payload_new(data, len);
    struct ms_frame *f = p ? frame_new(p, MS_OP_TEXT) : NULL;
    ms_payload_unref(p);
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

/* Once wsmock has decided to end a session, what is still queued (and the close frame) gets
 * CLOSE_GIVE_UP_S to reach a peer that is not reading; then lws drops the connection (journaled as
 * 1006, not clean) instead of holding it open forever. */
static void give_up_after(struct ms_conn *c)
{
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, CLOSE_GIVE_UP_S);
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
    give_up_after(c);
    lws_callback_on_writable(c->wsi);
}

void ms_conn_drop(struct ms_conn *c)
{
    if (c->drop)
        return;
    ms_conn_resume(c);
    c->drop = 1;
    c->closed_by_server = 1;
    give_up_after(c);
    lws_callback_on_writable(c->wsi);
}

void ms_conn_stall(struct ms_conn *c)
{
    if (c->stalled)
        return;
    c->stalled = 1;
    lws_rx_flow_control(c->wsi, 0);
    ms_conn_stop_heartbeat(c);
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

/* The journal's "data" member for a payload: the text as a JSON string (cut at JOURNAL_DATA_MAX,
 * with "truncated":true), or null for binary and invalid UTF-8. Made once per payload. */
static const char *journal_data(struct ms_payload *p, int binary)
{
    if (binary)
        return "\"data\":null";
    if (p->utf8 < 0)
        p->utf8 = ms_utf8_valid(p->data, p->len);
    if (!p->utf8)
        return "\"data\":null";
    if (!p->journal_data) {
        size_t n = p->len < JOURNAL_DATA_MAX ? p->len : JOURNAL_DATA_MAX, len;
        /* a cut may split a UTF-8 sequence: the journal then shows what was kept */
        char *s = ms_journal_json_string(p->data, n, &len);
        if (!s)
            return NULL;
        const char *tail = n < p->len ? ",\"truncated\":true" : "";
        p->journal_data = malloc(len + strlen(tail) + 8);
        if (p->journal_data)
            sprintf(p->journal_data, "\"data\":%s%s", s, tail);
        free(s);
    }
    return p->journal_data;
}

/* A frame_out event: {"type":"frame_out","conn":N,"path":P,"opcode":O,"size":S[,"fin":false],
 * "data":..[,"truncated":true]} rendered directly (this runs once per frame sent). */
static void journal_frame_out(struct ms_conn *c, const struct ms_frame *f)
{
    static const char *const ops[] = {"text",         "binary",       "text",
                                      "continuation", "continuation", "ping"};
    if (!c->path_json && !(c->path_json = ms_journal_json_string((const unsigned char *)c->path,
                                                                 strlen(c->path), NULL)))
        return;
    const char *data = journal_data(f->p, f->binary == MS_OP_BINARY);
    if (!data)
        return;
    size_t cap = strlen(c->path_json) + strlen(data) + 128;
    char stack[1024], *m = cap <= sizeof(stack) ? stack : malloc(cap);
    if (!m)
        return;
    int fin = f->binary != MS_OP_TEXT_FIRST && f->binary != MS_OP_CONT;
    int n = snprintf(m, cap,
                     "\"type\":\"frame_out\",\"conn\":%llu,\"path\":%s,\"opcode\":\"%s\","
                     "\"size\":%zu,%s%s",
                     (unsigned long long)c->id, c->path_json, ops[f->binary], f->p->len,
                     fin ? "" : "\"fin\":false,", data);
    ms_server_journal_rendered(c->srv, "frame_out", c->path, m, (size_t)n);
    if (m != stack)
        free(m);
}

/* Appends frame f to the batch at out (room checked by the caller): header, then payload. */
static size_t frame_encode(unsigned char *out, const struct ms_frame *f)
{
    static const unsigned char first_byte[] = {
        0x81, /* text */
        0x82, /* binary */
        0x01, /* text, no FIN */
        0x00, /* continuation, no FIN */
        0x80, /* continuation, FIN */
        0x89, /* ping */
    };
    size_t len = f->p->len, h = 2;
    out[0] = first_byte[f->binary];
    if (len < 126) {
        out[1] = (unsigned char)len;
    } else if (len < 65536) {
        out[1] = 126;
        out[2] = (unsigned char)(len >> 8);
        out[3] = (unsigned char)len;
        h = 4;
    } else {
        out[1] = 127;
        for (int i = 0; i < 8; i++)
            out[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
        h = 10;
    }
    memcpy(out + h, f->p->data, len);
    return h + len;
}

/* The writer's buffer, shared by every session (one thread, one write at a time). */
static unsigned char *batch;
static size_t batch_cap;

static int batch_reserve(size_t need)
{
    if (need <= batch_cap)
        return 0;
    size_t cap = batch_cap ? batch_cap : BATCH_MAX + LWS_PRE + 16;
    while (cap < need)
        cap *= 2;
    unsigned char *b = realloc(batch, cap);
    if (!b)
        return -1;
    batch = b;
    batch_cap = cap;
    return 0;
}

void ms_conn_release_batch(void)
{
    free(batch);
    batch = NULL;
    batch_cap = 0;
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
    if (c->q_head) {
        /* Frames are framed here and go out in one raw write (lws passes LWS_WRITE_HTTP through
         * untouched on a WebSocket): one send() for up to 64 KiB of small messages instead of
         * one per message. lws keeps what the socket does not take and sends it first. */
        size_t total = 0;
        struct ms_frame *f = c->q_head, *sent = f;
        while (f && (!total || total + f->p->len + 10 <= BATCH_MAX)) {
            if (batch_reserve(LWS_PRE + total + f->p->len + 10))
                return -1;
            total += frame_encode(batch + LWS_PRE + total, f);
            c->q_count--;
            f = f->next;
        }
        c->q_head = f;
        if (!f)
            c->q_tail = NULL;
        int n = lws_write(c->wsi, batch + LWS_PRE, total, LWS_WRITE_HTTP);
        while (sent != f) {
            struct ms_frame *next = sent->next;
            if (n >= (int)total)
                journal_frame_out(c, sent);
            frame_free(sent);
            sent = next;
        }
        if (n < (int)total)
            return -1;
        if (c->q_head || c->close_code || c->drop)
            lws_callback_on_writable(c->wsi);
        return 0;
    }
    if (c->close_code) {
        c->close_sent = 1;
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
    ms_conn_stop_heartbeat(c);
    free_list(c->q_head);
    free_list(c->drip_head);
    c->q_head = c->q_tail = c->drip_head = c->drip_tail = NULL;
    c->q_count = 0;
    free(c->rx);
    c->rx = NULL;
    c->rx_len = c->rx_cap = 0;
    free(c->client_id);
    c->client_id = NULL;
    free(c->path_json);
    c->path_json = NULL;
    free(c->path);
    c->path = NULL;
}
