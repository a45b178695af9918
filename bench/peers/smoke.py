#!/usr/bin/python3
"""Smoke test of the bench peers: starts each on a free port and checks what `wsharness bench` relies on.

  /usr/bin/python3 bench/peers/smoke.py [python] [mockoon]      # default: both

Per peer: the ready line (deadline, no sleeps), the started PID being the server, the app-level
{"type":"ping"} -> pong on /ws/coordinator and on another /ws/ path, a WebSocket ping control frame
answered by a pong, fan-out frames on /ws/workflow/bench (exactly K per client for the Python server,
which broadcasts on {"type":"bench_fanout","count":K}; a steady stream for Mockoon, which broadcasts on
a timer), and a clean stop on SIGINT/SIGTERM. Prints the startup times and the RSS, then
"N passed, N failed"; exits 1 if anything failed.
"""
import asyncio
import json
import os
import re
import signal
import sys
import time
from pathlib import Path

import websockets

HERE = Path(__file__).resolve().parent
READY_DEADLINE = 30.0  # seconds for the ready line (npm-installed Mockoon on a cold cache can be slow)
STEP_DEADLINE = 10.0  # seconds for any single check
FANOUT_CLIENTS = 20
FANOUT_K = 500
MOCKOON_FRAMES = 20  # frames each client must see from Mockoon's timer-driven broadcast

PEERS = {
    "python": {"cmd": ["/usr/bin/python3", str(HERE / "python_ws_server.py"), "--port", "0"],
               "comm": "python3", "stop": signal.SIGTERM},
    "mockoon": {"cmd": [str(HERE / "mockoon" / "run"), "--port", "0"], "comm": "node", "stop": signal.SIGINT},
}

results = []  # (peer, check, ok, detail)


def record(peer, check, ok, detail=""):
    results.append((peer, check, ok, detail))
    print(f"{'ok  ' if ok else 'FAIL'} {peer}: {check}{' -- ' + detail if detail else ''}", flush=True)


def vm_rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


def connect(url, path):
    return websockets.connect(url + path, ping_interval=None, compression=None, open_timeout=STEP_DEADLINE)


async def first_upgrade(url):
    """One upgrade on /ws/coordinator right after the ready line: a peer must accept it at once."""
    async with connect(url, "/ws/coordinator"):
        pass


async def app_ping(url, path):
    """Some other message first, which must get no reply, then a ping: the first frame back is the pong."""
    async with connect(url, path) as ws:
        await ws.send(json.dumps({"type": "hello"}))
        await ws.send(json.dumps({"type": "ping"}))
        msg = json.loads(await asyncio.wait_for(ws.recv(), STEP_DEADLINE))
        if msg.get("type") != "pong":
            raise AssertionError(f"expected a pong first, got {msg}")
        return msg


async def ws_ping(url):
    async with connect(url, "/ws/coordinator") as ws:
        t0 = time.perf_counter()
        await asyncio.wait_for(await ws.ping(b"smoke"), STEP_DEADLINE)
        return (time.perf_counter() - t0) * 1e6


async def fan_out(url, peer):
    clients = [await connect(url, "/ws/workflow/bench") for _ in range(FANOUT_CLIENTS)]
    want = FANOUT_K if peer == "python" else MOCKOON_FRAMES

    async def count(ws):
        n = 0
        while n < want:
            msg = json.loads(await ws.recv())
            if msg.get("type") == "progress":
                n += 1
        if peer == "python":  # exactly K: nothing more may follow
            try:
                extra = await asyncio.wait_for(ws.recv(), 0.2)
                raise AssertionError(f"frame beyond K: {extra[:80]}")
            except asyncio.TimeoutError:
                pass
        return n

    try:
        t0 = time.perf_counter()
        if peer == "python":
            await clients[0].send(json.dumps({"type": "bench_fanout", "count": FANOUT_K}))
        counts = await asyncio.wait_for(asyncio.gather(*(count(ws) for ws in clients)), STEP_DEADLINE)
        return sum(counts), time.perf_counter() - t0
    finally:
        await asyncio.gather(*(ws.close() for ws in clients))


async def check(peer, name, coro):
    try:
        detail = await coro
        record(peer, name, True, detail or "")
    except Exception as exc:  # noqa: BLE001 -- any failure is a failed check
        record(peer, name, False, f"{type(exc).__name__}: {exc}")


async def smoke(peer):
    spec = PEERS[peer]
    if peer == "mockoon" and not (HERE / "mockoon" / "node_modules" / "@mockoon" / "cli").is_dir():
        record(peer, "installed", False, "bench/peers/mockoon/node_modules missing: run bench/peers/install")
        return
    t_exec = time.monotonic()
    proc = await asyncio.create_subprocess_exec(*spec["cmd"], stdout=asyncio.subprocess.PIPE,
                                                start_new_session=True)
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), READY_DEADLINE)).decode()
        t_line = time.monotonic() - t_exec
        m = re.fullmatch(r"listening on (http://127\.0\.0\.1:(\d+))\n", line)
        record(peer, "ready line", bool(m), f"{line.strip()!r} after {t_line * 1000:.0f} ms")
        if not m:
            return
        url = m.group(1).replace("http://", "ws://")
        await first_upgrade(url)
        t_ready = time.monotonic() - t_exec
        comm = Path(f"/proc/{proc.pid}/comm").read_text().strip()
        record(peer, "first upgrade / single process", comm == spec["comm"],
               f"{t_ready * 1000:.0f} ms after exec; PID {proc.pid} is {comm!r}; VmRSS {vm_rss_kib(proc.pid)} KiB")

        async def pong(path):
            msg = await app_ping(url, path)
            return f"{json.dumps(msg)[:90]}"

        await check(peer, "silent on other messages, ping -> pong on /ws/coordinator", pong("/ws/coordinator"))
        await check(peer, "app ping -> pong on /ws/agent/smoke", pong("/ws/agent/smoke"))

        async def rtt():
            return f"{await ws_ping(url):.0f} us"

        await check(peer, "WebSocket ping frame -> pong", rtt())

        async def fan():
            total, secs = await fan_out(url, peer)
            return f"{total} frames to {FANOUT_CLIENTS} clients in {secs * 1000:.0f} ms"

        await check(peer, "fan-out on /ws/workflow/bench", fan())
    except Exception as exc:  # noqa: BLE001
        record(peer, "start", False, f"{type(exc).__name__}: {exc}")
    finally:
        if proc.returncode is None:
            proc.send_signal(spec["stop"])
            try:
                rc = await asyncio.wait_for(proc.wait(), STEP_DEADLINE)
                record(peer, f"stop on {spec['stop'].name}", rc == 0, f"exit {rc}")
            except asyncio.TimeoutError:
                os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()
                record(peer, f"stop on {spec['stop'].name}", False, "still running: killed")


def main():
    peers = sys.argv[1:] or list(PEERS)
    unknown = [p for p in peers if p not in PEERS]
    if unknown:
        sys.exit(f"usage: smoke.py [{'] ['.join(PEERS)}] (unknown: {' '.join(unknown)})")
    for peer in peers:
        asyncio.run(smoke(peer))
    failed = sum(1 for r in results if not r[2])
    print(f"{len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
