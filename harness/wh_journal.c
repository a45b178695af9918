/* wh_journal -- reads a wsmock journal from a JSON-lines file or a running wsmock over HTTP. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "wh_journal.h"

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

int wh_journal_read_file(const char *file, struct wh_journal *j, char *err, size_t errlen)
{
    *j = (struct wh_journal){0};
    FILE *f = fopen(file, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", file, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long lineno = 0;
    if (!(j->events = cJSON_CreateArray()))
        goto oom;
    errno = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (blank(line, (size_t)n))
            continue;
        const char *end = NULL;
        cJSON *ev = cJSON_ParseWithLengthOpts(line, (size_t)n, &end, 0);
        if (!ev) {
            snprintf(err, errlen, "%s:%lu: not JSON (column %ld)", file, lineno,
                     end ? (long)(end - line) + 1 : 1L);
            goto fail;
        }
        if (!blank(end, (size_t)(line + n - end))) {
            cJSON_Delete(ev);
            snprintf(err, errlen, "%s:%lu: more than one JSON value on the line", file, lineno);
            goto fail;
        }
        const char *problem = event_problem(ev);
        if (problem) {
            cJSON_Delete(ev);
            snprintf(err, errlen, "%s:%lu: %s", file, lineno, problem);
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
    if (ferror(f)) {
        snprintf(err, errlen, "%s: %s", file, strerror(errno ? errno : EIO));
        goto fail;
    }
    free(line);
    fclose(f);
    return 0;
oom:
    snprintf(err, errlen, "%s: out of memory", file);
fail:
    free(line);
    fclose(f);
    wh_journal_free(j);
    return -1;
}

/* ---- HTTP ---- */

/* Splits "http://HOST[:PORT][/PATH]" (HOST may be [v6]). Returns 0 or -1. */
static int split_url(const char *url, char *host, size_t hlen, char *port, size_t plen,
                     const char **rest)
{
    if (strncasecmp(url, "http://", 7))
        return -1;
    const char *h = url + 7, *he;
    if (*h == '[') {
        he = strchr(h, ']');
        if (!he)
            return -1;
        h++;
    } else {
        he = h + strcspn(h, ":/?#");
    }
    size_t n = (size_t)(he - h);
    if (!n || n >= hlen)
        return -1;
    memcpy(host, h, n);
    host[n] = '\0';
    const char *p = *he == ']' ? he + 1 : he;
    snprintf(port, plen, "80");
    if (*p == ':') {
        size_t pn = strspn(p + 1, "0123456789");
        if (!pn || pn >= plen || (p[1 + pn] && p[1 + pn] != '/' && p[1 + pn] != '?'))
            return -1;
        memcpy(port, p + 1, pn);
        port[pn] = '\0';
        p += 1 + pn;
    } else if (*p && *p != '/' && *p != '?') {
        return -1;
    }
    *rest = p;
    return 0;
}

/* Connects to host:port before the deadline. Returns the socket or -1 with err. */
static int connect_by(const char *host, const char *port, long long deadline, char *err,
                      size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = -1, last = ECONNREFUSED;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            last = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS) {
            last = errno;
            close(fd);
            fd = -1;
            continue;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        int soerr = 0;
        socklen_t sl = sizeof(soerr);
        int pr = poll(&pfd, 1, left_ms(deadline));
        if (pr == 1 && !getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) && !soerr)
            break;
        last = pr == 0 ? ETIMEDOUT : soerr ? soerr : errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        snprintf(err, errlen, "cannot connect to %s port %s: %s", host, port, strerror(last));
    return fd;
}

/* Finds a header's value in head (NUL-terminated, lines end in CRLF); copies it into out. */
static int header_value(const char *head, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    for (const char *l = strstr(head, "\r\n"); l; l = strstr(l, "\r\n")) {
        l += 2;
        if (!strncasecmp(l, name, nl) && l[nl] == ':') {
            const char *v = l + nl + 1;
            v += strspn(v, " \t");
            size_t n = strcspn(v, "\r\n");
            while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
                n--;
            snprintf(out, outlen, "%.*s", (int)n, v);
            return 1;
        }
    }
    return 0;
}

/* Decodes a chunked body (in place when apply). Returns its length, -1 if incomplete, -2 if
 * malformed. */
static long dechunk(char *b, size_t n, int apply)
{
    size_t in = 0, out = 0;
    for (;;) {
        char *crlf = memmem(b + in, n - in, "\r\n", 2);
        if (!crlf)
            return -1;
        char *end;
        unsigned long size = strtoul(b + in, &end, 16);
        if (end == b + in || (end != crlf && *end != ';' && *end != ' '))
            return -2;
        in = (size_t)(crlf - b) + 2;
        if (!size) /* trailers are not needed: the body is complete */
            return (long)out;
        if (size > n - in || n - in - size < 2)
            return -1;
        if (memcmp(b + in + size, "\r\n", 2))
            return -2;
        if (apply)
            memmove(b + out, b + in, size);
        out += size;
        in += size + 2;
    }
}

/* Parses the status line and the headers that frame the body. Returns 0 or -1. */
static int parse_head(char *buf, size_t head_len, int *status, long *content_length, int *chunked)
{
    char save = buf[head_len - 2];
    buf[head_len - 2] = '\0'; /* the head ends in CRLF; the blank line's CRLF is cut off */
    int major, minor, code, used = 0;
    int ok = sscanf(buf, "HTTP/%d.%d %3d%n", &major, &minor, &code, &used) == 3 && used == 12 &&
             code >= 100 && code <= 599;
    char v[64];
    *content_length = -1;
    *chunked = 0;
    if (ok && header_value(buf, "content-length", v, sizeof(v))) {
        char *end;
        errno = 0;
        long cl = strtol(v, &end, 10);
        if (*end || errno || cl < 0)
            ok = 0;
        *content_length = cl;
    }
    if (ok && header_value(buf, "transfer-encoding", v, sizeof(v)))
        *chunked = strcasestr(v, "chunked") != NULL;
    buf[head_len - 2] = save;
    *status = code;
    return ok ? 0 : -1;
}

int wh_journal_http_get(const char *url, long timeout_ms, int *status, char **body, size_t *len,
                        char *err, size_t errlen)
{
    char host[256], port[8];
    const char *rest;
    if (split_url(url, host, sizeof(host), port, sizeof(port), &rest)) {
        snprintf(err, errlen, "not an http://HOST:PORT URL");
        return -1;
    }
    long long deadline = mono_ms() + timeout_ms;
    int fd = connect_by(host, port, deadline, err, errlen);
    if (fd < 0)
        return -1;
    int v6 = strchr(host, ':') != NULL, dflt = !strcmp(port, "80");
    char *req = NULL, *buf = NULL;
    int rn = asprintf(&req,
                      "GET %s HTTP/1.1\r\nHost: %s%s%s%s%s\r\nUser-Agent: wsharness\r\n"
                      "Accept: application/json\r\nConnection: close\r\n\r\n",
                      *rest ? rest : "/", v6 ? "[" : "", host, v6 ? "]" : "", dflt ? "" : ":",
                      dflt ? "" : port);
    if (rn < 0) {
        req = NULL;
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (size_t sent = 0; sent < (size_t)rn;) {
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        if (poll(&pfd, 1, left_ms(deadline)) != 1) {
            snprintf(err, errlen, "could not send the request within %ld ms", timeout_ms);
            goto fail;
        }
        ssize_t w = send(fd, req + sent, (size_t)rn - sent, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN && errno != EINTR) {
            snprintf(err, errlen, "sending the request: %s", strerror(errno));
            goto fail;
        }
        sent += w > 0 ? (size_t)w : 0;
    }
    size_t have = 0, cap = 0, head_len = 0;
    long content_length = -1;
    int chunked = 0, eof = 0;
    for (;;) {
        if (!head_len) {
            char *e = have ? memmem(buf, have, "\r\n\r\n", 4) : NULL;
            if (e) {
                head_len = (size_t)(e - buf) + 4;
                if (parse_head(buf, head_len, status, &content_length, &chunked)) {
                    snprintf(err, errlen, "the answer is not HTTP");
                    goto fail;
                }
            }
        }
        if (head_len && content_length >= 0 && have - head_len >= (size_t)content_length)
            break;
        if (head_len && chunked && dechunk(buf + head_len, have - head_len, 0) != -1)
            break;
        if (eof)
            break;
        if (have - head_len > BODY_MAX) {
            snprintf(err, errlen, "the answer is larger than %u MiB", BODY_MAX >> 20);
            goto fail;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int pr = poll(&pfd, 1, left_ms(deadline));
        if (pr == 0) {
            snprintf(err, errlen, "no complete answer within %ld ms", timeout_ms);
            goto fail;
        }
        if (pr < 0 && errno != EINTR) {
            snprintf(err, errlen, "poll: %s", strerror(errno));
            goto fail;
        }
        if (have + 65536 + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 131072;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                snprintf(err, errlen, "out of memory");
                goto fail;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = recv(fd, buf + have, cap - have - 1, 0);
        if (r == 0)
            eof = 1;
        else if (r > 0)
            have += (size_t)r;
        else if (errno != EAGAIN && errno != EINTR) {
            snprintf(err, errlen, "reading the answer: %s", strerror(errno));
            goto fail;
        }
    }
    if (!head_len) {
        snprintf(err, errlen,
                 have ? "the answer is not HTTP" : "the connection closed without an answer");
        goto fail;
    }
    size_t n = have - head_len;
    if (chunked) {
        long d = dechunk(buf + head_len, n, 1);
        if (d < 0) {
            snprintf(err, errlen, d == -1 ? "the answer ended early" : "bad chunked encoding");
            goto fail;
        }
        n = (size_t)d;
    } else if (content_length >= 0) {
        if (n < (size_t)content_length) {
            snprintf(err, errlen, "the answer ended early (%zu of %ld bytes)", n, content_length);
            goto fail;
        }
        n = (size_t)content_length;
    }
    memmove(buf, buf + head_len, n);
    buf[n] = '\0';
    *body = buf;
    *len = n;
    free(req);
    close(fd);
    return 0;
fail:
    free(req);
    free(buf);
    close(fd);
    return -1;
}

/* ---- a running wsmock ---- */

/* Appends s to out, percent-encoding what a query value cannot hold. */
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
