/* ms_route -- which WebSocket endpoint a request path names, with Starlette's matching rules. */
#ifndef MS_ROUTE_H
#define MS_ROUTE_H

#include <stddef.h>

enum ms_endpoint {
    MS_EP_NONE = 0,    /* no WebSocket route: the upgrade is refused with 403 */
    MS_EP_WORKFLOW,    /* /ws/workflow/{workflow_id} */
    MS_EP_AGENT,       /* /ws/agent/{agent_name} */
    MS_EP_COORDINATOR, /* /ws/coordinator */
    MS_EP_LEGACY,      /* /api/v1/ws/connect */
};

#define MS_ROUTE_PARAM_MAX 256

struct ms_route {
    enum ms_endpoint ep;
    char param[MS_ROUTE_PARAM_MAX]; /* workflow_id or agent_name; "" for the others */
};

/*
 * Matches an already URL-decoded path (no query string) against the WebSocket routes. A path
 * parameter matches Starlette's "[^/]+": non-empty, no '/'. Exact paths only: "/ws/coordinator/",
 * "/ws/workflow",
 * "/ws/workflow/", "/ws/agent/a/b" match nothing. A parameter longer than MS_ROUTE_PARAM_MAX-1
 * bytes matches nothing. Fills *out (ep MS_EP_NONE when nothing matches) and returns out->ep.
 */
enum ms_endpoint ms_route_match(const char *path, struct ms_route *out);

/* 1 if the path is in the enhanced router's space ("/ws" or anything under "/ws/"). */
int ms_route_is_enhanced_path(const char *path);

/* Endpoint name as used in metadata "type" and the journal: "workflow", "agent", "coordinator",
 * "legacy", "none". Static string. */
const char *ms_route_endpoint_name(enum ms_endpoint ep);

/*
 * The room an endpoint's connection joins: "workflow_{id}", "agent_{name}", "coordinator_metrics";
 * legacy joins none (returns 0 and writes ""). Returns 1 if a room was written, -1 if len is too
 * small.
 */
int ms_route_room(const struct ms_route *r, char *buf, size_t len);

#endif
