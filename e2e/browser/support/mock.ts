// mock -- starts build/wsmock for a worker and drives it through its control API (/__mock/): reset, scenarios, emit, journal long-polls.
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import * as readline from "node:readline";
import { deadline, stopWithin } from "./deadline";

export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
export const RESULTS_DIR = process.env.E2E_RESULTS_DIR ?? path.join(REPO_ROOT, "build", "results");
export const WSMOCK_BIN = process.env.WSMOCK_BIN ?? path.join(REPO_ROOT, "build", "wsmock");
export const WSHARNESS_BIN = process.env.WSHARNESS_BIN ?? path.join(REPO_ROOT, "build", "wsharness");
export const FRONTEND_DIST = process.env.E2E_FRONTEND_DIST ?? path.join(REPO_ROOT, "frontend", "dist");

/** One journal event (README "Journal events"); the members depend on `type`. */
export interface JournalEvent {
  seq: number;
  t_ms: number;
  type: string;
  conn?: number;
  path?: string;
  attempt?: number;
  outcome?: string;
  status?: number;
  code?: number;
  reason?: string;
  by?: string;
  clean?: boolean;
  [key: string]: unknown;
}

export interface JournalQuery {
  type?: string;
  /** an exact path, or a prefix ending in `*` (`/ws/*`) */
  path?: string;
  since?: number;
}

/** A wsmock process started for one Playwright worker; `stop()` sends SIGTERM and waits for exit 0. */
export class MockProcess {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly stderr: string[],
  ) {}

  static async start(extraArgs: string[] = []): Promise<MockProcess> {
    const args = [
      "--port", "0",
      "--static", FRONTEND_DIST,
      "--scenario-dir", path.join(REPO_ROOT, "scenarios"),
      "--seed", "1",
      ...extraArgs,
    ];
    const child = spawn(WSMOCK_BIN, args, { stdio: ["ignore", "pipe", "pipe"] });
    const stderr: string[] = [];
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      stderr.push(d);
      if (stderr.length > 200) stderr.shift();
    });
    const lines = readline.createInterface({ input: child.stdout! });
    const ready = new Promise<string>((resolve, reject) => {
      child.once("error", (e) =>
        reject(new Error(`cannot run ${WSMOCK_BIN}: ${e.message} (build it: cmake --build build)`)),
      );
      child.once("exit", (code) => reject(new Error(`wsmock exited with ${code} before listening: ${stderr.join("")}`)));
      lines.once("line", (line) => {
        const m = /^wsmock listening on (http:\/\/\S+)$/.exec(line);
        if (m) resolve(m[1]);
        else reject(new Error(`unexpected first line from wsmock: ${line}`));
      });
    });
    const url = await deadline(ready, 10_000, () => `wsmock did not start within 10 s: ${stderr.join("")}`);
    child.removeAllListeners("exit");
    return new MockProcess(url, child, stderr);
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once("exit", (code) => resolve(code)));
    this.child.kill("SIGTERM");
    return stopWithin(exited, 5_000, () => this.child.kill("SIGKILL"));
  }

  stderrTail(): string {
    return this.stderr.join("").slice(-4000);
  }
}

/** The control API of a running wsmock (`base` = its http://host:port). */
export class MockControl {
  constructor(readonly base: string) {}

  private async call(method: string, pathAndQuery: string, body?: unknown): Promise<any> {
    const res = await fetch(this.base + pathAndQuery, {
      method,
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${pathAndQuery} -> ${res.status} ${text}`);
    return text === "" ? null : JSON.parse(text);
  }

  /** Clears the journal, attempt counters, registry, rooms and buffers. */
  reset(): Promise<{ reset: boolean }> {
    return this.call("POST", "/__mock/reset");
  }

  /** Loads a library scenario by name (`scenarios/NAME.json`) or a scenario object. */
  loadScenario(scenario: string | object, timeScale?: number): Promise<{ loaded: string; time_scale: number }> {
    const body = typeof scenario === "string" ? { name: scenario } : scenario;
    const q = timeScale === undefined ? "" : `?time_scale=${timeScale}`;
    return this.call("POST", `/__mock/scenario${q}`, body);
  }

  /** Unloads the running scenario: the backend goes back to the start-up profile (deployed). */
  unloadScenario(): Promise<unknown> {
    return this.call("DELETE", "/__mock/scenario");
  }

  /** `POST /__mock/emit`: a message kind or a raw `{room, message}`; answers how many sockets it reached. */
  emit(body: object): Promise<{ delivered: number }> {
    return this.call("POST", "/__mock/emit", body);
  }

  expectations(): Promise<any> {
    return this.call("GET", "/__mock/expect");
  }

  /** One journal read: events with seq > since, long-polling up to `waitMs` for the first match. */
  async journal(q: JournalQuery = {}, waitMs = 0): Promise<{ events: JournalEvent[]; next: number }> {
    const p = new URLSearchParams();
    p.set("since", String(q.since ?? 0));
    if (q.type) p.set("type", q.type);
    if (q.path) p.set("path", q.path);
    if (waitMs > 0) p.set("wait_ms", String(Math.min(waitMs, 60_000)));
    return this.call("GET", `/__mock/journal?${p.toString()}`);
  }

  /** The journal's position now: pass it as `since` to see only what happens next. */
  async position(): Promise<number> {
    return (await this.journal()).next;
  }

  /**
   * Waits (long-polling the journal, never sleeping) until `count` events match the query and `filter`;
   * returns them. Throws with what was seen when `timeoutMs` passes first.
   */
  async waitForEvents(
    q: JournalQuery & { count?: number; filter?: (e: JournalEvent) => boolean },
    timeoutMs = 10_000,
  ): Promise<JournalEvent[]> {
    const count = q.count ?? 1;
    const deadline = Date.now() + timeoutMs;
    const seen: JournalEvent[] = [];
    let since = q.since ?? 0;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `journal: ${seen.length}/${count} ${q.type ?? "events"} on ${q.path ?? "*"} after ${timeoutMs} ms: ` +
            JSON.stringify(seen.slice(-10)),
        );
      }
      const r = await this.journal({ type: q.type, path: q.path, since }, left);
      for (const e of r.events) {
        since = Math.max(since, e.seq);
        if (!q.filter || q.filter(e)) seen.push(e);
      }
      if (seen.length >= count) return seen;
    }
  }

  /**
   * Waits up to `windowMs` on the server for an event matching the query, and returns what arrived
   * (empty when nothing did): proof that something did NOT happen, e.g. no reconnect after navigating away.
   */
  async eventsWithin(q: JournalQuery & { filter?: (e: JournalEvent) => boolean }, windowMs: number): Promise<JournalEvent[]> {
    const deadline = Date.now() + windowMs;
    let since = q.since ?? 0;
    const seen: JournalEvent[] = [];
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return seen;
      const r = await this.journal({ type: q.type, path: q.path, since }, left);
      for (const e of r.events) {
        since = Math.max(since, e.seq);
        if (!q.filter || q.filter(e)) seen.push(e);
      }
      if (seen.length > 0) return seen;
    }
  }
}
