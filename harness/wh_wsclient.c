/* wh_wsclient -- HTTP/1.1 requests and WebSocket client connections over TCP, with deadlines. */
#include "wh_wsclient.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "ms_ids.h"
#include "ms_time.h"
#include "ms_wsparse.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define MAX_HEAD (64 * 1024)
#define MAX_BODY (64 * 1024 * 1024)
#define MAX_MESSAGE (16 * 1024 * 1024) /* uvicorn's limit */
#define DEFAULT_WS_TIMEOUT_MS 5000

const char *wh_net_strerror(int err)
{
    switch (err) {
    case WH_NET_OK:
        return "ok";
    case WH_NET_ERR_OOM:
        return "out of memory";
    case WH_NET_ERR_URL:
        return "bad URL";
    case WH_NET_ERR_RESOLVE:
        return "host not found";
    case WH_NET_ERR_REFUSED:
        return "connection refused";
    case WH_NET_ERR_TIMEOUT:
        return "timed out";
    case WH_NET_ERR_IO:
        return "socket error";
    case WH_NET_ERR_CLOSED:
        return "connection closed by the peer";
    case WH_NET_ERR_PROTOCOL:
        return "protocol error";
    case WH_NET_ERR_TLS:
        return "the peer speaks TLS";
    case WH_NET_ERR_NO_TLS:
        return "TLS is not supported";
    case WH_NET_ERR_UPGRADE:
        return "upgrade refused";
    }
    return "unknown error";
}

/* ---- URLs ------------------------------------------------------------------------------------ */

int wh_url_parse(const char *text, struct wh_url *u)
{
    static const struct {
        const char *scheme;
        int port, tls;
    } schemes[] = {{"http", 80, 0}, {"ws", 80, 0}, {"https", 443, 1}, {"wss", 443, 1}};
    memset(u, 0, sizeof(*u));
    const char *sep = strstr(text, "://");
    if (!sep)
        return WH_NET_ERR_URL;
    size_t slen = (size_t)(sep - text);
    int known = -1;
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
        if (strlen(schemes[i].scheme) == slen && !strncasecmp(text, schemes[i].scheme, slen))
            known = (int)i;
    if (known < 0)
        return WH_NET_ERR_URL;
    snprintf(u->scheme, sizeof(u->scheme), "%s", schemes[known].scheme);
    u->tls = schemes[known].tls;
    u->port = schemes[known].port;

    const char *h = sep + 3;
    const char *end = h + strcspn(h, "/?#");
    const char *hend;
    const char *port = NULL;
    if (*h == '[') { /* [IPv6]:port */
        const char *rb = memchr(h, ']', (size_t)(end - h));
        if (!rb)
            return WH_NET_ERR_URL;
        h++;
        hend = rb;
        if (rb + 1 < end) {
            if (rb[1] != ':')
                return WH_NET_ERR_URL;
            port = rb + 2;
        }
    } else {
        const char *colon = memchr(h, ':', (size_t)(end - h));
        hend = colon ? colon : end;
        if (colon)
            port = colon + 1;
    }
    size_t hlen = (size_t)(hend - h);
    if (!hlen || hlen >= sizeof(u->host) || memchr(h, '@', hlen))
        return WH_NET_ERR_URL;
    memcpy(u->host, h, hlen);
    if (port) {
        long p = 0;
        if (port == end)
            return WH_NET_ERR_URL;
        for (const char *c = port; c < end; c++) {
            if (*c < '0' || *c > '9' || p > 65535)
                return WH_NET_ERR_URL;
            p = p * 10 + (*c - '0');
        }
        if (p < 1 || p > 65535)
            return WH_NET_ERR_URL;
        u->port = (int)p;
    }
    const char *path = end;
    size_t plen = strcspn(path, "#");
    if (plen >= sizeof(u->path) - 1)
        return WH_NET_ERR_URL;
    if (*path != '/')
        u->path[0] = '/';
    memcpy(u->path + (*path != '/'), path, plen);
    return 0;
}

void wh_url_hostport(const char *host, int port, char *out, size_t len)
{
    if (strchr(host, ':'))
        snprintf(out, len, "[%s]:%d", host, port);
    else
        snprintf(out, len, "%s:%d", host, port);
}

/* ---- a connection: socket, deadline-bound I/O, and the bytes read but not yet used ----------- */

struct conn {
    int fd;
    unsigned char *buf;
    size_t len, cap, pos; /* buf[pos..len) not yet consumed */
    int eof;
};

static double mono_ms(void)
{
    return (double)ms_time_mono_us() / 1000.0;
}

static int left_ms(int64_t deadline)
{
    int64_t left = deadline - ms_time_mono_ms();
    if (left <= 0)
        return 0;
    return left > 1000000 ? 1000000 : (int)left;
}

static void say(char *detail, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(char *detail, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, len, fmt, ap);
    va_end(ap);
}

/* Waits for fd to become ready for events (or to fail) by the deadline. 1 ready, 0 timed out. */
static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, left_ms(deadline));
        if (n > 0)
            return 1;
        if (n == 0)
            return 0;
        if (errno != EINTR)
            return 1; /* let the following call report the error */
    }
}

/* Connects to host:port (every address getaddrinfo gives, in order) by the deadline. */
static int tcp_connect(const char *host, int port, int64_t deadline, int *fd_out, char *detail,
                       size_t dlen)
{
    char portstr[8];
    snprintf(portstr, sizeof(portstr), "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(host, portstr, &hints, &res);
    if (gai) {
        say(detail, dlen, "cannot resolve %s: %s", host, gai_strerror(gai));
        return WH_NET_ERR_RESOLVE;
    }
    int err = WH_NET_ERR_REFUSED, last_errno = ECONNREFUSED;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd =
            socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            err = WH_NET_ERR_IO;
            continue;
        }
        int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (rc && errno == EINPROGRESS) {
            if (!wait_fd(fd, POLLOUT, deadline)) {
                close(fd);
                err = WH_NET_ERR_TIMEOUT;
                break;
            }
            int so = 0;
            socklen_t sl = sizeof(so);
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl))
                so = errno;
            rc = so ? -1 : 0;
            errno = so;
        }
        if (rc) {
            last_errno = errno;
            err = errno == ECONNREFUSED ? WH_NET_ERR_REFUSED : WH_NET_ERR_IO;
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        freeaddrinfo(res);
        *fd_out = fd;
        return 0;
    }
    freeaddrinfo(res);
    char hp[300];
    wh_url_hostport(host, port, hp, sizeof(hp));
    if (err == WH_NET_ERR_TIMEOUT)
        say(detail, dlen, "no answer to the TCP connect to %s in time", hp);
    else
        say(detail, dlen, "cannot connect to %s: %s", hp, strerror(last_errno));
    return err;
}

int wh_net_probe(const char *host, int port, long timeout_ms, double *ms, char *detail, size_t dlen)
{
    double t0 = mono_ms();
    int fd = -1;
    detail[0] = '\0';
    int err = tcp_connect(host, port, ms_time_mono_ms() + timeout_ms, &fd, detail, dlen);
    *ms = mono_ms() - t0;
    if (fd >= 0)
        close(fd);
    return err;
}

static int conn_write(struct conn *c, const void *data, size_t len, int64_t deadline, char *detail,
                      size_t dlen)
{
    const unsigned char *p = data;
    while (len) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (!wait_fd(c->fd, POLLOUT, deadline)) {
                say(detail, dlen, "could not send within the deadline");
                return WH_NET_ERR_TIMEOUT;
            }
            continue;
        }
        say(detail, dlen, "send: %s", strerror(errno));
        return errno == EPIPE || errno == ECONNRESET ? WH_NET_ERR_CLOSED : WH_NET_ERR_IO;
    }
    return 0;
}

/* Reads what is available (waiting until the deadline for something). Returns the number of bytes
 * added (> 0), 0 at EOF (c->eof set), or an error. */
static int conn_read(struct conn *c, int64_t deadline, char *detail, size_t dlen)
{
    if (c->eof)
        return 0;
    if (c->pos && c->pos == c->len)
        c->pos = c->len = 0;
    if (c->cap - c->len < 4096) {
        size_t ncap = c->cap ? c->cap * 2 : 8192;
        unsigned char *nb = realloc(c->buf, ncap + 1);
        if (!nb)
            return WH_NET_ERR_OOM;
        c->buf = nb;
        c->cap = ncap;
    }
    for (;;) {
        ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
        if (n > 0) {
            c->len += (size_t)n;
            c->buf[c->len] = '\0';
            return (int)n;
        }
        if (n == 0) {
            c->eof = 1;
            return 0;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            if (!wait_fd(c->fd, POLLIN, deadline)) {
                say(detail, dlen, "timed out");
                return WH_NET_ERR_TIMEOUT;
            }
            continue;
        }
        if (errno == ECONNRESET) {
            say(detail, dlen, "connection reset by the peer");
            return WH_NET_ERR_IO;
        }
        say(detail, dlen, "recv: %s", strerror(errno));
        return WH_NET_ERR_IO;
    }
}

/* Makes at least n unconsumed bytes available. Returns 0, or an error (WH_NET_ERR_CLOSED at EOF).
 */
static int conn_need(struct conn *c, size_t n, int64_t deadline, char *detail, size_t dlen)
{
    while (c->len - c->pos < n) {
        int r = conn_read(c, deadline, detail, dlen);
        if (r < 0)
            return r;
        if (r == 0) {
            say(detail, dlen, "the peer closed the connection in the middle of the answer");
            return WH_NET_ERR_CLOSED;
        }
    }
    return 0;
}

static void conn_close(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
    c->len = c->cap = c->pos = 0;
}

/* ---- HTTP responses ----------------------------------------------------------------------------
 */

void wh_http_response_free(struct wh_http_response *r)
{
    for (size_t i = 0; i < r->n_headers; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->headers);
    free(r->reason);
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

const char *wh_http_header(const struct wh_http_response *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (!strcasecmp(r->headers[i].name, name))
            return r->headers[i].value;
    return NULL;
}

static char *dup_trim(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    return strndup(s, n);
}

/* Parses the head (status line and headers, head_len bytes ending with the empty line). */
static int parse_head(struct wh_http_response *r, const char *head, size_t head_len, char *detail,
                      size_t dlen)
{
    r->head = strndup(head, head_len);
    if (!r->head)
        return WH_NET_ERR_OOM;
    r->head_len = head_len;
    const char *eol = strstr(r->head, "\r\n");
    int status = 0, used = 0;
    if (!eol || sscanf(r->head, "HTTP/%*1[0-9].%*1[0-9] %3d%n", &status, &used) != 1 ||
        status < 100 || status > 999 || used != 12) {
        say(detail, dlen, "not an HTTP status line: %.60s", r->head);
        return WH_NET_ERR_PROTOCOL;
    }
    r->status = status;
    r->reason = dup_trim(r->head + used, (size_t)(eol - r->head) - (size_t)used);
    if (!r->reason)
        return WH_NET_ERR_OOM;
    const char *line = eol + 2;
    while (*line && strncmp(line, "\r\n", 2)) {
        const char *end = strstr(line, "\r\n");
        if (!end)
            break;
        const char *colon = memchr(line, ':', (size_t)(end - line));
        if (colon) {
            struct wh_http_header *nh =
                realloc(r->headers, (r->n_headers + 1) * sizeof(*r->headers));
            if (!nh)
                return WH_NET_ERR_OOM;
            r->headers = nh;
            nh[r->n_headers].name = dup_trim(line, (size_t)(colon - line));
            nh[r->n_headers].value = dup_trim(colon + 1, (size_t)(end - colon - 1));
            r->n_headers++;
            if (!nh[r->n_headers - 1].name || !nh[r->n_headers - 1].value)
                return WH_NET_ERR_OOM;
        }
        line = end + 2;
    }
    return 0;
}

static int looks_like_tls(const unsigned char *b, size_t n)
{
    /* A TLS record: content type 20-23 (alert 21, handshake 22), then version 3.x. */
    return n >= 2 && b[0] >= 20 && b[0] <= 23 && b[1] == 3;
}

/* Reads the head of a response into r. The bytes after it stay in c. */
static int read_head(struct conn *c, struct wh_http_response *r, int64_t deadline, char *detail,
                     size_t dlen)
{
    for (;;) {
        size_t have = c->len - c->pos;
        const unsigned char *b = c->buf ? c->buf + c->pos : NULL;
        if (have && looks_like_tls(b, have)) {
            say(detail, dlen,
                "the server answered with TLS bytes (%02x %02x ...): it expects TLS on this port",
                b[0], b[1]);
            return WH_NET_ERR_TLS;
        }
        if (have >= 5 && memcmp(b, "HTTP/", 5)) {
            say(detail, dlen, "the answer is not HTTP (first bytes %02x %02x %02x %02x)", b[0],
                b[1], b[2], b[3]);
            return WH_NET_ERR_PROTOCOL;
        }
        const unsigned char *end = have ? memmem(b, have, "\r\n\r\n", 4) : NULL;
        if (end) {
            size_t hl = (size_t)(end - b) + 4;
            int err = parse_head(r, (const char *)b, hl, detail, dlen);
            c->pos += hl;
            return err;
        }
        if (have > MAX_HEAD) {
            say(detail, dlen, "response head larger than %d bytes", MAX_HEAD);
            return WH_NET_ERR_PROTOCOL;
        }
        int n = conn_read(c, deadline, detail, dlen);
        if (n == WH_NET_ERR_TIMEOUT) {
            say(detail, dlen,
                have ? "only part of an HTTP answer arrived in time" : "no answer in time");
            return n;
        }
        if (n < 0)
            return n;
        if (n == 0) {
            say(detail, dlen,
                have ? "the server closed the connection in the middle of its answer"
                     : "the server closed the connection without an answer");
            return WH_NET_ERR_CLOSED;
        }
    }
}

static int body_append(struct wh_http_response *r, const unsigned char *p, size_t n)
{
    if (r->body_len + n > MAX_BODY)
        return WH_NET_ERR_PROTOCOL;
    unsigned char *nb = realloc(r->body, r->body_len + n + 1);
    if (!nb)
        return WH_NET_ERR_OOM;
    memcpy(nb + r->body_len, p, n);
    r->body = nb;
    r->body_len += n;
    nb[r->body_len] = '\0';
    return 0;
}

static int read_chunked(struct conn *c, struct wh_http_response *r, int64_t deadline, char *detail,
                        size_t dlen)
{
    for (;;) {
        const char *line;
        for (;;) { /* a size line */
            line = (const char *)c->buf + c->pos;
            if (c->len > c->pos && memmem(line, c->len - c->pos, "\r\n", 2))
                break;
            int err = conn_need(c, c->len - c->pos + 1, deadline, detail, dlen);
            if (err)
                return err;
        }
        char *endp;
        unsigned long size = strtoul(line, &endp, 16);
        if (endp == line || size > MAX_BODY) {
            say(detail, dlen, "bad chunk size line");
            return WH_NET_ERR_PROTOCOL;
        }
        c->pos += (size_t)((const char *)memmem(line, c->len - c->pos, "\r\n", 2) - line) + 2;
        if (size == 0) { /* trailers up to an empty line; tolerate a close instead */
            while (!(c->len - c->pos >= 2 && !memcmp(c->buf + c->pos, "\r\n", 2))) {
                const char *t = (const char *)c->buf + c->pos;
                const char *e = c->len > c->pos ? memmem(t, c->len - c->pos, "\r\n", 2) : NULL;
                if (e) {
                    c->pos += (size_t)(e - t) + 2;
                    continue;
                }
                if (conn_need(c, c->len - c->pos + 1, deadline, detail, dlen))
                    return 0;
            }
            c->pos += 2;
            return 0;
        }
        int err = conn_need(c, size + 2, deadline, detail, dlen);
        if (err)
            return err;
        err = body_append(r, c->buf + c->pos, size);
        if (err)
            return err;
        c->pos += size + 2;
    }
}

/* Reads the body that follows the head (none for 1xx, 204, 304 and HEAD). */
static int read_body(struct conn *c, struct wh_http_response *r, const char *method,
                     int64_t deadline, char *detail, size_t dlen)
{
    int err = body_append(r, (const unsigned char *)"", 0);
    if (err)
        return err;
    if (r->status < 200 || r->status == 204 || r->status == 304 || !strcmp(method, "HEAD"))
        return 0;
    const char *te = wh_http_header(r, "Transfer-Encoding");
    if (te && strcasestr(te, "chunked"))
        return read_chunked(c, r, deadline, detail, dlen);
    const char *cl = wh_http_header(r, "Content-Length");
    if (cl) {
        char *endp;
        unsigned long n = strtoul(cl, &endp, 10);
        if (endp == cl || n > MAX_BODY) {
            say(detail, dlen, "bad Content-Length: %s", cl);
            return WH_NET_ERR_PROTOCOL;
        }
        err = conn_need(c, n, deadline, detail, dlen);
        if (err) {
            body_append(r, c->buf + c->pos, c->len - c->pos);
            return err;
        }
        err = body_append(r, c->buf + c->pos, n);
        c->pos += n;
        return err;
    }
    for (;;) { /* no length: the body ends at the close */
        err = body_append(r, c->buf ? c->buf + c->pos : (const unsigned char *)"", c->len - c->pos);
        c->pos = c->len;
        if (err)
            return err;
        int n = conn_read(c, deadline, detail, dlen);
        if (n == 0)
            return 0;
        if (n < 0)
            return n;
    }
}

/* Writes the request head: method, path, Host, the extra lines, then `more` (each ending CRLF). */
static char *build_request(const char *method, const char *path, const char *host, int port,
                           const char *const *headers, const char *more)
{
    char hp[300];
    wh_url_hostport(host, port, hp, sizeof(hp));
    size_t n = strlen(method) + strlen(path) + strlen(hp) + strlen(more) + 64;
    for (size_t i = 0; headers && headers[i]; i++)
        n += strlen(headers[i]) + 2;
    char *req = malloc(n);
    if (!req)
        return NULL;
    size_t off = (size_t)snprintf(req, n, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, path, hp);
    for (size_t i = 0; headers && headers[i]; i++)
        off += (size_t)snprintf(req + off, n - off, "%s\r\n", headers[i]);
    snprintf(req + off, n - off, "%s\r\n", more);
    return req;
}

int wh_http_request(const char *host, int port, const char *method, const char *path,
                    const char *const *headers, const void *body, size_t body_len, long timeout_ms,
                    struct wh_http_result *out)
{
    memset(out, 0, sizeof(*out));
    out->connect_ms = -1;
    double t0 = mono_ms();
    int64_t deadline = ms_time_mono_ms() + timeout_ms;
    struct conn c = {.fd = -1};
    char *req = NULL;
    int err = tcp_connect(host, port, deadline, &c.fd, out->detail, sizeof(out->detail));
    if (err)
        goto done;
    out->connect_ms = mono_ms() - t0;
    char more[96];
    if (body)
        snprintf(more, sizeof(more), "Content-Length: %zu\r\nConnection: close\r\n", body_len);
    else
        snprintf(more, sizeof(more), "Connection: close\r\n");
    req = build_request(method, path, host, port, headers, more);
    if (!req) {
        err = WH_NET_ERR_OOM;
        goto done;
    }
    err = conn_write(&c, req, strlen(req), deadline, out->detail, sizeof(out->detail));
    if (!err && body && body_len)
        err = conn_write(&c, body, body_len, deadline, out->detail, sizeof(out->detail));
    if (!err)
        err = read_head(&c, &out->resp, deadline, out->detail, sizeof(out->detail));
    while (!err && out->resp.status >= 100 && out->resp.status < 200 &&
           out->resp.status != 101) { /* 100 Continue and friends: the real answer follows */
        wh_http_response_free(&out->resp);
        err = read_head(&c, &out->resp, deadline, out->detail, sizeof(out->detail));
    }
    if (!err)
        err = read_body(&c, &out->resp, method, deadline, out->detail, sizeof(out->detail));
done:
    free(req);
    conn_close(&c);
    out->total_ms = mono_ms() - t0;
    out->err = err;
    if (!err)
        out->detail[0] = '\0';
    return err;
}

void wh_http_result_free(struct wh_http_result *r)
{
    wh_http_response_free(&r->resp);
}

/* ---- WebSocket ------------------------------------------------------------------------------ */

struct msg_node {
    struct msg_node *next;
    int opcode;
    size_t len;
    unsigned char data[]; /* len bytes + NUL */
};

struct wh_ws_impl {
    struct conn c;
    struct ms_wsparse *parser;
    int parse_err;
    struct msg_node *head, *tail, *current;
    struct ms_rng rng;
    int open;
    int close_sent;
};

static int on_message(void *user, int opcode, const unsigned char *data, size_t len)
{
    struct wh_ws_impl *im = user;
    struct msg_node *m = malloc(sizeof(*m) + len + 1);
    if (!m)
        return -1; /* stops the feed; wh_ws_recv() reports it as a protocol error */
    m->next = NULL;
    m->opcode = opcode;
    m->len = len;
    if (len)
        memcpy(m->data, data, len);
    m->data[len] = '\0';
    if (im->tail)
        im->tail->next = m;
    else
        im->head = m;
    im->tail = m;
    return 0;
}

void wh_ws_accept_key(const char *key, char out[29])
{
    char buf[128];
    unsigned char sha[20];
    int n = snprintf(buf, sizeof(buf), "%s%s", key, WS_GUID);
    lws_SHA1((const unsigned char *)buf, (size_t)n, sha);
    /* lws wants room beyond the 28 characters and the NUL. */
    char b64[40];
    if (lws_b64_encode_string((const char *)sha, 20, b64, sizeof(b64)) != 28)
        memset(b64, 0, sizeof(b64));
    memcpy(out, b64, 28);
    out[28] = '\0';
}

static int header_has_token(const char *value, const char *token)
{
    size_t tl = strlen(token);
    for (const char *p = value; p && *p;) {
        p += strspn(p, " \t,");
        size_t n = strcspn(p, ",");
        size_t m = n;
        while (m && (p[m - 1] == ' ' || p[m - 1] == '\t'))
            m--;
        if (m == tl && !strncasecmp(p, token, tl))
            return 1;
        p += n;
    }
    return 0;
}

/* Checks the 101 as RFC 6455 4.1 asks a client to. */
static int check_101(struct wh_ws *ws, const char *key)
{
    const struct wh_http_response *r = &ws->resp;
    const char *up = wh_http_header(r, "Upgrade");
    const char *conn = wh_http_header(r, "Connection");
    const char *acc = wh_http_header(r, "Sec-WebSocket-Accept");
    char want[29];
    wh_ws_accept_key(key, want);
    if (!up || strcasecmp(up, "websocket")) {
        say(ws->detail, sizeof(ws->detail), "101 without Upgrade: websocket");
        return WH_NET_ERR_UPGRADE;
    }
    if (!conn || !header_has_token(conn, "upgrade")) {
        say(ws->detail, sizeof(ws->detail), "101 without Connection: Upgrade");
        return WH_NET_ERR_UPGRADE;
    }
    if (!acc || strcmp(acc, want)) {
        say(ws->detail, sizeof(ws->detail), "wrong Sec-WebSocket-Accept %s (expected %s)",
            acc ? acc : "(none)", want);
        return WH_NET_ERR_UPGRADE;
    }
    return 0;
}

struct wh_ws *wh_ws_connect(const char *host, int port, const char *path,
                            const struct wh_ws_opts *o)
{
    struct wh_ws *ws = calloc(1, sizeof(*ws));
    struct wh_ws_impl *im = calloc(1, sizeof(*im));
    if (!ws || !im) {
        free(ws);
        free(im);
        return NULL;
    }
    ws->impl = im;
    ws->close_code = -1;
    ws->connect_ms = ws->handshake_ms = -1;
    im->c.fd = -1;
    ms_rng_seed_random(&im->rng);
    long timeout = o && o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_WS_TIMEOUT_MS;
    int64_t deadline = ms_time_mono_ms() + timeout;
    double t0 = mono_ms();
    char *req = NULL;
    char key[32];
    if (o && o->key) {
        snprintf(key, sizeof(key), "%s", o->key);
    } else {
        unsigned char raw[16];
        uint64_t a = ms_rng_next(&im->rng), b = ms_rng_next(&im->rng);
        memcpy(raw, &a, 8);
        memcpy(raw + 8, &b, 8);
        lws_b64_encode_string((const char *)raw, 16, key, sizeof(key));
    }
    int err = tcp_connect(host, port, deadline, &im->c.fd, ws->detail, sizeof(ws->detail));
    if (err)
        goto done;
    ws->connect_ms = mono_ms() - t0;
    char more[512];
    int n = snprintf(more, sizeof(more),
                     "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: 13\r\n",
                     key);
    if (o && o->origin)
        snprintf(more + n, sizeof(more) - (size_t)n, "Origin: %s\r\n", o->origin);
    req = build_request("GET", path, host, port, o ? o->headers : NULL, more);
    if (!req) {
        err = WH_NET_ERR_OOM;
        goto done;
    }
    double t1 = mono_ms();
    err = conn_write(&im->c, req, strlen(req), deadline, ws->detail, sizeof(ws->detail));
    if (!err)
        err = read_head(&im->c, &ws->resp, deadline, ws->detail, sizeof(ws->detail));
    if (err == WH_NET_ERR_TIMEOUT)
        say(ws->detail, sizeof(ws->detail), "no answer to the upgrade within %ld ms", timeout);
    if (err)
        goto done;
    if (ws->resp.status != 101) {
        /* A refusal: keep its body (the deadline still holds) for the caller to show. */
        char d2[sizeof(ws->detail)];
        read_body(&im->c, &ws->resp, "GET", deadline, d2, sizeof(d2));
        ws->handshake_ms = mono_ms() - t1;
        say(ws->detail, sizeof(ws->detail), "upgrade refused: HTTP %d %s", ws->resp.status,
            ws->resp.reason ? ws->resp.reason : "");
        err = WH_NET_ERR_UPGRADE;
        goto done;
    }
    ws->handshake_ms = mono_ms() - t1;
    err = check_101(ws, key);
    if (err)
        goto done;
    im->parser = ms_wsparse_new(MAX_MESSAGE);
    if (!im->parser) {
        err = WH_NET_ERR_OOM;
        goto done;
    }
    im->open = 1;
    if (im->c.len > im->c.pos) { /* frames that came with the 101 */
        im->parse_err = ms_wsparse_feed(im->parser, im->c.buf + im->c.pos, im->c.len - im->c.pos,
                                        on_message, im);
        im->c.pos = im->c.len;
    }
done:
    free(req);
    ws->err = err;
    if (err) {
        if (err == WH_NET_ERR_OOM)
            say(ws->detail, sizeof(ws->detail), "out of memory");
        conn_close(&im->c);
    } else {
        ws->detail[0] = '\0';
    }
    return ws;
}

static void free_node_list(struct msg_node *m)
{
    while (m) {
        struct msg_node *next = m->next;
        free(m);
        m = next;
    }
}

void wh_ws_free(struct wh_ws *ws)
{
    if (!ws)
        return;
    struct wh_ws_impl *im = ws->impl;
    if (im) {
        conn_close(&im->c);
        ms_wsparse_free(im->parser);
        free_node_list(im->head);
        free(im->current);
        free(im);
    }
    wh_http_response_free(&ws->resp);
    free(ws);
}

size_t wh_ws_encode_frame(unsigned char *out, int opcode, const void *data, size_t len,
                          uint32_t mask)
{
    size_t h = 0;
    out[h++] = (unsigned char)(0x80 | (opcode & 0x0f));
    if (len < 126) {
        out[h++] = (unsigned char)(0x80 | len);
    } else if (len < 65536) {
        out[h++] = 0x80 | 126;
        out[h++] = (unsigned char)(len >> 8);
        out[h++] = (unsigned char)len;
    } else {
        out[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            out[h++] = (unsigned char)((uint64_t)len >> (8 * i));
    }
    unsigned char m[4] = {(unsigned char)mask, (unsigned char)(mask >> 8),
                          (unsigned char)(mask >> 16), (unsigned char)(mask >> 24)};
    memcpy(out + h, m, 4);
    h += 4;
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        out[h + i] = p[i] ^ m[i & 3];
    return h + len;
}

int wh_ws_send(struct wh_ws *ws, int opcode, const void *data, size_t len, long timeout_ms)
{
    struct wh_ws_impl *im = ws->impl;
    if (!im->open || im->c.fd < 0)
        return WH_NET_ERR_UPGRADE;
    unsigned char *frame = malloc(len + 14);
    if (!frame)
        return WH_NET_ERR_OOM;
    size_t flen = wh_ws_encode_frame(frame, opcode, data, len, (uint32_t)ms_rng_next(&im->rng));
    char detail[128];
    int err =
        conn_write(&im->c, frame, flen, ms_time_mono_ms() + timeout_ms, detail, sizeof(detail));
    free(frame);
    if (!err && opcode == MS_WS_CLOSE)
        im->close_sent = 1;
    return err;
}

int wh_ws_send_text(struct wh_ws *ws, const char *text, long timeout_ms)
{
    return wh_ws_send(ws, MS_WS_TEXT, text, strlen(text), timeout_ms);
}

int wh_ws_send_close(struct wh_ws *ws, int code, const char *reason, long timeout_ms)
{
    unsigned char payload[125];
    size_t n = 0;
    if (code >= 0) {
        payload[n++] = (unsigned char)(code >> 8);
        payload[n++] = (unsigned char)code;
        size_t rl = reason ? strlen(reason) : 0;
        if (rl > sizeof(payload) - 2)
            rl = sizeof(payload) - 2;
        if (rl)
            memcpy(payload + n, reason, rl);
        n += rl;
    }
    return wh_ws_send(ws, MS_WS_CLOSE, payload, n, timeout_ms);
}

int wh_ws_recv(struct wh_ws *ws, long timeout_ms, struct wh_ws_msg *msg)
{
    struct wh_ws_impl *im = ws->impl;
    int64_t deadline = ms_time_mono_ms() + timeout_ms;
    free(im->current);
    im->current = NULL;
    memset(msg, 0, sizeof(*msg));
    if (!im->open && !im->head)
        return ws->err ? ws->err : WH_NET_ERR_CLOSED;
    for (;;) {
        struct msg_node *m = im->head;
        if (m) {
            im->head = m->next;
            if (!im->head)
                im->tail = NULL;
            m->next = NULL;
            if (m->opcode == MS_WS_PING) {
                if (!im->close_sent)
                    wh_ws_send(ws, MS_WS_PONG, m->data, m->len, left_ms(deadline) + 1);
                free(m);
                continue;
            }
            if (m->opcode == MS_WS_CLOSE) {
                int code = -1;
                const char *reason = NULL;
                size_t rlen = 0;
                if (!ms_wsparse_close_info(m->data, m->len, &code, &reason, &rlen)) {
                    ws->close_code = code < 0 ? 1005 : code;
                    if (rlen >= sizeof(ws->close_reason))
                        rlen = sizeof(ws->close_reason) - 1;
                    memcpy(ws->close_reason, reason ? reason : "", rlen);
                    ws->close_reason[rlen] = '\0';
                }
                if (!im->close_sent) /* echo the code, as RFC 6455 5.5.1 asks */
                    wh_ws_send(ws, MS_WS_CLOSE, m->data, m->len < 2 ? m->len : 2,
                               left_ms(deadline) + 1);
            }
            im->current = m;
            msg->opcode = m->opcode;
            msg->data = m->data;
            msg->len = m->len;
            return 0;
        }
        if (im->parse_err)
            return WH_NET_ERR_PROTOCOL;
        if (im->c.eof || im->c.fd < 0)
            return WH_NET_ERR_CLOSED;
        char detail[128];
        int n = conn_read(&im->c, deadline, detail, sizeof(detail));
        if (n < 0)
            return n;
        if (n == 0)
            return WH_NET_ERR_CLOSED;
        im->parse_err = ms_wsparse_feed(im->parser, im->c.buf + im->c.pos, im->c.len - im->c.pos,
                                        on_message, im);
        im->c.pos = im->c.len;
    }
}

int wh_ws_fd(const struct wh_ws *ws)
{
    return ws->impl ? ws->impl->c.fd : -1;
}

int wh_ws_wait_eof(struct wh_ws *ws, long timeout_ms)
{
    struct wh_ws_impl *im = ws->impl;
    int64_t deadline = ms_time_mono_ms() + timeout_ms;
    if (im->c.fd < 0)
        return 0;
    for (;;) {
        char detail[64];
        im->c.pos = im->c.len; /* discard */
        int n = conn_read(&im->c, deadline, detail, sizeof(detail));
        if (n == 0 || n == WH_NET_ERR_IO || n == WH_NET_ERR_CLOSED)
            return 0;
        if (n == WH_NET_ERR_TIMEOUT)
            return n;
        if (n < 0)
            return n;
    }
}
