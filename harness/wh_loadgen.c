/* wh_loadgen -- many non-blocking WebSocket client connections on one epoll loop, for load. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "wh_loadgen.h"
#include "wh_wsclient.h"

#define KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define HEAD_MAX 8192
#define SCRATCH (256 * 1024)

static unsigned char scratch[SCRATCH];

int64_t wh_lg_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int wh_lg_init(struct wh_lg *lg, const char *host, int port, const char *path, int n_src)
{
    memset(lg, 0, sizeof(*lg));
    lg->ep = -1;
    struct in_addr a;
    if (!strcmp(host, "localhost"))
        host = "127.0.0.1";
    if (inet_pton(AF_INET, host, &a) != 1) {
        snprintf(lg->error, sizeof(lg->error), "'%s' is not an IPv4 address", host);
        return -1;
    }
    lg->dst_addr = a.s_addr;
    lg->dst_port = htons((uint16_t)port);
    lg->n_src = (ntohl(a.s_addr) >> 24) == 127 && n_src > 1 ? n_src : 1;
    char hostport[300];
    wh_url_hostport(host, port, hostport, sizeof(hostport));
    size_t cap = strlen(path) + strlen(hostport) + 256;
    lg->request = malloc(cap);
    lg->ep = epoll_create1(EPOLL_CLOEXEC);
    if (!lg->request || lg->ep < 0) {
        snprintf(lg->error, sizeof(lg->error), "out of memory or descriptors");
        return -1;
    }
    lg->request_len = (size_t)snprintf(lg->request, cap,
                                       "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                                       "Connection: Upgrade\r\nSec-WebSocket-Key: " KEY "\r\n"
                                       "Sec-WebSocket-Version: 13\r\n\r\n",
                                       path, hostport);
    return 0;
}

static void release(struct wh_lg_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->in);
    free(c->out);
    c->in = c->out = NULL;
    c->in_len = c->in_cap = c->out_len = 0;
}

void wh_lg_free(struct wh_lg *lg)
{
    for (size_t i = 0; i < lg->n; i++)
        release(&lg->c[i]);
    free(lg->c);
    free(lg->request);
    if (lg->ep >= 0)
        close(lg->ep);
    memset(lg, 0, sizeof(*lg));
    lg->ep = -1;
}

void wh_lg_set_match(struct wh_lg *lg, const char *text)
{
    lg->match = text && *text ? text : NULL;
    lg->match_len = lg->match ? strlen(text) : 0;
}

static void fail(struct wh_lg *lg, const char *what, int err)
{
    if (!lg->error[0])
        snprintf(lg->error, sizeof(lg->error), "%s: %s", what, strerror(err));
}

static void end(struct wh_lg *lg, size_t i, enum wh_lg_end why)
{
    struct wh_lg_conn *c = &lg->c[i];
    if (c->state == WH_LG_DONE || c->state == WH_LG_IDLE)
        return;
    if (c->state == WH_LG_OPEN || c->state == WH_LG_CLOSING)
        lg->n_open--;
    else
        lg->n_pending--;
    if (why == WH_LG_END_PEER)
        lg->drops++;
    if (c->fd >= 0) {
        /* an abortive close: the benchmark makes tens of thousands of connections and must not
         * run out of ports to TIME_WAIT */
        struct linger lin = {1, 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
    }
    release(c);
    c->state = WH_LG_DONE;
    c->end = why;
    if (lg->hooks.on_end)
        lg->hooks.on_end(lg, i, lg->hooks.arg);
}

void wh_lg_abort(struct wh_lg *lg, size_t i, enum wh_lg_end why)
{
    end(lg, i, why);
}

static int watch(struct wh_lg *lg, size_t i, int op, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.u64 = i};
    return epoll_ctl(lg->ep, op, lg->c[i].fd, &ev);
}

int wh_lg_start(struct wh_lg *lg, size_t i)
{
    if (i == lg->n) {
        struct wh_lg_conn *nc = realloc(lg->c, (lg->n + 1) * sizeof(*nc));
        if (!nc)
            return -1;
        lg->c = nc;
        lg->n++;
    } else if (i > lg->n || lg->c[i].state != WH_LG_DONE) {
        return -1;
    }
    struct wh_lg_conn *c = &lg->c[i];
    memset(c, 0, sizeof(*c));
    c->close_code = -1;
    c->state = WH_LG_CONNECTING;
    lg->n_pending++;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        fail(lg, "socket", errno);
        end(lg, i, WH_LG_END_REFUSED);
        return -1;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct sockaddr_in dst = {
        .sin_family = AF_INET, .sin_port = lg->dst_port, .sin_addr.s_addr = lg->dst_addr};
    for (int tries = 0; tries < lg->n_src; tries++) {
        if (lg->n_src > 1) {
            /* the port is chosen at connect time, per (source, destination): each source
             * address has the whole ephemeral range */
            setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
            struct sockaddr_in src = {.sin_family = AF_INET};
            src.sin_addr.s_addr = htonl(0x7f000001u + (uint32_t)lg->next_src);
            lg->next_src = (lg->next_src + 1) % lg->n_src;
            if (bind(c->fd, (struct sockaddr *)&src, sizeof(src))) {
                fail(lg, "bind", errno);
                end(lg, i, WH_LG_END_REFUSED);
                return -1;
            }
        }
        if (!connect(c->fd, (struct sockaddr *)&dst, sizeof(dst)) || errno == EINPROGRESS)
            break;
        if (errno != EADDRNOTAVAIL || tries + 1 == lg->n_src) {
            fail(lg, "connect", errno);
            end(lg, i, WH_LG_END_REFUSED);
            return -1;
        }
        /* this source address has no port left: a new socket on the next one */
        close(c->fd);
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c->fd < 0) {
            fail(lg, "socket", errno);
            end(lg, i, WH_LG_END_REFUSED);
            return -1;
        }
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    if (watch(lg, i, EPOLL_CTL_ADD, EPOLLOUT)) {
        fail(lg, "epoll_ctl", errno);
        end(lg, i, WH_LG_END_IO);
        return -1;
    }
    return 0;
}

/* Writes what can go now; keeps the rest in c->out and asks for EPOLLOUT. */
static int put(struct wh_lg *lg, size_t i, const void *data, size_t len)
{
    struct wh_lg_conn *c = &lg->c[i];
    const unsigned char *p = data;
    if (!c->out_len) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN) {
            end(lg, i, WH_LG_END_PEER);
            return -1;
        }
        if (n > 0) {
            p += n;
            len -= (size_t)n;
        }
        if (!len)
            return 0;
    }
    unsigned char *o = realloc(c->out, c->out_len + len);
    if (!o)
        return -1;
    memcpy(o + c->out_len, p, len);
    c->out = o;
    c->out_len += len;
    return watch(lg, i, EPOLL_CTL_MOD, EPOLLIN | EPOLLOUT);
}

static void flush(struct wh_lg *lg, size_t i)
{
    struct wh_lg_conn *c = &lg->c[i];
    ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
    if (n < 0) {
        if (errno != EAGAIN)
            end(lg, i, WH_LG_END_PEER);
        return;
    }
    memmove(c->out, c->out + n, c->out_len - (size_t)n);
    c->out_len -= (size_t)n;
    if (!c->out_len) {
        free(c->out);
        c->out = NULL;
        watch(lg, i, EPOLL_CTL_MOD, EPOLLIN);
    }
}

int wh_lg_send(struct wh_lg *lg, size_t i, int opcode, const void *data, size_t len)
{
    if (i >= lg->n || lg->c[i].state != WH_LG_OPEN)
        return -1;
    unsigned char stack[256];
    unsigned char *f = len + 14 <= sizeof(stack) ? stack : malloc(len + 14);
    if (!f)
        return -1;
    size_t n = wh_ws_encode_frame(f, opcode, data, len, (uint32_t)rand());
    int rc = put(lg, i, f, n);
    if (f != stack)
        free(f);
    return rc;
}

int wh_lg_ping(struct wh_lg *lg, size_t i)
{
    int64_t now = wh_lg_now_ns();
    if (wh_lg_send(lg, i, 0x9, &now, sizeof(now)))
        return -1;
    lg->c[i].ping_sent_ns = now;
    return 0;
}

int wh_lg_close(struct wh_lg *lg, size_t i)
{
    static const unsigned char code[2] = {0x03, 0xe8};
    if (wh_lg_send(lg, i, 0x8, code, sizeof(code)))
        return -1;
    lg->c[i].state = WH_LG_CLOSING;
    return 0;
}

/* Handles one whole frame; returns 1 when the connection ended. */
static int frame(struct wh_lg *lg, size_t i, int op, const unsigned char *p, size_t len)
{
    struct wh_lg_conn *c = &lg->c[i];
    if (op == 0x1 || op == 0x2 || op == 0x0) {
        if (op == 0x0)
            return 0; /* a continuation: the message was counted at its first frame */
        c->frames++;
        lg->total_frames++;
        if (lg->match && len >= lg->match_len && memmem(p, len, lg->match, lg->match_len)) {
            c->matched++;
            lg->total_matched++;
        }
    } else if (op == 0x9) {
        unsigned char f[140];
        size_t n = wh_ws_encode_frame(f, 0xA, p, len > 125 ? 125 : len, (uint32_t)rand());
        if (put(lg, i, f, n))
            return 1;
    } else if (op == 0xA) {
        int64_t sent;
        if (len == sizeof(sent) && c->ping_sent_ns) {
            memcpy(&sent, p, sizeof(sent));
            c->ping_sent_ns = 0;
            if (lg->hooks.on_pong)
                lg->hooks.on_pong(lg, i, wh_lg_now_ns() - sent, lg->hooks.arg);
        }
    } else if (op == 0x8) {
        c->close_code = len >= 2 ? (p[0] << 8 | p[1]) : 1005;
        end(lg, i, c->state == WH_LG_CLOSING ? WH_LG_END_CLOSED : WH_LG_END_PEER);
        return 1;
    } else {
        end(lg, i, WH_LG_END_IO);
        return 1;
    }
    return 0;
}

/* Parses whole frames from p; returns bytes used, or -1 when the connection ended. */
static ssize_t frames(struct wh_lg *lg, size_t i, const unsigned char *p, size_t len)
{
    size_t used = 0;
    while (len - used >= 2) {
        const unsigned char *f = p + used;
        size_t avail = len - used, hl = 2;
        uint64_t pl = f[1] & 0x7f;
        if (f[1] & 0x80) {
            end(lg, i, WH_LG_END_IO); /* a server must not mask */
            return -1;
        }
        if (pl == 126) {
            if (avail < 4)
                break;
            pl = (uint64_t)f[2] << 8 | f[3];
            hl = 4;
        } else if (pl == 127) {
            if (avail < 10)
                break;
            pl = 0;
            for (int k = 0; k < 8; k++)
                pl = pl << 8 | f[2 + k];
            hl = 10;
        }
        if (pl > (1u << 30)) {
            end(lg, i, WH_LG_END_IO);
            return -1;
        }
        if (avail - hl < pl)
            break;
        if (frame(lg, i, f[0] & 0x0f, f + hl, (size_t)pl))
            return -1;
        used += hl + (size_t)pl;
    }
    return (ssize_t)used;
}

/* The answer's head is complete in c->in: a 101 opens the connection. Returns 1 if it ended. */
static int upgraded(struct wh_lg *lg, size_t i, size_t head_len)
{
    struct wh_lg_conn *c = &lg->c[i];
    if (c->in_len < 12 || memcmp(c->in, "HTTP/1.1 101", 12)) {
        if (!lg->error[0]) {
            size_t n = strcspn((const char *)c->in, "\r\n");
            snprintf(lg->error, sizeof(lg->error), "upgrade refused: %.*s",
                     (int)(n > 100 ? 100 : n), (const char *)c->in);
        }
        end(lg, i, WH_LG_END_UPGRADE);
        return 1;
    }
    c->state = WH_LG_OPEN;
    lg->n_pending--;
    lg->n_open++;
    memmove(c->in, c->in + head_len, c->in_len - head_len);
    c->in_len -= head_len;
    if (lg->hooks.on_open)
        lg->hooks.on_open(lg, i, lg->hooks.arg);
    return c->state == WH_LG_DONE;
}

static int keep(struct wh_lg_conn *c, const unsigned char *p, size_t len)
{
    if (c->in_len + len > c->in_cap) {
        size_t cap = c->in_cap ? c->in_cap : 512;
        while (cap < c->in_len + len)
            cap *= 2;
        unsigned char *n = realloc(c->in, cap + 1);
        if (!n)
            return -1;
        c->in = n;
        c->in_cap = cap;
    }
    memcpy(c->in + c->in_len, p, len);
    c->in_len += len;
    c->in[c->in_len] = '\0';
    return 0;
}

static void readable(struct wh_lg *lg, size_t i)
{
    struct wh_lg_conn *c = &lg->c[i];
    for (;;) {
        ssize_t n = recv(c->fd, scratch, sizeof(scratch), 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            end(lg, i, c->state == WH_LG_UPGRADING ? WH_LG_END_UPGRADE : WH_LG_END_PEER);
            return;
        }
        if (n < 0)
            return;
        const unsigned char *p = scratch;
        size_t len = (size_t)n;
        if (c->state == WH_LG_UPGRADING) {
            if (keep(c, p, len)) {
                end(lg, i, WH_LG_END_IO);
                return;
            }
            char *eoh = strstr((char *)c->in, "\r\n\r\n");
            if (!eoh) {
                if (c->in_len > HEAD_MAX)
                    end(lg, i, WH_LG_END_UPGRADE);
                if (c->in_len > HEAD_MAX)
                    return;
                continue;
            }
            if (upgraded(lg, i, (size_t)(eoh + 4 - (char *)c->in)))
                return;
            len = 0;
        }
        if (c->in_len) { /* finish what an earlier read left incomplete */
            if (keep(c, p, len)) {
                end(lg, i, WH_LG_END_IO);
                return;
            }
            ssize_t used = frames(lg, i, c->in, c->in_len);
            if (used < 0)
                return;
            memmove(c->in, c->in + used, c->in_len - (size_t)used);
            c->in_len -= (size_t)used;
        } else {
            ssize_t used = frames(lg, i, p, len);
            if (used < 0)
                return;
            if ((size_t)used < len && keep(c, p + used, len - (size_t)used)) {
                end(lg, i, WH_LG_END_IO);
                return;
            }
        }
        if ((size_t)n < sizeof(scratch))
            return;
    }
}

static void connected(struct wh_lg *lg, size_t i)
{
    struct wh_lg_conn *c = &lg->c[i];
    int err = 0;
    socklen_t el = sizeof(err);
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
    if (err) {
        fail(lg, "connect", err);
        end(lg, i, WH_LG_END_REFUSED);
        return;
    }
    c->state = WH_LG_UPGRADING;
    if (watch(lg, i, EPOLL_CTL_MOD, EPOLLIN) == 0)
        put(lg, i, lg->request, lg->request_len);
}

static void dispatch(struct wh_lg *lg, size_t i, uint32_t events)
{
    struct wh_lg_conn *c = &lg->c[i];
    if (c->state == WH_LG_CONNECTING) {
        if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            connected(lg, i);
        return;
    }
    if (c->state == WH_LG_DONE || c->state == WH_LG_IDLE)
        return;
    if ((events & EPOLLOUT) && c->out_len)
        flush(lg, i);
    if (c->state != WH_LG_DONE && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
        readable(lg, i);
}

int wh_lg_run(struct wh_lg *lg, long timeout_ms, int (*done)(struct wh_lg *lg, void *arg),
              void *arg)
{
    int64_t deadline = wh_lg_now_ns() + (int64_t)timeout_ms * 1000000;
    struct epoll_event ev[512];
    for (;;) {
        if (done && done(lg, arg))
            return 1;
        int64_t left = (deadline - wh_lg_now_ns()) / 1000000;
        if (left < 0)
            return 0;
        int n = epoll_wait(lg->ep, ev, 512, (int)(left > 1000 ? 1000 : left));
        if (n < 0 && errno != EINTR) {
            fail(lg, "epoll_wait", errno);
            return 0;
        }
        for (int k = 0; k < n; k++)
            dispatch(lg, (size_t)ev[k].data.u64, ev[k].events);
    }
}

struct open_goal {
    size_t target, started, inflight;
};

static int opened_all(struct wh_lg *lg, void *arg)
{
    struct open_goal *g = arg;
    while (g->started < g->target && lg->n_pending < g->inflight) {
        g->started++;
        wh_lg_start(lg, lg->n);
    }
    return g->started == g->target && lg->n_pending == 0;
}

size_t wh_lg_open(struct wh_lg *lg, size_t count, size_t inflight, long timeout_ms)
{
    size_t before = lg->n_open;
    struct open_goal g = {count, 0, inflight ? inflight : 1};
    if (!wh_lg_run(lg, timeout_ms, opened_all, &g)) {
        for (size_t i = 0; i < lg->n; i++)
            if (lg->c[i].state == WH_LG_CONNECTING || lg->c[i].state == WH_LG_UPGRADING)
                end(lg, i, WH_LG_END_TIMEOUT);
    }
    return lg->n_open > before ? lg->n_open - before : 0;
}
