"""Helpers shared by the protocol suite: HTTP over http.client, WebSocket clients (websockets 10.4 legacy
asyncio API), raw-socket handshakes and frames, and the normaliser that turns timestamps and random ids into
placeholders so that frames can be compared byte for byte.

Nothing here knows whether the server is wsmock or the real backend; conftest.py decides that.
"""

import asyncio
import base64
import contextlib
import datetime as _dt
import hashlib
import http.client
import json
import os
import re
import selectors
import socket
import struct
import time
import urllib.parse

import websockets
import websockets.exceptions

# wsmock runs in an unusual fixed zone so that "local time" (/health) and UTC (WS frames) differ.
MOCK_TZ = "XST-05:30"          # POSIX TZ: local = UTC + 05:30; needs no tzdata
MOCK_TZ_OFFSET = _dt.timedelta(hours=5, minutes=30)


def utc_now():
    return _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)


# --------------------------------------------------------------------------------------------------------
# Running coroutines (no pytest-asyncio here)


def run(coro, timeout=5.0):
    """Runs one coroutine to completion with a hard deadline."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


# --------------------------------------------------------------------------------------------------------
# JSON exactly as the backend writes it


def jdump(obj):
    """json.dumps as Starlette's send_json / JSONResponse do: compact, raw UTF-8, key order kept."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def jq(s):
    """A JSON string literal, for building expected frames: jq('a"b') -> '"a\\"b"'."""
    return jdump(s)


# --------------------------------------------------------------------------------------------------------
# Normalisation of timestamps and random ids

# The backend's timestamps: datetime.isoformat() of a naive datetime (microseconds omitted when zero).
TS_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{6})?")
# Anything inside a JSON string that starts like a timestamp; checked against TS_RE in full.
_TS_CANDIDATE = re.compile(r'"(\d{4}-\d\d-\d\dT[^"]*)"')
UUID4_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
_UUID4_STR = re.compile(r'"' + UUID4_RE + r'"')
# Generated enhanced-endpoint ids: workflow_{id}_XXXXXXXX, agent_{name}_XXXXXXXX, coordinator_XXXXXXXX.
_HEX8_ID = re.compile(r'"((?:workflow|agent)_[^"]*_|coordinator_)([0-9a-f]{8})"')


def check_ts_format(tok):
    """Asserts tok is a naive isoformat timestamp (no Z, no offset) and returns it parsed."""
    assert TS_RE.fullmatch(tok), (
        "timestamp %r is not naive isoformat YYYY-MM-DDTHH:MM:SS[.ffffff] (no Z, no offset)" % tok)
    parsed = _dt.datetime.fromisoformat(tok)
    assert parsed.tzinfo is None, "timestamp %r carries a zone" % tok
    if "." in tok:
        assert not tok.endswith(".000000"), (
            "timestamp %r: Python's isoformat omits a zero microsecond part" % tok)
    return parsed


def timestamps_in(text):
    """Every timestamp-looking JSON string in text, format-checked."""
    return [m.group(1) for m in _TS_CANDIDATE.finditer(text) if check_ts_format(m.group(1))]


def norm(text, ts=True, ids=True):
    """Replaces timestamps by <ts>, uuid4 strings by <uuid4> and the 8-hex suffix of generated ids by
    <hex8>. Timestamp strings are format-checked while doing so (a "...Z" or "+00:00" fails)."""
    assert isinstance(text, str), "expected a text frame / str, got %r" % (text,)
    if ts:
        def _ts(m):
            check_ts_format(m.group(1))
            return '"<ts>"'
        text = _TS_CANDIDATE.sub(_ts, text)
    if ids:
        text = _UUID4_STR.sub('"<uuid4>"', text)
        text = _HEX8_ID.sub(lambda m: '"%s<hex8>"' % m.group(1), text)
    return text


def assert_utc_now(tok, tolerance=10.0):
    """Asserts a naive timestamp is close to UTC now (so it is utcnow(), not local time)."""
    parsed = check_ts_format(tok)
    now = _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)
    delta = abs((parsed - now).total_seconds())
    assert delta <= tolerance, "timestamp %s is %.1f s away from UTC now %s" % (tok, delta, now.isoformat())


# --------------------------------------------------------------------------------------------------------
# HTTP


class HttpResponse:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers          # list of (name, value) in wire order
        self.body = body                # raw bytes

    def header(self, name):
        vals = [v for k, v in self.headers if k.lower() == name.lower()]
        assert len(vals) <= 1, "header %s appears %d times: %r" % (name, len(vals), vals)
        return vals[0] if vals else None

    def header_names(self):
        return sorted(k.lower() for k, _ in self.headers)

    @property
    def text(self):
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<HTTP %d %r %r>" % (self.status, self.headers, self.body[:500])


def http_request(host, port, method, path, body=None, headers=None, timeout=5.0):
    """One request on a fresh connection; returns HttpResponse with the raw body bytes."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        hdrs = dict(headers or {})
        if body is not None and not isinstance(body, (bytes, bytearray)):
            body = jdump(body).encode("utf-8")
            hdrs.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        return HttpResponse(resp.status, resp.reason, resp.getheaders(), data)
    finally:
        conn.close()


JSON_HEADER_NAMES = ["content-length", "content-type", "date", "server"]
RFC1123_RE = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                        r"\d{4} \d\d:\d\d:\d\d GMT")


def assert_json_response(resp, status, body=None, exact_headers=True):
    """Status, the uvicorn header set and (optionally) the exact body bytes of a JSON answer."""
    assert resp.status == status, "expected %d, got %r" % (status, resp)
    if exact_headers:
        assert resp.header_names() == JSON_HEADER_NAMES, resp.headers
    assert resp.header("content-type") == "application/json", resp.headers
    assert resp.header("server") == "uvicorn", resp.headers
    assert RFC1123_RE.fullmatch(resp.header("date") or ""), resp.headers
    assert resp.header("content-length") == str(len(resp.body)), resp.headers
    if body is not None:
        expected = body.encode("utf-8") if isinstance(body, str) else body
        assert resp.body == expected


# --------------------------------------------------------------------------------------------------------
# WebSocket clients


class WsClient:
    """A thin wrapper over a websockets 10.4 client protocol, with exact-frame helpers."""

    def __init__(self, ws, path):
        self.ws = ws
        self.path = path

    async def send(self, data):
        if isinstance(data, (dict, list)):
            data = jdump(data)
        await self.ws.send(data)

    async def recv(self, timeout=3.0):
        """The next frame; fails on a binary frame or on timeout."""
        try:
            msg = await asyncio.wait_for(self.ws.recv(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError("no frame within %.1f s on %s" % (timeout, self.path)) from None
        assert isinstance(msg, str), "server sent a binary frame on %s: %r" % (self.path, msg)
        return msg

    async def expect(self, expected, timeout=3.0):
        """Receives one frame and compares it, normalised, with `expected`. Returns the raw text."""
        raw = await self.recv(timeout)
        assert norm(raw) == expected, "on %s\n got: %s\nwant: %s" % (self.path, raw, expected)
        return raw

    async def expect_raw(self, expected, timeout=3.0):
        raw = await self.recv(timeout)
        assert raw == expected, "on %s\n got: %s\nwant: %s" % (self.path, raw, expected)
        return raw

    async def ping_pong(self, legacy=False):
        """Sends the app-level ping and asserts that the very next frame is the pong. This is how the
        suite proves silence: anything the server sent before the pong would show up here instead."""
        if legacy:
            await self.send('{"action":"ping"}')
            await self.expect_raw('{"type":"info","message":"pong"}')
        else:
            await self.send('{"type":"ping"}')
            await self.expect_raw('{"type":"pong"}')

    async def assert_silent(self, timeout=0.3):
        """Asserts that nothing arrives within timeout (only where no later frame can prove it)."""
        try:
            msg = await asyncio.wait_for(self.ws.recv(), timeout)
        except asyncio.TimeoutError:
            return
        except websockets.exceptions.ConnectionClosed as e:
            raise AssertionError("connection on %s closed instead of staying silent: %r" % (self.path, e))
        raise AssertionError("expected silence on %s, got %r" % (self.path, msg))

    async def expect_abrupt_close(self, timeout=3.0):
        """The server drops TCP without a close frame: the client sees 1006."""
        try:
            msg = await asyncio.wait_for(self.ws.recv(), timeout)
        except websockets.exceptions.ConnectionClosed:
            pass
        except asyncio.TimeoutError:
            raise AssertionError("connection on %s still open after %.1f s" % (self.path, timeout)) from None
        else:
            raise AssertionError("expected the connection to end, got frame %r" % (msg,))
        assert self.ws.close_rcvd is None, "server sent a close frame %r; expected none (1006)" % (
            self.ws.close_rcvd,)
        assert self.ws.close_code == 1006, self.ws.close_code

    async def expect_close(self, code, timeout=3.0):
        """The server sends a close frame with this code."""
        try:
            msg = await asyncio.wait_for(self.ws.recv(), timeout)
        except websockets.exceptions.ConnectionClosed:
            pass
        except asyncio.TimeoutError:
            raise AssertionError("connection on %s still open after %.1f s" % (self.path, timeout)) from None
        else:
            raise AssertionError("expected close %d, got frame %r" % (code, msg))
        assert self.ws.close_rcvd is not None, "no close frame received (close_code %r)" % self.ws.close_code
        assert self.ws.close_rcvd.code == code, "close code %r, expected %d" % (self.ws.close_rcvd.code, code)

    async def close(self, code=1000, reason=""):
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(code, reason), 3)


def quote_path(path):
    """Percent-encodes non-ASCII characters of a path (websockets wants an ASCII URI)."""
    return urllib.parse.quote(path, safe="/%?=&+:@!$'()*,;~-._")


async def ws_open(ws_base, path, origin=None, extra_headers=None, max_size=2 ** 25, compression=None):
    """Opens a WebSocket; no compression offered (unless asked), no client keepalive pings."""
    ws = await websockets.connect(
        ws_base + quote_path(path),
        compression=compression,
        origin=origin,
        extra_headers=extra_headers,
        open_timeout=5,
        ping_interval=None,
        close_timeout=2,
        max_size=max_size,
    )
    return WsClient(ws, path)


@contextlib.asynccontextmanager
async def ws_connect(ws_base, path, **kw):
    c = await ws_open(ws_base, path, **kw)
    try:
        yield c
    finally:
        await c.close()


async def ws_refused_status(ws_base, path):
    """Attempts an upgrade that must be refused; returns the HTTP status."""
    try:
        ws = await websockets.connect(ws_base + quote_path(path), compression=None, open_timeout=5,
                                      ping_interval=None, close_timeout=1)
    except websockets.exceptions.InvalidStatusCode as e:
        return e.status_code
    await ws.close()
    raise AssertionError("upgrade to %s was accepted" % path)


# --------------------------------------------------------------------------------------------------------
# Raw sockets: handshakes, HTTP bytes, frames

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def accept_key(key):
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def read_ready_line(proc, name, timeout, stop_timeout, stderr_text):
    """The first stdout line of a starting process (select on the raw fd, with a deadline) and the bytes
    after it. No line in time: the process is killed; it exits first: its code. Either raises
    AssertionError naming `name` with the process's stderr (stderr_text())."""
    fd = proc.stdout.fileno()
    buf = b""
    end = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while b"\n" not in buf:
            left = end - time.monotonic()
            if left <= 0:
                proc.kill()
                proc.wait(stop_timeout)
                raise AssertionError("%s printed no ready line within %.0f s; stdout %r\nstderr:\n%s"
                                     % (name, timeout, buf, stderr_text()))
            if not sel.select(left):
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                code = proc.wait(stop_timeout)
                raise AssertionError("%s exited with %r before its ready line; stdout %r\nstderr:\n%s"
                                     % (name, code, buf, stderr_text()))
            buf += chunk
    line, _, rest = buf.partition(b"\n")
    return line.decode("utf-8", "replace") + "\n", rest


def raw_connect(host, port, timeout=5.0):
    s = socket.create_connection((host, port), timeout=timeout)
    s.settimeout(timeout)
    return s


def upgrade_request(host, port, path, key, extra=()):
    lines = ["GET %s HTTP/1.1" % quote_path(path),
             "Host: %s:%d" % (host, port),
             "Upgrade: websocket",
             "Connection: Upgrade",
             "Sec-WebSocket-Key: %s" % key,
             "Sec-WebSocket-Version: 13"]
    lines += list(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def recv_until_close(sock, deadline_s=5.0):
    """All bytes until the peer closes the connection; fails if it does not within the deadline."""
    end = time.monotonic() + deadline_s
    out = b""
    while True:
        left = end - time.monotonic()
        assert left > 0, "peer did not close the connection within %.1f s; got %r" % (deadline_s, out)
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return out
        if not chunk:
            return out
        out += chunk


def recv_head(sock, deadline_s=5.0):
    """Bytes up to and including the blank line ending an HTTP head; returns (head, rest)."""
    end = time.monotonic() + deadline_s
    buf = b""
    while b"\r\n\r\n" not in buf:
        left = end - time.monotonic()
        assert left > 0, "no complete HTTP head within %.1f s: %r" % (deadline_s, buf)
        sock.settimeout(left)
        chunk = sock.recv(65536)
        assert chunk, "connection closed before the end of the HTTP head: %r" % buf
        buf += chunk
    i = buf.index(b"\r\n\r\n") + 4
    return buf[:i], buf[i:]


def parse_head(head):
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0]
    headers = []
    for line in lines[1:]:
        if line:
            k, _, v = line.partition(":")
            headers.append((k.strip(), v.strip()))
    return status, headers


def encode_frame(opcode, payload, fin=True, mask=True):
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    mbit = 0x80 if mask else 0
    if n < 126:
        hdr = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        hdr = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        hdr = struct.pack("!BBQ", b0, mbit | 127, n)
    if not mask:
        return hdr + payload
    key = os.urandom(4)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return hdr + key + masked


class FrameReader:
    def __init__(self, sock, rest=b""):
        self.sock = sock
        self.buf = rest

    def _need(self, n, end):
        while len(self.buf) < n:
            left = end - time.monotonic()
            assert left > 0, "timed out reading a frame"
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                return False
            self.buf += chunk
        return True

    def read(self, deadline_s=5.0):
        """Returns (opcode, payload) or None when the peer closed TCP."""
        end = time.monotonic() + deadline_s
        if not self._need(2, end):
            return None
        b0, b1 = self.buf[0], self.buf[1]
        n = b1 & 0x7F
        off = 2
        if n == 126:
            if not self._need(4, end):
                return None
            n = struct.unpack("!H", self.buf[2:4])[0]
            off = 4
        elif n == 127:
            if not self._need(10, end):
                return None
            n = struct.unpack("!Q", self.buf[2:10])[0]
            off = 10
        assert not (b1 & 0x80), "server frames must not be masked"
        if not self._need(off + n, end):
            return None
        payload = self.buf[off:off + n]
        self.buf = self.buf[off + n:]
        return b0 & 0x0F, payload


def raw_ws_open(host, port, path, extra=()):
    """A raw upgrade that must succeed; returns (sock, FrameReader, head bytes)."""
    key = base64.b64encode(os.urandom(16)).decode()
    s = raw_connect(host, port)
    s.sendall(upgrade_request(host, port, path, key, extra))
    head, rest = recv_head(s)
    status, headers = parse_head(head)
    assert status == "HTTP/1.1 101 Switching Protocols", head
    return s, FrameReader(s, rest), head, key


def exact_403(sock_bytes):
    """7: `HTTP/1.1 403 Forbidden\\r\\nDate: <RFC 1123>\\r\\nContent-Length: 0\\r\\nContent-Type: text/plain
    \\r\\nConnection: close\\r\\n\\r\\n` and then the server closes."""
    text = sock_bytes.decode("latin-1")
    lines = text.split("\r\n")
    assert len(lines) == 7 and lines[1].startswith("Date: "), repr(text)
    assert RFC1123_RE.fullmatch(lines[1][len("Date: "):]), repr(text)
    lines[1] = "Date: <date>"
    assert "\r\n".join(lines) == ("HTTP/1.1 403 Forbidden\r\nDate: <date>\r\nContent-Length: 0\r\n"
                                  "Content-Type: text/plain\r\nConnection: close\r\n\r\n"), repr(text)


def raw_403(host, port, path):
    """Sends a raw upgrade for path and checks the exact refusal bytes of PROTOCOL.md 7."""
    s = raw_connect(host, port)
    try:
        s.sendall(upgrade_request(host, port, path, "dGhlIHNhbXBsZSBub25jZQ==", ["Origin: http://localhost:5000"]))
        exact_403(recv_until_close(s))
    finally:
        s.close()


# --------------------------------------------------------------------------------------------------------
# Waiting on conditions


def wait_for(fn, timeout=3.0, what="condition"):
    """Polls fn() until it returns a truthy value; returns it. Fails with the last value at the deadline.
    Only for a real backend (--backend-url), which has no event source to wait on: against wsmock use
    Backend.wait_until(), which long-polls the journal instead."""
    end = time.monotonic() + timeout
    last = None
    while True:
        last = fn()
        if last:
            return last
        if time.monotonic() >= end:
            raise AssertionError("timed out after %.1f s waiting for %s; last value %r" % (timeout, what, last))
        time.sleep(0.005)
