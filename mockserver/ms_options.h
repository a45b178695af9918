/* ms_options -- wsmock's command line: one table of switches, parsed into struct ms_options. */
#ifndef MS_OPTIONS_H
#define MS_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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
    long heartbeat_ms;        /* app heartbeat period; 0 disables; default 30000 */
    size_t max_message;       /* largest client message accepted; default 16 MiB */
    size_t queue_limit;       /* frames queued per connection before it is closed; default 4096 */
    size_t journal_limit;     /* journal events kept in memory; default 100000 */
    const char *coordinator_path; /* coordinator model file (JSON), or NULL */
    int have_seed;
    uint64_t seed;             /* --seed: deterministic generated ids */
    const char *scenario_path; /* --scenario FILE, or NULL */
    double time_scale;         /* --time-scale; 0 = the scenario's own */
    const char *scenario_dir;  /* --scenario-dir */
    int verbose;
};

/* Fills o with the defaults. */
void ms_options_defaults(struct ms_options *o);

/*
 * Parses argv (argv[0] is the program). Accepts "--name value" and "--name=value".
 * Returns 0 to run, 1 when --help or --version was printed to out (exit 0), or 2 after writing
 * "wsmock: <what is wrong>" and the usage to err (exit 2). Strings in o point into argv.
 */
int ms_options_parse(struct ms_options *o, int argc, char **argv, FILE *out, FILE *err);

/* Writes the usage text (every switch, from the same table the parser uses). */
void ms_options_usage(FILE *f);

/* "deployed", "coordinator" or "pre-fix". */
const char *ms_profile_name(enum ms_profile p);
/* Parses a profile name; returns 0 or -1 if unknown. */
int ms_profile_parse(const char *s, enum ms_profile *out);

#endif
