import { join } from "node:path";
import type { Hono } from "hono";
import { loadTopicSpecs } from "../infra/kafka/topics.js";
import { alertsStreamRoutes } from "./alerts-stream.js";
import { createApp, jsonLogger, type Logger } from "./app.js";
import { createEmbeddedBus } from "./bus/embedded-bus.js";
import { createKafkaBus } from "./bus/kafka-bus.js";
import type { TopicAdmin } from "./bus/topics.js";
import { sinkGroup, type AggregatorConfig, type SinkName } from "./config.js";
import { startSinkConsumer, type SinkConsumer, type SinkConsumerOptions } from "./consumers/sink-consumer.js";
import { createMetrics, type PromMetrics } from "./metrics.js";
import { TOPICS, type Archive, type EventBus, type SummaryStore, type TopicName, type VerdictStore } from "./ports.js";
import { createArchiveSink, createHotStoreSink, createSummarySink } from "./sinks/index.js";
import { attachOps } from "./ops/wire.js";
import {
  createCassandraVerdictStore,
  createLocalArchive,
  createS3Archive,
  createSqlSummaryStore,
  createSqlVerdictStore,
  openCassandra,
  openPglite,
  openPostgres,
  s3ClientFrom,
  type SqlClient,
} from "./stores/index.js";

// Composition: the profile picks the adapters behind each port.
//   embedded: in-process bus, PGlite (hot store + summaries) and a local folder archive, all under
//             VIGIL_DATA_DIR; needs nothing but Node.
//   stack:    Kafka, Cassandra (hot store), PostgreSQL (summaries), S3 (archive).
// Only the stores of the sinks this process runs are opened (VIGIL_SINKS), so sink consumers can
// be scaled out as separate processes, each joining its sink's consumer group.

export interface Runtime {
  app: Hono;
  bus: EventBus;
  metrics: PromMetrics;
  consumers: SinkConsumer[];
  /** Stops consumers, flushes the bus, closes stores; idempotent. */
  close(): Promise<void>;
}

export interface ComposeOptions {
  log?: Logger;
  onStored?: (sink: SinkName, ...args: Parameters<NonNullable<SinkConsumerOptions["onStored"]>>) => void;
  /** Fraud operations (ops API, review/risk sinks, risk job); default on. Settings: aggregator/ops/config.ts. */
  ops?: boolean;
  env?: Record<string, string | undefined>;
}

/**
 * What each sink consumes. Alert rows (REVIEW and BLOCKED) are derived from verdicts by both the
 * hot-store and the archive sink (core/contracts/alert.ts), so neither reads fraud-alerts.
 */
export const SINK_TOPICS: Record<SinkName, TopicName[]> = {
  cassandra: [TOPICS.verdicts],
  postgres: [TOPICS.verdicts],
  s3: [TOPICS.raw, TOPICS.verdicts, TOPICS.enriched],
};

export async function compose(config: AggregatorConfig, options: ComposeOptions = {}): Promise<Runtime> {
  const log = options.log ?? jsonLogger;
  const metrics = createMetrics();
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch((e: unknown) => log("error", "CLOSE_FAILED", { error: String(e) }));
  };
  try {
    const stack = config.VIGIL_PROFILE === "stack";
    const busLog = (level: "error" | "warn" | "info", message: string, extra?: Record<string, unknown>) => log(level, "BUS", { message, ...extra });
    const bus: EventBus & TopicAdmin = stack
      ? createKafkaBus({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID, topicPrefix: config.KAFKA_TOPIC_PREFIX, log: busLog })
      : await createEmbeddedBus({ dataDir: config.VIGIL_DATA_DIR, log: busLog });
    closers.push(() => bus.close());
    await bus.ensureTopics(
      loadTopicSpecs({
        // One broker (or one process) gains nothing from 64 partitions; production leaves these unset.
        localPartitions: config.KAFKA_LOCAL_PARTITIONS ?? (stack ? undefined : 4),
        localReplication: config.KAFKA_LOCAL_RF ?? (stack ? undefined : 1),
      }),
    );

    const sinks = config.VIGIL_SINKS;
    let pglite: SqlClient | undefined;
    const sqlEmbedded = async () => {
      if (!pglite) {
        const opened = await openPglite(config.VIGIL_DATA_DIR);
        const client = opened.client;
        pglite = client;
        closers.push(() => client.close());
        log("info", "MIGRATIONS_APPLIED", { store: "pglite", ...opened.migrations });
      }
      return pglite;
    };

    const handlers: Partial<Record<SinkName, SinkConsumerOptions["sink"]>> = {};
    if (sinks.includes("cassandra")) {
      let store: VerdictStore;
      if (stack) {
        const client = await openCassandra({ contactPoints: config.CASSANDRA_CONTACT_POINTS, localDataCenter: config.CASSANDRA_LOCAL_DC });
        closers.push(() => client.shutdown());
        store = createCassandraVerdictStore(client, { keyspace: config.CASSANDRA_KEYSPACE });
      } else {
        store = createSqlVerdictStore(await sqlEmbedded());
      }
      handlers.cassandra = createHotStoreSink(store);
    }
    if (sinks.includes("postgres")) {
      let store: SummaryStore;
      if (stack) {
        const opened = await openPostgres(config.DATABASE_URL);
        closers.push(() => opened.client.close());
        log("info", "MIGRATIONS_APPLIED", { store: "postgres", ...opened.migrations });
        store = createSqlSummaryStore(opened.client);
      } else {
        store = createSqlSummaryStore(await sqlEmbedded());
      }
      handlers.postgres = createSummarySink(store);
    }
    if (sinks.includes("s3")) {
      let archive: Archive;
      if (stack) {
        const s3 = s3ClientFrom(config);
        closers.push(async () => s3.destroy());
        archive = createS3Archive(s3, { bucket: config.S3_BUCKET });
      } else {
        archive = createLocalArchive(join(config.VIGIL_DATA_DIR, "archive"));
      }
      handlers.s3 = createArchiveSink(archive, config.S3_KEY_PREFIX ? { rootPrefix: config.S3_KEY_PREFIX } : {});
    }

    const consumers: SinkConsumer[] = [];
    // Fraud operations: API, review-case and risk-facts sinks, risk job (aggregator/ops/wire.ts).
    const ops = options.ops === false ? undefined : await attachOps({ config, ...(options.env ? { env: options.env } : {}), bus, metrics, log, consumers, closers, sqlEmbedded });
    for (const name of sinks) {
      const sink = handlers[name];
      if (!sink) continue;
      const consumer = await startSinkConsumer({
        bus,
        name,
        groupId: sinkGroup(config, name),
        topics: SINK_TOPICS[name],
        sink: ops ? ops.trackSink(name, sink) : sink,
        metrics,
        log,
        lagSampleMs: 10_000,
        ...(options.onStored ? { onStored: (m, at) => options.onStored?.(name, m, at) } : {}),
      });
      consumers.push(consumer);
      // Consumers stop before the bus closes (closers run in reverse).
      closers.push(() => consumer.stop());
      log("info", "SINK_STARTED", { sink: name, groupId: consumer.groupId, topics: SINK_TOPICS[name] });
    }

    let ready = true;
    const app = createApp({
      bus: ops ? ops.wrapBus(bus) : bus,
      metrics,
      log,
      ready: () => ready,
      ...(config.VIGIL_INGEST && config.INGEST_SECRET
        ? { ingest: { secret: config.INGEST_SECRET, maxSkewSeconds: config.INGEST_MAX_SKEW_SECONDS, maxBodyBytes: config.INGEST_MAX_BODY_BYTES } }
        : {}),
    });
    if (ops) {
      app.route("/", ops.routes);
      app.route("/", alertsStreamRoutes({ bus, auth: ops.auth, log }));
    }
    let closing: Promise<void> | undefined;
    return {
      app,
      bus,
      metrics,
      consumers,
      close: () => {
        ready = false;
        closing ??= closeAll();
        return closing;
      },
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
