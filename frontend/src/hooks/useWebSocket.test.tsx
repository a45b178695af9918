// @vitest-environment jsdom
// useWebSocket.test -- the corrected hook's life cycle in React with a fake WebSocket and fake timers: reconnect, unmount, disconnect, URL change, StrictMode, queue.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeWebSocket, fakeFactory } from "../test/fakeWebSocket";
import { flush, renderHook, step } from "../test/render";
import { BackoffPolicy } from "../ws/backoff";
import { WsObject } from "../ws/messages";
import { useWebSocket, UseWebSocketOptions } from "./useWebSocket";

const FAST: BackoffPolicy = { initialMs: 50, factor: 2, capMs: 400, maxAttempts: 5, jitter: 0 };
const BASE: UseWebSocketOptions = { policy: FAST, heartbeatMs: 0, queueLimit: 3, connectTimeoutMs: 0, createSocket: fakeFactory };

interface Props {
  url: string | null;
  onMessage?: (m: WsObject) => void;
}
const useProbe = ({ url, onMessage }: Props) => useWebSocket(url, { ...BASE, onMessage });

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
  vi.spyOn(console, "info").mockImplementation(() => {});
  vi.spyOn(console, "warn").mockImplementation(() => {});
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("useWebSocket", () => {
  it("opens one socket to the URL and reports the phases", async () => {
    const h = renderHook(useProbe, { url: "ws://h/ws/coordinator" });
    await flush();
    expect(FakeWebSocket.instances.map((s) => s.url)).toEqual(["ws://h/ws/coordinator"]);
    expect(h.current.status.phase).toBe("connecting");
    expect(h.current.isConnected).toBe(false);
    step(() => FakeWebSocket.last().open());
    expect(h.current.isConnected).toBe(true);
    h.unmount();
  });

  it("reconnects on close with the policy's delays, gives up, and retryNow starts over", async () => {
    const h = renderHook(useProbe, { url: "ws://h/ws/coordinator" });
    await flush();
    const delays: number[] = [];
    for (let k = 1; k <= 5; k++) {
      step(() => FakeWebSocket.last().fail());
      expect(h.current.status).toMatchObject({ phase: "reconnecting", attempt: k });
      delays.push(h.current.status.delayMs!);
      step(() => vi.advanceTimersByTime(h.current.status.delayMs!));
      expect(FakeWebSocket.instances).toHaveLength(k + 1);
    }
    expect(delays).toEqual([50, 100, 200, 400, 400]);
    step(() => FakeWebSocket.last().fail());
    expect(h.current.status.phase).toBe("gave_up");
    step(() => vi.advanceTimersByTime(60_000));
    expect(FakeWebSocket.instances).toHaveLength(6);
    step(() => h.current.retryNow());
    expect(FakeWebSocket.instances).toHaveLength(7);
    expect(h.current.status).toMatchObject({ phase: "connecting", attempt: 0 });
    h.unmount();
  });

  it("does not reconnect after unmount", async () => {
    const h = renderHook(useProbe, { url: "ws://h/ws/coordinator" });
    await flush();
    const ws = FakeWebSocket.last();
    step(() => ws.open());
    h.unmount();
    expect(ws.closedByClient?.code).toBe(1000);
    vi.advanceTimersByTime(60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(FakeWebSocket.live()).toHaveLength(0);
  });

  it("does not reconnect after unmount during a scheduled reconnect", async () => {
    const h = renderHook(useProbe, { url: "ws://h/ws/coordinator" });
    await flush();
    step(() => FakeWebSocket.last().fail());
    h.unmount();
    vi.advanceTimersByTime(60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it("does not reconnect after an intentional disconnect()", async () => {
    const h = renderHook(useProbe, { url: "ws://h/ws/coordinator" });
    await flush();
    step(() => FakeWebSocket.last().open());
    step(() => h.current.disconnect());
    step(() => vi.advanceTimersByTime(60_000));
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(h.current.status.phase).toBe("closed");
    expect(h.current.isConnected).toBe(false);
    h.unmount();
  });

  it("on a URL change closes the old socket, ignores its late events and never goes back to the old URL", async () => {
    const got: WsObject[] = [];
    const h = renderHook(useProbe, { url: "ws://h/ws/workflow/pending", onMessage: (m) => got.push(m) });
    await flush();
    const old = FakeWebSocket.last();
    step(() => old.open());
    const lateClose = old.onclose;
    const lateMessage = old.onmessage;
    h.rerender({ url: "ws://h/ws/workflow/wf-42", onMessage: (m) => got.push(m) });
    await flush();
    expect(old.closedByClient?.code).toBe(1000);
    const current = FakeWebSocket.last();
    expect(current.url).toBe("ws://h/ws/workflow/wf-42");
    step(() => current.open());
    // late events of the old socket, even through handlers taken before the change
    step(() => lateMessage?.({ data: '{"type":"progress","workflow_id":"pending"}' } as MessageEvent));
    step(() => lateClose?.({ code: 1006, reason: "", wasClean: false } as CloseEvent));
    step(() => vi.advanceTimersByTime(60_000));
    expect(got).toEqual([]);
    expect(h.current.isConnected).toBe(true);
    expect(FakeWebSocket.instances.map((s) => s.url)).toEqual(["ws://h/ws/workflow/pending", "ws://h/ws/workflow/wf-42"]);
    expect(FakeWebSocket.live().map((s) => s.url)).toEqual(["ws://h/ws/workflow/wf-42"]);
    h.unmount();
  });

  it("under StrictMode's double mount creates exactly one socket", async () => {
    const h = renderHook(useProbe, { url: "ws://h/ws/coordinator" }, { strict: true });
    await flush();
    step(() => vi.advanceTimersByTime(60_000));
    expect(FakeWebSocket.instances).toHaveLength(1);
    step(() => FakeWebSocket.last().open());
    expect(h.current.isConnected).toBe(true);
    step(() => FakeWebSocket.last().serverClose(1006));
    step(() => vi.advanceTimersByTime(50));
    expect(FakeWebSocket.instances).toHaveLength(2); // one reconnect, not two
    expect(FakeWebSocket.live()).toHaveLength(1);
    h.unmount();
    expect(FakeWebSocket.live().filter((s) => s.readyState === FakeWebSocket.OPEN || s.readyState === FakeWebSocket.CONNECTING)).toHaveLength(0);
  });

  it("delivers messages to the latest onMessage (no stale closure)", async () => {
    const first: string[] = [];
    const second: string[] = [];
    const h = renderHook(useProbe, { url: "ws://h/ws/coordinator", onMessage: (m) => first.push(m.type) });
    await flush();
    step(() => FakeWebSocket.last().open());
    step(() => FakeWebSocket.last().receive({ type: "a" }));
    h.rerender({ url: "ws://h/ws/coordinator", onMessage: (m) => second.push(m.type) });
    step(() => FakeWebSocket.last().receive({ type: "b" }));
    expect(first).toEqual(["a"]);
    expect(second).toEqual(["b"]);
    expect(FakeWebSocket.instances).toHaveLength(1); // a new callback does not reconnect
    h.unmount();
  });

  it("keeps a bounded send queue while not connected and flushes it on open", async () => {
    const h = renderHook(useProbe, { url: "ws://h/ws/coordinator" });
    await flush();
    for (let i = 1; i <= 5; i++) step(() => void h.current.send({ type: "get_metrics", n: i }));
    expect(h.current.status).toMatchObject({ queued: 3, dropped: 2 });
    step(() => FakeWebSocket.last().open());
    expect(FakeWebSocket.last().sent.map((t) => (JSON.parse(t) as { n: number }).n)).toEqual([3, 4, 5]);
    expect(h.current.send("x")).toBe("sent");
    h.unmount();
  });

  it("sends the heartbeat ping while open", async () => {
    const useHb = ({ url }: Props) => useWebSocket(url, { ...BASE, heartbeatMs: 30_000 });
    const h = renderHook(useHb, { url: "ws://h/ws/coordinator" });
    await flush();
    step(() => FakeWebSocket.last().open());
    step(() => vi.advanceTimersByTime(30_000));
    expect(FakeWebSocket.last().sent).toEqual(['{"type":"ping"}']);
    h.unmount();
  });

  it("opens nothing for a null URL", async () => {
    const h = renderHook(useProbe, { url: null });
    await flush();
    expect(FakeWebSocket.instances).toHaveLength(0);
    expect(h.current.status.phase).toBe("idle");
    h.unmount();
  });
});
