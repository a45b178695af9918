// Ghost connections (PROTOCOL.md 4.3.2-4.3.3), from the journal: navigating away closes every socket for good,
// and under React StrictMode (the Vite dev server) the corrected hook makes one connection. The original hook
// (?ws=legacy) is the negative control: it leaves the ghosts these checks look for.
import { Page } from "@playwright/test";
import { expect, test, TestMock } from "../support/fixtures";
import { JournalEvent } from "../support/mock";
import { AgentMonitorPage, pageUrl } from "../support/pages";

const FAST = "ws_initial=100&ws_jitter=0";
/** How long the journal is watched for a ghost: many times the 100 ms reconnect delay. */
const GHOST_WINDOW_MS = 800;

/** Opens /agents, waits for its coordinator socket, clicks Home; returns the `open` events of the page's sockets. */
async function visitAgentsThenHome(agentMonitor: AgentMonitorPage, page: Page, mock: TestMock, query: string) {
  await agentMonitor.goto(query);
  await agentMonitor.expectConnected();
  const opens = await mock.waitForEvents({ type: "open", path: "/ws/*", since: mock.start });
  await agentMonitor.navHome.click();
  await expect(page).toHaveURL(/\/\?|\/$/);
  await expect(agentMonitor.root).toHaveCount(0);
  return opens;
}

test("no ghost connections are left after navigating Agent Monitor -> Home", async ({ agentMonitor, page, mock }) => {
  const opens = await visitAgentsThenHome(agentMonitor, page, mock, FAST);
  const conns = opens.map((e) => e.conn);
  const isNew = (e: JournalEvent) => !conns.includes(e.conn);

  // Every socket the page opened is closed, by the client, with 1000 (an intentional close) ...
  const closes = await mock.waitForEvents({ type: "close", path: "/ws/*", since: mock.start, count: conns.length, filter: (e) => !isNew(e) });
  for (const c of closes) expect(c).toMatchObject({ code: 1000, by: "client", clean: true });
  // ... and nothing comes back: no other upgrade on any /ws/* path while we watch (a journal long-poll).
  expect(await mock.eventsWithin({ type: "upgrade", path: "/ws/*", since: opens[opens.length - 1].seq, filter: isNew }, GHOST_WINDOW_MS)).toEqual([]);
  expect(openWithoutClose(await journalSince(mock))).toEqual([]);
});

test("negative control: the original hook leaves a ghost /ws/coordinator connection after navigating away", async ({
  agentMonitor,
  page,
  mock,
}) => {
  const opens = await visitAgentsThenHome(agentMonitor, page, mock, `ws=legacy&${FAST}`);
  const conns = opens.map((e) => e.conn);
  // The legacy disconnect() keeps onclose attached: it reconnects to the old URL 100 ms later, and stays.
  const ghosts = await mock.waitForEvents(
    { type: "open", path: "/ws/coordinator", since: opens[opens.length - 1].seq, filter: (e) => !conns.includes(e.conn) },
    5_000,
  );
  expect(ghosts).toHaveLength(1);
  await expect.poll(async () => openWithoutClose(await journalSince(mock)).length).toBeGreaterThan(0);
});

test("under React StrictMode (Vite dev server) the corrected hook makes one connection", async ({ page, mock, devServerUrl }) => {
  const agentMonitor = new AgentMonitorPage(page);
  await page.goto(devServerUrl + pageUrl("/agents", FAST));
  await agentMonitor.expectConnected();
  const [upgrade] = await mock.waitForEvents({ type: "upgrade", path: "/ws/coordinator", since: mock.start });
  // Watch long enough for StrictMode's ghost (legacy: 100 ms after the first socket's abort).
  expect(await mock.eventsWithin({ type: "upgrade", path: "/ws/coordinator", since: upgrade.seq }, GHOST_WINDOW_MS)).toEqual([]);
  const all = (await mock.journal({ path: "/ws/*", since: mock.start })).events;
  expect(all.filter((e) => e.type === "upgrade")).toHaveLength(1);
  expect(all.filter((e) => e.type === "open")).toHaveLength(1);
  expect(all.filter((e) => e.type === "close")).toEqual([]);
  await expect(agentMonitor.reconnectStatus).toHaveAttribute("data-opens", "1");
});

test("negative control: under React StrictMode the original hook holds two connections", async ({ page, mock, devServerUrl, backend }) => {
  test.skip(backend.external, "E2E_BASE_URL may be a production build, where StrictMode does not mount twice");
  const agentMonitor = new AgentMonitorPage(page);
  await page.goto(devServerUrl + pageUrl("/agents", `ws=legacy&${FAST}`));
  await agentMonitor.expectConnected();
  await mock.waitForEvents({ type: "open", path: "/ws/coordinator", since: mock.start, count: 2 }, 5_000);
  // Two of them are open at the same time (the aborted first handshake may also show up, closed).
  await expect.poll(async () => openWithoutClose(await journalSince(mock)).length).toBeGreaterThanOrEqual(2);
});

/** This test's /ws/* journal events. */
async function journalSince(mock: TestMock): Promise<JournalEvent[]> {
  return (await mock.journal({ path: "/ws/*", since: mock.start })).events;
}

/** The `open` events whose connection has no `close` in the journal. */
function openWithoutClose(events: JournalEvent[]): JournalEvent[] {
  const closed = new Set(events.filter((e) => e.type === "close").map((e) => e.conn));
  return events.filter((e) => e.type === "open" && !closed.has(e.conn));
}
