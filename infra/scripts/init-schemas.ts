/**
 * Applies Vigil's schemas to the local stack by hand (the aggregator does the same at start):
 *   tsx infra/scripts/init-schemas.ts [kafka] [cassandra] [s3] [postgres]
 * Default: kafka cassandra s3. postgres only when named: the aggregator owns SQL migrations, and
 * recording a file that is still being edited would freeze its checksum in the ledger.
 *
 * - kafka:     creates missing topics from aggregator/schema/topics.json with the local caps
 *              (KAFKA_LOCAL_PARTITIONS, KAFKA_LOCAL_RF); existing topics are left as they are.
 * - cassandra: runs every aggregator/schema/cassandra/*.cql (schema.cql first); statements are idempotent.
 * - postgres:  applies aggregator/schema/postgres/NNN_*.sql not yet applied, recording them in
 *              public.schema_migrations.
 * - s3:        creates the data-lake bucket.
 * cassandra and postgres go through aggregator/schema/migrate.ts, the migrator the aggregator runs at
 * start, so both share one statement splitter, one ledger and one advisory lock.
 */
import { fileURLToPath } from "node:url";
import { applyCqlDir, applySqlMigrations } from "../../aggregator/schema/migrate.js";
import { loadTopicSpecs, localOverridesFromEnv } from "../../aggregator/schema/topics.js";

const env = (name: string, fallback: string): string => process.env[name] || fallback;

async function initKafka(): Promise<void> {
  const { default: kafkajs } = await import("kafkajs");
  const kafka = new kafkajs.Kafka({
    clientId: "vigil-init-schemas",
    brokers: env("KAFKA_BROKERS", "127.0.0.1:9092").split(","),
    logLevel: kafkajs.logLevel.WARN,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const specs = loadTopicSpecs(localOverridesFromEnv());
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.name,
          numPartitions: s.partitions,
          replicationFactor: s.replicationFactor,
          configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    for (const s of specs) {
      console.log(`kafka: ${s.name} ${existing.has(s.name) ? "exists" : `created (${s.partitions} partitions, RF ${s.replicationFactor})`}`);
    }
  } finally {
    await admin.disconnect();
  }
}

async function initCassandra(): Promise<void> {
  const { default: cassandra } = await import("cassandra-driver");
  const client = new cassandra.Client({
    contactPoints: [`${env("CASSANDRA_HOST", "127.0.0.1")}:${env("CASSANDRA_PORT", "9042")}`],
    localDataCenter: env("CASSANDRA_DC", "datacenter1"),
    socketOptions: { readTimeout: 60_000 },
  });
  await client.connect();
  try {
    const result = await applyCqlDir(client);
    for (const f of result.files) {
      console.log(`cassandra: ${f.name}: ${f.statements} statement(s)${f.skipped > 0 ? `, ${f.skipped} already there` : ""}`);
    }
  } finally {
    await client.shutdown();
  }
}

async function initPostgres(): Promise<void> {
  const [{ default: pg }, { pgSqlClient }] = await Promise.all([import("pg"), import("../../aggregator/stores/sql-client.js")]);
  const client = pgSqlClient(
    new pg.Pool({
      host: env("PGHOST", "127.0.0.1"),
      port: Number(env("PGPORT", "5432")),
      user: env("PGUSER", "postgres"),
      database: env("PGDATABASE", "test"),
      max: 1,
    }),
  );
  try {
    const result = await applySqlMigrations(client);
    for (const name of result.applied) console.log(`postgres: ${name}: applied`);
    for (const name of result.alreadyApplied) console.log(`postgres: ${name}: already applied`);
    for (const name of result.changed) console.log(`postgres: ${name}: applied earlier, file changed since (not re-run)`);
  } finally {
    await client.close();
  }
}

async function initS3(): Promise<void> {
  const { CreateBucketCommand, HeadBucketCommand, S3Client } = await import("@aws-sdk/client-s3");
  const s3 = new S3Client({
    endpoint: env("S3_ENDPOINT", "http://127.0.0.1:9000"),
    region: env("S3_REGION", "us-east-1"),
    forcePathStyle: true,
    credentials: { accessKeyId: env("S3_ACCESS_KEY_ID", "vigil-local"), secretAccessKey: env("S3_SECRET_ACCESS_KEY", "vigil-local-secret") },
  });
  const bucket = env("S3_BUCKET", "fraud-detection-datalake");
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    console.log(`s3: ${bucket} exists`);
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    console.log(`s3: ${bucket} created`);
  } finally {
    s3.destroy();
  }
}

const steps: Record<string, () => Promise<void>> = { kafka: initKafka, cassandra: initCassandra, postgres: initPostgres, s3: initS3 };

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const names = wanted.length > 0 ? wanted : ["kafka", "cassandra", "s3"];
  for (const name of names) {
    const step = steps[name];
    if (step === undefined) throw new Error(`unknown target ${name}; expected ${Object.keys(steps).join(", ")}`);
    await step();
  }
}

// Only when run as a script; importing this module must not touch any server.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
