import { describe, expect, it } from "vitest";
import { averagePrecision, cardPrecisionAtK, cardPrecisionTopK, recallAtFpr, rocAuc, thresholdMetrics, type DailyScored } from "./metrics.js";

const s = (score: number, isFraud: boolean, card: string | number = 0) => ({ score, isFraud, card });

describe("threshold-free metrics", () => {
  it("AUC and AP on sklearn's documented example", () => {
    // roc_auc_score([0,0,1,1], [0.1,0.4,0.35,0.8]) = 0.75; average_precision_score(...) = 0.8333.
    const items = [s(0.1, false), s(0.4, false), s(0.35, true), s(0.8, true)];
    expect(rocAuc(items)).toBeCloseTo(0.75, 10);
    expect(averagePrecision(items)).toBeCloseTo(5 / 6, 10);
  });

  it("ties: AUC counts them half, AP takes tied scores together", () => {
    // Pairs (pos, neg): (0.5,0.5) tie = 0.5, (0.5,0.2) = 1, (0.9,0.5) = 1, (0.9,0.2) = 1 → 3.5 / 4.
    const items = [s(0.9, true), s(0.5, true), s(0.5, false), s(0.2, false)];
    expect(rocAuc(items)).toBeCloseTo(0.875, 10);
    // Thresholds 0.9: R 0.5, P 1; 0.5: R 1, P 2/3 → 0.5·1 + 0.5·2/3.
    expect(averagePrecision(items)).toBeCloseTo(0.5 + 1 / 3, 10);
  });

  it("a constant scorer gets AUC 0.5 and AP = prevalence (the handbook's random baseline)", () => {
    const items = Array.from({ length: 1000 }, (_, i) => s(0.5, i % 100 === 0));
    expect(rocAuc(items)).toBe(0.5);
    expect(averagePrecision(items)).toBeCloseTo(0.01, 12);
    expect(rocAuc([s(1, true)])).toBeNaN();
    expect(averagePrecision([s(1, false)])).toBeNaN();
  });
});

describe("threshold metrics", () => {
  const items = [s(0.9, true), s(0.7, false), s(0.6, true), s(0.3, false), s(0.2, false), s(0.1, true)];
  it("confusion counts and rates at score ≥ threshold", () => {
    const [a, b] = thresholdMetrics(items, [0.6, 0.95]);
    expect(a).toMatchObject({ tp: 2, fp: 1, tn: 2, fn: 1 });
    expect(a!.recall).toBeCloseTo(2 / 3);
    expect(a!.falsePositiveRate).toBeCloseTo(1 / 3);
    expect(a!.precision).toBeCloseTo(2 / 3);
    expect(b).toMatchObject({ tp: 0, fp: 0, recall: 0, falsePositiveRate: 0 });
    expect(b!.precision).toBeNaN();
  });
  it("recall at a false-positive budget", () => {
    // 3 legit: FPR 0 → threshold at the top legit (0.7): only 0.9 is caught.
    expect(recallAtFpr(items, 0)).toEqual({ recall: 1 / 3, threshold: 0.7 });
    expect(recallAtFpr(items, 0.34).recall).toBeCloseTo(2 / 3);
  });
});

describe("card precision top-k (handbook §4.2)", () => {
  // Day 1: cards A (fraud, max 0.9), B (legit 0.8), C (fraud 0.3), D (legit 0.1).
  // Day 2: A again (fraud 0.95: already detected on day 1, so removed), B (legit 0.7),
  //        E (fraud 0.6), C (fraud 0.2).
  const items: DailyScored[] = [
    { day: 1, card: "A", score: 0.9, isFraud: true },
    { day: 1, card: "A", score: 0.2, isFraud: false },
    { day: 1, card: "B", score: 0.8, isFraud: false },
    { day: 1, card: "C", score: 0.3, isFraud: true },
    { day: 1, card: "D", score: 0.1, isFraud: false },
    { day: 2, card: "A", score: 0.95, isFraud: true },
    { day: 2, card: "B", score: 0.7, isFraud: false },
    { day: 2, card: "E", score: 0.6, isFraud: true },
    { day: 2, card: "C", score: 0.2, isFraud: true },
  ];

  it("per day: top k cards by max score, share with a fraud that day, detected cards dropped later", () => {
    const r = cardPrecisionTopK(items, 2);
    // Day 1 top 2: A (fraud), B → 1/2. Day 2 without A: B, E (fraud) → 1/2.
    expect(r.perDay).toEqual([
      { day: 1, precision: 0.5, detected: 1, compromisedCards: 2 },
      { day: 2, precision: 0.5, detected: 1, compromisedCards: 2 },
    ]);
    expect(r.mean).toBe(0.5);
    // k = 3: day 1 top A, B, C detects A and C, so day 2 ranks only B and E → 1/3 (still over k).
    const k3 = cardPrecisionTopK(items, 3);
    expect(k3.perDay.map((d) => d.precision)).toEqual([2 / 3, 1 / 3]);
    expect(k3.mean).toBeCloseTo(0.5);
    // Without removal day 2's top 3 is A, B, E → 2/3.
    expect(cardPrecisionTopK(items, 3, { removeDetected: false }).perDay[1]!.precision).toBeCloseTo(2 / 3);
  });

  it("divides by k even when a day has fewer cards; ties keep ascending card order", () => {
    const r = cardPrecisionTopK(items, 10);
    expect(r.perDay[0]!.precision).toBeCloseTo(2 / 10);
    const tied: DailyScored[] = [3, 1, 2].map((card) => ({ day: 0, card, score: 0.5, isFraud: card === 3 }));
    expect(cardPrecisionTopK(tied, 2).mean).toBe(0); // cards 1, 2 come first
    expect(cardPrecisionTopK(tied, 3).mean).toBeCloseTo(1 / 3);
    expect(() => cardPrecisionTopK(items, 0)).toThrow(/k/);
  });

  it("the pooled card precision@k of the existing eval is still available", () => {
    expect(cardPrecisionAtK([s(0.9, true, "x"), s(0.8, false, "y"), s(0.1, true, "x")], 2)).toBe(0.5);
  });
});
