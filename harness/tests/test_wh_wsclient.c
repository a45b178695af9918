/* test_wh_wsclient -- the HTTP/WebSocket client: URLs, the accept key, and real exchanges with a
 * wsmock (port 0) and with tiny fake servers (silent, TLS-speaking). */
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

#include "ms_test.h"
#include "ms_time.h"
#include "wh_spawn.h"
#include "wh_testkit.h"
#include "wh_wsclient.h"

static struct wh_proc mock;

static int suite_init(void)
{
    char err[256];
    const char *args[] = {"--heartbeat-ms", "0", NULL};
    if (wh_spawn_wsmock(&mock, WSMOCK_BIN, args, 10000, err, sizeof(err))) {
        fprintf(stderr, "cannot start wsmock: %s\n", err);
        return -1;
    }
    return 0;
}

static int suite_cleanup(void)
{
    return wh_proc_stop(&mock, 5000) == 0 ? 0 : -1;
}

static void unload_scenario(void)
{
    struct wh_http_result r;
    wh_http_request("127.0.0.1", mock.port, "DELETE", "/__mock/scenario", NULL, NULL, 0, 3000, &r);
    wh_http_result_free(&r);
}

/* Forks a server that accepts one connection, reads the request head, writes reply, and closes.
 * Returns its pid; *port gets its port. */
static pid_t fake_server(const void *reply, size_t len, int *port)
{
    int lfd = wh_test_listen_any(port);
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        struct pollfd p = {.fd = lfd, .events = POLLIN};
        if (poll(&p, 1, 5000) <= 0)
            _exit(1);
        int c = accept(lfd, NULL, NULL);
        char buf[4096];
        size_t have = 0;
        int64_t end = ms_time_mono_ms() + 3000;
        while (have < sizeof(buf) - 1 && !memmem(buf, have, "\r\n\r\n", 4)) {
            struct pollfd q = {.fd = c, .events = POLLIN};
            int64_t left = end - ms_time_mono_ms();
            if (left <= 0 || poll(&q, 1, (int)left) <= 0)
                break;
            ssize_t n = read(c, buf + have, sizeof(buf) - 1 - have);
            if (n <= 0)
                break;
            have += (size_t)n;
        }
        if (write(c, reply, len) < 0)
            _exit(1);
        close(c);
        _exit(0);
    }
    close(lfd);
    return pid;
}

static void reap(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* ---- URLs and the accept key ---- */

static void test_url_parse_defaults_ports_by_scheme(void)
{
    struct wh_url u;
    CU_ASSERT_EQUAL(wh_url_parse("http://example.com", &u), 0);
    CU_ASSERT_STRING_EQUAL(u.scheme, "http");
    CU_ASSERT_STRING_EQUAL(u.host, "example.com");
    CU_ASSERT_EQUAL(u.port, 80);
    CU_ASSERT_STRING_EQUAL(u.path, "/");
    CU_ASSERT_EQUAL(u.tls, 0);
    CU_ASSERT_EQUAL(wh_url_parse("WSS://h/x", &u), 0);
    CU_ASSERT_STRING_EQUAL(u.scheme, "wss");
    CU_ASSERT_EQUAL(u.port, 443);
    CU_ASSERT_EQUAL(u.tls, 1);
    CU_ASSERT_EQUAL(wh_url_parse("https://h", &u), 0);
    CU_ASSERT_EQUAL(u.port, 443);
    CU_ASSERT_EQUAL(wh_url_parse("ws://h", &u), 0);
    CU_ASSERT_EQUAL(u.port, 80);
}

static void test_url_parse_port_path_query_and_ipv6(void)
{
    struct wh_url u;
    CU_ASSERT_EQUAL(wh_url_parse("ws://127.0.0.1:3001/ws/workflow/wf-1?client_id=a#frag", &u), 0);
    CU_ASSERT_STRING_EQUAL(u.host, "127.0.0.1");
    CU_ASSERT_EQUAL(u.port, 3001);
    CU_ASSERT_STRING_EQUAL(u.path, "/ws/workflow/wf-1?client_id=a");
    CU_ASSERT_EQUAL(wh_url_parse("http://[::1]:5000", &u), 0);
    CU_ASSERT_STRING_EQUAL(u.host, "::1");
    CU_ASSERT_EQUAL(u.port, 5000);
    CU_ASSERT_EQUAL(wh_url_parse("http://h?x=1", &u), 0);
    CU_ASSERT_STRING_EQUAL(u.path, "/?x=1");
    char hp[64];
    wh_url_hostport("::1", 3001, hp, sizeof(hp));
    CU_ASSERT_STRING_EQUAL(hp, "[::1]:3001");
    wh_url_hostport("localhost", 80, hp, sizeof(hp));
    CU_ASSERT_STRING_EQUAL(hp, "localhost:80");
}

static void test_url_parse_rejects_bad_urls(void)
{
    struct wh_url u;
    const char *bad[] = {"127.0.0.1:3001", "ftp://h",    "http://",        "http://:80",
                         "http://h:",      "http://h:0", "http://h:65536", "http://h:12a",
                         "http://[::1",    "http://u@h", "http://[::1]x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = wh_url_parse(bad[i], &u);
        if (rc != WH_NET_ERR_URL)
            fprintf(stderr, "\n  accepted: %s\n", bad[i]);
        CU_ASSERT_EQUAL(rc, WH_NET_ERR_URL);
    }
}

static void test_accept_key_matches_rfc6455_example(void)
{
    char out[29];
    wh_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out);
    CU_ASSERT_STRING_EQUAL(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

/* ---- HTTP ---- */

static void test_http_get_reads_status_headers_and_body(void)
{
    struct wh_http_result r;
    CU_ASSERT_EQUAL(
        wh_http_request("127.0.0.1", mock.port, "GET", "/health", NULL, NULL, 0, 3000, &r), 0);
    CU_ASSERT_EQUAL(r.resp.status, 200);
    CU_ASSERT_STRING_EQUAL(r.resp.reason, "OK");
    CU_ASSERT_STRING_EQUAL(wh_http_header(&r.resp, "Content-Type"), "application/json");
    CU_ASSERT_STRING_EQUAL(wh_http_header(&r.resp, "server"), "uvicorn");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r.resp.body);
    CU_ASSERT(!strncmp((char *)r.resp.body, "{\"status\":\"healthy\",", 20));
    CU_ASSERT_EQUAL(r.resp.body_len, strlen((char *)r.resp.body));
    CU_ASSERT(!strncmp(r.resp.head, "HTTP/1.1 200 OK\r\n", 17));
    CU_ASSERT(r.connect_ms >= 0 && r.total_ms >= r.connect_ms);
    wh_http_result_free(&r);
}

static void test_http_get_404_has_body(void)
{
    struct wh_http_result r;
    CU_ASSERT_EQUAL(
        wh_http_request("127.0.0.1", mock.port, "GET", "/ws/coordinator", NULL, NULL, 0, 3000, &r),
        0);
    CU_ASSERT_EQUAL(r.resp.status, 404);
    CU_ASSERT_STRING_EQUAL((char *)r.resp.body, "{\"detail\":\"Not Found\"}");
    wh_http_result_free(&r);
}

static void test_http_connection_refused(void)
{
    int port;
    close(wh_test_listen_any(&port)); /* a port nobody listens on any more */
    struct wh_http_result r;
    CU_ASSERT_EQUAL(wh_http_request("127.0.0.1", port, "GET", "/health", NULL, NULL, 0, 2000, &r),
                    WH_NET_ERR_REFUSED);
    CU_ASSERT_EQUAL(r.resp.status, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.detail, "Connection refused"));
    wh_http_result_free(&r);
}

static void test_http_silent_server_times_out_by_the_deadline(void)
{
    int port;
    int lfd = wh_test_listen_any(&port); /* the kernel accepts; nobody ever answers */
    struct wh_http_result r;
    int64_t t0 = ms_time_mono_ms();
    CU_ASSERT_EQUAL(wh_http_request("127.0.0.1", port, "GET", "/health", NULL, NULL, 0, 200, &r),
                    WH_NET_ERR_TIMEOUT);
    int64_t took = ms_time_mono_ms() - t0;
    CU_ASSERT(took >= 190 && took < 1000);
    CU_ASSERT_STRING_EQUAL(r.detail, "no answer in time");
    wh_http_result_free(&r);
    close(lfd);
}

static void test_http_tls_answer_is_recognised(void)
{
    static const unsigned char alert[] = {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46};
    int port;
    pid_t pid = fake_server(alert, sizeof(alert), &port);
    struct wh_http_result r;
    CU_ASSERT_EQUAL(wh_http_request("127.0.0.1", port, "GET", "/health", NULL, NULL, 0, 3000, &r),
                    WH_NET_ERR_TLS);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.detail, "TLS"));
    wh_http_result_free(&r);
    reap(pid);
}

static void test_http_chunked_and_close_delimited_bodies(void)
{
    static const char chunked[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  "5\r\nhello\r\n7;x=1\r\n, world\r\n0\r\n\r\n";
    int port;
    pid_t pid = fake_server(chunked, strlen(chunked), &port);
    struct wh_http_result r;
    CU_ASSERT_EQUAL(wh_http_request("127.0.0.1", port, "GET", "/", NULL, NULL, 0, 3000, &r), 0);
    CU_ASSERT_STRING_EQUAL((char *)r.resp.body, "hello, world");
    wh_http_result_free(&r);
    reap(pid);

    static const char until_close[] = "HTTP/1.0 200 OK\r\nX-A:  spaced  \r\n\r\nto the end";
    pid = fake_server(until_close, strlen(until_close), &port);
    CU_ASSERT_EQUAL(wh_http_request("127.0.0.1", port, "GET", "/", NULL, NULL, 0, 3000, &r), 0);
    CU_ASSERT_STRING_EQUAL((char *)r.resp.body, "to the end");
    CU_ASSERT_STRING_EQUAL(wh_http_header(&r.resp, "x-a"), "spaced");
    wh_http_result_free(&r);
    reap(pid);
}

static void test_http_garbage_is_a_protocol_error(void)
{
    static const char junk[] = "SSH-2.0-OpenSSH_9.2\r\n";
    int port;
    pid_t pid = fake_server(junk, strlen(junk), &port);
    struct wh_http_result r;
    CU_ASSERT_EQUAL(wh_http_request("127.0.0.1", port, "GET", "/", NULL, NULL, 0, 3000, &r),
                    WH_NET_ERR_PROTOCOL);
    wh_http_result_free(&r);
    reap(pid);
}

/* ---- WebSocket ---- */

static struct wh_ws *open_ok(const char *path, const char *origin)
{
    struct wh_ws_opts o = {.origin = origin, .timeout_ms = 3000};
    struct wh_ws *ws = wh_ws_connect("127.0.0.1", mock.port, path, &o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ws);
    if (ws->err)
        fprintf(stderr, "\n  %s: %s\n", path, ws->detail);
    CU_ASSERT_EQUAL_FATAL(ws->err, 0);
    return ws;
}

/* Receives the next message, which must be a text frame starting with prefix. */
static void expect_text(struct wh_ws *ws, const char *prefix)
{
    struct wh_ws_msg m;
    int rc = wh_ws_recv(ws, 3000, &m);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(m.opcode, 0x1);
    if (strncmp((const char *)m.data, prefix, strlen(prefix)))
        fprintf(stderr, "\n  got %s\n  want %s...\n", m.data, prefix);
    CU_ASSERT(!strncmp((const char *)m.data, prefix, strlen(prefix)));
}

static void test_ws_welcome_ping_pong_and_close_echo(void)
{
    struct wh_ws *ws = open_ok("/ws/coordinator", NULL);
    CU_ASSERT_EQUAL(ws->resp.status, 101);
    CU_ASSERT(ws->connect_ms >= 0 && ws->handshake_ms >= 0);
    expect_text(ws, "{\"type\":\"info\",\"message\":\"Connected to ViMax WebSocket server\"");
    CU_ASSERT_EQUAL(wh_ws_send_text(ws, "{\"type\":\"ping\"}", 1000), 0);
    expect_text(ws, "{\"type\":\"pong\"}");
    CU_ASSERT_EQUAL(wh_ws_send(ws, 0x9, "hi", 2, 1000), 0); /* a protocol ping */
    struct wh_ws_msg m;
    CU_ASSERT_EQUAL(wh_ws_recv(ws, 3000, &m), 0);
    CU_ASSERT_EQUAL(m.opcode, 0xA);
    CU_ASSERT_EQUAL(m.len, 2);
    CU_ASSERT_EQUAL(wh_ws_send_close(ws, 1000, "bye", 1000), 0);
    CU_ASSERT_EQUAL(wh_ws_recv(ws, 3000, &m), 0);
    CU_ASSERT_EQUAL(m.opcode, 0x8);
    CU_ASSERT_EQUAL(ws->close_code, 1000);
    CU_ASSERT_EQUAL(wh_ws_wait_eof(ws, 3000), 0);
    wh_ws_free(ws);
}

static void test_ws_refused_upgrade_keeps_status_and_exact_head(void)
{
    struct wh_ws_opts o = {.timeout_ms = 3000};
    struct wh_ws *ws = wh_ws_connect("127.0.0.1", mock.port, "/ws/nope", &o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ws);
    CU_ASSERT_EQUAL(ws->err, WH_NET_ERR_UPGRADE);
    CU_ASSERT_EQUAL(ws->resp.status, 403);
    CU_ASSERT_STRING_EQUAL(ws->detail, "upgrade refused: HTTP 403 Forbidden");
    CU_ASSERT(!strncmp(ws->resp.head, "HTTP/1.1 403 Forbidden\r\nDate: ", 30));
    CU_ASSERT_PTR_NOT_NULL(strstr(ws->resp.head,
                                  "\r\nContent-Length: 0\r\nContent-Type: text/plain\r\n"
                                  "Connection: close\r\n\r\n"));
    CU_ASSERT_EQUAL(ws->resp.body_len, 0);
    struct wh_ws_msg m;
    CU_ASSERT_EQUAL(wh_ws_recv(ws, 100, &m), WH_NET_ERR_UPGRADE);
    CU_ASSERT_EQUAL(wh_ws_send_text(ws, "x", 100), WH_NET_ERR_UPGRADE);
    wh_ws_free(ws);
}

static void test_ws_origin_header_is_sent_only_when_asked(void)
{
    wh_test_load_scenario(
        mock.port, "{\"name\":\"t-origin\",\"description\":\"origin\",\"connections\":[{\"path\":"
                   "\"/ws/*\",\"origin\":\"present\",\"action\":\"refuse\",\"status\":451}]}");
    struct wh_ws_opts o = {.origin = "http://localhost:5000", .timeout_ms = 3000};
    struct wh_ws *ws = wh_ws_connect("127.0.0.1", mock.port, "/ws/coordinator", &o);
    CU_ASSERT_EQUAL(ws->err, WH_NET_ERR_UPGRADE);
    CU_ASSERT_EQUAL(ws->resp.status, 451);
    wh_ws_free(ws);
    ws = open_ok("/ws/coordinator", NULL);
    wh_ws_free(ws);
    unload_scenario();
}

static void test_ws_extra_headers_and_fixed_key(void)
{
    const char *h[] = {"X-Trace: 1", NULL};
    struct wh_ws_opts o = {.headers = h, .key = "dGhlIHNhbXBsZSBub25jZQ==", .timeout_ms = 3000};
    struct wh_ws *ws = wh_ws_connect("127.0.0.1", mock.port, "/ws/agent/a", &o);
    CU_ASSERT_EQUAL_FATAL(ws->err, 0);
    CU_ASSERT_STRING_EQUAL(wh_http_header(&ws->resp, "Sec-WebSocket-Accept"),
                           "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    wh_ws_free(ws);
}

static void test_ws_close_code_reason_fragments_and_server_ping(void)
{
    wh_test_load_scenario(
        mock.port, "{\"name\":\"t-frames\",\"description\":\"frames\",\"connections\":[{\"path\":"
                   "\"/ws/*\",\"welcome\":false,\"on_open\":[{\"ws_ping\":\"p\"},"
                   "{\"send_fragmented\":{\"type\":\"x\",\"n\":12345},\"fragments\":3},"
                   "{\"send_binary\":\"AAECAw==\"},{\"close\":4001,\"reason\":\"bye now\"}]}]}");
    struct wh_ws *ws = open_ok("/ws/workflow/f", NULL);
    expect_text(ws, "{\"type\":\"x\",\"n\":12345}"); /* the ping before it was answered, unseen */
    struct wh_ws_msg m;
    CU_ASSERT_EQUAL(wh_ws_recv(ws, 3000, &m), 0);
    CU_ASSERT_EQUAL(m.opcode, 0x2);
    CU_ASSERT_EQUAL(m.len, 4);
    CU_ASSERT(!memcmp(m.data, "\x00\x01\x02\x03", 4));
    CU_ASSERT_EQUAL(wh_ws_recv(ws, 3000, &m), 0);
    CU_ASSERT_EQUAL(m.opcode, 0x8);
    CU_ASSERT_EQUAL(ws->close_code, 4001);
    CU_ASSERT_STRING_EQUAL(ws->close_reason, "bye now");
    CU_ASSERT_EQUAL(wh_ws_recv(ws, 3000, &m), WH_NET_ERR_CLOSED);
    wh_ws_free(ws);
    unload_scenario();
}

static void test_ws_drop_without_close_frame_is_closed(void)
{
    wh_test_load_scenario(
        mock.port, "{\"name\":\"t-drop\",\"description\":\"drop\",\"connections\":[{\"path\":"
                   "\"/ws/*\",\"on_open\":[{\"drop\":true}]}]}");
    struct wh_ws *ws = open_ok("/ws/coordinator", NULL);
    expect_text(ws, "{\"type\":\"info\"");
    struct wh_ws_msg m;
    CU_ASSERT_EQUAL(wh_ws_recv(ws, 3000, &m), WH_NET_ERR_CLOSED);
    CU_ASSERT_EQUAL(ws->close_code, -1);
    wh_ws_free(ws);
    unload_scenario();
}

static void test_ws_reset_and_hang_are_reported(void)
{
    wh_test_load_scenario(mock.port,
                          "{\"name\":\"t-reset\",\"description\":\"reset\",\"connections\":["
                          "{\"path\":\"/ws/agent/*\",\"action\":\"reset\"},"
                          "{\"path\":\"/ws/coordinator\",\"action\":\"hang\"}]}");
    struct wh_ws_opts o = {.timeout_ms = 300};
    struct wh_ws *ws = wh_ws_connect("127.0.0.1", mock.port, "/ws/agent/x", &o);
    CU_ASSERT(ws->err == WH_NET_ERR_IO || ws->err == WH_NET_ERR_CLOSED);
    CU_ASSERT_EQUAL(ws->resp.status, 0);
    wh_ws_free(ws);
    int64_t t0 = ms_time_mono_ms();
    ws = wh_ws_connect("127.0.0.1", mock.port, "/ws/coordinator", &o);
    CU_ASSERT_EQUAL(ws->err, WH_NET_ERR_TIMEOUT);
    CU_ASSERT_STRING_EQUAL(ws->detail, "no answer to the upgrade within 300 ms");
    CU_ASSERT(ms_time_mono_ms() - t0 < 2000);
    wh_ws_free(ws);
    unload_scenario();
}

static void test_ws_recv_times_out_on_silence(void)
{
    struct wh_ws *ws = open_ok("/ws/agent/quiet", NULL);
    expect_text(ws, "{\"type\":\"info\"");
    struct wh_ws_msg m;
    int64_t t0 = ms_time_mono_ms();
    CU_ASSERT_EQUAL(wh_ws_recv(ws, 150, &m), WH_NET_ERR_TIMEOUT);
    int64_t took = ms_time_mono_ms() - t0;
    CU_ASSERT(took >= 140 && took < 1000);
    wh_ws_free(ws);
}

static void test_ws_wrong_accept_key_is_refused(void)
{
    static const char bad101[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                 "Connection: Upgrade\r\nSec-WebSocket-Accept: bm9wZQ==\r\n\r\n";
    int port;
    pid_t pid = fake_server(bad101, strlen(bad101), &port);
    struct wh_ws_opts o = {.timeout_ms = 3000};
    struct wh_ws *ws = wh_ws_connect("127.0.0.1", port, "/ws/coordinator", &o);
    CU_ASSERT_EQUAL(ws->err, WH_NET_ERR_UPGRADE);
    CU_ASSERT_EQUAL(ws->resp.status, 101);
    CU_ASSERT_PTR_NOT_NULL(strstr(ws->detail, "wrong Sec-WebSocket-Accept bm9wZQ=="));
    wh_ws_free(ws);
    reap(pid);
}

static void test_ws_large_text_roundtrip(void)
{
    /* A 70000-byte ping message uses the 64-bit length form; the workflow endpoint ignores extra
     * keys and answers pong. */
    size_t n = 70000;
    char *big = malloc(n + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    int off = snprintf(big, n + 1, "{\"type\":\"ping\",\"pad\":\"");
    memset(big + off, 'a', n - (size_t)off - 2);
    memcpy(big + n - 2, "\"}", 3);
    struct wh_ws *ws = open_ok("/ws/workflow/big", NULL);
    expect_text(ws, "{\"type\":\"info\"");
    CU_ASSERT_EQUAL(wh_ws_send_text(ws, big, 3000), 0);
    expect_text(ws, "{\"type\":\"pong\"}");
    free(big);
    wh_ws_free(ws);
}

static CU_TestInfo url_tests[] = {
    MS_TEST(test_url_parse_defaults_ports_by_scheme),
    MS_TEST(test_url_parse_port_path_query_and_ipv6),
    MS_TEST(test_url_parse_rejects_bad_urls),
    MS_TEST(test_accept_key_matches_rfc6455_example),
    CU_TEST_INFO_NULL,
};

static CU_TestInfo http_tests[] = {
    MS_TEST(test_http_get_reads_status_headers_and_body),
    MS_TEST(test_http_get_404_has_body),
    MS_TEST(test_http_connection_refused),
    MS_TEST(test_http_silent_server_times_out_by_the_deadline),
    MS_TEST(test_http_tls_answer_is_recognised),
    MS_TEST(test_http_chunked_and_close_delimited_bodies),
    MS_TEST(test_http_garbage_is_a_protocol_error),
    CU_TEST_INFO_NULL,
};

static CU_TestInfo ws_tests[] = {
    MS_TEST(test_ws_welcome_ping_pong_and_close_echo),
    MS_TEST(test_ws_refused_upgrade_keeps_status_and_exact_head),
    MS_TEST(test_ws_origin_header_is_sent_only_when_asked),
    MS_TEST(test_ws_extra_headers_and_fixed_key),
    MS_TEST(test_ws_close_code_reason_fragments_and_server_ping),
    MS_TEST(test_ws_drop_without_close_frame_is_closed),
    MS_TEST(test_ws_reset_and_hang_are_reported),
    MS_TEST(test_ws_recv_times_out_on_silence),
    MS_TEST(test_ws_wrong_accept_key_is_refused),
    MS_TEST(test_ws_large_text_roundtrip),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"wsclient_url", NULL, NULL, NULL, NULL, url_tests},
    {"wsclient_http", suite_init, suite_cleanup, NULL, NULL, http_tests},
    {"wsclient_ws", suite_init, suite_cleanup, NULL, NULL, ws_tests},
    CU_SUITE_INFO_NULL,
};
