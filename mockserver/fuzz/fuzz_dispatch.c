/* fuzz_dispatch -- a client's text on every endpoint and profile: the reply is always valid JSON.
 */
#include "fuzz_target.h"
#include "ms_dispatch.h"
#include "ms_pyjson.h"
#include "ms_scenario.h"

/* The coordinator model the coordinator profile answers from (cancel changes it: one per input). */
static const char coord_spec[] =
    "{\"agents\":[{\"name\":\"screenwriter\",\"status\":\"busy\"}],"
    "\"workflows\":[{\"workflow_id\":\"wf-1\",\"state\":\"running\",\"progress\":0.5}],"
    "\"total_messages\":3,\"queue_size\":1,\"dead_letters\":0}";

/* A reply is one compact JSON object with a string "type", exactly as ms_pyjson prints it. */
static void check_reply(const char *reply)
{
    FUZZ_CHECK(reply != NULL);
    char err[128];
    cJSON *r = ms_pyjson_parse(reply, strlen(reply), err, sizeof(err));
    FUZZ_CHECK(r != NULL && cJSON_IsObject(r));
    FUZZ_CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r, "type")));
    char *again = ms_pyjson_print(r);
    FUZZ_CHECK(again != NULL && strcmp(again, reply) == 0);
    free(again);
    cJSON_Delete(r);
}

static void check(const struct ms_dispatch *d, enum ms_dispatch_verb v)
{
    FUZZ_CHECK(d->verb == v);
    switch (v) {
    case MS_DISPATCH_SILENT:
    case MS_DISPATCH_DROP:
        FUZZ_CHECK(d->reply == NULL && d->topic == NULL);
        break;
    case MS_DISPATCH_REPLY:
        FUZZ_CHECK(d->topic == NULL);
        check_reply(d->reply);
        break;
    case MS_DISPATCH_SUBSCRIBE:
    case MS_DISPATCH_UNSUBSCRIBE:
        FUZZ_CHECK(d->topic != NULL);
        check_reply(d->reply);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    char err[128];
    cJSON *spec = cJSON_Parse(coord_spec);
    FUZZ_CHECK(spec != NULL);
    static const enum ms_endpoint eps[] = {MS_EP_WORKFLOW, MS_EP_AGENT, MS_EP_COORDINATOR};
    static const char *const params[] = {"wf-1", "screenwriter", ""};
    static const enum ms_profile profiles[] = {MS_PROFILE_DEPLOYED, MS_PROFILE_COORDINATOR};
    for (size_t pi = 0; pi < 2; pi++) {
        struct ms_coord *co = ms_coord_new();
        FUZZ_CHECK(co != NULL);
        FUZZ_CHECK(ms_coord_load(co, spec, "2026-01-01T00:00:00", err, sizeof(err)) == 0);
        for (size_t e = 0; e < 3; e++) {
            struct ms_dispatch d;
            enum ms_dispatch_verb v =
                ms_dispatch_enhanced(eps[e], params[e], profiles[pi], co, text, size, 0, &d);
            check(&d, v);
            /* the agent and coordinator endpoints never answer with an error */
            if (eps[e] != MS_EP_WORKFLOW && v == MS_DISPATCH_REPLY)
                FUZZ_CHECK(strstr(d.reply, "\"type\":\"error\"") == NULL);
            FUZZ_CHECK(v != MS_DISPATCH_SUBSCRIBE && v != MS_DISPATCH_UNSUBSCRIBE);
            ms_dispatch_free(&d);
            FUZZ_CHECK(d.reply == NULL && d.topic == NULL);
        }
        ms_coord_free(co);
    }
    cJSON_Delete(spec);

    /* a binary frame: dropped by the enhanced endpoints, an error reply from the legacy one */
    struct ms_dispatch d;
    check(&d, ms_dispatch_enhanced(MS_EP_AGENT, "a", MS_PROFILE_DEPLOYED, NULL, text, size, 1, &d));
    FUZZ_CHECK(d.verb == MS_DISPATCH_DROP);
    ms_dispatch_free(&d);
    check(&d, ms_dispatch_legacy(text, size, 1, &d));
    FUZZ_CHECK(d.verb == MS_DISPATCH_REPLY);
    ms_dispatch_free(&d);

    /* the legacy endpoint answers every text message */
    check(&d, ms_dispatch_legacy(text, size, 0, &d));
    FUZZ_CHECK(d.verb != MS_DISPATCH_SILENT && d.verb != MS_DISPATCH_DROP);
    ms_dispatch_free(&d);

    /* scenario reply matching: a message contains itself (NaN equals nothing, as in Python) */
    cJSON *msg = ms_pyjson_parse(text, size, NULL, 0);
    char *printed = msg ? ms_pyjson_print(msg) : NULL;
    if (printed && !strstr(printed, "NaN")) {
        FUZZ_CHECK(ms_json_contains(msg, msg) == 1);
        cJSON *copy = ms_pyjson_dup(msg);
        FUZZ_CHECK(copy != NULL && ms_json_contains(msg, copy) == 1);
        cJSON_Delete(copy);
    }
    free(printed);
    cJSON_Delete(msg);
    return 0;
}
