// url -- build WebSocket URLs as the app does (same host as the page, ws: or wss: from the page's protocol), with an optional backend override.

/** The page location fields the URL depends on (window.location satisfies it). */
export interface PageLocation {
  protocol: string;
  host: string;
}

/**
 * Turns a backend override into a WebSocket origin: `http://h:p` -> `ws://h:p`, `https://h` -> `wss://h`,
 * `ws://` and `wss://` kept, a bare `h:p` -> `ws://h:p`. Any path or trailing slash is dropped.
 * Returns null for an empty or unreadable value.
 */
export function toWebSocketOrigin(override: string | null | undefined): string | null {
  const raw = (override ?? "").trim();
  if (raw === "") return null;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `ws://${raw}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    return null;
  }
  const scheme = { "http:": "ws:", "https:": "wss:", "ws:": "ws:", "wss:": "wss:" }[u.protocol];
  if (!scheme || u.host === "") return null;
  return `${scheme}//${u.host}`;
}

/**
 * `getWebSocketUrl(path)` of the app (PROTOCOL.md 4.1): `(https: ? "wss:" : "ws:") + "//" + location.host + path`.
 * With a backend origin (from `toWebSocketOrigin`) the path goes there instead.
 */
export function getWebSocketUrl(path: string, loc: PageLocation, backendOrigin: string | null = null): string {
  if (backendOrigin) return backendOrigin + path;
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}${path}`;
}

/** `/ws/coordinator`: the Agent Monitor's socket. */
export const COORDINATOR_PATH = "/ws/coordinator";

/** `/ws/workflow/{id}`; the pages use `pending` until an episode id is known. The id is percent-encoded. */
export function workflowPath(workflowId: string): string {
  return `/ws/workflow/${encodeURIComponent(workflowId)}`;
}

/** `/ws/agent/{name}`, percent-encoded. */
export function agentPath(agentName: string): string {
  return `/ws/agent/${encodeURIComponent(agentName)}`;
}
