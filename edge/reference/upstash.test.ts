import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import type { TransactionEvent } from "../../core/schemas.js";
import { fixtureRedis, REFERENCE_FIXTURE } from "../../tests/testing/reference-fixture.js";
import type { Logger } from "../ports.js";
import { REDIS_KEYS } from "../../core/contracts/reference.js";
import { createUpstashReferenceData } from "./upstash.js";

// Against the real Redis through the local Upstash REST bridge; the global setup published
// REFERENCE_FIXTURE. Network calls are counted with a pass-through spy on fetch.

const url = inject("upstashUrl");
const token = inject("upstashToken");

function event(over: Partial<TransactionEvent> = {}): TransactionEvent {
  return {
    transaction_id: "tx-ref-1",
    card_number_hash: "card-hash-plain-0001",
    merchant_id: "m-clean",
    merchant_category_code: "5411",
    amount_usd: 20,
    currency: "USD",
    timestamp_utc: "2026-11-28T12:00:00Z",
    terminal_id: undefined,
    device_fingerprint: undefined,
    ip_address_hash: undefined,
    geolocation: undefined,
    transaction_type: "PURCHASE",
    channel: "ONLINE",
    ...over,
  };
}

function captureLog() {
  const lines: { level: string; code: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (code: string, fields: Record<string, unknown> = {}) => void lines.push({ level, code, fields });
  const log: Logger = { info: at("info"), warn: at("warn"), error: at("error") };
  return { log, lines };
}

let fetchSpy: ReturnType<typeof vi.spyOn<typeof globalThis, "fetch">>;
const bridgeCalls = () => fetchSpy.mock.calls.filter(([input]) => String(input instanceof Request ? input.url : input).startsWith(url));

beforeAll(() => {
  const problem = inject("upstashError");
  if (problem) throw new Error(problem);
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("createUpstashReferenceData", () => {
  let t = 1_000_000;
  const clock = () => t;

  it("maps the published block lists, risk tables, card tiers and active versions onto an event", async () => {
    const ref = createUpstashReferenceData({ url, token, clock, ttlMs: 10_000 });
    const risky = await ref.lookup(
      event({ merchant_id: "m-risky", terminal_id: "t-risky", ip_address_hash: "ip-hash-blocked-1", card_bin: "40000012", card_number_hash: "card-hash-high-0001" }),
    );
    expect(risky).toEqual({
      signals: {
        status: "OK",
        merchant_risk_score: 0.92,
        terminal_risk_score: 0.8,
        ip_reputation_score: 1,
        ip_blocked: true,
        bin_blocked: true,
        card_risk_tier: "HIGH",
      },
      rulesVersion: REFERENCE_FIXTURE.rules_version,
    });
    // A 7-digit listed prefix matches an 8-digit BIN; an unlisted BIN and IP are explicitly clear.
    const clean = await ref.lookup(event({ card_bin: "55554449", ip_address_hash: "ip-hash-shady", terminal_id: "t-unknown" }));
    expect(clean.signals).toEqual({ status: "OK", merchant_risk_score: 0.02, ip_reputation_score: 0.7, ip_blocked: false, bin_blocked: true });
    const unknown = await ref.lookup(event({ merchant_id: "m-never-seen", card_bin: "999999" }));
    expect(unknown.signals).toEqual({ status: "OK", bin_blocked: false });
  });

  it("serves lookups from the isolate cache: no network call while fresh, and concurrent misses share one load", async () => {
    fetchSpy = vi.spyOn(globalThis, "fetch");
    const ref = createUpstashReferenceData({ url, token, clock, ttlMs: 10_000 });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => ref.lookup(event({ transaction_id: `tx-${i}`, merchant_id: "m-mid" }))));
    expect(results.every((r) => r.signals.merchant_risk_score === 0.5)).toBe(true);
    expect(bridgeCalls()).toHaveLength(1);
    t += 9_000;
    for (let i = 0; i < 50; i++) await ref.lookup(event({ merchant_id: "m-risky" }));
    expect(bridgeCalls()).toHaveLength(1);
  });

  it("after the TTL, serves the cached snapshot while one small pipeline checks the version, and reloads after a publish", async () => {
    const redis = fixtureRedis(url, token);
    const ref = createUpstashReferenceData({ url, token, clock, ttlMs: 5_000, maxStaleMs: 60_000 });
    expect((await ref.lookup(event({ merchant_id: "m-new" }))).signals.merchant_risk_score).toBeUndefined();

    fetchSpy = vi.spyOn(globalThis, "fetch");
    const pending: Promise<unknown>[] = [];
    const ctx = { waitUntil: (p: Promise<unknown>) => void pending.push(p) };
    t += 6_000;
    await ref.lookup(event(), ctx);
    expect(pending).toHaveLength(1);
    await Promise.all(pending);
    // Unchanged version: five GETs (version, rules, champion, shadow model, shadow rules), no table transfer.
    const body = JSON.parse(String(bridgeCalls()[0]?.[1]?.body)) as string[][];
    expect(body.map((c) => c[0]?.toLowerCase())).toEqual(["get", "get", "get", "get", "get"]);

    // Additive publish (one field, then the counter), undone the same way: other test files
    // (scenarios) publish into the same Redis keys concurrently and must not lose their values.
    try {
      await redis.hset(REDIS_KEYS.merchantRisk, { "m-new": "0.66" });
      const v = await redis.incr(REDIS_KEYS.refdataVersion);
      t += 6_000;
      // Stale-while-revalidate: this answer still comes from the old snapshot…
      expect((await ref.lookup(event({ merchant_id: "m-new" }), ctx)).signals.merchant_risk_score).toBeUndefined();
      await Promise.all(pending);
      // …and the refresh it started brought the new one.
      expect((await ref.lookup(event({ merchant_id: "m-new" }))).signals.merchant_risk_score).toBe(0.66);
      expect(ref.currentVersion()).toBeGreaterThanOrEqual(v);
    } finally {
      await redis.hdel(REDIS_KEYS.merchantRisk, "m-new");
      await redis.incr(REDIS_KEYS.refdataVersion);
    }
  });

  it("reads a rule set by version, and answers undefined for a version never stored", async () => {
    const redis = fixtureRedis(url, token);
    const rs = { version: "rules-test-rs", rules: [] };
    await redis.set(REDIS_KEYS.ruleSet("rules-test-rs"), JSON.stringify(rs));
    const ref = createUpstashReferenceData({ url, token, clock });
    expect(await ref.loadRuleSet("rules-test-rs")).toEqual(rs);
    expect(await ref.loadRuleSet("rules-never-stored")).toBeUndefined();
  });
});

describe("Redis outage", () => {
  const t = 5_000_000;
  const clock = () => t;

  it("answers UNAVAILABLE (never throws) when the bridge is not there, and logs a code without the token", async () => {
    const { log, lines } = captureLog();
    const ref = createUpstashReferenceData({ url: inject("deadUrl"), token: "secret-token-must-not-appear", clock, log });
    const r = await ref.lookup(event({ merchant_id: "m-risky" }));
    expect(r).toEqual({ signals: { status: "UNAVAILABLE" } });
    expect(lines.map((l) => l.code)).toEqual(["REFERENCE_DATA_LOAD_FAILED", "REFERENCE_DATA_UNAVAILABLE"]);
    expect(JSON.stringify(lines)).not.toContain("secret-token-must-not-appear");
  });

  it("answers UNAVAILABLE when the bridge refuses the token", async () => {
    const { log, lines } = captureLog();
    const ref = createUpstashReferenceData({ url, token: "wrong-token", clock, log });
    expect((await ref.lookup(event())).signals.status).toBe("UNAVAILABLE");
    expect(lines.find((l) => l.code === "REFERENCE_DATA_LOAD_FAILED")?.fields.failures).toBe(1);
    expect(JSON.stringify(lines)).not.toContain("wrong-token");
  });

  it("does not hammer a dead Redis: within the retry pause, callers are answered without a new attempt", async () => {
    fetchSpy = vi.spyOn(globalThis, "fetch");
    const dead = inject("deadUrl");
    const ref = createUpstashReferenceData({ url: dead, token, clock, retryAfterMs: 1_000, log: captureLog().log });
    for (let i = 0; i < 10; i++) expect((await ref.lookup(event())).signals.status).toBe("UNAVAILABLE");
    expect(fetchSpy.mock.calls.filter(([input]) => String(input instanceof Request ? input.url : input).startsWith(dead))).toHaveLength(1);
  });
});

afterAll(() => {
  vi.restoreAllMocks();
});
