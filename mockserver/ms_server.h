/* ms_server -- one wsmock server: the lws context, the backend state, the journal, the connections.
 */
#ifndef MS_SERVER_H
#define MS_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <libwebsockets.h>
#include "ms_coord.h"
#include "ms_engine.h"
#include "ms_ids.h"
#include "ms_journal.h"
#include "ms_options.h"
#include "ms_route.h"
#include "ms_scenario.h"
#include "ms_state.h"

/* What a queued frame is (ms_conn_send's `op`): 0 and 1 are plain text and binary messages. */
enum ms_op {
    MS_OP_TEXT = 0,
    MS_OP_BINARY = 1,
    MS_OP_TEXT_FIRST, /* first fragment of a text message */
    MS_OP_CONT,       /* a middle fragment */
    MS_OP_CONT_LAST,  /* the last fragment */
    MS_OP_PING,       /* a WebSocket ping control frame */
};

/* The bytes of an outgoing message, shared by every frame that carries them: a broadcast to a room
 * of 1000 queues 1000 frames and one payload. Reference-counted (ms_payload_new/_unref). */
struct ms_payload {
    unsigned refs;
    int utf8;           /* -1 not checked yet, else ms_utf8_valid() of data */
    char *journal_data; /* data as the journal writes it (a JSON string, or null), made once */
    size_t len;
    unsigned char data[];
};

/* One queued outgoing WebSocket frame. */
struct ms_frame {
    struct ms_frame *next;
    struct ms_payload *p; /* one reference, owned by the frame */
    int binary;           /* enum ms_op */
    int64_t delay_ms;     /* drip queue only: wait this long after the previous drip frame */
};

/* What an HTTP transaction is doing (HTTP connections only). */
struct ms_http {
    int method;      /* MS_HTTP_GET, ... */
    char path[1024]; /* decoded path, no query */
    char *body;      /* request body (POST), NUL-terminated */
    size_t body_len, body_cap;
    int body_too_big;
    int discard_body; /* a /__mock/ request that will be refused (401/403/404): body not kept */
    int handled;      /* ms_http_handle() ran for this request (it runs once) */
    /* the response being written */
    int status;
    const char *content_type;
    char *resp;
    size_t resp_len, resp_off;
    int headers_sent;
    int responding;               /* a response is ready to be written */
    const char *www_authenticate; /* a WWW-Authenticate value for a 401 (static), or NULL */
    int close_after;              /* end the connection after the response (a malformed request) */
    /* a /__mock/journal long-poll in progress */
    int waiting;
    char wait_type[64], wait_path[1100]; /* "name=value" as lws copies query arguments */
    struct ms_journal_filter wait_filter;
    lws_sorted_usec_list_t sul_wait;
    struct ms_conn *next_waiter;
    struct ms_conn *conn; /* the connection this belongs to */
};

enum { MS_HTTP_OTHER = 0, MS_HTTP_GET, MS_HTTP_POST, MS_HTTP_HEAD, MS_HTTP_DELETE };

/*
 * Per-connection state: lws allocates one per wsi (the protocol's per_session_data) and zeroes it.
 * An HTTP connection uses `http`; an upgraded one becomes a WebSocket session (ws == 1).
 */
struct ms_conn {
    struct lws *wsi;
    struct ms_server *srv;
    uint64_t id;                 /* connection number in the journal */
    int ws;                      /* 1 once ESTABLISHED */
    struct ms_conn *prev, *next; /* the server's list of live WebSocket sessions */
    /* what the upgrade asked for */
    struct ms_route route;
    char *path;      /* the request path (owned; set at ESTABLISHED) */
    char *client_id; /* the id this session registered (owned) */
    char *path_json; /* path as a JSON string for the journal, made on first use (owned) */
    /* receive reassembly */
    unsigned char *rx;
    size_t rx_len, rx_cap;
    int rx_binary;
    /* send queue (bounded) and drip queue (timed sends: replays 10 ms apart) */
    struct ms_frame *q_head, *q_tail;
    size_t q_count;
    struct ms_frame *drip_head, *drip_tail;
    lws_sorted_usec_list_t sul_drip;
    /* the heartbeat schedule (ms_heartbeat.c) */
    struct ms_conn *hb_prev, *hb_next;
    int64_t hb_due_us;
    int hb_linked;
    /* how this session ends */
    int close_code; /* >0: send a close frame with this code on the next WRITEABLE */
    char close_reason[124];
    int drop;            /* 1: end the TCP connection without a close frame */
    int peer_close_code; /* the client's close frame, if any */
    char peer_close_reason[124];
    int peer_closed;
    int closed_by_server; /* close_code or drop was ours */
    int close_sent;       /* our close frame went to lws (it may still be undeliverable) */
    /* the scenario's part (ms_scenario_run.c, ms_script.c) */
    uint64_t scn_gen;          /* the scenario load this session was accepted under */
    int rule;                  /* index of the connection rule that accepted it, -1 for none */
    unsigned long attempt;     /* upgrade attempt number on its path */
    struct ms_script *scripts; /* running scripts (on_open, replies) */
    uint64_t seq;              /* templated sends so far ({{seq}}) */
    int stalled;               /* 1 while a stall step holds the connection half-open */
    int64_t open_ms;           /* monotonic ms at open */
    uint64_t expect_pending;   /* client_sends expectations this session has not met yet (bits) */
    lws_sorted_usec_list_t sul_expect;
    struct ms_http *http; /* HTTP connections only: made by the first request (ms_http_begin),
                             freed with the connection (ms_http_free) */
};

/* What a scenario says about one upgrade attempt. */
struct ms_decision {
    enum ms_action action;
    long long delay_ms; /* real ms */
    int status;
    const struct ms_rule *rule; /* NULL: no rule (default accept, or an outage) */
    int rule_index;
    int outage;
    int shutdown; /* the server is shutting down: the connection is just closed */
};

/* What an upgrade was decided to be, carried in the wsi's opaque user data: from the handshake
 * gate to CONFIRM_UPGRADE (predecided), and from CONFIRM_UPGRADE to ESTABLISHED (lws has no
 * per-session data before ESTABLISHED). Owned by the wsi; freed by whoever reads it or at
 * LWS_CALLBACK_WSI_DESTROY. */
struct ms_upgrade_note {
    uint64_t id, gen;
    int rule;
    unsigned long attempt;
    int predecided;
    struct ms_decision d;
};

/* A handshake the gate holds (a delay_ms rule, or "hang"): its socket is not in lws meanwhile. */
struct ms_held {
    struct ms_held *next, *prev;
    struct ms_server *srv;
    int fd;
    lws_sorted_usec_list_t sul;
    struct ms_upgrade_note note;
};

/* One per process. The event loop owns it; callbacks reach it through lws_context_user(). */
struct ms_server {
    struct ms_options opt;
    struct lws_context *ctx;
    struct lws_vhost *vh;
    int port; /* the port actually bound */
    struct ms_state *state;
    struct ms_journal *journal;
    FILE *journal_file;
    struct ms_coord *coord;
    enum ms_profile profile;
    struct ms_rng rng;
    uint64_t next_conn_id;
    struct ms_conn *conns; /* live WebSocket sessions */
    size_t conn_count;
    struct ms_conn *waiters; /* HTTP connections long-polling the journal */
    struct ms_map *attempts; /* path -> upgrade attempt count since start/reset (as uintptr_t) */
    int shutting_down;
    lws_sorted_usec_list_t sul_shutdown;
    long heartbeat_ms; /* effective app heartbeat period (the scenario's, scaled, or --heartbeat-ms)
                        */
    struct ms_conn *hb_head, *hb_tail; /* sessions by heartbeat due time (ms_heartbeat.c) */
    lws_sorted_usec_list_t sul_heartbeat;
    /* the loaded scenario (ms_scenario_run.c) */
    struct ms_scenario *scn;
    uint64_t scn_gen; /* bumped at every load/unload */
    double scale, scale_override;
    int64_t scn_t0_ms;
    lws_sorted_usec_list_t sul_timeline;
    struct ms_timeline_run tl;
    uint64_t tl_seq;
    int64_t outage_until_ms;
    enum ms_action outage_action;
    int outage_status;
    const char *outage_path;
    struct ms_expect_state *xs;
    /* the listening socket (ms_listen.c): wsmock owns it, lws serves what it accepts */
    int listen_fd;
    struct lws *listen_wsi;
    int restarting; /* 1 while a restart keeps the port closed */
    lws_sorted_usec_list_t sul_relisten;
    struct ms_held *held;
    struct lws_http_mount mount; /* --static */
    char static_root[4096];      /* realpath of --static */
};

/*
 * Creates the server from options: binds, loads the coordinator model. Returns 0, or 1 after
 * printing the reason to stderr (port in use, bad --coordinator file, bad --static dir, ...). On
 * success the caller runs ms_server_run() and then ms_server_destroy().
 */
int ms_server_create(struct ms_server *srv, const struct ms_options *opt);
/* Serves until ms_server_stop() (or a signal) and every session has been closed with 1012. Returns
 * 0. */
int ms_server_run(struct ms_server *srv);
/* Frees everything ms_server_create() made. */
void ms_server_destroy(struct ms_server *srv);
/* Asks the loop to shut down (async-signal-safe). */
void ms_server_stop(void);

/* Clears journal, attempt counters, state, buffers, topics and the coordinator model. */
void ms_server_reset(struct ms_server *srv);

/* Adds an event to the journal (takes ownership of ev) and wakes matching long-polls. */
void ms_server_journal(struct ms_server *srv, cJSON *ev);
/* The same for an event rendered by the caller (see ms_journal_add_rendered; all borrowed). */
void ms_server_journal_rendered(struct ms_server *srv, const char *type, const char *path,
                                const char *members, size_t len);
/* A new event object {"type":type} (NULL on OOM). */
cJSON *ms_server_event(const char *type);

/* naive UTC isoformat of now into buf (>= 32 bytes). */
void ms_server_now_iso(char *buf, size_t len);

/*
 * Sends text to the connection that currently owns client_id, as ws_manager.send_personal_message
 * does. Returns 1 if queued, 0 if the id is not registered (nothing sent). text is copied.
 */
int ms_server_send_to_client(struct ms_server *srv, const char *client_id, const char *text);
/* Sends text to every member of room (broadcast_to_room: nothing if the room is empty). Returns the
 * number of sockets it was queued for. */
size_t ms_server_send_to_room(struct ms_server *srv, const char *room, const char *text);
/* The broadcaster's _broadcast_to_room: as above, but a room with no members buffers the message.
 * Returns the number of sockets reached (0 when buffered). */
size_t ms_server_broadcast(struct ms_server *srv, const char *room, const char *text);
/* Sends text to every registered client (POST /api/v1/ws/broadcast). Returns the count. */
size_t ms_server_send_to_all(struct ms_server *srv, const char *text);
/* Delivers a rendered routed kind (progress, agent_status, coordinator_metrics, error) the way the
 * backend's broadcaster does, using obj's ids. Returns the sockets reached. */
size_t ms_server_route(struct ms_server *srv, const char *kind, const cJSON *obj, const char *text);
/* A restart: every session gets close 1012, the port is closed for down_ms, then listened on
 * again. */
void ms_server_restart(struct ms_server *srv, long long down_ms);

/* ---- ms_upgrade.c: one upgrade attempt ---- */

/* Counts attempt *attempt_out on path, decides it (shutdown, outage, scenario rule, profile,
 * routes), journals the upgrade event and feeds the expectations. */
struct ms_decision ms_upgrade_decide(struct ms_server *srv, uint64_t id, const char *path,
                                     const char *query, const char *origin, const char *remote,
                                     int is_websocket, unsigned long *attempt_out);
/* Sets SO_LINGER 0 on fd so that closing it sends a TCP reset; returns -1 (close it). */
int ms_upgrade_reset_fd(int fd);

/* ---- ms_listen.c: the listening socket and the handshake gate ---- */

/* Binds and listens on the options' host and port (port 0: any; the same port again after a
 * restart), and hands the socket to lws. Returns 0, or -1 with the reason in err. */
int ms_listen_open(struct ms_server *srv, char *err, size_t errlen);
/* Stops listening (new connections are refused by the kernel). */
void ms_listen_close(struct ms_server *srv);
/* Closes every handshake the gate holds (scenario change, reset, shutdown). */
void ms_listen_release_held(struct ms_server *srv);
/* The lws callbacks of the listening socket and of a connection in the gate. */
int ms_listen_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len);
int ms_gate_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len);

/* ---- ms_scenario_run.c: the loaded scenario at work ---- */

/* Installs s (takes ownership; NULL unloads). scale > 0 overrides the scenario's time_scale.
 * Restarts attempt counts, timeline and expectations; applies profile, heartbeat and coordinator
 * model; cancels the scripts of open sessions. Returns 0, or -1 (message in err) if the
 * coordinator model is refused: then nothing changed and s was freed. */
int ms_scenario_install(struct ms_server *srv, struct ms_scenario *s, double scale, char *err,
                        size_t errlen);
/* What to do with upgrade attempt `attempt` on path, from a request with that Origin header
 * (NULL/"": none): outages first, then the rules. */
struct ms_decision ms_scenario_decide(struct ms_server *srv, const char *path,
                                      unsigned long attempt, const char *origin);
/* Expectations that count attempts (called for every upgrade). */
void ms_scenario_on_upgrade(struct ms_server *srv, const char *path, int accepted);
/* A session opened under the scenario: welcome (unless the rule says not), on_open script,
 * client_sends expectations. */
void ms_scenario_on_open(struct ms_conn *c);
/* A client message: runs the first matching reply. Returns 1 if the profile must not see it. */
int ms_scenario_on_message(struct ms_conn *c, const char *text, size_t len, int binary);
/* The session is closing: settles its client_sends expectations. */
void ms_scenario_on_close(struct ms_conn *c);
/* GET /__mock/expect's body (caller frees). */
char *ms_scenario_expect_report(struct ms_server *srv);
/* Starts the loaded scenario over (POST /__mock/reset): clock, counts, expectations. */
void ms_scenario_restart(struct ms_server *srv);
/* Frees the scenario and its runtime state (server destroy). */
void ms_scenario_release(struct ms_server *srv);

/* ---- ms_script.c: step scripts running on a session ---- */
struct ms_script;
/* Starts steps on c (msg/msg_text: the client message a reply answers, or NULL; copied). */
void ms_script_start(struct ms_conn *c, const struct ms_steps *steps, const cJSON *msg,
                     const char *msg_text);
/* Stops and frees every script of c (and ends a stall). */
void ms_script_cancel_all(struct ms_conn *c);

/* ---- ms_conn.c: one WebSocket session's queue, timers and ending ---- */

/* Queues a frame (op: enum ms_op; 0 text, 1 binary); copies data. Over --queue-limit the session
 * is closed with 1008. Returns 0, MS_ERR_FULL or MS_ERR_OOM. */
int ms_conn_send(struct ms_conn *c, const char *data, size_t len, int op);
/* The same with a shared payload: the queued frame takes its own reference (the caller keeps
 * its one). */
int ms_conn_send_payload(struct ms_conn *c, struct ms_payload *p, int op);
/* A new payload holding a copy of data, with one reference (the caller's); NULL on OOM. */
struct ms_payload *ms_payload_new(const void *data, size_t len);
/* Drops one reference; the last one frees the payload. NULL is ignored. */
void ms_payload_unref(struct ms_payload *p);
/* Frees the writer's buffer shared by all sessions (at server destruction). */
void ms_conn_release_batch(void);
/* Stops reading and writing (a half-open peer) until ms_conn_resume(). */
void ms_conn_stall(struct ms_conn *c);
void ms_conn_resume(struct ms_conn *c);
/* Queues a frame to go out delay_ms after the previous drip frame (replays). While drip frames are
 * pending, ms_conn_send() frames queue behind them to keep the order. */
int ms_conn_send_drip(struct ms_conn *c, const char *data, size_t len, int64_t delay_ms);
/* Ends the session with a close frame (code, reason) after what is already queued. */
void ms_conn_close(struct ms_conn *c, int code, const char *reason);
/* Ends the session without a close frame (the client sees 1006). */
void ms_conn_drop(struct ms_conn *c);
/* ---- ms_heartbeat.c: the sessions' app heartbeats on one timer ---- */

/* Schedules c's heartbeats, one per period from now (no-op when the period is 0 or already on). */
void ms_conn_start_heartbeat(struct ms_conn *c);
/* Stops c's heartbeats (a stall, the end of the session). */
void ms_conn_stop_heartbeat(struct ms_conn *c);
/* Handles LWS_CALLBACK_SERVER_WRITEABLE for a session: one lws_write per call, carrying as many
 * queued frames as fit in 64 KiB (framed here, written raw). Returns the callback's return value
 * (-1 to close). */
int ms_conn_writeable(struct ms_conn *c);
/* Releases timers, queues and buffers (LWS_CALLBACK_CLOSED). */
void ms_conn_release(struct ms_conn *c);

/* ---- ms_ws.c: the lws protocol callback (HTTP and WebSocket) ---- */
int ms_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                   size_t len);

/* ---- ms_endpoint.c: what the enhanced endpoints do (PROTOCOL.md 2.1-2.3) ---- */

/* After accept: the welcome, the workflow buffer replay, the coordinator-present extras. */
void ms_endpoint_on_open(struct ms_conn *c);
/* One complete client message (text already UTF-8 valid). May end the session (non-object JSON,
 * binary frame). */
void ms_endpoint_on_message(struct ms_conn *c, const char *text, size_t len, int binary);

/* ---- ms_http.c: HTTP endpoints ---- */

/* LWS_CALLBACK_HTTP: records method and path; answers now, or waits for the POST body. */
int ms_http_begin(struct ms_conn *c, struct lws *wsi, const char *path);
/* LWS_CALLBACK_HTTP_BODY: appends a chunk of the request body (bounded). */
int ms_http_body(struct ms_conn *c, const void *in, size_t len);
/* Handles a complete HTTP request (headers and, for POST, body). Sets up the response or a
 * long-poll. Returns the lws callback value. */
int ms_http_handle(struct ms_conn *c);
/* Prepares a response (copies body) and asks for WRITEABLE. Returns 0, or -1 on OOM. */
int ms_http_respond(struct ms_conn *c, int status, const char *content_type, const char *body,
                    size_t len);
/* Same, taking ownership of a malloc'd body. */
int ms_http_respond_owned(struct ms_conn *c, int status, const char *content_type, char *body,
                          size_t len);
/* {"detail":detail} with status. */
int ms_http_respond_detail(struct ms_conn *c, int status, const char *detail);
/* {"error":error} with status (the control API's errors); error is copied. Returns 0 or -1. */
int ms_http_respond_error(struct ms_conn *c, int status, const char *error);
/* HTTP WRITEABLE: writes headers, then the body in chunks. Returns the lws callback value. */
int ms_http_writeable(struct ms_conn *c);
/* Frees the transaction's buffers and cancels a long-poll (end of transaction or connection). */
void ms_http_release(struct ms_conn *c);
/* ms_http_release, then frees the connection's HTTP state (end of the connection). */
void ms_http_free(struct ms_conn *c);
/* The value of query argument name (without '='), URL-decoded, copied into buf; NULL if absent or
 * longer than len - 1 (see ms_http_arg_len). Other arguments, however long, do not hide it. */
const char *ms_http_arg(struct lws *wsi, const char *name, char *buf, int len);
/* The length of query argument name's decoded value, or -1 if absent (nothing is copied). */
int ms_http_arg_len(struct lws *wsi, const char *name);
/* Writes a scenario rule's refusal (status, headers, body, templated) on an upgrade request.
 * Returns 1 (handled) or -1. */
int ms_http_refuse_custom(struct lws *wsi, const struct ms_rule *r, const char *path,
                          unsigned long attempt);
/* Writes a raw HTTP/1.1 response on an upgrade request (the 403 of WS-001). Returns 1 (handled). */
int ms_http_refuse_upgrade(struct lws *wsi, int status);

/* ---- ms_control.c: /__mock/ ---- */
int ms_control_handle(struct ms_conn *c);
/* 1 if the request may use the control API (a loopback peer with the --control-token, if any);
 * 0 if ms_control_handle() will refuse it (401 or 403). Reads the request headers only. */
int ms_control_admits(struct ms_conn *c);
/* Called after each journal event: completes long-polls that now have a matching event. */
void ms_control_wake_waiters(struct ms_server *srv);
/* Stops a connection's journal long-poll (it closed, or is being answered). */
void ms_control_cancel_wait(struct ms_conn *c);

/* ---- ms_legacy.c: /api/v1/ws/connect and its HTTP helpers ---- */
void ms_legacy_on_message(struct ms_conn *c, const char *text, size_t len, int binary);
int ms_legacy_http_broadcast(struct ms_conn *c);
int ms_legacy_http_publish(struct ms_conn *c, const char *topic);

/* ---- ms_static.c: --static ---- */
/* Serves path from the static root (SPA fallback to index.html). Returns the lws callback value, or
 * 1 if the path is not a static file (the caller answers 404). */
int ms_static_serve(struct ms_conn *c, const char *path);

#endif
