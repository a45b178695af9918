/* ms_wsparse -- incremental RFC 6455 frame parser for a passive tap: any split, masked or not. */
#ifndef MS_WSPARSE_H
#define MS_WSPARSE_H

#include <stddef.h>

/* Opcodes as they appear on the wire. */
enum ms_ws_opcode {
    MS_WS_CONT = 0x0,
    MS_WS_TEXT = 0x1,
    MS_WS_BINARY = 0x2,
    MS_WS_CLOSE = 0x8,
    MS_WS_PING = 0x9,
    MS_WS_PONG = 0xA,
};

/* One direction of one WebSocket connection (so two per tapped connection). */
struct ms_wsparse;

/*
 * Called once per complete message: a text or binary message (fragments reassembled, opcode of
 * the first fragment, payload unmasked and, with permessage-deflate, inflated) or a control frame
 * (close, ping, pong). data is borrowed and valid only during the call (it may be NULL when len is
 * 0). Return 0 to go on; a negative value stops the feed and is returned by ms_wsparse_feed().
 */
typedef int (*ms_wsparse_cb)(void *user, int opcode, const unsigned char *data, size_t len);

/*
 * Returns a new parser that refuses messages longer than max_message bytes (0: no limit), or NULL
 * on OOM. Caller frees with ms_wsparse_free().
 */
struct ms_wsparse *ms_wsparse_new(size_t max_message);
/* Frees the parser and everything it holds; NULL is ignored. */
void ms_wsparse_free(struct ms_wsparse *p);

/*
 * Decodes permessage-deflate (RFC 7692) from now on: messages whose first frame has RSV1 set are
 * inflated; no_context_takeover resets the window after each message (the sender's
 * *_no_context_takeover parameter). Returns 0 or MS_ERR_OOM.
 */
int ms_wsparse_enable_deflate(struct ms_wsparse *p, int no_context_takeover);

/*
 * Parses len bytes (any part of the stream: a byte, many frames), calling cb for every message
 * completed by them. Returns 0; MS_ERR_PARSE on a protocol violation (reserved opcode or RSV bit,
 * fragmented or over-long control frame, stray continuation, new message inside a fragmented one,
 * 64-bit length with the top bit set, bad deflate data); MS_ERR_FULL when a message exceeds the
 * limit; MS_ERR_OOM; or what cb returned. An error is sticky: later feeds return it at once.
 */
int ms_wsparse_feed(struct ms_wsparse *p, const void *data, size_t len, ms_wsparse_cb cb,
                    void *user);

/*
 * Splits a close frame's payload: *code gets the status code (-1 when the payload is empty),
 * *reason / *reason_len the reason bytes (borrowed from data). Returns 0, or MS_ERR_PARSE for a
 * 1-byte payload.
 */
int ms_wsparse_close_info(const unsigned char *data, size_t len, int *code, const char **reason,
                          size_t *reason_len);

#endif
