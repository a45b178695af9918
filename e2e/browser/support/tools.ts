// tools -- runs wsharness backoff on the mock's journal, starts the frontend's Vite dev server (React StrictMode), builds policy query strings.
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { REPO_ROOT, RESULTS_DIR, WSHARNESS_BIN } from "./mock";
import { deadline, stopWithin } from "./deadline";

export interface Policy {
  initial: number;
  factor: number;
  cap: number;
  /** reconnects allowed after a failure; "inf" = unlimited */
  max: number | "inf";
  jitter: number;
}

/** Parses wsharness's policy syntax (`initial=400,factor=2,cap=1600,max=4,jitter=0`; `max=none` unlimited). */
export function parsePolicy(text: string): Policy {
  const kv = Object.fromEntries(text.split(",").map((part) => part.trim().split("=") as [string, string]));
  const need = (k: string) => {
    const v = Number(kv[k]);
    if (kv[k] === undefined || !Number.isFinite(v)) throw new Error(`policy ${text}: bad or missing ${k}`);
    return v;
  };
  const max = kv.max === "none" || kv.max === "inf" ? "inf" : need("max");
  return { initial: need("initial"), factor: need("factor"), cap: need("cap"), max, jitter: kv.jitter === undefined ? 0 : need("jitter") };
}

/** The frontend's query string for a reconnect policy (frontend/README.md "Query parameters"). */
export function policyQuery(p: Policy): string {
  return `ws_initial=${p.initial}&ws_factor=${p.factor}&ws_cap=${p.cap}&ws_max=${p.max}&ws_jitter=${p.jitter}`;
}

/** The same policy in wsharness's syntax (`max=none` for unlimited). */
export function policyArg(p: Policy): string {
  return `initial=${p.initial},factor=${p.factor},cap=${p.cap},max=${p.max === "inf" ? "none" : p.max},jitter=${p.jitter}`;
}

export interface BackoffResult {
  status: number | null;
  stdout: string;
  stderr: string;
  verdict: string;
  command: string;
}

/** `wsharness backoff --mock URL --path P --policy POLICY [--since SEQ]`; the report is also written to build/results/NAME.txt. */
export function runBackoff(mockUrl: string, wsPath: string, policy: string, since: number, name: string): BackoffResult {
  const args = ["backoff", "--mock", mockUrl, "--path", wsPath, "--policy", policy, "--since", String(since)];
  const r = spawnSync(WSHARNESS_BIN, args, { encoding: "utf8", timeout: 30_000 });
  if (r.error) throw new Error(`cannot run ${WSHARNESS_BIN}: ${r.error.message} (build it: cmake --build build)`);
  const command = `wsharness ${args.join(" ")}`;
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  fs.writeFileSync(path.join(RESULTS_DIR, `${name}.txt`), `$ ${command}\n${r.stdout}${r.stderr}exit ${r.status}\n`);
  const verdict = r.stdout.split("\n").find((l) => l.startsWith("verdict: ")) ?? "";
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, verdict, command };
}

/** A free TCP port on 127.0.0.1 (the kernel picks it; the listener is closed before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The frontend's Vite dev server (React StrictMode mounts twice, as in the app's `npm run dev`), proxying /ws to the mock. */
export class DevServer {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(backend: string): Promise<DevServer> {
    const port = await freePort();
    const frontend = path.join(REPO_ROOT, "frontend");
    const vite = path.join(frontend, "node_modules", ".bin", "vite");
    if (!fs.existsSync(vite)) throw new Error(`no ${vite}: run npm ci in frontend/`);
    const child = spawn(vite, ["--host", "127.0.0.1", "--port", String(port), "--strictPort", "--clearScreen", "false"], {
      cwd: frontend,
      env: { ...process.env, WSMOCK_BACKEND: backend, NO_COLOR: "1", FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: false,
    });
    let out = "";
    const url = `http://127.0.0.1:${port}`;
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes(`:${port}`)) resolve();
      });
      child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
      child.once("exit", (code) => reject(new Error(`vite exited with ${code}: ${out}`)));
    });
    await deadline(ready, 20_000, () => `vite dev server did not start in 20 s: ${out}`);
    child.removeAllListeners("exit");
    return new DevServer(url, child);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.kill("SIGTERM");
    await stopWithin(exited, 5_000, () => this.child.kill("SIGKILL"));
  }
}
