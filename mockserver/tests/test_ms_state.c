/* test_ms_state -- unit tests of the client registry, rooms, broadcaster maps, buffers, topics and
 * stats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ms_err.h"
#include "ms_state.h"
#include "ms_test.h"

#define TS "2026-11-25T19:49:32.130907"

/* Fake connections: only their addresses matter. */
static int conn_a, conn_b, conn_c, conn_d;

/* Compares the compact rendering of tree (then freed) with want. */
static void assert_json(cJSON *tree, const char *want)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(tree);
    char *text = cJSON_PrintUnformatted(tree);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_STRING_EQUAL(text, want);
    if (strcmp(text, want))
        fprintf(stderr, "\n  got:  %s\n  want: %s\n", text, want);
    free(text);
    cJSON_Delete(tree);
}

static struct ms_client *connect_workflow(struct ms_state *st, const char *id, void *conn,
                                          const char *wf)
{
    char room[128];
    snprintf(room, sizeof(room), "workflow_%s", wf);
    return ms_state_connect(st, id, conn, MS_EP_WORKFLOW, wf, room, TS, NULL);
}

static struct ms_client *connect_agent(struct ms_state *st, const char *id, void *conn,
                                       const char *agent)
{
    char room[128];
    snprintf(room, sizeof(room), "agent_%s", agent);
    return ms_state_connect(st, id, conn, MS_EP_AGENT, agent, room, TS, NULL);
}

static struct ms_client *connect_coordinator(struct ms_state *st, const char *id, void *conn)
{
    return ms_state_connect(st, id, conn, MS_EP_COORDINATOR, NULL, "coordinator_metrics", TS, NULL);
}

static struct ms_client *connect_legacy(struct ms_state *st, const char *id, void *conn)
{
    return ms_state_connect(st, id, conn, MS_EP_LEGACY, NULL, NULL, TS, NULL);
}

/* Asserts that a snapshot (and its length, read after the call) holds exactly the ids want[0..n),
 * in order, and frees it. */
static void assert_ids(struct ms_client **got, const size_t *n_got, const char *const *want,
                       size_t n)
{
    CU_ASSERT_EQUAL_FATAL(*n_got, n);
    for (size_t i = 0; i < n; i++)
        CU_ASSERT_STRING_EQUAL(got[i]->id, want[i]);
    free(got);
}

#define EMPTY_WEBSOCKET_STATS                                                                      \
    "{\"total_connections\":0,\"total_rooms\":0,\"total_subscriptions\":0,\"rooms\":[],"           \
    "\"room_client_count\":{},\"topics\":[],\"topic_subscriber_count\":{}}"
#define EMPTY_BROADCASTER_STATS                                                                    \
    "{\"workflow_subscriptions\":0,\"agent_subscriptions\":0,\"total_agent_rooms\":0,"             \
    "\"buffered_rooms\":0,\"total_buffered_messages\":0,\"workflows\":[],\"agents\":[]}"

static void test_state_new_state_is_empty(void)
{
    struct ms_state *st = ms_state_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(ms_state_client_count(st), 0);
    CU_ASSERT_PTR_NULL(ms_state_client(st, "x"));
    size_t n = 99;
    CU_ASSERT_PTR_NULL(ms_state_members(st, NULL, &n));
    CU_ASSERT_EQUAL(n, 0);
    assert_json(ms_state_websocket_stats(st), EMPTY_WEBSOCKET_STATS);
    assert_json(ms_state_broadcaster_stats(st), EMPTY_BROADCASTER_STATS);
    ms_state_free(st);
    ms_state_free(NULL);
}

static void test_state_stats_match_the_protocol_sample(void)
{
    /* PROTOCOL.md 1.2, GET /ws/stats: coordinator, then workflow wf-42, then agent screenwriter. */
    struct ms_state *st = ms_state_new();
    connect_coordinator(st, "coordinator_ceeeb754", &conn_a);
    connect_workflow(st, "wf-client", &conn_b, "wf-42");
    connect_agent(st, "agent_screenwriter_ac9104dd", &conn_c, "screenwriter");
    assert_json(ms_state_websocket_stats(st),
                "{\"total_connections\":3,\"total_rooms\":3,\"total_subscriptions\":0,"
                "\"rooms\":[\"coordinator_metrics\",\"workflow_wf-42\",\"agent_screenwriter\"],"
                "\"room_client_count\":{\"coordinator_metrics\":1,\"workflow_wf-42\":1,"
                "\"agent_screenwriter\":1},\"topics\":[],\"topic_subscriber_count\":{}}");
    assert_json(ms_state_broadcaster_stats(st),
                "{\"workflow_subscriptions\":1,\"agent_subscriptions\":1,\"total_agent_rooms\":1,"
                "\"buffered_rooms\":0,\"total_buffered_messages\":0,\"workflows\":[\"wf-42\"],"
                "\"agents\":[\"screenwriter\"]}");
    ms_state_free(st);
}

static void test_state_connect_registers_a_record_with_the_endpoint_metadata(void)
{
    struct ms_state *st = ms_state_new();
    void *displaced = &conn_d;
    struct ms_client *c = ms_state_connect(st, "wf-client", &conn_a, MS_EP_WORKFLOW, "wf-42",
                                           "workflow_wf-42", TS, &displaced);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_PTR_NULL(displaced);
    CU_ASSERT_STRING_EQUAL(c->id, "wf-client");
    CU_ASSERT_PTR_EQUAL(c->conn, &conn_a);
    CU_ASSERT_EQUAL(c->ep, MS_EP_WORKFLOW);
    CU_ASSERT_STRING_EQUAL(c->param, "wf-42");
    CU_ASSERT_STRING_EQUAL(c->room, "workflow_wf-42");
    CU_ASSERT_STRING_EQUAL(c->connected_at, TS);
    CU_ASSERT_PTR_EQUAL(ms_state_client(st, "wf-client"), c);
    CU_ASSERT_EQUAL(ms_state_client_count(st), 1);
    CU_ASSERT_EQUAL(ms_state_room_size(st, "workflow_wf-42"), 1);

    struct ms_client *k = connect_coordinator(st, "coord", &conn_b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    CU_ASSERT_PTR_NULL(k->param);
    CU_ASSERT_STRING_EQUAL(k->room, "coordinator_metrics");
    struct ms_client *l = connect_legacy(st, "legacy-1", &conn_c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    CU_ASSERT_PTR_NULL(l->param);
    CU_ASSERT_PTR_NULL(l->room);
    CU_ASSERT_EQUAL(ms_state_client_count(st), 3);
    ms_state_free(st);
}

static void test_state_connect_copies_its_strings(void)
{
    struct ms_state *st = ms_state_new();
    char id[16] = "c1", wf[16] = "wf-1", room[32] = "workflow_wf-1", ts[32] = TS;
    struct ms_client *c = ms_state_connect(st, id, &conn_a, MS_EP_WORKFLOW, wf, room, ts, NULL);
    strcpy(id, "zz");
    strcpy(wf, "zz");
    strcpy(room, "zz");
    strcpy(ts, "zz");
    CU_ASSERT_PTR_EQUAL(ms_state_client(st, "c1"), c);
    CU_ASSERT_STRING_EQUAL(c->id, "c1");
    CU_ASSERT_STRING_EQUAL(c->param, "wf-1");
    CU_ASSERT_STRING_EQUAL(c->room, "workflow_wf-1");
    CU_ASSERT_STRING_EQUAL(c->connected_at, TS);
    CU_ASSERT_STRING_EQUAL(ms_state_workflow_room(st, "wf-1"), "workflow_wf-1");
    ms_state_free(st);
}

static void test_state_duplicate_client_id_overwrites_and_reports_displaced_conn(void)
{
    struct ms_state *st = ms_state_new();
    void *displaced = NULL;
    struct ms_client *first = ms_state_connect(st, "dup", &conn_a, MS_EP_WORKFLOW, "wf-1",
                                               "workflow_wf-1", "2026-01-01T00:00:00", &displaced);
    CU_ASSERT_PTR_NULL(displaced);
    struct ms_client *second = ms_state_connect(st, "dup", &conn_b, MS_EP_WORKFLOW, "wf-1",
                                                "workflow_wf-1", TS, &displaced);
    CU_ASSERT_PTR_EQUAL(second, first);
    CU_ASSERT_PTR_EQUAL(displaced, &conn_a);
    CU_ASSERT_PTR_EQUAL(second->conn, &conn_b);
    CU_ASSERT_STRING_EQUAL(second->connected_at, TS);
    CU_ASSERT_EQUAL(ms_state_client_count(st), 1);
    CU_ASSERT_EQUAL(ms_state_room_size(st, "workflow_wf-1"), 1);
    size_t n;
    struct ms_client **m = ms_state_members(st, "workflow_wf-1", &n);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_PTR_EQUAL(m[0]->conn, &conn_b);
    free(m);

    /* The first socket's cleanup unregisters the id: the second socket is gone from the state too.
     */
    CU_ASSERT_EQUAL(ms_state_disconnect(st, "dup"), 1);
    CU_ASSERT_PTR_NULL(ms_state_client(st, "dup"));
    CU_ASSERT_EQUAL(ms_state_client_count(st), 0);
    CU_ASSERT_EQUAL(ms_state_room_size(st, "workflow_wf-1"), 0);
    CU_ASSERT_PTR_NULL(ms_state_workflow_room(st, "wf-1"));
    /* The second socket's own cleanup then finds nothing. */
    CU_ASSERT_EQUAL(ms_state_disconnect(st, "dup"), 0);
    assert_json(ms_state_websocket_stats(st), EMPTY_WEBSOCKET_STATS);
    ms_state_free(st);
}

static void test_state_duplicate_client_id_keeps_rooms_and_topics_of_the_first(void)
{
    struct ms_state *st = ms_state_new();
    ms_state_connect(st, "dup", &conn_a, MS_EP_LEGACY, NULL, NULL, TS, NULL);
    CU_ASSERT_EQUAL(ms_state_subscribe(st, "dup", "news"), 0);
    connect_workflow(st, "dup", &conn_b, "wf-1");
    void *displaced = NULL;
    struct ms_client *c =
        ms_state_connect(st, "dup", &conn_c, MS_EP_AGENT, "writer", "agent_writer", TS, &displaced);
    CU_ASSERT_PTR_EQUAL(displaced, &conn_b);
    CU_ASSERT_EQUAL(c->ep, MS_EP_AGENT);
    CU_ASSERT_STRING_EQUAL(c->param, "writer");
    CU_ASSERT_STRING_EQUAL(c->room, "agent_writer");
    CU_ASSERT_EQUAL(ms_state_room_size(st, "workflow_wf-1"), 1);
    CU_ASSERT_EQUAL(ms_state_room_size(st, "agent_writer"), 1);
    assert_json(ms_state_client_info(st, "dup"),
                "{\"client_id\":\"dup\",\"connected\":true,"
                "\"rooms\":[\"workflow_wf-1\",\"agent_writer\"],\"subscriptions\":[\"news\"],"
                "\"metadata\":{\"type\":\"agent\",\"agent_name\":\"writer\",\"connected_at\":\"" TS
                "\"}}");
    /* One disconnect empties both rooms and undoes both broadcaster mappings. */
    CU_ASSERT_EQUAL(ms_state_disconnect(st, "dup"), 1);
    assert_json(ms_state_websocket_stats(st), EMPTY_WEBSOCKET_STATS);
    assert_json(ms_state_broadcaster_stats(st), EMPTY_BROADCASTER_STATS);
    ms_state_free(st);
}

static void test_state_members_are_in_join_order(void)
{
    struct ms_state *st = ms_state_new();
    connect_workflow(st, "c3", &conn_a, "pending");
    connect_workflow(st, "c1", &conn_a, "pending");
    connect_workflow(st, "other", &conn_a, "wf-9");
    connect_workflow(st, "c2", &conn_a, "pending");
    size_t n;
    const char *want[] = {"c3", "c1", "c2"};
    assert_ids(ms_state_members(st, "workflow_pending", &n), &n, want, 3);
    CU_ASSERT_EQUAL(ms_state_room_size(st, "workflow_pending"), 3);
    ms_state_disconnect(st, "c1");
    const char *want2[] = {"c3", "c2"};
    assert_ids(ms_state_members(st, "workflow_pending", &n), &n, want2, 2);
    /* Rejoining puts the client at the end. */
    connect_workflow(st, "c1", &conn_a, "pending");
    const char *want3[] = {"c3", "c2", "c1"};
    assert_ids(ms_state_members(st, "workflow_pending", &n), &n, want3, 3);
    ms_state_free(st);
}

static void test_state_members_of_unknown_room_is_null_with_zero(void)
{
    struct ms_state *st = ms_state_new();
    connect_workflow(st, "c1", &conn_a, "wf-1");
    size_t n = 5;
    CU_ASSERT_PTR_NULL(ms_state_members(st, "workflow_nope", &n));
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(ms_state_room_size(st, "workflow_nope"), 0);
    n = 5;
    CU_ASSERT_PTR_NULL(ms_state_topic_subscribers(st, "nope", &n));
    CU_ASSERT_EQUAL(n, 0);
    ms_state_free(st);
}

static void test_state_members_of_null_room_is_every_client_in_registration_order(void)
{
    struct ms_state *st = ms_state_new();
    connect_coordinator(st, "k", &conn_a);
    connect_legacy(st, "l", &conn_b);
    connect_workflow(st, "w", &conn_c, "wf-1");
    connect_agent(st, "a", &conn_d, "writer");
    ms_state_disconnect(st, "l");
    connect_legacy(st, "l", &conn_b);
    size_t n;
    const char *want[] = {"k", "w", "a", "l"};
    struct ms_client **all = ms_state_members(st, NULL, &n);
    CU_ASSERT_EQUAL_FATAL(n, 4);
    CU_ASSERT_PTR_EQUAL(all[3]->conn, &conn_b);
    assert_ids(all, &n, want, 4);
    ms_state_free(st);
}

static void test_state_rooms_are_listed_in_creation_order_and_recreated_at_the_end(void)
{
    struct ms_state *st = ms_state_new();
    connect_workflow(st, "w1", &conn_a, "wf-1");
    connect_coordinator(st, "k1", &conn_a);
    connect_workflow(st, "w2", &conn_a, "wf-2");
    connect_coordinator(st, "k2", &conn_a);
    ms_state_disconnect(st, "w1");
    connect_workflow(st, "w1b", &conn_a, "wf-1");
    assert_json(ms_state_websocket_stats(st),
                "{\"total_connections\":4,\"total_rooms\":3,\"total_subscriptions\":0,"
                "\"rooms\":[\"coordinator_metrics\",\"workflow_wf-2\",\"workflow_wf-1\"],"
                "\"room_client_count\":{\"coordinator_metrics\":2,\"workflow_wf-2\":1,"
                "\"workflow_wf-1\":1},\"topics\":[],\"topic_subscriber_count\":{}}");
    ms_state_free(st);
}

static void test_state_room_is_deleted_only_when_its_last_member_leaves(void)
{
    struct ms_state *st = ms_state_new();
    connect_coordinator(st, "k1", &conn_a);
    connect_coordinator(st, "k2", &conn_b);
    ms_state_disconnect(st, "k1");
    CU_ASSERT_EQUAL(ms_state_room_size(st, "coordinator_metrics"), 1);
    ms_state_disconnect(st, "k2");
    CU_ASSERT_EQUAL(ms_state_room_size(st, "coordinator_metrics"), 0);
    assert_json(ms_state_websocket_stats(st), EMPTY_WEBSOCKET_STATS);
    ms_state_free(st);
}

static void test_state_disconnect_of_unknown_id_is_ignored(void)
{
    struct ms_state *st = ms_state_new();
    connect_workflow(st, "c1", &conn_a, "wf-1");
    CU_ASSERT_EQUAL(ms_state_disconnect(st, "c2"), 0);
    CU_ASSERT_EQUAL(ms_state_client_count(st), 1);
    CU_ASSERT_EQUAL(ms_state_room_size(st, "workflow_wf-1"), 1);
    CU_ASSERT_STRING_EQUAL(ms_state_workflow_room(st, "wf-1"), "workflow_wf-1");
    ms_state_free(st);
}

static void test_state_workflow_connect_maps_the_workflow_to_its_room(void)
{
    struct ms_state *st = ms_state_new();
    CU_ASSERT_PTR_NULL(ms_state_workflow_room(st, "wf-1"));
    connect_workflow(st, "c1", &conn_a, "wf-1");
    connect_workflow(st, "c2", &conn_b, "wf-1");
    connect_workflow(st, "c3", &conn_c, "wf-0");
    CU_ASSERT_STRING_EQUAL(ms_state_workflow_room(st, "wf-1"), "workflow_wf-1");
    CU_ASSERT_STRING_EQUAL(ms_state_workflow_room(st, "wf-0"), "workflow_wf-0");
    CU_ASSERT_PTR_NULL(ms_state_workflow_room(st, "wf-2"));
    assert_json(ms_state_broadcaster_stats(st),
                "{\"workflow_subscriptions\":2,\"agent_subscriptions\":0,\"total_agent_rooms\":0,"
                "\"buffered_rooms\":0,\"total_buffered_messages\":0,"
                "\"workflows\":[\"wf-1\",\"wf-0\"],\"agents\":[]}");
    ms_state_free(st);
}

static void test_state_disconnect_of_last_member_forgets_workflow_mapping(void)
{
    struct ms_state *st = ms_state_new();
    connect_workflow(st, "c1", &conn_a, "wf-1");
    connect_workflow(st, "c2", &conn_b, "wf-1");
    ms_state_disconnect(st, "c1");
    CU_ASSERT_STRING_EQUAL(ms_state_workflow_room(st, "wf-1"), "workflow_wf-1");
    ms_state_disconnect(st, "c2");
    CU_ASSERT_PTR_NULL(ms_state_workflow_room(st, "wf-1"));
    assert_json(ms_state_broadcaster_stats(st), EMPTY_BROADCASTER_STATS);
    /* A later client maps it again, at the end of the order. */
    connect_workflow(st, "c3", &conn_c, "wf-2");
    connect_workflow(st, "c4", &conn_c, "wf-1");
    CU_ASSERT_STRING_EQUAL(ms_state_workflow_room(st, "wf-1"), "workflow_wf-1");
    cJSON *b = ms_state_broadcaster_stats(st);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    char *text = cJSON_PrintUnformatted(cJSON_GetObjectItem(b, "workflows"));
    CU_ASSERT_STRING_EQUAL(text, "[\"wf-2\",\"wf-1\"]");
    free(text);
    cJSON_Delete(b);
    ms_state_free(st);
}

static void test_state_agent_connect_adds_the_room_to_the_agent(void)
{
    struct ms_state *st = ms_state_new();
    CU_ASSERT_PTR_NULL(ms_state_agent_rooms(st, "writer"));
    connect_agent(st, "a1", &conn_a, "writer");
    connect_agent(st, "a2", &conn_b, "writer");
    connect_agent(st, "a3", &conn_c, "director");
    const char *const *rooms = ms_state_agent_rooms(st, "writer");
    CU_ASSERT_PTR_NOT_NULL_FATAL(rooms);
    CU_ASSERT_STRING_EQUAL(rooms[0], "agent_writer");
    CU_ASSERT_PTR_NULL(rooms[1]);
    rooms = ms_state_agent_rooms(st, "director");
    CU_ASSERT_PTR_NOT_NULL_FATAL(rooms);
    CU_ASSERT_STRING_EQUAL(rooms[0], "agent_director");
    CU_ASSERT_PTR_NULL(rooms[1]);
    assert_json(ms_state_broadcaster_stats(st),
                "{\"workflow_subscriptions\":0,\"agent_subscriptions\":2,\"total_agent_rooms\":2,"
                "\"buffered_rooms\":0,\"total_buffered_messages\":0,\"workflows\":[],"
                "\"agents\":[\"writer\",\"director\"]}");
    ms_state_free(st);
}

static void test_state_agent_with_several_rooms_lists_them_all(void)
{
    /* The header allows any room for an agent connection; an agent's room set then grows. */
    struct ms_state *st = ms_state_new();
    ms_state_connect(st, "a1", &conn_a, MS_EP_AGENT, "writer", "agent_writer", TS, NULL);
    ms_state_connect(st, "a2", &conn_b, MS_EP_AGENT, "writer", "agent_writer_b", TS, NULL);
    const char *const *rooms = ms_state_agent_rooms(st, "writer");
    CU_ASSERT_PTR_NOT_NULL_FATAL(rooms);
    CU_ASSERT_STRING_EQUAL(rooms[0], "agent_writer");
    CU_ASSERT_STRING_EQUAL(rooms[1], "agent_writer_b");
    CU_ASSERT_PTR_NULL(rooms[2]);
    cJSON *b = ms_state_broadcaster_stats(st);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(b, "agent_subscriptions")->valueint, 1);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(b, "total_agent_rooms")->valueint, 2);
    cJSON_Delete(b);
    ms_state_disconnect(st, "a1");
    rooms = ms_state_agent_rooms(st, "writer");
    CU_ASSERT_PTR_NOT_NULL_FATAL(rooms);
    CU_ASSERT_STRING_EQUAL(rooms[0], "agent_writer_b");
    CU_ASSERT_PTR_NULL(rooms[1]);
    ms_state_disconnect(st, "a2");
    CU_ASSERT_PTR_NULL(ms_state_agent_rooms(st, "writer"));
    ms_state_free(st);
}

static void test_state_disconnect_of_last_agent_member_removes_the_agent(void)
{
    struct ms_state *st = ms_state_new();
    connect_agent(st, "a1", &conn_a, "writer");
    connect_agent(st, "a2", &conn_b, "writer");
    ms_state_disconnect(st, "a2");
    CU_ASSERT_PTR_NOT_NULL(ms_state_agent_rooms(st, "writer"));
    ms_state_disconnect(st, "a1");
    CU_ASSERT_PTR_NULL(ms_state_agent_rooms(st, "writer"));
    assert_json(ms_state_broadcaster_stats(st), EMPTY_BROADCASTER_STATS);
    ms_state_free(st);
}

static void test_state_coordinator_disconnect_undoes_nothing_in_the_broadcaster(void)
{
    struct ms_state *st = ms_state_new();
    connect_workflow(st, "w", &conn_a, "wf-1");
    connect_agent(st, "a", &conn_b, "writer");
    connect_coordinator(st, "k", &conn_c);
    ms_state_buffer_push(st, "coordinator_metrics", "{\"type\":\"coordinator_metrics\"}");
    ms_state_disconnect(st, "k");
    assert_json(ms_state_broadcaster_stats(st),
                "{\"workflow_subscriptions\":1,\"agent_subscriptions\":1,\"total_agent_rooms\":1,"
                "\"buffered_rooms\":1,\"total_buffered_messages\":1,\"workflows\":[\"wf-1\"],"
                "\"agents\":[\"writer\"]}");
    ms_state_free(st);
}

static void test_state_buffer_keeps_the_last_fifty_in_order(void)
{
    struct ms_state *st = ms_state_new();
    char text[32];
    CU_ASSERT_EQUAL(ms_state_buffer_count(st, "coordinator_metrics"), 0);
    CU_ASSERT_PTR_NULL(ms_state_buffer_get(st, "coordinator_metrics", 0));
    for (int i = 0; i < 60; i++) {
        snprintf(text, sizeof(text), "{\"n\":%d}", i);
        CU_ASSERT_EQUAL(ms_state_buffer_push(st, "coordinator_metrics", text), 0);
        if (i == 9)
            CU_ASSERT_STRING_EQUAL(ms_state_buffer_get(st, "coordinator_metrics", 9), "{\"n\":9}");
    }
    strcpy(text, "changed");
    CU_ASSERT_EQUAL(ms_state_buffer_count(st, "coordinator_metrics"), MS_STATE_BUFFER_MAX);
    for (int i = 0; i < MS_STATE_BUFFER_MAX; i++) {
        snprintf(text, sizeof(text), "{\"n\":%d}", i + 10);
        CU_ASSERT_STRING_EQUAL(ms_state_buffer_get(st, "coordinator_metrics", (size_t)i), text);
    }
    CU_ASSERT_PTR_NULL(ms_state_buffer_get(st, "coordinator_metrics", MS_STATE_BUFFER_MAX));
    CU_ASSERT_EQUAL(ms_state_buffer_count(st, "workflow_x"), 0);
    ms_state_free(st);
}

static void test_state_buffers_are_counted_in_stats_and_survive_disconnects(void)
{
    struct ms_state *st = ms_state_new();
    connect_workflow(st, "w", &conn_a, "wf-1");
    ms_state_buffer_push(st, "workflow_wf-1", "a");
    ms_state_buffer_push(st, "workflow_wf-1", "b");
    for (int i = 0; i < 55; i++)
        ms_state_buffer_push(st, "coordinator_metrics", "m");
    ms_state_disconnect(st, "w");
    CU_ASSERT_EQUAL(ms_state_buffer_count(st, "workflow_wf-1"), 2);
    CU_ASSERT_STRING_EQUAL(ms_state_buffer_get(st, "workflow_wf-1", 0), "a");
    CU_ASSERT_STRING_EQUAL(ms_state_buffer_get(st, "workflow_wf-1", 1), "b");
    assert_json(ms_state_broadcaster_stats(st),
                "{\"workflow_subscriptions\":0,\"agent_subscriptions\":0,\"total_agent_rooms\":0,"
                "\"buffered_rooms\":2,\"total_buffered_messages\":52,\"workflows\":[],"
                "\"agents\":[]}");
    ms_state_free(st);
}

static void test_state_subscribe_requires_a_registered_client(void)
{
    struct ms_state *st = ms_state_new();
    CU_ASSERT_EQUAL(ms_state_subscribe(st, "ghost", "news"), MS_ERR_NOT_FOUND);
    assert_json(ms_state_websocket_stats(st), EMPTY_WEBSOCKET_STATS);
    ms_state_free(st);
}

static void test_state_topics_count_pairs_and_list_only_topics_with_subscribers(void)
{
    struct ms_state *st = ms_state_new();
    connect_legacy(st, "l1", &conn_a);
    connect_legacy(st, "l2", &conn_b);
    CU_ASSERT_EQUAL(ms_state_subscribe(st, "l1", "episode.1.outline"), 0);
    CU_ASSERT_EQUAL(ms_state_subscribe(st, "l2", "news"), 0);
    CU_ASSERT_EQUAL(ms_state_subscribe(st, "l1", "news"), 0);
    CU_ASSERT_EQUAL(ms_state_subscribe(st, "l1", "news"), 0); /* a set: no second pair */
    assert_json(ms_state_websocket_stats(st),
                "{\"total_connections\":2,\"total_rooms\":0,\"total_subscriptions\":3,"
                "\"rooms\":[],\"room_client_count\":{},"
                "\"topics\":[\"episode.1.outline\",\"news\"],"
                "\"topic_subscriber_count\":{\"episode.1.outline\":1,\"news\":2}}");
    size_t n;
    const char *want[] = {"l2", "l1"};
    assert_ids(ms_state_topic_subscribers(st, "news", &n), &n, want, 2);

    CU_ASSERT_EQUAL(ms_state_unsubscribe(st, "l1", "episode.1.outline"), 0);
    CU_ASSERT_EQUAL(ms_state_unsubscribe(st, "l1", "episode.1.outline"), MS_ERR_NOT_FOUND);
    CU_ASSERT_EQUAL(ms_state_unsubscribe(st, "ghost", "news"), MS_ERR_NOT_FOUND);
    CU_ASSERT_EQUAL(ms_state_unsubscribe(st, "l2", "nope"), MS_ERR_NOT_FOUND);
    assert_json(ms_state_websocket_stats(st),
                "{\"total_connections\":2,\"total_rooms\":0,\"total_subscriptions\":2,"
                "\"rooms\":[],\"room_client_count\":{},\"topics\":[\"news\"],"
                "\"topic_subscriber_count\":{\"news\":2}}");
    ms_state_free(st);
}

static void test_state_disconnect_removes_subscriptions_and_empty_topics(void)
{
    struct ms_state *st = ms_state_new();
    connect_legacy(st, "l1", &conn_a);
    connect_legacy(st, "l2", &conn_b);
    ms_state_subscribe(st, "l1", "solo");
    ms_state_subscribe(st, "l1", "shared");
    ms_state_subscribe(st, "l2", "shared");
    ms_state_disconnect(st, "l1");
    assert_json(ms_state_websocket_stats(st),
                "{\"total_connections\":1,\"total_rooms\":0,\"total_subscriptions\":1,"
                "\"rooms\":[],\"room_client_count\":{},\"topics\":[\"shared\"],"
                "\"topic_subscriber_count\":{\"shared\":1}}");
    size_t n;
    const char *want[] = {"l2"};
    assert_ids(ms_state_topic_subscribers(st, "shared", &n), &n, want, 1);
    ms_state_disconnect(st, "l2");
    assert_json(ms_state_websocket_stats(st), EMPTY_WEBSOCKET_STATS);
    ms_state_free(st);
}

static void test_state_history_keeps_the_last_hundred_and_survives_unsubscribe(void)
{
    struct ms_state *st = ms_state_new();
    connect_legacy(st, "l1", &conn_a);
    ms_state_subscribe(st, "l1", "news");
    char text[32];
    for (int i = 0; i < 130; i++) {
        snprintf(text, sizeof(text), "m%d", i);
        CU_ASSERT_EQUAL(ms_state_history_push(st, "news", text), 0);
    }
    ms_state_unsubscribe(st, "l1", "news");
    ms_state_disconnect(st, "l1");
    CU_ASSERT_EQUAL(ms_state_history_count(st, "news"), MS_STATE_HISTORY_MAX);
    CU_ASSERT_STRING_EQUAL(ms_state_history_get(st, "news", 0), "m30");
    CU_ASSERT_STRING_EQUAL(ms_state_history_get(st, "news", 99), "m129");
    CU_ASSERT_PTR_NULL(ms_state_history_get(st, "news", 100));
    CU_ASSERT_EQUAL(ms_state_history_count(st, "other"), 0);
    CU_ASSERT_PTR_NULL(ms_state_history_get(st, "other", 0));
    ms_state_free(st);
}

static void test_state_reset_forgets_everything_and_state_stays_usable(void)
{
    struct ms_state *st = ms_state_new();
    connect_workflow(st, "w", &conn_a, "wf-1");
    connect_agent(st, "a", &conn_b, "writer");
    connect_legacy(st, "l", &conn_c);
    ms_state_subscribe(st, "l", "news");
    ms_state_history_push(st, "news", "h");
    ms_state_buffer_push(st, "coordinator_metrics", "b");
    ms_state_reset(st);
    CU_ASSERT_EQUAL(ms_state_client_count(st), 0);
    CU_ASSERT_PTR_NULL(ms_state_client(st, "w"));
    CU_ASSERT_EQUAL(ms_state_history_count(st, "news"), 0);
    CU_ASSERT_EQUAL(ms_state_buffer_count(st, "coordinator_metrics"), 0);
    CU_ASSERT_PTR_NULL(ms_state_workflow_room(st, "wf-1"));
    CU_ASSERT_PTR_NULL(ms_state_agent_rooms(st, "writer"));
    assert_json(ms_state_websocket_stats(st), EMPTY_WEBSOCKET_STATS);
    assert_json(ms_state_broadcaster_stats(st), EMPTY_BROADCASTER_STATS);
    connect_workflow(st, "w", &conn_a, "wf-1");
    CU_ASSERT_EQUAL(ms_state_client_count(st), 1);
    CU_ASSERT_STRING_EQUAL(ms_state_workflow_room(st, "wf-1"), "workflow_wf-1");
    ms_state_free(st);
}

static void test_state_client_info_per_endpoint(void)
{
    struct ms_state *st = ms_state_new();
    connect_workflow(st, "wf-client", &conn_a, "wf-42");
    connect_agent(st, "ag", &conn_b, "screenwriter");
    connect_coordinator(st, "co", &conn_c);
    connect_legacy(st, "le", &conn_d);
    ms_state_subscribe(st, "le", "b-topic");
    ms_state_subscribe(st, "le", "a-topic");
    assert_json(
        ms_state_client_info(st, "wf-client"),
        "{\"client_id\":\"wf-client\",\"connected\":true,\"rooms\":[\"workflow_wf-42\"],"
        "\"subscriptions\":[],\"metadata\":{\"type\":\"workflow\",\"workflow_id\":\"wf-42\","
        "\"connected_at\":\"2026-11-25T19:49:32.130907\"}}");
    assert_json(ms_state_client_info(st, "ag"),
                "{\"client_id\":\"ag\",\"connected\":true,\"rooms\":[\"agent_screenwriter\"],"
                "\"subscriptions\":[],\"metadata\":{\"type\":\"agent\","
                "\"agent_name\":\"screenwriter\",\"connected_at\":\"" TS "\"}}");
    assert_json(ms_state_client_info(st, "co"),
                "{\"client_id\":\"co\",\"connected\":true,\"rooms\":[\"coordinator_metrics\"],"
                "\"subscriptions\":[],\"metadata\":{\"type\":\"coordinator\","
                "\"connected_at\":\"" TS "\"}}");
    assert_json(ms_state_client_info(st, "le"),
                "{\"client_id\":\"le\",\"connected\":true,\"rooms\":[],"
                "\"subscriptions\":[\"b-topic\",\"a-topic\"],"
                "\"metadata\":{\"connected_at\":\"" TS "\"}}");
    CU_ASSERT_PTR_NULL(ms_state_client_info(st, "nobody"));
    ms_state_disconnect(st, "ag");
    CU_ASSERT_PTR_NULL(ms_state_client_info(st, "ag"));
    ms_state_free(st);
}

static void test_state_ten_thousand_clients_in_rooms_of_a_thousand(void)
{
    enum { CLIENTS = 10000, ROOM = 1000 };
    struct ms_state *st = ms_state_new();
    char id[32], wf[32], room[48];
    for (int i = 0; i < CLIENTS; i++) {
        snprintf(id, sizeof(id), "client-%d", i);
        snprintf(wf, sizeof(wf), "wf-%d", i / ROOM);
        CU_ASSERT_PTR_NOT_NULL_FATAL(connect_workflow(st, id, &conn_a, wf));
    }
    CU_ASSERT_EQUAL(ms_state_client_count(st), CLIENTS);
    for (int r = 0; r < CLIENTS / ROOM; r++) {
        snprintf(room, sizeof(room), "workflow_wf-%d", r);
        size_t n;
        struct ms_client **m = ms_state_members(st, room, &n);
        CU_ASSERT_EQUAL_FATAL(n, ROOM);
        for (int k = 0; k < ROOM; k++) {
            snprintf(id, sizeof(id), "client-%d", r * ROOM + k);
            CU_ASSERT_STRING_EQUAL_FATAL(m[k]->id, id);
        }
        free(m);
    }
    size_t n;
    struct ms_client **all = ms_state_members(st, NULL, &n);
    CU_ASSERT_EQUAL(n, CLIENTS);
    free(all);
    /* Disconnect the odd ones, then the even ones: rooms shrink, then vanish with their mapping. */
    for (int i = 1; i < CLIENTS; i += 2) {
        snprintf(id, sizeof(id), "client-%d", i);
        CU_ASSERT_EQUAL_FATAL(ms_state_disconnect(st, id), 1);
    }
    CU_ASSERT_EQUAL(ms_state_room_size(st, "workflow_wf-3"), ROOM / 2);
    CU_ASSERT_STRING_EQUAL(ms_state_workflow_room(st, "wf-3"), "workflow_wf-3");
    for (int i = 0; i < CLIENTS; i += 2) {
        snprintf(id, sizeof(id), "client-%d", i);
        CU_ASSERT_EQUAL_FATAL(ms_state_disconnect(st, id), 1);
    }
    assert_json(ms_state_websocket_stats(st), EMPTY_WEBSOCKET_STATS);
    assert_json(ms_state_broadcaster_stats(st), EMPTY_BROADCASTER_STATS);
    ms_state_free(st);
}

static CU_TestInfo state_tests[] = {
    MS_TEST(test_state_new_state_is_empty),
    MS_TEST(test_state_stats_match_the_protocol_sample),
    MS_TEST(test_state_connect_registers_a_record_with_the_endpoint_metadata),
    MS_TEST(test_state_connect_copies_its_strings),
    MS_TEST(test_state_duplicate_client_id_overwrites_and_reports_displaced_conn),
    MS_TEST(test_state_duplicate_client_id_keeps_rooms_and_topics_of_the_first),
    MS_TEST(test_state_members_are_in_join_order),
    MS_TEST(test_state_members_of_unknown_room_is_null_with_zero),
    MS_TEST(test_state_members_of_null_room_is_every_client_in_registration_order),
    MS_TEST(test_state_rooms_are_listed_in_creation_order_and_recreated_at_the_end),
    MS_TEST(test_state_room_is_deleted_only_when_its_last_member_leaves),
    MS_TEST(test_state_disconnect_of_unknown_id_is_ignored),
    MS_TEST(test_state_workflow_connect_maps_the_workflow_to_its_room),
    MS_TEST(test_state_disconnect_of_last_member_forgets_workflow_mapping),
    MS_TEST(test_state_agent_connect_adds_the_room_to_the_agent),
    MS_TEST(test_state_agent_with_several_rooms_lists_them_all),
    MS_TEST(test_state_disconnect_of_last_agent_member_removes_the_agent),
    MS_TEST(test_state_coordinator_disconnect_undoes_nothing_in_the_broadcaster),
    MS_TEST(test_state_buffer_keeps_the_last_fifty_in_order),
    MS_TEST(test_state_buffers_are_counted_in_stats_and_survive_disconnects),
    MS_TEST(test_state_subscribe_requires_a_registered_client),
    MS_TEST(test_state_topics_count_pairs_and_list_only_topics_with_subscribers),
    MS_TEST(test_state_disconnect_removes_subscriptions_and_empty_topics),
    MS_TEST(test_state_history_keeps_the_last_hundred_and_survives_unsubscribe),
    MS_TEST(test_state_reset_forgets_everything_and_state_stays_usable),
    MS_TEST(test_state_client_info_per_endpoint),
    MS_TEST(test_state_ten_thousand_clients_in_rooms_of_a_thousand),
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ms_test_suites[] = {
    {"ms_state", NULL, NULL, NULL, NULL, state_tests},
    CU_SUITE_INFO_NULL,
};
