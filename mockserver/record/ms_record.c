/* ms_record -- the `wsmock record` proxy and `wsmock import-har`: captured sessions as scenarios.
 */
#include "ms_record.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ms_err.h"
#include "ms_har.h"
#include "ms_recording.h"
#include "ms_tap.h"
#include "ms_time.h"

#define FLOW_CAP (256 * 1024) /* bytes read from one side and not yet written to the other */
#define MAX_PAIRS 1000        /* connections relayed at once; more wait in the listen backlog */

static const char record_help[] =
    "usage: wsmock record --upstream URL --port PORT --out FILE [--host ADDR]\n"
    "\n"
    "A transparent recording proxy: every TCP connection to ADDR:PORT is relayed byte for byte to\n"
    "the upstream (HTTP requests, WebSocket upgrades and refusals, frames, close frames) while a\n"
    "passive tap parses both directions. On SIGINT/SIGTERM it writes what the server did as a\n"
    "scenario (scenarios/FORMAT.md) that `wsmock --scenario FILE` replays.\n"
    "\n"
    "options:\n"
    "  --upstream URL    the server to record: http://HOST:PORT or ws://HOST:PORT (no TLS)\n"
    "  --port PORT       port to listen on, 0 = any free port\n"
    "  --out FILE        the scenario written when stopped\n"
    "  --host ADDR       interface to listen on (default 127.0.0.1; anything else warns)\n"
    "  --help            show this help and exit\n"
    "\n"
    "What FILE holds:\n"
    "  name, description  the file name without .json; \"Recorded from URL on DATE\" (UTC)\n"
    "  keywords, profile  [\"recorded\"], \"deployed\"; heartbeat_ms 0 (recorded heartbeats are\n"
    "                     part of the scripts)\n"
    "  connections        one rule per WebSocket upgrade attempt, grouped by path, attempts\n"
    "                     counted per path in arrival order:\n"
    "    accepted   {\"path\", \"attempts\": N, \"action\": \"accept\", \"welcome\": false, "
    "\"on_open\":\n"
    "               the server's frames in order (send_text; send_binary; send_bytes with opcode\n"
    "               text for text that is not UTF-8 or contains \"{{\"; ws_ping), each after\n"
    "               {\"wait_ms\": ms since the previous one or since the open} (zero waits left\n"
    "               out), then {\"close\": code, \"reason\": r} if the server closed first or\n"
    "               {\"drop\": true} if its TCP side ended without a close frame (nothing if the\n"
    "               client closed first or it was still open), and \"replies\": [{\"regex\": "
    "\".*\",\n"
    "               \"do\": []}] so that the profile does not answer the client a second time}\n"
    "    refused    {\"action\": \"refuse\", \"status\", \"headers\" (without Date,\n"
    "               Content-Length, Transfer-Encoding and Connection, which wsmock writes\n"
    "               itself), \"body\"}\n"
    "    no answer  \"reset\" if the server closed the connection without answering, \"hang\" if\n"
    "               it was still waiting for the answer when the client or the recording ended\n"
    "  expect             per client text message {\"name\": \"conn N frame K\", "
    "\"client_sends\":\n"
    "                     the JSON object, or the exact text if it is not an object, \"path\",\n"
    "                     \"within_ms\": t + max(250, t/2)}, t = ms since its connection opened;\n"
    "                     N numbers the upgrade attempts, K the connection's client messages\n"
    "Plain HTTP exchanges are relayed and counted, not replayed (the profile serves HTTP).\n"
    "permessage-deflate is decoded. When the upstream refuses a TCP connection, the client's is\n"
    "closed and nothing is recorded for it.\n"
    "\n"
    "When ready it prints one line to stdout: wsmock record listening on http://HOST:PORT -> URL\n"
    "On SIGINT/SIGTERM it writes FILE and prints a one-line summary to stderr.\n"
    "Exit status: 0 after SIGINT/SIGTERM with FILE written, 1 on a runtime failure, 2 on bad\n"
    "arguments.\n";

static const char import_help[] =
    "usage: wsmock import-har FILE.har --out FILE.json\n"
    "\n"
    "Writes the WebSocket sessions of a HAR file (Chrome DevTools' \"Save all as HAR\", with\n"
    "_webSocketMessages) as a scenario (scenarios/FORMAT.md), the same as `wsmock record`\n"
    "writes (see `wsmock record --help` for the rules and expectations):\n"
    "  WebSocket entries  _resourceType \"websocket\", response status 101, _webSocketMessages or\n"
    "                     a ws:// URL; taken in startedDateTime order, attempts counted per path\n"
    "  status 101         an accept rule: \"receive\" messages become send_text (opcode 1) or\n"
    "                     send_binary (opcode 2, base64), with wait_ms gaps from the open\n"
    "                     (startedDateTime plus the blocked, dns, connect, send and wait timings,\n"
    "                     or the first message if that is earlier); \"send\" messages become\n"
    "                     client_sends expectations\n"
    "  other status       a refuse rule with that status, the headers (as `wsmock record`\n"
    "                     keeps them) and content.text\n"
    "  status 0           a reset rule (no answer)\n"
    "  other entries      counted, not replayed\n"
    "The description says \"Recorded from SCHEME://HOST on STARTED (imported from FILE.har)\".\n"
    "\n"
    "options:\n"
    "  --out FILE         the scenario to write (its name is the file name without .json)\n"
    "  --help             show this help and exit\n"
    "\n"
    "Bad input (not JSON, no log.entries, no WebSocket entry, a wrong type) prints one line that\n"
    "names the file and the JSON path.\n"
    "Exit status: 0 written, 1 cannot write the output, 2 bad arguments or bad input.\n";

/* The only global state: the signal that stops the recorder (STYLE.md item 8). */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

/* ---- shared by both commands ---- */

/* "--name value" or "--name=value": *value gets the value and *i moves past it. Returns 1 if
 * argv[*i] is that option, 0 if not, -1 if its value is missing. */
static int option(int argc, char **argv, int *i, const char *name, const char **value)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n))
        return 0;
    if (argv[*i][n] == '=') {
        *value = argv[*i] + n + 1;
        return 1;
    }
    if (argv[*i][n])
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *value = argv[++*i];
    return 1;
}

static int usage_error(const char *cmd, const char *help, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prints "wsmock CMD: problem" and the usage to stderr; returns 2 (the exit code). */
static int usage_error(const char *cmd, const char *help, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "wsmock %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n\n%s", help);
    va_end(ap);
    return 2;
}

/* Checks that FILE's directory exists and is writable. Returns NULL or what is wrong. */
static const char *check_out(const char *out)
{
    char *copy = strdup(out);
    if (!copy)
        return "out of memory";
    struct stat st;
    const char *dir = dirname(copy);
    const char *why = NULL;
    if (stat(dir, &st) || !S_ISDIR(st.st_mode))
        why = "its directory does not exist";
    else if (access(dir, W_OK))
        why = "its directory is not writable";
    free(copy);
    return why;
}

/* Writes text to path through a temporary file and a rename. Returns 0 or -1 (errno set). */
static int write_file(const char *path, const char *text)
{
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (!tmp)
        return -1;
    snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    int rc = -1;
    if (f) {
        size_t len = strlen(text);
        int bad = fwrite(text, 1, len, f) != len;
        bad |= fclose(f) != 0;
        if (!bad && !rename(tmp, path))
            rc = 0;
        else
            unlink(tmp);
    }
    free(tmp);
    return rc;
}

/* Reads a whole file. Returns 0 with *data (caller frees; NUL-terminated) and *len, or -1. */
static int read_file(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (cap - n < 2) {
            char *b = realloc(buf, cap * 2);
            if (!b) {
                free(buf);
                buf = NULL;
                errno = ENOMEM;
                break;
            }
            buf = b;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    int err = ferror(f);
    fclose(f);
    if (!buf || err) {
        free(buf);
        return -1;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

static const char *plural(size_t n)
{
    return n == 1 ? "" : "s";
}

/* ---- wsmock record ---- */

const char *ms_record_parse_upstream(const char *url, char *host, size_t hostlen, char *port,
                                     size_t portlen)
{
    const char *p;
    if (!strncmp(url, "http://", 7))
        p = url + 7;
    else if (!strncmp(url, "ws://", 5))
        p = url + 5;
    else if (!strncmp(url, "https://", 8) || !strncmp(url, "wss://", 6))
        return "TLS upstreams (https://, wss://) are not supported";
    else
        return "expected http://HOST:PORT";
    const char *h = p, *h_end;
    if (*p == '[') {
        h = p + 1;
        h_end = strchr(h, ']');
        if (!h_end)
            return "unclosed [ in the host";
        p = h_end + 1;
    } else {
        h_end = p + strcspn(p, ":/?#");
        p = h_end;
    }
    if (h_end == h)
        return "no host";
    if ((size_t)(h_end - h) >= hostlen)
        return "host too long";
    memcpy(host, h, (size_t)(h_end - h));
    host[h_end - h] = '\0';
    const char *port_s = "80";
    size_t port_n = 2;
    if (*p == ':') {
        port_s = ++p;
        port_n = strspn(p, "0123456789");
        p += port_n;
        if (!port_n || port_n > 5 || atoi(port_s) < 1 || atoi(port_s) > 65535)
            return "bad port";
    }
    if (*p && strcmp(p, "/"))
        return "expected no path after HOST:PORT";
    if (port_n >= portlen)
        return "port too long";
    memcpy(port, port_s, port_n);
    port[port_n] = '\0';
    return NULL;
}

/* Bytes read from one side, waiting to be written to the other. */
struct flow {
    unsigned char *buf;
    size_t off, len;
};

/* One relayed TCP connection: the client's socket and ours to the upstream. As many exist as
 * connections are open (at most MAX_PAIRS). */
struct pair {
    int cfd, ufd;
    int connecting;
    int c_eof, u_eof;   /* that side's reading ended */
    int c_shut, u_shut; /* we ended our writing to that side */
    int done;
    struct flow c2u, u2c;
    struct ms_tap *tap;
    unsigned long number;
};

/* The recorder (one per ms_record_main call). */
struct recorder {
    const char *upstream_url;
    struct addrinfo *up;
    int lfd;
    struct pair **pairs;
    size_t npairs;
    int accept_paused;
    unsigned long accepted, refused_upstream;
    struct ms_recording *rec;
};

static void set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Closes with an RST instead of a FIN (to pass on a reset). */
static void close_reset(int fd)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

static void pair_free(struct pair *p)
{
    if (p->tap) {
        const char *why = ms_tap_problem(p->tap);
        if (why)
            fprintf(stderr,
                    "wsmock record: connection %lu: stopped recording it after %s (it was still "
                    "relayed)\n",
                    p->number, why);
        ms_tap_free(p->tap);
    }
    if (p->cfd >= 0)
        close(p->cfd);
    if (p->ufd >= 0)
        close(p->ufd);
    free(p->c2u.buf);
    free(p->u2c.buf);
    free(p);
}

static void accept_clients(struct recorder *r)
{
    while (r->npairs < MAX_PAIRS) {
        int cfd = accept4(r->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                fprintf(stderr, "wsmock record: cannot accept: %s\n", strerror(errno));
                r->accept_paused = 1; /* until a connection ends */
            }
            return;
        }
        struct pair *p = calloc(1, sizeof *p);
        int ufd = socket(r->up->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (p) {
            p->c2u.buf = malloc(FLOW_CAP);
            p->u2c.buf = malloc(FLOW_CAP);
        }
        if (!p || ufd < 0 || !p->c2u.buf || !p->u2c.buf) {
            fprintf(stderr, "wsmock record: cannot relay a connection: %s\n",
                    ufd < 0 ? strerror(errno) : "out of memory");
            if (p) {
                p->cfd = cfd;
                p->ufd = ufd;
                pair_free(p);
            } else {
                close(cfd);
                if (ufd >= 0)
                    close(ufd);
            }
            continue;
        }
        p->cfd = cfd;
        p->ufd = ufd;
        set_nodelay(cfd);
        set_nodelay(ufd);
        if (connect(ufd, r->up->ai_addr, r->up->ai_addrlen) == 0)
            p->connecting = 0;
        else if (errno == EINPROGRESS)
            p->connecting = 1;
        else
            p->connecting = -errno;
        struct pair **v = realloc(r->pairs, (r->npairs + 1) * sizeof *v);
        if (!v) {
            pair_free(p);
            continue;
        }
        r->pairs = v;
        r->pairs[r->npairs++] = p;
    }
}

/* The upstream connection attempt ended: err 0 (connected) or an errno. */
static void upstream_connected(struct recorder *r, struct pair *p, int err)
{
    p->connecting = 0;
    if (err) {
        r->refused_upstream++;
        fprintf(stderr,
                "wsmock record: upstream %s: %s; closed the client's connection (not recorded)\n",
                r->upstream_url, strerror(err));
        p->done = 1;
        return;
    }
    p->number = ++r->accepted;
    p->tap = ms_tap_new(r->rec);
    if (!p->tap) {
        fprintf(stderr, "wsmock record: out of memory; connection %lu is relayed unrecorded\n",
                p->number);
    }
}

/* Reads from fd into f. Returns bytes read, 0 at EOF, -1 for "nothing now", -2 on an error. */
static long read_into(int fd, struct flow *f)
{
    if (f->off && f->off == f->len)
        f->off = f->len = 0;
    if (f->len == FLOW_CAP)
        return -1;
    ssize_t n = recv(fd, f->buf + f->len, FLOW_CAP - f->len, 0);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -1 : -2;
    f->len += (size_t)n;
    return (long)n;
}

/* Writes what f holds to fd. Returns 0, or -2 on an error. */
static int write_from(int fd, struct flow *f)
{
    while (f->off < f->len) {
        ssize_t n = send(fd, f->buf + f->off, f->len - f->off, MSG_NOSIGNAL);
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -2;
        f->off += (size_t)n;
    }
    f->off = f->len = 0;
    return 0;
}

/* One side failed (reset or error): the other side gets a reset too, and the pair ends. */
static void abort_pair(struct pair *p, int client_failed)
{
    int64_t now = ms_time_mono_us();
    if (p->tap) {
        if (client_failed && !p->c_eof)
            ms_tap_client_eof(p->tap, now);
        if (!client_failed && !p->u_eof)
            ms_tap_server_eof(p->tap, now);
    }
    if (client_failed) {
        close_reset(p->ufd);
        p->ufd = -1;
    } else {
        write_from(p->cfd, &p->u2c); /* what the server said before it failed, if it fits */
        close_reset(p->cfd);
        p->cfd = -1;
    }
    p->done = 1;
}

static void service_pair(struct recorder *r, struct pair *p, short crev, short urev)
{
    if (p->connecting) {
        if (p->connecting < 0) {
            upstream_connected(r, p, -p->connecting);
            return;
        }
        if (!(urev & (POLLOUT | POLLERR | POLLHUP)))
            return;
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(p->ufd, SOL_SOCKET, SO_ERROR, &err, &len))
            err = errno;
        upstream_connected(r, p, err);
        if (p->done)
            return;
        urev = 0;
    }
    if (!p->c_eof && (crev & (POLLIN | POLLHUP | POLLERR))) {
        size_t before = p->c2u.len;
        long n = read_into(p->cfd, &p->c2u);
        int64_t now = ms_time_mono_us();
        if (n > 0 && p->tap)
            ms_tap_client_data(p->tap, p->c2u.buf + before, (size_t)n, now);
        if (n == 0) {
            p->c_eof = 1;
            if (p->tap)
                ms_tap_client_eof(p->tap, now);
        }
        if (n == -2) {
            abort_pair(p, 1);
            return;
        }
    }
    if (!p->u_eof && (urev & (POLLIN | POLLHUP | POLLERR))) {
        size_t before = p->u2c.len;
        long n = read_into(p->ufd, &p->u2c);
        int64_t now = ms_time_mono_us();
        if (n > 0 && p->tap)
            ms_tap_server_data(p->tap, p->u2c.buf + before, (size_t)n, now);
        if (n == 0) {
            p->u_eof = 1;
            if (p->tap)
                ms_tap_server_eof(p->tap, now);
        }
        if (n == -2) {
            abort_pair(p, 0);
            return;
        }
    }
    if (write_from(p->ufd, &p->c2u)) {
        abort_pair(p, 0);
        return;
    }
    if (write_from(p->cfd, &p->u2c)) {
        abort_pair(p, 1);
        return;
    }
    if (p->c_eof && p->c2u.off == p->c2u.len && !p->u_shut) {
        shutdown(p->ufd, SHUT_WR);
        p->u_shut = 1;
    }
    if (p->u_eof && p->u2c.off == p->u2c.len && !p->c_shut) {
        shutdown(p->cfd, SHUT_WR);
        p->c_shut = 1;
    }
    if (p->c_shut && p->u_shut)
        p->done = 1;
}

static short client_events(const struct pair *p)
{
    if (p->connecting)
        return 0;
    short ev = 0;
    if (!p->c_eof && p->c2u.len < FLOW_CAP)
        ev |= POLLIN;
    if (p->u2c.off < p->u2c.len)
        ev |= POLLOUT;
    return ev;
}

static short upstream_events(const struct pair *p)
{
    if (p->connecting)
        return POLLOUT;
    short ev = 0;
    if (!p->u_eof && p->u2c.len < FLOW_CAP)
        ev |= POLLIN;
    if (p->c2u.off < p->c2u.len)
        ev |= POLLOUT;
    return ev;
}

/* Binds the listening socket. Returns 0 or 1 (message printed). */
static int listen_on(struct recorder *r, const char *host, const char *port, char *shown,
                     size_t shownlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai) {
        fprintf(stderr, "wsmock record: cannot listen on %s: %s\n", host, gai_strerror(gai));
        return 1;
    }
    int err = 0;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        int fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) || listen(fd, 128)) {
            err = errno;
            close(fd);
            continue;
        }
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        char num[NI_MAXSERV] = "0";
        if (!getsockname(fd, (struct sockaddr *)&ss, &sl))
            getnameinfo((struct sockaddr *)&ss, sl, NULL, 0, num, sizeof num, NI_NUMERICSERV);
        snprintf(shown, shownlen, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, num);
        r->lfd = fd;
        freeaddrinfo(res);
        return 0;
    }
    freeaddrinfo(res);
    if (err == EADDRINUSE)
        fprintf(stderr, "wsmock record: cannot listen on %s port %s: the port is already in use\n",
                host, port);
    else
        fprintf(stderr, "wsmock record: cannot listen on %s port %s: %s\n", host, port,
                strerror(err));
    return 1;
}

/* The event loop: relays until a signal. Returns 0, or 1 if poll failed. */
static int relay(struct recorder *r, const sigset_t *run_mask)
{
    struct pollfd *fds = NULL;
    size_t cap = 0;
    int rc = 0;
    while (!stop_signal) {
        size_t want = 1 + 2 * r->npairs;
        if (want > cap) {
            struct pollfd *f = realloc(fds, want * sizeof *f);
            if (!f) {
                fprintf(stderr, "wsmock record: out of memory\n");
                rc = 1;
                break;
            }
            fds = f;
            cap = want;
        }
        int listening = r->npairs < MAX_PAIRS && !r->accept_paused;
        fds[0] = (struct pollfd){.fd = listening ? r->lfd : -1, .events = POLLIN};
        for (size_t i = 0; i < r->npairs; i++) {
            struct pair *p = r->pairs[i];
            short ce = client_events(p), ue = upstream_events(p);
            /* A side with nothing to wait for is left out, or its POLLHUP would spin the loop. */
            fds[1 + 2 * i] = (struct pollfd){.fd = ce ? p->cfd : -1, .events = ce};
            fds[2 + 2 * i] = (struct pollfd){.fd = ue || p->connecting ? p->ufd : -1, .events = ue};
            if (p->connecting < 0)
                fds[2 + 2 * i].fd = -1;
        }
        /* A connect that failed at once is handled without waiting. */
        int immediate = 0;
        for (size_t i = 0; i < r->npairs; i++)
            immediate |= r->pairs[i]->connecting < 0;
        struct timespec zero = {0, 0};
        int n = ppoll(fds, want, immediate ? &zero : NULL, run_mask);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "wsmock record: poll: %s\n", strerror(errno));
            rc = 1;
            break;
        }
        size_t before = r->npairs;
        for (size_t i = 0; i < before; i++)
            service_pair(r, r->pairs[i], fds[1 + 2 * i].revents, fds[2 + 2 * i].revents);
        if (fds[0].revents & POLLIN)
            accept_clients(r);
        size_t k = 0;
        for (size_t i = 0; i < r->npairs; i++) {
            if (r->pairs[i]->done) {
                pair_free(r->pairs[i]);
                r->accept_paused = 0;
            } else {
                r->pairs[k++] = r->pairs[i];
            }
        }
        r->npairs = k;
    }
    free(fds);
    return rc;
}

static int is_loopback(const char *host)
{
    return !strcmp(host, "127.0.0.1") || !strcmp(host, "localhost") || !strcmp(host, "::1") ||
           !strncmp(host, "127.", 4);
}

int ms_record_main(int argc, char **argv)
{
    const char *upstream = NULL, *port = NULL, *out = NULL, *host = "127.0.0.1";
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int m;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(record_help, stdout);
            return 0;
        }
        if ((m = option(argc, argv, &i, "--upstream", &v)) > 0)
            upstream = v;
        else if (!m && (m = option(argc, argv, &i, "--port", &v)) > 0)
            port = v;
        else if (!m && (m = option(argc, argv, &i, "--out", &v)) > 0)
            out = v;
        else if (!m && (m = option(argc, argv, &i, "--host", &v)) > 0)
            host = v;
        if (m < 0)
            return usage_error("record", record_help, "%s needs a value", argv[i]);
        if (!m)
            return usage_error("record", record_help, "unknown argument %s", argv[i]);
    }
    if (!upstream)
        return usage_error("record", record_help, "%s is required", "--upstream");
    if (!port)
        return usage_error("record", record_help, "%s is required", "--port");
    if (!out)
        return usage_error("record", record_help, "%s is required", "--out");
    char uhost[256], uport[8];
    const char *why = ms_record_parse_upstream(upstream, uhost, sizeof uhost, uport, sizeof uport);
    if (why) {
        fprintf(stderr, "wsmock record: --upstream %s: %s\n", upstream, why);
        return 2;
    }
    if (!*port || port[strspn(port, "0123456789")] || strlen(port) > 5 || atoi(port) > 65535)
        return usage_error("record", record_help, "--port %s: expected 0-65535", port);
    if ((why = check_out(out))) {
        fprintf(stderr, "wsmock record: --out %s: %s\n", out, why);
        return 2;
    }
    if (!is_loopback(host))
        fprintf(stderr, "wsmock record: warning: listening on %s, not only on loopback\n", host);

    struct recorder r = {.upstream_url = upstream, .lfd = -1};
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    int gai = getaddrinfo(uhost, uport, &hints, &r.up);
    if (gai) {
        fprintf(stderr, "wsmock record: --upstream %s: %s\n", upstream, gai_strerror(gai));
        return 1;
    }
    int rc = 1;
    char shown[300];
    r.rec = ms_recording_new();
    if (!r.rec) {
        fprintf(stderr, "wsmock record: out of memory\n");
        goto out;
    }
    /* SIGINT/SIGTERM are blocked except inside ppoll(), so a signal can never slip in between
     * the check of stop_signal and the wait. */
    sigset_t block, old, run_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &old);
    run_mask = old;
    sigdelset(&run_mask, SIGINT);
    sigdelset(&run_mask, SIGTERM);
    struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term, old_pipe;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigaction(SIGPIPE, &ign, &old_pipe);
    stop_signal = 0;

    if (listen_on(&r, host, port, shown, sizeof shown) == 0) {
        printf("wsmock record listening on http://%s -> %s\n", shown, upstream);
        fflush(stdout);
        rc = relay(&r, &run_mask);
    }

    for (size_t i = 0; i < r.npairs; i++)
        pair_free(r.pairs[i]); /* open connections stay open in the recording */
    free(r.pairs);
    if (r.lfd >= 0) {
        close(r.lfd);
        char date[32], desc[600], name[256];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
        snprintf(desc, sizeof desc, "Recorded from %s on %s", upstream, date);
        ms_rec_scenario_name(out, name, sizeof name);
        char *text = ms_recording_render(r.rec, name, desc);
        if (!text) {
            fprintf(stderr, "wsmock record: out of memory writing %s\n", out);
            rc = 1;
        } else if (write_file(out, text)) {
            fprintf(stderr, "wsmock record: cannot write %s: %s\n", out, strerror(errno));
            rc = 1;
        } else {
            struct ms_recording_stats st;
            ms_recording_stats(r.rec, &st);
            fprintf(stderr,
                    "wsmock record: wrote %s: %zu WebSocket upgrade%s (%zu accepted, %zu refused, "
                    "%zu reset, %zu unanswered), %zu server frame%s, %zu client message%s as "
                    "expectations (%zu not expressible), %zu HTTP exchange%s relayed (not "
                    "replayed), %lu upstream connection%s refused\n",
                    out, st.upgrades, plural(st.upgrades), st.accepted, st.refused, st.reset,
                    st.unanswered, st.server_frames, plural(st.server_frames), st.client_frames,
                    plural(st.client_frames), st.client_skipped, st.http, plural(st.http),
                    r.refused_upstream, plural(r.refused_upstream));
        }
        free(text);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
out:
    ms_recording_free(r.rec);
    freeaddrinfo(r.up);
    return rc;
}

/* ---- wsmock import-har ---- */

int ms_import_har_main(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int m;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(import_help, stdout);
            return 0;
        }
        if ((m = option(argc, argv, &i, "--out", &v)) > 0) {
            out = v;
            continue;
        }
        if (m < 0)
            return usage_error("import-har", import_help, "%s needs a value", argv[i]);
        if (argv[i][0] == '-' && argv[i][1])
            return usage_error("import-har", import_help, "unknown argument %s", argv[i]);
        if (in)
            return usage_error("import-har", import_help, "one HAR file only (also got %s)",
                               argv[i]);
        in = argv[i];
    }
    if (!in)
        return usage_error("import-har", import_help, "%s", "no HAR file given");
    if (!out)
        return usage_error("import-har", import_help, "%s is required", "--out");
    const char *why = check_out(out);
    if (why) {
        fprintf(stderr, "wsmock import-har: --out %s: %s\n", out, why);
        return 2;
    }
    char *text;
    size_t len;
    if (read_file(in, &text, &len)) {
        fprintf(stderr, "wsmock import-har: %s: cannot read: %s\n", in, strerror(errno));
        return 2;
    }
    struct ms_recording *rec = ms_recording_new();
    char err[512], source[256], started[64];
    int rc = rec ? ms_har_import(text, len, in, rec, source, sizeof source, started, sizeof started,
                                 err, sizeof err)
                 : MS_ERR_OOM;
    free(text);
    if (rc) {
        fprintf(stderr, "wsmock import-har: %s\n",
                rc == MS_ERR_OOM && !rec ? "out of memory" : err);
        ms_recording_free(rec);
        return rc == MS_ERR_OOM ? 1 : 2;
    }
    char name[256], desc[700];
    const char *base = strrchr(in, '/');
    ms_rec_scenario_name(out, name, sizeof name);
    snprintf(desc, sizeof desc, "Recorded from %s on %s (imported from %s)", source, started,
             base ? base + 1 : in);
    char *scenario = ms_recording_render(rec, name, desc);
    rc = 0;
    if (!scenario) {
        fprintf(stderr, "wsmock import-har: out of memory\n");
        rc = 1;
    } else if (write_file(out, scenario)) {
        fprintf(stderr, "wsmock import-har: cannot write %s: %s\n", out, strerror(errno));
        rc = 1;
    } else {
        struct ms_recording_stats st;
        ms_recording_stats(rec, &st);
        fprintf(stderr,
                "wsmock import-har: wrote %s: %zu WebSocket entr%s (%zu accepted, %zu refused, "
                "%zu reset), %zu server frame%s, %zu client message%s as expectations (%zu not "
                "expressible), %zu other entr%s not replayed\n",
                out, st.upgrades, st.upgrades == 1 ? "y" : "ies", st.accepted, st.refused, st.reset,
                st.server_frames, plural(st.server_frames), st.client_frames,
                plural(st.client_frames), st.client_skipped, st.http, st.http == 1 ? "y" : "ies");
    }
    free(scenario);
    ms_recording_free(rec);
    return rc;
}
