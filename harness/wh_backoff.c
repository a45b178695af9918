/* wh_backoff -- wsharness backoff: checks a client's reconnect attempts against a policy. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "wh_backoff.h"
#include "wh_commands.h"
#include "wh_journal.h"
#include "wh_svg.h"

#define FETCH_TIMEOUT_MS 10000

static const char usage_text[] =
    "usage: wsharness backoff (--journal FILE | --mock URL) --path P --policy POLICY\n"
    "                         [--scale K] [--since SEQ] [--svg FILE] [--json]\n"
    "\n"
    "Reads the upgrade attempts a client made on path P from a wsmock journal and checks the\n"
    "gaps between them against a reconnect policy: a table of attempt, time, gap, expected\n"
    "window and verdict, then the findings and one verdict line.\n"
    "\n"
    "  --journal FILE  a journal file, as `wsmock --journal FILE` writes it (JSON lines)\n"
    "  --mock URL      a running wsmock's base URL (http://127.0.0.1:3001): GET /__mock/journal\n"
    "  --path P        the path the client connects to; a trailing * matches a prefix\n"
    "  --policy TEXT   initial=1000,factor=2,cap=30000,max=5,jitter=0.2[,reset=5000]\n"
    "                  (ms; max=none for unlimited; reset: how long a connection must stay\n"
    "                  open to restart the count, 0 = any open)\n"
    "  --scale K       the time scale the client ran with: every policy ms times K (default 1)\n"
    "  --since SEQ     only events after journal seq SEQ\n"
    "  --svg FILE      also draw the attempts against the expected windows as SVG\n"
    "  --json          print the report as one JSON object (one line) instead of the table\n"
    "\n"
    "Detects: too many attempts, a retry storm, a constant delay, no growth, no cap, no reset\n"
    "after a stable connection, a reset too early, reconnecting after an intentional close\n"
    "(the client closed with 1000, 1001 or 1005), concurrent connections.\n"
    "Exit status: 0 follows the policy, 1 violates it or fewer than 2 attempts (not judged),\n"
    "2 usage or unreadable input.\n";

/* ---- collecting attempts ---- */

static int path_matches(const char *want, const char *path)
{
    size_t n = strlen(want);
    if (n && want[n - 1] == '*')
        return !strncmp(want, path, n - 1);
    return !strcmp(want, path);
}

static double num(const cJSON *o, const char *k, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

/* A journal number as an unsigned id (seq, conn): out of range or NaN is 0 (a C cast of such a
 * double is undefined behaviour). */
static uint64_t num_u64(const cJSON *o, const char *k)
{
    double d = num(o, k, 0);
    return d >= 0 && d < 18446744073709551616.0 ? (uint64_t)d : 0;
}

/* A journal number as an int (status, close code): out of range or NaN is 0. */
static int num_int(const cJSON *o, const char *k)
{
    double d = num(o, k, 0);
    return d > INT_MIN && d < INT_MAX ? (int)d : 0;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The attempt that conn belongs to (searching from the newest), or NULL. */
static struct wh_backoff_attempt *by_conn(struct wh_backoff_attempt *v, long n, uint64_t conn)
{
    for (long i = n - 1; i >= 0; i--)
        if (v[i].conn == conn)
            return &v[i];
    return NULL;
}

long wh_backoff_collect(const cJSON *events, const char *path, uint64_t since,
                        struct wh_backoff_attempt **out)
{
    struct wh_backoff_attempt *v = NULL;
    long n = 0, cap = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, events)
    {
        const char *type = str(ev, "type"), *p = str(ev, "path");
        if (!type || !p || num(ev, "seq", 0) <= (double)since || !path_matches(path, p))
            continue;
        double t = num(ev, "t_ms", 0);
        uint64_t conn = num_u64(ev, "conn");
        if (!strcmp(type, "upgrade")) {
            if (n == cap) {
                cap = cap ? cap * 2 : 32;
                struct wh_backoff_attempt *nv = realloc(v, (size_t)cap * sizeof(*nv));
                if (!nv) {
                    free(v);
                    return -1;
                }
                v = nv;
            }
            struct wh_backoff_attempt *x = &v[n++];
            *x = (struct wh_backoff_attempt){.a = {.t_ms = t},
                                             .seq = num_u64(ev, "seq"),
                                             .conn = conn,
                                             .path = p,
                                             .outcome = str(ev, "outcome"),
                                             .status = num_int(ev, "status")};
            /* refused and reset attempts are over once answered (after any handshake delay);
             * a hang ends when the client gives up, which the journal does not show */
            if (!x->outcome)
                x->outcome = "?";
            if (strcmp(x->outcome, "accepted") && strcmp(x->outcome, "hang")) {
                x->a.ended = 1;
                x->a.end_ms = t + num(ev, "delay_ms", 0);
            }
        } else if (!strcmp(type, "open") || !strcmp(type, "close")) {
            struct wh_backoff_attempt *x = by_conn(v, n, conn);
            if (!x)
                continue;
            if (type[0] == 'o') {
                x->a.opened = 1;
                x->open_t_ms = t;
                continue;
            }
            const char *by = str(ev, "by");
            x->a.ended = 1;
            x->a.end_ms = t;
            x->a.open_ms = x->a.opened ? t - x->open_t_ms : 0;
            x->a.closed_by = !by                     ? MS_BY_UNKNOWN
                             : !strcmp(by, "client") ? MS_BY_CLIENT
                             : !strcmp(by, "server") ? MS_BY_SERVER
                                                     : MS_BY_UNKNOWN;
            x->a.close_code = num_int(ev, "code");
        }
    }
    for (long i = 0; i < n; i++)
        if (v[i].a.opened && !v[i].a.ended)
            v[i].a.still_open = 1;
    *out = v;
    return n;
}

/* ---- options ---- */

struct opts {
    const char *journal, *mock, *path, *policy_text, *svg;
    double scale;
    uint64_t since;
    int json;
    struct ms_policy policy;
};

/* Parses argv into o. Returns 0, 1 after --help, or 2 after a usage error (reported). */
static int parse_args(int argc, char **argv, struct opts *o, FILE *out, FILE *err)
{
    *o = (struct opts){.scale = 1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage_text, out);
            return 1;
        }
        if (!strcmp(a, "--json")) {
            o->json = 1;
            continue;
        }
        static const char *const valued[] = {"--journal", "--mock",  "--path", "--policy",
                                             "--scale",   "--since", "--svg",  NULL};
        const char *const *k = valued;
        size_t kl = 0;
        for (; *k; k++) {
            kl = strlen(*k);
            if (!strncmp(a, *k, kl) && (a[kl] == '\0' || a[kl] == '='))
                break;
        }
        if (!*k) {
            fprintf(err, "wsharness backoff: unknown option '%s'\n%s", a, usage_text);
            return 2;
        }
        if (a[kl] == '=')
            v = a + kl + 1;
        else if (i + 1 < argc)
            v = argv[++i];
        else {
            fprintf(err, "wsharness backoff: %s needs a value\n%s", *k, usage_text);
            return 2;
        }
        char *end;
        if (!strcmp(*k, "--journal"))
            o->journal = v;
        else if (!strcmp(*k, "--mock"))
            o->mock = v;
        else if (!strcmp(*k, "--path"))
            o->path = v;
        else if (!strcmp(*k, "--policy"))
            o->policy_text = v;
        else if (!strcmp(*k, "--svg"))
            o->svg = v;
        else if (!strcmp(*k, "--scale")) {
            errno = 0;
            o->scale = strtod(v, &end);
            if (!*v || *end || errno || !isfinite(o->scale) || o->scale <= 0) {
                fprintf(err, "wsharness backoff: --scale wants a number > 0, not '%s'\n", v);
                return 2;
            }
        } else {
            errno = 0;
            unsigned long long s = strtoull(v, &end, 10);
            if (!*v || *end || errno || *v == '-') {
                fprintf(err,
                        "wsharness backoff: --since wants a journal seq (0, 1, ...), not '%s'\n",
                        v);
                return 2;
            }
            o->since = s;
        }
    }
    const char *missing = !o->path                  ? "--path"
                          : !o->policy_text         ? "--policy"
                          : !o->journal && !o->mock ? "--journal FILE or --mock URL"
                                                    : NULL;
    if (missing) {
        fprintf(err, "wsharness backoff: %s is required\n%s", missing, usage_text);
        return 2;
    }
    if (o->journal && o->mock) {
        fprintf(err, "wsharness backoff: give --journal or --mock, not both\n");
        return 2;
    }
    if (!o->path[0]) {
        fprintf(err, "wsharness backoff: --path is empty\n");
        return 2;
    }
    char why[256];
    if (ms_policy_parse(o->policy_text, &o->policy, why, sizeof(why))) {
        fprintf(err, "wsharness backoff: bad --policy \"%s\": %s\n", o->policy_text, why);
        return 2;
    }
    return 0;
}

/* ---- the report ---- */

struct report {
    const struct opts *o;
    const char *source;
    struct wh_backoff_attempt *at;
    long n;
    struct ms_gap *gaps; /* n-1 */
    struct ms_policy_report rep;
    unsigned long resets, dropped;
    const cJSON *events;
};

static const char *const finding_ids[MS_FIND_COUNT] = {
    "too_many", "storm",       "constant",    "no_growth",  "no_cap",
    "no_reset", "early_reset", "after_close", "concurrent", "off_window",
};

static void policy_line(const struct ms_policy *p, char *buf, size_t len)
{
    char max[24];
    if (p->max < 0)
        snprintf(max, sizeof(max), "none");
    else
        snprintf(max, sizeof(max), "%ld", p->max);
    snprintf(buf, len, "initial=%g factor=%g cap=%g max=%s jitter=%g reset=%g", p->initial_ms,
             p->factor, p->cap_ms, max, p->jitter, p->reset_ms);
}

/* "refused 403", "open 5012 ms, server 1006", "open, still", ... */
static void describe(const struct wh_backoff_attempt *x, char *buf, size_t len)
{
    const struct ms_attempt *a = &x->a;
    if (a->opened && a->still_open)
        snprintf(buf, len, "open (still)");
    else if (a->opened && a->ended)
        snprintf(buf, len, "open %.0f ms, %s %d", a->open_ms,
                 a->closed_by == MS_BY_CLIENT   ? "client"
                 : a->closed_by == MS_BY_SERVER ? "server"
                                                : "?",
                 a->close_code);
    else if (!strcmp(x->outcome, "refused"))
        snprintf(buf, len, "refused %d", x->status);
    else if (!strcmp(x->outcome, "accepted"))
        snprintf(buf, len, "accepted, never open");
    else
        snprintf(buf, len, "%s", x->outcome);
}

/* Appends printf output to the string in buf (cut at len - 1). */
static void vcat(char *buf, size_t len, const char *fmt, va_list ap)
{
    size_t used = strlen(buf);
    if (used + 1 < len)
        vsnprintf(buf + used, len - used, fmt, ap);
}

static void cat(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cat(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vcat(buf, len, fmt, ap);
    va_end(ap);
}

/* Appends one reason to a verdict cell: "BAD early (...)", then "; late (...)". */
static void reason(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void reason(char *buf, size_t len, const char *fmt, ...)
{
    cat(buf, len, "%s", strcmp(buf, "BAD") ? "; " : " ");
    va_list ap;
    va_start(ap, fmt);
    vcat(buf, len, fmt, ap);
    va_end(ap);
}

/* The verdict cell of gap i (attempt i+1): "ok" or "BAD " and every reason. */
static void why(const struct report *r, long i, char *buf, size_t len)
{
    const struct ms_gap *g = &r->gaps[i - 1];
    const struct ms_attempt *prev = &r->at[i - 1].a;
    const struct ms_policy *p = &r->o->policy;
    snprintf(buf, len, g->ok ? "ok" : "BAD");
    if (g->flags & MS_GAP_CONCURRENT)
        reason(buf, len, "while #%ld was still open", i);
    if (g->flags & MS_GAP_AFTER_CLOSE)
        reason(buf, len, "after the client closed #%ld with %d", i, prev->close_code);
    if (g->flags & MS_GAP_STORM)
        reason(buf, len, "retry storm (no delay)");
    else if (g->flags & MS_GAP_EARLY)
        reason(buf, len, "early (%.0f < %.0f)", g->gap_ms, g->lo_ms);
    if (g->flags & MS_GAP_LATE)
        reason(buf, len, "late (%.0f > %.0f)%s", g->gap_ms, g->hi_ms,
               g->flags & MS_GAP_OVER_CAP ? ", over the cap" : "");
    if (g->flags & MS_GAP_NO_RESET)
        reason(buf, len, "no reset after %.0f ms open", prev->open_ms);
    if (g->flags & MS_GAP_EARLY_RESET)
        reason(buf, len, "reset too early (open %.0f < %.0f ms)", prev->open_ms,
               p->reset_ms * r->o->scale);
    if (g->flags & MS_GAP_TOO_MANY)
        reason(buf, len, "too many: retry %ld > max %ld", g->retry, p->max);
}

/* 1 if the constant delay is the original app's 1000 ms (PROTOCOL.md 4.3). */
static int looks_like_original_app(const struct report *r)
{
    if (!(r->rep.found & (1u << MS_FIND_CONSTANT)))
        return 0;
    double want = 1000 * r->o->scale;
    for (long i = 1; i < r->n; i++)
        if (!(r->gaps[i - 1].flags & (MS_GAP_CONCURRENT | MS_GAP_AFTER_CLOSE)))
            return fabs(r->gaps[i - 1].gap_ms - want) <= 25 + 0.1 * want;
    return 0;
}

/* The short verdict ("VIOLATES the policy (too many attempts, constant delay)"). */
static void verdict_line(const struct report *r, char *buf, size_t len)
{
    if (r->rep.verdict < 0) {
        snprintf(buf, len, "NOT JUDGED: %s on %s (at least 2 are needed)",
                 r->n ? "1 attempt" : "no upgrade attempts", r->o->path);
        return;
    }
    if (r->rep.verdict) {
        snprintf(buf, len, "FOLLOWS the policy (%ld attempts, %ld gaps)", r->n, r->n - 1);
        return;
    }
    snprintf(buf, len, "VIOLATES the policy (");
    const char *sep = "";
    for (int f = 0; f < MS_FIND_COUNT; f++)
        if (r->rep.found & (1u << f))
            cat(buf, len, "%s%s", sep, ms_policy_finding_name((enum ms_finding)f)), sep = ", ";
    cat(buf, len, ")");
}

/* Up to three other paths with attempts, to help when --path matched nothing. */
static void other_paths(const struct report *r, char *buf, size_t len)
{
    buf[0] = '\0';
    const char *seen[3];
    int k = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, r->events)
    {
        const char *t = str(ev, "type"), *p = str(ev, "path");
        if (!t || strcmp(t, "upgrade") || !p || k == 3)
            continue;
        int dup = 0;
        for (int i = 0; i < k; i++)
            dup |= !strcmp(seen[i], p);
        if (!dup)
            seen[k++] = p;
    }
    for (int i = 0; i < k; i++)
        cat(buf, len, "%s%s", i ? ", " : "", seen[i]);
}

static void print_table(const struct report *r, FILE *out)
{
    char pol[160], desc[64], cell[320], vl[320];
    policy_line(&r->o->policy, pol, sizeof(pol));
    fprintf(out, "wsharness backoff: %ld attempt%s on %s from %s\n", r->n, r->n == 1 ? "" : "s",
            r->o->path, r->source);
    fprintf(out, "policy: %s (ms, x%g)\n", pol, r->o->scale);
    if (r->resets)
        fprintf(out,
                "note: the journal file was reset %lu time%s; only the events after the last "
                "reset are read\n",
                r->resets, r->resets == 1 ? "" : "s");
    if (r->dropped)
        fprintf(out,
                "note: wsmock had already dropped %lu journal events (--journal-limit): "
                "earlier attempts may be missing\n",
                r->dropped);
    if (r->n) {
        double t0 = r->at[0].a.t_ms;
        fprintf(out, "\n%4s %9s  %-26s %8s %6s  %-15s %s\n", "#", "time ms", "attempt", "gap ms",
                "retry", "expected ms", "verdict");
        for (long i = 0; i < r->n; i++) {
            describe(&r->at[i], desc, sizeof(desc));
            if (!i) {
                fprintf(out, "%4d %9.0f  %-26s %8s %6s  %-15s %s\n", 1, 0.0, desc, "-", "-", "-",
                        "first attempt");
                continue;
            }
            const struct ms_gap *g = &r->gaps[i - 1];
            char win[32];
            if (g->flags & (MS_GAP_CONCURRENT | MS_GAP_AFTER_CLOSE))
                snprintf(win, sizeof(win), "none");
            else
                snprintf(win, sizeof(win), "%.0f..%.0f", g->lo_ms, g->hi_ms);
            why(r, i, cell, sizeof(cell));
            fprintf(out, "%4ld %9.0f  %-26s %8.0f %6ld  %-15s %s\n", i + 1, r->at[i].a.t_ms - t0,
                    desc, g->gap_ms, g->retry, win, cell);
        }
    }
    if (r->rep.found) {
        fprintf(out, "\nfindings:\n");
        for (int f = 0; f < MS_FIND_COUNT; f++)
            if (r->rep.found & (1u << f))
                fprintf(out, "  - %s\n", r->rep.text[f]);
    }
    if (looks_like_original_app(r))
        fprintf(out,
                "note: a constant 1000 ms is the original app's useWebSocket hook (PROTOCOL.md "
                "4.3): a stale closure keeps its attempt count at 0, so every retry waits the "
                "same 1000 ms and it never gives up\n");
    if (r->rep.verdict == 1 && r->rep.worst_run < 2)
        fprintf(out, "\nnote: no second retry in a row: growth, cap and max were not exercised\n");
    if (r->rep.verdict < 0 && !r->n) {
        other_paths(r, cell, sizeof(cell));
        if (cell[0])
            fprintf(out, "\nnote: the journal has upgrade attempts on %s\n", cell);
    }
    verdict_line(r, vl, sizeof(vl));
    fprintf(out, "\nverdict: %s\n", vl);
}

static cJSON *num_or_null(double v, int have)
{
    return have ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

static void print_json(const struct report *r, FILE *out)
{
    const struct ms_policy *p = &r->o->policy;
    cJSON *o = cJSON_CreateObject(), *pol = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "source", r->source);
    cJSON_AddStringToObject(o, "path", r->o->path);
    cJSON_AddItemToObject(o, "policy", pol);
    cJSON_AddNumberToObject(pol, "initial_ms", p->initial_ms);
    cJSON_AddNumberToObject(pol, "factor", p->factor);
    cJSON_AddNumberToObject(pol, "cap_ms", p->cap_ms);
    cJSON_AddItemToObject(pol, "max", num_or_null((double)p->max, p->max >= 0));
    cJSON_AddNumberToObject(pol, "jitter", p->jitter);
    cJSON_AddNumberToObject(pol, "reset_ms", p->reset_ms);
    cJSON_AddNumberToObject(o, "scale", r->o->scale);
    cJSON *arr = cJSON_AddArrayToObject(o, "attempts");
    for (long i = 0; i < r->n; i++) {
        const struct wh_backoff_attempt *x = &r->at[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, e);
        cJSON_AddNumberToObject(e, "n", (double)(i + 1));
        cJSON_AddNumberToObject(e, "seq", (double)x->seq);
        cJSON_AddNumberToObject(e, "conn", (double)x->conn);
        cJSON_AddStringToObject(e, "path", x->path);
        cJSON_AddNumberToObject(e, "t_ms", x->a.t_ms);
        cJSON_AddStringToObject(e, "outcome", x->outcome);
        cJSON_AddNumberToObject(e, "status", x->status);
        cJSON_AddBoolToObject(e, "opened", x->a.opened);
        cJSON_AddItemToObject(e, "open_ms", num_or_null(x->a.open_ms, x->a.opened && x->a.ended));
        cJSON_AddItemToObject(e, "close_code", num_or_null(x->a.close_code, x->a.close_code));
        cJSON_AddItemToObject(e, "closed_by",
                              x->a.closed_by == MS_BY_CLIENT   ? cJSON_CreateString("client")
                              : x->a.closed_by == MS_BY_SERVER ? cJSON_CreateString("server")
                                                               : cJSON_CreateNull());
        if (!i)
            continue;
        const struct ms_gap *g = &r->gaps[i - 1];
        cJSON_AddNumberToObject(e, "gap_ms", g->gap_ms);
        cJSON_AddNumberToObject(e, "retry", (double)g->retry);
        cJSON_AddNumberToObject(e, "lo_ms", g->lo_ms);
        cJSON_AddNumberToObject(e, "hi_ms", g->hi_ms);
        cJSON_AddBoolToObject(e, "ok", g->ok);
        static const struct {
            unsigned bit;
            const char *id;
        } bits[] = {{MS_GAP_EARLY, "early"},
                    {MS_GAP_LATE, "late"},
                    {MS_GAP_TOO_MANY, "too_many"},
                    {MS_GAP_STORM, "storm"},
                    {MS_GAP_OVER_CAP, "over_cap"},
                    {MS_GAP_NO_RESET, "no_reset"},
                    {MS_GAP_EARLY_RESET, "early_reset"},
                    {MS_GAP_AFTER_CLOSE, "after_close"},
                    {MS_GAP_CONCURRENT, "concurrent"}};
        cJSON *w = cJSON_AddArrayToObject(e, "why");
        for (size_t b = 0; b < sizeof(bits) / sizeof(bits[0]); b++)
            if (g->flags & bits[b].bit)
                cJSON_AddItemToArray(w, cJSON_CreateString(bits[b].id));
    }
    cJSON *fs = cJSON_AddArrayToObject(o, "findings");
    for (int f = 0; f < MS_FIND_COUNT; f++)
        if (r->rep.found & (1u << f)) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "kind", finding_ids[f]);
            cJSON_AddStringToObject(e, "text", r->rep.text[f]);
            cJSON_AddItemToArray(fs, e);
        }
    cJSON_AddBoolToObject(o, "original_app", looks_like_original_app(r));
    cJSON_AddStringToObject(o, "verdict",
                            r->rep.verdict < 0 ? "not_judged"
                            : r->rep.verdict   ? "follows"
                                               : "violates");
    char vl[320];
    verdict_line(r, vl, sizeof(vl));
    cJSON_AddStringToObject(o, "summary", vl);
    char *s = cJSON_PrintUnformatted(o);
    if (s)
        fprintf(out, "%s\n", s);
    free(s);
    cJSON_Delete(o);
}

/* Draws the report with wh_svg. Returns 0 or -1 (errno set). */
static int write_svg(const struct report *r, const char *file)
{
    long n = r->n;
    double t0 = n ? r->at[0].a.t_ms : 0, t1 = 0;
    struct wh_svg_span *win = calloc((size_t)(n ? n : 1), sizeof(*win));
    struct wh_svg_span *opens = calloc((size_t)(n ? n : 1), sizeof(*opens));
    struct wh_svg_mark *marks = calloc((size_t)(n ? n : 1), sizeof(*marks));
    char(*tips)[512] = calloc((size_t)(n ? n : 1) * 2, sizeof(*tips));
    char(*labels)[24] = calloc((size_t)(n ? n : 1), sizeof(*labels));
    size_t nw = 0, no = 0;
    int rc = -1;
    FILE *f = NULL;
    if (!win || !opens || !marks || !tips || !labels) {
        errno = ENOMEM;
        goto out;
    }
    for (long i = 0; i < n; i++) {
        const struct wh_backoff_attempt *x = &r->at[i];
        double t = x->a.t_ms - t0;
        t1 = fmax(t1, t);
        snprintf(labels[i], sizeof(labels[i]), "%ld", i + 1);
        char cell[320] = "first attempt";
        if (i)
            why(r, i, cell, sizeof(cell));
        snprintf(tips[2 * i], sizeof(tips[0]), "attempt %ld at %.0f ms: %s", i + 1, t, cell);
        marks[i] = (struct wh_svg_mark){.t_ms = t,
                                        .verdict = !i                  ? WH_SVG_NEUTRAL
                                                   : r->gaps[i - 1].ok ? WH_SVG_OK
                                                                       : WH_SVG_BAD,
                                        .label = labels[i],
                                        .tip = tips[2 * i]};
        if (i && !(r->gaps[i - 1].flags & (MS_GAP_CONCURRENT | MS_GAP_AFTER_CLOSE))) {
            const struct ms_gap *g = &r->gaps[i - 1];
            snprintf(tips[2 * i + 1], sizeof(tips[0]), "retry %ld: expected %.0f..%.0f ms",
                     g->retry, g->lo_ms, g->hi_ms);
            win[nw++] = (struct wh_svg_span){g->from_ms - t0 + g->lo_ms, g->from_ms - t0 + g->hi_ms,
                                             tips[2 * i + 1], (size_t)(i - 1)};
            t1 = fmax(t1, g->from_ms - t0 + g->hi_ms);
        }
        if (x->a.opened) {
            double end = x->a.ended ? x->a.end_ms - t0 : -1;
            opens[no++] = (struct wh_svg_span){.from_ms = x->open_t_ms - t0, .to_ms = end};
            t1 = fmax(t1, end);
        }
    }
    if (!(t1 > 0))
        t1 = 1000;
    t1 *= 1.04;
    for (size_t i = 0; i < no; i++)
        if (opens[i].to_ms < 0)
            opens[i].to_ms = t1; /* still open */
    char pol[160], title[400], vl[320], sub[512];
    policy_line(&r->o->policy, pol, sizeof(pol));
    snprintf(title, sizeof(title), "wsharness backoff: %s, %ld attempt%s", r->o->path, n,
             n == 1 ? "" : "s");
    verdict_line(r, vl, sizeof(vl));
    snprintf(sub, sizeof(sub), "policy %s (ms, x%g)\n%s", pol, r->o->scale, vl);
    struct wh_svg_timeline tl = {.title = title,
                                 .subtitle = sub,
                                 .t0_ms = 0,
                                 .t1_ms = t1,
                                 .windows = win,
                                 .n_windows = nw,
                                 .n_lanes = n > 1 ? (size_t)(n - 1) : 1,
                                 .opens = opens,
                                 .n_opens = no,
                                 .marks = marks,
                                 .n_marks = (size_t)n};
    if (!(f = fopen(file, "w")))
        goto out;
    rc = wh_svg_timeline(f, &tl);
    if (fclose(f))
        rc = -1;
out:
    free(win);
    free(opens);
    free(marks);
    free(tips);
    free(labels);
    return rc;
}

int wh_backoff_cmd(int argc, char **argv, FILE *out, FILE *err)
{
    struct opts o;
    int rc = parse_args(argc, argv, &o, out, err);
    if (rc)
        return rc == 1 ? 0 : rc;
    struct wh_journal j;
    char why_buf[512];
    int bad = o.journal ? wh_journal_read_file(o.journal, &j, why_buf, sizeof(why_buf))
                        : wh_journal_fetch(o.mock, o.path, o.since, FETCH_TIMEOUT_MS, &j, why_buf,
                                           sizeof(why_buf));
    if (bad) {
        fprintf(err, "wsharness backoff: %s\n", why_buf);
        return 2;
    }
    struct report r = {.o = &o,
                       .source = o.journal ? o.journal : o.mock,
                       .resets = j.resets,
                       .dropped = j.dropped,
                       .events = j.events};
    r.n = wh_backoff_collect(j.events, o.path, o.since, &r.at);
    if (r.n < 0 || !(r.gaps = calloc((size_t)(r.n > 1 ? r.n - 1 : 1), sizeof(*r.gaps)))) {
        fprintf(err, "wsharness backoff: out of memory\n");
        rc = 2;
        goto out;
    }
    struct ms_attempt *a = calloc((size_t)(r.n ? r.n : 1), sizeof(*a));
    if (!a) {
        fprintf(err, "wsharness backoff: out of memory\n");
        rc = 2;
        goto out;
    }
    for (long i = 0; i < r.n; i++)
        a[i] = r.at[i].a;
    ms_policy_judge(&o.policy, o.scale, a, (size_t)r.n, r.gaps, &r.rep);
    free(a);
    if (o.json)
        print_json(&r, out);
    else
        print_table(&r, out);
    rc = r.rep.verdict == 1 ? 0 : 1;
    if (o.svg && write_svg(&r, o.svg)) {
        fprintf(err, "wsharness backoff: cannot write %s: %s\n", o.svg, strerror(errno));
        rc = 2;
    }
out:
    free(r.gaps);
    free(r.at);
    wh_journal_free(&j);
    return rc;
}

int wh_backoff_main(int argc, char **argv)
{
    return wh_backoff_cmd(argc, argv, stdout, stderr);
}
