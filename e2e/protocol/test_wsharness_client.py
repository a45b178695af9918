"""`wsharness client`: the reconnecting client a person uses by hand, against wsmock scenarios."""
import os
import select
import subprocess
import time

import pytest

pytestmark = pytest.mark.mock_only


def read_until(proc, want, timeout=5.0):
    """Lines from proc's stdout until one contains want (select on the raw fd, with a deadline);
    returns every line read so far."""
    fd = proc.stdout.fileno()
    buf = getattr(proc, "_buf", b"")
    lines, end = getattr(proc, "_lines", []), time.monotonic() + timeout
    while True:
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            lines.append(line.decode())
            if want in lines[-1]:
                proc._buf, proc._lines = buf, []
                return lines
        left = end - time.monotonic()
        assert left > 0, "no line with %r within %.1f s; got %r" % (want, timeout, lines)
        if select.select([fd], [], [], left)[0]:
            chunk = os.read(fd, 65536)
            assert chunk, "client exited early; got %r" % lines
            buf += chunk


def test_client_prints_frames_sends_stdin_lines_and_stops_at_end_of_input(mock, wsharness_bin):
    p = subprocess.Popen([wsharness_bin, "client", "%s/ws/coordinator" % mock.ws_url],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=0)
    try:
        lines = read_until(p, "Connected to ViMax WebSocket server")
        assert "connecting (attempt 1)" in lines[0] and lines[1].endswith("] connected")
        p.stdin.write('{"type":"ping"}\n')
        p.stdin.flush()
        assert read_until(p, "pong")[-1] == '< {"type":"pong"}'
        p.stdin.close()
        rest = p._buf.decode() + os.read(p.stdout.fileno(), 65536).decode()
        while True:
            more = os.read(p.stdout.fileno(), 65536)
            if not more:
                break
            rest += more.decode()
        assert p.wait(5) == 0
        assert "closed 1000" in rest and rest.rstrip().endswith("stopped")
        assert "reconnecting" not in rest
    finally:
        p.kill()


def test_client_says_how_it_backs_off_and_gives_up(mock, wsharness_bin):
    assert mock.post("/__mock/scenario", obj={"name": "ws-001-unregistered-router"}).status == 200
    q = subprocess.Popen([wsharness_bin, "client", "%s/ws/coordinator" % mock.ws_url,
                          "--policy", "initial=1000,factor=2,max=3,jitter=0", "--scale", "0.01"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=0)
    try:
        lines = read_until(q, "gave up")
        assert q.wait(5) == 1
    finally:
        q.kill()
        mock.request("DELETE", "/__mock/scenario")
    text = "\n".join(lines)
    assert text.count("upgrade refused: HTTP 403") == 4
    for delay, attempt, retry in ((10, 2, 1), (20, 3, 2), (40, 4, 3)):
        assert "reconnecting in %d ms (attempt %d, retry %d/3)" % (delay, attempt, retry) in text
    assert lines[-1].endswith("gave up after 3 retries")


@pytest.mark.parametrize("args,msg", [
    ([], "usage: wsharness client URL"),
    (["wss://127.0.0.1:1/ws/x"], "TLS (wss://) is not supported"),
    (["ws://h/x", "--policy", "initial=0"], "--policy: bad value"),
    (["ws://h/x", "--bogus"], "bad argument '--bogus'"),
])
def test_client_usage_errors_exit_2(wsharness_bin, args, msg):
    p = subprocess.run([wsharness_bin, "client"] + args, capture_output=True, text=True, timeout=10)
    assert p.returncode == 2 and msg in p.stderr
