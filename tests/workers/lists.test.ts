import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, describe, expect, inject, it } from "vitest";
import { REDIS_KEYS } from "../../core/contracts/reference.js";
import type { VerdictResponse } from "../../core/schemas.js";
import { emptyListDelta } from "../../aggregator/reference/lists.js";
import { createApp } from "../../edge/app.js";
import { loadEdgeConfig } from "../../edge/config.js";
import type { Logger } from "../../edge/ports.js";
import { createUpstashReferenceData } from "../../edge/reference/upstash.js";
import { durableObjectScorer } from "../../edge/workers/card-scorer.js";
import { cardHash, ONLINE, testEnv, txn } from "../../edge/testing/helpers.js";
import { fixtureRedis } from "../testing/reference-fixture.js";
import { REDIS_HASH, redisReferenceTarget, type ReferenceDelta } from "../../aggregator/reference/target.js";

// Allow/block lists end to end in workerd: entries are written to Redis by the aggregator's own
// publisher (redisReferenceTarget, the Redis layout the edge reads), then the real app, the real
// CardState Durable Object and the real Upstash adapter score against them after one reference
// refresh. Every key here is unique to this run, and removed afterwards (the Redis is shared).

const run = crypto.randomUUID().slice(0, 8);
const redis = () => fixtureRedis(inject("upstashUrl"), inject("upstashToken"));
const written: Array<[string, string]> = [];
const REFRESH_MS = 150;

function delta(lists: { block?: Record<string, string>; allow?: Record<string, string> }, cardTier: Record<string, string> = {}): ReferenceDelta {
  const d = { set: Object.fromEntries(Object.keys(REDIS_HASH).map((k) => [k, {}])), del: Object.fromEntries(Object.keys(REDIS_HASH).map((k) => [k, []])), changes: 1 } as unknown as ReferenceDelta;
  d.set.card_tier = cardTier;
  const l = emptyListDelta();
  Object.assign(l.set.block, lists.block ?? {});
  Object.assign(l.set.allow, lists.allow ?? {});
  d.lists = l;
  for (const f of Object.keys(lists.block ?? {})) written.push([REDIS_KEYS.listBlock, f]);
  for (const f of Object.keys(lists.allow ?? {})) written.push([REDIS_KEYS.listAllow, f]);
  for (const c of Object.keys(cardTier)) written.push([REDIS_KEYS.cardTier, c]);
  return d;
}
const publish = async (d: ReferenceDelta) => {
  await redisReferenceTarget(redis()).apply({ risk: d });
  await new Promise((r) => setTimeout(r, REFRESH_MS + 50)); // past the edge's refresh interval
};

afterAll(async () => {
  const r = redis();
  for (const [key, field] of written) await r.hdel(key, field);
  await r.incr(REDIS_KEYS.refdataVersion);
});

function edgeApp() {
  const log: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const upstash = { url: inject("upstashUrl"), token: inject("upstashToken") };
  const config = loadEdgeConfig({ ...testEnv, REFERENCE_SOURCE: "upstash", UPSTASH_REDIS_REST_URL: upstash.url, UPSTASH_REDIS_REST_TOKEN: upstash.token });
  // Stale after REFRESH_MS and not served stale: the next lookup waits for the reload.
  // Generous load timeouts: a slow shared machine must not turn a lookup into UNAVAILABLE (fail closed).
  const reference = createUpstashReferenceData({ ...upstash, ttlMs: REFRESH_MS, maxStaleMs: REFRESH_MS, loadTimeoutMs: 10_000, requestTimeoutMs: 10_000, log });
  let ctx = createExecutionContext();
  const app = createApp({
    config, reference, log,
    scorer: durableObjectScorer(testEnv.CARD_STATE),
    now: () => Date.now(),
    waitUntil: (p) => ctx.waitUntil(p),
  });
  return async (body: Record<string, unknown>): Promise<VerdictResponse> => {
    ctx = createExecutionContext();
    const res = await app.fetch(new Request("https://edge.test/v1/transactions/score", {
      method: "POST", headers: { authorization: `Bearer ${ONLINE}`, "content-type": "application/json" }, body: JSON.stringify(body),
    }));
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(200);
    return res.json<VerdictResponse>();
  };
}

const MIN = 60_000;
const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();

describe("allow/block lists at the edge (workerd)", () => {
  it("a block entry published to Redis changes the verdict within the refresh interval", async () => {
    const score = edgeApp();
    const merchant = `MCH-LIST-${run}`;
    const before = await score(txn({ merchant_id: merchant, amount_usd: 20 }));
    expect(before.verdict).toBe("APPROVED");
    await publish(delta({ block: { [`merchant:${merchant}`]: "" } }));
    const after = await score(txn({ merchant_id: merchant, amount_usd: 20 }));
    expect(after.verdict).toBe("BLOCKED");
    expect(after.rule_triggers).toContain("LIST_BLOCK");
    expect(after.reasons.map((r) => r.code)).toContain("LIST_BLOCK");
  });

  it("an entry stops acting at its expiry by the event's time, with no new publish", async () => {
    const score = edgeApp();
    const device = `dev-${run}-exp`;
    await publish(delta({ block: { [`device:${device}`]: at(10 * MIN) } })); // expired ten minutes ago
    const before = await score(txn({ device_fingerprint: device, timestamp_utc: at(20 * MIN), amount_usd: 20 }));
    const after = await score(txn({ device_fingerprint: device, timestamp_utc: at(5 * MIN), amount_usd: 20 }));
    expect(before.verdict).toBe("BLOCKED");
    expect(before.rule_triggers).toContain("LIST_BLOCK");
    expect(after.rule_triggers).not.toContain("LIST_BLOCK");
    expect(after.verdict).toBe("APPROVED");
  });

  it("an allow entry lowers a REVIEW to APPROVED, and never overrides a block entry or the hard BIN block", async () => {
    const score = edgeApp();
    const [reviewed, allowed, blockedToo, hardBin] = [cardHash(), cardHash(), cardHash(), cardHash()];
    const merchant = `MCH-LIST-${run}-b`;
    await publish(delta(
      { allow: { [`card:${allowed}`]: "", [`card:${blockedToo}`]: "", [`card:${hardBin}`]: "" }, block: { [`merchant:${merchant}`]: "" } },
      { [reviewed]: "MEDIUM", [allowed]: "MEDIUM" },
    ));
    // A MEDIUM-tier card on a device and IP it never used: the bundled rules force REVIEW (35 rule
    // points, so even full statistics and forest terms stay below the block threshold).
    const risky = (card: string) => txn({ card_number_hash: card, device_fingerprint: `dev-${crypto.randomUUID()}`, ip_address_hash: `ip-${crypto.randomUUID()}`, amount_usd: 20 });
    const r = await score(risky(reviewed));
    expect(r.verdict).toBe("REVIEW");
    expect(r.rule_triggers).toContain("COMPROMISED_CARD_UNUSUAL_USE");
    const a = await score(risky(allowed));
    expect(a.verdict).toBe("APPROVED");
    expect(a.rule_triggers).toEqual(expect.arrayContaining(["COMPROMISED_CARD_UNUSUAL_USE", "ALLOW_LIST"]));
    expect(a.fraud_score).toBeLessThan(50);
    const b = await score(txn({ card_number_hash: blockedToo, merchant_id: merchant, amount_usd: 20 }));
    expect(b.verdict).toBe("BLOCKED");
    expect(b.rule_triggers).toContain("LIST_BLOCK");
    expect(b.rule_triggers).not.toContain("ALLOW_LIST");
    const h = await score(txn({ card_number_hash: hardBin, card_bin: "400000", amount_usd: 20 })); // 400000: the fixture's blocked BIN
    expect(h.verdict).toBe("BLOCKED");
    expect(h.rule_triggers).toContain("BLOCKED_BIN");
    expect(h.rule_triggers).not.toContain("ALLOW_LIST");
  });
});
