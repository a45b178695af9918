"""`wsharness bench` from the command line: the JSON report, the text table, exit codes and usage errors."""
import json
import os
import subprocess

import pytest

pytestmark = pytest.mark.mock_only

SCENARIOS = os.path.join(os.path.dirname(__file__), "..", "..", "scenarios")


def bench(wsharness_bin, *args):
    return subprocess.run([wsharness_bin, "bench", *args], capture_output=True, text=True, timeout=60)


def test_json_report_has_every_load_with_its_figures(wsharness_bin, wsmock_bin):
    server = "%s --port {port} --heartbeat-ms 0 --scenario %s" % (
        wsmock_bin, os.path.abspath(os.path.join(SCENARIOS, "bench-fanout.json")))
    r = bench(wsharness_bin, "--server", server, "--loads", "ready,idle,handshakes,fanout,rtt", "--json",
              "--idle-conns", "100", "--handshakes", "100", "--room", "10", "--rtt-conns", "20",
              "--pings", "50")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert list(out) == ["ready", "idle", "handshakes", "fanout", "rtt", "server"]
    assert all(out[k]["ok"] for k in ("ready", "idle", "handshakes", "fanout", "rtt"))
    assert 0 < out["ready"]["ms"] < 5000
    assert out["idle"]["held"] == 100 and out["idle"]["kb_per_conn"] > 0
    assert out["handshakes"]["completed"] == 100 and out["handshakes"]["failed"] == 0
    assert out["fanout"]["frames"] == out["fanout"]["expected"] == 10 * 1000
    assert out["rtt"]["samples"] == 50 and out["rtt"]["p50_ms"] <= out["rtt"]["p99_ms"]
    assert out["server"]["pid"] > 0


def test_a_failed_load_says_why_and_exits_1(wsharness_bin, wsmock_bin):
    mock = subprocess.Popen([wsmock_bin, "--port", "0", "--scenario",
                             os.path.join(SCENARIOS, "ws-001-unregistered-router.json")],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = mock.stdout.readline().split(" on ")[1].strip()
        r = bench(wsharness_bin, url, "--loads", "idle", "--idle-conns", "5")
    finally:
        mock.terminate()
        mock.wait(10)
    assert r.returncode == 1
    assert "idle" in r.stdout and "FAILED: 0 of 5 connections opened: upgrade refused: HTTP/1.1 403" in r.stdout


def test_a_server_that_never_accepts_a_websocket_is_not_ready(wsharness_bin, wsmock_bin):
    server = "%s --port {port} --scenario %s" % (
        wsmock_bin, os.path.abspath(os.path.join(SCENARIOS, "ws-001-unregistered-router.json")))
    r = bench(wsharness_bin, "--server", server, "--loads", "idle", "--idle-conns", "5")
    assert r.returncode == 1
    assert "first connection to /ws/coordinator" in r.stderr and "403" in r.stderr


def test_nothing_listening_fails_the_first_load(wsharness_bin):
    r = bench(wsharness_bin, "http://127.0.0.1:1", "--loads", "rtt", "--rtt-conns", "3", "--timeout-ms", "2000")
    assert r.returncode == 1
    assert "FAILED" in r.stdout and "connection refused" in r.stdout.lower()


@pytest.mark.parametrize("args, says", [
    ([], "give a URL or --server CMD"),
    (["http://127.0.0.1:3001", "--server", "x"], "give a URL or --server CMD"),
    (["http://127.0.0.1:3001", "--loads", "idle,nap"], "--loads wants a list"),
    (["http://127.0.0.1:3001", "--loads", "ready"], "the ready load needs --server"),
    (["http://127.0.0.1:3001", "--idle-conns", "0"], "--idle-conns wants a whole number"),
    (["http://127.0.0.1:3001", "--duration", "-1"], "--duration wants seconds > 0"),
    (["http://127.0.0.1:3001", "--sources", "999"], "--sources wants 1 to 250"),
    (["https://127.0.0.1:3001"], "URL wants http://HOST:PORT"),
    (["http://127.0.0.1:3001", "--bogus", "1"], "unknown option '--bogus'"),
    (["http://127.0.0.1:3001", "--room"], "--room needs a value"),
])
def test_usage_errors_exit_2_and_name_the_problem(wsharness_bin, args, says):
    r = bench(wsharness_bin, *args)
    assert r.returncode == 2
    assert says in r.stderr


def test_help_lists_every_load_and_exits_0(wsharness_bin):
    r = bench(wsharness_bin, "--help")
    assert r.returncode == 0
    for word in ("ready", "idle", "handshakes", "fanout", "rtt", "soak", "--duration", "--json"):
        assert word in r.stdout
