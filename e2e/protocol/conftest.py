"""Fixtures of the protocol suite.

By default every test runs against wsmock (the binary at build/wsmock, or --wsmock PATH, or $WSMOCK_BIN),
started with `--port 0 --seed 1` and a profile. With --backend-url URL the same tests run against any real
backend instead; tests marked `mock_only` (control API, profiles, CLI, heartbeat timing, shutdown) are then
skipped with the reason given.

Run:  /usr/bin/python3 -m pytest -q -p no:cacheprovider e2e/protocol
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from wsproto_helpers import MOCK_TZ, http_request, read_ready_line, wait_for  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / "build" / "wsmock"
READY_RE = re.compile(r"wsmock listening on http://127\.0\.0\.1:(\d+)\n")
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
MOCK_ONLY_REASON = "needs wsmock (control API, profiles, CLI or timing knobs); skipped with --backend-url"


def pytest_addoption(parser):
    g = parser.getgroup("wsmock protocol suite")
    g.addoption("--backend-url", default=None,
                help="run against this real backend (e.g. http://127.0.0.1:3001) instead of wsmock")
    g.addoption("--wsmock", default=None,
                help="path of the wsmock binary (default: $WSMOCK_BIN or <repo>/build/wsmock)")


def pytest_configure(config):
    config.addinivalue_line("markers", "mock_only(why): the test needs wsmock itself (skipped with --backend-url)")
    if not config.pluginmanager.hasplugin("timeout"):
        config.addinivalue_line("markers", "timeout(seconds): per-test timeout (pytest-timeout)")


def pytest_collection_modifyitems(config, items):
    real = config.getoption("--backend-url")
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(30))
        m = item.get_closest_marker("mock_only")
        if real and m is not None:
            why = m.args[0] if m.args else "needs wsmock itself"
            item.add_marker(pytest.mark.skip(reason="mock only (%s); skipped with --backend-url" % why))


# --------------------------------------------------------------------------------------------------------
# Backends


class Backend:
    """What a test talks to: HTTP helpers, URLs, and (on wsmock) the control API."""

    is_mock = False
    profile = "deployed"

    def __init__(self, http_url):
        u = urllib.parse.urlsplit(http_url)
        self.host = u.hostname
        self.port = u.port or (443 if u.scheme == "https" else 80)
        self.http_url = "http://%s:%d" % (self.host, self.port)
        self.ws_url = "ws://%s:%d" % (self.host, self.port)

    # ---- HTTP
    def request(self, method, path, body=None, headers=None, timeout=5.0):
        return http_request(self.host, self.port, method, path, body=body, headers=headers, timeout=timeout)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, obj=None, raw=None, **kw):
        body = raw if raw is not None else (obj if obj is not None else None)
        return self.request("POST", path, body=body, **kw)

    def legacy_stats(self):
        r = self.get("/api/v1/ws/stats")
        assert r.status == 200, r
        return r.json()

    def stats(self):
        r = self.get("/ws/stats")
        assert r.status == 200, r
        return r.json()

    def wait_until(self, fn, timeout=3.0, what="condition", on="close"):
        """Returns fn()'s first truthy value. On wsmock fn() is checked again each time the journal gets
        an event of type `on` (a long-poll, no polling); a real backend has no event source, so there
        wait_for() polls fn(). Fails with the last value at the deadline."""
        if self.is_mock and getattr(self, "control", False):
            return self._wait_journal(fn, timeout, what, self.journal_next(), on)
        return wait_for(fn, timeout, what)

    def _wait_journal(self, fn, timeout, what, since, on):
        end = time.monotonic() + timeout
        while True:
            last = fn()
            if last:
                return last
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError("timed out after %.1f s waiting for %s; last value %r" % (timeout, what, last))
            since = self.journal(since=since, wait_ms=max(1, int(left * 1000)), type=on)["next"]

    def wait_connections(self, n, timeout=3.0):
        """Waits until total_connections == n (cleanup after a close is asynchronous)."""
        return self.wait_until(lambda: (lambda s: s if s["total_connections"] == n else False)(self.legacy_stats()),
                               timeout, "total_connections == %d" % n)

    def wait_stats(self, pred, timeout=3.0, what="/ws/stats condition"):
        def probe():
            s = self.stats()
            return s if pred(s) else False
        return self.wait_until(probe, timeout, what)

    # ---- control API (wsmock only)
    def _mock_only(self):
        if not self.is_mock:
            pytest.skip(MOCK_ONLY_REASON)

    def journal(self, since=0, wait_ms=0, type=None, path=None):
        self._mock_only()
        q = {"since": str(since), "wait_ms": str(wait_ms)}
        if type is not None:
            q["type"] = type
        if path is not None:
            q["path"] = path
        r = self.get("/__mock/journal?" + urllib.parse.urlencode(q), timeout=wait_ms / 1000.0 + 10)
        assert r.status == 200, r
        return r.json()

    def journal_next(self):
        return self.journal()["next"]

    def emit(self, obj=None, raw=None):
        """POST /__mock/emit; returns the HttpResponse."""
        self._mock_only()
        return self.post("/__mock/emit", obj=obj, raw=raw)

    def emit_ok(self, obj):
        """POST /__mock/emit that must succeed; returns the delivered count."""
        r = self.emit(obj)
        assert r.status == 200, r
        body = r.json()
        assert list(body) == ["delivered"] and isinstance(body["delivered"], int), r
        return body["delivered"]

    def reset(self):
        self._mock_only()
        r = self.post("/__mock/reset", obj={})
        assert r.status == 200 and r.body == b'{"reset":true}', r

    def set_coordinator(self, model):
        self._mock_only()
        return self.post("/__mock/coordinator", obj=model)


class RealBackend(Backend):
    is_mock = False


class WsmockServer(Backend):
    """One wsmock process."""

    is_mock = True

    def __init__(self, binary, profile="deployed", extra_args=(), env=None, seed=1, control=True):
        self.binary = str(binary)
        self.profile = profile
        self.extra_args = list(extra_args)
        self.argv = [self.binary, "--port", "0", "--seed", str(seed)]
        if profile is not None:
            self.argv += ["--profile", profile]
        self.profile = profile or "deployed"
        self.argv += self.extra_args
        self.control = control and "--no-control" not in self.extra_args
        self._stderr = tempfile.TemporaryFile()
        e = dict(os.environ)
        e["TZ"] = MOCK_TZ
        e.pop("WSMOCK_CONTROL_TOKEN", None)   # the suite drives the control API without a token
        if env:
            e.update(env)
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._stderr, env=e)
        self.ready_line = self._read_ready_line()
        m = READY_RE.fullmatch(self.ready_line)
        if not m:
            self.kill()
            raise AssertionError("wsmock printed %r, expected 'wsmock listening on http://127.0.0.1:PORT'\n"
                                 "stderr:\n%s" % (self.ready_line, self.stderr_text()))
        port = int(m.group(1))
        assert port != 0, self.ready_line
        super().__init__("http://127.0.0.1:%d" % port)
        self.exit_code = None

    def _read_ready_line(self):
        line, self._extra_stdout = read_ready_line(self.proc, "wsmock (%s)" % " ".join(self.argv),
                                                   START_TIMEOUT, STOP_TIMEOUT, self.stderr_text)
        return line

    def stderr_size(self):
        self._stderr.flush()
        return os.fstat(self._stderr.fileno()).st_size

    def stderr_text(self, offset=0):
        self._stderr.flush()
        self._stderr.seek(offset)
        return self._stderr.read().decode("utf-8", "replace")

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Sends sig and waits for the exit; returns the exit code (killing the process on timeout)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError("wsmock did not exit within %.0f s of %s\nstderr:\n%s"
                                     % (timeout, signal.Signals(sig).name, self.stderr_text()))
        self.exit_code = self.proc.returncode
        rest = self._extra_stdout + self.proc.stdout.read()
        self.proc.stdout.close()
        assert rest == b"", "wsmock printed more than its one ready line on stdout: %r" % rest
        return self.exit_code

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT)

    def check_stopped_cleanly(self):
        code = self.stop()
        assert code == 0, "wsmock exited with %r after SIGTERM (expected 0)\nstderr:\n%s" % (
            code, self.stderr_text())

    def __repr__(self):
        return "<wsmock %s pid %d %s>" % (self.profile, self.proc.pid, self.http_url)


_LIVE = []          # every wsmock started in this session and not yet stopped


def _start(binary, **kw):
    srv = WsmockServer(binary, **kw)
    _LIVE.append(srv)
    return srv


def _stop(srv):
    try:
        srv.check_stopped_cleanly()
    finally:
        if srv in _LIVE:
            _LIVE.remove(srv)


# --------------------------------------------------------------------------------------------------------
# Failure reports carry the server's stderr


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    item._wsmock_offsets = {id(s): s.stderr_size() for s in _LIVE}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        offsets = getattr(item, "_wsmock_offsets", {})
        for srv in list(_LIVE) + list(getattr(item, "_wsmock_stopped", [])):
            try:
                text = srv.stderr_text(offsets.get(id(srv), 0))
            except Exception as e:  # pragma: no cover - best effort
                text = "<cannot read stderr: %r>" % e
            if text:
                rep.sections.append(("wsmock stderr %r (%s)" % (srv, rep.when), text))


# --------------------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="session")
def backend_url(pytestconfig):
    return pytestconfig.getoption("--backend-url")


@pytest.fixture(scope="session")
def is_real(backend_url):
    return backend_url is not None


@pytest.fixture(scope="session")
def wsmock_bin(pytestconfig, backend_url):
    if backend_url:
        pytest.skip(MOCK_ONLY_REASON)
    path = pytestconfig.getoption("--wsmock") or os.environ.get("WSMOCK_BIN") or str(DEFAULT_BIN)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail("wsmock binary not found or not executable at %s (build it, or pass --wsmock PATH / "
                    "set WSMOCK_BIN)" % path, pytrace=False)
    return path


@pytest.fixture(scope="session")
def wsharness_bin(wsmock_bin):
    """The wsharness built next to the wsmock under test."""
    path = os.path.join(os.path.dirname(wsmock_bin), "wsharness")
    if not os.access(path, os.X_OK):
        pytest.fail("wsharness not built next to %s" % wsmock_bin, pytrace=False)
    return path


class ServerPool:
    """Long-lived servers, one per (profile, extra args), started on first use, stopped at session end."""

    def __init__(self, binary):
        self.binary = binary
        self.servers = {}

    def get(self, profile="deployed", extra_args=()):
        key = (profile, tuple(extra_args))
        srv = self.servers.get(key)
        if srv is None or not srv.alive():
            srv = _start(self.binary, profile=profile, extra_args=extra_args)
            self.servers[key] = srv
        return srv

    def stop_all(self):
        errors = []
        for srv in self.servers.values():
            try:
                _stop(srv)
            except AssertionError as e:
                errors.append(str(e))
        self.servers.clear()
        assert not errors, "\n".join(errors)


_POOLS = []


@pytest.fixture(scope="session")
def server_pool(wsmock_bin):
    pool = ServerPool(wsmock_bin)
    _POOLS.append(pool)
    yield pool
    _POOLS.remove(pool)
    pool.stop_all()


def _isolate(srv):
    """Before a test on a shared server: wait for earlier connections to be cleaned up, then reset."""
    srv.wait_connections(0, timeout=3.0)
    if srv.control:
        srv.reset()


@pytest.fixture(autouse=True)
def _reset_shared_mocks():
    """Between tests, every shared wsmock already running is drained and reset (POST /__mock/reset), so
    that no test sees another's rooms, buffers, topics, journal or attempt counters."""
    for pool in _POOLS:
        for srv in pool.servers.values():
            if srv.alive():
                _isolate(srv)


@pytest.fixture(scope="session")
def _real_backend(backend_url):
    return RealBackend(backend_url) if backend_url else None


@pytest.fixture
def backend(request, _real_backend):
    """The deployed-profile server: wsmock (shared, reset before each test) or the --backend-url backend."""
    if _real_backend is not None:
        _real_backend.wait_connections(0, timeout=5.0)
        return _real_backend
    return request.getfixturevalue("server_pool").get("deployed")


@pytest.fixture
def mock(server_pool):
    """wsmock, deployed profile (mock-only tests)."""
    srv = server_pool.get("deployed")
    return srv


@pytest.fixture
def coordinator_mock(server_pool):
    srv = server_pool.get("coordinator")
    return srv


@pytest.fixture
def prefix_mock(server_pool):
    srv = server_pool.get("pre-fix")
    return srv


@pytest.fixture
def wsmock(request, wsmock_bin):
    """Factory for private wsmock processes: wsmock(profile="deployed", extra_args=(...), env=None).
    Each is stopped with SIGTERM at teardown and must exit 0 (unless the test stopped it itself)."""
    started = []

    def factory(profile="deployed", extra_args=(), env=None, seed=1):
        srv = _start(wsmock_bin, profile=profile, extra_args=extra_args, env=env, seed=seed)
        started.append(srv)
        return srv

    yield factory
    request.node._wsmock_stopped = list(started)
    errors = []
    for srv in started:
        if srv.exit_code is not None:          # the test stopped it and checked the exit itself
            if srv in _LIVE:
                _LIVE.remove(srv)
            continue
        try:
            _stop(srv)
        except AssertionError as e:
            errors.append(str(e))
    assert not errors, "\n".join(errors)

