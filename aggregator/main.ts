import type { Hono } from "hono";
import { openAdapters } from "./adapters.js";
import { alertsStreamRoutes } from "./alerts-stream.js";
import type { Logger } from "../core/contracts/logger.js";
import { createApp } from "./app.js";
import { ingestKeys, sinkGroup, type AggregatorConfig, type SinkName } from "./config.js";
import { startSinkConsumer, type SinkConsumer, type SinkConsumerOptions } from "./consumers/sink-consumer.js";
import { jsonLogger } from "./log.js";
import { createMetrics, type PromMetrics } from "./metrics.js";
import { openApiRoutes } from "./openapi/routes.js";
import { attachOps } from "./ops/wire.js";
import { TOPICS, type EventBus, type TopicName } from "./ports/index.js";
import { createArchiveSink, createHotStoreSink, createSummarySink } from "./sinks/index.js";
import { createSqlArchiveClaims } from "./sinks/archive-claims.js";
import { createSqlIngestLedger, createSqlReplayStore } from "./ingest/ledger.js";

// Composition: the profile's adapters (aggregator/adapters.ts, the one place that reads the
// profile) behind the sinks, the ops module and the HTTP app. Only the stores of the sinks this
// process runs (VIGIL_SINKS) and of the ops module are opened, so sink consumers can be scaled out
// as separate processes, each joining its sink's consumer group.

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

/** How long published idempotency keys and archive claims are kept: longer than any edge retry (issue 13 item 2). */
const LEDGER_RETENTION_MS = 7 * 24 * 3600_000;

export async function compose(config: AggregatorConfig, options: ComposeOptions = {}): Promise<Runtime> {
  const log = options.log ?? jsonLogger;
  const metrics = createMetrics();
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch((e: unknown) => log.error("CLOSE_FAILED", { error: String(e) }));
  };
  try {
    const adapters = await openAdapters(config, log, closers);
    const bus = adapters.bus;
    const sinks = config.VIGIL_SINKS;
    const handlers: Partial<Record<SinkName, SinkConsumerOptions["sink"]>> = {};
    if (sinks.includes("cassandra")) handlers.cassandra = createHotStoreSink(await adapters.verdicts());
    if (sinks.includes("postgres")) handlers.postgres = createSummarySink(await adapters.summaries());
    // Exactly once per event in the archive across processes: claims shared through the SQL store.
    if (sinks.includes("s3")) {
      handlers.s3 = createArchiveSink(adapters.archive(), { claims: createSqlArchiveClaims(await adapters.sql()), ...(config.S3_KEY_PREFIX ? { rootPrefix: config.S3_KEY_PREFIX } : {}) });
    }

    const consumers: SinkConsumer[] = [];
    // Fraud operations: API, review-case and risk-facts sinks, risk job (aggregator/ops/wire.ts).
    const ops = options.ops === false ? undefined : await attachOps({ ...(options.env ? { env: options.env } : {}), ...(config.S3_KEY_PREFIX ? { archivePrefix: config.S3_KEY_PREFIX } : {}), adapters, metrics, log, consumers, closers });
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
        batchDeadlineMs: config.SINK_BATCH_DEADLINE_MS,
        ...(options.onStored ? { onStored: (m, at) => options.onStored?.(name, m, at) } : {}),
      });
      consumers.push(consumer);
      // Consumers stop before the bus closes (closers run in reverse).
      closers.push(() => consumer.stop());
      log.info("SINK_STARTED", { sink: name, groupId: consumer.groupId, topics: SINK_TOPICS[name] });
    }

    // Ingest's replay guard and idempotency ledger live in the SQL store, shared by every process.
    const ingestOn = config.VIGIL_INGEST && config.INGEST_SECRET !== undefined;
    const ledgerSql = ingestOn ? await adapters.sql() : undefined;
    const ledger = ledgerSql ? createSqlIngestLedger(ledgerSql) : undefined;
    if (ledger) {
      const prune = setInterval(() => {
        ledger.prune(LEDGER_RETENTION_MS).catch((e: unknown) => log.warn("LEDGER_PRUNE_FAILED", { error: e instanceof Error ? e.message : String(e) }));
      }, 10 * 60_000);
      prune.unref();
      closers.push(async () => clearInterval(prune));
    }
    let ready = true;
    const app = createApp({
      bus: ops ? ops.wrapBus(bus) : bus,
      metrics,
      log,
      ready: () => ready,
      ...(ledger && ledgerSql ? { ledger, replayGuard: createSqlReplayStore(ledgerSql) } : {}),
      ...(ingestOn && config.INGEST_SECRET
        ? {
            ingest: {
              secret: config.INGEST_SECRET,
              keys: ingestKeys(config),
              maxSkewSeconds: config.INGEST_MAX_SKEW_SECONDS,
              maxBodyBytes: config.INGEST_MAX_BODY_BYTES,
              deadlineMs: config.INGEST_DEADLINE_MS,
            },
          }
        : {}),
    });
    if (ops) {
      // The API's description is served beside the API it describes.
      app.route("/", openApiRoutes());
      app.route("/", ops.routes);
      app.route("/", alertsStreamRoutes({ bus, auth: ops.auth, log, limits: ops.alertStreams }));
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
