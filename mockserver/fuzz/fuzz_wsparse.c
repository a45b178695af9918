/* fuzz_wsparse -- a WebSocket byte stream fed whole and in pieces: the same messages either way. */
#include "fuzz_target.h"
#include "ms_err.h"
#include "ms_wsparse.h"

/*
 * Input: byte 0 chooses the set-up (bit 0 permessage-deflate, bit 1 no_context_takeover, bits 2-3
 * the message limit, bits 4-7 how the second feed splits the stream); the rest is the stream.
 */

/* What the callbacks saw: a count, a running hash of (opcode, length, bytes), and the total. */
struct seen {
    size_t messages, bytes;
    uint64_t hash;
};

static int on_message(void *user, int opcode, const unsigned char *data, size_t len)
{
    struct seen *s = user;
    FUZZ_CHECK(opcode == MS_WS_TEXT || opcode == MS_WS_BINARY || opcode == MS_WS_CLOSE ||
               opcode == MS_WS_PING || opcode == MS_WS_PONG);
    FUZZ_CHECK(len == 0 || data != NULL);
    if (opcode >= MS_WS_CLOSE)
        FUZZ_CHECK(len <= 125);
    if (opcode == MS_WS_CLOSE) {
        int code;
        const char *reason;
        size_t rl;
        int rc = ms_wsparse_close_info(data, len, &code, &reason, &rl);
        FUZZ_CHECK(rc == 0 ? (len == 0 ? code == -1 && rl == 0 : rl == len - 2) : len == 1);
    }
    uint64_t h = s->hash ^ ((uint64_t)opcode << 56 ^ len);
    for (size_t i = 0; i < len; i++)
        h = (h ^ data[i]) * 0x100000001b3ull;
    s->hash = h * 0x100000001b3ull;
    s->messages++;
    s->bytes += len;
    return 0;
}

static struct ms_wsparse *make(unsigned flags)
{
    static const size_t limits[] = {0, 16, 4096, 1u << 20};
    struct ms_wsparse *p = ms_wsparse_new(limits[(flags >> 2) & 3]);
    FUZZ_CHECK(p != NULL);
    if (flags & 1)
        FUZZ_CHECK(ms_wsparse_enable_deflate(p, (flags >> 1) & 1) == 0);
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned flags = data[0];
    const uint8_t *in = data + 1;
    size_t len = size - 1;

    struct seen whole = {0}, parts = {0};
    struct ms_wsparse *a = make(flags);
    int ra = ms_wsparse_feed(a, in, len, on_message, &whole);
    FUZZ_CHECK(ra == 0 || ra == MS_ERR_PARSE || ra == MS_ERR_FULL || ra == MS_ERR_OOM);
    if (ra) /* an error is sticky */
        FUZZ_CHECK(ms_wsparse_feed(a, in, len, on_message, &whole) == ra);
    ms_wsparse_free(a);

    /* Pieces of 1..16 bytes, sizes from a tiny generator seeded by the flags. */
    struct ms_wsparse *b = make(flags);
    unsigned x = (flags >> 4) | 1;
    int rb = 0;
    for (size_t off = 0; off < len && !rb;) {
        x = x * 1103515245u + 12345u;
        size_t n = 1 + ((x >> 16) & 15);
        if (n > len - off)
            n = len - off;
        rb = ms_wsparse_feed(b, in + off, n, on_message, &parts);
        off += n;
    }
    ms_wsparse_free(b);

    /* "a stream split at any byte boundary gives the same callbacks as the stream in one piece" */
    FUZZ_CHECK(ra == rb);
    FUZZ_CHECK(whole.messages == parts.messages && whole.bytes == parts.bytes);
    FUZZ_CHECK(whole.hash == parts.hash);
    return 0;
}
