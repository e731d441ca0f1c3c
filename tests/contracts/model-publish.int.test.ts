import type { S3Client } from "@aws-sdk/client-s3";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applySqlMigrations } from "../../aggregator/schema/migrate.js";
import type { Archive, SqlClient } from "../../aggregator/ports/index.js";
import { createS3Archive, s3ClientFrom } from "../../aggregator/stores/s3-archive.js";
import { pgSqlClient } from "../../aggregator/stores/sql-client.js";
import { seedFeatureStore, type LoopFixture } from "../../aggregator/testing/feature-store-fixture.js";
import { MIGRATIONS_DIR } from "../../aggregator/testing/paths.js";
import { freshPgDatabase, type FreshDatabase } from "../../aggregator/testing/pg-harness.js";
import { deletePrefix, ensureBucket, s3Config } from "../../aggregator/testing/s3-harness.js";
import { loadTrainingConfig } from "../../aggregator/training/config.js";
import { FEATURE_STORE_PREFIX, readFeatureStore } from "../../aggregator/training/feature-store.js";
import { labelVersionsFor } from "../../aggregator/training/model-store.js";
import { createModelService, type ModelService } from "../../aggregator/training/service.js";
import { pointInTimeOptions } from "../../aggregator/training/train-run.js";
import { joinPointInTime } from "../../aggregator/training/dataset.js";
import { REDIS_KEYS } from "../../core/contracts/reference.js";
import { MODEL_FEATURE_LAYOUT } from "../../core/features/model-features.js";
import { GbdtModelSchema } from "../../core/ml/gbdt/model.js";
import { CardWindow } from "../../core/window/card-window.js";
import { createUpstashReferenceData } from "../../edge/reference/upstash.js";
import { createEngineRegistry } from "../../core/kernel/registry.js";
import { ev } from "../../core/testing/features.js";
import { redisReferenceTarget } from "../../aggregator/reference/target.js";

// The learning loop on real servers: the feature store written by the production archive sink as
// Parquet to S3Proxy under ml_features/feature_store/date=YYYY-MM-DD/, read back by the training
// join (labels in the real PostgreSQL); the trained model published through the real Upstash REST
// bridge (model file, then champion/shadow reference keys, then the refdata version), read by the
// edge's own Upstash reference adapter and loaded by version into the edge's engine registry.

const URL_ = process.env.UPSTASH_REDIS_REST_URL ?? "http://127.0.0.1:8079";
const TOKEN = process.env.UPSTASH_REDIS_REST_TOKEN ?? "vigil-local-token";
const DAY = 86_400_000;
const NOW = Date.parse("2026-06-30T12:00:00Z");
const FROM = NOW - 40 * DAY;
const TO = NOW - 10 * DAY;
const ROOT = `it-learning-${process.pid}-${Date.now().toString(36)}`;
const N = 1500;
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

let fresh: FreshDatabase;
let sql: SqlClient;
let s3: S3Client;
let archive: Archive;
let fixture: LoopFixture;
let models: ModelService;
const redis = new Redis({ url: URL_, token: TOKEN, enableTelemetry: false });
// The shared stack's Redis: whatever champion/shadow other suites left is put back afterwards.
let saved: { champion: string | null; shadow: string | null };
const written: string[] = [];

beforeAll(async () => {
  saved = { champion: await redis.get<string>(REDIS_KEYS.modelVersion), shadow: await redis.get<string>(REDIS_KEYS.shadowModelVersion) };
  fresh = await freshPgDatabase("vigil_learn");
  sql = pgSqlClient(fresh.pool());
  await applySqlMigrations(sql, MIGRATIONS_DIR);
  s3 = s3ClientFrom(s3Config);
  await ensureBucket(s3, s3Config.S3_BUCKET);
  archive = createS3Archive(s3, { bucket: s3Config.S3_BUCKET });
  fixture = await seedFeatureStore(archive, sql, { fromMs: FROM, toMs: TO, n: N, labelAfterDays: 3, rootPrefix: ROOT });
  const config = loadTrainingConfig({ MODEL_MAX_ROUNDS: "20", MODEL_MIN_POSITIVES: "3", MODEL_LABEL_DELAY_DAYS: "7", MODEL_RETRAIN_INTERVAL_HOURS: "0" });
  models = createModelService({ sql, archive, config, target: redisReferenceTarget(redis), now: () => NOW, log: () => undefined, rootPrefix: ROOT });
}, 240_000);

afterAll(async () => {
  await models?.stop();
  const p = redis.pipeline();
  if (saved.champion !== null) p.set(REDIS_KEYS.modelVersion, saved.champion);
  else p.del(REDIS_KEYS.modelVersion);
  if (saved.shadow !== null) p.set(REDIS_KEYS.shadowModelVersion, saved.shadow);
  else p.del(REDIS_KEYS.shadowModelVersion);
  for (const v of written) p.del(REDIS_KEYS.model(v));
  p.incr(REDIS_KEYS.refdataVersion);
  await p.exec();
  if (s3) {
    await deletePrefix(s3, s3Config.S3_BUCKET, `${ROOT}/`);
    s3.destroy();
  }
  await sql?.close();
  await fresh?.drop();
});

describe("feature store on S3", () => {
  it("writes Parquet under <root>/ml_features/feature_store/date=YYYY-MM-DD/ and reads every row back as written", async () => {
    const keys = await archive.list(`${ROOT}/${FEATURE_STORE_PREFIX}/`);
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(k).toMatch(new RegExp(`^${ROOT}/ml_features/feature_store/date=\\d{4}-\\d{2}-\\d{2}/part-\\d+-\\d+\\.parquet$`));
    // One date folder per UTC day the events fall on, and each file only holds that day's rows.
    const days = new Set(fixture.rows.map((r) => new Date(r.event_ms).toISOString().slice(0, 10)));
    expect(new Set(keys.map((k) => /date=(\d{4}-\d{2}-\d{2})/.exec(k)?.[1]))).toEqual(days);

    const back = await readFeatureStore(archive, { fromMs: FROM, toMs: TO, rootPrefix: ROOT });
    expect(back).toHaveLength(N);
    const byId = new Map(back.map((r) => [r.transaction_id, r]));
    for (const r of fixture.rows) {
      const got = byId.get(r.transaction_id);
      expect(got).toEqual({ transaction_id: r.transaction_id, card_number_hash: r.card_number_hash, event_ms: r.event_ms, layout: MODEL_FEATURE_LAYOUT, values: r.values });
    }
  });

  it("the point-in-time join over the S3 rows and PostgreSQL labels keeps only matured events and labels known at the cut-off", async () => {
    const rows = await readFeatureStore(archive, { fromMs: FROM, toMs: TO, rootPrefix: ROOT });
    const labels = await labelVersionsFor(sql, rows.map((r) => r.transaction_id));
    // Labels were recorded 3 days after each event; a cut-off 8 days before TO hides the last ones.
    const cutoffMs = TO - 8 * DAY;
    const opts = pointInTimeOptions({ version: "x", fromMs: FROM, toMs: TO, cutoffMs }, loadTrainingConfig({ MODEL_LABEL_DELAY_DAYS: "7" }));
    const j = joinPointInTime(rows, labels, opts);
    const matured = fixture.rows.filter((r) => r.event_ms + 7 * DAY <= cutoffMs);
    expect(j.rows.map((r) => r.row.transaction_id)).toEqual(matured.map((r) => r.transaction_id));
    expect(j.counts.not_matured).toBe(N - matured.length);
    expect(j.rows.filter((r) => r.fraud).length).toBe(matured.filter((r) => r.fraud).length);
    expect(j.counts.labels_after_cutoff).toBe(fixture.rows.filter((r) => r.fraud && r.event_ms + 3 * DAY > cutoffMs).length);
  });
});

describe("model publication through the Upstash bridge", () => {
  it("trains from S3 + PostgreSQL, promotes and shadows; the edge's Upstash adapter names both and its registry loads them by version", async () => {
    const W = { train_from: new Date(FROM).toISOString(), train_to: new Date(TO).toISOString() };
    const a = await models.startTraining(W, "int-test");
    const b = await models.startTraining(W, "int-test");
    written.push(a.version, b.version);
    await models.idle();
    const ra = await models.get(a.version);
    expect(ra?.model.status).toBe("candidate");
    expect(ra?.model.counts?.rows_read).toBe(N);
    expect(ra?.model.validation?.auc_roc).toBeGreaterThan(0.95);

    const versionBefore = Number((await redis.get<number | string>(REDIS_KEYS.refdataVersion)) ?? 0);
    expect((await models.promote(a.version, "admin-int")).published).toEqual(["redis"]);
    expect((await models.shadow(b.version, "admin-int")).published).toEqual(["redis"]);
    expect(await redis.get(REDIS_KEYS.modelVersion)).toBe(a.version);
    expect(await redis.get(REDIS_KEYS.shadowModelVersion)).toBe(b.version);
    expect(Number(await redis.get<number | string>(REDIS_KEYS.refdataVersion))).toBeGreaterThanOrEqual(versionBefore + 2);

    // The edge side: its own adapter (automaticDeserialization off, as in Workers) and registry.
    const edgeRef = createUpstashReferenceData({ url: URL_, token: TOKEN, log: quiet });
    const event = ev(0);
    const seen = await edgeRef.lookup(event);
    expect(seen.modelVersion).toBe(a.version);
    expect(seen.shadowModelVersion).toBe(b.version);
    const file = GbdtModelSchema.parse(await edgeRef.loadModel(a.version));
    expect(file.model_version).toBe(a.version);
    expect(file.feature_layout).toBe(MODEL_FEATURE_LAYOUT);

    const engines = createEngineRegistry(edgeRef, { clock: () => Date.now(), log: quiet });
    const engine = await engines.resolve(seen.rulesVersion, seen.modelVersion, seen.shadowModelVersion);
    expect(engine.modelVersion).toBe(a.version);
    expect(engine.shadowVersion).toBe(b.version);
    const r = engine.score(event, CardWindow.empty(), seen.signals);
    expect(r.decision.model_version).toBe(a.version);
    expect(r.decision.reasons.map((x) => x.code)).not.toContain("MODEL_VERSION_UNAVAILABLE");

    // Rollback = promote the other one: the edge's next load names it, the old champion is retired.
    await models.promote(b.version, "admin-int");
    const edgeAfter = createUpstashReferenceData({ url: URL_, token: TOKEN, log: quiet });
    const after = await edgeAfter.lookup(event);
    expect(after.modelVersion).toBe(b.version);
    expect(after.shadowModelVersion).toBeUndefined();
    expect((await models.get(a.version))?.model.status).toBe("retired");
    const e2 = await createEngineRegistry(edgeAfter, { clock: () => Date.now(), log: quiet }).resolve(after.rulesVersion, after.modelVersion, after.shadowModelVersion);
    expect(e2.score(event, CardWindow.empty(), after.signals).decision.model_version).toBe(b.version);
  });
});
