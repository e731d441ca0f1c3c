import { describe, expect, it } from "vitest";
import { parseScoringConfig } from "./config.js";
import defaultConfigJson from "./default-config.json" with { type: "json" };
import { defaultConfig, defaultModel, defaultRuleSet } from "./engine-default.js";
import { createEngine } from "./engine.js";
import type { ListHit } from "./contracts/lists.js";
import { compileGbdt } from "./ml/gbdt/compiled.js";
import { parseRuleSet } from "./rules/schema.js";
import { DecisionSchema, type ReferenceSignals, type TransactionEvent } from "./schemas.js";
import { ev, tinyModel } from "./testing/features.js";
import { handModel } from "./testing/learned-model.js";
import { CardWindow, HOUR_MS } from "./window/card-window.js";

// List precedence in the engine: statistics and forest weighted 0, so fraud_score is the rule
// points and each case below is decided by the one rule its merchant category fires.
const config = parseScoringConfig({ ...defaultConfigJson, version: "config-lists-test", weights: { rules: 1, stats: 0, ml: 0 } });
const mcc = (id: string, code: string, score: number, extra: Record<string, unknown> = {}) => ({
  id, description: id, reason_code: id.toUpperCase().replace(/-/g, "_"), score, ...extra, when: { attr: "merchant_category_code", in: [code] },
});
const ruleSet = parseRuleSet({
  version: "rules-lists-test",
  rules: [
    { id: "blocked-bin", description: "BIN on the hard block list", reason_code: "BLOCKED_BIN", score: 100, action: "BLOCK", non_overridable: true, when: { signal: "bin_blocked", is: true } },
    mcc("score-review", "7995", 55),
    mcc("force-review", "6051", 10, { action: "REVIEW" }),
    mcc("force-block", "4829", 20, { action: "BLOCK" }),
    mcc("hard-block", "5967", 20, { action: "BLOCK", non_overridable: true }),
    mcc("score-block", "7273", 90),
  ],
});
const engine = createEngine({ config, ruleSet, model: tinyModel() });

const T0 = Date.parse(ev(0).timestamp_utc);
const hit = (action: ListHit["action"], kind: ListHit["kind"] = "card", expires_at_ms?: number): ListHit =>
  expires_at_ms === undefined ? { action, kind } : { action, kind, expires_at_ms };
const refs = (...list_hits: ListHit[]): ReferenceSignals => ({ status: "OK", list_hits });
const decide = (over: Partial<TransactionEvent>, r: ReferenceSignals) => {
  const d = engine.score(ev(0, over), CardWindow.empty(), r).decision;
  expect(DecisionSchema.parse(d)).toEqual(d);
  return d;
};

describe("block lists", () => {
  it("a block entry decides BLOCKED with LIST_BLOCK on an event the rules approve", () => {
    expect(decide({}, refs()).verdict).toBe("APPROVED");
    const d = decide({}, refs(hit("block", "merchant")));
    expect(d.verdict).toBe("BLOCKED");
    expect(d.fraud_score).toBe(80);
    expect(d.confidence).toBe(1);
    expect(d.rule_triggers).toEqual(["LIST_BLOCK"]);
    expect(d.reasons.at(-1)).toMatchObject({ code: "LIST_BLOCK", tier: "RULE", contribution: 80 });
    expect(d.reasons.at(-1)?.detail).toContain("merchant is on the block list (no expiry)");
  });

  it("allow never overrides a block entry, whichever comes first", () => {
    for (const hits of [[hit("allow"), hit("block", "device")], [hit("block", "device"), hit("allow")]]) {
      const d = decide({ merchant_category_code: "7995" }, refs(...hits));
      expect(d.verdict).toBe("BLOCKED");
      expect(d.rule_triggers).toContain("LIST_BLOCK");
      expect(d.rule_triggers).not.toContain("ALLOW_LIST");
    }
  });
});

describe("allow lists", () => {
  it("lower a REVIEW of the score to APPROVED with ALLOW_LIST, below the review threshold", () => {
    expect(decide({ merchant_category_code: "7995" }, refs()).verdict).toBe("REVIEW");
    const d = decide({ merchant_category_code: "7995" }, refs(hit("allow", "card")));
    expect(d.verdict).toBe("APPROVED");
    expect(d.fraud_score).toBe(49.9);
    expect(d.rule_triggers).toEqual(["SCORE_REVIEW", "ALLOW_LIST"]);
    expect(d.reasons.at(-1)).toMatchObject({ code: "ALLOW_LIST", tier: "RULE", contribution: 0 });
    expect(d.reasons.at(-1)?.detail).toContain("REVIEW lowered to APPROVED");
  });

  it("lower a REVIEW forced by a rule, and a BLOCK forced by an overridable rule", () => {
    for (const code of ["6051", "4829"]) {
      expect(decide({ merchant_category_code: code }, refs()).verdict).not.toBe("APPROVED");
      const d = decide({ merchant_category_code: code }, refs(hit("allow", "terminal")));
      expect(d.verdict).toBe("APPROVED");
      expect(d.fraud_score).toBeLessThan(50);
    }
  });

  it("never override a BLOCK forced by a non-overridable rule, nor the hard BIN block list", () => {
    const hard = decide({ merchant_category_code: "5967" }, refs(hit("allow")));
    expect(hard.verdict).toBe("BLOCKED");
    expect(hard.rule_triggers).toEqual(["HARD_BLOCK"]);
    const bin = decide({ card_bin: "411111" }, { status: "OK", bin_blocked: true, list_hits: [hit("allow", "bin")] });
    expect(bin.verdict).toBe("BLOCKED");
    expect(bin.rule_triggers).toEqual(["BLOCKED_BIN"]);
  });

  it("the bundled rule set marks its BIN and IP block-list rules non-overridable (behavioural blocks stay overridable)", () => {
    const hard = defaultRuleSet().rules.filter((r) => r.non_overridable === true).map((r) => r.id);
    expect(hard).toEqual(["blocked-bin", "blacklisted-ip"]);
  });

  it("do not lower a verdict the score itself blocks, and leave APPROVED alone", () => {
    expect(decide({ merchant_category_code: "7273" }, refs(hit("allow"))).verdict).toBe("BLOCKED");
    const ok = decide({}, refs(hit("allow")));
    expect(ok.verdict).toBe("APPROVED");
    expect(ok.rule_triggers).toEqual([]);
  });
});

describe("expiry is judged at event time", () => {
  it("an entry acts strictly before its expiry and not from it on", () => {
    const over = { merchant_category_code: "7995" };
    expect(decide(over, refs(hit("block", "card", T0 + 1))).verdict).toBe("BLOCKED");
    expect(decide(over, refs(hit("block", "card", T0))).verdict).toBe("REVIEW");
    expect(decide(over, refs(hit("allow", "card", T0 + 1))).verdict).toBe("APPROVED");
    expect(decide(over, refs(hit("allow", "card", T0))).verdict).toBe("REVIEW");
  });

  it("the same entry blocks an event before expiry and not a later event (no wall clock involved)", () => {
    const exp = T0 + HOUR_MS;
    const before = engine.score(ev(HOUR_MS - 1), CardWindow.empty(), refs(hit("block", "ip", exp))).decision;
    const after = engine.score(ev(HOUR_MS), CardWindow.empty(), refs(hit("block", "ip", exp))).decision;
    expect(before.verdict).toBe("BLOCKED");
    expect(after.verdict).toBe("APPROVED");
    expect(after.rule_triggers).not.toContain("LIST_BLOCK");
  });

  it("an expired block entry does not hide an active allow entry", () => {
    const d = decide({ merchant_category_code: "7995" }, refs(hit("block", "card", T0 - 1), hit("allow", "merchant")));
    expect(d.verdict).toBe("APPROVED");
  });
});

describe("with a learned champion", () => {
  const learned = createEngine({ config: defaultConfig(), ruleSet: defaultRuleSet(), model: defaultModel(), learned: compileGbdt(handModel()) });
  it("a block entry blocks and an allow entry never lifts the BIN block", () => {
    const d = learned.score(ev(0), CardWindow.empty(), refs(hit("block", "card"))).decision;
    expect(d.verdict).toBe("BLOCKED");
    expect(d.rule_triggers).toContain("LIST_BLOCK");
    const bin = learned.score(ev(0, { card_bin: "411111" }), CardWindow.empty(), { status: "OK", bin_blocked: true, list_hits: [hit("allow")] }).decision;
    expect(bin.verdict).toBe("BLOCKED");
    expect(bin.rule_triggers).not.toContain("ALLOW_LIST");
  });
});
