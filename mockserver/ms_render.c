/* ms_render -- builds the backend's messages as cJSON trees and prints them the way Python does. */
#include <stdlib.h>
#include <string.h>
#include "ms_pyjson.h"
#include "ms_render.h"

/* Prints and frees obj; NULL obj (an earlier OOM) gives NULL. */
static char *finish(cJSON *obj)
{
    if (!obj)
        return NULL;
    char *s = ms_pyjson_print(obj);
    cJSON_Delete(obj);
    return s;
}

/* Adds a string, or null when s is NULL. Returns 0, or -1 on OOM. */
static int add_str(cJSON *obj, const char *key, const char *s)
{
    cJSON *v = s ? cJSON_CreateString(s) : cJSON_CreateNull();
    if (!v)
        return -1;
    cJSON_AddItemToObject(obj, key, v);
    return 0;
}

/* Adds a copy of v, or {} when v is NULL. Returns 0, or -1 on OOM. */
static int add_copy_or_empty(cJSON *obj, const char *key, const cJSON *v)
{
    cJSON *c = v ? ms_pyjson_dup(v) : cJSON_CreateObject();
    if (!c)
        return -1;
    cJSON_AddItemToObject(obj, key, c);
    return 0;
}

/* A new object with "type" set, or NULL on OOM. */
static cJSON *typed(const char *type)
{
    cJSON *o = cJSON_CreateObject();
    if (o && add_str(o, "type", type)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

char *ms_render_welcome(const char *ts, const char *client_id, const char *room)
{
    cJSON *o = typed("info");
    if (!o || add_str(o, "message", "Connected to ViMax WebSocket server") ||
        add_str(o, "timestamp", ts) || add_str(o, "client_id", client_id) ||
        add_str(o, "room", room))
        goto fail;
    return finish(o);
fail:
    cJSON_Delete(o);
    return NULL;
}

char *ms_render_heartbeat(const char *ts)
{
    cJSON *o = typed("heartbeat");
    if (!o || add_str(o, "timestamp", ts))
        goto fail;
    return finish(o);
fail:
    cJSON_Delete(o);
    return NULL;
}

char *ms_render_pong(void)
{
    return finish(typed("pong"));
}

char *ms_render_error_reply(const char *message)
{
    cJSON *o = typed("error");
    if (!o || add_str(o, "message", message))
        goto fail;
    return finish(o);
fail:
    cJSON_Delete(o);
    return NULL;
}

char *ms_render_info(const char *message, const char *ts)
{
    cJSON *o = typed("info");
    if (!o || add_str(o, "message", message) || (ts && add_str(o, "timestamp", ts)))
        goto fail;
    return finish(o);
fail:
    cJSON_Delete(o);
    return NULL;
}

char *ms_render_progress(const char *workflow_id, const char *ts, const char *state,
                         double progress, const char *stage, const char *message,
                         const cJSON *details)
{
    cJSON *o = typed("progress");
    if (!o || add_str(o, "workflow_id", workflow_id) || add_str(o, "timestamp", ts) ||
        add_str(o, "state", state) || !ms_pyjson_add_float(o, "progress", progress) ||
        add_str(o, "stage", stage) || add_str(o, "message", message) ||
        add_copy_or_empty(o, "details", details))
        goto fail;
    return finish(o);
fail:
    cJSON_Delete(o);
    return NULL;
}

char *ms_render_agent_status(const char *agent_name, const char *ts, const char *status,
                             const cJSON *metrics)
{
    cJSON *o = typed("agent_status");
    if (!o || add_str(o, "agent_name", agent_name) || add_str(o, "timestamp", ts) ||
        add_str(o, "status", status) || add_copy_or_empty(o, "metrics", metrics))
        goto fail;
    return finish(o);
fail:
    cJSON_Delete(o);
    return NULL;
}

char *ms_render_agent_status_object(const char *agent_name, const cJSON *status)
{
    cJSON *o = typed("agent_status");
    if (!o || add_str(o, "agent_name", agent_name) || add_copy_or_empty(o, "status", status))
        goto fail;
    return finish(o);
fail:
    cJSON_Delete(o);
    return NULL;
}

/* Appends copies of src's members to dst; a key dst already has keeps its place and takes the
 * value. */
static int merge_members(cJSON *dst, const cJSON *src)
{
    for (const cJSON *m = src ? src->child : NULL; m; m = m->next) {
        cJSON *c = ms_pyjson_dup(m);
        if (!c)
            return -1;
        if (cJSON_GetObjectItemCaseSensitive(dst, m->string))
            cJSON_ReplaceItemInObjectCaseSensitive(dst, m->string, c);
        else
            cJSON_AddItemToObject(dst, m->string, c);
    }
    return 0;
}

char *ms_render_coordinator_metrics(const char *ts, const cJSON *metrics)
{
    cJSON *o = typed("coordinator_metrics");
    if (!o || (ts && add_str(o, "timestamp", ts)) || merge_members(o, metrics))
        goto fail;
    return finish(o);
fail:
    cJSON_Delete(o);
    return NULL;
}

char *ms_render_error_broadcast(const char *target_type, const char *target_id, const char *message,
                                const char *error_type, int retryable, const cJSON *details,
                                const char *ts)
{
    cJSON *o = typed("error");
    if (!o || add_str(o, "target_type", target_type) || add_str(o, "target_id", target_id) ||
        add_str(o, "message", message) || add_str(o, "error_type", error_type) ||
        !cJSON_AddBoolToObject(o, "retryable", retryable) ||
        add_copy_or_empty(o, "details", details) || add_str(o, "timestamp", ts))
        goto fail;
    return finish(o);
fail:
    cJSON_Delete(o);
    return NULL;
}

char *ms_render_status(const char *workflow_id, const cJSON *status)
{
    cJSON *o = typed("status");
    if (!o || add_str(o, "workflow_id", workflow_id) || add_copy_or_empty(o, "status", status))
        goto fail;
    return finish(o);
fail:
    cJSON_Delete(o);
    return NULL;
}

char *ms_render_control_response(const char *action, const char *status, const char *message)
{
    cJSON *o = typed("control_response");
    if (!o || add_str(o, "action", action) || add_str(o, "status", status) ||
        add_str(o, "message", message))
        goto fail;
    return finish(o);
fail:
    cJSON_Delete(o);
    return NULL;
}

char *ms_render_progress_data(const char *workflow_id, const char *ts, const cJSON *data)
{
    cJSON *o = typed("progress");
    if (!o || add_str(o, "workflow_id", workflow_id) || add_str(o, "timestamp", ts) ||
        merge_members(o, data))
        goto fail;
    return finish(o);
fail:
    cJSON_Delete(o);
    return NULL;
}
