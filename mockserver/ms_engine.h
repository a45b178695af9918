/* ms_engine -- the scenario engine's clockless logic: walking a script, the timeline's schedule
 * and the expectations' bookkeeping. Time comes in as arguments (monotonic ms), so the server
 * passes its clock and unit tests pass a test clock. */
#ifndef MS_ENGINE_H
#define MS_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include "ms_scenario.h"

/* ---- scripts ---- */

#define MS_CURSOR_DEPTH 16

/* Where a script is: a stack of step lists (repeat blocks push one). */
struct ms_cursor {
    struct {
        const struct ms_steps *steps;
        size_t idx;
        long long left; /* passes still to run after this one (-1: forever) */
        long long iteration;
    } stack[MS_CURSOR_DEPTH];
    int depth;
};

/* Starts a cursor at the first step of steps. */
void ms_cursor_init(struct ms_cursor *c, const struct ms_steps *steps);
/* The next step to perform (never a repeat: blocks are entered and looped here), or NULL when the
 * script is over. Repeats nested deeper than MS_CURSOR_DEPTH are skipped. */
const struct ms_step *ms_cursor_next(struct ms_cursor *c);
/* The innermost repeat pass (1 outside any repeat). */
long long ms_cursor_iteration(const struct ms_cursor *c);

/* ---- the timeline ---- */

struct ms_timeline_run {
    size_t next;        /* index of the next event */
    int64_t base_ms;    /* when the current pass started */
    uint64_t iteration; /* pass number, from 1 */
};

/* Starts the timeline at now_ms. */
void ms_timeline_start(struct ms_timeline_run *r, int64_t now_ms);
/* If an event is due at now_ms, returns it (and advances, looping when the scenario says so);
 * else NULL. *index gets the event's position. */
const struct ms_tl_event *ms_timeline_due(const struct ms_scenario *s, double scale,
                                          struct ms_timeline_run *r, int64_t now_ms, size_t *index);
/* When the next event is due (monotonic ms), or -1 if none will be. */
int64_t ms_timeline_next_due(const struct ms_scenario *s, double scale,
                             const struct ms_timeline_run *r);

/* ---- expectations ---- */

enum { MS_EXPECT_PENDING = 0, MS_EXPECT_MET = 1, MS_EXPECT_FAILED = 2 };

/* One expectation's progress. */
struct ms_expect_state {
    int status;
    char detail[256];
    long count;
    struct ms_attempt *att;
    size_t n_att, cap_att;
};

/* Called when expectation i's status or detail changed to a final verdict. */
typedef void (*ms_expect_cb)(void *arg, size_t i, int status, const char *detail);

/* Settles expectation i: the detail is updated; cb hears of a change of status only (a failure
 * is final). */
void ms_expect_settle(const struct ms_scenario *s, struct ms_expect_state *xs, size_t i, int status,
                      const char *detail, ms_expect_cb cb, void *arg);
/* An upgrade attempt on path at t_ms (since the scenario loaded): attempts and reconnect_policy
 * expectations. */
void ms_expect_on_attempt(const struct ms_scenario *s, struct ms_expect_state *xs, double scale,
                          const char *path, int accepted, double t_ms, ms_expect_cb cb, void *arg);
/* The client_sends expectations (bits) a session opened on path must meet. */
uint64_t ms_expect_sends_for(const struct ms_scenario *s, const struct ms_expect_state *xs,
                             const char *path);
/* A client message on a session with pending bits: meets the matching ones; returns the bits
 * still pending. msg may be NULL (not JSON). */
uint64_t ms_expect_on_message(const struct ms_scenario *s, struct ms_expect_state *xs,
                              uint64_t pending, const cJSON *msg, const char *text, ms_expect_cb cb,
                              void *arg);
/*
 * A session (conn, path, opened at open_ms) with pending bits at now_ms: fails the ones whose
 * deadline passed; with closing, drops the rest unjudged. Returns the bits still pending and sets
 * *next_ms to the earliest remaining deadline (-1 if none).
 */
uint64_t ms_expect_check_deadlines(const struct ms_scenario *s, struct ms_expect_state *xs,
                                   double scale, uint64_t pending, uint64_t conn, const char *path,
                                   int64_t open_ms, int64_t now_ms, int closing, int64_t *next_ms,
                                   ms_expect_cb cb, void *arg);
/* Frees the attempt lists of n states (not the array). */
void ms_expect_free(struct ms_expect_state *xs, size_t n);

#endif
