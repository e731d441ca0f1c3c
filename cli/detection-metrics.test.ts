import { describe, expect, it } from "vitest";
import { averagePrecision, cardPrecisionAtK, recallAtFpr, rocAuc, verdictRates, type Scored } from "./detection-metrics.js";

const s = (score: number, isFraud: boolean, card = `c${score}`): Scored => ({ score, isFraud, card });

describe("rocAuc", () => {
  it("is 1 for a perfect ranking and 0 for an inverted one", () => {
    expect(rocAuc([s(0.1, false), s(0.2, false), s(0.9, true)])).toBe(1);
    expect(rocAuc([s(0.9, false), s(0.2, true), s(0.1, true)])).toBe(0);
  });
  it("counts ties as one half", () => {
    expect(rocAuc([s(0.5, false), s(0.5, true)])).toBe(0.5);
  });
  it("matches a hand-computed mixed case", () => {
    // positives 0.8, 0.4; negatives 0.6, 0.2: pairs won 0.8>0.6, 0.8>0.2, 0.4>0.2 → 3 of 4.
    expect(rocAuc([s(0.8, true), s(0.4, true), s(0.6, false), s(0.2, false)])).toBe(0.75);
  });
  it("is NaN without both classes", () => {
    expect(rocAuc([s(0.1, false)])).toBeNaN();
  });
});

describe("averagePrecision", () => {
  it("is 1 when frauds rank first and follows the definition otherwise", () => {
    expect(averagePrecision([s(0.9, true), s(0.8, true), s(0.1, false)])).toBe(1);
    // ranks: fraud at 1 (P=1), legit at 2, fraud at 3 (P=2/3) → (1 + 2/3) / 2
    expect(averagePrecision([s(0.9, true), s(0.8, false), s(0.7, true)])).toBeCloseTo((1 + 2 / 3) / 2, 12);
  });
});

describe("cardPrecisionAtK", () => {
  it("ranks cards by their highest score and counts cards with any fraud", () => {
    const items = [s(0.9, false, "a"), s(0.2, true, "a"), s(0.8, false, "b"), s(0.7, true, "c"), s(0.1, false, "d")];
    expect(cardPrecisionAtK(items, 2)).toBe(0.5); // a (fraud), b (legit)
    expect(cardPrecisionAtK(items, 3)).toBeCloseTo(2 / 3, 12);
  });
});

describe("recallAtFpr", () => {
  it("never flags more legitimate events than the rate allows", () => {
    const legit = Array.from({ length: 100 }, (_, i) => s(i / 100, false));
    const fraud = [s(0.995, true), s(0.985, true), s(0.5, true)];
    const r = recallAtFpr([...legit, ...fraud], 0.01);
    expect(legit.filter((l) => l.score > r.threshold).length).toBeLessThanOrEqual(1);
    expect(r.recall).toBeCloseTo(2 / 3, 12);
  });
});

describe("verdictRates", () => {
  it("splits detection and false positives by label", () => {
    const r = verdictRates([
      { isFraud: true, flagged: true },
      { isFraud: true, flagged: false },
      { isFraud: false, flagged: true },
      { isFraud: false, flagged: false },
      { isFraud: false, flagged: false },
      { isFraud: false, flagged: false },
    ]);
    expect(r.detectionRate).toBe(0.5);
    expect(r.falsePositiveRate).toBe(0.25);
  });
});
