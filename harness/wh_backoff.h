/* wh_backoff -- wsharness backoff: a client's reconnect attempts, read from a wsmock journal,
 * judged against a reconnect policy (ms_policy): per-gap table, verdict, --json, --svg. */
#ifndef WH_BACKOFF_H
#define WH_BACKOFF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cjson/cJSON.h>
#include "ms_policy.h"

/* One upgrade attempt with what the journal says about it. */
struct wh_backoff_attempt {
    struct ms_attempt a; /* what the checker judges */
    uint64_t seq, conn;
    const char *path;    /* borrowed from the journal's events */
    const char *outcome; /* accepted, refused, reset, hang (borrowed) */
    int status;          /* the upgrade's HTTP status (101, 403, 0) */
    double open_t_ms;    /* when it opened (opened only) */
};

/*
 * Collects the upgrade attempts on path (exact, or a prefix ending in '*') with seq > since from
 * journal events (an array in journal order, as wh_journal reads it), each completed by its open
 * and close events. Returns the count and a new array in *out (caller frees; its strings point
 * into events, which must outlive it), or -1 on OOM.
 */
long wh_backoff_collect(const cJSON *events, const char *path, uint64_t since,
                        struct wh_backoff_attempt **out);

/* The whole subcommand with its output streams: argv[0] is "backoff". Returns the exit code: 0
 * the attempts follow the policy, 1 they do not (or fewer than two attempts: nothing to judge),
 * 2 usage or bad input (one line on err naming the file or URL and the problem). */
int wh_backoff_cmd(int argc, char **argv, FILE *out, FILE *err);

#endif
