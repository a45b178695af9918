// useAppWebSocket -- what the pages call: builds the URL the app's way and runs the corrected hook, or the original one in legacy mode.
import { WsObject } from "../ws/messages";
import { getWebSocketUrl } from "../ws/url";
import { useLegacyWebSocket } from "./useLegacyWebSocket";
import { useWebSocket, UseWebSocketResult } from "./useWebSocket";
import { useWsConfig } from "./WsConfigContext";

export interface AppWebSocket extends UseWebSocketResult {
  url: string | null;
  mode: "corrected" | "legacy";
}

/**
 * Connects to `path` (e.g. `/ws/coordinator`; null = no socket) on the page's host, or on the backend
 * override. The mode is fixed for the app's lifetime (read once at start-up), so the hook called here never
 * changes between renders of a component.
 */
export function useAppWebSocket(path: string | null, onMessage: (message: WsObject) => void): AppWebSocket {
  const config = useWsConfig();
  const url = path === null ? null : getWebSocketUrl(path, window.location, config.backendOrigin);
  if (config.mode === "legacy") {
    // The original wrappers pass reconnect:true, reconnectAttempts:5 and the default 1000 ms interval
    // (here ws_initial, so tests can speed it up), and an inline callback.
    const r = useLegacyWebSocket(url, {
      onMessage,
      reconnect: true,
      reconnectInterval: config.policy.initialMs,
      reconnectAttempts: 5,
      heartbeatInterval: config.heartbeatMs,
    });
    return { ...r, url, mode: "legacy" };
  }
  const r = useWebSocket(url, {
    onMessage,
    policy: config.policy,
    heartbeatMs: config.heartbeatMs,
    queueLimit: config.queueLimit,
    connectTimeoutMs: config.connectTimeoutMs,
  });
  return { ...r, url, mode: "corrected" };
}
