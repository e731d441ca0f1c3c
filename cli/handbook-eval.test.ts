import { describe, expect, it } from "vitest";
import { compileGbdt } from "../core/ml/gbdt/compiled.js";
import { MODEL_FEATURE_LAYOUT } from "../core/features/model-features.js";
import { runHandbookEval, type HandbookEvalOptions } from "./handbook-eval.js";

const small: HandbookEvalOptions = {
  params: { seed: 4, nCustomers: 1000, nTerminals: 2000, nbDays: 60, startDate: "2018-06-01", radius: 7 },
  protocol: { startTraining: "2018-07-05" },
  gbdt: { rounds: 60 },
  baseline: false,
};

describe("vigil eval --source handbook (small generated world)", () => {
  const r = runHandbookEval(small);

  it("runs end to end: trains on the training week, scores the test week", () => {
    expect(r.trainFrauds).toBeGreaterThan(10);
    expect(r.validFrauds).toBeGreaterThan(0);
    expect(r.testFrauds).toBeGreaterThan(10);
    expect(r.model.feature_layout).toBe(MODEL_FEATURE_LAYOUT);
    expect(r.model.trained.window).toEqual({ from: "2018-07-05", to: "2018-07-11" });
    expect(() => compileGbdt(r.model)).not.toThrow();
  });

  it("the learned champion beats a constant scorer (AUC 0.5, AP = prevalence)", () => {
    expect(r.learned.auc).toBeGreaterThan(0.75);
    expect(r.learned.ap).toBeGreaterThan((5 * r.testFrauds) / r.testRows);
    expect(r.learned.review.recall).toBeGreaterThan(r.learned.review.fpr);
  }, 60_000);

  it("is deterministic", () => {
    const again = runHandbookEval(small);
    expect(again.learned).toEqual(r.learned);
    expect(again.model).toEqual(r.model);
  }, 120_000);
});
