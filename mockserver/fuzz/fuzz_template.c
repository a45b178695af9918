/* fuzz_template -- ms_template on a template (line 1) with a client message (the rest) as {{msg}}.
 */
#include "fuzz_target.h"
#include "ms_pyjson.h"
#include "ms_template.h"

/* A reply's typical send value, with every kind of msg placeholder. */
static const char value_text[] =
    "{\"echo\":\"{{msg}}\",\"type\":\"{{msg.type}}\",\"deep\":\"{{msg.a.b}}\",\"obj\":\"{{msg.a}}"
    "\","
    "\"list\":[\"{{attempt}}\",\"n{{seq}}-{{conn}}\",\"{{msg.action}}\",{\"x\":\"{{now}}\"}],"
    "\"id\":\"{{client_id}}@{{path}}/{{workflow_id}}/{{agent_name}}#{{iteration}}\"}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    char *nl = strchr(text, '\n');
    const char *message = nl ? nl + 1 : "";
    if (nl)
        *nl = '\0';
    size_t mlen = nl ? size - (size_t)(nl + 1 - text) : 0;
    cJSON *msg = ms_pyjson_parse(message, mlen, NULL, 0);
    struct ms_tmpl_ctx t = {.now = "2026-11-25T19:49:16.468428",
                            .workflow_id = "wf-1",
                            .agent_name = NULL,
                            .client_id = "workflow_wf-1_00eb8f56",
                            .path = "/ws/workflow/wf-1",
                            .attempt = 3,
                            .conn = 7,
                            .seq = 2,
                            .iteration = 1,
                            .msg = msg,
                            .msg_text = message};

    char *s = ms_template_string(text, &t);
    FUZZ_CHECK(s != NULL);
    if (!strstr(text, "{{"))
        FUZZ_CHECK(strcmp(s, text) == 0); /* nothing to fill: copied as it is */
    free(s);

    cJSON *str = cJSON_CreateString(text);
    FUZZ_CHECK(str != NULL);
    cJSON *v = ms_template_value(str, &t);
    FUZZ_CHECK(v != NULL);
    char *p = ms_pyjson_print(v);
    FUZZ_CHECK(p != NULL);
    free(p);
    cJSON_Delete(v);
    cJSON_Delete(str);

    cJSON *tmpl = cJSON_Parse(value_text);
    FUZZ_CHECK(tmpl != NULL);
    v = ms_template_value(tmpl, &t);
    FUZZ_CHECK(v != NULL && cJSON_IsObject(v));
    p = ms_pyjson_print(v);
    FUZZ_CHECK(p != NULL);
    /* what a scenario sends is valid JSON */
    cJSON *back = ms_pyjson_parse(p, strlen(p), NULL, 0);
    FUZZ_CHECK(back != NULL);
    cJSON_Delete(back);
    free(p);
    cJSON_Delete(v);
    cJSON_Delete(tmpl);
    cJSON_Delete(msg);
    free(text);
    return 0;
}
