/* test_ms_ids -- unit tests of the PRNG and the generated id formats. */
#include <string.h>

#include "ms_ids.h"
#include "ms_test.h"

static int is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int hex_value(char c)
{
    return c <= '9' ? c - '0' : c - 'a' + 10;
}

static void test_ids_rng_matches_reference_xoshiro256starstar(void)
{
    /* Reference values from an independent implementation of splitmix64 + xoshiro256**. */
    struct ms_rng rng;
    ms_rng_seed(&rng, 0);
    CU_ASSERT_EQUAL(ms_rng_next(&rng), UINT64_C(0x99ec5f36cb75f2b4));
    CU_ASSERT_EQUAL(ms_rng_next(&rng), UINT64_C(0xbf6e1f784956452a));
    CU_ASSERT_EQUAL(ms_rng_next(&rng), UINT64_C(0x1a5f849d4933e6e0));
    ms_rng_seed(&rng, 42);
    CU_ASSERT_EQUAL(ms_rng_next(&rng), UINT64_C(0x15780b2e0c2ec716));
    CU_ASSERT_EQUAL(ms_rng_next(&rng), UINT64_C(0x6104d9866d113a7e));
    CU_ASSERT_EQUAL(ms_rng_next(&rng), UINT64_C(0xae17533239e499a1));
}

static void test_ids_same_seed_gives_same_ids(void)
{
    struct ms_rng a, b;
    ms_rng_seed(&a, 1234);
    ms_rng_seed(&b, 1234);
    char ha[9], hb[9], ua[37], ub[37];
    for (int i = 0; i < 100; i++) {
        ms_ids_hex8(&a, ha);
        ms_ids_hex8(&b, hb);
        CU_ASSERT_STRING_EQUAL(ha, hb);
        ms_ids_uuid4(&a, ua);
        ms_ids_uuid4(&b, ub);
        CU_ASSERT_STRING_EQUAL(ua, ub);
    }
}

static void test_ids_different_seeds_give_different_sequences(void)
{
    struct ms_rng a, b;
    ms_rng_seed(&a, 1);
    ms_rng_seed(&b, 2);
    int same = 0;
    for (int i = 0; i < 16; i++)
        same += ms_rng_next(&a) == ms_rng_next(&b);
    CU_ASSERT_EQUAL(same, 0);
}

static void test_ids_hex8_known_value_for_seed(void)
{
    struct ms_rng rng;
    ms_rng_seed(&rng, 42);
    char out[9];
    ms_ids_hex8(&rng, out);
    CU_ASSERT_STRING_EQUAL(out, "15780b2e");
}

static void test_ids_hex8_is_eight_lowercase_hex_digits_all_random(void)
{
    struct ms_rng rng;
    ms_rng_seed(&rng, 7);
    unsigned seen[8] = {0}; /* bit v set when digit value v appeared at that position */
    for (int i = 0; i < 2000; i++) {
        char out[9];
        memset(out, 'x', sizeof(out));
        ms_ids_hex8(&rng, out);
        CU_ASSERT_EQUAL_FATAL(strlen(out), 8);
        for (int p = 0; p < 8; p++) {
            CU_ASSERT_FATAL(is_lower_hex(out[p]));
            seen[p] |= 1u << hex_value(out[p]);
        }
    }
    /* uuid4().hex[:8] has no fixed nibble: every position takes all 16 values. */
    for (int p = 0; p < 8; p++)
        CU_ASSERT_EQUAL(seen[p], 0xffffu);
}

static void test_ids_uuid4_has_version_variant_and_layout(void)
{
    struct ms_rng rng;
    ms_rng_seed(&rng, 99);
    unsigned variants = 0, other = 0;
    for (int i = 0; i < 2000; i++) {
        char out[37];
        memset(out, 'x', sizeof(out));
        ms_ids_uuid4(&rng, out);
        CU_ASSERT_EQUAL_FATAL(strlen(out), 36);
        for (int p = 0; p < 36; p++) {
            if (p == 8 || p == 13 || p == 18 || p == 23)
                CU_ASSERT_EQUAL_FATAL(out[p], '-');
            if (p != 8 && p != 13 && p != 18 && p != 23)
                CU_ASSERT_FATAL(is_lower_hex(out[p]));
        }
        CU_ASSERT_EQUAL_FATAL(out[14], '4');
        CU_ASSERT_FATAL(strchr("89ab", out[19]) != NULL);
        variants |= 1u << hex_value(out[19]);
        other |= 1u << hex_value(out[15]);
    }
    CU_ASSERT_EQUAL(variants, 0xf00u); /* 8, 9, a and b all occur */
    CU_ASSERT_EQUAL(other, 0xffffu);   /* the digits around them stay random */
}

static void test_ids_uuid4_known_value_for_seed(void)
{
    struct ms_rng rng;
    ms_rng_seed(&rng, 42);
    char out[37];
    ms_ids_uuid4(&rng, out);
    CU_ASSERT_STRING_EQUAL(out, "15780b2e-0c2e-4716-a104-d9866d113a7e");
}

static void test_ids_random_seeding_gives_distinct_generators(void)
{
    struct ms_rng a, b;
    ms_rng_seed_random(&a);
    ms_rng_seed_random(&b);
    CU_ASSERT(memcmp(a.s, b.s, sizeof(a.s)) != 0);
    CU_ASSERT(a.s[0] | a.s[1] | a.s[2] | a.s[3]);
    CU_ASSERT_NOT_EQUAL(ms_rng_next(&a), ms_rng_next(&b));
}

static CU_TestInfo ids_tests[] = {
    MS_TEST(test_ids_rng_matches_reference_xoshiro256starstar),
    MS_TEST(test_ids_same_seed_gives_same_ids),
    MS_TEST(test_ids_different_seeds_give_different_sequences),
    MS_TEST(test_ids_hex8_known_value_for_seed),
    MS_TEST(test_ids_hex8_is_eight_lowercase_hex_digits_all_random),
    MS_TEST(test_ids_uuid4_has_version_variant_and_layout),
    MS_TEST(test_ids_uuid4_known_value_for_seed),
    MS_TEST(test_ids_random_seeding_gives_distinct_generators),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"ms_ids", NULL, NULL, NULL, NULL, ids_tests},
    CU_SUITE_INFO_NULL,
};
