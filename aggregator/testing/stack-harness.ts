import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type cassandra from "cassandra-driver";
import { loadConfig, type AggregatorConfig } from "../config.js";
import type { Archive, SummaryStore, VerdictStore, SqlClient } from "../ports/index.js";
import { createCassandraVerdictStore, createS3Archive, createSqlSummaryStore, openCassandra, openPostgres, s3ClientFrom } from "../stores/index.js";

// Shared by the pipeline integration tests and the benchmark: the stack's real stores, and
// independent read-backs (CQL count, SQL summary, Parquet through DuckDB) of what a run wrote.

export interface StackStores {
  verdicts: VerdictStore;
  summaries: SummaryStore;
  archive: Archive;
  cassandra: cassandra.Client;
  sql: SqlClient;
  config: AggregatorConfig;
  close(): Promise<void>;
}

export function stackConfig(env: Record<string, string | undefined> = {}): AggregatorConfig {
  // The local stack is one broker: cap the spec's 64 partitions / RF 3 as infra/stack.env does.
  return loadConfig({ KAFKA_LOCAL_PARTITIONS: "4", KAFKA_LOCAL_RF: "1", ...process.env, VIGIL_PROFILE: "stack", VIGIL_ENV: "local", VIGIL_INGEST: "false", ...env });
}

export async function openStackStores(config: AggregatorConfig = stackConfig()): Promise<StackStores> {
  const cass = await openCassandra({ contactPoints: config.CASSANDRA_CONTACT_POINTS, localDataCenter: config.CASSANDRA_LOCAL_DC });
  const pg = await openPostgres(config.DATABASE_URL, { max: 4 });
  const s3 = s3ClientFrom(config);
  return {
    verdicts: createCassandraVerdictStore(cass, { keyspace: config.CASSANDRA_KEYSPACE }),
    summaries: createSqlSummaryStore(pg.client),
    archive: createS3Archive(s3, { bucket: config.S3_BUCKET }),
    cassandra: cass,
    sql: pg.client,
    config,
    async close() {
      await cass.shutdown();
      await pg.client.close();
      s3.destroy();
    },
  };
}

/** A far-future hour of its own per run, so summary rows and archive folders belong to one run. */
export function privateEventHour(): number {
  const r = (n: number) => Math.floor(Math.random() * n);
  return Date.UTC(2040 + r(55), r(12), 1 + r(28), r(24));
}

/** How many of these transactions have a verdict row in Cassandra. */
export async function countCassandraVerdicts(client: cassandra.Client, keyspace: string, txIds: string[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < txIds.length; i += 100) {
    const chunk = txIds.slice(i, i + 100);
    const rs = await client.execute(`SELECT transaction_id FROM ${keyspace}.verdicts_by_transaction WHERE transaction_id IN ?`, [chunk], { prepare: true });
    n += rs.rowLength;
  }
  return n;
}

export async function summaryTotal(summaries: SummaryStore, date: string): Promise<number> {
  return (await summaries.summaryForDate(date)).reduce((s, r) => s + r.total_transactions, 0);
}

export interface ParquetStats {
  files: number;
  rows: number;
  /** Rows after de-duplicating on the log position (partition, offset). */
  positions: number;
  transactions: number;
}

/** Downloads every Parquet object under the prefix and counts with DuckDB (not our writer's reader). */
export async function parquetStats(archive: Archive, prefix: string): Promise<ParquetStats> {
  const keys = (await archive.list(prefix)).filter((k) => k.endsWith(".parquet"));
  if (keys.length === 0) return { files: 0, rows: 0, positions: 0, transactions: 0 };
  const dir = mkdtempSync(join(tmpdir(), "vigil-parquet-"));
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    const files: string[] = [];
    for (const [i, k] of keys.entries()) {
      const body = await archive.get(k);
      if (!body) continue;
      const f = join(dir, `${i}.parquet`);
      writeFileSync(f, body);
      files.push(f);
    }
    const list = `[${files.map((f) => `'${f}'`).join(", ")}]`;
    const r = await conn.runAndReadAll(
      `SELECT count(*) AS rows, count(DISTINCT (kafka_partition, kafka_offset)) AS positions, count(DISTINCT transaction_id) AS transactions FROM read_parquet(${list})`,
    );
    const row = r.getRowObjectsJS()[0] as { rows: bigint; positions: bigint; transactions: bigint };
    return { files: files.length, rows: Number(row.rows), positions: Number(row.positions), transactions: Number(row.transactions) };
  } finally {
    conn.closeSync();
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}
