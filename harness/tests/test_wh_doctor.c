/* test_wh_doctor -- every diagnosis of `wsharness doctor`, each provoked by a wsmock scenario (port
 * 0) or a tiny fake server, with its one-line cause and fix and its exit code. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ms_test.h"
#include "ms_time.h"
#include "wh_commands.h"
#include "wh_doctor.h"
#include "wh_spawn.h"
#include "wh_testkit.h"
#include "wh_wsclient.h"

/* Up to two wsmocks per test (a backend and a frontend stand-in), stopped by the teardown. */
static struct wh_proc procs[2];
static int n_procs;
static pid_t fake_pid;

static void teardown(void)
{
    for (int i = 0; i < n_procs; i++)
        wh_proc_stop(&procs[i], 5000);
    n_procs = 0;
    if (fake_pid > 0) {
        kill(fake_pid, SIGKILL);
        waitpid(fake_pid, NULL, 0);
    }
    fake_pid = 0;
}

/* Starts a wsmock with scenarios/NAME.json (NULL: none) and every duration of the scenario
 * multiplied by scale; returns its port. */
static int start_mock_scaled(const char *scenario, const char *scale)
{
    char path[1024], err[256];
    snprintf(path, sizeof(path), "%s/%s.json", SCENARIO_DIR, scenario ? scenario : "");
    const char *args[] = {"--scenario", path, "--time-scale", scale, NULL};
    struct wh_proc *p = &procs[n_procs];
    int rc = wh_spawn_wsmock(p, WSMOCK_BIN, scenario ? args : NULL, 10000, err, sizeof(err));
    if (rc)
        fprintf(stderr, "\n  cannot start wsmock: %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    n_procs++;
    return p->port;
}

static int start_mock(const char *scenario)
{
    return start_mock_scaled(scenario, "1");
}

static int closed_port(void)
{
    int port;
    close(wh_test_listen_any(&port));
    return port;
}

/* A fake server (a forked child) answering every connection by the first rule whose needle is in
 * the request head (a NULL needle matches anything), then closing. It exits after 10 s idle. */
struct fake_rule {
    const char *needle;
    const char *reply;
    size_t len; /* 0: strlen(reply) */
};

static int fake_server(const struct fake_rule *rules, size_t n)
{
    int port;
    int lfd = wh_test_listen_any(&port);
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid) {
        close(lfd);
        fake_pid = pid;
        return port;
    }
    for (;;) {
        struct pollfd p = {.fd = lfd, .events = POLLIN};
        if (poll(&p, 1, 10000) <= 0)
            _exit(0);
        int c = accept(lfd, NULL, NULL);
        if (c < 0)
            continue;
        char buf[8192];
        size_t have = 0;
        int64_t end = ms_time_mono_ms() + 2000;
        while (have < sizeof(buf) - 1 && !memmem(buf, have, "\r\n\r\n", 4)) {
            struct pollfd q = {.fd = c, .events = POLLIN};
            int64_t left = end - ms_time_mono_ms();
            if (left <= 0 || poll(&q, 1, (int)left) <= 0)
                break;
            ssize_t got = read(c, buf + have, sizeof(buf) - 1 - have);
            if (got <= 0)
                break;
            have += (size_t)got;
        }
        buf[have] = '\0';
        for (size_t i = 0; i < n; i++) {
            if (rules[i].needle && !strstr(buf, rules[i].needle))
                continue;
            size_t len = rules[i].len ? rules[i].len : strlen(rules[i].reply);
            if (write(c, rules[i].reply, len) < 0)
                break;
            break;
        }
        close(c);
    }
}

static const char tls_alert[] = "\x15\x03\x01\x00\x02\x02\x46";

/* Runs doctor in-process and checks the diagnosis id, the exit code and that the one-line
 * diagnosis contains each of the NULL-terminated phrases. */
static void expect_diagnosis(const char *url, const char *frontend, long timeout_ms, const char *id,
                             int exit_code, const char *const *phrases)
{
    struct wh_doctor_opts o = {.url = url, .frontend = frontend, .timeout_ms = timeout_ms};
    struct wh_doctor_report *rep = malloc(sizeof(*rep));
    CU_ASSERT_PTR_NOT_NULL_FATAL(rep);
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(wh_doctor_run(&o, rep, err, sizeof(err)), 0);
    char line[1400];
    wh_doctor_line(rep, line, sizeof(line));
    int ok = rep->id && !strcmp(rep->id, id) && rep->exit_code == exit_code && !strchr(line, '\n');
    for (size_t i = 0; phrases && phrases[i]; i++)
        if (!strstr(line, phrases[i])) {
            fprintf(stderr, "\n  missing phrase: %s", phrases[i]);
            ok = 0;
        }
    if (!ok) {
        fprintf(stderr, "\n  want %s (exit %d), got:\n", id, exit_code);
        wh_doctor_print_text(rep, &o, stderr);
    }
    CU_ASSERT_PTR_NOT_NULL(rep->id);
    if (rep->id)
        CU_ASSERT_STRING_EQUAL(rep->id, id);
    CU_ASSERT_EQUAL(rep->exit_code, exit_code);
    CU_ASSERT(ok);
    free(rep);
}

static void url_of(int port, char *buf, size_t len)
{
    snprintf(buf, len, "http://127.0.0.1:%d", port);
}

/* ---- each diagnosis ---- */

static void test_doctor_healthy_backend_exits_0(void)
{
    char url[64];
    url_of(start_mock("ws-001-fixed"), url, sizeof(url));
    const char *p[] = {"diagnosis (healthy): healthy:", "with and without Origin", NULL};
    expect_diagnosis(url, NULL, 1000, "healthy", 0, p);
}

static void test_doctor_names_a_backend_that_is_not_running(void)
{
    char url[64];
    url_of(closed_port(), url, sizeof(url));
    const char *p[] = {"connection refused", "the backend is not running", "Fix: start the backend",
                       NULL};
    expect_diagnosis(url, NULL, 1000, "not-running", 1, p);
}

static void test_doctor_names_ws001_the_unregistered_enhanced_router(void)
{
    char url[64];
    url_of(start_mock("ws-001-unregistered-router"), url, sizeof(url));
    const char *p[] = {"diagnosis (ws-001): WS-001",
                       "api_routes_websocket_enhanced) is not registered",
                       "only the legacy endpoint /api/v1/ws/connect exists",
                       "every /ws/* upgrade gets 403 and GET /ws/stats gets 404",
                       "app.include_router(websocket_enhanced_router)",
                       NULL};
    expect_diagnosis(url, NULL, 1000, "ws-001", 1, p);
}

static void test_doctor_names_an_origin_check(void)
{
    char url[64];
    url_of(start_mock("origin-check"), url, sizeof(url));
    const char *p[] = {"Origin header (http://localhost:5000) are refused with 403",
                       "without one are accepted", "an origin check", "allow the frontend's origin",
                       NULL};
    expect_diagnosis(url, NULL, 1000, "origin-check", 1, p);
}

static void test_doctor_names_a_silent_stalled_backend(void)
{
    char url[64];
    url_of(start_mock("doctor-silent"), url, sizeof(url));
    const char *p[] = {"accepts WebSocket upgrades but then sends nothing",
                       "no welcome and no pong on /ws/coordinator within 300 ms", "blocked", NULL};
    expect_diagnosis(url, NULL, 300, "stalled", 1, p);
}

static void test_doctor_names_a_backend_that_stalls_after_the_welcome(void)
{
    char url[64];
    /* half-open stalls 200 ms after the open: x2 leaves the first ping 400 ms to be answered */
    url_of(start_mock_scaled("half-open", "2"), url, sizeof(url));
    const char *p[] = {"answers at first (welcome, pong)", "no pong to a ping after 800 ms open",
                       "heartbeat timeout", NULL};
    expect_diagnosis(url, NULL, 800, "half-open", 1, p);
}

static void test_doctor_names_a_proxy_that_refuses_upgrades(void)
{
    char url[64], fe[64];
    url_of(start_mock("ws-001-fixed"), url, sizeof(url));
    url_of(start_mock("doctor-proxy-no-upgrade"), fe, sizeof(fe));
    const char *p[] = {"answers HTTP but does not pass WebSocket upgrades",
                       "/ws/coordinator through it gets 404 while the backend accepts it directly",
                       "Fix: add ws: true to the /ws proxy", NULL};
    expect_diagnosis(url, fe, 1000, "proxy-no-upgrade", 1, p);
}

static void test_doctor_names_a_proxy_that_never_answers_upgrades(void)
{
    char url[64], fe[64];
    url_of(start_mock("ws-001-fixed"), url, sizeof(url));
    url_of(start_mock("doctor-proxy-hang"), fe, sizeof(fe));
    const char *p[] = {"through it gets no answer", "add ws: true", NULL};
    expect_diagnosis(url, fe, 300, "proxy-no-upgrade", 1, p);
}

static void test_doctor_healthy_through_a_working_proxy(void)
{
    /* A wsmock as "frontend" answers everything itself: HTTP and upgrades work through it. */
    char url[64], fe[64];
    url_of(start_mock("ws-001-fixed"), url, sizeof(url));
    url_of(start_mock("ws-001-fixed"), fe, sizeof(fe));
    const char *p[] = {"directly and through the frontend", NULL};
    expect_diagnosis(url, fe, 1000, "healthy", 0, p);
}

static void test_doctor_names_a_frontend_that_is_not_running(void)
{
    char url[64], fe[64];
    url_of(start_mock("ws-001-fixed"), url, sizeof(url));
    url_of(closed_port(), fe, sizeof(fe));
    const char *p[] = {"nothing answers on the frontend", "start the frontend's dev server", NULL};
    expect_diagnosis(url, fe, 1000, "frontend-not-running", 1, p);
}

static void test_doctor_names_a_frontend_that_does_not_proxy_http(void)
{
    /* A dev server without the proxy: its SPA fallback answers index.html for every path. */
    static const struct fake_rule spa[] = {
        {NULL,
         "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 15\r\n\r\n"
         "<!doctype html>",
         0}};
    char url[64], fe[64];
    url_of(start_mock("ws-001-fixed"), url, sizeof(url));
    url_of(fake_server(spa, 1), fe, sizeof(fe));
    const char *p[] = {"does not pass HTTP to the backend", "GET /ws/stats through it answers 200",
                       "proxy /ws (with ws: true) and /api", NULL};
    expect_diagnosis(url, fe, 1000, "proxy-http", 1, p);
}

static void test_doctor_names_wss_on_a_plain_port(void)
{
    char url[64];
    int port = start_mock("ws-001-fixed");
    snprintf(url, sizeof(url), "wss://127.0.0.1:%d", port);
    char fix[128];
    snprintf(fix, sizeof(fix), "Fix: use ws://127.0.0.1:%d (http://127.0.0.1:%d) instead of wss://",
             port, port);
    const char *p[] = {"speaks plain HTTP/WS", fix, NULL};
    expect_diagnosis(url, NULL, 1000, "use-ws", 1, p);
}

static void test_doctor_names_ws_on_a_tls_port(void)
{
    static const struct fake_rule tls[] = {{NULL, tls_alert, sizeof(tls_alert) - 1}};
    char url[64];
    int port = fake_server(tls, 1);
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d", port);
    const char *p[] = {"answers with TLS", "expects wss://", "Fix: use wss://", NULL};
    expect_diagnosis(url, NULL, 1000, "use-wss", 1, p);
}

static void test_doctor_names_ws_on_an_nginx_tls_port(void)
{
    /* nginx answers plain HTTP on its TLS port with a 400 that says so */
    static const struct fake_rule nginx[] = {
        {NULL,
         "HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: 75\r\n\r\n"
         "<html><body>The plain HTTP request was sent to HTTPS port</body></html>\r\n\r\n",
         0}};
    char url[64];
    url_of(fake_server(nginx, 1), url, sizeof(url));
    const char *p[] = {"answers with TLS", "Fix: use wss://", NULL};
    expect_diagnosis(url, NULL, 1000, "use-wss", 1, p);
}

static void test_doctor_says_it_cannot_check_a_tls_backend(void)
{
    static const struct fake_rule tls[] = {{NULL, tls_alert, sizeof(tls_alert) - 1}};
    char url[64];
    snprintf(url, sizeof(url), "wss://127.0.0.1:%d", fake_server(tls, 1));
    const char *p[] = {"speaks TLS and wsharness has no TLS support", "plain port", NULL};
    expect_diagnosis(url, NULL, 1000, "tls-unsupported", 1, p);
}

static void test_doctor_names_a_backend_that_does_not_answer_http(void)
{
    int port;
    int lfd = wh_test_listen_any(&port); /* the kernel completes the handshake; nobody answers */
    char url[64];
    url_of(port, url, sizeof(url));
    const char *p[] = {"accepts TCP connections but does not answer HTTP",
                       "GET /health: no answer within 200 ms", NULL};
    expect_diagnosis(url, NULL, 200, "http-stalled", 1, p);
    close(lfd);
}

static void test_doctor_names_a_backend_without_any_websocket_router(void)
{
    static const struct fake_rule rules[] = {
        {"Upgrade: websocket",
         "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nContent-Type: text/plain\r\n"
         "Connection: close\r\n\r\n",
         0},
        {"GET /health ",
         "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n"
         "{\"status\":\"healthy\"}",
         0},
        {NULL,
         "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 22\r\n\r\n"
         "{\"detail\":\"Not Found\"}",
         0},
    };
    char url[64];
    url_of(fake_server(rules, 3), url, sizeof(url));
    const char *p[] = {"no WebSocket router is registered",
                       "every upgrade (/ws/* and /api/v1/ws/connect) is refused with 403",
                       "include both WebSocket routers", NULL};
    expect_diagnosis(url, NULL, 1000, "no-ws-router", 1, p);
}

static void test_doctor_names_upgrades_refused_in_front_of_a_present_router(void)
{
    int port = start_mock(NULL);
    wh_test_load_scenario(port,
                          "{\"name\":\"t-auth\",\"description\":\"an auth layer\",\"connections\":"
                          "[{\"path\":\"/ws/*\",\"action\":\"refuse\",\"status\":401}]}");
    char url[64];
    url_of(port, url, sizeof(url));
    const char *p[] = {"every /ws/* upgrade is refused with 401 although the enhanced router is "
                       "there (GET /ws/stats 200, /openapi.json declares /ws/stats)",
                       NULL};
    expect_diagnosis(url, NULL, 1000, "upgrade-refused", 1, p);
}

static void test_doctor_names_one_missing_route(void)
{
    int port = start_mock(NULL);
    wh_test_load_scenario(port,
                          "{\"name\":\"t-partial\",\"description\":\"no agent route\","
                          "\"connections\":[{\"path\":\"/ws/agent/*\",\"action\":\"refuse\"}]}");
    char url[64];
    url_of(port, url, sizeof(url));
    const char *p[] = {"the upgrade on /ws/agent/doctor fails (403) while /ws/coordinator, "
                       "/ws/workflow/doctor, /api/v1/ws/connect work",
                       NULL};
    expect_diagnosis(url, NULL, 1000, "partial", 1, p);
}

static void test_doctor_names_upgrades_that_get_no_answer(void)
{
    int port = start_mock(NULL);
    wh_test_load_scenario(port, "{\"name\":\"t-hang\",\"description\":\"hang\",\"connections\":"
                                "[{\"path\":\"/ws/*\",\"action\":\"hang\"}]}");
    char url[64];
    url_of(port, url, sizeof(url));
    const char *p[] = {"answers HTTP but no /ws/* upgrade gets an answer",
                       "no answer on /ws/coordinator within 200 ms", NULL};
    expect_diagnosis(url, NULL, 200, "upgrade-unanswered", 1, p);
}

static void test_doctor_names_a_backend_that_drops_open_connections(void)
{
    int port = start_mock(NULL);
    wh_test_load_scenario(
        port, "{\"name\":\"t-drop\",\"description\":\"drops\",\"connections\":"
              "[{\"path\":\"/ws/*\",\"on_open\":[{\"wait_ms\":250},{\"drop\":true}]}]}");
    char url[64];
    url_of(port, url, sizeof(url));
    const char *p[] = {"closes open connections on its own",
                       "/ws/coordinator ended within 600 ms (1006, no close frame)", NULL};
    expect_diagnosis(url, NULL, 600, "drops", 1, p);
}

static void test_doctor_names_an_unresolvable_host(void)
{
    const char *p[] = {"nonexistent.invalid:3001 cannot be reached", "cannot resolve", NULL};
    expect_diagnosis("http://nonexistent.invalid:3001", NULL, 1000, "unreachable", 1, p);
}

/* ---- the command ---- */

static void test_doctor_json_has_steps_and_the_diagnosis(void)
{
    char url[64];
    url_of(start_mock("ws-001-unregistered-router"), url, sizeof(url));
    char *argv[] = {"doctor", url, "--json", "--timeout-ms", "500", NULL};
    static char out[65536];
    CU_ASSERT_EQUAL(wh_test_run_main(wh_doctor_main, argv, 5, out, sizeof(out)), 1);
    cJSON *j = cJSON_Parse(out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "diagnosis");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItemCaseSensitive(d, "id")->valuestring, "ws-001");
    CU_ASSERT(!strncmp(cJSON_GetObjectItemCaseSensitive(d, "line")->valuestring,
                       "diagnosis (ws-001): WS-001", 26));
    CU_ASSERT_EQUAL(cJSON_GetObjectItemCaseSensitive(j, "exit")->valueint, 1);
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(j, "steps");
    CU_ASSERT(cJSON_GetArraySize(steps) >= 10);
    const cJSON *s;
    int refused = 0;
    cJSON_ArrayForEach(s, steps)
    {
        CU_ASSERT(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(s, "where")));
        CU_ASSERT(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(s, "check")));
        CU_ASSERT(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(s, "verdict")));
        CU_ASSERT(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(s, "ms")));
        const char *target = cJSON_GetObjectItemCaseSensitive(s, "target")->valuestring;
        const char *result = cJSON_GetObjectItemCaseSensitive(s, "result")->valuestring;
        if (!strcmp(target, "/ws/coordinator") && !strncmp(result, "403 Forbidden", 13))
            refused++;
    }
    CU_ASSERT_EQUAL(refused, 1);
    cJSON_Delete(j);
}

static void test_doctor_text_prints_each_step_then_one_diagnosis_line(void)
{
    char url[64];
    url_of(start_mock("origin-check"), url, sizeof(url));
    char *argv[] = {"doctor", url, "--timeout-ms", "500", "--origin", "http://app.example", NULL};
    static char out[65536];
    CU_ASSERT_EQUAL(wh_test_run_main(wh_doctor_main, argv, 6, out, sizeof(out)), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "  ok    backend   tcp      127.0.0.1:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "  FAIL  backend   upgrade  /ws/coordinator +Origin "));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, " ms  403 Forbidden, no 101"));
    const char *last = strstr(out, "\ndiagnosis (origin-check): ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(last);
    CU_ASSERT_PTR_NOT_NULL(strstr(last, "(http://app.example)"));
    const char *nl = strchr(last + 1, '\n'); /* the diagnosis is the last line */
    CU_ASSERT(nl && nl[1] == '\0');
}

static void test_doctor_usage_errors_exit_2(void)
{
    static char out[8192];
    char *a1[] = {"doctor", NULL};
    CU_ASSERT_EQUAL(wh_test_run_main(wh_doctor_main, a1, 1, out, sizeof(out)), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "the backend URL is missing"));
    char *a2[] = {"doctor", "127.0.0.1:3001", NULL};
    CU_ASSERT_EQUAL(wh_test_run_main(wh_doctor_main, a2, 2, out, sizeof(out)), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "not an http://"));
    char *a3[] = {"doctor", "http://h:1", "--timeout-ms", "soon", NULL};
    CU_ASSERT_EQUAL(wh_test_run_main(wh_doctor_main, a3, 4, out, sizeof(out)), 2);
    char *a4[] = {"doctor", "http://h:1", "--frontend", "https://h:2", NULL};
    CU_ASSERT_EQUAL(wh_test_run_main(wh_doctor_main, a4, 4, out, sizeof(out)), 2);
    char *a5[] = {"doctor", "http://h:1", "--bogus", NULL};
    CU_ASSERT_EQUAL(wh_test_run_main(wh_doctor_main, a5, 3, out, sizeof(out)), 2);
    char *a6[] = {"doctor", "--help", NULL};
    CU_ASSERT_EQUAL(wh_test_run_main(wh_doctor_main, a6, 2, out, sizeof(out)), 0);
    CU_ASSERT(!strncmp(out, "usage: wsharness doctor URL", 27));
}

static void test_wsharness_binary_runs_doctor(void)
{
    char url[64];
    url_of(start_mock("ws-001-unregistered-router"), url, sizeof(url));
    int fds[2];
    CU_ASSERT_FATAL(!pipe(fds));
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (!pid) {
        dup2(fds[1], 1);
        close(fds[0]);
        execl(WSHARNESS_BIN, WSHARNESS_BIN, "doctor", url, "--timeout-ms", "500", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    static char out[65536];
    size_t have = 0;
    int64_t end = ms_time_mono_ms() + 10000;
    for (;;) {
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        int64_t left = end - ms_time_mono_ms();
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            break;
        ssize_t n = read(fds[0], out + have, sizeof(out) - 1 - have);
        if (n <= 0)
            break;
        have += (size_t)n;
    }
    out[have] = '\0';
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    CU_ASSERT(WIFEXITED(status));
    CU_ASSERT_EQUAL(WEXITSTATUS(status), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\ndiagnosis (ws-001): WS-001"));
}

static CU_TestInfo diagnosis_tests[] = {
    MS_TEST(test_doctor_healthy_backend_exits_0),
    MS_TEST(test_doctor_names_a_backend_that_is_not_running),
    MS_TEST(test_doctor_names_ws001_the_unregistered_enhanced_router),
    MS_TEST(test_doctor_names_an_origin_check),
    MS_TEST(test_doctor_names_a_silent_stalled_backend),
    MS_TEST(test_doctor_names_a_backend_that_stalls_after_the_welcome),
    MS_TEST(test_doctor_names_a_proxy_that_refuses_upgrades),
    MS_TEST(test_doctor_names_a_proxy_that_never_answers_upgrades),
    MS_TEST(test_doctor_healthy_through_a_working_proxy),
    MS_TEST(test_doctor_names_a_frontend_that_is_not_running),
    MS_TEST(test_doctor_names_a_frontend_that_does_not_proxy_http),
    MS_TEST(test_doctor_names_wss_on_a_plain_port),
    MS_TEST(test_doctor_names_ws_on_a_tls_port),
    MS_TEST(test_doctor_names_ws_on_an_nginx_tls_port),
    MS_TEST(test_doctor_says_it_cannot_check_a_tls_backend),
    MS_TEST(test_doctor_names_a_backend_that_does_not_answer_http),
    MS_TEST(test_doctor_names_a_backend_without_any_websocket_router),
    MS_TEST(test_doctor_names_upgrades_refused_in_front_of_a_present_router),
    MS_TEST(test_doctor_names_one_missing_route),
    MS_TEST(test_doctor_names_upgrades_that_get_no_answer),
    MS_TEST(test_doctor_names_a_backend_that_drops_open_connections),
    MS_TEST(test_doctor_names_an_unresolvable_host),
    CU_TEST_INFO_NULL,
};

static CU_TestInfo command_tests[] = {
    MS_TEST(test_doctor_json_has_steps_and_the_diagnosis),
    MS_TEST(test_doctor_text_prints_each_step_then_one_diagnosis_line),
    MS_TEST(test_doctor_usage_errors_exit_2),
    MS_TEST(test_wsharness_binary_runs_doctor),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"doctor_diagnoses", NULL, NULL, NULL, teardown, diagnosis_tests},
    {"doctor_command", NULL, NULL, NULL, teardown, command_tests},
    CU_SUITE_INFO_NULL,
};
