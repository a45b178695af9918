// AgentMonitor -- the /agents page: /ws/coordinator connection status, metric cards, status filters, search and agent cards (PROTOCOL.md 4.4).
import { useCallback, useMemo, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { AgentStatusCard } from "../components/AgentStatusCard";
import { ReconnectStatus } from "../components/ReconnectStatus";
import { useAppWebSocket } from "../hooks/useAppWebSocket";
import {
  AgentInfo,
  CoordinatorMetricsView,
  mergeAgent,
  normalizeAgentStatus,
  normalizeCoordinatorMetrics,
  WsObject,
} from "../ws/messages";
import { agentPath, COORDINATOR_PATH } from "../ws/url";

type Filter = "all" | "idle" | "busy" | "error" | "offline";
const FILTERS: { key: Filter; label: string }[] = [
  { key: "all", label: "All" },
  { key: "idle", label: "Idle" },
  { key: "busy", label: "Busy" },
  { key: "error", label: "Error" },
  { key: "offline", label: "Offline" },
];

type AgentMap = Record<string, AgentInfo>;

/** The state update for one message on any of the page's sockets. */
export function applyMonitorMessage(
  prev: { metrics: CoordinatorMetricsView | null; agents: AgentMap },
  msg: WsObject,
  receivedAt: Date,
): { metrics: CoordinatorMetricsView | null; agents: AgentMap } {
  if (msg.type === "coordinator_metrics") {
    const metrics = normalizeCoordinatorMetrics(msg, receivedAt);
    if (!metrics) return prev;
    if (!metrics.agents) return { metrics, agents: prev.agents };
    const agents: AgentMap = {};
    for (const a of metrics.agents) agents[a.name] = mergeAgent(prev.agents[a.name], a);
    return { metrics, agents };
  }
  if (msg.type === "agent_status") {
    const a = normalizeAgentStatus(msg, receivedAt);
    if (!a) return prev;
    return { metrics: prev.metrics, agents: { ...prev.agents, [a.name]: mergeAgent(prev.agents[a.name], a) } };
  }
  return prev;
}

function MetricCard({ id, label, value }: { id: string; label: string; value: number | undefined }) {
  return (
    <div className="metric-card glass-card" data-testid={`metric-${id}`}>
      <div className="metric-value" data-testid={`metric-${id}-value`}>
        {value ?? "N/A"}
      </div>
      <div className="metric-label">{label}</div>
    </div>
  );
}

/** One extra socket to `/ws/agent/{name}` (`?watch_agents=a,b`): the only place the real backend sends agent_status. */
function AgentSocket({ name, onMessage }: { name: string; onMessage: (m: WsObject) => void }) {
  const ws = useAppWebSocket(agentPath(name), onMessage);
  return (
    <span className="agent-socket" data-testid="agent-socket" data-agent={name} data-connected={ws.isConnected ? "true" : "false"}>
      {name} {ws.isConnected ? "●" : "○"}
    </span>
  );
}

export function AgentMonitor() {
  const [state, setState] = useState<{ metrics: CoordinatorMetricsView | null; agents: AgentMap }>({ metrics: null, agents: {} });
  const [filter, setFilter] = useState<Filter>("all");
  const [search, setSearch] = useState("");
  const [params] = useSearchParams();
  const watched = useMemo(
    () =>
      (params.get("watch_agents") ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter((s, i, all) => s !== "" && all.indexOf(s) === i),
    [params],
  );

  // Unlike the original (which only took coordinator_metrics with a nested `metrics`), every shape the
  // backend can send is understood, and agent_status is taken from any of the page's sockets.
  const onMessage = useCallback((msg: WsObject) => {
    const receivedAt = new Date();
    setState((prev) => applyMonitorMessage(prev, msg, receivedAt));
  }, []);

  const ws = useAppWebSocket(COORDINATOR_PATH, onMessage);

  const agents = useMemo(() => Object.values(state.agents).sort((a, b) => a.name.localeCompare(b.name)), [state.agents]);
  const counts = useMemo(() => {
    const c: Record<Filter, number> = { all: agents.length, idle: 0, busy: 0, error: 0, offline: 0 };
    for (const a of agents) if (a.status in c && a.status !== "all") c[a.status as Filter] += 1;
    return c;
  }, [agents]);
  const visible = useMemo(() => {
    const q = search.trim().toLowerCase();
    return agents.filter(
      (a) =>
        (filter === "all" || a.status === filter) &&
        (q === "" || a.name.toLowerCase().includes(q) || a.capabilities.some((c) => c.toLowerCase().includes(q))),
    );
  }, [agents, filter, search]);

  const m = state.metrics;
  return (
    <div className="agent-monitor" data-testid="agent-monitor" data-ws-mode={ws.mode}>
      <div className="agent-monitor-header">
        <h1>Agent Monitor Dashboard</h1>
        <div className="agent-monitor-connection-status">
          {ws.isConnected ? (
            <span className="connection-status-connected" data-testid="connection-status">
              ● Connected
            </span>
          ) : (
            <span className="connection-status-disconnected" data-testid="connection-status">
              ○ Disconnected
            </span>
          )}
        </div>
      </div>
      <ReconnectStatus status={ws.status} mode={ws.mode} onRetry={ws.retryNow} />
      <div className="ws-url" data-testid="ws-url">
        {ws.url}
      </div>
      {watched.length > 0 && (
        <div className="agent-sockets" data-testid="agent-sockets">
          Agent sockets:{" "}
          {watched.map((name) => (
            <AgentSocket key={name} name={name} onMessage={onMessage} />
          ))}
        </div>
      )}

      {m && (
        <div className="agent-monitor-metrics" data-testid="metrics" data-shape={m.shape}>
          <MetricCard id="total-agents" label="Total Agents" value={m.totalAgents} />
          <MetricCard id="active-workflows" label="Active Workflows" value={m.activeWorkflows} />
          <MetricCard id="completed" label="Completed" value={m.completedWorkflows} />
          <MetricCard id="failed" label="Failed" value={m.failedWorkflows} />
          {m.shape === "top-level" && (
            <>
              <MetricCard id="healthy-agents" label="Healthy Agents" value={m.healthyAgents} />
              <MetricCard id="total-workflows" label="Total Workflows" value={m.totalWorkflows} />
              <MetricCard id="total-messages" label="Messages" value={m.totalMessages} />
              <MetricCard id="queue-size" label="Queue" value={m.queueSize} />
              <MetricCard id="dead-letters" label="Dead Letters" value={m.deadLetters} />
            </>
          )}
        </div>
      )}

      <div className="agent-monitor-controls">
        <div className="agent-monitor-filters">
          {FILTERS.map((f) => (
            <button
              key={f.key}
              type="button"
              className={filter === f.key ? "filter-button glass-button active" : "filter-button glass-button"}
              data-testid={`filter-${f.key}`}
              aria-pressed={filter === f.key}
              onClick={() => setFilter(f.key)}
            >
              {f.label} ({counts[f.key]})
            </button>
          ))}
        </div>
        <input
          type="text"
          className="agent-monitor-search glass-input"
          data-testid="agent-search"
          placeholder="Search agents or capabilities..."
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
      </div>

      <div className="agent-monitor-grid" data-testid="agent-grid">
        {visible.length === 0 ? (
          <div className="agent-monitor-empty" data-testid="agent-empty">
            {agents.length === 0 ? (
              <p>No agents registered yet. Waiting for agents to connect...</p>
            ) : (
              <p>No agents match the current filter and search criteria.</p>
            )}
          </div>
        ) : (
          visible.map((a) => <AgentStatusCard key={a.name} agent={a} />)
        )}
      </div>
    </div>
  );
}
