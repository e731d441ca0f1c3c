import { PGlite } from "@electric-sql/pglite";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScoredEvent } from "../../core/schemas.js";
import { batchOf, env } from "../testing/batches.js";
import { readParquetWithDuckDb } from "../testing/duckdb.js";
import { alertOf, HOUR_MS, iso, scoredEvent, uniq } from "../testing/scored-events.js";
import { MIGRATIONS_DIR } from "../testing/paths.js";
import { alertColumns, recordingCassandra } from "../testing/recording-cassandra.js";
import { applySqlMigrations } from "../schema/migrate.js";
import { TOPICS, type Archive, type Envelope, type SummaryStore, type VerdictStore, type SqlClient } from "../ports/index.js";
import { createCassandraVerdictStore } from "../stores/cassandra-verdict-store.js";
import { createLocalArchive } from "../stores/local-archive.js";
import { pgliteSqlClient } from "../stores/sql-client.js";
import { createSqlSummaryStore } from "../stores/sql-summary-store.js";
import { createSqlVerdictStore } from "../stores/sql-verdict-store.js";
import { archiveKey, createArchiveSink } from "./archive-sink.js";
import { PoisonMessageError } from "./parse.js";
import { createHotStoreSink, createSummarySink } from "./store-sinks.js";

const H0 = Date.parse("2026-06-15T14:10:00.000Z");
let root: string;
let archive: Archive;
let client: SqlClient;
let hot: VerdictStore;
let summary: SummaryStore;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "vigil-sinks-"));
  archive = createLocalArchive(root);
  client = pgliteSqlClient(new PGlite());
  await applySqlMigrations(client, MIGRATIONS_DIR);
  hot = createSqlVerdictStore(client);
  summary = createSqlSummaryStore(client, { closeClient: false });
}, 240_000);
afterAll(async () => {
  await client.close();
  await rm(root, { recursive: true, force: true });
});

describe("envelope checks (every sink)", () => {
  it("refuses an unknown schema, version or invalid payload with a fatal error naming the message, writing nothing", async () => {
    const card = `card_${uniq()}`;
    const good = scoredEvent({ card, ts: iso(H0), verdict: "BLOCKED" });
    const bad: Envelope[] = [
      { ...env.scored(good), schema: "vigil.unknown" } as unknown as Envelope,
      { ...env.scored(good), schema_version: 2 } as unknown as Envelope,
      { ...env.scored(good), payload: { nope: true } },
    ];
    for (const b of bad) {
      const batch = batchOf(TOPICS.verdicts, 1, 40, [env.scored(good), env.scored(good), b]);
      for (const sink of [createHotStoreSink(hot), createSummarySink(summary), createArchiveSink(archive, { rootPrefix: `refused-${uniq()}` })]) {
        const err = await sink(batch).then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(PoisonMessageError);
        const p = err as PoisonMessageError;
        expect(p.retriable).toBe(false);
        expect(p.index).toBe(2);
        expect(p.position).toEqual({ topic: TOPICS.verdicts, partition: 1, offset: "42" });
        expect(p.message).toContain(`${TOPICS.verdicts}/1@42`);
      }
    }
    expect(await hot.getVerdict(good.event.transaction_id)).toBeUndefined();
    expect(await hot.alertsForCard(card, { limit: 5 })).toEqual([]);
    expect(await summary.summaryForDate("2026-06-15")).toEqual([]);
    expect((await archive.list("")).filter((k) => k.startsWith("refused-"))).toEqual([]);
  });

  it("refuses a schema a sink has no use for (a raw transaction on the summary sink)", async () => {
    const r = scoredEvent({ ts: iso(H0) });
    const err = await createSummarySink(summary)(batchOf(TOPICS.raw, 0, 0, [env.raw(r)])).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PoisonMessageError);
    expect((err as Error).message).toContain("UNEXPECTED_SCHEMA");
  });
});

describe("hot-store and summary sinks", () => {
  it("write verdicts, derived alerts and risk state; a re-delivered batch changes nothing", async () => {
    const card = `card_${uniq()}`;
    const events = [
      scoredEvent({ card, ts: iso(H0), verdict: "APPROVED", amount: 10 }),
      scoredEvent({ card, ts: iso(H0 + 60_000), verdict: "REVIEW", amount: 20 }),
      scoredEvent({ card, ts: iso(H0 + 120_000), verdict: "BLOCKED", amount: 30 }),
    ];
    const batch = batchOf(TOPICS.verdicts, 0, 500, events.map(env.scored));
    const hotSink = createHotStoreSink(hot);
    const sumSink = createSummarySink(summary);
    await hotSink(batch);
    await sumSink(batch);
    await hotSink(batch);
    await sumSink(batchOf(TOPICS.verdicts, 0, 500, [...events, scoredEvent({ ts: iso(H0), mcc: "7995", verdict: "BLOCKED", amount: 5 })].map(env.scored)));
    expect((await hot.getVerdict(events[2]!.event.transaction_id))?.record).toEqual(events[2]);
    const alerts = await hot.alertsForCard(card, { limit: 10 });
    expect(alerts.map((a) => a.action_taken)).toEqual(["BLOCKED", "REVIEW"]);
    expect(await hot.getUserRisk(card)).toMatchObject({ tx_count_24hr: 3, spend_total_24hr: 60, risk_tier: "HIGH" });
    const day = await summary.summaryForDate("2026-06-15");
    expect(day.find((r) => r.merchant_category === "5411")).toMatchObject({ total_transactions: 3, flagged_count: 2, blocked_count: 1, total_fraud_amount: 30 });
    expect(day.find((r) => r.merchant_category === "7995")).toMatchObject({ total_transactions: 1, blocked_count: 1, total_fraud_amount: 5 });
  });

  it("accepts vigil.alert messages on the hot-store sink", async () => {
    const r = scoredEvent({ ts: iso(H0), verdict: "BLOCKED" });
    await createHotStoreSink(hot)(batchOf(TOPICS.alerts, 2, 9, [env.alert({ ...alertOf(r), fraud_reason: "from fraud-alerts" })]));
    expect((await hot.alertsForCard(r.event.card_number_hash, { limit: 1 }))[0]?.fraud_reason).toBe("from fraud-alerts");
  });
});

describe("archive sink (local folder, read back with DuckDB)", () => {
  it("writes one Parquet file per event hour, keyed by partition and the batch's first offset, with typed columns", async () => {
    const rootPrefix = `t-${uniq()}`;
    const events = [0, 1, 2, 3, 4].map((i) =>
      scoredEvent({ ts: iso(H0 + (i < 3 ? i * 60_000 : HOUR_MS + i * 60_000)), verdict: i === 4 ? "BLOCKED" : "APPROVED", amount: 10 + i, rules: i === 4 ? ["VELOCITY_1MIN", "GEO_JUMP"] : [] }),
    );
    const sink = createArchiveSink(archive, { rootPrefix });
    await sink(batchOf(TOPICS.verdicts, 3, 100, events.map(env.scored)));
    const keys = await archive.list(`${rootPrefix}/verdicts/`);
    expect(keys).toEqual([
      `${rootPrefix}/${archiveKey("verdicts", iso(H0), 3, "100")}`,
      `${rootPrefix}/${archiveKey("verdicts", iso(H0 + HOUR_MS), 3, "100")}`,
    ]);
    expect(keys[0]).toBe(`${rootPrefix}/verdicts/year=2026/month=06/day=15/hour=14/part-00003-00000000000000000100.parquet`);
    expect(keys[1]).toContain("/hour=15/");
    const { columns, rows } = await readParquetWithDuckDb(keys.map((k) => join(root, k)));
    expect(rows).toHaveLength(5);
    expect(columns).toMatchObject({
      transaction_id: "VARCHAR", amount_usd: "DOUBLE", fraud_score: "DOUBLE", kafka_partition: "INTEGER", kafka_offset: "BIGINT",
      feature_cross_country_flag: "BOOLEAN", feature_tx_count_1min: "DOUBLE", rule_triggers: "VARCHAR",
    });
    expect(columns.timestamp_utc).toMatch(/^TIMESTAMP/);
    const last = rows[4]!;
    expect(last).toMatchObject({ transaction_id: events[4]!.event.transaction_id, amount_usd: 14, verdict: "BLOCKED", kafka_offset: 104n, kafka_partition: 3 });
    expect(JSON.parse(String(last.rule_triggers))).toEqual(["VELOCITY_1MIN", "GEO_JUMP"]);
    expect(last.timestamp_utc).toBeInstanceOf(Date);
    expect((last.timestamp_utc as Date).toISOString()).toBe(events[4]!.event.timestamp_utc);
  });

  it("re-delivery from the same first offset (larger or smaller batch) overwrites instead of duplicating", async () => {
    const rootPrefix = `t-${uniq()}`;
    const events = Array.from({ length: 7 }, (_, i) => scoredEvent({ ts: iso(H0 + i * 1000) }));
    const sink = createArchiveSink(archive, { rootPrefix });
    await sink(batchOf(TOPICS.raw, 0, 2000, events.slice(0, 4).map(env.raw)));
    await sink(batchOf(TOPICS.raw, 0, 2000, events.map(env.raw))); // re-delivered, more arrived
    let keys = await archive.list(`${rootPrefix}/raw/`);
    expect(keys).toEqual([`${rootPrefix}/raw/transactions/year=2026/month=06/day=15/hour=14/part-00000-00000000000000002000.parquet`]);
    expect((await readParquetWithDuckDb(keys.map((k) => join(root, k)))).rows).toHaveLength(7);
    await sink(batchOf(TOPICS.raw, 0, 2000, events.slice(0, 2).map(env.raw))); // smaller re-delivery
    await sink(batchOf(TOPICS.raw, 0, 2002, events.slice(2).map(env.raw))); // then the rest
    keys = await archive.list(`${rootPrefix}/raw/`);
    expect(keys).toHaveLength(2);
    const { rows, columns } = await readParquetWithDuckDb(keys.map((k) => join(root, k)));
    expect(rows.map((r) => r.transaction_id)).toEqual(events.map((e) => e.event.transaction_id));
    expect(columns).toMatchObject({ region: "VARCHAR", geo_lat: "DOUBLE", card_present: "BOOLEAN" });
    expect(rows[0]).toMatchObject({ card_present: null, card_bin: null, geo_lat: 40.7128 });
  });

  it("a smaller retry blanks the hour files only the failed attempt wrote, so no row is archived twice", async () => {
    const rootPrefix = `t-${uniq()}`;
    const sink = createArchiveSink(archive, { rootPrefix });
    const at = [0, 1, 61, 62].map((m) => iso(H0 + m * 60_000)); // two rows in hour 14, two in hour 15
    const events = at.map((ts) => scoredEvent({ ts }));
    await sink(batchOf(TOPICS.verdicts, 5, 300, events.map(env.scored))); // attempt 1: writes both hours, then "fails" before commit
    await sink(batchOf(TOPICS.verdicts, 5, 300, events.slice(0, 2).map(env.scored))); // retry, smaller: hour 14 only
    await sink(batchOf(TOPICS.verdicts, 5, 302, events.slice(2).map(env.scored))); // the next batch
    const keys = await archive.list(`${rootPrefix}/verdicts/`);
    expect(keys.map((k) => k.split("/").slice(-2).join("/"))).toEqual([
      "hour=14/part-00005-00000000000000000300.parquet",
      "hour=15/part-00005-00000000000000000300.parquet",
      "hour=15/part-00005-00000000000000000302.parquet",
    ]);
    const { rows } = await readParquetWithDuckDb(keys.map((k) => join(root, k)));
    expect(rows.map((r) => r.kafka_offset)).toEqual([300n, 301n, 302n, 303n]);
    expect(rows.map((r) => r.transaction_id)).toEqual(events.map((e) => e.event.transaction_id));
  });

  it("archives the alerts of a verdicts batch (REVIEW and BLOCKED) under fraud_alerts/ by alert hour", async () => {
    const rootPrefix = `t-${uniq()}`;
    const events = (["BLOCKED", "APPROVED", "REVIEW"] as const).map((verdict, i) => scoredEvent({ ts: iso(Date.parse("2026-01-02T03:04:05.678Z") + i), verdict }));
    await createArchiveSink(archive, { rootPrefix })(batchOf(TOPICS.verdicts, 1, 0, events.map(env.scored)));
    const keys = await archive.list(`${rootPrefix}/fraud_alerts/year=2026/month=01/day=02/hour=03/`);
    expect(keys).toHaveLength(1);
    const { rows, columns } = await readParquetWithDuckDb(keys.map((k) => join(root, k)));
    expect(columns).toMatchObject({ fraud_score: "DOUBLE", action_taken: "VARCHAR", ml_score: "DOUBLE" });
    expect(rows.map((r) => [r.transaction_id, r.action_taken, r.kafka_offset])).toEqual([
      [events[0]!.event.transaction_id, "BLOCKED", 0n],
      [events[2]!.event.transaction_id, "REVIEW", 2n],
    ]);
    expect(rows[0]).toMatchObject({ fraud_reason: "VELOCITY_1MIN", fraud_score: 90 });
  });

  it("refuses vigil.alert messages: alert rows come from verdicts only, so none is archived twice", async () => {
    const a = alertOf(scoredEvent({ ts: iso(H0), verdict: "BLOCKED" }));
    await expect(createArchiveSink(archive, { rootPrefix: `t-${uniq()}` })(batchOf(TOPICS.alerts, 1, 0, [env.alert(a)]))).rejects.toBeInstanceOf(PoisonMessageError);
  });
});

describe("one alert row: the Cassandra fraud_alerts INSERT and the Parquet fraud_alerts/ archive", () => {
  it("carries the same fields and values for every REVIEW and BLOCKED event, and nothing for APPROVED", async () => {
    const card = `card_${uniq()}`;
    const withReasons = (e: ScoredEvent): ScoredEvent => ({
      ...e,
      verdict: {
        ...e.verdict,
        reasons: [
          { code: "VELOCITY_1MIN", tier: "RULE", detail: "6 transactions in 1 minute", contribution: 35 },
          { code: "ML_ANOMALY", tier: "ML", detail: "isolation forest 0.91", contribution: 50 },
          { code: "INFO", tier: "STAT", detail: "informative", contribution: 0 },
        ],
      },
    });
    const events = [
      withReasons(scoredEvent({ card, ts: "2026-06-15T16:10:00.000+02:00", verdict: "BLOCKED", rules: ["VELOCITY_1MIN", "GEO_JUMP"] })),
      scoredEvent({ card, ts: iso(H0 + 1000), verdict: "REVIEW" }),
      scoredEvent({ ts: iso(H0 + 2000), verdict: "REVIEW", rules: [] }),
      scoredEvent({ ts: iso(H0 + 3000), verdict: "APPROVED" }),
    ];
    const batch = batchOf(TOPICS.verdicts, 4, 40, events.map(env.scored));

    const cass = recordingCassandra();
    await createHotStoreSink(createCassandraVerdictStore(cass.client))(batch);
    const rootPrefix = `t-${uniq()}`;
    await createArchiveSink(archive, { rootPrefix })(batch);
    const keys = await archive.list(`${rootPrefix}/fraud_alerts/`);
    const parquet = (await readParquetWithDuckDb(keys.map((k) => join(root, k)))).rows;

    const byTx = (rows: Array<Record<string, unknown>>) => new Map(rows.map((r) => [String(r.transaction_id), alertColumns(r)]));
    const fromCassandra = byTx(cass.inserts);
    const fromParquet = byTx(parquet);
    expect([...fromCassandra.keys()].sort()).toEqual(events.slice(0, 3).map((e) => e.event.transaction_id).sort());
    expect(fromParquet).toEqual(fromCassandra);
    expect(fromCassandra.get(events[0]!.event.transaction_id)).toEqual({
      card_number_hash: card,
      transaction_id: events[0]!.event.transaction_id,
      alert_timestamp: "2026-06-15T14:10:00.000Z",
      fraud_score: 90,
      fraud_reason: "ML_ANOMALY: isolation forest 0.91; VELOCITY_1MIN: 6 transactions in 1 minute",
      action_taken: "BLOCKED",
      rule_triggers: ["VELOCITY_1MIN", "GEO_JUMP"],
      ml_score: 0.42,
    });
    expect(fromCassandra.get(events[1]!.event.transaction_id)).toMatchObject({ action_taken: "REVIEW", fraud_reason: "VELOCITY_1MIN" });
    expect(fromCassandra.get(events[2]!.event.transaction_id)).toMatchObject({ action_taken: "REVIEW", fraud_reason: "REVIEW at score 60", rule_triggers: [] });
  });
});
