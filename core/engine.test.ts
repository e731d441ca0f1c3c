import { beforeAll, describe, expect, it } from "vitest";
import { parseScoringConfig, type ScoringConfig } from "./config.js";
import defaultConfigJson from "./default-config.json" with { type: "json" };
import { createEngine, NO_REFERENCE, type Engine } from "./engine.js";
import { ev, tinyModel } from "./testing/features.js";
import defaultRules from "./rules/default-ruleset.json" with { type: "json" };
import { parseRuleSet } from "./rules/schema.js";
import { DecisionSchema } from "./schemas.js";
import { CardWindow } from "./window/card-window.js";
import { decodeCardState, encodeCardState } from "./window/codec.js";

let engine: Engine;
let config: ScoringConfig;
beforeAll(() => {
  config = parseScoringConfig(defaultConfigJson);
  engine = createEngine({ config, ruleSet: parseRuleSet(defaultRules), model: tinyModel() });
});

describe("engine", () => {
  it("approves an ordinary first purchase with a valid decision", () => {
    const { decision, features } = engine.score(ev(0), CardWindow.empty(), NO_REFERENCE);
    expect(DecisionSchema.parse(decision)).toEqual(decision);
    expect(decision.verdict).toBe("APPROVED");
    expect(decision.rules_version).toBe("rules-2026.11.3");
    expect(decision.model_version).toBe("tiny-test");
    expect(features.tx_count_1min).toBe(1);
  });

  it("score does not change the state; process does", () => {
    const s = CardWindow.empty();
    engine.score(ev(0), s, NO_REFERENCE);
    expect(s.eventCount).toBe(0);
    engine.process(ev(0), s, NO_REFERENCE);
    expect(s.eventCount).toBe(1);
    expect(s.lastEventMs).toBe(Date.parse(ev(0).timestamp_utc));
  });

  it("blocks a blocked BIN whatever the other tiers say", () => {
    const d = engine.score(ev(0, { card_bin: "412345" }), CardWindow.empty(), { status: "OK", bin_blocked: true }).decision;
    expect(d.verdict).toBe("BLOCKED");
    expect(d.rule_triggers).toEqual(["BLOCKED_BIN"]);
    expect(d.fraud_score).toBeGreaterThanOrEqual(80);
    expect(d.reasons[0]).toMatchObject({ code: "BLOCKED_BIN", tier: "RULE" });
  });

  it("velocity burst plus cross-country is BLOCKED (the spec's example)", () => {
    const s = CardWindow.empty();
    for (let i = 0; i < 4; i++) engine.process(ev(i * 5_000), s, NO_REFERENCE);
    const d = engine.score(ev(25_000, { geolocation: { lat: 48.85, lon: 2.35 } }), s, NO_REFERENCE).decision;
    expect(d.rule_triggers).toEqual(expect.arrayContaining(["VELOCITY_EXCEEDED", "CROSS_COUNTRY_MISMATCH"]));
    expect(d.verdict).toBe("BLOCKED");
  });

  it("FAIL_CLOSED channel gets at least REVIEW when reference data is unavailable; FAIL_OPEN scores on", () => {
    const closed = engine.score(ev(0, { channel: "ONLINE", terminal_id: undefined }), CardWindow.empty(), { status: "UNAVAILABLE" }).decision;
    expect(closed.verdict).toBe("REVIEW");
    expect(closed.rule_triggers).toContain("REFERENCE_DATA_UNAVAILABLE_FAIL_CLOSED");
    const open = engine.score(ev(0), CardWindow.empty(), { status: "UNAVAILABLE" }).decision;
    expect(open.verdict).toBe("APPROVED");
    expect(open.rule_triggers).toContain("REFERENCE_DATA_UNAVAILABLE");
    expect(open.reasons.some((r) => r.code === "REFERENCE_DATA_UNAVAILABLE" && r.tier === "SYSTEM")).toBe(true);
  });

  it("reason contributions add up to fraud_score when nothing is forced", () => {
    const s = CardWindow.empty();
    for (let i = 0; i < 6; i++) engine.process(ev(i * 3_000, { amount_usd: 400 }), s, NO_REFERENCE);
    const d = engine.score(ev(20_000, { amount_usd: 900 }), s, NO_REFERENCE).decision;
    const total = d.reasons.reduce((a, r) => a + r.contribution, 0);
    expect(Math.abs(total - d.fraud_score)).toBeLessThan(0.1 + 0.01 * d.reasons.length);
  });

  it("is deterministic and survives a serialization round trip mid-stream", () => {
    const stream = Array.from({ length: 40 }, (_, i) =>
      ev(i * 47_000 + (i % 3) * 1000, { amount_usd: 10 + ((i * 37) % 300), merchant_id: `MCH-${i % 5}`, device_fingerprint: `fp-${i % 2}` }),
    );
    const a = CardWindow.empty();
    let b = CardWindow.empty();
    const da: unknown[] = [];
    const db: unknown[] = [];
    stream.forEach((e, i) => {
      da.push(engine.process(e, a, NO_REFERENCE));
      if (i % 7 === 3) b = decodeCardState(encodeCardState(b));
      db.push(engine.process(e, b, NO_REFERENCE));
    });
    expect(db).toEqual(da);
    expect(encodeCardState(b)).toBe(encodeCardState(a));
  });

  it("process leaves the same state as CardWindow.apply, and returns what score returned", () => {
    const viaEngine = CardWindow.empty();
    const viaApply = CardWindow.empty();
    for (let i = 0; i < 60; i++) {
      const e = ev(((i * 7919) % 50) * 20_000 + i * 1000, { amount_usd: 5 + ((i * 31) % 200), merchant_id: `MCH-${i % 6}`, device_fingerprint: `fp-${i % 3}` });
      const scored = engine.score(e, viaEngine, NO_REFERENCE);
      expect(engine.process(e, viaEngine, NO_REFERENCE)).toEqual(scored);
      viaApply.apply(e);
    }
    expect(encodeCardState(viaEngine)).toBe(encodeCardState(viaApply));
  });

  it("refuses a model that needs a feature the engine does not compute", () => {
    const m = tinyModel();
    expect(() => createEngine({ config, ruleSet: parseRuleSet(defaultRules), model: { ...m, feature_names: m.feature_names.map((n, i) => (i === 0 ? "zzz" : n)) } })).toThrow(/unknown feature/);
  });
});
