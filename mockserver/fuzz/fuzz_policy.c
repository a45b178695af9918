/* fuzz_policy -- ms_policy_parse() on the first line, ms_policy_judge/check() on attempts after. */
#include "fuzz_target.h"
#include "ms_ids.h"
#include "ms_policy.h"

#define MAX_ATTEMPTS 256

/*
 * Input: line 1 is a policy ("initial=1000,factor=2,cap=30000,max=5,jitter=0.2"); every further
 * line one attempt: "T_MS [OPENED [END_MS [OPEN_MS [CLOSE_CODE [CLOSED_BY [STILL_OPEN]]]]]]".
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    char *nl = strchr(text, '\n');
    if (nl)
        *nl = '\0';
    struct ms_policy p;
    char err[128];
    memset(err, 'x', sizeof(err));
    if (ms_policy_parse(text, &p, err, sizeof(err))) {
        FUZZ_CHECK(fuzz_err_ok(err, sizeof(err)));
        free(text);
        return 0;
    }
    FUZZ_CHECK(p.initial_ms > 0 && p.factor >= 0 && p.cap_ms >= 0 && p.max >= -1);
    FUZZ_CHECK(p.jitter >= 0 && p.jitter <= 1 && p.reset_ms >= 0);

    struct ms_attempt a[MAX_ATTEMPTS];
    size_t n = 0;
    for (char *line = nl ? nl + 1 : NULL; line && n < MAX_ATTEMPTS;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        double t = 0, end = 0, open = 0;
        int opened = 0, code = 0, by = 0, still = 0;
        int k =
            sscanf(line, "%lf %d %lf %lf %d %d %d", &t, &opened, &end, &open, &code, &by, &still);
        if (k >= 1) {
            a[n] = (struct ms_attempt){.t_ms = t,
                                       .opened = opened != 0,
                                       .ended = k >= 3,
                                       .end_ms = end,
                                       .open_ms = open,
                                       .still_open = still != 0,
                                       .closed_by = by & 3,
                                       .close_code = code};
            n++;
        }
        line = next;
    }

    static const double scales[] = {1.0, 0.01};
    for (size_t s = 0; s < sizeof(scales) / sizeof(scales[0]); s++) {
        struct ms_gap gaps[MAX_ATTEMPTS];
        struct ms_policy_report rep;
        int v = ms_policy_judge(&p, scales[s], a, n, gaps, &rep);
        FUZZ_CHECK(v == rep.verdict && v >= -1 && v <= 1);
        FUZZ_CHECK((v < 0) == (n < 2));
        if (n >= 2) {
            FUZZ_CHECK(rep.gaps == n - 1 && rep.bad <= rep.gaps);
            FUZZ_CHECK((v == 1) == (rep.found == 0));
            for (size_t i = 0; i + 1 < n; i++)
                FUZZ_CHECK(gaps[i].ok == (gaps[i].flags == 0));
        }
        for (int f = 0; f < MS_FIND_COUNT; f++) {
            FUZZ_CHECK(memchr(rep.text[f], '\0', sizeof(rep.text[f])) != NULL);
            FUZZ_CHECK(ms_policy_finding_name((enum ms_finding)f) != NULL);
        }
        char reason[160];
        memset(reason, 'x', sizeof(reason));
        FUZZ_CHECK(ms_policy_check(&p, scales[s], a, n, NULL, reason, sizeof(reason)) == v);
        FUZZ_CHECK(fuzz_err_ok(reason, sizeof(reason)));
    }

    struct ms_rng rng;
    ms_rng_seed(&rng, 1);
    for (long r = 1; r <= 8; r++) {
        double lo, hi, d = ms_policy_delay(&p, r), j = ms_policy_next_delay(&p, r, &rng);
        FUZZ_CHECK(d >= 0 && j >= d && j <= d * (1 + p.jitter) + 1e-6 * d);
        ms_policy_window(&p, r, 1.0, &lo, &hi);
        FUZZ_CHECK(lo <= hi);
        (void)ms_policy_may_retry(&p, r);
    }
    free(text);
    return 0;
}
