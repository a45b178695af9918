/* ms_coord -- the coordinator model of the `coordinator` profile: agents, workflows and their
 * metrics. */
#ifndef MS_COORD_H
#define MS_COORD_H

#include <stddef.h>
#include <cjson/cJSON.h>

/*
 * Stands in for the A2A coordinator that the real app never injects (PROTOCOL.md 2.1-2.3, 6). It
 * holds the agents (get_agent_status shape) and workflows (get_workflow_status shape), normalised
 * to the real key order with defaults filled in, and derives get_coordinator_metrics() from them.
 * One per server.
 */
struct ms_coord;

/* Returns a new empty model (no agents, no workflows) or NULL on OOM; free with ms_coord_free(). */
struct ms_coord *ms_coord_new(void);
void ms_coord_free(struct ms_coord *c);

/*
 * Replaces the model with the one described by spec (borrowed):
 *   {"agents":[{"name":S,"status":"idle|busy|error|offline","registered_at":S,"metrics":{...}}],
 *    "workflows":[{"workflow_id":S,"state":S,"progress":N,...}],
 *    "total_messages":INT,"queue_size":INT,"dead_letters":INT}            (every key optional)
 * On a bad spec nothing changes and err (errlen bytes) names the JSON path and the problem, e.g.
 * "agents[1].name: expected a non-empty string". now_iso fills registered_at / last_heartbeat when
 * absent. Returns 0, MS_ERR_INVALID or MS_ERR_OOM.
 */
int ms_coord_load(struct ms_coord *c, const cJSON *spec, const char *now_iso, char *err,
                  size_t errlen);

/* Back to the empty model. */
void ms_coord_reset(struct ms_coord *c);

/* get_coordinator_metrics():
 * {"total_messages","total_workflows","registered_agents","healthy_agents",
 * "active_workflows","queue_size","dead_letters"} as ints. New tree; caller frees. NULL on OOM. */
cJSON *ms_coord_metrics(const struct ms_coord *c);

/* get_agent_status(name): {"name","status","registered_at","metrics":{...}}, borrowed (valid until
 * the next load/reset), or NULL for an unknown agent. */
const cJSON *ms_coord_agent(const struct ms_coord *c, const char *name);

/* get_workflow_status(id):
 * {"workflow_id","state","progress","started_at","completed_at","duration",
 * "task_states","completed_tasks","failed_tasks","errors"}, borrowed, or NULL if unknown. */
const cJSON *ms_coord_workflow(const struct ms_coord *c, const char *workflow_id);

/* cancel_workflow(id): sets the state to "cancelled". Returns 0, or MS_ERR_NOT_FOUND. */
int ms_coord_cancel(struct ms_coord *c, const char *workflow_id);

#endif
