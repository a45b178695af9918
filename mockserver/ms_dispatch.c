/* ms_dispatch -- the endpoints' answers to client messages (PROTOCOL.md 2.1-2.4), without I/O. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ms_dispatch.h"
#include "ms_pyjson.h"
#include "ms_render.h"

/* Makes text (owned, NULL after OOM: then nothing is sent) the reply. */
static enum ms_dispatch_verb reply(struct ms_dispatch *out, char *text)
{
    out->reply = text;
    out->verb = text ? MS_DISPATCH_REPLY : MS_DISPATCH_SILENT;
    return out->verb;
}

/* The workflow endpoint's control message (PROTOCOL.md 2.1). */
static char *control_reply(const char *id, enum ms_profile profile, struct ms_coord *coord,
                           const cJSON *msg)
{
    if (profile != MS_PROFILE_COORDINATOR)
        return ms_render_error_reply("Coordinator not available");
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(msg, "action");
    const char *a = cJSON_IsString(action) ? action->valuestring : NULL;
    char text[MS_ROUTE_PARAM_MAX + 128];
    if (a && !strcmp(a, "cancel")) {
        if (coord && ms_coord_cancel(coord, id) == 0) {
            snprintf(text, sizeof(text), "Workflow %s cancelled", id);
            return ms_render_control_response("cancel", "success", text);
        }
        snprintf(text, sizeof(text), "Control action failed: Workflow '%s' not found", id);
        return ms_render_error_reply(text);
    }
    if (a && !strcmp(a, "pause"))
        return ms_render_control_response("pause", "not_implemented",
                                          "Pause functionality not yet implemented");
    if (a && !strcmp(a, "resume"))
        return ms_render_control_response("resume", "not_implemented",
                                          "Resume functionality not yet implemented");
    char *s = ms_pyjson_str(action), *m = NULL, *r = NULL;
    if (s && asprintf(&m, "Unknown action: %s", s) < 0)
        m = NULL;
    if (m)
        r = ms_render_error_reply(m);
    free(m);
    free(s);
    return r;
}

enum ms_dispatch_verb ms_dispatch_enhanced(enum ms_endpoint ep, const char *param,
                                           enum ms_profile profile, struct ms_coord *coord,
                                           const char *text, size_t len, int binary,
                                           struct ms_dispatch *out)
{
    *out = (struct ms_dispatch){MS_DISPATCH_SILENT, NULL, NULL};
    if (binary) { /* receive_text() raises KeyError('text'): the endpoint returns, no close frame */
        out->verb = MS_DISPATCH_DROP;
        return out->verb;
    }
    cJSON *msg = ms_pyjson_parse(text, len, NULL, 0);
    if (!msg) {
        if (ep == MS_EP_WORKFLOW) /* only the workflow endpoint answers bad JSON */
            return reply(out, ms_render_error_reply("Invalid JSON format"));
        return out->verb;
    }
    if (!cJSON_IsObject(msg)) { /* message.get() raises AttributeError: the endpoint returns */
        cJSON_Delete(msg);
        out->verb = MS_DISPATCH_DROP;
        return out->verb;
    }
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(msg, "type");
    const char *t = cJSON_IsString(type) ? type->valuestring : "";
    if (!strcmp(t, "ping")) {
        reply(out, ms_render_pong());
    } else if (ep == MS_EP_WORKFLOW && !strcmp(t, "control")) {
        reply(out, control_reply(param, profile, coord, msg));
    } else if (ep == MS_EP_COORDINATOR && !strcmp(t, "get_metrics") &&
               profile == MS_PROFILE_COORDINATOR) {
        cJSON *m = coord ? ms_coord_metrics(coord) : NULL;
        if (m)
            reply(out, ms_render_coordinator_metrics(NULL, m));
        cJSON_Delete(m);
    }
    /* everything else is silently ignored, as the real endpoints do */
    cJSON_Delete(msg);
    return out->verb;
}

/* {"type":"error","message":"Error processing message: <what>"} */
static enum ms_dispatch_verb processing_error(struct ms_dispatch *out, const char *what)
{
    char *m = NULL;
    if (asprintf(&m, "Error processing message: %s", what) < 0)
        return reply(out, NULL);
    reply(out, ms_render_error_reply(m));
    free(m);
    return out->verb;
}

/* Python's truthiness of a JSON value (None, false, 0, 0.0, "", [], {} are false). */
static int truthy(const cJSON *v)
{
    if (!v || cJSON_IsNull(v) || cJSON_IsFalse(v))
        return 0;
    if (cJSON_IsString(v))
        return v->valuestring[0] != '\0';
    if (cJSON_IsArray(v) || cJSON_IsObject(v))
        return v->child != NULL;
    if (ms_pyjson_is_number(v))
        return ms_pyjson_number(v) != 0.0;
    return 1;
}

/* subscribe / unsubscribe with a hashable topic: the verb, the topic and the info reply. */
static void topic_action(struct ms_dispatch *out, const char *a, const cJSON *topic)
{
    char *t = ms_pyjson_str(topic), *m = NULL;
    if (!t)
        return; /* OOM: nothing happens */
    int sub = a[0] == 's';
    out->verb = sub ? MS_DISPATCH_SUBSCRIBE : MS_DISPATCH_UNSUBSCRIBE;
    out->topic = t;
    if (asprintf(&m, "%s%s", sub ? "Subscribed to topic: " : "Unsubscribed from topic: ", t) >= 0)
        out->reply = ms_render_info(m, NULL);
    free(m);
}

enum ms_dispatch_verb ms_dispatch_legacy(const char *text, size_t len, int binary,
                                         struct ms_dispatch *out)
{
    *out = (struct ms_dispatch){MS_DISPATCH_SILENT, NULL, NULL};
    if (binary) /* receive_text() raises KeyError('text'); the legacy loop catches it */
        return processing_error(out, "'text'");
    char err[256];
    cJSON *msg = ms_pyjson_parse(text, len, err, sizeof(err));
    if (!msg)
        return processing_error(out, err);
    if (!cJSON_IsObject(msg)) {
        char what[96];
        snprintf(what, sizeof(what), "'%s' object has no attribute 'get'",
                 ms_pyjson_type_name(msg));
        cJSON_Delete(msg);
        return processing_error(out, what);
    }
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(msg, "action");
    const cJSON *topic = cJSON_GetObjectItemCaseSensitive(msg, "topic");
    const char *a = cJSON_IsString(action) ? action->valuestring : NULL;
    /* `elif action == "subscribe" and topic:` -- without a truthy topic it is an unknown action */
    if (a && !strcmp(a, "ping")) {
        reply(out, ms_render_info("pong", NULL));
    } else if (a && (!strcmp(a, "subscribe") || !strcmp(a, "unsubscribe")) && truthy(topic)) {
        if (cJSON_IsArray(topic) || cJSON_IsObject(topic)) { /* a set member must be hashable */
            char what[64];
            snprintf(what, sizeof(what), "unhashable type: '%s'", ms_pyjson_type_name(topic));
            processing_error(out, what);
        } else {
            topic_action(out, a, topic);
        }
    } else {
        char *s = ms_pyjson_str(action), *m = NULL;
        if (s && asprintf(&m, "Unknown action: %s", s) >= 0)
            reply(out, ms_render_error_reply(m));
        free(m);
        free(s);
    }
    cJSON_Delete(msg);
    return out->verb;
}

void ms_dispatch_free(struct ms_dispatch *d)
{
    free(d->reply);
    free(d->topic);
    *d = (struct ms_dispatch){MS_DISPATCH_SILENT, NULL, NULL};
}
