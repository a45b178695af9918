/* ms_engine -- script cursors, the timeline's schedule and expectation bookkeeping, all driven by
 * the clock values the caller passes in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ms_engine.h"

/* ---- scripts ---- */

void ms_cursor_init(struct ms_cursor *c, const struct ms_steps *steps)
{
    memset(c, 0, sizeof(*c));
    c->stack[0].steps = steps;
    c->stack[0].iteration = 1;
    c->depth = steps ? 1 : 0;
}

const struct ms_step *ms_cursor_next(struct ms_cursor *c)
{
    while (c->depth > 0) {
        typeof(c->stack[0]) *fp = &c->stack[c->depth - 1];
        if (fp->idx >= fp->steps->n) {
            if (fp->left != 0) {
                if (fp->left > 0)
                    fp->left--;
                fp->idx = 0;
                fp->iteration++;
                continue;
            }
            c->depth--;
            continue;
        }
        const struct ms_step *st = &fp->steps->v[fp->idx++];
        if (st->kind != MS_STEP_REPEAT)
            return st;
        if (c->depth < MS_CURSOR_DEPTH && st->body && st->body->n) {
            c->depth++;
            c->stack[c->depth - 1].steps = st->body;
            c->stack[c->depth - 1].idx = 0;
            c->stack[c->depth - 1].left = st->count < 0 ? -1 : st->count - 1;
            c->stack[c->depth - 1].iteration = 1;
        }
    }
    return NULL;
}

long long ms_cursor_iteration(const struct ms_cursor *c)
{
    return c->depth > 0 ? c->stack[c->depth - 1].iteration : 1;
}

/* ---- the timeline ---- */

void ms_timeline_start(struct ms_timeline_run *r, int64_t now_ms)
{
    r->next = 0;
    r->base_ms = now_ms;
    r->iteration = 1;
}

/* Moves to the next pass when the current one is over and the timeline loops. */
static void wrap(const struct ms_scenario *s, double scale, struct ms_timeline_run *r)
{
    if (r->next >= s->n_timeline && s->timeline_loop_ms > 0 && s->n_timeline) {
        r->base_ms += ms_scale_ms(s->timeline_loop_ms, scale);
        r->next = 0;
        r->iteration++;
    }
}

int64_t ms_timeline_next_due(const struct ms_scenario *s, double scale,
                             const struct ms_timeline_run *r)
{
    if (!s)
        return -1;
    struct ms_timeline_run t = *r;
    wrap(s, scale, &t);
    if (t.next >= s->n_timeline)
        return -1;
    return t.base_ms + ms_scale_ms(s->timeline[t.next].at_ms, scale);
}

const struct ms_tl_event *ms_timeline_due(const struct ms_scenario *s, double scale,
                                          struct ms_timeline_run *r, int64_t now_ms, size_t *index)
{
    int64_t due = ms_timeline_next_due(s, scale, r);
    if (due < 0 || due > now_ms)
        return NULL;
    wrap(s, scale, r);
    *index = r->next++;
    return &s->timeline[*index];
}

/* ---- expectations ---- */

void ms_expect_settle(const struct ms_scenario *s, struct ms_expect_state *xs, size_t i, int status,
                      const char *detail, ms_expect_cb cb, void *arg)
{
    (void)s;
    struct ms_expect_state *x = &xs[i];
    if (x->status == MS_EXPECT_FAILED)
        return;
    int changed = x->status != status;
    x->status = status;
    snprintf(x->detail, sizeof(x->detail), "%s", detail);
    if (changed && status != MS_EXPECT_PENDING && cb)
        cb(arg, i, status, detail);
}

void ms_expect_on_attempt(const struct ms_scenario *s, struct ms_expect_state *xs, double scale,
                          const char *path, int accepted, double t_ms, ms_expect_cb cb, void *arg)
{
    for (size_t i = 0; s && i < s->n_expects; i++) {
        const struct ms_expect *e = &s->expects[i];
        struct ms_expect_state *x = &xs[i];
        if (!ms_path_match(e->path, path) || x->status == MS_EXPECT_FAILED)
            continue;
        char detail[256];
        if (e->kind == MS_EXPECT_ATTEMPTS) {
            x->count++;
            if (e->max >= 0 && x->count > e->max) {
                snprintf(detail, sizeof(detail), "%ld attempts on %s, more than the maximum %ld",
                         x->count, e->path, e->max);
                ms_expect_settle(s, xs, i, MS_EXPECT_FAILED, detail, cb, arg);
            } else if (x->count >= e->min) {
                snprintf(detail, sizeof(detail), "%ld attempts on %s", x->count, e->path);
                ms_expect_settle(s, xs, i, MS_EXPECT_MET, detail, cb, arg);
            }
        } else if (e->kind == MS_EXPECT_POLICY) {
            if (x->n_att == x->cap_att) {
                size_t cap = x->cap_att ? x->cap_att * 2 : 16;
                struct ms_attempt *n = realloc(x->att, cap * sizeof(*n));
                if (!n)
                    continue;
                x->att = n;
                x->cap_att = cap;
            }
            x->att[x->n_att++] = (struct ms_attempt){.t_ms = t_ms, .opened = accepted};
            int ok =
                ms_policy_check(&e->policy, scale, x->att, x->n_att, NULL, detail, sizeof(detail));
            if (ok >= 0)
                ms_expect_settle(s, xs, i, ok ? MS_EXPECT_MET : MS_EXPECT_FAILED, detail, cb, arg);
        }
    }
}

uint64_t ms_expect_sends_for(const struct ms_scenario *s, const struct ms_expect_state *xs,
                             const char *path)
{
    uint64_t bits = 0;
    for (size_t i = 0; s && i < s->n_expects && i < 64; i++)
        if (s->expects[i].kind == MS_EXPECT_SENDS && ms_path_match(s->expects[i].path, path) &&
            xs[i].status != MS_EXPECT_FAILED)
            bits |= 1ull << i;
    return bits;
}

static int sends_match(const cJSON *want, const cJSON *msg, const char *text)
{
    if (cJSON_IsString(want))
        return !strcmp(want->valuestring, text);
    return msg && ms_json_contains(msg, want);
}

uint64_t ms_expect_on_message(const struct ms_scenario *s, struct ms_expect_state *xs,
                              uint64_t pending, const cJSON *msg, const char *text, ms_expect_cb cb,
                              void *arg)
{
    for (size_t i = 0; s && i < s->n_expects && i < 64; i++) {
        if (!(pending & (1ull << i)) || !sends_match(s->expects[i].sends, msg, text))
            continue;
        pending &= ~(1ull << i);
        xs[i].count++;
        char detail[256];
        snprintf(detail, sizeof(detail), "%ld connection%s sent it in time", xs[i].count,
                 xs[i].count == 1 ? "" : "s");
        ms_expect_settle(s, xs, i, MS_EXPECT_MET, detail, cb, arg);
    }
    return pending;
}

uint64_t ms_expect_check_deadlines(const struct ms_scenario *s, struct ms_expect_state *xs,
                                   double scale, uint64_t pending, uint64_t conn, const char *path,
                                   int64_t open_ms, int64_t now_ms, int closing, int64_t *next_ms,
                                   ms_expect_cb cb, void *arg)
{
    *next_ms = -1;
    for (size_t i = 0; s && i < s->n_expects && i < 64; i++) {
        if (!(pending & (1ull << i)))
            continue;
        long long within = ms_scale_ms(s->expects[i].within_ms, scale);
        int64_t deadline = open_ms + within;
        if (now_ms >= deadline) {
            char detail[256];
            snprintf(detail, sizeof(detail),
                     "conn %llu on %.100s sent no matching message within %lld ms",
                     (unsigned long long)conn, path, within);
            pending &= ~(1ull << i);
            ms_expect_settle(s, xs, i, MS_EXPECT_FAILED, detail, cb, arg);
        } else if (closing) {
            pending &= ~(1ull << i); /* closed before its deadline: not judged */
        } else if (*next_ms < 0 || deadline < *next_ms) {
            *next_ms = deadline;
        }
    }
    return pending;
}

void ms_expect_free(struct ms_expect_state *xs, size_t n)
{
    for (size_t i = 0; xs && i < n; i++) {
        free(xs[i].att);
        xs[i].att = NULL;
    }
}
