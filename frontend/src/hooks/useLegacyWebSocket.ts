// useLegacyWebSocket -- the ORIGINAL app hook reproduced on purpose, stale closures included (PROTOCOL.md 4.2-4.3): a negative control, not for use.
/*
 * Why this is wrong, and must stay wrong:
 * - `connect` is a useCallback over `connectionAttempts`, but the mount effect depends on `[url]` only, so
 *   every socket's `onclose` (and the timer it sets) uses the `connect` and `connectionAttempts` of the
 *   render in which the effect last ran: 0 after mount. The delay is therefore always
 *   `min(reconnectInterval * 2^0, 30000)` = reconnectInterval, the log always says "attempt 1/5", and there
 *   is no limit. If the counter were already >= reconnectAttempts when the URL changed, the new socket would
 *   never reconnect at all.
 * - `disconnect()` closes the socket but leaves `onclose` attached, so an intentional close (unmount, URL
 *   change, StrictMode's simulated unmount) reconnects to the OLD url a reconnectInterval later: ghosts.
 * - `isConnected` follows the last event of any of the hook's sockets; `wsRef` is taken over by a ghost.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { originalHookDelay } from "../ws/backoff";
import { WsObject } from "../ws/messages";
import { SendResult, SocketStatus } from "../ws/reconnectingSocket";
import { UseWebSocketResult } from "./useWebSocket";

export interface UseLegacyWebSocketOptions {
  onMessage?: (message: WsObject) => void;
  onOpen?: () => void;
  onClose?: () => void;
  onError?: (error: Event) => void;
  reconnect?: boolean;
  reconnectInterval?: number;
  reconnectAttempts?: number;
  heartbeatInterval?: number;
}

export function useLegacyWebSocket(url: string | null, options: UseLegacyWebSocketOptions = {}): UseWebSocketResult {
  const {
    onMessage,
    onOpen,
    onClose,
    onError,
    reconnect = true,
    reconnectInterval = 1000,
    reconnectAttempts = 5,
    heartbeatInterval = 30000,
  } = options;
  const [isConnected, setIsConnected] = useState(false);
  const [connectionAttempts, setConnectionAttempts] = useState(0);
  const wsRef = useRef<WebSocket | null>(null);
  const reconnectTimeoutRef = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const heartbeatIntervalRef = useRef<ReturnType<typeof setInterval> | undefined>(undefined);
  const messageQueueRef = useRef<string[]>([]);

  const stopHeartbeat = useCallback(() => {
    if (heartbeatIntervalRef.current) {
      clearInterval(heartbeatIntervalRef.current);
      heartbeatIntervalRef.current = undefined;
    }
  }, []);

  const startHeartbeat = useCallback(() => {
    stopHeartbeat();
    if (heartbeatInterval <= 0) return;
    heartbeatIntervalRef.current = setInterval(() => {
      if (wsRef.current?.readyState === WebSocket.OPEN) {
        wsRef.current.send(JSON.stringify({ type: "ping" }));
      }
    }, heartbeatInterval);
  }, [heartbeatInterval, stopHeartbeat]);

  const connect = useCallback(() => {
    if (url === null) return;
    try {
      const ws = new WebSocket(url);

      ws.onopen = () => {
        console.log("[WebSocket] Connected");
        setIsConnected(true);
        setConnectionAttempts(0);
        while (messageQueueRef.current.length > 0) {
          const message = messageQueueRef.current.shift();
          if (message !== undefined) ws.send(message);
        }
        startHeartbeat();
        onOpen?.();
      };

      ws.onmessage = (event: MessageEvent) => {
        try {
          const message = JSON.parse(event.data as string) as WsObject;
          if (message.type === "pong") return;
          onMessage?.(message);
        } catch (error) {
          console.error("[WebSocket] Error parsing message:", error);
        }
      };

      ws.onerror = (error: Event) => {
        console.error("[WebSocket] Error:", error);
        onError?.(error);
      };

      ws.onclose = () => {
        console.log("[WebSocket] Disconnected");
        setIsConnected(false);
        stopHeartbeat();
        onClose?.();
        if (reconnect && connectionAttempts < reconnectAttempts) {
          const delay = originalHookDelay(reconnectInterval, connectionAttempts);
          console.log(`[WebSocket] Reconnecting in ${delay}ms (attempt ${connectionAttempts + 1}/${reconnectAttempts})`);
          reconnectTimeoutRef.current = setTimeout(() => {
            setConnectionAttempts((prev) => prev + 1);
            connect();
          }, delay);
        } else if (connectionAttempts >= reconnectAttempts) {
          console.error("[WebSocket] Max reconnection attempts reached");
        }
      };

      wsRef.current = ws;
    } catch (error) {
      console.error("[WebSocket] Connection error:", error);
    }
    // The original lists these dependencies; the effect below ignores them, which is the bug.
  }, [url, onMessage, onOpen, onClose, onError, reconnect, reconnectInterval, reconnectAttempts, connectionAttempts, startHeartbeat, stopHeartbeat]);

  const disconnect = useCallback(() => {
    if (reconnectTimeoutRef.current) clearTimeout(reconnectTimeoutRef.current);
    stopHeartbeat();
    if (wsRef.current) {
      wsRef.current.close();
      wsRef.current = null;
    }
    setIsConnected(false);
  }, [stopHeartbeat]);

  const send = useCallback((data: string | object): SendResult => {
    const message = typeof data === "string" ? data : JSON.stringify(data);
    if (wsRef.current?.readyState === WebSocket.OPEN) {
      wsRef.current.send(message);
      return "sent";
    }
    messageQueueRef.current.push(message); // unbounded, as in the original
    return "queued";
  }, []);

  useEffect(() => {
    connect();
    return () => {
      disconnect();
    };
  }, [url]); // eslint-disable-line react-hooks/exhaustive-deps -- the original's stale-closure bug, kept on purpose

  const status: SocketStatus = {
    phase: isConnected ? "open" : "connecting",
    attempt: connectionAttempts,
    maxAttempts: reconnectAttempts,
    delayMs: null,
    retryAt: null,
    lastClose: null,
    opens: 0,
    queued: messageQueueRef.current.length,
    dropped: 0,
  };
  return { isConnected, status, send, retryNow: connect, disconnect };
}
