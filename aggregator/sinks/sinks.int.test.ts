import type { S3Client } from "@aws-sdk/client-s3";
import cassandra from "cassandra-driver";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { batchOf, env } from "../testing/batches.js";
import { readParquetWithDuckDb } from "../testing/duckdb.js";
import { HOUR_MS, iso, scoredEvent, uniq } from "../testing/scored-events.js";
import { CQL_DIR, MIGRATIONS_DIR } from "../testing/paths.js";
import { freshPgDatabase, type FreshDatabase } from "../testing/pg-harness.js";
import { deletePrefix, ensureBucket, s3Config } from "../testing/s3-harness.js";
import { applyCqlDir, applySqlMigrations } from "../schema/migrate.js";
import { TOPICS, type SqlClient } from "../ports/index.js";
import { createCassandraVerdictStore } from "../stores/cassandra-verdict-store.js";
import { createS3Archive, s3ClientFrom } from "../stores/s3-archive.js";
import { pgSqlClient } from "../stores/sql-client.js";
import { createSqlSummaryStore } from "../stores/sql-summary-store.js";
import { createArchiveSink } from "./archive-sink.js";
import { createHotStoreSink, createSummarySink } from "./store-sinks.js";

// The sinks on the stack profile's real servers: S3Proxy, Cassandra, PostgreSQL.
const H0 = Date.parse("2026-07-01T09:59:00.000Z");

describe("archive sink → S3Proxy, read back with DuckDB", () => {
  let s3: S3Client;
  let dir: string;
  const rootPrefix = `sink-it-${uniq()}`;
  beforeAll(async () => {
    s3 = s3ClientFrom(s3Config);
    await ensureBucket(s3, s3Config.S3_BUCKET);
    dir = await mkdtemp(join(tmpdir(), "vigil-s3-parquet-"));
  });
  afterAll(async () => {
    await deletePrefix(s3, s3Config.S3_BUCKET, `${rootPrefix}/`);
    s3.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it("writes hourly Parquet objects that DuckDB reads with the right rows and types; re-delivery overwrites", async () => {
    const archive = createS3Archive(s3, { bucket: s3Config.S3_BUCKET });
    const sink = createArchiveSink(archive, { rootPrefix });
    const events = [0, 1, 2, 3].map((i) => scoredEvent({ ts: iso(H0 + i * 40 * 60_000), verdict: i === 3 ? "REVIEW" : "APPROVED", amount: 1.25 * (i + 1) }));
    await sink(batchOf(TOPICS.verdicts, 2, 77, events.slice(0, 3).map(env.scored)));
    await sink(batchOf(TOPICS.verdicts, 2, 77, events.map(env.scored))); // re-delivery, one more message
    const keys = await archive.list(`${rootPrefix}/verdicts/`);
    expect(keys.map((k) => k.slice(rootPrefix.length + 1))).toEqual([
      "verdicts/year=2026/month=07/day=01/hour=09/part-00002-00000000000000000077.parquet",
      "verdicts/year=2026/month=07/day=01/hour=10/part-00002-00000000000000000077.parquet",
      "verdicts/year=2026/month=07/day=01/hour=11/part-00002-00000000000000000077.parquet",
    ]);
    const files: string[] = [];
    for (const [i, k] of keys.entries()) {
      const f = join(dir, `${i}.parquet`);
      await writeFile(f, (await archive.get(k))!);
      files.push(f);
    }
    const { rows, columns } = await readParquetWithDuckDb(files);
    expect(rows.map((r) => r.transaction_id)).toEqual(events.map((e) => e.event.transaction_id));
    expect(rows.map((r) => r.kafka_offset)).toEqual([77n, 78n, 79n, 80n]);
    expect(rows.map((r) => r.amount_usd)).toEqual([1.25, 2.5, 3.75, 5]);
    expect(columns).toMatchObject({ amount_usd: "DOUBLE", kafka_offset: "BIGINT", verdict: "VARCHAR", feature_new_device_flag: "BOOLEAN" });
    expect((rows[3]!.timestamp_utc as Date).toISOString()).toBe(events[3]!.event.timestamp_utc);
  });
});

describe("hot-store sink → Cassandra", () => {
  let client: cassandra.Client;
  beforeAll(async () => {
    client = new cassandra.Client({ contactPoints: ["127.0.0.1:9042"], localDataCenter: "datacenter1" });
    await applyCqlDir(client, CQL_DIR);
  });
  afterAll(() => client.shutdown());

  it("writes verdicts, alerts and 24 h state once however often the batch comes", async () => {
    const store = createCassandraVerdictStore(client);
    const sink = createHotStoreSink(store);
    const card = `card_${uniq()}`;
    const events = [0, 1, 2].map((i) => scoredEvent({ card, ts: iso(H0 + i * HOUR_MS), verdict: i === 1 ? "REVIEW" : "APPROVED", amount: 100 }));
    const batch = batchOf(TOPICS.verdicts, 0, 10, events.map(env.scored));
    await sink(batch);
    await sink(batch);
    await sink(batchOf(TOPICS.verdicts, 0, 11, events.slice(1).map(env.scored)));
    expect(await store.getUserRisk(card)).toMatchObject({ tx_count_24hr: 3, spend_total_24hr: 300, risk_tier: "MEDIUM" });
    expect(await store.countAlertsForCard(card, 0)).toBe(1);
    expect((await store.getVerdict(events[1]!.event.transaction_id))?.record).toEqual(events[1]);
  });
});

describe("alerts: Cassandra fraud_alerts and S3 fraud_alerts/ hold the same rows", () => {
  let client: cassandra.Client;
  let s3: S3Client;
  let dir: string;
  const rootPrefix = `sink-it-${uniq()}`;
  beforeAll(async () => {
    client = new cassandra.Client({ contactPoints: ["127.0.0.1:9042"], localDataCenter: "datacenter1" });
    await applyCqlDir(client, CQL_DIR);
    s3 = s3ClientFrom(s3Config);
    await ensureBucket(s3, s3Config.S3_BUCKET);
    dir = await mkdtemp(join(tmpdir(), "vigil-s3-alerts-"));
  });
  afterAll(async () => {
    await client.shutdown();
    await deletePrefix(s3, s3Config.S3_BUCKET, `${rootPrefix}/`);
    s3.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it("one verdicts batch through both sinks: REVIEW and BLOCKED rows alike in both stores, APPROVED in neither", async () => {
    const card = `card_${uniq()}`;
    const events = (["BLOCKED", "APPROVED", "REVIEW"] as const).map((verdict, i) => scoredEvent({ card, ts: iso(H0 + i * 60_000), verdict }));
    const batch = batchOf(TOPICS.verdicts, 1, 5, events.map(env.scored));
    const store = createCassandraVerdictStore(client);
    await createHotStoreSink(store)(batch);
    const archive = createS3Archive(s3, { bucket: s3Config.S3_BUCKET });
    await createArchiveSink(archive, { rootPrefix })(batch);

    const files: string[] = [];
    for (const [i, k] of (await archive.list(`${rootPrefix}/fraud_alerts/`)).entries()) {
      const f = join(dir, `${i}.parquet`);
      await writeFile(f, (await archive.get(k))!);
      files.push(f);
    }
    const fromS3 = (await readParquetWithDuckDb(files)).rows.map((r) => ({
      card_number_hash: r.card_number_hash,
      transaction_id: r.transaction_id,
      alert_timestamp: (r.alert_timestamp as Date).toISOString(),
      fraud_score: r.fraud_score,
      fraud_reason: r.fraud_reason,
      action_taken: r.action_taken,
      rule_triggers: JSON.parse(String(r.rule_triggers)) as unknown,
      ml_score: r.ml_score,
    }));
    const fromCassandra = (await store.alertsForCard(card, { limit: 10 })).reverse(); // newest first → event order
    expect(fromCassandra.map((a) => a.action_taken)).toEqual(["BLOCKED", "REVIEW"]);
    expect(fromS3).toEqual(fromCassandra);
  });
});

describe("summary sink → PostgreSQL", () => {
  let db: FreshDatabase;
  let sql: SqlClient;
  beforeAll(async () => {
    db = await freshPgDatabase();
    sql = pgSqlClient(db.pool());
    await applySqlMigrations(sql, MIGRATIONS_DIR);
  });
  afterAll(async () => {
    await sql.close();
    await db.drop();
  });

  it("counts a re-delivered batch once", async () => {
    const sink = createSummarySink(createSqlSummaryStore(sql, { closeClient: false }));
    const events = [0, 1, 2].map((i) => scoredEvent({ ts: iso(H0 + i), verdict: i === 0 ? "BLOCKED" : "APPROVED", amount: 19.99 }));
    const batch = batchOf(TOPICS.verdicts, 1, 0, events.map(env.scored));
    await sink(batch);
    await sink(batch);
    const rows = await createSqlSummaryStore(sql, { closeClient: false }).summaryForDate("2026-07-01");
    expect(rows).toEqual([
      { report_date: "2026-07-01", merchant_category: "5411", total_transactions: 3, flagged_count: 1, blocked_count: 1, false_positive_rate: 0, avg_fraud_score: 36.6667, total_fraud_amount: 19.99 },
    ]);
  });
});
