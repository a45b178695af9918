/* ms_map -- insertion-ordered string hash map: a compact entry array indexed by an open-addressing
 * table. */
#include "ms_map.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ms_err.h"

/*
 * The layout of CPython's dict: `entries` holds the keys in insertion order (a deleted entry keeps
 * its slot with key == NULL, so iteration indices stay valid while keys are deleted), and `index`
 * is a power-of-two open-addressing table of entry positions (+1; 0 = empty, DUMMY = deleted).
 * Tombstones are squeezed out only when an insertion finds the entry array full, which is why
 * inserting during iteration is not allowed while deleting is.
 */

#define EMPTY ((size_t)0)
#define DUMMY SIZE_MAX
#define MIN_INDEX 8

struct entry {
    char *key; /* NULL: deleted */
    void *value;
    uint64_t hash;
};

struct ms_map {
    size_t *index;
    size_t mask; /* index size - 1; index == NULL while the map has never held a key */
    struct entry *entries;
    size_t used; /* entries[0..used) are live or deleted */
    size_t cap;  /* entries capacity: 2/3 of the index size */
    size_t len;  /* live keys */
};

/* FNV-1a with a murmur3 finaliser so that the low bits the table uses are well mixed. */
static uint64_t hash_key(const char *key)
{
    uint64_t h = 14695981039346656037ULL;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* Index slot of key, or of the place to insert it (the first deleted slot passed, else the empty
 * one). */
static size_t find_slot(const struct ms_map *m, const char *key, uint64_t hash, int *found)
{
    size_t i = (size_t)hash & m->mask;
    size_t free_slot = SIZE_MAX;
    uint64_t perturb = hash;
    *found = 0;
    for (;;) {
        size_t ix = m->index[i];
        if (ix == EMPTY)
            return free_slot != SIZE_MAX ? free_slot : i;
        if (ix == DUMMY) {
            if (free_slot == SIZE_MAX)
                free_slot = i;
        } else {
            const struct entry *e = &m->entries[ix - 1];
            if (e->hash == hash && !strcmp(e->key, key)) {
                *found = 1;
                return i;
            }
        }
        perturb >>= 5;
        i = (i * 5 + 1 + (size_t)perturb) & m->mask;
    }
}

/* Rebuilds both arrays with room for at least `need` live keys, dropping tombstones. */
static int rebuild(struct ms_map *m, size_t need)
{
    size_t nindex = MIN_INDEX;
    while (nindex / 3 * 2 < need)
        nindex *= 2;
    size_t cap = nindex / 3 * 2;
    size_t *index = calloc(nindex, sizeof(*index));
    struct entry *entries = malloc(cap * sizeof(*entries));
    if (!index || !entries)
        goto fail;

    size_t n = 0;
    for (size_t k = 0; k < m->used; k++) {
        if (!m->entries[k].key)
            continue;
        entries[n] = m->entries[k];
        size_t i = (size_t)entries[n].hash & (nindex - 1);
        uint64_t perturb = entries[n].hash;
        while (index[i] != EMPTY) {
            perturb >>= 5;
            i = (i * 5 + 1 + (size_t)perturb) & (nindex - 1);
        }
        index[i] = ++n;
    }
    free(m->index);
    free(m->entries);
    m->index = index;
    m->mask = nindex - 1;
    m->entries = entries;
    m->used = n;
    m->cap = cap;
    return 0;

fail:
    free(index);
    free(entries);
    return MS_ERR_OOM;
}

struct ms_map *ms_map_new(void)
{
    return calloc(1, sizeof(struct ms_map));
}

void ms_map_free(struct ms_map *m)
{
    if (!m)
        return;
    ms_map_clear(m);
    free(m);
}

void *ms_map_get(const struct ms_map *m, const char *key)
{
    if (!m->len)
        return NULL;
    int found;
    size_t slot = find_slot(m, key, hash_key(key), &found);
    return found ? m->entries[m->index[slot] - 1].value : NULL;
}

int ms_map_set(struct ms_map *m, const char *key, void *value)
{
    uint64_t hash = hash_key(key);
    int found = 0;
    size_t slot = 0;
    if (m->index) {
        slot = find_slot(m, key, hash, &found);
        if (found) {
            m->entries[m->index[slot] - 1].value = value;
            return 0;
        }
    }
    char *copy = strdup(key);
    if (!copy)
        goto fail;
    if (m->used == m->cap) {
        /* Full: grow to twice the live keys (tombstones go away, so deletes alone never grow it).
         */
        if (rebuild(m, (m->len + 1) * 2) != 0)
            goto fail;
        slot = find_slot(m, key, hash, &found);
    }
    m->entries[m->used] = (struct entry){.key = copy, .value = value, .hash = hash};
    m->index[slot] = ++m->used;
    m->len++;
    return 0;

fail:
    free(copy);
    return MS_ERR_OOM;
}

void *ms_map_del(struct ms_map *m, const char *key)
{
    if (!m->len)
        return NULL;
    int found;
    size_t slot = find_slot(m, key, hash_key(key), &found);
    if (!found)
        return NULL;
    struct entry *e = &m->entries[m->index[slot] - 1];
    void *value = e->value;
    free(e->key);
    e->key = NULL;
    e->value = NULL;
    m->index[slot] = DUMMY;
    m->len--;
    return value;
}

size_t ms_map_len(const struct ms_map *m)
{
    return m->len;
}

void ms_map_clear(struct ms_map *m)
{
    for (size_t k = 0; k < m->used; k++)
        free(m->entries[k].key);
    free(m->entries);
    free(m->index);
    *m = (struct ms_map){0};
}

const char *ms_map_next(const struct ms_map *m, size_t *it, void **value)
{
    while (*it < m->used) {
        const struct entry *e = &m->entries[(*it)++];
        if (e->key) {
            if (value)
                *value = e->value;
            return e->key;
        }
    }
    if (value)
        *value = NULL;
    return NULL;
}
