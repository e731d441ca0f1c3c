import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDIS_KEYS } from "../../core/contracts/reference.js";
import type { TransactionEvent } from "../../core/schemas.js";
import { createUpstashReferenceData } from "../../edge/reference/upstash.js";
import { MIGRATIONS_DIR } from "../../aggregator/testing/paths.js";
import { freshPgDatabase, type FreshDatabase } from "../../aggregator/testing/pg-harness.js";
import { applySqlMigrations } from "../../aggregator/schema/migrate.js";
import { pgSqlClient } from "../../aggregator/stores/sql-client.js";
import { createSqlSummaryStore } from "../../aggregator/stores/sql-summary-store.js";
import { createSqlVerdictStore } from "../../aggregator/stores/sql-verdict-store.js";
import { createTokenAuth, sha256Hex } from "../../aggregator/http/auth.js";
import { createRiskJob } from "../../aggregator/risk/job.js";
import { createOpsRoutes } from "../../aggregator/ops/routes.js";
import type { SqlClient } from "../../aggregator/ports/index.js";
import { redisReferenceTarget } from "../../aggregator/reference/target.js";

// Lists on the stack profile: written through the ops API into real PostgreSQL, published by the
// risk job to Redis through the Upstash REST bridge, read back by the edge's own Upstash adapter;
// once an entry's expiry passes, the next publish removes it from Redis (pruning, no deploy).

const URL_ = process.env.UPSTASH_REDIS_REST_URL ?? "http://127.0.0.1:8079";
const TOKEN = process.env.UPSTASH_REDIS_REST_TOKEN ?? "vigil-local-token";
const RUN = `${process.pid}-${Date.now().toString(36)}`;
const CARD = `card-list-int-${RUN}`;
const MERCHANT = `MCH-LIST-INT-${RUN}`;
const ANALYST = "analyst-token-for-lists-int";
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

let fresh: FreshDatabase;
let sql: SqlClient;
let now = Date.now();
const redis = new Redis({ url: URL_, token: TOKEN, enableTelemetry: false });

beforeAll(async () => {
  fresh = await freshPgDatabase("vigil_ops");
  sql = pgSqlClient(fresh.pool());
  await applySqlMigrations(sql, MIGRATIONS_DIR);
}, 120_000);
afterAll(async () => {
  await redis.hdel(REDIS_KEYS.listBlock, `card:${CARD}`).catch(() => undefined);
  await redis.hdel(REDIS_KEYS.listAllow, `merchant:${MERCHANT}`).catch(() => undefined);
  await sql?.close();
  await fresh?.drop();
});

const event = (): TransactionEvent => ({
  transaction_id: `tx-${RUN}`, card_number_hash: CARD, merchant_id: MERCHANT, merchant_category_code: "5999", amount_usd: 10, currency: "USD",
  timestamp_utc: new Date(now).toISOString(), terminal_id: undefined, device_fingerprint: undefined, ip_address_hash: undefined,
  geolocation: undefined, transaction_type: "PURCHASE", channel: "ONLINE",
});

describe("lists reach the edge through PostgreSQL and Redis", () => {
  it("publishes API-written entries, and prunes an expired one at the next publish", async () => {
    const riskJob = createRiskJob({ sql, target: redisReferenceTarget(redis), now: () => now });
    const app = createOpsRoutes({
      sql, riskJob, now: () => now, log: quiet,
      verdicts: createSqlVerdictStore(sql, { now: () => now }),
      summaries: createSqlSummaryStore(sql, { closeClient: false }),
      auth: createTokenAuth({ sql, now: () => now, bootstrap: [{ name: "int-analyst", role: "analyst", sha256: sha256Hex(ANALYST) }] }),
      health: { probes: [], lag: async () => [], throughputTps: () => 0, sinks: () => ({}), startedAtMs: now, now: () => now },
    });
    const post = (list: string, body: unknown) =>
      app.request(`/v1/lists/${list}/entries`, { method: "POST", headers: { authorization: `Bearer ${ANALYST}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    const until = new Date(now + 3_600_000).toISOString();
    expect((await post("block-card", { value: CARD, reason: "int test", expires_at: until })).status).toBe(201);
    expect((await post("allow-merchant", { value: MERCHANT, reason: "int test" })).status).toBe(201);
    await riskJob.run();
    expect(await redis.hget(REDIS_KEYS.listBlock, `card:${CARD}`)).toBe(until);
    expect(await redis.hget(REDIS_KEYS.listAllow, `merchant:${MERCHANT}`)).toBe("");
    const edge = createUpstashReferenceData({ url: URL_, token: TOKEN, log: quiet });
    expect((await edge.lookup(event())).signals.list_hits).toEqual([
      { action: "block", kind: "card", expires_at_ms: Date.parse(until) },
      { action: "allow", kind: "merchant" },
    ]);

    now += 3_600_000;
    await riskJob.run();
    expect(await redis.hget(REDIS_KEYS.listBlock, `card:${CARD}`)).toBeNull();
    const later = createUpstashReferenceData({ url: URL_, token: TOKEN, log: quiet });
    expect((await later.lookup(event())).signals.list_hits).toEqual([{ action: "allow", kind: "merchant" }]);
    await riskJob.stop();
  });
});
