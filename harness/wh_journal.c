/* wh_journal -- reads a wsmock journal from a JSON-lines file or a running wsmock over HTTP. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "wh_journal.h"
#include "wh_wsclient.h"

#define BODY_MAX (64u << 20)

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline (>= 0). */
static int left_ms(long long deadline)
{
    long long d = deadline - mono_ms();
    return d < 0 ? 0 : d > 1000000000 ? 1000000000 : (int)d;
}

/* ---- events ---- */

static int is_num(const cJSON *o, const char *k)
{
    return cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, k));
}

static int is_str(const cJSON *o, const char *k)
{
    return cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* The problem with an event (NULL if none): what backoff and the others rely on. */
static const char *event_problem(const cJSON *ev)
{
    if (!cJSON_IsObject(ev))
        return "not a JSON object";
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(ev, "type");
    if (!cJSON_IsString(type))
        return "an event without a string \"type\"";
    const char *t = type->valuestring;
    if (strcmp(t, "upgrade") && strcmp(t, "open") && strcmp(t, "close"))
        return NULL;
    if (!is_num(ev, "seq") || !is_num(ev, "t_ms"))
        return "a connection event without a numeric seq and t_ms";
    if (!is_num(ev, "conn") || !is_str(ev, "path"))
        return "a connection event without a numeric conn and a string path";
    if (!strcmp(t, "close") && (!is_num(ev, "code") || !is_str(ev, "by")))
        return "a close event without a numeric code and a string by";
    if (!strcmp(t, "upgrade") && !is_str(ev, "outcome"))
        return "an upgrade event without a string outcome";
    return NULL;
}

void wh_journal_free(struct wh_journal *j)
{
    cJSON_Delete(j->events);
    j->events = NULL;
}

/* 1 if the line holds only white space. */
static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

int wh_journal_parse(const char *text, size_t len, const char *origin, struct wh_journal *j,
                     char *err, size_t errlen)
{
    *j = (struct wh_journal){0};
    unsigned long lineno = 0;
    if (!(j->events = cJSON_CreateArray()))
        goto oom;
    for (size_t off = 0; off < len;) {
        const char *line = text + off, *nl = memchr(line, '\n', len - off);
        size_t n = nl ? (size_t)(nl - line) + 1 : len - off; /* with its '\n', as getline() */
        off += n;
        lineno++;
        if (blank(line, n))
            continue;
        const char *end = NULL;
        cJSON *ev = cJSON_ParseWithLengthOpts(line, n, &end, 0);
        if (!ev) {
            snprintf(err, errlen, "%s:%lu: not JSON (column %ld)", origin, lineno,
                     end ? (long)(end - line) + 1 : 1L);
            goto fail;
        }
        if (!blank(end, (size_t)(line + n - end))) {
            cJSON_Delete(ev);
            snprintf(err, errlen, "%s:%lu: more than one JSON value on the line", origin, lineno);
            goto fail;
        }
        const char *problem = event_problem(ev);
        if (problem) {
            cJSON_Delete(ev);
            snprintf(err, errlen, "%s:%lu: %s", origin, lineno, problem);
            goto fail;
        }
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(ev, "type");
        if (!strcmp(type->valuestring, "reset")) {
            /* the journal was cleared: seq and t_ms start again */
            cJSON_Delete(ev);
            j->resets += cJSON_GetArraySize(j->events) > 0; /* wsmock starts files with one */
            cJSON_Delete(j->events);
            if (!(j->events = cJSON_CreateArray()))
                goto oom;
            continue;
        }
        if (!cJSON_AddItemToArray(j->events, ev)) {
            cJSON_Delete(ev);
            goto oom;
        }
    }
    return 0;
oom:
    snprintf(err, errlen, "%s: out of memory", origin);
fail:
    wh_journal_free(j);
    return -1;
}

int wh_journal_read_file(const char *file, struct wh_journal *j, char *err, size_t errlen)
{
    *j = (struct wh_journal){0};
    FILE *f = fopen(file, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", file, strerror(errno));
        return -1;
    }
    char *text = NULL;
    size_t len = 0, cap = 0, got;
    errno = 0;
    do {
        if (cap - len < 4096) {
            char *n = realloc(text, cap = cap * 2 + 65536);
            if (!n) {
                free(text);
                fclose(f);
                snprintf(err, errlen, "%s: out of memory", file);
                return -1;
            }
            text = n;
        }
        got = fread(text + len, 1, cap - len, f);
        len += got;
    } while (got > 0);
    if (ferror(f)) {
        snprintf(err, errlen, "%s: %s", file, strerror(errno ? errno : EIO));
        free(text);
        fclose(f);
        return -1;
    }
    fclose(f);
    int rc = wh_journal_parse(text, len, file, j, err, errlen);
    free(text);
    return rc;
}

/* ---- HTTP ---- */

/* Splits "http://HOST[:PORT][/PATH]" (HOST may be [v6]). Returns 0 or -1. */
int wh_journal_http_get(const char *url, long timeout_ms, int *status, char **body, size_t *len,
                        char *err, size_t errlen)
{
    struct wh_url u;
    if (wh_url_parse(url, &u) || strcmp(u.scheme, "http")) {
        snprintf(err, errlen, "not an http://HOST:PORT URL");
        return -1;
    }
    static const char *const headers[] = {"Accept: application/json", NULL};
    struct wh_http_result r;
    wh_http_request(u.host, u.port, "GET", u.path, headers, NULL, 0, timeout_ms, &r);
    if (r.err) {
        if (r.err == WH_NET_ERR_TIMEOUT)
            snprintf(err, errlen, "no complete answer within %ld ms", timeout_ms);
        else
            snprintf(err, errlen, "%s", r.detail);
        wh_http_result_free(&r);
        return -1;
    }
    *status = r.resp.status;
    *body = (char *)r.resp.body; /* taken over from the response */
    *len = r.resp.body_len;
    r.resp.body = NULL;
    wh_http_result_free(&r);
    if (!*body && !(*body = calloc(1, 1))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static void encode(const char *s, char *out, size_t outlen)
{
    size_t o = 0;
    for (; *s && o + 4 < outlen; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~/", c))
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, outlen - o, "%%%02X", c);
    }
    out[o] = '\0';
}

static int by_seq(const void *a, const void *b)
{
    double x = cJSON_GetObjectItemCaseSensitive(*(cJSON *const *)a, "seq")->valuedouble;
    double y = cJSON_GetObjectItemCaseSensitive(*(cJSON *const *)b, "seq")->valuedouble;
    return x < y ? -1 : x > y;
}

int wh_journal_fetch(const char *base_url, const char *path, uint64_t since, long timeout_ms,
                     struct wh_journal *j, char *err, size_t errlen)
{
    static const char *const types[] = {"upgrade", "open", "close"};
    *j = (struct wh_journal){0};
    size_t bl = strlen(base_url);
    while (bl && base_url[bl - 1] == '/')
        bl--;
    char enc[1024], url[2048], why[256];
    encode(path, enc, sizeof(enc));
    cJSON *answers[3] = {0};
    cJSON **all = NULL;
    size_t n = 0;
    long long deadline = mono_ms() + timeout_ms;
    int rc = -1;
    for (int t = 0; t < 3; t++) {
        snprintf(url, sizeof(url), "%.*s/__mock/journal?since=%llu&type=%s&path=%s", (int)bl,
                 base_url, (unsigned long long)since, types[t], enc);
        int status;
        char *body;
        size_t len;
        if (wh_journal_http_get(url, left_ms(deadline), &status, &body, &len, why, sizeof(why))) {
            snprintf(err, errlen, "%s: %s", base_url, why);
            goto out;
        }
        if (status != 200) {
            free(body);
            snprintf(err, errlen, "%s: GET /__mock/journal answered HTTP %d%s", base_url, status,
                     status == 404 ? " (not a wsmock, or one started with --no-control)" : "");
            goto out;
        }
        answers[t] = cJSON_ParseWithLength(body, len);
        free(body);
        cJSON *evs = cJSON_GetObjectItemCaseSensitive(answers[t], "events");
        if (!cJSON_IsArray(evs)) {
            snprintf(err, errlen,
                     "%s: GET /__mock/journal did not answer a journal "
                     "({\"events\":[...]})",
                     base_url);
            goto out;
        }
        const cJSON *dropped = cJSON_GetObjectItemCaseSensitive(answers[t], "dropped");
        if (cJSON_IsNumber(dropped) && dropped->valuedouble > (double)j->dropped)
            j->dropped = (unsigned long)dropped->valuedouble;
        const cJSON *ev;
        cJSON_ArrayForEach(ev, evs)
        {
            const char *problem = event_problem(ev);
            if (problem) {
                const cJSON *seq = cJSON_GetObjectItemCaseSensitive(ev, "seq");
                snprintf(err, errlen, "%s: journal event %.0f: %s", base_url,
                         cJSON_IsNumber(seq) ? seq->valuedouble : -1.0, problem);
                goto out;
            }
            n++;
        }
    }
    all = calloc(n ? n : 1, sizeof(*all));
    if (!all || !(j->events = cJSON_CreateArray())) {
        snprintf(err, errlen, "%s: out of memory", base_url);
        goto out;
    }
    size_t k = 0;
    for (int t = 0; t < 3; t++) {
        cJSON *evs = cJSON_GetObjectItemCaseSensitive(answers[t], "events");
        while (evs->child)
            all[k++] = cJSON_DetachItemViaPointer(evs, evs->child);
    }
    qsort(all, n, sizeof(*all), by_seq);
    for (k = 0; k < n; k++)
        cJSON_AddItemToArray(j->events, all[k]);
    n = 0;
    rc = 0;
out:
    for (size_t i = 0; i < n && all; i++)
        cJSON_Delete(all[i]);
    free(all);
    for (int t = 0; t < 3; t++)
        cJSON_Delete(answers[t]);
    if (rc)
        wh_journal_free(j);
    return rc;
}
