import { join } from "node:path";
import { Redis } from "@upstash/redis";
import { loadTopicSpecs } from "./schema/topics.js";
import type { Logger } from "../core/contracts/logger.js";
import { createEmbeddedBus } from "./bus/embedded-bus.js";
import { createKafkaBusFor } from "./bus/kafka-client.js";
import type { TopicAdmin } from "./bus/topics.js";
import type { AggregatorConfig } from "./config.js";
import { redisReferenceTarget, type ReferenceTarget } from "./reference/target.js";
import type { Archive, EventBus, SummaryStore, VerdictStore, SqlClient } from "./ports/index.js";
import { createCassandraVerdictStore, createLocalArchive, createS3Archive, createSqlSummaryStore, createSqlVerdictStore, openCassandra, openPglite, openPostgres, s3ClientFrom } from "./stores/index.js";
import { cassandraProbe, redisProbe, sqlProbe, type HealthProbe } from "./ports/index.js";

// The one place where the profile becomes adapters:
//   embedded: in-process bus, PGlite (hot store, summaries, ops tables) and a local folder
//             archive, all under VIGIL_DATA_DIR; needs nothing but Node.
//   stack:    Kafka, Cassandra (hot store), PostgreSQL (summaries, ops tables), S3 (archive).
// Stores open on first use, so a process opens only what its sinks and the ops module need, and
// each client is opened once and shared: one Cassandra client, one PostgreSQL pool (or PGlite,
// which one process may open only once), one S3 client. Each registers its closer when opened.

export interface Adapters {
  /** The profile's bus, its topics created. */
  bus: EventBus & TopicAdmin;
  /** PostgreSQL pool (stack) or PGlite (embedded), every SQL migration applied. */
  sql(): Promise<SqlClient>;
  /** The hot store: Cassandra (stack) or the SQL hot-store tables (embedded). */
  verdicts(): Promise<VerdictStore>;
  summaries(): Promise<SummaryStore>;
  archive(): Archive;
  /** Health probes of the hot store and the SQL store. */
  probes(): Promise<HealthProbe[]>;
  /**
   * Where reference data goes to the edge: Redis when configured (its one client, and its probe),
   * else nothing, and the edge reads the snapshot endpoint from the SQL tables.
   */
  reference(redis: RedisSettings | undefined): { target?: ReferenceTarget; probes: HealthProbe[] };
}

export interface RedisSettings {
  url: string;
  token: string;
}

function once<T>(open: () => T): () => T {
  let opened: { value: T } | undefined;
  return () => (opened ??= { value: open() }).value;
}

/** `closers` receives each adapter's close as it opens (the caller runs them in reverse). */
export async function openAdapters(config: AggregatorConfig, log: Logger, closers: Array<() => Promise<void>>): Promise<Adapters> {
  const stack = config.VIGIL_PROFILE === "stack";
  const bus: EventBus & TopicAdmin = stack
    ? createKafkaBusFor(config.KAFKA_CLIENT, { brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID, topicPrefix: config.KAFKA_TOPIC_PREFIX, log })
    : await createEmbeddedBus({ dataDir: config.VIGIL_DATA_DIR, log });
  closers.push(() => bus.close());
  await bus.ensureTopics(
    loadTopicSpecs({
      // One broker (or one process) gains nothing from 64 partitions; production leaves these unset.
      localPartitions: config.KAFKA_LOCAL_PARTITIONS ?? (stack ? undefined : 4),
      localReplication: config.KAFKA_LOCAL_RF ?? (stack ? undefined : 1),
    }),
  );

  const sql = once(async (): Promise<SqlClient> => {
    const timeouts = { connectMs: config.PG_CONNECT_TIMEOUT_MS, statementMs: config.PG_STATEMENT_TIMEOUT_MS, queryMs: config.PG_QUERY_TIMEOUT_MS };
    const opened = stack ? await openPostgres(config.DATABASE_URL, { timeouts }) : await openPglite(config.VIGIL_DATA_DIR);
    closers.push(() => opened.client.close());
    log.info("MIGRATIONS_APPLIED", { store: stack ? "postgres" : "pglite", ...opened.migrations });
    return opened.client;
  });
  const cassandra = once(async () => {
    const client = await openCassandra({ contactPoints: config.CASSANDRA_CONTACT_POINTS, localDataCenter: config.CASSANDRA_LOCAL_DC, readTimeoutMs: config.CASSANDRA_READ_TIMEOUT_MS });
    closers.push(() => client.shutdown());
    return client;
  });
  const verdicts = once(async (): Promise<VerdictStore> =>
    stack ? createCassandraVerdictStore(await cassandra(), { keyspace: config.CASSANDRA_KEYSPACE }) : createSqlVerdictStore(await sql()),
  );
  const summaries = once(async (): Promise<SummaryStore> => createSqlSummaryStore(await sql(), { closeClient: false }));
  const archive = once((): Archive => {
    if (!stack) return createLocalArchive(join(config.VIGIL_DATA_DIR, "archive"));
    const s3 = s3ClientFrom(config, { requestTimeoutMs: config.S3_REQUEST_TIMEOUT_MS });
    closers.push(async () => s3.destroy());
    return createS3Archive(s3, { bucket: config.S3_BUCKET });
  });
  const probes = async (): Promise<HealthProbe[]> =>
    stack ? [cassandraProbe(await cassandra()), sqlProbe("postgres", await sql())] : [sqlProbe("pglite", await sql(), { hotStore: true })];

  let reference: ReturnType<Adapters["reference"]> | undefined;
  const referenceOf = (settings: RedisSettings | undefined): ReturnType<Adapters["reference"]> => {
    if (reference) return reference;
    if (!settings) return (reference = { probes: [] });
    const redis = new Redis({ url: settings.url, token: settings.token, enableTelemetry: false });
    return (reference = { target: redisReferenceTarget(redis), probes: [redisProbe(redis)] });
  };

  return { bus, sql, verdicts, summaries, archive, probes, reference: referenceOf };
}
