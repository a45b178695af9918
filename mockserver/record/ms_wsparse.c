/* ms_wsparse -- incremental RFC 6455 frame parser for a passive tap: any split, masked or not. */
#include "ms_wsparse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ms_err.h"

/*
 * The parser never looks ahead: every byte is consumed as it arrives, so a stream split at any
 * byte boundary gives the same callbacks as the stream in one piece. Header bytes are collected in
 * hdr[] until the header is complete (2 bytes tell how many more there are); payload bytes go,
 * unmasked, straight into the message buffer (data frames) or ctl[] (control frames, at most 125
 * bytes, which may arrive between the fragments of a data message).
 */

#define DEFLATE_TAIL_LEN 4
static const unsigned char deflate_tail[DEFLATE_TAIL_LEN] = {0x00, 0x00, 0xff, 0xff};
/* Buffers grown above this are released after their message, so one big message does not pin
 * memory for the rest of the connection. */
#define KEEP_CAP (1u << 20)

struct ms_wsparse {
    size_t max; /* largest message, 0: none */
    int err;    /* sticky error */

    unsigned char hdr[14];
    size_t hdr_have, hdr_need; /* hdr_need 0: not known yet (fewer than 2 bytes) */

    int in_payload;
    int fin, opcode, rsv1, masked;
    unsigned char mask[4];
    uint64_t remaining, pos; /* payload bytes left in this frame; bytes done (mask index) */

    int msg_active, msg_opcode, msg_compressed;
    unsigned char *msg;
    size_t msg_len, msg_cap;

    unsigned char ctl[125];
    size_t ctl_len;

    int deflate, no_context_takeover, z_ready;
    z_stream z;
    unsigned char *out;
    size_t out_cap;
};

struct ms_wsparse *ms_wsparse_new(size_t max_message)
{
    struct ms_wsparse *p = calloc(1, sizeof *p);
    if (p)
        p->max = max_message;
    return p;
}

void ms_wsparse_free(struct ms_wsparse *p)
{
    if (!p)
        return;
    if (p->z_ready)
        inflateEnd(&p->z);
    free(p->msg);
    free(p->out);
    free(p);
}

int ms_wsparse_enable_deflate(struct ms_wsparse *p, int no_context_takeover)
{
    if (!p->z_ready) {
        memset(&p->z, 0, sizeof p->z);
        /* -15: raw deflate with the largest window, which also decodes any smaller window. */
        if (inflateInit2(&p->z, -15) != Z_OK)
            return MS_ERR_OOM;
        p->z_ready = 1;
    }
    p->deflate = 1;
    p->no_context_takeover = no_context_takeover;
    return 0;
}

int ms_wsparse_close_info(const unsigned char *data, size_t len, int *code, const char **reason,
                          size_t *reason_len)
{
    *code = -1;
    *reason = "";
    *reason_len = 0;
    if (len == 0)
        return 0;
    if (len == 1)
        return MS_ERR_PARSE;
    *code = (data[0] << 8) | data[1];
    *reason = (const char *)data + 2;
    *reason_len = len - 2;
    return 0;
}

/* Makes room for want bytes in the message buffer (plus the deflate tail). */
static int msg_reserve(struct ms_wsparse *p, size_t want)
{
    if (want > SIZE_MAX - DEFLATE_TAIL_LEN - 1)
        return MS_ERR_FULL;
    want += DEFLATE_TAIL_LEN;
    if (want <= p->msg_cap)
        return 0;
    size_t cap = p->msg_cap ? p->msg_cap : 256;
    while (cap < want)
        cap = cap > SIZE_MAX / 2 ? want : cap * 2;
    unsigned char *m = realloc(p->msg, cap);
    if (!m)
        return MS_ERR_OOM;
    p->msg = m;
    p->msg_cap = cap;
    return 0;
}

/* Inflates the assembled message into p->out; *out_len gets its length. */
static int inflate_message(struct ms_wsparse *p, size_t *out_len)
{
    memcpy(p->msg + p->msg_len, deflate_tail, DEFLATE_TAIL_LEN);
    p->z.next_in = p->msg;
    p->z.avail_in = (uInt)(p->msg_len + DEFLATE_TAIL_LEN);
    size_t len = 0;
    int ended = 0;
    for (;;) {
        if (p->out_cap - len < 1024) {
            size_t cap = p->out_cap ? p->out_cap * 2 : 4096;
            if (p->max && cap > p->max + 4096)
                cap = p->max + 4096;
            if (cap <= p->out_cap)
                return MS_ERR_FULL;
            unsigned char *o = realloc(p->out, cap);
            if (!o)
                return MS_ERR_OOM;
            p->out = o;
            p->out_cap = cap;
        }
        p->z.next_out = p->out + len;
        p->z.avail_out = (uInt)(p->out_cap - len);
        int ret = inflate(&p->z, Z_SYNC_FLUSH);
        len = p->out_cap - p->z.avail_out;
        if (p->max && len > p->max)
            return MS_ERR_FULL;
        if (ret == Z_STREAM_END) {
            ended = 1; /* the sender ended the stream (BFINAL): a fresh one starts next time */
            break;
        }
        if (ret == Z_BUF_ERROR) {
            if (p->z.avail_out == 0)
                continue;
            break;
        }
        if (ret != Z_OK)
            return ret == Z_MEM_ERROR ? MS_ERR_OOM : MS_ERR_PARSE;
        if (p->z.avail_in == 0 && p->z.avail_out > 0)
            break;
    }
    if ((ended || p->no_context_takeover) && inflateReset(&p->z) != Z_OK)
        return MS_ERR_PARSE;
    *out_len = len;
    return 0;
}

/* The header in hdr[] is complete: checks it and starts the frame. */
static int start_frame(struct ms_wsparse *p)
{
    unsigned char b0 = p->hdr[0], b1 = p->hdr[1];
    p->fin = (b0 & 0x80) != 0;
    p->rsv1 = (b0 & 0x40) != 0;
    p->opcode = b0 & 0x0f;
    p->masked = (b1 & 0x80) != 0;
    uint64_t len = b1 & 0x7f;
    size_t at = 2;
    if (len == 126) {
        len = ((uint64_t)p->hdr[2] << 8) | p->hdr[3];
        at = 4;
    } else if (len == 127) {
        len = 0;
        for (int i = 0; i < 8; i++)
            len = (len << 8) | p->hdr[2 + i];
        at = 10;
        if (len >> 63)
            return MS_ERR_PARSE;
    }
    if (p->masked)
        memcpy(p->mask, p->hdr + at, 4);
    if (b0 & 0x30)
        return MS_ERR_PARSE; /* RSV2/RSV3: no extension here defines them */
    int control = p->opcode >= 0x8;
    switch (p->opcode) {
    case MS_WS_CONT:
    case MS_WS_TEXT:
    case MS_WS_BINARY:
    case MS_WS_CLOSE:
    case MS_WS_PING:
    case MS_WS_PONG:
        break;
    default:
        return MS_ERR_PARSE;
    }
    if (p->rsv1 && (!p->deflate || p->opcode == MS_WS_CONT || control))
        return MS_ERR_PARSE; /* RSV1 marks a compressed message, on its first frame only */
    if (control) {
        if (!p->fin || len > 125)
            return MS_ERR_PARSE;
        p->ctl_len = 0;
    } else {
        if (p->opcode == MS_WS_CONT && !p->msg_active)
            return MS_ERR_PARSE;
        if (p->opcode != MS_WS_CONT) {
            if (p->msg_active)
                return MS_ERR_PARSE;
            p->msg_active = 1;
            p->msg_opcode = p->opcode;
            p->msg_compressed = p->rsv1;
            p->msg_len = 0;
        }
        if (len > SIZE_MAX - p->msg_len || (p->max && p->msg_len + len > p->max))
            return MS_ERR_FULL;
        /* The buffer grows as the payload arrives (feed()), not by what the header claims: a
         * 10-byte header must not make the parser allocate gigabytes up front. Here only room for
         * what is there (and the deflate tail, even for an empty message). */
        int rc = msg_reserve(p, p->msg_len);
        if (rc)
            return rc;
    }
    p->remaining = len;
    p->pos = 0;
    p->in_payload = 1;
    return 0;
}

/* The current frame's payload is complete: delivers what it completes. */
static int end_frame(struct ms_wsparse *p, ms_wsparse_cb cb, void *user)
{
    p->in_payload = 0;
    p->hdr_have = 0;
    p->hdr_need = 0;
    if (p->opcode >= 0x8)
        return cb(user, p->opcode, p->ctl, p->ctl_len);
    if (!p->fin)
        return 0;
    p->msg_active = 0;
    int rc;
    if (p->msg_compressed) {
        size_t n = 0;
        rc = inflate_message(p, &n);
        if (!rc)
            rc = cb(user, p->msg_opcode, p->out, n);
        if (p->out_cap > KEEP_CAP) {
            free(p->out);
            p->out = NULL;
            p->out_cap = 0;
        }
    } else {
        rc = cb(user, p->msg_opcode, p->msg, p->msg_len);
    }
    p->msg_len = 0;
    if (p->msg_cap > KEEP_CAP) {
        free(p->msg);
        p->msg = NULL;
        p->msg_cap = 0;
    }
    return rc;
}

static int feed(struct ms_wsparse *p, const unsigned char *in, size_t len, ms_wsparse_cb cb,
                void *user)
{
    while (len || (p->in_payload && p->remaining == 0)) {
        if (!p->in_payload) {
            size_t want = p->hdr_need ? p->hdr_need : 2;
            size_t n = want - p->hdr_have;
            if (n > len)
                n = len;
            memcpy(p->hdr + p->hdr_have, in, n);
            p->hdr_have += n;
            in += n;
            len -= n;
            if (p->hdr_have < want)
                return 0;
            if (!p->hdr_need) {
                unsigned char l7 = p->hdr[1] & 0x7f;
                p->hdr_need = 2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0) + (p->hdr[1] & 0x80 ? 4 : 0);
                if (p->hdr_have < p->hdr_need)
                    continue;
            }
            int rc = start_frame(p);
            if (rc)
                return rc;
            continue;
        }
        if (p->remaining) {
            size_t n = p->remaining < len ? (size_t)p->remaining : len;
            if (p->opcode < 0x8) {
                int rc = msg_reserve(p, p->msg_len + n);
                if (rc)
                    return rc;
            }
            unsigned char *dst = p->opcode >= 0x8 ? p->ctl + p->ctl_len : p->msg + p->msg_len;
            if (p->masked) {
                for (size_t i = 0; i < n; i++)
                    dst[i] = in[i] ^ p->mask[(p->pos + i) & 3];
            } else {
                memcpy(dst, in, n);
            }
            if (p->opcode >= 0x8)
                p->ctl_len += n;
            else
                p->msg_len += n;
            p->pos += n;
            p->remaining -= n;
            in += n;
            len -= n;
        }
        if (p->remaining == 0) {
            int rc = end_frame(p, cb, user);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int ms_wsparse_feed(struct ms_wsparse *p, const void *data, size_t len, ms_wsparse_cb cb,
                    void *user)
{
    if (p->err)
        return p->err;
    int rc = feed(p, data, len, cb, user);
    if (rc)
        p->err = rc;
    return rc;
}
