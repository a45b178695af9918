/* wh_svg -- writes a time line as plain SVG by hand (no library): windows, bars, marks, axis. */
#include <math.h>
#include <string.h>
#include "wh_svg.h"
#include "wh_xml.h"

/* Geometry (px). */
#define W 960.0
#define H 260.0
#define LEFT 50.0
#define RIGHT 30.0
#define BAND_TOP 62.0 /* windows and attempt lines span the band */
#define BAND_BOT 142.0
#define OPEN_Y 150.0 /* connection bars */
#define AXIS_Y 176.0
#define LEGEND_Y 228.0

static const char *const colour[] = {"#dc2626", "#16a34a", "#9ca3af"}; /* bad, ok, neutral */

static const char *colour_of(int verdict)
{
    return colour[verdict == WH_SVG_OK ? 1 : verdict == WH_SVG_BAD ? 0 : 2];
}

static const char *class_of(int verdict)
{
    return verdict == WH_SVG_OK ? "ok" : verdict == WH_SVG_BAD ? "bad" : "neutral";
}

double wh_svg_tick_step(double span, int max_ticks)
{
    if (!(span > 0) || max_ticks < 1)
        return 1;
    double raw = span / max_ticks, p = pow(10, floor(log10(raw)));
    static const double mult[] = {1, 2, 5, 10};
    for (int i = 0; i < 4; i++)
        if (mult[i] * p >= raw)
            return mult[i] * p;
    return 10 * p;
}

static void tip(FILE *f, const char *t)
{
    if (!t)
        return;
    fputs("<title>", f);
    wh_xml_text(f, t);
    fputs("</title>", f);
}

/* Maps ms to x. */
struct scale {
    double t0, k;
};

static double x_of(const struct scale *s, double t)
{
    return LEFT + (t - s->t0) * s->k;
}

/* Draws spans as rects: in lanes of the band (lanes > 0) or all at y with height h. */
static void spans(FILE *f, const struct scale *s, const struct wh_svg_span *sp, size_t n,
                  const char *cls, double y, double h, size_t lanes, const char *fill,
                  double opacity)
{
    double lh = lanes ? h / (double)lanes : h;
    for (size_t i = 0; i < n; i++) {
        double x0 = x_of(s, sp[i].from_ms), x1 = x_of(s, sp[i].to_ms);
        double ly = lanes ? y + lh * (double)(sp[i].lane < lanes ? sp[i].lane : lanes - 1) : y;
        fprintf(f,
                "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                "fill=\"%s\" fill-opacity=\"%.2f\">",
                cls, x0, ly, x1 - x0 < 1 ? 1 : x1 - x0, lh, fill, opacity);
        tip(f, sp[i].tip);
        fputs("</rect>\n", f);
    }
}

static void axis(FILE *f, const struct scale *s, double t0, double t1)
{
    double step = wh_svg_tick_step(t1 - t0, 10);
    fprintf(f,
            "<g class=\"axis\" font-size=\"11\" fill=\"#374151\">\n<line x1=\"%.1f\" y1=\"%.1f\" "
            "x2=\"%.1f\" y2=\"%.1f\" stroke=\"#374151\"/>\n",
            LEFT, AXIS_Y, W - RIGHT, AXIS_Y);
    for (double t = ceil(t0 / step) * step; t <= t1 + step * 1e-9; t += step) {
        double x = x_of(s, t);
        fprintf(f,
                "<line class=\"tick\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"#374151\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f"
                "</text>\n",
                x, AXIS_Y, x, AXIS_Y + 5, x, AXIS_Y + 18, fabs(t) < step * 1e-9 ? 0.0 : t);
    }
    fprintf(f,
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">time since the first attempt "
            "(ms)</text>\n</g>\n",
            LEFT + (W - LEFT - RIGHT) / 2, AXIS_Y + 34);
}

static void legend(FILE *f)
{
    static const struct {
        const char *what, *fill;
        int circle;
        double opacity;
    } items[] = {
        {"expected window", "#3b82f6", 0, 0.3},
        {"connection open", "#6366f1", 0, 0.7},
        {"attempt within its window", "#16a34a", 1, 1},
        {"attempt violating the policy", "#dc2626", 1, 1},
        {"first attempt", "#9ca3af", 1, 1},
    };
    fprintf(f, "<g class=\"legend\" font-size=\"11\" fill=\"#374151\">\n");
    double x = LEFT;
    for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
        if (items[i].circle)
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\"/>", x + 6, LEGEND_Y - 4,
                    items[i].fill);
        else
            fprintf(f,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"10\" fill=\"%s\" "
                    "fill-opacity=\"%.2f\"/>",
                    x, LEGEND_Y - 9, items[i].fill, items[i].opacity);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", x + 16, LEGEND_Y, items[i].what);
        x += 30 + 6.2 * (double)strlen(items[i].what);
    }
    fprintf(f, "</g>\n");
}

/* Writes the subtitle, one <text> per line; returns the number of lines. */
static int subtitle(FILE *f, const char *sub)
{
    int lines = 0;
    while (sub) {
        const char *nl = strchr(sub, '\n');
        size_t n = nl ? (size_t)(nl - sub) : strlen(sub);
        char line[512];
        snprintf(line, sizeof(line), "%.*s", (int)n, sub);
        fprintf(f,
                "<text class=\"subtitle\" x=\"%.1f\" y=\"%d\" font-size=\"12\" "
                "fill=\"#374151\">",
                LEFT, 42 + 16 * lines++);
        wh_xml_text(f, line);
        fputs("</text>\n", f);
        sub = nl ? nl + 1 : NULL;
    }
    return lines;
}

int wh_svg_timeline(FILE *f, const struct wh_svg_timeline *tl)
{
    double t0 = tl->t0_ms, t1 = tl->t1_ms;
    if (!(t1 > t0))
        t1 = t0 + 1000;
    struct scale s = {t0, (W - LEFT - RIGHT) / (t1 - t0)};
    int extra = 0; /* subtitle lines beyond the first push the chart down */
    for (const char *p = tl->subtitle; p && (p = strchr(p, '\n')); p++)
        extra++;
    double dy = extra ? 16.0 * extra + 6 : 0;
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
            "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
            "font-family=\"sans-serif\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n",
            W, H + dy, W, H + dy);
    if (tl->title) {
        fprintf(f,
                "<text class=\"title\" x=\"%.1f\" y=\"22\" font-size=\"15\" "
                "font-weight=\"bold\" fill=\"#111827\">",
                LEFT);
        wh_xml_text(f, tl->title);
        fputs("</text>\n", f);
    }
    subtitle(f, tl->subtitle);
    fprintf(f, "<g transform=\"translate(0,%.0f)\">\n", dy);
    spans(f, &s, tl->windows, tl->n_windows, "window", BAND_TOP, BAND_BOT - BAND_TOP, tl->n_lanes,
          "#3b82f6", 0.3);
    spans(f, &s, tl->opens, tl->n_opens, "open", OPEN_Y - 4, 8, 0, "#6366f1", 0.7);
    double last_label = -1e9;
    for (size_t i = 0; i < tl->n_marks; i++) {
        const struct wh_svg_mark *m = &tl->marks[i];
        double x = x_of(&s, m->t_ms);
        const char *c = colour_of(m->verdict);
        fprintf(f,
                "<g class=\"attempt %s\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"%s\" stroke-width=\"1.5\"/><circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" "
                "fill=\"%s\"/>",
                class_of(m->verdict), x, BAND_TOP, x, BAND_BOT, c, x, BAND_TOP, c);
        if (m->label && x - last_label >= 14) {
            fprintf(f,
                    "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\" "
                    "fill=\"#111827\">",
                    x, BAND_TOP - 9);
            wh_xml_text(f, m->label);
            fputs("</text>", f);
            last_label = x;
        }
        tip(f, m->tip);
        fputs("</g>\n", f);
    }
    axis(f, &s, t0, t1);
    legend(f);
    fputs("</g>\n</svg>\n", f);
    return ferror(f) ? -1 : 0;
}
