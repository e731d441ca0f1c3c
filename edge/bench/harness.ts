import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { workerdConfig } from "./workerd-config.js";
import { freePort } from "../../cli/free-port.js";
export { freePort };

// Pieces of the edge benchmark: build the bundles, start workerd on them, drive wrk, read CPU.

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN = join(ROOT, "node_modules/.bin");
export const OUT = join(ROOT, "dist/edge");
export const WORK = join(ROOT, ".data/bench/edge");
export const TOKEN = "vigil-bench-token-not-a-secret-0001";

function sh(cmd: string, argv: string[], env: NodeJS.ProcessEnv = {}): void {
  const r = spawnSync(cmd, argv, { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(" ")} exited ${r.status}`);
}

export function build(): void {
  console.log("# building the edge bundle (wrangler deploy --dry-run) and the hello-world / hello-do worker");
  sh(join(BIN, "wrangler"), ["deploy", "--dry-run", "--outdir", OUT, "--env", ""], { WRANGLER_SEND_METRICS: "false" });
  sh(join(BIN, "esbuild"), [
    "edge/bench/hello.ts",
    "--bundle",
    "--format=esm",
    "--platform=neutral",
    "--main-fields=module,main",
    "--external:cloudflare:workers",
    `--outfile=${join(OUT, "bench-hello.js")}`,
    "--log-level=warning",
  ]);
}

export function ensureWrk(): void {
  if (spawnSync("wrk", ["-v"]).error === undefined) return;
  console.log("# wrk not found: installing it from Debian (apt-get install -y wrk)");
  sh("apt-get", ["install", "-y", "-qq", "wrk"]);
}

async function waitFor(url: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch {
      if (Date.now() > until) throw new Error(`${url} did not come up`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function bridgeAnswers(url: string, token: string): Promise<boolean> {
  try {
    const res = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: '["PING"]', signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

export function edgeVars(reference: { url: string; token: string } | undefined): Record<string, string> {
  return {
    REGION: "bench",
    VIGIL_ENV: "local",
    EDGE_TOKENS: JSON.stringify([
      { id: "bench", sha256: createHash("sha256").update(TOKEN).digest("hex"), channels: ["IN_STORE", "ATM", "MOBILE", "ONLINE"] },
    ]),
    MAX_EVENT_AGE_DAYS: "30",
    // Local workerd has no jurisdictions; the bench's cards carry no EU home anyway.
    EU_CARD_JURISDICTION: "none",
    REFERENCE_SOURCE: reference ? "upstash" : "none",
    ...(reference ? { UPSTASH_REDIS_REST_URL: reference.url, UPSTASH_REDIS_REST_TOKEN: reference.token } : {}),
    // The queue has no consumer in the bench (the producer binding goes to a sink); never posted to.
    AGGREGATOR_URL: "http://127.0.0.1:9/unused-in-bench",
    AGGREGATOR_SECRET: "bench-secret-not-used-0000",
  };
}

export interface RunningWorkerd {
  process: ChildProcess;
  edgePort: number;
  helloPort: number;
  storageDir: string;
  inspectorPort?: number;
  stop(): Promise<void>;
}

/**
 * One workerd process serving the edge bundle, hello-world and the queue sink. workerd's
 * `inMemory` storage has no SQLite (CardState needs the SQL API), so "memory" is SQLite on tmpfs
 * (/dev/shm), as Miniflare does for non-persisted objects; "disk" is SQLite under .data/.
 */
export async function startWorkerd(storage: "memory" | "disk", vars: Record<string, string>, inspect = false, tag = ""): Promise<RunningWorkerd> {
  const wrangler = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const compatibilityDate = /compatibility_date\s*=\s*"([^"]+)"/.exec(wrangler)?.[1] ?? "2026-11-01";
  const flags = (JSON.parse(/compatibility_flags\s*=\s*(\[[^\]]*\])/.exec(wrangler)?.[1] ?? "[]") as string[]).filter((f) => f !== "nodejs_compat");
  const edgePort = await freePort();
  const helloPort = await freePort();
  // `tag`: a second workerd beside the first (the hello-do floor rows) gets its own directory.
  const storageDir = storage === "memory" ? join("/dev/shm", `vigil-bench-do-${process.pid}${tag}`) : join(WORK, `do-storage${tag}`);
  rmSync(storageDir, { recursive: true, force: true });
  mkdirSync(storageDir, { recursive: true });
  const configPath = join(OUT, `bench-${storage}${tag}.capnp`);
  writeFileSync(
    configPath,
    workerdConfig({ edgeBundle: "entry.js", helloBundle: "bench-hello.js", edgePort, helloPort, storageDir, compatibilityDate, compatibilityFlags: flags, vars }),
  );
  const inspectorPort = inspect ? await freePort() : undefined;
  const argv = ["serve", "--experimental", ...(inspectorPort ? [`--inspector-addr=127.0.0.1:${inspectorPort}`] : []), configPath];
  const child = spawn(join(BIN, "workerd"), argv, { cwd: OUT, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
    rmSync(storageDir, { recursive: true, force: true });
  };
  try {
    await waitFor(`http://127.0.0.1:${helloPort}/`, 20_000);
    await waitFor(`http://127.0.0.1:${edgePort}/v1/health`, 20_000);
  } catch (err) {
    await stop();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${stderr}`);
  }
  return { process: child, edgePort, helloPort, storageDir, ...(inspectorPort ? { inspectorPort } : {}), stop };
}

export interface WrkResult {
  requests: number;
  duration_us: number;
  p50_us: number;
  p90_us: number;
  p99_us: number;
  max_us: number;
  connect_errors: number;
  read_errors: number;
  write_errors: number;
  status_errors: number;
  timeouts: number;
  wrk_cpu_s: number;
}

export function wrk(o: { port: number; bodies: string; seconds: number; threads: number; connections: number; path?: string }): Promise<WrkResult> {
  return new Promise((done, reject) => {
    const p = spawn(
      "wrk",
      [`-t${o.threads}`, `-c${o.connections}`, `-d${o.seconds}s`, "--timeout", "5s", "-s", join(ROOT, "edge/bench/load.lua"), `http://127.0.0.1:${o.port}`, "--", o.bodies, TOKEN, ...(o.path ? [o.path] : [])],
      { cwd: ROOT },
    );
    let out = "";
    let lastCpu = 0;
    const sample = setInterval(() => (lastCpu = cpuSeconds(p.pid) || lastCpu), 200);
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => process.stderr.write(d));
    p.on("error", reject);
    p.on("close", (code) => {
      clearInterval(sample);
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (code !== 0 || !line) return reject(new Error(`wrk exited ${code}: ${out}`));
      done({ ...(JSON.parse(line) as Omit<WrkResult, "wrk_cpu_s">), wrk_cpu_s: lastCpu });
    });
  });
}

/** One real request, checked, so a benchmark of error answers cannot pass for a result. */
export async function sampleVerdict(port: number, bodies: string): Promise<string> {
  const line = readFileSync(bodies, "utf8").split("\n", 1)[0] ?? "";
  const res = await fetch(`http://127.0.0.1:${port}/v1/transactions/score`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: line.replace("__TX__", `sample-${Date.now().toString(36)}`),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`sample request answered ${res.status}: ${text.slice(0, 300)}`);
  const v = JSON.parse(text) as { verdict: string; fraud_score: number; reasons: { code: string }[]; rules_version: string; model_version: string };
  return `${v.verdict} score=${v.fraud_score} rules=${v.rules_version} model=${v.model_version} reasons=[${v.reasons.map((x) => x.code).join(",")}]`;
}
