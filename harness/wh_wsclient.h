/* wh_wsclient -- a small HTTP/1.1 and WebSocket client with deadlines (poll, no TLS). */
#ifndef WH_WSCLIENT_H
#define WH_WSCLIENT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Every call here takes a timeout in milliseconds and never blocks longer (except the host-name
 * lookup, which is getaddrinfo's own: numeric addresses and localhost answer at once). Errors are
 * 0 or one of these negative codes; the structures that carry a result also carry a sentence
 * saying what happened (`detail`), for people.
 */
enum wh_net_err {
    WH_NET_OK = 0,
    WH_NET_ERR_OOM = -1,      /* an allocation failed */
    WH_NET_ERR_URL = -2,      /* not an http://, ws://, https:// or wss:// URL */
    WH_NET_ERR_RESOLVE = -3,  /* the host name does not resolve */
    WH_NET_ERR_REFUSED = -4,  /* connection refused: nothing listens on that port */
    WH_NET_ERR_TIMEOUT = -5,  /* the deadline passed first */
    WH_NET_ERR_IO = -6,       /* a socket error: reset by the peer, unreachable, ... */
    WH_NET_ERR_CLOSED = -7,   /* the peer ended the TCP connection (before a whole answer, or a
                                 WebSocket without a close frame: the browser's 1006) */
    WH_NET_ERR_PROTOCOL = -8, /* the answer is not HTTP, or not valid WebSocket framing */
    WH_NET_ERR_TLS = -9,      /* the peer answered with TLS records: it expects https/wss */
    WH_NET_ERR_NO_TLS = -10,  /* https/wss was asked for: this client has no TLS */
    WH_NET_ERR_UPGRADE = -11, /* the upgrade was refused (no 101) or its 101 was wrong */
};

/* A static, short name for a wh_net_err code ("connection refused", ...); never NULL. */
const char *wh_net_strerror(int err);

/*
 * Opens a TCP connection to host:port and closes it again: does anything listen there? Returns 0,
 * WH_NET_ERR_REFUSED, _TIMEOUT, _RESOLVE or _IO, with a sentence in detail; *ms gets the connect
 * time.
 */
int wh_net_probe(const char *host, int port, long timeout_ms, double *ms, char *detail,
                 size_t dlen);

/* A parsed URL. */
struct wh_url {
    char scheme[8];  /* "http", "ws", "https" or "wss" (lower case) */
    int tls;         /* 1 for https and wss */
    char host[256];  /* a name, an IPv4 address, or an IPv6 address without its brackets */
    int port;        /* given, or 80 / 443 by scheme */
    char path[2048]; /* the path and query, "/" when the URL has none */
};

/*
 * Parses "scheme://host[:port][/path[?query]]" into u. Returns 0, or WH_NET_ERR_URL (unknown
 * scheme, no host, bad port, too long).
 */
int wh_url_parse(const char *text, struct wh_url *u);
/* Writes "host:port" as a Host header or URL wants it ("[::1]:3001" for IPv6). */
void wh_url_hostport(const char *host, int port, char *out, size_t len);

/* One response header; both strings are owned by the response. */
struct wh_http_header {
    char *name;
    char *value;
};

/* An HTTP response as read from the wire. Everything in it is owned by it. */
struct wh_http_response {
    int status;   /* 0 when no status line was read */
    char *reason; /* "OK", "Forbidden", ... (NULL when status is 0) */
    char *head;   /* the raw head, status line to the empty line included, NUL-terminated */
    size_t head_len;
    struct wh_http_header *headers; /* in the order received */
    size_t n_headers;
    unsigned char *body; /* NUL-terminated (the NUL is not counted in body_len); chunked decoded */
    size_t body_len;
};

/* Frees what r holds and zeroes it; r itself is the caller's. */
void wh_http_response_free(struct wh_http_response *r);
/* The value of the first header called name (any case), borrowed from r, or NULL. */
const char *wh_http_header(const struct wh_http_response *r, const char *name);

/* The outcome of one HTTP request. */
struct wh_http_result {
    int err;                      /* 0 when a whole response was read, or a wh_net_err */
    char detail[256];             /* what went wrong ("" on success) */
    struct wh_http_response resp; /* as much of the response as arrived */
    double connect_ms;            /* TCP connect time (-1 when it did not connect) */
    double total_ms;              /* connect to the end of the response (or the failure) */
};

/*
 * Sends one request on a new connection to host:port and reads the whole response (Content-Length,
 * chunked, or up to the close), all within timeout_ms. method and path go into the request line
 * verbatim; headers is a NULL-terminated list of extra "Name: value" lines (may be NULL); Host,
 * Connection: close and, with a body, Content-Length are added. Fills out (the caller frees it with
 * wh_http_result_free) and returns out->err.
 */
int wh_http_request(const char *host, int port, const char *method, const char *path,
                    const char *const *headers, const void *body, size_t body_len, long timeout_ms,
                    struct wh_http_result *out);
/* Frees what r holds. */
void wh_http_result_free(struct wh_http_result *r);

/* Options for a WebSocket upgrade. Every pointer is borrowed for the call only. */
struct wh_ws_opts {
    const char *origin;         /* an Origin header, or NULL for none (like curl or python) */
    const char *const *headers; /* extra "Name: value" lines, NULL-terminated, or NULL */
    const char *key;            /* the Sec-WebSocket-Key to send; NULL: 16 random bytes */
    long timeout_ms;            /* TCP connect plus the handshake; 0: 5000 */
};

struct wh_ws_impl;

/* One WebSocket client connection and how its opening went. */
struct wh_ws {
    int err;                      /* 0: open; else why not (WH_NET_ERR_UPGRADE: see resp) */
    char detail[256];             /* what went wrong ("" when open) */
    struct wh_http_response resp; /* the answer to the upgrade: the 101, or the refusal and body */
    double connect_ms;            /* TCP connect time (-1 when it did not connect) */
    double handshake_ms;          /* request sent to the end of the answer (-1: no answer) */
    int close_code;               /* the peer's close code once its close frame came: 1005 for an
                                     empty one, -1 before */
    char close_reason[128];       /* the peer's close reason (NUL-terminated, may be cut) */
    struct wh_ws_impl *impl;      /* private */
};

/* A received message. data is borrowed from the connection until the next wh_ws_recv() or
 * wh_ws_free(); it is NUL-terminated (not counted in len). */
struct wh_ws_msg {
    int opcode; /* 0x1 text, 0x2 binary, 0x8 close, 0xA pong */
    const unsigned char *data;
    size_t len;
};

/*
 * Connects to host:port and asks to upgrade path (and query) to a WebSocket: random key, version
 * 13, the options' Origin and extra headers. Verifies the 101 (Upgrade, Connection,
 * Sec-WebSocket-Accept). Returns a new connection (the caller frees it with wh_ws_free) whose err
 * says whether it is open; NULL only when out of memory. On a refusal err is WH_NET_ERR_UPGRADE
 * and resp holds the status, headers and body.
 */
struct wh_ws *wh_ws_connect(const char *host, int port, const char *path,
                            const struct wh_ws_opts *o);
/* Closes the socket and frees ws and everything it holds; NULL is ignored. */
void wh_ws_free(struct wh_ws *ws);

/*
 * Sends one frame (FIN set, masked with a fresh random mask): opcode 0x1 text, 0x2 binary, 0x8
 * close, 0x9 ping, 0xA pong, or anything else for tests. The payload is sent as given (no UTF-8
 * check). Returns 0, WH_NET_ERR_TIMEOUT, WH_NET_ERR_IO / _CLOSED, or WH_NET_ERR_UPGRADE if ws is
 * not open.
 */
int wh_ws_send(struct wh_ws *ws, int opcode, const void *data, size_t len, long timeout_ms);
/* Sends text (a C string) as one text frame. Same returns as wh_ws_send(). */
int wh_ws_send_text(struct wh_ws *ws, const char *text, long timeout_ms);
/* Sends a close frame with code and reason (code < 0: an empty close payload). Same returns. */
int wh_ws_send_close(struct wh_ws *ws, int code, const char *reason, long timeout_ms);

/*
 * Waits up to timeout_ms for the next message: text, binary, a close frame (close_code and
 * close_reason are set; if this side had not sent a close yet, the close is echoed) or a pong.
 * Pings are answered with a pong and not returned. Returns 0 with msg filled; WH_NET_ERR_TIMEOUT;
 * WH_NET_ERR_CLOSED when the TCP connection ended without (or after) a close frame;
 * WH_NET_ERR_PROTOCOL for bad framing; WH_NET_ERR_IO for a socket error.
 */
int wh_ws_recv(struct wh_ws *ws, long timeout_ms, struct wh_ws_msg *msg);

/* The connection's socket, for poll() over many connections (-1 when closed). Read it only
 * through wh_ws_recv(), which may also hold messages already received (call it with timeout 0
 * before polling). */
int wh_ws_fd(const struct wh_ws *ws);

/*
 * Waits up to timeout_ms for the peer to end the TCP connection, discarding anything that still
 * arrives. Returns 0 when it ended (EOF or reset), WH_NET_ERR_TIMEOUT otherwise.
 */
int wh_ws_wait_eof(struct wh_ws *ws, long timeout_ms);

/* Writes the Sec-WebSocket-Accept value for key (RFC 6455 4.2.2: base64 of SHA-1 of key + GUID)
 * into out (29 bytes with the NUL). */
void wh_ws_accept_key(const char *key, char out[29]);
/* Writes one client frame (FIN set, masked with the 4 bytes of mask) to out, which must hold
 * len + 14 bytes. Returns the frame's length. */
size_t wh_ws_encode_frame(unsigned char *out, int opcode, const void *data, size_t len,
                          uint32_t mask);

#endif
