/* test_wh_backoff -- wsharness backoff on synthetic journals (each detection, the original app,
 * resets, scaled runs, bad input, --json, --svg) and against a running wsmock (--mock). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "ms_ids.h"
#include "ms_test.h"
#include "ms_time.h"
#include "wh_backoff.h"
#include "wh_spawn.h"

#define DEADLINE_MS 5000
#define ORIGINAL_POLICY "initial=1000,factor=2,cap=30000,max=5,jitter=0.2"

/* ---- a journal written by the test ---- */

/* JSON lines being built; seq counts up like wsmock's. */
struct jl {
    char *buf;
    size_t len;
    FILE *f;
    int seq;
    char file[64];
};

static void jl_begin(struct jl *j)
{
    memset(j, 0, sizeof(*j));
    j->f = open_memstream(&j->buf, &j->len);
}

static void jl_line(struct jl *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jl_line(struct jl *j, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(j->f, fmt, ap);
    va_end(ap);
    fputc('\n', j->f);
}

/* An upgrade on path at t: outcome "refused" (403), "accepted" (101), "reset", "hang". */
static void jl_upgrade(struct jl *j, double t, int conn, const char *path, const char *outcome)
{
    int status = !strcmp(outcome, "refused") ? 403 : !strcmp(outcome, "accepted") ? 101 : 0;
    jl_line(j,
            "{\"seq\":%d,\"t_ms\":%.0f,\"type\":\"upgrade\",\"conn\":%d,\"path\":\"%s\",\"query\":"
            "\"\",\"origin\":null,\"remote\":\"127.0.0.1\",\"attempt\":%d,\"outcome\":\"%s\","
            "\"status\":%d}",
            ++j->seq, t, conn, path, conn, outcome, status);
}

static void jl_open(struct jl *j, double t, int conn, const char *path)
{
    jl_line(j,
            "{\"seq\":%d,\"t_ms\":%.0f,\"type\":\"open\",\"conn\":%d,\"path\":\"%s\","
            "\"client_id\":\"coordinator_0000000%d\",\"room\":null,\"displaced\":null}",
            ++j->seq, t, conn, path, conn % 10);
}

static void jl_close(struct jl *j, double t, int conn, const char *path, int code, const char *by)
{
    jl_line(j,
            "{\"seq\":%d,\"t_ms\":%.0f,\"type\":\"close\",\"conn\":%d,\"path\":\"%s\",\"code\":%d,"
            "\"reason\":\"\",\"by\":\"%s\",\"clean\":%s}",
            ++j->seq, t, conn, path, code, by, code == 1006 ? "false" : "true");
}

/* A connection on path at t that stayed open for `open_ms` and was closed by `by` with code. */
static void jl_conn(struct jl *j, double t, int conn, const char *path, double open_ms, int code,
                    const char *by)
{
    jl_upgrade(j, t, conn, path, "accepted");
    jl_open(j, t + 1, conn, path);
    jl_close(j, t + 1 + open_ms, conn, path, code, by);
}

/* Refused attempts on path: the first at t0, then after each gap; returns the last time. */
static double jl_refusals(struct jl *j, double t0, int *conn, const char *path, const double *gaps,
                          size_t n)
{
    double t = t0;
    jl_upgrade(j, t, ++*conn, path, "refused");
    for (size_t i = 0; i < n; i++) {
        t += gaps[i];
        jl_upgrade(j, t, ++*conn, path, "refused");
    }
    return t;
}

/* Writes the journal to a temporary file (j->file) and frees the buffer. */
static const char *jl_end(struct jl *j)
{
    fclose(j->f);
    snprintf(j->file, sizeof(j->file), "/tmp/wh-backoff-XXXXXX.jsonl");
    int fd = mkstemps(j->file, 6);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(write(fd, j->buf, j->len) == (ssize_t)j->len);
    close(fd);
    free(j->buf);
    j->buf = NULL;
    return j->file;
}

/* ---- running the command ---- */

struct run {
    int rc;
    char *out, *err;
};

static struct run last;

static void run_free(void)
{
    free(last.out);
    free(last.err);
    memset(&last, 0, sizeof(last));
}

/* Runs `wsharness backoff ARGS... NULL` in-process; output in last.out / last.err. */
static int run_args(const char *first, ...)
{
    run_free();
    char *argv[32] = {"backoff"};
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    size_t ol, el;
    FILE *out = open_memstream(&last.out, &ol), *err = open_memstream(&last.err, &el);
    last.rc = wh_backoff_cmd(argc, argv, out, err);
    fclose(out);
    fclose(err);
    return last.rc;
}

/* Runs backoff on a journal file for path with policy (and up to two more arguments). */
static int run_file(const char *file, const char *path, const char *policy, const char *x1,
                    const char *x2)
{
    return run_args("--journal", file, "--path", path, "--policy", policy, x1, x2, NULL);
}

/* Asserts the output has `want` (and prints the output when it does not). */
#define HAS(want) has(__LINE__, last.out, want)
#define ERR_HAS(want) has(__LINE__, last.err, want)
static int has(int line, const char *text, const char *want)
{
    int ok = text && strstr(text, want);
    if (!ok)
        fprintf(stderr, "\n  line %d: missing \"%s\" in:\n%s\n", line, want, text ? text : "");
    CU_ASSERT(ok);
    return ok;
}

#define LACKS(text) lacks(__LINE__, last.out, text)
static void lacks(int line, const char *text, const char *unwanted)
{
    int ok = !text || !strstr(text, unwanted);
    if (!ok)
        fprintf(stderr, "\n  line %d: unexpected \"%s\" in:\n%s\n", line, unwanted, text);
    CU_ASSERT(ok);
}

/* The table row of attempt n ("   7 ...") or NULL. */
static const char *row(int n)
{
    char key[16];
    snprintf(key, sizeof(key), "\n%4d ", n);
    const char *r = last.out ? strstr(last.out, key) : NULL;
    return r ? r + 1 : NULL;
}

/* Asserts that attempt n's row contains want. */
#define ROW_HAS(n, want) row_has(__LINE__, n, want)
static void row_has(int line, int n, const char *want)
{
    const char *r = row(n);
    const char *nl = r ? strchr(r, '\n') : NULL;
    int ok = r && nl && memmem(r, (size_t)(nl - r), want, strlen(want));
    if (!ok)
        fprintf(stderr, "\n  line %d: row %d lacks \"%s\" in:\n%s\n", line, n, want,
                last.out ? last.out : "");
    CU_ASSERT(ok);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* A whole file as a string (caller frees). */
static char *slurp(const char *file)
{
    FILE *in = fopen(file, "r");
    CU_ASSERT_FATAL(in != NULL);
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, in);
    buf[n] = '\0';
    fclose(in);
    return buf;
}

/* ---- verdicts ---- */

static void test_correct_jittered_exponential_sequence_follows(void)
{
    struct ms_policy p;
    char e[128];
    CU_ASSERT_FATAL(ms_policy_parse(ORIGINAL_POLICY, &p, e, sizeof(e)) == 0);
    struct ms_rng rng;
    ms_rng_seed(&rng, 11);
    struct jl j;
    jl_begin(&j);
    double t = 0;
    for (int r = 0; r <= 5; r++) {
        if (r)
            t += ms_policy_next_delay(&p, r, &rng) + 4; /* + the handshake */
        jl_upgrade(&j, t, r + 1, "/ws/coordinator", "refused");
    }
    const char *f = jl_end(&j);
    CU_ASSERT_EQUAL(run_file(f, "/ws/coordinator", ORIGINAL_POLICY, NULL, NULL), 0);
    HAS("6 attempts on /ws/coordinator");
    HAS("verdict: FOLLOWS the policy (6 attempts, 5 gaps)");
    ROW_HAS(2, "ok");
    ROW_HAS(6, "5  11175..20825 ");
    ROW_HAS(6, " ok");
    LACKS("BAD");
    LACKS("findings");
    unlink(f);
}

static void test_flags_the_original_app_with_the_reason(void)
{
    const double g[] = {1004, 1002, 1003, 1001, 1004, 1002, 1003, 1001, 1002};
    struct jl j;
    int conn = 0;
    jl_begin(&j);
    jl_refusals(&j, 500, &conn, "/ws/coordinator", g, 9);
    const char *f = jl_end(&j);
    CU_ASSERT_EQUAL(run_file(f, "/ws/coordinator", ORIGINAL_POLICY, NULL, NULL), 1);
    ROW_HAS(2, "1004      1  675..1325       ok");
    ROW_HAS(3, "BAD early (1002 < 1375)");
    ROW_HAS(7, "BAD early (1002 < 20975); too many: retry 6 > max 5");
    HAS("  - too many attempts: 9 retries in a row (the policy allows 5)\n");
    HAS("  - constant delay: every gap is about 1004 ms (expected growth x2)\n");
    HAS("the original app's useWebSocket hook (PROTOCOL.md 4.3)");
    HAS("verdict: VIOLATES the policy (too many attempts, constant delay)\n");
    unlink(f);
}

static void test_original_app_against_an_unlimited_policy_is_a_constant_delay(void)
{
    const double g[] = {1000, 1001, 999, 1000, 1002, 1000, 1000};
    struct jl j;
    int conn = 0;
    jl_begin(&j);
    jl_refusals(&j, 0, &conn, "/ws/coordinator", g, 7);
    const char *f = jl_end(&j);
    CU_ASSERT_EQUAL(run_file(f, "/ws/coordinator", "max=none,jitter=0.2", NULL, NULL), 1);
    HAS("verdict: VIOLATES the policy (constant delay)\n");
    HAS("original app's useWebSocket hook");
    unlink(f);
}

static void test_constant_delay_other_than_1000_ms_is_not_called_the_original_app(void)
{
    const double g[] = {3000, 3000, 3000, 3000};
    struct jl j;
    int conn = 0;
    jl_begin(&j);
    jl_refusals(&j, 0, &conn, "/ws/x", g, 4);
    const char *f = jl_end(&j);
    CU_ASSERT_EQUAL(run_file(f, "/ws/x", "max=none", NULL, NULL), 1);
    HAS("constant delay: every gap is about 3000 ms (expected growth x2)");
    LACKS("original app");
    unlink(f);
}

static void test_no_growth(void)
{
    const double g[] = {1400, 600, 1300, 900, 1200};
    struct jl j;
    int conn = 0;
    jl_begin(&j);
    jl_refusals(&j, 0, &conn, "/ws/x", g, 5);
    const char *f = jl_end(&j);
    CU_ASSERT_EQUAL(run_file(f, "/ws/x", "max=none,jitter=0.5", NULL, NULL), 1);
    HAS("  - no growth: the gaps stay about 1080 ms over retries 1 to 5 (the policy grows them "
        "from 1000 to 16000 ms)\n");
    HAS("verdict: VIOLATES the policy (no growth)\n");
    unlink(f);
}

static void test_no_cap(void)
{
    const double g[] = {1000, 2000, 4000, 8000, 16000, 32000, 64000};
    struct jl j;
    int conn = 0;
    jl_begin(&j);
    jl_refusals(&j, 0, &conn, "/ws/x", g, 7);
    const char *f = jl_end(&j);
    CU_ASSERT_EQUAL(run_file(f, "/ws/x", "cap=10000,max=none", NULL, NULL), 1);
    ROW_HAS(4, "ok");
    ROW_HAS(6, "BAD late (16000 > 11025), over the cap");
    HAS("  - no cap: 3 gaps longer than the cap of 10000 ms\n");
    HAS("verdict: VIOLATES the policy (no cap)\n");
    unlink(f);
}

static void test_too_many_attempts(void)
{
    const double g[] = {1000, 2000, 4000, 4000, 4000, 4000, 4000};
    struct jl j;
    int conn = 0;
    jl_begin(&j);
    jl_refusals(&j, 0, &conn, "/ws/x", g, 7);
    const char *f = jl_end(&j);
    CU_ASSERT_EQUAL(run_file(f, "/ws/x", "cap=4000,max=5", NULL, NULL), 1);
    ROW_HAS(6, "ok");
    ROW_HAS(7, "BAD too many: retry 6 > max 5");
    HAS("verdict: VIOLATES the policy (too many attempts)\n");
    unlink(f);
}

static void test_retry_storm(void)
{
    const double g[] = {2, 1, 3, 1, 2};
    struct jl j;
    int conn = 0;
    jl_begin(&j);
    jl_refusals(&j, 0, &conn, "/ws/x", g, 5);
    const char *f = jl_end(&j);
    CU_ASSERT_EQUAL(run_file(f, "/ws/x", ORIGINAL_POLICY, NULL, NULL), 1);
    ROW_HAS(3, "BAD retry storm (no delay)");
    HAS("  - retry storm: 5 of 5 gaps under 10 ms (no delay)\n");
    HAS("verdict: VIOLATES the policy (retry storm)\n");
    unlink(f);
}

static void test_reset_after_a_stable_connection_follows(void)
{
    struct jl j;
    jl_begin(&j);
    jl_upgrade(&j, 0, 1, "/ws/x", "refused");
    jl_upgrade(&j, 1000, 2, "/ws/x", "refused");
    jl_conn(&j, 3000, 3, "/ws/x", 6000, 1012, "server"); /* open 3001..9001 */
    jl_upgrade(&j, 10001, 4, "/ws/x", "refused");        /* 1000 after the close: retry 1 */
    jl_upgrade(&j, 12001, 5, "/ws/x", "refused");
    const char *f = jl_end(&j);
    CU_ASSERT_EQUAL(run_file(f, "/ws/x", "max=5,reset=5000", NULL, NULL), 0);
    ROW_HAS(3, "open 6000 ms, server 1012");
    ROW_HAS(4, "1000      1  875..1125 ");
    ROW_HAS(5, "2000      2  1775..2225 ");
    HAS("verdict: FOLLOWS the policy (5 attempts, 4 gaps)");
    unlink(f);
}

static void test_no_reset_after_a_stable_connection(void)
{
    struct jl j;
    jl_begin(&j);
    jl_upgrade(&j, 0, 1, "/ws/x", "refused");
    jl_upgrade(&j, 1000, 2, "/ws/x", "refused");
    jl_conn(&j, 3000, 3, "/ws/x", 12000, 1006, "server"); /* closed at 15001 */
    jl_upgrade(&j, 19001, 4, "/ws/x", "refused");         /* kept counting: retry 3's 4000 */
    const char *f = jl_end(&j);
    CU_ASSERT_EQUAL(run_file(f, "/ws/x", "max=none,reset=5000", NULL, NULL), 1);
    ROW_HAS(4, "BAD late (4000 > 1125); no reset after 12000 ms open");
    HAS("  - no reset after a stable connection: attempt 4 came 4000 ms after a connection that "
        "stayed open 12000 ms (the count restarts there: expected 875 to 1125 ms)\n");
    unlink(f);
}

static void test_reset_too_early_after_a_short_connection(void)
{
    struct jl j;
    jl_begin(&j);
    jl_upgrade(&j, 0, 1, "/ws/x", "refused");
    jl_upgrade(&j, 1000, 2, "/ws/x", "refused");
    jl_conn(&j, 3000, 3, "/ws/x", 100, 1006, "server"); /* a flapping server: 100 ms */
    jl_upgrade(&j, 4101, 4, "/ws/x", "refused");        /* restarted at 1000 */
    const char *f = jl_end(&j);
    CU_ASSERT_EQUAL(run_file(f, "/ws/x", "max=none,reset=5000", NULL, NULL), 1);
    ROW_HAS(4, "BAD early (1000 < 3575); reset too early (open 100 < 5000 ms)");
    HAS("verdict: VIOLATES the policy (reset too early)\n");
    unlink(f);
}

static void test_reconnect_after_an_intentional_close(void)
{
    /* the corrected client closes with 1000 and stays away; the original app's disconnect()
     * (close() without a code: 1005) comes back 1 s later */
    struct jl j;
    jl_begin(&j);
    jl_conn(&j, 0, 1, "/ws/coordinator", 5000, 1005, "client"); /* closed at 5001 */
    jl_upgrade(&j, 6001, 2, "/ws/coordinator", "accepted");
    jl_open(&j, 6002, 2, "/ws/coordinator");
    const char *f = jl_end(&j);
    CU_ASSERT_EQUAL(run_file(f, "/ws/coordinator", ORIGINAL_POLICY, NULL, NULL), 1);
    ROW_HAS(1, "open 5000 ms, client 1005");
    ROW_HAS(2, "open (still)");
    ROW_HAS(2, "none            BAD after the client closed #1 with 1005");
    HAS("  - reconnected after an intentional close: attempt 2 came 1000 ms after the client "
        "closed attempt 1 with 1005\n");
    /* drawn without a window: there should have been no attempt at all */
    char svg[] = "/tmp/wh-backoff-XXXXXX.svg";
    close(mkstemps(svg, 4));
    CU_ASSERT_EQUAL(run_file(f, "/ws/coordinator", ORIGINAL_POLICY, "--svg", svg), 1);
    char *text = slurp(svg);
    CU_ASSERT_EQUAL(count(text, "<rect class=\"window\""), 0);
    CU_ASSERT_EQUAL(count(text, "<rect class=\"open\""), 2);
    CU_ASSERT_EQUAL(count(text, "class=\"attempt bad\""), 1);
    free(text);
    unlink(svg);
    unlink(f);
}

static void test_concurrent_ghost_connection(void)
{
    /* React StrictMode: socket B is open when A's stale onclose opens ghost C */
    struct jl j;
    jl_begin(&j);
    jl_upgrade(&j, 0, 1, "/ws/coordinator", "accepted");
    jl_open(&j, 1, 1, "/ws/coordinator");
    jl_close(&j, 2, 1, "/ws/coordinator", 1006, "client");
    jl_upgrade(&j, 3, 2, "/ws/coordinator", "accepted");
    jl_open(&j, 4, 2, "/ws/coordinator");
    jl_upgrade(&j, 1003, 3, "/ws/coordinator", "accepted");
    jl_open(&j, 1004, 3, "/ws/coordinator");
    const char *f = jl_end(&j);
    CU_ASSERT_EQUAL(run_file(f, "/ws/coordinator", ORIGINAL_POLICY, NULL, NULL), 1);
    ROW_HAS(3, "BAD while #2 was still open");
    HAS("  - concurrent connections: attempt 3 started while attempt 2 was still open\n");
    unlink(f);
}

static void test_scaled_run(void)
{
    const double g[] = {10, 20, 40, 80, 160};
    struct jl j;
    int conn = 0;
    jl_begin(&j);
    jl_refusals(&j, 0, &conn, "/ws/x", g, 5);
    const char *f = jl_end(&j);
    CU_ASSERT_EQUAL(run_file(f, "/ws/x", ORIGINAL_POLICY, "--scale", "0.01"), 0);
    HAS("(ms, x0.01)");
    ROW_HAS(6, "160      5  87..233 ");
    /* the same run read as if the client had run at full scale */
    CU_ASSERT_EQUAL(run_file(f, "/ws/x", ORIGINAL_POLICY, NULL, NULL), 1);
    ROW_HAS(2, "BAD early (10 < 675)");
    unlink(f);
}

static void test_scaled_original_app(void)
{
    const double g[] = {10, 10, 11, 10, 10, 10, 10};
    struct jl j;
    int conn = 0;
    jl_begin(&j);
    jl_refusals(&j, 0, &conn, "/ws/x", g, 7);
    const char *f = jl_end(&j);
    CU_ASSERT_EQUAL(run_file(f, "/ws/x", ORIGINAL_POLICY, "--scale=0.01", NULL), 1);
    HAS("too many attempts: 7 retries in a row (the policy allows 5)");
    HAS("constant delay: every gap is about 10 ms");
    HAS("original app's useWebSocket hook");
    unlink(f);
}

static void test_prefix_path_takes_every_matching_path_and_nothing_else(void)
{
    struct jl j;
    jl_begin(&j);
    jl_upgrade(&j, 0, 1, "/ws/workflow/pending", "refused");
    jl_upgrade(&j, 500, 2, "/ws/agent/a", "refused");
    jl_upgrade(&j, 1000, 3, "/ws/workflow/e1", "refused");
    jl_upgrade(&j, 3000, 4, "/ws/workflow/e1", "refused");
    const char *f = jl_end(&j);
    CU_ASSERT_EQUAL(run_file(f, "/ws/workflow/*", ORIGINAL_POLICY, NULL, NULL), 0);
    HAS("3 attempts on /ws/workflow/*");
    CU_ASSERT_EQUAL(run_file(f, "/ws/workflow/e1", ORIGINAL_POLICY, NULL, NULL), 1);
    HAS("2 attempts on /ws/workflow/e1");
    ROW_HAS(2, "BAD late (2000 > 1325)");
    unlink(f);
}

static void test_since_skips_earlier_events(void)
{
    const double g[] = {1, 1, 1};
    struct jl j;
    int conn = 0;
    jl_begin(&j);
    jl_refusals(&j, 0, &conn, "/ws/x", g, 3); /* a storm: seq 1..4 */
    jl_upgrade(&j, 5000, ++conn, "/ws/x", "refused");
    jl_upgrade(&j, 6000, ++conn, "/ws/x", "refused");
    jl_upgrade(&j, 8000, ++conn, "/ws/x", "refused");
    const char *f = jl_end(&j);
    CU_ASSERT_EQUAL(run_file(f, "/ws/x", ORIGINAL_POLICY, NULL, NULL), 1);
    CU_ASSERT_EQUAL(run_file(f, "/ws/x", ORIGINAL_POLICY, "--since", "4"), 0);
    HAS("3 attempts on /ws/x");
    unlink(f);
}

static void test_reads_the_events_after_the_last_reset(void)
{
    const double g[] = {1, 1, 1};
    struct jl j;
    int conn = 0;
    jl_begin(&j);
    jl_refusals(&j, 0, &conn, "/ws/x", g, 3);
    jl_line(&j, "{\"type\":\"reset\"}");
    j.seq = 0;
    conn = 0;
    const double ok[] = {1000, 2000};
    jl_refusals(&j, 10, &conn, "/ws/x", ok, 2);
    const char *f = jl_end(&j);
    CU_ASSERT_EQUAL(run_file(f, "/ws/x", ORIGINAL_POLICY, NULL, NULL), 0);
    HAS("note: the journal file was reset 1 time; only the events after the last reset are read");
    HAS("3 attempts on /ws/x");
    unlink(f);
}

static void test_one_attempt_is_not_judged(void)
{
    struct jl j;
    jl_begin(&j);
    jl_conn(&j, 0, 1, "/ws/x", 100, 1000, "client");
    const char *f = jl_end(&j);
    CU_ASSERT_EQUAL(run_file(f, "/ws/x", ORIGINAL_POLICY, NULL, NULL), 1);
    HAS("verdict: NOT JUDGED: 1 attempt on /ws/x (at least 2 are needed)\n");
    unlink(f);
}

static void test_no_attempts_names_the_paths_that_have_some(void)
{
    struct jl j;
    jl_begin(&j);
    jl_upgrade(&j, 0, 1, "/ws/agent/a", "refused");
    jl_upgrade(&j, 10, 2, "/ws/coordinator", "refused");
    jl_line(&j, "{\"seq\":3,\"t_ms\":20,\"type\":\"http\",\"method\":\"GET\",\"path\":\"/health\","
                "\"status\":200}");
    const char *f = jl_end(&j);
    CU_ASSERT_EQUAL(run_file(f, "/ws/workflow/*", ORIGINAL_POLICY, NULL, NULL), 1);
    HAS("note: the journal has upgrade attempts on /ws/agent/a, /ws/coordinator\n");
    HAS("verdict: NOT JUDGED: no upgrade attempts on /ws/workflow/* (at least 2 are needed)\n");
    unlink(f);
}

static void test_refusal_after_a_handshake_delay_ends_when_answered(void)
{
    struct jl j;
    jl_begin(&j);
    jl_line(&j, "{\"seq\":1,\"t_ms\":0,\"type\":\"upgrade\",\"conn\":1,\"path\":\"/ws/x\","
                "\"outcome\":\"refused\",\"status\":403,\"delay_ms\":3000}");
    j.seq = 1;
    jl_upgrade(&j, 4000, 2, "/ws/x", "refused"); /* 1000 after the answer at 3000 */
    const char *f = jl_end(&j);
    CU_ASSERT_EQUAL(run_file(f, "/ws/x", ORIGINAL_POLICY, NULL, NULL), 0);
    ROW_HAS(2, "1000      1");
    unlink(f);
}

static void test_json_report(void)
{
    const double g[] = {1000, 1000, 1000};
    struct jl j;
    int conn = 0;
    jl_begin(&j);
    jl_refusals(&j, 0, &conn, "/ws/coordinator", g, 3);
    const char *f = jl_end(&j);
    CU_ASSERT_EQUAL(run_file(f, "/ws/coordinator", "max=none", "--json", NULL), 1);
    cJSON *o = cJSON_Parse(last.out);
    CU_ASSERT_FATAL(o != NULL);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(o, "verdict")->valuestring, "violates");
    CU_ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(o, "original_app")));
    CU_ASSERT(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "policy"), "max")));
    cJSON *at = cJSON_GetObjectItem(o, "attempts");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(at), 4);
    cJSON *a3 = cJSON_GetArrayItem(at, 2);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(a3, "retry")->valueint, 2);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(a3, "status")->valueint, 403);
    CU_ASSERT(cJSON_IsFalse(cJSON_GetObjectItem(a3, "ok")));
    CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(cJSON_GetObjectItem(a3, "why"), 0)->valuestring,
                           "early");
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(cJSON_GetArrayItem(at, 0), "gap_ms"));
    cJSON *f0 = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "findings"), 0);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(f0, "kind")->valuestring, "constant");
    cJSON_Delete(o);
    unlink(f);
}

/* ---- --svg ---- */

static void test_svg_draws_windows_marks_axis_and_legend(void)
{
    struct jl j;
    jl_begin(&j);
    jl_upgrade(&j, 0, 1, "/ws/x", "refused");
    jl_upgrade(&j, 1000, 2, "/ws/x", "refused");
    jl_conn(&j, 3000, 3, "/ws/x", 2000, 1006, "server");
    jl_upgrade(&j, 5200, 4, "/ws/x", "refused"); /* 199 ms after the close: early */
    const char *f = jl_end(&j);
    char svg[] = "/tmp/wh-backoff-XXXXXX.svg";
    close(mkstemps(svg, 4));
    CU_ASSERT_EQUAL(run_file(f, "/ws/x", ORIGINAL_POLICY, "--svg", svg), 1);
    char *buf = slurp(svg);
    CU_ASSERT(strstr(buf, "<svg xmlns=\"http://www.w3.org/2000/svg\"") != NULL);
    CU_ASSERT(strstr(buf, "</svg>\n") != NULL);
    CU_ASSERT_EQUAL(count(buf, "<rect class=\"window\""), 3);
    /* one lane per gap: 80 px / 3 */
    CU_ASSERT_EQUAL(count(buf, "y=\"62.0\" width="), 1);
    CU_ASSERT_EQUAL(count(buf, "y=\"88.7\" width="), 1);
    CU_ASSERT_EQUAL(count(buf, "y=\"115.3\" width="), 1);
    CU_ASSERT_EQUAL(count(buf, "<rect class=\"open\""), 1);
    CU_ASSERT_EQUAL(count(buf, "class=\"attempt neutral\""), 1);
    CU_ASSERT_EQUAL(count(buf, "class=\"attempt ok\""), 2);
    CU_ASSERT_EQUAL(count(buf, "class=\"attempt bad\""), 1);
    CU_ASSERT(strstr(buf, "<title>attempt 4 at 5200 ms: BAD early (199 &lt; 675)</title>") != NULL);
    CU_ASSERT(strstr(buf, "<title>retry 1: expected 675..1325 ms</title>") != NULL);
    CU_ASSERT(strstr(buf, "class=\"axis\"") != NULL);
    CU_ASSERT(strstr(buf, "time since the first attempt (ms)") != NULL);
    CU_ASSERT(strstr(buf, ">5000</text>") != NULL); /* a tick */
    CU_ASSERT(strstr(buf, "class=\"legend\"") != NULL);
    CU_ASSERT(strstr(buf, ">expected window</text>") != NULL);
    CU_ASSERT(strstr(buf, ">attempt violating the policy</text>") != NULL);
    CU_ASSERT(strstr(buf, "VIOLATES the policy (gap outside its window)") != NULL);
    free(buf);
    unlink(svg);
    unlink(f);
}

static void test_svg_that_cannot_be_written_is_bad_input(void)
{
    const double g[] = {1000};
    struct jl j;
    int conn = 0;
    jl_begin(&j);
    jl_refusals(&j, 0, &conn, "/ws/x", g, 1);
    const char *f = jl_end(&j);
    CU_ASSERT_EQUAL(run_file(f, "/ws/x", ORIGINAL_POLICY, "--svg", "/nonexistent/dir/x.svg"), 2);
    ERR_HAS("wsharness backoff: cannot write /nonexistent/dir/x.svg: No such file or directory\n");
    unlink(f);
}

/* ---- bad input and usage ---- */

static void test_bad_policy_is_one_line_exit_2(void)
{
    CU_ASSERT_EQUAL(run_file("/dev/null", "/ws/x", "initial=1000,factor=0.5", NULL, NULL), 2);
    CU_ASSERT_STRING_EQUAL(last.err,
                           "wsharness backoff: bad --policy \"initial=1000,factor=0.5\": bad "
                           "value in policy item \"factor=0.5\" (initial, cap > 0; factor >= 1; "
                           "max a whole number >= 1 or none; jitter 0..1; reset >= 0)\n");
    CU_ASSERT_STRING_EQUAL(last.out, "");
    CU_ASSERT_EQUAL(run_file("/dev/null", "/ws/x", "delay=5", NULL, NULL), 2);
    ERR_HAS("unknown policy item \"delay\"");
}

static void test_unreadable_journal_names_the_file(void)
{
    CU_ASSERT_EQUAL(run_file("/nonexistent/journal.jsonl", "/ws/x", "", NULL, NULL), 2);
    CU_ASSERT_STRING_EQUAL(
        last.err, "wsharness backoff: /nonexistent/journal.jsonl: No such file or directory\n");
    CU_ASSERT_EQUAL(run_file("/tmp", "/ws/x", "", NULL, NULL), 2);
    CU_ASSERT_STRING_EQUAL(last.err, "wsharness backoff: /tmp: Is a directory\n");
}

static void test_journal_line_that_is_not_json_names_file_and_line(void)
{
    struct jl j;
    jl_begin(&j);
    jl_upgrade(&j, 0, 1, "/ws/x", "refused");
    jl_line(&j, "%s", "");
    jl_line(&j, "{\"seq\":2,\"t_ms\":1000,\"type\":\"upgrade\",");
    const char *f = jl_end(&j);
    CU_ASSERT_EQUAL(run_file(f, "/ws/x", "", NULL, NULL), 2);
    char want[128];
    snprintf(want, sizeof(want), "wsharness backoff: %s:3: not JSON", f);
    ERR_HAS(want);
    unlink(f);
}

static void test_event_without_its_members_names_file_and_line(void)
{
    struct jl j;
    jl_begin(&j);
    jl_upgrade(&j, 0, 1, "/ws/x", "refused");
    jl_line(&j, "{\"seq\":2,\"type\":\"upgrade\",\"conn\":2,\"path\":\"/ws/x\"}");
    const char *f = jl_end(&j);
    CU_ASSERT_EQUAL(run_file(f, "/ws/x", "", NULL, NULL), 2);
    char want[160];
    snprintf(want, sizeof(want),
             "wsharness backoff: %s:2: a connection event without a numeric seq and t_ms\n", f);
    CU_ASSERT_STRING_EQUAL(last.err, want);
    unlink(f);
}

static void test_usage_errors_exit_2(void)
{
    CU_ASSERT_EQUAL(run_args("--journal", "/dev/null", "--policy", "", NULL), 2);
    ERR_HAS("wsharness backoff: --path is required\n");
    CU_ASSERT_EQUAL(run_args("--path", "/ws/x", "--policy", "", NULL), 2);
    ERR_HAS("wsharness backoff: --journal FILE or --mock URL is required\n");
    CU_ASSERT_EQUAL(run_args("--journal", "/dev/null", "--path", "/ws/x", NULL), 2);
    ERR_HAS("wsharness backoff: --policy is required\n");
    CU_ASSERT_EQUAL(run_args("--journal", "/dev/null", "--mock", "http://127.0.0.1:1", "--path",
                             "/ws/x", "--policy", "", NULL),
                    2);
    ERR_HAS("give --journal or --mock, not both");
    CU_ASSERT_EQUAL(
        run_args("--journal", "/dev/null", "--path", "/ws/x", "--policy", "", "--frobnicate", NULL),
        2);
    ERR_HAS("wsharness backoff: unknown option '--frobnicate'\n");
    CU_ASSERT_EQUAL(
        run_args("--journal", "/dev/null", "--path", "/ws/x", "--policy", "", "--scale", "0", NULL),
        2);
    ERR_HAS("--scale wants a number > 0, not '0'");
    CU_ASSERT_EQUAL(run_args("--journal", "/dev/null", "--path", "/ws/x", "--policy", "", "--since",
                             "-1", NULL),
                    2);
    ERR_HAS("--since wants a journal seq");
    CU_ASSERT_EQUAL(run_args("--journal", NULL), 2);
    ERR_HAS("--journal needs a value");
}

static void test_help(void)
{
    CU_ASSERT_EQUAL(run_args("--help", NULL), 0);
    HAS("usage: wsharness backoff (--journal FILE | --mock URL) --path P --policy POLICY");
    HAS("Exit status: 0 follows the policy");
    CU_ASSERT_STRING_EQUAL(last.err, "");
}

/* ---- a running wsmock (--mock) ---- */

/* One raw upgrade request on path; returns the HTTP status of the answer (or -1). */
static int raw_upgrade(int port, const char *path)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char req[512];
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                     path, port);
    int status = -1;
    if (write(fd, req, (size_t)n) == n) {
        char buf[1024];
        size_t have = 0;
        int64_t end = ms_time_mono_ms() + DEADLINE_MS;
        while (have < sizeof(buf) - 1 && !memmem(buf, have, "\r\n\r\n", 4)) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            int64_t left = end - ms_time_mono_ms();
            ssize_t r;
            if (left <= 0 || poll(&p, 1, (int)left) != 1 ||
                (r = read(fd, buf + have, sizeof(buf) - 1 - have)) <= 0)
                break;
            have += (size_t)r;
        }
        buf[have] = '\0';
        if (sscanf(buf, "HTTP/1.1 %d", &status) != 1)
            status = -1;
    }
    close(fd);
    return status;
}

/* Waits ms milliseconds on a poll() deadline (a client's reconnect delay). */
static void wait_ms(int ms)
{
    int64_t end = ms_time_mono_ms() + ms;
    for (int64_t left; (left = end - ms_time_mono_ms()) > 0;)
        poll(NULL, 0, (int)left);
}

static void test_mock_reads_a_running_wsmock(void)
{
    struct wh_proc mock;
    char err[256], url[64];
    const char *args[] = {"--profile", "pre-fix", NULL}; /* WS-001: every upgrade gets 403 */
    if (wh_spawn_wsmock(&mock, WSMOCK_BIN, args, DEADLINE_MS, err, sizeof(err)))
        fprintf(stderr, "\n  %s\n", err);
    CU_ASSERT_FATAL(mock.pid > 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", mock.port);
    /* a client following initial=1000,factor=2 at scale 0.05: 50, 100, 200 ms */
    CU_ASSERT_EQUAL(raw_upgrade(mock.port, "/ws/agent/other"), 403);
    const int delays[] = {0, 50, 100, 200};
    for (int i = 0; i < 4; i++) {
        wait_ms(delays[i]);
        CU_ASSERT_EQUAL(raw_upgrade(mock.port, "/ws/coordinator"), 403);
    }
    CU_ASSERT_EQUAL(run_args("--mock", url, "--path", "/ws/coordinator", "--policy",
                             ORIGINAL_POLICY, "--scale", "0.05", NULL),
                    0);
    HAS("4 attempts on /ws/coordinator from http://127.0.0.1:");
    ROW_HAS(4, "refused 403");
    HAS("verdict: FOLLOWS the policy (4 attempts, 3 gaps)");
    CU_ASSERT_EQUAL(run_args("--mock", url, "--path", "/ws/coordinator", "--policy",
                             ORIGINAL_POLICY, "--scale", "0.05", "--json", NULL),
                    0);
    cJSON *o = cJSON_Parse(last.out);
    cJSON *at = cJSON_GetObjectItem(o, "attempts");
    CU_ASSERT_FATAL(cJSON_GetArraySize(at) == 4);
    char since[32];
    snprintf(since, sizeof(since), "%d",
             cJSON_GetObjectItem(cJSON_GetArrayItem(at, 3), "seq")->valueint);
    cJSON_Delete(o);
    /* the original app at the same scale: 50 ms forever */
    for (int i = 0; i < 7; i++) {
        wait_ms(50);
        CU_ASSERT_EQUAL(raw_upgrade(mock.port, "/ws/coordinator"), 403);
    }
    CU_ASSERT_EQUAL(run_args("--mock", url, "--path", "/ws/coordinator", "--policy",
                             ORIGINAL_POLICY, "--scale", "0.05", "--since", since, NULL),
                    1);
    HAS("7 attempts on /ws/coordinator"); /* only the ones after --since */
    HAS("too many attempts: 6 retries in a row (the policy allows 5)");
    wh_proc_stop(&mock, DEADLINE_MS);
}

static void test_mock_without_control_api_is_bad_input(void)
{
    struct wh_proc mock;
    char err[256], url[64];
    const char *args[] = {"--no-control", NULL};
    if (wh_spawn_wsmock(&mock, WSMOCK_BIN, args, DEADLINE_MS, err, sizeof(err)))
        fprintf(stderr, "\n  %s\n", err);
    CU_ASSERT_FATAL(mock.pid > 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", mock.port);
    CU_ASSERT_EQUAL(run_args("--mock", url, "--path", "/ws/x", "--policy", "", NULL), 2);
    char want[200];
    snprintf(want, sizeof(want),
             "wsharness backoff: %s: GET /__mock/journal answered HTTP 404 (not a wsmock, or one "
             "started with --no-control)\n",
             url);
    CU_ASSERT_STRING_EQUAL(last.err, want);
    wh_proc_stop(&mock, DEADLINE_MS);
}

static void test_mock_unreachable_is_bad_input(void)
{
    /* a port that was free a moment ago */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof(sa);
    CU_ASSERT_FATAL(!bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
                    !getsockname(fd, (struct sockaddr *)&sa, &sl));
    int port = ntohs(sa.sin_port);
    close(fd);
    char url[64], want[200];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
    CU_ASSERT_EQUAL(run_args("--mock", url, "--path", "/ws/x", "--policy", "", NULL), 2);
    snprintf(want, sizeof(want),
             "wsharness backoff: %s: cannot connect to 127.0.0.1:%d: Connection refused\n", url,
             port);
    CU_ASSERT_STRING_EQUAL(last.err, want);
    CU_ASSERT_EQUAL(
        run_args("--mock", "ws://127.0.0.1:3001", "--path", "/ws/x", "--policy", "", NULL), 2);
    CU_ASSERT_STRING_EQUAL(last.err,
                           "wsharness backoff: ws://127.0.0.1:3001: not an http://HOST:PORT URL\n");
    run_free();
}

static CU_TestInfo verdict_tests[] = {
    MS_TEST(test_correct_jittered_exponential_sequence_follows),
    MS_TEST(test_flags_the_original_app_with_the_reason),
    MS_TEST(test_original_app_against_an_unlimited_policy_is_a_constant_delay),
    MS_TEST(test_constant_delay_other_than_1000_ms_is_not_called_the_original_app),
    MS_TEST(test_no_growth),
    MS_TEST(test_no_cap),
    MS_TEST(test_too_many_attempts),
    MS_TEST(test_retry_storm),
    MS_TEST(test_reset_after_a_stable_connection_follows),
    MS_TEST(test_no_reset_after_a_stable_connection),
    MS_TEST(test_reset_too_early_after_a_short_connection),
    MS_TEST(test_reconnect_after_an_intentional_close),
    MS_TEST(test_concurrent_ghost_connection),
    MS_TEST(test_scaled_run),
    MS_TEST(test_scaled_original_app),
    MS_TEST(test_prefix_path_takes_every_matching_path_and_nothing_else),
    MS_TEST(test_since_skips_earlier_events),
    MS_TEST(test_reads_the_events_after_the_last_reset),
    MS_TEST(test_one_attempt_is_not_judged),
    MS_TEST(test_no_attempts_names_the_paths_that_have_some),
    MS_TEST(test_refusal_after_a_handshake_delay_ends_when_answered),
    MS_TEST(test_json_report),
    CU_TEST_INFO_NULL,
};

static CU_TestInfo output_tests[] = {
    MS_TEST(test_svg_draws_windows_marks_axis_and_legend),
    MS_TEST(test_svg_that_cannot_be_written_is_bad_input),
    MS_TEST(test_bad_policy_is_one_line_exit_2),
    MS_TEST(test_unreadable_journal_names_the_file),
    MS_TEST(test_journal_line_that_is_not_json_names_file_and_line),
    MS_TEST(test_event_without_its_members_names_file_and_line),
    MS_TEST(test_usage_errors_exit_2),
    MS_TEST(test_help),
    CU_TEST_INFO_NULL,
};

static CU_TestInfo mock_tests[] = {
    MS_TEST(test_mock_reads_a_running_wsmock),
    MS_TEST(test_mock_without_control_api_is_bad_input),
    MS_TEST(test_mock_unreachable_is_bad_input),
    CU_TEST_INFO_NULL,
};

static int cleanup(void)
{
    run_free();
    return 0;
}

CU_SuiteInfo ms_test_suites[] = {
    {"backoff_verdicts", NULL, cleanup, NULL, NULL, verdict_tests},
    {"backoff_output", NULL, cleanup, NULL, NULL, output_tests},
    {"backoff_mock", NULL, cleanup, NULL, NULL, mock_tests},
    CU_SUITE_INFO_NULL,
};
