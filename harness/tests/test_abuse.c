/* test_abuse -- volume abuse of wsmock: tens of thousands of connect/close cycles, a flood of
 * refused upgrades, clients that never read; each case spawns its own wsmock on port 0 and checks
 * its resident memory (VmRSS) against a baseline taken after a warm-up. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cjson/cJSON.h>
#include "ms_test.h"
#include "ms_time.h"
#include "wh_spawn.h"
#include "wh_wsclient.h"

#define DEADLINE_MS 5000 /* no single wait is longer */
/*
 * How much VmRSS may grow between the baseline (after the warm-up) and the end. Steady state
 * means malloc reuses what the previous cycles freed; what is left is allocator noise (a heap
 * page touched for the first time, fragmentation of the 60 KiB frames). A leak of one small
 * allocation per cycle over 20,000 cycles would already be more than this.
 */
#define RSS_SLACK_KIB 1024

/* ASan keeps freed memory in quarantine and counts its shadow in RSS, so RSS says nothing about
 * leaks there: the numbers are printed, not checked (LeakSanitizer checks at wsmock's exit). */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_CHECKED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_CHECKED 0
#endif
#endif
#ifndef RSS_CHECKED
#define RSS_CHECKED 1
#endif
/* Connect/close cycles after the warm-up: 20,000 take about 5 s here; under ASan (both ends
 * instrumented, about 6x slower) fewer keep the case inside CTest's 30 s. */
#define CYCLES (RSS_CHECKED ? 20000 : 4000)

/* VmRSS of pid in KiB, or -1. */
static long rss_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, "VmRSS:", 6))
            kib = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

static void check_rss(const char *what, long base, long after)
{
    fprintf(stderr, "\n  %s: VmRSS baseline %ld KiB, after %ld KiB (%+ld KiB)%s\n", what, base,
            after, after - base, RSS_CHECKED ? "" : " [ASan build: not checked]");
    CU_ASSERT(base > 0 && after > 0);
    if (RSS_CHECKED)
        CU_ASSERT(after - base <= RSS_SLACK_KIB);
}

static int spawn(struct wh_proc *p, const char *const *args)
{
    char err[256];
    if (wh_spawn_wsmock(p, WSMOCK_BIN, args, DEADLINE_MS, err, sizeof(err))) {
        fprintf(stderr, "\n  %s\n", err);
        return -1;
    }
    return 0;
}

/* Ends a socket with a reset instead of FIN: no TIME_WAIT on either side, so tens of thousands of
 * cycles never run out of ephemeral ports. */
static void reset_fd(int fd)
{
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

/* GET/POST on the mock; the status (0 on a transport error), the body parsed as JSON in *json
 * (caller deletes; may be NULL). */
static int http(int port, const char *method, const char *path, const char *body, cJSON **json)
{
    struct wh_http_result r;
    const char *h[] = {"Content-Type: application/json", NULL};
    wh_http_request("127.0.0.1", port, method, path, h, body, body ? strlen(body) : 0, DEADLINE_MS,
                    &r);
    int status = r.err ? 0 : r.resp.status;
    if (json)
        *json = status && r.resp.body ? cJSON_Parse((const char *)r.resp.body) : NULL;
    wh_http_result_free(&r);
    return status;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* The journal's next sequence number. */
static double journal_next(int port)
{
    cJSON *j = NULL;
    http(port, "GET", "/__mock/journal?type=none", NULL, &j);
    double n = num(j, "next");
    cJSON_Delete(j);
    return n;
}

/* Waits until the mock has cleaned up every WebSocket session (total_connections 0), waking on
 * each close event (journal long-poll) rather than polling. Returns 1, or 0 at the deadline. */
static int wait_no_sessions(int port)
{
    int64_t end = ms_time_mono_ms() + DEADLINE_MS;
    double since = journal_next(port);
    for (;;) {
        cJSON *s = NULL;
        http(port, "GET", "/api/v1/ws/stats", NULL, &s);
        double n = num(s, "total_connections");
        cJSON_Delete(s);
        if (n == 0)
            return 1;
        int64_t left = end - ms_time_mono_ms();
        if (left <= 0)
            return 0;
        char q[128];
        snprintf(q, sizeof(q), "/__mock/journal?type=close&since=%.0f&wait_ms=%lld", since,
                 (long long)left);
        cJSON *j = NULL;
        http(port, "GET", q, NULL, &j);
        since = num(j, "next");
        cJSON_Delete(j);
    }
}

/* Waits for the first journal event of type on path after since; returns it (caller deletes). */
static cJSON *wait_event(int port, double since, const char *type, const char *path)
{
    char q[256];
    snprintf(q, sizeof(q), "/__mock/journal?type=%s&path=%s&since=%.0f&wait_ms=%d", type, path,
             since, DEADLINE_MS);
    cJSON *j = NULL;
    http(port, "GET", q, NULL, &j);
    cJSON *evs = cJSON_GetObjectItemCaseSensitive(j, "events");
    cJSON *ev = cJSON_GetArraySize(evs) ? cJSON_DetachItemFromArray(evs, 0) : NULL;
    cJSON_Delete(j);
    return ev;
}

/* One WebSocket life on path: upgrade, the welcome, the close handshake (the client's 1000, the
 * server's echo), then a reset. Returns 0, or -1 with the reason printed. */
static int ws_cycle(int port, const char *path)
{
    struct wh_ws_opts o = {.timeout_ms = DEADLINE_MS};
    struct wh_ws *ws = wh_ws_connect("127.0.0.1", port, path, &o);
    struct wh_ws_msg m;
    int rc = -1;
    if (!ws || ws->err) {
        fprintf(stderr, "\n  connect: %s\n", ws ? ws->detail : "out of memory");
        goto out;
    }
    if (wh_ws_recv(ws, DEADLINE_MS, &m) || m.opcode != 0x1) {
        fprintf(stderr, "\n  no welcome\n");
        goto out;
    }
    if (wh_ws_send_close(ws, 1000, "", DEADLINE_MS))
        goto out;
    while (!(rc = wh_ws_recv(ws, DEADLINE_MS, &m)) && m.opcode != 0x8)
        ;
    if (rc || ws->close_code != 1000)
        fprintf(stderr, "\n  close handshake: rc %d, code %d\n", rc, ws->close_code);
    rc = rc || ws->close_code != 1000 ? -1 : 0;
out:
    if (ws)
        reset_fd(wh_ws_fd(ws));
    wh_ws_free(ws);
    return rc;
}

/* n cycles; returns how many failed (stops at the first). */
static int ws_cycles(int port, const char *path, int n)
{
    for (int i = 0; i < n; i++)
        if (ws_cycle(port, path)) {
            fprintf(stderr, "\n  cycle %d of %d failed\n", i + 1, n);
            return 1;
        }
    return 0;
}

static void test_abuse_20000_connect_close_cycles_return_rss_to_baseline(void)
{
    struct wh_proc mock = {0};
    /* a small journal: it is full after the warm-up, so it cannot grow between the measures */
    const char *args[] = {"--heartbeat-ms", "0", "--journal-limit", "1000", NULL};
    CU_ASSERT_FATAL(spawn(&mock, args) == 0);
    CU_ASSERT(ws_cycles(mock.port, "/ws/coordinator", 500) == 0);
    CU_ASSERT(wait_no_sessions(mock.port));
    long base = rss_kib(mock.pid);
    int64_t t0 = ms_time_mono_ms();
    CU_ASSERT(ws_cycles(mock.port, "/ws/coordinator", CYCLES) == 0);
    int64_t ms = ms_time_mono_ms() - t0;
    CU_ASSERT(wait_no_sessions(mock.port));
    fprintf(stderr, "\n  %d connect/close cycles in %lld ms (%.0f per second)", CYCLES,
            (long long)ms, CYCLES * 1000.0 / (double)(ms ? ms : 1));
    check_rss("connect/close cycles", base, rss_kib(mock.pid));
    cJSON *j = NULL;
    CU_ASSERT(http(mock.port, "GET", "/__mock/journal?type=open&since=0", NULL, &j) == 200);
    /* 4 events per cycle (upgrade, open, frame_out, close): all but the last 1000 were dropped */
    CU_ASSERT(num(j, "dropped") >= 4 * (CYCLES + 500) - 1000);
    cJSON_Delete(j);
    CU_ASSERT(http(mock.port, "GET", "/health", NULL, NULL) == 200);
    CU_ASSERT_EQUAL(wh_proc_stop(&mock, DEADLINE_MS), 0);
}

/* An upgrade that must be refused with uvicorn's 403. Returns 0 or -1. */
static int refused_upgrade(int port, const char *path)
{
    struct wh_ws_opts o = {.timeout_ms = DEADLINE_MS};
    struct wh_ws *ws = wh_ws_connect("127.0.0.1", port, path, &o);
    int ok = ws && ws->err == WH_NET_ERR_UPGRADE && ws->resp.status == 403 &&
             ws->resp.body_len == 0 && !strcmp(ws->resp.reason, "Forbidden");
    if (!ok)
        fprintf(stderr, "\n  %s: %s\n", path, ws ? ws->detail : "out of memory");
    if (ws)
        reset_fd(wh_ws_fd(ws));
    wh_ws_free(ws);
    return ok ? 0 : -1;
}

static void test_abuse_5000_upgrades_on_an_unknown_path_each_get_403_and_rss_stays_flat(void)
{
    struct wh_proc mock = {0};
    const char *args[] = {"--heartbeat-ms", "0", "--journal-limit", "1000", NULL};
    CU_ASSERT_FATAL(spawn(&mock, args) == 0);
    int failed = 0;
    for (int i = 0; i < 500 && !failed; i++)
        failed = refused_upgrade(mock.port, "/ws/nope/x");
    long base = rss_kib(mock.pid);
    int64_t t0 = ms_time_mono_ms();
    for (int i = 0; i < 5000 && !failed; i++) {
        failed = refused_upgrade(mock.port, "/ws/nope/x");
        /* responsive all along: a health check now and then answers at once */
        if (i % 1000 == 999)
            CU_ASSERT(http(mock.port, "GET", "/health", NULL, NULL) == 200);
    }
    CU_ASSERT_FALSE(failed);
    fprintf(stderr, "\n  5000 refused upgrades in %lld ms", (long long)(ms_time_mono_ms() - t0));
    check_rss("refused upgrades", base, rss_kib(mock.pid));
    /* the attempts were counted: the 5500th refusal on that path */
    cJSON *j = NULL;
    http(mock.port, "GET", "/__mock/journal?type=upgrade&since=0", NULL, &j);
    cJSON *evs = cJSON_GetObjectItemCaseSensitive(j, "events");
    cJSON *last = cJSON_GetArrayItem(evs, cJSON_GetArraySize(evs) - 1);
    CU_ASSERT_EQUAL(num(last, "attempt"), 5500);
    CU_ASSERT_EQUAL(num(last, "status"), 403);
    cJSON_Delete(j);
    CU_ASSERT(ws_cycle(mock.port, "/ws/coordinator") == 0);
    CU_ASSERT_EQUAL(wh_proc_stop(&mock, DEADLINE_MS), 0);
}

/* A client that never reads: a raw socket with a tiny receive buffer (so the kernel holds little
 * for it) that upgrades on path and then only waits. Returns the fd, or -1. */
static int never_reading_client(int port, const char *path)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), small = 4096;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    char req[512], head[2048];
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                     path, port);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) ||
        connect(fd, (struct sockaddr *)&sa, sizeof(sa)) || write(fd, req, (size_t)n) != n)
        goto fail;
    /* read the 101 head byte by byte, so that no frame after it is consumed */
    size_t len = 0;
    int64_t end = ms_time_mono_ms() + DEADLINE_MS;
    while (len < sizeof(head) - 1 && !(len >= 4 && !memcmp(head + len - 4, "\r\n\r\n", 4))) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int64_t left = end - ms_time_mono_ms();
        if (left <= 0 || poll(&p, 1, (int)left) != 1 || read(fd, head + len, 1) != 1)
            goto fail;
        len++;
    }
    head[len] = '\0';
    if (strncmp(head, "HTTP/1.1 101 ", 13))
        goto fail;
    return fd;
fail:
    if (fd >= 0)
        close(fd);
    return -1;
}

/* Reads frames from a raw client socket until EOF: counts text frames, answers the close frame
 * (so the server need not wait for the answer), returns its code (-1 none). */
static int drain_raw(int fd, int *texts)
{
    static unsigned char buf[1 << 16];
    size_t have = 0;
    int code = -1;
    *texts = 0;
    int64_t end = ms_time_mono_ms() + DEADLINE_MS;
    for (;;) {
        /* parse whole frames (server frames are unmasked) */
        for (;;) {
            if (have < 2)
                break;
            size_t hl = 2, plen = buf[1] & 0x7f;
            if (plen == 126) {
                if (have < 4)
                    break;
                plen = (size_t)buf[2] << 8 | buf[3];
                hl = 4;
            } else if (plen == 127) {
                if (have < 10)
                    break;
                plen = 0;
                for (int i = 0; i < 8; i++)
                    plen = plen << 8 | buf[2 + i];
                hl = 10;
            }
            size_t take = hl + plen <= have ? hl + plen : 0;
            if (!take && hl + plen <= sizeof(buf))
                break;
            int op = buf[0] & 0x0f;
            if (!take) { /* bigger than buf: skip it in pieces */
                fprintf(stderr, "\n  frame of %zu bytes does not fit\n", plen);
                return -2;
            }
            if (op == 0x1)
                (*texts)++;
            if (op == 0x8 && plen >= 2) {
                unsigned char echo[16];
                code = buf[hl] << 8 | buf[hl + 1];
                size_t n = wh_ws_encode_frame(echo, 0x8, buf + hl, 2, 0x12345678);
                if (write(fd, echo, n) != (ssize_t)n)
                    return -4;
            }
            memmove(buf, buf + take, have - take);
            have -= take;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int64_t left = end - ms_time_mono_ms();
        if (left <= 0 || poll(&p, 1, (int)left) != 1)
            return -3;
        ssize_t n = read(fd, buf + have, sizeof(buf) - have);
        if (n <= 0)
            return code;
        have += (size_t)n;
    }
}

static void test_abuse_never_reading_clients_are_closed_1008_and_others_are_unaffected(void)
{
    struct wh_proc mock = {0};
    const char *args[] = {
        "--heartbeat-ms", "0", "--queue-limit", "8", "--journal-limit", "64", NULL};
    CU_ASSERT_FATAL(spawn(&mock, args) == 0);
    struct wh_ws_opts o = {.timeout_ms = DEADLINE_MS};
    struct wh_ws *fast = wh_ws_connect("127.0.0.1", mock.port, "/ws/workflow/fast", &o);
    struct wh_ws_msg m;
    CU_ASSERT_FATAL(fast && !fast->err && !wh_ws_recv(fast, DEADLINE_MS, &m));
    /* 60,000-byte messages: the kernel buffers of a client that never reads fill after a few MB */
    static char emit_slow[61000], emit_fast[61000];
    char pad[60001];
    memset(pad, 'x', 60000);
    pad[60000] = '\0';
    snprintf(emit_fast, sizeof(emit_fast), "{\"room\":\"workflow_fast\",\"text\":\"%s\"}", pad);
    long base = 0;
    int64_t t0 = ms_time_mono_ms();
    size_t fast_got = 0, fast_sent = 0;
    const int rounds = 8;
    for (int r = 0; r < rounds; r++) {
        char path[64], room[64];
        snprintf(path, sizeof(path), "/ws/workflow/slow-%d", r);
        snprintf(room, sizeof(room), "workflow_slow-%d", r);
        snprintf(emit_slow, sizeof(emit_slow), "{\"room\":\"%s\",\"text\":\"%s\"}", room, pad);
        int fd = never_reading_client(mock.port, path);
        CU_ASSERT_FATAL(fd >= 0);
        double since = journal_next(mock.port);
        int emits = 0, overflowed = 0;
        for (; emits < 400 && !overflowed; emits++) {
            cJSON *j = NULL;
            CU_ASSERT(http(mock.port, "POST", "/__mock/emit", emit_slow, &j) == 200);
            overflowed = num(j, "delivered") == 0; /* closing: not a member any more */
            cJSON_Delete(j);
            /* the reading client gets every message meanwhile */
            CU_ASSERT(http(mock.port, "POST", "/__mock/emit", emit_fast, NULL) == 200);
            fast_sent++;
            if (!wh_ws_recv(fast, DEADLINE_MS, &m) && m.opcode == 0x1 && m.len == 60000)
                fast_got++;
        }
        CU_ASSERT(overflowed);
        /* the frames that had left before the queue filled, then the close frame, then EOF */
        int texts = 0;
        int code = drain_raw(fd, &texts);
        if (code != 1008 || texts < 8)
            fprintf(stderr, "\n  round %d: %d emits, %d frames read, close %d\n", r, emits, texts,
                    code);
        CU_ASSERT_EQUAL(code, 1008);
        CU_ASSERT(texts >= 8 && texts < emits);
        close(fd);
        cJSON *ev = wait_event(mock.port, since, "close", path);
        CU_ASSERT_PTR_NOT_NULL(ev);
        CU_ASSERT_EQUAL(num(ev, "code"), 1008);
        const cJSON *reason = cJSON_GetObjectItemCaseSensitive(ev, "reason");
        CU_ASSERT(cJSON_IsString(reason) && !strcmp(reason->valuestring, "send queue full"));
        cJSON_Delete(ev);
        if (r == 0)
            base = rss_kib(mock.pid);
    }
    fprintf(stderr, "\n  %d never-reading clients flooded and closed in %lld ms", rounds,
            (long long)(ms_time_mono_ms() - t0));
    check_rss("never-reading clients", base, rss_kib(mock.pid));
    CU_ASSERT_EQUAL(fast_got, fast_sent);
    CU_ASSERT(wh_ws_send_text(fast, "{\"type\":\"ping\"}", DEADLINE_MS) == 0);
    CU_ASSERT(!wh_ws_recv(fast, DEADLINE_MS, &m) && m.len == 15 &&
              !memcmp(m.data, "{\"type\":\"pong\"}", 15));
    wh_ws_free(fast);
    CU_ASSERT_EQUAL(wh_proc_stop(&mock, DEADLINE_MS), 0);
}

static CU_TestInfo abuse_tests[] = {
    MS_TEST(test_abuse_20000_connect_close_cycles_return_rss_to_baseline),
    MS_TEST(test_abuse_5000_upgrades_on_an_unknown_path_each_get_403_and_rss_stays_flat),
    MS_TEST(test_abuse_never_reading_clients_are_closed_1008_and_others_are_unaffected),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"abuse", NULL, NULL, NULL, NULL, abuse_tests},
    CU_SUITE_INFO_NULL,
};
