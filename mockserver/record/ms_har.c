/* ms_har -- WebSocket sessions read from a HAR file (Chrome's _webSocketMessages) into a recording.
 */
#include "ms_har.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ms_err.h"

#define PATH_LEN 160 /* a JSON path in a message */
#define AT_LEN 48    /* "$.log.entries[N]" */

struct ctx {
    const char *origin;
    char *err;
    size_t errlen;
};

static int fail(struct ctx *c, int rc, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes "ORIGIN: WHERE: message" into the error buffer and returns rc. */
static int fail(struct ctx *c, int rc, const char *where, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->errlen)
        snprintf(c->err, c->errlen, "%s: %s: %s", c->origin, where, msg);
    return rc;
}

static const char *kind(const cJSON *v)
{
    if (!v)
        return "nothing";
    if (cJSON_IsObject(v))
        return "an object";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsBool(v))
        return "a boolean";
    return "null";
}

enum want { W_OBJ, W_ARR, W_STR, W_NUM };

static int is(const cJSON *v, enum want w)
{
    switch (w) {
    case W_OBJ:
        return cJSON_IsObject(v);
    case W_ARR:
        return cJSON_IsArray(v);
    case W_STR:
        return cJSON_IsString(v);
    case W_NUM:
        return cJSON_IsNumber(v);
    }
    return 0;
}

static const char *const want_names[] = {"an object", "an array", "a string", "a number"};

/*
 * obj.key (obj at path) must be of type w: *out gets it (NULL when it is missing and optional).
 * Returns 0 or the error.
 */
static int member(struct ctx *c, const cJSON *obj, const char *path, const char *key, enum want w,
                  int required, const cJSON **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!v && !required)
        return 0;
    if (!v || !is(v, w)) {
        char where[PATH_LEN];
        snprintf(where, sizeof where, "%s.%s", path, key);
        return fail(c, MS_ERR_INVALID, where, "expected %s, got %s", want_names[w], kind(v));
    }
    *out = v;
    return 0;
}

static int digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char ch = (*s)[i];
        if (ch < '0' || ch > '9')
            return -1;
        v = v * 10 + (ch - '0');
    }
    *s += n;
    *out = v;
    return 0;
}

int ms_har_parse_time(const char *text, long long *epoch_us)
{
    const char *s = text;
    int y, mo, d, h, mi, sec;
    if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) || *s++ != '-' ||
        digits(&s, 2, &d) || (*s != 'T' && *s != ' '))
        return MS_ERR_PARSE;
    s++;
    if (digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi) || *s++ != ':' ||
        digits(&s, 2, &sec))
        return MS_ERR_PARSE;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return MS_ERR_PARSE;
    long long us = 0;
    if (*s == '.') {
        s++;
        int n = 0;
        long long scale = 100000;
        while (*s >= '0' && *s <= '9') {
            us += (*s - '0') * scale;
            scale /= 10;
            s++;
            n++;
        }
        if (!n)
            return MS_ERR_PARSE;
    }
    long offset = 0;
    if (*s == 'Z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        int sign = *s == '-' ? -1 : 1, oh, om;
        s++;
        if (digits(&s, 2, &oh) || (*s == ':' && !++s) || digits(&s, 2, &om) || oh > 23 || om > 59)
            return MS_ERR_PARSE;
        offset = sign * (oh * 3600L + om * 60L);
    }
    if (*s)
        return MS_ERR_PARSE;
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = sec};
    time_t t = timegm(&tm);
    *epoch_us = ((long long)t - offset) * 1000000LL + us;
    return 0;
}

/* Copies the path of a URL ("ws://host:port/ws/x?y" -> "/ws/x") into buf. */
static int url_path(const char *url, char *buf, size_t len)
{
    const char *p = strstr(url, "://");
    if (!p)
        return MS_ERR_PARSE;
    p = p + 3 + strcspn(p + 3, "/?#");
    size_t n = *p == '/' ? strcspn(p, "?#") : 0;
    if (n + 2 > len)
        return MS_ERR_PARSE;
    if (n)
        memcpy(buf, p, n);
    else
        buf[n++] = '/';
    buf[n] = '\0';
    return 0;
}

/* One WebSocket entry, for sorting. */
struct wsentry {
    const cJSON *e;
    size_t index;
    long long started_us;
};

static int by_start(const void *a, const void *b)
{
    const struct wsentry *x = a, *y = b;
    if (x->started_us != y->started_us)
        return x->started_us < y->started_us ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int str_eq(const cJSON *v, const char *s)
{
    return cJSON_IsString(v) && !strcmp(v->valuestring, s);
}

/* 1 if the entry (already checked to have request.url and response.status) is a WebSocket. */
static int is_websocket(const cJSON *e)
{
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(e, "request");
    const cJSON *resp = cJSON_GetObjectItemCaseSensitive(e, "response");
    const char *url = cJSON_GetObjectItemCaseSensitive(req, "url")->valuestring;
    return str_eq(cJSON_GetObjectItemCaseSensitive(e, "_resourceType"), "websocket") ||
           cJSON_GetObjectItemCaseSensitive(resp, "status")->valuedouble == 101 ||
           cJSON_GetObjectItemCaseSensitive(e, "_webSocketMessages") ||
           !strncasecmp(url, "ws://", 5) || !strncasecmp(url, "wss://", 6);
}

/* The refusal of a non-101 WebSocket entry. */
static int refuse(struct ctx *c, struct ms_recording *rec, int conn, const cJSON *resp,
                  const char *at, int status)
{
    char path[PATH_LEN + 48];
    const cJSON *headers, *content, *text = NULL, *enc = NULL;
    int rc = member(c, resp, at, "headers", W_ARR, 0, &headers);
    if (!rc)
        rc = member(c, resp, at, "content", W_OBJ, 0, &content);
    if (rc)
        return rc;
    if (content) {
        snprintf(path, sizeof path, "%s.content", at);
        rc = member(c, content, path, "text", W_STR, 0, &text);
        if (!rc)
            rc = member(c, content, path, "encoding", W_STR, 0, &enc);
        if (rc)
            return rc;
    }
    size_t n = (size_t)cJSON_GetArraySize(headers);
    const char **pairs = calloc(2 * n + 1, sizeof *pairs);
    if (!pairs)
        return fail(c, MS_ERR_OOM, at, "out of memory");
    size_t k = 0, i = 0;
    for (const cJSON *h = headers ? headers->child : NULL; h; h = h->next, i++) {
        const cJSON *name, *value;
        snprintf(path, sizeof path, "%s.headers[%zu]", at, i);
        if (!cJSON_IsObject(h)) {
            rc = fail(c, MS_ERR_INVALID, path, "expected an object, got %s", kind(h));
            break;
        }
        rc = member(c, h, path, "name", W_STR, 1, &name);
        if (!rc)
            rc = member(c, h, path, "value", W_STR, 1, &value);
        if (rc)
            break;
        pairs[k++] = name->valuestring;
        pairs[k++] = value->valuestring;
    }
    unsigned char *body = NULL;
    size_t body_len = 0;
    if (!rc && text) {
        if (enc && !strcmp(enc->valuestring, "base64")) {
            rc = ms_rec_base64_decode(text->valuestring, &body, &body_len);
            if (rc == MS_ERR_PARSE) {
                snprintf(path, sizeof path, "%s.content.text", at);
                rc = fail(c, MS_ERR_INVALID, path, "not valid base64");
            } else if (rc) {
                rc = fail(c, rc, at, "out of memory");
            }
        } else {
            body_len = strlen(text->valuestring);
            body = (unsigned char *)strdup(text->valuestring);
            if (!body)
                rc = fail(c, MS_ERR_OOM, at, "out of memory");
        }
    }
    if (!rc && ms_recording_refuse(rec, conn, status, pairs, body, body_len))
        rc = fail(c, MS_ERR_OOM, at, "out of memory");
    free(body);
    free(pairs);
    return rc;
}

/* The opening time of an accepted entry: startedDateTime plus the timings before the answer. */
static long long open_time(const cJSON *e, long long started_us)
{
    static const char *const phases[] = {"blocked", "dns", "connect", "send", "wait"};
    const cJSON *timings = cJSON_GetObjectItemCaseSensitive(e, "timings");
    double ms = 0;
    for (size_t i = 0; i < sizeof phases / sizeof *phases; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(timings, phases[i]);
        if (cJSON_IsNumber(v) && v->valuedouble > 0)
            ms += v->valuedouble;
    }
    return started_us + llround(ms * 1000.0);
}

static int messages(struct ctx *c, struct ms_recording *rec, int conn, const cJSON *e,
                    const char *at, long long started_us)
{
    const cJSON *msgs;
    int rc = member(c, e, at, "_webSocketMessages", W_ARR, 0, &msgs);
    if (rc)
        return rc;
    char path[PATH_LEN], where[PATH_LEN + 32];
    long long open_us = open_time(e, started_us);
    size_t i = 0;
    /* Check every message first: the open time depends on the first one. */
    for (const cJSON *m = msgs ? msgs->child : NULL; m; m = m->next, i++) {
        const cJSON *type, *time, *opcode, *data;
        snprintf(path, sizeof path, "%s._webSocketMessages[%zu]", at, i);
        if (!cJSON_IsObject(m))
            return fail(c, MS_ERR_INVALID, path, "expected an object, got %s", kind(m));
        if ((rc = member(c, m, path, "type", W_STR, 1, &type)) ||
            (rc = member(c, m, path, "time", W_NUM, 1, &time)) ||
            (rc = member(c, m, path, "opcode", W_NUM, 1, &opcode)) ||
            (rc = member(c, m, path, "data", W_STR, 1, &data)))
            return rc;
        if (strcmp(type->valuestring, "send") && strcmp(type->valuestring, "receive")) {
            snprintf(where, sizeof where, "%s.type", path);
            return fail(c, MS_ERR_INVALID, where, "expected \"send\" or \"receive\", got \"%.40s\"",
                        type->valuestring);
        }
        if (opcode->valuedouble != 1 && opcode->valuedouble != 2) {
            snprintf(where, sizeof where, "%s.opcode", path);
            return fail(c, MS_ERR_INVALID, where, "expected 1 (text) or 2 (binary), got %g",
                        opcode->valuedouble);
        }
        if (!isfinite(time->valuedouble) || time->valuedouble < 0) {
            snprintf(where, sizeof where, "%s.time", path);
            return fail(c, MS_ERR_INVALID, where, "expected epoch seconds, got %g",
                        time->valuedouble);
        }
        long long t = llround(time->valuedouble * 1e6);
        if (i == 0 && t < open_us)
            open_us = t;
    }
    if (ms_recording_accept(rec, conn, open_us))
        return fail(c, MS_ERR_OOM, at, "out of memory");
    i = 0;
    for (const cJSON *m = msgs ? msgs->child : NULL; m; m = m->next, i++) {
        int send = !strcmp(cJSON_GetObjectItemCaseSensitive(m, "type")->valuestring, "send");
        int binary = cJSON_GetObjectItemCaseSensitive(m, "opcode")->valuedouble == 2;
        long long t = llround(cJSON_GetObjectItemCaseSensitive(m, "time")->valuedouble * 1e6);
        const char *data = cJSON_GetObjectItemCaseSensitive(m, "data")->valuestring;
        unsigned char *bytes = NULL;
        size_t n = strlen(data);
        if (binary) {
            rc = ms_rec_base64_decode(data, &bytes, &n);
            if (rc == MS_ERR_PARSE) {
                snprintf(where, sizeof where, "%s._webSocketMessages[%zu].data", at, i);
                return fail(c, MS_ERR_INVALID, where, "opcode 2 data is not valid base64");
            }
            if (rc)
                return fail(c, rc, at, "out of memory");
        }
        const void *p = binary ? (const void *)bytes : (const void *)data;
        rc = send ? ms_recording_client_message(rec, conn, t, binary, p, n)
                  : ms_recording_server_message(rec, conn, t, binary, p, n);
        free(bytes);
        if (rc)
            return fail(c, rc, at, "out of memory");
    }
    return 0;
}

static int import(struct ctx *c, const cJSON *root, struct ms_recording *rec, char *source,
                  size_t srclen, char *recorded_on, size_t dlen)
{
    const cJSON *log, *entries;
    int rc;
    if (!cJSON_IsObject(root))
        return fail(c, MS_ERR_INVALID, "$", "expected an object, got %s", kind(root));
    if ((rc = member(c, root, "$", "log", W_OBJ, 1, &log)) ||
        (rc = member(c, log, "$.log", "entries", W_ARR, 1, &entries)))
        return rc;
    size_t n = (size_t)cJSON_GetArraySize(entries), nws = 0, i = 0;
    struct wsentry *ws = calloc(n ? n : 1, sizeof *ws);
    if (!ws)
        return fail(c, MS_ERR_OOM, "$.log.entries", "out of memory");
    char at[AT_LEN], path[PATH_LEN];
    for (const cJSON *e = entries->child; e; e = e->next, i++) {
        const cJSON *req, *resp, *url, *status, *started;
        snprintf(at, sizeof at, "$.log.entries[%zu]", i);
        if (!cJSON_IsObject(e)) {
            rc = fail(c, MS_ERR_INVALID, at, "expected an object, got %s", kind(e));
            goto out;
        }
        snprintf(path, sizeof path, "%s.request", at);
        if ((rc = member(c, e, at, "request", W_OBJ, 1, &req)) ||
            (rc = member(c, req, path, "url", W_STR, 1, &url)))
            goto out;
        snprintf(path, sizeof path, "%s.response", at);
        if ((rc = member(c, e, at, "response", W_OBJ, 1, &resp)) ||
            (rc = member(c, resp, path, "status", W_NUM, 1, &status)))
            goto out;
        if (!is_websocket(e)) {
            ms_recording_http(rec);
            continue;
        }
        if ((rc = member(c, e, at, "startedDateTime", W_STR, 1, &started)))
            goto out;
        ws[nws].e = e;
        ws[nws].index = i;
        if (ms_har_parse_time(started->valuestring, &ws[nws].started_us)) {
            snprintf(path, sizeof path, "%s.startedDateTime", at);
            rc = fail(c, MS_ERR_INVALID, path, "expected an ISO 8601 date and time, got \"%.40s\"",
                      started->valuestring);
            goto out;
        }
        if (!strstr(url->valuestring, "://")) {
            snprintf(path, sizeof path, "%s.request.url", at);
            rc = fail(c, MS_ERR_INVALID, path, "expected an absolute URL, got \"%.60s\"",
                      url->valuestring);
            goto out;
        }
        nws++;
    }
    if (!nws) {
        rc = fail(c, MS_ERR_INVALID, "$.log.entries",
                  "no WebSocket entry (one with _resourceType \"websocket\", status 101, "
                  "_webSocketMessages or a ws:// URL)");
        goto out;
    }
    qsort(ws, nws, sizeof *ws, by_start);
    for (size_t k = 0; k < nws; k++) {
        const cJSON *e = ws[k].e;
        const cJSON *req = cJSON_GetObjectItemCaseSensitive(e, "request");
        const cJSON *resp = cJSON_GetObjectItemCaseSensitive(e, "response");
        const char *url = cJSON_GetObjectItemCaseSensitive(req, "url")->valuestring;
        double st = cJSON_GetObjectItemCaseSensitive(resp, "status")->valuedouble;
        snprintf(at, sizeof at, "$.log.entries[%zu]", ws[k].index);
        char *upath = malloc(strlen(url) + 2);
        if (!upath) {
            rc = fail(c, MS_ERR_OOM, at, "out of memory");
            goto out;
        }
        url_path(url, upath, strlen(url) + 2);
        int conn = ms_recording_upgrade(rec, upath);
        free(upath);
        if (conn == MS_ERR_INVALID) {
            snprintf(path, sizeof path, "%s.request.url", at);
            rc = fail(c, MS_ERR_INVALID, path,
                      "a path with '*' cannot be written in a scenario, got \"%.60s\"", url);
            goto out;
        }
        if (conn < 0) {
            rc = fail(c, MS_ERR_OOM, at, "out of memory");
            goto out;
        }
        snprintf(path, sizeof path, "%s.response", at);
        if (st == 101) {
            rc = messages(c, rec, conn, e, at, ws[k].started_us);
        } else if (st >= 100 && st <= 599 && st == floor(st)) {
            rc = refuse(c, rec, conn, resp, path, (int)st);
        } else if (st <= 0) {
            rc = ms_recording_reset(rec, conn) ? fail(c, MS_ERR_OOM, at, "out of memory") : 0;
        } else {
            snprintf(path, sizeof path, "%s.response.status", at);
            rc = fail(c, MS_ERR_INVALID, path, "expected an HTTP status, got %g", st);
        }
        if (rc)
            goto out;
        if (k == 0) {
            const char *sep = strstr(url, "://");
            size_t len = (size_t)(sep - url) + 3 + strcspn(sep + 3, "/?#");
            snprintf(source, srclen, "%.*s", (int)len, url);
            snprintf(recorded_on, dlen, "%s",
                     cJSON_GetObjectItemCaseSensitive(e, "startedDateTime")->valuestring);
        }
    }
    rc = 0;
out:
    free(ws);
    return rc;
}

int ms_har_import(const char *text, size_t len, const char *origin, struct ms_recording *rec,
                  char *source, size_t srclen, char *recorded_on, size_t dlen, char *err,
                  size_t errlen)
{
    struct ctx c = {.origin = origin, .err = err, .errlen = errlen};
    if (errlen)
        err[0] = '\0';
    size_t skip = len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3) ? 3 : 0; /* a UTF-8 BOM */
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text + skip, len - skip, &end, 0);
    if (!root) {
        size_t at = end ? (size_t)(end - text) : 0, line = 1, col = 1;
        if (at > len)
            at = len;
        for (size_t i = 0; i < at; i++) {
            if (text[i] == '\n') {
                line++;
                col = 1;
            } else if (i >= skip) {
                col++;
            }
        }
        if (errlen)
            snprintf(err, errlen, "%s:%zu:%zu: JSON syntax error", origin, line, col);
        return MS_ERR_PARSE;
    }
    const char *stop = end;
    while (stop && stop < text + len &&
           (*stop == ' ' || *stop == '\t' || *stop == '\n' || *stop == '\r'))
        stop++;
    if (stop && stop < text + len) {
        cJSON_Delete(root);
        if (errlen)
            snprintf(err, errlen, "%s: JSON syntax error: extra data after the top-level value",
                     origin);
        return MS_ERR_PARSE;
    }
    int rc = import(&c, root, rec, source, srclen, recorded_on, dlen);
    cJSON_Delete(root);
    return rc;
}
