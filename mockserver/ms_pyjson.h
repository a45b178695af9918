/* ms_pyjson -- JSON exactly as the Python backend reads and writes it (json.loads / compact
 * json.dumps). */
#ifndef MS_PYJSON_H
#define MS_PYJSON_H

#include <stddef.h>
#include <cjson/cJSON.h>

/*
 * Numbers: Python keeps ints and floats apart ("1" stays 1, "1.0" and "1e5" become floats and print
 * as 1.0 and 100000.0). cJSON cannot, so every number this module creates or parses is a cJSON_Raw
 * item whose text is already Python's rendering: ints as their digits (any size), floats as
 * repr(float). Use ms_pyjson_number() to read a number item back. Plain cJSON number items
 * (cJSON_CreateNumber) are also accepted by every function here and treated as a float if not
 * integral, else as an int.
 */

/*
 * Parses like Python's json.loads(text): whitespace around the value is allowed, trailing data is
 * an error ("Extra data"), NaN / Infinity / -Infinity are accepted as floats (printed back as NaN,
 * Infinity, -Infinity), duplicate object keys keep the position of the first and the value of the
 * last. Returns a new tree (caller frees with cJSON_Delete) or NULL. On NULL, if err is non-NULL,
 * writes Python's JSONDecodeError text, e.g. "Expecting value: line 1 column 1 (char 0)", into err
 * (errlen bytes, always NUL-terminated); on OOM the text is "out of memory". text need not be
 * NUL-terminated.
 */
cJSON *ms_pyjson_parse(const char *text, size_t len, char *err, size_t errlen);

/*
 * Renders like json.dumps(v, separators=(",", ":"), ensure_ascii=False): compact, keys in tree
 * order, non-ASCII as raw UTF-8, control characters escaped as Python does. Returns a new
 * NUL-terminated string; caller frees with free(). NULL on OOM.
 */
char *ms_pyjson_print(const cJSON *item);

/* Writes Python's repr(v) for a float ("0.0", "0.1", "1.1e-05", "1e+16", "inf" -> see below) into
 * buf. Non-finite values are written as JSON-dumps spells them: "NaN", "Infinity", "-Infinity".
 * Returns the length written (excluding NUL), or -1 if buf is too small. */
int ms_pyfloat_repr(double v, char *buf, size_t len);

/* New number items (cJSON_Raw with Python text); caller owns them. NULL on OOM. */
cJSON *ms_pyjson_float(double v);
cJSON *ms_pyjson_int(long long v);

/* Adds a float / int member to obj; returns the new item (owned by obj) or NULL on OOM. */
cJSON *ms_pyjson_add_float(cJSON *obj, const char *key, double v);
cJSON *ms_pyjson_add_int(cJSON *obj, const char *key, long long v);

/* 1 if item is a number (a Raw number made here, or a cJSON number). */
int ms_pyjson_is_number(const cJSON *item);
/* 1 if item is a number that Python would hold as an int. */
int ms_pyjson_is_int(const cJSON *item);
/* The numeric value of a number item (0.0 if not a number). */
double ms_pyjson_number(const cJSON *item);

/* Python's type name of the value json.loads would produce: "dict", "list", "str", "int", "float",
 * "bool", "NoneType". Static string. */
const char *ms_pyjson_type_name(const cJSON *item);

/*
 * str(value) as Python prints it, e.g. in f"Unknown action: {action}": a string as its raw text,
 * None, True, False, 1, 1.0, [1, 'a', None], {'a': 1, 'b': [True]} (repr of the elements: strings
 * in quotes chosen like Python's repr). NULL item prints "None". Returns a new string; caller
 * frees.
 */
char *ms_pyjson_str(const cJSON *item);

/* Deep copy that keeps Raw numbers; caller frees with cJSON_Delete. NULL on OOM. */
cJSON *ms_pyjson_dup(const cJSON *item);

#endif
