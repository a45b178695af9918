"""wsmock's control API (/__mock/emit, /__mock/journal, /__mock/reset) and its command line. Mock only.

emit renders the broadcaster shapes of PROTOCOL.md 2.1-2.3 and 5 and follows the buffering rules of 3.3.
"""

import json
import os
import signal
import socket
import subprocess
import threading
import time

import pytest

from wsproto_helpers import (
    assert_json_response, assert_utc_now, jdump, norm, run, timestamps_in, ws_open, ws_refused_status,
)

pytestmark = pytest.mark.mock_only("needs wsmock's control API or command line")

WELCOME = '{"type":"info","message":"Connected to ViMax WebSocket server","timestamp":"<ts>","client_id":%s,"room":%s}'
PATHS = {"workflow": "/ws/workflow/%s", "agent": "/ws/agent/%s", "coordinator": "/ws/coordinator",
         "legacy": "/api/v1/ws/connect"}


def room_of(kind, param):
    return {"workflow": "workflow_" + param, "agent": "agent_" + param, "coordinator": "coordinator_metrics",
            "legacy": None}[kind]


async def connect(srv, kind, param="wf-1", client_id=None, origin=None):
    path = PATHS[kind] % param if "%s" in PATHS[kind] else PATHS[kind]
    if client_id:
        path += "?client_id=" + client_id
    c = await ws_open(srv.ws_url, path, origin=origin)
    raw = await c.recv()
    cid = json.loads(raw)["client_id"]
    assert norm(raw) == norm(WELCOME % (jdump(cid), jdump(room_of(kind, param)))), raw
    return c


# ========================================================================================================
# emit: exact shapes

PROGRESS_DOC = ('{"type":"progress","workflow_id":"wf-1","timestamp":"<ts>","state":"running","progress":0.1,'
                '"stage":"outline","message":"Generating outline","details":{}}')

EMIT_SHAPES = [
    pytest.param({"kind": "progress", "workflow_id": "wf-1", "state": "running", "progress": 0.1, "stage": "outline",
                  "message": "Generating outline", "details": {}}, ("workflow", "wf-1"), PROGRESS_DOC,
                 id="progress-doc-example"),
    pytest.param({"kind": "progress", "workflow_id": "wf-1", "state": "pending"}, ("workflow", "wf-1"),
                 '{"type":"progress","workflow_id":"wf-1","timestamp":"<ts>","state":"pending","progress":0.0,'
                 '"stage":null,"message":null,"details":{}}', id="progress-defaults"),
    pytest.param({"kind": "progress", "workflow_id": "wf-1", "state": "completed", "progress": 1}, ("workflow", "wf-1"),
                 '{"type":"progress","workflow_id":"wf-1","timestamp":"<ts>","state":"completed","progress":1.0,'
                 '"stage":null,"message":null,"details":{}}', id="progress-int-1-is-1.0"),
    pytest.param({"kind": "progress", "workflow_id": "wf-1", "state": "running", "progress": 0}, ("workflow", "wf-1"),
                 '{"type":"progress","workflow_id":"wf-1","timestamp":"<ts>","state":"running","progress":0.0,'
                 '"stage":null,"message":null,"details":{}}', id="progress-int-0-is-0.0"),
    pytest.param({"kind": "progress", "workflow_id": "wf-1", "state": "running", "progress": 0.5}, ("workflow", "wf-1"),
                 '{"type":"progress","workflow_id":"wf-1","timestamp":"<ts>","state":"running","progress":0.5,'
                 '"stage":null,"message":null,"details":{}}', id="progress-0.5"),
    pytest.param({"kind": "progress", "workflow_id": "wf-1", "state": "running", "progress": 0.000011},
                 ("workflow", "wf-1"),
                 '{"type":"progress","workflow_id":"wf-1","timestamp":"<ts>","state":"running","progress":1.1e-05,'
                 '"stage":null,"message":null,"details":{}}', id="progress-1.1e-05"),
    pytest.param({"kind": "progress", "workflow_id": "测试", "state": "failed", "progress": 0.25, "stage": "scenes",
                  "message": "生成失败", "details": {"error": "boom", "tasks": ["a", "b"], "f": 2.50, "n": None}},
                 ("workflow", "测试"),
                 '{"type":"progress","workflow_id":"测试","timestamp":"<ts>","state":"failed","progress":0.25,'
                 '"stage":"scenes","message":"生成失败","details":{"error":"boom","tasks":["a","b"],"f":2.5,"n":null}}',
                 id="progress-utf8-details"),
    pytest.param({"kind": "agent_status", "agent_name": "screenwriter", "status": "busy",
                  "metrics": {"message_count": 3, "error_count": 0, "error_rate": 0.0, "avg_execution_time": 1.23,
                              "is_healthy": True}}, ("agent", "screenwriter"),
                 '{"type":"agent_status","agent_name":"screenwriter","timestamp":"<ts>","status":"busy","metrics":'
                 '{"message_count":3,"error_count":0,"error_rate":0.0,"avg_execution_time":1.23,"is_healthy":true}}',
                 id="agent-status-doc-example"),
    pytest.param({"kind": "agent_status", "agent_name": "screenwriter", "status": "idle"}, ("agent", "screenwriter"),
                 '{"type":"agent_status","agent_name":"screenwriter","timestamp":"<ts>","status":"idle","metrics":{}}',
                 id="agent-status-no-metrics"),
    pytest.param({"kind": "coordinator_metrics", "total_messages": 12, "total_workflows": 2, "registered_agents": 1,
                  "healthy_agents": 1, "active_workflows": 1, "queue_size": 0, "dead_letters": 0},
                 ("coordinator", ""),
                 '{"type":"coordinator_metrics","timestamp":"<ts>","total_messages":12,"total_workflows":2,'
                 '"registered_agents":1,"healthy_agents":1,"active_workflows":1,"queue_size":0,"dead_letters":0}',
                 id="coordinator-metrics-doc-example"),
    pytest.param({"kind": "coordinator_metrics", "dead_letters": 7, "total_messages": 3}, ("coordinator", ""),
                 '{"type":"coordinator_metrics","timestamp":"<ts>","total_messages":3,"total_workflows":0,'
                 '"registered_agents":0,"healthy_agents":0,"active_workflows":0,"queue_size":0,"dead_letters":7}',
                 id="coordinator-metrics-missing-are-0-fixed-order"),
    pytest.param({"kind": "error", "target_type": "workflow", "target_id": "wf-1",
                  "message": "Task 'outline' timed out after 60 seconds", "error_type": "TaskTimeoutError",
                  "retryable": True, "details": {"task": "outline"}}, ("workflow", "wf-1"),
                 '{"type":"error","target_type":"workflow","target_id":"wf-1","message":"Task \'outline\' timed out '
                 'after 60 seconds","error_type":"TaskTimeoutError","retryable":true,"details":{"task":"outline"},'
                 '"timestamp":"<ts>"}', id="error-workflow-doc-example"),
    pytest.param({"kind": "error", "target_type": "agent", "target_id": "screenwriter", "message": "m",
                  "error_type": "AgentBusyError", "retryable": False, "details": {}}, ("agent", "screenwriter"),
                 '{"type":"error","target_type":"agent","target_id":"screenwriter","message":"m",'
                 '"error_type":"AgentBusyError","retryable":false,"details":{},"timestamp":"<ts>"}', id="error-agent"),
    pytest.param({"kind": "error", "target_type": "coordinator", "target_id": "any-id", "message": "m",
                  "error_type": "Error", "retryable": False, "details": {"q": [1]}}, ("coordinator", ""),
                 '{"type":"error","target_type":"coordinator","target_id":"any-id","message":"m","error_type":"Error",'
                 '"retryable":false,"details":{"q":[1]},"timestamp":"<ts>"}', id="error-coordinator"),
]


@pytest.mark.parametrize("body,target,want", EMIT_SHAPES)
def test_emit_renders_exact_shape(mock, body, target, want):
    kind, param = target

    async def scenario():
        c = await connect(mock, kind, param)
        assert mock.emit_ok(body) == 1
        raw = await c.expect(want)
        [ts] = timestamps_in(raw)
        assert_utc_now(ts)
        await c.ping_pong()
        await c.close()
    run(scenario())


@pytest.mark.parametrize("message", [
    pytest.param({"type": "custom", "n": 1.0, "s": "é", "z": None}, id="object-as-is"),
    pytest.param({"type": "progress", "workflow_id": "wf-1", "stage": 1, "total_stages": 1, "tasks": ["outline"],
                  "progress": 0.0, "timestamp": "2026-11-25T19:49:35.579027"}, id="coordinator-native-progress"),
    pytest.param({"type": "coordinator_metrics", "metrics": {"total_agents": 1, "agents": {}}},
                 id="frontend-shape"),
])
def test_emit_raw_room_message_sent_as_is(mock, message):
    async def scenario():
        a = await connect(mock, "workflow", "wf-1")
        b = await connect(mock, "workflow", "wf-1")
        n = mock.emit_ok({"room": "workflow_wf-1", "message": message})
        assert n == 2
        want = jdump(message)
        ra = await a.expect_raw(want)
        rb = await b.expect_raw(want)
        assert ra == rb
        await a.ping_pong()
        await b.ping_pong()
        await a.close()
        await b.close()
    run(scenario())


def test_emit_delivered_counts_and_byte_identical_broadcasts(mock):
    async def scenario():
        clients = [await connect(mock, "workflow", "wf-1") for _ in range(3)]
        other = await connect(mock, "workflow", "wf-2")
        assert mock.emit_ok({"kind": "progress", "workflow_id": "wf-1", "state": "running", "progress": 0.3}) == 3
        got = [await c.recv() for c in clients]
        assert len(set(got)) == 1, got
        await other.ping_pong()
        assert mock.emit_ok({"kind": "progress", "workflow_id": "wf-3", "state": "running"}) == 0
        assert mock.emit_ok({"room": "no_such_room", "message": {"type": "x"}}) == 0
        for c in clients + [other]:
            await c.ping_pong()
            await c.close()
    run(scenario())


def test_agent_status_never_reaches_coordinator(mock):
    async def scenario():
        co = await connect(mock, "coordinator")
        ag = await connect(mock, "agent", "screenwriter")
        wf = await connect(mock, "workflow", "screenwriter")
        assert mock.emit_ok({"kind": "agent_status", "agent_name": "screenwriter", "status": "busy"}) == 1
        await ag.recv()
        await co.ping_pong()
        await wf.ping_pong()
        for c in (co, ag, wf):
            await c.close()
    run(scenario())


@pytest.mark.parametrize("target_type,target_id,receiver", [
    ("workflow", "wf-1", 0), ("agent", "wf-1", 1), ("coordinator", "wf-1", 2)])
def test_error_broadcast_routing(mock, target_type, target_id, receiver):
    async def scenario():
        clients = [await connect(mock, "workflow", "wf-1"), await connect(mock, "agent", "wf-1"),
                   await connect(mock, "coordinator")]
        n = mock.emit_ok({"kind": "error", "target_type": target_type, "target_id": target_id, "message": "m",
                          "error_type": "Error", "retryable": False, "details": {}})
        assert n == 1
        await clients[receiver].expect(
            '{"type":"error","target_type":"%s","target_id":"wf-1","message":"m","error_type":"Error",'
            '"retryable":false,"details":{},"timestamp":"<ts>"}' % target_type)
        for c in clients:
            await c.ping_pong()
            await c.close()
    run(scenario())


# ========================================================================================================
# Buffering (3.3)


def buffered(mock):
    b = mock.stats()["broadcaster"]
    return b["buffered_rooms"], b["total_buffered_messages"]


@pytest.mark.parametrize("body,kind,param", [
    pytest.param({"kind": "progress", "workflow_id": "wf-1", "state": "running", "progress": 0.5},
                 "workflow", "wf-1", id="progress"),
    pytest.param({"kind": "agent_status", "agent_name": "screenwriter", "status": "busy"},
                 "agent", "screenwriter", id="agent_status"),
])
def test_unmapped_progress_and_agent_status_are_dropped(mock, body, kind, param):
    async def scenario():
        assert mock.emit_ok(body) == 0            # nobody ever connected
        assert buffered(mock) == (0, 0)
        c = await connect(mock, kind, param)      # the room existed and emptied: still dropped
        await c.close()
        mock.wait_connections(0)
        assert mock.emit_ok(body) == 0
        assert buffered(mock) == (0, 0)
        c = await connect(mock, kind, param)
        await c.ping_pong()                       # no replay
        await c.close()
    run(scenario())


def test_coordinator_metrics_buffered_but_never_replayed(mock):
    async def scenario():
        body = {"kind": "coordinator_metrics", "total_messages": 1}
        assert mock.emit_ok(body) == 0
        assert buffered(mock) == (1, 1)
        assert mock.emit_ok(body) == 0
        assert mock.emit_ok({"kind": "error", "target_type": "coordinator", "target_id": "c", "message": "m",
                             "error_type": "Error", "retryable": False, "details": {}}) == 0
        assert buffered(mock) == (1, 3)
        c = await connect(mock, "coordinator")
        await c.ping_pong()
        assert buffered(mock) == (1, 3)           # never cleared
        await c.close()
    run(scenario())


def test_buffer_keeps_last_50(mock):
    for i in range(53):
        assert mock.emit_ok({"kind": "coordinator_metrics", "total_messages": i}) == 0
    assert buffered(mock) == (1, 50)


def test_workflow_error_with_nobody_mapped_is_dropped(mock):
    """3.3: like broadcast_progress, a workflow (or agent) error broadcast with no mapped room is dropped,
    not buffered."""
    for tt in ("workflow", "agent"):
        assert mock.emit_ok({"kind": "error", "target_type": tt, "target_id": "nobody", "message": "m"}) == 0
    assert buffered(mock) == (0, 0)


def test_workflow_buffer_replayed_to_every_new_client(mock):
    """3.3: a message the broadcaster buffered for an empty workflow room (staged with buffer_if_empty,
    the rare window of PROTOCOL.md 3.3) is replayed to each later client after the welcome, in order,
    byte for byte."""
    want = ['{"type":"error","target_type":"workflow","target_id":"wf-r","message":"first","error_type":"Error",'
            '"retryable":false,"details":{},"timestamp":"2026-11-25T19:49:41.018000"}',
            '{"type":"progress","workflow_id":"wf-r","timestamp":"2026-11-25T19:49:42","state":"running",'
            '"progress":0.1,"stage":"outline","message":"m","details":{}}']
    for w in want:
        assert mock.emit_ok({"room": "workflow_wf-r", "text": w, "buffer_if_empty": True}) == 0
    assert buffered(mock) == (1, 2)

    async def scenario():
        replays = []
        for _ in range(2):
            c = await connect(mock, "workflow", "wf-r")
            replays.append([await c.recv() for _ in want])
            assert replays[-1] == want
            await c.ping_pong()
            await c.close()
            mock.wait_connections(0)
        assert replays[0] == replays[1], "the replay must repeat the original frames byte for byte"
        other = await connect(mock, "workflow", "wf-other")
        await other.ping_pong()
        await other.close()
    run(scenario())
    assert buffered(mock) == (1, 2)


# ========================================================================================================
# Malformed control bodies: 400 {"error": ...} naming the problem, nothing sent

BAD_BODIES = [
    pytest.param(b"{nope", None, id="not-json"),
    pytest.param(b"[1,2]", None, id="not-an-object"),
    pytest.param(b'"progress"', None, id="a-string"),
    pytest.param(b"{}", None, id="empty-object"),
    pytest.param(b'{"kind":"explode"}', "kind", id="unknown-kind"),
    pytest.param(b'{"kind":5}', "kind", id="kind-not-string"),
    pytest.param(b'{"kind":"progress","state":"running"}', "workflow_id", id="progress-missing-workflow_id"),
    pytest.param(b'{"kind":"progress","workflow_id":5,"state":"running"}', "workflow_id",
                 id="progress-workflow_id-int"),
    pytest.param(b'{"kind":"progress","workflow_id":"wf-1"}', "state", id="progress-missing-state"),
    pytest.param(b'{"kind":"progress","workflow_id":"wf-1","state":"running","progress":"half"}', "progress",
                 id="progress-progress-string"),
    pytest.param(b'{"kind":"progress","workflow_id":"wf-1","state":"running","details":[1]}', "details",
                 id="progress-details-list"),
    pytest.param(b'{"kind":"agent_status","status":"busy"}', "agent_name", id="agent-missing-name"),
    pytest.param(b'{"kind":"agent_status","agent_name":"screenwriter"}', "status", id="agent-missing-status"),
    pytest.param(b'{"kind":"agent_status","agent_name":"screenwriter","status":"busy","metrics":[]}', "metrics",
                 id="agent-metrics-list"),
    pytest.param(b'{"kind":"coordinator_metrics","total_messages":"12"}', "total_messages",
                 id="metrics-string"),
    pytest.param(b'{"kind":"coordinator_metrics","queue_size":1.5}', "queue_size", id="metrics-float"),
    pytest.param(b'{"kind":"error","target_id":"wf-1","message":"m","error_type":"E","retryable":false,'
                 b'"details":{}}', "target_type", id="error-missing-target_type"),
    pytest.param(b'{"kind":"error","target_type":"planet","target_id":"wf-1","message":"m","error_type":"E",'
                 b'"retryable":false,"details":{}}', "target_type", id="error-bad-target_type"),
    pytest.param(b'{"kind":"error","target_type":"workflow","message":"m","error_type":"E","retryable":false,'
                 b'"details":{}}', "target_id", id="error-missing-target_id"),
    pytest.param(b'{"kind":"error","target_type":"workflow","target_id":"wf-1","error_type":"E",'
                 b'"retryable":false,"details":{}}', "message", id="error-missing-message"),
    pytest.param(b'{"kind":"error","target_type":"workflow","target_id":"wf-1","message":"m","error_type":"E",'
                 b'"retryable":"yes","details":{}}', "retryable", id="error-retryable-string"),
    pytest.param(b'{"room":5,"message":{"type":"x"}}', "room", id="raw-room-int"),
    pytest.param(b'{"room":"workflow_wf-1","message":[1]}', "message", id="raw-message-list"),
    pytest.param(b'{"room":"workflow_wf-1"}', "message", id="raw-missing-message"),
]


@pytest.mark.parametrize("raw,field", BAD_BODIES)
def test_malformed_emit_is_400_and_sends_nothing(mock, raw, field):
    async def scenario():
        clients = [await connect(mock, "workflow", "wf-1"), await connect(mock, "agent", "screenwriter"),
                   await connect(mock, "coordinator")]
        r = mock.emit(raw=raw)
        assert_json_response(r, 400)
        body = r.json()
        assert list(body) == ["error"] and isinstance(body["error"], str) and body["error"], r
        if field is not None:
            assert field in body["error"], "error %r does not name %r" % (body["error"], field)
        for c in clients:
            await c.ping_pong()
            await c.close()
    run(scenario())
    assert buffered(mock) == (0, 0)
    sent = [e["data"] for e in mock.journal(type="frame_out", path="/ws/*")["events"]]
    assert len(sent) == 6 and all(d == '{"type":"pong"}' or d.startswith('{"type":"info"') for d in sent), sent


def test_malformed_emit_to_empty_rooms_buffers_nothing(mock):
    r = mock.emit(raw=b'{"kind":"coordinator_metrics","total_messages":"x"}')
    assert r.status == 400
    r = mock.emit(raw=b'{"kind":"error","target_type":"coordinator","target_id":"c","message":5,"error_type":"E",'
                      b'"retryable":false,"details":{}}')
    assert r.status == 400, r
    assert buffered(mock) == (0, 0)


# ========================================================================================================
# Journal

UPGRADE_KEYS = ["seq", "t_ms", "type", "conn", "path", "query", "origin", "remote", "attempt", "outcome", "status"]
OPEN_KEYS = ["seq", "t_ms", "type", "conn", "path", "client_id", "room", "displaced"]
FRAME_KEYS = ["seq", "t_ms", "type", "conn", "path", "opcode", "size", "data"]
CLOSE_KEYS = ["seq", "t_ms", "type", "conn", "path", "code", "reason", "by", "clean"]
HTTP_KEYS = ["seq", "t_ms", "type", "method", "path", "status"]


def strip(ev, *keys):
    return {k: v for k, v in ev.items() if k not in ("seq", "t_ms") + keys}


def test_journal_connection_lifecycle(mock):
    start = mock.journal_next()

    async def scenario():
        c = await ws_open(mock.ws_url, "/ws/workflow/jr?client_id=jc", origin="http://localhost:5000")
        welcome = await c.recv()
        await c.send('{"type":"ping"}')
        await c.expect_raw('{"type":"pong"}')
        await c.ws.close(1000, "bye")
        return welcome
    welcome = run(scenario())
    mock.journal(since=start, wait_ms=3000, type="close", path="/ws/workflow/jr")
    j = mock.journal(since=start, path="/ws/workflow/jr")
    ev = j["events"]
    assert [e["type"] for e in ev] == ["upgrade", "open", "frame_out", "frame_in", "frame_out", "close"], ev
    assert [list(e) for e in ev] == [UPGRADE_KEYS, OPEN_KEYS, FRAME_KEYS, FRAME_KEYS, FRAME_KEYS, CLOSE_KEYS]
    conn = ev[0]["conn"]
    assert all(e["conn"] == conn for e in ev)
    assert strip(ev[0]) == {"type": "upgrade", "conn": conn, "path": "/ws/workflow/jr", "query": "client_id=jc",
                            "origin": "http://localhost:5000", "remote": "127.0.0.1", "attempt": 1,
                            "outcome": "accepted", "status": 101}
    assert strip(ev[1]) == {"type": "open", "conn": conn, "path": "/ws/workflow/jr", "client_id": "jc",
                            "room": "workflow_jr", "displaced": None}
    assert strip(ev[2]) == {"type": "frame_out", "conn": conn, "path": "/ws/workflow/jr", "opcode": "text",
                            "size": len(welcome.encode()), "data": welcome}
    assert strip(ev[3]) == {"type": "frame_in", "conn": conn, "path": "/ws/workflow/jr", "opcode": "text",
                            "size": 15, "data": '{"type":"ping"}'}
    assert strip(ev[4]) == {"type": "frame_out", "conn": conn, "path": "/ws/workflow/jr", "opcode": "text",
                            "size": 15, "data": '{"type":"pong"}'}
    assert strip(ev[5]) == {"type": "close", "conn": conn, "path": "/ws/workflow/jr", "code": 1000, "reason": "bye",
                            "by": "client", "clean": True}
    seqs = [e["seq"] for e in ev]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and seqs[0] > start
    t = [e["t_ms"] for e in ev]
    assert t == sorted(t) and all(isinstance(x, int) and x >= 0 for x in t)
    assert j["next"] >= seqs[-1] and j["dropped"] == 0


def test_journal_abrupt_drop_and_binary_frame(mock):
    async def scenario():
        c = await ws_open(mock.ws_url, "/ws/agent/drop?client_id=d")
        await c.recv()
        await c.send(b"\x01\x02\x03")
        await c.expect_abrupt_close()
    run(scenario())
    mock.journal(wait_ms=3000, type="close", path="/ws/agent/drop")
    ev = mock.journal(path="/ws/agent/drop")["events"]
    fin = [e for e in ev if e["type"] == "frame_in"]
    assert [strip(e, "conn") for e in fin] == [{"type": "frame_in", "path": "/ws/agent/drop", "opcode": "binary",
                                                "size": 3, "data": None}]
    closes = [e for e in ev if e["type"] == "close"]
    assert [strip(e, "conn", "reason") for e in closes] == [
        {"type": "close", "path": "/ws/agent/drop", "code": 1006, "by": "server", "clean": False}]
    assert list(closes[0]) == CLOSE_KEYS


def test_journal_refused_upgrades_and_attempt_counts(mock):
    for _ in range(3):
        assert run(ws_refused_status(mock.ws_url, "/ws/coordinator/")) == 403

    async def scenario():
        for q in ("", "?client_id=a", ""):
            c = await ws_open(mock.ws_url, "/ws/coordinator" + q)
            await c.recv()
            await c.close()
    run(scenario())
    refused = mock.journal(type="upgrade", path="/ws/coordinator/")["events"]
    assert [(e["attempt"], e["outcome"], e["status"], e["query"]) for e in refused] == [
        (1, "refused", 403, ""), (2, "refused", 403, ""), (3, "refused", 403, "")]
    ok = mock.journal(type="upgrade", path="/ws/coordinator")["events"]
    assert [(e["attempt"], e["outcome"], e["status"], e["query"]) for e in ok] == [
        (1, "accepted", 101, ""), (2, "accepted", 101, "client_id=a"), (3, "accepted", 101, "")]
    assert all(list(e) == UPGRADE_KEYS and e["origin"] is None and e["remote"] == "127.0.0.1"
               for e in refused + ok)
    mock.wait_connections(0)
    mock.reset()
    assert run(ws_refused_status(mock.ws_url, "/ws/coordinator/")) == 403
    assert [e["attempt"] for e in mock.journal(type="upgrade", path="/ws/coordinator/")["events"]] == [1]


def test_journal_open_events_show_displaced_and_legacy_room_null(mock):
    async def scenario():
        a = await ws_open(mock.ws_url, "/ws/workflow/dj?client_id=same")
        await a.recv()
        b = await ws_open(mock.ws_url, "/ws/workflow/dj?client_id=same")
        await b.recv()
        lg = await ws_open(mock.ws_url, "/api/v1/ws/connect")
        lw = json.loads(await lg.recv())
        for c in (a, b, lg):
            await c.close()
        return lw["client_id"]
    legacy_id = run(scenario())
    opens = mock.journal(type="open")["events"]
    assert [(e["path"], e["client_id"], e["room"]) for e in opens] == [
        ("/ws/workflow/dj", "same", "workflow_dj"), ("/ws/workflow/dj", "same", "workflow_dj"),
        ("/api/v1/ws/connect", legacy_id, None)]
    assert opens[0]["displaced"] is None
    assert opens[1]["displaced"] == opens[0]["conn"]
    assert opens[2]["displaced"] is None
    assert len({e["conn"] for e in opens}) == 3


def test_journal_http_events_exclude_control_api(mock):
    mock.get("/health")
    mock.get("/nope")
    mock.post("/api/v1/ws/broadcast", obj={"type": "x"})
    mock.get("/__mock/journal")
    mock.emit_ok({"kind": "progress", "workflow_id": "w", "state": "running"})
    ev = mock.journal(type="http")["events"]
    assert [strip(e) for e in ev] == [
        {"type": "http", "method": "GET", "path": "/health", "status": 200},
        {"type": "http", "method": "GET", "path": "/nope", "status": 404},
        {"type": "http", "method": "POST", "path": "/api/v1/ws/broadcast", "status": 200}]
    assert all(list(e) == HTTP_KEYS for e in ev)


def test_journal_filters(mock):
    async def scenario():
        for path in ("/ws/workflow/f1", "/ws/workflow/f2", "/ws/agent/f3"):
            c = await ws_open(mock.ws_url, path)
            await c.recv()
            await c.close()
    run(scenario())
    mock.wait_connections(0)
    everything = mock.journal()
    assert everything["dropped"] == 0
    assert everything["next"] == everything["events"][-1]["seq"]
    assert {e["path"] for e in mock.journal(path="/ws/workflow/*")["events"]} == {"/ws/workflow/f1", "/ws/workflow/f2"}
    assert {e["path"] for e in mock.journal(path="/ws/*", type="open")["events"]} == {
        "/ws/workflow/f1", "/ws/workflow/f2", "/ws/agent/f3"}
    assert {e["type"] for e in mock.journal(path="/ws/workflow/f1")["events"]} >= {"upgrade", "open", "frame_out"}
    assert mock.journal(path="/ws/workflow/f")["events"] == []          # exact unless it ends in *
    mid = mock.journal(type="open")["events"][1]["seq"]
    later = mock.journal(since=mid)
    assert all(e["seq"] > mid for e in later["events"]) and later["next"] == everything["next"]
    assert mock.journal(since=everything["next"])["events"] == []


def test_journal_long_poll_returns_when_an_event_arrives(mock):
    since = mock.journal_next()
    result = {}

    def poll():
        t0 = time.monotonic()
        result["j"] = mock.journal(since=since, wait_ms=8000, type="open", path="/ws/coordinator")
        result["elapsed"] = time.monotonic() - t0

    th = threading.Thread(target=poll)
    th.start()

    async def scenario():
        c = await ws_open(mock.ws_url, "/ws/coordinator?client_id=lp")
        await c.recv()
        await c.close()
    run(scenario())
    th.join(10)
    assert not th.is_alive()
    assert [e["client_id"] for e in result["j"]["events"]] == ["lp"]
    assert result["elapsed"] < 6, "the long-poll did not return when the event arrived (%.1f s)" % result["elapsed"]


def test_journal_long_poll_times_out_empty(mock):
    since = mock.journal_next()
    t0 = time.monotonic()
    j = mock.journal(since=since, wait_ms=300, type="open", path="/never")
    elapsed = time.monotonic() - t0
    assert j["events"] == [] and j["dropped"] == 0 and j["next"] >= since
    assert 0.25 <= elapsed < 3, elapsed


def test_journal_long_poll_answers_at_once_when_events_exist(mock):
    mock.get("/health")
    t0 = time.monotonic()
    j = mock.journal(since=0, wait_ms=60000, type="http")
    assert len(j["events"]) == 1 and time.monotonic() - t0 < 2


def test_journal_limit_counts_dropped_events(wsmock):
    srv = wsmock(extra_args=["--journal-limit", "5"])
    for _ in range(8):
        assert srv.get("/health").status == 200
    j = srv.journal()
    assert [e["seq"] for e in j["events"]] == [4, 5, 6, 7, 8]
    assert j["next"] == 8 and j["dropped"] == 3
    j = srv.journal(since=5)
    assert [e["seq"] for e in j["events"]] == [6, 7, 8] and j["dropped"] == 0


# ========================================================================================================
# Reset


def test_reset_clears_everything(mock):
    mock.post("/api/v1/ws/publish/keep", obj={"type": "x"})
    mock.emit_ok({"kind": "coordinator_metrics"})
    assert run(ws_refused_status(mock.ws_url, "/ws/x")) == 403

    async def scenario():
        c = await ws_open(mock.ws_url, "/ws/workflow/rs")
        await c.recv()
        await c.close()
    run(scenario())
    mock.wait_connections(0)
    assert buffered(mock) == (1, 1)
    mock.reset()
    assert mock.journal() == {"events": [], "next": 0, "dropped": 0}
    assert_json_response(mock.get("/ws/stats"), 200,
                         '{"websocket":{"total_connections":0,"total_rooms":0,"total_subscriptions":0,"rooms":[],'
                         '"room_client_count":{},"topics":[],"topic_subscriber_count":{}},"broadcaster":{'
                         '"workflow_subscriptions":0,"agent_subscriptions":0,"total_agent_rooms":0,"buffered_rooms":0,'
                         '"total_buffered_messages":0,"workflows":[],"agents":[]}}')

    async def after():
        c = await ws_open(mock.ws_url, "/api/v1/ws/connect")
        await c.recv()
        await c.send('{"action":"subscribe","topic":"keep"}')
        await c.expect_raw('{"type":"info","message":"Subscribed to topic: keep"}')
        await c.ping_pong(legacy=True)          # history is gone
        await c.close()
    run(after())
    assert run(ws_refused_status(mock.ws_url, "/ws/x")) == 403
    assert [e["attempt"] for e in mock.journal(type="upgrade", path="/ws/x")["events"]] == [1]


# ========================================================================================================
# Command line


def run_cli(binary, *args, timeout=5):
    return subprocess.run([binary] + list(args), stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                          env=dict(os.environ, TZ="UTC"))


def test_cli_help(wsmock_bin):
    p = run_cli(wsmock_bin, "--help")
    assert p.returncode == 0, p
    out = p.stdout.decode()
    assert "usage" in out.lower() and "--port" in out and "--profile" in out, out


def test_cli_version(wsmock_bin):
    p = run_cli(wsmock_bin, "--version")
    assert p.returncode == 0, p
    assert __import__("re").fullmatch(r"wsmock \d+\.\d+\.\d+\n", p.stdout.decode()), p.stdout


@pytest.mark.parametrize("args", [
    pytest.param(["--bogus"], id="unknown-option"),
    pytest.param(["--port"], id="missing-value"),
    pytest.param(["--port", "abc"], id="port-not-a-number"),
    pytest.param(["--port", "70000"], id="port-out-of-range"),
    pytest.param(["--port", "0", "--profile", "nope"], id="unknown-profile"),
    pytest.param(["--port", "0", "--heartbeat-ms", "x"], id="heartbeat-not-a-number"),
    pytest.param(["--port", "0", "--max-message", "-5"], id="max-message-negative"),
    pytest.param(["--port", "0", "extra-positional"], id="positional"),
])
def test_cli_bad_arguments_exit_2(wsmock_bin, args):
    p = run_cli(wsmock_bin, *args)
    assert p.returncode == 2, p
    assert p.stdout == b"", p.stdout
    assert "usage" in p.stderr.decode().lower(), p.stderr


def test_cli_port_in_use_exit_1(wsmock_bin):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        p = run_cli(wsmock_bin, "--port", str(port), "--host", "127.0.0.1")
    finally:
        s.close()
    assert p.returncode == 1, p
    assert p.stdout == b"", p.stdout
    lines = p.stderr.decode().splitlines()
    assert len(lines) == 1 and str(port) in lines[0], p.stderr


def test_cli_explicit_host_ready_line(wsmock):
    srv = wsmock(extra_args=["--host", "127.0.0.1"])
    assert srv.get("/health").status == 200


def test_cli_seed_makes_ids_deterministic(wsmock):
    async def ids(srv):
        out = []
        for path in ("/ws/workflow/p", "/ws/agent/a", "/ws/coordinator", "/api/v1/ws/connect"):
            c = await ws_open(srv.ws_url, path)
            out.append(json.loads(await c.recv())["client_id"])
            await c.close()
        return out
    a = run(ids(wsmock(seed=7)))
    b = run(ids(wsmock(seed=7)))
    c = run(ids(wsmock(seed=8)))
    assert a == b
    assert a != c
    assert len(set(a)) == 4


def test_cli_no_control(wsmock):
    srv = wsmock(extra_args=["--no-control"])
    for method, path in [("GET", "/__mock/journal"), ("GET", "/__mock/journal?since=0&wait_ms=0"),
                         ("POST", "/__mock/emit"), ("POST", "/__mock/reset"), ("POST", "/__mock/coordinator"),
                         ("GET", "/__mock/anything")]:
        r = srv.request(method, path, body=b"{}" if method == "POST" else None)
        assert_json_response(r, 404, '{"detail":"Not Found"}')
    assert srv.get("/health").status == 200

    async def scenario():
        c = await ws_open(srv.ws_url, "/ws/coordinator")
        await c.recv()
        await c.ping_pong()
        await c.close()
    run(scenario())


def test_cli_max_message_closes_1009(wsmock):
    srv = wsmock(extra_args=["--max-message", "1024"])

    async def scenario():
        c = await ws_open(srv.ws_url, "/ws/workflow/big")
        await c.recv()
        head = '{"type":"ping","pad":"'
        exact = head + "x" * (1024 - len(head) - 2) + '"}'
        assert len(exact) == 1024
        await c.send(exact)
        await c.expect_raw('{"type":"pong"}')
        await c.send(exact[:-2] + 'x"}')
        await c.expect_close(1009)
    run(scenario())


def test_cli_journal_mirror_file(wsmock, tmp_path):
    path = tmp_path / "journal.jsonl"
    srv = wsmock(extra_args=["--journal", str(path)])

    async def scenario():
        c = await ws_open(srv.ws_url, "/ws/workflow/mirror")
        await c.recv()
        await c.close()
    run(scenario())
    srv.journal(wait_ms=3000, type="close")
    events = srv.journal()["events"]

    def mirror():
        return [json.loads(x) for x in path.read_text().splitlines()]
    lines = mirror()
    assert [e for e in lines if e != {"type": "reset"}] == events
    resets = lines.count({"type": "reset"})
    srv.reset()  # answered after the reset line was written and flushed
    assert mirror().count({"type": "reset"}) == resets + 1 and mirror()[-1] == {"type": "reset"}

    async def shutdown_with_open_client():
        c = await ws_open(srv.ws_url, "/ws/coordinator")
        await c.recv()
        srv.proc.send_signal(signal.SIGTERM)
        await c.expect_close(1012)
    run(shutdown_with_open_client())
    assert srv.stop(signal.SIGTERM) == 0
    closes = [e for e in mirror() if e.get("type") == "close" and e.get("path") == "/ws/coordinator"]
    assert [(e["code"], e["by"]) for e in closes] == [(1012, "server")], closes
