/* ms_route -- maps a WebSocket request path to its endpoint with Starlette's exact-match rules. */
#include "ms_route.h"

#include <stdio.h>
#include <string.h>

/* The rest of path after prefix, or NULL if path does not start with it. */
static const char *after(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(path, prefix, n) ? NULL : path + n;
}

/* Starlette's "[^/]+" plus our size bound: copies the parameter into out->param, 1 if it matched.
 */
static int take_param(const char *rest, struct ms_route *out)
{
    size_t n = strlen(rest);
    if (n == 0 || n > MS_ROUTE_PARAM_MAX - 1 || memchr(rest, '/', n))
        return 0;
    memcpy(out->param, rest, n + 1);
    return 1;
}

enum ms_endpoint ms_route_match(const char *path, struct ms_route *out)
{
    const char *rest;
    out->ep = MS_EP_NONE;
    out->param[0] = '\0';
    if (!path)
        return MS_EP_NONE;
    if ((rest = after(path, "/ws/workflow/")) && take_param(rest, out))
        out->ep = MS_EP_WORKFLOW;
    else if ((rest = after(path, "/ws/agent/")) && take_param(rest, out))
        out->ep = MS_EP_AGENT;
    else if (!strcmp(path, "/ws/coordinator"))
        out->ep = MS_EP_COORDINATOR;
    else if (!strcmp(path, "/api/v1/ws/connect"))
        out->ep = MS_EP_LEGACY;
    if (out->ep == MS_EP_NONE)
        out->param[0] = '\0';
    return out->ep;
}

int ms_route_is_enhanced_path(const char *path)
{
    return path && (!strcmp(path, "/ws") || !strncmp(path, "/ws/", 4));
}

const char *ms_route_endpoint_name(enum ms_endpoint ep)
{
    switch (ep) {
    case MS_EP_WORKFLOW:
        return "workflow";
    case MS_EP_AGENT:
        return "agent";
    case MS_EP_COORDINATOR:
        return "coordinator";
    case MS_EP_LEGACY:
        return "legacy";
    case MS_EP_NONE:
        break;
    }
    return "none";
}

int ms_route_room(const struct ms_route *r, char *buf, size_t len)
{
    int n;
    switch (r->ep) {
    case MS_EP_WORKFLOW:
        n = snprintf(buf, len, "workflow_%s", r->param);
        break;
    case MS_EP_AGENT:
        n = snprintf(buf, len, "agent_%s", r->param);
        break;
    case MS_EP_COORDINATOR:
        n = snprintf(buf, len, "coordinator_metrics");
        break;
    default:
        if (len < 1)
            return -1;
        buf[0] = '\0';
        return 0;
    }
    return n < 0 || (size_t)n >= len ? -1 : 1;
}
