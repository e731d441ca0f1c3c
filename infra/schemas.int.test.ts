import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import cassandra from "cassandra-driver";
import kafkajs from "kafkajs";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { loadTopicSpecs } from "../aggregator/schema/topics.js";
import { splitCql } from "../aggregator/schema/migrate.js";

// The schema files against the real servers of infra/stack.sh: topics.json through the local
// caps into Kafka, schema.cql into Cassandra, 001_init.sql into PostgreSQL. Names carry a random
// suffix (topics, database) or are idempotent (keyspace), because the servers are shared.

const env = (name: string, fallback: string): string => process.env[name] || fallback;
const run = randomBytes(4).toString("hex");
const readSchema = (path: string) => readFileSync(fileURLToPath(new URL(path, new URL("../aggregator/schema/", import.meta.url))), "utf8");

describe("kafka topics from topics.json", () => {
  const kafka = new kafkajs.Kafka({
    clientId: "vigil-infra-test",
    brokers: env("KAFKA_BROKERS", "127.0.0.1:9092").split(","),
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const prefix = `vigil-infra-test-${run}.`;
  const created: string[] = [];

  afterAll(async () => {
    if (created.length > 0) await admin.deleteTopics({ topics: created }).catch(() => undefined);
    await admin.disconnect();
  });

  it("creates every topic with the local caps and the production configs", async () => {
    await admin.connect();
    const specs = loadTopicSpecs({ localPartitions: 2, localReplication: 1 });
    await admin.createTopics({
      waitForLeaders: true,
      topics: specs.map((s) => ({
        topic: prefix + s.name,
        numPartitions: s.partitions,
        replicationFactor: s.replicationFactor,
        configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })),
      })),
    });
    created.push(...specs.map((s) => prefix + s.name));

    const meta = await admin.fetchTopicMetadata({ topics: created });
    for (const t of meta.topics) expect(t.partitions).toHaveLength(2);

    const raw = `${prefix}fraud-raw-transactions`;
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: raw, configNames: ["retention.ms", "compression.type", "min.insync.replicas"] }],
    });
    const entries = Object.fromEntries((described.resources[0]?.configEntries ?? []).map((e) => [e.configName, e.configValue]));
    expect(entries).toEqual({ "retention.ms": "86400000", "compression.type": "lz4", "min.insync.replicas": "1" });
  });

  it("the broker refuses to auto-create topics", async () => {
    const producer = kafka.producer({ allowAutoTopicCreation: true, retry: { retries: 1 } });
    await producer.connect();
    try {
      await expect(producer.send({ topic: `${prefix}never-created`, messages: [{ value: "x" }], timeout: 2000 })).rejects.toThrow();
    } finally {
      await producer.disconnect();
    }
  });
});

describe("cassandra schema.cql", () => {
  const client = new cassandra.Client({
    contactPoints: [`${env("CASSANDRA_HOST", "127.0.0.1")}:${env("CASSANDRA_PORT", "9042")}`],
    localDataCenter: env("CASSANDRA_DC", "datacenter1"),
    socketOptions: { readTimeout: 60_000 },
  });
  const txId = `TXN-infra-test-${run}`;

  afterAll(async () => {
    await client.execute("DELETE FROM fraud_keyspace.verdicts_by_transaction WHERE transaction_id = ?", [txId]).catch(() => undefined);
    await client.shutdown();
  });

  it("applies twice without error and has the spec's table options", async () => {
    const statements = splitCql(readSchema("./cassandra/schema.cql"));
    expect(statements.length).toBeGreaterThanOrEqual(4);
    for (let pass = 0; pass < 2; pass++) for (const stmt of statements) await client.execute(stmt);

    const rs = await client.execute(
      "SELECT table_name, default_time_to_live, compaction FROM system_schema.tables WHERE keyspace_name = 'fraud_keyspace'",
    );
    const tables = new Map(rs.rows.map((r) => [String(r.get("table_name")), r]));
    expect([...tables.keys()]).toEqual(expect.arrayContaining(["fraud_alerts", "user_risk_state", "verdicts_by_transaction"]));
    const alerts = tables.get("fraud_alerts");
    expect(alerts?.get("default_time_to_live")).toBe(7_776_000);
    expect(String((alerts?.get("compaction") as Record<string, string> | undefined)?.class)).toMatch(/TimeWindowCompactionStrategy/);
  });

  it("stores and reads back a whole verdict by transaction id", async () => {
    const reasons = JSON.stringify([{ code: "VELOCITY_1M", weight: 0.4 }]);
    await client.execute(
      `INSERT INTO fraud_keyspace.verdicts_by_transaction (transaction_id, card_number_hash, fraud_score, verdict, confidence,
         rule_triggers, ml_score, reasons, model_version, rules_version, latency_ms, region, channel,
         merchant_category_code, amount_usd, timestamp_utc, processed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [txId, "card-hash", 87.5, "BLOCKED", 0.9, ["VELOCITY_1M", "GEO_JUMP"], 0.71, reasons, "if-1", "rules-3", 4.2, "eu", "ONLINE", "5411", 249.99,
        new Date("2024-06-15T14:32:01.123Z"), new Date()],
      { prepare: true },
    );
    const row = (await client.execute("SELECT * FROM fraud_keyspace.verdicts_by_transaction WHERE transaction_id = ?", [txId], { prepare: true })).first();
    expect(row.get("verdict")).toBe("BLOCKED");
    expect(row.get("rule_triggers")).toEqual(["VELOCITY_1M", "GEO_JUMP"]);
    expect(JSON.parse(String(row.get("reasons")))).toEqual([{ code: "VELOCITY_1M", weight: 0.4 }]);
    expect((row.get("timestamp_utc") as Date).toISOString()).toBe("2024-06-15T14:32:01.123Z");
  });
});

describe("postgres 001_init.sql", () => {
  const db = `vigil_infra_test_${run}`;
  const conn = (database: string) =>
    new pg.Client({ host: env("PGHOST", "127.0.0.1"), port: Number(env("PGPORT", "5432")), user: env("PGUSER", "postgres"), database });
  const admin = conn(env("PGDATABASE", "test"));

  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${db}`).catch(() => undefined);
    await admin.end();
  });

  it("applies twice, and the ledger counts a transaction once", async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${db}`);
    const c = conn(db);
    await c.connect();
    try {
      const sql = readSchema("./postgres/001_init.sql");
      await c.query(sql);
      await c.query(sql);
      const insert = `INSERT INTO fraud_reporting.summary_applied (transaction_id, report_date, merchant_category, verdict, fraud_score, amount)
                      VALUES ($1, '2024-06-15', '5411', 'BLOCKED', 87.5, 249.99) ON CONFLICT DO NOTHING RETURNING transaction_id`;
      expect((await c.query(insert, ["T1"])).rowCount).toBe(1);
      expect((await c.query(insert, ["T1"])).rowCount).toBe(0);
      await c.query(
        `INSERT INTO fraud_reporting.daily_fraud_summary VALUES ('2024-06-15', '5411', 1, 1, 1, 0.0000, 87.5000, 249.99)`,
      );
      const { rows } = await c.query<{ n: string }>("SELECT total_transactions::text AS n FROM fraud_reporting.daily_fraud_summary");
      expect(rows).toEqual([{ n: "1" }]);
    } finally {
      await c.end();
    }
  });
});
