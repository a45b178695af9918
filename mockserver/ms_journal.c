/* ms_journal -- a bounded ring of events rendered once as JSON, with filtered queries and a file
 * mirror. */
#include "ms_journal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ms_time.h"

/* One kept event: its text as rendered at add time, and the members queries filter on. */
struct event {
    uint64_t seq;
    char *text;
    char *type; /* NULL if the event had no string "type" */
    char *path; /* NULL if the event had no string "path" */
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
    free(e->type);
    free(e->path);
    *e = (struct event){0};
}

static const struct event *nth(const struct ms_journal *j, size_t i)
{
    return &j->ring[(j->start + i) % j->cap];
}

/* A copy of obj's string member key; *out stays NULL if there is none. 0, or -1 on OOM. */
static int copy_string_member(const cJSON *obj, const char *key, char **out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!cJSON_IsString(item))
        return 0;
    *out = strdup(item->valuestring);
    return *out ? 0 : -1;
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
    if (copy_string_member(out, "type", &e.type) || copy_string_member(out, "path", &e.path))
        goto fail;
    if (!(e.text = cJSON_PrintUnformatted(out)))
        goto fail;
    cJSON_Delete(out);
    cJSON_Delete(ev);

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

fail:
    event_clear(&e);
    cJSON_Delete(out);
    cJSON_Delete(ev);
    return 0;
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
