/* ms_coord -- validates and normalises the coordinator model; derives the coordinator's metrics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ms_coord.h"
#include "ms_err.h"
#include "ms_pyjson.h"

struct ms_coord {
    cJSON *agents;    /* array of normalised agent status objects */
    cJSON *workflows; /* array of normalised workflow status objects */
    long long total_messages, queue_size, dead_letters;
};

struct ms_coord *ms_coord_new(void)
{
    struct ms_coord *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->agents = cJSON_CreateArray();
    c->workflows = cJSON_CreateArray();
    if (!c->agents || !c->workflows) {
        ms_coord_free(c);
        return NULL;
    }
    return c;
}

void ms_coord_free(struct ms_coord *c)
{
    if (!c)
        return;
    cJSON_Delete(c->agents);
    cJSON_Delete(c->workflows);
    free(c);
}

void ms_coord_reset(struct ms_coord *c)
{
    cJSON *a = cJSON_CreateArray(), *w = cJSON_CreateArray();
    if (!a || !w) {
        cJSON_Delete(a);
        cJSON_Delete(w);
        return;
    }
    cJSON_Delete(c->agents);
    cJSON_Delete(c->workflows);
    c->agents = a;
    c->workflows = w;
    c->total_messages = c->queue_size = c->dead_letters = 0;
}

/* Validation context: the first problem wins; path names where it is. */
struct check {
    char *err;
    size_t errlen;
    int failed;
    int oom;
};

static void problem(struct check *k, const char *path, const char *what)
{
    if (k->failed)
        return;
    k->failed = 1;
    snprintf(k->err, k->errlen, "%s: %s", path, what);
}

/* Copies spec[key] into out with a default; type is checked by kind: 's' string or null, 'S'
 * string, 'n' number, 'i' int, 'b' bool, 'o' object. dflt is a new item used when the key is
 * absent. */
static void take(struct check *k, cJSON *out, const cJSON *spec, const char *key, char kind,
                 cJSON *dflt, const char *path)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(spec, key);
    char where[160];
    snprintf(where, sizeof(where), "%s.%s", path, key);
    if (!v) {
        if (!dflt) {
            k->oom = 1;
            return;
        }
        cJSON_AddItemToObject(out, key, dflt);
        return;
    }
    cJSON_Delete(dflt);
    int ok = 0;
    switch (kind) {
    case 's':
        ok = cJSON_IsString(v) || cJSON_IsNull(v);
        break;
    case 'S':
        ok = cJSON_IsString(v);
        break;
    case 'n':
        ok = ms_pyjson_is_number(v) || cJSON_IsNull(v);
        break;
    case 'i':
        ok = ms_pyjson_is_int(v);
        break;
    case 'b':
        ok = cJSON_IsBool(v);
        break;
    case 'o':
        ok = cJSON_IsObject(v);
        break;
    }
    if (!ok) {
        static const char *names[] = {
            ['s'] = "expected a string or null", ['S'] = "expected a string",
            ['n'] = "expected a number or null", ['i'] = "expected an integer",
            ['b'] = "expected true or false",    ['o'] = "expected an object"};
        problem(k, where, names[(unsigned char)kind]);
        return;
    }
    cJSON *copy = ms_pyjson_dup(v);
    if (!copy) {
        k->oom = 1;
        return;
    }
    cJSON_AddItemToObject(out, key, copy);
}

static int is_agent_status(const char *s)
{
    return !strcmp(s, "idle") || !strcmp(s, "busy") || !strcmp(s, "error") || !strcmp(s, "offline");
}

static int is_workflow_state(const char *s)
{
    return !strcmp(s, "pending") || !strcmp(s, "running") || !strcmp(s, "completed") ||
           !strcmp(s, "failed") || !strcmp(s, "cancelled");
}

static const char *known_keys_agent[] = {"name", "status", "registered_at", "metrics", NULL};
static const char *known_keys_metrics[] = {
    "message_count",        "error_count",    "error_rate", "avg_execution_time",
    "total_execution_time", "last_heartbeat", "is_healthy", NULL};
static const char *known_keys_workflow[] = {
    "workflow_id",  "state",    "progress",    "started_at",
    "completed_at", "duration", "task_states", "completed_tasks",
    "failed_tasks", "errors",   NULL};
static const char *known_keys_top[] = {"agents",     "workflows",    "total_messages",
                                       "queue_size", "dead_letters", NULL};

/* Reports the first member of obj whose name is not in keys. */
static void reject_unknown(struct check *k, const cJSON *obj, const char **keys, const char *path)
{
    for (const cJSON *m = obj->child; m; m = m->next) {
        int known = 0;
        for (const char **p = keys; *p && !known; p++)
            known = !strcmp(*p, m->string);
        if (!known) {
            char where[200];
            snprintf(where, sizeof(where), "%s%s%s", path, *path ? "." : "", m->string);
            problem(k, where, "unknown key");
            return;
        }
    }
}

static cJSON *normalise_agent(struct check *k, const cJSON *a, const char *path, const char *now)
{
    if (!cJSON_IsObject(a)) {
        problem(k, path, "expected an object");
        return NULL;
    }
    reject_unknown(k, a, known_keys_agent, path);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(a, "name");
    if (!cJSON_IsString(name) || !*name->valuestring) {
        char where[160];
        snprintf(where, sizeof(where), "%s.name", path);
        problem(k, where, "expected a non-empty string");
        return NULL;
    }
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(a, "status");
    if (st && (!cJSON_IsString(st) || !is_agent_status(st->valuestring))) {
        char where[160];
        snprintf(where, sizeof(where), "%s.status", path);
        problem(k, where, "expected one of idle, busy, error, offline");
        return NULL;
    }
    cJSON *out = cJSON_CreateObject();
    if (!out) {
        k->oom = 1;
        return NULL;
    }
    take(k, out, a, "name", 'S', NULL, path);
    take(k, out, a, "status", 'S', cJSON_CreateString("idle"), path);
    take(k, out, a, "registered_at", 's', cJSON_CreateString(now), path);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(a, "metrics");
    char mpath[160];
    snprintf(mpath, sizeof(mpath), "%s.metrics", path);
    if (m && !cJSON_IsObject(m)) {
        problem(k, mpath, "expected an object");
    } else {
        static const cJSON empty = {0};
        const cJSON *src = m ? m : &empty;
        if (m)
            reject_unknown(k, m, known_keys_metrics, mpath);
        cJSON *mo = cJSON_CreateObject();
        if (!mo) {
            k->oom = 1;
        } else {
            cJSON_AddItemToObject(out, "metrics", mo);
            take(k, mo, src, "message_count", 'i', ms_pyjson_int(0), mpath);
            take(k, mo, src, "error_count", 'i', ms_pyjson_int(0), mpath);
            take(k, mo, src, "error_rate", 'n', ms_pyjson_float(0.0), mpath);
            take(k, mo, src, "avg_execution_time", 'n', ms_pyjson_float(0.0), mpath);
            take(k, mo, src, "total_execution_time", 'n', ms_pyjson_float(0.0), mpath);
            take(k, mo, src, "last_heartbeat", 's', cJSON_CreateString(now), mpath);
            take(k, mo, src, "is_healthy", 'b', cJSON_CreateTrue(), mpath);
        }
    }
    return out;
}

static cJSON *normalise_workflow(struct check *k, const cJSON *w, const char *path)
{
    if (!cJSON_IsObject(w)) {
        problem(k, path, "expected an object");
        return NULL;
    }
    reject_unknown(k, w, known_keys_workflow, path);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(w, "workflow_id");
    if (!cJSON_IsString(id) || !*id->valuestring) {
        char where[160];
        snprintf(where, sizeof(where), "%s.workflow_id", path);
        problem(k, where, "expected a non-empty string");
        return NULL;
    }
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(w, "state");
    if (st && (!cJSON_IsString(st) || !is_workflow_state(st->valuestring))) {
        char where[160];
        snprintf(where, sizeof(where), "%s.state", path);
        problem(k, where, "expected one of pending, running, completed, failed, cancelled");
        return NULL;
    }
    cJSON *out = cJSON_CreateObject();
    if (!out) {
        k->oom = 1;
        return NULL;
    }
    take(k, out, w, "workflow_id", 'S', NULL, path);
    take(k, out, w, "state", 'S', cJSON_CreateString("pending"), path);
    take(k, out, w, "progress", 'n', ms_pyjson_float(0.0), path);
    take(k, out, w, "started_at", 's', cJSON_CreateNull(), path);
    take(k, out, w, "completed_at", 's', cJSON_CreateNull(), path);
    take(k, out, w, "duration", 'n', cJSON_CreateNull(), path);
    take(k, out, w, "task_states", 'o', cJSON_CreateObject(), path);
    take(k, out, w, "completed_tasks", 'i', ms_pyjson_int(0), path);
    take(k, out, w, "failed_tasks", 'i', ms_pyjson_int(0), path);
    take(k, out, w, "errors", 'o', cJSON_CreateObject(), path);
    return out;
}

static long long take_total(struct check *k, const cJSON *spec, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(spec, key);
    if (!v)
        return 0;
    if (!ms_pyjson_is_int(v) || ms_pyjson_number(v) < 0) {
        problem(k, key, "expected a non-negative integer");
        return 0;
    }
    return (long long)ms_pyjson_number(v);
}

/* Checks that the `key` member of each element of arr is unique. */
static void reject_duplicates(struct check *k, const cJSON *arr, const char *key, const char *path)
{
    int i = 0;
    for (const cJSON *a = arr->child; a; a = a->next, i++) {
        const char *name = cJSON_GetObjectItemCaseSensitive(a, key)->valuestring;
        for (const cJSON *b = a->next; b; b = b->next) {
            if (!strcmp(name, cJSON_GetObjectItemCaseSensitive(b, key)->valuestring)) {
                char where[160];
                snprintf(where, sizeof(where), "%s[%d].%s", path, i, key);
                problem(k, where, "appears twice");
                return;
            }
        }
    }
}

int ms_coord_load(struct ms_coord *c, const cJSON *spec, const char *now_iso, char *err,
                  size_t errlen)
{
    struct check k = {err, errlen, 0, 0};
    cJSON *agents = NULL, *workflows = NULL;
    if (!cJSON_IsObject(spec)) {
        problem(&k, "$", "expected an object");
        goto fail;
    }
    reject_unknown(&k, spec, known_keys_top, "");
    agents = cJSON_CreateArray();
    workflows = cJSON_CreateArray();
    if (!agents || !workflows) {
        k.oom = 1;
        goto fail;
    }
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(spec, "agents");
    if (a && !cJSON_IsArray(a))
        problem(&k, "agents", "expected an array");
    int i = 0;
    for (const cJSON *e = cJSON_IsArray(a) ? a->child : NULL; e && !k.failed; e = e->next, i++) {
        char path[64];
        snprintf(path, sizeof(path), "agents[%d]", i);
        cJSON *n = normalise_agent(&k, e, path, now_iso);
        if (n)
            cJSON_AddItemToArray(agents, n);
    }
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(spec, "workflows");
    if (w && !cJSON_IsArray(w))
        problem(&k, "workflows", "expected an array");
    i = 0;
    for (const cJSON *e = cJSON_IsArray(w) ? w->child : NULL; e && !k.failed; e = e->next, i++) {
        char path[64];
        snprintf(path, sizeof(path), "workflows[%d]", i);
        cJSON *n = normalise_workflow(&k, e, path);
        if (n)
            cJSON_AddItemToArray(workflows, n);
    }
    long long tm = take_total(&k, spec, "total_messages");
    long long qs = take_total(&k, spec, "queue_size");
    long long dl = take_total(&k, spec, "dead_letters");
    if (!k.failed && !k.oom) {
        reject_duplicates(&k, agents, "name", "agents");
        reject_duplicates(&k, workflows, "workflow_id", "workflows");
    }
    if (k.failed || k.oom)
        goto fail;
    cJSON_Delete(c->agents);
    cJSON_Delete(c->workflows);
    c->agents = agents;
    c->workflows = workflows;
    c->total_messages = tm;
    c->queue_size = qs;
    c->dead_letters = dl;
    return MS_OK;
fail:
    cJSON_Delete(agents);
    cJSON_Delete(workflows);
    if (k.oom && !k.failed)
        snprintf(err, errlen, "out of memory");
    return k.oom && !k.failed ? MS_ERR_OOM : MS_ERR_INVALID;
}

cJSON *ms_coord_metrics(const struct ms_coord *c)
{
    long long healthy = 0, active = 0;
    for (const cJSON *a = c->agents->child; a; a = a->next) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(a, "metrics");
        healthy += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "is_healthy"));
    }
    for (const cJSON *w = c->workflows->child; w; w = w->next)
        active += !strcmp(cJSON_GetObjectItemCaseSensitive(w, "state")->valuestring, "running");
    cJSON *o = cJSON_CreateObject();
    if (!o || !ms_pyjson_add_int(o, "total_messages", c->total_messages) ||
        !ms_pyjson_add_int(o, "total_workflows", cJSON_GetArraySize(c->workflows)) ||
        !ms_pyjson_add_int(o, "registered_agents", cJSON_GetArraySize(c->agents)) ||
        !ms_pyjson_add_int(o, "healthy_agents", healthy) ||
        !ms_pyjson_add_int(o, "active_workflows", active) ||
        !ms_pyjson_add_int(o, "queue_size", c->queue_size) ||
        !ms_pyjson_add_int(o, "dead_letters", c->dead_letters)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static const cJSON *find(const cJSON *arr, const char *key, const char *value)
{
    for (const cJSON *e = arr->child; e; e = e->next)
        if (!strcmp(cJSON_GetObjectItemCaseSensitive(e, key)->valuestring, value))
            return e;
    return NULL;
}

const cJSON *ms_coord_agent(const struct ms_coord *c, const char *name)
{
    return find(c->agents, "name", name);
}

const cJSON *ms_coord_workflow(const struct ms_coord *c, const char *workflow_id)
{
    return find(c->workflows, "workflow_id", workflow_id);
}

int ms_coord_cancel(struct ms_coord *c, const char *workflow_id)
{
    cJSON *w = (cJSON *)find(c->workflows, "workflow_id", workflow_id);
    if (!w)
        return MS_ERR_NOT_FOUND;
    cJSON *s = cJSON_CreateString("cancelled");
    if (!s)
        return MS_ERR_OOM;
    cJSON_ReplaceItemInObjectCaseSensitive(w, "state", s);
    return MS_OK;
}
