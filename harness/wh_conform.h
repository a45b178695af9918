/* wh_conform -- `wsharness conform`: the protocol conformance suite against any backend. */
#ifndef WH_CONFORM_H
#define WH_CONFORM_H

#include <stddef.h>
#include <stdio.h>

enum wh_conform_result {
    WH_CF_PASS,
    WH_CF_FAIL,
    WH_CF_SKIP, /* not checked because a check it needs failed (the upgrade, mostly) */
};

/* One check: its name ("http.health", "ws.workflow.welcome", "ws.403[/nope]", ...), the result,
 * what was wrong (or a short note when it passed) and how long it took. */
struct wh_conform_check {
    char name[96];
    enum wh_conform_result result;
    char detail[512];
    double ms;
};

/* Every check of one run, in the order they ran. Owned by the caller (wh_conform_report_free). */
struct wh_conform_report {
    struct wh_conform_check *checks;
    size_t n, cap;
    int passed, failed, skipped;
    double total_ms;
};

struct wh_conform_opts {
    const char *url; /* the backend, http://HOST:PORT or ws://HOST:PORT (no TLS) */
    long timeout_ms; /* deadline of each exchange; 0: 3000 */
    FILE *progress;  /* each check's line is printed here as it finishes; NULL: silent */
};

/*
 * Runs every check against o->url and fills rep (zeroed first). Returns 0, or -1 with a reason in
 * err when the URL is not usable (rep is then empty). The backend is assumed to have no other
 * clients while it runs (the same assumption as the pytest suite).
 */
int wh_conform_run(const struct wh_conform_opts *o, struct wh_conform_report *rep, char *err,
                   size_t errlen);
/* Frees what rep holds and zeroes it. */
void wh_conform_report_free(struct wh_conform_report *rep);
/* The check called name, borrowed from rep, or NULL. */
const struct wh_conform_check *wh_conform_find(const struct wh_conform_report *rep,
                                               const char *name);
/*
 * Writes rep as JUnit XML to path: <testsuites> with one <testsuite name="conform">, one
 * <testcase> per check (classname conform.GROUP), <failure message=..> and <skipped message=..>.
 * Returns 0, or -1 with the reason in err.
 */
int wh_conform_write_junit(const struct wh_conform_report *rep, const char *path, char *err,
                           size_t errlen);

#endif
