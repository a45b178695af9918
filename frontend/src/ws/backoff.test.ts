// backoff.test -- the reconnect policy: growth, cap, jitter bounds, attempt limit, reset after success, and the original hook's formula.
import { describe, expect, it } from "vitest";
import {
  BackoffPolicy,
  baseDelay,
  createBackoff,
  DEFAULT_POLICY,
  delaySchedule,
  originalHookDelay,
  reconnectDelay,
  seededRandom,
  validatePolicy,
} from "./backoff";

const noJitter: BackoffPolicy = { ...DEFAULT_POLICY, jitter: 0 };

describe("baseDelay", () => {
  it("grows by the factor from the initial delay", () => {
    expect([1, 2, 3, 4, 5].map((n) => baseDelay(noJitter, n))).toEqual([1000, 2000, 4000, 8000, 16000]);
  });

  it("is capped", () => {
    expect(baseDelay(noJitter, 6)).toBe(30000);
    expect(baseDelay(noJitter, 50)).toBe(30000);
    expect(baseDelay({ ...noJitter, capMs: 3000 }, 3)).toBe(3000);
  });

  it("stays at the cap when the power overflows", () => {
    expect(baseDelay(noJitter, 5000)).toBe(30000);
  });

  it("supports other factors and a constant policy", () => {
    const p = { initialMs: 50, factor: 3, capMs: 400, maxAttempts: 5, jitter: 0 };
    expect(delaySchedule(p)).toEqual([50, 150, 400, 400, 400]);
    expect(delaySchedule({ ...p, factor: 1 })).toEqual([50, 50, 50, 50, 50]);
  });

  it("rejects attempt 0", () => {
    expect(() => baseDelay(noJitter, 0)).toThrow(RangeError);
  });
});

describe("reconnectDelay", () => {
  it("without jitter is exactly the base delay", () => {
    expect(reconnectDelay(noJitter, 1, () => 0.99)).toBe(1000);
    expect(reconnectDelay({ ...noJitter, maxAttempts: 10 }, 6, () => 0.99)).toBe(30000);
  });

  it("with jitter adds between 0 and jitter*base on top", () => {
    const p = { ...DEFAULT_POLICY }; // jitter 0.2
    expect(reconnectDelay(p, 1, () => 0)).toBe(1000);
    expect(reconnectDelay(p, 1, () => 0.5)).toBe(1100);
    expect(reconnectDelay(p, 3, () => 0.999999)).toBe(4799);
    expect(reconnectDelay(p, 3, () => 1)).toBeLessThan(4800); // a random() of 1 is clamped below the bound
  });

  it("keeps every jittered delay within [base, base*(1+jitter)) for a seeded random", () => {
    const random = seededRandom(42);
    const seen = new Set<number>();
    for (let attempt = 1; attempt <= 5; attempt++) {
      const base = baseDelay(DEFAULT_POLICY, attempt);
      for (let i = 0; i < 200; i++) {
        const d = reconnectDelay(DEFAULT_POLICY, attempt, random);
        expect(d).not.toBeNull();
        expect(d!).toBeGreaterThanOrEqual(base);
        expect(d!).toBeLessThan(base * 1.2);
        seen.add(d!);
      }
    }
    expect(seen.size).toBeGreaterThan(100); // it really varies
  });

  it("is reproducible with the same seed", () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const seqA = [1, 2, 3, 4, 5].map((n) => reconnectDelay(DEFAULT_POLICY, n, a));
    const seqB = [1, 2, 3, 4, 5].map((n) => reconnectDelay(DEFAULT_POLICY, n, b));
    expect(seqA).toEqual(seqB);
  });

  it("gives up after maxAttempts", () => {
    expect(reconnectDelay(noJitter, 5)).toBe(16000);
    expect(reconnectDelay(noJitter, 6)).toBeNull();
    expect(reconnectDelay({ ...noJitter, maxAttempts: 0 }, 1)).toBeNull();
  });

  it("never gives up with maxAttempts Infinity", () => {
    expect(reconnectDelay({ ...noJitter, maxAttempts: Infinity }, 1000)).toBe(30000);
  });
});

describe("createBackoff", () => {
  it("counts attempts until the limit, then returns null", () => {
    const b = createBackoff({ ...noJitter, maxAttempts: 3 });
    expect(b.next()).toEqual({ attempt: 1, delayMs: 1000 });
    expect(b.next()).toEqual({ attempt: 2, delayMs: 2000 });
    expect(b.next()).toEqual({ attempt: 3, delayMs: 4000 });
    expect(b.next()).toBeNull();
    expect(b.next()).toBeNull();
    expect(b.attempts).toBe(3);
  });

  it("starts again at the initial delay after reset (a successful open)", () => {
    const b = createBackoff(noJitter);
    b.next();
    b.next();
    b.next();
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toEqual({ attempt: 1, delayMs: 1000 });
  });

  it("uses the injected random for jitter", () => {
    const b = createBackoff(DEFAULT_POLICY, () => 0.5);
    expect(b.next()).toEqual({ attempt: 1, delayMs: 1100 });
    expect(b.next()).toEqual({ attempt: 2, delayMs: 2200 });
  });
});

describe("validatePolicy", () => {
  it("accepts the defaults and Infinity attempts", () => {
    expect(validatePolicy(DEFAULT_POLICY)).toEqual([]);
    expect(validatePolicy({ ...DEFAULT_POLICY, maxAttempts: Infinity })).toEqual([]);
  });

  it("names each bad field", () => {
    const problems = validatePolicy({ initialMs: -1, factor: 0.5, capMs: NaN, maxAttempts: 1.5, jitter: 2 });
    expect(problems).toHaveLength(5);
  });
});

describe("the defaults", () => {
  it("are 1000 ms, factor 2, cap 30000 ms, 5 attempts, jitter 0.2", () => {
    expect(DEFAULT_POLICY).toEqual({ initialMs: 1000, factor: 2, capMs: 30000, maxAttempts: 5, jitter: 0.2 });
  });
});

describe("originalHookDelay (the legacy policy)", () => {
  it("is the documented formula min(interval * 2^attempts, 30000)", () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => originalHookDelay(1000, n))).toEqual([1000, 2000, 4000, 8000, 16000, 30000]);
  });

  it("is constant at the interval with the stale counter of 0 the original always sees", () => {
    const stale = 0;
    expect(Array.from({ length: 10 }, () => originalHookDelay(1000, stale))).toEqual(Array(10).fill(1000));
    expect(originalHookDelay(50, stale)).toBe(50);
  });
});
