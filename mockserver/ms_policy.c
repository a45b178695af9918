/* ms_policy -- parses a reconnect policy and judges a client's attempts against it. */
#include <errno.h>
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

void ms_policy_window(const struct ms_policy *p, long r, double scale, double *lo, double *hi)
{
    double d = ms_policy_delay(p, r) * scale;
    double tol = 25 + 0.1 * d;
    *lo = d * (1 - p->jitter) - tol;
    if (*lo < 0)
        *lo = 0;
    *hi = d * (1 + p->jitter) + tol;
}

int ms_policy_check(const struct ms_policy *p, double scale, const struct ms_attempt *a, size_t n,
                    struct ms_gap *gaps, char *reason, size_t len)
{
    if (n < 2) {
        snprintf(reason, len, "pending: %zu attempt%s so far", n, n == 1 ? "" : "s");
        return -1;
    }
    long retry = 0, worst_run = 0;
    size_t bad = 0, first_bad = 0, storms = 0, over_cap = 0;
    double first_gap = -1, bad_lo = 0, bad_hi = 0;
    int constant = 1;
    for (size_t i = 1; i < n; i++) {
        retry = a[i - 1].opened ? 1 : retry + 1;
        if (retry > worst_run)
            worst_run = retry;
        struct ms_gap g = {.retry = retry, .gap_ms = a[i].t_ms - a[i - 1].t_ms};
        ms_policy_window(p, retry, scale, &g.lo_ms, &g.hi_ms);
        g.ok = g.gap_ms >= g.lo_ms && g.gap_ms <= g.hi_ms && (p->max < 0 || retry <= p->max);
        if (first_gap < 0)
            first_gap = g.gap_ms;
        else if (fabs(g.gap_ms - first_gap) > 25 + 0.1 * first_gap)
            constant = 0;
        if (g.gap_ms < 10)
            storms++;
        if (g.gap_ms > p->cap_ms * scale * (1 + p->jitter) + 25 + 0.1 * p->cap_ms * scale)
            over_cap++;
        if (!g.ok && !bad++) {
            first_bad = i;
            bad_lo = g.lo_ms;
            bad_hi = g.hi_ms;
        }
        if (gaps)
            gaps[i - 1] = g;
    }
    if (!bad) {
        snprintf(reason, len, "follows the policy (%zu gaps)", n - 1);
        return 1;
    }
    if (p->max >= 0 && worst_run > p->max)
        snprintf(reason, len, "too many attempts: %ld retries in a row (the policy allows %ld)",
                 worst_run, p->max);
    else if (storms * 2 >= n - 1)
        snprintf(reason, len, "retry storm: %zu of %zu gaps under 10 ms (no delay)", storms, n - 1);
    else if (constant && n > 2 && p->factor > 1)
        snprintf(reason, len, "constant delay: every gap is about %.0f ms (expected growth x%g)",
                 first_gap, p->factor);
    else if (over_cap)
        snprintf(reason, len, "no cap: %zu gap%s longer than the cap of %.0f ms", over_cap,
                 over_cap == 1 ? "" : "s", p->cap_ms * scale);
    else
        snprintf(reason, len, "attempt %zu: gap %.0f ms outside [%.0f, %.0f] ms", first_bad + 1,
                 a[first_bad].t_ms - a[first_bad - 1].t_ms, bad_lo, bad_hi);
    return 0;
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
