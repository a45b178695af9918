/* wh_doctor -- `wsharness doctor`: checks a backend (and its proxy) and names the cause. */
#ifndef WH_DOCTOR_H
#define WH_DOCTOR_H

#include <stddef.h>
#include <stdio.h>

/* What doctor checks. Every pointer is borrowed for the duration of wh_doctor_run(). */
struct wh_doctor_opts {
    const char *url;      /* the backend: http://, ws://, https:// or wss://HOST:PORT */
    const char *frontend; /* the frontend's dev server or proxy in front of it, or NULL */
    const char *origin;   /* Origin for the with-Origin checks; NULL: the frontend's origin, else
                             http://localhost:5000 (the app's dev server) */
    long timeout_ms;      /* deadline of each step; 0: 3000 */
};

enum wh_doctor_verdict {
    WH_DOC_OK,   /* as the backend should answer */
    WH_DOC_FAIL, /* not as it should */
    WH_DOC_INFO, /* a fact, neither good nor bad */
};

/* One step as printed: where (backend or frontend), what, on what, the result and its time. */
struct wh_doctor_step {
    char where[12];  /* "backend" or "frontend" */
    char check[12];  /* "tcp", "http", "openapi", "upgrade", "welcome", "ping", "tls" */
    char target[96]; /* "GET /health", "/ws/coordinator", "/ws/coordinator +Origin", ... */
    enum wh_doctor_verdict verdict;
    char result[240]; /* what came back, one line */
    double ms;        /* how long the step took (-1: no time) */
};

#define WH_DOCTOR_MAX_STEPS 64

/* A finished diagnosis. */
struct wh_doctor_report {
    struct wh_doctor_step steps[WH_DOCTOR_MAX_STEPS];
    size_t n_steps;
    const char *id; /* static: "healthy", "not-running", "ws-001", "origin-check", ... (README) */
    char cause[640];
    char fix[480];
    int exit_code; /* 0 healthy, 1 a problem found */
};

/*
 * Runs every check against o->url (and o->frontend) and fills rep with the steps and the one
 * diagnosis. Returns 0, or -1 with a reason in err when o->url or o->frontend is not a URL (rep is
 * then untouched).
 */
int wh_doctor_run(const struct wh_doctor_opts *o, struct wh_doctor_report *rep, char *err,
                  size_t errlen);

/* The diagnosis as one line: "diagnosis (ID): CAUSE. Fix: FIX" (no newline), into buf. */
void wh_doctor_line(const struct wh_doctor_report *rep, char *buf, size_t len);

/* Prints the steps and the diagnosis line, as `doctor` does, to f. */
void wh_doctor_print_text(const struct wh_doctor_report *rep, const struct wh_doctor_opts *o,
                          FILE *f);
/* Prints {"backend","frontend","origin","timeout_ms","steps":[..],"diagnosis":{..},"exit"} to f.
 */
void wh_doctor_print_json(const struct wh_doctor_report *rep, const struct wh_doctor_opts *o,
                          FILE *f);

#endif
