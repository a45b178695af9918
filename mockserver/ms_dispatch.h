/* ms_dispatch -- what an endpoint does with one client message, decided without any I/O. */
#ifndef MS_DISPATCH_H
#define MS_DISPATCH_H

#include <stddef.h>
#include "ms_coord.h"
#include "ms_options.h"
#include "ms_route.h"

/* The action the server takes for a client message (PROTOCOL.md 2.1-2.4). */
enum ms_dispatch_verb {
    MS_DISPATCH_SILENT = 0, /* nothing: the backend ignores the message (or an allocation failed) */
    MS_DISPATCH_REPLY,      /* send reply to the client */
    MS_DISPATCH_DROP,       /* end the connection without a close frame (the browser sees 1006) */
    MS_DISPATCH_SUBSCRIBE, /* legacy: subscribe the client to topic, send reply, then the history */
    MS_DISPATCH_UNSUBSCRIBE, /* legacy: unsubscribe the client from topic, then send reply */
};

/* One decision. Filled by ms_dispatch_enhanced() / ms_dispatch_legacy(); the strings are owned by
 * it and freed by ms_dispatch_free(). */
struct ms_dispatch {
    enum ms_dispatch_verb verb;
    char *reply; /* REPLY, SUBSCRIBE, UNSUBSCRIBE: the text frame to send (NULL after OOM) */
    char *topic; /* SUBSCRIBE, UNSUBSCRIBE: the topic as Python's str() writes it */
};

/*
 * A text (binary == 0) or binary message of len bytes (text need not be NUL-terminated) from a
 * client of the enhanced endpoint ep (MS_EP_WORKFLOW, MS_EP_AGENT or MS_EP_COORDINATOR) whose path
 * parameter is param ("" for the coordinator), under profile. coord (the coordinator model, used
 * only by the coordinator profile) may be changed: a workflow "cancel" control cancels param's
 * workflow in it. Fills *out (the caller frees its strings with ms_dispatch_free()) and returns
 * out->verb.
 */
enum ms_dispatch_verb ms_dispatch_enhanced(enum ms_endpoint ep, const char *param,
                                           enum ms_profile profile, struct ms_coord *coord,
                                           const char *text, size_t len, int binary,
                                           struct ms_dispatch *out);

/*
 * The same for a client of the legacy /api/v1/ws/connect endpoint (its action protocol). Fills
 * *out (the caller frees its strings with ms_dispatch_free()) and returns out->verb.
 */
enum ms_dispatch_verb ms_dispatch_legacy(const char *text, size_t len, int binary,
                                         struct ms_dispatch *out);

/* Frees the strings d holds (d itself is the caller's) and sets it back to SILENT. */
void ms_dispatch_free(struct ms_dispatch *d);

#endif
