/* ms_pyjson -- JSON exactly as the Python backend reads and writes it (json.loads / json.dumps). */
#include "ms_pyjson.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Reference: CPython 3.11, Lib/json/decoder.py and the C scanner in Modules/_json.c (the one
 * json.loads really uses), Objects/unicodeobject.c (str repr) and Python/pystrtod.c (float repr).
 *
 * Choices where cJSON cannot hold what Python holds (all strings here are NUL-terminated UTF-8):
 *  - U+0000 (only reachable through the escape \u0000) is stored as the two bytes C0 80 ("modified
 *    UTF-8"), so the rest of the string survives; ms_pyjson_print writes it back as \u0000 and the
 *    repr in ms_pyjson_str as \x00. ms_pyjson_str of a bare string copies C0 80 as is.
 *  - A lone surrogate (\ud800 without a low-surrogate escape after it, or a lone \udc00) is kept
 *    as its 3-byte UTF-8-like encoding (ED A0 80 ...), as Python keeps it in its str;
 *    ms_pyjson_print writes those bytes raw (Python would too, then fail to encode them) and
 *    the repr in ms_pyjson_str writes \ud800.
 *  - Nesting deeper than MAX_DEPTH fails with Python's RecursionError text.
 *  - repr() of non-ASCII: see nonprintable[] (unassigned code points are kept raw).
 *  - Numbers use the C library's strtod / snprintf, so LC_NUMERIC must be "C" (the default).
 */

#define MAX_DEPTH 1000      /* Python's default recursion limit; its real limit is a bit lower */
#define INT_MAX_DIGITS 4300 /* sys.int_info.default_max_str_digits */
#define HASH_FROM 16        /* objects with this many members find duplicate keys by hash */

/* ---- growing output buffer (sticky OOM flag, checked once at the end) ---- */

struct buf {
    char *data;
    size_t len, cap;
    int oom;
};

static int buf_reserve(struct buf *b, size_t more)
{
    if (b->oom)
        return -1;
    if (more < SIZE_MAX - b->len - 1 && b->len + more + 1 <= b->cap)
        return 0;
    if (more >= SIZE_MAX / 2 - b->len)
        goto fail;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *data = realloc(b->data, cap);
    if (!data)
        goto fail;
    b->data = data;
    b->cap = cap;
    return 0;
fail:
    b->oom = 1;
    return -1;
}

static void buf_put(struct buf *b, const char *s, size_t n)
{
    if (buf_reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

static void buf_putc(struct buf *b, char c)
{
    buf_put(b, &c, 1);
}

/* Returns the NUL-terminated text (caller frees), or NULL after an allocation failure. */
static char *buf_finish(struct buf *b)
{
    if (!b->oom && !buf_reserve(b, 0))
        return b->data;
    free(b->data);
    b->data = NULL;
    return NULL;
}

/* Appends code point cp as UTF-8; U+0000 as C0 80, surrogates as their 3-byte form. */
static void buf_put_cp(struct buf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp == 0) {
        u[0] = (char)0xC0;
        u[1] = (char)0x80;
        n = 2;
    } else if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    buf_put(b, u, n);
}

/* ---- float repr ---- */

int ms_pyfloat_repr(double v, char *buf, size_t len)
{
    char out[48];
    if (isnan(v)) {
        strcpy(out, "NaN");
    } else if (isinf(v)) {
        strcpy(out, v < 0 ? "-Infinity" : "Infinity");
    } else if (v == 0.0) {
        strcpy(out, signbit(v) ? "-0.0" : "0.0");
    } else {
        /* Shortest digit string that reads back as v: correctly rounded at 1..17 digits. */
        char sci[40];
        for (int prec = 0; prec <= 16; prec++) {
            snprintf(sci, sizeof sci, "%.*e", prec, v);
            if (strtod(sci, NULL) == v)
                break;
        }
        char digits[20];
        int nd = 0;
        const char *c = sci;
        int neg = *c == '-';
        if (neg)
            c++;
        for (; *c && *c != 'e'; c++)
            if (*c >= '0' && *c <= '9' && nd < (int)sizeof digits - 1)
                digits[nd++] = *c;
        int exp10 = *c == 'e' ? atoi(c + 1) : 0;
        while (nd > 1 && digits[nd - 1] == '0')
            nd--;
        digits[nd] = '\0';

        char *o = out;
        if (neg)
            *o++ = '-';
        if (exp10 < -4 || exp10 >= 16) {
            *o++ = digits[0];
            if (nd > 1) {
                *o++ = '.';
                memcpy(o, digits + 1, (size_t)nd - 1);
                o += nd - 1;
            }
            snprintf(o, sizeof out - (size_t)(o - out), "e%c%02d", exp10 < 0 ? '-' : '+',
                     exp10 < 0 ? -exp10 : exp10);
        } else if (exp10 < 0) {
            memcpy(o, "0.", 2);
            o += 2;
            for (int i = exp10 + 1; i < 0; i++)
                *o++ = '0';
            memcpy(o, digits, (size_t)nd + 1);
        } else {
            int point = exp10 + 1; /* digits before the decimal point */
            for (int i = 0; i < point; i++)
                *o++ = i < nd ? digits[i] : '0';
            *o++ = '.';
            if (point < nd) {
                memcpy(o, digits + point, (size_t)(nd - point));
                o += nd - point;
            } else {
                *o++ = '0';
            }
            *o = '\0';
        }
    }
    size_t n = strlen(out);
    if (!buf || n >= len)
        return -1;
    memcpy(buf, out, n + 1);
    return (int)n;
}

/* ---- number items ---- */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* 1 if t is an int text, 2 if a float text (Python's rendering, or NaN / Infinity), 0 otherwise. */
static int number_kind(const char *t)
{
    if (!t)
        return 0;
    if (!strcmp(t, "NaN") || !strcmp(t, "Infinity") || !strcmp(t, "-Infinity"))
        return 2;
    int is_float = 0;
    if (*t == '-')
        t++;
    if (!is_digit(*t))
        return 0;
    while (is_digit(*t))
        t++;
    if (*t == '.') {
        t++;
        if (!is_digit(*t))
            return 0;
        while (is_digit(*t))
            t++;
        is_float = 1;
    }
    if (*t == 'e' || *t == 'E') {
        t++;
        if (*t == '+' || *t == '-')
            t++;
        if (!is_digit(*t))
            return 0;
        while (is_digit(*t))
            t++;
        is_float = 1;
    }
    if (*t)
        return 0;
    return is_float ? 2 : 1;
}

/* A cJSON number is an int for Python when it is integral and exactly representable (< 2^53). */
static int double_is_int(double v)
{
    return isfinite(v) && v == floor(v) && fabs(v) < 9007199254740992.0;
}

int ms_pyjson_is_number(const cJSON *item)
{
    if (cJSON_IsNumber(item))
        return 1;
    return cJSON_IsRaw(item) && number_kind(item->valuestring) != 0;
}

int ms_pyjson_is_int(const cJSON *item)
{
    if (cJSON_IsNumber(item))
        return double_is_int(item->valuedouble);
    return cJSON_IsRaw(item) && number_kind(item->valuestring) == 1;
}

double ms_pyjson_number(const cJSON *item)
{
    if (cJSON_IsNumber(item))
        return item->valuedouble;
    if (!ms_pyjson_is_number(item))
        return 0.0;
    if (!strcmp(item->valuestring, "NaN"))
        return NAN;
    if (!strcmp(item->valuestring, "Infinity"))
        return INFINITY;
    if (!strcmp(item->valuestring, "-Infinity"))
        return -INFINITY;
    return strtod(item->valuestring, NULL);
}

cJSON *ms_pyjson_float(double v)
{
    char text[48];
    if (ms_pyfloat_repr(v, text, sizeof text) < 0)
        return NULL;
    return cJSON_CreateRaw(text);
}

cJSON *ms_pyjson_int(long long v)
{
    char text[32];
    snprintf(text, sizeof text, "%lld", v);
    return cJSON_CreateRaw(text);
}

static cJSON *add_member(cJSON *obj, const char *key, cJSON *item)
{
    if (!item)
        return NULL;
    if (!obj || !key || !cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        return NULL;
    }
    return item;
}

cJSON *ms_pyjson_add_float(cJSON *obj, const char *key, double v)
{
    return add_member(obj, key, ms_pyjson_float(v));
}

cJSON *ms_pyjson_add_int(cJSON *obj, const char *key, long long v)
{
    return add_member(obj, key, ms_pyjson_int(v));
}

const char *ms_pyjson_type_name(const cJSON *item)
{
    if (!item)
        return "NoneType";
    switch (item->type & 0xFF) {
    case cJSON_False:
    case cJSON_True:
        return "bool";
    case cJSON_NULL:
        return "NoneType";
    case cJSON_String:
        return "str";
    case cJSON_Array:
        return "list";
    case cJSON_Object:
        return "dict";
    case cJSON_Number:
    case cJSON_Raw:
        if (ms_pyjson_is_number(item))
            return ms_pyjson_is_int(item) ? "int" : "float";
        return "object"; /* a Raw item not made here: no Python type */
    }
    return "NoneType";
}

cJSON *ms_pyjson_dup(const cJSON *item)
{
    /* cJSON_Duplicate copies type and valuestring of every node, Raw included. */
    return cJSON_Duplicate(item, 1);
}

/* ---- parser ---- */

struct parser {
    const char *s;
    size_t len;
    char *err;
    size_t errlen;
};

static void set_error(struct parser *p, const char *msg)
{
    if (p->err && p->errlen)
        snprintf(p->err, p->errlen, "%s", msg);
}

/* msg + Python's ": line L column C (char N)", N counted in characters (code points), not bytes. */
static void set_error_at(struct parser *p, const char *msg, size_t pos)
{
    size_t chars = 0, line = 1, nl = 0;
    int seen_nl = 0;
    for (size_t i = 0; i < pos && i < p->len; i++) {
        unsigned char c = (unsigned char)p->s[i];
        if ((c & 0xC0) == 0x80)
            continue; /* UTF-8 continuation byte: same character */
        if (c == '\n') {
            line++;
            nl = chars;
            seen_nl = 1;
        }
        chars++;
    }
    size_t col = seen_nl ? chars - nl : chars + 1;
    if (p->err && p->errlen)
        snprintf(p->err, p->errlen, "%s: line %zu column %zu (char %zu)", msg, line, col, chars);
}

static void set_oom(struct parser *p)
{
    set_error(p, "out of memory");
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_ws(const struct parser *p, size_t idx)
{
    while (idx < p->len && is_ws(p->s[idx]))
        idx++;
    return idx;
}

static int hex4(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/*
 * Reads a string whose opening quote is at start - 1, as _json.c scanstring_unicode does; positions
 * are byte offsets (equal to Python's for every error below, see the comments). Returns the decoded
 * text (caller frees) and sets *next past the closing quote; NULL with the error set on failure.
 */
static char *scan_string(struct parser *p, size_t start, size_t *next)
{
    const char *s = p->s;
    size_t len = p->len, begin = start - 1, end = start;
    struct buf b = {0};
    for (;;) {
        size_t i = end;
        char c = 0;
        for (; i < len; i++) {
            c = s[i];
            if (c == '"' || c == '\\')
                break;
            if ((unsigned char)c < 0x20) {
                set_error_at(p, "Invalid control character at", i);
                goto fail;
            }
        }
        if (i >= len) {
            set_error_at(p, "Unterminated string starting at", begin);
            goto fail;
        }
        buf_put(&b, s + end, i - end);
        i++;
        if (c == '"') {
            end = i;
            break;
        }
        if (i == len) {
            set_error_at(p, "Unterminated string starting at", begin);
            goto fail;
        }
        c = s[i];
        if (c != 'u') {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            const char *e = c ? strchr(from, c) : NULL;
            if (!e) {
                set_error_at(p, "Invalid \\escape", i - 1);
                goto fail;
            }
            c = to[e - from];
            buf_putc(&b, c);
            end = i + 1;
            continue;
        }
        /* \uXXXX needs 4 hex digits and one more character after them (a quirk of _json.c); if the
         * 4 are hex they are ASCII, so counting bytes here gives Python's character count. */
        uint32_t cp, low;
        if (i + 5 >= len || hex4(s + i + 1, &cp)) {
            set_error_at(p, "Invalid \\uXXXX escape", i);
            goto fail;
        }
        end = i + 5;
        if (cp >= 0xD800 && cp <= 0xDBFF && end + 6 < len && s[end] == '\\' && s[end + 1] == 'u') {
            /* Where this reports bad digits, Python reports the same text and 'u' position. */
            if (hex4(s + end + 2, &low)) {
                set_error_at(p, "Invalid \\uXXXX escape", end + 1);
                goto fail;
            }
            if (low >= 0xDC00 && low <= 0xDFFF) {
                cp = 0x10000 + (((cp - 0xD800) << 10) | (low - 0xDC00));
                end += 6;
            }
        }
        buf_put_cp(&b, cp);
    }
    buf_put(&b, "", 0); /* an empty string still needs its buffer */
    char *text = buf_finish(&b);
    if (!text) {
        set_oom(p);
        return NULL;
    }
    *next = end;
    return text;
fail:
    free(b.data);
    return NULL;
}

/* Open-addressing set of an object's members by key, used once an object is large. */
struct keyset {
    cJSON **slot;
    size_t cap, used;
};

static size_t hash_key(const char *k)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 1099511628211ULL;
    return (size_t)h;
}

static cJSON *keyset_find(const struct keyset *ks, const char *key)
{
    for (size_t i = hash_key(key) & (ks->cap - 1);; i = (i + 1) & (ks->cap - 1)) {
        if (!ks->slot[i])
            return NULL;
        if (!strcmp(ks->slot[i]->string, key))
            return ks->slot[i];
    }
}

static int keyset_add(struct keyset *ks, cJSON *item)
{
    if ((ks->used + 1) * 2 > ks->cap) {
        size_t cap = ks->cap ? ks->cap * 2 : 64;
        cJSON **slot = calloc(cap, sizeof *slot);
        if (!slot)
            return -1;
        for (size_t j = 0; j < ks->cap; j++) {
            if (!ks->slot[j])
                continue;
            size_t i = hash_key(ks->slot[j]->string) & (cap - 1);
            while (slot[i])
                i = (i + 1) & (cap - 1);
            slot[i] = ks->slot[j];
        }
        free(ks->slot);
        ks->slot = slot;
        ks->cap = cap;
    }
    size_t i = hash_key(item->string) & (ks->cap - 1);
    while (ks->slot[i])
        i = (i + 1) & (ks->cap - 1);
    ks->slot[i] = item;
    ks->used++;
    return 0;
}

/* Moves val's content into the existing member old (which keeps its key and position), frees the
 * rest. */
static void replace_value(cJSON *old, cJSON *val)
{
    cJSON tmp = *old;
    old->type = val->type;
    old->valuestring = val->valuestring;
    old->valueint = val->valueint;
    old->valuedouble = val->valuedouble;
    old->child = val->child;
    val->type = tmp.type;
    val->valuestring = tmp.valuestring;
    val->child = tmp.child;
    cJSON_Delete(val);
}

static cJSON *scan_value(struct parser *p, size_t idx, size_t *next, int depth);

static cJSON *parse_object(struct parser *p, size_t idx, size_t *next, int depth)
{
    const char *s = p->s;
    size_t len = p->len;
    struct keyset ks = {0};
    char *key = NULL;
    cJSON *val = NULL;
    int count = 0;
    cJSON *obj = cJSON_CreateObject();
    if (!obj) {
        set_oom(p);
        return NULL;
    }
    idx = skip_ws(p, idx);
    if (idx >= len || s[idx] != '}') {
        for (;;) {
            if (idx >= len || s[idx] != '"') {
                set_error_at(p, "Expecting property name enclosed in double quotes", idx);
                goto fail;
            }
            key = scan_string(p, idx + 1, &idx);
            if (!key)
                goto fail;
            idx = skip_ws(p, idx);
            if (idx >= len || s[idx] != ':') {
                set_error_at(p, "Expecting ':' delimiter", idx);
                goto fail;
            }
            idx = skip_ws(p, idx + 1);
            val = scan_value(p, idx, &idx, depth + 1);
            if (!val)
                goto fail;

            cJSON *old = NULL;
            if (ks.cap) {
                old = keyset_find(&ks, key);
            } else {
                for (cJSON *m = obj->child; m && !old; m = m->next)
                    if (!strcmp(m->string, key))
                        old = m;
            }
            if (old) {
                replace_value(old, val); /* dict keeps the first position, the last value */
                val = NULL;
            } else {
                if (!cJSON_AddItemToObject(obj, key, val)) {
                    set_oom(p);
                    goto fail;
                }
                cJSON *added = val;
                val = NULL;
                int bad = 0;
                if (++count == HASH_FROM) {
                    for (cJSON *m = obj->child; m && !bad; m = m->next)
                        bad = keyset_add(&ks, m);
                } else if (ks.cap) {
                    bad = keyset_add(&ks, added);
                }
                if (bad) {
                    set_oom(p);
                    goto fail;
                }
            }
            free(key);
            key = NULL;

            idx = skip_ws(p, idx);
            if (idx < len && s[idx] == '}')
                break;
            if (idx >= len || s[idx] != ',') {
                set_error_at(p, "Expecting ',' delimiter", idx);
                goto fail;
            }
            idx = skip_ws(p, idx + 1);
        }
    }
    free(ks.slot);
    *next = idx + 1;
    return obj;
fail:
    free(ks.slot);
    free(key);
    cJSON_Delete(val);
    cJSON_Delete(obj);
    return NULL;
}

static cJSON *parse_array(struct parser *p, size_t idx, size_t *next, int depth)
{
    const char *s = p->s;
    size_t len = p->len;
    cJSON *arr = cJSON_CreateArray();
    if (!arr) {
        set_oom(p);
        return NULL;
    }
    idx = skip_ws(p, idx);
    if (idx >= len || s[idx] != ']') {
        for (;;) {
            cJSON *val = scan_value(p, idx, &idx, depth + 1);
            if (!val)
                goto fail;
            if (!cJSON_AddItemToArray(arr, val)) {
                cJSON_Delete(val);
                set_oom(p);
                goto fail;
            }
            idx = skip_ws(p, idx);
            if (idx < len && s[idx] == ']')
                break;
            if (idx >= len || s[idx] != ',') {
                set_error_at(p, "Expecting ',' delimiter", idx);
                goto fail;
            }
            idx = skip_ws(p, idx + 1);
        }
    }
    *next = idx + 1;
    return arr;
fail:
    cJSON_Delete(arr);
    return NULL;
}

/* A number as _json.c _match_number_unicode reads it (same as the regex
 * -?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?). */
static cJSON *scan_number(struct parser *p, size_t start, size_t *next)
{
    const char *s = p->s;
    size_t len = p->len, idx = start;
    int is_float = 0, neg = s[idx] == '-';
    char small[64], *text = small;
    cJSON *item = NULL;
    idx += (size_t)neg;
    if (idx < len && s[idx] >= '1' && s[idx] <= '9') {
        while (idx < len && is_digit(s[idx]))
            idx++;
    } else if (idx < len && s[idx] == '0') {
        idx++;
    } else {
        set_error_at(p, "Expecting value", start);
        return NULL;
    }
    size_t int_digits = idx - start - (size_t)neg;
    if (idx + 1 < len && s[idx] == '.' && is_digit(s[idx + 1])) {
        is_float = 1;
        idx += 2;
        while (idx < len && is_digit(s[idx]))
            idx++;
    }
    if (idx + 1 < len && (s[idx] == 'e' || s[idx] == 'E')) {
        size_t e_start = idx++;
        if (idx + 1 < len && (s[idx] == '-' || s[idx] == '+'))
            idx++;
        while (idx < len && is_digit(s[idx]))
            idx++;
        if (is_digit(s[idx - 1]))
            is_float = 1;
        else
            idx = e_start;
    }
    if (!is_float && int_digits > INT_MAX_DIGITS) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "Exceeds the limit (%d digits) for integer string conversion: value has %zu "
                 "digits; use sys.set_int_max_str_digits() to increase the limit",
                 INT_MAX_DIGITS, int_digits);
        set_error(p, msg);
        return NULL;
    }
    size_t n = idx - start;
    if (n >= sizeof small && !(text = malloc(n + 1)))
        goto fail;
    memcpy(text, s + start, n);
    text[n] = '\0';
    if (is_float) {
        char repr[48];
        ms_pyfloat_repr(strtod(text, NULL), repr, sizeof repr);
        item = cJSON_CreateRaw(repr);
    } else {
        item = cJSON_CreateRaw(!strcmp(text, "-0") ? "0" : text); /* int("-0") is 0 */
    }
    if (!item)
        goto fail;
    if (text != small)
        free(text);
    *next = idx;
    return item;
fail:
    if (text && text != small)
        free(text);
    set_oom(p);
    return NULL;
}

static int has_word(const struct parser *p, size_t idx, const char *word)
{
    size_t n = strlen(word);
    return idx + n <= p->len && !memcmp(p->s + idx, word, n);
}

static cJSON *scan_value(struct parser *p, size_t idx, size_t *next, int depth)
{
    cJSON *item = NULL;
    const char *raw = NULL;
    size_t n = 0;
    if (idx >= p->len) {
        set_error_at(p, "Expecting value", idx);
        return NULL;
    }
    switch (p->s[idx]) {
    case '"': {
        char *text = scan_string(p, idx + 1, next);
        if (!text)
            return NULL;
        item = cJSON_CreateString(text);
        free(text);
        if (!item)
            set_oom(p);
        return item;
    }
    case '{':
        if (depth >= MAX_DEPTH) {
            set_error(p, "maximum recursion depth exceeded while decoding a JSON object from a "
                         "unicode string");
            return NULL;
        }
        return parse_object(p, idx + 1, next, depth);
    case '[':
        if (depth >= MAX_DEPTH) {
            set_error(p, "maximum recursion depth exceeded while decoding a JSON array from a "
                         "unicode string");
            return NULL;
        }
        return parse_array(p, idx + 1, next, depth);
    case 'n':
        if (has_word(p, idx, "null")) {
            item = cJSON_CreateNull();
            n = 4;
        }
        break;
    case 't':
        if (has_word(p, idx, "true")) {
            item = cJSON_CreateTrue();
            n = 4;
        }
        break;
    case 'f':
        if (has_word(p, idx, "false")) {
            item = cJSON_CreateFalse();
            n = 5;
        }
        break;
    case 'N':
        if (has_word(p, idx, "NaN"))
            raw = "NaN";
        break;
    case 'I':
        if (has_word(p, idx, "Infinity"))
            raw = "Infinity";
        break;
    case '-':
        if (has_word(p, idx, "-Infinity"))
            raw = "-Infinity";
        break;
    }
    if (raw) {
        item = cJSON_CreateRaw(raw);
        n = strlen(raw);
    }
    if (n == 0)
        return scan_number(p, idx, next);
    if (!item) {
        set_oom(p);
        return NULL;
    }
    *next = idx + n;
    return item;
}

cJSON *ms_pyjson_parse(const char *text, size_t len, char *err, size_t errlen)
{
    struct parser p = {text ? text : "", text ? len : 0, err, errlen};
    size_t end = 0;
    if (err && errlen)
        err[0] = '\0';
    if (has_word(&p, 0, "\xEF\xBB\xBF")) { /* json.loads checks s.startswith('\ufeff') first */
        set_error_at(&p, "Unexpected UTF-8 BOM (decode using utf-8-sig)", 0);
        return NULL;
    }
    cJSON *root = scan_value(&p, skip_ws(&p, 0), &end, 0);
    if (!root)
        return NULL;
    end = skip_ws(&p, end);
    if (end != p.len) {
        set_error_at(&p, "Extra data", end);
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

/* ---- printer (json.dumps) ---- */

static void put_int_or_float(struct buf *b, double v, int python_repr)
{
    char text[48];
    if (double_is_int(v)) {
        snprintf(text, sizeof text, "%lld", (long long)v);
    } else if (python_repr && !isfinite(v)) {
        strcpy(text, isnan(v) ? "nan" : v < 0 ? "-inf" : "inf");
    } else {
        ms_pyfloat_repr(v, text, sizeof text);
    }
    buf_puts(b, text);
}

static void print_string(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    buf_putc(b, '"');
    for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
        size_t run = 0;
        while (c[run] >= 0x20 && c[run] != '"' && c[run] != '\\' && c[run] != 0xC0)
            run++;
        if (run) {
            buf_put(b, (const char *)c, run);
            c += run - 1;
            continue;
        }
        static const char special[] = "\"\\\n\r\t\b\f", letter[] = "\"\\nrtbf";
        const char *e = strchr(special, *c);
        if (e) {
            char esc[2] = {'\\', letter[e - special]};
            buf_put(b, esc, 2);
        } else if (*c == 0xC0 && c[1] == 0x80) { /* our encoding of U+0000 */
            buf_puts(b, "\\u0000");
            c++;
        } else if (*c < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[*c >> 4], hex[*c & 15]};
            buf_put(b, esc, sizeof esc);
        } else {
            buf_putc(b, (char)*c); /* a C0 that is not followed by 80 */
        }
    }
    buf_putc(b, '"');
}

static void print_value(struct buf *b, const cJSON *item)
{
    if (!item) {
        buf_puts(b, "null");
        return;
    }
    switch (item->type & 0xFF) {
    case cJSON_False:
        buf_puts(b, "false");
        break;
    case cJSON_True:
        buf_puts(b, "true");
        break;
    case cJSON_Number:
        put_int_or_float(b, item->valuedouble, 0);
        break;
    case cJSON_String:
        print_string(b, item->valuestring);
        break;
    case cJSON_Raw:
        buf_puts(b, item->valuestring ? item->valuestring : "null");
        break;
    case cJSON_Array:
    case cJSON_Object: {
        int is_obj = (item->type & 0xFF) == cJSON_Object;
        buf_putc(b, is_obj ? '{' : '[');
        for (const cJSON *m = item->child; m; m = m->next) {
            if (m != item->child)
                buf_putc(b, ',');
            if (is_obj) {
                print_string(b, m->string);
                buf_putc(b, ':');
            }
            print_value(b, m);
        }
        buf_putc(b, is_obj ? '}' : ']');
        break;
    }
    default:
        buf_puts(b, "null");
        break;
    }
}

char *ms_pyjson_print(const cJSON *item)
{
    struct buf b = {0};
    print_value(&b, item);
    return buf_finish(&b);
}

/* ---- str() / repr() ---- */

/*
 * Code points that str.isprintable() rejects although assigned (CPython 3.11, Unicode 14.0): Cc,
 * Cf, Zs other than space, Zl, Zp, Cs, Co. Unassigned code points (also not printable in Python)
 * are kept raw here: this table does not list them.
 */
static const uint32_t nonprintable[][2] = {
    {0x80, 0xA0},       {0xAD, 0xAD},       {0x600, 0x605},       {0x61C, 0x61C},
    {0x6DD, 0x6DD},     {0x70F, 0x70F},     {0x890, 0x891},       {0x8E2, 0x8E2},
    {0x1680, 0x1680},   {0x180E, 0x180E},   {0x2000, 0x200F},     {0x2028, 0x202F},
    {0x205F, 0x2064},   {0x2066, 0x206F},   {0x3000, 0x3000},     {0xD800, 0xF8FF},
    {0xFEFF, 0xFEFF},   {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD},   {0x110CD, 0x110CD},
    {0x13430, 0x13438}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A},   {0xE0001, 0xE0001},
    {0xE0020, 0xE007F}, {0xF0000, 0xFFFFD}, {0x100000, 0x10FFFD},
};

static int is_printable(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 0x20 && cp < 0x7F;
    for (size_t i = 0; i < sizeof nonprintable / sizeof nonprintable[0]; i++)
        if (cp >= nonprintable[i][0] && cp <= nonprintable[i][1])
            return 0;
    return 1;
}

/* Decodes one character (UTF-8, C0 80 as U+0000, surrogates in 3-byte form); -1 for a stray byte.
 */
static long decode_char(const unsigned char *s, size_t *adv)
{
    unsigned char c = s[0];
    int n = c < 0x80             ? 1
            : (c & 0xE0) == 0xC0 ? 2
            : (c & 0xF0) == 0xE0 ? 3
            : (c & 0xF8) == 0xF0 ? 4
                                 : 0;
    *adv = 1;
    if (n == 0)
        return -1;
    long cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    *adv = (size_t)n;
    return cp;
}

static void repr_string(struct buf *b, const char *text)
{
    const unsigned char *s = (const unsigned char *)(text ? text : "");
    char quote = '\'';
    if (strchr((const char *)s, '\'') && !strchr((const char *)s, '"'))
        quote = '"';
    buf_putc(b, quote);
    while (*s) {
        size_t adv;
        long cp = decode_char(s, &adv);
        char esc[16];
        if (cp < 0) {
            buf_putc(b, (char)*s); /* not UTF-8: copied as is */
        } else if (cp == quote || cp == '\\') {
            esc[0] = '\\';
            esc[1] = (char)cp;
            buf_put(b, esc, 2);
        } else if (cp == '\t') {
            buf_puts(b, "\\t");
        } else if (cp == '\n') {
            buf_puts(b, "\\n");
        } else if (cp == '\r') {
            buf_puts(b, "\\r");
        } else if (is_printable((uint32_t)cp)) {
            buf_put(b, (const char *)s, adv);
        } else {
            snprintf(esc, sizeof esc,
                     cp < 0x100     ? "\\x%02lx"
                     : cp < 0x10000 ? "\\u%04lx"
                                    : "\\U%08lx",
                     cp);
            buf_puts(b, esc);
        }
        s += adv;
    }
    buf_putc(b, quote);
}

static void repr_value(struct buf *b, const cJSON *item)
{
    if (!item) {
        buf_puts(b, "None");
        return;
    }
    switch (item->type & 0xFF) {
    case cJSON_False:
        buf_puts(b, "False");
        break;
    case cJSON_True:
        buf_puts(b, "True");
        break;
    case cJSON_Number:
        put_int_or_float(b, item->valuedouble, 1);
        break;
    case cJSON_String:
        repr_string(b, item->valuestring);
        break;
    case cJSON_Raw: {
        const char *t = item->valuestring ? item->valuestring : "None";
        if (!strcmp(t, "NaN"))
            t = "nan";
        else if (!strcmp(t, "Infinity"))
            t = "inf";
        else if (!strcmp(t, "-Infinity"))
            t = "-inf";
        buf_puts(b, t);
        break;
    }
    case cJSON_Array:
    case cJSON_Object: {
        int is_obj = (item->type & 0xFF) == cJSON_Object;
        buf_putc(b, is_obj ? '{' : '[');
        for (const cJSON *m = item->child; m; m = m->next) {
            if (m != item->child)
                buf_puts(b, ", ");
            if (is_obj) {
                repr_string(b, m->string);
                buf_puts(b, ": ");
            }
            repr_value(b, m);
        }
        buf_putc(b, is_obj ? '}' : ']');
        break;
    }
    default:
        buf_puts(b, "None");
        break;
    }
}

char *ms_pyjson_str(const cJSON *item)
{
    struct buf b = {0};
    if (cJSON_IsString(item))
        buf_puts(&b, item->valuestring ? item->valuestring : "");
    else
        repr_value(&b, item);
    return buf_finish(&b);
}
