/* fuzz_har -- ms_har_import() on any text; what imports renders to a scenario that loads. */
#include "fuzz_target.h"
#include "ms_err.h"
#include "ms_har.h"
#include "ms_recording.h"
#include "ms_scenario.h"

/* The recording written as a scenario (what `wsmock import-har` writes) must load. */
static void check_scenario(const struct ms_recording *rec)
{
    char *text = ms_recording_render(rec, "fuzz", "Recorded from fuzz.har");
    FUZZ_CHECK(text != NULL);
    struct ms_diag d = {0};
    struct ms_scenario *s = ms_scenario_parse(text, strlen(text), "imported.json", &d);
    for (size_t i = 0; i < d.n; i++)
        fprintf(stderr, "imported scenario: %s\n", d.lines[i]);
    FUZZ_CHECK(s != NULL);
    struct ms_recording_stats st;
    ms_recording_stats(rec, &st);
    FUZZ_CHECK(st.accepted + st.refused + st.reset + st.unanswered == st.upgrades);
    FUZZ_CHECK(s->n_rules == st.upgrades);
    ms_scenario_free(s);
    ms_diag_free(&d);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the date parser on the input's first line */
    char line[80];
    size_t n = 0;
    while (n < size && n < sizeof(line) - 1 && data[n] != '\n')
        n++;
    memcpy(line, data, n);
    line[n] = '\0';
    long long us = 0;
    int rt = ms_har_parse_time(line, &us);
    FUZZ_CHECK(rt == 0 || rt == MS_ERR_PARSE);

    struct ms_recording *rec = ms_recording_new();
    FUZZ_CHECK(rec != NULL);
    char source[64], started[40], err[200];
    memset(err, 'x', sizeof(err));
    int rc = ms_har_import((const char *)data, size, "fuzz.har", rec, source, sizeof(source),
                           started, sizeof(started), err, sizeof(err));
    if (rc) {
        FUZZ_CHECK(rc == MS_ERR_PARSE || rc == MS_ERR_INVALID || rc == MS_ERR_OOM);
        FUZZ_CHECK(fuzz_err_ok(err, sizeof(err)) && strncmp(err, "fuzz.har", 8) == 0);
    } else {
        FUZZ_CHECK(memchr(source, '\0', sizeof(source)) && memchr(started, '\0', sizeof(started)));
        check_scenario(rec);
    }
    ms_recording_free(rec);
    return 0;
}
