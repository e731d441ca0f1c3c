import { describe, expect, it } from "vitest";
import { createRng } from "../../../random.js";
import { binOf, computeCuts, MISSING_BIN } from "./binning.js";
import { fitPlatt, plattProbability } from "./calibrate.js";
import { aucRoc, averagePrecision, cardPrecisionAtK, logLoss, ratesAt } from "./metrics.js";
import { pickThresholds, thresholdFor } from "./thresholds.js";

describe("metrics", () => {
  it("AUC and average precision match scikit-learn on its documented example", () => {
    const y = Uint8Array.of(0, 0, 1, 1);
    const s = [0.1, 0.4, 0.35, 0.8];
    expect(aucRoc(s, y)).toBeCloseTo(0.75, 12);
    expect(averagePrecision(s, y)).toBeCloseTo(0.8333333333, 9);
  });

  it("ties share their rank and enter the precision curve together", () => {
    const y = Uint8Array.of(1, 0, 1, 0);
    const s = [0.5, 0.5, 0.5, 0.5];
    expect(aucRoc(s, y)).toBe(0.5);
    expect(averagePrecision(s, y)).toBe(0.5);
    expect(aucRoc([1, 0.5, 0.5, 0], Uint8Array.of(1, 1, 0, 0))).toBeCloseTo(0.875, 12);
  });

  it("log-loss, rates and card precision", () => {
    expect(logLoss(Float64Array.of(0, 0), Uint8Array.of(0, 1))).toBeCloseTo(Math.LN2, 12);
    expect(logLoss(Float64Array.of(800), Uint8Array.of(1))).toBe(0);
    expect(ratesAt([90, 60, 10, 70], Uint8Array.of(1, 0, 1, 0), 50)).toEqual({ recall: 0.5, fpr: 1, precision: 1 / 3 });
    const cards = Uint32Array.of(1, 1, 2, 3);
    expect(cardPrecisionAtK([10, 90, 80, 5], Uint8Array.of(1, 0, 0, 0), cards, 2)).toBe(0.5);
  });
});

describe("binning", () => {
  it("bins every value so that bin ≤ b is exactly x < cut[b]; NaN has its own bin", () => {
    const rng = createRng(1);
    const n = 5000;
    const x = Float64Array.from({ length: n * 2 }, (_, i) => (i % 2 === 0 ? rng.logNormal(0, 2) : Math.floor(rng.next() * 5)));
    x[10] = NaN;
    const cuts = computeCuts(x, n, 2, 255);
    expect(cuts[0]!.length).toBeLessThanOrEqual(254);
    expect(cuts[1]).toEqual(Float64Array.of(0.5, 1.5, 2.5, 3.5));
    for (let i = 0; i < n; i++) {
      const v = x[i * 2]!;
      const b = binOf(cuts[0]!, v);
      if (Number.isNaN(v)) {
        expect(b).toBe(MISSING_BIN);
        continue;
      }
      if (b > 0) expect(v >= cuts[0]![b - 1]!).toBe(true);
      if (b < cuts[0]!.length) expect(v < cuts[0]![b]!).toBe(true);
    }
    for (let k = 1; k < cuts[0]!.length; k++) expect(cuts[0]![k]! > cuts[0]![k - 1]!).toBe(true);
  });
});

describe("Platt calibration", () => {
  it("recovers a known logistic map and gives monotone probabilities in [0, 1]", () => {
    const rng = createRng(2);
    const n = 20000;
    const margin = Float64Array.from({ length: n }, () => rng.normal(0, 2));
    const y = Uint8Array.from(margin, (m) => (rng.next() < 1 / (1 + Math.exp(-(0.5 * m - 1))) ? 1 : 0));
    const c = fitPlatt(margin, y);
    expect(c.a).toBeCloseTo(0.5, 1);
    expect(c.b).toBeCloseTo(-1, 1);
    let prev = -1;
    for (let m = -50; m <= 50; m += 0.5) {
      const p = plattProbability(c, m);
      expect(p >= 0 && p <= 1).toBe(true);
      expect(p).toBeGreaterThanOrEqual(prev);
      prev = p;
    }
    expect(fitPlatt(margin, y)).toEqual(c);
  });

  it("stays finite on a perfectly separable validation set", () => {
    const c = fitPlatt(Float64Array.of(-3, -2, -1, 1, 2, 3), Uint8Array.of(0, 0, 0, 1, 1, 1));
    expect(Number.isFinite(c.a) && Number.isFinite(c.b) && c.a > 0).toBe(true);
  });
});

describe("thresholds", () => {
  const scores = [95, 90, 85, 80, 70, 60, 50, 40, 30, 20];
  const y = Uint8Array.of(1, 1, 1, 0, 1, 0, 0, 1, 0, 0);

  it("takes the lowest threshold that meets the precision target, between score levels", () => {
    expect(thresholdFor(scores, y, 0.75, 1)).toBe(65); // top 5: 4 frauds
    expect(thresholdFor(scores, y, 1, 1)).toBe(82.5); // top 3 only
    expect(thresholdFor(scores, y, 1, 4)).toBeNull();
  });

  it("falls back to the configured values and keeps block ≥ review", () => {
    const t = pickThresholds(scores, y, { reviewPrecision: 0.6, blockPrecision: 1, minTruePositives: 4, fallback: { review: 50, block: 80 } });
    expect(t).toEqual({ review: 35, block: 80, review_source: "validation", block_source: "config" });
    const low = pickThresholds(scores, y, { reviewPrecision: 0.6, blockPrecision: 1, minTruePositives: 4, fallback: { review: 50, block: 20 } });
    expect(low.block).toBe(35);
  });
});
