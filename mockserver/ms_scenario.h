/* ms_scenario -- a scenario file (scenarios/FORMAT.md) parsed and validated into plain data. */
#ifndef MS_SCENARIO_H
#define MS_SCENARIO_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "ms_options.h"
#include "ms_policy.h"

/* ---- diagnostics: every problem found while loading, one line each ---- */

struct ms_diag {
    char **lines;
    size_t n, cap;
    const char *origin; /* file name (or "<body>") put in front of each line; borrowed */
};

/* Adds "ORIGIN: where: message" (where is a JSON path such as "$.connections[1].action"; NULL
 * for none). */
void ms_diag_add(struct ms_diag *d, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds a line as it is (syntax errors come with their own "FILE:LINE:COL:" prefix). */
void ms_diag_add_raw(struct ms_diag *d, const char *line);
/* Frees the lines (the struct itself is the caller's). */
void ms_diag_free(struct ms_diag *d);

/* ---- the data ---- */

/* Which upgrade attempts (1-based, per path) a rule applies to. */
struct ms_attempts {
    enum { MS_ATT_ALL, MS_ATT_RANGE, MS_ATT_EVERY } kind;
    long from, to; /* RANGE: from..to, to == -1 means no end */
    long every;    /* EVERY: every-th attempt */
};

enum ms_step_kind {
    MS_STEP_SEND,            /* value: any JSON value, templated, printed compactly */
    MS_STEP_SEND_TEXT,       /* text, templated */
    MS_STEP_EMIT,            /* emit_kind + fields (the step object), templated; room optional */
    MS_STEP_WAIT,            /* ms */
    MS_STEP_CLOSE,           /* code + text (reason), templated */
    MS_STEP_DROP,            /* no close frame */
    MS_STEP_STALL,           /* ms (-1: forever) */
    MS_STEP_SEND_BYTES,      /* bytes/nbytes/binary: send_binary, send_bytes, send_invalid_utf8 */
    MS_STEP_SEND_FRAGMENTED, /* value (a string is sent as is) in `count` frames */
    MS_STEP_WS_PING,         /* text as the ping payload */
    MS_STEP_REPEAT,          /* body, count (-1: forever) */
    MS_STEP_MARK,            /* text, templated */
};

struct ms_steps;

struct ms_step {
    enum ms_step_kind kind;
    const cJSON *value; /* borrowed from the scenario's tree */
    char *text;
    unsigned char *bytes;
    size_t nbytes;
    int binary;
    long long ms;
    int code;
    long long count;
    char emit_kind[24];
    const char *room; /* emit: broadcast to this room instead of the connection; borrowed */
    struct ms_steps *body;
};

struct ms_steps {
    struct ms_step *v;
    size_t n;
};

enum ms_match_kind { MS_MATCH_SUBSET, MS_MATCH_TYPE, MS_MATCH_REGEX };

struct ms_reply {
    enum ms_match_kind match;
    const cJSON *subset; /* SUBSET; borrowed */
    const char *type;    /* TYPE; borrowed */
    regex_t re;          /* REGEX */
    int have_re;
    const char *path; /* NULL: every path; borrowed */
    long long times;  /* 0: unlimited */
    int also_profile;
    struct ms_steps steps;
    long long used; /* runtime: how many messages it answered since the scenario loaded */
};

struct ms_replies {
    struct ms_reply *v;
    size_t n;
};

enum ms_action { MS_ACT_ACCEPT, MS_ACT_REFUSE, MS_ACT_RESET, MS_ACT_HANG };

struct ms_rule {
    const char *path; /* pattern; borrowed */
    struct ms_attempts attempts;
    enum ms_action action;
    long long delay_ms;
    int status;
    const cJSON *headers; /* object of strings or NULL; borrowed */
    const char *body;     /* NULL: empty; borrowed */
    int preset_uvicorn;   /* refuse with the real 403 bytes */
    int welcome;
    struct ms_steps on_open;
    struct ms_replies replies;
    const char *label;  /* NULL if none; borrowed */
    const char *origin; /* NULL: any; "present", "absent", or an origin pattern; borrowed */
};

enum ms_tl_kind {
    MS_TL_EMIT,
    MS_TL_SEND,
    MS_TL_OUTAGE,
    MS_TL_RESTART,
    MS_TL_PROFILE,
    MS_TL_CLOSE_ALL,
    MS_TL_DROP_ALL,
    MS_TL_MARK,
};

struct ms_tl_event {
    enum ms_tl_kind kind;
    long long at_ms;
    const cJSON *obj; /* the event object (emit fields, send value); borrowed */
    const char *path; /* outage/close_all/drop_all: NULL = every path */
    const char *room;
    int buffer_if_empty;
    long long for_ms;             /* outage duration, restart down time */
    enum ms_action outage_action; /* MS_ACT_REFUSE or MS_ACT_RESET */
    int status;
    int drop_open;
    int code;
    const char *text; /* close reason, mark text */
    enum ms_profile profile;
    char emit_kind[24];
};

enum ms_expect_kind { MS_EXPECT_SENDS, MS_EXPECT_ATTEMPTS, MS_EXPECT_POLICY };

struct ms_expect {
    enum ms_expect_kind kind;
    char *name;
    const char *path;   /* pattern; "*" by default; borrowed */
    const cJSON *sends; /* object (subset) or string (exact text); borrowed */
    long long within_ms;
    long min, max; /* ATTEMPTS; max -1: none */
    struct ms_policy policy;
};

struct ms_scenario {
    cJSON *root; /* the parsed file; every borrowed pointer points into it */
    const char *name, *description;
    int have_profile;
    enum ms_profile profile;
    double time_scale;
    long long heartbeat_ms; /* -1: keep the server's */
    const cJSON *coordinator;
    struct ms_rule *rules;
    size_t n_rules;
    struct ms_replies replies;
    struct ms_tl_event *timeline;
    size_t n_timeline;
    long long timeline_loop_ms;
    struct ms_expect *expects;
    size_t n_expects;
    int needs_gate; /* some rule delays or hangs: connections must pass the handshake gate */
};

/*
 * Parses and validates scenario text. origin names it in diagnostics (a file name or "<body>").
 * Returns a new scenario (free with ms_scenario_free) or NULL after adding every problem found to
 * diag (at least one line; "out of memory" on OOM). Nothing is kept on failure.
 */
struct ms_scenario *ms_scenario_parse(const char *text, size_t len, const char *origin,
                                      struct ms_diag *diag);
/* Reads and parses a file; a read error is one diagnostic line. */
struct ms_scenario *ms_scenario_load_file(const char *path, struct ms_diag *diag);
void ms_scenario_free(struct ms_scenario *s);

/* 1 if path matches pattern: exact, "prefix*", or "*". */
int ms_path_match(const char *pattern, const char *path);
/* 1 if attempt (1-based) is in the set. */
int ms_attempts_match(const struct ms_attempts *a, unsigned long attempt);
/* The first rule matching path and attempt, or NULL (then: accept, profile behaviour). *index
 * gets its position (-1 if none). The request has no Origin header. */
const struct ms_rule *ms_scenario_match(const struct ms_scenario *s, const char *path,
                                        unsigned long attempt, int *index);
/* The same for a request whose Origin header is origin (NULL or "": none). */
const struct ms_rule *ms_scenario_match_origin(const struct ms_scenario *s, const char *path,
                                               unsigned long attempt, const char *origin,
                                               int *index);
/* 1 if the JSON value msg contains subset (objects: every key of subset present with a
 * containing value; anything else: equal). */
int ms_json_contains(const cJSON *msg, const cJSON *subset);

/* Scales a scenario duration to real milliseconds (rounded; never negative). */
long long ms_scale_ms(long long ms, double scale);

#endif
