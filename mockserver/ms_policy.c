/* ms_policy -- parses a reconnect policy and judges a client's attempts against it. */
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ms_ids.h"
#include "ms_policy.h"

static int parse_double(const char *v, size_t n, double *out)
{
    char buf[64];
    if (!n || n >= sizeof(buf))
        return -1;
    memcpy(buf, v, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    double d = strtod(buf, &end);
    if (*end || errno || !isfinite(d) || d < 0)
        return -1;
    *out = d;
    return 0;
}

int ms_policy_parse(const char *s, struct ms_policy *p, char *err, size_t errlen)
{
    *p = (struct ms_policy){1000, 2, 30000, 5, 0, 0};
    const char *cur = s;
    while (*cur) {
        const char *end = strchr(cur, ',');
        size_t n = end ? (size_t)(end - cur) : strlen(cur);
        const char *eq = memchr(cur, '=', n);
        if (!eq) {
            snprintf(err, errlen, "policy item \"%.*s\" is not name=value", (int)n, cur);
            return -1;
        }
        size_t kn = (size_t)(eq - cur), vn = n - kn - 1;
        const char *v = eq + 1;
        double d;
        int bad = 0;
        static const char *const keys[] = {"initial", "factor", "cap", "max",
                                           "jitter",  "reset",  NULL};
        const char *const *k = keys;
        while (*k && !(strlen(*k) == kn && !strncmp(cur, *k, kn)))
            k++;
        if (!*k) {
            snprintf(
                err, errlen,
                "unknown policy item \"%.*s\" (expected initial, factor, cap, max, jitter, reset)",
                (int)kn, cur);
            return -1;
        }
        if (!strcmp(*k, "max") && vn == 4 && !strncmp(v, "none", 4))
            p->max = -1;
        else if (parse_double(v, vn, &d))
            bad = 1;
        else if (!strcmp(*k, "initial") && d > 0)
            p->initial_ms = d;
        else if (!strcmp(*k, "factor") && d >= 1)
            p->factor = d;
        else if (!strcmp(*k, "cap") && d > 0)
            p->cap_ms = d;
        else if (!strcmp(*k, "max") && d == floor(d) && d >= 1 && d < 1e9)
            p->max = (long)d;
        else if (!strcmp(*k, "jitter") && d <= 1)
            p->jitter = d;
        else if (!strcmp(*k, "reset"))
            p->reset_ms = d;
        else
            bad = 1;
        if (bad) {
            snprintf(err, errlen,
                     "bad value in policy item \"%.*s\" (initial, cap > 0; factor >= 1; max a "
                     "whole number >= 1 or none; jitter 0..1; reset >= 0)",
                     (int)n, cur);
            return -1;
        }
        if (!end)
            break;
        cur = end + 1;
    }
    if (p->cap_ms < p->initial_ms) {
        snprintf(err, errlen, "policy cap (%g) is below initial (%g)", p->cap_ms, p->initial_ms);
        return -1;
    }
    return 0;
}

double ms_policy_delay(const struct ms_policy *p, long r)
{
    double d = p->initial_ms * pow(p->factor, (double)(r > 0 ? r - 1 : 0));
    return d < p->cap_ms ? d : p->cap_ms;
}

/* The accepted window around a nominal delay d (real ms). */
static void window_of(const struct ms_policy *p, double d, double *lo, double *hi)
{
    double tol = 25 + 0.1 * d;
    *lo = d * (1 - p->jitter) - tol;
    if (*lo < 0)
        *lo = 0;
    *hi = d * (1 + p->jitter) + tol;
}

void ms_policy_window(const struct ms_policy *p, long r, double scale, double *lo, double *hi)
{
    window_of(p, ms_policy_delay(p, r) * scale, lo, hi);
}

/* A gap under this (real ms, and under its window) is no delay at all. */
#define STORM_MS 10.0

static const char *const finding_names[MS_FIND_COUNT] = {
    "too many attempts",
    "retry storm",
    "constant delay",
    "no growth",
    "no cap",
    "no reset after a stable connection",
    "reset too early",
    "reconnected after an intentional close",
    "concurrent connections",
    "gap outside its window",
};

const char *ms_policy_finding_name(enum ms_finding f)
{
    return (unsigned)f < MS_FIND_COUNT ? finding_names[f] : "?";
}

/* 1 if x was still open at time t. */
static int open_at(const struct ms_attempt *x, double t)
{
    return x->opened && (x->still_open || (x->ended && x->end_ms > t));
}

/* 1 if the client closed x on purpose: 1000, 1001, or 1005 (a close frame without a code, what a
 * browser's close() sends). */
static int closed_on_purpose(const struct ms_attempt *x)
{
    return x->opened && x->ended && x->closed_by == MS_BY_CLIENT &&
           (x->close_code == 1000 || x->close_code == 1001 || x->close_code == 1005);
}

/* 1 if x restarts the retry count: it opened and stayed open long enough (or for an unknown
 * time). */
static int stable(const struct ms_policy *p, double scale, const struct ms_attempt *x)
{
    return x->opened && (p->reset_ms <= 0 || !x->ended || x->open_ms >= p->reset_ms * scale);
}

/* Where gap i starts: the end of attempt i-1, or its start when the end is unknown or later. */
static double gap_from(const struct ms_attempt *a, size_t i)
{
    const struct ms_attempt *prev = &a[i - 1];
    if (prev->ended && !open_at(prev, a[i].t_ms) && prev->end_ms >= prev->t_ms &&
        prev->end_ms <= a[i].t_ms)
        return prev->end_ms;
    return prev->t_ms;
}

/* 1 if the cap, not the growth, sets retry r's delay. */
static int capped(const struct ms_policy *p, long r)
{
    return p->initial_ms * pow(p->factor, (double)(r > 0 ? r - 1 : 0)) >= p->cap_ms;
}

/* Counts and first occurrences while walking the gaps. */
struct tally {
    size_t n, first; /* how many gaps, and the first one's index (i: attempt i+1) */
    long retry;      /* the first one's retry number */
};

static void tally(struct tally *t, size_t i, long retry)
{
    if (!t->n++) {
        t->first = i;
        t->retry = retry;
    }
}

/* The longest run of consecutive retries (1, 2, 3, ... with timing judged). */
struct run {
    size_t start, len; /* gap indexes start..start+len-1 */
    long r0;           /* the retry number of its first gap */
};

/* Finding f's sentence. */
static void say(struct ms_policy_report *rep, enum ms_finding f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(struct ms_policy_report *rep, enum ms_finding f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rep->text[f], sizeof(rep->text[f]), fmt, ap);
    va_end(ap);
    rep->found |= 1u << f;
}

/* " (N times)" when a finding happened more than once. */
static const char *times(size_t n, char *buf, size_t len)
{
    if (n > 1)
        snprintf(buf, len, " (%zu times)", n);
    else
        buf[0] = '\0';
    return buf;
}

/* No growth: the run's later half is not longer than its first half, where the policy grows. */
static void judge_growth(const struct ms_policy *p, double scale, const struct ms_attempt *a,
                         const struct run *run, struct ms_policy_report *rep)
{
    size_t k = run->len, half = k / 2;
    long r_last = run->r0 + (long)k - 1;
    if (k < 2 || ms_policy_delay(p, r_last) <= ms_policy_delay(p, run->r0) * 1.1)
        return;
    double m1 = 0, m2 = 0, all = 0;
    size_t storms = 0;
    int off = 0;
    for (size_t j = 0; j < k; j++) {
        size_t i = run->start + j;
        double g = a[i].t_ms - gap_from(a, i), lo, hi;
        ms_policy_window(p, run->r0 + (long)j, scale, &lo, &hi);
        off |= g < lo || g > hi;
        storms += g < STORM_MS && g < lo;
        all += g;
        if (j < half)
            m1 += g;
        if (j >= k - half)
            m2 += g;
    }
    m1 /= (double)half;
    m2 /= (double)half;
    if (!off || storms == k || m2 > m1 * 1.1 + 25)
        return;
    say(rep, MS_FIND_NO_GROWTH,
        "no growth: the gaps stay about %.0f ms over retries %ld to %ld (the policy grows them "
        "from %.0f to %.0f ms)",
        all / (double)k, run->r0, r_last, ms_policy_delay(p, run->r0) * scale,
        ms_policy_delay(p, r_last) * scale);
}

int ms_policy_judge(const struct ms_policy *p, double scale, const struct ms_attempt *a, size_t n,
                    struct ms_gap *gaps, struct ms_policy_report *rep)
{
    memset(rep, 0, sizeof(*rep));
    if (n < 2) {
        rep->verdict = -1;
        return -1;
    }
    rep->gaps = n - 1;
    struct tally storm = {0}, over_cap = {0}, no_reset = {0}, early_reset = {0}, after = {0},
                 conc = {0}, off = {0};
    long retry = 0;
    double first_gap = -1, min_d = -1, max_d = -1;
    int constant = 1, timing_bad = 0;
    size_t judged = 0;
    struct run cur = {0}, best = {0};
    double cap_lo, cap_hi;
    window_of(p, p->cap_ms * scale, &cap_lo, &cap_hi);
    for (size_t i = 1; i < n; i++) {
        const struct ms_attempt *prev = &a[i - 1];
        unsigned f = 0;
        if (open_at(prev, a[i].t_ms))
            f |= MS_GAP_CONCURRENT;
        else if (closed_on_purpose(prev))
            f |= MS_GAP_AFTER_CLOSE;
        int st = stable(p, scale, prev);
        retry = st || f ? 1 : retry + 1;
        struct ms_gap g = {.retry = retry, .from_ms = gap_from(a, i)};
        g.gap_ms = a[i].t_ms - g.from_ms;
        ms_policy_window(p, retry, scale, &g.lo_ms, &g.hi_ms);
        if (f) {
            /* not a retry at all: no window to judge it by, and a new run starts after it */
            tally(f & MS_GAP_CONCURRENT ? &conc : &after, i, retry);
            cur.len = 0;
        } else {
            if (retry > rep->worst_run)
                rep->worst_run = retry;
            if (p->max >= 0 && retry > p->max)
                f |= MS_GAP_TOO_MANY;
            if (g.gap_ms < g.lo_ms) {
                f |= MS_GAP_EARLY;
                if (g.gap_ms < STORM_MS)
                    f |= MS_GAP_STORM;
            } else if (g.gap_ms > g.hi_ms) {
                f |= MS_GAP_LATE;
                if (capped(p, retry) && g.gap_ms > cap_hi)
                    f |= MS_GAP_OVER_CAP;
            }
            if (prev->opened && prev->ended && st && (f & MS_GAP_LATE))
                f |= MS_GAP_NO_RESET;
            double lo1, hi1;
            ms_policy_window(p, 1, scale, &lo1, &hi1);
            if (prev->opened && prev->ended && !st && (f & MS_GAP_EARLY) && g.gap_ms >= lo1 &&
                g.gap_ms <= hi1)
                f |= MS_GAP_EARLY_RESET;
            if (f & MS_GAP_STORM)
                tally(&storm, i, retry);
            if (f & MS_GAP_OVER_CAP)
                tally(&over_cap, i, retry);
            if (f & MS_GAP_NO_RESET)
                tally(&no_reset, i, retry);
            if (f & MS_GAP_EARLY_RESET)
                tally(&early_reset, i, retry);
            if ((f & (MS_GAP_EARLY | MS_GAP_LATE)) &&
                !(f & (MS_GAP_STORM | MS_GAP_OVER_CAP | MS_GAP_NO_RESET | MS_GAP_EARLY_RESET)))
                tally(&off, i, retry);
            if (f & (MS_GAP_NO_RESET | MS_GAP_EARLY_RESET)) {
                cur.len =
                    0; /* explained by the reset: left out of the constant and growth checks */
            } else {
                timing_bad |= (f & (MS_GAP_EARLY | MS_GAP_LATE)) != 0;
                double d = ms_policy_delay(p, retry);
                if (min_d < 0 || d < min_d)
                    min_d = d;
                if (d > max_d)
                    max_d = d;
                if (first_gap < 0)
                    first_gap = g.gap_ms;
                else if (fabs(g.gap_ms - first_gap) > 25 + 0.1 * first_gap)
                    constant = 0;
                judged++;
                if (cur.len && retry == cur.r0 + (long)cur.len)
                    cur.len++;
                else
                    cur = (struct run){.start = i, .len = 1, .r0 = retry};
                if (cur.len > best.len)
                    best = cur;
            }
        }
        g.flags = f;
        g.ok = !f;
        rep->bad += !g.ok;
        if (gaps)
            gaps[i - 1] = g;
    }
    char x[32];
    if (p->max >= 0 && rep->worst_run > p->max)
        say(rep, MS_FIND_TOO_MANY,
            "too many attempts: %ld retries in a row (the policy allows %ld)", rep->worst_run,
            p->max);
    if (storm.n)
        say(rep, MS_FIND_STORM, "retry storm: %zu of %zu gaps under %.0f ms (no delay)", storm.n,
            n - 1, STORM_MS);
    if (judged >= 2 && constant && timing_bad && first_gap >= STORM_MS && max_d > min_d * 1.1)
        say(rep, MS_FIND_CONSTANT,
            "constant delay: every gap is about %.0f ms (expected growth x%g)", first_gap,
            p->factor);
    else
        judge_growth(p, scale, a, &best, rep);
    if (over_cap.n)
        say(rep, MS_FIND_NO_CAP, "no cap: %zu gap%s longer than the cap of %.0f ms", over_cap.n,
            over_cap.n == 1 ? "" : "s", p->cap_ms * scale);
    if (no_reset.n) {
        size_t i = no_reset.first;
        double lo, hi;
        ms_policy_window(p, 1, scale, &lo, &hi);
        say(rep, MS_FIND_NO_RESET,
            "no reset after a stable connection: attempt %zu came %.0f ms after a connection that "
            "stayed open %.0f ms (the count restarts there: expected %.0f to %.0f ms)%s",
            i + 1, a[i].t_ms - gap_from(a, i), a[i - 1].open_ms, lo, hi,
            times(no_reset.n, x, sizeof(x)));
    }
    if (early_reset.n) {
        size_t i = early_reset.first;
        say(rep, MS_FIND_EARLY_RESET,
            "reset too early: attempt %zu came %.0f ms after a connection that stayed open only "
            "%.0f ms (the count restarts after %.0f ms open)%s",
            i + 1, a[i].t_ms - gap_from(a, i), a[i - 1].open_ms, p->reset_ms * scale,
            times(early_reset.n, x, sizeof(x)));
    }
    if (after.n) {
        size_t i = after.first;
        say(rep, MS_FIND_AFTER_CLOSE,
            "reconnected after an intentional close: attempt %zu came %.0f ms after the client "
            "closed attempt %zu with %d%s",
            i + 1, a[i].t_ms - gap_from(a, i), i, a[i - 1].close_code,
            times(after.n, x, sizeof(x)));
    }
    if (conc.n)
        say(rep, MS_FIND_CONCURRENT,
            "concurrent connections: attempt %zu started while attempt %zu was still open%s",
            conc.first + 1, conc.first, times(conc.n, x, sizeof(x)));
    if (off.n && !(rep->found & (1u << MS_FIND_CONSTANT | 1u << MS_FIND_NO_GROWTH))) {
        size_t i = off.first;
        double lo, hi;
        ms_policy_window(p, off.retry, scale, &lo, &hi);
        say(rep, MS_FIND_OFF_WINDOW, "attempt %zu: gap %.0f ms outside [%.0f, %.0f] ms", i + 1,
            a[i].t_ms - gap_from(a, i), lo, hi);
    }
    rep->verdict = rep->bad ? 0 : 1;
    return rep->verdict;
}

int ms_policy_check(const struct ms_policy *p, double scale, const struct ms_attempt *a, size_t n,
                    struct ms_gap *gaps, char *reason, size_t len)
{
    struct ms_policy_report rep;
    int v = ms_policy_judge(p, scale, a, n, gaps, &rep);
    if (v < 0)
        snprintf(reason, len, "pending: %zu attempt%s so far", n, n == 1 ? "" : "s");
    else if (v)
        snprintf(reason, len, "follows the policy (%zu gaps)", n - 1);
    else
        for (int f = 0; f < MS_FIND_COUNT; f++)
            if (rep.found & (1u << f)) {
                snprintf(reason, len, "%s", rep.text[f]);
                break;
            }
    return v;
}

double ms_policy_next_delay(const struct ms_policy *p, long r, struct ms_rng *rng)
{
    double d = ms_policy_delay(p, r);
    if (!rng || p->jitter <= 0)
        return d;
    double u = (double)(ms_rng_next(rng) >> 11) / 9007199254740992.0; /* [0, 1) */
    return d * (1 + p->jitter * u);
}

int ms_policy_may_retry(const struct ms_policy *p, long retries)
{
    return p->max < 0 || retries < p->max;
}
