// pages -- page objects for the frontend's Agent Monitor (/agents) and Idea to Video (/idea2video), by data-testid (frontend/README.md).
import { expect, Locator, Page } from "@playwright/test";

/**
 * `path?query`, with E2E_QUERY appended when set (e.g. `ws=legacy`: which tests catch the original hook?).
 * The app reads the first value of a parameter, so a test's own `ws=legacy` still wins.
 */
export function pageUrl(path: string, query = ""): string {
  const q = [query, process.env.E2E_QUERY ?? ""].filter((s) => s !== "").join("&");
  return q ? `${path}?${q}` : path;
}

/** What every page shows about its socket: the reconnect line (phase, attempt, text, Retry now) and the nav. */
class WsPage {
  readonly reconnectStatus: Locator;
  readonly reconnectText: Locator;
  readonly retryButton: Locator;
  readonly wsUrl: Locator;
  readonly navHome: Locator;
  readonly navAgents: Locator;
  readonly navIdea2Video: Locator;

  constructor(readonly page: Page) {
    this.reconnectStatus = page.getByTestId("reconnect-status");
    this.reconnectText = page.getByTestId("reconnect-text");
    this.retryButton = page.getByTestId("retry-button");
    this.wsUrl = page.getByTestId("ws-url");
    this.navHome = page.getByTestId("nav-home");
    this.navAgents = page.getByTestId("nav-agents");
    this.navIdea2Video = page.getByTestId("nav-idea2video");
  }

  async expectPhase(phase: "idle" | "connecting" | "open" | "reconnecting" | "gave_up" | "closed"): Promise<void> {
    await expect(this.reconnectStatus).toHaveAttribute("data-phase", phase);
  }
}

export class AgentMonitorPage extends WsPage {
  readonly root: Locator;
  readonly connectionStatus: Locator;
  readonly metrics: Locator;
  readonly search: Locator;
  readonly grid: Locator;
  readonly empty: Locator;
  readonly cards: Locator;

  constructor(page: Page) {
    super(page);
    this.root = page.getByTestId("agent-monitor");
    this.connectionStatus = page.getByTestId("connection-status");
    this.metrics = page.getByTestId("metrics");
    this.search = page.getByTestId("agent-search");
    this.grid = page.getByTestId("agent-grid");
    this.empty = page.getByTestId("agent-empty");
    this.cards = page.getByTestId("agent-card");
  }

  /** Opens `/agents` with the given query (policy parameters, `ws=legacy`, ...). */
  async goto(query = ""): Promise<void> {
    await this.page.goto(pageUrl("/agents", query));
    await expect(this.root).toBeVisible();
  }

  /**
   * Opens Home first and then clicks "Agent Monitor", so the page has finished loading before its socket
   * starts: the reconnect timers then measure the hook, not the page's start-up work.
   */
  async gotoViaHome(query = ""): Promise<void> {
    await this.page.goto(pageUrl("/", query));
    await expect(this.navAgents).toBeVisible();
    await this.page.waitForFunction(() => document.readyState === "complete");
    await this.navAgents.click();
    await expect(this.root).toBeVisible();
  }

  async expectConnected(): Promise<void> {
    await expect(this.connectionStatus).toHaveText("● Connected");
    await expect(this.connectionStatus).toHaveClass("connection-status-connected");
  }

  async expectDisconnected(): Promise<void> {
    await expect(this.connectionStatus).toHaveText("○ Disconnected");
    await expect(this.connectionStatus).toHaveClass("connection-status-disconnected");
  }

  metricValue(id: string): Locator {
    return this.page.getByTestId(`metric-${id}-value`);
  }

  metricCard(id: string): Locator {
    return this.page.getByTestId(`metric-${id}`);
  }

  filter(key: "all" | "idle" | "busy" | "error" | "offline"): Locator {
    return this.page.getByTestId(`filter-${key}`);
  }

  card(name: string): AgentCard {
    return new AgentCard(this.page.locator(`[data-testid="agent-card"][data-agent="${name}"]`));
  }
}

export class AgentCard {
  readonly icon: Locator;
  readonly name: Locator;
  readonly badge: Locator;
  readonly capabilities: Locator;
  readonly lastUpdate: Locator;

  constructor(readonly root: Locator) {
    this.icon = root.getByTestId("agent-status-icon");
    this.name = root.getByTestId("agent-name");
    this.badge = root.getByTestId("agent-status-badge");
    this.capabilities = root.getByTestId("agent-capabilities");
    this.lastUpdate = root.getByTestId("agent-last-update");
  }

  metric(id: "completed" | "failed" | "avg-response" | "uptime"): Locator {
    return this.root.getByTestId(`agent-metric-${id}`);
  }
}

export class Idea2VideoPage extends WsPage {
  readonly root: Locator;
  readonly indicator: Locator;
  readonly episodeId: Locator;
  readonly workflowStatus: Locator;
  readonly progress: Locator;
  readonly progressState: Locator;
  readonly progressStage: Locator;
  readonly progressBar: Locator;
  readonly progressPercentage: Locator;
  readonly progressMessage: Locator;
  readonly chatLines: Locator;

  constructor(page: Page) {
    super(page);
    this.root = page.getByTestId("idea2video");
    this.indicator = page.getByTestId("ws-status-indicator");
    this.episodeId = page.getByTestId("episode-id");
    this.workflowStatus = page.getByTestId("workflow-status");
    this.progress = page.getByTestId("workflow-progress");
    this.progressState = page.getByTestId("progress-state");
    this.progressStage = page.getByTestId("progress-stage");
    this.progressBar = page.getByTestId("progress-bar");
    this.progressPercentage = page.getByTestId("progress-percentage");
    this.progressMessage = page.getByTestId("progress-message");
    this.chatLines = page.getByTestId("chat-line");
  }

  /** Opens `/idea2video?episode=ID` (the indicator shows only once an episode id is set). */
  async goto(episode: string | null, query = ""): Promise<void> {
    const q = [episode ? `episode=${encodeURIComponent(episode)}` : "", query].filter((s) => s !== "").join("&");
    await this.page.goto(pageUrl("/idea2video", q));
    await expect(this.root).toBeVisible();
  }

  async expectConnected(): Promise<void> {
    await expect(this.indicator).toHaveAttribute("data-connected", "true");
    await expect(this.indicator).toHaveAttribute("title", "WebSocket已连接");
  }

  async expectDisconnected(): Promise<void> {
    await expect(this.indicator).toHaveAttribute("data-connected", "false");
    await expect(this.indicator).toHaveAttribute("title", "WebSocket未连接");
  }
}
