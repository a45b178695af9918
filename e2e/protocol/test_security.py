"""wsmock's security options: loopback by default (and the warning when it is not), --control-token for
the control API, --allow-origin for WebSocket upgrades, and --static never serving a file outside its
directory. Mock only.

The path traversal cases use raw sockets: an HTTP client library would normalise "..", "%2e%2e" or "//"
before sending, and the point is what wsmock does with the bytes an attacker sends.
"""

import json
import os
import selectors
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from wsproto_helpers import (
    RFC1123_RE, exact_403, raw_connect, recv_head, recv_until_close, upgrade_request,
)

pytestmark = pytest.mark.mock_only("security options of wsmock itself")

TOKEN = "t0ken-Ab3.9~x"
KEY = "dGhlIHNhbXBsZSBub25jZQ=="
CONTROL = [("GET", "/__mock/journal"), ("GET", "/__mock/expect"), ("GET", "/__mock/scenario"),
           ("POST", "/__mock/emit"), ("POST", "/__mock/reset"), ("POST", "/__mock/coordinator"),
           ("POST", "/__mock/scenario"), ("DELETE", "/__mock/scenario")]


# ========================================================================================================
# Binding: loopback by default, a warning for anything else


def start_raw(wsmock_bin, *args, env=None):
    """wsmock --port 0 ARGS with stdout piped and stderr in a file (conftest's factory insists on 127.0.0.1
    in the ready line). Returns (proc, ready line, stderr file)."""
    err = tempfile.TemporaryFile()
    e = dict(os.environ)
    e.pop("WSMOCK_CONTROL_TOKEN", None)
    e.update(env or {})
    p = subprocess.Popen([wsmock_bin, "--port", "0"] + list(args), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=err, env=e)
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    buf, end = b"", time.monotonic() + 10
    while b"\n" not in buf and time.monotonic() < end:
        if sel.select(end - time.monotonic()):
            chunk = os.read(p.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
    sel.close()
    return p, buf.decode(), err


def stop_raw(p, err):
    p.send_signal(signal.SIGTERM)
    assert p.wait(5) == 0
    p.stdout.close()
    err.seek(0)
    return err.read().decode()


def test_default_host_is_loopback_and_quiet(wsmock_bin):
    p, line, err = start_raw(wsmock_bin)
    assert line.startswith("wsmock listening on http://127.0.0.1:"), line
    assert "warning" not in stop_raw(p, err)


def test_binding_all_interfaces_prints_the_warning(wsmock_bin):
    p, line, err = start_raw(wsmock_bin, "--host", "0.0.0.0")
    assert line.startswith("wsmock listening on http://0.0.0.0:"), line
    text = stop_raw(p, err)
    assert text.splitlines()[0] == (
        "wsmock: warning: binding 0.0.0.0 exposes the mock (and, unless --no-control, its control API to "
        "loopback clients) beyond this machine"), text


def non_loopback_ipv4():
    """An address of this machine that is not 127.x (where the route to a TEST-NET address leaves), or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.1", 9))
        addr = s.getsockname()[0]
    except OSError:
        return None
    finally:
        s.close()
    return None if addr.startswith("127.") or addr == "0.0.0.0" else addr


def raw_http(host, port, method, path, headers=(), body=b""):
    """One request on a raw socket; returns (status line, headers dict (lower-case names), body)."""
    s = raw_connect(host, port)
    try:
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s:%d" % (host, port), "Connection: close",
                 "Content-Length: %d" % len(body)] + list(headers)
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        data = recv_until_close(s)
    finally:
        s.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    status, *hl = head.decode("latin-1").split("\r\n")
    return status, {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in hl)}, rest


def test_control_api_refuses_a_non_loopback_peer_even_with_the_token(wsmock_bin):
    addr = non_loopback_ipv4()
    if addr is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    p, line, err = start_raw(wsmock_bin, "--host", "0.0.0.0", "--control-token", TOKEN)
    try:
        port = int(line.rsplit(":", 1)[1])
        status, _, body = raw_http(addr, port, "GET", "/__mock/journal", ["Authorization: Bearer " + TOKEN])
        assert status == "HTTP/1.1 403 Forbidden", (status, body)
        assert json.loads(body) == {"error": "the control API answers loopback clients only"}
        status, _, _ = raw_http(addr, port, "GET", "/health")
        assert status == "HTTP/1.1 200 OK"
    finally:
        stop_raw(p, err)


# ========================================================================================================
# --control-token


def assert_401(r):
    assert r.status == 401, r
    assert r.header("www-authenticate") == "Bearer", r.headers
    assert r.header("content-type") == "application/json", r.headers
    assert r.header("content-length") == str(len(r.body)), r.headers
    assert RFC1123_RE.fullmatch(r.header("date") or ""), r.headers
    assert r.json() == {"error": "the control API needs the --control-token: send 'Authorization: Bearer TOKEN' "
                                 "or 'X-Mock-Token: TOKEN'"}, r.body


def call(srv, method, path, headers=None):
    body = b'{"kind":"coordinator_metrics"}' if path == "/__mock/emit" else b"{}"
    return srv.request(method, path, body=body if method == "POST" else None, headers=headers)


@pytest.mark.parametrize("method,path", CONTROL)
def test_control_token_missing_is_401_on_every_endpoint(wsmock, method, path):
    srv = wsmock(extra_args=["--control-token", TOKEN])
    assert_401(call(srv, method, path))


@pytest.mark.parametrize("headers", [
    pytest.param({"Authorization": "Bearer wrong"}, id="bearer-wrong"),
    pytest.param({"Authorization": "Bearer " + TOKEN[:-1]}, id="bearer-prefix"),
    pytest.param({"Authorization": "Bearer " + TOKEN + "x"}, id="bearer-longer"),
    pytest.param({"Authorization": "Bearer " + TOKEN.upper()}, id="bearer-other-case"),
    pytest.param({"Authorization": "Bearer"}, id="bearer-empty"),
    pytest.param({"Authorization": TOKEN}, id="no-scheme"),
    pytest.param({"Authorization": "Basic " + TOKEN}, id="basic-scheme"),
    pytest.param({"X-Mock-Token": "wrong"}, id="x-mock-token-wrong"),
    pytest.param({"X-Mock-Token": ""}, id="x-mock-token-empty"),
    pytest.param({"Authorization": "Bearer " + "a" * 3000}, id="bearer-huge"),
])
def test_control_token_wrong_is_401(wsmock, headers):
    srv = wsmock(extra_args=["--control-token", TOKEN])
    assert_401(srv.get("/__mock/journal", headers=headers))


@pytest.mark.parametrize("headers", [
    pytest.param({"Authorization": "Bearer " + TOKEN}, id="bearer"),
    pytest.param({"Authorization": "bearer  " + TOKEN}, id="bearer-lower-case-two-spaces"),
    pytest.param({"X-Mock-Token": TOKEN}, id="x-mock-token"),
    pytest.param({"x-mock-token": TOKEN}, id="x-mock-token-lower-case"),
])
def test_control_token_right_is_accepted(wsmock, headers):
    srv = wsmock(extra_args=["--control-token", TOKEN])
    for method, path in CONTROL:
        r = call(srv, method, path, headers)
        assert r.status in (200, 400), (method, path, r)   # 400: "{}" is not a scenario; past the gate
        assert r.header("www-authenticate") is None, r.headers


def test_control_token_refused_request_changes_nothing(wsmock):
    srv = wsmock(extra_args=["--control-token", TOKEN])
    auth = {"X-Mock-Token": TOKEN}
    s = raw_connect(srv.host, srv.port)
    try:
        s.sendall(upgrade_request(srv.host, srv.port, "/ws/coordinator", KEY))
        recv_head(s)
        before = srv.get("/__mock/journal?wait_ms=3000&type=frame_out", headers=auth).json()
        assert [e["type"] for e in before["events"]] == ["frame_out"], before
        before = srv.get("/__mock/journal", headers=auth).json()
        assert_401(srv.post("/__mock/reset", obj={}))
        assert_401(srv.post("/__mock/scenario", obj={"name": "ws-001-unregistered-router"}))
        assert_401(srv.post("/__mock/emit", obj={"room": "coordinator_metrics", "text": "x"}))
        assert srv.get("/__mock/journal", headers=auth).json() == before
        assert srv.get("/__mock/scenario", headers=auth).json()["name"] is None
    finally:
        s.close()


def test_control_token_not_needed_for_the_backend_endpoints(wsmock):
    srv = wsmock(extra_args=["--control-token", TOKEN])
    for path in ("/health", "/ws/stats", "/api/v1/ws/stats", "/openapi.json"):
        assert srv.get(path).status == 200, path
    s = raw_connect(srv.host, srv.port)
    s.sendall(upgrade_request(srv.host, srv.port, "/ws/coordinator", KEY))
    assert recv_head(s)[0].startswith(b"HTTP/1.1 101 "), "WebSocket upgrades need no token"
    s.close()


def test_control_token_from_the_environment(wsmock):
    srv = wsmock(env={"WSMOCK_CONTROL_TOKEN": "from-env"})
    assert_401(srv.get("/__mock/journal"))
    assert srv.get("/__mock/journal", headers={"Authorization": "Bearer from-env"}).status == 200


def test_control_token_option_overrides_the_environment(wsmock):
    srv = wsmock(extra_args=["--control-token", TOKEN], env={"WSMOCK_CONTROL_TOKEN": "from-env"})
    assert_401(srv.get("/__mock/journal", headers={"Authorization": "Bearer from-env"}))
    assert srv.get("/__mock/journal", headers={"Authorization": "Bearer " + TOKEN}).status == 200


def test_no_token_needed_when_none_is_set(wsmock):
    srv = wsmock(env={"WSMOCK_CONTROL_TOKEN": ""})   # empty: unset
    r = srv.get("/__mock/journal")
    assert r.status == 200 and r.header("www-authenticate") is None, r


def test_no_control_still_404s_with_a_token(wsmock):
    srv = wsmock(extra_args=["--no-control", "--control-token", TOKEN])
    for method, path in CONTROL:
        for headers in (None, {"Authorization": "Bearer " + TOKEN}):
            r = call(srv, method, path, headers)
            assert r.status == 404 and r.body == b'{"detail":"Not Found"}', (method, path, r)


@pytest.mark.parametrize("args,env,want", [
    pytest.param(["--control-token", ""], {}, "invalid --control-token", id="empty"),
    pytest.param(["--control-token", "a b"], {}, "invalid --control-token", id="space"),
    pytest.param(["--control-token", "x" * 257], {}, "invalid --control-token", id="too-long"),
    pytest.param([], {"WSMOCK_CONTROL_TOKEN": "tab\there"}, "invalid WSMOCK_CONTROL_TOKEN", id="env-control-char"),
    pytest.param(["--allow-origin", ""], {}, "invalid --allow-origin", id="origin-empty"),
    pytest.param(["--allow-origin", "http://a b"], {}, "invalid --allow-origin", id="origin-space"),
])
def test_bad_security_options_exit_2(wsmock_bin, args, env, want):
    e = dict(os.environ, **env)
    p = subprocess.run([wsmock_bin, "--port", "0"] + args, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=10, env=e)
    assert p.returncode == 2, p
    assert want in p.stderr.decode() and p.stdout == b"", p


# ========================================================================================================
# --allow-origin


def upgrade(srv, path, origin):
    """A raw upgrade with that Origin (None: no header); returns (status line, all bytes)."""
    s = raw_connect(srv.host, srv.port)
    try:
        s.sendall(upgrade_request(srv.host, srv.port, path, KEY, ["Origin: " + origin] if origin else []))
        head, rest = recv_head(s)
        status = head.split(b"\r\n", 1)[0].decode()
        if not status.startswith("HTTP/1.1 101 "):
            head += rest + recv_until_close(s)
        return status, head
    finally:
        s.close()


ORIGINS = ["--allow-origin", "http://localhost:5173", "--allow-origin", "http://127.0.0.1:*",
           "--allow-origin", "https://*.example.com"]


@pytest.mark.parametrize("origin,allowed", [
    pytest.param("http://localhost:5173", True, id="exact"),
    pytest.param(None, True, id="no-origin-header"),
    pytest.param("http://127.0.0.1:5000", True, id="wildcard-port"),
    pytest.param("http://127.0.0.1:", True, id="wildcard-empty-port"),
    pytest.param("https://app.example.com", True, id="wildcard-subdomain"),
    pytest.param("https://a.b.example.com", True, id="wildcard-nested-subdomain"),
    pytest.param("http://localhost:5174", False, id="other-port"),
    pytest.param("https://localhost:5173", False, id="other-scheme"),
    pytest.param("http://localhost:5173.evil.com", False, id="suffix"),
    pytest.param("http://LOCALHOST:5173", False, id="other-case"),
    pytest.param("https://example.com", False, id="wildcard-needs-the-dot"),
    pytest.param("https://evil.com", False, id="elsewhere"),
    pytest.param("null", False, id="null-origin"),
])
def test_allow_origin(wsmock, origin, allowed):
    srv = wsmock(extra_args=ORIGINS)
    for path in ("/ws/coordinator", "/ws/workflow/wf-1", "/ws/agent/a", "/api/v1/ws/connect"):
        status, raw = upgrade(srv, path, origin)
        if allowed:
            assert status == "HTTP/1.1 101 Switching Protocols", (path, raw)
        else:
            exact_403(raw)   # byte for byte uvicorn's refusal, as for an unknown path
    ups = srv.journal(type="upgrade")["events"]
    assert [(e["origin"], e["outcome"], e["status"], e.get("reason")) for e in ups] == [
        (origin, "accepted", 101, None) if allowed else (origin, "refused", 403, "origin not allowed")] * 4


def test_allow_origin_refusal_is_journaled_with_its_reason(wsmock):
    srv = wsmock(extra_args=["--allow-origin", "http://localhost:5173"])
    upgrade(srv, "/ws/coordinator", "http://evil.test")
    ev = srv.journal(type="upgrade")["events"][0]
    del ev["seq"], ev["t_ms"], ev["remote"]
    assert ev == {"type": "upgrade", "conn": 1, "path": "/ws/coordinator", "query": "", "origin": "http://evil.test",
                  "attempt": 1, "outcome": "refused", "status": 403, "reason": "origin not allowed"}
    assert srv.journal(type="open")["events"] == []


def test_without_allow_origin_every_origin_is_accepted(wsmock):
    srv = wsmock()
    for origin in ("http://evil.test", "null", None):
        assert upgrade(srv, "/ws/coordinator", origin)[0] == "HTTP/1.1 101 Switching Protocols"


def test_allow_origin_applies_behind_a_scenario_gate(wsmock):
    """A rule with delay_ms sends upgrades through the handshake gate (ms_listen.c): the origin is checked there
    too, and the refusal comes after the delay; a scenario refusal keeps its own status."""
    srv = wsmock(extra_args=["--allow-origin", "http://localhost:5173"])
    r = srv.post("/__mock/scenario", obj={"name": "gate", "description": "d", "connections": [
        {"path": "/ws/agent/*", "action": "refuse", "status": 503},
        {"path": "/ws/*", "action": "accept", "delay_ms": 30}]})
    assert r.status == 200, r
    t0 = time.monotonic()
    status, raw = upgrade(srv, "/ws/coordinator", "http://evil.test")
    assert time.monotonic() - t0 >= 0.03
    exact_403(raw)
    assert upgrade(srv, "/ws/coordinator", "http://localhost:5173")[0] == "HTTP/1.1 101 Switching Protocols"
    assert upgrade(srv, "/ws/agent/a", "http://evil.test")[0] == "HTTP/1.1 503 Service Unavailable"
    ups = srv.journal(type="upgrade")["events"]
    assert [(e["outcome"], e["status"], e.get("reason"), e["rule"]) for e in ups] == [
        ("refused", 403, "origin not allowed", None), ("accepted", 101, None, 1), ("refused", 503, None, 0)]


# ========================================================================================================
# --static: never a file outside the directory

SECRET = b"TOPSECRET"


@pytest.fixture(scope="module")
def static_tree(tmp_path_factory):
    """base/www (the --static root) with files, and links in it that point inside and outside:
    base/secret/secret.txt and base/www-secret/s.txt (a sibling whose name starts with the root's)."""
    base = tmp_path_factory.mktemp("static")
    www, secret, sibling = base / "www", base / "secret", base / "www-secret"
    for d in (www / "sub", www / "assets", secret, sibling):
        d.mkdir(parents=True)
    (www / "index.html").write_bytes(b"INDEX")
    (www / "app.js").write_bytes(b"APPJS")
    (www / "sub" / "inner.txt").write_bytes(b"INNER")
    (secret / "secret.txt").write_bytes(SECRET)
    (sibling / "s.txt").write_bytes(SECRET + b"-SIBLING")
    os.symlink("app.js", www / "link-in.js")                       # inside: served
    os.symlink("../secret/secret.txt", www / "link-out.txt")       # a file outside
    os.symlink("../secret", www / "dir-out")                       # a directory outside
    os.symlink(str(secret / "secret.txt"), www / "abs-link.txt")   # absolute, outside
    os.symlink("../www-secret/s.txt", www / "pfx.txt")             # outside, but shares the root's prefix
    os.symlink("../../secret/secret.txt", www / "assets" / "deep.txt")
    return www


@pytest.fixture
def static_srv(static_tree, server_pool):
    return server_pool.get("deployed", ("--static", str(static_tree)))


def raw_get(srv, target):
    """GET target sent byte for byte; returns (status line or "" if the server hung up, body)."""
    s = raw_connect(srv.host, srv.port)
    try:
        s.sendall(b"GET " + target.encode("latin-1") + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = recv_until_close(s)
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return head.split(b"\r\n", 1)[0].decode("latin-1"), body


@pytest.mark.parametrize("target,body", [
    ("/app.js", b"APPJS"), ("/sub/inner.txt", b"INNER"), ("/link-in.js", b"APPJS"), ("/agents", b"INDEX"),
    ("/", b"INDEX"), ("/sub/../app.js", b"APPJS"),
])
def test_static_serves_files_inside(static_srv, target, body):
    assert raw_get(static_srv, target) == ("HTTP/1.1 200 OK", body)


NOT_FOUND = ("HTTP/1.1 404 Not Found", b'{"detail":"Not Found"}')
SPA = ("HTTP/1.1 200 OK", b"INDEX")          # a path without an extension is a client-side route
DROPPED = ("", b"")                          # libwebsockets hangs up (a NUL in the path)


@pytest.mark.parametrize("target,want", [
    pytest.param("/link-out.txt", NOT_FOUND, id="symlink-file-out"),
    pytest.param("/dir-out/secret.txt", NOT_FOUND, id="symlink-dir-out"),
    pytest.param("/abs-link.txt", NOT_FOUND, id="symlink-absolute-out"),
    pytest.param("/pfx.txt", NOT_FOUND, id="symlink-to-sibling-with-root-prefix"),
    pytest.param("/assets/deep.txt", NOT_FOUND, id="symlink-in-subdir-out"),
    pytest.param("/dir-out", SPA, id="symlink-dir-itself"),
    pytest.param("/../secret/secret.txt", NOT_FOUND, id="dotdot"),
    pytest.param("/sub/../../secret/secret.txt", NOT_FOUND, id="dotdot-after-subdir"),
    pytest.param("/%2e%2e/secret/secret.txt", NOT_FOUND, id="pct-dotdot"),
    pytest.param("/%2E%2E/secret/secret.txt", NOT_FOUND, id="pct-dotdot-upper"),
    pytest.param("/.%2e/secret/secret.txt", NOT_FOUND, id="pct-half-dotdot"),
    pytest.param("/..%2fsecret%2fsecret.txt", NOT_FOUND, id="pct-slash"),
    pytest.param("/%2e%2e%2fsecret%2fsecret.txt", NOT_FOUND, id="pct-dotdot-pct-slash"),
    pytest.param("/sub/%2e%2e/%2e%2e/secret/secret.txt", NOT_FOUND, id="pct-dotdot-twice"),
    pytest.param("/%252e%252e/secret/secret.txt", NOT_FOUND, id="double-encoded-dotdot"),
    pytest.param("/%252e%252e%252fsecret%252fsecret.txt", NOT_FOUND, id="double-encoded-all"),
    pytest.param("/..\\secret\\secret.txt", NOT_FOUND, id="backslash"),
    pytest.param("/..%5csecret%5csecret.txt", NOT_FOUND, id="pct-backslash"),
    pytest.param("/app.js%00.html", DROPPED, id="nul-before-extension"),
    pytest.param("/%00/../secret/secret.txt", SPA, id="nul-then-dotdot"),
    pytest.param("//etc/passwd", SPA, id="absolute-double-slash"),
    pytest.param("/%2Fetc%2Fpasswd", SPA, id="absolute-pct-slash"),
    pytest.param("/etc/hostname.txt", NOT_FOUND, id="absolute-with-extension"),
])
def test_static_never_serves_outside(static_srv, target, want):
    got = raw_get(static_srv, target)
    assert SECRET not in got[1] and b"root:" not in got[1], got
    assert got == want, got


def test_static_absolute_form_target_is_refused(static_srv):
    status, body = raw_get(static_srv, "http://x/../secret/secret.txt")
    assert SECRET not in body and not status.startswith("HTTP/1.1 200"), (status, body)


def test_static_server_still_answers_after_the_probes(static_srv):
    assert raw_get(static_srv, "/app.js") == ("HTTP/1.1 200 OK", b"APPJS")
    assert static_srv.get("/health").status == 200
