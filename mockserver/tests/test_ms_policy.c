/* test_ms_policy -- the reconnect policy: parsing, nominal delays, windows, and the checker's
 * verdicts on synthetic attempt lists. */
#include <stdio.h>
#include <string.h>

#include "ms_ids.h"
#include "ms_policy.h"
#include "ms_test.h"

#define EPS 1e-9

/* An attempt known only by its start and whether it opened (what wsmock's expectations see). */
#define AT(t, o)                                                                                   \
    {                                                                                              \
        .t_ms = (t), .opened = (o)                                                                 \
    }

/* Parses s, which must succeed. */
static struct ms_policy parse_ok(const char *s)
{
    struct ms_policy p;
    char err[256] = "";
    int rc = ms_policy_parse(s, &p, err, sizeof(err));
    if (rc)
        fprintf(stderr, "\n  \"%s\" refused: %s\n", s, err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    return p;
}

/* Parses s, which must fail with exactly want. */
static void parse_bad(const char *s, const char *want)
{
    struct ms_policy p;
    char err[256] = "";
    CU_ASSERT_EQUAL(ms_policy_parse(s, &p, err, sizeof(err)), -1);
    if (strcmp(err, want))
        fprintf(stderr, "\n  input: %s\n  got:   %s\n  want:  %s\n", s, err, want);
    CU_ASSERT_STRING_EQUAL(err, want);
}

/* Attempts at the given gaps (ms) after a first attempt at t=1000, none of them opened. */
static size_t attempts_from_gaps(const double *gaps, size_t ngaps, struct ms_attempt *out)
{
    out[0] = (struct ms_attempt){.t_ms = 1000};
    for (size_t i = 0; i < ngaps; i++)
        out[i + 1] = (struct ms_attempt){.t_ms = out[i].t_ms + gaps[i]};
    return ngaps + 1;
}

/* Runs the checker and compares verdict and reason. */
static void check(const struct ms_policy *p, double scale, const struct ms_attempt *a, size_t n,
                  struct ms_gap *gaps, int want_rc, const char *want_reason)
{
    char reason[256] = "";
    int rc = ms_policy_check(p, scale, a, n, gaps, reason, sizeof(reason));
    if (rc != want_rc || strcmp(reason, want_reason))
        fprintf(stderr, "\n  got:  %d \"%s\"\n  want: %d \"%s\"\n", rc, reason, want_rc,
                want_reason);
    CU_ASSERT_EQUAL(rc, want_rc);
    CU_ASSERT_STRING_EQUAL(reason, want_reason);
}

/* ---- parsing ---- */

static void test_parse_empty_gives_defaults(void)
{
    struct ms_policy p = parse_ok("");
    CU_ASSERT_DOUBLE_EQUAL(p.initial_ms, 1000, EPS);
    CU_ASSERT_DOUBLE_EQUAL(p.factor, 2, EPS);
    CU_ASSERT_DOUBLE_EQUAL(p.cap_ms, 30000, EPS);
    CU_ASSERT_EQUAL(p.max, 5);
    CU_ASSERT_DOUBLE_EQUAL(p.jitter, 0, EPS);
}

static void test_parse_subset_keeps_other_defaults(void)
{
    struct ms_policy p = parse_ok("factor=3");
    CU_ASSERT_DOUBLE_EQUAL(p.initial_ms, 1000, EPS);
    CU_ASSERT_DOUBLE_EQUAL(p.factor, 3, EPS);
    CU_ASSERT_DOUBLE_EQUAL(p.cap_ms, 30000, EPS);
    CU_ASSERT_EQUAL(p.max, 5);
    CU_ASSERT_DOUBLE_EQUAL(p.jitter, 0, EPS);
}

static void test_parse_every_key(void)
{
    struct ms_policy p = parse_ok("initial=250,factor=1.5,cap=8000,max=7,jitter=0.2");
    CU_ASSERT_DOUBLE_EQUAL(p.initial_ms, 250, EPS);
    CU_ASSERT_DOUBLE_EQUAL(p.factor, 1.5, EPS);
    CU_ASSERT_DOUBLE_EQUAL(p.cap_ms, 8000, EPS);
    CU_ASSERT_EQUAL(p.max, 7);
    CU_ASSERT_DOUBLE_EQUAL(p.jitter, 0.2, EPS);
}

static void test_parse_any_order(void)
{
    struct ms_policy p = parse_ok("jitter=0.5,max=2,cap=600,initial=100,factor=1");
    CU_ASSERT_DOUBLE_EQUAL(p.initial_ms, 100, EPS);
    CU_ASSERT_DOUBLE_EQUAL(p.factor, 1, EPS);
    CU_ASSERT_DOUBLE_EQUAL(p.cap_ms, 600, EPS);
    CU_ASSERT_EQUAL(p.max, 2);
    CU_ASSERT_DOUBLE_EQUAL(p.jitter, 0.5, EPS);
}

static void test_parse_max_none_is_unlimited(void)
{
    struct ms_policy p = parse_ok("max=none");
    CU_ASSERT_EQUAL(p.max, -1);
    CU_ASSERT_DOUBLE_EQUAL(p.initial_ms, 1000, EPS);
    p = parse_ok("initial=10,max=none,cap=20");
    CU_ASSERT_EQUAL(p.max, -1);
    CU_ASSERT_DOUBLE_EQUAL(p.cap_ms, 20, EPS);
}

static void test_parse_edges_of_ranges_are_accepted(void)
{
    struct ms_policy p = parse_ok("jitter=1,factor=1,max=1,initial=0.5,cap=0.5");
    CU_ASSERT_DOUBLE_EQUAL(p.jitter, 1, EPS);
    CU_ASSERT_DOUBLE_EQUAL(p.factor, 1, EPS);
    CU_ASSERT_EQUAL(p.max, 1);
    CU_ASSERT_DOUBLE_EQUAL(p.initial_ms, 0.5, EPS);
    CU_ASSERT_DOUBLE_EQUAL(p.cap_ms, 0.5, EPS);
    p = parse_ok("jitter=0");
    CU_ASSERT_DOUBLE_EQUAL(p.jitter, 0, EPS);
}

static void test_parse_unknown_key(void)
{
    parse_bad("initial=1000,delay=5",
              "unknown policy item \"delay\" (expected initial, factor, cap, max, jitter, reset)");
    parse_bad(
        "Initial=1000",
        "unknown policy item \"Initial\" (expected initial, factor, cap, max, jitter, reset)");
    /* the name is checked before the value */
    parse_bad("maxx=none",
              "unknown policy item \"maxx\" (expected initial, factor, cap, max, jitter, reset)");
    parse_bad("foo=x",
              "unknown policy item \"foo\" (expected initial, factor, cap, max, jitter, reset)");
}

static void test_parse_item_without_equals(void)
{
    parse_bad("initial", "policy item \"initial\" is not name=value");
    parse_bad("initial=5,,cap=9", "policy item \"\" is not name=value");
}

#define BAD_VALUE_HINT                                                                             \
    " (initial, cap > 0; factor >= 1; max a whole number >= 1 or none; jitter 0..1; reset >= 0)"

static void test_parse_non_number(void)
{
    parse_bad("initial=abc", "bad value in policy item \"initial=abc\"" BAD_VALUE_HINT);
    parse_bad("cap=", "bad value in policy item \"cap=\"" BAD_VALUE_HINT);
    parse_bad("factor=2x", "bad value in policy item \"factor=2x\"" BAD_VALUE_HINT);
    parse_bad("max=None", "bad value in policy item \"max=None\"" BAD_VALUE_HINT);
    parse_bad("jitter=nan", "bad value in policy item \"jitter=nan\"" BAD_VALUE_HINT);
    parse_bad("initial=inf", "bad value in policy item \"initial=inf\"" BAD_VALUE_HINT);
}

static void test_parse_factor_below_one(void)
{
    parse_bad("factor=0.5", "bad value in policy item \"factor=0.5\"" BAD_VALUE_HINT);
}

static void test_parse_jitter_above_one(void)
{
    parse_bad("cap=9000,jitter=1.5", "bad value in policy item \"jitter=1.5\"" BAD_VALUE_HINT);
}

static void test_parse_bad_max_initial_cap(void)
{
    parse_bad("max=0", "bad value in policy item \"max=0\"" BAD_VALUE_HINT);
    parse_bad("max=2.5", "bad value in policy item \"max=2.5\"" BAD_VALUE_HINT);
    parse_bad("initial=0", "bad value in policy item \"initial=0\"" BAD_VALUE_HINT);
    parse_bad("initial=-5", "bad value in policy item \"initial=-5\"" BAD_VALUE_HINT);
    parse_bad("cap=0", "bad value in policy item \"cap=0\"" BAD_VALUE_HINT);
}

static void test_parse_cap_below_initial(void)
{
    parse_bad("cap=500", "policy cap (500) is below initial (1000)");
    parse_bad("initial=40000", "policy cap (30000) is below initial (40000)");
    parse_bad("cap=1.5,initial=2.25", "policy cap (1.5) is below initial (2.25)");
}

/* ---- delays and windows ---- */

static void test_delay_grows_by_factor(void)
{
    struct ms_policy p = parse_ok("");
    CU_ASSERT_DOUBLE_EQUAL(ms_policy_delay(&p, 1), 1000, EPS);
    CU_ASSERT_DOUBLE_EQUAL(ms_policy_delay(&p, 2), 2000, EPS);
    CU_ASSERT_DOUBLE_EQUAL(ms_policy_delay(&p, 3), 4000, EPS);
    CU_ASSERT_DOUBLE_EQUAL(ms_policy_delay(&p, 5), 16000, EPS);
    p = parse_ok("initial=100,factor=1.5,cap=1000");
    CU_ASSERT_DOUBLE_EQUAL(ms_policy_delay(&p, 2), 150, EPS);
    CU_ASSERT_DOUBLE_EQUAL(ms_policy_delay(&p, 3), 225, EPS);
}

static void test_delay_is_capped(void)
{
    struct ms_policy p = parse_ok("");
    CU_ASSERT_DOUBLE_EQUAL(ms_policy_delay(&p, 6), 30000, EPS); /* 32000 nominal */
    CU_ASSERT_DOUBLE_EQUAL(ms_policy_delay(&p, 50), 30000, EPS);
    p = parse_ok("initial=500,factor=1,cap=500");
    CU_ASSERT_DOUBLE_EQUAL(ms_policy_delay(&p, 10), 500, EPS);
}

static void test_delay_before_first_retry_is_initial(void)
{
    struct ms_policy p = parse_ok("initial=300,cap=1000");
    CU_ASSERT_DOUBLE_EQUAL(ms_policy_delay(&p, 0), 300, EPS);
    CU_ASSERT_DOUBLE_EQUAL(ms_policy_delay(&p, -3), 300, EPS);
}

static void test_window_without_jitter(void)
{
    struct ms_policy p = parse_ok("");
    double lo, hi;
    ms_policy_window(&p, 1, 1.0, &lo, &hi); /* 1000 +- (25 + 100) */
    CU_ASSERT_DOUBLE_EQUAL(lo, 875, EPS);
    CU_ASSERT_DOUBLE_EQUAL(hi, 1125, EPS);
    ms_policy_window(&p, 7, 1.0, &lo, &hi); /* capped: 30000 +- 3025 */
    CU_ASSERT_DOUBLE_EQUAL(lo, 26975, EPS);
    CU_ASSERT_DOUBLE_EQUAL(hi, 33025, EPS);
}

static void test_window_with_jitter(void)
{
    struct ms_policy p = parse_ok("jitter=0.2");
    double lo, hi;
    ms_policy_window(&p, 2, 1.0, &lo, &hi); /* 2000: [1600 - 225, 2400 + 225] */
    CU_ASSERT_DOUBLE_EQUAL(lo, 1375, EPS);
    CU_ASSERT_DOUBLE_EQUAL(hi, 2625, EPS);
}

static void test_window_with_scale(void)
{
    struct ms_policy p = parse_ok("jitter=0.2");
    double lo, hi;
    ms_policy_window(&p, 3, 0.5, &lo, &hi); /* 4000 x0.5 = 2000 */
    CU_ASSERT_DOUBLE_EQUAL(lo, 1375, EPS);
    CU_ASSERT_DOUBLE_EQUAL(hi, 2625, EPS);
    ms_policy_window(&p, 4, 0.01, &lo, &hi); /* 80: [64 - 33, 96 + 33] */
    CU_ASSERT_DOUBLE_EQUAL(lo, 31, EPS);
    CU_ASSERT_DOUBLE_EQUAL(hi, 129, EPS);
}

static void test_window_low_end_never_negative(void)
{
    struct ms_policy p = parse_ok("");
    double lo = -1, hi = -1;
    ms_policy_window(&p, 1, 0.01, &lo, &hi); /* 10 - 26 < 0 */
    CU_ASSERT_DOUBLE_EQUAL(lo, 0, EPS);
    CU_ASSERT_DOUBLE_EQUAL(hi, 36, EPS);
}

/* ---- the checker ---- */

static void test_check_exponential_sequence_follows(void)
{
    struct ms_policy p = parse_ok("");
    const double g[] = {1000, 2000, 4000, 8000, 16000};
    struct ms_attempt a[6];
    size_t n = attempts_from_gaps(g, 5, a);
    check(&p, 1.0, a, n, NULL, 1, "follows the policy (5 gaps)");
}

static void test_check_sequence_reaching_cap_follows(void)
{
    struct ms_policy p = parse_ok("initial=500,cap=3000,max=none");
    const double g[] = {500, 1000, 2000, 3000, 3000, 3000};
    struct ms_attempt a[7];
    size_t n = attempts_from_gaps(g, 6, a);
    check(&p, 1.0, a, n, NULL, 1, "follows the policy (6 gaps)");
}

static void test_check_jittered_gaps_inside_window_follow(void)
{
    struct ms_policy p = parse_ok("jitter=0.2");
    const double g[] = {800, 2400, 3300}; /* 1000-20%, 2000+20%, 4000-17.5% */
    struct ms_attempt a[4];
    size_t n = attempts_from_gaps(g, 3, a);
    check(&p, 1.0, a, n, NULL, 1, "follows the policy (3 gaps)");
}

static void test_check_gap_verdicts(void)
{
    struct ms_policy p = parse_ok("jitter=0.2");
    const double g[] = {1000, 2000, 9000};
    struct ms_attempt a[4];
    struct ms_gap gaps[3];
    memset(gaps, 0xff, sizeof(gaps));
    size_t n = attempts_from_gaps(g, 3, a);
    check(&p, 1.0, a, n, gaps, 0, "attempt 4: gap 9000 ms outside [2775, 5225] ms");
    CU_ASSERT_EQUAL(gaps[0].retry, 1);
    CU_ASSERT_DOUBLE_EQUAL(gaps[0].gap_ms, 1000, EPS);
    CU_ASSERT_DOUBLE_EQUAL(gaps[0].lo_ms, 675, EPS); /* 800 - 125 */
    CU_ASSERT_DOUBLE_EQUAL(gaps[0].hi_ms, 1325, EPS);
    CU_ASSERT_EQUAL(gaps[0].ok, 1);
    CU_ASSERT_EQUAL(gaps[1].retry, 2);
    CU_ASSERT_DOUBLE_EQUAL(gaps[1].gap_ms, 2000, EPS);
    CU_ASSERT_DOUBLE_EQUAL(gaps[1].lo_ms, 1375, EPS);
    CU_ASSERT_DOUBLE_EQUAL(gaps[1].hi_ms, 2625, EPS);
    CU_ASSERT_EQUAL(gaps[1].ok, 1);
    CU_ASSERT_EQUAL(gaps[2].retry, 3);
    CU_ASSERT_DOUBLE_EQUAL(gaps[2].gap_ms, 9000, EPS);
    CU_ASSERT_DOUBLE_EQUAL(gaps[2].lo_ms, 2775, EPS); /* 3200 - 425 */
    CU_ASSERT_DOUBLE_EQUAL(gaps[2].hi_ms, 5225, EPS);
    CU_ASSERT_EQUAL(gaps[2].ok, 0);
}

/* The original app: a constant 1000 ms between attempts, never giving up. Against the default
 * policy (max=5) the unlimited attempts are named first. */
static void test_check_original_app_is_too_many_attempts(void)
{
    struct ms_policy p = parse_ok("");
    const double g[] = {1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000};
    struct ms_attempt a[10];
    struct ms_gap gaps[9];
    size_t n = attempts_from_gaps(g, 9, a);
    check(&p, 1.0, a, n, gaps, 0, "too many attempts: 9 retries in a row (the policy allows 5)");
    CU_ASSERT_EQUAL(gaps[0].ok, 1);
    CU_ASSERT_EQUAL(gaps[1].ok, 0);
    CU_ASSERT_EQUAL(gaps[8].retry, 9);
}

/* The same attempts against an unlimited policy: what is left is the missing growth. */
static void test_check_original_app_is_constant_delay_without_max(void)
{
    struct ms_policy p = parse_ok("max=none");
    const double g[] = {1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000};
    struct ms_attempt a[10];
    size_t n = attempts_from_gaps(g, 9, a);
    check(&p, 1.0, a, n, NULL, 0,
          "constant delay: every gap is about 1000 ms (expected growth x2)");
}

static void test_check_constant_delay_within_max(void)
{
    struct ms_policy p = parse_ok("factor=1.5");
    const double g[] = {1010, 990, 1000};
    struct ms_attempt a[4];
    size_t n = attempts_from_gaps(g, 3, a);
    check(&p, 1.0, a, n, NULL, 0,
          "constant delay: every gap is about 1010 ms (expected growth x1.5)");
}

static void test_check_retry_storm(void)
{
    struct ms_policy p = parse_ok("");
    const double g[] = {1, 1, 1, 1, 1};
    struct ms_attempt a[6];
    struct ms_gap gaps[5];
    size_t n = attempts_from_gaps(g, 5, a);
    check(&p, 1.0, a, n, gaps, 0, "retry storm: 5 of 5 gaps under 10 ms (no delay)");
    CU_ASSERT_EQUAL(gaps[4].retry, 5);
    CU_ASSERT_EQUAL(gaps[4].ok, 0);
}

static void test_check_no_cap(void)
{
    struct ms_policy p = parse_ok("max=none");
    const double g[] = {1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000};
    struct ms_attempt a[9];
    struct ms_gap gaps[8];
    size_t n = attempts_from_gaps(g, 8, a);
    check(&p, 1.0, a, n, gaps, 0, "no cap: 2 gaps longer than the cap of 30000 ms");
    CU_ASSERT_EQUAL(gaps[5].ok, 1); /* 32000 is within the cap's tolerance */
    CU_ASSERT_EQUAL(gaps[6].ok, 0);
    CU_ASSERT_EQUAL(gaps[7].ok, 0);
}

static void test_check_no_cap_single_gap(void)
{
    struct ms_policy p = parse_ok("max=none,cap=4000");
    const double g[] = {1000, 2000, 4000, 8000};
    struct ms_attempt a[5];
    size_t n = attempts_from_gaps(g, 4, a);
    check(&p, 1.0, a, n, NULL, 0, "no cap: 1 gap longer than the cap of 4000 ms");
}

static void test_check_successful_open_restarts_at_initial(void)
{
    struct ms_policy p = parse_ok("");
    const struct ms_attempt a[] = {
        AT(0, 0),    AT(1000, 0), AT(3000, 1), /* third attempt opened; it later closed */
        AT(4000, 0),                           /* retry 1 again: 1000 */
        AT(6000, 0),                           /* retry 2: 2000 */
    };
    struct ms_gap gaps[4];
    check(&p, 1.0, a, 5, gaps, 1, "follows the policy (4 gaps)");
    CU_ASSERT_EQUAL(gaps[0].retry, 1);
    CU_ASSERT_EQUAL(gaps[1].retry, 2);
    CU_ASSERT_EQUAL(gaps[2].retry, 1);
    CU_ASSERT_DOUBLE_EQUAL(gaps[2].lo_ms, 875, EPS);
    CU_ASSERT_DOUBLE_EQUAL(gaps[2].hi_ms, 1125, EPS);
    CU_ASSERT_EQUAL(gaps[3].retry, 2);
}

static void test_check_without_open_the_run_continues(void)
{
    struct ms_policy p = parse_ok("");
    const struct ms_attempt a[] = {AT(0, 0), AT(1000, 0), AT(3000, 0), AT(4000, 0), AT(6000, 0)};
    struct ms_gap gaps[4];
    check(&p, 1.0, a, 5, gaps, 0,
          "no growth: the gaps stay about 1500 ms over retries 1 to 4 (the policy grows them "
          "from 1000 to 8000 ms)");
    CU_ASSERT_EQUAL(gaps[2].retry, 3);
    CU_ASSERT_EQUAL(gaps[3].retry, 4);
    CU_ASSERT_EQUAL(gaps[2].flags, MS_GAP_EARLY);
}

static void test_check_single_gap_off_its_window_is_named(void)
{
    struct ms_policy p = parse_ok("");
    const struct ms_attempt a[] = {AT(0, 0), AT(1000, 0), AT(3000, 0), AT(9000, 0)};
    check(&p, 1.0, a, 4, NULL, 0, "attempt 4: gap 6000 ms outside [3575, 4425] ms");
}

static void test_check_open_resets_the_max_count(void)
{
    struct ms_policy p = parse_ok("max=2,factor=1");
    const struct ms_attempt a[] = {AT(0, 0), AT(1000, 0), AT(2000, 1), AT(3000, 0), AT(4000, 0)};
    check(&p, 1.0, a, 5, NULL, 1, "follows the policy (4 gaps)");
    const struct ms_attempt b[] = {AT(0, 0), AT(1000, 0), AT(2000, 0), AT(3000, 0), AT(4000, 0)};
    check(&p, 1.0, b, 5, NULL, 0, "too many attempts: 4 retries in a row (the policy allows 2)");
}

static void test_check_scaled_gaps(void)
{
    struct ms_policy p = parse_ok("");
    const double g[] = {10, 20, 40, 80, 160};
    struct ms_attempt a[6];
    struct ms_gap gaps[5];
    size_t n = attempts_from_gaps(g, 5, a);
    check(&p, 0.01, a, n, gaps, 1, "follows the policy (5 gaps)");
    CU_ASSERT_EQUAL(gaps[4].retry, 5);
    CU_ASSERT_DOUBLE_EQUAL(gaps[4].lo_ms, 119, EPS); /* 160 - (25 + 16) */
    CU_ASSERT_DOUBLE_EQUAL(gaps[4].hi_ms, 201, EPS);
    /* The same gaps read at full scale are far too short. */
    check(&p, 1.0, a, n, NULL, 0, "attempt 2: gap 10 ms outside [875, 1125] ms");
}

static void test_check_fewer_than_two_attempts_is_pending(void)
{
    struct ms_policy p = parse_ok("");
    const struct ms_attempt a[] = {AT(0, 0)};
    check(&p, 1.0, a, 1, NULL, -1, "pending: 1 attempt so far");
    check(&p, 1.0, NULL, 0, NULL, -1, "pending: 0 attempts so far");
}

/* ---- the rich checker: what the journal's open and close events add ---- */

/* A refused upgrade at t: over as soon as it was answered. */
static struct ms_attempt refused(double t)
{
    return (struct ms_attempt){.t_ms = t, .ended = 1, .end_ms = t};
}

/* A connection at t that stayed open for `open_ms` and was then closed by `by` with `code`. */
static struct ms_attempt conn(double t, double open_ms, int by, int code)
{
    return (struct ms_attempt){.t_ms = t,
                               .opened = 1,
                               .ended = 1,
                               .end_ms = t + open_ms,
                               .open_ms = open_ms,
                               .closed_by = by,
                               .close_code = code};
}

/* Refused attempts at the given gaps (ms) after a first one at t=0; returns the count. */
static size_t refused_from_gaps(const double *g, size_t ng, struct ms_attempt *out)
{
    out[0] = refused(0);
    for (size_t i = 0; i < ng; i++)
        out[i + 1] = refused(out[i].t_ms + g[i]);
    return ng + 1;
}

/* Judges and checks exactly which findings were made. */
static struct ms_policy_report judge(const struct ms_policy *p, double scale,
                                     const struct ms_attempt *a, size_t n, struct ms_gap *gaps,
                                     int want_verdict, unsigned want_found)
{
    struct ms_policy_report rep;
    int v = ms_policy_judge(p, scale, a, n, gaps, &rep);
    if (v != want_verdict || rep.found != want_found) {
        fprintf(stderr, "\n  got verdict %d, findings 0x%x (want %d, 0x%x)\n", v, rep.found,
                want_verdict, want_found);
        for (int f = 0; f < MS_FIND_COUNT; f++)
            if (rep.found & (1u << f))
                fprintf(stderr, "  - %s\n", rep.text[f]);
    }
    CU_ASSERT_EQUAL(v, want_verdict);
    CU_ASSERT_EQUAL(rep.verdict, want_verdict);
    CU_ASSERT_EQUAL(rep.found, want_found);
    return rep;
}

#define F(x) (1u << MS_FIND_##x)

static void expect_text(const struct ms_policy_report *rep, enum ms_finding f, const char *want)
{
    if (strcmp(rep->text[f], want))
        fprintf(stderr, "\n  got:  %s\n  want: %s\n", rep->text[f], want);
    CU_ASSERT_STRING_EQUAL(rep->text[f], want);
}

static void test_judge_seeded_jittered_exponential_sequence_follows(void)
{
    struct ms_policy p = parse_ok("initial=1000,factor=2,cap=30000,max=8,jitter=0.2");
    struct ms_rng rng;
    ms_rng_seed(&rng, 7);
    struct ms_attempt a[9];
    a[0] = refused(0);
    for (long r = 1; r <= 8; r++)
        a[r] = refused(a[r - 1].end_ms + ms_policy_next_delay(&p, r, &rng) + 3);
    struct ms_gap gaps[8];
    struct ms_policy_report rep = judge(&p, 1.0, a, 9, gaps, 1, 0);
    CU_ASSERT_EQUAL(rep.bad, 0);
    CU_ASSERT_EQUAL(rep.worst_run, 8);
    CU_ASSERT_EQUAL(gaps[6].retry, 7);
    CU_ASSERT_DOUBLE_EQUAL(gaps[6].hi_ms, 30000 * 1.2 + 3025, EPS); /* capped */
}

/* PROTOCOL.md 4.3: the original hook retries every 1000 ms forever. */
static void test_judge_original_app_is_too_many_attempts_and_a_constant_delay(void)
{
    struct ms_policy p = parse_ok("initial=1000,factor=2,cap=30000,max=5,jitter=0.2");
    const double g[] = {1004, 1002, 1003, 1001, 1004, 1002, 1003, 1001, 1002};
    struct ms_attempt a[10];
    struct ms_gap gaps[9];
    size_t n = refused_from_gaps(g, 9, a);
    struct ms_policy_report rep = judge(&p, 1.0, a, n, gaps, 0, F(TOO_MANY) | F(CONSTANT));
    expect_text(&rep, MS_FIND_TOO_MANY,
                "too many attempts: 9 retries in a row (the policy allows 5)");
    expect_text(&rep, MS_FIND_CONSTANT,
                "constant delay: every gap is about 1004 ms (expected growth x2)");
    CU_ASSERT_EQUAL(gaps[0].flags, 0);
    CU_ASSERT_EQUAL(gaps[1].flags, MS_GAP_EARLY);
    CU_ASSERT_EQUAL(gaps[5].flags, MS_GAP_EARLY | MS_GAP_TOO_MANY);
    CU_ASSERT_EQUAL(rep.bad, 8);
}

static void test_judge_constant_delay_is_not_claimed_when_the_policy_is_constant(void)
{
    struct ms_policy p = parse_ok("initial=1000,cap=1000,max=3");
    const double g[] = {1000, 1000, 1000, 1000, 1000};
    struct ms_attempt a[6];
    size_t n = refused_from_gaps(g, 5, a);
    judge(&p, 1.0, a, n, NULL, 0, F(TOO_MANY));
}

static void test_judge_jittered_flat_gaps_are_no_growth(void)
{
    struct ms_policy p = parse_ok("max=none,jitter=0.5");
    const double g[] = {1400, 600, 1300, 900, 1200};
    struct ms_attempt a[6];
    size_t n = refused_from_gaps(g, 5, a);
    struct ms_policy_report rep = judge(&p, 1.0, a, n, NULL, 0, F(NO_GROWTH));
    expect_text(&rep, MS_FIND_NO_GROWTH,
                "no growth: the gaps stay about 1080 ms over retries 1 to 5 (the policy grows "
                "them from 1000 to 16000 ms)");
}

static void test_judge_alternating_gaps_are_no_growth_not_a_constant_delay(void)
{
    struct ms_policy p = parse_ok("max=none,jitter=0.3");
    const double g[] = {1000, 1300, 1000, 1300, 1000};
    struct ms_attempt a[6];
    size_t n = refused_from_gaps(g, 5, a);
    judge(&p, 1.0, a, n, NULL, 0, F(NO_GROWTH));
}

static void test_judge_slow_linear_growth_is_not_no_growth(void)
{
    struct ms_policy p = parse_ok("max=none");
    const double g[] = {1000, 1500, 2000, 2500};
    struct ms_attempt a[5];
    size_t n = refused_from_gaps(g, 4, a);
    struct ms_policy_report rep = judge(&p, 1.0, a, n, NULL, 0, F(OFF_WINDOW));
    expect_text(&rep, MS_FIND_OFF_WINDOW, "attempt 3: gap 1500 ms outside [1775, 2225] ms");
}

static void test_judge_growth_that_is_merely_late_is_not_no_growth(void)
{
    struct ms_policy p = parse_ok("");
    const double g[] = {1000, 2000, 4000, 12000};
    struct ms_attempt a[5];
    size_t n = refused_from_gaps(g, 4, a);
    struct ms_policy_report rep = judge(&p, 1.0, a, n, NULL, 0, F(OFF_WINDOW));
    expect_text(&rep, MS_FIND_OFF_WINDOW, "attempt 5: gap 12000 ms outside [7175, 8825] ms");
}

static void test_judge_storm_needs_a_gap_under_its_window(void)
{
    /* At scale 0.01 the first window is [0, 36] ms: 5 ms gaps are inside it, not a storm. */
    struct ms_policy p = parse_ok("initial=1000,cap=1000,max=none");
    const double g[] = {5, 5, 5};
    struct ms_attempt a[4];
    size_t n = refused_from_gaps(g, 3, a);
    judge(&p, 0.01, a, n, NULL, 1, 0);
    /* At scale 1 they are a storm (and only that: a constant storm is not a constant delay). */
    struct ms_policy_report rep = judge(&p, 1.0, a, n, NULL, 0, F(STORM));
    expect_text(&rep, MS_FIND_STORM, "retry storm: 3 of 3 gaps under 10 ms (no delay)");
}

static void test_judge_no_cap_only_where_the_cap_applies(void)
{
    struct ms_policy p = parse_ok("max=none,cap=8000");
    const double g[] = {1000, 2000, 4000, 8000, 16000, 32000};
    struct ms_attempt a[7];
    struct ms_gap gaps[6];
    size_t n = refused_from_gaps(g, 6, a);
    struct ms_policy_report rep = judge(&p, 1.0, a, n, gaps, 0, F(NO_CAP));
    expect_text(&rep, MS_FIND_NO_CAP, "no cap: 2 gaps longer than the cap of 8000 ms");
    CU_ASSERT_EQUAL(gaps[4].flags, MS_GAP_LATE | MS_GAP_OVER_CAP);
    CU_ASSERT_EQUAL(gaps[3].flags, 0);
}

static void test_judge_very_late_gap_before_the_cap_applies_is_not_no_cap(void)
{
    struct ms_policy p = parse_ok("max=none,cap=5000");
    const double g[] = {1000, 2000, 9000}; /* retry 3 wants 4000: the cap (5000) is not reached */
    struct ms_attempt a[4];
    struct ms_gap gaps[3];
    size_t n = refused_from_gaps(g, 3, a);
    struct ms_policy_report rep = judge(&p, 1.0, a, n, gaps, 0, F(OFF_WINDOW));
    expect_text(&rep, MS_FIND_OFF_WINDOW, "attempt 4: gap 9000 ms outside [3575, 4425] ms");
    CU_ASSERT_EQUAL(gaps[2].flags, MS_GAP_LATE);
}

static void test_judge_gap_runs_from_the_close_not_the_upgrade(void)
{
    struct ms_policy p = parse_ok("");
    /* refused, refused, open for 10 s then dropped by the server, back 1 s after the drop */
    const struct ms_attempt a[] = {refused(0), refused(1000), conn(3000, 10000, MS_BY_SERVER, 1006),
                                   refused(14000), refused(16000)};
    struct ms_gap gaps[4];
    judge(&p, 1.0, a, 5, gaps, 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(gaps[2].from_ms, 13000, EPS);
    CU_ASSERT_DOUBLE_EQUAL(gaps[2].gap_ms, 1000, EPS);
    CU_ASSERT_EQUAL(gaps[2].retry, 1);
    CU_ASSERT_EQUAL(gaps[3].retry, 2);
}

static void test_judge_reset_after_a_stable_connection_follows(void)
{
    struct ms_policy p = parse_ok("max=3,reset=5000");
    /* three retries, a connection stable for 6 s, then three retries again: within max=3 */
    const struct ms_attempt a[] = {
        refused(0),     refused(1000),  refused(3000), conn(7000, 6000, MS_BY_SERVER, 1012),
        refused(14000), refused(16000), refused(20000)};
    struct ms_gap gaps[6];
    struct ms_policy_report rep = judge(&p, 1.0, a, 7, gaps, 1, 0);
    CU_ASSERT_EQUAL(gaps[3].retry, 1);
    CU_ASSERT_EQUAL(gaps[5].retry, 3);
    CU_ASSERT_EQUAL(rep.worst_run, 3);
}

static void test_judge_no_reset_after_a_stable_connection(void)
{
    struct ms_policy p = parse_ok("max=none,reset=5000");
    /* the client keeps counting: 8000 ms (retry 4) after a connection open for 12 s */
    const struct ms_attempt a[] = {refused(0), refused(1000), refused(3000),
                                   conn(7000, 12000, MS_BY_SERVER, 1006), refused(27000)};
    struct ms_gap gaps[4];
    struct ms_policy_report rep = judge(&p, 1.0, a, 5, gaps, 0, F(NO_RESET));
    expect_text(&rep, MS_FIND_NO_RESET,
                "no reset after a stable connection: attempt 5 came 8000 ms after a connection "
                "that stayed open 12000 ms (the count restarts there: expected 875 to 1125 ms)");
    CU_ASSERT_EQUAL(gaps[3].flags, MS_GAP_LATE | MS_GAP_NO_RESET);
}

static void test_judge_short_connection_does_not_restart_the_count(void)
{
    struct ms_policy p = parse_ok("max=none,reset=5000");
    /* open only 200 ms: the next delay is retry 4's 8000 ms */
    const struct ms_attempt a[] = {refused(0), refused(1000), refused(3000),
                                   conn(7000, 200, MS_BY_SERVER, 1006), refused(15200)};
    struct ms_gap gaps[4];
    judge(&p, 1.0, a, 5, gaps, 1, 0);
    CU_ASSERT_EQUAL(gaps[3].retry, 4);
}

static void test_judge_reset_too_early_after_a_short_connection(void)
{
    struct ms_policy p = parse_ok("max=none,reset=5000");
    const struct ms_attempt a[] = {refused(0), refused(1000), refused(3000),
                                   conn(7000, 200, MS_BY_SERVER, 1006), refused(8200)};
    struct ms_policy_report rep = judge(&p, 1.0, a, 5, NULL, 0, F(EARLY_RESET));
    expect_text(&rep, MS_FIND_EARLY_RESET,
                "reset too early: attempt 5 came 1000 ms after a connection that stayed open only "
                "200 ms (the count restarts after 5000 ms open)");
}

static void test_judge_reset_is_scaled(void)
{
    struct ms_policy p = parse_ok("max=none,reset=5000");
    /* at scale 0.01 a 60 ms connection is stable (reset 50 ms): back at 10 ms is right */
    const struct ms_attempt a[] = {refused(0), refused(10), conn(30, 60, MS_BY_SERVER, 1006),
                                   refused(100)};
    struct ms_gap gaps[3];
    judge(&p, 0.01, a, 4, gaps, 1, 0);
    CU_ASSERT_EQUAL(gaps[2].retry, 1);
}

static void test_judge_reconnect_after_intentional_close(void)
{
    struct ms_policy p = parse_ok("max=none");
    const int codes[] = {1000, 1001, 1005};
    for (size_t k = 0; k < 3; k++) {
        const struct ms_attempt a[] = {refused(0), conn(1000, 5000, MS_BY_CLIENT, codes[k]),
                                       refused(7000)};
        struct ms_gap gaps[2];
        struct ms_policy_report rep = judge(&p, 1.0, a, 3, gaps, 0, F(AFTER_CLOSE));
        char want[200];
        snprintf(want, sizeof(want),
                 "reconnected after an intentional close: attempt 3 came 1000 ms after the client "
                 "closed attempt 2 with %d",
                 codes[k]);
        expect_text(&rep, MS_FIND_AFTER_CLOSE, want);
        CU_ASSERT_EQUAL(gaps[1].flags, MS_GAP_AFTER_CLOSE);
    }
}

static void test_judge_other_closes_are_not_intentional(void)
{
    struct ms_policy p = parse_ok("max=none");
    /* the client dropped (1006), the client went away for another reason (4000), the server
     * closed with 1000: all failures to recover from */
    const struct ms_attempt a[] = {conn(0, 5000, MS_BY_CLIENT, 1006),
                                   conn(6000, 5000, MS_BY_CLIENT, 4000),
                                   conn(12000, 5000, MS_BY_SERVER, 1000), refused(18000)};
    judge(&p, 1.0, a, 4, NULL, 1, 0);
}

static void test_judge_concurrent_connection(void)
{
    struct ms_policy p = parse_ok("max=none");
    struct ms_attempt open = conn(0, 0, 0, 0);
    open.ended = 0;
    open.still_open = 1;
    const struct ms_attempt a[] = {refused(-1000), open, refused(1000), refused(3000)};
    struct ms_gap gaps[3];
    struct ms_policy_report rep = judge(&p, 1.0, a, 4, gaps, 0, F(CONCURRENT));
    expect_text(&rep, MS_FIND_CONCURRENT,
                "concurrent connections: attempt 3 started while attempt 2 was still open");
    CU_ASSERT_EQUAL(gaps[1].flags, MS_GAP_CONCURRENT);
    /* a connection that closed after the next attempt started was open then, too */
    const struct ms_attempt b[] = {conn(0, 5000, MS_BY_SERVER, 1006), refused(1000)};
    judge(&p, 1.0, b, 2, NULL, 0, F(CONCURRENT));
}

static void test_judge_several_findings_at_once(void)
{
    struct ms_policy p = parse_ok("max=2,cap=4000");
    const struct ms_attempt a[] = {refused(0), refused(1), refused(2),
                                   conn(3, 100, MS_BY_CLIENT, 1000), refused(1103)};
    struct ms_policy_report rep =
        judge(&p, 1.0, a, 5, NULL, 0, F(TOO_MANY) | F(STORM) | F(AFTER_CLOSE));
    CU_ASSERT_EQUAL(rep.worst_run, 3);
    char reason[256];
    CU_ASSERT_EQUAL(ms_policy_check(&p, 1.0, a, 5, NULL, reason, sizeof(reason)), 0);
    CU_ASSERT_STRING_EQUAL(reason, "too many attempts: 3 retries in a row (the policy allows 2)");
}

static void test_judge_fewer_than_two_attempts_is_not_judged(void)
{
    struct ms_policy p = parse_ok("");
    const struct ms_attempt a[] = {refused(0)};
    judge(&p, 1.0, a, 1, NULL, -1, 0);
}

static void test_finding_names(void)
{
    CU_ASSERT_STRING_EQUAL(ms_policy_finding_name(MS_FIND_TOO_MANY), "too many attempts");
    CU_ASSERT_STRING_EQUAL(ms_policy_finding_name(MS_FIND_AFTER_CLOSE),
                           "reconnected after an intentional close");
    CU_ASSERT_STRING_EQUAL(ms_policy_finding_name(MS_FIND_OFF_WINDOW), "gap outside its window");
    CU_ASSERT_STRING_EQUAL(ms_policy_finding_name(MS_FIND_COUNT), "?");
}

static void test_next_delay_jitter_is_seeded_and_within_the_lws_range(void)
{
    struct ms_policy p = parse_ok("initial=1000,factor=2,cap=30000,jitter=0.2,reset=5000");
    CU_ASSERT_DOUBLE_EQUAL(p.reset_ms, 5000, EPS);
    struct ms_rng a, b;
    ms_rng_seed(&a, 42);
    ms_rng_seed(&b, 42);
    int spread = 0;
    for (long r = 1; r <= 8; r++) {
        double d = ms_policy_next_delay(&p, r, &a), nominal = ms_policy_delay(&p, r);
        CU_ASSERT(d >= nominal && d < nominal * 1.2);
        CU_ASSERT_DOUBLE_EQUAL(d, ms_policy_next_delay(&p, r, &b), 1e-9); /* same seed */
        spread += d > nominal;
    }
    CU_ASSERT(spread >= 7);
    CU_ASSERT_DOUBLE_EQUAL(ms_policy_next_delay(&p, 3, NULL), 4000, EPS); /* no rng: nominal */
}

static void test_may_retry_counts_retries_in_a_row(void)
{
    struct ms_policy p = parse_ok("max=2");
    CU_ASSERT_TRUE(ms_policy_may_retry(&p, 0));
    CU_ASSERT_TRUE(ms_policy_may_retry(&p, 1));
    CU_ASSERT_FALSE(ms_policy_may_retry(&p, 2));
    p = parse_ok("max=none");
    CU_ASSERT_TRUE(ms_policy_may_retry(&p, 1000000));
}

static CU_TestInfo policy_tests[] = {
    MS_TEST(test_parse_empty_gives_defaults),
    MS_TEST(test_parse_subset_keeps_other_defaults),
    MS_TEST(test_parse_every_key),
    MS_TEST(test_parse_any_order),
    MS_TEST(test_parse_max_none_is_unlimited),
    MS_TEST(test_parse_edges_of_ranges_are_accepted),
    MS_TEST(test_parse_unknown_key),
    MS_TEST(test_parse_item_without_equals),
    MS_TEST(test_parse_non_number),
    MS_TEST(test_parse_factor_below_one),
    MS_TEST(test_parse_jitter_above_one),
    MS_TEST(test_parse_bad_max_initial_cap),
    MS_TEST(test_parse_cap_below_initial),
    MS_TEST(test_delay_grows_by_factor),
    MS_TEST(test_delay_is_capped),
    MS_TEST(test_delay_before_first_retry_is_initial),
    MS_TEST(test_window_without_jitter),
    MS_TEST(test_window_with_jitter),
    MS_TEST(test_window_with_scale),
    MS_TEST(test_window_low_end_never_negative),
    MS_TEST(test_check_exponential_sequence_follows),
    MS_TEST(test_check_sequence_reaching_cap_follows),
    MS_TEST(test_check_jittered_gaps_inside_window_follow),
    MS_TEST(test_check_gap_verdicts),
    MS_TEST(test_check_original_app_is_too_many_attempts),
    MS_TEST(test_check_original_app_is_constant_delay_without_max),
    MS_TEST(test_check_constant_delay_within_max),
    MS_TEST(test_check_retry_storm),
    MS_TEST(test_check_no_cap),
    MS_TEST(test_check_no_cap_single_gap),
    MS_TEST(test_check_successful_open_restarts_at_initial),
    MS_TEST(test_check_without_open_the_run_continues),
    MS_TEST(test_check_single_gap_off_its_window_is_named),
    MS_TEST(test_check_open_resets_the_max_count),
    MS_TEST(test_check_scaled_gaps),
    MS_TEST(test_check_fewer_than_two_attempts_is_pending),
    MS_TEST(test_judge_seeded_jittered_exponential_sequence_follows),
    MS_TEST(test_judge_original_app_is_too_many_attempts_and_a_constant_delay),
    MS_TEST(test_judge_constant_delay_is_not_claimed_when_the_policy_is_constant),
    MS_TEST(test_judge_jittered_flat_gaps_are_no_growth),
    MS_TEST(test_judge_alternating_gaps_are_no_growth_not_a_constant_delay),
    MS_TEST(test_judge_slow_linear_growth_is_not_no_growth),
    MS_TEST(test_judge_growth_that_is_merely_late_is_not_no_growth),
    MS_TEST(test_judge_storm_needs_a_gap_under_its_window),
    MS_TEST(test_judge_no_cap_only_where_the_cap_applies),
    MS_TEST(test_judge_very_late_gap_before_the_cap_applies_is_not_no_cap),
    MS_TEST(test_judge_gap_runs_from_the_close_not_the_upgrade),
    MS_TEST(test_judge_reset_after_a_stable_connection_follows),
    MS_TEST(test_judge_no_reset_after_a_stable_connection),
    MS_TEST(test_judge_short_connection_does_not_restart_the_count),
    MS_TEST(test_judge_reset_too_early_after_a_short_connection),
    MS_TEST(test_judge_reset_is_scaled),
    MS_TEST(test_judge_reconnect_after_intentional_close),
    MS_TEST(test_judge_other_closes_are_not_intentional),
    MS_TEST(test_judge_concurrent_connection),
    MS_TEST(test_judge_several_findings_at_once),
    MS_TEST(test_judge_fewer_than_two_attempts_is_not_judged),
    MS_TEST(test_finding_names),
    MS_TEST(test_next_delay_jitter_is_seeded_and_within_the_lws_range),
    MS_TEST(test_may_retry_counts_retries_in_a_row),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"policy", NULL, NULL, NULL, NULL, policy_tests},
    CU_SUITE_INFO_NULL,
};
