// @vitest-environment jsdom
// AgentMonitor.test -- the /agents page against a fake socket: exact status texts and classes, metric cards for both shapes, filters, search, empty states, reconnect UI.
import { describe, expect, it, vi } from "vitest";
import { FakeWebSocket } from "../test/fakeWebSocket";
import { pageHarness } from "../test/pageHarness";
import { allByTestId, byTestId, click, step, typeInto } from "../test/render";

const open = pageHarness();

function coordinator(): FakeWebSocket {
  const s = FakeWebSocket.instances.filter((w) => w.url.endsWith("/ws/coordinator")).at(-1);
  if (!s) throw new Error("no coordinator socket");
  return s;
}

const NESTED = {
  type: "coordinator_metrics",
  metrics: {
    total_agents: 3,
    active_workflows: 1,
    completed_workflows: 5,
    failed_workflows: 2,
    agents: {
      screenwriter: {
        status: "busy",
        capabilities: ["develop_story", "write_script"],
        currentTask: "write_script",
        metrics: { tasks_completed: 4, tasks_failed: 1, avg_response_time: 1234.4, uptime: 3725 },
        lastUpdate: "2026-11-25T19:00:00",
      },
      critic: { status: "idle", capabilities: ["review"] },
      painter: { status: "error", capabilities: ["storyboard"] },
    },
  },
};

describe("Agent Monitor", () => {
  it("first paints Disconnected, zero counts and the waiting text, with one socket to /ws/coordinator", async () => {
    const c = await open("/agents");
    expect(c.querySelector("h1")?.textContent).toBe("Agent Monitor Dashboard");
    const status = byTestId(c, "connection-status");
    expect(status.textContent).toBe("○ Disconnected");
    expect(status.className).toBe("connection-status-disconnected");
    expect(status.parentElement?.className).toBe("agent-monitor-connection-status");
    expect(["all", "idle", "busy", "error", "offline"].map((f) => byTestId(c, `filter-${f}`).textContent)).toEqual([
      "All (0)",
      "Idle (0)",
      "Busy (0)",
      "Error (0)",
      "Offline (0)",
    ]);
    expect(byTestId(c, "filter-all").className).toBe("filter-button glass-button active");
    expect((byTestId(c, "agent-search") as HTMLInputElement).placeholder).toBe("Search agents or capabilities...");
    expect(byTestId(c, "agent-empty").innerHTML).toBe("<p>No agents registered yet. Waiting for agents to connect...</p>");
    expect(c.querySelector(".agent-monitor-metrics")).toBeNull();
    expect(FakeWebSocket.instances.map((s) => s.url)).toEqual(["ws://localhost:3000/ws/coordinator"]);
    expect(byTestId(c, "ws-url").textContent).toBe("ws://localhost:3000/ws/coordinator");
  });

  it("shows ● Connected once open", async () => {
    const c = await open("/agents");
    step(() => coordinator().open());
    const status = byTestId(c, "connection-status");
    expect(status.textContent).toBe("● Connected");
    expect(status.className).toBe("connection-status-connected");
    expect(byTestId(c, "reconnect-text").textContent).toBe("Connected");
  });

  it("renders the real backend's top-level coordinator_metrics", async () => {
    const c = await open("/agents");
    step(() => coordinator().open());
    step(() =>
      coordinator().receive(
        '{"type":"coordinator_metrics","timestamp":"2026-11-25T19:49:48.292677","total_messages":12,"total_workflows":2,"registered_agents":1,"healthy_agents":1,"active_workflows":1,"queue_size":0,"dead_letters":0}',
      ),
    );
    expect(byTestId(c, "metrics").dataset.shape).toBe("top-level");
    const cards = Array.from(c.querySelectorAll(".agent-monitor-metrics > .metric-card.glass-card"));
    expect(cards.slice(0, 4).map((e) => [e.querySelector(".metric-value")?.textContent, e.querySelector(".metric-label")?.textContent])).toEqual([
      ["1", "Total Agents"],
      ["1", "Active Workflows"],
      ["N/A", "Completed"],
      ["N/A", "Failed"],
    ]);
    expect(byTestId(c, "metric-total-messages-value").textContent).toBe("12");
    expect(byTestId(c, "metric-healthy-agents-value").textContent).toBe("1");
    expect(byTestId(c, "agent-empty").textContent).toBe("No agents registered yet. Waiting for agents to connect...");
  });

  it("renders the nested shape with its agents, filters and search", async () => {
    const c = await open("/agents");
    step(() => coordinator().open());
    step(() => coordinator().receive(NESTED));
    expect(byTestId(c, "metrics").dataset.shape).toBe("nested");
    expect(["total-agents", "active-workflows", "completed", "failed"].map((id) => byTestId(c, `metric-${id}-value`).textContent)).toEqual(["3", "1", "5", "2"]);
    expect(allByTestId(c, "metric-healthy-agents")).toHaveLength(0);
    expect(allByTestId(c, "agent-card").map((e) => e.dataset.agent)).toEqual(["critic", "painter", "screenwriter"]);
    expect(["all", "idle", "busy", "error", "offline"].map((f) => byTestId(c, `filter-${f}`).textContent)).toEqual([
      "All (3)",
      "Idle (1)",
      "Busy (1)",
      "Error (1)",
      "Offline (0)",
    ]);

    const card = c.querySelector<HTMLElement>('[data-testid="agent-card"][data-agent="screenwriter"]')!;
    expect(byTestId(card, "agent-status-icon").textContent).toBe("◐");
    expect(byTestId(card, "agent-status-icon").style.color).toBe("rgb(245, 158, 11)");
    expect(byTestId(card, "agent-status-badge").textContent).toBe("BUSY");
    expect(byTestId(card, "agent-metric-completed").textContent).toBe("Completed:4");
    expect(byTestId(card, "agent-metric-failed").textContent).toBe("Failed:1");
    expect(byTestId(card, "agent-metric-avg-response").textContent).toBe("Avg Response:1234ms");
    expect(byTestId(card, "agent-metric-uptime").textContent).toBe("Uptime:1h 2m");
    expect(byTestId(card, "agent-last-update").textContent).toBe(`Last update: ${new Date("2026-11-25T19:00:00Z").toLocaleTimeString()}`);
    const critic = c.querySelector<HTMLElement>('[data-testid="agent-card"][data-agent="critic"]')!;
    expect(byTestId(critic, "agent-status-icon").textContent).toBe("●");

    click(byTestId(c, "filter-busy"));
    expect(byTestId(c, "filter-busy").classList.contains("active")).toBe(true);
    expect(allByTestId(c, "agent-card").map((e) => e.dataset.agent)).toEqual(["screenwriter"]);
    click(byTestId(c, "filter-offline"));
    expect(byTestId(c, "agent-empty").innerHTML).toBe("<p>No agents match the current filter and search criteria.</p>");
    click(byTestId(c, "filter-all"));
    typeInto(byTestId(c, "agent-search") as HTMLInputElement, "STORY");
    expect(allByTestId(c, "agent-card").map((e) => e.dataset.agent)).toEqual(["painter", "screenwriter"]); // storyboard, develop_story
    typeInto(byTestId(c, "agent-search") as HTMLInputElement, "zzz");
    expect(byTestId(c, "agent-empty").textContent).toBe("No agents match the current filter and search criteria.");
  });

  it("keeps the agents when a later coordinator_metrics carries none (the top-level shape)", async () => {
    const c = await open("/agents");
    step(() => coordinator().open());
    step(() => coordinator().receive(NESTED));
    step(() => coordinator().receive('{"type":"coordinator_metrics","total_messages":0,"total_workflows":0,"registered_agents":3,"healthy_agents":3,"active_workflows":0,"queue_size":0,"dead_letters":0}'));
    expect(byTestId(c, "metrics").dataset.shape).toBe("top-level");
    expect(allByTestId(c, "agent-card")).toHaveLength(3);
  });

  it("adds an agent from an agent_status broadcast, and survives one without capabilities", async () => {
    const c = await open("/agents");
    step(() => coordinator().open());
    step(() =>
      coordinator().receive(
        '{"type":"agent_status","agent_name":"screenwriter","timestamp":"2026-11-25T19:49:44.657641","status":"busy","metrics":{"message_count":3,"error_count":0,"error_rate":0.0,"avg_execution_time":1.23,"is_healthy":true}}',
      ),
    );
    typeInto(byTestId(c, "agent-search") as HTMLInputElement, "screen");
    const card = byTestId(c, "agent-card");
    expect(byTestId(card, "agent-status-badge").textContent).toBe("BUSY");
    expect(byTestId(card, "agent-metric-completed").textContent).toBe("Completed:3");
    expect(byTestId(card, "agent-metric-avg-response").textContent).toBe("Avg Response:1230ms");
    expect(byTestId(card, "agent-metric-uptime").textContent).toBe("Uptime:N/A");
    expect(byTestId(c, "filter-busy").textContent).toBe("Busy (1)");
  });

  it("shows an unknown status with ?", async () => {
    const c = await open("/agents");
    step(() => coordinator().open());
    step(() => coordinator().receive({ type: "agent_status", agent_name: "x", status: "sleeping" }));
    expect(byTestId(c, "agent-status-icon").textContent).toBe("?");
    expect(byTestId(c, "agent-status-badge").textContent).toBe("SLEEPING");
    expect(byTestId(c, "filter-all").textContent).toBe("All (1)");
  });

  it("opens /ws/agent/{name} for ?watch_agents and renders the connect-time object form", async () => {
    const c = await open("/agents?watch_agents=screenwriter");
    const agentSock = FakeWebSocket.instances.find((s) => s.url === "ws://localhost:3000/ws/agent/screenwriter");
    expect(agentSock).toBeDefined();
    step(() => agentSock!.open());
    expect(byTestId(c, "agent-socket").dataset.connected).toBe("true");
    step(() =>
      agentSock!.receive(
        '{"type":"agent_status","agent_name":"screenwriter","status":{"name":"screenwriter","status":"idle","registered_at":"2026-11-25T19:00:00","metrics":{"message_count":0,"error_count":0,"error_rate":0.0,"avg_execution_time":0.0,"total_execution_time":0.0,"last_heartbeat":"2026-11-25T19:48:00","is_healthy":true}}}',
      ),
    );
    const card = byTestId(c, "agent-card");
    expect(card.dataset.agent).toBe("screenwriter");
    expect(byTestId(card, "agent-status-badge").textContent).toBe("IDLE");
    expect(byTestId(card, "agent-last-update").textContent).toBe(`Last update: ${new Date("2026-11-25T19:48:00Z").toLocaleTimeString()}`);
  });

  it("shows the reconnect countdown, gives up, and Retry now starts over", async () => {
    const c = await open("/agents?ws_initial=50&ws_factor=2&ws_cap=400&ws_max=2&ws_jitter=0");
    step(() => coordinator().fail());
    const rs = byTestId(c, "reconnect-status");
    expect(byTestId(c, "reconnect-text").textContent).toBe("Reconnecting in 1 s (attempt 1/2)");
    expect([rs.dataset.phase, rs.dataset.attempt, rs.dataset.maxAttempts, rs.dataset.delayMs]).toEqual(["reconnecting", "1", "2", "50"]);
    expect(allByTestId(c, "retry-button")).toHaveLength(0);
    step(() => vi.advanceTimersByTime(50));
    expect(byTestId(c, "reconnect-text").textContent).toBe("Connecting (attempt 1/2)…");
    step(() => coordinator().fail());
    expect(byTestId(c, "reconnect-status").dataset.delayMs).toBe("100");
    step(() => vi.advanceTimersByTime(100));
    step(() => coordinator().fail());
    expect(byTestId(c, "reconnect-text").textContent).toBe("Gave up after 2 reconnect attempts");
    expect(byTestId(c, "connection-status").textContent).toBe("○ Disconnected");
    step(() => vi.advanceTimersByTime(60_000));
    expect(FakeWebSocket.instances).toHaveLength(3);
    const retry = byTestId(c, "retry-button");
    expect(retry.textContent).toBe("Retry now");
    click(retry);
    expect(FakeWebSocket.instances).toHaveLength(4);
    step(() => coordinator().open());
    expect(byTestId(c, "connection-status").textContent).toBe("● Connected");
    expect(allByTestId(c, "retry-button")).toHaveLength(0);
  });

  it("counts the reconnect delay down in whole seconds", async () => {
    const c = await open("/agents?ws_jitter=0");
    step(() => coordinator().open());
    step(() => coordinator().serverClose(1012));
    expect(byTestId(c, "reconnect-text").textContent).toBe("Reconnecting in 1 s (attempt 1/5)");
    step(() => vi.advanceTimersByTime(1000));
    step(() => coordinator().fail());
    expect(byTestId(c, "reconnect-text").textContent).toBe("Reconnecting in 2 s (attempt 2/5)");
    step(() => vi.advanceTimersByTime(1250));
    expect(byTestId(c, "reconnect-text").textContent).toBe("Reconnecting in 1 s (attempt 2/5)");
  });

  it("uses the original hook with ?ws=legacy (StrictMode leaves two sockets)", async () => {
    const c = await open("/agents?ws=legacy&ws_initial=50");
    expect(byTestId(c, "agent-monitor").dataset.wsMode).toBe("legacy");
    expect(byTestId(c, "reconnect-status").dataset.mode).toBe("legacy");
    step(() => vi.advanceTimersByTime(50));
    expect(FakeWebSocket.live()).toHaveLength(2);
  });
});
