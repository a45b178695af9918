/* wh_bench_cmd -- `wsharness bench`: options, running the chosen loads, the report (text, JSON). */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wh_bench.h"
#include "wh_commands.h"
#include "wh_wsclient.h"

static const char usage_text[] =
    "usage: wsharness bench [URL] [options]\n"
    "\n"
    "Measures a WebSocket server: start-up, idle connections and their memory, handshakes per\n"
    "second, fan-out to one room, ping round trips, and (with --duration) a soak. Give the URL of "
    "a\n"
    "running server (http://HOST:PORT or ws://HOST:PORT), or --server CMD to start one: then the\n"
    "start-up time and the server's memory are measured too.\n"
    "\n"
    "options:\n"
    "  --server CMD             start the server: plain words are exec'd directly, anything else\n"
    "                           through /bin/sh -c 'exec CMD'; {port} in CMD becomes a free port\n"
    "                           (the server must be that one process, for its RSS)\n"
    "  --server-log FILE        the server's stdout and stderr (default: discarded)\n"
    "  --pid PID                the server's process, for memory, with a URL\n"
    "  --loads LIST             of ready,idle,handshakes,fanout,rtt,soak (default: all but soak;\n"
    "                           ready needs --server; --duration adds soak)\n"
    "  --idle-conns N           idle connections to hold (default 10000)\n"
    "  --hold-ms MS             how long to hold them (default 1000)\n"
    "  --idle-path PATH         path for idle, handshakes, rtt, soak (default /ws/coordinator)\n"
    "  --inflight N             connections opening at once (default 256)\n"
    "  --handshakes N           connect+upgrade+close cycles (default 5000)\n"
    "  --concurrency N          cycles at once (default 32)\n"
    "  --room N                 members of the fan-out room (default 1000)\n"
    "  --fanout-path PATH       the room's path (default /ws/workflow/bench)\n"
    "  --fanout-send TEXT       what one member sends to start the broadcast ({count} expanded;\n"
    "                           default {\"type\":\"bench_fanout\",\"count\":{count}}); \"\" for "
    "a\n"
    "                           server that streams by itself: frames are counted over a window\n"
    "  --fanout-count K         frames the server sends each member (default 1000)\n"
    "  --fanout-match TEXT      a frame counts if it contains TEXT (default \"progress\")\n"
    "  --fanout-window-ms MS    the counting window for a streaming server (default 3000)\n"
    "  --rtt-conns N            connections open while pinging (default 2000)\n"
    "  --pings N                ping samples, one in flight at a time (default 5000)\n"
    "  --duration S             soak: hold --soak-conns connections S seconds with heartbeats\n"
    "  --soak-conns N           (default 1000)\n"
    "  --heartbeat-ms MS        soak ping period per connection (default 1000)\n"
    "  --pong-timeout-ms MS     a later pong is a missed heartbeat (default 5000)\n"
    "  --sources N              spread connections over 127.0.0.1..N (default 4)\n"
    "  --timeout-ms MS          deadline of each load (default 60000)\n"
    "  --json                   one JSON object on stdout instead of the table\n"
    "\n"
    "The soft open-file limit is raised to the hard one (here and in a --server). Exit status: 0\n"
    "every load ran as asked, 1 a load failed (its line says why), 2 usage.\n";

enum kind { SIZE, LONG, DOUBLE, STR };

struct optdef {
    const char *name;
    enum kind kind;
    size_t off;
};

#define O(field) offsetof(struct wh_bench_opts, field)
static const struct optdef defs[] = {
    {"--server", STR, O(server_cmd)},
    {"--server-log", STR, O(server_log)},
    {"--idle-conns", SIZE, O(idle_conns)},
    {"--hold-ms", LONG, O(hold_ms)},
    {"--idle-path", STR, O(idle_path)},
    {"--inflight", SIZE, O(inflight)},
    {"--handshakes", SIZE, O(handshakes)},
    {"--concurrency", SIZE, O(concurrency)},
    {"--room", SIZE, O(room)},
    {"--fanout-path", STR, O(fanout_path)},
    {"--fanout-send", STR, O(fanout_send)},
    {"--fanout-count", SIZE, O(fanout_count)},
    {"--fanout-match", STR, O(fanout_match)},
    {"--fanout-window-ms", LONG, O(fanout_window_ms)},
    {"--rtt-conns", SIZE, O(rtt_conns)},
    {"--pings", SIZE, O(pings)},
    {"--duration", DOUBLE, O(duration_s)},
    {"--soak-conns", SIZE, O(soak_conns)},
    {"--heartbeat-ms", LONG, O(heartbeat_ms)},
    {"--pong-timeout-ms", LONG, O(pong_timeout_ms)},
    {"--timeout-ms", LONG, O(timeout_ms)},
};

static const char *const load_names[] = {"ready", "idle", "handshakes", "fanout", "rtt", "soak"};
enum { L_READY, L_IDLE, L_HANDSHAKES, L_FANOUT, L_RTT, L_SOAK, L_COUNT };

struct cmd {
    struct wh_bench_opts o;
    const char *url, *loads;
    long pid;
    int json, want[L_COUNT];
    char host[256];
};

static int bad(const char *what, const char *v)
{
    fprintf(stderr, "wsharness bench: %s, not '%s'\n", what, v);
    return 2;
}

static int set_value(struct cmd *c, const struct optdef *d, const char *v)
{
    char *end;
    void *p = (char *)&c->o + d->off;
    errno = 0;
    if (d->kind == STR) {
        *(const char **)p = v;
    } else if (d->kind == DOUBLE) {
        double x = strtod(v, &end);
        if (!*v || *end || errno || !isfinite(x) || x <= 0)
            return bad("--duration wants seconds > 0", v);
        *(double *)p = x;
    } else {
        long long x = strtoll(v, &end, 10);
        if (!*v || *end || errno || x < 1 || x > 100000000) {
            char what[80];
            snprintf(what, sizeof(what), "%s wants a whole number from 1 to 100000000", d->name);
            return bad(what, v);
        }
        if (d->kind == SIZE)
            *(size_t *)p = (size_t)x;
        else
            *(long *)p = (long)x;
    }
    return 0;
}

static int parse_loads(struct cmd *c)
{
    memset(c->want, 0, sizeof(c->want));
    const char *p = c->loads;
    while (*p) {
        size_t n = strcspn(p, ",");
        int k = 0;
        while (k < L_COUNT && (strlen(load_names[k]) != n || strncmp(p, load_names[k], n)))
            k++;
        if (k == L_COUNT)
            return bad("--loads wants a list of ready,idle,handshakes,fanout,rtt,soak", c->loads);
        c->want[k] = 1;
        p += n + (p[n] == ',');
    }
    return 0;
}

/* Parses argv. Returns 0, 1 after --help, or 2 after a usage error (reported). */
static int parse_args(int argc, char **argv, struct cmd *c)
{
    c->o = (struct wh_bench_opts){
        .host = "127.0.0.1",
        .idle_path = "/ws/coordinator",
        .fanout_path = "/ws/workflow/bench",
        .fanout_send = "{\"type\":\"bench_fanout\",\"count\":{count}}",
        .fanout_match = "progress",
        .idle_conns = 10000,
        .inflight = 256,
        .handshakes = 5000,
        .concurrency = 32,
        .room = 1000,
        .fanout_count = 1000,
        .rtt_conns = 2000,
        .pings = 5000,
        .soak_conns = 1000,
        .timeout_ms = 60000,
        .hold_ms = 1000,
        .fanout_window_ms = 3000,
        .heartbeat_ms = 1000,
        .pong_timeout_ms = 5000,
        .sources = 4,
    };
    c->loads = NULL;
    c->pid = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage_text, stdout);
            return 1;
        }
        if (!strcmp(a, "--json")) {
            c->json = 1;
            continue;
        }
        if (a[0] != '-') {
            if (c->url)
                return bad("give one URL", a);
            c->url = a;
            continue;
        }
        if (i + 1 == argc) {
            fprintf(stderr, "wsharness bench: %s needs a value\n%s", a, usage_text);
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--loads")) {
            c->loads = v;
        } else if (!strcmp(a, "--pid")) {
            char *end;
            c->pid = strtol(v, &end, 10);
            if (!*v || *end || c->pid <= 0)
                return bad("--pid wants a process id", v);
        } else if (!strcmp(a, "--sources")) {
            char *end;
            long n = strtol(v, &end, 10);
            if (!*v || *end || n < 1 || n > 250)
                return bad("--sources wants 1 to 250", v);
            c->o.sources = (int)n;
        } else {
            size_t k = 0;
            while (k < sizeof(defs) / sizeof(defs[0]) && strcmp(defs[k].name, a))
                k++;
            if (k == sizeof(defs) / sizeof(defs[0])) {
                fprintf(stderr, "wsharness bench: unknown option '%s'\n%s", a, usage_text);
                return 2;
            }
            if (set_value(c, &defs[k], v))
                return 2;
        }
    }
    if (!c->url == !c->o.server_cmd) {
        fprintf(stderr, "wsharness bench: give a URL or --server CMD (one of them)\n%s",
                usage_text);
        return 2;
    }
    if (c->o.fanout_send && !c->o.fanout_send[0])
        c->o.fanout_send = NULL;
    if (c->loads) {
        if (parse_loads(c))
            return 2;
    } else {
        for (int k = 0; k < L_SOAK; k++)
            c->want[k] = 1;
        c->want[L_READY] = !!c->o.server_cmd;
        c->want[L_SOAK] = c->o.duration_s > 0;
    }
    if (c->want[L_READY] && !c->o.server_cmd)
        return bad("the ready load needs --server", c->loads);
    if (c->want[L_SOAK] && c->o.duration_s <= 0)
        c->o.duration_s = 10;
    if (c->url) {
        struct wh_url u;
        if (wh_url_parse(c->url, &u) || u.tls)
            return bad("URL wants http://HOST:PORT or ws://HOST:PORT", c->url);
        snprintf(c->host, sizeof(c->host), "%s", u.host);
        c->o.host = c->host;
        c->o.port = u.port;
    }
    return 0;
}

/* One finished load: a table line (or nothing with --json) and the JSON member. */
static void report(struct cmd *c, FILE *js, int *first, const char *name, int rc, const char *err,
                   const char *line, const char *json)
{
    if (!c->json)
        printf("  %-12s %s%s%s\n", name, line, rc ? "  FAILED: " : "", rc ? err : "");
    fprintf(js, "%s\"%s\":{\"ok\":%s,%s%s%s}", *first ? "" : ",", name, rc ? "false" : "true", json,
            rc ? ",\"error\":\"" : "", rc ? "see stderr\"" : "");
    if (rc && c->json)
        fprintf(stderr, "wsharness bench: %s: %s\n", name, err);
    *first = 0;
}

int wh_bench_main(int argc, char **argv)
{
    struct cmd c = {0};
    int rc = parse_args(argc, argv, &c);
    if (rc)
        return rc == 1 ? 0 : 2;
    wh_bench_raise_nofile();
    struct wh_proc server = {0};
    char err[512] = "", line[512], json[512];
    char *jbuf = NULL;
    size_t jlen = 0;
    FILE *js = open_memstream(&jbuf, &jlen);
    if (!js)
        return 1;
    int first = 1, failed = 0;
    if (c.o.server_cmd) {
        /* the command gets a free port; {port} may appear several times */
        static char cmdline[4096];
        int port = wh_bench_free_port();
        char num[16];
        snprintf(num, sizeof(num), "%d", port);
        const char *s = c.o.server_cmd;
        size_t n = 0;
        while (*s && n + 16 < sizeof(cmdline)) {
            if (!strncmp(s, "{port}", 6)) {
                n += (size_t)snprintf(cmdline + n, sizeof(cmdline) - n, "%s", num);
                s += 6;
            } else {
                cmdline[n++] = *s++;
            }
        }
        cmdline[n] = '\0';
        c.o.server_cmd = cmdline;
        c.o.port = port;
        if (!c.json)
            printf("wsharness bench: %s\n", cmdline);
        double ms = 0;
        int r = wh_bench_ready(&c.o, &server, &ms, err, sizeof(err));
        snprintf(line, sizeof(line), "%.1f ms to the first accepted WebSocket", ms);
        snprintf(json, sizeof(json), "\"ms\":%.3f", ms);
        if (c.want[L_READY])
            report(&c, js, &first, "ready", r, err, line, json);
        if (r) {
            failed = 1;
            if (c.json && !c.want[L_READY])
                fprintf(stderr, "wsharness bench: %s\n", err);
            goto out;
        }
        c.pid = server.pid;
    } else if (!c.json) {
        printf("wsharness bench: ws://%s:%d\n", c.o.host, c.o.port);
    }
    if (c.want[L_IDLE]) {
        struct wh_bench_idle r;
        err[0] = '\0';
        int k = wh_bench_idle(&c.o, (pid_t)c.pid, &r, err, sizeof(err));
        if (r.rss_before_kb >= 0)
            snprintf(line, sizeof(line),
                     "%zu held of %zu, %.2f KB each (server RSS %.1f -> %.1f MB), opened in %.2f s",
                     r.held, r.asked, r.kb_per_conn, r.rss_before_kb / 1024.0,
                     r.rss_after_kb / 1024.0, r.open_s);
        else
            snprintf(line, sizeof(line), "%zu held of %zu, opened in %.2f s (memory: no --pid)",
                     r.held, r.asked, r.open_s);
        snprintf(json, sizeof(json),
                 "\"conns\":%zu,\"held\":%zu,\"kb_per_conn\":%.3f,\"rss_before_kb\":%ld,"
                 "\"rss_after_kb\":%ld,\"open_s\":%.3f",
                 r.asked, r.held, r.kb_per_conn, r.rss_before_kb, r.rss_after_kb, r.open_s);
        report(&c, js, &first, "idle", k, err, line, json);
        failed |= k != 0;
    }
    if (c.want[L_HANDSHAKES]) {
        struct wh_bench_handshakes r;
        err[0] = '\0';
        int k = wh_bench_handshakes(&c.o, &r, err, sizeof(err));
        snprintf(line, sizeof(line), "%.0f /s (%zu in %.2f s, %zu at a time, %zu failed)",
                 r.per_second, r.completed, r.seconds, c.o.concurrency, r.failed);
        snprintf(json, sizeof(json),
                 "\"per_second\":%.1f,\"completed\":%zu,\"failed\":%zu,\"seconds\":%.3f",
                 r.per_second, r.completed, r.failed, r.seconds);
        report(&c, js, &first, "handshakes", k, err, line, json);
        failed |= k != 0;
    }
    if (c.want[L_FANOUT]) {
        struct wh_bench_fanout r;
        err[0] = '\0';
        int k = wh_bench_fanout(&c.o, &r, err, sizeof(err));
        snprintf(line, sizeof(line), "%.0f frames/s (room of %zu, %llu frames in %.2f s%s)",
                 r.per_second, r.room, (unsigned long long)r.frames, r.seconds,
                 c.o.fanout_send ? "" : ", streaming: counted over a window");
        snprintf(json, sizeof(json),
                 "\"per_second\":%.1f,\"room\":%zu,\"frames\":%llu,\"expected\":%llu,"
                 "\"seconds\":%.3f,\"drops\":%llu,\"triggered\":%s",
                 r.per_second, r.room, (unsigned long long)r.frames, (unsigned long long)r.expected,
                 r.seconds, (unsigned long long)r.drops, c.o.fanout_send ? "true" : "false");
        report(&c, js, &first, "fanout", k, err, line, json);
        failed |= k != 0;
    }
    if (c.want[L_RTT]) {
        struct wh_bench_rtt r;
        err[0] = '\0';
        int k = wh_bench_rtt(&c.o, &r, err, sizeof(err));
        snprintf(line, sizeof(line),
                 "p50 %.3f ms, p99 %.3f ms, max %.3f ms (%zu pings at %zu connections)", r.p50_ms,
                 r.p99_ms, r.max_ms, r.samples, r.conns);
        snprintf(json, sizeof(json),
                 "\"p50_ms\":%.4f,\"p99_ms\":%.4f,\"max_ms\":%.4f,\"samples\":%zu,\"conns\":%zu",
                 r.p50_ms, r.p99_ms, r.max_ms, r.samples, r.conns);
        report(&c, js, &first, "rtt", k, err, line, json);
        failed |= k != 0;
    }
    if (c.want[L_SOAK]) {
        struct wh_bench_soak r;
        err[0] = '\0';
        int k = wh_bench_soak(&c.o, &r, err, sizeof(err));
        snprintf(line, sizeof(line),
                 "%zu of %zu held for %.0f s, %llu dropped, %zu heartbeats missed, %zu pongs "
                 "(p50 %.3f ms, p99 %.3f ms, max %.3f ms)",
                 r.held, r.conns, r.seconds, (unsigned long long)r.drops, r.missed, r.pongs,
                 r.p50_ms, r.p99_ms, r.max_ms);
        snprintf(json, sizeof(json),
                 "\"conns\":%zu,\"held\":%zu,\"seconds\":%.1f,\"drops\":%llu,\"missed\":%zu,"
                 "\"pongs\":%zu,\"p50_ms\":%.4f,\"p99_ms\":%.4f,\"max_ms\":%.4f",
                 r.conns, r.held, r.seconds, (unsigned long long)r.drops, r.missed, r.pongs,
                 r.p50_ms, r.p99_ms, r.max_ms);
        report(&c, js, &first, "soak", k, err, line, json);
        failed |= k != 0;
    }
out:
    if (failed && err[0] && !c.json && first) /* the server never became ready */
        fprintf(stderr, "wsharness bench: %s\n", err);
    if (server.pid > 0) {
        long rss = wh_proc_rss_kb(server.pid);
        fprintf(js, "%s\"server\":{\"pid\":%d,\"rss_end_kb\":%ld}", first ? "" : ",",
                (int)server.pid, rss);
        first = 0;
        wh_proc_stop(&server, 5000);
    }
    fclose(js);
    if (c.json)
        printf("{%s}\n", jbuf ? jbuf : "");
    free(jbuf);
    return failed ? 1 : 0;
}
