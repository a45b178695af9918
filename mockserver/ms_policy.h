/* ms_policy -- the reference reconnect policy (initial, factor, cap, max, jitter) and its checker.
 */
#ifndef MS_POLICY_H
#define MS_POLICY_H

#include <stddef.h>

/* A reconnect policy as data (the lws retry-table idea): retry r (1-based, counted since the
 * last successful open) waits min(initial * factor^(r-1), cap) ms, spread by +-jitter (a fraction),
 * and a client gives up after max retries. */
struct ms_policy {
    double initial_ms;
    double factor;
    double cap_ms;
    long max;        /* retries allowed after a failure run starts; -1: unlimited */
    double jitter;   /* 0..1 */
    double reset_ms; /* a connection open this long restarts the count at retry 1 (0: any open) */
};

struct ms_rng;

/* The delay a client following the policy waits before retry r (r >= 1): the nominal delay
 * spread by up to +jitter (the lws retry-table rule: [d, d*(1+jitter)) ), drawn from rng (seeded:
 * repeatable). NULL rng: no jitter. */
double ms_policy_next_delay(const struct ms_policy *p, long r, struct ms_rng *rng);
/* 1 if a client that has made `retries` retries in a row may try again. */
int ms_policy_may_retry(const struct ms_policy *p, long retries);

/*
 * Parses "initial=1000,factor=2,cap=30000,max=5,jitter=0.2,reset=5000" (any order, any subset;
 * defaults are initial=1000, factor=2, cap=30000, max=5, jitter=0, reset=0; "max=none" is
 * unlimited). Returns 0, or -1
 * with the problem written to err.
 */
int ms_policy_parse(const char *s, struct ms_policy *p, char *err, size_t errlen);

/* The nominal delay before retry r (r >= 1), in policy ms. */
double ms_policy_delay(const struct ms_policy *p, long r);

/* The accepted window for retry r's gap in real ms at time scale `scale`: the jittered range,
 * widened by a tolerance of 25 ms + 10% for scheduling and handshake time. */
void ms_policy_window(const struct ms_policy *p, long r, double scale, double *lo, double *hi);

/* One attempt as the journal shows it: when (ms), and whether it opened a connection. */
struct ms_attempt {
    double t_ms;
    int opened;
};

/* The verdict for one gap (between attempts i-1 and i). */
struct ms_gap {
    long retry; /* retry number the gap should follow */
    double gap_ms, lo_ms, hi_ms;
    int ok;
};

/*
 * Checks attempts (in time order) against the policy at `scale`. Writes up to n-1 gap verdicts
 * into gaps (may be NULL) and a one-line reason into reason: what is wrong, named the way a person
 * would (constant delay, no growth, no cap, retry storm, too many attempts), or "follows the
 * policy". Returns 1 if the attempts follow the policy, 0 if not, -1 if there are fewer than two
 * attempts (nothing to judge yet).
 */
int ms_policy_check(const struct ms_policy *p, double scale, const struct ms_attempt *a, size_t n,
                    struct ms_gap *gaps, char *reason, size_t len);

#endif
