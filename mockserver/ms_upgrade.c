/* ms_upgrade -- one upgrade attempt: counted per path, decided (shutdown, scenario, profile,
 * routes), journaled, fed to the expectations. Used by CONFIRM_UPGRADE and the handshake gate. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "ms_map.h"
#include "ms_server.h"

/* Counts an upgrade attempt on path; returns its number (1 for the first since start/reset). */
static unsigned long count_attempt(struct ms_server *srv, const char *path)
{
    uintptr_t n = (uintptr_t)ms_map_get(srv->attempts, path) + 1;
    ms_map_set(srv->attempts, path, (void *)n);
    return (unsigned long)n;
}

static const char *outcome_name(const struct ms_decision *d)
{
    switch (d->action) {
    case MS_ACT_ACCEPT:
        return "accepted";
    case MS_ACT_REFUSE:
        return "refused";
    case MS_ACT_RESET:
        return "reset";
    case MS_ACT_HANG:
        return "hang";
    }
    return "?";
}

static void journal(struct ms_server *srv, uint64_t id, const char *path, const char *query,
                    const char *origin, const char *remote, unsigned long attempt,
                    const struct ms_decision *d, const char *reason)
{
    cJSON *ev = ms_server_event("upgrade");
    if (!ev)
        return;
    cJSON_AddNumberToObject(ev, "conn", (double)id);
    cJSON_AddStringToObject(ev, "path", path);
    cJSON_AddStringToObject(ev, "query", query ? query : "");
    if (origin && origin[0])
        cJSON_AddStringToObject(ev, "origin", origin);
    else
        cJSON_AddNullToObject(ev, "origin");
    cJSON_AddStringToObject(ev, "remote", remote ? remote : "");
    cJSON_AddNumberToObject(ev, "attempt", (double)attempt);
    cJSON_AddStringToObject(ev, "outcome", outcome_name(d));
    cJSON_AddNumberToObject(ev, "status",
                            d->shutdown                  ? 0
                            : d->action == MS_ACT_ACCEPT ? 101
                            : d->action == MS_ACT_REFUSE ? d->status
                                                         : 0);
    if (reason)
        cJSON_AddStringToObject(ev, "reason", reason);
    if (srv->scn && !d->shutdown) {
        if (d->rule)
            cJSON_AddNumberToObject(ev, "rule", d->rule_index);
        else
            cJSON_AddNullToObject(ev, "rule");
        if (d->rule && d->rule->label)
            cJSON_AddStringToObject(ev, "rule_label", d->rule->label);
        if (d->outage)
            cJSON_AddTrueToObject(ev, "outage");
        if (d->delay_ms > 0)
            cJSON_AddNumberToObject(ev, "delay_ms", (double)d->delay_ms);
    }
    ms_server_journal(srv, ev);
}

struct ms_decision ms_upgrade_decide(struct ms_server *srv, uint64_t id, const char *path,
                                     const char *query, const char *origin, const char *remote,
                                     int is_websocket, unsigned long *attempt_out)
{
    unsigned long attempt = count_attempt(srv, path);
    *attempt_out = attempt;
    struct ms_decision d = {.action = MS_ACT_REFUSE, .status = 403, .rule_index = -1};
    if (srv->shutting_down) {
        d.shutdown = 1;
        journal(srv, id, path, query, origin, remote, attempt, &d, NULL);
        return d;
    }
    struct ms_route route;
    ms_route_match(path, &route);
    int refused_by_backend = !is_websocket || route.ep == MS_EP_NONE ||
                             (srv->profile == MS_PROFILE_PREFIX && ms_route_is_enhanced_path(path));
    d = ms_scenario_decide(srv, path, attempt, origin);
    if (d.action == MS_ACT_ACCEPT && refused_by_backend) {
        d.action = MS_ACT_REFUSE; /* what the backend itself does: uvicorn's 403 */
        d.status = 403;
        d.rule = NULL;
    }
    const char *reason = NULL;
    if (d.action == MS_ACT_ACCEPT && !ms_options_origin_allowed(&srv->opt, origin)) {
        /* --allow-origin: an app that checks Origin closes before accepting, which uvicorn turns
         * into the same 403 as an unknown path. Scenario rules and outages come first: they model
         * what stands in front of the app. */
        d.action = MS_ACT_REFUSE;
        d.status = 403;
        d.rule = NULL;
        reason = "origin not allowed";
    }
    journal(srv, id, path, query, origin, remote, attempt, &d, reason);
    ms_scenario_on_upgrade(srv, path, d.action == MS_ACT_ACCEPT);
    return d;
}

int ms_upgrade_reset_fd(int fd)
{
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    return -1;
}
