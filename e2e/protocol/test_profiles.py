"""wsmock's profiles: pre-fix (the WS-001 server of PROTOCOL.md 7) and coordinator (the coordinator-present
replies of 2.1-2.3). Mock only: the real backend has neither switch."""

import json

import pytest

from wsproto_helpers import (
    assert_json_response, jdump, norm, raw_403, run, timestamps_in, ws_connect, ws_open, ws_refused_status,
)

pytestmark = pytest.mark.mock_only("needs a wsmock profile: pre-fix or coordinator")

WELCOME = '{"type":"info","message":"Connected to ViMax WebSocket server","timestamp":"<ts>","client_id":%s,"room":%s}'
EMPTY_WS = ('{"total_connections":0,"total_rooms":0,"total_subscriptions":0,"rooms":[],"room_client_count":{},'
            '"topics":[],"topic_subscriber_count":{}}')


def welcome(client_id, room):
    return WELCOME % (jdump(client_id), jdump(room))


# ========================================================================================================
# pre-fix: WS-001 reproduced

PREFIX_REFUSED = [
    "/ws/workflow/pending", "/ws/coordinator", "/ws/agent/screenwriter", "/ws/workflow/wf-42?client_id=tab-1",
    "/ws/coordinator?client_id=x", "/ws/workflow", "/ws/coordinator/", "/ws/stats",
]


def test_prefix_health_and_legacy_stats_still_work(prefix_mock):
    r = prefix_mock.get("/health")
    assert_json_response(r, 200)
    assert norm(r.text) == '{"status":"healthy","version":"3.0.0","timestamp":"<ts>","database":"connected"}'
    assert_json_response(prefix_mock.get("/api/v1/ws/stats"), 200, EMPTY_WS)


@pytest.mark.parametrize("path", PREFIX_REFUSED)
def test_prefix_every_ws_upgrade_is_403(prefix_mock, path):
    assert run(ws_refused_status(prefix_mock.ws_url, path)) == 403


@pytest.mark.parametrize("path", ["/ws/workflow/pending", "/ws/coordinator", "/ws/agent/screenwriter"])
def test_prefix_exact_403_bytes(prefix_mock, path):
    raw_403(prefix_mock.host, prefix_mock.port, path)


@pytest.mark.parametrize("path", ["/ws/stats", "/ws/client/x", "/ws/coordinator"])
def test_prefix_enhanced_http_routes_are_404(prefix_mock, path):
    assert_json_response(prefix_mock.get(path), 404, '{"detail":"Not Found"}')


def test_prefix_legacy_endpoint_broadcast_and_publish_work(prefix_mock):
    async def scenario():
        async with ws_connect(prefix_mock.ws_url, "/api/v1/ws/connect?client_id=legacy-1") as c:
            await c.expect(welcome("legacy-1", None))
            await c.send('{"action":"ping"}')
            await c.expect_raw('{"type":"info","message":"pong"}')
            await c.send('{"action":"subscribe","topic":"t"}')
            await c.expect_raw('{"type":"info","message":"Subscribed to topic: t"}')
            r = prefix_mock.post("/api/v1/ws/publish/t", obj={"type": "status", "status": "s", "message": "m",
                                                              "details": {}})
            assert_json_response(r, 200, '{"message":"Message published","topic":"t","subscribers":1}')
            await c.expect('{"type":"status","status":"s","message":"m","details":{},"timestamp":"<ts>"}')
            r = prefix_mock.post("/api/v1/ws/broadcast", obj={"type": "hello"})
            assert_json_response(r, 200, '{"message":"Broadcast sent","recipients":1}')
            await c.expect_raw('{"type":"hello"}')
            ws = prefix_mock.legacy_stats()
            assert ws["total_connections"] == 1 and ws["topics"] == ["t"]
            info = prefix_mock.get("/ws/client/legacy-1")
            assert info.status == 404
    run(scenario())


def test_prefix_openapi_lacks_the_enhanced_router(prefix_mock):
    r = prefix_mock.get("/openapi.json")
    assert_json_response(r, 200)
    paths = r.json()["paths"]
    assert sorted(p for p in paths if "/ws/" in p) == ["/api/v1/ws/broadcast", "/api/v1/ws/publish/{topic}",
                                                       "/api/v1/ws/stats"]
    assert "/health" in paths


def test_prefix_reconnect_storm_is_journaled(prefix_mock):
    """The Agent Monitor retrying every second: each attempt is a refused upgrade with a growing count."""
    for _ in range(3):
        assert run(ws_refused_status(prefix_mock.ws_url, "/ws/coordinator")) == 403
    ev = prefix_mock.journal(type="upgrade", path="/ws/coordinator")["events"]
    assert [(e["attempt"], e["outcome"], e["status"]) for e in ev] == [(1, "refused", 403), (2, "refused", 403),
                                                                      (3, "refused", 403)]
    assert prefix_mock.journal(type="open")["events"] == []
    # The legacy endpoint is accepted meanwhile.
    async def scenario():
        async with ws_connect(prefix_mock.ws_url, "/api/v1/ws/connect") as c:
            await c.recv()
    run(scenario())
    ev = prefix_mock.journal(type="upgrade", path="/api/v1/ws/connect")["events"]
    assert [(e["outcome"], e["status"]) for e in ev] == [("accepted", 101)]


# ========================================================================================================
# coordinator: the coordinator-present replies

AGENT = {"name": "screenwriter", "status": "idle", "registered_at": "2026-11-25T19:00:00",
         "metrics": {"message_count": 3, "error_count": 0, "error_rate": 0.0, "avg_execution_time": 1.23,
                     "total_execution_time": 3.69, "last_heartbeat": "2026-11-25T19:00:00", "is_healthy": True}}
WF_KNOWN = {"workflow_id": "wf-known", "state": "running", "progress": 0.5, "started_at": "2026-11-25T19:53:09.609330",
            "completed_at": None, "duration": 0.004461, "task_states": {"outline": "completed", "script": "pending"},
            "completed_tasks": 1, "failed_tasks": 0, "errors": {}}
MODEL = {"agents": [AGENT], "workflows": [WF_KNOWN], "total_messages": 0, "queue_size": 0, "dead_letters": 0}
MODEL_METRICS = ('{"total_messages":0,"total_workflows":1,"registered_agents":1,"healthy_agents":1,'
                 '"active_workflows":1,"queue_size":0,"dead_letters":0}')


def metrics_frame(body):
    return '{"type":"coordinator_metrics",' + body[1:]


@pytest.fixture
def coord(coordinator_mock):
    r = coordinator_mock.set_coordinator(MODEL)
    assert_json_response(r, 200, MODEL_METRICS)
    return coordinator_mock


async def connect(srv, path, client_id, room):
    sep = "&" if "?" in path else "?"
    c = await ws_open(srv.ws_url, "%s%sclient_id=%s" % (path, sep, client_id))
    await c.expect(welcome(client_id, room))
    return c


def test_coordinator_model_answer(coordinator_mock):
    model = {"agents": [AGENT, dict(AGENT, name="sick", metrics=dict(AGENT["metrics"], is_healthy=False)),
                        dict(AGENT, name="third")],
             "workflows": [WF_KNOWN, dict(WF_KNOWN, workflow_id="wf-done", state="completed"),
                           dict(WF_KNOWN, workflow_id="wf-2", state="running"),
                           dict(WF_KNOWN, workflow_id="wf-p", state="pending")],
             "total_messages": 12, "queue_size": 4, "dead_letters": 2}
    assert_json_response(coordinator_mock.set_coordinator(model), 200,
                         '{"total_messages":12,"total_workflows":4,"registered_agents":3,"healthy_agents":2,'
                         '"active_workflows":2,"queue_size":4,"dead_letters":2}')
    assert_json_response(coordinator_mock.set_coordinator({}), 200,
                         '{"total_messages":0,"total_workflows":0,"registered_agents":0,"healthy_agents":0,'
                         '"active_workflows":0,"queue_size":0,"dead_letters":0}')


def test_workflow_connect_status_unknown(coord):
    async def scenario():
        c = await connect(coord, "/ws/workflow/test-id", "c1", "workflow_test-id")
        await c.expect_raw('{"type":"status","workflow_id":"test-id","status":{"state":"pending",'
                           '"message":"Workflow not started yet"}}')
        await c.ping_pong()
        await c.close()
    run(scenario())


def test_workflow_connect_status_known(coord):
    async def scenario():
        c = await connect(coord, "/ws/workflow/wf-known", "c1", "workflow_wf-known")
        await c.expect_raw('{"type":"status","workflow_id":"wf-known","status":{"workflow_id":"wf-known",'
                           '"state":"running","progress":0.5,"started_at":"2026-11-25T19:53:09.609330",'
                           '"completed_at":null,"duration":0.004461,"task_states":{"outline":"completed",'
                           '"script":"pending"},"completed_tasks":1,"failed_tasks":0,"errors":{}}}')
        await c.ping_pong()
        await c.close()
    run(scenario())


def test_cancel_known_workflow(coord):
    async def scenario():
        c = await connect(coord, "/ws/workflow/wf-known", "c1", "workflow_wf-known")
        other = await connect(coord, "/ws/workflow/wf-known", "c2", "workflow_wf-known")
        await c.recv()          # status
        await other.recv()      # status
        await c.send('{"type":"control","action":"cancel"}')
        await c.expect_raw('{"type":"control_response","action":"cancel","status":"success",'
                           '"message":"Workflow wf-known cancelled"}')
        await c.ping_pong()
        await other.ping_pong()         # nothing broadcast to the room
        co = await connect(coord, "/ws/coordinator", "co", "coordinator_metrics")
        await co.expect_raw(metrics_frame(MODEL_METRICS.replace('"active_workflows":1', '"active_workflows":0')))
        third = await connect(coord, "/ws/workflow/wf-known", "c3", "workflow_wf-known")
        status = json.loads(await third.recv())
        assert status["type"] == "status" and status["status"]["state"] == "cancelled", status
        for x in (c, other, co, third):
            await x.close()
    run(scenario())


@pytest.mark.parametrize("msg,path_id", [
    pytest.param('{"type":"control","action":"cancel"}', "wf-unknown", id="unknown"),
    pytest.param('{"type":"control","action":"cancel","workflow_id":"wf-known"}', "wf-unknown",
                 id="message-workflow-id-ignored"),
])
def test_cancel_unknown_workflow(coord, msg, path_id):
    async def scenario():
        c = await connect(coord, "/ws/workflow/" + path_id, "c1", "workflow_" + path_id)
        await c.recv()          # status pending
        await c.send(msg)
        await c.expect_raw('{"type":"error","message":"Control action failed: Workflow \'%s\' not found"}' % path_id)
        await c.ping_pong()
        co = await connect(coord, "/ws/coordinator", "co", "coordinator_metrics")
        await co.expect_raw(metrics_frame(MODEL_METRICS))       # wf-known still running
        await c.close()
        await co.close()
    run(scenario())


@pytest.mark.parametrize("action,text", [("pause", "Pause"), ("resume", "Resume")])
def test_pause_resume_not_implemented(coord, action, text):
    async def scenario():
        c = await connect(coord, "/ws/workflow/wf-known", "c1", "workflow_wf-known")
        await c.recv()
        await c.send({"type": "control", "action": action})
        await c.expect_raw('{"type":"control_response","action":"%s","status":"not_implemented",'
                           '"message":"%s functionality not yet implemented"}' % (action, text))
        await c.ping_pong()
        await c.close()
    run(scenario())


@pytest.mark.parametrize("msg,shown", [
    pytest.param('{"type":"control","action":"explode"}', "explode", id="explode"),
    pytest.param('{"type":"control"}', "None", id="missing"),
    pytest.param('{"type":"control","action":null}', "None", id="null"),
    pytest.param('{"type":"control","action":5}', "5", id="int"),
    pytest.param('{"type":"control","action":"CANCEL"}', "CANCEL", id="case"),
])
def test_unknown_control_action(coord, msg, shown):
    async def scenario():
        c = await connect(coord, "/ws/workflow/wf-known", "c1", "workflow_wf-known")
        await c.recv()
        await c.send(msg)
        await c.expect_raw(jdump({"type": "error", "message": "Unknown action: " + shown}))
        await c.ping_pong()
        await c.close()
    run(scenario())


def test_coordinator_connect_and_get_metrics(coord):
    async def scenario():
        c = await connect(coord, "/ws/coordinator", "co", "coordinator_metrics")
        await c.expect_raw(metrics_frame(MODEL_METRICS))
        await c.send('{"type":"get_metrics"}')
        await c.expect_raw(metrics_frame(MODEL_METRICS))
        await c.send('{"type":"get_metrics","extra":1}')
        await c.expect_raw(metrics_frame(MODEL_METRICS))
        await c.send('{"type":"control","action":"cancel"}')        # still ignored here
        await c.send("not json")                                    # still ignored here
        await c.ping_pong()
        await c.close()
    run(scenario())


def test_get_metrics_ignored_on_workflow_and_agent(coord):
    async def scenario():
        w = await connect(coord, "/ws/workflow/wf-known", "w", "workflow_wf-known")
        await w.recv()
        a = await connect(coord, "/ws/agent/nobody", "a", "agent_nobody")
        for c in (w, a):
            await c.send('{"type":"get_metrics"}')
            await c.ping_pong()
        await a.send('{"type":"control","action":"cancel"}')
        await a.ping_pong()
        await w.send("not json")
        await w.expect_raw('{"type":"error","message":"Invalid JSON format"}')
        await w.close()
        await a.close()
    run(scenario())


def test_agent_registered_gets_object_status_and_no_deadlock(coord):
    async def scenario():
        a = await connect(coord, "/ws/agent/screenwriter", "a1", "agent_screenwriter")
        await a.expect_raw('{"type":"agent_status","agent_name":"screenwriter","status":{"name":"screenwriter",'
                           '"status":"idle","registered_at":"2026-11-25T19:00:00","metrics":{"message_count":3,'
                           '"error_count":0,"error_rate":0.0,"avg_execution_time":1.23,"total_execution_time":3.69,'
                           '"last_heartbeat":"2026-11-25T19:00:00","is_healthy":true}}}')
        await a.ping_pong()
        r = coord.get("/health")
        assert r.status == 200, r
        await a.close()
    run(scenario())


def test_agent_unknown_gets_nothing(coord):
    async def scenario():
        a = await connect(coord, "/ws/agent/nobody", "a1", "agent_nobody")
        await a.ping_pong()
        await a.close()
    run(scenario())


def test_empty_model_after_reset(coordinator_mock):
    """Reset puts the coordinator model back to empty: zero metrics, every workflow pending."""
    async def scenario():
        c = await connect(coordinator_mock, "/ws/coordinator", "co", "coordinator_metrics")
        await c.expect_raw('{"type":"coordinator_metrics","total_messages":0,"total_workflows":0,"registered_agents":0,'
                           '"healthy_agents":0,"active_workflows":0,"queue_size":0,"dead_letters":0}')
        w = await connect(coordinator_mock, "/ws/workflow/wf-known", "w", "workflow_wf-known")
        await w.expect_raw('{"type":"status","workflow_id":"wf-known","status":{"state":"pending",'
                           '"message":"Workflow not started yet"}}')
        a = await connect(coordinator_mock, "/ws/agent/screenwriter", "a", "agent_screenwriter")
        await a.ping_pong()
        for x in (c, w, a):
            await x.close()
    run(scenario())


def test_workflow_replay_comes_before_status(coord):
    """2.1 order: welcome, buffered replay, then status."""
    n = coord.emit_ok({"room": "workflow_wf-known", "buffer_if_empty": True, "message": {
        "type": "error", "target_type": "workflow", "target_id": "wf-known", "message": "boom",
        "error_type": "Error", "retryable": False, "details": {}, "timestamp": "2026-11-25T19:49:41.018000"}})
    assert n == 0

    async def scenario():
        c = await connect(coord, "/ws/workflow/wf-known", "c1", "workflow_wf-known")
        await c.expect('{"type":"error","target_type":"workflow","target_id":"wf-known","message":"boom",'
                       '"error_type":"Error","retryable":false,"details":{},"timestamp":"<ts>"}')
        status = json.loads(await c.recv())
        assert status["type"] == "status", status
        await c.ping_pong()
        await c.close()
    run(scenario())


def test_coordinator_metrics_broadcast_keeps_timestamp_form(coord):
    """The broadcast form (timestamp second) differs from the reply form even in this profile."""
    async def scenario():
        c = await connect(coord, "/ws/coordinator", "co", "coordinator_metrics")
        await c.expect_raw(metrics_frame(MODEL_METRICS))
        assert coord.emit_ok({"kind": "coordinator_metrics", "total_messages": 12}) == 1
        raw = await c.expect('{"type":"coordinator_metrics","timestamp":"<ts>","total_messages":12,"total_workflows":0,'
                             '"registered_agents":0,"healthy_agents":0,"active_workflows":0,"queue_size":0,'
                             '"dead_letters":0}')
        assert len(timestamps_in(raw)) == 1
        await c.close()
    run(scenario())
