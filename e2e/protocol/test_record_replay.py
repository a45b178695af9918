"""`wsmock record` (a transparent recording proxy) and `wsmock import-har`, end to end.

A client talks to a wsmock upstream through the recorder; the scenario the recorder writes must say what the
server did (frames in order, the refusal, the drop, the close, the client's messages as expectations). Then
the round trip: `wsmock --scenario FILE` must send the same frames in the same order and refuse the same path
with the same status. The replay half runs as soon as the binary's --help offers --scenario (a capability
probe, not a fixed skip).

Run:  /usr/bin/python3 -m pytest -q -p no:cacheprovider e2e/protocol/test_record_replay.py
"""

import contextlib
import json
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest
import websockets
import websockets.exceptions

from wsproto_helpers import http_request, read_ready_line, run, ws_open, ws_refused_status

pytestmark = pytest.mark.mock_only("the recorder and the replay are wsmock commands")

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_HAR = REPO_ROOT / "e2e" / "protocol" / "data" / "sample-websocket.har"
SAMPLE_SCENARIO = REPO_ROOT / "mockserver" / "record" / "tests" / "data" / "sample-websocket.scenario.json"
SERVER_READY = re.compile(r"wsmock listening on http://127\.0\.0\.1:(\d+)\n")
RECORDER_READY = re.compile(r"wsmock record listening on http://127\.0\.0\.1:(\d+) -> (\S+)\n")
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
BIG = '{"type":"x","pad":"%s"}' % ("a" * 100)   # over the upstream's --max-message 64: closed with 1009


class Proc:
    """A wsmock process (server or recorder) that prints one ready line on stdout."""

    def __init__(self, argv, ready_re):
        self.argv = [str(a) for a in argv]
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._stderr)
        self.ready_line, self._rest = self._read_line()
        m = ready_re.fullmatch(self.ready_line)
        if not m:
            self.kill()
            raise AssertionError("%s printed %r, expected %s\nstderr:\n%s"
                                 % (" ".join(self.argv), self.ready_line, ready_re.pattern, self.stderr_text()))
        self.match = m
        self.port = int(m.group(1))
        assert self.port != 0
        self.http_url = "http://127.0.0.1:%d" % self.port
        self.ws_url = "ws://127.0.0.1:%d" % self.port
        self.exit_code = None

    def _read_line(self):
        return read_ready_line(self.proc, " ".join(self.argv), START_TIMEOUT, STOP_TIMEOUT, self.stderr_text)

    def stderr_text(self):
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM):
        """Sends sig, waits for the exit (killing it after STOP_TIMEOUT), checks stdout held only the ready
        line; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError("%s did not exit within %.0f s of %s\nstderr:\n%s"
                                     % (" ".join(self.argv), STOP_TIMEOUT, signal.Signals(sig).name,
                                        self.stderr_text()))
        self.exit_code = self.proc.returncode
        rest = self._rest + self.proc.stdout.read()
        self.proc.stdout.close()
        assert rest == b"", "%s printed more than its ready line on stdout: %r" % (self.argv[0], rest)
        return self.exit_code

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT)


@contextlib.contextmanager
def running(argv, ready_re=SERVER_READY):
    """A process for the duration of a with block; it must exit 0 on SIGTERM at the end."""
    p = Proc(argv, ready_re)
    try:
        yield p
    finally:
        if p.exit_code is None:
            code = p.stop()
            assert code == 0, "%s exited with %r after SIGTERM\nstderr:\n%s" % (p.argv, code, p.stderr_text())


def help_text(binary, *cmd):
    r = subprocess.run([binary, *cmd, "--help"], stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
    return r.returncode, r.stdout.decode("utf-8", "replace") + r.stderr.decode("utf-8", "replace")


def require_replay(binary):
    """Capability probe: the replay half needs `wsmock --scenario`."""
    code, text = help_text(binary)
    if code != 0 or "--scenario" not in text:
        pytest.skip("this wsmock has no --scenario option yet (wsmock --help does not offer it)")


def require_time_scale(binary):
    code, text = help_text(binary)
    if code != 0 or "--time-scale" not in text:
        pytest.skip("this wsmock has no --time-scale option yet (wsmock --help does not offer it)")


def steps_of(rule, verb):
    return [s[verb] for s in rule["on_open"] if verb in s]


def http_json(url, path, timeout=10.0):
    u = urllib.parse.urlsplit(url)
    r = http_request(u.hostname, u.port, "GET", path, timeout=timeout)
    assert r.status == 200, r
    return r.json()


# --------------------------------------------------------------------------------------------------------
# The client session, driven through the recorder and again against the replay


async def coordinator_session(base):
    """Welcome, ping, pong; the client closes. Returns the texts received."""
    c = await ws_open(base, "/ws/coordinator")
    got = [await c.recv()]
    await c.send('{"type":"ping"}')
    got.append(await c.recv())
    return c, got


async def workflow_session(base):
    """Welcome, then a non-object JSON message: the server drops the connection (no close frame)."""
    c = await ws_open(base, "/ws/workflow/wf-1")
    got = [await c.recv()]
    with contextlib.suppress(websockets.exceptions.ConnectionClosed):
        await c.send("[1]")
    await c.expect_abrupt_close()
    return got


async def agent_session(base):
    """Welcome, then a message over the upstream's limit: the server closes with 1009."""
    c = await ws_open(base, "/ws/agent/a1")
    got = [await c.recv()]
    with contextlib.suppress(websockets.exceptions.ConnectionClosed):
        await c.send(BIG)
    await c.expect_close(1009)
    return got, c.ws.close_rcvd.reason


async def whole_session(base):
    out = {}
    c, out["/ws/coordinator"] = await coordinator_session(base)
    await c.close()
    out["refused"] = await ws_refused_status(base, "/ws/nope")
    out["/ws/workflow/wf-1"] = await workflow_session(base)
    out["/ws/agent/a1"], out["close_reason"] = await agent_session(base)
    return out


@pytest.fixture(scope="module")
def recorded(wsmock_bin, tmp_path_factory):
    """Records one session through `wsmock record` in front of a wsmock upstream; returns what the client
    saw, the scenario file, its text and the recorder's stderr."""
    out = tmp_path_factory.mktemp("rec") / "my-session.json"
    with running([wsmock_bin, "--port", "0", "--seed", "1", "--max-message", "64"]) as up:
        with running([wsmock_bin, "record", "--upstream", up.http_url, "--port", "0", "--out", out],
                     RECORDER_READY) as rec:
            assert rec.match.group(2) == up.http_url, rec.ready_line
            health = http_request("127.0.0.1", rec.port, "GET", "/health")
            assert health.status == 200, health
            seen = run(whole_session(rec.ws_url), timeout=20)
            assert not out.exists(), "the scenario is written when the recorder stops, not before"
            assert rec.stop() == 0, rec.stderr_text()
        stderr = rec.stderr_text()
    text = out.read_text(encoding="utf-8")
    return {"seen": seen, "file": out, "text": text, "scenario": json.loads(text), "stderr": stderr,
            "upstream": up.http_url}


# --------------------------------------------------------------------------------------------------------
# Recording


def test_recorder_writes_the_server_side_as_connection_rules(recorded):
    s, seen = recorded["scenario"], recorded["seen"]
    assert list(s) == ["name", "description", "keywords", "profile", "heartbeat_ms", "connections", "expect"]
    assert s["name"] == "my-session"
    assert re.fullmatch(r"Recorded from %s on \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ" % re.escape(recorded["upstream"]),
                        s["description"]), s["description"]
    assert s["keywords"] == ["recorded"]
    assert s["profile"] == "deployed"
    assert s["heartbeat_ms"] == 0
    rules = s["connections"]
    assert [(r["path"], r["attempts"], r["action"]) for r in rules] == [
        ("/ws/coordinator", 1, "accept"), ("/ws/nope", 1, "refuse"), ("/ws/workflow/wf-1", 1, "accept"),
        ("/ws/agent/a1", 1, "accept")]
    coord, nope, wf, agent = rules
    for r in (coord, wf, agent):
        assert list(r) == ["path", "attempts", "action", "welcome", "on_open", "replies"], r
        assert r["welcome"] is False
        assert r["replies"] == [{"regex": ".*", "do": []}]
        for step in r["on_open"]:
            assert len(step) in (1, 2) and list(step)[0] in ("send_text", "wait_ms", "close", "drop"), step
            if "wait_ms" in step:
                assert isinstance(step["wait_ms"], int) and step["wait_ms"] > 0, step
    # the server's frames, exactly as the client received them, in order
    assert steps_of(coord, "send_text") == seen["/ws/coordinator"]
    assert json.loads(seen["/ws/coordinator"][0])["type"] == "info"
    assert seen["/ws/coordinator"][1] == '{"type":"pong"}'
    assert "close" not in coord["on_open"][-1] and "drop" not in coord["on_open"][-1]  # the client closed
    assert nope == {"path": "/ws/nope", "attempts": 1, "action": "refuse", "status": 403,
                    "headers": {"Content-Type": "text/plain"}, "body": ""}
    assert seen["refused"] == 403
    assert steps_of(wf, "send_text") == seen["/ws/workflow/wf-1"]
    assert wf["on_open"][-1] == {"drop": True}
    assert steps_of(agent, "send_text") == seen["/ws/agent/a1"]
    assert agent["on_open"][-1] == {"close": 1009, "reason": seen["close_reason"]}


def test_recorder_writes_client_messages_as_expectations(recorded):
    expect = recorded["scenario"]["expect"]
    assert [(x["name"], x["client_sends"], x["path"]) for x in expect] == [
        ("conn 1 frame 1", {"type": "ping"}, "/ws/coordinator"),
        ("conn 3 frame 1", "[1]", "/ws/workflow/wf-1"),   # not a JSON object: the exact text
        ("conn 4 frame 1", json.loads(BIG), "/ws/agent/a1"),
    ]
    for x in expect:
        assert list(x) == ["name", "client_sends", "path", "within_ms"]
        # t + max(250, t/2): a message sent within a second of the open gets 250..1500 ms
        assert isinstance(x["within_ms"], int) and 250 <= x["within_ms"] <= 1500, x


def test_recorder_file_is_indented_json_and_the_summary_one_line(recorded):
    assert recorded["text"] == json.dumps(recorded["scenario"], indent=2, ensure_ascii=False) + "\n"
    lines = [l for l in recorded["stderr"].splitlines() if l]
    assert len(lines) == 1, recorded["stderr"]
    assert lines[0] == (
        "wsmock record: wrote %s: 4 WebSocket upgrades (3 accepted, 1 refused, 0 reset, 0 unanswered), "
        "5 server frames, 3 client messages as expectations (0 not expressible), 1 HTTP exchange relayed "
        "(not replayed), 0 upstream connections refused" % recorded["file"]), lines[0]


def test_recorder_closes_the_client_when_the_upstream_refuses_the_connection(wsmock_bin, tmp_path):
    # a port nobody listens on: the kernel's pick, released at once
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    out = tmp_path / "refused.json"
    with running([wsmock_bin, "record", "--upstream", "http://127.0.0.1:%d" % dead, "--port", "0",
                  "--out", out], RECORDER_READY) as rec:
        c = socket.create_connection(("127.0.0.1", rec.port), timeout=5)
        with c:
            c.sendall(b"GET /ws/coordinator HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n")
            c.settimeout(5)
            try:
                data = c.recv(100)
            except ConnectionResetError:
                data = b""
            assert data == b"", "the client got %r instead of a closed connection" % data
        assert rec.stop() == 0
    s = json.loads(out.read_text())
    assert s["connections"] == [] and s["expect"] == []
    assert rec.stderr_text().splitlines()[-1].endswith("1 upstream connection refused"), rec.stderr_text()


def test_recorder_passes_on_a_client_that_vanishes(wsmock_bin, tmp_path):
    """The client's TCP end (no close frame) reaches the upstream, which then closes its side; the recording
    says the client ended it (no drop step)."""
    out = tmp_path / "vanish.json"
    with running([wsmock_bin, "--port", "0", "--seed", "1"]) as up:
        with running([wsmock_bin, "record", "--upstream", up.http_url, "--port", "0", "--out", out],
                     RECORDER_READY) as rec:
            async def vanish():
                c = await ws_open(rec.ws_url, "/ws/coordinator")
                welcome = await c.recv()
                c.ws.transport.close()      # FIN without a close frame
                return welcome
            welcome = run(vanish())
            j = http_json(up.http_url, "/__mock/journal?type=close&path=/ws/coordinator&wait_ms=5000")
            assert [(e["path"], e["by"], e["code"]) for e in j["events"]] == [("/ws/coordinator", "client", 1006)], j
            assert rec.stop() == 0
    rule = json.loads(out.read_text())["connections"][0]
    assert steps_of(rule, "send_text") == [welcome], rule
    assert not any("drop" in s or "close" in s for s in rule["on_open"]), rule


def test_record_and_import_har_document_themselves(wsmock_bin):
    code, text = help_text(wsmock_bin, "record")
    assert code == 0
    for word in ("--upstream", "--port", "--out", "--host", "wait_ms", "client_sends", "within_ms", "refuse",
                 "drop", "SIGTERM"):
        assert word in text, word
    code, text = help_text(wsmock_bin, "import-har")
    assert code == 0
    for word in ("--out", "_webSocketMessages", "startedDateTime", "2 bad arguments or bad input"):
        assert word in text, word


def test_record_bad_arguments_exit_2(wsmock_bin, tmp_path):
    for args in (["record"], ["record", "--upstream", "https://h", "--port", "0", "--out", tmp_path / "x.json"],
                 ["record", "--upstream", "http://h:1", "--port", "x", "--out", tmp_path / "x.json"]):
        r = subprocess.run([wsmock_bin, *[str(a) for a in args]], stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=10)
        assert r.returncode == 2, (args, r)
        assert r.stdout == b"", (args, r)


# --------------------------------------------------------------------------------------------------------
# Replay (round trip)


def test_replay_sends_the_same_frames_in_the_same_order(wsmock_bin, recorded):
    require_replay(wsmock_bin)
    seen = recorded["seen"]
    with running([wsmock_bin, "--port", "0", "--seed", "2", "--scenario", recorded["file"]]) as srv:
        async def replay():
            c, got = await coordinator_session(srv.ws_url)
            assert got == seen["/ws/coordinator"]
            await c.assert_silent(0.3)        # the profile does not answer the ping a second time
            await c.close()
            assert await ws_refused_status(srv.ws_url, "/ws/nope") == seen["refused"]
            assert await workflow_session(srv.ws_url) == seen["/ws/workflow/wf-1"]
            got, reason = await agent_session(srv.ws_url)
            assert got == seen["/ws/agent/a1"]
            assert reason == seen["close_reason"]
        run(replay(), timeout=20)

        # The ping expectation is met. (The other two messages made the real server end the connection;
        # the replay ends it on the recorded clock, ~1 ms after the welcome, before such a message can
        # arrive, so those stay unmet: a timed script does not wait for the client.)
        since, met = 0, False
        end = time.monotonic() + 10
        while not met and time.monotonic() < end:
            j = http_json(srv.http_url, "/__mock/journal?type=expect&wait_ms=3000&since=%d" % since)
            met = any(e.get("index") == 0 and e.get("status") == "met" for e in j["events"])
            since = j["next"]
        status = http_json(srv.http_url, "/__mock/expect")
        first = status["expectations"][0]
        assert (first["name"], first["status"]) == ("conn 1 frame 1", "met"), status


def test_recorded_scenario_passes_wsmock_check(wsmock_bin, recorded):
    require_replay(wsmock_bin)
    r = subprocess.run([wsmock_bin, "check", recorded["file"]], stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=10)
    assert r.returncode == 0, r


# --------------------------------------------------------------------------------------------------------
# import-har


def test_import_har_writes_the_sample_scenario(wsmock_bin, tmp_path):
    out = tmp_path / "sample-websocket.json"
    r = subprocess.run([wsmock_bin, "import-har", SAMPLE_HAR, "--out", out], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=10)
    assert r.returncode == 0, r
    assert r.stdout == b""
    assert out.read_text(encoding="utf-8") == SAMPLE_SCENARIO.read_text(encoding="utf-8")
    assert r.stderr.decode().startswith("wsmock import-har: wrote %s: 3 WebSocket entries (2 accepted, "
                                        "1 refused, 0 reset)" % out), r.stderr


def test_imported_har_replays_its_frames(wsmock_bin, tmp_path):
    require_replay(wsmock_bin)
    require_time_scale(wsmock_bin)
    out = tmp_path / "har.json"
    subprocess.run([wsmock_bin, "import-har", SAMPLE_HAR, "--out", out], check=True, capture_output=True,
                   timeout=10)
    har = json.loads(SAMPLE_HAR.read_text())
    received = {}
    for e in har["log"]["entries"]:
        if e.get("_resourceType") == "websocket" and e["response"]["status"] == 101:
            path = urllib.parse.urlsplit(e["request"]["url"]).path
            received[path] = [m["data"] for m in e["_webSocketMessages"] if m["type"] == "receive"]
    with running([wsmock_bin, "--port", "0", "--scenario", out, "--time-scale", "0.01"]) as srv:
        async def replay():
            for path, want in received.items():
                if path == "/ws/workflow/wf-1":   # refused first, as in the browser's session
                    assert await ws_refused_status(srv.ws_url, path) == 403
                c = await ws_open(srv.ws_url, path)
                got = []
                for _ in want:
                    got.append(await c.recv(timeout=5))
                assert got == want, path
                await c.close()
        run(replay(), timeout=20)


@pytest.mark.parametrize("content, where", [
    ("not json", ":1:1: JSON syntax error"),
    ('{"log": {}}', ": $.log.entries: expected an array, got nothing"),
    ('{"log": {"entries": [{"request": {"url": "http://h/"}, "response": {"status": 200}}]}}',
     ": $.log.entries: no WebSocket entry"),
    ('{"log": {"entries": [{"_resourceType": "websocket", "startedDateTime": "2026-01-01T00:00:00Z", '
     '"request": {"url": "ws://h/ws/a"}, "response": {"status": 101}, "_webSocketMessages": [{"type": "send", '
     '"time": "soon", "opcode": 1, "data": "x"}]}]}}',
     ": $.log.entries[0]._webSocketMessages[0].time: expected a number, got a string"),
], ids=["not-json", "no-entries", "no-websocket", "wrong-type"])
def test_import_har_bad_input_is_one_line_and_exit_2(wsmock_bin, tmp_path, content, where):
    har = tmp_path / "bad.har"
    har.write_text(content)
    out = tmp_path / "out.json"
    r = subprocess.run([wsmock_bin, "import-har", har, "--out", out], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=10)
    assert r.returncode == 2, r
    lines = r.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("wsmock import-har: %s%s" % (har, where)), lines[0]
    assert not out.exists()
