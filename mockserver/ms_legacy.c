/* ms_legacy -- the legacy router: /api/v1/ws/connect's action protocol, broadcast and publish. */
#include <stdlib.h>
#include <string.h>
#include "ms_dispatch.h"
#include "ms_pyjson.h"
#include "ms_render.h"
#include "ms_server.h"

#define HISTORY_GAP_MS 10

/* send_personal_message(text, client_id); text is borrowed (NULL: nothing is sent). */
static void send_text(struct ms_conn *c, const char *text)
{
    if (text)
        ms_server_send_to_client(c->srv, c->client_id, text);
}

/* The same, then frees text. */
static void reply(struct ms_conn *c, char *text)
{
    send_text(c, text);
    free(text);
}

/* Subscribes the client to topic, sends confirmation (borrowed), then the topic's history. */
static void subscribe(struct ms_conn *c, const char *topic, const char *confirmation)
{
    struct ms_server *srv = c->srv;
    ms_state_subscribe(srv->state, c->client_id, topic);
    send_text(c, confirmation);
    size_t n = ms_state_history_count(srv->state, topic);
    if (!n)
        return;
    char ts[32], *m = NULL;
    ms_server_now_iso(ts, sizeof(ts));
    if (asprintf(&m, "Sending %zu historical messages for topic: %s", n, topic) >= 0)
        reply(c, ms_render_info(m, ts));
    free(m);
    /* The history goes to this socket, 10 ms apart (the send follows the id's current socket in the
     * real server too, but a duplicate id during a replay is not worth modelling). */
    struct ms_client *cl = ms_state_client(srv->state, c->client_id);
    struct ms_conn *dst = cl && cl->conn ? cl->conn : NULL;
    for (size_t i = 0; dst && i < n; i++) {
        const char *h = ms_state_history_get(srv->state, topic, i);
        ms_conn_send_drip(dst, h, strlen(h), HISTORY_GAP_MS);
    }
}

void ms_legacy_on_message(struct ms_conn *c, const char *text, size_t len, int binary)
{
    struct ms_dispatch d;
    switch (ms_dispatch_legacy(text, len, binary, &d)) {
    case MS_DISPATCH_SUBSCRIBE:
        subscribe(c, d.topic, d.reply);
        break;
    case MS_DISPATCH_UNSUBSCRIBE:
        ms_state_unsubscribe(c->srv->state, c->client_id, d.topic);
        send_text(c, d.reply);
        break;
    case MS_DISPATCH_REPLY:
        send_text(c, d.reply);
        break;
    default:
        break;
    }
    ms_dispatch_free(&d);
}

/* FastAPI's 422 for a body that is not a JSON object (pydantic v2 wording). */
static int unprocessable(struct ms_conn *c, const char *type, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *d = cJSON_AddArrayToObject(o, "detail");
    cJSON *e = cJSON_CreateObject();
    if (!o || !d || !e) {
        cJSON_Delete(o);
        cJSON_Delete(e);
        return -1;
    }
    cJSON_AddStringToObject(e, "type", type);
    cJSON *loc = cJSON_AddArrayToObject(e, "loc");
    cJSON_AddItemToArray(loc, cJSON_CreateString("body"));
    cJSON_AddStringToObject(e, "msg", msg);
    cJSON_AddItemToArray(d, e);
    char *s = ms_pyjson_print(o);
    cJSON_Delete(o);
    return s ? ms_http_respond_owned(c, 422, "application/json", s, strlen(s)) : -1;
}

/* Parses the request body as a JSON object, or answers 422 and returns NULL (*rc set). */
static cJSON *body_object(struct ms_conn *c, int *rc)
{
    cJSON *b = c->http->body ? ms_pyjson_parse(c->http->body, c->http->body_len, NULL, 0) : NULL;
    if (!c->http->body_len) {
        *rc = unprocessable(c, "missing", "Field required");
    } else if (!b) {
        *rc = unprocessable(c, "json_invalid", "JSON decode error");
    } else if (!cJSON_IsObject(b)) {
        *rc = unprocessable(c, "dict_type", "Input should be a valid dictionary");
    } else {
        return b;
    }
    cJSON_Delete(b);
    return NULL;
}

static int respond_result(struct ms_conn *c, cJSON *o)
{
    char *s = o ? ms_pyjson_print(o) : NULL;
    cJSON_Delete(o);
    return s ? ms_http_respond_owned(c, 200, "application/json", s, strlen(s)) : -1;
}

int ms_legacy_http_broadcast(struct ms_conn *c)
{
    int rc = 0;
    cJSON *b = body_object(c, &rc);
    if (!b)
        return rc;
    char *text = ms_pyjson_print(b);
    cJSON_Delete(b);
    if (!text)
        return -1;
    size_t n = ms_server_send_to_all(c->srv, text);
    free(text);
    cJSON *o = cJSON_CreateObject();
    if (o) {
        cJSON_AddStringToObject(o, "message", "Broadcast sent");
        ms_pyjson_add_int(o, "recipients", (long long)n);
    }
    return respond_result(c, o);
}

int ms_legacy_http_publish(struct ms_conn *c, const char *topic)
{
    int rc = 0;
    cJSON *b = body_object(c, &rc);
    if (!b)
        return rc;
    if (!cJSON_GetObjectItemCaseSensitive(b, "timestamp")) {
        char ts[32];
        ms_server_now_iso(ts, sizeof(ts));
        cJSON_AddStringToObject(b, "timestamp", ts);
    }
    char *text = ms_pyjson_print(b);
    cJSON_Delete(b);
    if (!text)
        return -1;
    ms_state_history_push(c->srv->state, topic, text);
    size_t n;
    struct ms_client **subs = ms_state_topic_subscribers(c->srv->state, topic, &n);
    size_t sent = 0;
    for (size_t i = 0; subs && i < n; i++)
        if (subs[i]->conn && ms_conn_send(subs[i]->conn, text, strlen(text), 0) == 0)
            sent++;
    free(subs);
    free(text);
    cJSON *o = cJSON_CreateObject();
    if (o) {
        cJSON_AddStringToObject(o, "message", "Message published");
        cJSON_AddStringToObject(o, "topic", topic);
        ms_pyjson_add_int(o, "subscribers", (long long)sent);
    }
    return respond_result(c, o);
}
