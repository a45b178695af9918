// ReconnectStatus -- the connection line every WebSocket page shows: connected, "Reconnecting in N s (attempt k/N)", or gave up with "Retry now".
import { useEffect, useState } from "react";
import { SocketStatus } from "../ws/reconnectingSocket";

export interface ReconnectStatusProps {
  status: SocketStatus;
  mode: "corrected" | "legacy";
  onRetry: () => void;
}

function attemptsLabel(n: number): string {
  return Number.isFinite(n) ? String(n) : "∞";
}

/** The whole seconds left until `retryAt` (rounded up), refreshed while a reconnect is scheduled. */
function useSecondsLeft(retryAt: number | null): number | null {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (retryAt === null) return undefined;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(t);
  }, [retryAt]);
  if (retryAt === null) return null;
  return Math.max(0, Math.ceil((retryAt - now) / 1000));
}

export function reconnectText(status: SocketStatus, secondsLeft: number | null): string {
  const max = attemptsLabel(status.maxAttempts);
  switch (status.phase) {
    case "open":
      return "Connected";
    case "connecting":
      return status.attempt > 0 ? `Connecting (attempt ${status.attempt}/${max})…` : "Connecting…";
    case "reconnecting":
      return `Reconnecting in ${secondsLeft ?? Math.ceil((status.delayMs ?? 0) / 1000)} s (attempt ${status.attempt}/${max})`;
    case "gave_up":
      return `Gave up after ${max} reconnect attempts`;
    case "closed":
      return "Disconnected";
    case "idle":
      return "Not connected";
  }
}

export function ReconnectStatus({ status, mode, onRetry }: ReconnectStatusProps) {
  const secondsLeft = useSecondsLeft(status.phase === "reconnecting" ? status.retryAt : null);
  if (mode === "legacy") {
    return (
      <div className="reconnect-status reconnect-status-legacy" data-testid="reconnect-status" data-phase={status.phase} data-mode="legacy" data-attempt={status.attempt}>
        Legacy hook (original behaviour): {status.phase === "open" ? "connected" : "not connected"}, reconnects so far: {status.attempt}
      </div>
    );
  }
  return (
    <div
      className={`reconnect-status reconnect-status-${status.phase}`}
      data-testid="reconnect-status"
      data-mode="corrected"
      data-phase={status.phase}
      data-attempt={status.attempt}
      data-max-attempts={attemptsLabel(status.maxAttempts)}
      data-delay-ms={status.delayMs ?? ""}
      data-opens={status.opens}
      data-queued={status.queued}
      data-dropped={status.dropped}
      role="status"
    >
      <span data-testid="reconnect-text">{reconnectText(status, secondsLeft)}</span>
      {status.phase === "gave_up" && (
        <button type="button" className="glass-button retry-button" data-testid="retry-button" onClick={onRetry}>
          Retry now
        </button>
      )}
    </div>
  );
}
