/* ms_state -- the backend's shared state: client registry, rooms, broadcaster maps and buffers,
 * topics. */
#ifndef MS_STATE_H
#define MS_STATE_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "ms_route.h"

/*
 * This models the Python objects of PROTOCOL.md section 3 exactly: ws_manager (active_connections
 * keyed by client_id, metadata, rooms of client ids in creation order, legacy topic subscriptions
 * and history) and progress_broadcaster (workflow -> room map, agent -> rooms map, a per-room
 * buffer of the last 50 messages that is never cleared). It does no I/O: the server sends, this
 * module decides who to. One ms_state exists per server.
 */

#define MS_STATE_BUFFER_MAX 50   /* broadcaster buffer per room */
#define MS_STATE_HISTORY_MAX 100 /* legacy topic history per topic */

/* One registered client_id (ws_manager.active_connections[client_id] + metadata). Owned by
 * ms_state. */
struct ms_client {
    char *id;
    void *conn; /* the connection that currently owns the id (borrowed; the last to connect) */
    enum ms_endpoint ep;
    char *param;           /* workflow_id or agent_name; NULL for coordinator and legacy */
    char *room;            /* the room joined; NULL for legacy */
    char connected_at[32]; /* utcnow().isoformat() at connect */
};

struct ms_state;

/* Returns a new empty state or NULL on OOM; free with ms_state_free(). */
struct ms_state *ms_state_new(void);
void ms_state_free(struct ms_state *st);
/* Forgets everything (registry, rooms, maps, buffers, topics, history), as a process restart would.
 */
void ms_state_reset(struct ms_state *st);

/*
 * ws_manager.connect + join_room + broadcaster subscribe, as an endpoint does after accept.
 * Registers client_id for conn. If the id is already registered (duplicate client_id,
 * PROTOCOL.md 3.1) the registration is overwritten: the record keeps its rooms and topics, its conn
 * becomes this conn, and *displaced (if non-NULL) receives the previous conn (else NULL). room may
 * be NULL (legacy). A new room is appended to the room order. For MS_EP_WORKFLOW the broadcaster
 * maps param -> room (if not mapped yet); for MS_EP_AGENT it adds room to param's room set. Returns
 * the record (owned by st) or NULL on OOM (nothing changed then).
 */
struct ms_client *ms_state_connect(struct ms_state *st, const char *client_id, void *conn,
                                   enum ms_endpoint ep, const char *param, const char *room,
                                   const char *connected_at, void **displaced);

/*
 * ws_manager.disconnect(client_id) followed by the endpoint's cleanup: removes the id from the
 * registry, its room (a room that becomes empty is deleted) and every topic it subscribed (empty
 * topics are deleted). If the room became empty: workflow -> the broadcaster forgets the workflow
 * mapping; agent -> the agent's room is removed (and the agent when it has no room left);
 * coordinator -> nothing. Buffers are never touched. Unknown ids are ignored. Returns 1 if the id
 * was registered, else 0.
 */
int ms_state_disconnect(struct ms_state *st, const char *client_id);

/* The record registered for client_id, or NULL. Borrowed until the next disconnect/reset. */
struct ms_client *ms_state_client(const struct ms_state *st, const char *client_id);
/* Number of registered ids (total_connections). */
size_t ms_state_client_count(const struct ms_state *st);

/*
 * Snapshot of a room's members in join order, or of every registered client (room == NULL), for a
 * broadcast. Returns a new array of borrowed record pointers (caller frees the array with free())
 * and its length in *n; NULL with *n = 0 when there is nobody (or on OOM: *n is then (size_t)-1).
 * The records stay valid until the next ms_state_disconnect/reset: copy ids if you disconnect while
 * walking the snapshot.
 */
struct ms_client **ms_state_members(const struct ms_state *st, const char *room, size_t *n);
/* Members of a room right now (0 if the room does not exist). */
size_t ms_state_room_size(const struct ms_state *st, const char *room);

/* The room the broadcaster maps a workflow to, or NULL (then broadcast_progress drops the message).
 */
const char *ms_state_workflow_room(const struct ms_state *st, const char *workflow_id);
/*
 * The rooms the broadcaster maps an agent to (NULL-terminated borrowed array, valid until the next
 * connect/disconnect/reset), or NULL if the agent has none (broadcast_agent_status drops the
 * message).
 */
const char *const *ms_state_agent_rooms(const struct ms_state *st, const char *agent_name);

/* Appends a rendered message to the room's broadcaster buffer, keeping the last
 * MS_STATE_BUFFER_MAX. The text is copied. Returns 0 or MS_ERR_OOM. */
int ms_state_buffer_push(struct ms_state *st, const char *room, const char *text);
/* Number of buffered messages for room, and the i-th oldest (borrowed, NULL if out of range). */
size_t ms_state_buffer_count(const struct ms_state *st, const char *room);
const char *ms_state_buffer_get(const struct ms_state *st, const char *room, size_t i);

/* Legacy topics. subscribe: adds the client to topic (creating it); 0, MS_ERR_NOT_FOUND (no such
 * client) or MS_ERR_OOM. unsubscribe: removes it (an empty topic is deleted); 0 or
 * MS_ERR_NOT_FOUND. */
int ms_state_subscribe(struct ms_state *st, const char *client_id, const char *topic);
int ms_state_unsubscribe(struct ms_state *st, const char *client_id, const char *topic);
/* Subscribers of a topic, as ms_state_members(). */
struct ms_client **ms_state_topic_subscribers(const struct ms_state *st, const char *topic,
                                              size_t *n);
/* Topic history (publish): push keeps the last MS_STATE_HISTORY_MAX (text copied; 0 or MS_ERR_OOM);
 * count/get as for buffers. History survives unsubscribe and is cleared only by reset. */
int ms_state_history_push(struct ms_state *st, const char *topic, const char *text);
size_t ms_state_history_count(const struct ms_state *st, const char *topic);
const char *ms_state_history_get(const struct ms_state *st, const char *topic, size_t i);

/*
 * The JSON objects of the HTTP endpoints (PROTOCOL.md 1.2), keys in the real order; new trees,
 * caller frees with cJSON_Delete; NULL on OOM. websocket_stats:
 * {"total_connections","total_rooms","total_subscriptions","rooms","room_client_count",
 *                   "topics","topic_subscriber_count"}
 * broadcaster_stats:
 * {"workflow_subscriptions","agent_subscriptions","total_agent_rooms","buffered_rooms",
 *                     "total_buffered_messages","workflows","agents"}
 * client_info: {"client_id","connected":true,"rooms":[...],"subscriptions":[...],"metadata":{...}}
 * with the metadata of the endpoint (workflow: type, workflow_id, connected_at; agent: type,
 *              agent_name, connected_at; coordinator: type, connected_at; legacy: connected_at), or
 * NULL if the id is not registered.
 */
cJSON *ms_state_websocket_stats(const struct ms_state *st);
cJSON *ms_state_broadcaster_stats(const struct ms_state *st);
cJSON *ms_state_client_info(const struct ms_state *st, const char *client_id);

#endif
