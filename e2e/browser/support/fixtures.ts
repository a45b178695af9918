// fixtures -- Playwright fixtures: one wsmock per worker (or the one at E2E_MOCK_URL), reset and a scenario per test, page objects, screenshots.
import { test as base, expect, Page, TestInfo } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import { MockControl, MockProcess, RESULTS_DIR } from "./mock";
import { AgentMonitorPage, Idea2VideoPage } from "./pages";
import { DevServer } from "./tools";

/** Where the pages come from and where the mock's control API is. */
export interface Backend {
  /** the frontend origin the pages are loaded from (E2E_BASE_URL, or the worker's wsmock serving frontend/dist) */
  pageUrl: string;
  /** the wsmock whose control API and journal the tests use (E2E_MOCK_URL, or the worker's wsmock) */
  mockUrl: string;
  /** true when E2E_BASE_URL points at another frontend */
  external: boolean;
}

/** The control API plus the journal position at the start of the test (after reset and scenario load). */
export class TestMock extends MockControl {
  /** journal seq after the test's reset and default scenario: events of this test have seq > start */
  start = 0;
}

export const DEFAULT_SCENARIO = "ws-001-fixed";

type WorkerFixtures = {
  backend: Backend;
  /** the frontend's Vite dev server (StrictMode) with /ws proxied to the mock; E2E_BASE_URL when set */
  devServerUrl: string;
};

type TestFixtures = {
  mock: TestMock;
  agentMonitor: AgentMonitorPage;
  idea2video: Idea2VideoPage;
  /** saves a screenshot to build/results/screenshots/NAME.png and attaches it to the report */
  shot: (name: string, page?: Page) => Promise<void>;
};

export const test = base.extend<TestFixtures, WorkerFixtures>({
  backend: [
    async ({}, use) => {
      const external = process.env.E2E_BASE_URL;
      if (external) {
        const mockUrl = process.env.E2E_MOCK_URL ?? "http://127.0.0.1:3001";
        await use({ pageUrl: external.replace(/\/$/, ""), mockUrl: mockUrl.replace(/\/$/, ""), external: true });
        return;
      }
      const proc = await MockProcess.start();
      try {
        await use({ pageUrl: proc.url, mockUrl: proc.url, external: false });
      } finally {
        const code = await proc.stop();
        if (code !== 0) throw new Error(`wsmock exited with ${code} on SIGTERM:\n${proc.stderrTail()}`);
      }
    },
    { scope: "worker", timeout: 20_000 },
  ],

  devServerUrl: [
    async ({ backend }, use) => {
      if (backend.external) {
        await use(backend.pageUrl);
        return;
      }
      const dev = await DevServer.start(backend.mockUrl);
      try {
        await use(dev.url);
      } finally {
        await dev.stop();
      }
    },
    { scope: "worker", timeout: 30_000 },
  ],

  baseURL: async ({ backend }, use) => {
    await use(backend.pageUrl);
  },

  // Every test starts from a clean mock running the default scenario, and ends by closing its browser
  // context and waiting (on the journal) until every socket it opened is closed, so the next test's
  // journal holds only its own connections.
  mock: [
    async ({ backend, context }, use) => {
      const mock = new TestMock(backend.mockUrl);
      await mock.unloadScenario().catch(() => undefined);
      await mock.reset();
      await mock.loadScenario(DEFAULT_SCENARIO);
      mock.start = await mock.position();
      await use(mock);
      await context.close();
      await drainConnections(mock);
    },
    { auto: true },
  ],

  agentMonitor: async ({ page }, use) => {
    await use(new AgentMonitorPage(page));
  },

  idea2video: async ({ page }, use) => {
    await use(new Idea2VideoPage(page));
  },

  shot: async ({ page }, use, testInfo) => {
    await use(async (name: string, p?: Page) => saveShot(p ?? page, name, testInfo));
  },
});

async function saveShot(page: Page, name: string, testInfo: TestInfo): Promise<void> {
  const dir = path.join(RESULTS_DIR, "screenshots");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await testInfo.attach(name, { path: file, contentType: "image/png" });
}

/** Best effort: waits up to 3 s until every connection opened since the reset has its close event. */
async function drainConnections(mock: MockControl): Promise<void> {
  try {
    const { events } = await mock.journal({ path: "/ws/*" });
    const open = new Set(events.filter((e) => e.type === "open").map((e) => e.conn));
    for (const e of events) if (e.type === "close") open.delete(e.conn);
    if (open.size === 0) return;
    await mock.waitForEvents({ type: "close", path: "/ws/*", count: open.size, filter: (e) => open.has(e.conn) }, 3_000);
  } catch {
    // a connection that outlives its page is reported by the test that cares (ghosts.spec.ts)
  }
}

export { expect };
