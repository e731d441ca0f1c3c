import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { freePort } from "./free-port.js";

// A private copy of what `npm start` runs (infra/dev/start.ts): the embedded aggregator (in-process
// bus, PGlite, local Parquet folder) and the edge in local workerd through the Miniflare API, on
// free ports, with fresh secrets and every byte of state under one folder. For tools that must
// drive the real system from a clean slate (vigil eval --through-api) without touching the
// developer's own `npm start` data in .data/. Both children run in their own process group and are
// ended by their pid.

const root = resolve(import.meta.dirname, "..");
const tsx = join(root, "node_modules/.bin/tsx");
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

export interface EmbeddedSystemOptions {
  /** Everything (databases, Durable Object storage, logs, secrets) goes under this folder. */
  dir: string;
  /** Extra aggregator settings (e.g. OPS_LEARNING_CLOCK=events). */
  aggregatorEnv?: Record<string, string>;
  /** Extra edge settings (e.g. MAX_EVENT_AGE_DAYS). */
  edgeEnv?: Record<string, string>;
  /** Seconds to wait for each side to answer /v1/health (default 300: the edge bundles first). */
  startSeconds?: number;
  log?: (line: string) => void;
}

export interface EmbeddedSystem {
  edgeUrl: string;
  aggregatorUrl: string;
  /** Terminal token of the edge (every channel). */
  edgeToken: string;
  /** Ops token with the admin role (analyst rights included). */
  adminToken: string;
  dir: string;
  stop(): Promise<void>;
}

async function waitHealthy(url: string, what: string, seconds: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`${what} exited before it answered ${url}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status < 500 || res.status === 503) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} did not answer ${url} within ${seconds} s`);
}

export async function startEmbeddedSystem(o: EmbeddedSystemOptions): Promise<EmbeddedSystem> {
  const dir = resolve(o.dir);
  mkdirSync(dir, { recursive: true });
  const log = o.log ?? (() => undefined);
  const make = (prefix: string) => `${prefix}_${randomBytes(24).toString("base64url")}`;
  const s = { edge: make("edge"), ingest: make("ingest"), admin: make("ops"), snapshot: make("snap") };
  const [edgePort, aggPort] = [await freePort(), await freePort()];
  const children: ChildProcess[] = [];
  const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
  const start = (name: string, args: string[], env: Record<string, string>) => {
    const out = createWriteStream(join(dir, `${name}.log`), { flags: "a" });
    const child = spawn(tsx, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    children.push(child);
    return child;
  };
  const stop = async () => {
    for (const c of children) if (c.pid !== undefined && alive(c)) try { process.kill(-c.pid, "SIGTERM"); } catch { /* gone */ }
    const deadline = Date.now() + 10_000;
    while (children.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const c of children) if (c.pid !== undefined && alive(c)) try { process.kill(-c.pid, "SIGKILL"); } catch { /* gone */ }
  };
  try {
    const agg = start("aggregator", ["aggregator/server.ts"], {
      VIGIL_PROFILE: "embedded",
      VIGIL_ENV: "local",
      PORT: String(aggPort),
      HOST: "127.0.0.1",
      INGEST_SECRET: s.ingest,
      VIGIL_DATA_DIR: join(dir, "embedded"),
      OPS_BOOTSTRAP_TOKENS: JSON.stringify([
        { name: "eval-admin", sha256: sha256(s.admin), role: "admin" },
        { name: "edge-snapshot", sha256: sha256(s.snapshot), role: "reference" },
      ]),
      ...o.aggregatorEnv,
    });
    log(`aggregator starting on 127.0.0.1:${aggPort} (log ${join(dir, "aggregator.log")})`);
    await waitHealthy(`http://127.0.0.1:${aggPort}/v1/health`, "aggregator", o.startSeconds ?? 300, () => alive(agg));
    const edgeEnv: Record<string, string> = {
      EDGE_TOKENS: `'${JSON.stringify([{ id: "eval-terminal", sha256: sha256(s.edge), channels: ["IN_STORE", "ATM", "MOBILE", "ONLINE"] }])}'`,
      AGGREGATOR_URL: `http://127.0.0.1:${aggPort}`,
      AGGREGATOR_SECRET: s.ingest,
      REFERENCE_SOURCE: "snapshot",
      REFERENCE_SNAPSHOT_URL: `http://127.0.0.1:${aggPort}/v1/reference/snapshot`,
      REFERENCE_SNAPSHOT_TOKEN: s.snapshot,
      ...o.edgeEnv,
    };
    const envFile = join(dir, "edge.env");
    writeFileSync(envFile, `${Object.entries(edgeEnv).map(([k, v]) => `${k}=${v}`).join("\n")}\n`, { mode: 0o600 });
    const edge = start("edge", ["infra/dev/edge-local.ts", "--port", String(edgePort), "--env-file", envFile, "--persist-to", join(dir, "edge"), "--batch-timeout", "0"], {
      WRANGLER_SEND_METRICS: "false",
      CI: "true",
    });
    log(`edge starting on 127.0.0.1:${edgePort} (bundling first; log ${join(dir, "edge.log")})`);
    await waitHealthy(`http://127.0.0.1:${edgePort}/v1/health`, "edge", o.startSeconds ?? 300, () => alive(edge));
  } catch (e) {
    await stop();
    throw e;
  }
  return { edgeUrl: `http://127.0.0.1:${edgePort}`, aggregatorUrl: `http://127.0.0.1:${aggPort}`, edgeToken: s.edge, adminToken: s.admin, dir, stop };
}
