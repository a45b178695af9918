/* ms_journal -- the record of everything a client did and got: upgrades, opens, frames, closes. */
#ifndef MS_JOURNAL_H
#define MS_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cjson/cJSON.h>

/*
 * Events are JSON objects. ms_journal_add() puts "seq" (1, 2, ...) and "t_ms" (monotonic
 * milliseconds since the journal was created or reset) first, then the caller's members in their
 * order, e.g.
 *   {"seq":7,"t_ms":1532,"type":"upgrade","path":"/ws/coordinator","attempt":3,"outcome":"refused",...}
 * The journal keeps the newest `capacity` events in memory (older ones are dropped and counted)
 * and, if a mirror file is given, writes every event to it as one JSON line, flushed at once. One
 * journal exists per server.
 */
struct ms_journal;

/* Returns a new journal or NULL on OOM. capacity >= 1. mirror may be NULL; it is borrowed (the
 * caller closes it after ms_journal_free()). */
struct ms_journal *ms_journal_new(size_t capacity, FILE *mirror);
void ms_journal_free(struct ms_journal *j);

/* Clears the events, restarts seq at 1 and t_ms at 0 (the mirror file gets a {"type":"reset"}
 * line). */
void ms_journal_reset(struct ms_journal *j, int64_t now_mono_ms);

/*
 * Appends ev (a JSON object; the journal takes ownership and frees it, also on failure). The
 * event's "type" and, if present, "path" string members are used for filtering. now_mono_ms is the
 * monotonic clock (ms_time_mono_ms()). Returns the new seq, or 0 on OOM.
 */
uint64_t ms_journal_add(struct ms_journal *j, cJSON *ev, int64_t now_mono_ms);

/*
 * Appends an event the caller rendered itself (the fast path for frames): members is the JSON
 * text of its members without braces, starting with "type" (`"type":"frame_out","conn":3,...`);
 * type and path (NULL: none) must repeat those members' values, for filtering. Everything is
 * borrowed. Returns the new seq, or 0 on OOM.
 */
uint64_t ms_journal_add_rendered(struct ms_journal *j, const char *type, const char *path,
                                 const char *members, size_t len, int64_t now_mono_ms);
/* s[0..len) as a JSON string literal with quotes, escaped as the journal escapes strings (what
 * cJSON prints). Returns a new string (caller frees; its length in *out_len if non-NULL) or NULL
 * on OOM. */
char *ms_journal_json_string(const unsigned char *s, size_t len, size_t *out_len);
/* The seq of the newest event (0 if none yet). */
uint64_t ms_journal_last_seq(const struct ms_journal *j);
/* The t_ms value an event added now would get. */
int64_t ms_journal_t_ms(const struct ms_journal *j, int64_t now_mono_ms);

/* Filter for queries: events with seq > since, whose type equals `type` (if non-NULL) and whose
 * path equals `path` or, if path ends with '*', starts with the part before it (if non-NULL). */
struct ms_journal_filter {
    uint64_t since;
    const char *type;
    const char *path;
};

/* 1 if at least one kept event matches. */
int ms_journal_has(const struct ms_journal *j, const struct ms_journal_filter *f);

/*
 * Renders {"events":[...],"next":N,"dropped":D}: the kept matching events in order, next = the
 * newest seq in the journal (pass it as `since` next time), dropped = how many events with seq >
 * since were already evicted from memory (0 normally). Returns a new string (caller frees) or NULL
 * on OOM.
 */
char *ms_journal_query(const struct ms_journal *j, const struct ms_journal_filter *f);

#endif
