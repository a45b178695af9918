// AgentStatusCard -- one agent in the Agent Monitor grid: status icon and badge, capabilities, metrics rows and last update, as the app renders it.
import { AgentInfo } from "../ws/messages";

const STATUS_STYLE: Record<string, { icon: string; color: string }> = {
  idle: { icon: "●", color: "#10b981" },
  busy: { icon: "◐", color: "#f59e0b" },
  error: { icon: "✗", color: "#ef4444" },
  offline: { icon: "○", color: "#6b7280" },
};
const UNKNOWN_STYLE = { icon: "?", color: "#9ca3af" };

export function statusStyle(status: string): { icon: string; color: string } {
  return STATUS_STYLE[status] ?? UNKNOWN_STYLE;
}

/** `Nms` (rounded) or `N/A`. */
export function formatResponseTime(ms: number | undefined): string {
  return ms === undefined ? "N/A" : `${Math.round(ms)}ms`;
}

/** `Hh Mm` from seconds, or `N/A`. */
export function formatUptime(seconds: number | undefined): string {
  if (seconds === undefined) return "N/A";
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return `${h}h ${m}m`;
}

export function AgentStatusCard({ agent }: { agent: AgentInfo }) {
  const { icon, color } = statusStyle(agent.status);
  const m = agent.metrics;
  return (
    <div className="agent-status-card glass-card" data-testid="agent-card" data-agent={agent.name} data-status={agent.status}>
      <div className="agent-card-header">
        <span className="agent-status-icon" data-testid="agent-status-icon" style={{ color }}>
          {icon}
        </span>
        <h3 className="agent-name" data-testid="agent-name">
          {agent.name}
        </h3>
        <span className="agent-status-badge" data-testid="agent-status-badge" style={{ borderColor: color, color }}>
          {agent.status.toUpperCase()}
        </span>
      </div>
      {agent.currentTask && (
        <div className="agent-current-task" data-testid="agent-current-task">
          Current task: {agent.currentTask}
        </div>
      )}
      {agent.capabilities.length > 0 && (
        <div className="agent-capabilities" data-testid="agent-capabilities">
          {agent.capabilities.map((c) => (
            <span key={c} className="capability-tag">
              {c}
            </span>
          ))}
        </div>
      )}
      {m && (
        <div className="agent-metrics">
          <div className="agent-metric-row" data-testid="agent-metric-completed">
            <span className="agent-metric-label">Completed:</span>
            <span className="agent-metric-value">{m.tasksCompleted ?? "N/A"}</span>
          </div>
          <div className="agent-metric-row" data-testid="agent-metric-failed">
            <span className="agent-metric-label">Failed:</span>
            <span className="agent-metric-value">{m.tasksFailed ?? "N/A"}</span>
          </div>
          <div className="agent-metric-row" data-testid="agent-metric-avg-response">
            <span className="agent-metric-label">Avg Response:</span>
            <span className="agent-metric-value">{formatResponseTime(m.avgResponseTimeMs)}</span>
          </div>
          <div className="agent-metric-row" data-testid="agent-metric-uptime">
            <span className="agent-metric-label">Uptime:</span>
            <span className="agent-metric-value">{formatUptime(m.uptimeSeconds)}</span>
          </div>
          {m.isHealthy !== undefined && (
            <div className="agent-metric-row" data-testid="agent-metric-healthy">
              <span className="agent-metric-label">Healthy:</span>
              <span className="agent-metric-value">{m.isHealthy ? "yes" : "no"}</span>
            </div>
          )}
        </div>
      )}
      <div className="agent-card-footer" data-testid="agent-last-update">
        Last update: {agent.lastUpdate ? agent.lastUpdate.toLocaleTimeString() : "N/A"}
      </div>
    </div>
  );
}
