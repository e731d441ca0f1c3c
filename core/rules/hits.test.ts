import { describe, expect, it } from "vitest";
import { createEngine } from "../engine.js";
import { defaultConfig, defaultModel, defaultRuleSet } from "../engine-default.js";
import { TransactionEventSchema, type Decision } from "../schemas.js";
import { CardWindow } from "../window/card-window.js";
import { decidingRuleOf, diffRuleSets, ruleIdsOf } from "./hits.js";
import type { RuleSet } from "./schema.js";

const reason = (tier: "RULE" | "STAT" | "ML" | "SYSTEM", detail: string, contribution: number) => ({ code: "X", tier, detail, contribution });

describe("rule hits read back from a decision", () => {
  it("the engine's RULE reasons name the rule ids that fired", () => {
    const rs: RuleSet = {
      version: "hits-test",
      rules: [
        { id: "big", description: "big: 500 or more", reason_code: "BIG", score: 60, when: { feature: "amount_usd", op: ">=", value: 500 } },
        { id: "gambling", description: "gambling MCC", reason_code: "GAMBLING", score: 100, action: "BLOCK", when: { attr: "merchant_category_code", in: ["7995"] } },
      ],
    };
    const engine = createEngine({ config: defaultConfig(), ruleSet: rs, model: defaultModel() });
    const e = TransactionEventSchema.parse({ transaction_id: "t1", card_number_hash: "card-hits-0001", merchant_id: "MCH-1", merchant_category_code: "7995", amount_usd: 900, currency: "USD", timestamp_utc: "2026-03-02T10:00:00Z", transaction_type: "PURCHASE", channel: "ONLINE" });
    const d = engine.score(e, CardWindow.empty(), { status: "OK" }).decision;
    // "big: 500 or more" has a colon in its description: the id is what comes before the first one.
    expect(ruleIdsOf(d)).toEqual(["big", "gambling"]);
    expect(d.verdict).toBe("BLOCKED");
    expect(["big", "gambling"]).toContain(decidingRuleOf(d));
  });

  it("a rule decides a flagged verdict only when its reason contributed most", () => {
    const base: Pick<Decision, "reasons" | "verdict"> = { verdict: "REVIEW", reasons: [reason("RULE", "a: x", 10), reason("ML", "forest", 30), reason("RULE", "b: y", 20)] };
    expect(decidingRuleOf(base)).toBeUndefined();
    expect(decidingRuleOf({ ...base, reasons: [reason("RULE", "a: x", 40), reason("RULE", "b: y", 40)] })).toBe("a");
    expect(decidingRuleOf({ ...base, verdict: "APPROVED", reasons: [reason("RULE", "a: x", 40)] })).toBeUndefined();
    expect(decidingRuleOf({ ...base, reasons: [reason("RULE", "a: x", 0)] })).toBeUndefined();
  });
});

describe("diffRuleSets", () => {
  it("lists added, removed and changed rule ids; key order does not count as a change", () => {
    const d = defaultRuleSet();
    const [first, second, ...rest] = d.rules;
    const reordered = Object.fromEntries(Object.entries(second ?? {}).reverse()) as typeof second;
    const next = { rules: [{ ...first!, score: 1 }, reordered!, ...rest.slice(1), { ...first!, id: "new-rule" }] };
    expect(diffRuleSets(d, next)).toEqual({ added: ["new-rule"], removed: [rest[0]!.id], changed: [first!.id] });
    expect(diffRuleSets(undefined, next).added).toHaveLength(next.rules.length);
  });
});
