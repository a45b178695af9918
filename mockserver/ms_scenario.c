/* ms_scenario -- loads a scenario file: JSON syntax, then every rule of FORMAT.md, every problem
 * reported with where it is. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ms_coord.h"
#include "ms_emit.h"
#include "ms_pyjson.h"
#include "ms_scenario.h"

/* ---- diagnostics ---- */

void ms_diag_add_raw(struct ms_diag *d, const char *line)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        char **n = realloc(d->lines, cap * sizeof(*n));
        if (!n)
            return;
        d->lines = n;
        d->cap = cap;
    }
    char *copy = strdup(line);
    if (copy)
        d->lines[d->n++] = copy;
}

void ms_diag_add(struct ms_diag *d, const char *where, const char *fmt, ...)
{
    char msg[768], line[1400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (where)
        snprintf(line, sizeof(line), "%s: %s: %s", d->origin ? d->origin : "<scenario>", where,
                 msg);
    else
        snprintf(line, sizeof(line), "%s: %s", d->origin ? d->origin : "<scenario>", msg);
    ms_diag_add_raw(d, line);
}

void ms_diag_free(struct ms_diag *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->lines[i]);
    free(d->lines);
    d->lines = NULL;
    d->n = d->cap = 0;
}

/* ---- small matchers used by the engine too ---- */

int ms_path_match(const char *pattern, const char *path)
{
    size_t n = strlen(pattern);
    if (n && pattern[n - 1] == '*')
        return !strncmp(pattern, path, n - 1);
    return !strcmp(pattern, path);
}

int ms_attempts_match(const struct ms_attempts *a, unsigned long attempt)
{
    switch (a->kind) {
    case MS_ATT_ALL:
        return 1;
    case MS_ATT_RANGE:
        return (long)attempt >= a->from && (a->to < 0 || (long)attempt <= a->to);
    case MS_ATT_EVERY:
        return attempt % (unsigned long)a->every == 0;
    }
    return 0;
}

static int origin_match(const char *want, const char *origin)
{
    int has = origin && origin[0];
    if (!want)
        return 1;
    if (!strcmp(want, "present"))
        return has;
    if (!strcmp(want, "absent"))
        return !has;
    return has && ms_path_match(want, origin);
}

const struct ms_rule *ms_scenario_match(const struct ms_scenario *s, const char *path,
                                        unsigned long attempt, int *index)
{
    return ms_scenario_match_origin(s, path, attempt, NULL, index);
}

const struct ms_rule *ms_scenario_match_origin(const struct ms_scenario *s, const char *path,
                                               unsigned long attempt, const char *origin,
                                               int *index)
{
    for (size_t i = 0; s && i < s->n_rules; i++) {
        if (ms_path_match(s->rules[i].path, path) &&
            ms_attempts_match(&s->rules[i].attempts, attempt) &&
            origin_match(s->rules[i].origin, origin)) {
            if (index)
                *index = (int)i;
            return &s->rules[i];
        }
    }
    if (index)
        *index = -1;
    return NULL;
}

/* Python's == on JSON values: numbers by value (1 == 1.0), arrays element by element, objects by
 * their members regardless of order. */
static int json_equal(const cJSON *a, const cJSON *b)
{
    if (ms_pyjson_is_number(a) || ms_pyjson_is_number(b))
        return ms_pyjson_is_number(a) && ms_pyjson_is_number(b) &&
               ms_pyjson_number(a) == ms_pyjson_number(b);
    if (cJSON_IsArray(a) || cJSON_IsArray(b)) {
        if (!cJSON_IsArray(a) || !cJSON_IsArray(b))
            return 0;
        const cJSON *x = a->child, *y = b->child;
        for (; x && y; x = x->next, y = y->next)
            if (!json_equal(x, y))
                return 0;
        return !x && !y;
    }
    if (cJSON_IsObject(a) || cJSON_IsObject(b)) {
        if (!cJSON_IsObject(a) || !cJSON_IsObject(b) ||
            cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
            return 0;
        for (const cJSON *m = b->child; m; m = m->next)
            if (!json_equal(cJSON_GetObjectItemCaseSensitive(a, m->string), m))
                return 0;
        return 1;
    }
    return a && b && cJSON_Compare(a, b, 1);
}

int ms_json_contains(const cJSON *msg, const cJSON *subset)
{
    if (cJSON_IsObject(subset)) {
        if (!cJSON_IsObject(msg))
            return 0;
        for (const cJSON *m = subset->child; m; m = m->next)
            if (!ms_json_contains(cJSON_GetObjectItemCaseSensitive(msg, m->string), m))
                return 0;
        return 1;
    }
    return msg && json_equal(msg, subset);
}

long long ms_scale_ms(long long ms, double scale)
{
    double v = (double)ms * scale;
    return v <= 0 ? 0 : (long long)llround(v);
}

/* ---- the loader ---- */

struct loader {
    struct ms_diag *d;
    struct ms_scenario *s;
    int oom;
};

/* Where-path building: child paths live in caller-owned buffers. */
#define WHERE_MAX 512
static void at_key(char *out, const char *where, const char *key)
{
    if (snprintf(out, WHERE_MAX, "%s.%s", where, key) >= WHERE_MAX)
        strcpy(out + WHERE_MAX - 4, "...");
}
static void at_index(char *out, const char *where, size_t i)
{
    if (snprintf(out, WHERE_MAX, "%s[%zu]", where, i) >= WHERE_MAX)
        strcpy(out + WHERE_MAX - 4, "...");
}

static const char *json_type(const cJSON *v)
{
    if (cJSON_IsString(v))
        return "a string";
    if (ms_pyjson_is_number(v))
        return "a number";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsArray(v))
        return "an array";
    return "an object";
}

/* Reports every key of obj that is not in allowed (NULL-terminated). */
static void check_keys(struct loader *L, const cJSON *obj, const char *where,
                       const char *const *allowed)
{
    for (const cJSON *m = obj->child; m; m = m->next) {
        const char *const *a = allowed;
        while (*a && strcmp(*a, m->string))
            a++;
        if (!*a) {
            char list[400] = "";
            for (a = allowed; *a; a++)
                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
                         a == allowed ? "" : ", ", *a);
            ms_diag_add(L->d, where, "unknown key \"%s\" (expected %s)", m->string, list);
        }
    }
}

static const cJSON *member(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* An integer member in [min, max]. Returns 1 if present and valid, 0 if absent (required: an
 * error), -1 if invalid (reported). */
static int get_int(struct loader *L, const cJSON *obj, const char *key, const char *where,
                   long long min, long long max, int required, long long *out)
{
    const cJSON *v = member(obj, key);
    char w[WHERE_MAX];
    at_key(w, where, key);
    if (!v) {
        if (required)
            ms_diag_add(L->d, where, "missing key \"%s\"", key);
        return required ? -1 : 0;
    }
    if (!ms_pyjson_is_int(v)) {
        ms_diag_add(L->d, w, "must be an integer, not %s", json_type(v));
        return -1;
    }
    double d = ms_pyjson_number(v);
    if (d < (double)min || d > (double)max) {
        ms_diag_add(L->d, w, "%.0f is out of range (%lld to %lld)", d, min, max);
        return -1;
    }
    *out = (long long)d;
    return 1;
}

static int get_str(struct loader *L, const cJSON *obj, const char *key, const char *where,
                   int required, const char **out)
{
    const cJSON *v = member(obj, key);
    char w[WHERE_MAX];
    at_key(w, where, key);
    if (!v) {
        if (required)
            ms_diag_add(L->d, where, "missing key \"%s\"", key);
        return required ? -1 : 0;
    }
    if (!cJSON_IsString(v)) {
        ms_diag_add(L->d, w, "must be a string, not %s", json_type(v));
        return -1;
    }
    *out = v->valuestring;
    return 1;
}

static int get_bool(struct loader *L, const cJSON *obj, const char *key, const char *where,
                    int *out)
{
    const cJSON *v = member(obj, key);
    char w[WHERE_MAX];
    at_key(w, where, key);
    if (!v)
        return 0;
    if (!cJSON_IsBool(v)) {
        ms_diag_add(L->d, w, "must be true or false, not %s", json_type(v));
        return -1;
    }
    *out = cJSON_IsTrue(v);
    return 1;
}

/* A `true` flag (the verb of drop, stall, ...): anything else is an error. */
static void require_true(struct loader *L, const cJSON *v, const char *where)
{
    if (!cJSON_IsTrue(v))
        ms_diag_add(L->d, where, "must be true");
}

static int valid_path_pattern(const char *p)
{
    if (!strcmp(p, "*"))
        return 1;
    if (p[0] != '/')
        return 0;
    const char *star = strchr(p, '*');
    return !star || star[1] == '\0';
}

static void get_path(struct loader *L, const cJSON *obj, const char *where, int required,
                     const char **out)
{
    const char *p = NULL;
    if (get_str(L, obj, "path", where, required, &p) == 1) {
        char w[WHERE_MAX];
        at_key(w, where, "path");
        if (!valid_path_pattern(p))
            ms_diag_add(L->d, w,
                        "bad path pattern \"%s\" (expected \"/exact/path\", \"/prefix/*\" or "
                        "\"*\")",
                        p);
        *out = p;
    }
}

/* ---- templates ---- */

enum tmpl_scope { TMPL_CONN, TMPL_REPLY, TMPL_TIMELINE, TMPL_REFUSE };

static int placeholder_ok(const char *name, size_t n, enum tmpl_scope scope)
{
    static const char *const conn_names[] = {"now",       "workflow_id", "agent_name", "client_id",
                                             "path",      "attempt",     "conn",       "seq",
                                             "iteration", NULL};
    static const char *const timeline_names[] = {"now", "seq", "iteration", NULL};
    static const char *const refuse_names[] = {"now", "path", "attempt", NULL};
    if (scope == TMPL_REPLY &&
        ((n == 3 && !strncmp(name, "msg", 3)) || (n > 4 && !strncmp(name, "msg.", 4))))
        return 1;
    const char *const *list = scope == TMPL_TIMELINE ? timeline_names
                              : scope == TMPL_REFUSE ? refuse_names
                                                     : conn_names;
    for (; *list; list++)
        if (strlen(*list) == n && !strncmp(*list, name, n))
            return 1;
    return 0;
}

static void check_template(struct loader *L, const char *s, const char *where,
                           enum tmpl_scope scope)
{
    for (const char *p = strstr(s, "{{"); p; p = strstr(p, "{{")) {
        const char *end = strstr(p + 2, "}}");
        if (!end) {
            ms_diag_add(L->d, where, "unclosed placeholder \"%.40s\"", p);
            return;
        }
        size_t n = (size_t)(end - p - 2);
        if (!placeholder_ok(p + 2, n, scope)) {
            int is_msg =
                (n == 3 && !strncmp(p + 2, "msg", 3)) || (n > 4 && !strncmp(p + 2, "msg.", 4));
            if (is_msg && scope != TMPL_REPLY)
                ms_diag_add(L->d, where, "placeholder {{%.*s}} is only available in replies",
                            (int)n, p + 2);
            else
                ms_diag_add(L->d, where, "unknown placeholder {{%.*s}}", (int)n, p + 2);
        }
        p = end + 2;
    }
}

static void check_template_value(struct loader *L, const cJSON *v, const char *where,
                                 enum tmpl_scope scope)
{
    if (cJSON_IsString(v)) {
        check_template(L, v->valuestring, where, scope);
        return;
    }
    size_t i = 0;
    for (const cJSON *m = v->child; m; m = m->next, i++) {
        char w[WHERE_MAX];
        if (cJSON_IsObject(v))
            at_key(w, where, m->string);
        else
            at_index(w, where, i);
        check_template_value(L, m, w, scope);
    }
}

/* ---- steps ---- */

static const char *const step_verbs[] = {
    "send",   "send_text",   "emit",       "wait_ms",           "close",           "drop",
    "stall",  "send_binary", "send_bytes", "send_invalid_utf8", "send_fragmented", "ws_ping",
    "repeat", "mark",        NULL};

static int b64_val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

/* Decodes base64 (standard or URL alphabet, padding optional). Returns 0 or -1. */
static int b64_decode(const char *s, unsigned char **out, size_t *outlen)
{
    size_t n = strlen(s);
    while (n && s[n - 1] == '=')
        n--;
    unsigned char *buf = malloc(n * 3 / 4 + 3);
    if (!buf)
        return -1;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_val((unsigned char)s[i]);
        if (v < 0) {
            free(buf);
            return -1;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits);
        }
    }
    *out = buf;
    *outlen = o;
    return 0;
}

/* The one verb of a step or event object (the first key of verbs it holds), or NULL after
 * reporting none or two ("step"/"event" names the kind in the message). */
static const char *find_verb(struct loader *L, const cJSON *o, const char *where,
                             const char *const *verbs, const char *kind)
{
    const char *verb = NULL;
    for (const char *const *v = verbs; *v; v++) {
        if (!member(o, *v))
            continue;
        if (verb) {
            ms_diag_add(L->d, where, "more than one %s verb: \"%s\" and \"%s\"", kind, verb, *v);
            return NULL;
        }
        verb = *v;
    }
    if (!verb) {
        char list[400] = "";
        for (const char *const *v = verbs; *v; v++)
            snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
                     v == verbs ? "" : ", ", *v);
        ms_diag_add(L->d, where, "unknown %s (expected one of %s)", kind, list);
    }
    return verb;
}

static int parse_steps(struct loader *L, const cJSON *arr, const char *where, enum tmpl_scope scope,
                       struct ms_steps *out);

/* 1 if the steps (recursively) contain a wait of at least 1 ms. */
static int steps_wait(const struct ms_steps *st)
{
    for (size_t i = 0; i < st->n; i++) {
        if ((st->v[i].kind == MS_STEP_WAIT && st->v[i].ms > 0) ||
            (st->v[i].kind == MS_STEP_STALL) ||
            (st->v[i].kind == MS_STEP_REPEAT && st->v[i].body && steps_wait(st->v[i].body)))
            return 1;
    }
    return 0;
}

static void parse_step(struct loader *L, const cJSON *o, const char *where, enum tmpl_scope scope,
                       struct ms_step *st)
{
    if (!cJSON_IsObject(o)) {
        ms_diag_add(L->d, where, "a step must be an object, not %s", json_type(o));
        return;
    }
    const char *verb = find_verb(L, o, where, step_verbs, "step");
    if (!verb)
        return;
    const cJSON *v = member(o, verb);
    char w[WHERE_MAX];
    at_key(w, where, verb);
    long long n;
    if (!strcmp(verb, "send")) {
        st->kind = MS_STEP_SEND;
        st->value = v;
        check_keys(L, o, where, (const char *const[]){"send", NULL});
        check_template_value(L, v, w, scope);
    } else if (!strcmp(verb, "send_text") || !strcmp(verb, "mark") || !strcmp(verb, "ws_ping")) {
        st->kind = !strcmp(verb, "send_text") ? MS_STEP_SEND_TEXT
                   : !strcmp(verb, "mark")    ? MS_STEP_MARK
                                              : MS_STEP_WS_PING;
        check_keys(L, o, where, (const char *const[]){verb, NULL});
        if (!cJSON_IsString(v)) {
            ms_diag_add(L->d, w, "must be a string, not %s", json_type(v));
            return;
        }
        if (st->kind == MS_STEP_WS_PING && strlen(v->valuestring) > 125)
            ms_diag_add(L->d, w, "a ping payload is at most 125 bytes, not %zu",
                        strlen(v->valuestring));
        else if (st->kind != MS_STEP_WS_PING)
            check_template(L, v->valuestring, w, scope);
        st->text = strdup(v->valuestring);
    } else if (!strcmp(verb, "emit")) {
        st->kind = MS_STEP_EMIT;
        st->value = o;
        if (!cJSON_IsString(v)) {
            ms_diag_add(L->d, w, "must be a kind name (a string), not %s", json_type(v));
            return;
        }
        snprintf(st->emit_kind, sizeof(st->emit_kind), "%s", v->valuestring);
        if (!ms_emit_known(v->valuestring, NULL)) {
            ms_diag_add(L->d, w,
                        "unknown kind \"%s\" (expected progress, agent_status, "
                        "coordinator_metrics, error, error_reply, status, info, welcome, "
                        "heartbeat, pong)",
                        v->valuestring);
            return;
        }
        get_str(L, o, "room", where, 0, &st->room);
        char err[256];
        if (ms_emit_check(v->valuestring, o, (const char *const[]){"emit", "room", NULL}, 1, err,
                          sizeof(err)))
            ms_diag_add(L->d, where, "%s", err);
        if (st->room && !strcmp(v->valuestring, "welcome"))
            ms_diag_add(L->d, where, "a welcome cannot go to a room");
        for (const cJSON *m = o->child; m; m = m->next) {
            char wm[WHERE_MAX];
            at_key(wm, where, m->string);
            if (strcmp(m->string, "emit"))
                check_template_value(L, m, wm, scope);
        }
    } else if (!strcmp(verb, "wait_ms")) {
        st->kind = MS_STEP_WAIT;
        check_keys(L, o, where, (const char *const[]){"wait_ms", NULL});
        if (get_int(L, o, "wait_ms", where, 0, 86400000LL, 1, &n) == 1)
            st->ms = n;
    } else if (!strcmp(verb, "close")) {
        st->kind = MS_STEP_CLOSE;
        check_keys(L, o, where, (const char *const[]){"close", "reason", NULL});
        if (get_int(L, o, "close", where, 1000, 4999, 1, &n) == 1) {
            if (n == 1004 || n == 1005 || n == 1006 || n == 1015)
                ms_diag_add(L->d, w, "%lld cannot be sent in a close frame (RFC 6455 7.4.1)", n);
            st->code = (int)n;
        }
        const char *reason = "";
        get_str(L, o, "reason", where, 0, &reason);
        if (strlen(reason) > 123)
            ms_diag_add(L->d, where, "a close reason is at most 123 bytes, not %zu",
                        strlen(reason));
        char wr[WHERE_MAX];
        at_key(wr, where, "reason");
        check_template(L, reason, wr, scope);
        st->text = strdup(reason);
    } else if (!strcmp(verb, "drop")) {
        st->kind = MS_STEP_DROP;
        check_keys(L, o, where, (const char *const[]){"drop", NULL});
        require_true(L, v, w);
    } else if (!strcmp(verb, "stall")) {
        st->kind = MS_STEP_STALL;
        check_keys(L, o, where, (const char *const[]){"stall", "for_ms", NULL});
        require_true(L, v, w);
        st->ms = -1;
        if (get_int(L, o, "for_ms", where, 1, 86400000LL, 0, &n) == 1)
            st->ms = n;
    } else if (!strcmp(verb, "send_binary") || !strcmp(verb, "send_bytes")) {
        st->kind = MS_STEP_SEND_BYTES;
        st->binary = 1;
        if (!strcmp(verb, "send_bytes")) {
            check_keys(L, o, where, (const char *const[]){"send_bytes", "opcode", NULL});
            const char *op = NULL;
            if (get_str(L, o, "opcode", where, 1, &op) == 1) {
                if (strcmp(op, "text") && strcmp(op, "binary"))
                    ms_diag_add(L->d, where, "opcode must be \"text\" or \"binary\", not \"%s\"",
                                op);
                st->binary = strcmp(op, "text") != 0;
            }
        } else {
            check_keys(L, o, where, (const char *const[]){"send_binary", NULL});
        }
        if (!cJSON_IsString(v))
            ms_diag_add(L->d, w, "must be base64 text, not %s", json_type(v));
        else if (b64_decode(v->valuestring, &st->bytes, &st->nbytes))
            ms_diag_add(L->d, w, "is not valid base64");
    } else if (!strcmp(verb, "send_invalid_utf8")) {
        static const unsigned char bad[] = "{\"type\":\"\xc3\x28\"}";
        st->kind = MS_STEP_SEND_BYTES;
        check_keys(L, o, where, (const char *const[]){"send_invalid_utf8", NULL});
        require_true(L, v, w);
        st->nbytes = sizeof(bad) - 1;
        st->bytes = malloc(st->nbytes);
        if (st->bytes)
            memcpy(st->bytes, bad, st->nbytes);
        else
            L->oom = 1;
    } else if (!strcmp(verb, "send_fragmented")) {
        st->kind = MS_STEP_SEND_FRAGMENTED;
        st->value = v;
        check_keys(L, o, where, (const char *const[]){"send_fragmented", "fragments", NULL});
        check_template_value(L, v, w, scope);
        if (get_int(L, o, "fragments", where, 2, 64, 1, &n) == 1)
            st->count = n;
    } else { /* repeat */
        st->kind = MS_STEP_REPEAT;
        check_keys(L, o, where, (const char *const[]){"repeat", "steps", NULL});
        if (cJSON_IsString(v) && !strcmp(v->valuestring, "forever"))
            st->count = -1;
        else if (ms_pyjson_is_int(v) && ms_pyjson_number(v) >= 1 && ms_pyjson_number(v) <= 1000000)
            st->count = (long long)ms_pyjson_number(v);
        else
            ms_diag_add(L->d, w, "must be a count from 1 to 1000000 or \"forever\"");
        const cJSON *body = member(o, "steps");
        char wb[WHERE_MAX];
        at_key(wb, where, "steps");
        if (!body) {
            ms_diag_add(L->d, where, "missing key \"steps\"");
            return;
        }
        st->body = calloc(1, sizeof(*st->body));
        if (!st->body) {
            L->oom = 1;
            return;
        }
        if (parse_steps(L, body, wb, scope, st->body) == 0 && st->count < 0 &&
            !steps_wait(st->body))
            ms_diag_add(L->d, wb,
                        "a \"forever\" block must wait (wait_ms > 0 or stall), or it would never "
                        "let the server run");
    }
}

/* Returns 0 if arr was an array (its problems, if any, reported), -1 if it was not one. */
static int parse_steps(struct loader *L, const cJSON *arr, const char *where, enum tmpl_scope scope,
                       struct ms_steps *out)
{
    if (!cJSON_IsArray(arr)) {
        ms_diag_add(L->d, where, "must be an array of steps, not %s", json_type(arr));
        return -1;
    }
    size_t n = (size_t)cJSON_GetArraySize(arr);
    out->v = n ? calloc(n, sizeof(*out->v)) : NULL;
    if (n && !out->v) {
        L->oom = 1;
        return -1;
    }
    out->n = n;
    size_t i = 0;
    for (const cJSON *o = arr->child; o; o = o->next, i++) {
        char w[WHERE_MAX];
        at_index(w, where, i);
        parse_step(L, o, w, scope, &out->v[i]);
    }
    return 0;
}

static void free_steps(struct ms_steps *st)
{
    for (size_t i = 0; i < st->n; i++) {
        free(st->v[i].text);
        free(st->v[i].bytes);
        if (st->v[i].body) {
            free_steps(st->v[i].body);
            free(st->v[i].body);
        }
    }
    free(st->v);
    st->v = NULL;
    st->n = 0;
}

/* ---- replies ---- */

static void parse_reply(struct loader *L, const cJSON *o, const char *where, struct ms_reply *r)
{
    if (!cJSON_IsObject(o)) {
        ms_diag_add(L->d, where, "a reply must be an object, not %s", json_type(o));
        return;
    }
    check_keys(L, o, where,
               (const char *const[]){"match", "type", "regex", "path", "times", "also_profile",
                                     "do", NULL});
    int kinds = !!member(o, "match") + !!member(o, "type") + !!member(o, "regex");
    if (kinds != 1)
        ms_diag_add(L->d, where, "a reply needs exactly one of \"match\", \"type\", \"regex\"");
    const cJSON *m = member(o, "match");
    char w[WHERE_MAX];
    if (m) {
        r->match = MS_MATCH_SUBSET;
        r->subset = m;
        if (!cJSON_IsObject(m)) {
            at_key(w, where, "match");
            ms_diag_add(L->d, w, "must be an object, not %s", json_type(m));
        }
    } else if (member(o, "type")) {
        r->match = MS_MATCH_TYPE;
        get_str(L, o, "type", where, 1, &r->type);
    } else if (member(o, "regex")) {
        const char *re = NULL;
        r->match = MS_MATCH_REGEX;
        if (get_str(L, o, "regex", where, 1, &re) == 1) {
            int rc = regcomp(&r->re, re, REG_EXTENDED | REG_NOSUB);
            if (rc) {
                char msg[200];
                regerror(rc, &r->re, msg, sizeof(msg));
                at_key(w, where, "regex");
                ms_diag_add(L->d, w, "bad regular expression \"%s\": %s", re, msg);
            } else {
                r->have_re = 1;
            }
        }
    }
    get_path(L, o, where, 0, &r->path);
    long long n;
    if (get_int(L, o, "times", where, 1, 1000000000LL, 0, &n) == 1)
        r->times = n;
    get_bool(L, o, "also_profile", where, &r->also_profile);
    const cJSON *steps = member(o, "do");
    if (!steps) {
        ms_diag_add(L->d, where, "missing key \"do\"");
        return;
    }
    at_key(w, where, "do");
    parse_steps(L, steps, w, TMPL_REPLY, &r->steps);
}

static void parse_replies(struct loader *L, const cJSON *arr, const char *where,
                          struct ms_replies *out)
{
    if (!arr)
        return;
    if (!cJSON_IsArray(arr)) {
        ms_diag_add(L->d, where, "must be an array of replies, not %s", json_type(arr));
        return;
    }
    size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
    out->v = n ? calloc(n, sizeof(*out->v)) : NULL;
    if (n && !out->v) {
        L->oom = 1;
        return;
    }
    out->n = n;
    for (const cJSON *o = arr->child; o; o = o->next, i++) {
        char w[WHERE_MAX];
        at_index(w, where, i);
        parse_reply(L, o, w, &out->v[i]);
    }
}

static void free_replies(struct ms_replies *r)
{
    for (size_t i = 0; i < r->n; i++) {
        if (r->v[i].have_re)
            regfree(&r->v[i].re);
        free_steps(&r->v[i].steps);
    }
    free(r->v);
}

/* ---- connection rules ---- */

static int parse_long(const char *s, const char **end, long *out)
{
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *e;
    long v = strtol(s, &e, 10);
    if (errno || v < 1 || v > 1000000000L)
        return -1;
    *out = v;
    *end = e;
    return 0;
}

static void parse_attempts(struct loader *L, const cJSON *v, const char *where,
                           struct ms_attempts *a)
{
    a->kind = MS_ATT_ALL;
    if (!v)
        return;
    if (ms_pyjson_is_int(v)) {
        double d = ms_pyjson_number(v);
        if (d < 1 || d > 1e9) {
            ms_diag_add(L->d, where, "attempt numbers start at 1, not %.0f", d);
            return;
        }
        *a = (struct ms_attempts){.kind = MS_ATT_RANGE, .from = (long)d, .to = (long)d};
        return;
    }
    if (!cJSON_IsString(v)) {
        ms_diag_add(L->d, where,
                    "must be an attempt number or a string like \"1-3\", \"4-\", \"every 2\", "
                    "not %s",
                    json_type(v));
        return;
    }
    const char *s = v->valuestring, *e;
    long from = 0, to = 0;
    if (!strncmp(s, "every ", 6)) {
        if (parse_long(s + 6, &e, &from) || *e)
            ms_diag_add(L->d, where, "bad attempt set \"%s\" (\"every N\" needs N >= 1)", s);
        *a = (struct ms_attempts){.kind = MS_ATT_EVERY, .every = from > 0 ? from : 1};
        return;
    }
    if (parse_long(s, &e, &from)) {
        ms_diag_add(L->d, where,
                    "bad attempt set \"%s\" (expected \"3\", \"1-3\", \"4-\" or \"every 2\"; "
                    "attempts start at 1)",
                    s);
        return;
    }
    if (!*e) {
        *a = (struct ms_attempts){.kind = MS_ATT_RANGE, .from = from, .to = from};
    } else if (*e == '-' && !e[1]) {
        *a = (struct ms_attempts){.kind = MS_ATT_RANGE, .from = from, .to = -1};
    } else if (*e == '-' && !parse_long(e + 1, &e, &to) && !*e) {
        if (to < from)
            ms_diag_add(L->d, where, "impossible range \"%s\" (the end is before the start)", s);
        *a = (struct ms_attempts){.kind = MS_ATT_RANGE, .from = from, .to = to};
    } else {
        ms_diag_add(L->d, where,
                    "bad attempt set \"%s\" (expected \"3\", \"1-3\", \"4-\" or \"every 2\"; "
                    "attempts start at 1)",
                    s);
    }
}

static const char *const action_names[] = {"accept", "refuse", "reset", "hang", NULL};

static int parse_action(struct loader *L, const cJSON *o, const char *key, const char *where,
                        int allow_mask, enum ms_action *out)
{
    const char *a = NULL;
    if (get_str(L, o, key, where, 0, &a) != 1)
        return 0;
    for (int i = 0; action_names[i]; i++) {
        if (!strcmp(a, action_names[i]) && (allow_mask & (1 << i))) {
            *out = (enum ms_action)i;
            return 1;
        }
    }
    char w[WHERE_MAX], list[64] = "";
    for (int i = 0; action_names[i]; i++)
        if (allow_mask & (1 << i))
            snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", list[0] ? ", " : "",
                     action_names[i]);
    at_key(w, where, key);
    ms_diag_add(L->d, w, "unknown action \"%s\" (expected %s)", a, list);
    return -1;
}

static void parse_rule(struct loader *L, const cJSON *o, const char *where, struct ms_rule *r)
{
    if (!cJSON_IsObject(o)) {
        ms_diag_add(L->d, where, "a connection rule must be an object, not %s", json_type(o));
        return;
    }
    check_keys(L, o, where,
               (const char *const[]){"path", "attempts", "action", "delay_ms", "status", "headers",
                                     "body", "preset", "welcome", "on_open", "replies", "label",
                                     "origin", NULL});
    get_path(L, o, where, 1, &r->path);
    char w[WHERE_MAX];
    at_key(w, where, "attempts");
    parse_attempts(L, member(o, "attempts"), w, &r->attempts);
    r->action = MS_ACT_ACCEPT;
    parse_action(L, o, "action", where, 0xf, &r->action);
    get_int(L, o, "delay_ms", where, 0, 86400000LL, 0, &r->delay_ms);
    r->welcome = 1;
    get_bool(L, o, "welcome", where, &r->welcome);
    get_str(L, o, "label", where, 0, &r->label);
    get_str(L, o, "origin", where, 0, &r->origin);
    static const char *const refuse_only[] = {"status", "headers", "body", "preset", NULL};
    static const char *const accept_only[] = {"welcome", "on_open", "replies", NULL};
    for (const char *const *k = refuse_only; *k; k++)
        if (member(o, *k) && r->action != MS_ACT_REFUSE)
            ms_diag_add(L->d, where, "\"%s\" only applies to \"action\": \"refuse\"", *k);
    for (const char *const *k = accept_only; *k; k++)
        if (member(o, *k) && r->action != MS_ACT_ACCEPT)
            ms_diag_add(L->d, where, "\"%s\" only applies to \"action\": \"accept\"", *k);
    if (r->action == MS_ACT_REFUSE) {
        long long st = 403;
        int have_status = get_int(L, o, "status", where, 100, 599, 0, &st) == 1;
        r->status = (int)st;
        if (have_status && st == 101)
            ms_diag_add(L->d, where, "status 101 would accept the upgrade; use \"accept\"");
        const cJSON *h = member(o, "headers");
        if (h) {
            at_key(w, where, "headers");
            if (!cJSON_IsObject(h)) {
                ms_diag_add(L->d, w, "must be an object of strings, not %s", json_type(h));
            } else {
                for (const cJSON *m = h->child; m; m = m->next) {
                    char wh[WHERE_MAX];
                    at_key(wh, w, m->string);
                    if (!cJSON_IsString(m))
                        ms_diag_add(L->d, wh, "must be a string, not %s", json_type(m));
                    else if (strpbrk(m->valuestring, "\r\n") || strpbrk(m->string, "\r\n: "))
                        ms_diag_add(L->d, wh,
                                    "a header name or value cannot hold CR, LF, ':' "
                                    "or a space in the name");
                    else
                        check_template(L, m->valuestring, wh, TMPL_REFUSE);
                }
                r->headers = h;
            }
        }
        if (get_str(L, o, "body", where, 0, &r->body) == 1) {
            at_key(w, where, "body");
            check_template(L, r->body, w, TMPL_REFUSE);
        }
        const char *preset = NULL;
        if (get_str(L, o, "preset", where, 0, &preset) == 1) {
            if (strcmp(preset, "uvicorn-403")) {
                at_key(w, where, "preset");
                ms_diag_add(L->d, w, "unknown preset \"%s\" (expected uvicorn-403)", preset);
            } else if (have_status || h || r->body) {
                ms_diag_add(L->d, where,
                            "\"preset\" gives the whole response; it cannot be combined with "
                            "\"status\", \"headers\" or \"body\"");
            }
            r->preset_uvicorn = 1;
        } else if (!have_status && !h && !r->body) {
            r->preset_uvicorn = 1;
        }
    }
    const cJSON *steps = member(o, "on_open");
    if (steps) {
        at_key(w, where, "on_open");
        parse_steps(L, steps, w, TMPL_CONN, &r->on_open);
    }
    at_key(w, where, "replies");
    parse_replies(L, member(o, "replies"), w, &r->replies);
    if (r->delay_ms > 0 || r->action == MS_ACT_HANG)
        L->s->needs_gate = 1;
}

/* ---- timeline ---- */

static const char *const tl_verbs[] = {"emit",      "send",     "outage", "restart", "profile",
                                       "close_all", "drop_all", "mark",   NULL};

static void parse_tl_event(struct loader *L, const cJSON *o, const char *where,
                           struct ms_tl_event *e)
{
    if (!cJSON_IsObject(o)) {
        ms_diag_add(L->d, where, "a timeline event must be an object, not %s", json_type(o));
        return;
    }
    get_int(L, o, "at_ms", where, 0, 864000000LL, 1, &e->at_ms);
    const char *verb = find_verb(L, o, where, tl_verbs, "event");
    if (!verb)
        return;
    e->obj = o;
    const cJSON *v = member(o, verb);
    char w[WHERE_MAX];
    at_key(w, where, verb);
    long long n;
    if (!strcmp(verb, "emit")) {
        e->kind = MS_TL_EMIT;
        int routed = 0;
        if (!cJSON_IsString(v) || !ms_emit_known(v->valuestring, &routed)) {
            ms_diag_add(L->d, w,
                        "must be a kind: progress, agent_status, coordinator_metrics, error (or, "
                        "with \"room\", error_reply, status, info, heartbeat, pong)");
            return;
        }
        snprintf(e->emit_kind, sizeof(e->emit_kind), "%s", v->valuestring);
        get_str(L, o, "room", where, 0, &e->room);
        if (!routed && !e->room)
            ms_diag_add(L->d, where, "kind \"%s\" has no room of its own: add \"room\"",
                        e->emit_kind);
        if (!strcmp(e->emit_kind, "welcome"))
            ms_diag_add(L->d, w, "a welcome belongs to a connection, not the timeline");
        char err[256];
        if (ms_emit_check(e->emit_kind, o, (const char *const[]){"emit", "room", "at_ms", NULL}, 0,
                          err, sizeof(err)))
            ms_diag_add(L->d, where, "%s", err);
        for (const cJSON *m = o->child; m; m = m->next) {
            char wm[WHERE_MAX];
            at_key(wm, where, m->string);
            if (strcmp(m->string, "emit"))
                check_template_value(L, m, wm, TMPL_TIMELINE);
        }
    } else if (!strcmp(verb, "send")) {
        e->kind = MS_TL_SEND;
        check_keys(L, o, where,
                   (const char *const[]){"at_ms", "send", "room", "buffer_if_empty", NULL});
        get_str(L, o, "room", where, 1, &e->room);
        get_bool(L, o, "buffer_if_empty", where, &e->buffer_if_empty);
        check_template_value(L, v, w, TMPL_TIMELINE);
    } else if (!strcmp(verb, "outage")) {
        e->kind = MS_TL_OUTAGE;
        check_keys(L, o, where,
                   (const char *const[]){"at_ms", "outage", "for_ms", "action", "status", "path",
                                         "drop_open", NULL});
        require_true(L, v, w);
        get_int(L, o, "for_ms", where, 1, 864000000LL, 1, &e->for_ms);
        e->outage_action = MS_ACT_REFUSE;
        parse_action(L, o, "action", where, 0x6, &e->outage_action);
        n = 503;
        if (get_int(L, o, "status", where, 100, 599, 0, &n) == 1 &&
            e->outage_action != MS_ACT_REFUSE)
            ms_diag_add(L->d, where, "\"status\" only applies to \"action\": \"refuse\"");
        e->status = (int)n;
        get_path(L, o, where, 0, &e->path);
        get_bool(L, o, "drop_open", where, &e->drop_open);
    } else if (!strcmp(verb, "restart")) {
        e->kind = MS_TL_RESTART;
        check_keys(L, o, where, (const char *const[]){"at_ms", "restart", "down_ms", NULL});
        require_true(L, v, w);
        get_int(L, o, "down_ms", where, 0, 864000000LL, 1, &e->for_ms);
    } else if (!strcmp(verb, "profile")) {
        e->kind = MS_TL_PROFILE;
        check_keys(L, o, where, (const char *const[]){"at_ms", "profile", NULL});
        if (!cJSON_IsString(v) || ms_profile_parse(v->valuestring, &e->profile))
            ms_diag_add(L->d, w, "must be \"deployed\", \"coordinator\" or \"pre-fix\"");
    } else if (!strcmp(verb, "close_all")) {
        e->kind = MS_TL_CLOSE_ALL;
        check_keys(L, o, where,
                   (const char *const[]){"at_ms", "close_all", "reason", "path", NULL});
        if (get_int(L, o, "close_all", where, 1000, 4999, 1, &n) == 1) {
            if (n == 1004 || n == 1005 || n == 1006 || n == 1015)
                ms_diag_add(L->d, w, "%lld cannot be sent in a close frame (RFC 6455 7.4.1)", n);
            e->code = (int)n;
        }
        e->text = "";
        get_str(L, o, "reason", where, 0, &e->text);
        if (strlen(e->text) > 123)
            ms_diag_add(L->d, where, "a close reason is at most 123 bytes, not %zu",
                        strlen(e->text));
        get_path(L, o, where, 0, &e->path);
    } else if (!strcmp(verb, "drop_all")) {
        e->kind = MS_TL_DROP_ALL;
        check_keys(L, o, where, (const char *const[]){"at_ms", "drop_all", "path", NULL});
        require_true(L, v, w);
        get_path(L, o, where, 0, &e->path);
    } else {
        e->kind = MS_TL_MARK;
        check_keys(L, o, where, (const char *const[]){"at_ms", "mark", NULL});
        if (get_str(L, o, "mark", where, 1, &e->text) == 1)
            check_template(L, e->text, w, TMPL_TIMELINE);
    }
}

/* ---- expectations ---- */

static void parse_expect(struct loader *L, const cJSON *o, const char *where, size_t index,
                         struct ms_expect *x)
{
    if (!cJSON_IsObject(o)) {
        ms_diag_add(L->d, where, "an expectation must be an object, not %s", json_type(o));
        return;
    }
    check_keys(L, o, where,
               (const char *const[]){"name", "path", "client_sends", "within_ms", "attempts",
                                     "reconnect_policy", NULL});
    const char *name = NULL;
    char buf[32], w[WHERE_MAX];
    if (get_str(L, o, "name", where, 0, &name) != 1) {
        snprintf(buf, sizeof(buf), "expect[%zu]", index);
        name = buf;
    }
    x->name = strdup(name);
    if (!x->name)
        L->oom = 1;
    x->path = "*";
    get_path(L, o, where, 0, &x->path);
    int kinds =
        !!member(o, "client_sends") + !!member(o, "attempts") + !!member(o, "reconnect_policy");
    if (kinds != 1) {
        ms_diag_add(L->d, where,
                    "an expectation needs exactly one of \"client_sends\", \"attempts\", "
                    "\"reconnect_policy\"");
        return;
    }
    if (member(o, "within_ms") && !member(o, "client_sends"))
        ms_diag_add(L->d, where, "\"within_ms\" only applies to \"client_sends\"");
    const cJSON *v;
    if ((v = member(o, "client_sends"))) {
        x->kind = MS_EXPECT_SENDS;
        x->sends = v;
        at_key(w, where, "client_sends");
        if (!cJSON_IsObject(v) && !cJSON_IsString(v))
            ms_diag_add(L->d, w,
                        "must be an object (contained in the message) or a string (the "
                        "exact text), not %s",
                        json_type(v));
        get_int(L, o, "within_ms", where, 1, 864000000LL, 1, &x->within_ms);
    } else if ((v = member(o, "attempts"))) {
        x->kind = MS_EXPECT_ATTEMPTS;
        at_key(w, where, "attempts");
        if (!cJSON_IsObject(v)) {
            ms_diag_add(L->d, w, "must be an object like {\"min\": 1, \"max\": 5}, not %s",
                        json_type(v));
            return;
        }
        check_keys(L, v, w, (const char *const[]){"min", "max", NULL});
        long long mn = 0, mx = -1;
        get_int(L, v, "min", w, 0, 1000000000LL, 0, &mn);
        get_int(L, v, "max", w, 0, 1000000000LL, 0, &mx);
        if (!member(v, "min") && !member(v, "max"))
            ms_diag_add(L->d, w, "needs \"min\", \"max\" or both");
        if (mx >= 0 && mn > mx)
            ms_diag_add(L->d, w, "impossible range: min %lld is above max %lld", mn, mx);
        x->min = (long)mn;
        x->max = (long)mx;
    } else {
        x->kind = MS_EXPECT_POLICY;
        const char *p = NULL;
        if (get_str(L, o, "reconnect_policy", where, 1, &p) == 1) {
            char err[256];
            at_key(w, where, "reconnect_policy");
            if (ms_policy_parse(p, &x->policy, err, sizeof(err)))
                ms_diag_add(L->d, w, "%s", err);
        }
    }
}

/* ---- lists ---- */

typedef void (*elem_fn)(struct loader *L, const cJSON *o, const char *where, size_t i, void *elem);

static void rule_elem(struct loader *L, const cJSON *o, const char *where, size_t i, void *elem)
{
    (void)i;
    parse_rule(L, o, where, elem);
}

static void tl_elem(struct loader *L, const cJSON *o, const char *where, size_t i, void *elem)
{
    (void)i;
    parse_tl_event(L, o, where, elem);
}

static void expect_elem(struct loader *L, const cJSON *o, const char *where, size_t i, void *elem)
{
    parse_expect(L, o, where, i, elem);
}

/* The top-level array `key` (may be absent) parsed element by element into a new zeroed array of
 * elem_size items; *n gets the count. Returns NULL for an absent or empty array (or a non-array,
 * reported as "must be an array of WHAT"). */
static void *parse_list(struct loader *L, const cJSON *arr, const char *key, const char *what,
                        size_t elem_size, size_t *n, elem_fn fn)
{
    char where[WHERE_MAX];
    at_key(where, "$", key);
    *n = 0;
    if (!arr)
        return NULL;
    if (!cJSON_IsArray(arr)) {
        ms_diag_add(L->d, where, "must be an array of %s, not %s", what, json_type(arr));
        return NULL;
    }
    size_t count = (size_t)cJSON_GetArraySize(arr), i = 0;
    char *v = count ? calloc(count, elem_size) : NULL;
    if (count && !v) {
        L->oom = 1;
        return NULL;
    }
    *n = count;
    for (const cJSON *o = arr->child; o; o = o->next, i++) {
        char w[WHERE_MAX];
        at_index(w, where, i);
        fn(L, o, w, i, v + i * elem_size);
    }
    return v;
}

/* ---- top level ---- */

static void parse_top(struct loader *L, const cJSON *root)
{
    struct ms_scenario *s = L->s;
    if (!cJSON_IsObject(root)) {
        ms_diag_add(L->d, "$", "a scenario must be a JSON object, not %s", json_type(root));
        return;
    }
    check_keys(L, root, "$",
               (const char *const[]){"name", "description", "keywords", "profile", "time_scale",
                                     "heartbeat_ms", "coordinator", "connections", "replies",
                                     "timeline", "timeline_loop_ms", "expect", NULL});
    if (get_str(L, root, "name", "$", 1, &s->name) == 1) {
        const char *p = s->name;
        int ok = *p != '\0' && strlen(p) <= 100;
        for (; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
                ok = 0;
        if (!ok)
            ms_diag_add(L->d, "$.name",
                        "\"%s\" is not a name (1-100 letters, digits, '-', '_', '.')", s->name);
    }
    get_str(L, root, "description", "$", 1, &s->description);
    const cJSON *kw = member(root, "keywords");
    if (kw) {
        int ok = cJSON_IsArray(kw);
        for (const cJSON *k = ok ? kw->child : NULL; k; k = k->next)
            ok = ok && cJSON_IsString(k);
        if (!ok)
            ms_diag_add(L->d, "$.keywords", "must be an array of strings");
    }
    const char *profile = NULL;
    if (get_str(L, root, "profile", "$", 0, &profile) == 1) {
        if (ms_profile_parse(profile, &s->profile))
            ms_diag_add(L->d, "$.profile",
                        "unknown profile \"%s\" (expected deployed, coordinator, pre-fix)",
                        profile);
        else
            s->have_profile = 1;
    }
    s->time_scale = 1;
    const cJSON *ts = member(root, "time_scale");
    if (ts) {
        double d = ms_pyjson_number(ts);
        if (!ms_pyjson_is_number(ts) || !(d > 0) || d > 1000)
            ms_diag_add(L->d, "$.time_scale", "must be a number above 0 and at most 1000");
        else
            s->time_scale = d;
    }
    s->heartbeat_ms = -1;
    get_int(L, root, "heartbeat_ms", "$", 0, 86400000LL, 0, &s->heartbeat_ms);
    const cJSON *co = member(root, "coordinator");
    if (co && !cJSON_IsObject(co))
        ms_diag_add(L->d, "$.coordinator", "must be an object (a coordinator model), not %s",
                    json_type(co));
    s->coordinator = co;
    if (cJSON_IsObject(co)) { /* the model is checked the way loading it will check it */
        struct ms_coord *tmp = ms_coord_new();
        char err[256];
        if (!tmp)
            L->oom = 1;
        else if (ms_coord_load(tmp, co, "2000-01-01T00:00:00", err, sizeof(err)))
            ms_diag_add(L->d, "$.coordinator", "%s", err);
        ms_coord_free(tmp);
    }

    s->rules = parse_list(L, member(root, "connections"), "connections", "rules", sizeof(*s->rules),
                          &s->n_rules, rule_elem);
    parse_replies(L, member(root, "replies"), "$.replies", &s->replies);
    s->timeline = parse_list(L, member(root, "timeline"), "timeline", "events",
                             sizeof(*s->timeline), &s->n_timeline, tl_elem);
    get_int(L, root, "timeline_loop_ms", "$", 0, 864000000LL, 0, &s->timeline_loop_ms);
    for (size_t i = 0; s->timeline_loop_ms > 0 && i < s->n_timeline; i++) {
        if (s->timeline[i].at_ms >= s->timeline_loop_ms) {
            char w[WHERE_MAX];
            at_index(w, "$.timeline", i);
            ms_diag_add(L->d, w, "at_ms %lld is not before timeline_loop_ms %lld",
                        s->timeline[i].at_ms, s->timeline_loop_ms);
        }
    }

    s->expects = parse_list(L, member(root, "expect"), "expect", "expectations",
                            sizeof(*s->expects), &s->n_expects, expect_elem);
}

/* "Expecting ',' delimiter: line 3 column 5 (char 20)" -> "ORIGIN:3:5: JSON syntax error: ..." */
static void syntax_error(struct ms_diag *d, const char *err)
{
    const char *at = strstr(err, ": line ");
    long line = 0, col = 0;
    char out[600];
    if (at && sscanf(at, ": line %ld column %ld", &line, &col) == 2)
        snprintf(out, sizeof(out), "%s:%ld:%ld: JSON syntax error: %.*s",
                 d->origin ? d->origin : "<scenario>", line, col, (int)(at - err), err);
    else
        snprintf(out, sizeof(out), "%s: JSON syntax error: %s",
                 d->origin ? d->origin : "<scenario>", err);
    ms_diag_add_raw(d, out);
}

struct ms_scenario *ms_scenario_parse(const char *text, size_t len, const char *origin,
                                      struct ms_diag *diag)
{
    diag->origin = origin;
    char err[256];
    cJSON *root = ms_pyjson_parse(text, len, err, sizeof(err));
    if (!root) {
        syntax_error(diag, err);
        return NULL;
    }
    struct ms_scenario *s = calloc(1, sizeof(*s));
    if (!s) {
        cJSON_Delete(root);
        ms_diag_add(diag, NULL, "out of memory");
        return NULL;
    }
    s->root = root;
    size_t before = diag->n;
    struct loader L = {.d = diag, .s = s};
    parse_top(&L, root);
    if (L.oom)
        ms_diag_add(diag, NULL, "out of memory");
    if (diag->n > before || L.oom) {
        ms_scenario_free(s);
        return NULL;
    }
    return s;
}

struct ms_scenario *ms_scenario_load_file(const char *path, struct ms_diag *diag)
{
    diag->origin = path;
    FILE *f = fopen(path, "rb");
    if (!f) {
        ms_diag_add(diag, NULL, "cannot open: %s", strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 > cap) {
            char *n = realloc(text, cap = cap * 2 + 8192);
            if (!n) {
                free(text);
                fclose(f);
                ms_diag_add(diag, NULL, "out of memory");
                return NULL;
            }
            text = n;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int rerr = ferror(f);
    fclose(f);
    if (rerr) {
        free(text);
        ms_diag_add(diag, NULL, "cannot read");
        return NULL;
    }
    struct ms_scenario *s = ms_scenario_parse(text, len, path, diag);
    free(text);
    return s;
}

void ms_scenario_free(struct ms_scenario *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_rules; i++) {
        free_steps(&s->rules[i].on_open);
        free_replies(&s->rules[i].replies);
    }
    free(s->rules);
    free_replies(&s->replies);
    free(s->timeline);
    for (size_t i = 0; i < s->n_expects; i++)
        free(s->expects[i].name);
    free(s->expects);
    cJSON_Delete(s->root);
    free(s);
}
