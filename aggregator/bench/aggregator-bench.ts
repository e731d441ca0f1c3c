import { silentLogger, type Logger, type LogFields } from "../../core/contracts/logger.js";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { constants as perfConstants, PerformanceObserver, type NodeGCPerformanceDetail } from "node:perf_hooks";
import { serve } from "@hono/node-server";
import { deletePrefix, ensureBucket } from "../testing/s3-harness.js";
import { privateEventHour, stackConfig } from "../testing/stack-harness.js";
import { compose } from "../main.js";
import { TOPICS, type IncomingMessage } from "../ports/index.js";
import { s3ClientFrom } from "../stores/index.js";

// npm run bench:aggregator — sustained events/s from signed HTTP ingest through Kafka into
// Cassandra, PostgreSQL and S3 (stack profile, loopback only, bounded time). The aggregator runs
// in this process (one Node event loop = one core); the load generator is a separate process.
// Prints ingest rate, per-sink write rate, consumer lag (max and final) and ingest-to-stored
// latency p50/p99 per sink (produced_at, set when ingest accepted the batch, to the sink's durable
// write). Settings: BENCH_SECONDS (60), BENCH_BATCH (250), BENCH_CONCURRENCY (8),
// BENCH_DRAIN_SECONDS (120), KAFKA_CLIENT (kafkajs | platformatic: the bus's Kafka client), plus
// the usual stack env (infra/stack.env defaults).
// CPU: "during load" counts the aggregator's CPU while the load runs; sinks that lag finish their
// work in the drain, so "load + drain" (until every sink holds every event) is the full cost of an
// event through ingest, produce and all three sinks. Profile with
// NODE_OPTIONS="--cpu-prof --cpu-prof-dir=DIR" (the largest .cpuprofile is this process).

const seconds = Number(process.env.BENCH_SECONDS ?? 60);
const batch = Number(process.env.BENCH_BATCH ?? 250);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
const drainSeconds = Number(process.env.BENCH_DRAIN_SECONDS ?? 120);
const run = `bench${randomUUID().slice(0, 6)}`;
const secret = `bench-secret-${randomUUID()}`;
const root = new URL("../..", import.meta.url).pathname;
const quietLine = (level: "info" | "warn" | "error") => (code: string, fields?: LogFields) => {
  if (level === "error" || process.env.BENCH_VERBOSE) process.stderr.write(`${JSON.stringify({ level, code, ...fields })}\n`.slice(0, 400));
};
const quietLog: Logger = { info: quietLine("info"), warn: quietLine("warn"), error: quietLine("error") };

const config = stackConfig({
  VIGIL_INGEST: "true",
  INGEST_SECRET: secret,
  KAFKA_TOPIC_PREFIX: `${run}.`,
  SINK_GROUP_CASSANDRA: `${run}-cassandra`,
  SINK_GROUP_POSTGRES: `${run}-postgres`,
  SINK_GROUP_S3: `${run}-s3`,
  S3_KEY_PREFIX: `bench-runs/${run}`,
});

type SinkKey = "cassandra" | "postgres" | "s3";
const sinkNames: SinkKey[] = ["cassandra", "postgres", "s3"];
const stored: Record<SinkKey, { events: number; messages: number; latencies: number[]; firstAt: number; lastAt: number }> = {
  cassandra: { events: 0, messages: 0, latencies: [], firstAt: 0, lastAt: 0 },
  postgres: { events: 0, messages: 0, latencies: [], firstAt: 0, lastAt: 0 },
  s3: { events: 0, messages: 0, latencies: [], firstAt: 0, lastAt: 0 },
};
function onStored(sink: SinkKey, messages: IncomingMessage[], at: number): void {
  const s = stored[sink];
  s.messages += messages.length;
  if (s.firstAt === 0) s.firstAt = at;
  s.lastAt = at;
  for (const m of messages) {
    // One verdict message per event: events/s and latency are counted on fraud-verdicts.
    if (m.position.topic !== TOPICS.verdicts) continue;
    s.events++;
    s.latencies.push(at - Date.parse(m.value.produced_at));
  }
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};
const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a");

async function main(): Promise<void> {
  const s3 = s3ClientFrom(config);
  await ensureBucket(s3, config.S3_BUCKET);
  process.stdout.write(`aggregator bench ${run}: ${seconds}s of load, batches of ${batch}, ${concurrency} in flight; partitions ${config.KAFKA_LOCAL_PARTITIONS ?? "(topics.json)"}; Kafka client ${config.KAFKA_CLIENT} (KAFKA_CLIENT)\n`);
  const runtime = await compose(config, { log: quietLog, ops: false, onStored: (sink, messages, at) => onStored(sink as SinkKey, messages, at) });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: runtime.app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;

  const lagSamples: number[] = [];
  const sampleLag = async () => {
    const lags = await Promise.all(runtime.consumers.map((c) => c.lag().catch(() => [])));
    const total = lags.flat().reduce((s, l) => s + l.lag, 0);
    lagSamples.push(total);
    return total;
  };
  const lagTimer = setInterval(() => void sampleLag(), 1000);
  // Garbage collection from load start to the end of the drain, by kind (minor = scavenge).
  const gc = { minor: { n: 0, ms: 0 }, major: { n: 0, ms: 0 }, other: { n: 0, ms: 0 } };
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as PerformanceEntry & { detail?: NodeGCPerformanceDetail }).detail?.kind;
      const g = kind === perfConstants.NODE_PERFORMANCE_GC_MINOR ? gc.minor : kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR ? gc.major : gc.other;
      g.n++;
      g.ms += e.duration;
    }
  });
  gcObserver.observe({ entryTypes: ["gc"] });
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();

  const load = spawn(`${root}node_modules/.bin/tsx`, ["aggregator/bench/load.ts"], {
    cwd: root,
    env: { ...process.env, LOAD_URL: `http://127.0.0.1:${port}`, LOAD_SECRET: secret, LOAD_SECONDS: String(seconds), LOAD_BATCH: String(batch), LOAD_CONCURRENCY: String(concurrency), LOAD_RUN: run, LOAD_BASE_MS: String(privateEventHour()) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let done: { accepted: number; failed: number; seconds: number; statuses: Record<string, number>; requestP50ms: number; requestP99ms: number } | undefined;
  for await (const line of createInterface({ input: load.stdout! })) {
    const msg = JSON.parse(line) as { type: string; t?: number; accepted: number };
    if (msg.type === "tick" && Math.round(msg.t ?? 0) % 10 === 0) {
      process.stdout.write(`  t=${Math.round(msg.t ?? 0)}s accepted ${fmt(msg.accepted)}, stored cassandra ${fmt(stored.cassandra.events)} postgres ${fmt(stored.postgres.events)} s3 ${fmt(stored.s3.events)}, lag ${fmt(lagSamples.at(-1) ?? NaN)}\n`);
    }
    if (msg.type === "done") done = msg as unknown as typeof done;
  }
  const loadSeconds = (Date.now() - t0) / 1000;
  const cpuLoad = process.cpuUsage(cpu0);
  const lagAtEnd = await sampleLag();
  const accepted = done?.accepted ?? 0;
  const drainStart = Date.now();
  while (Date.now() - drainStart < drainSeconds * 1000 && sinkNames.some((s) => stored[s].events < accepted)) await new Promise((r) => setTimeout(r, 250));
  const drainS = (Date.now() - drainStart) / 1000;
  const cpuAll = process.cpuUsage(cpu0);
  gcObserver.disconnect();
  clearInterval(lagTimer);
  const finalLag = await sampleLag();

  process.stdout.write(`\nresults (${run})\n`);
  process.stdout.write(`  ingest: ${fmt(accepted)} events accepted in ${loadSeconds.toFixed(1)}s = ${fmt(accepted / loadSeconds)} events/s (${fmt(accepted / batch / loadSeconds)} req/s, request p50 ${done?.requestP50ms.toFixed(1)} ms p99 ${done?.requestP99ms.toFixed(1)} ms, statuses ${JSON.stringify(done?.statuses)})\n`);
  process.stdout.write(`  aggregator CPU during load: ${((cpuLoad.user + cpuLoad.system) / 1e6 / loadSeconds * 100).toFixed(0)}% of one core (user ${(cpuLoad.user / 1e6).toFixed(1)}s, system ${(cpuLoad.system / 1e6).toFixed(1)}s)\n`);
  const cpuAllS = (cpuAll.user + cpuAll.system) / 1e6;
  process.stdout.write(`  aggregator CPU load + drain: ${cpuAllS.toFixed(1)}s = ${fmt(accepted / cpuAllS)} events per core-second (${fmt((cpuAllS * 1e6) / accepted)} µs per event: ingest, produce and all three sinks)\n`);
  process.stdout.write(`  GC pauses load + drain: minor ${gc.minor.n} × = ${fmt(gc.minor.ms)} ms, major ${gc.major.n} × = ${fmt(gc.major.ms)} ms, other ${gc.other.n} × = ${fmt(gc.other.ms)} ms\n`);
  for (const s of sinkNames) {
    const x = stored[s];
    const span = Math.max(0.001, (x.lastAt - x.firstAt) / 1000);
    process.stdout.write(`  sink ${s.padEnd(9)}: ${fmt(x.events)}/${fmt(accepted)} events stored, ${fmt(x.events / span)} events/s over ${span.toFixed(1)}s (${fmt(x.messages)} messages), ingest→stored p50 ${fmt(pct(x.latencies, 0.5))} ms p99 ${fmt(pct(x.latencies, 0.99))} ms\n`);
  }
  process.stdout.write(`  consumer lag (messages, all groups): max ${fmt(Math.max(...lagSamples))}, at end of load ${fmt(lagAtEnd)}, final ${fmt(finalLag)} after ${drainS.toFixed(1)}s drain\n`);

  server.close();
  await runtime.close();
  // Clean up: the bench's topics and archive objects (rows in Cassandra/PostgreSQL carry the run's ids).
  const admin = (await import("../bus/kafka-client.js")).createKafkaBusFor(config.KAFKA_CLIENT, { brokers: config.KAFKA_BROKERS, clientId: "vigil-bench-cleanup", topicPrefix: `${run}.`, log: silentLogger });
  await admin.deleteTopics(Object.values(TOPICS)).catch(() => undefined);
  await admin.close();
  await deletePrefix(s3, config.S3_BUCKET, `bench-runs/${run}/`).catch(() => undefined);
  s3.destroy();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
