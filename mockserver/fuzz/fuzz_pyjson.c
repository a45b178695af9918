/* fuzz_pyjson -- ms_pyjson_parse() on any text; what parses prints, re-parses and re-prints alike.
 */
#include "fuzz_target.h"
#include "ms_pyjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[128];
    memset(err, 'x', sizeof(err));
    cJSON *v = ms_pyjson_parse((const char *)data, size, err, sizeof(err));
    if (!v) {
        FUZZ_CHECK(fuzz_err_ok(err, sizeof(err)));
        return 0;
    }
    FUZZ_CHECK(ms_pyjson_type_name(v) != NULL);
    char *p1 = ms_pyjson_print(v);
    FUZZ_CHECK(p1 != NULL);
    /* The compact text is what Python's json.dumps writes: it parses back to the same text. */
    cJSON *w = ms_pyjson_parse(p1, strlen(p1), err, sizeof(err));
    if (!w)
        fprintf(stderr, "printed text does not parse: %s\n%s\n", err, p1);
    FUZZ_CHECK(w != NULL);
    char *p2 = ms_pyjson_print(w);
    FUZZ_CHECK(p2 != NULL && strcmp(p1, p2) == 0);
    /* A deep copy prints the same. */
    cJSON *d = ms_pyjson_dup(v);
    FUZZ_CHECK(d != NULL);
    char *p3 = ms_pyjson_print(d);
    FUZZ_CHECK(p3 != NULL && strcmp(p1, p3) == 0);
    /* str() and the number accessors work on every value. */
    char *s = ms_pyjson_str(v);
    FUZZ_CHECK(s != NULL);
    if (ms_pyjson_is_number(v)) {
        (void)ms_pyjson_number(v);
        (void)ms_pyjson_is_int(v);
    }
    for (const cJSON *m = v->child; m; m = m->next) {
        char *ms = ms_pyjson_str(m);
        FUZZ_CHECK(ms != NULL);
        free(ms);
        if (ms_pyjson_is_number(m)) {
            char buf[64];
            FUZZ_CHECK(ms_pyfloat_repr(ms_pyjson_number(m), buf, sizeof(buf)) > 0);
        }
    }
    free(s);
    free(p3);
    cJSON_Delete(d);
    free(p2);
    cJSON_Delete(w);
    free(p1);
    cJSON_Delete(v);
    return 0;
}
