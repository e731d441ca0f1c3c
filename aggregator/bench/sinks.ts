/**
 * Sink throughput on this machine (figures, not a test):
 *   tsx aggregator/bench/sinks.ts [events=5000] [batch=500]
 * Archive (Parquet → local folder and → S3Proxy), summary (PostgreSQL, PGlite), hot store
 * (Cassandra, PGlite). Needs the stack for the S3/PostgreSQL/Cassandra lines (skipped if down).
 */
import { PGlite } from "@electric-sql/pglite";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { batchOf, env } from "../testing/batches.js";
import { iso, scoredEvent, uniq } from "../testing/scored-events.js";
import { CQL_DIR, MIGRATIONS_DIR } from "../testing/paths.js";
import { freshPgDatabase } from "../testing/pg-harness.js";
import { deletePrefix, ensureBucket, s3Config } from "../testing/s3-harness.js";
import { applySqlMigrations } from "../schema/migrate.js";
import { TOPICS, type MessageBatch } from "../ports/index.js";
import { createCassandraVerdictStore, createLocalArchive, createS3Archive, createSqlSummaryStore, createSqlVerdictStore, openCassandra, pgliteSqlClient, pgSqlClient, s3ClientFrom } from "../stores/index.js";
import { createArchiveSink, createHotStoreSink, createSummarySink, type BatchHandler } from "../sinks/index.js";

const N = Number(process.argv[2] ?? 5000);
const B = Number(process.argv[3] ?? 500);
const T0 = Date.parse("2026-08-01T00:00:00Z");
const cards = Array.from({ length: Math.max(1, Math.floor(N / 10)) }, () => `card_${uniq()}`);
const events = Array.from({ length: N }, (_, i) =>
  scoredEvent({ card: cards[i % cards.length], ts: iso(T0 + i * 1000), verdict: i % 20 === 0 ? "BLOCKED" : i % 7 === 0 ? "REVIEW" : "APPROVED", amount: (i % 500) + 0.99 }),
);
const batches: MessageBatch[] = [];
for (let i = 0; i < N; i += B) batches.push(batchOf(TOPICS.verdicts, 0, i, events.slice(i, i + B).map(env.scored)));

async function measure(name: string, sink: BatchHandler): Promise<void> {
  const lat: number[] = [];
  const start = performance.now();
  for (const b of batches) {
    const t = performance.now();
    await sink(b);
    lat.push(performance.now() - t);
  }
  const secs = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  const p = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]!.toFixed(0);
  console.log(`${name.padEnd(34)} ${(N / secs).toFixed(0).padStart(7)} events/s   batch of ${B}: p50 ${p(0.5)} ms, p99 ${p(0.99)} ms`);
}

async function optional(name: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    console.log(`${name.padEnd(34)} skipped: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  }
}

const dir = await mkdtemp(join(tmpdir(), "vigil-bench-"));
console.log(`${N} scored events, ${cards.length} cards, batches of ${B}`);
try {
  await measure("archive → local folder (Parquet)", createArchiveSink(createLocalArchive(dir)));
  await optional("archive → S3Proxy (Parquet)", async () => {
    const s3 = s3ClientFrom(s3Config);
    await ensureBucket(s3, s3Config.S3_BUCKET);
    const prefix = `bench-${uniq()}`;
    await measure("archive → S3Proxy (Parquet)", createArchiveSink(createS3Archive(s3, { bucket: s3Config.S3_BUCKET }), { rootPrefix: prefix }));
    await deletePrefix(s3, s3Config.S3_BUCKET, `${prefix}/`);
    s3.destroy();
  });
  const lite = pgliteSqlClient(new PGlite());
  await applySqlMigrations(lite, MIGRATIONS_DIR);
  await measure("summary → PGlite", createSummarySink(createSqlSummaryStore(lite, { closeClient: false })));
  await measure("hot store → PGlite", createHotStoreSink(createSqlVerdictStore(lite)));
  await lite.close();
  await optional("summary → PostgreSQL", async () => {
    const db = await freshPgDatabase("vigil_bench");
    const sql = pgSqlClient(db.pool());
    try {
      await applySqlMigrations(sql, MIGRATIONS_DIR);
      await measure("summary → PostgreSQL", createSummarySink(createSqlSummaryStore(sql, { closeClient: false })));
    } finally {
      await sql.close();
      await db.drop();
    }
  });
  await optional("hot store → Cassandra", async () => {
    const client = await openCassandra({ contactPoints: ["127.0.0.1:9042"], localDataCenter: "datacenter1", cqlDir: CQL_DIR });
    try {
      await measure("hot store → Cassandra", createHotStoreSink(createCassandraVerdictStore(client)));
    } finally {
      await client.shutdown();
    }
  });
} finally {
  await rm(dir, { recursive: true, force: true });
}
