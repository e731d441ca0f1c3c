import { silentLogger } from "../../core/contracts/logger.js";
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { promisify } from "node:util";
import { randomUUID } from "node:crypto";
import { createWriteStream, mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadTopicSpecs } from "../schema/topics.js";
import { createApp } from "../app.js";
import type { KafkaBus } from "../bus/kafka-bus.js";
import { createKafkaBusFor } from "../bus/kafka-client.js";
import { loadConfig } from "../config.js";
import { reportDateOf } from "../stores/index.js";
import { toMessages } from "../ingest/messages.js";
import { scoredRecords, signedIngest } from "../testing/ingest-fixtures.js";
import { TOPICS, type IncomingMessage } from "../ports/index.js";
import { createArchiveSink, createHotStoreSink, createSummarySink } from "../sinks/index.js";
import { startSinkConsumer, type SinkConsumer } from "./sink-consumer.js";
import { countCassandraVerdicts, openStackStores, parquetStats, privateEventHour, summaryTotal, type StackStores } from "../testing/stack-harness.js";

// The Kafka client behind the bus follows the config (KAFKA_CLIENT=kafkajs|platformatic).
const kafkaClient = loadConfig({ ...process.env, VIGIL_INGEST: "false" }).KAFKA_CLIENT;

// The pipeline on the real stack: Kafka, Cassandra, PostgreSQL, S3Proxy. Each test runs under a
// private topic prefix, consumer groups, event hour and archive prefix, and checks the stores with
// independent reads (CQL, SQL, Parquet through DuckDB): every event sent is stored, none twice.

const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
const quiet = silentLogger;
const root = new URL("../..", import.meta.url).pathname;
let stores: StackStores;

beforeAll(async () => {
  stores = await openStackStores();
});
afterAll(async () => {
  await stores.close();
});

async function until(what: string, cond: () => Promise<boolean> | boolean, limitMs = 240_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function kafkaBus(prefix: string, clientId: string): KafkaBus {
  return createKafkaBusFor(kafkaClient, {
    brokers, clientId, topicPrefix: prefix, log: quiet, redelivery: { initialMs: 100, maxMs: 2000 }, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000,
    // Short, so a broker outage reaches the sender as 503s (as the edge would see it), not as a long wait.
    publishTimeoutMs: 4000, publishRetries: 2,
  });
}
/** Async, so the sender keeps sending (and meeting 503s) while the broker is down. */
const kafkaCtl = (action: "stop" | "start") => promisify(execFile)("bash", [`${root}infra/scripts/kafka.sh`, action]);

describe("scale-out: two consumer instances in one group", () => {
  it("splits the partitions and stores every event exactly once", async () => {
    const run = `so${randomUUID().slice(0, 6)}`;
    const prefix = `${run}.`;
    const admin = kafkaBus(prefix, "vigil-so-admin");
    await admin.ensureTopics(loadTopicSpecs({ localPartitions: 6, localReplication: 1 }));
    const base = privateEventHour();
    const consumers: SinkConsumer[] = [];
    const buses = [kafkaBus(prefix, "vigil-so-a"), kafkaBus(prefix, "vigil-so-b")];
    const seen = new Map<string, Set<number>>(); // instance/sink -> partitions
    try {
      for (const [i, bus] of buses.entries()) {
        for (const [name, sink] of [["postgres", createSummarySink(stores.summaries)], ["cassandra", createHotStoreSink(stores.verdicts)]] as const) {
          consumers.push(
            await startSinkConsumer({
              bus, name, groupId: `${run}-${name}`, topics: [TOPICS.verdicts], sink, log: quiet,
              onStored: (ms: IncomingMessage[]) => ms.forEach((m) => (seen.get(`${i}/${name}`) ?? seen.set(`${i}/${name}`, new Set()).get(`${i}/${name}`)!).add(m.position.partition)),
            }),
          );
        }
      }
      // Warm-up until both instances of both groups have written: the assignment is then settled.
      let warm = 0;
      await until("both instances active", async () => {
        await admin.publish(toMessages(scoredRecords(warm, 60, { run: `${run}w`, cards: 60, baseMs: base - 86_400_000 }), new Date().toISOString()));
        warm += 60;
        await new Promise((r) => setTimeout(r, 300));
        return ["0/postgres", "1/postgres", "0/cassandra", "1/cassandra"].every((k) => (seen.get(k)?.size ?? 0) > 0);
      });
      seen.clear();
      const N = 3000;
      const records = scoredRecords(0, N, { run, cards: 500, baseMs: base });
      for (let i = 0; i < N; i += 500) await admin.publish(toMessages(records.slice(i, i + 500), new Date().toISOString()));
      const date = reportDateOf(records[0]!.event.timestamp_utc);
      const txIds = records.map((r) => r.event.transaction_id);
      await until("summary holds N", async () => (await summaryTotal(stores.summaries, date)) >= N);
      await until("cassandra holds N", async () => (await countCassandraVerdicts(stores.cassandra, stores.config.CASSANDRA_KEYSPACE, txIds)) >= N);
      expect(await summaryTotal(stores.summaries, date)).toBe(N);
      expect(await countCassandraVerdicts(stores.cassandra, stores.config.CASSANDRA_KEYSPACE, txIds)).toBe(N);
      for (const sink of ["postgres", "cassandra"]) {
        const a = seen.get(`0/${sink}`) ?? new Set();
        const b = seen.get(`1/${sink}`) ?? new Set();
        expect([...a].filter((p) => b.has(p))).toEqual([]);
        expect(a.size + b.size).toBe(6);
      }
    } finally {
      await Promise.all(consumers.map((c) => c.stop()));
      await admin.deleteTopics(Object.values(TOPICS)).catch(() => undefined);
      await Promise.all([...buses, admin].map((b) => b.close()));
    }
  });
});

describe("faults under a steady stream", () => {
  const secret = "fault-test-secret-0123456789";
  let ingestBus: KafkaBus;
  let server: ServerType;
  let url: string;
  const run = `ft${randomUUID().slice(0, 6)}`;
  const prefix = `${run}.`;
  const s3Prefix = `test-runs/${run}`;
  const logDir = `${root}.data/test-logs`;

  beforeAll(async () => {
    ingestBus = kafkaBus(prefix, "vigil-ft-ingest");
    await ingestBus.ensureTopics(loadTopicSpecs({ localPartitions: 4, localReplication: 1 }));
    const app = createApp({ bus: ingestBus, ingest: { secret, maxSkewSeconds: 300, maxBodyBytes: 1 << 22 }, log: quiet });
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => {
        url = `http://127.0.0.1:${info.port}`;
        resolve();
      });
    });
    mkdirSync(logDir, { recursive: true });
  });
  afterAll(async () => {
    // Whatever happened, the shared broker must be running again.
    execFileSync("bash", [`${root}infra/scripts/kafka.sh`, "start"], { stdio: "ignore" });
    await new Promise<void>((r) => server.close(() => r()));
    await ingestBus.deleteTopics(Object.values(TOPICS)).catch(() => undefined);
    await ingestBus.close();
  });

  function startConsumerProcess(tag: string): Promise<ChildProcess> {
    const out = createWriteStream(`${logDir}/${run}-${tag}.log`);
    const child = spawn(`${root}node_modules/.bin/tsx`, ["aggregator/server.ts"], {
      cwd: root,
      env: {
        ...process.env,
        VIGIL_PROFILE: "stack",
        VIGIL_ENV: "local",
        VIGIL_INGEST: "false",
        VIGIL_SINKS: "all",
        PORT: String(20000 + Math.floor(Math.random() * 20000)),
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_LOCAL_PARTITIONS: "4",
        KAFKA_LOCAL_RF: "1",
        SINK_GROUP_CASSANDRA: `${run}-cassandra`,
        SINK_GROUP_POSTGRES: `${run}-postgres`,
        SINK_GROUP_S3: `${run}-s3`,
        S3_KEY_PREFIX: s3Prefix,
        // The ops module's own sinks (aggregator/ops) join private groups too.
        SINK_GROUP_REVIEW: `${run}-review`,
        SINK_GROUP_RISK_FACTS: `${run}-risk-facts`,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.pipe(out);
    let seenListening = false;
    return new Promise((resolve, reject) => {
      child.stderr?.on("data", (d: Buffer) => {
        out.write(d);
        if (!seenListening && d.toString().includes("AGGREGATOR_LISTENING")) {
          seenListening = true;
          resolve(child);
        }
      });
      child.on("exit", (code) => {
        if (!seenListening) reject(new Error(`consumer process exited with ${code} before listening (see ${logDir})`));
      });
    });
  }

  it("loses nothing and stores nothing twice across a consumer kill and a broker restart", { timeout: 900_000 }, async () => {
    const base = privateEventHour();
    const BATCH = 20;
    const stats = { sent: 0, retries: 0 };
    let streaming = true;
    // A steady stream (~80 events/s) until both faults are over. The edge's behaviour on failure:
    // re-sign and re-send the same batch until it is accepted.
    const stream = async () => {
      while (streaming) {
        const body = JSON.stringify({ records: scoredRecords(stats.sent, BATCH, { run, cards: 400, baseMs: base }) });
        for (;;) {
          const res = await fetch(await signedIngest(`${url}/v1/ingest`, secret, body, Math.floor(Date.now() / 1000))).catch(() => undefined);
          if (res?.status === 202) break;
          expect([undefined, 503]).toContain(res?.status);
          stats.retries++;
          await new Promise((r) => setTimeout(r, 250));
        }
        stats.sent += BATCH;
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    let child = await startConsumerProcess("1");
    const sending = stream();
    try {
      // (a) the consumer process dies mid-stream (no shutdown) and comes back
      await until("stream under way", () => stats.sent >= 400);
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
      child = await startConsumerProcess("2");
      // (b) the broker stops and starts while the stream goes on
      const retriesBefore = stats.retries;
      await kafkaCtl("stop");
      await new Promise((r) => setTimeout(r, 8000));
      await kafkaCtl("start");
      const afterRestart = stats.sent;
      await until("stream flowing again", () => stats.sent >= afterRestart + 200);
      streaming = false;
      await sending;
      // The outage was seen by the sender: ingest answered 503 (or timed out) and the batch was re-sent.
      expect(stats.retries).toBeGreaterThan(retriesBefore);

      const N = stats.sent;
      const records = scoredRecords(0, N, { run, cards: 400, baseMs: base });
      const date = reportDateOf(records[0]!.event.timestamp_utc);
      const txIds = records.map((r) => r.event.transaction_id);
      const ks = stores.config.CASSANDRA_KEYSPACE;
      await until("summary holds N", async () => (await summaryTotal(stores.summaries, date)) >= N, 300_000);
      await until("cassandra holds N", async () => (await countCassandraVerdicts(stores.cassandra, ks, txIds)) >= N, 300_000);
      await until("archive holds N verdicts and N raw events", async () => {
        const [v, r] = [await parquetStats(stores.archive, `${s3Prefix}/verdicts/`), await parquetStats(stores.archive, `${s3Prefix}/raw/transactions/`)];
        return v.transactions >= N && r.transactions >= N;
      }, 300_000);
      expect(await summaryTotal(stores.summaries, date)).toBe(N);
      expect(await countCassandraVerdicts(stores.cassandra, ks, txIds)).toBe(N);
      const verdictFiles = await parquetStats(stores.archive, `${s3Prefix}/verdicts/`);
      const rawFiles = await parquetStats(stores.archive, `${s3Prefix}/raw/transactions/`);
      expect(verdictFiles.transactions).toBe(N);
      expect(rawFiles.transactions).toBe(N);
      // One row per log position: re-delivered batches overwrote their files instead of adding.
      expect(verdictFiles.rows).toBe(verdictFiles.positions);
      expect(rawFiles.rows).toBe(rawFiles.positions);
      process.stdout.write(`faults: sent ${N} in batches of ${BATCH}, ingest retries ${stats.retries}, verdict files ${verdictFiles.files}, ` +
        `log positions ${verdictFiles.positions} (duplicates on the topic from ambiguous publishes: ${verdictFiles.positions - N})\n`);
    } finally {
      streaming = false;
      child.kill("SIGTERM");
      await sending.catch(() => undefined);
    }
  });
});
