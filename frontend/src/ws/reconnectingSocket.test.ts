// reconnectingSocket.test -- the corrected socket life cycle with a fake WebSocket and fake timers: backoff, give-up, reset, intentional close, heartbeat, bounded queue.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeWebSocket, fakeFactory } from "../test/fakeWebSocket";
import { BackoffPolicy } from "./backoff";
import { WsObject } from "./messages";
import { ReconnectingSocket, ReconnectingSocketOptions, SocketStatus } from "./reconnectingSocket";

const FAST: BackoffPolicy = { initialMs: 50, factor: 2, capMs: 400, maxAttempts: 5, jitter: 0 };

function make(over: Partial<ReconnectingSocketOptions> = {}) {
  const messages: WsObject[] = [];
  const statuses: SocketStatus[] = [];
  const logs: string[] = [];
  const sock = new ReconnectingSocket({
    url: "ws://h/ws/coordinator",
    policy: FAST,
    heartbeatMs: 0,
    queueLimit: 10,
    connectTimeoutMs: 0,
    createSocket: fakeFactory,
    onMessage: (m) => messages.push(m),
    onStatus: (s) => statuses.push(s),
    log: (_level, text) => logs.push(text),
    ...over,
  });
  return { sock, messages, statuses, logs };
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("reconnecting", () => {
  it("reconnects after a close with min(initial*factor^n, cap) and gives up after maxAttempts", () => {
    const { sock, statuses } = make();
    sock.start();
    expect(FakeWebSocket.instances).toHaveLength(1);
    const gaps: number[] = [];
    for (let k = 1; k <= 5; k++) {
      FakeWebSocket.last().fail();
      const st = sock.status;
      expect(st.phase).toBe("reconnecting");
      expect(st.attempt).toBe(k);
      gaps.push(st.delayMs!);
      vi.advanceTimersByTime(st.delayMs! - 1);
      expect(FakeWebSocket.instances).toHaveLength(k); // not yet
      vi.advanceTimersByTime(1);
      expect(FakeWebSocket.instances).toHaveLength(k + 1);
      expect(sock.status).toMatchObject({ phase: "connecting", attempt: k });
    }
    expect(gaps).toEqual([50, 100, 200, 400, 400]);
    FakeWebSocket.last().fail();
    expect(sock.status).toMatchObject({ phase: "gave_up", attempt: 5, maxAttempts: 5 });
    vi.advanceTimersByTime(60_000);
    expect(FakeWebSocket.instances).toHaveLength(6); // 1 + 5 attempts, then nothing
    expect(statuses.at(-1)?.lastClose).toEqual({ code: 1006, reason: "", wasClean: false });
  });

  it("reconnects after a clean server close too", () => {
    const { sock } = make();
    sock.start();
    FakeWebSocket.last().open();
    FakeWebSocket.last().serverClose(1012, "shutdown");
    expect(sock.status).toMatchObject({ phase: "reconnecting", attempt: 1, delayMs: 50, lastClose: { code: 1012, reason: "shutdown", wasClean: true } });
    vi.advanceTimersByTime(50);
    expect(FakeWebSocket.instances).toHaveLength(2);
  });

  it("applies jitter from the injected random", () => {
    const { sock } = make({ policy: { ...FAST, jitter: 0.5 }, random: () => 0.5 });
    sock.start();
    FakeWebSocket.last().fail();
    expect(sock.status.delayMs).toBe(62); // 50 + floor(25 * 0.5)
  });

  it("resets the attempt counter after a successful open", () => {
    const { sock } = make();
    sock.start();
    for (let k = 1; k <= 3; k++) {
      FakeWebSocket.last().fail();
      vi.advanceTimersByTime(sock.status.delayMs!);
    }
    expect(sock.status).toMatchObject({ phase: "connecting", attempt: 3 });
    FakeWebSocket.last().open();
    expect(sock.status).toMatchObject({ phase: "open", attempt: 0, opens: 1 });
    FakeWebSocket.last().serverClose(1006);
    expect(sock.status).toMatchObject({ phase: "reconnecting", attempt: 1, delayMs: 50 });
  });

  it("with maxAttempts 0 never reconnects", () => {
    const { sock } = make({ policy: { ...FAST, maxAttempts: 0 } });
    sock.start();
    FakeWebSocket.last().fail();
    expect(sock.status.phase).toBe("gave_up");
    vi.advanceTimersByTime(10_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it("retryNow starts over after giving up", () => {
    const { sock } = make({ policy: { ...FAST, maxAttempts: 1 } });
    sock.start();
    FakeWebSocket.last().fail();
    vi.advanceTimersByTime(50);
    FakeWebSocket.last().fail();
    expect(sock.status.phase).toBe("gave_up");
    sock.retryNow();
    expect(FakeWebSocket.instances).toHaveLength(3);
    expect(sock.status).toMatchObject({ phase: "connecting", attempt: 0 });
    FakeWebSocket.last().fail();
    expect(sock.status).toMatchObject({ phase: "reconnecting", attempt: 1, delayMs: 50 }); // the budget is new
  });

  it("retryNow while a reconnect is scheduled replaces it (no second socket later)", () => {
    const { sock } = make();
    sock.start();
    FakeWebSocket.last().fail();
    sock.retryNow();
    expect(FakeWebSocket.instances).toHaveLength(2);
    vi.advanceTimersByTime(10_000);
    expect(FakeWebSocket.instances).toHaveLength(2);
  });
});

describe("intentional close", () => {
  it("stop() closes the socket with 1000 and never reconnects", () => {
    const { sock } = make();
    sock.start();
    const ws = FakeWebSocket.last();
    ws.open();
    sock.stop();
    expect(ws.closedByClient).toEqual({ code: 1000, reason: "client closed" });
    vi.advanceTimersByTime(60_000); // the close event arrives, and any timer would have fired
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(sock.status.phase).toBe("closed");
  });

  it("stop() during a scheduled reconnect cancels it", () => {
    const { sock } = make();
    sock.start();
    FakeWebSocket.last().fail();
    expect(sock.status.phase).toBe("reconnecting");
    sock.stop();
    vi.advanceTimersByTime(60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it("ignores every late event of a stopped socket", () => {
    const { sock, messages, statuses } = make();
    sock.start();
    const ws = FakeWebSocket.last();
    sock.stop();
    const seen = statuses.length;
    // the server side still finishes the handshake and talks before the close lands
    ws.readyState = FakeWebSocket.CONNECTING;
    expect(ws.onopen).toBeNull();
    expect(ws.onmessage).toBeNull();
    expect(ws.onclose).toBeNull();
    vi.advanceTimersByTime(60_000);
    expect(statuses.length).toBe(seen);
    expect(messages).toEqual([]);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });
});

describe("no ghosts", () => {
  it("ignores events of a discarded socket even through handlers taken before it was discarded", () => {
    const { sock, messages } = make();
    sock.start();
    const old = FakeWebSocket.last();
    const { onopen, onmessage, onclose } = old;
    sock.retryNow(); // replaces `old` by a new socket
    const current = FakeWebSocket.last();
    expect(current).not.toBe(old);
    onopen?.(new Event("open"));
    onmessage?.({ data: '{"type":"info"}' } as MessageEvent);
    onclose?.({ code: 1006, reason: "", wasClean: false } as CloseEvent);
    expect(sock.status).toMatchObject({ phase: "connecting", attempt: 0, opens: 0 });
    expect(messages).toEqual([]);
    vi.advanceTimersByTime(60_000);
    expect(FakeWebSocket.instances).toHaveLength(2);
  });

  it("leaves no timer behind after stop()", () => {
    const { sock } = make({ heartbeatMs: 1000, connectTimeoutMs: 5000 });
    sock.start();
    FakeWebSocket.last().open(); // heartbeat interval running
    FakeWebSocket.last().serverClose(1006); // reconnect timer scheduled
    vi.advanceTimersByTime(50); // connect timer of the new socket
    FakeWebSocket.last().open();
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    sock.stop();
    vi.runOnlyPendingTimers(); // the fake socket's own close event
    expect(vi.getTimerCount()).toBe(0);
  });

  it("leaves no heartbeat timer behind after a close", () => {
    const { sock } = make({ heartbeatMs: 1000, policy: { ...FAST, maxAttempts: 0 } });
    sock.start();
    FakeWebSocket.last().open();
    FakeWebSocket.last().serverClose(1000);
    expect(sock.status.phase).toBe("gave_up");
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("messages", () => {
  it("delivers decoded objects, swallows pong, survives bad frames and throwing handlers", () => {
    const got: string[] = [];
    const { sock, logs } = make({
      onMessage: (m) => {
        got.push(m.type);
        if (m.type === "boom") throw new Error("handler bug");
      },
    });
    sock.start();
    const ws = FakeWebSocket.last();
    ws.open();
    ws.receive({ type: "info", message: "Connected to ViMax WebSocket server" });
    ws.receive({ type: "pong" });
    ws.receive("not json");
    ws.receive("[1,2]");
    ws.receive({ type: "boom" });
    ws.receive({ type: "heartbeat", timestamp: "2026-11-25T19:50:58.438491" });
    expect(got).toEqual(["info", "boom", "heartbeat"]);
    expect(logs.some((l) => l.includes("Message handler failed"))).toBe(true);
    expect(sock.status.phase).toBe("open");
  });
});

describe("heartbeat", () => {
  it('sends {"type":"ping"} every heartbeatMs while open, and stops when closed', () => {
    const { sock } = make({ heartbeatMs: 30_000 });
    sock.start();
    const ws = FakeWebSocket.last();
    vi.advanceTimersByTime(30_000);
    expect(ws.sent).toEqual([]); // not open yet: nothing
    ws.open();
    vi.advanceTimersByTime(29_999);
    expect(ws.sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ws.sent).toEqual(['{"type":"ping"}']);
    vi.advanceTimersByTime(60_000);
    expect(ws.sent).toHaveLength(3);
    ws.serverClose(1000);
    vi.advanceTimersByTime(50); // reconnect
    const ws2 = FakeWebSocket.last();
    expect(ws2).not.toBe(ws);
    vi.advanceTimersByTime(90_000);
    expect(ws.sent).toHaveLength(3); // the old socket got no more pings
    expect(ws2.sent).toEqual([]); // the new one is not open
  });

  it("sends no ping while the socket is closing (close frame received, close event not yet)", () => {
    const { sock } = make({ heartbeatMs: 1000 });
    sock.start();
    const ws = FakeWebSocket.last();
    ws.open();
    ws.readyState = FakeWebSocket.CLOSING;
    vi.advanceTimersByTime(3000); // the fake's send() would throw on a closing socket
    expect(ws.sent).toEqual([]);
  });

  it("heartbeatMs 0 sends nothing", () => {
    const { sock } = make({ heartbeatMs: 0 });
    sock.start();
    FakeWebSocket.last().open();
    vi.advanceTimersByTime(120_000);
    expect(FakeWebSocket.last().sent).toEqual([]);
  });
});

describe("send queue", () => {
  it("sends at once while open", () => {
    const { sock } = make();
    sock.start();
    FakeWebSocket.last().open();
    expect(sock.send({ type: "get_metrics" })).toBe("sent");
    expect(FakeWebSocket.last().sent).toEqual(['{"type":"get_metrics"}']);
  });

  it("queues while not open, bounded, dropping the oldest, and flushes in order on open", () => {
    const { sock } = make({ queueLimit: 3 });
    sock.start();
    for (let i = 1; i <= 5; i++) expect(sock.send({ n: i })).toBe("queued");
    expect(sock.status).toMatchObject({ queued: 3, dropped: 2 });
    FakeWebSocket.last().open();
    expect(FakeWebSocket.last().sent).toEqual(['{"n":3}', '{"n":4}', '{"n":5}']);
    expect(sock.status.queued).toBe(0);
  });

  it("keeps the queue across a reconnect", () => {
    const { sock } = make();
    sock.start();
    FakeWebSocket.last().fail();
    sock.send("hello");
    vi.advanceTimersByTime(50);
    FakeWebSocket.last().open();
    expect(FakeWebSocket.last().sent).toEqual(["hello"]);
  });

  it("drops everything after stop() or with queueLimit 0", () => {
    const a = make();
    a.sock.start();
    a.sock.stop();
    expect(a.sock.send("x")).toBe("dropped");
    const b = make({ queueLimit: 0 });
    b.sock.start();
    expect(b.sock.send("x")).toBe("dropped");
    FakeWebSocket.last().open();
    expect(FakeWebSocket.last().sent).toEqual([]);
  });
});

describe("connect timeout", () => {
  it("abandons a handshake that never completes and counts it as a failed attempt", () => {
    const { sock } = make({ connectTimeoutMs: 1000 });
    sock.start();
    const ws = FakeWebSocket.last();
    vi.advanceTimersByTime(999);
    expect(sock.status.phase).toBe("connecting");
    vi.advanceTimersByTime(1);
    expect(ws.closedByClient?.reason).toBe("connect timeout");
    expect(sock.status).toMatchObject({ phase: "reconnecting", attempt: 1, lastClose: { code: 1006, reason: "connect timeout" } });
    vi.advanceTimersByTime(50);
    expect(FakeWebSocket.instances).toHaveLength(2);
  });

  it("does not fire once open", () => {
    const { sock } = make({ connectTimeoutMs: 1000 });
    sock.start();
    FakeWebSocket.last().open();
    expect(vi.getTimerCount()).toBe(0); // the timeout was cancelled, not left to find the socket open
    vi.advanceTimersByTime(5000);
    expect(sock.status.phase).toBe("open");
    expect(FakeWebSocket.instances).toHaveLength(1);
  });
});

describe("a socket that cannot be constructed", () => {
  it("is retried like a failed handshake", () => {
    let calls = 0;
    const { sock } = make({
      createSocket: (url) => {
        calls += 1;
        if (calls === 1) throw new SyntaxError("bad url");
        return fakeFactory(url);
      },
    });
    sock.start();
    expect(sock.status).toMatchObject({ phase: "reconnecting", attempt: 1 });
    vi.advanceTimersByTime(50);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });
});
