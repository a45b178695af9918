/* wh_client_cmd -- `wsharness client URL`: a reconnecting client like wscat that prints frames,
 * sends stdin lines and says what its reconnect policy is doing. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wh_client.h"
#include "wh_commands.h"

static void usage(FILE *f)
{
    fprintf(
        f, "usage: wsharness client URL [--policy P] [--scale K] [--seed N] [--heartbeat-ms N]\n"
           "                        [--stale-ms N] [--origin O] [--for-ms N] [--quiet]\n\n"
           "Connects to URL (ws://HOST:PORT/PATH), prints every frame (< text) and event, sends\n"
           "each line typed on stdin (> text), and reconnects after a failure or a drop following\n"
           "the reference policy, saying so: \"reconnecting in 2000 ms (attempt 3, retry 2/5)\".\n"
           "End of input (Ctrl-D) closes with 1000 and exits; so does Ctrl-C.\n\n"
           "  --policy P        initial=1000,factor=2,cap=30000,max=5,jitter=0.2,reset=5000\n"
           "                    (the default; same syntax as wsharness backoff)\n"
           "  --scale K         multiply every policy and heartbeat time by K (default 1)\n"
           "  --seed N          seed for the jitter (default 1: repeatable)\n"
           "  --heartbeat-ms N  send {\"type\":\"ping\"} every N ms while open (default 0: off)\n"
           "  --stale-ms N      no frame this long after a ping: the server is half-open, drop\n"
           "                    and reconnect (default 2 x heartbeat)\n"
           "  --origin O        send this Origin header (browsers always send one)\n"
           "  --for-ms N        stop after N ms (default: until end of input or Ctrl-C)\n"
           "  --quiet           print frames only, not events\n\n"
           "Exit status: 0 after a clean stop, 1 if it gave up reconnecting, 2 usage.\n");
}

static volatile sig_atomic_t interrupted;
static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

struct printer {
    int quiet;
    long max;
    int finished;
};

static void print_event(void *user, const struct wh_event *e)
{
    struct printer *p = user;
    if (e->kind == WH_EV_MESSAGE) {
        printf("< %s\n", e->status ? "(binary frame)" : e->text ? e->text : "");
    } else if (!p->quiet) {
        printf("[%9.1f ms] ", e->t_ms);
        switch (e->kind) {
        case WH_EV_CONNECTING:
            printf("connecting (attempt %ld)\n", e->attempt);
            break;
        case WH_EV_OPEN:
            printf("connected\n");
            break;
        case WH_EV_REFUSED:
            if (e->status)
                printf("upgrade refused: HTTP %d\n", e->status);
            else
                printf("connection failed: %s\n", e->text ? e->text : "");
            break;
        case WH_EV_CLOSED:
            printf("closed %d%s%s\n", e->status, e->text && e->text[0] ? " " : "",
                   e->text ? e->text : "");
            break;
        case WH_EV_STALE:
            printf("no answer to the heartbeat: half-open server, dropping\n");
            break;
        case WH_EV_RETRY:
            if (p->max >= 0)
                printf("reconnecting in %.0f ms (attempt %ld, retry %ld/%ld)\n", e->delay_ms,
                       e->attempt, e->retry, p->max);
            else
                printf("reconnecting in %.0f ms (attempt %ld, retry %ld)\n", e->delay_ms,
                       e->attempt, e->retry);
            break;
        case WH_EV_GAVE_UP:
            printf("gave up after %ld retries\n", e->retry);
            break;
        case WH_EV_STOPPED:
            printf("stopped\n");
            break;
        default:
            break;
        }
    }
    if (e->kind == WH_EV_GAVE_UP || e->kind == WH_EV_STOPPED)
        p->finished = 1;
    fflush(stdout);
}

static int finished(void *user)
{
    return ((struct printer *)user)->finished || interrupted;
}

static int num(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int wh_client_main(int argc, char **argv)
{
    struct wh_client_opts o = {.scale = 1, .seed = 1, .read_stdin = 1};
    struct printer pr = {0};
    const char *policy = "initial=1000,factor=2,cap=30000,max=5,jitter=0.2,reset=5000";
    long for_ms = -1, v;
    char err[300];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--quiet")) {
            pr.quiet = 1;
        } else if (a[0] == '-' && !val && strcmp(a, "--policy") && strcmp(a, "--scale") &&
                   strcmp(a, "--seed") && strcmp(a, "--heartbeat-ms") && strcmp(a, "--stale-ms") &&
                   strcmp(a, "--for-ms") && strcmp(a, "--origin")) {
            fprintf(stderr, "wsharness client: bad argument '%s' (see --help)\n", a);
            return 2;
        } else if (a[0] == '-' && !val) {
            fprintf(stderr, "wsharness client: %s needs a value\n", a);
            return 2;
        } else if (!strcmp(a, "--policy")) {
            policy = argv[++i];
        } else if (!strcmp(a, "--scale")) {
            char *end;
            o.scale = strtod(argv[++i], &end);
            if (*end || !(o.scale > 0)) {
                fprintf(stderr, "wsharness client: --scale must be a number above 0\n");
                return 2;
            }
        } else if (!strcmp(a, "--seed") && !num(val, 0, 0x7fffffffL, &v)) {
            o.seed = (uint64_t)v, i++;
        } else if (!strcmp(a, "--heartbeat-ms") && !num(val, 0, 86400000L, &v)) {
            o.heartbeat_ms = v, i++;
        } else if (!strcmp(a, "--stale-ms") && !num(val, 1, 86400000L, &v)) {
            o.stale_ms = v, i++;
        } else if (!strcmp(a, "--for-ms") && !num(val, 1, 86400000L, &v)) {
            for_ms = v, i++;
        } else if (!strcmp(a, "--origin")) {
            o.origin = argv[++i];
        } else if (a[0] != '-' && !o.url) {
            o.url = a;
        } else {
            fprintf(stderr, "wsharness client: bad argument '%s' (see --help)\n", a);
            return 2;
        }
    }
    if (!o.url) {
        usage(stderr);
        return 2;
    }
    if (ms_policy_parse(policy, &o.policy, err, sizeof(err))) {
        fprintf(stderr, "wsharness client: --policy: %s\n", err);
        return 2;
    }
    pr.max = o.policy.max;
    o.on_event = print_event;
    o.user = &pr;
    struct wh_client *c = wh_client_new(&o, err, sizeof(err));
    if (!c) {
        fprintf(stderr, "wsharness client: %s\n", err);
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    wh_client_start(c);
    wh_client_run(c, for_ms > 0 ? for_ms : 86400000L, finished, &pr);
    int gave_up = wh_client_last(c, WH_EV_GAVE_UP) != NULL;
    if (!pr.finished && wh_client_is_open(c)) { /* Ctrl-C or --for-ms: close politely */
        wh_client_close(c, 1000);
        wh_client_run(c, 2000, finished, &pr);
    }
    wh_client_free(c);
    return gave_up ? 1 : 0;
}
