/* ms_template -- placeholder substitution for scenario sends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ms_pyjson.h"
#include "ms_template.h"

/* The field at dotted path "a.b.c" of msg, or NULL. */
static const cJSON *msg_field(const cJSON *msg, const char *path, size_t n)
{
    const cJSON *cur = msg;
    while (cur && n) {
        const char *dot = memchr(path, '.', n);
        size_t k = dot ? (size_t)(dot - path) : n;
        char key[256];
        if (k >= sizeof(key) || !cJSON_IsObject(cur))
            return NULL;
        memcpy(key, path, k);
        key[k] = '\0';
        cur = cJSON_GetObjectItemCaseSensitive(cur, key);
        if (!dot)
            break;
        path = dot + 1;
        n -= k + 1;
    }
    return cur;
}

/* Writes the value of placeholder name[0..n) as text into a new string, or NULL if unknown. Sets
 * *num to the numeric value when it is a number. */
static char *value_of(const char *name, size_t n, const struct ms_tmpl_ctx *t, int *is_num,
                      double *num)
{
    char buf[64];
    *is_num = 0;
#define IS(lit) (n == sizeof(lit) - 1 && !strncmp(name, lit, n))
    if (IS("now"))
        return strdup(t->now ? t->now : "");
    if (IS("workflow_id"))
        return strdup(t->workflow_id ? t->workflow_id : "");
    if (IS("agent_name"))
        return strdup(t->agent_name ? t->agent_name : "");
    if (IS("client_id"))
        return strdup(t->client_id ? t->client_id : "");
    if (IS("path"))
        return strdup(t->path ? t->path : "");
    if (IS("msg"))
        return strdup(t->msg_text ? t->msg_text : "");
    double v;
    if (IS("attempt"))
        v = (double)t->attempt;
    else if (IS("conn"))
        v = (double)t->conn;
    else if (IS("seq"))
        v = (double)t->seq;
    else if (IS("iteration"))
        v = (double)t->iteration;
    else if (n > 4 && !strncmp(name, "msg.", 4)) {
        const cJSON *f = msg_field(t->msg, name + 4, n - 4);
        if (!f)
            return strdup("");
        if (cJSON_IsString(f))
            return strdup(f->valuestring);
        if (ms_pyjson_is_number(f)) {
            *is_num = 1;
            *num = ms_pyjson_number(f);
        }
        return ms_pyjson_print(f);
    } else
        return NULL;
#undef IS
    *is_num = 1;
    *num = v;
    snprintf(buf, sizeof(buf), "%.0f", v);
    return strdup(buf);
}

char *ms_template_string(const char *s, const struct ms_tmpl_ctx *t)
{
    size_t cap = strlen(s) + 64, len = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    const char *p = s;
    while (*p) {
        const char *open = strstr(p, "{{"), *close = open ? strstr(open + 2, "}}") : NULL;
        const char *stop = close ? open : p + strlen(p);
        char *val = NULL;
        int is_num;
        double num;
        if (close)
            val = value_of(open + 2, (size_t)(close - open - 2), t, &is_num, &num);
        size_t lit = (size_t)(stop - p) + (close && !val ? (size_t)(close + 2 - open) : 0);
        size_t vl = val ? strlen(val) : 0;
        if (len + lit + vl + 1 > cap) {
            cap = (len + lit + vl + 1) * 2;
            char *n = realloc(out, cap);
            if (!n) {
                free(out);
                free(val);
                return NULL;
            }
            out = n;
        }
        memcpy(out + len, p, lit);
        len += lit;
        if (val)
            memcpy(out + len, val, vl);
        len += vl;
        free(val);
        p = close ? close + 2 : stop;
    }
    out[len] = '\0';
    return out;
}

/* A string that is exactly one placeholder: its typed value, or NULL to treat it as text. */
static cJSON *typed_value(const char *s, const struct ms_tmpl_ctx *t)
{
    size_t n = strlen(s);
    if (n < 5 || strncmp(s, "{{", 2) || strcmp(s + n - 2, "}}") || strstr(s + 2, "{{") ||
        strstr(s + 2, "}}") != s + n - 2)
        return NULL;
    const char *name = s + 2;
    size_t k = n - 4;
    if (k > 4 && !strncmp(name, "msg.", 4)) {
        const cJSON *f = msg_field(t->msg, name + 4, k - 4);
        if (f && !cJSON_IsString(f))
            return ms_pyjson_dup(f);
        return NULL;
    }
    int is_num;
    double num;
    char *v = value_of(name, k, t, &is_num, &num);
    free(v);
    return is_num ? ms_pyjson_int((long long)num) : NULL;
}

cJSON *ms_template_value(const cJSON *v, const struct ms_tmpl_ctx *t)
{
    if (cJSON_IsString(v)) {
        cJSON *typed = typed_value(v->valuestring, t);
        if (typed)
            return typed;
        char *s = ms_template_string(v->valuestring, t);
        cJSON *out = s ? cJSON_CreateString(s) : NULL;
        free(s);
        return out;
    }
    if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
        return ms_pyjson_dup(v);
    cJSON *out = cJSON_IsObject(v) ? cJSON_CreateObject() : cJSON_CreateArray();
    for (const cJSON *m = v->child; out && m; m = m->next) {
        cJSON *c = ms_template_value(m, t);
        if (!c) {
            cJSON_Delete(out);
            return NULL;
        }
        if (cJSON_IsObject(v))
            cJSON_AddItemToObject(out, m->string, c);
        else
            cJSON_AddItemToArray(out, c);
    }
    return out;
}
