import { describe, expect, it } from "vitest";
import { CardWindow, type Engine, type ScoreResult } from "../index.js";
import type { ScoreItem } from "../contracts/scoring.js";
import type { Decision, FeatureVector } from "../schemas.js";
import { ev } from "../testing/features.js";
import { scoreCardItems, type SeenLedger } from "./card-items.js";

// What each card-state owner answers per item: the model vector and the shadow travel with a new
// outcome (JSON-safe), a duplicate answers the first decision only.

function fakeEngine(result: Omit<ScoreResult, "decision" | "features">): Engine {
  const score = (e: ScoreItem["event"]): ScoreResult => ({
    decision: { transaction_id: e.transaction_id, fraud_score: 5, verdict: "APPROVED", confidence: 0.9, rule_triggers: [], ml_score: 0.05, reasons: [], model_version: "m", rules_version: "r" } as Decision,
    features: {} as FeatureVector,
    ...result,
  });
  return { rulesVersion: "r", modelVersion: "m", configVersion: "c", score, process: score };
}

function ledger(): SeenLedger & { size: () => number } {
  const m = new Map<string, { decision: Decision; features: FeatureVector; fingerprint: string }>();
  return {
    prior: (key) => m.get(key),
    record: (key, decision, features, _ms, fingerprint) => void m.set(key, { decision, features, fingerprint }),
    size: () => m.size,
  };
}

describe("scoreCardItems", () => {
  it("reports the model vector (NaN as null) and the shadow's call; a duplicate reports neither", () => {
    const item = { event: ev(0), refs: { status: "OK" as const } };
    const shadow = { model_version: "gbdt-2", fraud_score: 64, verdict: "REVIEW" as const };
    const engine = fakeEngine({ modelFeatures: new Float64Array([1, Number.NaN, 2.5]), modelFeatureLayout: "mf1-test", shadow });
    const { outcomes, fresh } = scoreCardItems([item, item], [engine, engine], CardWindow.empty(), ledger());
    expect(fresh).toBe(1);
    expect(outcomes[0]).toMatchObject({ duplicate: false, modelFeatures: { layout: "mf1-test", values: [1, null, 2.5] }, shadow });
    expect(outcomes[1]?.duplicate).toBe(true);
    expect(outcomes[1]).not.toHaveProperty("modelFeatures");
    expect(outcomes[1]).not.toHaveProperty("shadow");
  });

  it("leaves them out when the engine does not report them", () => {
    const item = { event: ev(1), refs: { status: "OK" as const } };
    const { outcomes } = scoreCardItems([item], [fakeEngine({})], CardWindow.empty(), ledger());
    expect(outcomes[0]).not.toHaveProperty("modelFeatures");
    expect(outcomes[0]).not.toHaveProperty("shadow");
  });

  it("a key reused with another payload refuses the whole call: nothing applied, nothing recorded", () => {
    const seen = ledger();
    const window = CardWindow.empty();
    const t = ev(2);
    const first = { event: t, refs: { status: "OK" as const }, idempotencyKey: "tok:a/1", fingerprint: "f1" };
    expect(scoreCardItems([first], [fakeEngine({})], window, seen).fresh).toBe(1);
    const other = { event: ev(3), refs: { status: "OK" as const }, idempotencyKey: "tok:a/2", fingerprint: "f2" };
    const changed = { ...first, fingerprint: "f1-changed" };
    const r = scoreCardItems([other, changed], [fakeEngine({}), fakeEngine({})], window, seen);
    expect(r.refused).toBe(true);
    expect(r.fresh).toBe(0);
    expect(r.outcomes.map((o) => o.refused && o.conflict)).toEqual([false, true]);
    expect(seen.size()).toBe(1); // "tok:a/2" was not recorded either
    // The same payload again is a duplicate; the same transaction id from another caller is new.
    expect(scoreCardItems([first], [fakeEngine({})], window, seen).outcomes[0]?.duplicate).toBe(true);
    expect(scoreCardItems([{ ...first, idempotencyKey: "tok:b/1" }], [fakeEngine({})], window, seen).fresh).toBe(1);
    // Inside one call: the same key with two payloads conflicts too.
    const k = { ...other, idempotencyKey: "tok:a/3", fingerprint: "x" };
    expect(scoreCardItems([k, { ...k, fingerprint: "y" }], [fakeEngine({}), fakeEngine({})], window, seen).refused).toBe(true);
  });
});
