/* ms_options -- wsmock's command line: one table of switches, parsed into struct ms_options. */
#ifndef MS_OPTIONS_H
#define MS_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MS_ALLOW_ORIGIN_MAX 32 /* --allow-origin may be given this many times */
#define MS_TOKEN_MAX 256       /* longest --control-token */

enum ms_profile {
    MS_PROFILE_DEPLOYED = 0, /* the backend as deployed: no coordinator */
    MS_PROFILE_COORDINATOR,  /* the coordinator-present replies */
    MS_PROFILE_PREFIX,       /* WS-001: the enhanced router never registered */
};

struct ms_options {
    const char *host; /* interface address to bind; default 127.0.0.1 */
    int port;         /* 0 = the kernel picks; default 3001 */
    enum ms_profile profile;
    const char *static_dir;   /* serve a built frontend from here, or NULL */
    const char *journal_path; /* mirror the journal to this file as JSON lines, or NULL */
    int control;              /* 1 unless --no-control */
    /* --control-token, else $WSMOCK_CONTROL_TOKEN (borrowed from argv or the environment): every
     * /__mock/ request must carry it; NULL: no token needed */
    const char *control_token;
    /* --allow-origin patterns (borrowed from argv); n_allow_origin == 0: every Origin allowed */
    const char *allow_origin[MS_ALLOW_ORIGIN_MAX];
    size_t n_allow_origin;
    long heartbeat_ms;    /* app heartbeat period; 0 disables; default 30000 */
    size_t max_message;   /* largest client message accepted; default 16 MiB */
    size_t queue_limit;   /* frames queued per connection before it is closed; default 4096 */
    size_t journal_limit; /* journal events kept in memory; default 100000 */
    const char *coordinator_path; /* coordinator model file (JSON), or NULL */
    int have_seed;
    uint64_t seed;             /* --seed: deterministic generated ids */
    const char *scenario_path; /* --scenario FILE, or NULL */
    double time_scale;         /* --time-scale; 0 = the scenario's own */
    const char *scenario_dir;  /* --scenario-dir */
    int verbose;
};

/* Fills o with the defaults; control_token comes from $WSMOCK_CONTROL_TOKEN when it is set and
 * not empty (the pointer borrows the environment). */
void ms_options_defaults(struct ms_options *o);

/*
 * Parses argv (argv[0] is the program). Accepts "--name value" and "--name=value".
 * Returns 0 to run, 1 when --help or --version was printed to out (exit 0), or 2 after writing
 * "wsmock: <what is wrong>" and the usage to err (exit 2). Strings in o point into argv.
 */
int ms_options_parse(struct ms_options *o, int argc, char **argv, FILE *out, FILE *err);

/* Writes the usage text (every switch, from the same table the parser uses). */
void ms_options_usage(FILE *f);

/*
 * Whether a WebSocket upgrade with this Origin header value may open (--allow-origin). Without
 * any --allow-origin every Origin is allowed. A missing or empty Origin (origin NULL or "") is
 * always allowed: it comes from a non-browser client, which could send any Origin anyway. A
 * pattern matches the whole value byte for byte, and each '*' in it matches any run of characters
 * ("http://localhost:*"). Returns 1 (allowed) or 0. Pure: reads o only.
 */
int ms_options_origin_allowed(const struct ms_options *o, const char *origin);

/* "deployed", "coordinator" or "pre-fix". */
const char *ms_profile_name(enum ms_profile p);
/* Parses a profile name; returns 0 or -1 if unknown. */
int ms_profile_parse(const char *s, enum ms_profile *out);

#endif
