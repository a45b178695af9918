/* test_ms_pyjson -- unit tests of ms_pyjson; every expected text was produced by CPython 3.11. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "ms_pyjson.h"
#include "ms_test.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* An input and the text Python gives for it (json.dumps, str() or the JSONDecodeError text). */
struct pair {
    const char *in, *out;
};

struct float_case {
    double v;
    const char *repr;
};

/* Reports a mismatch on stderr (CUnit only prints the failed expression) and returns 0. */
static int same(const char *what, const char *in, const char *got, const char *want)
{
    if (got && !strcmp(got, want))
        return 1;
    fprintf(stderr, "\n    %s(%s): got [%s], want [%s]\n", what, in, got ? got : "(null)", want);
    return 0;
}

/* Parses text (asserting success) and returns its json.dumps rendering; caller frees. */
static char *dumps(const char *text)
{
    char err[256];
    cJSON *j = ms_pyjson_parse(text, strlen(text), err, sizeof err);
    if (!j) {
        fprintf(stderr, "\n    parse(%s) failed: %s\n", text, err);
        return NULL;
    }
    char *out = ms_pyjson_print(j);
    cJSON_Delete(j);
    return out;
}

/* Parses text (asserting success) and returns str() of the value; caller frees. */
static char *str_of(const char *text)
{
    char err[256];
    cJSON *j = ms_pyjson_parse(text, strlen(text), err, sizeof err);
    if (!j) {
        fprintf(stderr, "\n    parse(%s) failed: %s\n", text, err);
        return NULL;
    }
    char *out = ms_pyjson_str(j);
    cJSON_Delete(j);
    return out;
}

/* Asserts that parsing text fails with exactly the message want. */
static void check_error(const char *text, size_t len, const char *want)
{
    char err[256] = "(not set)";
    cJSON *j = ms_pyjson_parse(text, len, err, sizeof err);
    CU_ASSERT_PTR_NULL(j);
    cJSON_Delete(j);
    CU_ASSERT(same("error", text, j ? "(parsed)" : err, want));
}

static void check_errors(const struct pair *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        check_error(t[i].in, strlen(t[i].in), t[i].out);
}

static void check_dumps(const struct pair *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *got = dumps(t[i].in);
        CU_ASSERT(same("dumps", t[i].in, got, t[i].out));
        free(got);
    }
}

static void check_str(const struct pair *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *got = str_of(t[i].in);
        CU_ASSERT(same("str", t[i].in, got, t[i].out));
        free(got);
    }
}

/* ---- expected values recorded from /usr/bin/python3 (3.11) ---- */

static const struct float_case float_cases[] = {
    {0.0, "0.0"},
    {-0.0, "-0.0"},
    {0.1, "0.1"},
    {0.5, "0.5"},
    {1.0, "1.0"},
    {1.23, "1.23"},
    {1e-05, "1e-05"},
    {1.1e-05, "1.1e-05"},
    {0.0001, "0.0001"},
    {1e16, "1e+16"},
    {1e15, "1000000000000000.0"},
    {123456789.123, "123456789.123"},
    {5e-324, "5e-324"},
    {1.7976931348623157e+308, "1.7976931348623157e+308"},
    {2.5e-7, "2.5e-07"},
    {1.0 / 3.0, "0.3333333333333333"},
    {2.0 / 3.0, "0.6666666666666666"},
    {100.0, "100.0"},
    {1e22, "1e+22"},
    {1e23, "1e+23"},
    {1.5e300, "1.5e+300"},
    {-1.5, "-1.5"},
    {9007199254740993.0, "9007199254740992.0"},
    {1234567890123456.0, "1234567890123456.0"},
    {12345678901234567.0, "1.2345678901234568e+16"},
    {0.3, "0.3"},
    {0.1 + 0.2, "0.30000000000000004"},
    {2.2250738585072014e-308, "2.2250738585072014e-308"},
    {123e-7, "1.23e-05"},
    {9.999999999999999e15, "1e+16"},
    {-1e-300, "-1e-300"},
    {3.14159, "3.14159"},
    {1e100, "1e+100"},
    {1e-100, "1e-100"},
    {0.001, "0.001"},
    {1.0 / 7.0, "0.14285714285714285"},
    {100000.0, "100000.0"},
    {0.00009999, "9.999e-05"},
    {-123.456, "-123.456"},
    {65536.0, "65536.0"},
    {1e-4 * 3, "0.00030000000000000003"},
    {4.35, "4.35"},
};
static const struct pair round_trips[] = {
    {"{\"type\":\"ping\"}", "{\"type\":\"ping\"}"},
    {" {\"a\" : 1 , \"b\" : [true, false, null]} ", "{\"a\":1,\"b\":[true,false,null]}"},
    {"{\"msg\":\"héllo wörld\",\"emoji\":\"😀\",\"cjk\":\"漢字\"}",
     "{\"msg\":\"héllo wörld\",\"emoji\":\"😀\",\"cjk\":\"漢字\"}"},
    {"{\"esc\":\"quote\\\" backslash\\\\ slash\\/ \\b\\f\\n\\r\\t\"}",
     "{\"esc\":\"quote\\\" backslash\\\\ slash/ \\b\\f\\n\\r\\t\"}"},
    {"[\"\\u00e9\\u20ac\\ud83d\\ude00\"]", "[\"é€😀\"]"},
    {"[[[]],[[1,[2,[3]]]],{}]", "[[[]],[[1,[2,[3]]]],{}]"},
    {"{\"nested\":{\"list\":[1,2.5,-3,{\"deep\":[null]}]}}",
     "{\"nested\":{\"list\":[1,2.5,-3,{\"deep\":[null]}]}}"},
    {"[1E5, 1.50, -0, -0.0, 0.0, 1e400, -1e400, 1e-400, 2.5e-7, 1e16, 1e15]",
     "[100000.0,1.5,0,-0.0,0.0,Infinity,-Infinity,0.0,2.5e-07,1e+16,1000000000000000.0]"},
    {"[123456789012345678901234567890, -98765432109876543210]",
     "[123456789012345678901234567890,-98765432109876543210]"},
    {"[NaN, Infinity, -Infinity]", "[NaN,Infinity,-Infinity]"},
    {"\"\\u0001\\u001f\\u007f\\u0080\\u00a0\"", "\"\\u0001\\u001f\177\302\200\302\240\""},
    {"\"\\u2028\\u2029\\ufeff\"", "\"\342\200\250\342\200\251\357\273\277\""},
    {"{\"\":\"\"}", "{\"\":\"\"}"},
    {"[]", "[]"},
    {"{}", "{}"},
    {"\"plain\"", "\"plain\""},
    {"\t\r\n[ 1 ,\n2 ]\r\n", "[1,2]"},
    {"{\"a\":[{\"b\":[{\"c\":\"d\"}]}]}", "{\"a\":[{\"b\":[{\"c\":\"d\"}]}]}"},
    {"true", "true"},
    {"null", "null"},
    {"-12", "-12"},
    {"0.1", "0.1"},
    {"[0.1e1, 0e0, 0E-0, 10e-1]", "[1.0,0.0,0.0,1.0]"},
    {"{\"k\":\"ÿĀ߿ࠀ\357\277\277\"}", "{\"k\":\"ÿĀ߿ࠀ\357\277\277\"}"},
    {"\"\\ud834\\udd1e\"", "\"𝄞\""},
    {"{\"unicode key é\":\"v\"}", "{\"unicode key é\":\"v\"}"},
};
static const struct pair errors_expecting_value[] = {
    {"", "Expecting value: line 1 column 1 (char 0)"},
    {" ", "Expecting value: line 1 column 2 (char 1)"},
    {"\n\n", "Expecting value: line 3 column 1 (char 2)"},
    {"[1,]", "Expecting value: line 1 column 4 (char 3)"},
    {"[", "Expecting value: line 1 column 2 (char 1)"},
    {"[,1]", "Expecting value: line 1 column 2 (char 1)"},
    {"{\"a\":}", "Expecting value: line 1 column 6 (char 5)"},
    {"{\"a\":", "Expecting value: line 1 column 6 (char 5)"},
    {"-", "Expecting value: line 1 column 1 (char 0)"},
    {"-a", "Expecting value: line 1 column 1 (char 0)"},
    {"[-]", "Expecting value: line 1 column 2 (char 1)"},
    {".5", "Expecting value: line 1 column 1 (char 0)"},
    {"+1", "Expecting value: line 1 column 1 (char 0)"},
    {"x", "Expecting value: line 1 column 1 (char 0)"},
    {"nul", "Expecting value: line 1 column 1 (char 0)"},
    {"tru", "Expecting value: line 1 column 1 (char 0)"},
    {"fals", "Expecting value: line 1 column 1 (char 0)"},
    {"Nan", "Expecting value: line 1 column 1 (char 0)"},
    {"-Infinit", "Expecting value: line 1 column 1 (char 0)"},
    {"Infinit", "Expecting value: line 1 column 1 (char 0)"},
    {"[1,\n  ]", "Expecting value: line 2 column 3 (char 6)"},
    {"{\"a\": ]", "Expecting value: line 1 column 7 (char 6)"},
};

static const struct pair errors_property_name[] = {
    {"{\"a\":1,}", "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)"},
    {"{", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"},
    {"{ ", "Expecting property name enclosed in double quotes: line 1 column 3 (char 2)"},
    {"{,}", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"},
    {"{a:1}", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"},
    {"{'a':1}", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"},
    {"{1:1}", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"},
    {"{\"a\":1, }", "Expecting property name enclosed in double quotes: line 1 column 9 (char 8)"},
    {"{\"a\":1,\n\n}",
     "Expecting property name enclosed in double quotes: line 3 column 1 (char 9)"},
    {"{\"a\":1,x", "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)"},
};

static const struct pair errors_colon[] = {
    {"{\"a\" 1}", "Expecting ':' delimiter: line 1 column 6 (char 5)"},
    {"{\"a\"", "Expecting ':' delimiter: line 1 column 5 (char 4)"},
    {"{\"a\"}", "Expecting ':' delimiter: line 1 column 5 (char 4)"},
    {"{\"a\" ,1}", "Expecting ':' delimiter: line 1 column 6 (char 5)"},
    {"{\"a\"\n\n1}", "Expecting ':' delimiter: line 3 column 1 (char 6)"},
    {"{\"a\"  ", "Expecting ':' delimiter: line 1 column 7 (char 6)"},
};

static const struct pair errors_comma[] = {
    {"[1 2]", "Expecting ',' delimiter: line 1 column 4 (char 3)"},
    {"[1", "Expecting ',' delimiter: line 1 column 3 (char 2)"},
    {"[1\n2]", "Expecting ',' delimiter: line 2 column 1 (char 3)"},
    {"{\"a\":1 \"b\":2}", "Expecting ',' delimiter: line 1 column 8 (char 7)"},
    {"{\"a\":1", "Expecting ',' delimiter: line 1 column 7 (char 6)"},
    {"{\"a\":1 x}", "Expecting ',' delimiter: line 1 column 8 (char 7)"},
    {"{\"a\":1  ", "Expecting ',' delimiter: line 1 column 9 (char 8)"},
    {"[1,,2]", "Expecting value: line 1 column 4 (char 3)"},
    {"[true false]", "Expecting ',' delimiter: line 1 column 7 (char 6)"},
    {"[1}", "Expecting ',' delimiter: line 1 column 3 (char 2)"},
    {"{\"a\":1]", "Expecting ',' delimiter: line 1 column 7 (char 6)"},
    {"[1 ,2 3]", "Expecting ',' delimiter: line 1 column 7 (char 6)"},
};

static const struct pair errors_extra_data[] = {
    {"{\"a\":1} x", "Extra data: line 1 column 9 (char 8)"},
    {"01", "Extra data: line 1 column 2 (char 1)"},
    {"1.", "Extra data: line 1 column 2 (char 1)"},
    {"1e", "Extra data: line 1 column 2 (char 1)"},
    {"1e+", "Extra data: line 1 column 2 (char 1)"},
    {"1.e5", "Extra data: line 1 column 2 (char 1)"},
    {"[1]]", "Extra data: line 1 column 4 (char 3)"},
    {"{\"a\":1}}", "Extra data: line 1 column 8 (char 7)"},
    {"1 2", "Extra data: line 1 column 3 (char 2)"},
    {"true false", "Extra data: line 1 column 6 (char 5)"},
    {"\"a\" \"b\"", "Extra data: line 1 column 5 (char 4)"},
    {"0x10", "Extra data: line 1 column 2 (char 1)"},
    {"1_000", "Extra data: line 1 column 2 (char 1)"},
    {"00", "Extra data: line 1 column 2 (char 1)"},
    {"-01", "Extra data: line 1 column 3 (char 2)"},
    {"[] \n\n x", "Extra data: line 3 column 2 (char 6)"},
    {"nulll", "Extra data: line 1 column 5 (char 4)"},
    {"truee", "Extra data: line 1 column 5 (char 4)"},
    {"NaNx", "Extra data: line 1 column 4 (char 3)"},
    {"1\357\273\277", "Extra data: line 1 column 2 (char 1)"},
    {"1 \302\240", "Extra data: line 1 column 3 (char 2)"},
};

static const struct pair errors_unterminated[] = {
    {"\"abc", "Unterminated string starting at: line 1 column 1 (char 0)"},
    {"\"", "Unterminated string starting at: line 1 column 1 (char 0)"},
    {"\"\\", "Unterminated string starting at: line 1 column 1 (char 0)"},
    {"\"abc\\\"", "Unterminated string starting at: line 1 column 1 (char 0)"},
    {"{\"abc", "Unterminated string starting at: line 1 column 2 (char 1)"},
    {"{\"a\":\"b", "Unterminated string starting at: line 1 column 6 (char 5)"},
    {"[\"a", "Unterminated string starting at: line 1 column 2 (char 1)"},
    {"\"\\\"", "Unterminated string starting at: line 1 column 1 (char 0)"},
    {"[1, \"x\\\\\\\"]", "Unterminated string starting at: line 1 column 5 (char 4)"},
    {"\"é😀", "Unterminated string starting at: line 1 column 1 (char 0)"},
};

static const struct pair errors_control[] = {
    {"\"a\001b\"", "Invalid control character at: line 1 column 3 (char 2)"},
    {"\"a\nb\"", "Invalid control character at: line 1 column 3 (char 2)"},
    {"\"\t\"", "Invalid control character at: line 1 column 2 (char 1)"},
    {"\"\037\"", "Invalid control character at: line 1 column 2 (char 1)"},
    {"\"é\001\"", "Invalid control character at: line 1 column 3 (char 2)"},
    {"[\"ok\", \"bad\rvalue\"]", "Invalid control character at: line 1 column 12 (char 11)"},
};

static const struct pair errors_escape[] = {
    {"\"\\x\"", "Invalid \\escape: line 1 column 2 (char 1)"},
    {"\"a\\a\"", "Invalid \\escape: line 1 column 3 (char 2)"},
    {"\"\\é\"", "Invalid \\escape: line 1 column 2 (char 1)"},
    {"\"\\😀\"", "Invalid \\escape: line 1 column 2 (char 1)"},
    {"\"\\U0041\"", "Invalid \\escape: line 1 column 2 (char 1)"},
    {"\"\\0\"", "Invalid \\escape: line 1 column 2 (char 1)"},
    {"[\"\\'\"]", "Invalid \\escape: line 1 column 3 (char 2)"},
    {"\"\\ \"", "Invalid \\escape: line 1 column 2 (char 1)"},
};

static const struct pair errors_uescape[] = {
    {"\"\\u\"", "Invalid \\uXXXX escape: line 1 column 3 (char 2)"},
    {"\"\\u1\"", "Invalid \\uXXXX escape: line 1 column 3 (char 2)"},
    {"\"\\u123\"", "Invalid \\uXXXX escape: line 1 column 3 (char 2)"},
    {"\"\\u1234", "Invalid \\uXXXX escape: line 1 column 3 (char 2)"},
    {"\"\\uzzzz\"", "Invalid \\uXXXX escape: line 1 column 3 (char 2)"},
    {"\"\\u12g4\"", "Invalid \\uXXXX escape: line 1 column 3 (char 2)"},
    {"\"\\u00\"", "Invalid \\uXXXX escape: line 1 column 3 (char 2)"},
    {"\"\\ud800\\u", "Invalid \\uXXXX escape: line 1 column 9 (char 8)"},
    {"\"\\ud800\\uzzzz\"", "Invalid \\uXXXX escape: line 1 column 9 (char 8)"},
    {"\"\\ud800\\udc0\"", "Invalid \\uXXXX escape: line 1 column 9 (char 8)"},
    {"\"\\u12é45\"", "Invalid \\uXXXX escape: line 1 column 3 (char 2)"},
    {"[\"\\u\"]", "Invalid \\uXXXX escape: line 1 column 4 (char 3)"},
    {"\"\\ud800\\udc0é\"", "Invalid \\uXXXX escape: line 1 column 9 (char 8)"},
};

static const struct pair errors_multibyte[] = {
    {"{\"é\":1,}", "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)"},
    {"[\"é😀\", 1 2]", "Expecting ',' delimiter: line 1 column 10 (char 9)"},
    {"\"😀\" x", "Extra data: line 1 column 5 (char 4)"},
    {"[\"漢字\", x]", "Expecting value: line 1 column 8 (char 7)"},
    {"{\"😀😀\":1 \"x\":2}", "Expecting ',' delimiter: line 1 column 9 (char 8)"},
    {"\"é\001\"", "Invalid control character at: line 1 column 3 (char 2)"},
    {"[\"é́\", ]", "Expecting value: line 1 column 8 (char 7)"},
    {"\"😀\\q\"", "Invalid \\escape: line 1 column 3 (char 2)"},
};

static const struct pair errors_lines[] = {
    {"[\n1,\n2\n3]", "Expecting ',' delimiter: line 4 column 1 (char 7)"},
    {"{\n  \"a\": 1,\n  \"b\" 2\n}", "Expecting ':' delimiter: line 3 column 7 (char 18)"},
    {"\n\n\nx", "Expecting value: line 4 column 1 (char 3)"},
    {"x\ny", "Expecting value: line 1 column 1 (char 0)"},
    {"[\n\"é\n\"]", "Invalid control character at: line 2 column 3 (char 4)"},
    {"{\"a\":\n\n\n}", "Expecting value: line 4 column 1 (char 8)"},
    {"[1,\n\n  x]", "Expecting value: line 3 column 3 (char 7)"},
    {"\r\n[\r\n1 2]", "Expecting ',' delimiter: line 3 column 3 (char 7)"},
};

static const struct pair str_scalars[] = {
    {"null", "None"},      {"true", "True"},
    {"false", "False"},    {"0", "0"},
    {"-0", "0"},           {"42", "42"},
    {"-7", "-7"},          {"123456789012345678901234567890", "123456789012345678901234567890"},
    {"1.0", "1.0"},        {"1.5", "1.5"},
    {"-0.0", "-0.0"},      {"1E5", "100000.0"},
    {"1e16", "1e+16"},     {"1e-05", "1e-05"},
    {"NaN", "nan"},        {"Infinity", "inf"},
    {"-Infinity", "-inf"}, {"1e400", "inf"},
    {"0.1", "0.1"},        {"2.5e-7", "2.5e-07"},
};

static const struct pair str_strings[] = {
    {"\"plain\"", "plain"},
    {"\"\"", ""},
    {"\"it's\"", "it's"},
    {"\"say \\\"hi\\\"\"", "say \"hi\""},
    {"\"é😀漢\"", "é😀漢"},
    {"\"a\\nb\\tc\"", "a\nb\tc"},
    {"\"back\\\\slash\"", "back\\slash"},
};

static const struct pair str_containers[] = {
    {"[1, 2]", "[1, 2]"},
    {"[]", "[]"},
    {"{}", "{}"},
    {"[1, \"a\", null]", "[1, 'a', None]"},
    {"{\"a\": 1, \"b\": [true]}", "{'a': 1, 'b': [True]}"},
    {"[[1, [2]], {\"k\": {\"n\": null}}]", "[[1, [2]], {'k': {'n': None}}]"},
    {"{\"x\": 1.0, \"y\": NaN, \"z\": -Infinity}", "{'x': 1.0, 'y': nan, 'z': -inf}"},
    {"[\"it's\", \"say \\\"hi\\\"\", \"both ' and \\\"\"]",
     "[\"it's\", 'say \"hi\"', 'both \\' and \"']"},
    {"{\"é\": \"ü\"}", "{'é': 'ü'}"},
    {"[false, 0.1, 100000000000000000000000]", "[False, 0.1, 100000000000000000000000]"},
    {"{\"a\":1,\"a\":2,\"b\":3}", "{'a': 2, 'b': 3}"},
};

static const struct pair str_repr_escapes[] = {
    {"[\"tab\\there\"]", "['tab\\there']"},
    {"[\"nl\\nret\\r\"]", "['nl\\nret\\r']"},
    {"[\"\\u0001\\u001f\\u007f\"]", "['\\x01\\x1f\\x7f']"},
    {"[\"back\\\\slash\"]", "['back\\\\slash']"},
    {"[\"\\u0080\\u009f\\u00a0\\u00ad\"]", "['\\x80\\x9f\\xa0\\xad']"},
    {"[\"\\u00e9\\u00ff\"]", "['éÿ']"},
    {"[\"\\u2028\\u200b\\ufeff\"]", "['\\u2028\\u200b\\ufeff']"},
    {"[\"\\ue000\"]", "['\\ue000']"},
    {"[\"\\udb40\\udc01\"]", "['\\U000e0001']"},
    {"[\"\\ud800\"]", "['\\ud800']"},
    {"[\"\\udfff\"]", "['\\udfff']"},
    {"[\"\\u0000\"]", "['\\x00']"},
    {"[\"😀\\ud83d\\ude00\"]", "['😀😀']"},
    {"[\"\\u3000\"]", "['\\u3000']"},
    {"[\"\\\\'\"]", "[\"\\\\'\"]"},
};

static const struct pair print_escapes[] = {
    {"\"\\u0000\"", "\"\\u0000\""},
    {"\"\\u0001\\u0002\\u0007\\u000b\\u000e\\u001b\\u001f\"",
     "\"\\u0001\\u0002\\u0007\\u000b\\u000e\\u001b\\u001f\""},
    {"\"\\b\\f\\n\\r\\t\"", "\"\\b\\f\\n\\r\\t\""},
    {"\"\\\"\\\\/\"", "\"\\\"\\\\/\""},
    {"\"\\u007f\\u0080\\u00ff\"", "\"\177\302\200ÿ\""},
    {"\"\\u2028\\u2029\"", "\"\342\200\250\342\200\251\""},
    {"\"é😀\"", "\"é😀\""},
    {"\"\\ud800\"", "\"\355\240\200\""},
    {"\"\\udc00x\"", "\"\355\260\200x\""},
    {"\"a\\u0000b\"", "\"a\\u0000b\""},
    {"{\"\\n\\u0000\":\"\\u001f\"}", "{\"\\n\\u0000\":\"\\u001f\"}"},
};

static const struct pair float_literals[] = {
    {"1E5", "100000.0"},
    {"1.50", "1.5"},
    {"-0.0", "-0.0"},
    {"0.0", "0.0"},
    {"0e0", "0.0"},
    {"1e400", "Infinity"},
    {"-1e400", "-Infinity"},
    {"1e-400", "0.0"},
    {"-1e-400", "-0.0"},
    {"0.1e1", "1.0"},
    {"123.456e2", "12345.6"},
    {"5e-324", "5e-324"},
    {"4.9e-324", "5e-324"},
    {"2.5e-7", "2.5e-07"},
    {"1e16", "1e+16"},
    {"1e15", "1000000000000000.0"},
    {"1.7976931348623157e308", "1.7976931348623157e+308"},
    {"0.30000000000000004", "0.30000000000000004"},
    {"1E+2", "100.0"},
    {"1e-5", "1e-05"},
    {"100.0", "100.0"},
    {"3.0e-0", "3.0"},
    {"10e-1", "1.0"},
    {"-1.25E-3", "-0.00125"},
    {"0.000001", "1e-06"},
    {"12345678901234567890.0", "1.2345678901234567e+19"},
};

static const struct pair int_literals[] = {
    {"0", "0"},
    {"-0", "0"},
    {"7", "7"},
    {"-12", "-12"},
    {"9007199254740993", "9007199254740993"},
    {"9223372036854775808", "9223372036854775808"},
    {"-9223372036854775809", "-9223372036854775809"},
    {"123456789012345678901234567890", "123456789012345678901234567890"},
    {"-98765432109876543210987654321", "-98765432109876543210987654321"},
    {"10000000000000000000000000000000000000000000000000000000000000000000000",
     "10000000000000000000000000000000000000000000000000000000000000000000000"},
};

/* ---- float repr ---- */

static void test_pyfloat_repr_matches_python_for_a_table_of_values(void)
{
    char buf[64], in[64];
    for (size_t i = 0; i < COUNT(float_cases); i++) {
        snprintf(in, sizeof in, "%.17g", float_cases[i].v);
        int n = ms_pyfloat_repr(float_cases[i].v, buf, sizeof buf);
        CU_ASSERT(same("repr", in, n < 0 ? NULL : buf, float_cases[i].repr));
        CU_ASSERT_EQUAL(n, (int)strlen(float_cases[i].repr));
    }
}

static void test_pyfloat_repr_spells_non_finite_values_like_json_dumps(void)
{
    char buf[16];
    CU_ASSERT_EQUAL(ms_pyfloat_repr(NAN, buf, sizeof buf), 3);
    CU_ASSERT_STRING_EQUAL(buf, "NaN");
    CU_ASSERT_EQUAL(ms_pyfloat_repr(INFINITY, buf, sizeof buf), 8);
    CU_ASSERT_STRING_EQUAL(buf, "Infinity");
    CU_ASSERT_EQUAL(ms_pyfloat_repr(-INFINITY, buf, sizeof buf), 9);
    CU_ASSERT_STRING_EQUAL(buf, "-Infinity");
}

static void test_pyfloat_repr_fails_when_the_buffer_is_too_small(void)
{
    char buf[8] = "xxxxxxx";
    CU_ASSERT_EQUAL(ms_pyfloat_repr(0.1, buf, 3), -1);
    CU_ASSERT_EQUAL(ms_pyfloat_repr(0.1, NULL, 0), -1);
    CU_ASSERT_EQUAL(ms_pyfloat_repr(0.1, buf, 4), 3);
    CU_ASSERT_STRING_EQUAL(buf, "0.1");
}

/* ---- numbers in parsed documents ---- */

static void test_pyjson_parse_keeps_int_digits_exactly(void)
{
    check_dumps(int_literals, COUNT(int_literals));
    char err[64];
    cJSON *j = ms_pyjson_parse("-0", 2, err, sizeof err);
    CU_ASSERT(cJSON_IsRaw(j) && ms_pyjson_is_int(j));
    cJSON_Delete(j);
}

static void test_pyjson_parse_renders_float_literals_like_python(void)
{
    check_dumps(float_literals, COUNT(float_literals));
    for (size_t i = 0; i < COUNT(float_literals); i++) {
        cJSON *j = ms_pyjson_parse(float_literals[i].in, strlen(float_literals[i].in), NULL, 0);
        CU_ASSERT(cJSON_IsRaw(j) && ms_pyjson_is_number(j) && !ms_pyjson_is_int(j));
        cJSON_Delete(j);
    }
}

static void test_pyjson_parse_accepts_nan_and_infinity(void)
{
    char *got = dumps(" [NaN, Infinity, -Infinity] ");
    CU_ASSERT(same("dumps", "NaN/Infinity", got, "[NaN,Infinity,-Infinity]"));
    free(got);
    cJSON *j = ms_pyjson_parse("[NaN,Infinity,-Infinity]", 24, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT(isnan(ms_pyjson_number(cJSON_GetArrayItem(j, 0))));
    CU_ASSERT(ms_pyjson_number(cJSON_GetArrayItem(j, 1)) == INFINITY);
    CU_ASSERT(ms_pyjson_number(cJSON_GetArrayItem(j, 2)) == -INFINITY);
    CU_ASSERT_STRING_EQUAL(ms_pyjson_type_name(cJSON_GetArrayItem(j, 0)), "float");
    cJSON_Delete(j);
}

/* ---- documents ---- */

static void test_pyjson_parse_and_print_round_trip_documents(void)
{
    check_dumps(round_trips, COUNT(round_trips));
}

static void test_pyjson_parse_decodes_escapes_and_surrogate_pairs(void)
{
    const char *text = "\"\\ud83d\\ude00 \\u00e9 \\/ \\\"q\\\" \\\\ \\n\"";
    cJSON *j = ms_pyjson_parse(text, strlen(text), NULL, 0);
    CU_ASSERT_FATAL(cJSON_IsString(j));
    CU_ASSERT_STRING_EQUAL(j->valuestring, "😀 é / \"q\" \\ \n");
    cJSON_Delete(j);
}

static void test_pyjson_parse_keeps_lone_surrogates_as_three_bytes(void)
{
    char *got = dumps("[\"\\ud800x\", \"\\udc00\", \"\\ud800\\u0041\", \"\\ud800\\ud800\", "
                      "\"\\udc00\\ud800\", \"\\ud800\\ue000\", \"\\udbff\\u0041\"]");
    CU_ASSERT(
        same("dumps", "lone surrogates", got,
             "[\"\355\240\200x\",\"\355\260\200\",\"\355\240\200A\",\"\355\240\200\355\240\200\","
             "\"\355\260\200\355\240\200\",\"\355\240\200\356\200\200\",\"\355\257\277A\"]"));
    free(got);
}

static void test_pyjson_parse_stores_nul_escape_as_c0_80(void)
{
    cJSON *j = ms_pyjson_parse("\"a\\u0000b\"", 10, NULL, 0);
    CU_ASSERT_FATAL(cJSON_IsString(j));
    CU_ASSERT_STRING_EQUAL(j->valuestring, "a\300\200b");
    char *printed = ms_pyjson_print(j);
    CU_ASSERT(same("print", "a\\u0000b", printed, "\"a\\u0000b\""));
    free(printed);
    cJSON_Delete(j);
}

static void test_pyjson_parse_keeps_first_position_and_last_value_of_duplicate_keys(void)
{
    char *got = dumps("{\"a\":1,\"b\":2,\"a\":3}");
    CU_ASSERT(same("dumps", "dup", got, "{\"a\":3,\"b\":2}"));
    free(got);
    got = dumps("{\"a\":{\"x\":1},\"b\":0,\"a\":[2,{\"y\":null}]}");
    CU_ASSERT(same("dumps", "dup tree", got, "{\"a\":[2,{\"y\":null}],\"b\":0}"));
    free(got);
}

static void test_pyjson_parse_finds_duplicate_keys_in_large_objects(void)
{
    char in[1024] = "{", want[1024] = "{";
    for (int i = 0; i < 40; i++) {
        snprintf(in + strlen(in), sizeof in - strlen(in), "%s\"k%d\":%d", i ? "," : "", i, i);
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s\"k%d\":", i ? "," : "", i);
        if (i == 3)
            strcat(want, "\"x\"");
        else if (i == 39)
            strcat(want, "[1]");
        else
            snprintf(want + strlen(want), sizeof want - strlen(want), "%d", i);
    }
    strcat(in, ",\"k3\":\"x\",\"k39\":[1]}");
    strcat(want, "}");
    char *got = dumps(in);
    CU_ASSERT(same("dumps", "40 keys", got, want));
    free(got);
}

/* ---- errors ---- */

static void test_pyjson_parse_reports_expecting_value(void)
{
    check_errors(errors_expecting_value, COUNT(errors_expecting_value));
}

static void test_pyjson_parse_reports_property_name_errors(void)
{
    check_errors(errors_property_name, COUNT(errors_property_name));
}

static void test_pyjson_parse_reports_colon_delimiter_errors(void)
{
    check_errors(errors_colon, COUNT(errors_colon));
}

static void test_pyjson_parse_reports_comma_delimiter_errors(void)
{
    check_errors(errors_comma, COUNT(errors_comma));
}

static void test_pyjson_parse_reports_extra_data_position(void)
{
    check_errors(errors_extra_data, COUNT(errors_extra_data));
}

static void test_pyjson_parse_reports_unterminated_strings(void)
{
    check_errors(errors_unterminated, COUNT(errors_unterminated));
}

static void test_pyjson_parse_reports_invalid_control_characters(void)
{
    check_errors(errors_control, COUNT(errors_control));
    check_error("\"a\0b\"", 5, "Invalid control character at: line 1 column 3 (char 2)");
}

static void test_pyjson_parse_reports_invalid_escapes(void)
{
    check_errors(errors_escape, COUNT(errors_escape));
}

static void test_pyjson_parse_reports_invalid_unicode_escapes(void)
{
    check_errors(errors_uescape, COUNT(errors_uescape));
}

static void test_pyjson_parse_counts_characters_not_bytes_in_positions(void)
{
    check_errors(errors_multibyte, COUNT(errors_multibyte));
}

static void test_pyjson_parse_counts_lines_and_columns(void)
{
    check_errors(errors_lines, COUNT(errors_lines));
}

static void test_pyjson_parse_rejects_a_utf8_bom(void)
{
    check_error("\357\273\2771", 4,
                "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)");
    check_error(" \357\273\2771", 5, "Expecting value: line 1 column 2 (char 1)");
}

static void test_pyjson_parse_rejects_ints_longer_than_4300_digits(void)
{
    char text[4400];
    memset(text, '1', 4300);
    text[4300] = '\0';
    char *got = dumps(text);
    CU_ASSERT(got && !strcmp(got, text));
    free(got);
    memset(text, '1', 4301);
    check_error(text, 4301,
                "Exceeds the limit (4300 digits) for integer string conversion: value has 4301 "
                "digits; use sys.set_int_max_str_digits() to increase the limit");
    text[0] = '-';
    memset(text + 1, '1', 4301);
    check_error(text, 4302,
                "Exceeds the limit (4300 digits) for integer string conversion: value has 4301 "
                "digits; use sys.set_int_max_str_digits() to increase the limit");
    memcpy(text + 4302, ".0", 2); /* floats have no digit limit */
    cJSON *j = ms_pyjson_parse(text, 4304, NULL, 0);
    CU_ASSERT(ms_pyjson_is_number(j) && !ms_pyjson_is_int(j));
    cJSON_Delete(j);
}

/* depth nested containers: '[' * depth + ']' * depth, or {"a": ... 1 ... } when obj. */
static char *nested(int depth, int obj)
{
    char *t = malloc((size_t)depth * 6 + 2), *o = t;
    if (!t)
        return NULL;
    for (int i = 0; i < depth; i++)
        o += sprintf(o, "%s", obj ? "{\"a\":" : "[");
    if (obj)
        *o++ = '1';
    for (int i = 0; i < depth; i++)
        *o++ = obj ? '}' : ']';
    *o = '\0';
    return t;
}

static void test_pyjson_parse_accepts_1000_levels_of_nesting(void)
{
    for (int obj = 0; obj < 2; obj++) {
        char *text = nested(1000, obj);
        CU_ASSERT_PTR_NOT_NULL_FATAL(text);
        char *got = dumps(text);
        CU_ASSERT(got && !strcmp(got, text));
        free(got);
        free(text);
    }
}

static void test_pyjson_parse_rejects_1001_levels_of_nesting(void)
{
    char *text = nested(1001, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    check_error(
        text, strlen(text),
        "maximum recursion depth exceeded while decoding a JSON array from a unicode string");
    free(text);
    text = nested(1001, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    check_error(
        text, strlen(text),
        "maximum recursion depth exceeded while decoding a JSON object from a unicode string");
    free(text);
}

static void test_pyjson_parse_reads_only_len_bytes(void)
{
    cJSON *j = ms_pyjson_parse("[1,2]garbage", 5, NULL, 0);
    char *got = ms_pyjson_print(j);
    CU_ASSERT(same("print", "[1,2]garbage/5", got, "[1,2]"));
    free(got);
    cJSON_Delete(j);
    char unterminated[3] = {'"', 'a', '"'};
    j = ms_pyjson_parse(unterminated, sizeof unterminated, NULL, 0);
    CU_ASSERT(cJSON_IsString(j) && !strcmp(j->valuestring, "a"));
    cJSON_Delete(j);
    check_error("[1,2]", 3, "Expecting value: line 1 column 4 (char 3)");
    check_error("nullx", 3, "Expecting value: line 1 column 1 (char 0)");
    char one_dot[2] = {'1', '.'}, minus[1] = {'-'}, e5[3] = {'1', 'e', '5'};
    check_error(one_dot, sizeof one_dot, "Extra data: line 1 column 2 (char 1)");
    check_error(minus, sizeof minus, "Expecting value: line 1 column 1 (char 0)");
    j = ms_pyjson_parse(e5, sizeof e5, NULL, 0);
    CU_ASSERT(cJSON_IsRaw(j) && !strcmp(j->valuestring, "100000.0"));
    cJSON_Delete(j);
    check_error("\"\\u00e9\"", 7, "Invalid \\uXXXX escape: line 1 column 3 (char 2)");
}

static void test_pyjson_parse_truncates_the_error_text_to_errlen(void)
{
    char err[10];
    memset(err, 'x', sizeof err);
    CU_ASSERT_PTR_NULL(ms_pyjson_parse("[1,]", 4, err, sizeof err));
    CU_ASSERT_STRING_EQUAL(err, "Expecting");
    CU_ASSERT_PTR_NULL(ms_pyjson_parse("[1,]", 4, NULL, 0));
    err[0] = 'x';
    CU_ASSERT_PTR_NULL(ms_pyjson_parse("[1,]", 4, err, 0));
    CU_ASSERT_EQUAL(err[0], 'x');
}

static void test_pyjson_parse_treats_null_text_as_empty(void)
{
    check_error(NULL, 0, "Expecting value: line 1 column 1 (char 0)");
    check_error(NULL, 5, "Expecting value: line 1 column 1 (char 0)");
}

/* ---- printing ---- */

static void test_pyjson_print_escapes_strings_like_python(void)
{
    check_dumps(print_escapes, COUNT(print_escapes));
}

static void test_pyjson_print_renders_cjson_number_items(void)
{
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        {1.0, "1"},
        {-42.0, "-42"},
        {1.5, "1.5"},
        {0.1, "0.1"},
        {9007199254740991.0, "9007199254740991"},
        {9007199254740992.0, "9007199254740992.0"},
        {1e300, "1e+300"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        cJSON *n = cJSON_CreateNumber(cases[i].v);
        char *got = ms_pyjson_print(n);
        CU_ASSERT(same("print", cases[i].want, got, cases[i].want));
        free(got);
        cJSON_Delete(n);
    }
    cJSON *arr = cJSON_CreateArray();
    cJSON_AddItemToArray(arr, cJSON_CreateNumber(NAN));
    cJSON_AddItemToArray(arr, cJSON_CreateNumber(INFINITY));
    cJSON_AddItemToArray(arr, cJSON_CreateNumber(-INFINITY));
    char *got = ms_pyjson_print(arr);
    CU_ASSERT(same("print", "non-finite", got, "[NaN,Infinity,-Infinity]"));
    free(got);
    cJSON_Delete(arr);
}

static void test_pyjson_print_writes_trees_built_with_cjson(void)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "s", "x");
    cJSON_AddTrueToObject(o, "t");
    cJSON_AddFalseToObject(o, "f");
    cJSON_AddNullToObject(o, "n");
    cJSON *arr = cJSON_AddArrayToObject(o, "arr");
    cJSON_AddItemToArray(arr, ms_pyjson_int(1));
    cJSON_AddItemToArray(arr, cJSON_CreateString("two"));
    cJSON_AddRawToObject(o, "raw", "[1, 2]");
    char *got = ms_pyjson_print(o);
    CU_ASSERT(
        same("print", "tree", got,
             "{\"s\":\"x\",\"t\":true,\"f\":false,\"n\":null,\"arr\":[1,\"two\"],\"raw\":[1, 2]}"));
    free(got);
    cJSON_Delete(o);
    got = ms_pyjson_print(NULL);
    CU_ASSERT(same("print", "NULL", got, "null"));
    free(got);
}

/* ---- str() ---- */

static void test_pyjson_str_prints_strings_as_raw_text(void)
{
    check_str(str_strings, COUNT(str_strings));
    cJSON *s = cJSON_CreateString("a\300\200b"); /* U+0000 as stored by the parser */
    char *got = ms_pyjson_str(s);
    CU_ASSERT(same("str", "nul", got, "a\300\200b"));
    free(got);
    cJSON_Delete(s);
}

static void test_pyjson_str_prints_scalars_like_python(void)
{
    check_str(str_scalars, COUNT(str_scalars));
    char *got = ms_pyjson_str(NULL);
    CU_ASSERT(same("str", "NULL", got, "None"));
    free(got);
    static const struct {
        double v;
        const char *want;
    } cases[] = {{3.0, "3"}, {0.5, "0.5"}, {INFINITY, "inf"}, {-INFINITY, "-inf"}, {NAN, "nan"}};
    for (size_t i = 0; i < COUNT(cases); i++) {
        cJSON *n = cJSON_CreateNumber(cases[i].v);
        got = ms_pyjson_str(n);
        CU_ASSERT(same("str", cases[i].want, got, cases[i].want));
        free(got);
        cJSON_Delete(n);
    }
}

static void test_pyjson_str_prints_containers_like_python(void)
{
    check_str(str_containers, COUNT(str_containers));
}

static void test_pyjson_str_escapes_non_printable_characters(void)
{
    check_str(str_repr_escapes, COUNT(str_repr_escapes));
}

/* ---- helpers ---- */

static void test_pyjson_type_name_matches_python_types(void)
{
    static const struct pair cases[] = {
        {"{}", "dict"},   {"[]", "list"},   {"\"\"", "str"},
        {"1", "int"},     {"1.0", "float"}, {"1e5", "float"},
        {"NaN", "float"}, {"true", "bool"}, {"null", "NoneType"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        cJSON *j = ms_pyjson_parse(cases[i].in, strlen(cases[i].in), NULL, 0);
        CU_ASSERT(same("type", cases[i].in, ms_pyjson_type_name(j), cases[i].out));
        cJSON_Delete(j);
    }
    CU_ASSERT_STRING_EQUAL(ms_pyjson_type_name(NULL), "NoneType");
    cJSON *n = cJSON_CreateNumber(2);
    CU_ASSERT_STRING_EQUAL(ms_pyjson_type_name(n), "int");
    cJSON_SetNumberValue(n, 2.5);
    CU_ASSERT_STRING_EQUAL(ms_pyjson_type_name(n), "float");
    cJSON_Delete(n);
    cJSON *raw = cJSON_CreateRaw("xyz");
    CU_ASSERT_STRING_EQUAL(ms_pyjson_type_name(raw), "object");
    cJSON_Delete(raw);
}

static void test_pyjson_number_helpers_classify_items(void)
{
    static const struct {
        const char *raw;
        int is_number, is_int;
        double value;
    } cases[] = {
        {"12", 1, 1, 12.0},
        {"-3", 1, 1, -3.0},
        {"1.0", 1, 0, 1.0},
        {"2.5e-07", 1, 0, 2.5e-7},
        {"1e+16", 1, 0, 1e16},
        {"123456789012345678901234567890", 1, 1, 1.2345678901234568e+29},
        {"-Infinity", 1, 0, -INFINITY},
        {"abc", 0, 0, 0.0},
        {"[1]", 0, 0, 0.0},
        {"1.", 0, 0, 0.0},
        {"", 0, 0, 0.0},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        cJSON *r = cJSON_CreateRaw(cases[i].raw);
        CU_ASSERT_EQUAL(ms_pyjson_is_number(r), cases[i].is_number);
        CU_ASSERT_EQUAL(ms_pyjson_is_int(r), cases[i].is_int);
        CU_ASSERT(ms_pyjson_number(r) == cases[i].value);
        cJSON_Delete(r);
    }
    cJSON *r = cJSON_CreateRaw("NaN");
    CU_ASSERT(ms_pyjson_is_number(r) && !ms_pyjson_is_int(r) && isnan(ms_pyjson_number(r)));
    cJSON_Delete(r);
    cJSON *s = cJSON_CreateString("1");
    CU_ASSERT(!ms_pyjson_is_number(s) && !ms_pyjson_is_int(s) && ms_pyjson_number(s) == 0.0);
    cJSON_Delete(s);
    CU_ASSERT(!ms_pyjson_is_number(NULL) && ms_pyjson_number(NULL) == 0.0);
    cJSON *n = cJSON_CreateNumber(4);
    CU_ASSERT(ms_pyjson_is_number(n) && ms_pyjson_is_int(n) && ms_pyjson_number(n) == 4.0);
    cJSON_SetNumberValue(n, 4.5);
    CU_ASSERT(ms_pyjson_is_number(n) && !ms_pyjson_is_int(n) && ms_pyjson_number(n) == 4.5);
    cJSON_SetNumberValue(n, 1e300);
    CU_ASSERT(!ms_pyjson_is_int(n));
    cJSON_Delete(n);
}

static void test_pyjson_float_and_int_make_raw_numbers(void)
{
    static const struct float_case floats[] = {
        {0.1, "0.1"}, {1.0, "1.0"}, {1e16, "1e+16"}, {-0.0, "-0.0"}, {INFINITY, "Infinity"}};
    for (size_t i = 0; i < COUNT(floats); i++) {
        cJSON *f = ms_pyjson_float(floats[i].v);
        CU_ASSERT(cJSON_IsRaw(f) && same("float", floats[i].repr, f->valuestring, floats[i].repr));
        CU_ASSERT(ms_pyjson_is_number(f) && !ms_pyjson_is_int(f));
        cJSON_Delete(f);
    }
    static const struct {
        long long v;
        const char *want;
    } ints[] = {{0, "0"},
                {-7, "-7"},
                {LLONG_MIN, "-9223372036854775808"},
                {LLONG_MAX, "9223372036854775807"}};
    for (size_t i = 0; i < COUNT(ints); i++) {
        cJSON *n = ms_pyjson_int(ints[i].v);
        CU_ASSERT(cJSON_IsRaw(n) && same("int", ints[i].want, n->valuestring, ints[i].want));
        CU_ASSERT(ms_pyjson_is_int(n));
        cJSON_Delete(n);
    }
}

static void test_pyjson_add_float_and_add_int_add_members(void)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *f = ms_pyjson_add_float(o, "t", 1.5);
    cJSON *n = ms_pyjson_add_int(o, "n", 7);
    CU_ASSERT(f && f == cJSON_GetObjectItemCaseSensitive(o, "t"));
    CU_ASSERT(n && n == cJSON_GetObjectItemCaseSensitive(o, "n"));
    char *got = ms_pyjson_print(o);
    CU_ASSERT(same("print", "add", got, "{\"t\":1.5,\"n\":7}"));
    free(got);
    CU_ASSERT_PTR_NULL(ms_pyjson_add_int(NULL, "x", 1));
    CU_ASSERT_PTR_NULL(ms_pyjson_add_float(o, NULL, 1.0));
    CU_ASSERT_EQUAL(cJSON_GetArraySize(o), 2);
    cJSON_Delete(o);
}

static void test_pyjson_dup_keeps_raw_numbers(void)
{
    const char *text = "{\"a\":[1,1.0,\"x\",NaN,{\"b\":null}]}";
    cJSON *j = ms_pyjson_parse(text, strlen(text), NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    cJSON *d = ms_pyjson_dup(j);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_PTR_NOT_EQUAL(d, j);
    cJSON *a = cJSON_GetObjectItemCaseSensitive(d, "a");
    CU_ASSERT(cJSON_IsRaw(cJSON_GetArrayItem(a, 0)) && cJSON_IsRaw(cJSON_GetArrayItem(a, 1)));
    cJSON_Delete(j);
    char *got = ms_pyjson_print(d);
    CU_ASSERT(same("print", "dup", got, text));
    free(got);
    cJSON_Delete(d);
    CU_ASSERT_PTR_NULL(ms_pyjson_dup(NULL));
}

static CU_TestInfo pyfloat_tests[] = {
    MS_TEST(test_pyfloat_repr_matches_python_for_a_table_of_values),
    MS_TEST(test_pyfloat_repr_spells_non_finite_values_like_json_dumps),
    MS_TEST(test_pyfloat_repr_fails_when_the_buffer_is_too_small),
    CU_TEST_INFO_NULL,
};

static CU_TestInfo parse_tests[] = {
    MS_TEST(test_pyjson_parse_keeps_int_digits_exactly),
    MS_TEST(test_pyjson_parse_renders_float_literals_like_python),
    MS_TEST(test_pyjson_parse_accepts_nan_and_infinity),
    MS_TEST(test_pyjson_parse_and_print_round_trip_documents),
    MS_TEST(test_pyjson_parse_decodes_escapes_and_surrogate_pairs),
    MS_TEST(test_pyjson_parse_keeps_lone_surrogates_as_three_bytes),
    MS_TEST(test_pyjson_parse_stores_nul_escape_as_c0_80),
    MS_TEST(test_pyjson_parse_keeps_first_position_and_last_value_of_duplicate_keys),
    MS_TEST(test_pyjson_parse_finds_duplicate_keys_in_large_objects),
    MS_TEST(test_pyjson_parse_accepts_1000_levels_of_nesting),
    MS_TEST(test_pyjson_parse_reads_only_len_bytes),
    CU_TEST_INFO_NULL,
};

static CU_TestInfo error_tests[] = {
    MS_TEST(test_pyjson_parse_reports_expecting_value),
    MS_TEST(test_pyjson_parse_reports_property_name_errors),
    MS_TEST(test_pyjson_parse_reports_colon_delimiter_errors),
    MS_TEST(test_pyjson_parse_reports_comma_delimiter_errors),
    MS_TEST(test_pyjson_parse_reports_extra_data_position),
    MS_TEST(test_pyjson_parse_reports_unterminated_strings),
    MS_TEST(test_pyjson_parse_reports_invalid_control_characters),
    MS_TEST(test_pyjson_parse_reports_invalid_escapes),
    MS_TEST(test_pyjson_parse_reports_invalid_unicode_escapes),
    MS_TEST(test_pyjson_parse_counts_characters_not_bytes_in_positions),
    MS_TEST(test_pyjson_parse_counts_lines_and_columns),
    MS_TEST(test_pyjson_parse_rejects_a_utf8_bom),
    MS_TEST(test_pyjson_parse_rejects_ints_longer_than_4300_digits),
    MS_TEST(test_pyjson_parse_rejects_1001_levels_of_nesting),
    MS_TEST(test_pyjson_parse_truncates_the_error_text_to_errlen),
    MS_TEST(test_pyjson_parse_treats_null_text_as_empty),
    CU_TEST_INFO_NULL,
};

static CU_TestInfo print_tests[] = {
    MS_TEST(test_pyjson_print_escapes_strings_like_python),
    MS_TEST(test_pyjson_print_renders_cjson_number_items),
    MS_TEST(test_pyjson_print_writes_trees_built_with_cjson),
    CU_TEST_INFO_NULL,
};

static CU_TestInfo str_tests[] = {
    MS_TEST(test_pyjson_str_prints_strings_as_raw_text),
    MS_TEST(test_pyjson_str_prints_scalars_like_python),
    MS_TEST(test_pyjson_str_prints_containers_like_python),
    MS_TEST(test_pyjson_str_escapes_non_printable_characters),
    CU_TEST_INFO_NULL,
};

static CU_TestInfo helper_tests[] = {
    MS_TEST(test_pyjson_type_name_matches_python_types),
    MS_TEST(test_pyjson_number_helpers_classify_items),
    MS_TEST(test_pyjson_float_and_int_make_raw_numbers),
    MS_TEST(test_pyjson_add_float_and_add_int_add_members),
    MS_TEST(test_pyjson_dup_keeps_raw_numbers),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"pyfloat", NULL, NULL, NULL, NULL, pyfloat_tests},
    {"pyjson_parse", NULL, NULL, NULL, NULL, parse_tests},
    {"pyjson_errors", NULL, NULL, NULL, NULL, error_tests},
    {"pyjson_print", NULL, NULL, NULL, NULL, print_tests},
    {"pyjson_str", NULL, NULL, NULL, NULL, str_tests},
    {"pyjson_helpers", NULL, NULL, NULL, NULL, helper_tests},
    CU_SUITE_INFO_NULL,
};
