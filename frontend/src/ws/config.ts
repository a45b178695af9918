// config -- the page's WebSocket settings, read once from the query string (ws, ws_initial, ws_factor, ...) and the Vite env, with documented defaults.
import { BackoffPolicy, DEFAULT_POLICY, validatePolicy } from "./backoff";
import { toWebSocketOrigin } from "./url";

export type HookMode = "corrected" | "legacy";

export interface WsConfig {
  /** `corrected` (default) or `legacy` (`?ws=legacy`: the original hook, a negative control). */
  mode: HookMode;
  policy: BackoffPolicy;
  /** `{"type":"ping"}` every this many ms while open; 0 turns it off. Default 30000 (the app's). */
  heartbeatMs: number;
  /** Messages kept while not connected; the oldest is dropped beyond this. Default 100. */
  queueLimit: number;
  /** A handshake still pending after this many ms is abandoned and counts as a failed attempt; 0 = never. Default 10000. */
  connectTimeoutMs: number;
  /** `ws://host:port` to connect to instead of the page's host, or null for same-origin (the default). */
  backendOrigin: string | null;
  /** Problems found in the parameters (the default was used for each). */
  warnings: string[];
}

export const DEFAULT_HEARTBEAT_MS = 30000;
export const DEFAULT_QUEUE_LIMIT = 100;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10000;

/** The query parameters this module reads (the ones a link should carry to keep the settings). */
export const WS_QUERY_PARAMS = [
  "ws",
  "ws_initial",
  "ws_factor",
  "ws_cap",
  "ws_max",
  "ws_jitter",
  "ws_heartbeat",
  "ws_queue",
  "ws_connect_timeout",
  "ws_backend",
] as const;

function readNumber(
  params: URLSearchParams,
  name: string,
  fallback: number,
  ok: (n: number) => boolean,
  warnings: string[],
  allowInfinity = false,
): number {
  const raw = params.get(name);
  if (raw === null || raw.trim() === "") return fallback;
  const t = raw.trim().toLowerCase();
  const n = allowInfinity && (t === "inf" || t === "infinity" || t === "unlimited") ? Infinity : Number(t);
  if (Number.isNaN(n) || !ok(n)) {
    warnings.push(`ignored ${name}=${raw}: using ${fallback}`);
    return fallback;
  }
  return n;
}

/**
 * Reads the settings from a query string (`location.search`) and the build-time env override
 * (`VITE_WS_BACKEND`). `ws_backend` in the query wins over the env; both default to same-origin.
 */
export function parseWsConfig(search: string, envBackend?: string): WsConfig {
  const params = new URLSearchParams(search);
  const warnings: string[] = [];
  const modeRaw = params.get("ws");
  let mode: HookMode = "corrected";
  if (modeRaw === "legacy") mode = "legacy";
  else if (modeRaw !== null && modeRaw !== "" && modeRaw !== "corrected") warnings.push(`ignored ws=${modeRaw}: using corrected`);

  const d = DEFAULT_POLICY;
  const nonNeg = (n: number) => Number.isFinite(n) && n >= 0;
  const policy: BackoffPolicy = {
    initialMs: readNumber(params, "ws_initial", d.initialMs, nonNeg, warnings),
    factor: readNumber(params, "ws_factor", d.factor, (n) => Number.isFinite(n) && n >= 1, warnings),
    capMs: readNumber(params, "ws_cap", d.capMs, nonNeg, warnings),
    maxAttempts: readNumber(params, "ws_max", d.maxAttempts, (n) => n >= 0 && (Number.isInteger(n) || n === Infinity), warnings, true),
    jitter: readNumber(params, "ws_jitter", d.jitter, (n) => Number.isFinite(n) && n >= 0 && n <= 1, warnings),
  };
  const problems = validatePolicy(policy);
  if (problems.length > 0) throw new Error(`invalid policy after parsing: ${problems.join("; ")}`); // unreachable: each field was checked

  const queryBackend = params.get("ws_backend");
  let backendOrigin: string | null = null;
  for (const [source, value] of [["ws_backend", queryBackend], ["VITE_WS_BACKEND", envBackend]] as const) {
    if (value === null || value === undefined || value.trim() === "") continue;
    backendOrigin = toWebSocketOrigin(value);
    if (backendOrigin) break;
    warnings.push(`ignored ${source}=${value}: not a URL or host:port`);
  }

  return {
    mode,
    policy,
    heartbeatMs: readNumber(params, "ws_heartbeat", DEFAULT_HEARTBEAT_MS, nonNeg, warnings),
    queueLimit: readNumber(params, "ws_queue", DEFAULT_QUEUE_LIMIT, (n) => Number.isInteger(n) && n >= 0, warnings),
    connectTimeoutMs: readNumber(params, "ws_connect_timeout", DEFAULT_CONNECT_TIMEOUT_MS, nonNeg, warnings),
    backendOrigin,
    warnings,
  };
}

/** The subset of a query string that carries these settings (so in-app links keep them), with its leading `?`, or "". */
export function wsSearchOnly(search: string): string {
  const params = new URLSearchParams(search);
  const kept = new URLSearchParams();
  for (const name of WS_QUERY_PARAMS) {
    const v = params.get(name);
    if (v !== null) kept.set(name, v);
  }
  const s = kept.toString();
  return s === "" ? "" : `?${s}`;
}
