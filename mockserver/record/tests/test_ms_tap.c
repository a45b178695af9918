/* test_ms_tap -- unit tests of the connection tap: upgrades, refusals, HTTP framing, any split. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ms_pyjson.h"
#include "ms_recording.h"
#include "ms_tap.h"
#include "ms_test.h"

static const char UPGRADE[] = "GET /ws/coordinator?client_id=abc HTTP/1.1\r\n"
                              "Host: 127.0.0.1:3001\r\n"
                              "Upgrade: websocket\r\n"
                              "Connection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\n\r\n";
static const char SWITCH[] = "HTTP/1.1 101 Switching Protocols\r\n"
                             "Upgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
static const char REFUSED_403[] = "HTTP/1.1 403 Forbidden\r\n"
                                  "Date: Wed, 25 Nov 2026 19:48:01 GMT\r\n"
                                  "Content-Length: 0\r\n"
                                  "Content-Type: text/plain\r\n"
                                  "Connection: close\r\n\r\n";
static const char REPLIES[] = "\"replies\":[{\"regex\":\".*\",\"do\":[]}]";
static const unsigned char MASK[4] = {0x11, 0x22, 0x33, 0x44};

/* ---- a scripted conversation ---- */

enum who { CLIENT, SERVER, CLIENT_EOF, SERVER_EOF, NEW_CONNECTION };

struct chunk {
    enum who who;
    long long t_us;
    unsigned char *p;
    size_t len;
};

struct script {
    struct chunk c[64];
    size_t n;
};

static struct chunk *add(struct script *s, enum who who, long long t_us)
{
    CU_ASSERT_FATAL(s->n < 64);
    struct chunk *c = &s->c[s->n++];
    memset(c, 0, sizeof *c);
    c->who = who;
    c->t_us = t_us;
    return c;
}

static void put(struct chunk *c, const void *data, size_t n)
{
    c->p = realloc(c->p, c->len + n + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c->p);
    memcpy(c->p + c->len, data, n);
    c->len += n;
}

static void puts_(struct chunk *c, const char *s)
{
    put(c, s, strlen(s));
}

/* Appends a frame (client frames masked, server frames not). */
static void frame(struct chunk *c, unsigned char b0, const void *payload, size_t len)
{
    int masked = c->who == CLIENT;
    unsigned char hdr[14];
    size_t h = 0;
    hdr[h++] = b0;
    if (len < 126) {
        hdr[h++] = (unsigned char)((masked ? 0x80 : 0) | len);
    } else {
        hdr[h++] = (unsigned char)((masked ? 0x80 : 0) | 126);
        hdr[h++] = (unsigned char)(len >> 8);
        hdr[h++] = (unsigned char)len;
    }
    if (masked) {
        memcpy(hdr + h, MASK, 4);
        h += 4;
    }
    put(c, hdr, h);
    const unsigned char *in = payload;
    for (size_t i = 0; i < len; i++) {
        unsigned char b = masked ? in[i] ^ MASK[i & 3] : in[i];
        put(c, &b, 1);
    }
}

static void text(struct chunk *c, const char *s)
{
    frame(c, 0x81, s, strlen(s));
}

static void script_free(struct script *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->c[i].p);
    s->n = 0;
}

/* Plays the script into rec; every chunk is fed in two pieces split at `split` (0: whole). Returns
 * the last tap's problem (or NULL). */
static const char *play_into(struct ms_recording *rec, const struct script *s, size_t split)
{
    static char problem[128];
    problem[0] = '\0';
    struct ms_tap *tap = ms_tap_new(rec);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tap);
    for (size_t i = 0; i < s->n; i++) {
        const struct chunk *c = &s->c[i];
        size_t k = split && split < c->len ? split : c->len;
        switch (c->who) {
        case CLIENT:
            ms_tap_client_data(tap, c->p, k, c->t_us);
            ms_tap_client_data(tap, c->p + k, c->len - k, c->t_us);
            break;
        case SERVER:
            ms_tap_server_data(tap, c->p, k, c->t_us);
            ms_tap_server_data(tap, c->p + k, c->len - k, c->t_us);
            break;
        case CLIENT_EOF:
            ms_tap_client_eof(tap, c->t_us);
            break;
        case SERVER_EOF:
            ms_tap_server_eof(tap, c->t_us);
            break;
        case NEW_CONNECTION:
            ms_tap_free(tap);
            tap = ms_tap_new(rec);
            CU_ASSERT_PTR_NOT_NULL_FATAL(tap);
            break;
        }
    }
    if (ms_tap_problem(tap))
        snprintf(problem, sizeof problem, "%s", ms_tap_problem(tap));
    ms_tap_free(tap);
    return problem[0] ? problem : NULL;
}

/* The "connections" and "expect" of the scenario the recording writes, as compact JSON. */
static char *result(const struct ms_recording *rec)
{
    cJSON *root = ms_recording_scenario(rec, "t", "d");
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    cJSON *both = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(both, "connections", cJSON_GetObjectItem(root, "connections"));
    cJSON_AddItemReferenceToObject(both, "expect", cJSON_GetObjectItem(root, "expect"));
    char *out = ms_pyjson_print(both);
    cJSON_Delete(both);
    cJSON_Delete(root);
    return out;
}

/* Plays the script whole into a new recording; returns result() (caller frees). */
static char *play(const struct script *s, struct ms_recording_stats *st)
{
    struct ms_recording *rec = ms_recording_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
    play_into(rec, s, 0);
    char *out = result(rec);
    if (st)
        ms_recording_stats(rec, st);
    ms_recording_free(rec);
    return out;
}

static void assert_text(const char *got, const char *want)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_STRING_EQUAL(got, want);
    if (strcmp(got, want))
        fprintf(stderr, "\n  got:  %s\n  want: %s\n", got, want);
}

static void assert_play(const struct script *s, const char *want)
{
    char *got = play(s, NULL);
    assert_text(got, want);
    free(got);
}

/* A session: welcome, ping/pong, the client closes, the server echoes. */
static void coordinator_session(struct script *s)
{
    puts_(add(s, CLIENT, 0), UPGRADE);
    struct chunk *c = add(s, SERVER, 1000);
    puts_(c, SWITCH);
    text(c, "{\"type\":\"info\",\"message\":\"hi\"}");
    text(add(s, CLIENT, 20000), "{\"type\":\"ping\"}");
    text(add(s, SERVER, 21000), "{\"type\":\"pong\"}");
    frame(add(s, CLIENT, 500000), 0x88, "\x03\xe8", 2);
    frame(add(s, SERVER, 501000), 0x88, "\x03\xe8", 2);
    add(s, SERVER_EOF, 502000);
    add(s, CLIENT_EOF, 502000);
}

static const char COORDINATOR_RESULT[] =
    "{\"connections\":[{\"path\":\"/ws/coordinator\",\"attempts\":1,\"action\":\"accept\","
    "\"welcome\":false,\"on_open\":[{\"send_text\":\"{\\\"type\\\":\\\"info\\\",\\\"message\\\":"
    "\\\"hi\\\"}\"},{\"wait_ms\":20},{\"send_text\":\"{\\\"type\\\":\\\"pong\\\"}\"}],\"replies\":"
    "[{\"regex\":\".*\",\"do\":[]}]}],\"expect\":[{\"name\":\"conn 1 frame 1\",\"client_sends\":{"
    "\"type\":\"ping\"},\"path\":\"/ws/coordinator\",\"within_ms\":269}]}";

static void test_tap_records_an_accepted_session_closed_by_the_client(void)
{
    struct script s = {0};
    coordinator_session(&s);
    struct ms_recording_stats st;
    char *got = play(&s, &st);
    assert_text(got, COORDINATOR_RESULT);
    CU_ASSERT_EQUAL(st.http, 0);
    CU_ASSERT_EQUAL(st.accepted, 1);
    free(got);
    script_free(&s);
}

static void test_tap_same_recording_when_every_chunk_is_split_at_every_byte(void)
{
    struct script s = {0};
    coordinator_session(&s);
    /* and a refusal on a second connection, with a chunked body */
    add(&s, NEW_CONNECTION, 600000);
    puts_(add(&s, CLIENT, 600000), "GET /ws/nope HTTP/1.1\r\nUpgrade: websocket\r\n\r\n");
    puts_(add(&s, SERVER, 601000), "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: "
                                   "chunked\r\n\r\n4\r\ndown\r\n0\r\n\r\n");
    char *whole = play(&s, NULL);
    size_t longest = 0;
    for (size_t i = 0; i < s.n; i++)
        longest = s.c[i].len > longest ? s.c[i].len : longest;
    for (size_t k = 1; k < longest; k++) {
        struct ms_recording *rec = ms_recording_new();
        CU_ASSERT_PTR_NULL(play_into(rec, &s, k));
        char *got = result(rec);
        CU_ASSERT_STRING_EQUAL(got, whole);
        free(got);
        ms_recording_free(rec);
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(whole, "\"status\":503"));
    free(whole);
    script_free(&s);
}

static void test_tap_records_a_server_close_and_a_drop(void)
{
    struct script s = {0};
    puts_(add(&s, CLIENT, 0), UPGRADE);
    puts_(add(&s, SERVER, 0), SWITCH);
    frame(add(&s, SERVER, 7000), 0x88,
          "\x03\xf3"
          "boom",
          6);
    frame(add(&s, CLIENT, 8000), 0x88, "\x03\xf3", 2);
    add(&s, NEW_CONNECTION, 0);
    puts_(add(&s, CLIENT, 10000), UPGRADE);
    struct chunk *c = add(&s, SERVER, 10000);
    puts_(c, SWITCH);
    frame(c, 0x82, "\x01\x02", 2);
    frame(c, 0x89, "hb", 2); /* a ping */
    frame(c, 0x8A, "", 0);   /* a pong: not replayed */
    add(&s, SERVER_EOF, 1210000);
    assert_play(&s,
                "{\"connections\":[{\"path\":\"/ws/coordinator\",\"attempts\":1,\"action\":"
                "\"accept\",\"welcome\":false,\"on_open\":[{\"wait_ms\":7},{\"close\":1011,"
                "\"reason\":\"boom\"}],\"replies\":[{\"regex\":\".*\",\"do\":[]}]},{\"path\":"
                "\"/ws/coordinator\",\"attempts\":2,\"action\":\"accept\",\"welcome\":false,"
                "\"on_open\":[{\"send_binary\":\"AQI=\"},{\"ws_ping\":\"hb\"},{\"wait_ms\":1200},"
                "{\"drop\":true}],\"replies\":[{\"regex\":\".*\",\"do\":[]}]}],\"expect\":[]}");
    script_free(&s);
}

static void test_tap_records_refusals_with_each_body_framing(void)
{
    struct script s = {0};
    puts_(add(&s, CLIENT, 0), "GET /ws/a HTTP/1.1\r\nUpgrade: WebSocket\r\n\r\n");
    puts_(add(&s, SERVER, 0), REFUSED_403);
    add(&s, SERVER_EOF, 0);
    add(&s, NEW_CONNECTION, 0);
    puts_(add(&s, CLIENT, 0), "GET /ws/a HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: h2c, "
                              "websocket\r\n\r\n");
    puts_(add(&s, SERVER, 0), "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n4;x=y\r\ndown\r\n4\r\n now\r\n"
                              "0\r\nX-Trailer: 1\r\n\r\n");
    add(&s, NEW_CONNECTION, 0);
    puts_(add(&s, CLIENT, 0), "GET /ws/b HTTP/1.1\r\nUpgrade: websocket\r\n\r\n");
    puts_(add(&s, SERVER, 0), "HTTP/1.0 400 Bad Request\r\nConnection: close\r\n\r\nb");
    puts_(add(&s, SERVER, 0), "ad");
    add(&s, SERVER_EOF, 0);
    assert_play(&s, "{\"connections\":[{\"path\":\"/ws/a\",\"attempts\":1,\"action\":\"refuse\","
                    "\"status\":403,\"headers\":{\"Content-Type\":\"text/plain\"},\"body\":"
                    "\"\"},{\"path\":\"/ws/a\",\"attempts\":2,\"action\":"
                    "\"refuse\",\"status\":503,\"headers\":{\"Retry-After\":\"5\"},"
                    "\"body\":\"down now\"},{\"path\":\"/ws/b\","
                    "\"attempts\":1,\"action\":\"refuse\",\"status\":400,\"headers\":{},"
                    "\"body\":\"bad\"}],\"expect\":[]}");
    script_free(&s);
}

static void test_tap_counts_pipelined_http_exchanges_then_follows_an_upgrade(void)
{
    struct script s = {0};
    puts_(add(&s, CLIENT, 0),
          "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
          "POST /api/v1/ws/broadcast HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
          "HEAD /ws/stats HTTP/1.1\r\n\r\n"
          "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n");
    puts_(add(&s, SERVER, 0), "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                              "HTTP/1.1 100 Continue\r\n\r\n"
                              "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "3\r\nabc\r\n0\r\n\r\n"
                              "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" /* HEAD: no body */
                              "HTTP/1.1 204 No Content\r\n\r\n");
    puts_(add(&s, CLIENT, 1000), UPGRADE);
    struct chunk *c = add(&s, SERVER, 2000);
    puts_(c, SWITCH);
    text(c, "x");
    struct ms_recording_stats st;
    char *got = play(&s, &st);
    assert_text(got, "{\"connections\":[{\"path\":\"/ws/coordinator\",\"attempts\":1,\"action\":"
                     "\"accept\",\"welcome\":false,\"on_open\":[{\"send_text\":\"x\"}],\"replies\":"
                     "[{\"regex\":\".*\",\"do\":[]}]}],\"expect\":[]}");
    CU_ASSERT_EQUAL(st.http, 4);
    free(got);
    script_free(&s);
}

static void test_tap_holds_client_bytes_sent_before_the_answer(void)
{
    struct script s = {0};
    struct chunk *c = add(&s, CLIENT, 0);
    puts_(c, UPGRADE);
    text(c, "{\"type\":\"early\"}"); /* before the 101 arrived */
    c = add(&s, SERVER, 300000);
    puts_(c, SWITCH);
    add(&s, NEW_CONNECTION, 0);
    c = add(&s, CLIENT, 0);
    puts_(c, "GET /ws/x HTTP/1.1\r\nUpgrade: websocket\r\n\r\nGET /after HTTP/1.1\r\n\r\n");
    c = add(&s, SERVER, 0);
    puts_(c, REFUSED_403);
    puts_(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    struct ms_recording_stats st;
    char *got = play(&s, &st);
    assert_text(got, "{\"connections\":[{\"path\":\"/ws/coordinator\",\"attempts\":1,\"action\":"
                     "\"accept\",\"welcome\":false,\"on_open\":[],\"replies\":[{\"regex\":\".*\","
                     "\"do\":[]}]},{\"path\":\"/ws/x\",\"attempts\":1,\"action\":\"refuse\","
                     "\"status\":403,\"headers\":{\"Content-Type\":\"text/plain\"},\"body\":"
                     "\"\"}],\"expect\":[{\"name\":\"conn 1 frame 1\","
                     "\"client_sends\":{\"type\":\"early\"},\"path\":\"/ws/coordinator\","
                     "\"within_ms\":250}]}");
    CU_ASSERT_EQUAL(st.http, 1);
    free(got);
    script_free(&s);
}

static void test_tap_resets_unanswered_upgrades_the_server_closed(void)
{
    struct script s = {0};
    puts_(add(&s, CLIENT, 0), UPGRADE);
    add(&s, SERVER_EOF, 0); /* the server closed on it: reset */
    add(&s, NEW_CONNECTION, 0);
    puts_(add(&s, CLIENT, 0), UPGRADE);
    add(&s, CLIENT_EOF, 0); /* the client gave up first: hang */
    add(&s, SERVER_EOF, 0);
    add(&s, NEW_CONNECTION, 0);
    puts_(add(&s, CLIENT, 0), UPGRADE); /* still waiting when recording stopped: hang */
    puts_(add(&s, SERVER, 0), "HTTP/1.1 101 Swi");
    struct ms_recording_stats st;
    char *got = play(&s, &st);
    assert_text(got, "{\"connections\":[{\"path\":\"/ws/coordinator\",\"attempts\":1,\"action\":"
                     "\"reset\"},{\"path\":\"/ws/coordinator\",\"attempts\":2,\"action\":\"hang\"},"
                     "{\"path\":\"/ws/coordinator\",\"attempts\":3,\"action\":\"hang\"}],"
                     "\"expect\":[]}");
    CU_ASSERT_EQUAL(st.upgrades, 3);
    CU_ASSERT_EQUAL(st.reset, 1);
    CU_ASSERT_EQUAL(st.unanswered, 2); /* the client gave up; still waiting at the end */
    free(got);
    script_free(&s);
}

static void test_tap_decodes_permessage_deflate_when_negotiated(void)
{
    z_stream z = {0};
    CU_ASSERT_EQUAL_FATAL(
        deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    const char *msg = "{\"type\":\"heartbeat\",\"timestamp\":\"2026-11-25T19:49:16.468428\"}";
    unsigned char out[256];
    z.next_in = (unsigned char *)msg;
    z.avail_in = (uInt)strlen(msg);
    z.next_out = out;
    z.avail_out = sizeof out;
    CU_ASSERT_EQUAL(deflate(&z, Z_SYNC_FLUSH), Z_OK);
    size_t n = sizeof out - z.avail_out - 4;
    deflateEnd(&z);
    struct script s = {0};
    puts_(add(&s, CLIENT, 0), UPGRADE);
    struct chunk *c = add(&s, SERVER, 0);
    puts_(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n\r\n");
    frame(c, 0xC1, out, n);
    char *got = play(&s, NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(got, "2026-11-25T19:49:16.468428"));
    free(got);
    script_free(&s);
}

static void test_tap_stops_following_what_it_cannot_parse(void)
{
    struct script s = {0};
    puts_(add(&s, CLIENT, 0), UPGRADE);
    puts_(add(&s, SERVER, 0), "SSH-2.0-OpenSSH\r\n\r\n");
    struct ms_recording *rec = ms_recording_new();
    CU_ASSERT_STRING_EQUAL(play_into(rec, &s, 0), "a malformed status line");
    ms_recording_free(rec);
    script_free(&s);

    puts_(add(&s, CLIENT, 0), UPGRADE);
    struct chunk *c = add(&s, SERVER, 0);
    puts_(c, SWITCH);
    text(c, "kept");
    frame(c, 0x83, "x", 1); /* reserved opcode */
    text(c, "not seen");
    rec = ms_recording_new();
    CU_ASSERT_STRING_EQUAL(play_into(rec, &s, 0), "a WebSocket protocol error from the server");
    char *got = result(rec);
    CU_ASSERT_PTR_NOT_NULL(strstr(got, "kept"));
    CU_ASSERT_PTR_NULL(strstr(got, "not seen"));
    free(got);
    ms_recording_free(rec);
    script_free(&s);

    c = add(&s, CLIENT, 0);
    puts_(c, "GET / HTTP/1.1\r\nX: ");
    char *big = malloc(70000);
    memset(big, 'a', 70000);
    put(c, big, 70000);
    free(big);
    rec = ms_recording_new();
    CU_ASSERT_STRING_EQUAL(play_into(rec, &s, 0), "a request head over 64 KiB");
    ms_recording_free(rec);
    script_free(&s);

    puts_(add(&s, SERVER, 0), "HTTP/1.1 200 OK\r\n\r\n");
    rec = ms_recording_new();
    CU_ASSERT_STRING_EQUAL(play_into(rec, &s, 0), "a response nobody asked for");
    ms_recording_free(rec);
    script_free(&s);
}

static void test_tap_takes_the_path_of_any_request_target(void)
{
    struct script s = {0};
    puts_(add(&s, CLIENT, 0), "GET http://127.0.0.1:3001/ws/workflow/wf-1?x=1 HTTP/1.1\r\n"
                              "Upgrade: websocket\r\n\r\n");
    puts_(add(&s, SERVER, 0), REFUSED_403);
    puts_(add(&s, CLIENT, 0), "GET http://h HTTP/1.1\r\nUpgrade: websocket\r\n\r\n");
    puts_(add(&s, SERVER, 0), REFUSED_403);
    puts_(add(&s, CLIENT, 0), "GET /ws/agent/a%20b#frag HTTP/1.1\r\nUpgrade: websocket\r\n\r\n");
    puts_(add(&s, SERVER, 0), REFUSED_403);
    char *got = play(&s, NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(got, "\"path\":\"/ws/workflow/wf-1\",\"attempts\":1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(got, "\"path\":\"/\",\"attempts\":1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(got, "\"path\":\"/ws/agent/a%20b\",\"attempts\":1"));
    (void)REPLIES;
    free(got);
    script_free(&s);
}

static CU_TestInfo tests[] = {
    MS_TEST(test_tap_records_an_accepted_session_closed_by_the_client),
    MS_TEST(test_tap_same_recording_when_every_chunk_is_split_at_every_byte),
    MS_TEST(test_tap_records_a_server_close_and_a_drop),
    MS_TEST(test_tap_records_refusals_with_each_body_framing),
    MS_TEST(test_tap_counts_pipelined_http_exchanges_then_follows_an_upgrade),
    MS_TEST(test_tap_holds_client_bytes_sent_before_the_answer),
    MS_TEST(test_tap_resets_unanswered_upgrades_the_server_closed),
    MS_TEST(test_tap_decodes_permessage_deflate_when_negotiated),
    MS_TEST(test_tap_stops_following_what_it_cannot_parse),
    MS_TEST(test_tap_takes_the_path_of_any_request_target),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"ms_tap", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};
