"""Abuse of wsmock on the wire: fragmented, oversized and malformed frames sent byte for byte, a client that
never reads, and the control API fed garbage. Every case ends by checking that the server still answers.
Mock only. The volume cases (20,000 connect/close cycles, floods of refused upgrades, never-reading clients
with RSS checks) are the C harness suite harness/tests/test_abuse.c.

Already covered elsewhere and not repeated here: one oversized unfragmented message (1009,
test_control_api.py), invalid UTF-8 in one frame (1007), binary and non-object frames (1006), fragments sent
by the server (test_scenarios.py).
"""

import json
import os
import random
import socket
import struct
import time

import pytest

from wsproto_helpers import (
    encode_frame, raw_connect, raw_ws_open, recv_head, recv_until_close,
)

pytestmark = pytest.mark.mock_only("abuse of wsmock itself")

MAX = 1024          # --max-message of the frame tests
PING = b'{"type":"ping"}'
PONG = b'{"type":"pong"}'


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for pid %d" % pid)


def is_asan(pid):
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()


def frame(opcode, payload, fin=True, rsv=0):
    f = bytearray(encode_frame(opcode, payload, fin=fin))
    f[0] |= rsv << 4
    return bytes(f)


def fragments(opcode, payload, sizes):
    """payload split at the given sizes (the rest in the last fragment): first frame opcode, then 0x0."""
    out, pos = [], 0
    for n in sizes:
        out.append(payload[pos:pos + n])
        pos += n
    out.append(payload[pos:])
    return [frame(opcode if i == 0 else 0x0, p, fin=(i == len(out) - 1)) for i, p in enumerate(out)]


@pytest.fixture
def fsrv(server_pool):
    """A shared wsmock with --max-message 1024 (reset before each test)."""
    return server_pool.get("deployed", ("--max-message", str(MAX), "--heartbeat-ms", "0"))


class Raw:
    """A raw WebSocket client on /ws/workflow/<name>, welcome already read."""

    def __init__(self, srv, name="abuse"):
        self.srv = srv
        self.sock, self.reader, _, _ = raw_ws_open(srv.host, srv.port, "/ws/workflow/" + name)
        op, _ = self.reader.read()
        assert op == 0x1, "no welcome"

    def send(self, *frames):
        self.sock.sendall(b"".join(frames))

    def read(self):
        return self.reader.read()

    def expect_close(self, code, reason=None, wait_eof=True):
        """The next frame is a close frame with code; the close is echoed and TCP must end (wait_eof False:
        the socket is closed right after the echo)."""
        while True:
            f = self.read()
            assert f is not None, "TCP ended without a close frame, expected %d" % code
            if f[0] == 0x8:
                break
            assert f[0] in (0x1, 0xA), f
        got = int.from_bytes(f[1][:2], "big")
        assert got == code, "close %d %r, expected %d" % (got, f[1][2:], code)
        if reason is not None:
            assert f[1][2:] == reason, f
        try:
            # the echo; a server that closed with unread data in its buffer has reset the connection
            self.sock.sendall(frame(0x8, f[1][:2]))
            if wait_eof:
                assert self.read() is None, "more after the close"
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.sock.close()

    def close(self):
        self.sock.close()


def last_close(srv):
    ev = srv.journal(type="close", wait_ms=3000)["events"]
    assert ev, "no close event"
    e = ev[-1]
    return e["code"], e["reason"], e["by"]


# ========================================================================================================
# Fragmented messages


def test_fragments_are_reassembled_with_control_frames_in_between(fsrv):
    c = Raw(fsrv)
    a, b, rest = PING[:3], PING[3:9], PING[9:]
    c.send(frame(0x1, a, fin=False), frame(0x9, b"mid"), frame(0x0, b, fin=False), frame(0xA, b"unsolicited"),
           frame(0x0, rest))
    assert c.read() == (0xA, b"mid")          # the ping is answered at once, between the fragments
    assert c.read() == (0x1, PONG)            # then the reassembled message is handled
    ins = fsrv.journal(type="frame_in")["events"]
    assert [(e["size"], e["data"]) for e in ins] == [(len(PING), PING.decode())]
    c.close()


def test_a_message_in_1000_fragments_is_reassembled(fsrv):
    msg = b'{"type":"ping","pad":"' + b"p" * (MAX - 24) + b'"}'
    assert len(msg) == MAX
    c = Raw(fsrv)
    frames = fragments(0x1, msg, [1] * 999)
    frames = [f if i % 100 else f + frame(0x9, b"%d" % i) for i, f in enumerate(frames)]
    c.send(*frames)
    pongs = []
    while True:
        op, data = c.read()
        if op != 0xA:
            break
        pongs.append(data)
    assert (op, data) == (0x1, PONG)
    # RFC 6455 5.5.3 lets a server answer only the most recent of several pings (lws does)
    assert pongs and set(pongs) <= {b"%d" % i for i in range(0, 1000, 100)}, pongs
    c.close()


def test_fragmented_message_at_the_limit_passes_one_byte_more_is_1009(fsrv):
    body = b'{"type":"ping","pad":"'
    exact = body + b"x" * (MAX - len(body) - 2) + b'"}'
    c = Raw(fsrv)
    c.send(*fragments(0x1, exact, [300, 300, 300]))
    assert c.read() == (0x1, PONG)
    c.send(*fragments(0x1, exact[:-2] + b'x"}', [300, 300, 300]))
    c.expect_close(1009, b"message too big")
    assert last_close(fsrv) == (1009, "message too big", "server")


def test_oversized_message_is_refused_before_its_last_fragment(fsrv):
    """The limit applies while the fragments arrive: the server does not wait for (or buffer) the end."""
    c = Raw(fsrv)
    c.send(frame(0x1, b"x" * 600, fin=False), frame(0x0, b"x" * 600, fin=False))
    c.expect_close(1009, b"message too big")


def test_declared_huge_frame_is_1009_after_max_message_bytes(fsrv):
    """A header announcing 2^62 bytes: nothing is allocated for the announced size; the close comes once more
    than --max-message bytes have arrived."""
    c = Raw(fsrv)
    c.send(bytes([0x81, 0xFF]) + struct.pack("!Q", 1 << 62) + os.urandom(4) + b"y" * (MAX + 100))
    c.expect_close(1009, b"message too big")


def test_utf8_character_split_across_fragments_is_accepted(fsrv):
    msg = '{"type":"ping","x":"é😀"}'.encode()
    cut = msg.index("é".encode()) + 1                     # inside the 2-byte é
    cut2 = msg.index("😀".encode()) + 1                   # inside the 4-byte emoji
    c = Raw(fsrv)
    c.send(frame(0x1, msg[:cut], fin=False), frame(0x0, msg[cut:cut2], fin=False), frame(0x0, msg[cut2:]))
    assert c.read() == (0x1, PONG)
    c.close()


def test_invalid_utf8_in_a_later_fragment_is_1007(fsrv):
    c = Raw(fsrv)
    c.send(frame(0x1, b'{"type":"', fin=False), frame(0x0, b"\xc3", fin=False), frame(0x0, b'("}'))
    c.expect_close(1007, b"invalid UTF-8")
    assert last_close(fsrv) == (1007, "invalid UTF-8", "server")


@pytest.mark.parametrize("frames,reason", [
    pytest.param([frame(0x0, PING)], b"bad cont", id="continuation-without-start"),
    pytest.param([frame(0x0, PING, fin=False)], b"bad cont", id="unfinished-continuation-without-start"),
    pytest.param([frame(0x1, PING[:4], fin=False), frame(0x1, PING[4:])], b"bad cont",
                 id="new-message-inside-a-fragmented-one"),
    pytest.param([frame(0x9, b"abc", fin=False)], b"frag ctl", id="fragmented-ping"),
    pytest.param([frame(0x1, PING, rsv=4)], b"rsv bits", id="reserved-bit"),
    pytest.param([frame(0x3, b"x")], b"bad opc", id="reserved-opcode"),
])
def test_protocol_errors_are_1002_and_journaled_as_the_servers_close(fsrv, frames, reason):
    c = Raw(fsrv)
    c.send(*frames)
    # after some of these lws ignores the echo and waits 5 s for it: hang up instead of waiting
    c.expect_close(1002, reason, wait_eof=False)
    assert last_close(fsrv) == (1002, reason.decode(), "server")
    Raw(fsrv, "after").close()                # the server takes the next connection


def test_oversized_fragmented_messages_do_not_grow_memory(wsmock):
    """300 connections, each sending a message that crosses --max-message in its second fragment: each is
    closed with 1009 and the receive buffers are released (VmRSS flat after a warm-up of 30)."""
    srv = wsmock(extra_args=["--max-message", "65536", "--heartbeat-ms", "0", "--journal-limit", "100"])
    big = [frame(0x1, b"x" * 40000, fin=False), frame(0x0, b"x" * 40000, fin=False)]

    def one():
        c = Raw(srv)
        c.send(*big)
        c.expect_close(1009)

    for _ in range(30):
        one()
    srv.wait_connections(0)
    base = rss_kib(srv.proc.pid)
    t0 = time.monotonic()
    for _ in range(300):
        one()
    srv.wait_connections(0)
    after = rss_kib(srv.proc.pid)
    print("300 oversized messages in %.2f s; VmRSS %d -> %d KiB" % (time.monotonic() - t0, base, after))
    if not is_asan(srv.proc.pid):            # ASan's quarantine and shadow memory make RSS meaningless
        assert after - base <= 1024, (base, after)


# ========================================================================================================
# A client that never reads


def test_never_reading_client_is_dropped_when_its_close_frame_cannot_be_sent(wsmock):
    """1 MB messages to a client that never reads: the kernel buffers fill, lws keeps the rest of one frame,
    the queue (--queue-limit 2) overflows and the server decides to close with 1008 -- but the close frame can
    never be written. The server must give up on it within a few seconds and free the session."""
    srv = wsmock(extra_args=["--queue-limit", "2", "--heartbeat-ms", "0", "--journal-limit", "20"])
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect((srv.host, srv.port))
    try:
        s.sendall(b"GET /ws/workflow/stuck HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        since = srv.journal_next()
        text = "x" * 1000000
        for i in range(100):
            if srv.emit_ok({"room": "workflow_stuck", "text": text}) == 0:
                break
        assert i < 99, "the queue never overflowed"
        assert srv.get("/health").status == 200
        t0 = time.monotonic()
        ev = srv.journal(since=since, wait_ms=8000, type="close")["events"]
        assert ev, "still open %.1f s after the overflow" % (time.monotonic() - t0)
        # the close frame never reached the client: the journal must not call it a clean 1008
        assert (ev[-1]["code"], ev[-1]["clean"], ev[-1]["by"]) == (1006, False, "server")
        assert srv.legacy_stats()["total_connections"] == 0
    finally:
        s.close()


# ========================================================================================================
# The control API fed garbage

def raw_request(srv, data, shut=False, timeout=5.0):
    """Sends bytes as they are; returns (status code or None, headers dict, body) once the server closes."""
    s = raw_connect(srv.host, srv.port, timeout)
    try:
        s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
        out = recv_until_close(s, timeout)
    finally:
        s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    if not head:
        return None, {}, b""
    status, *lines = head.decode("latin-1").split("\r\n")
    hdrs = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines)}
    return int(status.split()[1]), hdrs, body


def first_response(srv, data, timeout=5.0):
    """Sends bytes as they are; returns (status, headers, body) of the first whole response, without waiting
    for the connection to end."""
    s = raw_connect(srv.host, srv.port, timeout)
    try:
        s.sendall(data)
        head, rest = recv_head(s, timeout)
        status, *lines = head.decode("latin-1").split("\r\n")
        hdrs = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines if h)}
        n = int(hdrs["content-length"])
        while len(rest) < n:
            chunk = s.recv(65536)
            assert chunk, "connection ended inside the body"
            rest += chunk
    finally:
        s.close()
    return int(status.split()[1]), hdrs, rest[:n]


def req(method, path, body=b"", headers=(), length=True):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: x", "Connection: close"] + list(headers)
    if length and body is not None:
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


def assert_error(status, hdrs, body, want_status, want_text=None):
    assert status == want_status, (status, hdrs, body[:300])
    assert hdrs.get("content-type") == "application/json", hdrs
    obj = json.loads(body)
    assert list(obj) == ["error"] and isinstance(obj["error"], str) and obj["error"], obj
    if want_text:
        assert want_text in obj["error"], obj


@pytest.fixture
def gsrv(wsmock):
    return wsmock(extra_args=["--heartbeat-ms", "0"])


RNG = random.Random(20261126)
GARBAGE = [bytes(RNG.randrange(256) for _ in range(RNG.randrange(1, 400))) for _ in range(8)]


@pytest.mark.parametrize("path", ["/__mock/emit", "/__mock/coordinator"])
def test_random_bytes_bodies_are_400(gsrv, path):
    for blob in GARBAGE + [b"\x00", b"{\x00}", b"\xef\xbb\xbf{}", b"\xff\xfe{\x00}\x00"]:
        status, hdrs, body = raw_request(gsrv, req("POST", path, blob))
        assert_error(status, hdrs, body, 400)
    assert gsrv.get("/health").status == 200


@pytest.mark.parametrize("blob,want", [
    pytest.param(b'{"kind":', "not valid JSON", id="truncated-json"),
    pytest.param(b"[" * 100000 + b"]" * 100000, "not valid JSON", id="deep-nesting"),
    pytest.param(b'{"a":' * 20000 + b"1" + b"}" * 20000, "not valid JSON", id="deep-objects"),
    pytest.param(b'{"room":"x","text":"\xff"}', "not valid UTF-8", id="invalid-utf8-in-a-string"),
    pytest.param(b'{"room":"x","text":"\xed\xa0\x80"}', "not valid UTF-8", id="utf8-surrogate"),
    pytest.param(b"", "not valid JSON", id="empty"),
    pytest.param(b"a=b&c=d", "not valid JSON", id="form-encoded"),
    pytest.param(b"null", "must be a JSON object", id="null"),
    pytest.param(b'{"room":"x","text":"a"} trailing', "not valid JSON", id="trailing-garbage"),
])
def test_malformed_bodies_are_400_with_a_json_error(gsrv, blob, want):
    status, hdrs, body = raw_request(gsrv, req("POST", "/__mock/emit", blob))
    assert_error(status, hdrs, body, 400, want)


def test_scenario_garbage_is_400(gsrv):
    status, hdrs, body = raw_request(gsrv, req("POST", "/__mock/scenario", b"\xff\xfe"))
    assert_error(status, hdrs, body, 400, "not valid UTF-8")
    for blob in (b"{", b"[1]", b'{"name":"../../etc/passwd"}', b'{"name":"x\\u0000y"}', GARBAGE[0].hex().encode()):
        status, _, body = raw_request(gsrv, req("POST", "/__mock/scenario", blob))
        assert status == 400, (blob, body)
        assert json.loads(body)
    assert gsrv.get("/__mock/scenario").json()["name"] is None


def test_huge_body_is_413_and_nothing_changes(gsrv):
    blob = b'{"room":"x","text":"' + b"a" * (16 * 1024 * 1024) + b'"}'
    status, hdrs, body = raw_request(gsrv, req("POST", "/__mock/emit", blob), timeout=20)
    assert_error(status, hdrs, body, 413, "too large")
    assert gsrv.get("/health").status == 200


@pytest.mark.parametrize("method,path,want", [
    ("PUT", "/__mock/emit", "use POST"), ("PATCH", "/__mock/reset", "use POST"),
    ("DELETE", "/__mock/coordinator", "use POST"), ("OPTIONS", "/__mock/journal", "use GET"),
    ("POST", "/__mock/journal", "use GET"), ("GET", "/__mock/emit", "use POST"),
    ("PUT", "/__mock/scenario", "use GET, POST or DELETE"),
])
def test_wrong_methods_are_405(gsrv, method, path, want):
    status, hdrs, body = raw_request(gsrv, req(method, path, b"{}"))
    assert_error(status, hdrs, body, 405, want)


@pytest.mark.parametrize("path", ["/__mock", "/__mock/", "/__mock/emit/x", "/__mock/EMIT", "/__mock/%00",
                                  "/__mock/" + "a" * 900])
def test_unknown_control_paths_are_404(gsrv, path):
    status, hdrs, body = raw_request(gsrv, req("GET", path, None))
    assert_error(status, hdrs, body, 404, "unknown control endpoint")


@pytest.mark.parametrize("ctype,ok", [
    ("text/plain", True), ("application/x-www-form-urlencoded", True), (None, True),
    ("multipart/form-data; boundary=x", False), ("application/json; charset=latin-1", True),
])
def test_content_type_is_ignored_the_body_must_be_json(gsrv, ctype, ok):
    """curl -d sends application/x-www-form-urlencoded: a JSON body is accepted whatever the type says."""
    blob = b'{"kind":"coordinator_metrics"}' if ok else b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--x--"
    status, hdrs, body = raw_request(gsrv, req("POST", "/__mock/emit", blob,
                                               ["Content-Type: " + ctype] if ctype else []))
    if ok:
        assert (status, body) == (200, b'{"delivered":0}'), (status, body)
    else:
        assert_error(status, hdrs, body, 400, "not valid JSON")


@pytest.mark.parametrize("value", ["-5", "99999999999999999999", "18446744073709551616", "1-2"])
def test_invalid_content_length_is_400_and_the_connection_ends(gsrv, value):
    status, hdrs, body = raw_request(gsrv, b"POST /__mock/emit HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                     value.encode() + b"\r\n\r\n{}")
    assert_error(status, hdrs, body, 400, "Content-Length")
    assert hdrs.get("connection") == "close", hdrs


@pytest.mark.parametrize("value", ["abc", "+2", "0x10", " "])
def test_content_length_that_lws_rewrites_still_gets_a_json_4xx(gsrv, value):
    """libwebsockets keeps only the digits of some Content-Length values ("+2" is 2, "abc" is none), so these
    reach wsmock as other requests; whatever they become, the answer is a JSON 4xx."""
    status, hdrs, body = first_response(gsrv, b"POST /__mock/emit HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                        value.encode() + b"\r\n\r\n{}")
    assert_error(status, hdrs, body, 400)
    assert gsrv.get("/health").status == 200


def test_invalid_content_length_on_a_backend_path_is_uvicorns_400(gsrv):
    status, hdrs, body = raw_request(gsrv, b"POST /api/v1/ws/broadcast HTTP/1.1\r\nHost: x\r\n"
                                           b"Content-Length: -1\r\n\r\n{}")
    assert (status, body) == (400, b"Invalid HTTP request received."), (status, hdrs, body)
    assert hdrs.get("content-type") == "text/plain; charset=utf-8"


@pytest.mark.parametrize("query,want", [
    ("since=abc", "'since'"), ("since=-1", "'since'"), ("since=99999999999999999999999", "'since'"),
    ("wait_ms=60001", "'wait_ms'"), ("wait_ms=1e3", "'wait_ms'"), ("type=" + "t" * 100, "'type' is too long"),
    ("path=/" + "p" * 1200, "'path' is too long"),
])
def test_bad_journal_queries_are_400(gsrv, query, want):
    status, hdrs, body = raw_request(gsrv, req("GET", "/__mock/journal?" + query, None))
    assert_error(status, hdrs, body, 400, want)


def test_long_unrelated_query_argument_does_not_hide_the_others(gsrv):
    """lws_get_urlarg_by_name() stops at the first argument longer than its buffer; ms_http_arg() must not."""
    status, _, body = raw_request(gsrv, req("GET", "/__mock/journal?pad=" + "x" * 700 + "&since=abc", None))
    assert status == 400 and b"'since'" in body, body


def test_post_with_content_length_0_is_handled_once(gsrv):
    """lws reports an empty body (NULL, 0) and its completion after the request was answered at once: the
    request must not run a second time (nor memcpy from NULL, which UBSan stops)."""
    status, _, body = raw_request(gsrv, req("POST", "/api/v1/ws/broadcast", b""))
    assert status == 422, body
    status, _, body = raw_request(gsrv, req("POST", "/__mock/reset", b""))
    assert (status, body) == (200, b'{"reset":true}')
    status, _, body = raw_request(gsrv, req("POST", "/api/v1/ws/broadcast", b""))
    ev = gsrv.journal(type="http")["events"]
    assert [(e["method"], e["path"], e["status"]) for e in ev] == [("POST", "/api/v1/ws/broadcast", 422)], ev


def test_truncated_body_then_hang_up_leaves_the_server_fine(gsrv):
    status, _, _ = raw_request(gsrv, req("POST", "/__mock/emit", b'{"kind":"progress"}')[:-6], shut=True)
    assert status is None                      # nothing to answer: the request never completed
    assert gsrv.get("/health").status == 200


def test_unfinished_requests_do_not_block_the_server(gsrv):
    """200 connections stuck mid-head or mid-body (a slowloris): the server keeps answering everyone else.
    libwebsockets drops them on its own: 10 s for an unfinished head, 20 s for a body that never ends."""
    stuck = []
    try:
        for i in range(200):
            s = raw_connect(gsrv.host, gsrv.port)
            s.sendall(b"GET /__mock/journal HTTP/1.1\r\nHost: x\r\n" if i % 2 else
                      b"POST /__mock/emit HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
            stuck.append(s)
        t0 = time.monotonic()
        for _ in range(20):
            assert gsrv.get("/health").status == 200
            assert gsrv.journal()["events"] is not None
        assert time.monotonic() - t0 < 2.0
    finally:
        for s in stuck:
            s.close()


def test_oversized_request_heads_are_dropped_and_the_server_stays_up(gsrv):
    """More header bytes than lws keeps (4 KiB): lws hangs up without an answer (uvicorn would say 400/431);
    an unknown method or a garbage request line gets lws's own HTML 403."""
    for data in (req("GET", "/__mock/journal", None, ["X-Big: " + "a" * 20000]),
                 req("GET", "/__mock/journal", None, ["X-H%d: v" % i for i in range(600)]),
                 req("GET", "/__mock/journal?since=" + "1" * 5000, None),
                 req("BREW", "/__mock/emit", b"{}"),
                 b"\x00\x01\x02garbage\r\n\r\n"):
        status, _, _ = raw_request(gsrv, data)
        assert status in (None, 400, 403, 414, 431), status
    assert gsrv.get("/health").status == 200
    assert gsrv.get("/__mock/journal").status == 200
