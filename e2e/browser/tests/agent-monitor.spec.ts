// Agent Monitor (/agents): the Connected indicator, WS-001's Disconnected with the 403s in the journal, recovery, and coordinator_metrics in both shapes.
import { expect, test } from "../support/fixtures";
import { policyQuery } from "../support/tools";

const SHORT = policyQuery({ initial: 100, factor: 2, cap: 400, max: 3, jitter: 0 });
const SHORT_UNLIMITED = policyQuery({ initial: 100, factor: 2, cap: 400, max: "inf", jitter: 0 });

test("shows ● Connected with the fixed backend, and the journal has the accepted upgrade on /ws/coordinator", async ({
  agentMonitor,
  mock,
  shot,
}) => {
  await agentMonitor.goto();
  await agentMonitor.expectConnected();
  await expect(agentMonitor.reconnectText).toHaveText("Connected");
  await agentMonitor.expectPhase("open");

  const [upgrade] = await mock.waitForEvents({ type: "upgrade", path: "/ws/coordinator", since: mock.start });
  expect(upgrade).toMatchObject({ path: "/ws/coordinator", attempt: 1, outcome: "accepted", status: 101 });
  const [open] = await mock.waitForEvents({ type: "open", path: "/ws/coordinator", since: mock.start });
  expect(open.conn).toBe(upgrade.conn);
  expect(open.room).toBe("coordinator_metrics");
  // The deployed backend sends no metrics: no cards, every filter at 0, the waiting text.
  await expect(agentMonitor.metrics).toHaveCount(0);
  await expect(agentMonitor.filter("all")).toHaveText("All (0)");
  await expect(agentMonitor.empty).toHaveText("No agents registered yet. Waiting for agents to connect...");
  await shot("agent-monitor-connected");
});

test("shows ○ Disconnected under WS-001 while the journal holds the 403 refusals on /ws/coordinator", async ({
  agentMonitor,
  mock,
  shot,
}) => {
  await mock.loadScenario("ws-001-unregistered-router");
  const since = await mock.position();
  await agentMonitor.goto(SHORT);

  // 1 connect + 3 reconnects, every one refused with uvicorn's 403; then the page gives up.
  const refusals = await mock.waitForEvents({ type: "upgrade", path: "/ws/coordinator", since, count: 4 });
  for (const [i, e] of refusals.entries()) expect(e).toMatchObject({ attempt: i + 1, outcome: "refused", status: 403 });
  await agentMonitor.expectDisconnected();
  await agentMonitor.expectPhase("gave_up");
  await expect(agentMonitor.reconnectText).toHaveText("Gave up after 3 reconnect attempts");
  await expect(agentMonitor.retryButton).toHaveText("Retry now");
  const opens = await mock.journal({ type: "open", path: "/ws/*", since });
  expect(opens.events).toEqual([]);
  await shot("agent-monitor-disconnected");

  // "Retry now" starts over with a fresh budget: one more refused attempt right away.
  const before = await mock.position();
  await agentMonitor.retryButton.click();
  const [again] = await mock.waitForEvents({ type: "upgrade", path: "/ws/coordinator", since: before });
  expect(again).toMatchObject({ attempt: 5, outcome: "refused", status: 403 });
  await agentMonitor.expectDisconnected();
});

test("goes back to ● Connected by itself when the backend recovers", async ({ agentMonitor, mock }) => {
  await mock.loadScenario("ws-001-unregistered-router");
  const since = await mock.position();
  await agentMonitor.goto(SHORT_UNLIMITED);
  await mock.waitForEvents({ type: "upgrade", path: "/ws/coordinator", since, count: 2, filter: (e) => e.status === 403 });
  await agentMonitor.expectDisconnected();
  await expect(agentMonitor.reconnectText).toHaveText(/^(Reconnecting in \d+ s|Connecting) \(attempt \d+\/∞\)…?$/);

  // The fix is deployed: the router is registered again (back to the deployed profile, every /ws/* accepted).
  const fixedAt = await mock.position();
  await mock.unloadScenario();
  const [accepted] = await mock.waitForEvents({
    type: "upgrade",
    path: "/ws/coordinator",
    since: fixedAt,
    filter: (e) => e.outcome === "accepted",
  });
  expect(accepted.status).toBe(101);
  await agentMonitor.expectConnected();
  await expect(agentMonitor.reconnectText).toHaveText("Connected");
  await expect(agentMonitor.reconnectStatus).toHaveAttribute("data-opens", "1");
});

test("renders metric cards from the backend's top-level coordinator_metrics", async ({ agentMonitor, mock }) => {
  await agentMonitor.goto();
  await agentMonitor.expectConnected();
  await mock.waitForEvents({ type: "open", path: "/ws/coordinator", since: mock.start });

  const r = await mock.emit({
    kind: "coordinator_metrics",
    total_messages: 120,
    total_workflows: 4,
    registered_agents: 3,
    healthy_agents: 2,
    active_workflows: 1,
    queue_size: 5,
    dead_letters: 1,
  });
  expect(r.delivered).toBe(1);
  await expect(agentMonitor.metrics).toHaveAttribute("data-shape", "top-level");
  const expected: Record<string, string> = {
    "total-agents": "3",
    "active-workflows": "1",
    completed: "N/A",
    failed: "N/A",
    "healthy-agents": "2",
    "total-workflows": "4",
    "total-messages": "120",
    "queue-size": "5",
    "dead-letters": "1",
  };
  for (const [id, value] of Object.entries(expected)) await expect(agentMonitor.metricValue(id)).toHaveText(value);
  await expect(agentMonitor.metricCard("total-agents")).toContainText("Total Agents");
  // The top-level shape carries no agents.
  await expect(agentMonitor.cards).toHaveCount(0);
  await expect(agentMonitor.filter("all")).toHaveText("All (0)");
});

test("renders agent cards, status icons and filter counts from a nested coordinator_metrics", async ({
  agentMonitor,
  mock,
  shot,
}) => {
  await agentMonitor.goto();
  await agentMonitor.expectConnected();
  await mock.waitForEvents({ type: "open", path: "/ws/coordinator", since: mock.start });

  const r = await mock.emit({
    room: "coordinator_metrics",
    message: {
      type: "coordinator_metrics",
      timestamp: "2026-11-26T09:14:03.120456",
      metrics: {
        total_agents: 4,
        active_workflows: 2,
        completed_workflows: 7,
        failed_workflows: 1,
        agents: {
          scriptwriter: {
            status: "idle",
            capabilities: ["outline", "dialogue"],
            metrics: { tasks_completed: 12, tasks_failed: 1, avg_response_time: 850, uptime: 7260 },
            lastUpdate: "2026-11-26T09:14:03.120456",
          },
          storyboarder: {
            status: "busy",
            capabilities: ["storyboard"],
            currentTask: "scene 3",
            metrics: { tasks_completed: 5, tasks_failed: 0, avg_response_time: 1200, uptime: 3600 },
            lastUpdate: "2026-11-26T09:14:03.120456",
          },
          renderer: {
            status: "error",
            capabilities: ["video", "render"],
            metrics: { tasks_completed: 2, tasks_failed: 3 },
            lastUpdate: "2026-11-26T09:14:03.120456",
          },
          narrator: { status: "offline", capabilities: ["voice"], lastUpdate: "2026-11-26T09:14:03.120456" },
        },
      },
    },
  });
  expect(r.delivered).toBe(1);

  await expect(agentMonitor.metrics).toHaveAttribute("data-shape", "nested");
  await expect(agentMonitor.metricValue("total-agents")).toHaveText("4");
  await expect(agentMonitor.metricValue("active-workflows")).toHaveText("2");
  await expect(agentMonitor.metricValue("completed")).toHaveText("7");
  await expect(agentMonitor.metricValue("failed")).toHaveText("1");
  await expect(agentMonitor.metricCard("healthy-agents")).toHaveCount(0);

  await expect(agentMonitor.cards).toHaveCount(4);
  const icons: [string, string, string][] = [
    ["scriptwriter", "●", "IDLE"],
    ["storyboarder", "◐", "BUSY"],
    ["renderer", "✗", "ERROR"],
    ["narrator", "○", "OFFLINE"],
  ];
  for (const [name, icon, badge] of icons) {
    const card = agentMonitor.card(name);
    await expect(card.name).toHaveText(name);
    await expect(card.icon).toHaveText(icon);
    await expect(card.badge).toHaveText(badge);
    await expect(card.lastUpdate).toHaveText(/^Last update: \S/);
  }
  await expect(agentMonitor.card("scriptwriter").icon).toHaveCSS("color", "rgb(16, 185, 129)");
  const sw = agentMonitor.card("scriptwriter");
  await expect(sw.capabilities).toHaveText("outlinedialogue");
  await expect(sw.metric("completed")).toHaveText("Completed:12");
  await expect(sw.metric("failed")).toHaveText("Failed:1");
  await expect(sw.metric("avg-response")).toHaveText("Avg Response:850ms");
  await expect(sw.metric("uptime")).toHaveText("Uptime:2h 1m");
  await expect(agentMonitor.card("renderer").metric("avg-response")).toHaveText("Avg Response:N/A");

  for (const [key, text] of [
    ["all", "All (4)"],
    ["idle", "Idle (1)"],
    ["busy", "Busy (1)"],
    ["error", "Error (1)"],
    ["offline", "Offline (1)"],
  ] as const) {
    await expect(agentMonitor.filter(key)).toHaveText(text);
  }
  await shot("agent-monitor-agents");

  await agentMonitor.filter("busy").click();
  await expect(agentMonitor.filter("busy")).toHaveClass(/\bactive\b/);
  await expect(agentMonitor.cards).toHaveCount(1);
  await expect(agentMonitor.cards).toHaveAttribute("data-agent", "storyboarder");
  await agentMonitor.filter("all").click();
  await agentMonitor.search.fill("dialogue");
  await expect(agentMonitor.cards).toHaveCount(1);
  await expect(agentMonitor.cards).toHaveAttribute("data-agent", "scriptwriter");
  await agentMonitor.search.fill("nothing-matches");
  await expect(agentMonitor.empty).toHaveText("No agents match the current filter and search criteria.");
});
