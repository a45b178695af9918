// backoff -- the reconnect policy as pure functions: delay = min(initial * factor^(n-1), cap) plus jitter, at most maxAttempts reconnects.

/**
 * A reconnect policy. Attempt n (1-based) is the n-th reconnect after the last successful open.
 * - `initialMs`, `factor`, `capMs`: the base delay before attempt n is `min(initialMs * factor^(n-1), capMs)`.
 * - `jitter`: a fraction in [0, 1]. A random extra wait of `[0, jitter * base)` is added on top of the base
 *   (the libwebsockets `jitter_percent` rule), so a delay is never shorter than its base.
 * - `maxAttempts`: reconnects allowed before giving up; `Infinity` means never give up, 0 means never reconnect.
 */
export interface BackoffPolicy {
  initialMs: number;
  factor: number;
  capMs: number;
  maxAttempts: number;
  jitter: number;
}

/** The defaults: 1 s, 2 s, 4 s, 8 s, 16 s (cap 30 s), five reconnects, up to 20 % extra wait. */
export const DEFAULT_POLICY: Readonly<BackoffPolicy> = Object.freeze({
  initialMs: 1000,
  factor: 2,
  capMs: 30000,
  maxAttempts: 5,
  jitter: 0.2,
});

/** Returns the problems with a policy (empty when it is valid). */
export function validatePolicy(p: BackoffPolicy): string[] {
  const problems: string[] = [];
  if (!Number.isFinite(p.initialMs) || p.initialMs < 0) problems.push("initialMs must be a finite number >= 0");
  if (!Number.isFinite(p.factor) || p.factor < 1) problems.push("factor must be a finite number >= 1");
  if (Number.isNaN(p.capMs) || p.capMs < 0) problems.push("capMs must be a number >= 0");
  if (Number.isNaN(p.maxAttempts) || p.maxAttempts < 0 || (Number.isFinite(p.maxAttempts) && !Number.isInteger(p.maxAttempts)))
    problems.push("maxAttempts must be an integer >= 0 or Infinity");
  if (!Number.isFinite(p.jitter) || p.jitter < 0 || p.jitter > 1) problems.push("jitter must be between 0 and 1");
  return problems;
}

/** The delay before reconnect `attempt` (1-based) without jitter: min(initial * factor^(attempt-1), cap). */
export function baseDelay(p: BackoffPolicy, attempt: number): number {
  if (attempt < 1) throw new RangeError(`attempt must be >= 1, got ${attempt}`);
  const grown = p.initialMs * Math.pow(p.factor, attempt - 1); // Infinity for huge attempts; the cap bounds it
  return Math.min(grown, p.capMs);
}

/**
 * The delay in ms before reconnect `attempt` (1-based), or null when the policy gives up before that attempt.
 * `random` returns a number in [0, 1) (Math.random by default; tests inject a fixed or seeded one).
 */
export function reconnectDelay(p: BackoffPolicy, attempt: number, random: () => number = Math.random): number | null {
  if (attempt > p.maxAttempts) return null;
  const base = Math.round(baseDelay(p, attempt));
  if (p.jitter <= 0) return base;
  const span = base * p.jitter;
  const r = Math.min(Math.max(random(), 0), 1);
  let extra = Math.floor(span * r);
  if (extra >= span) extra = Math.max(Math.ceil(span) - 1, 0); // r close to 1: stay below base*(1+jitter)
  return base + extra;
}

/** The base delays of every allowed attempt (at most `limit` of them when the policy never gives up). */
export function delaySchedule(p: BackoffPolicy, limit = 20): number[] {
  const n = Math.min(p.maxAttempts, limit);
  const out: number[] = [];
  for (let attempt = 1; attempt <= n; attempt++) out.push(baseDelay(p, attempt));
  return out;
}

/**
 * A reconnect counter over a policy: `next()` gives the next attempt and its delay, or null once the
 * attempts are used up; `reset()` is called after a successful open so the next outage starts at `initialMs`.
 */
export interface Backoff {
  next(): { attempt: number; delayMs: number } | null;
  reset(): void;
  readonly attempts: number;
}

export function createBackoff(p: BackoffPolicy, random: () => number = Math.random): Backoff {
  let attempts = 0;
  return {
    next() {
      const delayMs = reconnectDelay(p, attempts + 1, random);
      if (delayMs === null) return null;
      attempts += 1;
      return { attempt: attempts, delayMs };
    },
    reset() {
      attempts = 0;
    },
    get attempts() {
      return attempts;
    },
  };
}

/**
 * The original hook's formula (PROTOCOL.md 4.2): `min(reconnectInterval * 2^connectionAttempts, 30000)`.
 * The original evaluates it inside a stale closure where `connectionAttempts` is always the value of the
 * render that opened the socket (0 after mount), which is why its delay never grows (PROTOCOL.md 4.3).
 */
export function originalHookDelay(reconnectInterval: number, connectionAttempts: number): number {
  return Math.min(reconnectInterval * Math.pow(2, connectionAttempts), 30000);
}

/** A small seeded PRNG (mulberry32) so jitter can be reproduced; returns numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
