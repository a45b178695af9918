/* test_ms_wsparse -- unit tests of the tap's frame parser: lengths, masks, fragments, splits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ms_err.h"
#include "ms_test.h"
#include "ms_wsparse.h"

/* ---- building frames ---- */

struct stream {
    unsigned char *p;
    size_t len, cap;
};

static void put(struct stream *s, const void *data, size_t n)
{
    if (s->len + n > s->cap) {
        s->cap = (s->len + n) * 2 + 64;
        s->p = realloc(s->p, s->cap);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s->p);
    }
    memcpy(s->p + s->len, data, n);
    s->len += n;
}

/* Appends one frame. b0 is FIN/RSV/opcode as on the wire; mask NULL sends it unmasked; lenbytes
 * forces the length encoding (0: shortest, 2: 16-bit, 8: 64-bit). */
static void frame(struct stream *s, unsigned char b0, const void *payload, size_t len,
                  const unsigned char *mask, int lenbytes)
{
    unsigned char hdr[14];
    size_t h = 0;
    hdr[h++] = b0;
    unsigned char m = mask ? 0x80 : 0;
    if (!lenbytes)
        lenbytes = len < 126 ? 0 : len < 65536 ? 2 : 8;
    if (lenbytes == 0) {
        hdr[h++] = m | (unsigned char)len;
    } else if (lenbytes == 2) {
        hdr[h++] = m | 126;
        hdr[h++] = (unsigned char)(len >> 8);
        hdr[h++] = (unsigned char)len;
    } else {
        hdr[h++] = m | 127;
        for (int i = 7; i >= 0; i--)
            hdr[h++] = (unsigned char)((unsigned long long)len >> (8 * i));
    }
    if (mask) {
        memcpy(hdr + h, mask, 4);
        h += 4;
    }
    put(s, hdr, h);
    const unsigned char *in = payload;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = mask ? in[i] ^ mask[i & 3] : in[i];
        put(s, &c, 1);
    }
}

static const unsigned char MASK[4] = {0x37, 0xfa, 0x21, 0x3d};

/* ---- recording the callbacks as one string ---- */

struct log {
    char text[4096];
    int fail_at; /* return an error on this call (1-based), 0: never */
    int calls;
};

static int log_cb(void *user, int opcode, const unsigned char *data, size_t len)
{
    struct log *l = user;
    char item[256];
    unsigned long h = 5381;
    int printable = 1;
    for (size_t i = 0; i < len; i++) {
        h = h * 33 + data[i];
        printable &= data[i] >= 0x20 && data[i] < 0x7f;
    }
    if (printable && len <= 40) {
        snprintf(item, sizeof item, "%d:\"%.*s\" ", opcode, (int)len, (const char *)data);
    } else if (len <= 24) {
        int k = snprintf(item, sizeof item, "%d:x", opcode);
        for (size_t i = 0; i < len; i++)
            k += snprintf(item + k, sizeof item - (size_t)k, "%02x", data[i]);
        snprintf(item + k, sizeof item - (size_t)k, " ");
    } else
        snprintf(item, sizeof item, "%d:%zu bytes #%lx ", opcode, len, h);
    strncat(l->text, item, sizeof l->text - strlen(l->text) - 1);
    l->calls++;
    return l->calls == l->fail_at ? -100 : 0;
}

/* Feeds the stream in pieces of the given sizes (0-terminated; the rest in one piece). */
static int feed_pieces(struct ms_wsparse *p, const struct stream *s, const size_t *sizes,
                       struct log *l)
{
    size_t off = 0;
    for (; sizes && *sizes && off < s->len; sizes++) {
        size_t n = *sizes < s->len - off ? *sizes : s->len - off;
        int rc = ms_wsparse_feed(p, s->p + off, n, log_cb, l);
        if (rc)
            return rc;
        off += n;
    }
    return ms_wsparse_feed(p, s->p + off, s->len - off, log_cb, l);
}

/* Parses the whole stream in one piece; returns the parser's result, the log in l. */
static int parse_all(const struct stream *s, size_t max, struct log *l)
{
    struct ms_wsparse *p = ms_wsparse_new(max);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    memset(l, 0, sizeof *l);
    int rc = ms_wsparse_feed(p, s->p, s->len, log_cb, l);
    ms_wsparse_free(p);
    return rc;
}

static void expect_log(const struct stream *s, const char *want)
{
    struct log l;
    CU_ASSERT_EQUAL(parse_all(s, 0, &l), 0);
    CU_ASSERT_STRING_EQUAL(l.text, want);
    if (strcmp(l.text, want))
        fprintf(stderr, "\n  got:  %s\n  want: %s\n", l.text, want);
}

static void expect_error(const struct stream *s, size_t max, int err)
{
    struct log l;
    CU_ASSERT_EQUAL(parse_all(s, max, &l), err);
}

/* ---- cases ---- */

static void test_wsparse_reads_unmasked_text_frame(void)
{
    struct stream s = {0};
    frame(&s, 0x81, "hello", 5, NULL, 0);
    expect_log(&s, "1:\"hello\" ");
    free(s.p);
}

static void test_wsparse_unmasks_masked_frames(void)
{
    struct stream s = {0};
    frame(&s, 0x81, "{\"type\":\"ping\"}", 15, MASK, 0);
    frame(&s, 0x82, "\x01\x02\x03", 3, MASK, 0);
    expect_log(&s, "1:\"{\"type\":\"ping\"}\" 2:x010203 ");
    free(s.p);
}

static void test_wsparse_delivers_empty_message(void)
{
    struct stream s = {0};
    frame(&s, 0x81, "", 0, MASK, 0);
    frame(&s, 0x82, "", 0, NULL, 0);
    expect_log(&s, "1:\"\" 2:\"\" ");
    free(s.p);
}

static void test_wsparse_reads_16_bit_lengths(void)
{
    char big[65535];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    struct stream s = {0};
    frame(&s, 0x81, big, 126, MASK, 0);   /* the smallest 16-bit length */
    frame(&s, 0x81, big, 65535, NULL, 0); /* the largest */
    frame(&s, 0x81, "short", 5, NULL, 2); /* a non-minimal encoding is still read */
    struct log l;
    CU_ASSERT_EQUAL(parse_all(&s, 0, &l), 0);
    CU_ASSERT_EQUAL(l.calls, 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(l.text, "1:126 bytes"));
    CU_ASSERT_PTR_NOT_NULL(strstr(l.text, "1:65535 bytes"));
    CU_ASSERT_PTR_NOT_NULL(strstr(l.text, "1:\"short\""));
    free(s.p);
}

static void test_wsparse_reads_64_bit_lengths(void)
{
    size_t n = 70000;
    unsigned char *big = malloc(n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    for (size_t i = 0; i < n; i++)
        big[i] = (unsigned char)(i * 7);
    struct stream s = {0}, t = {0};
    frame(&s, 0x82, big, n, MASK, 0);
    frame(&t, 0x82, big, n, NULL, 8);
    struct log a, b;
    CU_ASSERT_EQUAL(parse_all(&s, 0, &a), 0);
    CU_ASSERT_EQUAL(parse_all(&t, 0, &b), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(a.text, "2:70000 bytes"));
    CU_ASSERT_STRING_EQUAL(a.text, b.text);
    struct stream u = {0};
    frame(&u, 0x81, "x", 1, NULL, 8); /* 64-bit encoding of a tiny length */
    expect_log(&u, "1:\"x\" ");
    free(big);
    free(s.p);
    free(t.p);
    free(u.p);
}

static void test_wsparse_reassembles_fragments_around_control_frames(void)
{
    struct stream s = {0};
    frame(&s, 0x01, "{\"type\":", 8, MASK, 0);     /* text, not final */
    frame(&s, 0x89, "are you there", 13, MASK, 0); /* ping between fragments */
    frame(&s, 0x00, "", 0, MASK, 0);               /* empty continuation */
    frame(&s, 0x8A, "", 0, NULL, 0);               /* pong */
    frame(&s, 0x80, "\"pong\"}", 7, MASK, 0);      /* final continuation */
    frame(&s, 0x02, "\xff", 1, NULL, 0);
    frame(&s, 0x80, "\x00", 1, NULL, 0);
    expect_log(&s, "9:\"are you there\" 10:\"\" 1:\"{\"type\":\"pong\"}\" 2:xff00 ");
    free(s.p);
}

/* A stream with every kind of frame, split at every byte boundary, and fed byte by byte. */
static void test_wsparse_same_result_split_at_every_byte_boundary(void)
{
    char mid[300];
    memset(mid, 'm', sizeof mid);
    struct stream s = {0};
    frame(&s, 0x81, "{\"type\":\"ping\"}", 15, MASK, 0);
    frame(&s, 0x02, mid, 200, MASK, 0);
    frame(&s, 0x89, "p", 1, MASK, 0);
    frame(&s, 0x80, mid, 300, MASK, 8);
    frame(&s, 0x81, "", 0, NULL, 0);
    frame(&s, 0x88,
          "\x03\xe8"
          "bye",
          5, MASK, 0);
    struct log whole;
    CU_ASSERT_EQUAL(parse_all(&s, 0, &whole), 0);
    CU_ASSERT_EQUAL(whole.calls, 5);
    for (size_t k = 1; k < s.len; k++) {
        struct ms_wsparse *p = ms_wsparse_new(0);
        struct log l = {0};
        size_t sizes[] = {k, 0};
        CU_ASSERT_EQUAL(feed_pieces(p, &s, sizes, &l), 0);
        CU_ASSERT_STRING_EQUAL(l.text, whole.text);
        ms_wsparse_free(p);
    }
    struct ms_wsparse *p = ms_wsparse_new(0);
    struct log l = {0};
    for (size_t i = 0; i < s.len; i++)
        CU_ASSERT_EQUAL(ms_wsparse_feed(p, s.p + i, 1, log_cb, &l), 0);
    CU_ASSERT_STRING_EQUAL(l.text, whole.text);
    /* a zero-length feed changes nothing */
    CU_ASSERT_EQUAL(ms_wsparse_feed(p, s.p, 0, log_cb, &l), 0);
    CU_ASSERT_STRING_EQUAL(l.text, whole.text);
    ms_wsparse_free(p);
    free(s.p);
}

static void test_wsparse_close_frame_with_code_and_reason(void)
{
    struct stream s = {0};
    frame(&s, 0x88,
          "\x03\xf3"
          "internal error",
          16, NULL, 0);
    struct log l;
    CU_ASSERT_EQUAL(parse_all(&s, 0, &l), 0);
    CU_ASSERT_STRING_EQUAL(l.text, "8:x03f3696e7465726e616c206572726f72 ");
    int code;
    const char *reason;
    size_t rlen;
    const unsigned char payload[] = "\x03\xf3"
                                    "internal error";
    CU_ASSERT_EQUAL(ms_wsparse_close_info(payload, 16, &code, &reason, &rlen), 0);
    CU_ASSERT_EQUAL(code, 1011);
    CU_ASSERT_EQUAL(rlen, 14);
    CU_ASSERT_NSTRING_EQUAL(reason, "internal error", 14);
    CU_ASSERT_EQUAL(ms_wsparse_close_info(payload, 2, &code, &reason, &rlen), 0);
    CU_ASSERT_EQUAL(code, 1011);
    CU_ASSERT_EQUAL(rlen, 0);
    free(s.p);
}

static void test_wsparse_close_frame_without_code(void)
{
    struct stream s = {0};
    frame(&s, 0x88, "", 0, MASK, 0);
    expect_log(&s, "8:\"\" ");
    int code = 0;
    const char *reason = NULL;
    size_t rlen = 9;
    CU_ASSERT_EQUAL(ms_wsparse_close_info(NULL, 0, &code, &reason, &rlen), 0);
    CU_ASSERT_EQUAL(code, -1);
    CU_ASSERT_EQUAL(rlen, 0);
    CU_ASSERT_EQUAL(ms_wsparse_close_info((const unsigned char *)"\x03", 1, &code, &reason, &rlen),
                    MS_ERR_PARSE);
    free(s.p);
}

static void test_wsparse_rejects_protocol_violations(void)
{
    struct stream s = {0};
    frame(&s, 0x83, "x", 1, NULL, 0); /* reserved data opcode */
    expect_error(&s, 0, MS_ERR_PARSE);
    s.len = 0;
    frame(&s, 0x8B, "x", 1, NULL, 0); /* reserved control opcode */
    expect_error(&s, 0, MS_ERR_PARSE);
    s.len = 0;
    frame(&s, 0x09, "x", 1, NULL, 0); /* fragmented ping */
    expect_error(&s, 0, MS_ERR_PARSE);
    s.len = 0;
    char big[126] = {0};
    frame(&s, 0x89, big, 126, NULL, 0); /* control frame over 125 bytes */
    expect_error(&s, 0, MS_ERR_PARSE);
    s.len = 0;
    frame(&s, 0x80, "x", 1, NULL, 0); /* continuation without a message */
    expect_error(&s, 0, MS_ERR_PARSE);
    s.len = 0;
    frame(&s, 0x01, "x", 1, NULL, 0);
    frame(&s, 0x81, "y", 1, NULL, 0); /* new message inside a fragmented one */
    expect_error(&s, 0, MS_ERR_PARSE);
    s.len = 0;
    frame(&s, 0xC1, "x", 1, NULL, 0); /* RSV1 without permessage-deflate */
    expect_error(&s, 0, MS_ERR_PARSE);
    s.len = 0;
    frame(&s, 0xA1, "x", 1, NULL, 0); /* RSV2 */
    expect_error(&s, 0, MS_ERR_PARSE);
    s.len = 0;
    const unsigned char top_bit[] = {0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1};
    put(&s, top_bit, sizeof top_bit); /* 64-bit length with the top bit set */
    expect_error(&s, 0, MS_ERR_PARSE);
    free(s.p);
}

static void test_wsparse_limits_message_size_across_fragments(void)
{
    char data[100] = {0};
    struct stream s = {0};
    frame(&s, 0x82, data, 64, NULL, 0);
    struct log l;
    CU_ASSERT_EQUAL(parse_all(&s, 64, &l), 0); /* exactly the limit */
    s.len = 0;
    frame(&s, 0x02, data, 40, NULL, 0);
    frame(&s, 0x80, data, 25, NULL, 0);
    expect_error(&s, 64, MS_ERR_FULL);
    free(s.p);
}

static void test_wsparse_errors_are_sticky_and_callback_errors_stop_the_feed(void)
{
    struct stream s = {0};
    frame(&s, 0x83, "x", 1, NULL, 0);
    struct ms_wsparse *p = ms_wsparse_new(0);
    struct log l = {0};
    CU_ASSERT_EQUAL(ms_wsparse_feed(p, s.p, s.len, log_cb, &l), MS_ERR_PARSE);
    s.len = 0;
    frame(&s, 0x81, "ok", 2, NULL, 0);
    CU_ASSERT_EQUAL(ms_wsparse_feed(p, s.p, s.len, log_cb, &l), MS_ERR_PARSE);
    CU_ASSERT_EQUAL(l.calls, 0);
    ms_wsparse_free(p);

    s.len = 0;
    frame(&s, 0x81, "a", 1, NULL, 0);
    frame(&s, 0x81, "b", 1, NULL, 0);
    frame(&s, 0x81, "c", 1, NULL, 0);
    p = ms_wsparse_new(0);
    struct log m = {.fail_at = 2};
    CU_ASSERT_EQUAL(ms_wsparse_feed(p, s.p, s.len, log_cb, &m), -100);
    CU_ASSERT_STRING_EQUAL(m.text, "1:\"a\" 1:\"b\" ");
    ms_wsparse_free(p);
    ms_wsparse_free(NULL);
    free(s.p);
}

/* Raw deflate with a sync flush, without the 00 00 ff ff tail (RFC 7692 7.2.1). */
static size_t deflate_msg(z_stream *z, const char *text, unsigned char *out, size_t cap)
{
    z->next_in = (unsigned char *)text;
    z->avail_in = (uInt)strlen(text);
    z->next_out = out;
    z->avail_out = (uInt)cap;
    CU_ASSERT_EQUAL(deflate(z, Z_SYNC_FLUSH), Z_OK);
    size_t n = cap - z->avail_out;
    CU_ASSERT(n >= 4 && !memcmp(out + n - 4, "\x00\x00\xff\xff", 4));
    return n - 4;
}

static void test_wsparse_inflates_permessage_deflate(void)
{
    z_stream z = {0};
    CU_ASSERT_EQUAL_FATAL(
        deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    unsigned char c1[256], c2[256];
    const char *msg = "{\"type\":\"progress\",\"progress\":0.5,\"progress\":0.5}";
    size_t n1 = deflate_msg(&z, msg, c1, sizeof c1);
    size_t n2 = deflate_msg(&z, msg, c2, sizeof c2); /* uses the shared window */
    deflateEnd(&z);
    CU_ASSERT(n2 < n1);
    struct stream s = {0};
    frame(&s, 0xC1, c1, n1, MASK, 0);
    frame(&s, 0x81, "plain", 5, MASK, 0); /* RSV1 clear: not compressed */
    frame(&s, 0x41, c2, 3, MASK, 0);      /* compressed and fragmented */
    frame(&s, 0x80, c2 + 3, n2 - 3, MASK, 0);
    struct ms_wsparse *p = ms_wsparse_new(0);
    CU_ASSERT_EQUAL(ms_wsparse_enable_deflate(p, 0), 0);
    struct log l = {0};
    CU_ASSERT_EQUAL(ms_wsparse_feed(p, s.p, s.len, log_cb, &l), 0);
    char want[512];
    snprintf(want, sizeof want, "1:%zu bytes #", strlen(msg));
    CU_ASSERT_EQUAL(l.calls, 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(l.text, "1:\"plain\""));
    const char *first = strstr(l.text, want);
    CU_ASSERT_PTR_NOT_NULL_FATAL(first);
    CU_ASSERT_PTR_NOT_NULL(strstr(first + 1, want)); /* both inflate to the same text */
    ms_wsparse_free(p);

    /* With no_context_takeover the second message cannot be read: the window was dropped. */
    p = ms_wsparse_new(0);
    CU_ASSERT_EQUAL(ms_wsparse_enable_deflate(p, 1), 0);
    struct log m = {0};
    int rc = ms_wsparse_feed(p, s.p, s.len, log_cb, &m);
    CU_ASSERT(rc == MS_ERR_PARSE || strcmp(m.text, l.text) != 0);
    ms_wsparse_free(p);
    free(s.p);
}

static void test_wsparse_rejects_bad_deflate_data_and_limits_inflated_size(void)
{
    struct stream s = {0};
    frame(&s, 0xC1, "\xff\xff\xff\xff", 4, NULL, 0);
    struct ms_wsparse *p = ms_wsparse_new(0);
    ms_wsparse_enable_deflate(p, 0);
    struct log l = {0};
    CU_ASSERT_EQUAL(ms_wsparse_feed(p, s.p, s.len, log_cb, &l), MS_ERR_PARSE);
    ms_wsparse_free(p);

    z_stream z = {0};
    deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
    char text[20001];
    memset(text, 'a', 20000);
    text[20000] = '\0';
    unsigned char c[1024];
    size_t n = deflate_msg(&z, text, c, sizeof c);
    deflateEnd(&z);
    s.len = 0;
    frame(&s, 0xC1, c, n, NULL, 0);
    p = ms_wsparse_new(10000);
    ms_wsparse_enable_deflate(p, 0);
    CU_ASSERT_EQUAL(ms_wsparse_feed(p, s.p, s.len, log_cb, &l), MS_ERR_FULL);
    ms_wsparse_free(p);
    p = ms_wsparse_new(20000);
    ms_wsparse_enable_deflate(p, 0);
    struct log m = {0};
    CU_ASSERT_EQUAL(ms_wsparse_feed(p, s.p, s.len, log_cb, &m), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(m.text, "1:20000 bytes"));
    ms_wsparse_free(p);
    free(s.p);
}

static CU_TestInfo tests[] = {
    MS_TEST(test_wsparse_reads_unmasked_text_frame),
    MS_TEST(test_wsparse_unmasks_masked_frames),
    MS_TEST(test_wsparse_delivers_empty_message),
    MS_TEST(test_wsparse_reads_16_bit_lengths),
    MS_TEST(test_wsparse_reads_64_bit_lengths),
    MS_TEST(test_wsparse_reassembles_fragments_around_control_frames),
    MS_TEST(test_wsparse_same_result_split_at_every_byte_boundary),
    MS_TEST(test_wsparse_close_frame_with_code_and_reason),
    MS_TEST(test_wsparse_close_frame_without_code),
    MS_TEST(test_wsparse_rejects_protocol_violations),
    MS_TEST(test_wsparse_limits_message_size_across_fragments),
    MS_TEST(test_wsparse_errors_are_sticky_and_callback_errors_stop_the_feed),
    MS_TEST(test_wsparse_inflates_permessage_deflate),
    MS_TEST(test_wsparse_rejects_bad_deflate_data_and_limits_inflated_size),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"ms_wsparse", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};
