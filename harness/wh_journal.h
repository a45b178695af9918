/* wh_journal -- reads a wsmock journal: a JSON-lines file (wsmock --journal FILE) or a running
 * wsmock's GET /__mock/journal, over a tiny HTTP/1.1 GET with poll() deadlines. */
#ifndef WH_JOURNAL_H
#define WH_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

/* A journal read whole. One per read; free with wh_journal_free(). */
struct wh_journal {
    cJSON *events;         /* array of event objects in journal order (owned) */
    unsigned long resets;  /* file: {"type":"reset"} lines that cleared earlier events; only the
                              events after the last reset are kept (what the running journal
                              holds). wsmock's own first line is a reset and is not counted. */
    unsigned long dropped; /* mock: events already dropped from its memory (--journal-limit) */
};

/*
 * Parses a journal held in memory: len bytes of JSON lines (text need not be NUL-terminated),
 * checked as wh_journal_read_file() does, with origin (a file name) in front of every message:
 * "origin:7: not JSON (column 3)". Returns 0 (the caller frees j with wh_journal_free()), or -1
 * with one line in err (errlen bytes, NUL-terminated) and nothing left in j. text is borrowed.
 */
int wh_journal_parse(const char *text, size_t len, const char *origin, struct wh_journal *j,
                     char *err, size_t errlen);

/*
 * Reads FILE, one JSON object per line (blank lines skipped). Every event needs a string "type";
 * upgrade, open and close events also a numeric seq, t_ms and conn and a string path (close: a
 * numeric code, a string by). Returns 0, or -1 with one line in err naming the file (and line)
 * and the problem: "journal.jsonl: No such file or directory", "journal.jsonl:7: not JSON".
 * On success the caller frees j with wh_journal_free().
 */
int wh_journal_read_file(const char *file, struct wh_journal *j, char *err, size_t errlen);

/*
 * Fetches the upgrade, open and close events on `path` (exact, or a prefix ending in '*') with
 * seq > since from a running wsmock at base_url ("http://HOST:PORT", an optional path prefix
 * allowed), within timeout_ms in all. Events are checked as wh_journal_read_file() does.
 * Returns 0, or -1 with one line in err naming the URL and the problem (cannot connect, HTTP 404,
 * not a journal, time-out). On success the caller frees j with wh_journal_free().
 */
int wh_journal_fetch(const char *base_url, const char *path, uint64_t since, long timeout_ms,
                     struct wh_journal *j, char *err, size_t errlen);

/* Frees what j holds (j itself is the caller's); safe on a zeroed j. */
void wh_journal_free(struct wh_journal *j);

/*
 * GET url ("http://HOST[:PORT]/PATH?QUERY") within timeout_ms, through wh_http_request
 * (wh_wsclient.h: Content-Length, chunked and read-until-close bodies, poll() deadlines). Returns 0
 * with *status and a NUL-terminated *body (malloc'd, caller frees; *len its length), or -1 with one
 * line in err ("cannot connect to 127.0.0.1:9: Connection refused", "no complete answer within
 * 10000 ms", ...).
 */
int wh_journal_http_get(const char *url, long timeout_ms, int *status, char **body, size_t *len,
                        char *err, size_t errlen);

#endif
