/* ms_emit -- one table of protocol message kinds: which fields each takes and how it renders. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ms_emit.h"
#include "ms_pyjson.h"
#include "ms_render.h"

/* Field rules: name, type ('s' string, 'z' string or null, 'n' number, 'i' int, 'b' bool,
 * 'o' object), required (2: required unless a connection supplies it). */
struct field {
    const char *name;
    char type;
    int required;
};

static const struct field progress_fields[] = {
    {"workflow_id", 's', 2}, {"state", 's', 1},   {"progress", 'n', 0}, {"stage", 'z', 0},
    {"message", 'z', 0},     {"details", 'o', 0}, {NULL, 0, 0}};
static const struct field agent_fields[] = {
    {"agent_name", 's', 2}, {"status", 's', 1}, {"metrics", 'o', 0}, {NULL, 0, 0}};
static const struct field metrics_fields[] = {
    {"total_messages", 'i', 0},    {"total_workflows", 'i', 0},
    {"registered_agents", 'i', 0}, {"healthy_agents", 'i', 0},
    {"active_workflows", 'i', 0},  {"queue_size", 'i', 0},
    {"dead_letters", 'i', 0},      {NULL, 0, 0}};
static const struct field error_fields[] = {
    {"target_type", 's', 1}, {"target_id", 's', 1}, {"message", 's', 1}, {"error_type", 's', 0},
    {"retryable", 'b', 0},   {"details", 'o', 0},   {NULL, 0, 0}};
static const struct field error_reply_fields[] = {{"message", 's', 1}, {NULL, 0, 0}};
static const struct field status_fields[] = {
    {"workflow_id", 's', 2}, {"status", 'o', 1}, {NULL, 0, 0}};
static const struct field info_fields[] = {
    {"message", 's', 1}, {"timestamp", 'b', 0}, {NULL, 0, 0}};
static const struct field no_fields[] = {{NULL, 0, 0}};

static const struct kind {
    const char *name;
    const struct field *fields;
    int routed;
} kinds[] = {
    {"progress", progress_fields, 1},
    {"agent_status", agent_fields, 1},
    {"coordinator_metrics", metrics_fields, 1},
    {"error", error_fields, 1},
    {"error_reply", error_reply_fields, 0},
    {"status", status_fields, 0},
    {"info", info_fields, 0},
    {"welcome", no_fields, 0},
    {"heartbeat", no_fields, 0},
    {"pong", no_fields, 0},
};

static const struct kind *find_kind(const char *name)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (!strcmp(kinds[i].name, name))
            return &kinds[i];
    return NULL;
}

int ms_emit_known(const char *kind, int *routed)
{
    const struct kind *k = find_kind(kind);
    if (k && routed)
        *routed = k->routed;
    return k != NULL;
}

static int skipped(const char *const *skip, const char *name)
{
    for (; skip && *skip; skip++)
        if (!strcmp(*skip, name))
            return 1;
    return 0;
}

int ms_emit_check(const char *kind, const cJSON *obj, const char *const *skip, int with_ctx,
                  char *err, size_t errlen)
{
    const struct kind *k = find_kind(kind);
    if (!k) {
        snprintf(err, errlen, "unknown kind '%.100s'", kind);
        return -1;
    }
    for (const cJSON *m = obj->child; m; m = m->next) {
        if (skipped(skip, m->string))
            continue;
        const struct field *f = k->fields;
        while (f->name && strcmp(f->name, m->string))
            f++;
        if (!f->name) {
            snprintf(err, errlen, "unknown field '%s'", m->string);
            return -1;
        }
        int ok = 0;
        switch (f->type) {
        case 's':
            ok = cJSON_IsString(m);
            break;
        case 'z':
            ok = cJSON_IsString(m) || cJSON_IsNull(m);
            break;
        case 'n':
            ok = ms_pyjson_is_number(m);
            break;
        case 'i':
            ok = ms_pyjson_is_int(m);
            break;
        case 'b':
            ok = cJSON_IsBool(m);
            break;
        case 'o':
            ok = cJSON_IsObject(m);
            break;
        }
        if (!ok) {
            static const char *names[] = {
                ['s'] = "a string",   ['z'] = "a string or null", ['n'] = "a number",
                ['i'] = "an integer", ['b'] = "true or false",    ['o'] = "an object"};
            snprintf(err, errlen, "field '%s' must be %s", m->string,
                     names[(unsigned char)f->type]);
            return -1;
        }
    }
    for (const struct field *f = k->fields; f->name; f++) {
        if ((f->required == 1 || (f->required == 2 && !with_ctx)) &&
            !cJSON_GetObjectItemCaseSensitive(obj, f->name)) {
            snprintf(err, errlen, "missing field '%s'", f->name);
            return -1;
        }
    }
    if (!strcmp(kind, "error")) {
        const char *tt = ms_emit_str(obj, "target_type");
        if (tt && strcmp(tt, "coordinator") && strcmp(tt, "workflow") && strcmp(tt, "agent")) {
            snprintf(err, errlen, "field 'target_type' must be workflow, agent or coordinator");
            return -1;
        }
    }
    return 0;
}

const char *ms_emit_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *or_ctx(const cJSON *obj, const char *key, const char *dflt)
{
    const char *v = ms_emit_str(obj, key);
    return v ? v : dflt;
}

static char *render_metrics(const cJSON *obj, const char *ts)
{
    cJSON *m = cJSON_CreateObject();
    for (const struct field *f = metrics_fields; m && f->name; f++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, f->name);
        cJSON *item = v ? ms_pyjson_dup(v) : ms_pyjson_int(0);
        if (!item) {
            cJSON_Delete(m);
            return NULL;
        }
        cJSON_AddItemToObject(m, f->name, item);
    }
    char *text = m ? ms_render_coordinator_metrics(ts, m) : NULL;
    cJSON_Delete(m);
    return text;
}

char *ms_emit_render(const char *kind, const cJSON *obj, const char *ts,
                     const struct ms_emit_ctx *ctx)
{
    static const struct ms_emit_ctx none;
    if (!ctx)
        ctx = &none;
    if (!strcmp(kind, "progress")) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(obj, "progress");
        return ms_render_progress(or_ctx(obj, "workflow_id", ctx->workflow_id), ts,
                                  ms_emit_str(obj, "state"), p ? ms_pyjson_number(p) : 0.0,
                                  ms_emit_str(obj, "stage"), ms_emit_str(obj, "message"),
                                  cJSON_GetObjectItemCaseSensitive(obj, "details"));
    }
    if (!strcmp(kind, "agent_status"))
        return ms_render_agent_status(or_ctx(obj, "agent_name", ctx->agent_name), ts,
                                      ms_emit_str(obj, "status"),
                                      cJSON_GetObjectItemCaseSensitive(obj, "metrics"));
    if (!strcmp(kind, "coordinator_metrics"))
        return render_metrics(obj, ts);
    if (!strcmp(kind, "error")) {
        const char *et = ms_emit_str(obj, "error_type");
        return ms_render_error_broadcast(
            ms_emit_str(obj, "target_type"), ms_emit_str(obj, "target_id"),
            ms_emit_str(obj, "message"), et ? et : "Error",
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "retryable")),
            cJSON_GetObjectItemCaseSensitive(obj, "details"), ts);
    }
    if (!strcmp(kind, "error_reply"))
        return ms_render_error_reply(ms_emit_str(obj, "message"));
    if (!strcmp(kind, "status"))
        return ms_render_status(or_ctx(obj, "workflow_id", ctx->workflow_id),
                                cJSON_GetObjectItemCaseSensitive(obj, "status"));
    if (!strcmp(kind, "info"))
        return ms_render_info(
            ms_emit_str(obj, "message"),
            cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(obj, "timestamp")) ? NULL : ts);
    if (!strcmp(kind, "welcome"))
        return ctx->client_id ? ms_render_welcome(ts, ctx->client_id, ctx->room) : NULL;
    if (!strcmp(kind, "heartbeat"))
        return ms_render_heartbeat(ts);
    if (!strcmp(kind, "pong"))
        return ms_render_pong();
    return NULL;
}
