/* test_wh_svg -- the hand-written SVG time line: tick steps, escaping, and the elements drawn. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ms_test.h"
#include "wh_svg.h"
#include "wh_xml.h"

static void test_tick_steps_are_1_2_5_times_a_power_of_ten(void)
{
    CU_ASSERT_DOUBLE_EQUAL(wh_svg_tick_step(47000, 10), 5000, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(wh_svg_tick_step(100, 10), 10, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(wh_svg_tick_step(101, 10), 20, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(wh_svg_tick_step(9, 10), 1, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(wh_svg_tick_step(0.3, 10), 0.05, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(wh_svg_tick_step(310000, 10), 50000, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(wh_svg_tick_step(0, 10), 1, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(wh_svg_tick_step(100, 0), 1, 1e-9);
}

/* Renders with f into a string (caller frees). */
static char *render(void (*fn)(FILE *, const void *), const void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fn(f, arg);
    fclose(f);
    return buf;
}

static void text_fn(FILE *f, const void *s)
{
    wh_xml_text(f, s);
}

static void test_text_is_escaped(void)
{
    char *s = render(text_fn, "a<b & \"c\" 'd'>\te\x01"
                              "f");
    CU_ASSERT_STRING_EQUAL(
        s, "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;\te f"); /* XML keeps tabs */
    free(s);
}

static void timeline_fn(FILE *f, const void *tl)
{
    CU_ASSERT_EQUAL(wh_svg_timeline(f, tl), 0);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void test_timeline_draws_every_element(void)
{
    const struct wh_svg_span win[] = {{675, 1325, "retry 1", 0}, {2375, 3625, "retry <2>", 1}};
    const struct wh_svg_span open[] = {{3000, 5000, NULL, 0}};
    const struct wh_svg_mark marks[] = {{0, WH_SVG_NEUTRAL, "1", NULL},
                                        {1000, WH_SVG_OK, "2", "ok"},
                                        {3000, WH_SVG_BAD, "3", "late & wrong"}};
    const struct wh_svg_timeline tl = {.title = "/ws/x <title>",
                                       .subtitle = "VIOLATES",
                                       .t0_ms = 0,
                                       .t1_ms = 10000,
                                       .windows = win,
                                       .n_windows = 2,
                                       .n_lanes = 2,
                                       .opens = open,
                                       .n_opens = 1,
                                       .marks = marks,
                                       .n_marks = 3};
    char *s = render(timeline_fn, &tl);
    CU_ASSERT(!strncmp(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 44));
    CU_ASSERT(strstr(s, "</svg>\n") != NULL);
    CU_ASSERT(strstr(s, ">/ws/x &lt;title&gt;</text>") != NULL);
    CU_ASSERT(strstr(s, ">VIOLATES</text>") != NULL);
    CU_ASSERT_EQUAL(count(s, "<rect class=\"window\""), 2);
    /* x = 50 + t * 880 / 10000; two lanes of 40 px from y=62 */
    CU_ASSERT(strstr(s, "<rect class=\"window\" x=\"109.4\" y=\"62.0\" width=\"57.2\" "
                        "height=\"40.0\"") != NULL);
    CU_ASSERT(strstr(s, "<rect class=\"window\" x=\"259.0\" y=\"102.0\"") != NULL);
    CU_ASSERT(strstr(s, "<title>retry &lt;2&gt;</title>") != NULL);
    CU_ASSERT(strstr(s, "<rect class=\"open\" x=\"314.0\"") != NULL);
    CU_ASSERT_EQUAL(count(s, "<g class=\"attempt neutral\">"), 1);
    CU_ASSERT_EQUAL(count(s, "<g class=\"attempt ok\">"), 1);
    CU_ASSERT_EQUAL(count(s, "<g class=\"attempt bad\">"), 1);
    CU_ASSERT(strstr(s, "stroke=\"#dc2626\"") != NULL); /* red for the violation */
    CU_ASSERT(strstr(s, "<title>late &amp; wrong</title>") != NULL);
    /* ticks every 1000 ms from 0 to 10000 */
    CU_ASSERT_EQUAL(count(s, "class=\"tick\""), 11);
    CU_ASSERT(strstr(s, ">0</text>") && strstr(s, ">10000</text>"));
    CU_ASSERT(strstr(s, "time since the first attempt (ms)") != NULL);
    CU_ASSERT(strstr(s, "<g class=\"legend\"") != NULL);
    CU_ASSERT_EQUAL(count(s, "<g class=\"legend\""), 1);
    CU_ASSERT(strstr(s, ">connection open</text>") != NULL);
    free(s);
}

static void test_subtitle_lines_push_the_chart_down(void)
{
    const struct wh_svg_timeline one = {.subtitle = "VIOLATES", .t1_ms = 100};
    char *s = render(timeline_fn, &one);
    CU_ASSERT(strstr(s, "height=\"260\" viewBox=\"0 0 960 260\"") != NULL);
    CU_ASSERT(strstr(s, "<g transform=\"translate(0,0)\">") != NULL);
    free(s);
    const struct wh_svg_timeline two = {.subtitle = "policy <x>\nVIOLATES", .t1_ms = 100};
    s = render(timeline_fn, &two);
    CU_ASSERT_EQUAL(count(s, "<text class=\"subtitle\""), 2);
    CU_ASSERT(strstr(s, "y=\"42\" font-size=\"12\" fill=\"#374151\">policy &lt;x&gt;</text>") !=
              NULL);
    CU_ASSERT(strstr(s, "y=\"58\" font-size=\"12\" fill=\"#374151\">VIOLATES</text>") != NULL);
    CU_ASSERT(strstr(s, "height=\"282\" viewBox=\"0 0 960 282\"") != NULL);
    CU_ASSERT(strstr(s, "<g transform=\"translate(0,22)\">") != NULL);
    CU_ASSERT(strstr(s, "</g>\n</svg>\n") != NULL);
    free(s);
}

static void test_dense_labels_are_thinned_and_empty_range_widened(void)
{
    struct wh_svg_mark marks[50];
    char labels[50][8];
    for (int i = 0; i < 50; i++) {
        snprintf(labels[i], sizeof(labels[i]), "%d", i + 1);
        marks[i] = (struct wh_svg_mark){i * 10.0, WH_SVG_BAD, labels[i], NULL};
    }
    const struct wh_svg_timeline tl = {.t0_ms = 0, .t1_ms = 500, .marks = marks, .n_marks = 50};
    char *s = render(timeline_fn, &tl);
    CU_ASSERT_EQUAL(count(s, "<g class=\"attempt bad\">"), 50);
    /* 10 ms = 17.6 px apart: every label fits; at 5 ms apart every other one would */
    CU_ASSERT_EQUAL(count(s, "font-size=\"10\""), 50);
    free(s);
    for (int i = 0; i < 50; i++)
        marks[i].t_ms = i * 5.0;
    s = render(timeline_fn, &tl);
    CU_ASSERT_EQUAL(count(s, "font-size=\"10\""), 25);
    free(s);
    const struct wh_svg_timeline empty = {.t0_ms = 100, .t1_ms = 100};
    s = render(timeline_fn, &empty);
    CU_ASSERT(strstr(s, ">1100</text>") != NULL); /* widened to a second */
    free(s);
}

static CU_TestInfo svg_tests[] = {
    MS_TEST(test_tick_steps_are_1_2_5_times_a_power_of_ten),
    MS_TEST(test_text_is_escaped),
    MS_TEST(test_timeline_draws_every_element),
    MS_TEST(test_subtitle_lines_push_the_chart_down),
    MS_TEST(test_dense_labels_are_thinned_and_empty_range_widened),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"svg", NULL, NULL, NULL, NULL, svg_tests},
    CU_SUITE_INFO_NULL,
};
