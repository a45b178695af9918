// url.test -- WebSocket URLs as the app builds them (same host, ws:/wss: from the page) and the backend override.
import { describe, expect, it } from "vitest";
import { agentPath, COORDINATOR_PATH, getWebSocketUrl, toWebSocketOrigin, workflowPath } from "./url";

describe("getWebSocketUrl", () => {
  it("uses the page's host with ws: for http: pages", () => {
    expect(getWebSocketUrl(COORDINATOR_PATH, { protocol: "http:", host: "127.0.0.1:5000" })).toBe("ws://127.0.0.1:5000/ws/coordinator");
  });

  it("uses wss: for https: pages", () => {
    expect(getWebSocketUrl("/ws/workflow/pending", { protocol: "https:", host: "app.example" })).toBe("wss://app.example/ws/workflow/pending");
  });

  it("goes to the backend override when one is set", () => {
    expect(getWebSocketUrl("/ws/coordinator", { protocol: "https:", host: "x" }, "ws://127.0.0.1:3001")).toBe("ws://127.0.0.1:3001/ws/coordinator");
  });
});

describe("paths", () => {
  it("are the app's", () => {
    expect(COORDINATOR_PATH).toBe("/ws/coordinator");
    expect(workflowPath("pending")).toBe("/ws/workflow/pending");
    expect(workflowPath("wf-42")).toBe("/ws/workflow/wf-42");
    expect(agentPath("screenwriter")).toBe("/ws/agent/screenwriter");
  });

  it("percent-encode an id so it stays one path segment", () => {
    expect(workflowPath("a/b c")).toBe("/ws/workflow/a%2Fb%20c");
  });
});

describe("toWebSocketOrigin", () => {
  it("maps http(s) to ws(s) and keeps ws(s)", () => {
    expect(toWebSocketOrigin("http://127.0.0.1:3001")).toBe("ws://127.0.0.1:3001");
    expect(toWebSocketOrigin("https://api.example/")).toBe("wss://api.example");
    expect(toWebSocketOrigin("ws://localhost:3001/some/path")).toBe("ws://localhost:3001");
    expect(toWebSocketOrigin("wss://h:8443")).toBe("wss://h:8443");
  });

  it("treats a bare host:port as ws", () => {
    expect(toWebSocketOrigin("127.0.0.1:3001")).toBe("ws://127.0.0.1:3001");
  });

  it("returns null for empty or unusable values", () => {
    expect(toWebSocketOrigin("")).toBeNull();
    expect(toWebSocketOrigin(undefined)).toBeNull();
    expect(toWebSocketOrigin("ftp://h")).toBeNull();
    expect(toWebSocketOrigin("http://")).toBeNull();
  });
});
