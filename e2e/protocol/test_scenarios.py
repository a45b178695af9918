"""Scenarios on the wire: every library scenario and every step type, loaded into wsmock through
POST /__mock/scenario (or --scenario) and observed with a real WebSocket client and the journal."""
import asyncio
import json
import socket
import subprocess
import threading

import pytest
import websockets
import websockets.exceptions

from wsproto_helpers import http_request, run

pytestmark = pytest.mark.mock_only

FAST = 0.01  # every scenario duration x0.01: a 3 s wait takes 30 ms


@pytest.fixture
def scn(mock):
    """Loads scenarios into the shared mock; unloads at the end so other tests see the plain profile."""

    def load(name=None, body=None, scale=FAST):
        obj = {"name": name} if name else body
        r = mock.post("/__mock/scenario?time_scale=%s" % scale, obj=obj)
        assert r.status == 200, r.text
        return r.json()

    yield load
    r = mock.request("DELETE", "/__mock/scenario")
    assert r.status == 200, r.text


def url(mock, path):
    return "ws://%s:%d%s" % (mock.host, mock.port, path)


async def attempt(mock, path, timeout=2.0):
    """One upgrade: ("open", ws) or ("status", code) or ("error", exception class name)."""
    try:
        ws = await websockets.connect(url(mock, path), open_timeout=timeout, compression=None)
        return "open", ws
    except websockets.exceptions.InvalidStatusCode as e:
        return "status", e.status_code
    except (OSError, asyncio.TimeoutError, websockets.exceptions.InvalidMessage,
            websockets.exceptions.InvalidHandshake) as e:
        return "error", type(e).__name__


async def frames_until_close(ws, timeout=3.0):
    out = []
    try:
        while True:
            out.append(await asyncio.wait_for(ws.recv(), timeout))
    except websockets.exceptions.ConnectionClosed:
        return out, ws.close_code, ws.close_reason


def journal_events(mock, type_, path=None, n=1, timeout_ms=3000):
    """Waits (long-poll) until the journal holds at least n events of type_; returns them."""
    since, got = 0, []
    while len(got) < n:
        j = mock.journal(since=since, wait_ms=timeout_ms, type=type_, path=path)
        assert j["events"] or got, "no %s event within %d ms" % (type_, timeout_ms)
        if not j["events"]:
            break
        got += j["events"]
        since = j["next"]
    assert len(got) >= n, "only %d %s events: %r" % (len(got), type_, got)
    return got


# ---- the library ---------------------------------------------------------------------------------


def test_ws001_http_works_and_every_ws_upgrade_gets_the_403(mock, scn):
    scn("ws-001-unregistered-router")
    assert http_request(mock.host, mock.port, "GET", "/health").status == 200
    assert http_request(mock.host, mock.port, "GET", "/api/v1/ws/stats").status == 200
    assert http_request(mock.host, mock.port, "GET", "/ws/stats").status == 404

    async def go():
        for p in ("/ws/coordinator", "/ws/workflow/pending", "/ws/agent/screenwriter"):
            assert await attempt(mock, p) == ("status", 403)
        kind, ws = await attempt(mock, "/api/v1/ws/connect")
        assert kind == "open"
        await ws.close()

    run(go())
    ups = journal_events(mock, "upgrade", path="/ws/*", n=3)
    assert [(e["outcome"], e["status"]) for e in ups] == [("refused", 403)] * 3


def test_ws001_fixed_accepts_every_ws_path(mock, scn):
    scn("ws-001-fixed")

    async def go():
        for p in ("/ws/coordinator", "/ws/workflow/pending", "/ws/agent/screenwriter"):
            kind, ws = await attempt(mock, p)
            assert kind == "open", p
            assert json.loads(await ws.recv())["message"] == "Connected to ViMax WebSocket server"
            await ws.close()

    run(go())


def test_refuse_then_accept_refuses_three_then_opens(mock, scn):
    scn("refuse-then-accept")

    async def go():
        got = [await attempt(mock, "/ws/coordinator") for _ in range(4)]
        assert [g[0] for g in got] == ["status", "status", "status", "open"]
        assert [g[1] for g in got[:3]] == [403, 403, 403]
        await got[3][1].close()

    run(go())
    ups = journal_events(mock, "upgrade", n=4)
    assert [(e["attempt"], e["outcome"], e.get("rule_label")) for e in ups] == [
        (1, "refused", "refused"), (2, "refused", "refused"), (3, "refused", "refused"),
        (4, "accepted", None)]


def test_close_codes_one_per_attempt(mock, scn):
    scn("close-codes")

    async def go():
        codes = []
        for _ in range(7):
            kind, ws = await attempt(mock, "/ws/agent/a")
            assert kind == "open"
            frames, code, reason = await frames_until_close(ws)
            assert len(frames) == 1  # the welcome
            codes.append((code, reason))
        return codes

    assert run(go()) == [(1000, "normal closure"), (1001, "going away"), (1008, "policy violation"),
                         (1011, "internal error"), (1012, "service restart"),
                         (1013, "try again later"), (4000, "application specific")]


def test_bad_frames_in_order_then_1007(mock, scn):
    scn("bad-frames")

    async def go():
        kind, ws = await attempt(mock, "/ws/coordinator")
        assert kind == "open"
        return await frames_until_close(ws)

    frames, code, _ = run(go())
    assert json.loads(frames[0])["type"] == "info"
    assert frames[1:] == [b"\x00\x01\x02\x03\x04", "this is not JSON", "[1,2,3]",
                          '{"type":"info","message":"sent in three fragments"}',
                          '{"type":"no_such_type","value":42}']
    # the client refuses the invalid UTF-8 text frame with 1007 (the journal has its close frame)
    assert code in (1006, 1007)
    close = journal_events(mock, "close", n=1)[0]
    assert (close["code"], close["by"]) == (1007, "client")
    frags = [e for e in journal_events(mock, "frame_out", n=9) if e["opcode"] == "continuation"
             or e.get("fin") is False]
    assert len(frags) == 3


def test_workflow_failure_progress_then_error_then_failed(mock, scn):
    scn("workflow-failure")

    async def go():
        kind, ws = await attempt(mock, "/ws/workflow/wf-9")
        assert kind == "open"
        msgs = [json.loads(await asyncio.wait_for(ws.recv(), 3)) for _ in range(6)]
        await ws.close()
        return msgs

    msgs = run(go())
    assert [(m["type"], m.get("stage"), m.get("state")) for m in msgs[1:]] == [
        ("progress", "outline", "running"), ("progress", "characters", "running"),
        ("progress", "scenes", "running"), ("error", None, None), ("progress", "scenes", "failed")]
    assert list(msgs[4]) == ["type", "target_type", "target_id", "message", "error_type", "retryable",
                             "details", "timestamp"]
    assert msgs[4]["target_id"] == "wf-9" and msgs[4]["retryable"] is True


def test_flapping_drops_without_close_frame(mock, scn):
    scn("flapping")

    async def go():
        kind, ws = await attempt(mock, "/ws/coordinator")
        assert kind == "open"
        return await frames_until_close(ws)

    frames, code, _ = run(go())
    assert len(frames) == 1 and code == 1006
    close = journal_events(mock, "close", n=1)[0]
    assert (close["code"], close["by"], close["clean"]) == (1006, "server", False)


def test_server_restart_1012_then_port_closed_then_back(mock, scn):
    scn("server-restart", scale=0.3)  # restart at 300 ms, port closed for 900 ms
    # The port will be closed, so the wait for "listening" is a long-poll opened now: connections
    # that are already open survive a restart.
    back = {}
    waiter = threading.Thread(target=lambda: back.update(
        mock.journal(since=0, wait_ms=10000, type="listening")))
    waiter.start()

    async def go():
        kind, ws = await attempt(mock, "/ws/coordinator")
        assert kind == "open"
        frames, code, _ = await frames_until_close(ws, timeout=5)
        return code, await attempt(mock, "/ws/coordinator")

    code, during = run(go())
    assert code == 1012
    assert during == ("error", "ConnectionRefusedError")  # the port itself is closed
    waiter.join(15)
    assert [e["port"] for e in back["events"]] == [mock.port]
    assert http_request(mock.host, mock.port, "GET", "/health").status == 200

    async def after():
        kind, ws = await attempt(mock, "/ws/coordinator")
        assert kind == "open"
        await ws.close()

    run(after())


def test_half_open_stops_answering(mock, scn):
    scn("half-open")

    async def go():
        kind, ws = await attempt(mock, "/ws/coordinator")
        assert kind == "open"
        await ws.recv()  # the welcome comes before the stall
        journal_events(mock, "stall", n=1)
        await ws.send('{"type":"ping"}')
        try:
            msg = await asyncio.wait_for(ws.recv(), 0.3)  # no app pong, no heartbeat (20 ms scaled)
        except asyncio.TimeoutError:
            msg = None
        ws.transport.abort()
        return msg

    assert run(go()) is None
    assert journal_events(mock, "stall", n=1)[0]["for_ms"] is None


def test_heartbeat_scaled_and_expectation_met_and_failed(mock, scn):
    scn("heartbeat")

    async def go():
        kind, ws = await attempt(mock, "/ws/coordinator")
        assert kind == "open"
        await ws.recv()
        beat = json.loads(await asyncio.wait_for(ws.recv(), 1))
        assert beat["type"] == "heartbeat"
        await ws.send('{"type":"ping"}')
        await ws.recv()  # the pong: the ping was read
        await ws.close()

    run(go())
    ev = journal_events(mock, "expect", n=1)[0]
    assert (ev["name"], ev["status"]) == ("client pings", "met")

    async def silent():
        kind, ws2 = await attempt(mock, "/ws/coordinator")
        journal_events(mock, "expect", n=2)
        await ws2.close()

    run(silent())
    rep = mock.get("/__mock/expect").json()
    assert rep["scenario"] == "heartbeat" and rep["failed"] == 1
    assert rep["expectations"][0]["status"] == "failed"
    assert "sent no matching message within 50 ms" in rep["expectations"][0]["detail"]


def test_workflow_cancel_control_response(mock, scn):
    scn("workflow-cancel")

    async def go():
        kind, ws = await attempt(mock, "/ws/workflow/wf-cancel")
        assert kind == "open"
        await ws.recv()  # welcome
        status = json.loads(await ws.recv())
        await ws.send('{"type":"control","action":"cancel"}')
        reply = await ws.recv()
        await ws.close()
        return status, reply

    status, reply = run(go())
    assert status["type"] == "status" and status["status"]["state"] == "running"
    assert reply == ('{"type":"control_response","action":"cancel","status":"success",'
                     '"message":"Workflow wf-cancel cancelled"}')
    assert mock.get("/__mock/expect").json()["met"] == 1


def test_demo_sends_metrics_both_shapes_and_progress(mock, scn):
    scn("demo")

    async def go():
        kind, co = await attempt(mock, "/ws/coordinator")
        kind2, wf = await attempt(mock, "/ws/workflow/demo")
        assert kind == kind2 == "open"
        seen_co, seen_wf = set(), []
        for _ in range(12):
            m = json.loads(await asyncio.wait_for(co.recv(), 3))
            seen_co.add("nested" if "metrics" in m else m["type"] if "total_messages" not in m else "top")
        while len(seen_wf) < 7:
            m = json.loads(await asyncio.wait_for(wf.recv(), 3))
            if m["type"] == "progress":
                seen_wf.append(m["stage"])
        await co.close()
        await wf.close()
        return seen_co, seen_wf

    seen_co, stages = run(go())
    assert {"nested", "top"} <= seen_co
    assert "completed" in stages and "storyboard" in stages


# ---- step types, replies, templating, rules ------------------------------------------------------


def test_replies_templating_regex_times_and_fallthrough(mock, scn):
    scn(body={"name": "replies", "description": "reply rules", "replies": [
        {"match": {"type": "hello"}, "do": [{"send": {"type": "hi", "to": "{{msg.name}}",
                                                      "n": "{{msg.n}}", "attempt": "{{attempt}}",
                                                      "seq": "{{seq}}", "wf": "{{workflow_id}}"}}]},
        {"regex": "^shout", "times": 1, "do": [{"send_text": "heard: {{msg}}"}]},
    ]})

    async def go():
        kind, ws = await attempt(mock, "/ws/workflow/w1")
        await ws.recv()
        await ws.send('{"type":"hello","name":"bob","n":2.5}')
        a = await ws.recv()
        await ws.send("shout one")
        b = await ws.recv()
        await ws.send("shout two")  # times: 1 -> falls through: the workflow endpoint's error
        c = await ws.recv()
        await ws.send('{"type":"ping"}')  # no reply rule: the profile answers
        d = await ws.recv()
        await ws.close()
        return a, b, c, d

    a, b, c, d = run(go())
    assert a == '{"type":"hi","to":"bob","n":2.5,"attempt":1,"seq":1,"wf":"w1"}'
    assert b == "heard: shout one"
    assert c == '{"type":"error","message":"Invalid JSON format"}'
    assert d == '{"type":"pong"}'


def test_slow_handshake_answers_after_the_delay(mock, scn):
    scn("slow-handshake", scale=0.1)  # 300 ms

    async def go():
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        kind, ws = await attempt(mock, "/ws/coordinator")
        waited = loop.time() - t0
        assert kind == "open"
        welcome = json.loads(await ws.recv())
        await ws.close()
        return waited, welcome

    waited, welcome = run(go())
    assert waited >= 0.3 and welcome["type"] == "info"
    up = journal_events(mock, "upgrade", n=1)[0]
    assert (up["outcome"], up["delay_ms"], up["rule"]) == ("accepted", 300, 0)
    # plain HTTP through the gate is not delayed
    assert http_request(mock.host, mock.port, "GET", "/health").status == 200


def test_hang_never_answers_and_delayed_refusal_and_reset(mock, scn):
    scn(body={"name": "held", "description": "hang and delayed outcomes", "connections": [
        {"path": "/ws/agent/h", "action": "hang"},
        {"path": "/ws/agent/r", "action": "refuse", "status": 429, "delay_ms": 100},
        {"path": "/ws/agent/x", "action": "reset", "delay_ms": 100},
    ]}, scale=1)

    # hang: a raw request that gets no answer at all (not even a close) within 0.5 s
    with socket.create_connection((mock.host, mock.port), timeout=2) as s:
        s.sendall(b"GET /ws/agent/h HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        s.settimeout(0.5)
        with pytest.raises(socket.timeout):
            s.recv(1)

    async def go():
        return await attempt(mock, "/ws/agent/r"), await attempt(mock, "/ws/agent/x")

    refused, reset = run(go())
    assert refused == ("status", 429)
    assert reset[0] == "error" and reset[1] != "TimeoutError"
    ups = journal_events(mock, "upgrade", n=3)
    assert [(e["path"], e["outcome"], e.get("delay_ms")) for e in ups] == [
        ("/ws/agent/h", "hang", None), ("/ws/agent/r", "refused", 100), ("/ws/agent/x", "reset", 100)]


def test_custom_refusal_and_reset(mock, scn):
    scn(body={"name": "rules", "description": "refuse, reset", "connections": [
        {"path": "/ws/agent/a", "action": "refuse", "status": 503, "headers": {"Retry-After": "{{attempt}}"},
         "body": "down for {{path}}"},
        {"path": "/ws/agent/b", "action": "reset"},
    ]})
    r = http_request(mock.host, mock.port, "GET", "/ws/agent/a",
                     headers={"Upgrade": "websocket", "Connection": "Upgrade",
                              "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                              "Sec-WebSocket-Version": "13"})
    assert (r.status, r.header("Retry-After"), r.text) == (503, "1", "down for /ws/agent/a")

    reset = run(attempt(mock, "/ws/agent/b"))
    assert reset[0] == "error"
    ups = journal_events(mock, "upgrade", n=2)
    assert [(e["path"], e["outcome"], e["rule"]) for e in ups] == [
        ("/ws/agent/a", "refused", 0), ("/ws/agent/b", "reset", 1)]


def test_steps_repeat_mark_ping_stall_resume_and_room_emit(mock, scn):
    scn(body={"name": "steps", "description": "loops and marks", "connections": [
        {"path": "/ws/coordinator", "welcome": False, "on_open": [
            {"repeat": 3, "steps": [{"send_text": "pass {{iteration}} seq {{seq}}"}]},
            {"ws_ping": "hello"},
            {"mark": "after loop on {{conn}}"},
            {"stall": True, "for_ms": 1000},
            {"emit": "agent_status", "agent_name": "x", "status": "busy", "room": "coordinator_metrics"},
            {"close": 4001, "reason": "done {{seq}}"},
        ]}]})

    async def go():
        kind, ws = await attempt(mock, "/ws/coordinator")
        return await frames_until_close(ws)

    frames, code, reason = run(go())
    assert frames[:3] == ["pass 1 seq 1", "pass 2 seq 2", "pass 3 seq 3"]
    assert json.loads(frames[3])["type"] == "agent_status"
    assert (code, reason) == (4001, "done 4")
    assert journal_events(mock, "mark", n=1)[0]["text"].startswith("after loop on ")
    assert journal_events(mock, "resume", n=1)
    assert [e["opcode"] for e in journal_events(mock, "frame_out", n=5)][3] == "ping"


def test_timeline_outage_profile_switch_and_drop_all(mock, scn):
    scn(body={"name": "tl", "description": "timeline", "timeline": [
        {"at_ms": 0, "outage": True, "for_ms": 20000, "status": 503, "path": "/ws/agent/*"},
        {"at_ms": 0, "profile": "pre-fix"},
        {"at_ms": 30000, "drop_all": True},
    ]})
    journal_events(mock, "timeline", n=2)

    async def go():
        a = await attempt(mock, "/ws/agent/x")
        b = await attempt(mock, "/ws/coordinator")  # pre-fix: the 403
        c = await attempt(mock, "/api/v1/ws/connect")
        frames, code, _ = await frames_until_close(c[1], timeout=3)
        return a, b, code

    a, b, code = run(go())
    assert a == ("status", 503) and b == ("status", 403) and code == 1006


def test_bad_scenario_body_is_refused_whole_and_old_one_kept(mock, scn):
    scn("refuse-then-accept")
    r = mock.post("/__mock/scenario", obj={"name": "x", "description": "y",
                                           "connections": [{"path": "/ws/*", "attempts": "5-3"}],
                                           "bogus": 1})
    assert r.status == 400
    assert r.json() == {"detail": "invalid scenario", "errors": [
        '<body>: $: unknown key "bogus" (expected name, description, keywords, profile, time_scale, '
        'heartbeat_ms, coordinator, connections, replies, timeline, timeline_loop_ms, expect)',
        '<body>: $.connections[0].attempts: impossible range "5-3" (the end is before the start)']}
    assert mock.get("/__mock/scenario").json()["name"] == "refuse-then-accept"
    assert mock.post("/__mock/scenario", obj={"name": "../etc/passwd"}).status == 400
    assert mock.post("/__mock/scenario", obj={"name": "no-such-scenario"}).status == 404


def test_scenario_flag_loads_and_bad_file_exits_2(wsmock_bin, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "b", "description": "d", "connections": [{"path": "/ws/*", "action": "nope"}]}')
    p = subprocess.run([wsmock_bin, "--port", "0", "--scenario", str(bad)], capture_output=True, text=True,
                       timeout=10)
    assert p.returncode == 2
    assert p.stderr == ('wsmock: %s: $.connections[0].action: unknown action "nope" (expected accept, '
                        'refuse, reset, hang)\n' % bad)
    p = subprocess.run([wsmock_bin, "check", str(bad)], capture_output=True, text=True, timeout=10)
    assert p.returncode == 2 and "unknown action" in p.stderr


def test_outage_drops_open_connections_and_refuses_with_503_then_recovers(mock, scn):
    scn("outage", scale=0.1)  # at 200 ms, for 500 ms

    async def go():
        kind, ws = await attempt(mock, "/ws/coordinator")
        assert kind == "open"
        frames, code, _ = await frames_until_close(ws, timeout=5)
        return code, await attempt(mock, "/ws/coordinator")

    code, during = run(go())
    assert code == 1006 and during == ("status", 503)
    journal_events(mock, "mark", n=1)  # "outage over"

    async def after():
        kind, ws = await attempt(mock, "/ws/coordinator")
        assert kind == "open"
        await ws.close()

    run(after())
    ups = journal_events(mock, "upgrade", n=3)
    assert [e.get("outage", False) for e in ups] == [False, True, False]


def test_message_burst_arrives_complete_and_in_order(mock, scn):
    scn("message-burst")

    async def go():
        kind, ws = await attempt(mock, "/ws/workflow/b")
        await ws.recv()
        msgs = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(1001)]
        await ws.close()
        return msgs

    msgs = run(go())
    assert [m["message"] for m in msgs[:1000]] == ["update %d" % i for i in range(1, 1001)]
    assert msgs[1000]["state"] == "completed"


def test_send_bytes_and_close_all_and_expectations_on_attempts(mock, scn):
    scn(body={"name": "misc", "description": "raw bytes, close_all, attempts and policy",
              "connections": [{"path": "/ws/agent/*", "welcome": False,
                               "on_open": [{"send_bytes": "aGk=", "opcode": "text"},
                                           {"send_bytes": "AP8=", "opcode": "binary"}]},
                              {"path": "/ws/coordinator", "action": "refuse"}],
              "timeline": [{"at_ms": 1000, "close_all": 4002, "reason": "maintenance"}],
              "expect": [{"name": "few", "attempts": {"min": 1, "max": 2}, "path": "/ws/coordinator"},
                         {"name": "backs off", "path": "/ws/coordinator",
                          "reconnect_policy": "initial=1000,factor=2,cap=30000,max=5"}]}, scale=0.1)

    async def go():
        kind, ws = await attempt(mock, "/ws/agent/z")
        assert kind == "open"
        a, b = await ws.recv(), await ws.recv()
        frames, code, reason = await frames_until_close(ws, timeout=5)  # close_all at 100 ms
        storm = [await attempt(mock, "/ws/coordinator") for _ in range(3)]  # no delay at all
        return a, b, code, reason, storm

    a, b, code, reason, storm = run(go())
    assert (a, b) == ("hi", b"\x00\xff")
    assert (code, reason) == (4002, "maintenance")
    assert storm == [("status", 403)] * 3
    rep = mock.get("/__mock/expect").json()
    by_name = {e["name"]: e for e in rep["expectations"]}
    assert by_name["few"]["status"] == "failed"
    assert by_name["few"]["detail"] == "3 attempts on /ws/coordinator, more than the maximum 2"
    assert by_name["backs off"]["status"] == "failed"
    assert by_name["backs off"]["detail"].startswith("retry storm")
    assert [e["status"] for e in journal_events(mock, "expect", n=3)] == ["met", "failed", "failed"]


def test_every_emit_kind_in_its_real_shape(mock, scn):
    scn(body={"name": "kinds", "description": "every emit kind to the connection itself",
              "connections": [{"path": "/ws/workflow/*", "on_open": [
                  {"emit": "progress", "state": "running", "progress": 0.25, "stage": "outline"},
                  {"emit": "agent_status", "agent_name": "a1", "status": "busy", "metrics": {"n": 1}},
                  {"emit": "coordinator_metrics", "registered_agents": 2},
                  {"emit": "error", "target_type": "workflow", "target_id": "{{workflow_id}}",
                   "message": "boom"},
                  {"emit": "error_reply", "message": "Invalid JSON format"},
                  {"emit": "status", "status": {"state": "running"}},
                  {"emit": "info", "message": "hello", "timestamp": False},
                  {"emit": "welcome"}, {"emit": "heartbeat"}, {"emit": "pong"}]}]})

    async def go():
        kind, ws = await attempt(mock, "/ws/workflow/k?client_id=c1")
        msgs = [await asyncio.wait_for(ws.recv(), 3) for _ in range(11)]
        await ws.close()
        return msgs

    msgs = run(go())
    keys = [list(json.loads(m)) for m in msgs[1:]]
    assert keys == [
        ["type", "workflow_id", "timestamp", "state", "progress", "stage", "message", "details"],
        ["type", "agent_name", "timestamp", "status", "metrics"],
        ["type", "timestamp", "total_messages", "total_workflows", "registered_agents", "healthy_agents",
         "active_workflows", "queue_size", "dead_letters"],
        ["type", "target_type", "target_id", "message", "error_type", "retryable", "details", "timestamp"],
        ["type", "message"],
        ["type", "workflow_id", "status"],
        ["type", "message"],
        ["type", "message", "timestamp", "client_id", "room"],
        ["type", "timestamp"],
        ["type"],
    ]
    assert msgs[5] == '{"type":"error","message":"Invalid JSON format"}'
    assert msgs[7] == '{"type":"info","message":"hello"}'
    assert msgs[8] == msgs[0].replace(json.loads(msgs[0])["timestamp"], json.loads(msgs[8])["timestamp"])
    assert msgs[10] == '{"type":"pong"}'
    assert json.loads(msgs[3])["registered_agents"] == 2 and json.loads(msgs[1])["progress"] == 0.25


def test_origin_check_refuses_only_requests_with_an_origin(mock, scn):
    scn("origin-check")

    async def go():
        try:
            await websockets.connect(url(mock, "/ws/coordinator"), origin="http://localhost:5000",
                                     open_timeout=2)
            refused = None
        except websockets.exceptions.InvalidStatusCode as e:
            refused = e.status_code
        kind, ws = await attempt(mock, "/ws/coordinator")
        await ws.close()
        return refused, kind

    refused, kind = run(go())
    assert refused == 403 and kind == "open"
    ups = journal_events(mock, "upgrade", n=2)
    assert [(e["origin"], e["outcome"], e.get("rule_label")) for e in ups] == [
        ("http://localhost:5000", "refused", "origin refused"), (None, "accepted", None)]
