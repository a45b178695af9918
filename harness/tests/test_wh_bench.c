/* test_wh_bench -- wsharness bench's loads at small sizes against wsmock: each counts what it
 * should, and each fails when the server misbehaves (refuses, sends too little, drops). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ms_test.h"
#include "wh_bench.h"
#include "wh_spawn.h"

#define DEADLINE_MS 5000

/* Options for small loads on port (fan-out as the bench-fanout scenario answers it). */
static struct wh_bench_opts small(int port)
{
    return (struct wh_bench_opts){
        .host = "127.0.0.1",
        .port = port,
        .idle_path = "/ws/coordinator",
        .fanout_path = "/ws/workflow/bench",
        .fanout_send = "{\"type\":\"bench_fanout\",\"count\":{count}}",
        .fanout_match = "progress",
        .idle_conns = 200,
        .inflight = 32,
        .handshakes = 300,
        .concurrency = 8,
        .room = 20,
        .fanout_count = 1000,
        .rtt_conns = 50,
        .pings = 200,
        .soak_conns = 20,
        .timeout_ms = DEADLINE_MS,
        .hold_ms = 50,
        .fanout_window_ms = 300,
        .heartbeat_ms = 100,
        .pong_timeout_ms = 1000,
        .duration_s = 0.5,
        .sources = 2,
    };
}

/* wsmock on a free port with a scenario from SCENARIO_DIR (or an absolute path; NULL: none). */
static struct wh_proc mock(const char *scenario)
{
    struct wh_proc p = {0};
    char path[1024], err[256];
    snprintf(path, sizeof(path), "%s%s%s", scenario && scenario[0] == '/' ? "" : SCENARIO_DIR,
             scenario && scenario[0] == '/' ? "" : "/", scenario ? scenario : "");
    const char *with[] = {"--heartbeat-ms", "0", "--scenario", path, NULL};
    const char *without[] = {"--heartbeat-ms", "0", NULL};
    if (wh_spawn_wsmock(&p, WSMOCK_BIN, scenario ? with : without, DEADLINE_MS, err, sizeof(err)))
        fprintf(stderr, "%s\n", err);
    return p;
}

/* wsmock with a scenario given as text (written to path, which the caller unlinks). */
static struct wh_proc mock_text(const char *scenario, char *path)
{
    struct wh_proc p = {0};
    int fd = mkstemps(path, 5);
    if (fd < 0)
        return p;
    int ok = write(fd, scenario, strlen(scenario)) == (ssize_t)strlen(scenario);
    close(fd);
    return ok ? mock(path) : p;
}

static void test_idle_holds_every_connection_and_reads_the_servers_memory(void)
{
    struct wh_proc p = mock(NULL);
    CU_ASSERT_FATAL(p.pid > 0);
    struct wh_bench_opts o = small(p.port);
    struct wh_bench_idle r;
    char err[512] = "";
    CU_ASSERT_EQUAL(wh_bench_idle(&o, p.pid, &r, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(r.opened, 200);
    CU_ASSERT_EQUAL(r.held, 200);
    CU_ASSERT(r.rss_before_kb > 0 && r.rss_after_kb > r.rss_before_kb);
    CU_ASSERT(r.kb_per_conn > 0.5 && r.kb_per_conn < 64);
    CU_ASSERT_STRING_EQUAL(err, "");
    wh_proc_stop(&p, DEADLINE_MS);
}

static void test_idle_fails_with_the_refusal_when_the_server_answers_403(void)
{
    struct wh_proc p = mock("ws-001-unregistered-router.json");
    CU_ASSERT_FATAL(p.pid > 0);
    struct wh_bench_opts o = small(p.port);
    o.idle_conns = 10;
    struct wh_bench_idle r;
    char err[512] = "";
    CU_ASSERT_EQUAL(wh_bench_idle(&o, p.pid, &r, err, sizeof(err)), -1);
    CU_ASSERT_EQUAL(r.held, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "upgrade refused: HTTP/1.1 403 Forbidden"));
    wh_proc_stop(&p, DEADLINE_MS);
}

static void test_handshakes_complete_every_cycle(void)
{
    struct wh_proc p = mock(NULL);
    CU_ASSERT_FATAL(p.pid > 0);
    struct wh_bench_opts o = small(p.port);
    struct wh_bench_handshakes r;
    char err[512] = "";
    CU_ASSERT_EQUAL(wh_bench_handshakes(&o, &r, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(r.completed, 300);
    CU_ASSERT_EQUAL(r.failed, 0);
    CU_ASSERT(r.per_second > 0 && r.seconds > 0);
    wh_proc_stop(&p, DEADLINE_MS);
}

static void test_fanout_counts_every_broadcast_frame_of_every_member(void)
{
    struct wh_proc p = mock("bench-fanout.json");
    CU_ASSERT_FATAL(p.pid > 0);
    struct wh_bench_opts o = small(p.port);
    struct wh_bench_fanout r;
    char err[512] = "";
    CU_ASSERT_EQUAL(wh_bench_fanout(&o, &r, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(r.room, 20);
    CU_ASSERT_EQUAL(r.frames, 20 * 1000);
    CU_ASSERT_EQUAL(r.expected, 20 * 1000);
    CU_ASSERT_EQUAL(r.drops, 0);
    CU_ASSERT(r.per_second > 0);
    wh_proc_stop(&p, DEADLINE_MS);
}

static void test_fanout_fails_when_the_server_sends_fewer_frames_than_asked(void)
{
    struct wh_proc p = mock("bench-fanout.json");
    CU_ASSERT_FATAL(p.pid > 0);
    struct wh_bench_opts o = small(p.port);
    o.room = 5;
    o.fanout_count = 1001; /* the scenario sends 1000 */
    o.timeout_ms = 1000;
    struct wh_bench_fanout r;
    char err[512] = "";
    CU_ASSERT_EQUAL(wh_bench_fanout(&o, &r, err, sizeof(err)), -1);
    CU_ASSERT_EQUAL(r.frames, 5 * 1000);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "5000 of 5005 frames arrived"));
    wh_proc_stop(&p, DEADLINE_MS);
}

static void test_fanout_of_a_streaming_server_counts_a_window(void)
{
    /* a server that sends on its own: wsmock with a timeline repeating a broadcast */
    static const char scenario[] =
        "{\"name\":\"stream\",\"description\":\"a broadcast each 5 "
        "ms\",\"connections\":[{\"path\":\"/ws/workflow/*\",\"on_open\":["
        "{\"repeat\":\"forever\",\"steps\":[{\"emit\":\"progress\",\"state\":\"running\","
        "\"progress\":0.5},{\"wait_ms\":5}]}]}]}";
    char path[] = "/tmp/wh-bench-XXXXXX.json";
    struct wh_proc p = mock_text(scenario, path);
    CU_ASSERT_FATAL(p.pid > 0);
    struct wh_bench_opts o = small(p.port);
    o.fanout_send = NULL;
    o.room = 4;
    struct wh_bench_fanout r;
    char err[512] = "";
    CU_ASSERT_EQUAL(wh_bench_fanout(&o, &r, err, sizeof(err)), 0);
    /* 4 members, one frame each 5 ms for 300 ms: about 240; timers may run late, never early */
    CU_ASSERT(r.frames > 40 && r.frames <= 4 * 62);
    CU_ASSERT(r.seconds >= 0.3 && r.seconds < 1.0);
    CU_ASSERT_EQUAL(r.expected, 0);
    wh_proc_stop(&p, DEADLINE_MS);
    unlink(path);
}

static void test_rtt_takes_every_sample_in_order(void)
{
    struct wh_proc p = mock(NULL);
    CU_ASSERT_FATAL(p.pid > 0);
    struct wh_bench_opts o = small(p.port);
    struct wh_bench_rtt r;
    char err[512] = "";
    CU_ASSERT_EQUAL(wh_bench_rtt(&o, &r, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(r.conns, 50);
    CU_ASSERT_EQUAL(r.samples, 200);
    CU_ASSERT(r.p50_ms > 0 && r.p50_ms <= r.p99_ms && r.p99_ms <= r.max_ms);
    wh_proc_stop(&p, DEADLINE_MS);
}

static void test_soak_holds_with_heartbeats_and_no_drops(void)
{
    struct wh_proc p = mock(NULL);
    CU_ASSERT_FATAL(p.pid > 0);
    struct wh_bench_opts o = small(p.port);
    struct wh_bench_soak r;
    char err[512] = "";
    CU_ASSERT_EQUAL(wh_bench_soak(&o, &r, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(r.held, 20);
    CU_ASSERT_EQUAL(r.drops, 0);
    CU_ASSERT_EQUAL(r.missed, 0);
    CU_ASSERT(r.pongs >= 20 * 4); /* a ping per 100 ms each for 0.5 s */
    wh_proc_stop(&p, DEADLINE_MS);
}

static void test_soak_reports_connections_the_server_drops(void)
{
    static const char scenario[] =
        "{\"name\":\"drop\",\"description\":\"drop after 100 "
        "ms\",\"connections\":[{\"path\":\"/ws/coordinator\",\"on_open\":["
        "{\"wait_ms\":100},{\"drop\":true}]}]}";
    char path[] = "/tmp/wh-bench-XXXXXX.json";
    struct wh_proc p = mock_text(scenario, path);
    CU_ASSERT_FATAL(p.pid > 0);
    struct wh_bench_opts o = small(p.port);
    struct wh_bench_soak r;
    char err[512] = "";
    CU_ASSERT_EQUAL(wh_bench_soak(&o, &r, err, sizeof(err)), -1);
    CU_ASSERT_EQUAL(r.drops, 20);
    CU_ASSERT_EQUAL(r.held, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "20 connections dropped"));
    wh_proc_stop(&p, DEADLINE_MS);
    unlink(path);
}

static void test_ready_times_a_started_server_to_its_first_websocket(void)
{
    struct wh_bench_opts o = small(wh_bench_free_port());
    char cmd[1024], err[512] = "";
    snprintf(cmd, sizeof(cmd), "%s --port %d", WSMOCK_BIN, o.port);
    o.server_cmd = cmd;
    struct wh_proc server = {0};
    double ms = -1;
    CU_ASSERT_EQUAL(wh_bench_ready(&o, &server, &ms, err, sizeof(err)), 0);
    CU_ASSERT(ms > 0 && ms < DEADLINE_MS);
    CU_ASSERT(wh_proc_rss_kb(server.pid) > 0);
    CU_ASSERT_EQUAL(wh_proc_stop(&server, DEADLINE_MS), 0);
}

static void test_ready_runs_a_command_with_shell_syntax_through_sh(void)
{
    /* quotes: only a shell makes this the wsmock command */
    struct wh_bench_opts o = small(wh_bench_free_port());
    char cmd[1024], err[512] = "";
    snprintf(cmd, sizeof(cmd), "'%s' --port %d --heartbeat-ms \"0\"", WSMOCK_BIN, o.port);
    o.server_cmd = cmd;
    struct wh_proc server = {0};
    double ms = -1;
    CU_ASSERT_EQUAL(wh_bench_ready(&o, &server, &ms, err, sizeof(err)), 0);
    CU_ASSERT(ms > 0 && ms < DEADLINE_MS);
    CU_ASSERT_EQUAL(wh_proc_stop(&server, DEADLINE_MS), 0);
}

static void test_ready_reports_a_server_that_exits(void)
{
    struct wh_bench_opts o = small(wh_bench_free_port());
    char err[512] = "";
    o.server_cmd = "false";
    struct wh_proc server = {0};
    double ms = -1;
    CU_ASSERT_EQUAL(wh_bench_ready(&o, &server, &ms, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "exited before it accepted a connection"));
    wh_proc_stop(&server, DEADLINE_MS);
}

static CU_TestInfo bench_tests[] = {
    MS_TEST(test_idle_holds_every_connection_and_reads_the_servers_memory),
    MS_TEST(test_idle_fails_with_the_refusal_when_the_server_answers_403),
    MS_TEST(test_handshakes_complete_every_cycle),
    MS_TEST(test_fanout_counts_every_broadcast_frame_of_every_member),
    MS_TEST(test_fanout_fails_when_the_server_sends_fewer_frames_than_asked),
    MS_TEST(test_fanout_of_a_streaming_server_counts_a_window),
    MS_TEST(test_rtt_takes_every_sample_in_order),
    MS_TEST(test_soak_holds_with_heartbeats_and_no_drops),
    MS_TEST(test_soak_reports_connections_the_server_drops),
    MS_TEST(test_ready_times_a_started_server_to_its_first_websocket),
    MS_TEST(test_ready_runs_a_command_with_shell_syntax_through_sh),
    MS_TEST(test_ready_reports_a_server_that_exits),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"wh_bench", NULL, NULL, NULL, NULL, bench_tests},
    CU_SUITE_INFO_NULL,
};
