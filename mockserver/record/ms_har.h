/* ms_har -- WebSocket sessions read from a HAR file (Chrome's _webSocketMessages) into a recording.
 */
#ifndef MS_HAR_H
#define MS_HAR_H

#include <stddef.h>

#include "ms_recording.h"

/*
 * Reads the HAR text (len bytes; origin names it in messages) into rec.
 *
 * A WebSocket entry of $.log.entries is one whose _resourceType is "websocket", or whose response
 * status is 101, or that has _webSocketMessages, or whose request URL is ws:// or wss://. Those
 * entries are taken in startedDateTime order (stable) and become upgrade attempts on their URL's
 * path: status 101 is accepted, with each _webSocketMessages item ({"type": "send" | "receive",
 * "time": epoch seconds, "opcode": 1 | 2, "data": text, or base64 for opcode 2}) a client message
 * ("send") or a server message ("receive"); a status of 100-599 is refused with the response's
 * headers and content.text (base64 decoded when content.encoding is "base64"); status 0 (no
 * answer) is reset. The connection opens at startedDateTime plus the timings blocked, dns,
 * connect, send and wait (those >= 0), or at its first message if that is earlier. Every other
 * entry counts as one HTTP exchange.
 *
 * On success returns 0 and writes into source (srclen bytes, NUL-terminated) where the sessions
 * came from: "SCHEME://HOST" of the first WebSocket entry's URL, and into recorded_on (dlen bytes)
 * its startedDateTime. Otherwise returns MS_ERR_PARSE (not JSON: "ORIGIN:LINE:COLUMN: JSON syntax
 * error"), MS_ERR_INVALID (a missing member, a wrong type or value, a WebSocket URL whose path
 * holds a '*' (a scenario cannot name it), no WebSocket entry:
 * "ORIGIN: $.log.entries[2].response.status: expected a number, got a string"), or MS_ERR_OOM,
 * with that one line in err (errlen bytes, NUL-terminated). rec may then hold part of the file.
 */
int ms_har_import(const char *text, size_t len, const char *origin, struct ms_recording *rec,
                  char *source, size_t srclen, char *recorded_on, size_t dlen, char *err,
                  size_t errlen);

/*
 * Parses "YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM|-HH:MM]" (no zone: UTC) into microseconds since
 * the epoch. Returns 0 or MS_ERR_PARSE.
 */
int ms_har_parse_time(const char *text, long long *epoch_us);

#endif
