/* ms_recording -- captured WebSocket sessions (from the proxy or a HAR file), written as a
 * scenario.
 */
#ifndef MS_RECORDING_H
#define MS_RECORDING_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

/*
 * A recording is a list of WebSocket upgrade attempts in arrival order ("connections", numbered
 * from 1), each on an exact path and counted per path (its "attempt"), plus a count of plain HTTP
 * exchanges. An attempt is accepted (then it collects the server's frames, the client's messages
 * and how it ended), refused (status, headers, body), reset (the server closed without answering)
 * or still unanswered (written as "hang"). Times are microseconds on any one clock; only their
 * differences are written.
 *
 * Event functions return 0, MS_ERR_NOT_FOUND for an unknown connection number, MS_ERR_INVALID when
 * the connection is not in a state that allows the event (e.g. a frame on a refused attempt), or
 * MS_ERR_OOM. Server events after the connection ended (a close, a drop, or the client closing
 * first) are ignored and return 0.
 */
struct ms_recording;

/* What ms_recording_stats() counts. */
struct ms_recording_stats {
    size_t upgrades;       /* upgrade attempts */
    size_t accepted;       /* ... answered with 101 */
    size_t refused;        /* ... answered with another status */
    size_t reset;          /* ... closed by the server without an answer */
    size_t unanswered;     /* ... never answered (written as "hang") */
    size_t server_frames;  /* messages, pings and closes the server sent on accepted connections */
    size_t client_frames;  /* client messages written as expectations */
    size_t client_skipped; /* client messages not expressible as expectations (binary, not UTF-8) */
    size_t adjusted;       /* server events changed to fit the format (see ms_recording_render) */
    size_t http;           /* plain HTTP exchanges (passed through, not replayed) */
};

/* Returns a new, empty recording (caller frees with ms_recording_free), or NULL on OOM. */
struct ms_recording *ms_recording_new(void);
/* Frees a recording and everything in it; NULL is ignored. */
void ms_recording_free(struct ms_recording *rec);

/*
 * Adds an upgrade attempt on path (the exact request path without the query; copied). Returns its
 * connection number (1, 2, ...), MS_ERR_INVALID for a path a scenario cannot name exactly (one
 * that does not start with '/' or holds a '*': nothing is added), or MS_ERR_OOM.
 */
int ms_recording_upgrade(struct ms_recording *rec, const char *path);
/* The attempt was answered with 101 at t_us: it is open from then on. */
int ms_recording_accept(struct ms_recording *rec, int conn, int64_t t_us);
/*
 * The attempt was refused with status; headers is an array of name, value, name, value, ...
 * terminated by NULL (borrowed; Date, Content-Length, Transfer-Encoding and Connection are left
 * out, as wsmock writes its own; so is a header a scenario cannot send: an empty name, CR or LF
 * anywhere, ':' or a space in the name (counted as adjusted); a repeated name gets its values
 * joined with ", "); body is body_len bytes (borrowed).
 */
int ms_recording_refuse(struct ms_recording *rec, int conn, int status, const char *const *headers,
                        const void *body, size_t body_len);
/* The server ended the connection without answering the upgrade request. */
int ms_recording_reset(struct ms_recording *rec, int conn);

/* A complete text (binary == 0) or binary message from the server; data is copied. */
int ms_recording_server_message(struct ms_recording *rec, int conn, int64_t t_us, int binary,
                                const void *data, size_t len);
/* A WebSocket ping from the server (payload copied). */
int ms_recording_server_ping(struct ms_recording *rec, int conn, int64_t t_us, const void *data,
                             size_t len);
/* A close frame from the server: code -1 when it had none; reason copied. Ends the connection. */
int ms_recording_server_close(struct ms_recording *rec, int conn, int64_t t_us, int code,
                              const void *reason, size_t reason_len);
/* The server's side of the TCP connection ended without a close frame. Ends the connection. */
int ms_recording_server_drop(struct ms_recording *rec, int conn, int64_t t_us);
/* A complete text or binary message from the client; data is copied. */
int ms_recording_client_message(struct ms_recording *rec, int conn, int64_t t_us, int binary,
                                const void *data, size_t len);
/* The client sent a close frame or ended the TCP connection. Ends the connection (if open). */
int ms_recording_client_close(struct ms_recording *rec, int conn, int64_t t_us);

/* Counts one plain HTTP exchange. */
void ms_recording_http(struct ms_recording *rec);

/* Fills *st with the counts so far. */
void ms_recording_stats(const struct ms_recording *rec, struct ms_recording_stats *st);

/*
 * Returns the recording as a scenario (scenarios/FORMAT.md): a new cJSON tree (caller frees with
 * cJSON_Delete; numbers are ms_pyjson Raw items), or NULL on OOM. name and description are copied.
 *
 * Keys: name, description, keywords ["recorded"], profile "deployed", heartbeat_ms 0 (recorded
 * heartbeats are replayed by the scripts), connections, expect. One rule per attempt
 * ({"path": exact, "attempts": N, ...}), grouped by path in order of first appearance:
 *  - accepted: "action": "accept", "welcome": false, "on_open": the server's frames in order
 *    (send_text; send_bytes with "opcode": "text" for text that is not UTF-8 or contains "{{";
 *    send_binary; ws_ping) with {"wait_ms": gap} before each whose time (ms since the open,
 *    rounded) differs from the previous one, then {"close": code, "reason": r} or {"drop": true}
 *    if the server ended it; and "replies": [{"regex": ".*", "do": []}] so that, on replay, the
 *    profile does not answer client messages a second time;
 *  - refused: "action": "refuse", "status", "headers", "body" (bytes that are not UTF-8 become
 *    U+FFFD);
 *  - reset: "action": "reset"; never answered: "action": "hang".
 * Adjusted (counted in stats): a close without a code or with one a scenario cannot send is
 * written as 1000; a reason that is not UTF-8, holds "{{" (it would be a placeholder) or is over
 * 123 bytes once written (a NUL byte takes two) as ""; a ping payload that is not UTF-8 or over
 * 125 bytes once written is left out; a gap over a day (the format's longest wait_ms) is written
 * as a day; in a refusal's body and header values every "{{" is written "{ {"; a header no
 * scenario can send is left out.
 * expect: one {"name": "conn N frame K", "client_sends": object or exact text, "path",
 * "within_ms": t + max(250, t / 2), at most 864000000} per client text message (K counts every
 * client message of connection N, binary ones too; those are not written).
 */
cJSON *ms_recording_scenario(const struct ms_recording *rec, const char *name,
                             const char *description);

/*
 * ms_recording_scenario() rendered with ms_rec_json_pretty() plus a final newline. Returns a new
 * string (caller frees with free()), or NULL on OOM.
 */
char *ms_recording_render(const struct ms_recording *rec, const char *name,
                          const char *description);

/*
 * Renders item like Python's json.dumps(item, indent=2, ensure_ascii=False): two-space indent,
 * ", " never at line ends, ": " after keys, empty containers as {} and [], leaves as
 * ms_pyjson_print() writes them. Returns a new string (caller frees), or NULL on OOM.
 */
char *ms_rec_json_pretty(const cJSON *item);

/*
 * Writes a scenario name derived from a file path into buf: the base name without ".json", every
 * character other than letters, digits, '-', '_' and '.' replaced by '-'; "recorded" when nothing
 * is left. Always NUL-terminates (len > 0).
 */
void ms_rec_scenario_name(const char *file, char *buf, size_t len);

/* 1 if the len bytes at s are well-formed UTF-8 (no overlongs, surrogates or code points above
 * U+10FFFF). */
int ms_rec_utf8_valid(const void *s, size_t len);

/* Standard base64 with padding. Returns a new NUL-terminated string (caller frees), NULL on OOM. */
char *ms_rec_base64_encode(const void *data, size_t len);
/*
 * Decodes standard base64 (padding optional, no whitespace). On success *out gets a new buffer
 * (caller frees; never NULL, even for 0 bytes) and *out_len its length; returns 0, MS_ERR_PARSE or
 * MS_ERR_OOM.
 */
int ms_rec_base64_decode(const char *text, unsigned char **out, size_t *out_len);

#endif
