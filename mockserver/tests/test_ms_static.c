/* test_ms_static -- ms_static_resolve() alone, without libwebsockets' own path normalisation in
 * front of it: files inside the root resolve, nothing outside ever does. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ms_static.h"
#include "ms_test.h"

/* base/www is the root; base/secret and base/www-secret are outside it. */
static char base[PATH_MAX], root[PATH_MAX + 8];

static void put(const char *rel, const char *text)
{
    char p[PATH_MAX * 2];
    snprintf(p, sizeof(p), "%s/%s", base, rel);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void link_to(const char *target, const char *rel)
{
    char p[PATH_MAX * 2];
    snprintf(p, sizeof(p), "%s/%s", base, rel);
    if (symlink(target, p))
        perror(p);
}

static int setup(void)
{
    char tmpl[] = "/tmp/test_ms_static-XXXXXX", p[PATH_MAX * 2];
    if (!mkdtemp(tmpl) || !realpath(tmpl, base))
        return -1;
    const char *dirs[] = {"www", "www/sub", "secret", "www-secret"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", base, dirs[i]);
        if (mkdir(p, 0700))
            return -1;
    }
    put("www/index.html", "INDEX");
    put("www/app.js", "APPJS");
    put("www/a..b.js", "DOTS");
    put("www/sub/inner.txt", "INNER");
    put("secret/secret.txt", "SECRET");
    put("www-secret/s.txt", "SIBLING");
    link_to("app.js", "www/link-in.js");
    link_to("../secret/secret.txt", "www/link-out.txt");
    link_to("../secret", "www/dir-out");
    snprintf(p, sizeof(p), "%s/secret/secret.txt", base);
    link_to(p, "www/abs-link.txt");
    link_to("../www-secret/s.txt", "www/pfx.txt");
    link_to("nowhere.txt", "www/dangling.txt");
    snprintf(root, sizeof(root), "%s/www", base);
    return 0;
}

static int teardown(void)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
    return system(cmd) == 0 ? 0 : -1;
}

/* Resolves url under root; returns the result and, on success, the path relative to base. */
static int resolve(const char *url, char *rel, size_t len)
{
    char out[PATH_MAX];
    int rc = ms_static_resolve(root, url, out, sizeof(out));
    rel[0] = '\0';
    if (rc == 0)
        snprintf(rel, len, "%s", out + strlen(base));
    return rc;
}

static void expect_file(const char *url, const char *want)
{
    char rel[PATH_MAX];
    int rc = resolve(url, rel, sizeof(rel));
    if (rc || strcmp(rel, want))
        fprintf(stderr, "\n%s: rc %d, '%s' (wanted '%s')\n", url, rc, rel, want);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(rel, want);
}

static void expect_refused(const char *url)
{
    char rel[PATH_MAX];
    int rc = resolve(url, rel, sizeof(rel));
    if (rc != -1)
        fprintf(stderr, "\n%s: resolved to '%s', wanted a refusal\n", url, rel);
    CU_ASSERT_EQUAL(rc, -1);
}

static void test_static_resolves_regular_files_inside_the_root(void)
{
    expect_file("/index.html", "/www/index.html");
    expect_file("/app.js", "/www/app.js");
    expect_file("/sub/inner.txt", "/www/sub/inner.txt");
    expect_file("/sub//inner.txt", "/www/sub/inner.txt");
    expect_file("/./app.js", "/www/app.js");
    expect_file("/a..b.js", "/www/a..b.js"); /* two dots inside a name are not a segment */
}

static void test_static_follows_a_symlink_that_stays_inside(void)
{
    expect_file("/link-in.js", "/www/app.js");
}

static void test_static_refuses_symlinks_leading_out_of_the_root(void)
{
    expect_refused("/link-out.txt");
    expect_refused("/dir-out/secret.txt");
    expect_refused("/abs-link.txt");
    expect_refused("/pfx.txt"); /* base/www-secret starts with base/www: not inside */
    expect_refused("/dangling.txt");
}

static void test_static_refuses_dot_dot_segments_even_when_they_stay_inside(void)
{
    expect_refused("/../secret/secret.txt");
    expect_refused("/sub/../../secret/secret.txt");
    expect_refused("/..");
    expect_refused("/sub/..");
    expect_refused("/sub/../app.js"); /* would resolve inside; refused all the same */
}

static void test_static_refuses_backslashes_control_characters_and_relative_paths(void)
{
    expect_refused("/..\\secret\\secret.txt");
    expect_refused("/sub\\inner.txt");
    expect_refused("/app.js\n");
    expect_refused("/\x01app.js");
    expect_refused("/app.js\x7f");
    expect_refused("app.js");
    expect_refused("");
}

static void test_static_refuses_what_is_not_a_regular_file(void)
{
    expect_refused("/");
    expect_refused("/sub");
    expect_refused("/dir-out");
    expect_refused("/missing.js");
    expect_refused("/%2e%2e/secret/secret.txt"); /* already decoded by lws: a literal name */
}

static void test_static_root_slash_contains_everything(void)
{
    char out[PATH_MAX], want[PATH_MAX * 2];
    snprintf(want, sizeof(want), "%s/www/app.js", base);
    CU_ASSERT_EQUAL(ms_static_resolve("/", want, out, sizeof(out)), 0);
    CU_ASSERT_STRING_EQUAL(out, want);
}

static void test_static_refuses_when_the_result_does_not_fit(void)
{
    char out[8];
    CU_ASSERT_EQUAL(ms_static_resolve(root, "/app.js", out, sizeof(out)), -1);
}

static CU_TestInfo static_tests[] = {
    MS_TEST(test_static_resolves_regular_files_inside_the_root),
    MS_TEST(test_static_follows_a_symlink_that_stays_inside),
    MS_TEST(test_static_refuses_symlinks_leading_out_of_the_root),
    MS_TEST(test_static_refuses_dot_dot_segments_even_when_they_stay_inside),
    MS_TEST(test_static_refuses_backslashes_control_characters_and_relative_paths),
    MS_TEST(test_static_refuses_what_is_not_a_regular_file),
    MS_TEST(test_static_root_slash_contains_everything),
    MS_TEST(test_static_refuses_when_the_result_does_not_fit),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"static", setup, teardown, NULL, NULL, static_tests},
    CU_SUITE_INFO_NULL,
};
