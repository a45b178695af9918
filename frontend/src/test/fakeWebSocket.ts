// fakeWebSocket -- a scriptable stand-in for the browser WebSocket: tests open, feed, drop and inspect sockets; events go through (fake) timers like a browser's tasks.

type Handler<E> = ((ev: E) => void) | null;

export class FakeWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;

  /** Every socket created since the last `reset()`, in order. */
  static instances: FakeWebSocket[] = [];

  static reset(): void {
    FakeWebSocket.instances = [];
  }

  /** Sockets that are not CLOSED (connecting, open or closing). */
  static live(): FakeWebSocket[] {
    return FakeWebSocket.instances.filter((s) => s.readyState !== FakeWebSocket.CLOSED);
  }

  static last(): FakeWebSocket {
    const s = FakeWebSocket.instances[FakeWebSocket.instances.length - 1];
    if (!s) throw new Error("no FakeWebSocket was created");
    return s;
  }

  readonly url: string;
  readyState = FakeWebSocket.CONNECTING;
  /** Frames the client sent, in order. */
  sent: string[] = [];
  /** The arguments of the client's close() call, if it made one. */
  closedByClient: { code?: number; reason?: string } | null = null;
  onopen: Handler<Event> = null;
  onclose: Handler<CloseEvent> = null;
  onmessage: Handler<MessageEvent> = null;
  onerror: Handler<Event> = null;

  constructor(url: string) {
    this.url = url;
    FakeWebSocket.instances.push(this);
  }

  send(data: string): void {
    if (this.readyState !== FakeWebSocket.OPEN) throw new Error(`send() on a socket in state ${this.readyState}`);
    this.sent.push(data);
  }

  /** Like a browser: the socket goes CLOSING at once and the close event comes as a later task (setTimeout 0). */
  close(code?: number, reason?: string): void {
    if (this.readyState === FakeWebSocket.CLOSING || this.readyState === FakeWebSocket.CLOSED) return;
    const wasConnecting = this.readyState === FakeWebSocket.CONNECTING;
    this.closedByClient = { code, reason };
    this.readyState = FakeWebSocket.CLOSING;
    setTimeout(() => {
      if (wasConnecting) this.onerror?.(new Event("error"));
      this.finish(wasConnecting ? 1006 : code ?? 1005, reason ?? "", !wasConnecting);
    }, 0);
  }

  // --- the server side, driven by tests ---

  /** The handshake succeeds. */
  open(): void {
    if (this.readyState !== FakeWebSocket.CONNECTING) throw new Error("open() on a socket that is not connecting");
    this.readyState = FakeWebSocket.OPEN;
    this.onopen?.(new Event("open"));
  }

  /** A text frame from the server (an object is JSON-encoded). */
  receive(data: string | object): void {
    if (this.readyState !== FakeWebSocket.OPEN) throw new Error("receive() on a socket that is not open");
    const text = typeof data === "string" ? data : JSON.stringify(data);
    this.onmessage?.({ data: text } as MessageEvent);
  }

  /** The handshake fails (e.g. HTTP 403) or the connection drops: error, then close 1006. */
  fail(): void {
    this.onerror?.(new Event("error"));
    this.finish(1006, "", false);
  }

  /** The server closes cleanly with `code`. */
  serverClose(code = 1000, reason = ""): void {
    this.finish(code, reason, true);
  }

  private finish(code: number, reason: string, wasClean: boolean): void {
    if (this.readyState === FakeWebSocket.CLOSED) return;
    this.readyState = FakeWebSocket.CLOSED;
    this.onclose?.({ code, reason, wasClean } as CloseEvent);
  }
}

/** A factory for ReconnectingSocket's `createSocket`. */
export const fakeFactory = (url: string) => new FakeWebSocket(url);
