import { describe, expect, it } from "vitest";
import { parseScoringConfig } from "./config.js";
import { defaultConfig, defaultEngine, defaultModel, defaultRuleSet } from "./engine-default.js";
import { createEngine, NO_REFERENCE, type ScoreResult } from "./engine.js";
import { MODEL_FEATURE_LAYOUT, N_MODEL_FEATURES, MF } from "./features/model-features.js";
import { compileGbdt } from "./ml/gbdt/compiled.js";
import { DecisionSchema, type TransactionEvent } from "./schemas.js";
import { generateStream } from "./sim/index.js";
import { ev } from "./testing/features.js";
import { handModel } from "./testing/learned-model.js";
import { CardWindow, HOUR_MS } from "./window/card-window.js";

const champion = compileGbdt(handModel());
// A shadow that scores everything higher and flags more: it must still never change the verdict.
const shadow = compileGbdt(handModel("gbdt-hand-shadow", { review: 10, block: 30 }, 2));
const base = { config: defaultConfig(), ruleSet: defaultRuleSet(), model: defaultModel() };
const learned = createEngine({ ...base, learned: champion });
const night = (over: Partial<TransactionEvent> = {}) => ev(-10 * HOUR_MS, over); // 02:00 UTC

describe("engine with a learned champion", () => {
  it("fraud_score = 100 × calibrated probability, verdict on the model's thresholds, version named", () => {
    const { decision: d, modelFeatures } = learned.score(night({ amount_usd: 900 }), CardWindow.empty(), NO_REFERENCE);
    expect(DecisionSchema.parse(d)).toEqual(d);
    const p = champion.probability(modelFeatures!);
    expect(p).toBeCloseTo(1 / (1 + Math.exp(-4.5)), 12);
    expect(d.ml_score).toBe(Math.round(p * 1e4) / 1e4);
    expect(d.fraud_score).toBe(Math.round(1000 * p) / 10);
    expect(d.verdict).toBe("BLOCKED");
    expect(d.model_version).toBe("gbdt-hand-1");
    expect(learned.modelVersion).toBe("gbdt-hand-1");
    expect(learned.forestVersion).toBe(defaultModel().model_version);
    const small = learned.score(ev(0, { amount_usd: 20 }), CardWindow.empty(), NO_REFERENCE).decision;
    expect(small.verdict).toBe("APPROVED");
    expect(small.reasons.filter((r) => r.tier === "ML")).toEqual([]);
  });

  it("reasons carry the top three TreeSHAP contributions as ML_<FEATURE>, largest first", () => {
    const { decision: d, modelFeatures } = learned.score(night({ amount_usd: 900 }), CardWindow.empty(), NO_REFERENCE);
    const ml = d.reasons.filter((r) => r.tier === "ML");
    expect(ml.map((r) => r.code)).toEqual(["ML_AMOUNT_USD", "ML_NIGHT_FLAG", "ML_CARD_TX_COUNT_30D"]);
    const phi = champion.contributions(modelFeatures!, new Float64Array(N_MODEL_FEATURES + 1));
    const pos = phi[MF.amount_usd!]! + phi[MF.night_flag!]! + phi[MF.card_tx_count_30d!]!;
    expect(ml[0]!.contribution).toBeCloseTo((d.fraud_score * phi[MF.amount_usd!]!) / pos, 1);
    expect(ml[0]!.contribution).toBeGreaterThan(ml[1]!.contribution);
  });

  it("rules still force BLOCK, lifting the score to the model's block threshold", () => {
    const d = learned.score(ev(0, { amount_usd: 20, card_bin: "412345" }), CardWindow.empty(), { status: "OK", bin_blocked: true }).decision;
    expect(d.verdict).toBe("BLOCKED");
    expect(d.fraud_score).toBe(90);
    expect(d.rule_triggers).toEqual(["BLOCKED_BIN"]);
    expect(d.reasons[0]).toMatchObject({ code: "BLOCKED_BIN", tier: "RULE" });
    expect(d.reasons[0]!.contribution).toBeGreaterThan(80);
    // FAIL_CLOSED reference policy forces REVIEW too.
    const r = learned.score(ev(0, { amount_usd: 20, channel: "ATM" }), CardWindow.empty(), { status: "UNAVAILABLE" }).decision;
    expect([r.verdict, r.fraud_score]).toEqual(["REVIEW", 40]);
  });

  it("config learned_thresholds override the model file's", () => {
    const cfg = parseScoringConfig({ ...defaultConfig(), learned_thresholds: { review: 1, block: 2 } });
    const e = createEngine({ ...base, config: cfg, learned: champion });
    expect(e.score(ev(0, { amount_usd: 20 }), CardWindow.empty(), NO_REFERENCE).decision.verdict).toBe("BLOCKED");
    expect(() => parseScoringConfig({ ...defaultConfig(), learned_thresholds: { review: 3, block: 2 } })).toThrow(/learned_thresholds/);
  });

  it("refuses a model of another feature layout", () => {
    const other = compileGbdt({ ...handModel(), feature_layout: "mf0-00000000" });
    expect(() => createEngine({ ...base, learned: other })).toThrow(/feature layout/);
    expect(() => createEngine({ ...base, shadow: other })).toThrow(/shadow/);
  });
});

const stream = [...generateStream({ seed: 3, cards: 60, events: 1500, startMs: Date.UTC(2026, 10, 1), fraudRate: 0.05 })];
function replay(engine: ReturnType<typeof createEngine>): ScoreResult[] {
  const states = new Map<string, CardWindow>();
  return stream.map((le) => {
    let s = states.get(le.event.card_number_hash);
    if (!s) states.set(le.event.card_number_hash, (s = CardWindow.empty()));
    return engine.process(le.event, s, le.refs);
  });
}

describe("shadow model and determinism", () => {
  const withShadow = replay(createEngine({ ...base, learned: champion, shadow }));
  const alone = replay(createEngine({ ...base, learned: champion }));

  it("a shadow never changes the verdict, and reports its own score and version", () => {
    expect(withShadow.map((r) => r.decision)).toEqual(alone.map((r) => r.decision));
    expect(withShadow.every((r) => r.shadow?.model_version === "gbdt-hand-shadow")).toBe(true);
    expect(withShadow.some((r) => r.shadow!.verdict !== r.decision.verdict)).toBe(true);
    expect(alone.every((r) => r.shadow === undefined)).toBe(true);
  });

  it("a shadow beside the forest leaves today's decisions untouched", () => {
    const plain = replay(defaultEngine());
    const shadowed = replay(createEngine({ ...base, shadow }));
    expect(shadowed.map((r) => r.decision)).toEqual(plain.map((r) => r.decision));
    expect(shadowed[0]!.shadow?.model_version).toBe("gbdt-hand-shadow");
  });

  it("is deterministic and returns the model features with their layout", () => {
    const again = replay(createEngine({ ...base, learned: champion, shadow }));
    expect(again.map((r) => [r.decision, r.shadow, Array.from(r.modelFeatures!)])).toEqual(withShadow.map((r) => [r.decision, r.shadow, Array.from(r.modelFeatures!)]));
    expect(withShadow[0]!.modelFeatureLayout).toBe(MODEL_FEATURE_LAYOUT);
    expect(withShadow[0]!.modelFeatures).toHaveLength(N_MODEL_FEATURES);
    // A fresh copy per event: a later event does not overwrite an earlier result.
    expect(withShadow[0]!.modelFeatures).not.toBe(withShadow[1]!.modelFeatures);
  });
});
