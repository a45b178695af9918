/* ms_state -- ws_manager and progress_broadcaster of the Python backend, as plain data with O(1)
 * lookups. */
#include "ms_state.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ms_err.h"
#include "ms_map.h"

/*
 * Ownership: the registry owns the client records, `rooms` owns the rooms, `topics` the topics,
 * `workflows` the room-name copies, `agents` the agent records, `buffers` and `history` the rings.
 * A client lists the rooms and topics it is in (usually one room), and each room or topic lists its
 * members in join order, so a disconnect touches only what the client is in, and a snapshot is one
 * copy.
 */

/* A growable array of pointers. */
struct vec {
    void **v;
    size_t n, cap;
};

/* A client record: the public part first, so a struct ms_client * converts back to it. */
struct client {
    struct ms_client pub;
    struct vec rooms;  /* struct room *, in join order */
    struct vec topics; /* struct topic *, in subscribe order */
};

/* ws_manager.rooms[name]; exists while it has members. ep/param are those of the endpoint that
 * created it: they say which broadcaster mapping to undo when it empties. */
struct room {
    char *name;
    enum ms_endpoint ep;
    char *param;
    struct vec members; /* struct client * */
};

/* A legacy topic with at least one subscriber. */
struct topic {
    char *name;
    struct vec subs; /* struct client * */
};

/* progress_broadcaster.agent_rooms[name]: room names, NULL-terminated for ms_state_agent_rooms().
 */
struct agent {
    struct vec rooms; /* char *, owned; rooms.v[rooms.n] == NULL */
};

/* The last `cap` texts pushed, oldest first from `start`. */
struct ring {
    char **items;
    size_t start, count, cap;
};

struct ms_state {
    struct ms_map *clients;   /* client_id -> struct client * */
    struct ms_map *rooms;     /* room name -> struct room *, in creation order */
    struct ms_map *topics;    /* topic -> struct topic *, in creation order */
    size_t total_subs;        /* (topic, client) pairs */
    struct ms_map *workflows; /* workflow_id -> char * room name */
    struct ms_map *agents;    /* agent_name -> struct agent * */
    struct ms_map *buffers;   /* room name -> struct ring * (MS_STATE_BUFFER_MAX) */
    struct ms_map *history;   /* topic -> struct ring * (MS_STATE_HISTORY_MAX) */
};

/* ---- small containers ---- */

/* Makes room for `extra` more elements (plus a spare slot for a terminator). */
static int vec_reserve(struct vec *a, size_t extra)
{
    if (a->n + extra + 1 <= a->cap)
        return 0;
    size_t cap = a->cap ? a->cap * 2 : 4;
    while (cap < a->n + extra + 1)
        cap *= 2;
    void **v = realloc(a->v, cap * sizeof(*v));
    if (!v)
        return MS_ERR_OOM;
    a->v = v;
    a->cap = cap;
    return 0;
}

/* Appends p; capacity must have been reserved. Keeps v[n] == NULL. */
static void vec_push(struct vec *a, void *p)
{
    a->v[a->n++] = p;
    a->v[a->n] = NULL;
}

static size_t vec_find(const struct vec *a, const void *p)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i] == p)
            return i;
    return SIZE_MAX;
}

/* Removes the element at i keeping the order of the others. */
static void vec_remove_at(struct vec *a, size_t i)
{
    memmove(&a->v[i], &a->v[i + 1], (a->n - i - 1) * sizeof(*a->v));
    a->v[--a->n] = NULL;
}

static int vec_remove(struct vec *a, const void *p)
{
    size_t i = vec_find(a, p);
    if (i == SIZE_MAX)
        return 0;
    vec_remove_at(a, i);
    return 1;
}

static struct ring *ring_new(size_t cap)
{
    struct ring *r = calloc(1, sizeof(*r));
    if (!r)
        goto fail;
    r->items = calloc(cap, sizeof(*r->items));
    if (!r->items)
        goto fail;
    r->cap = cap;
    return r;

fail:
    free(r);
    return NULL;
}

static void ring_free(struct ring *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->count; i++)
        free(r->items[(r->start + i) % r->cap]);
    free(r->items);
    free(r);
}

/* Appends text (owned), evicting the oldest when full. */
static void ring_push(struct ring *r, char *text)
{
    if (r->count == r->cap) {
        free(r->items[r->start]);
        r->items[r->start] = text;
        r->start = (r->start + 1) % r->cap;
    } else {
        r->items[(r->start + r->count++) % r->cap] = text;
    }
}

static const char *ring_get(const struct ring *r, size_t i)
{
    return r && i < r->count ? r->items[(r->start + i) % r->cap] : NULL;
}

/* Pushes a copy of text onto map[key]'s ring, creating the ring. */
static int ring_map_push(struct ms_map *map, const char *key, const char *text, size_t cap)
{
    struct ring *fresh = NULL;
    char *copy = strdup(text);
    if (!copy)
        goto fail;
    struct ring *r = ms_map_get(map, key);
    if (!r) {
        fresh = ring_new(cap);
        if (!fresh || ms_map_set(map, key, fresh) != 0)
            goto fail;
        r = fresh;
    }
    ring_push(r, copy);
    return 0;

fail:
    ring_free(fresh);
    free(copy);
    return MS_ERR_OOM;
}

static void client_free(struct client *c)
{
    if (!c)
        return;
    free(c->pub.id);
    free(c->pub.param);
    free(c->pub.room);
    free(c->rooms.v);
    free(c->topics.v);
    free(c);
}

static void room_free(struct room *r)
{
    if (!r)
        return;
    free(r->name);
    free(r->param);
    free(r->members.v);
    free(r);
}

static struct room *room_new(const char *name, enum ms_endpoint ep, const char *param)
{
    struct room *r = calloc(1, sizeof(*r));
    if (!r)
        goto fail;
    r->ep = ep;
    r->name = strdup(name);
    if (!r->name || (param && !(r->param = strdup(param))))
        goto fail;
    return r;

fail:
    room_free(r);
    return NULL;
}

static void topic_free(struct topic *t)
{
    if (!t)
        return;
    free(t->name);
    free(t->subs.v);
    free(t);
}

static void agent_free(struct agent *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->rooms.n; i++)
        free(a->rooms.v[i]);
    free(a->rooms.v);
    free(a);
}

static size_t agent_room_index(const struct agent *a, const char *room)
{
    for (size_t i = 0; i < a->rooms.n; i++)
        if (!strcmp(a->rooms.v[i], room))
            return i;
    return SIZE_MAX;
}

/* Frees every value of every map and empties the maps (they stay usable). */
static void free_contents(struct ms_state *st)
{
    size_t it;
    void *v;
    it = 0;
    while (ms_map_next(st->clients, &it, &v))
        client_free(v);
    it = 0;
    while (ms_map_next(st->rooms, &it, &v))
        room_free(v);
    it = 0;
    while (ms_map_next(st->topics, &it, &v))
        topic_free(v);
    it = 0;
    while (ms_map_next(st->workflows, &it, &v))
        free(v);
    it = 0;
    while (ms_map_next(st->agents, &it, &v))
        agent_free(v);
    it = 0;
    while (ms_map_next(st->buffers, &it, &v))
        ring_free(v);
    it = 0;
    while (ms_map_next(st->history, &it, &v))
        ring_free(v);
    ms_map_clear(st->clients);
    ms_map_clear(st->rooms);
    ms_map_clear(st->topics);
    ms_map_clear(st->workflows);
    ms_map_clear(st->agents);
    ms_map_clear(st->buffers);
    ms_map_clear(st->history);
    st->total_subs = 0;
}

/* ---- lifecycle ---- */

struct ms_state *ms_state_new(void)
{
    struct ms_state *st = calloc(1, sizeof(*st));
    if (!st)
        goto fail;
    st->clients = ms_map_new();
    st->rooms = ms_map_new();
    st->topics = ms_map_new();
    st->workflows = ms_map_new();
    st->agents = ms_map_new();
    st->buffers = ms_map_new();
    st->history = ms_map_new();
    if (!st->clients || !st->rooms || !st->topics || !st->workflows || !st->agents ||
        !st->buffers || !st->history)
        goto fail;
    return st;

fail:
    ms_state_free(st);
    return NULL;
}

void ms_state_free(struct ms_state *st)
{
    if (!st)
        return;
    if (st->clients && st->rooms && st->topics && st->workflows && st->agents && st->buffers &&
        st->history)
        free_contents(st);
    ms_map_free(st->clients);
    ms_map_free(st->rooms);
    ms_map_free(st->topics);
    ms_map_free(st->workflows);
    ms_map_free(st->agents);
    ms_map_free(st->buffers);
    ms_map_free(st->history);
    free(st);
}

void ms_state_reset(struct ms_state *st)
{
    free_contents(st);
}

/* ---- connect / disconnect ---- */

struct ms_client *ms_state_connect(struct ms_state *st, const char *client_id, void *conn,
                                   enum ms_endpoint ep, const char *param, const char *room,
                                   const char *connected_at, void **displaced)
{
    struct client *c = ms_map_get(st->clients, client_id);
    struct client *fresh = NULL;
    struct room *r = NULL, *new_room = NULL;
    struct agent *a = NULL, *new_agent = NULL;
    char *param_copy = NULL, *room_copy = NULL, *wf_room = NULL, *agent_room = NULL;
    int client_added = 0, room_added = 0, wf_added = 0;
    int join = 0;

    /* Allocate everything first; nothing is visible until the maps accept the new keys. */
    if ((param && !(param_copy = strdup(param))) || (room && !(room_copy = strdup(room))))
        goto fail;
    if (!c) {
        fresh = calloc(1, sizeof(*fresh));
        if (!fresh || !(fresh->pub.id = strdup(client_id)))
            goto fail;
        c = fresh;
    }
    if (room) {
        r = ms_map_get(st->rooms, room);
        if (!r) {
            if (!(new_room = room_new(room, ep, param)))
                goto fail;
            r = new_room;
        }
        join = vec_find(&r->members, c) == SIZE_MAX;
        if (join && (vec_reserve(&r->members, 1) != 0 || vec_reserve(&c->rooms, 1) != 0))
            goto fail;
    }
    if (ep == MS_EP_WORKFLOW && param && room && !ms_map_get(st->workflows, param)) {
        if (!(wf_room = strdup(room)))
            goto fail;
    }
    if (ep == MS_EP_AGENT && param && room) {
        a = ms_map_get(st->agents, param);
        if (!a) {
            if (!(new_agent = calloc(1, sizeof(*new_agent))))
                goto fail;
            a = new_agent;
        }
        if (agent_room_index(a, room) == SIZE_MAX) {
            if (vec_reserve(&a->rooms, 1) != 0 || !(agent_room = strdup(room)))
                goto fail;
        }
    }

    if (fresh) {
        if (ms_map_set(st->clients, client_id, fresh) != 0)
            goto fail;
        client_added = 1;
    }
    if (new_room) {
        if (ms_map_set(st->rooms, room, new_room) != 0)
            goto fail;
        room_added = 1;
    }
    if (wf_room) {
        if (ms_map_set(st->workflows, param, wf_room) != 0)
            goto fail;
        wf_added = 1;
    }
    if (new_agent && ms_map_set(st->agents, param, new_agent) != 0)
        goto fail;

    /* Commit: nothing below can fail. */
    if (join) {
        vec_push(&r->members, c);
        vec_push(&c->rooms, r);
    }
    if (agent_room)
        vec_push(&a->rooms, agent_room);
    if (displaced)
        *displaced = fresh ? NULL : c->pub.conn;
    c->pub.conn = conn;
    c->pub.ep = ep;
    free(c->pub.param);
    c->pub.param = param_copy;
    free(c->pub.room);
    c->pub.room = room_copy;
    c->pub.connected_at[0] = '\0';
    if (connected_at) {
        strncpy(c->pub.connected_at, connected_at, sizeof(c->pub.connected_at) - 1);
        c->pub.connected_at[sizeof(c->pub.connected_at) - 1] = '\0';
    }
    return &c->pub;

fail:
    if (wf_added)
        ms_map_del(st->workflows, param);
    if (room_added)
        ms_map_del(st->rooms, room);
    if (client_added)
        ms_map_del(st->clients, client_id);
    free(agent_room);
    agent_free(new_agent);
    free(wf_room);
    room_free(new_room);
    client_free(fresh);
    free(room_copy);
    free(param_copy);
    return NULL;
}

/* The endpoint's cleanup once `r` has no members left: undo its broadcaster mapping, drop the room.
 */
static void drop_empty_room(struct ms_state *st, struct room *r)
{
    ms_map_del(st->rooms, r->name);
    if (r->ep == MS_EP_WORKFLOW && r->param) {
        free(ms_map_del(st->workflows, r->param));
    } else if (r->ep == MS_EP_AGENT && r->param) {
        struct agent *a = ms_map_get(st->agents, r->param);
        size_t i = a ? agent_room_index(a, r->name) : SIZE_MAX;
        if (i != SIZE_MAX) {
            free(a->rooms.v[i]);
            vec_remove_at(&a->rooms, i);
            if (a->rooms.n == 0)
                agent_free(ms_map_del(st->agents, r->param));
        }
    }
    room_free(r);
}

int ms_state_disconnect(struct ms_state *st, const char *client_id)
{
    struct client *c = ms_map_del(st->clients, client_id);
    if (!c)
        return 0;
    for (size_t i = 0; i < c->rooms.n; i++) {
        struct room *r = c->rooms.v[i];
        vec_remove(&r->members, c);
        if (r->members.n == 0)
            drop_empty_room(st, r);
    }
    for (size_t i = 0; i < c->topics.n; i++) {
        struct topic *t = c->topics.v[i];
        if (vec_remove(&t->subs, c))
            st->total_subs--;
        if (t->subs.n == 0) {
            ms_map_del(st->topics, t->name);
            topic_free(t);
        }
    }
    client_free(c);
    return 1;
}

/* ---- queries ---- */

struct ms_client *ms_state_client(const struct ms_state *st, const char *client_id)
{
    struct client *c = ms_map_get(st->clients, client_id);
    return c ? &c->pub : NULL;
}

size_t ms_state_client_count(const struct ms_state *st)
{
    return ms_map_len(st->clients);
}

/* A malloc'ed copy of a member vector as public records. */
static struct ms_client **snapshot(const struct vec *a, size_t *n)
{
    *n = 0;
    if (!a || a->n == 0)
        return NULL;
    struct ms_client **out = malloc(a->n * sizeof(*out));
    if (!out) {
        *n = (size_t)-1;
        return NULL;
    }
    for (size_t i = 0; i < a->n; i++)
        out[i] = &((struct client *)a->v[i])->pub;
    *n = a->n;
    return out;
}

struct ms_client **ms_state_members(const struct ms_state *st, const char *room, size_t *n)
{
    if (room) {
        const struct room *r = ms_map_get(st->rooms, room);
        return snapshot(r ? &r->members : NULL, n);
    }
    *n = 0;
    size_t len = ms_map_len(st->clients);
    if (len == 0)
        return NULL;
    struct ms_client **out = malloc(len * sizeof(*out));
    if (!out) {
        *n = (size_t)-1;
        return NULL;
    }
    size_t it = 0;
    void *v;
    while (ms_map_next(st->clients, &it, &v))
        out[(*n)++] = &((struct client *)v)->pub;
    return out;
}

size_t ms_state_room_size(const struct ms_state *st, const char *room)
{
    const struct room *r = ms_map_get(st->rooms, room);
    return r ? r->members.n : 0;
}

const char *ms_state_workflow_room(const struct ms_state *st, const char *workflow_id)
{
    return ms_map_get(st->workflows, workflow_id);
}

const char *const *ms_state_agent_rooms(const struct ms_state *st, const char *agent_name)
{
    const struct agent *a = ms_map_get(st->agents, agent_name);
    return a && a->rooms.n ? (const char *const *)a->rooms.v : NULL;
}

/* ---- buffers and topics ---- */

int ms_state_buffer_push(struct ms_state *st, const char *room, const char *text)
{
    return ring_map_push(st->buffers, room, text, MS_STATE_BUFFER_MAX);
}

size_t ms_state_buffer_count(const struct ms_state *st, const char *room)
{
    const struct ring *r = ms_map_get(st->buffers, room);
    return r ? r->count : 0;
}

const char *ms_state_buffer_get(const struct ms_state *st, const char *room, size_t i)
{
    return ring_get(ms_map_get(st->buffers, room), i);
}

int ms_state_subscribe(struct ms_state *st, const char *client_id, const char *topic)
{
    struct client *c = ms_map_get(st->clients, client_id);
    struct topic *fresh = NULL;
    if (!c)
        return MS_ERR_NOT_FOUND;
    struct topic *t = ms_map_get(st->topics, topic);
    if (t && vec_find(&t->subs, c) != SIZE_MAX)
        return 0;
    if (!t) {
        fresh = calloc(1, sizeof(*fresh));
        if (!fresh || !(fresh->name = strdup(topic)))
            goto fail;
        t = fresh;
    }
    if (vec_reserve(&t->subs, 1) != 0 || vec_reserve(&c->topics, 1) != 0)
        goto fail;
    if (fresh && ms_map_set(st->topics, topic, fresh) != 0)
        goto fail;
    vec_push(&t->subs, c);
    vec_push(&c->topics, t);
    st->total_subs++;
    return 0;

fail:
    topic_free(fresh);
    return MS_ERR_OOM;
}

int ms_state_unsubscribe(struct ms_state *st, const char *client_id, const char *topic)
{
    struct client *c = ms_map_get(st->clients, client_id);
    struct topic *t = ms_map_get(st->topics, topic);
    if (!c || !t || !vec_remove(&t->subs, c))
        return MS_ERR_NOT_FOUND;
    vec_remove(&c->topics, t);
    st->total_subs--;
    if (t->subs.n == 0) {
        ms_map_del(st->topics, topic);
        topic_free(t);
    }
    return 0;
}

struct ms_client **ms_state_topic_subscribers(const struct ms_state *st, const char *topic,
                                              size_t *n)
{
    const struct topic *t = ms_map_get(st->topics, topic);
    return snapshot(t ? &t->subs : NULL, n);
}

int ms_state_history_push(struct ms_state *st, const char *topic, const char *text)
{
    return ring_map_push(st->history, topic, text, MS_STATE_HISTORY_MAX);
}

size_t ms_state_history_count(const struct ms_state *st, const char *topic)
{
    const struct ring *r = ms_map_get(st->history, topic);
    return r ? r->count : 0;
}

const char *ms_state_history_get(const struct ms_state *st, const char *topic, size_t i)
{
    return ring_get(ms_map_get(st->history, topic), i);
}

/* ---- JSON for the HTTP endpoints ---- */

/* Adds a number member; 0 or -1. */
static int add_count(cJSON *obj, const char *key, size_t v)
{
    return cJSON_AddNumberToObject(obj, key, (double)v) ? 0 : -1;
}

/* Adds an array of the keys of map (in map order); the array, or NULL. */
static cJSON *add_key_list(cJSON *obj, const char *key, const struct ms_map *map)
{
    cJSON *arr = cJSON_AddArrayToObject(obj, key);
    if (!arr)
        return NULL;
    size_t it = 0;
    const char *k;
    while ((k = ms_map_next(map, &it, NULL))) {
        cJSON *s = cJSON_CreateString(k);
        if (!s)
            return NULL;
        cJSON_AddItemToArray(arr, s);
    }
    return arr;
}

cJSON *ms_state_websocket_stats(const struct ms_state *st)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *counts;
    size_t it;
    const char *k;
    void *v;
    if (!o || add_count(o, "total_connections", ms_map_len(st->clients)) ||
        add_count(o, "total_rooms", ms_map_len(st->rooms)) ||
        add_count(o, "total_subscriptions", st->total_subs) || !add_key_list(o, "rooms", st->rooms))
        goto fail;
    if (!(counts = cJSON_AddObjectToObject(o, "room_client_count")))
        goto fail;
    it = 0;
    while ((k = ms_map_next(st->rooms, &it, &v)))
        if (add_count(counts, k, ((struct room *)v)->members.n))
            goto fail;
    if (!add_key_list(o, "topics", st->topics) ||
        !(counts = cJSON_AddObjectToObject(o, "topic_subscriber_count")))
        goto fail;
    it = 0;
    while ((k = ms_map_next(st->topics, &it, &v)))
        if (add_count(counts, k, ((struct topic *)v)->subs.n))
            goto fail;
    return o;

fail:
    cJSON_Delete(o);
    return NULL;
}

cJSON *ms_state_broadcaster_stats(const struct ms_state *st)
{
    size_t agents_with_rooms = 0, agent_rooms = 0, buffered_rooms = 0, buffered = 0;
    size_t it = 0;
    void *v;
    while (ms_map_next(st->agents, &it, &v)) {
        size_t n = ((struct agent *)v)->rooms.n;
        agents_with_rooms += n > 0;
        agent_rooms += n;
    }
    it = 0;
    while (ms_map_next(st->buffers, &it, &v)) {
        size_t n = ((struct ring *)v)->count;
        buffered_rooms += n > 0;
        buffered += n;
    }
    cJSON *o = cJSON_CreateObject();
    if (!o || add_count(o, "workflow_subscriptions", ms_map_len(st->workflows)) ||
        add_count(o, "agent_subscriptions", agents_with_rooms) ||
        add_count(o, "total_agent_rooms", agent_rooms) ||
        add_count(o, "buffered_rooms", buffered_rooms) ||
        add_count(o, "total_buffered_messages", buffered) ||
        !add_key_list(o, "workflows", st->workflows) || !add_key_list(o, "agents", st->agents))
        goto fail;
    return o;

fail:
    cJSON_Delete(o);
    return NULL;
}

/* Adds a string member, or null when s is NULL; 0 or -1. */
static int add_str(cJSON *obj, const char *key, const char *s)
{
    return (s ? cJSON_AddStringToObject(obj, key, s) : cJSON_AddNullToObject(obj, key)) ? 0 : -1;
}

cJSON *ms_state_client_info(const struct ms_state *st, const char *client_id)
{
    const struct client *c = ms_map_get(st->clients, client_id);
    if (!c)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON *rooms, *subs, *meta;
    if (!o || add_str(o, "client_id", c->pub.id) || !cJSON_AddTrueToObject(o, "connected") ||
        !(rooms = cJSON_AddArrayToObject(o, "rooms")))
        goto fail;
    for (size_t i = 0; i < c->rooms.n; i++) {
        cJSON *s = cJSON_CreateString(((struct room *)c->rooms.v[i])->name);
        if (!s)
            goto fail;
        cJSON_AddItemToArray(rooms, s);
    }
    if (!(subs = cJSON_AddArrayToObject(o, "subscriptions")))
        goto fail;
    for (size_t i = 0; i < c->topics.n; i++) {
        cJSON *s = cJSON_CreateString(((struct topic *)c->topics.v[i])->name);
        if (!s)
            goto fail;
        cJSON_AddItemToArray(subs, s);
    }
    if (!(meta = cJSON_AddObjectToObject(o, "metadata")))
        goto fail;
    switch (c->pub.ep) {
    case MS_EP_WORKFLOW:
        if (add_str(meta, "type", "workflow") || add_str(meta, "workflow_id", c->pub.param))
            goto fail;
        break;
    case MS_EP_AGENT:
        if (add_str(meta, "type", "agent") || add_str(meta, "agent_name", c->pub.param))
            goto fail;
        break;
    case MS_EP_COORDINATOR:
        if (add_str(meta, "type", "coordinator"))
            goto fail;
        break;
    default:
        break;
    }
    if (add_str(meta, "connected_at", c->pub.connected_at))
        goto fail;
    return o;

fail:
    cJSON_Delete(o);
    return NULL;
}
