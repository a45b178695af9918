// useWebSocket -- the corrected React hook: one ReconnectingSocket per URL, StrictMode-safe, latest handler always used, status exposed for the UI.
import { useCallback, useEffect, useRef, useState } from "react";
import { ReconnectingSocket, ReconnectingSocketOptions, SendResult, SocketStatus } from "../ws/reconnectingSocket";

/** The socket's options the hook passes through (the URL is the hook's own argument). createSocket: tests inject a
 * fake, the browser's WebSocket otherwise; keep it stable (module-level) or it reconnects. */
export type UseWebSocketOptions = Pick<
  ReconnectingSocketOptions,
  "onMessage" | "policy" | "heartbeatMs" | "queueLimit" | "connectTimeoutMs" | "createSocket" | "random"
>;

export interface UseWebSocketResult {
  isConnected: boolean;
  status: SocketStatus;
  /** Sends now when open, else queues (bounded). */
  send: (data: string | object) => SendResult;
  /** Starts over at once (attempt counter reset); used by the "Retry now" button. */
  retryNow: () => void;
  /** Intentional close: no reconnect until `retryNow()`. */
  disconnect: () => void;
}

function initialStatus(maxAttempts: number): SocketStatus {
  return { phase: "idle", attempt: 0, maxAttempts, delayMs: null, retryAt: null, lastClose: null, opens: 0, queued: 0, dropped: 0 };
}

/**
 * Connects to `url` (null = no connection) and keeps it connected under the given policy.
 *
 * Life cycle: the socket belongs to the effect that created it. The effect's cleanup (unmount, URL or
 * option change) stops it, which detaches its handlers, so its late events are ignored and it can never
 * reconnect. Opening is deferred by one microtask, so React StrictMode's mount-unmount-mount in
 * development creates exactly one socket (the first effect is cleaned up before it would have opened).
 */
export function useWebSocket(url: string | null, options: UseWebSocketOptions): UseWebSocketResult {
  const { policy, heartbeatMs, queueLimit, connectTimeoutMs, createSocket, random } = options;
  const [status, setStatus] = useState<SocketStatus>(() => initialStatus(policy.maxAttempts));
  const onMessageRef = useRef(options.onMessage);
  const socketRef = useRef<ReconnectingSocket | null>(null);

  useEffect(() => {
    onMessageRef.current = options.onMessage;
  });

  const { initialMs, factor, capMs, maxAttempts, jitter } = policy;
  useEffect(() => {
    if (url === null) {
      setStatus(initialStatus(maxAttempts));
      return undefined;
    }
    const socket = new ReconnectingSocket({
      url,
      policy: { initialMs, factor, capMs, maxAttempts, jitter },
      heartbeatMs,
      queueLimit,
      connectTimeoutMs,
      createSocket,
      random,
      onMessage: (m) => onMessageRef.current?.(m),
      onStatus: setStatus, // a stopped socket emits nothing after its final 'closed'
    });
    socketRef.current = socket;
    setStatus(socket.status);
    let cancelled = false;
    queueMicrotask(() => {
      if (!cancelled) socket.start();
    });
    return () => {
      cancelled = true;
      if (socketRef.current === socket) socketRef.current = null;
      socket.stop();
    };
  }, [url, initialMs, factor, capMs, maxAttempts, jitter, heartbeatMs, queueLimit, connectTimeoutMs, createSocket, random]);

  const send = useCallback((data: string | object): SendResult => socketRef.current?.send(data) ?? "dropped", []);
  const retryNow = useCallback(() => socketRef.current?.retryNow(), []);
  const disconnect = useCallback(() => socketRef.current?.stop(), []);

  return { isConnected: status.phase === "open", status, send, retryNow, disconnect };
}
