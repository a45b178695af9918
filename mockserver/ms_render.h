/* ms_render -- the backend's server->client messages, in the real shapes and key order (PROTOCOL.md
 * 2, 5). */
#ifndef MS_RENDER_H
#define MS_RENDER_H

#include <cjson/cJSON.h>

/*
 * Every function returns a new NUL-terminated string (caller frees with free()) holding the compact
 * JSON text the backend would send, or NULL on OOM. `ts` is a timestamp as ms_time_iso() writes it
 * (naive UTC for WebSocket messages). cJSON arguments are borrowed and copied; numbers in them keep
 * their Python rendering (see ms_pyjson.h). A NULL string argument renders as null where the
 * backend can send None.
 */

/* {"type":"info","message":"Connected to ViMax WebSocket
 * server","timestamp":ts,"client_id":id,"room":room} */
char *ms_render_welcome(const char *ts, const char *client_id, const char *room);
/* {"type":"heartbeat","timestamp":ts} */
char *ms_render_heartbeat(const char *ts);
/* {"type":"pong"} */
char *ms_render_pong(void);
/* The endpoint's short error: {"type":"error","message":message} */
char *ms_render_error_reply(const char *message);
/* The legacy endpoint's info: {"type":"info","message":message} (+ "timestamp":ts when ts != NULL)
 */
char *ms_render_info(const char *message, const char *ts);

/* broadcast_workflow_progress:
 * {"type":"progress","workflow_id","timestamp","state","progress","stage", "message","details"};
 * progress is rendered as a Python float; details NULL renders {}. */
char *ms_render_progress(const char *workflow_id, const char *ts, const char *state,
                         double progress, const char *stage, const char *message,
                         const cJSON *details);

/* broadcast_agent_update:
 * {"type":"agent_status","agent_name","timestamp","status":<string>,"metrics"}; metrics NULL
 * renders {}. */
char *ms_render_agent_status(const char *agent_name, const char *ts, const char *status,
                             const cJSON *metrics);

/* Connect-time agent_status (coordinator present):
 * {"type":"agent_status","agent_name","status":<object>} */
char *ms_render_agent_status_object(const char *agent_name, const cJSON *status);

/* coordinator_metrics with the metrics spread at the top level: {"type":"coordinator_metrics",
 * ["timestamp":ts,] then every member of metrics in order}. ts NULL = the reply form (no
 * timestamp). */
char *ms_render_coordinator_metrics(const char *ts, const cJSON *metrics);

/* broadcast_error: {"type":"error","target_type","target_id","message","error_type","retryable",
 * "details","timestamp"}; details NULL renders {}. */
char *ms_render_error_broadcast(const char *target_type, const char *target_id, const char *message,
                                const char *error_type, int retryable, const cJSON *details,
                                const char *ts);

/* {"type":"status","workflow_id":id,"status":status} */
char *ms_render_status(const char *workflow_id, const cJSON *status);

/* {"type":"control_response","action":action,"status":status,"message":message} */
char *ms_render_control_response(const char *action, const char *status, const char *message);

/*
 * broadcast_progress(workflow_id, data): "type","workflow_id","timestamp" first, then data's
 * members; a data member with one of those three names keeps the first position but takes data's
 * value.
 */
char *ms_render_progress_data(const char *workflow_id, const char *ts, const cJSON *data);

#endif
