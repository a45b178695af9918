/* wh_bench -- `wsharness bench`: the loads (ready, idle, handshakes, fan-out, ping RTT, soak). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include "wh_bench.h"
#include "wh_commands.h"
#include "wh_loadgen.h"
#include "wh_spawn.h"
#include "wh_wsclient.h"

#define MS(ns) ((double)(ns) / 1e6)

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Fills p50, p99 and max (ms) from n samples in nanoseconds (sorted here). */
static void percentiles(int64_t *s, size_t n, double *p50, double *p99, double *max)
{
    *p50 = *p99 = *max = 0;
    if (!n)
        return;
    qsort(s, n, sizeof(*s), cmp_i64);
    *p50 = MS(s[(n - 1) * 50 / 100]);
    *p99 = MS(s[(n - 1) * 99 / 100]);
    *max = MS(s[n - 1]);
}

static int lg_init(const struct wh_bench_opts *o, struct wh_lg *lg, const char *path, char *err,
                   size_t errlen)
{
    if (wh_lg_init(lg, o->host, o->port, path, o->sources)) {
        snprintf(err, errlen, "%s", lg->error);
        wh_lg_free(lg);
        return -1;
    }
    return 0;
}

int wh_bench_ready(const struct wh_bench_opts *o, struct wh_proc *server, double *ready_ms,
                   char *err, size_t errlen)
{
    int64_t t0 = wh_lg_now_ns();
    if (wh_spawn_cmd(server, o->server_cmd, o->server_log, err, errlen))
        return -1;
    int64_t deadline = t0 + (int64_t)o->timeout_ms * 1000000;
    /* Spin on connect: a refused connect costs microseconds, and the moment the server
     * accepts is what is measured. */
    for (;;) {
        struct wh_ws_opts wo = {.timeout_ms = (deadline - wh_lg_now_ns()) / 1000000};
        if (wo.timeout_ms <= 0) {
            snprintf(err, errlen, "the server accepted no WebSocket within %ld ms", o->timeout_ms);
            return -1;
        }
        struct wh_ws *ws = wh_ws_connect(o->host, o->port, o->idle_path, &wo);
        if (!ws) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        int rc = ws->err;
        if (rc == 0) {
            *ready_ms = MS(wh_lg_now_ns() - t0);
            wh_ws_free(ws);
            return 0;
        }
        if (rc != WH_NET_ERR_REFUSED) {
            snprintf(err, errlen, "first connection to %s: %s", o->idle_path, ws->detail);
            wh_ws_free(ws);
            return -1;
        }
        wh_ws_free(ws);
        if (!wh_proc_alive(server)) {
            snprintf(err, errlen, "the server exited before it accepted a connection (log: %s)",
                     o->server_log ? o->server_log : "none, use --server-log");
            return -1;
        }
    }
}

/* ---- idle connections ---- */

static int all_gone(struct wh_lg *lg, void *arg)
{
    (void)arg;
    return lg->n_open == 0 && lg->n_pending == 0;
}

int wh_bench_idle(const struct wh_bench_opts *o, pid_t pid, struct wh_bench_idle *r, char *err,
                  size_t errlen)
{
    struct wh_lg lg;
    memset(r, 0, sizeof(*r));
    if (lg_init(o, &lg, o->idle_path, err, errlen))
        return -1;
    r->asked = o->idle_conns;
    r->rss_before_kb = pid > 0 ? wh_proc_rss_kb(pid) : -1;
    int64_t t0 = wh_lg_now_ns();
    r->opened = wh_lg_open(&lg, o->idle_conns, o->inflight, o->timeout_ms);
    r->open_s = MS(wh_lg_now_ns() - t0) / 1000;
    /* hold them: anything the server ends now is a drop */
    wh_lg_run(&lg, o->hold_ms, NULL, NULL);
    r->held = lg.n_open;
    r->rss_after_kb = pid > 0 ? wh_proc_rss_kb(pid) : -1;
    if (r->rss_before_kb >= 0 && r->rss_after_kb >= 0 && r->held)
        r->kb_per_conn = (double)(r->rss_after_kb - r->rss_before_kb) / (double)r->held;
    if (r->opened < r->asked)
        snprintf(err, errlen, "%zu of %zu connections opened: %s", r->opened, r->asked,
                 lg.error[0] ? lg.error : "time-out");
    int ok = r->held == r->asked;
    if (ok == 0 && !err[0])
        snprintf(err, errlen, "%zu of %zu connections dropped while held", r->opened - r->held,
                 r->opened);
    /* close them all and let the server see it before the next load */
    for (size_t i = 0; i < lg.n; i++)
        if (lg.c[i].state == WH_LG_OPEN)
            wh_lg_close(&lg, i);
    wh_lg_run(&lg, 5000, all_gone, NULL);
    wh_lg_free(&lg);
    return ok ? 0 : -1;
}

/* ---- handshakes per second ---- */

struct cycle {
    size_t target, started, completed, failed;
};

static void cycle_open(struct wh_lg *lg, size_t i, void *arg)
{
    (void)arg;
    wh_lg_close(lg, i);
}

static void cycle_end(struct wh_lg *lg, size_t i, void *arg)
{
    struct cycle *cy = arg;
    if (lg->c[i].end == WH_LG_END_CLOSED || lg->c[i].end == WH_LG_END_PEER)
        cy->completed++;
    else
        cy->failed++;
    if (cy->started < cy->target) {
        cy->started++;
        wh_lg_start(lg, i);
    }
}

static int cycles_done(struct wh_lg *lg, void *arg)
{
    struct cycle *cy = arg;
    return cy->completed + cy->failed >= cy->target || (lg->n_open == 0 && lg->n_pending == 0);
}

int wh_bench_handshakes(const struct wh_bench_opts *o, struct wh_bench_handshakes *r, char *err,
                        size_t errlen)
{
    struct wh_lg lg;
    memset(r, 0, sizeof(*r));
    if (lg_init(o, &lg, o->idle_path, err, errlen))
        return -1;
    struct cycle cy = {.target = o->handshakes};
    lg.hooks = (struct wh_lg_hooks){.on_open = cycle_open, .on_end = cycle_end, .arg = &cy};
    int64_t t0 = wh_lg_now_ns();
    size_t conc = o->concurrency < cy.target ? o->concurrency : cy.target;
    for (size_t i = 0; i < conc; i++) {
        cy.started++;
        wh_lg_start(&lg, i);
    }
    wh_lg_run(&lg, o->timeout_ms, cycles_done, &cy);
    double s = MS(wh_lg_now_ns() - t0) / 1000;
    r->completed = cy.completed;
    r->failed = cy.failed;
    r->seconds = s;
    r->per_second = s > 0 ? (double)cy.completed / s : 0;
    int ok = cy.completed == cy.target;
    if (!ok)
        snprintf(err, errlen, "%zu of %zu handshakes completed (%zu failed): %s", cy.completed,
                 cy.target, cy.failed, lg.error[0] ? lg.error : "time-out");
    wh_lg_free(&lg);
    return ok ? 0 : -1;
}

/* ---- fan-out ---- */

struct fan {
    uint64_t goal;
    int64_t t_last;
};

static int fan_done(struct wh_lg *lg, void *arg)
{
    struct fan *f = arg;
    if (lg->total_matched >= f->goal) {
        f->t_last = wh_lg_now_ns();
        return 1;
    }
    return 0;
}

/* Expands {count} in the trigger text. */
static char *trigger_text(const char *tmpl, size_t count)
{
    const char *at = strstr(tmpl, "{count}");
    char num[32];
    snprintf(num, sizeof(num), "%zu", count);
    size_t len = strlen(tmpl) + sizeof(num);
    char *t = malloc(len);
    if (!t)
        return NULL;
    if (at)
        snprintf(t, len, "%.*s%s%s", (int)(at - tmpl), tmpl, num, at + 7);
    else
        snprintf(t, len, "%s", tmpl);
    return t;
}

int wh_bench_fanout(const struct wh_bench_opts *o, struct wh_bench_fanout *r, char *err,
                    size_t errlen)
{
    struct wh_lg lg;
    memset(r, 0, sizeof(*r));
    if (lg_init(o, &lg, o->fanout_path, err, errlen))
        return -1;
    wh_lg_set_match(&lg, o->fanout_match);
    r->room = wh_lg_open(&lg, o->room, o->inflight, o->timeout_ms);
    int ok = r->room == o->room;
    if (!ok) {
        snprintf(err, errlen, "%zu of %zu room members connected: %s", r->room, o->room,
                 lg.error[0] ? lg.error : "time-out");
        wh_lg_free(&lg);
        return -1;
    }
    struct fan f = {0};
    int64_t t0;
    if (o->fanout_send) {
        /* the server broadcasts `count` frames to the room when one member asks */
        char *text = trigger_text(o->fanout_send, o->fanout_count);
        lg.total_matched = 0;
        f.goal = (uint64_t)o->fanout_count * r->room;
        t0 = wh_lg_now_ns();
        if (!text || wh_lg_send(&lg, 0, 0x1, text, strlen(text))) {
            free(text);
            snprintf(err, errlen, "could not send the trigger");
            wh_lg_free(&lg);
            return -1;
        }
        free(text);
        ok = wh_lg_run(&lg, o->timeout_ms, fan_done, &f);
        if (!ok)
            f.t_last = wh_lg_now_ns();
    } else {
        /* a server that streams on its own: count what arrives in a window after the first */
        f.goal = 1;
        wh_lg_run(&lg, o->timeout_ms, fan_done, &f);
        lg.total_matched = 0;
        t0 = wh_lg_now_ns();
        f.goal = UINT64_MAX;
        wh_lg_run(&lg, o->fanout_window_ms, fan_done, &f);
        f.t_last = wh_lg_now_ns();
        ok = lg.total_matched > 0;
    }
    r->frames = lg.total_matched;
    r->expected = o->fanout_send ? f.goal : 0;
    r->seconds = MS(f.t_last - t0) / 1000;
    r->per_second = r->seconds > 0 ? (double)r->frames / r->seconds : 0;
    r->drops = lg.drops;
    if (!ok)
        snprintf(err, errlen, "%llu of %llu frames arrived within %ld ms (%llu members dropped)",
                 (unsigned long long)r->frames, (unsigned long long)f.goal, o->timeout_ms,
                 (unsigned long long)lg.drops);
    wh_lg_free(&lg);
    return ok ? 0 : -1;
}

/* ---- ping RTT (and the soak, which is RTT over time with heartbeats) ---- */

struct rtt {
    int64_t *s;
    size_t n, cap, want;
    size_t next;
};

static void rtt_pong(struct wh_lg *lg, size_t i, int64_t rtt_ns, void *arg)
{
    (void)i;
    struct rtt *r = arg;
    if (r->n < r->cap)
        r->s[r->n++] = rtt_ns;
    /* one ping in flight at a time, round robin over the connections */
    for (size_t k = 0; r->n < r->want && k < lg->n; k++) {
        size_t j = r->next++ % lg->n;
        if (lg->c[j].state == WH_LG_OPEN && !wh_lg_ping(lg, j))
            return;
    }
}

static int rtt_done(struct wh_lg *lg, void *arg)
{
    struct rtt *r = arg;
    return r->n >= r->want || lg->n_open == 0;
}

int wh_bench_rtt(const struct wh_bench_opts *o, struct wh_bench_rtt *r, char *err, size_t errlen)
{
    struct wh_lg lg;
    memset(r, 0, sizeof(*r));
    if (lg_init(o, &lg, o->idle_path, err, errlen))
        return -1;
    r->conns = wh_lg_open(&lg, o->rtt_conns, o->inflight, o->timeout_ms);
    struct rtt st = {.want = o->pings, .cap = o->pings};
    st.s = malloc(st.cap * sizeof(*st.s));
    int ok = r->conns == o->rtt_conns && st.s;
    if (ok) {
        lg.hooks = (struct wh_lg_hooks){.on_pong = rtt_pong, .arg = &st};
        st.next = 1;
        ok = !wh_lg_ping(&lg, 0) && wh_lg_run(&lg, o->timeout_ms, rtt_done, &st) && st.n == st.want;
    }
    r->samples = st.n;
    percentiles(st.s, st.n, &r->p50_ms, &r->p99_ms, &r->max_ms);
    if (!ok)
        snprintf(err, errlen, "%zu of %zu connections, %zu of %zu pongs: %s", r->conns,
                 o->rtt_conns, st.n, st.want, lg.error[0] ? lg.error : "time-out");
    free(st.s);
    wh_lg_free(&lg);
    return ok ? 0 : -1;
}

struct soak {
    int64_t end_ns, period_ns, pong_timeout_ns;
    int64_t *next_ping; /* per connection */
    struct rtt rtt;
    size_t missed;
};

static void soak_pong(struct wh_lg *lg, size_t i, int64_t rtt_ns, void *arg)
{
    (void)lg;
    (void)i;
    struct soak *s = arg;
    if (s->rtt.n == s->rtt.cap) {
        size_t cap = s->rtt.cap ? s->rtt.cap * 2 : 4096;
        int64_t *n = realloc(s->rtt.s, cap * sizeof(*n));
        if (!n)
            return;
        s->rtt.s = n;
        s->rtt.cap = cap;
    }
    s->rtt.s[s->rtt.n++] = rtt_ns;
}

/* The heartbeat: each connection pings once per period; an unanswered ping is a miss. */
static int soak_tick(struct wh_lg *lg, void *arg)
{
    struct soak *s = arg;
    int64_t now = wh_lg_now_ns();
    if (now >= s->end_ns)
        return 1;
    for (size_t i = 0; i < lg->n; i++) {
        struct wh_lg_conn *c = &lg->c[i];
        if (c->state != WH_LG_OPEN)
            continue;
        if (c->ping_sent_ns && now - c->ping_sent_ns > s->pong_timeout_ns) {
            s->missed++;
            c->ping_sent_ns = 0;
        }
        if (now >= s->next_ping[i] && !c->ping_sent_ns) {
            wh_lg_ping(lg, i);
            s->next_ping[i] = now + s->period_ns;
        }
    }
    return 0;
}

int wh_bench_soak(const struct wh_bench_opts *o, struct wh_bench_soak *r, char *err, size_t errlen)
{
    struct wh_lg lg;
    memset(r, 0, sizeof(*r));
    if (lg_init(o, &lg, o->idle_path, err, errlen))
        return -1;
    r->conns = wh_lg_open(&lg, o->soak_conns, o->inflight, o->timeout_ms);
    struct soak s = {.period_ns = (int64_t)o->heartbeat_ms * 1000000,
                     .pong_timeout_ns = (int64_t)o->pong_timeout_ms * 1000000};
    s.next_ping = calloc(lg.n ? lg.n : 1, sizeof(*s.next_ping));
    int ok = r->conns == o->soak_conns && s.next_ping;
    if (ok) {
        int64_t now = wh_lg_now_ns();
        for (size_t i = 0; i < lg.n; i++) /* spread the heartbeats over one period */
            s.next_ping[i] = now + s.period_ns * (int64_t)i / (int64_t)lg.n;
        s.end_ns = now + (int64_t)(o->duration_s * 1e9);
        lg.hooks = (struct wh_lg_hooks){.on_pong = soak_pong, .arg = &s};
        /* wh_lg_run wakes at least every second; the heartbeat needs a finer tick */
        while (!soak_tick(&lg, &s))
            wh_lg_run(&lg, 20, soak_tick, &s);
    }
    r->seconds = o->duration_s;
    r->held = lg.n_open;
    r->drops = lg.drops;
    r->missed = s.missed;
    r->pongs = s.rtt.n;
    percentiles(s.rtt.s, s.rtt.n, &r->p50_ms, &r->p99_ms, &r->max_ms);
    if (!ok)
        snprintf(err, errlen, "%zu of %zu connections opened: %s", r->conns, o->soak_conns,
                 lg.error[0] ? lg.error : "time-out");
    else if (r->drops || r->missed)
        snprintf(err, errlen, "%llu connections dropped, %zu heartbeats unanswered",
                 (unsigned long long)r->drops, r->missed);
    free(s.next_ping);
    free(s.rtt.s);
    wh_lg_free(&lg);
    return ok && !r->drops && !r->missed ? 0 : -1;
}

void wh_bench_raise_nofile(void)
{
    struct rlimit rl;
    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int wh_bench_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int port = -1;
    if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
        !getsockname(fd, (struct sockaddr *)&a, &len))
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}
