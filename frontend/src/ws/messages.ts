// messages -- parse server frames and normalise progress, coordinator_metrics and agent_status (the real backend's shapes and the ones the original pages expected).

/** One decoded server frame: a JSON object with a string `type`. */
export type WsObject = { type: string } & Record<string, unknown>;

export type ParseResult = { ok: true; message: WsObject } | { ok: false; error: string };

/** Decodes one text frame. Only a JSON object with a string `type` is a message. */
export function parseFrame(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
  if (!isRecord(value)) return { ok: false, error: "not a JSON object" };
  if (typeof value.type !== "string") return { ok: false, error: "no string 'type'" };
  return { ok: true, message: value as WsObject };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/**
 * Parses a backend timestamp. The backend writes naive UTC (`2026-11-25T19:49:44.657641`, no zone), so a
 * timestamp without a zone is read as UTC; one with `Z` or an offset is read as given. Epoch numbers
 * (ms) are accepted too. Returns null when it cannot be read.
 */
export function parseBackendTimestamp(v: unknown): Date | null {
  if (typeof v === "number" && Number.isFinite(v)) return new Date(v);
  if (typeof v !== "string" || v === "") return null;
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(v.trim());
  if (!m) return null;
  const frac = m[3] ? m[3].slice(0, 4) : ""; // Date keeps milliseconds only
  const zone = m[4] ?? "Z";
  const d = new Date(`${m[1]}T${m[2]}${frac}${zone}`);
  return Number.isNaN(d.getTime()) ? null : d;
}

// ---------------------------------------------------------------------------------------------------
// coordinator_metrics

/** What the Agent Monitor shows, whichever shape arrived. Fields the message does not carry are undefined. */
export interface CoordinatorMetricsView {
  /** `top-level`: the real backend (PROTOCOL.md 2.3); `nested`: `{metrics:{...}}` as the original page expected. */
  shape: "top-level" | "nested";
  totalAgents?: number;
  activeWorkflows?: number;
  completedWorkflows?: number;
  failedWorkflows?: number;
  healthyAgents?: number;
  totalWorkflows?: number;
  totalMessages?: number;
  queueSize?: number;
  deadLetters?: number;
  /** Agents carried by the nested shape (`metrics.agents`); undefined when the message has none. */
  agents?: AgentInfo[];
  timestamp: Date | null;
}

/**
 * Normalises a `coordinator_metrics` message. The real backend spreads seven integers at the top level
 * (`registered_agents`, `active_workflows`, ...); the original page read `metrics.total_agents`,
 * `.active_workflows`, `.completed_workflows`, `.failed_workflows` and `.agents` (PROTOCOL.md 6, 9.1).
 * `registered_agents` is shown as Total Agents. Returns null for another type or a message with neither shape.
 */
export function normalizeCoordinatorMetrics(msg: WsObject, receivedAt: Date = new Date()): CoordinatorMetricsView | null {
  if (msg.type !== "coordinator_metrics") return null;
  const timestamp = parseBackendTimestamp(msg.timestamp);
  if (isRecord(msg.metrics)) {
    const m = msg.metrics;
    const view: CoordinatorMetricsView = {
      shape: "nested",
      totalAgents: num(m.total_agents) ?? num(m.registered_agents),
      activeWorkflows: num(m.active_workflows),
      completedWorkflows: num(m.completed_workflows),
      failedWorkflows: num(m.failed_workflows),
      healthyAgents: num(m.healthy_agents),
      totalWorkflows: num(m.total_workflows),
      totalMessages: num(m.total_messages),
      queueSize: num(m.queue_size),
      deadLetters: num(m.dead_letters),
      timestamp,
    };
    if (m.agents !== undefined) view.agents = normalizeAgentCollection(m.agents, timestamp ?? receivedAt);
    return view;
  }
  const topKeys = ["registered_agents", "healthy_agents", "active_workflows", "total_workflows", "total_messages", "queue_size", "dead_letters"];
  if (!topKeys.some((k) => num(msg[k]) !== undefined)) return null;
  return {
    shape: "top-level",
    totalAgents: num(msg.registered_agents) ?? num(msg.total_agents),
    activeWorkflows: num(msg.active_workflows),
    completedWorkflows: num(msg.completed_workflows),
    failedWorkflows: num(msg.failed_workflows),
    healthyAgents: num(msg.healthy_agents),
    totalWorkflows: num(msg.total_workflows),
    totalMessages: num(msg.total_messages),
    queueSize: num(msg.queue_size),
    deadLetters: num(msg.dead_letters),
    timestamp,
  };
}

// ---------------------------------------------------------------------------------------------------
// agents

export const AGENT_STATUSES = ["idle", "busy", "error", "offline"] as const;
export type KnownAgentStatus = (typeof AGENT_STATUSES)[number];

/** Agent metrics in the units the card shows. */
export interface AgentMetricsView {
  tasksCompleted?: number;
  tasksFailed?: number;
  avgResponseTimeMs?: number;
  uptimeSeconds?: number;
  isHealthy?: boolean;
}

export interface AgentInfo {
  name: string;
  /** `idle` | `busy` | `error` | `offline`, or whatever string arrived (the card shows `?` for it). */
  status: string;
  /** Always an array: the backend never sends capabilities, and the original page crashed without one. */
  capabilities: string[];
  currentTask?: string;
  metrics?: AgentMetricsView;
  lastUpdate: Date | null;
}

/**
 * Maps either metric vocabulary to the card's:
 * - frontend names: `tasks_completed`, `tasks_failed`, `avg_response_time` (ms), `uptime` (s);
 * - backend names (PROTOCOL.md 2.2, 6): `message_count`, `error_count`, `avg_execution_time` (s), `is_healthy`.
 *   Completed is `message_count - error_count` (never below 0), Failed is `error_count`, Avg Response is
 *   `avg_execution_time * 1000`; the backend has no uptime.
 */
export function normalizeAgentMetrics(v: unknown): AgentMetricsView | undefined {
  if (!isRecord(v)) return undefined;
  const out: AgentMetricsView = {};
  const messageCount = num(v.message_count);
  const errorCount = num(v.error_count);
  out.tasksCompleted = num(v.tasks_completed) ?? (messageCount !== undefined ? Math.max(messageCount - (errorCount ?? 0), 0) : undefined);
  out.tasksFailed = num(v.tasks_failed) ?? errorCount;
  const avgExec = num(v.avg_execution_time);
  out.avgResponseTimeMs = num(v.avg_response_time) ?? (avgExec !== undefined ? avgExec * 1000 : undefined);
  out.uptimeSeconds = num(v.uptime);
  if (typeof v.is_healthy === "boolean") out.isHealthy = v.is_healthy;
  return out;
}

function firstStringArray(...sources: unknown[]): string[] | undefined {
  for (const s of sources) if (Array.isArray(s)) return s.filter((c): c is string => typeof c === "string");
  return undefined;
}

/** One agent record of the nested `metrics.agents` map (or array), as the original page expected it. */
function normalizeAgentRecord(name: string, v: unknown, fallbackTime: Date | null): AgentInfo | null {
  if (!isRecord(v)) return null;
  const status = isRecord(v.status) ? str(v.status.status) : str(v.status);
  return {
    name: str(v.name) ?? name,
    status: status ?? "offline",
    capabilities: firstStringArray(v.capabilities) ?? [],
    currentTask: str(v.currentTask) ?? str(v.current_task),
    metrics: normalizeAgentMetrics(v.metrics),
    lastUpdate: parseBackendTimestamp(v.lastUpdate) ?? parseBackendTimestamp(v.last_update) ?? fallbackTime,
  };
}

/** `metrics.agents`: a map name -> record, or an array of records with `name`. */
export function normalizeAgentCollection(v: unknown, fallbackTime: Date | null): AgentInfo[] {
  const out: AgentInfo[] = [];
  if (Array.isArray(v)) {
    for (const rec of v) {
      const name = isRecord(rec) ? str(rec.name) ?? str(rec.agent_name) : undefined;
      const a = name !== undefined ? normalizeAgentRecord(name, rec, fallbackTime) : null;
      if (a) out.push(a);
    }
  } else if (isRecord(v)) {
    for (const [name, rec] of Object.entries(v)) {
      const a = normalizeAgentRecord(name, rec, fallbackTime);
      if (a) out.push(a);
    }
  }
  return out;
}

/**
 * Normalises an `agent_status` message, in either form (PROTOCOL.md 2.2, 9.3):
 * - broadcast: `{"agent_name", "timestamp", "status": "busy", "metrics": {...}}` (status a string);
 * - connect time: `{"agent_name", "status": {"name", "status", "registered_at", "metrics": {..., "last_heartbeat"}}}`.
 * The object form may also carry the frontend's fields (`capabilities`, `currentTask`, `lastUpdate`).
 * `lastUpdate` is the message timestamp, else the object's `lastUpdate` / `last_heartbeat`, else `receivedAt`.
 * Returns null for another type or a message without an agent name.
 */
export function normalizeAgentStatus(msg: WsObject, receivedAt: Date = new Date()): AgentInfo | null {
  if (msg.type !== "agent_status") return null;
  const s = msg.status;
  const obj = isRecord(s) ? s : undefined;
  const name = str(msg.agent_name) ?? str(obj?.name) ?? str(msg.name);
  if (name === undefined || name === "") return null;
  const status = obj ? str(obj.status) : str(s);
  const objMetrics = obj && isRecord(obj.metrics) ? obj.metrics : undefined;
  const metricsSource = isRecord(msg.metrics) && Object.keys(msg.metrics).length > 0 ? msg.metrics : objMetrics ?? msg.metrics;
  const lastUpdate =
    parseBackendTimestamp(msg.timestamp) ??
    parseBackendTimestamp(obj?.lastUpdate) ??
    parseBackendTimestamp(objMetrics?.last_heartbeat) ??
    receivedAt;
  const info: AgentInfo = {
    name,
    status: status ?? "offline",
    capabilities: firstStringArray(obj?.capabilities, msg.capabilities) ?? [],
    metrics: normalizeAgentMetrics(metricsSource),
    lastUpdate,
  };
  const task = str(obj?.currentTask) ?? str(obj?.current_task) ?? str(msg.currentTask);
  if (task !== undefined) info.currentTask = task;
  return info;
}

/** Merges an update into the previous record of the same agent: capabilities and a task survive an update without them. */
export function mergeAgent(prev: AgentInfo | undefined, next: AgentInfo): AgentInfo {
  if (!prev) return next;
  return {
    ...next,
    capabilities: next.capabilities.length > 0 ? next.capabilities : prev.capabilities,
    currentTask: next.currentTask ?? (next.status === "busy" ? prev.currentTask : undefined),
    metrics: next.metrics ?? prev.metrics,
  };
}

// ---------------------------------------------------------------------------------------------------
// progress

export interface ProgressUpdate {
  workflowId: string;
  /** `pending` | `running` | `completed` | `failed` | `cancelled`; null when absent (the coordinator's per-stage form). */
  state: string | null;
  /** 0..1, or null when absent. */
  progress: number | null;
  /** The string stage (`outline`, ...), or `N/M` built from the coordinator's integer stage; null when absent. */
  stage: string | null;
  message: string | null;
  tasks: string[];
  error: string | null;
  timestamp: Date | null;
}

/**
 * Normalises a `progress` message: the broadcaster's form (`state, progress, stage, message, details`) and the
 * coordinator-native form (integer `stage`, `total_stages`, `tasks`, no state) of PROTOCOL.md 5.
 * Returns null for another type or a message without a workflow id.
 */
export function normalizeProgress(msg: WsObject): ProgressUpdate | null {
  if (msg.type !== "progress") return null;
  const workflowId = str(msg.workflow_id);
  if (workflowId === undefined) return null;
  const details = isRecord(msg.details) ? msg.details : {};
  const p = num(msg.progress);
  let stage: string | null = str(msg.stage) ?? null;
  const stageNo = num(msg.stage);
  if (stage === null && stageNo !== undefined) {
    const total = num(msg.total_stages);
    stage = total !== undefined ? `${stageNo}/${total}` : String(stageNo);
  }
  return {
    workflowId,
    state: str(msg.state) ?? null,
    progress: p === undefined ? null : Math.min(Math.max(p, 0), 1),
    stage,
    message: str(msg.message) ?? null,
    tasks: firstStringArray(details.tasks, msg.tasks) ?? [],
    error: str(details.error) ?? null,
    timestamp: parseBackendTimestamp(msg.timestamp),
  };
}
