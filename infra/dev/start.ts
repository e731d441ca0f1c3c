import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync, createWriteStream } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { DEV_SECRETS_PATH, ensureDevSecrets } from "../../cli/dev-secrets.js";

// `npm start`: Vigil on one machine with Node alone (the embedded profile). The edge runs in local
// workerd through the Miniflare API (infra/dev/edge-local.ts: Durable Objects, queue; `--edge
// wrangler` runs `wrangler dev` instead, as before), the aggregator with its in-process bus,
// PGlite and a local Parquet folder. Secrets are made on first run and kept in .data/dev; all data
// stays under .data between runs. `--demo` also runs the synthetic producer; `--profile stack`
// points the aggregator at Kafka, Cassandra, PostgreSQL and S3 instead (infra/stack.sh up first).

const root = resolve(import.meta.dirname, "../..");
const bin = (name: string) => join(root, "node_modules/.bin", name);
const devDir = join(root, ".data/dev");

const { values } = parseArgs({
  options: {
    demo: { type: "boolean", default: false },
    rate: { type: "string", default: "20" },
    profile: { type: "string", default: "embedded" },
    "edge-port": { type: "string", default: "8787" },
    "aggregator-port": { type: "string", default: "8788" },
    edge: { type: "string", default: "miniflare" },
    "queue-batch-timeout": { type: "string", default: "0" },
  },
});
const profile = z.enum(["embedded", "stack"]).parse(values.profile);
const edgePort = z.coerce.number().int().min(1).max(65535).parse(values["edge-port"]);
const aggPort = z.coerce.number().int().min(1).max(65535).parse(values["aggregator-port"]);
const demoRate = z.coerce.number().positive().max(5000).parse(values.rate);
const edgeRunner = z.enum(["miniflare", "wrangler"]).parse(values.edge);
const queueBatchTimeout = z.coerce.number().min(0).max(60).parse(values["queue-batch-timeout"]);

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

const children: ChildProcess[] = [];
function start(name: string, cmd: string, args: string[], env: Record<string, string>, critical = true): ChildProcess {
  const log = createWriteStream(join(devDir, `${name}.log`), { flags: "a" });
  const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  child.on("exit", (code, signal) => {
    if (stopping) return;
    console.error(`\n${name} exited (${signal ?? code}); see .data/dev/${name}.log`);
    if (critical) void shutdown(1);
  });
  children.push(child);
  return child;
}

async function waitFor(url: string, what: string, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status < 500 || res.status === 503) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} did not come up within ${seconds} s (${url}); see .data/dev/*.log`);
}

let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stdout.write("\nstopping…\n");
  for (const c of children) if (c.pid && c.exitCode === null) try { process.kill(-c.pid, "SIGTERM"); } catch { /* gone */ }
  const deadline = Date.now() + 10_000;
  while (children.some((c) => c.exitCode === null && c.signalCode === null) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const c of children) if (c.pid && c.exitCode === null && c.signalCode === null) try { process.kill(-c.pid, "SIGKILL"); } catch { /* gone */ }
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

/** Sums a Prometheus counter over the label sets that match `labels`. */
function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{[^}]*\})?\s+([0-9.eE+-]+)/.exec(line);
    if (!m || m[1] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => (m[2] ?? "").includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}

async function liveLine(): Promise<void> {
  let last = { t: Date.now(), n: 0 };
  for (;;) {
    await new Promise((r) => setTimeout(r, 2000));
    if (stopping) return;
    try {
      const text = await (await fetch(`http://127.0.0.1:${aggPort}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
      const n = metric(text, "vigil_ingest_records_total");
      const now = Date.now();
      const rate = ((n - last.n) * 1000) / (now - last.t);
      last = { t: now, n };
      const v = (verdict: string) => metric(text, "vigil_verdicts_total", { verdict });
      process.stdout.write(`\r${new Date().toISOString().slice(11, 19)}  ${rate.toFixed(1)} events/s  total ${n}  APPROVED ${v("APPROVED")}  REVIEW ${v("REVIEW")}  BLOCKED ${v("BLOCKED")} (alerts)   `);
    } catch {
      process.stdout.write("\raggregator not answering /metrics…                                   ");
    }
  }
}

async function main(): Promise<void> {
  mkdirSync(devDir, { recursive: true });
  // Made on the first run, kept after; the CLI reads its default tokens from the same file.
  const s = ensureDevSecrets(join(root, DEV_SECRETS_PATH));
  const aggregatorEnv: Record<string, string> = {
    VIGIL_PROFILE: profile,
    // This machine's stack: the development defaults of infra/stack.env are allowed.
    VIGIL_ENV: "local",
    PORT: String(aggPort),
    HOST: "127.0.0.1",
    INGEST_SECRET: s.ingest_secret,
    VIGIL_DATA_DIR: join(root, ".data/embedded"),
    // One local broker cannot hold the spec's 64 partitions at replication 3.
    ...(profile === "stack" ? { KAFKA_LOCAL_PARTITIONS: process.env.KAFKA_LOCAL_PARTITIONS ?? "4", KAFKA_LOCAL_RF: process.env.KAFKA_LOCAL_RF ?? "1" } : {}),
    OPS_BOOTSTRAP_TOKENS: JSON.stringify([
      { name: "dev-admin", sha256: sha256(s.ops_admin_token), role: "admin" },
      // The CLI's default ops token (lists and labels imports, consume-alerts): no admin rights.
      { name: "dev-cli", sha256: sha256(s.ops_token), role: "analyst" },
      { name: "edge-snapshot", sha256: sha256(s.edge_snapshot_token), role: "reference" },
    ]),
  };
  console.log(`starting the aggregator (${profile} profile)…`);
  start("aggregator", bin("tsx"), ["aggregator/server.ts"], aggregatorEnv);
  await waitFor(`http://127.0.0.1:${aggPort}/v1/health`, "aggregator", 120);

  const edgeEnv = [
    `EDGE_TOKENS='${JSON.stringify([{ id: "dev-terminal", sha256: sha256(s.edge_token), channels: ["IN_STORE", "ATM", "MOBILE", "ONLINE"] }])}'`,
    `AGGREGATOR_URL=http://127.0.0.1:${aggPort}`,
    `AGGREGATOR_SECRET=${s.ingest_secret}`,
    "REFERENCE_SOURCE=snapshot",
    `REFERENCE_SNAPSHOT_URL=http://127.0.0.1:${aggPort}/v1/reference/snapshot`,
    `REFERENCE_SNAPSHOT_TOKEN=${s.edge_snapshot_token}`,
  ].join("\n");
  const envFile = join(devDir, "edge.env");
  writeFileSync(envFile, `${edgeEnv}\n`, { mode: 0o600 });
  if (edgeRunner === "miniflare") {
    console.log(`starting the edge in local workerd (Miniflare API, queue batch timeout ${queueBatchTimeout} s)…`);
    start("edge", bin("tsx"), ["infra/dev/edge-local.ts", "--port", String(edgePort), "--env-file", envFile, "--persist-to", join(root, ".data/edge-local"), "--batch-timeout", String(queueBatchTimeout)], { WRANGLER_SEND_METRICS: "false", CI: "true" });
  } else {
    console.log("starting the edge in local workerd (wrangler dev)…");
    start("edge", bin("wrangler"), ["dev", "--ip", "127.0.0.1", "--port", String(edgePort), "--env-file", envFile, "--persist-to", join(root, ".data/edge"), "--show-interactive-dev-session=false", "--log-level", "warn"], { WRANGLER_SEND_METRICS: "false", CI: "true" });
  }
  await waitFor(`http://127.0.0.1:${edgePort}/v1/health`, "edge", 180);

  console.log(`
Vigil is up (${profile} profile).
  edge        http://127.0.0.1:${edgePort}/v1   (terminal token: ${s.edge_token})
  aggregator  http://127.0.0.1:${aggPort}/v1   (ops admin token: ${s.ops_admin_token})
  OpenAPI     http://127.0.0.1:${aggPort}/openapi.json  ·  docs http://127.0.0.1:${aggPort}/docs
  metrics     http://127.0.0.1:${aggPort}/metrics
  data        .data/  (logs in .data/dev/*.log; tokens in .data/dev/secrets.json, where
              \`npm run vigil -- …\` finds its edge and ops tokens)

Try:
  curl -s -X POST http://127.0.0.1:${edgePort}/v1/transactions/score -H 'authorization: Bearer ${s.edge_token}' \\
    -H 'content-type: application/json' -d '{"transaction_id":"TXN-TEST-001","card_hash":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","amount_usd":4999.99,"merchant_id":"MCH-0022","channel":"ONLINE","geolocation":{"lat":55.75,"lon":37.61}}'
Ctrl-C stops everything.
`);
  if (values.demo) {
    console.log(`demo producer: ${demoRate} events/s (log: .data/dev/producer.log)`);
    start("producer", bin("tsx"), ["cli/vigil.ts", "producer", "--rate", String(demoRate), "--duration", "86400", "--edge", `http://127.0.0.1:${edgePort}`, "--token", s.edge_token], {}, false);
  }
  await liveLine();
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  void shutdown(1);
});
