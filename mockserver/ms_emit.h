/* ms_emit -- protocol messages by kind name (progress, agent_status, ...): field rules and
 * rendering, shared by the control API's /__mock/emit and the scenario steps. */
#ifndef MS_EMIT_H
#define MS_EMIT_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* Where a message is rendered: defaults for fields a script may leave out. */
struct ms_emit_ctx {
    const char *workflow_id; /* the connection's, or NULL */
    const char *agent_name;
    const char *client_id;
    const char *room;
};

/* 1 if kind is a known kind; routed != NULL gets 1 for the kinds the backend broadcasts through
 * its maps (progress, agent_status, coordinator_metrics, error). */
int ms_emit_known(const char *kind, int *routed);

/*
 * Checks obj's members against kind's fields. Members named in skip (a NULL-terminated list, may
 * be NULL) are ignored. with_ctx: 1 when a connection supplies defaults (workflow_id, agent_name
 * may be left out). Returns 0, or -1 with "field 'x' must be ..." / "unknown field 'x'" /
 * "missing field 'x'" in err.
 */
int ms_emit_check(const char *kind, const cJSON *obj, const char *const *skip, int with_ctx,
                  char *err, size_t errlen);

/* Renders the message text (caller frees) with timestamp ts; NULL on OOM or when the kind needs a
 * context it does not have (welcome without ctx). obj must have passed ms_emit_check(). */
char *ms_emit_render(const char *kind, const cJSON *obj, const char *ts,
                     const struct ms_emit_ctx *ctx);

/* The string member key of obj, or NULL. */
const char *ms_emit_str(const cJSON *obj, const char *key);

#endif
