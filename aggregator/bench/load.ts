import { signBody } from "../../core/signing.js";
import { scoredRecords } from "../testing/ingest-fixtures.js";

// Load generator for the aggregator benchmark, run as its own process so its CPU (JSON, HMAC,
// HTTP client) is not counted against the aggregator. Closed loop: CONCURRENCY requests in flight,
// each a signed batch of BATCH fresh events, for SECONDS. Prints one JSON line per second and a
// final one, on stdout.

const env = (k: string, d?: string) => {
  const v = process.env[k] ?? d;
  if (v === undefined) throw new Error(`${k} is required`);
  return v;
};
const url = `${env("LOAD_URL")}/v1/ingest`;
const secret = env("LOAD_SECRET");
const seconds = Number(env("LOAD_SECONDS", "60"));
const batch = Number(env("LOAD_BATCH", "250"));
const concurrency = Number(env("LOAD_CONCURRENCY", "8"));
const run = env("LOAD_RUN");
const baseMs = Number(env("LOAD_BASE_MS"));

let next = 0;
let accepted = 0;
let failed = 0;
const statuses: Record<string, number> = {};
const latencies: number[] = [];
const end = Date.now() + seconds * 1000;

async function worker(): Promise<void> {
  while (Date.now() < end) {
    const from = next;
    next += batch;
    const body = JSON.stringify({ records: scoredRecords(from, batch, { run, cards: 5000, baseMs, receivedAt: new Date().toISOString() }) });
    const headers = await signBody(secret, body, Math.floor(Date.now() / 1000));
    const t0 = performance.now();
    try {
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
      await res.arrayBuffer();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (res.status === 202) {
        accepted += batch;
        latencies.push(performance.now() - t0);
      } else failed += batch;
    } catch {
      statuses.network = (statuses.network ?? 0) + 1;
      failed += batch;
    }
  }
}

const started = Date.now();
const tick = setInterval(() => process.stdout.write(`${JSON.stringify({ type: "tick", t: (Date.now() - started) / 1000, accepted, failed })}\n`), 1000);
await Promise.all(Array.from({ length: concurrency }, () => worker()));
clearInterval(tick);
latencies.sort((a, b) => a - b);
const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
process.stdout.write(
  `${JSON.stringify({ type: "done", seconds: (Date.now() - started) / 1000, accepted, failed, statuses, requestP50ms: q(0.5), requestP99ms: q(0.99), lastIndex: next })}\n`,
);
