import { beforeAll, describe, expect, inject, it } from "vitest";
import { defaultEngine, defaultRuleSet, type RuleSet } from "../../core/index.js";
import { REDIS_KEYS } from "../../core/contracts/reference.js";
import type { ScoreItem } from "../../core/contracts/scoring.js";
import { cardHash, stubFor, testEnv, txn } from "../testing/helpers.js";
import { fixtureRedis } from "../../tests/testing/reference-fixture.js";
import { resolveEngines } from "../../core/kernel/engines.js";
import { registryFromEnv } from "./card-state.js";

// The card object scores with the rule set version the reference data names, read from the real
// Redis (Upstash bridge); an unknown version falls back to the bundled engine and says so.

const VERSION = `rules-do-test-${Date.now().toString(36)}`;
const CUSTOM: RuleSet = {
  ...defaultRuleSet(),
  version: VERSION,
  rules: [
    ...defaultRuleSet().rules,
    { id: "test-mcc-7995", description: "test: gambling MCC", reason_code: "TEST_GAMBLING", score: 60, action: "REVIEW", when: { all: [{ attr: "merchant_category_code", in: ["7995"] }] } },
  ],
};

beforeAll(async () => {
  const problem = inject("upstashError");
  if (problem) throw new Error(problem);
  await fixtureRedis(inject("upstashUrl"), inject("upstashToken")).set(REDIS_KEYS.ruleSet(VERSION), JSON.stringify(CUSTOM));
});

function item(card: string, rulesVersion?: string, over: Record<string, unknown> = {}): ScoreItem {
  const event = txn({ card_number_hash: card, ...over }) as unknown as ScoreItem["event"];
  return { event, refs: { status: "OK" }, ...(rulesVersion ? { rulesVersion } : {}) };
}

describe("engine per active version in the CardState object", () => {
  it("a stored rule set version is used: its rules fire and the decision names it", async () => {
    const card = cardHash();
    const [out] = await stubFor(card).scoreEvents([item(card, VERSION, { merchant_category_code: "7995" })]);
    expect(out?.decision?.rules_version).toBe(VERSION);
    expect(out?.decision?.rule_triggers).toContain("TEST_GAMBLING");
    expect(out?.decision?.verdict).not.toBe("APPROVED");
  });

  it("an unknown version: bundled engine, with a SYSTEM reason saying so", async () => {
    const card = cardHash();
    const [out] = await stubFor(card).scoreEvents([item(card, "rules-that-does-not-exist")]);
    expect(out?.decision?.rules_version).toBe(defaultEngine().rulesVersion);
    expect(out?.decision?.reasons.some((r) => r.tier === "SYSTEM" && r.code === "RULES_VERSION_UNAVAILABLE")).toBe(true);
  });

  it("no version named, or the bundled one: no extra reason", async () => {
    const engines = await resolveEngines([item("c1"), item("c2", defaultEngine().rulesVersion)], registryFromEnv(testEnv));
    expect(engines).toEqual([defaultEngine(), defaultEngine()]);
  });

  it("REFERENCE_FAILURE_POLICY overrides the channel policy (ONLINE fails open here)", async () => {
    const env = { ...testEnv, REFERENCE_FAILURE_POLICY: JSON.stringify({ ONLINE: "FAIL_OPEN" }) };
    const unavailable = { ...item(cardHash()), refs: { status: "UNAVAILABLE" as const } };
    const [open] = await resolveEngines([unavailable], registryFromEnv(env));
    const [closed] = await resolveEngines([unavailable], registryFromEnv(testEnv));
    const { CardWindow } = await import("../../core/index.js");
    const o = open?.process(unavailable.event, CardWindow.empty(), unavailable.refs).decision;
    const c = closed?.process(unavailable.event, CardWindow.empty(), unavailable.refs).decision;
    expect(c?.rule_triggers).toContain("REFERENCE_DATA_UNAVAILABLE_FAIL_CLOSED");
    expect(o?.rule_triggers).toContain("REFERENCE_DATA_UNAVAILABLE");
    expect(o?.rule_triggers).not.toContain("REFERENCE_DATA_UNAVAILABLE_FAIL_CLOSED");
  });
});
