import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../cli/free-port.js";

// Starts the edge on each runtime for the conformance suite, as a developer would: `wrangler dev`
// (local workerd: Durable Objects, local queue + consumer) with a temp --persist-to and an
// --env-file, and the Deno entry (edge/deno/main.ts) with a temp Deno KV file. Same settings on both.

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = join(ROOT, "node_modules/.bin");

export const CONFORMANCE_TOKENS = {
  all: "conformance-all-channels-7d1e0c",
  store: "conformance-store-only-3a9b42",
} as const;
export const FORWARD_SECRET = "vigil-conformance-forward-secret-01";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

export interface RuntimeSettings {
  aggregatorUrl: string;
  upstashUrl: string;
  upstashToken: string;
}

/** The settings both runtimes get (wrangler.toml [vars] hold the same non-secret defaults). */
export function edgeEnv(s: RuntimeSettings): Record<string, string> {
  return {
    REGION: "conformance",
    VIGIL_ENV: "local",
    EDGE_TOKENS: JSON.stringify([
      { id: "conf-all", sha256: sha256(CONFORMANCE_TOKENS.all), channels: ["IN_STORE", "ATM", "MOBILE", "ONLINE"] },
      { id: "conf-store", sha256: sha256(CONFORMANCE_TOKENS.store), channels: ["IN_STORE", "ATM"] },
    ]),
    MAX_BATCH: "100",
    MAX_BODY_BYTES: "65536",
    MAX_BATCH_BODY_BYTES: "1048576",
    MAX_FUTURE_SKEW_SECONDS: "300",
    MAX_EVENT_AGE_DAYS: "30",
    REFERENCE_SOURCE: "upstash",
    UPSTASH_REDIS_REST_URL: s.upstashUrl,
    UPSTASH_REDIS_REST_TOKEN: s.upstashToken,
    AGGREGATOR_URL: s.aggregatorUrl,
    AGGREGATOR_SECRET: FORWARD_SECRET,
    FORWARD_BACKOFF_BASE_SECONDS: "1",
    FORWARD_BACKOFF_MAX_SECONDS: "5",
  };
}

export interface RunningEdge {
  name: "workers" | "deno";
  url: string;
  /** Last lines of the process's output, for failure messages. */
  output(): string;
  /** Everything the process wrote (up to 4 MB), for tests that check what was logged. */
  log(): string;
  stop(): Promise<void>;
}

async function waitForHealth(url: string, child: ChildProcess, out: () => string, seconds: number): Promise<void> {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited ${child.exitCode}\n${out()}`);
    try {
      const res = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`${url} did not answer /v1/health within ${seconds} s\n${out()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function track(child: ChildProcess): () => string {
  const all = trackAll(child);
  return () => all().slice(-8000);
}

const logs = new WeakMap<ChildProcess, () => string>();
function trackAll(child: ChildProcess): () => string {
  const known = logs.get(child);
  if (known) return known;
  let text = "";
  const add = (d: Buffer) => {
    text += d.toString();
    if (text.length > 4_000_000) text = text.slice(-4_000_000);
  };
  child.stdout?.on("data", add);
  child.stderr?.on("data", add);
  const read = () => text;
  logs.set(child, read);
  return read;
}

function stopper(child: ChildProcess, dir: string): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      // Negative pid: the process group (wrangler runs workerd as a child).
      try {
        process.kill(-(child.pid ?? 0), "SIGTERM");
      } catch {
        child.kill("SIGTERM");
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-(child.pid ?? 0), "SIGKILL");
        } catch {
          // already gone
        }
      }, 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
}

const envFileLine = (k: string, v: string) => `${k}=${v.includes("\n") ? JSON.stringify(v) : v}`;

export async function startWranglerDev(settings: RuntimeSettings): Promise<RunningEdge> {
  const dir = mkdtempSync(join(tmpdir(), "vigil-conf-wrangler-"));
  const envFile = join(dir, "conformance.env");
  writeFileSync(envFile, Object.entries(edgeEnv(settings)).map(([k, v]) => envFileLine(k, v)).join("\n") + "\n");
  const port = await freePort();
  const inspector = await freePort();
  const child = spawn(
    join(BIN, "wrangler"),
    ["dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector), "--persist-to", join(dir, "state"), "--env-file", envFile, "--show-interactive-dev-session=false", "--log-level", "warn"],
    { cwd: ROOT, env: { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ""}`, WRANGLER_SEND_METRICS: "false", CI: "1" }, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  const output = track(child);
  const url = `http://127.0.0.1:${port}`;
  const stop = stopper(child, dir);
  try {
    await waitForHealth(url, child, output, 120);
  } catch (err) {
    await stop();
    throw err;
  }
  return { name: "workers", url, output, log: trackAll(child), stop };
}

export async function startDeno(settings: RuntimeSettings): Promise<RunningEdge> {
  const dir = mkdtempSync(join(tmpdir(), "vigil-conf-deno-"));
  const port = await freePort();
  // Narrow permissions: loopback only (receiver, Upstash bridge, own port), the repo, the temp KV.
  const child = spawn(
    join(BIN, "deno"),
    ["run", "--unstable-kv", "--allow-net=127.0.0.1", "--allow-env", `--allow-read=${ROOT},${dir}`, `--allow-write=${dir}`, "edge/deno/main.ts"],
    {
      cwd: ROOT,
      // Only what the edge needs (plus PATH/HOME for Deno itself): nothing else from this process.
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? dir, ...edgeEnv(settings), PORT: String(port), HOST: "127.0.0.1", DENO_KV_PATH: join(dir, "kv.sqlite3"), NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  const output = track(child);
  const url = `http://127.0.0.1:${port}`;
  const stop = stopper(child, dir);
  try {
    await waitForHealth(url, child, output, 60);
  } catch (err) {
    await stop();
    throw err;
  }
  return { name: "deno", url, output, log: trackAll(child), stop };
}
