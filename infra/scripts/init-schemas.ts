/**
 * Applies Vigil's schemas to the local stack by hand (the aggregator does the same at start):
 *   tsx infra/scripts/init-schemas.ts [kafka] [cassandra] [s3] [postgres]
 * Default: kafka cassandra s3. postgres only when named: the aggregator owns SQL migrations, and
 * recording a file that is still being edited would freeze its checksum in the ledger.
 *
 * - kafka:     creates missing topics from infra/kafka/topics.json with the local caps
 *              (KAFKA_LOCAL_PARTITIONS, KAFKA_LOCAL_RF); existing topics are left as they are.
 * - cassandra: runs every infra/cassandra/*.cql (schema.cql first); statements are idempotent.
 * - postgres:  applies infra/postgres/migrations/NNN_*.sql not yet applied, recording them in
 *              public.schema_migrations with the same name + sha256 checksum ledger the
 *              aggregator's migrator uses, so the two never apply a file twice.
 * - s3:        creates the data-lake bucket.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadTopicSpecs, localOverridesFromEnv } from "../kafka/topics.js";

const INFRA = fileURLToPath(new URL("..", import.meta.url));
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

/** Statements of a CQL script: `--` and `//` comments dropped, split on `;` outside quotes. */
export function splitStatements(script: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote: string | undefined;
  for (let i = 0; i < script.length; i++) {
    const ch = script.charAt(i);
    const two = script.slice(i, i + 2);
    if (quote !== undefined) {
      cur += ch;
      if (ch === quote) quote = undefined;
    } else if (two === "--" || two === "//") {
      const nl = script.indexOf("\n", i);
      i = nl < 0 ? script.length : nl - 1;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      cur += ch;
    } else if (ch === ";") {
      if (cur.trim() !== "") out.push(cur.trim());
      cur = "";
    } else {
      cur += ch;
    }
  }
  if (cur.trim() !== "") out.push(cur.trim());
  return out;
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
    const dir = join(INFRA, "cassandra");
    const files = readdirSync(dir)
      .filter((n) => n.endsWith(".cql"))
      .sort((a, b) => (a === "schema.cql" ? -1 : b === "schema.cql" ? 1 : a.localeCompare(b)));
    for (const file of files) {
      const statements = splitStatements(readFileSync(join(dir, file), "utf8"));
      for (const stmt of statements) {
        try {
          await client.execute(stmt);
        } catch (e) {
          // A re-run ALTER ... ADD finds its column already there; everything else is a real error.
          if (!/already exists|conflicts with an existing column/i.test((e as Error).message)) throw e;
        }
      }
      console.log(`cassandra: ${file}: ${statements.length} statement(s)`);
    }
  } finally {
    await client.shutdown();
  }
}

async function initPostgres(): Promise<void> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({
    host: env("PGHOST", "127.0.0.1"),
    port: Number(env("PGPORT", "5432")),
    user: env("PGUSER", "postgres"),
    database: env("PGDATABASE", "test"),
  });
  await client.connect();
  try {
    const dir = join(INFRA, "postgres", "migrations");
    const files = readdirSync(dir).filter((n) => /^\d+_.*\.sql$/.test(n)).sort();
    await client.query(
      `CREATE TABLE IF NOT EXISTS public.schema_migrations (
         name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
    );
    for (const name of files) {
      const sql = readFileSync(join(dir, name), "utf8");
      const checksum = createHash("sha256").update(sql).digest("hex");
      await client.query("BEGIN");
      try {
        // Same advisory lock as the aggregator's migrator: two migrators never interleave.
        await client.query("SELECT pg_advisory_xact_lock($1::bigint)", [7_240_517_001]);
        const { rows } = await client.query<{ checksum: string }>("SELECT checksum FROM public.schema_migrations WHERE name = $1", [name]);
        const done = rows[0];
        if (done === undefined) {
          await client.query(sql);
          await client.query("INSERT INTO public.schema_migrations (name, checksum) VALUES ($1, $2)", [name, checksum]);
          console.log(`postgres: ${name}: applied`);
        } else {
          console.log(`postgres: ${name}: ${done.checksum === checksum ? "already applied" : "applied earlier, file changed since (not re-run)"}`);
        }
        await client.query("COMMIT");
      } catch (e) {
        await client.query("ROLLBACK");
        throw new Error(`${name}: ${(e as Error).message}`, { cause: e });
      }
    }
  } finally {
    await client.end();
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

// Only when run as a script; importing splitStatements must not touch any server.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
