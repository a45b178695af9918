/* ms_journal -- a bounded ring of events rendered once as JSON, with filtered queries and a file
 * mirror. */
#include "ms_journal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ms_time.h"

/* One kept event: its text as rendered at add time, and the members queries filter on. One
 * allocation holds all three strings (text owns it). */
struct event {
    uint64_t seq;
    char *text;
    const char *type; /* NULL if the event had no string "type" (points into text's block) */
    const char *path; /* NULL if the event had no string "path" (same) */
};

struct ms_journal {
    struct event *ring;
    size_t cap, start, count;
    uint64_t seq;  /* of the newest event; 0 before the first */
    int64_t t0_ms; /* monotonic time of creation or reset */
    FILE *mirror;  /* borrowed */
};

static void event_clear(struct event *e)
{
    free(e->text);
    *e = (struct event){0};
}

/* Fills e with one block: head body tail NUL type NUL path NUL (the text is head body tail).
 * 0, or -1 on OOM. */
static int event_fill(struct event *e, const char *head, size_t head_len, const char *body,
                      size_t body_len, const char *tail, const char *type, const char *path)
{
    size_t tl = type ? strlen(type) + 1 : 0, pl = path ? strlen(path) + 1 : 0;
    size_t tail_len = strlen(tail), text_len = head_len + body_len + tail_len;
    char *b = malloc(text_len + 1 + tl + pl);
    if (!b)
        return -1;
    memcpy(b, head, head_len);
    memcpy(b + head_len, body, body_len);
    memcpy(b + head_len + body_len, tail, tail_len);
    b[text_len] = '\0';
    char *t = b + text_len + 1;
    e->type = type ? memcpy(t, type, tl) : NULL;
    e->path = path ? memcpy(t + tl, path, pl) : NULL;
    e->text = b;
    return 0;
}

static const struct event *nth(const struct ms_journal *j, size_t i)
{
    return &j->ring[(j->start + i) % j->cap];
}

static const char *string_member(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static int matches(const struct event *e, const struct ms_journal_filter *f)
{
    if (e->seq <= f->since)
        return 0;
    if (f->type && (!e->type || strcmp(e->type, f->type)))
        return 0;
    if (f->path) {
        size_t n = strlen(f->path);
        if (!e->path)
            return 0;
        if (n && f->path[n - 1] == '*')
            return !strncmp(e->path, f->path, n - 1);
        return !strcmp(e->path, f->path);
    }
    return 1;
}

static uint64_t keep(struct ms_journal *j, struct event *ep);

struct ms_journal *ms_journal_new(size_t capacity, FILE *mirror)
{
    if (capacity < 1)
        return NULL;
    struct ms_journal *j = calloc(1, sizeof(*j));
    if (!j)
        goto fail;
    j->ring = calloc(capacity, sizeof(*j->ring));
    if (!j->ring)
        goto fail;
    j->cap = capacity;
    j->mirror = mirror;
    j->t0_ms = ms_time_mono_ms();
    return j;

fail:
    free(j);
    return NULL;
}

void ms_journal_free(struct ms_journal *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->count; i++)
        event_clear(&j->ring[(j->start + i) % j->cap]);
    free(j->ring);
    free(j);
}

void ms_journal_reset(struct ms_journal *j, int64_t now_mono_ms)
{
    for (size_t i = 0; i < j->count; i++)
        event_clear(&j->ring[(j->start + i) % j->cap]);
    j->start = j->count = 0;
    j->seq = 0;
    j->t0_ms = now_mono_ms;
    if (j->mirror) {
        fputs("{\"type\":\"reset\"}\n", j->mirror);
        fflush(j->mirror);
    }
}

uint64_t ms_journal_add(struct ms_journal *j, cJSON *ev, int64_t now_mono_ms)
{
    struct event e = {.seq = j->seq + 1};
    cJSON *out = NULL;
    if (!cJSON_IsObject(ev))
        goto fail;
    out = cJSON_CreateObject();
    if (!out || !cJSON_AddNumberToObject(out, "seq", (double)e.seq) ||
        !cJSON_AddNumberToObject(out, "t_ms", (double)ms_journal_t_ms(j, now_mono_ms)))
        goto fail;
    /* Move the caller's members over in order; detached items keep their key. Their own "seq" and
     * "t_ms", if any, would duplicate ours: they are dropped. */
    while (ev->child) {
        cJSON *item = cJSON_DetachItemViaPointer(ev, ev->child);
        if (item->string && (!strcmp(item->string, "seq") || !strcmp(item->string, "t_ms"))) {
            cJSON_Delete(item);
            continue;
        }
        cJSON_AddItemToArray(out, item);
    }
    char *text = cJSON_PrintUnformatted(out);
    if (!text)
        goto fail;
    int rc = event_fill(&e, "", 0, text, strlen(text), "", string_member(out, "type"),
                        string_member(out, "path"));
    free(text);
    if (rc)
        goto fail;
    cJSON_Delete(out);
    cJSON_Delete(ev);
    return keep(j, &e);

fail:
    event_clear(&e);
    cJSON_Delete(out);
    cJSON_Delete(ev);
    return 0;
}

uint64_t ms_journal_add_rendered(struct ms_journal *j, const char *type, const char *path,
                                 const char *members, size_t len, int64_t now_mono_ms)
{
    struct event e = {.seq = j->seq + 1};
    char head[80];
    int hl = snprintf(head, sizeof(head), "{\"seq\":%" PRIu64 ",\"t_ms\":%" PRId64 ",", e.seq,
                      ms_journal_t_ms(j, now_mono_ms));
    if (event_fill(&e, head, (size_t)hl, members, len, "}", type, path))
        return 0;
    return keep(j, &e);
}

/* Stores a rendered event (taking it), evicting the oldest when full; mirrors it. */
static uint64_t keep(struct ms_journal *j, struct event *ep)
{
    struct event e = *ep;
    if (j->count == j->cap) {
        event_clear(&j->ring[j->start]);
        j->start = (j->start + 1) % j->cap;
        j->count--;
    }
    j->ring[(j->start + j->count++) % j->cap] = e;
    j->seq = e.seq;
    if (j->mirror) {
        fputs(e.text, j->mirror);
        fputc('\n', j->mirror);
        fflush(j->mirror);
    }
    return e.seq;
}

uint64_t ms_journal_last_seq(const struct ms_journal *j)
{
    return j->seq;
}

int64_t ms_journal_t_ms(const struct ms_journal *j, int64_t now_mono_ms)
{
    return now_mono_ms - j->t0_ms;
}

int ms_journal_has(const struct ms_journal *j, const struct ms_journal_filter *f)
{
    for (size_t i = 0; i < j->count; i++)
        if (matches(nth(j, i), f))
            return 1;
    return 0;
}

char *ms_journal_query(const struct ms_journal *j, const struct ms_journal_filter *f)
{
    /* Events before the oldest kept one were evicted (seq restarts at 1 on reset). */
    uint64_t oldest = j->count ? nth(j, 0)->seq : j->seq + 1;
    uint64_t dropped = oldest - 1 > f->since ? oldest - 1 - f->since : 0;
    char tail[64];
    int tail_len = snprintf(tail, sizeof(tail), "],\"next\":%" PRIu64 ",\"dropped\":%" PRIu64 "}",
                            j->seq, dropped);
    static const char head[] = "{\"events\":[";
    size_t len = sizeof(head) - 1 + (size_t)tail_len;
    for (size_t i = 0; i < j->count; i++)
        if (matches(nth(j, i), f))
            len += strlen(nth(j, i)->text) + 1;

    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    char *p = out;
    memcpy(p, head, sizeof(head) - 1);
    p += sizeof(head) - 1;
    int first = 1;
    for (size_t i = 0; i < j->count; i++) {
        const struct event *e = nth(j, i);
        if (!matches(e, f))
            continue;
        if (!first)
            *p++ = ',';
        first = 0;
        size_t n = strlen(e->text);
        memcpy(p, e->text, n);
        p += n;
    }
    memcpy(p, tail, (size_t)tail_len + 1);
    return out;
}

/* The letter of a control character's short JSON escape (\n: 'n'), or 0 when it has none. */
static char short_escape(unsigned char ch)
{
    switch (ch) {
    case '\b':
        return 'b';
    case '\f':
        return 'f';
    case '\n':
        return 'n';
    case '\r':
        return 'r';
    case '\t':
        return 't';
    default:
        return 0;
    }
}

char *ms_journal_json_string(const unsigned char *s, size_t len, size_t *out_len)
{
    /* cJSON's escaping, so both paths render strings alike: the short escapes, other controls as
     * \u00XX, everything else (UTF-8 included) as it is */
    size_t n = 2;
    for (size_t i = 0; i < len; i++)
        n += s[i] == '"' || s[i] == '\\' ? 2 : s[i] >= 32 ? 1 : short_escape(s[i]) ? 2 : 6;
    char *out = malloc(n + 1), *p = out;
    if (!out)
        return NULL;
    *p++ = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = s[i];
        char k = ch < 32 ? short_escape(ch) : 0;
        if (ch == '"' || ch == '\\') {
            *p++ = '\\';
            *p++ = (char)ch;
        } else if (ch >= 32) {
            *p++ = (char)ch;
        } else if (k) {
            *p++ = '\\';
            *p++ = k;
        } else {
            p += sprintf(p, "\\u%04x", ch);
        }
    }
    *p++ = '"';
    *p = '\0';
    if (out_len)
        *out_len = (size_t)(p - out);
    return out;
}
