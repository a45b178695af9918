/* ms_recording -- captured WebSocket sessions (from the proxy or a HAR file), written as a
 * scenario.
 */
#include "ms_recording.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ms_err.h"
#include "ms_pyjson.h"

enum ev_kind { EV_TEXT, EV_BINARY, EV_PING, EV_CLOSE, EV_DROP };

/* One thing the server did on an accepted connection. */
struct event {
    enum ev_kind kind;
    int64_t t_us;
    unsigned char *data; /* message, ping payload or close reason */
    size_t len;
    int code; /* EV_CLOSE: the code, -1 if none */
};

/* One message the client sent. */
struct client_msg {
    int64_t t_us;
    int binary;
    int index; /* K: 1-based among the connection's client messages */
    unsigned char *data;
    size_t len;
};

enum conn_state { ST_PENDING, ST_ACCEPTED, ST_REFUSED, ST_RESET };
enum conn_end { END_OPEN, END_CLIENT, END_SERVER };

/* One upgrade attempt; a recording has one per attempt, in arrival order. */
struct conn {
    char *path;
    long attempt;
    enum conn_state state;
    enum conn_end end;
    int64_t open_us;
    int status;
    cJSON *headers; /* refused: object of strings */
    char *body;     /* refused: valid UTF-8 (NUL as C0 80) */
    struct event *ev;
    size_t nev, capev;
    struct client_msg *cl;
    size_t ncl, capcl;
    int nclient;  /* client messages seen, binary included */
    int adjusted; /* refused: headers left out, "{{" broken up (counted as adjusted) */
};

struct ms_recording {
    struct conn *conns;
    size_t n, cap;
    size_t http;
};

/* ---- small helpers ---- */

static void *dup_bytes(const void *data, size_t len)
{
    unsigned char *p = malloc(len ? len : 1);
    if (p && len)
        memcpy(p, data, len);
    return p;
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 8;
    void *p = realloc(*v, c * size);
    if (!p)
        return MS_ERR_OOM;
    *v = p;
    *cap = c;
    return 0;
}

int ms_rec_utf8_valid(const void *data, size_t len)
{
    const unsigned char *s = data;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return 0;
        }
        if (len - i - 1 < n)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += n + 1;
    }
    return 1;
}

/* Length of the valid UTF-8 sequence at s[0..len), or 0 if it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
    size_t n = s[0] < 0x80 ? 1 : s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;
    if (n > len)
        n = len;
    for (; n > 0; n--)
        if (ms_rec_utf8_valid(s, n))
            return n;
    return 0;
}

/*
 * A NUL-terminated copy of len bytes fit for a cJSON string that ms_pyjson_print writes back as
 * the same text: a NUL byte becomes C0 80 (printed as \u0000), bytes that are not UTF-8 become
 * U+FFFD. NULL on OOM.
 */
static char *json_text(const void *data, size_t len)
{
    const unsigned char *s = data;
    char *out = malloc(len * 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] == 0) {
            out[o++] = (char)0xC0;
            out[o++] = (char)0x80;
            i++;
            continue;
        }
        size_t n = utf8_seq(s + i, len - i);
        if (n) {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    out[o] = '\0';
    return out;
}

/*
 * json_text() for a string the scenario templates (refusal body and header values): a "{{" would
 * start a placeholder and the format has no escape for it, so a space is written between two
 * '{' ("{{x" -> "{ {x"); *adjusted is set when that happened. NULL on OOM.
 */
static char *template_text(const void *data, size_t len, int *adjusted)
{
    char *t = json_text(data, len);
    if (!t || !strstr(t, "{{"))
        return t;
    size_t n = strlen(t);
    char *out = malloc(n * 2 + 1);
    if (out) {
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
            out[o++] = t[i];
            if (t[i] == '{' && t[i + 1] == '{')
                out[o++] = ' ';
        }
        out[o] = '\0';
        *adjusted = 1;
    }
    free(t);
    return out;
}

/* The length of json_text()'s result for valid UTF-8 (a NUL byte takes two). */
static size_t text_len(const void *data, size_t len)
{
    const unsigned char *s = data;
    size_t n = len;
    for (size_t i = 0; i < len; i++)
        n += s[i] == 0;
    return n;
}

static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *ms_rec_base64_encode(const void *data, size_t len)
{
    const unsigned char *s = data;
    char *out = malloc((len + 2) / 3 * 4 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < len)
            v |= s[i + 2];
        out[o++] = b64_chars[(v >> 18) & 63];
        out[o++] = b64_chars[(v >> 12) & 63];
        out[o++] = i + 1 < len ? b64_chars[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? b64_chars[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

static int b64_value(char c)
{
    const char *p = c ? strchr(b64_chars, c) : NULL;
    return p ? (int)(p - b64_chars) : -1;
}

int ms_rec_base64_decode(const char *text, unsigned char **out, size_t *out_len)
{
    size_t len = strlen(text), pad = 0;
    while (len && text[len - 1] == '=' && pad < 2) {
        len--;
        pad++;
    }
    if (len % 4 == 1 || (pad && (len + pad) % 4))
        return MS_ERR_PARSE;
    unsigned char *buf = malloc(len / 4 * 3 + 3);
    if (!buf)
        return MS_ERR_OOM;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value(text[i]);
        if (v < 0) {
            free(buf);
            return MS_ERR_PARSE;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc) { /* leftover bits must be zero in canonical base64 */
        free(buf);
        return MS_ERR_PARSE;
    }
    *out = buf;
    *out_len = o;
    return 0;
}

/* ---- building ---- */

struct ms_recording *ms_recording_new(void)
{
    return calloc(1, sizeof(struct ms_recording));
}

static void conn_free(struct conn *c)
{
    free(c->path);
    cJSON_Delete(c->headers);
    free(c->body);
    for (size_t i = 0; i < c->nev; i++)
        free(c->ev[i].data);
    free(c->ev);
    for (size_t i = 0; i < c->ncl; i++)
        free(c->cl[i].data);
    free(c->cl);
}

void ms_recording_free(struct ms_recording *rec)
{
    if (!rec)
        return;
    for (size_t i = 0; i < rec->n; i++)
        conn_free(&rec->conns[i]);
    free(rec->conns);
    free(rec);
}

static struct conn *get(struct ms_recording *rec, int conn)
{
    if (conn < 1 || (size_t)conn > rec->n)
        return NULL;
    return &rec->conns[conn - 1];
}

/* 1 if a scenario rule can name path exactly: "/..." without '*' (which makes it a pattern). */
static int nameable_path(const char *path)
{
    return path[0] == '/' && !strchr(path, '*');
}

/* 1 if a scenario's refusal can send the header (ms_scenario.c: no CR or LF anywhere, no ':' or
 * space in the name). */
static int writable_header(const char *name, const char *value)
{
    return name[0] && !strpbrk(name, "\r\n: ") && !strpbrk(value, "\r\n");
}

int ms_recording_upgrade(struct ms_recording *rec, const char *path)
{
    if (!nameable_path(path))
        return MS_ERR_INVALID;
    if (rec->n >= (size_t)INT32_MAX)
        return MS_ERR_FULL;
    if (grow((void **)&rec->conns, &rec->cap, rec->n, sizeof *rec->conns))
        return MS_ERR_OOM;
    struct conn *c = &rec->conns[rec->n];
    memset(c, 0, sizeof *c);
    c->path = strdup(path);
    if (!c->path)
        return MS_ERR_OOM;
    long attempt = 1;
    for (size_t i = 0; i < rec->n; i++)
        if (!strcmp(rec->conns[i].path, path))
            attempt++;
    c->attempt = attempt;
    rec->n++;
    return (int)rec->n;
}

int ms_recording_accept(struct ms_recording *rec, int conn, int64_t t_us)
{
    struct conn *c = get(rec, conn);
    if (!c)
        return MS_ERR_NOT_FOUND;
    if (c->state != ST_PENDING)
        return MS_ERR_INVALID;
    c->state = ST_ACCEPTED;
    c->open_us = t_us;
    return 0;
}

int ms_recording_refuse(struct ms_recording *rec, int conn, int status, const char *const *headers,
                        const void *body, size_t body_len)
{
    struct conn *c = get(rec, conn);
    if (!c)
        return MS_ERR_NOT_FOUND;
    if (c->state != ST_PENDING)
        return MS_ERR_INVALID;
    cJSON *h = cJSON_CreateObject();
    int adjusted = 0;
    char *b = template_text(body, body_len, &adjusted);
    if (!h || !b)
        goto oom;
    c->adjusted += adjusted;
    for (size_t i = 0; headers && headers[i] && headers[i + 1]; i += 2) {
        const char *name = headers[i];
        /* wsmock writes these itself on a refusal (framing, and it always closes) */
        if (!strcasecmp(name, "Date") || !strcasecmp(name, "Content-Length") ||
            !strcasecmp(name, "Transfer-Encoding") || !strcasecmp(name, "Connection"))
            continue;
        if (!writable_header(name, headers[i + 1])) {
            c->adjusted++;
            continue;
        }
        adjusted = 0;
        char *value = template_text(headers[i + 1], strlen(headers[i + 1]), &adjusted);
        if (!value)
            goto oom;
        c->adjusted += adjusted;
        cJSON *old = NULL;
        for (cJSON *it = h->child; it; it = it->next)
            if (!strcasecmp(it->string, name))
                old = it;
        if (old) {
            size_t n = strlen(old->valuestring) + 2 + strlen(value) + 1;
            char *joined = malloc(n);
            if (!joined) {
                free(value);
                goto oom;
            }
            snprintf(joined, n, "%s, %s", old->valuestring, value);
            free(value);
            cJSON *item = cJSON_CreateString(joined);
            free(joined);
            if (item)
                item->string = strdup(old->string); /* the replacement keeps the key */
            if (!item || !item->string) {
                cJSON_Delete(item);
                goto oom;
            }
            cJSON_ReplaceItemViaPointer(h, old, item);
        } else {
            char *key = json_text(name, strlen(name));
            cJSON *item = key ? cJSON_CreateString(value) : NULL;
            free(value);
            if (!item || !cJSON_AddItemToObject(h, key, item)) {
                free(key);
                cJSON_Delete(item);
                goto oom;
            }
            free(key);
        }
    }
    c->state = ST_REFUSED;
    c->status = status;
    c->headers = h;
    c->body = b;
    return 0;
oom:
    cJSON_Delete(h);
    free(b);
    return MS_ERR_OOM;
}

int ms_recording_reset(struct ms_recording *rec, int conn)
{
    struct conn *c = get(rec, conn);
    if (!c)
        return MS_ERR_NOT_FOUND;
    if (c->state != ST_PENDING)
        return MS_ERR_INVALID;
    c->state = ST_RESET;
    return 0;
}

/* Checks that conn is an accepted connection; *open gets whether it has not ended. */
static int open_conn(struct ms_recording *rec, int conn, struct conn **out)
{
    struct conn *c = get(rec, conn);
    if (!c)
        return MS_ERR_NOT_FOUND;
    if (c->state != ST_ACCEPTED)
        return MS_ERR_INVALID;
    *out = c;
    return 0;
}

static int add_event(struct conn *c, enum ev_kind kind, int64_t t_us, const void *data, size_t len,
                     int code)
{
    if (grow((void **)&c->ev, &c->capev, c->nev, sizeof *c->ev))
        return MS_ERR_OOM;
    struct event *e = &c->ev[c->nev];
    e->kind = kind;
    e->t_us = t_us;
    e->len = len;
    e->code = code;
    e->data = dup_bytes(data, len);
    if (!e->data)
        return MS_ERR_OOM;
    c->nev++;
    return 0;
}

int ms_recording_server_message(struct ms_recording *rec, int conn, int64_t t_us, int binary,
                                const void *data, size_t len)
{
    struct conn *c;
    int rc = open_conn(rec, conn, &c);
    if (rc || c->end != END_OPEN)
        return rc;
    return add_event(c, binary ? EV_BINARY : EV_TEXT, t_us, data, len, 0);
}

int ms_recording_server_ping(struct ms_recording *rec, int conn, int64_t t_us, const void *data,
                             size_t len)
{
    struct conn *c;
    int rc = open_conn(rec, conn, &c);
    if (rc || c->end != END_OPEN)
        return rc;
    return add_event(c, EV_PING, t_us, data, len, 0);
}

int ms_recording_server_close(struct ms_recording *rec, int conn, int64_t t_us, int code,
                              const void *reason, size_t reason_len)
{
    struct conn *c;
    int rc = open_conn(rec, conn, &c);
    if (rc || c->end != END_OPEN)
        return rc;
    rc = add_event(c, EV_CLOSE, t_us, reason, reason_len, code);
    if (!rc)
        c->end = END_SERVER;
    return rc;
}

int ms_recording_server_drop(struct ms_recording *rec, int conn, int64_t t_us)
{
    struct conn *c;
    int rc = open_conn(rec, conn, &c);
    if (rc || c->end != END_OPEN)
        return rc;
    rc = add_event(c, EV_DROP, t_us, NULL, 0, 0);
    if (!rc)
        c->end = END_SERVER;
    return rc;
}

int ms_recording_client_message(struct ms_recording *rec, int conn, int64_t t_us, int binary,
                                const void *data, size_t len)
{
    struct conn *c;
    int rc = open_conn(rec, conn, &c);
    if (rc || c->end == END_CLIENT)
        return rc;
    if (grow((void **)&c->cl, &c->capcl, c->ncl, sizeof *c->cl))
        return MS_ERR_OOM;
    struct client_msg *m = &c->cl[c->ncl];
    m->t_us = t_us;
    m->binary = binary;
    m->index = c->nclient + 1;
    m->len = len;
    m->data = dup_bytes(data, len);
    if (!m->data)
        return MS_ERR_OOM;
    c->ncl++;
    c->nclient++;
    return 0;
}

int ms_recording_client_close(struct ms_recording *rec, int conn, int64_t t_us)
{
    struct conn *c;
    int rc = open_conn(rec, conn, &c);
    if (rc)
        return rc;
    if (c->end == END_OPEN)
        c->end = END_CLIENT;
    return 0;
}

void ms_recording_http(struct ms_recording *rec)
{
    rec->http++;
}

/* ---- what gets written ---- */

/* 1 if a client message is written as an expectation. */
static int expressible(const struct client_msg *m)
{
    return !m->binary && ms_rec_utf8_valid(m->data, m->len);
}

/* A close code a scenario can send (FORMAT.md, close step). */
static int sendable_code(int code)
{
    return code >= 1000 && code <= 4999 && code != 1004 && code != 1005 && code != 1006 &&
           code != 1015;
}

/* The longest wait_ms step and within_ms a scenario allows (FORMAT.md; ms_scenario.c checks). */
#define MAX_WAIT_MS 86400000LL
#define MAX_WITHIN_MS 864000000LL

static int contains_placeholder(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++)
        if (s[i] == '{' && s[i + 1] == '{')
            return 1;
    return 0;
}

/* Milliseconds from the open to t, rounded; never negative. */
static long long since_open(const struct conn *c, int64_t t_us)
{
    if (t_us <= c->open_us)
        return 0;
    uint64_t d = (uint64_t)t_us - (uint64_t)c->open_us; /* any two int64 times: no overflow */
    return (long long)((d + 500) / 1000);
}

/* 1 if a ping payload can be a ws_ping step: a string of at most 125 bytes once written. */
static int ping_writable(const struct event *e)
{
    return ms_rec_utf8_valid(e->data, e->len) && text_len(e->data, e->len) <= 125;
}

/* 1 if a close reason can be written as it is: UTF-8, no "{{" (the reason is templated), at most
 * 123 bytes once written. */
static int reason_writable(const struct event *e)
{
    return ms_rec_utf8_valid(e->data, e->len) && !contains_placeholder(e->data, e->len) &&
           text_len(e->data, e->len) <= 123;
}

/* 1 if event e of an accepted connection becomes a step. */
static int written(const struct event *e)
{
    return e->kind != EV_PING || ping_writable(e);
}

/* The wait before step e as recorded (0: none; may exceed MAX_WAIT_MS); *prev is the time of
 * the step before, in ms since the open, and is advanced. */
static long long wait_before(const struct conn *c, const struct event *e, long long *prev)
{
    long long at = since_open(c, e->t_us), w = at > *prev ? at - *prev : 0;
    if (at > *prev)
        *prev = at;
    return w;
}

/* 1 if the event is written as it happened (else it is adjusted or left out). */
static int event_exact(const struct event *e)
{
    switch (e->kind) {
    case EV_PING:
        return ping_writable(e);
    case EV_CLOSE:
        return sendable_code(e->code) && reason_writable(e);
    default:
        return 1;
    }
}

void ms_recording_stats(const struct ms_recording *rec, struct ms_recording_stats *st)
{
    memset(st, 0, sizeof *st);
    st->http = rec->http;
    for (size_t i = 0; i < rec->n; i++) {
        const struct conn *c = &rec->conns[i];
        st->upgrades++;
        st->adjusted += (size_t)c->adjusted;
        switch (c->state) {
        case ST_PENDING:
            st->unanswered++;
            break;
        case ST_ACCEPTED:
            st->accepted++;
            break;
        case ST_REFUSED:
            st->refused++;
            break;
        case ST_RESET:
            st->reset++;
            break;
        }
        long long prev = 0;
        for (size_t k = 0; k < c->nev; k++) {
            if (c->ev[k].kind != EV_DROP)
                st->server_frames++;
            int long_wait = written(&c->ev[k]) && wait_before(c, &c->ev[k], &prev) > MAX_WAIT_MS;
            if (!event_exact(&c->ev[k]) || long_wait)
                st->adjusted++;
        }
        for (size_t k = 0; k < c->ncl; k++) {
            if (expressible(&c->cl[k]))
                st->client_frames++;
            else
                st->client_skipped++;
        }
    }
}

/* Builder state: the first allocation failure sticks. */
struct tree {
    int oom;
};

static cJSON *add(struct tree *t, cJSON *obj, const char *key, cJSON *item)
{
    if (!item) {
        t->oom = 1;
        return NULL;
    }
    if (!(key ? cJSON_AddItemToObject(obj, key, item) : cJSON_AddItemToArray(obj, item))) {
        cJSON_Delete(item);
        t->oom = 1;
        return NULL;
    }
    return item;
}

static cJSON *new_obj(struct tree *t, cJSON *parent, const char *key)
{
    return add(t, parent, key, cJSON_CreateObject());
}

static void add_int(struct tree *t, cJSON *obj, const char *key, long long v)
{
    add(t, obj, key, ms_pyjson_int(v));
}

static void add_str(struct tree *t, cJSON *obj, const char *key, const char *s)
{
    add(t, obj, key, cJSON_CreateString(s));
}

/* Adds the bytes as a string member (see json_text). */
static void add_text(struct tree *t, cJSON *obj, const char *key, const void *data, size_t len)
{
    char *s = json_text(data, len);
    if (!s) {
        t->oom = 1;
        return;
    }
    add_str(t, obj, key, s);
    free(s);
}

static void add_b64(struct tree *t, cJSON *obj, const char *key, const void *data, size_t len)
{
    char *s = ms_rec_base64_encode(data, len);
    if (!s) {
        t->oom = 1;
        return;
    }
    add_str(t, obj, key, s);
    free(s);
}

static void add_step(struct tree *t, cJSON *steps, const struct event *e)
{
    cJSON *s = new_obj(t, steps, NULL);
    if (!s)
        return;
    switch (e->kind) {
    case EV_TEXT:
        /* send_text is templated and must be UTF-8: anything else goes out byte for byte. */
        if (ms_rec_utf8_valid(e->data, e->len) && !contains_placeholder(e->data, e->len)) {
            add_text(t, s, "send_text", e->data, e->len);
        } else {
            add_b64(t, s, "send_bytes", e->data, e->len);
            add_str(t, s, "opcode", "text");
        }
        break;
    case EV_BINARY:
        add_b64(t, s, "send_binary", e->data, e->len);
        break;
    case EV_PING:
        add_text(t, s, "ws_ping", e->data, e->len);
        break;
    case EV_CLOSE:
        add_int(t, s, "close", sendable_code(e->code) ? e->code : 1000);
        if (reason_writable(e))
            add_text(t, s, "reason", e->data, e->len);
        else
            add_str(t, s, "reason", "");
        break;
    case EV_DROP:
        add(t, s, "drop", cJSON_CreateTrue());
        break;
    }
}

static void add_rule(struct tree *t, cJSON *rules, const struct conn *c)
{
    cJSON *r = new_obj(t, rules, NULL);
    if (!r)
        return;
    add_str(t, r, "path", c->path);
    add_int(t, r, "attempts", c->attempt);
    switch (c->state) {
    case ST_ACCEPTED: {
        add_str(t, r, "action", "accept");
        add(t, r, "welcome", cJSON_CreateFalse());
        cJSON *steps = add(t, r, "on_open", cJSON_CreateArray());
        long long prev = 0;
        for (size_t i = 0; steps && i < c->nev; i++) {
            const struct event *e = &c->ev[i];
            if (!written(e))
                continue; /* ws_ping takes a string of 125 bytes: other payloads cannot be */
            long long wait = wait_before(c, e, &prev);
            if (wait > 0) {
                cJSON *w = new_obj(t, steps, NULL);
                if (w)
                    add_int(t, w, "wait_ms", wait < MAX_WAIT_MS ? wait : MAX_WAIT_MS);
            }
            add_step(t, steps, e);
        }
        cJSON *replies = add(t, r, "replies", cJSON_CreateArray());
        cJSON *swallow = replies ? new_obj(t, replies, NULL) : NULL;
        if (swallow) {
            add_str(t, swallow, "regex", ".*");
            add(t, swallow, "do", cJSON_CreateArray());
        }
        break;
    }
    case ST_REFUSED:
        add_str(t, r, "action", "refuse");
        add_int(t, r, "status", c->status);
        add(t, r, "headers", cJSON_Duplicate(c->headers, 1));
        add_str(t, r, "body", c->body);
        break;
    case ST_RESET:
        add_str(t, r, "action", "reset");
        break;
    case ST_PENDING:
        add_str(t, r, "action", "hang");
        break;
    }
}

static void add_expectation(struct tree *t, cJSON *expect, size_t number, const struct conn *c,
                            const struct client_msg *m)
{
    cJSON *x = new_obj(t, expect, NULL);
    if (!x)
        return;
    char name[64];
    snprintf(name, sizeof name, "conn %zu frame %d", number, m->index);
    add_str(t, x, "name", name);
    cJSON *obj = ms_pyjson_parse((const char *)m->data, m->len, NULL, 0);
    if (obj && cJSON_IsObject(obj)) {
        add(t, x, "client_sends", obj);
    } else {
        cJSON_Delete(obj);
        add_text(t, x, "client_sends", m->data, m->len);
    }
    add_str(t, x, "path", c->path);
    long long at = since_open(c, m->t_us);
    long long slack = at / 2 > 250 ? at / 2 : 250;
    add_int(t, x, "within_ms", at + slack < MAX_WITHIN_MS ? at + slack : MAX_WITHIN_MS);
}

cJSON *ms_recording_scenario(const struct ms_recording *rec, const char *name,
                             const char *description)
{
    struct tree t = {0};
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    add_str(&t, root, "name", name);
    add_str(&t, root, "description", description);
    cJSON *kw = add(&t, root, "keywords", cJSON_CreateArray());
    if (kw)
        add(&t, kw, NULL, cJSON_CreateString("recorded"));
    add_str(&t, root, "profile", "deployed");
    add_int(&t, root, "heartbeat_ms", 0);
    cJSON *rules = add(&t, root, "connections", cJSON_CreateArray());
    for (size_t i = 0; rules && i < rec->n; i++) {
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcmp(rec->conns[j].path, rec->conns[i].path);
        if (seen)
            continue; /* its path's rules were written with the first attempt */
        for (size_t j = i; j < rec->n; j++)
            if (!strcmp(rec->conns[j].path, rec->conns[i].path))
                add_rule(&t, rules, &rec->conns[j]);
    }
    cJSON *expect = add(&t, root, "expect", cJSON_CreateArray());
    for (size_t i = 0; expect && i < rec->n; i++) {
        const struct conn *c = &rec->conns[i];
        for (size_t k = 0; k < c->ncl; k++)
            if (expressible(&c->cl[k]))
                add_expectation(&t, expect, i + 1, c, &c->cl[k]);
    }
    if (t.oom) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

/* ---- pretty printing ---- */

struct out {
    char *s;
    size_t len, cap;
    int oom;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->oom)
        return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 256;
        while (cap < o->len + n + 1)
            cap *= 2;
        char *p = realloc(o->s, cap);
        if (!p) {
            o->oom = 1;
            return;
        }
        o->s = p;
        o->cap = cap;
    }
    memcpy(o->s + o->len, s, n);
    o->len += n;
    o->s[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void indent(struct out *o, int depth)
{
    put(o, "\n", 1);
    for (int i = 0; i < depth; i++)
        put(o, "  ", 2);
}

static void leaf(struct out *o, const cJSON *item)
{
    char *s = ms_pyjson_print(item);
    if (!s) {
        o->oom = 1;
        return;
    }
    puts_(o, s);
    free(s);
}

static void pretty(struct out *o, const cJSON *item, int depth)
{
    int obj = cJSON_IsObject(item);
    if (!obj && !cJSON_IsArray(item)) {
        leaf(o, item);
        return;
    }
    if (!item->child) {
        puts_(o, obj ? "{}" : "[]");
        return;
    }
    puts_(o, obj ? "{" : "[");
    for (const cJSON *c = item->child; c; c = c->next) {
        indent(o, depth + 1);
        if (obj) {
            cJSON *key = cJSON_CreateString(c->string ? c->string : "");
            if (!key) {
                o->oom = 1;
                return;
            }
            leaf(o, key);
            cJSON_Delete(key);
            puts_(o, ": ");
        }
        pretty(o, c, depth + 1);
        if (c->next)
            puts_(o, ",");
    }
    indent(o, depth);
    puts_(o, obj ? "}" : "]");
}

char *ms_rec_json_pretty(const cJSON *item)
{
    struct out o = {0};
    pretty(&o, item, 0);
    puts_(&o, "");
    if (o.oom) {
        free(o.s);
        return NULL;
    }
    return o.s;
}

char *ms_recording_render(const struct ms_recording *rec, const char *name, const char *description)
{
    cJSON *root = ms_recording_scenario(rec, name, description);
    if (!root)
        return NULL;
    char *s = ms_rec_json_pretty(root);
    cJSON_Delete(root);
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    if (!t) {
        free(s);
        return NULL;
    }
    t[n] = '\n';
    t[n + 1] = '\0';
    return t;
}

void ms_rec_scenario_name(const char *file, char *buf, size_t len)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    size_t n = strlen(base);
    if (n >= 5 && !strcmp(base + n - 5, ".json"))
        n -= 5;
    if (n > len - 1)
        n = len - 1;
    for (size_t i = 0; i < n; i++) {
        char ch = base[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '-' || ch == '_' || ch == '.';
        buf[i] = ok ? ch : '-';
    }
    buf[n] = '\0';
    if (!n)
        snprintf(buf, len, "recorded");
}
