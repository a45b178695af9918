/* test_ms_options -- wsmock's command line: defaults, every switch, and clear refusals. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ms_options.h"
#include "ms_test.h"

/* Runs the parser on a NULL-terminated argument list; captures both streams. */
static int run(struct ms_options *o, char *out, size_t outlen, char *err, size_t errlen, ...)
{
    char *argv[32] = {"wsmock"};
    int argc = 1;
    va_list ap;
    va_start(ap, errlen);
    for (char *a; (a = va_arg(ap, char *)) && argc < 31;)
        argv[argc++] = a;
    va_end(ap);
    FILE *fo = fmemopen(out, outlen, "w"), *fe = fmemopen(err, errlen, "w");
    ms_options_defaults(o);
    int rc = ms_options_parse(o, argc, argv, fo, fe);
    fclose(fo);
    fclose(fe);
    return rc;
}

static void test_options_defaults_bind_loopback_3001_deployed(void)
{
    struct ms_options o;
    char out[4096] = "", err[4096] = "";
    CU_ASSERT_EQUAL(run(&o, out, sizeof(out), err, sizeof(err), NULL), 0);
    CU_ASSERT_STRING_EQUAL(o.host, "127.0.0.1");
    CU_ASSERT_EQUAL(o.port, 3001);
    CU_ASSERT_EQUAL(o.profile, MS_PROFILE_DEPLOYED);
    CU_ASSERT_EQUAL(o.heartbeat_ms, 30000);
    CU_ASSERT_EQUAL(o.max_message, 16u * 1024 * 1024);
    CU_ASSERT_EQUAL(o.control, 1);
    CU_ASSERT_PTR_NULL(o.static_dir);
}

static void test_options_parse_every_switch_in_both_forms(void)
{
    struct ms_options o;
    char out[4096] = "", err[4096] = "";
    int rc =
        run(&o, out, sizeof(out), err, sizeof(err), "--host", "0.0.0.0", "--port=0", "--profile",
            "pre-fix", "--static", "dist", "--journal=j.jsonl", "--no-control", "--heartbeat-ms",
            "250", "--max-message=1024", "--queue-limit", "8", "--journal-limit", "10",
            "--coordinator", "c.json", "--seed", "42", "--verbose", NULL);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(o.host, "0.0.0.0");
    CU_ASSERT_EQUAL(o.port, 0);
    CU_ASSERT_EQUAL(o.profile, MS_PROFILE_PREFIX);
    CU_ASSERT_STRING_EQUAL(o.static_dir, "dist");
    CU_ASSERT_STRING_EQUAL(o.journal_path, "j.jsonl");
    CU_ASSERT_EQUAL(o.control, 0);
    CU_ASSERT_EQUAL(o.heartbeat_ms, 250);
    CU_ASSERT_EQUAL(o.max_message, 1024);
    CU_ASSERT_EQUAL(o.queue_limit, 8);
    CU_ASSERT_EQUAL(o.journal_limit, 10);
    CU_ASSERT_STRING_EQUAL(o.coordinator_path, "c.json");
    CU_ASSERT_TRUE(o.have_seed);
    CU_ASSERT_EQUAL(o.seed, 42);
    CU_ASSERT_TRUE(o.verbose);
}

static void test_options_help_lists_every_switch_and_exits_zero(void)
{
    struct ms_options o;
    char out[8192] = "", err[512] = "";
    CU_ASSERT_EQUAL(run(&o, out, sizeof(out), err, sizeof(err), "--help", NULL), 1);
    const char *names[] = {"--host",        "--port",          "--profile",      "--static",
                           "--journal",     "--no-control",    "--heartbeat-ms", "--max-message",
                           "--queue-limit", "--journal-limit", "--coordinator",  "--seed",
                           "--verbose",     "--help",          "--version",      "--control-token",
                           "--allow-origin"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        CU_ASSERT_PTR_NOT_NULL(strstr(out, names[i]));
    CU_ASSERT_STRING_EQUAL(err, "");
}

static void test_options_version_prints_name_and_number(void)
{
    struct ms_options o;
    char out[256] = "", err[256] = "";
    CU_ASSERT_EQUAL(run(&o, out, sizeof(out), err, sizeof(err), "--version", NULL), 1);
    CU_ASSERT_EQUAL(strncmp(out, "wsmock ", 7), 0);
}

/* Each bad argument: exit code 2 and a message naming the problem, then the usage. */
static void expect_refusal(const char *want, const char *a, const char *b)
{
    struct ms_options o;
    char out[256] = "", err[8192] = "";
    CU_ASSERT_EQUAL(run(&o, out, sizeof(out), err, sizeof(err), a, b, NULL), 2);
    if (!strstr(err, want))
        fprintf(stderr, "\nwanted '%s' in: %s\n", want, err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "usage: wsmock"));
    CU_ASSERT_STRING_EQUAL(out, "");
}

static void test_options_refuse_bad_values_with_exit_two(void)
{
    expect_refusal("unknown option '--bogus'", "--bogus", NULL);
    expect_refusal("option '--port' needs a value", "--port", NULL);
    expect_refusal("invalid port '65536'", "--port", "65536");
    expect_refusal("invalid port '-1'", "--port", "-1");
    expect_refusal("invalid port 'abc'", "--port", "abc");
    expect_refusal("unknown profile 'prefix'", "--profile", "prefix");
    expect_refusal("invalid --heartbeat-ms '1.5'", "--heartbeat-ms", "1.5");
    expect_refusal("invalid --max-message '0'", "--max-message", "0");
    expect_refusal("option '--no-control' takes no value", "--no-control=1", NULL);
    expect_refusal("invalid --seed ''", "--seed=", NULL);
}

static void test_options_security_switches_default_to_off(void)
{
    struct ms_options o;
    char out[256] = "", err[256] = "";
    unsetenv("WSMOCK_CONTROL_TOKEN");
    CU_ASSERT_EQUAL(run(&o, out, sizeof(out), err, sizeof(err), NULL), 0);
    CU_ASSERT_PTR_NULL(o.control_token);
    CU_ASSERT_EQUAL(o.n_allow_origin, 0);
    CU_ASSERT_TRUE(ms_options_origin_allowed(&o, "https://anything.example"));
}

static void test_options_control_token_from_switch_or_environment(void)
{
    struct ms_options o;
    char out[256] = "", err[8192] = "";
    setenv("WSMOCK_CONTROL_TOKEN", "from-env", 1);
    CU_ASSERT_EQUAL(run(&o, out, sizeof(out), err, sizeof(err), NULL), 0);
    CU_ASSERT_STRING_EQUAL(o.control_token, "from-env");
    CU_ASSERT_EQUAL(run(&o, out, sizeof(out), err, sizeof(err), "--control-token=s3cr.t~", NULL),
                    0);
    CU_ASSERT_STRING_EQUAL(o.control_token, "s3cr.t~");
    setenv("WSMOCK_CONTROL_TOKEN", "", 1); /* empty: no token */
    CU_ASSERT_EQUAL(run(&o, out, sizeof(out), err, sizeof(err), NULL), 0);
    CU_ASSERT_PTR_NULL(o.control_token);
    setenv("WSMOCK_CONTROL_TOKEN", "has space", 1);
    CU_ASSERT_EQUAL(run(&o, out, sizeof(out), err, sizeof(err), NULL), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "invalid WSMOCK_CONTROL_TOKEN"));
    unsetenv("WSMOCK_CONTROL_TOKEN");
}

static void test_options_refuse_bad_security_values(void)
{
    char long_token[300];
    memset(long_token, 'a', 257);
    long_token[257] = '\0';
    expect_refusal("invalid --control-token", "--control-token", "");
    expect_refusal("invalid --control-token", "--control-token", "two words");
    expect_refusal("invalid --control-token", "--control-token", "tab\there");
    expect_refusal("invalid --control-token", "--control-token", long_token);
    expect_refusal("invalid --allow-origin ''", "--allow-origin", "");
    expect_refusal("invalid --allow-origin", "--allow-origin", "http://a b");
    struct ms_options o;
    char out[256] = "", err[8192] = "";
    char *argv[2 * MS_ALLOW_ORIGIN_MAX + 4] = {"wsmock"};
    int argc = 1;
    for (int i = 0; i <= MS_ALLOW_ORIGIN_MAX; i++) {
        argv[argc++] = "--allow-origin";
        argv[argc++] = "http://x";
    }
    FILE *fo = fmemopen(out, sizeof(out), "w"), *fe = fmemopen(err, sizeof(err), "w");
    ms_options_defaults(&o);
    CU_ASSERT_EQUAL(ms_options_parse(&o, argc, argv, fo, fe), 2);
    fclose(fo);
    fclose(fe);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "too many --allow-origin"));
}

static void test_options_allow_origin_exact_and_wildcards(void)
{
    struct ms_options o;
    char out[256] = "", err[256] = "";
    CU_ASSERT_EQUAL_FATAL(run(&o, out, sizeof(out), err, sizeof(err), "--allow-origin",
                              "http://localhost:5173", "--allow-origin=https://*.example.com",
                              "--allow-origin", "http://127.0.0.1:*", NULL),
                          0);
    CU_ASSERT_EQUAL(o.n_allow_origin, 3);
    const struct {
        const char *origin;
        int allowed;
    } cases[] = {
        {NULL, 1}, /* no Origin header: a non-browser client */
        {"", 1},
        {"http://localhost:5173", 1},
        {"http://localhost:5174", 0},
        {"http://localhost:51730", 0},
        {"http://localhost:517", 0},
        {"https://localhost:5173", 0},
        {"HTTP://LOCALHOST:5173", 0},
        {"https://app.example.com", 1},
        {"https://a.b.example.com", 1},
        {"https://example.com", 0},
        {"https://evil.com/x.example.com", 1}, /* '*' spans anything; browsers send no path */
        {"https://app.example.com.evil", 0},
        {"http://127.0.0.1:3000", 1},
        {"http://127.0.0.1:", 1},
        {"http://127.0.0.2:3000", 0},
        {"null", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = ms_options_origin_allowed(&o, cases[i].origin);
        if (got != cases[i].allowed)
            fprintf(stderr, "\n%s: %d, wanted %d\n", cases[i].origin ? cases[i].origin : "(none)",
                    got, cases[i].allowed);
        CU_ASSERT_EQUAL(got, cases[i].allowed);
    }
}

static void test_options_allow_origin_star_patterns(void)
{
    struct ms_options o;
    char out[256] = "", err[256] = "";
    CU_ASSERT_EQUAL_FATAL(
        run(&o, out, sizeof(out), err, sizeof(err), "--allow-origin", "*a*b*", NULL), 0);
    CU_ASSERT_TRUE(ms_options_origin_allowed(&o, "ab"));
    CU_ASSERT_TRUE(ms_options_origin_allowed(&o, "xxaxxbxx"));
    CU_ASSERT_TRUE(ms_options_origin_allowed(&o, "aaabbb"));
    CU_ASSERT_FALSE(ms_options_origin_allowed(&o, "ba"));
    CU_ASSERT_FALSE(ms_options_origin_allowed(&o, "xxxx"));
    CU_ASSERT_EQUAL_FATAL(run(&o, out, sizeof(out), err, sizeof(err), "--allow-origin", "*", NULL),
                          0);
    CU_ASSERT_TRUE(ms_options_origin_allowed(&o, "http://anything"));
}

static void test_options_profile_names_round_trip(void)
{
    enum ms_profile p;
    for (int i = MS_PROFILE_DEPLOYED; i <= MS_PROFILE_PREFIX; i++) {
        CU_ASSERT_EQUAL(ms_profile_parse(ms_profile_name((enum ms_profile)i), &p), 0);
        CU_ASSERT_EQUAL((int)p, i);
    }
    CU_ASSERT_EQUAL(ms_profile_parse("Deployed", &p), -1);
}

static CU_TestInfo options_tests[] = {
    MS_TEST(test_options_defaults_bind_loopback_3001_deployed),
    MS_TEST(test_options_parse_every_switch_in_both_forms),
    MS_TEST(test_options_help_lists_every_switch_and_exits_zero),
    MS_TEST(test_options_version_prints_name_and_number),
    MS_TEST(test_options_refuse_bad_values_with_exit_two),
    MS_TEST(test_options_security_switches_default_to_off),
    MS_TEST(test_options_control_token_from_switch_or_environment),
    MS_TEST(test_options_refuse_bad_security_values),
    MS_TEST(test_options_allow_origin_exact_and_wildcards),
    MS_TEST(test_options_allow_origin_star_patterns),
    MS_TEST(test_options_profile_names_round_trip),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"options", NULL, NULL, NULL, NULL, options_tests},
    CU_SUITE_INFO_NULL,
};
