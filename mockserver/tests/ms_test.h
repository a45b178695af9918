/* ms_test -- shared declarations for the CUnit unit-test executables. */
#ifndef MS_TEST_H
#define MS_TEST_H

#include <CUnit/CUnit.h>

/* One entry of a CU_TestInfo table; CMake registers each MS_TEST(case) as its own CTest test. */
#define MS_TEST(fn)                                                                                \
    {                                                                                              \
#fn, fn                                                                                    \
    }

/* Each test executable defines this table (terminated by CU_SUITE_INFO_NULL). */
extern CU_SuiteInfo ms_test_suites[];

#endif
