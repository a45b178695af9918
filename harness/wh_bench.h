/* wh_bench -- the benchmark loads of `wsharness bench`, each measured against one server. */
#ifndef WH_BENCH_H
#define WH_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "wh_spawn.h"

/* What to run and how hard. Strings are borrowed. */
struct wh_bench_opts {
    const char *host; /* IPv4 address of the server */
    int port;
    const char *server_cmd;   /* for ready: the shell command that starts the server */
    const char *server_log;   /* where its output goes (NULL: nowhere) */
    const char *idle_path;    /* idle, handshakes, RTT, soak (default /ws/coordinator) */
    const char *fanout_path;  /* the room's path (default /ws/workflow/bench) */
    const char *fanout_send;  /* the trigger a member sends ({count} expanded); NULL: the
                                 server streams on its own and a window is counted */
    const char *fanout_match; /* a frame counts when it contains this (default "progress") */
    size_t idle_conns, inflight, handshakes, concurrency, room, fanout_count, rtt_conns, pings,
        soak_conns;
    long timeout_ms, hold_ms, fanout_window_ms, heartbeat_ms, pong_timeout_ms;
    double duration_s;
    int sources; /* loopback source addresses */
};

struct wh_bench_idle {
    size_t asked, opened, held;
    double open_s;
    long rss_before_kb, rss_after_kb; /* -1: unknown (no server pid) */
    double kb_per_conn;               /* 0 when unknown */
};

struct wh_bench_handshakes {
    size_t completed, failed;
    double seconds, per_second;
};

struct wh_bench_fanout {
    size_t room;
    uint64_t frames, expected, drops; /* expected is 0 for a streaming server */
    double seconds, per_second;
};

struct wh_bench_rtt {
    size_t conns, samples;
    double p50_ms, p99_ms, max_ms;
};

struct wh_bench_soak {
    size_t conns, held, missed, pongs;
    uint64_t drops;
    double seconds, p50_ms, p99_ms, max_ms;
};

/*
 * Each load returns 0 when it ran as asked, or -1 with the reason in err (the result holds what
 * was measured anyway). They open their own connections and close them before returning.
 */

/* Starts o->server_cmd (see wh_spawn_cmd) into *server (the caller stops it) and measures the
 * time from the start to the first accepted WebSocket upgrade on o->idle_path. */
int wh_bench_ready(const struct wh_bench_opts *o, struct wh_proc *server, double *ready_ms,
                   char *err, size_t errlen);
/* Opens o->idle_conns connections, holds them o->hold_ms; memory from pid's RSS (pid <= 0:
 * unknown). */
int wh_bench_idle(const struct wh_bench_opts *o, pid_t pid, struct wh_bench_idle *r, char *err,
                  size_t errlen);
/* o->handshakes connect + upgrade + close handshake cycles, o->concurrency at a time. */
int wh_bench_handshakes(const struct wh_bench_opts *o, struct wh_bench_handshakes *r, char *err,
                        size_t errlen);
/* A room of o->room members; one sends the trigger; frames per second delivered to all. */
int wh_bench_fanout(const struct wh_bench_opts *o, struct wh_bench_fanout *r, char *err,
                    size_t errlen);
/* o->rtt_conns connections open; o->pings WebSocket pings, one in flight at a time. */
int wh_bench_rtt(const struct wh_bench_opts *o, struct wh_bench_rtt *r, char *err, size_t errlen);
/* o->soak_conns connections for o->duration_s with a ping each o->heartbeat_ms; a pong later
 * than o->pong_timeout_ms is a miss; a connection the server ends is a drop. */
int wh_bench_soak(const struct wh_bench_opts *o, struct wh_bench_soak *r, char *err, size_t errlen);

/* Raises this process's soft open-file limit to the hard one. */
void wh_bench_raise_nofile(void);
/* A loopback TCP port that was free a moment ago, or -1. */
int wh_bench_free_port(void);

#endif
