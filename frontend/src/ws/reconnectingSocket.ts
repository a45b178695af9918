// reconnectingSocket -- one logical WebSocket connection with the corrected reconnect policy, heartbeat and bounded send queue; no React.
import { BackoffPolicy, reconnectDelay } from "./backoff";
import { parseFrame, WsObject } from "./messages";

/** The subset of the browser WebSocket this module uses (a fake implements it in tests). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: Event) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

const CONNECTING = 0;
const OPEN = 1;

/**
 * - `idle`: not started. `connecting`: a handshake is in progress. `open`: connected.
 * - `reconnecting`: closed, and the next attempt is scheduled (`delayMs`, `retryAt`).
 * - `gave_up`: closed after the last allowed attempt; only `retryNow()` starts again.
 * - `closed`: stopped on purpose (`stop()`); never reconnects by itself.
 */
export type Phase = "idle" | "connecting" | "open" | "reconnecting" | "gave_up" | "closed";

export interface SocketStatus {
  phase: Phase;
  /** The reconnect attempt in progress or scheduled (1-based); 0 for the first connect and while open. */
  attempt: number;
  maxAttempts: number;
  /** The scheduled delay while `reconnecting`, else null. */
  delayMs: number | null;
  /** `now() + delayMs` when the reconnect was scheduled, else null. */
  retryAt: number | null;
  lastClose: { code: number; reason: string; wasClean: boolean } | null;
  /** Successful opens so far. */
  opens: number;
  /** Messages waiting in the send queue, and messages dropped from it because it was full. */
  queued: number;
  dropped: number;
}

export interface ReconnectingSocketOptions {
  url: string;
  policy: BackoffPolicy;
  /** `{"type":"ping"}` every this many ms while open; 0 = off. */
  heartbeatMs: number;
  /** The send queue keeps at most this many messages while not open; the oldest is dropped first. */
  queueLimit: number;
  /** 0 = off; otherwise a handshake not open after this long is abandoned and counts as a failed attempt. */
  connectTimeoutMs: number;
  createSocket?: WebSocketFactory;
  random?: () => number;
  now?: () => number;
  /** Every decoded message except `pong`. An exception thrown here is logged and does not affect the socket. */
  onMessage?: (message: WsObject) => void;
  onStatus?: (status: SocketStatus) => void;
  log?: (level: "info" | "warn" | "error", text: string, detail?: unknown) => void;
}

export type SendResult = "sent" | "queued" | "dropped";

const PING = JSON.stringify({ type: "ping" });

function defaultFactory(url: string): WebSocketLike {
  return new WebSocket(url);
}

function defaultLog(level: "info" | "warn" | "error", text: string, detail?: unknown): void {
  const args = detail === undefined ? [text] : [text, detail];
  if (level === "error") console.error(...args);
  else if (level === "warn") console.warn(...args);
  else console.info(...args);
}

/**
 * The corrected connection logic. Every handler checks that its socket is still the current one, so a
 * socket that was replaced or stopped can never schedule a reconnect or change the status ("no ghosts").
 */
export class ReconnectingSocket {
  readonly url: string;
  private readonly opts: ReconnectingSocketOptions;
  private readonly createSocket: WebSocketFactory;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly log: NonNullable<ReconnectingSocketOptions["log"]>;
  private ws: WebSocketLike | null = null;
  private stopped = true;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private queue: string[] = [];
  private st: SocketStatus;

  constructor(opts: ReconnectingSocketOptions) {
    this.opts = opts;
    this.url = opts.url;
    this.createSocket = opts.createSocket ?? defaultFactory;
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? defaultLog;
    this.st = {
      phase: "idle",
      attempt: 0,
      maxAttempts: opts.policy.maxAttempts,
      delayMs: null,
      retryAt: null,
      lastClose: null,
      opens: 0,
      queued: 0,
      dropped: 0,
    };
  }

  get status(): SocketStatus {
    return { ...this.st };
  }

  /** Opens the first connection. Does nothing if already started. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    this.openSocket();
  }

  /** Intentional close: closes the socket (code 1000), cancels every timer, never reconnects. */
  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.discardSocket(1000, "client closed");
    this.queue = [];
    this.update({ phase: "closed", delayMs: null, retryAt: null, queued: 0 });
  }

  /** Starts over at once: the attempt counter is reset and any scheduled reconnect or pending socket is replaced. */
  retryNow(): void {
    this.clearTimers();
    this.discardSocket(1000, "retry");
    this.stopped = false;
    this.attempt = 0;
    this.openSocket();
  }

  /**
   * Sends a message (an object is JSON-encoded). While not open it is queued, and flushed in order on the next
   * open; beyond `queueLimit` the oldest queued message is dropped. After `stop()` nothing is queued.
   */
  send(data: string | object): SendResult {
    const text = typeof data === "string" ? data : JSON.stringify(data);
    if (this.ws && this.ws.readyState === OPEN) {
      this.ws.send(text);
      return "sent";
    }
    if (this.stopped || this.opts.queueLimit <= 0) {
      this.update({ dropped: this.st.dropped + 1 });
      return "dropped";
    }
    this.queue.push(text);
    let dropped = this.st.dropped;
    while (this.queue.length > this.opts.queueLimit) {
      this.queue.shift();
      dropped += 1;
    }
    this.update({ queued: this.queue.length, dropped });
    return "queued";
  }

  private update(patch: Partial<SocketStatus>): void {
    this.st = { ...this.st, ...patch };
    this.opts.onStatus?.({ ...this.st });
  }

  private clearTimers(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.retryTimer = this.connectTimer = this.heartbeatTimer = null;
  }

  /** Detaches the current socket's handlers (so its late events are ignored) and closes it. */
  private discardSocket(code: number, reason: string): void {
    const ws = this.ws;
    this.ws = null;
    if (!ws) return;
    ws.onopen = ws.onclose = ws.onmessage = ws.onerror = null;
    try {
      ws.close(code, reason);
    } catch (e) {
      this.log("warn", "[WebSocket] close failed:", e);
    }
  }

  private openSocket(): void {
    let ws: WebSocketLike;
    this.update({ phase: "connecting", attempt: this.attempt, delayMs: null, retryAt: null });
    try {
      ws = this.createSocket(this.url);
    } catch (e) {
      // The constructor throws only for a malformed URL; treat it like a failed handshake.
      this.log("error", `[WebSocket] Cannot open ${this.url}:`, e);
      this.scheduleReconnect({ code: 1006, reason: String(e), wasClean: false });
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.handleOpen(ws);
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (this.ws !== ws) return;
      this.handleMessage(ev.data);
    };
    ws.onerror = () => {
      // A close event always follows an error; the reconnect is decided there.
    };
    ws.onclose = (ev: CloseEvent) => {
      if (this.ws !== ws) return;
      this.handleClose({ code: ev.code, reason: ev.reason, wasClean: ev.wasClean });
    };
    if (this.opts.connectTimeoutMs > 0) {
      this.connectTimer = setTimeout(() => {
        this.connectTimer = null;
        if (this.ws !== ws || ws.readyState !== CONNECTING) return;
        this.log("warn", `[WebSocket] No handshake after ${this.opts.connectTimeoutMs} ms: ${this.url}`);
        this.discardSocket(1000, "connect timeout");
        this.afterClose({ code: 1006, reason: "connect timeout", wasClean: false });
      }, this.opts.connectTimeoutMs);
    }
  }

  private handleOpen(ws: WebSocketLike): void {
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.attempt = 0; // a successful open starts the next outage at the initial delay
    const pending = this.queue;
    this.queue = [];
    this.update({ phase: "open", attempt: 0, delayMs: null, retryAt: null, opens: this.st.opens + 1, queued: 0 });
    for (const text of pending) {
      if (this.ws !== ws || ws.readyState !== OPEN) break;
      ws.send(text);
    }
    if (this.opts.heartbeatMs > 0) {
      this.heartbeatTimer = setInterval(() => {
        if (this.ws === ws && ws.readyState === OPEN) ws.send(PING);
      }, this.opts.heartbeatMs);
    }
  }

  private handleMessage(data: unknown): void {
    if (typeof data !== "string") return; // the backend never sends binary frames
    const r = parseFrame(data);
    if (!r.ok) {
      this.log("warn", `[WebSocket] Ignored a frame (${r.error})`);
      return;
    }
    if (r.message.type === "pong") return;
    try {
      this.opts.onMessage?.(r.message);
    } catch (e) {
      this.log("error", "[WebSocket] Message handler failed:", e);
    }
  }

  private handleClose(close: { code: number; reason: string; wasClean: boolean }): void {
    this.ws = null;
    this.afterClose(close);
  }

  /** Only ever reached for the current socket: stop() detached the handlers and cleared the timers that lead here. */
  private afterClose(close: { code: number; reason: string; wasClean: boolean }): void {
    this.clearTimers();
    this.scheduleReconnect(close);
  }

  private scheduleReconnect(close: { code: number; reason: string; wasClean: boolean }): void {
    const next = this.attempt + 1;
    const delay = reconnectDelay(this.opts.policy, next, this.random);
    if (delay === null) {
      this.log("warn", `[WebSocket] Gave up after ${this.opts.policy.maxAttempts} reconnect attempts: ${this.url}`);
      this.update({ phase: "gave_up", lastClose: close, delayMs: null, retryAt: null, attempt: this.attempt });
      return;
    }
    this.log("info", `[WebSocket] Reconnecting in ${delay}ms (attempt ${next}/${this.opts.policy.maxAttempts})`);
    this.update({ phase: "reconnecting", attempt: next, delayMs: delay, retryAt: this.now() + delay, lastClose: close });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.attempt = next;
      this.openSocket();
    }, delay);
  }
}
