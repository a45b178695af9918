/* ms_tap -- a passive parser of one proxied TCP connection: HTTP/1.1 exchanges, upgrades, frames.
 */
#include "ms_tap.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ms_err.h"
#include "ms_wsparse.h"

#define MAX_HEAD (64 * 1024)           /* request or response head */
#define MAX_HEADERS 128                /* header fields per head */
#define MAX_QUEUE 32                   /* pipelined requests waiting for their responses */
#define MAX_PENDING (1024 * 1024)      /* client bytes held while an upgrade is being answered */
#define MAX_BODY (1024 * 1024)         /* refusal body kept (the rest passes, unrecorded) */
#define MAX_MESSAGE (64 * 1024 * 1024) /* WebSocket message followed */

/* ---- growing byte buffer ---- */

struct bytes {
    unsigned char *p;
    size_t len, cap;
};

static int bytes_put(struct bytes *b, const void *data, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 512;
        while (cap < b->len + n + 1)
            cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p)
            return MS_ERR_OOM;
        b->p = p;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static void bytes_clear(struct bytes *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* ---- HTTP message framing ---- */

/* A parsed head: the buffer is cut into NUL-terminated strings in place. */
struct head {
    struct bytes buf;
    int complete;
    char *line;                    /* start line */
    char *names[MAX_HEADERS + 1];  /* header names ... */
    char *values[MAX_HEADERS + 1]; /* ... and values, whitespace trimmed */
    size_t n;
};

/*
 * Appends input to the head until its blank line. Returns the bytes of data consumed (the rest
 * starts the body), or -1 when the head is too big.
 */
static long head_feed(struct head *h, const unsigned char *data, size_t len)
{
    size_t old = h->buf.len;
    size_t take = len;
    if (old + take > MAX_HEAD + 4)
        take = MAX_HEAD + 4 - old;
    if (bytes_put(&h->buf, data, take))
        return -1;
    size_t from = old > 3 ? old - 3 : 0;
    for (size_t i = from; i + 4 <= h->buf.len; i++) {
        if (!memcmp(h->buf.p + i, "\r\n\r\n", 4)) {
            h->buf.len = i + 4;
            h->buf.p[h->buf.len] = '\0';
            h->complete = 1;
            return (long)(i + 4 - old);
        }
    }
    if (h->buf.len > MAX_HEAD)
        return -1;
    return (long)take;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/* Splits a complete head into its start line and fields. Returns 0, or -1 if malformed. */
static int head_parse(struct head *h)
{
    char *s = (char *)h->buf.p;
    h->buf.p[h->buf.len - 4] = '\0'; /* drop the blank line */
    h->n = 0;
    h->line = s;
    char *eol = strstr(s, "\r\n");
    if (!eol)
        return 0;
    *eol = '\0';
    s = eol + 2;
    while (*s) {
        eol = strstr(s, "\r\n");
        if (eol)
            *eol = '\0';
        char *colon = strchr(s, ':');
        if (!colon || colon == s || h->n == MAX_HEADERS)
            return -1;
        *colon = '\0';
        h->names[h->n] = s;
        h->values[h->n] = trim(colon + 1);
        h->n++;
        if (!eol)
            break;
        s = eol + 2;
    }
    h->names[h->n] = h->values[h->n] = NULL;
    return 0;
}

static void head_reset(struct head *h)
{
    h->buf.len = 0;
    h->complete = 0;
    h->n = 0;
    h->line = NULL;
}

static const char *header(const struct head *h, const char *name)
{
    for (size_t i = 0; i < h->n; i++)
        if (!strcasecmp(h->names[i], name))
            return h->values[i];
    return NULL;
}

/* 1 if some field called name has token in its comma-separated list (case-insensitive). */
static int header_has_token(const struct head *h, const char *name, const char *token)
{
    size_t tl = strlen(token);
    for (size_t i = 0; i < h->n; i++) {
        if (strcasecmp(h->names[i], name))
            continue;
        const char *v = h->values[i];
        while (*v) {
            while (*v == ' ' || *v == '\t' || *v == ',')
                v++;
            size_t n = strcspn(v, ",");
            size_t m = n;
            while (m && (v[m - 1] == ' ' || v[m - 1] == '\t'))
                m--;
            if (m == tl && !strncasecmp(v, token, tl))
                return 1;
            v += n;
        }
    }
    return 0;
}

enum body_mode { B_NONE, B_LENGTH, B_CHUNKED, B_EOF };
enum chunk_state {
    CH_SIZE,
    CH_EXT,
    CH_SIZE_LF,
    CH_DATA,
    CH_DATA_CR,
    CH_DATA_LF,
    CH_TRAILER_START,
    CH_TRAILER_LINE,
    CH_TRAILER_LF,
    CH_FINAL_LF,
};

/* A message body being skipped (or kept, up to MAX_BODY). */
struct body {
    enum body_mode mode;
    uint64_t remaining;
    enum chunk_state ch;
    int digits;
    int done;
    int keep;
    struct bytes data;
};

/* Chooses the framing from the head (RFC 9112 6.3); Transfer-Encoding wins over Content-Length.
 * Returns 0 or -1 for an unusable Content-Length. */
static int body_start(struct body *b, const struct head *h, int none, int until_eof)
{
    b->mode = B_NONE;
    b->remaining = 0;
    b->ch = CH_SIZE;
    b->digits = 0;
    b->done = 0;
    b->data.len = 0;
    if (none)
        return 0;
    const char *te = header(h, "Transfer-Encoding");
    const char *cl = header(h, "Content-Length");
    if (te) {
        b->mode = header_has_token(h, "Transfer-Encoding", "chunked") ? B_CHUNKED : B_EOF;
    } else if (cl) {
        char *end;
        unsigned long long n = strtoull(cl, &end, 10);
        if (end == cl || *end || *cl == '-')
            return -1;
        b->mode = n ? B_LENGTH : B_NONE;
        b->remaining = n;
    } else if (until_eof) {
        b->mode = B_EOF;
    }
    return 0;
}

static void body_keep(struct body *b, const unsigned char *p, size_t n)
{
    if (!b->keep || b->data.len >= MAX_BODY)
        return;
    if (n > MAX_BODY - b->data.len)
        n = MAX_BODY - b->data.len;
    bytes_put(&b->data, p, n); /* on OOM the body is just shorter */
}

/* Consumes body bytes; sets b->done at its end. Returns bytes consumed or -1 on bad chunking. */
static long body_feed(struct body *b, const unsigned char *p, size_t len)
{
    size_t i = 0;
    if (b->mode == B_NONE) {
        b->done = 1;
        return 0;
    }
    if (b->mode == B_EOF) {
        body_keep(b, p, len);
        return (long)len;
    }
    if (b->mode == B_LENGTH) {
        size_t n = b->remaining < len ? (size_t)b->remaining : len;
        body_keep(b, p, n);
        b->remaining -= n;
        b->done = b->remaining == 0;
        return (long)n;
    }
    while (i < len && !b->done) {
        unsigned char c = p[i];
        switch (b->ch) {
        case CH_SIZE: {
            int v = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (v >= 0) {
                if (++b->digits > 15)
                    return -1;
                b->remaining = b->remaining * 16 + (uint64_t)v;
            } else if (b->digits && (c == ';' || c == ' ' || c == '\t')) {
                b->ch = CH_EXT;
            } else if (b->digits && c == '\r') {
                b->ch = CH_SIZE_LF;
            } else {
                return -1;
            }
            i++;
            break;
        }
        case CH_EXT:
            if (c == '\r')
                b->ch = CH_SIZE_LF;
            i++;
            break;
        case CH_SIZE_LF:
            if (c != '\n')
                return -1;
            b->ch = b->remaining ? CH_DATA : CH_TRAILER_START;
            i++;
            break;
        case CH_DATA: {
            size_t n = b->remaining < len - i ? (size_t)b->remaining : len - i;
            body_keep(b, p + i, n);
            b->remaining -= n;
            i += n;
            if (!b->remaining)
                b->ch = CH_DATA_CR;
            break;
        }
        case CH_DATA_CR:
            if (c != '\r')
                return -1;
            b->ch = CH_DATA_LF;
            i++;
            break;
        case CH_DATA_LF:
            if (c != '\n')
                return -1;
            b->ch = CH_SIZE;
            b->digits = 0;
            b->remaining = 0;
            i++;
            break;
        case CH_TRAILER_START:
            b->ch = c == '\r' ? CH_FINAL_LF : CH_TRAILER_LINE;
            i++;
            break;
        case CH_TRAILER_LINE:
            if (c == '\r')
                b->ch = CH_TRAILER_LF;
            i++;
            break;
        case CH_TRAILER_LF:
            if (c != '\n')
                return -1;
            b->ch = CH_TRAILER_START;
            i++;
            break;
        case CH_FINAL_LF:
            if (c != '\n')
                return -1;
            b->done = 1;
            i++;
            break;
        }
    }
    return (long)i;
}

/* ---- the tap ---- */

enum cstate { C_HEAD, C_BODY, C_WAIT, C_WS, C_OFF };
enum sstate { S_HEAD, S_BODY, S_WS, S_OFF };

/* A request whose response has not been seen yet. */
struct request {
    int conn; /* upgrade attempt's connection number, 0 for a plain request */
    int head; /* HEAD request: the response has no body */
};

struct ms_tap {
    struct ms_recording *rec;
    int64_t now;
    const char *problem;

    enum cstate cs;
    struct head creq;
    struct body cbody;
    int cbody_then_wait;  /* the request whose body is being read is an upgrade */
    struct bytes pending; /* client bytes held while an upgrade waits for its answer */
    int client_ended;

    enum sstate ss;
    struct head sresp;
    struct body sbody;
    struct request cur; /* the request the response being read answers */
    int cur_status;

    struct request queue[MAX_QUEUE];
    size_t qhead, qlen;

    int ws_conn; /* after a 101: the connection number */
    struct ms_wsparse *cws, *sws;
};

struct ms_tap *ms_tap_new(struct ms_recording *rec)
{
    struct ms_tap *t = calloc(1, sizeof *t);
    if (t)
        t->rec = rec;
    return t;
}

void ms_tap_free(struct ms_tap *t)
{
    if (!t)
        return;
    bytes_clear(&t->creq.buf);
    bytes_clear(&t->cbody.data);
    bytes_clear(&t->pending);
    bytes_clear(&t->sresp.buf);
    bytes_clear(&t->sbody.data);
    ms_wsparse_free(t->cws);
    ms_wsparse_free(t->sws);
    free(t);
}

const char *ms_tap_problem(const struct ms_tap *t)
{
    return t->problem;
}

static void give_up(struct ms_tap *t, const char *why, int client, int server)
{
    if (!t->problem)
        t->problem = why;
    if (client)
        t->cs = C_OFF;
    if (server)
        t->ss = S_OFF;
}

/* The path of a request target: origin form up to '?', absolute form without scheme and host. */
static void target_path(char *target)
{
    char *p = target;
    char *scheme = strstr(target, "://");
    if (target[0] != '/' && scheme) {
        p = strchr(scheme + 3, '/');
        if (!p) {
            strcpy(target, "/");
            return;
        }
    }
    size_t n = strcspn(p, "?#");
    memmove(target, p, n);
    target[n] = '\0';
}

static void client_feed(struct ms_tap *t, const unsigned char *data, size_t len);

static int client_cb(void *user, int opcode, const unsigned char *data, size_t len)
{
    struct ms_tap *t = user;
    if (opcode == MS_WS_TEXT || opcode == MS_WS_BINARY)
        return ms_recording_client_message(t->rec, t->ws_conn, t->now, opcode == MS_WS_BINARY, data,
                                           len);
    if (opcode == MS_WS_CLOSE)
        return ms_recording_client_close(t->rec, t->ws_conn, t->now);
    return 0;
}

static int server_cb(void *user, int opcode, const unsigned char *data, size_t len)
{
    struct ms_tap *t = user;
    switch (opcode) {
    case MS_WS_TEXT:
    case MS_WS_BINARY:
        return ms_recording_server_message(t->rec, t->ws_conn, t->now, opcode == MS_WS_BINARY, data,
                                           len);
    case MS_WS_PING:
        return ms_recording_server_ping(t->rec, t->ws_conn, t->now, data, len);
    case MS_WS_CLOSE: {
        int code;
        const char *reason;
        size_t rlen;
        if (ms_wsparse_close_info(data, len, &code, &reason, &rlen))
            return MS_ERR_PARSE;
        return ms_recording_server_close(t->rec, t->ws_conn, t->now, code, reason, rlen);
    }
    }
    return 0;
}

static const char *ws_problem(int rc, int client)
{
    if (rc == MS_ERR_FULL)
        return client ? "a client WebSocket message over 64 MiB"
                      : "a server WebSocket message over 64 MiB";
    if (rc == MS_ERR_OOM)
        return "out of memory";
    return client ? "a WebSocket protocol error from the client"
                  : "a WebSocket protocol error from the server";
}

static void client_ws_feed(struct ms_tap *t, const unsigned char *data, size_t len)
{
    int rc = ms_wsparse_feed(t->cws, data, len, client_cb, t);
    if (rc)
        give_up(t, ws_problem(rc, 1), 1, 0);
}

/* Hands the client bytes held during an upgrade to the state the answer chose. */
static void release_pending(struct ms_tap *t)
{
    struct bytes held = t->pending;
    memset(&t->pending, 0, sizeof t->pending);
    if (held.len) {
        if (t->cs == C_WS)
            client_ws_feed(t, held.p, held.len);
        else
            client_feed(t, held.p, held.len);
    }
    bytes_clear(&held);
}

/* Sets up both frame parsers after a 101 (with permessage-deflate if it was agreed). */
static int start_websocket(struct ms_tap *t)
{
    t->cws = ms_wsparse_new(MAX_MESSAGE);
    t->sws = ms_wsparse_new(MAX_MESSAGE);
    if (!t->cws || !t->sws)
        return MS_ERR_OOM;
    for (size_t i = 0; i < t->sresp.n; i++) {
        if (strcasecmp(t->sresp.names[i], "Sec-WebSocket-Extensions"))
            continue;
        const char *v = t->sresp.values[i];
        if (strncasecmp(v, "permessage-deflate", 18) || (v[18] && v[18] != ';' && v[18] != ' '))
            continue; /* anything else shows up as RSV bits the parsers refuse */
        int rc =
            ms_wsparse_enable_deflate(t->sws, strcasestr(v, "server_no_context_takeover") != NULL);
        if (!rc)
            rc = ms_wsparse_enable_deflate(t->cws,
                                           strcasestr(v, "client_no_context_takeover") != NULL);
        if (rc)
            return rc;
    }
    return 0;
}

static void request_head_done(struct ms_tap *t)
{
    struct head *h = &t->creq;
    if (head_parse(h)) {
        give_up(t, "a malformed request head", 1, 1);
        return;
    }
    char *method = h->line;
    char *sp = strchr(method, ' ');
    char *target = sp ? sp + 1 : NULL;
    char *sp2 = target ? strchr(target, ' ') : NULL;
    if (!sp || !sp2) {
        give_up(t, "a malformed request line", 1, 1);
        return;
    }
    *sp = '\0';
    *sp2 = '\0';
    target_path(target);
    if (t->qlen == MAX_QUEUE) {
        give_up(t, "too many pipelined requests", 1, 1);
        return;
    }
    struct request r = {.conn = 0, .head = !strcmp(method, "HEAD")};
    if (header_has_token(h, "Upgrade", "websocket")) {
        r.conn = ms_recording_upgrade(t->rec, target);
        if (r.conn == MS_ERR_INVALID) {
            r.conn = 0; /* a path no scenario can name: the exchange counts as plain HTTP */
        } else if (r.conn < 0) {
            give_up(t, "out of memory", 1, 1);
            return;
        }
    }
    t->queue[(t->qhead + t->qlen) % MAX_QUEUE] = r;
    t->qlen++;
    if (body_start(&t->cbody, h, 0, 0)) {
        give_up(t, "a bad Content-Length in a request", 1, 1);
        return;
    }
    t->cbody.keep = 0;
    t->cbody_then_wait = r.conn > 0;
    head_reset(h);
    if (t->cbody.mode != B_NONE)
        t->cs = C_BODY;
    else
        t->cs = r.conn > 0 ? C_WAIT : C_HEAD;
}

static void client_feed(struct ms_tap *t, const unsigned char *data, size_t len)
{
    while (len) {
        long n;
        switch (t->cs) {
        case C_OFF:
            return;
        case C_WAIT:
            if (t->pending.len + len > MAX_PENDING || bytes_put(&t->pending, data, len))
                give_up(t, "too much client data before an upgrade was answered", 1, 0);
            return;
        case C_WS:
            client_ws_feed(t, data, len);
            return;
        case C_HEAD:
            n = head_feed(&t->creq, data, len);
            if (n < 0) {
                give_up(t, "a request head over 64 KiB", 1, 1);
                return;
            }
            data += n;
            len -= (size_t)n;
            if (t->creq.complete)
                request_head_done(t);
            break;
        case C_BODY:
            n = body_feed(&t->cbody, data, len);
            if (n < 0) {
                give_up(t, "a badly chunked request body", 1, 1);
                return;
            }
            data += n;
            len -= (size_t)n;
            if (t->cbody.done)
                t->cs = t->cbody_then_wait ? C_WAIT : C_HEAD;
            break;
        }
    }
}

void ms_tap_client_data(struct ms_tap *t, const void *data, size_t len, int64_t t_us)
{
    t->now = t_us;
    client_feed(t, data, len);
}

/* The response being read is complete. */
static void response_done(struct ms_tap *t)
{
    if (t->cur.conn > 0) {
        const char *pairs[2 * MAX_HEADERS + 1];
        size_t k = 0;
        for (size_t i = 0; i < t->sresp.n; i++) {
            pairs[k++] = t->sresp.names[i];
            pairs[k++] = t->sresp.values[i];
        }
        pairs[k] = NULL;
        if (ms_recording_refuse(t->rec, t->cur.conn, t->cur_status, pairs, t->sbody.data.p,
                                t->sbody.data.len))
            give_up(t, "out of memory", 1, 1);
        if (t->cs == C_WAIT) {
            t->cs = C_HEAD;
            release_pending(t);
        }
    } else {
        ms_recording_http(t->rec);
    }
    head_reset(&t->sresp);
    bytes_clear(&t->sbody.data);
    if (t->ss == S_BODY)
        t->ss = S_HEAD;
}

static void response_head_done(struct ms_tap *t)
{
    struct head *h = &t->sresp;
    if (head_parse(h)) {
        give_up(t, "a malformed response head", 1, 1);
        return;
    }
    int status = 0;
    if (strncmp(h->line, "HTTP/1.", 7) || strlen(h->line) < 12 || h->line[8] != ' ') {
        give_up(t, "a malformed status line", 1, 1);
        return;
    }
    for (int i = 9; i < 12; i++) {
        if (h->line[i] < '0' || h->line[i] > '9') {
            give_up(t, "a malformed status line", 1, 1);
            return;
        }
        status = status * 10 + (h->line[i] - '0');
    }
    if (status < 100 || status > 599) { /* RFC 9110 15: no such status class */
        give_up(t, "a malformed status line", 1, 1);
        return;
    }
    if (!t->qlen) {
        give_up(t, "a response nobody asked for", 1, 1);
        return;
    }
    if (status >= 100 && status < 200 && status != 101) {
        head_reset(h); /* interim response (100 Continue): the real one follows */
        return;
    }
    t->cur = t->queue[t->qhead];
    t->qhead = (t->qhead + 1) % MAX_QUEUE;
    t->qlen--;
    t->cur_status = status;
    if (status == 101) {
        if (t->cur.conn <= 0 || t->qlen) {
            give_up(t, "a protocol switch the tap does not know", 1, 1);
            return;
        }
        t->ws_conn = t->cur.conn;
        if (ms_recording_accept(t->rec, t->ws_conn, t->now) || start_websocket(t)) {
            give_up(t, "out of memory", 1, 1);
            return;
        }
        t->ss = S_WS;
        head_reset(h);
        if (t->cs == C_WAIT) {
            t->cs = C_WS;
            release_pending(t);
        }
        return;
    }
    int none = t->cur.head || status == 204 || status == 304;
    if (body_start(&t->sbody, h, none, 1)) {
        give_up(t, "a bad Content-Length in a response", 1, 1);
        return;
    }
    t->sbody.keep = t->cur.conn > 0;
    if (t->sbody.mode == B_NONE)
        response_done(t);
    else
        t->ss = S_BODY;
}

void ms_tap_server_data(struct ms_tap *t, const void *data, size_t len, int64_t t_us)
{
    const unsigned char *p = data;
    t->now = t_us;
    while (len) {
        long n;
        int rc;
        switch (t->ss) {
        case S_OFF:
            return;
        case S_WS:
            rc = ms_wsparse_feed(t->sws, p, len, server_cb, t);
            if (rc)
                give_up(t, ws_problem(rc, 0), 0, 1);
            return;
        case S_HEAD:
            n = head_feed(&t->sresp, p, len);
            if (n < 0) {
                give_up(t, "a response head over 64 KiB", 1, 1);
                return;
            }
            p += n;
            len -= (size_t)n;
            if (t->sresp.complete)
                response_head_done(t);
            break;
        case S_BODY:
            n = body_feed(&t->sbody, p, len);
            if (n < 0) {
                give_up(t, "a badly chunked response body", 1, 1);
                return;
            }
            p += n;
            len -= (size_t)n;
            if (t->sbody.done)
                response_done(t);
            break;
        }
    }
}

void ms_tap_client_eof(struct ms_tap *t, int64_t t_us)
{
    t->now = t_us;
    t->client_ended = 1;
    if (t->cs == C_WS)
        ms_recording_client_close(t->rec, t->ws_conn, t_us);
    if (t->cs != C_WAIT)
        t->cs = C_OFF;
}

void ms_tap_server_eof(struct ms_tap *t, int64_t t_us)
{
    t->now = t_us;
    switch (t->ss) {
    case S_WS:
        ms_recording_server_drop(t->rec, t->ws_conn, t_us);
        break;
    case S_BODY:
        response_done(t); /* the body ends here (until-close framing, or cut short) */
        break;
    case S_HEAD:
    case S_OFF:
        break;
    }
    if (t->ss != S_OFF) {
        /* Upgrades nobody answered: the server closed on them, unless the client had gone. */
        for (; t->qlen; t->qlen--, t->qhead = (t->qhead + 1) % MAX_QUEUE) {
            int conn = t->queue[t->qhead].conn;
            if (conn > 0 && !t->client_ended)
                ms_recording_reset(t->rec, conn);
        }
    }
    t->ss = S_OFF;
    if (t->cs == C_WAIT)
        t->cs = C_OFF;
}
