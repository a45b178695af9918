/* ms_listen -- wsmock's own listening socket, and the handshake gate that can hold an upgrade
 * (delay_ms, hang) before lws ever sees it. lws answers an upgrade inside one callback, so a
 * delayed or unanswered handshake has to happen before the socket is handed to lws. */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ms_server.h"

#define HEAD_MAX 16384 /* a request head larger than this goes to lws undecided */
#define ACCEPT_BURST 64

static struct ms_server *server_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

int ms_listen_open(struct ms_server *srv, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV},
                    *ai = NULL;
    char service[16];
    snprintf(service, sizeof(service), "%d", srv->port ? srv->port : srv->opt.port);
    int rc = getaddrinfo(srv->opt.host, service, &hints, &ai);
    if (rc || !ai) {
        snprintf(err, errlen, "cannot resolve the address (%s)", gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 1024)) {
        int e = errno;
        snprintf(err, errlen, "%s", e == EADDRINUSE ? "the port is already in use" : strerror(e));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (!getsockname(fd, (struct sockaddr *)&ss, &sl))
        srv->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                   : ((struct sockaddr_in *)&ss)->sin_port);
    lws_sock_file_fd_type u;
    u.filefd = fd;
    srv->listen_fd = fd;
    srv->listen_wsi =
        lws_adopt_descriptor_vhost(srv->vh, LWS_ADOPT_RAW_FILE_DESC, u, "wsmock-listen", NULL);
    if (!srv->listen_wsi) { /* lws closed fd */
        srv->listen_fd = -1;
        snprintf(err, errlen, "libwebsockets could not watch the listening socket");
        return -1;
    }
    return 0;
}

void ms_listen_close(struct ms_server *srv)
{
    if (srv->listen_wsi)
        lws_set_timeout(srv->listen_wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
    srv->listen_wsi = NULL;
    srv->listen_fd = -1;
}

/* Gives an accepted socket to lws as an HTTP connection, with the gate's decision (or NULL). */
static void handover(struct ms_server *srv, int fd, const struct ms_upgrade_note *note)
{
    struct ms_upgrade_note *copy = NULL;
    if (note && (copy = malloc(sizeof(*copy))))
        *copy = *note;
    lws_adopt_desc_t info = {
        .vh = srv->vh, .type = LWS_ADOPT_SOCKET | LWS_ADOPT_HTTP, .opaque = copy};
    info.fd.sockfd = fd;
    if (!lws_adopt_descriptor_vhost_via_info(&info))
        free(copy); /* lws closed fd */
}

/* ---- held handshakes ---- */

static void held_unlink(struct ms_held *h)
{
    if (h->prev)
        h->prev->next = h->next;
    else
        h->srv->held = h->next;
    if (h->next)
        h->next->prev = h->prev;
    lws_sul_cancel(&h->sul);
}

static void held_fire(lws_sorted_usec_list_t *sul)
{
    struct ms_held *h = lws_container_of(sul, struct ms_held, sul);
    held_unlink(h);
    if (h->note.d.action == MS_ACT_RESET) {
        ms_upgrade_reset_fd(h->fd);
        close(h->fd);
    } else {
        handover(h->srv, h->fd, &h->note);
    }
    free(h);
}

static void hold(struct ms_server *srv, int fd, const struct ms_upgrade_note *note)
{
    struct ms_held *h = calloc(1, sizeof(*h));
    if (!h) {
        close(fd);
        return;
    }
    h->srv = srv;
    h->fd = fd;
    h->note = *note;
    h->next = srv->held;
    if (srv->held)
        srv->held->prev = h;
    srv->held = h;
    if (note->d.action != MS_ACT_HANG)
        lws_sul_schedule(srv->ctx, 0, &h->sul, held_fire,
                         (lws_usec_t)note->d.delay_ms * LWS_US_PER_MS);
}

void ms_listen_release_held(struct ms_server *srv)
{
    while (srv->held) {
        struct ms_held *h = srv->held;
        held_unlink(h);
        close(h->fd);
        free(h);
    }
}

/* ---- the listening socket ---- */

int ms_listen_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
    (void)user, (void)in, (void)len;
    struct ms_server *srv = server_of(wsi);
    switch (reason) {
    case LWS_CALLBACK_RAW_RX_FILE:
        for (int i = 0; i < ACCEPT_BURST; i++) {
            int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0)
                break;   /* EAGAIN, or a connection that went away: try again next time */
            int one = 1; /* small frames go out at once (no Nagle delay behind a delayed ACK) */
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            if (srv->scn && srv->scn->needs_gate) {
                lws_sock_file_fd_type u;
                u.filefd = fd;
                if (!lws_adopt_descriptor_vhost(srv->vh, LWS_ADOPT_RAW_FILE_DESC, u, "wsmock-gate",
                                                NULL))
                    lwsl_warn("wsmock: could not gate an accepted connection\n");
            } else {
                handover(srv, fd, NULL);
            }
        }
        return 0;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        if (srv->listen_wsi == wsi) {
            srv->listen_wsi = NULL;
            srv->listen_fd = -1;
        }
        return 0;
    default:
        return 0;
    }
}

/* ---- the gate: peek at the request head, decide, hand over or hold ---- */

/* The value of header name (lower case, with ':') in head, copied into out ("" if absent). */
static void head_header(const char *head, const char *name, char *out, size_t len)
{
    out[0] = '\0';
    size_t n = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p && p[2] && !(p[2] == '\r' && p[3] == '\n');
         p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, n))
            continue;
        const char *v = p + 2 + n, *end = strstr(v, "\r\n");
        while (*v == ' ' || *v == '\t')
            v++;
        size_t k = end ? (size_t)(end - v) : strlen(v);
        if (k >= len)
            k = len - 1;
        memcpy(out, v, k);
        out[k] = '\0';
        return;
    }
}

static int hexval(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Splits the request target into a %-decoded path and the raw query. Returns 0, or -1 if the
 * request line is not "GET target HTTP/x". */
static int request_target(const char *head, char *path, size_t plen, char *query, size_t qlen)
{
    if (strncmp(head, "GET ", 4))
        return -1;
    const char *t = head + 4, *sp = strchr(t, ' '), *q = memchr(t, '?', sp ? (size_t)(sp - t) : 0);
    if (!sp)
        return -1;
    const char *pend = q ? q : sp;
    size_t o = 0;
    for (const char *p = t; p < pend && o + 1 < plen; p++) {
        if (*p == '%' && p + 2 < pend && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            path[o++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
            p += 2;
        } else {
            path[o++] = *p;
        }
    }
    path[o] = '\0';
    size_t k = q ? (size_t)(sp - q - 1) : 0;
    if (k >= qlen)
        k = qlen - 1;
    memcpy(query, q ? q + 1 : "", k);
    query[k] = '\0';
    return 0;
}

static void peer_of(int fd, char *out, size_t len)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    out[0] = '\0';
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0)
        getnameinfo((struct sockaddr *)&ss, sl, out, (socklen_t)len, NULL, 0, NI_NUMERICHOST);
}

/* Decides a complete request head. Returns -1: the gate's wsi closes (its fd; the connection
 * lives on in a dup or is reset). */
static int gate_decide(struct ms_server *srv, int fd, const char *head)
{
    char path[1024], query[1024], upgrade[64], origin[512], remote[64];
    head_header(head, "upgrade:", upgrade, sizeof(upgrade));
    int is_upgrade = request_target(head, path, sizeof(path), query, sizeof(query)) == 0 &&
                     strcasestr(upgrade, "websocket") != NULL;
    if (!is_upgrade) {
        int nfd = dup(fd);
        if (nfd >= 0)
            handover(srv, nfd, NULL);
        return -1;
    }
    head_header(head, "origin:", origin, sizeof(origin));
    peer_of(fd, remote, sizeof(remote));
    struct ms_upgrade_note note = {.id = ++srv->next_conn_id, .gen = srv->scn_gen, .predecided = 1};
    note.d = ms_upgrade_decide(srv, note.id, path, query, origin, remote, 1, &note.attempt);
    note.rule = note.d.rule_index;
    if (note.d.action == MS_ACT_RESET && note.d.delay_ms <= 0)
        return ms_upgrade_reset_fd(fd);
    int nfd = dup(fd);
    if (nfd < 0)
        return -1;
    if (note.d.action == MS_ACT_HANG || note.d.delay_ms > 0)
        hold(srv, nfd, &note);
    else
        handover(srv, nfd, &note);
    return -1;
}

int ms_gate_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len)
{
    (void)user, (void)in, (void)len;
    if (reason != LWS_CALLBACK_RAW_RX_FILE)
        return 0;
    struct ms_server *srv = server_of(wsi);
    int fd = lws_get_socket_fd(wsi);
    char head[HEAD_MAX + 1];
    ssize_t n = recv(fd, head, HEAD_MAX, MSG_PEEK);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        return -1; /* the client left before sending a request */
    if (n < 0)
        return 0;
    head[n] = '\0';
    if (!strstr(head, "\r\n\r\n") && n < HEAD_MAX)
        return 0; /* the rest of the head is still on its way: peeked, not consumed */
    return gate_decide(srv, fd, head);
}
