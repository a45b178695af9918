/* fuzz_tap -- a proxied TCP conversation through ms_tap; the recording renders to a scenario. */
#include "fuzz_target.h"
#include "ms_recording.h"
#include "ms_scenario.h"
#include "ms_tap.h"

/*
 * Input: a list of chunks. Each starts with one control byte: bit 0 the direction (0 client,
 * 1 server), bit 1 "then that side ends" (EOF), bits 2-7 a length L; the next L * 4 + 1 bytes (or
 * what is left) are the data. Time advances 1 ms per chunk.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ms_recording *rec = ms_recording_new();
    FUZZ_CHECK(rec != NULL);
    struct ms_tap *tap = ms_tap_new(rec);
    FUZZ_CHECK(tap != NULL);
    int64_t t = 1000000;
    int client_eof = 0, server_eof = 0;
    for (size_t off = 0; off < size;) {
        unsigned c = data[off++];
        size_t n = (size_t)(c >> 2) * 4 + 1;
        if (n > size - off)
            n = size - off;
        t += 1000;
        if ((c & 1) && !server_eof) /* nothing arrives from a side after its end */
            ms_tap_server_data(tap, data + off, n, t);
        else if (!(c & 1) && !client_eof)
            ms_tap_client_data(tap, data + off, n, t);
        off += n;
        if ((c & 2) && (c & 1) && !server_eof) {
            ms_tap_server_eof(tap, t);
            server_eof = 1;
        } else if ((c & 2) && !(c & 1) && !client_eof) {
            ms_tap_client_eof(tap, t);
            client_eof = 1;
        }
    }
    const char *problem = ms_tap_problem(tap);
    FUZZ_CHECK(problem == NULL || problem[0] != '\0');
    ms_tap_free(tap);

    struct ms_recording_stats st;
    ms_recording_stats(rec, &st);
    FUZZ_CHECK(st.accepted + st.refused + st.reset + st.unanswered == st.upgrades);
    char *text = ms_recording_render(rec, "fuzz", "Recorded from fuzz");
    FUZZ_CHECK(text != NULL);
    struct ms_diag d = {0};
    struct ms_scenario *s = ms_scenario_parse(text, strlen(text), "recorded.json", &d);
    for (size_t i = 0; i < d.n; i++)
        fprintf(stderr, "recorded scenario: %s\n", d.lines[i]);
    FUZZ_CHECK(s != NULL && s->n_rules == st.upgrades);
    ms_scenario_free(s);
    ms_diag_free(&d);
    free(text);
    ms_recording_free(rec);
    return 0;
}
