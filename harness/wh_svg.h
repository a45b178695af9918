/* wh_svg -- a hand-written SVG time line: shaded windows, connection bars, coloured marks, a ms
 * axis and a legend (wsharness backoff --svg). */
#ifndef WH_SVG_H
#define WH_SVG_H

#include <stddef.h>
#include <stdio.h>

/* A stretch of time: an expected window, or a connection that was open. */
struct wh_svg_span {
    double from_ms, to_ms;
    const char *tip; /* tooltip (<title>), may be NULL; borrowed */
    size_t lane;     /* windows: the row of the band it is drawn in (0 .. n_lanes-1) */
};

enum { WH_SVG_NEUTRAL = -1, WH_SVG_BAD = 0, WH_SVG_OK = 1 };

/* One event on the line (an attempt), coloured by verdict. */
struct wh_svg_mark {
    double t_ms;
    int verdict;       /* WH_SVG_OK (green), WH_SVG_BAD (red), WH_SVG_NEUTRAL (grey) */
    const char *label; /* short text above the mark ("3"), may be NULL; borrowed */
    const char *tip;   /* tooltip, may be NULL; borrowed */
};

/* Everything on one chart; all strings and arrays are borrowed for the call. */
struct wh_svg_timeline {
    const char *title, *subtitle;      /* may be NULL */
    double t0_ms, t1_ms;               /* the axis range (t1 > t0; widened if not) */
    const struct wh_svg_span *windows; /* each in its lane: one lane per gap shows which
                                          attempt hit or missed which window */
    size_t n_windows, n_lanes;         /* n_lanes 0: one lane */
    const struct wh_svg_span *opens;
    size_t n_opens;
    const struct wh_svg_mark *marks;
    size_t n_marks;
};

/* A tick step for `span` ms showing at most max_ticks ticks: 1, 2 or 5 times a power of ten. */
double wh_svg_tick_step(double span, int max_ticks);

/* Writes the whole SVG document for tl to f. Returns 0, or -1 on a write error. Elements carry
 * classes for tools and tests: window, open, attempt ok|bad|neutral, axis, tick, legend. */
int wh_svg_timeline(FILE *f, const struct wh_svg_timeline *tl);

#endif
