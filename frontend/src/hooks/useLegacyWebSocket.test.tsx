// @vitest-environment jsdom
// useLegacyWebSocket.test -- proves the negative control still has the original hook's bugs: constant delay, no limit, ghosts after intentional closes, StrictMode doubling.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeWebSocket } from "../test/fakeWebSocket";
import { flush, renderHook, step } from "../test/render";
import { useLegacyWebSocket, UseLegacyWebSocketOptions } from "./useLegacyWebSocket";

interface Props {
  url: string;
  opts?: UseLegacyWebSocketOptions;
}
const useProbe = ({ url, opts }: Props) => useLegacyWebSocket(url, { reconnect: true, reconnectAttempts: 5, heartbeatInterval: 0, ...opts });

let logs: string[];

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
  vi.stubGlobal("WebSocket", FakeWebSocket);
  logs = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void logs.push(a.map(String).join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void logs.push(a.map(String).join(" ")));
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

/** Fails the newest socket and returns how long (fake ms) until the next socket appeared. */
function failAndTimeNextSocket(): number {
  const before = FakeWebSocket.instances.length;
  step(() => FakeWebSocket.last().fail());
  for (let t = 1; t <= 60_000; t++) {
    step(() => vi.advanceTimersByTime(1));
    if (FakeWebSocket.instances.length > before) return t;
  }
  return -1;
}

describe("useLegacyWebSocket (the original hook, bugs kept)", () => {
  it("retries at a constant 1000 ms, forever, always logging attempt 1/5", async () => {
    const h = renderHook(useProbe, { url: "ws://h/ws/coordinator" });
    await flush();
    const gaps = Array.from({ length: 8 }, () => failAndTimeNextSocket());
    expect(gaps).toEqual(Array(8).fill(1000)); // no growth, and more than 5 attempts
    expect(logs.filter((l) => l.startsWith("[WebSocket] Reconnecting"))).toEqual(Array(8).fill("[WebSocket] Reconnecting in 1000ms (attempt 1/5)"));
    expect(logs.some((l) => l.includes("Max reconnection attempts reached"))).toBe(false);
    expect(h.current.status.attempt).toBe(8); // the React counter counts, but nothing reads it
    h.unmount();
  });

  it("uses the given interval instead of 1000 ms (ws_initial)", async () => {
    const h = renderHook(useProbe, { url: "ws://h/ws/coordinator", opts: { reconnectInterval: 50 } });
    await flush();
    expect([failAndTimeNextSocket(), failAndTimeNextSocket(), failAndTimeNextSocket()]).toEqual([50, 50, 50]);
    h.unmount();
  });

  it("reconnects after unmount: a ghost socket to the old URL", async () => {
    const h = renderHook(useProbe, { url: "ws://h/ws/coordinator" });
    await flush();
    step(() => FakeWebSocket.last().open());
    h.unmount();
    step(() => vi.advanceTimersByTime(1000)); // the close event, then the stale reconnect timer
    expect(FakeWebSocket.instances.map((s) => s.url)).toEqual(["ws://h/ws/coordinator", "ws://h/ws/coordinator"]);
    expect(FakeWebSocket.last().readyState).toBe(FakeWebSocket.CONNECTING);
  });

  it("after a URL change keeps a ghost on the old URL", async () => {
    const h = renderHook(useProbe, { url: "ws://h/ws/workflow/pending" });
    await flush();
    step(() => FakeWebSocket.last().open());
    h.rerender({ url: "ws://h/ws/workflow/wf-42" });
    step(() => FakeWebSocket.last().open());
    step(() => vi.advanceTimersByTime(1000));
    const live = FakeWebSocket.live().map((s) => s.url);
    expect(live).toEqual(["ws://h/ws/workflow/wf-42", "ws://h/ws/workflow/pending"]);
    h.unmount();
  });

  it("under StrictMode ends with two sockets for one hook", async () => {
    const h = renderHook(useProbe, { url: "ws://h/ws/coordinator" }, { strict: true });
    await flush();
    expect(FakeWebSocket.instances).toHaveLength(2); // A (closed while connecting) and B
    expect(FakeWebSocket.instances[0]?.closedByClient).not.toBeNull();
    step(() => vi.advanceTimersByTime(1000)); // A's close schedules ghost C
    expect(FakeWebSocket.instances).toHaveLength(3);
    expect(FakeWebSocket.live()).toHaveLength(2);
    h.unmount();
  });

  it("keeps an unbounded queue", async () => {
    const h = renderHook(useProbe, { url: "ws://h/ws/coordinator" });
    await flush();
    for (let i = 0; i < 500; i++) h.current.send({ n: i });
    step(() => FakeWebSocket.last().open());
    expect(FakeWebSocket.last().sent).toHaveLength(500);
    h.unmount();
  });
});
