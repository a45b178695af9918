/* wh_loadgen -- many non-blocking WebSocket client connections on one epoll loop, for load. */
#ifndef WH_LOADGEN_H
#define WH_LOADGEN_H

#include <stddef.h>
#include <stdint.h>

enum wh_lg_state {
    WH_LG_IDLE = 0,   /* a free slot */
    WH_LG_CONNECTING, /* TCP connect in progress */
    WH_LG_UPGRADING,  /* request sent, reading the answer's head */
    WH_LG_OPEN,       /* 101 received: frames flow */
    WH_LG_CLOSING,    /* our close frame sent, waiting for the peer's */
    WH_LG_DONE,       /* ended (see why) */
};

/* Why a connection ended. */
enum wh_lg_end {
    WH_LG_END_NONE = 0,
    WH_LG_END_CLOSED,  /* close handshake completed (we started it) */
    WH_LG_END_PEER,    /* the server sent a close frame or ended the TCP connection: a drop */
    WH_LG_END_REFUSED, /* TCP connect failed */
    WH_LG_END_UPGRADE, /* the answer was not a 101 */
    WH_LG_END_IO,      /* a socket error or bad framing */
    WH_LG_END_TIMEOUT, /* the caller's deadline */
};

/* One client connection (a slot in the load generator's array). */
struct wh_lg_conn {
    int fd;
    enum wh_lg_state state;
    enum wh_lg_end end;
    int close_code;    /* the peer's close code, -1 if none came */
    unsigned char *in; /* bytes of an incomplete head or frame, malloc'd; NULL when none */
    size_t in_len, in_cap;
    unsigned char *out; /* bytes the socket did not take yet, malloc'd; NULL when none */
    size_t out_len;
    uint64_t frames;      /* data frames received (text and binary) */
    uint64_t matched;     /* of them, those containing the generator's match string */
    int64_t ping_sent_ns; /* when the outstanding ping went out, 0 when none */
};

struct wh_lg;

/* Callbacks; each may be NULL. i is the connection's slot. */
struct wh_lg_hooks {
    void (*on_open)(struct wh_lg *lg, size_t i, void *arg);
    /* a pong for a ping sent by wh_lg_ping(); rtt in nanoseconds */
    void (*on_pong)(struct wh_lg *lg, size_t i, int64_t rtt_ns, void *arg);
    void (*on_end)(struct wh_lg *lg, size_t i, void *arg);
    void *arg;
};

/* The load generator: one target (host:port, path), many slots. Fields are read-only outside. */
struct wh_lg {
    int ep;            /* epoll descriptor */
    uint32_t dst_addr; /* IPv4 target, network order */
    uint16_t dst_port; /* network order */
    char *request;     /* the upgrade request, malloc'd */
    size_t request_len;
    int n_src; /* loopback source addresses to spread over (127.0.0.1..n_src) */
    int next_src;
    struct wh_lg_conn *c; /* the slots, malloc'd */
    size_t n;             /* slots in use (0..n-1) */
    size_t n_open;        /* connections in WH_LG_OPEN */
    size_t n_pending;     /* connections connecting or upgrading */
    const char *match;    /* counted in conn.matched (borrowed; NULL: none) */
    size_t match_len;
    struct wh_lg_hooks hooks;
    uint64_t total_frames, total_matched, drops;
    char error[256]; /* the first failure's reason, for people */
};

/*
 * Prepares lg for connections to ws://host:port/path (host an IPv4 address or "localhost").
 * n_src > 1 spreads connections over 127.0.0.1..127.0.0.n_src when host is loopback (each source
 * address has its own ephemeral ports). Returns 0, or -1 with lg->error set. The caller frees with
 * wh_lg_free() either way.
 */
int wh_lg_init(struct wh_lg *lg, const char *host, int port, const char *path, int n_src);
/* Closes every socket and frees what lg holds (not lg itself). */
void wh_lg_free(struct wh_lg *lg);

/* Counts data frames containing text (borrowed for lg's life) in each conn's `matched`. */
void wh_lg_set_match(struct wh_lg *lg, const char *text);

/*
 * Opens `count` more connections, at most `inflight` connecting or upgrading at once, and runs the
 * loop until all of them are open or have failed, or timeout_ms passes. Returns how many opened.
 */
size_t wh_lg_open(struct wh_lg *lg, size_t count, size_t inflight, long timeout_ms);

/* Starts a new connection in slot i (which must be WH_LG_DONE or new: i == lg->n). 0 or -1. */
int wh_lg_start(struct wh_lg *lg, size_t i);

/*
 * Runs the event loop until done(lg, arg) returns non-zero (checked after every batch of events)
 * or timeout_ms passes. Returns 1 when done() said so, 0 on the deadline.
 */
int wh_lg_run(struct wh_lg *lg, long timeout_ms, int (*done)(struct wh_lg *lg, void *arg),
              void *arg);

/* Queues one masked frame on an open connection. 0, or -1 if it is not open. */
int wh_lg_send(struct wh_lg *lg, size_t i, int opcode, const void *data, size_t len);
/* Sends a ping carrying the send time; the pong reaches hooks.on_pong. 0 or -1. */
int wh_lg_ping(struct wh_lg *lg, size_t i);
/* Starts the close handshake (1000) on an open connection; the slot ends as WH_LG_END_CLOSED. */
int wh_lg_close(struct wh_lg *lg, size_t i);
/* Ends slot i now (RST, no TIME_WAIT) with the given reason. */
void wh_lg_abort(struct wh_lg *lg, size_t i, enum wh_lg_end why);

/* Monotonic clock in nanoseconds. */
int64_t wh_lg_now_ns(void);

#endif
