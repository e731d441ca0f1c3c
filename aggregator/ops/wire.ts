import type { Logger } from "../app.js";
import type { AggregatorConfig } from "../config.js";
import { startSinkConsumer, type SinkConsumer } from "../consumers/sink-consumer.js";
import type { PromMetrics } from "../metrics.js";
import type { EventBus, VerdictStore } from "../ports.js";
import { createCassandraVerdictStore, createSqlSummaryStore, createSqlVerdictStore, openCassandra, openPostgres, type SqlClient } from "../stores/index.js";
import { composeOps, type OpsRuntime } from "./compose.js";
import { loadOpsConfig } from "./config.js";
import { cassandraProbe, sqlProbe, type HealthProbe } from "./health.js";

// The ops module inside aggregator/main.ts's compose(): a handful of lines there call this.
// Embedded: shares compose()'s PGlite (one process may open it once). Stack: opens its own
// PostgreSQL pool (ops tables) and Cassandra client (verdict lookups), closed with the runtime.

export interface AttachOpsInput {
  config: AggregatorConfig;
  env?: Record<string, string | undefined>;
  bus: EventBus;
  metrics: PromMetrics;
  log: Logger;
  /** compose()'s lists: ops consumers join them, so lag, health and shutdown see them. */
  consumers: SinkConsumer[];
  closers: Array<() => Promise<void>>;
  /** compose()'s lazily opened PGlite (embedded profile). */
  sqlEmbedded: () => Promise<SqlClient>;
}

export async function attachOps(input: AttachOpsInput): Promise<OpsRuntime> {
  const { config, log, closers } = input;
  const opsConfig = loadOpsConfig(input.env ?? process.env);
  const stack = config.VIGIL_PROFILE === "stack";
  let sql: SqlClient;
  let verdicts: VerdictStore;
  const probes: HealthProbe[] = [];
  if (stack) {
    const opened = await openPostgres(config.DATABASE_URL, { max: 5 });
    const pgClient = opened.client;
    closers.push(() => pgClient.close());
    sql = pgClient;
    const cass = await openCassandra({ contactPoints: config.CASSANDRA_CONTACT_POINTS, localDataCenter: config.CASSANDRA_LOCAL_DC });
    closers.push(() => cass.shutdown());
    verdicts = createCassandraVerdictStore(cass, { keyspace: config.CASSANDRA_KEYSPACE });
    probes.push(cassandraProbe(cass), sqlProbe("postgres", sql));
  } else {
    sql = await input.sqlEmbedded();
    verdicts = createSqlVerdictStore(sql);
    probes.push(sqlProbe("pglite", sql, { hotStore: true }));
  }
  const ops = composeOps({
    config: opsConfig,
    sql,
    verdicts,
    summaries: createSqlSummaryStore(sql, { closeClient: false }),
    registry: input.metrics.registry,
    probes,
    consumers: () => input.consumers,
    log,
  });
  closers.push(() => ops.close());
  for (const s of ops.sinks) {
    const consumer = await startSinkConsumer({ bus: input.bus, name: s.name, groupId: s.groupId, topics: s.topics, sink: s.sink, metrics: input.metrics, log, lagSampleMs: 10_000 });
    input.consumers.push(consumer);
    closers.push(() => consumer.stop());
    log("info", "SINK_STARTED", { sink: s.name, groupId: s.groupId, topics: s.topics });
  }
  ops.start();
  return ops;
}
