import { beforeAll, describe, expect, inject, it } from "vitest";
import { CardWindow, defaultEngine, defaultRuleSet, type RuleSet, type TransactionEvent } from "../../core/index.js";
import { fixtureRedis } from "../../tests/testing/reference-fixture.js";
import { silentLogger, type Logger } from "../../core/contracts/logger.js";
import { REDIS_KEYS } from "../../core/contracts/reference.js";
import { createUpstashReferenceData } from "./upstash.js";
import { createEngineRegistry, MODEL_VERSION_UNAVAILABLE, RULES_VERSION_UNAVAILABLE, type EngineRegistryOptions, type RuleSetSource } from "../../core/kernel/registry.js";

/** The registry's options with a wall clock and no log lines unless a test wants them. */
const opts = (o: Partial<EngineRegistryOptions> = {}): EngineRegistryOptions => ({ clock: () => Date.now(), log: silentLogger, ...o });

// Engines for the active versions named by reference data, with rule sets read from the real Redis
// (through the Upstash bridge) and compiled once per version.

const url = inject("upstashUrl");
const token = inject("upstashToken");

const CUSTOM_VERSION = `rules-test-custom-${Date.now().toString(36)}`;
const CUSTOM: RuleSet = {
  ...defaultRuleSet(),
  version: CUSTOM_VERSION,
  rules: [
    ...defaultRuleSet().rules,
    { id: "test-big-atm", description: "test: large ATM withdrawal", reason_code: "TEST_BIG_ATM", score: 100, action: "BLOCK", when: { all: [{ attr: "channel", in: ["ATM"] }, { feature: "amount_usd", op: ">", value: 900 }] } },
  ],
};

function event(amount: number): TransactionEvent {
  return {
    transaction_id: `tx-eng-${amount}`,
    card_number_hash: "card-hash-engine-0001",
    merchant_id: "m-atm",
    merchant_category_code: "6011",
    amount_usd: amount,
    currency: "USD",
    timestamp_utc: "2026-11-28T12:00:00Z",
    terminal_id: "atm-1",
    device_fingerprint: undefined,
    ip_address_hash: undefined,
    geolocation: undefined,
    transaction_type: "WITHDRAWAL",
    channel: "ATM",
  };
}

function captureLog() {
  const codes: string[] = [];
  const at = (code: string) => void codes.push(code);
  const log: Logger = { info: at, warn: at, error: at };
  return { log, codes };
}

/** The real Upstash source, with its calls counted. */
function countingSource(): RuleSetSource & { calls: string[] } {
  const ref = createUpstashReferenceData({ url, token });
  const calls: string[] = [];
  return {
    calls,
    loadRuleSet: (v) => {
      calls.push(v);
      return ref.loadRuleSet(v);
    },
  };
}

beforeAll(async () => {
  const problem = inject("upstashError");
  if (problem) throw new Error(problem);
  const redis = fixtureRedis(url, token);
  await redis.set(REDIS_KEYS.ruleSet(CUSTOM_VERSION), JSON.stringify(CUSTOM));
  await redis.set(REDIS_KEYS.ruleSet("rules-test-invalid"), JSON.stringify({ version: "rules-test-invalid", rules: [{ id: "BAD ID" }] }));
});

describe("createEngineRegistry", () => {
  it("uses the bundled engine when no other version is named", async () => {
    const reg = createEngineRegistry(countingSource(), opts());
    const e = await reg.resolve(undefined, undefined);
    expect(e).toBe(defaultEngine());
    expect(await reg.resolve(defaultEngine().rulesVersion, defaultEngine().modelVersion)).toBe(defaultEngine());
  });

  it("scores with a rule set fetched by version from Redis, compiled once per version", async () => {
    const source = countingSource();
    const reg = createEngineRegistry(source, opts());
    const e = await reg.resolve(CUSTOM_VERSION);
    expect(e.rulesVersion).toBe(CUSTOM_VERSION);
    const r = e.score(event(950), CardWindow.empty(), { status: "OK" });
    expect(r.decision.rules_version).toBe(CUSTOM_VERSION);
    expect(r.decision.verdict).toBe("BLOCKED");
    expect(r.decision.rule_triggers).toContain("TEST_BIG_ATM");
    expect(defaultEngine().score(event(950), CardWindow.empty(), { status: "OK" }).decision.rule_triggers).not.toContain("TEST_BIG_ATM");
    expect(await reg.resolve(CUSTOM_VERSION)).toBe(e);
    expect(source.calls).toEqual([CUSTOM_VERSION]);
  });

  it("falls back to the bundled rules with a SYSTEM reason for a version never stored, and does not ask again at once", async () => {
    const source = countingSource();
    const reg = createEngineRegistry(source, opts({ retryAfterMs: 60_000 }));
    const e = await reg.resolve("rules-never-published");
    expect(e.rulesVersion).toBe(defaultEngine().rulesVersion);
    const d = e.score(event(20), CardWindow.empty(), { status: "OK" }).decision;
    expect(d.reasons).toContainEqual(expect.objectContaining({ code: RULES_VERSION_UNAVAILABLE, tier: "SYSTEM", contribution: 0 }));
    await reg.resolve("rules-never-published");
    expect(source.calls).toEqual(["rules-never-published"]);
  });

  it("refuses an invalid stored rule set (logged), scoring with the bundled rules and saying so", async () => {
    const { log, codes } = captureLog();
    const reg = createEngineRegistry(countingSource(), opts({ log }));
    const d = (await reg.resolve("rules-test-invalid")).score(event(20), CardWindow.empty(), { status: "OK" }).decision;
    expect(d.rules_version).toBe(defaultEngine().rulesVersion);
    expect(d.reasons.find((r) => r.code === RULES_VERSION_UNAVAILABLE)?.detail).toContain("invalid");
    expect(codes).toContain("RULESET_INVALID");
  });

  it("scores an unknown model version with the bundled model, noting it on every decision", async () => {
    const reg = createEngineRegistry(countingSource(), opts());
    const e = await reg.resolve(CUSTOM_VERSION, "model-from-the-future");
    const d = e.process(event(30), CardWindow.empty(), { status: "OK" }).decision;
    expect(d.rules_version).toBe(CUSTOM_VERSION);
    expect(d.model_version).toBe(defaultEngine().modelVersion);
    expect(d.reasons).toContainEqual(expect.objectContaining({ code: MODEL_VERSION_UNAVAILABLE, tier: "SYSTEM" }));
  });

  it("treats an unreadable source as unavailable: bundled rules and a reason, never a throw", async () => {
    const { log, codes } = captureLog();
    const dead = createUpstashReferenceData({ url: inject("deadUrl"), token });
    const reg = createEngineRegistry(dead, opts({ log }));
    const d = (await reg.resolve(CUSTOM_VERSION)).score(event(20), CardWindow.empty(), { status: "OK" }).decision;
    expect(d.reasons.find((r) => r.code === RULES_VERSION_UNAVAILABLE)?.detail).toContain("unreadable");
    expect(codes).toContain("RULESET_LOAD_FAILED");
  });
});
