/* test_ms_map -- unit tests of the insertion-ordered string map. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ms_map.h"
#include "ms_test.h"

/* Distinct non-NULL values without allocating: addresses inside this array. */
static char vals[10000];

/* Asserts that iterating m yields exactly keys[0..n) in order, with their values vals[index]. */
static void assert_order(const struct ms_map *m, const char *const *keys, const int *idx, size_t n)
{
    size_t it = 0, i = 0;
    void *v;
    const char *k;
    while ((k = ms_map_next(m, &it, &v))) {
        CU_ASSERT_FATAL(i < n);
        CU_ASSERT_STRING_EQUAL(k, keys[i]);
        CU_ASSERT_PTR_EQUAL(v, &vals[idx[i]]);
        i++;
    }
    CU_ASSERT_EQUAL(i, n);
}

static void test_map_new_map_is_empty(void)
{
    struct ms_map *m = ms_map_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(ms_map_len(m), 0);
    CU_ASSERT_PTR_NULL(ms_map_get(m, "a"));
    CU_ASSERT_PTR_NULL(ms_map_del(m, "a"));
    size_t it = 0;
    void *v = &vals[0];
    CU_ASSERT_PTR_NULL(ms_map_next(m, &it, &v));
    CU_ASSERT_PTR_NULL(v);
    ms_map_free(m);
    ms_map_free(NULL);
}

static void test_map_get_returns_the_value_set(void)
{
    struct ms_map *m = ms_map_new();
    CU_ASSERT_EQUAL(ms_map_set(m, "alpha", &vals[1]), 0);
    CU_ASSERT_EQUAL(ms_map_set(m, "beta", &vals[2]), 0);
    CU_ASSERT_PTR_EQUAL(ms_map_get(m, "alpha"), &vals[1]);
    CU_ASSERT_PTR_EQUAL(ms_map_get(m, "beta"), &vals[2]);
    CU_ASSERT_PTR_NULL(ms_map_get(m, "gamma"));
    CU_ASSERT_PTR_NULL(ms_map_get(m, "alph"));
    CU_ASSERT_PTR_NULL(ms_map_get(m, ""));
    CU_ASSERT_EQUAL(ms_map_len(m), 2);
    ms_map_free(m);
}

static void test_map_copies_keys(void)
{
    struct ms_map *m = ms_map_new();
    char key[16];
    strcpy(key, "room_1");
    ms_map_set(m, key, &vals[1]);
    strcpy(key, "zzzzzz");
    CU_ASSERT_PTR_EQUAL(ms_map_get(m, "room_1"), &vals[1]);
    CU_ASSERT_PTR_NULL(ms_map_get(m, "zzzzzz"));
    size_t it = 0;
    CU_ASSERT_STRING_EQUAL(ms_map_next(m, &it, NULL), "room_1");
    ms_map_free(m);
}

static void test_map_empty_string_is_a_valid_key(void)
{
    struct ms_map *m = ms_map_new();
    ms_map_set(m, "", &vals[7]);
    CU_ASSERT_PTR_EQUAL(ms_map_get(m, ""), &vals[7]);
    CU_ASSERT_PTR_EQUAL(ms_map_del(m, ""), &vals[7]);
    CU_ASSERT_EQUAL(ms_map_len(m), 0);
    ms_map_free(m);
}

static void test_map_iterates_in_insertion_order(void)
{
    struct ms_map *m = ms_map_new();
    const char *keys[] = {"zeta", "alpha", "mu", "beta", "omega"};
    int idx[] = {0, 1, 2, 3, 4};
    for (int i = 0; i < 5; i++)
        ms_map_set(m, keys[i], &vals[i]);
    assert_order(m, keys, idx, 5);
    ms_map_free(m);
}

static void test_map_set_of_existing_key_keeps_its_position_and_replaces_value(void)
{
    struct ms_map *m = ms_map_new();
    ms_map_set(m, "a", &vals[0]);
    ms_map_set(m, "b", &vals[1]);
    ms_map_set(m, "c", &vals[2]);
    CU_ASSERT_EQUAL(ms_map_set(m, "a", &vals[9]), 0);
    const char *keys[] = {"a", "b", "c"};
    int idx[] = {9, 1, 2};
    assert_order(m, keys, idx, 3);
    CU_ASSERT_EQUAL(ms_map_len(m), 3);
    ms_map_free(m);
}

static void test_map_del_returns_value_and_forgets_key(void)
{
    struct ms_map *m = ms_map_new();
    ms_map_set(m, "a", &vals[0]);
    ms_map_set(m, "b", &vals[1]);
    CU_ASSERT_PTR_EQUAL(ms_map_del(m, "a"), &vals[0]);
    CU_ASSERT_PTR_NULL(ms_map_get(m, "a"));
    CU_ASSERT_PTR_NULL(ms_map_del(m, "a"));
    CU_ASSERT_PTR_EQUAL(ms_map_get(m, "b"), &vals[1]);
    CU_ASSERT_EQUAL(ms_map_len(m), 1);
    ms_map_free(m);
}

static void test_map_reinserted_key_goes_to_the_end(void)
{
    struct ms_map *m = ms_map_new();
    ms_map_set(m, "a", &vals[0]);
    ms_map_set(m, "b", &vals[1]);
    ms_map_set(m, "c", &vals[2]);
    ms_map_del(m, "a");
    ms_map_set(m, "a", &vals[3]);
    const char *keys[] = {"b", "c", "a"};
    int idx[] = {1, 2, 3};
    assert_order(m, keys, idx, 3);
    ms_map_free(m);
}

static void test_map_deleting_the_returned_key_during_iteration_is_allowed(void)
{
    struct ms_map *m = ms_map_new();
    char key[32];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        ms_map_set(m, key, &vals[i]);
    }
    /* Delete every even key while walking; every key must be visited exactly once, in order. */
    size_t it = 0;
    void *v;
    const char *k;
    int seen = 0;
    while ((k = ms_map_next(m, &it, &v))) {
        snprintf(key, sizeof(key), "k%d", seen);
        CU_ASSERT_STRING_EQUAL(k, key);
        CU_ASSERT_PTR_EQUAL(v, &vals[seen]);
        if (seen % 2 == 0)
            CU_ASSERT_PTR_EQUAL(ms_map_del(m, k), &vals[seen]);
        seen++;
    }
    CU_ASSERT_EQUAL(seen, 100);
    CU_ASSERT_EQUAL(ms_map_len(m), 50);
    it = 0;
    int n = 0;
    while ((k = ms_map_next(m, &it, &v))) {
        snprintf(key, sizeof(key), "k%d", 2 * n + 1);
        CU_ASSERT_STRING_EQUAL(k, key);
        n++;
    }
    CU_ASSERT_EQUAL(n, 50);
    ms_map_free(m);
}

static void test_map_deleting_every_key_during_iteration_empties_it(void)
{
    struct ms_map *m = ms_map_new();
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "client-%d", i);
        ms_map_set(m, key, &vals[i]);
    }
    size_t it = 0;
    const char *k;
    int n = 0;
    while ((k = ms_map_next(m, &it, NULL))) {
        ms_map_del(m, k);
        n++;
    }
    CU_ASSERT_EQUAL(n, 1000);
    CU_ASSERT_EQUAL(ms_map_len(m), 0);
    it = 0;
    CU_ASSERT_PTR_NULL(ms_map_next(m, &it, NULL));
    ms_map_free(m);
}

static void test_map_grows_past_several_thousand_keys(void)
{
    struct ms_map *m = ms_map_new();
    char key[32];
    enum { N = 10000 };
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "workflow_%d", i);
        CU_ASSERT_EQUAL_FATAL(ms_map_set(m, key, &vals[i]), 0);
    }
    CU_ASSERT_EQUAL(ms_map_len(m), N);
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "workflow_%d", i);
        CU_ASSERT_PTR_EQUAL_FATAL(ms_map_get(m, key), &vals[i]);
    }
    size_t it = 0;
    const char *k;
    int i = 0;
    while ((k = ms_map_next(m, &it, NULL))) {
        snprintf(key, sizeof(key), "workflow_%d", i++);
        CU_ASSERT_STRING_EQUAL_FATAL(k, key);
    }
    CU_ASSERT_EQUAL(i, N);
    snprintf(key, sizeof(key), "workflow_%d", N);
    CU_ASSERT_PTR_NULL(ms_map_get(m, key));
    ms_map_free(m);
}

static void test_map_survives_churn_of_inserts_and_deletes(void)
{
    /* A sliding window of 500 live keys over 20000 inserted ones: tombstones must be reclaimed and
     * lookups of live and dead keys stay right throughout. */
    struct ms_map *m = ms_map_new();
    char key[32];
    enum { N = 20000, W = 500 };
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "c%d", i);
        CU_ASSERT_EQUAL_FATAL(ms_map_set(m, key, &vals[i % 10000]), 0);
        if (i >= W) {
            snprintf(key, sizeof(key), "c%d", i - W);
            CU_ASSERT_PTR_EQUAL_FATAL(ms_map_del(m, key), &vals[(i - W) % 10000]);
        }
    }
    CU_ASSERT_EQUAL(ms_map_len(m), W);
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "c%d", i);
        void *want = i < N - W ? NULL : &vals[i % 10000];
        CU_ASSERT_PTR_EQUAL_FATAL(ms_map_get(m, key), want);
    }
    size_t it = 0;
    const char *k;
    int i = N - W;
    while ((k = ms_map_next(m, &it, NULL))) {
        snprintf(key, sizeof(key), "c%d", i++);
        CU_ASSERT_STRING_EQUAL_FATAL(k, key);
    }
    CU_ASSERT_EQUAL(i, N);
    ms_map_free(m);
}

static void test_map_clear_removes_every_key_and_map_stays_usable(void)
{
    struct ms_map *m = ms_map_new();
    char key[32];
    for (int i = 0; i < 300; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        ms_map_set(m, key, &vals[i]);
    }
    ms_map_clear(m);
    CU_ASSERT_EQUAL(ms_map_len(m), 0);
    CU_ASSERT_PTR_NULL(ms_map_get(m, "k1"));
    size_t it = 0;
    CU_ASSERT_PTR_NULL(ms_map_next(m, &it, NULL));
    ms_map_set(m, "k299", &vals[1]);
    ms_map_set(m, "new", &vals[2]);
    const char *keys[] = {"k299", "new"};
    int idx[] = {1, 2};
    assert_order(m, keys, idx, 2);
    ms_map_free(m);
}

static void test_map_keys_with_colliding_prefixes_and_bytes_stay_distinct(void)
{
    struct ms_map *m = ms_map_new();
    const char *keys[] = {"a", "aa", "aaa", "b", "\xc3\xa9t\xc3\xa9", "a b", "A"};
    int idx[] = {0, 1, 2, 3, 4, 5, 6};
    for (int i = 0; i < 7; i++)
        ms_map_set(m, keys[i], &vals[i]);
    for (int i = 0; i < 7; i++)
        CU_ASSERT_PTR_EQUAL(ms_map_get(m, keys[i]), &vals[i]);
    assert_order(m, keys, idx, 7);
    ms_map_free(m);
}

static void test_map_null_value_is_stored_and_iterated(void)
{
    struct ms_map *m = ms_map_new();
    CU_ASSERT_EQUAL(ms_map_set(m, "nothing", NULL), 0);
    CU_ASSERT_EQUAL(ms_map_len(m), 1);
    size_t it = 0;
    void *v = &vals[0];
    CU_ASSERT_STRING_EQUAL(ms_map_next(m, &it, &v), "nothing");
    CU_ASSERT_PTR_NULL(v);
    ms_map_free(m);
}

static CU_TestInfo map_tests[] = {
    MS_TEST(test_map_new_map_is_empty),
    MS_TEST(test_map_get_returns_the_value_set),
    MS_TEST(test_map_copies_keys),
    MS_TEST(test_map_empty_string_is_a_valid_key),
    MS_TEST(test_map_iterates_in_insertion_order),
    MS_TEST(test_map_set_of_existing_key_keeps_its_position_and_replaces_value),
    MS_TEST(test_map_del_returns_value_and_forgets_key),
    MS_TEST(test_map_reinserted_key_goes_to_the_end),
    MS_TEST(test_map_deleting_the_returned_key_during_iteration_is_allowed),
    MS_TEST(test_map_deleting_every_key_during_iteration_empties_it),
    MS_TEST(test_map_grows_past_several_thousand_keys),
    MS_TEST(test_map_survives_churn_of_inserts_and_deletes),
    MS_TEST(test_map_clear_removes_every_key_and_map_stays_usable),
    MS_TEST(test_map_keys_with_colliding_prefixes_and_bytes_stay_distinct),
    MS_TEST(test_map_null_value_is_stored_and_iterated),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"ms_map", NULL, NULL, NULL, NULL, map_tests},
    CU_SUITE_INFO_NULL,
};
