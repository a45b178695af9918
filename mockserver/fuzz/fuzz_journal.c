/* fuzz_journal -- wh_journal_parse() on any JSON lines, then backoff's attempts judged by policy.
 */
#include "fuzz_target.h"
#include "ms_policy.h"
#include "wh_backoff.h"
#include "wh_journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wh_journal j;
    char err[160];
    memset(err, 'x', sizeof(err));
    if (wh_journal_parse((const char *)data, size, "fuzz.jsonl", &j, err, sizeof(err))) {
        FUZZ_CHECK(fuzz_err_ok(err, sizeof(err)));
        FUZZ_CHECK(strncmp(err, "fuzz.jsonl:", 11) == 0);
        FUZZ_CHECK(j.events == NULL);
        return 0;
    }
    FUZZ_CHECK(cJSON_IsArray(j.events));
    const cJSON *ev;
    cJSON_ArrayForEach(ev, j.events)
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(ev, "type");
        FUZZ_CHECK(cJSON_IsString(type) && strcmp(type->valuestring, "reset") != 0);
    }
    static const char *const paths[] = {"*", "/ws/*", "/ws/coordinator"};
    struct ms_policy p;
    FUZZ_CHECK(ms_policy_parse("initial=1000,factor=2,cap=30000,max=5,jitter=0.2", &p, err,
                               sizeof(err)) == 0);
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct wh_backoff_attempt *att = NULL;
        long n = wh_backoff_collect(j.events, paths[i], 0, &att);
        FUZZ_CHECK(n >= 0);
        FUZZ_CHECK(n <= cJSON_GetArraySize(j.events));
        struct ms_attempt *a = calloc((size_t)n + 1, sizeof(*a));
        struct ms_gap *gaps = calloc((size_t)n + 1, sizeof(*gaps));
        FUZZ_CHECK(a != NULL && gaps != NULL);
        for (long k = 0; k < n; k++) {
            FUZZ_CHECK(att[k].path != NULL);
            a[k] = att[k].a;
        }
        char reason[224];
        memset(reason, 'x', sizeof(reason));
        int v = ms_policy_check(&p, 1.0, a, (size_t)n, gaps, reason, sizeof(reason));
        FUZZ_CHECK(v >= -1 && v <= 1 && (v < 0) == (n < 2));
        FUZZ_CHECK(fuzz_err_ok(reason, sizeof(reason)));
        free(gaps);
        free(a);
        free(att);
    }
    wh_journal_free(&j);
    return 0;
}
