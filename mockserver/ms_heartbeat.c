/* ms_heartbeat -- every session's app heartbeat on one lws timer: a list ordered by due time. */
#include <stdlib.h>
#include "ms_render.h"
#include "ms_server.h"

/*
 * One lws timer per session made opening 10,000 sessions quadratic: lws keeps its timers in one
 * sorted list, and each new 30 s heartbeat walked past all the others. Sessions share one period,
 * so a session due later than all others joins at the tail: the list stays ordered at O(1) per
 * session, and one timer waits for its head.
 */

static void fire(lws_sorted_usec_list_t *sul);

static void unlink_conn(struct ms_server *srv, struct ms_conn *c)
{
    if (c->hb_prev)
        c->hb_prev->hb_next = c->hb_next;
    else
        srv->hb_head = c->hb_next;
    if (c->hb_next)
        c->hb_next->hb_prev = c->hb_prev;
    else
        srv->hb_tail = c->hb_prev;
    c->hb_prev = c->hb_next = NULL;
    c->hb_linked = 0;
}

/* Inserts c by its due time, walking from the tail (where it almost always belongs). */
static void link_conn(struct ms_server *srv, struct ms_conn *c)
{
    struct ms_conn *after = srv->hb_tail;
    while (after && after->hb_due_us > c->hb_due_us)
        after = after->hb_prev;
    c->hb_prev = after;
    c->hb_next = after ? after->hb_next : srv->hb_head;
    if (c->hb_next)
        c->hb_next->hb_prev = c;
    else
        srv->hb_tail = c;
    if (after)
        after->hb_next = c;
    else
        srv->hb_head = c;
    c->hb_linked = 1;
}

/* Waits for the head's due time (or for nothing when the list is empty). */
static void arm(struct ms_server *srv)
{
    if (!srv->hb_head) {
        lws_sul_cancel(&srv->sul_heartbeat);
        return;
    }
    lws_usec_t now = lws_now_usecs(), due = srv->hb_head->hb_due_us;
    lws_sul_schedule(srv->ctx, 0, &srv->sul_heartbeat, fire, due > now ? due - now : 0);
}

static void fire(lws_sorted_usec_list_t *sul)
{
    struct ms_server *srv = lws_container_of(sul, struct ms_server, sul_heartbeat);
    lws_usec_t now = lws_now_usecs();
    char ts[32];
    ms_server_now_iso(ts, sizeof(ts));
    char *text = ms_render_heartbeat(ts);
    while (srv->hb_head && srv->hb_head->hb_due_us <= now) {
        struct ms_conn *c = srv->hb_head;
        unlink_conn(srv, c);
        /* Sent by client_id like the real heartbeat task: a duplicate id receives both
         * sockets' beats. */
        if (text)
            ms_server_send_to_client(srv, c->client_id, text);
        if (srv->heartbeat_ms > 0) {
            c->hb_due_us = now + (lws_usec_t)srv->heartbeat_ms * LWS_US_PER_MS;
            link_conn(srv, c);
        }
    }
    free(text);
    arm(srv);
}

void ms_conn_start_heartbeat(struct ms_conn *c)
{
    struct ms_server *srv = c->srv;
    if (srv->heartbeat_ms <= 0 || c->hb_linked)
        return;
    c->hb_due_us = lws_now_usecs() + (lws_usec_t)srv->heartbeat_ms * LWS_US_PER_MS;
    link_conn(srv, c);
    if (srv->hb_head == c)
        arm(srv);
}

void ms_conn_stop_heartbeat(struct ms_conn *c)
{
    if (!c->hb_linked)
        return;
    int was_head = c->srv->hb_head == c;
    unlink_conn(c->srv, c);
    if (was_head)
        arm(c->srv);
}
