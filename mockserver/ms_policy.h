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

/* Who closed a connection, when the journal says. */
enum ms_by { MS_BY_UNKNOWN = 0, MS_BY_CLIENT, MS_BY_SERVER };

/*
 * One attempt as the journal shows it. t_ms and opened come from the upgrade (and open) events;
 * the rest from the close event and may stay zero (unknown): then the gap after the attempt runs
 * from its start and any opened attempt counts as a stable connection. wsmock's scenario
 * expectations fill only t_ms and opened; wsharness backoff fills everything it can.
 */
struct ms_attempt {
    double t_ms; /* the upgrade request */
    int opened;  /* it became a WebSocket connection */
    int ended;   /* end_ms is known: the close, or the refusal's answer */
    double end_ms;
    double open_ms; /* how long it stayed open (opened && ended) */
    int still_open; /* opened and not closed when the journal was read */
    int closed_by;  /* enum ms_by */
    int close_code; /* the close code (0: unknown) */
};

/* Why a gap is wrong (bits of ms_gap.flags; 0: the gap follows the policy). */
enum {
    MS_GAP_EARLY = 1u << 0,       /* shorter than its window */
    MS_GAP_LATE = 1u << 1,        /* longer than its window */
    MS_GAP_TOO_MANY = 1u << 2,    /* a retry beyond max */
    MS_GAP_STORM = 1u << 3,       /* no delay: under 10 ms and under the window */
    MS_GAP_OVER_CAP = 1u << 4,    /* longer than the cap allows, where the cap applies */
    MS_GAP_NO_RESET = 1u << 5,    /* after a stable connection, not back at the initial delay */
    MS_GAP_EARLY_RESET = 1u << 6, /* back at the initial delay after a connection < reset */
    MS_GAP_AFTER_CLOSE = 1u << 7, /* the client came back after closing with 1000/1001/1005 */
    MS_GAP_CONCURRENT = 1u << 8,  /* started while the previous connection was still open */
};

/* The verdict for one gap (between attempts i-1 and i). */
struct ms_gap {
    long retry;     /* retry number the gap should follow */
    double from_ms; /* where the gap starts: the previous attempt's end (or start, if unknown) */
    double gap_ms, lo_ms, hi_ms;
    int ok;         /* flags == 0 */
    unsigned flags; /* MS_GAP_* */
};

/* What is wrong with a sequence, in the order a person should hear it (the first one found is
 * ms_policy_check()'s reason). */
enum ms_finding {
    MS_FIND_TOO_MANY,    /* more retries in a row than max */
    MS_FIND_STORM,       /* gaps with no delay at all */
    MS_FIND_CONSTANT,    /* every gap about the same, where the policy grows them */
    MS_FIND_NO_GROWTH,   /* gaps that vary but do not grow */
    MS_FIND_NO_CAP,      /* gaps beyond the cap */
    MS_FIND_NO_RESET,    /* the count not restarted after a stable connection */
    MS_FIND_EARLY_RESET, /* the count restarted after a connection shorter than reset */
    MS_FIND_AFTER_CLOSE, /* reconnecting after an intentional close */
    MS_FIND_CONCURRENT,  /* a second connection while one was open */
    MS_FIND_OFF_WINDOW,  /* any other gap outside its window */
    MS_FIND_COUNT
};

/* A whole sequence judged. */
struct ms_policy_report {
    int verdict;    /* 1 follows, 0 violates, -1 fewer than two attempts (nothing to judge) */
    size_t gaps;    /* gaps judged (attempts - 1) */
    size_t bad;     /* gaps that are not ok */
    long worst_run; /* most retries in a row */
    unsigned found; /* 1u << MS_FIND_* for each finding */
    char text[MS_FIND_COUNT][224]; /* the finding's sentence, e.g. "no cap: 2 gaps longer ..." */
};

/* The finding's short name ("too many attempts", "retry storm", ...): a static string. */
const char *ms_policy_finding_name(enum ms_finding f);

/*
 * Judges attempts (in time order) against the policy at time scale `scale` (every policy ms is
 * multiplied by it). Gap i (1..n-1) is measured from the end of attempt i-1 (its start when the
 * end is unknown). Retry numbers restart at 1 after a stable connection (opened and open at least
 * reset_ms, scaled; any open when reset_ms is 0 or the duration is unknown). A client closing
 * with 1000, 1001 or 1005 (a browser's close() without a code) closed on purpose: coming back is
 * a violation. Writes n-1 gap verdicts into gaps (may be NULL) and the findings into rep, both
 * the caller's (nothing is allocated). Returns rep->verdict.
 */
int ms_policy_judge(const struct ms_policy *p, double scale, const struct ms_attempt *a, size_t n,
                    struct ms_gap *gaps, struct ms_policy_report *rep);

/*
 * ms_policy_judge() in one line: writes up to n-1 gap verdicts into gaps (may be NULL) and a
 * one-line reason into reason: the first finding (constant delay, no growth, no cap, retry storm,
 * too many attempts, ...), "follows the policy (N gaps)" or "pending: N attempts so far". Returns
 * 1 if the attempts follow the policy, 0 if not, -1 if there are fewer than two attempts.
 */
int ms_policy_check(const struct ms_policy *p, double scale, const struct ms_attempt *a, size_t n,
                    struct ms_gap *gaps, char *reason, size_t len);

#endif
