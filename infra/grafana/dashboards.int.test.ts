import { silentLogger } from "../../core/contracts/logger.js";
import { serve, type ServerType } from "@hono/node-server";
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signBody } from "../../core/signing.js";
import type { ScoredEvent } from "../../core/schemas.js";
import { loadConfig } from "../../aggregator/config.js";
import { compose, type Runtime } from "../../aggregator/main.js";
import { scoredEvent } from "../../aggregator/testing/ops-fixtures.js";
import { freePort } from "../../cli/free-port.js";

// Every Grafana panel's PromQL, run through a real Prometheus (infra/scripts/prometheus.sh, on its
// own port and data folder) scraping the embedded aggregator while signed ingest batches load it.
// Also: `promtool check metrics` accepts the aggregator's /metrics text.

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DASHBOARDS = join(ROOT, "infra/grafana/dashboards");
const RULES = join(ROOT, "infra/prometheus/rules/vigil-recording.yml");
const SECRET = "dashboards-int-test-secret-0123456789";

function run(cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (out += d.toString()));
    p.on("close", (code) => resolve({ code: code ?? 1, out }));
  });
}

interface Target { expr: string }
interface Panel { title: string; targets?: Target[] }

/** Grafana's template variables, as the test's concrete values. */
function concrete(expr: string): string {
  return expr
    .replaceAll("$__rate_interval", "20s")
    .replaceAll("$__interval", "5s")
    .replaceAll("$__range", "10m")
    .replaceAll("$region", ".*")
    .replaceAll("$channel", ".*");
}

const CHANNELS = ["IN_STORE", "ATM", "MOBILE", "ONLINE"] as const;
const VERDICTS = ["APPROVED", "APPROVED", "APPROVED", "REVIEW", "BLOCKED"] as const;
const RULES_FIRED = ["VELOCITY_EXCEEDED", "CROSS_COUNTRY_MISMATCH", "BLOCKED_BIN", "HIGH_AMOUNT"];

let seq = 0;
function batch(n: number): ScoredEvent[] {
  const out: ScoredEvent[] = [];
  for (let i = 0; i < n; i++) {
    const k = seq++;
    const verdict = VERDICTS[k % VERDICTS.length] ?? "APPROVED";
    out.push(
      scoredEvent({
        id: `DASH-${process.pid}-${k}`,
        card: `card-dash-${k % 50}`,
        merchant: `MCH-${k % 7}`,
        channel: CHANNELS[k % CHANNELS.length] ?? "ONLINE",
        region: k % 3 === 0 ? "eu-west" : "us-east",
        verdict,
        rules: verdict === "APPROVED" ? [] : [RULES_FIRED[k % RULES_FIRED.length] ?? "HIGH_AMOUNT"],
        latencyMs: 2 + (k % 40),
        at: new Date(Date.now() - 1000).toISOString(),
      }),
    );
  }
  return out;
}

let dir: string;
let runtime: Runtime;
let server: ServerType;
let aggPort: number;
let promPort: number;
let promEnv: Record<string, string>;
let loader: NodeJS.Timeout | undefined;
let sent = 0;

async function ingest(records: ScoredEvent[]): Promise<void> {
  const body = JSON.stringify({ records });
  const headers = await signBody(SECRET, body, Math.floor(Date.now() / 1000));
  const res = await fetch(`http://127.0.0.1:${aggPort}/v1/ingest`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
  if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  sent += records.length;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vigil-dash-"));
  aggPort = await freePort();
  promPort = await freePort();
  const config = loadConfig({ VIGIL_PROFILE: "embedded", VIGIL_DATA_DIR: join(dir, "agg"), INGEST_SECRET: SECRET, PORT: String(aggPort) });
  runtime = await compose(config, { log: silentLogger });
  server = serve({ fetch: runtime.app.fetch, port: aggPort, hostname: "127.0.0.1" });
  await ingest(batch(50));
  loader = setInterval(() => void ingest(batch(20)).catch(() => undefined), 500);

  const promConfig = join(dir, "prometheus.yml");
  await writeFile(
    promConfig,
    [
      "global: { scrape_interval: 1s, evaluation_interval: 1s }",
      `rule_files: ["${RULES}"]`,
      "scrape_configs:",
      "  - job_name: vigil-aggregator",
      `    static_configs: [{ targets: ["127.0.0.1:${aggPort}"] }]`,
      "",
    ].join("\n"),
  );
  promEnv = { PROMETHEUS_CONFIG: promConfig, PROMETHEUS_PORT: String(promPort), VIGIL_STACK_DIR: join(dir, "stack") };
  const started = await run("bash", ["infra/scripts/prometheus.sh", "start"], promEnv);
  if (started.code !== 0) throw new Error(`prometheus did not start:\n${started.out}`);
}, 240_000);

afterAll(async () => {
  if (loader) clearInterval(loader);
  if (promEnv) await run("bash", ["infra/scripts/prometheus.sh", "stop"], promEnv);
  server?.close();
  await runtime?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function query(expr: string): Promise<{ status: string; data?: { result: unknown[] }; error?: string }> {
  const u = new URL(`http://127.0.0.1:${promPort}/api/v1/query`);
  u.searchParams.set("query", expr);
  return (await (await fetch(u)).json()) as { status: string; data?: { result: unknown[] }; error?: string };
}

/** Polls until the query returns data; the deadline only bounds a test that would fail anyway. */
async function untilData(expr: string, deadlineMs: number) {
  let last = await query(expr);
  while ((last.status !== "success" || (last.data?.result.length ?? 0) === 0) && Date.now() < deadlineMs) {
    await new Promise((r) => setTimeout(r, 1000));
    last = await query(expr);
  }
  return last;
}

describe("observability against a real Prometheus", () => {
  it("promtool check metrics accepts /metrics", async () => {
    const text = await (await fetch(`http://127.0.0.1:${aggPort}/metrics`)).text();
    expect(text).toContain("vigil_verdicts_total");
    const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("every dashboard panel's PromQL returns data", async () => {
    const files = (await readdir(DASHBOARDS)).filter((f) => f.endsWith(".json"));
    expect(files.length).toBeGreaterThanOrEqual(2);
    const exprs: Array<{ where: string; expr: string }> = [];
    for (const f of files) {
      const d = JSON.parse(await readFile(join(DASHBOARDS, f), "utf8")) as { panels: Panel[] };
      for (const p of d.panels) for (const t of p.targets ?? []) exprs.push({ where: `${f} / ${p.title}`, expr: concrete(t.expr) });
    }
    expect(exprs.length).toBeGreaterThanOrEqual(20);
    const deadline = Date.now() + 150_000;
    const empty: string[] = [];
    for (const e of exprs) {
      const r = await untilData(e.expr, deadline);
      if (r.status !== "success") empty.push(`${e.where}: ${r.error ?? r.status} in ${e.expr}`);
      else if ((r.data?.result.length ?? 0) === 0) empty.push(`${e.where}: no data for ${e.expr}`);
    }
    expect(empty).toEqual([]);
    expect(sent).toBeGreaterThan(50);
  });

  it("the recording rules evaluate", async () => {
    const r = await untilData("vigil:verdicts:rate1m", Date.now() + 60_000);
    expect(r.data?.result.length ?? 0).toBeGreaterThan(0);
  });
});
