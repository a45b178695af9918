/* ms_tap -- a passive parser of one proxied TCP connection: HTTP/1.1 exchanges, upgrades, frames.
 */
#ifndef MS_TAP_H
#define MS_TAP_H

#include <stddef.h>
#include <stdint.h>

#include "ms_recording.h"

/*
 * One per proxied TCP connection. It is fed the bytes of both directions as they pass, in the
 * order they were read, and tells the recording what happened:
 *  - each request head with "Upgrade: websocket" starts an upgrade attempt on its path;
 *  - the response to it (matched in order, 1xx other than 101 skipped) accepts it (101: both
 *    directions then parse WebSocket frames, permessage-deflate decoded when negotiated) or
 *    refuses it (status, headers, the body by Content-Length, chunked or up to the end);
 *  - a server that ends the connection without answering resets the attempt (unless the client
 *    had already ended its side: then it stays unanswered);
 *  - after a 101: server messages, pings and closes; client messages and closes; the server's end
 *    of the TCP stream without a close frame is a drop, the client's is the client closing;
 *  - any other exchange counts as one HTTP exchange.
 * It never fails the connection: on input it cannot follow (a head over 64 KiB, a protocol
 * error, a message over 64 MiB, OOM) it stops following that direction (or both) and keeps a
 * reason for ms_tap_problem(). Times are microseconds on the recording's clock.
 */
struct ms_tap;

/* Returns a new tap writing into rec (borrowed; must outlive the tap), or NULL on OOM. Caller frees
 * with ms_tap_free(). */
struct ms_tap *ms_tap_new(struct ms_recording *rec);
/* Frees the tap. Upgrade attempts still waiting for an answer stay unanswered in the recording. */
void ms_tap_free(struct ms_tap *tap);

/* Bytes the client sent (borrowed for the call), read at t_us. */
void ms_tap_client_data(struct ms_tap *tap, const void *data, size_t len, int64_t t_us);
/* Bytes the server sent (borrowed for the call), read at t_us. */
void ms_tap_server_data(struct ms_tap *tap, const void *data, size_t len, int64_t t_us);
/* The client ended its side of the connection (EOF or error) at t_us. */
void ms_tap_client_eof(struct ms_tap *tap, int64_t t_us);
/* The server ended its side of the connection (EOF or error) at t_us. */
void ms_tap_server_eof(struct ms_tap *tap, int64_t t_us);

/* Why the tap stopped following (a static string), or NULL while it follows everything. */
const char *ms_tap_problem(const struct ms_tap *tap);

#endif
