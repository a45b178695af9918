/* ms_template -- fills {{placeholders}} in scenario strings and JSON values (FORMAT.md,
 * Templating). */
#ifndef MS_TEMPLATE_H
#define MS_TEMPLATE_H

#include <stdint.h>
#include <cjson/cJSON.h>

/* The values placeholders take; NULL strings render empty. */
struct ms_tmpl_ctx {
    const char *now; /* the backend's timestamp format */
    const char *workflow_id, *agent_name, *client_id, *path;
    unsigned long attempt;
    uint64_t conn;
    uint64_t seq;
    long long iteration;
    const cJSON *msg;     /* replies: the parsed client message (may be NULL: not JSON) */
    const char *msg_text; /* replies: its text */
};

/* Returns a new string with every placeholder replaced (caller frees); NULL on OOM. Unknown
 * placeholders were refused when the scenario loaded and are copied as they are. */
char *ms_template_string(const char *s, const struct ms_tmpl_ctx *t);

/* Deep copy of v with placeholders replaced in every string; a string that is exactly one
 * placeholder with a numeric value (attempt, conn, seq, iteration, or a numeric msg field) becomes
 * that number, and exactly "{{msg.x}}" naming an object or array becomes a copy of it. Caller
 * frees with cJSON_Delete; NULL on OOM. */
cJSON *ms_template_value(const cJSON *v, const struct ms_tmpl_ctx *t);

#endif
