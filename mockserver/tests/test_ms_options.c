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
                           "--verbose",     "--help",          "--version"};
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
    MS_TEST(test_options_profile_names_round_trip),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"options", NULL, NULL, NULL, NULL, options_tests},
    CU_SUITE_INFO_NULL,
};
