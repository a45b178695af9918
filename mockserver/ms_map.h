/* ms_map -- a string-keyed hash map that iterates in insertion order, like a Python dict. */
#ifndef MS_MAP_H
#define MS_MAP_H

#include <stddef.h>

struct ms_map;

/* Returns a new empty map, or NULL on OOM; free with ms_map_free(). Keys are copied; values are
 * borrowed pointers the map never frees. */
struct ms_map *ms_map_new(void);
/* Frees the map and its key copies (not the values). NULL is allowed. */
void ms_map_free(struct ms_map *m);

/* The value for key, or NULL. */
void *ms_map_get(const struct ms_map *m, const char *key);
/* Sets key to value. A new key goes to the end of the order; an existing key keeps its position
 * (Python dict semantics). Returns 0, or MS_ERR_OOM (the map is unchanged then). */
int ms_map_set(struct ms_map *m, const char *key, void *value);
/* Removes key; returns its value, or NULL if absent. O(1) amortised. */
void *ms_map_del(struct ms_map *m, const char *key);
/* Number of keys. */
size_t ms_map_len(const struct ms_map *m);
/* Removes every key (values are not freed). */
void ms_map_clear(struct ms_map *m);

/*
 * Iteration in insertion order. Start with *it = 0; each call returns the next key (borrowed, valid
 * until that key is deleted) and stores its value in *value, or returns NULL at the end. Deleting
 * the key just returned is allowed during iteration; inserting is not.
 */
const char *ms_map_next(const struct ms_map *m, size_t *it, void **value);

#endif
