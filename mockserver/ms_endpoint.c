/* ms_endpoint -- the enhanced endpoints' behaviour: welcome, replay, and the answers ms_dispatch
 * decides (ping, control, get_metrics). */
#include <stdlib.h>
#include <string.h>
#include "ms_coord.h"
#include "ms_dispatch.h"
#include "ms_pyjson.h"
#include "ms_render.h"
#include "ms_server.h"

/* The broadcaster's replay pace: 10 ms between buffered messages, as the backend awaits. */
#define REPLAY_GAP_MS 10

/* send_personal_message(text, client_id), then frees text. */
static void reply(struct ms_conn *c, char *text)
{
    if (text)
        ms_server_send_to_client(c->srv, c->client_id, text);
    free(text);
}

static void send_coordinator_extras(struct ms_conn *c)
{
    struct ms_coord *co = c->srv->coord;
    switch (c->route.ep) {
    case MS_EP_WORKFLOW: {
        const cJSON *wf = ms_coord_workflow(co, c->route.param);
        if (wf) {
            reply(c, ms_render_status(c->route.param, wf));
            break;
        }
        cJSON *st = cJSON_CreateObject();
        if (st && cJSON_AddStringToObject(st, "state", "pending") &&
            cJSON_AddStringToObject(st, "message", "Workflow not started yet"))
            reply(c, ms_render_status(c->route.param, st));
        cJSON_Delete(st);
        break;
    }
    case MS_EP_AGENT: {
        /* The real server deadlocks here for a registered agent (PROTOCOL.md 2.2); the mock answers
         * with the status it would have sent. An unknown agent gets nothing. */
        const cJSON *ag = ms_coord_agent(co, c->route.param);
        if (ag)
            reply(c, ms_render_agent_status_object(c->route.param, ag));
        break;
    }
    case MS_EP_COORDINATOR: {
        cJSON *m = ms_coord_metrics(co);
        if (m)
            reply(c, ms_render_coordinator_metrics(NULL, m));
        cJSON_Delete(m);
        break;
    }
    default:
        break;
    }
}

void ms_endpoint_on_open(struct ms_conn *c)
{
    struct ms_server *srv = c->srv;
    char ts[32], room[MS_ROUTE_PARAM_MAX + 32];
    ms_server_now_iso(ts, sizeof(ts));
    int has_room = ms_route_room(&c->route, room, sizeof(room)) == 1;
    reply(c, ms_render_welcome(ts, c->client_id, has_room ? room : NULL));
    if (c->route.ep == MS_EP_WORKFLOW) {
        /* Replay the room's broadcaster buffer to this client only, 10 ms apart, original text. */
        size_t n = ms_state_buffer_count(srv->state, room);
        for (size_t i = 0; i < n; i++) {
            const char *m = ms_state_buffer_get(srv->state, room, i);
            ms_conn_send_drip(c, m, strlen(m), i ? REPLAY_GAP_MS : 0);
        }
    }
    if (srv->profile == MS_PROFILE_COORDINATOR)
        send_coordinator_extras(c);
}

void ms_endpoint_on_message(struct ms_conn *c, const char *text, size_t len, int binary)
{
    struct ms_dispatch d;
    switch (ms_dispatch_enhanced(c->route.ep, c->route.param, c->srv->profile, c->srv->coord, text,
                                 len, binary, &d)) {
    case MS_DISPATCH_REPLY:
        ms_server_send_to_client(c->srv, c->client_id, d.reply);
        break;
    case MS_DISPATCH_DROP:
        ms_conn_drop(c);
        break;
    default:
        break;
    }
    ms_dispatch_free(&d);
}
