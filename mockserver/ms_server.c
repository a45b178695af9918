/* ms_server -- builds the lws context, runs the loop, shuts down with 1012, and routes sends. */
#include <errno.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "ms_emit.h"
#include "ms_err.h"
#include "ms_map.h"
#include "ms_pyjson.h"
#include "ms_server.h"
#include "ms_time.h"

/* The only mutable globals: what a signal handler may touch. */
static volatile sig_atomic_t interrupted;
static struct lws_context *signal_ctx;

void ms_server_stop(void)
{
    interrupted = 1;
    if (signal_ctx)
        lws_cancel_service(signal_ctx);
}

static void on_signal(int sig)
{
    (void)sig;
    ms_server_stop();
}

static const struct lws_protocols protocols[] = {
    /* rx_buffer_size: lws allocates it for every session, so it is kept small (longer client
     * messages arrive in pieces and are reassembled); tx_packet_size: how much one send() may
     * carry (ms_conn_writeable batches frames) */
    {"wsmock", ms_ws_callback, sizeof(struct ms_conn), 1024, 0, NULL, 65536 + 64},
    {"wsmock-listen", ms_listen_callback, 0, 0, 0, NULL, 0},
    {"wsmock-gate", ms_gate_callback, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static int is_loopback_host(const char *h)
{
    return !strcmp(h, "127.0.0.1") || !strcmp(h, "localhost") || !strcmp(h, "::1") ||
           !strncmp(h, "127.", 4);
}

/* Reads the --coordinator model file into the coordinator. Returns 0 or 1 (message printed). */
static int load_coordinator_file(struct ms_server *srv, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "wsmock: cannot open --coordinator file %s: %s\n", path, strerror(errno));
        return 1;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    int rc = 1;
    for (;;) {
        if (len + 4096 > cap) {
            char *n = realloc(text, cap = cap * 2 + 8192);
            if (!n)
                goto out;
            text = n;
        }
        size_t got = fread(text + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
    }
    char err[256], now[32];
    cJSON *spec = ms_pyjson_parse(text, len, err, sizeof(err));
    if (!spec) {
        fprintf(stderr, "wsmock: %s: %s\n", path, err);
        goto out;
    }
    ms_server_now_iso(now, sizeof(now));
    if (ms_coord_load(srv->coord, spec, now, err, sizeof(err)))
        fprintf(stderr, "wsmock: %s: %s\n", path, err);
    else
        rc = 0;
    cJSON_Delete(spec);
out:
    free(text);
    fclose(f);
    return rc;
}

static void log_line(int level, const char *line)
{
    (void)level;
    fprintf(stderr, "wsmock: lws: %s", line);
}

int ms_server_create(struct ms_server *srv, const struct ms_options *opt)
{
    memset(srv, 0, sizeof(*srv));
    srv->opt = *opt;
    srv->profile = opt->profile;
    if (opt->have_seed)
        ms_rng_seed(&srv->rng, opt->seed);
    else
        ms_rng_seed_random(&srv->rng);
    srv->state = ms_state_new();
    srv->coord = ms_coord_new();
    srv->attempts = ms_map_new();
    if (opt->journal_path) {
        srv->journal_file = fopen(opt->journal_path, "w");
        if (!srv->journal_file) {
            fprintf(stderr, "wsmock: cannot write --journal %s: %s\n", opt->journal_path,
                    strerror(errno));
            return 1;
        }
    }
    srv->journal = ms_journal_new(opt->journal_limit, srv->journal_file);
    if (!srv->state || !srv->coord || !srv->attempts || !srv->journal) {
        fprintf(stderr, "wsmock: out of memory\n");
        return 1;
    }
    ms_journal_reset(srv->journal, ms_time_mono_ms());
    if (opt->coordinator_path && load_coordinator_file(srv, opt->coordinator_path))
        return 1;
    srv->heartbeat_ms = opt->heartbeat_ms;
    srv->scale = 1;
    struct ms_scenario *scn = NULL;
    if (opt->scenario_path) {
        struct ms_diag d = {0};
        scn = ms_scenario_load_file(opt->scenario_path, &d);
        for (size_t i = 0; i < d.n; i++)
            fprintf(stderr, "wsmock: %s\n", d.lines[i]);
        ms_diag_free(&d);
        if (!scn)
            return 2;
    }
    if (opt->static_dir) {
        if (!realpath(opt->static_dir, srv->static_root)) {
            fprintf(stderr, "wsmock: --static %s: %s\n", opt->static_dir, strerror(errno));
            return 1;
        }
    }
    if (!is_loopback_host(opt->host))
        fprintf(stderr,
                "wsmock: warning: binding %s exposes the mock (and, unless --no-control, "
                "its control API to loopback clients) beyond this machine\n",
                opt->host);

    lws_set_log_level(opt->verbose ? LLL_ERR | LLL_WARN | LLL_NOTICE : LLL_ERR | LLL_WARN,
                      log_line);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    /* wsmock owns the listening socket (ms_listen.c) and hands accepted sockets to lws. */
    info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
    info.protocols = protocols;
    info.user = srv;
    info.vhost_name = "default";
    info.timeout_secs = 20;
    info.keepalive_timeout = 5;
    /* No lws idle pings or hang-ups (uvicorn's own pings are not part of what wsmock mocks), and
     * no per-connection validity timer: lws keeps timers in one sorted list, and 10,000 of them
     * made every accept walk the whole list. */
    static const lws_retry_bo_t no_idle_policy = {.secs_since_valid_ping = 0,
                                                  .secs_since_valid_hangup = 0};
    info.retry_and_idle_policy = &no_idle_policy;
    /* lws never answers for us: every request reaches ms_ws_callback. */
    srv->listen_fd = -1;
    srv->ctx = lws_create_context(&info);
    srv->vh = srv->ctx ? lws_get_vhost_by_name(srv->ctx, "default") : NULL;
    char err[256];
    if (!srv->vh) {
        fprintf(stderr, "wsmock: libwebsockets could not create its context\n");
        ms_scenario_free(scn);
        return 1;
    }
    if (ms_listen_open(srv, err, sizeof(err))) {
        fprintf(stderr, "wsmock: cannot listen on %s port %d: %s\n", opt->host, opt->port, err);
        ms_scenario_free(scn);
        return 1;
    }
    if (scn) {
        if (ms_scenario_install(srv, scn, opt->time_scale, err, sizeof(err))) {
            fprintf(stderr, "wsmock: %s: %s\n", opt->scenario_path, err);
            return 2;
        }
    }
    return 0;
}

static void shutdown_deadline(lws_sorted_usec_list_t *sul)
{
    struct ms_server *srv = lws_container_of(sul, struct ms_server, sul_shutdown);
    srv->shutting_down = 2; /* give up waiting for clients to answer the close */
}

/* Starts the shutdown: every session gets close 1012 (uvicorn's "service restart" on shutdown). */
static void begin_shutdown(struct ms_server *srv)
{
    srv->shutting_down = 1;
    for (struct ms_conn *c = srv->conns; c; c = c->next)
        ms_conn_close(c, 1012, "");
    lws_sul_schedule(srv->ctx, 0, &srv->sul_shutdown, shutdown_deadline, 2 * LWS_US_PER_SEC);
}

int ms_server_run(struct ms_server *srv)
{
    signal_ctx = srv->ctx;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    printf("wsmock listening on http://%s:%d\n",
           strchr(srv->opt.host, ':') ? "[::1]" : srv->opt.host, srv->port);
    fflush(stdout);
    fprintf(stderr, "wsmock: profile %s, control API %s", ms_profile_name(srv->profile),
            srv->opt.control ? "on" : "off");
    if (srv->scn)
        fprintf(stderr, ", scenario %s (time scale %g)", srv->scn->name, srv->scale);
    fprintf(stderr, "\n");
    while (lws_service(srv->ctx, 0) >= 0) {
        if (interrupted && !srv->shutting_down)
            begin_shutdown(srv);
        if (srv->shutting_down && (!srv->conns || srv->shutting_down == 2))
            break;
    }
    lws_sul_cancel(&srv->sul_shutdown);
    return 0;
}

void ms_server_destroy(struct ms_server *srv)
{
    if (srv->ctx)
        ms_listen_release_held(srv);
    lws_sul_cancel(&srv->sul_relisten);
    lws_sul_cancel(&srv->sul_heartbeat);
    if (srv->ctx)
        lws_context_destroy(srv->ctx);
    ms_scenario_release(srv);
    signal_ctx = NULL;
    srv->ctx = NULL;
    ms_state_free(srv->state);
    ms_coord_free(srv->coord);
    ms_map_free(srv->attempts);
    ms_journal_free(srv->journal);
    ms_conn_release_batch();
    if (srv->journal_file)
        fclose(srv->journal_file);
    memset(srv, 0, sizeof(*srv));
}

void ms_server_reset(struct ms_server *srv)
{
    ms_journal_reset(srv->journal, ms_time_mono_ms());
    ms_map_clear(srv->attempts);
    ms_state_reset(srv->state);
    ms_coord_reset(srv->coord);
    ms_scenario_restart(srv);
    /* Live sessions stay open but are no longer registered, exactly like a backend whose manager
     * forgot them: they keep their sockets, get no broadcasts and their replies go nowhere. */
}

cJSON *ms_server_event(const char *type)
{
    cJSON *ev = cJSON_CreateObject();
    if (ev && !cJSON_AddStringToObject(ev, "type", type)) {
        cJSON_Delete(ev);
        return NULL;
    }
    return ev;
}

void ms_server_journal(struct ms_server *srv, cJSON *ev)
{
    if (!ev)
        return;
    ms_journal_add(srv->journal, ev, ms_time_mono_ms());
    if (srv->waiters)
        ms_control_wake_waiters(srv);
}

void ms_server_journal_rendered(struct ms_server *srv, const char *type, const char *path,
                                const char *members, size_t len)
{
    ms_journal_add_rendered(srv->journal, type, path, members, len, ms_time_mono_ms());
    if (srv->waiters)
        ms_control_wake_waiters(srv);
}

void ms_server_now_iso(char *buf, size_t len)
{
    if (ms_time_iso(ms_time_now_us(), 1, buf, len) < 0 && len)
        buf[0] = '\0';
}

int ms_server_send_to_client(struct ms_server *srv, const char *client_id, const char *text)
{
    struct ms_client *cl = client_id ? ms_state_client(srv->state, client_id) : NULL;
    if (!cl || !cl->conn)
        return 0;
    return ms_conn_send(cl->conn, text, strlen(text), 0) == MS_OK;
}

/* Sends text to each record of a snapshot; returns how many sockets it was queued for. One
 * payload is shared by all the frames. */
static size_t send_snapshot(struct ms_client **m, size_t n, const char *text)
{
    size_t sent = 0;
    struct ms_payload *p = ms_payload_new(text, strlen(text));
    if (!p)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (m[i]->conn && ms_conn_send_payload(m[i]->conn, p, MS_OP_TEXT) == MS_OK)
            sent++;
    ms_payload_unref(p);
    return sent;
}

size_t ms_server_send_to_room(struct ms_server *srv, const char *room, const char *text)
{
    size_t n;
    struct ms_client **m = ms_state_members(srv->state, room, &n);
    if (!m)
        return 0;
    size_t sent = send_snapshot(m, n, text);
    free(m);
    return sent;
}

size_t ms_server_broadcast(struct ms_server *srv, const char *room, const char *text)
{
    if (ms_state_room_size(srv->state, room) == 0) {
        ms_state_buffer_push(srv->state, room, text);
        return 0;
    }
    return ms_server_send_to_room(srv, room, text);
}

size_t ms_server_send_to_all(struct ms_server *srv, const char *text)
{
    return ms_server_send_to_room(srv, NULL, text); /* a NULL room means every registered client */
}

/* broadcast_agent_status: every room mapped to the agent; an unmapped agent drops the message. */
static size_t broadcast_to_agent(struct ms_server *srv, const char *agent, const char *text)
{
    const char *const *rooms = ms_state_agent_rooms(srv->state, agent);
    size_t n = 0;
    for (size_t i = 0; rooms && rooms[i]; i++)
        n += ms_server_broadcast(srv, rooms[i], text);
    return n;
}

size_t ms_server_route(struct ms_server *srv, const char *kind, const cJSON *obj, const char *text)
{
    if (!strcmp(kind, "progress")) {
        /* broadcast_progress returns early when no client ever mapped the workflow: dropped */
        const char *room = ms_state_workflow_room(srv->state, ms_emit_str(obj, "workflow_id"));
        return room ? ms_server_broadcast(srv, room, text) : 0;
    }
    if (!strcmp(kind, "agent_status"))
        return broadcast_to_agent(srv, ms_emit_str(obj, "agent_name"), text);
    if (!strcmp(kind, "coordinator_metrics"))
        return ms_server_broadcast(srv, "coordinator_metrics", text);
    if (!strcmp(kind, "error")) {
        /* Like progress and agent_status: workflow and agent targets go through the broadcaster's
         * maps (nothing mapped: dropped); the coordinator room is addressed directly (empty:
         * buffered). */
        const char *tt = ms_emit_str(obj, "target_type"), *id = ms_emit_str(obj, "target_id");
        if (!strcmp(tt, "coordinator"))
            return ms_server_broadcast(srv, "coordinator_metrics", text);
        if (!strcmp(tt, "workflow")) {
            const char *room = ms_state_workflow_room(srv->state, id);
            return room ? ms_server_broadcast(srv, room, text) : 0;
        }
        return broadcast_to_agent(srv, id, text);
    }
    return 0;
}

static void relisten(lws_sorted_usec_list_t *sul)
{
    struct ms_server *srv = lws_container_of(sul, struct ms_server, sul_relisten);
    char err[256];
    if (ms_listen_open(srv, err, sizeof(err))) {
        /* the port is briefly taken (another process?): try again shortly, and say so */
        lwsl_warn("wsmock: restart: cannot listen on port %d again: %s; retrying\n", srv->port,
                  err);
        lws_sul_schedule(srv->ctx, 0, &srv->sul_relisten, relisten, 100 * LWS_US_PER_MS);
        return;
    }
    srv->restarting = 0;
    cJSON *ev = ms_server_event("listening");
    if (ev) {
        cJSON_AddNumberToObject(ev, "port", srv->port);
        ms_server_journal(srv, ev);
    }
}

void ms_server_restart(struct ms_server *srv, long long down_ms)
{
    for (struct ms_conn *c = srv->conns; c; c = c->next)
        ms_conn_close(c, 1012, "");
    ms_listen_release_held(srv);
    ms_listen_close(srv);
    srv->restarting = 1;
    lws_sul_schedule(srv->ctx, 0, &srv->sul_relisten, relisten,
                     (lws_usec_t)down_ms * LWS_US_PER_MS);
}
