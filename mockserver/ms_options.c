/* ms_options -- parses wsmock's switches from one table that also prints --help. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "ms_options.h"

#ifndef WSMOCK_VERSION
#define WSMOCK_VERSION "0.0.0"
#endif

enum opt_id {
    OPT_HOST,
    OPT_PORT,
    OPT_PROFILE,
    OPT_STATIC,
    OPT_JOURNAL,
    OPT_NO_CONTROL,
    OPT_CONTROL_TOKEN,
    OPT_ALLOW_ORIGIN,
    OPT_HEARTBEAT,
    OPT_MAX_MESSAGE,
    OPT_QUEUE_LIMIT,
    OPT_JOURNAL_LIMIT,
    OPT_COORDINATOR,
    OPT_SEED,
    OPT_SCENARIO,
    OPT_TIME_SCALE,
    OPT_SCENARIO_DIR,
    OPT_VERBOSE,
    OPT_HELP,
    OPT_VERSION,
};

struct opt {
    enum opt_id id;
    const char *name;
    const char *arg; /* NULL for flags */
    const char *help;
};

static const struct opt opts[] = {
    {OPT_HOST, "--host", "ADDR", "interface to bind (default 127.0.0.1; anything else warns)"},
    {OPT_PORT, "--port", "PORT", "TCP port, 0 = any free port (default 3001)"},
    {OPT_PROFILE, "--profile", "NAME",
     "deployed (default) | coordinator | pre-fix (WS-001: /ws/* refused with 403)"},
    {OPT_STATIC, "--static", "DIR", "also serve a built frontend from DIR (SPA fallback)"},
    {OPT_JOURNAL, "--journal", "FILE", "also write every journal event to FILE as JSON lines"},
    {OPT_NO_CONTROL, "--no-control", NULL, "disable the /__mock/ control API"},
    {OPT_CONTROL_TOKEN, "--control-token", "TOKEN",
     "/__mock/ requests must send 'Authorization: Bearer TOKEN' or 'X-Mock-Token: TOKEN', else "
     "401 (default: $WSMOCK_CONTROL_TOKEN, which ps cannot show)"},
    {OPT_ALLOW_ORIGIN, "--allow-origin", "ORIGIN",
     "WebSocket upgrades whose Origin matches no --allow-origin get uvicorn's 403 (repeatable; "
     "'*' matches any run: http://localhost:*; no Origin header is always allowed)"},
    {OPT_HEARTBEAT, "--heartbeat-ms", "MS",
     "app heartbeat period per connection (default 30000, 0 = off)"},
    {OPT_MAX_MESSAGE, "--max-message", "BYTES",
     "largest client message; bigger closes with 1009 (default 16777216)"},
    {OPT_QUEUE_LIMIT, "--queue-limit", "FRAMES",
     "frames queued for a slow client before closing it with 1008 (default 4096)"},
    {OPT_JOURNAL_LIMIT, "--journal-limit", "N", "journal events kept in memory (default 100000)"},
    {OPT_COORDINATOR, "--coordinator", "FILE",
     "coordinator model (agents, workflows) as JSON, see README"},
    {OPT_SEED, "--seed", "N", "seed for generated client ids (default: random)"},
    {OPT_SCENARIO, "--scenario", "FILE", "run a scenario (scenarios/FORMAT.md); a bad one exits 2"},
    {OPT_TIME_SCALE, "--time-scale", "K",
     "multiply every scenario duration by K (> 0; overrides the scenario's)"},
    {OPT_SCENARIO_DIR, "--scenario-dir", "DIR",
     "where POST /__mock/scenario {\"name\":..} finds files (default: the source scenarios/)"},
    {OPT_VERBOSE, "--verbose", NULL, "log every connection and frame to stderr"},
    {OPT_HELP, "--help", NULL, "show this help and exit"},
    {OPT_VERSION, "--version", NULL, "print the version and exit"},
};

void ms_options_defaults(struct ms_options *o)
{
    memset(o, 0, sizeof(*o));
    o->host = "127.0.0.1";
    o->port = 3001;
    o->profile = MS_PROFILE_DEPLOYED;
    o->control = 1;
    const char *token = getenv("WSMOCK_CONTROL_TOKEN");
    o->control_token = token && *token ? token : NULL;
    o->heartbeat_ms = 30000;
    o->max_message = 16u * 1024 * 1024;
    o->queue_limit = 4096;
    o->journal_limit = 100000;
#ifdef WSMOCK_SCENARIO_DIR
    o->scenario_dir = WSMOCK_SCENARIO_DIR;
#else
    o->scenario_dir = "scenarios";
#endif
}

const char *ms_profile_name(enum ms_profile p)
{
    switch (p) {
    case MS_PROFILE_DEPLOYED:
        return "deployed";
    case MS_PROFILE_COORDINATOR:
        return "coordinator";
    case MS_PROFILE_PREFIX:
        return "pre-fix";
    }
    return "?";
}

int ms_profile_parse(const char *s, enum ms_profile *out)
{
    for (int p = MS_PROFILE_DEPLOYED; p <= MS_PROFILE_PREFIX; p++) {
        if (!strcmp(s, ms_profile_name((enum ms_profile)p))) {
            *out = (enum ms_profile)p;
            return 0;
        }
    }
    return -1;
}

/* Writes text, continuing on new lines indented by `indent` so that no line passes `width`. */
static void wrap(FILE *f, const char *text, int indent, int width)
{
    int col = indent;
    while (*text) {
        size_t word = strcspn(text, " ");
        if (col > indent && col + 1 + (int)word > width) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', f);
            col++;
        }
        fprintf(f, "%.*s", (int)word, text);
        col += (int)word;
        text += word;
        text += strspn(text, " ");
    }
    fputc('\n', f);
}

void ms_options_usage(FILE *f)
{
    fprintf(
        f, "usage: wsmock [options]\n\n"
           "A mock of the ViMax backend's WebSocket protocol (/ws/coordinator, /ws/workflow/{id},\n"
           "/ws/agent/{name}, /api/v1/ws/connect) and its HTTP endpoints.\n\noptions:\n");
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        char left[40];
        snprintf(left, sizeof(left), "%s%s%s", opts[i].name, opts[i].arg ? " " : "",
                 opts[i].arg ? opts[i].arg : "");
        fprintf(f, "  %-24s ", left);
        wrap(f, opts[i].help, 27, 100);
    }
    fprintf(f, "\nsubcommands:\n"
               "  wsmock check FILE...       validate scenario files (exit 0, or 2 listing every "
               "problem)\n"
               "  wsmock record --upstream URL --port P --out FILE\n"
               "                             a recording proxy: writes what the server did as a "
               "scenario\n"
               "  wsmock import-har FILE.har --out FILE.json\n"
               "                             a browser HAR's WebSocket messages as a scenario\n"
               "  (each subcommand takes --help)\n"
               "\nWhen ready it prints one line to stdout: wsmock listening on http://HOST:PORT\n"
               "Exit status: 0 after SIGINT/SIGTERM, 1 on a start-up failure, 2 on bad arguments "
               "or a bad\n"
               "--scenario.\n");
}

/* Parses a non-negative integer in [min, max]; returns 0 or -1. */
static int parse_num(const char *s, unsigned long long min, unsigned long long max,
                     unsigned long long *out)
{
    if (!*s || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* 1 if s is 1..max visible ASCII characters (no space, no control character). */
static int visible_ascii(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++)
        if ((unsigned char)s[n] < 0x21 || (unsigned char)s[n] > 0x7e)
            return 0;
    return n >= 1 && n <= max;
}

/* Glob match of the whole string: '*' matches any run of characters (also an empty one). */
static int glob_match(const char *pat, const char *s)
{
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*pat == '*') {
            star = pat++;
            resume = s;
        } else if (*pat == *s) {
            pat++;
            s++;
        } else if (star) {
            pat = star + 1;
            s = ++resume;
        } else {
            return 0;
        }
    }
    while (*pat == '*')
        pat++;
    return *pat == '\0';
}

int ms_options_origin_allowed(const struct ms_options *o, const char *origin)
{
    if (!o->n_allow_origin || !origin || !*origin)
        return 1;
    for (size_t i = 0; i < o->n_allow_origin; i++)
        if (glob_match(o->allow_origin[i], origin))
            return 1;
    return 0;
}

__attribute__((format(printf, 2, 3))) static int bad(FILE *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(err, "wsmock: ");
    vfprintf(err, fmt, ap);
    va_end(ap);
    fprintf(err, "\n\n");
    ms_options_usage(err);
    return 2;
}

int ms_options_parse(struct ms_options *o, int argc, char **argv, FILE *out, FILE *err)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        size_t nlen = strcspn(a, "=");
        const struct opt *op = NULL;
        for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
            if (strlen(opts[k].name) == nlen && !strncmp(opts[k].name, a, nlen))
                op = &opts[k];
        if (!op)
            return bad(err, "unknown option '%s'", a);
        if (op->arg) {
            if (a[nlen] == '=')
                val = a + nlen + 1;
            else if (i + 1 < argc)
                val = argv[++i];
            else
                return bad(err, "option '%s' needs a value (%s)", op->name, op->arg);
        } else if (a[nlen] == '=') {
            return bad(err, "option '%s' takes no value", op->name);
        }
        unsigned long long n = 0;
        switch (op->id) {
        case OPT_HOST:
            if (!*val)
                return bad(err, "option '%s' needs a non-empty address", op->name);
            o->host = val;
            break;
        case OPT_PORT:
            if (parse_num(val, 0, 65535, &n))
                return bad(err, "invalid port '%s' (expected 0 to 65535)", val);
            o->port = (int)n;
            break;
        case OPT_PROFILE:
            if (ms_profile_parse(val, &o->profile))
                return bad(err, "unknown profile '%s' (expected deployed, coordinator or pre-fix)",
                           val);
            break;
        case OPT_STATIC:
            o->static_dir = val;
            break;
        case OPT_JOURNAL:
            o->journal_path = val;
            break;
        case OPT_NO_CONTROL:
            o->control = 0;
            break;
        case OPT_CONTROL_TOKEN:
            if (!visible_ascii(val, MS_TOKEN_MAX))
                return bad(err,
                           "invalid --control-token (expected 1 to %d visible ASCII characters, "
                           "no spaces)",
                           MS_TOKEN_MAX);
            o->control_token = val;
            break;
        case OPT_ALLOW_ORIGIN:
            if (!visible_ascii(val, 255))
                return bad(err,
                           "invalid --allow-origin '%s' (expected an origin such as "
                           "http://localhost:5173, no spaces, at most 255 characters)",
                           val);
            if (o->n_allow_origin == MS_ALLOW_ORIGIN_MAX)
                return bad(err, "too many --allow-origin (at most %d)", MS_ALLOW_ORIGIN_MAX);
            o->allow_origin[o->n_allow_origin++] = val;
            break;
        case OPT_HEARTBEAT:
            if (parse_num(val, 0, 86400000, &n))
                return bad(err, "invalid --heartbeat-ms '%s' (expected 0 to 86400000)", val);
            o->heartbeat_ms = (long)n;
            break;
        case OPT_MAX_MESSAGE:
            if (parse_num(val, 16, 1ull << 30, &n))
                return bad(err, "invalid --max-message '%s' (expected 16 to 1073741824)", val);
            o->max_message = (size_t)n;
            break;
        case OPT_QUEUE_LIMIT:
            if (parse_num(val, 1, 1000000, &n))
                return bad(err, "invalid --queue-limit '%s' (expected 1 to 1000000)", val);
            o->queue_limit = (size_t)n;
            break;
        case OPT_JOURNAL_LIMIT:
            if (parse_num(val, 1, 100000000, &n))
                return bad(err, "invalid --journal-limit '%s' (expected 1 to 100000000)", val);
            o->journal_limit = (size_t)n;
            break;
        case OPT_COORDINATOR:
            o->coordinator_path = val;
            break;
        case OPT_SEED:
            if (parse_num(val, 0, UINT64_MAX, &n))
                return bad(err, "invalid --seed '%s' (expected a non-negative integer)", val);
            o->have_seed = 1;
            o->seed = n;
            break;
        case OPT_SCENARIO:
            o->scenario_path = val;
            break;
        case OPT_TIME_SCALE: {
            char *end;
            errno = 0;
            double d = strtod(val, &end);
            if (!*val || *end || errno || !(d > 0) || d > 1000)
                return bad(err,
                           "invalid --time-scale '%s' (expected a number above 0, at most 1000)",
                           val);
            o->time_scale = d;
            break;
        }
        case OPT_SCENARIO_DIR:
            o->scenario_dir = val;
            break;
        case OPT_VERBOSE:
            o->verbose = 1;
            break;
        case OPT_HELP:
            ms_options_usage(out);
            return 1;
        case OPT_VERSION:
            fprintf(out, "wsmock %s\n", WSMOCK_VERSION);
            return 1;
        }
    }
    if (o->control_token && !visible_ascii(o->control_token, MS_TOKEN_MAX))
        return bad(err,
                   "invalid WSMOCK_CONTROL_TOKEN (expected 1 to %d visible ASCII characters, "
                   "no spaces)",
                   MS_TOKEN_MAX);
    return 0;
}
