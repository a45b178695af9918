// pageHarness -- what every page test sets up: fake timers, FakeWebSocket as the global WebSocket, a quiet console, and the opened page unmounted after each test.
import { afterEach, beforeEach, vi } from "vitest";
import { FakeWebSocket } from "./fakeWebSocket";
import { flush, Mounted, renderApp } from "./render";

/** Registers the set-up and tear-down hooks; returns open(path), which renders the app at path and resolves to its container. */
export function pageHarness(): (path: string) => Promise<HTMLElement> {
  let page: Mounted | null = null;

  beforeEach(() => {
    vi.useFakeTimers();
    FakeWebSocket.reset();
    vi.stubGlobal("WebSocket", FakeWebSocket);
    for (const m of ["log", "info", "warn", "error"] as const) vi.spyOn(console, m).mockImplementation(() => {});
  });

  afterEach(() => {
    page?.unmount();
    page = null;
    vi.useRealTimers();
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  return async (path: string) => {
    page = renderApp(path);
    await flush();
    return page.container;
  };
}
