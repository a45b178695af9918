#!/usr/bin/python3
"""Minimal hand-written WebSocket backend mock (python3-websockets 10.x, asyncio): a bench peer of wsmock.

  /usr/bin/python3 bench/peers/python_ws_server.py [--host 127.0.0.1] [--port 0]

Accepts any /ws/... path; all connections on one path form a room. {"type":"ping"} gets a pong;
{"type":"bench_fanout","count":K} broadcasts K progress frames to the sender's room. Prints
"listening on http://HOST:PORT" once listening; SIGTERM/SIGINT close everything and exit 0.
"""
import argparse
import asyncio
import json
import resource
import signal
from datetime import datetime, timezone

import websockets

rooms = {}  # path -> set of open connections


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"))  # compact, as the backend's frames


def now():
    return datetime.now(timezone.utc).isoformat()


async def fan_out(path, count):
    frame = dumps({"type": "progress", "workflow_id": path.rsplit("/", 1)[-1], "state": "running",
                   "progress": 0.5, "stage": "bench", "timestamp": now()})
    for _ in range(count):
        websockets.broadcast(rooms.get(path, ()), frame)  # no backpressure: buffers per connection
        await asyncio.sleep(0)  # let the loop flush write buffers and serve the other clients


async def handler(ws):
    path = ws.path.split("?", 1)[0]
    room = rooms.setdefault(path, set())
    room.add(ws)
    try:
        async for message in ws:
            try:
                msg = json.loads(message)
            except ValueError:
                continue
            if not isinstance(msg, dict):
                continue
            if msg.get("type") == "ping":
                await ws.send(dumps({"type": "pong", "timestamp": now()}))
            elif msg.get("type") == "bench_fanout":
                await fan_out(path, int(msg.get("count", 1)))
    except websockets.ConnectionClosed:
        pass
    finally:
        room.discard(ws)
        if not room:
            rooms.pop(path, None)


async def reject_non_ws(path, headers):
    if not path.startswith("/ws/"):
        return 404, [("Content-Type", "text/plain")], b"not found\n"
    return None


async def main(host, port):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    # ping_interval=None: no server-initiated keepalive pings during the bench (the clients ping);
    # compression=None: no permessage-deflate (websockets' docs advise it to save memory per connection).
    async with websockets.serve(handler, host, port, process_request=reject_non_ws, ping_interval=None,
                                compression=None, max_size=1 << 20, max_queue=32) as server:
        real_port = server.sockets[0].getsockname()[1]
        print(f"listening on http://{host}:{real_port}", flush=True)
        await stop


if __name__ == "__main__":
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # one fd per connection; node does the same
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(main(args.host, args.port))
