/* test_ms_journal -- unit tests of the event journal: numbering, eviction, filters, queries,
 * mirror. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ms_journal.h"
#include "ms_time.h"
#include "ms_test.h"

/* A new event {"type":type,"path":path} (path omitted when NULL). */
static cJSON *event(const char *type, const char *path)
{
    cJSON *ev = cJSON_CreateObject();
    cJSON_AddStringToObject(ev, "type", type);
    if (path)
        cJSON_AddStringToObject(ev, "path", path);
    return ev;
}

/* Queries and compares with want. */
static void assert_query(const struct ms_journal *j, uint64_t since, const char *type,
                         const char *path, const char *want)
{
    struct ms_journal_filter f = {.since = since, .type = type, .path = path};
    char *got = ms_journal_query(j, &f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_STRING_EQUAL(got, want);
    if (strcmp(got, want))
        fprintf(stderr, "\n  got:  %s\n  want: %s\n", got, want);
    free(got);
}

/* A journal whose t_ms origin is 1000 (via reset, which also starts seq at 1). */
static struct ms_journal *journal(size_t capacity, FILE *mirror)
{
    struct ms_journal *j = ms_journal_new(capacity, mirror);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    ms_journal_reset(j, 1000);
    return j;
}

static void test_journal_rejects_zero_capacity(void)
{
    CU_ASSERT_PTR_NULL(ms_journal_new(0, NULL));
}

static void test_journal_new_journal_is_empty(void)
{
    struct ms_journal *j = ms_journal_new(4, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_EQUAL(ms_journal_last_seq(j), 0);
    struct ms_journal_filter f = {0};
    CU_ASSERT_FALSE(ms_journal_has(j, &f));
    assert_query(j, 0, NULL, NULL, "{\"events\":[],\"next\":0,\"dropped\":0}");
    ms_journal_free(j);
    ms_journal_free(NULL);
}

static void test_journal_t_ms_counts_from_creation(void)
{
    int64_t before = ms_time_mono_ms();
    struct ms_journal *j = ms_journal_new(4, NULL);
    int64_t after = ms_time_mono_ms();
    int64_t t = ms_journal_t_ms(j, after + 250);
    CU_ASSERT(t >= 250 && t <= 250 + (after - before));
    ms_journal_free(j);
}

static void test_journal_add_numbers_events_and_puts_seq_and_t_ms_first(void)
{
    struct ms_journal *j = journal(8, NULL);
    cJSON *ev = cJSON_CreateObject();
    cJSON_AddStringToObject(ev, "type", "upgrade");
    cJSON_AddStringToObject(ev, "path", "/ws/coordinator");
    cJSON_AddNumberToObject(ev, "attempt", 3);
    cJSON_AddStringToObject(ev, "outcome", "refused");
    CU_ASSERT_EQUAL(ms_journal_add(j, ev, 2532), 1);
    CU_ASSERT_EQUAL(ms_journal_add(j, event("open", "/ws/workflow/wf-1"), 2600), 2);
    CU_ASSERT_EQUAL(ms_journal_last_seq(j), 2);
    CU_ASSERT_EQUAL(ms_journal_t_ms(j, 3000), 2000);
    assert_query(j, 0, NULL, NULL,
                 "{\"events\":[{\"seq\":1,\"t_ms\":1532,\"type\":\"upgrade\","
                 "\"path\":\"/ws/coordinator\",\"attempt\":3,\"outcome\":\"refused\"},"
                 "{\"seq\":2,\"t_ms\":1600,\"type\":\"open\",\"path\":\"/ws/workflow/wf-1\"}],"
                 "\"next\":2,\"dropped\":0}");
    ms_journal_free(j);
}

static void test_journal_callers_own_seq_and_t_ms_do_not_duplicate_keys(void)
{
    struct ms_journal *j = journal(8, NULL);
    cJSON *ev = cJSON_CreateObject();
    cJSON_AddNumberToObject(ev, "seq", 99);
    cJSON_AddStringToObject(ev, "type", "frame");
    cJSON_AddNumberToObject(ev, "t_ms", 99);
    ms_journal_add(j, ev, 1005);
    assert_query(j, 0, NULL, NULL,
                 "{\"events\":[{\"seq\":1,\"t_ms\":5,\"type\":\"frame\"}],\"next\":1,"
                 "\"dropped\":0}");
    ms_journal_free(j);
}

static void test_journal_rejects_non_objects_without_using_a_seq(void)
{
    struct ms_journal *j = journal(8, NULL);
    CU_ASSERT_EQUAL(ms_journal_add(j, cJSON_CreateArray(), 1000), 0);
    CU_ASSERT_EQUAL(ms_journal_add(j, NULL, 1000), 0);
    CU_ASSERT_EQUAL(ms_journal_last_seq(j), 0);
    CU_ASSERT_EQUAL(ms_journal_add(j, event("open", NULL), 1000), 1);
    ms_journal_free(j);
}

static void test_journal_evicts_oldest_beyond_capacity_and_counts_dropped(void)
{
    struct ms_journal *j = journal(3, NULL);
    for (int i = 0; i < 5; i++)
        ms_journal_add(j, event("frame", NULL), 1000 + i);
    CU_ASSERT_EQUAL(ms_journal_last_seq(j), 5);
    assert_query(j, 0, NULL, NULL,
                 "{\"events\":[{\"seq\":3,\"t_ms\":2,\"type\":\"frame\"},"
                 "{\"seq\":4,\"t_ms\":3,\"type\":\"frame\"},"
                 "{\"seq\":5,\"t_ms\":4,\"type\":\"frame\"}],\"next\":5,\"dropped\":2}");
    assert_query(j, 1, NULL, NULL,
                 "{\"events\":[{\"seq\":3,\"t_ms\":2,\"type\":\"frame\"},"
                 "{\"seq\":4,\"t_ms\":3,\"type\":\"frame\"},"
                 "{\"seq\":5,\"t_ms\":4,\"type\":\"frame\"}],\"next\":5,\"dropped\":1}");
    assert_query(j, 2, NULL, NULL,
                 "{\"events\":[{\"seq\":3,\"t_ms\":2,\"type\":\"frame\"},"
                 "{\"seq\":4,\"t_ms\":3,\"type\":\"frame\"},"
                 "{\"seq\":5,\"t_ms\":4,\"type\":\"frame\"}],\"next\":5,\"dropped\":0}");
    assert_query(j, 4, NULL, NULL,
                 "{\"events\":[{\"seq\":5,\"t_ms\":4,\"type\":\"frame\"}],\"next\":5,"
                 "\"dropped\":0}");
    assert_query(j, 5, NULL, NULL, "{\"events\":[],\"next\":5,\"dropped\":0}");
    ms_journal_free(j);
}

static void test_journal_keeps_only_capacity_events_after_many_adds(void)
{
    struct ms_journal *j = journal(100, NULL);
    for (int i = 0; i < 10000; i++)
        CU_ASSERT_EQUAL_FATAL(ms_journal_add(j, event("frame", "/ws/coordinator"), 1000), i + 1);
    struct ms_journal_filter f = {0};
    char *text = ms_journal_query(j, &f);
    cJSON *q = cJSON_Parse(text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    cJSON *events = cJSON_GetObjectItem(q, "events");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(events), 100);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(events, 0), "seq")->valueint, 9901);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(events, 99), "seq")->valueint, 10000);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(q, "next")->valueint, 10000);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(q, "dropped")->valueint, 9900);
    cJSON_Delete(q);
    free(text);
    ms_journal_free(j);
}

/* Adds a mix of events used by the filter tests. */
static struct ms_journal *filter_fixture(void)
{
    struct ms_journal *j = journal(16, NULL);
    ms_journal_add(j, event("upgrade", "/ws/coordinator"), 1000);   /* 1 */
    ms_journal_add(j, event("open", "/ws/workflow/wf-1"), 1000);    /* 2 */
    ms_journal_add(j, event("frame", "/ws/workflow/wf-1"), 1000);   /* 3 */
    ms_journal_add(j, event("upgrade", "/ws/workflow/wf-2"), 1000); /* 4 */
    ms_journal_add(j, event("control", NULL), 1000);                /* 5 */
    cJSON *odd = cJSON_CreateObject();
    cJSON_AddNumberToObject(odd, "type", 7);
    cJSON_AddNumberToObject(odd, "path", 8);
    ms_journal_add(j, odd, 1000); /* 6: non-string type and path */
    return j;
}

static void test_journal_filters_by_type(void)
{
    struct ms_journal *j = filter_fixture();
    assert_query(j, 0, "upgrade", NULL,
                 "{\"events\":[{\"seq\":1,\"t_ms\":0,\"type\":\"upgrade\","
                 "\"path\":\"/ws/coordinator\"},{\"seq\":4,\"t_ms\":0,\"type\":\"upgrade\","
                 "\"path\":\"/ws/workflow/wf-2\"}],\"next\":6,\"dropped\":0}");
    assert_query(j, 1, "upgrade", NULL,
                 "{\"events\":[{\"seq\":4,\"t_ms\":0,\"type\":\"upgrade\","
                 "\"path\":\"/ws/workflow/wf-2\"}],\"next\":6,\"dropped\":0}");
    assert_query(j, 0, "upgrad", NULL, "{\"events\":[],\"next\":6,\"dropped\":0}");
    assert_query(j, 0, "7", NULL, "{\"events\":[],\"next\":6,\"dropped\":0}");
    ms_journal_free(j);
}

static void test_journal_filters_by_exact_path(void)
{
    struct ms_journal *j = filter_fixture();
    assert_query(j, 0, NULL, "/ws/workflow/wf-1",
                 "{\"events\":[{\"seq\":2,\"t_ms\":0,\"type\":\"open\","
                 "\"path\":\"/ws/workflow/wf-1\"},{\"seq\":3,\"t_ms\":0,\"type\":\"frame\","
                 "\"path\":\"/ws/workflow/wf-1\"}],\"next\":6,\"dropped\":0}");
    assert_query(j, 0, NULL, "/ws/workflow/", "{\"events\":[],\"next\":6,\"dropped\":0}");
    assert_query(j, 0, "frame", "/ws/workflow/wf-1",
                 "{\"events\":[{\"seq\":3,\"t_ms\":0,\"type\":\"frame\","
                 "\"path\":\"/ws/workflow/wf-1\"}],\"next\":6,\"dropped\":0}");
    ms_journal_free(j);
}

static void test_journal_path_ending_in_star_matches_a_prefix(void)
{
    struct ms_journal *j = filter_fixture();
    assert_query(j, 0, "upgrade", "/ws/workflow/*",
                 "{\"events\":[{\"seq\":4,\"t_ms\":0,\"type\":\"upgrade\","
                 "\"path\":\"/ws/workflow/wf-2\"}],\"next\":6,\"dropped\":0}");
    struct ms_journal_filter f = {.path = "/ws/workflow/*"};
    char *text = ms_journal_query(j, &f);
    cJSON *q = cJSON_Parse(text);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(q, "events")), 3);
    cJSON_Delete(q);
    free(text);
    /* A lone star matches every event that has a string path, and only those. */
    f.path = "*";
    text = ms_journal_query(j, &f);
    q = cJSON_Parse(text);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(q, "events")), 4);
    cJSON_Delete(q);
    free(text);
    /* The star is literal anywhere else. */
    assert_query(j, 0, NULL, "/ws/*/wf-1", "{\"events\":[],\"next\":6,\"dropped\":0}");
    ms_journal_free(j);
}

static void test_journal_has_reports_a_matching_kept_event(void)
{
    struct ms_journal *j = filter_fixture();
    struct ms_journal_filter f = {.type = "open"};
    CU_ASSERT_TRUE(ms_journal_has(j, &f));
    f.since = 2;
    CU_ASSERT_FALSE(ms_journal_has(j, &f));
    f = (struct ms_journal_filter){.type = "upgrade", .path = "/ws/workflow/*", .since = 3};
    CU_ASSERT_TRUE(ms_journal_has(j, &f));
    f.path = "/ws/coordinator";
    CU_ASSERT_FALSE(ms_journal_has(j, &f));
    f = (struct ms_journal_filter){.since = 6};
    CU_ASSERT_FALSE(ms_journal_has(j, &f));
    f.since = 5;
    CU_ASSERT_TRUE(ms_journal_has(j, &f));
    ms_journal_free(j);
}

static void test_journal_query_is_valid_json_for_events_with_quotes_and_newlines(void)
{
    static const char *const texts[] = {"{\"quote\":\"\\\"\"}", "line 1\nline 2\t\x01",
                                        "\xc3\xa9t\xc3\xa9 \xe2\x9c\x93"};
    struct ms_journal *j = journal(4, NULL);
    for (int i = 0; i < 3; i++) {
        cJSON *ev = event("frame", "/ws/workflow/a b");
        cJSON_AddStringToObject(ev, "text", texts[i]);
        ms_journal_add(j, ev, 1000);
    }
    struct ms_journal_filter f = {0};
    char *text = ms_journal_query(j, &f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    cJSON *q = cJSON_Parse(text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    cJSON *events = cJSON_GetObjectItem(q, "events");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(events), 3);
    for (int i = 0; i < 3; i++) {
        cJSON *e = cJSON_GetArrayItem(events, i);
        CU_ASSERT_EQUAL(cJSON_GetObjectItem(e, "seq")->valueint, i + 1);
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(e, "text")->valuestring, texts[i]);
    }
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(q, "next")->valueint, 3);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(q, "dropped")->valueint, 0);
    cJSON_Delete(q);
    free(text);
    ms_journal_free(j);
}

static void test_journal_reset_clears_events_and_restarts_seq_and_clock(void)
{
    struct ms_journal *j = journal(2, NULL);
    for (int i = 0; i < 5; i++)
        ms_journal_add(j, event("frame", NULL), 1100);
    ms_journal_reset(j, 5000);
    CU_ASSERT_EQUAL(ms_journal_last_seq(j), 0);
    CU_ASSERT_EQUAL(ms_journal_t_ms(j, 5000), 0);
    assert_query(j, 0, NULL, NULL, "{\"events\":[],\"next\":0,\"dropped\":0}");
    CU_ASSERT_EQUAL(ms_journal_add(j, event("open", NULL), 5007), 1);
    assert_query(j, 0, NULL, NULL,
                 "{\"events\":[{\"seq\":1,\"t_ms\":7,\"type\":\"open\"}],\"next\":1,"
                 "\"dropped\":0}");
    ms_journal_free(j);
}

/* Reads the whole file at path through a separate handle. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = calloc(1, 4096);
    size_t n = buf ? fread(buf, 1, 4095, f) : 0;
    (void)n;
    fclose(f);
    return buf;
}

static void test_journal_mirror_gets_one_flushed_line_per_event_and_reset(void)
{
    char path[] = "/tmp/test_ms_journal_XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    FILE *mirror = fdopen(fd, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mirror);
    struct ms_journal *j = ms_journal_new(1, mirror);
    ms_journal_add(j, event("open", "/ws/coordinator"), ms_time_mono_ms());
    ms_journal_reset(j, 100);
    ms_journal_add(j, event("close", NULL), 142);
    ms_journal_add(j, event("frame", NULL),
                   150); /* evicts "close" from memory, not from the file */
    char *text = slurp(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    const char *nl = strchr(text, '\n');
    CU_ASSERT_PTR_NOT_NULL_FATAL(nl);
    CU_ASSERT_NSTRING_EQUAL(text, "{\"seq\":1,\"t_ms\":", 16);
    CU_ASSERT_STRING_EQUAL(nl + 1, "{\"type\":\"reset\"}\n"
                                   "{\"seq\":1,\"t_ms\":42,\"type\":\"close\"}\n"
                                   "{\"seq\":2,\"t_ms\":50,\"type\":\"frame\"}\n");
    free(text);
    ms_journal_free(j);
    fclose(mirror);
    unlink(path);
}

static void test_journal_rendered_event_gets_seq_t_ms_and_filters_like_others(void)
{
    struct ms_journal *j = journal(10, NULL);
    ms_journal_add(j, event("open", "/ws/a"), 1001);
    static const char members[] = "\"type\":\"frame_out\",\"conn\":3,\"path\":\"/ws/a\"";
    CU_ASSERT_EQUAL(
        ms_journal_add_rendered(j, "frame_out", "/ws/a", members, strlen(members), 1007), 2);
    static const char other[] = "\"type\":\"frame_out\",\"path\":\"/ws/b\"";
    ms_journal_add_rendered(j, "frame_out", "/ws/b", other, strlen(other), 1009);
    assert_query(j, 0, "frame_out", "/ws/a",
                 "{\"events\":[{\"seq\":2,\"t_ms\":7,\"type\":\"frame_out\",\"conn\":3,"
                 "\"path\":\"/ws/a\"}],\"next\":3,\"dropped\":0}");
    assert_query(j, 2, NULL, NULL,
                 "{\"events\":[{\"seq\":3,\"t_ms\":9,\"type\":\"frame_out\",\"path\":\"/ws/b\"}],"
                 "\"next\":3,\"dropped\":0}");
    ms_journal_free(j);
}

static void test_journal_json_string_escapes_exactly_like_cjson(void)
{
    /* every byte value once (NUL excluded: cJSON strings end there), UTF-8 bytes pass through */
    unsigned char all[255];
    for (int i = 0; i < 255; i++)
        all[i] = (unsigned char)(i + 1);
    char *cstr = malloc(sizeof(all) + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cstr);
    memcpy(cstr, all, sizeof(all));
    cstr[sizeof(all)] = '\0';
    cJSON *s = cJSON_CreateString(cstr);
    char *want = cJSON_PrintUnformatted(s);
    size_t len = 0;
    char *got = ms_journal_json_string(all, sizeof(all), &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_STRING_EQUAL(got, want);
    CU_ASSERT_EQUAL(len, strlen(want));
    free(got);
    got = ms_journal_json_string((const unsigned char *)"", 0, &len);
    CU_ASSERT_STRING_EQUAL(got, "\"\"");
    CU_ASSERT_EQUAL(len, 2);
    free(got);
    free(want);
    free(cstr);
    cJSON_Delete(s);
}

static CU_TestInfo journal_tests[] = {
    MS_TEST(test_journal_rejects_zero_capacity),
    MS_TEST(test_journal_new_journal_is_empty),
    MS_TEST(test_journal_t_ms_counts_from_creation),
    MS_TEST(test_journal_add_numbers_events_and_puts_seq_and_t_ms_first),
    MS_TEST(test_journal_callers_own_seq_and_t_ms_do_not_duplicate_keys),
    MS_TEST(test_journal_rejects_non_objects_without_using_a_seq),
    MS_TEST(test_journal_evicts_oldest_beyond_capacity_and_counts_dropped),
    MS_TEST(test_journal_keeps_only_capacity_events_after_many_adds),
    MS_TEST(test_journal_filters_by_type),
    MS_TEST(test_journal_filters_by_exact_path),
    MS_TEST(test_journal_path_ending_in_star_matches_a_prefix),
    MS_TEST(test_journal_has_reports_a_matching_kept_event),
    MS_TEST(test_journal_query_is_valid_json_for_events_with_quotes_and_newlines),
    MS_TEST(test_journal_reset_clears_events_and_restarts_seq_and_clock),
    MS_TEST(test_journal_mirror_gets_one_flushed_line_per_event_and_reset),
    MS_TEST(test_journal_rendered_event_gets_seq_t_ms_and_filters_like_others),
    MS_TEST(test_journal_json_string_escapes_exactly_like_cjson),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"ms_journal", NULL, NULL, NULL, NULL, journal_tests},
    CU_SUITE_INFO_NULL,
};
