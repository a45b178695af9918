/* test_wh_journal -- reading a wsmock journal: JSON-lines files (epochs, bad lines) and the tiny
 * HTTP GET against a scripted server (Content-Length, chunked, close-delimited, time-outs). */
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
#include "wh_journal.h"

/* ---- files ---- */

static char tmp[64];

/* Writes text to a temporary file (tmp) and returns its name. */
static const char *file_with(const char *text)
{
    snprintf(tmp, sizeof(tmp), "/tmp/wh-journal-XXXXXX.jsonl");
    int fd = mkstemps(tmp, 6);
    CU_ASSERT_FATAL(fd >= 0);
    size_t n = strlen(text);
    CU_ASSERT_FATAL(write(fd, text, n) == (ssize_t)n);
    close(fd);
    return tmp;
}

/* A refused upgrade event as wsmock writes it (UPG: one journal line). */
#define UPG_J(seq, t, conn)                                                                        \
    "{\"seq\":" #seq ",\"t_ms\":" #t ",\"type\":\"upgrade\",\"conn\":" #conn                       \
    ",\"path\":\"/ws/x\",\"outcome\":\"refused\",\"status\":403}"
#define UPG(seq, t, conn) UPG_J(seq, t, conn) "\n"

static void test_reads_every_event_in_order_and_skips_blank_lines(void)
{
    const char *f = file_with(
        "{\"type\":\"reset\"}\n{\"seq\":1,\"t_ms\":0,\"type\":\"listening\",\"port\":1}\n" UPG(
            2, 10, 1) "\n   \n" UPG(3, 1010, 2) "{\"seq\":4,\"t_ms\":1011,\"type\":\"http\"}");
    struct wh_journal j;
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(wh_journal_read_file(f, &j, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(j.events), 4);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(j.events, 2), "conn")->valueint, 2);
    CU_ASSERT_EQUAL(j.resets, 0);
    wh_journal_free(&j);
    CU_ASSERT_PTR_NULL(j.events);
    unlink(f);
}

static void test_keeps_only_the_events_after_the_last_reset(void)
{
    const char *f = file_with(UPG(1, 0, 1) UPG(2, 5, 2) "{\"type\":\"reset\"}\n" UPG(
        1, 3, 1) "{\"type\":\"reset\"}\n" UPG(1, 7, 1) UPG(2, 1007, 2));
    struct wh_journal j;
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(wh_journal_read_file(f, &j, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(j.resets, 2);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(j.events), 2);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(j.events, 0), "t_ms")->valueint, 7);
    wh_journal_free(&j);
    unlink(f);
}

/* Reads text, which must fail with "FILE<want>". */
static void bad_file(const char *text, const char *want)
{
    const char *f = file_with(text);
    struct wh_journal j;
    char err[256] = "", full[320];
    CU_ASSERT_EQUAL(wh_journal_read_file(f, &j, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NULL(j.events);
    snprintf(full, sizeof(full), "%s%s", f, want);
    if (strcmp(err, full))
        fprintf(stderr, "\n  got:  %s\n  want: %s\n", err, full);
    CU_ASSERT_STRING_EQUAL(err, full);
    unlink(f);
}

static void test_bad_lines_are_named_with_file_and_line(void)
{
    bad_file(UPG(1, 0, 1) "{\"seq\":2,", ":2: not JSON (column 9)");
    bad_file(UPG(1, 0, 1) "\n[1,2]\n", ":3: not a JSON object");
    bad_file("{\"seq\":1} {\"seq\":2}\n", ":1: more than one JSON value on the line");
    bad_file("{\"seq\":1,\"t_ms\":0}\n", ":1: an event without a string \"type\"");
    bad_file("{\"seq\":1,\"t_ms\":0,\"type\":\"open\",\"conn\":\"1\",\"path\":\"/ws/x\"}\n",
             ":1: a connection event without a numeric conn and a string path");
    bad_file("{\"seq\":1,\"t_ms\":0,\"type\":\"close\",\"conn\":1,\"path\":\"/ws/x\"}\n",
             ":1: a close event without a numeric code and a string by");
    bad_file("{\"seq\":1,\"t_ms\":0,\"type\":\"upgrade\",\"conn\":1,\"path\":\"/ws/x\"}\n",
             ":1: an upgrade event without a string outcome");
}

static void test_missing_file(void)
{
    struct wh_journal j;
    char err[256] = "";
    CU_ASSERT_EQUAL(wh_journal_read_file("/nonexistent/j.jsonl", &j, err, sizeof(err)), -1);
    CU_ASSERT_STRING_EQUAL(err, "/nonexistent/j.jsonl: No such file or directory");
}

/* ---- a scripted HTTP server in a child process ---- */

enum mode {
    M_LENGTH,  /* Content-Length, connection kept open */
    M_CHUNKED, /* chunked, connection kept open */
    M_CLOSE,   /* HTTP/1.0, body until close */
    M_SPLIT,   /* the head in two writes, 30 ms apart */
    M_NOTHTTP, /* not HTTP */
    M_SILENT,  /* never answers */
    M_SHORT,   /* closes before the announced length */
    M_JOURNAL, /* answers /__mock/journal by type */
    M_NOTJOURNAL,
    M_BADEVENT,
    M_404,
};

struct fake {
    pid_t pid;
    int port;
    int requests; /* read end of a pipe: the request lines the server got */
};

static void put(int fd, const char *s)
{
    size_t n = strlen(s);
    if (write(fd, s, n) != (ssize_t)n)
        _exit(3);
}

/* Waits until the peer closes fd (or 3 s pass). */
static void until_closed(int fd)
{
    char b[256];
    int64_t end = ms_time_mono_ms() + 3000;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int64_t left = end - ms_time_mono_ms();
        if (left <= 0 || poll(&p, 1, (int)left) != 1 || read(fd, b, sizeof(b)) <= 0)
            return;
    }
}

/* The journal answer for a request line, by its type parameter. */
static const char *journal_answer(const char *req)
{
    if (strstr(req, "type=upgrade"))
        return "{\"events\":[" UPG_J(2, 0, 1) "," UPG_J(8, 1000, 2) "],\"next\":9,\"dropped\":0}";
    if (strstr(req, "type=open"))
        return "{\"events\":[{\"seq\":6,\"t_ms\":1001,\"type\":\"open\",\"conn\":2,\"path\":"
               "\"/ws/x\"}],\"next\":9,\"dropped\":3}";
    return "{\"events\":[{\"seq\":9,\"t_ms\":3001,\"type\":\"close\",\"conn\":2,\"path\":\"/ws/x\","
           "\"code\":1006,\"by\":\"server\"}],\"next\":9,\"dropped\":0}";
}

static void serve(int lfd, int out, enum mode m, int conns)
{
    char body[1024], resp[1400];
    for (int c = 0; c < conns; c++) {
        struct pollfd p = {.fd = lfd, .events = POLLIN};
        if (poll(&p, 1, 5000) != 1)
            _exit(1);
        int fd = accept(lfd, NULL, NULL);
        char req[2048];
        size_t have = 0;
        while (!memmem(req, have, "\r\n\r\n", 4) && have < sizeof(req) - 1) {
            struct pollfd q = {.fd = fd, .events = POLLIN};
            ssize_t r;
            if (poll(&q, 1, 3000) != 1 || (r = read(fd, req + have, sizeof(req) - 1 - have)) <= 0)
                _exit(2);
            have += (size_t)r;
        }
        req[have] = '\0';
        *strstr(req, "\r\n") = '\0';
        dprintf(out, "%s\n", req);
        switch (m) {
        case M_LENGTH:
            put(fd,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\ncontent-length: 5\r\n\r\nhello");
            until_closed(fd);
            break;
        case M_CHUNKED:
            put(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=1\r\n "
                    "world\r\n0\r\n\r\n");
            until_closed(fd);
            break;
        case M_CLOSE:
            put(fd, "HTTP/1.0 404 Not Found\r\n\r\nuntil the end");
            break;
        case M_SPLIT:
            put(fd, "HTTP/1.1 200 OK\r\nContent-Le");
            poll(NULL, 0, 30);
            put(fd, "ngth: 2\r\n\r\nok");
            until_closed(fd);
            break;
        case M_NOTHTTP:
            put(fd, "SSH-2.0-OpenSSH_9.2\r\n\r\n");
            break;
        case M_SILENT:
            until_closed(fd);
            break;
        case M_SHORT:
            put(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
            break;
        case M_JOURNAL:
        case M_NOTJOURNAL:
        case M_BADEVENT:
        case M_404:
            snprintf(body, sizeof(body), "%s",
                     m == M_JOURNAL      ? journal_answer(req)
                     : m == M_NOTJOURNAL ? "{\"detail\":\"Not Found\"}"
                     : m == M_BADEVENT
                         ? "{\"events\":[{\"seq\":3,\"t_ms\":1,\"type\":\"close\",\"conn\":1,"
                           "\"path\":\"/ws/x\"}],\"next\":3,\"dropped\":0}"
                         : "{\"detail\":\"Not Found\"}");
            snprintf(
                resp, sizeof(resp),
                "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                m == M_404 ? "404 Not Found" : "200 OK", strlen(body), body);
            put(fd, resp);
            break;
        }
        close(fd);
    }
}

static void fake_start(struct fake *fk, enum mode m, int conns)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0), pfd[2];
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof(sa);
    CU_ASSERT_FATAL(lfd >= 0 && !bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) && !listen(lfd, 4) &&
                    !getsockname(lfd, (struct sockaddr *)&sa, &sl) && !pipe(pfd));
    fflush(NULL);
    fk->pid = fork();
    CU_ASSERT_FATAL(fk->pid >= 0);
    if (!fk->pid) {
        close(pfd[0]);
        serve(lfd, pfd[1], m, conns);
        _exit(0);
    }
    close(lfd);
    close(pfd[1]);
    fk->port = ntohs(sa.sin_port);
    fk->requests = pfd[0];
}

/* Stops the server; returns what it was asked (request lines), malloc'd. */
static char *fake_stop(struct fake *fk)
{
    kill(fk->pid, SIGTERM);
    waitpid(fk->pid, NULL, 0);
    char *all = calloc(1, 4096);
    ssize_t n = read(fk->requests, all, 4095);
    (void)n;
    close(fk->requests);
    return all;
}

static char *body;
static size_t len;
static int status;
static char err[256];

static int get(struct fake *fk, const char *path, long timeout_ms)
{
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", fk->port, path);
    free(body);
    body = NULL;
    err[0] = '\0';
    status = 0;
    return wh_journal_http_get(url, timeout_ms, &status, &body, &len, err, sizeof(err));
}

static void test_http_content_length_without_waiting_for_close(void)
{
    struct fake fk;
    fake_start(&fk, M_LENGTH, 1);
    int64_t t0 = ms_time_mono_ms();
    CU_ASSERT_EQUAL(get(&fk, "/a?b=c", 5000), 0);
    CU_ASSERT(ms_time_mono_ms() - t0 < 2000);
    CU_ASSERT_EQUAL(status, 200);
    CU_ASSERT_STRING_EQUAL(body, "hello");
    CU_ASSERT_EQUAL(len, 5);
    char *req = fake_stop(&fk);
    CU_ASSERT_STRING_EQUAL(req, "GET /a?b=c HTTP/1.1\n");
    free(req);
}

static void test_http_chunked(void)
{
    struct fake fk;
    fake_start(&fk, M_CHUNKED, 1);
    CU_ASSERT_EQUAL(get(&fk, "", 5000), 0);
    CU_ASSERT_STRING_EQUAL(body, "hello world");
    CU_ASSERT_EQUAL(len, 11);
    char *req = fake_stop(&fk);
    CU_ASSERT_STRING_EQUAL(req, "GET / HTTP/1.1\n");
    free(req);
}

static void test_http_body_until_close_and_any_status(void)
{
    struct fake fk;
    fake_start(&fk, M_CLOSE, 1);
    CU_ASSERT_EQUAL(get(&fk, "/", 5000), 0);
    CU_ASSERT_EQUAL(status, 404);
    CU_ASSERT_STRING_EQUAL(body, "until the end");
    free(fake_stop(&fk));
}

static void test_http_head_split_across_reads(void)
{
    struct fake fk;
    fake_start(&fk, M_SPLIT, 1);
    CU_ASSERT_EQUAL(get(&fk, "/", 5000), 0);
    CU_ASSERT_STRING_EQUAL(body, "ok");
    free(fake_stop(&fk));
}

static void test_http_errors_are_one_line(void)
{
    struct fake fk;
    fake_start(&fk, M_NOTHTTP, 1);
    CU_ASSERT_EQUAL(get(&fk, "/", 5000), -1);
    CU_ASSERT_STRING_EQUAL(err, "the answer is not HTTP (first bytes 53 53 48 2d)");
    free(fake_stop(&fk));

    fake_start(&fk, M_SHORT, 1);
    CU_ASSERT_EQUAL(get(&fk, "/", 5000), -1);
    CU_ASSERT_STRING_EQUAL(err, "the peer closed the connection in the middle of the answer");
    free(fake_stop(&fk));

    fake_start(&fk, M_SILENT, 1);
    int64_t t0 = ms_time_mono_ms();
    CU_ASSERT_EQUAL(get(&fk, "/", 200), -1);
    int64_t took = ms_time_mono_ms() - t0;
    CU_ASSERT(took >= 190 && took < 2000);
    CU_ASSERT_STRING_EQUAL(err, "no complete answer within 200 ms");
    free(fake_stop(&fk));
    CU_ASSERT_PTR_NULL(body);
}

static void test_http_bad_urls(void)
{
    static const char *const bad[] = {"https://127.0.0.1:1/", "http://",        "http://h:x/",
                                      "http://h:99999999/",   "127.0.0.1:3001", "http://[::1/"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        CU_ASSERT_EQUAL(wh_journal_http_get(bad[i], 100, &status, &body, &len, err, sizeof(err)),
                        -1);
        CU_ASSERT_STRING_EQUAL(err, "not an http://HOST:PORT URL");
    }
}

/* ---- fetching from a running wsmock ---- */

static void test_fetch_asks_for_each_type_and_merges_by_seq(void)
{
    struct fake fk;
    fake_start(&fk, M_JOURNAL, 3);
    char base[64];
    snprintf(base, sizeof(base), "http://127.0.0.1:%d/", fk.port);
    struct wh_journal j;
    CU_ASSERT_EQUAL_FATAL(wh_journal_fetch(base, "/ws/workflow/*", 7, 5000, &j, err, sizeof(err)),
                          0);
    int seqs[8], n = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, j.events) seqs[n++] = cJSON_GetObjectItem(ev, "seq")->valueint;
    CU_ASSERT_EQUAL(n, 4);
    CU_ASSERT(n == 4 && seqs[0] == 2 && seqs[1] == 6 && seqs[2] == 8 && seqs[3] == 9);
    CU_ASSERT_EQUAL(j.dropped, 3);
    wh_journal_free(&j);
    char *req = fake_stop(&fk);
    CU_ASSERT_STRING_EQUAL(
        req, "GET /__mock/journal?since=7&type=upgrade&path=/ws/workflow/%2A HTTP/1.1\n"
             "GET /__mock/journal?since=7&type=open&path=/ws/workflow/%2A HTTP/1.1\n"
             "GET /__mock/journal?since=7&type=close&path=/ws/workflow/%2A HTTP/1.1\n");
    free(req);
}

/* Fetches from a server in mode m, which must fail with "URL: want". */
static void bad_fetch(enum mode m, const char *want)
{
    struct fake fk;
    fake_start(&fk, m, 1);
    char base[64], full[400];
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", fk.port);
    struct wh_journal j;
    CU_ASSERT_EQUAL(wh_journal_fetch(base, "/ws/x", 0, 5000, &j, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NULL(j.events);
    snprintf(full, sizeof(full), "%s: %s", base, want);
    if (strcmp(err, full))
        fprintf(stderr, "\n  got:  %s\n  want: %s\n", err, full);
    CU_ASSERT_STRING_EQUAL(err, full);
    free(fake_stop(&fk));
}

static void test_fetch_errors_name_the_url(void)
{
    bad_fetch(M_404, "GET /__mock/journal answered HTTP 404 (not a wsmock, or one started with "
                     "--no-control)");
    bad_fetch(M_NOTJOURNAL, "GET /__mock/journal did not answer a journal ({\"events\":[...]})");
    bad_fetch(M_BADEVENT, "journal event 3: a close event without a numeric code and a string by");
    bad_fetch(M_NOTHTTP, "the answer is not HTTP (first bytes 53 53 48 2d)");
}

static int cleanup(void)
{
    free(body);
    body = NULL;
    return 0;
}

static CU_TestInfo file_tests[] = {
    MS_TEST(test_reads_every_event_in_order_and_skips_blank_lines),
    MS_TEST(test_keeps_only_the_events_after_the_last_reset),
    MS_TEST(test_bad_lines_are_named_with_file_and_line),
    MS_TEST(test_missing_file),
    CU_TEST_INFO_NULL,
};

static CU_TestInfo http_tests[] = {
    MS_TEST(test_http_content_length_without_waiting_for_close),
    MS_TEST(test_http_chunked),
    MS_TEST(test_http_body_until_close_and_any_status),
    MS_TEST(test_http_head_split_across_reads),
    MS_TEST(test_http_errors_are_one_line),
    MS_TEST(test_http_bad_urls),
    MS_TEST(test_fetch_asks_for_each_type_and_merges_by_seq),
    MS_TEST(test_fetch_errors_name_the_url),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"journal_file", NULL, NULL, NULL, NULL, file_tests},
    {"journal_http", NULL, cleanup, NULL, NULL, http_tests},
    CU_SUITE_INFO_NULL,
};
