import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../core/contracts/logger.js";
import { loadTopicSpecs } from "../schema/topics.js";
import type { KafkaBus } from "../bus/kafka-bus.js";
import { createKafkaBusFor } from "../bus/kafka-client.js";
import { loadConfig } from "../config.js";
import { toMessages } from "../ingest/messages.js";
import { createMetrics } from "../metrics.js";
import { checkHealth } from "../ops/health.js";
import { TOPICS } from "../ports/index.js";
import { createArchiveSink, createSummarySink } from "../sinks/index.js";
import { createS3Archive, createSqlSummaryStore, openPostgres, s3ClientFrom } from "../stores/index.js";
import { scoredRecords } from "../testing/ingest-fixtures.js";
import { openStackStores, parquetStats, privateEventHour, stackConfig, type StackStores } from "../testing/stack-harness.js";
import { startSinkConsumer, type SinkConsumer } from "./sink-consumer.js";

// The Kafka client behind the bus follows the config (KAFKA_CLIENT=kafkajs|platformatic).
const kafkaClient = loadConfig({ ...process.env, VIGIL_INGEST: "false" }).KAFKA_CLIENT;

// Issue 13 item 3 on real servers (Kafka, S3Proxy, PostgreSQL): a missing bucket and a database
// role that lost its INSERT privilege used to dead-letter the whole stream with its offsets
// committed. Now the consumer stalls — health degraded with SINK_STALLED, vigil_sink_stalled=1,
// offsets not committed, nothing in fraud-dead-letter — and once the bucket exists / the privilege
// is granted again, every event is written exactly once.

const quiet = silentLogger;
const tag = Math.random().toString(36).slice(2, 8).replace(/\d/g, "z");
const RUN = `stl${tag}`;
const PREFIX = `${RUN}.`;
const ROLE = `vigil_stall_${tag}`;
let stores: StackStores;
let bus: KafkaBus;

beforeAll(async () => {
  stores = await openStackStores(stackConfig());
  bus = createKafkaBusFor(kafkaClient, { brokers: stores.config.KAFKA_BROKERS, clientId: RUN, topicPrefix: PREFIX, log: quiet, redelivery: { initialMs: 200, maxMs: 1000 }, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000 });
  await bus.ensureTopics(loadTopicSpecs({ localPartitions: 2, localReplication: 1 }));
});
afterAll(async () => {
  await bus?.deleteTopics(Object.values(TOPICS)).catch(() => undefined);
  await bus?.close();
  await stores?.sql.exec(`DROP OWNED BY ${ROLE}; DROP ROLE IF EXISTS ${ROLE}`).catch(() => undefined);
  await stores?.close();
});

async function until(what: string, cond: () => Promise<boolean> | boolean, limitMs = 120_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const lagOf = async (c: SinkConsumer) => (await c.lag()).reduce((a, l) => a + l.lag, 0);
const deadLetters = async () => (await bus.subscribe({ groupId: `${RUN}-dl-probe`, topics: [TOPICS.deadLetter], handleBatch: async () => undefined }).then(async (s) => {
  const lag = (await s.lag()).reduce((a, l) => a + l.lag, 0);
  await s.stop();
  return lag;
}));
const health = (name: string, c: SinkConsumer) =>
  checkHealth({ probes: [], lag: async () => [], throughputTps: () => 0, sinks: () => ({ [name]: c.status() }), startedAtMs: 0, now: Date.now });

describe("infrastructure errors stall the sink instead of dead-lettering (real servers)", () => {
  it("S3 NoSuchBucket: stalls, health degraded, nothing dead-lettered; resumes when the bucket exists", async () => {
    const bucket = `vigil-stall-${tag}`;
    const s3 = s3ClientFrom(stores.config, { requestTimeoutMs: 3000 });
    const metrics = createMetrics({ defaults: false });
    const consumer = await startSinkConsumer({
      bus, name: "s3", groupId: `${RUN}-s3`, topics: [TOPICS.verdicts], metrics, log: quiet,
      sink: createArchiveSink(createS3Archive(s3, { bucket }), { rootPrefix: RUN }),
    });
    try {
      await bus.publish(toMessages(scoredRecords(0, 40, { run: `${RUN}s`, cards: 5, baseMs: privateEventHour() }), new Date().toISOString()));
      await until("the s3 sink stalls", () => consumer.status().state === "stalled");
      expect(consumer.status().last_error).toMatch(/NoSuchBucket/);
      expect((await health("s3", consumer)).reasons).toContain("SINK_STALLED:s3");
      expect(await metrics.registry.getSingleMetricAsString("vigil_sink_stalled")).toMatch(/vigil_sink_stalled\{sink="s3"\} 1/);
      expect(await lagOf(consumer)).toBe(40); // nothing committed
      expect(await deadLetters()).toBe(0);

      await s3.send(new CreateBucketCommand({ Bucket: bucket })); // the operator fixes it
      await until("the s3 sink resumes", async () => consumer.status().state === "running" && (await lagOf(consumer)) === 0);
      const stats = await parquetStats(createS3Archive(s3, { bucket }), `${RUN}/verdicts/`);
      expect(stats).toMatchObject({ rows: 40, transactions: 40 });
      expect(await deadLetters()).toBe(0);
    } finally {
      await consumer.stop();
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() => undefined);
      const objects = (listed?.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (objects.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } })).catch(() => undefined);
      await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
      s3.destroy();
    }
  });

  it("PostgreSQL missing privilege: stalls, nothing dead-lettered; resumes after GRANT", async () => {
    const url = new URL(stores.config.DATABASE_URL);
    await stores.sql.exec(
      `CREATE ROLE ${ROLE} LOGIN; GRANT USAGE ON SCHEMA fraud_reporting TO ${ROLE}; GRANT SELECT ON ALL TABLES IN SCHEMA fraud_reporting TO ${ROLE};
       GRANT CREATE, USAGE ON SCHEMA public TO ${ROLE}; GRANT SELECT ON public.schema_migrations TO ${ROLE}`,
    );
    url.username = ROLE;
    url.password = "";
    const pg = await openPostgres(url.toString(), { max: 2 });
    const metrics = createMetrics({ defaults: false });
    const consumer = await startSinkConsumer({
      bus, name: "postgres", groupId: `${RUN}-pg`, topics: [TOPICS.verdicts], metrics, log: quiet,
      sink: createSummarySink(createSqlSummaryStore(pg.client, { closeClient: false })),
    });
    try {
      await until("the postgres sink stalls", () => consumer.status().state === "stalled");
      expect(consumer.status().last_error).toMatch(/42501|permission denied/);
      expect(await deadLetters()).toBe(0);
      expect(await lagOf(consumer)).toBe(40);

      await stores.sql.exec(`GRANT INSERT, UPDATE ON ALL TABLES IN SCHEMA fraud_reporting TO ${ROLE}`);
      await until("the postgres sink resumes", async () => consumer.status().state === "running" && (await lagOf(consumer)) === 0);
      const { rows } = await stores.sql.query<{ n: string }>("SELECT count(*)::text AS n FROM fraud_reporting.summary_applied WHERE transaction_id LIKE $1", [`${RUN}s-%`]);
      expect(Number(rows[0]?.n)).toBe(40);
      expect(await deadLetters()).toBe(0);
    } finally {
      await consumer.stop();
      await pg.client.close();
    }
  });
});
