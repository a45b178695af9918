// config.test -- reading the WebSocket settings from the query string and env: defaults, overrides, bad values, legacy mode.
import { describe, expect, it } from "vitest";
import { parseWsConfig, wsSearchOnly } from "./config";

describe("parseWsConfig", () => {
  it("has the documented defaults", () => {
    const c = parseWsConfig("");
    expect(c).toEqual({
      mode: "corrected",
      policy: { initialMs: 1000, factor: 2, capMs: 30000, maxAttempts: 5, jitter: 0.2 },
      heartbeatMs: 30000,
      queueLimit: 100,
      connectTimeoutMs: 10000,
      backendOrigin: null,
      warnings: [],
    });
  });

  it("reads the fast test policy", () => {
    const c = parseWsConfig("?ws_initial=50&ws_factor=2&ws_cap=400&ws_max=5&ws_jitter=0");
    expect(c.policy).toEqual({ initialMs: 50, factor: 2, capMs: 400, maxAttempts: 5, jitter: 0 });
    expect(c.warnings).toEqual([]);
  });

  it("reads the other settings", () => {
    const c = parseWsConfig("?ws_heartbeat=0&ws_queue=3&ws_connect_timeout=250&ws_max=inf&ws_backend=http://127.0.0.1:3001");
    expect([c.heartbeatMs, c.queueLimit, c.connectTimeoutMs, c.policy.maxAttempts, c.backendOrigin]).toEqual([0, 3, 250, Infinity, "ws://127.0.0.1:3001"]);
  });

  it("selects legacy mode", () => {
    expect(parseWsConfig("?ws=legacy").mode).toBe("legacy");
    expect(parseWsConfig("?ws=corrected").mode).toBe("corrected");
  });

  it("keeps the default for each bad value and says so", () => {
    const c = parseWsConfig("?ws=weird&ws_initial=-5&ws_factor=0.5&ws_cap=abc&ws_max=2.5&ws_jitter=3&ws_queue=-1");
    expect(c.mode).toBe("corrected");
    expect(c.policy).toEqual({ initialMs: 1000, factor: 2, capMs: 30000, maxAttempts: 5, jitter: 0.2 });
    expect(c.queueLimit).toBe(100);
    expect(c.warnings).toHaveLength(7);
    expect(c.warnings[1]).toBe("ignored ws_initial=-5: using 1000");
  });

  it("takes the backend from the env, the query winning", () => {
    expect(parseWsConfig("", "http://10.0.0.1:3001").backendOrigin).toBe("ws://10.0.0.1:3001");
    expect(parseWsConfig("?ws_backend=ws://127.0.0.1:9", "http://10.0.0.1:3001").backendOrigin).toBe("ws://127.0.0.1:9");
    expect(parseWsConfig("?ws_backend=ftp://x", "").backendOrigin).toBeNull();
  });
});

describe("wsSearchOnly", () => {
  it("keeps only the ws settings", () => {
    expect(wsSearchOnly("?episode=1&ws=legacy&ws_initial=50&x=y")).toBe("?ws=legacy&ws_initial=50");
    expect(wsSearchOnly("?episode=1")).toBe("");
  });
});
