/* ms_test_main -- CUnit runner shared by the unit-test executables: all cases, or one with --test;
 * --junit FILE writes JUnit XML (one <testsuite> per CUnit suite, one <testcase> per case).
 * Exit code: the number of failed cases (at most 125); 126 if it cannot run. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include <CUnit/TestRun.h>
#include "ms_test.h"

/* What one case did, for the report. One per case run; the runner owns them. */
struct result {
    const char *suite, *name; /* borrowed from ms_test_suites */
    double secs;
    unsigned failures;
    char *detail;  /* "file:line: condition" lines (malloc) */
    char *message; /* the first failed condition (malloc) */
    char *output;  /* what the case wrote to stderr (malloc; with --junit only) */
    int error;     /* a suite set-up or clean-up failure, not a case */
};

/* The run in progress: file-local because CUnit's handlers take no user pointer. */
static struct {
    struct result *r;
    size_t n, cap;
    double t0;
    int capture; /* --junit: stderr of each case goes to a temporary file, then is echoed */
    FILE *tmp;
    int saved_fd;
} run = {.saved_fd = -1};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct result *add_result(const char *suite, const char *name)
{
    if (run.n == run.cap) {
        size_t cap = run.cap ? run.cap * 2 : 64;
        struct result *r = realloc(run.r, cap * sizeof(*r));
        if (!r)
            return NULL;
        run.r = r;
        run.cap = cap;
    }
    struct result *r = &run.r[run.n++];
    *r = (struct result){.suite = suite, .name = name};
    return r;
}

/* Appends printf-style text to a malloc'd string. */
static void append(char **s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(char **s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    size_t old = *s ? strlen(*s) : 0;
    char *grown = n >= 0 ? realloc(*s, old + (size_t)n + 1) : NULL;
    if (!grown)
        return;
    va_start(ap, fmt);
    vsnprintf(grown + old, (size_t)n + 1, fmt, ap);
    va_end(ap);
    *s = grown;
}

/* Sends stderr to a temporary file for the case about to run (--junit). */
static void capture_begin(void)
{
    if (!run.capture || !(run.tmp = tmpfile()))
        return;
    fflush(stderr);
    run.saved_fd = dup(STDERR_FILENO);
    if (run.saved_fd < 0 || dup2(fileno(run.tmp), STDERR_FILENO) < 0) {
        fclose(run.tmp);
        run.tmp = NULL;
    }
}

/* Restores stderr, echoes what the case wrote and keeps it (at most the last 64 KiB). */
static char *capture_end(void)
{
    if (!run.tmp)
        return NULL;
    fflush(stderr);
    dup2(run.saved_fd, STDERR_FILENO);
    close(run.saved_fd);
    run.saved_fd = -1;
    long size = ftell(run.tmp);
    long keep = size > 65536 ? 65536 : size;
    char *text = NULL;
    if (keep > 0 && (text = malloc((size_t)keep + 1)) && !fseek(run.tmp, size - keep, SEEK_SET)) {
        size_t got = fread(text, 1, (size_t)keep, run.tmp);
        text[got] = '\0';
        fputs(text, stderr);
    }
    fclose(run.tmp);
    run.tmp = NULL;
    return text;
}

static void on_suite_start(const CU_pSuite suite)
{
    printf("Suite: %s\n", suite->pName);
}

static void on_test_start(const CU_pTest test, const CU_pSuite suite)
{
    printf("  Test: %s ...", test->pName);
    fflush(stdout);
    capture_begin();
    run.t0 = now_s();
}

static void on_test_complete(const CU_pTest test, const CU_pSuite suite,
                             const CU_pFailureRecord failure)
{
    double secs = now_s() - run.t0;
    char *output = capture_end();
    struct result *r = add_result(suite->pName, test->pName);
    if (!r) {
        free(output);
        return;
    }
    r->secs = secs;
    r->output = output;
    for (CU_pFailureRecord f = failure; f && f->pTest == test; f = f->pNext) {
        const char *cond = f->strCondition ? f->strCondition : "";
        append(&r->detail, "%s:%u: %s\n", f->strFileName ? f->strFileName : "?", f->uiLineNumber,
               cond);
        if (!r->failures++)
            append(&r->message, "%s", cond);
    }
    if (!r->failures) {
        printf("passed\n");
        return;
    }
    printf("FAILED\n");
    unsigned i = 0;
    for (CU_pFailureRecord f = failure; f && f->pTest == test; f = f->pNext)
        printf("    %u. %s:%u  - %s\n", ++i, f->strFileName ? f->strFileName : "?", f->uiLineNumber,
               f->strCondition ? f->strCondition : "");
}

static void suite_error(const CU_pSuite suite, const char *what)
{
    printf("  Suite %s: %s failed\n", suite->pName, what);
    struct result *r = add_result(suite->pName, what);
    if (!r)
        return;
    r->error = 1;
    r->failures = 1;
    append(&r->message, "suite %s failed", what);
}

static void on_suite_init_failure(const CU_pSuite suite)
{
    suite_error(suite, "set-up");
}

static void on_suite_cleanup_failure(const CU_pSuite suite)
{
    suite_error(suite, "clean-up");
}

/* Writes s with XML's five entities; control characters XML 1.0 forbids become '?'. */
static void xml_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '&')
            fputs("&amp;", f);
        else if (c == '<')
            fputs("&lt;", f);
        else if (c == '>')
            fputs("&gt;", f);
        else if (c == '"')
            fputs("&quot;", f);
        else if (c == '\'')
            fputs("&apos;", f);
        else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            fputc('?', f);
        else
            fputc(c, f);
    }
}

/* The program's name without its directory and "test_" prefix, for classnames. */
static const char *prog_name(const char *argv0)
{
    const char *base = strrchr(argv0, '/');
    base = base ? base + 1 : argv0;
    return strncmp(base, "test_", 5) ? base : base + 5;
}

/* Writes the JUnit XML report. Returns 0, or -1 if the file cannot be written. */
static int write_junit(const char *path, const char *prog)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    unsigned tests = 0, failures = 0, errors = 0;
    double total = 0;
    for (size_t i = 0; i < run.n; i++) {
        tests++;
        total += run.r[i].secs;
        if (run.r[i].error)
            errors++;
        else if (run.r[i].failures)
            failures++;
    }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"");
    xml_text(f, prog);
    fprintf(f, "\" tests=\"%u\" failures=\"%u\" errors=\"%u\" time=\"%.6f\">\n", tests, failures,
            errors, total);
    for (size_t i = 0; i < run.n;) {
        size_t end = i;
        unsigned st = 0, sf = 0, se = 0;
        double stime = 0;
        for (; end < run.n && !strcmp(run.r[end].suite, run.r[i].suite); end++) {
            st++;
            stime += run.r[end].secs;
            se += run.r[end].error;
            sf += !run.r[end].error && run.r[end].failures;
        }
        fprintf(f, "  <testsuite name=\"");
        xml_text(f, run.r[i].suite);
        fprintf(f, "\" tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"0\" time=\"%.6f\">\n",
                st, sf, se, stime);
        for (; i < end; i++) {
            const struct result *r = &run.r[i];
            fprintf(f, "    <testcase name=\"");
            xml_text(f, r->name);
            fprintf(f, "\" classname=\"");
            xml_text(f, prog);
            fputc('.', f);
            xml_text(f, r->suite);
            fprintf(f, "\" time=\"%.6f\"", r->secs);
            if (!r->failures && !r->output) {
                fprintf(f, "/>\n");
                continue;
            }
            fprintf(f, ">\n");
            if (r->failures) {
                const char *tag = r->error ? "error" : "failure";
                fprintf(f, "      <%s message=\"", tag);
                xml_text(f, r->message);
                fprintf(f, "\" type=\"%s\">", r->error ? "suite" : "assertion");
                xml_text(f, r->detail ? r->detail : r->message);
                fprintf(f, "</%s>\n", tag);
            }
            if (r->output) {
                fprintf(f, "      <system-err>");
                xml_text(f, r->output);
                fprintf(f, "</system-err>\n");
            }
            fprintf(f, "    </testcase>\n");
        }
        fprintf(f, "  </testsuite>\n");
    }
    fprintf(f, "</testsuites>\n");
    return fclose(f) ? -1 : 0;
}

static int usage(const char *argv0)
{
    fprintf(stderr, "usage: %s [--list] [--test CASE] [--junit FILE]\n", argv0);
    return 126;
}

int main(int argc, char **argv)
{
    const char *only = NULL, *junit = NULL;
    int list = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--test") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--junit") && i + 1 < argc)
            junit = argv[++i];
        else if (!strcmp(argv[i], "--list"))
            list = 1;
        else
            return usage(argv[0]);
    }
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 126;
    if (CU_register_suites(ms_test_suites) != CUE_SUCCESS) {
        fprintf(stderr, "cannot register suites: %s\n", CU_get_error_msg());
        CU_cleanup_registry();
        return 126;
    }
    CU_set_suite_start_handler(on_suite_start);
    CU_set_test_start_handler(on_test_start);
    CU_set_test_complete_handler(on_test_complete);
    CU_set_suite_init_failure_handler(on_suite_init_failure);
    CU_set_suite_cleanup_failure_handler(on_suite_cleanup_failure);
    run.capture = junit != NULL;
    int found = 0;
    for (CU_SuiteInfo *s = ms_test_suites; s->pName; s++) {
        for (CU_TestInfo *t = s->pTests; t->pName; t++) {
            if (list) {
                printf("%s\n", t->pName);
                continue;
            }
            if (only && strcmp(only, t->pName))
                continue;
            found++;
            if (only) {
                CU_pSuite suite = CU_get_suite(s->pName);
                CU_run_test(suite, CU_get_test(suite, t->pName));
            }
        }
    }
    if (list) {
        CU_cleanup_registry();
        return 0;
    }
    if (!only)
        CU_run_all_tests();
    else if (!found) {
        fprintf(stderr, "no test case named '%s'\n", only);
        CU_cleanup_registry();
        return 126;
    }
    unsigned cases = 0, failed = 0, errors = 0;
    for (size_t i = 0; i < run.n; i++) {
        errors += run.r[i].error;
        cases += !run.r[i].error;
        failed += !run.r[i].error && run.r[i].failures;
    }
    printf("\n%u case%s: %u passed, %u failed", cases, cases == 1 ? "" : "s", cases - failed,
           failed);
    if (errors)
        printf(", %u suite set-up/clean-up failure%s", errors, errors == 1 ? "" : "s");
    printf("\n");
    failed += errors;
    int rc = failed > 125 ? 125 : (int)failed; /* the exit code is the number of failures */
    if (junit && write_junit(junit, prog_name(argv[0]))) {
        fprintf(stderr, "cannot write %s\n", junit);
        rc = 126;
    }
    for (size_t i = 0; i < run.n; i++) {
        free(run.r[i].detail);
        free(run.r[i].message);
        free(run.r[i].output);
    }
    free(run.r);
    CU_cleanup_registry();
    return rc;
}
