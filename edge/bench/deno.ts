import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BIN, cpuSeconds, freePort, ROOT, sampleVerdict, WORK, wrk } from "./harness.js";

// The Deno rows of `npm run bench:edge` (and all of `npm run bench:edge:deno`): the Deno entry
// (edge/deno/main.ts: the same Hono app over Deno KV and the KV queue) beside a hello-world Deno.serve
// (edge/deno/bench-hello.ts), driven by the same wrk script and the same simulator bodies as the
// workerd rows. KV in memory (":memory:") and on local disk (SQLite under .data/bench/edge).
// Forwarding: records are enqueued on the KV queue (that cost is measured) but no listener runs
// (FORWARD_CONSUMER=off), as the workerd rows send to a sink worker. Prints figures, asserts nothing.

export interface DenoRow {
  target: string;
  storage: string;
  cards: number | "-";
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  /** CPU of the serving process (deno here, workerd in the workerd rows), µs per request. */
  workerd_cpu_us_per_req: number;
  ratio_to_hello?: number;
}

export interface DenoBenchOptions {
  vars: Record<string, string>;
  bodyFiles: Map<number, string>;
  storages: ("memory" | "disk")[];
  duration: number;
  warmup: number;
  threads: number;
  connections: number;
  onRow?: (row: DenoRow) => void;
}

interface Proc {
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

async function waitUp(url: string, child: ChildProcess, out: () => string): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`deno exited ${child.exitCode}: ${out()}`);
    try {
      await fetch(url);
      return;
    } catch {
      if (Date.now() > until) throw new Error(`${url} did not come up: ${out()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function startDeno(script: string, env: Record<string, string>, probe: string, writeDir?: string): Promise<Proc> {
  const port = await freePort();
  const perms = ["--allow-net", "--allow-env", `--allow-read=${ROOT}`, ...(writeDir ? [`--allow-write=${writeDir}`] : [])];
  const child = spawn(join(BIN, "deno"), ["run", "--unstable-kv", ...perms, script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", NO_COLOR: "1", ...env, PORT: String(port), HOST: "127.0.0.1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
  };
  try {
    await waitUp(`http://127.0.0.1:${port}${probe}`, child, () => stderr);
  } catch (err) {
    await stop();
    throw err;
  }
  return { child, port, stop };
}

async function measure(o: DenoBenchOptions, target: string, storage: string, cards: number | "-", p: Proc, bodies: string): Promise<DenoRow> {
  const run = { port: p.port, bodies, threads: o.threads, connections: o.connections };
  if (o.warmup > 0) await wrk({ ...run, seconds: o.warmup });
  const cpu0 = cpuSeconds(p.child.pid);
  const r = await wrk({ ...run, seconds: o.duration });
  const cpu1 = cpuSeconds(p.child.pid);
  const seconds = r.duration_us / 1e6;
  return {
    target,
    storage,
    cards,
    rps: Math.round(r.requests / seconds),
    p50_ms: r.p50_us / 1000,
    p99_ms: r.p99_us / 1000,
    errors: r.connect_errors + r.read_errors + r.write_errors + r.status_errors + r.timeouts,
    workerd_cpu_us_per_req: Math.round(((cpu1 - cpu0) * 1e6) / Math.max(1, r.requests)),
  };
}

export async function benchDeno(o: DenoBenchOptions): Promise<DenoRow[]> {
  const rows: DenoRow[] = [];
  const push = (row: DenoRow) => {
    rows.push(row);
    o.onRow?.(row);
  };
  const firstBodies = [...o.bodyFiles.values()][0] ?? "";
  console.log("\n## Deno (edge/deno/main.ts): forwarding = KV enqueue per request, no queue listener; hello-world = Deno.serve constant answer");
  const hello = await startDeno("edge/deno/bench-hello.ts", {}, "/");
  let helloRow: DenoRow;
  try {
    helloRow = await measure(o, "deno hello-world", "-", "-", hello, firstBodies);
    push(helloRow);
  } finally {
    await hello.stop();
  }
  for (const storage of o.storages) {
    const dir = join(WORK, "deno-kv");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const kvPath = storage === "memory" ? ":memory:" : join(dir, "vigil.sqlite3");
    const edge = await startDeno("edge/deno/main.ts", { ...o.vars, DENO_KV_PATH: kvPath, FORWARD_CONSUMER: "off" }, "/v1/health", dir);
    try {
      console.log(`\n## Deno KV: ${storage === "memory" ? "in memory (:memory:)" : `local disk (${kvPath})`}`);
      console.log(`# sample verdict: ${await sampleVerdict(edge.port, firstBodies)}`);
      for (const [cards, file] of o.bodyFiles) {
        const row = await measure(o, "deno vigil score", storage, cards, edge, file);
        row.ratio_to_hello = Math.round((row.rps / Math.max(1, helloRow.rps)) * 1000) / 1000;
        push(row);
      }
    } finally {
      await edge.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}
