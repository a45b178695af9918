/* test_ms_record -- unit tests of `wsmock record`'s argument handling (the proxy runs in pytest).
 */
#include <stdio.h>
#include <string.h>

#include "ms_record.h"
#include "ms_test.h"

static void expect_upstream(const char *url, const char *host, const char *port)
{
    char h[64] = "", p[8] = "";
    const char *why = ms_record_parse_upstream(url, h, sizeof h, p, sizeof p);
    CU_ASSERT_PTR_NULL(why);
    if (why)
        fprintf(stderr, "\n  %s: %s\n", url, why);
    CU_ASSERT_STRING_EQUAL(h, host);
    CU_ASSERT_STRING_EQUAL(p, port);
}

static void expect_bad_upstream(const char *url, const char *want)
{
    char h[64], p[8];
    const char *why = ms_record_parse_upstream(url, h, sizeof h, p, sizeof p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(why);
    CU_ASSERT_STRING_EQUAL(why, want);
}

static void test_record_parses_upstream_urls(void)
{
    expect_upstream("http://127.0.0.1:3001", "127.0.0.1", "3001");
    expect_upstream("http://127.0.0.1:3001/", "127.0.0.1", "3001");
    expect_upstream("ws://localhost:8000", "localhost", "8000");
    expect_upstream("http://backend", "backend", "80");
    expect_upstream("http://[::1]:3001", "::1", "3001");
}

static void test_record_rejects_bad_upstream_urls(void)
{
    expect_bad_upstream("127.0.0.1:3001", "expected http://HOST:PORT");
    expect_bad_upstream("https://h:443", "TLS upstreams (https://, wss://) are not supported");
    expect_bad_upstream("wss://h", "TLS upstreams (https://, wss://) are not supported");
    expect_bad_upstream("http://:3001", "no host");
    expect_bad_upstream("http://h:0", "bad port");
    expect_bad_upstream("http://h:70000", "bad port");
    expect_bad_upstream("http://h:", "bad port");
    expect_bad_upstream("http://h:3001/ws/coordinator", "expected no path after HOST:PORT");
    expect_bad_upstream("http://[::1:3001", "unclosed [ in the host");
}

static void test_record_bad_arguments_exit_2_before_listening(void)
{
    char *none[] = {"record", NULL};
    CU_ASSERT_EQUAL(ms_record_main(1, none), 2);
    char *no_out[] = {"record", "--upstream", "http://127.0.0.1:1", "--port", "0", NULL};
    CU_ASSERT_EQUAL(ms_record_main(5, no_out), 2);
    char *no_port[] = {"record", "--upstream", "http://127.0.0.1:1", "--out", "/tmp/x.json", NULL};
    CU_ASSERT_EQUAL(ms_record_main(5, no_port), 2);
    char *bad_port[] = {"record", "--upstream=http://127.0.0.1:1", "--port=70000",
                        "--out=/tmp/x.json", NULL};
    CU_ASSERT_EQUAL(ms_record_main(4, bad_port), 2);
    char *neg_port[] = {"record", "--upstream=http://127.0.0.1:1", "--port=-1", "--out=/tmp/x.json",
                        NULL};
    CU_ASSERT_EQUAL(ms_record_main(4, neg_port), 2);
    char *tls[] = {"record", "--upstream", "https://h",   "--port",
                   "0",      "--out",      "/tmp/x.json", NULL};
    CU_ASSERT_EQUAL(ms_record_main(7, tls), 2);
    char *dir[] = {
        "record", "--upstream", "http://h:1", "--port", "0", "--out", "/nonexistent/dir/x.json",
        NULL};
    CU_ASSERT_EQUAL(ms_record_main(7, dir), 2);
    char *missing_value[] = {"record", "--upstream", NULL};
    CU_ASSERT_EQUAL(ms_record_main(2, missing_value), 2);
    char *unknown[] = {"record", "--bogus", NULL};
    CU_ASSERT_EQUAL(ms_record_main(2, unknown), 2);
    char *help[] = {"record", "--upstream", "http://h:1", "--help", NULL};
    CU_ASSERT_EQUAL(ms_record_main(4, help), 0);
}

static CU_TestInfo tests[] = {
    MS_TEST(test_record_parses_upstream_urls),
    MS_TEST(test_record_rejects_bad_upstream_urls),
    MS_TEST(test_record_bad_arguments_exit_2_before_listening),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"ms_record", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};
