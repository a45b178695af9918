/* ms_script -- runs scenario steps on one WebSocket session: sends, waits, closes, stalls, loops.
 */
#include <stdlib.h>
#include <string.h>
#include "ms_emit.h"
#include "ms_pyjson.h"
#include "ms_server.h"
#include "ms_template.h"
#include "ms_time.h"

struct ms_script {
    struct ms_script *next;
    struct ms_conn *c;
    lws_sorted_usec_list_t sul;
    struct ms_cursor cur;
    cJSON *msg;
    char *msg_text;
    int resume_on_wake; /* the wait is a stall's for_ms */
};

static void journal_mark(struct ms_conn *c, const char *text)
{
    cJSON *ev = ms_server_event("mark");
    if (!ev)
        return;
    cJSON_AddStringToObject(ev, "text", text);
    cJSON_AddNumberToObject(ev, "conn", (double)c->id);
    ms_server_journal(c->srv, ev);
}

static void fill_ctx(struct ms_script *sc, struct ms_tmpl_ctx *t, char *now)
{
    struct ms_conn *c = sc->c;
    ms_server_now_iso(now, 32);
    *t = (struct ms_tmpl_ctx){
        .now = now,
        .workflow_id = c->route.ep == MS_EP_WORKFLOW ? c->route.param : "",
        .agent_name = c->route.ep == MS_EP_AGENT ? c->route.param : "",
        .client_id = c->client_id,
        .path = c->path,
        .attempt = c->attempt,
        .conn = c->id,
        .seq = c->seq,
        .iteration = ms_cursor_iteration(&sc->cur),
        .msg = sc->msg,
        .msg_text = sc->msg_text,
    };
}

static void send_text(struct ms_conn *c, char *text)
{
    if (text)
        ms_conn_send(c, text, strlen(text), MS_OP_TEXT);
    free(text);
}

/* The text of a templated value: strings as they are, anything else as compact JSON. */
static char *value_text(const cJSON *v, const struct ms_tmpl_ctx *t)
{
    if (cJSON_IsString(v))
        return ms_template_string(v->valuestring, t);
    cJSON *filled = ms_template_value(v, t);
    char *text = filled ? ms_pyjson_print(filled) : NULL;
    cJSON_Delete(filled);
    return text;
}

static void do_emit(struct ms_script *sc, const struct ms_step *st, const struct ms_tmpl_ctx *t)
{
    struct ms_conn *c = sc->c;
    cJSON *obj = ms_template_value(st->value, t);
    if (!obj)
        return;
    char room[MS_ROUTE_PARAM_MAX + 32];
    int has_room = ms_route_room(&c->route, room, sizeof(room)) == 1;
    struct ms_emit_ctx ctx = {.workflow_id = t->workflow_id,
                              .agent_name = t->agent_name,
                              .client_id = c->client_id,
                              .room = has_room ? room : NULL};
    char *text = ms_emit_render(st->emit_kind, obj, t->now, &ctx);
    if (text && st->room) {
        char *r = ms_template_string(st->room, t);
        if (r)
            ms_server_broadcast(c->srv, r, text);
        free(r);
        free(text);
    } else {
        send_text(c, text);
    }
    cJSON_Delete(obj);
}

static void send_fragmented(struct ms_conn *c, const struct ms_step *st,
                            const struct ms_tmpl_ctx *t)
{
    char *text = value_text(st->value, t);
    if (!text)
        return;
    size_t len = strlen(text), parts = (size_t)st->count, off = 0;
    for (size_t i = 0; i < parts; i++) {
        size_t n = len / parts + (i < len % parts ? 1 : 0);
        int op = i == 0 ? MS_OP_TEXT_FIRST : i + 1 == parts ? MS_OP_CONT_LAST : MS_OP_CONT;
        if (ms_conn_send(c, text + off, n, op))
            break;
        off += n;
    }
    free(text);
}

static void script_free(struct ms_script *sc)
{
    struct ms_script **pp = &sc->c->scripts;
    while (*pp && *pp != sc)
        pp = &(*pp)->next;
    if (*pp)
        *pp = sc->next;
    lws_sul_cancel(&sc->sul);
    cJSON_Delete(sc->msg);
    free(sc->msg_text);
    free(sc);
}

static void script_run(struct ms_script *sc);

static void script_wake(lws_sorted_usec_list_t *sul)
{
    struct ms_script *sc = lws_container_of(sul, struct ms_script, sul);
    if (sc->resume_on_wake) {
        sc->resume_on_wake = 0;
        ms_conn_resume(sc->c);
        cJSON *ev = ms_server_event("resume");
        if (ev) {
            cJSON_AddNumberToObject(ev, "conn", (double)sc->c->id);
            ms_server_journal(sc->c->srv, ev);
        }
    }
    script_run(sc);
}

static void schedule(struct ms_script *sc, long long ms)
{
    lws_sul_schedule(lws_get_context(sc->c->wsi), 0, &sc->sul, script_wake,
                     (lws_usec_t)ms * LWS_US_PER_MS);
}

/* Runs steps until the script waits, ends, or ends the session. */
static void script_run(struct ms_script *sc)
{
    struct ms_conn *c = sc->c;
    double scale = c->srv->scale;
    const struct ms_step *st;
    while ((st = ms_cursor_next(&sc->cur))) {
        if (c->close_code || c->drop)
            break;
        struct ms_tmpl_ctx t;
        char now[32];
        fill_ctx(sc, &t, now);
        switch (st->kind) {
        case MS_STEP_SEND:
            c->seq++;
            t.seq = c->seq;
            send_text(c, value_text(st->value, &t));
            break;
        case MS_STEP_SEND_TEXT:
            c->seq++;
            t.seq = c->seq;
            send_text(c, ms_template_string(st->text, &t));
            break;
        case MS_STEP_EMIT:
            c->seq++;
            t.seq = c->seq;
            do_emit(sc, st, &t);
            break;
        case MS_STEP_WAIT:
            if (st->ms > 0) {
                schedule(sc, ms_scale_ms(st->ms, scale));
                return;
            }
            break;
        case MS_STEP_CLOSE: {
            char *reason = ms_template_string(st->text, &t);
            ms_conn_close(c, st->code, reason ? reason : "");
            free(reason);
            script_free(sc);
            return;
        }
        case MS_STEP_DROP:
            ms_conn_drop(c);
            script_free(sc);
            return;
        case MS_STEP_STALL: {
            ms_conn_stall(c);
            cJSON *ev = ms_server_event("stall");
            if (ev) {
                cJSON_AddNumberToObject(ev, "conn", (double)c->id);
                if (st->ms >= 0)
                    cJSON_AddNumberToObject(ev, "for_ms", (double)ms_scale_ms(st->ms, scale));
                else
                    cJSON_AddNullToObject(ev, "for_ms");
                ms_server_journal(c->srv, ev);
            }
            if (st->ms < 0) { /* forever: the script ends, the session stays half-open */
                script_free(sc);
                return;
            }
            sc->resume_on_wake = 1;
            schedule(sc, ms_scale_ms(st->ms, scale));
            return;
        }
        case MS_STEP_SEND_BYTES:
            ms_conn_send(c, (const char *)st->bytes, st->nbytes,
                         st->binary ? MS_OP_BINARY : MS_OP_TEXT);
            break;
        case MS_STEP_SEND_FRAGMENTED:
            c->seq++;
            t.seq = c->seq;
            send_fragmented(c, st, &t);
            break;
        case MS_STEP_WS_PING:
            ms_conn_send(c, st->text, strlen(st->text), MS_OP_PING);
            break;
        case MS_STEP_REPEAT: /* entered by the cursor */
            break;
        case MS_STEP_MARK: {
            char *text = ms_template_string(st->text, &t);
            if (text)
                journal_mark(c, text);
            free(text);
            break;
        }
        }
    }
    script_free(sc);
}

void ms_script_start(struct ms_conn *c, const struct ms_steps *steps, const cJSON *msg,
                     const char *msg_text)
{
    if (!steps || !steps->n)
        return;
    struct ms_script *sc = calloc(1, sizeof(*sc));
    if (!sc)
        return;
    sc->c = c;
    ms_cursor_init(&sc->cur, steps);
    sc->msg = msg ? ms_pyjson_dup(msg) : NULL;
    sc->msg_text = msg_text ? strdup(msg_text) : NULL;
    sc->next = c->scripts;
    c->scripts = sc;
    script_run(sc);
}

void ms_script_cancel_all(struct ms_conn *c)
{
    while (c->scripts)
        script_free(c->scripts);
}
