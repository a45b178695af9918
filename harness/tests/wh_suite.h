/* wh_suite -- shared helpers of the connect/reconnect/backoff suites: wsmock with a scenario on a
 * free port, a client on it, and waiting on the client's events with a deadline. */
#ifndef WH_SUITE_H
#define WH_SUITE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "wh_client.h"
#include "wh_spawn.h"

#define DEADLINE_MS 5000 /* no test waits longer for anything */

struct suite_run {
    struct wh_proc mock;
    struct wh_client *client;
    char tmp[64]; /* a scenario written by the test, removed at the end */
};

/* Starts wsmock with scenario (a file in SCENARIO_DIR, or a path) at time scale. */
static inline int suite_mock(struct suite_run *r, const char *scenario, const char *scale)
{
    char path[1024], err[256];
    if (scenario[0] == '/')
        snprintf(path, sizeof(path), "%s", scenario);
    else
        snprintf(path, sizeof(path), "%s/%s", SCENARIO_DIR, scenario);
    const char *args[] = {"--scenario", path, "--time-scale", scale, "--heartbeat-ms", "0", NULL};
    if (wh_spawn_wsmock(&r->mock, WSMOCK_BIN, args, DEADLINE_MS, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

/* Writes scenario text to a temporary file (removed by suite_end) and starts wsmock with it. */
static inline int suite_mock_text(struct suite_run *r, const char *text, const char *scale)
{
    snprintf(r->tmp, sizeof(r->tmp), "/tmp/wh-suite-XXXXXX.json");
    int fd = mkstemps(r->tmp, 5);
    if (fd < 0)
        return -1;
    size_t n = strlen(text);
    int ok = write(fd, text, n) == (ssize_t)n;
    close(fd);
    return ok ? suite_mock(r, r->tmp, scale) : -1;
}

/* A client on path with policy text at scale; heartbeat as given. */
static inline int suite_client(struct suite_run *r, const char *path, const char *policy,
                               double scale, long heartbeat_ms, long stale_ms)
{
    char url[256], err[256];
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d%s", r->mock.port, path);
    struct wh_client_opts o = {
        .url = url, .scale = scale, .seed = 7, .heartbeat_ms = heartbeat_ms, .stale_ms = stale_ms};
    if (ms_policy_parse(policy, &o.policy, err, sizeof(err)) ||
        !(r->client = wh_client_new(&o, err, sizeof(err)))) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    wh_client_start(r->client);
    return 0;
}

struct until_count {
    struct wh_client *c;
    enum wh_event_kind kind;
    size_t n;
};

static inline int reached(void *user)
{
    struct until_count *u = user;
    return wh_client_count(u->c, u->kind) >= u->n;
}

/* Runs the client until it has n events of kind (1) or the deadline passes (0). */
static inline int suite_until(struct suite_run *r, enum wh_event_kind kind, size_t n)
{
    struct until_count u = {r->client, kind, n};
    return wh_client_run(r->client, DEADLINE_MS, reached, &u);
}

/* The client's events as "name[:status]" words, for exact sequence checks. */
static inline void suite_trace(struct suite_run *r, char *out, size_t len, int with_messages)
{
    size_t n;
    const struct wh_event *e = wh_client_events(r->client, &n);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (e[i].kind == WH_EV_MESSAGE && !with_messages)
            continue;
        char w[48];
        if (e[i].kind == WH_EV_REFUSED || e[i].kind == WH_EV_CLOSED)
            snprintf(w, sizeof(w), "%s:%d", wh_event_name(e[i].kind), e[i].status);
        else
            snprintf(w, sizeof(w), "%s", wh_event_name(e[i].kind));
        snprintf(out + strlen(out), len - strlen(out), "%s%s", out[0] ? " " : "", w);
    }
}

/* Stops the client and wsmock; wsmock must exit cleanly (0). */
static inline void suite_end(struct suite_run *r)
{
    wh_client_free(r->client);
    r->client = NULL;
    if (r->mock.pid)
        CU_ASSERT_EQUAL(wh_proc_stop(&r->mock, DEADLINE_MS), 0);
    if (r->tmp[0])
        unlink(r->tmp);
}

/* A condition the rest of a test needs: on failure the test is marked failed, the client and
 * wsmock are stopped, and the test returns (CU_ASSERT_FATAL would skip the clean-up). */
#define REQUIRE(r, cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            CU_FAIL(#cond);                                                                        \
            suite_end(r);                                                                          \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#endif
