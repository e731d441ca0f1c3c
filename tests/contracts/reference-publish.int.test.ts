import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSnapshotReferenceData } from "../../edge/reference/snapshot-adapter.js";
import { createUpstashReferenceData } from "../../edge/reference/upstash.js";
import { MIGRATIONS_DIR } from "../../aggregator/testing/paths.js";
import { freshPgDatabase, type FreshDatabase } from "../../aggregator/testing/pg-harness.js";
import { applySqlMigrations } from "../../aggregator/schema/migrate.js";
import { pgSqlClient } from "../../aggregator/stores/sql-client.js";
import { createSqlSummaryStore } from "../../aggregator/stores/sql-summary-store.js";
import { createSqlVerdictStore } from "../../aggregator/stores/sql-verdict-store.js";
import { createTokenAuth, sha256Hex } from "../../aggregator/http/auth.js";
import { scoredEvent } from "../../aggregator/testing/ops-fixtures.js";
import { createRiskJob } from "../../aggregator/risk/job.js";
import { decodeEntityStats } from "../../core/contracts/entity-stats.js";
import { applyFeedback } from "../../aggregator/risk/labels.js";
import { riskText } from "../../aggregator/reference/publish.js";
import { RiskConfigSchema } from "../../aggregator/risk/risk.js";
import { createOpsRoutes } from "../../aggregator/ops/routes.js";
import { insertScoredTransactions } from "../../aggregator/ops/sinks.js";
import type { SqlClient } from "../../aggregator/ports/index.js";
import { REDIS_HASH, REDIS_VERSION_KEY, redisReferenceTarget } from "../../aggregator/reference/target.js";

// Labels → recomputeRisk → published risk: in Redis through the real Upstash REST bridge (stack
// profile), read back by the edge's own Upstash adapter, and in the snapshot endpoint (embedded
// profile), read by the edge's snapshot adapter. PostgreSQL is real too.

const URL_ = process.env.UPSTASH_REDIS_REST_URL ?? "http://127.0.0.1:8079";
const TOKEN = process.env.UPSTASH_REDIS_REST_TOKEN ?? "vigil-local-token";
const DAY = 86_400_000;
const NOW = Date.now();
const RUN = `${process.pid}-${NOW.toString(36)}`;
const MERCHANT = `MCH-INT-${RUN}`;
const CLEAN_MERCHANT = `MCH-CLEAN-${RUN}`;
const TERMINAL = `POS-INT-${RUN}`;
const CARD = `card-int-${RUN}`;
const VIEWER = "viewer-token-for-int-test";

let fresh: FreshDatabase;
let sql: SqlClient;
const redis = new Redis({ url: URL_, token: TOKEN, enableTelemetry: false });

beforeAll(async () => {
  fresh = await freshPgDatabase("vigil_ops");
  sql = pgSqlClient(fresh.pool());
  await applySqlMigrations(sql, MIGRATIONS_DIR);
}, 120_000);

afterAll(async () => {
  await redis.hdel(REDIS_HASH.merchant, MERCHANT, CLEAN_MERCHANT).catch(() => undefined);
  await redis.hdel(REDIS_HASH.terminal, TERMINAL).catch(() => undefined);
  await redis.hdel(REDIS_HASH.card_tier, CARD).catch(() => undefined);
  await redis.hdel(REDIS_HASH.terminal_stats, TERMINAL).catch(() => undefined);
  await redis.hdel(REDIS_HASH.merchant_stats, MERCHANT, CLEAN_MERCHANT).catch(() => undefined);
  await sql?.close();
  await fresh?.drop();
});

describe("labels feed the edge's reference data", () => {
  it("publishes recomputed merchant risk to Redis via the bridge and to the snapshot endpoint", async () => {
    // 40 matured transactions at MERCHANT (10 chargebacks), 40 at CLEAN_MERCHANT (none).
    const recs = [];
    for (let i = 0; i < 40; i++) {
      recs.push(scoredEvent({ id: `INT-${RUN}-B${i}`, merchant: MERCHANT, terminal: TERMINAL, card: i === 0 ? CARD : `${CARD}-${i}`, verdict: i < 10 ? "BLOCKED" : "APPROVED", at: new Date(NOW - 10 * DAY).toISOString() }));
      recs.push(scoredEvent({ id: `INT-${RUN}-G${i}`, merchant: CLEAN_MERCHANT, card: `${CARD}-g${i}`, at: new Date(NOW - 10 * DAY).toISOString() }));
    }
    await insertScoredTransactions(sql, recs);
    const labels = Array.from({ length: 10 }, (_, i) => ({ transaction_id: `INT-${RUN}-B${i}`, is_fraud: true, source: "CHARGEBACK" as const }));
    expect(await applyFeedback(sql, labels, "int-test", new Date(NOW).toISOString())).toMatchObject({ created: 10 });

    const versionBefore = Number((await redis.get<number | string>(REDIS_VERSION_KEY)) ?? 0);
    const cfg = RiskConfigSchema.parse({ windowDays: 30, labelDelayDays: 3, smoothingWeight: 20 });
    const job = createRiskJob({ sql, target: redisReferenceTarget(redis), now: () => NOW, config: cfg });
    const run = await job.run();
    expect(run.publish.targets).toEqual(["redis"]);

    const prior = 10 / 80;
    const expected = (10 + 20 * prior) / (40 + 20);
    const inRedis = await redis.hget<string | number>(REDIS_HASH.merchant, MERCHANT);
    expect(Number(inRedis)).toBeCloseTo(Number(riskText(expected)), 6);
    expect(Number(await redis.hget<string | number>(REDIS_HASH.merchant, CLEAN_MERCHANT))).toBeCloseTo((20 * prior) / 60, 6);
    expect(Number(await redis.hget<string | number>(REDIS_HASH.terminal, TERMINAL))).toBeCloseTo(expected, 6);
    expect(await redis.hget(REDIS_HASH.card_tier, CARD)).toBe("HIGH");
    expect(Number(await redis.get<number | string>(REDIS_VERSION_KEY))).toBeGreaterThan(versionBefore);

    // The edge's own Upstash adapter sees the new value.
    const edgeRedis = createUpstashReferenceData({ url: URL_, token: TOKEN, log: { info: () => undefined, warn: () => undefined, error: () => undefined } });
    const event = recs[0]?.event;
    if (!event) throw new Error("no event");
    const seen = await edgeRedis.lookup(event);
    expect(seen.signals).toMatchObject({ status: "OK", card_risk_tier: "HIGH" });
    expect(seen.signals.merchant_risk_score).toBeCloseTo(expected, 6);
    // Terminal/merchant stats (default label delay 7 days: the 10-day-old events are in the 7-day
    // window ending at NOW − 7 d, not in its 1-day one), smoothed toward the matured rate 10/80.
    const stats = { tx_1d: 0, fraud_1d: 0, rate_1d: 0.125, tx_7d: 40, fraud_7d: 10, rate_7d: 0.225, tx_30d: 40, fraud_30d: 10, rate_30d: 0.225 };
    expect(decodeEntityStats(await redis.hget<string>(REDIS_HASH.terminal_stats, TERMINAL))).toEqual(stats);
    expect(seen.signals.terminal_stats).toEqual(stats);
    expect(seen.signals.merchant_stats).toEqual(stats);

    // Embedded profile: the snapshot endpoint, read by the edge's snapshot adapter.
    const app = createOpsRoutes({
      sql,
      verdicts: createSqlVerdictStore(sql),
      summaries: createSqlSummaryStore(sql, { closeClient: false }),
      auth: createTokenAuth({ now: () => NOW, bootstrap: [{ name: "edge-snapshot", role: "reference", sha256: sha256Hex(VIEWER) }] }),
      health: { probes: [], lag: async () => [], throughputTps: () => 0, sinks: () => ({}), startedAtMs: NOW, now: () => NOW },
      riskJob: job,
      now: () => NOW,
      log: { info: () => undefined, error: () => undefined },
    });
    expect((await app.request("/v1/reference/snapshot")).status).toBe(401);
    const res = await app.request("/v1/reference/snapshot", { headers: { authorization: `Bearer ${VIEWER}` } });
    expect(res.status).toBe(200);
    const snap = (await res.json()) as { version: number; merchant_risk: Record<string, number> };
    expect(snap.merchant_risk[MERCHANT]).toBeCloseTo(expected, 6);
    const edgeSnap = createSnapshotReferenceData({ fetchSnapshot: async () => snap, log: { info: () => undefined, warn: () => undefined, error: () => undefined } });
    const fromSnap = (await edgeSnap.lookup(event)).signals;
    expect(fromSnap.merchant_risk_score).toBeCloseTo(expected, 6);
    expect(fromSnap.terminal_stats).toEqual(stats);
    expect(fromSnap.merchant_stats).toEqual(stats);

    // A second run with nothing new sends nothing and keeps the version.
    const again = await job.run();
    expect(again.publish.changes).toBe(0);
    expect(again.publish.version).toBe(run.publish.version);
  });
});
