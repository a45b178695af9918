/* wh_client -- a reconnecting WebSocket client (libwebsockets) that follows the reference
 * reconnect policy (ms_policy.h), detects a half-open server with an app-level heartbeat, and
 * records every event it goes through with its time. */
#ifndef WH_CLIENT_H
#define WH_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include "ms_policy.h"

enum wh_event_kind {
    WH_EV_CONNECTING, /* attempt n started */
    WH_EV_OPEN,       /* the upgrade was accepted */
    WH_EV_MESSAGE,    /* a text (or binary) message arrived; text holds it */
    WH_EV_REFUSED,    /* the upgrade failed: status (0 if no HTTP answer), text = why */
    WH_EV_CLOSED,     /* an open connection ended: code (1006 without a close frame), text */
    WH_EV_STALE,      /* no answer to the heartbeat in time: the server is half-open */
    WH_EV_RETRY,      /* a reconnect is scheduled: delay_ms, attempt = the next attempt */
    WH_EV_GAVE_UP,    /* the policy allows no more retries */
    WH_EV_STOPPED,    /* the client closed on purpose (wh_client_close): no reconnect */
};

struct wh_event {
    enum wh_event_kind kind;
    double t_ms;     /* since wh_client_new */
    long attempt;    /* 1, 2, ... */
    long retry;      /* retries in a row when it happened */
    int status;      /* REFUSED: HTTP status; CLOSED: close code */
    double delay_ms; /* RETRY */
    char *text;      /* MESSAGE, REFUSED, CLOSED: owned by the client */
};

struct wh_client_opts {
    const char *url;    /* ws://host:port/path?query (no TLS) */
    const char *origin; /* Origin header, or NULL */
    struct ms_policy policy;
    double scale;      /* every policy delay and the heartbeat times are multiplied by it (0: 1) */
    uint64_t seed;     /* jitter is drawn from this seed */
    long heartbeat_ms; /* send {"type":"ping"} this often while open (0: never) */
    long stale_ms;     /* no message for this long after a ping: half-open, drop and retry
                          (0: 2 x heartbeat_ms) */
    long max_events;   /* events kept (0: 100000) */
    int read_stdin;    /* 1: every line read from stdin is sent; end of input closes with 1000 */
    /* called for every event as it happens (may be NULL); the event is the client's */
    void (*on_event)(void *user, const struct wh_event *ev);
    void *user;
};

struct wh_client;

/* Creates a client and its lws context (nothing connects until wh_client_start). Returns NULL
 * with a reason in err (a bad URL, TLS asked for, no memory). Free with wh_client_free. */
struct wh_client *wh_client_new(const struct wh_client_opts *o, char *err, size_t errlen);
void wh_client_free(struct wh_client *c);
/* Starts attempt 1 now. */
void wh_client_start(struct wh_client *c);
/* Queues a text message (sent while open; dropped with a count when not open). */
void wh_client_send(struct wh_client *c, const char *text);
/* Closes on purpose with code (1000 normally): no reconnect afterwards. */
void wh_client_close(struct wh_client *c, int code);
/* Starts over after giving up or stopping: the retry count is reset and attempt n+1 starts. */
void wh_client_retry_now(struct wh_client *c);
/*
 * Runs the event loop until done(user) returns non-zero (checked after every event) or
 * timeout_ms passes. Returns 1 if done, 0 on timeout. done may be NULL (run for timeout_ms).
 */
int wh_client_run(struct wh_client *c, long timeout_ms, int (*done)(void *user), void *user);

/* The events so far (oldest first) and how many. */
const struct wh_event *wh_client_events(const struct wh_client *c, size_t *n);
/* How many events of kind there are. */
size_t wh_client_count(const struct wh_client *c, enum wh_event_kind kind);
/* The last event of kind, or NULL. */
const struct wh_event *wh_client_last(const struct wh_client *c, enum wh_event_kind kind);
/* 1 while a connection is open. */
int wh_client_is_open(const struct wh_client *c);
/* A static name for an event kind ("open", "refused", ...). */
const char *wh_event_name(enum wh_event_kind kind);

#endif
