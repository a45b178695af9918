/* ms_test_main -- CUnit runner shared by the unit-test executables: all cases, or one with --test.
 */
#include <stdio.h>
#include <string.h>
#include <CUnit/Basic.h>
#include "ms_test.h"

static int usage(const char *argv0)
{
    fprintf(stderr, "usage: %s [--list] [--test CASE]\n", argv0);
    return 2;
}

int main(int argc, char **argv)
{
    const char *only = NULL;
    int list = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--test") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--list"))
            list = 1;
        else
            return usage(argv[0]);
    }
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    if (CU_register_suites(ms_test_suites) != CUE_SUCCESS) {
        fprintf(stderr, "cannot register suites: %s\n", CU_get_error_msg());
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
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
                CU_pTest test = CU_get_test(suite, t->pName);
                CU_basic_run_test(suite, test);
            }
        }
    }
    if (list) {
        CU_cleanup_registry();
        return 0;
    }
    if (!only)
        CU_basic_run_tests();
    else if (!found) {
        fprintf(stderr, "no test case named '%s'\n", only);
        CU_cleanup_registry();
        return 2;
    }
    /* CU_basic_run_tests() returns success even when tests fail: count the failures ourselves. */
    unsigned failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
